//! Exposure-window attribution in the database, against real databases: PostgreSQL (a fresh
//! database per test on the server of `DATABASE_URL`) and SQLite files. Every scenario runs
//! on both; the anchor test recomputes the credit in PostgreSQL's own SQL.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ces::attribution::{
    AttributionConfig, ExposureTable, Interaction, Model, TransactionTable, Tz, WindowMode,
    Windows, attribute,
};
use ces::cpa::Decimal;
use ces::rng::Rng;
use ces_sql::sqlx::{self, AssertSqlSafe};
use ces_sql::{
    ATTRIBUTION_PIPELINE, AttributionRecord, Backend, Database, EventLevel, ExposureRecord,
    MatchKey, RunStatus, STORABLE_TIMES, StoredTransaction, TransactionRecord,
};
use common::{PgTestDb, TempDir, exec, scalar_i64};
use serde_json::json;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;
/// 2025-06-01T00:00:00Z.
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

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// The stored window of a (campaign, channel, interaction): uniform per campaign and
/// interaction for c1–c3 and c5 (campaign rules), by channel for c4 (group rules); c3 has a
/// zero window (only the instant itself, or a flight running at it).
fn window(campaign: &str, channel: &str, interaction: Interaction) -> u32 {
    match campaign {
        "c1" => match interaction {
            Interaction::View => 1,
            Interaction::EngagedView => 3,
            Interaction::Click => 30,
        },
        "c2" => 7,
        "c3" => 0,
        "c4" => match channel {
            "tv" => 3,
            "search" => 14,
            "social_media" => 2,
            "email" => 5,
            _ => 1,
        },
        _ => 2,
    }
}

struct Data {
    exposures: Vec<ExposureRecord>,
    transactions: Vec<TransactionRecord>,
    /// The range the scenarios attribute.
    range: (i64, i64),
}

/// Seeded exposures and transactions with both match keys: per customer, point exposures and
/// flights with recency ties (same instant, other interaction or id), exact duplicates,
/// window boundaries hit exactly and missed by one microsecond, transactions at an
/// exposure's start, before it, inside flights; store-level flights (store key only);
/// transactions without a customer; ids whose bytewise order is not their numeric order.
fn dataset(seed: u64, customers: usize, per_customer: usize, tx_per_customer: usize) -> Data {
    let mut rng = Rng::new(seed);
    let channels = ["tv", "search", "social_media", "email", "ooh"];
    let campaigns = ["c1", "c2", "c3", "c4"];
    let interactions = Interaction::ALL;
    let stores: Vec<String> = (0..(customers / 6).max(2))
        .map(|s| format!("store-{s}"))
        .collect();
    let mut exposures: Vec<ExposureRecord> = Vec::new();
    let mut transactions: Vec<TransactionRecord> = Vec::new();
    let mut next_id = 0usize;
    let mut id = |rng: &mut Rng| {
        next_id += 1;
        // "ex-10" sorts before "ex-9" bytewise, and "EX-" before "ex-".
        if rng.chance(0.1) {
            format!("EX-{next_id}")
        } else {
            format!("ex-{next_id}")
        }
    };
    let range = (T0 + 5 * DAY, T0 + 40 * DAY);
    let tau = |e: &ExposureRecord| e.end_time.unwrap_or(e.start_time);
    for c in 0..customers {
        let customer = format!("cust-{c}");
        let mine_from = exposures.len();
        for _ in 0..per_customer {
            let mine = &exposures[mine_from..];
            if !mine.is_empty() && rng.chance(0.08) {
                // An exact duplicate under another id.
                let mut d = rng.pick(mine).clone();
                d.exposure_id = id(&mut rng);
                exposures.push(d);
                continue;
            }
            let campaign = *rng.pick(&campaigns);
            let channel = *rng.pick(&channels);
            let interaction = *rng.pick(&interactions);
            let (start, end) = if !mine.is_empty() && rng.chance(0.2) {
                // A recency tie: the same instants as an earlier exposure.
                let o = rng.pick(mine);
                (o.start_time, o.end_time)
            } else {
                let start = T0
                    + rng.below(42 * 24) as i64 * HOUR
                    + if rng.chance(0.3) {
                        rng.below(3_600_000_000) as i64
                    } else {
                        0
                    };
                let end = rng
                    .chance(0.3)
                    .then(|| start + (1 + rng.below(72)) as i64 * HOUR);
                (start, end)
            };
            exposures.push(ExposureRecord {
                asset_id: rng
                    .chance(0.8)
                    .then(|| format!("{campaign}-{channel}-asset")),
                customer_id: Some(customer.clone()),
                end_time: end,
                attribution_window_days: window(campaign, channel, interaction),
                cost: rng.chance(0.5).then(|| money(rng.below(10_000) as i64)),
                impressions: Some(rng.below(1000) as i64),
                ..ExposureRecord::new(id(&mut rng), campaign, channel, interaction, start)
            });
        }
        let mine: Vec<ExposureRecord> = exposures[mine_from..].to_vec();
        for k in 0..tx_per_customer {
            let e = rng.pick(&mine);
            let w = i64::from(e.attribution_window_days) * DAY;
            let time = match rng.below(10) {
                0..=2 => tau(e) + w + [-1, 0, 0, 1][rng.below(4)],
                3 => e.start_time + [-1, 0][rng.below(2)],
                4 => tau(e),
                5 if e.end_time.is_some() => e.start_time + (tau(e) - e.start_time) / 2,
                _ => T0 + rng.below(45 * 24 * 60) as i64 * 60_000_000,
            };
            transactions.push(TransactionRecord {
                customer_id: rng.chance(0.92).then(|| customer.clone()),
                store_id: Some(rng.pick(&stores).clone()),
                currency: Some("PHP".into()),
                units: if rng.chance(0.2) {
                    Decimal::new(15, 1)
                } else {
                    Decimal::new(1 + rng.below(4) as i64, 0)
                },
                items: json!([{"sku": format!("sku-{}", rng.below(50)), "quantity": 1}]),
                ..TransactionRecord::new(
                    format!("tx-{c}-{k}"),
                    time,
                    money(1 + rng.below(500_000) as i64),
                )
            });
        }
    }
    // Store-level flights (aggregate exposures: the store key only).
    for (s, store) in stores.iter().enumerate() {
        for f in 0..4 {
            let start = T0 + (s as i64 * 3 + f * 9) * DAY + (f * 5) * HOUR;
            exposures.push(ExposureRecord {
                store_id: Some(store.clone()),
                end_time: (f != 3).then_some(start + (2 + f) * DAY),
                attribution_window_days: 2,
                reach: Some(10_000),
                frequency: Some(2.5),
                placement: Some("entrance".into()),
                platform: Some("in-store".into()),
                ..ExposureRecord::new(
                    format!("flight-{s}-{f}"),
                    "c5",
                    if f % 2 == 0 { "ooh" } else { "retail_pos" },
                    Interaction::View,
                    start,
                )
            });
        }
    }
    // Transactions exactly at both ends of the range (the end is excluded).
    for (k, at) in [range.0, range.1, range.1 - 1].into_iter().enumerate() {
        transactions.push(TransactionRecord {
            customer_id: Some("cust-0".into()),
            store_id: Some(stores[0].clone()),
            ..TransactionRecord::new(format!("tx-edge-{k}"), at, money(1_000))
        });
    }
    Data {
        exposures,
        transactions,
        range,
    }
}

async fn load(db: &Database, d: &Data) {
    assert_eq!(
        db.upsert_exposures(&d.exposures).await.unwrap(),
        d.exposures.len() as u64
    );
    assert_eq!(
        db.upsert_transactions(&d.transactions).await.unwrap(),
        d.transactions.len() as u64
    );
}

fn config(models: Vec<Model>) -> AttributionConfig {
    AttributionConfig {
        models,
        windows: Windows::standard(),
        ..Default::default()
    }
}

fn many_models() -> Vec<Model> {
    vec![
        Model::LastTouch,
        Model::FirstTouch,
        Model::Linear,
        Model::U_SHAPED,
        Model::TIME_DECAY,
        Model::LastClick,
        Model::Markov { order: 1 },
    ]
}

