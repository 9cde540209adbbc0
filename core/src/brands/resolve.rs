//! The resolver: exact canonical → exact alias → fuzzy (pg_trgm), with a decision record for
//! every input.

use std::fmt;
use std::sync::Arc;

use super::catalog::{AliasType, Catalog};
use super::index::TrigramIndex;
use super::normalize::Quantity;
use crate::error::{CesError, Result};
use crate::trgm::{Metric, Threshold, TrigramSet};

/// The version recorded in every decision (changes whenever decisions could change).
pub const RESOLVER_VERSION: &str = concat!("ces-brands/", env!("CARGO_PKG_VERSION"));

/// Resolver settings, validated by [`Resolver::new`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResolverConfig {
    /// Fuzzy threshold (`score >= threshold`), unless a brand or alias overrides it. Default 0.72.
    pub threshold: f64,
    /// The fuzzy score: `similarity` (default) or `word_similarity` (input as needle, catalog
    /// text as haystack: good for abbreviations such as `Alaska Evap`).
    pub metric: Metric,
    /// When the best brand's runner-up (another brand) scores within this margin of it, the
    /// decision is `ambiguous` instead of `resolved`. `None`: never (ties are broken by the
    /// documented order). Default `Some(0.02)`.
    pub ambiguity_margin: Option<f64>,
    /// How many candidate brands to keep in each decision. Default 3.
    pub top_k: usize,
    /// Candidates scoring at least this (but below the threshold) are kept as suggestions
    /// for the triage queue. `None` keeps only passing candidates (fastest). Default `Some(0.3)`.
    pub suggestion_threshold: Option<f64>,
    /// Do generic words (see [`super::CatalogSpec::generic_words`]) stay unresolved? Default true.
    pub block_generic_words: bool,
}

impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            threshold: 0.72,
            metric: Metric::Similarity,
            ambiguity_margin: Some(0.02),
            top_k: 3,
            suggestion_threshold: Some(0.3),
            block_generic_words: true,
        }
    }
}

impl ResolverConfig {
    /// The same decisions as the classic SQL `WHERE name % $1 ORDER BY similarity(name, $1)
    /// DESC, id LIMIT 1` at `threshold` (use it with a catalog built with
    /// [`super::NormalizerSpec::pg_trgm_compatible`]): no ambiguity rule, no generic-word rule,
    /// no suggestions below the threshold.
    pub fn pg_trgm_compatible(threshold: f64) -> Self {
        ResolverConfig {
            threshold,
            metric: Metric::Similarity,
            ambiguity_margin: None,
            top_k: 1,
            suggestion_threshold: None,
            block_generic_words: false,
        }
    }
}

/// Which rule decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Method {
    /// The normalised input equals a brand's normalised name.
    Exact,
    /// The normalised input equals an alias.
    Alias,
    /// A pg_trgm score at or above the threshold.
    Fuzzy,
    /// Nothing matched.
    None,
}

impl Method {
    /// `exact`, `alias`, `fuzzy` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::Alias => "alias",
            Method::Fuzzy => "fuzzy",
            Method::None => "none",
        }
    }
}

/// The outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    /// One brand, confidently.
    Resolved,
    /// Several brands fit (a shared alias, or a runner-up within the margin): a person decides.
    Ambiguous,
    /// No brand (see the decision's `reason`).
    Unresolved,
}

