//! The CPA merge in the database, against real databases: PostgreSQL (a fresh database per
//! test on the server of `DATABASE_URL`) and SQLite files. Every scenario runs on both.

mod common;

use std::str::FromStr;

use ces::cpa::{
    Date, DateRange, Decimal, EverflowRow, EverflowTable, Mapping, MergeConfig, MergeParams,
    PerformanceTable, ReadOptions, SpendRow, SpendTable, merge, read_everflow_json,
    read_mapping_csv, read_redtrack_json,
};
use ces_sql::sqlx::{self, AssertSqlSafe};
use ces_sql::{Backend, CPA_PIPELINE, Database, Error, EventLevel, RunStatus};
use common::{PgTestDb, TempDir, exec, scalar_i64};

const MAPPING_CSV: &[u8] = include_bytes!("../../tests/fixtures/cpa/internal-affiliates.csv");
const EVERFLOW_JSON: &[u8] = include_bytes!("../../tests/fixtures/cpa/everflow-entity-table.json");
const REDTRACK_JSON: &[u8] = include_bytes!("../../tests/fixtures/cpa/redtrack-report.json");

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

fn day(d: u32) -> Date {
    Date::from_ymd_opt(2025, 12, d).unwrap()
}

fn range(a: u32, b: u32) -> DateRange {
    DateRange::new(day(a), day(b)).unwrap()
}

fn money(s: &str) -> Decimal {
    ces::cpa::parse_money(s).unwrap()
}

/// Rows rendered with every amount's exact digits (`Debug` of a `Decimal` keeps its scale).
fn everflow_rows(t: &EverflowTable) -> Vec<String> {
    let mut v: Vec<String> = t.iter().map(|r| format!("{r:?}")).collect();
    v.sort();
    v
}

fn spend_rows(t: &SpendTable) -> Vec<String> {
    let mut v: Vec<String> = t.iter().map(|r| format!("{r:?}")).collect();
    v.sort();
    v
}

fn performance_rows(t: &PerformanceTable) -> Vec<String> {
    t.iter().map(|r| format!("{r:?}")).collect()
}

struct Fixtures {
    mapping: Mapping,
    everflow: EverflowTable,
    redtrack: SpendTable,
    day: Date,
}

/// The committed fixture files, read with the core's readers.
fn fixtures() -> Fixtures {
    let day = Date::from_ymd_opt(2024, 12, 2).unwrap();
    let opts = ReadOptions {
        date: Some(day),
        ..Default::default()
    };
    Fixtures {
        mapping: read_mapping_csv(MAPPING_CSV, &ReadOptions::default()).unwrap(),
        everflow: read_everflow_json(&[EVERFLOW_JSON], &ReadOptions::default()).unwrap(),
        redtrack: read_redtrack_json(&[REDTRACK_JSON], &opts).unwrap(),
        day,
    }
}

/// Source ids of the fixture mapping.
const FACEBOOK_CCW: &str = "66c79f91be26fd4634569658"; // → G2 - Meta / 1
const STEPHANIE: &str = "6807d9120ee9ffc623c1d7e5"; // → SB - Meta / 1
const FACEBOOK_EXP: &str = "67c097f0aee15ff71f3f99aa"; // → G2 - Meta / 2
const GOOGLE_CCW: &str = "62b29551c6880d00014d8c73"; // → G2 - Google / 1
const TIGRESH: &str = "68f0c0ffee00000000000001"; // not in the mapping

/// Several days of Everflow and Redtrack data over the fixture mapping: internal and
/// external affiliates, a day without conversions, stamped spend summed per day, spend on an
/// internal affiliate without Everflow rows (G2 - Google) and unmapped spend (Tigresh).
fn synthetic(days: u32) -> (EverflowTable, SpendTable) {
    let mut ef = EverflowTable::new();
    let affiliates: [(i64, &str, i64, &str); 5] = [
        (11, "G2 - Meta", 1, "CCW"),
        (12, "SB - Meta ", 1, "CCW"),
        (13, "Blue Bench Media LLC", 1, "CCW"),
        (14, "ProfitFuel", 1, "CCW"),
        (11, "G2 - Meta", 2, "EXP"),
    ];
    for d in 1..=days {
        for (k, (id, label, adv, adv_label)) in affiliates.iter().enumerate() {
            let conversions = if k == 3 && d % 3 == 0 {
                0
            } else {
                (d as i64 * 7 + k as i64 * 3) % 40 + 1
            };
            let payout = Decimal::new(conversions * 3750 + k as i64, 2);
            let revenue = Decimal::new(conversions * 5000, 2);
            ef.push(EverflowRow {
                date: day(d),
                affiliate_id: Some(*id),
                affiliate_label: label,
                advertiser_id: *adv,
                advertiser_label: adv_label,
                clicks: conversions * 13,
                conversions,
                revenue,
                payout,
                profit: None,
                currency: None,
            })
            .unwrap();
        }
    }
    let mut rt = SpendTable::new();
    for d in 1..=days {
        let stamp = |h: i64| {
            Some(day(d).and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() + h * 3600 + 5 * 3600)
        };
        let mut push = |source_id, name, stamp, clicks, cost: &str| {
            rt.push(SpendRow {
                date: day(d),
                stamp,
                source_id,
                source_name: name,
                source_alias: Some("facebook"),
                clicks,
                conversions: 1,
                cost: money(cost),
                currency: None,
            })
            .unwrap();
        };
        // Two stamped records of one day: summed into one row.
        push(FACEBOOK_CCW, "Facebook CCW", stamp(1), 900, "4000.25");
        push(FACEBOOK_CCW, "Facebook CCW", stamp(13), 623, "3825.25");
        push(
            STEPHANIE,
            "Meta CCW AWF2 Stephanie ",
            None,
            80,
            "0.30000000000000004",
        );
        push(FACEBOOK_EXP, "Facebook EXP", None, 3, "12.00");
        push(GOOGLE_CCW, "Google Ads CCW", None, 286, "312.67");
        push(TIGRESH, "Tigresh Facebook CCW", None, 118, "210.72");
    }
    (ef, rt)
}

