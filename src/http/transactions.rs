//! `/api/transactions`: the transaction registry. Recording takes an account with a market right
//! (market officer or admin in scope, investor for its projects, broker with a certificate in
//! force, notary office for its contracts); reading, the market officers in scope or the account
//! that recorded them. Anyone else gets 401 or 403: the parties are personal data.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params};
use crate::access::Principal;
use crate::import::transactions::Subject;
use crate::market::transactions;

const REGISTRY: &str = "the transaction registry";

/// `POST /api/transactions`: one transaction, with the import's fields (`SoHopDong`,
/// `NgayHopDong`, `LoaiGiaoDich`, `MaSanPham` or `MaThua`, `GiaTri`, `DienTich`, `BenBan`,
/// `BenMua`, …, or their English aliases); 201 with its id and the unit's status.
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, REGISTRY)?;
    let shape = "{\"SoHopDong\": \"…\", \"NgayHopDong\": \"2026-03-15\", \"LoaiGiaoDich\": \"mua_ban\", \"MaSanPham\": \"…\", \"GiaTri\": 3500000000, \"DienTich\": 70.5, \"BenBan\": \"…\", \"BenMua\": \"…\"}";
    let body: serde_json::Map<String, serde_json::Value> = params::json_body(&headers, &raw, shape)?;
    let id = transactions::submit(&state.pool, &account, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "id": id, "href": format!("/api/transactions/{id}") })))
        .into_response())
}

/// `POST /api/transactions/{id}/cancel` with `{"reason": "…"}`.
pub async fn cancel(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, REGISTRY)?;
    let id: i64 = id.parse().map_err(|_| ApiError::bad_request(format!("transaction id `{id}` is not a number")))?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cancel {
        reason: String,
    }
    let c: Cancel = params::json_body(&headers, &raw, "{\"reason\": \"…\"}")?;
    transactions::cancel(&state.pool, &account, id, &c.reason).await?;
    Ok(axum::Json(json!({ "id": id, "cancelled": true })).into_response())
}

/// `GET /api/transactions?unit=PRODUCT_ID` or `?parcel=PARCEL_ID`.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["unit", "parcel"])?;
    let account = params::signed_in(principal, REGISTRY)?;
    let subject = match (q.get("unit"), q.get("parcel")) {
        (Some(u), None) => Subject::Unit(u.parse()?),
        (None, Some(p)) => Subject::Parcel(crate::domain::ParcelCode::Id(p.parse()?)),
        _ => return Err(ApiError::bad_request("give ?unit=<product ID> or ?parcel=<parcel ID>")),
    };
    let found = transactions::of_subject(&state.pool, &account, &subject).await?;
    Ok(axum::Json(json!({ "transactions": found })).into_response())
}
