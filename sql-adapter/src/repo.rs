//! The repository code both backends share, generated per backend from its SQL.

use sqlx::error::ErrorKind;

use crate::error::{Error, Row};

/// Maps a driver error raised while writing `row` of `table` to a typed error.
pub(crate) fn write_error(
    e: sqlx::Error,
    operation: &'static str,
    row: Row,
    table: &'static str,
    brands_table: &'static str,
    brand_id: Option<i64>,
) -> Error {
    let sqlx::Error::Database(db) = &e else {
        return Error::Database {
            operation,
            source: e,
        };
    };
    match (db.kind(), brand_id) {
        (ErrorKind::ForeignKeyViolation, Some(brand_id)) => Error::UnknownBrand {
            row,
            brand_id,
            table: brands_table,
        },
        (ErrorKind::Other, _) => Error::Database {
            operation,
            source: e,
        },
        _ => {
            // PostgreSQL names the constraint; SQLite writes it (or the columns) into the
            // message: "CHECK constraint failed: name", "UNIQUE constraint failed: t.a, t.b".
            let constraint = db
                .constraint()
                .map(str::to_owned)
                .or_else(|| {
                    db.message()
                        .split_once("failed: ")
                        .map(|(_, c)| c.to_owned())
                })
                .unwrap_or_else(|| db.message().to_owned());
            Error::ConstraintViolation {
                row,
                table,
                field: constraint_field(&constraint),
                constraint,
                message: message_with_detail(db.as_ref()),
            }
        }
    }
}

/// The database's message, with PostgreSQL's detail ("Failing row contains (…)") when there
/// is one, so the offending values are named.
fn message_with_detail(db: &dyn sqlx::error::DatabaseError) -> String {
    #[cfg(feature = "postgres")]
    if let Some(detail) = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|e| e.detail())
    {
        return format!("{}; {detail}", db.message());
    }
    db.message().to_owned()
}

/// The field a constraint of the adapter's tables guards.
fn constraint_field(constraint: &str) -> Option<&'static str> {
    Some(match constraint {
        "brands_brand_name_key" | "brands_brand_name_check" => "brand_name",
        "brands_status_check" => "status",
        "brands_similarity_threshold_check" => "similarity_threshold",
        "brand_aliases_alias_check" => "alias",
        "brand_aliases_alias_type_check" => "alias_type",
        "brand_aliases_confidence_check" => "confidence",
        "brand_aliases_similarity_threshold_check" => "similarity_threshold",
        "brand_aliases_brand_id_fkey" => "brand_id",
        "generic_words_pkey" | "generic_words_word_check" => "word",
        "drive_skus_pkey" => "sku",
        "drive_skus_resolved_brand_id_fkey" => "resolved_brand_id",
        "drive_skus_resolution_status_check" => "resolution_status",
        "drive_skus_resolution_score_check" => "resolution_score",
        "brand_resolution_log_method_check" => "method",
        "brand_resolution_log_status_check" => "status",
        "brand_resolution_log_confidence_check" => "confidence",
        "brand_resolution_log_run_source_key" => "source_row_id",
        "brand_triage_pkey" | "brand_triage_normalized_check" => "normalized",
        "brand_triage_status_check" => "status",
        "brand_triage_last_status_check" => "last_status",
        "brand_triage_mapped_brand_id_fkey" => "mapped_brand_id",
        "brand_triage_mapped_alias_id_fkey" => "mapped_alias_id",
        "runs_pipeline_check" => "pipeline",
        "runs_status_check" => "status",
        "runs_input_check" => "input",
        "runs_output_check" => "output",
        "runs_finished_at_check" => "finished_at",
        "run_events_run_id_fkey" | "daily_performance_run_id_fkey" => "run_id",
        "run_events_level_check" => "level",
        "run_events_kind_check" => "kind",
        "run_events_data_check" => "data",
        "daily_stats_date_check" | "daily_spend_date_check" | "daily_performance_date_check" => {
            "date"
        }
        "daily_stats_affiliate_label_check" => "affiliate_label",
        "daily_stats_clicks_check" | "daily_spend_clicks_check" => "clicks",
        "daily_stats_conversions_check"
        | "daily_spend_conversions_check"
        | "daily_performance_conversions_check" => "conversions",
        "daily_stats_revenue_check" => "revenue",
        "daily_stats_payout_check" => "payout",
        "daily_stats_profit_check" => "profit",
        "daily_stats_currency_check"
        | "daily_spend_currency_check"
        | "daily_performance_currency_check" => "currency",
        "daily_spend_source_id_check" => "source_id",
        "daily_spend_cost_check" | "daily_performance_cost_check" => "cost",
        "affiliate_mapping_pkey" | "affiliate_mapping_row_number_check" => "row_number",
        "affiliate_mapping_target_check" => "source_id",
        "affiliate_mapping_issues_check" => "issues",
        "daily_performance_cpa_check" | "daily_performance_cpa_format_check" => "cpa",
        "daily_performance_everflow_clicks_check" => "everflow_clicks",
        "daily_performance_redtrack_clicks_check" => "redtrack_clicks",
        "daily_performance_everflow_revenue_check" => "everflow_revenue",
        "daily_performance_everflow_payout_check" => "everflow_payout",
        "daily_performance_redtrack_cost_check" => "redtrack_cost",
        "daily_performance_everflow_rows_check" => "everflow_rows",
        "daily_performance_spend_rows_check" => "spend_rows",
        "daily_performance_is_internal_check" => "is_internal",
        _ => return None,
    })
}

