//! Roll-ups of credit by channel, campaign, asset and day, and bootstrap intervals.

use chrono::TimeZone;
use rustc_hash::FxHashMap;

use super::engine::Attribution;
use super::input::{Ids, Interaction};
use crate::error::{CesError, Result, Row};
use crate::parallel;
use crate::rng::Rng;

/// The group name of the unattributed bucket in channel, campaign and asset roll-ups.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// What to roll credit up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Exposure channel.
    Channel,
    /// Exposure campaign.
    Campaign,
    /// Exposure asset.
    Asset,
    /// The transaction's calendar day in the configured zone (`YYYY-MM-DD`).
    Day,
}

impl Dimension {
    /// `channel`, `campaign`, `asset` or `day`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Channel => "channel",
            Dimension::Campaign => "campaign",
            Dimension::Asset => "asset",
            Dimension::Day => "day",
        }
    }

    /// Parses the names [`Dimension::as_str`] gives.
    pub fn parse(s: &str) -> Result<Dimension> {
        Ok(match s.trim() {
            "channel" => Dimension::Channel,
            "campaign" => Dimension::Campaign,
            "asset" => Dimension::Asset,
            "day" => Dimension::Day,
            other => {
                return Err(CesError::InvalidArgument {
                    row: Row(None),
                    field: "by".into(),
                    value: other.into(),
                    reason: "expected channel, campaign, asset or day".into(),
                });
            }
        })
    }
}

/// Credit of one group under one model.
#[derive(Clone, Debug, PartialEq)]
pub struct RollupRow {
    /// Model name.
    pub model: String,
    /// Channel, campaign, asset or day; [`UNATTRIBUTED`] for the bucket (by day: the day).
    pub group: String,
    /// Is this the unattributed bucket?
    pub unattributed: bool,
    /// Conversions credited (Σ weights; the bucket: transactions).
    pub conversions: f64,
    /// Value credited.
    pub value: f64,
    /// Units credited.
    pub units: f64,
    /// Credit rows in the group (as [`Attribution::credits`] yields them: one per eligible
    /// touch for weight models, zero weights included; one per transaction for single-touch
    /// models); transactions for the bucket.
    pub touches: u64,
    /// Σ cost of all the group's exposures in the table (identical exposures counted once),
    /// credited or not; `None` by day, for the bucket, and when none of the group's
    /// exposures carries a cost. Groups appear when they have credit or cost.
    pub cost: Option<f64>,
}

pub(crate) use crate::sum::Sum;

#[derive(Clone, Copy, Default)]
struct Acc {
    conv: Sum,
    value: Sum,
    units: Sum,
    touches: u64,
}

impl Attribution {
    fn day_label(&self, t: u32) -> String {
        let us = self.transactions.c.time[t as usize];
        let utc = chrono::DateTime::from_timestamp(us.div_euclid(1_000_000), 0)
            .unwrap_or_default()
            .naive_utc();
        self.config
            .zone
            .from_utc_datetime(&utc)
            .date_naive()
            .to_string()
    }

    /// Group code of touch `j` of transaction `i` (canonical order).
    fn group_of(&self, dim: Dimension, exposure: u32) -> u32 {
        let c = &self.exposures.c;
        match dim {
            Dimension::Channel => c.channel.codes[exposure as usize],
            Dimension::Campaign => c.campaign.codes[exposure as usize],
            Dimension::Asset => c.asset.codes[exposure as usize],
            Dimension::Day => 0,
        }
    }

    fn group_names(&self, dim: Dimension) -> &[String] {
        let c = &self.exposures.c;
        match dim {
            Dimension::Channel => &c.channel.values,
            Dimension::Campaign => &c.campaign.values,
            Dimension::Asset => &c.asset.values,
            Dimension::Day => &[],
        }
    }

