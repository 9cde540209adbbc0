//! # ces-sql — the SQL adapter of CES
//!
//! `ces-sql` puts the platform's tables into a database you already run, reads them and
//! writes them: PostgreSQL (Supabase included) or SQLite, the embedded default. It is async
//! (tokio) and built on sqlx; the computing stays in the synchronous `ces` core.
//!
//! This release covers the **brand master data** of Scout: `masterdata.brands` and
//! `masterdata.brand_aliases` (with the fix `unique (brand_id, alias)`), a small repository
//! over them, and [`pg_trgm_scores`], which asks a live PostgreSQL for everything
//! `ces::trgm` claims to reproduce.
//!
//! ## Quick start
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
//! use ces_sql::{AliasType, Database, NewAlias, NewBrand};
//!
//! let db = Database::connect("sqlite::memory:").await?; // or "postgres://…", "sqlite://ces.db"
//! db.migrate().await?; // embedded migrations; a no-op when already applied
//!
//! let apple = db
//!     .upsert_brand(&NewBrand { country: Some("US".into()), ..NewBrand::new("Apple") })
//!     .await?;
//! db.upsert_aliases(&[
//!     NewAlias::new(apple, "AAPL", AliasType::Ticker),
//!     NewAlias { confidence: 0.9, ..NewAlias::new(apple, "Aple", AliasType::Misspelling) },
//! ])
//! .await?;
//!
//! let brands = db.list_brands().await?;
//! assert_eq!(brands[0].brand_name, "Apple");
//! assert_eq!(brands[0].aliases[1].confidence, 0.9);
//! # Ok(()) }
//! ```
//!
//! ## Connecting
//!
//! [`Database::connect`] takes a URL and picks the backend from its scheme:
//!
//! | URL | backend |
//! | --- | --- |
//! | `postgres://user:password@host:5432/db?sslmode=require` (or `postgresql://`) | PostgreSQL |
//! | `sqlite://path/to/ces.db`, `sqlite:ces.db`, `sqlite:///abs/path.db` | SQLite file: created if missing, WAL journal |
//! | `sqlite::memory:` | SQLite in memory (one connection, gone when the `Database` is dropped) |
//!
//! Foreign keys are always enforced on SQLite. Errors never echo a password: URLs in
//! messages read `postgres://user:***@host/db`. To tune the pool or TLS yourself, build a
//! sqlx pool and wrap it with [`Database::from_pg_pool`] / [`Database::from_sqlite_pool`].
//!
//! **Supabase.** sqlx uses prepared statements, which Supabase's *transaction-mode* pooler
//! (port 6543) does not support. Connect directly (`db.<project>.supabase.co:5432`) or
//! through the *session-mode* pooler (port 5432 on the pooler host), with `sslmode=require`
//! and the `tls-rustls` feature.
//!
//! ## Migrations
//!
//! [`Database::migrate`] applies the SQL files of `sql-adapter/migrations/postgres/` or
//! `sql-adapter/migrations/sqlite/`, compiled into the binary (nothing is read from disk at
//! run time). Applied versions are recorded in `ops.ces_sql_migrations` (SQLite:
//! `ops_ces_sql_migrations`), not sqlx's default `_sqlx_migrations`, so the adapter can share
//! a database with an application that has its own sqlx migrations. Running them twice is
//! a no-op.
//!
//! On PostgreSQL the first migration runs `create extension if not exists pg_trgm` (no-op
//! when it exists, in whatever schema) and creates GIN trigram indexes (`gin_trgm_ops`) on
//! `brands.brand_name` and `brand_aliases.alias`. It creates only what is missing, so it can
//! run over the tables of the original Scout migrations: it then adds the missing columns
//! and the `unique (brand_id, alias)` fix, and refuses with the first duplicate named if
//! existing rows violate it.
//!
//! ## Tables
//!
//! | PostgreSQL | SQLite | key | columns |
//! | --- | --- | --- | --- |
//! | `masterdata.brands` | `masterdata_brands` | `id`; `brand_name` unique | `normalized_name`, `category`, `parent_brand`, `country`, `status` ∈ active/inactive/deprecated, `created_at`, `updated_at` |
//! | `masterdata.brand_aliases` | `masterdata_brand_aliases` | `id`; `(brand_id, alias)` unique | `brand_id` → brands (on delete cascade), `alias`, `alias_type` ([`AliasType`]), `confidence` `numeric(4,3)` in \[0, 1\] default 1, `similarity_threshold` `real` in \[0, 1\] or null, `created_at` |
//!
//! **SQLite naming rule:** SQLite has no schemas, so a PostgreSQL table `schema.table` is
//! the SQLite table `schema_table` (schema, underscore, table), with the same columns and
//! constraints (STRICT tables; timestamps as UTC RFC 3339 text, `confidence` as REAL).
//!
//! ## Writing and reading
//!
//! * [`Database::upsert_brands`] / [`Database::upsert_brand`]: keyed by `brand_name`;
//!   returns ids; repeating a call changes nothing (`updated_at` moves only when a field
//!   changes).
//! * [`Database::upsert_aliases`] / [`Database::upsert_alias`]: keyed by
//!   `(brand_id, alias)`.
//! * [`Database::list_brands`]: every brand with its aliases, ordered by id.
//!
//! Each call is one transaction. Inputs are validated before anything is written, and a
//! database error midway rolls the whole batch back: a batch is written entirely or not at
//! all.
//!
//! ## Errors
//!
//! Every fallible call returns [`Error`], a `#[non_exhaustive]` enum whose variants name the
//! batch row, the field and the offending value, with a stable machine code
//! ([`Error::code`]):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
//! use ces_sql::{AliasType, Database, NewAlias, NewBrand};
//! let db = Database::connect_and_migrate("sqlite::memory:").await?;
//! let nike = db.upsert_brand(&NewBrand::new("Nike")).await?;
//! let err = db
//!     .upsert_aliases(&[
//!         NewAlias::new(nike, "NIKE", AliasType::Uppercase),
//!         NewAlias::new(nike + 100, "Nikey", AliasType::Misspelling),
//!     ])
//!     .await
//!     .unwrap_err();
//! assert_eq!(err.code(), "unknown_brand");
//! assert_eq!(err.to_string(), format!("row 1: unknown `brand_id`: {} (no such brand in masterdata_brands)", nike + 100));
//! assert!(db.list_brands().await?[0].aliases.is_empty()); // row 0 was rolled back
//! # Ok(()) }
//! ```
//!
//! ## pg_trgm parity
//!
//! [`pg_trgm_scores`] sends any number of pairs in one query and returns the server's
//! `similarity`, `<->`, `word_similarity`, `strict_word_similarity` (both orders, exact
//! `f32`), `show_trgm` and the five threshold operators. The test suite uses it to prove
//! `ces::trgm` bit for bit against the running server and the committed golden file.
//!
//! ## Features
//!
//! Additive; none is on by default.
//!
//! * `postgres`: the PostgreSQL backend and [`pg_trgm_scores`].
//! * `sqlite`: the SQLite backend (SQLite is compiled in, bundled).
//! * `tls-rustls`: TLS for PostgreSQL (rustls, webpki roots), for `sslmode=require`.
//!
//! A URL whose backend is not compiled in fails with [`Error::BackendDisabled`].

// The manual links to items of both backends; docs are built with all features (docs.rs
// metadata), a build without them would only lose links.
#![cfg_attr(
    not(all(feature = "postgres", feature = "sqlite")),
    allow(rustdoc::broken_intra_doc_links)
)]

mod db;
mod error;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod migrations;
mod model;
#[cfg(feature = "postgres")]
mod parity;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod repo;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use db::Database;
pub use error::{Backend, Error, Result, Row};
pub use model::{AliasType, Brand, BrandAlias, BrandStatus, NewAlias, NewBrand};
#[cfg(feature = "postgres")]
pub use parity::{PgTrgmRow, pg_trgm_scores};
/// The sqlx version this crate is built on, for pools passed to [`Database::from_pg_pool`]
/// and friends.
pub use sqlx;
/// UTC instants in [`Brand`] and [`BrandAlias`].
pub use sqlx::types::time::OffsetDateTime;
