//! An inverted trigram index over catalog entries with *exact* pruning: it returns every
//! entry whose pg_trgm score can reach the threshold, and the caller scores them exactly, so
//! results equal a brute-force scan.
//!
//! Bounds (for a query trigram set `Q`, `n = |Q|`, an entry set `M`, `m = |M|`, `c = |Q ∩ M|`,
//! threshold `t` lowered by 1e-6 to cover the `f32` rounding of the score):
//!
//! * `similarity ≥ t` ⇔ `c / (n + m − c) ≥ t` ⇔ `c ≥ c(m) = t·(n + m) / (1 + t)`, which also
//!   implies `t·n ≤ m ≤ n/t` (length filter); `word_similarity(q, m) ≥ t` implies `c ≥ t·n`
//!   (a window's needle trigrams are a subset of `m`'s).
//! * Prefix filter (Chaudhuri et al. 2006; Bayardo et al. 2007): order all trigrams once,
//!   rarest first (by posting-list length, then key). If `|Q ∩ M| ≥ c`, the smallest shared
//!   trigram is among the first `n − c + 1` of `Q` *and* among the first `m − c + 1` of `M`.
//!   Each posting records the trigram's position in its entry's ordered set, and posting
//!   lists are sorted by that position, so a query reads only its first few lists and, in
//!   each, only the postings of entries for which that trigram is itself in their prefix:
//!   the long lists of frequent trigrams (`␣␣c`, `ml␣`) are hardly touched.
//! * Size order: entries are numbered internally by set size, so within one position of one
//!   list the sizes that can still qualify (`c(m)` grows with `m`: the query prefix shrinks
//!   and the entry prefix grows) are one contiguous run of postings, found by binary search
//!   and taken whole, and an entry's ranks are found from its number and size alone.
//! * Verification: each candidate (marked once in a per-thread bit set) has its trigrams
//!   checked, rarest first, against a dense query mask, stopping as soon as more are missing
//!   than its size allows; only entries with `c ≥ c(m)` (similarity) or `c ≥ t·n` (word
//!   similarities) are returned.

use std::cell::RefCell;

use super::catalog::Entry;
use crate::trgm::{Metric, Trigram, TrigramSet};

