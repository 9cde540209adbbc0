//! Experiment definitions and result rows: what the database stores.
//!
//! A definition names the test type, the metric, the variants (exactly one control, traffic
//! weights in percent summing to 100), the confidence and the minimum detectable effect it
//! was planned for. A result row holds, per treatment variant against the control, the lift,
//! its interval, the p-value, the method and whether it is significant.

use super::proportions::ConversionLift;
use super::{Alternative, Inference, check_confidence, invalid};
use crate::Result;

/// What kind of test an experiment runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TestType {
    /// Conversion (proportion) test: [`super::conversion_lift`].
    Conversion,
    /// Continuous metric (revenue per user): Welch / CUPED.
    Continuous,
    /// Ratio metric (basket size, AOV): the delta method.
    Ratio,
    /// Pre/post with controls: difference-in-differences.
    DiffInDiff,
    /// Geo / store panel: two-way fixed effects.
    Panel,
}

impl TestType {
    /// Stable name: `conversion`, `continuous`, `ratio`, `diff_in_diff`, `panel`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestType::Conversion => "conversion",
            TestType::Continuous => "continuous",
            TestType::Ratio => "ratio",
            TestType::DiffInDiff => "diff_in_diff",
            TestType::Panel => "panel",
        }
    }

    /// Parses [`TestType::as_str`] names.
    pub fn parse(text: &str) -> Option<TestType> {
        Some(match text.trim() {
            "conversion" => TestType::Conversion,
            "continuous" => TestType::Continuous,
            "ratio" => TestType::Ratio,
            "diff_in_diff" => TestType::DiffInDiff,
            "panel" => TestType::Panel,
            _ => return None,
        })
    }
}

/// Whether the MDE is absolute (rate points, currency) or relative to the control.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MdeKind {
    /// `mde` is relative to the control (0.05 = +5 %).
    #[default]
    Relative,
    /// `mde` is in the metric's own units.
    Absolute,
}

impl MdeKind {
    /// `relative` or `absolute`.
    pub fn as_str(self) -> &'static str {
        match self {
            MdeKind::Relative => "relative",
            MdeKind::Absolute => "absolute",
        }
    }

    /// Parses [`MdeKind::as_str`] names.
    pub fn parse(text: &str) -> Option<MdeKind> {
        match text.trim() {
            "relative" => Some(MdeKind::Relative),
            "absolute" => Some(MdeKind::Absolute),
            _ => None,
        }
    }
}

/// One arm of an experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Its name, unique within the experiment.
    pub name: String,
    /// Is it the control? Exactly one variant is.
    pub is_control: bool,
    /// Share of traffic, in percent; the variants' weights sum to 100.
    pub traffic_weight: f64,
}

/// An experiment definition.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentDefinition {
    /// Unique key (e.g. `"2025-q3-retail-launch"`).
    pub key: String,
    /// Human name.
    pub name: String,
    /// Test type.
    pub test_type: TestType,
    /// The metric (`conversion_rate`, `revenue_per_user`, `basket_size` …).
    pub metric: String,
    /// The campaign under test, if any.
    pub campaign: Option<String>,
    /// The variants.
    pub variants: Vec<Variant>,
    /// Confidence level, in (0, 1) (the original contract: 0.95).
    pub confidence: f64,
    /// The minimum detectable effect it was planned for (the original contract: 0.05).
    pub mde: f64,
    /// Whether `mde` is relative or absolute.
    pub mde_kind: MdeKind,
    /// The alternative hypothesis.
    pub alternative: Alternative,
    /// Start (µs since the epoch, UTC), if scheduled.
    pub start: Option<i64>,
    /// End (µs, UTC), if scheduled.
    pub end: Option<i64>,
}

