//! Asynchronio's SQL store, through sea-orm: API keys (hashed), the audit
//! log of state-changing calls, and the message archive.
//!
//! SQLite in a file is the embedded default; `DATABASE_URL=postgres://…`
//! selects PostgreSQL. Migrations run on connect, so a fresh database is
//! ready to use.

#![warn(missing_docs)]

mod api_keys;
mod archive;
mod audit;
pub mod entity;
mod migration;

use sea_orm::{Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

pub use api_keys::{ApiKey, NewApiKey, Scope};
pub use archive::ArchivedMessage;
pub use audit::AuditEntry;

/// Store failures, phrased for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the database {url}: {source}; check DATABASE_URL (sqlite://path?mode=rwc or postgres://user:pass@host/db)"
    )]
    /// The database could not be opened.
    Connect {
        /// The database URL, password redacted.
        url: String,
        /// What the driver said.
        #[source]
        source: DbErr,
    },
    #[error("database migration failed: {0}")]
    /// The schema could not be brought up to date.
    Migrate(#[source] DbErr),
    #[error("database error: {0}")]
    /// A query failed.
    Db(#[from] DbErr),
    #[error("unknown scope {0:?}; use publish, read or admin")]
    /// A scope name that is not publish, read or admin.
    UnknownScope(String),
}

/// A connected, migrated database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `url` and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let db = Database::connect(url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redacted(url),
                source,
            })?;
        migration::Migrator::up(&db, None)
            .await
            .map_err(StoreError::Migrate)?;
        tracing::info!(database = %redacted(url), "database ready");
        Ok(Store { db })
    }

    /// The SQLite URL for a database file, created if missing.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    /// The sea-orm connection, for queries this crate does not wrap.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
/// Milliseconds since the Unix epoch, as stored in every time column (the
/// one clock, [`asynchronio_protocol::clock::now_ms`], as SQL's signed type).
pub fn now_ms() -> i64 {
    i64::try_from(asynchronio_protocol::clock::now_ms()).unwrap_or(i64::MAX)
}

/// The URL without its password, for logs and errors.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
