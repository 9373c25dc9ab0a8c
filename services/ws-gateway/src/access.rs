//! Who may subscribe or publish where, given the token a connection
//! presented (if any).
//!
//! The channel's kind comes from the protocol ([`kind_of`]), the one place
//! that reads names; what each kind allows is decided here:
//!
//! * [`ChannelKind::System`] (`$sys:`): admin tokens only, and only to
//!   subscribe.
//! * [`ChannelKind::Private`] (`private:`): a token whose patterns grant
//!   the channel.
//! * [`ChannelKind::Public`]: anyone, unless `--require-token`; a
//!   connection that presented a token is held to that token's patterns.

use asynchronio_protocol::ErrorCode;
use asynchronio_protocol::channel::{ChannelKind, kind_of};
use asynchronio_protocol::token::{Claims, now_secs};

/// A refusal, with the error code and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// `unauthorized` (no or an expired token) or `forbidden` (the token
    /// does not grant it).
    pub code: ErrorCode,
    /// What to do about it.
    pub message: String,
}

fn unauthorized(message: impl Into<String>) -> Denied {
    Denied {
        code: ErrorCode::Unauthorized,
        message: message.into(),
    }
}

fn forbidden(message: impl Into<String>) -> Denied {
    Denied {
        code: ErrorCode::Forbidden,
        message: message.into(),
    }
}

/// What a connection is trying to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Receive the channel's messages.
    Subscribe,
    /// Publish to the channel.
    Publish,
}

/// Decides whether `claims` (or no token) allows `action` on `channel`.
pub fn check(
    claims: Option<&Claims>,
    require_token: bool,
    action: Action,
    channel: &str,
) -> Result<(), Denied> {
    if let Some(claims) = claims
        && claims.expired_at(now_secs())
    {
        return Err(unauthorized(
            "the token has expired; connect again with a fresh one",
        ));
    }
    let kind = kind_of(channel);
    if kind == ChannelKind::System {
        return match (action, claims) {
            (Action::Publish, _) => Err(forbidden(
                "$sys: channels are written by Asynchronio itself; publish to another channel",
            )),
            (Action::Subscribe, Some(claims)) if claims.admin => Ok(()),
            (Action::Subscribe, Some(_)) => Err(forbidden("$sys: channels need an admin token")),
            (Action::Subscribe, None) => Err(unauthorized(
                "$sys: channels need an admin token; send connect with one",
            )),
        };
    }
    let verb = match action {
        Action::Subscribe => "subscribe to",
        Action::Publish => "publish to",
    };
    match claims {
        Some(claims) => {
            let granted = match action {
                Action::Subscribe => claims.may_subscribe(channel),
                Action::Publish => claims.may_publish(channel),
            };
            if granted {
                Ok(())
            } else {
                Err(forbidden(format!(
                    "your token does not allow you to {verb} {channel}"
                )))
            }
        }
        None if kind == ChannelKind::Private => Err(unauthorized(format!(
            "{channel} is private: connect with a token that grants it"
        ))),
        None if require_token => Err(unauthorized(
            "this gateway requires a token: send {\"op\":\"connect\",\"token\":…} or connect with ?token=",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(admin: bool) -> Claims {
        Claims {
            sub: "u".into(),
            exp: now_secs() + 60,
            iat: 0,
            subscribe: vec!["news".into(), "private:u:*".into()],
            publish: vec!["chat".into()],
            admin,
            ..Default::default()
        }
    }

    #[test]
    fn rules() {
        use Action::*;
        let user = claims(false);
        let admin = claims(true);
        assert!(check(None, false, Subscribe, "news").is_ok());
        assert!(check(None, false, Publish, "news").is_ok());
        assert_eq!(
            check(None, true, Subscribe, "news").map_err(|d| d.code),
            Err(ErrorCode::Unauthorized)
        );
        assert_eq!(
            check(None, false, Subscribe, "private:u:x").map_err(|d| d.code),
            Err(ErrorCode::Unauthorized)
        );
        assert!(check(Some(&user), true, Subscribe, "private:u:x").is_ok());
        assert_eq!(
            check(Some(&user), false, Subscribe, "private:v:x").map_err(|d| d.code),
            Err(ErrorCode::Forbidden)
        );
        assert_eq!(
            check(Some(&user), false, Subscribe, "other").map_err(|d| d.code),
            Err(ErrorCode::Forbidden)
        );
        assert!(check(Some(&user), false, Publish, "chat").is_ok());
        assert_eq!(
            check(Some(&user), false, Publish, "news").map_err(|d| d.code),
            Err(ErrorCode::Forbidden)
        );
        assert_eq!(
            check(Some(&user), false, Subscribe, "$sys:processes").map_err(|d| d.code),
            Err(ErrorCode::Forbidden)
        );
        assert!(check(Some(&admin), false, Subscribe, "$sys:processes").is_ok());
        assert_eq!(
            check(Some(&admin), false, Publish, "$sys:processes").map_err(|d| d.code),
            Err(ErrorCode::Forbidden)
        );
        let mut expired = user.clone();
        expired.exp = now_secs();
        assert_eq!(
            check(Some(&expired), false, Subscribe, "news").map_err(|d| d.code),
            Err(ErrorCode::Unauthorized),
            "expiry has no leeway"
        );
    }
}
