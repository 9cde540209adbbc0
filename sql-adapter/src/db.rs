//! [`Database`]: one handle over either backend.

// Without a backend no `Database` can exist, and the methods' arguments go unused.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(unused_variables)
)]

use ces::brands::{CatalogSpec, Decision, NormalizerSpec, Resolver, TriageStatus};
use ces::cpa::{DateRange, EverflowTable, Mapping, MergeConfig, PerformanceTable, SpendTable};

use ces::attribution::{AttributionConfig, ExposureTable, TransactionTable};

use crate::attribution::{
    AttributionRecord, AttributionRun, ExposureRecord, Loaded, MatchKey, StoredTransaction,
    TransactionRecord,
};
use crate::cpa::{CpaRun, RunEvent, RunRecord};
use crate::error::{Backend, Error, Result, redact_url};
use crate::model::{Brand, NewAlias, NewBrand};
use crate::resolution::{DriveSku, ResolutionSummary, StagedSku, TriageRecord};

/// A pool of connections to a PostgreSQL or SQLite database, with the brand master
/// repository on top. Cheap to clone (clones share the pool).
///
/// ```no_run
/// # async fn demo() -> ces_sql::Result<()> {
/// use ces_sql::{Database, NewBrand};
/// let db = Database::connect("sqlite://ces.db").await?; // created if missing
/// db.migrate().await?;
/// let id = db.upsert_brand(&NewBrand::new("Nike")).await?;
/// assert_eq!(db.list_brands().await?[0].id, id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Database {
    pool: Pool,
}

#[derive(Clone, Debug)]
enum Pool {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

/// Runs `$body` with `$p` bound to the backend's pool and `backend` naming its module.
macro_rules! dispatch {
    ($self:ident, $p:ident => $body:expr) => {
        match $self.pool {
            #[cfg(feature = "postgres")]
            Pool::Postgres(ref $p) => {
                #[allow(unused_imports)]
                use crate::postgres as backend;
                $body
            }
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(ref $p) => {
                #[allow(unused_imports)]
                use crate::sqlite as backend;
                $body
            }
        }
    };
}

impl Database {
    /// Connects to `url`, naming the backend by its scheme:
    ///
    /// * `postgres://user:password@host:port/db?sslmode=…` (or `postgresql://`);
    /// * `sqlite://path/to/file.db` or `sqlite:path` — the file is created if missing and
    ///   opened in WAL mode; `sqlite::memory:` — a private in-memory database (one
    ///   connection, lives as long as the `Database`). Foreign keys are always enforced.
    ///
    /// Fails with [`Error::InvalidUrl`], [`Error::BackendDisabled`] (the backend's cargo
    /// feature is off) or [`Error::Connect`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect("sqlite::memory:").await?;
    /// assert_eq!(db.backend(), ces_sql::Backend::Sqlite);
    /// let err = ces_sql::Database::connect("mysql://localhost/x").await.unwrap_err();
    /// assert_eq!(err.code(), "invalid_url");
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self> {
        match Backend::from_url(url)? {
            #[cfg(feature = "postgres")]
            Backend::Postgres => Ok(Database {
                pool: Pool::Postgres(crate::postgres::connect(url).await?),
            }),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => Ok(Database {
                pool: Pool::Sqlite(crate::sqlite::connect(url).await?),
            }),
            #[allow(unreachable_patterns)]
            backend => Err(Error::BackendDisabled {
                backend,
                url: redact_url(url),
            }),
        }
    }

    /// [`Database::connect`], then [`Database::migrate`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.list_brands().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn connect_and_migrate(url: &str) -> Result<Self> {
        let db = Database::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Wraps an existing PostgreSQL pool (your own options, TLS, statement cache, …).
    ///
    /// ```no_run
    /// # async fn demo() -> ces_sql::Result<()> {
    /// use ces_sql::sqlx::postgres::PgPoolOptions;
    /// let pool = PgPoolOptions::new()
    ///     .max_connections(4)
    ///     .connect("postgres://postgres@127.0.0.1:5432/postgres")
    ///     .await
    ///     .expect("connect");
    /// let db = ces_sql::Database::from_pg_pool(pool);
    /// db.migrate().await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn from_pg_pool(pool: sqlx::PgPool) -> Self {
        Database {
            pool: Pool::Postgres(pool),
        }
    }

    /// Wraps an existing SQLite pool.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::sqlx::SqlitePool;
    /// let pool = SqlitePool::connect("sqlite::memory:").await.expect("open");
    /// let db = ces_sql::Database::from_sqlite_pool(pool);
    /// assert!(db.sqlite_pool().is_some() && db.pg_pool().is_none());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "sqlite")]
    pub fn from_sqlite_pool(pool: sqlx::SqlitePool) -> Self {
        Database {
            pool: Pool::Sqlite(pool),
        }
    }

    /// The PostgreSQL pool, if this is a PostgreSQL database (for your own queries and for
    /// [`pg_trgm_scores`](crate::pg_trgm_scores)).
    #[cfg(feature = "postgres")]
    pub fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The SQLite pool, if this is a SQLite database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Which engine this is.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect("sqlite::memory:").await?;
    /// assert_eq!(db.backend().to_string(), "SQLite");
    /// # Ok(()) }
    /// ```
    pub fn backend(&self) -> Backend {
        dispatch!(self, _p => backend::BACKEND)
    }

