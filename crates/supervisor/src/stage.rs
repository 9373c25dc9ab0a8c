//! A pipeline stage instance at work: reads its input channel's stream
//! through the stage's consumer group, hands each message to the processor
//! as one JSON line on stdin, and for each answer on stdout publishes the
//! outputs with the atomic publish (idempotency keys derived from the input
//! offset, so a redelivered message does not publish twice) and then
//! acknowledges it. Error answers and timeouts are retried with backoff,
//! then dead-lettered. Messages a crashed processor held are claimed again
//! when its instance restarts, and entries left by instances that are gone
//! are taken over with `XAUTOCLAIM`.
//!
//! Nothing a processor writes is trusted: answer lines are held up to the
//! program's `max_line_bytes` (a longer answer fails its message), lines
//! that are not UTF-8 or not answers are logged and counted as errors, and
//! outputs go only to the stage's declared `outputs`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use asynchronio_bus::{
    Backoff, Bus, FieldValue, GroupRead, PublishRequest, StreamEntry, is_missing_group,
};
use asynchronio_protocol::keys::ENVELOPE_FIELD;
use asynchronio_protocol::stdio::{self, Outcome, answer_id, request_data};
use asynchronio_protocol::system::{stage_group, stage_output_key};
use asynchronio_protocol::{
    ChannelName, ChannelRules, ContentType, Envelope, EnvelopeDraft, Offset,
};
use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::io::AsyncWriteExt;
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::config::{ProgramSpec, StageSpec, StageStart};
use crate::lines::{LineReader, Read};
use crate::log_capture::{LogLine, LogSink};

/// Dead-letter entries kept per stage.
const DEAD_LETTERS_KEPT: u64 = 100_000;

/// Figures of one stage, shared by its instances and the statistics task.
#[derive(Debug, Default)]
pub struct StageCounters {
    pub processed: AtomicU64,
    pub errors: AtomicU64,
    pub dead_lettered: AtomicU64,
}

/// What every instance of a stage shares.
#[derive(Clone)]
pub struct StageContext {
    pub spec: Arc<ProgramSpec>,
    pub bus: watch::Receiver<Option<Bus>>,
    pub counters: Arc<StageCounters>,
}

/// One answer line from a processor, its outputs' data kept as written.
type Answer = stdio::Answer<Box<RawValue>>;

/// One output of an answer.
type Output = stdio::Output<Box<RawValue>>;

/// A message handed to the processor and not yet settled.
struct InFlight {
    envelope: Envelope,
    data: Box<RawValue>,
    /// Attempts already made before the current one.
    attempts: u32,
    sent_at: Instant,
}

impl StageContext {
    fn stage(&self) -> &StageSpec {
        // A StageContext is only built for programs with a stage spec.
        static DEFAULT: std::sync::OnceLock<StageSpec> = std::sync::OnceLock::new();
        self.spec.stage.as_ref().unwrap_or_else(|| {
            DEFAULT.get_or_init(|| StageSpec {
                input: String::new(),
                outputs: Vec::new(),
                max_retries: 0,
                max_in_flight: 1,
                timeout: Duration::from_secs(30),
                retry_backoff: Duration::from_millis(200),
                claim_idle: Duration::from_secs(30),
                start: StageStart::End,
            })
        })
    }

    /// Feeds the processor until its stdout closes (it exited or was
    /// stopped) or cannot be read, and tells why it stopped. Messages still
    /// in flight stay pending in Redis.
    pub async fn run(
        self,
        instance: u32,
        stdin: ChildStdin,
        stdout: ChildStdout,
        logs: LogSink,
    ) -> String {
        let mut bus_rx = self.bus.clone();
        let bus = match bus_rx.wait_for(Option::is_some).await {
            Ok(bus) => bus.clone(),
            Err(_) => return "the manager is stopping".into(),
        };
        let Some(bus) = bus else {
            return "the manager is stopping".into();
        };
        let runner = Runner::new(self, instance, bus, logs);
        runner.run(stdin, stdout).await
    }
}

