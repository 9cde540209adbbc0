//! Exposure-window attribution (`ces::attribution`) for JavaScript: `attributeSync`,
//! `attributeAsync` and the `Attribution` result (credits, roll-ups, bootstrap intervals,
//! the unattributed bucket, duplicates, Markov and Shapley reports), and the path-level
//! models `markovSync`, `heuristicsSync` and `shapleySync`.
//!
//! This module only converts between JavaScript values and the core's types. Inputs are
//! copied out of JavaScript when the function is called (a value of the wrong JavaScript type
//! for a whole argument throws there, a Node-API error naming it); every cell is converted
//! and checked in the computation (on the libuv thread pool for `attributeAsync`, so its
//! errors reject the promise), and every rule of attribution (eligibility, windows,
//! de-duplication, ties, models, roll-ups) is the core's.
//!
//! Times: a `Date` and a number are epoch milliseconds, a `bigint` is epoch microseconds (the
//! core's unit, exact), a string is ISO 8601 with `Z` or an offset; a string without one is
//! read in `assumeZone` when given and is an error otherwise. Ids and keys are integers
//! (numbers that are safe integers, or bigints) or strings, and come back in the form they
//! came in (see [`IdKind`]).

use std::panic::{AssertUnwindSafe, catch_unwind};

use ces::CesError;
use ces::attribution::local_to_utc;
use ces::attribution::{
    self as lib, AttributionConfig, Dimension, ExposureColumns, ExposureTable, Ids, Interaction,
    Labels, MAX_WINDOW_SECONDS, Model, PathTable, TransactionColumns, TransactionTable, Tz, Window,
    WindowMode, WindowRule, Windows,
};
use ces::cpa::{Date, NaiveTime};
use ces::error::Row;
use napi::bindgen_prelude::{
    Array, AsyncTask, BigInt, BigInt64ArraySlice, Either, Either3, Either5, Either6, Env,
    Float64Array, Float64ArraySlice, FnArgs, Int32ArraySlice, Object, Status, Uint32Array,
    Uint32ArraySlice, Unknown,
};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::{JsDate, JsValue, Task};
use napi_derive::napi;

use crate::error::{self, invalid, to_js};
use crate::{is_safe_integer, show};

// ---------------------------------------------------------------------------------------
// Values copied out of JavaScript
// ---------------------------------------------------------------------------------------

/// One JavaScript value of a row or a column, copied so it can be converted on any thread.
#[derive(Clone, Debug)]
enum Cell {
    /// `null` or `undefined`.
    Missing,
    Number(f64),
    /// A bigint's value and whether it fits an `i64`.
    BigInt(i64, bool),
    Text(String),
    /// A `Date`'s epoch milliseconds (NaN for an invalid date).
    Date(f64),
    /// Any other value: its JavaScript type, for the error message.
    Other(String),
}

/// A cell as Node-API reads it: the types tried in order, anything else last.
pub(crate) type JsCell<'a> = Option<Either5<f64, String, BigInt, JsDate<'a>, Unknown<'a>>>;

impl Cell {
    fn read(value: JsCell<'_>) -> napi::Result<Cell> {
        Ok(match value {
            None => Cell::Missing,
            Some(Either5::A(x)) => Cell::Number(x),
            Some(Either5::B(s)) => Cell::Text(s),
            Some(Either5::C(b)) => {
                let (v, lossless) = b.get_i64();
                Cell::BigInt(v, lossless)
            }
            Some(Either5::D(d)) => Cell::Date(d.value_of()?),
            Some(Either5::E(u)) => Cell::Other(if u.is_array()? {
                "array".to_owned()
            } else {
                // As `typeof` names it.
                u.get_type()?.to_string().to_lowercase()
            }),
        })
    }
}

/// A column: a typed array copied as it is, or cells (an array, or one field of row objects).
enum Column {
    Absent,
    /// `Float64Array`, `Int32Array` or `Uint32Array`.
    Numbers(Vec<f64>),
    /// `BigInt64Array`.
    BigInts(Vec<i64>),
    Cells(Vec<Cell>),
}

/// One value of a column, borrowed.
#[derive(Clone, Copy)]
enum Value<'a> {
    Missing,
    Number(f64),
    BigInt(i64, bool),
    Text(&'a str),
    Date(f64),
    Other(&'a str),
}

impl Column {
    fn len(&self) -> Option<usize> {
        match self {
            Column::Absent => None,
            Column::Numbers(v) => Some(v.len()),
            Column::BigInts(v) => Some(v.len()),
            Column::Cells(v) => Some(v.len()),
        }
    }

    /// Value `i` of a nullable column: in a typed array, which cannot hold `null`, NaN marks
    /// a missing value.
    fn get_nullable(&self, i: usize) -> Value<'_> {
        match self {
            Column::Numbers(v) if v[i].is_nan() => Value::Missing,
            _ => self.get(i),
        }
    }

    fn get(&self, i: usize) -> Value<'_> {
        match self {
            Column::Absent => Value::Missing,
            Column::Numbers(v) => Value::Number(v[i]),
            Column::BigInts(v) => Value::BigInt(v[i], true),
            Column::Cells(v) => match &v[i] {
                Cell::Missing => Value::Missing,
                Cell::Number(x) => Value::Number(*x),
                Cell::BigInt(x, ok) => Value::BigInt(*x, *ok),
                Cell::Text(s) => Value::Text(s),
                Cell::Date(ms) => Value::Date(*ms),
                Cell::Other(t) => Value::Other(t),
            },
        }
    }
}

/// A column as Node-API reads it.
type JsColumn<'a> = Either6<
    Float64ArraySlice<'a>,
    BigInt64ArraySlice<'a>,
    Int32ArraySlice<'a>,
    Uint32ArraySlice<'a>,
    Array<'a>,
    Unknown<'a>,
>;

/// The fields of a table, in a fixed order: (name in errors and by default in JavaScript,
/// alias read when the field is absent).
const EXPOSURE_FIELDS: [(&str, Option<&str>); 9] = [
    ("id", None),
    ("key", None),
    ("start", Some("time")),
    ("end", None),
    ("channel", None),
    ("interaction", None),
    ("campaign", None),
    ("asset", None),
    ("cost", None),
];
const TRANSACTION_FIELDS: [(&str, Option<&str>); 5] = [
    ("id", None),
    ("key", None),
    ("time", None),
    ("value", None),
    ("units", None),
];

/// A table copied out of JavaScript: its name, the JavaScript names of its fields and their
/// columns (in the order of `EXPOSURE_FIELDS` / `TRANSACTION_FIELDS`).
struct RawTable {
    table: &'static str,
    names: Vec<String>,
    columns: Vec<Column>,
}

impl RawTable {
    /// Reads `value` (an array of row objects, or an object of columns). `key` is the
    /// property that holds the match key.
    fn read(
        value: Either<Array<'_>, Object<'_>>,
        table: &'static str,
        fields: &[(&str, Option<&str>)],
        key: &str,
    ) -> error::Result<RawTable> {
        let names: Vec<String> = fields
            .iter()
            .map(|(f, _)| if *f == "key" { key } else { f }.to_owned())
            .collect();
        let columns = match value {
            Either::A(rows) => read_rows(&rows, table, fields, &names)?,
            Either::B(object) => fields
                .iter()
                .zip(&names)
                .map(|((_, alias), name)| {
                    let col = read_column(&object, table, name)?;
                    match (col, alias) {
                        (Column::Absent, Some(alias)) => read_column(&object, table, alias),
                        (col, _) => Ok(col),
                    }
                })
                .collect::<error::Result<Vec<_>>>()?,
        };
        Ok(RawTable {
            table,
            names,
            columns,
        })
    }

    /// The number of rows: the length of `id`, which every other column given must share.
    fn rows(&self) -> ces::Result<usize> {
        let n = self.columns[0].len().ok_or_else(|| self.missing(None, 0))?;
        for (i, col) in self.columns.iter().enumerate().skip(1) {
            if let Some(len) = col.len()
                && len != n
            {
                return Err(CesError::LengthMismatch {
                    left_field: self.qualified(0),
                    left_len: n,
                    right_field: self.qualified(i),
                    right_len: len,
                });
            }
        }
        Ok(n)
    }

    /// `exposures.start`, with the field's JavaScript name.
    fn qualified(&self, field: usize) -> String {
        format!("{}.{}", self.table, self.names[field])
    }

    fn missing(&self, row: Option<usize>, field: usize) -> CesError {
        CesError::MissingValue {
            row: Row(row.map(|r| r as u64)),
            field: self.qualified(field),
        }
    }

    fn bad(&self, row: usize, field: usize, value: String, reason: &str) -> CesError {
        CesError::InvalidRecord {
            input: self.table.to_owned(),
            row: Row(Some(row as u64)),
            field: self.names[field].clone(),
            value,
            reason: reason.to_owned(),
        }
    }
}

fn read_rows(
    rows: &Array<'_>,
    table: &str,
    fields: &[(&str, Option<&str>)],
    names: &[String],
) -> error::Result<Vec<Column>> {
    let n = rows.len() as usize;
    let mut cells: Vec<Vec<Cell>> = (0..fields.len()).map(|_| Vec::with_capacity(n)).collect();
    for i in 0..n {
        let place = || format!("{table}[{i}]");
        let row = match rows.get::<Either<Object<'_>, Unknown<'_>>>(i as u32) {
            Ok(Some(Either::A(row))) => row,
            Ok(_) => {
                return Err(error::napi_to_js(
                    napi::Error::new(Status::ObjectExpected, "expected an object"),
                    &place(),
                ));
            }
            Err(e) => return Err(error::napi_to_js(e, &place())),
        };
        for ((f, (_, alias)), name) in cells.iter_mut().zip(fields).zip(names) {
            let get = |name: &str| {
                row.get::<JsCell<'_>>(name)
                    .and_then(|v| Cell::read(v.flatten()))
                    .map_err(|e| error::napi_to_js(e, &format!("{}.{name}", place())))
            };
            let mut cell = get(name)?;
            if let (Cell::Missing, Some(alias)) = (&cell, alias) {
                cell = get(alias)?;
            }
            f.push(cell);
        }
    }
    Ok(cells.into_iter().map(Column::Cells).collect())
}

