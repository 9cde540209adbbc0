//! pg_trgm parity checks: ask a live PostgreSQL for everything `ces::trgm` claims to match.

use ces::trgm::Threshold;
use sqlx::PgPool;

use crate::error::{Error, Result, Row};
use crate::repo::db_error;

/// What the server answers for one pair `(a, b)`; every score is the exact `real` (`f32`)
/// the server computed (binary protocol, no decimal round trip).
///
/// The fields follow the golden file `tests/fixtures/trgm/golden.jsonl`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct PgTrgmRow {
    /// `similarity(a, b)`.
    pub similarity_ab: f32,
    /// `similarity(b, a)`.
    pub similarity_ba: f32,
    /// `a <-> b`.
    pub distance: f32,
    /// `word_similarity(a, b)`.
    pub word_similarity_ab: f32,
    /// `word_similarity(b, a)`.
    pub word_similarity_ba: f32,
    /// `strict_word_similarity(a, b)`.
    pub strict_word_similarity_ab: f32,
    /// `strict_word_similarity(b, a)`.
    pub strict_word_similarity_ba: f32,
    /// `show_trgm(a)::text`.
    pub show_trgm_a: String,
    /// `show_trgm(b)::text`.
    pub show_trgm_b: String,
    /// `[a % b, a <% b, b <% a, a <<% b, b <<% a]` with all three `pg_trgm.*_threshold`
    /// settings at the threshold passed to [`pg_trgm_scores`].
    pub ops: [bool; 5],
}

const SET_THRESHOLDS: &str = "\
select set_config('pg_trgm.similarity_threshold', $1, true),
       set_config('pg_trgm.word_similarity_threshold', $1, true),
       set_config('pg_trgm.strict_word_similarity_threshold', $1, true)";

const SCORES: &str = "\
select similarity(t.a, t.b), similarity(t.b, t.a), t.a <-> t.b,
       word_similarity(t.a, t.b), word_similarity(t.b, t.a),
       strict_word_similarity(t.a, t.b), strict_word_similarity(t.b, t.a),
       show_trgm(t.a)::text, show_trgm(t.b)::text,
       t.a % t.b, t.a <% t.b, t.b <% t.a, t.a <<% t.b, t.b <<% t.a
from unnest($1::text[], $2::text[]) with ordinality as t(a, b, ord)
order by t.ord";

/// Asks the server for pg_trgm's answers on every pair, in ONE query
/// (`unnest($1::text[], $2::text[]) with ordinality`), inside a transaction that sets the
/// three `pg_trgm.*_threshold` settings to `threshold` with `SET LOCAL` semantics (nothing
/// leaks to the pooled connection). Rows come back in the order of `pairs`.
///
/// pg_trgm must be installed in a schema on the search path. A string containing NUL is
/// [`Error::InvalidValue`] naming the pair (PostgreSQL text cannot hold NUL).
///
/// ```no_run
/// # async fn demo(pool: &sqlx::PgPool) -> ces_sql::Result<()> {
/// use ces::trgm::{similarity, Threshold};
/// let pairs = vec![("Coca Cola".to_string(), "CocaCola".to_string())];
/// let rows = ces_sql::pg_trgm_scores(pool, &pairs, Threshold::BRAND_DEFAULT).await?;
/// assert_eq!(rows[0].similarity_ab.to_bits(), similarity("Coca Cola", "CocaCola").to_bits());
/// assert!(!rows[0].ops[0]); // 0.7 % at 0.72
/// # Ok(()) }
/// ```
pub async fn pg_trgm_scores(
    pool: &PgPool,
    pairs: &[(String, String)],
    threshold: Threshold,
) -> Result<Vec<PgTrgmRow>> {
    const OP: &str = "pg_trgm_scores";
    for (i, (a, b)) in pairs.iter().enumerate() {
        for (field, s) in [("a", a), ("b", b)] {
            if s.contains('\0') {
                return Err(Error::InvalidValue {
                    row: Row(Some(i as u64)),
                    field,
                    value: format!("{s:?}"),
                    reason: "contains a NUL character, which PostgreSQL text cannot hold".into(),
                });
            }
        }
    }
    let (left, right): (Vec<&str>, Vec<&str>) =
        pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).unzip();
    let mut tx = pool.begin().await.map_err(db_error(OP))?;
    sqlx::query(SET_THRESHOLDS)
        .bind(threshold.value().to_string())
        .execute(&mut *tx)
        .await
        .map_err(db_error(OP))?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        f32,
        f32,
        f32,
        f32,
        f32,
        f32,
        f32,
        String,
        String,
        bool,
        bool,
        bool,
        bool,
        bool,
    )> = sqlx::query_as(SCORES)
        .bind(&left)
        .bind(&right)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error(OP))?;
    tx.commit().await.map_err(db_error(OP))?;
    Ok(rows
        .into_iter()
        .map(|r| PgTrgmRow {
            similarity_ab: r.0,
            similarity_ba: r.1,
            distance: r.2,
            word_similarity_ab: r.3,
            word_similarity_ba: r.4,
            strict_word_similarity_ab: r.5,
            strict_word_similarity_ba: r.6,
            show_trgm_a: r.7,
            show_trgm_b: r.8,
            ops: [r.9, r.10, r.11, r.12, r.13],
        })
        .collect())
}
