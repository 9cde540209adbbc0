//! CPA merge from Python: thin wrappers over [`ces::cpa`].
//!
//! Inputs are converted (Arrow tables through [`crate::cpa_tables`]; files and bytes through
//! the core's JSON and CSV readers), the core runs with the interpreter detached (attached
//! again only for the `progress` callback), errors go through [`crate::error`], and results
//! come back as Arrow tables and the diagnostics as the core's JSON, which the Python facade
//! (`python/ces/cpa.py`) turns into frozen dataclasses. No merge rule lives here.

use ces::CesError;
use ces::cpa::{
    CPA_SCALE, Date, DateRange, EverflowTable, InternalRule, MAPPING_COLUMNS, Mapping, Merge,
    MergeParams, Period, ReadOptions, ReportZone, RowIssue, SpendTable, leaderboard,
    merge_with_progress, read_everflow_json, read_mapping_csv, read_redtrack_json, summarize,
};
use ces::error::Row;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};

use crate::as_text;
use crate::cpa_tables;
use crate::error::{Error, Result};
use crate::tables::{self, Table};

/// What an input document is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Everflow and Redtrack API responses.
    Json,
    /// The mapping file.
    Csv,
}

/// One CPA input, as given.
enum Source {
    /// An Arrow table (or a dict of columns, or a list of row dicts).
    Table(Table),
    /// Documents (files read, or bytes), in order: pages of one response, days of a report.
    Documents(Vec<PyBackedBytes>),
}

impl Source {
    fn documents(docs: &[PyBackedBytes]) -> Vec<&[u8]> {
        docs.iter().map(|d| &d[..]).collect()
    }

    fn everflow(&self, options: &ReadOptions) -> Result<EverflowTable> {
        match self {
            Source::Table(t) => cpa_tables::everflow_from_arrow(t, options.strict),
            Source::Documents(d) => Ok(read_everflow_json(&Self::documents(d), options)?),
        }
    }

    fn redtrack(&self, options: &ReadOptions) -> Result<SpendTable> {
        match self {
            Source::Table(t) => cpa_tables::redtrack_from_arrow(t, options),
            Source::Documents(d) => Ok(read_redtrack_json(&Self::documents(d), options)?),
        }
    }

    fn mapping(&self, options: &ReadOptions) -> Result<Mapping> {
        match self {
            Source::Table(t) => cpa_tables::mapping_from_arrow(t, options.strict),
            Source::Documents(d) => match &d[..] {
                [one] => Ok(read_mapping_csv(one, options)?),
                _ => Err(unreadable_list(d.len())),
            },
        }
    }
}

fn unreadable_list(n: usize) -> Error {
    CesError::InvalidArgument {
        row: Row(None),
        field: "mapping".into(),
        value: format!("a list of {n} documents"),
        reason: "the mapping is one CSV file (a path or bytes) or one table".into(),
    }
    .into()
}

const SOURCE_EXPECTED: &str = "an Arrow table (pyarrow, polars, pandas), a file path, bytes, \
                               or a list of paths or bytes";

fn is_path(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(obj.is_instance_of::<PyString>() || obj.hasattr(intern!(obj.py(), "__fspath__"))?)
}

fn is_bytes(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>()
}

/// The contents of the file at `path` (read by Python, so that a missing file is the usual
/// `FileNotFoundError` naming it). A suffix of another format is an `InvalidArgumentError`.
fn read_file(path: &Bound<'_, PyAny>, name: &'static str, format: Format) -> Result<PyBackedBytes> {
    let py = path.py();
    if let Ok(s) = path.cast::<PyString>()
        && s.to_cow().is_ok_and(|t| t.contains('\n'))
    {
        return Err(Error::Type {
            field: name,
            expected: "a file path, or the document itself as bytes (text with line breaks \
                       is not a path: pass text.encode())",
            got: "str".into(),
        });
    }
    let path = py
        .import(intern!(py, "pathlib"))?
        .getattr(intern!(py, "Path"))?
        .call1((path,))?;
    let suffix = path
        .getattr(intern!(py, "suffix"))?
        .extract::<String>()?
        .to_ascii_lowercase();
    let wrong = match (format, suffix.as_str()) {
        (Format::Json, ".csv") => Some("JSON (the CSV reader is for the mapping)"),
        (Format::Csv, ".json") => {
            Some("the mapping CSV (the JSON readers are for Everflow and Redtrack)")
        }
        (_, ".parquet" | ".arrow" | ".feather" | ".ipc" | ".xlsx") => {
            Some("JSON or CSV: read other formats with pyarrow or polars and pass the table")
        }
        _ => None,
    };
    if let Some(reads) = wrong {
        return Err(CesError::InvalidArgument {
            row: Row(None),
            field: name.into(),
            value: path.str()?.to_string(),
            reason: format!("a {suffix} file, but this input reads {reads}"),
        }
        .into());
    }
    Ok(path
        .call_method0(intern!(py, "read_bytes"))?
        .extract::<PyBackedBytes>()
        .map_err(PyErr::from)?)
}

