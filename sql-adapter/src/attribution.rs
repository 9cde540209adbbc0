//! Exposure-window attribution in the database: exposures (`ces.exposures`) and retail
//! transactions (`scout.transactions`) stored and loaded as the `ces` core's tables, runs of
//! [`ces::attribution::attribute`] recorded in `ops.runs` / `ops.run_events`, their credit in
//! `scout.attributions` and the transactions' join fields filled.
//!
//! The public types live here with the backend-independent pieces (validation, the windows
//! derived from the stored `attribution_window_days`, the link choice, the run's events);
//! the orchestration shared by both backends is the [`attribution!`] macro, which each
//! backend module instantiates over its own SQL and bulk writers.

// Without a backend only the public types are used.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports, unused_macros)
)]

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::str::FromStr;

use ces::CesError;
use ces::attribution::{
    Attribution, AttributionSummary, ExposureColumns, ExposureTable, Ids, Interaction, Labels,
    Model, TransactionColumns, TransactionTable, Window, WindowMode, WindowRule, Windows,
};
use ces::cpa::{Decimal, parse_money};
use serde_json::{Value, json};
use sqlx::types::chrono::{DateTime, Utc};

use crate::cpa::{EventLevel, EventWrite, json_text, money_text};
use crate::error::{Error, Result, Row};
use crate::model::{check_key, no_nul};

/// The `pipeline` name of the runs [`Database::run_attribution`](crate::Database::run_attribution)
/// records in `ops.runs`.
pub const ATTRIBUTION_PIPELINE: &str = "attribution";

/// Every instant both backends store, in microseconds since 1970-01-01T00:00:00Z, half open:
/// from 0001-01-01T00:00:00Z to 10000-01-01T00:00:00Z (excluded). Times outside it are
/// refused when written; as a range argument it means "everything".
///
/// ```
/// let (from, to) = ces_sql::STORABLE_TIMES;
/// assert_eq!(from, -62_135_596_800_000_000);
/// assert_eq!(to, 253_402_300_800_000_000);
/// ```
pub const STORABLE_TIMES: (i64, i64) = (-62_135_596_800_000_000, 253_402_300_800_000_000);

/// Which column joins transactions to exposures.
///
/// ```
/// use ces_sql::MatchKey;
/// assert_eq!("store".parse::<MatchKey>()?, MatchKey::Store);
/// assert_eq!("household_id".parse::<MatchKey>()?, MatchKey::Household);
/// assert_eq!(MatchKey::Geography.column(), "geography_id");
/// assert_eq!("email".parse::<MatchKey>().unwrap_err().code(), "invalid_value");
/// # Ok::<(), ces_sql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKey {
    /// `customer_id`: one person's exposures and purchases.
    Customer,
    /// `household_id`.
    Household,
    /// `store_id`: in-store and store-level (aggregate) exposures.
    Store,
    /// `geography_id`: regional flights (TV, out-of-home, print).
    Geography,
}

impl MatchKey {
    /// All four.
    pub const ALL: [MatchKey; 4] = [
        MatchKey::Customer,
        MatchKey::Household,
        MatchKey::Store,
        MatchKey::Geography,
    ];

    /// `customer`, `household`, `store` or `geography`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKey::Customer => "customer",
            MatchKey::Household => "household",
            MatchKey::Store => "store",
            MatchKey::Geography => "geography",
        }
    }

    /// The column of both tables: `customer_id`, `household_id`, `store_id`, `geography_id`.
    pub fn column(self) -> &'static str {
        match self {
            MatchKey::Customer => "customer_id",
            MatchKey::Household => "household_id",
            MatchKey::Store => "store_id",
            MatchKey::Geography => "geography_id",
        }
    }
}

impl fmt::Display for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MatchKey {
    type Err = Error;

    /// The name ([`MatchKey::as_str`]) or the column ([`MatchKey::column`]).
    fn from_str(s: &str) -> Result<Self> {
        MatchKey::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.column() == s)
            .ok_or_else(|| Error::InvalidValue {
                row: Row(None),
                field: "match_key",
                value: format!("{s:?}"),
                reason: "expected customer, household, store or geography".into(),
            })
    }
}

/// One row of `ces.exposures` (SQLite: `ces_exposures`): an impression, engaged view or
/// click of one person, or an aggregate flight in a store or a region.
///
/// Times are microseconds since 1970-01-01T00:00:00Z (UTC), as the core counts them.
///
/// ```
/// use ces::attribution::Interaction;
/// use ces_sql::ExposureRecord;
/// let tv = ExposureRecord {
///     store_id: Some("store-7".into()),
///     end_time: Some(1_750_000_000_000_000 + 7 * 86_400_000_000),
///     attribution_window_days: 3,
///     ..ExposureRecord::new("ex-1", "spring", "tv", Interaction::View, 1_750_000_000_000_000)
/// };
/// assert!(tv.validate(Some(0)).is_ok());
/// let keyless = ExposureRecord::new("ex-2", "spring", "tv", Interaction::View, 0);
/// assert_eq!(keyless.validate(Some(1)).unwrap_err().field(), Some("customer_id"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExposureRecord {
    /// The key (not blank).
    pub exposure_id: String,
    /// The campaign (not blank).
    pub campaign_id: String,
    /// The creative asset, if known (not blank when given).
    pub asset_id: Option<String>,
    /// The channel (`tv`, `social_media`, `search`, `ooh`, `retail_pos` …; not blank).
    pub channel: String,
    /// View, engaged view or click.
    pub interaction: Interaction,
    /// Where it ran.
    pub placement: Option<String>,
    /// On which platform.
    pub platform: Option<String>,
    /// When it happened, or when a flight started (µs since the epoch, UTC).
    pub start_time: i64,
    /// When a flight ended (≥ `start_time`); `None` for a point exposure or a flight still
    /// running.
    pub end_time: Option<i64>,
    /// Match key: the person.
    pub customer_id: Option<String>,
    /// Match key: the household.
    pub household_id: Option<String>,
    /// Match key: the store.
    pub store_id: Option<String>,
    /// Match key: the region.
    pub geography_id: Option<String>,
    /// Impressions (≥ 0).
    pub impressions: Option<i64>,
    /// Reach (≥ 0).
    pub reach: Option<i64>,
    /// Average frequency (finite, ≥ 0).
    pub frequency: Option<f64>,
    /// How many days after the exposure a transaction may still be credited to it
    /// (0 to 3650; default 7).
    pub attribution_window_days: u32,
    /// Media cost (≥ 0), kept exactly.
    pub cost: Option<Decimal>,
}

impl ExposureRecord {
    /// An exposure without match keys (set at least one), placement, platform, counts or
    /// cost, with the default 7-day window.
    pub fn new(
        exposure_id: impl Into<String>,
        campaign_id: impl Into<String>,
        channel: impl Into<String>,
        interaction: Interaction,
        start_time: i64,
    ) -> Self {
        ExposureRecord {
            exposure_id: exposure_id.into(),
            campaign_id: campaign_id.into(),
            asset_id: None,
            channel: channel.into(),
            interaction,
            placement: None,
            platform: None,
            start_time,
            end_time: None,
            customer_id: None,
            household_id: None,
            store_id: None,
            geography_id: None,
            impressions: None,
            reach: None,
            frequency: None,
            attribution_window_days: 7,
            cost: None,
        }
    }

    /// The value of a match key.
    pub fn key(&self, key: MatchKey) -> Option<&str> {
        match key {
            MatchKey::Customer => self.customer_id.as_deref(),
            MatchKey::Household => self.household_id.as_deref(),
            MatchKey::Store => self.store_id.as_deref(),
            MatchKey::Geography => self.geography_id.as_deref(),
        }
    }

    /// Checks the record as the table would, naming `row` and the field: ids and labels not
    /// blank, at least one match key, times storable ([`STORABLE_TIMES`]) with
    /// `end_time ≥ start_time`, counts and cost ≥ 0, frequency finite and ≥ 0, the window at
    /// most 3650 days.
    pub fn validate(&self, row: Option<u64>) -> Result<()> {
        let row = Row(row);
        not_blank(row, "exposure_id", &self.exposure_id)?;
        not_blank(row, "campaign_id", &self.campaign_id)?;
        not_blank(row, "channel", &self.channel)?;
        if let Some(a) = &self.asset_id {
            not_blank(row, "asset_id", a)?;
        }
        for k in MatchKey::ALL {
            if let Some(v) = self.key(k) {
                not_blank(row, k.column(), v)?;
            }
        }
        if MatchKey::ALL.iter().all(|k| self.key(*k).is_none()) {
            return Err(Error::InvalidValue {
                row,
                field: "customer_id",
                value: "null".into(),
                reason: "an exposure needs at least one match key (customer_id, household_id, \
                         store_id or geography_id)"
                    .into(),
            });
        }
        check_time(row, "start_time", self.start_time)?;
        if let Some(end) = self.end_time {
            check_time(row, "end_time", end)?;
            if end < self.start_time {
                return Err(Error::InvalidValue {
                    row,
                    field: "end_time",
                    value: format!("{} (start_time {})", rfc3339(end), rfc3339(self.start_time)),
                    reason: "a flight must not end before it starts".into(),
                });
            }
        }
        for (field, v) in [("impressions", self.impressions), ("reach", self.reach)] {
            if let Some(v) = v
                && v < 0
            {
                return Err(Error::InvalidValue {
                    row,
                    field,
                    value: v.to_string(),
                    reason: "must not be negative".into(),
                });
            }
        }
        if let Some(f) = self.frequency
            && !(f.is_finite() && f >= 0.0)
        {
            return Err(Error::InvalidValue {
                row,
                field: "frequency",
                value: f.to_string(),
                reason: "must be a finite number ≥ 0".into(),
            });
        }
        if self.attribution_window_days > MAX_WINDOW_DAYS {
            return Err(Error::InvalidValue {
                row,
                field: "attribution_window_days",
                value: self.attribution_window_days.to_string(),
                reason: format!("must be between 0 and {MAX_WINDOW_DAYS} days (10 years)"),
            });
        }
        if let Some(c) = self.cost {
            not_negative(row, "cost", c)?;
        }
        Ok(())
    }
}