    /// Credit per group for every model, the unattributed bucket included, so that for each
    /// model Σ conversions = transactions and Σ value = total value. Rows: models in request
    /// order, groups ascending by name, the bucket last (by day: days ascending, each day's
    /// bucket after its credited row).
    ///
    /// ```
    /// # use ces::attribution::*;
    /// # let ex = ExposureTable::new(ExposureColumns { id: Ids::Int(vec![1]), key: Ids::Int(vec![7]), start: vec![0], end: vec![None], channel: Labels::from_strs(["tv"]), interaction: vec![Interaction::View], campaign: Labels::from_strs(["c"]), asset: Labels::from_strs(["a"]), cost: Some(vec![Some(12.5)]) }).unwrap();
    /// # let tx = TransactionTable::new(TransactionColumns { id: Ids::Int(vec![1, 2]), key: Ids::Int(vec![7, 8]), time: vec![60_000_000, 0], value: vec![10.0, 4.0], units: vec![1.0, 1.0] }).unwrap();
    /// let run = attribute(ex, tx, &AttributionConfig { models: vec![Model::LastTouch], ..Default::default() }).unwrap();
    /// let rows = run.rollup(Dimension::Channel);
    /// assert_eq!((rows[0].group.as_str(), rows[0].value, rows[0].cost), ("tv", 10.0, Some(12.5)));
    /// assert_eq!((rows[1].group.as_str(), rows[1].value), (UNATTRIBUTED, 4.0));
    /// ```
    pub fn rollup(&self, dim: Dimension) -> Vec<RollupRow> {
        let tc = &self.transactions.c;
        let mut out = Vec::new();
        let mut w = Vec::new();
        let costs = self.group_costs(dim);
        for (m, model) in self.config.models.iter().enumerate() {
            let name = model.name();
            let mut groups: FxHashMap<String, (Acc, Acc)> = FxHashMap::default();
            let mut by_code: Vec<Acc> = vec![Acc::default(); self.group_names(dim).len()];
            let mut bucket = Acc::default();
            for i in 0..self.tx_rows.len() {
                let t = self.tx_rows[i];
                let (v, u) = (tc.value[t as usize], tc.units[t as usize]);
                let touches = self.touches_of(i);
                if dim == Dimension::Day {
                    let e = groups.entry(self.day_label(t)).or_default();
                    if touches.is_empty() {
                        e.1.conv.add(1.0);
                        e.1.value.add(v);
                        e.1.units.add(u);
                        e.1.touches += 1;
                    } else {
                        self.weights_of(m, i, &mut w);
                        for &x in w
                            .iter()
                            .filter(|x| !(model.is_single_touch() && **x == 0.0))
                        {
                            e.0.conv.add(x);
                            e.0.value.add(x * v);
                            e.0.units.add(x * u);
                            e.0.touches += 1;
                        }
                    }
                    continue;
                }
                if touches.is_empty() {
                    bucket.conv.add(1.0);
                    bucket.value.add(v);
                    bucket.units.add(u);
                    bucket.touches += 1;
                    continue;
                }
                self.weights_of(m, i, &mut w);
                for (&x, &e) in w.iter().zip(touches) {
                    if x == 0.0 && model.is_single_touch() {
                        continue;
                    }
                    let a = &mut by_code[self.group_of(dim, e) as usize];
                    a.conv.add(x);
                    a.value.add(x * v);
                    a.units.add(x * u);
                    a.touches += 1;
                }
            }
            let row = |group: String, unattributed: bool, a: &Acc, cost: Option<f64>| RollupRow {
                model: name.clone(),
                group,
                unattributed,
                conversions: a.conv.get(),
                value: a.value.get(),
                units: a.units.get(),
                touches: a.touches,
                cost,
            };
            if dim == Dimension::Day {
                let mut days: Vec<(String, (Acc, Acc))> = groups.into_iter().collect();
                days.sort_by(|a, b| a.0.cmp(&b.0));
                for (d, (a, b)) in days {
                    if a.touches > 0 {
                        out.push(row(d.clone(), false, &a, None));
                    }
                    if b.touches > 0 {
                        out.push(row(d, true, &b, None));
                    }
                }
            } else {
                let names = self.group_names(dim);
                let mut order: Vec<usize> = (0..names.len())
                    .filter(|&g| {
                        by_code[g].touches > 0 || costs.as_ref().is_some_and(|c| c[g].is_some())
                    })
                    .collect();
                order.sort_by(|&a, &b| names[a].cmp(&names[b]));
                for g in order {
                    out.push(row(
                        names[g].clone(),
                        false,
                        &by_code[g],
                        costs.as_ref().and_then(|c| c[g]),
                    ));
                }
                if bucket.touches > 0 {
                    out.push(row(UNATTRIBUTED.into(), true, &bucket, None));
                }
            }
        }
        out
    }

