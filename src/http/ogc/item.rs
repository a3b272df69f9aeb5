//! `GET /ogc/collections/{id}/items/{fid}`: one feature.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::openapi::ITEM;
use super::{GEOJSON, JSON, check, crs_param, find, link, respond, urlencode, with_crs};
use crate::access::Principal;
use crate::features::{self};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, ITEM)?;
    let (_, spec) = find(&state, &id, principal.audience())?;
    let crs = crs_param(&q, "crs")?;
    let Some(item) = features::item(&state.pool, spec, &principal.view(), &fid, &crs)
        .await
        .map_err(|e| ApiError::from(e.fault()))?
    else {
        return Err(ApiError::not_found(format!("collection '{id}' has no feature '{fid}'")));
    };
    let href = format!("{}/ogc/collections/{id}", state.public_url);
    let mut feature = item.feature;
    feature["links"] = json!([
        link(format!("{href}/items/{}", urlencode(&fid)), "self", GEOJSON, "This feature"),
        link(href, "collection", JSON, &spec.title),
    ]);
    let mut resp = with_crs(respond(&q, &headers, GEOJSON, &feature), &crs);
    // Editable features carry the strong tag of their version, for If-Match.
    if id == "parcels"
        && let Ok(tag) = axum::http::HeaderValue::from_str(&crate::edits::etag(item.key))
    {
        resp.headers_mut().insert(axum::http::header::ETAG, tag);
    }
    Ok(resp)
}