/// One row of `scout.transactions` (SQLite: `scout_transactions`) as written: the columns a
/// retail pipeline fills. The join fields are attribution's ([`TransactionLink`]).
///
/// ```
/// use ces::cpa::Decimal;
/// use ces_sql::TransactionRecord;
/// let t = TransactionRecord {
///     store_id: Some("store-7".into()),
///     currency: Some("PHP".into()),
///     units: Decimal::new(2, 0),
///     items: serde_json::json!([{"sku": "KOPIKO-3IN1", "quantity": 2, "unit_price": "6.25"}]),
///     ..TransactionRecord::new("tx-1", 1_750_000_000_000_000, Decimal::new(1250, 2))
/// };
/// assert!(t.validate(Some(0)).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionRecord {
    /// The key (not blank).
    pub transaction_id: String,
    /// Match key: the store.
    pub store_id: Option<String>,
    /// Match key: the customer (often absent in small stores).
    pub customer_id: Option<String>,
    /// Match key: the household.
    pub household_id: Option<String>,
    /// Match key: the region.
    pub geography_id: Option<String>,
    /// When it happened (µs since the epoch, UTC).
    pub transaction_time: i64,
    /// Its value (≥ 0), kept exactly; the core attributes it as the conversion value.
    pub total_amount: Decimal,
    /// ISO 4217 code (three capital letters), if known.
    pub currency: Option<String>,
    /// Units sold (≥ 0), kept exactly.
    pub units: Decimal,
    /// The basket: a JSON array (product, sku, brand_id, category, quantity, unit_price,
    /// total_price, promotion …).
    pub items: Value,
}

impl TransactionRecord {
    /// A transaction without keys (set the one you match on), currency or items, of 0 units.
    pub fn new(
        transaction_id: impl Into<String>,
        transaction_time: i64,
        total_amount: Decimal,
    ) -> Self {
        TransactionRecord {
            transaction_id: transaction_id.into(),
            store_id: None,
            customer_id: None,
            household_id: None,
            geography_id: None,
            transaction_time,
            total_amount,
            currency: None,
            units: Decimal::ZERO,
            items: Value::Array(Vec::new()),
        }
    }

    /// The value of a match key.
    pub fn key(&self, key: MatchKey) -> Option<&str> {
        match key {
            MatchKey::Customer => self.customer_id.as_deref(),
            MatchKey::Household => self.household_id.as_deref(),
            MatchKey::Store => self.store_id.as_deref(),
            MatchKey::Geography => self.geography_id.as_deref(),
        }
    }

    /// Checks the record as the table would, naming `row` and the field: id and keys not
    /// blank, the time storable ([`STORABLE_TIMES`]), amount and units ≥ 0, the currency
    /// three capital letters, the items a JSON array.
    pub fn validate(&self, row: Option<u64>) -> Result<()> {
        let row = Row(row);
        not_blank(row, "transaction_id", &self.transaction_id)?;
        for k in MatchKey::ALL {
            if let Some(v) = self.key(k) {
                not_blank(row, k.column(), v)?;
            }
        }
        check_time(row, "transaction_time", self.transaction_time)?;
        not_negative(row, "total_amount", self.total_amount)?;
        not_negative(row, "units", self.units)?;
        if let Some(c) = &self.currency
            && !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::InvalidValue {
                row,
                field: "currency",
                value: format!("{c:?}"),
                reason: "expected an ISO 4217 code (three capital letters)".into(),
            });
        }
        if !self.items.is_array() {
            return Err(Error::InvalidValue {
                row,
                field: "items",
                value: self.items.to_string(),
                reason: "must be a JSON array".into(),
            });
        }
        Ok(())
    }
}

/// The join fields of a stored transaction, as the last attribution run over it left them.
///
/// A run sets them for every transaction of its range: an attributed transaction names the
/// exposure its link model credits most (`campaign_influenced` true, the weight as
/// `attribution_confidence`); any other (no eligible exposure, or no value of the match key)
/// has them cleared (`campaign_influenced` false). Both name the model and the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransactionLink {
    /// The credited exposure's campaign.
    pub campaign_id: Option<String>,
    /// The credited exposure's asset.
    pub asset_id: Option<String>,
    /// The credited exposure.
    pub exposure_id: Option<String>,
    /// Did any exposure get credit for it?
    pub campaign_influenced: bool,
    /// The credited exposure's weight under `attribution_model`.
    pub attribution_confidence: Option<f64>,
    /// The link model's name.
    pub attribution_model: Option<String>,
    /// The `ops.runs` id of the run that wrote these fields.
    pub attribution_run_id: Option<String>,
}

/// A stored transaction: the record and its join fields.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTransaction {
    /// The columns [`Database::upsert_transactions`](crate::Database::upsert_transactions)
    /// writes.
    pub record: TransactionRecord,
    /// The join fields attribution writes.
    pub link: TransactionLink,
}

/// A table of the core loaded for one match key, and how many rows were left out because
/// they have no value for that key.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// The table (rows in ascending id order, bytewise).
    pub table: T,
    /// Rows of the range without the match key (not in `table`).
    pub skipped: u64,
}

/// What [`Database::run_attribution`](crate::Database::run_attribution) did.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct AttributionRun {
    /// The `ops.runs` id (a UUID, lower-case text), also the `run_id` of every
    /// `scout.attributions` row and the `attribution_run_id` of every transaction written.
    pub run_id: String,
    /// The core's counts and totals (transactions in range with the match key).
    pub summary: AttributionSummary,
    /// Rows written to `scout.attributions`, all models.
    pub rows_written: u64,
    /// Rows written per model (name), in the order of the configuration.
    pub rows_per_model: Vec<(String, u64)>,
    /// Transactions whose join fields now name an exposure.
    pub linked: u64,
    /// Transactions of the range whose join fields were cleared (no eligible exposure, or
    /// no value of the match key).
    pub cleared: u64,
    /// Transactions of the range without the match key (counted in `cleared`).
    pub skipped_transactions: u64,
    /// Exposures before the end of the range without the match key (not considered).
    pub skipped_exposures: u64,
    /// Exposures dropped as duplicates of an identical one (ids, ascending).
    pub duplicate_exposures: Vec<String>,
    /// The window rules the stored `attribution_window_days` became (see
    /// [`Database::run_attribution`](crate::Database::run_attribution)).
    pub windows: Windows,
}

/// One row of `scout.attributions`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct AttributionRecord {
    /// The run that wrote it.
    pub run_id: String,
    /// The transaction credited.
    pub transaction_id: String,
    /// The exposure credited.
    pub exposure_id: String,
    /// The exposure's campaign.
    pub campaign_id: String,
    /// The exposure's asset.
    pub asset_id: Option<String>,
    /// The exposure's channel.
    pub channel: String,
    /// The model's family ([`Model::family`]).
    pub model: String,
    /// The model's name ([`Model::name`]).
    pub model_name: String,
    /// The exposure's share of the transaction, in \[0, 1\] (a transaction's shares under one
    /// model sum to 1).
    pub weight: f64,
    /// `weight × total_amount`.
    pub attributed_revenue: f64,
    /// `weight × units`.
    pub attributed_units: f64,
    /// The same as `weight` for the rows the core writes (the credited share), so that it
    /// reads like `scout.transactions.attribution_confidence`.
    pub confidence: Option<f64>,
}

// ---------------------------------------------------------------------------------------
// Shared, backend-independent pieces.

/// The longest window the core accepts, in days.
const MAX_WINDOW_DAYS: u32 = 3_650;

fn not_blank(row: Row, field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidValue {
            row,
            field,
            value: format!("{value:?}"),
            reason: "must not be empty or blank".into(),
        });
    }
    Ok(())
}

fn not_negative(row: Row, field: &'static str, value: Decimal) -> Result<()> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::InvalidValue {
            row,
            field,
            value: value.to_string(),
            reason: "must not be negative".into(),
        });
    }
    Ok(())
}

fn check_time(row: Row, field: &'static str, us: i64) -> Result<()> {
    if !(STORABLE_TIMES.0..STORABLE_TIMES.1).contains(&us) {
        return Err(Error::InvalidValue {
            row,
            field,
            value: format!("{us} µs"),
            reason: "outside the storable instants 0001-01-01T00:00:00Z to \
                     9999-12-31T23:59:59.999999Z"
                .into(),
        });
    }
    Ok(())
}

/// An instant (µs since the epoch) as RFC 3339 UTC with microseconds, for messages and the
/// run records.
pub(crate) fn rfc3339(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us).map_or_else(
        || format!("{us} µs"),
        |d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    )
}

