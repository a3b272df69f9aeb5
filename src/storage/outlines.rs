//! The outlines of communes and provinces drawn from their parcels (the `admin` layer), kept in
//! `admin_outlines`. Parcel statements mark the communes they touch (a trigger, in the change's
//! own transaction, so no change loses its mark). After its commit the write gateway refreshes
//! what is marked unless a refresh is under way, and a running service refreshes after each
//! parcel change it is notified of, so marks never wait long and start-up only reads outlines.
//! An attribute edit costs a count; only a change of geometry recomputes a commune's union, and
//! its province's from the communes' outlines (tens of milliseconds a commune).

use sqlx::{PgConnection, PgPool};

/// The advisory lock that makes refreshes run one at a time, across processes: each then
/// starts from what the one before committed.
const REFRESHING: i64 = 0x0061_646d_696e; // "admin"

/// Refreshes what is marked, unless another refresh is under way (which, or the service's next
/// one, takes the marks): an editor never queues behind another's unions.
pub async fn refresh_unless_busy(pool: &PgPool) -> Result<Option<usize>, sqlx::Error> {
    run(pool, "SELECT pg_try_advisory_xact_lock($1)").await
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
    let n = refresh(&mut tx).await?;
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

/// Refreshes the outlines of every commune marked stale; returns how many communes it did.
async fn refresh(conn: &mut PgConnection) -> Result<usize, sqlx::Error> {
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
    sqlx::query(include_str!("sql/outlines_communes.sql")).bind(&codes).bind(&reshaped).execute(&mut *conn).await?;
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
