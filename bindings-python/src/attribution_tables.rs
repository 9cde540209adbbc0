//! Arrow in and out for attribution: exposure, transaction, window-rule and path tables read
//! into the core's columns, and credits, roll-ups, intervals and reports written as Arrow.
//!
//! Only conversion: every rule about the data lives in [`ces::attribution`]. Two conversions
//! are the binding's own, because the core takes instants: timestamps become microseconds
//! since the epoch, UTC (nanoseconds are floored), and timestamps without a time zone are
//! read as wall-clock times in `assume_zone` by [`local_to_utc`] (PostgreSQL's rule for
//! `timestamp AT TIME ZONE`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, DictionaryArray, GenericListArray, Int32Array,
    OffsetSizeTrait, PrimitiveArray, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use ces::CesError;
pub(crate) use ces::attribution::local_to_utc;
use ces::attribution::{
    Attribution, ChannelCredit, CreditInterval, ExposureColumns, HeuristicReport, Ids, Interaction,
    Labels, MarkovReport, PathTable, RollupRow, TransactionColumns, Tz, WindowRule,
};
use ces::error::Row;

use crate::error::{Error, Result};
use crate::tables::Table;

// ----------------------------------------------------------------------------------------
// Time.

const MICROS: i64 = 1_000_000;

/// `v` in `unit` as microseconds (nanoseconds floored); `None` on overflow.
fn to_micros(v: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => v.checked_mul(MICROS),
        TimeUnit::Millisecond => v.checked_mul(1_000),
        TimeUnit::Microsecond => Some(v),
        TimeUnit::Nanosecond => Some(v.div_euclid(1_000)),
    }
}

/// Parses an IANA zone name (`field` names the argument in the error).
pub(crate) fn zone(name: &str, field: &str) -> Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        CesError::InvalidArgument {
            row: Row(None),
            field: field.into(),
            value: format!("{name:?}"),
            reason: "not an IANA time zone name".into(),
        }
        .into()
    })
}

// ----------------------------------------------------------------------------------------
// Input columns.

/// One input table (`exposures`, `transactions`, `windows.rules`, `paths`).
pub(crate) struct Input<'a> {
    table: &'a Table,
    name: &'static str,
}

/// A located column: its error name (`exposures.start`), type and chunks.
struct Column {
    field: String,
    data_type: DataType,
    chunks: Vec<ArrayRef>,
}

fn missing(field: &str, row: usize) -> Error {
    CesError::MissingValue {
        row: Row(Some(row as u64)),
        field: field.into(),
    }
    .into()
}

fn bad_record(input: &str, row: usize, field: &str, value: String, reason: &str) -> Error {
    CesError::InvalidRecord {
        input: input.into(),
        row: Row(Some(row as u64)),
        field: field.into(),
        value,
        reason: reason.into(),
    }
    .into()
}

fn is_text_type(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_int_type(t: &DataType) -> bool {
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

impl<'a> Input<'a> {
    pub(crate) fn new(table: &'a Table, name: &'static str) -> Self {
        Input { table, name }
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    /// The first of `names` the table has.
    fn find(&self, names: &[&str]) -> Option<Column> {
        let schema = self.table.schema();
        names.iter().find_map(|n| {
            let field = schema.field_with_name(n).ok()?;
            Some(Column {
                field: format!("{}.{n}", self.name),
                data_type: field.data_type().clone(),
                chunks: self.table.column(n)?,
            })
        })
    }

    /// The first of `names` the table has; a `MalformedInputError` naming the table when it
    /// has rows and none of them (`None`: an empty table without the column).
    fn require(&self, names: &[&str]) -> Result<Option<Column>> {
        if let Some(c) = self.find(names) {
            return Ok(Some(c));
        }
        if self.len() == 0 {
            return Ok(None);
        }
        let columns: Vec<&str> = self
            .table
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        Err(CesError::MalformedInput {
            input: self.name.into(),
            location: "columns".into(),
            reason: format!(
                "no `{}` column (columns: {columns:?})",
                names.join("` or `")
            ),
        }
        .into())
    }
}

/// An id or key column before the kinds of both tables are known.
pub(crate) enum IdColumn {
    Int(Vec<i64>),
    Text(Vec<String>),
    /// No rows and no telling type (absent, or of Arrow type `null`).
    Unknown,
}

impl IdColumn {
    fn into_ids(self, like: Option<&IdColumn>) -> Ids {
        match self {
            IdColumn::Int(v) => Ids::Int(v),
            IdColumn::Text(v) => Ids::Text(v),
            IdColumn::Unknown => match like {
                Some(IdColumn::Text(_)) => Ids::Text(Vec::new()),
                _ => Ids::Int(Vec::new()),
            },
        }
    }
}

/// Calls `f(row, value)` for every row of a text column (any string type, or a dictionary
/// of strings; `None` for a null).
fn each_text<'a>(
    c: &'a Column,
    mut f: impl FnMut(usize, Option<&'a str>) -> Result<()>,
) -> Result<()> {
    let mut row = 0usize;
    for chunk in &c.chunks {
        each_text_in(chunk.as_ref(), &c.field, &mut row, &mut f)?;
    }
    Ok(())
}

/// The rows of a plain string column (`None` for a null).
fn plain_texts<'a>(array: &'a dyn Array, field: &str) -> Result<Vec<Option<&'a str>>> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        DataType::Null => vec![None; array.len()],
        other => {
            return Err(Error::wrong_column_named(
                field,
                "an Arrow column of strings (or a dictionary of strings)",
                other,
            ));
        }
    })
}

