//! Client connection tokens: JWTs the REST API issues and the gateway
//! verifies (HS256 with a shared secret by default, RS256 with a key pair).
//!
//! A token names its subject, expiry, and the channel patterns it may
//! subscribe and publish to; `*` in a pattern matches any run of characters
//! (`private:user-42:*`). An admin token may do anything, `$sys:` included.
//! What a caller may ask a token for is in [`request`].

pub mod request;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use request::{CheckedTokenRequest, TokenRequest, TokenRequestError};

/// Seconds of clock difference tolerated between the service that signs a
/// token and the one that checks it, for `nbf` (a token issued "now" by a
/// service whose clock is slightly ahead is still usable at once). Expiry
/// gets no leeway: a connection ends when its token's `exp` passes.
pub const LEEWAY_SECS: u64 = 5;

/// Longest token lifetime the REST API issues unless configured otherwise
/// (`--max-token-ttl`): 24 hours.
pub const DEFAULT_MAX_TTL_SECS: u64 = 24 * 3600;

/// The longest `--max-token-ttl` may be (one year): beyond it, clocks and
/// revocation records stop making sense.
pub const LIMIT_MAX_TTL_SECS: u64 = 365 * 24 * 3600;

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
    /// Whether the token grants subscribing to `channel` (an admin token
    /// grants every channel).
    pub fn may_subscribe(&self, channel: &str) -> bool {
        self.admin || self.subscribe.iter().any(|p| pattern_matches(p, channel))
    }

    /// Whether the token grants publishing to `channel`.
    pub fn may_publish(&self, channel: &str) -> bool {
        self.admin || self.publish.iter().any(|p| pattern_matches(p, channel))
    }

    /// Whether the token has expired at `now` (seconds): from its `exp`
    /// on, without leeway.
    pub fn expired_at(&self, now: u64) -> bool {
        self.exp <= now
    }

    /// Whether the token may not be used yet at `now` (seconds): before its
    /// `nbf`, less [`LEEWAY_SECS`] of clock difference.
    pub fn premature_at(&self, now: u64) -> bool {
        self.nbf
            .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    }
}

/// Token times (`exp`, `iat`, `nbf`) are seconds of the one clock.
pub use crate::clock::now_secs;

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
    /// Not a token of ours (bad signature, shape or claims).
    #[error("token is invalid or expired: {0}")]
    Invalid(String),
    /// Past its `exp`.
    #[error("token has expired; get a fresh one")]
    Expired,
    /// Before its `nbf`.
    #[error(
        "token is not valid before {nbf} (Unix time); use it from then on, or check the clocks of the issuer and this service"
    )]
    NotYetValid {
        /// The token's `nbf`, Unix seconds.
        nbf: u64,
    },
    /// Valid for longer than the service allows.
    #[error(
        "token is valid for {left} s more, longer than this service allows ({max} s, --max-token-ttl); get a shorter-lived token"
    )]
    TooLong {
        /// Seconds the token has left.
        left: u64,
        /// The most this service accepts, in seconds.
        max: u64,
    },
    /// The key given cannot sign or verify.
    #[error("token key is not usable: {0}; give a PEM RSA key or a non-empty secret")]
    Key(String),
    /// Asked to sign without a signing key.
    #[error(
        "this service holds no key to sign tokens; set ASYNCHRONIO_TOKEN_SECRET (or a private key for RS256)"
    )]
    CannotSign,
}

/// The keys to sign and/or verify tokens with, and the longest lifetime a
/// signer may give a token.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    max_ttl: u64,
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
            max_ttl: DEFAULT_MAX_TTL_SECS,
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
            max_ttl: DEFAULT_MAX_TTL_SECS,
        })
    }

    /// The same keys with another longest token lifetime (seconds, from 1
    /// to [`LIMIT_MAX_TTL_SECS`]): tokens issued live at most this long, and
    /// tokens presented are refused while they have longer left.
    pub fn with_max_ttl(mut self, secs: u64) -> TokenKeys {
        self.max_ttl = secs.clamp(1, LIMIT_MAX_TTL_SECS);
        self
    }

    /// The longest lifetime, in seconds, a token may be issued with.
    pub fn max_ttl(&self) -> u64 {
        self.max_ttl
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        let key = self.encoding.as_ref().ok_or(TokenError::CannotSign)?;
        jsonwebtoken::encode(&Header::new(self.algorithm), claims, key)
            .map_err(|e| TokenError::Key(e.to_string()))
    }

    /// Verifies signature, expiry and `nbf` and returns the claims.
    /// (Whether the issuing key was revoked is the caller's question:
    /// see [`Claims::key`].)
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, now_secs())
    }

    /// [`TokenKeys::verify`] as of `now` (Unix seconds), for checks that
    /// must use the clock reading the token was made with.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(self.algorithm);
        // Expiry and nbf are checked below, by the same rules as
        // [`Claims::expired_at`] and [`Claims::premature_at`], so a token is
        // never accepted here and then found expired a moment later.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if claims.expired_at(now) {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = claims.nbf.filter(|_| claims.premature_at(now)) {
            return Err(TokenError::NotYetValid { nbf });
        }
        // No token outlives the cap from now on: a revoked key's record is
        // kept that long, so every token it issued is refused while valid.
        let left = claims.exp.saturating_sub(now);
        if left > self.max_ttl {
            return Err(TokenError::TooLong {
                left,
                max: self.max_ttl,
            });
        }
        Ok(claims)
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
        assert!(claims(now_secs()).expired_at(now_secs()), "no leeway");
        assert!(!claims(now_secs() + 1).expired_at(now_secs()));
        assert!(keys.verify(&expired).is_err(), "expired token must fail");
        assert!(keys.verify("not a token").is_err());
    }

    #[test]
    fn nbf_is_honoured() {
        let keys = TokenKeys::hs256(b"secret").expect("keys");
        let mut early = claims(now_secs() + 600);
        early.nbf = Some(now_secs() + 60);
        let token = keys.sign(&early).expect("sign");
        assert!(matches!(
            keys.verify(&token),
            Err(TokenError::NotYetValid { .. })
        ));
        early.nbf = Some(now_secs() + LEEWAY_SECS);
        let token = keys.sign(&early).expect("sign");
        assert!(keys.verify(&token).is_ok(), "within the leeway");
        let mut issued = claims(now_secs() + 600);
        issued.key = Some("k1".into());
        let verified = keys
            .verify(&keys.sign(&issued).expect("sign"))
            .expect("verify");
        assert_eq!(verified.key.as_deref(), Some("k1"));
    }
}
