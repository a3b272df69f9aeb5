//! PostgreSQL/PostGIS storage. SQL lives in `sql/` beside this module and in `migrations/`.

pub mod copy;
pub mod gateway;
pub mod imports;
pub mod overlays;
pub mod parcels;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(database_url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(database_url).await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Every commune code parcels may record (2025 and pre-reform), with the EPSG code of its
/// province's TM-3 zone and whether it is a 2025 commune.
pub async fn commune_zones(pool: &PgPool) -> Result<Vec<(String, i32, bool)>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/commune_zones.sql")).fetch_all(pool).await
}
