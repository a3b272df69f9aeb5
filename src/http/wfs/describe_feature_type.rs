//! WFS DescribeFeatureType: the XML Schema of feature types, with the fields the caller sees.

use axum::response::Response;

use super::{Kvp, find, xml};
use crate::catalog::Audience;
use crate::http::AppState;
use crate::wfs::{self, GML_MEDIA, WfsError};

pub(super) fn describe_feature_type(state: &AppState, audience: Audience, kvp: &Kvp) -> Result<Response, WfsError> {
    let layers = state.tiles.layers();
    let specs = match kvp.get("typenames").or(kvp.get("typename")) {
        None => layers.catalog().for_audience(audience).map(|(_, spec)| spec).collect(),
        Some(names) => names.split(',').map(|n| find(state, n, audience)).collect::<Result<Vec<_>, _>>()?,
    };
    Ok(xml(GML_MEDIA, wfs::schema(&specs, audience)))
}
