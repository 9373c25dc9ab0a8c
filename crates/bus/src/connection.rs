//! Connecting to Redis: retry with backoff until it answers, then keep
//! reconnecting for as long as the service runs, and log every change.

use std::time::Duration;

use fred::clients::{Client, SubscriberClient};
use fred::interfaces::{ClientLike, EventInterface};
use fred::types::config::{Config, ConnectionConfig, PerformanceConfig, ReconnectPolicy};
use rand::Rng;

use crate::config::BusConfig;
use crate::error::BusError;

/// Exponential backoff with full jitter, for anything that retries Redis.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    /// A backoff whose first delay is at most `initial`, doubling up to
    /// `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            current: initial,
        }
    }

    /// The next delay to wait: random in `[current/2, current]`, then doubles.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.current;
        self.current = (self.current * 2).min(self.max);
        let low = ceiling / 2;
        let spread = ceiling.saturating_sub(low).as_millis() as u64;
        low + Duration::from_millis(rand::rng().random_range(0..=spread))
    }

    /// Starts again from the initial delay, after a success.
    pub fn reset(&mut self) {
        self.current = self.initial;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

pub(crate) fn fred_config(config: &BusConfig) -> Result<Config, BusError> {
    Config::from_url(&config.fred_url()).map_err(|source| BusError::BadUrl {
        url: config.redis_url.clone(),
        source,
    })
}

/// Event queue capacity of command clients: they receive no pub/sub
/// messages, only connection events. fred allocates every event queue at
/// its full capacity up front, so the pub/sub capacity is for subscribers
/// only (16,384 slots on each of a client's queues cost megabytes).
const COMMAND_CLIENT_EVENTS: usize = 64;

fn performance(config: &BusConfig, broadcast_capacity: usize) -> PerformanceConfig {
    PerformanceConfig {
        default_command_timeout: config.command_timeout,
        broadcast_channel_capacity: broadcast_capacity,
        ..PerformanceConfig::default()
    }
}

fn connection() -> ConnectionConfig {
    ConnectionConfig {
        connection_timeout: Duration::from_secs(3),
        // Commands issued while Redis is away wait in a bounded buffer and
        // fail with a timeout instead of piling up.
        max_command_buffer_len: 100_000,
        ..ConnectionConfig::default()
    }
}

fn reconnect_policy() -> ReconnectPolicy {
    // Unlimited attempts, 100 ms doubling to 5 s.
    ReconnectPolicy::new_exponential(0, 100, 5_000, 2)
}

/// Creates a command client and waits until Redis answers.
pub(crate) async fn connect_client(config: &BusConfig, role: &str) -> Result<Client, BusError> {
    connect_with(config, role, Client::new, COMMAND_CLIENT_EVENTS).await
}

/// Creates a pub/sub client and waits until Redis answers.
pub(crate) async fn connect_subscriber(
    config: &BusConfig,
    role: &str,
) -> Result<SubscriberClient, BusError> {
    connect_with(config, role, SubscriberClient::new, config.pubsub_capacity).await
}

/// The constructor signature fred's client types share.
type NewClient<C> =
    fn(Config, Option<PerformanceConfig>, Option<ConnectionConfig>, Option<ReconnectPolicy>) -> C;

async fn connect_with<C: ClientLike + EventInterface>(
    config: &BusConfig,
    role: &str,
    new: NewClient<C>,
    broadcast_capacity: usize,
) -> Result<C, BusError> {
    let fred_config = fred_config(config)?;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let url = redacted(&config.redis_url);
    // A fresh client for every attempt, not `init` again on the one that
    // failed: fred tears a failed first connection's routing task down
    // while its reconnect policy may still be acting on it, and a client
    // retried that way was once seen connected yet timing out every command
    // (a gateway started a moment before its Redis). A new client carries
    // nothing over from the failed attempt.
    let client = loop {
        let client = new(
            fred_config.clone(),
            Some(performance(config, broadcast_capacity)),
            Some(connection()),
            Some(reconnect_policy()),
        );
        match client.init().await {
            Ok(_task) => break client,
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    %url, %error, retry_in_ms = delay.as_millis() as u64,
                    "Redis is not reachable yet ({role}); start redis-server or fix --redis-url, retrying"
                );
                tokio::time::sleep(delay).await;
            }
        }
    };
    tracing::info!(%url, role, "connected to Redis");
    log_connection_events(&client, url, role.to_owned());
    Ok(client)
}

fn log_connection_events<C: EventInterface>(client: &C, url: String, role: String) {
    let mut errors = client.error_rx();
    let mut reconnects = client.reconnect_rx();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = errors.recv() => match event {
                    Ok((error, _)) => tracing::warn!(
                        %url, %error, role = %role,
                        "lost Redis connection; reconnecting with backoff"
                    ),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                },
                event = reconnects.recv() => match event {
                    Ok(server) => tracing::info!(%url, %server, role = %role, "reconnected to Redis"),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                },
            }
        }
    });
}

/// The URL without its password, for logs.
pub(crate) fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let delays: Vec<_> = (0..6).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(800)));
        assert!(delays[5] >= Duration::from_millis(400));
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn passwords_are_not_logged() {
        assert_eq!(
            redacted("redis://user:secret@host:6379/0"),
            "redis://***@host:6379/0"
        );
        assert_eq!(redacted("redis://host:6379"), "redis://host:6379");
    }
}
