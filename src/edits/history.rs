//! A parcel's past: every version with its validity, the events that closed and opened them,
//! and its lineage up (what it came from) and down (what it became).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::domain::ParcelId;

#[derive(Serialize, sqlx::FromRow)]
pub struct Version {
    #[serde(skip)]
    pub uid: i64,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub legacy_key: String,
    pub commune_code: Option<String>,
    pub land_use: String,
    pub legal_area_m2: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<String>,
    pub alley_width_m: Option<f64>,
    pub source_crs: String,
    pub mapped_area_m2: f64,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub at: DateTime<Utc>,
    /// The account that made it: shown to signed-in callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub before: Vec<String>,
    pub after: Vec<String>,
    pub files: Value,
}

#[derive(Serialize, sqlx::FromRow)]
pub struct Relative {
    #[serde(skip)]
    pub direction: String,
    pub id: String,
    /// The parcel through which it is related (its child going up, its parent going down).
    pub via: String,
    pub steps: i32,
    pub event_id: i64,
    pub current: bool,
}

#[derive(Serialize)]
pub struct History {
    pub parcel_id: String,
    pub current: bool,
    pub versions: Vec<HistoryVersion>,
    pub events: Vec<Event>,
    pub ancestors: Vec<Relative>,
    pub descendants: Vec<Relative>,
    /// The current parcels it became, when it is no longer current.
    pub successors: Vec<String>,
}

#[derive(Serialize)]
pub struct HistoryVersion {
    /// The version's entity tag, as `If-Match` takes it.
    pub etag: String,
    #[serde(flatten)]
    pub version: Version,
}

/// The history of `parcel`, or None when no parcel ever had its ID. `actors`: whether to say
/// who made each event.
pub async fn history(pool: &PgPool, parcel: &ParcelId, actors: bool) -> Result<Option<History>, sqlx::Error> {
    let versions: Vec<Version> =
        sqlx::query_as(include_str!("sql/history_versions.sql")).bind(parcel.as_str()).fetch_all(pool).await?;
    if versions.is_empty() {
        return Ok(None);
    }
    let uids: Vec<i64> = versions.iter().map(|v| v.uid).collect();
    let mut events: Vec<Event> =
        sqlx::query_as(include_str!("sql/history_events.sql")).bind(&uids).fetch_all(pool).await?;
    if !actors {
        events.iter_mut().for_each(|e| e.actor = None);
    }
    let relatives: Vec<Relative> =
        sqlx::query_as(include_str!("sql/lineage.sql")).bind(parcel.as_str()).fetch_all(pool).await?;
    let (ancestors, descendants): (Vec<_>, Vec<_>) = relatives.into_iter().partition(|r| r.direction == "up");
    let current = versions.last().is_some_and(|v| v.valid_to.is_none());
    let mut successors: Vec<String> = match current {
        true => Vec::new(),
        false => descendants.iter().filter(|d| d.current).map(|d| d.id.clone()).collect(),
    };
    successors.dedup();
    Ok(Some(History {
        parcel_id: parcel.to_string(),
        current,
        versions: versions.into_iter().map(|v| HistoryVersion { etag: super::etag(v.uid), version: v }).collect(),
        events,
        ancestors,
        descendants,
        successors,
    }))
}
