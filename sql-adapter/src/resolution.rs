//! Brand resolution in the database: the catalog read from the master tables, staging rows
//! resolved in one transaction, the audit log (`ops.brand_resolution_log`) and the triage
//! queue (`ops.brand_triage`).
//!
//! The public types live here; the orchestration shared by both backends is the
//! [`resolution!`] macro, which each backend module instantiates over its own SQL and bulk
//! writers.

// Without a backend only the public types are used.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports, unused_macros)
)]

use std::collections::{HashMap, HashSet};

use ces::brands::{Candidate, Decision, Status, TriageItem, TriageQueue, TriageStatus};
use sqlx::types::time::OffsetDateTime;

use crate::error::{Error, Result, Row};
use crate::model::{check_key, no_nul};

/// A row of `staging.drive_skus` (SQLite: `staging_drive_skus`) to insert or update, keyed by
/// `sku`. Only the raw columns: the resolution columns are written by
/// [`Database::resolve_staging_skus`](crate::Database::resolve_staging_skus).
///
/// ```
/// use ces_sql::DriveSku;
/// let row = DriveSku { price: Some(45.5), ..DriveSku::new("SKU-1", "Coca Cola 1.5L") };
/// assert!(row.validate(None).is_ok());
/// let err = DriveSku { price: Some(1.005), ..row }.validate(Some(3)).unwrap_err();
/// assert_eq!((err.row(), err.field()), (Some(3), Some("price")));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DriveSku {
    /// The key. Must contain a non-blank character.
    pub sku: String,
    /// The raw brand text, as the source wrote it (never rewritten by resolution).
    pub brand: Option<String>,
    /// Product name.
    pub product_name: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price, `numeric(12,2)`: at most two decimals and ten integer digits.
    pub price: Option<f64>,
}

impl DriveSku {
    /// A row with only a SKU and a raw brand.
    pub fn new(sku: impl Into<String>, brand: impl Into<String>) -> Self {
        DriveSku {
            sku: sku.into(),
            brand: Some(brand.into()),
            ..DriveSku::default()
        }
    }

    /// Checks the values the database would refuse, naming `row` (the position in a batch).
    pub fn validate(&self, row: Option<u64>) -> Result<()> {
        let row = Row(row);
        check_key(row, "sku", &self.sku)?;
        for (field, value) in [
            ("brand", &self.brand),
            ("product_name", &self.product_name),
            ("category", &self.category),
        ] {
            if let Some(v) = value {
                no_nul(row, field, v)?;
            }
        }
        if let Some(p) = self.price
            && (!p.is_finite() || p.abs() >= 1e10 || (p * 100.0).round() / 100.0 != p)
        {
            return Err(Error::InvalidValue {
                row,
                field: "price",
                value: p.to_string(),
                reason: "must be a finite number with at most 2 decimals and 10 integer \
                         digits, the column is numeric(12,2)"
                    .into(),
            });
        }
        Ok(())
    }
}

/// A row of `staging.drive_skus` as stored, raw columns and resolution.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct StagedSku {
    /// The key.
    pub sku: String,
    /// The raw brand text, exactly as written by the source.
    pub brand: Option<String>,
    /// Product name.
    pub product_name: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price (two decimals).
    pub price: Option<f64>,
    /// The brand it resolved to (only when `resolution_status` is `resolved`).
    pub resolved_brand_id: Option<i64>,
    /// `resolved`, `ambiguous` or `unresolved`; `None` until a run resolved the row.
    pub resolution_status: Option<Status>,
    /// The winning score (`resolved` and `ambiguous`).
    pub resolution_score: Option<f32>,
    /// When the last run wrote the row (UTC).
    pub resolved_at: Option<OffsetDateTime>,
    /// The run that last resolved the row.
    pub resolution_run_id: Option<String>,
}

/// What [`Database::resolve_staging_skus`](crate::Database::resolve_staging_skus) did.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolutionSummary {
    /// Staging rows resolved by this call (0 when the run had already resolved everything).
    pub rows: u64,
    /// Of which `resolved`.
    pub resolved: u64,
    /// Of which `ambiguous`.
    pub ambiguous: u64,
    /// Of which `unresolved`.
    pub unresolved: u64,
    /// Rows inserted into the resolution log.
    pub logged: u64,
    /// Distinct normalised inputs added to (or counted again in) the triage queue.
    pub triaged: u64,
}

