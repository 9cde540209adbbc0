//! The repository against real databases: PostgreSQL (a fresh database per test on the
//! server of `DATABASE_URL`) and SQLite files in temp dirs. Every scenario runs on both.

mod common;

use std::time::Duration;

use ces_sql::{AliasType, Backend, BrandStatus, Database, Error, NewAlias, NewBrand};
use common::{PgTestDb, TempDir, exec, scalar_i64};

/// `(brands, aliases, migrations)` table names of the backend.
fn tables(db: &Database) -> (&'static str, &'static str, &'static str) {
    match db.backend() {
        Backend::Postgres => (
            "masterdata.brands",
            "masterdata.brand_aliases",
            "ops.ces_sql_migrations",
        ),
        _ => (
            "masterdata_brands",
            "masterdata_brand_aliases",
            "ops_ces_sql_migrations",
        ),
    }
}

/// The Scout v7 sample brands (`scout_v7_masterdata_brands.csv`).
fn sample_brands() -> Vec<NewBrand> {
    [
        ("Nike", "nike", "sportswear", "US"),
        ("Adidas", "adidas", "sportswear", "DE"),
        ("Apple", "apple", "technology", "US"),
        ("Samsung", "samsung", "technology", "KR"),
        ("BMW", "bmw", "automotive", "DE"),
    ]
    .into_iter()
    .map(|(name, norm, cat, country)| NewBrand {
        normalized_name: Some(norm.into()),
        category: Some(cat.into()),
        country: Some(country.into()),
        ..NewBrand::new(name)
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// Scenarios, each run on both backends.

async fn migrate_twice_is_idempotent(url: &str) {
    let db = Database::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    // A second process connecting and migrating again.
    let again = Database::connect_and_migrate(url).await.unwrap();
    let (brands, aliases, migrations) = tables(&again);
    assert_eq!(
        scalar_i64(&again, &format!("select count(*) from {migrations}")).await,
        5
    );
    assert_eq!(
        scalar_i64(&again, &format!("select count(*) from {brands}")).await,
        0
    );
    assert_eq!(
        scalar_i64(&again, &format!("select count(*) from {aliases}")).await,
        0
    );
    assert!(again.list_brands().await.unwrap().is_empty());
    db.close().await;
    again.close().await;
}

async fn crud_round_trip(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let ids = db.upsert_brands(&sample_brands()).await.unwrap();
    assert_eq!(ids.len(), 5);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids ascend in input order: {ids:?}"
    );
    let (nike, apple, bmw) = (ids[0], ids[2], ids[4]);

    let alias_ids = db
        .upsert_aliases(&[
            NewAlias::new(nike, "NIKE", AliasType::Uppercase),
            NewAlias::new(apple, "AAPL", AliasType::Ticker),
            NewAlias {
                confidence: 0.95,
                similarity_threshold: Some(0.72),
                ..NewAlias::new(bmw, "Bayerische Motoren Werke", AliasType::FullName)
            },
            NewAlias {
                confidence: 0.5,
                ..NewAlias::new(nike, "Nayki", AliasType::Phonetic)
            },
        ])
        .await
        .unwrap();
    assert_eq!(alias_ids.len(), 4);

    let brands = db.list_brands().await.unwrap();
    let names: Vec<&str> = brands.iter().map(|b| b.brand_name.as_str()).collect();
    assert_eq!(names, ["Nike", "Adidas", "Apple", "Samsung", "BMW"]);
    assert_eq!(brands.iter().map(|b| b.id).collect::<Vec<_>>(), ids);
    let n = &brands[0];
    assert_eq!(n.normalized_name.as_deref(), Some("nike"));
    assert_eq!(n.category.as_deref(), Some("sportswear"));
    assert_eq!(n.country.as_deref(), Some("US"));
    assert_eq!(n.parent_brand, None);
    assert_eq!(n.status, BrandStatus::Active);
    assert!(n.created_at <= n.updated_at);
    assert!(
        (time_now() - n.created_at).abs().whole_seconds() < 600,
        "{}",
        n.created_at
    );
    let nike_aliases: Vec<(&str, AliasType, f64)> = n
        .aliases
        .iter()
        .map(|a| (a.alias.as_str(), a.alias_type, a.confidence))
        .collect();
    assert_eq!(
        nike_aliases,
        [
            ("NIKE", AliasType::Uppercase, 1.0),
            ("Nayki", AliasType::Phonetic, 0.5)
        ]
    );
    assert!(
        n.aliases
            .iter()
            .all(|a| a.brand_id == nike && a.similarity_threshold.is_none())
    );
    assert!(brands[1].aliases.is_empty());
    let b = &brands[4].aliases[0];
    assert_eq!(
        (b.alias.as_str(), b.confidence, b.similarity_threshold),
        ("Bayerische Motoren Werke", 0.95, Some(0.72f32))
    );
    assert_eq!(b.id, alias_ids[2]);

    // Idempotent: the same batch again gives the same ids and changes nothing.
    assert_eq!(db.upsert_brands(&sample_brands()).await.unwrap(), ids);
    let again = db.list_brands().await.unwrap();
    assert_eq!(
        again, brands,
        "repeating an upsert must not change anything (updated_at included)"
    );

    // An update replaces the fields and moves updated_at.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let renamed = NewBrand {
        parent_brand: Some("Apple Inc.".into()),
        status: BrandStatus::Inactive,
        country: None,
        ..sample_brands()[2].clone()
    };
    assert_eq!(db.upsert_brand(&renamed).await.unwrap(), apple);
    let after = db.list_brands().await.unwrap();
    let a = &after[2];
    assert_eq!(
        (a.parent_brand.as_deref(), a.status, a.country.as_deref()),
        (Some("Apple Inc."), BrandStatus::Inactive, None)
    );
    assert_eq!(a.created_at, brands[2].created_at);
    assert!(
        a.updated_at > brands[2].updated_at,
        "{} > {}",
        a.updated_at,
        brands[2].updated_at
    );
    assert_eq!(after[0], brands[0], "other brands untouched");

    // Deleting a brand cascades to its aliases.
    let (brands_t, aliases_t, _) = tables(&db);
    exec(&db, &format!("delete from {brands_t} where id = {nike}"))
        .await
        .unwrap();
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from {aliases_t} where brand_id = {nike}")
        )
        .await,
        0
    );
    assert_eq!(db.list_brands().await.unwrap().len(), 4);
    db.close().await;
}

