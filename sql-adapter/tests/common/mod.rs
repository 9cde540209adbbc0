//! Real databases for the integration tests: a fresh PostgreSQL database per test (created on
//! the server named by `DATABASE_URL`, dropped afterwards) and SQLite files in temp dirs.

#![allow(dead_code)] // each test binary uses a part

use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use ces_sql::sqlx::{self, AssertSqlSafe, Connection, Executor, PgConnection};

/// The server to test against. Never skips: no server is a failure.
pub fn database_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "set DATABASE_URL or run `make test` (these tests need a real PostgreSQL 15 with \
             pg_trgm, e.g. `scripts/pg-cluster.sh start DIR`)"
        ),
    }
}

/// A name nobody else uses (process, time and a counter, hashed with a random key).
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let h = RandomState::new().hash_one((
        std::process::id(),
        std::time::SystemTime::now(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
    ));
    format!("{h:016x}")
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let query_at = url.find('?').unwrap_or(url.len());
    let path_at = url[after_scheme..query_at]
        .find('/')
        .map_or(query_at, |i| after_scheme + i);
    format!("{}/{}{}", &url[..path_at], name, &url[query_at..])
}

/// A PostgreSQL database of its own (`ces_t_<random>`, UTF8, C.UTF-8 as the parity spec
/// requires), dropped (with force) when this value is dropped, even after a panic.
pub struct PgTestDb {
    /// URL of the new database.
    pub url: String,
    name: String,
    server_url: String,
}

impl PgTestDb {
    pub async fn create() -> Self {
        let server_url = database_url();
        let name = format!("ces_t_{}", unique_suffix());
        let mut admin = PgConnection::connect(&server_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL: {e}"));
        admin
            .execute(AssertSqlSafe(format!(
                "create database {name} template template0 encoding 'UTF8' \
                 lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'"
            )))
            .await
            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
        admin.close().await.ok();
        PgTestDb {
            url: with_database(&server_url, &name),
            name,
            server_url,
        }
    }

    /// A direct connection to the test database, for raw SQL.
    pub async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("connect to test database")
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        // A fresh runtime on its own thread: Drop may run inside (or outside) a runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let mut admin = PgConnection::connect(&server_url).await?;
                admin
                    .execute(AssertSqlSafe(format!(
                        "drop database if exists {name} with (force)"
                    )))
                    .await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// A temp directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ces-sql-test-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// `sqlite://<dir>/<file>` (the file does not exist yet).
    pub fn sqlite_url(&self, file: &str) -> String {
        format!("sqlite://{}", self.0.join(file).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs raw SQL on either backend through the crate's pool.
pub async fn exec(db: &ces_sql::Database, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(p) = db.pg_pool() {
        return Ok(sqlx::query(sql).execute(p).await?.rows_affected());
    }
    let p = db.sqlite_pool().expect("a postgres or sqlite database");
    Ok(sqlx::query(sql).execute(p).await?.rows_affected())
}

/// `select count(*)` (or any single i64) on either backend.
pub async fn scalar_i64(db: &ces_sql::Database, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql.to_owned());
    if let Some(p) = db.pg_pool() {
        return sqlx::query_scalar(sql).fetch_one(p).await.unwrap();
    }
    sqlx::query_scalar(sql)
        .fetch_one(db.sqlite_pool().unwrap())
        .await
        .unwrap()
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        with_database("postgres://u@h:1/db?x=1", "n"),
        "postgres://u@h:1/n?x=1"
    );
    assert_eq!(
        with_database("postgres://u@h:1/db", "n"),
        "postgres://u@h:1/n"
    );
    assert_eq!(with_database("postgres://u@h:1", "n"), "postgres://u@h:1/n");
}
