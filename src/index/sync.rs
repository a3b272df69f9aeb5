//! Keeps the in-memory data current: LISTEN on `parcel_changes` (parcel uids) and
//! `layer_changes` (a table name, or `table:ids` for a keyed table), both sent by statement
//! triggers after each commit; reload what changed, evict the tiles it touches; after a dropped
//! connection reconnect and reload all. A [`Barrier`] lets a writer wait until its own commit
//! is applied, so that what it reads next (pages and tiles come from memory) shows its write.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use rstar::AABB;

use super::SharedIndex;
use super::layers::Layers;
use crate::storage::parcels;
use crate::storage::replicas::Reads;

const PARCELS: &str = "parcel_changes";
const LAYERS: &str = "layer_changes";
/// Sent by a writer after its commit, as `instance:number`: notifications arrive in commit
/// order, so once the feed has applied the batch holding it, it has applied the commit.
const BARRIER: &str = "diachinh_barrier";
/// How long a writer waits for the feed (which may be reconnecting) before answering anyway.
const BARRIER_WAIT: Duration = Duration::from_secs(2);
/// How long to wait for the rest of a transaction's notifications.
const GATHER: Duration = Duration::from_millis(5);

/// What is made from the layers and must forget what changed in them (the tile cache).
pub trait Derived: Send + Sync {
    /// Features of `layer` changed within these envelopes (Web Mercator).
    fn changed(&self, layer: usize, envelopes: Vec<AABB<[f64; 2]>>);
    /// Everything may have changed.
    fn clear(&self);
}

/// What the change feed keeps current.
#[derive(Clone)]
pub struct Live {
    pub index: SharedIndex,
    pub layers: Arc<Layers>,
    pub derived: Arc<dyn Derived>,
    /// Where changes are re-read: the primary, or a replica that has replayed them.
    pub reads: Arc<Reads>,
    /// Given after parcel changes: the administrative outlines they touched are refreshed.
    pub outlines: Arc<tokio::sync::Notify>,
    pub barrier: Arc<Barrier>,
}

/// Where this service's writers wait for the change feed to apply their commits.
pub struct Barrier {
    /// Tells this service's barriers from other instances' on the same database.
    instance: String,
    next: std::sync::atomic::AtomicU64,
    passed: tokio::sync::watch::Sender<u64>,
}

impl Barrier {
    pub fn new() -> Arc<Barrier> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        Arc::new(Barrier {
            instance: format!("{}-{nanos}", std::process::id()),
            next: Default::default(),
            passed: tokio::sync::watch::channel(0).0,
        })
    }

    /// Returns once the feed has applied everything committed before this call (or after
    /// [`BARRIER_WAIT`], or at once if the barrier cannot be sent).
    pub async fn wait(&self, pool: &PgPool) {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let mut passed = self.passed.subscribe();
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(BARRIER)
            .bind(format!("{}:{n}", self.instance))
            .execute(pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!("index: cannot send a barrier: {e}");
            return;
        }
        if tokio::time::timeout(BARRIER_WAIT, passed.wait_for(|p| *p >= n)).await.is_err() {
            tracing::warn!("index: the change feed did not apply a write within {BARRIER_WAIT:?}");
        }
    }

    /// The feed has applied every change notified before this payload.
    fn applied(&self, payload: &str) {
        if let Some(n) = payload.strip_prefix(&self.instance).and_then(|r| r.strip_prefix(':'))
            && let Ok(n) = n.parse::<u64>()
        {
            self.passed.send_if_modified(|p| {
                let later = n > *p;
                *p = (*p).max(n);
                later
            });
        }
    }
}

/// Starts listening, loads everything, and leaves a task that follows changes from then on.
/// Listening starts before each full load, so no change falls between the load and the first
/// notification.
pub async fn start(pool: PgPool, live: Live) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = listen_and_load(&pool, &live).await?;
    Ok(tokio::spawn(follow_forever(pool, live, listener)))
}

async fn listen_and_load(pool: &PgPool, live: &Live) -> anyhow::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([PARCELS, LAYERS, BARRIER]).await?;
    let position = live.reads.primary_position().await?;
    // The index and every layer load at once, each on its own connection and worker thread:
    // PostgreSQL reads while the service decodes, on every core.
    let index = tokio::spawn({
        let pool = pool.clone();
        async move { parcels::current(&pool, None).await }
    });
    let layers: Vec<_> = (0..live.layers.catalog().layers.len())
        .map(|l| {
            let (pool, layers) = (pool.clone(), live.layers.clone());
            tokio::spawn(async move { layers.reload(&pool, l, None).await })
        })
        .collect();
    live.index.replace(index.await??);
    for layer in layers {
        layer.await??;
    }
    live.derived.clear();
    live.reads.applied(position);
    // Changes made while the feed was away may have left outlines to refresh.
    live.outlines.notify_one();
    live.index.set_listening(true);
    Ok(listener)
}

