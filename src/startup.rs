//! Building and running the service: database pool, index and its change feed, HTTP listener.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::http::{AppState, router};
use crate::index::{SharedIndex, sync};
use crate::storage;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(database_url: &str, listen: SocketAddr) -> anyhow::Result<Application> {
        let pool = storage::connect(database_url).await.context("cannot connect to the database (DATABASE_URL)")?;
        let pending = storage::MIGRATOR.migrations.len() as i64
            - sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
        anyhow::ensure!(pending == 0, "the database lacks {pending} migration(s): run `diachinh migrate` first");
        let index = SharedIndex::default();
        let started = Instant::now();
        sync::start(pool.clone(), index.clone()).await.context("cannot load the parcel index")?;
        tracing::info!("index: {} parcels loaded in {:.2?}", index.status().parcels, started.elapsed());
        let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        Ok(Application { listener, state: AppState { pool, index } })
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
