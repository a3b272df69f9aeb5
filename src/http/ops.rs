//! Operations endpoints: `/health` and Prometheus `/metrics`.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use super::AppState;

/// The process-wide recorder (metrics macros write to one global recorder).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new().install_recorder().expect("the Prometheus recorder is installed once, here")
    })
}

/// What this server offers, until the map page takes `/`.
pub async fn landing() -> Json<serde_json::Value> {
    Json(json!({
        "title": "diachinh",
        "description": "Land parcels of Vietnam's land database: parcel lookup by ID or legacy key, point and bbox queries",
        "links": [
            { "rel": "parcel", "href": "/api/parcels/{code}", "title": "a parcel by 12-character parcel ID or COMMUNE-SHEET-PARCEL" },
            { "rel": "parcels-at", "href": "/api/parcels?at={lon},{lat}", "title": "parcels at a point" },
            { "rel": "parcels-bbox", "href": "/api/parcels?bbox={w},{s},{e},{n}&limit={n}", "title": "parcels in a bbox, paged" },
            { "rel": "neighbours", "href": "/api/parcels/{code}/neighbours", "title": "parcels sharing a boundary" },
            { "rel": "health", "href": "/health" },
            { "rel": "metrics", "href": "/metrics" }
        ]
    }))
}

pub async fn health(State(state): State<AppState>) -> Response {
    // Health answers within a second whatever the pool's state: a full pool or a database away
    // is reported, not waited out.
    let db = match tokio::time::timeout(
        Duration::from_secs(1),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await
    {
        Ok(answer) => answer.map_err(|e| e.to_string()),
        Err(_) => Err("no connection within 1 s (the pool is busy or the database slow)".to_owned()),
    };
    let index = state.index.status();
    let healthy = db.is_ok() && index.listening;
    let age = index.last_sync.and_then(|t| SystemTime::now().duration_since(t).ok()).map(|d| d.as_secs_f64());
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "database": match &db { Ok(_) => "ok".to_owned(), Err(e) => format!("unreachable: {e}") },
        "index": {
            "parcels": index.parcels,
            "listening_for_changes": index.listening,
            "seconds_since_last_sync": age,
            "full_loads": index.full_loads,
        }
    });
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// `/metrics` on the service's own address is the admin's; operators' scrapers use the
/// `--metrics-listen` address ([`operators`]), which answers nothing else.
pub async fn metrics_for_admin(_: super::identity::Admin, state: State<AppState>) -> impl IntoResponse {
    metrics(state).await
}

/// The operators' listener: `/metrics` and `/health`, without credentials.
pub fn operators(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/health", axum::routing::get(health))
        .with_state(state)
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let status = state.index.status();
    metrics::gauge!("diachinh_index_parcels").set(status.parcels as f64);
    metrics::gauge!("diachinh_index_listening").set(if status.listening { 1.0 } else { 0.0 });
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus().render())
}

/// Counts requests and their latency by route template, method and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let labels = [("route", route), ("method", method), ("status", resp.status().as_u16().to_string())];
    metrics::counter!("diachinh_http_requests_total", &labels).increment(1);
    metrics::histogram!("diachinh_http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    resp
}
