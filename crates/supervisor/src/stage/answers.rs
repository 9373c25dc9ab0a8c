//! The processor's answers: each stdout line is parsed as an answer to a
//! message in flight. A publish answer has its outputs published
//! ([`Runner::publish_outputs`]), then the message is acknowledged and its
//! credit returned; an error answer, a timeout or refused outputs count a
//! failed attempt ([`Runner::failed`]): retried with backoff, then
//! dead-lettered. Lines that are not answers are protocol errors.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use asynchronio_protocol::stdio::{Outcome, answer_id};
use asynchronio_service::telemetry::KeyValue;
use tokio::process::ChildStdout;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::outputs::OutputError;
use super::{Answer, InFlight, Retries, Runner};
use crate::lines::{LineReader, Read};

impl Runner {
    /// Takes one line or piece from the processor's stdout.
    pub(super) async fn take_line(
        &self,
        read: Read,
        answers: &mut LineReader<ChildStdout>,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut Retries,
        credits: &Semaphore,
    ) {
        match read {
            Read::Eof => {}
            Read::Line => match std::str::from_utf8(answers.line()) {
                Ok(line) => self.answer(line, in_flight, retries, credits).await,
                Err(_) => {
                    let lossy = String::from_utf8_lossy(answers.line());
                    self.protocol_error(&format!(
                        "stdout line is not UTF-8: {}",
                        truncate(&lossy, 200)
                    ));
                }
            },
            Read::Piece => {
                // Read the id from the start of the answer, skip the rest
                // without holding it, and fail that message.
                let max = answers.max();
                let id = answer_id(answers.line());
                answers.skip_rest();
                match id.filter(|id| in_flight.contains_key(id)) {
                    Some(id) => {
                        let why = format!(
                            "the answer is longer than max_line_bytes ({max} bytes); answer with less, or raise max_line_bytes for this stage"
                        );
                        self.failed(&id, why, in_flight, retries, credits).await;
                    }
                    None => self.protocol_error(&format!(
                        "a stdout line longer than max_line_bytes ({max} bytes) with no known message id at its start"
                    )),
                }
            }
        }
    }

    /// Settles the message an answer line is for.
    async fn answer(
        &self,
        line: &str,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut Retries,
        credits: &Semaphore,
    ) {
        let answer: Answer = match serde_json::from_str(line) {
            Ok(answer) => answer,
            Err(error) => {
                self.protocol_error(&format!(
                    "stdout line is not an answer ({error}): {}",
                    truncate(line, 200)
                ));
                return;
            }
        };
        let (id, outcome) = answer.into_parts();
        if !in_flight.contains_key(&id) {
            self.log(format!(
                "answer for unknown or settled message id {id:?} ignored"
            ));
            return;
        }
        let outputs = match outcome {
            Outcome::Publish(outputs) => outputs,
            Outcome::Error(error) => {
                self.failed(&id, error, in_flight, retries, credits).await;
                return;
            }
        };
        let published = outputs.len();
        match self.publish_outputs(&id, in_flight, outputs).await {
            Ok(()) => {
                if let Some(mut message) = in_flight.remove(&id) {
                    if let Some(span) = &mut message.span {
                        span.set_attribute(KeyValue::new("asynchronio.outputs", published as i64));
                    }
                    self.replayed(&message).await;
                }
                self.context
                    .counters
                    .processed
                    .fetch_add(1, Ordering::Relaxed);
                credits.add_permits(1);
                if let Err(error) = self.bus.ack(&self.stream, &self.group, &[id]).await {
                    // Not fatal: the entry is delivered again and its
                    // outputs are suppressed by their idempotency keys.
                    tracing::warn!(stage = %self.program, %error, "acknowledge failed");
                }
            }
            Err(OutputError::Refused(why)) => {
                self.failed(&id, why, in_flight, retries, credits).await;
            }
            Err(OutputError::Unavailable(why)) => {
                // Redis trouble is not the message's fault: try again later
                // without counting an attempt.
                tracing::warn!(stage = %self.program, error = %why, "cannot publish outputs; retrying");
                retries.push(Reverse((Instant::now() + Duration::from_secs(1), id)));
            }
        }
    }

    /// Counts a failed attempt: retry later, or dead-letter when out of
    /// retries.
    pub(super) async fn failed(
        &self,
        id: &str,
        why: String,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut Retries,
        credits: &Semaphore,
    ) {
        let stage = self.context.stage();
        self.context.counters.errors.fetch_add(1, Ordering::Relaxed);
        let Some(message) = in_flight.get_mut(id) else {
            return;
        };
        message.attempts += 1;
        if let Some(span) = &mut message.span {
            span.add_event_at(
                "attempt failed",
                std::time::SystemTime::now(),
                vec![
                    KeyValue::new("asynchronio.attempt", i64::from(message.attempts)),
                    KeyValue::new("error.message", truncate(&why, 200).to_owned()),
                ],
            );
        }
        if message.attempts > stage.max_retries {
            let attempts = message.attempts;
            if let Some(mut message) = in_flight.remove(id) {
                if let Some(span) = &mut message.span {
                    span.set_error(format!("dead-lettered after {attempts} attempt(s)"));
                }
                self.dead_letter(
                    id,
                    Some(&message.envelope),
                    message.data.get(),
                    &why,
                    attempts,
                )
                .await;
                self.replayed(&message).await;
            }
            credits.add_permits(1);
            return;
        }
        let factor = 1u32 << (message.attempts - 1).min(6);
        let delay = (stage.retry_backoff * factor).min(Duration::from_secs(10));
        // Not timed out while waiting for its retry.
        message.sent_at = Instant::now() + delay;
        retries.push(Reverse((Instant::now() + delay, id.to_owned())));
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}
