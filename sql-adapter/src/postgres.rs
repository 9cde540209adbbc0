//! The PostgreSQL backend: the brand master tables, staging, the resolution log, the triage
//! queue and the CPA tables. Bulk writes send one array per column (`insert … select from
//! unnest(…)`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::{Connection as _, PgConnection, PgPool};

use ces::cpa::{Decimal, PerformanceTable};

use crate::attribution::{CreditWrite, ExposureWrite, LinkWrite, MatchKey, TransactionWrite};
use crate::cpa::{EventWrite, EverflowWrite, MappingWrite, SpendWrite, money_text};
use crate::error::{Backend, redact_url};
use crate::resolution::{LogRow, StagingUpdate, StoredTriage, TriageUpsert};

pub(crate) const BACKEND: Backend = Backend::Postgres;

const BRANDS: &str = "masterdata.brands";
const ALIASES: &str = "masterdata.brand_aliases";

const UPSERT_BRAND: &str = "\
insert into masterdata.brands as b
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
        when (b.normalized_name, b.category, b.parent_brand, b.country, b.status,
              b.similarity_threshold)
             is distinct from
             (excluded.normalized_name, excluded.category, excluded.parent_brand,
              excluded.country, excluded.status, excluded.similarity_threshold)
        then now() else b.updated_at end
returning id";

// The confidence travels as a double with at most three decimals (checked before) and is
// converted exactly to numeric(4,3).
const UPSERT_ALIAS: &str = "\
insert into masterdata.brand_aliases as a
    (brand_id, alias, alias_type, confidence, similarity_threshold)
values ($1, $2, $3, $4::float8::numeric(4, 3), $5)
on conflict (brand_id, alias) do update set
    alias_type = excluded.alias_type,
    confidence = excluded.confidence,
    similarity_threshold = excluded.similarity_threshold
returning id";

const LIST_BRANDS: &str = "\
select b.id, b.brand_name, b.normalized_name, b.category, b.parent_brand, b.country, b.status,
       b.created_at, b.updated_at,
       a.id, a.alias, a.alias_type, a.confidence::float8, a.similarity_threshold::float8,
       a.created_at, b.similarity_threshold::float8
from masterdata.brands b
left join masterdata.brand_aliases a on a.brand_id = b.id
order by b.id, a.id";

async fn begin_write(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    pool.begin().await
}

/// Reads that must agree with each other (the catalog's three tables) share one snapshot.
async fn begin_read(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    pool.begin_with("begin isolation level repeatable read read only")
        .await
}

crate::repo::repository!(sqlx::Postgres);

// ---------------------------------------------------------------------------------------
// Brand resolution (see `crate::resolution`).

const GENERIC_WORDS: &str = "masterdata.generic_words";
const STAGING: &str = "staging.drive_skus";
const LOG: &str = "ops.brand_resolution_log";
const TRIAGE: &str = "ops.brand_triage";
/// PostgreSQL `text` cannot hold NUL: such inputs are refused before writing, by row.
const REJECTS_NUL: bool = true;
/// Rows per bulk statement (each column travels as one array).
const CHUNK: usize = 10_000;

const LOAD_BRANDS: &str = "\
select id, brand_name, similarity_threshold::float8
from masterdata.brands
where status = 'active'
order by id";

const LOAD_ALIASES: &str = "\
select a.id, a.brand_id, a.alias, a.alias_type, a.similarity_threshold::float8
from masterdata.brand_aliases a
join masterdata.brands b on b.id = a.brand_id
where b.status = 'active'
order by a.id";

const LOAD_GENERIC_WORDS: &str = "select word from masterdata.generic_words order by word";

const INSERT_GENERIC_WORD: &str = "\
insert into masterdata.generic_words (word) values ($1) on conflict (word) do nothing";

/// The rows a run has not resolved yet, locked until the run commits.
const SELECT_STAGING: &str = "\
select sku, brand
from staging.drive_skus
where resolution_run_id is distinct from $1
order by sku
for update";

// A changed raw value clears the resolution, so the next run resolves the row again.
const UPSERT_DRIVE_SKU: &str = "\
insert into staging.drive_skus as s (sku, brand, product_name, category, price)
values ($1, $2, $3, $4, $5::float8::numeric(12, 2))
on conflict (sku) do update set
    brand = excluded.brand,
    product_name = excluded.product_name,
    category = excluded.category,
    price = excluded.price,
    resolved_brand_id = case when s.brand is distinct from excluded.brand
                             then null else s.resolved_brand_id end,
    resolution_status = case when s.brand is distinct from excluded.brand
                             then null else s.resolution_status end,
    resolution_score = case when s.brand is distinct from excluded.brand
                            then null else s.resolution_score end,
    resolved_at = case when s.brand is distinct from excluded.brand
                       then null else s.resolved_at end,
    resolution_run_id = case when s.brand is distinct from excluded.brand
                             then null else s.resolution_run_id end
where (s.brand, s.product_name, s.category, s.price)
      is distinct from (excluded.brand, excluded.product_name, excluded.category, excluded.price)";

const LIST_DRIVE_SKUS: &str = "\
select sku, brand, product_name, category, price::float8, resolved_brand_id, resolution_status,
       resolution_score::float8, resolved_at, resolution_run_id
from staging.drive_skus
order by sku";

