//! `/api/notices`: planned interruptions, listed for anyone and entered or withdrawn by the
//! admin; and the `Diachinh-Notice` header every answer carries while one is pending.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::identity::Admin;
use super::{AppState, params};
use crate::services::notices::{self, NewNotice, Notice};

/// Pending notices are read again this often (a change through this instance reads them at once).
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// The pending notices as last read: answers never wait on the database for them (a database
/// that is away leaves the last ones known).
#[derive(Default)]
pub struct Board {
    current: RwLock<Arc<Vec<Notice>>>,
}

impl Board {
    pub async fn refresh(&self, pool: &sqlx::PgPool) {
        match notices::pending(pool).await {
            Ok(found) => *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(found),
            Err(e) => tracing::warn!("notices: cannot read them, keeping the last known: {e}"),
        }
    }

    /// Refreshes every [`REFRESH_EVERY`], for notices entered through another instance.
    pub async fn every(&self, pool: &sqlx::PgPool) {
        loop {
            self.refresh(pool).await;
            tokio::time::sleep(REFRESH_EVERY).await;
        }
    }

    fn current(&self) -> Arc<Vec<Notice>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Adds one `Diachinh-Notice` header per pending interruption to every answer: its id, kind,
/// start and end (the message itself, in Vietnamese, is at /api/notices).
pub async fn header(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    let now = chrono::Utc::now();
    for n in state.notices.current().iter().filter(|n| n.ends_at > now) {
        let value = format!(
            "id={}; kind={}; start={}; end={}",
            n.id,
            n.kind,
            n.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            n.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().append("diachinh-notice", v);
        }
    }
    resp
}

/// `GET /api/notices`: interruptions announced and not yet over.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({ "notices": notices::pending(&state.pool).await? })).into_response())
}

/// `POST /api/notices` with `{"kind": "service", "starts_at": "…", "ends_at": "…", "message": "…"}`.
pub async fn announce(
    State(state): State<AppState>,
    Admin(account): Admin,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"kind\": \"service\", \"starts_at\": \"2027-01-09T22:00:00+07:00\", \"ends_at\": \"2027-01-10T02:00:00+07:00\", \"message\": \"…\"}";
    let n: NewNotice = params::json_body(&headers, &raw, shape)?;
    let id = notices::announce(&state.pool, &account, n).await?;
    state.notices.refresh(&state.pool).await;
    Ok((StatusCode::CREATED, axum::Json(json!({ "id": id }))).into_response())
}

/// `DELETE /api/notices/{id}`: withdraws a notice.
pub async fn withdraw(
    State(state): State<AppState>,
    Admin(account): Admin,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    notices::withdraw(&state.pool, &account, id).await?;
    state.notices.refresh(&state.pool).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
