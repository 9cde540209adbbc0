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
/// The mean as an unevaluated sum `hi + lo` (double-double): the compensated sum divided by
/// n with the division's remainder carried. Differences of nearly equal means (5e7 + noise)
/// keep their digits.
pub(crate) fn mean_dd(xs: &[f64]) -> (f64, f64) {
    let mut s = Sum::default();
    xs.iter().for_each(|&x| s.add(x));
    dd_div(s, xs.len() as f64)
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
    let m = GroupMoments::of(y, x, treated);
    if m.sxx_pooled() <= 0.0 {
        return Err(invalid(
            "x",
            x[0],
            "the covariate is constant: CUPED needs it to vary",
        ));
    }
    let n = m.n();
    let theta = (m.sxy_pooled() / (n - 1.0)) / (m.sxx_pooled() / (n - 1.0));
    // Per group, the adjusted outcome y − θ(x − x̄) has mean ȳ_g − θ(x̄_g − x̄) and centred
    // sum of squares S_yy − 2θS_xy + θ²S_xx; the pooled one adds the between-group term.
    let adj_ss = |g: usize| m.syy[g] - 2.0 * theta * m.sxy[g] + theta * theta * m.sxx[g];
    let adj_summary = |g: usize| SampleSummary {
        n: m.n[g],
        mean: m.my[g].0 - theta * (m.mx[g].0 - m.mx_pooled()),
        variance: (adj_ss(g) / (m.n[g] - 1.0)).max(0.0),
    };
    let (dy, dx) = (m.dy(), m.dx());
    let adj_diff = dy - theta * dx;
    let between = m.n[0] * m.n[1] / n;
    let var_adj = (adj_ss(0) + adj_ss(1) + between * adj_diff * adj_diff) / (n - 1.0);
    let var_y = m.syy_pooled() / (n - 1.0);
    let y_summary = |g: usize| SampleSummary {
        n: m.n[g],
        mean: m.my[g].0,
        variance: m.syy[g] / (m.n[g] - 1.0),
    };
    let adjusted = welch_inner(
        &adj_summary(0),
        &adj_summary(1),
        adj_diff,
        confidence,
        alternative,
        Method::Cuped,
    );
    let unadjusted = welch_inner(
        &y_summary(0),
        &y_summary(1),
        dy,
        confidence,
        alternative,
        Method::WelchT,
    );
    Ok(Cuped {
        theta,
        variance_reduction: 1.0 - var_adj / var_y,
        adjusted,
        unadjusted,
        ancova: ancova_from(&m, y, x, treated, confidence, alternative)?,
    })
}

/// Per-group sizes, double-double means and centred sums of squares and products of
/// (y, x); group 0 is the treatment, 1 the control. Two compensated passes; everything
/// CUPED, Welch and ANCOVA need follows algebraically (plus one pass for HC1).
struct GroupMoments {
    n: [f64; 2],
    my: [(f64, f64); 2],
    mx: [(f64, f64); 2],
    syy: [f64; 2],
    sxx: [f64; 2],
    sxy: [f64; 2],
}

fn dd_div(sum: Sum, n: f64) -> (f64, f64) {
    let (s, c) = sum.parts();
    let (hi, lo) = two_sum(s, c);
    let q = hi / n;
    (q, ((-q).mul_add(n, hi) + lo) / n)
}

fn dd_sub(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (d, e) = two_sum(a.0, -b.0);
    d + (e + (a.1 - b.1))
}

impl GroupMoments {
    fn of(y: &[f64], x: &[f64], treated: &[bool]) -> GroupMoments {
        let g = |t: bool| usize::from(!t);
        let mut n = [0.0; 2];
        let mut sy = [Sum::default(); 2];
        let mut sx = [Sum::default(); 2];
        for i in 0..y.len() {
            let k = g(treated[i]);
            n[k] += 1.0;
            sy[k].add(y[i]);
            sx[k].add(x[i]);
        }
        let my = [dd_div(sy[0], n[0]), dd_div(sy[1], n[1])];
        let mx = [dd_div(sx[0], n[0]), dd_div(sx[1], n[1])];
        let mut syy = [Sum::default(); 2];
        let mut sxx = [Sum::default(); 2];
        let mut sxy = [Sum::default(); 2];
        for i in 0..y.len() {
            let k = g(treated[i]);
            let dy = (y[i] - my[k].0) - my[k].1;
            let dx = (x[i] - mx[k].0) - mx[k].1;
            syy[k].add(dy * dy);
            sxx[k].add(dx * dx);
            sxy[k].add(dy * dx);
        }
        GroupMoments {
            n,
            my,
            mx,
            syy: [syy[0].get(), syy[1].get()],
            sxx: [sxx[0].get(), sxx[1].get()],
            sxy: [sxy[0].get(), sxy[1].get()],
        }
    }

