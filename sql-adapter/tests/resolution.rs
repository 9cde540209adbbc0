//! Brand resolution in the database, against real databases: PostgreSQL (a fresh database
//! per test on the server of `DATABASE_URL`) and SQLite files. Every scenario runs on both.

mod common;

use std::sync::Arc;
use std::time::Duration;

use ces::brands::{
    AliasRecord, BrandRecord, Catalog, Method, NormalizerSpec, RESOLVER_VERSION, Resolver,
    ResolverConfig, Status, TriageStatus,
};
use ces_sql::{
    AliasType, Backend, BrandStatus, Database, DriveSku, Error, NewAlias, NewBrand, StagedSku,
};
use common::{PgTestDb, TempDir, exec, scalar_i64};

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

/// Ids of the seeded brands.
struct Seed {
    coke: i64,
    nike: i64,
    datu: i64,
    adidas: i64,
    kopiko: i64,
    tab: i64,
}

async fn seed_brands(db: &Database) -> Seed {
    let ids = db
        .upsert_brands(&[
            NewBrand::new("Coca-Cola"),
            NewBrand::new("Nike"),
            NewBrand {
                similarity_threshold: Some(0.6),
                ..NewBrand::new("Datu Puti Vinegar")
            },
            NewBrand::new("Adidas"),
            NewBrand::new("Kopiko"),
            NewBrand {
                status: BrandStatus::Inactive,
                ..NewBrand::new("Tab")
            },
        ])
        .await
        .unwrap();
    let s = Seed {
        coke: ids[0],
        nike: ids[1],
        datu: ids[2],
        adidas: ids[3],
        kopiko: ids[4],
        tab: ids[5],
    };
    db.upsert_aliases(&[
        NewAlias::new(s.coke, "Coke", AliasType::Variant),
        NewAlias {
            similarity_threshold: Some(0.9),
            ..NewAlias::new(s.nike, "Nayki", AliasType::Phonetic)
        },
        // The same alias for two brands: an input equal to it is ambiguous.
        NewAlias::new(s.nike, "Max", AliasType::Abbreviation),
        NewAlias::new(s.adidas, "Max", AliasType::Abbreviation),
        NewAlias::new(s.tab, "TaB", AliasType::Uppercase),
    ])
    .await
    .unwrap();
    db.upsert_generic_words(&["softdrinks", "Shampoo"])
        .await
        .unwrap();
    s
}

/// The staging rows: exact, alias, fuzzy, generic, unknown (twice, two spellings),
/// ambiguous, NULL brand, and a near miss below the threshold.
fn staging_rows() -> Vec<DriveSku> {
    let mut rows: Vec<DriveSku> = [
        ("SKU-01", "COCA COLA 1.5L"),
        ("SKU-02", "coke"),
        ("SKU-03", "Datu Puti Vinegr"),
        ("SKU-04", "Softdrinks"),
        ("SKU-05", "Zesto Juice"),
        ("SKU-06", "zesto  juice"),
        ("SKU-07", "MAX"),
        ("SKU-09", "Kopico"),
    ]
    .into_iter()
    .map(|(sku, brand)| DriveSku {
        product_name: Some(format!("{brand} product")),
        category: Some("grocery".into()),
        price: Some(19.99),
        ..DriveSku::new(sku, brand)
    })
    .collect();
    rows.push(DriveSku {
        sku: "SKU-08".into(),
        brand: None,
        price: Some(5.0),
        ..DriveSku::default()
    });
    rows
}

async fn resolver(db: &Database) -> Resolver {
    let spec = db.load_catalog(NormalizerSpec::default()).await.unwrap();
    Resolver::new(
        Arc::new(Catalog::new(spec).unwrap()),
        ResolverConfig::default(),
    )
    .unwrap()
}

fn by_sku<'a>(rows: &'a [StagedSku], sku: &str) -> &'a StagedSku {
    rows.iter().find(|r| r.sku == sku).unwrap()
}

// ---------------------------------------------------------------------------------------
// Scenarios, each run on both backends.

