//! The PostgreSQL backend: `masterdata.brands` and `masterdata.brand_aliases`.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgPool};

use crate::error::{Backend, redact_url};

pub(crate) const BACKEND: Backend = Backend::Postgres;

const BRANDS: &str = "masterdata.brands";
const ALIASES: &str = "masterdata.brand_aliases";

const UPSERT_BRAND: &str = "\
insert into masterdata.brands as b
    (brand_name, normalized_name, category, parent_brand, country, status)
values ($1, $2, $3, $4, $5, $6)
on conflict (brand_name) do update set
    normalized_name = excluded.normalized_name,
    category = excluded.category,
    parent_brand = excluded.parent_brand,
    country = excluded.country,
    status = excluded.status,
    updated_at = case
        when (b.normalized_name, b.category, b.parent_brand, b.country, b.status)
             is distinct from
             (excluded.normalized_name, excluded.category, excluded.parent_brand,
              excluded.country, excluded.status)
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
       a.created_at
from masterdata.brands b
left join masterdata.brand_aliases a on a.brand_id = b.id
order by b.id, a.id";

async fn begin_write(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    pool.begin().await
}

crate::repo::repository!(sqlx::Postgres);

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
