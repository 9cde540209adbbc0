//! The SQLite backend: the brand master tables, staging, the resolution log and the triage
//! queue, named `schema_table`. Bulk writes are multi-row statements of at most [`CHUNK`]
//! rows.

use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

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
