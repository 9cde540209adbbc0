//! Ratio metrics — basket size (items per basket), average order value (revenue per order),
//! category share (category revenue per basket revenue) — compared between two arms by the
//! delta method, with a seeded bootstrap cross-check.
//!
//! The unit of randomisation (a customer, a store) contributes one numerator `yᵢ` and one
//! denominator `xᵢ`; the metric is `R = ȳ/x̄` (= Σy/Σx). Because baskets of the same customer
//! are correlated, the variance must be computed per unit, not per basket: the delta method
//! (first-order Taylor expansion of ȳ/x̄ around the means) gives
//!
//! `var(R) = (s²_y − 2R·s_xy + R²·s²_x) / (n·x̄²)` (sample moments, ddof = 1),
//!
//! computed here in the equivalent, cancellation-free form `Σ((yᵢ−ȳ) − R(xᵢ−x̄))² / ((n−1)·n·x̄²)`.
//! Then, with `V_t`, `V_c` the two arms' variances:
//!
//! * difference `D = R_t − R_c`, `se = √(V_t + V_c)`, z test and normal interval;
//! * relative lift `L = R_t/R_c − 1`, `se = (R_t/R_c)·√(V_t/R_t² + V_c/R_c²)` (computed as
//!   `√(V_t + (R_t/R_c)²·V_c)/|R_c|`, the same number that stays defined when `R_t = 0`).
//!
//! The bootstrap resamples units with replacement within each arm, `resamples` times;
//! replicate `b` draws from its own [`Rng`] stream seeded from `(seed, b)`, so the result is
//! identical for any number of threads and on every run. Its standard error is the sample
//! standard deviation (ddof = 1) of the replicated differences; its intervals are percentile
//! intervals with NumPy's default quantile rule (`method="linear"`: the order statistic at
//! position `h = (B−1)·p`, linearly interpolated between ⌊h⌋ and ⌈h⌉). A replicate in which an
//! arm's resampled denominators sum to 0 (possible only when most denominators are 0) is
//! redrawn from the same stream, so replicated ratios are always defined.
//!
//! ```
//! use ces::lift::ratio::{RatioArm, RatioConfig, ratio_metric};
//! let items_t = [3.0, 5.0, 2.0, 8.0, 4.0];
//! let baskets_t = [1.0, 2.0, 1.0, 3.0, 1.0];
//! let items_c = [2.0, 4.0, 1.0, 6.0, 3.0];
//! let baskets_c = [1.0, 2.0, 1.0, 3.0, 2.0];
//! let m = ratio_metric(
//!     RatioArm { numerator: &items_t, denominator: &baskets_t },
//!     RatioArm { numerator: &items_c, denominator: &baskets_c },
//!     &RatioConfig { bootstrap: None, ..RatioConfig::default() },
//! )
//! .unwrap();
//! assert_eq!(m.treatment.ratio, 22.0 / 8.0);
//! assert!((m.difference.estimate - (22.0 / 8.0 - 16.0 / 9.0)).abs() < 1e-12);
//! ```

use super::did::check_same_len;
use super::{
    Alternative, Inference, Interval, Method, Reference, check_confidence, invalid, invalid_at,
};
use crate::rng::Rng;
use crate::sum::{Sum, accurate_mean, compensated_sum};

/// One arm's per-unit numerators and denominators (same length, one entry per unit).
#[derive(Clone, Copy, Debug)]
pub struct RatioArm<'a> {
    /// Per-unit numerator (items, revenue, category revenue); finite.
    pub numerator: &'a [f64],
    /// Per-unit denominator (baskets, orders, basket revenue); finite and ≥ 0, not all 0.
    pub denominator: &'a [f64],
}

/// Settings of the bootstrap cross-check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BootstrapConfig {
    /// Number of bootstrap replicates, at least 100 (default 2000).
    pub resamples: usize,
    /// Seed of the replicate streams (default 20251124).
    pub seed: u64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        BootstrapConfig {
            resamples: 2000,
            seed: 20251124,
        }
    }
}

/// Settings for [`ratio_metric`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RatioConfig {
    /// Interval coverage, strictly between 0 and 1 (default 0.95).
    pub confidence: f64,
    /// The alternative of the tests (default two-sided).
    pub alternative: Alternative,
    /// The bootstrap cross-check, or `None` to skip it (default: 2000 resamples, seed
    /// 20251124).
    pub bootstrap: Option<BootstrapConfig>,
}

impl Default for RatioConfig {
    fn default() -> Self {
        RatioConfig {
            confidence: 0.95,
            alternative: Alternative::TwoSided,
            bootstrap: Some(BootstrapConfig::default()),
        }
    }
}

/// One arm's ratio and its delta-method standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatioEstimate {
    /// `R = mean(numerator) / mean(denominator)`.
    pub ratio: f64,
    /// The delta-method standard error of `R`.
    pub std_error: f64,
    /// Units.
    pub n: usize,
    /// Σ numerator.
    pub numerator_sum: f64,
    /// Σ denominator.
    pub denominator_sum: f64,
}

