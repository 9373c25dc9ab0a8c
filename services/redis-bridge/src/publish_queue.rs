//! Publishing in order with retries: batches go to Redis in one round trip,
//! and messages that failed because Redis was unavailable are sent again
//! until they land or the bridge is told to stop.

use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, BusError, PublishRequest, Published};
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_service::telemetry::MessageSpan;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A raw `PUBLISH` on its way from the pattern listener to Redis, with its
/// span (tracing on and sampled).
pub struct Bridged {
    /// The message to publish.
    pub draft: EnvelopeDraft,
    /// The bridge's span for it, ended once it is published.
    pub span: Option<MessageSpan>,
}

/// Most messages sent to Redis in one pipeline.
pub const BATCH: usize = 256;

/// Publishes `requests` in order. Each result is the final one: success, a
/// permanent failure, or "unavailable" when shutdown interrupted retrying.
pub async fn publish_with_retry(
    bus: &Bus,
    requests: &[PublishRequest<'_>],
    stop: &CancellationToken,
) -> Vec<Result<Published, BusError>> {
    let mut results = bus.publish_batch(requests).await;
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    loop {
        let retry: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.as_ref().err().is_some_and(BusError::is_unavailable))
            .map(|(i, _)| i)
            .collect();
        if retry.is_empty() || stop.is_cancelled() {
            return results;
        }
        let delay = backoff.next_delay();
        tracing::warn!(
            waiting = retry.len(),
            retry_in_ms = delay.as_millis() as u64,
            "Redis unavailable; holding messages and retrying"
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.cancelled() => return results,
        }
        let again: Vec<PublishRequest<'_>> = retry.iter().map(|&i| requests[i]).collect();
        for (i, result) in retry.into_iter().zip(bus.publish_batch(&again).await) {
            results[i] = result;
        }
    }
}

/// Publishes drafts from the pattern listener, in arrival order, until the
/// queue closes (the listener stopped) and is drained.
pub async fn run(bus: Bus, mut drafts: mpsc::Receiver<Bridged>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(BATCH);
    while drafts.recv_many(&mut batch, BATCH).await > 0 {
        let requests: Vec<PublishRequest<'_>> = batch
            .iter()
            .map(|bridged| PublishRequest {
                draft: &bridged.draft,
                idempotency_key: None,
            })
            .collect();
        let results = publish_with_retry(&bus, &requests, &stop).await;
        let mut bridged = 0;
        for (Bridged { draft, span }, result) in batch.drain(..).zip(results) {
            match &result {
                Ok(_) => bridged += 1,
                Err(error) => {
                    tracing::error!(channel = %draft.channel, %error, "message could not be published and is dropped");
                }
            }
            crate::trace::finish(span, &result);
        }
        crate::metrics::get().bridged_pubsub.increment(bridged);
    }
}
