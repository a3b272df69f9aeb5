//! Headers every answer carries for browsers: no content sniffing anywhere; on HTML pages a
//! Content-Security-Policy (this origin's scripts only; MapLibre's workers from blob: URLs; the
//! map's inline style attributes), no framing by other sites, and no referrer to them (download
//! links carry their secret in the query). And the CORS policy: any origin may read (GET, HEAD)
//! without the browser's credentials, so other agencies' web maps use the open data; no origin
//! may write, and no page of another site acts with an officer's session.

use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; \
font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
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
    resp
}

/// Cross-origin reads by anyone, without credentials; no cross-origin writes.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::ACCEPT, header::AUTHORIZATION, header::IF_NONE_MATCH, header::RANGE])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::RETRY_AFTER,
            header::HeaderName::from_static("content-crs"),
            header::HeaderName::from_static("diachinh-notice"),
        ])
        .max_age(std::time::Duration::from_secs(86_400))
}
