//! `GET /ogc/collections/{id}/schema` and `/queryables`: properties as JSON Schema.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::openapi::OTHER;
use super::{SCHEMA, check, find, json_as};
use crate::access::Principal;
use crate::http::AppState;
use crate::http::error::ApiError;

/// `/schema` and `/queryables`: the properties the caller sees, as JSON Schema.
pub async fn schema(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, which)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let (_, spec) = find(&state, &id, principal.audience())?;
    if which != "schema" && which != "queryables" {
        return Err(ApiError::not_found(format!("collection '{id}' has items, schema and queryables, not '{which}'")));
    }
    let mut properties: serde_json::Map<String, Value> = spec
        .visible_fields(principal.audience())
        .map(|(_, f)| (f.name.clone(), json!({ "title": f.description, "type": f.kind.json_type() })))
        .collect();
    if which == "queryables" {
        // Part 3: the geometry is queryable with the spatial functions.
        properties.insert(
            "geometry".into(),
            json!({ "title": "Geometry (CRS84 unless filter-crs says otherwise)", "format": "geometry-any", "x-ogc-role": "primary-geometry" }),
        );
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{}/ogc/collections/{id}/{which}", state.public_url),
        "type": "object",
        "title": spec.title,
        "properties": properties,
    });
    Ok(json_as(SCHEMA, &body))
}
