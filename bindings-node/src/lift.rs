//! Lift (`ces::lift`) for JavaScript: conversion lift with every test and interval, Fisher's
//! exact test, power / minimum detectable effect / sample size, Welch's t test, CUPED and
//! ANCOVA, difference-in-differences (2×2 and two-way fixed effects), ratio metrics, the
//! cross-correlation of exposure and sales, lift from attribution data (store panels, campaign
//! lift, conversion groups, the media-mix prior table) and experiment definitions.
//!
//! This module only converts between JavaScript values and the core's types and maps errors:
//! every statistic, check and rule is the core's. Every function is synchronous (the
//! computations take microseconds to milliseconds).
//!
//! Inputs: a number that must be given is rejected with `missing_value` when it is `null`;
//! sample columns are `Float64Array`s or arrays of numbers (`null` in an array is
//! `missing_value`, another type `invalid_argument`, both naming the field and the row);
//! flags are arrays of booleans or `Uint8Array`s of 0/1; unit and period ids are numbers or
//! strings, mapped to codes by sorting their distinct values (so the result does not depend on
//! how the ids are spelled or ordered). Core errors name the JavaScript field
//! (`nTreatment`, `variants[1].trafficWeight`). Results carry every field of the core's
//! structs; methods and alternatives are the core's names (`'newcomb'`, `'two-sided'`), and
//! ±Infinity and NaN come back as JavaScript numbers.

use ces::CesError;
use ces::error::Row;
use ces::lift::ccf::Ccf;
use ces::lift::did::{ClusterReference, Covariance, Did2x2, DidConfig, DidPanel};
use ces::lift::ratio::{BootstrapConfig, RatioArm, RatioConfig, RatioEstimate, RatioMetric};
use ces::lift::{
    self as lib, Alternative, Ancova, Arm, CampaignLift, CampaignLiftConfig, ConversionConfig,
    ConversionLift, Cuped, Design, ExperimentDefinition, FisherExact, FisherMode, Inference,
    Interval, MdeKind, Method, MmmPrior, Outcome, PanelSpec, Reference, SampleSummary, TestType,
    Variant, Welch,
};
use napi::JsDate;
use napi::bindgen_prelude::{
    Array, BigInt, Either, Either4, Either5, Float64Array, Float64ArraySlice, Int32ArraySlice,
    Null, Uint8ArraySlice, Uint32ArraySlice, Unknown,
};
use napi_derive::napi;

use crate::attribution::{JsCell, JsTable, JsTables, instant};
use crate::error::{self, invalid, to_js};
use crate::{MAX_SAFE_INTEGER, is_safe_integer, show};

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

fn missing(row: Option<usize>, field: &str) -> CesError {
    CesError::MissingValue {
        row: Row(row.map(|r| r as u64)),
        field: field.to_owned(),
    }
}

/// A core field name as JavaScript spells it: `n_treatment` → `nTreatment`,
/// `variants[0].traffic_weight` → `variants[0].trafficWeight`.
fn camel(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The core's error with its fields renamed to the JavaScript names (`renames` first, then
/// camelCase).
fn rename(err: CesError, renames: &[(&str, &str)]) -> CesError {
    let name = |f: String| match renames.iter().find(|(from, _)| *from == f) {
        Some((_, to)) => (*to).to_owned(),
        None => camel(&f),
    };
    match err {
        CesError::InvalidArgument {
            row,
            field,
            value,
            reason,
        } => CesError::InvalidArgument {
            row,
            field: name(field),
            value,
            reason,
        },
        CesError::MissingValue { row, field } => CesError::MissingValue {
            row,
            field: name(field),
        },
        CesError::LengthMismatch {
            left_field,
            left_len,
            right_field,
            right_len,
        } => CesError::LengthMismatch {
            left_field: name(left_field),
            left_len,
            right_field: name(right_field),
            right_len,
        },
        other => other,
    }
}

/// A core error from a lift computation, thrown with JavaScript field names.
fn fail(err: CesError) -> napi::Error<&'static str> {
    to_js(rename(err, &[]))
}

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/// A number that must be given: `null` is `missing_value` (a missing property or a value of
/// another type is a Node-API error naming it).
type Num = Either<f64, Null>;

fn req(value: &Num, field: &str) -> ces::Result<f64> {
    match value {
        Either::A(x) => Ok(*x),
        Either::B(_) => Err(missing(None, field)),
    }
}

/// A whole number >= 0 that is a safe integer.
fn whole(value: f64, field: &str) -> ces::Result<u64> {
    if is_safe_integer(value) && value >= 0.0 {
        Ok(value as u64)
    } else {
        Err(invalid(
            None,
            field,
            show(value),
            "must be a whole number >= 0 (a safe integer)",
        ))
    }
}

/// `typeof` of a JavaScript value, for messages.
fn type_of(value: &Unknown<'_>) -> String {
    match value.get_type() {
        Ok(t) => format!("a value of type {}", t.to_string().to_lowercase()),
        Err(_) => "a value of another type".to_owned(),
    }
}

/// A sample column as JavaScript gives it.
type JsNumbers<'a> = Either<Float64ArraySlice<'a>, Array<'a>>;

/// The numbers of a column: a `Float64Array` as it is (NaN included: the core rejects it
/// with its row), an array element by element.
fn numbers(value: &JsNumbers<'_>, field: &str) -> error::Result<Vec<f64>> {
    match value {
        Either::A(typed) => Ok(typed.to_vec()),
        Either::B(array) => (0..array.len())
            .map(|i| {
                let row = Some(i as usize);
                match array.get::<Option<Either<f64, Unknown<'_>>>>(i) {
                    Ok(Some(Some(Either::A(x)))) => Ok(x),
                    Ok(Some(None) | None) => Err(to_js(missing(row, field))),
                    Ok(Some(Some(Either::B(other)))) => Err(to_js(invalid(
                        row,
                        field,
                        type_of(&other),
                        "expected a number",
                    ))),
                    Err(e) => Err(error::napi_to_js(e, &format!("{field}[{i}]"))),
                }
            })
            .collect(),
    }
}

/// A flag column as JavaScript gives it.
type JsFlags<'a> = Either<Uint8ArraySlice<'a>, Array<'a>>;

fn flags(value: &JsFlags<'_>, field: &str) -> error::Result<Vec<bool>> {
    match value {
        Either::A(typed) => typed
            .iter()
            .enumerate()
            .map(|(i, &v)| match v {
                0 => Ok(false),
                1 => Ok(true),
                v => Err(to_js(invalid(
                    Some(i),
                    field,
                    v.to_string(),
                    "a Uint8Array of flags holds 0 or 1",
                ))),
            })
            .collect(),
        Either::B(array) => (0..array.len())
            .map(|i| {
                let row = Some(i as usize);
                match array.get::<Option<Either<bool, Unknown<'_>>>>(i) {
                    Ok(Some(Some(Either::A(b)))) => Ok(b),
                    Ok(Some(None) | None) => Err(to_js(missing(row, field))),
                    Ok(Some(Some(Either::B(other)))) => Err(to_js(invalid(
                        row,
                        field,
                        type_of(&other),
                        "expected a boolean",
                    ))),
                    Err(e) => Err(error::napi_to_js(e, &format!("{field}[{i}]"))),
                }
            })
            .collect(),
    }
}

/// An id column (units, periods) as JavaScript gives it.
type JsIds<'a> =
    Either4<Float64ArraySlice<'a>, Int32ArraySlice<'a>, Uint32ArraySlice<'a>, Array<'a>>;

/// The codes of an id column: the rank of each value among the distinct values, sorted
/// (numbers numerically, strings by code point). Numbers must be finite; one kind per column.
fn id_codes(value: &JsIds<'_>, field: &str) -> error::Result<Vec<u64>> {
    use ces::lift::rank_codes as rank;
    let finite = |values: Vec<f64>| -> error::Result<Vec<u64>> {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(to_js(invalid(
                Some(i),
                field,
                show(values[i]),
                "an id must be a finite number or a string",
            )));
        }
        // Total order on finite numbers, with -0 the same id as 0.
        let keys: Vec<i64> = values
            .iter()
            .map(|&v| {
                let bits = (v + 0.0).to_bits() as i64;
                bits ^ (((bits >> 63) as u64) >> 1) as i64
            })
            .collect();
        Ok(rank(&keys))
    };
    match value {
        Either4::A(v) => finite(v.to_vec()),
        Either4::B(v) => Ok(rank(v)),
        Either4::C(v) => Ok(rank(v)),
        Either4::D(array) => {
            let mut nums: Vec<f64> = Vec::new();
            let mut texts: Vec<String> = Vec::new();
            for i in 0..array.len() {
                let row = Some(i as usize);
                match array.get::<Option<JsId<'_>>>(i) {
                    Ok(Some(Some(Either::A(x)))) if texts.is_empty() => nums.push(x),
                    Ok(Some(Some(Either::B(Either::A(s))))) if nums.is_empty() => texts.push(s),
                    Ok(Some(Some(Either::A(x)))) => {
                        return Err(to_js(invalid(
                            row,
                            field,
                            show(x),
                            "a column mixes strings and numbers; use one kind",
                        )));
                    }
                    Ok(Some(Some(Either::B(Either::A(s))))) => {
                        return Err(to_js(invalid(
                            row,
                            field,
                            format!("{s:?}"),
                            "a column mixes strings and numbers; use one kind",
                        )));
                    }
                    Ok(Some(None) | None) => return Err(to_js(missing(row, field))),
                    Ok(Some(Some(Either::B(Either::B(other))))) => {
                        return Err(to_js(invalid(
                            row,
                            field,
                            type_of(&other),
                            "an id must be a number or a string",
                        )));
                    }
                    Err(e) => return Err(error::napi_to_js(e, &format!("{field}[{i}]"))),
                }
            }
            if texts.is_empty() {
                finite(nums)
            } else {
                Ok(rank(&texts))
            }
        }
    }
}

/// One id cell: a number, a string, or anything else (an error).
type JsId<'a> = Either<f64, Either<String, Unknown<'a>>>;

fn alternative(name: Option<&str>) -> ces::Result<Alternative> {
    match name {
        None => Ok(Alternative::TwoSided),
        Some(s) => Alternative::parse(s).ok_or_else(|| {
            invalid(
                None,
                "alternative",
                format!("{s:?}"),
                "expected 'two-sided', 'larger' or 'smaller'",
            )
        }),
    }
}

fn normalized(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// Interval coverage and alternative, shared by most functions.
#[napi(object, object_to_js = false)]
pub struct LiftTestOptions {
    /// Interval coverage, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative hypothesis (SciPy's `'greater'`/`'less'` are accepted too). Default
    /// `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
}

fn test_options(o: Option<&LiftTestOptions>) -> ces::Result<(f64, Alternative)> {
    Ok((
        o.and_then(|o| o.confidence).unwrap_or(0.95),
        alternative(o.and_then(|o| o.alternative.as_deref()))?,
    ))
}

// ---------------------------------------------------------------------------------------
// Results shared by every method
// ---------------------------------------------------------------------------------------

/// A confidence interval with the method that produced it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftInterval {
    /// How it was computed.
    #[napi(
        ts_type = "'wald' | 'agresti_caffo' | 'newcomb' | 'score' | 'log' | 'log_adjusted' | 'welch_t' | 'z' | 'cuped' | 'ancova_ols' | 'ancova_hc1' | 'ols' | 'ols_cluster' | 'delta_method' | 'bootstrap'"
    )]
    pub method: String,
    /// Lower bound (may be -Infinity, or 0 for a ratio whose variance is infinite).
    pub low: f64,
    /// Upper bound (may be Infinity).
    pub high: f64,
    /// Nominal coverage, e.g. 0.95.
    pub confidence: f64,
}

