//! The engine: group by match key, sort, and one sweep per key computing every rule model.

use std::sync::Arc;

use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use super::input::{ExposureTable, Interaction, TransactionTable, key_codes};
use super::models::{Model, decay_weights, position_weights};
use super::paths::{MarkovReport, PathTable, ShapleyReport, markov, shapley_exact_values};
use super::windows::{WindowMode, Windows, local_day};
use crate::error::{CesError, Result, Row};
use crate::parallel;

/// Everything an attribution run needs besides the data.
#[derive(Clone, Debug)]
pub struct AttributionConfig {
    /// Look-back windows.
    pub windows: Windows,
    /// Models to compute, all in one pass; names must be unique.
    pub models: Vec<Model>,
    /// If a transaction has any eligible click, only its clicks are eligible.
    pub click_beats_view: bool,
    /// Only transactions with `from ≤ time < to` (µs, UTC) are attributed; exposures of any
    /// earlier time still count.
    pub range: Option<(i64, i64)>,
    /// Zone of the day roll-up (and of calendar days when the windows do not name one).
    pub zone: Tz,
}

impl Default for AttributionConfig {
    fn default() -> Self {
        AttributionConfig {
            windows: Windows::standard(),
            models: Model::rules(),
            click_beats_view: false,
            range: None,
            zone: Tz::UTC,
        }
    }
}

/// Progress of [`attribute_with_progress`]: keys swept so far out of all keys with
/// transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributionProgress {
    /// Keys done.
    pub done: u64,
    /// Keys in all.
    pub total: u64,
}

/// Counts and totals of a run. Σ credited + unattributed = totals, for every model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttributionSummary {
    /// Transactions attributed (in range).
    pub transactions: u64,
    /// With at least one eligible exposure.
    pub attributed: u64,
    /// With none: their conversions, value and units are the unattributed bucket.
    pub unattributed: u64,
    /// Σ value of all transactions in range.
    pub value: f64,
    /// Σ units of all transactions in range.
    pub units: f64,
    /// Σ value of unattributed transactions.
    pub unattributed_value: f64,
    /// Σ units of unattributed transactions.
    pub unattributed_units: f64,
    /// Transactions outside `range`.
    pub out_of_range: u64,
    /// Exposure rows given.
    pub exposures: u64,
    /// Exposures sharing a key with some transaction (the only ones that can be credited).
    pub exposures_considered: u64,
    /// Exposures dropped as duplicates (identical key, start, end, channel, interaction,
    /// campaign and asset; the smallest id is kept), among those considered.
    pub duplicate_exposures: u64,
    /// (transaction, eligible exposure) pairs.
    pub touches: u64,
}

/// One model's credit: one pick per transaction, or one weight per touch.
#[derive(Clone, Debug)]
pub(crate) enum Credit {
    /// Position of the credited touch within the transaction's touches; `u32::MAX` = none.
    Single(Vec<u32>),
    /// Weight of every touch (aligned with the touches).
    Weights(Vec<f64>),
}

/// The result of [`attribute`]: every transaction's eligible exposures, each model's credit,
/// and the data-driven models' reports. Transactions are in canonical order (match key,
/// time, id), so results do not depend on the input order or the number of threads.
#[derive(Clone, Debug)]
pub struct Attribution {
    pub(crate) exposures: Arc<ExposureTable>,
    pub(crate) transactions: Arc<TransactionTable>,
    pub(crate) config: AttributionConfig,
    pub(crate) tx_rows: Vec<u32>,
    pub(crate) offsets: Vec<u32>,
    pub(crate) touch_rows: Vec<u32>,
    pub(crate) credit: Vec<Credit>,
    pub(crate) summary: AttributionSummary,
    pub(crate) duplicate_rows: Vec<u32>,
    pub(crate) markov: Vec<(String, MarkovReport)>,
    pub(crate) shapley: Option<ShapleyReport>,
}

/// One credit row of one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CreditRow {
    /// Transaction input row.
    pub transaction: u32,
    /// Exposure input row.
    pub exposure: u32,
    /// Weight in `[0, 1]`; a transaction's weights sum to 1.
    pub weight: f64,
    /// `weight × value`.
    pub value: f64,
    /// `weight × units`.
    pub units: f64,
}