/// Every `scout.attributions` row, rendered exactly (f64 bits), sorted; run ids blanked when
/// `blank_runs`.
async fn attribution_rows(db: &Database, blank_runs: bool) -> Vec<String> {
    let runs = strings(
        db,
        &format!(
            "select distinct cast(run_id as text) from {}",
            t(db, "scout.attributions")
        ),
    )
    .await;
    let mut out = Vec::new();
    for r in runs {
        for mut a in db.load_attributions(&r).await.unwrap() {
            if blank_runs {
                a.run_id.clear();
            }
            out.push(render(&a));
        }
    }
    out.sort();
    out
}

fn render(a: &AttributionRecord) -> String {
    render_parts(
        &a.run_id,
        &a.model_name,
        &a.transaction_id,
        &a.exposure_id,
        a.asset_id.as_deref(),
        &a.campaign_id,
        &a.channel,
        &a.model,
        (a.weight, a.attributed_revenue, a.attributed_units),
        a.confidence,
    )
}

#[allow(clippy::too_many_arguments)]
fn render_parts(
    run_id: &str,
    model_name: &str,
    transaction_id: &str,
    exposure_id: &str,
    asset_id: Option<&str>,
    campaign_id: &str,
    channel: &str,
    family: &str,
    (weight, revenue, units): (f64, f64, f64),
    confidence: Option<f64>,
) -> String {
    format!(
        "{run_id} {model_name} {transaction_id} {exposure_id} {asset_id:?} {campaign_id} \
         {channel} {family} {:x} {:x} {:x} {:?}",
        weight.to_bits(),
        revenue.to_bits(),
        units.to_bits(),
        confidence.map(f64::to_bits)
    )
}

/// Every stored transaction, run ids blanked when `blank_runs`.
async fn transaction_rows(db: &Database, blank_runs: bool) -> Vec<StoredTransaction> {
    let mut rows = db.list_transactions(None).await.unwrap();
    if blank_runs {
        for r in &mut rows {
            r.link.attribution_run_id = None;
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Scenarios, each run on both backends.

/// Exposures and transactions come back as written: microsecond instants (before 1970 and
/// at the ends of the storable range too), NULL end times, exact decimals, JSON items; the
/// core's tables are built from them per key; rewriting changes nothing; bad batches are
/// refused by row before anything is written.
async fn round_trip(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let (lo, hi) = STORABLE_TIMES;
    let exposures = vec![
        ExposureRecord {
            customer_id: Some("c-1".into()),
            household_id: Some("h-1".into()),
            asset_id: Some("a-1".into()),
            placement: Some("feed".into()),
            platform: Some("meta".into()),
            end_time: Some(T0 + 123_457),
            impressions: Some(12),
            reach: Some(0),
            frequency: Some(1.25),
            attribution_window_days: 0,
            cost: Some("12.50".parse().unwrap()),
            ..ExposureRecord::new(
                "e-1",
                "spring",
                "social_media",
                Interaction::EngagedView,
                T0 + 123_456,
            )
        },
        ExposureRecord {
            store_id: Some("s-1".into()),
            cost: Some("0.00".parse().unwrap()),
            attribution_window_days: 3650,
            ..ExposureRecord::new("e-2", "spring", "ooh", Interaction::View, -1)
        },
        ExposureRecord {
            geography_id: Some("NCR".into()),
            end_time: Some(hi - 1),
            ..ExposureRecord::new("e-3", "brand", "tv", Interaction::View, lo)
        },
        ExposureRecord {
            customer_id: Some("c-1".into()),
            ..ExposureRecord::new("e-4", "spring", "search", Interaction::Click, T0 - 999_999)
        },
    ];
    assert_eq!(db.upsert_exposures(&exposures).await.unwrap(), 4);
    assert_eq!(db.upsert_exposures(&exposures).await.unwrap(), 0);
    let mut expected = exposures.clone();
    expected.sort_by_key(|e| (e.start_time, e.exposure_id.clone()));
    assert_eq!(db.list_exposures(None).await.unwrap(), expected);
    assert_eq!(
        db.list_exposures(Some((-1, T0 + 123_456))).await.unwrap(),
        [expected[1].clone(), expected[2].clone()],
        "start_time in [from, to)"
    );

    let transactions = vec![
        TransactionRecord {
            customer_id: Some("c-1".into()),
            store_id: Some("s-1".into()),
            currency: Some("PHP".into()),
            units: "1.250".parse().unwrap(),
            items: json!([{"sku": "KOPIKO", "quantity": 2, "unit_price": "6.25", "promotion": null}]),
            ..TransactionRecord::new("t-1", T0 + 1, "129.90".parse().unwrap())
        },
        TransactionRecord {
            store_id: Some("s-1".into()),
            ..TransactionRecord::new("t-2", T0 - 1, Decimal::ZERO)
        },
        TransactionRecord {
            household_id: Some("h-1".into()),
            ..TransactionRecord::new("t-3", lo, "0.30000000000000004".parse().unwrap())
        },
    ];
    assert_eq!(db.upsert_transactions(&transactions).await.unwrap(), 3);
    assert_eq!(db.upsert_transactions(&transactions).await.unwrap(), 0);
    let stored = db.list_transactions(None).await.unwrap();
    let mut expected_tx = transactions.clone();
    expected_tx.sort_by_key(|t| (t.transaction_time, t.transaction_id.clone()));
    assert_eq!(
        stored.iter().map(|s| s.record.clone()).collect::<Vec<_>>(),
        expected_tx
    );
    assert_eq!(
        stored[0].record.total_amount.to_string(),
        "0.30000000000000004"
    );
    assert_eq!(stored[2].record.units.to_string(), "1.250");
    assert!(stored.iter().all(|s| s.link == Default::default()));

    // The core's tables, per key.
    let by_customer = db.load_exposures(MatchKey::Customer, None).await.unwrap();
    assert_eq!((by_customer.table.len(), by_customer.skipped), (2, 2));
    let c = by_customer.table.columns();
    assert_eq!(c.start, [T0 + 123_456, T0 - 999_999]);
    assert_eq!(c.end, [Some(T0 + 123_457), None]);
    assert_eq!(
        c.interaction,
        [Interaction::EngagedView, Interaction::Click]
    );
    assert_eq!(c.cost, Some(vec![Some(12.5), None]));
    assert_eq!((c.asset.get(0), c.asset.get(1)), ("a-1", ""));
    let by_store = db
        .load_exposures(MatchKey::Store, Some((-1, 0)))
        .await
        .unwrap();
    assert_eq!((by_store.table.len(), by_store.skipped), (1, 0));
    let tx = db
        .load_transactions(MatchKey::Store, Some((T0 - 1, T0 + 2)))
        .await
        .unwrap();
    assert_eq!((tx.table.len(), tx.skipped), (2, 0));
    assert_eq!(tx.table.columns().time, [T0 + 1, T0 - 1]);
    assert_eq!(tx.table.columns().value, [129.9, 0.0]);
    assert_eq!(tx.table.columns().units, [1.25, 0.0]);
    let tx = db
        .load_transactions(MatchKey::Household, None)
        .await
        .unwrap();
    assert_eq!((tx.table.len(), tx.skipped), (1, 2));

    // A changed record is one changed row.
    let mut changed = exposures[0].clone();
    changed.end_time = None;
    assert_eq!(db.upsert_exposures(&[changed.clone()]).await.unwrap(), 1);
    assert_eq!(
        db.list_exposures(Some((T0, T0 + 1_000_000))).await.unwrap(),
        [changed]
    );

    // Bad batches write nothing and name the row.
    let before = db.list_exposures(None).await.unwrap();
    let ok = ExposureRecord {
        store_id: Some("s-9".into()),
        ..ExposureRecord::new("e-9", "x", "tv", Interaction::View, T0)
    };
    let cases: Vec<(ExposureRecord, &str)> = vec![
        (
            ExposureRecord {
                end_time: Some(T0 - 1),
                ..ok.clone()
            },
            "end_time",
        ),
        (
            ExposureRecord {
                start_time: hi,
                ..ok.clone()
            },
            "start_time",
        ),
        (
            ExposureRecord {
                store_id: None,
                ..ok.clone()
            },
            "customer_id",
        ),
        (
            ExposureRecord {
                channel: " ".into(),
                ..ok.clone()
            },
            "channel",
        ),
        (
            ExposureRecord {
                attribution_window_days: 3651,
                ..ok.clone()
            },
            "attribution_window_days",
        ),
        (
            ExposureRecord {
                cost: Some("-0.01".parse().unwrap()),
                ..ok.clone()
            },
            "cost",
        ),
        (
            ExposureRecord {
                frequency: Some(f64::NAN),
                ..ok.clone()
            },
            "frequency",
        ),
        (
            ExposureRecord {
                reach: Some(-1),
                ..ok.clone()
            },
            "reach",
        ),
    ];
    for (bad, field) in cases {
        let err = db.upsert_exposures(&[ok.clone(), bad]).await.unwrap_err();
        assert_eq!(
            (err.code(), err.row(), err.field()),
            ("invalid_value", Some(1), Some(field)),
            "{err}"
        );
    }
    let err = db
        .upsert_exposures(&[
            ok.clone(),
            ok.clone(),
            ExposureRecord {
                campaign_id: "y".into(),
                ..ok.clone()
            },
        ])
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.row()), ("duplicate_key", Some(2)));
    assert_eq!(
        db.list_exposures(None).await.unwrap(),
        before,
        "nothing written"
    );

    let okt = TransactionRecord::new("t-9", T0, money(1));
    for (bad, field) in [
        (
            TransactionRecord {
                units: "-1".parse().unwrap(),
                ..okt.clone()
            },
            "units",
        ),
        (
            TransactionRecord {
                currency: Some("Peso".into()),
                ..okt.clone()
            },
            "currency",
        ),
        (
            TransactionRecord {
                items: json!("x"),
                ..okt.clone()
            },
            "items",
        ),
        (
            TransactionRecord {
                transaction_time: lo - 1,
                ..okt.clone()
            },
            "transaction_time",
        ),
        (
            TransactionRecord {
                customer_id: Some("".into()),
                ..okt.clone()
            },
            "customer_id",
        ),
    ] {
        let err = db
            .upsert_transactions(&[okt.clone(), bad])
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.row(), err.field()),
            ("invalid_value", Some(1), Some(field))
        );
    }
    if db.backend() == Backend::Postgres {
        let err = db
            .upsert_transactions(&[TransactionRecord {
                store_id: Some("s\0".into()),
                ..okt.clone()
            }])
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("invalid_value", Some("store_id"))
        );
    }
    assert_eq!(count(&db, "scout.transactions").await, 3);

    // The tables refuse what the adapter would never write.
    let exposures_t = t(&db, "ces.exposures");
    assert!(
        exec(
            &db,
            &format!(
                "update {exposures_t} set end_time = start_time - 1 where exposure_id = 'e-3'"
            )
        )
        .await
        .is_err()
    );
    assert!(
        exec(
            &db,
            &format!("update {exposures_t} set interaction = 'hover'")
        )
        .await
        .is_err()
    );
    db.close().await;
}

