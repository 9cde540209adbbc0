//! Brand resolution (`ces::brands`) for JavaScript: `Catalog`, `Resolver`, `TriageQueue`,
//! `normalize` and `calibrate`.
//!
//! This module only converts between JavaScript values and the core's types; every rule
//! (validation, normalisation, the resolver cascade, tie-breaks) is the core's. The binding's
//! own checks are the ones JavaScript needs: numbers that stand for `i64` ids or timestamps
//! must be safe integers, counts must be whole numbers, names must be known.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use ces::CesError;
use ces::brands as lib;
use napi::Task;
use napi::bindgen_prelude::{
    AsyncTask, BufferSlice, Either, Env, Float32Array, Float32ArraySlice, Float64Array,
};
use napi_derive::napi;

use crate::error::{self, invalid, to_js};
use crate::{Cell, integer, number, show};

/// A length as a JavaScript number.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The normaliser argument: `'default'` (or omitted), `'pg_trgm'`, or step names in order.
fn normalizer_spec(value: Option<Either<String, Vec<String>>>) -> ces::Result<lib::NormalizerSpec> {
    match value {
        None => Ok(lib::NormalizerSpec::default()),
        Some(Either::A(name)) => match name.as_str() {
            "default" => Ok(lib::NormalizerSpec::default()),
            "pg_trgm" => Ok(lib::NormalizerSpec::pg_trgm_compatible()),
            _ => Err(invalid(
                None,
                "normalizer",
                format!("{name:?}"),
                "expected 'default', 'pg_trgm' or an array of step names",
            )),
        },
        Some(Either::B(steps)) => lib::NormalizerSpec::from_names(&steps),
    }
}

/// An alias type name, with the row and field of the alias it belongs to.
fn alias_type(name: &str, row: usize, field: &str) -> ces::Result<lib::AliasType> {
    name.parse().map_err(|err| match err {
        CesError::InvalidArgument { value, reason, .. } => {
            invalid(Some(row), field, value, &reason)
        }
        other => other,
    })
}

// ---------------------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------------------

/// A master brand.
#[napi(object, object_to_js = false)]
pub struct BrandRecord {
    /// The brand's id (the database key): a safe integer.
    pub id: f64,
    /// The canonical name.
    pub name: String,
    /// A threshold in [0, 1] for this brand's fuzzy matches, overriding the resolver's.
    #[napi(ts_type = "number | null")]
    pub threshold: Option<Option<f64>>,
}

/// An alias of a brand. `TriageQueue.accept` returns one, ready to add to a new catalog.
#[napi(object)]
pub struct AliasRecord {
    /// The brand it points to (a safe integer). The same alias text may point to several
    /// brands; it then resolves as `ambiguous`.
    pub brand_id: f64,
    /// The alias text.
    pub alias: String,
    /// How it relates to the brand (default `'variant'`). The order of the names is the
    /// tie-break priority.
    #[napi(
        ts_type = "'canonical' | 'variant' | 'full_name' | 'uppercase' | 'abbreviation' | 'ticker' | 'misspelling' | 'phonetic'"
    )]
    pub alias_type: Option<String>,
    /// A threshold in [0, 1] for fuzzy matches of this alias, overriding the brand's and the
    /// resolver's.
    #[napi(ts_type = "number | null")]
    pub threshold: Option<Option<f64>>,
}

/// Everything a catalog is built from.
#[napi(object, object_to_js = false)]
pub struct CatalogSpec {
    /// Master brands.
    pub brands: Vec<BrandRecord>,
    /// Aliases.
    pub aliases: Option<Vec<AliasRecord>>,
    /// Words that must never resolve automatically (`softdrinks`, `shampoo`, commodity words):
    /// an input whose normalised text is one of them is `unresolved`, with suggestions.
    pub generic_words: Option<Vec<String>>,
    /// The normaliser applied to catalog texts and to every input: `'default'` (omitted),
    /// `'pg_trgm'` (no step: texts are scored as written), or step names in order.
    #[napi(
        ts_type = "'default' | 'pg_trgm' | Array<'nfc' | 'nfkc' | 'lowercase' | 'fold_accents' | 'ampersand' | 'dotted_initials' | 'legal_forms' | 'quantities' | 'punctuation' | 'whitespace'>"
    )]
    pub normalizer: Option<Either<String, Vec<String>>>,
}

