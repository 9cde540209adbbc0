//! Calibration and accuracy: check the 0.72 threshold on your own labelled data.

use super::resolve::{Decision, Status};

/// Precision, recall and F1 at one threshold.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CalibrationRow {
    /// The threshold (`score >= threshold` counts as a predicted match).
    pub threshold: f64,
    /// Labelled matches predicted as matches.
    pub true_positives: u64,
    /// Labelled non-matches predicted as matches.
    pub false_positives: u64,
    /// Labelled matches predicted as non-matches.
    pub false_negatives: u64,
    /// `tp / (tp + fp)`; `None` when nothing is predicted.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`; `None` without labelled matches.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall; `None` when either is undefined or both are 0.
    pub f1: Option<f64>,
}

/// The sweep and the threshold that maximises F1 (ties: the highest such threshold, which
/// has the fewest false positives).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CalibrationReport {
    /// One row per threshold, ascending.
    pub rows: Vec<CalibrationRow>,
    /// Index into `rows` of the best F1, if any F1 is defined.
    pub best: Option<usize>,
}

/// Sweeps thresholds `0.00, 0.01, …, 1.00` over labelled scores (`(score, is_match)`),
/// comparing as PostgreSQL does (`(double) score >= threshold`).
///
/// ```
/// let scored = [(0.9f32, true), (0.75, true), (0.73, false), (0.5, true), (0.2, false)];
/// let report = ces::brands::calibrate(&scored);
/// let at = |t: f64| report.rows.iter().find(|r| (r.threshold - t).abs() < 1e-9).unwrap();
/// assert_eq!(at(0.72).precision, Some(2.0 / 3.0));
/// assert_eq!(at(0.74).recall, Some(2.0 / 3.0));
/// let best = &report.rows[report.best.unwrap()];
/// assert_eq!((best.threshold, best.f1), (0.5, Some(6.0 / 7.0))); // highest of the tied thresholds
/// ```
pub fn calibrate(scored: &[(f32, bool)]) -> CalibrationReport {
    let rows: Vec<CalibrationRow> = (0..=100)
        .map(|i| {
            let threshold = f64::from(i) / 100.0;
            let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
            for &(s, label) in scored {
                match (f64::from(s) >= threshold, label) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fneg += 1,
                    (false, false) => {}
                }
            }
            let precision = (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64);
            let recall = (tp + fneg > 0).then(|| tp as f64 / (tp + fneg) as f64);
            let f1 = match (precision, recall) {
                (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
                _ => None,
            };
            CalibrationRow {
                threshold,
                true_positives: tp,
                false_positives: fp,
                false_negatives: fneg,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let mut best: Option<usize> = None;
    for (i, r) in rows.iter().enumerate() {
        if let Some(f) = r.f1
            && best.is_none_or(|b| f >= rows[b].f1.unwrap_or(f64::MIN))
        {
            best = Some(i);
        }
    }
    CalibrationReport { rows, best }
}

/// Accuracy of decisions against ground truth.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Accuracy {
    /// Resolved to the true brand.
    pub correct: u64,
    /// Resolved to a wrong brand, or resolved although no brand is meant.
    pub wrong: u64,
    /// A brand was meant but the decision is not `resolved`.
    pub missed: u64,
    /// No brand was meant and none was resolved.
    pub correctly_unresolved: u64,
    /// `correct / (correct + wrong)`.
    pub precision: Option<f64>,
    /// `correct / inputs that name a brand`.
    pub recall: Option<f64>,
}

/// Scores decisions against the brand each input really names (`None`: no brand).
///
/// ```
/// # use std::sync::Arc;
/// # use ces::brands::*;
/// let c = Arc::new(Catalog::new(CatalogSpec { brands: vec![BrandRecord { id: 1, name: "Tide".into(), threshold: None }], ..Default::default() })?);
/// let r = Resolver::new(c, ResolverConfig::default())?;
/// let d = r.resolve_batch(&["TIDE", "shampoo"], None);
/// let acc = evaluate(&d, &[Some(1), None]);
/// assert_eq!((acc.correct, acc.correctly_unresolved, acc.precision, acc.recall), (1, 1, Some(1.0), Some(1.0)));
/// # Ok::<(), ces::CesError>(())
/// ```
pub fn evaluate(decisions: &[Decision], truth: &[Option<i64>]) -> Accuracy {
    let mut a = Accuracy::default();
    for (d, t) in decisions.iter().zip(truth) {
        let resolved = (d.status == Status::Resolved)
            .then_some(d.brand_id)
            .flatten();
        match (resolved, t) {
            (Some(b), Some(t)) if b == *t => a.correct += 1,
            (Some(_), Some(_)) => {
                a.wrong += 1;
            }
            (Some(_), None) => a.wrong += 1,
            (None, Some(_)) => a.missed += 1,
            (None, None) => a.correctly_unresolved += 1,
        }
    }
    let named = truth.iter().filter(|t| t.is_some()).count() as u64;
    a.precision =
        (a.correct + a.wrong > 0).then(|| a.correct as f64 / (a.correct + a.wrong) as f64);
    a.recall = (named > 0).then(|| a.correct as f64 / named as f64);
    a
}
