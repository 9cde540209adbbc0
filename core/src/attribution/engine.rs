//! The engine: group by match key, sort, and one sweep per key computing every rule model.

use std::sync::Arc;

use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use super::input::{ExposureTable, Interaction, TransactionTable, key_codes};
use super::models::{Model, decay_weights, position_weights};
use super::paths::{MarkovReport, PathTable, ShapleyReport, markov, shapley_exact_values};
use super::report::Sum;
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

/// Progress of [`attribute_with_progress`]: transactions attributed so far, out of all
/// transactions in range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributionProgress {
    /// Transactions done.
    pub done: u64,
    /// Transactions in range.
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
    /// Exposures that some transaction of their key can reach (the only ones that can be
    /// credited; a superset of those credited).
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
/// and the data-driven models' reports. Transactions are in canonical order: grouped by match
/// key (keys in an order fixed by their values: a hash partition, then the key), then by
/// time and id — so results do not depend on the input order or the number of threads.
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

/// Rows per partitioning task (fixed, so the work split never depends on the thread count).
const ROWS_PER_TASK: usize = 1 << 20;
/// Partitions between two progress reports.
const PARTS_PER_REPORT: usize = 16;

/// log2 of the number of key partitions: about 32k exposures each, 1 to 1024.
fn partition_bits(n: usize) -> u32 {
    (n / 32_768)
        .next_power_of_two()
        .clamp(1, 1024)
        .trailing_zeros()
}

/// The partition of a key code (a fixed multiplicative hash: same key, same partition).
fn partition(code: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (code.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }
}

/// One exposure as the sweep needs it (start = τ − span).
#[derive(Clone, Copy)]
struct Touch {
    key: u64,
    tau: i64,
    span: i64,
    win: i64,
    row: u32,
    channel: u32,
    rank: u8,
    has_end: bool,
    /// Can some transaction of the key reach it (a superset of "eligible for one")?
    reach: bool,
}

/// A transaction: (key code, time, id rank, row).
type TxRec = (u64, i64, i64, u32);

#[derive(Default)]
struct ChunkOut {
    tx_rows: Vec<u32>,
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
    let need_nulls = config.models.iter().any(Model::is_data_driven);

    // --- partition both tables by key hash (sequential reads, appends per partition) ---------
    let bits = partition_bits(ex.len().max(tx.len()));
    let np = 1usize << bits;
    let tasks = |n: usize| -> Vec<(usize, usize)> {
        (0..n)
            .step_by(ROWS_PER_TASK)
            .map(|a| (a, (a + ROWS_PER_TASK).min(n)))
            .collect()
    };
    let in_range = |t: i64| config.range.is_none_or(|(a, b)| a <= t && t < b);
    let tx_parts: Vec<Vec<Vec<TxRec>>> = parallel::map_owned(tasks(tx.len()), |(a, b)| {
        let mut out: Vec<Vec<TxRec>> = vec![Vec::new(); np];
        for i in a..b {
            if in_range(tx.c.time[i]) {
                out[partition(tx_keys[i], bits)].push((
                    tx_keys[i],
                    tx.c.time[i],
                    tx_ids[i],
                    i as u32,
                ));
            }
        }
        out
    });
    let ex_parts: Vec<Vec<Vec<Touch>>> = parallel::map_owned(tasks(ex.len()), |(a, b)| {
        let mut out: Vec<Vec<Touch>> =
            vec![Vec::with_capacity((b - a) / np + (b - a) / np / 8 + 16); np];
        let c = &ex.c;
        for i in a..b {
            let win = resolved.window(&ex, i)?;
            let tau = ex.tau(i);
            out[partition(ex_keys[i], bits)].push(Touch {
                key: ex_keys[i],
                tau,
                span: tau - c.start[i],
                win,
                row: i as u32,
                channel: c.channel.codes[i],
                rank: c.interaction[i].rank(),
                has_end: c.end[i].is_some(),
                reach: false,
            });
        }
        Ok(out)
    })
    .into_iter()
    .collect::<Result<_>>()?;
    let in_range_count: usize = tx_parts.iter().flatten().map(Vec::len).sum();
    let out_of_range = (tx.len() - in_range_count) as u64;

