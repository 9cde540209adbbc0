//! # ces-sql — the SQL adapter of CES
//!
//! `ces-sql` puts the platform's tables into a database you already run, reads them and
//! writes them: PostgreSQL (Supabase included) or SQLite, the embedded default. It is async
//! (tokio) and built on sqlx; the computing stays in the synchronous `ces` core.
//!
//! This release covers the **brand master data** of Scout: `masterdata.brands` and
//! `masterdata.brand_aliases` (with the fix `unique (brand_id, alias)`), a small repository
//! over them, [`pg_trgm_scores`], which asks a live PostgreSQL for everything `ces::trgm`
//! claims to reproduce, and **brand resolution in the database** (see
//! [Brand resolution](#brand-resolution)): the `ces` catalog loaded from the master tables,
//! staging rows resolved in one transaction, an audit log, a triage queue of unknown brands
//! and two diagnostics views. It also holds the **CPA merge** (see [CPA tables](#cpa-tables)):
//! Everflow daily stats, Redtrack spend and the internal-affiliate mapping stored and loaded as
//! the `ces::cpa` tables, merged into `daily_performance` by recorded runs (`ops.runs`,
//! `ops.run_events`), with dates as dates and money exact. And **exposure-window attribution**
//! (see [Attribution tables](#attribution-tables)): exposures and retail transactions stored
//! and loaded as the `ces::attribution` tables, attributed by recorded runs into
//! `scout.attributions`, with the transactions' join fields filled.
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
//! | `masterdata.brands` | `masterdata_brands` | `id`; `brand_name` unique | `normalized_name`, `category`, `parent_brand`, `country`, `status` ∈ active/inactive/deprecated, `similarity_threshold` `real` in \[0, 1\] or null (per-brand override), `created_at`, `updated_at` |
//! | `masterdata.brand_aliases` | `masterdata_brand_aliases` | `id`; `(brand_id, alias)` unique | `brand_id` → brands (on delete cascade), `alias`, `alias_type` ([`AliasType`]), `confidence` `numeric(4,3)` in \[0, 1\] default 1, `similarity_threshold` `real` in \[0, 1\] or null, `created_at` |
//! | `masterdata.generic_words` | `masterdata_generic_words` | `word` | `created_at` |
//! | `staging.drive_skus` | `staging_drive_skus` | `sku` | raw: `brand` (never rewritten), `product_name`, `category`, `price` `numeric(12,2)`; resolution: `resolved_brand_id` → brands, `resolution_status` ∈ resolved/ambiguous/unresolved, `resolution_score` `real`, `resolved_at`, `resolution_run_id`; `created_at` |
//! | `ops.brand_resolution_log` | `ops_brand_resolution_log` | `id`; `(run_id, source_table, source_row_id)` unique | `original_brand`, `normalized_input`, `quantities` jsonb, `resolved_brand_id`/`_name`, `matched_text`, `method` ∈ exact/alias/fuzzy/none, `confidence` `real` (the score), `runner_up_brand_id`/`_name`/`_score`, `margin`, `status` ∈ resolved/ambiguous/unresolved, `threshold` double, `reason`, `shared_trigrams`/`missing_trigrams` `text[]`, `candidates` jsonb, `resolver_version`, `catalog_fingerprint`, `created_at` |
//! | `ops.brand_triage` | `ops_brand_triage` | `normalized` | `occurrences`, `first_seen`, `last_seen`, `samples` jsonb, `suggestions` jsonb, `last_status` ∈ unresolved/ambiguous, `status` ∈ open/mapped/ignored (default open), `mapped_brand_id` → brands, `mapped_alias_id` → aliases, `created_at`, `updated_at` |
//!
//! | View | SQLite | rows | columns |
//! | --- | --- | --- | --- |
//! | `ops.v_brand_resolution_metrics` | `ops_v_brand_resolution_metrics` | one per UTC day and method | `day`, `method`, `attempts`, `resolved`, `failed` (= unresolved), `ambiguous`, `mean_confidence` (over attempts with a score) |
//! | `ops.v_unknown_brands_daily` | `ops_v_unknown_brands_daily` | one per UTC day and normalised input that did not resolve | `day`, `normalized_input`, `attempts`, `unresolved`, `ambiguous`, `distinct_inputs`, `sample_input`, `triage_status`, `mapped_brand_id` (aggregated first, then joined to the triage queue one-to-one: no fan-out) |
//!
//! Both views exist on both backends. The pipeline-gap view of the original (stale, error,
//! empty, healthy) is not built yet; `ops.runs` (migration 0003, see
//! [CPA tables](#cpa-tables)) now records the runs it would read.
//!
//! **SQLite naming rule:** SQLite has no schemas, so a PostgreSQL table `schema.table` is
//! the SQLite table `schema_table` (schema, underscore, table), with the same columns and
//! constraints (STRICT tables; timestamps as UTC RFC 3339 text, `confidence` and `price` as
//! REAL, `jsonb` and `text[]` columns as text holding a JSON array, checked by
//! `json_valid`).
//!
//! Migration 0002 (resolution) is idempotent on PostgreSQL like 0001: over a
//! `staging.drive_skus` left by the original Scout migrations it only adds the missing
//! resolution columns.
//!
//! ## Writing and reading
//!
//! * [`Database::upsert_brands`] / [`Database::upsert_brand`]: keyed by `brand_name`;
//!   returns ids; repeating a call changes nothing (`updated_at` moves only when a field
//!   changes).
//! * [`Database::upsert_aliases`] / [`Database::upsert_alias`]: keyed by
//!   `(brand_id, alias)`.
//! * [`Database::list_brands`]: every brand with its aliases, ordered by id.
//! * [`Database::upsert_generic_words`], [`Database::upsert_drive_skus`],
//!   [`Database::list_drive_skus`]: generic words and staging rows.
//! * [`Database::load_catalog`], [`Database::resolve_staging_skus`],
//!   [`Database::write_resolution_log`], [`Database::triage_items`],
//!   [`Database::accept_triage`], [`Database::reject_triage`]: see
//!   [Brand resolution](#brand-resolution).
//! * [`Database::upsert_everflow`], [`Database::upsert_spend`],
//!   [`Database::replace_mapping`], the loaders, [`Database::run_cpa`],
//!   [`Database::load_performance`] and the run records: see [CPA tables](#cpa-tables).
//! * [`Database::upsert_exposures`], [`Database::upsert_transactions`], the loaders,
//!   [`Database::run_attribution`] and [`Database::load_attributions`]: see
//!   [Attribution tables](#attribution-tables).
//!
//! Each call is one transaction. Inputs are validated before anything is written, and a
//! database error midway rolls the whole batch back: a batch is written entirely or not at
//! all.
//!
//! ## Errors
//!
//! Every fallible call returns [`Error`], a `#[non_exhaustive]` enum whose variants name the
//! batch row (or the key of a stored row), the field and the offending value, with a stable
//! machine code ([`Error::code`]; the full list is [`Error::CODES`]). Resolution adds
//! `not_found` (a triage item that is not queued) and `stale_catalog` (a decision naming a
//! brand deleted since the catalog was loaded, with the first SKU concerned); the CPA tables
//! add `duplicate_key` (two records of a batch with one key and different values) and
//! `merge_failed` (the core refused a run's inputs; [`Error::Merge`] carries its error and
//! the stored row concerned); attribution adds `window_conflict` (stored windows the core's
//! rules cannot express, naming two exposures) and `attribution_failed` (the core refused a
//! run, [`Error::Attribution`]):
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
//! ## Brand resolution
//!
//! The resolver is the `ces` core's ([`ces::brands::Resolver`]); this crate feeds it from
//! the database and writes its decisions back:
//!
//! 1. [`Database::load_catalog`] reads the active brands, their aliases and the generic
//!    words into a [`ces::brands::CatalogSpec`] (database ids kept, thresholds included);
//!    build a `Catalog` and a `Resolver` from it.
//! 2. Raw rows arrive in `staging.drive_skus` (your pipeline, or
//!    [`Database::upsert_drive_skus`]).
//! 3. [`Database::resolve_staging_skus`] resolves, in one transaction, every row the given
//!    `run_id` has not resolved yet, and writes the log, the triage queue and the staging
//!    resolution columns. It returns a [`ResolutionSummary`].
//! 4. People work the queue: [`Database::triage_items`], [`Database::accept_triage`] (creates
//!    the alias, marks the item mapped), [`Database::reject_triage`] (ignored). Reload the
//!    catalog to resolve with the new aliases.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
//! use std::sync::Arc;
//! use ces::brands::{Catalog, NormalizerSpec, Resolver, ResolverConfig, Status, TriageStatus};
//! use ces_sql::{Database, DriveSku, NewBrand};
//!
//! let db = Database::connect_and_migrate("sqlite::memory:").await?;
//! let kopiko = db.upsert_brand(&NewBrand::new("Kopiko")).await?;
//! db.upsert_drive_skus(&[DriveSku::new("SKU-1", "KOPIKO"), DriveSku::new("SKU-2", "Kopico")])
//!     .await?;
//!
//! let load = || async {
//!     let spec = db.load_catalog(NormalizerSpec::default()).await?;
//!     let catalog = Arc::new(Catalog::new(spec).expect("valid catalog"));
//!     Ok::<_, ces_sql::Error>(Resolver::new(catalog, ResolverConfig::default()).expect("valid config"))
//! };
//! let summary = db.resolve_staging_skus(&load().await?, "2025-06-01", None).await?;
//! assert_eq!((summary.resolved, summary.unresolved), (1, 1));
//!
//! // "Kopico" waits in the triage queue, with Kopiko as its best suggestion.
//! let open = db.triage_items(Some(TriageStatus::Open)).await?;
//! assert_eq!((open[0].normalized.as_str(), open[0].suggestions[0].brand_id), ("kopico", kopiko));
//! db.accept_triage("kopico", kopiko).await?; // alias "kopico" → Kopiko
//!
//! // A new run with the reloaded catalog resolves it.
//! db.resolve_staging_skus(&load().await?, "2025-06-02", None).await?;
//! let rows = db.list_drive_skus().await?;
//! assert_eq!((rows[1].brand.as_deref(), rows[1].resolution_status), (Some("Kopico"), Some(Status::Resolved)));
//! # Ok(()) }
//! ```
//!
//! **Runs.** A run is named by its `run_id` (any non-blank text: a date, a UUID, an
//! `ops.runs` id). A call resolves the rows whose `resolution_run_id` is null or another
//! run's, so running the same `run_id` again reads no row and writes nothing, while a new
//! `run_id` re-resolves every row (after a catalog change) and logs every row again. A row
//! whose raw `brand` changes through [`Database::upsert_drive_skus`] has its resolution
//! cleared, so the next call resolves it, even under the same `run_id` (the log then keeps
//! that run's first attempt for it: one log row per run and row).
//!
//! **What is written.** The raw `brand` is never written (a failed resolution leaves it as
//! it was; the original trigger overwrote it with NULL). `resolved_brand_id` is set only for
//! `resolved` rows; an `ambiguous` row keeps the leading brand in the log, not in staging.
//! The log gets one row per attempt with everything the decision said (normalised input,
//! quantities, method, score, runner-up and margin, threshold, reason, trigram explanation,
//! candidates, resolver version and catalog fingerprint). The triage queue counts every
//! unresolved or ambiguous attempt by normalised form (occurrences, first and last seen, up
//! to three raw samples, the five best suggestions, one per brand); `ignored` and `mapped`
//! items keep their status when seen again.
//!
//! **Atomicity.** Log, triage and staging are written in one transaction, in that order,
//! after reading (and locking) the staging rows in the same transaction. Any failure rolls
//! all of it back. The bulk writes are single statements per chunk: PostgreSQL sends one
//! array per column (`insert … select from unnest($1::text[], …)`, `update … from
//! unnest(…)`, 10 000 rows a statement); SQLite uses multi-row `values` (500 rows a
//! statement). [`Database::write_resolution_log`] is the log writer on its own, for
//! decisions about other sources; it is idempotent through the same unique key.
//!
//! ## CPA tables
//!
//! Migration 0003 creates the tables of the CPA merge (the `ces::cpa` module of the core,
//! see its docs for the merge rules):
//!
//! | PostgreSQL | SQLite | key | columns |
//! | --- | --- | --- | --- |
//! | `everflow.daily_stats` | `everflow_daily_stats` | `(date, affiliate_id, advertiser_id)` | `date` `date`, `affiliate_label`, `advertiser_label`, `clicks`, `conversions` (`bigint` ≥ 0), `revenue`, `payout` (`numeric` ≥ 0), `profit` (`numeric`), `currency` `char(3)`, `loaded_at` |
//! | `redtrack.daily_spend` | `redtrack_daily_spend` | `(date, source_id)` | `source_name`, `source_alias`, `clicks`, `conversions`, `cost` `numeric` ≥ 0, `currency`, `loaded_at` |
//! | `affiliate_mapping` | `affiliate_mapping` | `row_number` | `location` (`line 7`); the CSV's seven cells raw, the dotted header with `_` (`redtrack_source`, `redtrack_source_alias`, `redtrack_source_id`, `everflow_affiliate_id`, `everflow_affiliate_label`, `everflow_advertiser_id`, `everflow_advertiser_label`); the parsed target, NULL when the row is unusable (`source_id`, `affiliate_label`, `advertiser_id`, `advertiser_label`); `issues` jsonb (the core's row issues); `loaded_at` |
//! | `daily_performance` | `daily_performance` | `(date, advertiser_id, affiliate_label)` | every field of [`ces::cpa::PerformanceRow`]: `advertiser_label`, `is_internal`, `everflow_clicks`, `conversions`, `everflow_revenue`, `everflow_payout`, `redtrack_cost`, `redtrack_clicks`, `cost` (money `numeric`), `cpa` `numeric`, NULL exactly when `conversions` = 0 (checked), `everflow_rows`, `spend_rows`; `currency` (the merge's); `run_id` → `ops.runs` |
//! | `ops.runs` | `ops_runs` | `id` `uuid` (generated) | `pipeline`, `status` ∈ queued/running/completed/failed/cancelled ([`RunStatus`]), `actor`, `input` and `output` jsonb, `started_at`, `finished_at`, `error`, `created_at` |
//! | `ops.run_events` | `ops_run_events` | `id` | `run_id` → runs (on delete cascade), `level` ∈ debug/info/warning/error ([`EventLevel`]), `kind`, `message`, `data` jsonb, `created_at` |
//!
//! `affiliate_mapping` and `daily_performance` are in PostgreSQL's `public` schema, so plain
//! names work. On Supabase, `public` tables are reachable through its API: enable row-level
//! security on them (or revoke access from `anon`/`authenticated`) if they must not be.
//!
//! **Dates and money.** Dates are `date` in PostgreSQL and `YYYY-MM-DD` text in SQLite
//! (checked, so they sort and compare as dates); range arguments are inclusive. Money is
//! `numeric` without a fixed scale in PostgreSQL and TEXT in SQLite (checked to be a plain
//! decimal; never REAL). Amounts travel as the exact decimal text of the core's `Decimal` and
//! come back the same: `7825.50` stays `7825.50`, `0.30000000000000004` stays
//! `0.30000000000000004`, `0.00` stays `0.00` (sqlx's binary `numeric` conversion would make
//! it `0`, which is why this crate does not use it).
//!
//! **Writing inputs.** [`Database::upsert_everflow`] and [`Database::upsert_spend`] upsert the
//! accepted records of the core's tables (from its readers, or built row by row) in one
//! transaction, and return how many rows were inserted or changed: writing the same table
//! twice changes nothing. A Redtrack table is summed per day and source first (records
//! stamped with different instants of one day add up). [`Database::replace_mapping`]
//! replaces the mapping whole. Bad records are refused before anything is written, named by
//! their input position: an Everflow record without `affiliate_id` ([`Error::InvalidValue`]),
//! two records with one key and different values ([`Error::DuplicateKey`]).
//!
//! **Loading.** [`Database::load_everflow`], [`Database::load_spend`] and
//! [`Database::load_mapping`] give the core's tables back (a range, or everything), ready for
//! [`ces::cpa::merge`]; [`Database::load_performance`] gives the merged rows back as a
//! [`ces::cpa::PerformanceTable`] for the core's reports (`summarize`, `leaderboard`).
//!
//! **Runs.** [`Database::run_cpa`] loads a range, merges it and writes, in one transaction,
//! the run, the range's `daily_performance` rows (replacing the old ones) and one event per
//! finding of the merge's diagnostics (unmapped spend with its amount, unused or unusable
//! mapping rows, days with conversions but no spend, …) plus a `summary` event with the
//! reconciled totals. A failure rolls all of it back and is recorded as a `failed` run with
//! its error. [`Database::run`], [`Database::runs`] and [`Database::run_events`] read the
//! records back.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
//! use ces::cpa::*;
//! use ces_sql::{Database, EventLevel, RunStatus};
//!
//! let db = Database::connect_and_migrate("sqlite::memory:").await?;
//! let mapping = read_mapping_csv(
//!     b"redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n\
//!       Facebook CCW,facebook,s1,1,G2 - Meta,1,CCW\n",
//!     &ReadOptions::default(),
//! )
//! .unwrap();
//! let day = Date::from_ymd_opt(2025, 12, 17).unwrap();
//! let mut everflow = EverflowTable::new();
//! everflow
//!     .push(EverflowRow {
//!         date: day, affiliate_id: Some(7), affiliate_label: "G2 - Meta", advertiser_id: 1,
//!         advertiser_label: "CCW", clicks: 1523, conversions: 25, revenue: "2500.00".parse().unwrap(),
//!         payout: "1875.00".parse().unwrap(), profit: None, currency: None,
//!     })
//!     .unwrap();
//! let mut spend = SpendTable::new();
//! for (source_id, cost) in [("s1", "7825.50"), ("s9", "210.72")] {
//!     spend
//!         .push(SpendRow {
//!             date: day, stamp: None, source_id, source_name: source_id, source_alias: None,
//!             clicks: 10, conversions: 0, cost: cost.parse().unwrap(), currency: None,
//!         })
//!         .unwrap();
//! }
//! db.replace_mapping(&mapping).await?;
//! db.upsert_everflow(&everflow).await?;
//! db.upsert_spend(&spend).await?;
//!
//! let run = db.run_cpa(DateRange::new(day, day).unwrap(), &MergeConfig::default(), "nightly").await?;
//! let rows = db.load_performance(None).await?;
//! let row = rows.get(0);
//! assert_eq!((row.affiliate_label, row.is_internal), ("G2 - Meta", true));
//! assert_eq!((row.cost.to_string(), row.cpa.unwrap().to_string()), ("7825.50".into(), "313.020000000000".into()));
//!
//! assert_eq!(db.run(&run.run_id).await?.status, RunStatus::Completed);
//! let events = db.run_events(&run.run_id).await?;
//! let unmapped = events.iter().find(|e| e.kind == "unmapped_spend").unwrap();
//! assert_eq!((unmapped.level, &unmapped.data["cost"]), (EventLevel::Warning, &serde_json::json!("210.72")));
//! # Ok(()) }
//! ```
//!
//! ## Attribution tables
//!
//! Migration 0004 creates the tables of exposure-window attribution (the `ces::attribution`
//! module of the core; see its docs and `docs/attribution.md` for the semantics):
//!
//! | PostgreSQL | SQLite | key | columns |
//! | --- | --- | --- | --- |
//! | `ces.exposures` | `ces_exposures` | `exposure_id` | `campaign_id`, `asset_id`, `channel`, `interaction` ∈ view/engaged_view/click, `placement`, `platform`, `start_time`, `end_time` (NULL: a point exposure or a flight still running; ≥ `start_time`), the match keys `customer_id`, `household_id`, `store_id`, `geography_id` (at least one; aggregate flights carry a store or a region), `impressions`, `reach`, `frequency`, `attribution_window_days` (0–3650, default 7), `cost` `numeric` ≥ 0, `loaded_at` |
//! | `scout.transactions` | `scout_transactions` | `transaction_id` | the match keys, `transaction_time`, `total_amount` and `units` (`numeric` ≥ 0), `currency` `char(3)`, `items` jsonb array; the join fields `campaign_id`, `asset_id`, `exposure_id`, `campaign_influenced`, `attribution_confidence` (0–1), `attribution_model`, `attribution_run_id`; `loaded_at` |
//! | `scout.attributions` | `scout_attributions` | `(run_id, model_name, transaction_id, exposure_id)`; `(transaction_id, model_name, exposure_id)` unique | `campaign_id`, `asset_id`, `channel` (the exposure's), `model` (family: first_touch, last_touch, linear, time_decay, position_based, data_driven, custom), `model_name` (the core's exact name), `weight` double in \[0, 1\], `attributed_revenue`, `attributed_units` (`numeric`), `confidence` |
//!
//! Indexes serve a run's reads: `(start_time, exposure_id)` and `(transaction_time,
//! transaction_id)`, and each match key with its time (partial, where the key is set).
//!
//! **Types.** PostgreSQL times are `timestamptz`; SQLite stores INTEGER microseconds since
//! 1970-01-01T00:00:00Z (exact, and compared as numbers). The API speaks the core's unit,
//! microseconds since the epoch (UTC), and every instant round-trips to the microsecond on both
//! backends, between 0001-01-01 and 9999-12-31 ([`STORABLE_TIMES`]). Input money and units are
//! exact decimals (`numeric`; SQLite TEXT) and travel as [`ces::cpa::Decimal`]; the credit is
//! the core's `f64`, stored as the shortest decimal that reads back as the same number
//! (PostgreSQL `numeric`, SQLite REAL). Ids, keys and labels are `text collate "C"` on
//! PostgreSQL: they sort bytewise, as the core orders recency ties, as SQLite does. Run ids
//! name `ops.runs` rows without a foreign key; the credit follows its transaction (deleted,
//! truncated or renamed with it) through a foreign key on SQLite and triggers on PostgreSQL.
//!
//! **Writing and loading.** [`Database::upsert_exposures`] and
//! [`Database::upsert_transactions`] validate every record first (a bad one is named by its
//! position and field) and upsert in bulk (PostgreSQL: one array per column, 10 000 rows a
//! statement; SQLite: 1 000-row `values`); repeating a batch changes nothing.
//! [`Database::load_exposures`] and [`Database::load_transactions`] build the core's tables
//! for a [`MatchKey`], leaving out (and counting) rows without that key;
//! [`Database::list_exposures`] and [`Database::list_transactions`] give every stored column
//! back.
//!
//! **Runs.** [`Database::run_attribution`] attributes the transactions of a range (`from ≤
//! time < to`) to every exposure before `to`, under the configuration's models, and writes in
//! one transaction the run, the credit (PostgreSQL: `COPY`), the join fields of every
//! transaction of the range (from a *link model*: its most credited exposure) and the run's
//! events. The stored `attribution_window_days` become the core's window rules exactly, or the
//! run fails naming the two exposures whose windows cannot both hold. Re-running a range
//! rewrites the same rows under the new run id; a failure rolls everything back and records a
//! `failed` run.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
//! use ces::attribution::{AttributionConfig, Interaction, Model};
//! use ces::cpa::Decimal;
//! use ces_sql::{Database, ExposureRecord, MatchKey, TransactionRecord};
//! const DAY: i64 = 86_400_000_000; // µs
//! let db = Database::connect_and_migrate("sqlite::memory:").await?;
//! // A billboard flight at store 7 for a week, and a sale there two days after it ended.
//! db.upsert_exposures(&[ExposureRecord {
//!     store_id: Some("store-7".into()),
//!     end_time: Some(7 * DAY),
//!     attribution_window_days: 3,
//!     ..ExposureRecord::new("ooh-1", "launch", "ooh", Interaction::View, 0)
//! }])
//! .await?;
//! db.upsert_transactions(&[TransactionRecord {
//!     store_id: Some("store-7".into()),
//!     ..TransactionRecord::new("tx-1", 9 * DAY, Decimal::new(2_500, 2))
//! }])
//! .await?;
//! let config = AttributionConfig { models: vec![Model::LastTouch], ..Default::default() };
//! let run = db.run_attribution((0, 30 * DAY), MatchKey::Store, &config, "last_touch", "nightly").await?;
//! assert_eq!(run.linked, 1);
//! let credit = db.load_attributions(&run.run_id).await?;
//! assert_eq!((credit[0].exposure_id.as_str(), credit[0].attributed_revenue), ("ooh-1", 25.0));
//! let tx = &db.list_transactions(None).await?[0];
//! assert_eq!((tx.link.campaign_id.as_deref(), tx.link.campaign_influenced), (Some("launch"), true));
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

