//! Building and running the service: database pool, index and its change feed, HTTP listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::audit::anonymous::Counter;
use crate::audit::checkpoint::{AuditDir, Signer};
use crate::audit::recorder::Recorder;
use crate::catalog::Catalog;
use crate::http::tiles::load_styles;
use crate::http::{AppState, router};
use crate::index::layers::Layers;
use crate::index::shapes::Shapes;
use crate::index::{SharedIndex, sync};
use crate::storage;
use crate::storage::replicas::Reads;
use crate::tiles::Tiles;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The tile-layer catalog, one TOML file per layer; the built-in one when `None`.
    pub tiles_dir: Option<PathBuf>,
    /// MapLibre styles served at /styles/{name}.json; the built-in ones when `None`.
    pub styles_dir: Option<PathBuf>,
    /// Memory for cached tiles; 0 turns the cache off.
    pub tile_cache_mb: u64,
    /// Where clients reach the service (behind a proxy, its public address); by default
    /// `http://` and the address listened on.
    pub public_url: Option<String>,
    /// The audit signing key and the checkpoints' copy, outside the database.
    pub audit_dir: AuditDir,
    /// How often the audit chain's head is signed.
    pub checkpoint_every: Duration,
    /// The open data's bulk files and catalogue, as `diachinh open-data publish` writes them.
    pub open_data_dir: PathBuf,
    /// An address of its own for `/metrics` and `/health` (operators' scrapers); without it,
    /// `/metrics` is the admin's on the service's address.
    pub metrics_listen: Option<SocketAddr>,
    /// Streaming read replicas of the database (see `storage::replicas`).
    pub replicas: Vec<String>,
    /// How long a request may run before it is answered 503.
    pub time_limit: Duration,
    /// Answer every feature page from PostGIS, none from memory (to compare the two, or to
    /// rule memory out when looking into a wrong answer).
    pub pages_from_database: bool,
}

impl Settings {
    /// Defaults: the built-in catalog and styles, `var/audit/` under the current directory,
    /// 256 MiB of tiles, a checkpoint every 10 minutes, 60 s per request.
    pub fn new(database_url: &str, listen: SocketAddr) -> Settings {
        Settings {
            database_url: database_url.to_owned(),
            listen,
            tiles_dir: None,
            styles_dir: None,
            tile_cache_mb: 256,
            public_url: None,
            audit_dir: AuditDir::new("var/audit"),
            checkpoint_every: Duration::from_secs(600),
            open_data_dir: "var/open-data".into(),
            metrics_listen: None,
            replicas: Vec::new(),
            time_limit: Duration::from_secs(60),
            pages_from_database: false,
        }
    }
}

/// A public URL as links start with: http(s), a host, no query, no trailing slash.
fn public_url(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let host = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(['?', '#', '"', '<', '>', ' ', '\\']) => Ok(trimmed.to_owned()),
        _ => anyhow::bail!(
            "public URL `{url}` must be http:// or https:// followed by a host (and a path), without a query"
        ),
    }
}

pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: AppState,
    signer: Arc<Signer>,
    checkpoint_every: Duration,
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        crate::gdal_errors::install();
        let public_url = settings.public_url.as_deref().map(public_url).transpose()?;
        let signer = Arc::new(Signer::open_or_create(&settings.audit_dir)?);
        let catalog = Catalog::load(settings.tiles_dir.as_deref()).map_err(anyhow::Error::msg)?;
        let styles = load_styles(settings.styles_dir.as_deref()).map_err(anyhow::Error::msg)?;
        let pool =
            storage::connect(&settings.database_url).await.context("cannot connect to the database (DATABASE_URL)")?;
        let pending = storage::MIGRATOR.migrations.len() as i64
            - sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
        anyhow::ensure!(pending == 0, "the database lacks {pending} migration(s): run `diachinh migrate` first");
        let shapes = Arc::new(Shapes::default());
        let index = SharedIndex::new(shapes.clone());
        let tiles = Arc::new(Tiles::new(Arc::new(Layers::new(Arc::new(catalog), shapes)), settings.tile_cache_mb));
        let started = Instant::now();
        let reads = Reads::connect(pool.clone(), &settings.replicas).context("a read replica's URL is not valid")?;
        let barrier = sync::Barrier::new();
        let outlines = storage::outlines::refresh_on_notice(pool.clone());
        let live = sync::Live {
            index: index.clone(),
            layers: tiles.shared_layers(),
            derived: tiles.clone(),
            reads: reads.clone(),
            outlines: outlines.clone(),
            barrier: barrier.clone(),
        };
        sync::start(pool.clone(), live).await.context("cannot load the parcel index and tile layers")?;
        // Outlines left stale by imports or by writers that stopped before refreshing them, while
        // the service already serves; the feed brings each one in as it is stored.
        outlines.notify_one();
        tracing::info!(
            "index: {} parcels and the tile layers loaded in {:.2?}",
            index.status().parcels,
            started.elapsed()
        );
        let listen = settings.listen;
        let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let metrics_listener = match settings.metrics_listen {
            Some(at) => {
                Some(TcpListener::bind(at).await.with_context(|| format!("cannot listen on {at} for metrics"))?)
            }
            None => None,
        };
        let public_url = match public_url {
            Some(url) => url,
            None => format!("http://{}", listener.local_addr()?),
        };
        let state = AppState::new(crate::http::Shared {
            recorder: Recorder::start(pool.clone()),
            pool,
            reads,
            index,
            tiles,
            styles: Arc::new(styles),
            public_url: public_url.into(),
            signed_in: crate::http::identity::signed_in_cache(),
            anonymous: Arc::new(Counter::default()),
            notices: Arc::default(),
            open_data_dir: settings.open_data_dir.as_path().into(),
            time_limit: settings.time_limit,
            pages_in_memory: !settings.pages_from_database,
            barrier,
            item_queues: Arc::default(),
        });
        Ok(Application { listener, metrics_listener, state, signer, checkpoint_every: settings.checkpoint_every })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The operators' address for `/metrics` and `/health`, when one was asked for.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// Serves until interrupted or terminated (SIGINT, SIGTERM); then writes the entries still
    /// queued and the anonymous counts, and signs a last checkpoint.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { listener, metrics_listener, state, signer, checkpoint_every } = self;
        let operators = metrics_listener.map(|l| {
            let app = crate::http::operators(state.clone());
            tokio::spawn(async move { axum::serve(l, app).await })
        });
        let (pool, anonymous, recorder) = (state.pool.clone(), state.anonymous.clone(), state.recorder.clone());
        let signing = tokio::spawn({
            let (signer, pool) = (signer.clone(), pool.clone());
            async move { signer.every(&pool, checkpoint_every).await }
        });
        let counting = tokio::spawn({
            let (anonymous, pool) = (anonymous.clone(), pool.clone());
            async move { anonymous.every_minute(pool).await }
        });
        let noticing = tokio::spawn({
            let (board, pool) = (state.notices.clone(), pool.clone());
            async move { board.every(&pool).await }
        });
        tokio::task::spawn_blocking(crate::http::web::prepare);
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, app).with_graceful_shutdown(stop_signal()).await;
        signing.abort();
        counting.abort();
        noticing.abort();
        let _ = (signing.await, counting.await, noticing.await);
        if let Some(o) = operators {
            o.abort();
        }
        recorder.flush().await;
        if let Err(e) = anonymous.flush(&pool, true).await {
            tracing::error!("audit: cannot record anonymous reads: {e}");
        }
        if let Err(e) = signer.checkpoint(&pool).await {
            tracing::error!("audit checkpoint: {e}");
        }
        served
    }
}

/// Ctrl-C, or SIGTERM as systemd and container runtimes stop a service.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
