//! `/api/requests`: data-provision requests. Anyone files one (signed in or not) and follows it by
//! its number; the registration office's accounts list, work and provide them; the provision is
//! downloaded by the holder of its link, and each download is audited as an extraction.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::{AppState, params};
use crate::access::Principal;
use crate::export::Format;
use crate::features::ItemQuery;
use crate::filter::{Bind, FIRST_PARAM, Filter};
use crate::services::requests::{self, NewRequest, Step};

const WORK: &str = "working data requests";

/// `POST /api/requests`: 201 with the request's number and deadlines.
pub async fn file(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let shape = "{\"requester_kind\": \"person\", \"requester_name\": \"…\", \"contact\": \"…\", \"purpose\": \"…\", \"parcels\": [\"<parcel ID>\"], \"layers\": [\"parcels\"], \"format\": \"gpkg\", \"delivery\": \"download\"}";
    let r: NewRequest = params::json_body(&headers, &raw, shape)?;
    let by = match &principal {
        Principal::Account(a) => Some(a.as_ref()),
        Principal::Anonymous => None,
    };
    let filed = requests::file(&state.pool, state.tiles.layers().catalog(), by, r).await?;
    let location = format!("{}/api/requests/{}", state.public_url, filed.no);
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)], axum::Json(filed)).into_response())
}

/// `GET /api/requests?state=…&overdue=true`: the requests of the office's scope.
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, WORK)?;
    let s = params::selection(&q)?;
    let found = requests::list(&state.pool, &account, &s).await?;
    Ok(axum::Json(json!({ "requests": found })).into_response())
}

/// `GET /api/requests/{no}`: in full for the office of its communes, its state and deadlines to
/// anyone else holding its number.
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(no): Path<String>,
) -> Result<Response, ApiError> {
    match principal {
        Principal::Account(a) if a.services => {
            Ok(axum::Json(requests::get(&state.pool, &a, &no).await?).into_response())
        }
        _ => Ok(axum::Json(requests::state(&state.pool, &no).await?).into_response()),
    }
}

/// `POST /api/requests/{no}/steps` with `{"step": "notify_fee", "fee_vnd": 50000}`,
/// `{"step": "record_payment", "reference": "…"}`, `{"step": "extend", "days": 5, "reason": "…"}`,
/// `{"step": "refuse", "reason": "invalid_request", "note": "…"}` or `{"step": "provide"}`.
pub async fn step(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(no): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let account = params::signed_in(principal, WORK)?;
    let step: Step = params::json_body(&headers, &raw, "{\"step\": \"notify_fee\", \"fee_vnd\": 50000}")?;
    let done = requests::step(&state.pool, &account, &no, step).await?;
    let mut body = serde_json::to_value(&done).map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(secret) = &done.download_secret {
        let links: Vec<String> = done
            .layers
            .iter()
            .map(|l| format!("{}/api/requests/{no}/data/{l}?token={secret}", state.public_url))
            .collect();
        body["downloads"] = json!(links);
    }
    Ok(axum::Json(body).into_response())
}

/// `GET /api/requests/{no}/data/{layer}?token=…`: one layer of a provision, exactly its approved
/// scope (area, parcels, date, personal fields only with owner information).
pub async fn data(
    State(state): State<AppState>,
    Path((no, layer)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["token"])?;
    let token = q.get("token").ok_or_else(|| ApiError::unauthorized("give the download link's ?token="))?;
    let p = requests::provision(&state.pool, &no, token).await?;
    let not_in = || ApiError::not_found(format!("request {no} does not include layer `{layer}`"));
    if !p.layers.contains(&layer) {
        return Err(not_in());
    }
    let (_, spec) = state.tiles.layers().catalog().find(&layer, p.view.audience).ok_or_else(not_in)?;
    let mut sql = format!("ST_Intersects(f.geom, ST_GeomFromWKB(${FIRST_PARAM}, 4326))");
    let mut binds = vec![Bind::Geometry(p.area)];
    if !p.parcels.is_empty() && spec.feature_id.as_deref() == Some("parcel_id") {
        sql.push_str(&format!(" AND f.props->>'parcel_id' = ANY (${})", FIRST_PARAM + 1));
        binds.push(Bind::Texts(p.parcels));
    }
    let query = ItemQuery { filter: Some(Filter { sql, binds }), on: Some(p.as_of), limit: 1, ..Default::default() };
    let format = Format::parse(&p.format).ok_or_else(|| ApiError::internal(format!("stored format {}", p.format)))?;
    let crs = crate::crs::ApiCrs::crs84();
    let file =
        crate::export::export(crate::features::Source::database(&state.pool), spec, &p.view, query, &crs, format)
            .await
            .map_err(|e| ApiError::from(e.fault()))?;
    let actor = format!("request:{no}");
    let object = format!("request {no}: layer {layer} as of {}", p.as_of.to_rfc3339());
    let entry = crate::audit::Entry {
        actor: &actor,
        roles: &[],
        action: "extract data",
        object: &object,
        outcome: 200,
        request_id: None,
        address: None,
    };
    crate::audit::append(&mut *state.pool.acquire().await?, &entry).await?;
    Ok(super::download(file, &format!("{no}-{layer}"), format))
}