impl CatalogSpec {
    fn into_core(self) -> ces::Result<lib::CatalogSpec> {
        let brands = self
            .brands
            .into_iter()
            .enumerate()
            .map(|(row, b)| {
                Ok(lib::BrandRecord {
                    id: integer(b.id, Some(row), "brands.id")?,
                    name: b.name,
                    threshold: b.threshold.flatten(),
                })
            })
            .collect::<ces::Result<_>>()?;
        let aliases = self
            .aliases
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(row, a)| {
                Ok(lib::AliasRecord {
                    brand_id: integer(a.brand_id, Some(row), "aliases.brand_id")?,
                    alias: a.alias,
                    alias_type: match &a.alias_type {
                        Some(name) => alias_type(name, row, "aliases.alias_type")?,
                        None => lib::AliasType::default(),
                    },
                    threshold: a.threshold.flatten(),
                })
            })
            .collect::<ces::Result<_>>()?;
        Ok(lib::CatalogSpec {
            brands,
            aliases,
            generic_words: self.generic_words.unwrap_or_default(),
            normalizer: normalizer_spec(self.normalizer)?,
        })
    }
}

impl From<lib::AliasRecord> for AliasRecord {
    fn from(a: lib::AliasRecord) -> Self {
        AliasRecord {
            brand_id: number(a.brand_id),
            alias: a.alias,
            alias_type: Some(a.alias_type.name().to_owned()),
            threshold: a.threshold.map(Some),
        }
    }
}

/// A validated, normalised brand catalog. Build it once and share it between resolvers.
///
/// ```js
/// const catalog = new Catalog({
///   brands: [{ id: 1, name: 'Coca-Cola' }, { id: 2, name: 'Datu Puti Vinegar' }],
///   aliases: [{ brandId: 1, alias: 'Coke' }],
///   genericWords: ['softdrinks'],
/// })
/// ```
///
/// Throws `invalid_argument` naming the row and field: a duplicate brand id, a blank name,
/// an alias to a missing brand, a threshold outside [0, 1], an id that is not a safe
/// integer, an unknown alias type or normaliser step.
#[napi]
pub struct Catalog {
    inner: Arc<lib::Catalog>,
}

#[napi]
impl Catalog {
    /// Validates and normalises `spec`.
    #[napi(constructor, catch_unwind)]
    pub fn new(spec: CatalogSpec) -> error::Result<Self> {
        let catalog = spec
            .into_core()
            .and_then(lib::Catalog::new)
            .map_err(to_js)?;
        Ok(Catalog {
            inner: Arc::new(catalog),
        })
    }

    /// A stable 16-hex-digit fingerprint of the catalog's content and normaliser, recorded in
    /// every decision.
    #[napi(getter, catch_unwind)]
    pub fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_owned()
    }

    /// Number of brands.
    #[napi(getter, catch_unwind)]
    pub fn brand_count(&self) -> u32 {
        count(self.inner.brands().len())
    }

    /// Number of matchable texts: brand names and distinct aliases (after normalisation).
    #[napi(getter, catch_unwind)]
    pub fn entry_count(&self) -> u32 {
        count(self.inner.entries().len())
    }
}

// ---------------------------------------------------------------------------------------
// Normaliser
// ---------------------------------------------------------------------------------------

/// A size, volume, weight or pack count found in brand text.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Quantity {
    /// The text it was read from (`1,5 L`, `6x330ml`, `(Pack of 12)`).
    pub raw: String,
    /// The number as written (for `6x330ml` the unit size, 330).
    pub value: f64,
    /// The unit as written, lower-cased (`l`, `ml`, `oz`, `pack`).
    pub unit: String,
    /// `value` in the canonical unit.
    pub canonical_value: f64,
    /// Volume in ml, weight in g, packs as a count.
    #[napi(ts_type = "'ml' | 'g' | 'count'")]
    pub canonical_unit: String,
    /// How many units a pack holds (6 for `6x330ml`).
    pub pack_count: Option<u32>,
}

impl From<lib::Quantity> for Quantity {
    fn from(q: lib::Quantity) -> Self {
        Quantity {
            raw: q.raw,
            value: q.value,
            unit: q.unit,
            canonical_value: q.canonical_value,
            canonical_unit: q.canonical_unit.to_owned(),
            pack_count: q.pack_count,
        }
    }
}

/// What the normaliser made of a text.
#[napi(object, object_from_js = false)]
pub struct Normalized {
    /// The normalised text that is matched.
    pub text: String,
    /// Quantities pulled out of the text (empty unless the `quantities` step ran).
    pub quantities: Vec<Quantity>,
}

