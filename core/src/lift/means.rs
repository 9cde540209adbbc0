//! Continuous metrics (revenue per user, basket value): Welch's t test, CUPED with a pooled θ,
//! and ANCOVA by OLS.

use super::{Alternative, Inference, Method, Reference, check_confidence, check_finite, invalid};
use crate::Result;
use crate::error::CesError;

/// Size, mean and variance (ddof = 1) of a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleSummary {
    /// Observations.
    pub n: f64,
    /// Mean.
    pub mean: f64,
    /// Sample variance (divisor n − 1).
    pub variance: f64,
}

pub(crate) use crate::sum::Sum;

pub(crate) fn mean(xs: &[f64]) -> f64 {
    let mut s = Sum::default();
    xs.iter().for_each(|&x| s.add(x));
    s.get() / xs.len() as f64
}

/// The mean as an unevaluated sum `hi + lo` (double-double): the compensated sum divided by
/// n with the division's remainder carried. Differences of nearly equal means (5e7 + noise)
/// keep their digits.
pub(crate) fn mean_dd(xs: &[f64]) -> (f64, f64) {
    let mut s = Sum::default();
    xs.iter().for_each(|&x| s.add(x));
    let n = xs.len() as f64;
    let (sum, compensation) = s.parts();
    let (hi, lo) = two_sum(sum, compensation);
    let q = hi / n;
    let r = (-q).mul_add(n, hi) + lo;
    (q, r / n)
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `mean(a) − mean(b)` correctly rounded up to a few ulps, even when the means cancel.
pub(crate) fn mean_difference(a: &[f64], b: &[f64]) -> f64 {
    let (ah, al) = mean_dd(a);
    let (bh, bl) = mean_dd(b);
    let (d, e) = two_sum(ah, -bh);
    d + (e + (al - bl))
}

impl SampleSummary {
    /// Summarises a sample (two passes, compensated sums).
    pub fn of(field: &str, xs: &[f64]) -> Result<SampleSummary> {
        check_finite(field, xs)?;
        if xs.len() < 2 {
            return Err(invalid(field, xs.len(), "needs at least 2 observations"));
        }
        // Deviations from the double-double mean keep their digits when the variance is tiny
        // next to the mean (5e7 ± 0.01).
        let (m, m_lo) = mean_dd(xs);
        let mut s = Sum::default();
        let mut c = Sum::default();
        for &x in xs {
            let d = (x - m) - m_lo;
            s.add(d * d);
            c.add(d);
        }
        let n = xs.len() as f64;
        // The correction term removes what rounding left in the mean.
        let var = (s.get() - c.get() * c.get() / n) / (n - 1.0);
        Ok(SampleSummary {
            n,
            mean: m,
            variance: var.max(0.0),
        })
    }

    fn check(&self, field: &str) -> Result<()> {
        if !(self.n.is_finite() && self.n >= 2.0) {
            return Err(invalid(
                &format!("{field}.n"),
                self.n,
                "needs at least 2 observations",
            ));
        }
        if !self.mean.is_finite() {
            return Err(invalid(
                &format!("{field}.mean"),
                self.mean,
                "must be finite",
            ));
        }
        if !(self.variance.is_finite() && self.variance >= 0.0) {
            return Err(invalid(
                &format!("{field}.variance"),
                self.variance,
                "must be finite ≥ 0",
            ));
        }
        Ok(())
    }
}

/// Welch's unequal-variance t test of `mean_t − mean_c` (SciPy `ttest_ind(equal_var=False)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    /// The treatment sample.
    pub treatment: SampleSummary,
    /// The control sample.
    pub control: SampleSummary,
    /// The difference of means with Welch's standard error, t statistic (Welch–Satterthwaite
    /// degrees of freedom), p-value and interval.
    pub inference: Inference,
    /// `mean_t / mean_c − 1`.
    pub relative_lift: f64,
}

/// Welch's t test from two samples.
///
/// A zero standard error (both samples constant) gives t = ±∞ and p = 0 when the means
/// differ, and t = NaN, p = NaN when they are equal (SciPy returns NaN for both).
pub fn welch(
    treatment: &[f64],
    control: &[f64],
    confidence: f64,
    alternative: Alternative,
) -> Result<Welch> {
    let t = SampleSummary::of("treatment", treatment)?;
    let c = SampleSummary::of("control", control)?;
    let confidence = check_confidence("confidence", confidence)?;
    let diff = mean_difference(treatment, control);
    Ok(welch_inner(
        &t,
        &c,
        diff,
        confidence,
        alternative,
        Method::WelchT,
    ))
}

