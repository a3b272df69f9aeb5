//! Parcels in PostGIS: the reads the index needs.

use geozero::wkb;
use sqlx::PgPool;

pub async fn import_exists(pool: &PgPool, kind: &str, sources: &[String]) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/import_exists.sql")).bind(kind).bind(sources).fetch_one(pool).await
}

/// A parcel version as the index, cards and edits read it.
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

/// One parcel version, by uid.
pub async fn version(conn: impl sqlx::PgExecutor<'_>, uid: i64) -> Result<ParcelRow, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_row.sql")).bind(uid).fetch_one(conn).await
}

/// Current parcels: all of them, or those among `uids` (the others were deleted or superseded).
pub async fn current(pool: &PgPool, uids: Option<&[i64]>) -> Result<Vec<ParcelRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcels_current.sql")).bind(uids).fetch_all(pool).await
}

/// Where to look for parcels as they were.
pub enum Lookup<'a> {
    Id(&'a str),
    Key { commune: &'a str, sheet: &'a str, parcel_no: i32 },
    At { lon: f64, lat: f64 },
}

/// Parcel versions valid at moment `at`.
pub async fn on(
    pool: &PgPool,
    at: chrono::DateTime<chrono::Utc>,
    lookup: Lookup<'_>,
) -> Result<Vec<ParcelRow>, sqlx::Error> {
    let q = sqlx::query_as(include_str!("sql/parcels_on.sql")).bind(at);
    let q = match lookup {
        Lookup::Id(id) => {
            q.bind(Some(id)).bind(None::<&str>).bind(None::<&str>).bind(None::<i32>).bind(None::<f64>).bind(None::<f64>)
        }
        Lookup::Key { commune, sheet, parcel_no } => q
            .bind(None::<&str>)
            .bind(Some(commune))
            .bind(Some(sheet))
            .bind(Some(parcel_no))
            .bind(None::<f64>)
            .bind(None::<f64>),
        Lookup::At { lon, lat } => {
            q.bind(None::<&str>).bind(None::<&str>).bind(None::<&str>).bind(None::<i32>).bind(Some(lon)).bind(Some(lat))
        }
    };
    q.fetch_all(pool).await
}
