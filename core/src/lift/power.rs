//! Planning: power, minimum detectable effect and sample size, for proportions and means.
//!
//! Power is the exact two-variance normal power of statsmodels' `normal_power_het`: the test
//! statistic's standard deviation under the null (`σ₀`, pooled rate for proportions) differs
//! from its standard deviation under the alternative (`σ₁`). With `n_t` treatment and
//! `n_c = r·n_t` control units and effect `d`,
//!
//! ```text
//! power = Φ̄(z·σ₀/σ₁ − d·√n_t/σ₁) + Φ(−z·σ₀/σ₁ − d·√n_t/σ₁)    (two-sided, z = Φ⁻¹(1 − α/2))
//! ```
//!
//! where `σ² = p_t(1 − p_t) + p_c(1 − p_c)/r` (proportions) or `σ_t² + σ_c²/r` (means).
//! The minimum detectable effect and the sample size are the roots of `power = target`, found
//! by Brent's method on a bracket that is checked to contain the root — the quick closed form
//! (`(z_α + z_β)·σ/√n` with one variance) understates the MDE for proportions.

use super::special::{brentq, norm_cdf, norm_isf, norm_ppf, norm_sf};
use super::{Alternative, Method, check_confidence, invalid};
use crate::Result;

/// A power calculation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Power {
    /// The probability of rejecting the null when the effect is `effect`.
    pub power: f64,
    /// The effect assumed (absolute: `p_t − p_c`, or a difference of means).
    pub effect: f64,
    /// Standard deviation of the statistic under the null, per √(treatment unit).
    pub std_null: f64,
    /// Standard deviation under the alternative, per √(treatment unit).
    pub std_alternative: f64,
    /// Treatment units.
    pub n_treatment: f64,
    /// Control units.
    pub n_control: f64,
    /// Significance level `1 − confidence`.
    pub alpha: f64,
    /// The alternative.
    pub alternative: Alternative,
    /// Always [`Method::NormalPower`].
    pub method: Method,
}

/// A minimum detectable effect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mde {
    /// The smallest absolute effect (`p_t − p_c` or difference of means) detected with the
    /// target power; negative for the `Smaller` alternative.
    pub absolute: f64,
    /// The same relative to the baseline (`absolute / baseline`).
    pub relative: f64,
    /// The power at that effect (equals the target to root-finding precision).
    pub power: f64,
}

/// A sample size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleSize {
    /// The exact (real) treatment size at which power equals the target.
    pub n_treatment_exact: f64,
    /// Treatment units to recruit: the exact size rounded up.
    pub n_treatment: u64,
    /// Control units to recruit: `ceil(ratio · n_treatment_exact)`.
    pub n_control: u64,
    /// Both arms.
    pub total: u64,
    /// The power achieved with the rounded sizes (≥ the target).
    pub power: f64,
}

/// Design inputs shared by every planning function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Design {
    /// Confidence `1 − α` (default 0.95).
    pub confidence: f64,
    /// The alternative (default two-sided).
    pub alternative: Alternative,
}

impl Default for Design {
    fn default() -> Self {
        Design {
            confidence: 0.95,
            alternative: Alternative::TwoSided,
        }
    }
}

/// statsmodels `normal_power_het(diff, nobs, alpha, std_null, std_alternative, alternative)`.
pub(crate) fn normal_power_het(
    diff: f64,
    nobs: f64,
    alpha: f64,
    std_null: f64,
    std_alt: f64,
    alternative: Alternative,
) -> f64 {
    let alpha_ = if alternative == Alternative::TwoSided {
        alpha / 2.0
    } else {
        alpha
    };
    let ratio = std_null / std_alt;
    let shift = diff * nobs.sqrt() / std_alt;
    let mut pow = 0.0;
    if matches!(alternative, Alternative::TwoSided | Alternative::Larger) {
        pow = norm_sf(norm_isf(alpha_) * ratio - shift);
    }
    if matches!(alternative, Alternative::TwoSided | Alternative::Smaller) {
        pow += norm_cdf(norm_ppf(alpha_) * ratio - shift);
    }
    pow
}