/// `(from, to)` clamped to the storable instants (nothing is stored outside them).
pub(crate) fn clamp_range(range: Option<(i64, i64)>) -> Result<(i64, i64)> {
    let (from, to) = range.unwrap_or(STORABLE_TIMES);
    if from > to {
        return Err(Error::InvalidValue {
            row: Row(None),
            field: "range",
            value: format!("{} .. {}", rfc3339(from), rfc3339(to)),
            reason: "the range ends before it starts".into(),
        });
    }
    let c = |t: i64| t.clamp(STORABLE_TIMES.0, STORABLE_TIMES.1);
    Ok((c(from), c(to)))
}

/// An exposure ready for the bulk upsert.
pub(crate) struct ExposureWrite<'a> {
    pub r: &'a ExposureRecord,
    pub cost: Option<String>,
}

/// Validates `records` (named by position; `reject_nul`: the backend's text cannot hold
/// NUL): identical repeats of an id are written once, repeats that disagree are
/// [`Error::DuplicateKey`].
pub(crate) fn prepare_exposures<'a>(
    records: &'a [ExposureRecord],
    table: &'static str,
    reject_nul: bool,
) -> Result<Vec<ExposureWrite<'a>>> {
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        r.validate(Some(i as u64))?;
        if reject_nul {
            let row = Row(Some(i as u64));
            let texts = [
                ("exposure_id", Some(&r.exposure_id)),
                ("campaign_id", Some(&r.campaign_id)),
                ("asset_id", r.asset_id.as_ref()),
                ("channel", Some(&r.channel)),
                ("placement", r.placement.as_ref()),
                ("platform", r.platform.as_ref()),
                ("customer_id", r.customer_id.as_ref()),
                ("household_id", r.household_id.as_ref()),
                ("store_id", r.store_id.as_ref()),
                ("geography_id", r.geography_id.as_ref()),
            ];
            for (field, v) in texts {
                if let Some(v) = v {
                    no_nul(row, field, v)?;
                }
            }
        }
        if !first_occurrence(&mut first, records, i, &r.exposure_id, "exposure_id", table)? {
            continue;
        }
        out.push(ExposureWrite {
            r,
            cost: r.cost.map(money_text),
        });
    }
    Ok(out)
}

/// A transaction ready for the bulk upsert.
pub(crate) struct TransactionWrite<'a> {
    pub r: &'a TransactionRecord,
    pub total_amount: String,
    pub units: String,
    pub items: String,
}

/// Validates `records` like [`prepare_exposures`].
pub(crate) fn prepare_transactions<'a>(
    records: &'a [TransactionRecord],
    table: &'static str,
    reject_nul: bool,
) -> Result<Vec<TransactionWrite<'a>>> {
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        r.validate(Some(i as u64))?;
        let row = Row(Some(i as u64));
        let items = json_text("items", &r.items)?;
        if reject_nul {
            no_nul(row, "transaction_id", &r.transaction_id)?;
            for k in MatchKey::ALL {
                if let Some(v) = r.key(k) {
                    no_nul(row, k.column(), v)?;
                }
            }
            // JSON text escapes NUL as \u0000, which jsonb refuses.
            if items.contains("\\u0000") {
                return Err(Error::InvalidValue {
                    row,
                    field: "items",
                    value: "(a string with NUL)".into(),
                    reason: "PostgreSQL jsonb cannot hold the NUL character".into(),
                });
            }
        }
        if !first_occurrence(
            &mut first,
            records,
            i,
            &r.transaction_id,
            "transaction_id",
            table,
        )? {
            continue;
        }
        out.push(TransactionWrite {
            r,
            total_amount: money_text(r.total_amount),
            units: money_text(r.units),
            items,
        });
    }
    Ok(out)
}

/// A stored decimal (`numeric` as text, or SQLite's TEXT), exactly.
pub(crate) fn stored_decimal(
    table: &'static str,
    key: &dyn Fn() -> String,
    field: &'static str,
    text: &str,
) -> Result<Decimal> {
    parse_money(text).map_err(|e| Error::UnexpectedStored {
        table,
        key: key(),
        field,
        value: format!("{text:?} ({e})"),
    })
}

/// A stored decimal as the core's `f64`: the correctly rounded value of its exact text (as
/// PostgreSQL's `numeric::float8` gives it).
pub(crate) fn stored_f64(
    table: &'static str,
    key: &dyn Fn() -> String,
    field: &'static str,
    text: &str,
) -> Result<f64> {
    stored_decimal(table, key, field, text)?;
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| Error::UnexpectedStored {
            table,
            key: key(),
            field,
            value: format!("{text:?} (not a finite number ≥ 0)"),
        })
}

/// A stored interaction (`view`, `engaged_view`, `click`).
pub(crate) fn stored_interaction(
    table: &'static str,
    key: &dyn Fn() -> String,
    text: &str,
) -> Result<Interaction> {
    Interaction::ALL
        .into_iter()
        .find(|i| i.as_str() == text)
        .ok_or_else(|| Error::UnexpectedStored {
            table,
            key: key(),
            field: "interaction",
            value: format!("{text:?} (expected view, engaged_view or click)"),
        })
}

/// Interns labels: code = position of first occurrence.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    fn code(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        let c = self.values.len() as u32;
        self.index.insert(s.to_owned(), c);
        self.values.push(s.to_owned());
        c
    }

    /// Labels of `codes`, re-coded by first occurrence in `codes`' order, so that a table's
    /// dictionaries depend only on its rows' order, never on how they were read.
    fn labels(&self, codes: impl Iterator<Item = u32>) -> Labels {
        let mut remap = vec![u32::MAX; self.values.len()];
        let mut out = Labels::default();
        for c in codes {
            let r = &mut remap[c as usize];
            if *r == u32::MAX {
                *r = out.values.len() as u32;
                out.values.push(self.values[c as usize].clone());
            }
            out.codes.push(*r);
        }
        out
    }
}

/// One stored exposure, as read for the core.
pub(crate) struct ExposureRow {
    pub id: String,
    pub key: String,
    pub start: i64,
    pub end: Option<i64>,
    pub channel: String,
    pub interaction: Interaction,
    pub campaign: String,
    pub asset: Option<String>,
    pub cost: Option<f64>,
    pub days: i32,
}

struct ExposureEntry {
    id: String,
    key: String,
    start: i64,
    end: Option<i64>,
    channel: u32,
    interaction: Interaction,
    campaign: u32,
    asset: u32,
    cost: Option<f64>,
    days: i32,
}

/// Collects stored exposures (in any order) into the core's table, rows sorted by id
/// (bytewise). A NULL asset is the label `""` (stored assets are never blank).
#[derive(Default)]
pub(crate) struct ExposureBuilder {
    rows: Vec<ExposureEntry>,
    channels: Interner,
    campaigns: Interner,
    assets: Interner,
    any_cost: bool,
}

/// The core's exposure table with each row's stored window (days).
pub(crate) struct ExposureLoad {
    pub table: ExposureTable,
    pub days: Vec<i32>,
}

impl ExposureBuilder {
    pub fn push(&mut self, r: ExposureRow) {
        self.any_cost |= r.cost.is_some();
        let entry = ExposureEntry {
            channel: self.channels.code(&r.channel),
            campaign: self.campaigns.code(&r.campaign),
            asset: self.assets.code(r.asset.as_deref().unwrap_or("")),
            id: r.id,
            key: r.key,
            start: r.start,
            end: r.end,
            interaction: r.interaction,
            cost: r.cost,
            days: r.days,
        };
        self.rows.push(entry);
    }

    pub fn finish(mut self, table: &'static str) -> Result<ExposureLoad> {
        self.rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let rows = self.rows;
        let channel = self.channels.labels(rows.iter().map(|r| r.channel));
        let campaign = self.campaigns.labels(rows.iter().map(|r| r.campaign));
        let asset = self.assets.labels(rows.iter().map(|r| r.asset));
        let mut c = ExposureColumns {
            id: Ids::Text(Vec::with_capacity(rows.len())),
            key: Ids::Text(Vec::with_capacity(rows.len())),
            start: Vec::with_capacity(rows.len()),
            end: Vec::with_capacity(rows.len()),
            channel,
            interaction: Vec::with_capacity(rows.len()),
            campaign,
            asset,
            cost: self.any_cost.then(|| Vec::with_capacity(rows.len())),
        };
        let mut days = Vec::with_capacity(rows.len());
        let (Ids::Text(ids), Ids::Text(keys)) = (&mut c.id, &mut c.key) else {
            unreachable!("built as text")
        };
        for r in rows {
            ids.push(r.id);
            keys.push(r.key);
            c.start.push(r.start);
            c.end.push(r.end);
            c.interaction.push(r.interaction);
            if let Some(cost) = c.cost.as_mut() {
                cost.push(r.cost);
            }
            days.push(r.days);
        }
        let table = ExposureTable::new(c).map_err(|e| core_error(e, Some(table), None, None))?;
        Ok(ExposureLoad { table, days })
    }
}

/// One stored transaction, as read for the core.
pub(crate) struct TransactionRow {
    pub id: String,
    pub key: String,
    pub time: i64,
    pub value: f64,
    pub units: f64,
}

