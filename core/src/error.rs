//! The crate's one error type.
//!
//! Every variant says *where* the problem is (row, field) and *what* the offending value was,
//! and has a stable machine code ([`CesError::code`]) that the Python and Node bindings carry
//! unchanged (`CesError.code` / `err.code`).

use std::fmt;

/// A position in a batch input: the zero-based row, when the error belongs to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Row(pub Option<u64>);

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(r) => write!(f, "row {r}: "),
            None => Ok(()),
        }
    }
}

/// Everything that can go wrong in `ces`.
///
/// ```
/// use ces::{CesError, trgm::Threshold};
/// let err = Threshold::new(1.5).unwrap_err();
/// assert_eq!(err.code(), "invalid_threshold");
/// assert_eq!(err.to_string(), "invalid threshold for `threshold`: 1.5 (must be a number in [0, 1])");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CesError {
    /// A similarity threshold that is NaN or outside `[0, 1]` (PostgreSQL rejects the same
    /// values for `pg_trgm.similarity_threshold`).
    #[error("invalid threshold for `{field}`: {value} (must be a number in [0, 1])")]
    InvalidThreshold {
        /// The argument or column that carried the threshold.
        field: String,
        /// The rejected value.
        value: f64,
    },
    /// An argument outside its allowed domain.
    #[error("{row}invalid value for `{field}`: {value} ({reason})")]
    InvalidArgument {
        /// The row, for batch inputs.
        row: Row,
        /// The argument or column.
        field: String,
        /// The rejected value, rendered for humans.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Bytes that are not valid UTF-8 (text from files, Node `Buffer`s, Arrow binary columns).
    #[error("{row}`{field}` is not valid UTF-8 (first invalid byte at offset {byte_offset})")]
    InvalidUtf8 {
        /// The row, for batch inputs.
        row: Row,
        /// The argument or column.
        field: String,
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        byte_offset: usize,
    },
    /// A value that must be present is missing (a null where the operation needs text).
    #[error("{row}`{field}` is missing (null)")]
    MissingValue {
        /// The row, for batch inputs.
        row: Row,
        /// The argument or column.
        field: String,
    },
    /// Two inputs that must be aligned row by row have different lengths.
    #[error("`{left_field}` has {left_len} rows but `{right_field}` has {right_len}")]
    LengthMismatch {
        /// The first input.
        left_field: String,
        /// Its length.
        left_len: usize,
        /// The second input.
        right_field: String,
        /// Its length.
        right_len: usize,
    },
    /// One record of an input table (an Everflow, Redtrack or mapping row) is invalid: a
    /// negative amount, money that is not a number, an unknown currency, a date that does not
    /// parse. Readers collect these as [`crate::cpa::RowIssue`]s unless asked to be strict.
    #[error("{input} {row}invalid `{field}`: {value:?} ({reason})")]
    InvalidRecord {
        /// The input: `everflow`, `redtrack` or `mapping`.
        input: String,
        /// The zero-based record position in that input.
        row: Row,
        /// The field, as named in the input.
        field: String,
        /// The raw value, as it came.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Two records with the same key but different values, so neither can be chosen.
    #[error("{input}: rows {first_row} and {row} have the same key ({key}) but different values")]
    DuplicateKey {
        /// The input: `everflow` or `redtrack`.
        input: String,
        /// The key, rendered for humans.
        key: String,
        /// The first record with that key.
        first_row: u64,
        /// The record that disagrees with it.
        row: u64,
    },
    /// A document that cannot be read at all (JSON that does not parse, a CSV without the
    /// required header).
    #[error("{input}: {reason} (at {location})")]
    MalformedInput {
        /// The input.
        input: String,
        /// Where: a page, line or byte offset.
        location: String,
        /// What is wrong.
        reason: String,
    },
}

impl CesError {
    /// The stable machine-readable code of this error (`snake_case`, never changes once
    /// released). Bindings expose it as `CesError.code` (Python) and `err.code` (Node).
    pub fn code(&self) -> &'static str {
        match self {
            CesError::InvalidThreshold { .. } => "invalid_threshold",
            CesError::InvalidArgument { .. } => "invalid_argument",
            CesError::InvalidUtf8 { .. } => "invalid_utf8",
            CesError::MissingValue { .. } => "missing_value",
            CesError::LengthMismatch { .. } => "length_mismatch",
            CesError::InvalidRecord { .. } => "invalid_record",
            CesError::DuplicateKey { .. } => "duplicate_key",
            CesError::MalformedInput { .. } => "malformed_input",
        }
    }

    /// Every code [`CesError::code`] can return, for bindings that build one exception class
    /// per code.
    pub const CODES: &'static [&'static str] = &[
        "invalid_threshold",
        "invalid_argument",
        "invalid_utf8",
        "missing_value",
        "length_mismatch",
        "invalid_record",
        "duplicate_key",
        "malformed_input",
    ];

    /// The row the error belongs to, if any.
    pub fn row(&self) -> Option<u64> {
        match self {
            CesError::InvalidArgument { row, .. }
            | CesError::InvalidUtf8 { row, .. }
            | CesError::MissingValue { row, .. }
            | CesError::InvalidRecord { row, .. } => row.0,
            CesError::DuplicateKey { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// The field (argument or column) the error names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            CesError::InvalidThreshold { field, .. }
            | CesError::InvalidArgument { field, .. }
            | CesError::InvalidUtf8 { field, .. }
            | CesError::MissingValue { field, .. }
            | CesError::InvalidRecord { field, .. } => Some(field),
            CesError::LengthMismatch { .. }
            | CesError::DuplicateKey { .. }
            | CesError::MalformedInput { .. } => None,
        }
    }

    /// Decodes `bytes` as UTF-8, or returns [`CesError::InvalidUtf8`] naming `field` and `row`.
    ///
    /// ```
    /// let err = ces::CesError::utf8(b"ok\xff", "text", Some(3)).unwrap_err();
    /// assert_eq!(err.code(), "invalid_utf8");
    /// assert_eq!(err.row(), Some(3));
    /// assert_eq!(ces::CesError::utf8(b"caf\xc3\xa9", "text", None).unwrap(), "café");
    /// ```
    pub fn utf8<'a>(bytes: &'a [u8], field: &str, row: Option<u64>) -> Result<&'a str, CesError> {
        std::str::from_utf8(bytes).map_err(|e| CesError::InvalidUtf8 {
            row: Row(row),
            field: field.to_owned(),
            byte_offset: e.valid_up_to(),
        })
    }
}

/// `Result` with [`CesError`].
pub type Result<T, E = CesError> = std::result::Result<T, E>;