impl From<&Interval> for LiftInterval {
    fn from(i: &Interval) -> Self {
        LiftInterval {
            method: i.method.as_str().to_owned(),
            low: i.low,
            high: i.high,
            confidence: i.confidence,
        }
    }
}

fn pair(low: f64, high: f64) -> Vec<f64> {
    vec![low, high]
}

/// A hypothesis test.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftTest {
    /// The method.
    #[napi(ts_type = "'pooled_z' | 'wald_z' | 'score_z' | 'fisher_exact'")]
    pub method: String,
    /// The statistic (z, or the odds ratio for Fisher's test).
    pub statistic: f64,
    /// The p-value under `alternative`.
    pub p_value: f64,
    /// The alternative.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: String,
}

impl From<&lib::Test> for LiftTest {
    fn from(t: &lib::Test) -> Self {
        LiftTest {
            method: t.method.as_str().to_owned(),
            statistic: t.statistic,
            p_value: t.p_value,
            alternative: t.alternative.as_str().to_owned(),
        }
    }
}

/// An estimate with its standard error, test and interval.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftInference {
    /// The point estimate (a difference, a coefficient …).
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// `estimate / stdError`.
    pub statistic: f64,
    /// The p-value under `alternative`.
    pub p_value: f64,
    /// The reference distribution of the statistic.
    #[napi(ts_type = "'normal' | 'student_t'")]
    pub reference: String,
    /// Its degrees of freedom (Infinity for the normal).
    pub df: f64,
    /// The alternative the p-value and the interval are for.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: String,
    /// The interval (half-infinite for a one-sided alternative).
    pub interval: LiftInterval,
    /// `pValue < 1 - confidence`.
    pub significant: bool,
}

impl From<&Inference> for LiftInference {
    fn from(i: &Inference) -> Self {
        let (reference, df) = match i.reference {
            Reference::Normal => ("normal", f64::INFINITY),
            Reference::StudentT(df) => ("student_t", df),
        };
        LiftInference {
            estimate: i.estimate,
            std_error: i.std_error,
            statistic: i.statistic,
            p_value: i.p_value,
            reference: reference.to_owned(),
            df,
            alternative: i.alternative.as_str().to_owned(),
            interval: LiftInterval::from(&i.interval),
            significant: i.significant(),
        }
    }
}

fn count(n: usize) -> f64 {
    n as f64
}

// ---------------------------------------------------------------------------------------
// Conversion lift
// ---------------------------------------------------------------------------------------

/// One arm of a conversion test.
#[napi(object, object_to_js = false)]
pub struct LiftArmInput {
    /// Users (or units) in the arm: a whole number > 0.
    #[napi(ts_type = "number")]
    pub users: Num,
    /// Users who converted: a whole number in [0, users].
    #[napi(ts_type = "number")]
    pub conversions: Num,
    /// Revenue of the arm (finite, >= 0); gives incremental revenue and iROAS.
    #[napi(ts_type = "number | null")]
    pub revenue: Option<f64>,
}

fn arm(a: &LiftArmInput, name: &str) -> ces::Result<Arm> {
    Ok(Arm {
        users: req(&a.users, &format!("{name}.users"))?,
        conversions: req(&a.conversions, &format!("{name}.conversions"))?,
        revenue: a.revenue,
    })
}

/// One arm as the result gives it back.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftArm {
    /// Users.
    pub users: f64,
    /// Conversions.
    pub conversions: f64,
    /// Revenue, when given.
    pub revenue: Option<f64>,
}

impl From<&Arm> for LiftArm {
    fn from(a: &Arm) -> Self {
        LiftArm {
            users: a.users,
            conversions: a.conversions,
            revenue: a.revenue,
        }
    }
}

/// Settings of `conversionLift`; every one is optional.
#[napi(object, object_to_js = false)]
pub struct LiftConversionOptions {
    /// Coverage of every interval, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
    /// Alternative of the tests (the intervals are two-sided). Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
    /// Media spend behind the treatment (gives iROAS and the cost per incremental
    /// conversion).
    #[napi(ts_type = "number | null")]
    pub spend: Option<f64>,
    /// The interval reported as `differenceInterval`. Default `'newcomb'`.
    #[napi(ts_type = "'wald' | 'agresti_caffo' | 'newcomb' | 'score'")]
    pub difference_method: Option<String>,
    /// The ratio interval behind `relativeLiftInterval`. Default `'log_adjusted'`.
    #[napi(ts_type = "'log' | 'log_adjusted' | 'score'")]
    pub ratio_method: Option<String>,
    /// When to run Fisher's exact test: `'auto'` (default: some expected cell count below
    /// 5; it is then the primary test), `'always'` or `'never'`.
    #[napi(ts_type = "'auto' | 'always' | 'never'")]
    pub fisher: Option<String>,
}

fn conversion_config(o: Option<&LiftConversionOptions>) -> ces::Result<ConversionConfig> {
    let mut c = ConversionConfig::default();
    let Some(o) = o else { return Ok(c) };
    if let Some(x) = o.confidence {
        c.confidence = x;
    }
    c.alternative = alternative(o.alternative.as_deref())?;
    c.spend = o.spend;
    if let Some(m) = &o.difference_method {
        c.difference_method = match normalized(m).as_str() {
            "wald" => Method::Wald,
            "agresti_caffo" => Method::AgrestiCaffo,
            "newcomb" => Method::Newcomb,
            "score" => Method::Score,
            _ => {
                return Err(invalid(
                    None,
                    "differenceMethod",
                    format!("{m:?}"),
                    "expected 'wald', 'agresti_caffo', 'newcomb' or 'score'",
                ));
            }
        };
    }
    if let Some(m) = &o.ratio_method {
        c.ratio_method = match normalized(m).as_str() {
            "log" => Method::Log,
            "log_adjusted" => Method::LogAdjusted,
            "score" => Method::Score,
            _ => {
                return Err(invalid(
                    None,
                    "ratioMethod",
                    format!("{m:?}"),
                    "expected 'log', 'log_adjusted' or 'score'",
                ));
            }
        };
    }
    if let Some(f) = &o.fisher {
        c.fisher = match normalized(f).as_str() {
            "auto" => FisherMode::Auto,
            "always" => FisherMode::Always,
            "never" => FisherMode::Never,
            _ => {
                return Err(invalid(
                    None,
                    "fisher",
                    format!("{f:?}"),
                    "expected 'auto', 'always' or 'never'",
                ));
            }
        };
    }
    Ok(c)
}

/// Fisher's exact test on a 2×2 table.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftFisher {
    /// The sample odds ratio `(a·d) / (b·c)` (SciPy's; Infinity or NaN at zero cells).
    pub odds_ratio: f64,
    /// The p-value under `alternative`.
    pub p_value: f64,
    /// The alternative.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: String,
}

impl From<&FisherExact> for LiftFisher {
    fn from(f: &FisherExact) -> Self {
        LiftFisher {
            odds_ratio: f.odds_ratio,
            p_value: f.p_value,
            alternative: f.alternative.as_str().to_owned(),
        }
    }
}

/// The result of `conversionLift`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftConversion {
    /// The treatment (exposed) arm as given.
    pub treatment: LiftArm,
    /// The control arm as given.
    pub control: LiftArm,
    /// Treatment conversion rate `p_t`.
    pub treatment_rate: f64,
    /// Control conversion rate `p_c`.
    pub control_rate: f64,
    /// `p_t - p_c`.
    pub absolute_lift: f64,
    /// `p_t / p_c - 1` (Infinity when only the control rate is 0, NaN when both are).
    pub relative_lift: f64,
    /// `x_t - x_c·n_t/n_c`: conversions beyond what the control rate predicts.
    pub incremental_conversions: f64,
    /// `R_t - R_c·n_t/n_c`, when both revenues are given.
    pub incremental_revenue: Option<f64>,
    /// Spend, as configured.
    pub spend: Option<f64>,
    /// Incremental revenue / spend.
    pub iroas: Option<f64>,
    /// Spend / incremental conversions.
    pub cost_per_incremental_conversion: Option<f64>,
    /// Pooled two-proportion z test (statsmodels `proportions_ztest`).
    pub pooled_z: LiftTest,
    /// Unpooled (Wald) z test.
    pub wald_z: LiftTest,
    /// Miettinen–Nurminen score test.
    pub score_z: LiftTest,
    /// Fisher's exact test, when it ran.
    pub fisher: Option<LiftFisher>,
    /// The primary test: Fisher's when it ran, else the pooled z test.
    pub test: LiftTest,
    /// Is the primary test significant at `1 - confidence`?
    pub significant: bool,
    /// The configured interval of the difference.
    pub difference_interval: LiftInterval,
    /// The configured ratio interval minus 1: the interval of the relative lift.
    pub relative_lift_interval: LiftInterval,
    /// Every interval of the difference: Wald, Agresti–Caffo, Newcomb, score.
    pub difference_intervals: Vec<LiftInterval>,
    /// Every interval of the ratio `p_t / p_c`: log, log-adjusted, score.
    pub ratio_intervals: Vec<LiftInterval>,
    /// Coverage of the intervals.
    pub confidence: f64,
}

impl From<&ConversionLift> for LiftConversion {
    fn from(r: &ConversionLift) -> Self {
        LiftConversion {
            treatment: LiftArm::from(&r.treatment),
            control: LiftArm::from(&r.control),
            treatment_rate: r.treatment_rate,
            control_rate: r.control_rate,
            absolute_lift: r.absolute_lift,
            relative_lift: r.relative_lift,
            incremental_conversions: r.incremental_conversions,
            incremental_revenue: r.incremental_revenue,
            spend: r.spend,
            iroas: r.iroas,
            cost_per_incremental_conversion: r.cost_per_incremental_conversion,
            pooled_z: LiftTest::from(&r.pooled_z),
            wald_z: LiftTest::from(&r.wald_z),
            score_z: LiftTest::from(&r.score_z),
            fisher: r.fisher.as_ref().map(LiftFisher::from),
            test: LiftTest::from(&r.test),
            significant: r.significant,
            difference_interval: LiftInterval::from(&r.difference_interval),
            relative_lift_interval: LiftInterval::from(&r.relative_lift_interval),
            difference_intervals: r
                .difference_intervals
                .iter()
                .map(LiftInterval::from)
                .collect(),
            ratio_intervals: r.ratio_intervals.iter().map(LiftInterval::from).collect(),
            confidence: r.confidence,
        }
    }
}

/// Two-group conversion lift (treatment = exposed, control): rates, absolute and relative
/// lift, incremental conversions and revenue, iROAS; pooled, Wald and score z tests; Wald,
/// Agresti–Caffo, Newcomb and score intervals of the difference; log, log-adjusted and score
/// intervals of the ratio; Fisher's exact test for small counts. Matches statsmodels and
/// SciPy.
///
/// ```js
/// const r = conversionLift({ users: 10000, conversions: 560, revenue: 28000 },
///                          { users: 10000, conversions: 500, revenue: 25000 }, { spend: 1500 })
/// r.absoluteLift            // 0.006
/// r.iroas                   // 2
/// r.differenceInterval      // { method: 'newcomb', low: …, high: …, confidence: 0.95 }
/// ```
///
/// Throws `invalid_argument` (naming `treatment.users`, `control.conversions`, `confidence`,
/// …) for users that are not a whole number > 0, conversions outside [0, users], a negative
/// or NaN revenue or spend, a confidence outside (0, 1) or an unknown method name;
/// `missing_value` for a null count.
#[napi(catch_unwind)]
pub fn conversion_lift(
    treatment: LiftArmInput,
    control: LiftArmInput,
    options: Option<LiftConversionOptions>,
) -> error::Result<LiftConversion> {
    let config = conversion_config(options.as_ref()).map_err(to_js)?;
    let t = arm(&treatment, "treatment").map_err(to_js)?;
    let c = arm(&control, "control").map_err(to_js)?;
    let r = lib::conversion_lift(&t, &c, &config).map_err(fail)?;
    Ok(LiftConversion::from(&r))
}