async fn load_catalog_round_trip(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let s = seed_brands(&db).await;
    // One alias of every type, with and without thresholds.
    for (i, ty) in AliasType::ALL.iter().enumerate() {
        db.upsert_alias(&NewAlias {
            similarity_threshold: (i % 2 == 0).then_some(0.72),
            ..NewAlias::new(s.kopiko, format!("kopiko {}", ty.as_str()), *ty)
        })
        .await
        .unwrap();
    }
    let spec = db.load_catalog(NormalizerSpec::default()).await.unwrap();
    let brand = |id, name: &str, threshold| BrandRecord {
        id,
        name: name.into(),
        threshold,
    };
    assert_eq!(
        spec.brands,
        [
            brand(s.coke, "Coca-Cola", None),
            brand(s.nike, "Nike", None),
            brand(s.datu, "Datu Puti Vinegar", Some(0.6)),
            brand(s.adidas, "Adidas", None),
            brand(s.kopiko, "Kopiko", None),
        ],
        "active brands only, by id, thresholds read back as written"
    );
    let alias = |brand_id, alias: &str, alias_type, threshold| AliasRecord {
        brand_id,
        alias: alias.into(),
        alias_type,
        threshold,
    };
    use ces::brands::AliasType as Core;
    let mut expected = vec![
        alias(s.coke, "Coke", Core::Variant, None),
        alias(s.nike, "Nayki", Core::Phonetic, Some(0.9)),
        alias(s.nike, "Max", Core::Abbreviation, None),
        alias(s.adidas, "Max", Core::Abbreviation, None),
    ];
    for (i, ty) in AliasType::ALL.iter().enumerate() {
        expected.push(alias(
            s.kopiko,
            &format!("kopiko {}", ty.as_str()),
            ty.as_str().parse().unwrap(),
            (i % 2 == 0).then_some(0.72),
        ));
    }
    assert_eq!(spec.aliases, expected, "aliases of active brands, by id");
    assert_eq!(spec.generic_words, ["Shampoo", "softdrinks"]);
    assert_eq!(spec.normalizer, NormalizerSpec::default());
    let catalog = Catalog::new(spec.clone()).unwrap();
    assert!(catalog.is_generic("shampoo"));

    // Reading again gives the same spec and the same fingerprint.
    let again = db.load_catalog(NormalizerSpec::default()).await.unwrap();
    assert_eq!(again, spec);
    assert_eq!(
        Catalog::new(again).unwrap().fingerprint(),
        catalog.fingerprint()
    );

    // The brand threshold round-trips through upsert/list and moves updated_at only when it
    // changes; the database refuses one outside [0, 1] whoever writes.
    let before = db.list_brands().await.unwrap();
    assert_eq!(before[2].similarity_threshold, Some(0.6));
    tokio::time::sleep(Duration::from_millis(20)).await;
    db.upsert_brand(&NewBrand {
        similarity_threshold: Some(0.6),
        ..NewBrand::new("Datu Puti Vinegar")
    })
    .await
    .unwrap();
    assert_eq!(db.list_brands().await.unwrap(), before);
    db.upsert_brand(&NewBrand::new("Datu Puti Vinegar"))
        .await
        .unwrap();
    let after = db.list_brands().await.unwrap();
    assert_eq!(after[2].similarity_threshold, None);
    assert!(after[2].updated_at > before[2].updated_at);
    let brands = t(&db, "masterdata.brands");
    let err = exec(
        &db,
        &format!(
            "update {brands} set similarity_threshold = 1.5 where id = {}",
            s.nike
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.as_database_error().unwrap().is_check_violation(),
        "{err}"
    );

    // An alias_type the core does not know, written by another tool, is a typed error.
    if db.backend() == Backend::Postgres {
        exec(
            &db,
            "alter table masterdata.brand_aliases drop constraint brand_aliases_alias_type_check",
        )
        .await
        .unwrap();
        exec(
            &db,
            &format!(
                "insert into masterdata.brand_aliases (brand_id, alias, alias_type) \
                 values ({}, 'NIKE!', 'slogan')",
                s.nike
            ),
        )
        .await
        .unwrap();
        let err = db
            .load_catalog(NormalizerSpec::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::UnexpectedValue {
                    table: "masterdata.brand_aliases",
                    field: "alias_type",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("\"slogan\""), "{err}");
    }
    db.close().await;
}

async fn resolve_staging(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let s = seed_brands(&db).await;
    let seeded = staging_rows();
    assert_eq!(db.upsert_drive_skus(&seeded).await.unwrap(), 9);
    let r = resolver(&db).await;

    let calls = std::sync::Mutex::new(Vec::new());
    let progress = |done: usize, total: usize| calls.lock().unwrap().push((done, total));
    let summary = db
        .resolve_staging_skus(&r, "run-1", Some(&progress))
        .await
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), [(9, 9)]);
    assert_eq!(
        (
            summary.rows,
            summary.resolved,
            summary.ambiguous,
            summary.unresolved,
            summary.logged,
            summary.triaged
        ),
        (9, 3, 1, 5, 9, 4),
        "{summary:?}"
    );

    // Staging: statuses written, raw brand untouched (NULL stays NULL).
    let rows = db.list_drive_skus().await.unwrap();
    for (seed, row) in {
        let mut seeded = seeded.clone();
        seeded.sort_by(|a, b| a.sku.cmp(&b.sku));
        seeded
    }
    .iter()
    .zip(&rows)
    {
        assert_eq!(
            (&seed.sku, &seed.brand, &seed.product_name, seed.price),
            (&row.sku, &row.brand, &row.product_name, row.price)
        );
        assert_eq!(row.resolution_run_id.as_deref(), Some("run-1"));
        assert!(row.resolved_at.is_some());
    }
    let outcome = |sku| {
        let r = by_sku(&rows, sku);
        (r.resolution_status, r.resolved_brand_id)
    };
    assert_eq!(outcome("SKU-01"), (Some(Status::Resolved), Some(s.coke)));
    assert_eq!(outcome("SKU-02"), (Some(Status::Resolved), Some(s.coke)));
    assert_eq!(outcome("SKU-03"), (Some(Status::Resolved), Some(s.datu)));
    assert_eq!(outcome("SKU-04"), (Some(Status::Unresolved), None));
    assert_eq!(outcome("SKU-05"), (Some(Status::Unresolved), None));
    assert_eq!(outcome("SKU-06"), (Some(Status::Unresolved), None));
    assert_eq!(
        outcome("SKU-07"),
        (Some(Status::Ambiguous), None),
        "an ambiguous row names no brand"
    );
    assert_eq!(outcome("SKU-08"), (Some(Status::Unresolved), None));
    assert_eq!(outcome("SKU-09"), (Some(Status::Unresolved), None));
    assert_eq!(by_sku(&rows, "SKU-01").resolution_score, Some(1.0));
    assert_eq!(by_sku(&rows, "SKU-07").resolution_score, Some(1.0));
    assert_eq!(by_sku(&rows, "SKU-09").resolution_score, None);
    let fuzzy = r.resolve("Datu Puti Vinegr");
    assert_eq!(fuzzy.method, Method::Fuzzy);
    assert_eq!(by_sku(&rows, "SKU-03").resolution_score, fuzzy.score);

    // The log: one row per staging row, everything the decision said.
    let log = t(&db, "ops.brand_resolution_log");
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 9);
    let staging = t(&db, "staging.drive_skus");
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "select count(*) from {log} where run_id = 'run-1' and source_table = '{staging}'"
            )
        )
        .await,
        9
    );
    let methods: Vec<(String, String, String)> = {
        let sql = format!("select source_row_id, method, status from {log} order by source_row_id");
        fetch_strings3(&db, &sql).await
    };
    let expect = [
        ("SKU-01", "exact", "resolved"),
        ("SKU-02", "alias", "resolved"),
        ("SKU-03", "fuzzy", "resolved"),
        ("SKU-04", "none", "unresolved"),
        ("SKU-05", "none", "unresolved"),
        ("SKU-06", "none", "unresolved"),
        ("SKU-07", "alias", "ambiguous"),
        ("SKU-08", "none", "unresolved"),
        ("SKU-09", "none", "unresolved"),
    ];
    assert_eq!(
        methods
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect::<Vec<_>>(),
        expect
    );
    let (array_len, json_text) = match db.backend() {
        Backend::Postgres => (
            "coalesce(array_length(shared_trigrams, 1), 0)::bigint",
            "::text",
        ),
        _ => ("json_array_length(shared_trigrams)", ""),
    };
    let row3 = fetch_strings3(
        &db,
        &format!(
            "select resolved_brand_name, resolver_version, catalog_fingerprint from {log} \
             where source_row_id = 'SKU-03'"
        ),
    )
    .await;
    assert_eq!(
        row3[0],
        (
            "Datu Puti Vinegar".to_owned(),
            RESOLVER_VERSION.to_owned(),
            r.catalog().fingerprint().to_owned()
        )
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select {array_len} from {log} where source_row_id = 'SKU-03'")
        )
        .await,
        fuzzy.shared_trigrams.len() as i64
    );
    assert!(!fuzzy.shared_trigrams.is_empty());
    let quantities = fetch_strings3(
        &db,
        &format!(
            "select quantities{json_text}, candidates{json_text}, coalesce(reason, '') \
             from {log} where source_row_id = 'SKU-01'"
        ),
    )
    .await;
    let q: serde_json::Value = serde_json::from_str(&quantities[0].0).unwrap();
    assert_eq!(q[0]["canonical_value"], 1500.0, "{q}");
    assert_eq!(q[0]["canonical_unit"], "ml", "{q}");
    let c: serde_json::Value = serde_json::from_str(&quantities[0].1).unwrap();
    assert_eq!(c[0]["brand_id"], s.coke, "{c}");
    assert_eq!(c[0]["alias_type"], "canonical", "{c}");
    let ambiguous = fetch_strings3(
        &db,
        &format!(
            "select cast(resolved_brand_id as text), cast(runner_up_brand_id as text), \
             coalesce(reason, '') from {log} where source_row_id = 'SKU-07'"
        ),
    )
    .await;
    assert_eq!(
        ambiguous[0],
        (
            s.nike.to_string(),
            s.adidas.to_string(),
            "the text names 2 brands".to_owned()
        ),
        "the log keeps the leading brand and the runner-up of an ambiguous row"
    );
    let empty = fetch_strings3(
        &db,
        &format!(
            "select original_brand, normalized_input, reason from {log} \
             where source_row_id = 'SKU-08'"
        ),
    )
    .await;
    assert_eq!(
        empty[0],
        ("".to_owned(), "".to_owned(), "empty input".to_owned())
    );

    // The triage queue: one row per distinct unknown normalised form.
    let triage = db.triage_items(None).await.unwrap();
    let keys: Vec<(&str, u64, Status)> = triage
        .iter()
        .map(|i| (i.normalized.as_str(), i.occurrences, i.last_status))
        .collect();
    assert_eq!(
        keys,
        [
            ("zesto juice", 2, Status::Unresolved),
            ("kopico", 1, Status::Unresolved),
            ("max", 1, Status::Ambiguous),
            ("softdrinks", 1, Status::Unresolved),
        ]
    );
    let zesto = &triage[0];
    assert_eq!(zesto.samples, ["Zesto Juice", "zesto  juice"]);
    assert_eq!(zesto.status, TriageStatus::Open);
    assert_eq!(zesto.first_seen, zesto.last_seen);
    let kopico = &triage[1];
    assert_eq!(kopico.suggestions[0].brand_id, s.kopiko);
    assert_eq!(kopico.suggestions[0].brand_name, "Kopiko");
    assert!(kopico.suggestions[0].score < 0.72);
    let max = &triage[2];
    let mut suggested: Vec<i64> = max.suggestions.iter().map(|c| c.brand_id).collect();
    suggested.sort();
    assert_eq!(suggested, [s.nike, s.adidas]);
    let item = zesto.to_item();
    assert_eq!((item.count, item.samples.len()), (2, 2));

    // The same run again changes nothing: no row read, no write, timestamps kept.
    let triage_before = db.triage_items(None).await.unwrap();
    let staging_before = db.list_drive_skus().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = db.resolve_staging_skus(&r, "run-1", None).await.unwrap();
    assert_eq!(again, ces_sql::ResolutionSummary::default());
    assert_eq!(db.triage_items(None).await.unwrap(), triage_before);
    assert_eq!(db.list_drive_skus().await.unwrap(), staging_before);
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 9);

    // Writing the same decisions to the log again (the reusable piece) inserts nothing.
    let decisions: Vec<(String, ces::brands::Decision)> = seeded
        .iter()
        .map(|row| {
            (
                row.sku.clone(),
                r.resolve(row.brand.as_deref().unwrap_or("")),
            )
        })
        .collect();
    assert_eq!(
        db.write_resolution_log("run-1", &staging, &decisions)
            .await
            .unwrap(),
        0
    );
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 9);

    // A changed raw brand clears that row's resolution: the same run then resolves it alone.
    db.upsert_drive_skus(&[DriveSku {
        product_name: Some("Zesto Juice product".into()),
        category: Some("grocery".into()),
        price: Some(19.99),
        ..DriveSku::new("SKU-05", "Nike")
    }])
    .await
    .unwrap();
    let cleared = db.list_drive_skus().await.unwrap();
    assert_eq!(by_sku(&cleared, "SKU-05").resolution_status, None);
    let one = db.resolve_staging_skus(&r, "run-1", None).await.unwrap();
    assert_eq!((one.rows, one.resolved, one.logged), (1, 1, 0), "{one:?}");
    let rows = db.list_drive_skus().await.unwrap();
    assert_eq!(by_sku(&rows, "SKU-05").resolved_brand_id, Some(s.nike));
    assert_eq!(by_sku(&rows, "SKU-05").brand.as_deref(), Some("Nike"));
    // (The log already had run-1's row for SKU-05: the first attempt is the audit record.)
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 9);

    // A new run resolves every row again and counts the unknown ones again.
    let second = db.resolve_staging_skus(&r, "run-2", None).await.unwrap();
    assert_eq!(
        (second.rows, second.resolved, second.logged),
        (9, 4, 9),
        "{second:?}"
    );
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 18);
    let triage = db.triage_items(None).await.unwrap();
    let zesto2 = triage
        .iter()
        .find(|i| i.normalized == "zesto juice")
        .unwrap();
    assert_eq!(zesto2.occurrences, 3);
    assert_eq!(zesto2.first_seen, zesto.first_seen);
    assert!(zesto2.last_seen >= zesto.last_seen);
    assert!(zesto2.updated_at >= zesto.updated_at);
    assert_eq!(zesto2.samples, ["Zesto Juice", "zesto  juice"]);

    // The diagnostics views.
    let metrics = t(&db, "ops.v_brand_resolution_metrics");
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select cast(sum(attempts) as bigint) from {metrics}")
        )
        .await,
        18
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select cast(sum(failed) as bigint) from {metrics} where method = 'none'")
        )
        .await,
        9
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select cast(sum(ambiguous) as bigint) from {metrics} where method = 'alias'")
        )
        .await,
        2
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "select count(*) from {metrics} where method = 'exact' \
                 and mean_confidence = 1 and resolved = attempts"
            )
        )
        .await,
        1
    );
    let unknown = t(&db, "ops.v_unknown_brands_daily");
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "select cast(attempts as bigint) from {unknown} \
                 where normalized_input = 'zesto juice'"
            )
        )
        .await,
        3
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "select count(*) from {unknown} where normalized_input = 'max' \
                 and ambiguous = 2 and triage_status = 'open'"
            )
        )
        .await,
        1
    );
    db.close().await;
}

