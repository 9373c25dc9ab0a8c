//! The audit log: every state-changing call, who made it and how it ended.

use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect};

use crate::entity::audit_log;
use crate::{Store, StoreError};

/// One audit record as read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// When the call was made (ms since the Unix epoch).
    pub at_ms: i64,
    /// Who made it: `bootstrap`, `key:{id}`, `dashboard:{actor}` or
    /// `anonymous`.
    pub actor: String,
    /// What was done, as `resource.verb` (`key.create`, `publish`, …).
    pub action: String,
    /// What it was done to (a key id, a channel, `-` for nothing).
    pub target: String,
    /// `ok` or why it failed.
    pub result: String,
}

impl Store {
    /// Records many calls in one statement.
    pub async fn audit_many(&self, entries: Vec<AuditEntry>) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows = entries.into_iter().map(|e| audit_log::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            at_ms: Set(e.at_ms),
            actor: Set(e.actor),
            action: Set(e.action),
            target: Set(e.target),
            result: Set(e.result),
        });
        audit_log::Entity::insert_many(rows)
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// The most recent records, newest first.
    pub async fn recent_audit(&self, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| AuditEntry {
                at_ms: m.at_ms,
                actor: m.actor,
                action: m.action,
                target: m.target,
                result: m.result,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::{AuditEntry, Scope, Store};

    #[tokio::test]
    async fn keys_verify_revoke_and_audit_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = Store::sqlite_url(&dir.path().join("store.db"));
        let store = Store::connect(&url).await.expect("connect");
        let created = store
            .create_api_key("ci", &[Scope::Publish])
            .await
            .expect("create");
        assert!(created.secret.starts_with("ak_"));

        let key = store
            .verify_api_key(&created.secret)
            .await
            .expect("verify")
            .expect("valid");
        assert!(Scope::Publish.granted_by(&key.scopes));
        assert!(!Scope::Admin.granted_by(&key.scopes));
        assert!(!Scope::Read.granted_by(&key.scopes));
        assert!(Scope::Read.granted_by(&[Scope::Admin]));
        let tampered = format!("{}0", created.secret);
        assert_eq!(store.verify_api_key(&tampered).await.expect("verify"), None);
        assert_eq!(store.verify_api_key("garbage").await.expect("verify"), None);

        assert!(store.revoke_api_key(&key.id).await.expect("revoke"));
        assert_eq!(
            store.verify_api_key(&created.secret).await.expect("verify"),
            None
        );
        assert!(!store.revoke_api_key("nope").await.expect("revoke"));

        store
            .audit_many(vec![AuditEntry {
                at_ms: crate::now_ms(),
                actor: "ci".into(),
                action: "publish".into(),
                target: "news".into(),
                result: "ok".into(),
            }])
            .await
            .expect("audit");
        let recent = store.recent_audit(10).await.expect("recent");
        assert_eq!(recent[0].action, "publish");

        // The archive keeps one row per (channel, epoch, offset).
        let message = |offset| crate::ArchivedMessage {
            channel: "c".into(),
            epoch: "e".into(),
            offset,
            ts_ms: 1,
            envelope: vec![1, 2, 3],
        };
        store
            .archive(vec![message(1), message(2)])
            .await
            .expect("archive");
        store
            .archive(vec![message(2), message(3)])
            .await
            .expect("archive again");
        assert_eq!(
            store.archived_last_offset("c", "e").await.expect("last"),
            Some(3)
        );
        let after = store.archived_after("c", "e", 1, 10).await.expect("after");
        assert_eq!(
            after.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(
            store
                .archived_last_offset("c", "other")
                .await
                .expect("last"),
            None
        );

        // Reopening runs migrations again without harm.
        drop(store);
        let again = Store::connect(&url).await.expect("reconnect");
        assert_eq!(again.list_api_keys().await.expect("list").len(), 1);
    }
}
