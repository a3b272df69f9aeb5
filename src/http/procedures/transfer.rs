//! `POST /api/parcels/{code}/transfer`: `{"holders": [{"holder_code": "…", "holder_kind":
//! "individual", "name": "…", "personal_id": "…", "share": 1, "certificate_no": "…"}, …],
//! "reason": "…", "legal_basis": "…"}`. The parcel's current rights end and the new holders'
//! begin (personal data: written, never echoed). Answers 201 with the event's number.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::access::Principal;
use crate::domain::ParcelId;
use crate::edits::Editor;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn transfer(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"holders\": [{\"holder_code\": \"…\", \"holder_kind\": \"individual\", \"name\": \"…\", \"personal_id\": \"…\", \"share\": 1}], \"reason\": \"…\", \"legal_basis\": \"…\"}";
    let (account, mut body, grounds) = super::procedure(principal, &headers, &body, shape)?;
    let Some(Value::Array(holders)) = body.remove("holders") else {
        return Err(ApiError::bad_request(format!("the body must be {shape}")));
    };
    if let Some(other) = body.keys().next() {
        return Err(ApiError::bad_request(format!("`{other}` is not part of a transfer: {shape}")));
    }
    let parcel: ParcelId = code.parse()?;
    let mut editor = Editor::begin(&state.pool, &account, &format!("transfer parcel {parcel}")).await?;
    let event = editor.transfer(&parcel, &holders, &grounds).await?;
    editor.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "parcel": parcel.as_str(), "event": event }))).into_response())
}