fn time_now() -> ces_sql::OffsetDateTime {
    ces_sql::OffsetDateTime::now_utc()
}

async fn unique_brand_alias(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let ids = db
        .upsert_brands(&[NewBrand::new("Nike"), NewBrand::new("Adidas")])
        .await
        .unwrap();
    let (nike, adidas) = (ids[0], ids[1]);
    let first = db
        .upsert_alias(&NewAlias::new(nike, "NIKE", AliasType::Uppercase))
        .await
        .unwrap();
    // Same (brand_id, alias): same row, fields replaced.
    let second = db
        .upsert_alias(&NewAlias {
            confidence: 0.8,
            ..NewAlias::new(nike, "NIKE", AliasType::Abbreviation)
        })
        .await
        .unwrap();
    assert_eq!(first, second);
    // The same text for another brand, and another case for the same brand, are other rows.
    let other_brand = db
        .upsert_alias(&NewAlias::new(adidas, "NIKE", AliasType::Misspelling))
        .await
        .unwrap();
    let other_case = db
        .upsert_alias(&NewAlias::new(nike, "Nike", AliasType::Canonical))
        .await
        .unwrap();
    assert!(other_brand != first && other_case != first && other_brand != other_case);
    // A batch repeating a pair upserts it twice into one row.
    let batch = db
        .upsert_aliases(&[
            NewAlias::new(adidas, "ADIDAS", AliasType::Uppercase),
            NewAlias {
                confidence: 0.7,
                ..NewAlias::new(adidas, "ADIDAS", AliasType::Uppercase)
            },
        ])
        .await
        .unwrap();
    assert_eq!(batch[0], batch[1]);

    let brands = db.list_brands().await.unwrap();
    let nike_aliases: Vec<(&str, AliasType, f64)> = brands[0]
        .aliases
        .iter()
        .map(|a| (a.alias.as_str(), a.alias_type, a.confidence))
        .collect();
    assert_eq!(
        nike_aliases,
        [
            ("NIKE", AliasType::Abbreviation, 0.8),
            ("Nike", AliasType::Canonical, 1.0)
        ]
    );
    let adidas_aliases: Vec<(&str, f64)> = brands[1]
        .aliases
        .iter()
        .map(|a| (a.alias.as_str(), a.confidence))
        .collect();
    assert_eq!(adidas_aliases, [("NIKE", 1.0), ("ADIDAS", 0.7)]);

    // The database itself enforces the pair, whoever writes.
    let (_, aliases_t, _) = tables(&db);
    let err = exec(
        &db,
        &format!("insert into {aliases_t} (brand_id, alias) values ({nike}, 'NIKE')"),
    )
    .await
    .unwrap_err();
    let db_err = err.as_database_error().expect("a database error");
    assert!(db_err.is_unique_violation(), "{db_err}");
    db.close().await;
}