/// Runs a normaliser over `text`: `'default'` (when omitted), `'pg_trgm'` (no step) or step
/// names in order.
///
/// ```js
/// normalize('COCA-COLA Company 1,5 L') // { text: 'coca cola', quantities: [{ raw: '1,5 L', canonicalValue: 1500, … }] }
/// ```
///
/// Throws `invalid_argument` for an unknown or repeated step, `invalid_utf8` for a `Buffer`
/// that is not valid UTF-8.
#[napi(
    catch_unwind,
    ts_args_type = "text: string | Buffer, normalizer?: 'default' | 'pg_trgm' | Array<'nfc' | 'nfkc' | 'lowercase' | 'fold_accents' | 'ampersand' | 'dotted_initials' | 'legal_forms' | 'quantities' | 'punctuation' | 'whitespace'>"
)]
pub fn normalize(
    text: Either<String, BufferSlice<'_>>,
    normalizer: Option<Either<String, Vec<String>>>,
) -> error::Result<Normalized> {
    let normalizer = normalizer_spec(normalizer)
        .and_then(|spec| spec.build())
        .map_err(to_js)?;
    let out = normalizer.apply(crate::text(&text, "text")?);
    Ok(Normalized {
        text: out.text,
        quantities: out.quantities.into_iter().map(Quantity::from).collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------

/// A candidate brand with its best-scoring catalog text.
#[napi(object)]
pub struct Candidate {
    /// Brand id.
    pub brand_id: f64,
    /// Brand name.
    pub brand_name: String,
    /// The catalog text that scored (the name or an alias), as loaded.
    pub matched_text: String,
    /// Its alias type (`'canonical'` for the name).
    #[napi(
        ts_type = "'canonical' | 'variant' | 'full_name' | 'uppercase' | 'abbreviation' | 'ticker' | 'misspelling' | 'phonetic'"
    )]
    pub alias_type: String,
    /// The score, a float32 widened to a number (1 for exact and alias matches).
    pub score: f64,
    /// The threshold this candidate had to reach.
    pub threshold: f64,
}

impl From<lib::Candidate> for Candidate {
    fn from(c: lib::Candidate) -> Self {
        Candidate {
            brand_id: number(c.brand_id),
            brand_name: c.brand_name,
            matched_text: c.matched_text,
            alias_type: c.alias_type.name().to_owned(),
            score: f64::from(c.score),
            threshold: c.threshold,
        }
    }
}

impl Candidate {
    fn into_core(self, row: usize) -> ces::Result<lib::Candidate> {
        Ok(lib::Candidate {
            brand_id: integer(self.brand_id, Some(row), "decision.candidates.brand_id")?,
            brand_name: self.brand_name,
            matched_text: self.matched_text,
            alias_type: alias_type(&self.alias_type, row, "decision.candidates.alias_type")?,
            score: self.score as f32,
            threshold: self.threshold,
        })
    }
}

/// Everything the resolver decided about one input, and why.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Decision {
    /// The raw input, never altered (`''` for a null batch row).
    pub input: String,
    /// The input after the catalog's normaliser.
    pub normalized: String,
    /// Quantities pulled out of the input.
    pub quantities: Vec<Quantity>,
    /// Which rule decided.
    #[napi(ts_type = "'exact' | 'alias' | 'fuzzy' | 'none'")]
    pub method: String,
    /// The outcome.
    #[napi(ts_type = "'resolved' | 'ambiguous' | 'unresolved'")]
    pub status: String,
    /// The chosen brand (`resolved`), or the leading one (`ambiguous`).
    pub brand_id: Option<f64>,
    /// Its name.
    pub brand_name: Option<String>,
    /// The catalog text that matched.
    pub matched_text: Option<String>,
    /// The winning score (a float32 widened to a number).
    pub score: Option<f64>,
    /// The best other brand.
    pub runner_up: Option<Candidate>,
    /// `score - runnerUp.score`, computed in float32.
    pub margin: Option<f64>,
    /// The threshold applied to the winner (its override, else the resolver's).
    pub threshold: f64,
    /// Up to `topK` candidate brands, best first (score, then alias priority, then id).
    pub candidates: Vec<Candidate>,
    /// Trigrams shared by the normalised input and the matched text (`showTrgm` form).
    pub shared_trigrams: Vec<String>,
    /// Trigrams of the normalised input missing from the matched text.
    pub missing_trigrams: Vec<String>,
    /// Why the decision is not `resolved` (or which tie-break fired), for people.
    pub reason: Option<String>,
    /// The resolver's version (changes whenever decisions could change).
    pub resolver_version: String,
    /// The catalog's fingerprint.
    pub catalog_fingerprint: String,
}