fn read_column(object: &Object<'_>, table: &str, name: &str) -> error::Result<Column> {
    let place = || format!("{table}.{name}");
    let col = object
        .get::<JsColumn<'_>>(name)
        .map_err(|e| error::napi_to_js(e, &place()))?;
    Ok(match col {
        None => Column::Absent,
        Some(Either6::A(v)) => Column::Numbers(v.to_vec()),
        Some(Either6::B(v)) => Column::BigInts(v.to_vec()),
        Some(Either6::C(v)) => Column::Numbers(v.iter().map(|&x| f64::from(x)).collect()),
        Some(Either6::D(v)) => Column::Numbers(v.iter().map(|&x| f64::from(x)).collect()),
        Some(Either6::E(array)) => Column::Cells(
            (0..array.len())
                .map(|i| {
                    array
                        .get::<JsCell<'_>>(i)
                        .and_then(|v| Cell::read(v.flatten()))
                        .map_err(|e| error::napi_to_js(e, &format!("{}[{i}]", place())))
                })
                .collect::<error::Result<Vec<_>>>()?,
        ),
        Some(Either6::F(other)) => {
            let ty = other
                .get_type()
                .map_err(|e| error::napi_to_js(e, &place()))?;
            if ty == napi::ValueType::Null {
                Column::Absent
            } else {
                return Err(error::napi_to_js(
                    napi::Error::new(
                        Status::ArrayExpected,
                        format!(
                            "expected an array, a Float64Array, a BigInt64Array, an Int32Array or a Uint32Array, got {ty}"
                        ),
                    ),
                    &place(),
                ));
            }
        }
    })
}

// ---------------------------------------------------------------------------------------
// Conversion of cells (in the computation)
// ---------------------------------------------------------------------------------------

/// How an id or key column came in, and so how it goes out: integers given as numbers come
/// back as numbers (they were safe integers), integers given as bigints (a `BigInt64Array`,
/// or any bigint in the column) come back as bigints, strings as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdKind {
    Number,
    BigInt,
    Text,
}

const ID_REASON: &str = "expected an integer (a safe-integer number or a bigint) or a string";

fn ids(t: &RawTable, field: usize, n: usize) -> ces::Result<(Ids, IdKind)> {
    let col = &t.columns[field];
    match col {
        Column::Absent => return Err(t.missing(None, field)),
        Column::BigInts(v) => return Ok((Ids::Int(v.clone()), IdKind::BigInt)),
        _ => {}
    }
    let mut ints: Vec<i64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut kind: Option<IdKind> = None;
    for i in 0..n {
        let v = col.get(i);
        let (text, int, k) = match v {
            Value::Missing => return Err(t.missing(Some(i), field)),
            Value::Number(x) if is_safe_integer(x) => (None, x as i64, IdKind::Number),
            Value::Number(x) => {
                return Err(t.bad(
                    i,
                    field,
                    show(x),
                    "an integer id must be a safe integer (at most 2^53 - 1 in magnitude); use a bigint or a string",
                ));
            }
            Value::BigInt(x, true) => (None, x, IdKind::BigInt),
            Value::BigInt(..) => {
                return Err(t.bad(
                    i,
                    field,
                    "bigint".into(),
                    "outside the 64-bit integer range",
                ));
            }
            Value::Text(s) => (Some(s), 0, IdKind::Text),
            other => return Err(t.bad(i, field, render(other), ID_REASON)),
        };
        kind = match (kind, k) {
            (None, k) => Some(k),
            (Some(IdKind::Text), IdKind::Text) => Some(IdKind::Text),
            (Some(IdKind::Text), _) | (Some(_), IdKind::Text) => {
                return Err(t.bad(
                    i,
                    field,
                    render(v),
                    "a column mixes strings and integers; use one kind",
                ));
            }
            (Some(IdKind::BigInt), _) | (_, IdKind::BigInt) => Some(IdKind::BigInt),
            (Some(IdKind::Number), IdKind::Number) => Some(IdKind::Number),
        };
        match text {
            Some(s) => texts.push(s.to_owned()),
            None => ints.push(int),
        }
    }
    Ok(match kind {
        Some(IdKind::Text) => (Ids::Text(texts), IdKind::Text),
        Some(k) => (Ids::Int(ints), k),
        None => (Ids::Int(Vec::new()), IdKind::Number),
    })
}

/// A value as an error message shows it (a string as it is: `invalid_record` messages quote
/// their value).
fn render(v: Value<'_>) -> String {
    match v {
        Value::Missing => "null".into(),
        Value::Number(x) => show(x),
        Value::BigInt(x, true) => format!("{x}n"),
        Value::BigInt(..) => "bigint".into(),
        Value::Text(s) => s.to_owned(),
        Value::Date(ms) if ms.is_nan() => "Invalid Date".into(),
        Value::Date(ms) => format!("Date({})", show(ms)),
        Value::Other(t) => format!("a value of type {t}"),
    }
}

/// An IANA zone, for reading time-zone-naive strings (`assumeZone`).
struct Zone {
    tz: Tz,
}

impl Zone {
    fn new(name: &str, field: &str) -> ces::Result<Zone> {
        let tz = name.trim().parse::<Tz>().map_err(|_| {
            invalid(
                None,
                field,
                format!("{name:?}"),
                "not an IANA time zone name",
            )
        })?;
        Ok(Zone { tz })
    }

    /// The instant of a wall-clock time, by the core's rule (PostgreSQL's `AT TIME ZONE`:
    /// the later instant when it happens twice, the offset before the jump in a gap).
    fn instant(&self, date: Date, (h, m, s, us): (u32, u32, u32, u32)) -> Option<i64> {
        let time = NaiveTime::from_hms_micro_opt(h, m, s, us)?;
        local_to_utc(&self.tz, date.and_time(time).and_utc().timestamp_micros())
    }
}

/// The largest `Date` magnitude JavaScript allows, in milliseconds.
const MAX_DATE_MS: f64 = 8.64e15;

const TIME_REASON: &str = "expected a Date, a number (epoch milliseconds), a bigint (epoch microseconds) or an ISO-8601 string";

/// Epoch microseconds of a time value; `Ok(None)` for a missing one.
fn time_of(v: Value<'_>, zone: Option<&Zone>) -> Result<Option<i64>, String> {
    let ms = |x: f64| {
        if x.is_finite() && x.abs() <= MAX_DATE_MS {
            Ok(Some((x * 1000.0).round() as i64))
        } else {
            Err("not a valid time (epoch milliseconds must be finite and within ±8.64e15, as for a Date)".to_owned())
        }
    };
    match v {
        Value::Missing => Ok(None),
        Value::Number(x) | Value::Date(x) => ms(x),
        Value::BigInt(x, true) => Ok(Some(x)),
        Value::BigInt(..) => Err("outside the 64-bit integer range of epoch microseconds".into()),
        Value::Text(s) => iso_instant(s, zone).map(Some),
        Value::Other(_) => Err(TIME_REASON.into()),
    }
}

/// Parses an ISO-8601 date or date-time: `YYYY-MM-DD`, then optionally `T` (or a space)
/// and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff…` (digits past microseconds are dropped), then
/// optionally `Z` or an offset `±HH:MM`, `±HHMM`, `±HH`. Returns the wall-clock date, time
/// (h, m, s, µs) and the offset in seconds when one is written.
#[allow(clippy::type_complexity)]
fn parse_iso(text: &str) -> Option<(Date, (u32, u32, u32, u32), Option<i64>)> {
    let b = text.trim().as_bytes();
    let mut p = 0usize;
    let num = |p: &mut usize, digits: usize| -> Option<u32> {
        let s = b.get(*p..*p + digits)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *p += digits;
        Some(s.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0')))
    };
    let lit = |p: &mut usize, c: &[u8]| -> bool {
        match b.get(*p) {
            Some(x) if c.contains(x) => {
                *p += 1;
                true
            }
            _ => false,
        }
    };
    let year = num(&mut p, 4)?;
    if !lit(&mut p, b"-") {
        return None;
    }
    let month = num(&mut p, 2)?;
    if !lit(&mut p, b"-") {
        return None;
    }
    let day = num(&mut p, 2)?;
    let date = Date::from_ymd_opt(year as i32, month, day)?;
    let mut time = (0, 0, 0, 0);
    let mut offset = None;
    if p < b.len() {
        if !lit(&mut p, b"Tt ") {
            return None;
        }
        time.0 = num(&mut p, 2)?;
        if !lit(&mut p, b":") {
            return None;
        }
        time.1 = num(&mut p, 2)?;
        if lit(&mut p, b":") {
            time.2 = num(&mut p, 2)?;
            if lit(&mut p, b".,") {
                let start = p;
                while p < b.len() && b[p].is_ascii_digit() {
                    p += 1;
                }
                if p == start {
                    return None;
                }
                let digits = &b[start..p.min(start + 6)];
                let mut us = digits
                    .iter()
                    .fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
                for _ in digits.len()..6 {
                    us *= 10;
                }
                time.3 = us;
            }
        }
        if lit(&mut p, b"Zz") {
            offset = Some(0);
        } else if p < b.len() {
            let sign: i64 = if lit(&mut p, b"+") {
                1
            } else if lit(&mut p, b"-") {
                -1
            } else {
                return None;
            };
            let oh = num(&mut p, 2)?;
            let mut om = 0;
            if p < b.len() {
                lit(&mut p, b":");
                om = num(&mut p, 2)?;
            }
            if oh > 23 || om > 59 {
                return None;
            }
            offset = Some(sign * i64::from(oh * 3600 + om * 60));
        }
        if p != b.len() {
            return None;
        }
    }
    Some((date, time, offset))
}

fn iso_instant(text: &str, zone: Option<&Zone>) -> Result<i64, String> {
    let (date, (h, m, s, us), offset) = parse_iso(text).ok_or_else(|| {
        "not an ISO-8601 date-time (expected e.g. 2024-03-10T14:30:00Z or 2024-03-10T14:30:00+01:00)".to_owned()
    })?;
    let time = NaiveTime::from_hms_micro_opt(h, m, s, us)
        .ok_or_else(|| "not a valid time of day".to_owned())?;
    match (offset, zone) {
        (Some(off), _) => Ok(date.and_time(time).and_utc().timestamp_micros() - off * 1_000_000),
        (None, Some(zone)) => zone
            .instant(date, (h, m, s, us))
            .ok_or_else(|| "not a valid time of day".to_owned()),
        (None, None) => Err(
            "time-zone-naive: no `Z` or offset; write one, or pass the `assumeZone` option"
                .to_owned(),
        ),
    }
}

fn times(
    t: &RawTable,
    field: usize,
    n: usize,
    zone: Option<&Zone>,
    required: bool,
) -> ces::Result<Vec<Option<i64>>> {
    let col = &t.columns[field];
    if let Column::BigInts(v) = col {
        return Ok(v.iter().copied().map(Some).collect());
    }
    if required && matches!(col, Column::Absent) {
        return Err(t.missing(None, field));
    }
    (0..n)
        .map(|i| {
            let v = if required {
                col.get(i)
            } else {
                col.get_nullable(i)
            };
            match time_of(v, zone) {
                Ok(None) if required => Err(t.missing(Some(i), field)),
                Ok(x) => Ok(x),
                Err(reason) => Err(t.bad(i, field, render(v), &reason)),
            }
        })
        .collect()
}

fn texts(t: &RawTable, field: usize, n: usize) -> ces::Result<Vec<&str>> {
    let col = &t.columns[field];
    if matches!(col, Column::Absent) {
        return Err(t.missing(None, field));
    }
    (0..n)
        .map(|i| match col.get(i) {
            Value::Text(s) => Ok(s),
            Value::Missing => Err(t.missing(Some(i), field)),
            other => Err(t.bad(i, field, render(other), "expected a string")),
        })
        .collect()
}

fn labels(t: &RawTable, field: usize, n: usize) -> ces::Result<Labels> {
    Ok(Labels::from_strs(texts(t, field, n)?))
}

fn interactions(t: &RawTable, field: usize, n: usize) -> ces::Result<Vec<Interaction>> {
    let values = texts(t, field, n)?;
    values
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Interaction::parse(s).ok_or_else(|| {
                t.bad(
                    i,
                    field,
                    (*s).to_owned(),
                    "expected 'click', 'engaged_view' or 'view' (also 'impression')",
                )
            })
        })
        .collect()
}