/// A brand deleted after the catalog was loaded: the staging update (the run's last write,
/// after its log rows and triage rows) fails on the foreign key, and nothing of the run
/// stays.
async fn failure_writes_nothing(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let s = seed_brands(&db).await;
    db.upsert_drive_skus(&staging_rows()).await.unwrap();
    let r = resolver(&db).await;
    exec(
        &db,
        &format!(
            "delete from {} where id = {}",
            t(&db, "masterdata.brands"),
            s.datu
        ),
    )
    .await
    .unwrap();
    let before = db.list_drive_skus().await.unwrap();
    let err = db
        .resolve_staging_skus(&r, "run-1", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::StaleCatalog { key, brand_id, .. } if key == "SKU-03" && *brand_id == s.datu),
        "{err:?}"
    );
    assert_eq!(
        (err.code(), err.field(), err.row()),
        ("stale_catalog", Some("resolved_brand_id"), None)
    );
    let staging = t(&db, "staging.drive_skus");
    let brands = t(&db, "masterdata.brands");
    assert_eq!(
        err.to_string(),
        format!(
            "{staging} row with `sku` = \"SKU-03\": `resolved_brand_id` {} is not in {brands} \
             (the catalog is stale: reload it); nothing of the run was written",
            s.datu
        )
    );
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 0);
    assert_eq!(count(&db, "ops.brand_triage").await, 0);
    assert_eq!(db.list_drive_skus().await.unwrap(), before);
    assert!(before.iter().all(|r| r.resolution_status.is_none()));

    // A failure in the first write (a unique index the user added to the log: two rows of
    // the run share a normalised input) rolls back too.
    let log = t(&db, "ops.brand_resolution_log");
    exec(
        &db,
        &format!("create unique index no_dup_input on {log} (run_id, normalized_input)"),
    )
    .await
    .unwrap();
    let r = resolver(&db).await; // reloaded: the catalog is current again
    let err = db
        .resolve_staging_skus(&r, "run-1", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ConstraintViolation { table, .. } if *table == log),
        "{err:?}"
    );
    assert!(err.to_string().contains("normalized_input"), "{err}");
    assert_eq!(count(&db, "ops.brand_resolution_log").await, 0);
    assert_eq!(count(&db, "ops.brand_triage").await, 0);
    assert_eq!(db.list_drive_skus().await.unwrap(), before);

    // Without the obstacle the run goes through.
    let index = match db.backend() {
        Backend::Postgres => "ops.no_dup_input",
        _ => "no_dup_input",
    };
    exec(&db, &format!("drop index {index}")).await.unwrap();
    let ok = db.resolve_staging_skus(&r, "run-1", None).await.unwrap();
    assert_eq!((ok.rows, ok.resolved), (9, 2), "{ok:?}");

    // Bad arguments are refused before anything is read or written.
    let err = db.resolve_staging_skus(&r, " ", None).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("invalid_value", Some("run_id")));
    let d = r.resolve("Nike");
    let err = db
        .write_resolution_log("run-9", "x", &[("a", d.clone()), ("", d.clone())])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("source_row_id"))
    );
    let mut bad = d.clone();
    bad.score = Some(1.5);
    let err = db
        .write_resolution_log("run-9", "x", &[("a", d.clone()), ("b", bad)])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("confidence"))
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from {log} where run_id = 'run-9'")
        )
        .await,
        0
    );
    // Repeated source rows in one batch: the first is kept.
    assert_eq!(
        db.write_resolution_log("run-9", "x", &[("a", d.clone()), ("a", r.resolve("zzz"))])
            .await
            .unwrap(),
        1
    );
    db.close().await;
}

