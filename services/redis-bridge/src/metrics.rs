//! The bridge's Prometheus metrics, resolved once into [`BridgeMetrics`]
//! (see [`get`]) so that recording is an atomic add on a cached handle.

use std::sync::LazyLock;

use metrics::{Counter, Gauge};

/// Messages published into Asynchronio, by source.
pub const BRIDGED: &str = "asynchronio_bridge_messages_bridged_total";
/// Ingest partitions this replica owns (set when `/metrics` is rendered).
pub const PARTITIONS: &str = "asynchronio_bridge_partitions_owned";
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
    BridgeMetrics {
        bridged_pubsub: metrics::counter!(BRIDGED, "source" => "pubsub"),
        bridged_ingest: metrics::counter!(BRIDGED, "source" => "ingest"),
        partitions: metrics::gauge!(PARTITIONS),
        rejected: metrics::counter!(REJECTED),
    }
});

/// The bridge's metric handles; the first call resolves them against the
/// recorder installed then, so `main` installs it before anything records.
pub fn get() -> &'static BridgeMetrics {
    &METRICS
}
