//! `/api/mortgages`: the security-interest registry. Registering, amending, releasing and reading
//! registrations take an account whose roles keep the registry (justice officer, registrar,
//! admin) with the parcels in its scope; anyone else gets 401 or 403.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params, report};
use crate::access::{Account, Principal};
use crate::domain::ParcelId;
use crate::edits::mortgages::{self, Amendment, Registration};

fn keeper(principal: Principal) -> Result<std::sync::Arc<Account>, ApiError> {
    params::signed_in(principal, "the security-interest registry")
}

/// `POST /api/mortgages`: registers; 201 with the registration number and time.
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = keeper(principal)?;
    let shape = "{\"parcels\": [\"<parcel ID>\"], \"secured_party\": \"…\", \"giver_name\": \"…\", \"contract_ref\": \"…\", \"amount_vnd\": 1000000000, …}";
    let registration: Registration = params::json_body(&headers, &raw, shape)?;
    let (no, at) = mortgages::register(&state.pool, &account, registration).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "registration_no": no, "registered_at": at }))).into_response())
}

/// `POST /api/mortgages/{no}/amend`.
pub async fn amend(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(no): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = keeper(principal)?;
    let amendment: Amendment =
        params::json_body(&headers, &raw, "{\"amount_vnd\": …, \"secured_party\": \"…\", \"reason\": \"…\"}")?;
    mortgages::amend(&state.pool, &account, &no, amendment).await?;
    Ok(axum::Json(json!({ "registration_no": no })).into_response())
}

/// `POST /api/mortgages/{no}/release`: the registration is released (xóa đăng ký), not deleted.
pub async fn release(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(no): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = keeper(principal)?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Release {
        reason: Option<String>,
    }
    let r: Release = if raw.is_empty() {
        Release { reason: None }
    } else {
        params::json_body(&headers, &raw, "{\"reason\": \"…\"}")?
    };
    let at = mortgages::release(&state.pool, &account, &no, r.reason).await?;
    Ok(axum::Json(json!({ "registration_no": no, "released_at": at })).into_response())
}

/// `GET /api/mortgages?parcel=ID`: the registrations over a parcel in priority order.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["parcel"])?;
    let account = keeper(principal)?;
    let parcel: ParcelId = q.get("parcel").ok_or_else(|| ApiError::bad_request("give ?parcel=<parcel ID>"))?.parse()?;
    let found = mortgages::of_parcel(&state.pool, &account, &parcel).await?;
    Ok(axum::Json(json!({ "parcel": parcel.as_str(), "registrations": found })).into_response())
}

/// `GET /api/reports/security-interests?province=CODE&year=YYYY[&format=csv|html]`: the
/// registry's report, month by month, as JSON, CSV or a printable page.
pub async fn report(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["province", "year", "format"])?;
    let account = keeper(principal)?;
    let province = q.get("province").ok_or_else(|| ApiError::bad_request("give ?province=CODE&year=YYYY"))?;
    let year: i32 = match q.get("year") {
        Some(y) => y
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| ApiError::bad_request(format!("year `{y}` must be a year")))?,
        None => return Err(ApiError::bad_request("give ?province=CODE&year=YYYY")),
    };
    let rows = mortgages::report(&state.pool, &account, province, year).await?;
    let columns = ["month", "registrations", "amendments", "releases", "transactions_recorded", "information_provided"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            [r.month as i64, r.registrations, r.amendments, r.releases, r.transactions_recorded, r.information_provided]
                .map(|c| c.to_string())
                .to_vec()
        })
        .collect();
    let title = format!("Báo cáo đăng ký biện pháp bảo đảm và giao dịch bất động sản — tỉnh {province}, năm {year}");
    let json = json!({ "province": province, "year": year, "months": rows });
    report::table(q.get("format").map(String::as_str), &title, &columns, &cells, json)
}
