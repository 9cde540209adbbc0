//! Node.js binding of CES (npm package `ces`): PostgreSQL 15 `pg_trgm` trigram similarity,
//! bit for bit.
//!
//! Every function takes texts as `string | Buffer` (a `Buffer` must hold UTF-8). Errors are
//! JavaScript `Error`s whose `code` is the core's stable code (see [`error`]). The batch
//! scorer comes twice, as `scorePairs` (a `Promise`, computed on the libuv thread pool) and
//! `scorePairsSync`, both running the same [`ScorePairs`] computation.
//!
//! Brand resolution (`Catalog`, `Resolver`, `TriageQueue`, `normalize`, `calibrate`) is in
//! [`brands`]; CPA merge (`cpaMergeSync`, `cpaMergeAsync`, `CpaMerge`) in [`cpa`];
//! exposure-window attribution (`attributeSync`, `attributeAsync`, `Attribution`,
//! `markovSync`, `heuristicsSync`, `shapleySync`) in [`attribution`]; lift (`conversionLift`,
//! power and sample size, `welch`, `cuped`, `did2x2`, `didPanel`, `ratioMetric`, `ccf`,
//! `campaignLift`, …) in [`lift`].

pub mod attribution;
pub mod brands;
pub mod cpa;
mod error;
pub mod lift;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ces::CesError;
use ces::trgm::{self, Metric, Threshold, TrigramSet};
use napi::Task;
use napi::bindgen_prelude::{AsyncTask, BufferSlice, Either, Env, Float32Array};
use napi_derive::napi;

use crate::error::to_js;

/// The text of an argument: a string as is, a `Buffer` decoded as UTF-8.
pub(crate) fn text<'a>(
    value: &'a Either<String, BufferSlice<'_>>,
    field: &str,
) -> error::Result<&'a str> {
    match value {
        Either::A(s) => Ok(s),
        Either::B(bytes) => CesError::utf8(bytes, field, None).map_err(to_js),
    }
}

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A number as JavaScript prints it, near enough for an error message.
pub(crate) fn show(value: f64) -> String {
    if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if value.is_finite() && value.abs() >= 1e21 {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// Is `value` a safe integer (`Number.isSafeInteger`)?
pub(crate) fn is_safe_integer(value: f64) -> bool {
    value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER
}

/// A JavaScript number standing for an `i64` (an id, a timestamp): it must be a safe integer.
pub(crate) fn integer(value: f64, row: Option<usize>, field: &str) -> ces::Result<i64> {
    if is_safe_integer(value) {
        Ok(value as i64)
    } else {
        Err(error::invalid(
            row,
            field,
            show(value),
            "must be a safe integer, at most 2^53 - 1 in magnitude",
        ))
    }
}

/// An `i64` from the core as a JavaScript number (exact: every id came in as a safe integer).
pub(crate) fn number(value: i64) -> f64 {
    value as f64
}

/// The threshold argument of the `%`-style predicates: 0.72 when omitted.
fn threshold(value: Option<f64>) -> error::Result<Threshold> {
    value
        .map_or(Ok(Threshold::BRAND_DEFAULT), Threshold::new)
        .map_err(to_js)
}

/// The distinct trigrams of `text`, as PostgreSQL's `show_trgm(text)` returns them and in its
/// order: three characters, or `0x` and six hex digits for a hashed (non-ASCII) trigram.
///
/// ```js
/// showTrgm('Café') // ['0xef5960', '  c', ' ca', '0x544980', 'caf']
/// ```
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn show_trgm(text: Either<String, BufferSlice<'_>>) -> error::Result<Vec<String>> {
    Ok(trgm::show_trgm(crate::text(&text, "text")?))
}

/// `show_trgm(text)::text`: the trigrams as PostgreSQL prints the array, e.g.
/// `{"  1","  5"," 1 "," 5l","5l "}` for `'1.5L'` (elements containing a space are quoted).
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn show_trgm_text(text: Either<String, BufferSlice<'_>>) -> error::Result<String> {
    Ok(TrigramSet::new(crate::text(&text, "text")?).to_pg_array_text())
}

/// `similarity(a, b)`: distinct trigrams shared over the union, the exact `real` (float32)
/// PostgreSQL returns, widened to a number. Symmetric; 0 when either text has no trigrams.
///
/// ```js
/// similarity('CocaCola', 'Coca Cola') // 0.699999988079071 === Math.fround(0.7)
/// ```
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn similarity(
    a: Either<String, BufferSlice<'_>>,
    b: Either<String, BufferSlice<'_>>,
) -> error::Result<f32> {
    Ok(trgm::similarity(text(&a, "a")?, text(&b, "b")?))
}

/// `word_similarity(needle, haystack)`: how well `needle` matches some extent of
/// `haystack`, by PostgreSQL's greedy scan. Not symmetric: `needle` is the short text looked
/// for.
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn word_similarity(
    needle: Either<String, BufferSlice<'_>>,
    haystack: Either<String, BufferSlice<'_>>,
) -> error::Result<f32> {
    Ok(trgm::word_similarity(
        text(&needle, "needle")?,
        text(&haystack, "haystack")?,
    ))
}

/// `strict_word_similarity(needle, haystack)`: like `wordSimilarity`, but the extent of
/// `haystack` starts and ends on word boundaries.
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn strict_word_similarity(
    needle: Either<String, BufferSlice<'_>>,
    haystack: Either<String, BufferSlice<'_>>,
) -> error::Result<f32> {
    Ok(trgm::strict_word_similarity(
        text(&needle, "needle")?,
        text(&haystack, "haystack")?,
    ))
}

/// `a <-> b`: `1 - similarity(a, b)`, as PostgreSQL computes it (in double, returned as
/// float32).
///
/// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn similarity_distance(
    a: Either<String, BufferSlice<'_>>,
    b: Either<String, BufferSlice<'_>>,
) -> error::Result<f32> {
    Ok(trgm::similarity_distance(text(&a, "a")?, text(&b, "b")?))
}

/// `a % b` at an explicit threshold: `similarity(a, b) >= threshold`, compared in double
/// precision as PostgreSQL does. `threshold` defaults to 0.72 (the platform's
/// brand-resolution threshold), never to session state.
///
/// Throws `invalid_threshold` when `threshold` is NaN or outside [0, 1], `invalid_utf8` for
/// a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn similar(
    a: Either<String, BufferSlice<'_>>,
    b: Either<String, BufferSlice<'_>>,
    threshold: Option<f64>,
) -> error::Result<bool> {
    let t = crate::threshold(threshold)?;
    Ok(t.accepts(trgm::similarity(text(&a, "a")?, text(&b, "b")?)))
}

