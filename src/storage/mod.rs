//! PostgreSQL/PostGIS storage. SQL lives in `sql/` beside this module and in `migrations/`.

pub mod copy;
pub mod overlays;
pub mod parcels;

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::crs::Crs;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(database_url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(database_url).await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The 2025 communes, each with the TM-3 zone for parcel IDs (from its province).
pub async fn communes(pool: &PgPool) -> Result<HashMap<String, Crs>, sqlx::Error> {
    let rows: Vec<(String, i32)> = sqlx::query_as(include_str!("sql/communes.sql")).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(c, z)| (c, Crs::Epsg(z as u32))).collect())
}

/// Refreshes the planner's statistics after a bulk load, so that the first queries after an
/// import do not run on plans made for empty tables. `tables` are the store's own names.
pub async fn analyze(pool: &PgPool, tables: &[&str]) -> Result<(), sqlx::Error> {
    for table in tables {
        sqlx::query(&format!("ANALYZE {table}")).execute(pool).await?;
    }
    Ok(())
}