async fn bad_input_rolls_back(url: &str) {
    let db = Database::connect_and_migrate(url).await.unwrap();
    let (brands_t, aliases_t, _) = tables(&db);
    let nike = db.upsert_brand(&NewBrand::new("Nike")).await.unwrap();
    let count = |t: &'static str| {
        let db = db.clone();
        async move { scalar_i64(&db, &format!("select count(*) from {t}")).await }
    };

    // A database error midway (row 2 names a brand that does not exist): rows 0 and 1 are
    // rolled back.
    let err = db
        .upsert_aliases(&[
            NewAlias::new(nike, "NIKE", AliasType::Uppercase),
            NewAlias::new(nike, "Nikey", AliasType::Misspelling),
            NewAlias::new(nike + 1000, "Adidas", AliasType::Variant),
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::UnknownBrand { brand_id, .. } if brand_id == nike + 1000),
        "{err:?}"
    );
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("unknown_brand", Some(2), Some("brand_id"))
    );
    assert_eq!(
        err.to_string(),
        format!(
            "row 2: unknown `brand_id`: {} (no such brand in {brands_t})",
            nike + 1000
        )
    );
    assert_eq!(count(aliases_t).await, 0);

    // A confidence out of range: typed error naming row, field and value; nothing written.
    let err = db
        .upsert_aliases(&[
            NewAlias::new(nike, "NIKE", AliasType::Uppercase),
            NewAlias {
                confidence: 1.5,
                ..NewAlias::new(nike, "Nikey", AliasType::Misspelling)
            },
        ])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("confidence"))
    );
    assert!(
        err.to_string()
            .starts_with("row 1: invalid value for `confidence`: 1.5 "),
        "{err}"
    );
    assert_eq!(count(aliases_t).await, 0);

    // A bad alias_type is refused when parsed (the typed API cannot carry one).
    let err = "misspeling".parse::<AliasType>().unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("invalid_value", Some("alias_type"))
    );
    assert!(err.to_string().contains("\"misspeling\""), "{err}");

    // A blank brand name in a batch: nothing of the batch is written.
    let err = db
        .upsert_brands(&[NewBrand::new("Adidas"), NewBrand::new("   ")])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.row(), err.field()),
        ("invalid_value", Some(1), Some("brand_name"))
    );
    assert_eq!(count(brands_t).await, 1);

    // A single upsert names no row.
    let err = db
        .upsert_alias(&NewAlias::new(nike + 1000, "x", AliasType::Variant))
        .await
        .unwrap_err();
    assert_eq!((err.code(), err.row()), ("unknown_brand", None));

    // The tables' own constraints refuse what the API validates, for writers that bypass it.
    for bad in [
        format!(
            "insert into {aliases_t} (brand_id, alias, alias_type) values ({nike}, 'x', 'bogus')"
        ),
        format!("insert into {aliases_t} (brand_id, alias, confidence) values ({nike}, 'x', 1.5)"),
        format!("insert into {aliases_t} (brand_id, alias, confidence) values ({nike}, 'x', -0.1)"),
        format!(
            "insert into {aliases_t} (brand_id, alias, similarity_threshold) values ({nike}, 'x', 2)"
        ),
        format!("insert into {aliases_t} (brand_id, alias) values ({nike}, '  ')"),
        format!("insert into {brands_t} (brand_name, status) values ('Puma', 'gone')"),
        format!("insert into {brands_t} (brand_name) values ('')"),
    ] {
        let err = exec(&db, &bad).await.expect_err(&bad);
        let db_err = err.as_database_error().expect("a database error");
        assert!(db_err.is_check_violation(), "{bad}: {db_err}");
    }
    assert_eq!(count(aliases_t).await, 0);
    assert_eq!(count(brands_t).await, 1);
    db.close().await;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL.