const INSERT_LOG: &str = "\
insert into ops.brand_resolution_log (
    run_id, source_table, source_row_id, original_brand, normalized_input, quantities,
    resolved_brand_id, resolved_brand_name, matched_text, method, confidence,
    runner_up_brand_id, runner_up_brand_name, runner_up_score, margin, status, threshold,
    reason, shared_trigrams, missing_trigrams, candidates, resolver_version,
    catalog_fingerprint)
select $1, $2, v.source_row_id, v.original_brand, v.normalized_input, v.quantities::jsonb,
       v.resolved_brand_id, v.resolved_brand_name, v.matched_text, v.method, v.confidence,
       v.runner_up_brand_id, v.runner_up_brand_name, v.runner_up_score, v.margin, v.status,
       v.threshold, v.reason,
       array(select e.t from jsonb_array_elements_text(v.shared_trigrams::jsonb)
                 with ordinality as e(t, n) order by e.n),
       array(select e.t from jsonb_array_elements_text(v.missing_trigrams::jsonb)
                 with ordinality as e(t, n) order by e.n),
       v.candidates::jsonb, v.resolver_version, v.catalog_fingerprint
from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::text[],
            $9::text[], $10::text[], $11::float4[], $12::int8[], $13::text[], $14::float4[],
            $15::float4[], $16::text[], $17::float8[], $18::text[], $19::text[], $20::text[],
            $21::text[], $22::text[], $23::text[])
     with ordinality as v(source_row_id, original_brand, normalized_input, quantities,
                          resolved_brand_id, resolved_brand_name, matched_text, method,
                          confidence, runner_up_brand_id, runner_up_brand_name,
                          runner_up_score, margin, status, threshold, reason, shared_trigrams,
                          missing_trigrams, candidates, resolver_version, catalog_fingerprint,
                          ord)
order by v.ord
on conflict (run_id, source_table, source_row_id) do nothing";

const UPDATE_STAGING: &str = "\
update staging.drive_skus s set
    resolved_brand_id = v.brand_id,
    resolution_status = v.status,
    resolution_score = v.score,
    resolved_at = now(),
    resolution_run_id = $1
from unnest($2::text[], $3::int8[], $4::text[], $5::float4[]) as v(sku, brand_id, status, score)
where s.sku = v.sku";

const STORED_TRIAGE: &str = "\
select normalized, samples::text, suggestions::text
from ops.brand_triage
where normalized = any($1::text[])
for update";

const UPSERT_TRIAGE: &str = "\
insert into ops.brand_triage as t
    (normalized, occurrences, first_seen, last_seen, samples, suggestions, last_status)
select v.normalized, v.occurrences, now(), now(), v.samples::jsonb, v.suggestions::jsonb,
       v.last_status
from unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[])
     as v(normalized, occurrences, samples, suggestions, last_status)
on conflict (normalized) do update set
    occurrences = t.occurrences + excluded.occurrences,
    first_seen = least(t.first_seen, excluded.first_seen),
    last_seen = greatest(t.last_seen, excluded.last_seen),
    samples = excluded.samples,
    suggestions = excluded.suggestions,
    last_status = excluded.last_status,
    updated_at = now()";

const MISSING_BRANDS: &str = "\
select x from unnest($1::int8[]) as x
where not exists (select 1 from masterdata.brands b where b.id = x)";

const LIST_TRIAGE: &str = "\
select normalized, occurrences, first_seen, last_seen, samples::text, suggestions::text,
       last_status, status, mapped_brand_id, mapped_alias_id, created_at, updated_at
from ops.brand_triage
where $1::text is null or status = $1
order by occurrences desc, normalized";

const LOCK_TRIAGE: &str = "\
select status, mapped_brand_id from ops.brand_triage where normalized = $1 for update";

const FIND_ALIAS: &str = "\
select id from masterdata.brand_aliases where brand_id = $1 and alias = $2";

const MARK_MAPPED: &str = "\
update ops.brand_triage
set status = 'mapped', mapped_brand_id = $2, mapped_alias_id = $3, updated_at = now()
where normalized = $1
  and (status, mapped_brand_id, mapped_alias_id) is distinct from ('mapped', $2, $3)";

const MARK_IGNORED: &str = "\
update ops.brand_triage
set status = 'ignored', mapped_brand_id = null, mapped_alias_id = null, updated_at = now()
where normalized = $1
  and (status <> 'ignored' or mapped_brand_id is not null or mapped_alias_id is not null)";

/// Inserts log rows, one statement per [`CHUNK`] rows (one array per column); returns how
/// many were new.
async fn insert_log(
    conn: &mut PgConnection,
    op: &'static str,
    run_id: &str,
    source_table: &str,
    rows: &[LogRow<'_>],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        let col = |f: for<'r> fn(&'r LogRow<'r>) -> Option<&'r str>| -> Vec<Option<&str>> {
            chunk.iter().map(f).collect()
        };
        inserted += sqlx::query(INSERT_LOG)
            .bind(run_id)
            .bind(source_table)
            .bind(col(|r| Some(r.source_row_id)))
            .bind(col(|r| Some(&r.d.input)))
            .bind(col(|r| Some(&r.d.normalized)))
            .bind(col(|r| Some(&r.quantities)))
            .bind(chunk.iter().map(|r| r.d.brand_id).collect::<Vec<_>>())
            .bind(col(|r| r.d.brand_name.as_deref()))
            .bind(col(|r| r.d.matched_text.as_deref()))
            .bind(col(|r| Some(r.d.method.name())))
            .bind(chunk.iter().map(|r| r.d.score).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|r| r.runner_up_brand_id())
                    .collect::<Vec<_>>(),
            )
            .bind(col(|r| r.runner_up_brand_name()))
            .bind(
                chunk
                    .iter()
                    .map(|r| r.runner_up_score())
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|r| r.d.margin).collect::<Vec<_>>())
            .bind(col(|r| Some(r.d.status.name())))
            .bind(chunk.iter().map(|r| r.d.threshold).collect::<Vec<_>>())
            .bind(col(|r| r.d.reason.as_deref()))
            .bind(col(|r| Some(&r.shared_trigrams)))
            .bind(col(|r| Some(&r.missing_trigrams)))
            .bind(col(|r| Some(&r.candidates)))
            .bind(col(|r| Some(r.d.resolver_version)))
            .bind(col(|r| Some(&r.d.catalog_fingerprint)))
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), LOG, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

