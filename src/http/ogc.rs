//! `/ogc`: OGC API - Features, Part 1 (core, GeoJSON, OpenAPI 3.0) over every catalog layer.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::identity::Caller;
use super::{AppState, params};
use crate::export::{self, ExportError, Format};
use crate::filter::{self, Lang};
use crate::ogc::api::{self, DEFAULT_LIMIT, ITEM, ITEMS, MAX_LIMIT, MAX_OFFSET, OTHER};
use crate::ogc::{self as features, ApiCrs, CRS84, FeatureError, ItemQuery};
use crate::tiles::catalog::{FieldType, LayerSpec};

const JSON: &str = "application/json";
const GEOJSON: &str = "application/geo+json";
const SCHEMA: &str = "application/schema+json";
const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

fn link(href: String, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

fn json_as(media: &'static str, body: &Value) -> Response {
    ([(header::CONTENT_TYPE, media)], body.to_string()).into_response()
}

/// Checks the parameters an endpoint takes, and `f`.
fn check(q: &HashMap<String, String>, allowed: &[api::Param]) -> Result<(), ApiError> {
    params::only(q, &api::names(allowed))?;
    match q.get("f").map(String::as_str) {
        None | Some("json") | Some("html") => Ok(()),
        Some(f) => Err(ApiError::bad_request(format!("f `{f}` is not offered: use f=json or f=html"))),
    }
}

/// JSON, or the same document as an HTML page for a browser (`f=html`, or `Accept: text/html`
/// without `f`).
fn respond(q: &HashMap<String, String>, headers: &HeaderMap, media: &'static str, body: &Value) -> Response {
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
fn page(doc: &Value) -> String {
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

pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let base = format!("{}/ogc", state.public_url);
    Ok(respond(
        &q,
        &headers,
        JSON,
        &json!({
            "title": "diachinh — OGC API - Features",
            "description": "Vietnam's land database and housing & real-estate market database: open data view.",
            "links": [
                link(base.clone(), "self", JSON, "This document"),
                link(format!("{base}/api"), "service-desc", OPENAPI, "The API definition"),
                link(format!("{base}/api.html"), "service-doc", "text/html", "The API documentation"),
                link(format!("{base}/conformance"), "conformance", JSON, "Conformance classes"),
                link(format!("{base}/collections"), "data", JSON, "Collections"),
            ]
        }),
    ))
}

pub async fn openapi(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    Ok(json_as(OPENAPI, &api::openapi(&state.public_url, state.tiles.layers().catalog(), caller.audience())))
}

/// The API documentation: the OpenAPI document's paths and parameters as a page.
pub async fn openapi_html(State(state): State<AppState>, caller: Caller) -> Html<String> {
    let doc = api::openapi(&state.public_url, state.tiles.layers().catalog(), caller.audience());
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

/// Text for an element or a quoted attribute.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub async fn conformance(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    Ok(respond(&q, &headers, JSON, &json!({ "conformsTo": api::CONFORMANCE })))
}

fn collection_json(state: &AppState, base: &str, index: usize, spec: &LayerSpec) -> Value {
    let href = format!("{base}/collections/{}", spec.name);
    let bbox = state.tiles.layers().bounds(&[index]).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
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
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let base = format!("{}/ogc", state.public_url);
    let catalog = state.tiles.layers().catalog();
    let collections: Vec<Value> =
        catalog.layers.iter().enumerate().map(|(i, spec)| collection_json(&state, &base, i, spec)).collect();
    Ok(respond(
        &q,
        &headers,
        JSON,
        &json!({ "links": [link(format!("{base}/collections"), "self", JSON, "Collections")], "collections": collections }),
    ))
}

fn find<'a>(state: &'a AppState, id: &str) -> Result<(usize, &'a LayerSpec), ApiError> {
    let catalog = state.tiles.layers().catalog();
    catalog
        .layers
        .iter()
        .enumerate()
        .find(|(_, l)| l.name == id)
        .ok_or_else(|| ApiError::not_found(format!("no collection '{id}'; collections: {}", catalog.names())))
}

pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let (index, spec) = find(&state, &id)?;
    Ok(respond(&q, &headers, JSON, &collection_json(&state, &format!("{}/ogc", state.public_url), index, spec)))
}

