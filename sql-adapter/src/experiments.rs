//! Experiments in the database: the `ces::lift` core's experiment definitions (test type,
//! variants with one control and traffic weights summing to 100, confidence, minimum
//! detectable effect) and their result rows (lift, interval, p-value, method, significance),
//! stored in `ces.experiments`, `ces.experiment_variants` and `ces.experiment_results`
//! (SQLite: `ces_experiments`, …; migration 0005).
//!
//! The public API is on [`Database`]: [`Database::save_experiment`],
//! [`Database::load_experiment`], [`Database::list_experiments`], [`Database::save_results`],
//! [`Database::load_results`] and [`Database::list_result_runs`]. The checks both backends
//! share live here; the SQL of each backend is in its module below, and the code that runs it
//! is the `experiments!` macro, instantiated once per backend.
//!
//! **Floats.** Every statistic is `double precision` (SQLite REAL) and reads back bit for bit,
//! infinite interval bounds included, except that a negative zero is written as zero on both
//! backends (SQLite cannot store −0; both backends must agree). NaN is refused before
//! writing.

// Without a backend only the shared checks exist, and nothing calls them.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite")),
    allow(dead_code, unused_imports, unused_macros, unused_variables)
)]

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use ces::CesError;
use ces::lift::{Alternative, ExperimentDefinition, ExperimentResult, MdeKind, TestType, Variant};
use serde_json::{Value, json};

use crate::Database;
use crate::attribution::rfc3339;
use crate::error::{Error, Result, Row};
use crate::model::{check_key, no_nul};

/// The `pipeline` of the `ops.runs` rows [`Database::save_experiment`] records: one per save
/// that changed a definition, with the definition as `input` and the previous one in
/// `output`, so `ops.runs` holds every version.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
/// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
/// assert!(db.runs(Some(ces_sql::EXPERIMENT_DEFINITION_PIPELINE)).await?.is_empty());
/// # Ok(()) }
/// ```
pub const EXPERIMENT_DEFINITION_PIPELINE: &str = "experiment_definition";

/// The `pipeline` of the `ops.runs` rows [`Database::save_results`] records: one per save,
/// whose id is the `run_id` of the result rows it wrote.
pub const EXPERIMENT_RESULTS_PIPELINE: &str = "experiment_results";

// ---------------------------------------------------------------------------------------
// Shared, backend-independent pieces.

/// −0 as 0 (SQLite stores a negative zero as the integer 0; both backends must agree).
pub(crate) fn unsigned_zero(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

/// The fields the core's `ExperimentDefinition::validate` names, as this crate's `'static`
/// fields; a variant's index (`variants[2].name`) becomes the error's row.
fn definition_field(field: &str) -> (Row, &'static str) {
    const FIELDS: &[&str] = &[
        "key",
        "name",
        "test_type",
        "metric",
        "campaign",
        "variants",
        "variants.name",
        "variants.is_control",
        "variants.traffic_weight",
        "confidence",
        "mde",
        "mde_kind",
        "alternative",
        "start",
        "end",
    ];
    let (row, field) = match field
        .strip_prefix("variants[")
        .and_then(|rest| rest.split_once("]."))
    {
        Some((i, rest)) => (
            Row(i.parse().ok()),
            FIELDS
                .iter()
                .find(|f| f.strip_prefix("variants.") == Some(rest))
                .copied(),
        ),
        None => (Row(None), FIELDS.iter().find(|f| **f == field).copied()),
    };
    (row, field.unwrap_or("definition"))
}

/// The core's refusal of a definition as [`Error::InvalidValue`].
fn invalid_definition(e: CesError) -> Error {
    match e {
        CesError::InvalidArgument {
            field,
            value,
            reason,
            ..
        } => {
            let (row, field) = definition_field(&field);
            Error::InvalidValue {
                row,
                field,
                value,
                reason,
            }
        }
        other => Error::InvalidValue {
            row: Row(None),
            field: "definition",
            value: other.to_string(),
            reason: "the core refused the definition".into(),
        },
    }
}

fn not_blank(row: Row, field: &'static str, value: &str, reject_nul: bool) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidValue {
            row,
            field,
            value: format!("{value:?}"),
            reason: "must not be empty or blank".into(),
        });
    }
    if reject_nul {
        no_nul(row, field, value)?;
    }
    Ok(())
}

fn check_actor(actor: &str) -> Result<()> {
    not_blank(Row(None), "actor", actor, true)
}

/// Checks a definition before anything is written: the core's rules
/// ([`ExperimentDefinition::validate`]), a non-blank `actor`, no NUL in text when the backend
/// cannot store it, and a schedule within [`STORABLE_TIMES`](crate::STORABLE_TIMES).
pub(crate) fn check_definition(
    def: &ExperimentDefinition,
    actor: &str,
    reject_nul: bool,
) -> Result<()> {
    def.validate().map_err(invalid_definition)?;
    check_actor(actor)?;
    // The core's checks passed: key and metric are not blank.
    no_nul(Row(None), "key", &def.key)?;
    if reject_nul {
        no_nul(Row(None), "name", &def.name)?;
        no_nul(Row(None), "metric", &def.metric)?;
        if let Some(c) = &def.campaign {
            no_nul(Row(None), "campaign", c)?;
        }
        for (i, v) in def.variants.iter().enumerate() {
            no_nul(Row(Some(i as u64)), "variants.name", &v.name)?;
        }
    }
    for (field, t) in [("start", def.start), ("end", def.end)] {
        if let Some(us) = t
            && !(crate::STORABLE_TIMES.0..crate::STORABLE_TIMES.1).contains(&us)
        {
            return Err(Error::InvalidValue {
                row: Row(None),
                field,
                value: format!("{us} µs"),
                reason: "outside the storable instants 0001-01-01T00:00:00Z to \
                         9999-12-31T23:59:59.999999Z"
                    .into(),
            });
        }
    }
    Ok(())
}

/// The definition as JSON, for the audit trail in `ops.runs`.
pub(crate) fn definition_json(def: &ExperimentDefinition) -> Value {
    json!({
        "key": def.key,
        "name": def.name,
        "test_type": def.test_type.as_str(),
        "metric": def.metric,
        "campaign": def.campaign,
        "variants": def
            .variants
            .iter()
            .map(|v| json!({
                "name": v.name,
                "is_control": v.is_control,
                "traffic_weight": v.traffic_weight,
            }))
            .collect::<Vec<_>>(),
        "confidence": def.confidence,
        "mde": def.mde,
        "mde_kind": def.mde_kind.as_str(),
        "alternative": def.alternative.as_str(),
        "start": def.start.map(rfc3339),
        "end": def.end.map(rfc3339),
        "start_us": def.start,
        "end_us": def.end,
    })
}

