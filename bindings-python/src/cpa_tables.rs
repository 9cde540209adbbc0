//! Arrow in and out for CPA merge: Everflow, Redtrack and mapping tables read row by row into
//! the core's validated tables (every row that cannot be converted is reported, never
//! dropped), and the merged rows, summaries, leaderboards and the readers' tables written as
//! Arrow with `decimal128` money.
//!
//! Only conversion: every rule about the data lives in [`ces::cpa`].
//!
//! Money cells convert exactly: `decimal128`/`decimal256` from their integer and scale,
//! strings through [`parse_money`], integers as they are, and floats through their shortest
//! round-trip text (Rust's `{}`: `0.1` → `"0.1"`, `0.30000000000000004` → itself), which is
//! what a JSON document would have said; NaN and infinities are rejected.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampSecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use ces::CesError;
use ces::cpa::{
    CPA_SCALE, Date, DateTime, Decimal, EverflowRow, EverflowTable, Input, LeaderboardRow,
    MAPPING_COLUMNS, Mapping, MappingRecord, PerformanceTable, ReadOptions, ReportZone, RowIssue,
    Segment, SpendRow, SpendTable, Summary, Utc, everflow_date, parse_date_text, parse_money,
};

use crate::error::{Error, Result};
use crate::tables::Table;

/// Arrow's 256-bit integer (the native type of `decimal256`).
type I256 = <Decimal256Type as ArrowPrimitiveType>::Native;

/// Precision of every money column written (the widest `decimal128`).
const MONEY_PRECISION: u8 = 38;

// ----------------------------------------------------------------------------------------
// Cells.

/// One non-null cell of an input column, as Arrow holds it.
#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    Int(i64),
    UInt(u64),
    Float(f64),
    Float32(f32),
    Text(&'a str),
    /// A decimal's unscaled integer and its scale.
    Decimal(I256, i8),
    /// A `decimal128` cell (the common case, without widening to 256 bits).
    Decimal128(i128, i8),
    Date(Date),
    /// A timestamp with a time zone: an instant (seconds, nanoseconds since the epoch).
    Instant(i64, u32),
    /// A timestamp without a time zone: wall-clock time (seconds, nanoseconds).
    Local(i64, u32),
    /// A date or timestamp outside the representable range (the raw number).
    OutOfRange(i64),
}

impl Value<'_> {
    /// The cell as a person reads it, for issues.
    fn render(&self) -> String {
        match *self {
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Float32(v) => v.to_string(),
            Value::Text(t) => t.to_owned(),
            Value::Decimal(v, s) => decimal_text(v, s),
            Value::Decimal128(v, s) => decimal_text(I256::from_i128(v), s),
            Value::Date(d) => d.to_string(),
            Value::Instant(secs, nanos) => DateTime::<Utc>::from_timestamp(secs, nanos)
                .map_or_else(|| secs.to_string(), |t| t.to_rfc3339()),
            Value::Local(secs, nanos) => DateTime::<Utc>::from_timestamp(secs, nanos)
                .map_or_else(|| secs.to_string(), |t| t.naive_utc().to_string()),
            Value::OutOfRange(v) => v.to_string(),
        }
    }
}

/// `unscaled × 10^-scale` as decimal text (`12345`, 2 → `123.45`).
fn decimal_text(unscaled: I256, scale: i8) -> String {
    let raw = unscaled.to_string();
    let (sign, digits) = match raw.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", raw.as_str()),
    };
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return format!("{sign}{digits}{zeros}");
    }
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// The decimal `unscaled × 10^-scale`, exactly, or `None` when it does not fit
/// [`Decimal`] (28 digits after removing trailing zeros). The column's scale is kept when
/// the value fits with it (`7825.50` stays `7825.50`, as in JSON); otherwise trailing zeros
/// go (`decimal128(38, 30)` 1.5 is 1.5).
fn decimal_of(unscaled: I256, scale: i8) -> Option<Decimal> {
    let ten = I256::from_i128(10);
    let mut v = unscaled;
    let mut scale = i32::from(scale);
    while scale < 0 {
        v = v.checked_mul(ten)?;
        scale += 1;
    }
    let mut reduced = false;
    loop {
        if let (Ok(s), Some(m)) = (u32::try_from(scale), v.to_i128())
            && let Ok(d) = Decimal::try_from_i128_with_scale(m, s)
        {
            return Some(if reduced { d.normalize() } else { d });
        }
        reduced = true;
        if scale == 0 || v.checked_rem(ten)? != I256::ZERO {
            return None;
        }
        v = v.checked_div(ten)?;
        scale -= 1;
    }
}

/// Seconds and nanoseconds of a timestamp in `unit`.
fn split_timestamp(v: i64, unit: TimeUnit) -> (i64, u32) {
    let (per_second, nanos_per_unit) = match unit {
        TimeUnit::Second => (1, 1_000_000_000),
        TimeUnit::Millisecond => (1_000, 1_000_000),
        TimeUnit::Microsecond => (1_000_000, 1_000),
        TimeUnit::Nanosecond => (1_000_000_000, 1),
    };
    let nanos = v.rem_euclid(per_second) * nanos_per_unit;
    (v.div_euclid(per_second), u32::try_from(nanos).unwrap_or(0))
}

