//! The at-least-once path: applications `XADD {prefix}:ingest * channel C
//! data D`, and one bridge replica at a time (the holder of the ingest lease)
//! reads the stream through a consumer group and publishes each entry.
//!
//! Every entry is published with the idempotency key `ingest:{entry id}` and
//! acknowledged afterwards, so an entry redelivered after a crash between
//! the two is recognised and not published twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asynchronio_bus::{Bus, FieldValue, GroupRead, Lease, LeaseLoss, PublishRequest, StreamEntry};
use asynchronio_protocol::system::{self, INGEST_GROUP};
use asynchronio_protocol::trace::{TRACEPARENT, TRACESTATE, TraceContext};
use asynchronio_protocol::{ChannelName, ChannelRules, EnvelopeDraft};
use tokio_util::sync::CancellationToken;

use crate::publish_queue::{BATCH, publish_with_retry};
use crate::trace::{self, Source};

/// The consumer name every leader reads as, so a new leader receives the
/// previous leader's unacknowledged entries first, in order.
const CONSUMER: &str = "leader";

pub struct IngestReader {
    /// A connection of its own: blocking reads hold it.
    pub bus: Bus,
    /// The connection the ingest lease is renewed on: not `bus`, whose
    /// blocking reads would hold a renewal back for up to a third of the
    /// lease (Redis runs one connection's commands in order).
    pub leases: Bus,
    pub replica: String,
    pub lease: Duration,
    pub max_payload_size: usize,
    /// True while this replica reads the stream as its leader (what
    /// `/metrics` reports the ingest backlog by).
    pub leading: Arc<AtomicBool>,
}

/// The trace context an entry carries in its optional `traceparent` /
/// `tracestate` fields. A malformed one is logged and ignored: the message
/// is still published (as a new trace), never lost over its metadata.
fn trace_context(entry: &StreamEntry) -> Option<TraceContext> {
    let field = |name: &str| {
        entry
            .field(name)
            .map(|value| String::from_utf8_lossy(value))
    };
    let parent = field(TRACEPARENT);
    let state = field(TRACESTATE);
    match TraceContext::checked_optional(parent.as_deref(), state.as_deref()) {
        Ok(context) => context,
        Err(error) => {
            tracing::warn!(entry = %entry.id, %error, "ingest entry's trace context ignored; the message is published as a new trace");
            None
        }
    }
}

/// Clears the leader flag when leading ends, however it ends.
struct Leading<'a>(&'a AtomicBool);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// An entry that cannot be published, and why.
struct Rejection {
    entry: StreamEntry,
    reason: String,
}

impl IngestReader {
    /// Reads the stream whenever this replica holds the ingest lease, until
    /// `stop`; then gives the lease back.
    pub async fn run(self, stop: CancellationToken) {
        let lease = Lease {
            key: self.leases.keys().bridge_ingest_lease(),
            owner: self.replica.clone(),
            ttl: self.lease,
        };
        // A failed renewal counts as lost: reading stops at the first doubt
        // (what was read and not acknowledged is read again by the next
        // leader, and deduplicated).
        let keeper = self.leases.keep_lease(lease, LeaseLoss::WhenUnsure);
        keeper
            .run_while_held(&stop, |leading| self.lead(leading, stop.clone()))
            .await;
    }

    /// Reads the stream as its leader until `leading` is cancelled (the
    /// lease lost, or shutdown).
    async fn lead(&self, leading: CancellationToken, stop: CancellationToken) {
        let stream = self.bus.keys().ingest();
        self.leading.store(true, Ordering::Release);
        let _leading = Leading(&self.leading);
        tracing::info!(
            stream,
            "reading the ingest stream (this replica holds its lease)"
        );
        while let Err(error) = self.bus.ensure_group(&stream, INGEST_GROUP).await {
            tracing::warn!(%error, "cannot create the ingest consumer group; retrying");
            self.pause(&leading).await;
            if leading.is_cancelled() {
                return;
            }
        }
        // The previous leader's unacknowledged entries first.
        self.drain(&stream, GroupRead::Pending, &leading).await;
        while !leading.is_cancelled() {
            self.drain(&stream, GroupRead::New, &leading).await;
        }
        if !stop.is_cancelled() {
            tracing::warn!("lost the ingest lease");
        }
    }

    async fn pause(&self, stop: &CancellationToken) {
        tokio::select! {
            () = tokio::time::sleep(self.lease / 3) => {}
            () = stop.cancelled() => {}
        }
    }

