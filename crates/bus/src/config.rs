//! Settings every service passes to the bus.

use std::time::Duration;

use asynchronio_protocol::Keys;

/// How much of each channel's history Redis keeps.
///
/// Every publisher (bridge, gateway, REST API) applies these on each publish,
/// so they should share one value across a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySettings {
    /// Entries kept per channel stream (trimmed approximately, never below).
    pub size: u64,
    /// Seconds a channel's history outlives its last publish; 0 keeps it forever.
    pub ttl_secs: u64,
    /// Seconds an idempotency key is remembered.
    pub idempotency_ttl_secs: u64,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            size: 10_000,
            ttl_secs: 86_400,
            idempotency_ttl_secs: 86_400,
        }
    }
}

/// Where Redis is and how to name things in it.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `redis://[user:password@]host:port[/db]`, or for a Redis Cluster
    /// `redis-cluster://[user:password@]host1:port1,host2:port2,...` (the
    /// seed nodes; fred's `?node=host:port` form works too).
    pub redis_url: String,
    /// Key names, with the deployment's prefix.
    pub keys: Keys,
    /// How much history each channel keeps.
    pub history: HistorySettings,
    /// How long one command may wait (including while Redis is unreachable)
    /// before it fails with a timeout.
    pub command_timeout: Duration,
    /// Capacity of the pub/sub message queue between fred and the service;
    /// a reader that falls further behind is told it lagged.
    pub pubsub_capacity: usize,
}

impl BusConfig {
    /// True for a Redis Cluster URL (`redis-cluster://`, `rediss-cluster://`).
    pub fn is_cluster(&self) -> bool {
        self.redis_url
            .split_once("://")
            .is_some_and(|(scheme, _)| scheme.ends_with("-cluster"))
    }

    /// The URL in the form fred reads: a comma-separated seed list
    /// (`redis-cluster://a:7000,b:7001`) becomes `redis-cluster://a:7000?node=b:7001`.
    pub fn fred_url(&self) -> String {
        let Some((scheme, rest)) = self.redis_url.split_once("://") else {
            return self.redis_url.clone();
        };
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, Some(query)),
            None => (rest, None),
        };
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((credentials, hosts)) => (Some(credentials), hosts),
            None => (None, authority),
        };
        let mut seeds = hosts.split(',').map(str::trim).filter(|h| !h.is_empty());
        let Some(first) = seeds.next() else {
            return self.redis_url.clone();
        };
        let mut params: Vec<String> = seeds.map(|seed| format!("node={seed}")).collect();
        if params.is_empty() {
            return self.redis_url.clone();
        }
        params.extend(query.map(str::to_owned));
        let credentials = credentials.map(|c| format!("{c}@")).unwrap_or_default();
        format!("{scheme}://{credentials}{first}?{}", params.join("&"))
    }

    /// Settings for `redis_url` and `keys`, everything else at its default.
    pub fn new(redis_url: impl Into<String>, keys: Keys) -> Self {
        Self {
            redis_url: redis_url.into(),
            keys,
            history: HistorySettings::default(),
            command_timeout: Duration::from_secs(5),
            pubsub_capacity: 16_384,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> BusConfig {
        BusConfig::new(url, Keys::default())
    }

    #[test]
    fn cluster_urls_are_recognised() {
        assert!(config("redis-cluster://a:7000").is_cluster());
        assert!(config("rediss-cluster://u:p@a:7000").is_cluster());
        assert!(!config("redis://a:6379").is_cluster());
        assert!(!config("not a url").is_cluster());
    }

    #[test]
    fn seed_lists_become_node_parameters() {
        assert_eq!(
            config("redis-cluster://u:p@a:7000,b:7001, c:7002").fred_url(),
            "redis-cluster://u:p@a:7000?node=b:7001&node=c:7002"
        );
        assert_eq!(
            config("redis-cluster://a:7000?node=b:7001").fred_url(),
            "redis-cluster://a:7000?node=b:7001"
        );
        assert_eq!(config("redis://a:6379/2").fred_url(), "redis://a:6379/2");
    }
}
