//! Accesses, written in batches. A request hands its record to the recorder before it is
//! answered and does not wait on the database: one writer task gathers what queues for 50 ms and
//! writes it as one chained entry (each access a record of its own in the entry's `accesses`),
//! so a GIS client pulling cached tiles pays microseconds per tile, not a round trip, the
//! chain's lock and a hashed row. When the queue is full (the database is down or slower than
//! the requests) the entry is refused and so is the request: nothing is answered unaudited.
//! Changes do not come here: the write gateway appends theirs in their own transaction.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

/// Entries that may wait for the writer.
const QUEUE: usize = 10_000;

/// One access to record.
#[derive(Debug, serde::Serialize)]
pub struct Access {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub roles: Vec<String>,
    pub action: String,
    pub object: String,
    pub outcome: i32,
    pub request_id: String,
    pub address: Option<IpAddr>,
}

enum Message {
    Access(Box<Access>),
    /// Answered once every entry sent before it is written.
    Flush(oneshot::Sender<()>),
}

/// The queue was full: the entry was not taken.
#[derive(Debug, thiserror::Error)]
#[error("the audit trail is not keeping up (the database is down or slow)")]
pub struct Full;

#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<Message>,
}

impl Recorder {
    /// A recorder and its writer, which runs until every recorder is dropped.
    pub fn start(pool: PgPool) -> Recorder {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool, rx));
        Recorder { queue }
    }

    /// Queues an entry.
    pub fn record(&self, access: Access) -> Result<(), Full> {
        self.queue.try_send(Message::Access(Box::new(access))).map_err(|_| Full)
    }

    /// Waits until every entry recorded before is in the database (at shutdown; in tests).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// How long the writer gathers accesses before writing them as one entry.
const GATHER: Duration = Duration::from_millis(50);

/// The writer: gathers accesses for a moment (or until 1,000, or a flush is asked for), writes
/// them as one entry, and retries a failed write every second until the database takes it.
async fn write(pool: PgPool, mut rx: mpsc::Receiver<Message>) {
    let mut batch = Vec::new();
    let mut flushes = Vec::new();
    while let Some(first) = rx.recv().await {
        let deadline = tokio::time::Instant::now() + GATHER;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Access(a) => batch.push(a),
                Message::Flush(done) => flushes.push(done),
            }
            if batch.len() < 1_000 && flushes.is_empty() {
                next = tokio::time::timeout_at(deadline, rx.recv()).await.ok().flatten();
            }
        }
        while !batch.is_empty() {
            let accesses = serde_json::to_string(&batch).expect("accesses serialise");
            let insert =
                sqlx::query(include_str!("sql/entries_insert_batch.sql")).bind(accesses).bind(batch.len() as i32);
            match insert.execute(&pool).await {
                Ok(_) => batch.clear(),
                Err(e) => {
                    tracing::error!("audit: cannot write {} accesses, retrying: {e}", batch.len());
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}
