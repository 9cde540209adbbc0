//! Journeys (channel paths) and the models learned from them: heuristics, the exact Markov
//! removal effect of any order, and Shapley values.

use rustc_hash::FxHashMap;

use crate::error::{CesError, Result, Row};

/// Aggregated journeys: a channel sequence with its conversions, non-conversions ("nulls")
/// and conversion value, as ChannelAttribution and marketing-attribution-models take them.
///
/// ```
/// use ces::attribution::PathTable;
/// let mut p = PathTable::new();
/// p.push_text("search > social > search", " > ", 3.0, 1.0, 120.0).unwrap();
/// assert_eq!(p.channels(), ["search", "social"]);
/// assert!(p.push(&[], 1.0, 0.0, 1.0).is_err()); // a path needs a channel
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PathTable {
    channels: Vec<String>,
    index: FxHashMap<String, u32>,
    steps: Vec<u32>,
    offsets: Vec<usize>,
    conversions: Vec<f64>,
    nulls: Vec<f64>,
    value: Vec<f64>,
}

/// Credit of one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChannelCredit {
    /// Conversions credited.
    pub conversions: f64,
    /// Value credited.
    pub value: f64,
}

impl PathTable {
    /// An empty table.
    pub fn new() -> PathTable {
        PathTable {
            offsets: vec![0],
            ..Default::default()
        }
    }

    /// An empty table whose channel codes are `channels`' positions.
    pub fn with_channels(channels: Vec<String>) -> PathTable {
        let index = channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i as u32))
            .collect();
        PathTable {
            channels,
            index,
            offsets: vec![0],
            ..Default::default()
        }
    }

    /// The channels, by code.
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// Journeys.
    pub fn len(&self) -> usize {
        self.conversions.len()
    }

    /// No journeys?
    pub fn is_empty(&self) -> bool {
        self.conversions.is_empty()
    }

    /// Journey `i`: channel codes, conversions, nulls, value.
    pub fn get(&self, i: usize) -> (&[u32], f64, f64, f64) {
        (
            &self.steps[self.offsets[i]..self.offsets[i + 1]],
            self.conversions[i],
            self.nulls[i],
            self.value[i],
        )
    }

    fn code(&mut self, c: &str) -> u32 {
        if let Some(&i) = self.index.get(c) {
            return i;
        }
        let i = self.channels.len() as u32;
        self.channels.push(c.to_owned());
        self.index.insert(c.to_owned(), i);
        i
    }

    /// Appends a journey given by channel names.
    pub fn push(&mut self, path: &[&str], conversions: f64, nulls: f64, value: f64) -> Result<()> {
        if let Some(pos) = path.iter().position(|c| c.trim().is_empty()) {
            return Err(CesError::InvalidRecord {
                input: "paths".into(),
                row: Row(Some(self.len() as u64)),
                field: "path".into(),
                value: path.join(" > "),
                reason: format!("step {pos} has an empty channel name"),
            });
        }
        let codes: Vec<u32> = path.iter().map(|c| self.code(c.trim())).collect();
        self.push_codes(&codes, conversions, nulls, value)
    }

    /// Appends a journey written as text, channels separated by `sep` (e.g. `" > "`).
    pub fn push_text(
        &mut self,
        path: &str,
        sep: &str,
        conversions: f64,
        nulls: f64,
        value: f64,
    ) -> Result<()> {
        let parts: Vec<&str> = if path.trim().is_empty() {
            Vec::new()
        } else {
            path.split(sep).collect()
        };
        self.push(&parts, conversions, nulls, value)
    }

    /// Appends a journey given by channel codes (positions in [`PathTable::channels`]).
    pub fn push_codes(
        &mut self,
        path: &[u32],
        conversions: f64,
        nulls: f64,
        value: f64,
    ) -> Result<()> {
        let row = self.len();
        let bad = |field: &str, value: String, reason: &str| CesError::InvalidRecord {
            input: "paths".into(),
            row: Row(Some(row as u64)),
            field: field.into(),
            value,
            reason: reason.into(),
        };
        if path.is_empty() {
            return Err(bad(
                "path",
                String::new(),
                "a journey needs at least one channel",
            ));
        }
        if let Some(c) = path.iter().find(|&&c| c as usize >= self.channels.len()) {
            return Err(bad("path", c.to_string(), "unknown channel code"));
        }
        for (f, v) in [
            ("conversions", conversions),
            ("nulls", nulls),
            ("value", value),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(f, v.to_string(), "must be a finite number ≥ 0"));
            }
        }
        self.steps.extend_from_slice(path);
        self.offsets.push(self.steps.len());
        self.conversions.push(conversions);
        self.nulls.push(nulls);
        self.value.push(value);
        Ok(())
    }

    fn totals(&self) -> (f64, f64) {
        (self.conversions.iter().sum(), self.value.iter().sum())
    }
}