impl Status {
    /// `resolved`, `ambiguous` or `unresolved`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Resolved => "resolved",
            Status::Ambiguous => "ambiguous",
            Status::Unresolved => "unresolved",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A candidate brand with its best-scoring catalog text.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Candidate {
    /// Brand id.
    pub brand_id: i64,
    /// Brand name.
    pub brand_name: String,
    /// The catalog text that scored (the name or an alias), as loaded.
    pub matched_text: String,
    /// Its alias type (`Canonical` for the name).
    pub alias_type: AliasType,
    /// The score (1 for exact and alias matches).
    pub score: f32,
    /// The threshold this candidate had to reach.
    pub threshold: f64,
}

/// Everything the resolver decided about one input, and why.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Decision {
    /// The raw input, never altered.
    pub input: String,
    /// The input after the catalog's normaliser.
    pub normalized: String,
    /// Quantities pulled out of the input.
    pub quantities: Vec<Quantity>,
    /// Which rule decided.
    pub method: Method,
    /// The outcome.
    pub status: Status,
    /// The chosen brand (`resolved`), or the leading one (`ambiguous`).
    pub brand_id: Option<i64>,
    /// Its name.
    pub brand_name: Option<String>,
    /// The catalog text that matched.
    pub matched_text: Option<String>,
    /// The winning score.
    pub score: Option<f32>,
    /// The best other brand.
    pub runner_up: Option<Candidate>,
    /// `score − runner_up.score`.
    pub margin: Option<f32>,
    /// The threshold applied to the winner (its override, else the resolver's).
    pub threshold: f64,
    /// Up to `top_k` candidate brands, best first (score, then alias priority, then id).
    pub candidates: Vec<Candidate>,
    /// Trigrams shared by the normalised input and the matched text (`show_trgm` form).
    pub shared_trigrams: Vec<String>,
    /// Trigrams of the normalised input missing from the matched text.
    pub missing_trigrams: Vec<String>,
    /// Why the decision is not `resolved` (or which tie-break fired), for people.
    pub reason: Option<String>,
    /// [`RESOLVER_VERSION`].
    pub resolver_version: &'static str,
    /// The catalog's fingerprint.
    pub catalog_fingerprint: String,
}

/// A resolver: a catalog, its trigram index and a validated configuration.
///
/// ```
/// use std::sync::Arc;
/// use ces::brands::*;
/// let catalog = Arc::new(Catalog::new(CatalogSpec {
///     brands: vec![
///         BrandRecord { id: 1, name: "Coca-Cola".into(), threshold: None },
///         BrandRecord { id: 2, name: "Datu Puti Vinegar".into(), threshold: None },
///     ],
///     aliases: vec![AliasRecord { brand_id: 1, alias: "Coke".into(), alias_type: AliasType::Variant, threshold: None }],
///     generic_words: vec!["softdrinks".into()],
///     normalizer: NormalizerSpec::default(),
/// })?);
/// let r = Resolver::new(catalog, ResolverConfig::default())?;
/// let d = r.resolve("COCA COLA 1.5L");
/// assert_eq!((d.status, d.method, d.brand_id), (Status::Resolved, Method::Exact, Some(1)));
/// assert_eq!(d.quantities[0].canonical_value, 1500.0);
/// assert_eq!(r.resolve("coke").method, Method::Alias);
/// assert_eq!(r.resolve("Datu Puti Vinegr").method, Method::Fuzzy);
/// assert_eq!(r.resolve("softdrinks").status, Status::Unresolved);
/// assert_eq!(r.resolve("🥤").reason.as_deref(), Some("no letters or digits to match"));
/// # Ok::<(), ces::CesError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Resolver {
    catalog: Arc<Catalog>,
    index: Arc<TrigramIndex>,
    config: ResolverConfig,
    retrieval: f64,
}

