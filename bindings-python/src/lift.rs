//! Lift from Python: thin wrappers over [`ces::lift`].
//!
//! Arguments are converted here (numbers, names of alternatives and methods, columns through
//! [`crate::lift_tables`], attribution tables through [`crate::attribution_tables`]); the core
//! runs with the interpreter detached, errors go through [`crate::error`], and results come
//! back as plain dicts (field for field the core's structs) or Arrow tables, which the Python
//! facade (`python/ces/lift.py`) wraps in frozen dataclasses. No statistic is computed here.

use ces::attribution::{ExposureTable, TransactionTable, Tz};
use ces::lift::ccf::Ccf;
use ces::lift::did::{ClusterReference, Covariance, Did2x2, DidConfig, DidPanel};
use ces::lift::ratio::{
    BootstrapConfig, RatioArm, RatioBootstrap, RatioConfig, RatioEstimate, RatioMetric,
};
use ces::lift::{
    self, Alternative, Ancova, Arm, CampaignLift, CampaignLiftConfig, ConversionConfig,
    ConversionLift, Cuped, Design, ExperimentDefinition, FisherExact, FisherMode, Inference,
    Interval, MdeKind, Method, MmmPrior, Outcome, PanelSpec, SampleSummary, StorePanel, Test,
    TestType, Variant, Welch,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::attribution::{invalid, repr};
use crate::attribution_tables as at;
use crate::error::{Error, Result};
use crate::lift_tables as lt;
use crate::tables::{self, Table};

/// A real number: `int`, `float` or anything with `__float__` (NumPy scalars, `Decimal`);
/// never `bool`, `None` or text (a `TypeError` naming `field`).
pub(crate) fn number(obj: &Bound<'_, PyAny>, field: &str) -> Result<f64> {
    if obj.is_none() || obj.is_instance_of::<PyBool>() || tables::is_text(obj) {
        return Err(Error::wrong_type_named(field, "a number", obj));
    }
    obj.extract::<f64>()
        .map_err(|_| Error::wrong_type_named(field, "a number", obj))
}

/// [`number`], or `None`.
fn optional_number(obj: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<f64>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => number(o, field).map(Some),
    }
}

/// A whole number (`int` or a NumPy integer; never `bool`).
fn integer(obj: &Bound<'_, PyAny>, field: &str) -> Result<i64> {
    if obj.is_instance_of::<PyBool>() || obj.is_none() || tables::is_text(obj) {
        return Err(Error::wrong_type_named(field, "an int", obj));
    }
    if !obj.is_instance_of::<PyInt>() && !obj.hasattr(intern!(obj.py(), "__index__"))? {
        return Err(Error::wrong_type_named(field, "an int", obj));
    }
    obj.extract::<i64>()
        .map_err(|_| invalid(field, repr(obj), "out of range for a 64-bit integer"))
}

fn text(obj: &Bound<'_, PyAny>, field: &str) -> Result<String> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| Error::wrong_type_named(field, "str", obj))?;
    Ok(s.to_cow()?.into_owned())
}

/// `from_py_with` extractors: a `TypeError` naming the argument for a value of the wrong type.
macro_rules! number_args {
    ($($f:ident => $name:literal),* $(,)?) => {
        $(fn $f(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
            Ok(number(obj, $name)?)
        })*
    };
}

number_args!(
    arg_confidence => "confidence",
    arg_baseline => "baseline",
    arg_effect => "effect",
    arg_n_treatment => "n_treatment",
    arg_n_control => "n_control",
    arg_power => "power",
    arg_ratio => "ratio",
    arg_sd_treatment => "sd_treatment",
    arg_sd_control => "sd_control",
    arg_std_error => "std_error",
    arg_mde_relative => "mde_relative",
    arg_target_power => "target_power",
);

macro_rules! text_args {
    ($($f:ident => $name:literal),* $(,)?) => {
        $(fn $f(obj: &Bound<'_, PyAny>) -> PyResult<String> {
            Ok(text(obj, $name)?)
        })*
    };
}

text_args!(
    arg_alternative => "alternative",
    arg_difference_method => "difference_method",
    arg_ratio_method => "ratio_method",
    arg_covariance => "covariance",
    arg_reference => "reference",
    arg_outcome => "outcome",
    arg_key => "key",
);

/// `bootstrap`: a number of resamples (an int ≥ 0), or None.
fn arg_bootstrap(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    Ok(Some(integer(obj, "bootstrap")?))
}

/// `seed`: an int in [0, 2⁶⁴).
fn arg_seed(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let int_like = !obj.is_instance_of::<PyBool>()
        && (obj.is_instance_of::<PyInt>() || obj.hasattr(intern!(obj.py(), "__index__"))?);
    if !int_like {
        return Err(Error::wrong_type_named("seed", "an int", obj).into());
    }
    Ok(obj
        .extract::<u64>()
        .map_err(|_| invalid("seed", repr(obj), "a seed is an int in [0, 2**64)"))?)
}

fn alternative(name: &str) -> Result<Alternative> {
    Alternative::parse(name).ok_or_else(|| {
        invalid(
            "alternative",
            format!("{name:?}"),
            "expected \"two-sided\", \"larger\" or \"smaller\"",
        )
    })
}

const METHODS: [Method; 20] = [
    Method::PooledZ,
    Method::WaldZ,
    Method::ScoreZ,
    Method::FisherExact,
    Method::Wald,
    Method::AgrestiCaffo,
    Method::Newcomb,
    Method::Score,
    Method::Log,
    Method::LogAdjusted,
    Method::WelchT,
    Method::Z,
    Method::Cuped,
    Method::AncovaOls,
    Method::AncovaHc1,
    Method::Ols,
    Method::OlsCluster,
    Method::DeltaMethod,
    Method::Bootstrap,
    Method::NormalPower,
];

/// A method by its [`Method::as_str`] name (`-` accepted for `_`); which methods are allowed
/// where is the core's to check.
fn method(name: &str, field: &str) -> Result<Method> {
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    METHODS
        .into_iter()
        .find(|m| m.as_str() == wanted)
        .ok_or_else(|| invalid(field, format!("{name:?}"), "unknown method"))
}

fn fisher_mode(obj: &Bound<'_, PyAny>) -> Result<FisherMode> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(if b.is_true() {
            FisherMode::Always
        } else {
            FisherMode::Never
        });
    }
    let name = text(obj, "fisher").map_err(|_| {
        Error::wrong_type_named("fisher", "\"auto\", \"always\", \"never\" or a bool", obj)
    })?;
    match name.trim() {
        "auto" => Ok(FisherMode::Auto),
        "always" => Ok(FisherMode::Always),
        "never" => Ok(FisherMode::Never),
        other => Err(invalid(
            "fisher",
            format!("{other:?}"),
            "expected \"auto\", \"always\" or \"never\"",
        )),
    }
}

fn covariance(name: &str) -> Result<Covariance> {
    match name.trim() {
        "cluster" => Ok(Covariance::Cluster),
        "classical" | "nonrobust" => Ok(Covariance::Classical),
        other => Err(invalid(
            "covariance",
            format!("{other:?}"),
            "expected \"cluster\" or \"classical\"",
        )),
    }
}

fn reference(name: &str) -> Result<ClusterReference> {
    match name.trim() {
        "t" | "student_t" | "student-t" => Ok(ClusterReference::StudentT),
        "normal" | "z" => Ok(ClusterReference::Normal),
        other => Err(invalid(
            "reference",
            format!("{other:?}"),
            "expected \"t\" or \"normal\"",
        )),
    }
}

