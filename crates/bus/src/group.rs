//! Consumer-group reading of a stream, for work that must be done at least
//! once (the ingest stream now, pipeline stages later).
//!
//! A blocking read holds its connection, so a reader should use a [`Bus`]
//! of its own rather than the one that publishes.

use bytes::Bytes;
use fred::interfaces::StreamsInterface;
use fred::types::Value;
use fred::types::streams::XID;

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// One stream entry with its fields as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: String,
    pub fields: Vec<(String, Bytes)>,
}

impl StreamEntry {
    /// The value of a field, if present.
    pub fn field(&self, name: &str) -> Option<&Bytes> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Which entries a group read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRead {
    /// Entries delivered to this consumer before but never acknowledged.
    Pending,
    /// Entries never delivered to any consumer of the group.
    New,
}

impl Bus {
    /// Creates the consumer group (and the stream) if missing; a new group
    /// starts at the beginning of the stream so nothing already queued is
    /// skipped.
    pub async fn ensure_group(&self, stream: &str, group: &str) -> Result<(), BusError> {
        match self
            .client
            .xgroup_create::<Value, _, _, _>(stream, group, XID::Manual("0".into()), true)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.details().starts_with("BUSYGROUP") => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Reads up to `count` entries for `consumer`, blocking up to `block_ms`
    /// for new ones.
    pub async fn read_group(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        which: GroupRead,
        count: u64,
        block_ms: Option<u64>,
    ) -> Result<Vec<StreamEntry>, BusError> {
        let id = match which {
            GroupRead::Pending => "0",
            GroupRead::New => ">",
        };
        let block = match which {
            GroupRead::Pending => None,
            GroupRead::New => block_ms,
        };
        let value: Value = self
            .client
            .xreadgroup(group, consumer, Some(count), block, false, stream, id)
            .await?;
        let streams = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(streams) => streams
                .into_iter()
                .filter_map(|s| match s {
                    Value::Array(mut pair) if pair.len() == 2 => pair.pop(),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Value::Map(map) => map.inner().into_values().collect(),
            other => return Err(reply::unexpected("XREADGROUP", &other)),
        };
        let mut out = Vec::new();
        for entries in streams {
            for (id, fields) in reply::stream_entries("XREADGROUP", entries)? {
                let mut as_bytes = Vec::with_capacity(fields.len());
                for (name, value) in fields {
                    as_bytes.push((name, reply::as_bytes("XREADGROUP", &value)?));
                }
                out.push(StreamEntry {
                    id,
                    fields: as_bytes,
                });
            }
        }
        Ok(out)
    }

    /// Acknowledges entries and deletes them from the stream, which then
    /// holds only work not yet done.
    pub async fn ack_and_delete(
        &self,
        stream: &str,
        group: &str,
        ids: &[String],
    ) -> Result<(), BusError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _: Value = self.client.xack(stream, group, ids.to_vec()).await?;
        let _: Value = self.client.xdel(stream, ids.to_vec()).await?;
        Ok(())
    }
}