/// Several models over a range: the stored credit is exactly the core's on the loaded
/// tables (bit for bit), reconciles per transaction and per model, the join fields name each
/// transaction's most credited exposure, and the run is recorded with its events.
async fn run_with_models(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(7, 40, 12, 8);
    load(&db, &d).await;
    let cfg = config(many_models());
    let run = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "linear", "tester")
        .await
        .unwrap();
    assert!(run.summary.attributed > 100, "{:?}", run.summary);
    assert!(run.summary.unattributed > 10, "{:?}", run.summary);
    assert!(run.summary.duplicate_exposures > 0);
    assert!(run.skipped_transactions > 0 && run.skipped_exposures > 0);
    assert_eq!(run.rows_per_model.len(), 7);
    assert_eq!(
        run.rows_written,
        run.rows_per_model.iter().map(|r| r.1).sum::<u64>()
    );
    assert!(!run.windows.rules().is_empty());

    // The same attribution, straight from the loaded tables.
    assert_stored_is_core(&db, &run, &cfg, d.range, MatchKey::Customer).await;

    // Per transaction and model the weights sum to 1; per model, credit + unattributed =
    // the range's value.
    let rows = db.load_attributions(&run.run_id).await.unwrap();
    let mut sums: HashMap<(&str, &str), f64> = HashMap::new();
    let mut value: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &rows {
        *sums.entry((&r.model_name, &r.transaction_id)).or_default() += r.weight;
        *value.entry(&r.model_name).or_default() += r.attributed_revenue;
        assert_eq!(r.confidence, Some(r.weight));
        assert_eq!(r.model, model_family(&r.model_name));
    }
    assert!(sums.values().all(|s| (s - 1.0).abs() < 1e-9));
    for (m, v) in &value {
        let total = v + run.summary.unattributed_value;
        assert!(
            (total - run.summary.value).abs() < 1e-6 * run.summary.value,
            "{m}: {total} vs {}",
            run.summary.value
        );
    }

    // Join fields: the most credited linear touch, ties to the most recent (= last touch).
    let last: HashMap<&str, &AttributionRecord> = rows
        .iter()
        .filter(|r| r.model_name == "last_touch")
        .map(|r| (r.transaction_id.as_str(), r))
        .collect();
    let n_touches: HashMap<&str, usize> =
        rows.iter()
            .filter(|r| r.model_name == "linear")
            .fold(HashMap::new(), |mut m, r| {
                *m.entry(r.transaction_id.as_str()).or_default() += 1;
                m
            });
    let stored_tx = db.list_transactions(Some(d.range)).await.unwrap();
    let mut linked = 0;
    for s in &stored_tx {
        let l = &s.link;
        assert_eq!(l.attribution_run_id.as_deref(), Some(run.run_id.as_str()));
        assert_eq!(l.attribution_model.as_deref(), Some("linear"));
        match last.get(s.record.transaction_id.as_str()) {
            Some(r) => {
                linked += 1;
                assert!(l.campaign_influenced);
                assert_eq!(l.exposure_id.as_deref(), Some(r.exposure_id.as_str()));
                assert_eq!(l.campaign_id.as_deref(), Some(r.campaign_id.as_str()));
                assert_eq!(l.asset_id, r.asset_id);
                let n = n_touches[s.record.transaction_id.as_str()];
                assert_eq!(l.attribution_confidence, Some(1.0 / n as f64));
            }
            None => {
                assert!(!l.campaign_influenced);
                assert_eq!(
                    (
                        &l.exposure_id,
                        &l.campaign_id,
                        &l.asset_id,
                        l.attribution_confidence
                    ),
                    (&None, &None, &None, None)
                );
            }
        }
    }
    assert_eq!(linked, run.linked);
    assert_eq!(run.linked, run.summary.attributed);
    assert_eq!(stored_tx.len() as u64, run.linked + run.cleared);

    // The run's record and events.
    let rec = db.run(&run.run_id).await.unwrap();
    assert_eq!(
        (rec.pipeline.as_str(), rec.status, rec.actor.as_deref()),
        (ATTRIBUTION_PIPELINE, RunStatus::Completed, Some("tester"))
    );
    assert_eq!(rec.input["match_key"], "customer");
    assert_eq!(rec.input["link_model"], "linear");
    assert_eq!(rec.input["range"]["from_us"], d.range.0);
    assert_eq!(rec.input["windows"]["mode"], "exact");
    assert!(!rec.input["windows"]["rules"].as_array().unwrap().is_empty());
    let output = rec.output.unwrap();
    assert_eq!(output["rows"], run.rows_written);
    assert_eq!(output["summary"]["attributed"], run.summary.attributed);
    let events = db.run_events(&run.run_id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["missing_match_key", "duplicate_exposures", "summary"]
    );
    assert_eq!(events[0].level, EventLevel::Warning);
    assert_eq!(
        events[1].data["count"],
        run.duplicate_exposures.len(),
        "{:?}",
        events[1]
    );
    assert_eq!(events[2].data["linked"], run.linked);
    db.close().await;
}

