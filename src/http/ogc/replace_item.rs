//! `PUT /ogc/collections/{id}/items/{fid}` (OGC API - Features Part 4): the whole feature
//! replaced; properties left out are cleared. Answers 204 with the new version's `ETag`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::editing;
use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::{Editor, Grounds, Mode};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn replace_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = editing::editor(principal, &id, "PUT", true)?;
    editing::media(&headers, &["application/geo+json", "application/json"])?;
    let feature = editing::object(&body, "a GeoJSON Feature")?;
    let (properties, geometry) = editing::feature(&feature, &editing::content_crs(&headers)?, Mode::Replace)?;
    let parcel: ParcelId = fid.parse()?;
    let mut editor = Editor::begin(&state.pool, &account, &format!("PUT parcel {parcel}")).await?;
    let tag = editor
        .update(&parcel, editing::if_match(&headers), Mode::Replace, &properties, geometry, &Grounds::default())
        .await?;
    editor.commit().await?;
    Ok(editing::with_etag(StatusCode::NO_CONTENT.into_response(), &tag))
}