fn each_text_in<'a>(
    array: &'a dyn Array,
    field: &str,
    row: &mut usize,
    f: &mut impl FnMut(usize, Option<&'a str>) -> Result<()>,
) -> Result<()> {
    let mut emit = |v: Option<&'a str>| -> Result<()> {
        f(*row, v)?;
        *row += 1;
        Ok(())
    };
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().try_for_each(&mut emit),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().try_for_each(&mut emit),
        DataType::Utf8View => array.as_string_view().iter().try_for_each(&mut emit),
        DataType::Null => (0..array.len()).try_for_each(|_| emit(None)),
        DataType::Dictionary(_, values) if is_text_type(values) => {
            let dict = array.as_any_dictionary();
            let texts = plain_texts(dict.values().as_ref(), field)?;
            let keys = dict.keys();
            for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                let v = if keys.is_null(i) {
                    None
                } else {
                    texts.get(k).copied().flatten()
                };
                emit(v)?;
            }
            Ok(())
        }
        other => Err(Error::wrong_column_named(
            field,
            "an Arrow column of strings (or a dictionary of strings)",
            other,
        )),
    }
}

/// Calls `f(row, value)` for every row of an integer column (`None` for a null).
fn each_int(c: &Column, mut f: impl FnMut(usize, Option<i64>) -> Result<()>) -> Result<()> {
    let mut row = 0usize;
    for chunk in &c.chunks {
        let array = chunk.as_ref();
        macro_rules! widen {
            ($t:ty) => {
                for v in array.as_primitive::<$t>().iter() {
                    f(row, v.map(i64::from))?;
                    row += 1;
                }
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
                for v in array.as_primitive::<UInt64Type>().iter() {
                    let v = v
                        .map(|v| {
                            i64::try_from(v).map_err(|_| {
                                Error::from(CesError::InvalidArgument {
                                    row: Row(Some(row as u64)),
                                    field: c.field.clone(),
                                    value: v.to_string(),
                                    reason: "does not fit in int64".into(),
                                })
                            })
                        })
                        .transpose()?;
                    f(row, v)?;
                    row += 1;
                }
            }
            DataType::Null => {
                for _ in 0..array.len() {
                    f(row, None)?;
                    row += 1;
                }
            }
            other => {
                return Err(Error::wrong_column_named(
                    &c.field,
                    "an Arrow column of integers",
                    other,
                ));
            }
        }
    }
    Ok(())
}

/// `array` as a primitive array of `T` (its column's type; a chunk of another type would be
/// a broken invariant of the Arrow stream, reported rather than panicking).
fn chunk_of<T: ArrowPrimitiveType>(array: &dyn Array) -> Result<&PrimitiveArray<T>> {
    array
        .as_primitive_opt::<T>()
        .ok_or_else(|| Error::internal("an Arrow chunk whose type differs from its column's"))
}

/// An id or key column: integers or text; nulls are errors.
fn ids(c: Option<Column>) -> Result<IdColumn> {
    let Some(c) = c else {
        return Ok(IdColumn::Unknown);
    };
    let n: usize = c.chunks.iter().map(|a| a.len()).sum();
    match &c.data_type {
        t if is_int_type(t) => {
            let mut out = Vec::with_capacity(n);
            each_int(&c, |row, v| {
                out.push(v.ok_or_else(|| missing(&c.field, row))?);
                Ok(())
            })?;
            Ok(IdColumn::Int(out))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let mut out = Vec::with_capacity(n);
            each_text(&c, |row, v| {
                out.push(v.ok_or_else(|| missing(&c.field, row))?.to_owned());
                Ok(())
            })?;
            Ok(IdColumn::Text(out))
        }
        DataType::Dictionary(_, values) if is_text_type(values) => {
            let mut out = Vec::with_capacity(n);
            each_text(&c, |row, v| {
                out.push(v.ok_or_else(|| missing(&c.field, row))?.to_owned());
                Ok(())
            })?;
            Ok(IdColumn::Text(out))
        }
        DataType::Null if n == 0 => Ok(IdColumn::Unknown),
        DataType::Null => Err(missing(&c.field, 0)),
        other => Err(Error::wrong_column_named(
            &c.field,
            "an Arrow column of integers or strings",
            other,
        )),
    }
}

