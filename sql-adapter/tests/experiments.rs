//! Experiment definitions and results in the database, against real databases: PostgreSQL (a
//! fresh database per test on the server of `DATABASE_URL`) and SQLite files. Every scenario
//! runs on both; the database's own enforcement is tested with raw SQL on each.

mod common;

use ces::lift::{Alternative, ExperimentDefinition, ExperimentResult, MdeKind, TestType, Variant};
use ces_sql::sqlx::{self, AssertSqlSafe};
use ces_sql::{
    Backend, Database, EXPERIMENT_DEFINITION_PIPELINE, EXPERIMENT_RESULTS_PIPELINE, Error,
    RunStatus,
};
use common::{PgTestDb, TempDir, exec, scalar_i64};

/// 2025-06-01T00:00:00Z in µs.
const T0: i64 = 1_748_736_000_000_000;

/// The backend's name for `schema.table` (SQLite: `schema_table`).
fn t(db: &Database, table: &str) -> String {
    match db.backend() {
        Backend::Postgres => table.to_owned(),
        _ => table.replace('.', "_"),
    }
}

async fn count(db: &Database, table: &str) -> i64 {
    scalar_i64(db, &format!("select count(*) from {}", t(db, table))).await
}

/// Rows of the three experiment tables and of `ops.runs`: what "nothing written" compares.
async fn counts(db: &Database) -> [i64; 4] {
    [
        count(db, "ces.experiments").await,
        count(db, "ces.experiment_variants").await,
        count(db, "ces.experiment_results").await,
        count(db, "ops.runs").await,
    ]
}

/// The single text column of every row of `sql`.
async fn strings(db: &Database, sql: &str) -> Vec<String> {
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(p) = db.pg_pool() {
        return sqlx::query_scalar(sql).fetch_all(p).await.unwrap();
    }
    sqlx::query_scalar(sql)
        .fetch_all(db.sqlite_pool().unwrap())
        .await
        .unwrap()
}