fn progress_arg(obj: Option<&Bound<'_, PyAny>>) -> Result<Option<Py<PyAny>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) if o.is_callable() => Ok(Some(o.clone().unbind())),
        Some(o) => Err(Error::wrong_type("progress", "a callable or None", o)),
    }
}

fn design(confidence: f64, alt: &str) -> Result<Design> {
    Ok(Design {
        confidence,
        alternative: alternative(alt)?,
    })
}

// ----------------------------------------------------------------------------------------
// Results as dicts (field for field the core's structs).

type Dict<'py> = Bound<'py, PyDict>;

fn interval_dict<'py>(py: Python<'py>, i: &Interval) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("method", i.method.as_str())?;
    d.set_item("low", i.low)?;
    d.set_item("high", i.high)?;
    d.set_item("confidence", i.confidence)?;
    Ok(d)
}

fn intervals<'py>(py: Python<'py>, items: &[Interval]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(
        py,
        items
            .iter()
            .map(|i| interval_dict(py, i))
            .collect::<PyResult<Vec<_>>>()?,
    )
}

fn test_dict<'py>(py: Python<'py>, t: &Test) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("method", t.method.as_str())?;
    d.set_item("statistic", t.statistic)?;
    d.set_item("p_value", t.p_value)?;
    d.set_item("alternative", t.alternative.as_str())?;
    Ok(d)
}

fn fisher_dict<'py>(py: Python<'py>, f: &FisherExact) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("odds_ratio", f.odds_ratio)?;
    d.set_item("p_value", f.p_value)?;
    d.set_item("alternative", f.alternative.as_str())?;
    Ok(d)
}

fn inference_dict<'py>(py: Python<'py>, i: &Inference) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("estimate", i.estimate)?;
    d.set_item("std_error", i.std_error)?;
    d.set_item("statistic", i.statistic)?;
    d.set_item("p_value", i.p_value)?;
    d.set_item("df", i.reference.df())?;
    d.set_item("alternative", i.alternative.as_str())?;
    d.set_item("interval", interval_dict(py, &i.interval)?)?;
    d.set_item("significant", i.significant())?;
    Ok(d)
}

fn arm_dict<'py>(py: Python<'py>, a: &Arm) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("users", a.users)?;
    d.set_item("conversions", a.conversions)?;
    d.set_item("revenue", a.revenue)?;
    Ok(d)
}

fn conversion_dict<'py>(py: Python<'py>, r: &ConversionLift) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("treatment", arm_dict(py, &r.treatment)?)?;
    d.set_item("control", arm_dict(py, &r.control)?)?;
    d.set_item("treatment_rate", r.treatment_rate)?;
    d.set_item("control_rate", r.control_rate)?;
    d.set_item("absolute_lift", r.absolute_lift)?;
    d.set_item("relative_lift", r.relative_lift)?;
    d.set_item("incremental_conversions", r.incremental_conversions)?;
    d.set_item("incremental_revenue", r.incremental_revenue)?;
    d.set_item("spend", r.spend)?;
    d.set_item("iroas", r.iroas)?;
    d.set_item(
        "cost_per_incremental_conversion",
        r.cost_per_incremental_conversion,
    )?;
    d.set_item("pooled_z", test_dict(py, &r.pooled_z)?)?;
    d.set_item("wald_z", test_dict(py, &r.wald_z)?)?;
    d.set_item("score_z", test_dict(py, &r.score_z)?)?;
    d.set_item(
        "fisher",
        r.fisher.as_ref().map(|f| fisher_dict(py, f)).transpose()?,
    )?;
    d.set_item("test", test_dict(py, &r.test)?)?;
    d.set_item("significant", r.significant)?;
    d.set_item(
        "difference_interval",
        interval_dict(py, &r.difference_interval)?,
    )?;
    d.set_item(
        "relative_lift_interval",
        interval_dict(py, &r.relative_lift_interval)?,
    )?;
    d.set_item(
        "difference_intervals",
        intervals(py, &r.difference_intervals)?,
    )?;
    d.set_item("ratio_intervals", intervals(py, &r.ratio_intervals)?)?;
    d.set_item("confidence", r.confidence)?;
    Ok(d)
}

fn power_dict<'py>(py: Python<'py>, p: &lift::Power) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("power", p.power)?;
    d.set_item("effect", p.effect)?;
    d.set_item("std_null", p.std_null)?;
    d.set_item("std_alternative", p.std_alternative)?;
    d.set_item("n_treatment", p.n_treatment)?;
    d.set_item("n_control", p.n_control)?;
    d.set_item("alpha", p.alpha)?;
    d.set_item("alternative", p.alternative.as_str())?;
    d.set_item("method", p.method.as_str())?;
    Ok(d)
}

fn mde_dict<'py>(py: Python<'py>, m: &lift::Mde) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("absolute", m.absolute)?;
    d.set_item("relative", m.relative)?;
    d.set_item("power", m.power)?;
    Ok(d)
}

fn sample_size_dict<'py>(py: Python<'py>, s: &lift::SampleSize) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("n_treatment_exact", s.n_treatment_exact)?;
    d.set_item("n_treatment", s.n_treatment)?;
    d.set_item("n_control", s.n_control)?;
    d.set_item("total", s.total)?;
    d.set_item("power", s.power)?;
    Ok(d)
}

fn summary_dict<'py>(py: Python<'py>, s: &SampleSummary) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("n", s.n)?;
    d.set_item("mean", s.mean)?;
    d.set_item("variance", s.variance)?;
    Ok(d)
}

fn welch_dict<'py>(py: Python<'py>, w: &Welch) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("treatment", summary_dict(py, &w.treatment)?)?;
    d.set_item("control", summary_dict(py, &w.control)?)?;
    d.set_item("inference", inference_dict(py, &w.inference)?)?;
    d.set_item("relative_lift", w.relative_lift)?;
    Ok(d)
}

fn ancova_dict<'py>(py: Python<'py>, a: &Ancova) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("classical", inference_dict(py, &a.classical)?)?;
    d.set_item("hc1", inference_dict(py, &a.hc1)?)?;
    d.set_item("slope", a.slope)?;
    d.set_item("df_resid", a.df_resid)?;
    Ok(d)
}

fn cuped_dict<'py>(py: Python<'py>, c: &Cuped) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("theta", c.theta)?;
    d.set_item("variance_reduction", c.variance_reduction)?;
    d.set_item("adjusted", welch_dict(py, &c.adjusted)?)?;
    d.set_item("unadjusted", welch_dict(py, &c.unadjusted)?)?;
    d.set_item("ancova", ancova_dict(py, &c.ancova)?)?;
    Ok(d)
}

fn did_2x2_dict<'py>(py: Python<'py>, r: &Did2x2) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("effect", inference_dict(py, &r.effect)?)?;
    d.set_item("params", PyTuple::new(py, r.params)?)?;
    d.set_item("classical_std_error", r.classical_std_error)?;
    d.set_item("cluster_std_error", r.cluster_std_error)?;
    d.set_item(
        "cell_means",
        PyTuple::new(py, r.cell_means.iter().map(|row| (row[0], row[1])))?,
    )?;
    d.set_item(
        "cell_counts",
        PyTuple::new(py, r.cell_counts.iter().map(|row| (row[0], row[1])))?,
    )?;
    d.set_item("n_obs", r.n_obs)?;
    d.set_item("n_clusters", r.n_clusters)?;
    d.set_item("relative_effect", r.relative_effect)?;
    Ok(d)
}