/// The stored credit of `run` equals, bit for bit, the core's attribution of the tables
/// [`Database::load_exposures`] and [`Database::load_transactions`] give, under the run's
/// windows.
async fn assert_stored_is_core(
    db: &Database,
    run: &ces_sql::AttributionRun,
    cfg: &AttributionConfig,
    range: (i64, i64),
    key: MatchKey,
) {
    let ex = db
        .load_exposures(key, Some((STORABLE_TIMES.0, range.1)))
        .await
        .unwrap();
    let tx = db.load_transactions(key, Some(range)).await.unwrap();
    assert_eq!(tx.skipped, run.skipped_transactions);
    let direct_cfg = AttributionConfig {
        windows: run.windows.clone(),
        range: Some(range),
        ..cfg.clone()
    };
    let (ex_t, tx_t): (Arc<ExposureTable>, Arc<TransactionTable>) =
        (Arc::new(ex.table), Arc::new(tx.table));
    let direct = attribute(ex_t.clone(), tx_t.clone(), &direct_cfg).unwrap();
    assert_eq!(direct.summary(), &run.summary);
    let id = |ids: &ces::attribution::Ids, i: u32| ids.render(i as usize);
    let mut expected = Vec::new();
    for (m, model) in cfg.models.iter().enumerate() {
        for c in direct.credits(m) {
            let e = c.exposure as usize;
            let ec = ex_t.columns();
            let asset = ec.asset.get(e);
            expected.push(render_parts(
                &run.run_id,
                &model.name(),
                &id(&tx_t.columns().id, c.transaction),
                &id(&ec.id, c.exposure),
                (!asset.is_empty()).then_some(asset),
                ec.campaign.get(e),
                ec.channel.get(e),
                model.family(),
                (c.weight, c.value, c.units),
                Some(c.weight),
            ));
        }
    }
    expected.sort();
    let mut stored: Vec<String> = db
        .load_attributions(&run.run_id)
        .await
        .unwrap()
        .iter()
        .map(render)
        .collect();
    stored.sort();
    assert_eq!(stored.len(), expected.len());
    assert!(
        stored == expected,
        "the stored credit is the core's, bit for bit"
    );
}

/// Calendar-day windows in a zone, with click-beats-view: the mode of the configuration
/// is kept, the windows are the stored ones.
async fn calendar_days(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(41, 20, 10, 8);
    load(&db, &d).await;
    let cfg = AttributionConfig {
        windows: Windows::standard().mode(WindowMode::CalendarDays(Tz::Asia__Manila)),
        click_beats_view: true,
        zone: Tz::Asia__Manila,
        ..config(vec![
            Model::LastTouch,
            Model::Linear,
            Model::TimeDecay {
                half_life_seconds: 86_400.0,
                whole_days: true,
            },
        ])
    };
    let run = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "linear", "tester")
        .await
        .unwrap();
    assert_eq!(
        run.windows.window_mode(),
        WindowMode::CalendarDays(Tz::Asia__Manila)
    );
    assert_stored_is_core(&db, &run, &cfg, d.range, MatchKey::Customer).await;
    let exact = db
        .run_attribution(
            d.range,
            MatchKey::Customer,
            &config(cfg.models.clone()),
            "linear",
            "x",
        )
        .await
        .unwrap();
    assert_ne!(
        exact.summary.touches, run.summary.touches,
        "the mode matters"
    );
    let rec = db.run(&run.run_id).await.unwrap();
    assert_eq!(rec.input["windows"]["mode"], "calendar_days:Asia/Manila");
    assert_eq!(rec.input["click_beats_view"], true);
    db.close().await;
}

fn model_family(name: &str) -> &'static str {
    name.parse::<Model>().unwrap().family()
}

/// Running the same range twice writes the same rows: `scout.attributions` and
/// `scout.transactions` differ only in the run id, which is the second run's everywhere.
async fn rerun_changes_nothing(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(11, 25, 10, 8);
    load(&db, &d).await;
    let cfg = config(many_models());
    let first = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "last_touch", "tester")
        .await
        .unwrap();
    let rows1 = attribution_rows(&db, true).await;
    let tx1 = transaction_rows(&db, true).await;
    let raw1 = raw_rows(&db).await;
    let second = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "last_touch", "tester")
        .await
        .unwrap();
    assert_ne!(
        first.run_id, second.run_id,
        "every run is its own ops.runs row"
    );
    assert_eq!(
        (first.rows_written, &first.summary, first.linked),
        (second.rows_written, &second.summary, second.linked)
    );
    assert_eq!(attribution_rows(&db, true).await, rows1);
    assert_eq!(transaction_rows(&db, true).await, tx1);
    assert_eq!(
        raw_rows(&db).await,
        raw1,
        "byte for byte apart from the run ids"
    );
    assert!(
        db.load_attributions(&first.run_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.load_attributions(&second.run_id).await.unwrap().len() as u64,
        second.rows_written
    );
    assert_eq!(
        count(&db, "scout.attributions").await as u64,
        second.rows_written,
        "no row of the first run is left"
    );
    let in_range = db.list_transactions(Some(d.range)).await.unwrap();
    assert!(
        in_range
            .iter()
            .all(|s| s.link.attribution_run_id.as_deref() == Some(second.run_id.as_str()))
    );
    let runs = db.runs(Some(ATTRIBUTION_PIPELINE)).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
    db.close().await;
}

/// The stored rows as the database renders them, without the run ids.
async fn raw_rows(db: &Database) -> Vec<String> {
    let (a, tr) = (t(db, "scout.attributions"), t(db, "scout.transactions"));
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "select (transaction_id, exposure_id, campaign_id, asset_id, channel, model, \
                     model_name, weight, attributed_revenue, attributed_units, confidence)::text \
             from {a} \
             union all \
             select (transaction_id, campaign_id, asset_id, exposure_id, campaign_influenced, \
                     attribution_confidence, attribution_model, total_amount, units, items, \
                     transaction_time, loaded_at)::text \
             from {tr} order by 1"
        ),
        _ => format!(
            "select json_array(transaction_id, exposure_id, campaign_id, asset_id, channel, \
                     model, model_name, quote(weight), quote(attributed_revenue), \
                     quote(attributed_units), quote(confidence)) \
             from {a} \
             union all \
             select json_array(transaction_id, campaign_id, asset_id, exposure_id, \
                     campaign_influenced, quote(attribution_confidence), attribution_model, \
                     total_amount, units, items, transaction_time, loaded_at) \
             from {tr} order by 1"
        ),
    };
    strings(db, &sql).await
}