/// A number column; `None` for missing cells (the caller decides what that means; NaN in a
/// typed array of a `nullable` column is missing too). Other NaNs and negative numbers pass:
/// the core's tables reject them with their row.
fn numbers(t: &RawTable, field: usize, n: usize, nullable: bool) -> ces::Result<Vec<Option<f64>>> {
    let col = &t.columns[field];
    (0..n)
        .map(|i| {
            match if nullable {
                col.get_nullable(i)
            } else {
                col.get(i)
            } {
                Value::Missing => Ok(None),
                Value::Number(x) => Ok(Some(x)),
                other => Err(t.bad(i, field, render(other), "expected a number")),
            }
        })
        .collect()
}

/// Both tables' match keys must be of one kind; an empty column takes the other's.
fn align_keys(ex: &mut Ids, tx: &mut Ids) {
    match (&*ex, &*tx) {
        (Ids::Int(e), Ids::Text(_)) if e.is_empty() => *ex = Ids::Text(Vec::new()),
        (Ids::Text(_), Ids::Int(t)) if t.is_empty() => *tx = Ids::Text(Vec::new()),
        _ => {}
    }
}

/// How the ids of a run go back to JavaScript.
#[derive(Clone, Copy, Debug)]
struct Kinds {
    exposure_id: IdKind,
    transaction_id: IdKind,
    transaction_key: IdKind,
}

fn exposure_table(t: &RawTable, zone: Option<&Zone>) -> ces::Result<(ExposureColumns, IdKind)> {
    let n = t.rows()?;
    let (id, id_kind) = ids(t, 0, n)?;
    let (key, _) = ids(t, 1, n)?;
    let start = times(t, 2, n, zone, true)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let end = times(t, 3, n, zone, false)?;
    let cost = match &t.columns[8] {
        Column::Absent => None,
        _ => {
            let cost = numbers(t, 8, n, true)?;
            cost.iter().any(Option::is_some).then_some(cost)
        }
    };
    let columns = ExposureColumns {
        id,
        key,
        start,
        end,
        channel: labels(t, 4, n)?,
        interaction: interactions(t, 5, n)?,
        campaign: labels(t, 6, n)?,
        asset: labels(t, 7, n)?,
        cost,
    };
    Ok((columns, id_kind))
}

fn transaction_table(
    t: &RawTable,
    zone: Option<&Zone>,
) -> ces::Result<(TransactionColumns, IdKind, IdKind)> {
    let n = t.rows()?;
    let (id, id_kind) = ids(t, 0, n)?;
    let (key, key_kind) = ids(t, 1, n)?;
    let time = times(t, 2, n, zone, true)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    if matches!(t.columns[3], Column::Absent) {
        return Err(t.missing(None, 3));
    }
    let value = numbers(t, 3, n, false)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| t.missing(Some(i), 3)))
        .collect::<ces::Result<Vec<_>>>()?;
    let units = numbers(t, 4, n, true)?
        .into_iter()
        .map(|u| u.unwrap_or(0.0))
        .collect();
    let columns = TransactionColumns {
        id,
        key,
        time,
        value,
        units,
    };
    Ok((columns, id_kind, key_kind))
}

// ---------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------

/// A model with parameters: `model` names it (any name `models` takes), the other fields
/// override its parameters. Only the parameters of that model may be given.
///
/// ```js
/// { model: 'position_based', first: 0.3, last: 0.5 }
/// { model: 'time_decay', halfLifeSeconds: 3 * 86400, wholeDays: true }
/// { model: 'last_non_excluded', excluded: ['direct', 'retail_pos'] }
/// { model: 'markov', order: 2 }
/// ```
#[napi(object, object_to_js = false)]
pub struct AttributionModelSpec {
    /// The model's name: `last_touch`, `last_click`, `last_non_excluded`, `first_touch`,
    /// `linear`, `position_based` (also `_j`, `_inverse_j`), `time_decay` (also `_days`),
    /// `markov` (also `markov_2` … `markov_4`), `shapley` or `shapley_exact`.
    pub model: String,
    /// Position-based: share of the first touch.
    pub first: Option<f64>,
    /// Position-based: share of the last touch.
    pub last: Option<f64>,
    /// Time decay: the half-life in seconds (default 7 days).
    pub half_life_seconds: Option<f64>,
    /// Time decay: measure the time to the transaction in whole days (calendar days in
    /// calendar mode).
    pub whole_days: Option<bool>,
    /// Last non-excluded: the channels that cannot take the credit (default `['direct']`).
    pub excluded: Option<Vec<String>>,
    /// Markov: the chain's order, 1 to 4.
    pub order: Option<f64>,
}

fn model(spec: &Either<String, AttributionModelSpec>, i: usize) -> ces::Result<Model> {
    let s = match spec {
        Either::A(name) => return name.parse(),
        Either::B(s) => s,
    };
    let mut m: Model = s.model.parse()?;
    let not_for = |param: &str| {
        Err(invalid(
            Some(i),
            "models",
            format!("{param} for {}", s.model.trim()),
            "this parameter does not apply to this model",
        ))
    };
    match &mut m {
        Model::PositionBased { first, last } => {
            *first = s.first.unwrap_or(*first);
            *last = s.last.unwrap_or(*last);
        }
        _ if s.first.is_some() => return not_for("first"),
        _ if s.last.is_some() => return not_for("last"),
        _ => {}
    }
    match &mut m {
        Model::TimeDecay {
            half_life_seconds,
            whole_days,
        } => {
            *half_life_seconds = s.half_life_seconds.unwrap_or(*half_life_seconds);
            *whole_days = s.whole_days.unwrap_or(*whole_days);
        }
        _ if s.half_life_seconds.is_some() => return not_for("halfLifeSeconds"),
        _ if s.whole_days.is_some() => return not_for("wholeDays"),
        _ => {}
    }
    match &mut m {
        Model::LastNonExcluded { excluded } => {
            if let Some(x) = &s.excluded {
                *excluded = x.clone();
            }
        }
        _ if s.excluded.is_some() => return not_for("excluded"),
        _ => {}
    }
    match (&mut m, s.order) {
        (Model::Markov { order }, Some(k)) => {
            if !(is_safe_integer(k) && (1.0..=4.0).contains(&k)) {
                return Err(invalid(
                    Some(i),
                    "order",
                    show(k),
                    "the order must be 1, 2, 3 or 4",
                ));
            }
            *order = k as usize;
        }
        (Model::Markov { .. }, None) => {}
        (_, Some(_)) => return not_for("order"),
        (_, None) => {}
    }
    m.validate()?;
    Ok(m)
}

/// Default windows per interaction; each one given replaces the standard default, `null`
/// removes it (exposures with that interaction then need a rule).
#[napi(object, object_to_js = false)]
pub struct AttributionWindowDefaults {
    /// Clicks (standard: 30 days).
    #[napi(ts_type = "number | string | null")]
    pub click: Option<Option<Either<f64, String>>>,
    /// Views (standard: 1 day).
    #[napi(ts_type = "number | string | null")]
    pub view: Option<Option<Either<f64, String>>>,
    /// Engaged views (standard: 3 days).
    #[napi(ts_type = "number | string | null")]
    pub engaged_view: Option<Option<Either<f64, String>>>,
}

/// A window rule: for a channel and an interaction (`{ channel, interaction, window }`), or
/// for a campaign (`{ campaign, interaction?, window }`, all interactions when omitted),
/// which wins over channel rules.
#[napi(object, object_to_js = false)]
pub struct AttributionWindowRule {
    /// The channel, as in the data.
    pub channel: Option<String>,
    /// The campaign, as in the data.
    pub campaign: Option<String>,
    /// `'click'`, `'engaged_view'` or `'view'`.
    pub interaction: Option<String>,
    /// Seconds, or `'30d'`, `'12h'`, `'90m'`, `'45s'`.
    #[napi(ts_type = "number | string")]
    pub window: Either<f64, String>,
}

/// Windows: the standard defaults (click 30 days, engaged view 3 days, view 1 day), changed
/// by `defaults`, with `rules` on top.
#[napi(object, object_to_js = false)]
pub struct AttributionWindowsSpec {
    /// Defaults per interaction.
    pub defaults: Option<AttributionWindowDefaults>,
    /// Rules per channel or campaign (no two for the same target).
    pub rules: Option<Vec<AttributionWindowRule>>,
}

/// A window: whole seconds, or a whole number with a unit (`d`, `h`, `m`, `s`).
fn window(value: &Either<f64, String>, field: &str) -> ces::Result<Window> {
    let bad = |v: String| {
        invalid(
            None,
            field,
            v,
            "expected whole seconds or a string like '30d', '12h', '90m', '45s'",
        )
    };
    let seconds = match value {
        Either::A(x) if is_safe_integer(*x) => *x as i64,
        Either::A(x) => return Err(bad(show(*x))),
        Either::B(text) => {
            let t = text.trim();
            let unit = match t.chars().last() {
                Some('d') => 86_400,
                Some('h') => 3_600,
                Some('m') => 60,
                Some('s') => 1,
                _ => return Err(bad(format!("{text:?}"))),
            };
            let digits = t[..t.len() - 1].trim();
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(format!("{text:?}")));
            }
            let n: i64 = digits.parse().map_err(|_| bad(format!("{text:?}")))?;
            n.saturating_mul(unit)
        }
    };
    Window::seconds(seconds).map_err(|e| match e {
        CesError::InvalidArgument { value, reason, .. } => invalid(None, field, value, &reason),
        e => e,
    })
}

