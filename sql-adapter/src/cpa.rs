//! The CPA merge in the database: Everflow daily stats, Redtrack spend and the
//! internal-affiliate mapping stored and loaded as the core's tables, merged runs recorded in
//! `ops.runs` / `ops.run_events`, and the merged rows in `daily_performance`.
//!
//! The public types live here; the orchestration shared by both backends is the [`cpa!`]
//! macro, which each backend module instantiates over its own SQL and bulk writers.
//!
//! **Money travels as text.** Every amount is written as the exact decimal text of its
//! [`Decimal`] (`7825.50`, `0.30000000000000004`) and read back from the column's text
//! (PostgreSQL: `numeric::text`; SQLite: the TEXT itself), so the scale is kept, `0.00`
//! included (sqlx's binary `numeric` conversion would turn `0.00` into `0`).

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
use ces::cpa::{
    Date, DateRange, Decimal, Diagnostics, EverflowTable, Input, Mapping, MappingRecord,
    MappingTarget, RowIssue, SpendTable, parse_money,
};
use serde_json::{Value, json};
use sqlx::types::time::OffsetDateTime;

use crate::error::{Error, Result, Row};
use crate::model::no_nul;

/// The `pipeline` name of the runs [`Database::run_cpa`](crate::Database::run_cpa) records
/// in `ops.runs`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
/// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
/// let cpa_runs = db.runs(Some(ces_sql::CPA_PIPELINE)).await?;
/// assert!(cpa_runs.is_empty());
/// # Ok(()) }
/// ```
pub const CPA_PIPELINE: &str = "cpa";

/// What [`Database::run_cpa`](crate::Database::run_cpa) did: the run it recorded, the rows it
/// wrote to `daily_performance` and everything the merge noticed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
/// use ces::cpa::{Date, DateRange, MergeConfig};
/// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
/// let day = Date::from_ymd_opt(2025, 12, 17).unwrap();
/// let run = db.run_cpa(DateRange::new(day, day).unwrap(), &MergeConfig::default(), "cron").await?;
/// assert_eq!(run.rows_written, 0); // no inputs yet: an empty, completed run
/// assert!(!run.diagnostics.has_findings());
/// assert_eq!(db.run(&run.run_id).await?.output.unwrap()["rows"], 0);
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpaRun {
    /// The `ops.runs` id (a UUID, lower-case text), also the `run_id` of every row written.
    pub run_id: String,
    /// Rows written to `daily_performance` (the merge's output rows).
    pub rows_written: u64,
    /// The merge's diagnostics (also stored as `ops.run_events`, one per finding).
    pub diagnostics: Diagnostics,
}

/// The status of a row of `ops.runs`.
///
/// ```
/// use ces_sql::RunStatus;
/// assert_eq!("completed".parse::<RunStatus>()?, RunStatus::Completed);
/// assert_eq!(RunStatus::Failed.as_str(), "failed");
/// assert_eq!("done".parse::<RunStatus>().unwrap_err().code(), "invalid_value");
/// # Ok::<(), ces_sql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Waiting to start.
    Queued,
    /// Started, not finished.
    Running,
    /// Finished, its writes committed.
    Completed,
    /// Finished with an error (in `error`); it wrote nothing else.
    Failed,
    /// Stopped before finishing.
    Cancelled,
}

impl RunStatus {
    const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
    ];

    /// The stored name (`queued`, `running`, `completed`, `failed`, `cancelled`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        RunStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::InvalidValue {
                row: Row(None),
                field: "status",
                value: format!("{s:?}"),
                reason: "expected one of queued, running, completed, failed, cancelled".into(),
            })
    }
}

/// The level of a row of `ops.run_events`.
///
/// ```
/// use ces_sql::EventLevel;
/// assert_eq!("warning".parse::<EventLevel>()?, EventLevel::Warning);
/// assert!(EventLevel::Error > EventLevel::Info);
/// # Ok::<(), ces_sql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventLevel {
    /// Detail for debugging.
    Debug,
    /// Information (the run's summary, harmless duplicates).
    Info,
    /// A finding a person should look at (unmapped spend, unusable mapping rows, …).
    Warning,
    /// What made the run fail.
    Error,
}

impl EventLevel {
    const ALL: [EventLevel; 4] = [
        EventLevel::Debug,
        EventLevel::Info,
        EventLevel::Warning,
        EventLevel::Error,
    ];

    /// The stored name (`debug`, `info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventLevel::Debug => "debug",
            EventLevel::Info => "info",
            EventLevel::Warning => "warning",
            EventLevel::Error => "error",
        }
    }
}

impl fmt::Display for EventLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        EventLevel::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Error::InvalidValue {
                row: Row(None),
                field: "level",
                value: format!("{s:?}"),
                reason: "expected one of debug, info, warning, error".into(),
            })
    }
}

/// A row of `ops.runs`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
/// use ces::cpa::{Date, DateRange, MergeConfig};
/// use ces_sql::RunStatus;
/// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
/// let day = Date::from_ymd_opt(2025, 12, 17).unwrap();
/// let run = db.run_cpa(DateRange::new(day, day).unwrap(), &MergeConfig::default(), "cron").await?;
/// let record = db.run(&run.run_id).await?;
/// assert_eq!((record.pipeline.as_str(), record.status, record.actor.as_deref()), ("cpa", RunStatus::Completed, Some("cron")));
/// assert_eq!(record.input["range"]["start"], "2025-12-17");
/// assert!(record.started_at <= record.finished_at);
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The id (a UUID, lower-case text).
    pub id: String,
    /// What ran (`cpa` for [`Database::run_cpa`](crate::Database::run_cpa)).
    pub pipeline: String,
    /// Its status.
    pub status: RunStatus,
    /// Who or what started it.
    pub actor: Option<String>,
    /// What it was asked to do (for `cpa`: the range, the merge settings and the input row
    /// counts).
    pub input: Value,
    /// What it produced (for `cpa`: the rows written, the reconciled totals and the findings
    /// per kind); `None` until it completes.
    pub output: Option<Value>,
    /// When it started (UTC).
    pub started_at: Option<OffsetDateTime>,
    /// When it finished (UTC).
    pub finished_at: Option<OffsetDateTime>,
    /// Why it failed.
    pub error: Option<String>,
    /// When the row was created (UTC).
    pub created_at: OffsetDateTime,
}