/// A fast non-cryptographic hash for interning labels (the core's choice, FxHash; labels
/// come from the caller's own data).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.add(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A text column dictionary-encoded as [`Labels`] (integers are read as their decimal
/// text); nulls are errors. Dictionary columns are interned once per dictionary value.
fn labels(c: Option<Column>) -> Result<Labels> {
    let mut out = Labels::default();
    let Some(c) = c else {
        return Ok(out);
    };
    let mut index: HashMap<String, u32, BuildHasherDefault<Fx>> = HashMap::default();
    let mut intern = |out: &mut Labels, s: &str| -> u32 {
        if let Some(&code) = index.get(s) {
            return code;
        }
        let code = out.values.len() as u32;
        index.insert(s.to_owned(), code);
        out.values.push(s.to_owned());
        code
    };
    if is_int_type(&c.data_type) {
        each_int(&c, |row, v| {
            let v = v.ok_or_else(|| missing(&c.field, row))?;
            let code = intern(&mut out, &v.to_string());
            out.codes.push(code);
            Ok(())
        })?;
        return Ok(out);
    }
    let mut row = 0usize;
    for chunk in &c.chunks {
        let array = chunk.as_ref();
        if let DataType::Dictionary(_, values) = array.data_type()
            && is_text_type(values)
        {
            // Intern the dictionary's values once, then map the keys.
            let dict = array.as_any_dictionary();
            let codes: Vec<Option<u32>> = plain_texts(dict.values().as_ref(), &c.field)?
                .into_iter()
                .map(|v| v.map(|s| intern(&mut out, s)))
                .collect();
            let keys = dict.keys();
            for (i, k) in dict.normalized_keys().into_iter().enumerate() {
                let code = if keys.is_null(i) {
                    None
                } else {
                    codes.get(k).copied().flatten()
                };
                out.codes.push(code.ok_or_else(|| missing(&c.field, row))?);
                row += 1;
            }
            continue;
        }
        // Runs of one value (data sorted by campaign, say) skip the hash lookup.
        let mut last: Option<(&str, u32)> = None;
        each_text_in(array, &c.field, &mut row, &mut |r, v| {
            let v = v.ok_or_else(|| missing(&c.field, r))?;
            let code = match last {
                Some((text, code)) if text == v => code,
                _ => intern(&mut out, v),
            };
            last = Some((v, code));
            out.codes.push(code);
            Ok(())
        })?;
    }
    Ok(out)
}

/// The rows of a numeric column (integers, floats or decimals) as `f64` (`None`: null).
fn numbers(c: &Column) -> Result<Vec<Option<f64>>> {
    let mut out = Vec::with_capacity(c.chunks.iter().map(|a| a.len()).sum());
    for chunk in &c.chunks {
        let array = chunk.as_ref();
        match array.data_type() {
            DataType::Float64 => out.extend(array.as_primitive::<Float64Type>().iter()),
            DataType::Float32 => out.extend(
                array
                    .as_primitive::<Float32Type>()
                    .iter()
                    .map(|v| v.map(f64::from)),
            ),
            DataType::Decimal128(_, scale) => {
                let div = 10f64.powi(i32::from(*scale));
                out.extend(
                    array
                        .as_primitive::<Decimal128Type>()
                        .iter()
                        .map(|v| v.map(|v| v as f64 / div)),
                );
            }
            t if is_int_type(t) || t == &DataType::Null => {
                let one = Column {
                    field: c.field.clone(),
                    data_type: t.clone(),
                    chunks: vec![chunk.clone()],
                };
                each_int(&one, |_, v| {
                    out.push(v.map(|v| v as f64));
                    Ok(())
                })?;
            }
            other => {
                return Err(Error::wrong_column_named(
                    &c.field,
                    "an Arrow column of numbers (floats, integers or decimal128)",
                    other,
                ));
            }
        }
    }
    Ok(out)
}

/// Numbers that must all be present.
fn required_numbers(c: &Column) -> Result<Vec<f64>> {
    numbers(c)?
        .into_iter()
        .enumerate()
        .map(|(row, v)| v.ok_or_else(|| missing(&c.field, row)))
        .collect()
}

/// The rows of a timestamp column as µs since the epoch, UTC (`None`: null). A column
/// without a time zone is read in `assume_zone` ([`local_to_utc`]), or is an
/// `InvalidArgumentError` naming it.
fn times(c: &Column, input: &str, assume_zone: Option<&Tz>) -> Result<Vec<Option<i64>>> {
    let DataType::Timestamp(unit, tz) = &c.data_type else {
        if c.data_type == DataType::Null {
            return Ok(vec![None; c.chunks.iter().map(|a| a.len()).sum()]);
        }
        return Err(Error::wrong_column_named(
            &c.field,
            "an Arrow column of timestamps with a time zone",
            &c.data_type,
        ));
    };
    let local = match (tz, assume_zone) {
        (Some(_), _) => None,
        (None, Some(z)) => Some(z),
        (None, None) => {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: c.field.clone(),
                value: format!("{}", c.data_type),
                reason: "timestamps without a time zone are ambiguous: give the column a \
                         time zone, or pass assume_zone (an IANA name such as \"UTC\") to \
                         read them as wall-clock times there"
                    .into(),
            }
            .into());
        }
    };
    let mut out = Vec::with_capacity(c.chunks.iter().map(|a| a.len()).sum());
    for chunk in &c.chunks {
        let array = chunk.as_ref();
        let raw: Box<dyn Iterator<Item = Option<i64>> + '_> = match unit {
            TimeUnit::Second => Box::new(chunk_of::<TimestampSecondType>(array)?.iter()),
            TimeUnit::Millisecond => Box::new(chunk_of::<TimestampMillisecondType>(array)?.iter()),
            TimeUnit::Microsecond => Box::new(chunk_of::<TimestampMicrosecondType>(array)?.iter()),
            TimeUnit::Nanosecond => Box::new(chunk_of::<TimestampNanosecondType>(array)?.iter()),
        };
        for v in raw {
            let row = out.len();
            let Some(v) = v else {
                out.push(None);
                continue;
            };
            let us = to_micros(v, *unit).and_then(|us| match local {
                Some(z) => local_to_utc(z, us),
                None => Some(us),
            });
            out.push(Some(us.ok_or_else(|| {
                bad_record(
                    input,
                    row,
                    c.field.rsplit('.').next().unwrap_or_default(),
                    v.to_string(),
                    "timestamp out of range",
                )
            })?));
        }
    }
    Ok(out)
}