/// Row `i` of `array` (`None` for a null). The column's type was checked by [`Kind::accepts`].
fn value(array: &dyn Array, i: usize) -> Option<Value<'_>> {
    if array.is_null(i) {
        return None;
    }
    macro_rules! int {
        ($t:ty) => {
            Value::Int(i64::from(array.as_primitive::<$t>().value(i)))
        };
    }
    Some(match array.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => Value::UInt(array.as_primitive::<UInt64Type>().value(i)),
        DataType::Float32 => Value::Float32(array.as_primitive::<Float32Type>().value(i)),
        DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 => Value::Text(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Value::Text(array.as_string::<i64>().value(i)),
        DataType::Utf8View => Value::Text(array.as_string_view().value(i)),
        DataType::Decimal128(_, s) => Value::Decimal(
            I256::from_i128(array.as_primitive::<Decimal128Type>().value(i)),
            *s,
        ),
        DataType::Decimal256(_, s) => {
            Value::Decimal(array.as_primitive::<Decimal256Type>().value(i), *s)
        }
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(i);
            Date::from_epoch_days(days).map_or(Value::OutOfRange(i64::from(days)), Value::Date)
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(i);
            i32::try_from(ms.div_euclid(86_400_000))
                .ok()
                .and_then(Date::from_epoch_days)
                .map_or(Value::OutOfRange(ms), Value::Date)
        }
        DataType::Timestamp(unit, tz) => {
            let raw = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(i),
            };
            let (secs, nanos) = split_timestamp(raw, *unit);
            if DateTime::<Utc>::from_timestamp(secs, nanos).is_none() {
                Value::OutOfRange(raw)
            } else if tz.is_some() {
                Value::Instant(secs, nanos)
            } else {
                Value::Local(secs, nanos)
            }
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let key = match value(dict.keys(), i)? {
                Value::Int(k) => usize::try_from(k).ok()?,
                Value::UInt(k) => usize::try_from(k).ok()?,
                _ => return None,
            };
            if key >= dict.values().len() {
                return None;
            }
            return value(dict.values().as_ref(), key);
        }
        // Not reached: column types are checked before any row is read.
        _ => return None,
    })
}

/// A cell that cannot be converted: its value as text and why.
type Bad = (String, String);

fn missing() -> Bad {
    ("null".into(), "missing".into())
}

/// Text cells (and integers, rendered: ids read from numeric columns).
fn text_of(v: Value<'_>) -> Cow<'_, str> {
    match v {
        Value::Text(t) => Cow::Borrowed(t),
        other => Cow::Owned(other.render()),
    }
}

fn text(v: Option<Value<'_>>) -> std::result::Result<Cow<'_, str>, Bad> {
    v.map(text_of).ok_or_else(missing)
}

/// An integer: integer columns, integral floats and decimals, and integer text.
fn integer(v: Option<Value<'_>>) -> std::result::Result<i64, Bad> {
    let v = v.ok_or_else(missing)?;
    let not = || (v.render(), "not an integer".to_owned());
    match v {
        Value::Int(i) => Ok(i),
        Value::UInt(u) => i64::try_from(u).map_err(|_| not()),
        Value::Float(f) => float_integer(f).ok_or_else(not),
        Value::Float32(f) => float_integer(f64::from(f)).ok_or_else(not),
        Value::Text(t) => t.trim().parse::<i64>().map_err(|_| not()),
        Value::Decimal128(m, s) => decimal_of(I256::from_i128(m), s)
            .map(|d| d.normalize())
            .filter(|d| d.scale() == 0)
            .and_then(|d| i64::try_from(d.mantissa()).ok())
            .ok_or_else(not),
        Value::Decimal(m, s) => decimal_of(m, s)
            .map(|d| d.normalize())
            .filter(|d| d.scale() == 0)
            .and_then(|d| i64::try_from(d.mantissa()).ok())
            .ok_or_else(not),
        _ => Err(not()),
    }
}

fn float_integer(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every integral float below it converts exactly.
    (f.is_finite()
        && f.fract() == 0.0
        && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f))
    .then_some(f as i64)
}

/// A money amount, exactly (see the module documentation for floats).
fn money(v: Option<Value<'_>>) -> std::result::Result<Decimal, Bad> {
    let v = v.ok_or_else(missing)?;
    let from_text = |t: String| parse_money(&t).map_err(|e| (t, e));
    match v {
        Value::Int(i) => Ok(Decimal::from(i)),
        Value::UInt(u) => Ok(Decimal::from(u)),
        Value::Float(f) if !f.is_finite() => Err((v.render(), "not a finite number".into())),
        Value::Float32(f) if !f.is_finite() => Err((v.render(), "not a finite number".into())),
        Value::Float(f) => from_text(f.to_string()),
        Value::Float32(f) => from_text(f.to_string()),
        Value::Text(t) => parse_money(t).map_err(|e| (t.to_owned(), e)),
        // The common case: a scale a decimal has, a mantissa that fits 96 bits.
        Value::Decimal128(m, s) if (0..=28).contains(&s) => {
            Decimal::try_from_i128_with_scale(m, s as u32).or_else(|_| {
                decimal_of(I256::from_i128(m), s).ok_or_else(|| {
                    (
                        v.render(),
                        "not a decimal number that fits 28 digits".to_owned(),
                    )
                })
            })
        }
        Value::Decimal128(m, s) => decimal_of(I256::from_i128(m), s).ok_or_else(|| {
            (
                v.render(),
                "not a decimal number that fits 28 digits".to_owned(),
            )
        }),
        Value::Decimal(m, s) => decimal_of(m, s).ok_or_else(|| {
            (
                v.render(),
                "not a decimal number that fits 28 digits".to_owned(),
            )
        }),
        _ => Err((v.render(), "not a money amount".into())),
    }
}

/// An Everflow report date: a date, `YYYY-MM-DD`, or epoch seconds at 00:00 UTC of the date
/// (as Everflow's API gives it, converted in UTC by [`everflow_date`]).
fn everflow_day(v: Option<Value<'_>>) -> std::result::Result<Date, Bad> {
    let v = v.ok_or_else(missing)?;
    let epoch = |secs: i64| everflow_date(secs).map_err(|e| (v.render(), e));
    match v {
        Value::Date(d) => Ok(d),
        Value::Int(secs) => epoch(secs),
        Value::UInt(u) => epoch(i64::try_from(u).map_err(|_| (v.render(), "out of range".into()))?),
        Value::Text(t) => match t.trim().parse::<i64>() {
            Ok(secs) => epoch(secs),
            Err(_) => Date::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
                (
                    t.to_owned(),
                    "not a date (expected YYYY-MM-DD or epoch seconds at 00:00 UTC)".to_owned(),
                )
            }),
        },
        Value::OutOfRange(_) => Err((v.render(), "out of range".into())),
        _ => Err((v.render(), "not a date".into())),
    }
}

