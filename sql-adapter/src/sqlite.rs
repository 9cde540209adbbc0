//! The SQLite backend: the brand master tables, staging, the resolution log, the triage
//! queue and the CPA tables, named `schema_table`. Bulk writes are multi-row statements of
//! at most [`CHUNK`] (CPA: [`CPA_CHUNK`]) rows.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use ces::cpa::PerformanceTable;

use crate::attribution::{CreditWrite, ExposureWrite, LinkWrite, MatchKey, TransactionWrite};
use crate::cpa::{EventWrite, EverflowWrite, MappingWrite, SpendWrite, money_text};
use crate::error::{Backend, redact_url};
use crate::resolution::{LogRow, StagingUpdate, StoredTriage, TriageUpsert};

pub(crate) const BACKEND: Backend = Backend::Sqlite;

const BRANDS: &str = "masterdata_brands";
const ALIASES: &str = "masterdata_brand_aliases";

const UPSERT_BRAND: &str = "\
insert into masterdata_brands as b
    (brand_name, normalized_name, category, parent_brand, country, status, similarity_threshold)
values ($1, $2, $3, $4, $5, $6, $7)
on conflict (brand_name) do update set
    normalized_name = excluded.normalized_name,
    category = excluded.category,
    parent_brand = excluded.parent_brand,
    country = excluded.country,
    status = excluded.status,
    similarity_threshold = excluded.similarity_threshold,
    updated_at = case
        when b.normalized_name is not excluded.normalized_name
          or b.category is not excluded.category
          or b.parent_brand is not excluded.parent_brand
          or b.country is not excluded.country
          or b.status is not excluded.status
          or b.similarity_threshold is not excluded.similarity_threshold
        then strftime('%Y-%m-%dT%H:%M:%fZ', 'now') else b.updated_at end
returning id";

const UPSERT_ALIAS: &str = "\
insert into masterdata_brand_aliases as a
    (brand_id, alias, alias_type, confidence, similarity_threshold)
values ($1, $2, $3, $4, $5)
on conflict (brand_id, alias) do update set
    alias_type = excluded.alias_type,
    confidence = excluded.confidence,
    similarity_threshold = excluded.similarity_threshold
returning id";

const LIST_BRANDS: &str = "\
select b.id, b.brand_name, b.normalized_name, b.category, b.parent_brand, b.country, b.status,
       b.created_at, b.updated_at,
       a.id, a.alias, a.alias_type, a.confidence, a.similarity_threshold, a.created_at,
       b.similarity_threshold
from masterdata_brands b
left join masterdata_brand_aliases a on a.brand_id = b.id
order by b.id, a.id";

