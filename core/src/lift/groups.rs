//! Lift from attribution data: exposed and control units (stores, geographies, customers)
//! built from the exposure and transaction tables of [`crate::attribution`], before and after
//! a campaign starts, and the methods of this module run on them; the result exported as a
//! prior a media-mix model can take (effect, standard error, spend).
//!
//! * A **unit** is a match key (store, geography, customer) that has a transaction in
//!   `[pre_start, end)` or an exposure of the campaign.
//! * A unit is **exposed** when it has an exposure of the campaign that starts before `end`;
//!   every other unit is a **control** (it may have seen other campaigns).
//! * Time is cut into periods of `period` µs from `pre_start`; periods starting before
//!   `campaign_start` are **pre**, the others **post** (`campaign_start − pre_start` must be a
//!   whole number of periods, so no period straddles the cut).
//! * The outcome per unit and period is the sum of the transactions' values (sales), their
//!   count, or the units sold; a unit-period without transactions counts 0, so the panel is
//!   balanced.
//! * The 2×2 difference-in-differences (exposed × post, cluster-robust by unit) is the
//!   primary estimate; the two-way fixed-effects panel, where a unit is treated from the
//!   period of its first campaign exposure, is reported beside it.

use super::did::{Did2x2, DidConfig, DidPanel, did_2x2, did_panel};
use super::power::{Design, Power, normal_power_het, power_from_se};
use super::{Alternative, Method, check_confidence, invalid};
use crate::Result;
use crate::attribution::{ExposureTable, TransactionTable};
use rustc_hash::FxHashMap;

/// Which per-unit outcome to compare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Sum of transaction values.
    #[default]
    Sales,
    /// Number of transactions.
    Transactions,
    /// Units sold.
    Units,
}

impl Outcome {
    /// `sales`, `transactions` or `units`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sales => "sales",
            Outcome::Transactions => "transactions",
            Outcome::Units => "units",
        }
    }

    /// Parses [`Outcome::as_str`] names.
    pub fn parse(text: &str) -> Option<Outcome> {
        match text.trim() {
            "sales" => Some(Outcome::Sales),
            "transactions" => Some(Outcome::Transactions),
            "units" => Some(Outcome::Units),
            _ => None,
        }
    }
}

