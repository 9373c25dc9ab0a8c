//! Creating, checking and revoking API keys. A key is `ak_{id}_{secret}`;
//! the secret is shown once and only its SHA-256 is kept.

use std::fmt;
use std::str::FromStr;

use asynchronio_protocol::secret::same;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};

use crate::entity::api_key;
use crate::{Store, StoreError, now_ms};

/// What a key may do; `Admin` implies the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Publish to channels (not `$sys:` ones) and write the cache.
    Publish,
    /// Read channels' history, `private:` ones included, and the cache.
    Read,
    /// Everything: keys, processes, `$sys:` channels, and both scopes above.
    Admin,
}

impl Scope {
    /// Whether holding `held` grants this scope: the one scope rule
    /// (`admin` grants every scope), asked by the REST API for every
    /// caller and at dashboard login.
    pub fn granted_by(self, held: &[Scope]) -> bool {
        held.iter().any(|s| *s == self || *s == Scope::Admin)
    }
}

impl FromStr for Scope {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "publish" => Ok(Scope::Publish),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            other => Err(StoreError::UnknownScope(other.to_owned())),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Publish => "publish",
            Scope::Read => "read",
            Scope::Admin => "admin",
        })
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKey {
    /// The public part of the key (`ak_{id}_…`), used to revoke it and
    /// named in the audit log as `key:{id}`.
    pub id: String,
    /// What the admin called the key when creating it.
    pub name: String,
    /// What the key may do ([`Scope::granted_by`] applies them).
    pub scopes: Vec<Scope>,
    /// When the key was created (ms since the Unix epoch).
    pub created_ms: i64,
    /// When the key was revoked, if it was (ms since the Unix epoch).
    pub revoked_ms: Option<i64>,
}

/// A key just created: the only time its full text exists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewApiKey {
    /// The stored key (serialised inline beside the secret).
    #[serde(flatten)]
    pub key: ApiKey,
    /// The full key to give to the client; it cannot be shown again.
    pub secret: String,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn to_key(model: api_key::Model) -> ApiKey {
    ApiKey {
        id: model.id,
        name: model.name,
        scopes: model
            .scopes
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect(),
        created_ms: model.created_ms,
        revoked_ms: model.revoked_ms,
    }
}

impl Store {
    /// Creates a key with `scopes`; the returned secret is shown once.
    pub async fn create_api_key(
        &self,
        name: &str,
        scopes: &[Scope],
    ) -> Result<NewApiKey, StoreError> {
        let id = random_hex(6);
        let secret = random_hex(24);
        let full = format!("ak_{id}_{secret}");
        let scopes_text = scopes
            .iter()
            .map(Scope::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let model = api_key::ActiveModel {
            id: Set(id),
            name: Set(name.to_owned()),
            secret_hash: Set(hash(&secret)),
            scopes: Set(scopes_text),
            created_ms: Set(now_ms()),
            revoked_ms: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(NewApiKey {
            key: to_key(model),
            secret: full,
        })
    }

    /// The key `presented` belongs to, if it is ours and not revoked.
    pub async fn verify_api_key(&self, presented: &str) -> Result<Option<ApiKey>, StoreError> {
        let Some((id, secret)) = presented
            .strip_prefix("ak_")
            .and_then(|rest| rest.split_once('_'))
        else {
            return Ok(None);
        };
        let Some(model) = api_key::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if model.revoked_ms.is_some()
            || !same(model.secret_hash.as_bytes(), hash(secret).as_bytes())
        {
            return Ok(None);
        }
        Ok(Some(to_key(model)))
    }

    /// Revokes a key; false when there is no such key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<bool, StoreError> {
        let Some(model) = api_key::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        if model.revoked_ms.is_none() {
            let mut active: api_key::ActiveModel = model.into();
            active.revoked_ms = Set(Some(now_ms()));
            active.update(&self.db).await?;
        }
        Ok(true)
    }

    /// Every key, newest first, without secrets.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        Ok(api_key::Entity::find()
            .order_by_desc(api_key::Column::CreatedMs)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_key)
            .collect())
    }
}
