//! WFS GetCapabilities: the service, its operations and feature types.

use axum::response::Response;

use super::xml;
use crate::http::AppState;
use crate::wfs::{self, WfsError};

pub(super) fn get_capabilities(state: &AppState, url: &str) -> Result<Response, WfsError> {
    let layers = state.tiles.layers();
    let bounds = |i: usize| layers.bounds(&[i]).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    Ok(xml("application/xml", wfs::capabilities(url, layers.catalog(), bounds)))
}