fn required_times(c: &Column, input: &str, assume_zone: Option<&Tz>) -> Result<Vec<i64>> {
    times(c, input, assume_zone)?
        .into_iter()
        .enumerate()
        .map(|(row, v)| v.ok_or_else(|| missing(&c.field, row)))
        .collect()
}

/// The interactions of a text column (`view`, `engaged_view`, `click`, as
/// [`Interaction::parse`] reads them); an unknown one is an `InvalidRecordError` naming the
/// first row with it.
fn interactions(c: Option<Column>, input: &str) -> Result<Vec<Interaction>> {
    let Some(c) = c else {
        return Ok(Vec::new());
    };
    let field = c.field.clone();
    let text = labels(Some(c))?;
    let parsed: Vec<Option<Interaction>> =
        text.values.iter().map(|v| Interaction::parse(v)).collect();
    text.codes
        .iter()
        .enumerate()
        .map(|(row, &code)| {
            parsed[code as usize].ok_or_else(|| {
                bad_record(
                    input,
                    row,
                    field.rsplit('.').next().unwrap_or_default(),
                    text.values[code as usize].clone(),
                    "unknown interaction (view, engaged_view or click)",
                )
            })
        })
        .collect()
}

/// The exposures' columns, with the id and key kinds still open.
pub(crate) struct RawExposures {
    id: IdColumn,
    key: IdColumn,
    rest: ExposureColumns,
}

/// The transactions' columns, with the id and key kinds still open.
pub(crate) struct RawTransactions {
    id: IdColumn,
    key: IdColumn,
    rest: TransactionColumns,
}

/// Exposures: `id`, `key` (the match key, named by the caller), `start` (or `time`), `end`
/// (optional, nullable), `channel`, `interaction`, `campaign`, `asset`, `cost` (optional,
/// nullable).
pub(crate) fn exposures(
    table: &Table,
    key: &str,
    assume_zone: Option<&Tz>,
) -> Result<RawExposures> {
    let t = Input::new(table, "exposures");
    let (id, key) = (t.require(&["id"])?, t.require(&[key])?);
    let start = t.require(&["start", "time"])?;
    let end = t.find(&["end"]);
    let (channel, interaction) = (t.require(&["channel"])?, t.require(&["interaction"])?);
    let (campaign, asset) = (t.require(&["campaign"])?, t.require(&["asset"])?);
    let cost = t.find(&["cost"]);
    // The columns are independent: large tables convert them at once. Errors are taken in
    // column order, whichever conversion finished first.
    let par = ces::parallel::enabled() && t.len() >= PARALLEL_ROWS;
    let (left, right) = both(
        par,
        || {
            both(
                par,
                || (ids(id), ids(key)),
                || {
                    let start = match &start {
                        Some(c) => required_times(c, t.name, assume_zone),
                        None => Ok(Vec::new()),
                    };
                    let end = end.as_ref().map(|c| times(c, t.name, assume_zone));
                    (start, end)
                },
            )
        },
        || {
            both(
                par,
                || (labels(channel), interactions(interaction, t.name)),
                || {
                    (
                        labels(campaign),
                        labels(asset),
                        cost.as_ref().map(numbers).transpose(),
                    )
                },
            )
        },
    )?;
    let ((ids_, times_), (labels_a, labels_b)) = (left?, right?);
    let (id, key) = (ids_.0?, ids_.1?);
    let start = times_.0?;
    let end = match times_.1 {
        Some(end) => end?,
        None => vec![None; start.len()],
    };
    let (channel, interaction) = (labels_a.0?, labels_a.1?);
    let (campaign, asset, cost) = (labels_b.0?, labels_b.1?, labels_b.2?);
    Ok(RawExposures {
        id,
        key,
        rest: ExposureColumns {
            id: Ids::Int(Vec::new()),
            key: Ids::Int(Vec::new()),
            start,
            end,
            channel,
            interaction,
            campaign,
            asset,
            cost,
        },
    })
}

/// Rows from which a table's columns are converted on several threads.
const PARALLEL_ROWS: usize = 100_000;

/// `(a(), b())`, `b` on another thread when `parallel`.
fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> Result<(A, B)> {
    if !parallel {
        return Ok((a(), b()));
    }
    std::thread::scope(|scope| {
        let b = scope.spawn(b);
        let a = a();
        let b = b
            .join()
            .map_err(|_| Error::internal("an Arrow conversion thread panicked"))?;
        Ok((a, b))
    })
}

