//! [`Bus`]: one service's handle on Redis.

use std::sync::Arc;

use fred::clients::Client;
use fred::interfaces::{ClientLike, LuaInterface};
use fred::types::scripts::Script;
use fred::types::{MultipleKeys, Value};

use asynchronio_protocol::{Keys, script};

use crate::config::BusConfig;
use crate::connection;
use crate::error::BusError;

/// A connected command client plus the scripts and settings every Redis
/// routine needs. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct Bus {
    pub(crate) client: Client,
    pub(crate) config: Arc<BusConfig>,
    pub(crate) scripts: Arc<Scripts>,
    /// Whether `config` names a Redis Cluster, read once from the URL
    /// (every publish asks).
    pub(crate) cluster: bool,
}

/// The Lua scripts, hashed once.
pub(crate) struct Scripts {
    pub(crate) publish: Script,
    pub(crate) position: Script,
    pub(crate) ensure_epoch: Script,
    pub(crate) lease_acquire: Script,
    pub(crate) lease_release: Script,
    pub(crate) hold: Script,
}

impl Bus {
    /// Connects to Redis, retrying with backoff (and logging why) until it
    /// answers. Callers that must stay responsive race this with shutdown.
    pub async fn connect(config: BusConfig, role: &str) -> Result<Bus, BusError> {
        let client = connection::connect_client(&config, role).await?;
        Ok(Bus {
            client,
            cluster: config.is_cluster(),
            config: Arc::new(config),
            scripts: Arc::new(Scripts {
                publish: Script::from_lua(script::PUBLISH),
                position: Script::from_lua(script::POSITION),
                ensure_epoch: Script::from_lua(script::ENSURE_EPOCH),
                lease_acquire: Script::from_lua(script::LEASE_ACQUIRE_OR_RENEW),
                lease_release: Script::from_lua(script::LEASE_RELEASE),
                hold: Script::from_lua(script::HOLD),
            }),
        })
    }

    /// The Redis key names, with this deployment's prefix.
    pub fn keys(&self) -> &Keys {
        &self.config.keys
    }

    /// The settings this bus was connected with.
    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    /// The same connection, publishing with other history settings: for a
    /// channel whose every publisher keeps less history than the
    /// deployment's default (the node heartbeats keep a few minutes).
    #[must_use]
    pub fn with_history(&self, history: crate::HistorySettings) -> Bus {
        let mut config = BusConfig::clone(&self.config);
        config.history = history;
        Bus {
            config: Arc::new(config),
            ..self.clone()
        }
    }

    /// The raw fred client, for the end-to-end tests only (they play
    /// applications that talk to Redis directly). Nothing else outside this
    /// crate names fred: every Redis routine is a method here.
    #[cfg(feature = "test-support")]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether Redis answers a `PING` (readiness checks).
    pub async fn ping(&self) -> Result<(), BusError> {
        let _: Value = self.client.ping(None).await?;
        Ok(())
    }

    /// Closes the connection after pending commands finish.
    pub async fn quit(&self) {
        if let Err(error) = self.client.quit().await {
            tracing::debug!(%error, "closing the Redis connection");
        }
    }

    /// Runs a script by hash, loading it first if Redis does not know it
    /// (after a restart Redis forgets every script).
    pub(crate) async fn run_script(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<Value, BusError> {
        let keys = MultipleKeys::from(keys);
        match self
            .client
            .evalsha::<Value, _, _, _>(script.sha1().clone(), keys.clone(), args.clone())
            .await
        {
            Err(error) if is_noscript(&error) => {
                script.load(&self.client).await?;
                Ok(self
                    .client
                    .evalsha(script.sha1().clone(), keys, args)
                    .await?)
            }
            other => Ok(other?),
        }
    }
}

pub(crate) fn is_noscript(error: &fred::error::Error) -> bool {
    error.details().starts_with("NOSCRIPT")
}