/// The variants of `stored` that have results and that `def` would remove or make the
/// control: saving `def` would leave results that do not compare a treatment with the
/// control, so it is refused.
pub(crate) fn check_variants_with_results(
    def: &ExperimentDefinition,
    with_results: &[String],
    results_table: &'static str,
) -> Result<()> {
    for name in with_results {
        match def.variants.iter().position(|v| &v.name == name) {
            Some(i) if def.variants[i].is_control => {
                return Err(Error::InvalidValue {
                    row: Row(Some(i as u64)),
                    field: "variants.is_control",
                    value: format!("{name:?}"),
                    reason: format!(
                        "{results_table} holds results of this variant against the control; \
                         it cannot become the control"
                    ),
                });
            }
            Some(_) => {}
            None => {
                return Err(Error::InvalidValue {
                    row: Row(None),
                    field: "variants",
                    value: format!("{name:?}"),
                    reason: format!(
                        "{results_table} holds results of this variant; it cannot be removed"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A stored experiment row, before parsing.
pub(crate) struct StoredExperiment {
    pub key: String,
    pub name: String,
    pub test_type: String,
    pub metric: String,
    pub campaign: Option<String>,
    pub confidence: f64,
    pub mde: f64,
    pub mde_kind: String,
    pub alternative: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// A stored experiment and its variants as the core's definition, checked by its rules
/// (rows written by other tools may break them; SQLite cannot check every rule itself).
pub(crate) fn build_definition(
    tables: (&'static str, &'static str),
    e: StoredExperiment,
    variants: Vec<Variant>,
) -> Result<ExperimentDefinition> {
    let key = format!("key = {:?}", e.key);
    let unexpected = |field: &'static str, value: &str| Error::UnexpectedStored {
        table: tables.0,
        key: key.clone(),
        field,
        value: format!("{value:?}"),
    };
    let def = ExperimentDefinition {
        test_type: TestType::parse(&e.test_type)
            .ok_or_else(|| unexpected("test_type", &e.test_type))?,
        mde_kind: MdeKind::parse(&e.mde_kind).ok_or_else(|| unexpected("mde_kind", &e.mde_kind))?,
        alternative: Alternative::parse(&e.alternative)
            .ok_or_else(|| unexpected("alternative", &e.alternative))?,
        key: e.key,
        name: e.name,
        metric: e.metric,
        campaign: e.campaign,
        variants,
        confidence: e.confidence,
        mde: e.mde,
        start: e.start,
        end: e.end,
    };
    if let Err(err) = def.validate() {
        let (_, field) = err
            .field()
            .map_or((Row(None), "definition"), definition_field);
        return Err(Error::UnexpectedStored {
            table: if field.starts_with("variants") {
                tables.1
            } else {
                tables.0
            },
            key,
            field,
            value: err.to_string(),
        });
    }
    Ok(def)
}

fn finite(row: Row, field: &'static str, x: f64) -> Result<()> {
    if !x.is_finite() {
        return Err(Error::InvalidValue {
            row,
            field,
            value: x.to_string(),
            reason: "must be a finite number".into(),
        });
    }
    Ok(())
}

fn in_range(row: Row, field: &'static str, x: f64, ok: bool, what: &str) -> Result<()> {
    if !ok {
        return Err(Error::InvalidValue {
            row,
            field,
            value: x.to_string(),
            reason: format!("must be {what}"),
        });
    }
    Ok(())
}

/// Checks result rows before anything is read or written: a non-blank key and actor, at
/// least one row, each naming experiment `key`, non-blank texts, finite statistics (interval
/// bounds may be infinite, not NaN, `ci_low ≤ ci_high`), `p_value` and `power` in \[0, 1\],
/// `confidence` in (0, 1), and no two rows with the same (variant, metric, method,
/// interval method).
pub(crate) fn check_results(
    key: &str,
    results: &[ExperimentResult],
    actor: &str,
    reject_nul: bool,
    results_table: &'static str,
) -> Result<()> {
    check_key(Row(None), "key", key)?;
    check_actor(actor)?;
    if results.is_empty() {
        return Err(Error::InvalidValue {
            row: Row(None),
            field: "results",
            value: "[]".into(),
            reason: "no result rows to save".into(),
        });
    }
    let mut first: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
    for (i, r) in results.iter().enumerate() {
        let row = Row(Some(i as u64));
        if r.experiment != key {
            return Err(Error::InvalidValue {
                row,
                field: "experiment",
                value: format!("{:?}", r.experiment),
                reason: format!("the rows being saved are the results of experiment {key:?}"),
            });
        }
        not_blank(row, "variant", &r.variant, reject_nul)?;
        not_blank(row, "metric", &r.metric, reject_nul)?;
        not_blank(row, "method", &r.method, reject_nul)?;
        not_blank(row, "interval_method", &r.interval_method, reject_nul)?;
        for (field, n) in [("n_treatment", r.n_treatment), ("n_control", r.n_control)] {
            in_range(
                row,
                field,
                n,
                n.is_finite() && n >= 0.0,
                "a finite count ≥ 0",
            )?;
        }
        finite(row, "treatment_value", r.treatment_value)?;
        finite(row, "control_value", r.control_value)?;
        finite(row, "lift", r.lift)?;
        if let Some(x) = r.relative_lift {
            finite(row, "relative_lift", x)?;
        }
        in_range(
            row,
            "ci_low",
            r.ci_low,
            !r.ci_low.is_nan() && r.ci_low < f64::INFINITY,
            "a number or −∞",
        )?;
        in_range(
            row,
            "ci_high",
            r.ci_high,
            !r.ci_high.is_nan() && r.ci_high > f64::NEG_INFINITY,
            "a number or +∞",
        )?;
        if r.ci_low > r.ci_high {
            return Err(Error::InvalidValue {
                row,
                field: "ci_high",
                value: r.ci_high.to_string(),
                reason: format!("below ci_low ({})", r.ci_low),
            });
        }
        in_range(
            row,
            "p_value",
            r.p_value,
            (0.0..=1.0).contains(&r.p_value),
            "in [0, 1]",
        )?;
        in_range(
            row,
            "confidence",
            r.confidence,
            r.confidence > 0.0 && r.confidence < 1.0,
            "strictly between 0 and 1",
        )?;
        if let Some(p) = r.power {
            in_range(row, "power", p, (0.0..=1.0).contains(&p), "in [0, 1]")?;
        }
        let k = (
            r.variant.as_str(),
            r.metric.as_str(),
            r.method.as_str(),
            r.interval_method.as_str(),
        );
        match first.entry(k) {
            Entry::Occupied(e) => {
                return Err(Error::DuplicateKey {
                    table: results_table,
                    key: format!(
                        "variant {:?} / metric {:?} / method {:?} / interval_method {:?}",
                        k.0, k.1, k.2, k.3
                    ),
                    first_row: *e.get() as u64,
                    row: i as u64,
                });
            }
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    Ok(())
}

/// Checks that every row names a stored variant of the experiment that is not its control.
pub(crate) fn check_result_variants(
    key: &str,
    results: &[ExperimentResult],
    variants: &[(String, bool)],
    variants_table: &'static str,
) -> Result<()> {
    for (i, r) in results.iter().enumerate() {
        let row = Row(Some(i as u64));
        match variants.iter().find(|(n, _)| *n == r.variant) {
            None => {
                let names: Vec<String> = variants.iter().map(|(n, _)| format!("{n:?}")).collect();
                return Err(Error::InvalidValue {
                    row,
                    field: "variant",
                    value: format!("{:?}", r.variant),
                    reason: format!(
                        "experiment {key:?} has no such variant in {variants_table} (its \
                         variants: {})",
                        names.join(", ")
                    ),
                });
            }
            Some((_, true)) => {
                return Err(Error::InvalidValue {
                    row,
                    field: "variant",
                    value: format!("{:?}", r.variant),
                    reason: format!(
                        "the control of experiment {key:?}: a result row compares a \
                         treatment variant with the control"
                    ),
                });
            }
            Some((_, false)) => {}
        }
    }
    Ok(())
}

/// The field a constraint of migration 0005 guards.
fn constraint_field(constraint: &str) -> Option<&'static str> {
    let name = constraint.rsplit('.').next().unwrap_or(constraint);
    Some(match name {
        "experiments_pkey" | "experiments_key_check" => "key",
        "experiments_test_type_check" => "test_type",
        "experiments_metric_check" => "metric",
        "experiments_confidence_check" => "confidence",
        "experiments_mde_check" => "mde",
        "experiments_mde_kind_check" => "mde_kind",
        "experiments_alternative_check" => "alternative",
        "experiments_start_time_check" => "start",
        "experiments_end_time_check" | "experiments_end_time_range_check" => "end",
        "experiment_variants_pkey" | "experiment_variants_name_check" => "variants.name",
        "experiment_variants_one_control_idx"
        | "experiment_variants_is_control_check"
        | "experiment_variants_control_key" => "variants.is_control",
        "experiment_variants_traffic_weight_check" | "experiment_variants_total_check" => {
            "variants.traffic_weight"
        }
        "experiment_variants_rule_check" => "variants",
        "experiment_variants_experiment_key_fkey" | "experiment_results_experiment_key_fkey" => {
            "key"
        }
        "experiment_results_variant_fkey" | "experiment_results_variant_is_control_check" => {
            "variant"
        }
        "experiment_results_run_row_key" => "method",
        "experiment_results_metric_check" => "metric",
        "experiment_results_method_check" => "method",
        "experiment_results_interval_method_check" => "interval_method",
        "experiment_results_n_treatment_check" => "n_treatment",
        "experiment_results_n_control_check" => "n_control",
        "experiment_results_treatment_value_check" => "treatment_value",
        "experiment_results_control_value_check" => "control_value",
        "experiment_results_lift_check" => "lift",
        "experiment_results_relative_lift_check" => "relative_lift",
        "experiment_results_ci_low_check" => "ci_low",
        "experiment_results_ci_high_check" | "experiment_results_ci_check" => "ci_high",
        "experiment_results_p_value_check" => "p_value",
        "experiment_results_significant_check" => "significant",
        "experiment_results_confidence_check" => "confidence",
        "experiment_results_power_check" => "power",
        "experiment_results_run_id_fkey" => "run_id",
        _ => return None,
    })
}

/// The SQLite triggers of migration 0005 raise messages starting with these names.
const TRIGGER_CONSTRAINTS: &[&str] = &[
    "experiment_variants_total_check",
    "experiment_variants_rule_check",
];

/// Maps a driver error raised while writing `row` of `table` to a typed error: a refusal by
/// a constraint or trigger of migration 0005 is [`Error::ConstraintViolation`] naming it.
pub(crate) fn write_error(
    e: sqlx::Error,
    operation: &'static str,
    row: Row,
    table: &'static str,
) -> Error {
    let sqlx::Error::Database(db) = &e else {
        return Error::Database {
            operation,
            source: e,
        };
    };
    let message = db.message();
    // PostgreSQL names the constraint; SQLite writes it (or the columns) into the message
    // ("CHECK constraint failed: name"), and its triggers start theirs with a name.
    let constraint = db
        .constraint()
        .map(str::to_owned)
        .or_else(|| {
            TRIGGER_CONSTRAINTS
                .iter()
                .find(|t| message.starts_with(**t))
                .map(|t| (*t).to_owned())
        })
        .or_else(|| message.split_once("failed: ").map(|(_, c)| c.to_owned()));
    let constraint = match constraint {
        Some(c) => c,
        None if db.kind() != sqlx::error::ErrorKind::Other => message.to_owned(),
        None => {
            return Error::Database {
                operation,
                source: e,
            };
        }
    };
    #[allow(unused_mut)]
    let mut message = message.to_owned();
    #[cfg(feature = "postgres")]
    if let Some(detail) = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|e| e.detail())
    {
        message = format!("{message}; {detail}");
    }
    Error::ConstraintViolation {
        row,
        table,
        field: constraint_field(&constraint),
        constraint,
        message,
    }
}

// ---------------------------------------------------------------------------------------
// The public API.

/// Runs `$body` with `$p` bound to the pool of the database's backend and `$b` naming the
/// backend's module.
macro_rules! on_backend {
    ($self:ident, $b:ident, $p:ident => $body:expr) => {{
        #[cfg(feature = "postgres")]
        if let Some($p) = $self.pg_pool() {
            use $crate::experiments::postgres as $b;
            return $body;
        }
        #[cfg(feature = "sqlite")]
        if let Some($p) = $self.sqlite_pool() {
            use $crate::experiments::sqlite as $b;
            return $body;
        }
        unreachable!("a Database always has a backend")
    }};
}

impl Database {
    /// Stores an experiment definition: inserts it, or replaces the stored definition with
    /// the same key. Returns `true` when something was written, `false` when the same
    /// definition was already stored (nothing is written then).
    ///
    /// The definition is checked first by the core's rules
    /// ([`ExperimentDefinition::validate`]: a key and a metric, at least two variants with
    /// distinct non-blank names, exactly one control, weights in \[0, 100\] summing to 100
    /// (±1e-9), confidence in (0, 1), an MDE > 0, start ≤ end), then `actor` must not be
    /// blank and the schedule must be storable ([`STORABLE_TIMES`](crate::STORABLE_TIMES)).
    /// A refusal is [`Error::InvalidValue`] naming the field (`variants.traffic_weight`,
    /// `variants.is_control`, `confidence`, `mde`, …); for one variant, the error's
    /// [`row`](Error::row) is its index in `variants` (`variants.name` of row 1).
    ///
    /// In **one transaction**: the experiment row is inserted or locked; the variants are
    /// replaced whole (in the order given, which [`Database::load_experiment`] keeps); the
    /// row's fields, `updated_by` = `actor` and `updated_at` are written; and an `ops.runs`
    /// row of pipeline [`EXPERIMENT_DEFINITION_PIPELINE`] records the save (`input`: the
    /// definition; `output`: `inserted` or `updated` and the previous definition). A
    /// variant with stored results must stay a non-control variant: removing it or making it
    /// the control is [`Error::InvalidValue`] (`variants` or `variants.is_control`). Any
    /// failure writes nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::lift::{Alternative, ExperimentDefinition, MdeKind, TestType, Variant};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let variant = |name: &str, is_control, traffic_weight| Variant { name: name.into(), is_control, traffic_weight };
    /// let mut def = ExperimentDefinition {
    ///     key: "2025-q3-launch".into(),
    ///     name: "Q3 launch".into(),
    ///     test_type: TestType::Conversion,
    ///     metric: "conversion_rate".into(),
    ///     campaign: Some("launch".into()),
    ///     variants: vec![variant("control", true, 50.0), variant("new_creative", false, 50.0)],
    ///     confidence: 0.95,
    ///     mde: 0.05,
    ///     mde_kind: MdeKind::Relative,
    ///     alternative: Alternative::TwoSided,
    ///     start: None,
    ///     end: None,
    /// };
    /// assert!(db.save_experiment(&def, "analyst").await?);
    /// assert!(!db.save_experiment(&def, "analyst").await?); // unchanged
    /// assert_eq!(db.load_experiment("2025-q3-launch").await?, Some(def.clone()));
    ///
    /// def.variants[1].traffic_weight = 30.0; // 50 + 30
    /// let err = db.save_experiment(&def, "analyst").await.unwrap_err();
    /// assert_eq!((err.code(), err.field()), ("invalid_value", Some("variants.traffic_weight")));
    /// # Ok(()) }
    /// ```
    pub async fn save_experiment(
        &self,
        definition: &ExperimentDefinition,
        actor: &str,
    ) -> Result<bool> {
        on_backend!(self, b, p => b::experiments::save_experiment(p, definition, actor).await)
    }

    /// The stored definition with this key, `None` if there is none. Variants come back in
    /// the order they were saved, numbers bit for bit. A stored definition that breaks the
    /// core's rules (rows written by other tools; SQLite cannot check every rule itself, see
    /// [`Database::save_experiment`]) is [`Error::UnexpectedStored`] naming the field.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert_eq!(db.load_experiment("nope").await?, None);
    /// # Ok(()) }
    /// ```
    pub async fn load_experiment(&self, key: &str) -> Result<Option<ExperimentDefinition>> {
        on_backend!(self, b, p => b::experiments::load_experiment(p, key).await)
    }

    /// Every stored definition, ordered by key (bytewise), in one snapshot.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.list_experiments().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn list_experiments(&self) -> Result<Vec<ExperimentDefinition>> {
        on_backend!(self, b, p => b::experiments::list_experiments(p).await)
    }

    /// Stores a set of result rows of experiment `key` as a new run, and returns the run's
    /// id (an `ops.runs` UUID, lower-case text, of pipeline [`EXPERIMENT_RESULTS_PIPELINE`]).
    ///
    /// Checked before anything is written (errors name the row's index, the field and the
    /// value): a non-blank `key` and `actor`; at least one row; every row names experiment
    /// `key` (`experiment`); non-blank `variant`, `metric`, `method`, `interval_method`;
    /// counts finite and ≥ 0; values, lift and relative lift finite; `ci_low ≤ ci_high`
    /// (either may be infinite on its own side, neither NaN); `p_value` and `power` in
    /// \[0, 1\]; `confidence` in (0, 1); no two rows with the same (variant, metric,
    /// method, interval method) ([`Error::DuplicateKey`]). Then, in **one transaction** that
    /// locks the experiment against concurrent saves of its definition: the experiment must
    /// exist ([`Error::NotFound`]) and every row's `variant` must be one of its variants and
    /// not the control ([`Error::InvalidValue`] on `variant`); the run (`completed`, with
    /// `actor`) and the rows are inserted. Any failure writes nothing, run included.
    ///
    /// Saving again creates another run; earlier runs are kept (see
    /// [`Database::list_result_runs`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// use ces::lift::{Alternative, ExperimentDefinition, ExperimentResult, MdeKind, TestType, Variant};
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// let variant = |name: &str, is_control, traffic_weight| Variant { name: name.into(), is_control, traffic_weight };
    /// db.save_experiment(
    ///     &ExperimentDefinition {
    ///         key: "exp-1".into(), name: "Exp 1".into(), test_type: TestType::Conversion,
    ///         metric: "conversion_rate".into(), campaign: None,
    ///         variants: vec![variant("a", true, 50.0), variant("b", false, 50.0)],
    ///         confidence: 0.95, mde: 0.05, mde_kind: MdeKind::Relative,
    ///         alternative: Alternative::TwoSided, start: None, end: None,
    ///     },
    ///     "analyst",
    /// )
    /// .await?;
    /// let row = ExperimentResult {
    ///     experiment: "exp-1".into(), variant: "b".into(), metric: "conversion_rate".into(),
    ///     method: "pooled_z".into(), interval_method: "newcomb".into(),
    ///     n_treatment: 1000.0, n_control: 1000.0, treatment_value: 0.12, control_value: 0.1,
    ///     lift: 0.12 - 0.1, relative_lift: Some(0.2), ci_low: -0.008, ci_high: f64::INFINITY,
    ///     p_value: 0.16, significant: false, confidence: 0.95, power: None,
    /// };
    /// let run = db.save_results("exp-1", std::slice::from_ref(&row), "analyst").await?;
    /// assert_eq!(db.load_results("exp-1", None).await?, vec![row.clone()]);
    /// assert_eq!(db.list_result_runs("exp-1").await?, vec![run]);
    ///
    /// // The control is not a treatment.
    /// let err = db
    ///     .save_results("exp-1", &[ExperimentResult { variant: "a".into(), ..row }], "analyst")
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!((err.row(), err.field()), (Some(0), Some("variant")));
    /// # Ok(()) }
    /// ```
    pub async fn save_results(
        &self,
        key: &str,
        results: &[ExperimentResult],
        actor: &str,
    ) -> Result<String> {
        on_backend!(self, b, p => b::experiments::save_results(p, key, results, actor).await)
    }

    /// The result rows of experiment `key` saved by run `run_id`, or by its latest run
    /// (the last [`Database::save_results`]) when `None`; ordered by variant, metric, method
    /// and interval method (bytewise). Empty when there are none. A `run_id` that is not a
    /// UUID is [`Error::InvalidValue`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.load_results("exp-1", None).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn load_results(
        &self,
        key: &str,
        run_id: Option<&str>,
    ) -> Result<Vec<ExperimentResult>> {
        on_backend!(self, b, p => b::experiments::load_results(p, key, run_id).await)
    }

    /// The runs that saved results of experiment `key`, oldest first (the last is the one
    /// [`Database::load_results`] reads by default).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> ces_sql::Result<()> {
    /// let db = ces_sql::Database::connect_and_migrate("sqlite::memory:").await?;
    /// assert!(db.list_result_runs("exp-1").await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn list_result_runs(&self, key: &str) -> Result<Vec<String>> {
        on_backend!(self, b, p => b::experiments::list_result_runs(p, key).await)
    }
}

// ---------------------------------------------------------------------------------------
// The code both backends run, over their own SQL.

/// Generates `mod experiments` (`save_experiment`, `load_experiment`, `list_experiments`,
/// `save_results`, `load_results`, `list_result_runs`) for one backend.
///
/// The invoking module provides the table names (`EXPERIMENTS`, `VARIANTS`, `RESULTS`),
/// `REJECTS_NUL`, the instant type `DbTime` with `db_time(µs)` and `micros(t)`,
/// `begin_read`, `begin_write`, and the SQL constants named below.
macro_rules! experiments {
    ($DB:ty) => {
        pub(crate) mod experiments {
            use ces::lift::{ExperimentDefinition, ExperimentResult, Variant};
            use serde_json::json;
            use sqlx::Row as _;

            use super::{
                DbTime, EXPERIMENTS, REJECTS_NUL, RESULTS, VARIANTS, begin_read, begin_write,
                db_time, micros,
            };
            use $crate::cpa::{check_run_id, json_text};
            use $crate::error::{Error, Result, Row};
            use $crate::experiments::{
                EXPERIMENT_DEFINITION_PIPELINE, EXPERIMENT_RESULTS_PIPELINE, StoredExperiment,
                build_definition, check_definition, check_result_variants, check_results,
                check_variants_with_results, definition_json, unsigned_zero, write_error,
            };
            use $crate::repo::db_error;

            type Pool = sqlx::Pool<$DB>;
            type Conn = <$DB as sqlx::Database>::Connection;
            type DbRow = <$DB as sqlx::Database>::Row;

            fn experiment_row(r: &DbRow, op: &'static str) -> Result<StoredExperiment> {
                let start: Option<DbTime> = r.try_get(9).map_err(db_error(op))?;
                let end: Option<DbTime> = r.try_get(10).map_err(db_error(op))?;
                Ok(StoredExperiment {
                    key: r.try_get(0).map_err(db_error(op))?,
                    name: r.try_get(1).map_err(db_error(op))?,
                    test_type: r.try_get(2).map_err(db_error(op))?,
                    metric: r.try_get(3).map_err(db_error(op))?,
                    campaign: r.try_get(4).map_err(db_error(op))?,
                    confidence: r.try_get(5).map_err(db_error(op))?,
                    mde: r.try_get(6).map_err(db_error(op))?,
                    mde_kind: r.try_get(7).map_err(db_error(op))?,
                    alternative: r.try_get(8).map_err(db_error(op))?,
                    start: start.map(micros),
                    end: end.map(micros),
                })
            }

            /// `(experiment_key, variant)` of a row of `SELECT_VARIANTS` / `LIST_VARIANTS`.
            fn variant_row(r: &DbRow, op: &'static str) -> Result<(String, Variant)> {
                Ok((
                    r.try_get(0).map_err(db_error(op))?,
                    Variant {
                        name: r.try_get(1).map_err(db_error(op))?,
                        is_control: r.try_get(2).map_err(db_error(op))?,
                        traffic_weight: r.try_get(3).map_err(db_error(op))?,
                    },
                ))
            }

            /// The stored definition of `key` (unchecked parts included), read on `conn`.
            async fn stored(
                conn: &mut Conn,
                key: &str,
                experiment_sql: &'static str,
                op: &'static str,
            ) -> Result<Option<ExperimentDefinition>> {
                let Some(row) = sqlx::query(experiment_sql)
                    .bind(key)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error(op))?
                else {
                    return Ok(None);
                };
                let e = experiment_row(&row, op)?;
                let variants = sqlx::query(super::SELECT_VARIANTS)
                    .bind(key)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error(op))?
                    .iter()
                    .map(|r| variant_row(r, op).map(|(_, v)| v))
                    .collect::<Result<Vec<_>>>()?;
                build_definition((EXPERIMENTS, VARIANTS), e, variants).map(Some)
            }

            pub(crate) async fn save_experiment(
                pool: &Pool,
                def: &ExperimentDefinition,
                actor: &str,
            ) -> Result<bool> {
                const OP: &str = "save_experiment";
                check_definition(def, actor, REJECTS_NUL)?;
                let start = def.start.map(db_time);
                let end = def.end.map(db_time);
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                // Inserted (and so locked) here, or locked and read (PostgreSQL: `for
                // update`; SQLite: the write transaction holds the database).
                let inserted: Option<String> = sqlx::query_scalar(super::INSERT_EXPERIMENT)
                    .bind(def.key.as_str())
                    .bind(def.name.as_str())
                    .bind(def.test_type.as_str())
                    .bind(def.metric.as_str())
                    .bind(def.campaign.as_deref())
                    .bind(unsigned_zero(def.confidence))
                    .bind(unsigned_zero(def.mde))
                    .bind(def.mde_kind.as_str())
                    .bind(def.alternative.as_str())
                    .bind(start)
                    .bind(end)
                    .bind(actor)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), EXPERIMENTS))?;
                let previous = if inserted.is_some() {
                    None
                } else {
                    // A stored definition that breaks the rules (raw SQL) is replaced, not
                    // refused: read it leniently for the audit trail.
                    match stored(&mut tx, &def.key, super::SELECT_EXPERIMENT_FOR_UPDATE, OP).await {
                        Ok(Some(old)) if old == *def => {
                            tx.commit().await.map_err(db_error(OP))?;
                            return Ok(false);
                        }
                        Ok(old) => old.as_ref().map(definition_json),
                        Err(Error::UnexpectedStored { value, .. }) => Some(json!({ "invalid": value })),
                        Err(e) => return Err(e),
                    }
                };
                let with_results: Vec<String> = sqlx::query_scalar(super::RESULT_VARIANTS)
                    .bind(def.key.as_str())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                check_variants_with_results(def, &with_results, RESULTS)?;
                // The variants, replaced whole (PostgreSQL checks the rule at COMMIT; SQLite
                // when the experiment row is updated, below).
                sqlx::query(super::DELETE_VARIANTS)
                    .bind(def.key.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), VARIANTS))?;
                for (i, v) in def.variants.iter().enumerate() {
                    sqlx::query(super::INSERT_VARIANT)
                        .bind(def.key.as_str())
                        .bind(v.name.as_str())
                        .bind(i as i32)
                        .bind(v.is_control)
                        .bind(unsigned_zero(v.traffic_weight))
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, OP, Row(Some(i as u64)), VARIANTS))?;
                }
                sqlx::query(super::UPDATE_EXPERIMENT)
                    .bind(def.key.as_str())
                    .bind(def.name.as_str())
                    .bind(def.test_type.as_str())
                    .bind(def.metric.as_str())
                    .bind(def.campaign.as_deref())
                    .bind(unsigned_zero(def.confidence))
                    .bind(unsigned_zero(def.mde))
                    .bind(def.mde_kind.as_str())
                    .bind(def.alternative.as_str())
                    .bind(start)
                    .bind(end)
                    .bind(actor)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), EXPERIMENTS))?;
                let output = json!({
                    "action": if inserted.is_some() { "inserted" } else { "updated" },
                    "previous": previous,
                });
                sqlx::query_scalar::<_, String>(super::INSERT_RUN)
                    .bind(EXPERIMENT_DEFINITION_PIPELINE)
                    .bind(actor)
                    .bind(json_text("input", &definition_json(def))?)
                    .bind(json_text("output", &output)?)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                tx.commit()
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), VARIANTS))?;
                Ok(true)
            }

            pub(crate) async fn load_experiment(
                pool: &Pool,
                key: &str,
            ) -> Result<Option<ExperimentDefinition>> {
                const OP: &str = "load_experiment";
                let mut tx = begin_read(pool).await.map_err(db_error(OP))?;
                let def = stored(&mut tx, key, super::SELECT_EXPERIMENT, OP).await?;
                tx.commit().await.map_err(db_error(OP))?;
                Ok(def)
            }

            pub(crate) async fn list_experiments(pool: &Pool) -> Result<Vec<ExperimentDefinition>> {
                const OP: &str = "list_experiments";
                let mut tx = begin_read(pool).await.map_err(db_error(OP))?;
                let experiments = sqlx::query(super::LIST_EXPERIMENTS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                let variants = sqlx::query(super::LIST_VARIANTS)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                tx.commit().await.map_err(db_error(OP))?;
                // Both in key order (bytewise): merge.
                let variants = variants
                    .iter()
                    .map(|r| variant_row(r, OP))
                    .collect::<Result<Vec<_>>>()?;
                let mut next = 0;
                let mut out = Vec::with_capacity(experiments.len());
                for r in &experiments {
                    let e = experiment_row(r, OP)?;
                    // An orphan variant cannot exist (foreign key); skip any defensively.
                    while next < variants.len() && variants[next].0.as_str() < e.key.as_str() {
                        next += 1;
                    }
                    let mut mine = Vec::new();
                    while next < variants.len() && variants[next].0 == e.key {
                        mine.push(variants[next].1.clone());
                        next += 1;
                    }
                    out.push(build_definition((EXPERIMENTS, VARIANTS), e, mine)?);
                }
                Ok(out)
            }

            pub(crate) async fn save_results(
                pool: &Pool,
                key: &str,
                results: &[ExperimentResult],
                actor: &str,
            ) -> Result<String> {
                const OP: &str = "save_results";
                check_results(key, results, actor, REJECTS_NUL, RESULTS)?;
                let mut tx = begin_write(pool).await.map_err(db_error(OP))?;
                // Locks the experiment against a concurrent save of its definition.
                let found: Option<String> = sqlx::query_scalar(super::LOCK_EXPERIMENT)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                if found.is_none() {
                    return Err(Error::NotFound {
                        table: EXPERIMENTS,
                        field: "key",
                        value: format!("{key:?}"),
                    });
                }
                let variants: Vec<(String, bool)> = sqlx::query(super::SELECT_VARIANTS)
                    .bind(key)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error(OP))?
                    .iter()
                    .map(|r| variant_row(r, OP).map(|(_, v)| (v.name, v.is_control)))
                    .collect::<Result<_>>()?;
                check_result_variants(key, results, &variants, VARIANTS)?;
                let input = json!({ "experiment": key, "rows": results.len() });
                let output = json!({ "rows": results.len() });
                let run_id: String = sqlx::query_scalar(super::INSERT_RUN)
                    .bind(EXPERIMENT_RESULTS_PIPELINE)
                    .bind(actor)
                    .bind(json_text("input", &input)?)
                    .bind(json_text("output", &output)?)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error(OP))?;
                for (i, r) in results.iter().enumerate() {
                    sqlx::query(super::INSERT_RESULT)
                        .bind(run_id.as_str())
                        .bind(key)
                        .bind(r.variant.as_str())
                        .bind(r.metric.as_str())
                        .bind(r.method.as_str())
                        .bind(r.interval_method.as_str())
                        .bind(unsigned_zero(r.n_treatment))
                        .bind(unsigned_zero(r.n_control))
                        .bind(unsigned_zero(r.treatment_value))
                        .bind(unsigned_zero(r.control_value))
                        .bind(unsigned_zero(r.lift))
                        .bind(r.relative_lift.map(unsigned_zero))
                        .bind(unsigned_zero(r.ci_low))
                        .bind(unsigned_zero(r.ci_high))
                        .bind(unsigned_zero(r.p_value))
                        .bind(r.significant)
                        .bind(unsigned_zero(r.confidence))
                        .bind(r.power.map(unsigned_zero))
                        .bind(actor)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, OP, Row(Some(i as u64)), RESULTS))?;
                }
                tx.commit()
                    .await
                    .map_err(|e| write_error(e, OP, Row(None), RESULTS))?;
                Ok(run_id)
            }

            pub(crate) async fn load_results(
                pool: &Pool,
                key: &str,
                run_id: Option<&str>,
            ) -> Result<Vec<ExperimentResult>> {
                const OP: &str = "load_results";
                let rows = match run_id {
                    Some(id) => {
                        let id = check_run_id(id)?;
                        sqlx::query(super::LOAD_RESULTS_OF_RUN)
                            .bind(key)
                            .bind(id)
                            .fetch_all(pool)
                            .await
                    }
                    None => sqlx::query(super::LOAD_LATEST_RESULTS).bind(key).fetch_all(pool).await,
                }
                .map_err(db_error(OP))?;
                rows.iter()
                    .map(|r| {
                        Ok(ExperimentResult {
                            experiment: r.try_get(0).map_err(db_error(OP))?,
                            variant: r.try_get(1).map_err(db_error(OP))?,
                            metric: r.try_get(2).map_err(db_error(OP))?,
                            method: r.try_get(3).map_err(db_error(OP))?,
                            interval_method: r.try_get(4).map_err(db_error(OP))?,
                            n_treatment: r.try_get(5).map_err(db_error(OP))?,
                            n_control: r.try_get(6).map_err(db_error(OP))?,
                            treatment_value: r.try_get(7).map_err(db_error(OP))?,
                            control_value: r.try_get(8).map_err(db_error(OP))?,
                            lift: r.try_get(9).map_err(db_error(OP))?,
                            relative_lift: r.try_get(10).map_err(db_error(OP))?,
                            ci_low: r.try_get(11).map_err(db_error(OP))?,
                            ci_high: r.try_get(12).map_err(db_error(OP))?,
                            p_value: r.try_get(13).map_err(db_error(OP))?,
                            significant: r.try_get(14).map_err(db_error(OP))?,
                            confidence: r.try_get(15).map_err(db_error(OP))?,
                            power: r.try_get(16).map_err(db_error(OP))?,
                        })
                    })
                    .collect()
            }

            pub(crate) async fn list_result_runs(pool: &Pool, key: &str) -> Result<Vec<String>> {
                sqlx::query_scalar(super::RESULT_RUNS)
                    .bind(key)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error("list_result_runs"))
            }
        }
    };
}