fn instant(secs: i64, nanos: u32) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(secs, nanos)
}

/// A Redtrack report date and the instant it was stamped with (when the cell is one): a
/// date; a timestamp with a time zone or epoch seconds (an instant: its date in `zone`); a
/// timestamp without a time zone (report-zone wall-clock time: its date); or text, read by
/// [`parse_date_text`] as the core's JSON reader reads a `date` field.
fn redtrack_day(v: Value<'_>, zone: &ReportZone) -> std::result::Result<(Date, Option<i64>), Bad> {
    let out_of_range = || (v.render(), "out of range".to_owned());
    match v {
        Value::Date(d) => Ok((d, None)),
        Value::Instant(secs, nanos) => instant(secs, nanos)
            .map(|t| (zone.date_of(t), Some(secs)))
            .ok_or_else(out_of_range),
        Value::Local(secs, nanos) => instant(secs, nanos)
            .map(|t| (t.date_naive(), None))
            .ok_or_else(out_of_range),
        Value::Int(secs) => instant(secs, 0)
            .map(|t| (zone.date_of(t), Some(secs)))
            .ok_or_else(out_of_range),
        Value::UInt(u) => i64::try_from(u)
            .ok()
            .and_then(|secs| instant(secs, 0).map(|t| (zone.date_of(t), Some(secs))))
            .ok_or_else(out_of_range),
        Value::Text(t) => parse_date_text(t, zone).map_err(|e| (t.to_owned(), e)),
        _ => Err((v.render(), "not a date".into())),
    }
}

/// Epoch seconds of a `stamp` cell (a timestamp or an integer).
fn stamp(v: Value<'_>) -> std::result::Result<i64, Bad> {
    match v {
        Value::Int(secs) => Ok(secs),
        Value::Instant(secs, _) | Value::Local(secs, _) => Ok(secs),
        _ => Err((v.render(), "not a timestamp".into())),
    }
}

// ----------------------------------------------------------------------------------------
// Input columns.

/// What a column holds, and so which Arrow types it may have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Money,
    EverflowDate,
    RedtrackDate,
    Stamp,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Text => "an Arrow column of strings (or integers)",
            Kind::Integer => {
                "an Arrow column of integers (or integral floats, decimals or strings)"
            }
            Kind::Money => "an Arrow column of decimals, strings, integers or floats",
            Kind::EverflowDate => {
                "an Arrow column of dates, 'YYYY-MM-DD' strings or epoch seconds at 00:00 UTC"
            }
            Kind::RedtrackDate => {
                "an Arrow column of dates, timestamps, date strings or epoch seconds"
            }
            Kind::Stamp => "an Arrow column of timestamps or epoch seconds",
        }
    }

    fn accepts(self, data_type: &DataType) -> bool {
        match data_type {
            DataType::Null => true,
            DataType::Dictionary(_, values) => self.accepts(values),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => self != Kind::Stamp,
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => true,
            DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => matches!(self, Kind::Integer | Kind::Money),
            DataType::Date32 | DataType::Date64 => {
                matches!(self, Kind::EverflowDate | Kind::RedtrackDate)
            }
            DataType::Timestamp(..) => matches!(self, Kind::RedtrackDate | Kind::Stamp),
            _ => false,
        }
    }
}

/// An input column: its names (the first present is read), the name errors use, what it
/// holds, and whether it is required.
struct Spec {
    names: &'static [&'static str],
    field: &'static str,
    kind: Kind,
    required: bool,
}

const fn spec(
    names: &'static [&'static str],
    field: &'static str,
    kind: Kind,
    required: bool,
) -> Spec {
    Spec {
        names,
        field,
        kind,
        required,
    }
}

const EVERFLOW: [Spec; 11] = [
    spec(&["date"], "everflow.date", Kind::EverflowDate, true),
    spec(
        &["affiliate_id"],
        "everflow.affiliate_id",
        Kind::Integer,
        false,
    ),
    spec(
        &["affiliate_label"],
        "everflow.affiliate_label",
        Kind::Text,
        true,
    ),
    spec(
        &["advertiser_id"],
        "everflow.advertiser_id",
        Kind::Integer,
        true,
    ),
    spec(
        &["advertiser_label"],
        "everflow.advertiser_label",
        Kind::Text,
        false,
    ),
    spec(&["clicks"], "everflow.clicks", Kind::Integer, true),
    spec(
        &["conversions"],
        "everflow.conversions",
        Kind::Integer,
        true,
    ),
    spec(&["revenue"], "everflow.revenue", Kind::Money, true),
    spec(&["payout"], "everflow.payout", Kind::Money, true),
    spec(&["profit"], "everflow.profit", Kind::Money, false),
    spec(&["currency"], "everflow.currency", Kind::Text, false),
];

const REDTRACK: [Spec; 9] = [
    spec(&["date"], "redtrack.date", Kind::RedtrackDate, true),
    spec(&["stamp"], "redtrack.stamp", Kind::Stamp, false),
    spec(&["source_id"], "redtrack.source_id", Kind::Text, true),
    spec(
        &["source_name", "source"],
        "redtrack.source_name",
        Kind::Text,
        false,
    ),
    spec(
        &["source_alias"],
        "redtrack.source_alias",
        Kind::Text,
        false,
    ),
    spec(&["clicks"], "redtrack.clicks", Kind::Integer, true),
    spec(
        &["conversions"],
        "redtrack.conversions",
        Kind::Integer,
        false,
    ),
    spec(&["cost"], "redtrack.cost", Kind::Money, true),
    spec(&["currency"], "redtrack.currency", Kind::Text, false),
];