fn did_panel_dict<'py>(py: Python<'py>, r: &DidPanel) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("effect", inference_dict(py, &r.effect)?)?;
    d.set_item("classical_std_error", r.classical_std_error)?;
    d.set_item("cluster_std_error", r.cluster_std_error)?;
    d.set_item("n_obs", r.n_obs)?;
    d.set_item("n_units", r.n_units)?;
    d.set_item("n_periods", r.n_periods)?;
    d.set_item("n_params", r.n_params)?;
    d.set_item("n_clusters", r.n_clusters)?;
    d.set_item("treated_obs", r.treated_obs)?;
    Ok(d)
}

fn ratio_estimate_dict<'py>(py: Python<'py>, r: &RatioEstimate) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("ratio", r.ratio)?;
    d.set_item("std_error", r.std_error)?;
    d.set_item("n", r.n)?;
    d.set_item("numerator_sum", r.numerator_sum)?;
    d.set_item("denominator_sum", r.denominator_sum)?;
    Ok(d)
}

fn ratio_bootstrap_dict<'py>(py: Python<'py>, b: &RatioBootstrap) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("resamples", b.resamples)?;
    d.set_item("seed", b.seed)?;
    d.set_item("difference_std_error", b.difference_std_error)?;
    d.set_item(
        "difference_interval",
        interval_dict(py, &b.difference_interval)?,
    )?;
    d.set_item(
        "relative_lift_interval",
        interval_dict(py, &b.relative_lift_interval)?,
    )?;
    Ok(d)
}

fn ratio_dict<'py>(py: Python<'py>, r: &RatioMetric) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("treatment", ratio_estimate_dict(py, &r.treatment)?)?;
    d.set_item("control", ratio_estimate_dict(py, &r.control)?)?;
    d.set_item("difference", inference_dict(py, &r.difference)?)?;
    d.set_item("relative_lift", inference_dict(py, &r.relative_lift)?)?;
    d.set_item(
        "bootstrap",
        r.bootstrap
            .as_ref()
            .map(|b| ratio_bootstrap_dict(py, b))
            .transpose()?,
    )?;
    Ok(d)
}

fn ccf_dict<'py>(py: Python<'py>, c: &Ccf) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("lags", PyList::new(py, &c.lags)?)?;
    d.set_item("values", PyList::new(py, &c.values)?)?;
    d.set_item("band", c.band)?;
    d.set_item("n", c.n)?;
    d.set_item("confidence", c.confidence)?;
    d.set_item("significant_lags", PyList::new(py, c.significant_lags())?)?;
    Ok(d)
}

fn spec_dict<'py>(py: Python<'py>, s: &PanelSpec) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("campaign", &s.campaign)?;
    d.set_item("pre_start", s.pre_start)?;
    d.set_item("campaign_start", s.campaign_start)?;
    d.set_item("end", s.end)?;
    d.set_item("period", s.period)?;
    Ok(d)
}

fn campaign_dict<'py>(py: Python<'py>, c: &CampaignLift) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("spec", spec_dict(py, &c.spec)?)?;
    d.set_item("outcome", c.outcome.as_str())?;
    d.set_item("exposed_units", c.exposed_units)?;
    d.set_item("control_units", c.control_units)?;
    d.set_item("periods", c.periods)?;
    d.set_item("pre_periods", c.pre_periods)?;
    d.set_item("spend", c.spend)?;
    d.set_item("channels", PyList::new(py, &c.channels)?)?;
    d.set_item("did", did_2x2_dict(py, &c.did)?)?;
    d.set_item("panel", did_panel_dict(py, &c.panel)?)?;
    d.set_item("baseline", c.baseline)?;
    d.set_item("relative_lift", c.relative_lift)?;
    d.set_item("relative_interval", c.relative_interval)?;
    d.set_item("incremental", c.incremental)?;
    d.set_item("incremental_std_error", c.incremental_std_error)?;
    d.set_item("incremental_interval", c.incremental_interval)?;
    d.set_item("iroas", c.iroas)?;
    d.set_item("power", power_dict(py, &c.power)?)?;
    d.set_item("mde", c.mde)?;
    d.set_item("mde_relative", c.mde_relative)?;
    Ok(d)
}

fn prior_dict<'py>(py: Python<'py>, p: &MmmPrior) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    d.set_item("campaign", &p.campaign)?;
    d.set_item("channel", &p.channel)?;
    d.set_item("metric", &p.metric)?;
    d.set_item("start", p.start)?;
    d.set_item("end", p.end)?;
    d.set_item("method", p.method.as_str())?;
    d.set_item("effect", p.effect)?;
    d.set_item("std_error", p.std_error)?;
    d.set_item("ci_low", p.ci_low)?;
    d.set_item("ci_high", p.ci_high)?;
    d.set_item("confidence", p.confidence)?;
    d.set_item("spend", p.spend)?;
    d.set_item("roi", p.roi)?;
    d.set_item("roi_std_error", p.roi_std_error)?;
    d.set_item("exposed_units", p.exposed_units)?;
    d.set_item("control_units", p.control_units)?;
    Ok(d)
}

// ----------------------------------------------------------------------------------------
// Conversion lift.

/// An arm given as a `(users, conversions, revenue)` tuple (`revenue` may be None); the
/// facade turns `Arm`s, dicts and shorter tuples into this.
fn arm(obj: &Bound<'_, PyAny>, name: &str) -> Result<Arm> {
    let tuple = obj
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 3)
        .ok_or_else(|| {
            Error::wrong_type_named(name, "a (users, conversions, revenue) tuple", obj)
        })?;
    Ok(Arm {
        users: number(&tuple.get_item(0)?, &format!("{name}.users"))?,
        conversions: number(&tuple.get_item(1)?, &format!("{name}.conversions"))?,
        revenue: optional_number(Some(&tuple.get_item(2)?), &format!("{name}.revenue"))?,
    })
}

fn conversion_config(
    confidence: f64,
    alt: &str,
    spend: Option<&Bound<'_, PyAny>>,
    difference_method: &str,
    ratio_method: &str,
    fisher: &Bound<'_, PyAny>,
) -> Result<ConversionConfig> {
    Ok(ConversionConfig {
        confidence,
        alternative: alternative(alt)?,
        spend: optional_number(spend, "spend")?,
        difference_method: method(difference_method, "difference_method")?,
        ratio_method: method(ratio_method, "ratio_method")?,
        fisher: fisher_mode(fisher)?,
    })
}

/// Two-group conversion lift (`ces.lift.conversion_lift` documents the arguments).
#[pyfunction]
#[pyo3(signature = (
    treatment, control, *,
    confidence = 0.95,
    alternative = String::from("two-sided"),
    spend = None,
    difference_method = String::from("newcomb"),
    ratio_method = String::from("log_adjusted"),
    fisher = None,
), text_signature = "(treatment, control, *, confidence=0.95, alternative='two-sided', \
                     spend=None, difference_method='newcomb', ratio_method='log_adjusted', \
                     fisher='auto')")]
#[allow(clippy::too_many_arguments)]
fn lift_conversion<'py>(
    py: Python<'py>,
    treatment: &Bound<'py, PyAny>,
    control: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    spend: Option<&Bound<'py, PyAny>>,
    #[pyo3(from_py_with = arg_difference_method)] difference_method: String,
    #[pyo3(from_py_with = arg_ratio_method)] ratio_method: String,
    fisher: Option<&Bound<'py, PyAny>>,
) -> Result<Dict<'py>> {
    let auto = PyString::new(py, "auto").into_any();
    let config = conversion_config(
        confidence,
        &alternative,
        spend,
        &difference_method,
        &ratio_method,
        fisher.unwrap_or(&auto),
    )?;
    let (t, c) = (arm(treatment, "treatment")?, arm(control, "control")?);
    let r = py.detach(|| lift::conversion_lift(&t, &c, &config))?;
    Ok(conversion_dict(py, &r)?)
}

