//! The one place where core errors become JavaScript errors.
//!
//! A [`CesError`] reaches JavaScript as a plain `Error` whose `code` property is the core's
//! stable code (`invalid_threshold`, `invalid_argument`, `invalid_utf8`, `missing_value`,
//! `length_mismatch`) and whose `message` is the core's message. Node-API's
//! `napi_create_error(code, message)` sets `code`; napi-rs calls it with the error's
//! `status`, which may be any string.

use ces::CesError;
use ces::error::Row;
use napi::bindgen_prelude::{Env, JsError, Status};

/// The result of a synchronous function: an `Err` is thrown as an `Error` whose `code` is
/// [`CesError::code`]. (Named `Result` because `#[napi]` recognises fallible functions by
/// that name.)
pub(crate) type Result<T> = std::result::Result<T, napi::Error<&'static str>>;

/// The JavaScript error for `err`, thrown when a synchronous function returns it.
pub(crate) fn to_js(err: CesError) -> napi::Error<&'static str> {
    napi::Error::new(err.code(), err.to_string())
}

/// The same error as a JavaScript object, for rejecting a promise.
///
/// `Task` callbacks can only return `napi::Error<Status>`, whose `status` cannot carry a
/// custom code; an error that holds a reference to a JavaScript object rejects with that
/// object unchanged, so the code survives.
pub(crate) fn rejection(env: Env, err: CesError) -> napi::Error {
    napi::Error::from(JsError::from(to_js(err)).into_unknown(env))
}

/// An `invalid_argument` error for a check only the binding can make (a JavaScript number
/// that must be a safe integer, an unknown normaliser name), worded like the core's own:
/// ``row 2: invalid value for `brands.id`: 1.5 (…)``.
pub(crate) fn invalid(row: Option<usize>, field: &str, value: String, reason: &str) -> CesError {
    CesError::InvalidArgument {
        row: Row(row.map(|r| r as u64)),
        field: field.to_owned(),
        value,
        reason: reason.to_owned(),
    }
}

/// A Rust panic caught before it could cross the Node-API boundary (a bug, never user input).
pub(crate) fn panicked(function: &str) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("internal error in {function}: a panic was caught"),
    )
}
