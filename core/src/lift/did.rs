//! Difference-in-differences: the 2×2 design and the two-way fixed-effects panel, with
//! standard errors clustered by unit by default.
//!
//! Both estimators are ordinary least squares and agree with statsmodels 0.15.0 `OLS` on the
//! same design matrix (to about 1e-12 relative; the golden tests allow 1e-9):
//!
//! * [`did_2x2`] — `y ~ 1 + treated + post + treated·post`. The model is saturated in the four
//!   (treated, post) cells, so it is solved in closed form from the cell means: the effect is
//!   `(ȳ₁₁ − ȳ₁₀) − (ȳ₀₁ − ȳ₀₀)` and every residual is `y − ȳ(cell)`.
//! * [`did_panel`] — `y ~ d + unit fixed effects + period fixed effects` (two-way fixed
//!   effects), solved exactly by the Frisch–Waugh–Lovell theorem: the unit effects are
//!   absorbed by demeaning within unit, the period dummies enter a small dense system
//!   (Cholesky with iterative refinement, residuals recomputed from the data), and the effect
//!   is the regression of the doubly partialled outcome on the doubly partialled `d`. Cost
//!   O(N log N) for sorting plus O(N·T) — milliseconds for 1,000 units × 52 weeks. Unbalanced
//!   panels and repeated (unit, period) rows are fine.
//!
//! ## Standard errors
//!
//! * [`Covariance::Cluster`] (default) — cluster-robust by unit, exactly statsmodels'
//!   `cov_type="cluster"` with its default `use_correction=True`:
//!   `V = c · (X'X)⁻¹ [Σ_g (X_g'u_g)(X_g'u_g)'] (X'X)⁻¹` with
//!   `c = G/(G−1) · (N−1)/(N−K)`, `G` the number of units and `K` the number of columns of
//!   the full design matrix (4 for the 2×2; `U + T` for the panel: intercept, `U−1` unit
//!   dummies, `T−1` period dummies and `d`). The reference distribution is Student t with
//!   `G − 1` degrees of freedom ([`ClusterReference::StudentT`], default: what Stata, fixest and
//!   statsmodels with `use_t=True` report) or the standard normal
//!   ([`ClusterReference::Normal`], statsmodels' default for `cov_type="cluster"`).
//! * [`Covariance::Classical`] — `σ̂²·(X'X)⁻¹` with `σ̂² = RSS/(N − rank)`; Student t with
//!   `N − rank` degrees of freedom (statsmodels' default `OLS().fit()`), or the normal if
//!   [`ClusterReference::Normal`] is chosen (statsmodels' `use_t=False`).
//!
//! Both standard errors are always returned (`classical_std_error`, `cluster_std_error`); the
//! configuration picks the one behind [`Did2x2::effect`] / [`DidPanel::effect`].
//!
//! ## Determinism
//!
//! Rows are sorted by (unit, period, …) before any arithmetic, and sums are compensated, so the
//! result is bit-for-bit identical for any row order and any number of threads (the
//! computation is sequential).
//!
//! ```
//! use ces::lift::did::{DidConfig, did_2x2};
//! let unit = [1, 1, 2, 2, 3, 3, 4, 4];
//! let treated = [true, true, true, true, false, false, false, false];
//! let post = [false, true, false, true, false, true, false, true];
//! let y = [10.0, 15.0, 11.0, 17.0, 9.0, 10.0, 10.0, 12.0];
//! let did = did_2x2(&unit, &treated, &post, &y, &DidConfig::default()).unwrap();
//! assert!((did.effect.estimate - 4.0).abs() < 1e-12); // (16 − 10.5) − (11 − 9.5)
//! assert_eq!(did.n_clusters, 4);
//! ```

use rustc_hash::FxHashMap;

use super::{
    Alternative, Inference, Method, Reference, check_confidence, check_finite, invalid, invalid_at,
};
use crate::CesError;
use crate::sum::{Sum, accurate_mean, compensated_sum};

/// How standard errors are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Covariance {
    /// Cluster-robust by unit (statsmodels `cov_type="cluster"`, CRV1 with the small-sample
    /// factor G/(G−1)·(N−1)/(N−K)).
    #[default]
    Cluster,
    /// Classical homoskedastic OLS: σ̂²·(X'X)⁻¹, σ̂² = RSS/(N − rank).
    Classical,
}

