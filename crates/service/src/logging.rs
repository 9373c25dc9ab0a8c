//! Logging through `tracing`: human-readable by default, JSON lines with
//! `--log-format json`; the level comes from `RUST_LOG` (default `info`, with
//! the SQL driver's per-statement lines at `warn`).

use tracing_subscriber::EnvFilter;

/// Without `RUST_LOG`: our `info` lines, not one line per SQL statement.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Coloured when writing to a terminal, one event per line.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging options every binary takes.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(
        long,
        env = "ASYNCHRONIO_LOG_FORMAT",
        value_enum,
        default_value = "human"
    )]
    pub log_format: LogFormat,
}

impl LogArgs {
    /// Installs the global subscriber. Call once, first thing in `main`.
    pub fn init(&self) {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match self.log_format {
            LogFormat::Human => builder.init(),
            LogFormat::Json => builder.json().flatten_event(true).init(),
        }
    }
}