/// Transactions: `id`, `key`, `time`, `value`, `units` (optional; 1 each when absent).
pub(crate) fn transactions(
    table: &Table,
    key: &str,
    assume_zone: Option<&Tz>,
) -> Result<RawTransactions> {
    let t = Input::new(table, "transactions");
    let id = ids(t.require(&["id"])?)?;
    let key = ids(t.require(&[key])?)?;
    let time = match t.require(&["time"])? {
        Some(c) => required_times(&c, t.name, assume_zone)?,
        None => Vec::new(),
    };
    let value = match t.require(&["value"])? {
        Some(c) => required_numbers(&c)?,
        None => Vec::new(),
    };
    let units = match t.find(&["units"]) {
        Some(c) => required_numbers(&c)?,
        None => vec![1.0; time.len()],
    };
    Ok(RawTransactions {
        id,
        key,
        rest: TransactionColumns {
            id: Ids::Int(Vec::new()),
            key: Ids::Int(Vec::new()),
            time,
            value,
            units,
        },
    })
}

/// Both tables' columns, the kinds of empty id and key columns taken from the other table.
pub(crate) fn resolve(
    ex: RawExposures,
    tx: RawTransactions,
) -> (ExposureColumns, TransactionColumns) {
    let (mut e, mut t) = (ex.rest, tx.rest);
    e.key = ex.key.into_ids(Some(&tx.key));
    t.key = tx.key.into_ids(Some(&IdColumn::from_ids(&e.key)));
    e.id = ex.id.into_ids(None);
    t.id = tx.id.into_ids(None);
    (e, t)
}

impl IdColumn {
    /// An empty column of the kind of `ids`.
    fn from_ids(ids: &Ids) -> IdColumn {
        match ids {
            Ids::Int(_) => IdColumn::Int(Vec::new()),
            Ids::Text(_) => IdColumn::Text(Vec::new()),
        }
    }
}

/// Window rules from a table: `channel`, `interaction`, `campaign` (text, nullable) and
/// `window_seconds` (integers, or a duration column of whole seconds). A row with a
/// channel is a (channel, interaction) rule; a row with a campaign an override for it
/// (`interaction` null: all three).
pub(crate) fn window_rules(table: &Table) -> Result<Vec<(WindowRule, usize)>> {
    let t = Input::new(table, "windows.rules");
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let mut out = Vec::with_capacity(t.len());
        match t.find(&[name]) {
            Some(c) if is_int_type(&c.data_type) => each_int(&c, |_, v| {
                out.push(v.map(|v| v.to_string()));
                Ok(())
            })?,
            Some(c) => each_text(&c, |_, v| {
                out.push(v.map(str::to_owned));
                Ok(())
            })?,
            None => out.resize(t.len(), None),
        }
        Ok(out)
    };
    let channel = text("channel")?;
    let campaign = text("campaign")?;
    let interaction = text("interaction")?;
    let seconds: Vec<Option<i64>> = match t.require(&["window_seconds"])? {
        None => Vec::new(),
        Some(c) => match &c.data_type {
            DataType::Duration(unit) => {
                let mut out = Vec::with_capacity(t.len());
                for chunk in &c.chunks {
                    let (per, raw): (i64, Vec<Option<i64>>) = match unit {
                        TimeUnit::Second => (
                            1,
                            chunk_of::<arrow_array::types::DurationSecondType>(chunk.as_ref())?
                                .iter()
                                .collect(),
                        ),
                        TimeUnit::Millisecond => (
                            1_000,
                            chunk_of::<arrow_array::types::DurationMillisecondType>(
                                chunk.as_ref(),
                            )?
                            .iter()
                            .collect(),
                        ),
                        TimeUnit::Microsecond => (
                            MICROS,
                            chunk_of::<arrow_array::types::DurationMicrosecondType>(
                                chunk.as_ref(),
                            )?
                            .iter()
                            .collect(),
                        ),
                        TimeUnit::Nanosecond => (
                            1_000_000_000,
                            chunk_of::<arrow_array::types::DurationNanosecondType>(chunk.as_ref())?
                                .iter()
                                .collect(),
                        ),
                    };
                    for v in raw {
                        let row = out.len();
                        out.push(
                            v.map(|v| {
                                if v % per == 0 {
                                    Ok(v / per)
                                } else {
                                    Err(Error::from(CesError::InvalidArgument {
                                        row: Row(Some(row as u64)),
                                        field: c.field.clone(),
                                        value: format!("{v} ({unit:?})"),
                                        reason: "a window is a whole number of seconds".into(),
                                    }))
                                }
                            })
                            .transpose()?,
                        );
                    }
                }
                out
            }
            _ => {
                let mut out = Vec::with_capacity(t.len());
                each_int(&c, |_, v| {
                    out.push(v);
                    Ok(())
                })?;
                out
            }
        },
    };
    let mut rules = Vec::with_capacity(t.len());
    for row in 0..t.len() {
        let secs = seconds
            .get(row)
            .copied()
            .flatten()
            .ok_or_else(|| missing("windows.rules.window_seconds", row))?;
        let window = ces::attribution::Window::seconds(secs).map_err(|e| at_row(e, row))?;
        let inter = interaction.get(row).cloned().flatten();
        let parse_inter = |s: &str| -> Result<Interaction> {
            Interaction::parse(s).ok_or_else(|| {
                CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "windows.rules.interaction".into(),
                    value: format!("{s:?}"),
                    reason: "unknown interaction (view, engaged_view or click)".into(),
                }
                .into()
            })
        };
        let rule = match (
            channel.get(row).cloned().flatten(),
            campaign.get(row).cloned().flatten(),
        ) {
            (Some(ch), None) => WindowRule::Group {
                interaction: parse_inter(
                    inter
                        .as_deref()
                        .ok_or_else(|| missing("windows.rules.interaction", row))?,
                )?,
                channel: ch,
                window,
            },
            (None, Some(cp)) => WindowRule::Campaign {
                campaign: cp,
                interaction: inter.as_deref().map(parse_inter).transpose()?,
                window,
            },
            (ch, cp) => {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "windows.rules".into(),
                    value: format!("channel {ch:?}, campaign {cp:?}"),
                    reason: "a rule names a channel or a campaign (exactly one)".into(),
                }
                .into());
            }
        };
        rules.push((rule, row));
    }
    Ok(rules)
}

