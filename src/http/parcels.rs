//! `/api/parcels`: one parcel by code, parcels at a point or in a bbox, a parcel's neighbours.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use geozero::ToJson;
use serde::Serialize;
use serde_json::value::RawValue;

use super::error::ApiError;
use super::{AppState, geojson, params};
use crate::access::{Audience, Principal};
use crate::domain::{ParcelCode, ParcelId};
use crate::http::paging::page_url;
use crate::index::{Parcel, ParcelIndex};
use crate::pricing;
use crate::storage::{self, overlays};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Serialize)]
pub struct Feature<'a, P: Serialize = &'a Parcel> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a ParcelId,
    geometry: Box<RawValue>,
    properties: P,
}

impl<'a> Feature<'a> {
    fn of(p: &'a Parcel) -> Result<Self, ApiError> {
        Self::with(p, p)
    }
}

impl<'a, P: Serialize> Feature<'a, P> {
    /// The parcel's geometry with other properties.
    fn with(p: &'a Parcel, properties: P) -> Result<Self, ApiError> {
        let json = geo::Geometry::MultiPolygon(p.geom().clone())
            .to_json()
            .and_then(|s| RawValue::from_string(s).map_err(|e| geozero::error::GeozeroError::Geometry(e.to_string())))
            .map_err(|e| ApiError::internal(format!("geometry of {}: {e}", p.parcel_id)))?;
        Ok(Feature { kind: "Feature", id: &p.parcel_id, geometry: json, properties })
    }
}

#[derive(Serialize)]
pub struct Link {
    href: String,
    rel: &'static str,
    #[serde(rename = "type")]
    media_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    number_returned: usize,
    features: Vec<Feature<'a>>,
    links: Vec<Link>,
}

/// Serialises while the caller still holds the index lock, which must not outlive the handler.
fn collection(parcels: &[&Arc<Parcel>], links: Vec<Link>) -> Result<Response, ApiError> {
    let features = parcels.iter().map(|p| Feature::of(p)).collect::<Result<Vec<_>, _>>()?;
    geojson(&Collection { kind: "FeatureCollection", number_returned: features.len(), features, links })
}

fn find<'a>(idx: &'a ParcelIndex, code: &str) -> Result<&'a Arc<Parcel>, ApiError> {
    let code: ParcelCode = code.parse()?;
    let found = match &code {
        ParcelCode::Id(id) => idx.by_id(id),
        ParcelCode::Legacy(key) => idx.by_key(key),
    };
    found.ok_or_else(|| {
        ApiError::not_found(match code {
            ParcelCode::Id(id) => format!("no current parcel has parcel ID {id}"),
            ParcelCode::Legacy(key) => format!("no current parcel has legacy key {key}"),
        })
    })
}

/// The parcel card: the parcel with what the overlays say of it (planning zones and shares, its
/// price explained, its ownership category, its project and units count). `?on=DATE` (or an
/// RFC 3339 instant) shows the parcel as it was then, priced on that day; `?price_on=DATE` prices
/// it on another day. A parcel no longer current answers 404 naming the parcels it became.
pub async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    params::only(&q, &["on", "price_on"])?;
    let db = state.reads.pool();
    let (parcel, mut day) = match q.get("on") {
        Some(on) => {
            let at = params::moment(on, "on")?;
            let parsed: ParcelCode = code.parse()?;
            let rows = storage::parcels::on(db, at, lookup(&parsed)).await?;
            let row = rows.into_iter().next().ok_or_else(|| {
                ApiError::not_found(format!("no parcel had code {code} on {on} (see /api/parcels/{code}/history)"))
            })?;
            let vietnam = chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
            (
                Arc::new(Parcel::from_row(row, None).map_err(ApiError::internal)?),
                at.with_timezone(&vietnam).date_naive(),
            )
        }
        None => {
            let found = find(&state.index.read(), &code).map(Arc::clone);
            (no_longer_current(&state, &code, found).await?, chrono::Local::now().date_naive())
        }
    };
    if let Some(d) = q.get("price_on") {
        day = params::date(d, "price_on")?;
    }
    let pid = parcel.parcel_id.as_str();
    let (project, units) = overlays::parcel_market(db, parcel.uid).await?;
    // Holders only for a role that sees personal data, and only in its scope (by the commune the
    // parcel was recorded under, or the one it now belongs to).
    let view = principal.view();
    let personal = [Some(&*parcel.commune_code_recorded), parcel.commune_code.as_deref()]
        .into_iter()
        .any(|c| view.audience_for(c) >= Audience::Personal);
    let holders = match personal {
        true => Some(overlays::parcel_holders(db, pid).await?),
        false => None,
    };
    // Registered security interests, for the roles that keep the registry, in their scope.
    let keeps_registry = match &principal {
        Principal::Account(a) => {
            a.security_interests
                && a.covers(
                    [Some(&*parcel.commune_code_recorded), parcel.commune_code.as_deref()].into_iter().flatten(),
                )
        }
        Principal::Anonymous => false,
    };
    let encumbered_since = match keeps_registry {
        true => {
            let mut conn = db.acquire().await?;
            crate::edits::mortgages::active(&mut conn, &[pid.to_owned()]).await?.first().map(|(_, _, at)| *at)
        }
        false => None,
    };
    let card = Card {
        parcel: &parcel,
        planning: overlays::parcel_planning(db, parcel.uid).await?,
        price: pricing::explain(db, &parcel, day).await?,
        ownership: overlays::ownership(db, pid).await?,
        project,
        units,
        holders,
        encumbered_since,
    };
    geojson(&Feature::with(&parcel, card)?)
}