fn interaction(name: &str, field: &str) -> ces::Result<Interaction> {
    Interaction::parse(name).ok_or_else(|| {
        invalid(
            None,
            field,
            format!("{name:?}"),
            "expected 'click', 'engaged_view' or 'view'",
        )
    })
}

fn windows(spec: &Option<Either<String, AttributionWindowsSpec>>) -> ces::Result<Windows> {
    let spec = match spec {
        None => return Ok(Windows::standard()),
        Some(Either::A(name)) => {
            return match name.trim() {
                "standard" => Ok(Windows::standard()),
                "none" => {
                    let w = Window::seconds(MAX_WINDOW_SECONDS)?;
                    Ok(Interaction::ALL
                        .iter()
                        .fold(Windows::new(), |ws, &i| ws.default_for(i, Some(w))))
                }
                _ => Err(invalid(
                    None,
                    "windows",
                    format!("{name:?}"),
                    "expected 'standard', 'none' or an object with `defaults` and `rules`",
                )),
            };
        }
        Some(Either::B(spec)) => spec,
    };
    let mut ws = Windows::standard();
    if let Some(d) = &spec.defaults {
        for (value, i, field) in [
            (&d.click, Interaction::Click, "windows.defaults.click"),
            (&d.view, Interaction::View, "windows.defaults.view"),
            (
                &d.engaged_view,
                Interaction::EngagedView,
                "windows.defaults.engagedView",
            ),
        ] {
            match value {
                None => {}
                Some(None) => ws = ws.default_for(i, None),
                Some(Some(v)) => ws = ws.default_for(i, Some(window(v, field)?)),
            }
        }
    }
    for (r, rule) in spec.rules.iter().flatten().enumerate() {
        let field = format!("windows.rules[{r}]");
        let w = window(&rule.window, &field)?;
        let inter = rule
            .interaction
            .as_deref()
            .map(|i| interaction(i, &field))
            .transpose()?;
        let rule = match (&rule.channel, &rule.campaign, inter) {
            (Some(channel), None, Some(interaction)) => WindowRule::Group {
                channel: channel.clone(),
                interaction,
                window: w,
            },
            (None, Some(campaign), interaction) => WindowRule::Campaign {
                campaign: campaign.clone(),
                interaction,
                window: w,
            },
            (channel, campaign, _) => {
                return Err(invalid(
                    None,
                    &field,
                    format!(
                        "channel {channel:?}, campaign {campaign:?}, interaction {:?}",
                        rule.interaction
                    ),
                    "a rule has `channel` and `interaction`, or `campaign` (and optionally `interaction`)",
                ));
            }
        };
        ws = ws.rule(rule);
    }
    Ok(ws)
}

/// The progress callback, called through a threadsafe function (never blocking the run).
type Progress =
    ThreadsafeFunction<FnArgs<(f64, f64)>, UnknownReturnValue, FnArgs<(f64, f64)>, Status, false>;

/// Attribution settings; every one is optional.
#[napi(object, object_to_js = false)]
pub struct AttributionOptions<'a> {
    /// The models to compute, all in one pass: names (`'last_touch'`, `'linear'`,
    /// `'markov_2'`, …) or objects with parameters. Names must be distinct. Default: the rule
    /// models `last_touch`, `last_click`, `first_touch`, `linear`, `position_based` (40/20/40)
    /// and `time_decay` (7-day half-life).
    #[napi(ts_type = "Array<string | AttributionModelSpec>")]
    pub models: Option<Vec<Either<String, AttributionModelSpec>>>,
    /// Look-back windows: `'standard'` (default: click 30 days, engaged view 3 days, view 1
    /// day, for every channel), `'none'` (no limit: 10 years, the longest window the core
    /// takes) or an object with `defaults` and `rules`.
    #[napi(ts_type = "'standard' | 'none' | AttributionWindowsSpec")]
    pub windows: Option<Either<String, AttributionWindowsSpec>>,
    /// `'exact'` (default: `T - τ <= W` to the microsecond) or `'calendar'` (calendar days
    /// in `zone`: `date(T) - date(τ) <= W days`; windows must be whole days).
    #[napi(ts_type = "'exact' | 'calendar'")]
    pub mode: Option<String>,
    /// IANA zone of calendar days and of the `'day'` roll-up. Default `'UTC'`.
    pub zone: Option<String>,
    /// IANA zone in which ISO strings without `Z` or an offset are read (inputs and
    /// `range`). Without it such a string is an `invalid_record` error. A wall-clock time that
    /// happens twice takes the later instant; one that does not exist is read with the offset
    /// before the jump (PostgreSQL's `AT TIME ZONE` rule, the same in Python).
    pub assume_zone: Option<String>,
    /// If a transaction has an eligible click, only its clicks are eligible. Default false.
    pub click_beats_view: Option<bool>,
    /// Only transactions with `from <= time < to` are attributed (exposures of any time
    /// still count); others are counted in `summary().outOfRange`.
    #[napi(ts_type = "[Date | number | bigint | string, Date | number | bigint | string]")]
    pub range: Option<Array<'a>>,
    /// The property (rows) or column (columns) holding the match key in both tables.
    /// Default `'key'`.
    pub key: Option<String>,
    /// Called as the run goes with `done` out of `total` (the core's units of work: the
    /// transactions in range), first with `done = 0` and last with `done === total`. Calls are queued
    /// through a threadsafe function and never block the run; they arrive on the event loop,
    /// so with `attributeSync` after it returns, and with `attributeAsync` the last ones may
    /// arrive just after the promise settles. An exception it throws is an uncaught
    /// exception.
    #[napi(ts_type = "(done: number, total: number) => void")]
    pub on_progress: Option<Progress>,
}

/// The settings as given, checked when the run starts.
struct Settings {
    models: Option<Vec<Either<String, AttributionModelSpec>>>,
    windows: Option<Either<String, AttributionWindowsSpec>>,
    mode: Option<String>,
    zone: Option<String>,
    assume_zone: Option<String>,
    click_beats_view: bool,
    range: Option<Vec<Cell>>,
}

impl Settings {
    fn config(&self, assume: Option<&Zone>) -> ces::Result<AttributionConfig> {
        let zone = match &self.zone {
            Some(name) => Zone::new(name, "zone")?.tz,
            None => Tz::UTC,
        };
        let mode = match self.mode.as_deref().map(str::trim) {
            None | Some("exact") => WindowMode::Exact,
            Some("calendar") => WindowMode::CalendarDays(zone),
            Some(other) => {
                return Err(invalid(
                    None,
                    "mode",
                    format!("{other:?}"),
                    "expected 'exact' or 'calendar'",
                ));
            }
        };
        let models = match &self.models {
            None => Model::rules(),
            Some(specs) => specs
                .iter()
                .enumerate()
                .map(|(i, s)| model(s, i))
                .collect::<ces::Result<_>>()?,
        };
        let range = match &self.range {
            None => None,
            Some(cells) if cells.len() == 2 => {
                let mut ends = [0i64; 2];
                for (end, c) in ends.iter_mut().zip(cells) {
                    let v = cell_value(c);
                    *end = match time_of(v, assume) {
                        Ok(Some(t)) => t,
                        Ok(None) => {
                            return Err(CesError::MissingValue {
                                row: Row(None),
                                field: "range".into(),
                            });
                        }
                        Err(reason) => {
                            let shown = match v {
                                Value::Text(s) => format!("{s:?}"),
                                v => render(v),
                            };
                            return Err(invalid(None, "range", shown, &reason));
                        }
                    };
                }
                Some((ends[0], ends[1]))
            }
            Some(cells) => {
                return Err(invalid(
                    None,
                    "range",
                    format!("{} values", cells.len()),
                    "expected [from, to]",
                ));
            }
        };
        Ok(AttributionConfig {
            windows: windows(&self.windows)?.mode(mode),
            models,
            click_beats_view: self.click_beats_view,
            range,
            zone,
        })
    }
}

fn cell_value(c: &Cell) -> Value<'_> {
    match c {
        Cell::Missing => Value::Missing,
        Cell::Number(x) => Value::Number(*x),
        Cell::BigInt(x, ok) => Value::BigInt(*x, *ok),
        Cell::Text(s) => Value::Text(s),
        Cell::Date(ms) => Value::Date(*ms),
        Cell::Other(t) => Value::Other(t),
    }
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// The computation behind `attributeSync` and `attributeAsync`: both tables and the
/// settings, copied out of JavaScript.
pub struct AttributeTask {
    exposures: RawTable,
    transactions: RawTable,
    settings: Settings,
    progress: Option<Progress>,
}

/// The exposures argument as Node-API reads it.
pub(crate) type JsTable<'a> = Either<Array<'a>, Object<'a>>;

impl AttributeTask {
    /// Copies the inputs and settings out of JavaScript. Values of the wrong JavaScript type
    /// for a whole argument, row or column throw here; every cell is checked by
    /// [`AttributeTask::compute`].
    fn new(
        exposures: JsTable<'_>,
        transactions: JsTable<'_>,
        options: Option<AttributionOptions<'_>>,
    ) -> error::Result<Self> {
        let o = options.unwrap_or(AttributionOptions {
            models: None,
            windows: None,
            mode: None,
            zone: None,
            assume_zone: None,
            click_beats_view: None,
            range: None,
            key: None,
            on_progress: None,
        });
        let key = o.key.as_deref().unwrap_or("key");
        let exposures = RawTable::read(exposures, "exposures", &EXPOSURE_FIELDS, key)?;
        let transactions = RawTable::read(transactions, "transactions", &TRANSACTION_FIELDS, key)?;
        let range = match &o.range {
            None => None,
            Some(array) => Some(
                (0..array.len())
                    .map(|i| {
                        array
                            .get::<JsCell<'_>>(i)
                            .and_then(|v| Cell::read(v.flatten()))
                            .map_err(|e| error::napi_to_js(e, &format!("range[{i}]")))
                    })
                    .collect::<error::Result<Vec<_>>>()?,
            ),
        };
        Ok(AttributeTask {
            exposures,
            transactions,
            settings: Settings {
                models: o.models,
                windows: o.windows,
                mode: o.mode,
                zone: o.zone,
                assume_zone: o.assume_zone,
                click_beats_view: o.click_beats_view.unwrap_or(false),
                range,
            },
            progress: o.on_progress,
        })
    }