/// Welch's t test from summary statistics.
pub fn welch_from_summary(
    treatment: &SampleSummary,
    control: &SampleSummary,
    confidence: f64,
    alternative: Alternative,
) -> Result<Welch> {
    treatment.check("treatment")?;
    control.check("control")?;
    let confidence = check_confidence("confidence", confidence)?;
    let diff = treatment.mean - control.mean;
    Ok(welch_inner(
        treatment,
        control,
        diff,
        confidence,
        alternative,
        Method::WelchT,
    ))
}

fn welch_inner(
    t: &SampleSummary,
    c: &SampleSummary,
    diff: f64,
    confidence: f64,
    alternative: Alternative,
    method: Method,
) -> Welch {
    let vt = t.variance / t.n;
    let vc = c.variance / c.n;
    let se2 = vt + vc;
    let df = se2 * se2 / (vt * vt / (t.n - 1.0) + vc * vc / (c.n - 1.0));
    let inference = Inference::from_se(
        method,
        diff,
        se2.sqrt(),
        Reference::StudentT(df),
        alternative,
        confidence,
    );
    Welch {
        treatment: *t,
        control: *c,
        inference,
        relative_lift: t.mean / c.mean - 1.0,
    }
}

fn split(y: &[f64], x: Option<&[f64]>, treated: &[bool]) -> Result<()> {
    if y.len() != treated.len() {
        return Err(CesError::LengthMismatch {
            left_field: "y".into(),
            left_len: y.len(),
            right_field: "treated".into(),
            right_len: treated.len(),
        });
    }
    if let Some(x) = x
        && x.len() != y.len()
    {
        return Err(CesError::LengthMismatch {
            left_field: "y".into(),
            left_len: y.len(),
            right_field: "x".into(),
            right_len: x.len(),
        });
    }
    check_finite("y", y)?;
    if let Some(x) = x {
        check_finite("x", x)?;
    }
    let nt = treated.iter().filter(|&&t| t).count();
    if nt < 2 {
        return Err(invalid(
            "treated",
            nt,
            "the treatment group needs at least 2 units",
        ));
    }
    if y.len() - nt < 2 {
        return Err(invalid(
            "treated",
            y.len() - nt,
            "the control group needs at least 2 units",
        ));
    }
    Ok(())
}

/// CUPED (Deng et al. 2013) with θ pooled over both groups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cuped {
    /// θ = cov(Y, X) / var(X) over all units.
    pub theta: f64,
    /// `1 − var(Y_adj)/var(Y)` over all units: the share of variance removed (≈ ρ²).
    pub variance_reduction: f64,
    /// Welch's test on the adjusted outcome `Y − θ(X − X̄)` (method [`Method::Cuped`]).
    pub adjusted: Welch,
    /// Welch's test on the raw outcome, for comparison.
    pub unadjusted: Welch,
    /// The ANCOVA estimate (`Y ~ 1 + treated + X` by OLS): equal to CUPED up to O(1/n).
    pub ancova: Ancova,
}

/// CUPED: variance reduction with a pre-period covariate `x` (e.g. last quarter's revenue).
pub fn cuped(
    y: &[f64],
    x: &[f64],
    treated: &[bool],
    confidence: f64,
    alternative: Alternative,
) -> Result<Cuped> {
    split(y, Some(x), treated)?;
    let confidence = check_confidence("confidence", confidence)?;
    let n = y.len() as f64;
    let my = mean(y);
    let mx = mean(x);
    let (mut sxy, mut sxx, mut syy) = (Sum::default(), Sum::default(), Sum::default());
    for (&yi, &xi) in y.iter().zip(x) {
        let (dy, dx) = (yi - my, xi - mx);
        sxy.add(dy * dx);
        sxx.add(dx * dx);
        syy.add(dy * dy);
    }
    if sxx.get() <= 0.0 {
        return Err(invalid(
            "x",
            x[0],
            "the covariate is constant: CUPED needs it to vary",
        ));
    }
    let theta = (sxy.get() / (n - 1.0)) / (sxx.get() / (n - 1.0));
    let adj: Vec<f64> = y
        .iter()
        .zip(x)
        .map(|(&yi, &xi)| yi - theta * (xi - mx))
        .collect();
    let var_adj = SampleSummary::of("y", &adj)?.variance;
    let var_y = syy.get() / (n - 1.0);
    let (at, ac) = by_group(&adj, treated);
    let (yt, yc) = by_group(y, treated);
    let adjusted = welch_inner(
        &SampleSummary::of("y", &at)?,
        &SampleSummary::of("y", &ac)?,
        mean_difference(&at, &ac),
        confidence,
        alternative,
        Method::Cuped,
    );
    let unadjusted = welch_inner(
        &SampleSummary::of("y", &yt)?,
        &SampleSummary::of("y", &yc)?,
        mean_difference(&yt, &yc),
        confidence,
        alternative,
        Method::WelchT,
    );
    Ok(Cuped {
        theta,
        variance_reduction: 1.0 - var_adj / var_y,
        adjusted,
        unadjusted,
        ancova: ancova_inner(y, x, treated, confidence, alternative)?,
    })
}