/// One pair of a batch.
#[napi(object, object_to_js = false)]
pub struct LiftArmPair {
    /// The treatment arm.
    pub treatment: LiftArmInput,
    /// The control arm.
    pub control: LiftArmInput,
}

/// Why one entry of a batch failed: the error `conversionLift` would have thrown.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftError {
    /// The core's code (`invalid_argument`, `missing_value`, …).
    pub code: String,
    /// The core's message.
    pub message: String,
    /// The field, when the error names one (`treatment.users`).
    pub field: Option<String>,
    /// The entry's index in the batch.
    pub row: Option<f64>,
}

/// A failed entry of a batch.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftBatchFailure {
    /// What went wrong.
    pub error: LiftError,
}

fn batch_failure(err: CesError, row: usize) -> LiftBatchFailure {
    let err = rename(err, &[]);
    let field = match &err {
        CesError::InvalidArgument { field, .. } | CesError::MissingValue { field, .. } => {
            Some(field.clone())
        }
        CesError::LengthMismatch { left_field, .. } => Some(left_field.clone()),
        _ => None,
    };
    LiftBatchFailure {
        error: LiftError {
            code: err.code().to_owned(),
            message: err.to_string(),
            field,
            row: Some(row as f64),
        },
    }
}

/// `conversionLift` over many (treatment, control) pairs with one set of options, in
/// parallel. Entry `i` is pair `i`'s result, or `{ error: { code, message, field, row } }`
/// when that pair is invalid: no pair is dropped and one bad pair does not fail the others.
///
/// Throws `invalid_argument` only for option names that do not parse (`alternative`,
/// `differenceMethod`, `ratioMethod`, `fisher`); a bad `confidence` or `spend` fails every
/// entry.
#[napi(catch_unwind)]
pub fn conversion_lift_batch(
    pairs: Vec<LiftArmPair>,
    options: Option<LiftConversionOptions>,
) -> error::Result<Vec<Either<LiftConversion, LiftBatchFailure>>> {
    let config = conversion_config(options.as_ref()).map_err(to_js)?;
    let mut out: Vec<Option<Either<LiftConversion, LiftBatchFailure>>> =
        Vec::with_capacity(pairs.len());
    let mut valid = Vec::with_capacity(pairs.len());
    let mut at = Vec::with_capacity(pairs.len());
    for (i, p) in pairs.iter().enumerate() {
        match (arm(&p.treatment, "treatment"), arm(&p.control, "control")) {
            (Ok(t), Ok(c)) => {
                valid.push((t, c));
                at.push(i);
                out.push(None);
            }
            (Err(e), _) | (_, Err(e)) => out.push(Some(Either::B(batch_failure(e, i)))),
        }
    }
    for (r, i) in lib::conversion_lift_batch(&valid, &config)
        .into_iter()
        .zip(at)
    {
        out[i] = Some(match r {
            Ok(r) => Either::A(LiftConversion::from(&r)),
            Err(e) => Either::B(batch_failure(e, i)),
        });
    }
    Ok(out.into_iter().flatten().collect())
}

/// Fisher's exact test (SciPy `fisher_exact`) on `[[a, b], [c, d]]`: rows are the groups
/// (treatment, control), columns (converted, not converted). `alternative` defaults to
/// `'two-sided'` (`'greater'`/`'less'` are accepted as `'larger'`/`'smaller'`).
///
/// Throws `invalid_argument` for a table that is not 2×2 or a cell that is not a whole number
/// >= 0 (naming `table[i][j]`), `missing_value` for a null cell.
#[napi(
    catch_unwind,
    ts_args_type = "table: [[number, number], [number, number]], alternative?: 'two-sided' | 'larger' | 'smaller'"
)]
pub fn fisher_exact(
    table: Vec<Vec<Num>>,
    alternative: Option<String>,
) -> error::Result<LiftFisher> {
    let alt = self::alternative(alternative.as_deref()).map_err(to_js)?;
    if table.len() != 2 || table.iter().any(|r| r.len() != 2) {
        return Err(to_js(invalid(
            None,
            "table",
            format!("{} rows", table.len()),
            "expected a 2×2 table [[a, b], [c, d]]",
        )));
    }
    let mut cells = [[0u64; 2]; 2];
    for (i, row) in table.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let field = format!("table[{i}][{j}]");
            cells[i][j] = req(v, &field)
                .and_then(|x| whole(x, &field))
                .map_err(to_js)?;
        }
    }
    let f = lib::fisher_exact(cells, alt).map_err(fail)?;
    Ok(LiftFisher::from(&f))
}

// ---------------------------------------------------------------------------------------
// Power, minimum detectable effect, sample size
// ---------------------------------------------------------------------------------------

/// Confidence and alternative of a planned test.
#[napi(object, object_to_js = false)]
pub struct LiftDesignOptions {
    /// `1 - α`, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
}

/// Settings of the minimum detectable effect.
#[napi(object, object_to_js = false)]
pub struct LiftMdeOptions {
    /// Target power. Default 0.8.
    pub power: Option<f64>,
    /// `1 - α`. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative (`'smaller'` gives a negative effect). Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
}

/// Settings of the sample size.
#[napi(object, object_to_js = false)]
pub struct LiftSampleSizeOptions {
    /// Control units per treatment unit. Default 1.
    pub ratio: Option<f64>,
    /// Target power. Default 0.8.
    pub power: Option<f64>,
    /// `1 - α`. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
}

fn design(confidence: Option<f64>, alt: Option<&str>) -> ces::Result<Design> {
    Ok(Design {
        confidence: confidence.unwrap_or(0.95),
        alternative: alternative(alt)?,
    })
}

/// A power calculation.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftPower {
    /// The probability of rejecting the null when the effect is `effect`.
    pub power: f64,
    /// The effect assumed (absolute).
    pub effect: f64,
    /// Standard deviation of the statistic under the null, per √(treatment unit).
    pub std_null: f64,
    /// Standard deviation under the alternative, per √(treatment unit).
    pub std_alternative: f64,
    /// Treatment units (NaN for `powerFromSe`).
    pub n_treatment: f64,
    /// Control units (NaN for `powerFromSe`).
    pub n_control: f64,
    /// Significance level `1 - confidence`.
    pub alpha: f64,
    /// The alternative.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: String,
    /// Always `'normal_power'` (statsmodels `normal_power_het`).
    #[napi(ts_type = "'normal_power'")]
    pub method: String,
}

impl From<&lib::Power> for LiftPower {
    fn from(p: &lib::Power) -> Self {
        LiftPower {
            power: p.power,
            effect: p.effect,
            std_null: p.std_null,
            std_alternative: p.std_alternative,
            n_treatment: p.n_treatment,
            n_control: p.n_control,
            alpha: p.alpha,
            alternative: p.alternative.as_str().to_owned(),
            method: p.method.as_str().to_owned(),
        }
    }
}

/// A minimum detectable effect.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftMde {
    /// The smallest absolute effect detected with the target power (negative for
    /// `'smaller'`).
    pub absolute: f64,
    /// `absolute / baseline`.
    pub relative: f64,
    /// The power at that effect (the target, to root-finding precision).
    pub power: f64,
}

impl From<&lib::Mde> for LiftMde {
    fn from(m: &lib::Mde) -> Self {
        LiftMde {
            absolute: m.absolute,
            relative: m.relative,
            power: m.power,
        }
    }
}

/// A sample size.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftSampleSize {
    /// The exact (real) treatment size at which the power equals the target.
    pub n_treatment_exact: f64,
    /// Treatment units to recruit: the exact size rounded up.
    pub n_treatment: f64,
    /// Control units to recruit: `ceil(ratio · nTreatmentExact)`.
    pub n_control: f64,
    /// Both arms.
    pub total: f64,
    /// The power reached with the rounded sizes (>= the target).
    pub power: f64,
}

impl From<&lib::SampleSize> for LiftSampleSize {
    fn from(s: &lib::SampleSize) -> Self {
        LiftSampleSize {
            n_treatment_exact: s.n_treatment_exact,
            n_treatment: s.n_treatment as f64,
            n_control: s.n_control as f64,
            total: s.total as f64,
            power: s.power,
        }
    }
}

/// Power of the two-proportion z test (statsmodels `power_proportions_2indep`, exact
/// two-variance normal power): control rate `baseline`, treatment rate `baseline + effect`,
/// `nTreatment` and `nControl` units.
///
/// Throws `invalid_argument` for a baseline or treatment rate outside (0, 1), a group size
/// that is not finite > 0 or a confidence outside (0, 1).
#[napi(catch_unwind)]
pub fn power_proportions(
    #[napi(ts_arg_type = "number")] baseline: Num,
    #[napi(ts_arg_type = "number")] effect: Num,
    #[napi(ts_arg_type = "number")] n_treatment: Num,
    #[napi(ts_arg_type = "number")] n_control: Num,
    options: Option<LiftDesignOptions>,
) -> error::Result<LiftPower> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let p = lib::power_proportions(
        req(&baseline, "baseline").map_err(to_js)?,
        req(&effect, "effect").map_err(to_js)?,
        req(&n_treatment, "nTreatment").map_err(to_js)?,
        req(&n_control, "nControl").map_err(to_js)?,
        &d,
    )
    .map_err(fail)?;
    Ok(LiftPower::from(&p))
}

/// Minimum detectable effect for proportions: the smallest `|p_t - p_c|` detected with
/// probability `options.power` (default 0.8), found by bracketed root finding on the exact
/// power.
///
/// Throws `invalid_argument` for bad inputs, or (naming `power`) when even the largest
/// possible effect does not reach the target power with these sizes.
#[napi(catch_unwind)]
pub fn mde_proportions(
    #[napi(ts_arg_type = "number")] baseline: Num,
    #[napi(ts_arg_type = "number")] n_treatment: Num,
    #[napi(ts_arg_type = "number")] n_control: Num,
    options: Option<LiftMdeOptions>,
) -> error::Result<LiftMde> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let m = lib::mde_proportions(
        req(&baseline, "baseline").map_err(to_js)?,
        req(&n_treatment, "nTreatment").map_err(to_js)?,
        req(&n_control, "nControl").map_err(to_js)?,
        o.and_then(|o| o.power).unwrap_or(0.8),
        &d,
    )
    .map_err(fail)?;
    Ok(LiftMde::from(&m))
}

/// Sample size for proportions: treatment units (and `options.ratio` × as many control
/// units, default 1) at which the test of `baseline` vs `baseline + effect` has the target
/// power (default 0.8).
///
/// Throws `invalid_argument` for a zero effect, rates outside (0, 1), an effect pointing away
/// from a one-sided alternative, or a bad ratio, power or confidence.
#[napi(catch_unwind)]
pub fn sample_size_proportions(
    #[napi(ts_arg_type = "number")] baseline: Num,
    #[napi(ts_arg_type = "number")] effect: Num,
    options: Option<LiftSampleSizeOptions>,
) -> error::Result<LiftSampleSize> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let s = lib::sample_size_proportions(
        req(&baseline, "baseline").map_err(to_js)?,
        req(&effect, "effect").map_err(to_js)?,
        o.and_then(|o| o.ratio).unwrap_or(1.0),
        o.and_then(|o| o.power).unwrap_or(0.8),
        &d,
    )
    .map_err(fail)?;
    Ok(LiftSampleSize::from(&s))
}

