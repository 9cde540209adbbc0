//! Arrow in and out for brand resolution: table and column arguments (catalog tables,
//! labels, decision tables) and the table of decisions `Resolver.resolve_batch` returns.
//!
//! Only conversion: every rule about the data lives in [`ces::brands`].

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, Float32Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    StructBuilder, UInt32Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use ces::CesError;
use ces::brands::{AliasType, Candidate, Decision, Method, RESOLVER_VERSION, Status};
use ces::error::Row;
use ces::trgm::Threshold;
use pyo3::exceptions::PyKeyError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyString};
use pyo3_arrow::PyTable;
use pyo3_arrow::input::AnyRecordBatch;

use crate::error::{Error, Result};

/// Does `obj` speak the Arrow PyCapsule interface?
pub(crate) fn is_arrow(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    Ok(obj.hasattr(intern!(py, "__arrow_c_array__"))?
        || obj.hasattr(intern!(py, "__arrow_c_stream__"))?)
}

/// `str` and `bytes` are sequences, but never the tables or columns callers mean.
pub(crate) fn is_text(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>()
}

/// Calls `convert` (a pyarrow constructor) on `obj`; an exception becomes a `TypeError` naming
/// `field` that says what pyarrow objected to.
fn via_pyarrow<'py>(
    obj: &Bound<'py, PyAny>,
    field: &'static str,
    expected: &'static str,
    convert: impl FnOnce(&Bound<'py, PyModule>) -> PyResult<Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyAny>> {
    let py = obj.py();
    let pyarrow = py.import(intern!(py, "pyarrow"))?;
    convert(&pyarrow).map_err(|err| Error::not_convertible(field, expected, obj, &err))
}

/// The chunks of a column argument: an Arrow column (`__arrow_c_array__` /
/// `__arrow_c_stream__`: pyarrow, polars, pandas), or any other sequence, converted by
/// `pyarrow.array` (lists, tuples, NumPy arrays).
pub(crate) fn column_arg(obj: &Bound<'_, PyAny>, field: &'static str) -> Result<Vec<ArrayRef>> {
    let py = obj.py();
    if is_arrow(obj)? {
        return crate::column(obj, field).or_else(|first| {
            // Some exporters produce C data that arrow-rs rejects but pyarrow reads (polars
            // exports its all-null `Null` columns with a buffer): retry through pyarrow.
            let constructor = if obj.hasattr(intern!(py, "__arrow_c_stream__"))? {
                intern!(py, "chunked_array")
            } else {
                intern!(py, "array")
            };
            match py
                .import(intern!(py, "pyarrow"))
                .and_then(|pa| pa.call_method1(constructor, (obj,)))
            {
                Ok(imported) => crate::column(&imported, field).map_err(|_| first),
                Err(_) => Err(first),
            }
        });
    }
    if is_text(obj) {
        return Err(Error::wrong_type(
            field,
            "a column (not a single value)",
            obj,
        ));
    }
    let array = via_pyarrow(obj, field, "an Arrow column or a sequence", |pa| {
        pa.call_method1(intern!(obj.py(), "array"), (obj,))
    })?;
    crate::column(&array, field)
}

/// Row dicts as a dict of columns: every key of any row is a column, in order of first
/// appearance, with `None` where a row lacks it (`pyarrow.Table.from_pylist` would keep
/// only the keys of the first row).
fn row_dicts_to_columns<'py>(
    obj: &Bound<'py, PyAny>,
    name: &'static str,
    expected: &'static str,
) -> Result<Bound<'py, PyDict>> {
    let py = obj.py();
    let rows = obj
        .try_iter()
        .map_err(|_| Error::wrong_type(name, expected, obj))?;
    let columns = PyDict::new(py);
    for (i, row) in rows.enumerate() {
        let row = row?;
        let row = row
            .cast::<PyMapping>()
            .map_err(|_| Error::wrong_type(name, expected, &row))?;
        for key in row.keys()? {
            if !columns.contains(&key)? {
                columns.set_item(&key, PyList::new(py, (0..i).map(|_| py.None()))?)?;
            }
        }
        for (key, column) in columns.iter() {
            let value = match row.get_item(&key) {
                Ok(v) => v,
                Err(e) if e.is_instance_of::<PyKeyError>(py) => py.None().into_bound(py),
                Err(e) => return Err(e.into()),
            };
            column
                .cast_into::<PyList>()
                .map_err(PyErr::from)?
                .append(value)?;
        }
    }
    Ok(columns)
}