/// The reference distribution for the test and the interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ClusterReference {
    /// Student t: with G − 1 degrees of freedom for cluster-robust errors (Stata, fixest,
    /// statsmodels `use_t=True`), with N − rank for classical errors.
    #[default]
    StudentT,
    /// The standard normal (statsmodels' default for `cov_type="cluster"`, and `use_t=False`).
    Normal,
}

/// Settings for [`did_2x2`] and [`did_panel`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DidConfig {
    /// Interval coverage, strictly between 0 and 1 (default 0.95).
    pub confidence: f64,
    /// The alternative of the test on the effect (default two-sided).
    pub alternative: Alternative,
    /// Which standard error the effect's test and interval use (default cluster by unit).
    pub covariance: Covariance,
    /// The reference distribution (default Student t).
    pub reference: ClusterReference,
}

impl Default for DidConfig {
    fn default() -> Self {
        DidConfig {
            confidence: 0.95,
            alternative: Alternative::TwoSided,
            covariance: Covariance::Cluster,
            reference: ClusterReference::StudentT,
        }
    }
}

/// The result of [`did_2x2`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Did2x2 {
    /// The treated×post coefficient with the configured standard error, test and interval.
    pub effect: Inference,
    /// The OLS coefficients: intercept, treated, post, treated×post.
    pub params: [f64; 4],
    /// The classical standard error of the effect.
    pub classical_std_error: f64,
    /// The cluster-robust (by unit) standard error of the effect.
    pub cluster_std_error: f64,
    /// Mean outcome per cell, indexed `[treated][post]`.
    pub cell_means: [[f64; 2]; 2],
    /// Rows per cell, indexed `[treated][post]`.
    pub cell_counts: [[u64; 2]; 2],
    /// Rows.
    pub n_obs: usize,
    /// Distinct units (the clusters).
    pub n_clusters: usize,
    /// The effect relative to the counterfactual treated post-period mean:
    /// `effect / (ȳ₁₁ − effect)`; NaN when that baseline is 0.
    pub relative_effect: f64,
}

/// The result of [`did_panel`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DidPanel {
    /// The coefficient of `d` (treated now) with the configured standard error, test and
    /// interval.
    pub effect: Inference,
    /// The classical standard error of the effect (σ̂² = RSS/(N − rank)).
    pub classical_std_error: f64,
    /// The cluster-robust (by unit) standard error of the effect.
    pub cluster_std_error: f64,
    /// Rows.
    pub n_obs: usize,
    /// Distinct units.
    pub n_units: usize,
    /// Distinct periods.
    pub n_periods: usize,
    /// Columns of the full design matrix, `K = 1 + (U−1) + (T−1) + 1 = U + T` (the K of the
    /// cluster small-sample factor). When the units and periods fall into `C > 1` disconnected
    /// groups (possible in unbalanced panels), the rank is `K − (C − 1)`, which the classical
    /// variance uses, as statsmodels' pseudo-inverse does.
    pub n_params: usize,
    /// Clusters (= units).
    pub n_clusters: usize,
    /// Rows with `treated_now` true.
    pub treated_obs: usize,
}

/// Codes for unit or period identifiers of any ordered kind (text, numbers): each value's rank
/// among the distinct values, so the codes — and hence the canonical order the estimators sum
/// in — do not depend on the row order. What the bindings use for ids given as text.
///
/// ```
/// use ces::lift::rank_codes;
/// assert_eq!(rank_codes(&["b", "a", "b", "c"]), vec![1, 0, 1, 2]);
/// ```
pub fn rank_codes<T: Ord + Clone>(values: &[T]) -> Vec<u64> {
    let mut distinct = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    values
        .iter()
        .map(|v| distinct.binary_search(v).unwrap_or_default() as u64)
        .collect()
}

/// `LengthMismatch` unless `left.len() == right.len()`.
pub(crate) fn check_same_len(
    left_field: &str,
    left_len: usize,
    right_field: &str,
    right_len: usize,
) -> crate::Result<()> {
    if left_len == right_len {
        Ok(())
    } else {
        Err(CesError::LengthMismatch {
            left_field: left_field.to_string(),
            left_len,
            right_field: right_field.to_string(),
            right_len,
        })
    }
}