    /// Reads and publishes one batch (blocking up to a third of the lease
    /// for new entries, so a lost lease is noticed within a renewal period).
    async fn drain(&self, stream: &str, which: GroupRead, stop: &CancellationToken) {
        let block = (self.lease / 3).as_millis() as u64;
        loop {
            let read = self.bus.read_group(
                stream,
                INGEST_GROUP,
                CONSUMER,
                which,
                BATCH as u64,
                Some(block.max(1)),
            );
            // Abandoning a read at shutdown loses nothing: what it delivered
            // stays pending in the group and is read again by the next leader.
            let read = tokio::select! {
                () = stop.cancelled() => return,
                read = read => read,
            };
            let entries = match read {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the ingest stream; retrying");
                    self.pause(stop).await;
                    return;
                }
            };
            let count = entries.len();
            self.process(stream, entries, stop).await;
            // Pending entries are read until none are left; new ones one
            // batch at a time, so the caller sees a lost lease in between.
            if which == GroupRead::New || count == 0 || stop.is_cancelled() {
                return;
            }
        }
    }

    async fn process(&self, stream: &str, entries: Vec<StreamEntry>, stop: &CancellationToken) {
        if entries.is_empty() {
            return;
        }
        let rules = ChannelRules::default();
        let mut drafts = Vec::with_capacity(entries.len());
        let mut rejected = Vec::new();
        let mut done = Vec::new();
        for entry in entries {
            if entry.fields.is_empty() {
                // Deleted after it was delivered: nothing left to publish.
                done.push(entry.id);
                continue;
            }
            match self.draft(&entry, &rules) {
                Ok(mut draft) => {
                    let span = trace::start(Source::Ingest, trace_context(&entry), &mut draft);
                    drafts.push((system::ingest_entry_key(&entry.id), draft, entry.id, span));
                }
                Err(reason) => rejected.push(Rejection { entry, reason }),
            }
        }
        let requests: Vec<PublishRequest<'_>> = drafts
            .iter()
            .map(|(key, draft, _, _)| PublishRequest {
                draft,
                idempotency_key: Some(key),
            })
            .collect();
        let results = publish_with_retry(&self.bus, &requests, stop).await;
        let mut bridged = 0;
        for ((_, draft, id, span), result) in drafts.iter_mut().zip(results) {
            trace::finish(span.take(), &result);
            match result {
                Ok(published) => {
                    // A duplicate was bridged before (by a leader that
                    // crashed before acknowledging it): counted then.
                    if !published.duplicate && !published.conflict {
                        bridged += 1;
                    }
                    done.push(id.clone());
                }
                // Unacknowledged: read again by the next leader or after restart.
                Err(error) if error.is_unavailable() => {}
                Err(error) => rejected.push(Rejection {
                    entry: StreamEntry {
                        id: id.clone(),
                        fields: vec![
                            ("channel".into(), draft.channel.clone().into_bytes().into()),
                            ("data".into(), draft.payload.clone()),
                        ],
                    },
                    reason: error.to_string(),
                }),
            }
        }
        crate::metrics::get().bridged_ingest.increment(bridged);
        for rejection in rejected {
            if self.reject(&rejection).await {
                crate::metrics::get().rejected.increment(1);
                done.push(rejection.entry.id);
            }
        }
        if let Err(error) = self.bus.ack_and_delete(stream, INGEST_GROUP, &done).await {
            tracing::warn!(%error, "cannot acknowledge ingest entries; they will be read again and deduplicated");
        }
    }

    fn draft(&self, entry: &StreamEntry, rules: &ChannelRules) -> Result<EnvelopeDraft, String> {
        let channel = entry
            .field("channel")
            .ok_or("entry has no \"channel\" field")?;
        let channel =
            std::str::from_utf8(channel).map_err(|_| "channel is not UTF-8".to_owned())?;
        ChannelName::parse(channel, rules).map_err(|e| e.to_string())?;
        let data = entry.field("data").ok_or("entry has no \"data\" field")?;
        if data.len() > self.max_payload_size {
            return Err(format!(
                "data is {} bytes; the limit is {} (--max-payload-size)",
                data.len(),
                self.max_payload_size
            ));
        }
        let mut draft = EnvelopeDraft::new(channel, data.clone());
        draft.publisher = Some("redis-bridge ingest".to_owned());
        Ok(draft)
    }

    /// Keeps a bad entry in `{ingest}:rejected` with the reason, so nothing
    /// is lost silently. True once stored.
    async fn reject(&self, rejection: &Rejection) -> bool {
        let stream = self.bus.keys().ingest_rejected();
        tracing::warn!(id = %rejection.entry.id, reason = %rejection.reason, stream, "ingest entry rejected");
        let mut fields: Vec<(String, FieldValue)> = vec![
            ("id".into(), rejection.entry.id.clone().into()),
            ("reason".into(), rejection.reason.clone().into()),
        ];
        fields.extend(
            rejection
                .entry
                .fields
                .iter()
                .map(|(k, v)| (format!("field:{k}"), v.clone().into())),
        );
        let added = self.bus.append_capped(&stream, 10_000, fields).await;
        match added {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, "cannot store a rejected ingest entry; it stays pending");
                false
            }
        }
    }
}
