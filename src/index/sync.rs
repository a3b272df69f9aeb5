//! Keeps the index current: LISTEN on `parcel_changes` (sent by a statement trigger after each
//! commit), reload the touched parcels, and after a dropped connection reconnect and reload all.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::SharedIndex;
use crate::storage::parcels;

const CHANNEL: &str = "parcel_changes";

/// Loads the whole index once.
pub async fn load(pool: &PgPool, index: &SharedIndex) -> Result<(), sqlx::Error> {
    let rows = parcels::current(pool, None).await?;
    index.replace(rows);
    Ok(())
}

/// Starts listening, loads the index, and leaves a task that follows changes from then on.
/// Listening starts before each full load, so no change falls between the load and the first
/// notification.
pub async fn start(pool: PgPool, index: SharedIndex) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
    let listener = listen_and_load(&pool, &index).await?;
    Ok(tokio::spawn(follow_forever(pool, index, listener)))
}

async fn listen_and_load(pool: &PgPool, index: &SharedIndex) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    load(pool, index).await?;
    index.set_listening(true);
    Ok(listener)
}

async fn follow_forever(pool: PgPool, index: SharedIndex, mut listener: PgListener) {
    loop {
        match follow(&pool, &index, &mut listener).await {
            Ok(()) => tracing::warn!("index: change listener lost its connection; reconnecting"),
            Err(e) => tracing::warn!("index: change listener failed: {e}; reconnecting"),
        }
        index.set_listening(false);
        let mut backoff = Duration::from_millis(100);
        listener = loop {
            tokio::time::sleep(backoff).await;
            match listen_and_load(&pool, &index).await {
                Ok(l) => break l,
                Err(e) => tracing::warn!("index: cannot reconnect yet: {e}"),
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        };
        tracing::info!("index: reconnected and resynchronised");
    }
}

/// Applies changes until the connection drops (Ok) or the database fails (Err).
async fn follow(pool: &PgPool, index: &SharedIndex, listener: &mut PgListener) -> Result<(), sqlx::Error> {
    loop {
        // `None` means the connection was lost: notifications may have been missed.
        let Some(first) = listener.try_recv().await? else {
            return Ok(());
        };
        let mut uids = parse_uids(first.payload());
        // Take whatever else has already arrived, so one large import is one reload.
        while let Some(n) = listener.next_buffered() {
            uids.extend(parse_uids(n.payload()));
        }
        uids.sort_unstable();
        uids.dedup();
        let rows = parcels::current(pool, Some(&uids)).await?;
        index.apply(&uids, rows);
    }
}

fn parse_uids(payload: &str) -> Vec<i64> {
    payload.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}