/// A period length written as a whole number and a unit — `w`, `d`, `h`, `m` or `s`
/// (`"7d"`, `"2w"`, `"12h"`) — in µs. What the bindings accept for [`PanelSpec::period`].
///
/// ```
/// use ces::lift::parse_period;
/// assert_eq!(parse_period("7d").unwrap(), 604_800_000_000);
/// assert_eq!(parse_period(" 2 w ").unwrap(), 1_209_600_000_000);
/// assert_eq!(parse_period("0d").unwrap_err().code(), "invalid_argument");
/// assert!(parse_period("7 days").is_err());
/// ```
pub fn parse_period(text: &str) -> Result<i64> {
    let bad = || {
        invalid(
            "period",
            format!("{text:?}"),
            "expected a whole number > 0 and a unit: w, d, h, m or s (e.g. '7d')",
        )
    };
    let t = text.trim();
    let unit: i64 = match t.chars().last() {
        Some('w') => 604_800_000_000,
        Some('d') => 86_400_000_000,
        Some('h') => 3_600_000_000,
        Some('m') => 60_000_000,
        Some('s') => 1_000_000,
        _ => return Err(bad()),
    };
    let digits = t[..t.len() - 1].trim();
    match digits.parse::<i64>() {
        Ok(n) if n > 0 && digits.bytes().all(|c| c.is_ascii_digit()) => {
            n.checked_mul(unit).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// Which campaign, and the calendar of the comparison (µs since the epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub struct PanelSpec {
    /// The campaign under test (as in the exposures' `campaign` column).
    pub campaign: String,
    /// Start of the first pre period.
    pub pre_start: i64,
    /// Start of the first post period (usually the campaign's launch).
    pub campaign_start: i64,
    /// End of the last post period (exclusive).
    pub end: i64,
    /// Period length (e.g. 7 days = 604,800,000,000 µs).
    pub period: i64,
}

/// A unit × period panel built from attribution data.
#[derive(Clone, Debug, PartialEq)]
pub struct StorePanel {
    /// The units' keys, rendered as text, indexed by unit number (ascending key order).
    pub unit_keys: Vec<String>,
    /// Unit number per row.
    pub unit: Vec<u64>,
    /// Period number per row (0 = the first pre period).
    pub period: Vec<i64>,
    /// Was the row's unit exposed to the campaign?
    pub exposed: Vec<bool>,
    /// Is the row's period post (starts at or after `campaign_start`)?
    pub post: Vec<bool>,
    /// Is the unit treated in this period (exposed, and at or after the period of its first
    /// campaign exposure)?
    pub treated_now: Vec<bool>,
    /// The chosen outcome per row.
    pub outcome: Vec<f64>,
    /// Exposed units.
    pub exposed_units: usize,
    /// Control units.
    pub control_units: usize,
    /// Periods.
    pub periods: usize,
    /// Pre periods.
    pub pre_periods: usize,
    /// Media cost of the campaign's exposures that start in `[pre_start, end)` (missing costs
    /// count 0).
    pub spend: f64,
    /// Exposures of the campaign without a cost.
    pub exposures_without_cost: usize,
    /// The campaign's channels, sorted.
    pub channels: Vec<String>,
}

fn check_spec(spec: &PanelSpec) -> Result<i64> {
    if spec.period <= 0 {
        return Err(invalid("period", spec.period, "a period must be > 0 µs"));
    }
    if spec.campaign_start <= spec.pre_start {
        return Err(invalid(
            "campaign_start",
            spec.campaign_start,
            &format!(
                "no pre period: the campaign must start after pre_start ({})",
                spec.pre_start
            ),
        ));
    }
    if spec.end <= spec.campaign_start {
        return Err(invalid(
            "end",
            spec.end,
            &format!(
                "no post period: end must be after campaign_start ({})",
                spec.campaign_start
            ),
        ));
    }
    if (spec.campaign_start - spec.pre_start) % spec.period != 0 {
        return Err(invalid(
            "campaign_start",
            spec.campaign_start,
            "campaign_start − pre_start must be a whole number of periods",
        ));
    }
    Ok((spec.end - spec.pre_start + spec.period - 1) / spec.period)
}

/// Builds the unit × period panel of `spec.campaign` (see the module docs).
pub fn store_panel(
    exposures: &ExposureTable,
    transactions: &TransactionTable,
    spec: &PanelSpec,
    outcome: Outcome,
) -> Result<StorePanel> {
    let periods = check_spec(spec)? as usize;
    let pre_periods = ((spec.campaign_start - spec.pre_start) / spec.period) as usize;
    let ex = exposures.columns();
    let tx = transactions.columns();
    let Some(camp_code) = ex.campaign.values.iter().position(|v| *v == spec.campaign) else {
        return Err(invalid(
            "campaign",
            &spec.campaign,
            "no exposure belongs to this campaign",
        ));
    };
    let (ekeys, tkeys) = crate::attribution::input::key_codes(&ex.key, &tx.key)?;
    // First campaign exposure per key, spend and channels.
    let mut first: FxHashMap<u64, i64> = FxHashMap::default();
    let mut costs: Vec<f64> = Vec::new();
    let mut without_cost = 0;
    let mut channels: Vec<String> = Vec::new();
    let mut render: FxHashMap<u64, (bool, usize)> = FxHashMap::default();
    for (i, &ekey) in ekeys.iter().enumerate() {
        if ex.campaign.codes[i] as usize != camp_code || ex.start[i] >= spec.end {
            continue;
        }
        let s = ex.start[i];
        first
            .entry(ekeys[i])
            .and_modify(|f| *f = (*f).min(s))
            .or_insert(s);
        render.entry(ekey).or_insert((true, i));
        if s >= spec.pre_start {
            match ex.cost.as_ref().and_then(|c| c[i]) {
                Some(c) => costs.push(c),
                None => without_cost += 1,
            }
        }
        let ch = ex.channel.get(i);
        if !channels.iter().any(|c| c == ch) {
            channels.push(ch.to_string());
        }
    }
    if first.is_empty() {
        return Err(invalid(
            "campaign",
            &spec.campaign,
            "the campaign has no exposure starting before `end`",
        ));
    }
    channels.sort();
    // Summed in a canonical order: the same spend for any row order.
    costs.sort_unstable_by(f64::total_cmp);
    let mut spend_sum = super::means::Sum::default();
    costs.iter().for_each(|&c| spend_sum.add(c));
    let spend = spend_sum.get();
    // Outcome per (key, period), summed in a canonical order (key, period, value) so that the
    // panel is bit-identical for any row order of the input.
    let mut rows: Vec<(u64, usize, u64)> = Vec::new();
    for (i, &tkey) in tkeys.iter().enumerate() {
        let t = tx.time[i];
        if t < spec.pre_start || t >= spec.end {
            continue;
        }
        let p = ((t - spec.pre_start) / spec.period) as usize;
        let v = match outcome {
            Outcome::Sales => tx.value[i],
            Outcome::Transactions => 1.0,
            Outcome::Units => tx.units[i],
        };
        // Values are finite and ≥ 0, so their bit patterns sort numerically.
        rows.push((tkey, p, v.to_bits()));
        render.entry(tkey).or_insert((false, i));
    }
    rows.sort_unstable();
    let mut cells: FxHashMap<(u64, usize), f64> = FxHashMap::default();
    let mut k = 0;
    while k < rows.len() {
        let (key, p, _) = rows[k];
        let mut sum = super::means::Sum::default();
        while k < rows.len() && rows[k].0 == key && rows[k].1 == p {
            sum.add(f64::from_bits(rows[k].2));
            k += 1;
        }
        cells.insert((key, p), sum.get());
    }
    let mut keys: Vec<u64> = render.keys().copied().collect();
    keys.sort_unstable();
    let render_key = |k: u64| -> String {
        let (is_ex, i) = render[&k];
        if is_ex {
            ex.key.render(i)
        } else {
            tx.key.render(i)
        }
    };
    let n = keys.len() * periods;
    let mut panel = StorePanel {
        unit_keys: keys.iter().map(|&k| render_key(k)).collect(),
        unit: Vec::with_capacity(n),
        period: Vec::with_capacity(n),
        exposed: Vec::with_capacity(n),
        post: Vec::with_capacity(n),
        treated_now: Vec::with_capacity(n),
        outcome: Vec::with_capacity(n),
        exposed_units: 0,
        control_units: 0,
        periods,
        pre_periods,
        spend,
        exposures_without_cost: without_cost,
        channels,
    };
    for (u, &k) in keys.iter().enumerate() {
        let first_period = first.get(&k).map(|&s| {
            if s < spec.pre_start {
                0
            } else {
                (s - spec.pre_start) / spec.period
            }
        });
        if first_period.is_some() {
            panel.exposed_units += 1;
        } else {
            panel.control_units += 1;
        }
        for p in 0..periods {
            panel.unit.push(u as u64);
            panel.period.push(p as i64);
            panel.exposed.push(first_period.is_some());
            panel.post.push(p >= pre_periods);
            panel
                .treated_now
                .push(first_period.is_some_and(|f| p as i64 >= f));
            panel
                .outcome
                .push(cells.get(&(k, p)).copied().unwrap_or(0.0));
        }
    }
    Ok(panel)
}

/// Options of [`campaign_lift`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CampaignLiftConfig {
    /// The outcome compared (default sales).
    pub outcome: Outcome,
    /// Standard errors and reference distribution of the DiD estimates (default
    /// cluster-robust by unit, t with G − 1 df).
    pub did: DidConfig,
    /// The relative effect the power is computed for (default 0.05 = +5 % of the exposed
    /// units' counterfactual).
    pub mde_relative: f64,
    /// Target power for the reported minimum detectable effect (default 0.8).
    pub target_power: f64,
}

impl Default for CampaignLiftConfig {
    fn default() -> Self {
        CampaignLiftConfig {
            outcome: Outcome::Sales,
            did: DidConfig::default(),
            mde_relative: 0.05,
            target_power: 0.8,
        }
    }
}

/// The lift of one campaign from attribution data.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignLift {
    /// The spec it was computed for.
    pub spec: PanelSpec,
    /// The outcome.
    pub outcome: Outcome,
    /// Exposed units, control units, periods, pre periods, spend, channels (the panel without
    /// its rows).
    pub exposed_units: usize,
    /// Control units.
    pub control_units: usize,
    /// Periods.
    pub periods: usize,
    /// Pre periods.
    pub pre_periods: usize,
    /// Campaign spend in the window.
    pub spend: f64,
    /// The campaign's channels.
    pub channels: Vec<String>,
    /// The 2×2 difference-in-differences per unit and period (primary).
    pub did: Did2x2,
    /// Two-way fixed effects with treatment from each unit's first exposure.
    pub panel: DidPanel,
    /// The exposed units' counterfactual post mean per unit-period (observed − effect).
    pub baseline: f64,
    /// `effect / baseline`.
    pub relative_lift: f64,
    /// The relative lift's interval (the effect's interval / baseline).
    pub relative_interval: (f64, f64),
    /// Incremental outcome over the post window: effect × exposed units × post periods.
    pub incremental: f64,
    /// Its standard error.
    pub incremental_std_error: f64,
    /// Its interval.
    pub incremental_interval: (f64, f64),
    /// Incremental outcome per unit of spend (NaN without spend).
    pub iroas: f64,
    /// Power to detect `mde_relative × baseline` with this design's standard error.
    pub power: Power,
    /// The absolute effect per unit-period detectable with `target_power`.
    pub mde: f64,
    /// `mde / baseline`.
    pub mde_relative: f64,
}