/// A path or bytes: one document.
fn document(
    obj: &Bound<'_, PyAny>,
    name: &'static str,
    format: Format,
) -> Result<Option<PyBackedBytes>> {
    if is_bytes(obj) {
        return Ok(Some(obj.extract::<PyBackedBytes>().map_err(PyErr::from)?));
    }
    if is_path(obj)? {
        return Ok(Some(read_file(obj, name, format)?));
    }
    Ok(None)
}

/// An input argument: Arrow (anything with `__arrow_c_stream__`/`__arrow_c_array__`), a
/// dict of columns, a path (`str` or `os.PathLike`), `bytes`, or a list of paths/bytes
/// (documents) or of row dicts.
fn source_arg(obj: &Bound<'_, PyAny>, name: &'static str, format: Format) -> Result<Source> {
    if tables::is_arrow(obj)? || obj.is_instance_of::<PyDict>() {
        return Ok(Source::Table(Table::from_py(obj, name)?));
    }
    if let Some(doc) = document(obj, name, format)? {
        return Ok(Source::Documents(vec![doc]));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        if items.first().is_some_and(|i| i.cast::<PyMapping>().is_ok()) {
            return Ok(Source::Table(Table::from_py(obj, name)?));
        }
        let mut docs = Vec::with_capacity(items.len());
        for item in &items {
            match document(item, name, format)? {
                Some(doc) => docs.push(doc),
                None => {
                    return Err(Error::Type {
                        field: name,
                        expected: "a list of file paths or bytes",
                        got: format!(
                            "a list holding {}",
                            item.get_type()
                                .name()
                                .map_or_else(|_| "?".into(), |n| n.to_string())
                        ),
                    });
                }
            }
        }
        return Ok(Source::Documents(docs));
    }
    Err(Error::wrong_type(name, SOURCE_EXPECTED, obj))
}

/// A date argument: `datetime.date` (not `datetime.datetime`: which zone?) or `YYYY-MM-DD`.
fn date_arg(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<Option<Date>> {
    if obj.is_none() {
        return Ok(None);
    }
    let py = obj.py();
    let expected = "a datetime.date, a 'YYYY-MM-DD' string or None";
    let datetime = py.import(intern!(py, "datetime"))?;
    if obj.is_instance(&datetime.getattr(intern!(py, "datetime"))?)? {
        return Err(Error::wrong_type(field, expected, obj));
    }
    let invalid = |value: String| -> Error {
        CesError::InvalidArgument {
            row: Row(None),
            field: field.into(),
            value,
            reason: "not a date (expected YYYY-MM-DD)".into(),
        }
        .into()
    };
    if obj.is_instance(&datetime.getattr(intern!(py, "date"))?)? {
        let part = |n: &Bound<'_, PyString>| -> PyResult<i64> { obj.getattr(n)?.extract() };
        let (y, m, d) = (
            part(intern!(py, "year"))?,
            part(intern!(py, "month"))?,
            part(intern!(py, "day"))?,
        );
        let date = i32::try_from(y)
            .ok()
            .and_then(|y| Date::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?));
        return date
            .map(Some)
            .ok_or_else(|| invalid(obj.repr().map_or_else(|_| "?".into(), |r| r.to_string())));
    }
    if obj.is_instance_of::<PyString>() {
        let text = as_text(obj, field)?;
        return Date::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(format!("{:?}", &*text)));
    }
    Err(Error::wrong_type(field, expected, obj))
}

fn start_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Date>> {
    Ok(date_arg(obj, "start")?)
}

fn end_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Date>> {
    Ok(date_arg(obj, "end")?)
}

fn redtrack_date_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Date>> {
    Ok(date_arg(obj, "redtrack_date")?)
}

fn report_date_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Date>> {
    Ok(date_arg(obj, "date")?)
}

/// `start..=end`; an open end is the first or last representable date.
fn range(start: Option<Date>, end: Option<Date>) -> Result<Option<DateRange>> {
    Ok(match (start, end) {
        (None, None) => None,
        (s, e) => Some(DateRange::new(
            s.unwrap_or(Date::MIN),
            e.unwrap_or(Date::MAX),
        )?),
    })
}

