//! The three inputs as validated, columnar tables that keep every raw value.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use super::dates::Date;
use super::money::{Currency, Decimal};
use crate::{CesError, Result, error::Row};

/// Which input a record or issue belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// Everflow daily stats (conversions and money per affiliate and advertiser).
    Everflow,
    /// Redtrack daily spend (cost per traffic source).
    Redtrack,
    /// The internal-affiliate mapping (Redtrack source → Everflow affiliate and advertiser).
    Mapping,
}

impl Input {
    /// `everflow`, `redtrack` or `mapping`.
    pub fn name(&self) -> &'static str {
        match self {
            Input::Everflow => "everflow",
            Input::Redtrack => "redtrack",
            Input::Mapping => "mapping",
        }
    }
}

/// A record that was not accepted, with where it was and what was wrong. Nothing is dropped
/// silently: readers return these, and every merge carries them in its diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowIssue {
    /// The input.
    pub input: Input,
    /// The zero-based record position in that input (across pages, for paged responses).
    pub row: u64,
    /// Where a person finds it: `page 2, row 14`, `line 7`.
    pub location: String,
    /// The field at fault, as named in the input.
    pub field: String,
    /// The raw value, as it came (`null` when missing).
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

impl RowIssue {
    /// The issue as a [`CesError`] (what strict readers return).
    pub fn to_error(&self) -> CesError {
        CesError::InvalidRecord {
            input: self.input.name().into(),
            row: Row(Some(self.row)),
            field: self.field.clone(),
            value: self.value.clone(),
            reason: self.reason.clone(),
        }
    }

    pub(crate) fn from_error(err: CesError, location: String) -> RowIssue {
        match err {
            CesError::InvalidRecord {
                input,
                row,
                field,
                value,
                reason,
            } => RowIssue {
                input: match input.as_str() {
                    "everflow" => Input::Everflow,
                    "redtrack" => Input::Redtrack,
                    _ => Input::Mapping,
                },
                row: row.0.unwrap_or(0),
                location,
                field,
                value,
                reason,
            },
            other => RowIssue {
                input: Input::Mapping,
                row: other.row().unwrap_or(0),
                location,
                field: other.field().unwrap_or("").into(),
                value: String::new(),
                reason: other.to_string(),
            },
        }
    }
}