impl Resolver {
    /// Builds the index and validates `config` (thresholds in `[0, 1]`, margin ≥ 0, `top_k ≥ 1`).
    pub fn new(catalog: Arc<Catalog>, config: ResolverConfig) -> Result<Self> {
        Threshold::for_field(config.threshold, "threshold")?;
        if let Some(s) = config.suggestion_threshold {
            Threshold::for_field(s, "suggestion_threshold")?;
        }
        if let Some(m) = config.ambiguity_margin
            && (m.is_nan() || !(0.0..=1.0).contains(&m))
        {
            return Err(CesError::InvalidArgument {
                row: Default::default(),
                field: "ambiguity_margin".into(),
                value: m.to_string(),
                reason: "must be a number in [0, 1]".into(),
            });
        }
        if config.top_k == 0 {
            return Err(CesError::InvalidArgument {
                row: Default::default(),
                field: "top_k".into(),
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        let mut retrieval = config.threshold;
        for e in catalog.entries() {
            if let Some(t) = e.threshold {
                retrieval = retrieval.min(t);
            }
        }
        if let Some(s) = config.suggestion_threshold {
            retrieval = retrieval.min(s);
        }
        let index = Arc::new(TrigramIndex::new(catalog.entries()));
        Ok(Resolver {
            catalog,
            index,
            config,
            retrieval,
        })
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The configuration.
    pub fn config(&self) -> &ResolverConfig {
        &self.config
    }

    /// The trigram index.
    pub fn index(&self) -> &TrigramIndex {
        &self.index
    }

    fn candidate(&self, entry: u32, score: f32) -> Candidate {
        let e = &self.catalog.entries()[entry as usize];
        let b = &self.catalog.brands()[e.brand as usize];
        Candidate {
            brand_id: b.id,
            brand_name: b.name.clone(),
            matched_text: e.text.clone(),
            alias_type: e.alias_type,
            score,
            threshold: e.threshold.unwrap_or(self.config.threshold),
        }
    }

    /// Best candidate per brand, ordered by score (desc), alias priority, brand id.
    fn rank(&self, scored: &mut [(f32, u32)]) -> Vec<Candidate> {
        let entries = self.catalog.entries();
        let brands = self.catalog.brands();
        let key = |&(s, e): &(f32, u32)| {
            let en = &entries[e as usize];
            (
                std::cmp::Reverse(s.to_bits()),
                en.alias_type.priority(),
                brands[en.brand as usize].id,
                e,
            )
        };
        // Scores are non-negative, so their bit patterns order like the values.
        scored.sort_unstable_by_key(key);
        let mut seen = std::collections::HashSet::new();
        scored
            .iter()
            .filter(|&&(_, e)| seen.insert(entries[e as usize].brand))
            .map(|&(s, e)| self.candidate(e, s))
            .collect()
    }

    /// Resolves one input.
    pub fn resolve(&self, raw: &str) -> Decision {
        let norm = self.catalog.normalizer().apply(raw);
        let mut d = Decision {
            input: raw.to_owned(),
            normalized: norm.text,
            quantities: norm.quantities,
            method: Method::None,
            status: Status::Unresolved,
            brand_id: None,
            brand_name: None,
            matched_text: None,
            score: None,
            runner_up: None,
            margin: None,
            threshold: self.config.threshold,
            candidates: Vec::new(),
            shared_trigrams: Vec::new(),
            missing_trigrams: Vec::new(),
            reason: None,
            resolver_version: RESOLVER_VERSION,
            catalog_fingerprint: self.catalog.fingerprint().to_owned(),
        };
        let q = TrigramSet::new(&d.normalized);
        if q.is_empty() {
            d.reason = Some(
                if d.input.trim().is_empty() {
                    "empty input"
                } else {
                    "no letters or digits to match"
                }
                .into(),
            );
            return d;
        }
        let generic = self.config.block_generic_words && self.catalog.is_generic(&d.normalized);

        // 1–2. Exact canonical, then exact alias (after normalisation), unless in pg mode.
        let exact = if self.catalog.normalizer().is_identity() {
            &[][..]
        } else {
            self.catalog.exact(&d.normalized)
        };
        if !exact.is_empty() && !generic {
            let mut scored: Vec<(f32, u32)> = exact.iter().map(|&e| (1.0, e)).collect();
            let cands = self.rank(&mut scored);
            let best = &cands[0];
            d.method = if best.alias_type == AliasType::Canonical {
                Method::Exact
            } else {
                Method::Alias
            };
            self.finish(&mut d, &q, cands, true);
            return d;
        }

        // 3. Fuzzy through the index.
        let mut cand = Vec::new();
        self.index
            .candidates(&q, self.retrieval, self.config.metric, &mut cand);
        let entries = self.catalog.entries();
        let mut scored: Vec<(f32, u32)> = Vec::with_capacity(cand.len());
        for &e in &cand {
            let en = &entries[e as usize];
            let s = match self.config.metric {
                Metric::Similarity => q.similarity(&en.set),
                m => m.score(&d.normalized, &en.normalized),
            };
            if f64::from(s) >= self.retrieval {
                scored.push((s, e));
            }
        }
        let cands = self.rank(&mut scored);
        if generic {
            d.reason = Some("generic word: never resolved automatically".into());
            d.candidates = cands.into_iter().take(self.config.top_k).collect();
            return d;
        }
        // The winner is the best candidate that reaches its own threshold (an override can
        // let a lower-ranked brand pass); the others stay as runner-up and candidates.
        let accepts = |c: &Candidate| {
            Threshold::for_field(c.threshold, "threshold").is_ok_and(|t| t.accepts(c.score))
        };
        let Some(win) = cands.iter().position(accepts) else {
            d.reason = Some(match cands.first() {
                Some(c) => format!(
                    "best score {} is below its threshold {}",
                    c.score, c.threshold
                ),
                None => "no catalog text shares enough trigrams".into(),
            });
            d.candidates = cands.into_iter().take(self.config.top_k).collect();
            return d;
        };
        let mut cands = cands;
        let winner = cands.remove(win);
        cands.insert(0, winner);
        d.method = Method::Fuzzy;
        self.finish(&mut d, &q, cands, false);
        d
    }

    /// Fills in the winner, runner-up, status and explanation from ranked candidates.
    fn finish(&self, d: &mut Decision, q: &TrigramSet, cands: Vec<Candidate>, exact: bool) {
        let best = cands[0].clone();
        d.brand_id = Some(best.brand_id);
        d.brand_name = Some(best.brand_name.clone());
        d.matched_text = Some(best.matched_text.clone());
        d.score = Some(best.score);
        d.threshold = best.threshold;
        d.runner_up = cands.get(1).cloned();
        d.margin = d.runner_up.as_ref().map(|r| best.score - r.score);
        d.status = Status::Resolved;
        if exact && cands.len() > 1 {
            d.status = Status::Ambiguous;
            d.reason = Some(format!("the text names {} brands", cands.len()));
        } else if let (Some(m), Some(margin)) = (self.config.ambiguity_margin, d.margin)
            && f64::from(margin) <= m
        {
            d.status = Status::Ambiguous;
            d.reason = Some(format!("runner-up within {m} of the best score"));
        } else if let Some(r) = &d.runner_up
            && r.score == best.score
        {
            d.reason = Some("tie broken by alias priority, then lowest brand id".into());
        }
        // Explanation: shared and missing trigrams against the matched text.
        // The matched text's trigram set, rebuilt from its normalised form (O(text), not a
        // scan of the catalog).
        let matched = TrigramSet::new(&self.catalog.normalizer().apply(&best.matched_text).text);
        for t in q.iter() {
            if matched.contains(t) {
                d.shared_trigrams.push(t.to_string());
            } else {
                d.missing_trigrams.push(t.to_string());
            }
        }
        d.candidates = cands.into_iter().take(self.config.top_k).collect();
    }

    /// Resolves every input, in parallel (see [`crate::parallel`]); the result is the same for
    /// any number of threads. `progress(done, total)` is called from the calling thread after
    /// each chunk.
    pub fn resolve_batch<S: AsRef<str> + Sync>(
        &self,
        inputs: &[S],
        progress: Option<&dyn Fn(usize, usize)>,
    ) -> Vec<Decision> {
        const CHUNK: usize = 4096;
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(CHUNK) {
            out.extend(crate::parallel::map(chunk, |s| self.resolve(s.as_ref())));
            if let Some(p) = progress {
                p(out.len(), inputs.len());
            }
        }
        out
    }
}