fn zone_arg(obj: &Bound<'_, PyAny>) -> PyResult<ReportZone> {
    Ok(ReportZone::new(&as_text(obj, "zone")?).map_err(Error::from)?)
}

fn currency_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(as_text(obj, "currency")?.to_string())
}

fn include_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    Ok(crate::brands::text_items(obj, "include")?)
}

fn exclude_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    Ok(crate::brands::text_items(obj, "exclude")?)
}

/// A `bool` argument (only `True` or `False`: a truthy string is a mistake, not a yes).
fn flag(obj: &Bound<'_, PyAny>, field: &'static str) -> PyResult<bool> {
    Ok(obj
        .cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| Error::wrong_type(field, "a bool", obj))?)
}

fn strict_arg(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    flag(obj, "strict")
}

fn internal_from_mapping_arg(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    flag(obj, "internal_from_mapping")
}

fn progress_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
    if obj.is_none() {
        return Ok(None);
    }
    if !obj.is_callable() {
        return Err(Error::wrong_type("progress", "a callable or None", obj).into());
    }
    Ok(Some(obj.clone().unbind()))
}

fn issue_dict<'py>(py: Python<'py>, i: &RowIssue) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("input", i.input.name())?;
    d.set_item("row", i.row)?;
    d.set_item("location", &i.location)?;
    d.set_item("field", &i.field)?;
    d.set_item("value", &i.value)?;
    d.set_item("reason", &i.reason)?;
    Ok(d)
}

fn issue_list<'py>(py: Python<'py>, issues: &[RowIssue]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for i in issues {
        out.append(issue_dict(py, i)?)?;
    }
    Ok(out)
}

/// Merges Everflow conversions with Redtrack spend through the internal-affiliate mapping
/// (`ces.cpa.merge` documents the arguments). Reading, converting and merging run with the
/// interpreter released; `progress(stage, done, total)` is called (with the interpreter) at
/// the start and end of each stage (`spend`, `everflow`, `join`) and as the join goes on.
/// An exception raised by `progress` (or a `KeyboardInterrupt`) skips the later calls and is
/// raised when the merge returns.
#[pyfunction]
#[pyo3(signature = (
    everflow, redtrack, mapping, *,
    currency = String::from("USD"),
    internal_from_mapping = true,
    include = Vec::new(),
    exclude = Vec::new(),
    start = None,
    end = None,
    zone = ReportZone::default(),
    redtrack_date = None,
    strict = false,
    progress = None,
), text_signature = "(everflow, redtrack, mapping, *, currency='USD', internal_from_mapping=True, \
                     include=(), exclude=(), start=None, end=None, zone='America/New_York', \
                     redtrack_date=None, strict=False, progress=None)")]
#[allow(clippy::too_many_arguments)]
fn cpa_merge(
    py: Python<'_>,
    everflow: &Bound<'_, PyAny>,
    redtrack: &Bound<'_, PyAny>,
    mapping: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = currency_arg)] currency: String,
    #[pyo3(from_py_with = internal_from_mapping_arg)] internal_from_mapping: bool,
    #[pyo3(from_py_with = include_arg)] include: Vec<String>,
    #[pyo3(from_py_with = exclude_arg)] exclude: Vec<String>,
    #[pyo3(from_py_with = start_arg)] start: Option<Date>,
    #[pyo3(from_py_with = end_arg)] end: Option<Date>,
    #[pyo3(from_py_with = zone_arg)] zone: ReportZone,
    #[pyo3(from_py_with = redtrack_date_arg)] redtrack_date: Option<Date>,
    #[pyo3(from_py_with = strict_arg)] strict: bool,
    #[pyo3(from_py_with = progress_arg)] progress: Option<Py<PyAny>>,
) -> Result<PyCpaMerge> {
    let config = MergeParams {
        currency,
        internal: InternalRule {
            from_mapping: internal_from_mapping,
            include,
            exclude,
        },
        range: range(start, end)?,
    }
    .check()?;
    let everflow = source_arg(everflow, "everflow", Format::Json)?;
    let redtrack = source_arg(redtrack, "redtrack", Format::Json)?;
    let mapping = source_arg(mapping, "mapping", Format::Csv)?;
    let options = ReadOptions {
        strict,
        zone,
        date: redtrack_date,
    };
    let merged = py.detach(|| -> Result<Merge> {
        // Everflow (the big input) and Redtrack with the mapping are converted at once.
        let (everflow, rest) = if ces::parallel::enabled() {
            std::thread::scope(|scope| {
                let rest = scope.spawn(|| {
                    Ok::<_, Error>((redtrack.redtrack(&options)?, mapping.mapping(&options)?))
                });
                let everflow = everflow.everflow(&options);
                (everflow, rest.join())
            })
        } else {
            (
                everflow.everflow(&options),
                Ok((|| {
                    Ok((redtrack.redtrack(&options)?, mapping.mapping(&options)?))
                })()),
            )
        };
        let everflow = everflow?;
        let (redtrack, mapping) =
            rest.map_err(|_| Error::internal("an Arrow conversion thread panicked"))??;
        let mut failure: Option<PyErr> = None;
        let out = merge_with_progress(&everflow, &redtrack, &mapping, &config, &mut |p| {
            if failure.is_some() {
                return;
            }
            Python::attach(|py| {
                let called = py.check_signals().and_then(|()| match &progress {
                    Some(f) => f.call1(py, (p.stage, p.done, p.total)).map(drop),
                    None => Ok(()),
                });
                failure = called.err();
            });
        });
        // Freeing a few GiB of input takes a while: let another thread do it.
        if ces::parallel::enabled() && everflow.len() > 1_000_000 {
            std::thread::spawn(move || drop((everflow, redtrack, mapping)));
        }
        if let Some(err) = failure {
            return Err(err.into());
        }
        Ok(out?)
    })?;
    Ok(PyCpaMerge(merged))
}