/// The mapping's columns ([`MAPPING_COLUMNS`]) and an optional `location`.
const MAPPING: [Spec; 8] = [
    spec(
        &[MAPPING_COLUMNS[0]],
        "mapping.redtrack.source",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[1]],
        "mapping.redtrack.source_alias",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[2]],
        "mapping.redtrack.source_id",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[3]],
        "mapping.everflow.affiliate_id",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[4]],
        "mapping.everflow.affiliate_label",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[5]],
        "mapping.everflow.advertiser_id",
        Kind::Text,
        true,
    ),
    spec(
        &[MAPPING_COLUMNS[6]],
        "mapping.everflow.advertiser_label",
        Kind::Text,
        true,
    ),
    spec(&["location"], "mapping.location", Kind::Text, false),
];

/// The schema index of each spec's column (`None`: absent). A missing required column of a
/// table with rows is a `MalformedInputError` naming it; a column of the wrong type a
/// `TypeError` naming it.
fn locate(
    table: &Table,
    input: Input,
    specs: &[Spec],
    required: impl Fn(&Spec) -> bool,
) -> Result<Vec<Option<usize>>> {
    let schema = table.schema();
    let mut out = Vec::with_capacity(specs.len());
    for s in specs {
        let found = s.names.iter().find_map(|n| schema.index_of(n).ok());
        match found {
            Some(i) => {
                let data_type = schema.field(i).data_type();
                if !s.kind.accepts(data_type) {
                    return Err(Error::wrong_column(s.field, s.kind.expected(), data_type));
                }
                out.push(Some(i));
            }
            None if required(s) && table.len() > 0 => {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(CesError::MalformedInput {
                    input: input.name().into(),
                    location: "columns".into(),
                    reason: format!(
                        "no `{}` column (columns: {names:?})",
                        s.names.join("` or `")
                    ),
                }
                .into());
            }
            None => out.push(None),
        }
    }
    Ok(out)
}

