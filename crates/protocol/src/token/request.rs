//! What a caller asks the REST API's `POST /api/v1/tokens` for, and the
//! rules a request must follow before a token is signed: the body's shape,
//! the subject, the lifetime and the channel patterns. Which scopes a
//! caller needs for what it asks is the REST API's (it knows the caller);
//! everything that depends only on the body is here, so that the fuzz
//! targets can reach it.

use serde::Deserialize;

use super::Claims;

/// Most channel patterns one token may carry: it travels with every
/// connection and is checked on every subscribe.
pub const MAX_PATTERNS: usize = 100;

/// Longest pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 255;

/// Longest subject, in bytes.
pub const MAX_SUB_LEN: usize = 200;

/// Lifetime of a token when the request names none: an hour (or the
/// server's cap, if lower).
pub const DEFAULT_TTL_SECS: u64 = 3600;

/// The body of `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Who the token is for.
    pub sub: String,
    /// Seconds; [`DEFAULT_TTL_SECS`] (or the cap, if lower) when not given.
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Channel patterns the holder may subscribe to.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Channel patterns the holder may publish to.
    #[serde(default)]
    pub publish: Vec<String>,
    /// Grants every channel.
    #[serde(default)]
    pub admin: bool,
}

/// Why a token request was refused; the message says what to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRequestError {
    /// The body is not a token request.
    #[error(
        "send {{\"sub\":\"user-42\",\"ttl\":3600,\"subscribe\":[\"news\"],\"publish\":[]}}: {0}"
    )]
    Json(String),
    /// The subject is empty or too long.
    #[error("sub must be 1 to {MAX_SUB_LEN} characters")]
    Sub,
    /// The lifetime is 0 or over the server's cap.
    #[error(
        "ttl must be from 1 to {max} seconds (this server's --max-token-ttl); ask for a fresh token when it runs out"
    )]
    Ttl {
        /// The server's cap, in seconds.
        max: u64,
    },
    /// Too many patterns, or one that is empty, too long or has spaces.
    #[error(
        "a token carries at most {MAX_PATTERNS} channel patterns of 1 to {MAX_PATTERN_LEN} characters without spaces; * matches any run"
    )]
    Patterns,
}

impl TokenRequest {
    /// Reads a request body.
    pub fn from_json(body: &[u8]) -> Result<TokenRequest, TokenRequestError> {
        serde_json::from_slice(body).map_err(|e| TokenRequestError::Json(e.to_string()))
    }

    /// Checks the subject, the lifetime (at most `max_ttl` seconds) and the
    /// patterns, in that order: only a checked request makes claims.
    pub fn checked(self, max_ttl: u64) -> Result<CheckedTokenRequest, TokenRequestError> {
        let ttl = self.check(max_ttl)?;
        Ok(CheckedTokenRequest { request: self, ttl })
    }

    fn check(&self, max_ttl: u64) -> Result<u64, TokenRequestError> {
        if self.sub.trim().is_empty() || self.sub.len() > MAX_SUB_LEN {
            return Err(TokenRequestError::Sub);
        }
        let ttl = self.ttl.unwrap_or(DEFAULT_TTL_SECS.min(max_ttl));
        if ttl == 0 || ttl > max_ttl {
            return Err(TokenRequestError::Ttl { max: max_ttl });
        }
        let patterns_ok = self.subscribe.len() + self.publish.len() <= MAX_PATTERNS
            && self.subscribe.iter().chain(&self.publish).all(|p| {
                !p.is_empty() && p.len() <= MAX_PATTERN_LEN && !p.contains(char::is_whitespace)
            });
        if !patterns_ok {
            return Err(TokenRequestError::Patterns);
        }
        Ok(ttl)
    }
}

/// A [`TokenRequest`] that passed [`TokenRequest::checked`], with the
/// lifetime it is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTokenRequest {
    request: TokenRequest,
    ttl: u64,
}

impl CheckedTokenRequest {
    /// The lifetime granted, in seconds.
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    /// The claims of the token: valid from `now` (Unix seconds) for the
    /// granted lifetime, naming the API key `key` that issued it, if any.
    pub fn into_claims(self, now: u64, key: Option<String>) -> Claims {
        let request = self.request;
        Claims {
            sub: request.sub.trim().to_owned(),
            exp: now.saturating_add(self.ttl),
            iat: now,
            subscribe: request.subscribe,
            publish: request.publish,
            admin: request.admin,
            nbf: None,
            key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_in_order() {
        let request = |json: &str| TokenRequest::from_json(json.as_bytes());
        assert!(matches!(request("null"), Err(TokenRequestError::Json(_))));
        assert!(matches!(
            request(r#"{"sub":"a","extra":1}"#),
            Err(TokenRequestError::Json(_))
        ));
        let ok = request(r#"{"sub":" u ","subscribe":["news:*"]}"#).expect("valid");
        assert_eq!(ok.clone().checked(7200).map(|c| c.ttl()), Ok(3600));
        let checked = ok.checked(60).expect("valid");
        assert_eq!(checked.ttl(), 60);
        let claims = checked.into_claims(1000, Some("k1".into()));
        assert_eq!((claims.sub.as_str(), claims.exp), ("u", 1060));
        let sub = request(r#"{"sub":" ","ttl":0}"#).expect("parses");
        assert_eq!(sub.checked(60).err(), Some(TokenRequestError::Sub));
        let ttl = request(r#"{"sub":"u","ttl":61,"publish":[""]}"#).expect("parses");
        assert_eq!(
            ttl.checked(60).err(),
            Some(TokenRequestError::Ttl { max: 60 })
        );
        let spaces = request(r#"{"sub":"u","publish":["a b"]}"#).expect("parses");
        assert_eq!(spaces.checked(60).err(), Some(TokenRequestError::Patterns));
    }
}