/// `err` with `row` set when it has none (a window out of range in row `row` of a rules
/// table).
fn at_row(err: CesError, row: usize) -> CesError {
    match err {
        CesError::InvalidArgument {
            row: Row(None),
            field,
            value,
            reason,
        } => CesError::InvalidArgument {
            row: Row(Some(row as u64)),
            field: format!("windows.rules.{field}"),
            value,
            reason,
        },
        other => other,
    }
}

/// Journeys from a table: `path` (text with channels separated by `sep`, or a list of
/// strings), `conversions`, `nulls` (optional, 0) and `value` (optional, 0).
pub(crate) fn paths(table: &Table, sep: &str) -> Result<PathTable> {
    let t = Input::new(table, "paths");
    let n = t.len();
    let conversions = match t.require(&["conversions"])? {
        Some(c) => required_numbers(&c)?,
        None => Vec::new(),
    };
    let nulls = match t.find(&["nulls"]) {
        Some(c) => required_numbers(&c)?,
        None => vec![0.0; n],
    };
    let value = match t.find(&["value"]) {
        Some(c) => required_numbers(&c)?,
        None => vec![0.0; n],
    };
    let mut out = PathTable::new();
    let Some(path) = t.require(&["path"])? else {
        return Ok(out);
    };
    let push = |out: &mut PathTable, row: usize, steps: &[&str]| -> Result<()> {
        Ok(out.push(steps, conversions[row], nulls[row], value[row])?)
    };
    match &path.data_type {
        DataType::List(_) | DataType::LargeList(_) => {
            let mut row = 0usize;
            for chunk in &path.chunks {
                match chunk.data_type() {
                    DataType::List(_) => {
                        list_paths(chunk.as_list::<i32>(), &path.field, &mut row, |r, s| {
                            push(&mut out, r, s)
                        })?
                    }
                    DataType::LargeList(_) => {
                        list_paths(chunk.as_list::<i64>(), &path.field, &mut row, |r, s| {
                            push(&mut out, r, s)
                        })?
                    }
                    _ => {
                        return Err(Error::internal(
                            "an Arrow chunk whose type differs from its column's",
                        ));
                    }
                }
            }
        }
        _ => {
            let mut texts: Vec<&str> = Vec::with_capacity(n);
            each_text(&path, |row, v| {
                texts.push(v.ok_or_else(|| missing(&path.field, row))?);
                Ok(())
            })?;
            for (row, text) in texts.into_iter().enumerate() {
                out.push_text(text, sep, conversions[row], nulls[row], value[row])?;
            }
        }
    }
    Ok(out)
}

fn list_paths<O: OffsetSizeTrait>(
    lists: &GenericListArray<O>,
    field: &str,
    row: &mut usize,
    mut push: impl FnMut(usize, &[&str]) -> Result<()>,
) -> Result<()> {
    for list in lists.iter() {
        let list = list.ok_or_else(|| missing(field, *row))?;
        let c = Column {
            field: format!("{field}[]"),
            data_type: list.data_type().clone(),
            chunks: vec![list],
        };
        let mut steps: Vec<&str> = Vec::new();
        each_text(&c, |_, v| {
            steps.push(v.ok_or_else(|| missing(&c.field, *row))?);
            Ok(())
        })?;
        push(*row, &steps)?;
        *row += 1;
    }
    Ok(())
}

// ----------------------------------------------------------------------------------------
// Output tables.

/// A record batch of `(name, array, nullable)` columns.
fn batch(columns: Vec<(&str, ArrayRef, bool)>) -> Result<RecordBatch> {
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array, nullable)| Field::new(*name, array.data_type().clone(), *nullable))
            .collect::<Vec<_>>(),
    );
    let arrays = columns.into_iter().map(|(_, array, _)| array).collect();
    Ok(RecordBatch::try_new(Arc::new(schema), arrays)?)
}

/// `ids[rows]`: `int64` for integer ids, `string` for text.
fn id_array(ids: &Ids, rows: &[u32]) -> ArrayRef {
    match ids {
        Ids::Int(v) => {
            let mut b = Int64Builder::with_capacity(rows.len());
            for &r in rows {
                b.append_value(v[r as usize]);
            }
            Arc::new(b.finish())
        }
        Ids::Text(v) => {
            let bytes = rows.iter().map(|&r| v[r as usize].len()).sum();
            let mut b = StringBuilder::with_capacity(rows.len(), bytes);
            for &r in rows {
                b.append_value(&v[r as usize]);
            }
            Arc::new(b.finish())
        }
    }
}

