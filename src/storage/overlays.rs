//! Storing the overlay kinds: each in one transaction with its import record, like parcels.

use std::collections::HashSet;

use geozero::{CoordDimensions, ToWkb};
use sqlx::{PgConnection, PgPool};

use crate::domain::ParcelCode;
use crate::import::holders::{HolderRight, Holders};
use crate::import::layer::{Layer, LayerPrepared};
use crate::import::planning::{Planning, Zone};
use crate::import::prices::{Prices, SegmentPrices};
use crate::import::{Action, ImportError, Report};

/// How a kind's rows reach the database, inside the import's transaction.
pub trait Store: Layer {
    /// The tables `write` fills, analysed after a committed import.
    const TABLES: &'static [&'static str];
    /// Writes the rows; refusals go into `report` as rejected lines. Returns the rows written.
    fn write(
        conn: &mut PgConnection,
        import_id: i64,
        rows: &[Self::Row],
        report: &mut Report,
    ) -> impl Future<Output = Result<u64, ImportError>> + Send;
}

/// What a committed import wrote.
pub struct Written {
    pub rows: u64,
    pub report: Report,
}

pub async fn store<L: Store>(
    pool: &PgPool,
    prepared: LayerPrepared<L::Row>,
    dry_run: bool,
) -> Result<Written, ImportError> {
    let LayerPrepared { sources, crs_label, feature_count, rows, mut report } = prepared;
    let mut tx = pool.begin().await?;
    let import_id: i64 = sqlx::query_scalar(include_str!("sql/import_begin.sql"))
        .bind(L::KIND)
        .bind(&sources)
        .bind(&crs_label)
        .bind(feature_count as i32)
        .fetch_one(&mut *tx)
        .await?;
    let written = L::write(&mut tx, import_id, &rows, &mut report).await.map_err(|e| match e {
        ImportError::Database(e) => constraint_message(e),
        e => e,
    })?;
    let report = report.checked()?;
    sqlx::query(include_str!("sql/import_finish.sql"))
        .bind(import_id)
        .bind(sqlx::types::Json(&report.lines))
        .execute(&mut *tx)
        .await?;
    if dry_run {
        tx.rollback().await?
    } else {
        tx.commit().await?
    }
    Ok(Written { rows: written, report })
}

/// A unique or check violation is the data's fault: say so in words.
fn constraint_message(e: sqlx::Error) -> ImportError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => ImportError::Refused(vec![crate::import::ReportLine {
            subject: db.constraint().unwrap_or("a unique key").to_owned(),
            action: Action::Rejected,
            detail: format!("already in the database: {}", db.message()),
        }]),
        _ => ImportError::Database(e),
    }
}

fn wkb(g: geo::Geometry) -> Vec<u8> {
    g.to_ewkb(CoordDimensions::xy(), Some(4326)).expect("geo geometries always encode")
}

