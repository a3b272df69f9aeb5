//! Anonymous reads of open data, counted in memory per minute, route and client address, and
//! written to `audit.anonymous_reads` as each minute ends: the public's access is on record
//! without a database write per tile.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::PgPool;

/// A minute since the epoch and a client address (unknown for a request not over TCP).
type MinuteFrom = (i64, Option<IpAddr>);

/// Requests per minute and client address, then per route.
#[derive(Default)]
pub struct Counter {
    counts: Mutex<HashMap<MinuteFrom, HashMap<Box<str>, i64>>>,
}

fn minute_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| (d.as_secs() / 60) as i64)
}

impl Counter {
    /// Counts one request.
    pub fn count(&self, route: &str, address: Option<IpAddr>) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let routes = counts.entry((minute_now(), address)).or_default();
        match routes.get_mut(route) {
            Some(n) => *n += 1,
            None => {
                routes.insert(route.into(), 1);
            }
        }
    }

    /// Writes the minutes that have ended (all of them when `all`, at shutdown) and forgets
    /// them; returns how many rows were written. Counts that cannot be written are kept for the
    /// next turn.
    pub async fn flush(&self, pool: &PgPool, all: bool) -> Result<usize, sqlx::Error> {
        let now = minute_now();
        let ended: Vec<_> = {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            let keys: Vec<_> = counts.keys().filter(|(m, _)| all || *m < now).copied().collect();
            keys.into_iter().filter_map(|k| counts.remove(&k).map(|routes| (k, routes))).collect()
        };
        let (mut minutes, mut routes, mut addresses, mut requests) = (vec![], vec![], vec![], vec![]);
        for ((minute, address), by_route) in &ended {
            for (route, n) in by_route {
                minutes.push(*minute);
                routes.push(route.to_string());
                addresses.push(address.map(|a| a.to_string()));
                requests.push(*n);
            }
        }
        if minutes.is_empty() {
            return Ok(0);
        }
        let written = sqlx::query(include_str!("sql/anonymous_reads_insert.sql"))
            .bind(&minutes)
            .bind(&routes)
            .bind(&addresses)
            .bind(&requests)
            .execute(pool)
            .await;
        if let Err(e) = written {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            for (key, by_route) in ended {
                let kept = counts.entry(key).or_default();
                for (route, n) in by_route {
                    *kept.entry(route).or_default() += n;
                }
            }
            return Err(e);
        }
        Ok(minutes.len())
    }

    /// Writes each ended minute, every few seconds, until the process ends.
    pub async fn every_minute(&self, pool: PgPool) {
        let mut ticks = tokio::time::interval(Duration::from_secs(15));
        loop {
            ticks.tick().await;
            if let Err(e) = self.flush(&pool, false).await {
                tracing::error!("audit: cannot record anonymous reads: {e}");
            }
        }
    }
}

/// Recorded counts, per minute, route and address.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct Reads {
    pub minute: chrono::DateTime<chrono::Utc>,
    pub route: String,
    pub address: Option<String>,
    pub requests: i64,
}

/// Counts from a moment on, summed per minute, route and address.
pub async fn show(pool: &PgPool, since: Option<chrono::DateTime<chrono::Utc>>) -> Result<Vec<Reads>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/anonymous_reads_show.sql")).bind(since).fetch_all(pool).await
}
