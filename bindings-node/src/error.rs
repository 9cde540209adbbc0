//! The one place where core errors become JavaScript errors.
//!
//! A [`CesError`] reaches JavaScript as a plain `Error` whose `code` property is the core's
//! stable code (`invalid_threshold`, `invalid_argument`, `invalid_utf8`, `missing_value`,
//! `length_mismatch`, `invalid_record`, `duplicate_key`, `malformed_input`) and whose
//! `message` is the core's message. Node-API's `napi_create_error(code, message)` sets
//! `code`; napi-rs calls it with the error's `status`, which may be any string.
//!
//! A file the binding cannot read (the core does no I/O) is an `Error` with Node's own
//! `fs` code (`ENOENT`, `EACCES`, `EISDIR`, …), as `fs.readFileSync` would throw.

use ces::CesError;
use ces::error::Row;
use napi::bindgen_prelude::{Env, JsError, Status};

/// The result of a synchronous function: an `Err` is thrown as an `Error` whose `code` is
/// [`CesError::code`]. (Named `Result` because `#[napi]` recognises fallible functions by
/// that name.)
pub(crate) type Result<T> = std::result::Result<T, napi::Error<&'static str>>;

/// Everything a binding call can fail with: a core error, or a file the binding could not
/// read.
#[derive(Debug)]
pub enum Failure {
    /// The core's error, with its code.
    Ces(CesError),
    /// An I/O error: a Node `fs`-style code and a message naming the input and the path.
    Io {
        /// `ENOENT`, `EACCES`, `EISDIR`, `ENOTDIR` or `EIO`.
        code: &'static str,
        /// What could not be read, and why.
        message: String,
    },
}

impl From<CesError> for Failure {
    fn from(err: CesError) -> Self {
        Failure::Ces(err)
    }
}

impl Failure {
    /// The error reading `path` for `input` (`everflow`, `redtrack`, `mapping`).
    pub(crate) fn io(input: &str, path: &str, err: &std::io::Error) -> Failure {
        use std::io::ErrorKind;
        let code = match err.kind() {
            ErrorKind::NotFound => "ENOENT",
            ErrorKind::PermissionDenied => "EACCES",
            ErrorKind::IsADirectory => "EISDIR",
            ErrorKind::NotADirectory => "ENOTDIR",
            _ => "EIO",
        };
        Failure::Io {
            code,
            message: format!("{input}: cannot read {path:?}: {err}"),
        }
    }
}

/// The JavaScript error for `err`, thrown when a synchronous function returns it.
pub(crate) fn to_js(err: impl Into<Failure>) -> napi::Error<&'static str> {
    match err.into() {
        Failure::Ces(err) => napi::Error::new(err.code(), err.to_string()),
        Failure::Io { code, message } => napi::Error::new(code, message),
    }
}

/// The same error as a JavaScript object, for rejecting a promise.
///
/// `Task` callbacks can only return `napi::Error<Status>`, whose `status` cannot carry a
/// custom code; an error that holds a reference to a JavaScript object rejects with that
/// object unchanged, so the code survives.
pub(crate) fn rejection(env: Env, err: impl Into<Failure>) -> napi::Error {
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

/// A Node-API conversion error (a value of the wrong JavaScript type) with its place
/// (`everflow[3]`) put in front of the message; the code stays Node-API's (`InvalidArg`,
/// `StringExpected`, …).
pub(crate) fn napi_to_js(err: napi::Error, place: &str) -> napi::Error<&'static str> {
    let code = match err.status {
        Status::ObjectExpected => "ObjectExpected",
        Status::StringExpected => "StringExpected",
        Status::NumberExpected => "NumberExpected",
        Status::BooleanExpected => "BooleanExpected",
        Status::ArrayExpected => "ArrayExpected",
        Status::FunctionExpected => "FunctionExpected",
        Status::GenericFailure => "GenericFailure",
        _ => "InvalidArg",
    };
    napi::Error::new(code, format!("{place}: {}", err.reason))
}

/// A Rust panic caught before it could cross the Node-API boundary (a bug, never user input).
pub(crate) fn panicked(function: &str) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("internal error in {function}: a panic was caught"),
    )
}