    /// Σ cost per group over the whole exposure table, identical exposures counted once (the
    /// one with the smallest id); `None` for a group whose exposures carry no cost.
    fn group_costs(&self, dim: Dimension) -> Option<Vec<Option<f64>>> {
        let c = &self.exposures.c;
        let cost = c.cost.as_ref()?;
        if dim == Dimension::Day {
            return None;
        }
        #[derive(PartialEq, Eq, Hash)]
        enum K<'a> {
            I(i64),
            T(&'a str),
        }
        let ids = c.id.ranks();
        type Identity<'a> = (K<'a>, i64, Option<i64>, u32, Interaction, u32, u32);
        let mut first: FxHashMap<Identity<'_>, (i64, u32)> = FxHashMap::default();
        for i in 0..c.id.len() {
            if cost[i].is_none() {
                continue;
            }
            let key = match &c.key {
                Ids::Int(v) => K::I(v[i]),
                Ids::Text(v) => K::T(v[i].as_str()),
            };
            let k = (
                key,
                c.start[i],
                c.end[i],
                c.channel.codes[i],
                c.interaction[i],
                c.campaign.codes[i],
                c.asset.codes[i],
            );
            let e = first.entry(k).or_insert((ids[i], i as u32));
            if (ids[i], i as u32) < *e {
                *e = (ids[i], i as u32);
            }
        }
        let mut rows: Vec<u32> = first.into_values().map(|(_, r)| r).collect();
        rows.sort_unstable();
        let mut sums: Vec<Option<Sum>> = vec![None; self.group_names(dim).len()];
        for r in rows {
            if let Some(v) = cost[r as usize] {
                sums[self.group_of(dim, r) as usize]
                    .get_or_insert_with(Sum::default)
                    .add(v);
            }
        }
        Some(sums.into_iter().map(|s| s.map(|s| s.get())).collect())
    }

    /// Seeded percentile-bootstrap intervals on credit per group (channel, campaign or
    /// asset) for every model: transactions are resampled with replacement `replicates`
    /// times; the interval is the `(1 − level)/2` and `(1 + level)/2` quantiles (linear
    /// interpolation) of the replicate totals. Deterministic for a seed, whatever the
    /// number of threads.
    pub fn bootstrap(
        &self,
        dim: Dimension,
        replicates: usize,
        seed: u64,
        level: f64,
    ) -> Result<Vec<CreditInterval>> {
        if dim == Dimension::Day {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "by".into(),
                value: "day".into(),
                reason: "bootstrap intervals are by channel, campaign or asset".into(),
            });
        }
        if !(level > 0.0 && level < 1.0) {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "level".into(),
                value: level.to_string(),
                reason: "must be in (0, 1)".into(),
            });
        }
        if !(2..=100_000).contains(&replicates) {
            return Err(CesError::InvalidArgument {
                row: Row(None),
                field: "replicates".into(),
                value: replicates.to_string(),
                reason: "must be between 2 and 100,000".into(),
            });
        }
        let tc = &self.transactions.c;
        let n = self.tx_rows.len();
        let ng = self.group_names(dim).len();
        let slots = self.config.models.len() * (ng + 1);
        // Per transaction: (slot, weight) pairs over all models; the bucket is slot ng.
        let mut start = vec![0usize; n + 1];
        let mut items: Vec<(u32, f64)> = Vec::new();
        let mut w = Vec::new();
        for i in 0..n {
            let touches = self.touches_of(i);
            for m in 0..self.config.models.len() {
                let base = (m * (ng + 1)) as u32;
                if touches.is_empty() {
                    items.push((base + ng as u32, 1.0));
                    continue;
                }
                self.weights_of(m, i, &mut w);
                for (&x, &e) in w.iter().zip(touches) {
                    if x != 0.0 {
                        items.push((base + self.group_of(dim, e), x));
                    }
                }
            }
            start[i + 1] = items.len();
        }
        let value: Vec<f64> = self.tx_rows.iter().map(|&t| tc.value[t as usize]).collect();
        let totals = |counts: &[u32]| -> (Vec<f64>, Vec<f64>) {
            let (mut c, mut v) = (vec![0.0; slots], vec![0.0; slots]);
            for i in 0..n {
                let k = counts[i] as f64;
                if k == 0.0 {
                    continue;
                }
                for &(s, x) in &items[start[i]..start[i + 1]] {
                    c[s as usize] += k * x;
                    v[s as usize] += k * x * value[i];
                }
            }
            (c, v)
        };
        let point = totals(&vec![1u32; n]);
        let reps: Vec<usize> = (0..replicates).collect();
        let draws = parallel::map(&reps, |&b| {
            let mut rng = Rng::new(
                seed ^ (b as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(17),
            );
            let mut counts = vec![0u32; n];
            for _ in 0..n {
                counts[rng.below(n)] += 1;
            }
            totals(&counts)
        });
        let q = |vals: &mut Vec<f64>, p: f64| -> f64 {
            vals.sort_by(f64::total_cmp);
            let h = (vals.len() - 1) as f64 * p;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            vals[lo] + (h - lo as f64) * (vals[hi] - vals[lo])
        };
        let (pl, ph) = ((1.0 - level) / 2.0, (1.0 + level) / 2.0);
        let names = self.group_names(dim);
        let mut out = Vec::new();
        for (m, model) in self.config.models.iter().enumerate() {
            let mut order: Vec<usize> = (0..=ng).collect();
            order.sort_by(|&a, &b| match (a == ng, b == ng) {
                (true, _) => std::cmp::Ordering::Greater,
                (_, true) => std::cmp::Ordering::Less,
                _ => names[a].cmp(&names[b]),
            });
            for g in order {
                let s = m * (ng + 1) + g;
                if point.0[s] == 0.0 && draws.iter().all(|d| d.0[s] == 0.0) {
                    continue;
                }
                let mut cs: Vec<f64> = draws.iter().map(|d| d.0[s]).collect();
                let mut vs: Vec<f64> = draws.iter().map(|d| d.1[s]).collect();
                out.push(CreditInterval {
                    model: model.name(),
                    group: if g == ng {
                        UNATTRIBUTED.into()
                    } else {
                        names[g].clone()
                    },
                    unattributed: g == ng,
                    conversions: point.0[s],
                    conversions_low: q(&mut cs, pl),
                    conversions_high: q(&mut cs, ph),
                    value: point.1[s],
                    value_low: q(&mut vs, pl),
                    value_high: q(&mut vs, ph),
                });
            }
        }
        Ok(out)
    }
}

/// A bootstrap interval on one group's credit under one model.
#[derive(Clone, Debug, PartialEq)]
pub struct CreditInterval {
    /// Model name.
    pub model: String,
    /// Group ([`UNATTRIBUTED`] for the bucket).
    pub group: String,
    /// Is this the unattributed bucket?
    pub unattributed: bool,
    /// Credited conversions (the point estimate).
    pub conversions: f64,
    /// Lower bound.
    pub conversions_low: f64,
    /// Upper bound.
    pub conversions_high: f64,
    /// Credited value.
    pub value: f64,
    /// Lower bound.
    pub value_low: f64,
    /// Upper bound.
    pub value_high: f64,
}
