//! `GET /ogc`: the landing page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::openapi::OTHER;
use super::{JSON, OPENAPI, check, link, respond};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let base = format!("{}/ogc", state.public_url);
    Ok(respond(
        &q,
        &headers,
        JSON,
        &json!({
            "title": "diachinh — OGC API - Features",
            "description": "Vietnam's land database and housing & real-estate market database: open data view.",
            "links": [
                link(base.clone(), "self", JSON, "This document"),
                link(format!("{base}/api"), "service-desc", OPENAPI, "The API definition"),
                link(format!("{base}/api.html"), "service-doc", "text/html", "The API documentation"),
                link(format!("{base}/conformance"), "conformance", JSON, "Conformance classes"),
                link(format!("{base}/collections"), "data", JSON, "Collections"),
            ]
        }),
    ))
}