/// A run that fails writes nothing but its own `failed` record: a write refused midway
/// (after the old credit was deleted and the new inserted), stored windows the core cannot
/// express; bad arguments are refused before anything is read.
async fn failure_rolls_back(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(13, 20, 10, 8);
    load(&db, &d).await;
    let cfg = config(vec![Model::LastTouch, Model::Linear]);
    db.run_attribution(d.range, MatchKey::Customer, &cfg, "linear", "tester")
        .await
        .unwrap();
    let rows = attribution_rows(&db, false).await;
    let txs = transaction_rows(&db, false).await;
    let events = count(&db, "ops.run_events").await;

    // 1. A rule of the user's refuses a write at three points of the run's transaction: the
    // join fields of one transaction (the first write), the credit of one transaction
    // (after the old credit was deleted and part of the new inserted), the summary event
    // (the last write). Each time nothing of the run is left.
    let victim = rows
        .iter()
        .map(|r| r.split(' ').nth(2).unwrap().to_owned())
        .max()
        .unwrap();
    let (tr, at, ev_t) = (
        t(&db, "scout.transactions"),
        t(&db, "scout.attributions"),
        t(&db, "ops.run_events"),
    );
    let pg = db.backend() == Backend::Postgres;
    let rules: [(String, String); 3] = [
        if pg {
            (
                format!(
                    "alter table {tr} add constraint no_victim \
                     check (transaction_id <> '{victim}' or attribution_run_id is null) not valid"
                ),
                format!("alter table {tr} drop constraint no_victim"),
            )
        } else {
            (
                format!(
                    "create trigger no_victim_links before update of attribution_run_id on {tr} \
                     when new.transaction_id = '{victim}' \
                     begin select raise(abort, 'no_victim'); end"
                ),
                "drop trigger no_victim_links".into(),
            )
        },
        if pg {
            (
                format!(
                    "alter table {at} add constraint no_victim \
                     check (transaction_id <> '{victim}' or model_name <> 'markov') not valid"
                ),
                format!("alter table {at} drop constraint no_victim"),
            )
        } else {
            (
                format!(
                    "create trigger no_victim_credit before insert on {at} \
                     when new.transaction_id = '{victim}' and new.model_name = 'markov' \
                     begin select raise(abort, 'no_victim'); end"
                ),
                "drop trigger no_victim_credit".into(),
            )
        },
        if pg {
            (
                format!(
                    "alter table {ev_t} add constraint no_victim check (kind <> 'summary') not valid"
                ),
                format!("alter table {ev_t} drop constraint no_victim"),
            )
        } else {
            (
                format!(
                    "create trigger no_victim_summary before insert on {ev_t} \
                     when new.kind = 'summary' begin select raise(abort, 'no_victim'); end"
                ),
                "drop trigger no_victim_summary".into(),
            )
        },
    ];
    let more = config(many_models());
    for (k, (add, drop)) in rules.iter().enumerate() {
        exec(&db, add).await.unwrap();
        let err = db
            .run_attribution(d.range, MatchKey::Customer, &more, "first_touch", "tester")
            .await
            .unwrap_err();
        assert!(
            ["constraint_violation", "database_error"].contains(&err.code()),
            "{err:?}"
        );
        assert!(err.to_string().contains("no_victim"), "{err}");
        assert_eq!(
            attribution_rows(&db, false).await,
            rows,
            "nothing partial ({k})"
        );
        assert_eq!(
            transaction_rows(&db, false).await,
            txs,
            "nothing partial ({k})"
        );
        let runs = db.runs(Some(ATTRIBUTION_PIPELINE)).await.unwrap();
        assert_eq!(runs.len(), 2 + k);
        assert!(runs.iter().all(|r| r.status != RunStatus::Running));
        let failed = &runs[1 + k];
        assert_eq!(failed.status, RunStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some(err.to_string().as_str()));
        assert_eq!(failed.output, None);
        assert!(failed.input["inputs"]["exposures"].as_u64().unwrap() > 0);
        let ev = db.run_events(&failed.id).await.unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(
            (ev[0].level, ev[0].kind.as_str()),
            (EventLevel::Error, "error")
        );
        assert_eq!(ev[0].data["code"], err.code());
        assert_eq!(count(&db, "ops.run_events").await, events + 1 + k as i64);
        exec(&db, drop).await.unwrap();
    }
    let runs_so_far = 4;

    // 2. Two exposures of one (channel, interaction, campaign) with different windows.
    let first = d
        .exposures
        .iter()
        .find(|e| e.campaign_id == "c2" && e.customer_id.is_some() && e.start_time < d.range.1)
        .unwrap();
    let odd = ExposureRecord {
        exposure_id: "ex-odd".into(),
        attribution_window_days: first.attribution_window_days + 1,
        ..first.clone()
    };
    db.upsert_exposures(&[odd]).await.unwrap();
    let err = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "linear", "tester")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("window_conflict", Some("attribution_window_days"))
    );
    let msg = err.to_string();
    assert!(
        msg.contains("\"ex-odd\"") && msg.contains(&format!("{:?}", first.exposure_id)),
        "{msg}"
    );
    assert_eq!(attribution_rows(&db, false).await, rows);
    assert_eq!(transaction_rows(&db, false).await, txs);
    let runs = db.runs(Some(ATTRIBUTION_PIPELINE)).await.unwrap();
    assert_eq!(
        (runs.len(), runs[runs_so_far].status),
        (runs_so_far + 1, RunStatus::Failed)
    );
    // By store, the odd exposure (a customer's) is not considered: the run goes through.
    db.run_attribution(d.range, MatchKey::Store, &cfg, "linear", "tester")
        .await
        .unwrap();
    let exposures_t = t(&db, "ces.exposures");
    exec(
        &db,
        &format!("delete from {exposures_t} where exposure_id = 'ex-odd'"),
    )
    .await
    .unwrap();

    // 3. Bad arguments: refused before anything is read or written, no run recorded.
    let n = db.runs(None).await.unwrap().len();
    // (config, link model, actor, range, the field named)
    type Case<'a> = (AttributionConfig, &'a str, &'a str, (i64, i64), &'a str);
    let bad: Vec<Case<'_>> = vec![
        (cfg.clone(), "linear", " ", d.range, "actor"),
        (cfg.clone(), "markov", "x", d.range, "link_model"),
        (cfg.clone(), "linear", "x", (d.range.1, d.range.0), "range"),
        (
            AttributionConfig {
                windows: Windows::standard().group(
                    "tv",
                    Interaction::View,
                    ces::attribution::Window::days(1).unwrap(),
                ),
                ..cfg.clone()
            },
            "linear",
            "x",
            d.range,
            "windows",
        ),
        (
            config(vec![Model::Linear, Model::Linear]),
            "linear",
            "x",
            d.range,
            "models",
        ),
    ];
    for (c, link, actor, range, field) in bad {
        let err = db
            .run_attribution(range, MatchKey::Customer, &c, link, actor)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.field()),
            ("invalid_value", Some(field)),
            "{err}"
        );
    }
    let err = db
        .run_attribution(
            d.range,
            MatchKey::Customer,
            &config(vec![Model::PositionBased {
                first: 0.9,
                last: 0.9,
            }]),
            "position_based_0.9_0.9",
            "x",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "attribution_failed", "{err}");
    assert_eq!(db.runs(None).await.unwrap().len(), n);
    db.close().await;
}

/// A run over a narrower range leaves everything outside it as it was; the range is half
/// open (a transaction at `from` is in, one at `to` is out).
async fn outside_range_untouched(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(17, 25, 10, 8);
    load(&db, &d).await;
    let wide = db
        .run_attribution(
            (T0, T0 + 60 * DAY),
            MatchKey::Customer,
            &config(vec![Model::LastTouch, Model::Linear]),
            "last_touch",
            "tester",
        )
        .await
        .unwrap();
    let before = transaction_rows(&db, false).await;
    let rows_before = attribution_rows(&db, false).await;
    let narrow = db
        .run_attribution(
            d.range,
            MatchKey::Customer,
            &config(vec![Model::LastTouch, Model::Linear]),
            "linear",
            "tester",
        )
        .await
        .unwrap();
    let after = transaction_rows(&db, false).await;
    assert_eq!(before.len(), after.len());
    let (mut inside, mut outside) = (0, 0);
    for (b, a) in before.iter().zip(&after) {
        let time = a.record.transaction_time;
        if (d.range.0..d.range.1).contains(&time) {
            inside += 1;
            assert_eq!(
                a.link.attribution_run_id.as_deref(),
                Some(narrow.run_id.as_str())
            );
            assert_eq!(a.link.attribution_model.as_deref(), Some("linear"));
        } else {
            outside += 1;
            assert_eq!(a, b, "outside the range: untouched");
            if (T0..T0 + 60 * DAY).contains(&time) {
                assert_eq!(
                    a.link.attribution_run_id.as_deref(),
                    Some(wide.run_id.as_str())
                );
            }
        }
    }
    assert!(inside > 100 && outside > 20, "{inside} {outside}");
    let edge = |k: usize| {
        after
            .iter()
            .find(|s| s.record.transaction_id == format!("tx-edge-{k}"))
            .unwrap()
            .link
            .attribution_run_id
            .clone()
    };
    assert_eq!(
        edge(0).as_deref(),
        Some(narrow.run_id.as_str()),
        "at from: in"
    );
    assert_eq!(edge(1).as_deref(), Some(wide.run_id.as_str()), "at to: out");
    assert_eq!(
        edge(2).as_deref(),
        Some(narrow.run_id.as_str()),
        "1 µs before to: in"
    );
    // The wide run's credit outside the range is still there, under the wide run.
    let rows_after = attribution_rows(&db, false).await;
    let kept_wide = rows_after
        .iter()
        .filter(|r| r.starts_with(&wide.run_id))
        .count();
    let wide_outside = rows_before
        .iter()
        .filter(|r| {
            let tx = r.split(' ').nth(2).unwrap();
            let time = before
                .iter()
                .find(|s| s.record.transaction_id == tx)
                .unwrap()
                .record
                .transaction_time;
            !(d.range.0..d.range.1).contains(&time)
        })
        .count();
    assert_eq!(kept_wide, wide_outside);
    assert!(kept_wide > 0);
    db.close().await;
}

