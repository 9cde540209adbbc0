//! The brand catalog: master brands, their aliases, threshold overrides and generic words,
//! validated once and normalised with the catalog's own normaliser.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

use super::normalize::{Normalizer, NormalizerSpec};
use crate::error::{CesError, Result, Row};
use crate::trgm::TrigramSet;

/// How an alias relates to its brand. The order of the variants is the tie-break priority
/// (a canonical name beats a variant, which beats a misspelling, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AliasType {
    /// The brand's own name.
    Canonical,
    /// Another way of writing the name.
    #[default]
    Variant,
    /// The full legal or long name.
    FullName,
    /// The name in capitals.
    Uppercase,
    /// A short form (`P&G`).
    Abbreviation,
    /// A stock ticker.
    Ticker,
    /// A common misspelling.
    Misspelling,
    /// A spelling by sound, as speech-to-text writes it.
    Phonetic,
}

impl AliasType {
    /// Every alias type, in priority order.
    pub const ALL: [AliasType; 8] = [
        AliasType::Canonical,
        AliasType::Variant,
        AliasType::FullName,
        AliasType::Uppercase,
        AliasType::Abbreviation,
        AliasType::Ticker,
        AliasType::Misspelling,
        AliasType::Phonetic,
    ];

    /// The stored name (`canonical`, `variant`, `full_name`, …).
    pub fn name(self) -> &'static str {
        match self {
            AliasType::Canonical => "canonical",
            AliasType::Variant => "variant",
            AliasType::FullName => "full_name",
            AliasType::Uppercase => "uppercase",
            AliasType::Abbreviation => "abbreviation",
            AliasType::Ticker => "ticker",
            AliasType::Misspelling => "misspelling",
            AliasType::Phonetic => "phonetic",
        }
    }

    /// Tie-break priority: lower wins.
    pub fn priority(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for AliasType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AliasType {
    type Err = CesError;
    fn from_str(s: &str) -> Result<Self> {
        AliasType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| CesError::InvalidArgument {
                row: Row(None),
                field: "alias_type".into(),
                value: format!("{s:?}"),
                reason: format!(
                    "expected one of {}",
                    AliasType::ALL.map(AliasType::name).join(", ")
                ),
            })
    }
}

/// A master brand as loaded (from `masterdata.brands` or a file).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BrandRecord {
    /// The brand's id (the database key).
    pub id: i64,
    /// The canonical name.
    pub name: String,
    /// A threshold for this brand's fuzzy matches, overriding the resolver's.
    pub threshold: Option<f64>,
}

/// An alias as loaded (from `masterdata.brand_aliases` or a file).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AliasRecord {
    /// The brand it points to. The same alias text may point to several brands (it then
    /// resolves as `ambiguous`).
    pub brand_id: i64,
    /// The alias text.
    pub alias: String,
    /// How it relates to the brand.
    pub alias_type: AliasType,
    /// A threshold for fuzzy matches of this alias, overriding the brand's and the resolver's.
    pub threshold: Option<f64>,
}

/// Everything a catalog is built from (data: serialisable; a [`Catalog`] can be rebuilt from
/// it, which is how the bindings pickle one).
#[derive(Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CatalogSpec {
    /// Master brands.
    pub brands: Vec<BrandRecord>,
    /// Aliases.
    pub aliases: Vec<AliasRecord>,
    /// Words that must never resolve automatically (`softdrinks`, `shampoo`, `load`, commodity
    /// words): an input whose normalised text is one of them is `unresolved`, with the best
    /// candidates kept as suggestions.
    pub generic_words: Vec<String>,
    /// The catalog's normaliser, applied to catalog texts and to every input.
    pub normalizer: NormalizerSpec,
}

/// One matchable text of the catalog: a brand's name or one of its aliases.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Index of the brand in [`Catalog::brands`].
    pub brand: u32,
    /// The text as loaded.
    pub text: String,
    /// The text after the catalog's normaliser.
    pub normalized: String,
    /// `Canonical` for a brand's name.
    pub alias_type: AliasType,
    /// The effective threshold override (alias, else brand), if any.
    pub threshold: Option<f64>,
    /// Trigram set of `normalized`.
    pub set: TrigramSet,
}