    /// Applies the embedded migrations that have not been applied yet, each in a
    /// transaction, recording them in `ops.ces_sql_migrations` (PostgreSQL) or
    /// `ops_ces_sql_migrations` (SQLite). Running it again is a no-op; concurrent runs on
    /// PostgreSQL serialise on an advisory lock.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect("sqlite::memory:").await?;
    /// db.migrate().await?;
    /// db.migrate().await?; // idempotent
    /// assert!(db.list_brands().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn migrate(&self) -> Result<()> {
        dispatch!(self, p => backend::migrate(p).await)
    }

    /// Inserts `brand`, or updates the brand with the same `brand_name` (see [`NewBrand`]),
    /// and returns its id. Idempotent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{Database, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let id = db.upsert_brand(&NewBrand::new("Nike")).await?;
    /// assert_eq!(db.upsert_brand(&NewBrand::new("Nike")).await?, id);
    /// # Ok(()) }
    /// ```
    pub async fn upsert_brand(&self, brand: &NewBrand) -> Result<i64> {
        dispatch!(self, p => backend::upsert_brands(p, std::slice::from_ref(brand), false)
            .await
            .map(|ids| ids[0]))
    }

    /// Upserts every brand in one transaction and returns their ids in input order. Inputs
    /// are validated first; any error (named by its zero-based row) writes nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{Database, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let ids = db.upsert_brands(&[NewBrand::new("Nike"), NewBrand::new("Adidas")]).await?;
    /// assert_eq!(ids.len(), 2);
    /// let err = db.upsert_brands(&[NewBrand::new("Puma"), NewBrand::new(" ")]).await.unwrap_err();
    /// assert_eq!((err.code(), err.row(), err.field()), ("invalid_value", Some(1), Some("brand_name")));
    /// assert_eq!(db.list_brands().await?.len(), 2); // Puma was not written
    /// # Ok(()) }
    /// ```
    pub async fn upsert_brands(&self, brands: &[NewBrand]) -> Result<Vec<i64>> {
        dispatch!(self, p => backend::upsert_brands(p, brands, true).await)
    }

    /// Inserts `alias`, or updates the alias with the same `(brand_id, alias)`, and returns
    /// its id. Idempotent. An unknown `brand_id` is [`Error::UnknownBrand`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{AliasType, Database, NewAlias, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let apple = db.upsert_brand(&NewBrand::new("Apple")).await?;
    /// let id = db.upsert_alias(&NewAlias::new(apple, "AAPL", AliasType::Ticker)).await?;
    /// assert_eq!(db.upsert_alias(&NewAlias::new(apple, "AAPL", AliasType::Ticker)).await?, id);
    /// let err = db.upsert_alias(&NewAlias::new(apple + 1, "x", AliasType::Variant)).await.unwrap_err();
    /// assert_eq!(err.code(), "unknown_brand");
    /// # Ok(()) }
    /// ```
    pub async fn upsert_alias(&self, alias: &NewAlias) -> Result<i64> {
        dispatch!(self, p => backend::upsert_aliases(p, std::slice::from_ref(alias), false)
            .await
            .map(|ids| ids[0]))
    }

    /// Upserts every alias in one transaction and returns their ids in input order. Any
    /// error (named by its zero-based row) rolls the whole batch back.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{AliasType, Database, NewAlias, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let bmw = db.upsert_brand(&NewBrand::new("BMW")).await?;
    /// let ids = db
    ///     .upsert_aliases(&[
    ///         NewAlias::new(bmw, "Bayerische Motoren Werke", AliasType::FullName),
    ///         NewAlias { similarity_threshold: Some(0.8), ..NewAlias::new(bmw, "B.M.W.", AliasType::Variant) },
    ///     ])
    ///     .await?;
    /// assert_eq!(ids.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn upsert_aliases(&self, aliases: &[NewAlias]) -> Result<Vec<i64>> {
        dispatch!(self, p => backend::upsert_aliases(p, aliases, true).await)
    }

    /// Every brand with its aliases, brands by id and aliases by id (one statement, so one
    /// consistent snapshot).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{AliasType, BrandStatus, Database, NewAlias, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let nike = db.upsert_brand(&NewBrand::new("Nike")).await?;
    /// db.upsert_alias(&NewAlias::new(nike, "NIKE", AliasType::Uppercase)).await?;
    /// let brands = db.list_brands().await?;
    /// assert_eq!((brands[0].id, brands[0].status), (nike, BrandStatus::Active));
    /// assert_eq!(brands[0].aliases[0].alias, "NIKE");
    /// assert!(brands[0].created_at <= brands[0].updated_at);
    /// # Ok(()) }
    /// ```
    pub async fn list_brands(&self) -> Result<Vec<Brand>> {
        dispatch!(self, p => backend::list_brands(p).await)
    }

    /// The resolver's catalog, read from the master tables in one snapshot: the **active**
    /// brands (with their `similarity_threshold`), the aliases of active brands (types
    /// mapped to [`ces::brands::AliasType`] by name, thresholds kept), and every generic
    /// word; ids are the database ids, rows in id order (words in text order). `normalizer`
    /// becomes the catalog's normaliser.
    ///
    /// Thresholds are stored as `real`; each is read back as the shortest decimal naming the
    /// stored value (a stored 0.72 is `0.72`, not `0.7200000286102295`). An alias with an
    /// `alias_type` the core does not know (tables written by other tools) is
    /// [`Error::UnexpectedValue`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::brands::{Catalog, NormalizerSpec};
    /// use ces_sql::{AliasType, BrandStatus, Database, NewAlias, NewBrand};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let ids = db
    ///     .upsert_brands(&[
    ///         NewBrand { similarity_threshold: Some(0.8), ..NewBrand::new("Coca-Cola") },
    ///         NewBrand { status: BrandStatus::Inactive, ..NewBrand::new("Tab") },
    ///     ])
    ///     .await?;
    /// db.upsert_alias(&NewAlias::new(ids[0], "Coke", AliasType::Variant)).await?;
    /// db.upsert_generic_words(&["softdrinks"]).await?;
    ///
    /// let spec = db.load_catalog(NormalizerSpec::default()).await?;
    /// assert_eq!(spec.brands.len(), 1); // Tab is inactive
    /// assert_eq!((spec.brands[0].id, spec.brands[0].threshold), (ids[0], Some(0.8)));
    /// assert_eq!(spec.aliases[0].alias_type, ces::brands::AliasType::Variant);
    /// assert_eq!(spec.generic_words, ["softdrinks"]);
    /// let catalog = Catalog::new(spec).expect("a valid catalog");
    /// assert_eq!(catalog.entries().len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn load_catalog(&self, normalizer: NormalizerSpec) -> Result<CatalogSpec> {
        dispatch!(self, p => backend::resolution::load_catalog(p, normalizer).await)
    }

    /// Adds words to `masterdata.generic_words` (words that never resolve automatically;
    /// the catalog normalises them). Words already there are left alone. Returns how many
    /// were new. One transaction; a blank word is [`Error::InvalidValue`] naming its row.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert_eq!(db.upsert_generic_words(&["shampoo", "softdrinks"]).await?, 2);
    /// assert_eq!(db.upsert_generic_words(&["shampoo", "load"]).await?, 1);
    /// let err = db.upsert_generic_words(&["soap", " "]).await.unwrap_err();
    /// assert_eq!((err.code(), err.row(), err.field()), ("invalid_value", Some(1), Some("word")));
    /// # Ok(()) }
    /// ```
    pub async fn upsert_generic_words(&self, words: &[&str]) -> Result<u64> {
        dispatch!(self, p => backend::resolution::upsert_generic_words(p, words).await)
    }

    /// Inserts or updates rows of `staging.drive_skus` by `sku` (raw columns only) and
    /// returns how many were inserted or changed (an identical row is left untouched).
    /// When a row's raw `brand` changes, its resolution columns are cleared, so the next
    /// run resolves it again. One transaction; errors name the row.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{Database, DriveSku};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let rows = [DriveSku { price: Some(45.5), ..DriveSku::new("SKU-1", "COKE 1.5L") }];
    /// assert_eq!(db.upsert_drive_skus(&rows).await?, 1);
    /// assert_eq!(db.upsert_drive_skus(&rows).await?, 0); // unchanged
    /// assert_eq!(db.list_drive_skus().await?[0].price, Some(45.5));
    /// # Ok(()) }
    /// ```
    pub async fn upsert_drive_skus(&self, rows: &[DriveSku]) -> Result<u64> {
        dispatch!(self, p => backend::resolution::upsert_drive_skus(p, rows).await)
    }

    /// Every row of `staging.drive_skus` with its resolution, by `sku`.
    pub async fn list_drive_skus(&self) -> Result<Vec<StagedSku>> {
        dispatch!(self, p => backend::resolution::list_drive_skus(p).await)
    }

    /// Resolves the raw `brand` of every `staging.drive_skus` row that run `run_id` has not
    /// resolved yet (`resolution_run_id` null or another run), with `resolver` (build it from
    /// [`Database::load_catalog`]), and writes everything in **one transaction**:
    ///
    /// 1. one `ops.brand_resolution_log` row per staging row (bulk; `source_table` is the
    ///    staging table's name, `source_row_id` the SKU);
    /// 2. the triage queue: every unresolved or ambiguous normalised input is added, or its
    ///    occurrences raised, `last_seen` moved, samples and suggestions merged (an `ignored`
    ///    or `mapped` item keeps its status);
    /// 3. the staging rows' `resolved_brand_id` (only for `resolved`; an ambiguous row names
    ///    no brand), `resolution_status`, `resolution_score`, `resolved_at` and
    ///    `resolution_run_id`. The raw `brand` is never written; a NULL brand resolves as the
    ///    empty text (`unresolved`, reason "empty input").
    ///
    /// Running the same `run_id` again finds no row and writes nothing (the log's unique
    /// `(run_id, source_table, source_row_id)` would refuse duplicates anyway). A new
    /// `run_id` resolves every row again, for example after the catalog changed, and counts
    /// the unknown ones in the triage queue again. The rows are read inside the transaction
    /// and locked (`for update`; SQLite: the write lock), so concurrent runs serialise.
    ///
    /// Resolution is CPU work done on the calling task (in parallel on rayon's pool);
    /// `progress(done, total)` is called after each chunk of 4096 inputs.
    ///
    /// Any error rolls everything back: no log row, no triage change, no staging change. A
    /// decision naming a brand deleted since the catalog was loaded is
    /// [`Error::StaleCatalog`], naming the first such SKU.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use std::sync::Arc;
    /// use ces::brands::{Catalog, NormalizerSpec, Resolver, ResolverConfig, Status};
    /// use ces_sql::{AliasType, Database, DriveSku, NewAlias, NewBrand};
    ///
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let coke = db.upsert_brand(&NewBrand::new("Coca-Cola")).await?;
    /// db.upsert_alias(&NewAlias::new(coke, "Coke", AliasType::Variant)).await?;
    /// db.upsert_drive_skus(&[
    ///     DriveSku::new("SKU-1", "COCA COLA 1.5L"),
    ///     DriveSku::new("SKU-2", "coke"),
    ///     DriveSku::new("SKU-3", "Zesto"),
    /// ])
    /// .await?;
    ///
    /// let catalog = Catalog::new(db.load_catalog(NormalizerSpec::default()).await?).unwrap();
    /// let resolver = Resolver::new(Arc::new(catalog), ResolverConfig::default()).unwrap();
    /// let summary = db.resolve_staging_skus(&resolver, "run-1", None).await?;
    /// assert_eq!((summary.rows, summary.resolved, summary.unresolved), (3, 2, 1));
    /// assert_eq!((summary.logged, summary.triaged), (3, 1));
    ///
    /// let rows = db.list_drive_skus().await?;
    /// assert_eq!(rows[0].brand.as_deref(), Some("COCA COLA 1.5L")); // raw text kept
    /// assert_eq!((rows[0].resolved_brand_id, rows[0].resolution_status), (Some(coke), Some(Status::Resolved)));
    /// assert_eq!(rows[2].resolution_status, Some(Status::Unresolved));
    /// assert_eq!(db.triage_items(None).await?[0].normalized, "zesto");
    ///
    /// // The same run again: nothing to do, nothing written.
    /// assert_eq!(db.resolve_staging_skus(&resolver, "run-1", None).await?.rows, 0);
    /// # Ok(()) }
    /// ```
    pub async fn resolve_staging_skus(
        &self,
        resolver: &Resolver,
        run_id: &str,
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<ResolutionSummary> {
        dispatch!(self, p => backend::resolution::resolve_staging_skus(p, resolver, run_id, progress).await)
    }

    /// Appends decisions to `ops.brand_resolution_log`, one row per `(source_row_id,
    /// decision)`, in one transaction (PostgreSQL: one `insert … select from unnest(…)` per
    /// 10 000 rows; SQLite: multi-row inserts of 500). Rows whose `(run_id, source_table,
    /// source_row_id)` is already logged are skipped (`on conflict do nothing`), so writing
    /// the same batch twice changes nothing; within a batch the first of a repeated
    /// `source_row_id` wins. Returns how many rows were inserted.
    ///
    /// Blank `run_id`, `source_table` or `source_row_id`, scores outside `[0, 1]` and (on
    /// PostgreSQL) texts containing NUL are [`Error::InvalidValue`] naming the row and
    /// field, before anything is written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use std::sync::Arc;
    /// use ces::brands::{BrandRecord, Catalog, CatalogSpec, Resolver, ResolverConfig};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let catalog = Catalog::new(CatalogSpec {
    ///     brands: vec![BrandRecord { id: 1, name: "Kopiko".into(), threshold: None }],
    ///     ..Default::default()
    /// })
    /// .unwrap();
    /// let r = Resolver::new(Arc::new(catalog), ResolverConfig::default()).unwrap();
    /// let rows = vec![("order-1/line-1", r.resolve("KOPIKO")), ("order-1/line-2", r.resolve("kopico"))];
    /// assert_eq!(db.write_resolution_log("import-7", "sales.lines", &rows).await?, 2);
    /// assert_eq!(db.write_resolution_log("import-7", "sales.lines", &rows).await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn write_resolution_log<S: AsRef<str> + Sync>(
        &self,
        run_id: &str,
        source_table: &str,
        rows: &[(S, Decision)],
    ) -> Result<u64> {
        dispatch!(self, p => backend::resolution::write_resolution_log(p, run_id, source_table, rows).await)
    }

    /// The triage queue, or only the items with `status`, most frequent first (then by
    /// normalised form).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::brands::TriageStatus;
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.triage_items(Some(TriageStatus::Open)).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn triage_items(&self, status: Option<TriageStatus>) -> Result<Vec<TriageRecord>> {
        dispatch!(self, p => backend::resolution::triage_items(p, status).await)
    }

    /// Maps the triage item `normalized` to `brand_id`, in one transaction: finds the alias
    /// `(brand_id, normalized)` or creates it (type `variant`, confidence 1, through the same
    /// statement as [`Database::upsert_alias`]; an existing alias is not modified), and marks
    /// the item `mapped`. Returns the alias id. Idempotent: accepting again for the same
    /// brand returns the same id and changes nothing (`updated_at` included).
    ///
    /// Errors: [`Error::NotFound`] (not in the queue), [`Error::InvalidValue`] on
    /// `brand_id` (already mapped to another brand: reject it first),
    /// [`Error::UnknownBrand`] (no such brand). Reload the catalog to resolve with the new
    /// alias.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let err = db.accept_triage("kopico", 1).await.unwrap_err();
    /// assert_eq!(err.code(), "not_found");
    /// assert_eq!(err.to_string(), "no ops_brand_triage row with `normalized` = \"kopico\"");
    /// # Ok(()) }
    /// ```
    pub async fn accept_triage(&self, normalized: &str, brand_id: i64) -> Result<i64> {
        dispatch!(self, p => backend::resolution::accept_triage(p, normalized, brand_id).await)
    }

    /// Marks the triage item `normalized` `ignored` (not a brand; never proposed again) and
    /// clears its mapping. An alias created by an earlier accept stays in the master data.
    /// Idempotent; an item not in the queue is [`Error::NotFound`].
    pub async fn reject_triage(&self, normalized: &str) -> Result<()> {
        dispatch!(self, p => backend::resolution::reject_triage(p, normalized).await)
    }

    /// Inserts or updates Everflow daily stats in `everflow.daily_stats` (SQLite:
    /// `everflow_daily_stats`), keyed by `(date, affiliate_id, advertiser_id)`, and returns how
    /// many rows were inserted or changed. Idempotent: writing the same table again changes
    /// nothing and returns 0 (an identical row is left alone, `loaded_at` included).
    ///
    /// Every accepted record of `table` is written, amounts exactly as they are (see
    /// [CPA tables](crate#cpa-tables)); the records the reader rejected
    /// ([`EverflowTable::issues`]) are not. Checked before anything is written, errors naming
    /// the record by its input position ([`EverflowTable::position`]): a record without an
    /// `affiliate_id` is [`Error::InvalidValue`]; two records with one key are written once
    /// when identical and are [`Error::DuplicateKey`] when they disagree; on PostgreSQL a
    /// label containing NUL is [`Error::InvalidValue`]. One transaction.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::cpa::{read_everflow_json, ReadOptions};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let json = br#"{"table": [{"columns": [
    ///     {"column_type": "affiliate", "id": "7", "label": "G2 - Meta"},
    ///     {"column_type": "advertiser", "id": "1", "label": "CCW"},
    ///     {"column_type": "date", "id": "1733097600"}],
    ///   "reporting": {"total_click": 150, "cv": 25, "revenue": 2500.00, "payout": 1875.00, "profit": 625.00}}]}"#;
    /// let everflow = read_everflow_json(&[json], &ReadOptions::default()).unwrap();
    /// assert_eq!(db.upsert_everflow(&everflow).await?, 1);
    /// assert_eq!(db.upsert_everflow(&everflow).await?, 0); // unchanged
    /// let back = db.load_everflow(None).await?;
    /// assert_eq!(back.get(0).revenue.to_string(), "2500.00");
    /// # Ok(()) }
    /// ```
    pub async fn upsert_everflow(&self, table: &EverflowTable) -> Result<u64> {
        dispatch!(self, p => backend::cpa::upsert_everflow(p, table).await)
    }

    /// Inserts or updates Redtrack spend in `redtrack.daily_spend` (SQLite:
    /// `redtrack_daily_spend`), keyed by `(date, source_id)`, and returns how many rows were
    /// inserted or changed. Idempotent.
    ///
    /// The table holds one row per day and source, so the records of `table` are summed per
    /// `(date, source_id)` first: records stamped with different instants of one report day
    /// add up (clicks, conversions, cost); a record repeated with the same stamp counts once,
    /// and a repeat with other values is [`Error::DuplicateKey`]; the records of a day must
    /// share a currency ([`Error::InvalidValue`] on `currency` otherwise). Name and alias are
    /// the first record's. A stored day is replaced by the batch's total for that day, so a
    /// batch must carry whole days. One transaction.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::cpa::{Date, Decimal, SpendRow, SpendTable};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let mut spend = SpendTable::new();
    /// let row = SpendRow {
    ///     date: Date::from_ymd_opt(2025, 12, 17).unwrap(), stamp: Some(1_765_990_800),
    ///     source_id: "66c79f91be26fd4634569658", source_name: "Facebook CCW",
    ///     source_alias: Some("facebook"), clicks: 10, conversions: 1,
    ///     cost: Decimal::new(782550, 2), currency: None,
    /// };
    /// spend.push(row).unwrap();
    /// spend.push(SpendRow { stamp: Some(1_766_001_600), cost: Decimal::new(50, 2), ..row }).unwrap();
    /// assert_eq!(db.upsert_spend(&spend).await?, 1); // one day of one source
    /// assert_eq!(db.load_spend(None).await?.get(0).cost.to_string(), "7826.00");
    /// # Ok(()) }
    /// ```
    pub async fn upsert_spend(&self, table: &SpendTable) -> Result<u64> {
        dispatch!(self, p => backend::cpa::upsert_spend(p, table).await)
    }

    /// Replaces the whole internal-affiliate mapping (`affiliate_mapping`) with `mapping`, in
    /// one transaction, and returns how many rows were written. Every row is kept, usable or
    /// not: its seven raw cells as they came, its row number and location, the target the
    /// core parsed (NULL when the row cannot be used) and its issues.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::cpa::{read_mapping_csv, ReadOptions};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let csv = "redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,\
    ///            everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n\
    ///            Meta CCW AWF2 Stephanie ,facebook,6807d9120ee9ffc623c1d7e5,1,SB - Meta,1,CCW\n\
    ///            713 Meta,facebook,684af9a4e05c3dc4f599c32e,n/a,n/a,n/a,n/a\n";
    /// let mapping = read_mapping_csv(csv.as_bytes(), &ReadOptions::default()).unwrap();
    /// assert_eq!(db.replace_mapping(&mapping).await?, 2);
    /// let back = db.load_mapping().await?;
    /// assert_eq!(back.entries(), mapping.entries());
    /// assert_eq!(back.issues, mapping.issues); // the n/a row, with its line
    /// # Ok(()) }
    /// ```
    pub async fn replace_mapping(&self, mapping: &Mapping) -> Result<u64> {
        dispatch!(self, p => backend::cpa::replace_mapping(p, mapping).await)
    }

    /// The Everflow daily stats of `range` (every date when `None`) as the core's table,
    /// ordered by date, advertiser id and affiliate id (record positions are that order).
    /// A stored row the core refuses (negative amounts or an unknown currency written by
    /// other tools) is [`Error::UnexpectedStored`] naming its key.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_everflow(None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_everflow(&self, range: Option<DateRange>) -> Result<EverflowTable> {
        dispatch!(self, p => backend::cpa::load_everflow(p, range).await)
    }

    /// The Redtrack spend of `range` (every date when `None`) as the core's table, one record
    /// per day and source (without stamps), ordered by date and source id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_spend(None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_spend(&self, range: Option<DateRange>) -> Result<SpendTable> {
        dispatch!(self, p => backend::cpa::load_spend(p, range).await)
    }

    /// The mapping, rows in row-number order. Each stored row goes through the core's
    /// [`Mapping::push`] again, so targets and issues follow the core's rules; stored issues
    /// it does not re-derive (a CSV record with the wrong number of fields) are kept. For a
    /// mapping written by [`Database::replace_mapping`], entries and issues equal the ones
    /// written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_mapping().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_mapping(&self) -> Result<Mapping> {
        dispatch!(self, p => backend::cpa::load_mapping(p).await)
    }

    /// Runs the CPA merge for `range` and stores it, recorded as an `ops.runs` row of
    /// pipeline [`CPA_PIPELINE`](crate::CPA_PIPELINE) started by `actor`.
    ///
    /// 1. Loads the Everflow and Redtrack rows of `range` and the whole mapping, in one
    ///    snapshot.
    /// 2. Merges them with [`ces::cpa::merge`] under `config`, with its range set to `range`.
    /// 3. In **one transaction**: inserts the run (`running`), deletes the
    ///    `daily_performance` rows of `range`, inserts the merged rows (tagged with the run id
    ///    and the merge currency), inserts one `ops.run_events` row per finding of
    ///    [`Diagnostics::events`](ces::cpa::Diagnostics::events) (kind, level, a sentence, the
    ///    finding as JSON) and a `summary` event with the reconciled totals, and marks the
    ///    run `completed` with its output (`rows`, `totals`, `findings` per kind).
    ///
    /// Running it again over the same inputs writes the same rows (under a new run).
    /// Concurrent runs serialise (PostgreSQL: an advisory lock; SQLite: the write lock).
    ///
    /// On any failure — the merge refuses the inputs ([`Error::Merge`], e.g. an amount in
    /// another currency, naming the stored row), or a write fails — nothing of the run is
    /// kept: `daily_performance` is untouched. A separate `failed` run is recorded with the
    /// error text and one `error` event carrying the error's code, and the error is returned.
    /// A blank `actor` is [`Error::InvalidValue`] before anything is read or written.
    ///
    /// The merge is CPU work done on the calling task.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::cpa::*;
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let mapping = read_mapping_csv(include_bytes!("../../tests/fixtures/cpa/internal-affiliates.csv"), &ReadOptions::default()).unwrap();
    /// let everflow = read_everflow_json(&[include_bytes!("../../tests/fixtures/cpa/everflow-entity-table.json")], &ReadOptions::default()).unwrap();
    /// let day = Date::from_ymd_opt(2024, 12, 2).unwrap();
    /// let opts = ReadOptions { date: Some(day), ..Default::default() };
    /// let redtrack = read_redtrack_json(&[include_bytes!("../../tests/fixtures/cpa/redtrack-report.json")], &opts).unwrap();
    /// db.replace_mapping(&mapping).await?;
    /// db.upsert_everflow(&everflow).await?;
    /// db.upsert_spend(&redtrack).await?;
    ///
    /// let range = DateRange::new(day, day).unwrap();
    /// let run = db.run_cpa(range, &MergeConfig::default(), "docs").await?;
    /// assert_eq!(run.rows_written, 2);
    /// let rows = db.load_performance(Some(range)).await?;
    /// let meta = rows.iter().find(|r| r.affiliate_label == "G2 - Meta").unwrap();
    /// assert_eq!((meta.cost.to_string(), meta.cpa.unwrap().to_string()), ("7825.50".into(), "313.020000000000".into()));
    /// assert_eq!(db.run(&run.run_id).await?.status, ces_sql::RunStatus::Completed);
    /// let events = db.run_events(&run.run_id).await?;
    /// assert_eq!(events.last().unwrap().kind, "summary");
    /// # Ok(()) }
    /// ```
    pub async fn run_cpa(
        &self,
        range: DateRange,
        config: &MergeConfig,
        actor: &str,
    ) -> Result<CpaRun> {
        dispatch!(self, p => backend::cpa::run_cpa(p, range, config, actor).await)
    }

    /// The `daily_performance` rows of `range` (every date when `None`) as the core's table
    /// (through [`PerformanceTable::from_rows`]), ordered by date, advertiser id and affiliate
    /// label; amounts exactly as written, a NULL CPA as `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_performance(None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_performance(&self, range: Option<DateRange>) -> Result<PerformanceTable> {
        dispatch!(self, p => backend::cpa::load_performance(p, range).await)
    }

    /// The `ops.runs` row with this id ([`Error::NotFound`] when there is none;
    /// [`Error::InvalidValue`] when `run_id` is not a UUID).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let err = db.run("6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10").await.unwrap_err();
    /// assert_eq!(err.code(), "not_found");
    /// assert_eq!(db.run("run-1").await.unwrap_err().code(), "invalid_value");
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, run_id: &str) -> Result<RunRecord> {
        dispatch!(self, p => backend::cpa::run(p, run_id).await)
    }

    /// The `ops.runs` rows (of one `pipeline`, or all), oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.runs(Some(ces_sql::CPA_PIPELINE)).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn runs(&self, pipeline: Option<&str>) -> Result<Vec<RunRecord>> {
        dispatch!(self, p => backend::cpa::runs(p, pipeline).await)
    }

    /// The `ops.run_events` rows of a run, in the order they were written.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.run_events("6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10").await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn run_events(&self, run_id: &str) -> Result<Vec<RunEvent>> {
        dispatch!(self, p => backend::cpa::run_events(p, run_id).await)
    }

    /// Inserts or updates exposures in `ces.exposures` (SQLite: `ces_exposures`), keyed by
    /// `exposure_id`, in one transaction, and returns how many rows were inserted or changed:
    /// writing the same records twice changes nothing (`loaded_at` moves only when a field
    /// changes). Bulk: PostgreSQL sends one array per column, 10 000 rows a statement;
    /// SQLite 1 000-row multi-row `values`.
    ///
    /// Every record is checked first ([`ExposureRecord::validate`]) and a bad one is
    /// [`Error::InvalidValue`](crate::Error::InvalidValue) naming its position and field,
    /// before anything is written; an id repeated with other values is
    /// [`Error::DuplicateKey`](crate::Error::DuplicateKey) (an identical repeat is written
    /// once); on PostgreSQL text containing NUL is refused.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::attribution::Interaction;
    /// use ces_sql::{Database, ExposureRecord};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let ad = ExposureRecord {
    ///     customer_id: Some("c-1".into()),
    ///     ..ExposureRecord::new("ex-1", "spring", "social_media", Interaction::Click, 1_750_000_000_123_456)
    /// };
    /// assert_eq!(db.upsert_exposures(&[ad.clone()]).await?, 1);
    /// assert_eq!(db.upsert_exposures(&[ad.clone()]).await?, 0); // unchanged
    /// assert_eq!(db.list_exposures(None).await?, [ad]);
    /// let bad = ExposureRecord::new("ex-2", "spring", "tv", Interaction::View, 0); // no key
    /// let err = db.upsert_exposures(&[bad]).await.unwrap_err();
    /// assert_eq!((err.code(), err.row()), ("invalid_value", Some(0)));
    /// # Ok(()) }
    /// ```
    pub async fn upsert_exposures(&self, records: &[ExposureRecord]) -> Result<u64> {
        dispatch!(self, p => backend::attribution::upsert_exposures(p, records).await)
    }

    /// Inserts or updates transactions in `scout.transactions` (SQLite:
    /// `scout_transactions`), keyed by `transaction_id`, in one transaction, and returns how
    /// many rows were inserted or changed. Idempotent, validated and bulk like
    /// [`Database::upsert_exposures`]. The join fields are never written here (only
    /// [`Database::run_attribution`] writes them); a transaction whose time, keys or amount
    /// change keeps its old join fields until the next run over its range.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::cpa::Decimal;
    /// use ces_sql::{Database, TransactionRecord};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let sale = TransactionRecord {
    ///     customer_id: Some("c-1".into()),
    ///     ..TransactionRecord::new("tx-1", 1_750_000_360_000_000, Decimal::new(129_900, 2))
    /// };
    /// assert_eq!(db.upsert_transactions(&[sale.clone()]).await?, 1);
    /// let stored = db.list_transactions(None).await?;
    /// assert_eq!(stored[0].record, sale);
    /// assert!(!stored[0].link.campaign_influenced);
    /// # Ok(()) }
    /// ```
    pub async fn upsert_transactions(&self, records: &[TransactionRecord]) -> Result<u64> {
        dispatch!(self, p => backend::attribution::upsert_transactions(p, records).await)
    }

    /// The exposures with `from ≤ start_time < to` (all when `None`) as the core's table for
    /// `key`: the key column is the exposures' match key, and exposures without a value for
    /// it are left out and counted in [`Loaded::skipped`]. Rows are in ascending
    /// `exposure_id` order (bytewise), so the table does not depend on the backend or the
    /// database's collation; a NULL `asset_id` is the asset label `""`; `cost` is present
    /// when any row has one. One snapshot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::attribution::Interaction;
    /// use ces_sql::{Database, ExposureRecord, MatchKey};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// db.upsert_exposures(&[
    ///     ExposureRecord { store_id: Some("s-1".into()), ..ExposureRecord::new("ex-1", "spring", "ooh", Interaction::View, 0) },
    ///     ExposureRecord { customer_id: Some("c-1".into()), ..ExposureRecord::new("ex-2", "spring", "search", Interaction::Click, 0) },
    /// ])
    /// .await?;
    /// let by_store = db.load_exposures(MatchKey::Store, None).await?;
    /// assert_eq!((by_store.table.len(), by_store.skipped), (1, 1));
    /// # Ok(()) }
    /// ```
    pub async fn load_exposures(
        &self,
        key: MatchKey,
        range: Option<(i64, i64)>,
    ) -> Result<Loaded<ExposureTable>> {
        dispatch!(self, p => backend::attribution::load_exposures(p, key, range).await)
    }

    /// The transactions with `from ≤ transaction_time < to` (all when `None`) as the core's
    /// table for `key` (value: `total_amount`, units: `units`); transactions without a value
    /// for the key are left out and counted. Rows in ascending `transaction_id` order
    /// (bytewise). One snapshot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces_sql::{Database, MatchKey};
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let loaded = db.load_transactions(MatchKey::Customer, Some((0, 86_400_000_000))).await?;
    /// assert!(loaded.table.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_transactions(
        &self,
        key: MatchKey,
        range: Option<(i64, i64)>,
    ) -> Result<Loaded<TransactionTable>> {
        dispatch!(self, p => backend::attribution::load_transactions(p, key, range).await)
    }

    /// Every stored column of the exposures with `from ≤ start_time < to` (all when
    /// `None`), ordered by start time and id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.list_exposures(None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn list_exposures(&self, range: Option<(i64, i64)>) -> Result<Vec<ExposureRecord>> {
        dispatch!(self, p => backend::attribution::list_exposures(p, range).await)
    }

    /// Every stored column of the transactions with `from ≤ transaction_time < to` (all when
    /// `None`), join fields included, ordered by time and id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.list_transactions(None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn list_transactions(
        &self,
        range: Option<(i64, i64)>,
    ) -> Result<Vec<StoredTransaction>> {
        dispatch!(self, p => backend::attribution::list_transactions(p, range).await)
    }

    /// Attributes the transactions of `range` (`from ≤ transaction_time < to`, µs since the
    /// epoch) to the stored exposures by `key`, and stores the result, recorded as an
    /// `ops.runs` row of pipeline [`ATTRIBUTION_PIPELINE`](crate::ATTRIBUTION_PIPELINE)
    /// started by `actor`.
    ///
    /// 1. Loads, in one snapshot, the exposures with `start_time < to` (every earlier one can
    ///    still be eligible) and the transactions of the range, each with a value of `key`
    ///    (see [`Database::load_exposures`]); the range's transactions without one are noted.
    /// 2. Turns the stored `attribution_window_days` into the core's window rules (below),
    ///    keeping the window *mode* of `config.windows` (exact, or calendar days in a zone),
    ///    and runs [`ces::attribution::attribute`] with `config`'s models, `click_beats_view`
    ///    and zone, its range set to `range`.
    /// 3. In **one transaction**: inserts the run (`running`); writes the join fields of
    ///    every transaction of the range (which locks them: a transaction deleted since the
    ///    snapshot fails the run with [`Error::NotFound`](crate::Error::NotFound)); deletes the
    ///    `scout.attributions` rows of those transactions for the run's models and inserts
    ///    the new credit (every model's [`credits`](ces::attribution::Attribution::credits):
    ///    weight, `weight × total_amount`, `weight × units`, the exposure's campaign, asset
    ///    and channel, the model's family and name, `confidence` = weight; PostgreSQL:
    ///    `COPY`, in transaction and exposure id order); inserts the events
    ///    (`missing_match_key` when keys are missing, `duplicate_exposures` when the core
    ///    dropped duplicates, and a `summary`) and marks the run `completed` with its output.
    ///
    /// **Join fields.** `link_model` (one of the run's models, by name) picks each
    /// transaction's exposure: the one it credits most, ties going to the most recent (the
    /// core's recency order). An attributed transaction gets that exposure's `campaign_id`,
    /// `asset_id` and `exposure_id`, `campaign_influenced` = true and
    /// `attribution_confidence` = its weight; every other transaction of the range (no
    /// eligible exposure, or no value of the key) gets them cleared (NULL, false, NULL).
    /// Both get `attribution_model` = `link_model` and `attribution_run_id` = the run.
    /// Transactions outside the range are not touched.
    ///
    /// **Windows.** The core's windows are per (channel, interaction), overridden per
    /// (campaign, interaction); the stored ones are per exposure. The run expresses them
    /// exactly: one window for all exposures of an interaction becomes its default; otherwise
    /// each campaign whose exposures share a window gets a campaign rule (unless its
    /// channels' rules or the default already give it), and the channels of campaigns whose
    /// windows differ by channel get group rules. Two exposures of one (channel,
    /// interaction, campaign) with different windows, or campaigns that mix windows over the
    /// same channel differently, are [`Error::WindowConflict`](crate::Error::WindowConflict)
    /// naming both exposures (the run fails). `config.windows` must have no rules
    /// ([`Error::InvalidValue`](crate::Error::InvalidValue) on `windows`); its defaults are
    /// not used. The rules are in the run's input (`windows`) and in
    /// [`AttributionRun::windows`].
    ///
    /// **Re-running.** Running the same range again over the same data writes the same rows:
    /// `scout.attributions` and the join fields differ only in the run id, because every
    /// run is its own `ops.runs` row (a new UUID, as for [`Database::run_cpa`]) and the rows
    /// name the run that wrote them last. A (transaction, model, exposure) never has two
    /// rows. Concurrent runs serialise their writes (PostgreSQL: an advisory lock; SQLite:
    /// the write lock); each writes the result of the snapshot it read.
    ///
    /// **Failure.** On any failure after the arguments are checked (a window conflict, the
    /// core refusing the data ([`Error::Attribution`](crate::Error::Attribution)), a write
    /// refused by the database), nothing of the run is kept: `scout.attributions` and
    /// `scout.transactions` are untouched. A separate `failed` run is recorded with the
    /// error and one `error` event carrying its code, and the error is returned. A blank
    /// `actor`, a range that ends before it starts, window rules, a repeated model, or a
    /// `link_model` not among the models are [`Error::InvalidValue`](crate::Error::InvalidValue),
    /// and a model with invalid parameters is [`Error::Attribution`](crate::Error::Attribution),
    /// before anything is read or written (no run is recorded).
    ///
    /// The attribution is CPU work done on the calling task.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::attribution::{AttributionConfig, Interaction, Model};
    /// use ces::cpa::Decimal;
    /// use ces_sql::{Database, ExposureRecord, MatchKey, RunStatus, TransactionRecord};
    /// const H: i64 = 3_600_000_000; // an hour in µs
    /// let db = Database::connect_and_migrate("sqlite::memory:").await?;
    /// let ex = |id: &str, channel, interaction, at| ExposureRecord {
    ///     customer_id: Some("c-1".into()),
    ///     ..ExposureRecord::new(id, "spring", channel, interaction, at)
    /// };
    /// db.upsert_exposures(&[
    ///     ex("ex-1", "social_media", Interaction::View, 0),
    ///     ex("ex-2", "search", Interaction::Click, 5 * H),
    /// ])
    /// .await?;
    /// db.upsert_transactions(&[TransactionRecord {
    ///     customer_id: Some("c-1".into()),
    ///     ..TransactionRecord::new("tx-1", 6 * H, Decimal::new(10_000, 2))
    /// }])
    /// .await?;
    ///
    /// let config = AttributionConfig { models: vec![Model::LastTouch, Model::Linear], ..Default::default() };
    /// let run = db.run_attribution((0, 24 * H), MatchKey::Customer, &config, "linear", "docs").await?;
    /// assert_eq!((run.summary.attributed, run.rows_written), (1, 3));
    /// assert_eq!(db.run(&run.run_id).await?.status, RunStatus::Completed);
    ///
    /// let rows = db.load_attributions(&run.run_id).await?;
    /// let linear: Vec<_> = rows.iter().filter(|r| r.model_name == "linear").collect();
    /// assert_eq!((linear[0].weight, linear[0].attributed_revenue), (0.5, 50.0));
    /// // Linear ties: the join fields name the most recent exposure.
    /// let tx = &db.list_transactions(None).await?[0];
    /// assert_eq!((tx.link.exposure_id.as_deref(), tx.link.attribution_confidence), (Some("ex-2"), Some(0.5)));
    /// # Ok(()) }
    /// ```
    pub async fn run_attribution(
        &self,
        range: (i64, i64),
        key: MatchKey,
        config: &AttributionConfig,
        link_model: &str,
        actor: &str,
    ) -> Result<AttributionRun> {
        dispatch!(self, p => backend::attribution::run_attribution(p, range, key, config, link_model, actor).await)
    }

    /// The `scout.attributions` rows written by a run, ordered by model name, transaction id
    /// and exposure id ([`Error::InvalidValue`](crate::Error::InvalidValue) when `run_id` is
    /// not a UUID). Rows a later run replaced are gone: a run's rows are those it wrote and no
    /// later run rewrote.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_attributions("6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10").await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_attributions(&self, run_id: &str) -> Result<Vec<AttributionRecord>> {
        dispatch!(self, p => backend::attribution::load_attributions(p, run_id).await)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        dispatch!(self, p => p.close().await)
    }
}

