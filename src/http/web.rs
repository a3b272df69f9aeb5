//! The planners' web map (`web/`), built into the binary so the server needs no files beside it.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

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

pub async fn file(Path(path): Path<String>) -> Result<Response, ApiError> {
    let (_, media, body) =
        FILES.iter().find(|(p, _, _)| *p == path).ok_or_else(|| ApiError::not_found(format!("no file web/{path}")))?;
    Ok(([(header::CONTENT_TYPE, *media), (header::CACHE_CONTROL, "public, max-age=300")], *body).into_response())
}
