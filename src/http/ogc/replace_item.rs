//! `PUT /ogc/collections/{id}/items/{fid}` (OGC API - Features Part 4): the whole feature
//! replaced; properties left out are cleared. Answers 204 with the new version's `ETag`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::editing;
use crate::access::Principal;
use crate::edits::Mode;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn replace_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    editing::change(&state, principal, &headers, (&id, &fid), Mode::Replace, &body).await
}