/// Runs `statements` in one transaction of the backend's pool and commits; the first error
/// (of a statement, or of the COMMIT) is returned and the transaction rolled back.
async fn raw_tx(db: &Database, statements: &[String]) -> Result<(), sqlx::Error> {
    if let Some(p) = db.pg_pool() {
        let mut tx = p.begin().await?;
        for s in statements {
            sqlx::query(AssertSqlSafe(s.clone()))
                .execute(&mut *tx)
                .await?;
        }
        return tx.commit().await;
    }
    let mut tx = db.sqlite_pool().unwrap().begin().await?;
    for s in statements {
        sqlx::query(AssertSqlSafe(s.clone()))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

fn variant(name: &str, is_control: bool, traffic_weight: f64) -> Variant {
    Variant {
        name: name.into(),
        is_control,
        traffic_weight,
    }
}

/// A valid two-arm conversion test.
fn definition(key: &str) -> ExperimentDefinition {
    ExperimentDefinition {
        key: key.into(),
        name: format!("Experiment {key}"),
        test_type: TestType::Conversion,
        metric: "conversion_rate".into(),
        campaign: None,
        variants: vec![
            variant("control", true, 50.0),
            variant("treatment", false, 50.0),
        ],
        confidence: 0.95,
        mde: 0.05,
        mde_kind: MdeKind::Relative,
        alternative: Alternative::TwoSided,
        start: None,
        end: None,
    }
}

/// Every field set, with weights and levels that are not short decimals.
fn full_definition(key: &str) -> ExperimentDefinition {
    let third = 100.0 / 3.0;
    ExperimentDefinition {
        key: key.into(),
        name: "Retail launch — Q3 «test»".into(),
        test_type: TestType::DiffInDiff,
        metric: "revenue_per_user".into(),
        campaign: Some("launch-2025".into()),
        variants: vec![
            variant("treatment_b", false, third),
            variant("control", true, third),
            variant("treatment_a", false, 100.0 - 2.0 * third),
        ],
        confidence: 0.1 + 0.8, // 0.9000000000000001
        mde: 1e-300,
        mde_kind: MdeKind::Absolute,
        alternative: Alternative::Larger,
        start: Some(-1), // 1969-12-31T23:59:59.999999Z
        end: Some(T0 + 123_457),
    }
}

/// A plain result row of `experiment` for `variant`.
fn result(experiment: &str, variant: &str, metric: &str, method: &str) -> ExperimentResult {
    ExperimentResult {
        experiment: experiment.into(),
        variant: variant.into(),
        metric: metric.into(),
        method: method.into(),
        interval_method: "newcomb".into(),
        n_treatment: 1000.0,
        n_control: 1000.0,
        treatment_value: 0.12,
        control_value: 0.1,
        lift: 0.12 - 0.1,
        relative_lift: Some((0.12 - 0.1) / 0.1),
        ci_low: -0.008,
        ci_high: 0.048,
        p_value: 0.16,
        significant: false,
        confidence: 0.95,
        power: Some(0.8),
    }
}

/// Rows whose floats are awkward: not short decimals, subnormal, the largest double,
/// infinite interval bounds, missing optional values.
fn awkward_results(experiment: &str) -> Vec<ExperimentResult> {
    vec![
        ExperimentResult {
            experiment: experiment.into(),
            variant: "treatment_a".into(),
            metric: "revenue_per_user".into(),
            method: "ols_cluster".into(),
            interval_method: "ols_cluster".into(),
            n_treatment: 1e15 + 1.0,
            n_control: 12_345.0,
            treatment_value: 0.1 + 0.2,
            control_value: 1.0 / 3.0,
            lift: (0.1 + 0.2) - 1.0 / 3.0,
            relative_lift: Some(f64::MIN_POSITIVE),
            ci_low: f64::NEG_INFINITY,
            ci_high: f64::MAX,
            p_value: 5e-324,
            significant: true,
            confidence: 0.1 + 0.8,
            power: Some(0.1 + 0.7),
        },
        ExperimentResult {
            experiment: experiment.into(),
            variant: "treatment_b".into(),
            metric: "revenue_per_user".into(),
            method: "welch_t".into(),
            interval_method: "welch_t".into(),
            n_treatment: 0.0,
            n_control: 7.0,
            treatment_value: -1e308,
            control_value: 2.5e-320,
            lift: -f64::MAX,
            relative_lift: None,
            ci_low: -f64::MAX,
            ci_high: f64::INFINITY,
            p_value: 1.0,
            significant: false,
            confidence: 1.0 - f64::EPSILON / 2.0,
            power: None,
        },
        ExperimentResult {
            experiment: experiment.into(),
            variant: "treatment_a".into(),
            metric: "basket_size".into(),
            method: "delta_method".into(),
            interval_method: "delta_method".into(),
            n_treatment: 3.0,
            n_control: 4.0,
            treatment_value: 0.7,
            control_value: 0.7,
            lift: 0.0,
            relative_lift: Some(0.0),
            ci_low: f64::NEG_INFINITY,
            ci_high: f64::INFINITY,
            p_value: 0.0,
            significant: true,
            confidence: f64::MIN_POSITIVE,
            power: Some(5e-324),
        },
    ]
}

/// Every float of a result row, as bits.
fn result_bits(r: &ExperimentResult) -> Vec<u64> {
    let mut v = vec![
        r.n_treatment,
        r.n_control,
        r.treatment_value,
        r.control_value,
        r.lift,
        r.ci_low,
        r.ci_high,
        r.p_value,
        r.confidence,
    ];
    v.extend(r.relative_lift);
    v.extend(r.power);
    v.into_iter().map(f64::to_bits).collect()
}

fn definition_bits(d: &ExperimentDefinition) -> Vec<u64> {
    let mut v = vec![d.confidence.to_bits(), d.mde.to_bits()];
    v.extend(d.variants.iter().map(|v| v.traffic_weight.to_bits()));
    v
}

/// `rows` in the order `load_results` returns them: variant, metric, method, interval method.
fn sorted(mut rows: Vec<ExperimentResult>) -> Vec<ExperimentResult> {
    rows.sort_by(|a, b| {
        (&a.variant, &a.metric, &a.method, &a.interval_method).cmp(&(
            &b.variant,
            &b.metric,
            &b.method,
            &b.interval_method,
        ))
    });
    rows
}

// ---------------------------------------------------------------------------------------
// Scenarios (each run on both backends below).

/// Definitions and results come back equal, every float bit for bit, variants in their
/// order; saving an unchanged definition writes nothing; every change is audited.
async fn round_trip(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let full = full_definition("exp-full");
    assert!(db.save_experiment(&full, "analyst").await.unwrap());
    let loaded = db.load_experiment("exp-full").await.unwrap().unwrap();
    assert_eq!(loaded, full);
    assert_eq!(definition_bits(&loaded), definition_bits(&full));
    assert_eq!(db.load_experiment("missing").await.unwrap(), None);

    // Unchanged: nothing written, no new audit run.
    let before = counts(&db).await;
    assert!(!db.save_experiment(&full, "someone-else").await.unwrap());
    assert_eq!(counts(&db).await, before);
    let audit = db.runs(Some(EXPERIMENT_DEFINITION_PIPELINE)).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].status, RunStatus::Completed);
    assert_eq!(audit[0].actor.as_deref(), Some("analyst"));
    assert_eq!(audit[0].input["key"], "exp-full");
    assert_eq!(audit[0].input["variants"][1]["is_control"], true);
    assert_eq!(audit[0].input["start"], "1969-12-31T23:59:59.999999Z");
    assert_eq!(audit[0].output.as_ref().unwrap()["action"], "inserted");

    // A change is written and audited with the previous version.
    let mut changed = full.clone();
    changed.name = "Renamed".into();
    changed.campaign = None;
    changed.start = None;
    assert!(db.save_experiment(&changed, "lead").await.unwrap());
    assert_eq!(
        db.load_experiment("exp-full").await.unwrap().unwrap(),
        changed
    );
    let audit = db.runs(Some(EXPERIMENT_DEFINITION_PIPELINE)).await.unwrap();
    assert_eq!(audit.len(), 2);
    let last = audit
        .iter()
        .find(|r| r.actor.as_deref() == Some("lead"))
        .unwrap();
    let output = last.output.as_ref().unwrap();
    assert_eq!(output["action"], "updated");
    assert_eq!(output["previous"]["name"], full.name.as_str());
    assert_eq!(output["previous"]["campaign"], "launch-2025");
    let updated_by = strings(
        &db,
        &format!(
            "select updated_by from {} where key = 'exp-full'",
            t(&db, "ces.experiments")
        ),
    )
    .await;
    assert_eq!(updated_by, ["lead"]);

    // Results: bit for bit, infinite bounds stored as infinities (not NULL).
    let rows = awkward_results("exp-full");
    let run = db.save_results("exp-full", &rows, "analyst").await.unwrap();
    assert_eq!(run.len(), 36);
    let back = db.load_results("exp-full", None).await.unwrap();
    let want = sorted(rows.clone());
    assert_eq!(back, want);
    for (b, w) in back.iter().zip(&want) {
        assert_eq!(result_bits(b), result_bits(w), "{}/{}", w.variant, w.metric);
    }
    assert_eq!(db.load_results("exp-full", Some(&run)).await.unwrap(), want);
    assert_eq!(
        db.load_results("exp-full", Some(&run.to_uppercase()))
            .await
            .unwrap(),
        want
    );
    let record = db.run(&run).await.unwrap();
    assert_eq!(record.pipeline, EXPERIMENT_RESULTS_PIPELINE);
    assert_eq!(record.status, RunStatus::Completed);
    assert_eq!(record.input["experiment"], "exp-full");
    assert_eq!(record.output.unwrap()["rows"], 3);
    let actors = strings(
        &db,
        &format!(
            "select distinct actor from {}",
            t(&db, "ces.experiment_results")
        ),
    )
    .await;
    assert_eq!(actors, ["analyst"]);

    // A negative zero is stored as zero (SQLite cannot hold −0; both backends agree).
    let mut zero = result("exp-full", "treatment_b", "m", "z");
    zero.lift = -0.0;
    zero.relative_lift = Some(-0.0);
    zero.ci_low = -0.0;
    let run = db
        .save_results("exp-full", std::slice::from_ref(&zero), "analyst")
        .await
        .unwrap();
    let back = db.load_results("exp-full", Some(&run)).await.unwrap();
    assert_eq!(back[0].lift.to_bits(), 0);
    assert_eq!(back[0].relative_lift.unwrap().to_bits(), 0);
    assert_eq!(back[0].ci_low.to_bits(), 0);
    assert_eq!(back, [zero]); // -0.0 == 0.0

    // Deleting an experiment deletes its variants and results (raw SQL: no API deletes).
    exec(
        &db,
        &format!(
            "delete from {} where key = 'exp-full'",
            t(&db, "ces.experiments")
        ),
    )
    .await
    .unwrap();
    assert_eq!(counts(&db).await[..3], [0, 0, 0]);
    db.close().await;
}

