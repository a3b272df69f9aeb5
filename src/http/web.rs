//! The planners' web map (`web/`), built into the binary so the server needs no files beside it.

use std::io::Write;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, header};
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

/// A file's bytes compressed once, at the best ratios, for the clients that accept them: the
/// compression layer would compress each response anew (MapLibre's megabyte took it 20–90 ms a
/// request, holding up the style and tiles the page asks for beside it), and it leaves alone a
/// response that names its encoding.
struct Compressed {
    br: Vec<u8>,
    gzip: Vec<u8>,
}

static COMPRESSED: OnceLock<Vec<Compressed>> = OnceLock::new();

/// Compresses the files, at start-up on a blocking thread: brotli's best quality takes about a
/// second of CPU for MapLibre (quality 9 would take 80 ms for 9% more bytes to every visitor).
pub fn prepare() {
    COMPRESSED.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, _, body)| {
                let mut br = Vec::new();
                let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
                brotli::BrotliCompress(&mut &body[..], &mut br, &params).expect("compressing into memory cannot fail");
                let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gzip.write_all(body).expect("compressing into memory cannot fail");
                Compressed { br, gzip: gzip.finish().expect("compressing into memory cannot fail") }
            })
            .collect()
    });
}

pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let i = FILES
        .iter()
        .position(|(p, _, _)| *p == path)
        .ok_or_else(|| ApiError::not_found(format!("no file web/{path}")))?;
    let (_, media, body) = FILES[i];
    // Until `prepare` is done, the compression layer compresses the file as it goes out.
    let stored = COMPRESSED.get().map(|all| &all[i]);
    let (encoding, bytes) = match stored {
        Some(c) if accepts(&headers, "br") => (Some("br"), &c.br[..]),
        Some(c) if accepts(&headers, "gzip") => (Some("gzip"), &c.gzip[..]),
        _ => (None, body),
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
    if let Some(encoding) = encoding {
        response.headers_mut().insert(header::CONTENT_ENCODING, header::HeaderValue::from_static(encoding));
    }
    Ok(response)
}

/// Whether `Accept-Encoding` names `coding` without refusing it (`;q=0`).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';');
            let named = parts.next().is_some_and(|c| c.trim().eq_ignore_ascii_case(coding));
            named
                && parts.all(|p| {
                    p.trim().strip_prefix("q=").is_none_or(|q| q.trim().parse::<f32>().map_or(true, |q| q > 0.0))
                })
        },
    )
}