/// Writes the resolution columns of the staging rows (never `brand`). The driver's error is
/// returned as is, for the caller to name the row.
async fn update_staging(
    conn: &mut PgConnection,
    run_id: &str,
    rows: &[StagingUpdate<'_>],
) -> sqlx::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        sqlx::query(UPDATE_STAGING)
            .bind(run_id)
            .bind(chunk.iter().map(|u| u.sku).collect::<Vec<_>>())
            .bind(chunk.iter().map(|u| u.brand_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|u| u.status).collect::<Vec<_>>())
            .bind(chunk.iter().map(|u| u.score).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The stored samples and suggestions of these triage rows, locked until commit.
async fn stored_triage(
    conn: &mut PgConnection,
    op: &'static str,
    normalized: &[&str],
) -> Result<StoredTriage> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(STORED_TRIAGE)
        .bind(normalized)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error(op))?;
    Ok(rows.into_iter().map(|(n, s, g)| (n, (s, g))).collect())
}

/// Upserts triage rows (distinct keys), one statement per [`CHUNK`].
async fn upsert_triage(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[TriageUpsert],
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        sqlx::query(UPSERT_TRIAGE)
            .bind(
                chunk
                    .iter()
                    .map(|t| t.normalized.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|t| t.occurrences).collect::<Vec<_>>())
            .bind(chunk.iter().map(|t| t.samples.as_str()).collect::<Vec<_>>())
            .bind(
                chunk
                    .iter()
                    .map(|t| t.suggestions.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|t| t.last_status).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), TRIAGE, BRANDS, None))?;
    }
    Ok(())
}

/// The ids among `ids` that no brand has.
async fn missing_brands(pool: &PgPool, ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(MISSING_BRANDS)
        .bind(ids)
        .fetch_all(pool)
        .await
}

crate::resolution::resolution!(sqlx::Postgres);

// ---------------------------------------------------------------------------------------
// CPA merge (see `crate::cpa`). Money travels as decimal text, cast to `numeric` in SQL and
// read back with `::text`, so every amount keeps its exact digits and scale.

const EVERFLOW_STATS: &str = "everflow.daily_stats";
const REDTRACK_SPEND: &str = "redtrack.daily_spend";
const AFFILIATE_MAPPING: &str = "affiliate_mapping";
const DAILY_PERFORMANCE: &str = "daily_performance";
const RUNS: &str = "ops.runs";
const RUN_EVENTS: &str = "ops.run_events";

// Identical rows are left alone (money compared as text: a new scale is a change).
const UPSERT_EVERFLOW: &str = "\
insert into everflow.daily_stats as d
    (date, affiliate_id, affiliate_label, advertiser_id, advertiser_label, clicks, conversions,
     revenue, payout, profit, currency)
select v.date, v.affiliate_id, v.affiliate_label, v.advertiser_id, v.advertiser_label,
       v.clicks, v.conversions, v.revenue::numeric, v.payout::numeric, v.profit::numeric,
       v.currency
from unnest($1::date[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::int8[], $7::int8[],
            $8::text[], $9::text[], $10::text[], $11::text[])
     as v(date, affiliate_id, affiliate_label, advertiser_id, advertiser_label, clicks,
          conversions, revenue, payout, profit, currency)
on conflict (date, affiliate_id, advertiser_id) do update set
    affiliate_label = excluded.affiliate_label,
    advertiser_label = excluded.advertiser_label,
    clicks = excluded.clicks,
    conversions = excluded.conversions,
    revenue = excluded.revenue,
    payout = excluded.payout,
    profit = excluded.profit,
    currency = excluded.currency,
    loaded_at = now()
where (d.affiliate_label, d.advertiser_label, d.clicks, d.conversions, d.revenue::text,
       d.payout::text, d.profit::text, d.currency)
      is distinct from
      (excluded.affiliate_label, excluded.advertiser_label, excluded.clicks,
       excluded.conversions, excluded.revenue::text, excluded.payout::text,
       excluded.profit::text, excluded.currency)";

const UPSERT_SPEND: &str = "\
insert into redtrack.daily_spend as d
    (date, source_id, source_name, source_alias, clicks, conversions, cost, currency)
select v.date, v.source_id, v.source_name, v.source_alias, v.clicks, v.conversions,
       v.cost::numeric, v.currency
from unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[],
            $7::text[], $8::text[])
     as v(date, source_id, source_name, source_alias, clicks, conversions, cost, currency)