/// A row of `ops.run_events`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
/// use ces::cpa::{Date, DateRange, MergeConfig};
/// use ces_sql::EventLevel;
/// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
/// let day = Date::from_ymd_opt(2025, 12, 17).unwrap();
/// let run = db.run_cpa(DateRange::new(day, day).unwrap(), &MergeConfig::default(), "cron").await?;
/// let events = db.run_events(&run.run_id).await?;
/// assert_eq!((events[0].kind.as_str(), events[0].level), ("summary", EventLevel::Info));
/// assert_eq!(events[0].data["totals"]["output_cost"], "0");
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct RunEvent {
    /// The id (events of a run are numbered in the order they were written).
    pub id: i64,
    /// The run.
    pub run_id: String,
    /// Its level.
    pub level: EventLevel,
    /// What kind of event (for `cpa`: a kind of [`Diagnostics::events`], `summary` or
    /// `error`).
    pub kind: String,
    /// A sentence for people.
    pub message: String,
    /// The event's data (for a finding: the core's record as JSON, amounts as decimal
    /// strings).
    pub data: Value,
    /// When it was written (UTC).
    pub created_at: OffsetDateTime,
}

// ---------------------------------------------------------------------------------------
// Shared, backend-independent pieces.

/// Money as stored: the exact decimal text of the amount; a zero never carries a sign
/// (PostgreSQL's `numeric` has no negative zero, and both backends must agree).
pub(crate) fn money_text(d: Decimal) -> String {
    if d.is_zero() && d.is_sign_negative() {
        let mut z = d;
        z.set_sign_positive(true);
        return z.to_string();
    }
    d.to_string()
}

/// A stored amount, parsed exactly from its text.
pub(crate) fn stored_money(
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

/// A stored count as `u64`.
pub(crate) fn stored_count(
    table: &'static str,
    key: &dyn Fn() -> String,
    field: &'static str,
    value: i64,
) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::UnexpectedStored {
        table,
        key: key(),
        field,
        value: format!("{value} (must not be negative)"),
    })
}

/// The core's field names as `'static` column names of the CPA tables.
fn static_field(field: Option<&str>) -> &'static str {
    const FIELDS: &[&str] = &[
        "clicks",
        "conversions",
        "revenue",
        "payout",
        "profit",
        "cost",
        "currency",
        "affiliate_label",
        "source_id",
    ];
    field
        .and_then(|f| FIELDS.iter().find(|c| **c == f).copied())
        .unwrap_or("row")
}

/// A stored row the core refuses as input (values written by other tools).
pub(crate) fn stored_error(table: &'static str, key: String, e: CesError) -> Error {
    Error::UnexpectedStored {
        table,
        key,
        field: static_field(e.field()),
        value: e.to_string(),
    }
}

/// Checks a run id (a UUID) and returns it lower-case, as both backends store it.
pub(crate) fn check_run_id(id: &str) -> Result<String> {
    let ok = id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if !ok {
        return Err(Error::InvalidValue {
            row: Row(None),
            field: "run_id",
            value: format!("{id:?}"),
            reason: "not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)".into(),
        });
    }
    Ok(id.to_ascii_lowercase())
}

/// Parses a stored JSON column.
pub(crate) fn stored_json(
    table: &'static str,
    key: &dyn Fn() -> String,
    field: &'static str,
    text: &str,
) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::UnexpectedStored {
        table,
        key: key(),
        field,
        value: format!("{text} ({e})"),
    })
}

/// A JSON value for a jsonb column (cannot fail for the values built here; kept typed).
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(
    field: &'static str,
    v: &T,
) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::InvalidValue {
        row: Row(None),
        field,
        value: "(not serialisable as JSON)".into(),
        reason: e.to_string(),
    })
}

/// One Everflow record, ready for the bulk upsert.
pub(crate) struct EverflowWrite<'a> {
    pub date: Date,
    pub affiliate_id: i64,
    pub affiliate_label: &'a str,
    pub advertiser_id: i64,
    pub advertiser_label: &'a str,
    pub clicks: i64,
    pub conversions: i64,
    pub revenue: String,
    pub payout: String,
    pub profit: String,
    pub currency: &'a str,
}

/// Validates the records of `t` for `table` (keyed by date, affiliate id and advertiser id):
/// a record without an affiliate id is an error naming its position; identical repeats of a
/// key are written once, repeats that disagree are [`Error::DuplicateKey`]. `reject_nul`: the
/// backend's text cannot hold NUL (PostgreSQL).
pub(crate) fn prepare_everflow<'a>(
    t: &'a EverflowTable,
    table: &'static str,
    reject_nul: bool,
) -> Result<Vec<EverflowWrite<'a>>> {
    let mut first: HashMap<(Date, i64, i64), usize> = HashMap::with_capacity(t.len());
    let mut out = Vec::with_capacity(t.len());
    for i in 0..t.len() {
        let r = t.get(i);
        let position = t.position(i);
        let row = Row(Some(position));
        let Some(affiliate_id) = r.affiliate_id else {
            return Err(Error::InvalidValue {
                row,
                field: "affiliate_id",
                value: "null".into(),
                reason: format!("missing: {table} is keyed by (date, affiliate_id, advertiser_id)"),
            });
        };
        if reject_nul {
            no_nul(row, "affiliate_label", r.affiliate_label)?;
            no_nul(row, "advertiser_label", r.advertiser_label)?;
        }
        match first.entry((r.date, affiliate_id, r.advertiser_id)) {
            Entry::Occupied(e) => {
                let j = *e.get();
                if t.get(j) != r {
                    return Err(Error::DuplicateKey {
                        table,
                        key: format!(
                            "{} / affiliate {affiliate_id} / advertiser {}",
                            r.date, r.advertiser_id
                        ),
                        first_row: t.position(j),
                        row: position,
                    });
                }
                continue;
            }
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
        out.push(EverflowWrite {
            date: r.date,
            affiliate_id,
            affiliate_label: r.affiliate_label,
            advertiser_id: r.advertiser_id,
            advertiser_label: r.advertiser_label,
            clicks: r.clicks,
            conversions: r.conversions,
            revenue: money_text(r.revenue),
            payout: money_text(r.payout),
            // A pushed record always has its profit (given, or derived by the table).
            profit: money_text(r.profit.unwrap_or_default()),
            currency: r.currency.unwrap_or("USD"),
        });
    }
    Ok(out)
}

/// One day of one Redtrack source, summed, ready for the bulk upsert.
pub(crate) struct SpendWrite<'a> {
    pub date: Date,
    pub source_id: &'a str,
    pub source_name: &'a str,
    pub source_alias: Option<&'a str>,
    pub clicks: i64,
    pub conversions: i64,
    pub cost: String,
    pub currency: &'a str,
}

