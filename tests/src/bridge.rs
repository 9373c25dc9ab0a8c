//! What a redis-bridge reports on `GET /healthz`: how many of the 64
//! channel partitions it holds, so tests can wait until bridges own every
//! channel before they rely on raw `PUBLISH` (which no bridge buffers).

use std::time::{Duration, Instant};

use crate::http;
use crate::process::Service;

/// Partitions the bridge at `host:port` holds, if it answers.
pub fn owned_partitions(host: &str, port: u16) -> Option<u64> {
    let response = http::request_to(host, port, "GET", "/healthz", &[], b"");
    let value: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    value["partitions"].as_u64()
}

/// Waits until `bridges` split the 64 partitions evenly.
pub async fn wait_balanced(bridges: &[&Service], limit: Duration) {
    let deadline = Instant::now() + limit;
    let fair = 64 / bridges.len() as u64;
    while Instant::now() < deadline {
        if bridges
            .iter()
            .all(|b| owned_partitions("127.0.0.1", b.port) == Some(fair))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("bridges did not balance their partitions within {limit:?}");
}
