//! The message archive: channels' messages kept in SQL after Redis trims
//! them, read back by offset.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::archived_message;
use crate::{Store, StoreError};

/// One message to archive or read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedMessage {
    /// The channel the message was published on.
    pub channel: String,
    /// The channel's stream epoch the offset belongs to.
    pub epoch: String,
    /// The message's offset within that epoch.
    pub offset: u64,
    /// When Redis stored it (ms since the Unix epoch).
    pub ts_ms: u64,
    /// The envelope exactly as Redis held it (MessagePack).
    pub envelope: Vec<u8>,
}

impl Store {
    /// Stores messages; ones already archived are left as they are.
    pub async fn archive(&self, messages: Vec<ArchivedMessage>) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let rows = messages.into_iter().map(|m| archived_message::ActiveModel {
            channel: Set(m.channel),
            epoch: Set(m.epoch),
            offset: Set(m.offset as i64),
            ts_ms: Set(m.ts_ms as i64),
            envelope: Set(m.envelope),
        });
        archived_message::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    archived_message::Column::Channel,
                    archived_message::Column::Epoch,
                    archived_message::Column::Offset,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// The newest archived offset of a channel's epoch.
    pub async fn archived_last_offset(
        &self,
        channel: &str,
        epoch: &str,
    ) -> Result<Option<u64>, StoreError> {
        let newest = archived_message::Entity::find()
            .filter(archived_message::Column::Channel.eq(channel))
            .filter(archived_message::Column::Epoch.eq(epoch))
            .order_by_desc(archived_message::Column::Offset)
            .one(&self.db)
            .await?;
        Ok(newest.map(|m| m.offset as u64))
    }

    /// Up to `limit` archived messages after `after`, oldest first.
    pub async fn archived_after(
        &self,
        channel: &str,
        epoch: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<ArchivedMessage>, StoreError> {
        let rows = archived_message::Entity::find()
            .filter(archived_message::Column::Channel.eq(channel))
            .filter(archived_message::Column::Epoch.eq(epoch))
            .filter(archived_message::Column::Offset.gt(after as i64))
            .order_by_asc(archived_message::Column::Offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| ArchivedMessage {
                channel: m.channel,
                epoch: m.epoch,
                offset: m.offset as u64,
                ts_ms: m.ts_ms as u64,
                envelope: m.envelope,
            })
            .collect())
    }
}
