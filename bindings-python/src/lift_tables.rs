//! Arrow in and out for lift: number, flag and key columns read into the core's slices
//! (a float64 column without nulls — a NumPy float64 array through `pyarrow.array` — is read
//! in place), the row-by-row conversion-lift batch, and the panel and media-mix prior tables.
//!
//! Only conversion: every statistic lives in [`ces::lift`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use ces::CesError;
use ces::error::Row;
use ces::lift::{
    self, Arm, ConversionConfig, ConversionLift, FisherMode, Interval, Method, MmmPrior, StorePanel,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::attribution::invalid;
use crate::error::{Error, Result};
use crate::tables::{self, Table};

// ----------------------------------------------------------------------------------------
// Input columns.

fn total_len(chunks: &[ArrayRef]) -> usize {
    chunks.iter().map(|c| c.len()).sum()
}

fn missing(field: &str, row: usize) -> Error {
    CesError::MissingValue {
        row: Row(Some(row as u64)),
        field: field.into(),
    }
    .into()
}

/// Appends the rows of a numeric chunk as `f64` (null → `None`); `false` if the chunk is not
/// numeric.
fn push_numbers(array: &dyn Array, out: &mut Vec<Option<f64>>) -> bool {
    macro_rules! widen {
        ($t:ty) => {
            out.extend(
                array
                    .as_primitive::<$t>()
                    .iter()
                    .map(|v| v.map(|v| v as f64)),
            )
        };
    }
    match array.data_type() {
        DataType::Float64 => out.extend(array.as_primitive::<Float64Type>().iter()),
        DataType::Float32 => widen!(Float32Type),
        DataType::Int8 => widen!(Int8Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int64 => widen!(Int64Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt64 => widen!(UInt64Type),
        DataType::Null => out.resize(out.len() + array.len(), None),
        _ => return false,
    }
    true
}

const NUMBERS: &str = "a column of numbers (float or integer)";

/// The rows of a numeric column, nulls kept (`None`).
pub(crate) fn optional_numbers(chunks: &[ArrayRef], field: &str) -> Result<Vec<Option<f64>>> {
    let mut out = Vec::with_capacity(total_len(chunks));
    for chunk in chunks {
        if !push_numbers(chunk.as_ref(), &mut out) {
            return Err(Error::wrong_column_named(field, NUMBERS, chunk.data_type()));
        }
    }
    Ok(out)
}

/// The rows of a numeric column as `f64`: borrowed when it is one float64 chunk without
/// nulls (zero-copy), converted otherwise. A null is a `MissingValueError` naming the row;
/// NaN and ±∞ are passed on (the core rejects them, naming the row).
pub(crate) fn numbers<'a>(chunks: &'a [ArrayRef], field: &str) -> Result<Cow<'a, [f64]>> {
    if let [chunk] = chunks
        && chunk.data_type() == &DataType::Float64
        && chunk.null_count() == 0
    {
        return Ok(Cow::Borrowed(chunk.as_primitive::<Float64Type>().values()));
    }
    let values = optional_numbers(chunks, field)?;
    values
        .into_iter()
        .enumerate()
        .map(|(row, v)| v.ok_or_else(|| missing(field, row)))
        .collect::<Result<Vec<f64>>>()
        .map(Cow::Owned)
}

/// The rows of a flag column: booleans, or integers 0/1. A null is a `MissingValueError`.
pub(crate) fn flags(chunks: &[ArrayRef], field: &str) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(total_len(chunks));
    let expected = "a column of booleans (or of integers 0/1)";
    for chunk in chunks {
        if chunk.data_type() == &DataType::Boolean {
            for v in chunk.as_boolean() {
                let row = out.len();
                out.push(v.ok_or_else(|| missing(field, row))?);
            }
            continue;
        }
        if !is_integer(chunk.data_type()) && chunk.data_type() != &DataType::Null {
            return Err(Error::wrong_column_named(
                field,
                expected,
                chunk.data_type(),
            ));
        }
        let mut numbers = Vec::with_capacity(chunk.len());
        push_numbers(chunk.as_ref(), &mut numbers);
        for v in numbers {
            let row = out.len();
            out.push(match v {
                None => return Err(missing(field, row)),
                Some(0.0) => false,
                Some(1.0) => true,
                Some(v) => {
                    return Err(tables::invalid(
                        field,
                        row,
                        v.to_string(),
                        "a flag is true/false or 1/0",
                    ));
                }
            });
        }
    }
    Ok(out)
}