/// Write transactions take the write lock up front (`BEGIN IMMEDIATE`), so two writers wait
/// for each other (busy timeout) instead of failing when a read lock cannot be upgraded.
async fn begin_write(pool: &SqlitePool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Reads that must agree with each other share one snapshot (a deferred transaction).
async fn begin_read(pool: &SqlitePool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin().await
}

crate::repo::repository!(sqlx::Sqlite);

// ---------------------------------------------------------------------------------------
// Brand resolution (see `crate::resolution`).

const GENERIC_WORDS: &str = "masterdata_generic_words";
const STAGING: &str = "staging_drive_skus";
const LOG: &str = "ops_brand_resolution_log";
const TRIAGE: &str = "ops_brand_triage";
/// SQLite text can hold NUL: nothing to refuse.
const REJECTS_NUL: bool = false;
/// Rows per multi-row statement: 23 parameters a log row, well under SQLite's 32766.
const CHUNK: usize = 500;
/// UTC now, as every timestamp column stores it.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const LOAD_BRANDS: &str = "\
select id, brand_name, similarity_threshold
from masterdata_brands
where status = 'active'
order by id";

const LOAD_ALIASES: &str = "\
select a.id, a.brand_id, a.alias, a.alias_type, a.similarity_threshold
from masterdata_brand_aliases a
join masterdata_brands b on b.id = a.brand_id
where b.status = 'active'
order by a.id";

const LOAD_GENERIC_WORDS: &str = "select word from masterdata_generic_words order by word";

const INSERT_GENERIC_WORD: &str = "\
insert into masterdata_generic_words (word) values ($1) on conflict (word) do nothing";

/// The rows a run has not resolved yet (the write transaction holds the database lock).
const SELECT_STAGING: &str = "\
select sku, brand
from staging_drive_skus
where resolution_run_id is not $1
order by sku";

// A changed raw value clears the resolution, so the next run resolves the row again.
const UPSERT_DRIVE_SKU: &str = "\
insert into staging_drive_skus as s (sku, brand, product_name, category, price)
values ($1, $2, $3, $4, $5)
on conflict (sku) do update set
    brand = excluded.brand,
    product_name = excluded.product_name,
    category = excluded.category,
    price = excluded.price,
    resolved_brand_id = case when s.brand is not excluded.brand
                             then null else s.resolved_brand_id end,
    resolution_status = case when s.brand is not excluded.brand
                             then null else s.resolution_status end,
    resolution_score = case when s.brand is not excluded.brand
                            then null else s.resolution_score end,
    resolved_at = case when s.brand is not excluded.brand
                       then null else s.resolved_at end,
    resolution_run_id = case when s.brand is not excluded.brand
                             then null else s.resolution_run_id end
where s.brand is not excluded.brand
   or s.product_name is not excluded.product_name
   or s.category is not excluded.category
   or s.price is not excluded.price";

const LIST_DRIVE_SKUS: &str = "\
select sku, brand, product_name, category, price, resolved_brand_id, resolution_status,
       resolution_score, resolved_at, resolution_run_id
from staging_drive_skus
order by sku";

const STORED_TRIAGE: &str = "\
select normalized, samples, suggestions
from ops_brand_triage
where normalized in (select value from json_each($1))";

const MISSING_BRANDS: &str = "\
select j.value from json_each($1) j
where not exists (select 1 from masterdata_brands b where b.id = j.value)";

const LIST_TRIAGE: &str = "\
select normalized, occurrences, first_seen, last_seen, samples, suggestions,
       last_status, status, mapped_brand_id, mapped_alias_id, created_at, updated_at
from ops_brand_triage
where $1 is null or status = $1
order by occurrences desc, normalized";

const LOCK_TRIAGE: &str = "\
select status, mapped_brand_id from ops_brand_triage where normalized = $1";

const FIND_ALIAS: &str = "\
select id from masterdata_brand_aliases where brand_id = $1 and alias = $2";

const MARK_MAPPED: &str = "\
update ops_brand_triage
set status = 'mapped', mapped_brand_id = $2, mapped_alias_id = $3,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
where normalized = $1
  and not (status = 'mapped' and mapped_brand_id is $2 and mapped_alias_id is $3)";

const MARK_IGNORED: &str = "\
update ops_brand_triage
set status = 'ignored', mapped_brand_id = null, mapped_alias_id = null,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
where normalized = $1
  and (status <> 'ignored' or mapped_brand_id is not null or mapped_alias_id is not null)";

/// Inserts log rows, [`CHUNK`] rows a statement; returns how many were new.
async fn insert_log(
    conn: &mut SqliteConnection,
    op: &'static str,
    run_id: &str,
    source_table: &str,
    rows: &[LogRow<'_>],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into ops_brand_resolution_log (
                run_id, source_table, source_row_id, original_brand, normalized_input,
                quantities, resolved_brand_id, resolved_brand_name, matched_text, method,
                confidence, runner_up_brand_id, runner_up_brand_name, runner_up_score, margin,
                status, threshold, reason, shared_trigrams, missing_trigrams, candidates,
                resolver_version, catalog_fingerprint) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(run_id)
                .push_bind(source_table)
                .push_bind(r.source_row_id)
                .push_bind(r.d.input.as_str())
                .push_bind(r.d.normalized.as_str())
                .push_bind(r.quantities.as_str())
                .push_bind(r.d.brand_id)
                .push_bind(r.d.brand_name.as_deref())
                .push_bind(r.d.matched_text.as_deref())
                .push_bind(r.d.method.name())
                .push_bind(r.d.score)
                .push_bind(r.runner_up_brand_id())
                .push_bind(r.runner_up_brand_name())
                .push_bind(r.runner_up_score())
                .push_bind(r.d.margin)
                .push_bind(r.d.status.name())
                .push_bind(r.d.threshold)
                .push_bind(r.d.reason.as_deref())
                .push_bind(r.shared_trigrams.as_str())
                .push_bind(r.missing_trigrams.as_str())
                .push_bind(r.candidates.as_str())
                .push_bind(r.d.resolver_version)
                .push_bind(r.d.catalog_fingerprint.as_str());
        });
        q.push(" on conflict (run_id, source_table, source_row_id) do nothing");
        inserted += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), LOG, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