/// First-touch, last-touch, linear-touch and position-based credit per channel on paths, as
/// ChannelAttribution's `heuristic_models` (first three) and marketing-attribution-models
/// compute them: linear counts every touch (a repeated channel gets a share per touch).
#[derive(Clone, Debug, PartialEq)]
pub struct HeuristicReport {
    /// Channels, by code.
    pub channels: Vec<String>,
    /// First touch.
    pub first_touch: Vec<ChannelCredit>,
    /// Last touch.
    pub last_touch: Vec<ChannelCredit>,
    /// Linear over touches.
    pub linear: Vec<ChannelCredit>,
    /// Position-based with the given shares.
    pub position_based: Vec<ChannelCredit>,
}

/// Heuristic models over `paths`, position-based with shares `(first, last)` (validated as
/// [`super::Model::PositionBased`] is).
///
/// ```
/// use ces::attribution::{PathTable, heuristics};
/// let mut p = PathTable::new();
/// p.push_text("a > b > a", " > ", 2.0, 0.0, 20.0).unwrap();
/// let h = heuristics(&p, 0.4, 0.4).unwrap();
/// assert!(heuristics(&p, 0.8, 0.8).is_err());
/// assert_eq!(h.first_touch[0].conversions, 2.0);
/// assert!((h.linear[0].value - 20.0 * 2.0 / 3.0).abs() < 1e-12);
/// ```
pub fn heuristics(paths: &PathTable, first: f64, last: f64) -> Result<HeuristicReport> {
    super::Model::PositionBased { first, last }.validate()?;
    let n = paths.channels.len();
    let mut out = HeuristicReport {
        channels: paths.channels.clone(),
        first_touch: vec![ChannelCredit::default(); n],
        last_touch: vec![ChannelCredit::default(); n],
        linear: vec![ChannelCredit::default(); n],
        position_based: vec![ChannelCredit::default(); n],
    };
    let mut w = Vec::new();
    for i in 0..paths.len() {
        let (steps, conv, _, value) = paths.get(i);
        let add = |slot: &mut ChannelCredit, share: f64| {
            slot.conversions += conv * share;
            slot.value += value * share;
        };
        add(&mut out.first_touch[steps[0] as usize], 1.0);
        add(&mut out.last_touch[steps[steps.len() - 1] as usize], 1.0);
        let k = steps.len() as f64;
        for &c in steps {
            add(&mut out.linear[c as usize], 1.0 / k);
        }
        w.clear();
        super::models::position_weights(first, last, steps.len(), &mut w);
        for (&c, &s) in steps.iter().zip(&w) {
            add(&mut out.position_based[c as usize], s);
        }
    }
    Ok(out)
}

/// The exact Markov removal-effect model of one order.
#[derive(Clone, Debug, PartialEq)]
pub struct MarkovReport {
    /// Order `k`.
    pub order: usize,
    /// Channels, by code.
    pub channels: Vec<String>,
    /// Transient states observed (start excluded).
    pub states: usize,
    /// `p`: probability of reaching conversion from the start.
    pub conversion_probability: f64,
    /// `p₋c` per channel: the same with every state containing `c` sent to null.
    pub without: Vec<f64>,
    /// `RE_c = 1 − p₋c / p` (0 when `p` is 0).
    pub removal_effect: Vec<f64>,
    /// Global allocation: `C · RE_c / Σ RE` (and value likewise), what ChannelAttribution
    /// reports.
    pub global: Vec<ChannelCredit>,
    /// Per-path allocation: each journey's conversions split over its distinct channels in
    /// proportion to `RE_c` (evenly when those are all 0), summed per channel.
    pub per_path: Vec<ChannelCredit>,
}

const START: u32 = u32::MAX;