async fn triage_accept_reject(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let s = seed_brands(&db).await;
    db.upsert_drive_skus(&staging_rows()).await.unwrap();
    let r = resolver(&db).await;
    db.resolve_staging_skus(&r, "run-1", None).await.unwrap();
    let aliases = t(&db, "masterdata.brand_aliases");

    // Accept: creates the alias and maps the item.
    let alias_id = db.accept_triage("kopico", s.kopiko).await.unwrap();
    let kopiko = db
        .list_brands()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.id == s.kopiko)
        .unwrap();
    let a = kopiko.aliases.iter().find(|a| a.id == alias_id).unwrap();
    assert_eq!(
        (a.alias.as_str(), a.alias_type, a.confidence),
        ("kopico", AliasType::Variant, 1.0)
    );
    let items = db.triage_items(Some(TriageStatus::Mapped)).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (
            items[0].normalized.as_str(),
            items[0].mapped_brand_id,
            items[0].mapped_alias_id
        ),
        ("kopico", Some(s.kopiko), Some(alias_id))
    );
    assert!(items[0].updated_at >= items[0].created_at);

    // Accepting again: same alias, nothing changes (updated_at included).
    let all_before = db.triage_items(None).await.unwrap();
    let alias_count = count(&db, "masterdata.brand_aliases").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        db.accept_triage("kopico", s.kopiko).await.unwrap(),
        alias_id
    );
    assert_eq!(db.triage_items(None).await.unwrap(), all_before);
    assert_eq!(count(&db, "masterdata.brand_aliases").await, alias_count);

    // Another brand for a mapped item, an unknown item, an unknown brand: typed errors,
    // nothing written.
    let err = db.accept_triage("kopico", s.nike).await.unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_value", Some("brand_id"))
    );
    assert!(
        err.to_string()
            .contains(&format!("already mapped to brand {}", s.kopiko)),
        "{err}"
    );
    let err = db.accept_triage("nope", s.nike).await.unwrap_err();
    assert_eq!((err.code(), err.field()), ("not_found", Some("normalized")));
    let err = db.accept_triage("zesto juice", 999_999).await.unwrap_err();
    assert_eq!(err.code(), "unknown_brand", "{err:?}");
    assert_eq!(db.triage_items(None).await.unwrap(), all_before);
    assert_eq!(count(&db, "masterdata.brand_aliases").await, alias_count);

    // An existing alias is reused as it is (not rewritten to `variant`).
    let existing = db
        .upsert_alias(&NewAlias {
            similarity_threshold: Some(0.5),
            ..NewAlias::new(s.adidas, "max", AliasType::Ticker)
        })
        .await
        .unwrap();
    assert_eq!(db.accept_triage("max", s.adidas).await.unwrap(), existing);
    let adidas = db
        .list_brands()
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.id == s.adidas)
        .unwrap();
    let a = adidas.aliases.iter().find(|a| a.id == existing).unwrap();
    assert_eq!(
        (a.alias_type, a.similarity_threshold),
        (AliasType::Ticker, Some(0.5))
    );

    // Reject: ignored, idempotent.
    db.reject_triage("softdrinks").await.unwrap();
    let ignored = db.triage_items(Some(TriageStatus::Ignored)).await.unwrap();
    assert_eq!(ignored.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    db.reject_triage("softdrinks").await.unwrap();
    assert_eq!(
        db.triage_items(Some(TriageStatus::Ignored)).await.unwrap(),
        ignored
    );
    let err = db.reject_triage("nope").await.unwrap_err();
    assert_eq!(err.code(), "not_found");
    // Rejecting a mapped item clears the mapping (the alias stays); it can be mapped again.
    db.reject_triage("max").await.unwrap();
    let max = db.triage_items(Some(TriageStatus::Ignored)).await.unwrap();
    assert!(
        max.iter()
            .any(|i| i.normalized == "max" && i.mapped_brand_id.is_none())
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from {aliases} where id = {existing}")
        )
        .await,
        1
    );
    assert!(db.accept_triage("max", s.nike).await.unwrap() > 0);
    let open: Vec<String> = db
        .triage_items(Some(TriageStatus::Open))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.normalized)
        .collect();
    assert_eq!(open, ["zesto juice"]);

    // With the catalog reloaded, the accepted alias resolves; an ignored item keeps its
    // status when seen again.
    let r = resolver(&db).await;
    let run = db.resolve_staging_skus(&r, "run-2", None).await.unwrap();
    let rows = db.list_drive_skus().await.unwrap();
    assert_eq!(
        (
            by_sku(&rows, "SKU-09").resolution_status,
            by_sku(&rows, "SKU-09").resolved_brand_id
        ),
        (Some(Status::Resolved), Some(s.kopiko))
    );
    assert_eq!(run.rows, 9);
    let soft = db
        .triage_items(Some(TriageStatus::Ignored))
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.normalized == "softdrinks")
        .unwrap();
    assert_eq!(soft.occurrences, 2);
    db.close().await;
}