/// Writes the resolution columns of the staging rows (never `brand`), [`CHUNK`] rows a
/// statement. The driver's error is returned as is, for the caller to name the row.
async fn update_staging(
    conn: &mut SqliteConnection,
    run_id: &str,
    rows: &[StagingUpdate<'_>],
) -> sqlx::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new("with v(sku, brand_id, status, score) as (");
        q.push_values(chunk, |mut b, u| {
            b.push_bind(u.sku)
                .push_bind(u.brand_id)
                .push_bind(u.status)
                .push_bind(u.score);
        });
        q.push(
            ") update staging_drive_skus set
                resolved_brand_id = v.brand_id,
                resolution_status = v.status,
                resolution_score = v.score,
                resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                resolution_run_id = ",
        );
        q.push_bind(run_id);
        q.push(" from v where staging_drive_skus.sku = v.sku");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The stored samples and suggestions of these triage rows.
async fn stored_triage(
    conn: &mut SqliteConnection,
    op: &'static str,
    normalized: &[&str],
) -> Result<StoredTriage> {
    let keys = serde_json::to_string(normalized).map_err(|e| Error::InvalidValue {
        row: Row(None),
        field: "normalized",
        value: "(not serialisable as JSON)".into(),
        reason: e.to_string(),
    })?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(STORED_TRIAGE)
        .bind(keys)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error(op))?;
    Ok(rows.into_iter().map(|(n, s, g)| (n, (s, g))).collect())
}

/// Upserts triage rows (distinct keys), [`CHUNK`] rows a statement.
async fn upsert_triage(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[TriageUpsert],
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into ops_brand_triage as t
                (normalized, occurrences, first_seen, last_seen, samples, suggestions,
                 last_status) ",
        );
        q.push_values(chunk, |mut b, t| {
            b.push_bind(t.normalized.as_str())
                .push_bind(t.occurrences)
                .push(NOW)
                .push(NOW)
                .push_bind(t.samples.as_str())
                .push_bind(t.suggestions.as_str())
                .push_bind(t.last_status);
        });
        q.push(
            " on conflict (normalized) do update set
                occurrences = t.occurrences + excluded.occurrences,
                first_seen = min(t.first_seen, excluded.first_seen),
                last_seen = max(t.last_seen, excluded.last_seen),
                samples = excluded.samples,
                suggestions = excluded.suggestions,
                last_status = excluded.last_status,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        );
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), TRIAGE, BRANDS, None))?;
    }
    Ok(())
}

/// The ids among `ids` that no brand has.
async fn missing_brands(pool: &SqlitePool, ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    let ids = serde_json::to_string(ids).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar(MISSING_BRANDS)
        .bind(ids)
        .fetch_all(pool)
        .await
}

crate::resolution::resolution!(sqlx::Sqlite);

// ---------------------------------------------------------------------------------------
// CPA merge (see `crate::cpa`). Dates are `YYYY-MM-DD` text, money exact decimal text.

const EVERFLOW_STATS: &str = "everflow_daily_stats";
const REDTRACK_SPEND: &str = "redtrack_daily_spend";
const AFFILIATE_MAPPING: &str = "affiliate_mapping";
const DAILY_PERFORMANCE: &str = "daily_performance";
const RUNS: &str = "ops_runs";
const RUN_EVENTS: &str = "ops_run_events";
/// Rows per multi-row CPA statement: 17 parameters a `daily_performance` row.
const CPA_CHUNK: usize = 1_000;

const DELETE_MAPPING: &str = "delete from affiliate_mapping";

const LOAD_EVERFLOW: &str = "\
select date, affiliate_id, affiliate_label, advertiser_id, advertiser_label, clicks,
       conversions, revenue, payout, profit, currency
from everflow_daily_stats
where ($1 is null or date >= $1) and ($2 is null or date <= $2)
order by date, advertiser_id, affiliate_id";

const LOAD_SPEND: &str = "\
select date, source_id, source_name, source_alias, clicks, conversions, cost, currency
from redtrack_daily_spend
where ($1 is null or date >= $1) and ($2 is null or date <= $2)
order by date, source_id";