/// Collects stored transactions into the core's table, rows sorted by id (bytewise).
#[derive(Default)]
pub(crate) struct TransactionBuilder {
    rows: Vec<TransactionRow>,
}

impl TransactionBuilder {
    pub fn push(&mut self, r: TransactionRow) {
        self.rows.push(r);
    }

    pub fn finish(mut self, table: &'static str) -> Result<TransactionTable> {
        self.rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let n = self.rows.len();
        let mut ids = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        let mut c = TransactionColumns {
            id: Ids::Text(Vec::new()),
            key: Ids::Text(Vec::new()),
            time: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
            units: Vec::with_capacity(n),
        };
        for r in self.rows {
            ids.push(r.id);
            keys.push(r.key);
            c.time.push(r.time);
            c.value.push(r.value);
            c.units.push(r.units);
        }
        c.id = Ids::Text(ids);
        c.key = Ids::Text(keys);
        TransactionTable::new(c).map_err(|e| core_error(e, None, Some(table), None))
    }
}

/// Text ids of a table built here.
pub(crate) fn text_ids(ids: &Ids) -> &[String] {
    match ids {
        Ids::Text(v) => v,
        Ids::Int(_) => &[],
    }
}

/// The core's fields an attribution error can name, as `'static` names.
const CORE_FIELDS: &[&str] = &[
    "range",
    "models",
    "model",
    "windows",
    "window",
    "key",
    "exposures",
    "channel",
    "end",
    "cost",
    "value",
    "units",
];

/// The field of a core error, when it is one of [`CORE_FIELDS`].
pub(crate) fn core_field(e: &CesError) -> Option<&'static str> {
    e.field()
        .and_then(|f| CORE_FIELDS.iter().find(|c| **c == f).copied())
}

/// [`Error::Attribution`] for a core error, naming the stored row when the error names an
/// input row (exposures or transactions, by their position in the loaded tables).
pub(crate) fn core_error(
    e: CesError,
    exposures: Option<&'static str>,
    transactions: Option<&'static str>,
    ids: Option<(&Ids, &Ids)>,
) -> Error {
    let (input, position) = match &e {
        CesError::InvalidRecord { input, row, .. } => (input.as_str(), row.0),
        _ => ("", None),
    };
    let stored = position.and_then(|p| {
        let p = usize::try_from(p).ok()?;
        let (table, list) = match input {
            "exposures" => (exposures?, ids.map(|i| i.0)),
            "transactions" => (transactions?, ids.map(|i| i.1)),
            _ => return None,
        };
        let id = match list {
            Some(l) if p < l.len() => l.render(p),
            _ => return Some(format!("{table} (row {p} of the load)")),
        };
        let column = if input == "exposures" {
            "exposure_id"
        } else {
            "transaction_id"
        };
        Some(format!("{table} {column} = {id:?}"))
    });
    Error::Attribution {
        stored,
        source: Box::new(e),
    }
}

/// The windows of a run, from the stored `attribution_window_days` of each exposure.
///
/// The core's windows are per (channel, interaction), overridden per (campaign, interaction),
/// with a default per interaction; a stored window is per exposure. Exposures sharing a
/// (channel, interaction, campaign) must share their window (else
/// [`Error::WindowConflict`]); then, per interaction:
///
/// * one window for all exposures: the interaction's default;
/// * otherwise a campaign whose exposures all have one window is a campaign rule (unless its
///   channels already resolve to it), and the channels of the campaigns whose windows differ
///   by channel get group rules, which must agree across those campaigns (else
///   [`Error::WindowConflict`]: the core cannot express it).
///
/// Every exposure then resolves to exactly its stored window. Rules are listed by campaign,
/// then channel, then interaction.
pub(crate) fn derive_windows(
    load: &ExposureLoad,
    mode: WindowMode,
    table: &'static str,
) -> Result<Windows> {
    let c = load.table.columns();
    let ids = text_ids(&c.id);
    // (interaction, campaign, channel) → (days, first row)
    let mut cells: HashMap<(u8, u32, u32), (i32, usize)> = HashMap::new();
    for i in 0..ids.len() {
        let k = (
            c.interaction[i] as u8,
            c.campaign.codes[i],
            c.channel.codes[i],
        );
        match cells.entry(k) {
            Entry::Vacant(e) => {
                e.insert((load.days[i], i));
            }
            Entry::Occupied(e) => {
                let (d, j) = *e.get();
                if d != load.days[i] {
                    return Err(Error::WindowConflict {
                        table,
                        first: ids[j].clone(),
                        first_days: d,
                        second: ids[i].clone(),
                        second_days: load.days[i],
                        reason: format!(
                            "share (channel, interaction, campaign) = ({:?}, {}, {:?}) but not \
                             `attribution_window_days`; the core's windows are per channel and \
                             interaction, overridden per campaign, so these exposures must \
                             share one window",
                            c.channel.get(i),
                            c.interaction[i],
                            c.campaign.get(i)
                        ),
                    });
                }
            }
        }
    }
    let days_of =
        |d: i32| Window::days(i64::from(d)).map_err(|e| core_error(e, Some(table), None, None));
    let mut windows = Windows::new().mode(mode);
    let mut rules: Vec<(String, String, u8, WindowRule)> = Vec::new();
    for interaction in Interaction::ALL {
        let r = interaction as u8;
        let mut mine: Vec<(u32, u32, i32, usize)> = cells
            .iter()
            .filter(|(k, _)| k.0 == r)
            .map(|(k, v)| (k.1, k.2, v.0, v.1))
            .collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_unstable_by_key(|x| (x.0, x.1));
        let first = mine[0].2;
        if mine.iter().all(|x| x.2 == first) {
            windows = windows.default_for(interaction, Some(days_of(first)?));
            continue;
        }
        // Per campaign: its one window, or None when it differs by channel.
        let mut by_campaign: HashMap<u32, Option<i32>> = HashMap::new();
        for &(cp, _, d, _) in &mine {
            by_campaign
                .entry(cp)
                .and_modify(|v| {
                    if *v != Some(d) {
                        *v = None
                    }
                })
                .or_insert(Some(d));
        }
        // Group rules: the channels of mixed campaigns, which must agree.
        let mut group: HashMap<u32, (i32, usize, u32)> = HashMap::new();
        for &(cp, ch, d, row) in &mine {
            if by_campaign[&cp].is_some() {
                continue;
            }
            match group.entry(ch) {
                Entry::Vacant(e) => {
                    e.insert((d, row, cp));
                }
                Entry::Occupied(e) => {
                    let (gd, grow, gcp) = *e.get();
                    if gd != d {
                        return Err(Error::WindowConflict {
                            table,
                            first: ids[grow].clone(),
                            first_days: gd,
                            second: ids[row].clone(),
                            second_days: d,
                            reason: format!(
                                "are both {} exposures of channel {:?}, in campaigns {:?} and \
                                 {:?} whose windows differ by channel; the core's windows (per \
                                 channel and interaction, overridden per campaign) cannot give \
                                 each its own",
                                interaction,
                                c.channel.values[ch as usize],
                                c.campaign.values[gcp as usize],
                                c.campaign.values[cp as usize]
                            ),
                        });
                    }
                }
            }
        }
        // The default: the most common window of the uniform campaigns' exposures.
        let mut counts: HashMap<i32, u64> = HashMap::new();
        for &(cp, _, d, _) in &mine {
            if by_campaign[&cp].is_some() {
                *counts.entry(d).or_default() += 1;
            }
        }
        let default = counts
            .iter()
            .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
            .map(|(d, _)| *d);
        if let Some(d) = default {
            windows = windows.default_for(interaction, Some(days_of(d)?));
        }
        for (&ch, &(d, _, _)) in &group {
            let channel = c.channel.values[ch as usize].clone();
            rules.push((
                String::new(),
                channel.clone(),
                r,
                WindowRule::Group {
                    channel,
                    interaction,
                    window: days_of(d)?,
                },
            ));
        }
        let mut needs_rule: HashMap<u32, bool> = HashMap::new();
        for &(cp, ch, _, _) in &mine {
            let Some(d) = by_campaign[&cp] else { continue };
            let resolved = group.get(&ch).map(|g| g.0).or(default);
            if resolved != Some(d) {
                needs_rule.insert(cp, true);
            }
        }
        for (&cp, _) in needs_rule.iter().filter(|(_, n)| **n) {
            let Some(d) = by_campaign[&cp] else { continue };
            let campaign = c.campaign.values[cp as usize].clone();
            rules.push((
                campaign.clone(),
                String::new(),
                r,
                WindowRule::Campaign {
                    campaign,
                    interaction: Some(interaction),
                    window: days_of(d)?,
                },
            ));
        }
    }
    rules.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    for (_, _, _, rule) in rules {
        windows = windows.rule(rule);
    }
    Ok(windows)
}

/// For each transaction row of the run's table, the exposure row its link model `m` credits
/// most, with that weight: the highest weight, ties going to the most recent exposure (the
/// core lists a transaction's credit rows oldest first). `None`: not attributed.
pub(crate) fn links(run: &Attribution, m: usize) -> Vec<Option<(u32, f64)>> {
    let mut best: Vec<Option<(u32, f64)>> = vec![None; run.transactions().len()];
    for r in run.credits(m) {
        if r.weight.is_nan() {
            continue;
        }
        let b = &mut best[r.transaction as usize];
        match b {
            Some((_, w)) if r.weight < *w => {}
            _ => *b = Some((r.exposure, r.weight)),
        }
    }
    best
}