/// The core's rules refuse a definition before anything is written, naming the field.
async fn validation_errors(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let before = counts(&db).await;
    let refuse = |d: ExperimentDefinition| {
        let db = db.clone();
        async move { db.save_experiment(&d, "analyst").await.unwrap_err() }
    };
    let base = definition("exp-1");

    let mut d = base.clone();
    d.variants = vec![variant("control", true, 60.0), variant("b", false, 30.0)];
    let err = refuse(d).await;
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", None, Some("variants.traffic_weight"))
    );
    assert!(err.to_string().contains("90"), "{err}");
    assert!(err.to_string().contains("sum to 100"), "{err}");

    let mut d = base.clone();
    d.variants[1].is_control = true;
    let err = refuse(d).await;
    assert_eq!(err.field(), Some("variants.is_control"));
    assert!(err.to_string().contains(": 2 ("), "{err}");

    let mut d = base.clone();
    d.variants[0].is_control = false;
    let err = refuse(d).await;
    assert_eq!(err.field(), Some("variants.is_control"));
    assert!(err.to_string().contains(": 0 ("), "{err}");

    let mut d = base.clone();
    d.confidence = 1.0;
    let err = refuse(d).await;
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_value", Some("confidence"))
    );
    assert!(err.to_string().contains("`confidence`: 1 ("), "{err}");

    let mut d = base.clone();
    d.mde = 0.0;
    let err = refuse(d).await;
    assert_eq!(err.field(), Some("mde"));

    let mut d = base.clone();
    d.variants[1].name = "control".into();
    let err = refuse(d).await;
    assert_eq!((err.row(), err.field()), (Some(1), Some("variants.name")));
    assert!(err.to_string().starts_with("row 1: "), "{err}");

    let mut d = base.clone();
    d.variants[0].traffic_weight = f64::NAN;
    let err = refuse(d).await;
    assert_eq!(
        (err.row(), err.field()),
        (Some(0), Some("variants.traffic_weight"))
    );

    let mut d = base.clone();
    d.variants.truncate(1);
    d.variants[0].traffic_weight = 100.0;
    assert_eq!(refuse(d).await.field(), Some("variants"));

    let mut d = base.clone();
    d.key = "  ".into();
    assert_eq!(refuse(d).await.field(), Some("key"));

    let mut d = base.clone();
    d.start = Some(T0);
    d.end = Some(T0 - 1);
    assert_eq!(refuse(d).await.field(), Some("end"));

    let mut d = base.clone();
    d.start = Some(i64::MAX);
    assert_eq!(refuse(d).await.field(), Some("start"));

    let err = db.save_experiment(&base, " ").await.unwrap_err();
    assert_eq!(err.field(), Some("actor"));

    assert_eq!(counts(&db).await, before);
    assert!(db.list_experiments().await.unwrap().is_empty());
    db.close().await;
}