/// Builds the panel of `spec` and estimates the campaign's lift on it.
pub fn campaign_lift(
    exposures: &ExposureTable,
    transactions: &TransactionTable,
    spec: &PanelSpec,
    config: &CampaignLiftConfig,
) -> Result<CampaignLift> {
    let confidence = check_confidence("confidence", config.did.confidence)?;
    if !(config.mde_relative.is_finite() && config.mde_relative > 0.0) {
        return Err(invalid(
            "mde_relative",
            config.mde_relative,
            "must be a finite number > 0",
        ));
    }
    let alpha = 1.0 - confidence;
    let alternative = config.did.alternative;
    let floor = if alternative == Alternative::TwoSided {
        alpha / 2.0
    } else {
        alpha
    };
    if !(config.target_power > floor && config.target_power < 1.0) {
        return Err(invalid(
            "target_power",
            config.target_power,
            "must be in (α, 1)",
        ));
    }
    let p = store_panel(exposures, transactions, spec, config.outcome)?;
    if p.control_units == 0 {
        return Err(invalid(
            "campaign",
            &spec.campaign,
            "every unit was exposed: there is no control group",
        ));
    }
    let did = did_2x2(&p.unit, &p.exposed, &p.post, &p.outcome, &config.did)?;
    let panel = did_panel(&p.unit, &p.period, &p.treated_now, &p.outcome, &config.did)?;
    let effect = did.effect.estimate;
    let se = did.effect.std_error;
    let baseline = did.cell_means[1][1] - effect;
    let cells = (p.exposed_units * (p.periods - p.pre_periods)) as f64;
    let (lo, hi) = (did.effect.interval.low, did.effect.interval.high);
    let design = Design {
        confidence,
        alternative,
    };
    let power = power_from_se(config.mde_relative * baseline.abs(), se, &design)?;
    // The detectable effect: the root of power(δ) = target (power rises with δ from its size).
    let f = |d: f64| normal_power_het(d, 1.0, alpha, se, se, alternative) - config.target_power;
    let mut hi_d = se;
    while f(hi_d) < 0.0 {
        hi_d *= 2.0;
    }
    let mde =
        super::special::brentq(f, 0.0, hi_d, 1e-15 * se, 4.0 * f64::EPSILON, 500).unwrap_or(hi_d);
    Ok(CampaignLift {
        spec: spec.clone(),
        outcome: config.outcome,
        exposed_units: p.exposed_units,
        control_units: p.control_units,
        periods: p.periods,
        pre_periods: p.pre_periods,
        spend: p.spend,
        channels: p.channels,
        baseline,
        relative_lift: effect / baseline,
        relative_interval: (lo / baseline, hi / baseline),
        incremental: effect * cells,
        incremental_std_error: se * cells,
        incremental_interval: (lo * cells, hi * cells),
        iroas: if p.spend > 0.0 {
            effect * cells / p.spend
        } else {
            f64::NAN
        },
        power,
        mde,
        mde_relative: mde / baseline,
        did,
        panel,
    })
}

