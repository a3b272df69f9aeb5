//! PostgreSQL/PostGIS storage. SQL lives in `sql/` beside this module and in `migrations/`.

pub mod copy;
pub mod gateway;
pub mod imports;
pub mod outlines;
pub mod overlays;
pub mod parcels;
pub mod replicas;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(database_url: &str) -> Result<PgPool, sqlx::Error> {
    // A request waits at most 3 s for a connection: with the database away, callers are told so
    // (503) rather than left hanging.
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(connect_options(database_url)?)
        .await
}

/// The settings of every connection: JIT off, since compiling a plan (over a second for one
/// that calls PostGIS's costly functions) costs more than the short queries a map service runs.
pub fn connect_options(database_url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    Ok(database_url.parse::<PgConnectOptions>()?.options([("jit", "off")]))
}

/// Whether `e` says the database cannot be reached now (down, restarting, refusing connections,
/// the pool's wait ended) rather than that a statement failed.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        // Class 08: connection exceptions; 57P01-57P03: shutting down, crashed, starting up.
        sqlx::Error::Database(d) => {
            d.code().is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// Brings the schema up to date, then the outlines of communes marked stale (by a migration,
/// or by writers outside the gateway).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await?;
    outlines::refresh_in_transaction(pool).await?;
    Ok(())
}

/// Every commune code parcels may record (2025 and pre-reform), with the EPSG code of its
/// province's TM-3 zone and whether it is a 2025 commune.
pub async fn commune_zones(pool: &PgPool) -> Result<Vec<(String, i32, bool)>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/commune_zones.sql")).fetch_all(pool).await
}
