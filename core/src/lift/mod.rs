//! Lift: the incremental effect of exposure, with tests and intervals that match statsmodels
//! and SciPy.
//!
//! * [`conversion_lift`] — two-group conversion lift: rates, absolute and relative lift,
//!   incremental conversions and revenue, iROAS; pooled and Wald z tests; Wald, Agresti–Caffo,
//!   Newcomb and score intervals for the difference; log, log-adjusted and score intervals for
//!   the ratio (hence relative lift); Fisher's exact test for small counts.
//! * [`power`] — exact two-variance power, minimum detectable effect and sample size by root
//!   finding, for proportions and means.
//! * [`welch`], [`cuped`], [`ancova`] — continuous metrics.
//! * [`did_2x2`], [`did_panel`] — difference-in-differences with cluster-robust standard errors.
//! * [`ratio_metric`] — ratio metrics by the delta method with a seeded bootstrap cross-check.
//! * [`ccf()`] — cross-correlation of exposure and sales at lags (descriptive, not causal).
//! * [`groups`] — exposed/control groups and store panels built from attribution data, and
//!   the media-mix prior table.
//! * [`experiment`] — experiment definitions (variants, traffic weights, confidence, MDE).
//!
//! Every interval names its method; every root finder works on a bracket that is proved to
//! contain the root, so no interval "fails to converge".

pub mod ccf;
pub mod did;
pub mod experiment;
pub mod fisher;
pub mod groups;
pub mod means;
pub mod power;
pub mod proportions;
pub mod ratio;
pub(crate) mod special;

pub use ccf::{Ccf, ccf};
pub use did::{
    ClusterReference, Covariance, Did2x2, DidConfig, DidPanel, did_2x2, did_panel, rank_codes,
};
pub use experiment::{ExperimentDefinition, ExperimentResult, MdeKind, TestType, Variant};
pub use fisher::{FisherExact, fisher_exact};
pub use groups::{
    CampaignLift, CampaignLiftConfig, MmmPrior, Outcome, PanelSpec, StorePanel, campaign_lift,
    conversion_groups, parse_period, store_panel,
};
pub use means::{Ancova, Cuped, SampleSummary, Welch, ancova, cuped, welch, welch_from_summary};
pub use power::{
    Design, Mde, Power, SampleSize, mde_means, mde_proportions, power_from_se, power_means,
    power_proportions, sample_size_means, sample_size_proportions,
};
pub use proportions::{
    Arm, ConversionConfig, ConversionLift, FisherMode, Test, conversion_lift, conversion_lift_batch,
};
pub use ratio::{
    BootstrapConfig, RatioArm, RatioBootstrap, RatioConfig, RatioEstimate, RatioMetric,
    ratio_metric,
};

/// The alternative hypothesis of a test.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Alternative {
    /// H1: the effect is not 0.
    #[default]
    TwoSided,
    /// H1: the effect is > 0 (treatment larger).
    Larger,
    /// H1: the effect is < 0 (treatment smaller).
    Smaller,
}

impl Alternative {
    /// `two-sided`, `larger`, `smaller` (statsmodels' names).
    pub fn as_str(self) -> &'static str {
        match self {
            Alternative::TwoSided => "two-sided",
            Alternative::Larger => "larger",
            Alternative::Smaller => "smaller",
        }
    }

    /// Parses statsmodels' and SciPy's names (`two-sided`, `larger`/`greater`,
    /// `smaller`/`less`).
    pub fn parse(text: &str) -> Option<Alternative> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "two-sided" | "2s" | "two" => Some(Alternative::TwoSided),
            "larger" | "greater" => Some(Alternative::Larger),
            "smaller" | "less" => Some(Alternative::Smaller),
            _ => None,
        }
    }
}

/// The statistical method behind a test or an interval. Every result names one.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Two-proportion z test with the pooled variance (statsmodels `proportions_ztest`).
    PooledZ,
    /// Two-proportion z test with the unpooled (Wald) variance (statsmodels
    /// `test_proportions_2indep(method="wald")`).
    WaldZ,
    /// Miettinen–Nurminen score test (statsmodels `test_proportions_2indep(method="score")`).
    ScoreZ,
    /// Fisher's exact test (SciPy `fisher_exact`).
    FisherExact,
    /// Wald interval for the difference of proportions.
    Wald,
    /// Agresti–Caffo interval (Wald after adding one success and one failure per arm).
    AgrestiCaffo,
    /// Newcomb's hybrid interval from two Wilson intervals.
    Newcomb,
    /// Miettinen–Nurminen score interval, inverted by bracketed root finding.
    Score,
    /// Log (Katz) interval for the ratio of proportions.
    Log,
    /// Log interval after adding ½ to every count and total.
    LogAdjusted,
    /// Welch's unequal-variance t test (SciPy `ttest_ind(equal_var=False)`).
    WelchT,
    /// Normal-theory z test / interval from an estimate and a standard error.
    Z,
    /// CUPED: outcome adjusted by the pooled θ, then Welch's t test.
    Cuped,
    /// ANCOVA by OLS, classical standard errors (statsmodels `OLS`).
    AncovaOls,
    /// ANCOVA by OLS with HC1 standard errors.
    AncovaHc1,
    /// OLS with classical standard errors.
    Ols,
    /// OLS with cluster-robust standard errors (statsmodels `cov_type="cluster"`, the
    /// small-sample factor G/(G−1)·(N−1)/(N−K)).
    OlsCluster,
    /// Delta method (first-order Taylor expansion) for ratio metrics.
    DeltaMethod,
    /// Seeded percentile bootstrap.
    Bootstrap,
    /// Exact two-variance normal power (statsmodels `normal_power_het`).
    NormalPower,
}