/// The match key: by store, store-level flights (aggregate exposures) get credit and the
/// customers' own exposures are not considered; by customer, the reverse. Transactions
/// without the key have their join fields cleared.
async fn match_keys(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(19, 30, 10, 8);
    load(&db, &d).await;
    let cfg = config(vec![Model::LastTouch, Model::Linear, Model::TIME_DECAY]);
    let flights = d.exposures.iter().filter(|e| e.store_id.is_some()).count() as u64;
    let personal = d.exposures.len() as u64 - flights;

    let by_store = db
        .run_attribution(d.range, MatchKey::Store, &cfg, "last_touch", "tester")
        .await
        .unwrap();
    assert_eq!(
        by_store.skipped_transactions, 0,
        "every transaction has a store"
    );
    let considered_from = |run: &ces_sql::AttributionRun| run.summary.exposures;
    assert!(considered_from(&by_store) <= flights);
    assert!(by_store.skipped_exposures > 0 && by_store.skipped_exposures <= personal);
    assert!(by_store.summary.attributed > 0);
    let rows = db.load_attributions(&by_store.run_id).await.unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.exposure_id.starts_with("flight-")),
        "only store flights"
    );
    assert!(
        rows.iter()
            .all(|r| r.campaign_id == "c5" && r.asset_id.is_none())
    );
    // A flight running at the transaction, or ended within its 2 days, gets the credit.
    let flights_by_id: HashMap<&str, &ExposureRecord> = d
        .exposures
        .iter()
        .map(|e| (e.exposure_id.as_str(), e))
        .collect();
    let tx_by_id: HashMap<&str, &TransactionRecord> = d
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t))
        .collect();
    for r in rows.iter().filter(|r| r.model_name == "last_touch") {
        let (e, t) = (
            flights_by_id[r.exposure_id.as_str()],
            tx_by_id[r.transaction_id.as_str()],
        );
        let tau = e.end_time.unwrap_or(e.start_time);
        assert_eq!(e.store_id, t.store_id);
        assert!(e.start_time <= t.transaction_time && t.transaction_time <= tau + 2 * DAY);
    }
    let running_flight_credited = rows.iter().any(|r| {
        let (e, t) = (
            flights_by_id[r.exposure_id.as_str()],
            tx_by_id[r.transaction_id.as_str()],
        );
        e.end_time.is_some_and(|end| t.transaction_time < end)
    });
    assert!(
        running_flight_credited,
        "a flight running at the transaction is eligible"
    );

    let by_customer = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "last_touch", "tester")
        .await
        .unwrap();
    assert_eq!(by_customer.skipped_exposures, flights);
    assert!(by_customer.skipped_transactions > 0);
    let rows = db.load_attributions(&by_customer.run_id).await.unwrap();
    assert!(rows.iter().all(|r| !r.exposure_id.starts_with("flight-")));
    // The customer run replaced the store run's credit of the range for these models.
    assert!(
        db.load_attributions(&by_store.run_id)
            .await
            .unwrap()
            .is_empty()
    );
    let keyless: Vec<StoredTransaction> = db
        .list_transactions(Some(d.range))
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.record.customer_id.is_none())
        .collect();
    assert_eq!(keyless.len() as u64, by_customer.skipped_transactions);
    for s in &keyless {
        assert!(!s.link.campaign_influenced && s.link.exposure_id.is_none());
        assert_eq!(
            s.link.attribution_run_id.as_deref(),
            Some(by_customer.run_id.as_str())
        );
    }
    let events = db.run_events(&by_customer.run_id).await.unwrap();
    let missing = events
        .iter()
        .find(|e| e.kind == "missing_match_key")
        .unwrap();
    assert_eq!(
        missing.data["transactions"],
        by_customer.skipped_transactions
    );
    assert_eq!(missing.data["exposures"], flights);
    db.close().await;
}

/// The credit follows its transactions: deleting one deletes its credit, changing its id
/// carries the credit over, emptying the table empties the credit.
async fn credit_follows_transactions(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(31, 10, 8, 6);
    load(&db, &d).await;
    let run = db
        .run_attribution(
            d.range,
            MatchKey::Customer,
            &config(vec![Model::LastTouch, Model::Linear]),
            "linear",
            "tester",
        )
        .await
        .unwrap();
    let rows = db.load_attributions(&run.run_id).await.unwrap();
    let credited: Vec<&str> = {
        let mut v: Vec<&str> = rows.iter().map(|r| r.transaction_id.as_str()).collect();
        v.dedup();
        v
    };
    let of = |rows: &[AttributionRecord], id: &str| {
        rows.iter().filter(|r| r.transaction_id == id).count()
    };
    let (gone, renamed) = (credited[0], credited[1]);
    let (n_gone, n_renamed) = (of(&rows, gone), of(&rows, renamed));
    assert!(n_gone > 0 && n_renamed > 0);
    let tr = t(&db, "scout.transactions");
    exec(
        &db,
        &format!("delete from {tr} where transaction_id = '{gone}'"),
    )
    .await
    .unwrap();
    exec(
        &db,
        &format!("update {tr} set transaction_id = 'renamed' where transaction_id = '{renamed}'"),
    )
    .await
    .unwrap();
    let after = db.load_attributions(&run.run_id).await.unwrap();
    assert_eq!(after.len(), rows.len() - n_gone);
    assert_eq!((of(&after, gone), of(&after, renamed)), (0, 0));
    assert_eq!(of(&after, "renamed"), n_renamed);
    match db.backend() {
        Backend::Postgres => exec(&db, &format!("truncate {tr}")).await.unwrap(),
        _ => exec(&db, &format!("delete from {tr}")).await.unwrap(),
    };
    assert_eq!(count(&db, "scout.attributions").await, 0);
    db.close().await;
}