/// One located input column, downcast once per batch so reading a cell is a branch, not a
/// type dispatch (the common types have their own variant; the rest go through [`value`]).
enum Col<'a> {
    Int64(&'a arrow_array::Int64Array),
    Decimal128(&'a arrow_array::Decimal128Array, i8),
    Utf8(&'a arrow_array::StringArray),
    Date32(&'a arrow_array::Date32Array),
    Any(&'a dyn Array),
}

impl<'a> Col<'a> {
    fn of(array: &'a dyn Array) -> Col<'a> {
        match array.data_type() {
            DataType::Int64 => Col::Int64(array.as_primitive::<Int64Type>()),
            DataType::Decimal128(_, s) => {
                Col::Decimal128(array.as_primitive::<Decimal128Type>(), *s)
            }
            DataType::Utf8 => Col::Utf8(array.as_string::<i32>()),
            DataType::Date32 => Col::Date32(array.as_primitive::<Date32Type>()),
            _ => Col::Any(array),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<Value<'a>> {
        match self {
            Col::Int64(a) => (!a.is_null(i)).then(|| Value::Int(a.value(i))),
            Col::Decimal128(a, s) => (!a.is_null(i)).then(|| Value::Decimal128(a.value(i), *s)),
            Col::Utf8(a) => (!a.is_null(i)).then(|| Value::Text(a.value(i))),
            Col::Date32(a) => (!a.is_null(i)).then(|| {
                let days = a.value(i);
                Date::from_epoch_days(days).map_or(Value::OutOfRange(i64::from(days)), Value::Date)
            }),
            Col::Any(a) => value(*a, i),
        }
    }
}

/// The located columns of one record batch.
struct Cells<'a>(Vec<Option<Col<'a>>>);

impl<'a> Cells<'a> {
    fn new(batch: &'a RecordBatch, columns: &[Option<usize>]) -> Self {
        Cells(
            columns
                .iter()
                .map(|c| {
                    c.and_then(|i| batch.columns().get(i))
                        .map(|a| Col::of(a.as_ref()))
                })
                .collect(),
        )
    }

    /// Row `row` of located column `k` (`None`: absent column or null cell).
    #[inline]
    fn get(&self, k: usize, row: usize) -> Option<Value<'a>> {
        self.0
            .get(k)
            .and_then(|c| c.as_ref())
            .and_then(|c| c.get(row))
    }
}

fn issue(input: Input, position: u64, field: &str, (value, reason): Bad) -> RowIssue {
    RowIssue {
        input,
        row: position,
        location: location(position),
        field: field.into(),
        value,
        reason,
    }
}

/// Where a person finds row `position` of an Arrow table (zero-based, as Arrow indexes).
fn location(position: u64) -> String {
    format!("row {position}")
}

/// The first issue as an error, for strict reading.
fn strict_failure(strict: bool, issues: &[RowIssue]) -> Result<()> {
    match issues.first() {
        Some(first) if strict => Err(first.to_error().into()),
        _ => Ok(()),
    }
}

/// Everflow daily stats from an Arrow table (columns in [`EVERFLOW`]). A null `profit` is
/// `revenue − payout`; a null `currency` is USD.
pub(crate) fn everflow_from_arrow(table: &Table, strict: bool) -> Result<EverflowTable> {
    let input = Input::Everflow;
    let columns = locate(table, input, &EVERFLOW, |s| s.required)?;
    let n = table.len();
    if !ces::parallel::enabled() || n < 200_000 {
        return everflow_rows(table, &columns, strict, 0, n);
    }
    // Two halves converted at once, then joined in order (positions are the input's).
    let half = n / 2;
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| everflow_rows(table, &columns, false, half, n));
        let first = everflow_rows(table, &columns, false, 0, half);
        (first, second.join())
    });
    let mut out = first?;
    out.append(second.map_err(|_| Error::internal("an Arrow conversion thread panicked"))??);
    strict_failure(strict, &out.issues)?;
    Ok(out)
}

/// Rows `lo..hi` of an Everflow table.
fn everflow_rows(
    table: &Table,
    columns: &[Option<usize>],
    strict: bool,
    lo: usize,
    hi: usize,
) -> Result<EverflowTable> {
    let input = Input::Everflow;
    let mut out = EverflowTable::with_capacity(hi - lo);
    let mut start = 0usize;
    for batch in table.batches() {
        let rows = batch.num_rows();
        let (b_lo, b_hi) = (lo.max(start), hi.min(start + rows));
        let offset = start;
        start += rows;
        if b_lo >= b_hi {
            continue;
        }
        let cells = Cells::new(batch, columns);
        for r in (b_lo - offset)..(b_hi - offset) {
            let pos = (offset + r) as u64;
            let at = |field: &'static str| move |bad: Bad| issue(input, pos, field, bad);
            let parsed = (|| -> std::result::Result<_, RowIssue> {
                let date = everflow_day(cells.get(0, r)).map_err(at("date"))?;
                let affiliate_id = cells.get(1, r).and_then(|v| integer(Some(v)).ok());
                let label = text(cells.get(2, r)).map_err(at("affiliate_label"))?;
                let advertiser_id = integer(cells.get(3, r)).map_err(at("advertiser_id"))?;
                let advertiser_label = cells.get(4, r).map_or(Cow::Borrowed(""), text_of);
                let clicks = integer(cells.get(5, r)).map_err(at("clicks"))?;
                let conversions = integer(cells.get(6, r)).map_err(at("conversions"))?;
                let revenue = money(cells.get(7, r)).map_err(at("revenue"))?;
                let payout = money(cells.get(8, r)).map_err(at("payout"))?;
                // Absent: revenue − payout, derived by the core's table.
                let profit = match cells.get(9, r) {
                    None => None,
                    some => Some(money(some).map_err(at("profit"))?),
                };
                let currency = cells.get(10, r).map(text_of);
                Ok((
                    date,
                    affiliate_id,
                    label,
                    advertiser_id,
                    advertiser_label,
                    (clicks, conversions),
                    (revenue, payout, profit),
                    currency,
                ))
            })();
            match parsed {
                Err(bad) => out.report(bad),
                Ok((
                    date,
                    affiliate_id,
                    label,
                    advertiser_id,
                    advertiser_label,
                    counts,
                    money,
                    currency,
                )) => {
                    let row = EverflowRow {
                        date,
                        affiliate_id,
                        affiliate_label: &label,
                        advertiser_id,
                        advertiser_label: &advertiser_label,
                        clicks: counts.0,
                        conversions: counts.1,
                        revenue: money.0,
                        payout: money.1,
                        profit: money.2,
                        currency: currency.as_deref(),
                    };
                    out.push_or_report(pos, row, || location(pos));
                }
            }
            strict_failure(strict, &out.issues)?;
        }
    }
    Ok(out)
}

/// Redtrack spend from an Arrow table (columns in [`REDTRACK`]). `date` may be absent (or
/// null) when `options.date` is given; a `stamp` column (timestamps or epoch seconds) keeps
/// the instant of stamped records; `source_name` may be called `source`; a null
/// `conversions` is 0, a null `currency` USD.
pub(crate) fn redtrack_from_arrow(table: &Table, options: &ReadOptions) -> Result<SpendTable> {
    let input = Input::Redtrack;
    let columns = locate(table, input, &REDTRACK, |s| {
        s.required && (s.field != "redtrack.date" || options.date.is_none())
    })?;
    let mut out = SpendTable::with_capacity(table.len());
    let mut position = 0u64;
    for batch in table.batches() {
        let cells = Cells::new(batch, &columns);
        for r in 0..batch.num_rows() {
            let pos = position;
            position += 1;
            let at = |field: &'static str| move |bad: Bad| issue(input, pos, field, bad);
            let parsed = (|| -> std::result::Result<_, RowIssue> {
                let source_id = text(cells.get(2, r)).map_err(at("source_id"))?;
                let source_name = cells.get(3, r).map_or(Cow::Borrowed(""), text_of);
                let source_alias = cells.get(4, r).map(text_of);
                let clicks = integer(cells.get(5, r)).map_err(at("clicks"))?;
                let conversions = match cells.get(6, r) {
                    None => 0,
                    some => integer(some).map_err(at("conversions"))?,
                };
                let cost = money(cells.get(7, r)).map_err(at("cost"))?;
                let (date, mut stamped) = match cells.get(0, r) {
                    Some(v) => redtrack_day(v, &options.zone).map_err(at("date"))?,
                    None => (
                        options.date.ok_or_else(|| {
                            at("date")((
                                "null".into(),
                                "missing, and no report date was given".into(),
                            ))
                        })?,
                        None,
                    ),
                };
                if let Some(v) = cells.get(1, r) {
                    stamped = Some(stamp(v).map_err(at("stamp"))?);
                }
                let currency = cells.get(8, r).map(text_of);
                Ok((
                    (date, stamped),
                    source_id,
                    source_name,
                    source_alias,
                    (clicks, conversions),
                    cost,
                    currency,
                ))
            })();
            match parsed {
                Err(bad) => out.report(bad),
                Ok((
                    (date, stamp),
                    source_id,
                    source_name,
                    source_alias,
                    counts,
                    cost,
                    currency,
                )) => {
                    let row = SpendRow {
                        date,
                        stamp,
                        source_id: &source_id,
                        source_name: &source_name,
                        source_alias: source_alias.as_deref(),
                        clicks: counts.0,
                        conversions: counts.1,
                        cost,
                        currency: currency.as_deref(),
                    };
                    out.push_or_report(pos, row, || location(pos));
                }
            }
            strict_failure(options.strict, &out.issues)?;
        }
    }
    Ok(out)
}

/// The mapping from an Arrow table with the dotted columns of [`MAPPING_COLUMNS`] (text or
/// integer cells, nulls allowed) and an optional `location` (where a person finds the row;
/// default `row N`).
pub(crate) fn mapping_from_arrow(table: &Table, strict: bool) -> Result<Mapping> {
    let columns = locate(table, Input::Mapping, &MAPPING, |s| s.required)?;
    let mut out = Mapping::new();
    for batch in table.batches() {
        let cells = Cells::new(batch, &columns);
        for r in 0..batch.num_rows() {
            let cell: Vec<Option<Cow<'_, str>>> =
                (0..7).map(|k| cells.get(k, r).map(text_of)).collect();
            let c = |k: usize| cell.get(k).and_then(|v| v.as_deref());
            let record = MappingRecord {
                source: c(0),
                source_alias: c(1),
                source_id: c(2),
                affiliate_id: c(3),
                affiliate_label: c(4),
                advertiser_id: c(5),
                advertiser_label: c(6),
            };
            let location = cells.get(7, r).map(|v| text_of(v).into_owned());
            out.push(record, location);
            strict_failure(strict, &out.issues)?;
        }
    }
    Ok(out)
}

// ----------------------------------------------------------------------------------------
// Output tables.

/// The smallest number of decimal places (at least 2) that holds every value exactly, as
/// [`PerformanceTable::money_scale`] chooses it for the merged rows.
fn scale_of(values: impl IntoIterator<Item = Decimal>) -> u32 {
    values
        .into_iter()
        .map(|v| v.normalize().scale())
        .fold(2, u32::max)
}

/// Powers of ten that fit an `i128`.
const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// `d` as the unscaled integer of a `decimal128(38, scale)`.
#[inline]
fn at_scale(d: Decimal, scale: u32, field: &str) -> Result<i128> {
    // The common case: the value already has the column's scale (or fewer places), and
    // fits 38 digits once widened.
    if d.scale() <= scale
        && let Some(&f) = POW10.get((scale - d.scale()) as usize)
        && let Some(v) = d.mantissa().checked_mul(f)
        && v.unsigned_abs() < POW10[38] as u128
    {
        return Ok(v);
    }
    let d = if d.scale() > scale { d.normalize() } else { d };
    let unscaled = scale
        .checked_sub(d.scale())
        .and_then(|up| 10i128.checked_pow(up))
        .and_then(|f| d.mantissa().checked_mul(f))
        .filter(|v| v.unsigned_abs() < 10u128.pow(u32::from(MONEY_PRECISION)));
    unscaled.ok_or_else(|| {
        Error::unrepresentable(field, d.to_string(), format!("decimal128(38, {scale})"))
    })
}

fn decimals(
    values: impl IntoIterator<Item = Option<Decimal>>,
    scale: u32,
    field: &str,
) -> Result<ArrayRef> {
    let arrow_scale =
        i8::try_from(scale).map_err(|_| Error::internal("a decimal scale above 127"))?;
    let mut b = Decimal128Builder::new().with_precision_and_scale(MONEY_PRECISION, arrow_scale)?;
    for v in values {
        b.append_option(v.map(|d| at_scale(d, scale, field)).transpose()?);
    }
    Ok(Arc::new(b.finish()))
}

fn money_column(values: &[Decimal], scale: u32, field: &str) -> Result<ArrayRef> {
    decimals(values.iter().copied().map(Some), scale, field)
}

fn cpa_column(values: impl IntoIterator<Item = Option<Decimal>>, field: &str) -> Result<ArrayRef> {
    decimals(values, CPA_SCALE, field)
}

fn dates(values: impl IntoIterator<Item = Date>) -> ArrayRef {
    let mut b = Date32Builder::new();
    for d in values {
        b.append_value(d.to_epoch_days());
    }
    Arc::new(b.finish())
}

/// Counts (`u64`) as `int64`.
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

/// Small counts (`u32`) as `int32`.
fn counts32(values: impl IntoIterator<Item = u32>, field: &str) -> Result<ArrayRef> {
    let mut b = Int32Builder::new();
    for v in values {
        b.append_value(
            i32::try_from(v)
                .map_err(|_| Error::unrepresentable(field, v.to_string(), "int32".into()))?,
        );
    }
    Ok(Arc::new(b.finish()))
}

fn ints<'a>(values: impl IntoIterator<Item = &'a i64>) -> ArrayRef {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_value(*v);
    }
    Arc::new(b.finish())
}