fn check_rate(field: &str, p: f64) -> Result<f64> {
    if p.is_finite() && p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err(invalid(
            field,
            p,
            "a conversion rate must be strictly between 0 and 1",
        ))
    }
}

fn check_n(field: &str, n: f64) -> Result<f64> {
    if n.is_finite() && n > 0.0 {
        Ok(n)
    } else {
        Err(invalid(
            field,
            n,
            "a group size must be a finite number > 0",
        ))
    }
}

fn check_positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(invalid(field, v, "must be a finite number > 0"))
    }
}

fn check_power(field: &str, p: f64, alpha: f64, alternative: Alternative) -> Result<f64> {
    let floor = if alternative == Alternative::TwoSided {
        alpha / 2.0
    } else {
        alpha
    };
    if p.is_finite() && p > floor && p < 1.0 {
        Ok(p)
    } else {
        Err(invalid(
            field,
            p,
            &format!("the target power must be in ({floor}, 1): above the test's size"),
        ))
    }
}

fn prop_stds(baseline: f64, diff: f64, ratio: f64) -> (f64, f64) {
    let p1 = baseline + diff;
    let p2 = baseline;
    let pooled = (p1 + p2 * ratio) / (1.0 + ratio);
    let std_null = (pooled * (1.0 - pooled) + pooled * (1.0 - pooled) / ratio).sqrt();
    let std_alt = (p1 * (1.0 - p1) + p2 * (1.0 - p2) / ratio).sqrt();
    (std_null, std_alt)
}

/// Power of the two-proportion z test (statsmodels `power_proportions_2indep`): control rate
/// `baseline`, treatment rate `baseline + effect`.
pub fn power_proportions(
    baseline: f64,
    effect: f64,
    n_treatment: f64,
    n_control: f64,
    design: &Design,
) -> Result<Power> {
    let baseline = check_rate("baseline", baseline)?;
    if !(effect.is_finite() && baseline + effect > 0.0 && baseline + effect < 1.0) {
        return Err(invalid(
            "effect",
            effect,
            &format!(
                "the treatment rate baseline + effect must be in (0, 1) (baseline {baseline})"
            ),
        ));
    }
    let nt = check_n("n_treatment", n_treatment)?;
    let nc = check_n("n_control", n_control)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let (std_null, std_alt) = prop_stds(baseline, effect, nc / nt);
    Ok(Power {
        power: normal_power_het(effect, nt, alpha, std_null, std_alt, design.alternative),
        effect,
        std_null,
        std_alternative: std_alt,
        n_treatment: nt,
        n_control: nc,
        alpha,
        alternative: design.alternative,
        method: Method::NormalPower,
    })
}

/// Power of the two-sample z test of means with unequal variances `sd_treatment²`,
/// `sd_control²` (statsmodels `normal_power_het` with `σ = √(σ_t² + σ_c²/r)`).
pub fn power_means(
    effect: f64,
    sd_treatment: f64,
    sd_control: f64,
    n_treatment: f64,
    n_control: f64,
    design: &Design,
) -> Result<Power> {
    if !effect.is_finite() {
        return Err(invalid("effect", effect, "must be a finite number"));
    }
    let st = check_positive("sd_treatment", sd_treatment)?;
    let sc = check_positive("sd_control", sd_control)?;
    let nt = check_n("n_treatment", n_treatment)?;
    let nc = check_n("n_control", n_control)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let s = (st * st + sc * sc / (nc / nt)).sqrt();
    Ok(Power {
        power: normal_power_het(effect, nt, alpha, s, s, design.alternative),
        effect,
        std_null: s,
        std_alternative: s,
        n_treatment: nt,
        n_control: nc,
        alpha,
        alternative: design.alternative,
        method: Method::NormalPower,
    })
}