async fn load_synthetic(db: &Database, days: u32) -> (EverflowTable, SpendTable, Mapping) {
    let mapping = read_mapping_csv(MAPPING_CSV, &ReadOptions::default()).unwrap();
    let (ef, rt) = synthetic(days);
    db.replace_mapping(&mapping).await.unwrap();
    assert_eq!(db.upsert_everflow(&ef).await.unwrap(), ef.len() as u64);
    assert_eq!(db.upsert_spend(&rt).await.unwrap(), 5 * days as u64);
    (ef, rt, mapping)
}

// ---------------------------------------------------------------------------------------
// Scenarios, each run on both backends.

/// The real fixture files survive the database: written, loaded back, equal to the files as
/// read, and merged to the same result.
async fn fixtures_round_trip(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let f = fixtures();
    assert_eq!(f.mapping.len(), 18);
    assert_eq!(f.mapping.issues.len(), 4);

    assert_eq!(db.replace_mapping(&f.mapping).await.unwrap(), 18);
    assert_eq!(db.upsert_everflow(&f.everflow).await.unwrap(), 1);
    assert_eq!(db.upsert_spend(&f.redtrack).await.unwrap(), 2);

    let mapping = db.load_mapping().await.unwrap();
    assert_eq!(mapping.entries(), f.mapping.entries());
    assert_eq!(mapping.issues, f.mapping.issues);
    // The raw cells are stored as they came: the trailing space, `n/a`.
    let m = "affiliate_mapping";
    assert_eq!(
        strings(
            &db,
            &format!("select redtrack_source from {m} where row_number = 1")
        )
        .await,
        ["Meta CCW AWF2 Stephanie "]
    );
    assert_eq!(
        strings(
            &db,
            &format!(
                "select coalesce(affiliate_label, '(null)') || ' ' || everflow_affiliate_label \
                 from {m} where redtrack_source_id = '68ae2e73d5616519ce48e5e3'"
            )
        )
        .await,
        ["(null) n/a"]
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from {m} where source_id is not null")
        )
        .await,
        14
    );

    let everflow = db.load_everflow(None).await.unwrap();
    assert_eq!(everflow_rows(&everflow), everflow_rows(&f.everflow));
    assert_eq!(everflow.get(0).revenue.to_string(), "2500.00");
    let spend = db.load_spend(None).await.unwrap();
    assert_eq!(spend_rows(&spend), spend_rows(&f.redtrack));
    assert_eq!(spend.get(0).cost.to_string(), "1240.00");
    assert_eq!(spend.get(1).cost.to_string(), "7825.50");

    // Merging what was loaded is merging the files.
    let config = MergeConfig::default();
    let direct = merge(&f.everflow, &f.redtrack, &f.mapping, &config).unwrap();
    let loaded = merge(&everflow, &spend, &mapping, &config).unwrap();
    assert_eq!(
        performance_rows(&loaded.performance),
        performance_rows(&direct.performance)
    );
    assert_eq!(loaded.diagnostics, direct.diagnostics);

    // And through run_cpa: the brief's figures, exactly.
    let r = DateRange::new(f.day, f.day).unwrap();
    let run = db.run_cpa(r, &config, "fixtures").await.unwrap();
    assert_eq!(run.rows_written, 2);
    assert_eq!(run.diagnostics, direct.diagnostics);
    let stored = db.load_performance(Some(r)).await.unwrap();
    assert_eq!(
        performance_rows(&stored),
        performance_rows(&direct.performance)
    );
    let meta = stored
        .iter()
        .find(|r| r.affiliate_label == "G2 - Meta")
        .unwrap();
    assert_eq!(
        (meta.cost.to_string(), meta.cpa.map(|c| c.to_string())),
        ("7825.50".into(), Some("313.020000000000".into()))
    );
    let google = stored
        .iter()
        .find(|r| r.affiliate_label == "G2 - Google")
        .unwrap();
    assert_eq!((google.conversions, google.cpa), (0, None));
    assert_eq!(google.cost.to_string(), "1240.00");
    db.close().await;
}