fn strings<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn bools(values: impl IntoIterator<Item = bool>) -> ArrayRef {
    let mut b = BooleanBuilder::new();
    for v in values {
        b.append_value(v);
    }
    Arc::new(b.finish())
}

/// A record batch of `(name, array, nullable)` columns.
fn batch(columns: Vec<(String, ArrayRef, bool)>) -> Result<RecordBatch> {
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array, nullable)| Field::new(name, array.data_type().clone(), *nullable))
            .collect::<Vec<_>>(),
    );
    let arrays = columns.into_iter().map(|(_, array, _)| array).collect();
    Ok(RecordBatch::try_new(Arc::new(schema), arrays)?)
}

fn col(name: &str, array: ArrayRef, nullable: bool) -> (String, ArrayRef, bool) {
    (name.to_owned(), array, nullable)
}

/// `names[i]` for each index (an index out of range is a broken invariant of the core).
fn labels<'a>(indices: &[u32], names: &'a [String]) -> Result<Vec<Option<&'a str>>> {
    indices
        .iter()
        .map(|&i| {
            names
                .get(i as usize)
                .map(|s| Some(s.as_str()))
                .ok_or_else(|| Error::internal("a label index outside the table's names"))
        })
        .collect()
}

/// The merged rows: `date` (date32), `advertiser_id` (int64), `advertiser_label`,
/// `affiliate_label` (utf8), `is_internal` (bool), `everflow_clicks`, `conversions` (int64),
/// `everflow_revenue`, `everflow_payout`, `redtrack_cost`, `cost` (decimal128(38, S) with
/// S = [`PerformanceTable::money_scale`]), `redtrack_clicks` (int64), `cpa`
/// (decimal128(38, 12), null when undefined), `everflow_rows`, `spend_rows` (int32).
pub(crate) fn performance_batch(table: &PerformanceTable) -> Result<RecordBatch> {
    let c = table.columns();
    let s = table.money_scale();
    // The money columns on one thread, the rest on another (when parallelism is on).
    let money = || -> Result<Vec<ArrayRef>> {
        Ok(vec![
            money_column(c.everflow_revenue, s, "everflow_revenue")?,
            money_column(c.everflow_payout, s, "everflow_payout")?,
            money_column(c.redtrack_cost, s, "redtrack_cost")?,
            money_column(c.cost, s, "cost")?,
            cpa_column(c.cpa.iter().copied(), "cpa")?,
        ])
    };
    let rest = || -> Result<Vec<ArrayRef>> {
        Ok(vec![
            dates(c.date.iter().copied()),
            ints(c.advertiser_id),
            strings(labels(c.advertiser_label, c.advertiser_names)?),
            strings(labels(c.affiliate_label, c.affiliate_names)?),
            bools(c.is_internal.iter().copied()),
            counts(c.everflow_clicks.iter().copied(), "everflow_clicks")?,
            counts(c.conversions.iter().copied(), "conversions")?,
            counts(c.redtrack_clicks.iter().copied(), "redtrack_clicks")?,
            counts32(c.everflow_rows.iter().copied(), "everflow_rows")?,
            counts32(c.spend_rows.iter().copied(), "spend_rows")?,
        ])
    };
    let (m, r) = if ces::parallel::enabled() && table.len() > 100_000 {
        std::thread::scope(|scope| {
            let m = scope.spawn(money);
            let r = rest();
            (m.join(), r)
        })
    } else {
        (Ok(money()), rest())
    };
    let mut m = m
        .map_err(|_| Error::internal("an Arrow conversion thread panicked"))??
        .into_iter();
    let mut r = r?.into_iter();
    let next = |it: &mut std::vec::IntoIter<ArrayRef>| {
        it.next()
            .ok_or_else(|| Error::internal("a missing output column"))
    };
    batch(vec![
        col("date", next(&mut r)?, false),
        col("advertiser_id", next(&mut r)?, false),
        col("advertiser_label", next(&mut r)?, false),
        col("affiliate_label", next(&mut r)?, false),
        col("is_internal", next(&mut r)?, false),
        col("everflow_clicks", next(&mut r)?, false),
        col("conversions", next(&mut r)?, false),
        col("everflow_revenue", next(&mut m)?, false),
        col("everflow_payout", next(&mut m)?, false),
        col("redtrack_cost", next(&mut m)?, false),
        col("redtrack_clicks", next(&mut r)?, false),
        col("cost", next(&mut m)?, false),
        col("cpa", next(&mut m)?, true),
        col("everflow_rows", next(&mut r)?, false),
        col("spend_rows", next(&mut r)?, false),
    ])
}