/// Three text columns of every row of `sql`.
async fn fetch_strings3(db: &Database, sql: &str) -> Vec<(String, String, String)> {
    use ces_sql::sqlx::{self, AssertSqlSafe};
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(p) = db.pg_pool() {
        return sqlx::query_as(sql).fetch_all(p).await.unwrap();
    }
    sqlx::query_as(sql)
        .fetch_all(db.sqlite_pool().unwrap())
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// PostgreSQL.

#[tokio::test]
async fn pg_load_catalog_round_trip() {
    let t = PgTestDb::create().await;
    load_catalog_round_trip(&t.url).await;
}

#[tokio::test]
async fn pg_resolve_staging() {
    let t = PgTestDb::create().await;
    resolve_staging(&t.url).await;
}

#[tokio::test]
async fn pg_failure_writes_nothing() {
    let t = PgTestDb::create().await;
    failure_writes_nothing(&t.url).await;
}

#[tokio::test]
async fn pg_triage_accept_reject() {
    let t = PgTestDb::create().await;
    triage_accept_reject(&t.url).await;
}

/// PostgreSQL stores the trigram lists as `text[]` and the JSON columns as `jsonb`.
#[tokio::test]
async fn pg_column_types() {
    let t = PgTestDb::create().await;
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let types = fetch_strings3(
        &db,
        "select table_schema || '.' || table_name, column_name, data_type \
         from information_schema.columns \
         where (table_schema, table_name) in (('ops', 'brand_resolution_log'), \
               ('ops', 'brand_triage'), ('staging', 'drive_skus')) \
           and column_name in ('quantities', 'candidates', 'shared_trigrams', 'samples', \
               'suggestions', 'price', 'threshold', 'confidence') \
         order by 1, 2",
    )
    .await;
    let got: Vec<(&str, &str, &str)> = types
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("ops.brand_resolution_log", "candidates", "jsonb"),
            ("ops.brand_resolution_log", "confidence", "real"),
            ("ops.brand_resolution_log", "quantities", "jsonb"),
            ("ops.brand_resolution_log", "shared_trigrams", "ARRAY"),
            ("ops.brand_resolution_log", "threshold", "double precision"),
            ("ops.brand_triage", "samples", "jsonb"),
            ("ops.brand_triage", "suggestions", "jsonb"),
            ("staging.drive_skus", "price", "numeric"),
        ]
    );
    db.close().await;
}