/// A parcel the index does not hold: PostGIS's current version if there is one (an edit the
/// index has not caught up with yet); else, when its ID was split, merged or retired away, a 404
/// naming the current parcels it became.
async fn no_longer_current(
    state: &AppState,
    code: &str,
    found: Result<Arc<Parcel>, ApiError>,
) -> Result<Arc<Parcel>, ApiError> {
    let Err(mut e) = found else {
        return found;
    };
    let Ok(parsed) = code.parse::<ParcelCode>() else {
        return Err(e);
    };
    if let Some(row) = storage::parcels::on(&state.pool, chrono::Utc::now(), lookup(&parsed)).await?.into_iter().next()
    {
        return Ok(Arc::new(Parcel::from_row(row, None).map_err(ApiError::internal)?));
    }
    if let ParcelCode::Id(id) = parsed
        && let Some(h) = crate::edits::history::history(&state.pool, &id, false).await?
    {
        e.message = match h.successors.is_empty() {
            true => format!("parcel {id} is no longer current: it was retired (see /api/parcels/{id}/history)"),
            false => format!(
                "parcel {id} is no longer current: it became {} (see /api/parcels/{id}/history)",
                h.successors.join(", ")
            ),
        };
    }
    Err(e)
}

fn lookup(code: &ParcelCode) -> storage::parcels::Lookup<'_> {
    match code {
        ParcelCode::Id(id) => storage::parcels::Lookup::Id(id.as_str()),
        ParcelCode::Legacy(k) => storage::parcels::Lookup::Key {
            commune: k.commune.as_str(),
            sheet: k.sheet.as_str(),
            parcel_no: k.parcel_no.get() as i32,
        },
    }
}

#[derive(Serialize)]
struct Card<'a> {
    #[serde(flatten)]
    parcel: &'a Parcel,
    planning: Vec<overlays::PlanningShare>,
    price: pricing::Explanation,
    ownership: String,
    /// The project whose boundary holds the parcel.
    project: Option<String>,
    units: i64,
    /// Only where the caller may see personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    holders: Option<Vec<overlays::Holder>>,
    /// Since when a security interest in force encumbers it: only for the registry's keepers.
    #[serde(skip_serializing_if = "Option::is_none")]
    encumbered_since: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn neighbours(
    State(state): State<AppState>,
    _principal: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let idx = state.index.read();
    let p = find(&idx, &code)?;
    collection(&idx.neighbours(p), vec![])
}

/// `?at=LON,LAT` or `?bbox=W,S,E,N&limit=N&after=PARCEL_ID`.
pub async fn search(
    State(state): State<AppState>,
    _principal: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(unknown) = q.keys().find(|k| !["at", "bbox", "limit", "after", "on"].contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown parameter `{unknown}`: use at (with on), or bbox with limit and after"
        )));
    }
    if let Some(on) = q.get("on") {
        let at = params::moment(on, "on")?;
        let (lon, lat) =
            params::lon_lat(q.get("at").ok_or_else(|| ApiError::bad_request("on goes with at=LON,LAT"))?, "at")?;
        let rows = storage::parcels::on(&state.pool, at, storage::parcels::Lookup::At { lon, lat }).await?;
        let parcels = rows
            .into_iter()
            .map(|r| Parcel::from_row(r, None).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)?;
        return collection(&parcels.iter().collect::<Vec<_>>(), vec![]);
    }
    let idx = state.index.read();
    match (q.get("at"), q.get("bbox")) {
        (Some(at), None) => {
            let (lon, lat) = params::lon_lat(at, "at")?;
            collection(&idx.at(lon, lat), vec![])
        }
        (None, Some(bbox)) => {
            let b = params::bbox(bbox)?;
            let limit = params::limit(q.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)?;
            let after = q.get("after").map(|a| a.parse::<ParcelId>()).transpose()?;
            let all = idx.in_bbox(b);
            let start = after.map_or(0, |a| all.partition_point(|p| p.parcel_id <= a));
            let page = &all[start..(start + limit).min(all.len())];
            let mut links = vec![];
            if start + limit < all.len() {
                let last = &page[page.len() - 1].parcel_id;
                links.push(Link {
                    href: page_url(
                        "/api/parcels",
                        &q,
                        &["limit", "after"],
                        &[("limit", limit.to_string()), ("after", last.to_string())],
                    ),
                    rel: "next",
                    media_type: "application/geo+json",
                });
            }
            collection(page, links)
        }
        _ => Err(ApiError::bad_request("give exactly one of ?at=LON,LAT or ?bbox=W,S,E,N")),
    }
}