/// `needle <% haystack`: `wordSimilarity(needle, haystack) >= threshold` (default 0.72).
///
/// Throws `invalid_threshold` when `threshold` is NaN or outside [0, 1], `invalid_utf8` for
/// a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn word_similar(
    needle: Either<String, BufferSlice<'_>>,
    haystack: Either<String, BufferSlice<'_>>,
    threshold: Option<f64>,
) -> error::Result<bool> {
    let t = crate::threshold(threshold)?;
    Ok(t.accepts(trgm::word_similarity(
        text(&needle, "needle")?,
        text(&haystack, "haystack")?,
    )))
}

/// `needle <<% haystack`: `strictWordSimilarity(needle, haystack) >= threshold` (default
/// 0.72).
///
/// Throws `invalid_threshold` when `threshold` is NaN or outside [0, 1], `invalid_utf8` for
/// a `Buffer` that is not valid UTF-8.
#[napi(catch_unwind)]
pub fn strict_word_similar(
    needle: Either<String, BufferSlice<'_>>,
    haystack: Either<String, BufferSlice<'_>>,
    threshold: Option<f64>,
) -> error::Result<bool> {
    let t = crate::threshold(threshold)?;
    let score =
        trgm::strict_word_similarity(text(&needle, "needle")?, text(&haystack, "haystack")?);
    Ok(t.accepts(score))
}

/// One batch cell, copied out of JavaScript so it can be scored on another thread.
pub(crate) enum Cell {
    Str(String),
    Bytes(Vec<u8>),
}

impl Cell {
    pub(crate) fn copy(value: Option<Either<String, BufferSlice<'_>>>) -> Option<Cell> {
        value.map(|v| match v {
            Either::A(s) => Cell::Str(s),
            Either::B(b) => Cell::Bytes(b.to_vec()),
        })
    }

