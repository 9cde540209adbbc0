//! Two-group conversion lift: rates, lifts, incremental outcomes, tests and intervals.
//!
//! Conventions follow statsmodels: the treatment (exposed) arm is sample 1, the control arm is
//! sample 2, differences are `p_t − p_c` and ratios `p_t / p_c`.

use super::fisher::{FisherExact, fisher_exact};
use super::special::{brentq, norm_isf};
use super::{Alternative, Interval, Method, Reference, check_confidence, invalid};
use crate::Result;

/// One arm of a conversion test: how many users, how many converted, and (optionally) the
/// revenue they produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arm {
    /// Users (or units) in the arm: a whole number > 0.
    pub users: f64,
    /// Users who converted: a whole number in `[0, users]`.
    pub conversions: f64,
    /// Revenue of the arm (optional, finite ≥ 0); gives incremental revenue and iROAS.
    pub revenue: Option<f64>,
}

impl Arm {
    /// An arm without revenue.
    pub fn new(users: f64, conversions: f64) -> Arm {
        Arm {
            users,
            conversions,
            revenue: None,
        }
    }

    /// The same arm with its revenue.
    pub fn with_revenue(self, revenue: f64) -> Arm {
        Arm {
            revenue: Some(revenue),
            ..self
        }
    }

    fn check(&self, arm: &str) -> Result<()> {
        let users = format!("{arm}.users");
        let conv = format!("{arm}.conversions");
        let n = self.users;
        let x = self.conversions;
        if !n.is_finite() || n < 0.0 || n.fract() != 0.0 {
            return Err(invalid(&users, n, "must be a whole number ≥ 0"));
        }
        if n == 0.0 {
            return Err(invalid(&users, n, "the group is empty"));
        }
        if n > 9_007_199_254_740_992.0 {
            return Err(invalid(&users, n, "must be at most 2^53"));
        }
        if !x.is_finite() || x < 0.0 || x.fract() != 0.0 {
            return Err(invalid(&conv, x, "must be a whole number ≥ 0"));
        }
        if x > n {
            return Err(invalid(
                &conv,
                x,
                &format!("more conversions than users ({n})"),
            ));
        }
        if let Some(r) = self.revenue
            && !(r.is_finite() && r >= 0.0)
        {
            return Err(invalid(
                &format!("{arm}.revenue"),
                r,
                "must be a finite number ≥ 0",
            ));
        }
        Ok(())
    }

    /// Conversion rate `x / n`.
    pub fn rate(&self) -> f64 {
        self.conversions / self.users
    }
}

/// When to run Fisher's exact test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FisherMode {
    /// When counts are small: some expected cell count of the 2×2 table is below 5 (the
    /// classical rule). Fisher's p-value is then the primary test.
    #[default]
    Auto,
    /// Always (primary test).
    Always,
    /// Never.
    Never,
}

/// Options of [`conversion_lift`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConversionConfig {
    /// Confidence of every interval (default 0.95).
    pub confidence: f64,
    /// Alternative of the tests (intervals are two-sided).
    pub alternative: Alternative,
    /// Media spend behind the treatment (gives iROAS and cost per incremental conversion).
    pub spend: Option<f64>,
    /// Interval reported as *the* interval of the difference (default Newcomb): one of
    /// `Wald`, `AgrestiCaffo`, `Newcomb`, `Score`.
    pub difference_method: Method,
    /// Interval of the ratio behind the relative lift (default log-adjusted): one of `Log`,
    /// `LogAdjusted`, `Score`.
    pub ratio_method: Method,
    /// When to run Fisher's exact test.
    pub fisher: FisherMode,
}

impl Default for ConversionConfig {
    fn default() -> Self {
        ConversionConfig {
            confidence: 0.95,
            alternative: Alternative::TwoSided,
            spend: None,
            difference_method: Method::Newcomb,
            ratio_method: Method::LogAdjusted,
            fisher: FisherMode::Auto,
        }
    }
}

