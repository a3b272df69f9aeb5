//! `GET /ogc/collections/{id}/items`: a page of features, or a download of all that match.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::openapi::{self, ITEMS};
use super::{GEOJSON, crs_param, find, link, respond, with_crs};
use crate::access::Principal;
use crate::catalog::FieldType;
use crate::crs::CRS84;
use crate::export::{self, Format};
use crate::fault::Fault;
use crate::features::{self, DEFAULT_LIMIT, ItemQuery, MAX_LIMIT, MAX_OFFSET};
use crate::filter::{self, Lang};
use crate::http::error::ApiError;
use crate::http::paging::page_url;
use crate::http::{AppState, params};

pub async fn items(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (layer, spec) = find(&state, &id, principal.audience())?;
    let view = principal.view();
    let audience = view.audience;
    // Besides the table's parameters, each visible property filters by equality (Part 1).
    let mut allowed = openapi::names(ITEMS);
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
    // On a layer that keeps history an instant shows the layer as it was; elsewhere the layers
    // hold current data, so every feature matches any datetime.
    let on = match (q.get("datetime"), &spec.sql_on) {
        (Some(d), Some(_)) if d.contains('/') => {
            return Err(ApiError::bad_request(format!(
                "datetime `{d}`: {} is shown as of one instant or date; intervals are not offered",
                spec.name
            )));
        }
        (Some(d), Some(_)) => Some(params::moment(d, "datetime")?),
        (Some(d), None) => params::datetime(d).map(|_| None)?,
        (None, _) => None,
    };
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
            Some(c.bbox_to_crs84(n).map_err(ApiError::from)?)
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
    let sorted_beyond_open = spec.beyond_open(sort.iter().map(|(name, ..)| name.as_str()));
    let (filter, matcher) = filter::compile(conditions, spec, &view, &crs_param(&q, "filter-crs")?, sorted_beyond_open)
        .map_err(|e| match e {
            Fault::Caller(m) => ApiError::bad_request(format!("filter: {m}")),
            server => ApiError::from(server),
        })?;
    if !q.contains_key("filter") && (q.contains_key("filter-lang") || q.contains_key("filter-crs")) {
        return Err(ApiError::bad_request("filter-lang and filter-crs go with a filter"));
    }
    let sorted = !sort.is_empty();
    let query = ItemQuery { bbox, limit, after, properties, sort, offset, filter, matcher, on };
    if let Some(format) = download {
        // Files keep GIS axis order (longitude or easting first) whatever the CRS.
        let crs = crs.clone().spelled(&crs.uri, false);
        let file = export::export(state.features(layer), spec, &view, query, &crs, format)
            .await
            .map_err(|e| ApiError::from(e.fault()))?;
        return Ok(with_crs(crate::http::download(file, &id, format), &crs));
    }
    let (items, matched) = features::items(state.features(layer), spec, &view, &query, &crs)
        .await
        .map_err(|e| ApiError::from(e.fault()))?;
    let href = format!("{}/ogc/collections/{id}/items", state.public_url);
    // Paging carries on by key in the default order, by offset when sorted.
    let with = |page: Option<(&str, String)>| {
        let set: Vec<(&str, String)> = std::iter::once(("limit", limit.to_string())).chain(page).collect();
        page_url(&href, &q, &["after", "offset", "limit"], &set)
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
