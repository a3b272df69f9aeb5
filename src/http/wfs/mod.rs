//! `/wfs`: WFS 2.0 (basic, KVP) over every catalog layer. Parameter names are case-insensitive,
//! unknown vendor parameters are ignored, and every error is an OWS ExceptionReport.

mod describe_feature_type;
mod get_capabilities;
mod get_feature;
mod get_property_value;
mod stored_queries;
mod transaction;

pub use transaction::transaction;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::access::Principal;
use crate::access::View;
use crate::catalog::{Audience, FieldType, LayerSpec};
use crate::crs::ApiCrs;
use crate::fault::Fault;
use crate::features::{ItemQuery, MAX_OFFSET, Source};
use crate::filter::{self, FEATURE_ID, fes};
use crate::wfs::{self, MAX_COUNT, PREFIX, WfsError};

/// Request parameters with lower-cased names.
pub(super) struct Kvp(HashMap<String, String>);

impl Kvp {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
    fn require(&self, name: &str) -> Result<&str, WfsError> {
        self.get(name).ok_or_else(|| WfsError::missing(name))
    }
}

pub(super) fn xml(media: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, media)], body).into_response()
}

pub(super) fn exception(e: WfsError) -> Response {
    let status = match e.code {
        "NotFound" => StatusCode::NOT_FOUND,
        "NoApplicableCode" => StatusCode::INTERNAL_SERVER_ERROR,
        "ServiceUnavailable" => {
            let headers =
                [(header::CONTENT_TYPE, "application/xml"), (header::RETRY_AFTER, super::error::RETRY_AFTER_S)];
            return (StatusCode::SERVICE_UNAVAILABLE, headers, e.report()).into_response();
        }
        _ => StatusCode::BAD_REQUEST,
    };
    (status, [(header::CONTENT_TYPE, "application/xml")], e.report()).into_response()
}

pub async fn wfs(
    State(state): State<AppState>,
    principal: Principal,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let kvp = Kvp(pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect());
    // Transactions are offered to those who may edit (QGIS offers editing when they are).
    let edits = matches!(&principal, Principal::Account(a) if a.cadastre.is_some());
    answer(&state, &principal.view(), &state.public_url, &kvp, edits).await.unwrap_or_else(exception)
}

async fn answer(state: &AppState, view: &View, base: &str, kvp: &Kvp, edits: bool) -> Result<Response, WfsError> {
    let request = kvp.require("request")?.to_ascii_lowercase();
    match kvp.get("service") {
        Some(s) if s.eq_ignore_ascii_case("WFS") => {}
        None if request == "getcapabilities" => {}
        None => return Err(WfsError::missing("service")),
        Some(s) => return Err(WfsError::invalid("service", format!("service `{s}` is not offered: this is WFS"))),
    }
    if request == "getcapabilities" {
        if let Some(v) = kvp.get("acceptversions")
            && !v.split(',').any(|v| v.trim().starts_with("2.0"))
        {
            return Err(WfsError {
                code: "VersionNegotiationFailed",
                locator: "acceptversions".into(),
                text: format!("versions `{v}` are not offered: this server speaks WFS 2.0.0"),
            });
        }
    } else if let Some(v) = kvp.get("version").filter(|v| !v.starts_with("2.0")) {
        return Err(WfsError::invalid(
            "version",
            format!("version `{v}` is not offered: this server speaks WFS 2.0.0"),
        ));
    }
    let url = format!("{base}/wfs");
    match request.as_str() {
        "getcapabilities" => get_capabilities::get_capabilities(state, view.audience, &url, edits),
        "describefeaturetype" => describe_feature_type::describe_feature_type(state, view.audience, kvp),
        "getfeature" => get_feature::get_feature(state, view, &url, kvp).await,
        "getpropertyvalue" => get_property_value::get_property_value(state, view, kvp).await,
        "liststoredqueries" => stored_queries::list_stored_queries(state, view.audience),
        "describestoredqueries" => stored_queries::describe_stored_queries(state, view.audience, kvp),
        other => Err(WfsError {
            code: "OperationNotSupported",
            locator: "request".into(),
            text: format!(
                "request `{other}` is not offered: use GetCapabilities, DescribeFeatureType, GetFeature, GetPropertyValue, ListStoredQueries or DescribeStoredQueries (and POST a Transaction)"
            ),
        }),
    }
}