/// Amounts keep their exact digits and scale (numeric / TEXT, never floating point), dates
/// are dates.
async fn money_and_dates_exact(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let amounts = [
        "0.30000000000000004",
        "7825.50",
        "0.00",
        "0",
        "1234567890123456.123456789012",
        "0.0000000000000000000000000001",
    ];
    let mut ef = EverflowTable::new();
    let mut rt = SpendTable::new();
    for (i, a) in amounts.iter().enumerate() {
        ef.push(EverflowRow {
            date: day(1),
            affiliate_id: Some(i as i64),
            affiliate_label: "A",
            advertiser_id: 1,
            advertiser_label: "CCW",
            clicks: 0,
            conversions: 3,
            revenue: money(a),
            payout: money(a),
            profit: Some(-money(a)),
            currency: None,
        })
        .unwrap();
        rt.push(SpendRow {
            date: day(1),
            stamp: None,
            source_id: &format!("s{i}"),
            source_name: "n",
            source_alias: None,
            clicks: 0,
            conversions: 0,
            cost: money(a),
            currency: Some("usd"),
        })
        .unwrap();
    }
    db.upsert_everflow(&ef).await.unwrap();
    db.upsert_spend(&rt).await.unwrap();
    let back = db.load_everflow(None).await.unwrap();
    let got: Vec<(String, String, String)> = back
        .iter()
        .map(|r| {
            (
                r.revenue.to_string(),
                r.payout.to_string(),
                r.profit.unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = amounts
        .iter()
        .map(|a| {
            let neg = if money(a).is_zero() {
                (*a).to_owned()
            } else {
                format!("-{a}")
            };
            ((*a).to_owned(), (*a).to_owned(), neg)
        })
        .collect();
    assert_eq!(got, want);
    let costs: Vec<String> = db
        .load_spend(None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.cost.to_string())
        .collect();
    assert_eq!(costs, amounts);

    // What the database holds is the decimal text itself.
    let stats = t(&db, "everflow.daily_stats");
    let (text, kind) = match db.backend() {
        Backend::Postgres => ("revenue::text", "pg_typeof(revenue)::text"),
        _ => ("revenue", "typeof(revenue)"),
    };
    assert_eq!(
        strings(
            &db,
            &format!("select {text} from {stats} order by affiliate_id")
        )
        .await,
        amounts
    );
    let kinds = strings(&db, &format!("select distinct {kind} from {stats}")).await;
    assert_eq!(
        kinds,
        [match db.backend() {
            Backend::Postgres => "numeric",
            _ => "text",
        }]
    );
    // Dates: `date` in PostgreSQL, `YYYY-MM-DD` text in SQLite; range filters are inclusive.
    let date_text = match db.backend() {
        Backend::Postgres => {
            format!("select distinct date::text || ' ' || pg_typeof(date)::text from {stats}")
        }
        _ => format!("select distinct date || ' ' || typeof(date) from {stats}"),
    };
    assert_eq!(
        strings(&db, &date_text).await,
        [match db.backend() {
            Backend::Postgres => "2025-12-01 date",
            _ => "2025-12-01 text",
        }]
    );
    assert_eq!(db.load_everflow(Some(range(1, 1))).await.unwrap().len(), 6);
    assert_eq!(db.load_everflow(Some(range(2, 9))).await.unwrap().len(), 0);
    assert_eq!(db.load_spend(Some(range(1, 2))).await.unwrap().len(), 6);

    // A merge keeps the digits too (external: cost = payout). The two extreme amounts are
    // left out: their sum needs more than the 28 digits a decimal holds, which the core
    // refuses rather than rounds.
    exec(&db, &format!("delete from {stats} where affiliate_id >= 4"))
        .await
        .unwrap();
    let spend = t(&db, "redtrack.daily_spend");
    exec(
        &db,
        &format!("delete from {spend} where source_id in ('s4', 's5')"),
    )
    .await
    .unwrap();
    let amounts = &amounts[..4];
    let run = db
        .run_cpa(range(1, 1), &MergeConfig::default(), "exact")
        .await
        .unwrap();
    assert_eq!(run.rows_written, 1);
    let perf = db.load_performance(None).await.unwrap();
    let row = perf.get(0);
    let total: Decimal = amounts.iter().map(|a| money(a)).sum();
    assert_eq!(total.to_string(), "7825.80000000000000004");
    assert_eq!(row.cost.to_string(), total.to_string());
    assert_eq!(row.everflow_payout.to_string(), total.to_string());
    assert_eq!(row.cpa.unwrap().to_string(), "652.150000000000"); // ÷ 12 conversions
    db.close().await;
}

/// Upserts are idempotent: the same batch twice leaves the same rows and reports no change;
/// a changed value is one change.
async fn upserts_are_idempotent(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let (ef, rt, mapping) = load_synthetic(&db, 4).await;
    let first_ef = everflow_rows(&db.load_everflow(None).await.unwrap());
    let first_rt = spend_rows(&db.load_spend(None).await.unwrap());
    let stats = t(&db, "everflow.daily_stats");
    let loaded_at = |db: &Database| {
        let sql = match db.backend() {
            Backend::Postgres => format!("select max(loaded_at)::text from {stats}"),
            _ => format!("select max(loaded_at) from {stats}"),
        };
        let db = db.clone();
        async move { strings(&db, &sql).await }
    };
    let before = loaded_at(&db).await;

    assert_eq!(db.upsert_everflow(&ef).await.unwrap(), 0);
    assert_eq!(db.upsert_spend(&rt).await.unwrap(), 0);
    assert_eq!(db.replace_mapping(&mapping).await.unwrap(), 18);
    assert_eq!(
        everflow_rows(&db.load_everflow(None).await.unwrap()),
        first_ef
    );
    assert_eq!(spend_rows(&db.load_spend(None).await.unwrap()), first_rt);
    assert_eq!(
        loaded_at(&db).await,
        before,
        "unchanged rows are not rewritten"
    );
    assert_eq!(count(&db, "everflow.daily_stats").await, 20);
    assert_eq!(count(&db, "redtrack.daily_spend").await, 20);
    assert_eq!(count(&db, "affiliate_mapping").await, 18);
    assert_eq!(
        db.load_mapping().await.unwrap().entries(),
        mapping.entries()
    );

    // Stamped records of a day were summed: 4000.25 + 3825.25, 900 + 623 clicks.
    let spend = db.load_spend(Some(range(2, 2))).await.unwrap();
    let fb = spend.iter().find(|r| r.source_id == FACEBOOK_CCW).unwrap();
    assert_eq!(
        (fb.cost.to_string(), fb.clicks, fb.conversions),
        ("7825.50".into(), 1523, 2)
    );

    // One changed value: one row changed; a new scale of the same amount is a change too.
    let mut changed = EverflowTable::new();
    let mut r = ef.get(0);
    r.conversions += 1;
    changed.push(r).unwrap();
    assert_eq!(db.upsert_everflow(&changed).await.unwrap(), 1);
    assert_eq!(db.upsert_everflow(&changed).await.unwrap(), 0);
    let mut rescaled = SpendTable::new();
    let s = db.load_spend(Some(range(1, 1))).await.unwrap();
    let mut g = s.iter().find(|r| r.source_id == GOOGLE_CCW).unwrap();
    assert_eq!(g.cost.to_string(), "312.67");
    g.cost = money("312.670");
    rescaled.push(g).unwrap();
    assert_eq!(db.upsert_spend(&rescaled).await.unwrap(), 1);
    let s = db.load_spend(Some(range(1, 1))).await.unwrap();
    let g = s.iter().find(|r| r.source_id == GOOGLE_CCW).unwrap();
    assert_eq!(g.cost.to_string(), "312.670");
    db.close().await;
}

/// Bad batches are refused whole, naming the record.
async fn bad_batches_write_nothing(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let (ef, _) = synthetic(1);

    // A record without an affiliate id (the table's key).
    let mut t1 = EverflowTable::new();
    t1.push(ef.get(0)).unwrap();
    t1.push(EverflowRow {
        affiliate_id: None,
        ..ef.get(1)
    })
    .unwrap();
    let err = db.upsert_everflow(&t1).await.unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("affiliate_id"))
    );
    let stats = t(&db, "everflow.daily_stats");
    assert_eq!(
        err.to_string(),
        format!(
            "row 1: invalid value for `affiliate_id`: null (missing: {stats} is keyed by \
             (date, affiliate_id, advertiser_id))"
        )
    );
    assert_eq!(count(&db, "everflow.daily_stats").await, 0);

    // Two records with one key: identical ones are written once, different ones refused.
    let mut t2 = EverflowTable::new();
    t2.push(ef.get(0)).unwrap();
    t2.push(ef.get(0)).unwrap();
    assert_eq!(db.upsert_everflow(&t2).await.unwrap(), 1);
    t2.push(EverflowRow {
        clicks: 1,
        ..ef.get(0)
    })
    .unwrap();
    let err = db.upsert_everflow(&t2).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::DuplicateKey {
                first_row: 0,
                row: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "duplicate_key");
    assert_eq!(
        err.to_string(),
        format!(
            "{stats}: rows 0 and 2 have the same key (2025-12-01 / affiliate 11 / advertiser \
             1) but different values"
        )
    );

    // A day of one source in two currencies cannot be summed.
    let mut rt = SpendTable::new();
    let row = SpendRow {
        date: day(1),
        stamp: Some(1),
        source_id: "s1",
        source_name: "S",
        source_alias: None,
        clicks: 1,
        conversions: 0,
        cost: money("1.00"),
        currency: None,
    };
    rt.push(row).unwrap();
    rt.push(SpendRow {
        stamp: Some(2),
        currency: Some("EUR"),
        ..row
    })
    .unwrap();
    let err = db.upsert_spend(&rt).await.unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("currency"))
    );
    assert_eq!(count(&db, "redtrack.daily_spend").await, 0);

    // The database's own checks hold whoever writes.
    let err = exec(
        &db,
        &format!(
            "insert into {stats} (date, affiliate_id, affiliate_label, advertiser_id, payout) \
             values ('2025-12-01', 99, 'x', 1, '-1')"
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.as_database_error().unwrap().is_check_violation(),
        "{err}"
    );
    let err = exec(
        &db,
        &format!(
            "insert into {stats} (date, affiliate_id, affiliate_label, advertiser_id) \
             values ('2025-02-30', 99, 'x', 1)"
        ),
    )
    .await
    .unwrap_err();
    assert!(err.as_database_error().is_some(), "{err}");
    db.close().await;
}