/// The schema and batches of an object with `__arrow_c_stream__` or `__arrow_c_array__`.
fn read_batches(obj: &Bound<'_, PyAny>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let reader = obj.extract::<AnyRecordBatch>()?.into_reader()?;
    let schema = reader.schema();
    let batches = reader.collect::<std::result::Result<Vec<RecordBatch>, _>>()?;
    if batches
        .iter()
        .any(|b| b.num_columns() != schema.fields().len())
    {
        return Err(Error::internal(
            "an Arrow stream yielded a batch that does not match its schema",
        ));
    }
    Ok((schema, batches))
}

/// A table argument (`brands`, `aliases`, `decisions`), read once.
pub(crate) struct Table {
    name: &'static str,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// `obj` as a table: anything with `__arrow_c_stream__` / `__arrow_c_array__` (a pyarrow
    /// `Table` or `RecordBatch`, a polars or pandas `DataFrame`), a `dict` of columns
    /// (`pyarrow.table`) or a sequence of row `dict`s (`pyarrow.Table.from_pylist`).
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>, name: &'static str) -> Result<Self> {
        let py = obj.py();
        let expected = "an Arrow table, a dict of columns or a list of row dicts";
        let arrow = if is_arrow(obj)? {
            obj.clone()
        } else if is_text(obj) {
            return Err(Error::wrong_type(name, expected, obj));
        } else if obj.is_instance_of::<PyDict>() {
            via_pyarrow(obj, name, expected, |pa| {
                pa.call_method1(intern!(py, "table"), (obj,))
            })?
        } else {
            let columns = row_dicts_to_columns(obj, name, expected)?;
            via_pyarrow(obj, name, expected, |pa| {
                pa.call_method1(intern!(py, "table"), (columns,))
            })?
        };
        let (schema, batches) = match read_batches(&arrow) {
            Ok(read) => read,
            // Some exporters produce C data that arrow-rs rejects but pyarrow reads (polars
            // exports its all-null `Null` columns with a buffer): retry through pyarrow.
            Err(first) => match py
                .import(intern!(py, "pyarrow"))
                .and_then(|pa| pa.call_method1(intern!(py, "table"), (&arrow,)))
            {
                Ok(imported) => read_batches(&imported).map_err(|_| first)?,
                Err(_) => return Err(first),
            },
        };
        Ok(Table {
            name,
            schema,
            batches,
        })
    }

    /// The schema.
    pub(crate) fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The record batches, in order (each with every column of the schema).
    pub(crate) fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The chunks of column `name`, if the table has it.
    pub(crate) fn column(&self, name: &str) -> Option<Vec<ArrayRef>> {
        let i = self.schema.index_of(name).ok()?;
        // Every batch has the table's columns (checked by `read_batches`).
        Some(
            self.batches
                .iter()
                .filter_map(|b| b.columns().get(i).cloned())
                .collect(),
        )
    }

    /// The chunks of column `name`; an `InvalidArgumentError` naming the table if it is
    /// missing (an empty table needs no columns).
    pub(crate) fn required(&self, name: &str) -> Result<Vec<ArrayRef>> {
        match self.column(name) {
            Some(chunks) => Ok(chunks),
            None if self.len() == 0 => Ok(Vec::new()),
            None => Err(CesError::InvalidArgument {
                row: Row(None),
                field: self.name.into(),
                value: format!(
                    "columns {:?}",
                    self.schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                ),
                reason: format!("no `{name}` column"),
            }
            .into()),
        }
    }
}

