//! `/api/brokers` (the broker registry) and `/api/management-units`. Registering and revoking
//! are the market officers' and the admin's; anyone may verify a certificate by its ID (whether
//! it is in force) and read which organisation manages a building.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params};
use crate::access::Principal;
use crate::market::brokers::{self, NewCertificate, NewManagementUnit};

const REGISTRY: &str = "the broker registry";

/// `POST /api/brokers`: 201 with the certificate's ID.
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, REGISTRY)?;
    let shape = "{\"province\": \"19\", \"holder_id\": \"<12-digit ID>\", \"full_name\": \"…\", \"issued_on\": \"2026-01-15\", \"account\": \"…\"}";
    let c: NewCertificate = params::json_body(&headers, &raw, shape)?;
    let id = brokers::register(&state.pool, &account, c).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "certificate_id": id }))).into_response())
}

/// `POST /api/brokers/{id}/revoke` with `{"on": "2026-06-01", "reason": "…"}`.
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, REGISTRY)?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Revoke {
        on: chrono::NaiveDate,
        reason: String,
    }
    let r: Revoke = params::json_body(&headers, &raw, "{\"on\": \"2026-06-01\", \"reason\": \"…\"}")?;
    let revoked = brokers::revoke(&state.pool, &account, &id, r.on, &r.reason).await?;
    Ok(axum::Json(json!({ "certificate_id": revoked, "revoked_on": r.on })).into_response())
}

/// `GET /api/brokers/{id}`: whether the certificate is in force (open to anyone holding its ID).
pub async fn verify(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(axum::Json(brokers::verify(&state.pool, &id).await?).into_response())
}

/// `GET /api/brokers?province=CODE`: the registry, for market officers.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["province"])?;
    let account = params::signed_in(principal, REGISTRY)?;
    let found = brokers::list(&state.pool, &account, q.get("province").map(String::as_str)).await?;
    Ok(axum::Json(json!({ "certificates": found })).into_response())
}

/// `POST /api/management-units`: 201 with the unit's ID.
pub async fn register_management_unit(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, "the register of management units")?;
    let shape = "{\"tax_code\": \"0101234567\", \"notice_on\": \"2026-02-01\", \"name\": \"…\", \"project_code\": \"…\", \"building\": \"A\"}";
    let m: NewManagementUnit = params::json_body(&headers, &raw, shape)?;
    let id = brokers::register_management_unit(&state.pool, &account, m).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "management_unit_id": id }))).into_response())
}

/// `GET /api/management-units?project=CODE`: who manages the project's buildings.
pub async fn management_units(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["project"])?;
    let project: crate::domain::ProjectCode =
        q.get("project").ok_or_else(|| ApiError::bad_request("give ?project=CODE"))?.parse()?;
    let found = brokers::management_units(&state.pool, project.as_str()).await?;
    Ok(axum::Json(json!({ "project": project.as_str(), "management_units": found })).into_response())
}