/// A row of the triage queue `ops.brand_triage`: one distinct normalised input that did not
/// resolve, with its occurrences and the best suggestions seen.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct TriageRecord {
    /// The normalised form (the key; also the alias text that accepting creates).
    pub normalized: String,
    /// How many resolution attempts produced it (a row re-resolved by a new run counts
    /// again).
    pub occurrences: u64,
    /// When a run first queued it (UTC).
    pub first_seen: OffsetDateTime,
    /// When a run last queued it (UTC).
    pub last_seen: OffsetDateTime,
    /// Up to three raw inputs, as first seen.
    pub samples: Vec<String>,
    /// The best suggestions seen (one per brand, best score kept, at most five), best first.
    pub suggestions: Vec<Candidate>,
    /// The resolver's verdict when last seen (`unresolved` or `ambiguous`).
    pub last_status: Status,
    /// Open, mapped or ignored.
    pub status: TriageStatus,
    /// The brand it was mapped to.
    pub mapped_brand_id: Option<i64>,
    /// The alias that mapping created (or found).
    pub mapped_alias_id: Option<i64>,
    /// When the row was created (UTC).
    pub created_at: OffsetDateTime,
    /// When the row last changed (UTC).
    pub updated_at: OffsetDateTime,
}

impl TriageRecord {
    /// The record as the core's [`TriageItem`], with times as Unix seconds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// # let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// for record in db.triage_items(None).await? {
    ///     let item = record.to_item();
    ///     assert_eq!(item.count, record.occurrences);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn to_item(&self) -> TriageItem {
        TriageItem {
            normalized: self.normalized.clone(),
            count: self.occurrences,
            first_seen: self.first_seen.unix_timestamp(),
            last_seen: self.last_seen.unix_timestamp(),
            samples: self.samples.clone(),
            last_status: self.last_status,
            suggestions: self.suggestions.clone(),
            status: self.status,
            mapped_brand_id: self.mapped_brand_id,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Shared, backend-independent pieces.

/// The core's status from its stored name.
pub(crate) fn parse_status(s: &str) -> Option<Status> {
    [Status::Resolved, Status::Ambiguous, Status::Unresolved]
        .into_iter()
        .find(|x| x.name() == s)
}

/// The core's triage status from its stored name.
pub(crate) fn parse_triage_status(s: &str) -> Option<TriageStatus> {
    [
        TriageStatus::Open,
        TriageStatus::Mapped,
        TriageStatus::Ignored,
    ]
    .into_iter()
    .find(|x| x.name() == s)
}

/// A threshold stored as `real`, read as the shortest decimal naming that `real` (a stored
/// 0.72 reads as 0.72, not 0.7200000286102295).
pub(crate) fn widen_threshold(t: f64) -> f64 {
    let narrow = t as f32;
    narrow.to_string().parse().unwrap_or(t)
}

/// A JSON column's value could not be serialised (cannot happen for the core's types; kept
/// typed rather than panicking).
fn json_error(row: Row, field: &'static str) -> impl FnOnce(serde_json::Error) -> Error {
    move |e| Error::InvalidValue {
        row,
        field,
        value: "(not serialisable as JSON)".into(),
        reason: e.to_string(),
    }
}

/// One decision, ready for a bulk insert into the resolution log.
pub(crate) struct LogRow<'a> {
    pub source_row_id: &'a str,
    pub d: &'a Decision,
    pub quantities: String,
    pub shared_trigrams: String,
    pub missing_trigrams: String,
    pub candidates: String,
}

impl LogRow<'_> {
    pub fn runner_up_brand_id(&self) -> Option<i64> {
        self.d.runner_up.as_ref().map(|c| c.brand_id)
    }
    pub fn runner_up_brand_name(&self) -> Option<&str> {
        self.d.runner_up.as_ref().map(|c| c.brand_name.as_str())
    }
    pub fn runner_up_score(&self) -> Option<f32> {
        self.d.runner_up.as_ref().map(|c| c.score)
    }
}