/// A `staging.drive_skus` left by the original Scout migrations (raw columns only):
/// migrating adds the resolution columns, and resolution works over the existing rows.
#[tokio::test]
async fn pg_migrate_over_original_staging() {
    let t = PgTestDb::create().await;
    ces_sql::sqlx::raw_sql(
        "create schema staging;
         create table staging.drive_skus (sku text primary key, brand text,
             product_name text, category text, price numeric(12,2), store_id text);
         insert into staging.drive_skus values ('A-1', 'Nike', 'Air', 'shoes', 99.95, 's1'),
             ('A-2', 'Zesto', 'Juice', 'drinks', 12.5, 's2');",
    )
    .execute(&mut t.raw().await)
    .await
    .unwrap();
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    let s = seed_brands(&db).await;
    let r = resolver(&db).await;
    let summary = db.resolve_staging_skus(&r, "run-1", None).await.unwrap();
    assert_eq!((summary.rows, summary.resolved), (2, 1));
    let rows = db.list_drive_skus().await.unwrap();
    assert_eq!(
        (
            rows[0].resolved_brand_id,
            rows[0].price,
            rows[1].brand.as_deref()
        ),
        (Some(s.nike), Some(99.95), Some("Zesto"))
    );
    assert_eq!(
        scalar_i64(
            &db,
            "select count(*) from staging.drive_skus where store_id is not null"
        )
        .await,
        2,
        "the table's own columns are kept"
    );
    db.close().await;
}

