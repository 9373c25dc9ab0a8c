//! Starting a service: logging first, then the multi-threaded runtime that
//! runs the service's main future to completion.

use std::future::Future;

use crate::logging::LogArgs;

/// Installs logging (and tracing, when configured) and runs `main` on a
/// multi-threaded tokio runtime; the last spans are flushed after `main`
/// returns.
pub fn run_service<F>(log: &LogArgs, main: F) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let _telemetry = log.init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| anyhow::anyhow!("cannot start the async runtime: {error}"))?;
    runtime.block_on(main)
}
