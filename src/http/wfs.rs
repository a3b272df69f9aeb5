//! `/wfs`: WFS 2.0 (basic, KVP) over every catalog layer. Parameter names are case-insensitive,
//! unknown vendor parameters are ignored, and every error is an OWS ExceptionReport.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::identity::Caller;
use crate::export::{self, ExportError, Format};
use crate::filter::{self, FEATURE_ID, fes};
use crate::ogc::api::MAX_OFFSET;
use crate::ogc::{self as features, ApiCrs, FeatureError, ItemQuery};
use crate::tiles::catalog::{Audience, FieldType, LayerSpec};
use crate::wfs::{self, GET_FEATURE_BY_ID, GML_MEDIA, MAX_COUNT, PREFIX, WfsError};

/// Request parameters with lower-cased names.
struct Kvp(HashMap<String, String>);

impl Kvp {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
    fn require(&self, name: &str) -> Result<&str, WfsError> {
        self.get(name).ok_or_else(|| WfsError::missing(name))
    }
}

fn xml(media: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, media)], body).into_response()
}

pub(super) fn exception(e: WfsError) -> Response {
    let status = match e.code {
        "NotFound" => StatusCode::NOT_FOUND,
        "NoApplicableCode" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    (status, [(header::CONTENT_TYPE, "application/xml")], e.report()).into_response()
}

pub async fn wfs(
    State(state): State<AppState>,
    caller: Caller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let kvp = Kvp(pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect());
    answer(&state, caller.audience(), &state.public_url, &kvp).await.unwrap_or_else(exception)
}

async fn answer(state: &AppState, audience: Audience, base: &str, kvp: &Kvp) -> Result<Response, WfsError> {
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
    let layers = state.tiles.layers();
    let catalog = layers.catalog();
    match request.as_str() {
        "getcapabilities" => {
            let bounds = |i: usize| layers.bounds(&[i]).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
            Ok(xml("application/xml", wfs::capabilities(&url, catalog, bounds)))
        }
        "describefeaturetype" => {
            let specs = match kvp.get("typenames").or(kvp.get("typename")) {
                None => catalog.layers.iter().collect(),
                Some(names) => names.split(',').map(|n| find(state, n)).collect::<Result<Vec<_>, _>>()?,
            };
            Ok(xml(GML_MEDIA, wfs::schema(&specs, audience)))
        }
        "getfeature" => get_feature(state, audience, &url, kvp).await,
        "getpropertyvalue" => get_property_value(state, audience, kvp).await,
        "liststoredqueries" => {
            let types: String = catalog
                .layers
                .iter()
                .map(|l| format!("<wfs:ReturnFeatureType>{PREFIX}:{}</wfs:ReturnFeatureType>", l.name))
                .collect();
            Ok(xml(
                "application/xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<wfs:ListStoredQueriesResponse xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:{PREFIX}="{}"><wfs:StoredQuery id="{GET_FEATURE_BY_ID}"><wfs:Title>Get feature by identifier</wfs:Title>{types}</wfs:StoredQuery></wfs:ListStoredQueriesResponse>"#,
                    wfs::NS
                ),
            ))
        }
        "describestoredqueries" => {
            if let Some(id) = kvp.get("storedquery_id").filter(|id| *id != GET_FEATURE_BY_ID) {
                return Err(WfsError::invalid(
                    "storedquery_id",
                    format!("no stored query `{id}`; there is {GET_FEATURE_BY_ID}"),
                ));
            }
            let types: Vec<String> = catalog.layers.iter().map(|l| format!("{PREFIX}:{}", l.name)).collect();
            Ok(xml(
                "application/xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<wfs:DescribeStoredQueriesResponse xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:{PREFIX}="{}"><wfs:StoredQueryDescription id="{GET_FEATURE_BY_ID}"><wfs:Title>Get feature by identifier</wfs:Title><wfs:Abstract>The feature whose gml:id is ID (layer.featureid).</wfs:Abstract><wfs:Parameter name="ID" type="xsd:string"/><wfs:QueryExpressionText isPrivate="true" language="urn:ogc:def:queryLanguage:OGC-WFS::WFS_QueryExpression" returnFeatureTypes="{}"/></wfs:StoredQueryDescription></wfs:DescribeStoredQueriesResponse>"#,
                    wfs::NS,
                    types.join(" ")
                ),
            ))
        }
        other => Err(WfsError {
            code: "OperationNotSupported",
            locator: "request".into(),
            text: format!(
                "request `{other}` is not offered: use GetCapabilities, DescribeFeatureType, GetFeature, GetPropertyValue, ListStoredQueries or DescribeStoredQueries"
            ),
        }),
    }
}