fn is_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// The rows of an integer-like column (integers, dates, timestamps in their own unit) as
/// `i64`; `None` if the column holds something else.
fn int_like(chunks: &[ArrayRef], field: &'static str) -> Result<Option<Vec<i64>>> {
    let mut out: Vec<Option<i64>> = Vec::with_capacity(total_len(chunks));
    for chunk in chunks {
        let array = chunk.as_ref();
        match array.data_type() {
            t if is_integer(t) || t == &DataType::Null => {
                out.extend(tables::ints(std::slice::from_ref(chunk), field)?);
            }
            DataType::Date32 => out.extend(
                array
                    .as_primitive::<Date32Type>()
                    .iter()
                    .map(|v| v.map(i64::from)),
            ),
            DataType::Date64 => out.extend(array.as_primitive::<Date64Type>().iter()),
            DataType::Timestamp(unit, _) => match unit {
                TimeUnit::Second => out.extend(array.as_primitive::<TimestampSecondType>()),
                TimeUnit::Millisecond => {
                    out.extend(array.as_primitive::<TimestampMillisecondType>())
                }
                TimeUnit::Microsecond => {
                    out.extend(array.as_primitive::<TimestampMicrosecondType>())
                }
                TimeUnit::Nanosecond => out.extend(array.as_primitive::<TimestampNanosecondType>()),
            },
            _ => return Ok(None),
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(row, v)| v.ok_or_else(|| missing(field, row)))
        .collect::<Result<Vec<i64>>>()
        .map(Some)
}

/// The rows of a text column as their ranks among the distinct values (sorted by bytes), so
/// that codes do not depend on the row order.
fn text_ranks(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<u64>> {
    let rows = crate::strings(chunks, field)?;
    let mut values: Vec<&str> = Vec::with_capacity(rows.len());
    for (row, v) in rows.iter().enumerate() {
        values.push(v.ok_or_else(|| missing(field, row))?);
    }
    Ok(ces::lift::rank_codes(&values))
}

const KEYS: &str = "a column of integers, strings, dates or timestamps";

fn is_text_column(chunks: &[ArrayRef]) -> bool {
    chunks.iter().any(|c| {
        matches!(
            c.data_type(),
            DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Dictionary(_, _)
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
        )
    })
}

fn key_type_error(chunks: &[ArrayRef], field: &str) -> Error {
    let t = chunks
        .iter()
        .map(|c| c.data_type().clone())
        .find(|t| !is_integer(t) && t != &DataType::Null)
        .unwrap_or(DataType::Null);
    Error::wrong_column_named(field, KEYS, &t)
}

/// Unit identifiers as `u64` codes that keep the values' order: integers (and dates,
/// timestamps) by flipping the sign bit, strings by their rank among the distinct values.
/// Either way the codes — hence the core's canonical order — do not depend on the row order.
pub(crate) fn unit_codes(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<u64>> {
    if is_text_column(chunks) {
        return text_ranks(chunks, field);
    }
    match int_like(chunks, field)? {
        Some(v) => Ok(v.into_iter().map(|x| (x as u64) ^ (1 << 63)).collect()),
        None => Err(key_type_error(chunks, field)),
    }
}

/// Period identifiers as `i64`: integers, dates and timestamps as they are, strings by rank.
pub(crate) fn period_codes(chunks: &[ArrayRef], field: &'static str) -> Result<Vec<i64>> {
    if is_text_column(chunks) {
        return Ok(text_ranks(chunks, field)?
            .into_iter()
            .map(|v| v as i64)
            .collect());
    }
    int_like(chunks, field)?.ok_or_else(|| key_type_error(chunks, field))
}

/// `columns=`: a dict from the logical names `allowed` to the table's column names (absent:
/// the logical name itself). Returns `(logical, column, named explicitly)` for each.
pub(crate) fn column_names(
    columns: Option<&Bound<'_, PyAny>>,
    allowed: &[&'static str],
) -> Result<Vec<(&'static str, String, bool)>> {
    let mut out: Vec<(&'static str, String, bool)> =
        allowed.iter().map(|&n| (n, n.to_string(), false)).collect();
    let Some(columns) = columns.filter(|c| !c.is_none()) else {
        return Ok(out);
    };
    let expected = "a dict from argument names to column names";
    let d = columns
        .cast::<PyDict>()
        .map_err(|_| Error::wrong_type_named("columns", expected, columns))?;
    for (k, v) in d.iter() {
        let key = k
            .cast::<PyString>()
            .map_err(|_| Error::wrong_type_named("columns", expected, &k))?
            .to_cow()?
            .into_owned();
        let value = v
            .cast::<PyString>()
            .map_err(|_| Error::wrong_type_named(&format!("columns[{key:?}]"), "str", &v))?
            .to_cow()?
            .into_owned();
        let Some(slot) = out.iter_mut().find(|(n, _, _)| *n == key) else {
            return Err(invalid(
                "columns",
                format!("{key:?}"),
                format!("unknown name (expected {})", allowed.join(", ")),
            ));
        };
        slot.1 = value;
        slot.2 = true;
    }
    Ok(out)
}

/// Column `name` of `table` (`logical` names it in errors); `None` if absent.
fn table_column(table: &Table, name: &str) -> Option<Vec<ArrayRef>> {
    table.column(name)
}

fn no_column(table: &Table, logical: &str, name: &str, table_name: &str) -> Error {
    let columns: Vec<&str> = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    invalid(
        logical,
        format!("{name:?}"),
        format!("no such column in `{table_name}` (columns: {columns:?})"),
    )
}

/// The columns of a function taking `N` columns: each given on its own, or all from a table
/// given first (the others None), named by `columns`.
pub(crate) fn inputs<const M: usize, const N: usize>(
    first: &Bound<'_, PyAny>,
    rest: [Option<&Bound<'_, PyAny>>; M],
    names: [&'static str; N],
    columns: Option<&Bound<'_, PyAny>>,
) -> Result<[Vec<ArrayRef>; N]> {
    debug_assert_eq!(M + 1, N);
    let given = rest
        .iter()
        .filter(|r| r.is_some_and(|r| !r.is_none()))
        .count();
    if given == 0 {
        let table = Table::from_py(first, "data")?;
        let mapping = column_names(columns, &names)?;
        let mut out: [Vec<ArrayRef>; N] = std::array::from_fn(|_| Vec::new());
        for (slot, (logical, name, _)) in out.iter_mut().zip(&mapping) {
            *slot = match table_column(&table, name) {
                Some(c) => c,
                None => return Err(no_column(&table, logical, name, "data")),
            };
        }
        return Ok(out);
    }
    if columns.is_some_and(|c| !c.is_none()) {
        return Err(invalid(
            "columns",
            "a mapping".into(),
            "names columns of a table: give the table alone as the first argument",
        ));
    }
    let mut out: [Vec<ArrayRef>; N] = std::array::from_fn(|_| Vec::new());
    out[0] = tables::column_arg(first, names[0])?;
    for (i, r) in rest.iter().enumerate() {
        match r {
            Some(obj) if !obj.is_none() => out[i + 1] = tables::column_arg(obj, names[i + 1])?,
            _ => {
                return Err(Error::wrong_type_named(
                    names[i + 1],
                    "a column (or give a table alone as the first argument)",
                    first.py().None().bind(first.py()),
                ));
            }
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// The conversion-lift batch.

/// The logical input columns of `conversion_lift_batch`; the first four are required.
pub(crate) const BATCH_COLUMNS: &[&str] = &[
    "n_treatment",
    "conversions_treatment",
    "n_control",
    "conversions_control",
    "revenue_treatment",
    "revenue_control",
    "spend",
];

/// Rows computed between two `progress` calls (and interrupt checks).
const BATCH_CHUNK: usize = 4096;

const DIFFERENCE_METHODS: [Method; 4] = [
    Method::Wald,
    Method::AgrestiCaffo,
    Method::Newcomb,
    Method::Score,
];
const RATIO_METHODS: [Method; 3] = [Method::Log, Method::LogAdjusted, Method::Score];

/// A core error about one row, with the row and the table's column names.
fn at_row(err: CesError, row: usize, names: &[(&'static str, String, bool)]) -> CesError {
    let column = |field: &str| -> String {
        let logical = match field {
            "treatment.users" => "n_treatment",
            "treatment.conversions" => "conversions_treatment",
            "treatment.revenue" => "revenue_treatment",
            "control.users" => "n_control",
            "control.conversions" => "conversions_control",
            "control.revenue" => "revenue_control",
            "spend" => "spend",
            other => return other.to_string(),
        };
        names
            .iter()
            .find(|(n, _, _)| *n == logical)
            .map_or_else(|| field.to_string(), |(_, c, _)| c.clone())
    };
    let row = Row(Some(row as u64));
    match err {
        CesError::InvalidArgument {
            field,
            value,
            reason,
            ..
        } => CesError::InvalidArgument {
            row,
            field: column(&field),
            value,
            reason,
        },
        CesError::MissingValue { field, .. } => CesError::MissingValue {
            row,
            field: column(&field),
        },
        other => other,
    }
}

/// One row's outcome.
type RowResult = std::result::Result<ConversionLift, CesError>;

/// Conversion lift of every row (`ces.lift.conversion_lift_batch`): rows with a null
/// required value or an invalid arm get an error and null results; the others are computed
/// by [`lift::conversion_lift_batch`] chunk by chunk, `progress(done, total)` being called
/// with the interpreter after each chunk.
pub(crate) fn conversion_batch(
    table: &Table,
    names: &[(&'static str, String, bool)],
    config: &ConversionConfig,
    progress: Option<&Py<PyAny>>,
) -> Result<RecordBatch> {
    let n = table.len();
    let mut cols: Vec<Option<Vec<Option<f64>>>> = Vec::with_capacity(names.len());
    for (i, (logical, name, explicit)) in names.iter().enumerate() {
        let required = i < 4;
        match table_column(table, name) {
            Some(chunks) => cols.push(Some(optional_numbers(&chunks, name)?)),
            None if n == 0 || (!required && !explicit) => cols.push(None),
            None => return Err(no_column(table, logical, name, "table")),
        }
    }
    let spend_column = cols[6].take();
    if spend_column.is_some() && config.spend.is_some() {
        return Err(invalid(
            "spend",
            format!("{:?}", config.spend.unwrap_or_default()),
            "given both as an argument and as a column of the table: give one",
        ));
    }
    // The configuration is checked once, not once per row.
    let probe = ConversionConfig {
        fisher: FisherMode::Never,
        ..*config
    };
    lift::conversion_lift(&Arm::new(2.0, 1.0), &Arm::new(2.0, 1.0), &probe)?;

    let value = |c: usize, row: usize| cols[c].as_ref().and_then(|v| v[row]);
    let mut results: Vec<RowResult> = Vec::with_capacity(n);
    let mut start = 0;
    while start < n {
        let end = (start + BATCH_CHUNK).min(n);
        let mut chunk: Vec<Option<RowResult>> = (start..end).map(|_| None).collect();
        // Rows with every required value, grouped by spend.
        let mut groups: HashMap<Option<u64>, Vec<usize>> = HashMap::new();
        for row in start..end {
            let missing_col = (0..4).find(|&c| value(c, row).is_none());
            if let Some(c) = missing_col {
                chunk[row - start] = Some(Err(CesError::MissingValue {
                    row: Row(Some(row as u64)),
                    field: names[c].1.clone(),
                }));
                continue;
            }
            let spend = match &spend_column {
                Some(s) => s[row],
                None => config.spend,
            };
            groups.entry(spend.map(f64::to_bits)).or_default().push(row);
        }
        for (spend, rows) in groups {
            let pairs: Vec<(Arm, Arm)> = rows
                .iter()
                .map(|&row| {
                    let arm = |u: usize, c: usize, r: usize| Arm {
                        users: value(u, row).unwrap_or_default(),
                        conversions: value(c, row).unwrap_or_default(),
                        revenue: value(r, row),
                    };
                    (arm(0, 1, 4), arm(2, 3, 5))
                })
                .collect();
            let config = ConversionConfig {
                spend: spend.map(f64::from_bits),
                ..*config
            };
            for (row, r) in rows
                .iter()
                .zip(lift::conversion_lift_batch(&pairs, &config))
            {
                chunk[row - start] = Some(r.map_err(|e| at_row(e, *row, names)));
            }
        }
        results.extend(chunk.into_iter().flatten());
        if results.len() != end {
            return Err(Error::internal(
                "a conversion-lift batch row was not computed",
            ));
        }
        Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(p) = progress {
                p.call1(py, (end, n))?;
            }
            Ok(())
        })?;
        start = end;
    }
    conversion_results_batch(&results)
}

/// The result table of [`conversion_batch`].
fn conversion_results_batch(results: &[RowResult]) -> Result<RecordBatch> {
    type Get = fn(&ConversionLift) -> Option<f64>;
    let floats: &[(&str, Get)] = &[
        ("treatment_rate", |r| Some(r.treatment_rate)),
        ("control_rate", |r| Some(r.control_rate)),
        ("absolute_lift", |r| Some(r.absolute_lift)),
        ("relative_lift", |r| Some(r.relative_lift)),
        ("incremental_conversions", |r| {
            Some(r.incremental_conversions)
        }),
        ("incremental_revenue", |r| r.incremental_revenue),
        ("spend", |r| r.spend),
        ("iroas", |r| r.iroas),
        ("cost_per_incremental_conversion", |r| {
            r.cost_per_incremental_conversion
        }),
        ("pooled_z_statistic", |r| Some(r.pooled_z.statistic)),
        ("pooled_z_p_value", |r| Some(r.pooled_z.p_value)),
        ("wald_z_statistic", |r| Some(r.wald_z.statistic)),
        ("wald_z_p_value", |r| Some(r.wald_z.p_value)),
        ("score_z_statistic", |r| Some(r.score_z.statistic)),
        ("score_z_p_value", |r| Some(r.score_z.p_value)),
        ("fisher_odds_ratio", |r| r.fisher.map(|f| f.odds_ratio)),
        ("fisher_p_value", |r| r.fisher.map(|f| f.p_value)),
    ];
    let ok = |i: usize| results[i].as_ref().ok();
    let n = results.len();
    let float_col = |get: &dyn Fn(&ConversionLift) -> Option<f64>| -> ArrayRef {
        let mut b = Float64Builder::with_capacity(n);
        for i in 0..n {
            b.append_option(ok(i).and_then(get));
        }
        Arc::new(b.finish())
    };
    let text_col = |get: &dyn Fn(&ConversionLift) -> String| -> ArrayRef {
        let mut b = StringBuilder::new();
        for i in 0..n {
            b.append_option(ok(i).map(get));
        }
        Arc::new(b.finish())
    };
    let bound = |intervals: fn(&ConversionLift) -> &[Interval], m: Method, high: bool| {
        move |r: &ConversionLift| {
            intervals(r)
                .iter()
                .find(|i| i.method == m)
                .map(|i| if high { i.high } else { i.low })
        }
    };
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    for (name, get) in floats {
        columns.push((name.to_string(), float_col(get)));
    }
    columns.push((
        "test_method".into(),
        text_col(&|r| r.test.method.as_str().into()),
    ));
    columns.push((
        "test_statistic".into(),
        float_col(&|r| Some(r.test.statistic)),
    ));
    columns.push(("p_value".into(), float_col(&|r| Some(r.test.p_value))));
    let mut significant = BooleanBuilder::with_capacity(n);
    for i in 0..n {
        significant.append_option(ok(i).map(|r| r.significant));
    }
    columns.push(("significant".into(), Arc::new(significant.finish())));
    columns.push((
        "difference_method".into(),
        text_col(&|r| r.difference_interval.method.as_str().into()),
    ));
    columns.push((
        "difference_low".into(),
        float_col(&|r| Some(r.difference_interval.low)),
    ));
    columns.push((
        "difference_high".into(),
        float_col(&|r| Some(r.difference_interval.high)),
    ));
    columns.push((
        "relative_lift_method".into(),
        text_col(&|r| r.relative_lift_interval.method.as_str().into()),
    ));
    columns.push((
        "relative_lift_low".into(),
        float_col(&|r| Some(r.relative_lift_interval.low)),
    ));
    columns.push((
        "relative_lift_high".into(),
        float_col(&|r| Some(r.relative_lift_interval.high)),
    ));
    for m in DIFFERENCE_METHODS {
        for (side, high) in [("low", false), ("high", true)] {
            columns.push((
                format!("difference_{}_{side}", m.as_str()),
                float_col(&bound(|r| r.difference_intervals.as_slice(), m, high)),
            ));
        }
    }
    for m in RATIO_METHODS {
        for (side, high) in [("low", false), ("high", true)] {
            columns.push((
                format!("ratio_{}_{side}", m.as_str()),
                float_col(&bound(|r| r.ratio_intervals.as_slice(), m, high)),
            ));
        }
    }
    columns.push(("confidence".into(), float_col(&|r| Some(r.confidence))));
    let mut code = StringBuilder::new();
    let mut message = StringBuilder::new();
    for r in results {
        match r {
            Ok(_) => {
                code.append_null();
                message.append_null();
            }
            Err(e) => {
                code.append_value(e.code());
                message.append_value(e.to_string());
            }
        }
    }
    columns.push(("error_code".into(), Arc::new(code.finish())));
    columns.push(("error".into(), Arc::new(message.finish())));
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(name, array.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )?)
}

// ----------------------------------------------------------------------------------------
// Panels and priors.

fn counts(values: impl IntoIterator<Item = usize>, field: &str) -> Result<ArrayRef> {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_value(
            i64::try_from(v)
                .map_err(|_| Error::unrepresentable(field, v.to_string(), "int64".into()))?,
        );
    }
    Ok(Arc::new(b.finish()))
}

fn float_array(values: impl IntoIterator<Item = f64>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn string_array<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn bool_array(values: &[bool]) -> ArrayRef {
    let mut b = BooleanBuilder::with_capacity(values.len());
    for &v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn time_array(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn batch(columns: Vec<(&str, ArrayRef)>, metadata: HashMap<String, String>) -> Result<RecordBatch> {
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), false))
            .collect::<Vec<_>>(),
    )
    .with_metadata(metadata);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )?)
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The panel's rows: `unit` (the key, as text), `period`, `exposed`, `post`, `treated_now`,
/// `outcome`; the panel's summary in the schema metadata (`ces.exposed_units`, …).
pub(crate) fn panel_batch(p: &StorePanel) -> Result<RecordBatch> {
    let units = p
        .unit
        .iter()
        .map(|&u| {
            p.unit_keys
                .get(u as usize)
                .map(String::as_str)
                .ok_or_else(|| Error::internal("a panel row names a unit beyond unit_keys"))
        })
        .collect::<Result<Vec<&str>>>()?;
    let mut period = Int64Builder::with_capacity(p.period.len());
    period.append_slice(&p.period);
    let metadata: HashMap<String, String> = [
        ("ces.exposed_units", p.exposed_units.to_string()),
        ("ces.control_units", p.control_units.to_string()),
        ("ces.periods", p.periods.to_string()),
        ("ces.pre_periods", p.pre_periods.to_string()),
        ("ces.spend", format!("{:?}", p.spend)),
        (
            "ces.exposures_without_cost",
            p.exposures_without_cost.to_string(),
        ),
        (
            "ces.channels",
            format!(
                "[{}]",
                p.channels
                    .iter()
                    .map(|c| json_string(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    batch(
        vec![
            ("unit", string_array(units)),
            ("period", Arc::new(period.finish())),
            ("exposed", bool_array(&p.exposed)),
            ("post", bool_array(&p.post)),
            ("treated_now", bool_array(&p.treated_now)),
            ("outcome", float_array(p.outcome.iter().copied())),
        ],
        metadata,
    )
}

/// The media-mix prior table: one row per prior.
pub(crate) fn priors_batch(priors: &[MmmPrior]) -> Result<RecordBatch> {
    let f = |get: fn(&MmmPrior) -> f64| float_array(priors.iter().map(get));
    batch(
        vec![
            ("campaign", string_array(priors.iter().map(|p| &p.campaign))),
            ("channel", string_array(priors.iter().map(|p| &p.channel))),
            ("metric", string_array(priors.iter().map(|p| &p.metric))),
            ("start", time_array(priors.iter().map(|p| p.start))),
            ("end", time_array(priors.iter().map(|p| p.end))),
            (
                "method",
                string_array(priors.iter().map(|p| p.method.as_str())),
            ),
            ("effect", f(|p| p.effect)),
            ("std_error", f(|p| p.std_error)),
            ("ci_low", f(|p| p.ci_low)),
            ("ci_high", f(|p| p.ci_high)),
            ("confidence", f(|p| p.confidence)),
            ("spend", f(|p| p.spend)),
            ("roi", f(|p| p.roi)),
            ("roi_std_error", f(|p| p.roi_std_error)),
            (
                "exposed_units",
                counts(priors.iter().map(|p| p.exposed_units), "exposed_units")?,
            ),
            (
                "control_units",
                counts(priors.iter().map(|p| p.control_units), "control_units")?,
            ),
        ],
        HashMap::new(),
    )
}