    /// The texts of a column, `None` for nulls; `invalid_utf8` names the first bad row.
    pub(crate) fn decode<'a>(
        column: &'a [Option<Cell>],
        field: &str,
    ) -> ces::Result<Vec<Option<&'a str>>> {
        let one = |(row, cell): (usize, &'a Option<Cell>)| match cell {
            None => Ok(None),
            Some(Cell::Str(s)) => Ok(Some(s.as_str())),
            Some(Cell::Bytes(b)) => CesError::utf8(b, field, Some(row as u64)).map(Some),
        };
        column.iter().enumerate().map(one).collect()
    }
}

/// The batch computation behind `scorePairs` and `scorePairsSync`.
pub struct ScorePairs {
    metric: Option<String>,
    left: Vec<Option<Cell>>,
    right: Vec<Option<Cell>>,
}

impl ScorePairs {
    fn new(
        left: Vec<Option<Either<String, BufferSlice<'_>>>>,
        right: Vec<Option<Either<String, BufferSlice<'_>>>>,
        metric: Option<String>,
    ) -> Self {
        ScorePairs {
            metric,
            left: left.into_iter().map(Cell::copy).collect(),
            right: right.into_iter().map(Cell::copy).collect(),
        }
    }

    /// Scores every row; a null on either side gives NaN.
    fn compute(&self) -> ces::Result<Vec<f32>> {
        let metric = match &self.metric {
            Some(name) => name.parse::<Metric>()?,
            None => Metric::Similarity,
        };
        let left = Cell::decode(&self.left, "left")?;
        let right = Cell::decode(&self.right, "right")?;
        let scores = trgm::score_pairs(metric, &left, &right)?;
        Ok(scores.into_iter().map(|s| s.unwrap_or(f32::NAN)).collect())
    }
}

impl Task for ScorePairs {
    type Output = ces::Result<Vec<f32>>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        catch_unwind(AssertUnwindSafe(|| ScorePairs::compute(self)))
            .map_err(|_| error::panicked("scorePairs"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output
            .map(Float32Array::new)
            .map_err(|e| error::rejection(env, e))
    }
}

/// Scores `left[i]` against `right[i]` for every row with `metric` (default
/// `'similarity'`; for the word similarities `left` is the needle, `right` the haystack) and
/// returns the float32 scores. A `null` or `undefined` on either side gives `NaN` in that
/// row (PostgreSQL's functions return NULL there). Large batches run in parallel; the result
/// does not depend on it. Blocks the event loop: prefer `scorePairs` for big inputs.
///
/// Throws `length_mismatch` when the arrays differ in length, `invalid_argument` for an
/// unknown metric, `invalid_utf8` (naming the row) for a `Buffer` that is not valid UTF-8.
#[napi(
    catch_unwind,
    ts_args_type = "left: Array<string | Buffer | null | undefined>, right: Array<string | Buffer | null | undefined>, metric?: 'similarity' | 'word_similarity' | 'strict_word_similarity'"
)]
pub fn score_pairs_sync(
    left: Vec<Option<Either<String, BufferSlice<'_>>>>,
    right: Vec<Option<Either<String, BufferSlice<'_>>>>,
    metric: Option<String>,
) -> error::Result<Float32Array> {
    ScorePairs::new(left, right, metric)
        .compute()
        .map(Float32Array::new)
        .map_err(to_js)
}

/// `scorePairsSync` on the libuv thread pool: the same scores (nulls give `NaN`), delivered
/// as a `Promise<Float32Array>`. The inputs are copied before the call returns, so they may
/// be changed while the promise is pending.
///
/// Rejects with `length_mismatch`, `invalid_argument` or `invalid_utf8` as `scorePairsSync`
/// throws them. Arguments of the wrong JavaScript type (not arrays, a number in a row) are
/// found while the arguments are read and throw at once, before a promise exists.
#[napi(
    ts_args_type = "left: Array<string | Buffer | null | undefined>, right: Array<string | Buffer | null | undefined>, metric?: 'similarity' | 'word_similarity' | 'strict_word_similarity'",
    ts_return_type = "Promise<Float32Array>"
)]
pub fn score_pairs(
    left: Vec<Option<Either<String, BufferSlice<'_>>>>,
    right: Vec<Option<Either<String, BufferSlice<'_>>>>,
    metric: Option<String>,
) -> AsyncTask<ScorePairs> {
    AsyncTask::new(ScorePairs::new(left, right, metric))
}