impl ExperimentDefinition {
    /// Checks the definition: a key, at least two variants with distinct non-empty names,
    /// exactly one control, weights finite in [0, 100] summing to 100 (±1e-9), confidence in
    /// (0, 1), MDE finite > 0, start ≤ end.
    pub fn validate(&self) -> Result<()> {
        if self.key.trim().is_empty() {
            return Err(invalid("key", "''", "an experiment needs a key"));
        }
        if self.metric.trim().is_empty() {
            return Err(invalid("metric", "''", "an experiment needs a metric"));
        }
        if self.variants.len() < 2 {
            return Err(invalid(
                "variants",
                self.variants.len(),
                "an experiment needs a control and at least one other variant",
            ));
        }
        let mut total = 0.0;
        for (i, v) in self.variants.iter().enumerate() {
            if v.name.trim().is_empty() {
                return Err(invalid(
                    &format!("variants[{i}].name"),
                    "''",
                    "a variant needs a name",
                ));
            }
            if self.variants[..i].iter().any(|w| w.name == v.name) {
                return Err(invalid(
                    &format!("variants[{i}].name"),
                    &v.name,
                    "two variants have this name",
                ));
            }
            let w = v.traffic_weight;
            if !(w.is_finite() && (0.0..=100.0).contains(&w)) {
                return Err(invalid(
                    &format!("variants[{i}].traffic_weight"),
                    w,
                    "a traffic weight is a percentage in [0, 100]",
                ));
            }
            total += w;
        }
        if (total - 100.0).abs() > 1e-9 {
            return Err(invalid(
                "variants.traffic_weight",
                total,
                "the traffic weights must sum to 100",
            ));
        }
        let controls = self.variants.iter().filter(|v| v.is_control).count();
        if controls != 1 {
            return Err(invalid(
                "variants.is_control",
                controls,
                "exactly one variant must be the control",
            ));
        }
        check_confidence("confidence", self.confidence)?;
        if !(self.mde.is_finite() && self.mde > 0.0) {
            return Err(invalid(
                "mde",
                self.mde,
                "the minimum detectable effect must be > 0",
            ));
        }
        if let (Some(s), Some(e)) = (self.start, self.end)
            && e < s
        {
            return Err(invalid("end", e, &format!("ends before it starts ({s})")));
        }
        Ok(())
    }

    /// The control variant (call [`ExperimentDefinition::validate`] first).
    pub fn control(&self) -> Option<&Variant> {
        self.variants.iter().find(|v| v.is_control)
    }
}

/// One result row: a treatment variant against the control on one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentResult {
    /// The experiment's key.
    pub experiment: String,
    /// The treatment variant.
    pub variant: String,
    /// The metric.
    pub metric: String,
    /// The method of the test (a [`super::Method`] name).
    pub method: String,
    /// The method of the interval.
    pub interval_method: String,
    /// Treatment units.
    pub n_treatment: f64,
    /// Control units.
    pub n_control: f64,
    /// The treatment's metric value (rate, mean …).
    pub treatment_value: f64,
    /// The control's metric value.
    pub control_value: f64,
    /// Absolute lift (treatment − control, or the model's effect).
    pub lift: f64,
    /// Relative lift (lift / control), when defined.
    pub relative_lift: Option<f64>,
    /// Interval of the absolute lift.
    pub ci_low: f64,
    /// Interval of the absolute lift.
    pub ci_high: f64,
    /// The p-value.
    pub p_value: f64,
    /// p < 1 − confidence.
    pub significant: bool,
    /// Confidence of the interval.
    pub confidence: f64,
    /// Power to detect the planned MDE at these sizes, when computed.
    pub power: Option<f64>,
}

impl ExperimentResult {
    /// The row for a conversion test.
    pub fn from_conversion(
        experiment: &str,
        variant: &str,
        metric: &str,
        r: &ConversionLift,
        power: Option<f64>,
    ) -> ExperimentResult {
        ExperimentResult {
            experiment: experiment.into(),
            variant: variant.into(),
            metric: metric.into(),
            method: r.test.method.as_str().into(),
            interval_method: r.difference_interval.method.as_str().into(),
            n_treatment: r.treatment.users,
            n_control: r.control.users,
            treatment_value: r.treatment_rate,
            control_value: r.control_rate,
            lift: r.absolute_lift,
            relative_lift: r.relative_lift.is_finite().then_some(r.relative_lift),
            ci_low: r.difference_interval.low,
            ci_high: r.difference_interval.high,
            p_value: r.test.p_value,
            significant: r.significant,
            confidence: r.confidence,
            power,
        }
    }

    /// The row for any estimate with an [`Inference`] (Welch, CUPED, DiD, ratio metrics).
    #[allow(clippy::too_many_arguments)]
    pub fn from_inference(
        experiment: &str,
        variant: &str,
        metric: &str,
        n_treatment: f64,
        n_control: f64,
        treatment_value: f64,
        control_value: f64,
        inference: &Inference,
        power: Option<f64>,
    ) -> ExperimentResult {
        let relative = inference.estimate / control_value;
        ExperimentResult {
            experiment: experiment.into(),
            variant: variant.into(),
            metric: metric.into(),
            method: inference.interval.method.as_str().into(),
            interval_method: inference.interval.method.as_str().into(),
            n_treatment,
            n_control,
            treatment_value,
            control_value,
            lift: inference.estimate,
            relative_lift: relative.is_finite().then_some(relative),
            ci_low: inference.interval.low,
            ci_high: inference.interval.high,
            p_value: inference.p_value,
            significant: inference.significant(),
            confidence: inference.interval.confidence,
            power,
        }
    }
}
