//! Reading a channel's position and its history by offset.

use fred::interfaces::{ClientLike, StreamsInterface};
use fred::types::Value;
use fred::types::{ClusterHash, CustomCommand};

use asynchronio_protocol::keys::ENVELOPE_FIELD;
use asynchronio_protocol::system::ARCHIVER_HOLDER;
use asynchronio_protocol::{Envelope, Offset};

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// A channel's newest offset and the epoch it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The newest offset (0 before the first message).
    pub offset: Offset,
    /// The epoch the offset counts in (`""` before the first publish).
    pub epoch: String,
}

impl Bus {
    /// The channel's current position; offset 0 in the empty epoch when
    /// nobody has published to it yet (reading creates nothing).
    pub async fn position(&self, channel: &str) -> Result<Position, BusError> {
        const WHAT: &str = "the position script";
        let keys = vec![self.keys().stream(channel), self.keys().meta(channel)];
        let reply = self
            .run_script(&self.scripts.position, keys, Vec::new())
            .await?;
        parse_position(WHAT, &reply)
    }

    /// The channel's position, creating its epoch first if it has none.
    /// Only for writers configured by the operator (a pipeline stage about
    /// to create a consumer group on the channel's stream); readers call
    /// [`Bus::position`], which writes nothing.
    pub async fn ensure_epoch(&self, channel: &str) -> Result<Position, BusError> {
        const WHAT: &str = "the ensure-epoch script";
        let keys = vec![self.keys().stream(channel), self.keys().meta(channel)];
        let args = vec![Value::Integer(self.config.history.ttl_secs as i64)];
        let reply = self
            .run_script(&self.scripts.ensure_epoch, keys, args)
            .await?;
        parse_position(WHAT, &reply)
    }

    /// Up to `limit` messages with offsets after `after` (and not after
    /// `until`, when given), oldest first. Entries that do not decode are
    /// skipped with a warning.
    pub async fn history(
        &self,
        channel: &str,
        after: Offset,
        until: Option<Offset>,
        limit: usize,
    ) -> Result<Vec<Envelope>, BusError> {
        if until.is_some_and(|until| until <= after) || limit == 0 {
            return Ok(Vec::new());
        }
        let start = format!("{}-0", after.0.saturating_add(1));
        let end = match until {
            Some(until) => format!("{}-0", until.0),
            None => "+".to_owned(),
        };
        let value: Value = self
            .client
            .xrange(self.keys().stream(channel), start, end, Some(limit as u64))
            .await?;
        self.decode_entries(channel, value)
    }