/// Reads Everflow daily stats (entity-table JSON: a path, bytes, or a list of them as pages;
/// or an Arrow table) into the Arrow table `cpa_merge` reads, with the rejected records as
/// dicts (`input`, `row`, `location`, `field`, `value`, `reason`). `strict`: the first
/// rejected record raises `InvalidRecordError` instead.
#[pyfunction]
#[pyo3(signature = (source, *, strict = false))]
fn cpa_read_everflow<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = strict_arg)] strict: bool,
) -> Result<(Py<PyAny>, Bound<'py, PyList>)> {
    let source = source_arg(source, "source", Format::Json)?;
    let options = ReadOptions {
        strict,
        ..ReadOptions::default()
    };
    let (table, batch) = py.detach(|| -> Result<_> {
        let table = source.everflow(&options)?;
        let batch = cpa_tables::everflow_batch(&table)?;
        Ok((table, batch))
    })?;
    Ok((
        tables::to_pyarrow(py, batch)?,
        issue_list(py, &table.issues)?,
    ))
}

/// Reads Redtrack spend (report JSON, bare or wrapped, one document per day; or an Arrow
/// table) into the Arrow table `cpa_merge` reads, with the rejected records. `date` is the
/// report date of rows that carry none; `zone` turns timestamps into report dates.
#[pyfunction]
#[pyo3(signature = (
    source, *,
    date = None,
    zone = ReportZone::default(),
    strict = false,
), text_signature = "(source, *, date=None, zone='America/New_York', strict=False)")]
fn cpa_read_redtrack<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = report_date_arg)] date: Option<Date>,
    #[pyo3(from_py_with = zone_arg)] zone: ReportZone,
    #[pyo3(from_py_with = strict_arg)] strict: bool,
) -> Result<(Py<PyAny>, Bound<'py, PyList>)> {
    let source = source_arg(source, "source", Format::Json)?;
    let options = ReadOptions { strict, zone, date };
    let (table, batch) = py.detach(|| -> Result<_> {
        let table = source.redtrack(&options)?;
        let batch = cpa_tables::redtrack_batch(&table)?;
        Ok((table, batch))
    })?;
    Ok((
        tables::to_pyarrow(py, batch)?,
        issue_list(py, &table.issues)?,
    ))
}

/// Reads the internal-affiliate mapping (the dotted-header CSV as it comes: a path or bytes;
/// or an Arrow table) into an Arrow table of its raw cells plus `location`, with the rows
/// that cannot be used (`n/a`, missing or malformed ids).
#[pyfunction]
#[pyo3(signature = (source, *, strict = false))]
fn cpa_read_mapping<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = strict_arg)] strict: bool,
) -> Result<(Py<PyAny>, Bound<'py, PyList>)> {
    let source = source_arg(source, "source", Format::Csv)?;
    let options = ReadOptions {
        strict,
        ..ReadOptions::default()
    };
    let (mapping, batch) = py.detach(|| -> Result<_> {
        let mapping = source.mapping(&options)?;
        let batch = cpa_tables::mapping_batch(&mapping)?;
        Ok((mapping, batch))
    })?;
    Ok((
        tables::to_pyarrow(py, batch)?,
        issue_list(py, &mapping.issues)?,
    ))
}

