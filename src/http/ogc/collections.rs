//! `GET /ogc/collections` and `/ogc/collections/{id}`: the collections.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::openapi::OTHER;
use super::{GEOJSON, JSON, SCHEMA, check, find, link, respond};
use crate::access::Principal;
use crate::catalog::LayerSpec;
use crate::crs::{ApiCrs, CRS84};
use crate::http::AppState;
use crate::http::error::ApiError;

pub(super) fn collection_json(state: &AppState, base: &str, index: usize, spec: &LayerSpec) -> Value {
    let href = format!("{base}/collections/{}", spec.name);
    let bbox = state.tiles.layers().extent(&[index]);
    json!({
        "id": spec.name,
        "title": spec.title,
        "itemType": "feature",
        "crs": ApiCrs::offered().iter().map(|c| c.uri.as_str()).collect::<Vec<_>>(),
        "storageCrs": CRS84,
        "extent": { "spatial": { "bbox": [bbox], "crs": CRS84 } },
        "links": [
            link(href.clone(), "self", JSON, &spec.title),
            link(format!("{href}/items"), "items", GEOJSON, "Features"),
            link(format!("{href}/schema"), "describedby", SCHEMA, "The features' properties"),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA, "Queryable properties"),
        ]
    })
}

pub async fn collections(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let base = format!("{}/ogc", state.public_url);
    let catalog = state.tiles.layers().catalog();
    let collections: Vec<Value> =
        catalog.for_audience(principal.audience()).map(|(i, spec)| collection_json(&state, &base, i, spec)).collect();
    Ok(respond(
        &q,
        &headers,
        JSON,
        &json!({ "links": [link(format!("{base}/collections"), "self", JSON, "Collections")], "collections": collections }),
    ))
}

pub async fn collection(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let (index, spec) = find(&state, &id, principal.audience())?;
    Ok(respond(&q, &headers, JSON, &collection_json(&state, &format!("{}/ogc", state.public_url), index, spec)))
}
