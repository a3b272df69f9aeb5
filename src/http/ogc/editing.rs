//! What the editing operations of OGC API - Features Part 4 share: who may edit which
//! collection, the feature a body carries (in CRS84 or the CRS `Content-Crs` names), `If-Match`,
//! and the entity tag of the answer.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::access::{Account, Cadastre, Principal};
use crate::crs::ApiCrs;
use crate::edits::EditGeometry;
use crate::http::error::ApiError;

/// Where edits of one item wait for each other: in the service, holding nothing, rather than on
/// the item's row lock in PostgreSQL, each holding one of the pool's connections (50 editors of
/// one parcel took every connection, and the requests queued behind them were answered 503).
/// Items share a queue when their keys fall in the same one of 256 stripes.
pub struct ItemQueues(Vec<tokio::sync::Mutex<()>>);

impl Default for ItemQueues {
    fn default() -> ItemQueues {
        ItemQueues((0..256).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

impl ItemQueues {
    /// Waits for the edits of item `fid` of collection `id` before this one; the turn lasts
    /// while the guard lives.
    pub async fn turn(&self, id: &str, fid: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(0).hash_one((id, fid));
        self.0[(h % self.0.len() as u64) as usize].lock().await
    }
}

/// Collections that take edits: parcels (versioned, with events), and the overlays each checked
/// by its import kind.
pub const EDITABLE: &[&str] = &["parcels", "planning", "projects", "units", "addresses"];

/// Runs `$body` with `$L` the overlay kind of collection `$id` (one of EDITABLE but parcels).
macro_rules! with_overlay {
    ($id:expr, $L:ident => $body:expr) => {
        match $id {
            "planning" => {
                type $L = crate::import::planning::Planning;
                $body
            }
            "projects" => {
                type $L = crate::import::market::Projects;
                $body
            }
            "units" => {
                type $L = crate::import::market::Units;
                $body
            }
            _ => {
                type $L = crate::import::market::Addresses;
                $body
            }
        }
    };
}
pub(crate) use with_overlay;

/// The methods `principal` may use on collection `id`'s items (`item`: on one item).
pub fn allowed(principal: &Principal, id: &str, item: bool) -> Vec<&'static str> {
    let mut methods = vec!["GET", "HEAD", "OPTIONS"];
    let right = match principal {
        Principal::Account(a) if EDITABLE.contains(&id) => a.cadastre,
        _ => None,
    };
    match (right, item) {
        (Some(Cadastre::Edit), true) => methods.extend(["PUT", "PATCH", "DELETE"]),
        (Some(_), false) => methods.push("POST"),
        _ => {}
    }
    methods
}

/// The account making an edit of collection `id`, if it may edit it with `method`.
pub fn editor(principal: Principal, id: &str, method: &str, item: bool) -> Result<Arc<Account>, ApiError> {
    if !EDITABLE.contains(&id) {
        let message = format!("collection '{id}' cannot be edited here; {} can", EDITABLE.join(", "));
        return Err(ApiError { status: StatusCode::METHOD_NOT_ALLOWED, message });
    }
    let allowed = allowed(&principal, id, item);
    let Principal::Account(account) = principal else {
        return Err(ApiError::unauthorized(format!("sign in with an account that may edit {id}")));
    };
    if !allowed.contains(&method) {
        return Err(ApiError::forbidden(format!(
            "account `{}` may not {method} {id}: it may {}",
            account.username,
            allowed.join(", ")
        )));
    }
    Ok(account)
}

/// The body's media type must be one of `accepted`.
pub fn media(headers: &HeaderMap, accepted: &[&str]) -> Result<(), ApiError> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    match accepted.contains(&media) {
        true => Ok(()),
        false => Err(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!("send the body as {}, not `{media}`", accepted.join(" or ")),
        }),
    }
}

/// The body as a JSON object.
pub fn object(body: &[u8], shape: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::bad_request(format!("the body must be {shape}"))),
        Err(e) => Err(ApiError::bad_request(format!("the body must be {shape}: {e}"))),
    }
}

