//! Client connection tokens: JWTs the REST API issues and the gateway
//! verifies (HS256 with a shared secret by default, RS256 with a key pair).
//!
//! A token names its subject, expiry, and the channel patterns it may
//! subscribe and publish to; `*` in a pattern matches any run of characters
//! (`private:user-42:*`). An admin token may do anything, `$sys:` included.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Seconds of clock difference tolerated between the service that signs a
/// token and the one that checks it, at verification and afterwards alike.
pub const LEEWAY_SECS: u64 = 5;

/// What a token grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who the token is for (a user id).
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: u64,
    /// Channel patterns the holder may subscribe to.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Channel patterns the holder may publish to.
    #[serde(default)]
    pub publish: Vec<String>,
    /// Grants every channel, `$sys:` ones included.
    #[serde(default)]
    pub admin: bool,
    /// Not valid before, seconds since the Unix epoch (refused until then,
    /// give or take [`LEEWAY_SECS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Id of the API key that issued the token, so that revoking the key
    /// revokes its tokens; `None` for tokens the bootstrap admin key or a
    /// dashboard session issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Claims {
    pub fn may_subscribe(&self, channel: &str) -> bool {
        self.admin || self.subscribe.iter().any(|p| pattern_matches(p, channel))
    }

    pub fn may_publish(&self, channel: &str) -> bool {
        self.admin || self.publish.iter().any(|p| pattern_matches(p, channel))
    }

    /// Whether the token has expired at `now` (seconds), allowing the same
    /// leeway as verification.
    pub fn expired_at(&self, now: u64) -> bool {
        self.exp.saturating_add(LEEWAY_SECS) <= now
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Glob match where `*` stands for any run of characters.
pub fn pattern_matches(pattern: &str, channel: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = channel.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Why a token was refused or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is invalid or expired: {0}")]
    Invalid(String),
    #[error("token key is not usable: {0}; give a PEM RSA key or a non-empty secret")]
    Key(String),
    #[error(
        "this service holds no key to sign tokens; set ASYNCHRONIO_TOKEN_SECRET (or a private key for RS256)"
    )]
    CannotSign,
}

/// The keys to sign and/or verify tokens with.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// HS256 with a shared secret (signs and verifies).
    pub fn hs256(secret: &[u8]) -> Result<TokenKeys, TokenError> {
        if secret.is_empty() {
            return Err(TokenError::Key("the secret is empty".into()));
        }
        Ok(TokenKeys {
            algorithm: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// RS256 verification with a public key (PEM); signing too when the
    /// private key (PEM) is given.
    pub fn rs256(public_pem: &[u8], private_pem: Option<&[u8]>) -> Result<TokenKeys, TokenError> {
        let decoding =
            DecodingKey::from_rsa_pem(public_pem).map_err(|e| TokenError::Key(e.to_string()))?;
        let encoding = match private_pem {
            Some(pem) => {
                Some(EncodingKey::from_rsa_pem(pem).map_err(|e| TokenError::Key(e.to_string()))?)
            }
            None => None,
        };
        Ok(TokenKeys {
            algorithm: Algorithm::RS256,
            encoding,
            decoding,
        })
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let key = self.encoding.as_ref().ok_or(TokenError::CannotSign)?;
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, key)
            .map_err(|e| TokenError::Key(e.to_string()))
    }

    /// Verifies signature and expiry and returns the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(self.algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "user-42".into(),
            exp,
            iat: now_secs(),
            subscribe: vec!["news".into(), "private:user-42:*".into()],
            publish: vec!["chat.*".into()],
            admin: false,
            ..Default::default()
        }
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("news", "news"));
        assert!(!pattern_matches("news", "newsy"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches(
            "private:user-42:*",
            "private:user-42:inbox"
        ));
        assert!(!pattern_matches(
            "private:user-42:*",
            "private:user-43:inbox"
        ));
        assert!(pattern_matches("a*b*c", "a-x-b-y-c"));
        assert!(!pattern_matches("a*b*c", "a-x-c"));
        assert!(pattern_matches("*:eu", "orders:eu"));
    }

    #[test]
    fn hs256_round_trip_and_tampering() {
        let keys = TokenKeys::hs256(b"secret").expect("keys");
        let token = keys.sign(&claims(now_secs() + 60)).expect("sign");
        let verified = keys.verify(&token).expect("verify");
        assert!(verified.may_subscribe("private:user-42:inbox"));
        assert!(!verified.may_subscribe("private:other"));
        assert!(verified.may_publish("chat.room1"));
        assert!(!verified.may_publish("news"));

        let other = TokenKeys::hs256(b"other").expect("keys");
        assert!(other.verify(&token).is_err(), "wrong secret must fail");
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(
            keys.verify(&tampered).is_err(),
            "tampered signature must fail"
        );
        let expired = keys.sign(&claims(now_secs() - 60)).expect("sign");
        assert!(claims(now_secs() - 60).expired_at(now_secs()));
        assert!(
            !claims(now_secs()).expired_at(now_secs()),
            "within the leeway"
        );
        assert!(keys.verify(&expired).is_err(), "expired token must fail");
        assert!(keys.verify("not a token").is_err());
    }
}
