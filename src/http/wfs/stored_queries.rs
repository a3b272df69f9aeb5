//! WFS ListStoredQueries and DescribeStoredQueries: the one stored query, GetFeatureById.

use axum::response::Response;

use super::{Kvp, xml};
use crate::catalog::Audience;
use crate::http::AppState;
use crate::wfs::{self, GET_FEATURE_BY_ID, PREFIX, WfsError};

pub(super) fn list_stored_queries(state: &AppState, audience: Audience) -> Result<Response, WfsError> {
    let layers = state.tiles.layers();
    let catalog = layers.catalog();

    let types: String = catalog
        .for_audience(audience)
        .map(|(_, l)| format!("<wfs:ReturnFeatureType>{PREFIX}:{}</wfs:ReturnFeatureType>", l.name))
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

pub(super) fn describe_stored_queries(state: &AppState, audience: Audience, kvp: &Kvp) -> Result<Response, WfsError> {
    let layers = state.tiles.layers();
    let catalog = layers.catalog();

    if let Some(id) = kvp.get("storedquery_id").filter(|id| *id != GET_FEATURE_BY_ID) {
        return Err(WfsError::invalid(
            "storedquery_id",
            format!("no stored query `{id}`; there is {GET_FEATURE_BY_ID}"),
        ));
    }
    let types: Vec<String> = catalog.for_audience(audience).map(|(_, l)| format!("{PREFIX}:{}", l.name)).collect();
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
