//! The node heartbeat: what every running replica of every service
//! (gateway, bridge, REST API, process manager) says about itself every few
//! seconds on [`NODES_CHANNEL`], as a JSON payload, for the dashboard's
//! Nodes page.
//!
//! A heartbeat says how long it stays valid ([`NodeHeartbeat::ttl_ms`]):
//! a reader that has heard nothing from a node for that long forgets it, so
//! a killed replica disappears without anyone announcing it. Whatever reads
//! a heartbeat treats it as hostile ([`NodeHeartbeat::decode`] refuses
//! oversized or odd text and impossible numbers; pages still escape it).

use serde::{Deserialize, Serialize};

pub use crate::system::NODES_CHANNEL;

/// How often every service publishes its heartbeat.
pub const HEARTBEAT_EVERY_MS: u64 = 5_000;

/// A node unheard of for this many heartbeat periods is gone: one lost
/// heartbeat is forgiven, two are not (a killed replica disappears within
/// 2.5 periods of its last heartbeat, 12.5 s with the default period).
pub const MISSED_PERIODS_TOLERATED: f64 = 2.5;

/// The longest node id accepted (instance ids are `{host}-{pid}-{random}`).
pub const MAX_ID_LEN: usize = 128;

/// The longest version accepted.
pub const MAX_VERSION_LEN: usize = 64;

/// The largest heartbeat payload accepted, in bytes.
pub const MAX_HEARTBEAT_BYTES: usize = 2_048;

/// Accepted heartbeat periods, in milliseconds (a hostile `every_ms` of 0
/// or of a year would make a node vanish at once or never).
const PERIOD_RANGE_MS: std::ops::RangeInclusive<u64> = 100..=60_000;

/// Which service a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// `ws-gateway`.
    WsGateway,
    /// `redis-bridge`.
    RedisBridge,
    /// `rest-api`.
    RestApi,
    /// `process-manager`.
    ProcessManager,
}

impl NodeKind {
    /// Every kind, in the order the dashboard lists them.
    pub const ALL: [NodeKind; 4] = [
        NodeKind::WsGateway,
        NodeKind::RedisBridge,
        NodeKind::RestApi,
        NodeKind::ProcessManager,
    ];

    /// The service's name, as serialised (and as its binary is called).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::WsGateway => "ws-gateway",
            NodeKind::RedisBridge => "redis-bridge",
            NodeKind::RestApi => "rest-api",
            NodeKind::ProcessManager => "process-manager",
        }
    }
}

/// What only a gateway reports: its own connections and the deliveries it
/// made during the last heartbeat period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GatewayFigures {
    /// Upgraded WebSocket connections open now.
    pub connections: u64,
    /// Messages written to clients per second over the last period.
    pub deliveries_per_second: f64,
    /// Median delivery latency (publish to flushed frame) over the last
    /// period, in seconds; `None` when nothing was delivered.
    pub p50_seconds: Option<f64>,
    /// 99th percentile of the same, in seconds.
    pub p99_seconds: Option<f64>,
}

/// One node's heartbeat, the payload of a message on [`NODES_CHANNEL`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeHeartbeat {
    /// Which service.
    pub kind: NodeKind,
    /// The replica's instance id (unique among running replicas).
    pub id: String,
    /// The service's version (its `CARGO_PKG_VERSION`).
    pub version: String,
    /// When the node started, in milliseconds since the epoch (its clock).
    pub started_at_ms: u64,
    /// When this heartbeat was taken, in milliseconds since the epoch.
    pub sent_at_ms: u64,
    /// How often the node sends a heartbeat, in milliseconds.
    pub every_ms: u64,
    /// Resident memory, in bytes, when `/proc` could be read.
    pub rss_bytes: Option<u64>,
    /// Time for a `PING` to Redis and back, in microseconds.
    pub redis_rtt_us: Option<u64>,
    /// Set by gateways only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayFigures>,
}

/// Why a heartbeat was refused.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The payload is larger than [`MAX_HEARTBEAT_BYTES`].
    #[error("a node heartbeat is at most {MAX_HEARTBEAT_BYTES} bytes, this one {0}")]
    TooLarge(usize),
    /// Not a heartbeat in JSON.
    #[error("not a node heartbeat: {0}")]
    Json(#[from] serde_json::Error),
    /// A field holds something a real node never sends.
    #[error("bad node heartbeat: {0}")]
    Invalid(&'static str),
}

impl NodeHeartbeat {
    /// The JSON payload.
    pub fn encode(&self) -> Result<Vec<u8>, NodeError> {
        self.check()?;
        Ok(serde_json::to_vec(self)?)
    }

    /// Parses and checks a payload read from the channel (or from anyone
    /// who could publish there: treat it as hostile).
    pub fn decode(bytes: &[u8]) -> Result<Self, NodeError> {
        if bytes.len() > MAX_HEARTBEAT_BYTES {
            return Err(NodeError::TooLarge(bytes.len()));
        }
        let heartbeat: NodeHeartbeat = serde_json::from_slice(bytes)?;
        heartbeat.check()?;
        Ok(heartbeat)
    }

    /// How long after this heartbeat the node counts as gone, unless
    /// another one comes: [`MISSED_PERIODS_TOLERATED`] periods.
    pub fn ttl_ms(&self) -> u64 {
        ttl_ms(self.every_ms)
    }

    /// How long the node had been running when it sent this heartbeat.
    pub fn uptime_ms(&self) -> u64 {
        self.sent_at_ms.saturating_sub(self.started_at_ms)
    }

    fn check(&self) -> Result<(), NodeError> {
        check_text(&self.id, MAX_ID_LEN, "id must be 1 to 128 bytes")?;
        check_text(
            &self.version,
            MAX_VERSION_LEN,
            "version must be 1 to 64 bytes",
        )?;
        if !PERIOD_RANGE_MS.contains(&self.every_ms) {
            return Err(NodeError::Invalid("every_ms must be 100 to 60000"));
        }
        if self.started_at_ms > self.sent_at_ms {
            return Err(NodeError::Invalid("started_at_ms is after sent_at_ms"));
        }
        if let Some(gateway) = &self.gateway {
            let figures = [
                Some(gateway.deliveries_per_second),
                gateway.p50_seconds,
                gateway.p99_seconds,
            ];
            if figures
                .into_iter()
                .flatten()
                .any(|x| !x.is_finite() || x < 0.0)
            {
                return Err(NodeError::Invalid(
                    "gateway figures must be finite and not negative",
                ));
            }
        }
        Ok(())
    }
}

/// How long a node with heartbeat period `every_ms` stays listed after its
/// last heartbeat.
pub fn ttl_ms(every_ms: u64) -> u64 {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "periods are at most a minute"
    )]
    let ttl = (every_ms as f64 * MISSED_PERIODS_TOLERATED) as u64;
    ttl
}