/// Trims and collapses inner whitespace runs to one space: the label normalisation applied
/// to affiliate, advertiser and source labels on both sides before joining.
///
/// ```
/// assert_eq!(ces::cpa::normalize_label("  SB -  Meta "), "SB - Meta");
/// assert_eq!(ces::cpa::normalize_label("Meta CCW AWF2 Stephanie "), "Meta CCW AWF2 Stephanie");
/// ```
pub fn normalize_label(raw: &str) -> Cow<'_, str> {
    let t = raw.trim();
    let needs = t
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b' ' && w[1] == b' ')
        || t.chars().any(|c| c.is_whitespace() && c != ' ');
    if !needs {
        return Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    for (i, word) in t.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// An interner: each distinct string stored once, referred to by a `u32`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Strings {
    ids: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Strings {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    pub(crate) fn get(&self, id: u32) -> &str {
        &self.values[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }
}

fn negative(input: Input, row: u64, field: &str, value: Decimal) -> CesError {
    CesError::InvalidRecord {
        input: input.name().into(),
        row: Row(Some(row)),
        field: field.into(),
        value: value.to_string(),
        reason: "must not be negative".into(),
    }
}

fn count(input: Input, row: u64, field: &str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| CesError::InvalidRecord {
        input: input.name().into(),
        row: Row(Some(row)),
        field: field.into(),
        value: value.to_string(),
        reason: "must not be negative".into(),
    })
}

fn currency(input: Input, row: u64, code: Option<&str>) -> Result<Currency> {
    match code {
        None => Ok(Currency::USD),
        Some(c) => Currency::parse(c).ok_or_else(|| CesError::InvalidRecord {
            input: input.name().into(),
            row: Row(Some(row)),
            field: "currency".into(),
            value: c.into(),
            reason: "not an ISO 4217 currency code".into(),
        }),
    }
}

fn required_text(input: Input, row: u64, field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(CesError::InvalidRecord {
            input: input.name().into(),
            row: Row(Some(row)),
            field: field.into(),
            value: value.into(),
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

/// One Everflow daily-stats record, as pushed into an [`EverflowTable`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EverflowRow<'a> {
    /// Report date.
    pub date: Date,
    /// Everflow's affiliate id (kept, but not the join key).
    pub affiliate_id: Option<i64>,
    /// The affiliate label, raw (normalised when joining).
    pub affiliate_label: &'a str,
    /// Advertiser id.
    pub advertiser_id: i64,
    /// Advertiser label, raw.
    pub advertiser_label: &'a str,
    /// Clicks (`total_click`).
    pub clicks: i64,
    /// Conversions (`cv`).
    pub conversions: i64,
    /// Revenue.
    pub revenue: Decimal,
    /// Payout to the affiliate.
    pub payout: Decimal,
    /// Profit as the network reports it (may be negative); `None`: revenue − payout, derived
    /// when the record is pushed. [`EverflowTable::get`] always gives `Some`.
    pub profit: Option<Decimal>,
    /// Currency code; `None` means USD.
    pub currency: Option<&'a str>,
}

/// Everflow daily stats, validated and columnar. Labels are interned; raw values are kept.
///
/// ```
/// use ces::cpa::{Date, Decimal, EverflowRow, EverflowTable};
/// let mut ef = EverflowTable::new();
/// let row = EverflowRow {
///     date: Date::from_ymd_opt(2024, 12, 2).unwrap(), affiliate_id: Some(1),
///     affiliate_label: "G2 - Meta", advertiser_id: 1, advertiser_label: "CCW",
///     clicks: 150, conversions: 25, revenue: Decimal::new(250000, 2),
///     payout: Decimal::new(187500, 2), profit: None, currency: None,
/// };
/// ef.push(row).unwrap();
/// let bad = EverflowRow { conversions: -3, ..row };
/// let err = ef.push(bad).unwrap_err();
/// assert_eq!(err.code(), "invalid_record");
/// assert_eq!(err.to_string(), "everflow row 1: invalid `conversions`: \"-3\" (must not be negative)");
/// assert_eq!(ef.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct EverflowTable {
    pub(crate) positions: Vec<u64>,
    pub(crate) dates: Vec<Date>,
    pub(crate) affiliate_ids: Vec<Option<i64>>,
    pub(crate) affiliate_labels: Vec<u32>,
    pub(crate) advertiser_ids: Vec<i64>,
    pub(crate) advertiser_labels: Vec<u32>,
    pub(crate) clicks: Vec<u64>,
    pub(crate) conversions: Vec<u64>,
    pub(crate) revenue: Vec<Decimal>,
    pub(crate) payout: Vec<Decimal>,
    pub(crate) profit: Vec<Decimal>,
    pub(crate) currencies: Vec<Currency>,
    pub(crate) strings: Strings,
    pub(crate) next_position: u64,
    /// Records that were not accepted (filled by lenient readers and [`EverflowTable::push_or_report`]).
    pub issues: Vec<RowIssue>,
}

impl EverflowTable {
    /// An empty table.
    pub fn new() -> EverflowTable {
        EverflowTable::default()
    }

    /// An empty table with room for `rows` records.
    pub fn with_capacity(rows: usize) -> EverflowTable {
        EverflowTable {
            positions: Vec::with_capacity(rows),
            dates: Vec::with_capacity(rows),
            affiliate_ids: Vec::with_capacity(rows),
            affiliate_labels: Vec::with_capacity(rows),
            advertiser_ids: Vec::with_capacity(rows),
            advertiser_labels: Vec::with_capacity(rows),
            clicks: Vec::with_capacity(rows),
            conversions: Vec::with_capacity(rows),
            revenue: Vec::with_capacity(rows),
            payout: Vec::with_capacity(rows),
            profit: Vec::with_capacity(rows),
            currencies: Vec::with_capacity(rows),
            ..Default::default()
        }
    }

    /// Appends the records and issues of `other` (built from another part of the same input,
    /// e.g. in parallel; positions are kept as they were pushed).
    ///
    /// ```
    /// use ces::cpa::{Date, Decimal, EverflowRow, EverflowTable};
    /// let row = EverflowRow { date: Date::from_ymd_opt(2025, 1, 1).unwrap(), affiliate_id: None,
    ///     affiliate_label: "A", advertiser_id: 1, advertiser_label: "X", clicks: 1,
    ///     conversions: 1, revenue: Decimal::ONE, payout: Decimal::ONE, profit: None,
    ///     currency: None };
    /// let (mut a, mut b) = (EverflowTable::new(), EverflowTable::new());
    /// a.push_at(0, row).unwrap();
    /// b.push_at(1, EverflowRow { affiliate_label: "B", ..row }).unwrap();
    /// a.append(b);
    /// assert_eq!((a.len(), a.get(1).affiliate_label, a.position(1)), (2, "B", 1));
    /// ```
    pub fn append(&mut self, other: EverflowTable) {
        let map: Vec<u32> = (0..other.strings.len() as u32)
            .map(|i| self.strings.intern(other.strings.get(i)))
            .collect();
        self.positions.extend_from_slice(&other.positions);
        self.dates.extend_from_slice(&other.dates);
        self.affiliate_ids.extend_from_slice(&other.affiliate_ids);
        self.affiliate_labels
            .extend(other.affiliate_labels.iter().map(|&i| map[i as usize]));
        self.advertiser_ids.extend_from_slice(&other.advertiser_ids);
        self.advertiser_labels
            .extend(other.advertiser_labels.iter().map(|&i| map[i as usize]));
        self.clicks.extend_from_slice(&other.clicks);
        self.conversions.extend_from_slice(&other.conversions);
        self.revenue.extend_from_slice(&other.revenue);
        self.payout.extend_from_slice(&other.payout);
        self.profit.extend_from_slice(&other.profit);
        self.currencies.extend_from_slice(&other.currencies);
        self.next_position = self.next_position.max(other.next_position);
        self.issues.extend(other.issues);
        self.issues.sort_by_key(|i| i.row);
    }

    /// Validates and appends a record at the next input position.
    pub fn push(&mut self, row: EverflowRow<'_>) -> Result<()> {
        self.push_at(self.next_position, row)
    }

    /// Validates and appends a record found at input position `position`.
    pub fn push_at(&mut self, position: u64, r: EverflowRow<'_>) -> Result<()> {
        self.next_position = self.next_position.max(position + 1);
        let i = Input::Everflow;
        let clicks = count(i, position, "clicks", r.clicks)?;
        let conversions = count(i, position, "conversions", r.conversions)?;
        for (f, v) in [("revenue", r.revenue), ("payout", r.payout)] {
            if v.is_sign_negative() && !v.is_zero() {
                return Err(negative(i, position, f, v));
            }
        }
        required_text(i, position, "affiliate_label", r.affiliate_label)?;
        let cur = currency(i, position, r.currency)?;
        let profit = match r.profit {
            Some(p) => p,
            None => r
                .revenue
                .checked_sub(r.payout)
                .ok_or_else(|| CesError::InvalidRecord {
                    input: i.name().into(),
                    row: Row(Some(position)),
                    field: "profit".into(),
                    value: "null".into(),
                    reason: "revenue − payout does not fit a decimal".into(),
                })?,
        };
        self.positions.push(position);
        self.dates.push(r.date);
        self.affiliate_ids.push(r.affiliate_id);
        let a = self.strings.intern(r.affiliate_label);
        self.affiliate_labels.push(a);
        self.advertiser_ids.push(r.advertiser_id);
        let b = self.strings.intern(r.advertiser_label);
        self.advertiser_labels.push(b);
        self.clicks.push(clicks);
        self.conversions.push(conversions);
        self.revenue.push(r.revenue);
        self.payout.push(r.payout);
        self.profit.push(profit);
        self.currencies.push(cur);
        Ok(())
    }

    /// Record `i` (labels raw, as pushed).
    pub fn get(&self, i: usize) -> EverflowRow<'_> {
        EverflowRow {
            date: self.dates[i],
            affiliate_id: self.affiliate_ids[i],
            affiliate_label: self.strings.get(self.affiliate_labels[i]),
            advertiser_id: self.advertiser_ids[i],
            advertiser_label: self.strings.get(self.advertiser_labels[i]),
            clicks: self.clicks[i] as i64,
            conversions: self.conversions[i] as i64,
            revenue: self.revenue[i],
            payout: self.payout[i],
            profit: Some(self.profit[i]),
            currency: Some(self.currencies[i].as_str()),
        }
    }

    /// All records in order.
    pub fn iter(&self) -> impl Iterator<Item = EverflowRow<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// One Redtrack spend record (cost of one traffic source on one date), as pushed into a
/// [`SpendTable`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendRow<'a> {
    /// Report date.
    pub date: Date,
    /// The instant the record was stamped with, in epoch seconds, when the input carried a
    /// timestamp rather than a date (several stamped records may share a date).
    pub stamp: Option<i64>,
    /// Redtrack's source id (the mapping key).
    pub source_id: &'a str,
    /// Source name, raw.
    pub source_name: &'a str,
    /// `facebook`, `google`, … when known.
    pub source_alias: Option<&'a str>,
    /// Clicks.
    pub clicks: i64,
    /// Conversions as Redtrack counts them (kept for reference; CPA uses Everflow's).
    pub conversions: i64,
    /// Cost.
    pub cost: Decimal,
    /// Currency code; `None` means USD.
    pub currency: Option<&'a str>,
}

/// Redtrack spend, validated and columnar.
#[derive(Clone, Debug, Default)]
pub struct SpendTable {
    pub(crate) positions: Vec<u64>,
    pub(crate) dates: Vec<Date>,
    pub(crate) stamps: Vec<Option<i64>>,
    pub(crate) source_ids: Vec<u32>,
    pub(crate) source_names: Vec<u32>,
    pub(crate) source_aliases: Vec<Option<u32>>,
    pub(crate) clicks: Vec<u64>,
    pub(crate) conversions: Vec<u64>,
    pub(crate) cost: Vec<Decimal>,
    pub(crate) currencies: Vec<Currency>,
    pub(crate) strings: Strings,
    pub(crate) next_position: u64,
    /// Records that were not accepted.
    pub issues: Vec<RowIssue>,
}

impl SpendTable {
    /// An empty table.
    pub fn new() -> SpendTable {
        SpendTable::default()
    }

    /// An empty table with room for `rows` records.
    pub fn with_capacity(rows: usize) -> SpendTable {
        SpendTable {
            positions: Vec::with_capacity(rows),
            dates: Vec::with_capacity(rows),
            stamps: Vec::with_capacity(rows),
            source_ids: Vec::with_capacity(rows),
            source_names: Vec::with_capacity(rows),
            source_aliases: Vec::with_capacity(rows),
            clicks: Vec::with_capacity(rows),
            conversions: Vec::with_capacity(rows),
            cost: Vec::with_capacity(rows),
            currencies: Vec::with_capacity(rows),
            ..Default::default()
        }
    }

    /// Appends the records and issues of `other` (see [`EverflowTable::append`]).
    pub fn append(&mut self, other: SpendTable) {
        let map: Vec<u32> = (0..other.strings.len() as u32)
            .map(|i| self.strings.intern(other.strings.get(i)))
            .collect();
        self.positions.extend_from_slice(&other.positions);
        self.dates.extend_from_slice(&other.dates);
        self.stamps.extend_from_slice(&other.stamps);
        self.source_ids
            .extend(other.source_ids.iter().map(|&i| map[i as usize]));
        self.source_names
            .extend(other.source_names.iter().map(|&i| map[i as usize]));
        self.source_aliases.extend(
            other
                .source_aliases
                .iter()
                .map(|a| a.map(|i| map[i as usize])),
        );
        self.clicks.extend_from_slice(&other.clicks);
        self.conversions.extend_from_slice(&other.conversions);
        self.cost.extend_from_slice(&other.cost);
        self.currencies.extend_from_slice(&other.currencies);
        self.next_position = self.next_position.max(other.next_position);
        self.issues.extend(other.issues);
        self.issues.sort_by_key(|i| i.row);
    }

    /// Validates and appends a record at the next input position.
    ///
    /// ```
    /// use ces::cpa::{Date, Decimal, SpendRow, SpendTable};
    /// let mut rt = SpendTable::new();
    /// let row = SpendRow {
    ///     date: Date::from_ymd_opt(2025, 12, 17).unwrap(), stamp: None,
    ///     source_id: "66c79f91be26fd4634569658", source_name: "Facebook CCW",
    ///     source_alias: Some("facebook"), clicks: 1523, conversions: 45,
    ///     cost: Decimal::new(782550, 2), currency: None,
    /// };
    /// rt.push(row).unwrap();
    /// let err = rt.push(SpendRow { cost: Decimal::new(-1, 0), ..row }).unwrap_err();
    /// assert_eq!(err.field(), Some("cost"));
    /// let err = rt.push(SpendRow { currency: Some("XYZ"), ..row }).unwrap_err();
    /// assert_eq!(err.field(), Some("currency"));
    /// ```
    pub fn push(&mut self, row: SpendRow<'_>) -> Result<()> {
        self.push_at(self.next_position, row)
    }

    /// Validates and appends a record found at input position `position`.
    pub fn push_at(&mut self, position: u64, r: SpendRow<'_>) -> Result<()> {
        self.next_position = self.next_position.max(position + 1);
        let i = Input::Redtrack;
        let clicks = count(i, position, "clicks", r.clicks)?;
        let conversions = count(i, position, "conversions", r.conversions)?;
        if r.cost.is_sign_negative() && !r.cost.is_zero() {
            return Err(negative(i, position, "cost", r.cost));
        }
        required_text(i, position, "source_id", r.source_id)?;
        let cur = currency(i, position, r.currency)?;
        self.positions.push(position);
        self.dates.push(r.date);
        self.stamps.push(r.stamp);
        let s = self.strings.intern(r.source_id.trim());
        self.source_ids.push(s);
        let n = self.strings.intern(r.source_name);
        self.source_names.push(n);
        let a = r.source_alias.map(|a| self.strings.intern(a));
        self.source_aliases.push(a);
        self.clicks.push(clicks);
        self.conversions.push(conversions);
        self.cost.push(r.cost);
        self.currencies.push(cur);
        Ok(())
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> SpendRow<'_> {
        SpendRow {
            date: self.dates[i],
            stamp: self.stamps[i],
            source_id: self.strings.get(self.source_ids[i]),
            source_name: self.strings.get(self.source_names[i]),
            source_alias: self.source_aliases[i].map(|a| self.strings.get(a)),
            clicks: self.clicks[i] as i64,
            conversions: self.conversions[i] as i64,
            cost: self.cost[i],
            currency: Some(self.currencies[i].as_str()),
        }
    }

    /// All records in order.
    pub fn iter(&self) -> impl Iterator<Item = SpendRow<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// What both record tables share: reporting instead of failing, sizes and positions.
macro_rules! record_table {
    ($table:ident, $row:ident) => {
        impl $table {
            /// Like `push_at`, but a rejected record goes to `issues` (with `location`)
            /// instead of failing; returns whether it was accepted.
            pub fn push_or_report(
                &mut self,
                position: u64,
                row: $row<'_>,
                location: impl FnOnce() -> String,
            ) -> bool {
                match self.push_at(position, row) {
                    Ok(()) => true,
                    Err(e) => {
                        self.issues.push(RowIssue::from_error(e, location()));
                        false
                    }
                }
            }

            /// Records a rejected record (for readers that fail before a row can be built).
            pub fn report(&mut self, issue: RowIssue) {
                self.next_position = self.next_position.max(issue.row + 1);
                self.issues.push(issue);
            }

            /// Accepted records.
            pub fn len(&self) -> usize {
                self.dates.len()
            }

            /// No accepted records?
            pub fn is_empty(&self) -> bool {
                self.dates.is_empty()
            }

            /// The input position of record `i`.
            pub fn position(&self, i: usize) -> u64 {
                self.positions[i]
            }
        }
    };
}

record_table!(EverflowTable, EverflowRow);
record_table!(SpendTable, SpendRow);

/// One mapping row with its raw text fields (`None` for a null cell), as it comes from the
/// dotted-header CSV or an Arrow table with the same columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappingRecord<'a> {
    /// `redtrack.source`
    pub source: Option<&'a str>,
    /// `redtrack.source_alias`
    pub source_alias: Option<&'a str>,
    /// `redtrack.source_id`
    pub source_id: Option<&'a str>,
    /// `everflow.affiliate_id` (kept, never trusted: it is `1` on nearly every real row)
    pub affiliate_id: Option<&'a str>,
    /// `everflow.affiliate_label`
    pub affiliate_label: Option<&'a str>,
    /// `everflow.advertiser_id`
    pub advertiser_id: Option<&'a str>,
    /// `everflow.advertiser_label`
    pub advertiser_label: Option<&'a str>,
}

/// The mapping's column names, in the real file's order.
pub const MAPPING_COLUMNS: [&str; 7] = [
    "redtrack.source",
    "redtrack.source_alias",
    "redtrack.source_id",
    "everflow.affiliate_id",
    "everflow.affiliate_label",
    "everflow.advertiser_id",
    "everflow.advertiser_label",
];

/// A mapping row after validation: raw fields kept, and the target when the row is usable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MappingEntry {
    /// Zero-based data row.
    pub row: u64,
    /// Where a person finds it (`line 7` for a CSV).
    pub location: String,
    /// Raw `redtrack.source`.
    pub source: Option<String>,
    /// Raw `redtrack.source_alias`.
    pub source_alias: Option<String>,
    /// Raw `redtrack.source_id`.
    pub source_id: Option<String>,
    /// Raw `everflow.affiliate_id`.
    pub affiliate_id: Option<String>,
    /// Raw `everflow.affiliate_label`.
    pub affiliate_label: Option<String>,
    /// Raw `everflow.advertiser_id`.
    pub advertiser_id: Option<String>,
    /// Raw `everflow.advertiser_label`.
    pub advertiser_label: Option<String>,
    /// Where the row maps, when it is usable.
    pub target: Option<MappingTarget>,
}