impl From<lib::Decision> for Decision {
    fn from(d: lib::Decision) -> Self {
        Decision {
            input: d.input,
            normalized: d.normalized,
            quantities: d.quantities.into_iter().map(Quantity::from).collect(),
            method: d.method.name().to_owned(),
            status: d.status.name().to_owned(),
            brand_id: d.brand_id.map(number),
            brand_name: d.brand_name,
            matched_text: d.matched_text,
            score: d.score.map(f64::from),
            runner_up: d.runner_up.map(Candidate::from),
            margin: d.margin.map(f64::from),
            threshold: d.threshold,
            candidates: d.candidates.into_iter().map(Candidate::from).collect(),
            shared_trigrams: d.shared_trigrams,
            missing_trigrams: d.missing_trigrams,
            reason: d.reason,
            resolver_version: d.resolver_version.to_owned(),
            catalog_fingerprint: d.catalog_fingerprint,
        }
    }
}

/// A batch's decisions as columns, for large batches (no object per row).
#[napi(object, object_from_js = false)]
pub struct DecisionColumns {
    /// `brandId` of each decision; `NaN` where it is null.
    pub brand_id: Float64Array,
    /// `score` of each decision (float32); `NaN` where it is null.
    pub score: Float32Array,
    /// `status` of each decision.
    #[napi(ts_type = "Array<'resolved' | 'ambiguous' | 'unresolved'>")]
    pub status: Vec<String>,
    /// `method` of each decision.
    #[napi(ts_type = "Array<'exact' | 'alias' | 'fuzzy' | 'none'>")]
    pub method: Vec<String>,
    /// `normalized` of each decision.
    pub normalized: Vec<String>,
}

/// [`DecisionColumns`] before its typed arrays exist (built off the main thread).
pub struct Columns {
    brand_id: Vec<f64>,
    score: Vec<f32>,
    status: Vec<String>,
    method: Vec<String>,
    normalized: Vec<String>,
}

impl Columns {
    fn new(decisions: Vec<lib::Decision>) -> Self {
        let n = decisions.len();
        let mut c = Columns {
            brand_id: Vec::with_capacity(n),
            score: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            method: Vec::with_capacity(n),
            normalized: Vec::with_capacity(n),
        };
        for d in decisions {
            c.brand_id.push(d.brand_id.map_or(f64::NAN, number));
            c.score.push(d.score.unwrap_or(f32::NAN));
            c.status.push(d.status.name().to_owned());
            c.method.push(d.method.name().to_owned());
            c.normalized.push(d.normalized);
        }
        c
    }

