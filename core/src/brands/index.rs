//! An inverted trigram index over catalog entries with *exact* pruning: it returns every
//! entry whose pg_trgm score can reach the threshold, and the caller scores them exactly, so
//! results equal a brute-force scan.
//!
//! Pruning (for a query trigram set `Q`, `n = |Q|`, threshold `t`, lowered by 1e-6 to cover
//! the `f32` rounding of the score):
//!
//! * `similarity ≥ t` implies `c ≥ t·n` shared trigrams and `t·n ≤ |M| ≤ n/t` (length
//!   filter); `word_similarity(q, m) ≥ t` implies `c ≥ t·n` (a window's needle trigrams are
//!   a subset of `m`'s).
//! * Prefix filter (frequency-aware candidate generation): an entry sharing at least
//!   `c_min` of the `n` query trigrams appears in at least one of *any* `n − c_min + 1` of
//!   their posting lists, so only the rarest `n − c_min + 1` lists are read.

use super::catalog::Entry;
use crate::trgm::{Metric, Trigram, TrigramSet};

/// Posting lists of trigram → entries, built once per catalog.
#[derive(Clone, Debug, Default)]
pub struct TrigramIndex {
    keys: Vec<Trigram>,
    offsets: Vec<u32>,
    postings: Vec<u32>,
    sizes: Vec<u32>,
}

/// A small slack below the threshold that covers the `f32` rounding of `c / u`.
const SLACK: f64 = 1e-6;

impl TrigramIndex {
    /// Builds the index over `entries` (their trigram sets).
    pub fn new(entries: &[Entry]) -> Self {
        let mut pairs: Vec<(Trigram, u32)> =
            Vec::with_capacity(entries.iter().map(|e| e.set.len()).sum());
        for (i, e) in entries.iter().enumerate() {
            pairs.extend(e.set.iter().map(|t| (t, i as u32)));
        }
        pairs.sort_unstable();
        let mut keys = Vec::new();
        let mut offsets = Vec::new();
        let mut postings = Vec::with_capacity(pairs.len());
        for (t, e) in pairs {
            if keys.last() != Some(&t) {
                keys.push(t);
                offsets.push(postings.len() as u32);
            }
            postings.push(e);
        }
        offsets.push(postings.len() as u32);
        let sizes = entries.iter().map(|e| e.set.len() as u32).collect();
        TrigramIndex {
            keys,
            offsets,
            postings,
            sizes,
        }
    }

    /// Number of distinct trigrams indexed.
    pub fn trigram_count(&self) -> usize {
        self.keys.len()
    }

    /// Heap bytes used by the index.
    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<Trigram>()
            + (self.offsets.capacity() + self.postings.capacity() + self.sizes.capacity()) * 4
    }

    fn list(&self, t: Trigram) -> &[u32] {
        match self.keys.binary_search(&t) {
            Ok(i) => &self.postings[self.offsets[i] as usize..self.offsets[i + 1] as usize],
            Err(_) => &[],
        }
    }

    /// Every entry that *may* score `≥ threshold` against `query` under `metric`, sorted by
    /// entry index, into `out` (cleared first). Entries that cannot are never returned; the
    /// caller computes the exact score of each candidate.
    pub fn candidates(
        &self,
        query: &TrigramSet,
        threshold: f64,
        metric: Metric,
        out: &mut Vec<u32>,
    ) {
        out.clear();
        let n = query.len();
        let t = threshold - SLACK;
        if t <= 0.0 {
            // Everything can pass a zero threshold.
            out.extend(0..self.sizes.len() as u32);
            return;
        }
        if n == 0 {
            return;
        }
        let c_min = ((t * n as f64) - 1e-9).ceil().max(1.0) as usize;
        if c_min > n {
            return;
        }
        let mut lists: Vec<&[u32]> = query.iter().map(|q| self.list(q)).collect();
        lists.sort_by_key(|l| l.len());
        let prefix = n - c_min + 1;
        for l in &lists[..prefix] {
            out.extend_from_slice(l);
        }
        out.sort_unstable();
        out.dedup();
        if metric == Metric::Similarity {
            let lo = ((t * n as f64) - 1e-9).ceil() as u32;
            let hi = ((n as f64 / t) + 1e-9).floor().min(u32::MAX as f64) as u32;
            out.retain(|&e| (lo..=hi).contains(&self.sizes[e as usize]));
        }
    }
}
