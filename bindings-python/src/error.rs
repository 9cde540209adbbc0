//! The one place where errors become Python exceptions.
//!
//! * A core [`ces::CesError`] becomes an instance of the exception class of its code
//!   (`InvalidThresholdError` for `invalid_threshold`, …). Each class subclasses both
//!   `ces.CesError` and `ValueError`, and every instance carries `code`, `row`, `field` and
//!   `message`. Errors about one input of a CPA merge also carry `input` (`everflow`,
//!   `redtrack`, `mapping`); `InvalidRecordError` adds `value` and `reason`,
//!   `DuplicateKeyError` `key` and `first_row`, `MalformedInputError` `location`;
//!   `InvalidArgumentError` adds `value` and `reason`.
//! * A value that an output type cannot hold (money beyond `decimal128(38, S)`) becomes an
//!   `OverflowError` naming the column.
//! * An argument of the wrong Python or Arrow type becomes a `TypeError` naming the argument.
//! * Exceptions already raised by Python (through pyo3 or pyo3-arrow) pass through unchanged.

use pyo3::exceptions::{PyException, PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

pyo3::create_exception!(
    ces,
    CesError,
    PyException,
    "Base class of every error raised by ces.\n\n\
     Attributes: `code` (stable machine-readable code, one subclass per code), `row` \
     (zero-based row of a batch input, or None), `field` (the argument or column at fault, \
     or None) and `message` (the human-readable text, also `str(err)`)."
);

/// Everything a binding function can fail with; converted to a Python exception only by
/// `From<Error> for PyErr` below.
#[derive(Debug)]
pub(crate) enum Error {
    /// An error of the core library.
    Core(ces::CesError),
    /// An argument of the wrong type.
    Type {
        /// The argument, as named in the Python signature.
        field: &'static str,
        /// What the argument must be, for humans (`"str"`, `"an Arrow string column"`).
        expected: &'static str,
        /// What it was.
        got: String,
    },
    /// An exception already raised by Python.
    Python(PyErr),
}

/// `Result` with [`Error`].
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `field` is the Python object `obj`, which is not `expected`.
    pub(crate) fn wrong_type(
        field: &'static str,
        expected: &'static str,
        obj: &Bound<'_, PyAny>,
    ) -> Self {
        Error::Type {
            field,
            expected,
            got: type_name(obj),
        }
    }

    /// `field` is an Arrow column of type `data_type`, which does not hold text.
    pub(crate) fn wrong_column_type(
        field: &'static str,
        data_type: &arrow_schema::DataType,
    ) -> Self {
        Self::wrong_column(
            field,
            "an Arrow column of strings (string, large_string, string_view, binary holding UTF-8, or a dictionary of strings)",
            data_type,
        )
    }

    /// `field` is an Arrow column of type `data_type`, which is not `expected`.
    pub(crate) fn wrong_column(
        field: &'static str,
        expected: &'static str,
        data_type: &arrow_schema::DataType,
    ) -> Self {
        Error::Type {
            field,
            expected,
            got: format!("a column of type {data_type}"),
        }
    }

    /// `field` (an argument or entry named at run time, such as `windows.defaults.click`) is
    /// the Python object `obj`, which is not `expected` (a `TypeError`, worded as
    /// [`Error::wrong_type`]'s).
    pub(crate) fn wrong_type_named(field: &str, expected: &str, obj: &Bound<'_, PyAny>) -> Self {
        Error::Python(PyTypeError::new_err(format!(
            "`{field}` must be {expected}, not {}",
            type_name(obj)
        )))
    }

    /// `field` (a column named at run time, such as `exposures.customer_id`) is an Arrow
    /// column of type `data_type`, which is not `expected` (a `TypeError`, worded as
    /// [`Error::wrong_column`]'s).
    pub(crate) fn wrong_column_named(
        field: &str,
        expected: &'static str,
        data_type: &arrow_schema::DataType,
    ) -> Self {
        Error::Python(PyTypeError::new_err(format!(
            "`{field}` must be {expected}, not a column of type {data_type}"
        )))
    }

    /// `field` is the Python object `obj`, which pyarrow could not convert to `expected`
    /// (`err` says why).
    pub(crate) fn not_convertible(
        field: &'static str,
        expected: &'static str,
        obj: &Bound<'_, PyAny>,
        err: &PyErr,
    ) -> Self {
        Error::Type {
            field,
            expected,
            got: format!("{} ({})", type_name(obj), err.value(obj.py())),
        }
    }

    /// `value` of output column `field` does not fit `target` (an `OverflowError`).
    pub(crate) fn unrepresentable(field: &str, value: String, target: String) -> Self {
        Error::Python(PyOverflowError::new_err(format!(
            "`{field}`: {value} cannot be represented as {target}"
        )))
    }

    /// A broken invariant of the binding itself (a `RuntimeError`; never expected).
    pub(crate) fn internal(what: &'static str) -> Self {
        Error::Python(PyRuntimeError::new_err(format!(
            "ces internal error: {what}"
        )))
    }

    /// `s` could not be read as UTF-8 (it holds lone surrogates). Re-encodes it with
    /// `surrogatepass` to report where, as [`ces::CesError::InvalidUtf8`]; falls back to
    /// `original` if that does not explain the failure.
    pub(crate) fn unencodable(
        s: &Bound<'_, PyString>,
        field: &'static str,
        original: PyErr,
    ) -> Self {
        let located = s
            .call_method1("encode", ("utf-8", "surrogatepass"))
            .and_then(|b| b.extract::<Vec<u8>>())
            .ok()
            .and_then(|bytes| ces::CesError::utf8(&bytes, field, None).err());
        match located {
            Some(err) => Error::Core(err),
            None => Error::Python(original),
        }
    }
}

