//! `GET /api/parcels/{code}/history`: every version of the parcel with its validity interval, the
//! events that made them (who made each, for signed-in callers), and its lineage up and down; a
//! parcel no longer current lists the current parcels it became.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::history;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let parcel: ParcelId = code.parse()?;
    let signed_in = matches!(principal, Principal::Account(_));
    let found = history::history(&state.pool, &parcel, signed_in).await?;
    let found = found.ok_or_else(|| ApiError::not_found(format!("no parcel has ever had parcel ID {parcel}")))?;
    Ok(axum::Json(found).into_response())
}
