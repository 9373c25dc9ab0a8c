//! The runner's loop: sets up the input consumer group, the intake task
//! and the stdin writer, then feeds the processor: each entry from the
//! intake becomes a request line on stdin ([`Runner::accept`]), each stdout
//! line goes to the answers ([`Runner::take_line`]), due retries are sent
//! again and overdue messages fail, until the processor's stdout closes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, StreamEntry};
use asynchronio_protocol::keys::ENVELOPE_FIELD;
use asynchronio_protocol::stdio::{self, request_data};
use asynchronio_protocol::{Envelope, Offset};
use asynchronio_service::telemetry::{KeyValue, MessageSpan, SpanKind};
use tokio::io::AsyncWriteExt;
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use super::intake::Intake;
use super::{InFlight, Retries, Runner};
use crate::config::StageSpec;
use crate::lines::{LineReader, Read};

/// How often messages are checked for an answer overdue.
const TIMEOUT_CHECK_EVERY: Duration = Duration::from_millis(250);

impl Runner {
    /// Feeds the processor until its stdout closes or cannot be read, or
    /// the intake stops; tells why. Messages still in flight stay pending
    /// in Redis, delivered again to the next processor.
    pub(super) async fn run(self, stdin: ChildStdin, stdout: ChildStdout) -> String {
        let stage = self.context.stage().clone();
        let mut backoff = Backoff::default();
        while let Err(error) = self.prepare().await {
            tracing::warn!(stage = %self.program, %error, "cannot prepare the input consumer group; retrying");
            tokio::time::sleep(backoff.next_delay()).await;
        }
        let reader_bus = match Bus::connect(self.bus.config().clone(), "pipeline stage reader")
            .await
        {
            Ok(bus) => bus,
            Err(error) => {
                tracing::error!(stage = %self.program, %error, "cannot connect the stage reader");
                return format!("cannot connect the stage reader to Redis: {error}");
            }
        };
        let credits = Arc::new(Semaphore::new(stage.max_in_flight as usize));
        let (entries_tx, entries_rx) =
            mpsc::channel::<(StreamEntry, u32)>(stage.max_in_flight as usize);
        let intake = Intake {
            bus: reader_bus.clone(),
            stream: self.stream.clone(),
            group: self.group.clone(),
            consumer: self.consumer.clone(),
            claim_idle: stage.claim_idle,
        };
        let reader = tokio::spawn(intake.read_entries(credits.clone(), entries_tx));
        let (lines_tx, lines_rx) = mpsc::channel::<Vec<u8>>(stage.max_in_flight as usize);
        let writer = tokio::spawn(write_lines(stdin, lines_rx));
        let answers = LineReader::new(stdout, self.context.spec.max_line_bytes);
        let mut in_flight: HashMap<String, InFlight> = HashMap::new();
        let why = self
            .feed(
                &stage,
                entries_rx,
                answers,
                &mut in_flight,
                &lines_tx,
                &credits,
            )
            .await;
        reader.abort();
        writer.abort();
        reader_bus.quit().await;
        if !in_flight.is_empty() {
            self.context
                .counters
                .errors
                .fetch_add(in_flight.len() as u64, Ordering::Relaxed);
            // Their spans end here, marked failed with the reason: the
            // retry is a new span, under the same input message. A replay
            // lost this way stays a dead letter, free to be replayed again.
            for message in in_flight.values_mut() {
                if let Some(span) = &mut message.span {
                    span.set_error(format!(
                        "the processor stopped while handling it ({why}); it will be delivered again"
                    ));
                }
                if let Some(letter) = &message.replay_of {
                    self.context.replays.settled(letter);
                }
            }
            self.log(format!(
                "processor stopped with {} message(s) in flight; they will be delivered again",
                in_flight.len()
            ));
        }
        why
    }