/// A validated, normalised catalog. Build once, share (`Arc`) across resolvers and threads.
///
/// ```
/// use ces::brands::{AliasRecord, AliasType, BrandRecord, Catalog, CatalogSpec};
/// let spec = CatalogSpec {
///     brands: vec![BrandRecord { id: 1, name: "Coca-Cola".into(), threshold: None }],
///     aliases: vec![AliasRecord { brand_id: 1, alias: "Coke".into(), alias_type: AliasType::Variant, threshold: None }],
///     generic_words: vec!["softdrinks".into()],
///     ..Default::default()
/// };
/// let catalog = Catalog::new(spec)?;
/// assert_eq!(catalog.entries().len(), 2);
/// assert_eq!(catalog.fingerprint().len(), 16);
///
/// let bad = CatalogSpec {
///     brands: vec![],
///     aliases: vec![AliasRecord { brand_id: 9, alias: "x".into(), alias_type: AliasType::Variant, threshold: None }],
///     ..Default::default()
/// };
/// let err = Catalog::new(bad).unwrap_err();
/// assert_eq!(err.to_string(), "row 0: invalid value for `aliases.brand_id`: 9 (no brand has this id)");
/// # Ok::<(), ces::CesError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Catalog {
    spec: CatalogSpec,
    normalizer: Normalizer,
    entries: Vec<Entry>,
    by_id: HashMap<i64, u32>,
    exact: HashMap<String, Vec<u32>>,
    generic: BTreeSet<String>,
    fingerprint: String,
}

fn check_threshold(value: Option<f64>, row: usize, field: &str) -> Result<()> {
    match value {
        Some(t) if t.is_nan() || !(0.0..=1.0).contains(&t) => Err(CesError::InvalidArgument {
            row: Row(Some(row as u64)),
            field: field.into(),
            value: t.to_string(),
            reason: "a threshold must be a number in [0, 1]".into(),
        }),
        _ => Ok(()),
    }
}

/// FNV-1a, 64 bits: a small stable hash for fingerprints (not for security).
fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