    fn into_js(self) -> DecisionColumns {
        DecisionColumns {
            brand_id: Float64Array::new(self.brand_id),
            score: Float32Array::new(self.score),
            status: self.status,
            method: self.method,
            normalized: self.normalized,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Resolver
// ---------------------------------------------------------------------------------------

/// Resolver settings; every one is optional.
#[napi(object, object_to_js = false)]
pub struct ResolverOptions {
    /// Fuzzy threshold in [0, 1] (`score >= threshold`), unless a brand or alias overrides
    /// it. Default 0.72.
    pub threshold: Option<f64>,
    /// The fuzzy score. `'word_similarity'` scores the input as the needle in each catalog
    /// text (good for abbreviations such as `Alaska Evap`). Default `'similarity'`.
    #[napi(ts_type = "'similarity' | 'word_similarity' | 'strict_word_similarity'")]
    pub metric: Option<String>,
    /// A runner-up brand within this margin of the best makes the decision `ambiguous`;
    /// `null`: never. Default 0.02.
    #[napi(ts_type = "number | null")]
    pub ambiguity_margin: Option<Option<f64>>,
    /// How many candidate brands each decision keeps (a whole number >= 1). Default 3.
    pub top_k: Option<f64>,
    /// Candidates scoring at least this (but below the threshold) are kept as suggestions;
    /// `null` keeps only passing candidates (fastest). Default 0.3.
    #[napi(ts_type = "number | null")]
    pub suggestion_threshold: Option<Option<f64>>,
    /// Do generic words stay unresolved? Default true.
    pub block_generic_words: Option<bool>,
    /// Start from the settings that reproduce the classic SQL `WHERE name % $1 ORDER BY
    /// similarity DESC, id LIMIT 1` (no ambiguity margin, `topK` 1, no suggestions, generic
    /// words not blocked); the other options given still apply on top. Use it with a catalog
    /// built with `normalizer: 'pg_trgm'`.
    pub pg_trgm_compatible: Option<bool>,
}

impl ResolverOptions {
    fn into_core(self) -> ces::Result<lib::ResolverConfig> {
        let mut config = if self.pg_trgm_compatible == Some(true) {
            lib::ResolverConfig::pg_trgm_compatible(lib::ResolverConfig::default().threshold)
        } else {
            lib::ResolverConfig::default()
        };
        if let Some(t) = self.threshold {
            config.threshold = t;
        }
        if let Some(m) = &self.metric {
            config.metric = m.parse()?;
        }
        if let Some(m) = self.ambiguity_margin {
            config.ambiguity_margin = m;
        }
        if let Some(k) = self.top_k {
            if k.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&k) {
                return Err(invalid(
                    None,
                    "top_k",
                    show(k),
                    "must be a whole number of at least 1",
                ));
            }
            config.top_k = k as usize;
        }
        if let Some(s) = self.suggestion_threshold {
            config.suggestion_threshold = s;
        }
        if let Some(b) = self.block_generic_words {
            config.block_generic_words = b;
        }
        Ok(config)
    }
}

/// A resolver's effective settings.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ResolverConfig {
    /// Fuzzy threshold.
    pub threshold: f64,
    /// The fuzzy score.
    #[napi(ts_type = "'similarity' | 'word_similarity' | 'strict_word_similarity'")]
    pub metric: String,
    /// Ambiguity margin (`null`: never ambiguous by margin).
    pub ambiguity_margin: Option<f64>,
    /// Candidates kept per decision.
    pub top_k: u32,
    /// Suggestion threshold (`null`: passing candidates only).
    pub suggestion_threshold: Option<f64>,
    /// Whether generic words stay unresolved.
    pub block_generic_words: bool,
}

/// The texts of a batch, copied out of JavaScript, and the resolver to run them through:
/// the one computation behind the `resolveBatch*` and `resolveColumns*` methods.
pub struct ResolveTexts {
    resolver: Arc<lib::Resolver>,
    texts: Vec<Option<Cell>>,
}

impl ResolveTexts {
    /// A decision per row, in order; a null row gets the decision for `''` with reason
    /// `null input`. `invalid_utf8` names the first bad row.
    fn decisions(&self) -> ces::Result<Vec<lib::Decision>> {
        let texts = Cell::decode(&self.texts, "texts")?;
        let inputs: Vec<&str> = texts.iter().map(|t| t.unwrap_or("")).collect();
        let mut out = self.resolver.resolve_batch(&inputs, None);
        for (d, t) in out.iter_mut().zip(&texts) {
            if t.is_none() {
                d.reason = Some("null input".into());
            }
        }
        Ok(out)
    }

    fn objects(&self) -> ces::Result<Vec<Decision>> {
        Ok(self.decisions()?.into_iter().map(Decision::from).collect())
    }
}

/// The async task of `resolveBatch`.
pub struct ResolveBatch(ResolveTexts);

impl Task for ResolveBatch {
    type Output = ces::Result<Vec<Decision>>;
    type JsValue = Vec<Decision>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        catch_unwind(AssertUnwindSafe(|| self.0.objects()))
            .map_err(|_| error::panicked("resolveBatch"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output.map_err(|e| error::rejection(env, e))
    }
}

/// The async task of `resolveColumns`.
pub struct ResolveColumns(ResolveTexts);

impl Task for ResolveColumns {
    type Output = ces::Result<Columns>;
    type JsValue = DecisionColumns;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        catch_unwind(AssertUnwindSafe(|| self.0.decisions().map(Columns::new)))
            .map_err(|_| error::panicked("resolveColumns"))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        output
            .map(Columns::into_js)
            .map_err(|e| error::rejection(env, e))
    }
}

/// Resolves brand text against a catalog: exact name, then exact alias (after the catalog's
/// normaliser), then fuzzy pg_trgm scoring, with a `Decision` for every input.
///
/// ```js
/// const resolver = new Resolver(catalog, { threshold: 0.72 })
/// resolver.resolve('COCA COLA 1.5L') // { status: 'resolved', method: 'exact', brandId: 1, … }
/// ```
///
/// Throws `invalid_threshold` for a threshold or suggestion threshold outside [0, 1],
/// `invalid_argument` for an unknown metric, an ambiguity margin outside [0, 1] or a `topK`
/// that is not a whole number >= 1.
#[napi]
pub struct Resolver {
    inner: Arc<lib::Resolver>,
}

#[napi]
impl Resolver {
    /// Builds the resolver's trigram index over `catalog` and validates `options`.
    #[napi(constructor, catch_unwind)]
    pub fn new(catalog: &Catalog, options: Option<ResolverOptions>) -> error::Result<Self> {
        let config = match options {
            Some(o) => o.into_core().map_err(to_js)?,
            None => lib::ResolverConfig::default(),
        };
        let resolver = lib::Resolver::new(Arc::clone(&catalog.inner), config).map_err(to_js)?;
        Ok(Resolver {
            inner: Arc::new(resolver),
        })
    }