/// One `scout.attributions` row to write.
pub(crate) struct CreditWrite<'a> {
    pub transaction_id: &'a str,
    pub exposure_id: &'a str,
    pub campaign_id: &'a str,
    pub asset_id: Option<&'a str>,
    pub channel: &'a str,
    pub model: &'static str,
    pub model_name: &'a str,
    pub weight: f64,
    pub revenue: f64,
    pub units: f64,
}

/// One transaction's join fields to write (the model and run are the statement's).
pub(crate) struct LinkWrite<'a> {
    pub transaction_id: &'a str,
    pub campaign_id: Option<&'a str>,
    pub asset_id: Option<&'a str>,
    pub exposure_id: Option<&'a str>,
    pub influenced: bool,
    pub confidence: Option<f64>,
}

/// An exposure's asset as stored (the label `""` is NULL).
pub(crate) fn asset_of(labels: &Labels, row: usize) -> Option<&str> {
    Some(labels.get(row)).filter(|a| !a.is_empty())
}

/// The run's summary as JSON.
pub(crate) fn summary_json(s: &AttributionSummary) -> Value {
    json!({
        "transactions": s.transactions,
        "attributed": s.attributed,
        "unattributed": s.unattributed,
        "value": s.value,
        "units": s.units,
        "unattributed_value": s.unattributed_value,
        "unattributed_units": s.unattributed_units,
        "out_of_range": s.out_of_range,
        "exposures": s.exposures,
        "exposures_considered": s.exposures_considered,
        "duplicate_exposures": s.duplicate_exposures,
        "touches": s.touches,
    })
}

/// The window configuration as JSON (for the run's input).
pub(crate) fn windows_json(w: &Windows) -> Value {
    let win = |w: &Window| {
        let s = w.as_seconds();
        if s % 86_400 == 0 {
            json!({ "days": s / 86_400 })
        } else {
            json!({ "seconds": s })
        }
    };
    let rules: Vec<Value> = w
        .rules()
        .iter()
        .map(|r| match r {
            WindowRule::Group {
                channel,
                interaction,
                window,
            } => json!({
                "channel": channel, "interaction": interaction.as_str(), "window": win(window)
            }),
            WindowRule::Campaign {
                campaign,
                interaction,
                window,
            } => json!({
                "campaign": campaign,
                "interaction": interaction.map_or("any", Interaction::as_str),
                "window": win(window)
            }),
        })
        .collect();
    let defaults: serde_json::Map<String, Value> = Interaction::ALL
        .iter()
        .zip(w.defaults())
        .filter_map(|(i, d)| d.map(|d| (i.as_str().to_owned(), win(&d))))
        .collect();
    json!({
        "mode": match w.window_mode() {
            WindowMode::Exact => "exact".to_owned(),
            WindowMode::CalendarDays(tz) => format!("calendar_days:{tz}"),
        },
        "defaults": defaults,
        "rules": rules,
    })
}

/// The events of a completed run: findings, then the summary.
pub(crate) fn run_events(
    run: &AttributionRun,
    range: (i64, i64),
    key: MatchKey,
    link_model: &str,
) -> Result<Vec<EventWrite>> {
    let mut out = Vec::new();
    if run.skipped_transactions > 0 || run.skipped_exposures > 0 {
        out.push(EventWrite {
            level: EventLevel::Warning,
            kind: "missing_match_key".into(),
            message: format!(
                "{} transaction(s) of the range and {} exposure(s) have no {}: they were not \
                 attributed (the transactions' join fields were cleared)",
                run.skipped_transactions,
                run.skipped_exposures,
                key.column()
            ),
            data: json_text(
                "data",
                &json!({
                    "match_key": key.as_str(),
                    "transactions": run.skipped_transactions,
                    "exposures": run.skipped_exposures,
                }),
            )?,
        });
    }
    if !run.duplicate_exposures.is_empty() {
        const SAMPLE: usize = 100;
        out.push(EventWrite {
            level: EventLevel::Info,
            kind: "duplicate_exposures".into(),
            message: format!(
                "{} exposure(s) identical to another (key, start, end, channel, interaction, \
                 campaign, asset) counted once (the smallest id is kept)",
                run.duplicate_exposures.len()
            ),
            data: json_text(
                "data",
                &json!({
                    "count": run.duplicate_exposures.len(),
                    "exposure_ids": &run.duplicate_exposures[..run.duplicate_exposures.len().min(SAMPLE)],
                }),
            )?,
        });
    }
    let s = &run.summary;
    let rows: serde_json::Map<String, Value> = run
        .rows_per_model
        .iter()
        .map(|(m, n)| (m.clone(), json!(n)))
        .collect();
    out.push(EventWrite {
        level: EventLevel::Info,
        kind: "summary".into(),
        message: format!(
            "attributed {} transaction(s) from {} to {} by {}: {} with credit, {} without; {} \
             credit row(s) over {} model(s); join fields by {}",
            s.transactions,
            rfc3339(range.0),
            rfc3339(range.1),
            key.as_str(),
            s.attributed,
            s.unattributed,
            run.rows_written,
            run.rows_per_model.len(),
            link_model
        ),
        data: json_text(
            "data",
            &json!({
                "summary": summary_json(s),
                "rows": rows,
                "linked": run.linked,
                "cleared": run.cleared,
            }),
        )?,
    });
    Ok(out)
}

/// The checks of a run's arguments, before anything is read: the actor, the range, the link
/// model (one of the models), the models themselves, and no window rules (the windows come
/// from the stored exposures).
pub(crate) fn check_run_args(
    range: (i64, i64),
    config: &ces::attribution::AttributionConfig,
    link_model: &str,
    actor: &str,
) -> Result<usize> {
    check_key(Row(None), "actor", actor)?;
    clamp_range(Some(range))?;
    if !config.windows.rules().is_empty() {
        return Err(Error::InvalidValue {
            row: Row(None),
            field: "windows",
            value: format!("{} rule(s)", config.windows.rules().len()),
            reason: "a run's windows come from ces.exposures.attribution_window_days; give no \
                     rules (the window mode is used)"
                .into(),
        });
    }
    let mut names: Vec<String> = Vec::with_capacity(config.models.len());
    for (i, m) in config.models.iter().enumerate() {
        m.validate().map_err(|e| core_error(e, None, None, None))?;
        let name = m.name();
        if names.contains(&name) {
            return Err(Error::InvalidValue {
                row: Row(Some(i as u64)),
                field: "models",
                value: name,
                reason: "a model is computed once per run".into(),
            });
        }
        names.push(name);
    }
    names
        .iter()
        .position(|n| n == link_model)
        .ok_or_else(|| Error::InvalidValue {
            row: Row(None),
            field: "link_model",
            value: format!("{link_model:?}"),
            reason: format!("not one of the run's models ({})", names.join(", ")),
        })
}

/// The models' names, in configuration order.
pub(crate) fn model_names(models: &[Model]) -> Vec<String> {
    models.iter().map(Model::name).collect()
}