/// More rows than one load page, one bulk statement and one delete chunk, with timings.
/// `ATTRIBUTION_LARGE=customers,exposures_per_customer,transactions_per_customer` scales it
/// (e.g. `10000,100,10`: 1M exposures × 100k transactions; run with `--release`).
async fn large(url: &str, customers: usize, per_customer: usize, tx_per_customer: usize) {
    let (customers, per_customer, tx_per_customer) = match std::env::var("ATTRIBUTION_LARGE") {
        Ok(v) if !v.is_empty() => {
            let n: Vec<usize> = v.split(',').map(|x| x.trim().parse().unwrap()).collect();
            (n[0], n[1], n[2])
        }
        _ => (customers, per_customer, tx_per_customer),
    };
    let db = Database::connect_and_migrate(url).await.unwrap();
    let d = dataset(23, customers, per_customer, tx_per_customer);
    let t0 = std::time::Instant::now();
    load(&db, &d).await;
    let t_load = t0.elapsed();
    let cfg = config(vec![Model::LastTouch, Model::Linear, Model::TIME_DECAY]);
    let t1 = std::time::Instant::now();
    let run = db
        .run_attribution(
            (T0, T0 + 60 * DAY),
            MatchKey::Customer,
            &cfg,
            "linear",
            "bulk",
        )
        .await
        .unwrap();
    let t_run = t1.elapsed();
    let t2 = std::time::Instant::now();
    let again = db
        .run_attribution(
            (T0, T0 + 60 * DAY),
            MatchKey::Customer,
            &cfg,
            "linear",
            "bulk",
        )
        .await
        .unwrap();
    let t_again = t2.elapsed();
    eprintln!(
        "{:?}: upsert {} exposures + {} transactions in {:?}; run_attribution ({} credit rows, \
         {} linked) in {:?}, again in {:?}",
        db.backend(),
        d.exposures.len(),
        d.transactions.len(),
        t_load,
        run.rows_written,
        run.linked,
        t_run,
        t_again
    );
    assert_eq!(again.rows_written, run.rows_written);
    assert_eq!(
        count(&db, "scout.attributions").await as u64,
        run.rows_written
    );
    let ex = db.load_exposures(MatchKey::Customer, None).await.unwrap();
    assert_eq!(ex.table.len() as u64 + ex.skipped, d.exposures.len() as u64);
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
async fn pg_run_with_models() {
    let t = PgTestDb::create().await;
    run_with_models(&t.url).await;
}

#[tokio::test]
async fn pg_rerun_changes_nothing() {
    let t = PgTestDb::create().await;
    rerun_changes_nothing(&t.url).await;
}

#[tokio::test]
async fn pg_failure_rolls_back() {
    let t = PgTestDb::create().await;
    failure_rolls_back(&t.url).await;
}

#[tokio::test]
async fn pg_outside_range_untouched() {
    let t = PgTestDb::create().await;
    outside_range_untouched(&t.url).await;
}

#[tokio::test]
async fn pg_match_keys() {
    let t = PgTestDb::create().await;
    match_keys(&t.url).await;
}

#[tokio::test]
async fn pg_calendar_days() {
    let t = PgTestDb::create().await;
    calendar_days(&t.url).await;
}

#[tokio::test]
async fn pg_credit_follows_transactions() {
    let t = PgTestDb::create().await;
    credit_follows_transactions(&t.url).await;
}

/// More than one 100 000-row load page and one 10 000-row statement.
#[tokio::test]
async fn pg_large() {
    let t = PgTestDb::create().await;
    large(&t.url, 2_000, 60, 12).await;
}

/// The column types PostgreSQL reports: times `timestamptz`, money `numeric`, ids `uuid`.
#[tokio::test]
async fn pg_column_types() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let got = strings(
        &db,
        "select table_schema || '.' || table_name || '.' || column_name || ' ' || data_type \
         from information_schema.columns \
         where (table_schema, table_name) in (('ces', 'exposures'), ('scout', 'transactions'), \
               ('scout', 'attributions')) \
           and data_type in ('numeric', 'uuid', 'jsonb', 'timestamp with time zone', \
                             'double precision', 'boolean', 'character') \
         order by 1",
    )
    .await;
    assert_eq!(
        got,
        [
            "ces.exposures.cost numeric",
            "ces.exposures.end_time timestamp with time zone",
            "ces.exposures.frequency double precision",
            "ces.exposures.loaded_at timestamp with time zone",
            "ces.exposures.start_time timestamp with time zone",
            "scout.attributions.attributed_revenue numeric",
            "scout.attributions.attributed_units numeric",
            "scout.attributions.confidence double precision",
            "scout.attributions.run_id uuid",
            "scout.attributions.weight double precision",
            "scout.transactions.attribution_confidence double precision",
            "scout.transactions.attribution_run_id uuid",
            "scout.transactions.campaign_influenced boolean",
            "scout.transactions.currency character",
            "scout.transactions.items jsonb",
            "scout.transactions.loaded_at timestamp with time zone",
            "scout.transactions.total_amount numeric",
            "scout.transactions.transaction_time timestamp with time zone",
            "scout.transactions.units numeric",
        ]
    );
    // Times are stored as the instants given, whatever the session's time zone.
    exec(&db, "set timezone = 'Asia/Manila'").await.unwrap();
    db.upsert_transactions(&[TransactionRecord {
        store_id: Some("s".into()),
        ..TransactionRecord::new("t", T0 + 1, money(1))
    }])
    .await
    .unwrap();
    assert_eq!(
        strings(
            &db,
            "select to_char(transaction_time at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') \
             from scout.transactions"
        )
        .await,
        ["2025-06-01 00:00:00.000001"]
    );
    // The model family is checked.
    exec(
        &db,
        "insert into ops.runs (id, pipeline) values ('6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10', 'x')",
    )
    .await
    .unwrap();
    let err = exec(
        &db,
        "insert into scout.attributions values ('6f1c2a57-0c55-4e4b-9d3e-2b7c7f0e9a10', 't', \
         'e', 'c', null, 'tv', 'magic', 'magic', 1, 1, 1, 1)",
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.as_database_error().unwrap().constraint(),
        Some("attributions_model_check")
    );
    db.close().await;
}

/// Last touch, first touch and linear recomputed in PostgreSQL's own SQL over the stored
/// rows (a range join on the key with each exposure's own window, boundaries inclusive,
/// duplicates dropped by `row_number`, recency order by window functions), compared with the
/// stored `scout.attributions` rows and join fields by `except` both ways: not one row may
/// differ, over several hundred transactions with exact window boundaries, recency ties and
/// duplicates.
#[tokio::test]
async fn pg_credit_equals_the_same_credit_in_postgresql() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let d = dataset(20251124, 60, 14, 9);
    load(&db, &d).await;
    let cfg = config(vec![Model::LastTouch, Model::FirstTouch, Model::Linear]);
    let run = db
        .run_attribution(d.range, MatchKey::Customer, &cfg, "linear", "anchor")
        .await
        .unwrap();
    assert!(run.summary.transactions >= 300, "{:?}", run.summary);
    let (from, to) = (d.range.0, d.range.1);
    let ts = |us: i64| format!("(timestamptz 'epoch' + {us} * interval '1 microsecond')");
    let cte = format!(
        r#"
        with e as (
            select x.exposure_id, x.customer_id, x.start_time, x.attribution_window_days,
                   x.end_time, x.channel, x.interaction, x.campaign_id, x.asset_id,
                   coalesce(x.end_time, x.start_time) as tau,
                   case x.interaction when 'view' then 0 when 'engaged_view' then 1 else 2 end
                       as rank,
                   row_number() over (
                       partition by x.customer_id, x.start_time, x.end_time, x.channel,
                                    x.interaction, x.campaign_id, x.asset_id
                       order by x.exposure_id collate "C") as copy
            from ces.exposures x
            where x.customer_id is not null and x.start_time < {to}
        ),
        t as (
            select * from scout.transactions
            where customer_id is not null
              and transaction_time >= {from} and transaction_time < {to}
        ),
        eligible as (
            select t.transaction_id, t.total_amount, e.exposure_id, e.tau, e.rank,
                   t.transaction_time, e.attribution_window_days
            from t join e on e.customer_id = t.customer_id and e.copy = 1
            where e.start_time <= t.transaction_time
              and t.transaction_time
                  <= e.tau + e.attribution_window_days * interval '86400 seconds'
        ),
        ranked as (
            select eligible.*,
                   row_number() over (partition by transaction_id
                       order by tau desc, rank desc, exposure_id collate "C" desc) as from_last,
                   row_number() over (partition by transaction_id
                       order by tau, rank, exposure_id collate "C") as from_first,
                   count(*) over (partition by transaction_id) as n
            from eligible
        ),
        anchor as (
            select 'last_touch' as model_name, transaction_id, exposure_id,
                   1.0::float8 as weight, total_amount::float8 as revenue
            from ranked where from_last = 1
            union all
            select 'first_touch', transaction_id, exposure_id, 1.0::float8,
                   total_amount::float8
            from ranked where from_first = 1
            union all
            select 'linear', transaction_id, exposure_id, 1.0::float8 / n,
                   (1.0::float8 / n) * total_amount::float8
            from ranked
        ),
        ours as (
            select model_name, transaction_id, exposure_id, weight,
                   attributed_revenue::float8 as revenue
            from scout.attributions
            where run_id = '{run}'::uuid
        ),
        links as (
            select t.transaction_id, r.exposure_id, r.n is not null as influenced,
                   1.0::float8 / r.n as confidence
            from t left join ranked r on r.transaction_id = t.transaction_id and r.from_last = 1
        ),
        stored_links as (
            select transaction_id, exposure_id, campaign_influenced, attribution_confidence
            from scout.transactions
            where transaction_time >= {from} and transaction_time < {to}
              and customer_id is not null
        )"#,
        from = ts(from),
        to = ts(to),
        run = run.run_id
    );
    let q = |tail: &str| format!("{cte} {tail}");
    let differ = scalar_i64(
        &db,
        &q(
            "select (select count(*) from (select * from anchor except select * from ours) a) \
                 + (select count(*) from (select * from ours except select * from anchor) b)",
        ),
    )
    .await;
    assert_eq!(differ, 0, "credit rows that differ from PostgreSQL's");
    let compared = scalar_i64(&db, &q("select count(*) from anchor")).await;
    assert_eq!(compared as u64, run.rows_written);
    let links_differ = scalar_i64(
        &db,
        &q("select (select count(*) from (select * from links except select * from stored_links) a) \
                 + (select count(*) from (select * from stored_links except select * from links) b)"),
    )
    .await;
    assert_eq!(links_differ, 0, "join fields that differ from PostgreSQL's");
    // The cases the comparison is about were all there.
    let pairs_at = |cond: &str| {
        q(&format!(
            "select count(*) from t join e on e.customer_id = t.customer_id and e.copy = 1 \
             where {cond}"
        ))
    };
    let on_boundary = scalar_i64(
        &db,
        &pairs_at(
            "e.start_time <= t.transaction_time and t.transaction_time \
             = e.tau + e.attribution_window_days * interval '86400 seconds'",
        ),
    )
    .await;
    let just_after = scalar_i64(
        &db,
        &pairs_at(
            "t.transaction_time = e.tau + e.attribution_window_days * interval '86400 seconds' \
             + interval '1 microsecond'",
        ),
    )
    .await;
    let at_start = scalar_i64(&db, &pairs_at("t.transaction_time = e.start_time")).await;
    let before_start = scalar_i64(
        &db,
        &pairs_at("t.transaction_time = e.start_time - interval '1 microsecond'"),
    )
    .await;
    let inside_flight = scalar_i64(
        &db,
        &pairs_at("e.start_time < t.transaction_time and t.transaction_time < e.tau"),
    )
    .await;
    let zero_window = scalar_i64(
        &db,
        &q("select count(*) from eligible where attribution_window_days = 0"),
    )
    .await;
    let ties = scalar_i64(
        &db,
        &q(
            "select count(*) from (select transaction_id, tau from ranked \
             group by transaction_id, tau having count(*) > 1) x",
        ),
    )
    .await;
    let rank_ties = scalar_i64(
        &db,
        &q(
            "select count(*) from (select transaction_id, tau, rank from ranked \
             group by transaction_id, tau, rank having count(*) > 1) x",
        ),
    )
    .await;
    let duplicates = scalar_i64(&db, &q("select count(*) from e where copy > 1")).await;
    eprintln!(
        "anchor: {compared} rows over {} transactions; boundary pairs {on_boundary}, 1 µs after \
         {just_after}, at start {at_start}, 1 µs before start {before_start}, inside flights \
         {inside_flight}, zero windows {zero_window}, τ ties {ties} (same rank {rank_ties}), \
         duplicates {duplicates}",
        run.summary.transactions
    );
    for (name, n) in [
        ("boundary", on_boundary),
        ("just after", just_after),
        ("at start", at_start),
        ("before start", before_start),
        ("inside flight", inside_flight),
        ("zero window", zero_window),
        ("ties", ties),
        ("rank ties", rank_ties),
        ("duplicates", duplicates),
    ] {
        assert!(n > 3, "too few {name} cases: {n}");
    }
    // The core examines only exposures some transaction can reach: its duplicates are
    // among PostgreSQL's, and include every duplicate of an eligible exposure.
    let sql_dups = strings(&db, &q("select exposure_id from e where copy > 1")).await;
    let eligible_dups = strings(
        &db,
        &q("select distinct e.exposure_id from e join e k \
             on k.copy = 1 and k.customer_id = e.customer_id and k.start_time = e.start_time \
                and k.end_time is not distinct from e.end_time and k.channel = e.channel \
                and k.interaction = e.interaction and k.campaign_id = e.campaign_id \
                and k.asset_id is not distinct from e.asset_id \
             join eligible on eligible.exposure_id = k.exposure_id \
             where e.copy > 1"),
    )
    .await;
    assert!(run.duplicate_exposures.iter().all(|x| sql_dups.contains(x)));
    assert!(
        eligible_dups
            .iter()
            .all(|x| run.duplicate_exposures.contains(x))
    );
    assert!(eligible_dups.len() > 3, "{eligible_dups:?}");
}