/// The name of `obj`'s type, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_owned(), |n| n.to_string())
}

impl From<ces::CesError> for Error {
    fn from(err: ces::CesError) -> Self {
        Error::Core(err)
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Error::Python(err)
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(err: arrow_schema::ArrowError) -> Self {
        Error::Python(pyo3_arrow::error::PyArrowError::from(err).into())
    }
}

impl From<pyo3_arrow::error::PyArrowError> for Error {
    fn from(err: pyo3_arrow::error::PyArrowError) -> Self {
        Error::Python(err.into())
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::Core(err) => Python::attach(|py| core_error(py, &err).unwrap_or_else(|e| e)),
            Error::Type {
                field,
                expected,
                got,
            } => PyTypeError::new_err(format!("`{field}` must be {expected}, not {got}")),
            Error::Python(err) => err,
        }
    }
}

/// An instance of the class of `err`'s code, with its attributes set.
fn core_error(py: Python<'_>, err: &ces::CesError) -> PyResult<PyErr> {
    let class = classes(py)?
        .iter()
        .find(|(code, _)| *code == err.code())
        .map_or_else(
            || py.get_type::<CesError>(),
            |(_, class)| class.bind(py).clone(),
        );
    let message = err.to_string();
    let exc = class.call1((message.as_str(),))?;
    exc.setattr("code", err.code())?;
    exc.setattr("row", err.row())?;
    exc.setattr("field", err.field())?;
    exc.setattr("message", message)?;
    match err {
        ces::CesError::InvalidRecord {
            input,
            value,
            reason,
            ..
        } => {
            exc.setattr("input", input)?;
            exc.setattr("value", value)?;
            exc.setattr("reason", reason)?;
        }
        ces::CesError::DuplicateKey {
            input,
            key,
            first_row,
            ..
        } => {
            exc.setattr("input", input)?;
            exc.setattr("key", key)?;
            exc.setattr("first_row", first_row)?;
        }
        ces::CesError::MalformedInput {
            input, location, ..
        } => {
            exc.setattr("input", input)?;
            exc.setattr("location", location)?;
        }
        ces::CesError::InvalidArgument { value, reason, .. } => {
            exc.setattr("value", value)?;
            exc.setattr("reason", reason)?;
        }
        _ => {}
    }
    Ok(PyErr::from_value(exc))
}

/// One class per [`ces::CesError::CODES`] entry, created on first use.
static CLASSES: PyOnceLock<Vec<(&'static str, Py<PyType>)>> = PyOnceLock::new();

fn classes(py: Python<'_>) -> PyResult<&'static [(&'static str, Py<PyType>)]> {
    let classes = CLASSES.get_or_try_init(py, || {
        let base = py.get_type::<CesError>();
        base.setattr("row", py.None())?;
        base.setattr("field", py.None())?;
        let bases = (base, py.get_type::<PyValueError>());
        ces::CesError::CODES
            .iter()
            .map(|&code| {
                let namespace = PyDict::new(py);
                namespace.set_item("__module__", "ces")?;
                namespace.set_item("__doc__", class_doc(code))?;
                namespace.set_item("code", code)?;
                let class = py
                    .get_type::<PyType>()
                    .call1((class_name(code), bases.clone(), namespace))?
                    .cast_into::<PyType>()?;
                Ok((code, class.unbind()))
            })
            .collect::<PyResult<Vec<_>>>()
    })?;
    Ok(classes)
}

/// `invalid_threshold` → `InvalidThresholdError`.
fn class_name(code: &str) -> String {
    let mut name: String = code
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    name.push_str("Error");
    name
}

fn class_doc(code: &str) -> String {
    let what = match code {
        "invalid_threshold" => "A threshold that is NaN or outside [0, 1].",
        "invalid_argument" => {
            "An argument outside its allowed domain (for example an unknown metric)."
        }
        "invalid_utf8" => {
            "Text that is not valid UTF-8 (binary columns, strings with lone surrogates)."
        }
        "missing_value" => "A null where the operation needs a value.",
        "length_mismatch" => "Two inputs that must be aligned row by row have different lengths.",
        "invalid_record" => {
            "One record of an input table is invalid (CPA: a negative amount, money that is \
             not a number, an unknown currency, a date that does not parse; attribution: a \
             negative or NaN value, units or cost, an unknown interaction, a flight ending \
             before it starts); `input`, `row`, `field`, `value` and `reason` say which and \
             why."
        }
        "duplicate_key" => {
            "Two records of a CPA input have the same key but different values, so neither \
             can be chosen; `input`, `key`, `first_row` and `row` name them."
        }
        "malformed_input" => {
            "A CPA input that cannot be read at all (JSON that does not parse, a CSV or table \
             without a required column); `input` and `location` say where."
        }
        _ => "An error of the ces core library.",
    };
    format!("{what}\n\nError code `{code}`; a subclass of CesError and ValueError.")
}

/// Adds `CesError`, one subclass per code and `ERROR_CODES` to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CesError", py.get_type::<CesError>())?;
    for (code, class) in classes(py)? {
        m.add(class_name(code).as_str(), class.bind(py))?;
    }
    m.add("ERROR_CODES", PyTuple::new(py, ces::CesError::CODES)?)?;
    Ok(())
}