/// run_cpa over the same inputs twice: identical rows, two completed runs; a narrower rerun
/// leaves the rows outside its range alone.
async fn run_twice(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let (ef, rt, mapping) = load_synthetic(&db, 6).await;
    let config = MergeConfig::default();
    let week = range(1, 6);

    let first = db.run_cpa(week, &config, "tester").await.unwrap();
    let rows1 = db.load_performance(Some(week)).await.unwrap();
    let second = db.run_cpa(week, &config, "tester").await.unwrap();
    let rows2 = db.load_performance(Some(week)).await.unwrap();
    assert_ne!(first.run_id, second.run_id);
    assert_eq!(first.rows_written, second.rows_written);
    assert_eq!(first.diagnostics, second.diagnostics);
    assert_eq!(performance_rows(&rows1), performance_rows(&rows2));
    assert_eq!(rows2.len() as u64, second.rows_written);
    // The same as merging in memory what the database holds (one spend row per day and
    // source), and the same money as merging the stamped records themselves.
    let stored_spend = db.load_spend(None).await.unwrap();
    let direct = merge(&ef, &stored_spend, &mapping, &config).unwrap();
    assert_eq!(
        performance_rows(&rows2),
        performance_rows(&direct.performance)
    );
    let stamped = merge(&ef, &rt, &mapping, &config).unwrap();
    assert_eq!(second.diagnostics.totals, stamped.diagnostics.totals);
    assert_eq!(
        rows2.iter().map(|r| r.spend_rows).max(),
        Some(1),
        "stamped records were summed before writing"
    );
    assert_eq!(
        stamped.performance.iter().map(|r| r.spend_rows).max(),
        Some(2)
    );

    let runs = db.runs(Some(CPA_PIPELINE)).await.unwrap();
    assert_eq!(runs.len(), 2);
    for (run, id) in runs.iter().zip([&first.run_id, &second.run_id]) {
        assert_eq!(&run.id, id);
        assert_eq!(run.status, RunStatus::Completed);
        assert_eq!(run.pipeline, "cpa");
        assert_eq!(run.actor.as_deref(), Some("tester"));
        assert_eq!(run.error, None);
        let (start, end) = (run.started_at.unwrap(), run.finished_at.unwrap());
        assert!(start <= end, "{start} {end}");
        assert_eq!(run.input["range"]["start"], "2025-12-01");
        assert_eq!(run.input["params"]["currency"], "USD");
        assert_eq!(run.input["inputs"]["everflow_rows"], 30);
        assert_eq!(run.input["inputs"]["spend_rows"], 30);
        assert_eq!(run.input["inputs"]["mapping_rows"], 18);
        let output = run.output.as_ref().unwrap();
        assert_eq!(output["rows"], second.rows_written);
        assert_eq!(
            output["totals"]["output_cost"],
            direct.diagnostics.totals.output_cost.to_string()
        );
        assert_eq!(output["findings"]["unmapped_spend"], 1);
    }
    assert_eq!(runs[1], db.run(&second.run_id).await.unwrap());
    // Every row names the run that wrote it.
    let perf = "daily_performance";
    let ids = strings(
        &db,
        &match db.backend() {
            Backend::Postgres => format!("select distinct run_id::text from {perf}"),
            _ => format!("select distinct run_id from {perf}"),
        },
    )
    .await;
    assert_eq!(ids, [second.run_id.as_str()]);

    // A narrower run replaces only its own dates.
    let third = db.run_cpa(range(3, 4), &config, "tester").await.unwrap();
    let rows3 = db.load_performance(Some(week)).await.unwrap();
    assert_eq!(performance_rows(&rows3), performance_rows(&rows2));
    let per_run = |id: &str| {
        let db = db.clone();
        let sql = match db.backend() {
            Backend::Postgres => {
                format!("select count(*) from {perf} where run_id = '{id}'::uuid")
            }
            _ => format!("select count(*) from {perf} where run_id = '{id}'"),
        };
        async move { scalar_i64(&db, &sql).await }
    };
    assert_eq!(per_run(&third.run_id).await as u64, third.rows_written);
    assert_eq!(
        per_run(&second.run_id).await as u64,
        second.rows_written - third.rows_written
    );
    assert_eq!(count(&db, "ops.runs").await, 3);
    db.close().await;
}