/// The result of [`ratio_metric`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatioMetric {
    /// The treatment arm.
    pub treatment: RatioEstimate,
    /// The control arm.
    pub control: RatioEstimate,
    /// `R_t − R_c`: delta method, z test ([`Method::DeltaMethod`], [`Reference::Normal`]).
    pub difference: Inference,
    /// `R_t/R_c − 1`: delta method, z test. Not finite when the control ratio is 0.
    pub relative_lift: Inference,
    /// The bootstrap cross-check, when configured.
    pub bootstrap: Option<RatioBootstrap>,
}

/// The bootstrap cross-check of [`RatioMetric`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatioBootstrap {
    /// Replicates drawn.
    pub resamples: usize,
    /// The seed used.
    pub seed: u64,
    /// Sample standard deviation (ddof = 1) of the replicated differences.
    pub difference_std_error: f64,
    /// Percentile interval of the difference ([`Method::Bootstrap`]; half-infinite for a
    /// one-sided alternative).
    pub difference_interval: Interval,
    /// Percentile interval of the relative lift.
    pub relative_lift_interval: Interval,
}

/// Validates one arm; `name` is `treatment` or `control`.
fn check_arm(name: &str, arm: &RatioArm<'_>) -> crate::Result<()> {
    let num = format!("{name}.numerator");
    let den = format!("{name}.denominator");
    check_same_len(&num, arm.numerator.len(), &den, arm.denominator.len())?;
    let n = arm.numerator.len();
    if n < 2 {
        return Err(invalid(
            &num,
            format!("{n} units"),
            "a ratio metric needs at least 2 units per arm for its variance",
        ));
    }
    if let Some(i) = arm.numerator.iter().position(|v| !v.is_finite()) {
        return Err(invalid_at(
            &num,
            i,
            arm.numerator[i],
            "must be a finite number",
        ));
    }
    if let Some(i) = arm
        .denominator
        .iter()
        .position(|v| !(v.is_finite() && *v >= 0.0))
    {
        return Err(invalid_at(
            &den,
            i,
            arm.denominator[i],
            "must be a finite number ≥ 0 (a count or an amount)",
        ));
    }
    if arm.denominator.iter().all(|&v| v == 0.0) {
        return Err(invalid(
            &den,
            "all 0",
            "the mean denominator is 0: the ratio is undefined",
        ));
    }
    Ok(())
}

/// The delta-method estimate of one arm, and its variance.
fn estimate(arm: &RatioArm<'_>) -> (RatioEstimate, f64) {
    let (y, x) = (arm.numerator, arm.denominator);
    let n = y.len();
    let my = accurate_mean(y.iter().copied());
    let mx = accurate_mean(x.iter().copied());
    let ratio = my / mx;
    let ss = compensated_sum(y.iter().zip(x).map(|(&yi, &xi)| {
        let e = (yi - my) - ratio * (xi - mx);
        e * e
    }));
    let nf = n as f64;
    let variance = ss / (nf - 1.0) / (nf * mx * mx);
    (
        RatioEstimate {
            ratio,
            std_error: variance.sqrt(),
            n,
            numerator_sum: compensated_sum(y.iter().copied()),
            denominator_sum: compensated_sum(x.iter().copied()),
        },
        variance,
    )
}

