//! `GET /ogc/api` and `/ogc/api.html`: the API definition (OpenAPI 3.0) and its page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{Html, Response};

use super::openapi::{self, OTHER};
use super::{OPENAPI, check, escape, json_as};
use crate::access::Principal;
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn openapi(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    Ok(json_as(OPENAPI, &openapi::openapi(&state.public_url, state.tiles.layers().catalog(), principal.audience())))
}

/// The API documentation: the OpenAPI document's paths and parameters as a page.
pub async fn openapi_html(State(state): State<AppState>, principal: Principal) -> Html<String> {
    let doc = openapi::openapi(&state.public_url, state.tiles.layers().catalog(), principal.audience());
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><title>diachinh OGC API</title><h1>diachinh OGC API - Features</h1>",
    );
    for (path, op) in doc["paths"].as_object().into_iter().flatten() {
        html.push_str(&format!(
            "<h2>GET /ogc{}</h2><p>{}</p><ul>",
            escape(path),
            escape(op["get"]["summary"].as_str().unwrap_or(""))
        ));
        for p in op["get"]["parameters"].as_array().into_iter().flatten() {
            let (name, place) = (p["name"].as_str().unwrap_or(""), p["in"].as_str().unwrap_or(""));
            let description = p["description"].as_str().unwrap_or("");
            html.push_str(&format!("<li><code>{}</code> ({place}) {}</li>", escape(name), escape(description)));
        }
        html.push_str("</ul>");
    }
    Html(html)
}
