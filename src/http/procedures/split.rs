//! `POST /api/parcels/{code}/split`: `{"parts": [{"geometry": <GeoJSON>, "land_use": "ODT",
//! "legal_area_m2": 120.5}, …], "reason": "…", "legal_basis": "…"}`, geometries in CRS84 or the
//! CRS `Content-Crs` names. The parts must cover the parent without overlap; they become new
//! parcels, the parent is closed. Answers 201 with the new parcel IDs.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::{Editor, Part, SplitRequest};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::ogc::editing;

pub async fn split(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"parts\": [{\"geometry\": {…}, \"land_use\": \"ODT\", \"legal_area_m2\": 120.5}, …], \"reason\": \"…\", \"legal_basis\": \"…\"}";
    let (account, mut body, grounds) = super::procedure(principal, &headers, &body, shape)?;
    let crs = editing::content_crs(&headers)?;
    let parts = match body.remove("parts") {
        Some(Value::Array(parts)) => parts,
        _ => return Err(ApiError::bad_request(format!("the body must be {shape}"))),
    };
    if let Some(other) = body.keys().next() {
        return Err(ApiError::bad_request(format!("`{other}` is not part of a split: {shape}")));
    }
    let parts = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let Value::Object(mut properties) = p else {
                return Err(ApiError::bad_request(format!("part {} must be an object with a geometry", i + 1)));
            };
            let geometry = properties
                .remove("geometry")
                .filter(|g| !g.is_null())
                .ok_or_else(|| ApiError::bad_request(format!("part {} has no geometry", i + 1)))?;
            Ok(Part { geometry: editing::geometry(&geometry, &crs)?, properties })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let parent: ParcelId = code.parse()?;
    let mut editor = Editor::begin(&state.pool, &account, &format!("split parcel {parent}")).await?;
    let children = editor.split(&parent, SplitRequest { parts, grounds }).await?;
    let events = editor.commit().await?;
    let ids: Vec<&str> = children.iter().map(|c| c.as_str()).collect();
    let body = json!({ "parent": parent.as_str(), "parcels": ids, "event": events.first() });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}
