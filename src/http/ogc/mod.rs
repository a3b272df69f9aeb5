//! `/ogc`: OGC API - Features, Part 1 (core, GeoJSON, OpenAPI 3.0) over every catalog layer.

mod api_definition;
mod collections;
mod conformance;
mod create_item;
mod delete_item;
pub(super) mod editing;
mod item;
mod items;
mod landing;
pub mod openapi;
mod options;
mod patch_item;
mod replace_item;
mod schema;

pub use api_definition::{openapi, openapi_html};
pub use collections::{collection, collections};
pub use conformance::conformance;
pub use create_item::create_item;
pub use delete_item::delete_item;
pub use item::item;
pub use items::items;
pub use landing::landing;
pub use options::{item_options, items_options};
pub use patch_item::patch_item;
pub use replace_item::replace_item;
pub use schema::schema;

use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, params};
use crate::catalog::{Audience, LayerSpec};
use crate::crs::ApiCrs;

pub(super) const JSON: &str = "application/json";
pub(super) const GEOJSON: &str = "application/geo+json";
pub(super) const SCHEMA: &str = "application/schema+json";
pub(super) const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

pub(super) fn link(href: String, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

pub(super) fn json_as(media: &'static str, body: &Value) -> Response {
    ([(header::CONTENT_TYPE, media)], body.to_string()).into_response()
}

/// Checks the parameters an endpoint takes, and `f`.
pub(super) fn check(q: &HashMap<String, String>, allowed: &[openapi::Param]) -> Result<(), ApiError> {
    params::only(q, &openapi::names(allowed))?;
    match q.get("f").map(String::as_str) {
        None | Some("json") | Some("html") => Ok(()),
        Some(f) => Err(ApiError::bad_request(format!("f `{f}` is not offered: use f=json or f=html"))),
    }
}

/// JSON, or the same document as an HTML page for a browser (`f=html`, or `Accept: text/html`
/// without `f`).
pub(super) fn respond(q: &HashMap<String, String>, headers: &HeaderMap, media: &'static str, body: &Value) -> Response {
    let html = match q.get("f").map(String::as_str) {
        Some(f) => f == "html",
        None => headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.starts_with("text/html")),
    };
    let mut resp = if html { Html(page(body)).into_response() } else { json_as(media, body) };
    // Shared caches must keep the page and the JSON apart.
    resp.headers_mut().insert(header::VARY, header::HeaderValue::from_static("accept"));
    resp
}

/// One renderer for every document: its title, its links, a table of its features or
/// collections, and the rest as JSON.
pub(super) fn page(doc: &Value) -> String {
    let text = |v: &Value| escape(&v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    let title = doc["title"].as_str().or(doc["id"].as_str()).unwrap_or("diachinh OGC API - Features");
    let mut out = format!("<!doctype html><meta charset=utf-8><title>{0}</title><h1>{0}</h1><ul>", escape(title));
    for l in doc["links"].as_array().into_iter().flatten() {
        let href = text(&l["href"]);
        let sep = if href.contains('?') { "&amp;" } else { "?" };
        out.push_str(&format!("<li>{}: <a href=\"{href}{sep}f=html\">{}</a></li>", text(&l["rel"]), text(&l["title"])));
    }
    out.push_str("</ul>");
    if let Some(rows) = doc["features"].as_array().or(doc["collections"].as_array()) {
        let mut columns: Vec<String> = Vec::new();
        for r in rows {
            for k in r["properties"].as_object().into_iter().flatten().map(|(k, _)| k) {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        out.push_str("<table border=1><tr><th>id</th>");
        out.extend(columns.iter().map(|c| format!("<th>{}</th>", escape(c))));
        out.push_str("</tr>");
        for r in rows {
            out.push_str(&format!("<tr><td>{}</td>", text(&r["id"])));
            out.extend(
                columns.iter().map(|c| format!("<td>{}</td>", r["properties"].get(c).map(text).unwrap_or_default())),
            );
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    } else {
        out.push_str(&format!("<pre>{}</pre>", escape(&serde_json::to_string_pretty(doc).unwrap_or_default())));
    }
    out
}

/// Text for an element or a quoted attribute.
pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A collection `audience` may see (one beyond it answers as one that does not exist).
pub(super) fn find<'a>(state: &'a AppState, id: &str, audience: Audience) -> Result<(usize, &'a LayerSpec), ApiError> {
    let catalog = state.tiles.layers().catalog();
    catalog
        .find(id, audience)
        .ok_or_else(|| ApiError::not_found(format!("no collection '{id}'; collections: {}", catalog.names(audience))))
}

pub(super) fn crs_param(q: &HashMap<String, String>, name: &str) -> Result<ApiCrs, ApiError> {
    q.get(name).map_or(Ok(ApiCrs::crs84()), |c| ApiCrs::parse(c, name).map_err(ApiError::bad_request))
}

/// Part 2: the response says which CRS its coordinates are in.
pub(super) fn with_crs(mut resp: Response, crs: &ApiCrs) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("<{}>", crs.uri)) {
        resp.headers_mut().insert("content-crs", v);
    }
    resp
}

pub(super) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