    /// The loop proper: entries in, answers out, retries and timeouts.
    async fn feed(
        &self,
        stage: &StageSpec,
        mut entries: mpsc::Receiver<(StreamEntry, u32)>,
        mut answers: LineReader<ChildStdout>,
        in_flight: &mut HashMap<String, InFlight>,
        lines: &mpsc::Sender<Vec<u8>>,
        credits: &Semaphore,
    ) -> String {
        let mut retries: Retries = BinaryHeap::new();
        let mut timeouts = tokio::time::interval(TIMEOUT_CHECK_EVERY);
        let replays = self.context.replays.clone();
        loop {
            let next_retry = retries.peek().map(|Reverse((at, _))| *at);
            tokio::select! {
                received = entries.recv() => {
                    let Some((entry, attempts)) = received else {
                        return "the input stream reader stopped".to_owned();
                    };
                    self.accept(entry, attempts, in_flight, lines, credits).await;
                }
                letter = replays.next(credits) => {
                    self.accept_replay(letter, in_flight, lines, credits).await;
                }
                read = answers.next() => match read {
                    Ok(Read::Eof) => return "its stdout closed".to_owned(),
                    Ok(read) => {
                        self.take_line(read, &mut answers, in_flight, &mut retries, credits).await;
                    }
                    Err(error) => return format!("cannot read its stdout: {error}"),
                },
                () = sleep_until_opt(next_retry) => {
                    resend_due(&mut retries, in_flight, lines).await;
                }
                _ = timeouts.tick() => {
                    self.fail_overdue(stage, in_flight, &mut retries, credits).await;
                }
            }
        }
    }