    let ctx = Sweep {
        ex: &ex,
        ex_ids: &ex_ids,
        mode: resolved.mode,
        models: &config.models,
        excluded: excluded_channels(&config.models, &ex.c.channel.values),
        click_beats_view: config.click_beats_view,
        need_nulls,
    };
    let mut chunks: Vec<ChunkOut> = Vec::with_capacity(np);
    let total = in_range_count as u64;
    let mut done_tx = 0u64;
    progress(AttributionProgress { done: 0, total });
    for first in (0..np).step_by(PARTS_PER_REPORT) {
        let batch: Vec<usize> = (first..(first + PARTS_PER_REPORT).min(np)).collect();
        let outs = parallel::map_owned(batch, |p| ctx.partition(p, &tx_parts, &ex_parts));
        done_tx += outs.iter().map(|o| o.tx_rows.len() as u64).sum::<u64>();
        chunks.extend(outs);
        progress(AttributionProgress {
            done: done_tx,
            total,
        });
    }
    drop(ex_parts);
    drop(tx_parts);
    let mut tx_rows: Vec<u32> = Vec::with_capacity(in_range_count);
    for c in &chunks {
        tx_rows.extend_from_slice(&c.tx_rows);
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
    let (mut value, mut units, mut un_value, mut un_units) = (
        Sum::default(),
        Sum::default(),
        Sum::default(),
        Sum::default(),
    );
    for (i, &t) in tx_rows.iter().enumerate() {
        let (v, u) = (tx.c.value[t as usize], tx.c.units[t as usize]);
        value.add(v);
        units.add(u);
        if offsets[i] == offsets[i + 1] {
            summary.unattributed += 1;
            un_value.add(v);
            un_units.add(u);
        }
    }
    (summary.value, summary.units) = (value.get(), units.get());
    (summary.unattributed_value, summary.unattributed_units) = (un_value.get(), un_units.get());
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
    ex_ids: &'a [i64],
    mode: WindowMode,
    models: &'a [Model],
    excluded: Vec<bool>,
    click_beats_view: bool,
    need_nulls: bool,
}

#[derive(Default)]
struct Scratch {
    days: Vec<i64>,
    eligible: Vec<u32>,
    deltas: Vec<f64>,
    used: Vec<bool>,
}

impl Sweep<'_> {
    /// Recency order: (τ, rank, id), then the row for a total order.
    fn recency(&self, a: &Touch, b: &Touch) -> std::cmp::Ordering {
        (a.tau, a.rank)
            .cmp(&(b.tau, b.rank))
            .then_with(|| self.ex_ids[a.row as usize].cmp(&self.ex_ids[b.row as usize]))
            .then(a.row.cmp(&b.row))
    }

    /// Identical in (start, end, channel, interaction, campaign, asset); keys are equal.
    fn same_exposure(&self, a: &Touch, b: &Touch) -> bool {
        let c = &self.ex.c;
        let (i, j) = (a.row as usize, b.row as usize);
        a.tau == b.tau
            && a.span == b.span
            && a.has_end == b.has_end
            && a.rank == b.rank
            && a.channel == b.channel
            && c.campaign.codes[i] == c.campaign.codes[j]
            && c.asset.codes[i] == c.asset.codes[j]
    }