/// One row of the media-mix prior table: a campaign's incremental effect with its standard
/// error and spend, in the form MMMs take as a calibration prior (e.g. a normal prior on the
/// channel's contribution over the window, or on ROI = effect / spend).
#[derive(Clone, Debug, PartialEq)]
pub struct MmmPrior {
    /// The campaign.
    pub campaign: String,
    /// Its channel, or the channels joined with `+`.
    pub channel: String,
    /// The outcome (`sales`, `transactions`, `units`).
    pub metric: String,
    /// Window start (µs, UTC): the campaign start.
    pub start: i64,
    /// Window end (µs, exclusive).
    pub end: i64,
    /// The method of the estimate.
    pub method: Method,
    /// Incremental outcome over the window.
    pub effect: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Interval of the effect.
    pub ci_low: f64,
    /// Interval of the effect.
    pub ci_high: f64,
    /// Confidence of the interval.
    pub confidence: f64,
    /// Spend in the window.
    pub spend: f64,
    /// effect / spend (NaN without spend).
    pub roi: f64,
    /// std_error / spend.
    pub roi_std_error: f64,
    /// Exposed units.
    pub exposed_units: usize,
    /// Control units.
    pub control_units: usize,
}

impl CampaignLift {
    /// The media-mix prior row of this lift (from the 2×2 estimate).
    pub fn mmm_prior(&self) -> MmmPrior {
        let spend = self.spend;
        MmmPrior {
            campaign: self.spec.campaign.clone(),
            channel: self.channels.join("+"),
            metric: self.outcome.as_str().to_string(),
            start: self.spec.campaign_start,
            end: self.spec.end,
            method: self.did.effect.interval.method,
            effect: self.incremental,
            std_error: self.incremental_std_error,
            ci_low: self.incremental_interval.0,
            ci_high: self.incremental_interval.1,
            confidence: self.did.effect.interval.confidence,
            spend,
            roi: if spend > 0.0 {
                self.incremental / spend
            } else {
                f64::NAN
            },
            roi_std_error: if spend > 0.0 {
                self.incremental_std_error / spend
            } else {
                f64::NAN
            },
            exposed_units: self.exposed_units,
            control_units: self.control_units,
        }
    }
}