/// A feature type by name, with or without its prefix or parentheses.
pub(super) fn find<'a>(state: &'a AppState, name: &str, audience: Audience) -> Result<&'a LayerSpec, WfsError> {
    find_layer(state, name, audience).map(|(_, spec)| spec)
}

/// The feature type `name` and its index in the catalog.
pub(super) fn find_layer<'a>(
    state: &'a AppState,
    name: &str,
    audience: Audience,
) -> Result<(usize, &'a LayerSpec), WfsError> {
    let bare = name.trim().trim_matches(['(', ')']);
    let bare = bare.strip_prefix(&format!("{PREFIX}:")).unwrap_or(bare);
    let catalog = state.tiles.layers().catalog();
    catalog.find(bare, audience).ok_or_else(|| {
        WfsError::invalid("typenames", format!("no feature type `{name}`; there are {}", catalog.names(audience)))
    })
}

pub(super) fn number(kvp: &Kvp, name: &str, max: usize) -> Result<Option<usize>, WfsError> {
    kvp.get(name)
        .map(|v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| WfsError::invalid(name, format!("{name} `{v}` must be a whole number from 0 to {max}")))
        })
        .transpose()
}

/// What FES filters need of a layer: its fields as `audience` sees them, and CRS handling.
struct FesContext<'a> {
    spec: &'a LayerSpec,
    audience: Audience,
    srs: &'a ApiCrs,
    /// A fault of the server's met while reading (PROJ failing), told apart from the caller's.
    server_fault: std::cell::RefCell<Option<String>>,
}

impl fes::Context for FesContext<'_> {
    fn kind_of(&self, property: &str) -> Option<FieldType> {
        self.spec.queryable(self.audience, property).map(|(_, k)| k)
    }
    fn to_crs84(&self, g: &mut geo::Geometry, srs_name: Option<&str>) -> Result<(), String> {
        let crs = match srs_name {
            Some(s) => wfs::srs(s, "srsName").map_err(|e| e.text)?,
            None => self.srs.clone(),
        };
        crs.geometry_to_crs84(g).map_err(|f| match f {
            Fault::Caller(m) => m,
            Fault::Server(m) | Fault::Unavailable(m) => {
                self.server_fault.replace(Some(m)).unwrap_or_else(|| "PROJ failed".into())
            }
        })
    }
    fn resource_id(&self, rid: &str) -> Result<cql2::Expr, String> {
        let fid = match rid.split_once('.') {
            Some((layer, fid)) if layer == self.spec.name => fid,
            Some((layer, _)) if !layer.is_empty() && !layer.chars().all(|c| c.is_ascii_digit()) => {
                return Err(format!("resource id `{rid}` is not of type {}", self.spec.name));
            }
            _ => rid,
        };
        Ok(filter::equals(FEATURE_ID, cql2::Expr::Literal(fid.into())))
    }
}