/// The findings are stored as events, one per finding, with their amounts, then the summary.
async fn diagnostics_are_events(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    load_synthetic(&db, 3).await;
    let run = db
        .run_cpa(range(1, 3), &MergeConfig::default(), "tester")
        .await
        .unwrap();
    let d = &run.diagnostics;
    assert_eq!(d.unmapped_spend.len(), 1);
    assert_eq!(d.unmapped_spend[0].cost.to_string(), "632.16"); // 3 × 210.72
    assert_eq!(d.malformed_mappings.len(), 4);

    let events = db.run_events(&run.run_id).await.unwrap();
    let findings = d.events();
    assert_eq!(events.len(), findings.len() + 1);
    for (e, (kind, data)) in events.iter().zip(&findings) {
        assert_eq!((e.kind.as_str(), &e.data), (*kind, data));
        assert_eq!(e.run_id, run.run_id);
    }
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));

    let unmapped = events.iter().find(|e| e.kind == "unmapped_spend").unwrap();
    assert_eq!(unmapped.level, EventLevel::Warning);
    assert_eq!(unmapped.data["source_id"], TIGRESH);
    assert_eq!(unmapped.data["cost"], "632.16");
    assert_eq!(unmapped.data["reason"], "not_in_mapping");
    assert_eq!(
        unmapped.message,
        format!(
            "Redtrack source {TIGRESH} (Tigresh Facebook CCW): 632.16 of spend on 3 row(s) \
             from 2025-12-01 to 2025-12-03 reaches no affiliate (not in mapping)"
        )
    );
    let malformed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "malformed_mapping")
        .collect();
    assert_eq!(malformed.len(), 4);
    assert!(
        malformed[0]
            .message
            .starts_with("mapping line 7: row not usable"),
        "{}",
        malformed[0].message
    );
    let no_conv = events
        .iter()
        .find(|e| e.kind == "spend_without_conversions")
        .unwrap();
    assert_eq!(no_conv.data["affiliate_label"], "G2 - Google");
    assert_eq!(no_conv.data["redtrack_cost"], "312.67");

    let summary = events.last().unwrap();
    assert_eq!(
        (summary.kind.as_str(), summary.level),
        ("summary", EventLevel::Info)
    );
    assert_eq!(summary.data["rows"], run.rows_written);
    assert_eq!(summary.data["currency"], "USD");
    assert_eq!(
        summary.data["totals"],
        serde_json::to_value(&d.totals).unwrap()
    );
    assert_eq!(
        summary.data["totals"]["unmapped_cost"], "632.16",
        "the reconciliation names the unmapped amount"
    );
    assert_eq!(summary.data["findings"]["malformed_mapping"], 4);
    db.close().await;
}

/// A failing run writes nothing but its own `failed` record: a merge the core refuses (an
/// amount in EUR merged in USD), and a write that fails after the old rows were deleted.
async fn failing_run_writes_nothing(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    load_synthetic(&db, 3).await;
    let config = MergeConfig::default();
    let ok = db.run_cpa(range(1, 3), &config, "tester").await.unwrap();
    let before = performance_rows(&db.load_performance(None).await.unwrap());
    let events_before = count(&db, "ops.run_events").await;

    // 1. A EUR row in range.
    let mut eur = EverflowTable::new();
    eur.push(EverflowRow {
        date: day(2),
        affiliate_id: Some(77),
        affiliate_label: "Euro Partner",
        advertiser_id: 1,
        advertiser_label: "CCW",
        clicks: 5,
        conversions: 1,
        revenue: money("10.00"),
        payout: money("8.00"),
        profit: Some(money("2.00")),
        currency: Some("EUR"),
    })
    .unwrap();
    db.upsert_everflow(&eur).await.unwrap();
    let err = db
        .run_cpa(range(1, 3), &config, "tester")
        .await
        .unwrap_err();
    let stats = t(&db, "everflow.daily_stats");
    match &err {
        Error::Merge { stored, source } => {
            assert_eq!(source.code(), "invalid_record");
            assert_eq!(
                stored.as_deref(),
                Some(
                    format!("{stats} (date, affiliate_id, advertiser_id) = (2025-12-02, 77, 1)")
                        .as_str()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        (err.code(), err.field()),
        ("merge_failed", Some("currency"))
    );
    assert!(err.to_string().contains("EUR"), "{err}");
    assert_eq!(
        performance_rows(&db.load_performance(None).await.unwrap()),
        before
    );
    let runs = db.runs(Some(CPA_PIPELINE)).await.unwrap();
    assert_eq!(runs.len(), 2);
    let failed = &runs[1];
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.error.as_deref(), Some(err.to_string().as_str()));
    assert_eq!(failed.output, None);
    assert_eq!(failed.input["range"]["end"], "2025-12-03");
    assert!(failed.finished_at.is_some());
    let events = db.run_events(&failed.id).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].level,
            events[0].kind.as_str(),
            &events[0].data["code"]
        ),
        (
            EventLevel::Error,
            "error",
            &serde_json::json!("merge_failed")
        )
    );
    // Outside the EUR row's date the merge is fine.
    db.run_cpa(range(3, 3), &config, "tester").await.unwrap();
    let after_day3 = performance_rows(&db.load_performance(None).await.unwrap());
    assert_eq!(after_day3, before, "same inputs on day 3, same rows");
    // A merge in EUR refuses the USD rows the same way.
    let in_eur = MergeParams {
        currency: "EUR".into(),
        ..Default::default()
    }
    .check()
    .unwrap();
    assert_eq!(
        db.run_cpa(range(1, 1), &in_eur, "tester")
            .await
            .unwrap_err()
            .code(),
        "merge_failed"
    );
    exec(&db, &format!("delete from {stats} where affiliate_id = 77"))
        .await
        .unwrap();

    // 2. A write that fails inside the transaction, after the range was deleted: a rule the
    // user added refuses one of the merged rows.
    let perf = "daily_performance";
    match db.backend() {
        Backend::Postgres => exec(
            &db,
            &format!(
                "alter table {perf} add constraint no_blue_bench \
                 check (affiliate_label <> 'Blue Bench Media LLC') not valid"
            ),
        )
        .await
        .unwrap(),
        _ => exec(
            &db,
            &format!(
                "create trigger no_blue_bench before insert on {perf} \
                 when new.affiliate_label = 'Blue Bench Media LLC' \
                 begin select raise(abort, 'no_blue_bench'); end"
            ),
        )
        .await
        .unwrap(),
    };
    let runs_before = db.runs(None).await.unwrap().len();
    let events_mid = count(&db, "ops.run_events").await;
    let err = db
        .run_cpa(range(1, 3), &config, "tester")
        .await
        .unwrap_err();
    assert!(
        ["constraint_violation", "database_error"].contains(&err.code()),
        "{err:?}"
    );
    assert!(err.to_string().contains("no_blue_bench"), "{err}");
    assert_eq!(
        performance_rows(&db.load_performance(None).await.unwrap()),
        before,
        "the delete was rolled back with the failed insert"
    );
    let runs = db.runs(None).await.unwrap();
    assert_eq!(runs.len(), runs_before + 1, "only the failed run was added");
    assert_eq!(runs.last().unwrap().status, RunStatus::Failed);
    assert!(runs.iter().all(|r| r.status != RunStatus::Running));
    assert_eq!(
        count(&db, "ops.run_events").await,
        events_mid + 1,
        "the rolled-back run's events are gone; the failure has one"
    );
    assert!(events_mid > events_before);

    // Without the rule the run goes through again, and the first run's rows are replaced.
    match db.backend() {
        Backend::Postgres => exec(
            &db,
            &format!("alter table {perf} drop constraint no_blue_bench"),
        )
        .await
        .unwrap(),
        _ => exec(&db, "drop trigger no_blue_bench").await.unwrap(),
    };
    let again = db.run_cpa(range(1, 3), &config, "tester").await.unwrap();
    assert_eq!(again.rows_written, ok.rows_written);
    assert_eq!(
        performance_rows(&db.load_performance(None).await.unwrap()),
        before
    );

    // Bad arguments are refused before anything is read or written.
    let n = db.runs(None).await.unwrap().len();
    let err = db.run_cpa(range(1, 3), &config, " ").await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_value", Some("actor")));
    assert_eq!(db.runs(None).await.unwrap().len(), n);
    db.close().await;
}