struct Runner {
    context: StageContext,
    bus: Bus,
    stream: String,
    group: String,
    consumer: String,
    logs: LogSink,
    program: Arc<str>,
    instance: u32,
}

impl Runner {
    fn new(context: StageContext, instance: u32, bus: Bus, logs: LogSink) -> Runner {
        let stage = context.stage();
        Runner {
            stream: bus.keys().stream(&stage.input),
            group: stage_group(&context.spec.name),
            consumer: format!("{}-{instance}", context.spec.name),
            program: Arc::from(context.spec.name.as_str()),
            context,
            bus,
            logs,
            instance,
        }
    }

    fn log(&self, line: String) {
        self.logs.push(LogLine {
            program: self.program.clone(),
            instance: self.instance,
            stream: "manager",
            line,
        });
    }

    /// Makes sure the input channel has an epoch (so its first publish does
    /// not reset the stream under the group) and the group exists.
    async fn prepare(&self) -> Result<(), asynchronio_bus::BusError> {
        let stage = self.context.stage();
        self.bus.ensure_epoch(&stage.input).await?;
        let start = match stage.start {
            StageStart::End => "$",
            StageStart::Beginning => "0",
        };
        self.bus
            .ensure_group_from(&self.stream, &self.group, start)
            .await
    }

    /// Counts a line the processor should not have written, and logs it.
    fn protocol_error(&self, what: &str) {
        self.context.counters.errors.fetch_add(1, Ordering::Relaxed);
        self.log(format!(
            "processor protocol error: {what}; processors must write one JSON answer (UTF-8) per line to stdout and log to stderr"
        ));
    }