const LOAD_MAPPING: &str = "\
select row_number, location, redtrack_source, redtrack_source_alias, redtrack_source_id,
       everflow_affiliate_id, everflow_affiliate_label, everflow_advertiser_id,
       everflow_advertiser_label, issues
from affiliate_mapping
order by row_number";

const LOAD_PERFORMANCE: &str = "\
select date, advertiser_id, advertiser_label, affiliate_label, is_internal, everflow_clicks,
       conversions, everflow_revenue, everflow_payout, redtrack_cost, redtrack_clicks, cost,
       cpa, everflow_rows, spend_rows
from daily_performance
where ($1 is null or date >= $1) and ($2 is null or date <= $2)
order by date, advertiser_id, affiliate_label";

const DELETE_PERFORMANCE: &str = "\
delete from daily_performance where date >= $1 and date <= $2";

/// A run's timestamps are UTC RFC 3339 text from SQLite's clock, like every timestamp
/// column; `finished_at` is never before `started_at`.
type Stamp = String;

const SERVER_NOW: &str = "select strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const INSERT_RUN: &str = "\
insert into ops_runs (pipeline, status, actor, input, started_at)
values ($1, $2, $3, $4, $5)
returning id";

const COMPLETE_RUN: &str = "\
update ops_runs
set status = 'completed', output = $2,
    finished_at = max(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), started_at)
where id = $1";

const INSERT_FAILED_RUN: &str = "\
insert into ops_runs (pipeline, status, actor, input, started_at, finished_at, error)
values ($1, 'failed', $2, $3, $4, max(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), $4), $5)
returning id";

const SELECT_RUN: &str = "\
select id, pipeline, status, actor, input, output, started_at, finished_at, error, created_at
from ops_runs
where id = $1";

const LIST_RUNS: &str = "\
select id, pipeline, status, actor, input, output, started_at, finished_at, error, created_at
from ops_runs
where $1 is null or pipeline = $1
order by created_at, started_at, rowid";

const LIST_EVENTS: &str = "\
select id, run_id, level, kind, message, data, created_at
from ops_run_events
where run_id = $1
order by id";

/// CPA runs serialise on SQLite's write lock (`BEGIN IMMEDIATE`): nothing more to take.
async fn lock_cpa(_conn: &mut SqliteConnection) -> sqlx::Result<()> {
    Ok(())
}

/// Upserts Everflow rows, [`CPA_CHUNK`] rows a statement; returns how many were inserted or
/// changed (identical rows are left alone).
async fn upsert_everflow_rows(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[EverflowWrite<'_>],
) -> Result<u64> {
    let mut changed = 0;
    for chunk in rows.chunks(CPA_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into everflow_daily_stats as d
                (date, affiliate_id, affiliate_label, advertiser_id, advertiser_label, clicks,
                 conversions, revenue, payout, profit, currency) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.date)
                .push_bind(r.affiliate_id)
                .push_bind(r.affiliate_label)
                .push_bind(r.advertiser_id)
                .push_bind(r.advertiser_label)
                .push_bind(r.clicks)
                .push_bind(r.conversions)
                .push_bind(r.revenue.as_str())
                .push_bind(r.payout.as_str())
                .push_bind(r.profit.as_str())
                .push_bind(r.currency);
        });
        q.push(
            " on conflict (date, affiliate_id, advertiser_id) do update set
                affiliate_label = excluded.affiliate_label,
                advertiser_label = excluded.advertiser_label,
                clicks = excluded.clicks,
                conversions = excluded.conversions,
                revenue = excluded.revenue,
                payout = excluded.payout,
                profit = excluded.profit,
                currency = excluded.currency,
                loaded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            where d.affiliate_label is not excluded.affiliate_label
               or d.advertiser_label is not excluded.advertiser_label
               or d.clicks is not excluded.clicks
               or d.conversions is not excluded.conversions
               or d.revenue is not excluded.revenue
               or d.payout is not excluded.payout
               or d.profit is not excluded.profit
               or d.currency is not excluded.currency",
        );
        changed += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), EVERFLOW_STATS, BRANDS, None))?
            .rows_affected();
    }
    Ok(changed)
}