    /// Checks the settings, converts both tables through the core's validating constructors
    /// and attributes.
    fn compute(&self) -> ces::Result<Attribution> {
        let s = &self.settings;
        let assume = s
            .assume_zone
            .as_deref()
            .map(|z| Zone::new(z, "assumeZone"))
            .transpose()?;
        let config = s.config(assume.as_ref())?;
        let (mut ex, exposure_id) = exposure_table(&self.exposures, assume.as_ref())?;
        let (mut tx, transaction_id, transaction_key) =
            transaction_table(&self.transactions, assume.as_ref())?;
        align_keys(&mut ex.key, &mut tx.key);
        let ex = ExposureTable::new(ex)?;
        let tx = TransactionTable::new(tx)?;
        let mut report = |p: lib::AttributionProgress| {
            if let Some(f) = &self.progress {
                f.call(
                    FnArgs::from((p.done as f64, p.total as f64)),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }
        };
        let inner = lib::attribute_with_progress(ex, tx, &config, &mut report)?;
        Ok(Attribution {
            inner,
            kinds: Kinds {
                exposure_id,
                transaction_id,
                transaction_key,
            },
        })
    }
}

impl Task for AttributeTask {
    type Output = ces::Result<Attribution>;
    type JsValue = Attribution;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let out = catch_unwind(AssertUnwindSafe(|| AttributeTask::compute(self)))
            .map_err(|_| error::panicked("attributeAsync"));
        // Release the progress callback as soon as the run is done, so it keeps nothing
        // alive; calls already queued are still delivered.
        self.progress = None;
        out
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map_err(|e| error::rejection(env, e))
    }
}

/// Attributes transactions to exposures by the core's rules: for a transaction at `T`, the
/// eligible exposures have its match key, start at or before `T`, and `T - τ <= W` (τ the
/// end of a flight, else the start; `W` the exposure's window; both bounds inclusive).
/// Identical exposures count once (the smallest id is kept); recency ties go view < engaged
/// view < click, then id. A transaction with no eligible exposure goes to the unattributed
/// bucket, so that for every model credited + unattributed = totals. Blocks the event loop:
/// prefer `attributeAsync`.
///
/// ```js
/// const run = attributeSync(
///   [{ id: 1, key: 'c1', start: '2025-03-01T10:00:00Z', channel: 'search', interaction: 'click', campaign: 'spring', asset: 'text' }],
///   [{ id: 10, key: 'c1', time: '2025-03-02T09:00:00Z', value: 120 }],
///   { models: ['last_touch', 'linear'] },
/// )
/// run.creditRows('last_touch') // [{ model: 'last_touch', transactionId: 10, exposureId: 1, weight: 1, value: 120, … }]
/// ```
///
/// Each table is an array of row objects or an object of columns (`Float64Array`,
/// `BigInt64Array`, `Int32Array`, `Uint32Array` or arrays). Exposures: `id`, `key`, `start`
/// (or `time`), `end` (optional: a flight's end; null for a point exposure or a running
/// flight), `channel`, `interaction` (`'click'`, `'engaged_view'`, `'view'`), `campaign`,
/// `asset`, `cost` (optional). Transactions: `id`, `key`, `time`, `value`, `units`
/// (optional, 0 when missing). `options.key` renames the key property in both. In a
/// `Float64Array` column of `end`, `cost` or `units`, NaN marks a missing value.
///
/// Times are `Date`s, numbers (epoch milliseconds), bigints (epoch microseconds, exact) or
/// ISO-8601 strings with `Z` or an offset (`'2025-03-01T10:00:00+01:00'`); a string without
/// one is read in `assumeZone`, and is an error without it. Ids and keys are safe-integer
/// numbers, bigints or strings (one kind per column, the same kind of key in both tables).
/// Ids and keys come back as they came: strings as strings, integers as bigints when the
/// column was a `BigInt64Array` or held any bigint, else as numbers.
///
/// Throws `missing_value` for a null or missing required value or column (naming the
/// table, row and field), `invalid_record` for a value of the wrong type, a time-zone-naive
/// ISO string without `assumeZone`, a NaN or negative value, units or cost, an interval that
/// ends before it starts, an exposure without a window; `length_mismatch` for columns of
/// different lengths; `invalid_argument` for bad options (unknown model or zone, repeated
/// model names, conflicting window rules, keys of different kinds in the two tables). A
/// whole argument, row or column of the wrong JavaScript type throws a Node-API error naming
/// it (`exposures[3]`, `transactions.value`).
#[napi(
    catch_unwind,
    ts_args_type = "exposures: Array<AttributionExposureRow & Record<string, unknown>> | AttributionExposureColumns, transactions: Array<AttributionTransactionRow & Record<string, unknown>> | AttributionTransactionColumns, options?: AttributionOptions | undefined | null"
)]
pub fn attribute_sync(
    exposures: JsTable<'_>,
    transactions: JsTable<'_>,
    options: Option<AttributionOptions<'_>>,
) -> error::Result<Attribution> {
    let task = AttributeTask::new(exposures, transactions, options)?;
    task.compute().map_err(to_js)
}

/// `attributeSync` on the libuv thread pool, as a `Promise<Attribution>`. The inputs are
/// copied before the call returns; cells are converted and checked on the pool, so their
/// errors reject. `onProgress`, when given, is called from the event loop while the run
/// goes.
///
/// Rejects with the errors `attributeSync` throws; a whole argument, row or column of the
/// wrong JavaScript type throws at once, before a promise exists.
#[napi(
    ts_args_type = "exposures: Array<AttributionExposureRow & Record<string, unknown>> | AttributionExposureColumns, transactions: Array<AttributionTransactionRow & Record<string, unknown>> | AttributionTransactionColumns, options?: AttributionOptions | undefined | null",
    ts_return_type = "Promise<Attribution>"
)]
pub fn attribute_async(
    exposures: JsTable<'_>,
    transactions: JsTable<'_>,
    options: Option<AttributionOptions<'_>>,
) -> error::Result<AsyncTask<AttributeTask>> {
    Ok(AsyncTask::new(AttributeTask::new(
        exposures,
        transactions,
        options,
    )?))
}

// The shapes of the inputs, for the type declarations only (tables are read field by field,
// with `options.key` naming the key property).

/// One exposure row. Times: `Date`, number (epoch ms), bigint (epoch µs) or ISO-8601 string
/// with `Z` or an offset.
#[napi(object, object_to_js = false)]
pub struct AttributionExposureRow {
    /// Exposure id (orders exact recency ties).
    #[napi(ts_type = "number | bigint | string")]
    pub id: String,
    /// The match key (customer, household, store …); `options.key` names another property.
    #[napi(ts_type = "number | bigint | string")]
    pub key: Option<String>,
    /// When the exposure happened, or a flight started.
    #[napi(ts_type = "Date | number | bigint | string")]
    pub start: Option<String>,
    /// Alias of `start`.
    #[napi(ts_type = "Date | number | bigint | string")]
    pub time: Option<String>,
    /// When a flight ended; null for a point exposure or a flight still running.
    #[napi(ts_type = "Date | number | bigint | string | null")]
    pub end: Option<String>,
    /// Channel.
    pub channel: String,
    /// `'click'`, `'engaged_view'` or `'view'`.
    pub interaction: String,
    /// Campaign.
    pub campaign: String,
    /// Creative asset.
    pub asset: String,
    /// Media cost (rolled up next to credit).
    #[napi(ts_type = "number | null")]
    pub cost: Option<String>,
}

/// One transaction row (one conversion).
#[napi(object, object_to_js = false)]
pub struct AttributionTransactionRow {
    /// Transaction id.
    #[napi(ts_type = "number | bigint | string")]
    pub id: String,
    /// The match key; `options.key` names another property.
    #[napi(ts_type = "number | bigint | string")]
    pub key: Option<String>,
    /// When it happened.
    #[napi(ts_type = "Date | number | bigint | string")]
    pub time: String,
    /// Its value (revenue), finite and >= 0.
    pub value: f64,
    /// Units sold (0 when missing).
    #[napi(ts_type = "number | null")]
    pub units: Option<String>,
}

/// Exposures as columns of equal length.
#[napi(object, object_to_js = false)]
pub struct AttributionExposureColumns {
    /// Ids.
    #[napi(
        ts_type = "BigInt64Array | Float64Array | Int32Array | Uint32Array | Array<number | bigint | string>"
    )]
    pub id: String,
    /// Match keys; `options.key` names another column.
    #[napi(
        ts_type = "BigInt64Array | Float64Array | Int32Array | Uint32Array | Array<number | bigint | string>"
    )]
    pub key: Option<String>,
    /// Starts: `Float64Array` of epoch ms, `BigInt64Array` of epoch µs, or an array of times.
    #[napi(ts_type = "Float64Array | BigInt64Array | Array<Date | number | bigint | string>")]
    pub start: Option<String>,
    /// Alias of `start`.
    #[napi(ts_type = "Float64Array | BigInt64Array | Array<Date | number | bigint | string>")]
    pub time: Option<String>,
    /// Flight ends (null entries for point exposures).
    #[napi(
        ts_type = "Float64Array | BigInt64Array | Array<Date | number | bigint | string | null>"
    )]
    pub end: Option<String>,
    /// Channels.
    pub channel: Vec<String>,
    /// Interactions.
    pub interaction: Vec<String>,
    /// Campaigns.
    pub campaign: Vec<String>,
    /// Assets.
    pub asset: Vec<String>,
    /// Costs.
    #[napi(ts_type = "Float64Array | Array<number | null>")]
    pub cost: Option<String>,
}

/// Transactions as columns of equal length.
#[napi(object, object_to_js = false)]
pub struct AttributionTransactionColumns {
    /// Ids.
    #[napi(
        ts_type = "BigInt64Array | Float64Array | Int32Array | Uint32Array | Array<number | bigint | string>"
    )]
    pub id: String,
    /// Match keys; `options.key` names another column.
    #[napi(
        ts_type = "BigInt64Array | Float64Array | Int32Array | Uint32Array | Array<number | bigint | string>"
    )]
    pub key: Option<String>,
    /// Times: `Float64Array` of epoch ms, `BigInt64Array` of epoch µs, or an array of times.
    #[napi(ts_type = "Float64Array | BigInt64Array | Array<Date | number | bigint | string>")]
    pub time: String,
    /// Values.
    #[napi(ts_type = "Float64Array | Array<number>")]
    pub value: String,
    /// Units (0 when missing).
    #[napi(ts_type = "Float64Array | Array<number | null>")]
    pub units: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

