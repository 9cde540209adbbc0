//! `ces._ces`, the native module of the Python package `ces`.
//!
//! Thin bindings over [`ces::trgm`] (this file), [`ces::brands`] ([`brands`], with the
//! Arrow conversions of its tables and columns in [`tables`]), [`ces::cpa`] ([`cpa`], with
//! the Arrow conversions of its inputs and outputs in [`cpa_tables`]),
//! [`ces::attribution`] ([`attribution`], with its Arrow conversions in
//! [`attribution_tables`]) and [`ces::lift`] ([`lift`], with its Arrow conversions in
//! [`lift_tables`]): arguments are converted
//! (Python `str`, Arrow tables and columns through the Arrow PyCapsule interface), the core is
//! called with the interpreter detached for batches and long texts, and errors are mapped in
//! [`error`], the only place that builds Python exceptions. The Python facade
//! (`python/ces/__init__.py`) adds conversion of non-Arrow sequences for `score_pairs` (the
//! brand functions convert them in [`tables`], as methods cannot be wrapped there) and the
//! fork hook.

mod attribution;
mod attribution_tables;
mod brands;
mod cpa;
mod cpa_tables;
mod error;
mod lift;
mod lift_tables;
mod tables;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Float32Array};
use arrow_schema::DataType;
use ces::trgm::{self, Metric, Threshold, TrigramSet};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyString;
use pyo3_arrow::PyArray;
use pyo3_arrow::input::AnyArray;

use crate::error::{Error, Result};

/// Scalar calls on more than this many bytes of text release the interpreter while they run;
/// shorter ones keep it, as releasing and re-taking it would be a visible share of their cost.
const DETACH_ABOVE_BYTES: usize = 16 * 1024;

/// `obj` as text, or a `TypeError` naming `field` (`bytes` included: ces works on text).
fn as_text(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<PyBackedStr> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| Error::wrong_type(field, "str", obj))?;
    PyBackedStr::try_from(s.clone()).map_err(|e| Error::unencodable(s, field, e))
}

/// The `threshold` argument as a number (a `TypeError` naming it otherwise). Validated by
/// [`Threshold::for_field`] in each function, so that the default stays a literal in the
/// signature: `0.72` is [`Threshold::BRAND_DEFAULT`].
fn threshold_arg(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(obj
        .extract::<f64>()
        .map_err(|_| Error::wrong_type("threshold", "a number", obj))?)
}

/// The `metric` argument (a `TypeError` naming it if not `str`, `InvalidArgumentError` if
/// unknown).
fn metric_arg(obj: &Bound<'_, PyAny>) -> PyResult<Metric> {
    Ok(as_text(obj, "metric")?
        .parse::<Metric>()
        .map_err(Error::from)?)
}

/// Runs `f` on the texts of two arguments, detached from the interpreter when they are long.
fn on_pair<T: Send>(
    py: Python<'_>,
    (a, a_name): (&Bound<'_, PyAny>, &'static str),
    (b, b_name): (&Bound<'_, PyAny>, &'static str),
    f: fn(&str, &str) -> T,
) -> Result<T> {
    let (a, b) = (as_text(a, a_name)?, as_text(b, b_name)?);
    let run = || f(&a, &b);
    Ok(if a.len() + b.len() > DETACH_ABOVE_BYTES {
        py.detach(run)
    } else {
        run()
    })
}

/// Runs `f` on the text of one argument, detached from the interpreter when it is long.
fn on_text<T: Send>(py: Python<'_>, text: &Bound<'_, PyAny>, f: fn(&str) -> T) -> Result<T> {
    let text = as_text(text, "text")?;
    let run = || f(&text);
    Ok(if text.len() > DETACH_ABOVE_BYTES {
        py.detach(run)
    } else {
        run()
    })
}

/// The distinct trigrams of `text` in PostgreSQL's order, as `show_trgm(text)` returns them:
/// three characters, or `0x` + six hex digits for hashed (non-ASCII) trigrams.
#[pyfunction]
fn show_trgm(py: Python<'_>, text: &Bound<'_, PyAny>) -> Result<Vec<String>> {
    on_text(py, text, trgm::show_trgm)
}

/// `show_trgm(text)::text`: the trigrams as PostgreSQL prints the array, e.g.
/// `{"  c"," ca","at ",cat}`.
#[pyfunction]
fn show_trgm_text(py: Python<'_>, text: &Bound<'_, PyAny>) -> Result<String> {
    on_text(py, text, |t| TrigramSet::new(t).to_pg_array_text())
}