/// A feature type by name, with or without its prefix or parentheses.
fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a LayerSpec, WfsError> {
    let bare = name.trim().trim_matches(['(', ')']);
    let bare = bare.strip_prefix(&format!("{PREFIX}:")).unwrap_or(bare);
    let catalog = state.tiles.layers().catalog();
    catalog.layers.iter().find(|l| l.name == bare).ok_or_else(|| {
        WfsError::invalid("typenames", format!("no feature type `{name}`; there are {}", catalog.names()))
    })
}

fn number(kvp: &Kvp, name: &str, max: usize) -> Result<Option<usize>, WfsError> {
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
        crs.geometry_to_crs84(g)
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
fn query<'a>(
    state: &'a AppState,
    audience: Audience,
    kvp: &Kvp,
) -> Result<(&'a LayerSpec, ItemQuery, ApiCrs), WfsError> {
    let names = kvp.get("typenames").or(kvp.get("typename")).ok_or_else(|| WfsError::missing("typenames"))?;
    if names.contains(',') {
        return Err(WfsError::invalid("typenames", "ask for one feature type per request"));
    }
    let spec = find(state, names)?;
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
            crs.bbox_to_crs84(n).map_err(|e| WfsError::invalid("bbox", e))
        })
        .transpose()?;
    let ctx = FesContext { spec, audience, srs: &srs };
    let mut conditions = Vec::new();
    if let Some(f) = kvp.get("filter") {
        conditions.push(fes::parse(f, &ctx).map_err(|e| WfsError::invalid("filter", e))?);
    }
    if let Some(ids) = kvp.get("resourceid") {
        let ids = ids.split(',').map(|id| fes::Context::resource_id(&ctx, id.trim())).collect::<Result<Vec<_>, _>>();
        let ids = ids.map_err(|e| WfsError::invalid("resourceid", e))?;
        conditions.extend(filter::join("or", ids));
    }
    // FES geometries are already in CRS84.
    let filter =
        filter::to_sql(conditions, spec, audience, &ApiCrs::crs84()).map_err(|e| WfsError::invalid("filter", e))?;
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
    let q = ItemQuery { bbox, limit, after: None, properties, sort, offset, filter };
    Ok((spec, q, srs))
}

fn database(e: FeatureError) -> WfsError {
    match e {
        e if e.is_timeout() => {
            WfsError::invalid("filter", "the query ran past its 10 s limit: narrow it with BBOX or FILTER")
        }
        FeatureError::Database(e) => WfsError::internal(format!("wfs: {e}")),
        FeatureError::Geometry(m) => WfsError::invalid("srsname", m),
    }
}

/// What OUTPUTFORMAT asks for.
#[derive(PartialEq)]
enum Output {
    Gml,
    Json,
    File(Format),
}

fn output(kvp: &Kvp) -> Result<Output, WfsError> {
    let Some(asked) = kvp.get("outputformat") else { return Ok(Output::Gml) };
    let f = asked.to_ascii_lowercase().replace(' ', "");
    if f.contains("json") {
        return Ok(Output::Json);
    }
    if f.contains("gml/3.2")
        || f.contains("version=3.2")
        || ["gml32", "text/xml", "application/xml"].contains(&f.as_str())
    {
        return Ok(Output::Gml);
    }
    Format::parse(asked).map(Output::File).ok_or_else(|| {
        WfsError::invalid(
            "outputformat",
            format!(
                "outputFormat `{asked}` is not offered: use {GML_MEDIA}, application/json or a download: {}",
                Format::NAMES
            ),
        )
    })
}

