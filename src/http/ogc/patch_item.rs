//! `PATCH /ogc/collections/{id}/items/{fid}` (OGC API - Features Part 4, a JSON merge patch of
//! the feature: changed properties, null clearing one, and a new geometry if given). A new
//! version is written and its strong `ETag` returned; `If-Match` with an older tag: 412.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::editing;
use crate::access::Principal;
use crate::edits::Mode;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn patch_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = editing::editor(principal, &id, "PATCH", true)?;
    editing::media(&headers, &["application/merge-patch+json", "application/json"])?;
    let patch = editing::object(&body, "a merge patch of the feature: {\"properties\": {\"land_use\": \"ODT\", …}}")?;
    let (properties, geometry) = editing::feature(&patch, &editing::content_crs(&headers)?, Mode::Patch)?;
    if properties.is_empty() && geometry.is_none() {
        return Err(ApiError::bad_request("the patch changes nothing: give properties or a geometry"));
    }
    editing::change(&state, &account, &headers, (&id, &fid), Mode::Patch, properties, geometry).await
}