/// Power of the two-sample z test of means with unequal standard deviations.
///
/// Throws `invalid_argument` for a non-finite effect, a standard deviation or group size
/// that is not finite > 0, or a confidence outside (0, 1).
#[napi(catch_unwind)]
pub fn power_means(
    #[napi(ts_arg_type = "number")] effect: Num,
    #[napi(ts_arg_type = "number")] sd_treatment: Num,
    #[napi(ts_arg_type = "number")] sd_control: Num,
    #[napi(ts_arg_type = "number")] n_treatment: Num,
    #[napi(ts_arg_type = "number")] n_control: Num,
    options: Option<LiftDesignOptions>,
) -> error::Result<LiftPower> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let p = lib::power_means(
        req(&effect, "effect").map_err(to_js)?,
        req(&sd_treatment, "sdTreatment").map_err(to_js)?,
        req(&sd_control, "sdControl").map_err(to_js)?,
        req(&n_treatment, "nTreatment").map_err(to_js)?,
        req(&n_control, "nControl").map_err(to_js)?,
        &d,
    )
    .map_err(fail)?;
    Ok(LiftPower::from(&p))
}

/// Minimum detectable difference of means (`relative` is relative to `baseline`, the
/// control mean).
///
/// Throws `invalid_argument` for bad inputs.
#[napi(catch_unwind)]
pub fn mde_means(
    #[napi(ts_arg_type = "number")] baseline: Num,
    #[napi(ts_arg_type = "number")] sd_treatment: Num,
    #[napi(ts_arg_type = "number")] sd_control: Num,
    #[napi(ts_arg_type = "number")] n_treatment: Num,
    #[napi(ts_arg_type = "number")] n_control: Num,
    options: Option<LiftMdeOptions>,
) -> error::Result<LiftMde> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let m = lib::mde_means(
        req(&baseline, "baseline").map_err(to_js)?,
        req(&sd_treatment, "sdTreatment").map_err(to_js)?,
        req(&sd_control, "sdControl").map_err(to_js)?,
        req(&n_treatment, "nTreatment").map_err(to_js)?,
        req(&n_control, "nControl").map_err(to_js)?,
        o.and_then(|o| o.power).unwrap_or(0.8),
        &d,
    )
    .map_err(fail)?;
    Ok(LiftMde::from(&m))
}

/// Sample size for a difference of means `effect`.
///
/// Throws `invalid_argument` for a zero or non-finite effect, an effect pointing away from a
/// one-sided alternative, or bad standard deviations, ratio, power or confidence.
#[napi(catch_unwind)]
pub fn sample_size_means(
    #[napi(ts_arg_type = "number")] effect: Num,
    #[napi(ts_arg_type = "number")] sd_treatment: Num,
    #[napi(ts_arg_type = "number")] sd_control: Num,
    options: Option<LiftSampleSizeOptions>,
) -> error::Result<LiftSampleSize> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let s = lib::sample_size_means(
        req(&effect, "effect").map_err(to_js)?,
        req(&sd_treatment, "sdTreatment").map_err(to_js)?,
        req(&sd_control, "sdControl").map_err(to_js)?,
        o.and_then(|o| o.ratio).unwrap_or(1.0),
        o.and_then(|o| o.power).unwrap_or(0.8),
        &d,
    )
    .map_err(fail)?;
    Ok(LiftSampleSize::from(&s))
}

/// Power of a z test whose estimator has standard error `stdError` (a
/// difference-in-differences estimate, a ratio metric) to detect a true effect `effect`.
///
/// Throws `invalid_argument` for a non-finite effect, a standard error that is not finite
/// > 0 or a confidence outside (0, 1).
#[napi(catch_unwind)]
pub fn power_from_se(
    #[napi(ts_arg_type = "number")] effect: Num,
    #[napi(ts_arg_type = "number")] std_error: Num,
    options: Option<LiftDesignOptions>,
) -> error::Result<LiftPower> {
    let o = options.as_ref();
    let d = design(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
    )
    .map_err(to_js)?;
    let p = lib::power_from_se(
        req(&effect, "effect").map_err(to_js)?,
        req(&std_error, "stdError").map_err(to_js)?,
        &d,
    )
    .map_err(fail)?;
    Ok(LiftPower::from(&p))
}

// ---------------------------------------------------------------------------------------
// Continuous metrics
// ---------------------------------------------------------------------------------------

/// Size, mean and variance (ddof = 1) of a sample.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftSampleSummary {
    /// Observations.
    pub n: f64,
    /// Mean.
    pub mean: f64,
    /// Sample variance (divisor n - 1).
    pub variance: f64,
}

impl From<&SampleSummary> for LiftSampleSummary {
    fn from(s: &SampleSummary) -> Self {
        LiftSampleSummary {
            n: s.n,
            mean: s.mean,
            variance: s.variance,
        }
    }
}

/// A sample given by its summary statistics.
#[napi(object, object_to_js = false)]
pub struct LiftSampleSummaryInput {
    /// Observations (>= 2).
    #[napi(ts_type = "number")]
    pub n: Num,
    /// Mean.
    #[napi(ts_type = "number")]
    pub mean: Num,
    /// Sample variance (divisor n - 1), >= 0.
    #[napi(ts_type = "number")]
    pub variance: Num,
}

fn summary(s: &LiftSampleSummaryInput, name: &str) -> ces::Result<SampleSummary> {
    Ok(SampleSummary {
        n: req(&s.n, &format!("{name}.n"))?,
        mean: req(&s.mean, &format!("{name}.mean"))?,
        variance: req(&s.variance, &format!("{name}.variance"))?,
    })
}

/// Welch's unequal-variance t test of `mean_t - mean_c`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftWelch {
    /// The treatment sample.
    pub treatment: LiftSampleSummary,
    /// The control sample.
    pub control: LiftSampleSummary,
    /// The difference of means with Welch's standard error, t statistic
    /// (Welch–Satterthwaite degrees of freedom), p-value and interval.
    pub inference: LiftInference,
    /// `mean_t / mean_c - 1`.
    pub relative_lift: f64,
}

impl From<&Welch> for LiftWelch {
    fn from(w: &Welch) -> Self {
        LiftWelch {
            treatment: LiftSampleSummary::from(&w.treatment),
            control: LiftSampleSummary::from(&w.control),
            inference: LiftInference::from(&w.inference),
            relative_lift: w.relative_lift,
        }
    }
}

/// Welch's t test (SciPy `ttest_ind(equal_var=False)`) of two samples (`Float64Array`s or
/// arrays of numbers).
///
/// Throws `invalid_argument` for fewer than 2 observations in a sample, a non-finite value
/// (naming the sample and row) or a bad option; `missing_value` for a null in an array.
#[napi(catch_unwind)]
pub fn welch(
    #[napi(ts_arg_type = "Float64Array | Array<number>")] treatment: JsNumbers<'_>,
    #[napi(ts_arg_type = "Float64Array | Array<number>")] control: JsNumbers<'_>,
    options: Option<LiftTestOptions>,
) -> error::Result<LiftWelch> {
    let (confidence, alt) = test_options(options.as_ref()).map_err(to_js)?;
    let t = numbers(&treatment, "treatment")?;
    let c = numbers(&control, "control")?;
    let w = lib::welch(&t, &c, confidence, alt).map_err(fail)?;
    Ok(LiftWelch::from(&w))
}

/// Welch's t test from summary statistics `{ n, mean, variance }`.
///
/// Throws `invalid_argument` for `n` < 2, a non-finite mean or a negative variance.
#[napi(catch_unwind)]
pub fn welch_from_summary(
    treatment: LiftSampleSummaryInput,
    control: LiftSampleSummaryInput,
    options: Option<LiftTestOptions>,
) -> error::Result<LiftWelch> {
    let (confidence, alt) = test_options(options.as_ref()).map_err(to_js)?;
    let t = summary(&treatment, "treatment").map_err(to_js)?;
    let c = summary(&control, "control").map_err(to_js)?;
    let w = lib::welch_from_summary(&t, &c, confidence, alt).map_err(fail)?;
    Ok(LiftWelch::from(&w))
}

/// ANCOVA: the treated coefficient of `y ~ 1 + treated + x` by OLS.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftAncova {
    /// Classical OLS standard error, t test with `n - 3` degrees of freedom.
    pub classical: LiftInference,
    /// HC1 (heteroscedasticity-robust) standard error with the normal reference.
    pub hc1: LiftInference,
    /// The covariate's coefficient.
    pub slope: f64,
    /// Residual degrees of freedom `n - 3`.
    pub df_resid: f64,
}

impl From<&Ancova> for LiftAncova {
    fn from(a: &Ancova) -> Self {
        LiftAncova {
            classical: LiftInference::from(&a.classical),
            hc1: LiftInference::from(&a.hc1),
            slope: a.slope,
            df_resid: a.df_resid,
        }
    }
}

/// CUPED with θ pooled over both groups.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftCuped {
    /// θ = cov(y, x) / var(x) over all units.
    pub theta: f64,
    /// `1 - var(y_adj) / var(y)`: the share of variance removed (≈ ρ²).
    pub variance_reduction: f64,
    /// Welch's test on the adjusted outcome (method `'cuped'`).
    pub adjusted: LiftWelch,
    /// Welch's test on the raw outcome, for comparison.
    pub unadjusted: LiftWelch,
    /// The ANCOVA estimate (equal to CUPED up to O(1/n)).
    pub ancova: LiftAncova,
}

impl From<&Cuped> for LiftCuped {
    fn from(c: &Cuped) -> Self {
        LiftCuped {
            theta: c.theta,
            variance_reduction: c.variance_reduction,
            adjusted: LiftWelch::from(&c.adjusted),
            unadjusted: LiftWelch::from(&c.unadjusted),
            ancova: LiftAncova::from(&c.ancova),
        }
    }
}

fn unit_columns(
    y: &JsNumbers<'_>,
    x: &JsNumbers<'_>,
    treated: &JsFlags<'_>,
) -> error::Result<(Vec<f64>, Vec<f64>, Vec<bool>)> {
    Ok((
        numbers(y, "y")?,
        numbers(x, "x")?,
        flags(treated, "treated")?,
    ))
}

/// CUPED (Deng et al. 2013): the outcome `y` adjusted with a pre-period covariate `x` (last
/// quarter's revenue) by the pooled θ, then Welch's test; with the unadjusted test and
/// ANCOVA beside it. `treated` marks the treatment units.
///
/// Throws `length_mismatch` for columns of different lengths, `invalid_argument` for a
/// non-finite value (with its row), fewer than 2 units in a group or a constant covariate.
#[napi(catch_unwind)]
pub fn cuped(
    #[napi(ts_arg_type = "Float64Array | Array<number>")] y: JsNumbers<'_>,
    #[napi(ts_arg_type = "Float64Array | Array<number>")] x: JsNumbers<'_>,
    #[napi(ts_arg_type = "Uint8Array | Array<boolean>")] treated: JsFlags<'_>,
    options: Option<LiftTestOptions>,
) -> error::Result<LiftCuped> {
    let (confidence, alt) = test_options(options.as_ref()).map_err(to_js)?;
    let (y, x, treated) = unit_columns(&y, &x, &treated)?;
    let r = lib::cuped(&y, &x, &treated, confidence, alt).map_err(fail)?;
    Ok(LiftCuped::from(&r))
}