/// Conversion lift of every row of a table (`ces.lift.conversion_lift_batch` documents the
/// arguments and the columns of the result).
#[pyfunction]
#[pyo3(signature = (
    table, *,
    columns = None,
    confidence = 0.95,
    alternative = String::from("two-sided"),
    spend = None,
    difference_method = String::from("newcomb"),
    ratio_method = String::from("log_adjusted"),
    fisher = None,
    progress = None,
), text_signature = "(table, *, columns=None, confidence=0.95, alternative='two-sided', \
                     spend=None, difference_method='newcomb', ratio_method='log_adjusted', \
                     fisher='auto', progress=None)")]
#[allow(clippy::too_many_arguments)]
fn lift_conversion_batch<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    columns: Option<&Bound<'py, PyAny>>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    spend: Option<&Bound<'py, PyAny>>,
    #[pyo3(from_py_with = arg_difference_method)] difference_method: String,
    #[pyo3(from_py_with = arg_ratio_method)] ratio_method: String,
    fisher: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> Result<Py<PyAny>> {
    let auto = PyString::new(py, "auto").into_any();
    let config = conversion_config(
        confidence,
        &alternative,
        spend,
        &difference_method,
        &ratio_method,
        fisher.unwrap_or(&auto),
    )?;
    let progress = progress_arg(progress)?;
    let names = lt::column_names(columns, lt::BATCH_COLUMNS)?;
    let table = Table::from_py(table, "table")?;
    let batch = py.detach(|| lt::conversion_batch(&table, &names, &config, progress.as_ref()))?;
    tables::to_pyarrow(py, batch)
}

/// Fisher's exact test of a 2×2 table of counts `[[a, b], [c, d]]`.
#[pyfunction]
#[pyo3(signature = (table, *, alternative = String::from("two-sided")),
       text_signature = "(table, *, alternative='two-sided')")]
fn lift_fisher_exact<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let expected = "a 2×2 table of counts [[a, b], [c, d]]";
    let rows: Vec<Bound<'py, PyAny>> = if tables::is_text(table) {
        return Err(Error::wrong_type_named("table", expected, table));
    } else {
        table
            .try_iter()
            .map_err(|_| Error::wrong_type_named("table", expected, table))?
            .collect::<PyResult<_>>()?
    };
    if rows.len() != 2 {
        return Err(invalid("table", repr(table), "must have exactly 2 rows"));
    }
    let mut cells = [[0u64; 2]; 2];
    for (i, row) in rows.iter().enumerate() {
        let values: Vec<Bound<'py, PyAny>> = if tables::is_text(row) {
            return Err(Error::wrong_type_named(
                &format!("table[{i}]"),
                "a row of 2 counts",
                row,
            ));
        } else {
            row.try_iter()
                .map_err(|_| {
                    Error::wrong_type_named(&format!("table[{i}]"), "a row of 2 counts", row)
                })?
                .collect::<PyResult<_>>()?
        };
        if values.len() != 2 {
            return Err(invalid(
                &format!("table[{i}]"),
                repr(row),
                "must have exactly 2 counts",
            ));
        }
        for (j, v) in values.iter().enumerate() {
            let field = format!("table[{i}][{j}]");
            let n = integer(v, &field)?;
            cells[i][j] = u64::try_from(n)
                .map_err(|_| invalid(&field, n.to_string(), "a count must be ≥ 0"))?;
        }
    }
    let r = py.detach(|| lift::fisher_exact(cells, alt))?;
    Ok(fisher_dict(py, &r)?)
}

// ----------------------------------------------------------------------------------------
// Planning.

/// Power of the two-proportion z test.
#[pyfunction]
#[pyo3(signature = (baseline, effect, n_treatment, n_control, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(baseline, effect, n_treatment, n_control, *, confidence=0.95, \
                         alternative='two-sided')")]
fn lift_power_proportions<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_baseline)] baseline: f64,
    #[pyo3(from_py_with = arg_effect)] effect: f64,
    #[pyo3(from_py_with = arg_n_treatment)] n_treatment: f64,
    #[pyo3(from_py_with = arg_n_control)] n_control: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = lift::power_proportions(baseline, effect, n_treatment, n_control, &d)?;
    Ok(power_dict(py, &r)?)
}

/// Minimum detectable effect for proportions.
#[pyfunction]
#[pyo3(signature = (baseline, n_treatment, n_control, *, power = 0.8, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(baseline, n_treatment, n_control, *, power=0.8, confidence=0.95, \
                         alternative='two-sided')")]
fn lift_mde_proportions<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_baseline)] baseline: f64,
    #[pyo3(from_py_with = arg_n_treatment)] n_treatment: f64,
    #[pyo3(from_py_with = arg_n_control)] n_control: f64,
    #[pyo3(from_py_with = arg_power)] power: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = py.detach(|| lift::mde_proportions(baseline, n_treatment, n_control, power, &d))?;
    Ok(mde_dict(py, &r)?)
}

/// Sample size for proportions.
#[pyfunction]
#[pyo3(signature = (baseline, effect, *, ratio = 1.0, power = 0.8, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(baseline, effect, *, ratio=1.0, power=0.8, confidence=0.95, \
                         alternative='two-sided')")]
fn lift_sample_size_proportions<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_baseline)] baseline: f64,
    #[pyo3(from_py_with = arg_effect)] effect: f64,
    #[pyo3(from_py_with = arg_ratio)] ratio: f64,
    #[pyo3(from_py_with = arg_power)] power: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = py.detach(|| lift::sample_size_proportions(baseline, effect, ratio, power, &d))?;
    Ok(sample_size_dict(py, &r)?)
}

/// Power of the two-sample z test of means.
#[pyfunction]
#[pyo3(signature = (effect, sd_treatment, sd_control, n_treatment, n_control, *,
                    confidence = 0.95, alternative = String::from("two-sided")),
       text_signature = "(effect, sd_treatment, sd_control, n_treatment, n_control, *, \
                         confidence=0.95, alternative='two-sided')")]
#[allow(clippy::too_many_arguments)]
fn lift_power_means<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_effect)] effect: f64,
    #[pyo3(from_py_with = arg_sd_treatment)] sd_treatment: f64,
    #[pyo3(from_py_with = arg_sd_control)] sd_control: f64,
    #[pyo3(from_py_with = arg_n_treatment)] n_treatment: f64,
    #[pyo3(from_py_with = arg_n_control)] n_control: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = lift::power_means(effect, sd_treatment, sd_control, n_treatment, n_control, &d)?;
    Ok(power_dict(py, &r)?)
}

/// Minimum detectable difference of means.
#[pyfunction]
#[pyo3(signature = (baseline, sd_treatment, sd_control, n_treatment, n_control, *,
                    power = 0.8, confidence = 0.95, alternative = String::from("two-sided")),
       text_signature = "(baseline, sd_treatment, sd_control, n_treatment, n_control, *, \
                         power=0.8, confidence=0.95, alternative='two-sided')")]