/// Every future of the public API can be spawned on a multi-threaded runtime.
#[cfg(all(test, feature = "postgres", feature = "sqlite"))]
#[allow(dead_code, clippy::let_underscore_future)]
fn futures_are_send(
    db: &Database,
    b: &NewBrand,
    a: &NewAlias,
    pool: &sqlx::PgPool,
    resolver: &Resolver,
) {
    fn send<T: Send>(_: T) {}
    send(Database::connect(""));
    send(Database::connect_and_migrate(""));
    send(db.migrate());
    send(db.upsert_brand(b));
    send(db.upsert_brands(std::slice::from_ref(b)));
    send(db.upsert_alias(a));
    send(db.upsert_aliases(std::slice::from_ref(a)));
    send(db.list_brands());
    send(db.load_catalog(ces::brands::NormalizerSpec::default()));
    send(db.upsert_generic_words(&[]));
    send(db.upsert_drive_skus(&[]));
    send(db.list_drive_skus());
    send(db.resolve_staging_skus(resolver, "", None));
    send(db.write_resolution_log::<String>("", "", &[]));
    send(db.triage_items(None));
    send(db.accept_triage("", 0));
    send(db.reject_triage(""));
    let (ef, sp, m) = (EverflowTable::new(), SpendTable::new(), Mapping::new());
    let range = DateRange::new(ces::cpa::Date::MIN, ces::cpa::Date::MAX).unwrap();
    let config = MergeConfig::default();
    send(db.upsert_everflow(&ef));
    send(db.upsert_spend(&sp));
    send(db.replace_mapping(&m));
    send(db.load_everflow(None));
    send(db.load_spend(None));
    send(db.load_mapping());
    send(db.run_cpa(range, &config, ""));
    send(db.load_performance(None));
    send(db.run(""));
    send(db.runs(None));
    send(db.run_events(""));
    send(db.upsert_exposures(&[]));
    send(db.upsert_transactions(&[]));
    send(db.load_exposures(MatchKey::Store, None));
    send(db.load_transactions(MatchKey::Store, None));
    send(db.list_exposures(None));
    send(db.list_transactions(None));
    let attribution = AttributionConfig::default();
    send(db.run_attribution((0, 0), MatchKey::Store, &attribution, "", ""));
    send(db.load_attributions(""));
    send(db.close());
    send(crate::pg_trgm_scores(
        pool,
        &[],
        ces::trgm::Threshold::BRAND_DEFAULT,
    ));
}