/// Sums the records of `t` per (date, source id): records stamped with different instants
/// of one day are added up (the table is keyed by day); a repeated record (same stamp, same
/// values) counts once, a repeat that disagrees is [`Error::DuplicateKey`]; the amounts of a
/// day must share a currency. Name and alias are the first record's (by input position).
/// Output ordered by (date, source id).
pub(crate) fn prepare_spend<'a>(
    t: &'a SpendTable,
    table: &'static str,
    reject_nul: bool,
) -> Result<Vec<SpendWrite<'a>>> {
    let rows: Vec<_> = (0..t.len()).map(|i| (t.get(i), t.position(i))).collect();
    if reject_nul {
        for (r, position) in &rows {
            let row = Row(Some(*position));
            no_nul(row, "source_id", r.source_id)?;
            no_nul(row, "source_name", r.source_name)?;
            if let Some(a) = r.source_alias {
                no_nul(row, "source_alias", a)?;
            }
        }
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&rows[a], &rows[b]);
        (x.0.date, x.0.source_id, x.0.stamp, x.1).cmp(&(y.0.date, y.0.source_id, y.0.stamp, y.1))
    });
    let mut out: Vec<SpendWrite<'a>> = Vec::new();
    // (first position of the group, cost sum) of the group being summed.
    let mut group: Option<(u64, Decimal)> = None;
    let flush = |out: &mut Vec<SpendWrite<'a>>, group: &mut Option<(u64, Decimal)>| {
        if let (Some(last), Some((_, cost))) = (out.last_mut(), group.take()) {
            last.cost = money_text(cost);
        }
    };
    // The first record (in sorted order) of the current (date, source id, stamp).
    let mut stamp_first: Option<usize> = None;
    for &k in &order {
        let (r, position) = (&rows[k].0, rows[k].1);
        let row = Row(Some(position));
        let same_day = stamp_first.is_some_and(|p| {
            let q = &rows[p].0;
            (q.date, q.source_id) == (r.date, r.source_id)
        });
        if same_day {
            let p = stamp_first.unwrap_or(k);
            let q = &rows[p].0;
            if q.stamp == r.stamp {
                if (q.clicks, q.conversions, q.cost, q.currency)
                    != (r.clicks, r.conversions, r.cost, r.currency)
                {
                    return Err(Error::DuplicateKey {
                        table,
                        key: match r.stamp {
                            Some(s) => format!("{} / {} / stamp {s}", r.date, r.source_id),
                            None => format!("{} / {}", r.date, r.source_id),
                        },
                        first_row: rows[p].1,
                        row: position,
                    });
                }
                continue;
            }
            stamp_first = Some(k);
            let Some(last) = out.last_mut() else {
                continue;
            };
            if last.currency != r.currency.unwrap_or("USD") {
                return Err(Error::InvalidValue {
                    row,
                    field: "currency",
                    value: format!("{:?}", r.currency.unwrap_or("USD")),
                    reason: format!(
                        "the records of {} / {} are summed, and an earlier one is in {}",
                        r.date, r.source_id, last.currency
                    ),
                });
            }
            let overflow = |field: &'static str| Error::InvalidValue {
                row,
                field,
                value: "(sum)".into(),
                reason: format!("the day's total of {} / {} overflows", r.date, r.source_id),
            };
            last.clicks = last
                .clicks
                .checked_add(r.clicks)
                .ok_or_else(|| overflow("clicks"))?;
            last.conversions = last
                .conversions
                .checked_add(r.conversions)
                .ok_or_else(|| overflow("conversions"))?;
            if let Some((first_position, cost)) = group.as_mut() {
                *cost = cost.checked_add(r.cost).ok_or_else(|| overflow("cost"))?;
                if position < *first_position {
                    *first_position = position;
                    last.source_name = r.source_name;
                    last.source_alias = r.source_alias;
                }
            }
        } else {
            flush(&mut out, &mut group);
            group = Some((position, r.cost));
            out.push(SpendWrite {
                date: r.date,
                source_id: r.source_id,
                source_name: r.source_name,
                source_alias: r.source_alias,
                clicks: r.clicks,
                conversions: r.conversions,
                cost: String::new(),
                currency: r.currency.unwrap_or("USD"),
            });
            stamp_first = Some(k);
        }
    }
    flush(&mut out, &mut group);
    Ok(out)
}

/// One mapping row, ready for the bulk insert.
pub(crate) struct MappingWrite<'a> {
    pub row_number: i64,
    pub location: &'a str,
    /// The seven raw cells, in [`ces::cpa::MAPPING_COLUMNS`] order.
    pub raw: [Option<&'a str>; 7],
    pub target: Option<&'a MappingTarget>,
    /// The row's issues as a JSON array.
    pub issues: String,
}

/// Every row of `m` with its issues (the core's row issues, as JSON).
pub(crate) fn prepare_mapping(m: &Mapping, reject_nul: bool) -> Result<Vec<MappingWrite<'_>>> {
    let mut issues: HashMap<u64, Vec<&RowIssue>> = HashMap::new();
    for i in &m.issues {
        issues.entry(i.row).or_default().push(i);
    }
    m.entries()
        .iter()
        .map(|e| {
            let raw = [
                e.source.as_deref(),
                e.source_alias.as_deref(),
                e.source_id.as_deref(),
                e.affiliate_id.as_deref(),
                e.affiliate_label.as_deref(),
                e.advertiser_id.as_deref(),
                e.advertiser_label.as_deref(),
            ];
            if reject_nul {
                let row = Row(Some(e.row));
                no_nul(row, "location", &e.location)?;
                for (field, v) in STORED_MAPPING_COLUMNS.iter().zip(raw) {
                    if let Some(v) = v {
                        no_nul(row, field, v)?;
                    }
                }
            }
            let row_issues = issues.get(&e.row).map(Vec::as_slice).unwrap_or(&[]);
            Ok(MappingWrite {
                row_number: i64::try_from(e.row).unwrap_or(i64::MAX),
                location: &e.location,
                raw,
                target: e.target.as_ref(),
                issues: json_text("issues", &row_issues)?,
            })
        })
        .collect()
}

/// The stored columns of the dotted CSV header (dot → underscore), in
/// [`ces::cpa::MAPPING_COLUMNS`] order.
pub(crate) const STORED_MAPPING_COLUMNS: [&str; 7] = [
    "redtrack_source",
    "redtrack_source_alias",
    "redtrack_source_id",
    "everflow_affiliate_id",
    "everflow_affiliate_label",
    "everflow_advertiser_id",
    "everflow_advertiser_label",
];

