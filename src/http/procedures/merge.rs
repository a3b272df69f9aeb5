//! `POST /api/parcels/merge`: `{"parcels": ["<code>", …], "reason": "…", "legal_basis": "…"}`
//! (and optionally `properties` of the new parcel). The parcels must be current and adjacent;
//! they are closed and one new parcel made. Answers 201 with its ID.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::{Editor, MergeRequest};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn merge(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"parcels\": [\"<parcel ID>\", …], \"reason\": \"…\", \"legal_basis\": \"…\"}";
    let (account, body, grounds) = super::procedure(principal, &headers, &body, shape)?;
    let request: MergeRequest = serde_json::from_value(serde_json::Value::Object(body))
        .map_err(|e| ApiError::bad_request(format!("the body must be {shape}: {e}")))?;
    let parents = request.parcels.iter().map(|p| p.parse()).collect::<Result<Vec<ParcelId>, _>>()?;
    let mut editor = Editor::begin(&state.pool, &account, "merge parcels").await?;
    let child = editor.merge(&parents, request.properties, &grounds).await?;
    let events = editor.commit().await?;
    let body = json!({ "parents": request.parcels, "parcel": child.as_str(), "event": events.first() });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}