/// More rows than one bulk statement holds, on every write.
async fn large(url: &str, days: u32, affiliates: i64) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let mapping = read_mapping_csv(MAPPING_CSV, &ReadOptions::default()).unwrap();
    db.replace_mapping(&mapping).await.unwrap();
    let mut ef = EverflowTable::new();
    let labels: Vec<String> = (0..affiliates)
        .map(|a| format!("Affiliate {a:05}"))
        .collect();
    for d in 1..=days {
        for (a, label) in labels.iter().enumerate() {
            let a = a as i64;
            let conversions = (a + d as i64) % 5;
            ef.push(EverflowRow {
                date: day(d),
                affiliate_id: Some(1000 + a),
                affiliate_label: label,
                advertiser_id: 1 + a % 2,
                advertiser_label: if a % 2 == 0 { "CCW" } else { "EXP" },
                clicks: a,
                conversions,
                revenue: Decimal::new(a * 101 + 1, 2),
                payout: Decimal::new(a * 37, 2),
                profit: Some(Decimal::new(a * 64 + 1, 2)),
                currency: None,
            })
            .unwrap();
        }
    }
    let mut rt = SpendTable::new();
    let ids: Vec<String> = (0..affiliates).map(|a| format!("src{a:06}")).collect();
    for d in 1..=days {
        for (a, id) in ids.iter().enumerate() {
            rt.push(SpendRow {
                date: day(d),
                stamp: None,
                source_id: id,
                source_name: "unmapped",
                source_alias: None,
                clicks: 1,
                conversions: 0,
                cost: Decimal::new(a as i64 + 1, 3),
                currency: None,
            })
            .unwrap();
        }
    }
    let t0 = std::time::Instant::now();
    assert_eq!(db.upsert_everflow(&ef).await.unwrap(), ef.len() as u64);
    let t_ef = t0.elapsed();
    assert_eq!(db.upsert_spend(&rt).await.unwrap(), rt.len() as u64);
    assert_eq!(db.upsert_everflow(&ef).await.unwrap(), 0);
    let t1 = std::time::Instant::now();
    let run = db
        .run_cpa(range(1, days), &MergeConfig::default(), "bulk")
        .await
        .unwrap();
    let t_run = t1.elapsed();
    eprintln!(
        "{:?}: upsert_everflow {} rows in {:?} ({:.0} rows/s); run_cpa {} rows in {:?}",
        db.backend(),
        ef.len(),
        t_ef,
        ef.len() as f64 / t_ef.as_secs_f64(),
        run.rows_written,
        t_run
    );
    assert_eq!(run.rows_written, ef.len() as u64);
    assert_eq!(count(&db, "daily_performance").await, ef.len() as i64);
    let stored = db.load_performance(None).await.unwrap();
    let direct = merge(&ef, &rt, &mapping, &MergeConfig::default()).unwrap();
    assert_eq!(
        performance_rows(&stored),
        performance_rows(&direct.performance)
    );
    assert_eq!(
        run.diagnostics.unmapped_spend.len(),
        affiliates as usize,
        "every source is unmapped"
    );
    assert_eq!(
        db.load_everflow(None).await.unwrap().len(),
        ef.len(),
        "loaded back whole"
    );
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL.

#[tokio::test]
async fn pg_fixtures_round_trip() {
    let t = PgTestDb::create().await;
    fixtures_round_trip(&t.url).await;
}

#[tokio::test]
async fn pg_money_and_dates_exact() {
    let t = PgTestDb::create().await;
    money_and_dates_exact(&t.url).await;
}

#[tokio::test]
async fn pg_upserts_are_idempotent() {
    let t = PgTestDb::create().await;
    upserts_are_idempotent(&t.url).await;
}

#[tokio::test]
async fn pg_bad_batches_write_nothing() {
    let t = PgTestDb::create().await;
    bad_batches_write_nothing(&t.url).await;
}

#[tokio::test]
async fn pg_run_twice() {
    let t = PgTestDb::create().await;
    run_twice(&t.url).await;
}

#[tokio::test]
async fn pg_diagnostics_are_events() {
    let t = PgTestDb::create().await;
    diagnostics_are_events(&t.url).await;
}

#[tokio::test]
async fn pg_failing_run_writes_nothing() {
    let t = PgTestDb::create().await;
    failing_run_writes_nothing(&t.url).await;
}

/// More than one 10 000-row statement per write.
#[tokio::test]
async fn pg_large() {
    let t = PgTestDb::create().await;
    large(&t.url, 5, 4_321).await;
}