/// A `dictionary<int32, string>` column of `values[codes]`.
fn dictionary(values: &[impl AsRef<str>], codes: Vec<u32>) -> Result<ArrayRef> {
    let keys = codes
        .into_iter()
        .map(|c| i32::try_from(c).map_err(|_| Error::internal("a label code beyond int32")))
        .collect::<Result<Vec<i32>>>()?;
    let values = StringArray::from_iter_values(values.iter().map(AsRef::as_ref));
    Ok(Arc::new(DictionaryArray::try_new(
        Int32Array::from(keys),
        Arc::new(values),
    )?))
}

fn floats(values: impl IntoIterator<Item = f64>) -> ArrayRef {
    let mut b = Float64Builder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

fn counts(values: impl IntoIterator<Item = u64>, field: &str) -> Result<ArrayRef> {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_value(
            i64::try_from(v)
                .map_err(|_| Error::unrepresentable(field, v.to_string(), "int64".into()))?,
        );
    }
    Ok(Arc::new(b.finish()))
}

const INTERACTIONS: [&str; 3] = ["view", "engaged_view", "click"];

/// Credit rows of the models `models` (indices), one after the other: `model`,
/// `transaction_id`, `exposure_id`, `channel`, `interaction`, `campaign`, `asset`
/// (dictionaries of strings), `weight`, `value`, `units` (float64).
pub(crate) fn credits_batch(run: &Attribution, models: &[usize]) -> Result<RecordBatch> {
    let names: Vec<String> = run.models().iter().map(|m| m.name()).collect();
    let n: usize = models.iter().map(|&m| run.credit_len(m)).sum();
    let (mut model, mut tx, mut ex) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut weight, mut value, mut units) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for &m in models {
        for r in run.credits(m) {
            model.push(m as u32);
            tx.push(r.transaction);
            ex.push(r.exposure);
            weight.push(r.weight);
            value.push(r.value);
            units.push(r.units);
        }
    }
    let e = run.exposures().columns();
    let pick = |codes: &[u32]| -> Vec<u32> { ex.iter().map(|&r| codes[r as usize]).collect() };
    let interaction: Vec<u32> = ex
        .iter()
        .map(|&r| e.interaction[r as usize] as u32)
        .collect();
    batch(vec![
        ("model", dictionary(&names, model)?, false),
        (
            "transaction_id",
            id_array(&run.transactions().columns().id, &tx),
            false,
        ),
        ("exposure_id", id_array(&e.id, &ex), false),
        (
            "channel",
            dictionary(&e.channel.values, pick(&e.channel.codes))?,
            false,
        ),
        (
            "interaction",
            dictionary(&INTERACTIONS, interaction)?,
            false,
        ),
        (
            "campaign",
            dictionary(&e.campaign.values, pick(&e.campaign.codes))?,
            false,
        ),
        (
            "asset",
            dictionary(&e.asset.values, pick(&e.asset.codes))?,
            false,
        ),
        ("weight", floats(weight), false),
        ("value", floats(value), false),
        ("units", floats(units), false),
    ])
}

/// The links of model `m`: `transaction_id`, `exposure_id`, `campaign`, `asset` of every
/// credit row with a weight above 0.
pub(crate) fn links_batch(run: &Attribution, m: usize) -> Result<RecordBatch> {
    let (mut tx, mut ex) = (Vec::new(), Vec::new());
    for r in run.credits(m).filter(|r| r.weight > 0.0) {
        tx.push(r.transaction);
        ex.push(r.exposure);
    }
    let e = run.exposures().columns();
    let pick = |codes: &[u32]| -> Vec<u32> { ex.iter().map(|&r| codes[r as usize]).collect() };
    batch(vec![
        (
            "transaction_id",
            id_array(&run.transactions().columns().id, &tx),
            false,
        ),
        ("exposure_id", id_array(&e.id, &ex), false),
        (
            "campaign",
            dictionary(&e.campaign.values, pick(&e.campaign.codes))?,
            false,
        ),
        (
            "asset",
            dictionary(&e.asset.values, pick(&e.asset.codes))?,
            false,
        ),
    ])
}

/// The transactions (in range) without an eligible exposure, in canonical order:
/// `transaction_id`, `time` (timestamp[us, UTC]), `value`, `units`.
pub(crate) fn unattributed_batch(run: &Attribution) -> Result<RecordBatch> {
    let rows: Vec<u32> = run
        .transaction_order()
        .iter()
        .enumerate()
        .filter(|(i, _)| run.touches_of(*i).is_empty())
        .map(|(_, &t)| t)
        .collect();
    let c = run.transactions().columns();
    let mut time = TimestampMicrosecondBuilder::with_capacity(rows.len()).with_timezone("UTC");
    for &r in &rows {
        time.append_value(c.time[r as usize]);
    }
    batch(vec![
        ("transaction_id", id_array(&c.id, &rows), false),
        ("time", Arc::new(time.finish()), false),
        (
            "value",
            floats(rows.iter().map(|&r| c.value[r as usize])),
            false,
        ),
        (
            "units",
            floats(rows.iter().map(|&r| c.units[r as usize])),
            false,
        ),
    ])
}