/// Both backends store the same credit, bit for bit, data-driven models included: the
/// tables the core gets do not depend on the backend, the collation or the load order.
#[tokio::test]
async fn pg_and_sqlite_agree() {
    let t = PgTestDb::create().await;
    let dir = TempDir::new();
    let d = dataset(37, 30, 12, 8);
    let cfg = config(vec![
        Model::LastTouch,
        Model::Linear,
        Model::TIME_DECAY,
        Model::J_SHAPED,
        Model::Markov { order: 2 },
        Model::Shapley,
        Model::ShapleyExact,
    ]);
    let mut out = Vec::new();
    for url in [t.url.clone(), dir.sqlite_url("ces.db")] {
        let db = Database::connect_and_migrate(&url).await.unwrap();
        // Written in reverse on one backend: the order of the input does not matter either.
        let mut ex = d.exposures.clone();
        if db.backend() == Backend::Sqlite {
            ex.reverse();
        }
        db.upsert_exposures(&ex).await.unwrap();
        db.upsert_transactions(&d.transactions).await.unwrap();
        let run = db
            .run_attribution(d.range, MatchKey::Customer, &cfg, "markov_2", "tester")
            .await
            .unwrap();
        out.push((
            run.summary.clone(),
            attribution_rows(&db, true).await,
            transaction_rows(&db, true).await,
        ));
        db.close().await;
    }
    assert_eq!(out[0].0, out[1].0);
    assert!(out[0].1 == out[1].1, "the same credit rows");
    assert_eq!(out[0].2, out[1].2);
    assert!(out[0].1.len() > 1000);
}

// ---------------------------------------------------------------------------------------
// SQLite (real files).

#[tokio::test]
async fn sqlite_round_trip() {
    let dir = TempDir::new();
    round_trip(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_run_with_models() {
    let dir = TempDir::new();
    run_with_models(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_rerun_changes_nothing() {
    let dir = TempDir::new();
    rerun_changes_nothing(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_failure_rolls_back() {
    let dir = TempDir::new();
    failure_rolls_back(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_outside_range_untouched() {
    let dir = TempDir::new();
    outside_range_untouched(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_match_keys() {
    let dir = TempDir::new();
    match_keys(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_calendar_days() {
    let dir = TempDir::new();
    calendar_days(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_credit_follows_transactions() {
    let dir = TempDir::new();
    credit_follows_transactions(&dir.sqlite_url("ces.db")).await;
}

/// More than one 100 000-row load page and one multi-row statement.
#[tokio::test]
async fn sqlite_large() {
    let dir = TempDir::new();
    large(&dir.sqlite_url("ces.db"), 2_000, 60, 12).await;
}

/// SQLite stores instants as INTEGER microseconds, input money as TEXT, credit as REAL.
#[tokio::test]
async fn sqlite_storage_classes() {
    let dir = TempDir::new();
    let db = Database::connect_and_migrate(&dir.sqlite_url("ces.db"))
        .await
        .unwrap();
    let d = dataset(29, 5, 6, 5);
    load(&db, &d).await;
    db.run_attribution(
        d.range,
        MatchKey::Customer,
        &config(vec![Model::Linear]),
        "linear",
        "x",
    )
    .await
    .unwrap();
    assert_eq!(
        strings(
            &db,
            "select distinct typeof(start_time) || ' ' || typeof(cost) from ces_exposures \
             where cost is not null"
        )
        .await,
        ["integer text"]
    );
    assert_eq!(
        strings(
            &db,
            "select distinct typeof(transaction_time) || ' ' || typeof(total_amount) || ' ' || \
             typeof(units) || ' ' || typeof(items) from scout_transactions"
        )
        .await,
        ["integer text text text"]
    );
    assert_eq!(
        strings(
            &db,
            "select distinct typeof(weight) || ' ' || typeof(attributed_revenue) || ' ' || \
             typeof(run_id) from scout_attributions"
        )
        .await,
        ["real real text"]
    );
    // Not a plain decimal, or not an instant: refused.
    for sql in [
        "update scout_transactions set total_amount = '1e3'",
        "update scout_transactions set transaction_time = '2025-06-01'",
        "update scout_transactions set items = '{}'",
    ] {
        assert!(exec(&db, sql).await.is_err(), "{sql}");
    }
    db.close().await;
}
