//! The archiver: copies the streams of archived channels (those matching
//! `--archive` patterns) into SQL, so their history outlives Redis' trimming.
//!
//! Every interval it lists channels, and for each archived one reads the
//! stream after the newest archived offset of the current epoch. Rows are
//! keyed by (channel, epoch, offset), so copying twice changes nothing. The
//! interval must be short enough that the archiver reads messages before
//! Redis trims them (history size / publish rate).

use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::Offset;
use asynchronio_protocol::token::pattern_matches;
use asynchronio_store::{ArchivedMessage, Store};
use tokio_util::sync::CancellationToken;

/// Messages copied per read.
const PAGE: usize = 500;

/// Whether `channel` is archived under `patterns`.
pub fn archived(patterns: &[String], channel: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, channel))
}

pub async fn run(
    bus: Bus,
    store: Store,
    patterns: Vec<String>,
    interval: Duration,
    stop: CancellationToken,
) {
    if patterns.is_empty() {
        return;
    }
    tracing::info!(?patterns, "archiving channels");
    loop {
        if let Err(error) = sweep(&bus, &store, &patterns).await {
            tracing::warn!(%error, "archiving failed this round; retrying");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

async fn sweep(bus: &Bus, store: &Store, patterns: &[String]) -> anyhow::Result<()> {
    for channel in bus.known_channels().await? {
        if !archived(patterns, &channel) {
            continue;
        }
        let epoch = bus.position(&channel).await?.epoch;
        let mut last = store
            .archived_last_offset(&channel, &epoch)
            .await?
            .unwrap_or(0);
        loop {
            let page = bus.history(&channel, Offset(last), None, PAGE).await?;
            let full = page.len() == PAGE;
            let mut rows = Vec::with_capacity(page.len());
            for envelope in page.into_iter().filter(|e| e.epoch == epoch) {
                last = last.max(envelope.offset);
                rows.push(ArchivedMessage {
                    channel: channel.clone(),
                    epoch: epoch.clone(),
                    offset: envelope.offset,
                    ts_ms: envelope.ts,
                    envelope: envelope.encode()?,
                });
            }
            store.archive(rows).await?;
            if !full {
                break;
            }
        }
    }
    Ok(())
}
