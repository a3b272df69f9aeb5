//! Data-quality checks before data is shared (seed 000 Art. 5; seed 002 Art. 4.3, 8): overlaps,
//! gaps and slivers inside surveyed blocks, areas that disagree with the legal area, parcels
//! outside their commune, legacy land-use codes and uses against the approved plan, duplicate
//! legacy keys, features repaired at import, and units pointing at parcels no longer current.
//! A run over some communes replaces their findings (one change through the write gateway) and
//! opens a correction ticket for each new one. Each check is one SQL file in `sql/`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::domain::land_use::{self, LandUseGroup};
use crate::edits::EditError;
use crate::services::tickets;
use crate::storage::gateway::{Actor, Change};

/// The limits a finding is measured against.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Overlaps of current parcels above this area (m²).
    pub overlap_m2: f64,
    /// Holes inside a block from this area (m²; smaller ones are digitising noise)...
    pub gap_min_m2: f64,
    /// ...up to this one (larger ones are roads, water, land not surveyed).
    pub gap_max_m2: f64,
    /// Parcels under this area (m²)...
    pub sliver_m2: f64,
    /// ...with a compactness (4πA/P²; 1 for a circle, 0.785 for a square) under this.
    pub sliver_compactness: f64,
    /// Computed and legal area differing by more than this share.
    pub area_share: f64,
    /// Area outside the commune's boundary above this (m²).
    pub outside_m2: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            overlap_m2: 0.5,
            gap_min_m2: 0.5,
            gap_max_m2: 50.0,
            sliver_m2: 30.0,
            sliver_compactness: 0.1,
            area_share: 0.05,
            outside_m2: 1.0,
        }
    }
}

/// One problem, where it is and how large.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Finding {
    pub id: i64,
    pub kind: String,
    pub commune_code: String,
    pub parcels: Vec<String>,
    pub measure: Option<f64>,
    pub unit: Option<String>,
    pub detail: String,
    pub lon: f64,
    pub lat: f64,
    pub found_at: DateTime<Utc>,
    /// The correction ticket it opened.
    pub ticket: Option<String>,
}

/// The 2025 communes `code` names (a commune, or a province's), or a message saying it names none.
pub async fn communes(pool: &PgPool, code: &str) -> Result<Vec<String>, EditError> {
    let found: Vec<String> = sqlx::query_scalar(include_str!("sql/communes_of.sql")).bind(code).fetch_all(pool).await?;
    match found.is_empty() {
        true => Err(EditError::NotFound(format!("no 2025 commune or province has code `{code}`"))),
        false => Ok(found),
    }
}

/// Runs every check over `communes`, replaces their findings, and opens a ticket for each new
/// one; returns the communes' findings.
pub async fn check(
    pool: &PgPool,
    actor: &Actor,
    communes: &[String],
    t: &Thresholds,
) -> Result<Vec<Finding>, EditError> {
    let reason = format!("communes {}", communes.join(", "));
    let mut change = Change::begin(pool, actor, "quality check", Some(&reason)).await?;
    let conn = change.conn();
    sqlx::query(include_str!("sql/found_create.sql")).execute(&mut *conn).await?;
    let run = |sql: &'static str| sqlx::query(sql).bind(communes);
    run(include_str!("sql/overlap.sql")).bind(t.overlap_m2).execute(&mut *conn).await?;
    run(include_str!("sql/gap.sql")).bind(t.gap_min_m2).bind(t.gap_max_m2).execute(&mut *conn).await?;
    run(include_str!("sql/sliver.sql")).bind(t.sliver_compactness).bind(t.sliver_m2).execute(&mut *conn).await?;
    run(include_str!("sql/area_mismatch.sql")).bind(t.area_share).execute(&mut *conn).await?;
    run(include_str!("sql/outside_commune.sql")).bind(t.outside_m2).execute(&mut *conn).await?;
    let codes: Vec<_> = land_use::all_codes().collect();
    run(include_str!("sql/land_use.sql"))
        .bind(codes.iter().map(|c| c.as_str()).collect::<Vec<_>>())
        .bind(codes.iter().map(|c| c.is_legacy()).collect::<Vec<_>>())
        .bind(codes.iter().map(|c| class(c.group())).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    run(include_str!("sql/keys.sql")).execute(&mut *conn).await?;
    run(include_str!("sql/dangling.sql")).execute(&mut *conn).await?;
    let change_id = change.id();
    let new: Vec<i64> = sqlx::query_scalar(include_str!("sql/merge.sql"))
        .bind(communes)
        .bind(change_id)
        .fetch_all(change.conn())
        .await?;
    tickets::open_for_findings(pool, &mut change, &new).await?;
    let found = list_on(change.conn(), Some(communes), None).await?;
    change.commit(pool).await?;
    Ok(found)
}

/// The three classes of the Land Law (Art. 9) a group belongs to.
fn class(group: LandUseGroup) -> &'static str {
    match group {
        LandUseGroup::Agricultural => "agricultural",
        LandUseGroup::Unused => "unused",
        _ => "non_agricultural",
    }
}

async fn list_on(
    conn: &mut sqlx::PgConnection,
    communes: Option<&[String]>,
    kind: Option<&str>,
) -> Result<Vec<Finding>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/findings_of.sql")).bind(communes).bind(kind).fetch_all(conn).await
}

/// The findings of `communes` (all with `None`), of one kind or all.
pub async fn list(pool: &PgPool, communes: Option<&[String]>, kind: Option<&str>) -> Result<Vec<Finding>, EditError> {
    Ok(list_on(&mut *pool.acquire().await?, communes, kind).await?)
}