const XTOL: f64 = 1e-15;
const RTOL: f64 = 4.0 * f64::EPSILON;

/// Minimum detectable effect for proportions: the smallest `|p_t − p_c|` (upwards, or
/// downwards for the `Smaller` alternative) detected with probability `power`.
pub fn mde_proportions(
    baseline: f64,
    n_treatment: f64,
    n_control: f64,
    power: f64,
    design: &Design,
) -> Result<Mde> {
    let baseline = check_rate("baseline", baseline)?;
    let nt = check_n("n_treatment", n_treatment)?;
    let nc = check_n("n_control", n_control)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let target = check_power("power", power, alpha, design.alternative)?;
    let down = design.alternative == Alternative::Smaller;
    // Effects run from 0 to the edge of the rate's range, (0, 1 − p) or (−p, 0).
    let edge = if down { -baseline } else { 1.0 - baseline };
    let tiny = edge * 1e-12;
    let ratio = nc / nt;
    let f = |d: f64| {
        let (s0, s1) = prop_stds(baseline, d, ratio);
        normal_power_het(d, nt, alpha, s0, s1, design.alternative) - target
    };
    let (a, b) = (tiny, edge - tiny);
    if f(b) < 0.0 {
        return Err(invalid(
            "power",
            target,
            &format!(
                "not reachable with {nt} treatment and {nc} control units at baseline {baseline}: \
                 even the largest possible effect has power {:.6}",
                f(b) + target
            ),
        ));
    }
    let d = if f(a) >= 0.0 {
        a
    } else {
        brentq(f, a, b, XTOL, RTOL, 500).unwrap_or(b)
    };
    Ok(Mde {
        absolute: d,
        relative: d / baseline,
        power: f(d) + target,
    })
}

/// Minimum detectable difference of means.
pub fn mde_means(
    baseline: f64,
    sd_treatment: f64,
    sd_control: f64,
    n_treatment: f64,
    n_control: f64,
    power: f64,
    design: &Design,
) -> Result<Mde> {
    if !baseline.is_finite() {
        return Err(invalid("baseline", baseline, "must be a finite number"));
    }
    let st = check_positive("sd_treatment", sd_treatment)?;
    let sc = check_positive("sd_control", sd_control)?;
    let nt = check_n("n_treatment", n_treatment)?;
    let nc = check_n("n_control", n_control)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let target = check_power("power", power, alpha, design.alternative)?;
    let s = (st * st + sc * sc / (nc / nt)).sqrt();
    let sign = if design.alternative == Alternative::Smaller {
        -1.0
    } else {
        1.0
    };
    let f = |d: f64| normal_power_het(sign * d, nt, alpha, s, s, design.alternative) - target;
    // Power rises from its size at 0 to 1: double the bracket until it covers the target.
    let mut hi = s / nt.sqrt();
    while f(hi) < 0.0 {
        hi *= 2.0;
    }
    let d = brentq(f, 0.0, hi, XTOL, RTOL, 500).unwrap_or(hi);
    let absolute = sign * d;
    Ok(Mde {
        absolute,
        relative: absolute / baseline,
        power: f(d) + target,
    })
}