/// Generates the attribution repository of one backend, as a child module `attribution`.
///
/// The invoking module provides the table names (`EXPOSURES`, `TRANSACTIONS`,
/// `ATTRIBUTIONS`, `RUNS`, `RUN_EVENTS`), `REJECTS_NUL`, `PAGE` (rows per load query), the
/// time type `DbTime` with `db_time(µs)` and `micros(DbTime)`, the SQL of the loads
/// (`exposure_page_sql(key)`, `exposure_keyless_sql(key)`, `transaction_page_sql(key)`,
/// `transaction_keyless_sql(key)`, `LIST_EXPOSURES`, `LIST_TRANSACTIONS`,
/// `LOAD_ATTRIBUTIONS`), `read_amount(row, index)`, the run SQL shared with the CPA runs
/// (`SERVER_NOW`, `Stamp`, `INSERT_RUN`, `COMPLETE_RUN`, `INSERT_FAILED_RUN`,
/// `insert_events`), `begin_read`, `begin_write`, `lock_attribution`, and the bulk writers
/// `upsert_exposure_rows`, `upsert_transaction_rows`, `delete_attributions`,
/// `insert_attributions` and `update_links`.
macro_rules! attribution {
    ($DB:ty) => {
        pub(crate) mod attribution {
            use ces::attribution::{
                AttributionConfig, ExposureTable, TransactionTable, attribute,
            };
            use serde_json::json;
            use sqlx::Row as _;

            use super::{
                ATTRIBUTION_CHUNK, ATTRIBUTIONS, EXPOSURES, PAGE, REJECTS_NUL, TRANSACTIONS,
                begin_read, begin_write, db_time, micros,
            };
            use $crate::attribution::{
                ATTRIBUTION_PIPELINE, AttributionRecord, AttributionRun, CreditWrite,
                ExposureBuilder, ExposureLoad, ExposureRecord, ExposureRow, LinkWrite, Loaded,
                MatchKey, StoredTransaction, TransactionBuilder, TransactionLink,
                TransactionRecord, TransactionRow, asset_of, check_run_args, clamp_range,
                core_error, derive_windows, links, model_names, prepare_exposures,
                prepare_transactions, rfc3339, run_events, stored_decimal, stored_f64,
                stored_interaction, summary_json, text_ids, windows_json,
            };
            use $crate::cpa::{EventLevel, EventWrite, RunStatus, check_run_id, json_text, stored_json};
            use $crate::error::{Error, Result};
            use $crate::repo::db_error;

            type Pool = sqlx::Pool<$DB>;
            type Conn = <$DB as sqlx::Database>::Connection;

            /// Upserts exposures in one transaction; returns how many rows were inserted or
            /// changed.
            pub(crate) async fn upsert_exposures(pool: &Pool, records: &[ExposureRecord]) -> Result<u64> {
                const OP: &str = "upsert_exposures";
                let rows = prepare_exposures(records, EXPOSURES, REJECTS_NUL)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let mut n = 0;
                for chunk in rows.chunks(super::WRITE_CHUNK) {
                    n += super::upsert_exposure_rows(&mut tx, OP, chunk).await?;
                }
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            /// Upserts transactions in one transaction; returns how many rows were inserted
            /// or changed.
            pub(crate) async fn upsert_transactions(pool: &Pool, records: &[TransactionRecord]) -> Result<u64> {
                const OP: &str = "upsert_transactions";
                let rows = prepare_transactions(records, TRANSACTIONS, REJECTS_NUL)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let mut n = 0;
                for chunk in rows.chunks(super::WRITE_CHUNK) {
                    n += super::upsert_transaction_rows(&mut tx, OP, chunk).await?;
                }
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            /// Exposures with `from ≤ start_time < to` and a value of `key`, paged through
            /// `(start_time, exposure_id)`; returns them and how many lack the key.
            async fn exposures_on(
                conn: &mut Conn,
                key: MatchKey,
                (from, to): (i64, i64),
            ) -> Result<(ExposureLoad, u64)> {
                const OP: &str = "load_exposures";
                let page_sql = super::exposure_page_sql(key);
                let mut builder = ExposureBuilder::default();
                let mut after: (i64, String) = (from, String::new());
                loop {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql.clone()))
                        .bind(db_time(to))
                        .bind(db_time(after.0))
                        .bind(after.1.as_str())
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(db_error(OP))?;
                    let n = rows.len();
                    for r in &rows {
                        let id: String = r.try_get(0).map_err(db_error(OP))?;
                        let k = || format!("exposure_id = {id:?}");
                        let interaction: String = r.try_get(5).map_err(db_error(OP))?;
                        let cost: Option<String> = r.try_get(8).map_err(db_error(OP))?;
                        let start = micros(r.try_get(2).map_err(db_error(OP))?);
                        let end: Option<super::DbTime> = r.try_get(3).map_err(db_error(OP))?;
                        builder.push(ExposureRow {
                            key: r.try_get(1).map_err(db_error(OP))?,
                            start,
                            end: end.map(micros),
                            channel: r.try_get(4).map_err(db_error(OP))?,
                            interaction: stored_interaction(EXPOSURES, &k, &interaction)?,
                            campaign: r.try_get(6).map_err(db_error(OP))?,
                            asset: r.try_get(7).map_err(db_error(OP))?,
                            cost: cost.map(|c| stored_f64(EXPOSURES, &k, "cost", &c)).transpose()?,
                            days: r.try_get(9).map_err(db_error(OP))?,
                            id: id.clone(),
                        });
                        after = (start, id);
                    }
                    if n < PAGE {
                        break;
                    }
                }
                let skipped: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(super::exposure_keyless_sql(key)))
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_error(OP))?;
                Ok((builder.finish(EXPOSURES)?, skipped.max(0) as u64))
            }

            /// Transactions with `from ≤ transaction_time < to` and a value of `key`, paged
            /// through `(transaction_time, transaction_id)`; returns them and the ids of the
            /// range's transactions without the key.
            async fn transactions_on(
                conn: &mut Conn,
                key: MatchKey,
                (from, to): (i64, i64),
            ) -> Result<(TransactionTable, Vec<String>)> {
                const OP: &str = "load_transactions";
                let page_sql = super::transaction_page_sql(key);
                let mut builder = TransactionBuilder::default();
                let mut after: (i64, String) = (from, String::new());
                loop {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql.clone()))
                        .bind(db_time(to))
                        .bind(db_time(after.0))
                        .bind(after.1.as_str())
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(db_error(OP))?;
                    let n = rows.len();
                    for r in &rows {
                        let id: String = r.try_get(0).map_err(db_error(OP))?;
                        let k = || format!("transaction_id = {id:?}");
                        let time = micros(r.try_get(2).map_err(db_error(OP))?);
                        let value: String = r.try_get(3).map_err(db_error(OP))?;
                        let units: String = r.try_get(4).map_err(db_error(OP))?;
                        builder.push(TransactionRow {
                            key: r.try_get(1).map_err(db_error(OP))?,
                            time,
                            value: stored_f64(TRANSACTIONS, &k, "total_amount", &value)?,
                            units: stored_f64(TRANSACTIONS, &k, "units", &units)?,
                            id: id.clone(),
                        });
                        after = (time, id);
                    }
                    if n < PAGE {
                        break;
                    }
                }
                let keyless: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(super::transaction_keyless_sql(key)))
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error(OP))?;
                Ok((builder.finish(TRANSACTIONS)?, keyless))
            }

            /// The exposures of `range` (by start time) with a value of `key`.
            pub(crate) async fn load_exposures(
                pool: &Pool,
                key: MatchKey,
                range: Option<(i64, i64)>,
            ) -> Result<Loaded<ExposureTable>> {
                let range = clamp_range(range)?;
                let mut tx = begin_read(pool).await.map_err(db_error("load_exposures"))?;
                let (load, skipped) = exposures_on(&mut tx, key, range).await?;
                tx.commit().await.map_err(db_error("load_exposures"))?;
                Ok(Loaded { table: load.table, skipped })
            }

            /// The transactions of `range` with a value of `key`.
            pub(crate) async fn load_transactions(
                pool: &Pool,
                key: MatchKey,
                range: Option<(i64, i64)>,
            ) -> Result<Loaded<TransactionTable>> {
                let range = clamp_range(range)?;
                let mut tx = begin_read(pool).await.map_err(db_error("load_transactions"))?;
                let (table, keyless) = transactions_on(&mut tx, key, range).await?;
                tx.commit().await.map_err(db_error("load_transactions"))?;
                Ok(Loaded { table, skipped: keyless.len() as u64 })
            }

            /// Every stored column of the exposures of `range` (by start time).
            pub(crate) async fn list_exposures(
                pool: &Pool,
                range: Option<(i64, i64)>,
            ) -> Result<Vec<ExposureRecord>> {
                const OP: &str = "list_exposures";
                let (from, to) = clamp_range(range)?;
                let rows = sqlx::query(super::LIST_EXPOSURES)
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get(0).map_err(db_error(OP))?;
                        let k = || format!("exposure_id = {id:?}");
                        let interaction: String = r.try_get(4).map_err(db_error(OP))?;
                        let end: Option<super::DbTime> = r.try_get(8).map_err(db_error(OP))?;
                        let days: i32 = r.try_get(16).map_err(db_error(OP))?;
                        let cost: Option<String> = r.try_get(17).map_err(db_error(OP))?;
                        Ok(ExposureRecord {
                            campaign_id: r.try_get(1).map_err(db_error(OP))?,
                            asset_id: r.try_get(2).map_err(db_error(OP))?,
                            channel: r.try_get(3).map_err(db_error(OP))?,
                            interaction: stored_interaction(EXPOSURES, &k, &interaction)?,
                            placement: r.try_get(5).map_err(db_error(OP))?,
                            platform: r.try_get(6).map_err(db_error(OP))?,
                            start_time: micros(r.try_get(7).map_err(db_error(OP))?),
                            end_time: end.map(micros),
                            customer_id: r.try_get(9).map_err(db_error(OP))?,
                            household_id: r.try_get(10).map_err(db_error(OP))?,
                            store_id: r.try_get(11).map_err(db_error(OP))?,
                            geography_id: r.try_get(12).map_err(db_error(OP))?,
                            impressions: r.try_get(13).map_err(db_error(OP))?,
                            reach: r.try_get(14).map_err(db_error(OP))?,
                            frequency: r.try_get(15).map_err(db_error(OP))?,
                            attribution_window_days: u32::try_from(days).map_err(|_| Error::UnexpectedStored {
                                table: EXPOSURES,
                                key: k(),
                                field: "attribution_window_days",
                                value: days.to_string(),
                            })?,
                            cost: cost.map(|c| stored_decimal(EXPOSURES, &k, "cost", &c)).transpose()?,
                            exposure_id: id,
                        })
                    })
                    .collect()
            }

            /// Every stored column of the transactions of `range`, join fields included.
            pub(crate) async fn list_transactions(
                pool: &Pool,
                range: Option<(i64, i64)>,
            ) -> Result<Vec<StoredTransaction>> {
                const OP: &str = "list_transactions";
                let (from, to) = clamp_range(range)?;
                let rows = sqlx::query(super::LIST_TRANSACTIONS)
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let id: String = r.try_get(0).map_err(db_error(OP))?;
                        let k = || format!("transaction_id = {id:?}");
                        let total: String = r.try_get(6).map_err(db_error(OP))?;
                        let currency: Option<String> = r.try_get(7).map_err(db_error(OP))?;
                        let units: String = r.try_get(8).map_err(db_error(OP))?;
                        let items: String = r.try_get(9).map_err(db_error(OP))?;
                        Ok(StoredTransaction {
                            link: TransactionLink {
                                campaign_id: r.try_get(10).map_err(db_error(OP))?,
                                asset_id: r.try_get(11).map_err(db_error(OP))?,
                                exposure_id: r.try_get(12).map_err(db_error(OP))?,
                                campaign_influenced: r.try_get(13).map_err(db_error(OP))?,
                                attribution_confidence: r.try_get(14).map_err(db_error(OP))?,
                                attribution_model: r.try_get(15).map_err(db_error(OP))?,
                                attribution_run_id: r.try_get(16).map_err(db_error(OP))?,
                            },
                            record: TransactionRecord {
                                store_id: r.try_get(1).map_err(db_error(OP))?,
                                customer_id: r.try_get(2).map_err(db_error(OP))?,
                                household_id: r.try_get(3).map_err(db_error(OP))?,
                                geography_id: r.try_get(4).map_err(db_error(OP))?,
                                transaction_time: micros(r.try_get(5).map_err(db_error(OP))?),
                                total_amount: stored_decimal(TRANSACTIONS, &k, "total_amount", &total)?,
                                currency: currency.map(|c| c.trim_end().to_owned()),
                                units: stored_decimal(TRANSACTIONS, &k, "units", &units)?,
                                items: stored_json(TRANSACTIONS, &k, "items", &items)?,
                                transaction_id: id,
                            },
                        })
                    })
                    .collect()
            }

            /// The `scout.attributions` rows of a run.
            pub(crate) async fn load_attributions(pool: &Pool, run_id: &str) -> Result<Vec<AttributionRecord>> {
                const OP: &str = "load_attributions";
                let run_id = check_run_id(run_id)?;
                let rows = sqlx::query(super::LOAD_ATTRIBUTIONS)
                    .bind(&run_id)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let transaction_id: String = r.try_get(1).map_err(db_error(OP))?;
                        let exposure_id: String = r.try_get(2).map_err(db_error(OP))?;
                        let model_name: String = r.try_get(7).map_err(db_error(OP))?;
                        let k = || {
                            format!(
                                "(model_name, transaction_id, exposure_id) = ({model_name:?}, \
                                 {transaction_id:?}, {exposure_id:?})"
                            )
                        };
                        Ok(AttributionRecord {
                            run_id: r.try_get(0).map_err(db_error(OP))?,
                            campaign_id: r.try_get(3).map_err(db_error(OP))?,
                            asset_id: r.try_get(4).map_err(db_error(OP))?,
                            channel: r.try_get(5).map_err(db_error(OP))?,
                            model: r.try_get(6).map_err(db_error(OP))?,
                            weight: r.try_get(8).map_err(db_error(OP))?,
                            attributed_revenue: super::read_amount(r, 9, ATTRIBUTIONS, &k, "attributed_revenue")?,
                            attributed_units: super::read_amount(r, 10, ATTRIBUTIONS, &k, "attributed_units")?,
                            confidence: r.try_get(11).map_err(db_error(OP))?,
                            transaction_id,
                            exposure_id,
                            model_name,
                        })
                    })
                    .collect()
            }

            /// Loads, attributes and writes a run (see `Database::run_attribution`).
            pub(crate) async fn run_attribution(
                pool: &Pool,
                range: (i64, i64),
                key: MatchKey,
                config: &AttributionConfig,
                link_model: &str,
                actor: &str,
            ) -> Result<AttributionRun> {
                let link = check_run_args(range, config, link_model, actor)?;
                let started: super::Stamp = sqlx::query_scalar(super::SERVER_NOW)
                    .fetch_one(pool)
                    .await
                    .map_err(db_error("run_attribution"))?;
                let mut input = json!({
                    "range": {
                        "from": rfc3339(range.0),
                        "to": rfc3339(range.1),
                        "from_us": range.0,
                        "to_us": range.1,
                    },
                    "match_key": key.as_str(),
                    "models": model_names(&config.models),
                    "link_model": link_model,
                    "click_beats_view": config.click_beats_view,
                    "zone": config.zone.name(),
                });
                let result = execute(pool, range, key, config, link, actor, &started, &mut input).await;
                if let Err(e) = &result {
                    // Best effort: the run's own error is what the caller needs to see.
                    let _ = record_failure(pool, actor, &input, &started, e).await;
                }
                result
            }

            #[allow(clippy::too_many_arguments)]
            async fn execute(
                pool: &Pool,
                range: (i64, i64),
                key: MatchKey,
                config: &AttributionConfig,
                link: usize,
                actor: &str,
                started: &super::Stamp,
                input: &mut serde_json::Value,
            ) -> Result<AttributionRun> {
                const OP: &str = "run_attribution";
                let (from, to) = clamp_range(Some(range))?;

                // 1. Exposures up to the end of the range, transactions of the range: one
                // snapshot.
                let mut tx = begin_read(pool).await.map_err(db_error(OP))?;
                let (exposures, skipped_exposures) =
                    exposures_on(&mut tx, key, ($crate::STORABLE_TIMES.0, to)).await?;
                let (transactions, keyless) = transactions_on(&mut tx, key, (from, to)).await?;
                tx.commit().await.map_err(db_error(OP))?;
                input["inputs"] = json!({
                    "exposures": exposures.table.len(),
                    "exposures_without_key": skipped_exposures,
                    "transactions": transactions.len(),
                    "transactions_without_key": keyless.len(),
                });

                // 2. The windows from the stored exposures, then the core (CPU work, on this
                // task).
                let windows = derive_windows(&exposures, config.windows.window_mode(), EXPOSURES)?;
                input["windows"] = windows_json(&windows);
                let cfg = AttributionConfig {
                    windows: windows.clone(),
                    range: Some((from, to)),
                    ..config.clone()
                };
                let ex_table = std::sync::Arc::new(exposures.table);
                let tx_table = std::sync::Arc::new(transactions);
                let run = attribute(ex_table.clone(), tx_table.clone(), &cfg).map_err(|e| {
                    core_error(
                        e,
                        Some(EXPOSURES),
                        Some(TRANSACTIONS),
                        Some((&ex_table.columns().id, &tx_table.columns().id)),
                    )
                })?;
                let ec = ex_table.columns();
                let tc = tx_table.columns();
                let ex_ids = text_ids(&ec.id);
                let tx_ids = text_ids(&tc.id);
                let names = model_names(&cfg.models);
                let link_name = names[link].as_str();
                let best = links(&run, link);

                // 3. Everything written in one transaction.
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                super::lock_attribution(&mut tx).await.map_err(db_error(OP))?;
                let run_id: String = sqlx::query_scalar(super::INSERT_RUN)
                    .bind(ATTRIBUTION_PIPELINE)
                    .bind(RunStatus::Running.as_str())
                    .bind(actor)
                    .bind(json_text("input", &*input)?)
                    .bind(started)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let all_ids: Vec<&str> = tx_ids
                    .iter()
                    .map(String::as_str)
                    .chain(keyless.iter().map(String::as_str))
                    .collect();
                // The join fields of every transaction of the range, first: updating them
                // locks the rows, so none can be deleted before this commits, and a
                // transaction deleted since the snapshot fails the run.
                let mut linked = 0u64;
                let mut link_rows: Vec<LinkWrite<'_>> = Vec::with_capacity(all_ids.len());
                for (t, id) in tx_ids.iter().enumerate() {
                    match best[t] {
                        Some((e, w)) => {
                            linked += 1;
                            let e = e as usize;
                            link_rows.push(LinkWrite {
                                transaction_id: id,
                                campaign_id: Some(ec.campaign.get(e)),
                                asset_id: asset_of(&ec.asset, e),
                                exposure_id: Some(&ex_ids[e]),
                                influenced: true,
                                confidence: Some(w),
                            });
                        }
                        None => link_rows.push(LinkWrite {
                            transaction_id: id,
                            campaign_id: None,
                            asset_id: None,
                            exposure_id: None,
                            influenced: false,
                            confidence: None,
                        }),
                    }
                }
                for id in &keyless {
                    link_rows.push(LinkWrite {
                        transaction_id: id,
                        campaign_id: None,
                        asset_id: None,
                        exposure_id: None,
                        influenced: false,
                        confidence: None,
                    });
                }
                for chunk in link_rows.chunks(super::WRITE_CHUNK) {
                    let n = super::update_links(&mut tx, OP, &run_id, link_name, chunk).await?;
                    if n < chunk.len() as u64 {
                        let ids: Vec<&str> = chunk.iter().map(|l| l.transaction_id).collect();
                        let gone = super::missing_transaction(&mut tx, OP, &ids).await?;
                        return Err(Error::NotFound {
                            table: TRANSACTIONS,
                            field: "transaction_id",
                            value: format!(
                                "{:?} (deleted while the run was computed; run it again)",
                                gone.unwrap_or_default()
                            ),
                        });
                    }
                }
                // The old credit of the range's transactions for these models.
                for chunk in all_ids.chunks(super::DELETE_CHUNK) {
                    super::delete_attributions(&mut tx, OP, &names, chunk).await?;
                }
                // The new credit, model by model.
                let mut rows_per_model = Vec::with_capacity(names.len());
                let mut rows_written = 0u64;
                let mut buf: Vec<CreditWrite<'_>> = Vec::with_capacity(ATTRIBUTION_CHUNK);
                for (m, model) in cfg.models.iter().enumerate() {
                    let family = model.family();
                    let mut n = 0u64;
                    // Columns, not `credits(m)`: the core's iterator is not `Send`, and this
                    // loop awaits. Written in (transaction id, exposure id) order (the tables'
                    // rows are in id order), so the indexes grow at their ends: PostgreSQL
                    // writes them about 40 % faster than in the core's key-hash order.
                    let cols = run.credit_columns(m);
                    let mut order: Vec<(u32, u32, u32)> = (0..cols.transaction.len())
                        .map(|k| (cols.transaction[k], cols.exposure[k], k as u32))
                        .collect();
                    order.sort_unstable();
                    for (t, e, k) in order {
                        let (t, e, k) = (t as usize, e as usize, k as usize);
                        buf.push(CreditWrite {
                            transaction_id: &tx_ids[t],
                            exposure_id: &ex_ids[e],
                            campaign_id: ec.campaign.get(e),
                            asset_id: asset_of(&ec.asset, e),
                            channel: ec.channel.get(e),
                            model: family,
                            model_name: &names[m],
                            weight: cols.weight[k],
                            revenue: cols.value[k],
                            units: cols.units[k],
                        });
                        if buf.len() == ATTRIBUTION_CHUNK {
                            n += super::insert_attributions(&mut tx, OP, &run_id, &buf).await?;
                            buf.clear();
                        }
                    }
                    if !buf.is_empty() {
                        n += super::insert_attributions(&mut tx, OP, &run_id, &buf).await?;
                        buf.clear();
                    }
                    rows_written += n;
                    rows_per_model.push((names[m].clone(), n));
                }
                let result = AttributionRun {
                    summary: run.summary().clone(),
                    rows_written,
                    rows_per_model,
                    linked,
                    cleared: all_ids.len() as u64 - linked,
                    skipped_transactions: keyless.len() as u64,
                    skipped_exposures,
                    duplicate_exposures: run
                        .duplicate_exposures()
                        .iter()
                        .map(|&r| ex_ids[r as usize].clone())
                        .collect(),
                    windows,
                    run_id,
                };
                let events = run_events(&result, (from, to), key, link_name)?;
                super::insert_events(&mut tx, OP, &result.run_id, &events).await?;
                let output = json!({
                    "summary": summary_json(&result.summary),
                    "rows": result.rows_written,
                    "rows_per_model": result
                        .rows_per_model
                        .iter()
                        .map(|(m, n)| (m.clone(), json!(n)))
                        .collect::<serde_json::Map<_, _>>(),
                    "linked": result.linked,
                    "cleared": result.cleared,
                });
                sqlx::query(super::COMPLETE_RUN)
                    .bind(&result.run_id)
                    .bind(json_text("output", &output)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(result)
            }

            /// Records a failed run with its error (and one `error` event), in a transaction
            /// of its own.
            async fn record_failure(
                pool: &Pool,
                actor: &str,
                input: &serde_json::Value,
                started: &super::Stamp,
                e: &Error,
            ) -> Result<()> {
                const OP: &str = "run_attribution";
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let run_id: String = sqlx::query_scalar(super::INSERT_FAILED_RUN)
                    .bind(ATTRIBUTION_PIPELINE)
                    .bind(actor)
                    .bind(json_text("input", input)?)
                    .bind(started)
                    .bind(e.to_string())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let event = EventWrite {
                    level: EventLevel::Error,
                    kind: "error".into(),
                    message: e.to_string(),
                    data: json_text("data", &json!({ "code": e.code() }))?,
                };
                super::insert_events(&mut tx, OP, &run_id, std::slice::from_ref(&event)).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(())
            }
        }
    };
}

