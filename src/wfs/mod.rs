//! WFS 2.0 documents: capabilities, the feature types' XML Schema, GML 3.2 feature collections
//! and OWS exception reports. Requests are answered in `http::wfs` from the same catalog and
//! feature queries as OGC API - Features.

use std::fmt::Write;

use quick_xml::escape::escape;
use serde_json::Value;

use crate::catalog::{Audience, Catalog, FieldType, GeometryKind, LayerSpec};
use crate::crs::ApiCrs;

pub mod transaction;

/// The feature types' namespace and its prefix.
pub const NS: &str = "urn:diachinh";
pub const PREFIX: &str = "dc";
pub const GML_MEDIA: &str = "application/gml+xml; version=3.2";
pub const GET_FEATURE_BY_ID: &str = "urn:ogc:def:query:OGC-WFS::GetFeatureById";
/// Features in one response at most, advertised as CountDefault.
pub const MAX_COUNT: usize = 1000;

/// A WFS exception: its OWS code, the parameter at fault, and what was wrong.
#[derive(Debug)]
pub struct WfsError {
    pub code: &'static str,
    pub locator: String,
    pub text: String,
}

impl WfsError {
    pub fn invalid(locator: &str, text: impl Into<String>) -> WfsError {
        WfsError { code: "InvalidParameterValue", locator: locator.into(), text: text.into() }
    }
    /// A fault of the server's: logged, and reported without detail.
    pub fn internal(detail: String) -> WfsError {
        tracing::error!("{detail}");
        WfsError { code: "NoApplicableCode", locator: String::new(), text: "internal error; it has been logged".into() }
    }
    /// The database cannot be reached now (answered 503 with `Retry-After`).
    pub fn unavailable(detail: &str) -> WfsError {
        tracing::warn!("database unavailable: {detail}");
        WfsError { code: "ServiceUnavailable", locator: String::new(), text: crate::fault::UNAVAILABLE.into() }
    }
    /// The service cannot answer this now (answered 503 with `Retry-After`).
    pub fn busy(text: String) -> WfsError {
        WfsError { code: "ServiceUnavailable", locator: String::new(), text }
    }
    pub fn missing(locator: &str) -> WfsError {
        WfsError { code: "MissingParameterValue", locator: locator.into(), text: format!("{locator} is required") }
    }

    /// A caller's mistake told as an invalid `locator`, or the server's fault.
    pub fn from_fault(locator: &str, fault: crate::fault::Fault) -> WfsError {
        match fault {
            crate::fault::Fault::Caller(m) => WfsError::invalid(locator, m),
            crate::fault::Fault::Server(m) => WfsError::internal(m),
            crate::fault::Fault::Unavailable(m) => WfsError::unavailable(&m),
        }
    }

    /// The OWS 1.1 ExceptionReport.
    pub fn report(&self) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0" xml:lang="en"><ows:Exception exceptionCode="{}" locator="{}"><ows:ExceptionText>{}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"#,
            self.code,
            escape(&self.locator),
            escape(&self.text)
        )
    }
}

/// A CRS as WFS clients spell it. `EPSG:4326` is longitude first, as GeoServer and QGIS Server
/// read it; the URN and URI forms keep EPSG's latitude-first order.
pub fn srs(s: &str, locator: &str) -> Result<ApiCrs, WfsError> {
    let crs = ApiCrs::parse(s, locator).map_err(|e| WfsError::invalid(locator, e))?;
    let short = s.trim().to_ascii_uppercase().starts_with("EPSG:");
    let lat_first = !short && crs.is_lat_first();
    Ok(crs.spelled(s.trim(), lat_first))
}

/// The default CRS of every feature type, latitude first.
pub const DEFAULT_SRS: &str = "urn:ogc:def:crs:EPSG::4326";