    /// The effective settings (defaults filled in).
    #[napi(getter, catch_unwind)]
    pub fn config(&self) -> ResolverConfig {
        let c = self.inner.config();
        ResolverConfig {
            threshold: c.threshold,
            metric: c.metric.name().to_owned(),
            ambiguity_margin: c.ambiguity_margin,
            top_k: count(c.top_k),
            suggestion_threshold: c.suggestion_threshold,
            block_generic_words: c.block_generic_words,
        }
    }

    /// The decision for one text.
    ///
    /// Throws `invalid_utf8` for a `Buffer` that is not valid UTF-8.
    #[napi(catch_unwind)]
    pub fn resolve(&self, text: Either<String, BufferSlice<'_>>) -> error::Result<Decision> {
        Ok(self.inner.resolve(crate::text(&text, "text")?).into())
    }

    fn texts(&self, texts: Vec<Option<Either<String, BufferSlice<'_>>>>) -> ResolveTexts {
        ResolveTexts {
            resolver: Arc::clone(&self.inner),
            texts: texts.into_iter().map(Cell::copy).collect(),
        }
    }

    /// A decision for every text, in order (in parallel for large batches; the result does
    /// not depend on it). A `null` or `undefined` row gets status `'unresolved'` and reason
    /// `'null input'`. Blocks the event loop: prefer `resolveBatch` for big inputs.
    ///
    /// Throws `invalid_utf8` (naming the row) for a `Buffer` that is not valid UTF-8.
    #[napi(
        catch_unwind,
        ts_args_type = "texts: Array<string | Buffer | null | undefined>"
    )]
    pub fn resolve_batch_sync(
        &self,
        texts: Vec<Option<Either<String, BufferSlice<'_>>>>,
    ) -> error::Result<Vec<Decision>> {
        self.texts(texts).objects().map_err(to_js)
    }

    /// `resolveBatchSync` on the libuv thread pool, as a `Promise`. The texts are copied
    /// before the call returns.
    ///
    /// Rejects with `invalid_utf8` as `resolveBatchSync` throws it.
    #[napi(
        ts_args_type = "texts: Array<string | Buffer | null | undefined>",
        ts_return_type = "Promise<Array<Decision>>"
    )]
    pub fn resolve_batch(
        &self,
        texts: Vec<Option<Either<String, BufferSlice<'_>>>>,
    ) -> AsyncTask<ResolveBatch> {
        AsyncTask::new(ResolveBatch(self.texts(texts)))
    }

    /// The decisions of `resolveBatchSync` as columns (typed arrays and string arrays, one
    /// entry per text): much cheaper than an object per row for large batches.
    ///
    /// Throws `invalid_utf8` (naming the row) for a `Buffer` that is not valid UTF-8.
    #[napi(
        catch_unwind,
        ts_args_type = "texts: Array<string | Buffer | null | undefined>"
    )]
    pub fn resolve_columns_sync(
        &self,
        texts: Vec<Option<Either<String, BufferSlice<'_>>>>,
    ) -> error::Result<DecisionColumns> {
        self.texts(texts)
            .decisions()
            .map(|d| Columns::new(d).into_js())
            .map_err(to_js)
    }

    /// `resolveColumnsSync` on the libuv thread pool, as a `Promise`.
    ///
    /// Rejects with `invalid_utf8` as `resolveColumnsSync` throws it.
    #[napi(
        ts_args_type = "texts: Array<string | Buffer | null | undefined>",
        ts_return_type = "Promise<DecisionColumns>"
    )]
    pub fn resolve_columns(
        &self,
        texts: Vec<Option<Either<String, BufferSlice<'_>>>>,
    ) -> AsyncTask<ResolveColumns> {
        AsyncTask::new(ResolveColumns(self.texts(texts)))
    }
}

// ---------------------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------------------

