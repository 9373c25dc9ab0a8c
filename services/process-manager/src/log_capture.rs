//! Log capture: every line an instance writes to stdout or stderr goes to
//! its program's system channel `$sys:logs:{name}` (published live, kept in
//! the channel's capped stream). Lines are batched; when Redis is away or
//! the queue is full, lines are dropped and counted rather than blocking
//! the process that writes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::process::logs_channel;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, watch};

/// Longest line kept; longer lines are cut and marked.
const MAX_LINE: usize = 16 * 1024;

/// Lines waiting to be published.
const QUEUE: usize = 16_384;

/// Lines published per round trip.
const BATCH: usize = 512;

/// One captured line.
#[derive(Debug, Serialize)]
pub struct LogLine {
    #[serde(skip)]
    pub program: Arc<str>,
    pub instance: u32,
    pub stream: &'static str,
    pub line: String,
}

/// Where instances send their lines.
#[derive(Debug, Clone)]
pub struct LogSink {
    tx: mpsc::Sender<LogLine>,
    dropped: Arc<AtomicU64>,
}

impl LogSink {
    /// Queues a line, or counts it as dropped when the queue is full.
    pub fn push(&self, line: LogLine) {
        if self.tx.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Reads `reader` line by line into the sink until it closes.
    pub async fn capture<R: AsyncRead + Unpin>(
        self,
        reader: R,
        program: Arc<str>,
        instance: u32,
        stream: &'static str,
    ) {
        let mut lines = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match lines.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    let mut line = String::from_utf8_lossy(&buf).into_owned();
                    if line.len() > MAX_LINE {
                        let mut cut = MAX_LINE;
                        while !line.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        line.truncate(cut);
                        line.push_str(" …[cut]");
                    }
                    self.push(LogLine {
                        program: program.clone(),
                        instance,
                        stream,
                        line,
                    });
                }
            }
        }
    }
}

/// Starts the publishing task; it ends when every sink is dropped.
pub fn start(bus: watch::Receiver<Option<Bus>>) -> (LogSink, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(run(rx, bus, dropped.clone()));
    (LogSink { tx, dropped }, task)
}

async fn run(
    mut rx: mpsc::Receiver<LogLine>,
    mut bus: watch::Receiver<Option<Bus>>,
    dropped: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        if rx.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
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
            for line in &batch {
                tracing::info!(program = %line.program, instance = line.instance, stream = line.stream, "{}", line.line);
            }
            if bus.wait_for(Option::is_some).await.is_err() {
                return;
            }
        }
        let Some(current) = bus.borrow().clone() else {
            continue;
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
}