impl Catalog {
    /// Validates and normalises `spec`. Errors name the row (position in `brands` or
    /// `aliases`) and field: duplicate brand ids, empty names, aliases to missing brands,
    /// thresholds outside `[0, 1]`, invalid normaliser steps.
    pub fn new(spec: CatalogSpec) -> Result<Catalog> {
        let normalizer = spec.normalizer.build()?;
        let mut by_id = HashMap::with_capacity(spec.brands.len());
        for (row, b) in spec.brands.iter().enumerate() {
            if let Some(first) = by_id.insert(b.id, row as u32) {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "brands.id".into(),
                    value: b.id.to_string(),
                    reason: format!("duplicate brand id (first at row {first})"),
                });
            }
            if b.name.trim().is_empty() {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "brands.name".into(),
                    value: format!("{:?}", b.name),
                    reason: "a brand needs a non-blank name".into(),
                });
            }
            check_threshold(b.threshold, row, "brands.threshold")?;
        }
        for (row, a) in spec.aliases.iter().enumerate() {
            if !by_id.contains_key(&a.brand_id) {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "aliases.brand_id".into(),
                    value: a.brand_id.to_string(),
                    reason: "no brand has this id".into(),
                });
            }
            if a.alias.trim().is_empty() {
                return Err(CesError::InvalidArgument {
                    row: Row(Some(row as u64)),
                    field: "aliases.alias".into(),
                    value: format!("{:?}", a.alias),
                    reason: "an alias needs a non-blank text".into(),
                });
            }
            check_threshold(a.threshold, row, "aliases.threshold")?;
        }

        let mut entries = Vec::with_capacity(spec.brands.len() + spec.aliases.len());
        let mut seen: HashMap<(u32, String), ()> = HashMap::new();
        let mut push = |brand: u32, text: &str, alias_type: AliasType, threshold: Option<f64>| {
            let normalized = normalizer.apply(text).text;
            if seen.insert((brand, normalized.clone()), ()).is_some() {
                return; // the same brand reachable twice by one text: keep the first (highest priority)
            }
            let set = TrigramSet::new(&normalized);
            entries.push(Entry {
                brand,
                text: text.to_owned(),
                normalized,
                alias_type,
                threshold,
                set,
            });
        };
        for (i, b) in spec.brands.iter().enumerate() {
            push(i as u32, &b.name, AliasType::Canonical, b.threshold);
        }
        // Aliases in priority order, so the surviving duplicate is the strongest.
        let mut order: Vec<usize> = (0..spec.aliases.len()).collect();
        order.sort_by_key(|&i| spec.aliases[i].alias_type);
        for i in order {
            let a = &spec.aliases[i];
            let brand = by_id[&a.brand_id];
            push(
                brand,
                &a.alias,
                a.alias_type,
                a.threshold.or(spec.brands[brand as usize].threshold),
            );
        }
        let mut exact: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if !e.normalized.is_empty() {
                exact
                    .entry(e.normalized.clone())
                    .or_default()
                    .push(i as u32);
            }
        }
        let generic: BTreeSet<String> = spec
            .generic_words
            .iter()
            .map(|w| normalizer.apply(w).text)
            .filter(|w| !w.is_empty())
            .collect();

        // Fingerprint: normaliser, brands, aliases and generic words in a canonical order.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for s in &spec.normalizer.steps {
            fnv1a(&mut h, s.name().as_bytes());
            fnv1a(&mut h, &[0]);
        }
        let mut brands: Vec<_> = spec
            .brands
            .iter()
            .map(|b| (b.id, &b.name, b.threshold.map(f64::to_bits)))
            .collect();
        brands.sort();
        for (id, name, t) in brands {
            fnv1a(&mut h, &id.to_le_bytes());
            fnv1a(&mut h, name.as_bytes());
            fnv1a(&mut h, &t.unwrap_or(u64::MAX).to_le_bytes());
        }
        let mut aliases: Vec<_> = spec
            .aliases
            .iter()
            .map(|a| {
                (
                    a.brand_id,
                    &a.alias,
                    a.alias_type,
                    a.threshold.map(f64::to_bits),
                )
            })
            .collect();
        aliases.sort();
        for (id, alias, kind, t) in aliases {
            fnv1a(&mut h, &id.to_le_bytes());
            fnv1a(&mut h, alias.as_bytes());
            fnv1a(&mut h, kind.name().as_bytes());
            fnv1a(&mut h, &t.unwrap_or(u64::MAX).to_le_bytes());
        }
        for w in &generic {
            fnv1a(&mut h, w.as_bytes());
            fnv1a(&mut h, &[0]);
        }
        Ok(Catalog {
            spec,
            normalizer,
            entries,
            by_id,
            exact,
            generic,
            fingerprint: format!("{h:016x}"),
        })
    }

    /// The spec the catalog was built from.
    pub fn spec(&self) -> &CatalogSpec {
        &self.spec
    }

    /// The brands, in load order.
    pub fn brands(&self) -> &[BrandRecord] {
        &self.spec.brands
    }

    /// The brand with this id.
    pub fn brand(&self, id: i64) -> Option<&BrandRecord> {
        self.by_id.get(&id).map(|&i| &self.spec.brands[i as usize])
    }

    /// Every matchable text (brand names first, then aliases by priority).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The catalog's normaliser.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Entries whose normalised text is exactly `normalized`.
    pub fn exact(&self, normalized: &str) -> &[u32] {
        self.exact.get(normalized).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Is `normalized` one of the generic words?
    pub fn is_generic(&self, normalized: &str) -> bool {
        self.generic.contains(normalized)
    }

    /// A stable 16-hex-digit fingerprint of the catalog's content and normaliser, recorded in
    /// every decision.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}