/// Ids and versions are shown to people: printable, one line, bounded.
fn check_text(text: &str, max: usize, bad_length: &'static str) -> Result<(), NodeError> {
    if text.is_empty() || text.len() > max {
        return Err(NodeError::Invalid(bad_length));
    }
    if text.chars().any(char::is_control) {
        return Err(NodeError::Invalid(
            "id and version must hold no control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> NodeHeartbeat {
        NodeHeartbeat {
            kind: NodeKind::WsGateway,
            id: "host-42-beef".into(),
            version: "0.1.0".into(),
            started_at_ms: 1_700_000_000_000,
            sent_at_ms: 1_700_000_060_000,
            every_ms: HEARTBEAT_EVERY_MS,
            rss_bytes: Some(12 << 20),
            redis_rtt_us: Some(180),
            gateway: Some(GatewayFigures {
                connections: 3,
                deliveries_per_second: 1250.5,
                p50_seconds: Some(0.0004),
                p99_seconds: None,
            }),
        }
    }

    #[test]
    fn round_trips() {
        let original = gateway();
        let bytes = original.encode().expect("encodes");
        assert_eq!(NodeHeartbeat::decode(&bytes).expect("decodes"), original);

        let bridge = NodeHeartbeat {
            kind: NodeKind::RedisBridge,
            gateway: None,
            rss_bytes: None,
            redis_rtt_us: None,
            ..gateway()
        };
        let bytes = bridge.encode().expect("encodes");
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        assert!(text.contains(r#""kind":"redis-bridge""#), "{text}");
        assert!(!text.contains("gateway\":"), "{text}");
        assert_eq!(NodeHeartbeat::decode(&bytes).expect("decodes"), bridge);
        assert_eq!(bridge.uptime_ms(), 60_000);
        assert_eq!(bridge.ttl_ms(), 12_500);
    }

    #[test]
    fn kinds_serialise_as_service_names() {
        for kind in NodeKind::ALL {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn unknown_fields_are_ignored_so_the_format_can_grow() {
        let mut value = serde_json::to_value(gateway()).expect("value");
        value["future"] = serde_json::json!({"x": 1});
        let bytes = serde_json::to_vec(&value).expect("bytes");
        assert_eq!(NodeHeartbeat::decode(&bytes).expect("decodes"), gateway());
    }

    #[test]
    fn hostile_heartbeats_are_refused_with_a_reason() {
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (serde_json::json!("not an object"), "not a node heartbeat"),
            (
                serde_json::json!({"kind": "toaster", "id": "x"}),
                "not a node heartbeat",
            ),
            (with(|v| v["id"] = "".into()), "id must be"),
            (with(|v| v["id"] = "x".repeat(129).into()), "id must be"),
            (with(|v| v["id"] = "a\nb".into()), "control characters"),
            (with(|v| v["version"] = "\u{1b}[31m".into()), "control"),
            (with(|v| v["every_ms"] = 0.into()), "every_ms"),
            (
                with(|v| v["every_ms"] = 31_536_000_000_u64.into()),
                "every_ms",
            ),
            (
                with(|v| v["rss_bytes"] = (-1).into()),
                "not a node heartbeat",
            ),
            (with(|v| v["started_at_ms"] = u64::MAX.into()), "started_at"),
            (
                with(|v| v["gateway"]["deliveries_per_second"] = (-3.0).into()),
                "finite",
            ),
            (
                with(|v| v["gateway"]["connections"] = "many".into()),
                "not a node heartbeat",
            ),
        ];
        for (value, reason) in cases {
            let bytes = serde_json::to_vec(&value).expect("bytes");
            let error = NodeHeartbeat::decode(&bytes).expect_err(&value.to_string());
            assert!(
                error.to_string().contains(reason),
                "{value}: {error} (wanted {reason})"
            );
        }
        let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_HEARTBEAT_BYTES));
        assert!(matches!(
            NodeHeartbeat::decode(huge.as_bytes()),
            Err(NodeError::TooLarge(_))
        ));
        // Markup is not refused (pages escape it), but it survives as text.
        let markup = with(|v| v["id"] = "<img src=x onerror=alert(1)>".into());
        let decoded = NodeHeartbeat::decode(&serde_json::to_vec(&markup).expect("bytes"))
            .expect("markup is text");
        assert_eq!(decoded.id, "<img src=x onerror=alert(1)>");
        // Nor does encode write what decode would refuse.
        let bad = NodeHeartbeat {
            every_ms: 0,
            ..gateway()
        };
        assert!(bad.encode().is_err());
    }

    fn with(change: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let mut value = serde_json::to_value(gateway()).expect("value");
        change(&mut value);
        value
    }
}