pub(crate) use attribution;

/// Is record `i` (id `id`) the first with its id? A later identical record is skipped
/// (`false`); a later one with the same id and other values is a `duplicate_key` error.
fn first_occurrence<'a, T: PartialEq>(
    first: &mut HashMap<&'a str, usize>,
    records: &[T],
    i: usize,
    id: &'a str,
    field: &str,
    table: &'static str,
) -> Result<bool> {
    match first.entry(id) {
        Entry::Occupied(e) => {
            if records[*e.get()] != records[i] {
                return Err(Error::DuplicateKey {
                    table,
                    key: format!("{field} {id:?}"),
                    first_row: *e.get() as u64,
                    row: i as u64,
                });
            }
            Ok(false)
        }
        Entry::Vacant(e) => {
            e.insert(i);
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rows: &[(&str, &str, &str, Interaction, i32)]) -> ExposureLoad {
        let mut b = ExposureBuilder::default();
        for (id, campaign, channel, interaction, days) in rows {
            b.push(ExposureRow {
                id: (*id).into(),
                key: "k".into(),
                start: 0,
                end: None,
                channel: (*channel).into(),
                interaction: *interaction,
                campaign: (*campaign).into(),
                asset: None,
                cost: None,
                days: *days,
            });
        }
        b.finish("ces.exposures").unwrap()
    }

    use Interaction::{Click, View};

    #[test]
    fn one_window_per_interaction_is_a_default() {
        let l = load(&[
            ("a", "c1", "tv", View, 7),
            ("b", "c2", "search", View, 7),
            ("c", "c1", "search", Click, 30),
        ]);
        let w = derive_windows(&l, WindowMode::Exact, "x").unwrap();
        assert!(w.rules().is_empty());
        assert_eq!(
            w.defaults(),
            [
                Some(Window::days(7).unwrap()),
                None,
                Some(Window::days(30).unwrap())
            ]
        );
    }

    #[test]
    fn campaigns_and_channels_become_rules() {
        // c1 and c2 uniform (7 and 3), c3 mixed by channel (tv 1, search 14): group rules for
        // c3's channels; c1 (7, the default) needs a rule only where a group rule says
        // otherwise.
        let l = load(&[
            ("a", "c1", "tv", View, 7),
            ("b", "c1", "radio", View, 7),
            ("c", "c2", "radio", View, 3),
            ("d", "c3", "tv", View, 1),
            ("e", "c3", "search", View, 14),
            ("f", "c4", "radio", View, 7),
        ]);
        let w = derive_windows(&l, WindowMode::Exact, "x").unwrap();
        assert_eq!(w.defaults()[0], Some(Window::days(7).unwrap()));
        let d = |n| Window::days(n).unwrap();
        assert_eq!(
            w.rules(),
            [
                WindowRule::Group {
                    channel: "search".into(),
                    interaction: View,
                    window: d(14)
                },
                WindowRule::Group {
                    channel: "tv".into(),
                    interaction: View,
                    window: d(1)
                },
                WindowRule::Campaign {
                    campaign: "c1".into(),
                    interaction: Some(View),
                    window: d(7)
                },
                WindowRule::Campaign {
                    campaign: "c2".into(),
                    interaction: Some(View),
                    window: d(3)
                },
            ]
        );
    }

    #[test]
    fn conflicts_are_named() {
        let l = load(&[("a", "c1", "tv", View, 7), ("b", "c1", "tv", View, 3)]);
        let err = derive_windows(&l, WindowMode::Exact, "ces.exposures").unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("window_conflict", Some("attribution_window_days"))
        );
        assert!(err.to_string().starts_with(
            "ces.exposures: exposures \"a\" (7 days) and \"b\" (3 days) share (channel, \
             interaction, campaign) = (\"tv\", view, \"c1\")"
        ));
        // Not expressible: two campaigns mixing windows over the same channel differently.
        let l = load(&[
            ("a", "c1", "tv", View, 1),
            ("b", "c1", "search", View, 7),
            ("c", "c2", "tv", View, 7),
            ("d", "c2", "search", View, 1),
        ]);
        let err = derive_windows(&l, WindowMode::Exact, "ces.exposures").unwrap_err();
        assert_eq!(err.code(), "window_conflict");
        assert!(
            err.to_string().contains("cannot give each its own"),
            "{err}"
        );
    }

    #[test]
    fn labels_follow_the_sorted_rows() {
        let l = load(&[("b", "c2", "tv", View, 7), ("a", "c1", "radio", View, 7)]);
        let c = l.table.columns();
        assert_eq!(text_ids(&c.id), ["a", "b"]);
        assert_eq!(c.channel.values, ["radio", "tv"]);
        assert_eq!(c.campaign.codes, [0, 1]);
    }

    #[test]
    fn records_are_validated() {
        let mut e = ExposureRecord::new("e", "c", "tv", View, 0);
        e.store_id = Some("s".into());
        assert!(e.validate(None).is_ok());
        e.end_time = Some(-1);
        assert_eq!(e.validate(Some(3)).unwrap_err().row(), Some(3));
        e.end_time = None;
        e.start_time = STORABLE_TIMES.1;
        assert_eq!(e.validate(None).unwrap_err().field(), Some("start_time"));
        let mut t = TransactionRecord::new("t", 0, Decimal::new(-1, 2));
        assert_eq!(t.validate(None).unwrap_err().field(), Some("total_amount"));
        t.total_amount = Decimal::ZERO;
        t.currency = Some("php".into());
        assert_eq!(t.validate(None).unwrap_err().field(), Some("currency"));
        t.currency = None;
        t.items = json!({});
        assert_eq!(t.validate(None).unwrap_err().field(), Some("items"));
    }
}