/// The exposures dropped as duplicates: `exposure_id`, ascending by input row.
pub(crate) fn duplicates_batch(run: &Attribution) -> Result<RecordBatch> {
    batch(vec![(
        "exposure_id",
        id_array(&run.exposures().columns().id, run.duplicate_exposures()),
        false,
    )])
}

/// Roll-up rows: `model`, `group` (string), `unattributed` (bool), `conversions`,
/// `value`, `units` (float64), `touches` (int64), `cost` (float64, nullable).
pub(crate) fn rollup_batch(rows: &[RollupRow]) -> Result<RecordBatch> {
    let mut unattributed = BooleanBuilder::new();
    let mut cost = Float64Builder::new();
    for r in rows {
        unattributed.append_value(r.unattributed);
        cost.append_option(r.cost);
    }
    batch(vec![
        ("model", strings(rows.iter().map(|r| &r.model)), false),
        ("group", strings(rows.iter().map(|r| &r.group)), false),
        ("unattributed", Arc::new(unattributed.finish()), false),
        (
            "conversions",
            floats(rows.iter().map(|r| r.conversions)),
            false,
        ),
        ("value", floats(rows.iter().map(|r| r.value)), false),
        ("units", floats(rows.iter().map(|r| r.units)), false),
        (
            "touches",
            counts(rows.iter().map(|r| r.touches), "touches")?,
            false,
        ),
        ("cost", Arc::new(cost.finish()), true),
    ])
}

/// Bootstrap intervals: `model`, `group` (string), `unattributed` (bool), then
/// `conversions`, `conversions_low`, `conversions_high`, `value`, `value_low`, `value_high`
/// (float64).
pub(crate) fn intervals_batch(rows: &[CreditInterval]) -> Result<RecordBatch> {
    let f = |g: fn(&CreditInterval) -> f64| floats(rows.iter().map(g));
    let mut unattributed = BooleanBuilder::new();
    for r in rows {
        unattributed.append_value(r.unattributed);
    }
    batch(vec![
        ("model", strings(rows.iter().map(|r| &r.model)), false),
        ("group", strings(rows.iter().map(|r| &r.group)), false),
        ("unattributed", Arc::new(unattributed.finish()), false),
        ("conversions", f(|r| r.conversions), false),
        ("conversions_low", f(|r| r.conversions_low), false),
        ("conversions_high", f(|r| r.conversions_high), false),
        ("value", f(|r| r.value), false),
        ("value_low", f(|r| r.value_low), false),
        ("value_high", f(|r| r.value_high), false),
    ])
}

/// A Markov report per channel: `channel`, `removal_effect`, `without`,
/// `global_conversions`, `global_value`, `per_path_conversions`, `per_path_value`.
pub(crate) fn markov_batch(rep: &MarkovReport) -> Result<RecordBatch> {
    let c = |v: &[ChannelCredit], g: fn(&ChannelCredit) -> f64| floats(v.iter().map(g));
    batch(vec![
        ("channel", strings(&rep.channels), false),
        (
            "removal_effect",
            floats(rep.removal_effect.iter().copied()),
            false,
        ),
        ("without", floats(rep.without.iter().copied()), false),
        (
            "global_conversions",
            c(&rep.global, |x| x.conversions),
            false,
        ),
        ("global_value", c(&rep.global, |x| x.value), false),
        (
            "per_path_conversions",
            c(&rep.per_path, |x| x.conversions),
            false,
        ),
        ("per_path_value", c(&rep.per_path, |x| x.value), false),
    ])
}

/// Heuristic credit per channel: `channel`, then `conversions` and `value` of
/// `first_touch_`, `last_touch_`, `linear_` and `position_based_`.
pub(crate) fn heuristics_batch(rep: &HeuristicReport) -> Result<RecordBatch> {
    let c = |v: &[ChannelCredit], g: fn(&ChannelCredit) -> f64| floats(v.iter().map(g));
    batch(vec![
        ("channel", strings(&rep.channels), false),
        (
            "first_touch_conversions",
            c(&rep.first_touch, |x| x.conversions),
            false,
        ),
        ("first_touch_value", c(&rep.first_touch, |x| x.value), false),
        (
            "last_touch_conversions",
            c(&rep.last_touch, |x| x.conversions),
            false,
        ),
        ("last_touch_value", c(&rep.last_touch, |x| x.value), false),
        (
            "linear_conversions",
            c(&rep.linear, |x| x.conversions),
            false,
        ),
        ("linear_value", c(&rep.linear, |x| x.value), false),
        (
            "position_based_conversions",
            c(&rep.position_based, |x| x.conversions),
            false,
        ),
        (
            "position_based_value",
            c(&rep.position_based, |x| x.value),
            false,
        ),
    ])
}

/// Credit per channel: `channel`, `conversions`, `value`.
pub(crate) fn channel_credit_batch(
    channels: &[String],
    credit: &[ChannelCredit],
) -> Result<RecordBatch> {
    batch(vec![
        ("channel", strings(channels), false),
        (
            "conversions",
            floats(credit.iter().map(|x| x.conversions)),
            false,
        ),
        ("value", floats(credit.iter().map(|x| x.value)), false),
    ])
}
