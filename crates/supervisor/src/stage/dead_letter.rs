//! The dead-letter stream of a stage: a message that failed too often
//! (or is not a message at all) is written there with why, and
//! acknowledged, so the stage moves on.

use std::sync::atomic::Ordering;

use asynchronio_bus::{Backoff, FieldValue};
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
        let fields = vec![
            ("entry", FieldValue::from(id)),
            (
                "channel",
                FieldValue::from(self.context.stage().input.as_str()),
            ),
            (
                "offset",
                FieldValue::from(
                    envelope
                        .map(|e| Offset(e.offset).to_string())
                        .unwrap_or_default(),
                ),
            ),
            ("data", FieldValue::from(data)),
            ("error", FieldValue::from(why)),
            ("attempts", FieldValue::from(i64::from(attempts))),
        ];
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
