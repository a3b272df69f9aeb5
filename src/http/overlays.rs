//! `/api/planning` and `/api/prices`: the overlay layers by location and by code.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::json;

use super::error::ApiError;
use super::{AppState, geojson, params};
use crate::access::Principal;
use crate::storage::overlays;

/// `?at=LON,LAT`: the planning zones there, of every plan.
pub async fn planning(
    State(state): State<AppState>,
    _principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["at"])?;
    let at = q.get("at").ok_or_else(|| ApiError::bad_request("give ?at=LON,LAT"))?;
    let (lon, lat) = params::lon_lat(at, "at")?;
    let zones = overlays::planning_at(state.reads.pool(), lon, lat).await?;
    let features: Vec<_> = zones
        .into_iter()
        .map(|z| {
            json!({
                "type": "Feature",
                "id": format!("{}/{}", z.plan_name, z.zone_code),
                "geometry": z.geometry.0,
                "properties": {
                    "zone_code": z.zone_code, "plan_name": z.plan_name, "plan_level": z.plan_level,
                    "land_use": z.land_use, "status": z.status, "period": [z.period_start, z.period_end],
                    "decision_no": z.decision_no, "decision_date": z.decision_date,
                }
            })
        })
        .collect();
    geojson(&json!({ "type": "FeatureCollection", "numberReturned": features.len(), "features": features }))
}

/// `?segment=CODE`: a price segment and its prices by land use, position and date.
pub async fn prices(
    State(state): State<AppState>,
    _principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["segment"])?;
    let code = q.get("segment").ok_or_else(|| ApiError::bad_request("give ?segment=CODE"))?;
    let s = overlays::segment(state.reads.pool(), code)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no price segment has code `{code}`")))?;
    geojson(&json!({
        "type": "Feature",
        "id": s.code,
        "geometry": s.geometry.0,
        "properties": { "code": s.code, "street": s.street, "from": s.from_point, "to": s.to_point, "prices": s.prices.0 }
    }))
}