/// `MissingValueError` for a null at `row` of `field`.
pub(crate) fn missing(field: &str, row: usize) -> Error {
    CesError::MissingValue {
        row: Row(Some(row as u64)),
        field: field.into(),
    }
    .into()
}

/// `InvalidArgumentError` for `value` at `row` of `field`.
pub(crate) fn invalid(field: &str, row: usize, value: String, reason: &str) -> Error {
    CesError::InvalidArgument {
        row: Row(Some(row as u64)),
        field: field.into(),
        value,
        reason: reason.into(),
    }
    .into()
}

fn total_len(chunks: &[ArrayRef]) -> usize {
    chunks.iter().map(|c| c.len()).sum()
}

/// The rows of an integer column (any signed or unsigned width; null → `None`).
pub(crate) fn ints(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<Option<i64>>> {
    let mut out = Vec::with_capacity(total_len(chunks));
    for chunk in chunks {
        push_ints(chunk.as_ref(), field, &mut out)?;
    }
    Ok(out)
}

fn push_ints(array: &dyn Array, field: &'static str, out: &mut Vec<Option<i64>>) -> Result<()> {
    macro_rules! widen {
        ($t:ty) => {
            out.extend(array.as_primitive::<$t>().iter().map(|v| v.map(i64::from)))
        };
    }
    match array.data_type() {
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt64 => {
            for v in array.as_primitive::<UInt64Type>() {
                let row = out.len();
                let v = v
                    .map(|v| {
                        i64::try_from(v).map_err(|_| {
                            invalid(field, row, v.to_string(), "does not fit in int64")
                        })
                    })
                    .transpose()?;
                out.push(v);
            }
        }
        DataType::Null => out.resize(out.len() + array.len(), None),
        other => {
            return Err(Error::wrong_column(
                field,
                "an Arrow column of integers",
                other,
            ));
        }
    }
    Ok(())
}

/// The rows of a floating-point column (float32 or float64; null → `None`).
pub(crate) fn floats(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<Option<f64>>> {
    let mut out = Vec::with_capacity(total_len(chunks));
    for chunk in chunks {
        push_floats(chunk.as_ref(), field, &mut out)?;
    }
    Ok(out)
}

fn push_floats(array: &dyn Array, field: &'static str, out: &mut Vec<Option<f64>>) -> Result<()> {
    match array.data_type() {
        DataType::Float32 => out.extend(
            array
                .as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.map(f64::from)),
        ),
        DataType::Float64 => out.extend(array.as_primitive::<Float64Type>()),
        DataType::Null => out.resize(out.len() + array.len(), None),
        other => {
            return Err(Error::wrong_column(
                field,
                "an Arrow column of floats (float32 or float64)",
                other,
            ));
        }
    }
    Ok(())
}

/// The rows of a boolean column (`bool`, or integers 0/1; null → `None`).
pub(crate) fn bools(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<Option<bool>>> {
    let mut out = Vec::with_capacity(total_len(chunks));
    for chunk in chunks {
        if chunk.data_type() == &DataType::Boolean {
            out.extend(chunk.as_boolean());
            continue;
        }
        let mut numbers = Vec::with_capacity(chunk.len());
        push_ints(chunk.as_ref(), field, &mut numbers).map_err(|err| match err {
            Error::Type { .. } => {
                Error::wrong_column(field, "an Arrow column of booleans", chunk.data_type())
            }
            other => other,
        })?;
        for n in numbers {
            let row = out.len();
            out.push(match n {
                None => None,
                Some(0) => Some(false),
                Some(1) => Some(true),
                Some(n) => {
                    return Err(invalid(
                        field,
                        row,
                        n.to_string(),
                        "a label is true/false or 1/0",
                    ));
                }
            });
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// Decisions in: the table `resolve_batch` returns (or any table with its columns).

/// `status` by its name.
fn status(name: &str) -> Option<Status> {
    [Status::Resolved, Status::Ambiguous, Status::Unresolved]
        .into_iter()
        .find(|s| s.name() == name)
}

/// A decision with nothing but `status` (the rest is filled from the table's columns).
fn bare_decision(status: Status) -> Decision {
    Decision {
        input: String::new(),
        normalized: String::new(),
        quantities: Vec::new(),
        method: Method::None,
        status,
        brand_id: None,
        brand_name: None,
        matched_text: None,
        score: None,
        runner_up: None,
        margin: None,
        threshold: Threshold::BRAND_DEFAULT.value(),
        candidates: Vec::new(),
        shared_trigrams: Vec::new(),
        missing_trigrams: Vec::new(),
        reason: None,
        resolver_version: RESOLVER_VERSION,
        catalog_fingerprint: String::new(),
    }
}

/// Decisions from a table of them. `status` is required; `input`, `normalized`, `brand_id`
/// and `candidates` are read when present (what the triage queue and `evaluate` use); other
/// columns are ignored.
pub(crate) fn decisions_from_table(table: &Table) -> Result<Vec<Decision>> {
    let status_chunks = table.required("status")?;
    let mut out = Vec::with_capacity(table.len());
    for (row, s) in crate::strings(&status_chunks, "decisions.status")?
        .into_iter()
        .enumerate()
    {
        let s = s.ok_or_else(|| missing("decisions.status", row))?;
        let s = status(s).ok_or_else(|| {
            invalid(
                "decisions.status",
                row,
                format!("{s:?}"),
                "expected resolved, ambiguous or unresolved",
            )
        })?;
        out.push(bare_decision(s));
    }
    for (name, field) in [
        ("input", "decisions.input"),
        ("normalized", "decisions.normalized"),
    ] {
        if let Some(chunks) = table.column(name) {
            for (d, text) in out.iter_mut().zip(crate::strings(&chunks, field)?) {
                let text = text.unwrap_or_default().to_owned();
                if name == "input" {
                    d.input = text;
                } else {
                    d.normalized = text;
                }
            }
        }
    }
    if let Some(chunks) = table.column("brand_id") {
        for (d, id) in out.iter_mut().zip(ints(&chunks, "decisions.brand_id")?) {
            d.brand_id = id;
        }
    }
    if let Some(chunks) = table.column("candidates") {
        let mut row = 0;
        for chunk in &chunks {
            match chunk.data_type() {
                DataType::List(_) => candidate_lists(chunk.as_list::<i32>(), &mut out, &mut row)?,
                DataType::LargeList(_) => {
                    candidate_lists(chunk.as_list::<i64>(), &mut out, &mut row)?;
                }
                DataType::Null => row += chunk.len(),
                other => {
                    return Err(Error::wrong_column(
                        "decisions.candidates",
                        "an Arrow column of lists of candidate structs",
                        other,
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// Fills `candidates` of `out[*row..]` from one chunk of the `candidates` column.
fn candidate_lists<O: OffsetSizeTrait>(
    lists: &GenericListArray<O>,
    out: &mut [Decision],
    row: &mut usize,
) -> Result<()> {
    for list in lists.iter() {
        if let (Some(list), Some(d)) = (list, out.get_mut(*row)) {
            d.candidates = candidates(list.as_ref(), *row)?;
        }
        *row += 1;
    }
    Ok(())
}

/// The candidates of one decision (`row`) from a struct array with `brand_id` and `score`
/// (required) and `brand_name`, `matched_text`, `alias_type`, `threshold`.
fn candidates(array: &dyn Array, row: usize) -> Result<Vec<Candidate>> {
    const FIELD: &str = "decisions.candidates";
    let Some(items) = array.as_struct_opt() else {
        return Err(Error::wrong_column(
            FIELD,
            "an Arrow column of lists of candidate structs",
            array.data_type(),
        ));
    };
    let n = items.len();
    let child = |name: &str| -> Result<ArrayRef> {
        items.column_by_name(name).cloned().ok_or_else(|| {
            invalid(
                FIELD,
                row,
                format!("{:?}", items.fields()),
                &format!("a candidate needs a `{name}` field"),
            )
        })
    };
    let ids = ints(&[child("brand_id")?], "decisions.candidates.brand_id")?;
    let scores = floats(&[child("score")?], "decisions.candidates.score")?;
    let text = |name: &str, field: &'static str| -> Result<Vec<String>> {
        Ok(match items.column_by_name(name) {
            Some(c) => crate::strings(std::slice::from_ref(c), field)?
                .into_iter()
                .map(|s| s.unwrap_or_default().to_owned())
                .collect(),
            None => vec![String::new(); n],
        })
    };
    let names = text("brand_name", "decisions.candidates.brand_name")?;
    let matched = text("matched_text", "decisions.candidates.matched_text")?;
    let kinds = text("alias_type", "decisions.candidates.alias_type")?;
    let thresholds = match items.column_by_name("threshold") {
        Some(c) => floats(std::slice::from_ref(c), "decisions.candidates.threshold")?,
        None => vec![None; n],
    };
    let mut out = Vec::with_capacity(n);
    for (i, ((((id, score), name), matched), (kind, threshold))) in ids
        .into_iter()
        .zip(scores)
        .zip(names)
        .zip(matched)
        .zip(kinds.into_iter().zip(thresholds))
        .enumerate()
    {
        if items.is_null(i) {
            continue;
        }
        let alias_type = if kind.is_empty() {
            AliasType::default()
        } else {
            kind.parse::<AliasType>().map_err(|_| {
                invalid(
                    "decisions.candidates.alias_type",
                    row,
                    format!("{kind:?}"),
                    "unknown alias type",
                )
            })?
        };
        out.push(Candidate {
            brand_id: id.ok_or_else(|| missing("decisions.candidates.brand_id", row))?,
            brand_name: name,
            matched_text: matched,
            alias_type,
            score: score.ok_or_else(|| missing("decisions.candidates.score", row))? as f32,
            threshold: threshold.unwrap_or(Threshold::BRAND_DEFAULT.value()),
        });
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// Decisions out.

/// The `i`-th field builder of `s`, typed.
fn child<T: ArrayBuilder>(s: &mut StructBuilder, i: usize) -> Result<&mut T> {
    s.field_builder::<T>(i)
        .ok_or_else(|| Error::internal("struct field builder of an unexpected type"))
}

fn quantities_builder() -> ListBuilder<StructBuilder> {
    let fields = Fields::from(vec![
        Field::new("raw", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
        Field::new("unit", DataType::Utf8, false),
        Field::new("canonical_value", DataType::Float64, false),
        Field::new("canonical_unit", DataType::Utf8, false),
        Field::new("pack_count", DataType::UInt32, true),
    ]);
    let builders: Vec<Box<dyn ArrayBuilder>> = vec![
        Box::new(StringBuilder::new()),
        Box::new(Float64Builder::new()),
        Box::new(StringBuilder::new()),
        Box::new(Float64Builder::new()),
        Box::new(StringBuilder::new()),
        Box::new(UInt32Builder::new()),
    ];
    ListBuilder::new(StructBuilder::new(fields, builders))
}

fn candidates_builder() -> ListBuilder<StructBuilder> {
    let fields = Fields::from(vec![
        Field::new("brand_id", DataType::Int64, false),
        Field::new("brand_name", DataType::Utf8, false),
        Field::new("matched_text", DataType::Utf8, false),
        Field::new("alias_type", DataType::Utf8, false),
        Field::new("score", DataType::Float32, false),
        Field::new("threshold", DataType::Float64, false),
    ]);
    let builders: Vec<Box<dyn ArrayBuilder>> = vec![
        Box::new(Int64Builder::new()),
        Box::new(StringBuilder::new()),
        Box::new(StringBuilder::new()),
        Box::new(StringBuilder::new()),
        Box::new(Float32Builder::new()),
        Box::new(Float64Builder::new()),
    ];
    ListBuilder::new(StructBuilder::new(fields, builders))
}

/// Column builders of the decision table, in column order.
struct DecisionColumns {
    input: StringBuilder,
    normalized: StringBuilder,
    method: StringBuilder,
    status: StringBuilder,
    brand_id: Int64Builder,
    brand_name: StringBuilder,
    matched_text: StringBuilder,
    score: Float32Builder,
    runner_up_brand_id: Int64Builder,
    runner_up_score: Float32Builder,
    margin: Float32Builder,
    threshold: Float64Builder,
    reason: StringBuilder,
    quantities: ListBuilder<StructBuilder>,
    candidates: ListBuilder<StructBuilder>,
    shared_trigrams: ListBuilder<StringBuilder>,
    missing_trigrams: ListBuilder<StringBuilder>,
    resolver_version: StringBuilder,
    catalog_fingerprint: StringBuilder,
}

impl DecisionColumns {
    fn new() -> Self {
        DecisionColumns {
            input: StringBuilder::new(),
            normalized: StringBuilder::new(),
            method: StringBuilder::new(),
            status: StringBuilder::new(),
            brand_id: Int64Builder::new(),
            brand_name: StringBuilder::new(),
            matched_text: StringBuilder::new(),
            score: Float32Builder::new(),
            runner_up_brand_id: Int64Builder::new(),
            runner_up_score: Float32Builder::new(),
            margin: Float32Builder::new(),
            threshold: Float64Builder::new(),
            reason: StringBuilder::new(),
            quantities: quantities_builder(),
            candidates: candidates_builder(),
            shared_trigrams: ListBuilder::new(StringBuilder::new()),
            missing_trigrams: ListBuilder::new(StringBuilder::new()),
            resolver_version: StringBuilder::new(),
            catalog_fingerprint: StringBuilder::new(),
        }
    }

    fn push(&mut self, d: &Decision) -> Result<()> {
        self.input.append_value(&d.input);
        self.normalized.append_value(&d.normalized);
        self.method.append_value(d.method.name());
        self.status.append_value(d.status.name());
        self.brand_id.append_option(d.brand_id);
        self.brand_name.append_option(d.brand_name.as_deref());
        self.matched_text.append_option(d.matched_text.as_deref());
        self.score.append_option(d.score);
        self.runner_up_brand_id
            .append_option(d.runner_up.as_ref().map(|r| r.brand_id));
        self.runner_up_score
            .append_option(d.runner_up.as_ref().map(|r| r.score));
        self.margin.append_option(d.margin);
        self.threshold.append_value(d.threshold);
        self.reason.append_option(d.reason.as_deref());
        let q = self.quantities.values();
        for quantity in &d.quantities {
            child::<StringBuilder>(q, 0)?.append_value(&quantity.raw);
            child::<Float64Builder>(q, 1)?.append_value(quantity.value);
            child::<StringBuilder>(q, 2)?.append_value(&quantity.unit);
            child::<Float64Builder>(q, 3)?.append_value(quantity.canonical_value);
            child::<StringBuilder>(q, 4)?.append_value(quantity.canonical_unit);
            child::<UInt32Builder>(q, 5)?.append_option(quantity.pack_count);
            q.append(true);
        }
        self.quantities.append(true);
        let c = self.candidates.values();
        for candidate in &d.candidates {
            child::<Int64Builder>(c, 0)?.append_value(candidate.brand_id);
            child::<StringBuilder>(c, 1)?.append_value(&candidate.brand_name);
            child::<StringBuilder>(c, 2)?.append_value(&candidate.matched_text);
            child::<StringBuilder>(c, 3)?.append_value(candidate.alias_type.name());
            child::<Float32Builder>(c, 4)?.append_value(candidate.score);
            child::<Float64Builder>(c, 5)?.append_value(candidate.threshold);
            c.append(true);
        }
        self.candidates.append(true);
        self.shared_trigrams
            .append_value(d.shared_trigrams.iter().map(Some));
        self.missing_trigrams
            .append_value(d.missing_trigrams.iter().map(Some));
        self.resolver_version.append_value(d.resolver_version);
        self.catalog_fingerprint
            .append_value(&d.catalog_fingerprint);
        Ok(())
    }

    /// A null input: `input` and `normalized` null, `unresolved` with reason `null input`.
    fn push_null(&mut self, threshold: f64, fingerprint: &str) {
        self.input.append_null();
        self.normalized.append_null();
        self.method.append_value(Method::None.name());
        self.status.append_value(Status::Unresolved.name());
        self.brand_id.append_null();
        self.brand_name.append_null();
        self.matched_text.append_null();
        self.score.append_null();
        self.runner_up_brand_id.append_null();
        self.runner_up_score.append_null();
        self.margin.append_null();
        self.threshold.append_value(threshold);
        self.reason.append_value(NULL_INPUT_REASON);
        self.quantities.append(true);
        self.candidates.append(true);
        self.shared_trigrams.append(true);
        self.missing_trigrams.append(true);
        self.resolver_version.append_value(RESOLVER_VERSION);
        self.catalog_fingerprint.append_value(fingerprint);
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let columns: [(&str, ArrayRef, bool); 19] = [
            ("input", Arc::new(self.input.finish()), true),
            ("normalized", Arc::new(self.normalized.finish()), true),
            ("method", Arc::new(self.method.finish()), false),
            ("status", Arc::new(self.status.finish()), false),
            ("brand_id", Arc::new(self.brand_id.finish()), true),
            ("brand_name", Arc::new(self.brand_name.finish()), true),
            ("matched_text", Arc::new(self.matched_text.finish()), true),
            ("score", Arc::new(self.score.finish()), true),
            (
                "runner_up_brand_id",
                Arc::new(self.runner_up_brand_id.finish()),
                true,
            ),
            (
                "runner_up_score",
                Arc::new(self.runner_up_score.finish()),
                true,
            ),
            ("margin", Arc::new(self.margin.finish()), true),
            ("threshold", Arc::new(self.threshold.finish()), false),
            ("reason", Arc::new(self.reason.finish()), true),
            ("quantities", Arc::new(self.quantities.finish()), false),
            ("candidates", Arc::new(self.candidates.finish()), false),
            (
                "shared_trigrams",
                Arc::new(self.shared_trigrams.finish()),
                false,
            ),
            (
                "missing_trigrams",
                Arc::new(self.missing_trigrams.finish()),
                false,
            ),
            (
                "resolver_version",
                Arc::new(self.resolver_version.finish()),
                false,
            ),
            (
                "catalog_fingerprint",
                Arc::new(self.catalog_fingerprint.finish()),
                false,
            ),
        ];
        let schema = Schema::new(
            columns
                .iter()
                .map(|(name, array, nullable)| {
                    Field::new(*name, array.data_type().clone(), *nullable)
                })
                .collect::<Vec<_>>(),
        );
        let arrays = columns.into_iter().map(|(_, array, _)| array).collect();
        Ok(RecordBatch::try_new(Arc::new(schema), arrays)?)
    }
}

/// The `reason` of the decision row of a null input.
pub(crate) const NULL_INPUT_REASON: &str = "null input";

/// The table of `decisions` (`None`: a null input, see [`NULL_INPUT_REASON`]); `threshold`
/// and `fingerprint` fill the rows of null inputs.
pub(crate) fn decision_batch(
    decisions: &[Option<Decision>],
    threshold: f64,
    fingerprint: &str,
) -> Result<RecordBatch> {
    let mut columns = DecisionColumns::new();
    for d in decisions {
        match d {
            Some(d) => columns.push(d)?,
            None => columns.push_null(threshold, fingerprint),
        }
    }
    columns.finish()
}

/// `batch` as a `pyarrow.Table`.
pub(crate) fn to_pyarrow(py: Python<'_>, batch: RecordBatch) -> Result<Py<PyAny>> {
    let schema = batch.schema();
    Ok(PyTable::try_new(vec![batch], schema)?
        .into_pyarrow(py)?
        .unbind())
}