/// The column types PostgreSQL reports: dates are `date`, money `numeric`, ids `uuid`,
/// JSON `jsonb`.
#[tokio::test]
async fn pg_column_types() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let got = strings(
        &db,
        "select table_schema || '.' || table_name || '.' || column_name || ' ' || data_type \
                || ' ' || is_nullable \
         from information_schema.columns \
         where (table_schema, table_name) in (('ops', 'runs'), ('ops', 'run_events'), \
               ('everflow', 'daily_stats'), ('redtrack', 'daily_spend'), \
               ('public', 'affiliate_mapping'), ('public', 'daily_performance')) \
           and (data_type in ('date', 'numeric', 'uuid', 'jsonb', 'character', \
                'timestamp with time zone', 'boolean') or column_name = 'advertiser_id') \
         order by 1",
    )
    .await;
    assert_eq!(
        got,
        [
            "everflow.daily_stats.advertiser_id bigint NO",
            "everflow.daily_stats.currency character NO",
            "everflow.daily_stats.date date NO",
            "everflow.daily_stats.loaded_at timestamp with time zone NO",
            "everflow.daily_stats.payout numeric NO",
            "everflow.daily_stats.profit numeric NO",
            "everflow.daily_stats.revenue numeric NO",
            "ops.run_events.created_at timestamp with time zone NO",
            "ops.run_events.data jsonb NO",
            "ops.run_events.run_id uuid NO",
            "ops.runs.created_at timestamp with time zone NO",
            "ops.runs.finished_at timestamp with time zone YES",
            "ops.runs.id uuid NO",
            "ops.runs.input jsonb NO",
            "ops.runs.output jsonb YES",
            "ops.runs.started_at timestamp with time zone YES",
            "public.affiliate_mapping.advertiser_id bigint YES",
            "public.affiliate_mapping.issues jsonb NO",
            "public.affiliate_mapping.loaded_at timestamp with time zone NO",
            "public.daily_performance.advertiser_id bigint NO",
            "public.daily_performance.cost numeric NO",
            "public.daily_performance.cpa numeric YES",
            "public.daily_performance.currency character NO",
            "public.daily_performance.date date NO",
            "public.daily_performance.everflow_payout numeric NO",
            "public.daily_performance.everflow_revenue numeric NO",
            "public.daily_performance.is_internal boolean NO",
            "public.daily_performance.redtrack_cost numeric NO",
            "public.daily_performance.run_id uuid NO",
            "redtrack.daily_spend.cost numeric NO",
            "redtrack.daily_spend.currency character NO",
            "redtrack.daily_spend.date date NO",
            "redtrack.daily_spend.loaded_at timestamp with time zone NO",
        ]
    );
    // Plain names work: the two output tables are in `public`.
    assert_eq!(
        scalar_i64(&db, "select count(*) from daily_performance").await,
        0
    );
    assert_eq!(
        scalar_i64(&db, "select count(*) from affiliate_mapping").await,
        0
    );
    // A CPA without conversions must be NULL, and with conversions must not be.
    let run = strings(
        &db,
        "insert into ops.runs (pipeline) values ('cpa') returning id::text",
    )
    .await;
    let err = exec(
        &db,
        &format!(
            "insert into daily_performance values ('2025-12-01', 1, 'CCW', 'A', true, 0, 0, \
             0, 0, 0, 0, 5, 0, 1, 0, 'USD', '{}')",
            run[0]
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.as_database_error().unwrap().constraint(),
        Some("daily_performance_cpa_check")
    );
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// SQLite (real files).

#[tokio::test]
async fn sqlite_fixtures_round_trip() {
    let dir = TempDir::new();
    fixtures_round_trip(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_money_and_dates_exact() {
    let dir = TempDir::new();
    money_and_dates_exact(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_upserts_are_idempotent() {
    let dir = TempDir::new();
    upserts_are_idempotent(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_bad_batches_write_nothing() {
    let dir = TempDir::new();
    bad_batches_write_nothing(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_run_twice() {
    let dir = TempDir::new();
    run_twice(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_diagnostics_are_events() {
    let dir = TempDir::new();
    diagnostics_are_events(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_failing_run_writes_nothing() {
    let dir = TempDir::new();
    failing_run_writes_nothing(&dir.sqlite_url("ces.db")).await;
}

/// More than one 1 000-row statement per write.
#[tokio::test]
async fn sqlite_large() {
    let dir = TempDir::new();
    large(&dir.sqlite_url("ces.db"), 3, 1_234).await;
}

/// SQLite stores money as TEXT and never as REAL, and run ids as UUID text.
#[tokio::test]
async fn sqlite_storage_classes() {
    let dir = TempDir::new();
    let db = Database::connect_and_migrate(&dir.sqlite_url("ces.db"))
        .await
        .unwrap();
    load_synthetic(&db, 2).await;
    let run = db
        .run_cpa(range(1, 2), &MergeConfig::default(), "tester")
        .await
        .unwrap();
    assert_eq!(
        strings(
            &db,
            "select distinct typeof(cost) || typeof(everflow_revenue) || typeof(cpa) || \
             typeof(date) from daily_performance where cpa is not null"
        )
        .await,
        ["texttexttexttext"]
    );
    assert!(
        run.run_id.len() == 36 && run.run_id.chars().nth(14) == Some('4'),
        "{}",
        run.run_id
    );
    assert_eq!(
        RunStatus::from_str("completed").unwrap(),
        RunStatus::Completed
    );
    // Text that is not a plain decimal (scientific notation, a currency sign) is refused.
    let err = exec(
        &db,
        "update redtrack_daily_spend set cost = '1.5e3' where source_id = 'x' or 1",
    )
    .await
    .unwrap_err();
    assert!(err.as_database_error().is_some(), "{err}");
    db.close().await;
}

/// The whole merge written in PostgreSQL SQL over the stored inputs: its rows must equal the
/// rows `run_cpa` stored, every one, CPA digits included (PostgreSQL's `round(numeric, 12)`
/// is the anchor for the CPA rounding). Several hundred seeded keys, with labels that need
/// normalising, unmapped and conflicting sources, zero conversions, spend without Everflow
/// rows, and quotients that are exactly half way at the 13th place (cost in odd cents over
/// 2,048 conversions).
#[tokio::test]
async fn pg_merge_equals_the_same_merge_in_postgresql() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let mut rng = ces::rng::Rng::new(20251124);
    let labels = [
        "Alpha",
        "Beta  Media",
        " Gamma ",
        "Delta",
        "Epsilon LLC",
        "Zeta",
        "Eta",
        "Theta",
    ];
    let conversions = [0i64, 1, 2, 3, 7, 8, 64, 125, 2048, 4096];
    let mut everflow = EverflowTable::new();
    for d in 1..=20u32 {
        for (a, label) in labels.iter().enumerate() {
            for adv in 1..=3i64 {
                if !rng.chance(0.8) {
                    continue;
                }
                let cents = rng.below(5_000_000) as i64 * 2 + 1; // odd cents
                everflow
                    .push(EverflowRow {
                        date: day(d),
                        affiliate_id: Some(a as i64 + 100),
                        affiliate_label: label,
                        advertiser_id: adv,
                        advertiser_label: "Adv",
                        clicks: rng.below(1000) as i64,
                        conversions: *rng.pick(&conversions),
                        revenue: Decimal::new(cents * 3, 2),
                        payout: Decimal::new(cents, 2),
                        profit: Some(Decimal::new(cents * 2, 2)),
                        currency: None,
                    })
                    .unwrap();
            }
        }
    }
    // Sources s0..s11: s0..s8 mapped (several to one affiliate), s9 mapped twice with
    // different targets (conflict), s10 n/a, s11 not in the mapping.
    let mut csv = String::from(
        "redtrack.source,redtrack.source_alias,redtrack.source_id,everflow.affiliate_id,\
         everflow.affiliate_label,everflow.advertiser_id,everflow.advertiser_label\n",
    );
    for s in 0..9 {
        csv.push_str(&format!(
            "S{s},facebook,s{s},1,{},{},Adv\n",
            labels[s % 4].trim(),
            s % 3 + 1
        ));
    }
    csv.push_str("S9,google,s9,1,Zeta,1,Adv\nS9 again,google,s9,1,Eta,1,Adv\n");
    csv.push_str("S10,google,s10,n/a,n/a,n/a,n/a\n");
    let mapping = read_mapping_csv(csv.as_bytes(), &ReadOptions::default()).unwrap();
    let mut spend = SpendTable::new();
    for d in 1..=22u32 {
        for s in 0..12 {
            if !rng.chance(0.7) {
                continue;
            }
            let id = format!("s{s}");
            spend
                .push(SpendRow {
                    date: day(d),
                    stamp: None,
                    source_id: &id,
                    source_name: &id,
                    source_alias: None,
                    clicks: rng.below(500) as i64,
                    conversions: 0,
                    cost: Decimal::new(rng.below(900_000) as i64 * 2 + 1, 2),
                    currency: None,
                })
                .unwrap();
        }
    }
    db.upsert_everflow(&everflow).await.unwrap();
    db.upsert_spend(&spend).await.unwrap();
    db.replace_mapping(&mapping).await.unwrap();
    let run = db
        .run_cpa(range(1, 22), &MergeConfig::default(), "test")
        .await
        .unwrap();
    assert!(run.rows_written > 300, "{} rows", run.rows_written);
    let anchor = r"
        with m as (
            select source_id, min(affiliate_label) as label, min(advertiser_id) as adv
            from public.affiliate_mapping where source_id is not null
            group by source_id having count(distinct (affiliate_label, advertiser_id)) = 1
        ),
        pairs as (
            select distinct affiliate_label as label, advertiser_id as adv
            from public.affiliate_mapping where source_id is not null
        ),
        spend as (
            select s.date, m.adv, m.label, sum(s.cost) as cost
            from redtrack.daily_spend s join m on m.source_id = s.source_id
            where s.date between '2025-12-01' and '2025-12-22' group by 1, 2, 3
        ),
        ev as (
            select date, advertiser_id as adv,
                   regexp_replace(btrim(affiliate_label), '\s+', ' ', 'g') as label,
                   sum(conversions) as conv, sum(payout) as payout
            from everflow.daily_stats
            where date between '2025-12-01' and '2025-12-22' group by 1, 2, 3
        ),
        j as (
            select coalesce(ev.date, spend.date) as date, coalesce(ev.adv, spend.adv) as adv,
                   coalesce(ev.label, spend.label) as label, coalesce(ev.conv, 0) as conv,
                   coalesce(ev.payout, 0) as payout, coalesce(spend.cost, 0) as rt_cost
            from ev full join spend
              on ev.date = spend.date and ev.adv = spend.adv and ev.label = spend.label
        ),
        anchor as (
            select j.date, j.adv, j.label, p.label is not null as internal, j.conv,
                   case when p.label is not null then j.rt_cost else j.payout end as cost
            from j left join pairs p on p.label = j.label and p.adv = j.adv
        ),
        a as (
            select date, adv, label, internal, conv, cost,
                   case when conv > 0 then round(cost / conv, 12) end as cpa from anchor
        ),
        ours as (
            select date, advertiser_id as adv, affiliate_label as label, is_internal as internal,
                   conversions as conv, cost, cpa from public.daily_performance
        )
        select (select count(*) from (select * from a except select * from ours) x)
             + (select count(*) from (select * from ours except select * from a) y)";
    assert_eq!(
        scalar_i64(&db, anchor).await,
        0,
        "rows that differ from PostgreSQL's merge"
    );
    let rows = scalar_i64(&db, "select count(*) from public.daily_performance").await;
    assert_eq!(rows as u64, run.rows_written);
    // Ties at the 13th decimal were exercised, and rounded as PostgreSQL rounds them.
    let ties = scalar_i64(
        &db,
        "select count(*) from public.daily_performance \
         where conversions in (2048, 4096) and cost * 1e12 / conversions % 1 = 0.5",
    )
    .await;
    assert!(ties > 5, "only {ties} exact half-way quotients");
    // Zero conversions, unmapped and conflicting spend were all present.
    assert!(
        scalar_i64(
            &db,
            "select count(*) from public.daily_performance where cpa is null"
        )
        .await
            > 10
    );
    let kinds: Vec<String> = run
        .diagnostics
        .unmapped_spend
        .iter()
        .map(|u| format!("{:?}", u.reason))
        .collect();
    assert!(
        kinds.contains(&"ConflictingMapping".to_owned())
            && kinds.contains(&"NotInMapping".to_owned()),
        "{kinds:?}"
    );
}