/// A run larger than one bulk statement (PostgreSQL: 10 000 rows a statement).
#[tokio::test]
async fn pg_large_run_is_chunked() {
    let t = PgTestDb::create().await;
    large_run(&t.url, 12_345).await;
}

// ---------------------------------------------------------------------------------------
// SQLite (real files).

#[tokio::test]
async fn sqlite_load_catalog_round_trip() {
    let dir = TempDir::new();
    load_catalog_round_trip(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_resolve_staging() {
    let dir = TempDir::new();
    resolve_staging(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_failure_writes_nothing() {
    let dir = TempDir::new();
    failure_writes_nothing(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_triage_accept_reject() {
    let dir = TempDir::new();
    triage_accept_reject(&dir.sqlite_url("ces.db")).await;
}

/// A run larger than one multi-row statement (SQLite: 500 rows a statement).
#[tokio::test]
async fn sqlite_large_run_is_chunked() {
    let dir = TempDir::new();
    large_run(&dir.sqlite_url("ces.db"), 1_234).await;
}

async fn large_run(url: &str, n: usize) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let s = seed_brands(&db).await;
    let rows: Vec<DriveSku> = (0..n)
        .map(|i| {
            let brand = match i % 4 {
                0 => "Coca Cola".to_owned(),
                1 => "coke".to_owned(),
                2 => format!("unknown brand {}", i / 4 % 50),
                _ => "MAX".to_owned(),
            };
            DriveSku::new(format!("SKU-{i:06}"), brand)
        })
        .collect();
    assert_eq!(db.upsert_drive_skus(&rows).await.unwrap(), n as u64);
    let r = resolver(&db).await;
    let summary = db.resolve_staging_skus(&r, "bulk", None).await.unwrap();
    let quarter = |k: usize| (0..n).filter(|i| i % 4 == k).count() as u64;
    assert_eq!(summary.rows, n as u64);
    assert_eq!(summary.resolved, quarter(0) + quarter(1));
    assert_eq!(summary.unresolved, quarter(2));
    assert_eq!(summary.ambiguous, quarter(3));
    assert_eq!(summary.logged, n as u64);
    assert_eq!(summary.triaged, 51); // 50 unknown forms and "max"
    assert_eq!(count(&db, "ops.brand_resolution_log").await, n as i64);
    let staging = t(&db, "staging.drive_skus");
    assert_eq!(
        scalar_i64(
            &db,
            &format!(
                "select count(*) from {staging} where resolution_run_id = 'bulk' \
                 and resolved_brand_id = {}",
                s.coke
            )
        )
        .await,
        (quarter(0) + quarter(1)) as i64
    );
    let triage = db.triage_items(None).await.unwrap();
    assert_eq!(
        triage.iter().map(|i| i.occurrences).sum::<u64>(),
        quarter(2) + quarter(3)
    );
    // The log's ids follow the staging order.
    let log = t(&db, "ops.brand_resolution_log");
    let first = fetch_strings3(
        &db,
        &format!("select source_row_id, method, status from {log} order by id limit 1"),
    )
    .await;
    assert_eq!(first[0].0, "SKU-000000");
    assert_eq!(
        db.resolve_staging_skus(&r, "bulk", None)
            .await
            .unwrap()
            .rows,
        0
    );
    db.close().await;
}
