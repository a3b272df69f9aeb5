//! `/api/reports` (anyone reports a suspected error on a parcel), `/api/tickets` (the
//! correction tickets reports and quality findings become, worked by the office of the
//! parcel's commune) and `/api/quality/findings` (the findings, for officers).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params};
use crate::access::{Audience, Principal};
use crate::services::tickets::{self, Answer, NewReport};

/// `POST /api/reports` with `{"parcel": "<code>", "message": "…", "contact": "…"}`: 201 with the
/// ticket's number and due date.
pub async fn report(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"parcel\": \"<parcel ID or COMMUNE-SHEET-PARCEL>\", \"message\": \"…\", \"contact\": \"…\"}";
    let r: NewReport = params::json_body(&headers, &raw, shape)?;
    let by = match &principal {
        Principal::Account(a) => Some(a.as_ref()),
        Principal::Anonymous => None,
    };
    let filed = tickets::report(&state.pool, by, r).await?;
    let location = format!("{}/api/tickets/{}", state.public_url, filed.ticket);
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], axum::Json(filed)).into_response())
}

/// `GET /api/tickets?state=…&overdue=true`: the tickets of the office's scope.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, "working correction tickets")?;
    let s = params::selection(&q)?;
    let found = tickets::list(&state.pool, &account, &s).await?;
    Ok(axum::Json(json!({ "tickets": found })).into_response())
}

/// `GET /api/tickets/{no}`: in full for the office, its state and answer to anyone else.
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(no): Path<String>,
) -> Result<Response, ApiError> {
    match principal {
        Principal::Account(a) if a.services => {
            Ok(axum::Json(tickets::get(&state.pool, &a, &no).await?).into_response())
        }
        _ => Ok(axum::Json(tickets::state(&state.pool, &no).await?).into_response()),
    }
}

/// `POST /api/tickets/{no}/answer` with `{"state": "explained"|"corrected"|"rejected"|"closed",
/// "answer": "…", "event": <parcel event id>}`.
pub async fn answer(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(no): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, "working correction tickets")?;
    let a: Answer = params::json_body(&headers, &raw, "{\"state\": \"corrected\", \"answer\": \"…\", \"event\": 12}")?;
    let to = tickets::answer(&state.pool, &account, &no, a).await?;
    Ok(axum::Json(json!({ "no": no, "state": to })).into_response())
}

/// `GET /api/quality/findings?commune=CODE&kind=…`: findings in the officer's scope.
pub async fn findings(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["commune", "kind"])?;
    let account = params::signed_in(principal, "the quality findings")?;
    if account.view.audience < Audience::Personal {
        return Err(ApiError::forbidden(
            "the quality findings are for officers of the cadastre and the registration office",
        ));
    }
    let mut communes: Option<Vec<String>> = account.communes.as_ref().map(|c| c.iter().cloned().collect());
    if let Some(code) = q.get("commune") {
        let asked = crate::quality::communes(&state.pool, code).await?;
        communes = Some(match communes {
            Some(mine) => asked.into_iter().filter(|c| mine.contains(c)).collect(),
            None => asked,
        });
    }
    let found = crate::quality::list(&state.pool, communes.as_deref(), q.get("kind").map(String::as_str)).await?;
    Ok(axum::Json(json!({ "findings": found })).into_response())
}