on conflict (date, source_id) do update set
    source_name = excluded.source_name,
    source_alias = excluded.source_alias,
    clicks = excluded.clicks,
    conversions = excluded.conversions,
    cost = excluded.cost,
    currency = excluded.currency,
    loaded_at = now()
where (d.source_name, d.source_alias, d.clicks, d.conversions, d.cost::text, d.currency)
      is distinct from
      (excluded.source_name, excluded.source_alias, excluded.clicks, excluded.conversions,
       excluded.cost::text, excluded.currency)";

const DELETE_MAPPING: &str = "delete from public.affiliate_mapping";

const INSERT_MAPPING: &str = "\
insert into public.affiliate_mapping
    (row_number, location, redtrack_source, redtrack_source_alias, redtrack_source_id,
     everflow_affiliate_id, everflow_affiliate_label, everflow_advertiser_id,
     everflow_advertiser_label, source_id, affiliate_label, advertiser_id, advertiser_label,
     issues)
select v.row_number, v.location, v.redtrack_source, v.redtrack_source_alias,
       v.redtrack_source_id, v.everflow_affiliate_id, v.everflow_affiliate_label,
       v.everflow_advertiser_id, v.everflow_advertiser_label, v.source_id, v.affiliate_label,
       v.advertiser_id, v.advertiser_label, v.issues::jsonb
from unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int8[],
            $13::text[], $14::text[])
     as v(row_number, location, redtrack_source, redtrack_source_alias, redtrack_source_id,
          everflow_affiliate_id, everflow_affiliate_label, everflow_advertiser_id,
          everflow_advertiser_label, source_id, affiliate_label, advertiser_id,
          advertiser_label, issues)";

const LOAD_EVERFLOW: &str = "\
select date, affiliate_id, affiliate_label, advertiser_id, advertiser_label, clicks,
       conversions, revenue::text, payout::text, profit::text, currency::text
from everflow.daily_stats
where ($1::date is null or date >= $1::date) and ($2::date is null or date <= $2::date)
order by date, advertiser_id, affiliate_id";

const LOAD_SPEND: &str = "\
select date, source_id, source_name, source_alias, clicks, conversions, cost::text,
       currency::text
from redtrack.daily_spend
where ($1::date is null or date >= $1::date) and ($2::date is null or date <= $2::date)
order by date, source_id";

const LOAD_MAPPING: &str = "\
select row_number, location, redtrack_source, redtrack_source_alias, redtrack_source_id,
       everflow_affiliate_id, everflow_affiliate_label, everflow_advertiser_id,
       everflow_advertiser_label, issues::text
from public.affiliate_mapping
order by row_number";

const LOAD_PERFORMANCE: &str = "\
select date, advertiser_id, advertiser_label, affiliate_label, is_internal, everflow_clicks,
       conversions, everflow_revenue::text, everflow_payout::text, redtrack_cost::text,
       redtrack_clicks, cost::text, cpa::text, everflow_rows, spend_rows
from public.daily_performance
where ($1::date is null or date >= $1::date) and ($2::date is null or date <= $2::date)
order by date, advertiser_id, affiliate_label";

const DELETE_PERFORMANCE: &str = "\
delete from public.daily_performance where date >= $1::date and date <= $2::date";

const INSERT_PERFORMANCE: &str = "\
insert into public.daily_performance
    (date, advertiser_id, advertiser_label, affiliate_label, is_internal, everflow_clicks,
     conversions, everflow_revenue, everflow_payout, redtrack_cost, redtrack_clicks, cost, cpa,
     everflow_rows, spend_rows, currency, run_id)
select v.date, v.advertiser_id, v.advertiser_label, v.affiliate_label, v.is_internal,
       v.everflow_clicks, v.conversions, v.everflow_revenue::numeric,
       v.everflow_payout::numeric, v.redtrack_cost::numeric, v.redtrack_clicks,
       v.cost::numeric, v.cpa::numeric, v.everflow_rows, v.spend_rows, $1, $2::uuid
from unnest($3::date[], $4::int8[], $5::text[], $6::text[], $7::bool[], $8::int8[],
            $9::int8[], $10::text[], $11::text[], $12::text[], $13::int8[], $14::text[],
            $15::text[], $16::int8[], $17::int8[])
     as v(date, advertiser_id, advertiser_label, affiliate_label, is_internal,
          everflow_clicks, conversions, everflow_revenue, everflow_payout, redtrack_cost,
          redtrack_clicks, cost, cpa, everflow_rows, spend_rows)";

/// A run's timestamps all come from the server's clock: `started_at` is read with
/// [`SERVER_NOW`] when the run starts, and `finished_at` is never before it.
type Stamp = sqlx::types::time::OffsetDateTime;

const SERVER_NOW: &str = "select clock_timestamp()";

const INSERT_RUN: &str = "\
insert into ops.runs (pipeline, status, actor, input, started_at)
values ($1, $2, $3, $4::jsonb, $5)
returning id::text";

const COMPLETE_RUN: &str = "\
update ops.runs
set status = 'completed', output = $2::jsonb,
    finished_at = greatest(clock_timestamp(), started_at)
where id = $1::uuid";

const INSERT_FAILED_RUN: &str = "\
insert into ops.runs (pipeline, status, actor, input, started_at, finished_at, error)
values ($1, 'failed', $2, $3::jsonb, $4, greatest(clock_timestamp(), $4), $5)
returning id::text";