/// The columns of an experiment row, in the order `experiment_row` reads them.
macro_rules! experiment_columns {
    () => {
        "key, name, test_type, metric, campaign, confidence, mde, mde_kind, alternative, \
         start_time, end_time"
    };
}

/// The columns of a result row, in the order `load_results` reads them.
macro_rules! result_columns {
    () => {
        "experiment_key, variant, metric, method, interval_method, n_treatment, n_control, \
         treatment_value, control_value, lift, relative_lift, ci_low, ci_high, p_value, \
         significant, confidence, power"
    };
}

#[cfg(feature = "postgres")]
pub(crate) mod postgres {
    //! The PostgreSQL SQL of the experiment tables.

    use sqlx::PgPool;
    use sqlx::types::chrono::{DateTime, Utc};

    pub(crate) const EXPERIMENTS: &str = "ces.experiments";
    pub(crate) const VARIANTS: &str = "ces.experiment_variants";
    pub(crate) const RESULTS: &str = "ces.experiment_results";
    /// PostgreSQL `text` cannot hold NUL: such inputs are refused before writing.
    const REJECTS_NUL: bool = true;

    type DbTime = DateTime<Utc>;

    /// An instant the adapter binds (checked storable before).
    fn db_time(us: i64) -> DbTime {
        DateTime::from_timestamp_micros(us).unwrap_or(DateTime::UNIX_EPOCH)
    }

