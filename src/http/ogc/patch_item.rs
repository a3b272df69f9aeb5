//! `PATCH /ogc/collections/parcels/items/{fid}` (OGC API - Features Part 4, a JSON merge patch of
//! the feature): an officer with the right and the scope changes a parcel's attributes; a new
//! version is written and its strong `ETag` returned. `If-Match` with an older tag: 412.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::{self, EditError};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn patch_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Principal::Account(account) = principal else {
        return Err(ApiError::unauthorized("sign in with an account that may edit parcels"));
    };
    if id != "parcels" {
        let message = format!("collection '{id}' cannot be edited here; parcels can");
        return Err(ApiError { status: StatusCode::METHOD_NOT_ALLOWED, message });
    }
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    if media != "application/merge-patch+json" && media != "application/json" {
        let message = format!("send the patch as application/merge-patch+json, not `{media}`");
        return Err(ApiError { status: StatusCode::UNSUPPORTED_MEDIA_TYPE, message });
    }
    let shape = "the body must be a merge patch of the feature: {\"properties\": {\"land_use\": \"ODT\", …}}";
    let patch: Value = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("{shape}: {e}")))?;
    let patch = patch.as_object().ok_or_else(|| ApiError::bad_request(shape))?;
    if let Some(other) = patch.keys().find(|k| *k != "properties") {
        return Err(ApiError::bad_request(format!("`{other}` cannot be patched yet: only properties can")));
    }
    let properties = patch.get("properties").and_then(Value::as_object).ok_or_else(|| ApiError::bad_request(shape))?;
    let parcel: ParcelId = fid.parse()?;
    let if_match = headers.get(header::IF_MATCH).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let tag = edits::patch_parcel(&state.pool, &account, &parcel, if_match, properties).await.map_err(|e| {
        let status = match &e {
            EditError::NotFound(_) => StatusCode::NOT_FOUND,
            EditError::Forbidden(_) => StatusCode::FORBIDDEN,
            EditError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            EditError::Invalid(_) => StatusCode::BAD_REQUEST,
            EditError::Database(e) => return ApiError::internal(format!("editing a parcel: {e}")),
        };
        ApiError { status, message: e.to_string() }
    })?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    Ok(resp)
}