/// pg_trgm `similarity(a, b)`: shared distinct trigrams over their union, the same float32
/// value PostgreSQL returns. Symmetric; 0.0 when either text has no trigrams.
#[pyfunction]
fn similarity(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> Result<f32> {
    on_pair(py, (a, "a"), (b, "b"), trgm::similarity)
}

/// pg_trgm `word_similarity(needle, haystack)`: how well `needle` matches some extent of
/// `haystack` (PostgreSQL's greedy scan). Not symmetric.
#[pyfunction]
fn word_similarity(
    py: Python<'_>,
    needle: &Bound<'_, PyAny>,
    haystack: &Bound<'_, PyAny>,
) -> Result<f32> {
    on_pair(
        py,
        (needle, "needle"),
        (haystack, "haystack"),
        trgm::word_similarity,
    )
}

/// pg_trgm `strict_word_similarity(needle, haystack)`: like `word_similarity`, with extents on
/// word boundaries of `haystack`.
#[pyfunction]
fn strict_word_similarity(
    py: Python<'_>,
    needle: &Bound<'_, PyAny>,
    haystack: &Bound<'_, PyAny>,
) -> Result<f32> {
    on_pair(
        py,
        (needle, "needle"),
        (haystack, "haystack"),
        trgm::strict_word_similarity,
    )
}

/// pg_trgm `a <-> b`: `1 - similarity(a, b)`, as the float32 PostgreSQL returns.
#[pyfunction]
fn similarity_distance(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> Result<f32> {
    on_pair(py, (a, "a"), (b, "b"), trgm::similarity_distance)
}

/// pg_trgm `a % b` at an explicit threshold: `similarity(a, b) >= threshold`, compared in
/// double precision as PostgreSQL does. Raises InvalidThresholdError for NaN or values
/// outside [0, 1].
#[pyfunction]
#[pyo3(signature = (a, b, threshold = 0.72))]
fn similar(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = threshold_arg)] threshold: f64,
) -> Result<bool> {
    let threshold = Threshold::for_field(threshold, "threshold")?;
    Ok(threshold.accepts(on_pair(py, (a, "a"), (b, "b"), trgm::similarity)?))
}

/// pg_trgm `needle <% haystack` at an explicit threshold:
/// `word_similarity(needle, haystack) >= threshold`.
#[pyfunction]
#[pyo3(signature = (needle, haystack, threshold = 0.72))]
fn word_similar(
    py: Python<'_>,
    needle: &Bound<'_, PyAny>,
    haystack: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = threshold_arg)] threshold: f64,
) -> Result<bool> {
    let threshold = Threshold::for_field(threshold, "threshold")?;
    Ok(threshold.accepts(on_pair(
        py,
        (needle, "needle"),
        (haystack, "haystack"),
        trgm::word_similarity,
    )?))
}

/// pg_trgm `needle <<% haystack` at an explicit threshold:
/// `strict_word_similarity(needle, haystack) >= threshold`.
#[pyfunction]
#[pyo3(signature = (needle, haystack, threshold = 0.72))]
fn strict_word_similar(
    py: Python<'_>,
    needle: &Bound<'_, PyAny>,
    haystack: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = threshold_arg)] threshold: f64,
) -> Result<bool> {
    let threshold = Threshold::for_field(threshold, "threshold")?;
    let score = on_pair(
        py,
        (needle, "needle"),
        (haystack, "haystack"),
        trgm::strict_word_similarity,
    )?;
    Ok(threshold.accepts(score))
}

/// Scores row i of `left` against row i of `right` with `metric` ("similarity",
/// "word_similarity" or "strict_word_similarity"; `left` is the needle). `left` and `right`
/// are Arrow string columns (objects with `__arrow_c_array__` or `__arrow_c_stream__`).
/// Returns a `pyarrow.Array` of float32; a null on either side gives a null score. Runs in
/// parallel with the interpreter released.
#[pyfunction]
#[pyo3(
    signature = (left, right, metric = Metric::Similarity),
    text_signature = "(left, right, metric='similarity')"
)]
fn score_pairs<'py>(
    py: Python<'py>,
    left: &Bound<'py, PyAny>,
    right: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = metric_arg)] metric: Metric,
) -> Result<Py<PyAny>> {
    let (left, right) = (
        crate::tables::column_arg(left, "left")?,
        crate::tables::column_arg(right, "right")?,
    );
    let scores = py.detach(|| -> Result<Vec<Option<f32>>> {
        let (left, right) = (strings(&left, "left")?, strings(&right, "right")?);
        Ok(trgm::score_pairs(metric, &left, &right)?)
    })?;
    let scores = PyArray::from_array_ref(Arc::new(Float32Array::from(scores)));
    Ok(scores.to_pyarrow(py)?.unbind())
}