/// `save_results` writes nothing when any row is refused, and names the row, the field and
/// the value.
async fn results_all_or_nothing(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let mut def = definition("exp-1");
    def.variants = vec![
        variant("control", true, 34.0),
        variant("a", false, 33.0),
        variant("b", false, 33.0),
    ];
    db.save_experiment(&def, "analyst").await.unwrap();
    let first = db
        .save_results(
            "exp-1",
            &[result("exp-1", "a", "conversion_rate", "pooled_z")],
            "analyst",
        )
        .await
        .unwrap();
    let before = counts(&db).await;
    let good = || {
        vec![
            result("exp-1", "a", "conversion_rate", "pooled_z"),
            result("exp-1", "b", "conversion_rate", "pooled_z"),
        ]
    };

    // An unknown variant (row 1), then the control (row 1): refused in the transaction.
    let mut rows = good();
    rows[1].variant = "c".into();
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("variant"))
    );
    assert!(err.to_string().contains("\"c\""), "{err}");
    assert!(
        err.to_string().contains("\"control\", \"a\", \"b\""),
        "{err}"
    );

    let mut rows = good();
    rows[1].variant = "control".into();
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("variant")));
    assert!(err.to_string().contains("the control"), "{err}");

    // Checks before the transaction.
    let mut rows = good();
    rows[0].experiment = "exp-2".into();
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("experiment")));
    assert!(err.to_string().contains("\"exp-2\""), "{err}");

    let mut rows = good();
    rows[1].p_value = f64::NAN;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("p_value")));
    assert!(err.to_string().contains("NaN"), "{err}");

    let mut rows = good();
    rows[1].p_value = 1.5;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("p_value")));

    let mut rows = good();
    rows[0].ci_low = 0.5;
    rows[0].ci_high = 0.1;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("ci_high")));

    let mut rows = good();
    rows[0].ci_low = f64::INFINITY;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("ci_low")));

    let mut rows = good();
    rows[1].lift = f64::INFINITY;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("lift")));

    let mut rows = good();
    rows[1].relative_lift = Some(f64::NAN);
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("relative_lift")));

    let mut rows = good();
    rows[0].power = Some(-0.1);
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("power")));

    let mut rows = good();
    rows[0].confidence = 0.0;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("confidence")));

    let mut rows = good();
    rows[0].n_control = -1.0;
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(0), Some("n_control")));

    let mut rows = good();
    rows[1].method = " ".into();
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.row(), err.field()), (Some(1), Some("method")));

    let mut rows = good();
    rows.push(rows[0].clone());
    let err = db
        .save_results("exp-1", &rows, "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.row()), ("duplicate_key", Some(2)));
    assert!(matches!(err, Error::DuplicateKey { first_row: 0, .. }));

    let err = db.save_results("exp-1", &[], "analyst").await.unwrap_err();
    assert_eq!(err.field(), Some("results"));
    let err = db.save_results("exp-1", &good(), "").await.unwrap_err();
    assert_eq!(err.field(), Some("actor"));

    // An unknown experiment.
    let err = db
        .save_results("nope", &[result("nope", "a", "m", "z")], "analyst")
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("not_found", Some("key")));

    assert_eq!(counts(&db).await, before);
    assert_eq!(
        db.list_result_runs("exp-1").await.unwrap(),
        [first.as_str()]
    );
    assert_eq!(db.load_results("exp-1", None).await.unwrap().len(), 1);

    // A run id that is not a UUID; a UUID of no run.
    let err = db.load_results("exp-1", Some("latest")).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_value", Some("run_id")));
    assert!(
        db.load_results("exp-1", Some("6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10"))
            .await
            .unwrap()
            .is_empty()
    );
    // Another experiment's run gives nothing for this one.
    assert!(
        db.load_results("exp-2", Some(&first))
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await;
}

/// Saving a definition replaces its variants whole; variants with results must stay
/// non-control variants.
async fn replacing_variants(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let mut def = definition("exp-1");
    def.variants = vec![
        variant("control", true, 40.0),
        variant("b", false, 30.0),
        variant("c", false, 30.0),
    ];
    db.save_experiment(&def, "analyst").await.unwrap();

    // Fewer variants, new weights, another order, a new name.
    let mut next = def.clone();
    next.variants = vec![
        variant("d", false, 20.0),
        variant("b", false, 30.0),
        variant("control", true, 50.0),
    ];
    assert!(db.save_experiment(&next, "analyst").await.unwrap());
    assert_eq!(db.load_experiment("exp-1").await.unwrap().unwrap(), next);
    assert_eq!(count(&db, "ces.experiment_variants").await, 3);

    // Swapping the control between variants without results is fine.
    let mut swapped = next.clone();
    swapped.variants[0].is_control = true;
    swapped.variants[2].is_control = false;
    assert!(db.save_experiment(&swapped, "analyst").await.unwrap());
    assert_eq!(db.load_experiment("exp-1").await.unwrap().unwrap(), swapped);
    db.save_experiment(&next, "analyst").await.unwrap();

    // With results for "b", it can change weight but not go or become the control.
    db.save_results(
        "exp-1",
        &[result("exp-1", "b", "conversion_rate", "pooled_z")],
        "analyst",
    )
    .await
    .unwrap();
    let before = counts(&db).await;
    let mut gone = next.clone();
    gone.variants = vec![variant("d", false, 50.0), variant("control", true, 50.0)];
    let err = db.save_experiment(&gone, "analyst").await.unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_value", Some("variants"))
    );
    assert!(err.to_string().contains("\"b\""), "{err}");
    let mut control = next.clone();
    control.variants[1].is_control = true;
    control.variants[2].is_control = false;
    let err = db.save_experiment(&control, "analyst").await.unwrap_err();
    assert_eq!(
        (err.row(), err.field()),
        (Some(1), Some("variants.is_control"))
    );
    assert_eq!(counts(&db).await, before);
    assert_eq!(db.load_experiment("exp-1").await.unwrap().unwrap(), next);

    let mut reweighted = next.clone();
    reweighted.variants = vec![variant("b", false, 10.0), variant("control", true, 90.0)];
    assert!(db.save_experiment(&reweighted, "analyst").await.unwrap());
    assert_eq!(
        db.load_experiment("exp-1").await.unwrap().unwrap(),
        reweighted
    );
    assert_eq!(db.load_results("exp-1", None).await.unwrap().len(), 1);
    db.close().await;
}