/// A hypothesis test: its method, statistic and p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Test {
    /// The method.
    pub method: Method,
    /// The statistic (z, or the odds ratio for Fisher's test).
    pub statistic: f64,
    /// The p-value under `alternative`.
    pub p_value: f64,
    /// The alternative.
    pub alternative: Alternative,
}

/// The result of [`conversion_lift`].
#[derive(Clone, Debug, PartialEq)]
pub struct ConversionLift {
    /// The treatment (exposed) arm as given.
    pub treatment: Arm,
    /// The control arm as given.
    pub control: Arm,
    /// Treatment conversion rate `p_t`.
    pub treatment_rate: f64,
    /// Control conversion rate `p_c`.
    pub control_rate: f64,
    /// `p_t − p_c`.
    pub absolute_lift: f64,
    /// `p_t / p_c − 1` (∞ when the control rate is 0 and the treatment's is not; NaN when
    /// both are 0).
    pub relative_lift: f64,
    /// `x_t − x_c·n_t/n_c`: conversions the treatment caused beyond what the control rate
    /// predicts for the treatment's size.
    pub incremental_conversions: f64,
    /// `R_t − R_c·n_t/n_c`, when both revenues are given.
    pub incremental_revenue: Option<f64>,
    /// Spend, as configured.
    pub spend: Option<f64>,
    /// Incremental revenue / spend.
    pub iroas: Option<f64>,
    /// Spend / incremental conversions.
    pub cost_per_incremental_conversion: Option<f64>,
    /// Pooled two-proportion z test.
    pub pooled_z: Test,
    /// Unpooled (Wald) z test.
    pub wald_z: Test,
    /// Miettinen–Nurminen score test.
    pub score_z: Test,
    /// Fisher's exact test, when run (see [`FisherMode`]).
    pub fisher: Option<FisherExact>,
    /// The primary test: Fisher's when it ran, else the pooled z test.
    pub test: Test,
    /// Is the primary test significant at `1 − confidence`?
    pub significant: bool,
    /// The configured interval of the difference.
    pub difference_interval: Interval,
    /// The configured ratio interval minus 1: the interval of the relative lift.
    pub relative_lift_interval: Interval,
    /// Every interval of the difference: Wald, Agresti–Caffo, Newcomb, score.
    pub difference_intervals: Vec<Interval>,
    /// Every interval of the ratio `p_t / p_c`: log, log-adjusted, score.
    pub ratio_intervals: Vec<Interval>,
    /// Confidence of the intervals.
    pub confidence: f64,
}