#[allow(clippy::too_many_arguments)]
fn lift_mde_means<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_baseline)] baseline: f64,
    #[pyo3(from_py_with = arg_sd_treatment)] sd_treatment: f64,
    #[pyo3(from_py_with = arg_sd_control)] sd_control: f64,
    #[pyo3(from_py_with = arg_n_treatment)] n_treatment: f64,
    #[pyo3(from_py_with = arg_n_control)] n_control: f64,
    #[pyo3(from_py_with = arg_power)] power: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = py.detach(|| {
        lift::mde_means(
            baseline,
            sd_treatment,
            sd_control,
            n_treatment,
            n_control,
            power,
            &d,
        )
    })?;
    Ok(mde_dict(py, &r)?)
}

/// Sample size for a difference of means.
#[pyfunction]
#[pyo3(signature = (effect, sd_treatment, sd_control, *, ratio = 1.0, power = 0.8,
                    confidence = 0.95, alternative = String::from("two-sided")),
       text_signature = "(effect, sd_treatment, sd_control, *, ratio=1.0, power=0.8, \
                         confidence=0.95, alternative='two-sided')")]
#[allow(clippy::too_many_arguments)]
fn lift_sample_size_means<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_effect)] effect: f64,
    #[pyo3(from_py_with = arg_sd_treatment)] sd_treatment: f64,
    #[pyo3(from_py_with = arg_sd_control)] sd_control: f64,
    #[pyo3(from_py_with = arg_ratio)] ratio: f64,
    #[pyo3(from_py_with = arg_power)] power: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r =
        py.detach(|| lift::sample_size_means(effect, sd_treatment, sd_control, ratio, power, &d))?;
    Ok(sample_size_dict(py, &r)?)
}

/// Power of a z test whose estimator has standard error `std_error`.
#[pyfunction]
#[pyo3(signature = (effect, std_error, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(effect, std_error, *, confidence=0.95, alternative='two-sided')")]
fn lift_power_from_se<'py>(
    py: Python<'py>,
    #[pyo3(from_py_with = arg_effect)] effect: f64,
    #[pyo3(from_py_with = arg_std_error)] std_error: f64,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let d = design(confidence, &alternative)?;
    let r = lift::power_from_se(effect, std_error, &d)?;
    Ok(power_dict(py, &r)?)
}

// ----------------------------------------------------------------------------------------
// Continuous metrics.

/// Welch's t test from two samples (number columns: NumPy float64 arrays and Arrow float64
/// columns without nulls are read in place).
#[pyfunction]
#[pyo3(signature = (treatment, control, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(treatment, control, *, confidence=0.95, alternative='two-sided')")]
fn lift_welch<'py>(
    py: Python<'py>,
    treatment: &Bound<'py, PyAny>,
    control: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let t = tables::column_arg(treatment, "treatment")?;
    let c = tables::column_arg(control, "control")?;
    let r = py.detach(|| -> Result<Welch> {
        let t = lt::numbers(&t, "treatment")?;
        let c = lt::numbers(&c, "control")?;
        Ok(lift::welch(&t, &c, confidence, alt)?)
    })?;
    Ok(welch_dict(py, &r)?)
}

/// A sample summary given as an `(n, mean, variance)` tuple.
fn summary(obj: &Bound<'_, PyAny>, name: &str) -> Result<SampleSummary> {
    let tuple = obj
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 3)
        .ok_or_else(|| Error::wrong_type_named(name, "an (n, mean, variance) tuple", obj))?;
    Ok(SampleSummary {
        n: number(&tuple.get_item(0)?, &format!("{name}.n"))?,
        mean: number(&tuple.get_item(1)?, &format!("{name}.mean"))?,
        variance: number(&tuple.get_item(2)?, &format!("{name}.variance"))?,
    })
}

/// Welch's t test from `(n, mean, variance)` summaries.
#[pyfunction]
#[pyo3(signature = (treatment, control, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(treatment, control, *, confidence=0.95, alternative='two-sided')")]
fn lift_welch_from_summary<'py>(
    py: Python<'py>,
    treatment: &Bound<'py, PyAny>,
    control: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let (t, c) = (
        summary(treatment, "treatment")?,
        summary(control, "control")?,
    );
    let r = lift::welch_from_summary(&t, &c, confidence, alt)?;
    Ok(welch_dict(py, &r)?)
}

/// The `y`, `x`, `treated` columns of CUPED and ANCOVA.
fn covariate_inputs(
    y: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    treated: &Bound<'_, PyAny>,
) -> Result<[Vec<arrow_array::ArrayRef>; 3]> {
    Ok([
        tables::column_arg(y, "y")?,
        tables::column_arg(x, "x")?,
        tables::column_arg(treated, "treated")?,
    ])
}

/// CUPED with a pre-period covariate.
#[pyfunction]
#[pyo3(signature = (y, x, treated, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(y, x, treated, *, confidence=0.95, alternative='two-sided')")]
fn lift_cuped<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    treated: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let [y, x, t] = covariate_inputs(y, x, treated)?;
    let r = py.detach(|| -> Result<Cuped> {
        let (y, x, t) = (
            lt::numbers(&y, "y")?,
            lt::numbers(&x, "x")?,
            lt::flags(&t, "treated")?,
        );
        Ok(lift::cuped(&y, &x, &t, confidence, alt)?)
    })?;
    Ok(cuped_dict(py, &r)?)
}

/// ANCOVA by OLS (`y ~ 1 + treated + x`).
#[pyfunction]
#[pyo3(signature = (y, x, treated, *, confidence = 0.95,
                    alternative = String::from("two-sided")),
       text_signature = "(y, x, treated, *, confidence=0.95, alternative='two-sided')")]
fn lift_ancova<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
    treated: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let [y, x, t] = covariate_inputs(y, x, treated)?;
    let r = py.detach(|| -> Result<Ancova> {
        let (y, x, t) = (
            lt::numbers(&y, "y")?,
            lt::numbers(&x, "x")?,
            lt::flags(&t, "treated")?,
        );
        Ok(lift::ancova(&y, &x, &t, confidence, alt)?)
    })?;
    Ok(ancova_dict(py, &r)?)
}

// ----------------------------------------------------------------------------------------
// Difference-in-differences.

fn did_config(confidence: f64, alt: &str, covariance: &str, reference: &str) -> Result<DidConfig> {
    Ok(DidConfig {
        confidence,
        alternative: alternative(alt)?,
        covariance: self::covariance(covariance)?,
        reference: self::reference(reference)?,
    })
}

/// The 2×2 difference-in-differences; `unit` may be a table holding every column (the others
/// None), with `columns` naming them.
#[pyfunction]
#[pyo3(signature = (unit, treated = None, post = None, y = None, *, columns = None,
                    confidence = 0.95, alternative = String::from("two-sided"),
                    covariance = String::from("cluster"), reference = String::from("t")),
       text_signature = "(unit, treated=None, post=None, y=None, *, columns=None, \
                         confidence=0.95, alternative='two-sided', covariance='cluster', \
                         reference='t')")]
#[allow(clippy::too_many_arguments)]
fn lift_did_2x2<'py>(
    py: Python<'py>,
    unit: &Bound<'py, PyAny>,
    treated: Option<&Bound<'py, PyAny>>,
    post: Option<&Bound<'py, PyAny>>,
    y: Option<&Bound<'py, PyAny>>,
    columns: Option<&Bound<'py, PyAny>>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    #[pyo3(from_py_with = arg_covariance)] covariance: String,
    #[pyo3(from_py_with = arg_reference)] reference: String,
) -> Result<Dict<'py>> {
    let config = did_config(confidence, &alternative, &covariance, &reference)?;
    let [u, t, p, y] = lt::inputs(
        unit,
        [treated, post, y],
        ["unit", "treated", "post", "y"],
        columns,
    )?;
    let r = py.detach(|| -> Result<Did2x2> {
        let (u, t, p, y) = (
            lt::unit_codes(&u, "unit")?,
            lt::flags(&t, "treated")?,
            lt::flags(&p, "post")?,
            lt::numbers(&y, "y")?,
        );
        Ok(lift::did::did_2x2(&u, &t, &p, &y, &config)?)
    })?;
    Ok(did_2x2_dict(py, &r)?)
}