    /// Everything about one partition: its transactions in canonical order, its exposures
    /// bucketed by key, one sweep per key.
    fn partition(
        &self,
        p: usize,
        tx_parts: &[Vec<Vec<TxRec>>],
        ex_parts: &[Vec<Vec<Touch>>],
    ) -> ChunkOut {
        let mut txs: Vec<TxRec> = Vec::with_capacity(tx_parts.iter().map(|t| t[p].len()).sum());
        for t in tx_parts {
            txs.extend_from_slice(&t[p]);
        }
        txs.sort_unstable();
        let mut out = ChunkOut {
            single: vec![Vec::new(); self.models.len()],
            weights: vec![Vec::new(); self.models.len()],
            tx_rows: txs.iter().map(|t| t.3).collect(),
            ..Default::default()
        };
        // Local key ids, ascending with the key codes.
        let mut key_start: Vec<usize> = Vec::new();
        let mut local: FxHashMap<u64, u32> = FxHashMap::default();
        for (i, t) in txs.iter().enumerate() {
            if i == 0 || txs[i - 1].0 != t.0 {
                local.insert(t.0, key_start.len() as u32);
                key_start.push(i);
            }
        }
        let nk = key_start.len();
        key_start.push(txs.len());
        // Counting sort of the exposures by local key; the others are orphans.
        let mut start = vec![0usize; nk + 1];
        let mut orphans: Vec<Touch> = Vec::new();
        for e in ex_parts.iter().flat_map(|e| e[p].iter()) {
            match local.get(&e.key) {
                Some(&k) => start[k as usize + 1] += 1,
                None if self.need_nulls => orphans.push(*e),
                None => {}
            }
        }
        for k in 0..nk {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let filler = Touch {
            key: 0,
            tau: 0,
            span: 0,
            win: 0,
            row: 0,
            channel: 0,
            rank: 0,
            has_end: false,
            reach: false,
        };
        let mut bucket = vec![filler; start[nk]];
        for e in ex_parts.iter().flat_map(|e| e[p].iter()) {
            if let Some(&k) = local.get(&e.key) {
                bucket[fill[k as usize]] = *e;
                fill[k as usize] += 1;
            }
        }
        drop(fill);
        let mut s = Scratch::default();
        let slack = match self.mode {
            WindowMode::Exact => 0,
            WindowMode::CalendarDays(_) => 2 * 86_400_000_000,
        };
        let unit = match self.mode {
            WindowMode::Exact => 1,
            WindowMode::CalendarDays(_) => 86_400_000_000,
        };
        for k in 0..nk {
            let txk = &txs[key_start[k]..key_start[k + 1]];
            let mut exk = &mut bucket[start[k]..start[k + 1]];
            // Only exposures that some transaction of the key can reach (a superset of the
            // eligible ones) are counted, de-duplicated and — unless the data-driven models
            // need every journey — sorted and swept.
            let mut keep = 0;
            for i in 0..exk.len() {
                let mut e = exk[i];
                let from = e.tau - e.span;
                let first = txk.partition_point(|t| t.1 < from);
                e.reach = first < txk.len()
                    && txk[first].1
                        <= e.tau
                            .saturating_add(e.win.saturating_mul(unit))
                            .saturating_add(slack);
                if e.reach || self.need_nulls {
                    exk[keep] = e;
                    keep += 1;
                }
            }
            exk = &mut exk[..keep];
            self.sweep_key(exk, txk, &mut out, &mut s);
        }
        if self.need_nulls {
            // Keys without transactions: every journey is non-converting.
            orphans.sort_unstable_by_key(|e| e.key);
            for group in orphans.chunk_by_mut(|a, b| a.key == b.key) {
                self.sweep_key(group, &[], &mut out, &mut s);
            }
        }
        out
    }

    #[allow(clippy::needless_range_loop)]
    fn sweep_key(&self, t: &mut [Touch], txs: &[TxRec], out: &mut ChunkOut, s: &mut Scratch) {
        t.sort_unstable_by(|a, b| self.recency(a, b));
        out.considered += t.iter().filter(|e| e.reach).count() as u64;
        // De-duplicate: identical exposures share τ and rank, so they sit in one run; the
        // first of them (smallest id) is kept.
        let mut kept = 0;
        for i in 0..t.len() {
            let mut dup = false;
            let mut j = kept;
            while j > 0 && t[j - 1].tau == t[i].tau && t[j - 1].rank == t[i].rank {
                if self.same_exposure(&t[j - 1], &t[i]) {
                    dup = true;
                    break;
                }
                j -= 1;
            }
            if dup {
                if t[i].reach {
                    out.duplicate_rows.push(t[i].row);
                }
            } else {
                t[kept] = t[i];
                kept += 1;
            }
        }
        let t = &t[..kept];
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
        let ahead = t.iter().map(|e| e.span).max().unwrap_or(0);
        if self.need_nulls {
            s.used.clear();
            s.used.resize(t.len(), false);
        }
        let (mut lo, mut hi) = (0usize, 0usize);
        for &(_, when, _, _) in txs {
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
                if e.tau - e.span > when {
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

/// Learns the data-driven models from all journeys and fills their per-touch weights.
fn data_driven(run: &mut Attribution, null_paths: &[Vec<u32>]) -> Result<()> {
    // Channels in name order, so that nothing depends on the order of the input rows.
    let values = &run.exposures.c.channel.values;
    let mut by_name: Vec<u32> = (0..values.len() as u32).collect();
    by_name.sort_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
    let mut canon = vec![0u32; values.len()];
    for (rank, &c) in by_name.iter().enumerate() {
        canon[c as usize] = rank as u32;
    }
    let channels: Vec<String> = by_name
        .iter()
        .map(|&c| values[c as usize].clone())
        .collect();
    let codes: Vec<u32> = run
        .exposures
        .c
        .channel
        .codes
        .iter()
        .map(|&c| canon[c as usize])
        .collect();
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
        let steps: Vec<u32> = p.iter().map(|&c| canon[c as usize]).collect();
        paths.push_codes(&steps, 0.0, 1.0, 0.0)?;
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
                fill_by_set(run, m, &rep, &codes);
                run.shapley = Some(rep);
                continue;
            }
            _ => continue,
        };
        fill_by_channel_share(run, m, &share, &codes);
    }
    Ok(())
}

/// Per-path allocation: each transaction's distinct channels share its credit in proportion
/// to `share[channel]` (evenly when they all have 0), split evenly among that channel's
/// touches.
fn fill_by_channel_share(run: &mut Attribution, m: usize, share: &[f64], codes: &[u32]) {
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

fn fill_by_set(run: &mut Attribution, m: usize, rep: &ShapleyReport, codes: &[u32]) {
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