/// Two-group conversion lift with every test and interval (see the module docs).
///
/// ```
/// use ces::lift::{Arm, ConversionConfig, conversion_lift};
/// let r = conversion_lift(
///     &Arm::new(10_000.0, 560.0).with_revenue(28_000.0),
///     &Arm::new(10_000.0, 500.0).with_revenue(25_000.0),
///     &ConversionConfig { spend: Some(1_500.0), ..Default::default() },
/// ).unwrap();
/// assert!((r.absolute_lift - 0.006).abs() < 1e-15);
/// assert_eq!(r.incremental_conversions, 60.0);
/// assert_eq!(r.iroas, Some(2.0));
/// assert_eq!(r.difference_interval.method.as_str(), "newcomb");
/// ```
pub fn conversion_lift(
    treatment: &Arm,
    control: &Arm,
    config: &ConversionConfig,
) -> Result<ConversionLift> {
    treatment.check("treatment")?;
    control.check("control")?;
    let confidence = check_confidence("confidence", config.confidence)?;
    if let Some(s) = config.spend
        && !(s.is_finite() && s >= 0.0)
    {
        return Err(invalid("spend", s, "must be a finite number ≥ 0"));
    }
    if !matches!(
        config.difference_method,
        Method::Wald | Method::AgrestiCaffo | Method::Newcomb | Method::Score
    ) {
        return Err(invalid(
            "difference_method",
            config.difference_method,
            "must be wald, agresti_caffo, newcomb or score",
        ));
    }
    if !matches!(
        config.ratio_method,
        Method::Log | Method::LogAdjusted | Method::Score
    ) {
        return Err(invalid(
            "ratio_method",
            config.ratio_method,
            "must be log, log_adjusted or score",
        ));
    }
    let alpha = 1.0 - confidence;
    let (xt, nt, xc, nc) = (
        treatment.conversions,
        treatment.users,
        control.conversions,
        control.users,
    );
    let pt = xt / nt;
    let pc = xc / nc;
    let alt = config.alternative;

    let incremental_conversions = xt - xc * nt / nc;
    let incremental_revenue = match (treatment.revenue, control.revenue) {
        (Some(rt), Some(rc)) => Some(rt - rc * nt / nc),
        _ => None,
    };
    let iroas = match (incremental_revenue, config.spend) {
        (Some(r), Some(s)) => Some(r / s),
        _ => None,
    };
    let cost_per_incremental_conversion = config.spend.map(|s| s / incremental_conversions);

    let pooled_z = pooled_z_test(xt, nt, xc, nc, alt);
    let wald_z = wald_z_test(xt, nt, xc, nc, alt);
    let score_z = {
        let (stat, p) = score_test_diff(xt, nt, xc, nc, 0.0, alt);
        Test {
            method: Method::ScoreZ,
            statistic: stat,
            p_value: p,
            alternative: alt,
        }
    };
    let run_fisher = match config.fisher {
        FisherMode::Never => false,
        FisherMode::Always => true,
        FisherMode::Auto => {
            let n = nt + nc;
            let conv = xt + xc;
            let rows = [nt, nc];
            let cols = [conv, n - conv];
            rows.iter().any(|r| cols.iter().any(|c| r * c / n < 5.0))
        }
    };
    let fisher = if run_fisher {
        let table = [[xt as u64, (nt - xt) as u64], [xc as u64, (nc - xc) as u64]];
        Some(fisher_exact(table, alt)?)
    } else {
        None
    };
    let test = match &fisher {
        Some(f) => Test {
            method: Method::FisherExact,
            statistic: f.odds_ratio,
            p_value: f.p_value,
            alternative: alt,
        },
        None => pooled_z,
    };

    let difference_intervals: Vec<Interval> = [
        Method::Wald,
        Method::AgrestiCaffo,
        Method::Newcomb,
        Method::Score,
    ]
    .into_iter()
    .map(|m| difference_interval(m, xt, nt, xc, nc, alpha, confidence))
    .collect();
    let ratio_intervals: Vec<Interval> = [Method::Log, Method::LogAdjusted, Method::Score]
        .into_iter()
        .map(|m| ratio_interval(m, xt, nt, xc, nc, alpha, confidence))
        .collect();
    let difference_interval = *difference_intervals
        .iter()
        .find(|i| i.method == config.difference_method)
        .expect("every difference method is computed");
    let ratio = *ratio_intervals
        .iter()
        .find(|i| i.method == config.ratio_method)
        .expect("every ratio method is computed");
    let relative_lift_interval = Interval {
        low: ratio.low - 1.0,
        high: ratio.high - 1.0,
        ..ratio
    };

    Ok(ConversionLift {
        treatment: *treatment,
        control: *control,
        treatment_rate: pt,
        control_rate: pc,
        absolute_lift: pt - pc,
        relative_lift: pt / pc - 1.0,
        incremental_conversions,
        incremental_revenue,
        spend: config.spend,
        iroas,
        cost_per_incremental_conversion,
        pooled_z,
        wald_z,
        score_z,
        fisher,
        significant: test.p_value < alpha,
        test,
        difference_interval,
        relative_lift_interval,
        difference_intervals,
        ratio_intervals,
        confidence,
    })
}