/// The query shared by GetFeature and GetPropertyValue, and the CRS the answer is in.
pub(super) fn query<'a>(
    state: &'a AppState,
    view: &View,
    kvp: &Kvp,
) -> Result<(Source<'a>, &'a LayerSpec, ItemQuery, ApiCrs), WfsError> {
    let names = kvp.get("typenames").or(kvp.get("typename")).ok_or_else(|| WfsError::missing("typenames"))?;
    if names.contains(',') {
        return Err(WfsError::invalid("typenames", "ask for one feature type per request"));
    }
    let (layer, spec) = find_layer(state, names, view.audience)?;
    let srs = wfs::srs(kvp.get("srsname").unwrap_or(wfs::DEFAULT_SRS), "srsname")?;
    let limit = number(kvp, "count", usize::MAX)?
        .or(number(kvp, "maxfeatures", usize::MAX)?)
        .unwrap_or(MAX_COUNT)
        .min(MAX_COUNT);
    let offset = number(kvp, "startindex", MAX_OFFSET)?.unwrap_or(0);
    let bbox = kvp
        .get("bbox")
        .map(|b| {
            let parts: Vec<&str> = b.split(',').collect();
            let bad = || WfsError::invalid("bbox", format!("bbox `{b}` must be four numbers and an optional CRS"));
            let n: Vec<f64> =
                parts.iter().take(4).map(|p| p.trim().parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
            let crs = match parts.get(4..) {
                Some(rest) if !rest.is_empty() => wfs::srs(&rest.join(","), "bbox")?,
                _ => srs.clone(),
            };
            let n: [f64; 4] = n.try_into().map_err(|_| bad())?;
            crs.bbox_to_crs84(n).map_err(|e| WfsError::from_fault("bbox", e))
        })
        .transpose()?;
    let audience = view.audience;
    let ctx = FesContext { spec, audience, srs: &srs, server_fault: Default::default() };
    let mut conditions = Vec::new();
    if let Some(f) = kvp.get("filter") {
        let read = fes::parse(f, &ctx).map_err(|e| match ctx.server_fault.take() {
            Some(fault) => WfsError::internal(fault),
            None => WfsError::invalid("filter", e),
        });
        conditions.push(read?);
    }
    if let Some(ids) = kvp.get("resourceid") {
        let ids = ids.split(',').map(|id| fes::Context::resource_id(&ctx, id.trim())).collect::<Result<Vec<_>, _>>();
        let ids = ids.map_err(|e| WfsError::invalid("resourceid", e))?;
        conditions.extend(filter::join("or", ids));
    }
    let field = |param: &str, name: &str| {
        let bare = name.trim().rsplit(':').next().unwrap_or_default();
        spec.visible_field(audience, bare).ok_or_else(|| {
            WfsError::invalid(param, format!("`{name}` is not a property of {}; see DescribeFeatureType", spec.name))
        })
    };
    let sort = kvp
        .get("sortby")
        .map(|s| {
            s.split(',')
                .map(|key| {
                    let mut words = key.split_whitespace();
                    let f = field("sortby", words.next().unwrap_or_default())?;
                    let desc = match words.next().map(|w| w.to_ascii_uppercase()) {
                        None => false,
                        Some(w) if w == "ASC" || w == "A" => false,
                        Some(w) if w == "DESC" || w == "D" => true,
                        Some(w) => return Err(WfsError::invalid("sortby", format!("`{w}` must be ASC or DESC"))),
                    };
                    Ok((f.name.clone(), f.kind, desc))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    // FES geometries are already in CRS84.
    let sorted_beyond_open = spec.beyond_open(sort.iter().map(|(name, ..)| name.as_str()));
    let (filter, matcher) = filter::compile(conditions, spec, view, &ApiCrs::crs84(), sorted_beyond_open)
        .map_err(|e| WfsError::from_fault("filter", e))?;
    let properties = kvp
        .get("propertyname")
        .map(|p| {
            p.trim_matches(['(', ')'])
                .split(',')
                .filter(|n| !filter::GEOMETRY_NAMES.contains(&n.trim().rsplit(':').next().unwrap_or_default()))
                .map(|n| field("propertyname", n).map(|f| f.name.clone()))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    // Vendor parameter `on` (a date or an instant): the layer as it was then, if it keeps history.
    let on = kvp
        .get("on")
        .map(|d| match spec.sql_on {
            Some(_) => crate::http::params::moment(d, "on").map_err(|e| WfsError::invalid("on", e.message)),
            None => Err(WfsError::invalid("on", format!("{} keeps no history: leave out on", spec.name))),
        })
        .transpose()?;
    let q = ItemQuery { bbox, limit, after: None, properties, sort, offset, filter, matcher, on };
    Ok((state.features(layer), spec, q, srs))
}
