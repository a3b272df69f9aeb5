//! The planners' web map (`web/`), built into the binary so the server needs no files beside it.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::compression::{Coding, Effort};

/// The files under `web/`, by path, with their media types.
const FILES: &[(&str, &str, &[u8])] = &[
    ("early.js", "text/javascript; charset=utf-8", include_bytes!("../../web/early.js")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../web/app.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../web/app.css")),
    (
        "vendor/maplibre-gl/maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vendor/maplibre-gl/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/vendor/maplibre-gl/maplibre-gl.css"),
    ),
    (
        "vendor/maplibre-gl/LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../web/vendor/maplibre-gl/LICENSE.txt"),
    ),
];

pub async fn index() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("../../web/index.html")).into_response()
}

/// The files compressed once, at the best ratios, for the clients that accept them (see
/// `crate::compression`): MapLibre's megabyte took the compression layer 20–90 ms a request,
/// holding up the style and tiles the page asks for beside it.
static COMPRESSED: OnceLock<Vec<[Vec<u8>; 2]>> = OnceLock::new();

/// Compresses the files, at start-up on a blocking thread: brotli's best quality takes about a
/// second of CPU for MapLibre.
pub fn prepare() {
    COMPRESSED
        .get_or_init(|| FILES.iter().map(|(_, _, body)| Coding::ALL.map(|c| c.compress(body, Effort::Best))).collect());
}

pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let i = FILES
        .iter()
        .position(|(p, _, _)| *p == path)
        .ok_or_else(|| ApiError::not_found(format!("no file web/{path}")))?;
    let (_, media, body) = FILES[i];
    // Until `prepare` is done, the compression layer compresses the file as it goes out.
    let (coding, bytes) = match COMPRESSED.get().zip(super::preferred_coding(&headers)) {
        Some((all, c)) => (Some(c), &all[i][c.index()][..]),
        None => (None, body),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::VARY, "accept-encoding"),
        ],
        bytes,
    )
        .into_response();
    if let Some(c) = coding {
        response.headers_mut().insert(header::CONTENT_ENCODING, header::HeaderValue::from_static(c.name()));
    }
    Ok(response)
}