    /// Fails every message that has waited longer than the stage's
    /// `timeout` for its answer (and is not waiting for a retry).
    async fn fail_overdue(
        &self,
        stage: &StageSpec,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut Retries,
        credits: &Semaphore,
    ) {
        let expired: Vec<String> = in_flight
            .iter()
            .filter(|(id, m)| {
                m.sent_at.elapsed() > stage.timeout
                    && !retries.iter().any(|Reverse((_, r))| r == *id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            let why = format!("no answer within {} ms", stage.timeout.as_millis());
            self.failed(&id, why, in_flight, retries, credits).await;
        }
    }

    /// Takes a new entry: dead-letters it straight away if it already
    /// failed too often (a processor crashing on it), else sends it.
    async fn accept(
        &self,
        entry: StreamEntry,
        attempts: u32,
        in_flight: &mut HashMap<String, InFlight>,
        lines: &mpsc::Sender<Vec<u8>>,
        credits: &Semaphore,
    ) {
        let stage = self.context.stage();
        let envelope = match entry.field(ENVELOPE_FIELD).map(|b| Envelope::decode(b)) {
            Some(Ok(envelope)) => envelope,
            _ => {
                self.dead_letter(
                    &entry.id,
                    None,
                    "",
                    "the stream entry is not a message envelope",
                    attempts,
                )
                .await;
                credits.add_permits(1);
                return;
            }
        };
        // Already in flight here (a replay of it): that one settles it.
        if in_flight.contains_key(&entry.id) {
            credits.add_permits(1);
            return;
        }
        let mut message = self.in_flight(envelope, attempts, None);
        if attempts > stage.max_retries {
            let why =
                format!("the processor crashed or timed out {attempts} time(s) while handling it");
            if let Some(span) = &mut message.span {
                span.set_error(format!("dead-lettered: {why}"));
            }
            self.dead_letter(
                &entry.id,
                Some(&message.envelope),
                message.data.get(),
                &why,
                attempts,
            )
            .await;
            credits.add_permits(1);
            return;
        }
        let Some(line) = request_line(&entry.id, &message) else {
            credits.add_permits(1);
            return;
        };
        in_flight.insert(entry.id, message);
        let _ = lines.send(line).await;
    }

    /// A message about to be handed to the processor, with its span.
    fn in_flight(&self, envelope: Envelope, attempts: u32, replay_of: Option<String>) -> InFlight {
        let data = request_data(&envelope);
        let span = MessageSpan::for_headers(
            "process",
            SpanKind::Consumer,
            &envelope.headers,
            None,
            vec![
                KeyValue::new("messaging.system", "asynchronio"),
                KeyValue::new("messaging.destination.name", envelope.channel.clone()),
                KeyValue::new("asynchronio.stage", self.program.clone()),
                KeyValue::new("asynchronio.offset", envelope.offset as i64),
            ],
        );
        InFlight {
            envelope,
            data,
            attempts,
            sent_at: Instant::now(),
            span,
            replay_of,
        }
    }

    /// Takes dead letter `letter_id` to replay (it came with a credit): read
    /// again (it may have been deleted meanwhile), then handed to the
    /// processor under its original entry id, its attempts counted afresh.
    async fn accept_replay(
        &self,
        letter_id: String,
        in_flight: &mut HashMap<String, InFlight>,
        lines: &mpsc::Sender<Vec<u8>>,
        credits: &Semaphore,
    ) {
        let replays = &self.context.replays;
        let give_back = || {
            credits.add_permits(1);
            replays.settled(&letter_id);
        };
        let letter = match self.bus.dead_letter(&self.program, &letter_id).await {
            Ok(Some(letter)) => letter,
            Ok(None) => return give_back(),
            Err(error) => {
                tracing::warn!(stage = %self.program, %error, letter = %letter_id, "cannot read a dead letter to replay; replay it again later");
                return give_back();
            }
        };
        let envelope = letter
            .envelope
            .as_deref()
            .and_then(|bytes| Envelope::decode(bytes).ok());
        // A letter without an entry id gets one no live entry can have.
        let id = if letter.entry.is_empty() {
            format!("replay-{letter_id}")
        } else {
            letter.entry.clone()
        };
        // The same message already in flight here (its entry redelivered):
        // that one settles it.
        let Some(envelope) = envelope.filter(|_| !in_flight.contains_key(&id)) else {
            return give_back();
        };
        let message = self.in_flight(envelope, 0, Some(letter_id.clone()));
        let Some(line) = request_line(&id, &message) else {
            return give_back();
        };
        self.log(format!("replaying dead letter {letter_id} (message {id})"));
        in_flight.insert(id, message);
        let _ = lines.send(line).await;
    }

    /// Deletes the dead letter a settled replay came from, which may then
    /// be replayed again.
    pub(super) async fn replayed(&self, message: &InFlight) {
        let Some(letter) = &message.replay_of else {
            return;
        };
        if let Err(error) = self
            .bus
            .delete_dead_letters(&self.program, std::slice::from_ref(letter))
            .await
        {
            tracing::warn!(stage = %self.program, %error, letter, "cannot delete a replayed dead letter; it stays listed: delete it (asynchronio dead-letters delete)");
        }
        self.context.replays.settled(letter);
    }
}

/// Sends again every message whose retry is due.
async fn resend_due(
    retries: &mut Retries,
    in_flight: &mut HashMap<String, InFlight>,
    lines: &mpsc::Sender<Vec<u8>>,
) {
    let now = Instant::now();
    while let Some(Reverse((at, _))) = retries.peek() {
        if *at > now {
            break;
        }
        let Some(Reverse((_, id))) = retries.pop() else {
            break;
        };
        if let Some(message) = in_flight.get_mut(&id) {
            message.sent_at = Instant::now();
            if let Some(line) = request_line(&id, message) {
                let _ = lines.send(line).await;
            }
        }
    }
}

/// Writes request lines to the processor's stdin until it closes.
async fn write_lines(mut stdin: ChildStdin, mut lines: mpsc::Receiver<Vec<u8>>) {
    while let Some(line) = lines.recv().await {
        if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
}

/// The request line for one attempt at a message.
fn request_line(id: &str, message: &InFlight) -> Option<Vec<u8>> {
    let trace = message.trace_context();
    let request = stdio::Request {
        id: id.to_owned(),
        channel: message.envelope.channel.clone(),
        offset: Offset(message.envelope.offset).to_string(),
        attempt: message.attempts + 1,
        data: &*message.data,
        tracestate: trace.as_ref().and_then(|trace| trace.tracestate.clone()),
        traceparent: trace.map(|trace| trace.traceparent),
    };
    request.to_line().ok()
}

/// Sleeps until `at`, or for ever without one.
async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