/// Upserts summed spend rows, [`CPA_CHUNK`] rows a statement.
async fn upsert_spend_rows(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[SpendWrite<'_>],
) -> Result<u64> {
    let mut changed = 0;
    for chunk in rows.chunks(CPA_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into redtrack_daily_spend as d
                (date, source_id, source_name, source_alias, clicks, conversions, cost,
                 currency) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.date)
                .push_bind(r.source_id)
                .push_bind(r.source_name)
                .push_bind(r.source_alias)
                .push_bind(r.clicks)
                .push_bind(r.conversions)
                .push_bind(r.cost.as_str())
                .push_bind(r.currency);
        });
        q.push(
            " on conflict (date, source_id) do update set
                source_name = excluded.source_name,
                source_alias = excluded.source_alias,
                clicks = excluded.clicks,
                conversions = excluded.conversions,
                cost = excluded.cost,
                currency = excluded.currency,
                loaded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            where d.source_name is not excluded.source_name
               or d.source_alias is not excluded.source_alias
               or d.clicks is not excluded.clicks
               or d.conversions is not excluded.conversions
               or d.cost is not excluded.cost
               or d.currency is not excluded.currency",
        );
        changed += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), REDTRACK_SPEND, BRANDS, None))?
            .rows_affected();
    }
    Ok(changed)
}

/// Inserts mapping rows, [`CPA_CHUNK`] rows a statement.
async fn insert_mapping_rows(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[MappingWrite<'_>],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(CPA_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into affiliate_mapping
                (row_number, location, redtrack_source, redtrack_source_alias,
                 redtrack_source_id, everflow_affiliate_id, everflow_affiliate_label,
                 everflow_advertiser_id, everflow_advertiser_label, source_id, affiliate_label,
                 advertiser_id, advertiser_label, issues) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.row_number).push_bind(r.location);
            for cell in r.raw {
                b.push_bind(cell);
            }
            b.push_bind(r.target.map(|t| t.source_id.as_str()))
                .push_bind(r.target.map(|t| t.affiliate_label.as_str()))
                .push_bind(r.target.map(|t| t.advertiser_id))
                .push_bind(r.target.map(|t| t.advertiser_label.as_str()))
                .push_bind(r.issues.as_str());
        });
        inserted += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), AFFILIATE_MAPPING, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

/// Inserts the merged rows, [`CPA_CHUNK`] rows a statement, tagged with the run and the
/// merge currency.
async fn insert_performance(
    conn: &mut SqliteConnection,
    op: &'static str,
    run_id: &str,
    currency: &str,
    table: &PerformanceTable,
) -> Result<u64> {
    let rows: Vec<_> = table.iter().collect();
    let mut inserted = 0;
    for chunk in rows.chunks(CPA_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into daily_performance
                (date, advertiser_id, advertiser_label, affiliate_label, is_internal,
                 everflow_clicks, conversions, everflow_revenue, everflow_payout, redtrack_cost,
                 redtrack_clicks, cost, cpa, everflow_rows, spend_rows, currency, run_id) ",
        );
        q.push_values(chunk, |mut b, r| {
            b.push_bind(r.date)
                .push_bind(r.advertiser_id)
                .push_bind(r.advertiser_label)
                .push_bind(r.affiliate_label)
                .push_bind(r.is_internal)
                .push_bind(r.everflow_clicks as i64)
                .push_bind(r.conversions as i64)
                .push_bind(money_text(r.everflow_revenue))
                .push_bind(money_text(r.everflow_payout))
                .push_bind(money_text(r.redtrack_cost))
                .push_bind(r.redtrack_clicks as i64)
                .push_bind(money_text(r.cost))
                .push_bind(r.cpa.map(money_text))
                .push_bind(i64::from(r.everflow_rows))
                .push_bind(i64::from(r.spend_rows))
                .push_bind(currency)
                .push_bind(run_id);
        });
        inserted += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), DAILY_PERFORMANCE, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

/// Inserts a run's events in order.
async fn insert_events(
    conn: &mut SqliteConnection,
    op: &'static str,
    run_id: &str,
    events: &[EventWrite],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in events.chunks(CPA_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "insert into ops_run_events (run_id, level, kind, message, data) ",
        );
        q.push_values(chunk, |mut b, e| {
            b.push_bind(run_id)
                .push_bind(e.level.as_str())
                .push_bind(e.kind.as_str())
                .push_bind(e.message.as_str())
                .push_bind(e.data.as_str());
        });
        inserted += q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), RUN_EVENTS, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

crate::cpa::cpa!(sqlx::Sqlite);