/// `list_experiments` orders by key, bytewise.
async fn listing_order(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let keys = ["b", "a-9", "B", "a-10", "a", "é", "z"];
    for (i, k) in keys.iter().enumerate() {
        let mut d = definition(k);
        // Some with more variants, so variants of neighbours must not mix.
        if i % 2 == 0 {
            d.variants.push(variant(&format!("extra-{k}"), false, 0.0));
        }
        db.save_experiment(&d, "analyst").await.unwrap();
    }
    let listed = db.list_experiments().await.unwrap();
    let mut want: Vec<&str> = keys.to_vec();
    want.sort_unstable(); // bytewise
    assert_eq!(
        listed.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
        want
    );
    assert_eq!(want, ["B", "a", "a-10", "a-9", "b", "z", "é"]);
    for d in &listed {
        assert_eq!(db.load_experiment(&d.key).await.unwrap().as_ref(), Some(d));
        assert_eq!(d.name, format!("Experiment {}", d.key));
    }
    // Keys at even positions of `keys` have a third variant.
    assert_eq!(
        listed.iter().map(|d| d.variants.len()).collect::<Vec<_>>(),
        [3, 3, 2, 2, 3, 3, 2]
    );
    for d in listed.iter().filter(|d| d.variants.len() == 3) {
        assert_eq!(d.variants[2].name, format!("extra-{}", d.key));
    }
    db.close().await;
}

/// Saving results again creates a new run; `load_results` reads the latest unless told.
async fn new_runs(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let mut def = definition("exp-1");
    def.variants = vec![
        variant("control", true, 50.0),
        variant("b", false, 25.0),
        variant("a", false, 25.0),
    ];
    db.save_experiment(&def, "analyst").await.unwrap();
    db.save_experiment(&definition("exp-2"), "analyst")
        .await
        .unwrap();
    let first = vec![
        result("exp-1", "b", "conversion_rate", "pooled_z"),
        result("exp-1", "a", "conversion_rate", "pooled_z"),
    ];
    let r1 = db.save_results("exp-1", &first, "analyst").await.unwrap();
    let other = db
        .save_results(
            "exp-2",
            &[result("exp-2", "treatment", "conversion_rate", "pooled_z")],
            "analyst",
        )
        .await
        .unwrap();
    // Inputs in scrambled order; read back by variant, metric, method, interval method.
    let mut second = vec![
        result("exp-1", "b", "revenue", "welch_t"),
        result("exp-1", "a", "revenue", "welch_t"),
        result("exp-1", "b", "conversion_rate", "pooled_z"),
        result("exp-1", "a", "conversion_rate", "fisher_exact"),
        result("exp-1", "a", "conversion_rate", "pooled_z"),
        result("exp-1", "a", "conversion_rate", "pooled_z"),
    ];
    second[3].interval_method = "wald".into();
    second[4].interval_method = "wald".into();
    second[5].interval_method = "agresti_caffo".into();
    for r in &mut second {
        r.lift += 0.01;
    }
    let r2 = db.save_results("exp-1", &second, "lead").await.unwrap();
    assert_ne!(r1, r2);
    assert_eq!(
        db.list_result_runs("exp-1").await.unwrap(),
        [r1.clone(), r2.clone()]
    );
    assert_eq!(
        db.list_result_runs("exp-2").await.unwrap(),
        [other.as_str()]
    );

    let latest = db.load_results("exp-1", None).await.unwrap();
    assert_eq!(latest, sorted(second.clone()));
    let order: Vec<String> = latest
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.variant, r.metric, r.method, r.interval_method
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            "a conversion_rate fisher_exact wald",
            "a conversion_rate pooled_z agresti_caffo",
            "a conversion_rate pooled_z wald",
            "a revenue welch_t newcomb",
            "b conversion_rate pooled_z newcomb",
            "b revenue welch_t newcomb",
        ]
    );
    assert_eq!(
        db.load_results("exp-1", Some(&r1)).await.unwrap(),
        sorted(first)
    );
    assert_eq!(db.load_results("exp-2", None).await.unwrap().len(), 1);
    let runs = db.runs(Some(EXPERIMENT_RESULTS_PIPELINE)).await.unwrap();
    assert_eq!(runs.len(), 3);
    db.close().await;
}

/// Concurrent saves of one new experiment and of its results serialise: every call
/// succeeds, each write is audited, and the stored definition is one of those saved.
async fn concurrent_saves(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let defs: Vec<ExperimentDefinition> = (0..8)
        .map(|i| {
            let mut d = definition("exp-c");
            d.variants[0].traffic_weight = 50.0 + i as f64;
            d.variants[1].traffic_weight = 50.0 - i as f64;
            d
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        let (db, d) = (db.clone(), d.clone());
        tasks.push(tokio::spawn(async move {
            let wrote = db
                .save_experiment(&d, &format!("worker-{i}"))
                .await
                .unwrap();
            let run = db
                .save_results(
                    "exp-c",
                    &[result("exp-c", "treatment", "conversion_rate", "pooled_z")],
                    "worker",
                )
                .await
                .unwrap();
            (wrote, run)
        }));
    }
    let mut written = 0;
    let mut runs = Vec::new();
    for task in tasks {
        let (wrote, run) = task.await.unwrap();
        written += usize::from(wrote);
        runs.push(run);
    }
    assert_eq!(written, 8); // every definition differs from the one before it
    let stored = db.load_experiment("exp-c").await.unwrap().unwrap();
    assert!(defs.contains(&stored));
    assert_eq!(
        db.runs(Some(EXPERIMENT_DEFINITION_PIPELINE))
            .await
            .unwrap()
            .len(),
        8
    );
    let mut listed = db.list_result_runs("exp-c").await.unwrap();
    assert_eq!(listed.len(), 8);
    listed.sort();
    runs.sort();
    assert_eq!(listed, runs);
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// What the database itself enforces, through raw SQL.

fn insert_experiment_sql(db: &Database, key: &str) -> String {
    format!(
        "insert into {} (key, name, test_type, metric, confidence, mde) \
         values ('{key}', 'raw', 'conversion', 'conversion_rate', 0.95, 0.05)",
        t(db, "ces.experiments")
    )
}

fn insert_variants_sql(db: &Database, key: &str, variants: &[(&str, bool, f64)]) -> String {
    insert_variants_from(db, key, 0, variants)
}

/// Variants at positions `first`, `first + 1`, ….
fn insert_variants_from(
    db: &Database,
    key: &str,
    first: usize,
    variants: &[(&str, bool, f64)],
) -> String {
    let values: Vec<String> = variants
        .iter()
        .enumerate()
        .map(|(i, (name, control, w))| {
            format!("('{key}', '{name}', {}, {control}, {w})", first + i)
        })
        .collect();
    format!(
        "insert into {} (experiment_key, name, position, is_control, traffic_weight) values {}",
        t(db, "ces.experiment_variants"),
        values.join(", ")
    )
}

fn delete_variants_sql(db: &Database, key: &str) -> String {
    format!(
        "delete from {} where experiment_key = '{key}'",
        t(db, "ces.experiment_variants")
    )
}

fn db_message(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => panic!("not a database error: {other}"),
    }
}

fn constraint(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.constraint().map(str::to_owned),
        _ => None,
    }
}

