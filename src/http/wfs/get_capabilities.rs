//! WFS GetCapabilities: the service, its operations and feature types.

use axum::response::Response;

use super::xml;
use crate::catalog::Audience;
use crate::http::AppState;
use crate::wfs::{self, WfsError};

/// `edits`: whether the caller may edit, so Transaction is offered.
pub(super) fn get_capabilities(
    state: &AppState,
    audience: Audience,
    url: &str,
    edits: bool,
) -> Result<Response, WfsError> {
    let layers = state.tiles.layers();
    let bounds = |i: usize| layers.extent(&[i]);
    Ok(xml("application/xml", wfs::capabilities(url, layers.catalog(), audience, bounds, edits)))
}
