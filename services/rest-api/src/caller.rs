//! [`Caller`]: the authenticated party behind a request, and what it may do
//! (the scope checks every handler asks). Who the caller is gets decided in
//! `auth`; this module only knows the kinds of caller and their rights.

use asynchronio_protocol::ChannelKind;
use asynchronio_store::Scope;

use crate::error::ApiError;

/// The authenticated party behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The bootstrap admin key from ASYNCHRONIO_ADMIN_KEY.
    Bootstrap,
    /// A stored API key.
    Key {
        /// The key's id (`ak_{id}_…`).
        id: String,
        /// What the key may do.
        scopes: Vec<Scope>,
    },
    /// A logged-in dashboard user (who logged in with an admin key).
    Dashboard {
        /// Who logged in (`bootstrap` or `key:{id}`).
        actor: String,
    },
    /// No credentials.
    Anonymous,
}

impl Caller {
    /// The name recorded in the audit log.
    pub fn actor(&self) -> String {
        match self {
            Caller::Bootstrap => "bootstrap".into(),
            Caller::Key { id, .. } => format!("key:{id}"),
            Caller::Dashboard { actor } => format!("dashboard:{actor}"),
            Caller::Anonymous => "anonymous".into(),
        }
    }

    /// Succeeds when the caller holds `scope` (admin holds every scope).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        match self {
            Caller::Bootstrap | Caller::Dashboard { .. } => Ok(()),
            Caller::Key { scopes, .. } if scope.granted_by(scopes) => Ok(()),
            Caller::Key { .. } => Err(ApiError::forbidden(format!(
                "this API key lacks the {scope} scope; create a key with it"
            ))),
            Caller::Anonymous => Err(ApiError::unauthorized(
                "send an API key as Authorization: Bearer <key>",
            )),
        }
    }

    /// For reads that anonymous callers may make unless tokens are required.
    pub fn require_read(&self, anonymous_allowed: bool) -> Result<(), ApiError> {
        match self {
            Caller::Anonymous if anonymous_allowed => Ok(()),
            other => other.require(Scope::Read),
        }
    }

    /// Succeeds when the caller may read channels of `kind`: `$sys:` ones
    /// need admin (they carry logs and process states, as
    /// `/processes/{name}/logs` does), `private:` ones the read scope,
    /// public ones nothing unless `open` is false (tokens required).
    pub fn may_read(&self, kind: ChannelKind, open: bool) -> Result<(), ApiError> {
        match kind {
            ChannelKind::System => self.require(Scope::Admin),
            ChannelKind::Private => self.require(Scope::Read),
            ChannelKind::Public => self.require_read(open),
        }
    }
}
