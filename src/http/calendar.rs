//! `/api/calendar`: the working-day calendar (anyone reads it and counts deadlines on it; the
//! admin edits it).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::identity::Admin;
use super::{AppState, params};
use crate::calendar::{self, Calendar, DayKind, edit};
use crate::edits::EditError;

/// `GET /api/calendar?year=2026`: the year's holidays, days off and worked Saturdays.
pub async fn year(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    use chrono::Datelike;
    params::only(&q, &["year"])?;
    let year = match q.get("year") {
        None => calendar::today().year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| ApiError::bad_request(format!("year `{y}` must be a year such as 2026")))?,
    };
    let days = edit::year(&state.pool, year).await?;
    let known = days.iter().any(|d| d.kind == DayKind::Holiday);
    Ok(axum::Json(json!({ "year": year, "known": known, "days": days })).into_response())
}

/// `GET /api/calendar/deadline?from=…&days=N[&cutoff=false]`: the calculator officers and
/// scripts share with `diachinh calendar deadline`.
pub async fn deadline(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["from", "days", "cutoff"])?;
    let from = match q.get("from") {
        Some(f) => chrono::DateTime::parse_from_rfc3339(f).map_err(|_| {
            ApiError::bad_request(format!("from `{f}` must be an RFC 3339 instant such as 2026-11-10T15:01:00+07:00"))
        })?,
        None => chrono::Utc::now().fixed_offset(),
    };
    let days: u32 = q
        .get("days")
        .ok_or_else(|| ApiError::bad_request("give days=N (working days; 0 is the same working day)"))?
        .parse()
        .ok()
        .filter(|d| *d <= 365)
        .ok_or_else(|| ApiError::bad_request("days must be a whole number from 0 to 365"))?;
    let cutoff = (q.get("cutoff").map(String::as_str) != Some("false")).then_some(calendar::CUTOFF);
    let c = Calendar::load(&state.pool).await?;
    let counted_from = c.counted_from(&from, cutoff).map_err(EditError::from)?;
    let due = c.deadline(&from, days, cutoff).map_err(EditError::from)?;
    Ok(axum::Json(json!({ "from": from, "days": days, "counted_from": counted_from, "deadline": due })).into_response())
}

fn day(s: &str) -> Result<chrono::NaiveDate, ApiError> {
    params::date(s, "day")
}

/// `PUT /api/calendar/{day}` with `{"kind": "holiday"|"off"|"worked", "name": "…"}`.
pub async fn set(
    State(state): State<AppState>,
    Admin(account): Admin,
    headers: HeaderMap,
    Path(d): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        kind: String,
        name: String,
    }
    let b: Body = params::json_body(&headers, &raw, "{\"kind\": \"worked\", \"name\": \"Làm bù cho …\"}")?;
    let kind: DayKind = b.kind.parse().map_err(ApiError::bad_request)?;
    edit::set(&state.pool, &account, day(&d)?, kind, &b.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/calendar/{day}`.
pub async fn remove(
    State(state): State<AppState>,
    Admin(account): Admin,
    Path(d): Path<String>,
) -> Result<Response, ApiError> {
    edit::remove(&state.pool, &account, day(&d)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
