//! `DELETE /ogc/collections/{id}/items/{fid}` (OGC API - Features Part 4): retires the parcel.
//! Its versions stay as history; the parcel is no longer current.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::editing;
use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::{Editor, Grounds};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn delete_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let account = editing::editor(principal, &id, "DELETE", true)?;
    let _turn = state.item_queues.turn(&id, &fid).await;
    let mut editor = Editor::begin(&state.pool, &account, &format!("DELETE {id} {fid}")).await?;
    match id.as_str() {
        "parcels" => editor.retire(&fid.parse::<ParcelId>()?, editing::if_match(&headers), &Grounds::default()).await?,
        other => editing::with_overlay!(other, L => editor.delete_feature::<L>(&fid).await?),
    }
    editor.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