/// ANCOVA by OLS (`y ~ 1 + treated + x`), classical and HC1 standard errors (statsmodels).
///
/// Throws as `cuped` does, and for a covariate collinear with the treatment indicator.
#[napi(catch_unwind)]
pub fn ancova(
    #[napi(ts_arg_type = "Float64Array | Array<number>")] y: JsNumbers<'_>,
    #[napi(ts_arg_type = "Float64Array | Array<number>")] x: JsNumbers<'_>,
    #[napi(ts_arg_type = "Uint8Array | Array<boolean>")] treated: JsFlags<'_>,
    options: Option<LiftTestOptions>,
) -> error::Result<LiftAncova> {
    let (confidence, alt) = test_options(options.as_ref()).map_err(to_js)?;
    let (y, x, treated) = unit_columns(&y, &x, &treated)?;
    let r = lib::ancova(&y, &x, &treated, confidence, alt).map_err(fail)?;
    Ok(LiftAncova::from(&r))
}

// ---------------------------------------------------------------------------------------
// Difference-in-differences
// ---------------------------------------------------------------------------------------

/// Settings of the difference-in-differences estimators.
#[napi(object, object_to_js = false)]
pub struct LiftDidOptions {
    /// Interval coverage, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
    /// The standard error behind the effect's test and interval: `'cluster'` (default:
    /// cluster-robust by unit, statsmodels `cov_type="cluster"`) or `'classical'`.
    #[napi(ts_type = "'cluster' | 'classical'")]
    pub covariance: Option<String>,
    /// The reference distribution: `'t'` (default: G - 1 degrees of freedom for cluster
    /// errors, N - rank for classical ones) or `'normal'`.
    #[napi(ts_type = "'t' | 'normal'")]
    pub reference: Option<String>,
}

fn did_config(
    confidence: Option<f64>,
    alt: Option<&str>,
    covariance: Option<&str>,
    reference: Option<&str>,
) -> ces::Result<DidConfig> {
    Ok(DidConfig {
        confidence: confidence.unwrap_or(0.95),
        alternative: alternative(alt)?,
        covariance: match covariance.map(normalized).as_deref() {
            None | Some("cluster") => Covariance::Cluster,
            Some("classical") => Covariance::Classical,
            Some(other) => {
                return Err(invalid(
                    None,
                    "covariance",
                    format!("{other:?}"),
                    "expected 'cluster' or 'classical'",
                ));
            }
        },
        reference: match reference.map(normalized).as_deref() {
            None | Some("t" | "student_t") => ClusterReference::StudentT,
            Some("normal" | "z") => ClusterReference::Normal,
            Some(other) => {
                return Err(invalid(
                    None,
                    "reference",
                    format!("{other:?}"),
                    "expected 't' or 'normal'",
                ));
            }
        },
    })
}

fn did_options(o: Option<&LiftDidOptions>) -> ces::Result<DidConfig> {
    did_config(
        o.and_then(|o| o.confidence),
        o.and_then(|o| o.alternative.as_deref()),
        o.and_then(|o| o.covariance.as_deref()),
        o.and_then(|o| o.reference.as_deref()),
    )
}

/// The rows of a 2×2 difference-in-differences, as columns of equal length.
#[napi(object, object_to_js = false)]
pub struct LiftDidData<'a> {
    /// The unit (store, customer) of each row: numbers or strings.
    #[napi(ts_type = "Array<number | string> | Float64Array | Int32Array | Uint32Array")]
    pub unit: JsIds<'a>,
    /// Is the row's unit in the treated group (fixed per unit)?
    #[napi(ts_type = "Array<boolean> | Uint8Array")]
    pub treated: JsFlags<'a>,
    /// Is the row after the change?
    #[napi(ts_type = "Array<boolean> | Uint8Array")]
    pub post: JsFlags<'a>,
    /// The outcome.
    #[napi(ts_type = "Array<number> | Float64Array")]
    pub y: JsNumbers<'a>,
}

/// The result of `did2x2`.
#[napi(
    object,
    js_name = "LiftDid2x2",
    object_from_js = false,
    use_nullable = true
)]
pub struct LiftDid2x2 {
    /// The treated×post coefficient with the configured standard error, test and interval.
    pub effect: LiftInference,
    /// The OLS coefficients: intercept, treated, post, treated×post.
    #[napi(ts_type = "[number, number, number, number]")]
    pub params: Vec<f64>,
    /// The classical standard error of the effect.
    pub classical_std_error: f64,
    /// The cluster-robust (by unit) standard error of the effect.
    pub cluster_std_error: f64,
    /// Mean outcome per cell, `[treated][post]`.
    #[napi(ts_type = "[[number, number], [number, number]]")]
    pub cell_means: Vec<Vec<f64>>,
    /// Rows per cell, `[treated][post]`.
    #[napi(ts_type = "[[number, number], [number, number]]")]
    pub cell_counts: Vec<Vec<f64>>,
    /// Rows.
    pub n_obs: f64,
    /// Distinct units (the clusters).
    pub n_clusters: f64,
    /// `effect / (mean(treated, post) - effect)`; NaN when that baseline is 0.
    pub relative_effect: f64,
}

impl From<&Did2x2> for LiftDid2x2 {
    fn from(d: &Did2x2) -> Self {
        LiftDid2x2 {
            effect: LiftInference::from(&d.effect),
            params: d.params.to_vec(),
            classical_std_error: d.classical_std_error,
            cluster_std_error: d.cluster_std_error,
            cell_means: d.cell_means.iter().map(|r| r.to_vec()).collect(),
            cell_counts: d
                .cell_counts
                .iter()
                .map(|r| r.iter().map(|&c| c as f64).collect())
                .collect(),
            n_obs: count(d.n_obs),
            n_clusters: count(d.n_clusters),
            relative_effect: d.relative_effect,
        }
    }
}

/// The 2×2 difference-in-differences: OLS of `y` on `[1, treated, post, treated·post]`
/// (statsmodels), standard errors clustered by unit (default) or classical. Rows are
/// observations of units before or after the change, in any order; a unit may have any
/// number of rows.
///
/// ```js
/// did2x2({ unit: ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'],
///          treated: [true, true, true, true, false, false, false, false],
///          post: [false, true, false, true, false, true, false, true],
///          y: [10, 15, 11, 17, 9, 10, 10, 12] }).effect.estimate // 4
/// ```
///
/// Throws `length_mismatch` for columns of different lengths; `invalid_argument` naming the
/// column (and row) for a non-finite outcome, a unit whose `treated` flag changes, an empty
/// cell, fewer than 2 units or 5 rows, a bad id or option; `missing_value` for a null.
#[napi(catch_unwind, js_name = "did2x2")]
pub fn did_2x2(
    data: LiftDidData<'_>,
    options: Option<LiftDidOptions>,
) -> error::Result<LiftDid2x2> {
    let config = did_options(options.as_ref()).map_err(to_js)?;
    let unit = id_codes(&data.unit, "unit")?;
    let treated = flags(&data.treated, "treated")?;
    let post = flags(&data.post, "post")?;
    let y = numbers(&data.y, "y")?;
    let d = lib::did::did_2x2(&unit, &treated, &post, &y, &config).map_err(fail)?;
    Ok(LiftDid2x2::from(&d))
}

/// The rows of a two-way fixed-effects panel, as columns of equal length.
#[napi(object, object_to_js = false)]
pub struct LiftPanelData<'a> {
    /// The unit of each row: numbers or strings.
    #[napi(ts_type = "Array<number | string> | Float64Array | Int32Array | Uint32Array")]
    pub unit: JsIds<'a>,
    /// The period of each row: numbers or strings (e.g. `'2025-W14'`).
    #[napi(ts_type = "Array<number | string> | Float64Array | Int32Array | Uint32Array")]
    pub period: JsIds<'a>,
    /// Is the unit under treatment in this period (a treated store after its launch)?
    #[napi(ts_type = "Array<boolean> | Uint8Array")]
    pub treated: JsFlags<'a>,
    /// The outcome.
    #[napi(ts_type = "Array<number> | Float64Array")]
    pub y: JsNumbers<'a>,
}

/// The result of `didPanel`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftDidPanel {
    /// The coefficient of `treated` with the configured standard error, test and interval.
    pub effect: LiftInference,
    /// The classical standard error of the effect.
    pub classical_std_error: f64,
    /// The cluster-robust (by unit) standard error of the effect.
    pub cluster_std_error: f64,
    /// Rows.
    pub n_obs: f64,
    /// Distinct units.
    pub n_units: f64,
    /// Distinct periods.
    pub n_periods: f64,
    /// Columns of the full design matrix, `nUnits + nPeriods`.
    pub n_params: f64,
    /// Clusters (= units).
    pub n_clusters: f64,
    /// Rows with `treated` true.
    pub treated_obs: f64,
}

impl From<&DidPanel> for LiftDidPanel {
    fn from(d: &DidPanel) -> Self {
        LiftDidPanel {
            effect: LiftInference::from(&d.effect),
            classical_std_error: d.classical_std_error,
            cluster_std_error: d.cluster_std_error,
            n_obs: count(d.n_obs),
            n_units: count(d.n_units),
            n_periods: count(d.n_periods),
            n_params: count(d.n_params),
            n_clusters: count(d.n_clusters),
            treated_obs: count(d.treated_obs),
        }
    }
}

/// Two-way fixed-effects difference-in-differences: OLS of `y` on `treated`, unit and period
/// fixed effects (statsmodels `OLS` on the full dummy design, solved exactly and fast),
/// standard errors clustered by unit (default) or classical. The panel may be unbalanced and
/// may repeat (unit, period) pairs.
///
/// Throws `length_mismatch` for columns of different lengths; `invalid_argument` naming the
/// column for a non-finite outcome, no treated or no untreated rows, fewer than 2 units or
/// periods, too few rows, a `treated` collinear with the fixed effects, a bad id or option;
/// `missing_value` for a null.
#[napi(catch_unwind)]
pub fn did_panel(
    data: LiftPanelData<'_>,
    options: Option<LiftDidOptions>,
) -> error::Result<LiftDidPanel> {
    let config = did_options(options.as_ref()).map_err(to_js)?;
    let unit = id_codes(&data.unit, "unit")?;
    let period: Vec<i64> = id_codes(&data.period, "period")?
        .into_iter()
        .map(|p| p as i64)
        .collect();
    let treated = flags(&data.treated, "treated")?;
    let y = numbers(&data.y, "y")?;
    let d = lib::did::did_panel(&unit, &period, &treated, &y, &config)
        .map_err(|e| to_js(rename(e, &[("treated_now", "treated")])))?;
    Ok(LiftDidPanel::from(&d))
}

// ---------------------------------------------------------------------------------------
// Ratio metrics
// ---------------------------------------------------------------------------------------

/// One arm of a ratio metric: per-unit numerators and denominators (one entry per unit of
/// randomisation).
#[napi(object, object_to_js = false)]
pub struct LiftRatioArmInput<'a> {
    /// Per-unit numerator (items, revenue, category revenue); finite.
    #[napi(ts_type = "Array<number> | Float64Array")]
    pub numerator: JsNumbers<'a>,
    /// Per-unit denominator (baskets, orders, basket revenue); finite, >= 0, not all 0.
    #[napi(ts_type = "Array<number> | Float64Array")]
    pub denominator: JsNumbers<'a>,
}

