//! The crate's one error type.

use std::fmt;

pub use ces::error::Row;

/// Which database engine a [`Database`](crate::Database) talks to.
///
/// ```
/// use ces_sql::Backend;
/// assert_eq!(Backend::from_url("sqlite::memory:")?, Backend::Sqlite);
/// assert_eq!(Backend::from_url("postgres://u@host/db")?, Backend::Postgres);
/// assert_eq!(Backend::from_url("mysql://host/db").unwrap_err().code(), "invalid_url");
/// # Ok::<(), ces_sql::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// PostgreSQL (`postgres://…` or `postgresql://…`), e.g. Supabase.
    Postgres,
    /// SQLite (`sqlite://path`, `sqlite:path`, `sqlite::memory:`), the embedded default.
    Sqlite,
}

impl Backend {
    /// The backend a connection URL names, from its scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(Error::InvalidUrl {
                url: redact_url(url),
                reason: "expected postgres://…, postgresql://…, sqlite://PATH or sqlite::memory:"
                    .into(),
            })
        }
    }

    /// The cargo feature of `ces-sql` that compiles this backend in (`postgres`, `sqlite`).
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        })
    }
}

/// Everything that can go wrong in `ces-sql`.
///
/// Every variant names what was wrong (the row of a batch, the table, the field and the
/// offending value where there is one) and has a stable machine code ([`Error::code`]).
/// Connection URLs in messages have their password replaced by `***`.
///
/// ```
/// use ces_sql::{AliasType, Error};
/// let err = "misspeling".parse::<AliasType>().unwrap_err();
/// assert_eq!(err.code(), "invalid_value");
/// assert_eq!(err.field(), Some("alias_type"));
/// assert_eq!(
///     err.to_string(),
///     "invalid value for `alias_type`: \"misspeling\" (expected one of canonical, variant, \
///      uppercase, ticker, full_name, misspelling, phonetic, abbreviation)"
/// );
/// ```
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A connection URL this crate cannot use (unknown scheme, unparsable options).
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL names a backend whose cargo feature is not enabled.
    #[error("{backend} support is not compiled in (enable the `{feature}` feature of ces-sql) for {url}", feature = backend.feature())]
    BackendDisabled {
        /// The backend the URL names.
        backend: Backend,
        /// The URL, password redacted.
        url: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the embedded migrations failed (nothing of the failing migration is kept).
    #[error("migrating the {backend} database failed: {source}")]
    Migrate {
        /// The backend being migrated.
        backend: Backend,
        /// The migrator's error (it names the migration version).
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// An input value rejected before anything was written.
    #[error("{row}invalid value for `{field}`: {value} ({reason})")]
    InvalidValue {
        /// The row of a batch input, if any.
        row: Row,
        /// The field (column or argument).
        field: &'static str,
        /// The rejected value, rendered for humans (strings quoted).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An alias refers to a brand id that does not exist (the batch was rolled back).
    #[error("{row}unknown `brand_id`: {brand_id} (no such brand in {table})")]
    UnknownBrand {
        /// The row of the batch input.
        row: Row,
        /// The id that does not exist.
        brand_id: i64,
        /// The brands table as this backend names it.
        table: &'static str,
    },
    /// The database refused a row through a constraint (the batch was rolled back).
    #[error("{row}{table} rejected the row (constraint {constraint}{on}): {message}",
        on = field.map(|f| format!(" on `{f}`")).unwrap_or_default())]
    ConstraintViolation {
        /// The row of the batch input.
        row: Row,
        /// The table written.
        table: &'static str,
        /// The constraint's name (or the database's description of it).
        constraint: String,
        /// The field the constraint guards, when known.
        field: Option<&'static str>,
        /// The database's message.
        message: String,
    },
    /// A stored value this crate does not understand (for example an `alias_type` outside
    /// the known list in a table created by other tools).
    #[error("{table} row with id {id} has an unexpected `{field}`: {value}")]
    UnexpectedValue {
        /// The table read.
        table: &'static str,
        /// The row's id.
        id: i64,
        /// The column.
        field: &'static str,
        /// The stored value, rendered for humans.
        value: String,
    },
    /// A stored value this crate does not understand, in a table keyed by text (for example
    /// a triage row whose `suggestions` is not the JSON this crate writes).
    #[error("{table} row {key} has an unexpected `{field}`: {value}")]
    UnexpectedStored {
        /// The table read.
        table: &'static str,
        /// The row's key, as `column = value` (`normalized = "kopico"`).
        key: String,
        /// The column.
        field: &'static str,
        /// The stored value and what is wrong with it, for humans.
        value: String,
    },
    /// No row has this key (for example [`Database::accept_triage`](crate::Database::accept_triage)
    /// of a normalised form that is not in the triage queue).
    #[error("no {table} row with `{field}` = {value}")]
    NotFound {
        /// The table looked up.
        table: &'static str,
        /// The key column.
        field: &'static str,
        /// The key looked for, rendered for humans (strings quoted).
        value: String,
    },
    /// A resolution names a brand that the brands table no longer has: the catalog was loaded
    /// before the brand was deleted. The whole run was rolled back; reload the catalog
    /// ([`Database::load_catalog`](crate::Database::load_catalog)) and run again.
    #[error(
        "{table} row with `{key_field}` = {key:?}: `resolved_brand_id` {brand_id} is not in {brands_table} (the catalog is stale: reload it); nothing of the run was written"
    )]
    StaleCatalog {
        /// The staging table being resolved.
        table: &'static str,
        /// Its key column (`sku`).
        key_field: &'static str,
        /// The first row (in key order) whose resolution names the missing brand.
        key: String,
        /// The brand id that no longer exists.
        brand_id: i64,
        /// The brands table as this backend names it.
        brands_table: &'static str,
    },
    /// Two records of one batch have the same key but different values, so neither can be
    /// written (identical repeats are written once). Nothing of the batch was written.
    #[error("{table}: rows {first_row} and {row} have the same key ({key}) but different values")]
    DuplicateKey {
        /// The table the batch was for.
        table: &'static str,
        /// The key, rendered for humans (`2024-12-02 / affiliate 7 / advertiser 1`).
        key: String,
        /// The first record with that key (its input position).
        first_row: u64,
        /// The record that disagrees with it (its input position).
        row: u64,
    },
    /// The `ces` core refused the inputs of a CPA merge (for example an amount in another
    /// currency than the merge's). The run was recorded as `failed` and nothing else was
    /// written.
    #[error("the CPA merge failed{at}: {source}", at = stored.as_ref().map(|s| format!(" on {s}")).unwrap_or_default())]
    Merge {
        /// The stored row the core complained about, named by its table and key
        /// (`everflow_daily_stats (date, affiliate_id, advertiser_id) = (2024-12-02, 7, 1)`),
        /// when the error names one.
        stored: Option<String>,
        /// The core's error (its [`code`](ces::CesError::code) says what kind).
        #[source]
        source: Box<ces::CesError>,
    },
    /// Stored exposures whose `attribution_window_days` the core's windows cannot express:
    /// two exposures of one (channel, interaction, campaign) with different windows, or
    /// campaigns whose windows differ by channel in ways no (channel, interaction) rule
    /// satisfies. The run was recorded as `failed` and nothing else was written.
    #[error(
        "{table}: exposures {first:?} ({first_days} days) and {second:?} ({second_days} days) {reason}"
    )]
    WindowConflict {
        /// The exposures table as this backend names it.
        table: &'static str,
        /// One exposure (its id).
        first: String,
        /// Its window.
        first_days: i32,
        /// The exposure whose window contradicts it.
        second: String,
        /// Its window.
        second_days: i32,
        /// Why they cannot both have their own window.
        reason: String,
    },
    /// The `ces` core refused an attribution run (for example an invalid model parameter).
    /// The run was recorded as `failed` and nothing else was written.
    #[error("the attribution failed{at}: {source}", at = stored.as_ref().map(|s| format!(" on {s}")).unwrap_or_default())]
    Attribution {
        /// The stored row the core complained about (`ces.exposures exposure_id = "e-1"`),
        /// when the error names one.
        stored: Option<String>,
        /// The core's error (its [`code`](ces::CesError::code) says what kind).
        #[source]
        source: Box<ces::CesError>,
    },
    /// Any other database error, with the operation that hit it.
    #[error("{operation} failed: {source}")]
    Database {
        /// What the crate was doing (`upsert_brands`, `list_brands`, …).
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
}

