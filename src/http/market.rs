//! `/api/projects`, `/api/units`, `/api/addresses`: the housing & real-estate market layer.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, geojson, params};
use crate::access::Principal;
use crate::domain::{DigitalAddress, ProductId, ProjectCode};
use crate::http::paging::page_url;
use crate::storage::overlays::{self, ProjectRow};

const MAX_LIMIT: i64 = 1000;

fn project_feature(p: ProjectRow) -> Value {
    let geometry = p.geometry.0.clone();
    let documents: Vec<Value> = p
        .documents
        .0
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let mut d = d.clone();
            d["href"] = json!(format!("/api/projects/{}/documents/{}", p.code, d["id"]));
            d
        })
        .collect();
    let mut properties = serde_json::to_value(&p).expect("a project serialises");
    properties["documents"] = json!(documents);
    json!({ "type": "Feature", "id": p.code, "geometry": geometry, "properties": properties })
}

fn project_code(code: &str) -> Result<ProjectCode, ApiError> {
    Ok(code.parse::<ProjectCode>()?)
}

pub async fn project(
    State(state): State<AppState>,
    _principal: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code = project_code(&code)?;
    let p = overlays::projects(&state.pool, Some(code.as_str()), None, None, 1).await?.pop();
    let p = p.ok_or_else(|| ApiError::not_found(format!("no project has code {code}")))?;
    geojson(&project_feature(p))
}

/// `?bbox=W,S,E,N&limit=N&after=CODE`, paged by project code.
pub async fn projects(
    State(state): State<AppState>,
    _principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["bbox", "limit", "after"])?;
    let bbox = q.get("bbox").ok_or_else(|| ApiError::bad_request("give ?bbox=W,S,E,N"))?;
    let b = params::bbox(bbox)?;
    let limit = params::limit(q.get("limit"), 100, MAX_LIMIT as usize)? as i64;
    let after = q.get("after").map(|a| project_code(a)).transpose()?;
    let mut rows =
        overlays::projects(&state.pool, None, Some(b), after.as_ref().map(|a| a.as_str()), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let links: Vec<Value> = match rows.last().filter(|_| more) {
        Some(last) => vec![json!({
            "rel": "next", "type": "application/geo+json",
            "href": page_url("/api/projects", &q, &["limit", "after"], &[("limit", limit.to_string()), ("after", last.code.to_string())])
        })],
        None => vec![],
    };
    let features: Vec<Value> = rows.into_iter().map(project_feature).collect();
    geojson(
        &json!({ "type": "FeatureCollection", "numberReturned": features.len(), "features": features, "links": links }),
    )
}

pub async fn project_units(
    State(state): State<AppState>,
    _principal: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code = project_code(&code)?;
    if overlays::projects(&state.pool, Some(code.as_str()), None, None, 1).await?.is_empty() {
        return Err(ApiError::not_found(format!("no project has code {code}")));
    }
    let units = overlays::units(&state.pool, Some(code.as_str()), None).await?;
    geojson(&json!({ "project": code.as_str(), "numberReturned": units.len(), "units": units }))
}

/// A project's legal document, as stored: its bytes, type, and SHA-256 as the ETag.
pub async fn project_document(
    State(state): State<AppState>,
    _principal: Principal,
    Path((code, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let code = project_code(&code)?;
    let id: i64 = id.parse().map_err(|_| ApiError::bad_request(format!("document id `{id}` must be a number")))?;
    let doc = overlays::project_document(&state.pool, code.as_str(), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("project {code} has no document {id}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, doc.media_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", doc.file_name)),
            (header::ETAG, format!("\"{}\"", doc.sha256)),
        ],
        doc.content,
    )
        .into_response())
}

pub async fn unit(
    State(state): State<AppState>,
    _principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ProductId = id.parse()?;
    let unit = overlays::units(&state.pool, None, Some(id.as_str())).await?.pop();
    geojson(&unit.ok_or_else(|| ApiError::not_found(format!("no unit has product ID {id}")))?)
}

/// A digital address, with its administrative address written out in Vietnamese order.
pub async fn address(
    State(state): State<AppState>,
    _principal: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code: DigitalAddress = code.parse()?;
    let a = overlays::address(&state.pool, code.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no digital address has code {code}")))?;
    let street = match (&a.house_no, &a.street) {
        (Some(h), Some(s)) => Some(format!("Số {h} {s}")),
        (None, Some(s)) => Some(s.clone()),
        (Some(h), None) => Some(format!("Số {h}")),
        (None, None) => None,
    };
    let parts = [
        a.room.as_ref().map(|r| format!("Phòng {r}")),
        a.floor.as_ref().map(|f| format!("Tầng {f}")),
        a.building.as_ref().map(|b| format!("Tòa {b}")),
        street,
        Some(a.commune_name.clone()),
        Some(a.province_name.clone()),
    ];
    let administrative: Vec<String> = parts.into_iter().flatten().collect();
    geojson(&json!({
        "type": "Feature",
        "id": a.code,
        "geometry": { "type": "Point", "coordinates": [a.lon, a.lat] },
        "properties": {
            "code": a.code, "administrative_address": administrative.join(", "),
            "parcel_id": a.parcel_id, "product_id": a.product_id,
            "commune_code": a.commune_code, "commune_name": a.commune_name, "province_name": a.province_name,
            "street": a.street, "house_no": a.house_no, "building": a.building, "floor": a.floor, "room": a.room,
            "postcode": a.postcode,
        }
    }))
}
