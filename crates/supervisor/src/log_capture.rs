//! Log capture: every line an instance writes to stdout or stderr goes to
//! its program's system channel `$sys:logs:{name}` (published live, kept in
//! the channel's capped stream). Lines are batched; when Redis is away or
//! the queue is full, lines are dropped and counted rather than blocking
//! the process that writes them. Memory is bounded twice: a line is held
//! up to the program's `max_line_bytes` (longer ones are published in
//! pieces, and counted), and the queue holds at most `QUEUE_BYTES`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::process::logs_channel;
use serde::Serialize;
use tokio::io::AsyncRead;
use tokio::sync::{mpsc, watch};

use crate::lines::{LineReader, Read};

/// Lines waiting to be published.
const QUEUE: usize = 16_384;

/// Bytes of lines waiting to be published (or being published): past it,
/// lines are dropped and counted, so a child writing faster than Redis
/// takes it costs the manager no more than this.
const QUEUE_BYTES: usize = 4 * 1024 * 1024;

/// Lines published per round trip.
const BATCH: usize = 512;

/// One captured line.
#[derive(Debug, Serialize)]
pub struct LogLine {
    /// The program (names the `$sys:logs:` channel; not in the payload).
    #[serde(skip)]
    pub program: Arc<str>,
    /// The instance number.
    pub instance: u32,
    /// `stdout`, `stderr`, or `manager` for the manager's own lines about it.
    pub stream: &'static str,
    /// The line, without its newline.
    pub line: String,
}

/// Where instances send their lines.
#[derive(Debug, Clone)]
pub struct LogSink {
    tx: mpsc::Sender<LogLine>,
    dropped: Arc<AtomicU64>,
    /// Bytes of the lines queued and not yet published.
    queued: Arc<AtomicUsize>,
}

impl LogSink {
    /// Queues a line, or counts it as dropped when the queue is full (in
    /// lines or in bytes). A line alone in the queue always fits.
    pub fn push(&self, line: LogLine) {
        let size = line.line.len();
        let before = self.queued.fetch_add(size, Ordering::AcqRel);
        if (before > 0 && before + size > QUEUE_BYTES) || self.tx.try_send(line).is_err() {
            self.queued.fetch_sub(size, Ordering::AcqRel);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Reads `reader` line by line into the sink until it closes. Lines
    /// longer than `max_line` bytes are published in pieces of `max_line`
    /// bytes; the first piece of each is preceded by a note on the
    /// program's log that counts them.
    pub async fn capture<R: AsyncRead + Unpin>(
        self,
        reader: R,
        program: Arc<str>,
        instance: u32,
        stream: &'static str,
        max_line: usize,
    ) {
        let mut lines = LineReader::new(reader, max_line);
        let mut split = 0u64;
        let mut in_pieces = false;
        loop {
            let read = match lines.next().await {
                Ok(Read::Eof) | Err(_) => return,
                Ok(read) => read,
            };
            if read == Read::Piece && !in_pieces {
                split += 1;
                tracing::warn!(%program, instance, stream, max_line_bytes = max_line, split,
                    "output line longer than max_line_bytes; publishing it in pieces");
                self.push(LogLine {
                    program: program.clone(),
                    instance,
                    stream: "manager",
                    line: format!(
                        "{stream} line longer than max_line_bytes ({max_line} bytes): split into pieces ({split} line(s) split so far); raise max_line_bytes in asynchronio.toml to keep such lines whole"
                    ),
                });
            }
            let continued = std::mem::replace(&mut in_pieces, read == Read::Piece);
            if continued && read == Read::Line && lines.line().is_empty() {
                // The long line ended right after its last full piece.
                continue;
            }
            self.push(LogLine {
                program: program.clone(),
                instance,
                stream,
                line: String::from_utf8_lossy(lines.line()).into_owned(),
            });
        }
    }
}

/// Starts the publishing task; it ends when every sink is dropped.
pub fn start(bus: watch::Receiver<Option<Bus>>) -> (LogSink, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let queued = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(run(rx, bus, dropped.clone(), queued.clone()));
    (
        LogSink {
            tx,
            dropped,
            queued,
        },
        task,
    )
}

async fn run(
    mut rx: mpsc::Receiver<LogLine>,
    mut bus: watch::Receiver<Option<Bus>>,
    dropped: Arc<AtomicU64>,
    queued: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        // Released once the batch is published (or given up): the bytes
        // of its drafts count until then.
        let bytes: usize = batch.iter().map(|line| line.line.len()).sum();
        publish_batch(&mut batch, &mut bus, &dropped).await;
        batch.clear();
        queued.fetch_sub(bytes, Ordering::AcqRel);
    }
}

async fn publish_batch(
    batch: &mut Vec<LogLine>,
    bus: &mut watch::Receiver<Option<Bus>>,
    dropped: &AtomicU64,
) {
    let lost = dropped.swap(0, Ordering::Relaxed);
    if lost > 0 {
        tracing::warn!(
            lines = lost,
            "log lines dropped: output came faster than Redis took it"
        );
    }
    if bus.borrow().is_none() {
        // Before Redis is reachable (the private one is starting), lines
        // go to the manager's own log and wait for it.
        for line in batch.iter() {
            tracing::info!(program = %line.program, instance = line.instance, stream = line.stream, "{}", line.line);
        }
        if bus.wait_for(Option::is_some).await.is_err() {
            return;
        }
    }
    let Some(current) = bus.borrow().clone() else {
        return;
    };
    let drafts: Vec<EnvelopeDraft> = batch
        .drain(..)
        .filter_map(|line| {
            EnvelopeDraft::json(logs_channel(&line.program), &line, "process-manager").ok()
        })
        .collect();
    let failed = current
        .publish_drafts(&drafts)
        .await
        .into_iter()
        .filter(Result::is_err)
        .count();
    if failed > 0 {
        dropped.fetch_add(failed as u64, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