/// The effect's inference from the two standard errors and the configuration.
fn effect_inference(
    config: &DidConfig,
    estimate: f64,
    classical_se: f64,
    cluster_se: f64,
    classical_df: f64,
    n_clusters: usize,
) -> Inference {
    let (method, se, df) = match config.covariance {
        Covariance::Cluster => (Method::OlsCluster, cluster_se, (n_clusters - 1) as f64),
        Covariance::Classical => (Method::Ols, classical_se, classical_df),
    };
    let reference = match config.reference {
        ClusterReference::StudentT => Reference::StudentT(df),
        ClusterReference::Normal => Reference::Normal,
    };
    Inference::from_se(
        method,
        estimate,
        se,
        reference,
        config.alternative,
        config.confidence,
    )
}

/// The 2×2 difference-in-differences: OLS of `y` on `[1, treated, post, treated·post]`, with
/// standard errors clustered by `unit` (default) or classical.
///
/// Each row is one observation of one unit (a store, a customer) before or after the change;
/// `treated` is the unit's group and must not change between its rows. Units may have any
/// number of rows in each period (repeated cross-sections work too).
///
/// # Errors
///
/// [`CesError::LengthMismatch`] for inputs of different lengths;
/// [`CesError::InvalidArgument`] naming the input for: no rows; a non-finite `y` (with the
/// row); a unit whose `treated` flag differs from its first row's (with the row); no
/// pre-period or no post-period rows (`post`); no treated or no control units (`treated`);
/// a (treated, post) cell without rows; fewer than 2 units (`unit`); 4 rows or fewer (`y`:
/// the model has 4 parameters); a confidence outside (0, 1).
///
/// ```
/// use ces::lift::did::{ClusterReference, Covariance, DidConfig, did_2x2};
/// let unit = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
/// let treated = [true, true, true, true, false, false, false, false, false, false];
/// let post = [false, true, false, true, false, true, false, true, false, true];
/// let y = [10.0, 15.0, 11.0, 17.0, 9.0, 10.0, 10.0, 12.0, 8.0, 9.5];
/// let config = DidConfig { covariance: Covariance::Classical, ..DidConfig::default() };
/// let did = did_2x2(&unit, &treated, &post, &y, &config).unwrap();
/// assert_eq!(did.cell_counts, [[3, 3], [2, 2]]);
/// assert_eq!(did.effect.std_error, did.classical_std_error);
/// ```
pub fn did_2x2(
    unit: &[u64],
    treated: &[bool],
    post: &[bool],
    y: &[f64],
    config: &DidConfig,
) -> crate::Result<Did2x2> {
    check_confidence("confidence", config.confidence)?;
    check_same_len("unit", unit.len(), "treated", treated.len())?;
    check_same_len("unit", unit.len(), "post", post.len())?;
    check_same_len("unit", unit.len(), "y", y.len())?;
    let n = y.len();
    if n == 0 {
        return Err(invalid(
            "y",
            "0 rows",
            "difference-in-differences needs observations",
        ));
    }
    check_finite("y", y)?;

    // A unit's treated flag is fixed: the first row of each unit sets it.
    let mut group: FxHashMap<u64, (bool, usize)> = FxHashMap::default();
    for (row, (&u, &t)) in unit.iter().zip(treated).enumerate() {
        let &mut (flag, first) = group.entry(u).or_insert((t, row));
        if flag != t {
            return Err(invalid_at(
                "treated",
                row,
                t,
                &format!(
                    "unit {u} has treated = {flag} at row {first}: a unit's group must not \
                     change between its rows"
                ),
            ));
        }
    }
    if post.iter().all(|&p| p) {
        return Err(invalid(
            "post",
            "all true",
            "no pre-period rows (every row has post = true)",
        ));
    }
    if !post.iter().any(|&p| p) {
        return Err(invalid(
            "post",
            "all false",
            "no post-period rows (every row has post = false)",
        ));
    }
    if !group.values().any(|&(t, _)| t) {
        return Err(invalid(
            "treated",
            "all false",
            "no treated units (every row has treated = false)",
        ));
    }
    if group.values().all(|&(t, _)| t) {
        return Err(invalid(
            "treated",
            "all true",
            "no control units (every row has treated = true)",
        ));
    }

    let mut counts = [[0u64; 2]; 2];
    for (&t, &p) in treated.iter().zip(post) {
        counts[usize::from(t)][usize::from(p)] += 1;
    }
    for (t, row) in counts.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if count == 0 {
                let who = if t == 1 { "treated" } else { "control" };
                let when = if p == 1 { "post" } else { "pre" };
                return Err(invalid(
                    "post",
                    format!("no rows with treated = {}, post = {}", t == 1, p == 1),
                    &format!(
                        "the {who} units have no {when}-period rows: the effect is not identified"
                    ),
                ));
            }
        }
    }
    let g = group.len();
    if g < 2 {
        return Err(invalid(
            "unit",
            g,
            "cluster-robust errors need at least 2 units (clusters)",
        ));
    }
    const K: usize = 4;
    if n <= K {
        return Err(invalid(
            "y",
            format!("{n} rows"),
            "the 2×2 model has 4 parameters: it needs more than 4 observations",
        ));
    }

    // Canonical order: by unit, then post, then the outcome's bits — any input order gives
    // the same sums in the same order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by_key(|&i| (unit[i], post[i], y[i].to_bits()));
    let cell = |i: usize| (usize::from(treated[i]), usize::from(post[i]));

    let mut sums = [[Sum::default(); 2]; 2];
    for &i in &order {
        let (t, p) = cell(i);
        sums[t][p].add(y[i]);
    }
    let mut means = [[0.0; 2]; 2];
    for t in 0..2 {
        for p in 0..2 {
            means[t][p] = sums[t][p].get() / counts[t][p] as f64;
        }
    }
    // One correction pass: the mean of the deviations from the first estimate.
    let mut corrections = [[Sum::default(); 2]; 2];
    for &i in &order {
        let (t, p) = cell(i);
        corrections[t][p].add(y[i] - means[t][p]);
    }
    for t in 0..2 {
        for p in 0..2 {
            means[t][p] += corrections[t][p].get() / counts[t][p] as f64;
        }
    }

    let effect = (means[1][1] - means[1][0]) - (means[0][1] - means[0][0]);
    let params = [
        means[0][0],
        means[1][0] - means[0][0],
        means[0][1] - means[0][0],
        effect,
    ];

    // The effect's row of (X'X)⁻¹X' is c(cell)/n(cell) with c = +1 on the diagonal cells and
    // −1 off it, so each cluster's score for the effect is Σ_rows c/n · u.
    let weight = |t: usize, p: usize| {
        let sign = if t == p { 1.0 } else { -1.0 };
        sign / counts[t][p] as f64
    };
    let mut rss = Sum::default();
    let mut meat = Sum::default();
    let mut start = 0;
    while start < n {
        let u0 = unit[order[start]];
        let mut end = start;
        let mut score = Sum::default();
        while end < n && unit[order[end]] == u0 {
            let i = order[end];
            let (t, p) = cell(i);
            let resid = y[i] - means[t][p];
            rss.add(resid * resid);
            score.add(weight(t, p) * resid);
            end += 1;
        }
        let s = score.get();
        meat.add(s * s);
        start = end;
    }
    let (nf, gf, kf) = (n as f64, g as f64, K as f64);
    let inverse_counts: f64 = counts.iter().flatten().map(|&c| 1.0 / c as f64).sum();
    let classical_var = rss.get() / (nf - kf) * inverse_counts;
    let factor = gf / (gf - 1.0) * ((nf - 1.0) / (nf - kf));
    let cluster_var = factor * meat.get();
    let classical_std_error = classical_var.sqrt();
    let cluster_std_error = cluster_var.sqrt();

    let inference = effect_inference(
        config,
        effect,
        classical_std_error,
        cluster_std_error,
        nf - kf,
        g,
    );
    let baseline = means[1][1] - effect;
    let relative_effect = if baseline == 0.0 {
        f64::NAN
    } else {
        effect / baseline
    };
    Ok(Did2x2 {
        effect: inference,
        params,
        classical_std_error,
        cluster_std_error,
        cell_means: means,
        cell_counts: counts,
        n_obs: n,
        n_clusters: g,
        relative_effect,
    })
}