// Events keep their order: ids follow the array order.
const INSERT_EVENTS: &str = "\
insert into ops.run_events (run_id, level, kind, message, data)
select $1::uuid, v.level, v.kind, v.message, v.data::jsonb
from unnest($2::text[], $3::text[], $4::text[], $5::text[]) with ordinality
     as v(level, kind, message, data, ord)
order by v.ord";

const SELECT_RUN: &str = "\
select id::text, pipeline, status, actor, input::text, output::text, started_at, finished_at,
       error, created_at
from ops.runs
where id = $1::uuid";

const LIST_RUNS: &str = "\
select id::text, pipeline, status, actor, input::text, output::text, started_at, finished_at,
       error, created_at
from ops.runs
where $1::text is null or pipeline = $1
order by created_at, started_at, id";

const LIST_EVENTS: &str = "\
select id, run_id::text, level, kind, message, data::text, created_at
from ops.run_events
where run_id = $1::uuid
order by id";

/// CPA runs serialise on this transaction-level advisory lock (the key is
/// `hashtext('ces.cpa')`), so two runs over overlapping ranges never interleave their delete
/// and insert.
const LOCK_CPA: &str = "select pg_advisory_xact_lock(hashtext('ces.cpa'))";

async fn lock_cpa(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query(LOCK_CPA).execute(&mut *conn).await.map(|_| ())
}

/// Upserts Everflow rows, one statement per [`CHUNK`] rows; returns how many were inserted
/// or changed.
async fn upsert_everflow_rows(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[EverflowWrite<'_>],
) -> Result<u64> {
    let mut changed = 0;
    for chunk in rows.chunks(CHUNK) {
        changed += sqlx::query(UPSERT_EVERFLOW)
            .bind(chunk.iter().map(|r| r.date).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.affiliate_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.affiliate_label).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.advertiser_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.advertiser_label).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.clicks).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.conversions).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.revenue.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.payout.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.profit.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.currency).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), EVERFLOW_STATS, BRANDS, None))?
            .rows_affected();
    }
    Ok(changed)
}

/// Upserts summed spend rows, one statement per [`CHUNK`] rows.
async fn upsert_spend_rows(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[SpendWrite<'_>],
) -> Result<u64> {
    let mut changed = 0;
    for chunk in rows.chunks(CHUNK) {
        changed += sqlx::query(UPSERT_SPEND)
            .bind(chunk.iter().map(|r| r.date).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.source_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.source_name).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.source_alias).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.clicks).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.conversions).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.cost.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.currency).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), REDTRACK_SPEND, BRANDS, None))?
            .rows_affected();
    }
    Ok(changed)
}