/// One stored mapping row.
pub(crate) struct StoredMapping {
    pub row_number: i64,
    pub location: String,
    pub raw: [Option<String>; 7],
    pub issues: String,
}

/// A row issue from its stored JSON (the shape `RowIssue` serialises to).
fn issue_from_json(v: &Value, row: u64) -> Option<RowIssue> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(RowIssue {
        input: match v.get("input").and_then(Value::as_str)? {
            "everflow" => Input::Everflow,
            "redtrack" => Input::Redtrack,
            "mapping" => Input::Mapping,
            _ => return None,
        },
        row,
        location: s("location")?,
        field: s("field")?,
        value: s("value")?,
        reason: s("reason")?,
    })
}

/// Rebuilds the mapping from stored rows (ordered by row number): every row goes through the
/// core's [`Mapping::push`] again (so targets and issues follow the core's current rules);
/// stored issues the core does not re-derive (a CSV record with the wrong number of fields)
/// are kept.
pub(crate) fn build_mapping(table: &'static str, rows: Vec<StoredMapping>) -> Result<Mapping> {
    let mut m = Mapping::new();
    let mut stored: Vec<RowIssue> = Vec::new();
    for (index, r) in rows.iter().enumerate() {
        let raw = |k: usize| r.raw[k].as_deref();
        m.push(
            MappingRecord {
                source: raw(0),
                source_alias: raw(1),
                source_id: raw(2),
                affiliate_id: raw(3),
                affiliate_label: raw(4),
                advertiser_id: raw(5),
                advertiser_label: raw(6),
            },
            Some(r.location.clone()),
        );
        let key = || format!("row_number = {}", r.row_number);
        let issues = stored_json(table, &key, "issues", &r.issues)?;
        let Some(list) = issues.as_array() else {
            return Err(Error::UnexpectedStored {
                table,
                key: key(),
                field: "issues",
                value: format!("{issues} (expected a JSON array)"),
            });
        };
        for v in list {
            let issue =
                issue_from_json(v, index as u64).ok_or_else(|| Error::UnexpectedStored {
                    table,
                    key: key(),
                    field: "issues",
                    value: format!("{v} (not a row issue)"),
                })?;
            stored.push(issue);
        }
    }
    for issue in stored {
        if !m.issues.contains(&issue) {
            m.issues.push(issue);
        }
    }
    m.issues.sort_by_key(|i| i.row);
    Ok(m)
}

/// One stored `daily_performance` row.
pub(crate) struct StoredPerformance {
    pub date: Date,
    pub advertiser_id: i64,
    pub advertiser_label: String,
    pub affiliate_label: String,
    pub is_internal: bool,
    pub everflow_clicks: u64,
    pub conversions: u64,
    pub everflow_revenue: Decimal,
    pub everflow_payout: Decimal,
    pub redtrack_cost: Decimal,
    pub redtrack_clicks: u64,
    pub cost: Decimal,
    pub cpa: Option<Decimal>,
    pub everflow_rows: u32,
    pub spend_rows: u32,
}

/// One `ops.run_events` row to write.
pub(crate) struct EventWrite {
    pub level: EventLevel,
    pub kind: String,
    pub message: String,
    pub data: String,
}