/// Union–find over units and periods (to find disconnected parts of an unbalanced panel).
struct DisjointSets(Vec<usize>);

impl DisjointSets {
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// The period-dummy block of the partialled two-way design: rows sorted by unit, each row's
/// column among the kept period dummies (or none for a dropped base period), and the Cholesky
/// factor of `D̃'D̃` (D̃ = the dummies demeaned within unit).
struct PeriodBlock<'a> {
    /// Row ranges of each unit in the sorted arrays.
    units: &'a [(usize, usize)],
    /// Column of each sorted row, `usize::MAX` for base periods.
    column: Vec<usize>,
    /// Number of kept period dummies.
    q: usize,
    /// Lower-triangular Cholesky factor of D̃'D̃, row-major q×q.
    chol: Vec<f64>,
}

impl PeriodBlock<'_> {
    /// D'r (= D̃'r for r demeaned within unit): per-column sums of r.
    fn project(&self, r: &[f64]) -> Vec<f64> {
        let mut sums = vec![Sum::default(); self.q];
        for (&c, &v) in self.column.iter().zip(r) {
            if c != usize::MAX {
                sums[c].add(v);
            }
        }
        sums.iter().map(Sum::get).collect()
    }

    /// Solves (LLᵀ) x = b in place.
    fn solve(&self, b: &mut [f64]) {
        let (q, l) = (self.q, &self.chol);
        for i in 0..q {
            let mut s = b[i];
            for k in 0..i {
                s -= l[i * q + k] * b[k];
            }
            b[i] = s / l[i * q + i];
        }
        for i in (0..q).rev() {
            let mut s = b[i];
            for k in i + 1..q {
                s -= l[k * q + i] * b[k];
            }
            b[i] = s / l[i * q + i];
        }
    }

    /// r = v − D̃β, recomputed from the data.
    fn residual(&self, v: &[f64], beta: &[f64], r: &mut [f64]) {
        let coef = |c: usize| if c == usize::MAX { 0.0 } else { beta[c] };
        for &(a, b) in self.units {
            let mean = compensated_sum(self.column[a..b].iter().map(|&c| coef(c))) / (b - a) as f64;
            for row in a..b {
                r[row] = v[row] - (coef(self.column[row]) - mean);
            }
        }
    }

    /// The residual of `v` (already demeaned within unit) on the demeaned period dummies, by
    /// the normal equations with iterative refinement (the residual is recomputed from `v`
    /// at every step, so the answer is accurate to about κ·ε, not κ²·ε).
    fn partial_out(&self, v: &[f64]) -> Vec<f64> {
        let mut beta = vec![0.0f64; self.q];
        let mut r = v.to_vec();
        for _ in 0..4 {
            let mut delta = self.project(&r);
            self.solve(&mut delta);
            let size = delta.iter().fold(0.0f64, |m, d| m.max(d.abs()));
            let scale = beta.iter().fold(0.0f64, |m, b| m.max(b.abs()));
            for (b, d) in beta.iter_mut().zip(&delta) {
                *b += d;
            }
            self.residual(v, &beta, &mut r);
            if size <= 1e-17 * scale {
                break;
            }
        }
        r
    }
}

