//! Headers every answer carries for browsers: no content sniffing anywhere; on HTML pages a
//! Content-Security-Policy (this origin's scripts only; MapLibre's workers from blob: URLs; the
//! map's inline style attributes), no framing by other sites, and no referrer to them (download
//! links carry their secret in the query). And the CORS policy: any origin may read (GET, HEAD)
//! without the browser's credentials, so other agencies' web maps use the open data; no origin
//! may write, and no page of another site acts with an officer's session.

use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; \
font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if req.headers().contains_key(header::ORIGIN)
        && req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return preflight();
    }
    let mut resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if html {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    // On every answer, asked from another origin or not, so a shared cache never keeps one
    // without it.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    resp
}

/// The headers a cross-origin page may read.
const EXPOSED: &str = "etag, link, retry-after, content-crs, diachinh-notice";

/// The answer to a CORS preflight: reads (GET, HEAD) only. Written here rather than with
/// tower-http's `CorsLayer`, which answers every OPTIONS as a preflight and would hide OGC API
/// Part 4's OPTIONS (the methods a caller may use) from GIS clients.
fn preflight() -> Response {
    let headers = [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, "accept, authorization, if-none-match, range"),
        (header::ACCESS_CONTROL_MAX_AGE, "86400"),
    ];
    (axum::http::StatusCode::NO_CONTENT, headers).into_response()
}
