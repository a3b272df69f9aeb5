//! Reads of the overlay layers: planning, prices, ownership, projects, units, addresses.

use sqlx::PgPool;

/// A planning zone meeting a parcel, with the share of the parcel's area inside it.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct PlanningShare {
    pub zone_code: String,
    pub plan_name: String,
    pub plan_level: String,
    pub land_use: Vec<String>,
    pub status: String,
    pub decision_no: String,
    pub decision_date: chrono::NaiveDate,
    pub share: f64,
}

pub async fn parcel_planning(pool: &PgPool, uid: i64) -> Result<Vec<PlanningShare>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_planning.sql")).bind(uid).fetch_all(pool).await
}

#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct NearestSegment {
    pub code: String,
    pub street: String,
    pub from_point: String,
    pub to_point: String,
    #[serde(skip)]
    pub distance_m: f64,
}

pub async fn nearest_segment(pool: &PgPool, parcel_id: &str) -> Result<Option<NearestSegment>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_nearest_segment.sql")).bind(parcel_id).fetch_optional(pool).await
}

#[derive(Debug, sqlx::FromRow)]
pub struct PriceInForce {
    pub price_vnd_m2: i64,
    pub decision_no: String,
    pub effective_from: chrono::NaiveDate,
    pub effective_to: Option<chrono::NaiveDate>,
}

pub async fn price_in_force(
    pool: &PgPool,
    segment: &str,
    land_use: &str,
    position: u8,
    on: chrono::NaiveDate,
) -> Result<Option<PriceInForce>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/land_price_on.sql"))
        .bind(segment)
        .bind(land_use)
        .bind(position as i16)
        .bind(on)
        .fetch_optional(pool)
        .await
}

/// One holder of a right to a parcel: personal data, for roles that may see it.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct Holder {
    pub name: String,
    pub kind: String,
    pub right_kind: String,
    pub share: f64,
    pub certificate_no: Option<String>,
    /// A person's 12-digit ID (individuals, households).
    pub personal_id: Option<String>,
    /// An organisation's tax ID.
    pub tax_id: Option<String>,
}

pub async fn parcel_holders(pool: &PgPool, parcel_id: &str) -> Result<Vec<Holder>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_holders.sql")).bind(parcel_id).fetch_all(pool).await
}

/// The open ownership category of a parcel: individual, household, organisation, state, shared or none.
pub async fn ownership(pool: &PgPool, parcel_id: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/parcel_ownership.sql")).bind(parcel_id).fetch_one(pool).await
}

#[derive(Debug, sqlx::FromRow)]
pub struct PlanningZone {
    pub zone_code: String,
    pub plan_name: String,
    pub plan_level: String,
    pub land_use: Vec<String>,
    pub status: String,
    pub decision_no: String,
    pub decision_date: chrono::NaiveDate,
    pub period_start: i32,
    pub period_end: i32,
    pub geometry: sqlx::types::Json<serde_json::Value>,
}

pub async fn planning_at(pool: &PgPool, lon: f64, lat: f64) -> Result<Vec<PlanningZone>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/planning_at.sql")).bind(lon).bind(lat).fetch_all(pool).await
}

#[derive(Debug, sqlx::FromRow)]
pub struct Segment {
    pub code: String,
    pub street: String,
    pub from_point: String,
    pub to_point: String,
    pub geometry: sqlx::types::Json<serde_json::Value>,
    pub prices: sqlx::types::Json<serde_json::Value>,
}

pub async fn segment(pool: &PgPool, code: &str) -> Result<Option<Segment>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/price_segment.sql")).bind(code).fetch_optional(pool).await
}

#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct ProjectRow {
    pub code: String,
    pub name: String,
    pub investor: String,
    pub kind: String,
    pub status: String,
    pub progress_pct: Option<f64>,
    pub total_investment_vnd: Option<i64>,
    pub land_area_m2: Option<f64>,
    pub policy_decision_no: Option<String>,
    pub policy_decision_date: Option<chrono::NaiveDate>,
    #[serde(skip)]
    pub geometry: sqlx::types::Json<serde_json::Value>,
    pub documents: sqlx::types::Json<serde_json::Value>,
    pub parcels: sqlx::types::Json<serde_json::Value>,
    pub units: i64,
}

/// A project by code, or a page of those meeting `bbox` after code `after`.
pub async fn projects(
    pool: &PgPool,
    code: Option<&str>,
    bbox: Option<[f64; 4]>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ProjectRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/projects.sql"))
        .bind(code)
        .bind(bbox.map(|b| b.to_vec()))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}

#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct UnitRow {
    pub product_id: String,
    pub footprint: Option<sqlx::types::Json<serde_json::Value>>,
    pub project_code: String,
    pub parcel_id: String,
    pub building: String,
    pub floor: i32,
    pub unit_no: String,
    pub location_code: Option<String>,
    pub floor_area_m2: f64,
    pub status: String,
}

/// The units of a project, or the unit with a product ID.
pub async fn units(
    pool: &PgPool,
    project: Option<&str>,
    product_id: Option<&str>,
) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/units.sql")).bind(project).bind(product_id).fetch_all(pool).await
}

#[derive(Debug, sqlx::FromRow)]
pub struct DocumentFile {
    pub file_name: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

pub async fn project_document(pool: &PgPool, project: &str, id: i64) -> Result<Option<DocumentFile>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/project_document.sql")).bind(project).bind(id).fetch_optional(pool).await
}

#[derive(Debug, sqlx::FromRow)]
pub struct AddressRow {
    pub code: String,
    pub parcel_id: Option<String>,
    pub product_id: Option<String>,
    pub commune_code: String,
    pub commune_name: String,
    pub province_name: String,
    pub street: Option<String>,
    pub house_no: Option<String>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    pub postcode: Option<String>,
    pub lon: f64,
    pub lat: f64,
}

pub async fn address(pool: &PgPool, code: &str) -> Result<Option<AddressRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/address.sql")).bind(code).fetch_optional(pool).await
}

/// The project holding a parcel, and the number of units recorded on it.
pub async fn parcel_market(pool: &PgPool, uid: i64) -> Result<(Option<String>, i64), sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_market.sql")).bind(uid).fetch_one(pool).await
}