/// Validates `run_id`, `source_table` and every row, drops repeated `source_row_id`s (the
/// first is kept, as the unique key would), and serialises the JSON columns. `reject_nul`:
/// the backend's text cannot hold NUL (PostgreSQL).
pub(crate) fn prepare_log<'a>(
    run_id: &str,
    source_table: &str,
    rows: impl Iterator<Item = (&'a str, &'a Decision)>,
    reject_nul: bool,
) -> Result<Vec<LogRow<'a>>> {
    check_key(Row(None), "run_id", run_id)?;
    check_key(Row(None), "source_table", source_table)?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, (id, d)) in rows.enumerate() {
        let row = Row(Some(i as u64));
        check_key(row, "source_row_id", id)?;
        if reject_nul {
            let texts = [
                ("original_brand", Some(d.input.as_str())),
                ("normalized_input", Some(d.normalized.as_str())),
                ("resolved_brand_name", d.brand_name.as_deref()),
                ("matched_text", d.matched_text.as_deref()),
                ("reason", d.reason.as_deref()),
                ("catalog_fingerprint", Some(d.catalog_fingerprint.as_str())),
            ];
            for (field, text) in texts {
                if let Some(t) = text {
                    no_nul(row, field, t)?;
                }
            }
            for c in d.candidates.iter().chain(&d.runner_up) {
                no_nul(row, "candidates", &c.brand_name)?;
                no_nul(row, "candidates", &c.matched_text)?;
            }
        }
        for (field, score) in [
            ("confidence", d.score),
            ("runner_up_score", d.runner_up.as_ref().map(|c| c.score)),
        ] {
            if let Some(s) = score
                && !(0.0..=1.0).contains(&s)
            {
                return Err(Error::InvalidValue {
                    row,
                    field,
                    value: s.to_string(),
                    reason: "a score must be a number in [0, 1]".into(),
                });
            }
        }
        if !d.threshold.is_finite() {
            return Err(Error::InvalidValue {
                row,
                field: "threshold",
                value: d.threshold.to_string(),
                reason: "must be a finite number".into(),
            });
        }
        if !seen.insert(id) {
            continue;
        }
        out.push(LogRow {
            source_row_id: id,
            d,
            quantities: serde_json::to_string(&d.quantities)
                .map_err(json_error(row, "quantities"))?,
            shared_trigrams: serde_json::to_string(&d.shared_trigrams)
                .map_err(json_error(row, "shared_trigrams"))?,
            missing_trigrams: serde_json::to_string(&d.missing_trigrams)
                .map_err(json_error(row, "missing_trigrams"))?,
            candidates: serde_json::to_string(&d.candidates)
                .map_err(json_error(row, "candidates"))?,
        });
    }
    Ok(out)
}

/// The staging columns a decision sets.
pub(crate) struct StagingUpdate<'a> {
    pub sku: &'a str,
    /// Only for `resolved` decisions (an ambiguous row names no brand).
    pub brand_id: Option<i64>,
    pub status: &'static str,
    pub score: Option<f32>,
}

pub(crate) fn staging_update<'a>(sku: &'a str, d: &Decision) -> StagingUpdate<'a> {
    StagingUpdate {
        sku,
        brand_id: d.brand_id.filter(|_| d.status == Status::Resolved),
        status: d.status.name(),
        score: d.score,
    }
}

/// One triage row to upsert: this run's occurrences, merged samples and suggestions.
pub(crate) struct TriageUpsert {
    pub normalized: String,
    pub occurrences: i64,
    pub samples: String,
    pub suggestions: String,
    pub last_status: &'static str,
}

/// This run's unresolved and ambiguous decisions, grouped by normalised form (the core's
/// [`TriageQueue`] rules: resolved decisions and blank forms are not queued).
pub(crate) fn triage_groups(decisions: &[Decision]) -> Vec<TriageItem> {
    let mut queue = TriageQueue::default();
    for d in decisions {
        queue.record(d, 0);
    }
    let mut items: Vec<TriageItem> = queue.items().into_iter().cloned().collect();
    items.sort_by(|a, b| a.normalized.cmp(&b.normalized));
    items
}

/// Parses the stored JSON of a triage row.
pub(crate) fn parse_triage_json(
    table: &'static str,
    normalized: &str,
    samples: &str,
    suggestions: &str,
) -> Result<(Vec<String>, Vec<Candidate>)> {
    let bad = |field: &'static str, value: &str, e: serde_json::Error| Error::UnexpectedStored {
        table,
        key: format!("normalized = {normalized:?}"),
        field,
        value: format!("{value} ({e})"),
    };
    let samples = serde_json::from_str(samples).map_err(|e| bad("samples", samples, e))?;
    let suggestions =
        serde_json::from_str(suggestions).map_err(|e| bad("suggestions", suggestions, e))?;
    Ok((samples, suggestions))
}