/// Summaries: `period` (utf8), `start` (date32), `advertiser_id` (int64),
/// `advertiser_label`, then for each of `total_`, `internal_` and `external_`: `rows`,
/// `conversions` (int64), `cost`, `revenue`, `payout`, `redtrack_cost`
/// (decimal128(38, `scale`)) and `cpa` (decimal128(38, 12), the ratio of sums).
pub(crate) fn summary_batch(rows: &[Summary], scale: u32) -> Result<RecordBatch> {
    let mut columns = vec![
        col(
            "period",
            strings(rows.iter().map(|r| Some(r.period.name()))),
            false,
        ),
        col("start", dates(rows.iter().map(|r| r.start)), false),
        col(
            "advertiser_id",
            ints(rows.iter().map(|r| &r.advertiser_id)),
            false,
        ),
        col(
            "advertiser_label",
            strings(rows.iter().map(|r| Some(r.advertiser_label.as_str()))),
            false,
        ),
    ];
    type Part = fn(&Summary) -> &Segment;
    let parts: [(&str, Part); 3] = [
        ("total", |r| &r.total),
        ("internal", |r| &r.internal),
        ("external", |r| &r.external),
    ];
    for (prefix, part) in parts {
        let seg: Vec<&Segment> = rows.iter().map(part).collect();
        let name = |n: &str| format!("{prefix}_{n}");
        let money = |n: &str, f: fn(&Segment) -> Decimal| -> Result<(String, ArrayRef, bool)> {
            Ok((
                name(n),
                decimals(seg.iter().map(|g| Some(f(g))), scale, &name(n))?,
                false,
            ))
        };
        columns.push((
            name("rows"),
            counts(seg.iter().map(|g| g.rows), &name("rows"))?,
            false,
        ));
        columns.push((
            name("conversions"),
            counts(seg.iter().map(|g| g.conversions), &name("conversions"))?,
            false,
        ));
        columns.push(money("cost", |g| g.cost)?);
        columns.push(money("revenue", |g| g.revenue)?);
        columns.push(money("payout", |g| g.payout)?);
        columns.push(money("redtrack_cost", |g| g.redtrack_cost)?);
        columns.push((
            name("cpa"),
            cpa_column(seg.iter().map(|g| g.cpa), &name("cpa"))?,
            true,
        ));
    }
    batch(columns)
}

/// The leaderboard: `rank` (int32), `advertiser_id` (int64), `advertiser_label`,
/// `affiliate_label` (utf8), `is_internal` (bool), `days`, `conversions` (int64), `cost`,
/// `revenue` (decimal128(38, `scale`)), `cpa` (decimal128(38, 12)).
pub(crate) fn leaderboard_batch(rows: &[LeaderboardRow], scale: u32) -> Result<RecordBatch> {
    batch(vec![
        col(
            "rank",
            counts32(rows.iter().map(|r| r.rank), "rank")?,
            false,
        ),
        col(
            "advertiser_id",
            ints(rows.iter().map(|r| &r.advertiser_id)),
            false,
        ),
        col(
            "advertiser_label",
            strings(rows.iter().map(|r| Some(r.advertiser_label.as_str()))),
            false,
        ),
        col(
            "affiliate_label",
            strings(rows.iter().map(|r| Some(r.affiliate_label.as_str()))),
            false,
        ),
        col(
            "is_internal",
            bools(rows.iter().map(|r| r.is_internal)),
            false,
        ),
        col("days", counts(rows.iter().map(|r| r.days), "days")?, false),
        col(
            "conversions",
            counts(rows.iter().map(|r| r.conversions), "conversions")?,
            false,
        ),
        col(
            "cost",
            decimals(rows.iter().map(|r| Some(r.cost)), scale, "cost")?,
            false,
        ),
        col(
            "revenue",
            decimals(rows.iter().map(|r| Some(r.revenue)), scale, "revenue")?,
            false,
        ),
        col("cpa", cpa_column(rows.iter().map(|r| r.cpa), "cpa")?, true),
    ])
}

