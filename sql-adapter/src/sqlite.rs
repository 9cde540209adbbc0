//! The SQLite backend: `masterdata_brands` and `masterdata_brand_aliases`.

use std::str::FromStr;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::error::{Backend, redact_url};

pub(crate) const BACKEND: Backend = Backend::Sqlite;

const BRANDS: &str = "masterdata_brands";
const ALIASES: &str = "masterdata_brand_aliases";

const UPSERT_BRAND: &str = "\
insert into masterdata_brands as b
    (brand_name, normalized_name, category, parent_brand, country, status)
values ($1, $2, $3, $4, $5, $6)
on conflict (brand_name) do update set
    normalized_name = excluded.normalized_name,
    category = excluded.category,
    parent_brand = excluded.parent_brand,
    country = excluded.country,
    status = excluded.status,
    updated_at = case
        when b.normalized_name is not excluded.normalized_name
          or b.category is not excluded.category
          or b.parent_brand is not excluded.parent_brand
          or b.country is not excluded.country
          or b.status is not excluded.status
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
       a.id, a.alias, a.alias_type, a.confidence, a.similarity_threshold, a.created_at
from masterdata_brands b
left join masterdata_brand_aliases a on a.brand_id = b.id
order by b.id, a.id";

/// Write transactions take the write lock up front (`BEGIN IMMEDIATE`), so two writers wait
/// for each other (busy timeout) instead of failing when a read lock cannot be upgraded.
async fn begin_write(pool: &SqlitePool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

crate::repo::repository!(sqlx::Sqlite);

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