/// Two-way fixed-effects difference-in-differences; `unit` may be a table as for
/// [`lift_did_2x2`].
#[pyfunction]
#[pyo3(signature = (unit, period = None, treated = None, y = None, *, columns = None,
                    confidence = 0.95, alternative = String::from("two-sided"),
                    covariance = String::from("cluster"), reference = String::from("t")),
       text_signature = "(unit, period=None, treated=None, y=None, *, columns=None, \
                         confidence=0.95, alternative='two-sided', covariance='cluster', \
                         reference='t')")]
#[allow(clippy::too_many_arguments)]
fn lift_did_panel<'py>(
    py: Python<'py>,
    unit: &Bound<'py, PyAny>,
    period: Option<&Bound<'py, PyAny>>,
    treated: Option<&Bound<'py, PyAny>>,
    y: Option<&Bound<'py, PyAny>>,
    columns: Option<&Bound<'py, PyAny>>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    #[pyo3(from_py_with = arg_covariance)] covariance: String,
    #[pyo3(from_py_with = arg_reference)] reference: String,
) -> Result<Dict<'py>> {
    let config = did_config(confidence, &alternative, &covariance, &reference)?;
    let [u, p, t, y] = lt::inputs(
        unit,
        [period, treated, y],
        ["unit", "period", "treated", "y"],
        columns,
    )?;
    let r = py.detach(|| -> Result<DidPanel> {
        let (u, p, t, y) = (
            lt::unit_codes(&u, "unit")?,
            lt::period_codes(&p, "period")?,
            lt::flags(&t, "treated")?,
            lt::numbers(&y, "y")?,
        );
        Ok(lift::did::did_panel(&u, &p, &t, &y, &config)?)
    })?;
    Ok(did_panel_dict(py, &r)?)
}

// ----------------------------------------------------------------------------------------
// Ratio metrics and cross-correlation.

/// Ratio metrics by the delta method with an optional seeded bootstrap.
#[pyfunction]
#[pyo3(signature = (treatment_numerator, treatment_denominator, control_numerator,
                    control_denominator, *, confidence = 0.95,
                    alternative = String::from("two-sided"), bootstrap = Some(2000),
                    seed = 20251124),
       text_signature = "(treatment_numerator, treatment_denominator, control_numerator, \
                         control_denominator, *, confidence=0.95, alternative='two-sided', \
                         bootstrap=2000, seed=20251124)")]
#[allow(clippy::too_many_arguments)]
fn lift_ratio_metric<'py>(
    py: Python<'py>,
    treatment_numerator: &Bound<'py, PyAny>,
    treatment_denominator: &Bound<'py, PyAny>,
    control_numerator: &Bound<'py, PyAny>,
    control_denominator: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    #[pyo3(from_py_with = arg_bootstrap)] bootstrap: Option<i64>,
    #[pyo3(from_py_with = arg_seed)] seed: u64,
) -> Result<Dict<'py>> {
    let alt = self::alternative(&alternative)?;
    let resamples = match bootstrap {
        Some(n) => Some(usize::try_from(n).map_err(|_| {
            invalid(
                "bootstrap",
                n.to_string(),
                "a number of resamples must be ≥ 0",
            )
        })?),
        None => None,
    };
    let config = RatioConfig {
        confidence,
        alternative: alt,
        bootstrap: resamples.map(|resamples| BootstrapConfig { resamples, seed }),
    };
    let cols = [
        tables::column_arg(treatment_numerator, "treatment_numerator")?,
        tables::column_arg(treatment_denominator, "treatment_denominator")?,
        tables::column_arg(control_numerator, "control_numerator")?,
        tables::column_arg(control_denominator, "control_denominator")?,
    ];
    let r = py.detach(|| -> Result<RatioMetric> {
        let tn = lt::numbers(&cols[0], "treatment_numerator")?;
        let td = lt::numbers(&cols[1], "treatment_denominator")?;
        let cn = lt::numbers(&cols[2], "control_numerator")?;
        let cd = lt::numbers(&cols[3], "control_denominator")?;
        Ok(lift::ratio::ratio_metric(
            RatioArm {
                numerator: &tn,
                denominator: &td,
            },
            RatioArm {
                numerator: &cn,
                denominator: &cd,
            },
            &config,
        )?)
    })?;
    Ok(ratio_dict(py, &r)?)
}

/// Cross-correlation of exposure and sales at lags `−max_lag ..= max_lag`.
#[pyfunction]
#[pyo3(signature = (exposure, sales, max_lag, *, confidence = 0.95),
       text_signature = "(exposure, sales, max_lag, *, confidence=0.95)")]
fn lift_ccf<'py>(
    py: Python<'py>,
    exposure: &Bound<'py, PyAny>,
    sales: &Bound<'py, PyAny>,
    max_lag: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
) -> Result<Dict<'py>> {
    let lag = integer(max_lag, "max_lag")?;
    let lag =
        usize::try_from(lag).map_err(|_| invalid("max_lag", lag.to_string(), "must be ≥ 0"))?;
    let e = tables::column_arg(exposure, "exposure")?;
    let s = tables::column_arg(sales, "sales")?;
    let r = py.detach(|| -> Result<Ccf> {
        let (e, s) = (lt::numbers(&e, "exposure")?, lt::numbers(&s, "sales")?);
        Ok(lift::ccf::ccf(&e, &s, lag, confidence)?)
    })?;
    Ok(ccf_dict(py, &r)?)
}

// ----------------------------------------------------------------------------------------
// From attribution data.

/// A period length in µs: a `timedelta`, an int number of µs, or text such as `7d`, `12h`,
/// `90m`, `45s`, `2w`.
fn period_us(obj: &Bound<'_, PyAny>) -> Result<i64> {
    let py = obj.py();
    let expected = "a datetime.timedelta, an int number of microseconds or a string such as \
                    '7d', '12h', '90m', '45s' or '2w'";
    if obj.is_instance_of::<PyBool>() {
        return Err(Error::wrong_type_named("period", expected, obj));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<i64>()
            .map_err(|_| invalid("period", repr(obj), "out of range"));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(lift::parse_period(&text(obj, "period")?)?);
    }
    let timedelta = py
        .import(intern!(py, "datetime"))?
        .getattr(intern!(py, "timedelta"))?;
    if obj.is_instance(&timedelta)? {
        let part = |name: &Bound<'_, PyString>| -> PyResult<i64> { obj.getattr(name)?.extract() };
        return Ok(part(intern!(py, "days"))? * 86_400_000_000
            + part(intern!(py, "seconds"))? * 1_000_000
            + part(intern!(py, "microseconds"))?);
    }
    Err(Error::wrong_type_named("period", expected, obj))
}

fn assume_zone(obj: Option<&Bound<'_, PyAny>>) -> Result<Option<Tz>> {
    match obj {
        Some(o) if !o.is_none() => Ok(Some(at::zone(&text(o, "assume_zone")?, "assume_zone")?)),
        _ => Ok(None),
    }
}