/// Where a usable mapping row sends a source's spend.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct MappingTarget {
    /// The source id, trimmed.
    pub source_id: String,
    /// The affiliate label, normalised.
    pub affiliate_label: String,
    /// The advertiser id.
    pub advertiser_id: i64,
    /// The advertiser label, normalised (may be empty).
    pub advertiser_label: String,
}

/// The internal-affiliate mapping: every row kept, each either usable (with a
/// [`MappingTarget`]) or reported in [`Mapping::issues`].
///
/// ```
/// use ces::cpa::{Mapping, MappingRecord};
/// let mut m = Mapping::new();
/// m.push(MappingRecord { source: Some("Facebook CCW"), source_alias: Some("facebook"),
///     source_id: Some("66c79f91be26fd4634569658"), affiliate_id: Some("1"),
///     affiliate_label: Some("G2 - Meta"), advertiser_id: Some("1"), advertiser_label: Some("CCW") }, None);
/// m.push(MappingRecord { source: Some("Facebook CTI"), source_id: Some("68ae2e73d5616519ce48e5e3"),
///     affiliate_label: Some("n/a"), advertiser_id: Some("n/a"), ..Default::default() }, None);
/// assert_eq!(m.entries().len(), 2);
/// assert_eq!(m.issues.len(), 1);
/// assert_eq!(m.issues[0].field, "everflow.affiliate_label");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    entries: Vec<MappingEntry>,
    /// Rows that cannot be used (`n/a` or missing source id, label or advertiser; an
    /// advertiser id that is not an integer).
    pub issues: Vec<RowIssue>,
}