/// Packs the last ≤ `order` channels into a state key (16 bits per channel, code + 1).
fn shift(state: u64, channel: u32, order: usize) -> u64 {
    let mask = if order >= 4 {
        u64::MAX
    } else {
        (1u64 << (16 * order)) - 1
    };
    ((state << 16) | (channel as u64 + 1)) & mask
}

fn state_has(mut state: u64, channel: u32) -> bool {
    while state != 0 {
        if (state & 0xFFFF) as u32 == channel + 1 {
            return true;
        }
        state >>= 16;
    }
    false
}

/// Solves `A x = b` in place (dense, row-major `n × n`) by Gaussian elimination with
/// partial pivoting. `A = I − Q` of an absorbing chain is non-singular.
fn solve(a: &mut [f64], b: &mut [f64], n: usize) {
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap_or(col);
        if piv != col {
            for k in 0..n {
                a.swap(col * n + k, piv * n + k);
            }
            b.swap(col, piv);
        }
        let d = a[col * n + col];
        if d == 0.0 {
            continue;
        }
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    for col in (0..n).rev() {
        let mut s = b[col];
        for k in col + 1..n {
            s -= a[col * n + k] * b[k];
        }
        let d = a[col * n + col];
        b[col] = if d == 0.0 { 0.0 } else { s / d };
    }
}

/// The exact Markov model of `order` (1–4) over `paths`.
///
/// The chain: start → the state of the first touch → … → conversion (weight: the
/// journey's conversions) or null (its nulls); order-`k` states are the last `k` channels
/// (shorter at the start of a journey); transition probabilities are counts over row sums.
/// `p` and each `p₋c` are absorption probabilities solved from `(I − Q) x = r` directly.
///
/// ```
/// use ces::attribution::{PathTable, markov};
/// let mut p = PathTable::new();
/// p.push_text("a > b", " > ", 1.0, 0.0, 10.0).unwrap();
/// p.push_text("a", " > ", 0.0, 1.0, 0.0).unwrap();
/// let m = markov(&p, 1).unwrap();
/// assert!((m.conversion_probability - 0.5).abs() < 1e-15);
/// assert_eq!(m.removal_effect, vec![1.0, 1.0]); // both are needed
/// assert_eq!(m.global[0].conversions, 0.5);
/// ```
pub fn markov(paths: &PathTable, order: usize) -> Result<MarkovReport> {
    if !(1..=4).contains(&order) {
        return Err(CesError::InvalidArgument {
            row: Row(None),
            field: "order".into(),
            value: order.to_string(),
            reason: "the order must be 1, 2, 3 or 4".into(),
        });
    }
    if paths.channels.len() >= 0xFFFF {
        return Err(CesError::InvalidArgument {
            row: Row(None),
            field: "channels".into(),
            value: paths.channels.len().to_string(),
            reason: "at most 65,534 channels".into(),
        });
    }
    // States and transition counts.
    let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
    let mut keys: Vec<u64> = Vec::new();
    let mut trans: FxHashMap<(u32, u32), f64> = FxHashMap::default();
    let mut conv: Vec<f64> = Vec::new();
    let mut out: Vec<f64> = Vec::new();
    let mut start_out = 0.0;
    for i in 0..paths.len() {
        let (steps, c, nl, _) = paths.get(i);
        let w = c + nl;
        if w == 0.0 {
            continue;
        }
        let (mut s, mut key) = (START, 0u64);
        for &ch in steps {
            key = shift(key, ch, order);
            let next = *ids.entry(key).or_insert_with(|| {
                keys.push(key);
                conv.push(0.0);
                out.push(0.0);
                (keys.len() - 1) as u32
            });
            *trans.entry((s, next)).or_default() += w;
            if s == START {
                start_out += w
            } else {
                out[s as usize] += w
            }
            s = next;
        }
        conv[s as usize] += c;
        out[s as usize] += w;
    }
    let n = keys.len();
    let mut edges: Vec<((u32, u32), f64)> = trans.into_iter().collect();
    edges.sort_unstable_by_key(|e| e.0);
    // Absorption probability from the start with the states in `gone` sent to null.
    let absorb = |gone: &dyn Fn(usize) -> bool| -> f64 {
        let live: Vec<usize> = (0..n).filter(|&s| !gone(s)).collect();
        let mut pos = vec![usize::MAX; n];
        for (i, &s) in live.iter().enumerate() {
            pos[s] = i;
        }
        let m = live.len();
        let mut a = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        for (i, &s) in live.iter().enumerate() {
            a[i * m + i] = 1.0;
            b[i] = conv[s] / out[s];
        }
        let mut from_start = Vec::new();
        for &((f, t), c) in &edges {
            if pos[t as usize] == usize::MAX {
                continue;
            }
            if f == START {
                from_start.push((pos[t as usize], c / start_out));
            } else if pos[f as usize] != usize::MAX {
                a[pos[f as usize] * m + pos[t as usize]] -= c / out[f as usize];
            }
        }
        solve(&mut a, &mut b, m);
        from_start.iter().map(|&(i, p)| p * b[i]).sum()
    };
    let nch = paths.channels.len();
    // `+ 0.0` turns a −0 from the elimination into +0.
    let p = if n == 0 {
        0.0
    } else {
        absorb(&|_| false) + 0.0
    };
    let mut without = vec![p; nch];
    let mut present = vec![false; nch];
    for &c in &paths.steps {
        present[c as usize] = true;
    }
    for c in 0..nch {
        if present[c] && n > 0 {
            without[c] = absorb(&|s| state_has(keys[s], c as u32)) + 0.0;
        }
    }
    let removal_effect: Vec<f64> = without
        .iter()
        .map(|&q| if p > 0.0 { (1.0 - q / p).max(0.0) } else { 0.0 })
        .collect();
    let (total_c, total_v) = paths.totals();
    let sum_re: f64 = removal_effect.iter().sum();
    let global = removal_effect
        .iter()
        .map(|&re| {
            if sum_re > 0.0 {
                ChannelCredit {
                    conversions: total_c * re / sum_re,
                    value: total_v * re / sum_re,
                }
            } else {
                ChannelCredit::default()
            }
        })
        .collect();
    let per_path = split_per_path(paths, |set, shares| {
        let s: f64 = set.iter().map(|&c| removal_effect[c as usize]).sum();
        shares.extend(set.iter().map(|&c| {
            if s > 0.0 {
                removal_effect[c as usize] / s
            } else {
                1.0 / set.len() as f64
            }
        }));
    });
    Ok(MarkovReport {
        order,
        channels: paths.channels.clone(),
        states: n,
        conversion_probability: p,
        without,
        removal_effect,
        global,
        per_path,
    })
}

