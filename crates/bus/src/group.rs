//! Consumer-group reading of a stream, for work that must be done at least
//! once (the ingest stream now, pipeline stages later).
//!
//! A blocking read holds its connection, so a reader should use a [`Bus`]
//! of its own rather than the one that publishes.

use bytes::Bytes;
use fred::interfaces::ClientLike;
use fred::interfaces::StreamsInterface;
use fred::types::streams::XID;
use fred::types::{ClusterHash, CustomCommand, Value};

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// One stream entry with its fields as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// The entry id Redis gave it (`{ms}-{seq}`, or `{offset}-0` in channel
    /// streams).
    pub id: String,
    /// Field names and values, in the entry's order.
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
        self.ensure_group_from(stream, group, "0").await
    }

    /// Creates the consumer group (and the stream) if missing, starting
    /// after entry `start` (`0`: everything, `$`: only new entries).
    pub async fn ensure_group_from(
        &self,
        stream: &str,
        group: &str,
        start: &str,
    ) -> Result<(), BusError> {
        match self
            .client
            .xgroup_create::<Value, _, _, _>(stream, group, XID::Manual(start.into()), true)
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
            out.extend(entries_as_bytes("XREADGROUP", entries)?);
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

    /// Acknowledges entries, leaving them in the stream (for streams that
    /// are also a channel's history).
    pub async fn ack(&self, stream: &str, group: &str, ids: &[String]) -> Result<(), BusError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _: Value = self.client.xack(stream, group, ids.to_vec()).await?;
        Ok(())
    }

    /// Takes over up to `count` entries that other consumers of the group
    /// have held unacknowledged for at least `min_idle_ms` (`XAUTOCLAIM`),
    /// scanning from `start`. Returns the cursor to continue from (`0-0`
    /// when the scan is complete) and the entries now owned by `consumer`;
    /// entries trimmed from the stream meanwhile are dropped by Redis.
    pub async fn autoclaim(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle_ms: u64,
        start: &str,
        count: u64,
    ) -> Result<(String, Vec<StreamEntry>), BusError> {
        const WHAT: &str = "XAUTOCLAIM";
        let value: Value = self
            .client
            .custom(
                CustomCommand::new_static(WHAT, ClusterHash::FirstKey, false),
                vec![
                    Value::from(stream),
                    Value::from(group),
                    Value::from(consumer),
                    Value::Integer(min_idle_ms as i64),
                    Value::from(start),
                    Value::from("COUNT"),
                    Value::Integer(count as i64),
                ],
            )
            .await?;
        let Value::Array(mut parts) = value else {
            return Err(reply::unexpected(WHAT, &value));
        };
        if parts.len() < 2 {
            return Err(reply::unexpected(WHAT, &Value::Array(parts)));
        }
        let entries = parts.swap_remove(1);
        let next = reply::as_string(WHAT, &parts[0])?;
        Ok((next, entries_as_bytes(WHAT, entries)?))
    }

    /// Takes `ids` over for `consumer` (`XCLAIM`, which counts a delivery);
    /// entries trimmed from the stream meanwhile are dropped.
    pub async fn claim(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        ids: &[String],
    ) -> Result<Vec<StreamEntry>, BusError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec![
            Value::from(stream),
            Value::from(group),
            Value::from(consumer),
            Value::Integer(0),
        ];
        args.extend(ids.iter().map(|id| Value::from(id.as_str())));
        let value: Value = self
            .client
            .custom(
                CustomCommand::new_static("XCLAIM", ClusterHash::FirstKey, false),
                args,
            )
            .await?;
        let entries = entries_as_bytes("XCLAIM", value)?;
        Ok(entries
            .into_iter()
            .filter(|e| !e.fields.is_empty())
            .collect())
    }

    /// How many times each of `ids` has been delivered (`XPENDING`), for
    /// entries still pending for `consumer`. Ids not pending are absent.
    pub async fn delivery_counts(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        first: &str,
        last: &str,
        count: u64,
    ) -> Result<Vec<(String, u64)>, BusError> {
        const WHAT: &str = "XPENDING";
        let value: Value = self
            .client
            .custom(
                CustomCommand::new_static(WHAT, ClusterHash::FirstKey, false),
                vec![
                    Value::from(stream),
                    Value::from(group),
                    Value::from(first),
                    Value::from(last),
                    Value::Integer(count as i64),
                    Value::from(consumer),
                ],
            )
            .await?;
        let Value::Array(rows) = value else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Value::Array(fields) = &row else {
                return Err(reply::unexpected(WHAT, &row));
            };
            let (Some(id), Some(times)) = (fields.first(), fields.get(3)) else {
                return Err(reply::unexpected(WHAT, &row));
            };
            out.push((reply::as_string(WHAT, id)?, reply::as_u64(WHAT, times)?));
        }
        Ok(out)
    }

    /// A group's backlog: entries delivered but not acknowledged, and
    /// entries not yet delivered (`XINFO GROUPS`; `None` if the group or
    /// stream is missing).
    pub async fn group_backlog(
        &self,
        stream: &str,
        group: &str,
    ) -> Result<Option<GroupBacklog>, BusError> {
        const WHAT: &str = "XINFO GROUPS";
        let value = match self
            .client
            .custom::<Value, Value>(
                CustomCommand::new_static("XINFO", ClusterHash::Offset(1), false),
                vec![Value::from("GROUPS"), Value::from(stream)],
            )
            .await
        {
            Ok(value) => value,
            Err(error) if error.details().contains("no such key") => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let Value::Array(groups) = value else {
            return Ok(None);
        };
        for info in groups {
            let pairs: Vec<(String, Value)> = match info {
                Value::Array(flat) => {
                    let mut pairs = Vec::new();
                    let mut iter = flat.into_iter();
                    while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
                        pairs.push((reply::as_string(WHAT, &k)?, v));
                    }
                    pairs
                }
                Value::Map(map) => map
                    .inner()
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                    .collect(),
                other => return Err(reply::unexpected(WHAT, &other)),
            };
            let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            let is_ours = get("name")
                .and_then(|v| reply::as_string(WHAT, v).ok())
                .is_some_and(|name| name == group);
            if !is_ours {
                continue;
            }
            let pending = get("pending")
                .and_then(|v| reply::as_u64(WHAT, v).ok())
                .unwrap_or(0);
            // `lag` is null when Redis cannot tell (after deletions); 0 then.
            let undelivered = get("lag")
                .and_then(|v| reply::as_u64(WHAT, v).ok())
                .unwrap_or(0);
            let last_delivered = get("last-delivered-id")
                .and_then(|v| reply::as_string(WHAT, v).ok())
                .and_then(|id| reply::offset_of_entry_id(&id))
                .unwrap_or(0);
            return Ok(Some(GroupBacklog {
                pending,
                undelivered,
                last_delivered,
            }));
        }
        Ok(None)
    }

    /// The oldest entry the group has delivered and not had acknowledged,
    /// as an offset (channel streams), if any.
    pub async fn oldest_pending(&self, stream: &str, group: &str) -> Result<Option<u64>, BusError> {
        let value: Value = self
            .client
            .custom(
                CustomCommand::new_static("XPENDING", ClusterHash::FirstKey, false),
                vec![Value::from(stream), Value::from(group)],
            )
            .await?;
        let Value::Array(parts) = value else {
            return Ok(None);
        };
        Ok(parts
            .get(1)
            .and_then(|v| reply::as_string("XPENDING", v).ok())
            .and_then(|id| reply::offset_of_entry_id(&id)))
    }

    /// Appends an entry with the given fields to a stream capped at about
    /// `max_len` entries; answers the entry's id.
    pub async fn append_capped<K: Into<String>>(
        &self,
        stream: &str,
        max_len: u64,
        fields: Vec<(K, FieldValue)>,
    ) -> Result<String, BusError> {
        let fields: Vec<(String, Value)> = fields
            .into_iter()
            .map(|(name, value)| (name.into(), value.0))
            .collect();
        let id: Value = self
            .client
            .xadd(stream, false, ("MAXLEN", "~", max_len as i64), "*", fields)
            .await?;
        reply::as_string("XADD", &id)
    }
}