fn by_group(v: &[f64], treated: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let mut t = Vec::new();
    let mut c = Vec::new();
    for (&vi, &ti) in v.iter().zip(treated) {
        if ti { t.push(vi) } else { c.push(vi) }
    }
    (t, c)
}

/// ANCOVA: OLS of `y` on `[1, treated, x]` (statsmodels `OLS`); the treated coefficient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ancova {
    /// Classical OLS standard error, t test with `n − 3` degrees of freedom
    /// ([`Method::AncovaOls`]).
    pub classical: Inference,
    /// HC1 (heteroscedasticity-robust) standard error with the normal reference, as
    /// statsmodels' `cov_type="HC1"` ([`Method::AncovaHc1`]).
    pub hc1: Inference,
    /// The covariate's coefficient (the within-group θ).
    pub slope: f64,
    /// Residual degrees of freedom `n − 3`.
    pub df_resid: f64,
}

/// ANCOVA by OLS (`y ~ 1 + treated + x`).
pub fn ancova(
    y: &[f64],
    x: &[f64],
    treated: &[bool],
    confidence: f64,
    alternative: Alternative,
) -> Result<Ancova> {
    split(y, Some(x), treated)?;
    let confidence = check_confidence("confidence", confidence)?;
    ancova_inner(y, x, treated, confidence, alternative)
}

fn ancova_inner(
    y: &[f64],
    x: &[f64],
    treated: &[bool],
    confidence: f64,
    alternative: Alternative,
) -> Result<Ancova> {
    let n = y.len() as f64;
    if n < 4.0 {
        return Err(invalid("y", n, "ANCOVA needs at least 4 units"));
    }
    // Centre every column: the intercept is absorbed, and the 2×2 normal equations of the
    // centred [treated, x] are well conditioned.
    let d: Vec<f64> = treated.iter().map(|&t| if t { 1.0 } else { 0.0 }).collect();
    let (md, mx, my) = (mean(&d), mean(x), mean(y));
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (
        Sum::default(),
        Sum::default(),
        Sum::default(),
        Sum::default(),
        Sum::default(),
    );
    for i in 0..y.len() {
        let (u, v, w) = (d[i] - md, x[i] - mx, y[i] - my);
        a11.add(u * u);
        a12.add(u * v);
        a22.add(v * v);
        b1.add(u * w);
        b2.add(v * w);
    }
    let (a11, a12, a22, b1, b2) = (a11.get(), a12.get(), a22.get(), b1.get(), b2.get());
    let det = a11 * a22 - a12 * a12;
    if det.is_nan() || det <= 1e-12 * a11 * a22 {
        return Err(invalid(
            "x",
            x[0],
            "the covariate is constant or collinear with the treatment indicator",
        ));
    }
    let beta_d = (a22 * b1 - a12 * b2) / det;
    let beta_x = (a11 * b2 - a12 * b1) / det;
    // Row of (X'X)⁻¹X' for the treated coefficient: (a22·u − a12·v)/det.
    let (mut rss, mut meat) = (Sum::default(), Sum::default());
    for i in 0..y.len() {
        let (u, v, w) = (d[i] - md, x[i] - mx, y[i] - my);
        let e = w - beta_d * u - beta_x * v;
        rss.add(e * e);
        let h = (a22 * u - a12 * v) / det;
        meat.add(h * h * e * e);
    }
    let df = n - 3.0;
    let se = (rss.get() / df * a22 / det).sqrt();
    let se_hc1 = (meat.get() * n / df).sqrt();
    Ok(Ancova {
        classical: Inference::from_se(
            Method::AncovaOls,
            beta_d,
            se,
            Reference::StudentT(df),
            alternative,
            confidence,
        ),
        hc1: Inference::from_se(
            Method::AncovaHc1,
            beta_d,
            se_hc1,
            Reference::Normal,
            alternative,
            confidence,
        ),
        slope: beta_x,
        df_resid: df,
    })
}