    /// Takes one line or piece from the processor's stdout.
    async fn take_line(
        &self,
        read: Read,
        answers: &mut LineReader<ChildStdout>,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut BinaryHeap<Reverse<(Instant, String)>>,
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

    async fn run(self, stdin: ChildStdin, stdout: ChildStdout) -> String {
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
        let (entries_tx, mut entries_rx) =
            mpsc::channel::<(StreamEntry, u32)>(stage.max_in_flight as usize);
        let reader = tokio::spawn(read_entries(
            reader_bus.clone(),
            self.stream.clone(),
            self.group.clone(),
            self.consumer.clone(),
            stage.claim_idle,
            credits.clone(),
            entries_tx,
        ));
        let (lines_tx, lines_rx) = mpsc::channel::<Vec<u8>>(stage.max_in_flight as usize);
        let writer = tokio::spawn(write_lines(stdin, lines_rx));

        let mut answers = LineReader::new(stdout, self.context.spec.max_line_bytes);
        let mut in_flight: HashMap<String, InFlight> = HashMap::new();
        let mut retries: BinaryHeap<Reverse<(Instant, String)>> = BinaryHeap::new();
        let mut timeouts = tokio::time::interval(Duration::from_millis(250));
        let why = loop {
            let next_retry = retries.peek().map(|Reverse((at, _))| *at);
            tokio::select! {
                received = entries_rx.recv() => {
                    let Some((entry, attempts)) = received else {
                        break "the input stream reader stopped".to_owned();
                    };
                    self.accept(entry, attempts, &mut in_flight, &lines_tx, &credits).await;
                }
                read = answers.next() => match read {
                    Ok(Read::Eof) => break "its stdout closed".to_owned(),
                    Ok(read) => {
                        self.take_line(read, &mut answers, &mut in_flight, &mut retries, &credits).await;
                    }
                    Err(error) => break format!("cannot read its stdout: {error}"),
                },
                () = sleep_until_opt(next_retry) => {
                    let now = Instant::now();
                    while let Some(Reverse((at, _))) = retries.peek() {
                        if *at > now { break; }
                        let Some(Reverse((_, id))) = retries.pop() else { break };
                        if let Some(message) = in_flight.get_mut(&id) {
                            message.sent_at = Instant::now();
                            if let Some(line) = request_line(&id, message) {
                                let _ = lines_tx.send(line).await;
                            }
                        }
                    }
                }
                _ = timeouts.tick() => {
                    let expired: Vec<String> = in_flight
                        .iter()
                        .filter(|(id, m)| m.sent_at.elapsed() > stage.timeout
                            && !retries.iter().any(|Reverse((_, r))| r == *id))
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in expired {
                        let why = format!("no answer within {} ms", stage.timeout.as_millis());
                        self.failed(&id, why, &mut in_flight, &mut retries, &credits).await;
                    }
                }
            }
        };
        reader.abort();
        writer.abort();
        reader_bus.quit().await;
        if !in_flight.is_empty() {
            self.context
                .counters
                .errors
                .fetch_add(in_flight.len() as u64, Ordering::Relaxed);
            self.log(format!(
                "processor stopped with {} message(s) in flight; they will be delivered again",
                in_flight.len()
            ));
        }
        why
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
        let data = request_data(&envelope);
        let message = InFlight {
            envelope,
            data,
            attempts,
            sent_at: Instant::now(),
        };
        if attempts > stage.max_retries {
            let why =
                format!("the processor crashed or timed out {attempts} time(s) while handling it");
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

    async fn answer(
        &self,
        line: &str,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut BinaryHeap<Reverse<(Instant, String)>>,
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
        match self.publish_outputs(&id, in_flight, outputs).await {
            Ok(()) => {
                in_flight.remove(&id);
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

    async fn publish_outputs(
        &self,
        id: &str,
        in_flight: &HashMap<String, InFlight>,
        outputs: Vec<Output>,
    ) -> Result<(), OutputError> {
        let Some(message) = in_flight.get(id) else {
            return Ok(());
        };
        let stage = self.context.stage();
        let rules = ChannelRules::default();
        let mut drafts = Vec::with_capacity(outputs.len());
        for output in outputs {
            let channel = match output.channel.or_else(|| stage.outputs.first().cloned()) {
                Some(channel) => channel,
                None => {
                    return Err(OutputError::Refused(
                        "an output has no channel and the stage declares no outputs".into(),
                    ));
                }
            };
            if let Err(error) = ChannelName::parse(&channel, &rules) {
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
            let payload = asynchronio_protocol::checked_json(Bytes::from(
                output.data.get().as_bytes().to_vec(),
            ))
            .map_err(|e| OutputError::Refused(format!("output data: {e}")))?;
            let mut draft = EnvelopeDraft {
                channel,
                content_type: ContentType::Json,
                payload,
                headers: Vec::new(),
                publisher: Some(format!("pipeline:{}", self.program)),
            };
            draft.headers.push((
                "source".into(),
                format!(
                    "{}@{}",
                    message.envelope.channel,
                    Offset(message.envelope.offset)
                ),
            ));
            drafts.push(draft);
        }
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

    /// Counts a failed attempt: retry later, or dead-letter when out of
    /// retries.
    async fn failed(
        &self,
        id: &str,
        why: String,
        in_flight: &mut HashMap<String, InFlight>,
        retries: &mut BinaryHeap<Reverse<(Instant, String)>>,
        credits: &Semaphore,
    ) {
        let stage = self.context.stage();
        self.context.counters.errors.fetch_add(1, Ordering::Relaxed);
        let Some(message) = in_flight.get_mut(id) else {
            return;
        };
        message.attempts += 1;
        if message.attempts > stage.max_retries {
            let attempts = message.attempts;
            if let Some(message) = in_flight.remove(id) {
                self.dead_letter(
                    id,
                    Some(&message.envelope),
                    message.data.get(),
                    &why,
                    attempts,
                )
                .await;
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

    /// Moves a message to the stage's dead-letter stream and acknowledges it.
    async fn dead_letter(
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
            ("channel", FieldValue::from(self.context.stage().input.as_str())),
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

enum OutputError {
    /// The outputs are wrong: counts as a failed attempt.
    Refused(String),
    /// Redis is away: try again without counting.
    Unavailable(String),
}

/// Reads entries for the runner as credits allow: first the ones this
/// consumer held before (a crashed processor's), then new ones, and from
/// time to time entries other consumers left idle too long.
async fn read_entries(
    bus: Bus,
    stream: String,
    group: String,
    consumer: String,
    claim_idle: Duration,
    credits: Arc<Semaphore>,
    out: mpsc::Sender<(StreamEntry, u32)>,
) {
    let mut backoff = Backoff::default();
    // Own pending entries, with how often they were delivered before.
    loop {
        match recover_own(&bus, &stream, &group, &consumer).await {
            Ok(entries) => {
                for item in entries {
                    take_credit(&credits).await;
                    if out.send(item).await.is_err() {
                        return;
                    }
                }
                break;
            }
            Err(error) => {
                tracing::warn!(%error, consumer, "cannot read pending entries; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
    let mut claim_cursor = "0-0".to_owned();
    let mut last_claim = Instant::now();
    loop {
        let Ok(permit) = credits.acquire().await else {
            return;
        };
        permit.forget();
        let mut granted = 1u64;
        while granted < 256 {
            match credits.try_acquire() {
                Ok(permit) => {
                    permit.forget();
                    granted += 1;
                }
                Err(_) => break,
            }
        }
        let result = if last_claim.elapsed() >= claim_idle / 2 {
            last_claim = Instant::now();
            bus.autoclaim(
                &stream,
                &group,
                &consumer,
                claim_idle.as_millis() as u64,
                &claim_cursor,
                granted,
            )
            .await
            .map(|(next, entries)| {
                claim_cursor = next;
                entries.into_iter().map(|e| (e, 1)).collect::<Vec<_>>()
            })
        } else {
            bus.read_group(
                &stream,
                &group,
                &consumer,
                GroupRead::New,
                granted,
                Some(1_000),
            )
            .await
            .map(|entries| entries.into_iter().map(|e| (e, 0)).collect())
        };
        match result {
            Ok(entries) => {
                backoff.reset();
                let unused = granted.saturating_sub(entries.len() as u64);
                credits.add_permits(unused as usize);
                for item in entries {
                    if out.send(item).await.is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                credits.add_permits(granted as usize);
                if is_missing_group(&error) {
                    // The input's history expired and took the group along.
                    tracing::warn!(stream, group, "consumer group is gone; creating it again");
                    let _ = bus.ensure_group_from(&stream, &group, "0").await;
                } else {
                    tracing::warn!(%error, stream, "cannot read the input stream; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }
}

async fn take_credit(credits: &Semaphore) {
    if let Ok(permit) = credits.acquire().await {
        permit.forget();
    }
}

/// This consumer's pending entries, claimed again (which counts a delivery)
/// with the number of deliveries they had before: each was an attempt a
/// processor did not finish.
async fn recover_own(
    bus: &Bus,
    stream: &str,
    group: &str,
    consumer: &str,
) -> Result<Vec<(StreamEntry, u32)>, asynchronio_bus::BusError> {
    let counts = bus
        .delivery_counts(stream, group, consumer, "-", "+", 10_000)
        .await?;
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = counts.iter().map(|(id, _)| id.clone()).collect();
    let times: HashMap<String, u64> = counts.into_iter().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(256) {
        for entry in bus.claim(stream, group, consumer, chunk).await? {
            let before = times.get(&entry.id).copied().unwrap_or(1) as u32;
            out.push((entry, before));
        }
    }
    Ok(out)
}

async fn write_lines(mut stdin: ChildStdin, mut lines: mpsc::Receiver<Vec<u8>>) {
    while let Some(line) = lines.recv().await {
        if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
}

fn request_line(id: &str, message: &InFlight) -> Option<Vec<u8>> {
    let request = stdio::Request {
        id: id.to_owned(),
        channel: message.envelope.channel.clone(),
        offset: Offset(message.envelope.offset).to_string(),
        attempt: message.attempts + 1,
        data: &*message.data,
    };
    request.to_line().ok()
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

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