/// Inserts mapping rows, one statement per [`CHUNK`] rows.
async fn insert_mapping_rows(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[MappingWrite<'_>],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        let raw = |k: usize| chunk.iter().map(|r| r.raw[k]).collect::<Vec<_>>();
        inserted += sqlx::query(INSERT_MAPPING)
            .bind(chunk.iter().map(|r| r.row_number).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.location).collect::<Vec<_>>())
            .bind(raw(0))
            .bind(raw(1))
            .bind(raw(2))
            .bind(raw(3))
            .bind(raw(4))
            .bind(raw(5))
            .bind(raw(6))
            .bind(
                chunk
                    .iter()
                    .map(|r| r.target.map(|t| t.source_id.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|r| r.target.map(|t| t.affiliate_label.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|r| r.target.map(|t| t.advertiser_id))
                    .collect::<Vec<_>>(),
            )
            .bind(
                chunk
                    .iter()
                    .map(|r| r.target.map(|t| t.advertiser_label.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(chunk.iter().map(|r| r.issues.as_str()).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), AFFILIATE_MAPPING, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

/// Inserts the merged rows (one array per column, [`CHUNK`] rows a statement), tagged with
/// the run and the merge currency.
async fn insert_performance(
    conn: &mut PgConnection,
    op: &'static str,
    run_id: &str,
    currency: &str,
    table: &PerformanceTable,
) -> Result<u64> {
    let c = table.columns();
    let mut inserted = 0;
    let mut start = 0;
    while start < table.len() {
        let end = (start + CHUNK).min(table.len());
        let r = start..end;
        let money = |col: &[Decimal]| {
            col[r.clone()]
                .iter()
                .map(|d| money_text(*d))
                .collect::<Vec<_>>()
        };
        let count = |col: &[u64]| col[r.clone()].iter().map(|n| *n as i64).collect::<Vec<_>>();
        let small = |col: &[u32]| {
            col[r.clone()]
                .iter()
                .map(|n| i64::from(*n))
                .collect::<Vec<_>>()
        };
        inserted += sqlx::query(INSERT_PERFORMANCE)
            .bind(currency)
            .bind(run_id)
            .bind(&c.date[r.clone()])
            .bind(&c.advertiser_id[r.clone()])
            .bind(
                c.advertiser_label[r.clone()]
                    .iter()
                    .map(|&i| c.advertiser_names[i as usize].as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                c.affiliate_label[r.clone()]
                    .iter()
                    .map(|&i| c.affiliate_names[i as usize].as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(&c.is_internal[r.clone()])
            .bind(count(c.everflow_clicks))
            .bind(count(c.conversions))
            .bind(money(c.everflow_revenue))
            .bind(money(c.everflow_payout))
            .bind(money(c.redtrack_cost))
            .bind(count(c.redtrack_clicks))
            .bind(money(c.cost))
            .bind(
                c.cpa[r.clone()]
                    .iter()
                    .map(|v| v.map(money_text))
                    .collect::<Vec<_>>(),
            )
            .bind(small(c.everflow_rows))
            .bind(small(c.spend_rows))
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), DAILY_PERFORMANCE, BRANDS, None))?
            .rows_affected();
        start = end;
    }
    Ok(inserted)
}

/// Inserts a run's events in order.
async fn insert_events(
    conn: &mut PgConnection,
    op: &'static str,
    run_id: &str,
    events: &[EventWrite],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in events.chunks(CHUNK) {
        inserted += sqlx::query(INSERT_EVENTS)
            .bind(run_id)
            .bind(chunk.iter().map(|e| e.level.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.message.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|e| e.data.as_str()).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error(e, op, Row(None), RUN_EVENTS, BRANDS, None))?
            .rows_affected();
    }
    Ok(inserted)
}

crate::cpa::cpa!(sqlx::Postgres);

// ---------------------------------------------------------------------------------------
// Attribution (see `crate::attribution`). Times bind as `timestamptz` (chrono, exact to the
// microsecond); money and units travel as decimal text cast to `numeric`, and are read back
// as `numeric::text`.

const EXPOSURES: &str = "ces.exposures";
const TRANSACTIONS: &str = "scout.transactions";
const ATTRIBUTIONS: &str = "scout.attributions";
/// Rows per load query (keyset pages through the time index).
const PAGE: usize = 100_000;
/// Rows per upsert or join-field update (each column travels as one array).
const WRITE_CHUNK: usize = 10_000;
/// Transactions per delete of old credit.
const DELETE_CHUNK: usize = 10_000;
/// Credit rows per insert.
const ATTRIBUTION_CHUNK: usize = 20_000;

type DbTime = DateTime<Utc>;

/// An instant the adapter binds (always storable: inputs are checked, ranges clamped).
fn db_time(us: i64) -> DbTime {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::UNIX_EPOCH)
}

fn micros(t: DbTime) -> i64 {
    t.timestamp_micros()
}

/// One page of the exposures with a value of `key` and `start_time < $1`, after the cursor
/// `($2, $3)` in (start_time, exposure_id) order.
fn exposure_page_sql(key: MatchKey) -> String {
    format!(
        "select exposure_id, {k}, start_time, end_time, channel, interaction, campaign_id, \
                asset_id, cost::text, attribution_window_days
         from ces.exposures
         where {k} is not null and start_time < $1 and (start_time, exposure_id) > ($2, $3)
         order by start_time, exposure_id
         limit {PAGE}",
        k = key.column()
    )
}

fn exposure_keyless_sql(key: MatchKey) -> String {
    format!(
        "select count(*) from ces.exposures
         where {k} is null and start_time >= $1 and start_time < $2",
        k = key.column()
    )
}

fn transaction_page_sql(key: MatchKey) -> String {
    format!(
        "select transaction_id, {k}, transaction_time, total_amount::text, units::text
         from scout.transactions
         where {k} is not null and transaction_time < $1
           and (transaction_time, transaction_id) > ($2, $3)
         order by transaction_time, transaction_id
         limit {PAGE}",
        k = key.column()
    )
}

fn transaction_keyless_sql(key: MatchKey) -> String {
    format!(
        "select transaction_id from scout.transactions
         where {k} is null and transaction_time >= $1 and transaction_time < $2
         order by transaction_id collate \"C\"",
        k = key.column()
    )
}

const LIST_EXPOSURES: &str = "\
select exposure_id, campaign_id, asset_id, channel, interaction, placement, platform,
       start_time, end_time, customer_id, household_id, store_id, geography_id, impressions,
       reach, frequency, attribution_window_days, cost::text
from ces.exposures
where start_time >= $1 and start_time < $2
order by start_time, exposure_id collate \"C\"";

const LIST_TRANSACTIONS: &str = "\
select transaction_id, store_id, customer_id, household_id, geography_id, transaction_time,
       total_amount::text, currency::text, units::text, items::text, campaign_id, asset_id,
       exposure_id, campaign_influenced, attribution_confidence, attribution_model,
       attribution_run_id::text
from scout.transactions
where transaction_time >= $1 and transaction_time < $2
order by transaction_time, transaction_id collate \"C\"";

const LOAD_ATTRIBUTIONS: &str = "\
select run_id::text, transaction_id, exposure_id, campaign_id, asset_id, channel, model,
       model_name, weight, attributed_revenue::text, attributed_units::text, confidence
from scout.attributions
where run_id = $1::uuid
order by model_name collate \"C\", transaction_id collate \"C\", exposure_id collate \"C\"";

/// A stored `numeric` amount (read as text) as the core's `f64`.
fn read_amount(
    r: &sqlx::postgres::PgRow,
    index: usize,
    table: &'static str,
    key: &dyn Fn() -> String,
    field: &'static str,
) -> Result<f64> {
    use sqlx::Row as _;
    let text: String = r.try_get(index).map_err(db_error("load_attributions"))?;
    crate::attribution::stored_f64(table, key, field, &text)
}

/// Attribution runs serialise on this transaction-level advisory lock (the key is
/// `hashtext('ces.attribution')`), so two runs never interleave their deletes and inserts.
async fn lock_attribution(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('ces.attribution'))")
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

const UPSERT_EXPOSURES: &str = "\
insert into ces.exposures as e
    (exposure_id, campaign_id, asset_id, channel, interaction, placement, platform, start_time,
     end_time, customer_id, household_id, store_id, geography_id, impressions, reach,
     frequency, attribution_window_days, cost)
select v.exposure_id, v.campaign_id, v.asset_id, v.channel, v.interaction, v.placement,
       v.platform, v.start_time, v.end_time, v.customer_id, v.household_id, v.store_id,
       v.geography_id, v.impressions, v.reach, v.frequency, v.attribution_window_days,
       v.cost::numeric
from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[],
            $12::text[], $13::text[], $14::int8[], $15::int8[], $16::float8[], $17::int4[],
            $18::text[])
     as v(exposure_id, campaign_id, asset_id, channel, interaction, placement, platform,
          start_time, end_time, customer_id, household_id, store_id, geography_id,
          impressions, reach, frequency, attribution_window_days, cost)
on conflict (exposure_id) do update set
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
    loaded_at = now()
where (e.campaign_id, e.asset_id, e.channel, e.interaction, e.placement, e.platform,
       e.start_time, e.end_time, e.customer_id, e.household_id, e.store_id, e.geography_id,
       e.impressions, e.reach, e.frequency, e.attribution_window_days, e.cost::text)
      is distinct from
      (excluded.campaign_id, excluded.asset_id, excluded.channel, excluded.interaction,
       excluded.placement, excluded.platform, excluded.start_time, excluded.end_time,
       excluded.customer_id, excluded.household_id, excluded.store_id, excluded.geography_id,
       excluded.impressions, excluded.reach, excluded.frequency,
       excluded.attribution_window_days, excluded.cost::text)";

/// Upserts exposures (one statement; the caller chunks); returns how many rows were
/// inserted or changed.
async fn upsert_exposure_rows(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[ExposureWrite<'_>],
) -> Result<u64> {
    let text = |f: for<'r> fn(&'r ExposureWrite<'r>) -> Option<&'r str>| -> Vec<Option<&str>> {
        rows.iter().map(f).collect()
    };
    let time = |us: i64| db_time(us);
    Ok(sqlx::query(UPSERT_EXPOSURES)
        .bind(text(|w| Some(&w.r.exposure_id)))
        .bind(text(|w| Some(&w.r.campaign_id)))
        .bind(text(|w| w.r.asset_id.as_deref()))
        .bind(text(|w| Some(&w.r.channel)))
        .bind(text(|w| Some(w.r.interaction.as_str())))
        .bind(text(|w| w.r.placement.as_deref()))
        .bind(text(|w| w.r.platform.as_deref()))
        .bind(
            rows.iter()
                .map(|w| time(w.r.start_time))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|w| w.r.end_time.map(time))
                .collect::<Vec<_>>(),
        )
        .bind(text(|w| w.r.customer_id.as_deref()))
        .bind(text(|w| w.r.household_id.as_deref()))
        .bind(text(|w| w.r.store_id.as_deref()))
        .bind(text(|w| w.r.geography_id.as_deref()))
        .bind(rows.iter().map(|w| w.r.impressions).collect::<Vec<_>>())
        .bind(rows.iter().map(|w| w.r.reach).collect::<Vec<_>>())
        .bind(rows.iter().map(|w| w.r.frequency).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|w| w.r.attribution_window_days as i32)
                .collect::<Vec<_>>(),
        )
        .bind(text(|w| w.cost.as_deref()))
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), EXPOSURES, BRANDS, None))?
        .rows_affected())
}