/// Is a cell empty or the literal `n/a` (any case, any surrounding spaces)?
fn cell(v: Option<&str>) -> Option<&str> {
    let t = v?.trim();
    if t.is_empty()
        || t.eq_ignore_ascii_case("n/a")
        || t.eq_ignore_ascii_case("na")
        || t.eq_ignore_ascii_case("null")
    {
        None
    } else {
        Some(t)
    }
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Mapping {
        Mapping::default()
    }

    /// Adds a row (the next data row); `location` defaults to `row N`.
    pub fn push(&mut self, r: MappingRecord<'_>, location: Option<String>) {
        let row = self.entries.len() as u64;
        let location = location.unwrap_or_else(|| format!("row {row}"));
        let own = |v: Option<&str>| v.map(str::to_owned);
        let mut entry = MappingEntry {
            row,
            location: location.clone(),
            source: own(r.source),
            source_alias: own(r.source_alias),
            source_id: own(r.source_id),
            affiliate_id: own(r.affiliate_id),
            affiliate_label: own(r.affiliate_label),
            advertiser_id: own(r.advertiser_id),
            advertiser_label: own(r.advertiser_label),
            target: None,
        };
        let issue = |field: &str, value: Option<&str>, reason: &str| RowIssue {
            input: Input::Mapping,
            row,
            location: location.clone(),
            field: field.into(),
            value: value.unwrap_or("null").into(),
            reason: reason.into(),
        };
        let source_id = cell(r.source_id);
        let label = cell(r.affiliate_label).map(normalize_label);
        let adv = cell(r.advertiser_id);
        let problem = if source_id.is_none() {
            Some(issue(
                "redtrack.source_id",
                r.source_id,
                "missing or n/a: the source's spend cannot be mapped",
            ))
        } else if label.is_none() {
            Some(issue(
                "everflow.affiliate_label",
                r.affiliate_label,
                "missing or n/a: the source maps to no affiliate",
            ))
        } else if adv.is_none() {
            Some(issue(
                "everflow.advertiser_id",
                r.advertiser_id,
                "missing or n/a: the source maps to no advertiser",
            ))
        } else if adv.and_then(|a| a.parse::<i64>().ok()).is_none() {
            Some(issue(
                "everflow.advertiser_id",
                r.advertiser_id,
                "not an integer id",
            ))
        } else {
            None
        };
        match problem {
            Some(p) => self.issues.push(p),
            None => {
                entry.target = Some(MappingTarget {
                    source_id: source_id.unwrap_or_default().to_owned(),
                    affiliate_label: label.map(|l| l.into_owned()).unwrap_or_default(),
                    advertiser_id: adv.and_then(|a| a.parse().ok()).unwrap_or_default(),
                    advertiser_label: cell(r.advertiser_label)
                        .map(|l| normalize_label(l).into_owned())
                        .unwrap_or_default(),
                })
            }
        }
        self.entries.push(entry);
    }

    /// Every row, usable or not, in input order.
    pub fn entries(&self) -> &[MappingEntry] {
        &self.entries
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No rows?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_normalise() {
        assert_eq!(normalize_label("a\t b\u{a0}c"), "a b c");
        assert_eq!(normalize_label("plain"), "plain");
        assert!(matches!(normalize_label(" x "), Cow::Borrowed("x")));
    }
}