impl Method {
    /// Stable snake_case name (what the bindings and the database carry).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::PooledZ => "pooled_z",
            Method::WaldZ => "wald_z",
            Method::ScoreZ => "score_z",
            Method::FisherExact => "fisher_exact",
            Method::Wald => "wald",
            Method::AgrestiCaffo => "agresti_caffo",
            Method::Newcomb => "newcomb",
            Method::Score => "score",
            Method::Log => "log",
            Method::LogAdjusted => "log_adjusted",
            Method::WelchT => "welch_t",
            Method::Z => "z",
            Method::Cuped => "cuped",
            Method::AncovaOls => "ancova_ols",
            Method::AncovaHc1 => "ancova_hc1",
            Method::Ols => "ols",
            Method::OlsCluster => "ols_cluster",
            Method::DeltaMethod => "delta_method",
            Method::Bootstrap => "bootstrap",
            Method::NormalPower => "normal_power",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A confidence interval, with the method that produced it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// How it was computed.
    pub method: Method,
    /// Lower bound (may be −∞, or 0 for a ratio whose variance is infinite).
    pub low: f64,
    /// Upper bound (may be +∞).
    pub high: f64,
    /// Nominal coverage, e.g. 0.95.
    pub confidence: f64,
}

/// The reference distribution of a test statistic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reference {
    /// Standard normal.
    Normal,
    /// Student t with these (possibly fractional) degrees of freedom.
    StudentT(f64),
}

impl Reference {
    /// Degrees of freedom (∞ for the normal).
    pub fn df(self) -> f64 {
        match self {
            Reference::Normal => f64::INFINITY,
            Reference::StudentT(df) => df,
        }
    }

    /// Two-sided or one-sided p-value of `stat`.
    pub fn p_value(self, stat: f64, alternative: Alternative) -> f64 {
        use special::{norm_cdf, norm_sf, t_cdf, t_sf};
        let (sf, cdf): (f64, f64) = match self {
            Reference::Normal => (norm_sf(stat), norm_cdf(stat)),
            Reference::StudentT(df) => (t_sf(stat, df), t_cdf(stat, df)),
        };
        match alternative {
            Alternative::Larger => sf,
            Alternative::Smaller => cdf,
            Alternative::TwoSided => {
                let tail = match self {
                    Reference::Normal => norm_sf(stat.abs()),
                    Reference::StudentT(df) => t_sf(stat.abs(), df),
                };
                (2.0 * tail).min(1.0)
            }
        }
    }

    /// The critical value for a two-sided interval at `confidence` (or one-sided quantile
    /// `q` when called with `1 − α`): the upper `tail` quantile.
    pub fn upper_quantile(self, tail: f64) -> f64 {
        match self {
            Reference::Normal => special::norm_isf(tail),
            Reference::StudentT(df) => special::t_isf(tail, df),
        }
    }
}

/// An estimate with its standard error, test statistic, p-value and interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inference {
    /// The point estimate (a difference, a coefficient …).
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// estimate / std_error (against 0).
    pub statistic: f64,
    /// The p-value under `alternative`.
    pub p_value: f64,
    /// The reference distribution of the statistic.
    pub reference: Reference,
    /// The alternative the p-value and the interval are for.
    pub alternative: Alternative,
    /// The interval (one-sided alternatives give a half-infinite interval, as SciPy does).
    pub interval: Interval,
}

impl Inference {
    /// Builds the test and interval from an estimate and its standard error.
    pub fn from_se(
        method: Method,
        estimate: f64,
        std_error: f64,
        reference: Reference,
        alternative: Alternative,
        confidence: f64,
    ) -> Inference {
        let statistic = estimate / std_error;
        let p_value = reference.p_value(statistic, alternative);
        let alpha = 1.0 - confidence;
        let (low, high) = match alternative {
            Alternative::TwoSided => {
                let q = reference.upper_quantile(alpha / 2.0);
                (estimate - q * std_error, estimate + q * std_error)
            }
            Alternative::Larger => (
                estimate - reference.upper_quantile(alpha) * std_error,
                f64::INFINITY,
            ),
            Alternative::Smaller => (
                f64::NEG_INFINITY,
                estimate + reference.upper_quantile(alpha) * std_error,
            ),
        };
        Inference {
            estimate,
            std_error,
            statistic,
            p_value,
            reference,
            alternative,
            interval: Interval {
                method,
                low,
                high,
                confidence,
            },
        }
    }

    /// Is the effect significant at the interval's confidence (p < 1 − confidence)?
    pub fn significant(&self) -> bool {
        self.p_value < 1.0 - self.interval.confidence
    }
}

/// Checks a confidence level: finite, strictly inside (0, 1).
pub(crate) fn check_confidence(field: &str, confidence: f64) -> crate::Result<f64> {
    if confidence.is_finite() && confidence > 0.0 && confidence < 1.0 {
        Ok(confidence)
    } else {
        Err(invalid(
            field,
            confidence,
            "a confidence level must be strictly between 0 and 1",
        ))
    }
}

/// An [`crate::CesError::InvalidArgument`] naming the input, its value and why.
pub(crate) fn invalid(field: &str, value: impl std::fmt::Display, reason: &str) -> crate::CesError {
    crate::CesError::InvalidArgument {
        row: crate::error::Row(None),
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// The same, for one element of an array input.
pub(crate) fn invalid_at(
    field: &str,
    row: usize,
    value: impl std::fmt::Display,
    reason: &str,
) -> crate::CesError {
    crate::CesError::InvalidArgument {
        row: crate::error::Row(Some(row as u64)),
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Checks that every value of a sample is finite.
pub(crate) fn check_finite(field: &str, values: &[f64]) -> crate::Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(invalid_at(field, i, values[i], "must be a finite number")),
        None => Ok(()),
    }
}
