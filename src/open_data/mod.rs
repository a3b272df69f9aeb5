//! The open-data catalogue (seed 004 Art. 58-59): the datasets anyone may take without a request
//! (planning, land-price tables, parcel boundaries and land use, market statistics), each with
//! its licence, extent and last update, and bulk files (GeoPackage and PMTiles) written by
//! `diachinh open-data publish` on a schedule (deploy/diachinh-open-data.timer) into a folder
//! the service serves. Only the open view is ever written: no personal field, no restricted layer.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::access::View;
use crate::crs::ApiCrs;
use crate::export::{self, Format};
use crate::features::ItemQuery;
use crate::index::layers::Layers;

/// The licence open data is published under (a choice: attribution only).
pub const LICENCE: &str = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)";
/// PMTiles go up to this zoom: deeper tiles are the service's to cut on demand.
const PMTILES_MAX_ZOOM: u8 = 16;
/// An archive holds at most this many tiles.
const PMTILES_MAX_TILES: u64 = 200_000;

/// One open dataset: a catalog layer and the import kinds its data comes from.
pub struct Dataset {
    pub name: &'static str,
    pub title: &'static str,
    pub layer: &'static str,
    kinds: &'static [&'static str],
}

pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "planning",
        title: "Quy hoạch sử dụng đất — land-use planning",
        layer: "planning",
        kinds: &["planning"],
    },
    Dataset { name: "prices", title: "Bảng giá đất — land-price tables", layer: "pricing", kinds: &["prices"] },
    Dataset {
        name: "parcels",
        title: "Thửa đất: ranh giới và loại đất — parcel boundaries and land use",
        layer: "parcels",
        kinds: &["parcels"],
    },
    Dataset {
        name: "market",
        title: "Thống kê thị trường bất động sản — real-estate market statistics",
        layer: "market",
        kinds: &["transactions"],
    },
];

/// A file of a published dataset.
#[derive(Debug, Serialize, Deserialize)]
pub struct File {
    pub format: String,
    pub file: String,
    pub bytes: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Published {
    pub name: String,
    pub title: String,
    pub layer: String,
    pub licence: String,
    /// W, S, E, N in CRS84, when the dataset has features.
    pub extent: Option<[f64; 4]>,
    pub features: usize,
    pub last_update: Option<DateTime<Utc>>,
    pub files: Vec<File>,
}

/// The catalogue as written next to the files (`catalogue.json`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Catalogue {
    pub published_at: DateTime<Utc>,
    pub datasets: Vec<Published>,
}

pub const CATALOGUE: &str = "catalogue.json";

/// Writes every dataset's files and the catalogue into `dir` (through a temporary folder beside
/// it, renamed file by file, so readers never see a half-written file).
pub async fn publish(pool: &PgPool, layers: &Layers, dir: &Path) -> anyhow::Result<Catalogue> {
    std::fs::create_dir_all(dir)?;
    let catalog = layers.catalog();
    let view = View::open();
    let mut datasets = Vec::new();
    for d in DATASETS {
        let (index, spec) = catalog
            .find(d.layer, view.audience)
            .ok_or_else(|| anyhow::anyhow!("the catalog has no open layer {}", d.layer))?;
        layers.reload(pool, index, None).await?;
        let mut files = Vec::new();
        let gpkg = format!("{}.gpkg", d.name);
        let mut exported = export::export(
            crate::features::Source::database(pool),
            spec,
            &view,
            ItemQuery::default(),
            &ApiCrs::crs84(),
            Format::GeoPackage,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}: {:?}", d.name, e.fault()))?;
        files.push(place(dir, &gpkg, "gpkg", |out| {
            Ok(std::io::copy(&mut exported, &mut std::fs::File::create(out)?).map(|_| ())?)
        })?);
        let bounds = layers.bounds(&[index]);
        if let Some(b) = bounds {
            let tiles =
                crate::tiles::pmtiles::tiles_in(b, spec.minzoom, spec.maxzoom.min(PMTILES_MAX_ZOOM), PMTILES_MAX_TILES)
                    .map_err(|n| anyhow::anyhow!("{}: {n} tiles, more than an archive holds", d.name))?;
            let recipient = crate::tiles::pmtiles::Recipient { view: &view, named: "open data" };
            let pmtiles = format!("{}.pmtiles", d.name);
            files.push(place(dir, &pmtiles, "pmtiles", |out| {
                crate::tiles::pmtiles::export(layers, &[index], &recipient, b, &tiles, out, &crate::progress::Unwatched)
                    .map(|_| ())
            })?);
        }
        let last_update: Option<DateTime<Utc>> =
            sqlx::query_scalar(include_str!("last_update.sql")).bind(d.kinds).fetch_one(pool).await?;
        datasets.push(Published {
            name: d.name.to_owned(),
            title: d.title.to_owned(),
            layer: d.layer.to_owned(),
            licence: LICENCE.to_owned(),
            extent: bounds,
            features: layers.read(index).len(),
            last_update,
            files,
        });
    }
    let catalogue = Catalogue { published_at: Utc::now(), datasets };
    place(dir, CATALOGUE, "json", |out| Ok(std::fs::write(out, serde_json::to_vec_pretty(&catalogue)?)?))?;
    Ok(catalogue)
}

/// Writes `name` in `dir` through `write` into a temporary file, then renames it into place.
fn place(
    dir: &Path,
    name: &str,
    format: &str,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<File> {
    let partial: PathBuf = dir.join(format!(".{name}.partial"));
    write(&partial)?;
    let bytes = std::fs::metadata(&partial)?.len();
    std::fs::rename(&partial, dir.join(name))?;
    Ok(File { format: format.to_owned(), file: name.to_owned(), bytes })
}

/// The catalogue last published into `dir`, if any.
pub fn read(dir: &Path) -> Option<Catalogue> {
    serde_json::from_slice(&std::fs::read(dir.join(CATALOGUE)).ok()?).ok()
}
