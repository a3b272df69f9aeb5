//! `GET /ogc/conformance`: the conformance classes met.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::openapi::{self, OTHER};
use super::{JSON, check, respond};
use crate::http::error::ApiError;

pub async fn conformance(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    Ok(respond(&q, &headers, JSON, &json!({ "conformsTo": openapi::CONFORMANCE })))
}