    fn micros(t: DbTime) -> i64 {
        t.timestamp_micros()
    }

    async fn begin_write(
        pool: &PgPool,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        pool.begin().await
    }

    async fn begin_read(pool: &PgPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        pool.begin_with("begin isolation level repeatable read read only")
            .await
    }

    const INSERT_EXPERIMENT: &str = "\
insert into ces.experiments
    (key, name, test_type, metric, campaign, confidence, mde, mde_kind, alternative,
     start_time, end_time, updated_by)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
on conflict (key) do nothing
returning key";

    const SELECT_EXPERIMENT: &str = concat!(
        "select ",
        experiment_columns!(),
        " from ces.experiments where key = $1"
    );

    const SELECT_EXPERIMENT_FOR_UPDATE: &str = concat!(
        "select ",
        experiment_columns!(),
        " from ces.experiments where key = $1 for update"
    );

    const LOCK_EXPERIMENT: &str = "select key from ces.experiments where key = $1 for share";

    const LIST_EXPERIMENTS: &str = concat!(
        "select ",
        experiment_columns!(),
        " from ces.experiments order by key"
    );

    const SELECT_VARIANTS: &str = "\
select experiment_key, name, is_control, traffic_weight
from ces.experiment_variants
where experiment_key = $1
order by position";