// ---------------------------------------------------------------------------------------
// Attribution (see `crate::attribution`). Times are INTEGER microseconds since the epoch;
// input money and units exact decimal TEXT; credit REAL.

const EXPOSURES: &str = "ces_exposures";
const TRANSACTIONS: &str = "scout_transactions";
const ATTRIBUTIONS: &str = "scout_attributions";
/// Rows per load query (keyset pages through the time index).
const PAGE: usize = 100_000;
/// Rows per multi-row upsert or join-field update: 18 parameters an exposure row.
const WRITE_CHUNK: usize = 1_000;
/// Transactions per delete of old credit (one JSON array parameter).
const DELETE_CHUNK: usize = 10_000;
/// Credit rows per insert: 12 parameters a row.
const ATTRIBUTION_CHUNK: usize = 2_000;

type DbTime = i64;

fn db_time(us: i64) -> DbTime {
    us
}

fn micros(t: DbTime) -> i64 {
    t
}

fn exposure_page_sql(key: MatchKey) -> String {
    format!(
        "select exposure_id, {k}, start_time, end_time, channel, interaction, campaign_id, \
                asset_id, cost, attribution_window_days
         from ces_exposures
         where {k} is not null and start_time < $1 and (start_time, exposure_id) > ($2, $3)
         order by start_time, exposure_id
         limit {PAGE}",
        k = key.column()
    )
}

fn exposure_keyless_sql(key: MatchKey) -> String {
    format!(
        "select count(*) from ces_exposures
         where {k} is null and start_time >= $1 and start_time < $2",
        k = key.column()
    )
}

fn transaction_page_sql(key: MatchKey) -> String {
    format!(
        "select transaction_id, {k}, transaction_time, total_amount, units
         from scout_transactions
         where {k} is not null and transaction_time < $1
           and (transaction_time, transaction_id) > ($2, $3)
         order by transaction_time, transaction_id
         limit {PAGE}",
        k = key.column()
    )
}

fn transaction_keyless_sql(key: MatchKey) -> String {
    format!(
        "select transaction_id from scout_transactions
         where {k} is null and transaction_time >= $1 and transaction_time < $2
         order by transaction_id",
        k = key.column()
    )
}

const LIST_EXPOSURES: &str = "\
select exposure_id, campaign_id, asset_id, channel, interaction, placement, platform,
       start_time, end_time, customer_id, household_id, store_id, geography_id, impressions,
       reach, frequency, attribution_window_days, cost
from ces_exposures
where start_time >= $1 and start_time < $2
order by start_time, exposure_id";

const LIST_TRANSACTIONS: &str = "\
select transaction_id, store_id, customer_id, household_id, geography_id, transaction_time,
       total_amount, currency, units, items, campaign_id, asset_id, exposure_id,
       campaign_influenced, attribution_confidence, attribution_model, attribution_run_id
from scout_transactions
where transaction_time >= $1 and transaction_time < $2
order by transaction_time, transaction_id";

const LOAD_ATTRIBUTIONS: &str = "\
select run_id, transaction_id, exposure_id, campaign_id, asset_id, channel, model, model_name,
       weight, attributed_revenue, attributed_units, confidence
from scout_attributions
where run_id = $1
order by model_name, transaction_id, exposure_id";

/// A stored REAL amount.
fn read_amount(
    r: &sqlx::sqlite::SqliteRow,
    index: usize,
    _table: &'static str,
    _key: &dyn Fn() -> String,
    _field: &'static str,
) -> Result<f64> {
    use sqlx::Row as _;
    r.try_get(index).map_err(db_error("load_attributions"))
}

/// Attribution runs serialise on SQLite's write lock (`BEGIN IMMEDIATE`): nothing more to
/// take.
async fn lock_attribution(_conn: &mut SqliteConnection) -> sqlx::Result<()> {
    Ok(())
}