/// Merges this run's group into the stored row (if any): samples kept in first-seen order,
/// at most three; suggestions best per brand, best first (score, then brand id), at most
/// five — the rules of the core's [`TriageQueue::record`].
pub(crate) fn merge_triage(
    table: &'static str,
    item: &TriageItem,
    stored: Option<&(String, String)>,
) -> Result<TriageUpsert> {
    let (mut samples, mut suggestions) = match stored {
        Some((s, g)) => parse_triage_json(table, &item.normalized, s, g)?,
        None => (Vec::new(), Vec::new()),
    };
    for s in &item.samples {
        if samples.len() < 3 && !samples.contains(s) {
            samples.push(s.clone());
        }
    }
    for c in &item.suggestions {
        match suggestions.iter_mut().find(|s| s.brand_id == c.brand_id) {
            Some(s) if c.score > s.score => *s = c.clone(),
            Some(_) => {}
            None => suggestions.push(c.clone()),
        }
    }
    suggestions.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.brand_id.cmp(&b.brand_id))
    });
    suggestions.truncate(5);
    Ok(TriageUpsert {
        normalized: item.normalized.clone(),
        occurrences: item.count as i64,
        samples: serde_json::to_string(&samples).map_err(json_error(Row(None), "samples"))?,
        suggestions: serde_json::to_string(&suggestions)
            .map_err(json_error(Row(None), "suggestions"))?,
        last_status: item.last_status.name(),
    })
}

/// The stored `(samples, suggestions)` JSON by normalised form.
pub(crate) type StoredTriage = HashMap<String, (String, String)>;