    /// Decodes the envelopes of a range reply, skipping entries that do not
    /// decode (with a warning).
    fn decode_entries(&self, channel: &str, value: Value) -> Result<Vec<Envelope>, BusError> {
        let entries = reply::stream_entries("XRANGE", value)?;
        let mut out = Vec::with_capacity(entries.len());
        for (id, fields) in entries {
            let Some((_, value)) = fields.iter().find(|(k, _)| k == ENVELOPE_FIELD) else {
                tracing::warn!(channel, id, "stream entry has no envelope field; skipped");
                continue;
            };
            let bytes = reply::as_bytes("XRANGE", value)?;
            match Envelope::decode(&bytes) {
                Ok(envelope) => out.push(envelope),
                Err(error) => {
                    tracing::warn!(channel, id, %error, "stream entry does not decode; skipped")
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` messages with offsets after `after`, newest first.
    pub async fn history_newest_first(
        &self,
        channel: &str,
        after: Offset,
        limit: usize,
    ) -> Result<Vec<Envelope>, BusError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let value: Value = self
            .client
            .xrevrange(
                self.keys().stream(channel),
                "+",
                format!("{}-0", after.0.saturating_add(1)),
                Some(limit as u64),
            )
            .await?;
        self.decode_entries(channel, value)
    }

    /// Records that an archiver has copied `channel` up to `offset` in
    /// `epoch`, so Redis keeps everything after it until it is copied.
    pub async fn mark_archived(
        &self,
        channel: &str,
        epoch: &str,
        offset: Offset,
    ) -> Result<bool, BusError> {
        self.hold(channel, Some(epoch), ARCHIVER_HOLDER, Some(offset))
            .await
    }

    /// Stops holding back trimming for a channel that is not archived (any
    /// more).
    pub async fn unmark_archived(&self, channel: &str) -> Result<(), BusError> {
        self.hold(channel, None, ARCHIVER_HOLDER, None).await?;
        Ok(())
    }

    /// Records that `holder` has handled `channel` through `offset` (in
    /// `epoch`, when given), or drops the holder (`offset` `None`). The
    /// publish script never trims past the lowest holder. Returns false when
    /// the channel has moved to another epoch.
    pub async fn hold(
        &self,
        channel: &str,
        epoch: Option<&str>,
        holder: &str,
        offset: Option<Offset>,
    ) -> Result<bool, BusError> {
        let reply = self
            .run_script(
                &self.scripts.hold,
                vec![self.keys().meta(channel), self.keys().holds(channel)],
                vec![
                    Value::from(epoch.unwrap_or_default()),
                    Value::from(holder),
                    match offset {
                        Some(offset) => Value::Integer(offset.0 as i64),
                        None => Value::from("release"),
                    },
                    Value::Integer(self.config.history.ttl_secs as i64),
                ],
            )
            .await?;
        Ok(reply::as_u64("the hold script", &reply)? == 1)
    }

    /// Every channel that has metadata (has been published to or
    /// subscribed), found with SCAN.
    pub async fn known_channels(&self) -> Result<Vec<String>, BusError> {
        if self.is_cluster() {
            return self.known_channels_on_cluster().await;
        }
        let pattern = self.keys().meta_pattern();
        let mut cursor = "0".to_owned();
        let mut channels = Vec::new();
        loop {
            let reply: Value = self
                .client
                .custom(
                    CustomCommand::new_static("SCAN", ClusterHash::Random, false),
                    vec![
                        cursor.clone(),
                        "MATCH".into(),
                        pattern.clone(),
                        "COUNT".into(),
                        "1000".into(),
                    ],
                )
                .await?;
            let Value::Array(parts) = &reply else {
                return Err(reply::unexpected("SCAN", &reply));
            };
            let (Some(next), Some(Value::Array(keys))) = (parts.first(), parts.get(1)) else {
                return Err(reply::unexpected("SCAN", &reply));
            };
            for key in keys {
                if let Ok(key) = reply::as_string("SCAN", key)
                    && let Some(channel) = self.keys().channel_of_meta_key(&key)
                {
                    channels.push(channel.to_owned());
                }
            }
            cursor = reply::as_string("SCAN", next)?;
            if cursor == "0" {
                break;
            }
        }
        channels.sort();
        channels.dedup();
        Ok(channels)
    }

    /// `known_channels` on a cluster: SCAN runs on every primary, since
    /// each holds the metadata of its own slots.
    async fn known_channels_on_cluster(&self) -> Result<Vec<String>, BusError> {
        use futures_util::StreamExt;
        let mut keys = std::pin::pin!(self.client.scan_cluster_buffered(
            self.keys().meta_pattern(),
            Some(1000),
            None
        ));
        let mut channels = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key?;
            if let Some(channel) = key
                .as_str()
                .and_then(|key| self.keys().channel_of_meta_key(key))
            {
                channels.push(channel.to_owned());
            }
        }
        channels.sort();
        channels.dedup();
        Ok(channels)
    }

    /// The oldest offset still retained in the channel's stream, if any.
    pub async fn oldest_offset(&self, channel: &str) -> Result<Option<Offset>, BusError> {
        let value: Value = self
            .client
            .xrange(self.keys().stream(channel), "-", "+", Some(1))
            .await?;
        let entries = reply::stream_entries("XRANGE", value)?;
        Ok(entries
            .first()
            .and_then(|(id, _)| reply::offset_of_entry_id(id))
            .map(Offset))
    }
}

/// `{offset, epoch}` as the position scripts answer it.
fn parse_position(what: &'static str, reply: &Value) -> Result<Position, BusError> {
    let Value::Array(items) = reply else {
        return Err(reply::unexpected(what, reply));
    };
    let [offset, epoch] = items.as_slice() else {
        return Err(reply::unexpected(what, reply));
    };
    Ok(Position {
        offset: Offset(reply::as_u64(what, offset)?),
        epoch: reply::as_string(what, epoch)?,
    })
}
