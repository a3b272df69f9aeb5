//! Building and running the service: database pool, index and its change feed, HTTP listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::http::tiles::load_styles;
use crate::http::{AppState, router};
use crate::index::layers::Layers;
use crate::index::{SharedIndex, sync};
use crate::storage;
use crate::tiles::Tiles;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    /// The tile-layer catalog, one TOML file per layer.
    pub tiles_dir: PathBuf,
    /// MapLibre styles served at /styles/{name}.json.
    pub styles_dir: PathBuf,
    /// Memory for cached tiles; 0 turns the cache off.
    pub tile_cache_mb: u64,
    /// Where clients reach the service (behind a proxy, its public address); by default
    /// `http://` and the address listened on.
    pub public_url: Option<String>,
}

impl Settings {
    /// Defaults for a checkout: `tiles/` and `styles/` under the current directory, 256 MiB of tiles.
    pub fn new(database_url: &str, listen: SocketAddr) -> Settings {
        Settings {
            database_url: database_url.to_owned(),
            listen,
            tiles_dir: "tiles".into(),
            styles_dir: "styles".into(),
            tile_cache_mb: 256,
            public_url: None,
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
    state: AppState,
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        crate::gdal_errors::install();
        let public_url = settings.public_url.as_deref().map(public_url).transpose()?;
        let catalog = Catalog::load(&settings.tiles_dir).map_err(anyhow::Error::msg)?;
        let styles = load_styles(&settings.styles_dir).map_err(anyhow::Error::msg)?;
        let pool =
            storage::connect(&settings.database_url).await.context("cannot connect to the database (DATABASE_URL)")?;
        let pending = storage::MIGRATOR.migrations.len() as i64
            - sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
        anyhow::ensure!(pending == 0, "the database lacks {pending} migration(s): run `diachinh migrate` first");
        let index = SharedIndex::default();
        let tiles = Arc::new(Tiles::new(Arc::new(Layers::new(Arc::new(catalog))), settings.tile_cache_mb));
        let started = Instant::now();
        let live = sync::Live { index: index.clone(), layers: tiles.shared_layers(), derived: tiles.clone() };
        sync::start(pool.clone(), live).await.context("cannot load the parcel index and tile layers")?;
        tracing::info!(
            "index: {} parcels and the tile layers loaded in {:.2?}",
            index.status().parcels,
            started.elapsed()
        );
        let listen = settings.listen;
        let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let public_url = match public_url {
            Some(url) => url,
            None => format!("http://{}", listener.local_addr()?),
        };
        let state = AppState {
            pool,
            index,
            tiles,
            styles: Arc::new(styles),
            public_url: public_url.into(),
            signed_in: crate::http::identity::signed_in_cache(),
        };
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    }
}