/// The chunks of an Arrow column given through the Arrow PyCapsule interface.
fn column(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<Vec<ArrayRef>> {
    let py = obj.py();
    if !obj.hasattr(intern!(py, "__arrow_c_array__"))?
        && !obj.hasattr(intern!(py, "__arrow_c_stream__"))?
    {
        return Err(Error::wrong_type(
            field,
            "an Arrow column (__arrow_c_array__ or __arrow_c_stream__)",
            obj,
        ));
    }
    let (chunks, _field) = obj
        .extract::<AnyArray>()?
        .into_chunked_array()?
        .into_inner();
    Ok(chunks)
}

/// The rows of all `chunks` as text (null → `None`).
fn strings<'a>(chunks: &'a [ArrayRef], field: &'static str) -> Result<Vec<Option<&'a str>>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        push_strings(chunk.as_ref(), field, &mut out)?;
    }
    Ok(out)
}

fn push_strings<'a>(
    array: &'a dyn Array,
    field: &'static str,
    out: &mut Vec<Option<&'a str>>,
) -> Result<()> {
    let first_row = out.len();
    match array.data_type() {
        DataType::Utf8 => out.extend(array.as_string::<i32>()),
        DataType::LargeUtf8 => out.extend(array.as_string::<i64>()),
        DataType::Utf8View => out.extend(array.as_string_view()),
        DataType::Binary => push_utf8(array.as_binary::<i32>(), field, out)?,
        DataType::LargeBinary => push_utf8(array.as_binary::<i64>(), field, out)?,
        DataType::BinaryView => push_utf8(array.as_binary_view(), field, out)?,
        DataType::Null => out.resize(first_row + array.len(), None),
        DataType::Dictionary(_, values)
            if matches!(
                **values,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            let dict = array.as_any_dictionary();
            let mut values = Vec::with_capacity(dict.values().len());
            push_strings(dict.values().as_ref(), field, &mut values)?;
            let keys = dict.keys();
            out.extend(
                dict.normalized_keys()
                    .into_iter()
                    .enumerate()
                    .map(|(row, key)| {
                        if keys.is_null(row) {
                            None
                        } else {
                            values.get(key).copied().flatten()
                        }
                    }),
            );
        }
        other => return Err(Error::wrong_column_type(field, other)),
    }
    Ok(())
}

/// Appends binary rows decoded as UTF-8; invalid bytes are `InvalidUtf8Error` naming the row.
fn push_utf8<'a>(
    rows: impl IntoIterator<Item = Option<&'a [u8]>>,
    field: &'static str,
    out: &mut Vec<Option<&'a str>>,
) -> Result<()> {
    for bytes in rows {
        let row = out.len() as u64;
        out.push(
            bytes
                .map(|b| ces::CesError::utf8(b, field, Some(row)))
                .transpose()?,
        );
    }
    Ok(())
}

/// Turns the core's parallel batch execution on or off for the whole process (the package
/// turns it off in forked children, where an inherited thread pool would deadlock).
#[pyfunction]
#[pyo3(name = "_set_parallel")]
fn set_parallel(enabled: bool) {
    ces::parallel::set_enabled(enabled);
}

/// Is parallel batch execution on?
#[pyfunction]
#[pyo3(name = "_parallel_enabled")]
fn parallel_enabled() -> bool {
    ces::parallel::enabled()
}

/// Native part of the `ces` package: pg_trgm-exact trigram similarity.
#[pymodule]
fn _ces(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", ces::VERSION)?;
    m.add_function(wrap_pyfunction!(show_trgm, m)?)?;
    m.add_function(wrap_pyfunction!(show_trgm_text, m)?)?;
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    m.add_function(wrap_pyfunction!(word_similarity, m)?)?;
    m.add_function(wrap_pyfunction!(strict_word_similarity, m)?)?;
    m.add_function(wrap_pyfunction!(similarity_distance, m)?)?;
    m.add_function(wrap_pyfunction!(similar, m)?)?;
    m.add_function(wrap_pyfunction!(word_similar, m)?)?;
    m.add_function(wrap_pyfunction!(strict_word_similar, m)?)?;
    m.add_function(wrap_pyfunction!(score_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(set_parallel, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_enabled, m)?)?;
    brands::register(m)?;
    cpa::register(m)?;
    attribution::register(m)?;
    lift::register(m)?;
    error::register(m)
}