/// `n` as a count (negative → `InvalidArgumentError`).
fn n_arg(obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let n = obj
        .extract::<i64>()
        .map_err(|_| Error::wrong_type("n", "an int", obj))?;
    Ok(usize::try_from(n).map_err(|_| {
        Error::from(CesError::InvalidArgument {
            row: Row(None),
            field: "n".into(),
            value: n.to_string(),
            reason: "must not be negative".into(),
        })
    })?)
}

fn period_arg(obj: &Bound<'_, PyAny>) -> PyResult<Period> {
    Ok(Period::parse(&as_text(obj, "period")?).map_err(Error::from)?)
}

fn advertiser_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(obj.extract::<i64>().map_err(|_| {
        Error::wrong_type("advertiser", "an int (advertiser id) or None", obj)
    })?))
}

/// The result of a CPA merge (wrapped by `ces.cpa.MergeResult`): the merged rows, the
/// diagnostics, and the reports built on them.
#[pyclass(frozen, module = "ces._ces", name = "CpaMerge")]
pub(crate) struct PyCpaMerge(Merge);

#[pymethods]
impl PyCpaMerge {
    /// The merged rows as a ``pyarrow.Table``, ordered by (date, advertiser id, affiliate
    /// label); money as ``decimal128(38, money_scale)``, ``cpa`` as ``decimal128(38, 12)``.
    fn performance(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let batch = py.detach(|| cpa_tables::performance_batch(&self.0.performance))?;
        tables::to_pyarrow(py, batch)
    }

    /// The diagnostics as the core's JSON (money as decimal strings, dates as ISO text).
    fn diagnostics_json(&self) -> String {
        self.0.diagnostics.to_json().to_string()
    }

    /// Is there anything in the diagnostics a person should look at?
    #[getter]
    fn has_findings(&self) -> bool {
        self.0.diagnostics.has_findings()
    }

    /// Decimal places of the money columns: the smallest that holds every amount exactly
    /// (at least 2).
    #[getter]
    fn money_scale(&self) -> u32 {
        self.0.performance.money_scale()
    }

    /// Summaries per (period start, advertiser) with total, internal and external segments;
    /// every CPA is the ratio of sums. `period`: ``day``, ``week`` (ISO, from Monday) or
    /// ``month``.
    #[pyo3(signature = (period = Period::Day), text_signature = "(self, period='day')")]
    fn summary(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = period_arg)] period: Period,
    ) -> Result<Py<PyAny>> {
        let table = &self.0.performance;
        let batch = py
            .detach(|| cpa_tables::summary_batch(&summarize(table, period), table.money_scale()))?;
        tables::to_pyarrow(py, batch)
    }

    /// The top `n` (advertiser, affiliate) pairs by conversions over `start`..`end`
    /// (inclusive; None: open), optionally for one advertiser id. Ties go to the lower CPA.
    #[pyo3(signature = (n = 10, start = None, end = None, advertiser = None))]
    fn leaderboard(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = n_arg)] n: usize,
        #[pyo3(from_py_with = start_arg)] start: Option<Date>,
        #[pyo3(from_py_with = end_arg)] end: Option<Date>,
        #[pyo3(from_py_with = advertiser_arg)] advertiser: Option<i64>,
    ) -> Result<Py<PyAny>> {
        let range = range(start, end)?;
        let table = &self.0.performance;
        let batch = py.detach(|| {
            cpa_tables::leaderboard_batch(
                &leaderboard(table, n, range, advertiser),
                table.money_scale(),
            )
        })?;
        tables::to_pyarrow(py, batch)
    }

    fn __len__(&self) -> usize {
        self.0.performance.len()
    }

    fn __repr__(&self) -> String {
        let d = &self.0.diagnostics;
        format!(
            "CpaMerge(rows={}, rejected_rows={}, unmapped_spend={}, has_findings={})",
            self.0.performance.len(),
            d.rejected_rows.len(),
            d.unmapped_spend.len(),
            if d.has_findings() { "True" } else { "False" },
        )
    }
}

/// Adds the CPA functions, class and constants to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyCpaMerge>()?;
    m.add_function(wrap_pyfunction!(cpa_merge, m)?)?;
    m.add_function(wrap_pyfunction!(cpa_read_everflow, m)?)?;
    m.add_function(wrap_pyfunction!(cpa_read_redtrack, m)?)?;
    m.add_function(wrap_pyfunction!(cpa_read_mapping, m)?)?;
    m.add("CPA_SCALE", CPA_SCALE)?;
    m.add("MAPPING_COLUMNS", PyTuple::new(py, MAPPING_COLUMNS)?)?;
    m.add("DEFAULT_REPORT_ZONE", ReportZone::DEFAULT_NAME)?;
    Ok(())
}