/// Two-way fixed-effects difference-in-differences: OLS of `y` on `d = treated_now`, unit
/// fixed effects and period fixed effects, with standard errors clustered by unit (default) or
/// classical. Equal to statsmodels' `OLS(y, [1, unit dummies, period dummies, d])` — but exact
/// and fast (see the [module documentation](self)).
///
/// `treated_now` is true for the (unit, period) rows under treatment (a treated store after
/// the launch). The panel may be unbalanced and may repeat (unit, period) pairs.
///
/// # Errors
///
/// [`CesError::LengthMismatch`] for inputs of different lengths;
/// [`CesError::InvalidArgument`] naming the input for: no rows; a non-finite `y` (with the
/// row); no treated rows or no untreated rows (`treated_now`); fewer than 2 units (`unit`,
/// the clusters); fewer than 2 periods (`period`); no more rows than parameters (`y`:
/// N ≤ U + T); a `d` that does not vary once the fixed effects are removed (`treated_now`:
/// e.g. every unit treated in the same periods — collinear with the period effects); a
/// confidence outside (0, 1).
///
/// ```
/// use ces::lift::did::{DidConfig, did_panel};
/// // 3 units × 3 periods; unit 1 is treated from period 2 on, with a +2 effect.
/// let unit = [1, 1, 1, 2, 2, 2, 3, 3, 3];
/// let period = [0, 1, 2, 0, 1, 2, 0, 1, 2];
/// let d = [false, false, true, false, false, false, false, false, false];
/// let y = [5.0, 6.0, 9.0, 3.0, 4.0, 5.2, 1.0, 2.1, 2.9];
/// let panel = did_panel(&unit, &period, &d, &y, &DidConfig::default()).unwrap();
/// assert_eq!((panel.n_units, panel.n_periods, panel.n_params), (3, 3, 6));
/// assert!((panel.effect.estimate - 1.975).abs() < 1e-12); // statsmodels: 1.9749999999999928
/// ```
pub fn did_panel(
    unit: &[u64],
    period: &[i64],
    treated_now: &[bool],
    y: &[f64],
    config: &DidConfig,
) -> crate::Result<DidPanel> {
    check_confidence("confidence", config.confidence)?;
    check_same_len("unit", unit.len(), "period", period.len())?;
    check_same_len("unit", unit.len(), "treated_now", treated_now.len())?;
    check_same_len("unit", unit.len(), "y", y.len())?;
    let n = y.len();
    if n == 0 {
        return Err(invalid(
            "y",
            "0 rows",
            "difference-in-differences needs observations",
        ));
    }
    check_finite("y", y)?;
    let treated_obs = treated_now.iter().filter(|&&d| d).count();
    if treated_obs == 0 {
        return Err(invalid(
            "treated_now",
            "all false",
            "no treated observations: the effect is not identified",
        ));
    }
    if treated_obs == n {
        return Err(invalid(
            "treated_now",
            "all true",
            "no untreated observations: the effect is not identified",
        ));
    }

    // Canonical order: (unit, period, d, y bits) — identical rows are interchangeable, so any
    // input order gives the same arithmetic.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by_key(|&i| (unit[i], period[i], treated_now[i], y[i].to_bits()));
    let mut periods: Vec<i64> = period.to_vec();
    periods.sort_unstable();
    periods.dedup();
    let n_periods = periods.len();

    let mut units: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < n {
        let u0 = unit[order[start]];
        let mut end = start + 1;
        while end < n && unit[order[end]] == u0 {
            end += 1;
        }
        units.push((start, end));
        start = end;
    }
    let n_units = units.len();
    if n_units < 2 {
        return Err(invalid(
            "unit",
            format!("{n_units} distinct unit"),
            "cluster-robust errors need at least 2 units (clusters)",
        ));
    }
    if n_periods < 2 {
        return Err(invalid(
            "period",
            format!("{n_periods} distinct period"),
            "two-way fixed effects need at least 2 periods",
        ));
    }
    let k = n_units + n_periods;
    if n <= k {
        return Err(invalid(
            "y",
            format!("{n} rows"),
            &format!(
                "the model has {k} parameters (intercept, {} unit and {} period dummies, d): it \
                 needs more observations than that",
                n_units - 1,
                n_periods - 1
            ),
        ));
    }

    // Period index of each sorted row.
    let pidx: Vec<usize> = order
        .iter()
        .map(|&i| periods.binary_search(&period[i]).unwrap_or_default())
        .collect();

    // Connected components of the unit–period graph: each needs its own base period.
    let mut sets = DisjointSets((0..n_units + n_periods).collect());
    for (u, &(a, b)) in units.iter().enumerate() {
        for &p in &pidx[a..b] {
            sets.union(u, n_units + p);
        }
    }
    let mut seen_root = vec![false; n_units + n_periods];
    let mut column_of_period = vec![usize::MAX; n_periods];
    let mut q = 0;
    let mut components = 0;
    for (p, col) in column_of_period.iter_mut().enumerate() {
        let root = sets.find(n_units + p);
        if seen_root[root] {
            *col = q;
            q += 1;
        } else {
            seen_root[root] = true;
            components += 1;
        }
    }
    let column: Vec<usize> = pidx.iter().map(|&p| column_of_period[p]).collect();

    // Within-unit demeaning of y and d.
    let ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let ds: Vec<f64> = order
        .iter()
        .map(|&i| f64::from(u8::from(treated_now[i])))
        .collect();
    let mut y_dm = vec![0.0; n];
    let mut d_dm = vec![0.0; n];
    for &(a, b) in &units {
        let my = accurate_mean(ys[a..b].iter().copied());
        let md = accurate_mean(ds[a..b].iter().copied());
        for row in a..b {
            y_dm[row] = ys[row] - my;
            d_dm[row] = ds[row] - md;
        }
    }

    // D̃'D̃ = Σ_units diag(c) − c cᵀ/n_i over the kept period columns (c = rows per period).
    let mut gram = vec![0.0; q * q];
    let mut runs: Vec<(usize, f64)> = Vec::new();
    for &(a, b) in &units {
        runs.clear();
        for &c in &column[a..b] {
            if c == usize::MAX {
                continue;
            }
            match runs.last_mut() {
                Some((last, count)) if *last == c => *count += 1.0,
                _ => runs.push((c, 1.0)),
            }
        }
        let ni = (b - a) as f64;
        for &(c1, n1) in &runs {
            gram[c1 * q + c1] += n1;
            for &(c2, n2) in &runs {
                gram[c1 * q + c2] -= n1 * n2 / ni;
            }
        }
    }
    let chol = cholesky(&gram, q).ok_or_else(|| {
        invalid(
            "period",
            format!("{n_periods} periods"),
            "the period fixed effects are not identified (singular design)",
        )
    })?;
    let block = PeriodBlock {
        units: &units,
        column,
        q,
        chol,
    };

    let y_pp = block.partial_out(&y_dm);
    let d_pp = block.partial_out(&d_dm);
    let dd = compensated_sum(d_pp.iter().map(|v| v * v));
    let dd_within = compensated_sum(d_dm.iter().map(|v| v * v));
    if dd.is_nan() || dd <= 1e-10 * dd_within {
        return Err(invalid(
            "treated_now",
            format!("{treated_obs} treated rows"),
            "d does not vary once the unit and period effects are removed (collinear with the \
             fixed effects: e.g. every unit treated in the same periods, or treatment constant \
             within every unit)",
        ));
    }
    let effect = compensated_sum(d_pp.iter().zip(&y_pp).map(|(d, y)| d * y)) / dd;

    let mut rss = Sum::default();
    let mut meat = Sum::default();
    for &(a, b) in &units {
        let mut score = Sum::default();
        for row in a..b {
            let u = y_pp[row] - effect * d_pp[row];
            rss.add(u * u);
            score.add(d_pp[row] * u);
        }
        let s = score.get();
        meat.add(s * s);
    }
    let rank = k - (components - 1);
    let (nf, gf, kf) = (n as f64, n_units as f64, k as f64);
    let df_resid = (n - rank) as f64;
    let classical_std_error = (rss.get() / df_resid / dd).sqrt();
    let factor = gf / (gf - 1.0) * ((nf - 1.0) / (nf - kf));
    let cluster_std_error = (factor * meat.get()).sqrt() / dd;
    let inference = effect_inference(
        config,
        effect,
        classical_std_error,
        cluster_std_error,
        df_resid,
        n_units,
    );
    Ok(DidPanel {
        effect: inference,
        classical_std_error,
        cluster_std_error,
        n_obs: n,
        n_units,
        n_periods,
        n_params: k,
        n_clusters: n_units,
        treated_obs,
    })
}

/// Cholesky factor (lower, row-major) of a symmetric positive-definite q×q matrix; `None` if a
/// pivot is not positive (relative to the diagonal).
fn cholesky(a: &[f64], q: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..=i {
            let mut s = a[i * q + j];
            for k in 0..j {
                s -= l[i * q + k] * l[j * q + k];
            }
            if i == j {
                if s.is_nan() || s <= 1e-12 * a[i * q + i] {
                    return None;
                }
                l[i * q + i] = s.sqrt();
            } else {
                l[i * q + j] = s / l[j * q + j];
            }
        }
    }
    Some(l)
}
