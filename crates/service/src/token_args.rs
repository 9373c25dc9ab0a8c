//! Options for client connection tokens, shared by the REST API (which
//! signs them) and the gateway (which verifies them).

use std::path::PathBuf;

use anyhow::Context;
use asynchronio_protocol::token::TokenKeys;

/// How tokens are signed and verified, and whether a client must present
/// one: the options rest-api and every ws-gateway take alike.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// Refuse anonymous clients: WebSocket connections must present a token
    /// (`?token=` or a first `connect` frame) and REST reads need a key.
    #[arg(long, env = "ASYNCHRONIO_REQUIRE_TOKEN", value_parser = clap::builder::FalseyValueParser::new())]
    pub require_token: bool,

    /// Shared secret for HS256 tokens (the default algorithm). The same
    /// value must be given to rest-api and every ws-gateway.
    #[arg(long, env = "ASYNCHRONIO_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// RSA public key (PEM file) to verify RS256 tokens instead of HS256.
    #[arg(long, env = "ASYNCHRONIO_TOKEN_PUBLIC_KEY")]
    pub token_public_key: Option<PathBuf>,

    /// RSA private key (PEM file) to sign RS256 tokens (rest-api only).
    #[arg(long, env = "ASYNCHRONIO_TOKEN_PRIVATE_KEY")]
    pub token_private_key: Option<PathBuf>,

    /// Longest lifetime, in seconds, of a client token rest-api issues
    /// (`POST /api/v1/tokens` asks for longer: 400). Revoking an API key
    /// keeps its id in the revocation set this long (rest-api only).
    #[arg(long, env = "ASYNCHRONIO_MAX_TOKEN_TTL", default_value_t = asynchronio_protocol::token::DEFAULT_MAX_TTL_SECS)]
    pub max_token_ttl: u64,
}

impl TokenArgs {
    /// The configured keys, if any; an error names the file that is wrong.
    pub fn keys(&self) -> anyhow::Result<Option<TokenKeys>> {
        if let Some(public) = &self.token_public_key {
            let public_pem = std::fs::read(public).with_context(|| {
                format!("cannot read the token public key {}", public.display())
            })?;
            let private_pem = match &self.token_private_key {
                Some(path) => Some(std::fs::read(path).with_context(|| {
                    format!("cannot read the token private key {}", path.display())
                })?),
                None => None,
            };
            let keys = TokenKeys::rs256(&public_pem, private_pem.as_deref())
                .with_context(|| format!("token key {} is not a PEM RSA key", public.display()))?;
            return Ok(Some(keys.with_max_ttl(self.max_token_ttl)));
        }
        match self.token_secret.as_deref().filter(|s| !s.is_empty()) {
            Some(secret) => Ok(Some(
                TokenKeys::hs256(secret.as_bytes())?.with_max_ttl(self.max_token_ttl),
            )),
            None => Ok(None),
        }
    }
}
