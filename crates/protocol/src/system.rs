//! Every name Asynchronio gives itself inside Redis and on channels: the
//! system channels it publishes on, the consumer groups its services read
//! streams through, the holders that keep a channel's history from being
//! trimmed, and the idempotency keys of pipeline outputs. Each is defined
//! here once; services never spell them.
//!
//! (Redis key names are in [`crate::keys`]; what makes a channel a system
//! channel is [`crate::channel::kind_of`].)

use crate::channel::SYSTEM_PREFIX;

// System channels. Every one starts with `SYSTEM_PREFIX` (a test checks),
// so only admins read them and nobody outside publishes.

/// System channel on which every instance state change is published.
pub const PROCESSES_CHANNEL: &str = "$sys:processes";

/// System channel on which pipeline topology and statistics are published.
pub const PIPELINES_CHANNEL: &str = "$sys:pipelines";

/// System channel for stack-wide metrics (messages per second and the like).
pub const METRICS_CHANNEL: &str = "$sys:metrics";

/// System channel carrying the dashboard's processes table as render frames
/// (one row per instance).
pub const PROCESSES_RENDER_CHANNEL: &str = "$sys:render:processes";

/// System channel on which every replica of every service publishes its
/// heartbeat (`crate::node::NodeHeartbeat`) for the Nodes page.
pub const NODES_CHANNEL: &str = "$sys:nodes";

/// The system channel carrying one program's stdout and stderr lines.
pub fn logs_channel(program: &str) -> String {
    format!("{SYSTEM_PREFIX}logs:{program}")
}

// Consumer groups.

/// Consumer group through which the process manager reads commands.
pub const COMMAND_GROUP: &str = "process-manager";

/// Consumer group through which redis-bridge reads the ingest stream.
pub const INGEST_GROUP: &str = "bridge";

/// The consumer group a pipeline stage reads its input channel through.
pub fn stage_group(stage: &str) -> String {
    format!("pipeline:{stage}")
}

// Holders: names in a channel's holds hash (`Keys::holds`); trimming never
// passes the lowest offset a holder still needs.

/// The holder name of the archiver.
pub const ARCHIVER_HOLDER: &str = "archiver";

/// The holder name of a pipeline stage on its input channel.
pub fn stage_holder(stage: &str) -> String {
    format!("stage:{stage}")
}

// Idempotency keys.

/// The idempotency key of output `index` of the answer to the message at
/// `offset` in `epoch` of a stage's input: the same on every redelivery of
/// that message, so its outputs are published once.
pub fn stage_output_key(stage: &str, epoch: &str, offset: u64, index: usize) -> String {
    format!("stage:{stage}:{epoch}:{offset}:{index}")
}

/// The idempotency key the bridge publishes an ingest stream entry with:
/// the same however often the entry is read again (after a crash before its
/// acknowledgement), so it is published once.
pub fn ingest_entry_key(entry_id: &str) -> String {
    format!("ingest:{entry_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{ChannelKind, is_render_channel, kind_of};

    #[test]
    fn system_channels_are_system_channels() {
        for channel in [
            PROCESSES_CHANNEL,
            PIPELINES_CHANNEL,
            METRICS_CHANNEL,
            PROCESSES_RENDER_CHANNEL,
            NODES_CHANNEL,
            &logs_channel("web"),
        ] {
            assert_eq!(kind_of(channel), ChannelKind::System, "{channel}");
        }
        assert_eq!(logs_channel("web"), "$sys:logs:web");
        assert!(is_render_channel(PROCESSES_RENDER_CHANNEL));
        assert!(!is_render_channel(PROCESSES_CHANNEL));
    }

    #[test]
    fn group_and_holder_names() {
        assert_eq!(stage_group("upper"), "pipeline:upper");
        assert_eq!(stage_holder("upper"), "stage:upper");
        assert_eq!(
            stage_output_key("upper", "e1", 42, 0),
            "stage:upper:e1:42:0"
        );
    }
}
