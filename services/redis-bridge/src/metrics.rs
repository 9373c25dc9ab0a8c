//! The bridge's Prometheus metrics, resolved once into [`BridgeMetrics`]
//! (see [`get`]) so that recording is an atomic add on a cached handle.

use std::sync::LazyLock;

use metrics::{Counter, Gauge};

/// Messages published into Asynchronio, by source.
pub const BRIDGED: &str = "asynchronio_bridge_messages_bridged_total";
/// Ingest partitions this replica owns (set when `/metrics` is rendered).
pub const PARTITIONS: &str = "asynchronio_bridge_partitions_owned";
/// Ingest entries not yet read by the bridge (set when `/metrics` is
/// rendered, by the ingest leader only).
pub const INGEST_LAG: &str = "asynchronio_bridge_ingest_lag";
/// Ingest entries read and not yet acknowledged (set when `/metrics` is
/// rendered, by the ingest leader only).
pub const INGEST_PENDING: &str = "asynchronio_bridge_ingest_pending";
/// Ingest entries rejected into `{ingest}:rejected`.
pub const REJECTED: &str = "asynchronio_bridge_rejected_entries_total";

/// The handles the bridge records through, resolved once.
pub struct BridgeMetrics {
    /// [`BRIDGED`] with `source="pubsub"`: raw `PUBLISH`es on bridged patterns.
    pub bridged_pubsub: Counter,
    /// [`BRIDGED`] with `source="ingest"`: entries of the ingest stream.
    pub bridged_ingest: Counter,
    /// See [`PARTITIONS`].
    pub partitions: Gauge,
    /// See [`REJECTED`].
    pub rejected: Counter,
    /// See [`INGEST_LAG`].
    pub ingest_lag: Gauge,
    /// See [`INGEST_PENDING`].
    pub ingest_pending: Gauge,
}

static METRICS: LazyLock<BridgeMetrics> = LazyLock::new(|| {
    metrics::describe_counter!(
        BRIDGED,
        "Messages published into Asynchronio, by source: pubsub (a raw PUBLISH on a bridged pattern) or ingest (an entry of the ingest stream)."
    );
    metrics::describe_gauge!(
        PARTITIONS,
        "Channel partitions this replica owns (it bridges raw PUBLISHes only on the channels of its partitions)."
    );
    metrics::describe_counter!(
        REJECTED,
        "Ingest entries that cannot be published, kept with their reason in the rejected stream."
    );
    metrics::describe_gauge!(
        INGEST_LAG,
        "Entries of the ingest stream not yet read by the bridge (reported by the replica leading the stream; 0 on the others)."
    );
    metrics::describe_gauge!(
        INGEST_PENDING,
        "Entries of the ingest stream read and not yet acknowledged (reported by the replica leading the stream; 0 on the others)."
    );
    BridgeMetrics {
        bridged_pubsub: metrics::counter!(BRIDGED, "source" => "pubsub"),
        bridged_ingest: metrics::counter!(BRIDGED, "source" => "ingest"),
        partitions: metrics::gauge!(PARTITIONS),
        rejected: metrics::counter!(REJECTED),
        ingest_lag: metrics::gauge!(INGEST_LAG),
        ingest_pending: metrics::gauge!(INGEST_PENDING),
    }
});

/// The bridge's metric handles; the first call resolves them against the
/// recorder installed then, so `main` installs it before anything records.
pub fn get() -> &'static BridgeMetrics {
    &METRICS
}