/// `Error::Database` for `operation`.
pub(crate) fn db_error(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Database { operation, source }
}

/// Generates `upsert_brands`, `upsert_aliases` and `list_brands` for one backend.
///
/// The invoking module provides `BRANDS`/`ALIASES` (table names), `UPSERT_BRAND`,
/// `UPSERT_ALIAS` and `LIST_BRANDS` (SQL), and `begin_write(pool)`.
macro_rules! repository {
    ($DB:ty) => {
        use sqlx::Row as _;
        use $crate::error::{Error, Result, Row};
        use $crate::model::{Brand, BrandAlias, NewAlias, NewBrand};
        use $crate::repo::{db_error, write_error};

        /// Applies the embedded migrations on one connection of `pool`.
        pub(crate) async fn migrate(pool: &sqlx::Pool<$DB>) -> Result<()> {
            let fail = |source| Error::Migrate {
                backend: BACKEND,
                source,
            };
            let mut conn = pool.acquire().await.map_err(|e| fail(e.into()))?;
            // `run_direct` is sqlx's documented way around `Migrator::run`'s future not
            // being `Send` ("implementation of `Acquire` is not general enough").
            let result = $crate::migrations::migrator(BACKEND)
                .run_direct(None, &mut *conn, false)
                .await;
            if result.is_err() {
                // sqlx returns without releasing its (session-level) advisory lock when a
                // migration fails: end the session instead of pooling it, or the next
                // `migrate` on another connection would wait for the lock forever.
                let _ = sqlx::Connection::close(conn.detach()).await;
            }
            result.map_err(fail)
        }

        /// Upserts `brands` in one transaction; `numbered` = errors carry the row index.
        pub(crate) async fn upsert_brands(
            pool: &sqlx::Pool<$DB>,
            brands: &[NewBrand],
            numbered: bool,
        ) -> Result<Vec<i64>> {
            const OP: &str = "upsert_brands";
            let row = |i: usize| Row(numbered.then_some(i as u64));
            for (i, b) in brands.iter().enumerate() {
                b.validate(row(i).0)?;
            }
            let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
            let mut ids = Vec::with_capacity(brands.len());
            for (i, b) in brands.iter().enumerate() {
                let id: i64 = sqlx::query_scalar(UPSERT_BRAND)
                    .bind(b.brand_name.as_str())
                    .bind(b.normalized_name.as_deref())
                    .bind(b.category.as_deref())
                    .bind(b.parent_brand.as_deref())
                    .bind(b.country.as_deref())
                    .bind(b.status.as_str())
                    .bind(b.similarity_threshold)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, row(i), BRANDS, BRANDS, None))?;
                ids.push(id);
            }
            tx.commit().await.map_err(db_error(OP))?;
            Ok(ids)
        }

        /// Upserts `aliases` in one transaction; `numbered` = errors carry the row index.
        pub(crate) async fn upsert_aliases(
            pool: &sqlx::Pool<$DB>,
            aliases: &[NewAlias],
            numbered: bool,
        ) -> Result<Vec<i64>> {
            const OP: &str = "upsert_aliases";
            let row = |i: usize| Row(numbered.then_some(i as u64));
            for (i, a) in aliases.iter().enumerate() {
                a.validate(row(i).0)?;
            }
            let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
            let mut ids = Vec::with_capacity(aliases.len());
            for (i, a) in aliases.iter().enumerate() {
                let id: i64 = sqlx::query_scalar(UPSERT_ALIAS)
                    .bind(a.brand_id)
                    .bind(a.alias.as_str())
                    .bind(a.alias_type.as_str())
                    .bind(a.confidence)
                    .bind(a.similarity_threshold)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, row(i), ALIASES, BRANDS, Some(a.brand_id)))?;
                ids.push(id);
            }
            tx.commit().await.map_err(db_error(OP))?;
            Ok(ids)
        }

        /// Every brand with its aliases, ordered by brand id then alias id (one statement,
        /// so one consistent snapshot).
        pub(crate) async fn list_brands(pool: &sqlx::Pool<$DB>) -> Result<Vec<Brand>> {
            const OP: &str = "list_brands";
            let rows = sqlx::query(LIST_BRANDS)
                .fetch_all(pool)
                .await
                .map_err(db_error(OP))?;
            let mut brands: Vec<Brand> = Vec::new();
            for r in &rows {
                let get = |e: sqlx::Error| Error::Database {
                    operation: OP,
                    source: e,
                };
                let id: i64 = r.try_get(0).map_err(get)?;
                if brands.last().is_none_or(|b| b.id != id) {
                    let status: String = r.try_get(6).map_err(get)?;
                    let threshold: Option<f64> = r.try_get(15).map_err(get)?;
                    brands.push(Brand {
                        id,
                        brand_name: r.try_get(1).map_err(get)?,
                        normalized_name: r.try_get(2).map_err(get)?,
                        category: r.try_get(3).map_err(get)?,
                        parent_brand: r.try_get(4).map_err(get)?,
                        country: r.try_get(5).map_err(get)?,
                        status: status.parse().map_err(|_| Error::UnexpectedValue {
                            table: BRANDS,
                            id,
                            field: "status",
                            value: format!("{status:?}"),
                        })?,
                        similarity_threshold: threshold.map(|t| t as f32),
                        created_at: r.try_get(7).map_err(get)?,
                        updated_at: r.try_get(8).map_err(get)?,
                        aliases: Vec::new(),
                    });
                }
                let Some(alias_id) = r.try_get::<Option<i64>, _>(9).map_err(get)? else {
                    continue;
                };
                let alias_type: Option<String> = r.try_get(11).map_err(get)?;
                let alias_type = alias_type
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| Error::UnexpectedValue {
                        table: ALIASES,
                        id: alias_id,
                        field: "alias_type",
                        value: format!("{alias_type:?}"),
                    })?;
                let confidence: Option<f64> = r.try_get(12).map_err(get)?;
                let threshold: Option<f64> = r.try_get(13).map_err(get)?;
                let alias = BrandAlias {
                    id: alias_id,
                    brand_id: id,
                    alias: r.try_get(10).map_err(get)?,
                    alias_type,
                    confidence: confidence.ok_or_else(|| Error::UnexpectedValue {
                        table: ALIASES,
                        id: alias_id,
                        field: "confidence",
                        value: "NULL".into(),
                    })?,
                    // Stored as `real` (PostgreSQL) or an f32 widened to REAL (SQLite), read
                    // as double: narrowing is exact.
                    similarity_threshold: threshold.map(|t| t as f32),
                    created_at: r.try_get(14).map_err(get)?,
                };
                if let Some(b) = brands.last_mut() {
                    b.aliases.push(alias);
                }
            }
            Ok(brands)
        }
    };
}

pub(crate) use repository;