async fn get_feature(state: &AppState, audience: Audience, url: &str, kvp: &Kvp) -> Result<Response, WfsError> {
    let output = output(kvp)?;
    let json = output == Output::Json;
    if let Some(id) = kvp.get("storedquery_id") {
        if id != GET_FEATURE_BY_ID {
            return Err(WfsError::invalid(
                "storedquery_id",
                format!("no stored query `{id}`; there is {GET_FEATURE_BY_ID}"),
            ));
        }
        let rid = kvp.require("id")?;
        let (layer, fid) = rid
            .split_once('.')
            .ok_or_else(|| WfsError::invalid("id", format!("id `{rid}` must be layer.featureid")))?;
        let spec = find(state, layer)?;
        let srs = wfs::srs(kvp.get("srsname").unwrap_or(wfs::DEFAULT_SRS), "srsname")?;
        let item = features::item(&state.pool, spec, audience, fid, &srs).await.map_err(database)?;
        let item = item.ok_or_else(|| WfsError {
            code: "NotFound",
            locator: "id".into(),
            text: format!("no feature `{rid}`"),
        })?;
        return Ok(if json {
            xml("application/geo+json", item.feature.to_string())
        } else {
            xml(
                GML_MEDIA,
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
                    wfs::feature(spec, &item.feature, &srs.uri, true)
                ),
            )
        });
    }
    let (spec, mut q, srs) = query(state, audience, kvp)?;
    let hits = match kvp.get("resulttype").map(str::to_ascii_lowercase).as_deref() {
        None | Some("results") => false,
        Some("hits") => true,
        Some(r) => return Err(WfsError::invalid("resulttype", format!("resultType `{r}` must be results or hits"))),
    };
    if hits {
        q.limit = 0;
    }
    if let Output::File(format) = output {
        let crs = srs.clone().spelled(&srs.uri, false);
        let file = export::export(&state.pool, spec, audience, q, &crs, format).await.map_err(|e| match e {
            ExportError::Feature(e) => database(e),
            ExportError::Gdal(m) => WfsError::internal(format!("wfs download: {m}")),
            e => WfsError::invalid("outputformat", e.to_string()),
        })?;
        return Ok(super::download(file, &spec.name, format));
    }
    let (items, matched) = features::items(&state.pool, spec, audience, &q, &srs).await.map_err(database)?;
    let next = (!hits
        && items.len() == q.limit
        && ((q.offset + q.limit) as i64) < matched
        && q.offset + q.limit <= MAX_OFFSET)
        .then(|| {
            let mut pairs: Vec<(String, String)> =
                kvp.0.iter().filter(|(k, _)| k.as_str() != "startindex").map(|(k, v)| (k.clone(), v.clone())).collect();
            pairs.sort();
            pairs.push(("startindex".into(), (q.offset + q.limit).to_string()));
            format!("{url}?{}", form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
        });
    if json {
        let body = json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": items.len(),
            "features": items.into_iter().map(|i| i.feature).collect::<Vec<Value>>(),
            "links": next.map(|n| vec![json!({ "href": n, "rel": "next", "type": "application/json" })]).unwrap_or_default(),
        });
        return Ok(xml("application/geo+json", body.to_string()));
    }
    let schema_url =
        format!("{url}?service=WFS&version=2.0.0&request=DescribeFeatureType&typenames={PREFIX}:{}", spec.name);
    let mut body = wfs::collection_start(matched, items.len(), next.as_deref(), &schema_url);
    for item in &items {
        body.push_str("<wfs:member>");
        body.push_str(&wfs::feature(spec, &item.feature, &srs.uri, false));
        body.push_str("</wfs:member>");
    }
    body.push_str(wfs::COLLECTION_END);
    Ok(xml(GML_MEDIA, body))
}

async fn get_property_value(state: &AppState, audience: Audience, kvp: &Kvp) -> Result<Response, WfsError> {
    let reference = kvp.require("valuereference")?;
    let (spec, mut q, srs) = query(state, audience, kvp)?;
    let name = reference.trim().rsplit(':').next().unwrap_or_default();
    let geometry = filter::GEOMETRY_NAMES.contains(&name);
    if !geometry {
        let f = spec.visible_field(audience, name).ok_or_else(|| {
            WfsError::invalid("valuereference", format!("`{reference}` is not a property of {}", spec.name))
        })?;
        q.properties = Some(vec![f.name.clone()]);
    }
    let (items, matched) = features::items(&state.pool, spec, audience, &q, &srs).await.map_err(database)?;
    let mut members = String::new();
    for (i, item) in items.iter().enumerate() {
        members.push_str("<wfs:member>");
        if geometry {
            wfs::geometry(
                &mut members,
                &item.feature["geometry"],
                spec.geometry,
                &srs.uri,
                &format!("{}.v{i}", spec.name),
            );
        } else if let Some(v) = item.feature["properties"].get(name) {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            members.push_str(&format!("<{PREFIX}:{name}>{}</{PREFIX}:{name}>", quick_xml::escape::escape(&text)));
        }
        members.push_str("</wfs:member>");
    }
    Ok(xml(
        GML_MEDIA,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<wfs:ValueCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:{PREFIX}="{}" numberMatched="{matched}" numberReturned="{}" timeStamp="{}">{members}</wfs:ValueCollection>"#,
            wfs::NS,
            items.len(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    ))
}