/// A JSON field rendered for a message (strings without quotes).
fn field(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// The level and the sentence of one finding of [`Diagnostics::events`].
fn describe(kind: &str, v: &Value) -> (EventLevel, String) {
    let f = |k: &str| field(v, k);
    match kind {
        "rejected_row" => (
            EventLevel::Warning,
            format!(
                "{} {}: record rejected, `{}` = {:?} ({})",
                f("input"),
                f("location"),
                f("field"),
                f("value"),
                f("reason")
            ),
        ),
        "unmapped_spend" => (
            EventLevel::Warning,
            format!(
                "Redtrack source {} ({}): {} of spend on {} row(s) from {} to {} reaches no \
                 affiliate ({})",
                f("source_id"),
                f("source_name"),
                f("cost"),
                f("rows"),
                f("first_date"),
                f("last_date"),
                f("reason").replace('_', " ")
            ),
        ),
        "unused_mapping" => (
            EventLevel::Warning,
            format!(
                "mapping {}: source {} maps to {} / advertiser {}, which has no Everflow row \
                 in the range",
                f("location"),
                f("source_id"),
                f("affiliate_label"),
                f("advertiser_id")
            ),
        ),
        "malformed_mapping" => (
            EventLevel::Warning,
            format!(
                "mapping {}: row not usable, `{}` = {:?} ({})",
                f("location"),
                f("field"),
                f("value"),
                f("reason")
            ),
        ),
        "conflicting_mapping" => (
            EventLevel::Warning,
            format!(
                "mapping rows {} send source {} to different affiliates ({}): its spend is \
                 unmapped",
                f("locations"),
                f("source_id"),
                f("targets")
            ),
        ),
        "duplicate_mapping" => (
            EventLevel::Info,
            format!(
                "mapping rows {} map source {} identically ({})",
                f("locations"),
                f("source_id"),
                f("targets")
            ),
        ),
        "duplicate_rows" => (
            EventLevel::Info,
            format!(
                "{} records {} repeat the key {}: counted once",
                f("input"),
                f("rows"),
                f("key")
            ),
        ),
        "conversions_without_spend" => (
            EventLevel::Warning,
            format!(
                "{}: internal affiliate {} (advertiser {}) has {} conversion(s) but no \
                 Redtrack spend",
                f("date"),
                f("affiliate_label"),
                f("advertiser_id"),
                f("conversions")
            ),
        ),
        "spend_without_conversions" => (
            EventLevel::Warning,
            format!(
                "{}: internal affiliate {} (advertiser {}) has {} of Redtrack spend but no \
                 conversions",
                f("date"),
                f("affiliate_label"),
                f("advertiser_id"),
                f("redtrack_cost")
            ),
        ),
        "excluded_spend" => (
            EventLevel::Warning,
            format!(
                "{} (advertiser {}) is external by the internal rule: {} of its mapped spend \
                 on {} day(s) is in no cost",
                f("affiliate_label"),
                f("advertiser_id"),
                f("cost"),
                f("days")
            ),
        ),
        other => (EventLevel::Info, other.replace('_', " ")),
    }
}

/// How many findings of each kind.
pub(crate) fn finding_counts(events: &[(&'static str, Value)]) -> serde_json::Map<String, Value> {
    let mut counts = serde_json::Map::new();
    for (kind, _) in events {
        let n = counts.get(*kind).and_then(Value::as_u64).unwrap_or(0);
        counts.insert((*kind).to_owned(), json!(n + 1));
    }
    counts
}

/// The events of a completed CPA run: one per finding, then the summary with the totals.
pub(crate) fn cpa_events(
    diag: &Diagnostics,
    range: DateRange,
    currency: &str,
    rows: u64,
) -> Result<Vec<EventWrite>> {
    let findings = diag.events();
    let mut out = Vec::with_capacity(findings.len() + 1);
    for (kind, data) in &findings {
        let (level, message) = describe(kind, data);
        out.push(EventWrite {
            level,
            kind: (*kind).to_owned(),
            message,
            data: json_text("data", data)?,
        });
    }
    let t = &diag.totals;
    out.push(EventWrite {
        level: EventLevel::Info,
        kind: "summary".into(),
        message: format!(
            "merged {rows} row(s) for {} to {}: {} conversion(s), cost {} {currency}, {} \
             finding(s)",
            range.start,
            range.end,
            t.output_conversions,
            t.output_cost,
            findings.len()
        ),
        data: json_text(
            "data",
            &json!({
                "rows": rows,
                "range": range,
                "currency": currency,
                "totals": t,
                "findings": finding_counts(&findings),
            }),
        )?,
    });
    Ok(out)
}

/// The stored row behind a merge error that names a record of the loaded tables (whose
/// positions are their load order), for people: `table (key columns) = (values)`.
pub(crate) fn merge_error(
    e: CesError,
    everflow: &EverflowTable,
    spend: &SpendTable,
    everflow_table: &str,
    spend_table: &str,
) -> Error {
    let (input, position) = match &e {
        CesError::InvalidRecord { input, row, .. } => (input.as_str(), row.0),
        CesError::DuplicateKey { input, row, .. } => (input.as_str(), Some(*row)),
        _ => ("", None),
    };
    let stored = position
        .and_then(|p| usize::try_from(p).ok())
        .and_then(|i| match input {
            "everflow" if i < everflow.len() => {
                let r = everflow.get(i);
                Some(format!(
                    "{everflow_table} (date, affiliate_id, advertiser_id) = ({}, {}, {})",
                    r.date,
                    r.affiliate_id
                        .map_or_else(|| "null".into(), |a| a.to_string()),
                    r.advertiser_id
                ))
            }
            "redtrack" if i < spend.len() => {
                let r = spend.get(i);
                Some(format!(
                    "{spend_table} (date, source_id) = ({}, {})",
                    r.date, r.source_id
                ))
            }
            _ => None,
        });
    Error::Merge {
        stored,
        source: Box::new(e),
    }
}

/// Generates the CPA repository of one backend, as a child module `cpa`.
///
/// The invoking module provides the table names (`EVERFLOW_STATS`, `REDTRACK_SPEND`,
/// `AFFILIATE_MAPPING`, `DAILY_PERFORMANCE`, `RUNS`, `RUN_EVENTS`), `REJECTS_NUL`, the SQL
/// constants named below (`SERVER_NOW` reads the database's clock as a `Stamp`, the type
/// `started_at` is bound as), `begin_read`, `begin_write`, and the bulk writers
/// `upsert_everflow_rows`, `upsert_spend_rows`, `insert_mapping_rows`, `insert_performance`,
/// `insert_events` and `lock_cpa`.
macro_rules! cpa {
    ($DB:ty) => {
        pub(crate) mod cpa {
            use ces::cpa::{
                DateRange, EverflowRow, EverflowTable, Mapping, MergeConfig, MergeParams,
                PerformanceRow, PerformanceTable, SpendRow, SpendTable, merge,
            };
            use serde_json::json;
            use sqlx::Row as _;

            use super::{
                AFFILIATE_MAPPING, DAILY_PERFORMANCE, EVERFLOW_STATS, REDTRACK_SPEND,
                REJECTS_NUL, RUN_EVENTS, RUNS, begin_read, begin_write,
            };
            use $crate::cpa::{
                CPA_PIPELINE, CpaRun, EventLevel, RunEvent, RunRecord, RunStatus,
                StoredMapping, StoredPerformance, build_mapping, check_run_id, cpa_events,
                finding_counts, json_text, merge_error, prepare_everflow,
                prepare_mapping, prepare_spend, stored_count, stored_error, stored_json,
                stored_money,
            };
            use $crate::error::{Error, Result, Row};
            use $crate::model::check_key;
            use $crate::repo::db_error;

            type Pool = sqlx::Pool<$DB>;
            type Conn = <$DB as sqlx::Database>::Connection;

            /// `(start, end)` binds of an optional range.
            fn bounds(range: Option<DateRange>) -> (Option<ces::cpa::Date>, Option<ces::cpa::Date>) {
                (range.map(|r| r.start), range.map(|r| r.end))
            }

            /// Upserts the Everflow records in one transaction; returns how many rows were
            /// inserted or changed.
            pub(crate) async fn upsert_everflow(pool: &Pool, table: &EverflowTable) -> Result<u64> {
                const OP: &str = "upsert_everflow";
                let rows = prepare_everflow(table, EVERFLOW_STATS, REJECTS_NUL)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let n = super::upsert_everflow_rows(&mut tx, OP, &rows).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            /// Upserts the Redtrack records, summed per day and source, in one transaction;
            /// returns how many rows were inserted or changed.
            pub(crate) async fn upsert_spend(pool: &Pool, table: &SpendTable) -> Result<u64> {
                const OP: &str = "upsert_spend";
                let rows = prepare_spend(table, REDTRACK_SPEND, REJECTS_NUL)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let n = super::upsert_spend_rows(&mut tx, OP, &rows).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            /// Replaces every mapping row in one transaction; returns how many were written.
            pub(crate) async fn replace_mapping(pool: &Pool, mapping: &Mapping) -> Result<u64> {
                const OP: &str = "replace_mapping";
                let rows = prepare_mapping(mapping, REJECTS_NUL)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                sqlx::query(super::DELETE_MAPPING)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let n = super::insert_mapping_rows(&mut tx, OP, &rows).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            async fn everflow_on(conn: &mut Conn, range: Option<DateRange>) -> Result<EverflowTable> {
                const OP: &str = "load_everflow";
                let (start, end) = bounds(range);
                let rows = sqlx::query(super::LOAD_EVERFLOW)
                    .bind(start)
                    .bind(end)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error(OP))?;
                let mut table = EverflowTable::new();
                for (i, r) in rows.iter().enumerate() {
                    let date: ces::cpa::Date = r.try_get(0).map_err(db_error(OP))?;
                    let affiliate_id: i64 = r.try_get(1).map_err(db_error(OP))?;
                    let advertiser_id: i64 = r.try_get(3).map_err(db_error(OP))?;
                    let key = || {
                        format!(
                            "(date, affiliate_id, advertiser_id) = ({date}, {affiliate_id}, \
                             {advertiser_id})"
                        )
                    };
                    let affiliate_label: String = r.try_get(2).map_err(db_error(OP))?;
                    let advertiser_label: String = r.try_get(4).map_err(db_error(OP))?;
                    let revenue: String = r.try_get(7).map_err(db_error(OP))?;
                    let payout: String = r.try_get(8).map_err(db_error(OP))?;
                    let profit: String = r.try_get(9).map_err(db_error(OP))?;
                    let currency: String = r.try_get(10).map_err(db_error(OP))?;
                    let row = EverflowRow {
                        date,
                        affiliate_id: Some(affiliate_id),
                        affiliate_label: &affiliate_label,
                        advertiser_id,
                        advertiser_label: &advertiser_label,
                        clicks: r.try_get(5).map_err(db_error(OP))?,
                        conversions: r.try_get(6).map_err(db_error(OP))?,
                        revenue: stored_money(EVERFLOW_STATS, &key, "revenue", &revenue)?,
                        payout: stored_money(EVERFLOW_STATS, &key, "payout", &payout)?,
                        profit: Some(stored_money(EVERFLOW_STATS, &key, "profit", &profit)?),
                        currency: Some(currency.trim_end()),
                    };
                    table
                        .push_at(i as u64, row)
                        .map_err(|e| stored_error(EVERFLOW_STATS, key(), e))?;
                }
                Ok(table)
            }

            async fn spend_on(conn: &mut Conn, range: Option<DateRange>) -> Result<SpendTable> {
                const OP: &str = "load_spend";
                let (start, end) = bounds(range);
                let rows = sqlx::query(super::LOAD_SPEND)
                    .bind(start)
                    .bind(end)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error(OP))?;
                let mut table = SpendTable::new();
                for (i, r) in rows.iter().enumerate() {
                    let date: ces::cpa::Date = r.try_get(0).map_err(db_error(OP))?;
                    let source_id: String = r.try_get(1).map_err(db_error(OP))?;
                    let key = || format!("(date, source_id) = ({date}, {source_id})");
                    let source_name: String = r.try_get(2).map_err(db_error(OP))?;
                    let source_alias: Option<String> = r.try_get(3).map_err(db_error(OP))?;
                    let cost: String = r.try_get(6).map_err(db_error(OP))?;
                    let currency: String = r.try_get(7).map_err(db_error(OP))?;
                    let row = SpendRow {
                        date,
                        stamp: None,
                        source_id: &source_id,
                        source_name: &source_name,
                        source_alias: source_alias.as_deref(),
                        clicks: r.try_get(4).map_err(db_error(OP))?,
                        conversions: r.try_get(5).map_err(db_error(OP))?,
                        cost: stored_money(REDTRACK_SPEND, &key, "cost", &cost)?,
                        currency: Some(currency.trim_end()),
                    };
                    table
                        .push_at(i as u64, row)
                        .map_err(|e| stored_error(REDTRACK_SPEND, key(), e))?;
                }
                Ok(table)
            }

            async fn mapping_on(conn: &mut Conn) -> Result<Mapping> {
                const OP: &str = "load_mapping";
                let rows = sqlx::query(super::LOAD_MAPPING)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error(OP))?;
                let stored = rows
                    .iter()
                    .map(|r| {
                        let mut raw: [Option<String>; 7] = Default::default();
                        for (k, cell) in raw.iter_mut().enumerate() {
                            *cell = r.try_get(2 + k).map_err(db_error(OP))?;
                        }
                        Ok(StoredMapping {
                            row_number: r.try_get(0).map_err(db_error(OP))?,
                            location: r.try_get(1).map_err(db_error(OP))?,
                            raw,
                            issues: r.try_get(9).map_err(db_error(OP))?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                build_mapping(AFFILIATE_MAPPING, stored)
            }

            /// Everflow records of `range` (all when `None`), ordered by date, advertiser id
            /// and affiliate id; positions are that order.
            pub(crate) async fn load_everflow(pool: &Pool, range: Option<DateRange>) -> Result<EverflowTable> {
                let mut conn = pool.acquire().await.map_err(db_error("load_everflow"))?;
                everflow_on(&mut conn, range).await
            }

            /// Redtrack spend of `range`, ordered by date and source id.
            pub(crate) async fn load_spend(pool: &Pool, range: Option<DateRange>) -> Result<SpendTable> {
                let mut conn = pool.acquire().await.map_err(db_error("load_spend"))?;
                spend_on(&mut conn, range).await
            }

            /// The mapping, rows in row-number order.
            pub(crate) async fn load_mapping(pool: &Pool) -> Result<Mapping> {
                let mut conn = pool.acquire().await.map_err(db_error("load_mapping"))?;
                mapping_on(&mut conn).await
            }

            /// `daily_performance` rows of `range`.
            pub(crate) async fn load_performance(
                pool: &Pool,
                range: Option<DateRange>,
            ) -> Result<PerformanceTable> {
                const OP: &str = "load_performance";
                let (start, end) = bounds(range);
                let rows = sqlx::query(super::LOAD_PERFORMANCE)
                    .bind(start)
                    .bind(end)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                const T: &str = DAILY_PERFORMANCE;
                let stored = rows
                    .iter()
                    .map(|r| {
                        let date: ces::cpa::Date = r.try_get(0).map_err(db_error(OP))?;
                        let advertiser_id: i64 = r.try_get(1).map_err(db_error(OP))?;
                        let affiliate_label: String = r.try_get(3).map_err(db_error(OP))?;
                        let key = || {
                            format!(
                                "(date, advertiser_id, affiliate_label) = ({date}, \
                                 {advertiser_id}, {affiliate_label:?})"
                            )
                        };
                        let text = |i: usize| -> Result<String> {
                            r.try_get(i).map_err(db_error(OP))
                        };
                        let count = |i: usize, field: &'static str| -> Result<u64> {
                            stored_count(T, &key, field, r.try_get(i).map_err(db_error(OP))?)
                        };
                        let small = |i: usize, field: &'static str| -> Result<u32> {
                            let n = count(i, field)?;
                            u32::try_from(n).map_err(|_| Error::UnexpectedStored {
                                table: T,
                                key: key(),
                                field,
                                value: format!("{n} (more than 2^32 - 1)"),
                            })
                        };
                        let cpa: Option<String> = r.try_get(12).map_err(db_error(OP))?;
                        Ok(StoredPerformance {
                            date,
                            advertiser_id,
                            advertiser_label: text(2)?,
                            is_internal: r.try_get(4).map_err(db_error(OP))?,
                            everflow_clicks: count(5, "everflow_clicks")?,
                            conversions: count(6, "conversions")?,
                            everflow_revenue: stored_money(T, &key, "everflow_revenue", &text(7)?)?,
                            everflow_payout: stored_money(T, &key, "everflow_payout", &text(8)?)?,
                            redtrack_cost: stored_money(T, &key, "redtrack_cost", &text(9)?)?,
                            redtrack_clicks: count(10, "redtrack_clicks")?,
                            cost: stored_money(T, &key, "cost", &text(11)?)?,
                            cpa: cpa
                                .map(|c| stored_money(T, &key, "cpa", &c))
                                .transpose()?,
                            everflow_rows: small(13, "everflow_rows")?,
                            spend_rows: small(14, "spend_rows")?,
                            affiliate_label,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                PerformanceTable::from_rows(stored.iter().map(|s| PerformanceRow {
                    date: s.date,
                    advertiser_id: s.advertiser_id,
                    advertiser_label: &s.advertiser_label,
                    affiliate_label: &s.affiliate_label,
                    is_internal: s.is_internal,
                    everflow_clicks: s.everflow_clicks,
                    conversions: s.conversions,
                    everflow_revenue: s.everflow_revenue,
                    everflow_payout: s.everflow_payout,
                    redtrack_cost: s.redtrack_cost,
                    redtrack_clicks: s.redtrack_clicks,
                    cost: s.cost,
                    cpa: s.cpa,
                    everflow_rows: s.everflow_rows,
                    spend_rows: s.spend_rows,
                }))
                .map_err(|e| stored_error(T, "(date, advertiser_id, affiliate_label)".into(), e))
            }

            /// Loads, merges and writes a CPA run (see `Database::run_cpa`).
            pub(crate) async fn run_cpa(
                pool: &Pool,
                range: DateRange,
                config: &MergeConfig,
                actor: &str,
            ) -> Result<CpaRun> {
                check_key(Row(None), "actor", actor)?;
                // The start, on the database's clock (like every other timestamp of the run).
                let started: super::Stamp = sqlx::query_scalar(super::SERVER_NOW)
                    .fetch_one(pool)
                    .await
                    .map_err(db_error("run_cpa"))?;
                let params = MergeParams {
                    range: Some(range),
                    ..config.params().clone()
                };
                let mut input = json!({ "range": range, "params": &params });
                let result = execute(pool, range, &params, actor, &started, &mut input).await;
                if let Err(e) = &result {
                    // Best effort: the run's own error is what the caller needs to see.
                    let _ = record_failure(pool, actor, &input, &started, e).await;
                }
                result
            }

            async fn execute(
                pool: &Pool,
                range: DateRange,
                params: &MergeParams,
                actor: &str,
                started: &super::Stamp,
                input: &mut serde_json::Value,
            ) -> Result<CpaRun> {
                const OP: &str = "run_cpa";
                let config = params
                    .check()
                    .map_err(|e| Error::Merge {
                        stored: None,
                        source: Box::new(e),
                    })?;

                // 1. The inputs of the range, read in one snapshot.
                let mut tx = begin_read(pool).await.map_err(db_error(OP))?;
                let everflow = everflow_on(&mut tx, Some(range)).await?;
                let spend = spend_on(&mut tx, Some(range)).await?;
                let mapping = mapping_on(&mut tx).await?;
                tx.commit().await.map_err(db_error(OP))?;
                input["inputs"] = json!({
                    "everflow_rows": everflow.len(),
                    "spend_rows": spend.len(),
                    "mapping_rows": mapping.len(),
                });

                // 2. The merge (CPU work in the core, on this task).
                let merged = merge(&everflow, &spend, &mapping, &config).map_err(|e| {
                    merge_error(e, &everflow, &spend, EVERFLOW_STATS, REDTRACK_SPEND)
                })?;
                let diagnostics = merged.diagnostics;
                let rows = merged.performance.len() as u64;
                let currency = config.currency();
                let events = cpa_events(&diagnostics, range, currency.as_str(), rows)?;
                let output = json!({
                    "rows": rows,
                    "totals": &diagnostics.totals,
                    "findings": finding_counts(&diagnostics.events()),
                });

                // 3. Everything written in one transaction.
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                super::lock_cpa(&mut tx).await.map_err(db_error(OP))?;
                let run_id: String = sqlx::query_scalar(super::INSERT_RUN)
                    .bind(CPA_PIPELINE)
                    .bind(RunStatus::Running.as_str())
                    .bind(actor)
                    .bind(json_text("input", &*input)?)
                    .bind(started)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                sqlx::query(super::DELETE_PERFORMANCE)
                    .bind(range.start)
                    .bind(range.end)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let written = super::insert_performance(
                    &mut tx,
                    OP,
                    &run_id,
                    currency.as_str(),
                    &merged.performance,
                )
                .await?;
                super::insert_events(&mut tx, OP, &run_id, &events).await?;
                sqlx::query(super::COMPLETE_RUN)
                    .bind(&run_id)
                    .bind(json_text("output", &output)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(CpaRun {
                    run_id,
                    rows_written: written,
                    diagnostics,
                })
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
                const OP: &str = "run_cpa";
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let run_id: String = sqlx::query_scalar(super::INSERT_FAILED_RUN)
                    .bind(CPA_PIPELINE)
                    .bind(actor)
                    .bind(json_text("input", input)?)
                    .bind(started)
                    .bind(e.to_string())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let event = $crate::cpa::EventWrite {
                    level: EventLevel::Error,
                    kind: "error".into(),
                    message: e.to_string(),
                    data: json_text("data", &json!({ "code": e.code() }))?,
                };
                super::insert_events(&mut tx, OP, &run_id, std::slice::from_ref(&event)).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(())
            }

            fn run_record(r: &<$DB as sqlx::Database>::Row) -> Result<RunRecord> {
                const OP: &str = "runs";
                let id: String = r.try_get(0).map_err(db_error(OP))?;
                let key = || format!("id = {id:?}");
                let status: String = r.try_get(2).map_err(db_error(OP))?;
                let input: String = r.try_get(4).map_err(db_error(OP))?;
                let output: Option<String> = r.try_get(5).map_err(db_error(OP))?;
                Ok(RunRecord {
                    pipeline: r.try_get(1).map_err(db_error(OP))?,
                    status: status.parse().map_err(|_| Error::UnexpectedStored {
                        table: RUNS,
                        key: key(),
                        field: "status",
                        value: format!("{status:?}"),
                    })?,
                    actor: r.try_get(3).map_err(db_error(OP))?,
                    input: stored_json(RUNS, &key, "input", &input)?,
                    output: output
                        .map(|o| stored_json(RUNS, &key, "output", &o))
                        .transpose()?,
                    started_at: r.try_get(6).map_err(db_error(OP))?,
                    finished_at: r.try_get(7).map_err(db_error(OP))?,
                    error: r.try_get(8).map_err(db_error(OP))?,
                    created_at: r.try_get(9).map_err(db_error(OP))?,
                    id,
                })
            }

            /// One run by id.
            pub(crate) async fn run(pool: &Pool, id: &str) -> Result<RunRecord> {
                let id = check_run_id(id)?;
                let row = sqlx::query(super::SELECT_RUN)
                    .bind(&id)
                    .fetch_optional(pool)
                    .await
                    .map_err(db_error("run"))?;
                match row {
                    Some(r) => run_record(&r),
                    None => Err(Error::NotFound {
                        table: RUNS,
                        field: "id",
                        value: format!("{id:?}"),
                    }),
                }
            }

            /// The runs (of one pipeline), oldest first.
            pub(crate) async fn runs(pool: &Pool, pipeline: Option<&str>) -> Result<Vec<RunRecord>> {
                let rows = sqlx::query(super::LIST_RUNS)
                    .bind(pipeline)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error("runs"))?;
                rows.iter().map(run_record).collect()
            }

            /// The events of a run, in the order they were written.
            pub(crate) async fn run_events(pool: &Pool, run_id: &str) -> Result<Vec<RunEvent>> {
                const OP: &str = "run_events";
                let run_id = check_run_id(run_id)?;
                let rows = sqlx::query(super::LIST_EVENTS)
                    .bind(&run_id)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let id: i64 = r.try_get(0).map_err(db_error(OP))?;
                        let key = || format!("id = {id}");
                        let level: String = r.try_get(2).map_err(db_error(OP))?;
                        let data: String = r.try_get(5).map_err(db_error(OP))?;
                        Ok(RunEvent {
                            run_id: r.try_get(1).map_err(db_error(OP))?,
                            level: level.parse().map_err(|_| Error::UnexpectedStored {
                                table: RUN_EVENTS,
                                key: key(),
                                field: "level",
                                value: format!("{level:?}"),
                            })?,
                            kind: r.try_get(3).map_err(db_error(OP))?,
                            message: r.try_get(4).map_err(db_error(OP))?,
                            data: stored_json(RUN_EVENTS, &key, "data", &data)?,
                            created_at: r.try_get(6).map_err(db_error(OP))?,
                            id,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use cpa;

#[cfg(test)]
mod tests {
    use super::*;
    use ces::cpa::{EverflowRow, SpendRow};

    fn d(day: u32) -> Date {
        Date::from_ymd_opt(2025, 12, day).unwrap()
    }

    #[test]
    fn money_text_is_exact() {
        for s in ["7825.50", "0.30000000000000004", "0.00", "-12.5", "1e3"] {
            let v = parse_money(s).unwrap();
            assert_eq!(parse_money(&money_text(v)).unwrap(), v);
        }
        assert_eq!(money_text(parse_money("7825.50").unwrap()), "7825.50");
        assert_eq!(money_text(parse_money("-0.00").unwrap()), "0.00");
    }

    #[test]
    fn spend_is_summed_per_day() {
        let mut t = SpendTable::new();
        let row = |stamp, cost: i64, name| SpendRow {
            date: d(1),
            stamp,
            source_id: "s1",
            source_name: name,
            source_alias: None,
            clicks: 10,
            conversions: 1,
            cost: Decimal::new(cost, 2),
            currency: None,
        };
        t.push(row(Some(200), 150, "later")).unwrap();
        t.push(row(Some(100), 250, "first")).unwrap();
        t.push(row(Some(100), 250, "first")).unwrap(); // an identical repeat
        t.push(SpendRow {
            date: d(2),
            ..row(None, 1, "x")
        })
        .unwrap();
        let w = prepare_spend(&t, "spend", true).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(
            (
                w[0].clicks,
                w[0].conversions,
                w[0].cost.as_str(),
                w[0].source_name
            ),
            (20, 2, "4.00", "later")
        );
        assert_eq!(w[1].cost, "0.01");

        t.push(row(Some(100), 999, "first")).unwrap();
        let err = prepare_spend(&t, "spend", true).err().unwrap();
        assert_eq!((err.code(), err.row()), ("duplicate_key", Some(4)));
    }

    #[test]
    fn everflow_needs_an_affiliate_id() {
        let mut t = EverflowTable::new();
        let row = EverflowRow {
            date: d(1),
            affiliate_id: Some(7),
            affiliate_label: "G2 - Meta",
            advertiser_id: 1,
            advertiser_label: "CCW",
            clicks: 1,
            conversions: 1,
            revenue: Decimal::ONE,
            payout: Decimal::ONE,
            profit: Some(Decimal::ZERO),
            currency: None,
        };
        t.push(row).unwrap();
        t.push(row).unwrap();
        assert_eq!(prepare_everflow(&t, "ef", true).unwrap().len(), 1);
        t.push(EverflowRow {
            affiliate_id: None,
            ..row
        })
        .unwrap();
        let err = prepare_everflow(&t, "ef", true).err().unwrap();
        assert_eq!(
            err.to_string(),
            "row 2: invalid value for `affiliate_id`: null (missing: ef is keyed by (date, \
             affiliate_id, advertiser_id))"
        );
    }

    #[test]
    fn run_ids_are_uuids() {
        assert_eq!(
            check_run_id("0A1B2C3D-0000-4000-8000-000000000000").unwrap(),
            "0a1b2c3d-0000-4000-8000-000000000000"
        );
        assert!(check_run_id("run-1").is_err());
    }
}
