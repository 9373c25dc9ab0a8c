//! Writes the audit log in batches: handlers queue records (waiting when
//! the queue is full, so nothing is dropped) and one task inserts them, many
//! per statement, so auditing every call costs the API almost nothing.

use asynchronio_store::{AuditEntry, Store, now_ms};
use tokio::sync::mpsc;

/// Records that may wait for the writer.
const QUEUE: usize = 65_536;
/// Most records per insert.
const BATCH: usize = 1_000;

/// The handlers' side of the writer.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<AuditEntry>,
}

impl AuditWriter {
    /// Starts the writer task; it ends once every `AuditWriter` is dropped
    /// and the queue is written out.
    pub fn start(store: Store) -> (AuditWriter, tokio::task::JoinHandle<()>) {
        let (queue, records) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write(store, records));
        (AuditWriter { queue }, task)
    }

    pub async fn record(&self, actor: String, action: &str, target: &str, result: &str) {
        let entry = AuditEntry {
            at_ms: now_ms(),
            actor,
            action: action.to_owned(),
            target: target.to_owned(),
            result: result.to_owned(),
        };
        if self.queue.send(entry).await.is_err() {
            tracing::warn!(action, target, "audit writer stopped; record not written");
        }
    }
}

async fn write(store: Store, mut records: mpsc::Receiver<AuditEntry>) {
    let mut batch = Vec::with_capacity(BATCH);
    while records.recv_many(&mut batch, BATCH).await > 0 {
        let entries = std::mem::take(&mut batch);
        let count = entries.len();
        let mut pending = Some(entries);
        let mut delay = std::time::Duration::from_millis(100);
        while let Some(entries) = pending.take() {
            match store.audit_many(entries.clone()).await {
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(%error, count, "cannot write the audit log; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                    pending = Some(entries);
                }
            }
        }
    }
}
