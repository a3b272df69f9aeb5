//! HTTP wiring: state, routes and middleware.

mod accounts;
mod audit;
mod brokers;
mod calendar;
mod consistency;
pub mod error;
mod hygiene;
pub mod identity;
mod limits;
mod market;
mod market_stats;
mod me;
mod mortgages;
mod notices;
mod ogc;
mod open_data;
mod ops;
mod overlays;
mod paging;
pub mod params;
mod parcels;
mod procedures;
mod report;
mod requests;
mod session;
mod tickets;
pub mod tiles;
mod transactions;
pub mod web;
mod wfs;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::PgPool;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::index::SharedIndex;
use crate::tiles::Tiles;

/// A GeoJSON response, serialised at once (so locks held by the caller end with the handler).
fn geojson<T: serde::Serialize>(body: &T) -> Result<axum::response::Response, error::ApiError> {
    let bytes =
        serde_json::to_vec(body).map_err(|e| error::ApiError::internal(format!("serialising a response: {e}")))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/geo+json")], bytes).into_response())
}

/// A download, streamed from its (already unlinked) file.
fn download(file: std::fs::File, name: &str, format: crate::export::Format) -> axum::response::Response {
    use axum::http::header;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    (
        [(header::CONTENT_TYPE, format.media_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// No parameter may hold a NUL byte (PostgreSQL's text cannot), so a URL with one is refused
/// before any handler reads it.
async fn refuse_nul(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let uri = req.uri();
    if !uri.path_and_query().is_some_and(|pq| pq.as_str().contains("%00")) {
        return next.run(req).await;
    }
    let message = "the URL holds a NUL character (%00), which no path or parameter may contain";
    match uri.path() {
        "/wfs" => wfs::exception(crate::wfs::WfsError::invalid("", message)),
        _ => error::ApiError::bad_request(message).into_response(),
    }
}

/// The answer to a request that panicked; the panic is logged.
fn panicked(detail: Box<dyn std::any::Any + Send>) -> axum::response::Response {
    let what = detail
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| detail.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    error::ApiError::internal(format!("a request panicked: {what}")).into_response()
}

/// What every handler shares. Behind one `Arc`: axum clones the state for each extractor and
/// middleware, and cloning the fields one by one (the pool, the caches, the channels: about
/// fifteen shared counters) was 12% of the service's CPU serving cached tiles, its cores
/// bouncing those counters' cache lines between them.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    /// The primary: writes, and reads that must see what was just written.
    pub pool: PgPool,
    /// Where other reads go: replicas that have caught up with the map, else the primary.
    pub reads: Arc<crate::storage::replicas::Reads>,
    pub index: SharedIndex,
    pub tiles: Arc<Tiles>,
    pub styles: Arc<BTreeMap<String, serde_json::Value>>,
    /// `scheme://host[:port]` clients reach this server at, for absolute links; configured,
    /// never taken from a request's `Host`, so no caller can write another's links.
    pub public_url: Arc<str>,
    /// Accounts recently signed in, by their credentials' digest.
    pub signed_in: identity::SignedIn,
    /// Accesses by signed-in callers, on their way to the audit trail.
    pub recorder: crate::audit::recorder::Recorder,
    /// Anonymous requests not yet written to the audit trail.
    pub anonymous: Arc<crate::audit::anonymous::Counter>,
    /// Pending notices of interruptions, for the header every answer carries.
    pub notices: Arc<notices::Board>,
    /// Where `diachinh open-data publish` writes the open data's bulk files.
    pub open_data_dir: Arc<std::path::Path>,
    /// How long a request may run before it is answered 503.
    pub time_limit: std::time::Duration,
    /// Whether feature pages are answered from the layers in memory when they can be (else
    /// every page from PostGIS).
    pub pages_in_memory: bool,
    /// Where a write waits for the change feed to apply it before it is answered.
    pub barrier: Arc<crate::index::sync::Barrier>,
    /// Where edits of one feature wait for each other.
    pub item_queues: Arc<ogc::editing::ItemQueues>,
}

impl Shared {
    /// Where the features of catalog layer `layer` are read.
    pub fn features(&self, layer: usize) -> crate::features::Source<'_> {
        crate::features::Source {
            pool: self.reads.pool(),
            memory: self.pages_in_memory.then(|| (self.tiles.layers(), layer)),
        }
    }
}

pub use ops::operators;

pub fn router(state: AppState) -> Router {
    ops::prometheus();
    let router = Router::new()
        .route("/api/parcels", get(parcels::search))
        .route("/api/parcels/{code}", get(parcels::get_one))
        .route("/api/parcels/{code}/neighbours", get(parcels::neighbours))
        .route("/api/parcels/{code}/history", get(procedures::history))
        .route("/api/parcels/{code}/split", axum::routing::post(procedures::split))
        .route("/api/parcels/{code}/transfer", axum::routing::post(procedures::transfer))
        .route("/api/parcels/merge", axum::routing::post(procedures::merge))
        .route(
            "/api/events/{id}/files",
            axum::routing::post(procedures::attach)
                .layer(axum::extract::DefaultBodyLimit::max(crate::edits::dossier::MAX_BYTES)),
        )
        .route("/api/events/{id}/files/{file}", get(procedures::download))
        .route("/api/mortgages", get(mortgages::list).post(mortgages::register))
        .route("/api/mortgages/{no}/amend", axum::routing::post(mortgages::amend))
        .route("/api/mortgages/{no}/release", axum::routing::post(mortgages::release))
        .route("/api/reports/security-interests", get(mortgages::report))
        .route("/api/reports/registries", get(mortgages::report))
        .route("/api/transactions", get(transactions::list).post(transactions::submit))
        .route("/api/transactions/{id}/cancel", axum::routing::post(transactions::cancel))
        .route("/api/brokers", get(brokers::list).post(brokers::register))
        .route("/api/brokers/{id}", get(brokers::verify))
        .route("/api/brokers/{id}/revoke", axum::routing::post(brokers::revoke))
        .route("/api/management-units", get(brokers::management_units).post(brokers::register_management_unit))
        .route("/api/market/stats", get(market_stats::stats))
        .route("/api/calendar", get(calendar::year))
        .route("/api/calendar/deadline", get(calendar::deadline))
        .route("/api/calendar/{day}", axum::routing::put(calendar::set).delete(calendar::remove))
        .route("/api/requests", get(requests::list).post(requests::file))
        .route("/api/requests/{no}", get(requests::get_one))
        .route("/api/requests/{no}/steps", axum::routing::post(requests::step))
        .route("/api/requests/{no}/data/{layer}", get(requests::data))
        .route("/api/reports", axum::routing::post(tickets::report))
        .route("/api/tickets", get(tickets::list))
        .route("/api/tickets/{no}", get(tickets::get_one))
        .route("/api/tickets/{no}/answer", axum::routing::post(tickets::answer))
        .route("/api/quality/findings", get(tickets::findings))
        .route("/api/notices", get(notices::list).post(notices::announce))
        .route("/api/notices/{id}", axum::routing::delete(notices::withdraw))
        .route("/api/open-data", get(open_data::list))
        .route("/open-data", get(open_data::page))
        .route("/open-data/files/{file}", get(open_data::file))
        .route("/api/planning", get(overlays::planning))
        .route("/api/prices", get(overlays::prices))
        .route("/api/projects", get(market::projects))
        .route("/api/projects/{code}", get(market::project))
        .route("/api/projects/{code}/units", get(market::project_units))
        .route("/api/projects/{code}/documents/{id}", get(market::project_document))
        .route("/api/units/{product_id}", get(market::unit))
        .route("/api/addresses/{code}", get(market::address))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/", get(ogc::landing))
        .route("/ogc/api", get(ogc::openapi))
        .route("/ogc/api.html", get(ogc::openapi_html))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/items", get(ogc::items).post(ogc::create_item).options(ogc::items_options))
        .route(
            "/ogc/collections/{id}/items/{fid}",
            get(ogc::item)
                .patch(ogc::patch_item)
                .put(ogc::replace_item)
                .delete(ogc::delete_item)
                .options(ogc::item_options),
        )
        .route("/ogc/collections/{id}/{which}", get(ogc::schema))
        .route(
            "/wfs",
            get(wfs::wfs)
                .post(wfs::transaction)
                .layer(axum::extract::DefaultBodyLimit::max(crate::wfs::transaction::MAX_BYTES)),
        )
        .route("/tiles", get(tiles::catalog))
        .route("/tiles/{spec}", get(tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .route("/styles/{name}", get(tiles::style))
        .route("/", get(web::index))
        .route("/web/{*path}", get(web::file))
        .route("/api", get(ops::landing))
        .route("/api/me", get(me::me))
        .route("/api/audit", get(audit::entries))
        .route("/api/me/password", axum::routing::post(me::password))
        .route("/api/accounts", get(accounts::list).post(accounts::add))
        .route("/api/accounts/{username}/lock", axum::routing::post(accounts::lock))
        .route("/api/accounts/{username}/unlock", axum::routing::post(accounts::unlock))
        .route("/api/accounts/{username}/password", axum::routing::post(accounts::reset_password))
        .route(
            "/api/accounts/{username}/{kind}/{value}",
            axum::routing::put(accounts::put_grant).delete(accounts::delete_grant),
        )
        .route("/api/session", axum::routing::post(session::sign_in).delete(session::sign_out))
        .route("/health", get(ops::health))
        .route("/metrics", get(ops::metrics_for_admin))
        .fallback(|| async { error::ApiError::not_found("no such endpoint; see README.md for the API") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), consistency::applied_before_answered))
        .layer(axum::middleware::from_fn_with_state(state.clone(), identity::authenticate))
        .layer(axum::middleware::from_fn(refuse_nul))
        .layer(axum::middleware::from_fn_with_state(state.clone(), notices::header))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::time_limit))
        .layer(axum::middleware::from_fn(ops::track));
    catch_panics(router)
        .layer(axum::middleware::from_fn(hygiene::headers))
        // Dynamic answers are compressed as they go out at level 1: brotli 1 makes a page of
        // 100 parcels smaller than gzip 6 does, and the default levels cost a third of the pages
        // served a second (files and cached tiles are stored compressed: `crate::compression`).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(1)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The coding the request prefers among those the service stores answers in.
fn preferred_coding(headers: &axum::http::HeaderMap) -> Option<crate::compression::Coding> {
    let values = headers.get_all(axum::http::header::ACCEPT_ENCODING).into_iter().filter_map(|v| v.to_str().ok());
    crate::compression::Coding::preferred(values)
}

/// A panic in one request ends that request alone, answered as the server's fault.
fn catch_panics<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(CatchPanicLayer::custom(panicked))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_request_is_answered_500_and_the_next_one_is_served() {
        let app: Router =
            catch_panics(Router::new().route("/boom", get(boom)).route("/fine", get(|| async { "fine" })));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let boom = reqwest::get(format!("{base}/boom")).await.unwrap();
        assert_eq!(boom.status(), 500);
        let body: serde_json::Value = boom.json().await.unwrap();
        assert_eq!(body["message"], "internal error; it has been logged");
        let fine = reqwest::get(format!("{base}/fine")).await.unwrap();
        assert_eq!(fine.text().await.unwrap(), "fine");
    }
}
