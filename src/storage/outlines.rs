//! The outlines of communes and provinces drawn from their parcels (the `admin` layer), kept in
//! `admin_outlines`. Parcel statements mark the communes they touch (a trigger, in the change's
//! own transaction, so no change loses its mark). A running service refreshes what is marked
//! after each parcel change its feed brings, in a task of its own, so no editor waits on a union;
//! a process without one (the command line) refreshes after its own edits through the write
//! gateway, and leaves an import's to the service. Start-up takes any marks left over in the
//! background, and otherwise only reads outlines. An attribute
//! edit costs a count; only a change of geometry recomputes a commune's union (about half a
//! second for 5,000 parcels), and its province's outline from its communes' hulls.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

/// The advisory lock that makes refreshes run one at a time, across processes: each then
/// starts from what the one before committed.
const REFRESHING: i64 = 0x0061_646d_696e; // "admin"

/// Whether this process runs a service that refreshes on notice.
static ON_NOTICE: AtomicBool = AtomicBool::new(false);

/// Starts refreshing `pool`'s outlines whenever the returned notice is given (the service's
/// change feed gives it after each parcel change); notices that come during a refresh make one
/// more. Commits in this process then leave refreshes to it.
pub fn refresh_on_notice(pool: PgPool) -> Arc<Notify> {
    ON_NOTICE.store(true, Ordering::SeqCst);
    let notice = Arc::new(Notify::new());
    let given = notice.clone();
    tokio::spawn(async move {
        loop {
            given.notified().await;
            // A failure leaves the marks for the next notice (the feed gives one on reconnecting).
            if let Err(e) = refresh_in_transaction(&pool).await {
                tracing::warn!("admin outlines: refresh failed, left for the next change: {e}");
            }
        }
    });
    notice
}

/// After a commit: refreshes what is marked, unless this process's service does it on notice or
/// another refresh is under way (which, or the next, takes the marks). A failure is logged, not
/// returned: the change it follows is committed, and its marks wait for the next refresh.
pub async fn after_commit(pool: &PgPool) {
    if ON_NOTICE.load(Ordering::SeqCst) {
        return;
    }
    if let Err(e) = run(pool, "SELECT pg_try_advisory_xact_lock($1)").await {
        tracing::warn!("admin outlines: refresh after a change failed, left for the next: {e}");
    }
}

/// Refreshes what is marked, after any refresh under way.
pub async fn refresh_in_transaction(pool: &PgPool) -> Result<usize, sqlx::Error> {
    Ok(run(pool, "SELECT pg_advisory_xact_lock($1)::text IS NOT NULL").await?.unwrap_or_default())
}

async fn run(pool: &PgPool, lock: &str) -> Result<Option<usize>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if !sqlx::query_scalar::<_, bool>(lock).bind(REFRESHING).fetch_one(&mut *tx).await? {
        return Ok(None);
    }
    let n = refresh(pool, &mut tx).await?;
    tx.commit().await?;
    Ok(Some(n))
}

/// An outline row a refresh needs: a commune's, or its province's.
#[derive(sqlx::FromRow)]
struct Unit {
    id: i64,
    kind: String,
    code: String,
    province_code: Option<String>,
}

/// The outlines of `codes`, computed a commune at a time on as many connections as there are
/// cores.
async fn shapes(pool: &PgPool, codes: &[String]) -> Result<(Vec<String>, Vec<Option<Vec<u8>>>), sqlx::Error> {
    use futures_util::{StreamExt, TryStreamExt};
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Owned, so that the future is `Send` for any lifetime (it runs in a spawned task).
    let rows: Vec<Vec<(String, Option<Vec<u8>>)>> =
        futures_util::stream::iter(codes.to_vec())
            .map(|code| {
                let pool = pool.clone();
                async move {
                    sqlx::query_as(include_str!("sql/outlines_shapes.sql")).bind(vec![code]).fetch_all(&pool).await
                }
            })
            .buffer_unordered(cores)
            .try_collect()
            .await?;
    Ok(rows.into_iter().flatten().unzip())
}

/// Refreshes the outlines of every commune marked stale; returns how many communes it did.
/// `conn` holds the refresh's transaction; the outlines themselves are computed on `pool`'s
/// other connections, from what is committed (the changes that marked them are).
async fn refresh(pool: &PgPool, conn: &mut PgConnection) -> Result<usize, sqlx::Error> {
    let stale: Vec<(String, bool)> =
        sqlx::query_as(include_str!("sql/outlines_take_stale.sql")).fetch_all(&mut *conn).await?;
    if stale.is_empty() {
        return Ok(0);
    }
    let codes: Vec<String> = stale.iter().map(|(c, _)| c.clone()).collect();
    let reshaped: Vec<String> = stale.iter().filter(|(_, r)| *r).map(|(c, _)| c.clone()).collect();
    let units: Vec<Unit> =
        sqlx::query_as(include_str!("sql/outlines_units.sql")).bind(&codes).fetch_all(&mut *conn).await?;
    let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
    sqlx::query(include_str!("sql/outlines_add.sql"))
        .bind(&ids)
        .bind(units.iter().map(|u| u.kind.as_str()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>())
        .bind(units.iter().map(|u| u.province_code.as_deref()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    let (shaped, outlines) = shapes(pool, &reshaped).await?;
    sqlx::query(include_str!("sql/outlines_communes.sql"))
        .bind(&codes)
        .bind(&shaped)
        .bind(&outlines)
        .execute(&mut *conn)
        .await?;
    let province_of = |code: &String| {
        units.iter().find(|u| u.kind == "commune" && &u.code == code).and_then(|u| u.province_code.clone())
    };
    let mut provinces: Vec<String> = codes.iter().filter_map(province_of).collect();
    let mut reshaped_provinces: Vec<String> = reshaped.iter().filter_map(province_of).collect();
    for v in [&mut provinces, &mut reshaped_provinces] {
        v.sort_unstable();
        v.dedup();
    }
    sqlx::query(include_str!("sql/outlines_provinces.sql"))
        .bind(&provinces)
        .bind(&reshaped_provinces)
        .execute(&mut *conn)
        .await?;
    Ok(stale.len())
}