/// The calendar of a comparison.
fn panel_spec(
    campaign: &Bound<'_, PyAny>,
    pre_start: &Bound<'_, PyAny>,
    campaign_start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    period: &Bound<'_, PyAny>,
    zone: Option<&Tz>,
) -> Result<PanelSpec> {
    Ok(PanelSpec {
        campaign: text(campaign, "campaign")?,
        pre_start: instant(pre_start, "pre_start", zone)?,
        campaign_start: instant(campaign_start, "campaign_start", zone)?,
        end: instant(end, "end", zone)?,
        period: period_us(period)?,
    })
}

/// The exposure and transaction tables, converted as `ces.attribution.attribute` converts
/// them (with the interpreter detached).
fn attribution_tables(
    py: Python<'_>,
    exposures: &Bound<'_, PyAny>,
    transactions: &Bound<'_, PyAny>,
    key: &str,
    zone: Option<&Tz>,
) -> Result<(ExposureTable, TransactionTable)> {
    let exposures = Table::from_py(exposures, "exposures")?;
    let transactions = Table::from_py(transactions, "transactions")?;
    py.detach(|| -> Result<(ExposureTable, TransactionTable)> {
        let ex = at::exposures(&exposures, key, zone)?;
        let tx = at::transactions(&transactions, key, zone)?;
        let (ex, tx) = at::resolve(ex, tx);
        Ok((ExposureTable::new(ex)?, TransactionTable::new(tx)?))
    })
}

fn outcome(name: &str) -> Result<Outcome> {
    Outcome::parse(name).ok_or_else(|| {
        invalid(
            "outcome",
            format!("{name:?}"),
            "expected \"sales\", \"transactions\" or \"units\"",
        )
    })
}

/// A campaign's lift from attribution data (wrapped by `ces.lift.CampaignLift`): the core's
/// result, kept for its media-mix prior.
#[pyclass(frozen, module = "ces._ces", name = "CampaignLiftRun")]
pub(crate) struct PyCampaignLift(CampaignLift);

#[pymethods]
impl PyCampaignLift {
    /// The result as a dict (the core's `CampaignLift`, field for field; times in µs).
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Dict<'py>> {
        campaign_dict(py, &self.0)
    }

    /// The media-mix prior row as a dict (times in µs).
    fn mmm_prior<'py>(&self, py: Python<'py>) -> PyResult<Dict<'py>> {
        prior_dict(py, &self.0.mmm_prior())
    }

    fn __repr__(&self) -> String {
        format!(
            "CampaignLiftRun(campaign={:?}, effect={}, std_error={})",
            self.0.spec.campaign, self.0.did.effect.estimate, self.0.did.effect.std_error
        )
    }
}

/// A campaign's lift from exposures and transactions (`ces.lift.campaign_lift` documents
/// the arguments).
#[pyfunction]
#[pyo3(signature = (exposures, transactions, *, campaign, pre_start, campaign_start, end,
                    period, outcome = String::from("sales"), key = String::from("key"),
                    confidence = 0.95, alternative = String::from("two-sided"),
                    covariance = String::from("cluster"), reference = String::from("t"),
                    mde_relative = 0.05, target_power = 0.8, assume_zone = None),
       text_signature = "(exposures, transactions, *, campaign, pre_start, campaign_start, \
                         end, period, outcome='sales', key='key', confidence=0.95, \
                         alternative='two-sided', covariance='cluster', reference='t', \
                         mde_relative=0.05, target_power=0.8, assume_zone=None)")]
#[allow(clippy::too_many_arguments)]
fn lift_campaign(
    py: Python<'_>,
    exposures: &Bound<'_, PyAny>,
    transactions: &Bound<'_, PyAny>,
    campaign: &Bound<'_, PyAny>,
    pre_start: &Bound<'_, PyAny>,
    campaign_start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    period: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = arg_outcome)] outcome: String,
    #[pyo3(from_py_with = arg_key)] key: String,
    #[pyo3(from_py_with = arg_confidence)] confidence: f64,
    #[pyo3(from_py_with = arg_alternative)] alternative: String,
    #[pyo3(from_py_with = arg_covariance)] covariance: String,
    #[pyo3(from_py_with = arg_reference)] reference: String,
    #[pyo3(from_py_with = arg_mde_relative)] mde_relative: f64,
    #[pyo3(from_py_with = arg_target_power)] target_power: f64,
    assume_zone: Option<&Bound<'_, PyAny>>,
) -> Result<PyCampaignLift> {
    let zone = self::assume_zone(assume_zone)?;
    let spec = panel_spec(
        campaign,
        pre_start,
        campaign_start,
        end,
        period,
        zone.as_ref(),
    )?;
    let config = CampaignLiftConfig {
        outcome: self::outcome(&outcome)?,
        did: did_config(confidence, &alternative, &covariance, &reference)?,
        mde_relative,
        target_power,
    };
    let (ex, tx) = attribution_tables(py, exposures, transactions, &key, zone.as_ref())?;
    let r = py.detach(|| lift::campaign_lift(&ex, &tx, &spec, &config))?;
    Ok(PyCampaignLift(r))
}

/// The unit × period panel of a campaign as a `pyarrow.Table`.
#[pyfunction]
#[pyo3(signature = (exposures, transactions, *, campaign, pre_start, campaign_start, end,
                    period, outcome = String::from("sales"), key = String::from("key"),
                    assume_zone = None),
       text_signature = "(exposures, transactions, *, campaign, pre_start, campaign_start, \
                         end, period, outcome='sales', key='key', assume_zone=None)")]
#[allow(clippy::too_many_arguments)]
fn lift_store_panel(
    py: Python<'_>,
    exposures: &Bound<'_, PyAny>,
    transactions: &Bound<'_, PyAny>,
    campaign: &Bound<'_, PyAny>,
    pre_start: &Bound<'_, PyAny>,
    campaign_start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    period: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = arg_outcome)] outcome: String,
    #[pyo3(from_py_with = arg_key)] key: String,
    assume_zone: Option<&Bound<'_, PyAny>>,
) -> Result<Py<PyAny>> {
    let zone = self::assume_zone(assume_zone)?;
    let spec = panel_spec(
        campaign,
        pre_start,
        campaign_start,
        end,
        period,
        zone.as_ref(),
    )?;
    let outcome = self::outcome(&outcome)?;
    let (ex, tx) = attribution_tables(py, exposures, transactions, &key, zone.as_ref())?;
    let batch = py.detach(|| -> Result<_> {
        let panel: StorePanel = lift::store_panel(&ex, &tx, &spec, outcome)?;
        lt::panel_batch(&panel)
    })?;
    tables::to_pyarrow(py, batch)
}

/// The exposed and control arms of a conversion test over match keys.
#[pyfunction]
#[pyo3(signature = (exposures, transactions, *, campaign, pre_start, campaign_start, end,
                    period, key = String::from("key"), assume_zone = None),
       text_signature = "(exposures, transactions, *, campaign, pre_start, campaign_start, \
                         end, period, key='key', assume_zone=None)")]