/// Each entry's trigram ranks, ascending, in internal (size) order: 16 bits while the index
/// has at most 65,536 distinct trigrams (half the memory and cache lines), else 32.
#[derive(Clone, Debug)]
enum Forward {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Forward {
    fn default() -> Self {
        Forward::U16(Vec::new())
    }
}

/// Posting lists of trigram → entries, built once per catalog.
#[derive(Clone, Debug, Default)]
pub struct TrigramIndex {
    /// Distinct trigrams, sorted (for lookups).
    keys: Vec<Trigram>,
    /// Rank of `keys[i]` in the global order (rarest first, then by key).
    ranks: Vec<u32>,
    /// Posting list of rank `r`: `postings[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<u32>,
    /// Internal entry numbers, each list sorted by position (of the list's trigram in the
    /// entry's rank-ordered set), then number.
    postings: Vec<u32>,
    /// Position groups of list `r`: `groups[group_offsets[r]..group_offsets[r + 1]]`, each the
    /// position (saturating at 255: all larger positions form one group) and the group's
    /// first posting; a group ends where the next starts (a sentinel closes the last list).
    group_offsets: Vec<u32>,
    group_pos: Vec<u8>,
    group_start: Vec<u32>,
    /// Internal number → entry index. Internal numbers order entries by (set size, index).
    entry_of: Vec<u32>,
    /// `by_size[m]`: the first internal number of an entry of size `≥ m` (`m = 0..=max + 1`).
    by_size: Vec<u32>,
    /// `fwd_start[m]`: where the ranks of the entries of size `m` start in `forward`.
    fwd_start: Vec<usize>,
    /// The ranks of every entry, ascending, entry after entry in internal order.
    forward: Forward,
}

/// A small slack below the threshold that covers the `f32` rounding of `c / u`.
const SLACK: f64 = 1e-6;

/// Generalised prefix filter: with both prefixes `HITS − 1` longer, an entry that can qualify
/// is hit at least `HITS` times (or `c` times when `c < HITS`), so entries hit fewer times are
/// dropped without reading their trigrams.
const HITS: usize = 2;

/// Per-thread buffers reused across queries.
#[derive(Default)]
struct Scratch {
    /// `hits[i]`: how many of the read postings are internal entry `i`'s (cleared through
    /// `cand`).
    hits: Vec<u8>,
    /// `mask[r] == epoch`: rank `r` is in the current query.
    mask: Vec<u32>,
    epoch: u32,
    ranks: Vec<u32>,
    /// Candidates: internal number and size.
    cand: Vec<(u32, u32)>,
    /// Per entry size `m` in `lo..=hi`: (query prefix, entry prefix, minimum shared count,
    /// minimum hits).
    table: Vec<(u32, u32, u32, u32)>,
}

impl Scratch {
    /// Starts a query: clean marks, a fresh epoch, buffers large enough for `entries` and
    /// `trigrams`.
    fn begin(&mut self, entries: usize, trigrams: usize) -> u32 {
        for &(i, _) in &self.cand {
            self.hits[i as usize] = 0;
        }
        self.cand.clear();
        if self.hits.len() < entries {
            self.hits.resize(entries, 0);
        }
        if self.mask.len() < trigrams {
            self.mask.resize(trigrams, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.mask.fill(0);
            self.epoch = 1;
        }
        self.ranks.clear();
        self.table.clear();
        self.epoch
    }

    /// Counts a hit of internal entry `i` of size `m`, a new candidate on its first.
    #[inline]
    fn hit(&mut self, i: u32, m: u32) {
        let h = &mut self.hits[i as usize];
        if *h == 0 {
            self.cand.push((i, m));
        }
        *h = h.saturating_add(1);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// `ceil(x)` with a tiny tolerance downwards (never larger than the exact bound), at least 1.
#[inline]
fn ceil_min1(x: f64) -> usize {
    (x - 1e-9).ceil().max(1.0) as usize
}

/// Do the ranks `fwd` include at least `need` marked in `mask`? Rarest first, stopping as soon
/// as too many are missing.
#[inline]
fn shares_at_least<T: Copy + Into<u32>>(fwd: &[T], need: usize, mask: &[u32], epoch: u32) -> bool {
    let Some(mut allowed) = fwd.len().checked_sub(need) else {
        return false;
    };
    for &r in fwd {
        if mask[r.into() as usize] != epoch {
            if allowed == 0 {
                return false;
            }
            allowed -= 1;
        }
    }
    true
}

impl TrigramIndex {
    /// Builds the index over `entries` (their trigram sets).
    pub fn new(entries: &[Entry]) -> Self {
        Self::build(entries, false)
    }

    /// `new`, with 32-bit forward ranks whatever the number of trigrams when `wide`.
    fn build(entries: &[Entry], wide: bool) -> Self {
        let total: usize = entries.iter().map(|e| e.set.len()).sum();
        assert!(
            total < u32::MAX as usize && entries.len() < u32::MAX as usize,
            "a trigram index holds fewer than 2^32 postings"
        );
        // Distinct keys and how many entries hold each.
        let mut keys: Vec<Trigram> = entries.iter().flat_map(|e| e.set.iter()).collect();
        keys.sort_unstable();
        let mut freq: Vec<u32> = Vec::new();
        let mut w = 0;
        for i in 0..keys.len() {
            if w > 0 && keys[w - 1] == keys[i] {
                freq[w - 1] += 1;
            } else {
                keys[w] = keys[i];
                freq.push(1);
                w += 1;
            }
        }
        keys.truncate(w);
        keys.shrink_to_fit();
        // Global order: rarest first, then by key (keys are sorted, so by index).
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_by_key(|&i| (freq[i as usize], i));
        let mut ranks = vec![0u32; keys.len()];
        let mut offsets = Vec::with_capacity(keys.len() + 1);
        let mut acc = 0u32;
        for (r, &i) in order.iter().enumerate() {
            ranks[i as usize] = r as u32;
            offsets.push(acc);
            acc += freq[i as usize];
        }
        offsets.push(acc);
        drop((order, freq));

        // Internal order: by size, then index.
        let size = |e: u32| entries[e as usize].set.len();
        let mut entry_of: Vec<u32> = (0..entries.len() as u32).collect();
        entry_of.sort_by_key(|&e| (size(e), e));
        let max_size = entry_of.last().map_or(0, |&e| size(e));
        let mut by_size = Vec::with_capacity(max_size + 2);
        let mut fwd_start = Vec::with_capacity(max_size + 2);
        let (mut i, mut at) = (0usize, 0usize);
        for m in 0..=max_size + 1 {
            by_size.push(i as u32);
            fwd_start.push(at);
            while i < entry_of.len() && size(entry_of[i]) == m {
                i += 1;
                at += m;
            }
        }

        // Forward lists: each entry's ranks, ascending, in internal order.
        let mut forward: Vec<u32> = Vec::with_capacity(total);
        for &e in &entry_of {
            let start = forward.len();
            forward.extend(entries[e as usize].set.iter().map(|t| {
                let k = keys
                    .binary_search(&t)
                    .expect("every entry trigram is a key");
                ranks[k]
            }));
            forward[start..].sort_unstable();
        }

        // Posting lists sorted by position, then internal number: position by position, over
        // the entries long enough to have it (a suffix of the internal order).
        let mut cursor: Vec<u32> = offsets[..keys.len()].to_vec();
        let mut postings = vec![0u32; total];
        let mut positions = vec![0u8; total];
        for p in 0..max_size {
            for m in p + 1..=max_size {
                let first = by_size[m] as usize;
                for (k, id) in (first..by_size[m + 1] as usize).enumerate() {
                    let r = forward[fwd_start[m] + k * m + p] as usize;
                    let at = cursor[r] as usize;
                    postings[at] = id as u32;
                    positions[at] = p.min(255) as u8;
                    cursor[r] += 1;
                }
            }
        }
        drop(cursor);
        // The position groups; the saturated one (positions ≥ 255) re-sorted by number.
        let mut group_offsets = Vec::with_capacity(keys.len() + 1);
        let mut group_pos = Vec::new();
        let mut group_start = Vec::new();
        for r in 0..keys.len() {
            group_offsets.push(group_pos.len() as u32);
            let (a, b) = (offsets[r] as usize, offsets[r + 1] as usize);
            let mut i = a;
            while i < b {
                let mut j = i + 1;
                while j < b && positions[j] == positions[i] {
                    j += 1;
                }
                if positions[i] == 255 {
                    postings[i..j].sort_unstable();
                }
                group_pos.push(positions[i]);
                group_start.push(i as u32);
                i = j;
            }
        }
        group_offsets.push(group_pos.len() as u32);
        group_start.push(total as u32);
        drop(positions);
        let forward = if keys.len() <= 1 << 16 && !wide {
            Forward::U16(forward.into_iter().map(|r| r as u16).collect())
        } else {
            Forward::U32(forward)
        };
        TrigramIndex {
            keys,
            ranks,
            offsets,
            postings,
            group_offsets,
            group_pos,
            group_start,
            entry_of,
            by_size,
            fwd_start,
            forward,
        }
    }

    /// Number of distinct trigrams indexed.
    pub fn trigram_count(&self) -> usize {
        self.keys.len()
    }

    /// Heap bytes used by the index.
    pub fn heap_bytes(&self) -> usize {
        let forward = match &self.forward {
            Forward::U16(v) => v.capacity() * 2,
            Forward::U32(v) => v.capacity() * 4,
        };
        self.keys.capacity() * std::mem::size_of::<Trigram>()
            + (self.ranks.capacity()
                + self.offsets.capacity()
                + self.postings.capacity()
                + self.group_offsets.capacity()
                + self.group_start.capacity()
                + self.entry_of.capacity()
                + self.by_size.capacity())
                * 4
            + self.fwd_start.capacity() * std::mem::size_of::<usize>()
            + self.group_pos.capacity()
            + forward
    }

    fn entries(&self) -> usize {
        self.entry_of.len()
    }

    fn max_size(&self) -> usize {
        self.by_size.len().saturating_sub(2)
    }

    /// Size of internal entry `i`.
    fn size_of(&self, i: u32) -> u32 {
        (self.by_size.partition_point(|&b| b <= i) - 1) as u32
    }

    fn list(&self, rank: u32) -> &[u32] {
        let (a, b) = (
            self.offsets[rank as usize] as usize,
            self.offsets[rank as usize + 1] as usize,
        );
        &self.postings[a..b]
    }

    /// Keeps the candidates of `s` hit at least `need(size).1` times that share at least
    /// `need(size).0` trigrams with the query.
    fn verify(
        &self,
        s: &mut Scratch,
        epoch: u32,
        need: impl Fn(usize) -> (usize, usize),
        out: &mut Vec<u32>,
    ) {
        let span = |i: u32, m: u32| {
            let m = m as usize;
            let a = self.fwd_start[m] + (i - self.by_size[m]) as usize * m;
            (a, a + m)
        };
        // Drop the candidates hit too few times (keeping them in `cand` to clear their hits).
        let mut kept = s.cand.len();
        let mut k = 0;
        while k < kept {
            let (i, m) = s.cand[k];
            if (s.hits[i as usize] as usize) < need(m as usize).1 {
                kept -= 1;
                s.cand.swap(k, kept);
            } else {
                k += 1;
            }
        }
        let cand = &s.cand[..kept];
        // Touch every candidate's ranks first: independent loads whose cache misses overlap,
        // instead of one miss at a time behind the verification's branches.
        let mut touch = 0u32;
        for &(i, m) in cand {
            let (a, b) = span(i, m);
            if a < b {
                touch = touch.wrapping_add(match &self.forward {
                    Forward::U16(v) => u32::from(v[a]),
                    Forward::U32(v) => v[a],
                });
            }
        }
        std::hint::black_box(touch);
        for &(i, m) in cand {
            let (a, b) = span(i, m);
            let c = need(b - a).0;
            let ok = match &self.forward {
                Forward::U16(v) => shares_at_least(&v[a..b], c, &s.mask, epoch),
                Forward::U32(v) => shares_at_least(&v[a..b], c, &s.mask, epoch),
            };
            if ok {
                out.push(self.entry_of[i as usize]);
            }
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
            out.extend(0..self.entries() as u32);
            return;
        }
        if n == 0 || self.entries() == 0 {
            return;
        }
        with_scratch(|s| self.candidates_in(s, query, t, metric, out));
        out.sort_unstable();
    }

    fn candidates_in(
        &self,
        s: &mut Scratch,
        query: &TrigramSet,
        t: f64,
        metric: Metric,
        out: &mut Vec<u32>,
    ) {
        let n = query.len();
        let epoch = s.begin(self.entries(), self.keys.len());
        // The query's trigrams in the global order: absent ones (held by no entry) first.
        for q in query.iter() {
            if let Ok(i) = self.keys.binary_search(&q) {
                s.ranks.push(self.ranks[i]);
            }
        }
        s.ranks.sort_unstable();
        let missing = n - s.ranks.len();
        for &r in &s.ranks {
            s.mask[r as usize] = epoch;
        }

        if metric == Metric::Similarity {
            // Size range and, per size, the prefixes and the minimum shared count. `c(m)`
            // never decreases with `m` and grows by at most 1 per step, so the query prefix
            // never grows and the entry prefix never shrinks with `m`.
            let lo = ceil_min1(t * n as f64);
            let hi = ((n as f64 / t + 1e-9).floor() as usize).min(self.max_size());
            let mut q_prefix = 0usize;
            for m in lo..=hi {
                let c = ceil_min1(t * (n + m) as f64 / (1.0 + t));
                let row = if c > n.min(m) || c > n - missing {
                    (0, 0, u32::MAX, u32::MAX)
                } else {
                    let k = HITS.min(c);
                    q_prefix = q_prefix.max(n - c + k);
                    ((n - c + k) as u32, (m - c + k) as u32, c as u32, k as u32)
                };
                s.table.push(row);
            }
            for j in missing..q_prefix.min(n) {
                let rank = s.ranks[j - missing] as usize;
                // Sizes whose query prefix still includes `j`: `m ≤ m_hi`.
                let Some(m_hi) = (lo..=hi).rev().find(|&m| s.table[m - lo].0 as usize > j) else {
                    continue;
                };
                for g in self.group_offsets[rank] as usize..self.group_offsets[rank + 1] as usize {
                    let p = u32::from(self.group_pos[g]);
                    // Sizes whose entry prefix includes position `p`: `m ≥ m_lo`. (The
                    // saturated group stands for every position ≥ 255: read if 255 qualifies.)
                    let Some(m_lo) = (lo..=m_hi).find(|&m| {
                        let (qp, ep, _, _) = s.table[m - lo];
                        (j as u32) < qp && p < ep
                    }) else {
                        // Larger positions need larger entry prefixes, which no size has.
                        if (lo..=m_hi).all(|m| s.table[m - lo].1 <= p) {
                            break;
                        }
                        continue;
                    };
                    debug_assert!((m_lo..=m_hi).all(|m| {
                        let (qp, ep, _, _) = s.table[m - lo];
                        (j as u32) < qp && p < ep
                    }));
                    let group = &self.postings
                        [self.group_start[g] as usize..self.group_start[g + 1] as usize];
                    let a = group.partition_point(|&i| i < self.by_size[m_lo]);
                    let b = a + group[a..].partition_point(|&i| i < self.by_size[m_hi + 1]);
                    let mut m = m_lo;
                    for &i in &group[a..b] {
                        while i >= self.by_size[m + 1] {
                            m += 1;
                        }
                        s.hit(i, m as u32);
                    }
                }
            }
            let table = std::mem::take(&mut s.table);
            self.verify(
                s,
                epoch,
                |m| {
                    let row = table[m - lo];
                    (row.2 as usize, row.3 as usize)
                },
                out,
            );
            s.table = table;
        } else {
            // Word similarities: only `c ≥ t·n`; entries may be of any length.
            let c_min = ceil_min1(t * n as f64);
            if c_min > n - missing {
                return;
            }
            let k = HITS.min(c_min);
            let q_prefix = n - c_min + k;
            for j in missing..q_prefix.min(n) {
                for &i in self.list(s.ranks[j - missing]) {
                    s.hit(i, self.size_of(i));
                }
            }
            self.verify(s, epoch, |_| (c_min, k), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brands::AliasType;
    use crate::rng::Rng;
    use crate::trgm::Threshold;

    fn entry(text: &str) -> Entry {
        Entry {
            brand: 0,
            text: text.to_owned(),
            normalized: text.to_owned(),
            alias_type: AliasType::Canonical,
            threshold: None,
            set: TrigramSet::new(text),
        }
    }

    fn word(rng: &mut Rng) -> String {
        const PARTS: &[&str] = &[
            "ka", "lo", "ma", "ri", "su", "é", "ñ", "可", "ко", "x", "7", "ab", "st", "oo",
        ];
        (0..1 + rng.below(4)).map(|_| *rng.pick(PARTS)).collect()
    }

    fn text(rng: &mut Rng) -> String {
        let words = match rng.below(20) {
            0 => 0,
            1 => 90 + rng.below(40), // long: more than 255 trigrams, positions saturate
            _ => 1 + rng.below(6),
        };
        let mut s: Vec<String> = (0..words).map(|_| word(rng)).collect();
        if rng.chance(0.05) {
            s.push("!!".into());
        }
        s.join(" ")
    }

    fn mutate(rng: &mut Rng, s: &str) -> String {
        let mut words: Vec<String> = s.split(' ').map(str::to_owned).collect();
        for _ in 0..rng.below(3) {
            let i = rng.below(words.len());
            match rng.below(3) {
                0 if words.len() > 1 => {
                    words.remove(i);
                }
                1 => words.insert(i, word(rng)),
                _ => words[i] = word(rng),
            }
        }
        words.join(" ")
    }

    /// Candidates (after exact scoring) equal a brute-force scan, for both forward widths,
    /// every metric, and thresholds from 0 to 1, with empty, tiny, non-ASCII and very long
    /// entries.
    #[test]
    fn candidates_equal_brute_force() {
        let mut rng = Rng::new(5);
        let mut texts: Vec<String> = (0..600).map(|_| text(&mut rng)).collect();
        texts.push(String::new());
        texts.push("a".into());
        let entries: Vec<Entry> = texts.iter().map(|t| entry(t)).collect();
        let mut out = Vec::new();
        let mut matched = 0usize;
        for wide in [false, true] {
            let index = TrigramIndex::build(&entries, wide);
            assert_eq!(matches!(index.forward, Forward::U32(_)), wide);
            for _ in 0..100 {
                let q = if rng.chance(0.7) {
                    let base = rng.pick(&texts).clone();
                    mutate(&mut rng, &base)
                } else {
                    text(&mut rng)
                };
                let qs = TrigramSet::new(&q);
                for metric in Metric::ALL {
                    let scores: Vec<f32> = entries
                        .iter()
                        .map(|e| match metric {
                            Metric::Similarity => qs.similarity(&e.set),
                            m => m.score(&q, &e.normalized),
                        })
                        .collect();
                    for t in [0.0, 0.05, 0.3, 0.5, 0.6, 0.72, 0.8, 0.95, 1.0] {
                        let th = Threshold::new(t).unwrap();
                        index.candidates(&qs, t, metric, &mut out);
                        assert!(out.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
                        let found: Vec<u32> = out
                            .iter()
                            .copied()
                            .filter(|&e| th.accepts(scores[e as usize]))
                            .collect();
                        let brute: Vec<u32> = (0..entries.len() as u32)
                            .filter(|&e| th.accepts(scores[e as usize]))
                            .collect();
                        assert_eq!(found, brute, "{q:?} {metric} {t} wide={wide}");
                        matched += brute.len();
                    }
                }
            }
        }
        assert!(matched > 5_000, "{matched}");
    }

    #[test]
    fn empty_index_and_query() {
        let index = TrigramIndex::new(&[]);
        let mut out = vec![7];
        index.candidates(&TrigramSet::new("abc"), 0.5, Metric::Similarity, &mut out);
        assert!(out.is_empty());
        let index = TrigramIndex::new(&[entry("abc"), entry("")]);
        index.candidates(&TrigramSet::new(""), 0.5, Metric::Similarity, &mut out);
        assert!(out.is_empty());
        index.candidates(&TrigramSet::new("abc"), 0.0, Metric::Similarity, &mut out);
        assert_eq!(out, [0, 1]);
        index.candidates(&TrigramSet::new("ABC!"), 1.0, Metric::Similarity, &mut out);
        assert_eq!(out, [0]);
        assert!(index.heap_bytes() > 0);
        assert_eq!(index.trigram_count(), 4);
    }
}
