//! The triage queue: unresolved and ambiguous inputs grouped by normalised form, for a
//! person to map (which creates an alias) or ignore.

use std::collections::BTreeMap;

use super::catalog::{AliasRecord, AliasType};
use super::resolve::{Candidate, Decision, Status};
use crate::error::{CesError, Result};

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TriageStatus {
    /// Waiting for a person.
    Open,
    /// Accepted: mapped to a brand (an alias was created).
    Mapped,
    /// Rejected: not a brand, never asked again.
    Ignored,
}

impl TriageStatus {
    /// `open`, `mapped` or `ignored`.
    pub fn name(self) -> &'static str {
        match self {
            TriageStatus::Open => "open",
            TriageStatus::Mapped => "mapped",
            TriageStatus::Ignored => "ignored",
        }
    }
}

/// One distinct normalised input awaiting a decision.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TriageItem {
    /// The normalised form (the key).
    pub normalized: String,
    /// How often it was seen.
    pub count: u64,
    /// First and last time seen (caller's clock, e.g. epoch seconds).
    pub first_seen: i64,
    /// Last time seen.
    pub last_seen: i64,
    /// Up to three raw inputs, as first seen.
    pub samples: Vec<String>,
    /// The resolver's verdict when last seen (`unresolved` or `ambiguous`).
    pub last_status: Status,
    /// Best suggestions (one per brand, best score kept), best first.
    pub suggestions: Vec<Candidate>,
    /// Where the item stands.
    pub status: TriageStatus,
    /// The brand it was mapped to.
    pub mapped_brand_id: Option<i64>,
}

/// The queue. Items are keyed by normalised form; recording the same decisions again only
/// raises counts and `last_seen`.
///
/// ```
/// use std::sync::Arc;
/// use ces::brands::*;
/// let catalog = Arc::new(Catalog::new(CatalogSpec {
///     brands: vec![BrandRecord { id: 7, name: "Kopiko".into(), threshold: None }],
///     ..Default::default()
/// })?);
/// let r = Resolver::new(catalog, ResolverConfig::default())?;
/// let mut q = TriageQueue::default();
/// q.record(&r.resolve("kopico"), 100);
/// q.record(&r.resolve("KOPICO"), 200);
/// let item = q.get("kopico").unwrap();
/// assert_eq!((item.count, item.first_seen, item.last_seen), (2, 100, 200));
/// assert_eq!(item.suggestions[0].brand_id, 7);
/// let alias = q.accept("kopico", 7)?;
/// assert_eq!(alias.alias, "kopico");
/// assert_eq!(q.accept("kopico", 7)?, alias); // idempotent
/// # Ok::<(), ces::CesError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TriageQueue {
    items: BTreeMap<String, TriageItem>,
}

impl TriageQueue {
    /// Adds a decision seen at `seen_at`; resolved decisions and inputs without text are
    /// not queued. Returns whether it was queued.
    pub fn record(&mut self, d: &Decision, seen_at: i64) -> bool {
        if d.status == Status::Resolved || d.normalized.trim().is_empty() {
            return false;
        }
        let item = self
            .items
            .entry(d.normalized.clone())
            .or_insert_with(|| TriageItem {
                normalized: d.normalized.clone(),
                count: 0,
                first_seen: seen_at,
                last_seen: seen_at,
                samples: Vec::new(),
                last_status: d.status,
                suggestions: Vec::new(),
                status: TriageStatus::Open,
                mapped_brand_id: None,
            });
        item.count += 1;
        item.first_seen = item.first_seen.min(seen_at);
        item.last_seen = item.last_seen.max(seen_at);
        item.last_status = d.status;
        if item.samples.len() < 3 && !item.samples.contains(&d.input) {
            item.samples.push(d.input.clone());
        }
        for c in &d.candidates {
            match item
                .suggestions
                .iter_mut()
                .find(|s| s.brand_id == c.brand_id)
            {
                Some(s) if c.score > s.score => *s = c.clone(),
                Some(_) => {}
                None => item.suggestions.push(c.clone()),
            }
        }
        item.suggestions.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.brand_id.cmp(&b.brand_id))
        });
        item.suggestions.truncate(5);
        true
    }

    /// The item for a normalised form.
    pub fn get(&self, normalized: &str) -> Option<&TriageItem> {
        self.items.get(normalized)
    }

    /// Items, most frequent first (then by normalised form).
    pub fn items(&self) -> Vec<&TriageItem> {
        let mut v: Vec<_> = self.items.values().collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.normalized.cmp(&b.normalized)));
        v
    }

    /// Open items only, most frequent first.
    pub fn open(&self) -> Vec<&TriageItem> {
        self.items()
            .into_iter()
            .filter(|i| i.status == TriageStatus::Open)
            .collect()
    }

    fn item_mut(&mut self, normalized: &str) -> Result<&mut TriageItem> {
        self.items
            .get_mut(normalized)
            .ok_or_else(|| CesError::InvalidArgument {
                row: Default::default(),
                field: "normalized".into(),
                value: format!("{normalized:?}"),
                reason: "not in the triage queue".into(),
            })
    }

    /// Maps the item to `brand_id` and returns the alias to add to the catalog (alias text =
    /// the normalised form, type `variant`). Accepting again for the same brand returns the
    /// same alias; a different brand is an error.
    pub fn accept(&mut self, normalized: &str, brand_id: i64) -> Result<AliasRecord> {
        let item = self.item_mut(normalized)?;
        if let Some(prev) = item.mapped_brand_id
            && prev != brand_id
        {
            return Err(CesError::InvalidArgument {
                row: Default::default(),
                field: "brand_id".into(),
                value: brand_id.to_string(),
                reason: format!("{normalized:?} is already mapped to brand {prev}"),
            });
        }
        item.status = TriageStatus::Mapped;
        item.mapped_brand_id = Some(brand_id);
        Ok(AliasRecord {
            brand_id,
            alias: item.normalized.clone(),
            alias_type: AliasType::Variant,
            threshold: None,
        })
    }

    /// Marks the item ignored.
    pub fn reject(&mut self, normalized: &str) -> Result<()> {
        let item = self.item_mut(normalized)?;
        item.status = TriageStatus::Ignored;
        item.mapped_brand_id = None;
        Ok(())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// `true` when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
