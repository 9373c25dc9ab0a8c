//! The one atomic publish routine: assign the next offset, append to the
//! channel's stream, trim it, and deliver on its topic, all inside Redis.

use fred::interfaces::ClientLike;
use fred::types::{ClusterHash, CustomCommand, Value};

use asynchronio_protocol::{EnvelopeDraft, Offset};

use crate::bus::{Bus, is_noscript};
use crate::error::BusError;
use crate::reply;

/// One message to publish.
#[derive(Debug, Clone, Copy)]
pub struct PublishRequest<'a> {
    /// The message.
    pub draft: &'a EnvelopeDraft,
    /// Publishing again with the same key (on the same channel, within the
    /// idempotency TTL) returns the first result and publishes nothing.
    pub idempotency_key: Option<&'a str>,
}

/// Where a published message landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The message's offset in its channel.
    pub offset: Offset,
    /// The channel's epoch the offset counts in.
    pub epoch: String,
    /// True when the idempotency key had been used: nothing new was published.
    pub duplicate: bool,
    /// True when the idempotency key had been used for another payload:
    /// nothing was published, and the caller reused a key by mistake.
    pub conflict: bool,
}

impl Bus {
    /// Publishes one message and returns its offset and epoch.
    pub async fn publish(
        &self,
        draft: &EnvelopeDraft,
        idempotency_key: Option<&str>,
    ) -> Result<Published, BusError> {
        let (keys, args) = self.publish_call(&PublishRequest {
            draft,
            idempotency_key,
        })?;
        let reply = self.run_script(&self.scripts.publish, keys, args).await?;
        parse_published(&reply)
    }

    /// Publishes many messages in one round trip, in order; each gets its own
    /// result. Messages of one channel keep their order.
    pub async fn publish_batch(
        &self,
        requests: &[PublishRequest<'_>],
    ) -> Vec<Result<Published, BusError>> {
        let mut results: Vec<Option<Result<Published, BusError>>> =
            (0..requests.len()).map(|_| None).collect();
        // Two passes at most: the second only when Redis had forgotten the
        // script (it restarted), and then for the failed requests only,
        // which still run in their original order.
        for attempt in 0..2 {
            let pending: Vec<usize> = (0..requests.len())
                .filter(|i| results[*i].is_none())
                .collect();
            if pending.is_empty() {
                break;
            }
            let pipeline = self.client.pipeline();
            let mut queued = Vec::with_capacity(pending.len());
            for &i in &pending {
                match self.publish_call(&requests[i]) {
                    Ok((keys, args)) => {
                        match pipeline
                            .custom::<(), Value>(evalsha_command(), self.evalsha_args(keys, args))
                            .await
                        {
                            Ok(()) => queued.push(i),
                            Err(e) => results[i] = Some(Err(e.into())),
                        }
                    }
                    Err(e) => results[i] = Some(Err(e)),
                }
            }
            let replies = pipeline.try_all::<Value>().await;
            let mut saw_noscript = false;
            for (i, reply) in queued.into_iter().zip(replies) {
                match reply {
                    Err(error) if attempt == 0 && is_noscript(&error) => saw_noscript = true,
                    Err(error) => results[i] = Some(Err(error.into())),
                    Ok(value) => results[i] = Some(parse_published(&value)),
                }
            }
            if !saw_noscript {
                break;
            }
            if let Err(error) = self.scripts.publish.load(&self.client).await {
                let error = BusError::from(error);
                tracing::warn!(%error, "could not load the publish script");
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(BusError::UnexpectedReply {
                        what: "publish batch",
                        detail: "no reply for this message".into(),
                    })
                })
            })
            .collect()
    }

    /// Publishes drafts without idempotency keys, in one round trip.
    pub async fn publish_drafts(
        &self,
        drafts: &[EnvelopeDraft],
    ) -> Vec<Result<Published, BusError>> {
        let requests: Vec<PublishRequest<'_>> = drafts
            .iter()
            .map(|draft| PublishRequest {
                draft,
                idempotency_key: None,
            })
            .collect();
        self.publish_batch(&requests).await
    }

    fn publish_call(
        &self,
        request: &PublishRequest<'_>,
    ) -> Result<(Vec<String>, Vec<Value>), BusError> {
        let keys_cfg = self.keys();
        let channel = &request.draft.channel;
        let history = &self.config.history;
        let mut keys = vec![keys_cfg.stream(channel), keys_cfg.meta(channel)];
        if let Some(key) = request.idempotency_key {
            keys.push(keys_cfg.idempotency(channel, key));
        }
        let args = vec![
            Value::Bytes(request.draft.encode_head()?.into()),
            Value::from(keys_cfg.topic(channel)),
            Value::Integer(history.size as i64),
            Value::Integer(history.ttl_secs as i64),
            Value::Integer(history.idempotency_ttl_secs.max(1) as i64),
            Value::from(self.publish_command()),
            Value::from(fingerprint(request)),
        ];
        Ok((keys, args))
    }
}

/// `EVALSHA` as a custom command, since pipelines have no script interface;
/// routed by its first key (argument 2) on a cluster.
fn evalsha_command() -> CustomCommand {
    CustomCommand::new_static("EVALSHA", ClusterHash::Offset(2), false)
}

impl Bus {
    fn evalsha_args(&self, keys: Vec<String>, args: Vec<Value>) -> Vec<Value> {
        let mut all = Vec::with_capacity(2 + keys.len() + args.len());
        all.push(Value::from(self.scripts.publish.sha1().clone()));
        all.push(Value::Integer(keys.len() as i64));
        all.extend(keys.into_iter().map(Value::from));
        all.extend(args);
        all
    }
}

fn parse_published(value: &Value) -> Result<Published, BusError> {
    const WHAT: &str = "the publish script";
    let Value::Array(items) = value else {
        return Err(reply::unexpected(WHAT, value));
    };
    let [offset, epoch, duplicate] = items.as_slice() else {
        return Err(reply::unexpected(WHAT, value));
    };
    let verdict = reply::as_u64(WHAT, duplicate)?;
    Ok(Published {
        offset: Offset(reply::as_u64(WHAT, offset)?),
        epoch: reply::as_string(WHAT, epoch)?,
        duplicate: verdict != 0,
        conflict: verdict == 2,
    })
}

/// What an idempotency key remembers of the payload it was first used
/// with (the first 16 bytes of its SHA-256, in hex), so that the key reused
/// for another payload is told apart from a retry. Empty without a key.
fn fingerprint(request: &PublishRequest<'_>) -> String {
    use sha2::{Digest, Sha256};
    if request.idempotency_key.is_none() {
        return String::new();
    }
    let digest = Sha256::digest(&request.draft.payload);
    hex::encode(digest.get(..16).unwrap_or_default())
}