/// Settings of `ratioMetric`.
#[napi(object, object_to_js = false)]
pub struct LiftRatioOptions {
    /// Interval coverage, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
    /// Bootstrap resamples (>= 100), or `null` to skip the bootstrap. Default 2000.
    #[napi(ts_type = "number | null")]
    pub bootstrap: Option<Option<f64>>,
    /// Seed of the bootstrap (a safe integer >= 0 or a bigint below 2^64). Default
    /// 20251124. The result depends only on it and the data, never on the number of threads.
    #[napi(ts_type = "number | bigint")]
    pub seed: Option<Either<f64, BigInt>>,
}

fn ratio_config(o: Option<&LiftRatioOptions>) -> ces::Result<RatioConfig> {
    let mut c = RatioConfig::default();
    let Some(o) = o else { return Ok(c) };
    if let Some(x) = o.confidence {
        c.confidence = x;
    }
    c.alternative = alternative(o.alternative.as_deref())?;
    let mut b = BootstrapConfig::default();
    match o.bootstrap {
        None => {}
        Some(None) => {}
        Some(Some(n)) => {
            b.resamples = whole(n, "bootstrap")
                .map_err(|_| {
                    invalid(
                        None,
                        "bootstrap",
                        show(n),
                        "the number of resamples must be a whole number (at least 100), or null",
                    )
                })?
                .try_into()
                .unwrap_or(usize::MAX);
        }
    }
    let seed_error = |v: String| {
        invalid(
            None,
            "seed",
            v,
            "must be a safe integer >= 0 or a bigint in [0, 2^64)",
        )
    };
    b.seed = match &o.seed {
        None => b.seed,
        Some(Either::A(x)) if is_safe_integer(*x) && *x >= 0.0 => *x as u64,
        Some(Either::A(x)) => return Err(seed_error(show(*x))),
        Some(Either::B(big)) => match big.get_u64() {
            (false, v, true) => v,
            _ => return Err(seed_error("bigint".to_owned())),
        },
    };
    c.bootstrap = match o.bootstrap {
        Some(None) => None,
        _ => Some(b),
    };
    Ok(c)
}

/// One arm's ratio and its delta-method standard error.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftRatioEstimate {
    /// `mean(numerator) / mean(denominator)`.
    pub ratio: f64,
    /// The delta-method standard error of the ratio.
    pub std_error: f64,
    /// Units.
    pub n: f64,
    /// Σ numerator.
    pub numerator_sum: f64,
    /// Σ denominator.
    pub denominator_sum: f64,
}

impl From<&RatioEstimate> for LiftRatioEstimate {
    fn from(e: &RatioEstimate) -> Self {
        LiftRatioEstimate {
            ratio: e.ratio,
            std_error: e.std_error,
            n: count(e.n),
            numerator_sum: e.numerator_sum,
            denominator_sum: e.denominator_sum,
        }
    }
}

/// The seeded bootstrap cross-check of a ratio metric.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftRatioBootstrap {
    /// Replicates drawn.
    pub resamples: f64,
    /// The seed used (a number when it is a safe integer, else a bigint).
    #[napi(ts_type = "number | bigint")]
    pub seed: Either<f64, BigInt>,
    /// Sample standard deviation (ddof = 1) of the replicated differences.
    pub difference_std_error: f64,
    /// Percentile interval of the difference (method `'bootstrap'`).
    pub difference_interval: LiftInterval,
    /// Percentile interval of the relative lift.
    pub relative_lift_interval: LiftInterval,
}

/// The result of `ratioMetric`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftRatioMetric {
    /// The treatment arm.
    pub treatment: LiftRatioEstimate,
    /// The control arm.
    pub control: LiftRatioEstimate,
    /// `R_t - R_c`: delta method, z test.
    pub difference: LiftInference,
    /// `R_t / R_c - 1`: delta method, z test (not finite when the control ratio is 0).
    pub relative_lift: LiftInference,
    /// The bootstrap cross-check, unless `bootstrap: null`.
    pub bootstrap: Option<LiftRatioBootstrap>,
}

impl From<&RatioMetric> for LiftRatioMetric {
    fn from(m: &RatioMetric) -> Self {
        LiftRatioMetric {
            treatment: LiftRatioEstimate::from(&m.treatment),
            control: LiftRatioEstimate::from(&m.control),
            difference: LiftInference::from(&m.difference),
            relative_lift: LiftInference::from(&m.relative_lift),
            bootstrap: m.bootstrap.as_ref().map(|b| LiftRatioBootstrap {
                resamples: count(b.resamples),
                seed: if b.seed as f64 <= MAX_SAFE_INTEGER {
                    Either::A(b.seed as f64)
                } else {
                    Either::B(BigInt::from(b.seed))
                },
                difference_std_error: b.difference_std_error,
                difference_interval: LiftInterval::from(&b.difference_interval),
                relative_lift_interval: LiftInterval::from(&b.relative_lift_interval),
            }),
        }
    }
}

/// A ratio metric (basket size = items / baskets, average order value = revenue / orders,
/// category share) compared between two arms by the delta method, per unit of randomisation
/// (a customer's baskets are correlated), with a seeded percentile-bootstrap cross-check.
///
/// Throws `length_mismatch` when an arm's columns differ in length; `invalid_argument` naming
/// the column (`treatment.numerator`, …, with the row) for fewer than 2 units, a non-finite
/// numerator, a negative or non-finite denominator, all-zero denominators, fewer than 100
/// resamples, a bad seed or option; `missing_value` for a null.
#[napi(catch_unwind)]
pub fn ratio_metric(
    treatment: LiftRatioArmInput<'_>,
    control: LiftRatioArmInput<'_>,
    options: Option<LiftRatioOptions>,
) -> error::Result<LiftRatioMetric> {
    let config = ratio_config(options.as_ref()).map_err(to_js)?;
    let tn = numbers(&treatment.numerator, "treatment.numerator")?;
    let td = numbers(&treatment.denominator, "treatment.denominator")?;
    let cn = numbers(&control.numerator, "control.numerator")?;
    let cd = numbers(&control.denominator, "control.denominator")?;
    let m = lib::ratio::ratio_metric(
        RatioArm {
            numerator: &tn,
            denominator: &td,
        },
        RatioArm {
            numerator: &cn,
            denominator: &cd,
        },
        &config,
    )
    .map_err(fail)?;
    Ok(LiftRatioMetric::from(&m))
}

// ---------------------------------------------------------------------------------------
// Cross-correlation
// ---------------------------------------------------------------------------------------

/// Settings of `ccf`.
#[napi(object, object_to_js = false)]
pub struct LiftCcfOptions {
    /// Coverage of the white-noise band, strictly between 0 and 1. Default 0.95.
    pub confidence: Option<f64>,
}

/// The cross-correlation of exposure and sales at lags.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftCcf {
    /// Lags `-maxLag … maxLag` (positive: sales after exposure).
    pub lags: Vec<f64>,
    /// The cross-correlation at each lag.
    pub values: Vec<f64>,
    /// Half-width of the white-noise band, `Φ⁻¹(1 - α/2) / √n`.
    pub band: f64,
    /// Length of the series.
    pub n: f64,
    /// Coverage of the band.
    pub confidence: f64,
    /// Lags whose |correlation| exceeds the band (descriptive; no multiple-testing
    /// correction).
    pub significant_lags: Vec<f64>,
}

impl From<&Ccf> for LiftCcf {
    fn from(c: &Ccf) -> Self {
        LiftCcf {
            lags: c.lags.iter().map(|&k| k as f64).collect(),
            values: c.values.clone(),
            band: c.band,
            n: count(c.n),
            confidence: c.confidence,
            significant_lags: c.significant_lags().iter().map(|&k| k as f64).collect(),
        }
    }
}

/// The cross-correlation of an exposure series (spend, impressions, GRPs) with a sales series
/// at lags `-maxLag … maxLag` (statsmodels `ccf(adjusted=True)`): lag `k >= 0` pairs exposure
/// at `t` with sales at `t + k`. **Descriptive, not causal**: shared trends and seasonality
/// correlate at every lag; measure incrementality with an experiment or a
/// difference-in-differences.
///
/// Throws `length_mismatch` when the series differ in length; `invalid_argument` for fewer
/// than 3 points, `maxLag` not a whole number below the length, a non-finite value (with its
/// row), a constant series or a confidence outside (0, 1); `missing_value` for a null.
#[napi(catch_unwind)]
pub fn ccf(
    #[napi(ts_arg_type = "Float64Array | Array<number>")] exposure: JsNumbers<'_>,
    #[napi(ts_arg_type = "Float64Array | Array<number>")] sales: JsNumbers<'_>,
    #[napi(ts_arg_type = "number")] max_lag: Num,
    options: Option<LiftCcfOptions>,
) -> error::Result<LiftCcf> {
    let confidence = options.and_then(|o| o.confidence).unwrap_or(0.95);
    let max_lag = req(&max_lag, "maxLag")
        .and_then(|k| whole(k, "maxLag"))
        .map_err(to_js)?;
    let e = numbers(&exposure, "exposure")?;
    let s = numbers(&sales, "sales")?;
    let c = lib::ccf::ccf(
        &e,
        &s,
        usize::try_from(max_lag).unwrap_or(usize::MAX),
        confidence,
    )
    .map_err(fail)?;
    Ok(LiftCcf::from(&c))
}

// ---------------------------------------------------------------------------------------
// Lift from attribution data
// ---------------------------------------------------------------------------------------

/// A time as JavaScript gives it: `Date`, epoch ms, bigint epoch µs or ISO string.
type JsTime<'a> = Either5<f64, String, BigInt, JsDate<'a>, Unknown<'a>>;

/// A time argument as epoch µs; `null` is `missing_value`.
fn time(value: JsTime<'_>, field: &str, assume_zone: Option<&str>) -> error::Result<i64> {
    let cell: JsCell<'_> = match value {
        Either5::E(u) if matches!(u.get_type(), Ok(napi::ValueType::Null)) => None,
        v => Some(v),
    };
    instant(cell, field, assume_zone)
}

/// Which campaign, and the calendar of the comparison.
#[napi(object, object_to_js = false)]
pub struct LiftPanelSpecInput<'a> {
    /// The campaign under test (as in the exposures' `campaign` column).
    pub campaign: String,
    /// Start of the first pre period.
    #[napi(ts_type = "Date | number | bigint | string")]
    pub pre_start: JsTime<'a>,
    /// Start of the first post period (usually the campaign's launch). `campaignStart -
    /// preStart` must be a whole number of periods.
    #[napi(ts_type = "Date | number | bigint | string")]
    pub campaign_start: JsTime<'a>,
    /// End of the last post period (exclusive).
    #[napi(ts_type = "Date | number | bigint | string")]
    pub end: JsTime<'a>,
    /// Period length: milliseconds, or `'7d'`, `'1w'`, `'12h'`, `'90m'`, `'45s'`.
    #[napi(ts_type = "number | string")]
    pub period: Either<f64, String>,
}

/// A period length in µs: a number of milliseconds, or a whole number with a unit.
fn period_us(value: &Either<f64, String>) -> ces::Result<i64> {
    let bad = |v: String| {
        invalid(
            None,
            "period",
            v,
            "expected milliseconds > 0 or a string like '7d', '1w', '12h', '90m', '45s'",
        )
    };
    match value {
        Either::A(ms) => {
            let us = (ms * 1000.0).round();
            if ms.is_finite() && (1.0..=9.0e18).contains(&us) {
                Ok(us as i64)
            } else {
                Err(bad(show(*ms)))
            }
        }
        Either::B(text) => lib::parse_period(text),
    }
}

