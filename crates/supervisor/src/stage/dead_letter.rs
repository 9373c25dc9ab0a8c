//! The dead-letter stream of a stage: a message that failed too often
//! (or is not a message at all) is written there with why, and
//! acknowledged, so the stage moves on.

use std::sync::atomic::Ordering;

use asynchronio_bus::{Backoff, FieldValue};
use asynchronio_protocol::dead_letter;
use asynchronio_protocol::{Envelope, Offset};

use super::Runner;

/// Dead-letter entries kept per stage.
const DEAD_LETTERS_KEPT: u64 = 100_000;

impl Runner {
    /// Moves a message to the stage's dead-letter stream and acknowledges it.
    pub(super) async fn dead_letter(
        &self,
        id: &str,
        envelope: Option<&Envelope>,
        data: &str,
        why: &str,
        attempts: u32,
    ) {
        let key = self.bus.keys().pm_dead_letters(&self.program);
        let mut fields = vec![
            (dead_letter::ENTRY, FieldValue::from(id)),
            (
                dead_letter::CHANNEL,
                FieldValue::from(self.context.stage().input.as_str()),
            ),
            (
                dead_letter::OFFSET,
                FieldValue::from(
                    envelope
                        .map(|e| Offset(e.offset).to_string())
                        .unwrap_or_default(),
                ),
            ),
            (dead_letter::DATA, FieldValue::from(data)),
            (dead_letter::ERROR, FieldValue::from(why)),
            (dead_letter::ATTEMPTS, FieldValue::from(i64::from(attempts))),
        ];
        // The envelope itself, so that a replay hands the processor the
        // same message.
        if let Some(Ok(bytes)) = envelope.map(Envelope::encode) {
            fields.push((dead_letter::ENVELOPE, FieldValue::from(bytes)));
        }
        let mut backoff = Backoff::default();
        loop {
            match self
                .bus
                .append_capped(&key, DEAD_LETTERS_KEPT, fields.clone())
                .await
            {
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(stage = %self.program, %error, "cannot write the dead letter; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
        self.context
            .counters
            .dead_lettered
            .fetch_add(1, Ordering::Relaxed);
        self.log(format!(
            "message {id} dead-lettered after {attempts} attempt(s): {why}"
        ));
        if let Err(error) = self
            .bus
            .ack(&self.stream, &self.group, &[id.to_owned()])
            .await
        {
            tracing::warn!(stage = %self.program, %error, "acknowledge of a dead letter failed");
        }
    }
}