    fn n(&self) -> f64 {
        self.n[0] + self.n[1]
    }

    /// ȳ_t − ȳ_c, from the double-double means.
    fn dy(&self) -> f64 {
        dd_sub(self.my[0], self.my[1])
    }

    /// x̄_t − x̄_c.
    fn dx(&self) -> f64 {
        dd_sub(self.mx[0], self.mx[1])
    }

    /// The pooled mean of x.
    fn mx_pooled(&self) -> f64 {
        (self.n[0] * self.mx[0].0
            + self.n[1] * self.mx[1].0
            + (self.n[0] * self.mx[0].1 + self.n[1] * self.mx[1].1))
            / self.n()
    }

    fn between(&self) -> f64 {
        self.n[0] * self.n[1] / self.n()
    }

    fn sxx_pooled(&self) -> f64 {
        let dx = self.dx();
        self.sxx[0] + self.sxx[1] + self.between() * dx * dx
    }

    fn syy_pooled(&self) -> f64 {
        let dy = self.dy();
        self.syy[0] + self.syy[1] + self.between() * dy * dy
    }

    fn sxy_pooled(&self) -> f64 {
        self.sxy[0] + self.sxy[1] + self.between() * self.dy() * self.dx()
    }
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
    let m = GroupMoments::of(y, x, treated);
    ancova_from(&m, y, x, treated, confidence, alternative)
}

/// ANCOVA from the group moments: with a binary treatment the OLS slope is the pooled
/// within-group one, `β_x = ΣS_xy / ΣS_xx`, and `β_d = Δȳ − β_x·Δx̄`.
fn ancova_from(
    m: &GroupMoments,
    y: &[f64],
    x: &[f64],
    treated: &[bool],
    confidence: f64,
    alternative: Alternative,
) -> Result<Ancova> {
    let n = m.n();
    if n < 4.0 {
        return Err(invalid("y", n, "ANCOVA needs at least 4 units"));
    }
    let sxx_w = m.sxx[0] + m.sxx[1];
    let sxy_w = m.sxy[0] + m.sxy[1];
    // The centred normal equations of [treated, x]: a11 = n_t·n_c/n, a12 = a11·Δx̄,
    // a22 = pooled S_xx; det = a11·S_xx,within.
    let a11 = m.between();
    let a12 = a11 * m.dx();
    let a22 = m.sxx_pooled();
    let det = a11 * sxx_w;
    if det.is_nan() || sxx_w <= 1e-12 * a22 {
        return Err(invalid(
            "x",
            x[0],
            "the covariate is constant or collinear with the treatment indicator",
        ));
    }
    let beta_x = sxy_w / sxx_w;
    let beta_d = m.dy() - beta_x * m.dx();
    // Residuals are within-group: e = (y − ȳ_g) − β_x(x − x̄_g). One pass gives RSS and the
    // HC1 meat, with h_i the treated row of (X'X)⁻¹X' (centred: (a22·u − a12·v)/det).
    let d_bar = m.n[0] / n;
    let x_bar = m.mx_pooled();
    let (mut rss, mut meat) = (Sum::default(), Sum::default());
    for i in 0..y.len() {
        let k = usize::from(!treated[i]);
        let e = ((y[i] - m.my[k].0) - m.my[k].1) - beta_x * ((x[i] - m.mx[k].0) - m.mx[k].1);
        rss.add(e * e);
        let u = if treated[i] { 1.0 - d_bar } else { -d_bar };
        let h = (a22 * u - a12 * (x[i] - x_bar)) / det;
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
