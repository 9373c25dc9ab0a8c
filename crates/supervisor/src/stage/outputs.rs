//! An answer's outputs, published: each output is checked (a declared
//! output channel, the payload rule every publisher follows) and becomes a
//! draft with a `source` header; all are published in one atomic batch
//! with idempotency keys derived from the input message's epoch and offset,
//! so a message delivered again does not publish twice.

use std::collections::HashMap;

use asynchronio_bus::PublishRequest;
use asynchronio_protocol::system::stage_output_key;
use asynchronio_protocol::{ChannelName, ChannelRules, ContentType, EnvelopeDraft, Offset};
use bytes::Bytes;

use super::{InFlight, Output, Runner};
use crate::config::StageSpec;

/// Why outputs were not published.
pub(super) enum OutputError {
    /// The outputs are wrong: counts as a failed attempt.
    Refused(String),
    /// Redis is away: try again without counting.
    Unavailable(String),
}

impl Runner {
    /// Publishes the outputs of the answer to message `id` (nothing when it
    /// is no longer in flight).
    pub(super) async fn publish_outputs(
        &self,
        id: &str,
        in_flight: &HashMap<String, InFlight>,
        outputs: Vec<Output>,
    ) -> Result<(), OutputError> {
        let Some(message) = in_flight.get(id) else {
            return Ok(());
        };
        let stage = self.context.stage();
        let drafts = outputs
            .into_iter()
            .map(|output| self.draft(stage, message, output))
            .collect::<Result<Vec<_>, _>>()?;
        let keys: Vec<String> = (0..drafts.len())
            .map(|i| {
                stage_output_key(
                    &self.program,
                    &message.envelope.epoch,
                    message.envelope.offset,
                    i,
                )
            })
            .collect();
        let requests: Vec<PublishRequest<'_>> = drafts
            .iter()
            .zip(&keys)
            .map(|(draft, key)| PublishRequest {
                draft,
                idempotency_key: Some(key),
            })
            .collect();
        for result in self.bus.publish_batch(&requests).await {
            if let Err(error) = result {
                return Err(if error.is_unavailable() {
                    OutputError::Unavailable(error.to_string())
                } else {
                    OutputError::Refused(error.to_string())
                });
            }
        }
        Ok(())
    }

    /// One output as a draft, if the stage may publish it.
    fn draft(
        &self,
        stage: &StageSpec,
        message: &InFlight,
        output: Output,
    ) -> Result<EnvelopeDraft, OutputError> {
        let Some(channel) = output.channel.or_else(|| stage.outputs.first().cloned()) else {
            return Err(OutputError::Refused(
                "an output has no channel and the stage declares no outputs".into(),
            ));
        };
        if let Err(error) = ChannelName::parse(&channel, &ChannelRules::default()) {
            return Err(OutputError::Refused(format!("output channel: {error}")));
        }
        // Only the declared outputs: not `$sys:` channels (forged
        // states), not `private:` ones, not the stage's own input.
        if !stage.outputs.contains(&channel) {
            return Err(OutputError::Refused(format!(
                "output channel {channel:?} is not one of the stage's declared outputs ({}); publish only there, or declare it in `outputs`",
                stage.outputs.join(", ")
            )));
        }
        // The payload rule every publisher follows (depth, numbers).
        let payload =
            asynchronio_protocol::checked_json(Bytes::from(output.data.get().as_bytes().to_vec()))
                .map_err(|e| OutputError::Refused(format!("output data: {e}")))?;
        let mut headers = vec![(
            "source".into(),
            format!(
                "{}@{}",
                message.envelope.channel,
                Offset(message.envelope.offset)
            ),
        )];
        // Outputs continue the trace under the stage's span.
        if let Some(trace) = message.trace_context() {
            trace.write_into(&mut headers);
        }
        Ok(EnvelopeDraft {
            channel,
            content_type: ContentType::Json,
            payload,
            headers,
            publisher: Some(format!("pipeline:{}", self.program)),
        })
    }
}