/// Upserts exposures (one multi-row statement; the caller chunks); returns how many rows
/// were inserted or changed.
async fn upsert_exposure_rows(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[ExposureWrite<'_>],
) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "insert into ces_exposures as e
            (exposure_id, campaign_id, asset_id, channel, interaction, placement, platform,
             start_time, end_time, customer_id, household_id, store_id, geography_id,
             impressions, reach, frequency, attribution_window_days, cost) ",
    );
    q.push_values(rows, |mut b, w| {
        let r = w.r;
        b.push_bind(r.exposure_id.as_str())
            .push_bind(r.campaign_id.as_str())
            .push_bind(r.asset_id.as_deref())
            .push_bind(r.channel.as_str())
            .push_bind(r.interaction.as_str())
            .push_bind(r.placement.as_deref())
            .push_bind(r.platform.as_deref())
            .push_bind(r.start_time)
            .push_bind(r.end_time)
            .push_bind(r.customer_id.as_deref())
            .push_bind(r.household_id.as_deref())
            .push_bind(r.store_id.as_deref())
            .push_bind(r.geography_id.as_deref())
            .push_bind(r.impressions)
            .push_bind(r.reach)
            .push_bind(r.frequency)
            .push_bind(i64::from(r.attribution_window_days))
            .push_bind(w.cost.as_deref());
    });
    q.push(
        " on conflict (exposure_id) do update set
            campaign_id = excluded.campaign_id,
            asset_id = excluded.asset_id,
            channel = excluded.channel,
            interaction = excluded.interaction,
            placement = excluded.placement,
            platform = excluded.platform,
            start_time = excluded.start_time,
            end_time = excluded.end_time,
            customer_id = excluded.customer_id,
            household_id = excluded.household_id,
            store_id = excluded.store_id,
            geography_id = excluded.geography_id,
            impressions = excluded.impressions,
            reach = excluded.reach,
            frequency = excluded.frequency,
            attribution_window_days = excluded.attribution_window_days,
            cost = excluded.cost,
            loaded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        where e.campaign_id is not excluded.campaign_id
           or e.asset_id is not excluded.asset_id
           or e.channel is not excluded.channel
           or e.interaction is not excluded.interaction
           or e.placement is not excluded.placement
           or e.platform is not excluded.platform
           or e.start_time is not excluded.start_time
           or e.end_time is not excluded.end_time
           or e.customer_id is not excluded.customer_id
           or e.household_id is not excluded.household_id
           or e.store_id is not excluded.store_id
           or e.geography_id is not excluded.geography_id
           or e.impressions is not excluded.impressions
           or e.reach is not excluded.reach
           or e.frequency is not excluded.frequency
           or e.attribution_window_days is not excluded.attribution_window_days
           or e.cost is not excluded.cost",
    );
    Ok(q.build()
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), EXPOSURES, BRANDS, None))?
        .rows_affected())
}

/// Upserts transactions (one multi-row statement); the join fields are left alone.
async fn upsert_transaction_rows(
    conn: &mut SqliteConnection,
    op: &'static str,
    rows: &[TransactionWrite<'_>],
) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "insert into scout_transactions as t
            (transaction_id, store_id, customer_id, household_id, geography_id,
             transaction_time, total_amount, currency, units, items) ",
    );
    q.push_values(rows, |mut b, w| {
        let r = w.r;
        b.push_bind(r.transaction_id.as_str())
            .push_bind(r.store_id.as_deref())
            .push_bind(r.customer_id.as_deref())
            .push_bind(r.household_id.as_deref())
            .push_bind(r.geography_id.as_deref())
            .push_bind(r.transaction_time)
            .push_bind(w.total_amount.as_str())
            .push_bind(r.currency.as_deref())
            .push_bind(w.units.as_str())
            .push_bind(w.items.as_str());
    });
    q.push(
        " on conflict (transaction_id) do update set
            store_id = excluded.store_id,
            customer_id = excluded.customer_id,
            household_id = excluded.household_id,
            geography_id = excluded.geography_id,
            transaction_time = excluded.transaction_time,
            total_amount = excluded.total_amount,
            currency = excluded.currency,
            units = excluded.units,
            items = excluded.items,
            loaded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        where t.store_id is not excluded.store_id
           or t.customer_id is not excluded.customer_id
           or t.household_id is not excluded.household_id
           or t.geography_id is not excluded.geography_id
           or t.transaction_time is not excluded.transaction_time
           or t.total_amount is not excluded.total_amount
           or t.currency is not excluded.currency
           or t.units is not excluded.units
           or t.items is not excluded.items",
    );
    Ok(q.build()
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), TRANSACTIONS, BRANDS, None))?
        .rows_affected())
}

const DELETE_ATTRIBUTIONS: &str = "\
delete from scout_attributions
where model_name in (select value from json_each($1))
  and transaction_id in (select value from json_each($2))";

