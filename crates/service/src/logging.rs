//! Logging through `tracing`: human-readable by default, JSON lines with
//! `--log-format json`; the level comes from `RUST_LOG` (default `info`, with
//! the SQL driver's per-statement lines at `warn`).

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::telemetry::{self, Telemetry};

/// Without `RUST_LOG`: our `info` lines, not one line per SQL statement.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// The crates whose `tracing` spans (and the events inside them) are
/// exported: ours. Without this filter every dependency's TRACE-level
/// callsite (fred, actix, hyper, the exporter's own HTTP client) would be
/// enabled and turned into span data.
const OWN_TARGETS: &[&str] = &["asynchronio", "rest_api", "ws_gateway", "redis_bridge"];

/// What the OpenTelemetry layer sees: INFO and above, from [`OWN_TARGETS`].
/// The level hint matters: a filter without one lets `tracing` assume any
/// level may be enabled, which would raise the process's maximum level to
/// TRACE (and the `log` bridge's with it) as soon as tracing is on.
fn own_spans_and_events()
-> tracing_subscriber::filter::FilterFn<impl Fn(&tracing::Metadata<'_>) -> bool> {
    tracing_subscriber::filter::filter_fn(|metadata| {
        *metadata.level() <= tracing::Level::INFO
            && OWN_TARGETS
                .iter()
                .any(|target| metadata.target().starts_with(target))
    })
    .with_max_level_hint(tracing::level_filters::LevelFilter::INFO)
}

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
    /// Installs the global subscriber, and OpenTelemetry tracing when an
    /// OTLP endpoint is configured ([`crate::telemetry`]). Call once, first
    /// thing in `main`, and keep the guard until the end: dropping it
    /// flushes the last spans.
    pub fn init(&self) -> Telemetry {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        let (guard, otel, problem) = match telemetry::install() {
            Ok((guard, layer)) => (guard, layer, None),
            Err(problem) => (Telemetry::off(), None, Some(problem)),
        };
        // The OpenTelemetry layer goes first: it is typed for the bare
        // registry.
        let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
        let fmt = match self.log_format {
            LogFormat::Human => fmt.boxed(),
            LogFormat::Json => fmt.json().flatten_event(true).boxed(),
        };
        tracing_subscriber::registry()
            .with(otel.map(|layer| layer.with_filter(own_spans_and_events())))
            .with(fmt.with_filter(filter))
            .init();
        if let Some(problem) = problem {
            tracing::error!("tracing is off: {problem}");
        } else if telemetry::enabled() {
            tracing::info!("exporting traces over OTLP/HTTP");
        }
        guard
    }
}

#[cfg(test)]
mod tests {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::own_spans_and_events;

    #[test]
    fn the_exported_spans_filter_keeps_the_maximum_level_at_info() {
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::sink)
                .with_filter(own_spans_and_events()),
        );
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(LevelFilter::current(), LevelFilter::INFO);
        });
    }
}