    const LIST_VARIANTS: &str = "\
select experiment_key, name, is_control, traffic_weight
from ces.experiment_variants
order by experiment_key, position";

    const RESULT_VARIANTS: &str = "\
select distinct variant from ces.experiment_results where experiment_key = $1 order by variant";

    const DELETE_VARIANTS: &str = "delete from ces.experiment_variants where experiment_key = $1";

    const INSERT_VARIANT: &str = "\
insert into ces.experiment_variants (experiment_key, name, position, is_control, traffic_weight)
values ($1, $2, $3, $4, $5)";

    const UPDATE_EXPERIMENT: &str = "\
update ces.experiments
set name = $2, test_type = $3, metric = $4, campaign = $5, confidence = $6, mde = $7,
    mde_kind = $8, alternative = $9, start_time = $10, end_time = $11, updated_by = $12,
    updated_at = now()
where key = $1";

    const INSERT_RUN: &str = "\
insert into ops.runs (pipeline, status, actor, input, output, started_at, finished_at)
values ($1, 'completed', $2, $3::jsonb, $4::jsonb, now(), now())
returning id::text";

    const INSERT_RESULT: &str = "\
insert into ces.experiment_results
    (run_id, experiment_key, variant, metric, method, interval_method, n_treatment, n_control,
     treatment_value, control_value, lift, relative_lift, ci_low, ci_high, p_value,
     significant, confidence, power, actor, computed_at)
values ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        $19, now())";

    const LOAD_RESULTS_OF_RUN: &str = concat!(
        "select ",
        result_columns!(),
        " from ces.experiment_results where experiment_key = $1 and run_id = $2::uuid \
         order by variant, metric, method, interval_method, id"
    );

    const LOAD_LATEST_RESULTS: &str = concat!(
        "select ",
        result_columns!(),
        " from ces.experiment_results where experiment_key = $1 and run_id = \
         (select run_id from ces.experiment_results where experiment_key = $1 \
          order by id desc limit 1) \
         order by variant, metric, method, interval_method, id"
    );

    const RESULT_RUNS: &str = "\
select run_id::text from ces.experiment_results
where experiment_key = $1
group by run_id
order by max(id)";

    experiments!(sqlx::Postgres);
}

