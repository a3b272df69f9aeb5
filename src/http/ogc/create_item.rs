//! `POST /ogc/collections/{id}/items` (OGC API - Features Part 4): registers a new parcel from a
//! GeoJSON Feature (`legacy_key`, land use, geometry; the parcel ID is computed). Answers 201
//! with `Location` and `ETag`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::editing;
use crate::access::Principal;
use crate::edits::{Editor, Grounds, Mode};
use crate::http::AppState;
use crate::http::error::ApiError;

pub async fn create_item(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = editing::editor(principal, &id, "POST", false)?;
    editing::media(&headers, &["application/geo+json", "application/json"])?;
    let feature = editing::object(&body, "a GeoJSON Feature")?;
    let (properties, geometry) = editing::feature(&feature, &editing::content_crs(&headers)?, Mode::Replace)?;
    let mut editor = Editor::begin(&state.pool, &account, &format!("POST {id}")).await?;
    let (fid, tag) = match id.as_str() {
        "parcels" => {
            let geometry = geometry.ok_or_else(|| ApiError::bad_request("the feature has no geometry"))?;
            let (parcel, tag) = editor.create(&properties, geometry, &Grounds::default()).await?;
            (parcel.to_string(), Some(tag))
        }
        other => (editing::with_overlay!(other, L => editor.add_feature::<L>(&properties, geometry).await?), None),
    };
    editor.commit().await?;
    let location = format!("{}/ogc/collections/{id}/items/{}", state.public_url, super::urlencode(&fid));
    let body = serde_json::json!({ "id": fid }).to_string();
    let mut resp = (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(match tag {
        Some(tag) => editing::with_etag(resp, &tag),
        None => resp,
    })
}
