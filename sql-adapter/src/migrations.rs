//! The embedded migrations (compiled into the binary from `sql-adapter/migrations/`).

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// One embedded migration file.
struct Embedded {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// `migrations/postgres/NNNN_*.sql`, in order.
const POSTGRES: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "brand master",
        sql: include_str!("../migrations/postgres/0001_brand_master.sql"),
    },
    Embedded {
        version: 2,
        description: "brand resolution",
        sql: include_str!("../migrations/postgres/0002_brand_resolution.sql"),
    },
    Embedded {
        version: 3,
        description: "cpa",
        sql: include_str!("../migrations/postgres/0003_cpa.sql"),
    },
    Embedded {
        version: 4,
        description: "attribution",
        sql: include_str!("../migrations/postgres/0004_attribution.sql"),
    },
    Embedded {
        version: 5,
        description: "experiments",
        sql: include_str!("../migrations/postgres/0005_experiments.sql"),
    },
];

/// `migrations/sqlite/NNNN_*.sql`, in order.
const SQLITE: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "brand master",
        sql: include_str!("../migrations/sqlite/0001_brand_master.sql"),
    },
    Embedded {
        version: 2,
        description: "brand resolution",
        sql: include_str!("../migrations/sqlite/0002_brand_resolution.sql"),
    },
    Embedded {
        version: 3,
        description: "cpa",
        sql: include_str!("../migrations/sqlite/0003_cpa.sql"),
    },
    Embedded {
        version: 4,
        description: "attribution",
        sql: include_str!("../migrations/sqlite/0004_attribution.sql"),
    },
    Embedded {
        version: 5,
        description: "experiments",
        sql: include_str!("../migrations/sqlite/0005_experiments.sql"),
    },
];

/// The table that records applied migrations: `ops.ces_sql_migrations` on PostgreSQL,
/// `ops_ces_sql_migrations` on SQLite. Not sqlx's default `_sqlx_migrations`, so the adapter
/// can share a database with an application that runs its own sqlx migrations.
pub(crate) fn table_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "ops.ces_sql_migrations",
        Backend::Sqlite => "ops_ces_sql_migrations",
    }
}

/// The migrator for `backend`.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    let files = match backend {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    };
    let mut m = Migrator::with_migrations(
        files
            .iter()
            .map(|f| {
                Migration::new(
                    f.version,
                    f.description.into(),
                    MigrationType::Simple,
                    f.sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    );
    m.dangerous_set_table_name(table_name(backend));
    if backend == Backend::Postgres {
        m.create_schema("ops");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file in `migrations/<backend>/` is embedded, under its own version.
    #[test]
    fn every_file_is_embedded() {
        for (dir, list) in [("postgres", POSTGRES), ("sqlite", SQLITE)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            assert_eq!(files.len(), list.len(), "{dir}: {files:?}");
            for (file, e) in files.iter().zip(list) {
                let version: i64 = file[..4].parse().unwrap();
                assert_eq!(version, e.version, "{dir}/{file}");
                assert_eq!(
                    std::fs::read_to_string(path.join(file)).unwrap(),
                    e.sql,
                    "{dir}/{file}"
                );
            }
        }
    }
}