/// An id as JavaScript gets it back.
type JsId = Either3<f64, String, BigInt>;

fn id_of(ids: &Ids, kind: IdKind, row: usize) -> JsId {
    match ids {
        Ids::Int(v) if kind == IdKind::BigInt => Either3::C(BigInt::from(v[row])),
        Ids::Int(v) => Either3::A(v[row] as f64),
        Ids::Text(v) => Either3::B(v[row].clone()),
    }
}

fn count(value: u64) -> f64 {
    value as f64
}

/// Counts and totals of a run. For every model, Σ credited + unattributed = totals.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionSummary {
    /// Transactions attributed (in range).
    pub transactions: f64,
    /// With at least one eligible exposure.
    pub attributed: f64,
    /// With none (the unattributed bucket).
    pub unattributed: f64,
    /// Σ value of the transactions in range.
    pub value: f64,
    /// Σ units of the transactions in range.
    pub units: f64,
    /// Σ value of the unattributed transactions.
    pub unattributed_value: f64,
    /// Σ units of the unattributed transactions.
    pub unattributed_units: f64,
    /// Transactions outside `range`.
    pub out_of_range: f64,
    /// Exposure rows given.
    pub exposures: f64,
    /// Exposures sharing a key with some transaction.
    pub exposures_considered: f64,
    /// Exposures dropped as duplicates (among those considered).
    pub duplicate_exposures: f64,
    /// (transaction, eligible exposure) pairs.
    pub touches: f64,
}

/// Credit rows as columns (one entry per credit row): the rows of `creditRows`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionCredits {
    /// Model name.
    pub model: Vec<String>,
    /// Transaction id (as it came in: number, bigint or string).
    #[napi(ts_type = "Array<number | bigint | string>")]
    pub transaction_id: Vec<JsId>,
    /// Exposure id (as it came in).
    #[napi(ts_type = "Array<number | bigint | string>")]
    pub exposure_id: Vec<JsId>,
    /// Transaction position in the input.
    pub transaction_index: Uint32Array,
    /// Exposure position in the input.
    pub exposure_index: Uint32Array,
    /// The exposure's channel.
    pub channel: Vec<String>,
    /// The exposure's interaction.
    pub interaction: Vec<String>,
    /// The exposure's campaign.
    pub campaign: Vec<String>,
    /// The exposure's asset.
    pub asset: Vec<String>,
    /// Weight in [0, 1]; a transaction's weights sum to 1 under each model.
    pub weight: Float64Array,
    /// `weight × value`.
    pub value: Float64Array,
    /// `weight × units`.
    pub units: Float64Array,
}

/// One credit row.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionCreditRow {
    /// Model name.
    pub model: String,
    /// Transaction id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub transaction_id: JsId,
    /// Exposure id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub exposure_id: JsId,
    /// Transaction position in the input.
    pub transaction_index: u32,
    /// Exposure position in the input.
    pub exposure_index: u32,
    /// Channel.
    pub channel: String,
    /// Interaction.
    #[napi(ts_type = "'click' | 'engaged_view' | 'view'")]
    pub interaction: String,
    /// Campaign.
    pub campaign: String,
    /// Asset.
    pub asset: String,
    /// Weight.
    pub weight: f64,
    /// `weight × value`.
    pub value: f64,
    /// `weight × units`.
    pub units: f64,
}

/// One eligible exposure of a transaction, with a model's weight (0 when the model gives it
/// none).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionLink {
    /// Transaction id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub transaction_id: JsId,
    /// Transaction position in the input.
    pub transaction_index: u32,
    /// Exposure id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub exposure_id: JsId,
    /// Exposure position in the input.
    pub exposure_index: u32,
    /// 1 for the oldest eligible exposure, `touches` for the newest.
    pub position: u32,
    /// Eligible exposures of the transaction.
    pub touches: u32,
    /// Channel.
    pub channel: String,
    /// Interaction.
    #[napi(ts_type = "'click' | 'engaged_view' | 'view'")]
    pub interaction: String,
    /// Weight under the model.
    pub weight: f64,
}

/// A transaction without any eligible exposure.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionUnattributed {
    /// Transaction id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub transaction_id: JsId,
    /// Position in the input.
    pub transaction_index: u32,
    /// Match key (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub key: JsId,
    /// Value.
    pub value: f64,
    /// Units.
    pub units: f64,
}

/// An exposure dropped as identical to another (same key, start, end, channel, interaction,
/// campaign and asset; the smallest id is kept).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionDuplicate {
    /// Exposure id (as it came in).
    #[napi(ts_type = "number | bigint | string")]
    pub exposure_id: JsId,
    /// Position in the input.
    pub exposure_index: u32,
}

/// Credit of one group under one model.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionRollupRow {
    /// Model name.
    pub model: String,
    /// Channel, campaign, asset or day (`YYYY-MM-DD` in `zone`); `'(unattributed)'` for the
    /// bucket (by day: the day, with `unattributed: true`).
    pub group: String,
    /// Is this the unattributed bucket?
    pub unattributed: bool,
    /// Conversions credited (Σ weights; the bucket: transactions).
    pub conversions: f64,
    /// Value credited.
    pub value: f64,
    /// Units credited.
    pub units: f64,
    /// Credit rows in the group.
    pub touches: f64,
    /// Σ cost of the group's exposures (duplicates dropped); null by day, for the bucket and
    /// without costs.
    pub cost: Option<f64>,
}

/// A bootstrap interval on one group's credit under one model.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionInterval {
    /// Model name.
    pub model: String,
    /// Group (`'(unattributed)'` for the bucket).
    pub group: String,
    /// Is this the unattributed bucket?
    pub unattributed: bool,
    /// Credited conversions (the point estimate).
    pub conversions: f64,
    /// Lower bound.
    pub conversions_low: f64,
    /// Upper bound.
    pub conversions_high: f64,
    /// Credited value.
    pub value: f64,
    /// Lower bound.
    pub value_low: f64,
    /// Upper bound.
    pub value_high: f64,
}

/// Bootstrap settings.
#[napi(object, object_to_js = false)]
pub struct AttributionBootstrapOptions {
    /// Replicates, 2 to 100,000. Default 1000.
    pub replicates: Option<f64>,
    /// Seed (a safe integer >= 0 or a bigint below 2^64). Default 0. The intervals depend only
    /// on it and the data, never on the number of threads.
    #[napi(ts_type = "number | bigint")]
    pub seed: Option<Either<f64, BigInt>>,
    /// Confidence level in (0, 1). Default 0.95.
    pub level: Option<f64>,
}

/// Credit of one channel.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionChannelCredit {
    /// Channel.
    pub channel: String,
    /// Conversions credited.
    pub conversions: f64,
    /// Value credited.
    pub value: f64,
}

/// Conversions and value credited.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionCredit {
    /// Conversions.
    pub conversions: f64,
    /// Value.
    pub value: f64,
}

fn credit(c: &lib::ChannelCredit) -> AttributionCredit {
    AttributionCredit {
        conversions: c.conversions,
        value: c.value,
    }
}

/// One channel of a Markov model.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionMarkovChannel {
    /// Channel.
    pub channel: String,
    /// `p₋c`: the conversion probability with every state containing the channel sent to
    /// null.
    pub without: f64,
    /// `1 - p₋c / p` (0 when `p` is 0).
    pub removal_effect: f64,
    /// Global allocation (ChannelAttribution's): `C · RE_c / Σ RE`.
    pub global: AttributionCredit,
    /// Per-path allocation: each journey split over its distinct channels by removal effect.
    pub per_path: AttributionCredit,
}

/// The exact Markov removal-effect model of one order.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionMarkovReport {
    /// Model name (`'markov'`, `'markov_2'` …).
    pub model: String,
    /// Order.
    pub order: u32,
    /// Transient states observed.
    pub states: f64,
    /// `p`: the probability of reaching conversion from the start.
    pub conversion_probability: f64,
    /// Channels, in order of first appearance.
    pub channels: Vec<AttributionMarkovChannel>,
}

fn markov_report(model: String, r: &lib::MarkovReport) -> AttributionMarkovReport {
    AttributionMarkovReport {
        model,
        order: r.order as u32,
        states: r.states as f64,
        conversion_probability: r.conversion_probability,
        channels: r
            .channels
            .iter()
            .enumerate()
            .map(|(c, name)| AttributionMarkovChannel {
                channel: name.clone(),
                without: r.without[c],
                removal_effect: r.removal_effect[c],
                global: credit(&r.global[c]),
                per_path: credit(&r.per_path[c]),
            })
            .collect(),
    }
}

/// One converting channel set of exact Shapley.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionShapleySet {
    /// The channels, in order of first appearance.
    pub channels: Vec<String>,
    /// Conversions of journeys with exactly this set.
    pub conversions: f64,
    /// Journeys (conversions + nulls) with exactly this set.
    pub journeys: f64,
    /// Their value.
    pub value: f64,
    /// Raw Shapley values (aligned with `channels`).
    pub phi: Vec<f64>,
    /// `max(φ, 0)` normalised to sum 1.
    pub shares: Vec<f64>,
}

/// Shapley credit per channel, and for exact Shapley the values per converting channel set.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionShapleyReport {
    /// Credit per channel, in order of first appearance.
    pub channels: Vec<AttributionChannelCredit>,
    /// Exact Shapley: one entry per converting channel set; empty for simplified Shapley.
    pub sets: Vec<AttributionShapleySet>,
}

fn channel_credits(
    channels: &[String],
    credits: &[lib::ChannelCredit],
) -> Vec<AttributionChannelCredit> {
    channels
        .iter()
        .zip(credits)
        .map(|(c, x)| AttributionChannelCredit {
            channel: c.clone(),
            conversions: x.conversions,
            value: x.value,
        })
        .collect()
}

fn shapley_report(r: &lib::ShapleyReport) -> AttributionShapleyReport {
    AttributionShapleyReport {
        channels: channel_credits(&r.channels, &r.credit),
        sets: r
            .sets
            .iter()
            .map(|s| AttributionShapleySet {
                channels: s
                    .channels
                    .iter()
                    .map(|&c| r.channels[c as usize].clone())
                    .collect(),
                conversions: s.conversions,
                journeys: s.journeys,
                value: s.value,
                phi: s.phi.clone(),
                shares: s.shares.clone(),
            })
            .collect(),
    }
}

fn dimension(by: &str) -> error::Result<Dimension> {
    Dimension::parse(by).map_err(to_js)
}