#[tokio::test]
async fn pg_migrate_twice_is_idempotent() {
    let t = PgTestDb::create().await;
    migrate_twice_is_idempotent(&t.url).await;
}

#[tokio::test]
async fn pg_crud_round_trip() {
    let t = PgTestDb::create().await;
    crud_round_trip(&t.url).await;
}

#[tokio::test]
async fn pg_unique_brand_alias() {
    let t = PgTestDb::create().await;
    unique_brand_alias(&t.url).await;
}

#[tokio::test]
async fn pg_bad_input_rolls_back() {
    let t = PgTestDb::create().await;
    bad_input_rolls_back(&t.url).await;
}

/// pg_trgm already present (here in a schema off the search path, as Supabase installs it
/// into `extensions`): migrating twice works and the GIN indexes use its operator class.
#[tokio::test]
async fn pg_migrate_with_existing_pg_trgm() {
    let t = PgTestDb::create().await;
    let mut raw = t.raw().await;
    ces_sql::sqlx::raw_sql("create schema extensions; create extension pg_trgm schema extensions")
        .execute(&mut raw)
        .await
        .unwrap();
    Database::connect_and_migrate(&t.url).await.unwrap();
    let db = Database::connect_and_migrate(&t.url).await.unwrap();
    let pool = db.pg_pool().unwrap();
    let indexes: Vec<(String, String)> = ces_sql::sqlx::query_as(
        "select indexname, indexdef from pg_indexes where schemaname = 'masterdata' \
         and indexdef like '%gin_trgm_ops%' order by indexname",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let names: Vec<&str> = indexes.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(
        names,
        ["brand_aliases_alias_trgm_idx", "brands_brand_name_trgm_idx"],
        "{indexes:?}"
    );
    assert!(
        indexes
            .iter()
            .all(|i| i.1.contains("USING gin") && i.1.contains("extensions.gin_trgm_ops")),
        "{indexes:?}"
    );
    let schema: String = ces_sql::sqlx::query_scalar(
        "select extnamespace::regnamespace::text from pg_extension where extname = 'pg_trgm'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(schema, "extensions");
    db.close().await;
}

/// Same with pg_trgm already in `public` (the `make test` cluster's default database).
#[tokio::test]
async fn pg_migrate_with_pg_trgm_in_public() {
    let t = PgTestDb::create().await;
    ces_sql::sqlx::raw_sql("create extension pg_trgm")
        .execute(&mut t.raw().await)
        .await
        .unwrap();
    migrate_twice_is_idempotent(&t.url).await;
    let db = Database::connect(&t.url).await.unwrap();
    assert_eq!(
        scalar_i64(
            &db,
            "select count(*) from pg_indexes where indexdef like '%gin_trgm_ops%'"
        )
        .await,
        2
    );
    db.close().await;
}

/// Migrations racing from several connections serialise (advisory lock).
#[tokio::test]
async fn pg_concurrent_migrations() {
    let t = PgTestDb::create().await;
    let runs = (0..4).map(|_| {
        let url = t.url.clone();
        tokio::spawn(async move { Database::connect_and_migrate(&url).await.map(|_| ()) })
    });
    for r in runs {
        r.await.unwrap().unwrap();
    }
    let db = Database::connect(&t.url).await.unwrap();
    assert_eq!(
        scalar_i64(&db, "select count(*) from ops.ces_sql_migrations").await,
        5
    );
    db.close().await;
}

/// Tables left by the original Scout migrations (no unique (brand_id, alias), nullable
/// alias_type, no threshold column): migrating refuses duplicates, naming them, then adds the
/// fix once they are gone; stored values the crate does not know are typed errors.
#[tokio::test]
async fn pg_migrate_over_original_scout_tables() {
    let t = PgTestDb::create().await;
    let mut raw = t.raw().await;
    ces_sql::sqlx::raw_sql(
        "create schema masterdata;
         create table masterdata.brands (id bigserial primary key, brand_name text unique not null,
             normalized_name text, category text, parent_brand text, country text,
             status text default 'active', created_at timestamptz default now(),
             updated_at timestamptz default now());
         create table masterdata.brand_aliases (id bigserial primary key,
             brand_id bigint references masterdata.brands(id), alias text not null,
             alias_type text, confidence numeric(4,3) default 1.0);
         insert into masterdata.brands (brand_name) values ('Nike');
         insert into masterdata.brand_aliases (brand_id, alias, alias_type)
             values (1, 'NIKE', 'uppercase'), (1, 'NIKE', 'uppercase'), (1, 'Nikee', null);",
    )
    .execute(&mut raw)
    .await
    .unwrap();

    let db = Database::connect(&t.url).await.unwrap();
    let err = db.migrate().await.unwrap_err();
    assert_eq!(err.code(), "migration_failed");
    let chain = format!("{err}");
    assert!(chain.contains("brand_id = 1 and alias = 'NIKE'"), "{chain}");
    // Nothing of the failed migration stayed.
    assert_eq!(
        scalar_i64(&db, "select count(*) from ops.ces_sql_migrations").await,
        0
    );

    ces_sql::sqlx::raw_sql("delete from masterdata.brand_aliases where id = 2")
        .execute(&mut raw)
        .await
        .unwrap();
    // The failed run must not leave its advisory lock behind on a pooled connection.
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(60), db.migrate())
            .await
            .expect("migrate after a failed migrate must not wait for a stale lock")
            .unwrap();
    }
    let err = db
        .upsert_alias(&NewAlias::new(1, "NIKE", AliasType::Uppercase))
        .await;
    assert_eq!(
        err.unwrap(),
        1,
        "the unique fix makes the upsert find the existing row"
    );
    // The stored null alias_type is reported, not guessed.
    let err = db.list_brands().await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::UnexpectedValue {
                table: "masterdata.brand_aliases",
                id: 3,
                field: "alias_type",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "unexpected_value");
    // A constraint the user added (not validated by the API) is reported with the row.
    ces_sql::sqlx::raw_sql(
        "alter table masterdata.brands add constraint brands_country_iso check (length(country) = 2)",
    )
    .execute(&mut raw)
    .await
    .unwrap();
    let err = db
        .upsert_brands(&[
            NewBrand {
                country: Some("DE".into()),
                ..NewBrand::new("Adidas")
            },
            NewBrand {
                country: Some("USA".into()),
                ..NewBrand::new("Apple")
            },
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ConstraintViolation { table: "masterdata.brands", constraint, .. } if constraint == "brands_country_iso"),
        "{err:?}"
    );
    assert_eq!((err.code(), err.row()), ("constraint_violation", Some(1)));
    assert!(
        err.to_string().starts_with(
            "row 1: masterdata.brands rejected the row (constraint brands_country_iso): "
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("Apple") && err.to_string().contains("USA"),
        "names the values: {err}"
    );
    assert_eq!(
        scalar_i64(&db, "select count(*) from masterdata.brands").await,
        1,
        "Adidas rolled back"
    );
    db.close().await;
}

#[tokio::test]
async fn pg_connect_errors_name_the_url_without_password() {
    let url = "postgres://ces:s3cret@127.0.0.1:1/nowhere?connect_timeout=2";
    let err = Database::connect(url).await.unwrap_err();
    assert_eq!(err.code(), "connect_failed");
    let msg = err.to_string();
    assert!(
        msg.contains("postgres://ces:***@127.0.0.1:1/nowhere"),
        "{msg}"
    );
    assert!(!msg.contains("s3cret"), "{msg}");
    let err = Database::connect("postgres://u@h:notaport/db")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_url", "{err}");
}

// ---------------------------------------------------------------------------------------
// SQLite (real files).

#[tokio::test]
async fn sqlite_migrate_twice_is_idempotent() {
    let dir = TempDir::new();
    migrate_twice_is_idempotent(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_crud_round_trip() {
    let dir = TempDir::new();
    crud_round_trip(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_unique_brand_alias() {
    let dir = TempDir::new();
    unique_brand_alias(&dir.sqlite_url("ces.db")).await;
}

#[tokio::test]
async fn sqlite_bad_input_rolls_back() {
    let dir = TempDir::new();
    bad_input_rolls_back(&dir.sqlite_url("ces.db")).await;
}

/// The file is created, in WAL mode with foreign keys on, and the data survives a reconnect.
#[tokio::test]
async fn sqlite_file_is_created_and_persists() {
    let dir = TempDir::new();
    let path = dir.0.join("sub.db");
    assert!(!path.exists());
    let url = dir.sqlite_url("sub.db");
    let db = Database::connect_and_migrate(&url).await.unwrap();
    assert!(path.exists());
    let pool = db.sqlite_pool().unwrap();
    let mode: String = ces_sql::sqlx::query_scalar("pragma journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = ces_sql::sqlx::query_scalar("pragma foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let id = db.upsert_brand(&NewBrand::new("Nike")).await.unwrap();
    db.close().await;

    let db = Database::connect_and_migrate(&url).await.unwrap();
    let brands = db.list_brands().await.unwrap();
    assert_eq!(
        (brands.len(), brands[0].id, brands[0].brand_name.as_str()),
        (1, id, "Nike")
    );
    db.close().await;

    // In-memory databases work too; a file in a missing directory is a connect error.
    let mem = Database::connect_and_migrate("sqlite::memory:")
        .await
        .unwrap();
    mem.upsert_brand(&NewBrand::new("Nike")).await.unwrap();
    assert_eq!(mem.list_brands().await.unwrap().len(), 1);
    let err = Database::connect(&format!("sqlite://{}/missing-dir/x.db", dir.0.display()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "connect_failed", "{err}");
    assert!(err.to_string().contains("missing-dir/x.db"), "{err}");
}

/// Concurrent writers on one file wait for each other instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_writers() {
    let dir = TempDir::new();
    let db = Database::connect_and_migrate(&dir.sqlite_url("ces.db"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let brands: Vec<NewBrand> = (0..25)
                    .map(|j| NewBrand::new(format!("brand {i}-{j}")))
                    .collect();
                db.upsert_brands(&brands).await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().len(), 25);
    }
    assert_eq!(db.list_brands().await.unwrap().len(), 200);
    db.close().await;
}

#[tokio::test]
async fn urls_pick_the_backend() {
    for (url, code) in [
        ("mysql://localhost/x", "invalid_url"),
        ("ces.db", "invalid_url"),
        ("sqlite://x.db?bogus=1", "invalid_url"),
    ] {
        let err = Database::connect(url).await.unwrap_err();
        assert_eq!(err.code(), code, "{url}: {err}");
    }
}
