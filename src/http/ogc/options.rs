//! `OPTIONS` on a collection's items or one item: the methods this caller may use there (QGIS
//! 3.32+ asks before it offers editing).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{editing, find};
use crate::access::Principal;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn items_options(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    find(&state, &id, principal.audience())?;
    Ok(allow(editing::allowed(&principal, &id, false)))
}

pub async fn item_options(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, _fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    find(&state, &id, principal.audience())?;
    Ok(allow(editing::allowed(&principal, &id, true)))
}

fn allow(methods: Vec<&str>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&methods.join(", ")) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    if methods.contains(&"PATCH") {
        resp.headers_mut().insert("accept-patch", HeaderValue::from_static("application/merge-patch+json"));
    }
    resp
}