/// The result of `attributeSync` / `attributeAsync`: every transaction's eligible exposures,
/// each model's credit and the data-driven models' reports. Transactions come in the core's
/// canonical order (by match key, time and id within the core's key partitions), which
/// depends neither on the input order nor on the number of threads; `transactionIndex` and
/// `exposureIndex` are positions in the inputs.
#[napi]
pub struct Attribution {
    inner: lib::Attribution,
    kinds: Kinds,
}

impl Attribution {
    /// The model indices `model` selects: all when `None`.
    fn selected(&self, model: Option<&str>) -> error::Result<Vec<usize>> {
        match model {
            None => Ok((0..self.inner.models().len()).collect()),
            Some(name) => Ok(vec![self.inner.model_index(name).map_err(to_js)?]),
        }
    }

    fn transaction_id(&self, row: u32) -> JsId {
        id_of(
            &self.inner.transactions().columns().id,
            self.kinds.transaction_id,
            row as usize,
        )
    }

    fn exposure_id(&self, row: u32) -> JsId {
        id_of(
            &self.inner.exposures().columns().id,
            self.kinds.exposure_id,
            row as usize,
        )
    }
}

#[napi]
impl Attribution {
    /// Counts and totals.
    #[napi(catch_unwind)]
    pub fn summary(&self) -> AttributionSummary {
        let s = self.inner.summary();
        AttributionSummary {
            transactions: count(s.transactions),
            attributed: count(s.attributed),
            unattributed: count(s.unattributed),
            value: s.value,
            units: s.units,
            unattributed_value: s.unattributed_value,
            unattributed_units: s.unattributed_units,
            out_of_range: count(s.out_of_range),
            exposures: count(s.exposures),
            exposures_considered: count(s.exposures_considered),
            duplicate_exposures: count(s.duplicate_exposures),
            touches: count(s.touches),
        }
    }

    /// The models' names, in the order requested (`'position_based'`, `'markov_2'`,
    /// `'time_decay_86400s_days'` …).
    #[napi(catch_unwind)]
    pub fn models(&self) -> Vec<String> {
        self.inner.models().iter().map(Model::name).collect()
    }

    /// Credit rows as columns, for one model or (omitted) every model in turn; within a
    /// model, transactions in canonical order and their exposures oldest first. Unattributed
    /// transactions have no rows (see `unattributed()`).
    ///
    /// Throws `invalid_argument` for a model not computed in this run.
    #[napi(catch_unwind)]
    pub fn credits(&self, model: Option<String>) -> error::Result<AttributionCredits> {
        let ms = self.selected(model.as_deref())?;
        let n: usize = ms.iter().map(|&m| self.inner.credit_len(m)).sum();
        let ex = self.inner.exposures().columns();
        let names: Vec<String> = self.inner.models().iter().map(Model::name).collect();
        let strings = || Vec::with_capacity(n);
        let (mut model, mut channel, mut interaction, mut campaign, mut asset) =
            (strings(), strings(), strings(), strings(), strings());
        let (mut transaction_id, mut exposure_id) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut transaction_index, mut exposure_index) =
            (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut weight, mut value, mut units) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for m in ms {
            for r in self.inner.credits(m) {
                let e = r.exposure as usize;
                model.push(names[m].clone());
                transaction_id.push(self.transaction_id(r.transaction));
                exposure_id.push(self.exposure_id(r.exposure));
                transaction_index.push(r.transaction);
                exposure_index.push(r.exposure);
                channel.push(ex.channel.get(e).to_owned());
                interaction.push(ex.interaction[e].as_str().to_owned());
                campaign.push(ex.campaign.get(e).to_owned());
                asset.push(ex.asset.get(e).to_owned());
                weight.push(r.weight);
                value.push(r.value);
                units.push(r.units);
            }
        }
        Ok(AttributionCredits {
            model,
            transaction_id,
            exposure_id,
            transaction_index: Uint32Array::new(transaction_index),
            exposure_index: Uint32Array::new(exposure_index),
            channel,
            interaction,
            campaign,
            asset,
            weight: Float64Array::new(weight),
            value: Float64Array::new(value),
            units: Float64Array::new(units),
        })
    }

    /// The rows of `credits(model)` as objects.
    ///
    /// Throws `invalid_argument` for a model not computed in this run.
    #[napi(catch_unwind)]
    pub fn credit_rows(&self, model: Option<String>) -> error::Result<Vec<AttributionCreditRow>> {
        let ms = self.selected(model.as_deref())?;
        let ex = self.inner.exposures().columns();
        let mut out = Vec::new();
        for m in ms {
            let name = self.inner.models()[m].name();
            out.extend(self.inner.credits(m).map(|r| {
                let e = r.exposure as usize;
                AttributionCreditRow {
                    model: name.clone(),
                    transaction_id: self.transaction_id(r.transaction),
                    exposure_id: self.exposure_id(r.exposure),
                    transaction_index: r.transaction,
                    exposure_index: r.exposure,
                    channel: ex.channel.get(e).to_owned(),
                    interaction: ex.interaction[e].as_str().to_owned(),
                    campaign: ex.campaign.get(e).to_owned(),
                    asset: ex.asset.get(e).to_owned(),
                    weight: r.weight,
                    value: r.value,
                    units: r.units,
                }
            }));
        }
        Ok(out)
    }

    /// Every eligible exposure of every attributed transaction (canonical order, oldest
    /// first), with `model`'s weight: 0 where the model gives none (single-touch models
    /// credit one per transaction).
    ///
    /// Throws `invalid_argument` for a model not computed in this run.
    #[napi(catch_unwind)]
    pub fn links(&self, model: String) -> error::Result<Vec<AttributionLink>> {
        let m = self.inner.model_index(&model).map_err(to_js)?;
        let ex = self.inner.exposures().columns();
        let mut credits = self.inner.credits(m).peekable();
        let mut out = Vec::with_capacity(self.inner.summary().touches as usize);
        for (i, &t) in self.inner.transaction_order().iter().enumerate() {
            let touches = self.inner.touches_of(i);
            for (p, &e) in touches.iter().enumerate() {
                let weight = match credits.peek() {
                    Some(c) if c.transaction == t && c.exposure == e => {
                        credits.next().map_or(0.0, |c| c.weight)
                    }
                    _ => 0.0,
                };
                out.push(AttributionLink {
                    transaction_id: self.transaction_id(t),
                    transaction_index: t,
                    exposure_id: self.exposure_id(e),
                    exposure_index: e,
                    position: p as u32 + 1,
                    touches: touches.len() as u32,
                    channel: ex.channel.get(e as usize).to_owned(),
                    interaction: ex.interaction[e as usize].as_str().to_owned(),
                    weight,
                });
            }
        }
        Ok(out)
    }

    /// The transactions without any eligible exposure, in canonical order: the unattributed
    /// bucket of every model.
    #[napi(catch_unwind)]
    pub fn unattributed(&self) -> Vec<AttributionUnattributed> {
        let tc = self.inner.transactions().columns();
        self.inner
            .transaction_order()
            .iter()
            .enumerate()
            .filter(|(i, _)| self.inner.touches_of(*i).is_empty())
            .map(|(_, &t)| AttributionUnattributed {
                transaction_id: self.transaction_id(t),
                transaction_index: t,
                key: id_of(&tc.key, self.kinds.transaction_key, t as usize),
                value: tc.value[t as usize],
                units: tc.units[t as usize],
            })
            .collect()
    }

    /// The exposures dropped as duplicates (ascending input position), among those sharing
    /// a key with some transaction.
    #[napi(catch_unwind)]
    pub fn duplicates(&self) -> Vec<AttributionDuplicate> {
        self.inner
            .duplicate_exposures()
            .iter()
            .map(|&e| AttributionDuplicate {
                exposure_id: self.exposure_id(e),
                exposure_index: e,
            })
            .collect()
    }

    /// Credit per group for every model, with the unattributed bucket, so that for each model
    /// Σ conversions = transactions and Σ value = total value. `by` is `'channel'`,
    /// `'campaign'`, `'asset'` or `'day'` (the transaction's day in `zone`). Rows: models in
    /// request order, groups ascending, the bucket last (by day: each day's bucket after its
    /// credited row).
    ///
    /// Throws `invalid_argument` for another `by`.
    #[napi(
        catch_unwind,
        ts_args_type = "by: 'channel' | 'campaign' | 'asset' | 'day'"
    )]
    pub fn rollup(&self, by: String) -> error::Result<Vec<AttributionRollupRow>> {
        Ok(self
            .inner
            .rollup(dimension(&by)?)
            .into_iter()
            .map(|r| AttributionRollupRow {
                model: r.model,
                group: r.group,
                unattributed: r.unattributed,
                conversions: r.conversions,
                value: r.value,
                units: r.units,
                touches: count(r.touches),
                cost: r.cost,
            })
            .collect())
    }

    /// Seeded percentile-bootstrap intervals on credit per group (`'channel'`, `'campaign'`
    /// or `'asset'`) for every model: transactions resampled with replacement. Runs on the
    /// calling thread (in parallel inside).
    ///
    /// Throws `invalid_argument` for `by` = `'day'` or unknown, a level outside (0, 1),
    /// replicates outside 2..100,000 or a bad seed.
    #[napi(
        catch_unwind,
        ts_args_type = "by: 'channel' | 'campaign' | 'asset', options?: AttributionBootstrapOptions | undefined | null"
    )]
    pub fn bootstrap(
        &self,
        by: String,
        options: Option<AttributionBootstrapOptions>,
    ) -> error::Result<Vec<AttributionInterval>> {
        let dim = dimension(&by)?;
        let (replicates, seed, level) = match &options {
            None => (1000.0, None, 0.95),
            Some(o) => (
                o.replicates.unwrap_or(1000.0),
                o.seed.as_ref(),
                o.level.unwrap_or(0.95),
            ),
        };
        if !(is_safe_integer(replicates) && replicates >= 0.0) {
            return Err(to_js(invalid(
                None,
                "replicates",
                show(replicates),
                "must be a whole number between 2 and 100,000",
            )));
        }
        let seed = match seed {
            None => 0,
            Some(Either::A(x)) if is_safe_integer(*x) && *x >= 0.0 => *x as u64,
            Some(Either::B(b)) if b.get_u64().2 => b.get_u64().1,
            Some(Either::A(x)) => {
                return Err(to_js(invalid(
                    None,
                    "seed",
                    show(*x),
                    "must be a safe integer >= 0 or a bigint in [0, 2^64)",
                )));
            }
            Some(Either::B(_)) => {
                return Err(to_js(invalid(
                    None,
                    "seed",
                    "bigint".into(),
                    "must be a safe integer >= 0 or a bigint in [0, 2^64)",
                )));
            }
        };
        let intervals = self
            .inner
            .bootstrap(dim, replicates as usize, seed, level)
            .map_err(to_js)?;
        Ok(intervals
            .into_iter()
            .map(|c| AttributionInterval {
                model: c.model,
                group: c.group,
                unattributed: c.unattributed,
                conversions: c.conversions,
                conversions_low: c.conversions_low,
                conversions_high: c.conversions_high,
                value: c.value,
                value_low: c.value_low,
                value_high: c.value_high,
            })
            .collect())
    }

    /// The Markov models' reports (one per Markov model computed, in request order), learned
    /// from every journey: one converting journey per attributed transaction (its eligible
    /// exposures' channels) and the non-converting journeys of exposures no transaction used.
    #[napi(catch_unwind)]
    pub fn markov(&self) -> Vec<AttributionMarkovReport> {
        self.inner
            .markov_reports()
            .iter()
            .map(|(name, r)| markov_report(name.clone(), r))
            .collect()
    }

    /// The exact-Shapley values per converting channel set, when `shapley_exact` was
    /// computed; null otherwise.
    #[napi(catch_unwind)]
    pub fn shapley_exact(&self) -> Option<AttributionShapleyReport> {
        self.inner.shapley_report().map(shapley_report)
    }
}