/// A model's credit rows as columns (for Arrow and the database).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreditColumns {
    /// Transaction input rows.
    pub transaction: Vec<u32>,
    /// Exposure input rows.
    pub exposure: Vec<u32>,
    /// Weights.
    pub weight: Vec<f64>,
    /// Credited value.
    pub value: Vec<f64>,
    /// Credited units.
    pub units: Vec<f64>,
}

impl Attribution {
    /// The models, in the order requested.
    pub fn models(&self) -> &[Model] {
        &self.config.models
    }

    /// Counts and totals.
    pub fn summary(&self) -> &AttributionSummary {
        &self.summary
    }

    /// The exposures attributed.
    pub fn exposures(&self) -> &ExposureTable {
        &self.exposures
    }

    /// The transactions attributed.
    pub fn transactions(&self) -> &TransactionTable {
        &self.transactions
    }

    /// Exposure rows dropped as duplicates of another (ascending).
    pub fn duplicate_exposures(&self) -> &[u32] {
        &self.duplicate_rows
    }

    /// Transactions in canonical order (input rows), attributed or not.
    pub fn transaction_order(&self) -> &[u32] {
        &self.tx_rows
    }

    /// The eligible exposures (input rows, oldest → newest) of the `i`-th transaction in
    /// canonical order.
    pub fn touches_of(&self, i: usize) -> &[u32] {
        &self.touch_rows[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Index of a model by name.
    pub fn model_index(&self, name: &str) -> Result<usize> {
        self.config
            .models
            .iter()
            .position(|m| m.name() == name)
            .ok_or_else(|| CesError::InvalidArgument {
                row: Row(None),
                field: "model".into(),
                value: name.into(),
                reason: format!(
                    "not computed in this run (models: {})",
                    self.config
                        .models
                        .iter()
                        .map(Model::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// Credit rows of model `m` (index into [`Attribution::models`]), in canonical order.
    pub fn credits(&self, m: usize) -> impl Iterator<Item = CreditRow> + '_ {
        let tc = self.transactions.columns();
        (0..self.tx_rows.len()).flat_map(move |i| {
            let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            let t = self.tx_rows[i];
            let (v, u) = (tc.value[t as usize], tc.units[t as usize]);
            let row = move |j: usize, w: f64| CreditRow {
                transaction: t,
                exposure: self.touch_rows[j],
                weight: w,
                value: w * v,
                units: w * u,
            };
            let rows: Box<dyn Iterator<Item = CreditRow>> = match &self.credit[m] {
                Credit::Single(pick) => match pick[i] {
                    u32::MAX => Box::new(std::iter::empty()),
                    p => Box::new(std::iter::once(row(a + p as usize, 1.0))),
                },
                Credit::Weights(w) => Box::new((a..b).map(move |j| row(j, w[j]))),
            };
            rows
        })
    }

    /// Credit rows of model `m` as columns.
    pub fn credit_columns(&self, m: usize) -> CreditColumns {
        let n = match &self.credit[m] {
            Credit::Single(p) => p.iter().filter(|&&p| p != u32::MAX).count(),
            Credit::Weights(w) => w.len(),
        };
        let mut out = CreditColumns {
            transaction: Vec::with_capacity(n),
            exposure: Vec::with_capacity(n),
            weight: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
            units: Vec::with_capacity(n),
        };
        for r in self.credits(m) {
            out.transaction.push(r.transaction);
            out.exposure.push(r.exposure);
            out.weight.push(r.weight);
            out.value.push(r.value);
            out.units.push(r.units);
        }
        out
    }

    /// Number of credit rows of model `m`.
    pub fn credit_len(&self, m: usize) -> usize {
        match &self.credit[m] {
            Credit::Single(p) => p.iter().filter(|&&p| p != u32::MAX).count(),
            Credit::Weights(w) => w.len(),
        }
    }

    /// Reports of the Markov models (model name, report), with both allocations.
    pub fn markov_reports(&self) -> &[(String, MarkovReport)] {
        &self.markov
    }

    /// The exact-Shapley values per converting channel set, when `shapley_exact` ran.
    pub fn shapley_report(&self) -> Option<&ShapleyReport> {
        self.shapley.as_ref()
    }

    /// The weight of every touch of transaction `i` (canonical order) under model `m`.
    pub(crate) fn weights_of(&self, m: usize, i: usize, out: &mut Vec<f64>) {
        out.clear();
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        match &self.credit[m] {
            Credit::Single(p) => {
                out.resize(b - a, 0.0);
                if p[i] != u32::MAX {
                    out[p[i] as usize] = 1.0;
                }
            }
            Credit::Weights(w) => out.extend_from_slice(&w[a..b]),
        }
    }
}

/// Attributes `transactions` to `exposures` under `config`.
///
/// ```
/// use ces::attribution::*;
/// let h = 3_600_000_000i64; // one hour in µs
/// let ex = ExposureTable::new(ExposureColumns {
///     id: Ids::Int(vec![1, 2, 3]),
///     key: Ids::Text(vec!["c1".into(), "c1".into(), "c2".into()]),
///     start: vec![0, 5 * h, 0],
///     end: vec![None; 3],
///     channel: Labels::from_strs(["social", "search", "tv"]),
///     interaction: vec![Interaction::View, Interaction::Click, Interaction::View],
///     campaign: Labels::from_strs(["spring"; 3]),
///     asset: Labels::from_strs(["reel", "text", "spot"]),
///     cost: None,
/// }).unwrap();
/// let tx = TransactionTable::new(TransactionColumns {
///     id: Ids::Int(vec![10, 11]),
///     key: Ids::Text(vec!["c1".into(), "c2".into()]),
///     time: vec![6 * h, 48 * h],
///     value: vec![100.0, 50.0],
///     units: vec![2.0, 1.0],
/// }).unwrap();
/// let config = AttributionConfig { models: vec![Model::LastTouch, Model::Linear], ..Default::default() };
/// let run = attribute(ex, tx, &config).unwrap();
/// let last: Vec<_> = run.credits(0).collect();
/// assert_eq!((last[0].exposure, last[0].value), (1, 100.0)); // the search click
/// assert_eq!(run.credits(1).count(), 2); // linear: ½ each
/// // c2's TV view was 48 h before: outside the 1-day view window → unattributed.
/// assert_eq!((run.summary().unattributed, run.summary().unattributed_value), (1, 50.0));
/// ```
pub fn attribute(
    exposures: impl Into<Arc<ExposureTable>>,
    transactions: impl Into<Arc<TransactionTable>>,
    config: &AttributionConfig,
) -> Result<Attribution> {
    attribute_with_progress(exposures, transactions, config, &mut |_| {})
}

/// Keys per parallel task (fixed, so chunking never depends on the thread count).
const KEYS_PER_CHUNK: usize = 2048;
/// Chunks between two progress reports.
const CHUNKS_PER_REPORT: usize = 64;

#[derive(Clone, Copy)]
struct Touch {
    tau: i64,
    start: i64,
    end: i64,
    win: i64,
    id: i64,
    row: u32,
    channel: u32,
    campaign: u32,
    asset: u32,
    rank: u8,
}

impl Touch {
    fn same_exposure(&self, o: &Touch) -> bool {
        self.start == o.start
            && self.end == o.end
            && self.channel == o.channel
            && self.rank == o.rank
            && self.campaign == o.campaign
            && self.asset == o.asset
    }
}

#[derive(Default)]
struct ChunkOut {
    counts: Vec<u32>,
    touch_rows: Vec<u32>,
    single: Vec<Vec<u32>>,
    weights: Vec<Vec<f64>>,
    null_paths: Vec<Vec<u32>>,
    duplicate_rows: Vec<u32>,
    considered: u64,
}

/// [`attribute`], reporting progress on the calling thread between batches of keys.
pub fn attribute_with_progress(
    exposures: impl Into<Arc<ExposureTable>>,
    transactions: impl Into<Arc<TransactionTable>>,
    config: &AttributionConfig,
    progress: &mut dyn FnMut(AttributionProgress),
) -> Result<Attribution> {
    let ex: Arc<ExposureTable> = exposures.into();
    let tx: Arc<TransactionTable> = transactions.into();
    let mut names: FxHashMap<String, usize> = FxHashMap::default();
    for (i, m) in config.models.iter().enumerate() {
        m.validate()?;
        if let Some(prev) = names.insert(m.name(), i) {
            return Err(CesError::InvalidArgument {
                row: Row(Some(i as u64)),
                field: "models".into(),
                value: m.name(),
                reason: format!("model {i} repeats model {prev}"),
            });
        }
    }
    if let Some((from, to)) = config.range
        && from > to
    {
        return Err(CesError::InvalidArgument {
            row: Row(None),
            field: "range".into(),
            value: format!("{from}..{to}"),
            reason: "the range ends before it starts".into(),
        });
    }
    let resolved = config.windows.resolve(&ex)?;
    let (ex_keys, tx_keys) = key_codes(&ex.c.key, &tx.c.key)?;
    let ex_ids = ex.c.id.ranks();
    let tx_ids = tx.c.id.ranks();

    // --- transactions in range, canonical order -----------------------------------------------
    let in_range = |t: i64| config.range.is_none_or(|(a, b)| a <= t && t < b);
    let mut txo: Vec<(u64, i64, i64, u32)> = (0..tx.len())
        .filter(|&i| in_range(tx.c.time[i]))
        .map(|i| (tx_keys[i], tx.c.time[i], tx_ids[i], i as u32))
        .collect();
    let out_of_range = (tx.len() - txo.len()) as u64;
    parallel::sort_unstable(&mut txo);
    let tx_rows: Vec<u32> = txo.iter().map(|t| t.3).collect();
    // Key boundaries.
    let mut key_start: Vec<u32> = Vec::new();
    for (i, t) in txo.iter().enumerate() {
        if i == 0 || txo[i - 1].0 != t.0 {
            key_start.push(i as u32);
        }
    }
    let n_keys = key_start.len();
    key_start.push(txo.len() as u32);
    let key_of: FxHashMap<u64, u32> = (0..n_keys)
        .map(|k| (txo[key_start[k] as usize].0, k as u32))
        .collect();

    // --- exposures bucketed by key (counting sort) -------------------------------------------
    let need_nulls = config.models.iter().any(Model::is_data_driven);
    let dense: Vec<u32> = parallel::map_index(ex.len(), |i| {
        key_of.get(&ex_keys[i]).copied().unwrap_or(u32::MAX)
    });
    let mut ex_start = vec![0u32; n_keys + 1];
    for &d in &dense {
        if d != u32::MAX {
            ex_start[d as usize + 1] += 1;
        }
    }
    for k in 0..n_keys {
        ex_start[k + 1] += ex_start[k];
    }
    let mut fill = ex_start.clone();
    let mut bucket = vec![0u32; ex_start[n_keys] as usize];
    let mut orphans: Vec<u32> = Vec::new();
    for (i, &d) in dense.iter().enumerate() {
        if d == u32::MAX {
            if need_nulls {
                orphans.push(i as u32);
            }
        } else {
            bucket[fill[d as usize] as usize] = i as u32;
            fill[d as usize] += 1;
        }
    }
    drop(dense);
    drop(fill);

    let ctx = Sweep {
        ex: &ex,
        tx: &tx,
        ex_ids: &ex_ids,
        windows: &resolved.window,
        mode: resolved.mode,
        models: &config.models,
        excluded: excluded_channels(&config.models, &ex.c.channel.values),
        click_beats_view: config.click_beats_view,
        need_nulls,
    };
    let n_chunks = n_keys.div_ceil(KEYS_PER_CHUNK);
    let mut chunks: Vec<ChunkOut> = Vec::with_capacity(n_chunks);
    let mut done = 0usize;
    progress(AttributionProgress {
        done: 0,
        total: n_keys as u64,
    });
    while done < n_chunks {
        let batch: Vec<usize> = (done..(done + CHUNKS_PER_REPORT).min(n_chunks)).collect();
        let outs = parallel::map(&batch, |&c| {
            let (k0, k1) = (c * KEYS_PER_CHUNK, ((c + 1) * KEYS_PER_CHUNK).min(n_keys));
            let mut out = ChunkOut {
                single: vec![Vec::new(); config.models.len()],
                weights: vec![Vec::new(); config.models.len()],
                ..Default::default()
            };
            let mut scratch = Scratch::default();
            for k in k0..k1 {
                let exs = &bucket[ex_start[k] as usize..ex_start[k + 1] as usize];
                let txs = &tx_rows[key_start[k] as usize..key_start[k + 1] as usize];
                ctx.sweep_key(exs, txs, &mut out, &mut scratch);
            }
            out
        });
        chunks.extend(outs);
        done += batch.len();
        progress(AttributionProgress {
            done: ((done * KEYS_PER_CHUNK).min(n_keys)) as u64,
            total: n_keys as u64,
        });
    }

    // --- concatenate ---------------------------------------------------------------------------
    let total_touches: u64 = chunks.iter().map(|c| c.touch_rows.len() as u64).sum();
    if total_touches > u32::MAX as u64 {
        return Err(CesError::InvalidArgument {
            row: Row(None),
            field: "exposures".into(),
            value: total_touches.to_string(),
            reason: "more than 2^32 − 1 (transaction, exposure) pairs: attribute a shorter range at a time".into(),
        });
    }
    let mut offsets = Vec::with_capacity(tx_rows.len() + 1);
    offsets.push(0u32);
    let mut touch_rows = Vec::with_capacity(total_touches as usize);
    let mut credit: Vec<Credit> = config
        .models
        .iter()
        .map(|m| {
            if m.is_single_touch() {
                Credit::Single(Vec::with_capacity(tx_rows.len()))
            } else {
                Credit::Weights(Vec::with_capacity(total_touches as usize))
            }
        })
        .collect();
    let mut summary = AttributionSummary {
        exposures: ex.len() as u64,
        out_of_range,
        ..Default::default()
    };
    let mut null_paths: Vec<Vec<u32>> = Vec::new();
    let mut duplicate_rows: Vec<u32> = Vec::new();
    for c in chunks {
        for &n in &c.counts {
            let last = *offsets.last().unwrap_or(&0);
            offsets.push(last + n);
        }
        touch_rows.extend_from_slice(&c.touch_rows);
        for (m, cr) in credit.iter_mut().enumerate() {
            match cr {
                Credit::Single(v) => v.extend_from_slice(&c.single[m]),
                Credit::Weights(v) => v.extend_from_slice(&c.weights[m]),
            }
        }
        duplicate_rows.extend_from_slice(&c.duplicate_rows);
        summary.exposures_considered += c.considered;
        null_paths.extend(c.null_paths);
    }
    duplicate_rows.sort_unstable();
    summary.duplicate_exposures = duplicate_rows.len() as u64;
    summary.touches = total_touches;
    summary.transactions = tx_rows.len() as u64;
    for (i, &t) in tx_rows.iter().enumerate() {
        let (v, u) = (tx.c.value[t as usize], tx.c.units[t as usize]);
        summary.value += v;
        summary.units += u;
        if offsets[i] == offsets[i + 1] {
            summary.unattributed += 1;
            summary.unattributed_value += v;
            summary.unattributed_units += u;
        }
    }
    summary.attributed = summary.transactions - summary.unattributed;

    let mut run = Attribution {
        exposures: ex.clone(),
        transactions: tx.clone(),
        config: config.clone(),
        tx_rows,
        offsets,
        touch_rows,
        credit,
        summary,
        duplicate_rows,
        markov: Vec::new(),
        shapley: None,
    };
    if need_nulls {
        // Journeys of keys without transactions are non-converting too.
        null_paths.extend(orphan_paths(&ex, &ex_keys, &ex_ids, orphans));
        data_driven(&mut run, &null_paths)?;
    }
    Ok(run)
}

fn excluded_channels(models: &[Model], channels: &[String]) -> Vec<bool> {
    let mut out = vec![false; channels.len()];
    for m in models {
        if let Model::LastNonExcluded { excluded } = m {
            for (i, c) in channels.iter().enumerate() {
                if excluded.iter().any(|e| e == c) {
                    out[i] = true;
                }
            }
        }
    }
    out
}

struct Sweep<'a> {
    ex: &'a ExposureTable,
    tx: &'a TransactionTable,
    ex_ids: &'a [i64],
    windows: &'a [i64],
    mode: WindowMode,
    models: &'a [Model],
    excluded: Vec<bool>,
    click_beats_view: bool,
    need_nulls: bool,
}

#[derive(Default)]
struct Scratch {
    touches: Vec<Touch>,
    days: Vec<i64>,
    eligible: Vec<u32>,
    deltas: Vec<f64>,
    used: Vec<bool>,
}

impl Sweep<'_> {
    fn touch(&self, i: u32) -> Touch {
        let i = i as usize;
        let c = &self.ex.c;
        Touch {
            tau: self.ex.tau(i),
            start: c.start[i],
            end: c.end[i].unwrap_or(i64::MIN),
            win: self.windows[i],
            id: self.ex_ids[i],
            row: i as u32,
            channel: c.channel.codes[i],
            campaign: c.campaign.codes[i],
            asset: c.asset.codes[i],
            rank: c.interaction[i].rank(),
        }
    }

    #[allow(clippy::needless_range_loop)]
    fn sweep_key(&self, exs: &[u32], txs: &[u32], out: &mut ChunkOut, s: &mut Scratch) {
        let t = &mut s.touches;
        t.clear();
        t.extend(exs.iter().map(|&i| self.touch(i)));
        t.sort_unstable_by_key(|a| (a.tau, a.rank, a.id, a.row));
        out.considered += t.len() as u64;
        // De-duplicate: identical exposures share τ and rank, so they sit in one run.
        let mut kept = 0;
        for i in 0..t.len() {
            let mut dup = false;
            let mut j = kept;
            while j > 0 && t[j - 1].tau == t[i].tau && t[j - 1].rank == t[i].rank {
                if t[j - 1].same_exposure(&t[i]) {
                    dup = true;
                    break;
                }
                j -= 1;
            }
            if dup {
                out.duplicate_rows.push(t[i].row);
            } else {
                t[kept] = t[i];
                kept += 1;
            }
        }
        t.truncate(kept);
        let calendar = match self.mode {
            WindowMode::CalendarDays(tz) => Some(tz),
            WindowMode::Exact => None,
        };
        s.days.clear();
        if let Some(tz) = calendar {
            s.days.extend(t.iter().map(|e| local_day(&tz, e.tau)));
        }
        let max_win = t.iter().map(|e| e.win).max().unwrap_or(0);
        let back = match calendar {
            None => max_win,
            Some(_) => (max_win + 2) * 86_400_000_000,
        };
        let ahead = t
            .iter()
            .filter(|e| e.end != i64::MIN)
            .map(|e| e.end - e.start)
            .max()
            .unwrap_or(0);
        if self.need_nulls {
            s.used.clear();
            s.used.resize(t.len(), false);
        }
        let (mut lo, mut hi) = (0usize, 0usize);
        for &row in txs {
            let when = self.tx.c.time[row as usize];
            while lo < t.len() && t[lo].tau < when.saturating_sub(back) {
                lo += 1;
            }
            hi = hi.max(lo);
            while hi < t.len() && t[hi].tau <= when.saturating_add(ahead) {
                hi += 1;
            }
            let tday = calendar.map(|tz| local_day(&tz, when));
            s.eligible.clear();
            for j in lo..hi {
                let e = &t[j];
                if e.start > when {
                    continue;
                }
                let ok = match tday {
                    None => when - e.tau <= e.win,
                    Some(d) => d - s.days[j] <= e.win,
                };
                if ok {
                    s.eligible.push(j as u32);
                }
            }
            if self.click_beats_view
                && s.eligible
                    .iter()
                    .any(|&j| t[j as usize].rank == Interaction::Click.rank())
            {
                s.eligible
                    .retain(|&j| t[j as usize].rank == Interaction::Click.rank());
            }
            let n = s.eligible.len();
            out.counts.push(n as u32);
            if self.need_nulls {
                for &j in &s.eligible {
                    s.used[j as usize] = true;
                }
            }
            out.touch_rows
                .extend(s.eligible.iter().map(|&j| t[j as usize].row));
            for (m, model) in self.models.iter().enumerate() {
                let el = &s.eligible;
                let pick = |p: Option<usize>| p.map_or(u32::MAX, |p| p as u32);
                match model {
                    Model::LastTouch => out.single[m].push(pick(n.checked_sub(1))),
                    Model::FirstTouch => out.single[m].push(pick((n > 0).then_some(0))),
                    Model::LastClick => {
                        let p = el
                            .iter()
                            .rposition(|&j| t[j as usize].rank == Interaction::Click.rank());
                        out.single[m].push(pick(p.or(n.checked_sub(1))));
                    }
                    Model::LastNonExcluded { .. } => {
                        let p = el
                            .iter()
                            .rposition(|&j| !self.excluded[t[j as usize].channel as usize]);
                        out.single[m].push(pick(p.or(n.checked_sub(1))));
                    }
                    Model::Linear => {
                        let w = 1.0 / n as f64;
                        out.weights[m].extend(std::iter::repeat_n(w, n));
                    }
                    Model::PositionBased { first, last } => {
                        position_weights(*first, *last, n, &mut out.weights[m])
                    }
                    Model::TimeDecay {
                        half_life_seconds,
                        whole_days,
                    } => {
                        if n == 0 {
                            continue;
                        }
                        s.deltas.clear();
                        for &j in el {
                            let e = &t[j as usize];
                            let d = match (tday, whole_days) {
                                (Some(td), true) => {
                                    ((td - s.days[j as usize]).max(0) * 86_400) as f64
                                }
                                (None, true) => {
                                    ((when - e.tau).max(0) / 86_400_000_000 * 86_400) as f64
                                }
                                (_, false) => (when - e.tau).max(0) as f64 / 1e6,
                            };
                            s.deltas.push(d);
                        }
                        decay_weights(&s.deltas, *half_life_seconds, &mut out.weights[m]);
                    }
                    // Filled after the sweep, once the channel values are known.
                    Model::Markov { .. } | Model::Shapley | Model::ShapleyExact => {
                        out.weights[m].extend(std::iter::repeat_n(0.0, n));
                    }
                }
            }
        }
        if self.need_nulls {
            let path: Vec<u32> = t
                .iter()
                .zip(&s.used)
                .filter(|(_, u)| !**u)
                .map(|(e, _)| e.channel)
                .collect();
            if !path.is_empty() {
                out.null_paths.push(path);
            }
        }
    }
}

/// Non-converting journeys of keys that have no transaction: their de-duplicated exposures'
/// channels in recency order, one journey per key.
fn orphan_paths(
    ex: &ExposureTable,
    keys: &[u64],
    ids: &[i64],
    mut rows: Vec<u32>,
) -> Vec<Vec<u32>> {
    let c = &ex.c;
    let sort_key = |&i: &u32| {
        let i = i as usize;
        (keys[i], ex.tau(i), c.interaction[i].rank(), ids[i], i)
    };
    rows.sort_unstable_by_key(sort_key);
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut prev: Option<usize> = None;
    for &r in &rows {
        let r = r as usize;
        let same_key = prev.is_some_and(|p| keys[p] == keys[r]);
        if same_key
            && let Some(p) = prev
            && ex.tau(p) == ex.tau(r)
            && c.start[p] == c.start[r]
            && c.end[p] == c.end[r]
            && c.channel.codes[p] == c.channel.codes[r]
            && c.interaction[p] == c.interaction[r]
            && c.campaign.codes[p] == c.campaign.codes[r]
            && c.asset.codes[p] == c.asset.codes[r]
        {
            continue; // adjacent duplicate (same τ, rank; ids ascending)
        }
        if !same_key {
            out.push(Vec::new());
        }
        if let Some(last) = out.last_mut() {
            last.push(c.channel.codes[r]);
        }
        prev = Some(r);
    }
    out
}

/// Learns the data-driven models from all journeys and fills their per-touch weights.
fn data_driven(run: &mut Attribution, null_paths: &[Vec<u32>]) -> Result<()> {
    let channels = run.exposures.c.channel.values.clone();
    let codes = &run.exposures.c.channel.codes;
    let tv = &run.transactions.c.value;
    // Journeys: one converting path per attributed transaction, plus the null paths.
    let mut paths = PathTable::with_channels(channels.clone());
    for i in 0..run.tx_rows.len() {
        let tr = run.touches_of(i);
        if tr.is_empty() {
            continue;
        }
        let steps: Vec<u32> = tr.iter().map(|&r| codes[r as usize]).collect();
        paths.push_codes(&steps, 1.0, 0.0, tv[run.tx_rows[i] as usize])?;
    }
    for p in null_paths {
        paths.push_codes(p, 0.0, 1.0, 0.0)?;
    }
    let n_ch = channels.len();
    let models = run.config.models.clone();
    for (m, model) in models.iter().enumerate() {
        let share: Vec<f64> = match model {
            Model::Markov { order } => {
                let rep = markov(&paths, *order)?;
                let re = rep.removal_effect.clone();
                run.markov.push((model.name(), rep));
                re
            }
            Model::Shapley => vec![1.0; n_ch],
            Model::ShapleyExact => {
                let rep = shapley_exact_values(&paths)?;
                fill_by_set(run, m, &rep);
                run.shapley = Some(rep);
                continue;
            }
            _ => continue,
        };
        fill_by_channel_share(run, m, &share);
    }
    Ok(())
}

/// Per-path allocation: each transaction's distinct channels share its credit in proportion
/// to `share[channel]` (evenly when they all have 0), split evenly among that channel's
/// touches.
fn fill_by_channel_share(run: &mut Attribution, m: usize, share: &[f64]) {
    let codes = &run.exposures.c.channel.codes;
    let mut w = match std::mem::replace(&mut run.credit[m], Credit::Single(Vec::new())) {
        Credit::Weights(w) => w,
        Credit::Single(_) => return,
    };
    let mut seen: FxHashMap<u32, (f64, u32)> = FxHashMap::default();
    for i in 0..run.tx_rows.len() {
        let (a, b) = (run.offsets[i] as usize, run.offsets[i + 1] as usize);
        if a == b {
            continue;
        }
        seen.clear();
        for j in a..b {
            let c = codes[run.touch_rows[j] as usize];
            seen.entry(c).or_insert((share[c as usize], 0)).1 += 1;
        }
        let mut chans: Vec<(u32, f64, u32)> = seen.iter().map(|(&c, &(s, n))| (c, s, n)).collect();
        chans.sort_unstable_by_key(|x| x.0);
        let total: f64 = chans.iter().map(|x| x.1).sum();
        let k = chans.len() as f64;
        for j in a..b {
            let c = codes[run.touch_rows[j] as usize];
            let (_, s, n) = chans[chans.binary_search_by_key(&c, |x| x.0).unwrap_or(0)];
            let cs = if total > 0.0 { s / total } else { 1.0 / k };
            w[j] = cs / n as f64;
        }
    }
    run.credit[m] = Credit::Weights(w);
}

fn fill_by_set(run: &mut Attribution, m: usize, rep: &ShapleyReport) {
    let codes = &run.exposures.c.channel.codes;
    let mut w = match std::mem::replace(&mut run.credit[m], Credit::Single(Vec::new())) {
        Credit::Weights(w) => w,
        Credit::Single(_) => return,
    };
    for i in 0..run.tx_rows.len() {
        let (a, b) = (run.offsets[i] as usize, run.offsets[i + 1] as usize);
        if a == b {
            continue;
        }
        let mut set: Vec<u32> = (a..b).map(|j| codes[run.touch_rows[j] as usize]).collect();
        set.sort_unstable();
        let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
        for &c in &set {
            *counts.entry(c).or_default() += 1;
        }
        set.dedup();
        let shares = rep.shares(&set);
        for j in a..b {
            let c = codes[run.touch_rows[j] as usize];
            let pos = set.binary_search(&c).unwrap_or(0);
            w[j] = shares[pos] / counts[&c] as f64;
        }
    }
    run.credit[m] = Credit::Weights(w);
}