/// Everflow records as the Arrow input table `merge` reads: `date` (date32),
/// `affiliate_id` (int64, nullable), `affiliate_label`, `advertiser_id` (int64),
/// `advertiser_label`, `clicks`, `conversions` (int64), `revenue`, `payout`, `profit`
/// (decimal128(38, S), S the smallest scale holding them exactly, at least 2), `currency`.
pub(crate) fn everflow_batch(table: &EverflowTable) -> Result<RecordBatch> {
    let rows: Vec<EverflowRow<'_>> = table.iter().collect();
    // Rows of a table always carry their profit (given, or derived when pushed).
    let s = scale_of(
        rows.iter()
            .flat_map(|r| [r.revenue, r.payout, r.profit.unwrap_or_default()]),
    );
    let mut affiliate_id = Int64Builder::new();
    for r in &rows {
        affiliate_id.append_option(r.affiliate_id);
    }
    let money = |f: fn(&EverflowRow<'_>) -> Decimal, name: &str| {
        decimals(rows.iter().map(|r| Some(f(r))), s, name)
    };
    batch(vec![
        col("date", dates(rows.iter().map(|r| r.date)), false),
        col("affiliate_id", Arc::new(affiliate_id.finish()), true),
        col(
            "affiliate_label",
            strings(rows.iter().map(|r| Some(r.affiliate_label))),
            false,
        ),
        col(
            "advertiser_id",
            ints(rows.iter().map(|r| &r.advertiser_id)),
            false,
        ),
        col(
            "advertiser_label",
            strings(rows.iter().map(|r| Some(r.advertiser_label))),
            false,
        ),
        col("clicks", ints(rows.iter().map(|r| &r.clicks)), false),
        col(
            "conversions",
            ints(rows.iter().map(|r| &r.conversions)),
            false,
        ),
        col("revenue", money(|r| r.revenue, "revenue")?, false),
        col("payout", money(|r| r.payout, "payout")?, false),
        col(
            "profit",
            money(|r| r.profit.unwrap_or_default(), "profit")?,
            false,
        ),
        col("currency", strings(rows.iter().map(|r| r.currency)), true),
    ])
}

/// Redtrack records as the Arrow input table `merge` reads: `date` (date32), `stamp`
/// (timestamp[s, UTC], null when the record carried a date), `source_id`, `source_name`,
/// `source_alias` (nullable), `clicks`, `conversions` (int64), `cost` (decimal128(38, S)),
/// `currency`.
pub(crate) fn redtrack_batch(table: &SpendTable) -> Result<RecordBatch> {
    let rows: Vec<SpendRow<'_>> = table.iter().collect();
    let s = scale_of(rows.iter().map(|r| r.cost));
    let mut stamps = TimestampSecondBuilder::new().with_timezone("UTC");
    for r in &rows {
        stamps.append_option(r.stamp);
    }
    batch(vec![
        col("date", dates(rows.iter().map(|r| r.date)), false),
        col("stamp", Arc::new(stamps.finish()), true),
        col(
            "source_id",
            strings(rows.iter().map(|r| Some(r.source_id))),
            false,
        ),
        col(
            "source_name",
            strings(rows.iter().map(|r| Some(r.source_name))),
            false,
        ),
        col(
            "source_alias",
            strings(rows.iter().map(|r| r.source_alias)),
            true,
        ),
        col("clicks", ints(rows.iter().map(|r| &r.clicks)), false),
        col(
            "conversions",
            ints(rows.iter().map(|r| &r.conversions)),
            false,
        ),
        col(
            "cost",
            decimals(rows.iter().map(|r| Some(r.cost)), s, "cost")?,
            false,
        ),
        col("currency", strings(rows.iter().map(|r| r.currency)), true),
    ])
}

/// Mapping rows as the Arrow input table `merge` reads: the seven dotted columns of
/// [`MAPPING_COLUMNS`] with every raw cell as it came (nullable text), and `location`.
pub(crate) fn mapping_batch(mapping: &Mapping) -> Result<RecordBatch> {
    let e = mapping.entries();
    let raw: [fn(&ces::cpa::MappingEntry) -> Option<&str>; 7] = [
        |m| m.source.as_deref(),
        |m| m.source_alias.as_deref(),
        |m| m.source_id.as_deref(),
        |m| m.affiliate_id.as_deref(),
        |m| m.affiliate_label.as_deref(),
        |m| m.advertiser_id.as_deref(),
        |m| m.advertiser_label.as_deref(),
    ];
    let mut columns: Vec<(String, ArrayRef, bool)> = MAPPING_COLUMNS
        .iter()
        .zip(raw)
        .map(|(name, f)| col(name, strings(e.iter().map(f)), true))
        .collect();
    columns.push(col(
        "location",
        strings(e.iter().map(|m| Some(m.location.as_str()))),
        false,
    ));
    batch(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_places_the_point() {
        let t = |v: i128, s: i8| decimal_text(I256::from_i128(v), s);
        assert_eq!(t(12345, 2), "123.45");
        assert_eq!(t(-5, 3), "-0.005");
        assert_eq!(t(7, 0), "7");
        assert_eq!(t(7, -2), "700");
    }

    #[test]
    fn decimals_convert_exactly_or_not_at_all() {
        let d = |v: i128, s: i8| decimal_of(I256::from_i128(v), s).map(|d| d.to_string());
        assert_eq!(d(782550, 2).as_deref(), Some("7825.50"));
        assert_eq!(d(15, -2).as_deref(), Some("1500"));
        // 1.5 at scale 30: trailing zeros are dropped to fit.
        assert_eq!(d(15 * 10i128.pow(29), 30).as_deref(), Some("1.5"));
        // 38 significant digits do not fit 28.
        assert_eq!(d(12345678901234567890123456789012345678, 2), None);
    }
}