/// Sums each journey's conversions and value over its distinct channels (sorted codes) with
/// the shares `share` gives.
fn split_per_path(paths: &PathTable, share: impl Fn(&[u32], &mut Vec<f64>)) -> Vec<ChannelCredit> {
    let mut out = vec![ChannelCredit::default(); paths.channels.len()];
    let (mut set, mut shares) = (Vec::new(), Vec::new());
    for i in 0..paths.len() {
        let (steps, c, _, v) = paths.get(i);
        if c == 0.0 && v == 0.0 {
            continue;
        }
        set.clear();
        set.extend_from_slice(steps);
        set.sort_unstable();
        set.dedup();
        shares.clear();
        share(&set, &mut shares);
        for (&ch, &s) in set.iter().zip(&shares) {
            out[ch as usize].conversions += c * s;
            out[ch as usize].value += v * s;
        }
    }
    out
}

/// Simplified Shapley (Zhao et al. 2018): `φ_c = Σ_{T ∋ c} R(T)/|T|` over converting
/// channel sets — each journey's conversions and value split evenly over its distinct
/// channels. This is also the exact Shapley value of the game
/// `v(S) = Σ_{T ⊆ S} R(T)`.
pub fn shapley_simplified(paths: &PathTable) -> Vec<ChannelCredit> {
    split_per_path(paths, |set, shares| {
        shares.extend(set.iter().map(|_| 1.0 / set.len() as f64))
    })
}

/// The most distinct channels one converting journey may have for exact Shapley values.
pub const MAX_EXACT_SHAPLEY_CHANNELS: usize = 16;

/// Exact Shapley values per converting channel set.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapleyReport {
    /// Channels, by code.
    pub channels: Vec<String>,
    /// One entry per distinct converting channel set, sorted by set.
    pub sets: Vec<ShapleySet>,
    /// Credit per channel: each set's conversions and value split by its shares.
    pub credit: Vec<ChannelCredit>,
}