/// z statistic → (statistic, p-value), with the conventions for a zero standard error: an
/// exactly zero difference gives z = 0 and p = 1 (no evidence), a non-zero one ±∞ and p = 0.
fn z_test(diff: f64, var: f64, alt: Alternative) -> (f64, f64) {
    let stat = if var > 0.0 {
        diff / var.sqrt()
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    (stat, Reference::Normal.p_value(stat, alt))
}

/// statsmodels `proportions_ztest([xt, xc], [nt, nc])`.
fn pooled_z_test(xt: f64, nt: f64, xc: f64, nc: f64, alt: Alternative) -> Test {
    let p = (xt + xc) / (nt + nc);
    let var = p * (1.0 - p) * (1.0 / nt + 1.0 / nc);
    let (statistic, p_value) = z_test(xt / nt - xc / nc, var, alt);
    Test {
        method: Method::PooledZ,
        statistic,
        p_value,
        alternative: alt,
    }
}

/// statsmodels `test_proportions_2indep(method="wald")`.
fn wald_z_test(xt: f64, nt: f64, xc: f64, nc: f64, alt: Alternative) -> Test {
    let (pt, pc) = (xt / nt, xc / nc);
    let var = pt * (1.0 - pt) / nt + pc * (1.0 - pc) / nc;
    let (statistic, p_value) = z_test(pt - pc, var, alt);
    Test {
        method: Method::WaldZ,
        statistic,
        p_value,
        alternative: alt,
    }
}

/// Miettinen–Nurminen score test of `p_t − p_c = value` (statsmodels
/// `score_test_proportions_2indep`, `correction=True`): (statistic, p-value).
pub(crate) fn score_test_diff(
    xt: f64,
    nt: f64,
    xc: f64,
    nc: f64,
    value: f64,
    alt: Alternative,
) -> (f64, f64) {
    let n = nt + nc;
    let x = xt + xc;
    let (pt, pc) = (xt / nt, xc / nc);
    let (prop0, prop1) = if value == 0.0 {
        let p = x / n;
        (p, p)
    } else {
        // The restricted MLE of the control rate (Miettinen & Nurminen 1985), in statsmodels'
        // closed form with the linear coefficient corrected (statsmodels 0.15.0 has `count0`
        // where `nobs0` belongs — statsmodels issue #10269, PR #10270 — so its root does not
        // maximise the restricted likelihood). The arccos argument is clamped to [−1, 1]
        // against rounding.
        let d = value;
        let tmp3 = n;
        let tmp2 = (nt + 2.0 * nc) * d - n - x;
        let tmp1 = (nc * d - n - 2.0 * xc) * d + x;
        let tmp0 = xc * d * (1.0 - d);
        let q =
            (tmp2 / (3.0 * tmp3)).powi(3) - tmp1 * tmp2 / (6.0 * tmp3 * tmp3) + tmp0 / (2.0 * tmp3);
        let p = q.signum() * ((tmp2 / (3.0 * tmp3)).powi(2) - tmp1 / (3.0 * tmp3)).sqrt();
        let a = (std::f64::consts::PI + (q / (p * p * p)).clamp(-1.0, 1.0).acos()) / 3.0;
        let mut prop0 = 2.0 * p * a.cos() - tmp2 / (3.0 * tmp3);
        // The trigonometric form loses digits to cancellation (the p-value near a bound then
        // moves by ~1e-9): polish the root with Newton steps on the cubic itself,
        // tmp3·x³ + tmp2·x² + tmp1·x + tmp0 = 0, keeping a step only when it shrinks |g|.
        let g = |x: f64| ((tmp3 * x + tmp2) * x + tmp1) * x + tmp0;
        for _ in 0..3 {
            let gx = g(prop0);
            let dg = (3.0 * tmp3 * prop0 + 2.0 * tmp2) * prop0 + tmp1;
            if gx == 0.0 || dg == 0.0 || !dg.is_finite() {
                break;
            }
            let next = prop0 - gx / dg;
            if next.is_finite() && g(next).abs() < gx.abs() {
                prop0 = next;
            } else {
                break;
            }
        }
        (prop0, prop0 + d)
    };
    let var = (prop1 * (1.0 - prop1) / nt + prop0 * (1.0 - prop0) / nc) * (n / (n - 1.0));
    z_test(pt - pc - value, var, alt)
}

/// Miettinen–Nurminen score test of `p_t / p_c = value` (statsmodels, `compare="ratio"`,
/// `correction=True`).
pub(crate) fn score_test_ratio(
    xt: f64,
    nt: f64,
    xc: f64,
    nc: f64,
    value: f64,
    alt: Alternative,
) -> (f64, f64) {
    let n = nt + nc;
    let x = xt + xc;
    let (pt, pc) = (xt / nt, xc / nc);
    let (prop0, prop1) = if value == 1.0 {
        let p = x / n;
        (p, p)
    } else {
        let a = n * value;
        let b = -(nt * value + xt + nc + xc * value);
        let c = x;
        let prop0 = (-b - (b * b - 4.0 * a * c).max(0.0).sqrt()) / (2.0 * a);
        (prop0, prop0 * value)
    };
    let var =
        (prop1 * (1.0 - prop1) / nt + value * value * prop0 * (1.0 - prop0) / nc) * (n / (n - 1.0));
    z_test(pt - value * pc, var, alt)
}

/// The Wilson interval of one proportion (statsmodels `proportion_confint(method="wilson")`).
fn wilson(x: f64, n: f64, alpha: f64) -> (f64, f64) {
    let q = x / n;
    let crit = norm_isf(alpha / 2.0);
    let crit2 = crit * crit;
    let denom = 1.0 + crit2 / n;
    let center = (q + crit2 / (2.0 * n)) / denom;
    let dist = crit * (q * (1.0 - q) / n + crit2 / (4.0 * n * n)).sqrt() / denom;
    (
        (center - dist).clamp(0.0, 1.0),
        (center + dist).clamp(0.0, 1.0),
    )
}

fn difference_interval(
    method: Method,
    xt: f64,
    nt: f64,
    xc: f64,
    nc: f64,
    alpha: f64,
    confidence: f64,
) -> Interval {
    let (low, high) = match method {
        Method::Wald | Method::AgrestiCaffo => {
            let add = if method == Method::AgrestiCaffo {
                1.0
            } else {
                0.0
            };
            let (x1, n1, x2, n2) = (xt + add, nt + 2.0 * add, xc + add, nc + 2.0 * add);
            let (p1, p2) = (x1 / n1, x2 / n2);
            let d = p1 - p2;
            let half = norm_isf(alpha / 2.0) * (p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2).sqrt();
            (d - half, d + half)
        }
        Method::Newcomb => {
            let (pt, pc) = (xt / nt, xc / nc);
            let (l1, u1) = wilson(xt, nt, alpha);
            let (l2, u2) = wilson(xc, nc, alpha);
            let d = pt - pc;
            let dl = ((pt - l1).powi(2) + (u2 - pc).powi(2)).sqrt();
            let du = ((pc - l2).powi(2) + (u1 - pt).powi(2)).sqrt();
            (d - dl, d + du)
        }
        _ => score_interval_diff(xt, nt, xc, nc, alpha),
    };
    Interval {
        method,
        low,
        high,
        confidence,
    }
}

const XTOL: f64 = 1e-15;
const RTOL: f64 = 4.0 * f64::EPSILON;

/// The score interval of the difference: the two roots of `p(v) = α`, where `p` is the
/// two-sided score-test p-value of `p_t − p_c = v`. `p(d̂) = 1 > α` and `p → 0` towards
/// ±1 unless the data sit on that boundary, so each root is bracketed between `d̂` and the
/// innermost point near the boundary where `p < α`; when there is none the bound is the
/// boundary itself. Always converges.
fn score_interval_diff(xt: f64, nt: f64, xc: f64, nc: f64, alpha: f64) -> (f64, f64) {
    let d = xt / nt - xc / nc;
    let f = |v: f64| score_test_diff(xt, nt, xc, nc, v, Alternative::TwoSided).1 - alpha;
    let bound = |towards: f64| -> f64 {
        // Points approaching the boundary `towards` (±1) geometrically.
        let mut step = 1e-15;
        let mut outer = None;
        while step < 1.0 {
            let v = towards - towards.signum() * step;
            if (v - d) * towards <= 0.0 {
                break;
            }
            let fv = f(v);
            if fv.is_finite() {
                outer = Some((v, fv));
                break;
            }
            step *= 10.0;
        }
        match outer {
            Some((v, fv)) if fv < 0.0 => brentq(f, d, v, XTOL, RTOL, 200).unwrap_or(towards),
            _ => towards,
        }
    };
    (bound(-1.0), bound(1.0))
}

fn ratio_interval(
    method: Method,
    xt: f64,
    nt: f64,
    xc: f64,
    nc: f64,
    alpha: f64,
    confidence: f64,
) -> Interval {
    let (low, high) = match method {
        Method::Log | Method::LogAdjusted => {
            let add = if method == Method::LogAdjusted {
                0.5
            } else {
                0.0
            };
            let (x1, n1, x2, n2) = (xt + add, nt + add, xc + add, nc + add);
            let ratio = (x1 / n1) / (x2 / n2);
            let var = 1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2;
            if var.is_finite() && ratio > 0.0 && ratio.is_finite() {
                let half = norm_isf(alpha / 2.0) * var.sqrt();
                ((ratio.ln() - half).exp(), (ratio.ln() + half).exp())
            } else {
                // A zero count makes the Katz variance infinite: the limit interval.
                (0.0, f64::INFINITY)
            }
        }
        _ => score_interval_ratio(xt, nt, xc, nc, alpha),
    };
    Interval {
        method,
        low,
        high,
        confidence,
    }
}

/// The score interval of the ratio, by inverting the score test on `s = ln(ratio)`.
///
/// Each bound is found by walking from a point where `p > α` towards its boundary (0 or ∞)
/// with steps that start small and double — skipping points where the test is not finite —
/// until `p < α`, then refining by Brent's method between the last point with `p > α` and
/// that one. When the walk reaches the edge of the floating-point range without `p < α` the
/// bound is the boundary itself (lower 0 when the treatment has no conversions, upper ∞ when
/// the control has none).
fn score_interval_ratio(xt: f64, nt: f64, xc: f64, nc: f64, alpha: f64) -> (f64, f64) {
    if xt == 0.0 && xc == 0.0 {
        return (0.0, f64::INFINITY);
    }
    let f = |s: f64| score_test_ratio(xt, nt, xc, nc, s.exp(), Alternative::TwoSided).1 - alpha;
    // A starting point inside the interval: the estimate, or — when it is 0 or ∞ — the
    // log-adjusted estimate moved towards it until the test accepts.
    let start = if xt > 0.0 && xc > 0.0 {
        ((xt / nt) / (xc / nc)).ln()
    } else {
        let adj = ((xt + 0.5) / (nt + 0.5) / ((xc + 0.5) / (nc + 0.5))).ln();
        let dir = if xt == 0.0 { -1.0 } else { 1.0 };
        let mut s = adj;
        let mut h = 0.5;
        while f(s).is_nan() || f(s) <= 0.0 {
            if s.abs() >= 700.0 {
                break;
            }
            s += dir * h;
            h *= 2.0;
        }
        s
    };
    let walk = |dir: f64| -> Option<f64> {
        let mut inside = start;
        let mut h = 1.0 / 64.0;
        loop {
            let s = start + dir * h;
            if s.abs() > 709.0 {
                return None;
            }
            let fs = f(s);
            if fs.is_finite() {
                if fs < 0.0 {
                    let (a, b) = if dir > 0.0 { (inside, s) } else { (s, inside) };
                    return brentq(f, a, b, XTOL, RTOL, 400);
                }
                inside = s;
            }
            h *= 2.0;
        }
    };
    let lower = if xt == 0.0 {
        0.0
    } else {
        walk(-1.0).map_or(0.0, f64::exp)
    };
    let upper = if xc == 0.0 {
        f64::INFINITY
    } else {
        walk(1.0).map_or(f64::INFINITY, f64::exp)
    };
    (lower, upper)
}

/// [`conversion_lift`] over many pairs (treatment, control) with one configuration, in
/// parallel; each pair's result or error stays at its index.
pub fn conversion_lift_batch(
    pairs: &[(Arm, Arm)],
    config: &ConversionConfig,
) -> Vec<Result<ConversionLift>> {
    crate::parallel::map(pairs, |(t, c)| conversion_lift(t, c, config))
}