const UPSERT_TRANSACTIONS: &str = "\
insert into scout.transactions as t
    (transaction_id, store_id, customer_id, household_id, geography_id, transaction_time,
     total_amount, currency, units, items)
select v.transaction_id, v.store_id, v.customer_id, v.household_id, v.geography_id,
       v.transaction_time, v.total_amount::numeric, v.currency, v.units::numeric,
       v.items::jsonb
from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
            $7::text[], $8::text[], $9::text[], $10::text[])
     as v(transaction_id, store_id, customer_id, household_id, geography_id,
          transaction_time, total_amount, currency, units, items)
on conflict (transaction_id) do update set
    store_id = excluded.store_id,
    customer_id = excluded.customer_id,
    household_id = excluded.household_id,
    geography_id = excluded.geography_id,
    transaction_time = excluded.transaction_time,
    total_amount = excluded.total_amount,
    currency = excluded.currency,
    units = excluded.units,
    items = excluded.items,
    loaded_at = now()
where (t.store_id, t.customer_id, t.household_id, t.geography_id, t.transaction_time,
       t.total_amount::text, t.currency, t.units::text, t.items)
      is distinct from
      (excluded.store_id, excluded.customer_id, excluded.household_id, excluded.geography_id,
       excluded.transaction_time, excluded.total_amount::text, excluded.currency,
       excluded.units::text, excluded.items)";

/// Upserts transactions (one statement; the caller chunks); the join fields are left alone.
async fn upsert_transaction_rows(
    conn: &mut PgConnection,
    op: &'static str,
    rows: &[TransactionWrite<'_>],
) -> Result<u64> {
    let text = |f: for<'r> fn(&'r TransactionWrite<'r>) -> Option<&'r str>| -> Vec<Option<&str>> {
        rows.iter().map(f).collect()
    };
    Ok(sqlx::query(UPSERT_TRANSACTIONS)
        .bind(text(|w| Some(&w.r.transaction_id)))
        .bind(text(|w| w.r.store_id.as_deref()))
        .bind(text(|w| w.r.customer_id.as_deref()))
        .bind(text(|w| w.r.household_id.as_deref()))
        .bind(text(|w| w.r.geography_id.as_deref()))
        .bind(
            rows.iter()
                .map(|w| db_time(w.r.transaction_time))
                .collect::<Vec<_>>(),
        )
        .bind(text(|w| Some(&w.total_amount)))
        .bind(text(|w| w.r.currency.as_deref()))
        .bind(text(|w| Some(&w.units)))
        .bind(text(|w| Some(&w.items)))
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), TRANSACTIONS, BRANDS, None))?
        .rows_affected())
}