fn sample_size(ratio: f64, target: f64, power_at: impl Fn(f64, f64) -> f64) -> Result<SampleSize> {
    let f = |n: f64| power_at(n, ratio * n) - target;
    // Power rises with n: bracket the root by doubling up from 1 (or halving down from 1 when
    // a single unit already suffices), then refine.
    let (mut lo, mut hi) = (1.0, 1.0);
    if f(1.0) < 0.0 {
        while f(hi) < 0.0 {
            lo = hi;
            hi *= 2.0;
            if hi > 1e18 {
                return Err(invalid(
                    "effect",
                    0,
                    "too small to detect with any sample size",
                ));
            }
        }
    } else {
        while f(lo) >= 0.0 && lo > 1e-12 {
            hi = lo;
            lo /= 2.0;
        }
    }
    let n = if f(lo) >= 0.0 {
        lo
    } else {
        brentq(f, lo, hi, 1e-10, RTOL, 500).unwrap_or(hi)
    };
    let nt = n.ceil() as u64;
    let nc = (ratio * n).ceil() as u64;
    Ok(SampleSize {
        n_treatment_exact: n,
        n_treatment: nt,
        n_control: nc,
        total: nt + nc,
        // Rounding up changes the ratio slightly: the power actually reached.
        power: power_at(nt as f64, nc as f64),
    })
}

/// Sample size for proportions: treatment units (and `ratio ×` as many control units) at
/// which the test of `baseline` vs `baseline + effect` has the target power.
pub fn sample_size_proportions(
    baseline: f64,
    effect: f64,
    ratio: f64,
    power: f64,
    design: &Design,
) -> Result<SampleSize> {
    let baseline = check_rate("baseline", baseline)?;
    if !(effect.is_finite() && effect != 0.0 && baseline + effect > 0.0 && baseline + effect < 1.0)
    {
        return Err(invalid(
            "effect",
            effect,
            &format!("must be non-zero with baseline + effect in (0, 1) (baseline {baseline})"),
        ));
    }
    let ratio = check_positive("ratio", ratio)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let target = check_power("power", power, alpha, design.alternative)?;
    let alt = design.alternative;
    if (alt == Alternative::Larger && effect < 0.0) || (alt == Alternative::Smaller && effect > 0.0)
    {
        return Err(invalid(
            "effect",
            effect,
            "points away from the one-sided alternative",
        ));
    }
    sample_size(ratio, target, |nt, nc| {
        let (s0, s1) = prop_stds(baseline, effect, nc / nt);
        normal_power_het(effect, nt, alpha, s0, s1, alt)
    })
}

/// Sample size for a difference of means.
pub fn sample_size_means(
    effect: f64,
    sd_treatment: f64,
    sd_control: f64,
    ratio: f64,
    power: f64,
    design: &Design,
) -> Result<SampleSize> {
    if !(effect.is_finite() && effect != 0.0) {
        return Err(invalid(
            "effect",
            effect,
            "must be a finite non-zero number",
        ));
    }
    let st = check_positive("sd_treatment", sd_treatment)?;
    let sc = check_positive("sd_control", sd_control)?;
    let ratio = check_positive("ratio", ratio)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    let target = check_power("power", power, alpha, design.alternative)?;
    let alt = design.alternative;
    if (alt == Alternative::Larger && effect < 0.0) || (alt == Alternative::Smaller && effect > 0.0)
    {
        return Err(invalid(
            "effect",
            effect,
            "points away from the one-sided alternative",
        ));
    }
    sample_size(ratio, target, |nt, nc| {
        let s = (st * st + sc * sc / (nc / nt)).sqrt();
        normal_power_het(effect, nt, alpha, s, s, alt)
    })
}

/// Power of a z test whose estimator has standard error `std_error` (e.g. a
/// difference-in-differences estimate) to detect a true effect `effect`:
/// `normal_power_het(effect, 1, α, se, se)`.
pub fn power_from_se(effect: f64, std_error: f64, design: &Design) -> Result<Power> {
    if !effect.is_finite() {
        return Err(invalid("effect", effect, "must be a finite number"));
    }
    let se = check_positive("std_error", std_error)?;
    let alpha = 1.0 - check_confidence("confidence", design.confidence)?;
    Ok(Power {
        power: normal_power_het(effect, 1.0, alpha, se, se, design.alternative),
        effect,
        std_null: se,
        std_alternative: se,
        n_treatment: f64::NAN,
        n_control: f64::NAN,
        alpha,
        alternative: design.alternative,
        method: Method::NormalPower,
    })
}