/// The value of one field of a stream entry written with
/// [`Bus::append_capped`]: text, bytes or an integer (stored as its
/// decimal text, as Redis stores every field).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue(Value);

impl From<&str> for FieldValue {
    fn from(text: &str) -> Self {
        FieldValue(Value::from(text))
    }
}

impl From<String> for FieldValue {
    fn from(text: String) -> Self {
        FieldValue(Value::from(text))
    }
}

impl From<Vec<u8>> for FieldValue {
    fn from(bytes: Vec<u8>) -> Self {
        FieldValue(Value::Bytes(Bytes::from(bytes)))
    }
}

impl From<Bytes> for FieldValue {
    fn from(bytes: Bytes) -> Self {
        FieldValue(Value::Bytes(bytes))
    }
}

impl From<i64> for FieldValue {
    fn from(n: i64) -> Self {
        FieldValue(Value::Integer(n))
    }
}

/// A consumer group's backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupBacklog {
    /// Entries delivered to a consumer and not yet acknowledged.
    pub pending: u64,
    /// Entries not yet delivered to any consumer of the group.
    pub undelivered: u64,
    /// Offset part of the last entry delivered to the group (channel
    /// streams' ids are `{offset}-0`).
    pub last_delivered: u64,
}

/// Whether a Redis error says the consumer group (or its stream) is gone.
pub fn is_missing_group(error: &BusError) -> bool {
    matches!(error, BusError::Redis(e) if e.details().starts_with("NOGROUP"))
}

pub(crate) fn entries_as_bytes(
    what: &'static str,
    entries: Value,
) -> Result<Vec<StreamEntry>, BusError> {
    let mut out = Vec::new();
    for (id, fields) in reply::stream_entries(what, entries)? {
        let mut as_bytes = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            as_bytes.push((name, reply::as_bytes(what, &value)?));
        }
        out.push(StreamEntry {
            id,
            fields: as_bytes,
        });
    }
    Ok(out)
}