/// The parts of a `Decision` the triage queue reads: every `Decision` is one.
#[napi(object, object_to_js = false)]
pub struct RecordedDecision {
    /// The raw input.
    pub input: String,
    /// The normalised input (the queue's key).
    pub normalized: String,
    /// The outcome (resolved decisions are not queued).
    #[napi(ts_type = "'resolved' | 'ambiguous' | 'unresolved'")]
    pub status: String,
    /// The candidates, kept as suggestions.
    pub candidates: Vec<Candidate>,
}

impl RecordedDecision {
    /// A core decision carrying the fields [`lib::TriageQueue::record`] reads (input,
    /// normalised form, status, candidates); the others are left empty.
    fn into_core(self) -> ces::Result<lib::Decision> {
        let status = match self.status.as_str() {
            "resolved" => lib::Status::Resolved,
            "ambiguous" => lib::Status::Ambiguous,
            "unresolved" => lib::Status::Unresolved,
            other => {
                return Err(invalid(
                    None,
                    "decision.status",
                    format!("{other:?}"),
                    "expected one of resolved, ambiguous, unresolved",
                ));
            }
        };
        let candidates = self
            .candidates
            .into_iter()
            .enumerate()
            .map(|(row, c)| c.into_core(row))
            .collect::<ces::Result<_>>()?;
        Ok(lib::Decision {
            input: self.input,
            normalized: self.normalized,
            quantities: Vec::new(),
            method: lib::Method::None,
            status,
            brand_id: None,
            brand_name: None,
            matched_text: None,
            score: None,
            runner_up: None,
            margin: None,
            threshold: 0.0,
            candidates,
            shared_trigrams: Vec::new(),
            missing_trigrams: Vec::new(),
            reason: None,
            resolver_version: lib::RESOLVER_VERSION,
            catalog_fingerprint: String::new(),
        })
    }
}

/// One distinct normalised input awaiting a person.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct TriageItem {
    /// The normalised form (the key).
    pub normalized: String,
    /// How often it was seen.
    pub count: f64,
    /// First time seen (the caller's clock, e.g. epoch seconds).
    pub first_seen: f64,
    /// Last time seen.
    pub last_seen: f64,
    /// Up to three raw inputs, as first seen.
    pub samples: Vec<String>,
    /// The resolver's verdict when last seen.
    #[napi(ts_type = "'ambiguous' | 'unresolved'")]
    pub last_status: String,
    /// Best suggestions (one per brand, best score kept), best first; at most five.
    pub suggestions: Vec<Candidate>,
    /// Where the item stands.
    #[napi(ts_type = "'open' | 'mapped' | 'ignored'")]
    pub status: String,
    /// The brand it was mapped to.
    pub mapped_brand_id: Option<f64>,
}

impl From<&lib::TriageItem> for TriageItem {
    fn from(i: &lib::TriageItem) -> Self {
        TriageItem {
            normalized: i.normalized.clone(),
            count: i.count as f64,
            first_seen: number(i.first_seen),
            last_seen: number(i.last_seen),
            samples: i.samples.clone(),
            last_status: i.last_status.name().to_owned(),
            suggestions: i.suggestions.iter().cloned().map(Candidate::from).collect(),
            status: i.status.name().to_owned(),
            mapped_brand_id: i.mapped_brand_id.map(number),
        }
    }
}

/// Unresolved and ambiguous inputs grouped by normalised form, for a person to map (which
/// yields an alias) or ignore. Recording the same decisions again only raises counts and
/// `lastSeen`.
///
/// ```js
/// const queue = new TriageQueue()
/// queue.record(resolver.resolve('kopico'), Date.now())
/// queue.accept('kopico', 7) // { brandId: 7, alias: 'kopico', aliasType: 'variant' }
/// ```
#[napi]
pub struct TriageQueue {
    inner: lib::TriageQueue,
}