/// Exposed and control arms of a conversion test over match keys (customers): a key is
/// exposed when it has an exposure of the campaign before `end`; it converts when it has a
/// transaction in `[campaign_start, end)`; revenue sums those transactions. Keys are those
/// with an exposure (any campaign) or a transaction in `[pre_start, end)`.
pub fn conversion_groups(
    exposures: &ExposureTable,
    transactions: &TransactionTable,
    spec: &PanelSpec,
) -> Result<(super::Arm, super::Arm)> {
    check_spec(spec)?;
    let ex = exposures.columns();
    let tx = transactions.columns();
    let (ekeys, tkeys) = crate::attribution::input::key_codes(&ex.key, &tx.key)?;
    let camp = ex.campaign.values.iter().position(|v| *v == spec.campaign);
    // key → (exposed, converted, revenue)
    let mut units: FxHashMap<u64, (bool, bool, f64)> = FxHashMap::default();
    let mut revenue: Vec<(u64, u64)> = Vec::new();
    for (i, &ekey) in ekeys.iter().enumerate() {
        let e = units.entry(ekey).or_insert((false, false, 0.0));
        if Some(ex.campaign.codes[i] as usize) == camp && ex.start[i] < spec.end {
            e.0 = true;
        }
    }
    if camp.is_none() {
        return Err(invalid(
            "campaign",
            &spec.campaign,
            "no exposure belongs to this campaign",
        ));
    }
    for (i, &tkey) in tkeys.iter().enumerate() {
        let t = tx.time[i];
        if t < spec.pre_start || t >= spec.end {
            continue;
        }
        let e = units.entry(tkey).or_insert((false, false, 0.0));
        if t >= spec.campaign_start {
            e.1 = true;
            revenue.push((tkey, tx.value[i].to_bits()));
        }
    }
    // Revenue per key summed in a canonical order (any row order gives the same sums).
    revenue.sort_unstable();
    let mut k = 0;
    while k < revenue.len() {
        let key = revenue[k].0;
        let mut sum = super::means::Sum::default();
        while k < revenue.len() && revenue[k].0 == key {
            sum.add(f64::from_bits(revenue[k].1));
            k += 1;
        }
        if let Some(e) = units.get_mut(&key) {
            e.2 = sum.get();
        }
    }
    let mut keys: Vec<u64> = units.keys().copied().collect();
    keys.sort_unstable();
    let mut arms = [(0.0, 0.0, super::means::Sum::default()); 2];
    for k in keys {
        let (exposed, converted, revenue) = units[&k];
        let a = &mut arms[usize::from(!exposed)];
        a.0 += 1.0;
        if converted {
            a.1 += 1.0;
        }
        a.2.add(revenue);
    }
    let arm = |a: (f64, f64, super::means::Sum)| super::Arm {
        users: a.0,
        conversions: a.1,
        revenue: Some(a.2.get()),
    };
    Ok((arm(arms[0]), arm(arms[1])))
}