fn panel_spec(s: LiftPanelSpecInput<'_>, assume_zone: Option<&str>) -> error::Result<PanelSpec> {
    Ok(PanelSpec {
        campaign: s.campaign,
        pre_start: time(s.pre_start, "preStart", assume_zone)?,
        campaign_start: time(s.campaign_start, "campaignStart", assume_zone)?,
        end: time(s.end, "end", assume_zone)?,
        period: period_us(&s.period).map_err(to_js)?,
    })
}

fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

/// The spec a result was computed for; times in epoch milliseconds.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftPanelSpec {
    /// The campaign.
    pub campaign: String,
    /// Start of the first pre period (epoch ms).
    pub pre_start: f64,
    /// Start of the first post period (epoch ms).
    pub campaign_start: f64,
    /// End of the last post period, exclusive (epoch ms).
    pub end: f64,
    /// Period length (ms).
    pub period: f64,
}

impl From<&PanelSpec> for LiftPanelSpec {
    fn from(s: &PanelSpec) -> Self {
        LiftPanelSpec {
            campaign: s.campaign.clone(),
            pre_start: ms(s.pre_start),
            campaign_start: ms(s.campaign_start),
            end: ms(s.end),
            period: ms(s.period),
        }
    }
}

fn outcome(name: Option<&str>) -> ces::Result<Outcome> {
    match name {
        None => Ok(Outcome::Sales),
        Some(s) => Outcome::parse(s).ok_or_else(|| {
            invalid(
                None,
                "outcome",
                format!("{s:?}"),
                "expected 'sales', 'transactions' or 'units'",
            )
        }),
    }
}

/// How the attribution tables are read.
#[napi(object, object_to_js = false)]
pub struct LiftTableOptions {
    /// The property (rows) or column (columns) holding the match key in both tables. Default
    /// `'key'`.
    pub key: Option<String>,
    /// IANA zone in which ISO strings without `Z` or an offset are read (tables and spec).
    pub assume_zone: Option<String>,
}

/// Settings of `storePanel`.
#[napi(object, object_to_js = false)]
pub struct LiftPanelOptions {
    /// The outcome per unit and period. Default `'sales'`.
    #[napi(ts_type = "'sales' | 'transactions' | 'units'")]
    pub outcome: Option<String>,
    /// The match-key property. Default `'key'`.
    pub key: Option<String>,
    /// IANA zone for time-zone-naive ISO strings.
    pub assume_zone: Option<String>,
}

/// A unit × period panel built from attribution data (one row per unit and period).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftStorePanel {
    /// The units' keys as text, indexed by unit number (ascending key order).
    pub unit_keys: Vec<String>,
    /// Unit number per row.
    pub unit: Vec<f64>,
    /// Period number per row (0 = the first pre period).
    pub period: Vec<f64>,
    /// Was the row's unit exposed to the campaign?
    pub exposed: Vec<bool>,
    /// Is the row's period post (starts at or after `campaignStart`)?
    pub post: Vec<bool>,
    /// Is the unit treated in this period (exposed, from the period of its first campaign
    /// exposure)?
    pub treated_now: Vec<bool>,
    /// The outcome per row.
    pub outcome: Float64Array,
    /// Exposed units.
    pub exposed_units: f64,
    /// Control units.
    pub control_units: f64,
    /// Periods.
    pub periods: f64,
    /// Pre periods.
    pub pre_periods: f64,
    /// Media cost of the campaign's exposures in `[preStart, end)` (missing costs count 0).
    pub spend: f64,
    /// Exposures of the campaign without a cost.
    pub exposures_without_cost: f64,
    /// The campaign's channels, sorted.
    pub channels: Vec<String>,
}

/// The unit × period panel of `spec.campaign` from attribution tables (the same inputs as
/// `attributeSync`): a unit is a match key with a transaction in `[preStart, end)` or an
/// exposure of the campaign; it is exposed when it has a campaign exposure before `end`;
/// periods of `spec.period` from `preStart`; the outcome per unit-period is the sum of
/// transaction values (`'sales'`), their count or the units sold, 0 without transactions.
/// The columns feed `did2x2` / `didPanel` directly.
///
/// Throws what `attributeSync` throws for the tables; `invalid_argument` for a bad spec
/// (naming `period`, `campaignStart`, `end`, `campaign`: unknown or without exposures) or
/// outcome.
#[napi(
    catch_unwind,
    ts_args_type = "exposures: Array<AttributionExposureRow & Record<string, unknown>> | AttributionExposureColumns, transactions: Array<AttributionTransactionRow & Record<string, unknown>> | AttributionTransactionColumns, spec: LiftPanelSpecInput, options?: LiftPanelOptions | undefined | null"
)]
pub fn store_panel(
    exposures: JsTable<'_>,
    transactions: JsTable<'_>,
    spec: LiftPanelSpecInput<'_>,
    options: Option<LiftPanelOptions>,
) -> error::Result<LiftStorePanel> {
    let o = options.as_ref();
    let zone = o.and_then(|o| o.assume_zone.as_deref());
    let tables = JsTables::read(exposures, transactions, o.and_then(|o| o.key.as_deref()))?;
    let spec = panel_spec(spec, zone)?;
    let outcome = outcome(o.and_then(|o| o.outcome.as_deref())).map_err(to_js)?;
    let (ex, tx) = tables.tables(zone).map_err(to_js)?;
    let p = lib::store_panel(&ex, &tx, &spec, outcome).map_err(fail)?;
    Ok(LiftStorePanel {
        unit_keys: p.unit_keys,
        unit: p.unit.iter().map(|&u| u as f64).collect(),
        period: p.period.iter().map(|&t| t as f64).collect(),
        exposed: p.exposed,
        post: p.post,
        treated_now: p.treated_now,
        outcome: Float64Array::new(p.outcome),
        exposed_units: count(p.exposed_units),
        control_units: count(p.control_units),
        periods: count(p.periods),
        pre_periods: count(p.pre_periods),
        spend: p.spend,
        exposures_without_cost: count(p.exposures_without_cost),
        channels: p.channels,
    })
}

/// Settings of `campaignLift`; every one is optional.
#[napi(object, object_to_js = false)]
pub struct LiftCampaignOptions {
    /// The outcome compared. Default `'sales'`.
    #[napi(ts_type = "'sales' | 'transactions' | 'units'")]
    pub outcome: Option<String>,
    /// The match-key property. Default `'key'`.
    pub key: Option<String>,
    /// IANA zone for time-zone-naive ISO strings.
    pub assume_zone: Option<String>,
    /// Interval coverage. Default 0.95.
    pub confidence: Option<f64>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
    /// Standard errors of the DiD estimates. Default `'cluster'` (by unit).
    #[napi(ts_type = "'cluster' | 'classical'")]
    pub covariance: Option<String>,
    /// Reference distribution. Default `'t'` (G - 1 degrees of freedom).
    #[napi(ts_type = "'t' | 'normal'")]
    pub reference: Option<String>,
    /// The relative effect the power is computed for. Default 0.05.
    pub mde_relative: Option<f64>,
    /// Target power of the reported minimum detectable effect. Default 0.8.
    pub target_power: Option<f64>,
}

/// One row of the media-mix prior table: a campaign's incremental effect with its standard
/// error and spend, as MMMs take a calibration prior.
#[napi(object, use_nullable = true)]
pub struct LiftMmmPrior {
    /// The campaign.
    pub campaign: String,
    /// Its channel, or its channels joined with `+`.
    pub channel: String,
    /// The outcome.
    #[napi(ts_type = "'sales' | 'transactions' | 'units'")]
    pub metric: String,
    /// Window start: the campaign start (epoch ms).
    pub start: f64,
    /// Window end, exclusive (epoch ms).
    pub end: f64,
    /// The method of the estimate.
    #[napi(ts_type = "'ols_cluster' | 'ols'")]
    pub method: String,
    /// Incremental outcome over the window.
    pub effect: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Interval of the effect.
    pub ci_low: f64,
    /// Interval of the effect.
    pub ci_high: f64,
    /// Coverage of the interval.
    pub confidence: f64,
    /// Spend in the window.
    pub spend: f64,
    /// effect / spend (NaN without spend).
    pub roi: f64,
    /// stdError / spend (NaN without spend).
    pub roi_std_error: f64,
    /// Exposed units.
    pub exposed_units: f64,
    /// Control units.
    pub control_units: f64,
}

impl From<&MmmPrior> for LiftMmmPrior {
    fn from(m: &MmmPrior) -> Self {
        LiftMmmPrior {
            campaign: m.campaign.clone(),
            channel: m.channel.clone(),
            metric: m.metric.clone(),
            start: ms(m.start),
            end: ms(m.end),
            method: m.method.as_str().to_owned(),
            effect: m.effect,
            std_error: m.std_error,
            ci_low: m.ci_low,
            ci_high: m.ci_high,
            confidence: m.confidence,
            spend: m.spend,
            roi: m.roi,
            roi_std_error: m.roi_std_error,
            exposed_units: count(m.exposed_units),
            control_units: count(m.control_units),
        }
    }
}

/// The lift of one campaign from attribution data.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftCampaign {
    /// The spec it was computed for (times in epoch ms).
    pub spec: LiftPanelSpec,
    /// The outcome.
    #[napi(ts_type = "'sales' | 'transactions' | 'units'")]
    pub outcome: String,
    /// Exposed units.
    pub exposed_units: f64,
    /// Control units.
    pub control_units: f64,
    /// Periods.
    pub periods: f64,
    /// Pre periods.
    pub pre_periods: f64,
    /// Campaign spend in the window.
    pub spend: f64,
    /// The campaign's channels.
    pub channels: Vec<String>,
    /// The 2×2 difference-in-differences per unit and period (primary).
    pub did: LiftDid2x2,
    /// Two-way fixed effects with treatment from each unit's first exposure.
    pub panel: LiftDidPanel,
    /// The exposed units' counterfactual post mean per unit-period (observed - effect).
    pub baseline: f64,
    /// `effect / baseline`.
    pub relative_lift: f64,
    /// The relative lift's interval.
    #[napi(ts_type = "[number, number]")]
    pub relative_interval: Vec<f64>,
    /// Incremental outcome over the post window: effect × exposed units × post periods.
    pub incremental: f64,
    /// Its standard error.
    pub incremental_std_error: f64,
    /// Its interval.
    #[napi(ts_type = "[number, number]")]
    pub incremental_interval: Vec<f64>,
    /// Incremental outcome per unit of spend (NaN without spend).
    pub iroas: f64,
    /// Power to detect `mdeRelative × baseline` with this design's standard error.
    pub power: LiftPower,
    /// The absolute effect per unit-period detectable with `targetPower`.
    pub mde: f64,
    /// `mde / baseline`.
    pub mde_relative: f64,
    /// The media-mix prior row of this lift (the core's `CampaignLift::mmm_prior`).
    pub mmm_prior: LiftMmmPrior,
}

impl From<&CampaignLift> for LiftCampaign {
    fn from(c: &CampaignLift) -> Self {
        LiftCampaign {
            spec: LiftPanelSpec::from(&c.spec),
            outcome: c.outcome.as_str().to_owned(),
            exposed_units: count(c.exposed_units),
            control_units: count(c.control_units),
            periods: count(c.periods),
            pre_periods: count(c.pre_periods),
            spend: c.spend,
            channels: c.channels.clone(),
            did: LiftDid2x2::from(&c.did),
            panel: LiftDidPanel::from(&c.panel),
            baseline: c.baseline,
            relative_lift: c.relative_lift,
            relative_interval: pair(c.relative_interval.0, c.relative_interval.1),
            incremental: c.incremental,
            incremental_std_error: c.incremental_std_error,
            incremental_interval: pair(c.incremental_interval.0, c.incremental_interval.1),
            iroas: c.iroas,
            power: LiftPower::from(&c.power),
            mde: c.mde,
            mde_relative: c.mde_relative,
            mmm_prior: LiftMmmPrior::from(&c.mmm_prior()),
        }
    }
}

