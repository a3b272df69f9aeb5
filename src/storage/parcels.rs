//! Parcels in PostGIS: the reads the index needs.

use geozero::wkb;
use sqlx::PgPool;

pub async fn import_exists(pool: &PgPool, kind: &str, sources: &[String]) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/import_exists.sql")).bind(kind).bind(sources).fetch_one(pool).await
}

/// A current parcel as the index holds it.
#[derive(sqlx::FromRow)]
pub struct ParcelRow {
    pub uid: i64,
    pub parcel_id: String,
    pub commune_code_recorded: String,
    pub sheet: String,
    pub parcel_no: i32,
    pub commune_code: Option<String>,
    pub commune_name: Option<String>,
    pub province_code: Option<String>,
    pub province_name: Option<String>,
    pub land_use: Vec<String>,
    pub legal_area_m2: Option<f64>,
    pub alley_width_m: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<String>,
    pub source_crs: String,
    pub geom: wkb::Decode<geo::Geometry<f64>>,
}

/// Current parcels: all of them, or those among `uids` (the others were deleted or superseded).
pub async fn current(pool: &PgPool, uids: Option<&[i64]>) -> Result<Vec<ParcelRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcels_current.sql")).bind(uids).fetch_all(pool).await
}