/// Deletes the credit of these transactions under these models.
async fn delete_attributions(
    conn: &mut SqliteConnection,
    op: &'static str,
    models: &[String],
    transaction_ids: &[&str],
) -> Result<u64> {
    let models = crate::cpa::json_text("model_name", models)?;
    let ids = crate::cpa::json_text("transaction_id", transaction_ids)?;
    Ok(sqlx::query(DELETE_ATTRIBUTIONS)
        .bind(models)
        .bind(ids)
        .execute(&mut *conn)
        .await
        .map_err(db_error(op))?
        .rows_affected())
}

/// Inserts credit rows (one multi-row statement).
async fn insert_attributions(
    conn: &mut SqliteConnection,
    op: &'static str,
    run_id: &str,
    rows: &[CreditWrite<'_>],
) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "insert into scout_attributions
            (run_id, transaction_id, exposure_id, campaign_id, asset_id, channel, model,
             model_name, weight, attributed_revenue, attributed_units, confidence) ",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(run_id)
            .push_bind(r.transaction_id)
            .push_bind(r.exposure_id)
            .push_bind(r.campaign_id)
            .push_bind(r.asset_id)
            .push_bind(r.channel)
            .push_bind(r.model)
            .push_bind(r.model_name)
            .push_bind(r.weight)
            .push_bind(r.revenue)
            .push_bind(r.units)
            .push_bind(r.weight);
    });
    Ok(q.build()
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), ATTRIBUTIONS, BRANDS, None))?
        .rows_affected())
}

/// Writes the join fields of these transactions (one statement).
async fn update_links(
    conn: &mut SqliteConnection,
    op: &'static str,
    run_id: &str,
    model: &str,
    rows: &[LinkWrite<'_>],
) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "with v(transaction_id, campaign_id, asset_id, exposure_id, influenced, confidence) as (",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(r.transaction_id)
            .push_bind(r.campaign_id)
            .push_bind(r.asset_id)
            .push_bind(r.exposure_id)
            .push_bind(r.influenced)
            .push_bind(r.confidence);
    });
    q.push(
        ") update scout_transactions set
            campaign_id = v.campaign_id,
            asset_id = v.asset_id,
            exposure_id = v.exposure_id,
            campaign_influenced = v.influenced,
            attribution_confidence = v.confidence,
            attribution_model = ",
    );
    q.push_bind(model);
    q.push(", attribution_run_id = ");
    q.push_bind(run_id);
    q.push(" from v where scout_transactions.transaction_id = v.transaction_id");
    Ok(q.build()
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), TRANSACTIONS, BRANDS, None))?
        .rows_affected())
}

/// The first of these transactions that no longer exists.
async fn missing_transaction(
    conn: &mut SqliteConnection,
    op: &'static str,
    transaction_ids: &[&str],
) -> Result<Option<String>> {
    let ids = crate::cpa::json_text("transaction_id", transaction_ids)?;
    sqlx::query_scalar(
        "select value from json_each($1)
         where value not in (select transaction_id from scout_transactions)
         order by value limit 1",
    )
    .bind(ids)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error(op))
}

crate::attribution::attribution!(sqlx::Sqlite);

/// Is `url` an in-memory database (`sqlite::memory:`, `…?mode=memory`)?
fn is_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory")
}

/// Opens a pool on `url`: a file is created if missing (unless `mode=ro`), in WAL mode;
/// foreign keys are enforced. An in-memory database lives in one connection that the pool
/// never closes.
pub(crate) async fn connect(url: &str) -> Result<SqlitePool> {
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::InvalidUrl {
            url: redact_url(url),
            reason: e.to_string(),
        })?
        .foreign_keys(true);
    let mut pool = SqlitePoolOptions::new();
    if is_in_memory(url) {
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    } else {
        let read_only = url
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv == "mode=ro"));
        options = options.create_if_missing(!read_only);
        if !read_only {
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
    }
    pool.connect_with(options)
        .await
        .map_err(|source| Error::Connect {
            url: redact_url(url),
            source,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn in_memory_urls() {
        assert!(super::is_in_memory("sqlite::memory:"));
        assert!(super::is_in_memory("sqlite://:memory:"));
        assert!(super::is_in_memory(
            "sqlite://shared?mode=memory&cache=shared"
        ));
        assert!(!super::is_in_memory("sqlite://data/ces.db"));
        assert!(!super::is_in_memory("sqlite:///tmp/memory.db"));
    }
}