mod attribution;
mod cpa;
mod db;
mod error;
mod experiments;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod migrations;
mod model;
#[cfg(feature = "postgres")]
mod parity;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod repo;
mod resolution;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use attribution::{
    ATTRIBUTION_PIPELINE, AttributionRecord, AttributionRun, ExposureRecord, Loaded, MatchKey,
    STORABLE_TIMES, StoredTransaction, TransactionLink, TransactionRecord,
};
pub use cpa::{CPA_PIPELINE, CpaRun, EventLevel, RunEvent, RunRecord, RunStatus};
pub use db::Database;
pub use error::{Backend, Error, Result, Row};
pub use experiments::{EXPERIMENT_DEFINITION_PIPELINE, EXPERIMENT_RESULTS_PIPELINE};
pub use model::{AliasType, Brand, BrandAlias, BrandStatus, NewAlias, NewBrand};
#[cfg(feature = "postgres")]
pub use parity::{PgTrgmRow, pg_trgm_scores};
pub use resolution::{DriveSku, ResolutionSummary, StagedSku, TriageRecord};
/// The sqlx version this crate is built on, for pools passed to [`Database::from_pg_pool`]
/// and friends.
pub use sqlx;
/// UTC instants in [`Brand`] and [`BrandAlias`].
pub use sqlx::types::time::OffsetDateTime;