/// PostgreSQL: the rule (two variants or more, exactly one control, weights summing to 100)
/// is checked at COMMIT, so a transaction may rewrite the variants in between; the results'
/// foreign key refuses a control or unknown variant.
async fn pg_database_enforces(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    db.save_experiment(&definition("exp-ok"), "analyst")
        .await
        .unwrap();
    let before = counts(&db).await;

    // 60 + 30: every statement succeeds, the COMMIT fails.
    let err = raw_tx(
        &db,
        &[
            insert_experiment_sql(&db, "raw"),
            insert_variants_sql(&db, "raw", &[("control", true, 60.0), ("b", false, 30.0)]),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_variants_rule_check")
    );
    assert!(db_message(&err).contains("summing to 90"), "{err}");
    // No control; a lone variant; an experiment without variants.
    for variants in [
        vec![("a", false, 50.0), ("b", false, 50.0)],
        vec![("control", true, 100.0)],
        vec![],
    ] {
        let mut sql = vec![insert_experiment_sql(&db, "raw")];
        if !variants.is_empty() {
            sql.push(insert_variants_sql(&db, "raw", &variants));
        }
        let err = raw_tx(&db, &sql).await.unwrap_err();
        assert_eq!(
            constraint(&err).as_deref(),
            Some("experiment_variants_rule_check"),
            "{variants:?}"
        );
    }
    // Replacing the variants of a stored experiment: checked at COMMIT, not in between.
    let err = raw_tx(
        &db,
        &[
            delete_variants_sql(&db, "exp-ok"),
            insert_variants_sql(
                &db,
                "exp-ok",
                &[("control", true, 50.0), ("b", false, 40.0)],
            ),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_variants_rule_check")
    );
    raw_tx(
        &db,
        &[
            delete_variants_sql(&db, "exp-ok"),
            insert_variants_sql(
                &db,
                "exp-ok",
                &[
                    ("control", true, 20.0),
                    ("x", false, 0.0),
                    ("y", false, 80.0),
                ],
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        db.load_experiment("exp-ok")
            .await
            .unwrap()
            .unwrap()
            .variants,
        [
            variant("control", true, 20.0),
            variant("x", false, 0.0),
            variant("y", false, 80.0)
        ]
    );
    // Two controls: refused at once by the partial unique index.
    let err = raw_tx(
        &db,
        &[
            delete_variants_sql(&db, "exp-ok"),
            insert_variants_sql(&db, "exp-ok", &[("control", true, 50.0), ("b", true, 50.0)]),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_variants_one_control_idx")
    );
    // A weight above 100.
    let err = raw_tx(
        &db,
        &[insert_variants_from(
            &db,
            "exp-ok",
            10,
            &[("big", false, 150.0)],
        )],
    )
    .await
    .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_variants_traffic_weight_check")
    );
    let after = counts(&db).await;
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1], 3);

    // Results: the control, an unknown variant, NaN.
    let run = db
        .save_results(
            "exp-ok",
            &[result("exp-ok", "y", "conversion_rate", "pooled_z")],
            "analyst",
        )
        .await
        .unwrap();
    let insert_result = |variant: &str, p: &str| {
        format!(
            "insert into ces.experiment_results (run_id, experiment_key, variant, metric, \
             method, interval_method, n_treatment, n_control, treatment_value, control_value, \
             lift, ci_low, ci_high, p_value, significant, confidence) values ('{run}', \
             'exp-ok', '{variant}', 'm', 'z', 'w', 1, 1, 0, 0, 0, '-Infinity', 'Infinity', \
             {p}, false, 0.95)"
        )
    };
    for v in ["control", "nope"] {
        let err = raw_tx(&db, &[insert_result(v, "0.5")]).await.unwrap_err();
        assert_eq!(
            constraint(&err).as_deref(),
            Some("experiment_results_variant_fkey"),
            "{v}"
        );
    }
    let err = raw_tx(&db, &[insert_result("x", "'NaN'")])
        .await
        .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_results_p_value_check")
    );
    raw_tx(&db, &[insert_result("x", "0.5")]).await.unwrap();
    // "x" has results now: it cannot become the control, even in raw SQL.
    let err = raw_tx(
        &db,
        &[
            delete_variants_sql(&db, "exp-ok"),
            insert_variants_sql(
                &db,
                "exp-ok",
                &[
                    ("control", false, 20.0),
                    ("x", true, 0.0),
                    ("y", false, 80.0),
                ],
            ),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        constraint(&err).as_deref(),
        Some("experiment_results_variant_fkey")
    );
    assert_eq!(count(&db, "ces.experiment_results").await, 2);
    db.close().await;
}

/// SQLite: per row checks, at most one control, weights never above 100 after a write, and
/// the whole rule whenever the experiment row is updated; a stored definition that breaks
/// the rule (possible through raw SQL) is reported when read; the results' foreign key is
/// checked at COMMIT.
async fn sqlite_database_enforces(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    db.save_experiment(&definition("exp-ok"), "analyst")
        .await
        .unwrap();
    let before = counts(&db).await;

    // More than 100: refused at once.
    let err = raw_tx(
        &db,
        &[
            insert_experiment_sql(&db, "raw"),
            insert_variants_sql(&db, "raw", &[("control", true, 60.0), ("b", false, 60.0)]),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        db_message(&err).starts_with("experiment_variants_total_check"),
        "{err}"
    );
    let err = raw_tx(
        &db,
        &[insert_variants_from(
            &db,
            "exp-ok",
            10,
            &[("c", false, 1.0)],
        )],
    )
    .await
    .unwrap_err();
    assert!(
        db_message(&err).starts_with("experiment_variants_total_check"),
        "{err}"
    );
    // Two controls.
    let err = raw_tx(
        &db,
        &[
            insert_experiment_sql(&db, "raw"),
            insert_variants_sql(&db, "raw", &[("control", true, 50.0), ("b", true, 50.0)]),
        ],
    )
    .await
    .unwrap_err();
    assert!(db_message(&err).contains("UNIQUE"), "{err}");
    // A weight above 100, a negative weight.
    for w in [150.0, -1.0] {
        let err = raw_tx(
            &db,
            &[
                insert_experiment_sql(&db, "raw"),
                insert_variants_sql(&db, "raw", &[("control", true, w)]),
            ],
        )
        .await
        .unwrap_err();
        assert!(
            db_message(&err).contains("experiment_variants_traffic_weight_check"),
            "{err}"
        );
    }
    // Updating an experiment row checks its variants: 60 + 30 is refused then.
    let err = raw_tx(
        &db,
        &[
            insert_experiment_sql(&db, "raw"),
            insert_variants_sql(&db, "raw", &[("control", true, 60.0), ("b", false, 30.0)]),
            format!(
                "update {} set name = 'x' where key = 'raw'",
                t(&db, "ces.experiments")
            ),
        ],
    )
    .await
    .unwrap_err();
    assert!(
        db_message(&err).starts_with("experiment_variants_rule_check"),
        "{err}"
    );
    assert_eq!(counts(&db).await, before);

    // Without that update SQLite keeps 60 + 30 (no deferred triggers): the adapter refuses
    // to read it, and a save through the adapter repairs it.
    raw_tx(
        &db,
        &[
            insert_experiment_sql(&db, "raw"),
            insert_variants_sql(&db, "raw", &[("control", true, 60.0), ("b", false, 30.0)]),
        ],
    )
    .await
    .unwrap();
    let err = db.load_experiment("raw").await.unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("unexpected_value", Some("variants.traffic_weight"))
    );
    assert!(err.to_string().contains("ces_experiment_variants"), "{err}");
    assert_eq!(
        db.list_experiments().await.unwrap_err().code(),
        "unexpected_value"
    );
    let repaired = definition("raw");
    assert!(db.save_experiment(&repaired, "analyst").await.unwrap());
    assert_eq!(db.load_experiment("raw").await.unwrap().unwrap(), repaired);
    let audit = db.runs(Some(EXPERIMENT_DEFINITION_PIPELINE)).await.unwrap();
    let repair = audit.iter().find(|r| r.input["key"] == "raw").unwrap();
    assert!(
        repair.output.as_ref().unwrap()["previous"]["invalid"]
            .as_str()
            .unwrap()
            .contains("sum to 100")
    );

    // Results: the control or an unknown variant fail at COMMIT (deferred foreign key).
    let run = db
        .save_results(
            "exp-ok",
            &[result("exp-ok", "treatment", "conversion_rate", "pooled_z")],
            "analyst",
        )
        .await
        .unwrap();
    let insert_result = |variant: &str| {
        format!(
            "insert into ces_experiment_results (run_id, experiment_key, variant, metric, \
             method, interval_method, n_treatment, n_control, treatment_value, control_value, \
             lift, ci_low, ci_high, p_value, significant, confidence) values ('{run}', \
             'exp-ok', '{variant}', 'm', 'z', 'w', 1, 1, 0, 0, 0, -9e999, 9e999, 0.5, 0, 0.95)"
        )
    };
    for v in ["control", "nope"] {
        let err = raw_tx(&db, &[insert_result(v)]).await.unwrap_err();
        assert!(db_message(&err).contains("FOREIGN KEY"), "{v}: {err}");
    }
    assert_eq!(count(&db, "ces.experiment_results").await, 1);
    // "treatment" has results: it cannot become the control, even in raw SQL.
    let err = raw_tx(
        &db,
        &[
            delete_variants_sql(&db, "exp-ok"),
            insert_variants_sql(
                &db,
                "exp-ok",
                &[("control", false, 50.0), ("treatment", true, 50.0)],
            ),
        ],
    )
    .await
    .unwrap_err();
    assert!(db_message(&err).contains("FOREIGN KEY"), "{err}");
    assert_eq!(
        db.load_experiment("exp-ok").await.unwrap().unwrap(),
        definition("exp-ok")
    );
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL.

#[tokio::test]
async fn pg_round_trip() {
    let t = PgTestDb::create().await;
    round_trip(&t.url).await;
}

#[tokio::test]
async fn pg_validation_errors() {
    let t = PgTestDb::create().await;
    validation_errors(&t.url).await;
}

#[tokio::test]
async fn pg_results_all_or_nothing() {
    let t = PgTestDb::create().await;
    results_all_or_nothing(&t.url).await;
}

#[tokio::test]
async fn pg_replacing_variants() {
    let t = PgTestDb::create().await;
    replacing_variants(&t.url).await;
}

#[tokio::test]
async fn pg_listing_order() {
    let t = PgTestDb::create().await;
    listing_order(&t.url).await;
}

#[tokio::test]
async fn pg_new_runs() {
    let t = PgTestDb::create().await;
    new_runs(&t.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_concurrent_saves() {
    let t = PgTestDb::create().await;
    concurrent_saves(&t.url).await;
}

#[tokio::test]
async fn pg_the_database_enforces_the_rules() {
    let t = PgTestDb::create().await;
    pg_database_enforces(&t.url).await;
}

/// Statistics are float8, infinities stored as such; the schedule is timestamptz.
#[tokio::test]
async fn pg_column_types() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let types = strings(
        &db,
        "select table_name || '.' || column_name || ' ' || data_type \
         from information_schema.columns \
         where table_schema = 'ces' and table_name like 'experiment%' \
           and column_name in ('confidence', 'mde', 'start_time', 'traffic_weight', 'ci_low', \
                               'p_value', 'run_id', 'is_control') \
         order by 1",
    )
    .await;
    assert_eq!(
        types,
        [
            "experiment_results.ci_low double precision",
            "experiment_results.confidence double precision",
            "experiment_results.p_value double precision",
            "experiment_results.run_id uuid",
            "experiment_variants.is_control boolean",
            "experiment_variants.traffic_weight double precision",
            "experiments.confidence double precision",
            "experiments.mde double precision",
            "experiments.start_time timestamp with time zone",
        ]
    );
    let full = full_definition("exp-full");
    db.save_experiment(&full, "analyst").await.unwrap();
    db.save_results("exp-full", &awkward_results("exp-full"), "analyst")
        .await
        .unwrap();
    let bounds = strings(
        &db,
        "select ci_low::text || ' ' || ci_high::text from ces.experiment_results order by id",
    )
    .await;
    assert_eq!(bounds[0], "-Infinity 1.7976931348623157e+308");
    assert_eq!(bounds[2], "-Infinity Infinity");
    let times = strings(
        &db,
        "select (start_time at time zone 'UTC')::text || ' ' || (end_time at time zone 'UTC')::text \
         from ces.experiments",
    )
    .await;
    assert_eq!(
        times,
        ["1969-12-31 23:59:59.999999 2025-06-01 00:00:00.123457"]
    );
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// SQLite (real files).

#[tokio::test]
async fn sqlite_round_trip() {
    let dir = TempDir::new();
    round_trip(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_validation_errors() {
    let dir = TempDir::new();
    validation_errors(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_results_all_or_nothing() {
    let dir = TempDir::new();
    results_all_or_nothing(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_replacing_variants() {
    let dir = TempDir::new();
    replacing_variants(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_listing_order() {
    let dir = TempDir::new();
    listing_order(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_new_runs() {
    let dir = TempDir::new();
    new_runs(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_saves() {
    let dir = TempDir::new();
    concurrent_saves(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_the_database_enforces_what_it_can() {
    let dir = TempDir::new();
    sqlite_database_enforces(&dir.sqlite_url("ces.db")).await;
}

/// SQLite stores the infinities as REAL infinities (not NULL), the schedule as INTEGER µs.
#[tokio::test]
async fn sqlite_column_types() {
    let dir = TempDir::new();
    let db = Database::connect_and_migrate(&dir.sqlite_url("ces.db"))
        .await
        .unwrap();
    db.save_experiment(&full_definition("exp-full"), "analyst")
        .await
        .unwrap();
    db.save_results("exp-full", &awkward_results("exp-full"), "analyst")
        .await
        .unwrap();
    let bounds = strings(
        &db,
        "select typeof(ci_low) || ' ' || ci_low || ' ' || ci_high \
         from ces_experiment_results order by id",
    )
    .await;
    assert_eq!(bounds[2], "real -Inf Inf");
    let times = strings(
        &db,
        "select typeof(start_time) || ' ' || start_time || ' ' || end_time from ces_experiments",
    )
    .await;
    assert_eq!(times, ["integer -1 1748736000123457"]);
    db.close().await;
}

/// Both backends store and return the same definitions and results.
#[tokio::test]
async fn pg_and_sqlite_agree() {
    let t = PgTestDb::create().await;
    let dir = TempDir::new();
    let mut out = Vec::new();
    for url in [t.url.clone(), dir.sqlite_url("ces.db")] {
        let db = Database::connect_and_migrate(&url).await.unwrap();
        db.save_experiment(&full_definition("exp-full"), "analyst")
            .await
            .unwrap();
        db.save_experiment(&definition("exp-1"), "analyst")
            .await
            .unwrap();
        db.save_results("exp-full", &awkward_results("exp-full"), "analyst")
            .await
            .unwrap();
        let defs = db.list_experiments().await.unwrap();
        let results = db.load_results("exp-full", None).await.unwrap();
        out.push((
            defs.iter().map(definition_bits).collect::<Vec<_>>(),
            defs,
            results.iter().map(result_bits).collect::<Vec<_>>(),
            results,
        ));
        db.close().await;
    }
    assert_eq!(out[0], out[1]);
}