/// The CRS of a body's geometries: `Content-Crs: <uri>`, CRS84 without it.
pub fn content_crs(headers: &HeaderMap) -> Result<ApiCrs, ApiError> {
    match headers.get("content-crs") {
        None => Ok(ApiCrs::crs84()),
        Some(v) => {
            let v = v.to_str().map_err(|_| ApiError::bad_request("Content-Crs must be text"))?;
            ApiCrs::parse(v.trim().trim_start_matches('<').trim_end_matches('>'), "Content-Crs")
                .map_err(ApiError::bad_request)
        }
    }
}

/// A GeoJSON geometry in `crs`.
pub fn geometry(value: &Value, crs: &ApiCrs) -> Result<EditGeometry, ApiError> {
    use geozero::ToGeo;
    let mut g = geozero::geojson::GeoJson(&value.to_string())
        .to_geo()
        .map_err(|e| ApiError::bad_request(format!("the geometry is not GeoJSON: {e}")))?;
    crs.east_first(&mut g);
    Ok(EditGeometry { geometry: g, crs: crs.crs().clone() })
}

/// A GeoJSON feature's properties and geometry (`feature`: the body as an object).
pub fn feature(
    feature: &Map<String, Value>,
    crs: &ApiCrs,
    mode: crate::edits::Mode,
) -> Result<(Map<String, Value>, Option<EditGeometry>), ApiError> {
    for key in feature.keys() {
        if !["type", "id", "geometry", "properties", "links", "bbox"].contains(&key.as_str()) {
            return Err(ApiError::bad_request(format!("`{key}` is not a member of a GeoJSON feature")));
        }
    }
    let whole = mode == crate::edits::Mode::Replace;
    if whole && feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::bad_request("the body must be a GeoJSON Feature (\"type\": \"Feature\")"));
    }
    let properties = match feature.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(ApiError::bad_request("`properties` must be an object")),
    };
    // Whether a kind needs a geometry is its import's rule (footprints and tables may have none);
    // a patch cannot remove one.
    let geometry = match feature.get("geometry") {
        Some(Value::Null) if !whole => return Err(ApiError::bad_request("a feature's geometry cannot be removed")),
        None | Some(Value::Null) => None,
        Some(g) => Some(geometry(g, crs)?),
    };
    Ok((properties, geometry))
}

pub fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

pub fn with_etag(mut resp: Response, tag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// PUT or PATCH of feature `fid` of collection `id`: a parcel's next version (answered with its
/// `ETag`), or an overlay feature changed in place.
pub async fn change(
    state: &crate::http::AppState,
    principal: Principal,
    headers: &HeaderMap,
    (id, fid): (&str, &str),
    mode: crate::edits::Mode,
    body: &[u8],
) -> Result<Response, ApiError> {
    use crate::edits::Mode;
    use axum::response::IntoResponse;
    let (method, media, shape) = match mode {
        Mode::Patch => (
            "PATCH",
            ["application/merge-patch+json", "application/json"],
            "a merge patch of the feature: {\"properties\": {\"land_use\": \"ODT\", …}}",
        ),
        Mode::Replace => ("PUT", ["application/geo+json", "application/json"], "a GeoJSON Feature"),
    };
    let account = editor(principal, id, method, true)?;
    self::media(headers, &media)?;
    let (properties, geometry) = feature(&object(body, shape)?, &content_crs(headers)?, mode)?;
    if mode == Mode::Patch && properties.is_empty() && geometry.is_none() {
        return Err(ApiError::bad_request("the patch changes nothing: give properties or a geometry"));
    }
    let _turn = state.item_queues.turn(id, fid).await;
    let mut editor = crate::edits::Editor::begin(&state.pool, &account, &format!("{method} {id} {fid}")).await?;
    let tag = match id {
        "parcels" => {
            let parcel: crate::domain::ParcelId = fid.parse()?;
            let grounds = crate::edits::Grounds::default();
            Some(editor.update(&parcel, if_match(headers), mode, &properties, geometry, &grounds).await?)
        }
        other => {
            with_overlay!(other, L => editor.change_feature::<L>(fid, mode, &properties, geometry).await?);
            None
        }
    };
    editor.commit().await?;
    let resp = StatusCode::NO_CONTENT.into_response();
    Ok(match tag {
        Some(tag) => with_etag(resp, &tag),
        None => resp,
    })
}