#[cfg(feature = "sqlite")]
pub(crate) mod sqlite {
    //! The SQLite SQL of the experiment tables (`ces_experiments`, …).

    use sqlx::SqlitePool;

    pub(crate) const EXPERIMENTS: &str = "ces_experiments";
    pub(crate) const VARIANTS: &str = "ces_experiment_variants";
    pub(crate) const RESULTS: &str = "ces_experiment_results";
    /// SQLite text can hold NUL: nothing to refuse.
    const REJECTS_NUL: bool = false;

    /// INTEGER microseconds since the epoch.
    type DbTime = i64;

    fn db_time(us: i64) -> DbTime {
        us
    }

    fn micros(t: DbTime) -> i64 {
        t
    }

    /// Takes the write lock up front, so two writers wait for each other.
    async fn begin_write(
        pool: &SqlitePool,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }

    async fn begin_read(
        pool: &SqlitePool,
    ) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        pool.begin().await
    }

    const INSERT_EXPERIMENT: &str = "\
insert into ces_experiments
    (key, name, test_type, metric, campaign, confidence, mde, mde_kind, alternative,
     start_time, end_time, updated_by)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
on conflict (key) do nothing
returning key";

    const SELECT_EXPERIMENT: &str = concat!(
        "select ",
        experiment_columns!(),
        " from ces_experiments where key = $1"
    );

    /// The write transaction already holds the database.
    const SELECT_EXPERIMENT_FOR_UPDATE: &str = SELECT_EXPERIMENT;

    const LOCK_EXPERIMENT: &str = "select key from ces_experiments where key = $1";

    const LIST_EXPERIMENTS: &str = concat!(
        "select ",
        experiment_columns!(),
        " from ces_experiments order by key"
    );

    const SELECT_VARIANTS: &str = "\
select experiment_key, name, is_control, traffic_weight
from ces_experiment_variants
where experiment_key = $1
order by position";

    const LIST_VARIANTS: &str = "\
select experiment_key, name, is_control, traffic_weight
from ces_experiment_variants
order by experiment_key, position";

    const RESULT_VARIANTS: &str = "\
select distinct variant from ces_experiment_results where experiment_key = $1 order by variant";

    const DELETE_VARIANTS: &str = "delete from ces_experiment_variants where experiment_key = $1";

    const INSERT_VARIANT: &str = "\
insert into ces_experiment_variants (experiment_key, name, position, is_control, traffic_weight)
values ($1, $2, $3, $4, $5)";

    // Written after the variants: the `ces_experiments_rule` trigger checks them here.
    const UPDATE_EXPERIMENT: &str = "\
update ces_experiments
set name = $2, test_type = $3, metric = $4, campaign = $5, confidence = $6, mde = $7,
    mde_kind = $8, alternative = $9, start_time = $10, end_time = $11, updated_by = $12,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
