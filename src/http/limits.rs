//! The time limit on every request, so that one slow query or a caller asking for too much cannot
//! hold the service's workers; sizes are limited per route (`DefaultBodyLimit`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::wfs::WfsError;

/// Answers 503 (with `Retry-After`) when a request runs past the limit; its work is dropped.
pub async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wfs = req.uri().path() == "/wfs";
    let Ok(resp) = tokio::time::timeout(state.time_limit, next.run(req)).await else {
        let message = format!(
            "the request took longer than this service's limit of {} s: ask for less (a smaller area, \
             fewer features, a filter) or try again later",
            state.time_limit.as_secs_f64()
        );
        tracing::warn!("{message}");
        return match wfs {
            true => super::wfs::exception(WfsError::busy(message)),
            false => ApiError::unavailable(message).into_response(),
        };
    };
    resp
}