#[napi]
impl TriageQueue {
    /// An empty queue.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        TriageQueue {
            inner: lib::TriageQueue::default(),
        }
    }

    /// Adds a decision seen at `seenAt` (a safe integer on the caller's clock). Resolved
    /// decisions and inputs without text are not queued. Returns whether it was queued.
    ///
    /// Throws `invalid_argument` for a status, alias type or brand id that no decision has,
    /// or a `seenAt` that is not a safe integer.
    #[napi(catch_unwind)]
    pub fn record(&mut self, decision: RecordedDecision, seen_at: f64) -> error::Result<bool> {
        let seen_at = integer(seen_at, None, "seen_at").map_err(to_js)?;
        let decision = decision.into_core().map_err(to_js)?;
        Ok(self.inner.record(&decision, seen_at))
    }

    /// Every item, most frequent first (then by normalised form).
    #[napi(catch_unwind)]
    pub fn items(&self) -> Vec<TriageItem> {
        self.inner
            .items()
            .into_iter()
            .map(TriageItem::from)
            .collect()
    }

    /// Open items only, most frequent first.
    #[napi(catch_unwind)]
    pub fn open(&self) -> Vec<TriageItem> {
        self.inner
            .open()
            .into_iter()
            .map(TriageItem::from)
            .collect()
    }

    /// The item for a normalised form, or `null`.
    #[napi(catch_unwind)]
    pub fn get(&self, normalized: String) -> Option<TriageItem> {
        self.inner.get(&normalized).map(TriageItem::from)
    }

    /// Number of items.
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        count(self.inner.len())
    }

    /// Maps the item to `brandId` and returns the alias to add to the catalog (the normalised
    /// form, type `'variant'`). Accepting again for the same brand returns the same alias.
    ///
    /// Throws `invalid_argument` when the form is not queued, is already mapped to another
    /// brand, or `brandId` is not a safe integer.
    #[napi(catch_unwind)]
    pub fn accept(&mut self, normalized: String, brand_id: f64) -> error::Result<AliasRecord> {
        let brand_id = integer(brand_id, None, "brand_id").map_err(to_js)?;
        self.inner
            .accept(&normalized, brand_id)
            .map(AliasRecord::from)
            .map_err(to_js)
    }

    /// Marks the item ignored (never asked again).
    ///
    /// Throws `invalid_argument` when the form is not queued.
    #[napi(catch_unwind)]
    pub fn reject(&mut self, normalized: String) -> error::Result<()> {
        self.inner.reject(&normalized).map_err(to_js)
    }
}

// ---------------------------------------------------------------------------------------
// Calibration
// ---------------------------------------------------------------------------------------

/// Precision, recall and F1 at one threshold.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CalibrationRow {
    /// The threshold (`score >= threshold` counts as a predicted match).
    pub threshold: f64,
    /// Labelled matches predicted as matches.
    pub true_positives: f64,
    /// Labelled non-matches predicted as matches.
    pub false_positives: f64,
    /// Labelled matches predicted as non-matches.
    pub false_negatives: f64,
    /// `tp / (tp + fp)`; `null` when nothing is predicted.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`; `null` without labelled matches.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall; `null` when either is undefined or both are 0.
    pub f1: Option<f64>,
}

/// The sweep and the threshold that maximises F1.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CalibrationReport {
    /// One row per threshold 0.00, 0.01, …, 1.00.
    pub rows: Vec<CalibrationRow>,
    /// Index into `rows` of the best F1 (ties: the highest threshold), `null` if no F1 is
    /// defined.
    pub best: Option<u32>,
}

/// Sweeps thresholds 0.00 … 1.00 over labelled scores (`scores[i]` is a match when
/// `labels[i]`), comparing as PostgreSQL does (`score >= threshold` in double precision).
/// Numbers are rounded to float32 first, like every pg_trgm score; a `NaN` score (no score)
/// is never a predicted match.
///
/// Throws `length_mismatch` when `scores` and `labels` differ in length.
#[napi(catch_unwind)]
pub fn calibrate(
    scores: Either<Float32ArraySlice<'_>, Vec<f64>>,
    labels: Vec<bool>,
) -> error::Result<CalibrationReport> {
    let scores: Vec<f32> = match &scores {
        Either::A(s) => s.to_vec(),
        Either::B(v) => v.iter().map(|&x| x as f32).collect(),
    };
    if scores.len() != labels.len() {
        return Err(to_js(CesError::LengthMismatch {
            left_field: "scores".into(),
            left_len: scores.len(),
            right_field: "labels".into(),
            right_len: labels.len(),
        }));
    }
    let pairs: Vec<(f32, bool)> = scores.into_iter().zip(labels).collect();
    let report = lib::calibrate(&pairs);
    Ok(CalibrationReport {
        rows: report
            .rows
            .into_iter()
            .map(|r| CalibrationRow {
                threshold: r.threshold,
                true_positives: r.true_positives as f64,
                false_positives: r.false_positives as f64,
                false_negatives: r.false_negatives as f64,
                precision: r.precision,
                recall: r.recall,
                f1: r.f1,
            })
            .collect(),
        best: report.best.map(count),
    })
}