const DELETE_ATTRIBUTIONS: &str = "\
delete from scout.attributions a
using unnest($2::text[]) as v(transaction_id)
where a.transaction_id = v.transaction_id and a.model_name = any($1::text[])";

/// Deletes the credit of these transactions under these models.
async fn delete_attributions(
    conn: &mut PgConnection,
    op: &'static str,
    models: &[String],
    transaction_ids: &[&str],
) -> Result<u64> {
    Ok(sqlx::query(DELETE_ATTRIBUTIONS)
        .bind(models)
        .bind(transaction_ids)
        .execute(&mut *conn)
        .await
        .map_err(db_error(op))?
        .rows_affected())
}

const COPY_ATTRIBUTIONS: &str = "\
copy scout.attributions
    (run_id, transaction_id, exposure_id, campaign_id, asset_id, channel, model, model_name,
     weight, attributed_revenue, attributed_units, confidence)
from stdin";

/// `s` as a field of `COPY`'s text format (backslash, tab, newline and carriage return
/// escaped).
fn copy_text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// Inserts credit rows with one `COPY` (text format; PostgreSQL's own insert work is then the
/// whole cost). Numbers are written as the shortest decimal that reads back as the same
/// `f64`: `float8` parses it to the same bits, `numeric` keeps it exactly.
async fn insert_attributions(
    conn: &mut PgConnection,
    op: &'static str,
    run_id: &str,
    rows: &[CreditWrite<'_>],
) -> Result<u64> {
    use std::io::Write as _;
    let mut buf: Vec<u8> = Vec::with_capacity(rows.len() * 128);
    for r in rows {
        buf.extend_from_slice(run_id.as_bytes());
        for s in [r.transaction_id, r.exposure_id, r.campaign_id] {
            buf.push(b'\t');
            copy_text(&mut buf, s);
        }
        buf.push(b'\t');
        match r.asset_id {
            Some(a) => copy_text(&mut buf, a),
            None => buf.extend_from_slice(b"\\N"),
        }
        for s in [r.channel, r.model, r.model_name] {
            buf.push(b'\t');
            copy_text(&mut buf, s);
        }
        // Writing to a Vec cannot fail.
        let _ = writeln!(
            buf,
            "\t{}\t{}\t{}\t{}",
            r.weight, r.revenue, r.units, r.weight
        );
    }
    let fail = |e| write_error(e, op, Row(None), ATTRIBUTIONS, BRANDS, None);
    let mut copy = conn.copy_in_raw(COPY_ATTRIBUTIONS).await.map_err(fail)?;
    copy.send(buf).await.map_err(fail)?;
    copy.finish().await.map_err(fail)
}

const UPDATE_LINKS: &str = "\
update scout.transactions t set
    campaign_id = v.campaign_id,
    asset_id = v.asset_id,
    exposure_id = v.exposure_id,
    campaign_influenced = v.influenced,
    attribution_confidence = v.confidence,
    attribution_model = $2,
    attribution_run_id = $1::uuid
from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::float8[])
     as v(transaction_id, campaign_id, asset_id, exposure_id, influenced, confidence)
where t.transaction_id = v.transaction_id";

/// Writes the join fields of these transactions (one statement).
async fn update_links(
    conn: &mut PgConnection,
    op: &'static str,
    run_id: &str,
    model: &str,
    rows: &[LinkWrite<'_>],
) -> Result<u64> {
    Ok(sqlx::query(UPDATE_LINKS)
        .bind(run_id)
        .bind(model)
        .bind(rows.iter().map(|r| r.transaction_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.campaign_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.asset_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.exposure_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.influenced).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.confidence).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(|e| write_error(e, op, Row(None), TRANSACTIONS, BRANDS, None))?
        .rows_affected())
}

/// The first of these transactions that no longer exists.
async fn missing_transaction(
    conn: &mut PgConnection,
    op: &'static str,
    transaction_ids: &[&str],
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "select v.id from unnest($1::text[]) as v(id)
         where not exists (select 1 from scout.transactions t where t.transaction_id = v.id)
         order by v.id collate \"C\" limit 1",
    )
    .bind(transaction_ids)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error(op))
}

crate::attribution::attribution!(sqlx::Postgres);

/// Opens a pool on `url`. One connection is made first, outside the pool, so that a wrong
/// host, port, password or database fails at once with the server's own error (a pool would
/// retry until its acquire timeout and report only that it timed out).
pub(crate) async fn connect(url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url).map_err(|e| Error::InvalidUrl {
        url: redact_url(url),
        reason: e.to_string(),
    })?;
    let fail = |source| Error::Connect {
        url: redact_url(url),
        source,
    };
    let probe = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(fail)?;
    probe.close().await.map_err(fail)?;
    Ok(PgPoolOptions::new().connect_lazy_with(options))
}