/// `/schema` and `/queryables`: the properties the caller sees, as JSON Schema.
pub async fn schema(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, which)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, OTHER)?;
    let (_, spec) = find(&state, &id)?;
    if which != "schema" && which != "queryables" {
        return Err(ApiError::not_found(format!("collection '{id}' has items, schema and queryables, not '{which}'")));
    }
    let mut properties: serde_json::Map<String, Value> = spec
        .visible_fields(caller.audience())
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

pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (_, spec) = find(&state, &id)?;
    let audience = caller.audience();
    // Besides the table's parameters, each visible property filters by equality (Part 1).
    let mut allowed = api::names(ITEMS);
    allowed.extend(spec.visible_fields(audience).map(|(_, f)| f.name.as_str()));
    params::only(&q, &allowed)?;
    // Items also come as files to download.
    let download = match q.get("f").map(String::as_str) {
        None | Some("json") | Some("html") => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            ApiError::bad_request(format!("f `{f}` is not offered: use json, html or a download: {}", Format::NAMES))
        })?),
    };
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::bad_request(format!("limit `{l}` must be a whole number of at least 1")))?
            .min(MAX_LIMIT),
    };
    let after = q
        .get("after")
        .map(|a| a.parse::<i64>().map_err(|_| ApiError::bad_request(format!("after `{a}` is not a paging key"))))
        .transpose()?;
    if let Some(d) = q.get("datetime") {
        params::datetime(d)?;
    }
    let crs = crs_param(&q, "crs")?;
    // A 3D box (W,S,low,E,N,high) filters by its footprint: the layers are 2D.
    let flat = q.get("bbox").map(|b| match b.split(',').collect::<Vec<_>>()[..] {
        [w, s, _, e, n, _] => [w, s, e, n].join(","),
        _ => b.clone(),
    });
    let bbox = match (flat, crs_param(&q, "bbox-crs")?) {
        (None, _) => None,
        (Some(b), c) if c.uri == CRS84 => Some(params::bbox(&b)?),
        (Some(b), c) => {
            let n = params::numbers::<4>(&b, "bbox", "W,S,E,N (or S,W,N,E for EPSG:4326)")?;
            Some(c.bbox_to_crs84(n).map_err(ApiError::bad_request)?)
        }
    };
    // A property the caller may see, named in parameter `param`.
    let field = |param: &str, name: &str| {
        spec.visible_field(audience, name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{param}: `{name}` is not a property of '{id}'; see /ogc/collections/{id}/schema"
            ))
        })
    };
    let properties = q
        .get("properties")
        .map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| field("properties", n).map(|f| f.name.clone()))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let sort = q
        .get("sortby")
        .map(|s| {
            s.split(',')
                .map(|k| {
                    let k = k.trim();
                    let (desc, name) = match k.strip_prefix('-') {
                        Some(n) => (true, n),
                        None => (false, k.strip_prefix('+').unwrap_or(k)),
                    };
                    field("sortby", name).map(|f| (f.name.clone(), f.kind, desc))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let offset = match q.get("offset") {
        None => 0,
        Some(o) => o.parse::<usize>().ok().filter(|n| *n <= MAX_OFFSET).ok_or_else(|| {
            ApiError::bad_request(format!("offset `{o}` must be a whole number from 0 to {MAX_OFFSET}"))
        })?,
    };
    if after.is_some() && !sort.is_empty() {
        return Err(ApiError::bad_request("after pages the default order; with sortby, page with offset"));
    }
    // Each visible property given as a parameter must equal it (Part 1), and the filter hold.
    let mut conditions: Vec<cql2::Expr> = spec
        .visible_fields(audience)
        .filter_map(|(_, f)| {
            let v = q.get(&f.name)?;
            let value = match f.kind {
                FieldType::String => cql2::Expr::Literal(v.clone()),
                _ => v.parse::<f64>().map_or_else(|_| cql2::Expr::Literal(v.clone()), cql2::Expr::Float),
            };
            Some(filter::equals(&f.name, value))
        })
        .collect();
    if let Some(text) = q.get("filter") {
        let lang =
            Lang::parse(q.get("filter-lang").map_or("cql2-text", String::as_str)).map_err(ApiError::bad_request)?;
        conditions.push(filter::parse(text, lang).map_err(ApiError::bad_request)?);
    }
    let filter = filter::to_sql(conditions, spec, audience, &crs_param(&q, "filter-crs")?)
        .map_err(|e| ApiError::bad_request(format!("filter: {e}")))?;
    if !q.contains_key("filter") && (q.contains_key("filter-lang") || q.contains_key("filter-crs")) {
        return Err(ApiError::bad_request("filter-lang and filter-crs go with a filter"));
    }
    let sorted = !sort.is_empty();
    let query = ItemQuery { bbox, limit, after, properties, sort, offset, filter };
    if let Some(format) = download {
        // Files keep GIS axis order (longitude or easting first) whatever the CRS.
        let crs = crs.clone().spelled(&crs.uri, false);
        let file = export::export(&state.pool, spec, audience, query, &crs, format).await.map_err(export_error)?;
        return Ok(with_crs(super::download(file, &id, format), &crs));
    }
    let (items, matched) = features::items(&state.pool, spec, audience, &query, &crs).await.map_err(feature_error)?;
    let href = format!("{}/ogc/collections/{id}/items", state.public_url);
    // Paging carries on by key in the default order, by offset when sorted.
    let with = |page: Option<(&str, String)>| {
        let mut pairs: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| !["after", "offset", "limit"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("limit".into(), limit.to_string()));
        pairs.extend(page.map(|(k, v)| (k.to_owned(), v)));
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        format!("{href}?{}", query.join("&"))
    };
    let this = match (sorted, after) {
        (true, _) if offset > 0 => Some(("offset", offset.to_string())),
        (false, Some(a)) => Some(("after", a.to_string())),
        _ => None,
    };
    let mut links = vec![link(with(this), "self", GEOJSON, "This page")];
    if items.len() == limit
        && let Some(last) = items.last()
        && (!sorted || offset + limit <= MAX_OFFSET)
    {
        let next = if sorted { ("offset", (offset + limit).to_string()) } else { ("after", last.key.to_string()) };
        links.push(link(with(Some(next)), "next", GEOJSON, "Next page"));
    }
    let body = json!({
        "type": "FeatureCollection",
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "numberMatched": matched,
        "numberReturned": items.len(),
        "features": items.into_iter().map(|i| i.feature).collect::<Vec<_>>(),
        "links": links,
    });
    Ok(with_crs(respond(&q, &headers, GEOJSON, &body), &crs))
}

fn crs_param(q: &HashMap<String, String>, name: &str) -> Result<ApiCrs, ApiError> {
    q.get(name).map_or(Ok(ApiCrs::crs84()), |c| ApiCrs::parse(c, name).map_err(ApiError::bad_request))
}

fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::Feature(e) => feature_error(e),
        ExportError::Gdal(m) => ApiError::internal(m),
        e => ApiError::bad_request(e.to_string()),
    }
}

fn feature_error(e: FeatureError) -> ApiError {
    match e {
        e if e.is_timeout() => {
            ApiError::bad_request("the query ran past its 10 s limit: narrow it with bbox or filter")
        }
        FeatureError::Database(e) => e.into(),
        FeatureError::Geometry(m) => ApiError::bad_request(m),
    }
}

/// Part 2: the response says which CRS its coordinates are in.
fn with_crs(mut resp: Response, crs: &ApiCrs) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("<{}>", crs.uri)) {
        resp.headers_mut().insert("content-crs", v);
    }
    resp
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    check(&q, ITEM)?;
    let (_, spec) = find(&state, &id)?;
    let crs = crs_param(&q, "crs")?;
    let Some(item) = features::item(&state.pool, spec, caller.audience(), &fid, &crs).await.map_err(feature_error)?
    else {
        return Err(ApiError::not_found(format!("collection '{id}' has no feature '{fid}'")));
    };
    let href = format!("{}/ogc/collections/{id}", state.public_url);
    let mut feature = item.feature;
    feature["links"] = json!([
        link(format!("{href}/items/{}", urlencode(&fid)), "self", GEOJSON, "This feature"),
        link(href, "collection", JSON, &spec.title),
    ]);
    Ok(with_crs(respond(&q, &headers, GEOJSON, &feature), &crs))
}
