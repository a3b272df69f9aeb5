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
    editing::change(&state, principal, &headers, (&id, &fid), Mode::Patch, &body).await
}
