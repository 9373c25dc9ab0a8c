//! The REST API's command line, as `rest-api --help` shows it.

use std::net::SocketAddr;

use asynchronio_service::{LogArgs, RedisArgs, TokenArgs};

/// REST API of Asynchronio: publish to channels, read their history, manage
/// API keys, and use the cross-domain cache, over JSON.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "rest-api", version, about, long_about = None)]
pub struct RestArgs {
    /// Address to listen on.
    #[arg(long, env = "ASYNCHRONIO_REST_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: SocketAddr,

    /// Database for API keys and the audit log: sqlite://path?mode=rwc (the
    /// default, data/asynchronio.db) or postgres://user:password@host/db.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// An admin key that works without being created first, for scripts
    /// and first start-up. Keep it secret.
    #[arg(long, env = "ASYNCHRONIO_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    /// Origins browsers may call the API from (CORS); repeat or separate
    /// with commas. `*` allows any.
    #[arg(
        long = "cors-origin",
        env = "ASYNCHRONIO_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Largest request body, in bytes; larger ones get 413.
    #[arg(long, env = "ASYNCHRONIO_MAX_BODY", default_value_t = 1_048_576)]
    pub max_body: usize,

    /// Channels whose history is archived in the database, so it outlives
    /// Redis' trimming (patterns, `*` matches any run; repeat or use commas).
    #[arg(long = "archive", env = "ASYNCHRONIO_ARCHIVE", value_delimiter = ',')]
    pub archive: Vec<String>,

    /// Milliseconds between archiver rounds. Keep it well below the time a
    /// channel takes to publish --history-size messages.
    #[arg(long, env = "ASYNCHRONIO_ARCHIVE_INTERVAL_MS", default_value_t = 1000)]
    pub archive_interval_ms: u64,

    /// Requests per second an anonymous client (per address) may make, in
    /// bursts of the same size; more get 429. 0 turns it off.
    #[arg(long, env = "ASYNCHRONIO_RATE_LIMIT", default_value_t = 200)]
    pub rate_limit: u32,

    /// Requests per second each API key may make (0, the default: no limit).
    #[arg(long, env = "ASYNCHRONIO_KEY_RATE_LIMIT", default_value_t = 0)]
    pub key_rate_limit: u32,

    /// Refused dashboard logins allowed per client address per minute (in
    /// bursts of the same size); 0 turns this limit off.
    #[arg(long, env = "ASYNCHRONIO_LOGIN_RATE_LIMIT", default_value_t = 10)]
    pub login_rate_limit: u32,

    /// Worker threads serving HTTP (default: one per core).
    #[arg(long, env = "ASYNCHRONIO_REST_WORKERS")]
    pub workers: Option<usize>,

    /// WebSocket URL of the gateway the dashboard's pages connect to
    /// (default: ws://<the page's host>:8080/ws).
    #[arg(long, env = "ASYNCHRONIO_GATEWAY_URL")]
    pub gateway_url: Option<String>,

    /// Mark the dashboard's login cookie Secure (set it when the
    /// dashboard is served over HTTPS, e.g. behind a TLS proxy).
    #[arg(long, env = "ASYNCHRONIO_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// A directory of your own tera templates, for render frames
    /// (POST /api/v1/channels/{channel}/render with "template").
    #[arg(long, env = "ASYNCHRONIO_TEMPLATES_DIR")]
    pub templates_dir: Option<std::path::PathBuf>,

    /// Do not publish the dashboard's live data ($sys:metrics and the
    /// processes table) from this replica.
    #[arg(long, env = "ASYNCHRONIO_NO_DASHBOARD_PUBLISHER")]
    pub no_dashboard_publisher: bool,

    /// `--trusted-proxy`, for the rate limits.
    #[command(flatten)]
    pub proxies: asynchronio_service::client_address::ProxyArgs,

    #[command(flatten)]
    pub tokens: TokenArgs,

    #[command(flatten)]
    pub redis: RedisArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

impl RestArgs {
    /// The database URL, defaulting to a SQLite file under data/.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all("data").map_err(|e| {
            anyhow::anyhow!("cannot create data/ for the SQLite database: {e}; set DATABASE_URL")
        })?;
        Ok(asynchronio_store::Store::sqlite_url(std::path::Path::new(
            "data/asynchronio.db",
        )))
    }
}