/// Generates the resolution repository of one backend, as a child module `resolution`.
///
/// The invoking module provides the table names (`BRANDS`, `ALIASES`, `GENERIC_WORDS`,
/// `STAGING`, `LOG`, `TRIAGE`), `REJECTS_NUL`, the SQL constants named below, `begin_read`,
/// `begin_write`, and the bulk writers `insert_log`, `update_staging`, `stored_triage`,
/// `upsert_triage` and `missing_brands`.
macro_rules! resolution {
    ($DB:ty) => {
        pub(crate) mod resolution {
            use ces::brands::{
                AliasRecord, BrandRecord, CatalogSpec, Decision, NormalizerSpec, Resolver, Status,
                TriageStatus,
            };
            use sqlx::Row as _;

            use super::{
                ALIASES, BRANDS, GENERIC_WORDS, REJECTS_NUL, STAGING, TRIAGE, begin_read,
                begin_write,
            };
            use $crate::error::{Error, Result, Row};
            use $crate::model::{AliasType, NewAlias, check_key};
            use $crate::repo::{db_error, write_error};
            use $crate::resolution::{
                DriveSku, ResolutionSummary, StagedSku, TriageRecord, merge_triage, parse_status,
                parse_triage_json, parse_triage_status, prepare_log, staging_update, triage_groups,
                widen_threshold,
            };

            type Pool = sqlx::Pool<$DB>;

            /// The active brands, their aliases and the generic words, read in one
            /// snapshot.
            pub(crate) async fn load_catalog(
                pool: &Pool,
                normalizer: NormalizerSpec,
            ) -> Result<CatalogSpec> {
                const OP: &str = "load_catalog";
                let mut tx = begin_read(pool).await.map_err(db_error(OP))?;
                let brands: Vec<(i64, String, Option<f64>)> = sqlx::query_as(super::LOAD_BRANDS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let aliases: Vec<(i64, i64, String, Option<String>, Option<f64>)> =
                    sqlx::query_as(super::LOAD_ALIASES)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_error(OP))?;
                let generic_words: Vec<String> = sqlx::query_scalar(super::LOAD_GENERIC_WORDS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                tx.commit().await.map_err(db_error(OP))?;
                let aliases = aliases
                    .into_iter()
                    .map(|(id, brand_id, alias, alias_type, threshold)| {
                        let parsed = alias_type
                            .as_deref()
                            .and_then(|t| t.parse::<ces::brands::AliasType>().ok())
                            .ok_or_else(|| Error::UnexpectedValue {
                                table: ALIASES,
                                id,
                                field: "alias_type",
                                value: format!("{alias_type:?}"),
                            })?;
                        Ok(AliasRecord {
                            brand_id,
                            alias,
                            alias_type: parsed,
                            threshold: threshold.map(widen_threshold),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(CatalogSpec {
                    brands: brands
                        .into_iter()
                        .map(|(id, name, threshold)| BrandRecord {
                            id,
                            name,
                            threshold: threshold.map(widen_threshold),
                        })
                        .collect(),
                    aliases,
                    generic_words,
                    normalizer,
                })
            }

            /// Inserts the words that are not there yet; returns how many were new.
            pub(crate) async fn upsert_generic_words(pool: &Pool, words: &[&str]) -> Result<u64> {
                const OP: &str = "upsert_generic_words";
                for (i, w) in words.iter().enumerate() {
                    check_key(Row(Some(i as u64)), "word", w)?;
                }
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let mut inserted = 0;
                for (i, w) in words.iter().enumerate() {
                    inserted += sqlx::query(super::INSERT_GENERIC_WORD)
                        .bind(*w)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| {
                            write_error(e, OP, Row(Some(i as u64)), GENERIC_WORDS, BRANDS, None)
                        })?
                        .rows_affected();
                }
                tx.commit().await.map_err(db_error(OP))?;
                Ok(inserted)
            }

            /// Bulk-inserts log rows in one transaction; returns how many were new.
            pub(crate) async fn write_resolution_log<S: AsRef<str> + Sync>(
                pool: &Pool,
                run_id: &str,
                source_table: &str,
                rows: &[(S, Decision)],
            ) -> Result<u64> {
                const OP: &str = "write_resolution_log";
                let prepared = prepare_log(
                    run_id,
                    source_table,
                    rows.iter().map(|(id, d)| (id.as_ref(), d)),
                    REJECTS_NUL,
                )?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let n = super::insert_log(&mut tx, OP, run_id, source_table, &prepared).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(n)
            }

            /// Resolves the staging rows `run_id` has not resolved, writing everything in
            /// one transaction.
            pub(crate) async fn resolve_staging_skus(
                pool: &Pool,
                resolver: &Resolver,
                run_id: &str,
                progress: Option<&(dyn Fn(usize, usize) + Sync)>,
            ) -> Result<ResolutionSummary> {
                const OP: &str = "resolve_staging_skus";
                check_key(Row(None), "run_id", run_id)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let rows: Vec<(String, Option<String>)> = sqlx::query_as(super::SELECT_STAGING)
                    .bind(run_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let mut summary = ResolutionSummary::default();
                if rows.is_empty() {
                    tx.commit().await.map_err(db_error(OP))?;
                    return Ok(summary);
                }
                // A NULL raw brand resolves as the empty text: `unresolved`, "empty input".
                let inputs: Vec<&str> = rows
                    .iter()
                    .map(|(_, b)| b.as_deref().unwrap_or(""))
                    .collect();
                let decisions =
                    resolver.resolve_batch(&inputs, progress.map(|p| p as &dyn Fn(usize, usize)));
                let keys = || rows.iter().map(|(sku, _)| sku.as_str());
                for d in &decisions {
                    match d.status {
                        Status::Resolved => summary.resolved += 1,
                        Status::Ambiguous => summary.ambiguous += 1,
                        Status::Unresolved => summary.unresolved += 1,
                    }
                }
                summary.rows = decisions.len() as u64;

                // 1. The audit log.
                let log = prepare_log(run_id, STAGING, keys().zip(&decisions), REJECTS_NUL)?;
                summary.logged = super::insert_log(&mut tx, OP, run_id, STAGING, &log).await?;

                // 2. The triage queue.
                let groups = triage_groups(&decisions);
                if !groups.is_empty() {
                    let names: Vec<&str> = groups.iter().map(|g| g.normalized.as_str()).collect();
                    let stored = super::stored_triage(&mut tx, OP, &names).await?;
                    let upserts = groups
                        .iter()
                        .map(|g| merge_triage(TRIAGE, g, stored.get(&g.normalized)))
                        .collect::<Result<Vec<_>>>()?;
                    super::upsert_triage(&mut tx, OP, &upserts).await?;
                    summary.triaged = upserts.len() as u64;
                }

                // 3. The staging rows (raw `brand` untouched).
                let updates: Vec<_> = keys()
                    .zip(&decisions)
                    .map(|(sku, d)| staging_update(sku, d))
                    .collect();
                if let Err(e) = super::update_staging(&mut tx, run_id, &updates).await {
                    let _ = tx.rollback().await;
                    return Err(staging_error(pool, e, &updates).await);
                }
                tx.commit().await.map_err(db_error(OP))?;
                Ok(summary)
            }

            /// Names the row behind a failed staging update: a brand deleted since the
            /// catalog was loaded is [`Error::StaleCatalog`] (checked after the rollback).
            async fn staging_error(
                pool: &Pool,
                e: sqlx::Error,
                updates: &[$crate::resolution::StagingUpdate<'_>],
            ) -> Error {
                const OP: &str = "resolve_staging_skus";
                let is_fk = e
                    .as_database_error()
                    .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation);
                if is_fk {
                    let mut ids: Vec<i64> = updates.iter().filter_map(|u| u.brand_id).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    if let Ok(missing) = super::missing_brands(pool, &ids).await
                        && let Some(u) = updates
                            .iter()
                            .find(|u| u.brand_id.is_some_and(|id| missing.contains(&id)))
                    {
                        return Error::StaleCatalog {
                            table: STAGING,
                            key_field: "sku",
                            key: u.sku.to_owned(),
                            brand_id: u.brand_id.unwrap_or_default(),
                            brands_table: BRANDS,
                        };
                    }
                }
                write_error(e, OP, Row(None), STAGING, BRANDS, None)
            }

            /// Inserts or updates staging rows by `sku`; returns how many were inserted or
            /// changed.
            pub(crate) async fn upsert_drive_skus(pool: &Pool, rows: &[DriveSku]) -> Result<u64> {
                const OP: &str = "upsert_drive_skus";
                for (i, r) in rows.iter().enumerate() {
                    r.validate(Some(i as u64))?;
                }
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let mut changed = 0;
                for (i, r) in rows.iter().enumerate() {
                    changed += sqlx::query(super::UPSERT_DRIVE_SKU)
                        .bind(r.sku.as_str())
                        .bind(r.brand.as_deref())
                        .bind(r.product_name.as_deref())
                        .bind(r.category.as_deref())
                        .bind(r.price)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| {
                            write_error(e, OP, Row(Some(i as u64)), STAGING, BRANDS, None)
                        })?
                        .rows_affected();
                }
                tx.commit().await.map_err(db_error(OP))?;
                Ok(changed)
            }

            /// Every staging row, by `sku`.
            pub(crate) async fn list_drive_skus(pool: &Pool) -> Result<Vec<StagedSku>> {
                const OP: &str = "list_drive_skus";
                let rows = sqlx::query(super::LIST_DRIVE_SKUS)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let sku: String = r.try_get(0).map_err(db_error(OP))?;
                        let status: Option<String> = r.try_get(6).map_err(db_error(OP))?;
                        let resolution_status = match status.as_deref() {
                            None => None,
                            Some(s) => {
                                Some(parse_status(s).ok_or_else(|| Error::UnexpectedStored {
                                    table: STAGING,
                                    key: format!("sku = {sku:?}"),
                                    field: "resolution_status",
                                    value: format!("{s:?}"),
                                })?)
                            }
                        };
                        let score: Option<f64> = r.try_get(7).map_err(db_error(OP))?;
                        Ok(StagedSku {
                            brand: r.try_get(1).map_err(db_error(OP))?,
                            product_name: r.try_get(2).map_err(db_error(OP))?,
                            category: r.try_get(3).map_err(db_error(OP))?,
                            price: r.try_get(4).map_err(db_error(OP))?,
                            resolved_brand_id: r.try_get(5).map_err(db_error(OP))?,
                            resolution_status,
                            resolution_score: score.map(|s| s as f32),
                            resolved_at: r.try_get(8).map_err(db_error(OP))?,
                            resolution_run_id: r.try_get(9).map_err(db_error(OP))?,
                            sku,
                        })
                    })
                    .collect()
            }

            /// The triage queue (optionally one status), most frequent first.
            pub(crate) async fn triage_items(
                pool: &Pool,
                status: Option<TriageStatus>,
            ) -> Result<Vec<TriageRecord>> {
                const OP: &str = "triage_items";
                let rows = sqlx::query(super::LIST_TRIAGE)
                    .bind(status.map(|s| s.name()))
                    .fetch_all(pool)
                    .await
                    .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        let normalized: String = r.try_get(0).map_err(db_error(OP))?;
                        let bad = |field: &'static str, value: String| Error::UnexpectedStored {
                            table: TRIAGE,
                            key: format!("normalized = {normalized:?}"),
                            field,
                            value,
                        };
                        let occurrences: i64 = r.try_get(1).map_err(db_error(OP))?;
                        let samples: String = r.try_get(4).map_err(db_error(OP))?;
                        let suggestions: String = r.try_get(5).map_err(db_error(OP))?;
                        let (samples, suggestions) =
                            parse_triage_json(TRIAGE, &normalized, &samples, &suggestions)?;
                        let last_status: String = r.try_get(6).map_err(db_error(OP))?;
                        let status: String = r.try_get(7).map_err(db_error(OP))?;
                        Ok(TriageRecord {
                            occurrences: u64::try_from(occurrences)
                                .map_err(|_| bad("occurrences", occurrences.to_string()))?,
                            first_seen: r.try_get(2).map_err(db_error(OP))?,
                            last_seen: r.try_get(3).map_err(db_error(OP))?,
                            samples,
                            suggestions,
                            last_status: parse_status(&last_status)
                                .ok_or_else(|| bad("last_status", format!("{last_status:?}")))?,
                            status: parse_triage_status(&status)
                                .ok_or_else(|| bad("status", format!("{status:?}")))?,
                            mapped_brand_id: r.try_get(8).map_err(db_error(OP))?,
                            mapped_alias_id: r.try_get(9).map_err(db_error(OP))?,
                            created_at: r.try_get(10).map_err(db_error(OP))?,
                            updated_at: r.try_get(11).map_err(db_error(OP))?,
                            normalized,
                        })
                    })
                    .collect()
            }

            fn not_in_queue(normalized: &str) -> Error {
                Error::NotFound {
                    table: TRIAGE,
                    field: "normalized",
                    value: format!("{normalized:?}"),
                }
            }

            /// Maps a triage item to a brand: finds or creates the alias (text = the
            /// normalised form, type `variant`) and marks the item mapped, in one
            /// transaction. Returns the alias id.
            pub(crate) async fn accept_triage(
                pool: &Pool,
                normalized: &str,
                brand_id: i64,
            ) -> Result<i64> {
                const OP: &str = "accept_triage";
                let alias = NewAlias::new(brand_id, normalized, AliasType::Variant);
                alias.validate(None)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let item: Option<(String, Option<i64>)> = sqlx::query_as(super::LOCK_TRIAGE)
                    .bind(normalized)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let Some((_, mapped)) = item else {
                    return Err(not_in_queue(normalized));
                };
                if let Some(prev) = mapped
                    && prev != brand_id
                {
                    return Err(Error::InvalidValue {
                        row: Row(None),
                        field: "brand_id",
                        value: brand_id.to_string(),
                        reason: format!(
                            "{normalized:?} is already mapped to brand {prev} (reject it first \
                             to map it to another brand)"
                        ),
                    });
                }
                let existing: Option<i64> = sqlx::query_scalar(super::FIND_ALIAS)
                    .bind(brand_id)
                    .bind(normalized)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let alias_id = match existing {
                    Some(id) => id,
                    None => sqlx::query_scalar(super::UPSERT_ALIAS)
                        .bind(alias.brand_id)
                        .bind(alias.alias.as_str())
                        .bind(alias.alias_type.as_str())
                        .bind(alias.confidence)
                        .bind(alias.similarity_threshold)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| {
                            write_error(e, OP, Row(None), ALIASES, BRANDS, Some(brand_id))
                        })?,
                };
                sqlx::query(super::MARK_MAPPED)
                    .bind(normalized)
                    .bind(brand_id)
                    .bind(alias_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), TRIAGE, BRANDS, Some(brand_id)))?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(alias_id)
            }

            /// Marks a triage item ignored (idempotent).
            pub(crate) async fn reject_triage(pool: &Pool, normalized: &str) -> Result<()> {
                const OP: &str = "reject_triage";
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                let item: Option<(String, Option<i64>)> = sqlx::query_as(super::LOCK_TRIAGE)
                    .bind(normalized)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                if item.is_none() {
                    return Err(not_in_queue(normalized));
                }
                sqlx::query(super::MARK_IGNORED)
                    .bind(normalized)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), TRIAGE, BRANDS, None))?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(())
            }
        }
    };
}

pub(crate) use resolution;