/// One converting channel set.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapleySet {
    /// Channel codes, ascending.
    pub channels: Vec<u32>,
    /// Conversions of journeys with exactly this set.
    pub conversions: f64,
    /// Journeys (conversions + nulls) with exactly this set.
    pub journeys: f64,
    /// Their value.
    pub value: f64,
    /// Raw Shapley values over the subsets of this set, worth `v(S)` = conversion rate of
    /// journeys with exactly `S` (0 for sets never seen converting).
    pub phi: Vec<f64>,
    /// `max(φ, 0)` normalised to sum 1 (even split when all are ≤ 0).
    pub shares: Vec<f64>,
}

impl ShapleyReport {
    /// The shares of a set (ascending codes); even split for a set not in the report.
    pub fn shares(&self, set: &[u32]) -> Vec<f64> {
        match self
            .sets
            .binary_search_by(|s| s.channels.as_slice().cmp(set))
        {
            Ok(i) => self.sets[i].shares.clone(),
            Err(_) => vec![1.0 / set.len() as f64; set.len()],
        }
    }
}

/// Exact Shapley values on `paths` (see [`ShapleySet`] for the worth function, as
/// marketing-attribution-models defines it with `conv_rate`).
pub fn shapley_exact_values(paths: &PathTable) -> Result<ShapleyReport> {
    let mut by_set: FxHashMap<Vec<u32>, (f64, f64, f64)> = FxHashMap::default();
    for i in 0..paths.len() {
        let (steps, c, nl, v) = paths.get(i);
        let mut set = steps.to_vec();
        set.sort_unstable();
        set.dedup();
        let e = by_set.entry(set).or_default();
        e.0 += c;
        e.1 += c + nl;
        e.2 += v;
    }
    let rate = |set: &[u32]| {
        by_set
            .get(set)
            .filter(|e| e.0 > 0.0)
            .map_or(0.0, |e| e.0 / e.1)
    };
    let mut sets: Vec<ShapleySet> = Vec::new();
    #[allow(clippy::type_complexity)]
    let mut converting: Vec<(&Vec<u32>, &(f64, f64, f64))> =
        by_set.iter().filter(|(_, e)| e.0 > 0.0).collect();
    converting.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut fact = [1.0f64; MAX_EXACT_SHAPLEY_CHANNELS + 1];
    for i in 1..=MAX_EXACT_SHAPLEY_CHANNELS {
        fact[i] = fact[i - 1] * i as f64;
    }
    for (set, &(c, j, v)) in converting {
        let n = set.len();
        if n > MAX_EXACT_SHAPLEY_CHANNELS {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "shapley_exact".into(),
                value: set
                    .iter()
                    .map(|&c| paths.channels[c as usize].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                reason: format!(
                    "a converting journey has {n} distinct channels; exact Shapley takes at most {MAX_EXACT_SHAPLEY_CHANNELS} (use `shapley`)"
                ),
            });
        }
        let worth: Vec<f64> = (0u32..1 << n)
            .map(|mask| {
                let sub: Vec<u32> = (0..n)
                    .filter(|b| mask & (1 << b) != 0)
                    .map(|b| set[b])
                    .collect();
                if sub.is_empty() { 0.0 } else { rate(&sub) }
            })
            .collect();
        let mut phi = vec![0.0; n];
        for (i, p) in phi.iter_mut().enumerate() {
            for mask in 0u32..1 << n {
                if mask & (1 << i) != 0 {
                    continue;
                }
                let s = mask.count_ones() as usize;
                let coef = fact[s] * fact[n - s - 1] / fact[n];
                *p += coef * (worth[(mask | (1 << i)) as usize] - worth[mask as usize]);
            }
        }
        let pos: f64 = phi.iter().map(|p| p.max(0.0)).sum();
        let shares = phi
            .iter()
            .map(|p| {
                if pos > 0.0 {
                    p.max(0.0) / pos
                } else {
                    1.0 / n as f64
                }
            })
            .collect();
        sets.push(ShapleySet {
            channels: set.clone(),
            conversions: c,
            journeys: j,
            value: v,
            phi,
            shares,
        });
    }
    let mut credit = vec![ChannelCredit::default(); paths.channels.len()];
    for s in &sets {
        for (&ch, &sh) in s.channels.iter().zip(&s.shares) {
            credit[ch as usize].conversions += s.conversions * sh;
            credit[ch as usize].value += s.value * sh;
        }
    }
    Ok(ShapleyReport {
        channels: paths.channels.clone(),
        sets,
        credit,
    })
}
