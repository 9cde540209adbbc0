//! [`Database`]: one handle over either backend.

// Without a backend no `Database` can exist, and the methods' arguments go unused.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(unused_variables)
)]

use crate::error::{Backend, Error, Result, redact_url};
use crate::model::{Brand, NewAlias, NewBrand};

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

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        dispatch!(self, p => p.close().await)
    }
}

/// Every future of the public API can be spawned on a multi-threaded runtime.
#[cfg(all(test, feature = "postgres", feature = "sqlite"))]
#[allow(dead_code, clippy::let_underscore_future)]
fn futures_are_send(db: &Database, b: &NewBrand, a: &NewAlias, pool: &sqlx::PgPool) {
    fn send<T: Send>(_: T) {}
    send(Database::connect(""));
    send(Database::connect_and_migrate(""));
    send(db.migrate());
    send(db.upsert_brand(b));
    send(db.upsert_brands(std::slice::from_ref(b)));
    send(db.upsert_alias(a));
    send(db.upsert_aliases(std::slice::from_ref(a)));
    send(db.list_brands());
    send(db.close());
    send(crate::pg_trgm_scores(
        pool,
        &[],
        ces::trgm::Threshold::BRAND_DEFAULT,
    ));
}
