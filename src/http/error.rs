//! One error type for every handler: a status and a message that says what was wrong, as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Seconds a caller is asked to wait before trying again when the service is unavailable.
pub const RETRY_AFTER_S: &str = "5";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
    /// No or wrong credentials: the answer asks for Basic ones.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNAUTHORIZED, message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self { status: StatusCode::FORBIDDEN, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, message: message.into() }
    }
    /// The service cannot answer now; the caller may try again.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { status: StatusCode::SERVICE_UNAVAILABLE, message: message.into() }
    }
    /// A database error: the database away (503), else the server's fault.
    pub fn database(e: &sqlx::Error) -> Self {
        match crate::storage::unavailable(e) {
            true => ApiError::database_away(&e.to_string()),
            false => ApiError::internal(format!("database: {e}")),
        }
    }
    /// The database cannot be reached: 503, `Retry-After` (the detail goes to the log).
    pub fn database_away(detail: &str) -> Self {
        tracing::warn!("database unavailable: {detail}");
        ApiError::unavailable(crate::fault::UNAVAILABLE)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        tracing::error!("{}", message.into());
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, message: "internal error; it has been logged".into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "_");
        let mut resp = (self.status, Json(json!({ "error": code, "message": self.message }))).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(RETRY_AFTER_S));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"diachinh\", charset=\"UTF-8\""),
            );
        }
        resp
    }
}

impl From<crate::domain::IdError> for ApiError {
    fn from(e: crate::domain::IdError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

impl From<crate::fault::Fault> for ApiError {
    fn from(f: crate::fault::Fault) -> Self {
        match f {
            crate::fault::Fault::Caller(m) => ApiError::bad_request(m),
            crate::fault::Fault::Server(m) => ApiError::internal(m),
            crate::fault::Fault::Unavailable(m) => ApiError::database_away(&m),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::database(&e)
    }
}

impl From<crate::edits::EditError> for ApiError {
    fn from(e: crate::edits::EditError) -> Self {
        use crate::edits::EditError;
        let status = match &e {
            EditError::NotFound(_) => StatusCode::NOT_FOUND,
            EditError::Forbidden(_) => StatusCode::FORBIDDEN,
            EditError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            EditError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EditError::Conflict(_) => StatusCode::CONFLICT,
            EditError::Database(e) => return ApiError::database(e),
            EditError::Server(m) => return ApiError::internal(format!("editing parcels: {m}")),
        };
        ApiError { status, message: e.to_string() }
    }
}
