//! Cross-correlation of an exposure series (ad spend, impressions, GRPs) with a sales series
//! at leads and lags.
//!
//! **Descriptive, not causal.** A large correlation at lag k says that sales k periods after
//! exposure move with exposure; it does not say that exposure caused them. Both series usually
//! share trends and seasonality (campaigns are scheduled for the season when sales are high),
//! which produces large correlations at every lag; pre-whiten or difference the series first,
//! and measure incrementality with an experiment or a difference-in-differences
//! ([`super::did`]). The white-noise band is only a guide: it assumes both series are white
//! noise, and it is not corrected for looking at `2·max_lag + 1` lags.
//!
//! The values are statsmodels' `ccf(…, adjusted=True, fft=False)`: both series are demeaned,
//! the lagged products are summed over the overlap and divided by the overlap's length
//! `n − |k|`, then by the product of the two population standard deviations (ddof = 0):
//!
//! * lag `k ≥ 0`: exposure at t with sales at t + k (sales **after** exposure) —
//!   `ccf(sales, exposure)[k]`;
//! * lag `−k`: sales at t with exposure at t + k (sales **before** exposure) —
//!   `ccf(exposure, sales)[k]`.
//!
//! ```
//! use ces::lift::ccf::ccf;
//! let exposure = [0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0];
//! let sales = [5.0, 5.0, 7.0, 5.0, 5.0, 9.0, 5.0, 5.0, 7.0, 5.0]; // one period later
//! let c = ccf(&exposure, &sales, 2, 0.95).unwrap();
//! assert_eq!(c.lags, vec![-2, -1, 0, 1, 2]);
//! let best = c.values.iter().cloned().fold(f64::MIN, f64::max);
//! assert_eq!(c.values[3], best); // lag +1
//! ```

use super::did::check_same_len;
use super::{check_confidence, invalid, invalid_at, special};
use crate::sum::{accurate_mean, compensated_sum};

/// The cross-correlation function of [`ccf`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ccf {
    /// Lags `−max_lag ..= max_lag` (positive: sales after exposure).
    pub lags: Vec<i64>,
    /// Cross-correlation at each lag.
    pub values: Vec<f64>,
    /// Half-width of the white-noise band, `Φ⁻¹(1 − α/2)/√n` with `α = 1 − confidence`
    /// (statsmodels' `ccf(…, alpha=α)` interval half-width).
    pub band: f64,
    /// Length of the series.
    pub n: usize,
    /// The confidence of the band.
    pub confidence: f64,
}

impl Ccf {
    /// Lags whose |correlation| exceeds the band (descriptive; no multiple-testing
    /// correction).
    pub fn significant_lags(&self) -> Vec<i64> {
        self.lags
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| v.abs() > self.band)
            .map(|(&k, _)| k)
            .collect()
    }
}

/// Cross-correlation of `exposure` and `sales` at lags `−max_lag ..= max_lag` (see the
/// [module documentation](self) — descriptive, not causal).
///
/// # Errors
///
/// [`crate::CesError::LengthMismatch`] when the series differ in length;
/// [`crate::CesError::InvalidArgument`] naming the input for: fewer than 3 points
/// (`exposure`); `max_lag ≥ n` (`max_lag`); a non-finite value (with the row); a constant
/// series (`exposure` or `sales`: zero variance); a confidence outside (0, 1).
pub fn ccf(exposure: &[f64], sales: &[f64], max_lag: usize, confidence: f64) -> crate::Result<Ccf> {
    check_confidence("confidence", confidence)?;
    check_same_len("exposure", exposure.len(), "sales", sales.len())?;
    let n = exposure.len();
    if n < 3 {
        return Err(invalid(
            "exposure",
            format!("{n} points"),
            "a cross-correlation needs at least 3 points",
        ));
    }
    if max_lag >= n {
        return Err(invalid(
            "max_lag",
            max_lag,
            &format!("must be less than the series length ({n})"),
        ));
    }
    for (field, series) in [("exposure", exposure), ("sales", sales)] {
        if let Some(i) = series.iter().position(|v| !v.is_finite()) {
            return Err(invalid_at(field, i, series[i], "must be a finite number"));
        }
    }
    for (field, series) in [("exposure", exposure), ("sales", sales)] {
        if series.iter().all(|&v| v == series[0]) {
            return Err(invalid(
                field,
                format!("constant series ({})", series[0]),
                "zero variance: the correlation is undefined",
            ));
        }
    }
    // Scaling by a power of two is exact and leaves the correlation unchanged; it keeps the
    // squares of very large (or very small) values representable.
    let center = |series: &[f64]| -> Vec<f64> {
        let largest = series.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let exponent = (largest.log2().floor() as i32).clamp(-1000, 1000);
        let scale = 2f64.powi(-exponent);
        let m = accurate_mean(series.iter().map(|v| v * scale));
        series.iter().map(|v| v * scale - m).collect()
    };
    let (e, s) = (center(exposure), center(sales));
    let nf = n as f64;
    let sd = |centered: &[f64]| (compensated_sum(centered.iter().map(|v| v * v)) / nf).sqrt();
    let (sd_e, sd_s) = (sd(&e), sd(&s));
    for (field, value) in [("exposure", sd_e), ("sales", sd_s)] {
        if value.is_nan() || value <= 0.0 {
            return Err(invalid(
                field,
                "nearly constant series",
                "zero variance: the correlation is undefined",
            ));
        }
    }
    let scale = sd_e * sd_s;
    // Σ_t lead[t + k]·lag[t] / (n − k).
    let cov = |lead: &[f64], lag: &[f64], k: usize| {
        compensated_sum(lead[k..].iter().zip(lag).map(|(a, b)| a * b)) / (n - k) as f64
    };
    let mut lags = Vec::with_capacity(2 * max_lag + 1);
    let mut values = Vec::with_capacity(2 * max_lag + 1);
    for k in (1..=max_lag).rev() {
        lags.push(-(k as i64));
        values.push(cov(&e, &s, k) / scale);
    }
    for k in 0..=max_lag {
        lags.push(k as i64);
        values.push(cov(&s, &e, k) / scale);
    }
    let band = special::norm_ppf(1.0 - (1.0 - confidence) / 2.0) / nf.sqrt();
    Ok(Ccf {
        lags,
        values,
        band,
        n,
        confidence,
    })
}