// ---------------------------------------------------------------------------------------
// Path-level models
// ---------------------------------------------------------------------------------------

/// One aggregated journey.
#[napi(object, object_to_js = false)]
pub struct AttributionPath {
    /// The channels in order: `'search > social > search'` (split on `>`, trimmed) or an
    /// array of names.
    #[napi(ts_type = "string | Array<string>")]
    pub path: Either<String, Vec<String>>,
    /// Conversions of this journey (>= 0).
    pub conversions: f64,
    /// Non-conversions ("nulls") of this journey (>= 0). Default 0.
    pub nulls: Option<f64>,
    /// Conversion value (>= 0). Default 0.
    pub value: Option<f64>,
}

fn path_table(paths: &[AttributionPath]) -> ces::Result<PathTable> {
    let mut table = PathTable::new();
    for (i, p) in paths.iter().enumerate() {
        let steps: Vec<&str> = match &p.path {
            Either::A(text) if text.trim().is_empty() => Vec::new(),
            Either::A(text) => text.split('>').map(str::trim).collect(),
            Either::B(names) => names.iter().map(|s| s.trim()).collect(),
        };
        if steps.iter().any(|s| s.is_empty()) {
            return Err(CesError::InvalidRecord {
                input: "paths".into(),
                row: Row(Some(i as u64)),
                field: "path".into(),
                value: match &p.path {
                    Either::A(text) => text.clone(),
                    Either::B(names) => names.join(" > "),
                },
                reason: "a channel name is empty".into(),
            });
        }
        table.push(
            &steps,
            p.conversions,
            p.nulls.unwrap_or(0.0),
            p.value.unwrap_or(0.0),
        )?;
    }
    Ok(table)
}

/// Markov settings.
#[napi(object, object_to_js = false)]
pub struct AttributionMarkovOptions {
    /// The chain's order, 1 (default) to 4.
    pub order: Option<f64>,
}

/// The exact Markov removal-effect model of `order` (default 1) on aggregated journeys: the
/// chain start → states (the last `order` channels) → conversion or null, with transition
/// probabilities counted from the journeys, solved exactly.
///
/// ```js
/// markovSync([{ path: 'a > b', conversions: 1 }, { path: 'a', conversions: 0, nulls: 1 }])
/// // { model: 'markov', conversionProbability: 0.5, channels: [{ channel: 'a', removalEffect: 1, … }, …], … }
/// ```
///
/// Throws `invalid_record` for an empty path or channel name, or a negative or NaN count or
/// value (naming the row); `invalid_argument` for an order outside 1..4.
#[napi(catch_unwind)]
pub fn markov_sync(
    paths: Vec<AttributionPath>,
    options: Option<AttributionMarkovOptions>,
) -> error::Result<AttributionMarkovReport> {
    let order = options.and_then(|o| o.order).unwrap_or(1.0);
    if !(is_safe_integer(order) && (1.0..=4.0).contains(&order)) {
        return Err(to_js(invalid(
            None,
            "order",
            show(order),
            "the order must be 1, 2, 3 or 4",
        )));
    }
    let order = order as usize;
    let table = path_table(&paths).map_err(to_js)?;
    let report = lib::markov(&table, order).map_err(to_js)?;
    Ok(markov_report(Model::Markov { order }.name(), &report))
}

/// Heuristic settings.
#[napi(object, object_to_js = false)]
pub struct AttributionHeuristicsOptions {
    /// Position-based share of the first touch. Default 0.4.
    pub first: Option<f64>,
    /// Position-based share of the last touch. Default 0.4.
    pub last: Option<f64>,
}

/// One channel's heuristic credit.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AttributionHeuristicRow {
    /// Channel.
    pub channel: String,
    /// First touch.
    pub first_touch: AttributionCredit,
    /// Last touch.
    pub last_touch: AttributionCredit,
    /// Linear over touches (a repeated channel gets a share per touch).
    pub linear: AttributionCredit,
    /// Position-based with the given shares.
    pub position_based: AttributionCredit,
}

/// First-touch, last-touch, linear and position-based credit per channel (in order of first
/// appearance) on aggregated journeys, as ChannelAttribution's `heuristic_models` computes
/// the first three.
///
/// Throws `invalid_record` for a bad journey (naming the row), `invalid_argument` for shares
/// that are negative or do not satisfy 0 < first + last <= 1.
#[napi(catch_unwind)]
pub fn heuristics_sync(
    paths: Vec<AttributionPath>,
    options: Option<AttributionHeuristicsOptions>,
) -> error::Result<Vec<AttributionHeuristicRow>> {
    let (first, last) = match options {
        None => (0.4, 0.4),
        Some(o) => (o.first.unwrap_or(0.4), o.last.unwrap_or(0.4)),
    };
    let table = path_table(&paths).map_err(to_js)?;
    let h = lib::heuristics(&table, first, last).map_err(to_js)?;
    Ok(h.channels
        .iter()
        .enumerate()
        .map(|(c, name)| AttributionHeuristicRow {
            channel: name.clone(),
            first_touch: credit(&h.first_touch[c]),
            last_touch: credit(&h.last_touch[c]),
            linear: credit(&h.linear[c]),
            position_based: credit(&h.position_based[c]),
        })
        .collect())
}

/// Shapley settings.
#[napi(object, object_to_js = false)]
pub struct AttributionShapleyOptions {
    /// Exact Shapley values per converting channel set (at most 16 distinct channels per
    /// converting journey) instead of the simplified ones. Default false.
    pub exact: Option<bool>,
}

/// Shapley credit per channel on aggregated journeys: simplified (each converting journey's
/// conversions and value split evenly over its distinct channels) or, with `exact: true`,
/// exact Shapley values per converting channel set with the conversion rate of journeys
/// having exactly that set as the coalition's worth.
///
/// Throws `invalid_record` for a bad journey (naming the row), `invalid_argument` for a
/// converting journey with more than 16 distinct channels in exact mode.
#[napi(catch_unwind)]
pub fn shapley_sync(
    paths: Vec<AttributionPath>,
    options: Option<AttributionShapleyOptions>,
) -> error::Result<AttributionShapleyReport> {
    let exact = options.and_then(|o| o.exact).unwrap_or(false);
    let table = path_table(&paths).map_err(to_js)?;
    if exact {
        Ok(shapley_report(
            &lib::shapley_exact_values(&table).map_err(to_js)?,
        ))
    } else {
        Ok(AttributionShapleyReport {
            channels: channel_credits(table.channels(), &lib::shapley_simplified(&table)),
            sets: Vec::new(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Shared with the lift binding (`crate::lift`): the same tables and times
// ---------------------------------------------------------------------------------------

/// Both attribution tables copied out of JavaScript, in every form `attributeSync` takes
/// (rows or columns, `key` naming the match-key property).
pub(crate) struct JsTables {
    exposures: RawTable,
    transactions: RawTable,
}

impl JsTables {
    /// Copies both tables; a whole argument, row or column of the wrong JavaScript type
    /// throws here, as in `attributeSync`.
    pub(crate) fn read(
        exposures: JsTable<'_>,
        transactions: JsTable<'_>,
        key: Option<&str>,
    ) -> error::Result<JsTables> {
        let key = key.unwrap_or("key");
        Ok(JsTables {
            exposures: RawTable::read(exposures, "exposures", &EXPOSURE_FIELDS, key)?,
            transactions: RawTable::read(transactions, "transactions", &TRANSACTION_FIELDS, key)?,
        })
    }

    /// Converts and checks every cell exactly as `attributeSync` does (`assumeZone` reads
    /// time-zone-naive strings).
    pub(crate) fn tables(
        &self,
        assume_zone: Option<&str>,
    ) -> ces::Result<(ExposureTable, TransactionTable)> {
        let assume = assume_zone
            .map(|z| Zone::new(z, "assumeZone"))
            .transpose()?;
        let (mut ex, _) = exposure_table(&self.exposures, assume.as_ref())?;
        let (mut tx, _, _) = transaction_table(&self.transactions, assume.as_ref())?;
        align_keys(&mut ex.key, &mut tx.key);
        Ok((ExposureTable::new(ex)?, TransactionTable::new(tx)?))
    }
}

/// A time argument as epoch microseconds, by the rules of the tables' times: a `Date` or a
/// number is epoch milliseconds, a bigint epoch microseconds, a string ISO 8601 with `Z` or
/// an offset (or read in `assumeZone`). `missing_value` for null, `invalid_argument` naming
/// `field` otherwise.
pub(crate) fn instant(
    value: JsCell<'_>,
    field: &str,
    assume_zone: Option<&str>,
) -> error::Result<i64> {
    let cell = Cell::read(value).map_err(|e| error::napi_to_js(e, field))?;
    let zone = assume_zone
        .map(|z| Zone::new(z, "assumeZone"))
        .transpose()
        .map_err(to_js)?;
    let v = cell_value(&cell);
    match time_of(v, zone.as_ref()) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(to_js(CesError::MissingValue {
            row: Row(None),
            field: field.to_owned(),
        })),
        Err(reason) => {
            let shown = match v {
                Value::Text(s) => format!("{s:?}"),
                v => render(v),
            };
            Err(to_js(invalid(None, field, shown, &reason)))
        }
    }
}