fn campaign_config(o: Option<&LiftCampaignOptions>) -> ces::Result<CampaignLiftConfig> {
    let defaults = CampaignLiftConfig::default();
    Ok(CampaignLiftConfig {
        outcome: outcome(o.and_then(|o| o.outcome.as_deref()))?,
        did: did_config(
            o.and_then(|o| o.confidence),
            o.and_then(|o| o.alternative.as_deref()),
            o.and_then(|o| o.covariance.as_deref()),
            o.and_then(|o| o.reference.as_deref()),
        )?,
        mde_relative: o
            .and_then(|o| o.mde_relative)
            .unwrap_or(defaults.mde_relative),
        target_power: o
            .and_then(|o| o.target_power)
            .unwrap_or(defaults.target_power),
    })
}

/// The lift of `spec.campaign` from attribution tables: the store panel (see `storePanel`),
/// the 2×2 difference-in-differences (exposed × post, cluster-robust by unit; primary) and
/// the two-way fixed-effects panel (treated from each unit's first exposure) beside it, the
/// relative lift, the incremental outcome over the window with its interval, iROAS, power and
/// minimum detectable effect, and the media-mix prior row (`mmmPrior`).
///
/// Throws what `storePanel` throws; `invalid_argument` when every unit was exposed (no
/// control group), for a bad `mdeRelative`, `targetPower` or DiD option, or when the DiD
/// cannot be estimated (naming the reason).
#[napi(
    catch_unwind,
    ts_args_type = "exposures: Array<AttributionExposureRow & Record<string, unknown>> | AttributionExposureColumns, transactions: Array<AttributionTransactionRow & Record<string, unknown>> | AttributionTransactionColumns, spec: LiftPanelSpecInput, options?: LiftCampaignOptions | undefined | null"
)]
pub fn campaign_lift(
    exposures: JsTable<'_>,
    transactions: JsTable<'_>,
    spec: LiftPanelSpecInput<'_>,
    options: Option<LiftCampaignOptions>,
) -> error::Result<LiftCampaign> {
    let o = options.as_ref();
    let zone = o.and_then(|o| o.assume_zone.as_deref());
    let tables = JsTables::read(exposures, transactions, o.and_then(|o| o.key.as_deref()))?;
    let spec = panel_spec(spec, zone)?;
    let config = campaign_config(o).map_err(to_js)?;
    let (ex, tx) = tables.tables(zone).map_err(to_js)?;
    let c = lib::campaign_lift(&ex, &tx, &spec, &config).map_err(fail)?;
    Ok(LiftCampaign::from(&c))
}

/// Anything with the `mmmPrior` of a `campaignLift` result.
#[napi(object, object_to_js = false)]
pub struct LiftMmmPriorSource {
    /// The prior row.
    pub mmm_prior: LiftMmmPrior,
}

/// The media-mix prior table of several `campaignLift` results: one row per lift, in order
/// (the `mmmPrior` of each).
#[napi(
    catch_unwind,
    ts_args_type = "lifts: Array<Pick<LiftCampaign, 'mmmPrior'>>"
)]
pub fn mmm_priors(lifts: Vec<LiftMmmPriorSource>) -> Vec<LiftMmmPrior> {
    lifts.into_iter().map(|l| l.mmm_prior).collect()
}

/// The exposed and control arms of a conversion test over match keys.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftConversionGroups {
    /// Keys with an exposure of the campaign before `end`.
    pub treatment: LiftArm,
    /// The other keys.
    pub control: LiftArm,
}

/// Exposed and control arms of a conversion test over match keys (customers): a key is
/// exposed when it has an exposure of the campaign before `end`, converts when it has a
/// transaction in `[campaignStart, end)`, and its revenue sums those transactions. Keys are
/// those with an exposure (any campaign) or a transaction in `[preStart, end)`. Feed the
/// arms to `conversionLift`.
///
/// Throws what `storePanel` throws for the tables and the spec.
#[napi(
    catch_unwind,
    ts_args_type = "exposures: Array<AttributionExposureRow & Record<string, unknown>> | AttributionExposureColumns, transactions: Array<AttributionTransactionRow & Record<string, unknown>> | AttributionTransactionColumns, spec: LiftPanelSpecInput, options?: LiftTableOptions | undefined | null"
)]
pub fn conversion_groups(
    exposures: JsTable<'_>,
    transactions: JsTable<'_>,
    spec: LiftPanelSpecInput<'_>,
    options: Option<LiftTableOptions>,
) -> error::Result<LiftConversionGroups> {
    let o = options.as_ref();
    let zone = o.and_then(|o| o.assume_zone.as_deref());
    let tables = JsTables::read(exposures, transactions, o.and_then(|o| o.key.as_deref()))?;
    let spec = panel_spec(spec, zone)?;
    let (ex, tx) = tables.tables(zone).map_err(to_js)?;
    let (t, c) = lib::conversion_groups(&ex, &tx, &spec).map_err(fail)?;
    Ok(LiftConversionGroups {
        treatment: LiftArm::from(&t),
        control: LiftArm::from(&c),
    })
}

// ---------------------------------------------------------------------------------------
// Experiment definitions
// ---------------------------------------------------------------------------------------

/// One arm of an experiment.
#[napi(object, object_to_js = false)]
pub struct LiftVariantInput {
    /// Its name, unique within the experiment.
    pub name: String,
    /// Is it the control? Exactly one variant is. Default false.
    pub is_control: Option<bool>,
    /// Share of traffic in percent; the weights sum to 100.
    #[napi(ts_type = "number")]
    pub traffic_weight: Num,
}

/// An experiment definition.
#[napi(object, object_to_js = false)]
pub struct LiftExperimentInput<'a> {
    /// Unique key (e.g. `'2025-q3-retail-launch'`).
    pub key: String,
    /// Human name. Default `''`.
    pub name: Option<String>,
    /// The test type.
    #[napi(ts_type = "'conversion' | 'continuous' | 'ratio' | 'diff_in_diff' | 'panel'")]
    pub test_type: String,
    /// The metric (`'conversion_rate'`, `'revenue_per_user'`, `'basket_size'` …).
    pub metric: String,
    /// The campaign under test.
    #[napi(ts_type = "string | null")]
    pub campaign: Option<String>,
    /// The variants.
    pub variants: Vec<LiftVariantInput>,
    /// Confidence level in (0, 1). Default 0.95.
    pub confidence: Option<f64>,
    /// The minimum detectable effect it was planned for. Default 0.05.
    pub mde: Option<f64>,
    /// Whether `mde` is `'relative'` (default) or `'absolute'`.
    #[napi(ts_type = "'relative' | 'absolute'")]
    pub mde_kind: Option<String>,
    /// The alternative. Default `'two-sided'`.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: Option<String>,
    /// Start, if scheduled.
    #[napi(ts_type = "Date | number | bigint | string | null")]
    pub start: Option<JsTime<'a>>,
    /// End, if scheduled.
    #[napi(ts_type = "Date | number | bigint | string | null")]
    pub end: Option<JsTime<'a>>,
}

/// One arm of a validated experiment.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftVariant {
    /// Name.
    pub name: String,
    /// Is it the control?
    pub is_control: bool,
    /// Share of traffic in percent.
    pub traffic_weight: f64,
}

/// A validated experiment definition, defaults filled in; times in epoch ms.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct LiftExperiment {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Test type.
    #[napi(ts_type = "'conversion' | 'continuous' | 'ratio' | 'diff_in_diff' | 'panel'")]
    pub test_type: String,
    /// Metric.
    pub metric: String,
    /// Campaign.
    pub campaign: Option<String>,
    /// Variants.
    pub variants: Vec<LiftVariant>,
    /// Confidence level.
    pub confidence: f64,
    /// Minimum detectable effect.
    pub mde: f64,
    /// `'relative'` or `'absolute'`.
    #[napi(ts_type = "'relative' | 'absolute'")]
    pub mde_kind: String,
    /// The alternative.
    #[napi(ts_type = "'two-sided' | 'larger' | 'smaller'")]
    pub alternative: String,
    /// Start (epoch ms).
    pub start: Option<f64>,
    /// End (epoch ms).
    pub end: Option<f64>,
}

/// Checks an experiment definition by the core's rules (a key and a metric, at least two
/// variants with distinct non-empty names, exactly one control, traffic weights in [0, 100]
/// summing to 100, confidence in (0, 1), MDE > 0, start <= end) and returns it with its
/// defaults filled in (confidence 0.95, mde 0.05, `'relative'`, `'two-sided'`).
///
/// Throws `invalid_argument` naming the field (`variants[1].trafficWeight`,
/// `variants.isControl`, `testType`, …), `missing_value` for a null weight.
#[napi(catch_unwind)]
pub fn validate_experiment(definition: LiftExperimentInput<'_>) -> error::Result<LiftExperiment> {
    let d = definition;
    let test_type = TestType::parse(&d.test_type).ok_or_else(|| {
        to_js(invalid(
            None,
            "testType",
            format!("{:?}", d.test_type),
            "expected 'conversion', 'continuous', 'ratio', 'diff_in_diff' or 'panel'",
        ))
    })?;
    let mde_kind = match d.mde_kind.as_deref() {
        None => MdeKind::default(),
        Some(s) => MdeKind::parse(s).ok_or_else(|| {
            to_js(invalid(
                None,
                "mdeKind",
                format!("{s:?}"),
                "expected 'relative' or 'absolute'",
            ))
        })?,
    };
    let alt = alternative(d.alternative.as_deref()).map_err(to_js)?;
    let variants = d
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok(Variant {
                name: v.name.clone(),
                is_control: v.is_control.unwrap_or(false),
                traffic_weight: req(&v.traffic_weight, &format!("variants[{i}].trafficWeight"))?,
            })
        })
        .collect::<ces::Result<Vec<_>>>()
        .map_err(to_js)?;
    let start = d.start.map(|t| time(t, "start", None)).transpose()?;
    let end = d.end.map(|t| time(t, "end", None)).transpose()?;
    let def = ExperimentDefinition {
        key: d.key,
        name: d.name.unwrap_or_default(),
        test_type,
        metric: d.metric,
        campaign: d.campaign,
        variants,
        confidence: d.confidence.unwrap_or(0.95),
        mde: d.mde.unwrap_or(0.05),
        mde_kind,
        alternative: alt,
        start,
        end,
    };
    def.validate().map_err(fail)?;
    Ok(LiftExperiment {
        variants: def
            .variants
            .iter()
            .map(|v| LiftVariant {
                name: v.name.clone(),
                is_control: v.is_control,
                traffic_weight: v.traffic_weight,
            })
            .collect(),
        test_type: def.test_type.as_str().to_owned(),
        mde_kind: def.mde_kind.as_str().to_owned(),
        alternative: def.alternative.as_str().to_owned(),
        start: def.start.map(ms),
        end: def.end.map(ms),
        key: def.key,
        name: def.name,
        metric: def.metric,
        campaign: def.campaign,
        confidence: def.confidence,
        mde: def.mde,
    })
}