impl Store for Planning {
    const TABLES: &'static [&'static str] = &["planning_zones"];
    async fn write(conn: &mut PgConnection, import_id: i64, rows: &[Zone], _: &mut Report) -> Result<u64, ImportError> {
        let col = |f: fn(&Zone) -> String| rows.iter().map(f).collect::<Vec<_>>();
        Ok(sqlx::query(include_str!("sql/planning_insert.sql"))
            .bind(col(|z| z.zone_code.clone()))
            .bind(col(|z| z.plan_name.clone()))
            .bind(col(|z| z.plan_level.to_owned()))
            .bind(rows.iter().map(|z| z.period.0).collect::<Vec<_>>())
            .bind(rows.iter().map(|z| z.period.1).collect::<Vec<_>>())
            .bind(col(|z| z.decision_no.clone()))
            .bind(rows.iter().map(|z| z.decision_date).collect::<Vec<_>>())
            .bind(col(|z| z.status.to_owned()))
            .bind(col(|z| z.land_use.to_string()))
            .bind(rows.iter().map(|z| wkb(z.geom.clone().into())).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Prices {
    const TABLES: &'static [&'static str] = &["price_segments", "land_prices"];
    async fn write(
        conn: &mut PgConnection,
        import_id: i64,
        rows: &[SegmentPrices],
        _: &mut Report,
    ) -> Result<u64, ImportError> {
        let mut seen = HashSet::new();
        let segments: Vec<&SegmentPrices> = rows.iter().filter(|r| seen.insert(r.segment.clone())).collect();
        let col = |f: fn(&SegmentPrices) -> String| segments.iter().map(|s| f(s)).collect::<Vec<_>>();
        sqlx::query(include_str!("sql/price_segments_upsert.sql"))
            .bind(col(|s| s.segment.clone()))
            .bind(col(|s| s.street.clone()))
            .bind(col(|s| s.from_point.clone()))
            .bind(col(|s| s.to_point.clone()))
            .bind(segments.iter().map(|s| wkb(s.geom.clone().into())).collect::<Vec<_>>())
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        // One row per position that has a price.
        let prices: Vec<(&SegmentPrices, i16, i64)> = rows
            .iter()
            .flat_map(|r| r.prices.iter().enumerate().filter_map(move |(i, p)| p.map(|p| (r, i as i16 + 1, p))))
            .collect();
        Ok(sqlx::query(include_str!("sql/land_prices_insert.sql"))
            .bind(prices.iter().map(|(r, _, _)| r.segment.clone()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.land_use.as_str()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(_, vt, _)| *vt).collect::<Vec<_>>())
            .bind(prices.iter().map(|(_, _, p)| *p).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.decision_no.clone()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.effective_from).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.effective_to).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Holders {
    const TABLES: &'static [&'static str] = &["personal.holders", "personal.rights"];
    async fn write(
        conn: &mut PgConnection,
        import_id: i64,
        rows: &[HolderRight],
        report: &mut Report,
    ) -> Result<u64, ImportError> {
        // Every right must name a current parcel.
        let (pid, commune, sheet, no) = rows.iter().fold((vec![], vec![], vec![], vec![]), |mut acc, r| {
            match &r.parcel {
                ParcelCode::Id(id) => {
                    acc.0.push(Some(id.to_string()));
                    acc.1.push(None);
                    acc.2.push(None);
                    acc.3.push(None);
                }
                ParcelCode::Legacy(k) => {
                    acc.0.push(None);
                    acc.1.push(Some(k.commune.to_string()));
                    acc.2.push(Some(k.sheet.to_string()));
                    acc.3.push(Some(k.parcel_no.get() as i32));
                }
            }
            acc
        });
        let parcel_ids: Vec<Option<String>> = sqlx::query_scalar(include_str!("sql/parcel_ids_of_codes.sql"))
            .bind(pid)
            .bind(commune)
            .bind(sheet)
            .bind(no)
            .fetch_all(&mut *conn)
            .await?;
        for (r, p) in rows.iter().zip(&parcel_ids) {
            if p.is_none() {
                report.push(
                    Holders::key(r),
                    Action::Rejected,
                    "names a parcel that no current parcel has (parcel ID or legacy key)",
                );
            }
        }
        if report.rejected() {
            return Ok(0);
        }
        let mut seen = HashSet::new();
        let holders: Vec<&HolderRight> = rows.iter().filter(|r| seen.insert(r.holder_code.clone())).collect();
        sqlx::query(include_str!("sql/holders_upsert.sql"))
            .bind(holders.iter().map(|h| h.holder_code.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.kind).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.name.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.personal_id.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.birth_year).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.organisation_id.clone()).collect::<Vec<_>>())
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        Ok(sqlx::query(include_str!("sql/rights_insert.sql"))
            .bind(rows.iter().map(|r| r.holder_code.clone()).collect::<Vec<_>>())
            .bind(parcel_ids)
            .bind(rows.iter().map(|r| r.right).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.asset.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.share).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.certificate_no.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.issued_on).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

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

pub async fn parcel_planning(pool: &PgPool, parcel_id: &str) -> Result<Vec<PlanningShare>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_planning.sql")).bind(parcel_id).fetch_all(pool).await
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
