//! The archiver: copies the streams of archived channels (those matching
//! `--archive` patterns) into SQL, so their history outlives Redis' trimming.
//!
//! Every interval it lists channels, and for each archived one reads the
//! stream after the newest archived offset of the current epoch. Rows are
//! keyed by (channel, epoch, offset), so copying twice changes nothing.
//! After each copy it records its progress in the channel's metadata, and
//! the publish script never trims what has not been copied: nothing is lost
//! when the archiver is slow or down (the stream just grows meanwhile).

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
    let mut round: u64 = 0;
    loop {
        // Now and then, release channels that are no longer archived.
        let release = round.is_multiple_of(60);
        round += 1;
        if let Err(error) = sweep(&bus, &store, &patterns, release).await {
            tracing::warn!(%error, "archiving failed this round; retrying");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

async fn sweep(bus: &Bus, store: &Store, patterns: &[String], release: bool) -> anyhow::Result<()> {
    for channel in bus.known_channels().await? {
        if !archived(patterns, &channel) {
            if release {
                bus.unmark_archived(&channel).await?;
            }
            continue;
        }
        let epoch = bus.position(&channel).await?.epoch;
        if epoch.is_empty() {
            // Its metadata expired since the scan (or only a hold is left):
            // nothing to copy, and a hold now would write a key for it.
            continue;
        }
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
            bus.mark_archived(&channel, &epoch, Offset(last)).await?;
            if !full {
                break;
            }
        }
    }
    Ok(())
}