impl Error {
    /// The stable machine-readable code of this error (`snake_case`, never changes once
    /// released).
    ///
    /// ```
    /// let err = ces_sql::Backend::from_url("ftp://x").unwrap_err();
    /// assert_eq!(err.code(), "invalid_url");
    /// assert!(ces_sql::Error::CODES.contains(&err.code()));
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidUrl { .. } => "invalid_url",
            Error::BackendDisabled { .. } => "backend_disabled",
            Error::Connect { .. } => "connect_failed",
            Error::Migrate { .. } => "migration_failed",
            Error::InvalidValue { .. } => "invalid_value",
            Error::UnknownBrand { .. } => "unknown_brand",
            Error::ConstraintViolation { .. } => "constraint_violation",
            Error::UnexpectedValue { .. } | Error::UnexpectedStored { .. } => "unexpected_value",
            Error::NotFound { .. } => "not_found",
            Error::StaleCatalog { .. } => "stale_catalog",
            Error::DuplicateKey { .. } => "duplicate_key",
            Error::Merge { .. } => "merge_failed",
            Error::WindowConflict { .. } => "window_conflict",
            Error::Attribution { .. } => "attribution_failed",
            Error::Database { .. } => "database_error",
        }
    }

    /// Every code [`Error::code`] can return.
    pub const CODES: &'static [&'static str] = &[
        "invalid_url",
        "backend_disabled",
        "connect_failed",
        "migration_failed",
        "invalid_value",
        "unknown_brand",
        "constraint_violation",
        "unexpected_value",
        "not_found",
        "stale_catalog",
        "duplicate_key",
        "merge_failed",
        "window_conflict",
        "attribution_failed",
        "database_error",
    ];

    /// The zero-based row of the batch input the error belongs to, if any.
    ///
    /// ```
    /// use ces_sql::NewAlias;
    /// let bad = NewAlias { confidence: 1.5, ..NewAlias::new(1, "NIKE", ces_sql::AliasType::Uppercase) };
    /// let err = bad.validate(Some(4)).unwrap_err();
    /// assert_eq!((err.row(), err.field()), (Some(4), Some("confidence")));
    /// ```
    pub fn row(&self) -> Option<u64> {
        match self {
            Error::InvalidValue { row, .. }
            | Error::UnknownBrand { row, .. }
            | Error::ConstraintViolation { row, .. } => row.0,
            Error::DuplicateKey { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// The field (column or argument) the error names, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidValue { field, .. }
            | Error::UnexpectedValue { field, .. }
            | Error::UnexpectedStored { field, .. }
            | Error::NotFound { field, .. } => Some(field),
            Error::UnknownBrand { .. } => Some("brand_id"),
            Error::StaleCatalog { .. } => Some("resolved_brand_id"),
            Error::WindowConflict { .. } => Some("attribution_window_days"),
            Error::Attribution { source, .. } => crate::attribution::core_field(source),
            Error::ConstraintViolation { field, .. } => *field,
            // The core's field, when it is one of the CPA columns (fields are `'static` here).
            Error::Merge { source, .. } => source
                .field()
                .and_then(|f| CPA_FIELDS.iter().find(|c| **c == f).copied()),
            _ => None,
        }
    }
}

/// The fields a CPA merge error can name.
const CPA_FIELDS: &[&str] = &[
    "currency",
    "clicks",
    "conversions",
    "revenue",
    "payout",
    "profit",
    "cost",
    "affiliate_label",
    "source_id",
    "range",
    "internal",
];

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `url` with the password (if any) replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://postgres:s3cr%40t@db.example.com:5432/postgres?sslmode=require"),
            "postgres://postgres:***@db.example.com:5432/postgres?sslmode=require"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/a@b.db"), "sqlite:///tmp/a@b.db");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn codes_are_listed() {
        let e = Error::InvalidValue {
            row: Row(Some(2)),
            field: "confidence",
            value: "1.5".into(),
            reason: "x".into(),
        };
        assert!(Error::CODES.contains(&e.code()));
        assert_eq!(
            e.to_string(),
            "row 2: invalid value for `confidence`: 1.5 (x)"
        );
    }
}
