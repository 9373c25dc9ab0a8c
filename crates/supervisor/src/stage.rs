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
//!
//! This file holds what a stage's instances share ([`StageContext`],
//! [`StageCounters`]) and the `Runner` of one instance; its work is in
//! the submodules, one job each:
//!
//! * `feed`: the runner's loop (set up, then entries in, requests out,
//!   retries and timeouts);
//! * `intake`: reading the input stream as credits allow;
//! * `answers`: settling a message from its answer (or failing it);
//! * `outputs`: publishing an answer's outputs;
//! * `dead_letter`: the dead-letter stream;
//! * `replay`: dead letters queued to be handled again.

mod answers;
mod dead_letter;
mod feed;
mod intake;
mod outputs;
pub mod replay;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::Envelope;
use asynchronio_protocol::stdio;
use asynchronio_protocol::system::stage_group;
use asynchronio_protocol::trace::TraceContext;
use asynchronio_service::telemetry::MessageSpan;
use serde_json::value::RawValue;
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{ProgramSpec, StageSpec, StageStart};
use crate::log_capture::{LogLine, LogSink};

/// Figures of one stage, shared by its instances and the statistics task.
#[derive(Debug, Default)]
pub struct StageCounters {
    /// Messages whose outputs were published and which were acknowledged.
    pub processed: AtomicU64,
    /// Failed attempts (error answers, timeouts, refused outputs), protocol
    /// errors and messages left in flight by a processor that stopped.
    pub errors: AtomicU64,
    /// Messages moved to the dead-letter stream.
    pub dead_lettered: AtomicU64,
}

/// What a stage's instances share across restarts and scaling (a reload
/// that changes the stage starts afresh): its figures and its replay queue.
#[derive(Debug, Clone, Default)]
pub struct StageShared {
    /// Messages processed, failed and dead-lettered by its instances.
    pub counters: Arc<StageCounters>,
    /// Dead letters queued for replay.
    pub replays: Arc<replay::ReplayQueue>,
}

/// What every instance of a stage shares.
#[derive(Clone)]
pub struct StageContext {
    /// The stage's program (`spec.stage` is set).
    pub spec: Arc<ProgramSpec>,
    /// The manager's connection, once there is one.
    pub bus: watch::Receiver<Option<Bus>>,
    /// The stage's figures, shared by its instances.
    pub counters: Arc<StageCounters>,
    /// Dead letters queued for replay, taken by any of its instances.
    pub replays: Arc<replay::ReplayQueue>,
}

/// One answer line from a processor, its outputs' data kept as written.
type Answer = stdio::Answer<Box<RawValue>>;

/// One output of an answer.
type Output = stdio::Output<Box<RawValue>>;

/// A message handed to the processor and not yet settled.
struct InFlight {
    envelope: Envelope,
    /// The request's `data`, as [`stdio::request_data`] makes it.
    data: Box<RawValue>,
    /// Attempts already made before the current one.
    attempts: u32,
    /// When the current attempt was sent (its timeout counts from here).
    sent_at: Instant,
    /// The stage's span for this message (tracing on and sampled): a
    /// child of the input message's span, the parent of its outputs'; it
    /// ends when the message is settled.
    span: Option<MessageSpan>,
    /// The dead letter this message is a replay of, deleted once it is
    /// settled (its new dead letter, if it fails again, replaces it).
    replay_of: Option<String>,
}

impl InFlight {
    /// The trace context the processor and the outputs get: the stage's
    /// span, or (tracing off) the input message's own context, passed on.
    fn trace_context(&self) -> Option<TraceContext> {
        match &self.span {
            Some(span) => span.trace_context(),
            None => TraceContext::from_headers(&self.envelope.headers),
        }
    }
}

/// Messages waiting for a retry: when, and the message id; soonest first.
type Retries = BinaryHeap<Reverse<(Instant, String)>>;

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

/// One instance's runner: feeds its processor and settles its messages
/// (the work is in the submodules).
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

    /// A line in the program's log, from the manager.
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
}
