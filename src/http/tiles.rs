//! Vector tiles, TileJSON, the tile catalog and the MapLibre styles.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, params};
use crate::access::Principal;
use crate::catalog::{Audience, FieldType, LayerSpec};
use crate::tiles::TileId;

const MVT: &str = "application/vnd.mapbox-vector-tile";

/// TileJSON's opening zooms: from the first at which parcels are drawn to street level.
const OPENING_ZOOMS: (u8, u8) = (14, 18);

fn layer_set(state: &AppState, set: &str, audience: Audience) -> Result<Vec<usize>, ApiError> {
    state.tiles.layers().catalog().parse_set(set, audience).map_err(ApiError::not_found)
}

/// A past moment to draw the map at (`?on=DATE` or an instant), if the query names one before now;
/// a moment to come shows the map as it is.
fn past(q: &std::collections::HashMap<String, String>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    params::only(q, &["on"])?;
    let on = q.get("on").map(|d| params::moment(d, "on")).transpose()?;
    Ok(on.filter(|t| *t < chrono::Utc::now()))
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt[?on=DATE]`
pub async fn tile(
    State(state): State<AppState>,
    principal: Principal,
    Path((set, z, x, file)): Path<(String, String, String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layers = layer_set(&state, &set, principal.audience())?;
    let on = past(&q)?;
    let Some(y) = file.strip_suffix(".mvt") else {
        return Err(ApiError::not_found(format!("tiles are `{{y}}.mvt`, not `{file}`")));
    };
    let number = |s: &str, what: &str| {
        s.parse::<u32>().map_err(|_| ApiError::bad_request(format!("tile {what} `{s}` is not a whole number")))
    };
    let tile =
        TileId::new(number(&z, "zoom")?, number(&x, "column")?, number(y, "row")?).map_err(ApiError::bad_request)?;
    let catalog = state.tiles.layers().catalog();
    let specs: Vec<&LayerSpec> = layers.iter().map(|l| &catalog.layers[*l]).collect();
    let (lo, hi) = zoom_range(&specs);
    if !(lo..=hi).contains(&tile.z) {
        return Err(ApiError::bad_request(format!("zoom {} is outside the range {lo}-{hi} of {set}", tile.z)));
    }
    let view = principal.view();
    // The past does not change: a day in caches is as good as forever.
    let max_age = match on {
        Some(_) => 86_400,
        None => specs.iter().filter(|s| s.has_zoom(tile.z)).map(|s| s.max_age_s).min().unwrap_or(0),
    };
    // Only open data may sit in shared caches.
    let cache_control = match view.is_open() {
        true => format!("public, max-age={max_age}"),
        false => format!("private, max-age={max_age}"),
    };
    let cut = match on {
        None => state.tiles.get(&layers, tile, &view).await.map_err(anyhow::Error::from),
        Some(on) => state.tiles.get_past(state.reads.pool(), &layers, tile, &view, on).await,
    };
    let (t, hit) = cut.map_err(|e| ApiError::internal(format!("cutting tile {set}/{z}/{x}/{y}: {e:#}")))?;
    let etag = HeaderValue::from_str(&t.etag).map_err(|e| ApiError::internal(e.to_string()))?;
    let cache_control = HeaderValue::from_str(&cache_control).map_err(|e| ApiError::internal(e.to_string()))?;
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim() == "*" || v.trim().trim_start_matches("W/") == t.etag.trim_start_matches("W/"));
    let head = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, cache_control),
        // A shared cache keeps the open tile apart from what a signed-in caller is shown.
        (header::VARY, HeaderValue::from_static("Accept-Encoding, Authorization, Cookie")),
        (HeaderName::from_static("x-cache"), HeaderValue::from_static(if hit { "hit" } else { "miss" })),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, head).into_response());
    }
    // Compressed once per tile and coding, kept with the cached tile; the compression layer
    // leaves a response that names its coding alone.
    let Some(coding) = super::preferred_coding(&headers) else {
        return Ok((head, [(header::CONTENT_TYPE, MVT)], t.bytes.clone()).into_response());
    };
    let bytes = match t.coded(coding) {
        Some(bytes) => bytes,
        None => tokio::task::spawn_blocking(move || t.code(coding))
            .await
            .map_err(|e| ApiError::internal(format!("compressing tile {set}/{z}/{x}/{y}: {e}")))?,
    };
    let coded = [(header::CONTENT_TYPE, MVT), (header::CONTENT_ENCODING, coding.name())];
    Ok((head, coded, bytes).into_response())
}

fn zoom_range(specs: &[&LayerSpec]) -> (u8, u8) {
    (specs.iter().map(|s| s.minzoom).min().unwrap_or(0), specs.iter().map(|s| s.maxzoom).max().unwrap_or(0))
}

/// `GET /tiles/{layers}.json`: TileJSON 3.0.
pub async fn tilejson(
    State(state): State<AppState>,
    principal: Principal,
    Path(spec): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let Some(set) = spec.strip_suffix(".json") else {
        return Err(ApiError::not_found(format!(
            "`/tiles/{spec}`: ask for `/tiles/{{layers}}.json` (TileJSON) or `/tiles/{{layers}}/{{z}}/{{x}}/{{y}}.mvt`"
        )));
    };
    Ok(axum::Json(tilejson_of(&state, &principal, set, &q)?).into_response())
}

/// The TileJSON of layer set `set` (`admin,parcels`) as `principal` sees it, of a past moment
/// when `q` names one.
fn tilejson_of(
    state: &AppState,
    principal: &Principal,
    set: &str,
    q: &std::collections::HashMap<String, String>,
) -> Result<Value, ApiError> {
    // Tiles of a past moment: the template carries it.
    let on = past(q)?.and(q.get("on")).map(|d| format!("?on={}", crate::http::ogc::urlencode(d))).unwrap_or_default();
    let layers = layer_set(state, set, principal.audience())?;
    let all = state.tiles.layers();
    let specs: Vec<&LayerSpec> = layers.iter().map(|l| &all.catalog().layers[*l]).collect();
    let (minzoom, maxzoom) = zoom_range(&specs);
    let bounds = all.bounds(&layers).unwrap_or([-180.0, -85.051_128, 180.0, 85.051_128]);
    // Open framed on where the data is densest, at a zoom that draws parcels: framing all of
    // it would show specks where areas lie far apart.
    let [w, s, e, n] = all.densest(&layers, OPENING_ZOOMS.0).unwrap_or(bounds);
    let width = (e - w).max(n - s).max(1e-9);
    // The zoom at which that extent fills about a 700-pixel window.
    let zoom = ((360.0 * 700.0 / 512.0 / width).log2().floor() as u8).clamp(OPENING_ZOOMS.0, OPENING_ZOOMS.1);
    let zoom = zoom.clamp(minzoom, maxzoom);
    let audience = principal.audience();
    Ok(json!({
        "tilejson": "3.0.0",
        "name": set,
        "description": specs.iter().map(|s| s.title.as_str()).collect::<Vec<_>>().join("; "),
        "scheme": "xyz",
        "tiles": [format!("{}/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt{on}", state.public_url)],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": [(w + e) / 2.0, (s + n) / 2.0, zoom],
        "vector_layers": specs.iter().map(|s| s.vector_layer(audience)).collect::<Vec<_>>(),
        "tilestats": tilestats(all, &layers),
    }))
}

/// The categories present in the layers, in the `tilestats` form of mapbox-geostats (which the
/// web map's legends read to list only the codes the data holds): the distinct values, up to
/// 100, of each public text field. Public fields only: the values of personal fields, counted
/// over every row, would tell what a view's scope hides.
fn tilestats(all: &crate::index::layers::Layers, layers: &[usize]) -> Value {
    let stats: Vec<Value> = layers
        .iter()
        .map(|l| {
            let spec = &all.catalog().layers[*l];
            let attributes: Vec<Value> = spec
                .visible_fields(Audience::Public)
                .filter(|(_, f)| f.kind == FieldType::String)
                .filter_map(|(i, f)| {
                    let values = all.categories(*l, i, 100)?;
                    Some(json!({ "attribute": f.name, "type": "string", "count": values.len(), "values": values }))
                })
                .collect();
            json!({ "layer": spec.name, "count": all.read(*l).len(), "attributes": attributes })
        })
        .collect();
    json!({ "layerCount": stats.len(), "layers": stats })
}

/// `GET /tiles`: every layer, its zoom range, fields and TileJSON.
pub async fn catalog(State(state): State<AppState>, principal: Principal) -> axum::Json<Value> {
    let base = &state.public_url;
    let audience = principal.audience();
    let layers: Vec<Value> = state
        .tiles
        .layers()
        .catalog()
        .for_audience(audience)
        .map(|(_, s)| {
            let mut v = s.vector_layer(audience);
            v["tilejson"] = json!(format!("{base}/tiles/{}.json", s.name));
            v
        })
        .collect();
    axum::Json(
        json!({ "layers": layers, "styles": state.styles.keys().map(|n| format!("{base}/styles/{n}.json")).collect::<Vec<_>>() }),
    )
}

/// `GET /styles/{name}.json`: a style from `styles/`, its sources' URLs made absolute.
pub async fn style(
    State(state): State<AppState>,
    principal: Principal,
    Path(file): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    if name == MAP_STYLE {
        return Ok(axum::Json(map_style(&state, &principal, &q)?).into_response());
    }
    let Some(style) = state.styles.get(name) else {
        let mut names: Vec<&str> = state.styles.keys().map(String::as_str).collect();
        names.push(MAP_STYLE);
        return Err(ApiError::not_found(format!("no style '{name}'; styles: {}", names.join(", "))));
    };
    let mut style = style.clone();
    let base = &state.public_url;
    if let Some(sources) = style.get_mut("sources").and_then(Value::as_object_mut) {
        for source in sources.values_mut() {
            if let Some(url) = source.get("url").and_then(Value::as_str).filter(|u| u.starts_with('/')) {
                source["url"] = json!(format!("{base}{url}"));
            }
        }
    }
    Ok(axum::Json(style).into_response())
}

/// The web map's style, `/styles/map.json`: the one request the map waits for before it starts.
const MAP_STYLE: &str = "map";
/// The styles whose own layers (`{name}-…`) the web map adds over the cadastral base.
const OVERLAYS: [&str; 4] = ["planning", "pricing", "ownership", "market"];
/// Every layer the web map draws, from one tile source.
const MAP_TILESET: &str = "admin,parcels,planning,pricing,ownership,projects,market";

/// The cadastral style with every overlay's layers (hidden: the map's panel shows them) under
/// its boundaries, all on one tile source written out from its TileJSON (so the map asks for no
/// TileJSON before its tiles), opening where the data is densest; the TileJSON itself, which the
/// legends read, rides in `metadata`.
fn map_style(
    state: &AppState,
    principal: &Principal,
    q: &std::collections::HashMap<String, String>,
) -> Result<Value, ApiError> {
    let tilejson = tilejson_of(state, principal, MAP_TILESET, q)?;
    let mut style =
        state.styles.get("cadastral").cloned().ok_or_else(|| ApiError::not_found("no style 'cadastral'"))?;
    let overlays: Vec<Value> = OVERLAYS
        .iter()
        .filter_map(|name| Some((name, state.styles.get(*name)?.get("layers")?.as_array()?)))
        .flat_map(|(name, layers)| {
            layers.iter().filter(move |l| l["id"].as_str().is_some_and(|id| id.starts_with(&format!("{name}-"))))
        })
        .map(|l| {
            let mut l = l.clone();
            l["source"] = json!("diachinh");
            l["layout"]["visibility"] = json!("none");
            l
        })
        .collect();
    if let Some(layers) = style.get_mut("layers").and_then(Value::as_array_mut) {
        let top = layers.iter().position(|l| l["id"] == "communes-line").unwrap_or(layers.len());
        layers.splice(top..top, overlays);
    }
    style["sources"] = json!({ "diachinh": {
        "type": "vector",
        "tiles": tilejson["tiles"],
        "minzoom": tilejson["minzoom"],
        "maxzoom": tilejson["maxzoom"],
        "bounds": tilejson["bounds"],
    }});
    style["center"] = json!([tilejson["center"][0], tilejson["center"][1]]);
    style["zoom"] = tilejson["center"][2].clone();
    style["metadata"] = json!({ "diachinh:tilejson": tilejson });
    Ok(style)
}

/// Every `*.json` style of `dir` (the built-in ones without), by file stem.
pub fn load_styles(dir: Option<&std::path::Path>) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for file in crate::bundled::styles(dir)? {
        let style: Value = serde_json::from_str(&file.text).map_err(|e| format!("{}: {e}", file.origin))?;
        out.insert(file.stem, style);
    }
    Ok(out)
}