#[allow(clippy::too_many_arguments)]
fn lift_conversion_groups<'py>(
    py: Python<'py>,
    exposures: &Bound<'py, PyAny>,
    transactions: &Bound<'py, PyAny>,
    campaign: &Bound<'py, PyAny>,
    pre_start: &Bound<'py, PyAny>,
    campaign_start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    period: &Bound<'py, PyAny>,
    #[pyo3(from_py_with = arg_key)] key: String,
    assume_zone: Option<&Bound<'py, PyAny>>,
) -> Result<(Dict<'py>, Dict<'py>)> {
    let zone = self::assume_zone(assume_zone)?;
    let spec = panel_spec(
        campaign,
        pre_start,
        campaign_start,
        end,
        period,
        zone.as_ref(),
    )?;
    let (ex, tx) = attribution_tables(py, exposures, transactions, &key, zone.as_ref())?;
    let (t, c) = py.detach(|| lift::conversion_groups(&ex, &tx, &spec))?;
    Ok((arm_dict(py, &t)?, arm_dict(py, &c)?))
}

/// The media-mix prior table of campaign lifts (one row each, in order).
#[pyfunction]
fn lift_mmm_priors(py: Python<'_>, lifts: &Bound<'_, PyAny>) -> Result<Py<PyAny>> {
    let expected = "a sequence of CampaignLift results";
    if tables::is_text(lifts) {
        return Err(Error::wrong_type_named("lifts", expected, lifts));
    }
    let mut priors = Vec::new();
    for (i, item) in lifts
        .try_iter()
        .map_err(|_| Error::wrong_type_named("lifts", expected, lifts))?
        .enumerate()
    {
        let item = item?;
        let run = item.cast::<PyCampaignLift>().map_err(|_| {
            Error::wrong_type_named(&format!("lifts[{i}]"), "a CampaignLift", &item)
        })?;
        priors.push(run.get().0.mmm_prior());
    }
    tables::to_pyarrow(py, lt::priors_batch(&priors)?)
}

// ----------------------------------------------------------------------------------------
// Experiment definitions.

/// Checks an experiment definition (the facade's `ExperimentDefinition.validate`).
#[pyfunction]
#[pyo3(signature = (*, key, name, test_type, metric, campaign, variants, confidence, mde,
                    mde_kind, alternative, start, end, assume_zone = None))]
#[allow(clippy::too_many_arguments)]
fn lift_validate_experiment(
    key: &Bound<'_, PyAny>,
    name: &Bound<'_, PyAny>,
    test_type: &Bound<'_, PyAny>,
    metric: &Bound<'_, PyAny>,
    campaign: &Bound<'_, PyAny>,
    variants: &Bound<'_, PyAny>,
    confidence: &Bound<'_, PyAny>,
    mde: &Bound<'_, PyAny>,
    mde_kind: &Bound<'_, PyAny>,
    alternative: &Bound<'_, PyAny>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    assume_zone: Option<&Bound<'_, PyAny>>,
) -> Result<()> {
    let zone = self::assume_zone(assume_zone)?;
    let tt = text(test_type, "test_type")?;
    let test_type = TestType::parse(&tt).ok_or_else(|| {
        invalid(
            "test_type",
            format!("{tt:?}"),
            "expected conversion, continuous, ratio, diff_in_diff or panel",
        )
    })?;
    let mk = text(mde_kind, "mde_kind")?;
    let mde_kind = MdeKind::parse(&mk).ok_or_else(|| {
        invalid(
            "mde_kind",
            format!("{mk:?}"),
            "expected \"relative\" or \"absolute\"",
        )
    })?;
    let expected = "a sequence of Variant";
    if tables::is_text(variants) {
        return Err(Error::wrong_type_named("variants", expected, variants));
    }
    let mut vs = Vec::new();
    for (i, item) in variants
        .try_iter()
        .map_err(|_| Error::wrong_type_named("variants", expected, variants))?
        .enumerate()
    {
        let item = item?;
        let field = format!("variants[{i}]");
        let tuple = item
            .cast::<PyTuple>()
            .ok()
            .filter(|t| t.len() == 3)
            .ok_or_else(|| {
                Error::wrong_type_named(&field, "a (name, is_control, traffic_weight) tuple", &item)
            })?;
        let is_control = tuple.get_item(1)?;
        vs.push(Variant {
            name: text(&tuple.get_item(0)?, &format!("{field}.name"))?,
            is_control: is_control
                .cast::<PyBool>()
                .map_err(|_| {
                    Error::wrong_type_named(&format!("{field}.is_control"), "a bool", &is_control)
                })?
                .is_true(),
            traffic_weight: number(&tuple.get_item(2)?, &format!("{field}.traffic_weight"))?,
        });
    }
    let optional_instant = |obj: &Bound<'_, PyAny>, field: &str| -> Result<Option<i64>> {
        if obj.is_none() {
            Ok(None)
        } else {
            instant(obj, field, zone.as_ref()).map(Some)
        }
    };
    let definition = ExperimentDefinition {
        key: text(key, "key")?,
        name: text(name, "name")?,
        test_type,
        metric: text(metric, "metric")?,
        campaign: if campaign.is_none() {
            None
        } else {
            Some(text(campaign, "campaign")?)
        },
        variants: vs,
        confidence: number(confidence, "confidence")?,
        mde: number(mde, "mde")?,
        mde_kind,
        alternative: self::alternative(&text(alternative, "alternative")?)?,
        start: optional_instant(start, "start")?,
        end: optional_instant(end, "end")?,
    };
    Ok(definition.validate()?)
}

/// Adds the lift functions and class to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCampaignLift>()?;
    m.add_function(wrap_pyfunction!(lift_conversion, m)?)?;
    m.add_function(wrap_pyfunction!(lift_conversion_batch, m)?)?;
    m.add_function(wrap_pyfunction!(lift_fisher_exact, m)?)?;
    m.add_function(wrap_pyfunction!(lift_power_proportions, m)?)?;
    m.add_function(wrap_pyfunction!(lift_mde_proportions, m)?)?;
    m.add_function(wrap_pyfunction!(lift_sample_size_proportions, m)?)?;
    m.add_function(wrap_pyfunction!(lift_power_means, m)?)?;
    m.add_function(wrap_pyfunction!(lift_mde_means, m)?)?;
    m.add_function(wrap_pyfunction!(lift_sample_size_means, m)?)?;
    m.add_function(wrap_pyfunction!(lift_power_from_se, m)?)?;
    m.add_function(wrap_pyfunction!(lift_welch, m)?)?;
    m.add_function(wrap_pyfunction!(lift_welch_from_summary, m)?)?;
    m.add_function(wrap_pyfunction!(lift_cuped, m)?)?;
    m.add_function(wrap_pyfunction!(lift_ancova, m)?)?;
    m.add_function(wrap_pyfunction!(lift_did_2x2, m)?)?;
    m.add_function(wrap_pyfunction!(lift_did_panel, m)?)?;
    m.add_function(wrap_pyfunction!(lift_ratio_metric, m)?)?;
    m.add_function(wrap_pyfunction!(lift_ccf, m)?)?;
    m.add_function(wrap_pyfunction!(lift_campaign, m)?)?;
    m.add_function(wrap_pyfunction!(lift_store_panel, m)?)?;
    m.add_function(wrap_pyfunction!(lift_conversion_groups, m)?)?;
    m.add_function(wrap_pyfunction!(lift_mmm_priors, m)?)?;
    m.add_function(wrap_pyfunction!(lift_validate_experiment, m)?)?;
    m.add(
        "LIFT_METHODS",
        PyTuple::new(m.py(), METHODS.iter().map(|m| m.as_str()))?,
    )?;
    Ok(())
}

fn instant(obj: &Bound<'_, PyAny>, field: &str, assume_zone: Option<&Tz>) -> Result<i64> {
    crate::attribution::instant_of(obj, field, assume_zone, "a datetime.datetime")
}