fn urn(crs: &ApiCrs) -> String {
    match crs.uri.rsplit_once("/EPSG/0/") {
        Some((_, code)) => format!("urn:ogc:def:crs:EPSG::{code}"),
        None => DEFAULT_SRS.into(),
    }
}

fn qname(spec: &LayerSpec) -> String {
    format!("{PREFIX}:{}", spec.name)
}

/// GetCapabilities; `transactions` offers the Transaction operation (POST).
pub fn capabilities(
    url: &str,
    catalog: &Catalog,
    audience: Audience,
    bounds: impl Fn(usize) -> [f64; 4],
    transactions: bool,
) -> String {
    let url = escape(url);
    let mut types = String::new();
    let other: String = ApiCrs::offered()
        .iter()
        .skip(2) // CRS84 and EPSG:4326 are the default.
        .map(|c| format!("<OtherCRS>{}</OtherCRS>", urn(c)))
        .collect();
    for (i, spec) in catalog.for_audience(audience) {
        let [w, s, e, n] = bounds(i);
        let _ = write!(
            types,
            "<FeatureType><Name>{}</Name><Title>{}</Title><DefaultCRS>{DEFAULT_SRS}</DefaultCRS>{other}\
             <OutputFormats><Format>{GML_MEDIA}</Format><Format>application/json</Format></OutputFormats>\
             <ows:WGS84BoundingBox><ows:LowerCorner>{w} {s}</ows:LowerCorner><ows:UpperCorner>{e} {n}</ows:UpperCorner></ows:WGS84BoundingBox></FeatureType>",
            qname(spec),
            escape(&spec.title)
        );
    }
    let operation = |name: &str, extra: &str| {
        format!(
            r#"<ows:Operation name="{name}"><ows:DCP><ows:HTTP><ows:Get xlink:href="{url}?"/></ows:HTTP></ows:DCP>{extra}</ows:Operation>"#
        )
    };
    let values = |name: &str, vs: &[&str]| {
        let vs: String = vs.iter().map(|v| format!("<ows:Value>{v}</ows:Value>")).collect();
        format!(r#"<ows:Parameter name="{name}"><ows:AllowedValues>{vs}</ows:AllowedValues></ows:Parameter>"#)
    };
    let constraint = |name: &str, value: &str| {
        format!(
            r#"<ows:Constraint name="{name}"><ows:NoValues/><ows:DefaultValue>{value}</ows:DefaultValue></ows:Constraint>"#
        )
    };
    let get_feature_params = format!(
        "{}{}",
        values("outputFormat", &[GML_MEDIA, "application/json"]),
        values("resultType", &["results", "hits"])
    );
    let operations = [
        operation("GetCapabilities", &values("AcceptVersions", &["2.0.0"])),
        operation("DescribeFeatureType", &values("outputFormat", &[GML_MEDIA])),
        operation("GetFeature", &get_feature_params),
        operation("GetPropertyValue", &values("outputFormat", &[GML_MEDIA])),
        operation("ListStoredQueries", ""),
        operation("DescribeStoredQueries", ""),
    ]
    .concat();
    let operations = match transactions {
        true => format!(
            r#"{operations}<ows:Operation name="Transaction"><ows:DCP><ows:HTTP><ows:Post xlink:href="{url}"/></ows:HTTP></ows:DCP>{}</ows:Operation>"#,
            values("inputFormat", &["application/gml+xml; version=3.2", "text/xml; subtype=gml/3.1.1"])
        ),
        false => operations,
    };
    let constraints: String = [
        ("ImplementsBasicWFS", "TRUE"),
        ("ImplementsTransactionalWFS", if transactions { "TRUE" } else { "FALSE" }),
        ("ImplementsLockingWFS", "FALSE"),
        ("KVPEncoding", "TRUE"),
        ("XMLEncoding", "FALSE"),
        ("SOAPEncoding", "FALSE"),
        ("ImplementsInheritance", "FALSE"),
        ("ImplementsRemoteResolve", "FALSE"),
        ("ImplementsResultPaging", "TRUE"),
        ("ImplementsStandardJoins", "FALSE"),
        ("ImplementsSpatialJoins", "FALSE"),
        ("ImplementsTemporalJoins", "FALSE"),
        ("ImplementsFeatureVersioning", "FALSE"),
        ("ManageStoredQueries", "FALSE"),
        ("CountDefault", &MAX_COUNT.to_string()),
    ]
    .iter()
    .map(|(n, v)| constraint(n, v))
    .collect();
    let fes: String = [
        ("ImplementsQuery", "TRUE"),
        ("ImplementsAdHocQuery", "TRUE"),
        ("ImplementsFunctions", "FALSE"),
        ("ImplementsResourceId", "TRUE"),
        ("ImplementsMinStandardFilter", "TRUE"),
        ("ImplementsStandardFilter", "TRUE"),
        ("ImplementsMinSpatialFilter", "TRUE"),
        ("ImplementsSpatialFilter", "TRUE"),
        ("ImplementsMinTemporalFilter", "FALSE"),
        ("ImplementsTemporalFilter", "FALSE"),
        ("ImplementsVersionNav", "FALSE"),
        ("ImplementsSorting", "TRUE"),
        ("ImplementsExtendedOperators", "FALSE"),
        ("ImplementsMinimumXPath", "FALSE"),
        ("ImplementsSchemaElementFunc", "FALSE"),
    ]
    .iter()
    .map(|(n, v)| {
        format!(
            r#"<fes:Constraint name="{n}"><ows:NoValues/><ows:DefaultValue>{v}</ows:DefaultValue></fes:Constraint>"#
        )
    })
    .collect();
    let comparisons: String = [
        "PropertyIsEqualTo",
        "PropertyIsNotEqualTo",
        "PropertyIsLessThan",
        "PropertyIsGreaterThan",
        "PropertyIsLessThanOrEqualTo",
        "PropertyIsGreaterThanOrEqualTo",
        "PropertyIsLike",
        "PropertyIsNull",
        "PropertyIsNil",
        "PropertyIsBetween",
    ]
    .iter()
    .map(|o| format!(r#"<fes:ComparisonOperator name="{o}"/>"#))
    .collect();
    let spatial: String =
        ["BBOX", "Intersects", "Within", "Contains", "Disjoint", "Equals", "Touches", "Overlaps", "Crosses"]
            .iter()
            .map(|o| format!(r#"<fes:SpatialOperator name="{o}"/>"#))
            .collect();
    let operands: String = [
        "gml:Envelope",
        "gml:Point",
        "gml:LineString",
        "gml:Polygon",
        "gml:MultiPoint",
        "gml:MultiCurve",
        "gml:MultiSurface",
    ]
    .iter()
    .map(|o| format!(r#"<fes:GeometryOperand name="{o}"/>"#))
    .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<WFS_Capabilities xmlns="http://www.opengis.net/wfs/2.0" xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:{PREFIX}="{NS}" version="2.0.0">
<ows:ServiceIdentification><ows:Title>diachinh WFS</ows:Title><ows:Abstract>Vietnam's land database and housing and real-estate market database: open data view.</ows:Abstract><ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion><ows:Fees>NONE</ows:Fees><ows:AccessConstraints>NONE</ows:AccessConstraints></ows:ServiceIdentification>
<ows:ServiceProvider><ows:ProviderName>diachinh</ows:ProviderName></ows:ServiceProvider>
<ows:OperationsMetadata>{operations}{constraints}</ows:OperationsMetadata>
<FeatureTypeList>{types}</FeatureTypeList>
<fes:Filter_Capabilities><fes:Conformance>{fes}</fes:Conformance><fes:Id_Capabilities><fes:ResourceIdentifier name="fes:ResourceId"/></fes:Id_Capabilities><fes:Scalar_Capabilities><fes:LogicalOperators/><fes:ComparisonOperators>{comparisons}</fes:ComparisonOperators></fes:Scalar_Capabilities><fes:Spatial_Capabilities><fes:GeometryOperands>{operands}</fes:GeometryOperands><fes:SpatialOperators>{spatial}</fes:SpatialOperators></fes:Spatial_Capabilities></fes:Filter_Capabilities>
</WFS_Capabilities>"#
    )
}

fn geometry_type(kind: GeometryKind) -> &'static str {
    match kind {
        GeometryKind::Polygon => "gml:MultiSurfacePropertyType",
        GeometryKind::Line => "gml:MultiCurvePropertyType",
        _ => "gml:GeometryPropertyType",
    }
}

/// DescribeFeatureType: each type's properties as `audience` sees them, typed, so clients do not
/// guess (GDAL reads `05443-1-1` as a date without it).
pub fn schema(layers: &[&LayerSpec], audience: Audience) -> String {
    let mut out = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:{PREFIX}="{NS}" targetNamespace="{NS}" elementFormDefault="qualified" version="1.0">
<xsd:import namespace="http://www.opengis.net/gml/3.2" schemaLocation="http://schemas.opengis.net/gml/3.2.1/gml.xsd"/>
"#
    );
    for spec in layers {
        let _ = write!(
            out,
            r#"<xsd:element name="{0}" type="{PREFIX}:{0}Type" substitutionGroup="gml:AbstractFeature"/><xsd:complexType name="{0}Type"><xsd:complexContent><xsd:extension base="gml:AbstractFeatureType"><xsd:sequence>"#,
            spec.name
        );
        for (_, f) in spec.visible_fields(audience) {
            let kind = match f.kind {
                FieldType::String => "xsd:string",
                FieldType::Number => "xsd:double",
                FieldType::Integer => "xsd:long",
                FieldType::Boolean => "xsd:boolean",
            };
            let _ = write!(out, r#"<xsd:element name="{}" type="{kind}" minOccurs="0" nillable="true"/>"#, f.name);
        }
        let _ = writeln!(
            out,
            r#"<xsd:element name="geometry" type="{}" minOccurs="0" nillable="true"/></xsd:sequence></xsd:extension></xsd:complexContent></xsd:complexType>"#,
            geometry_type(spec.geometry)
        );
    }
    out.push_str("</xsd:schema>");
    out
}

/// The opening of a GML feature collection (`matched` features in all, `returned` here).
pub fn collection_start(matched: i64, returned: usize, next: Option<&str>, schema_url: &str) -> String {
    let next = next.map(|n| format!(r#" next="{}""#, escape(n))).unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:{PREFIX}="{NS}" xsi:schemaLocation="{NS} {} http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd" numberMatched="{matched}" numberReturned="{returned}" timeStamp="{}"{next}>"#,
        escape(schema_url),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

pub const COLLECTION_END: &str = "</wfs:FeatureCollection>";

/// One GeoJSON feature (already in the response CRS and axis order) as a GML feature element.
pub fn feature(spec: &LayerSpec, f: &Value, srs_name: &str, namespaces: bool) -> String {
    let id = match &f["id"] {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    let gml_id = escape(format!("{}.{id}", spec.name)).into_owned();
    let ns = if namespaces {
        format!(r#" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:{PREFIX}="{NS}""#)
    } else {
        String::new()
    };
    let mut out = format!(r#"<{PREFIX}:{}{ns} gml:id="{gml_id}">"#, spec.name);
    for (name, v) in f["properties"].as_object().into_iter().flatten() {
        let text = match v {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let _ = write!(out, "<{PREFIX}:{name}>{}</{PREFIX}:{name}>", escape(&text));
    }
    if !f["geometry"].is_null() {
        let _ = write!(out, "<{PREFIX}:geometry>");
        geometry(&mut out, &f["geometry"], spec.geometry, srs_name, &format!("{gml_id}.g"));
        let _ = write!(out, "</{PREFIX}:geometry>");
    }
    let _ = write!(out, "</{PREFIX}:{}>", spec.name);
    out
}

fn pos_list(coords: &Value) -> String {
    let mut out = String::new();
    for c in coords.as_array().into_iter().flatten() {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{} {}", c[0], c[1]);
    }
    out
}

/// A polygon; `srs` is empty inside a multi-geometry, else its srsName attribute.
fn polygon(out: &mut String, rings: &Value, id: &str, srs: &str) {
    let _ = write!(out, r#"<gml:Polygon gml:id="{id}"{srs}>"#);
    for (i, ring) in rings.as_array().into_iter().flatten().enumerate() {
        let side = if i == 0 { "exterior" } else { "interior" };
        let _ = write!(
            out,
            "<gml:{side}><gml:LinearRing><gml:posList>{}</gml:posList></gml:LinearRing></gml:{side}>",
            pos_list(ring)
        );
    }
    out.push_str("</gml:Polygon>");
}

/// A GeoJSON geometry as GML 3.2; polygons and lines of a polygon or line layer come as
/// MultiSurface and MultiCurve, as the schema declares.
pub fn geometry(out: &mut String, g: &Value, kind: GeometryKind, srs_name: &str, id: &str) {
    let srs = escape(srs_name);
    let c = &g["coordinates"];
    let parts =
        |out: &mut String, tag: &str, member: &str, items: &[&Value], each: &dyn Fn(&mut String, &Value, &str)| {
            let _ = write!(out, r#"<gml:{tag} gml:id="{id}" srsName="{srs}">"#);
            for (i, item) in items.iter().enumerate() {
                let _ = write!(out, "<gml:{member}>");
                each(out, item, &format!("{id}.{i}"));
                let _ = write!(out, "</gml:{member}>");
            }
            let _ = write!(out, "</gml:{tag}>");
        };
    let line = |out: &mut String, coords: &Value, id: &str| {
        let _ = write!(
            out,
            r#"<gml:LineString gml:id="{id}"><gml:posList>{}</gml:posList></gml:LineString>"#,
            pos_list(coords)
        );
    };
    fn many(v: &Value) -> Vec<&Value> {
        v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
    }
    match g["type"].as_str().unwrap_or_default() {
        "Point" => {
            let _ = write!(
                out,
                r#"<gml:Point gml:id="{id}" srsName="{srs}"><gml:pos>{} {}</gml:pos></gml:Point>"#,
                c[0], c[1]
            );
        }
        "LineString" if kind == GeometryKind::Line => parts(out, "MultiCurve", "curveMember", &[c], &line),
        "LineString" => {
            let _ = write!(
                out,
                r#"<gml:LineString gml:id="{id}" srsName="{srs}"><gml:posList>{}</gml:posList></gml:LineString>"#,
                pos_list(c)
            );
        }
        "Polygon" if kind == GeometryKind::Polygon => {
            parts(out, "MultiSurface", "surfaceMember", &[c], &|out, rings, id| polygon(out, rings, id, ""))
        }
        "Polygon" => polygon(out, c, id, &format!(r#" srsName="{srs}""#)),
        "MultiPoint" => parts(out, "MultiPoint", "pointMember", &many(c), &|out, p, id| {
            let _ = write!(out, r#"<gml:Point gml:id="{id}"><gml:pos>{} {}</gml:pos></gml:Point>"#, p[0], p[1]);
        }),
        "MultiLineString" => parts(out, "MultiCurve", "curveMember", &many(c), &line),
        "MultiPolygon" => {
            parts(out, "MultiSurface", "surfaceMember", &many(c), &|out, rings, id| polygon(out, rings, id, ""))
        }
        _ => parts(out, "MultiGeometry", "geometryMember", &many(&g["geometries"]), &|out, g, id| {
            geometry(out, g, GeometryKind::Any, srs_name, id)
        }),
    }
}