async fn follow_forever(pool: PgPool, live: Live, mut listener: PgListener) {
    loop {
        match follow(&live, &mut listener).await {
            Ok(()) => tracing::warn!("index: change listener lost its connection; reconnecting"),
            Err(e) => tracing::warn!("index: change listener failed: {e:#}; reconnecting"),
        }
        live.index.set_listening(false);
        let mut backoff = Duration::from_millis(100);
        listener = loop {
            tokio::time::sleep(backoff).await;
            match listen_and_load(&pool, &live).await {
                Ok(l) => break l,
                Err(e) => tracing::warn!("index: cannot reconnect yet: {e:#}"),
            }
            // At most 2 s apart: a restarted database is followed again within seconds.
            backoff = (backoff * 2).min(Duration::from_secs(2));
        };
        tracing::info!("index: reconnected and resynchronised");
    }
}

/// Applies changes until the connection drops (Ok) or the database fails (Err).
async fn follow(live: &Live, listener: &mut PgListener) -> anyhow::Result<()> {
    loop {
        // `None` means the connection was lost: notifications may have been missed.
        let Some(first) = listener.try_recv().await? else {
            return Ok(());
        };
        // Per table: the changed keys, or `None` when the whole table may have changed.
        let mut changes: HashMap<String, Option<Vec<i64>>> = HashMap::new();
        // A transaction's notifications come together at its commit: gather what arrives within
        // a few milliseconds, so one import is one reload and a split's parent never leaves
        // the index before its children arrive.
        let mut batch = vec![first];
        let mut lost = false;
        // try_recv is cancel-safe: a timeout loses no notification.
        while let Ok(next) = tokio::time::timeout(GATHER, listener.try_recv()).await {
            match next? {
                Some(n) => batch.push(n),
                None => {
                    lost = true;
                    break;
                }
            }
        }
        let mut barriers = Vec::new();
        for n in batch {
            if n.channel() == BARRIER {
                barriers.push(n);
                continue;
            }
            let (table, keys) = match (n.channel(), n.payload().split_once(':')) {
                (PARCELS, _) => ("parcels", Some(n.payload())),
                (_, Some((table, keys))) => (table, Some(keys)),
                (_, None) => (n.payload(), None),
            };
            let entry = changes.entry(table.to_owned()).or_insert_with(|| Some(Vec::new()));
            match (entry.as_mut(), keys) {
                (Some(all), Some(keys)) => all.extend(parse_keys(keys)),
                _ => *entry = None,
            }
        }
        for keys in changes.values_mut().flatten() {
            keys.sort_unstable();
            keys.dedup();
        }
        let position = live.reads.primary_position().await?;
        let pool = live.reads.at(position).await;
        let parcel_rows = match changes.get("parcels") {
            Some(uids) => Some((uids, parcels::current(pool, uids.as_deref()).await?)),
            None => None,
        };
        let layers = &live.layers;
        let mut reloads = Vec::new();
        for (l, spec) in layers.catalog().layers.iter().enumerate() {
            let mut reload = None;
            for table in &spec.depends_on {
                reload = match (reload, changes.get(table)) {
                    (reload, None) => reload,
                    // Only the keyed table's own keys narrow a reload; any other change is whole.
                    (None, Some(Some(keys))) if spec.keyed_by.as_ref() == Some(table) => Some(Some(keys.as_slice())),
                    _ => Some(None),
                };
            }
            if let Some(keys) = reload {
                reloads.push((l, keys, layers.fetch(pool, l, keys).await?));
            }
        }
        // Everything read first, then stored with nothing awaited in between: a changed parcel
        // shows in its card, its pages and its tiles together, not in one before the others.
        match parcel_rows {
            Some((Some(uids), current)) => live.index.apply(uids, current),
            Some((None, current)) => live.index.replace(current),
            None => {}
        }
        for (l, keys, features) in reloads {
            live.derived.changed(l, layers.store(l, keys, features));
        }
        live.reads.applied(position);
        for b in barriers {
            live.barrier.applied(b.payload());
        }
        if changes.contains_key("parcels") {
            live.outlines.notify_one();
        }
        if lost {
            return Ok(());
        }
    }
}

fn parse_keys(payload: &str) -> Vec<i64> {
    payload.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}