/// SplitMix64's output function, used to derive one independent stream per replicate.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of replicate `b`'s stream.
fn replicate_seed(seed: u64, b: usize) -> u64 {
    seed ^ mix64(
        (b as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// One arm as interleaved (numerator, denominator) pairs with its Lemire threshold.
struct Pairs {
    pairs: Vec<(f64, f64)>,
    threshold: u64,
}

impl Pairs {
    fn new(arm: &RatioArm<'_>) -> Pairs {
        let pairs: Vec<(f64, f64)> = arm
            .numerator
            .iter()
            .copied()
            .zip(arm.denominator.iter().copied())
            .collect();
        let n = pairs.len() as u64;
        Pairs {
            pairs,
            threshold: n.wrapping_neg() % n,
        }
    }

    /// The ratio of one resample (Σy*/Σx*), redrawn while Σx* is 0 (at most 1,000 times,
    /// then NaN). Draws exactly what `Rng::below(n)` would, without its per-call division.
    fn resample(&self, rng: &mut Rng) -> f64 {
        let n = self.pairs.len() as u64;
        for _ in 0..1000 {
            let (mut y0, mut x0, mut y1, mut x1) = (0.0, 0.0, 0.0, 0.0);
            let mut draw = || loop {
                let m = u128::from(rng.next_u64()) * u128::from(n);
                if (m as u64) >= self.threshold {
                    return self.pairs[(m >> 64) as usize];
                }
            };
            let mut left = self.pairs.len();
            while left >= 2 {
                let (ya, xa) = draw();
                let (yb, xb) = draw();
                y0 += ya;
                x0 += xa;
                y1 += yb;
                x1 += xb;
                left -= 2;
            }
            if left == 1 {
                let (ya, xa) = draw();
                y0 += ya;
                x0 += xa;
            }
            let x = x0 + x1;
            if x > 0.0 {
                return (y0 + y1) / x;
            }
        }
        f64::NAN
    }
}

/// NumPy's default (`method="linear"`) quantile of sorted values: position `h = (n−1)·p`,
/// interpolated between the neighbouring order statistics with NumPy's `_lerp`.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor();
    let i = lo as usize;
    let t = h - lo;
    if i + 1 >= sorted.len() {
        return sorted[sorted.len() - 1];
    }
    let (a, b) = (sorted[i], sorted[i + 1]);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The percentile interval of replicates under an alternative.
fn percentile_interval(
    mut values: Vec<f64>,
    confidence: f64,
    alternative: Alternative,
) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    let alpha = 1.0 - confidence;
    let (low, high) = match alternative {
        Alternative::TwoSided => (
            quantile_sorted(&values, alpha / 2.0),
            quantile_sorted(&values, 1.0 - alpha / 2.0),
        ),
        Alternative::Larger => (quantile_sorted(&values, alpha), f64::INFINITY),
        Alternative::Smaller => (f64::NEG_INFINITY, quantile_sorted(&values, 1.0 - alpha)),
    };
    Interval {
        method: Method::Bootstrap,
        low,
        high,
        confidence,
    }
}

/// Compares a ratio metric between a treatment and a control arm by the delta method, with an
/// optional seeded bootstrap cross-check (see the [module documentation](self)).
///
/// # Errors
///
/// [`crate::CesError::LengthMismatch`] when an arm's numerator and denominator differ in
/// length; [`crate::CesError::InvalidArgument`] naming the input (`treatment.numerator`,
/// `control.denominator`, …) for: fewer than 2 units in an arm; a non-finite numerator (with
/// the row); a non-finite or negative denominator (with the row); an arm whose denominators
/// are all 0; a confidence outside (0, 1) (`confidence`); fewer than 100 resamples
/// (`bootstrap.resamples`).
pub fn ratio_metric(
    treatment: RatioArm<'_>,
    control: RatioArm<'_>,
    config: &RatioConfig,
) -> crate::Result<RatioMetric> {
    check_confidence("confidence", config.confidence)?;
    if let Some(b) = &config.bootstrap
        && b.resamples < 100
    {
        return Err(invalid(
            "bootstrap.resamples",
            b.resamples,
            "a percentile bootstrap needs at least 100 resamples",
        ));
    }
    check_arm("treatment", &treatment)?;
    check_arm("control", &control)?;

    let (t, var_t) = estimate(&treatment);
    let (c, var_c) = estimate(&control);
    let (conf, alt) = (config.confidence, config.alternative);
    let difference = Inference::from_se(
        Method::DeltaMethod,
        t.ratio - c.ratio,
        (var_t + var_c).sqrt(),
        Reference::Normal,
        alt,
        conf,
    );
    let q = t.ratio / c.ratio;
    let lift_se = (var_t + q * q * var_c).sqrt() / c.ratio.abs();
    let relative_lift = Inference::from_se(
        Method::DeltaMethod,
        q - 1.0,
        lift_se,
        Reference::Normal,
        alt,
        conf,
    );

    let bootstrap = config.bootstrap.map(|b| {
        let (pt, pc) = (Pairs::new(&treatment), Pairs::new(&control));
        let replicates: Vec<usize> = (0..b.resamples).collect();
        let draws: Vec<(f64, f64)> = crate::parallel::map(&replicates, |&r| {
            let mut rng = Rng::new(replicate_seed(b.seed, r));
            let rt = pt.resample(&mut rng);
            let rc = pc.resample(&mut rng);
            (rt - rc, rt / rc - 1.0)
        });
        let diffs: Vec<f64> = draws.iter().map(|d| d.0).collect();
        let lifts: Vec<f64> = draws.iter().map(|d| d.1).collect();
        let mean = accurate_mean(diffs.iter().copied());
        let mut ss = Sum::default();
        for d in &diffs {
            ss.add((d - mean) * (d - mean));
        }
        let difference_std_error = (ss.get() / (diffs.len() - 1) as f64).sqrt();
        RatioBootstrap {
            resamples: b.resamples,
            seed: b.seed,
            difference_std_error,
            difference_interval: percentile_interval(diffs, conf, alt),
            relative_lift_interval: percentile_interval(lifts, conf, alt),
        }
    });

    Ok(RatioMetric {
        treatment: t,
        control: c,
        difference,
        relative_lift,
        bootstrap,
    })
}
