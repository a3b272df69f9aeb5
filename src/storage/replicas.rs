//! Read replicas: PostgreSQL streaming standbys that take reads off the primary. Writes and the
//! change feed stay on the primary (a standby delivers no NOTIFY). A read goes to a replica only
//! once it has replayed everything the service has applied from the feed, by WAL position, so
//! no answer is older than the map the service draws, and a change is never re-read from a
//! replica that has not replayed its commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;

/// How often each replica's replay position is read.
const POLL: Duration = Duration::from_millis(25);
/// How long a change waits for a replica to replay it before it is read from the primary.
const WAIT: Duration = Duration::from_millis(500);
/// A replica whose position cannot be read is not used.
const UNKNOWN: i64 = -1;

/// Where reads go: the primary, and the replicas as far as they have replayed.
pub struct Reads {
    primary: PgPool,
    /// The change feed's own connections to the primary: on the requests' pool its re-reads
    /// queued for a connection behind the very writers that wait for the feed to apply them.
    feed: PgPool,
    replicas: Vec<Replica>,
    /// The WAL position the in-memory data reflects (bytes since 0/0).
    applied: AtomicI64,
    next: AtomicUsize,
    /// Ticks when a replica's position is read anew.
    replayed: watch::Sender<()>,
}

struct Replica {
    pool: PgPool,
    position: AtomicI64,
}

impl Reads {
    /// All reads on the primary.
    pub fn primary_only(primary: PgPool) -> Arc<Reads> {
        Reads::with(primary, Vec::new())
    }

    /// Reads spread over the replicas at `urls` that have caught up, the primary otherwise. A
    /// replica that is down is passed over until it answers again; the service starts without it.
    pub fn connect(primary: PgPool, urls: &[String]) -> Result<Arc<Reads>, sqlx::Error> {
        let pools = urls
            .iter()
            .map(|url| {
                // Short waits: a replica that does not answer costs a read little, the primary
                // is there.
                Ok(PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(1))
                    .connect_lazy_with(super::connect_options(url)?))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let reads = Reads::with(primary, pools);
        if !reads.replicas.is_empty() {
            tokio::spawn(poll_forever(Arc::downgrade(&reads)));
        }
        Ok(reads)
    }

    fn with(primary: PgPool, pools: Vec<PgPool>) -> Arc<Reads> {
        let replicas = pools.into_iter().map(|pool| Replica { pool, position: AtomicI64::new(UNKNOWN) }).collect();
        let feed = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy_with((*primary.connect_options()).clone());
        Arc::new(Reads {
            primary,
            feed,
            replicas,
            applied: AtomicI64::new(0),
            next: AtomicUsize::new(0),
            replayed: watch::channel(()).0,
        })
    }

    /// The primary: for writes, and reads that must see what was just written.
    pub fn primary(&self) -> &PgPool {
        &self.primary
    }

    /// A pool for a read: the next replica that has replayed what the service has applied, or
    /// the primary when none has.
    pub fn pool(&self) -> &PgPool {
        self.replica_at(self.applied.load(Ordering::Acquire)).unwrap_or(&self.primary)
    }

    /// How many replicas are configured.
    pub fn replicas(&self) -> usize {
        self.replicas.len()
    }

    fn replica_at(&self, position: i64) -> Option<&PgPool> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.replicas[(start + i) % n])
            .find(|r| r.position.load(Ordering::Acquire) >= position)
            .map(|r| &r.pool)
    }

    /// The primary's WAL position now (at or past the commit of any change notified so far,
    /// since notifications come after it), when there are replicas to compare it with.
    pub async fn primary_position(&self) -> Result<Option<i64>, sqlx::Error> {
        if self.replicas.is_empty() {
            return Ok(None);
        }
        position(&self.primary, include_str!("sql/wal_position.sql")).await.map(Some)
    }

    /// Where the change feed reads what the primary held at `position`: a replica that has
    /// replayed it, waiting for one a little; the primary, on the feed's own connections,
    /// otherwise.
    pub async fn at(&self, position: Option<i64>) -> &PgPool {
        let Some(position) = position else { return &self.feed };
        let mut ticks = self.replayed.subscribe();
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                if let Some(pool) = self.replica_at(position) {
                    return pool;
                }
                if ticks.changed().await.is_err() {
                    return &self.feed;
                }
            }
        });
        waited.await.unwrap_or(&self.feed)
    }

    /// The in-memory data now reflects the primary up to `position`: reads need replicas there.
    pub fn applied(&self, position: Option<i64>) {
        if let Some(p) = position {
            self.applied.fetch_max(p, Ordering::AcqRel);
        }
    }
}

async fn position(pool: &PgPool, sql: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, Option<i64>>(sql).fetch_one(pool).await.map(|p| p.unwrap_or(UNKNOWN))
}

/// Reads every replica's replay position until the service is gone.
async fn poll_forever(reads: std::sync::Weak<Reads>) {
    let mut every = tokio::time::interval(POLL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(reads) = reads.upgrade() else { return };
        for r in &reads.replicas {
            let p = position(&r.pool, include_str!("sql/replay_position.sql")).await.unwrap_or(UNKNOWN);
            r.position.store(p, Ordering::Release);
        }
        reads.replayed.send_replace(());
    }
}