where key = $1";

    const INSERT_RUN: &str = "\
insert into ops_runs (pipeline, status, actor, input, output, started_at, finished_at)
values ($1, 'completed', $2, $3, $4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
returning id";

    const INSERT_RESULT: &str = "\
insert into ces_experiment_results
    (run_id, experiment_key, variant, metric, method, interval_method, n_treatment, n_control,
     treatment_value, control_value, lift, relative_lift, ci_low, ci_high, p_value,
     significant, confidence, power, actor, computed_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        (select started_at from ops_runs where id = $1))";

    const LOAD_RESULTS_OF_RUN: &str = concat!(
        "select ",
        result_columns!(),
        " from ces_experiment_results where experiment_key = $1 and run_id = $2 \
         order by variant, metric, method, interval_method, id"
    );

    const LOAD_LATEST_RESULTS: &str = concat!(
        "select ",
        result_columns!(),
        " from ces_experiment_results where experiment_key = $1 and run_id = \
         (select run_id from ces_experiment_results where experiment_key = $1 \
          order by id desc limit 1) \
         order by variant, metric, method, interval_method, id"
    );

    const RESULT_RUNS: &str = "\
select run_id from ces_experiment_results
where experiment_key = $1
group by run_id
order by max(id)";

    experiments!(sqlx::Sqlite);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_fields_become_static_fields() {
        assert_eq!(
            definition_field("variants[2].name"),
            (Row(Some(2)), "variants.name")
        );
        assert_eq!(
            definition_field("variants[0].traffic_weight"),
            (Row(Some(0)), "variants.traffic_weight")
        );
        assert_eq!(
            definition_field("variants.is_control"),
            (Row(None), "variants.is_control")
        );
        assert_eq!(definition_field("mde"), (Row(None), "mde"));
        assert_eq!(definition_field("weird"), (Row(None), "definition"));
    }

    #[test]
    fn negative_zero_is_written_as_zero() {
        assert_eq!(unsigned_zero(-0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(unsigned_zero(-1.5), -1.5);
        assert_eq!(unsigned_zero(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    /// Every future of the experiment API can be spawned on a multi-threaded runtime.
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    #[allow(dead_code, clippy::let_underscore_future)]
    fn futures_are_send(db: &Database, def: &ExperimentDefinition) {
        fn send<T: Send>(_: T) {}
        send(db.save_experiment(def, ""));
        send(db.load_experiment(""));
        send(db.list_experiments());
        send(db.save_results("", &[], ""));
        send(db.load_results("", None));
        send(db.list_result_runs(""));
    }
}
