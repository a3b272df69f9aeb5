//! `diachinh tiles export`: the open view of some layers (or an account's) over a bbox and zoom range as one
//! PMTiles v3 archive (gzip tiles, TileJSON-style metadata), written to a temporary file and
//! renamed into place, so a failed export never leaves half an archive.

use std::io::BufWriter;
use std::path::Path;

use anyhow::Context;
use pmtiles::{PmTilesWriter, TileCoord, TileType};
use serde_json::json;

use super::{TileId, render};
use crate::access::View;
use crate::index::layers::{Layers, to_mercator};

/// Every tile from `minzoom` to `maxzoom` meeting `bbox` (W,S,E,N in degrees), or Err with
/// their number when there are more than `max`.
pub fn tiles_in(bbox: [f64; 4], minzoom: u8, maxzoom: u8, max: u64) -> Result<Vec<TileId>, u64> {
    let lo = to_mercator(geo::Coord { x: bbox[0], y: bbox[1] });
    let hi = to_mercator(geo::Coord { x: bbox[2], y: bbox[3] });
    let env = rstar::AABB::from_corners([lo.x, lo.y], [hi.x, hi.y]);
    let count = (minzoom..=maxzoom).map(|z| TileId::count_covering(&env, z)).sum::<u64>();
    if count > max {
        return Err(count);
    }
    Ok((minzoom..=maxzoom).flat_map(|z| TileId::covering(&env, z)).collect())
}

/// Whom an export is cut for: the open view, or an account's.
pub struct Recipient<'a> {
    pub view: &'a View,
    /// Said in the archive's description: `open data`, `account dangky`.
    pub named: &'a str,
}

/// Writes the non-empty tiles among `tiles`, cut for the recipient's view; returns how many
/// there were.
pub fn export(
    layers: &Layers,
    set: &[usize],
    recipient: &Recipient,
    bbox: [f64; 4],
    tiles: &[TileId],
    out: &Path,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<usize> {
    let catalog = layers.catalog();
    let (minzoom, maxzoom) = tiles.iter().fold((u8::MAX, 0), |(lo, hi), t| (lo.min(t.z), hi.max(t.z)));
    let names: Vec<&str> = set.iter().map(|l| catalog.layers[*l].name.as_str()).collect();
    let metadata = json!({
        "name": names.join(","),
        "description": format!("diachinh: the view of {}", recipient.named),
        "vector_layers": set.iter().map(|l| catalog.layers[*l].vector_layer(recipient.view.audience)).collect::<Vec<_>>(),
    });
    let partial = out.with_extension("pmtiles.partial");
    let file = std::fs::File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let result = (|| {
        let mut writer = PmTilesWriter::new(TileType::Mvt)
            .min_zoom(minzoom)
            .max_zoom(maxzoom)
            .bounds(bbox[0], bbox[1], bbox[2], bbox[3])
            .center((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0)
            .center_zoom(minzoom)
            .metadata(metadata.to_string())
            .create(BufWriter::new(file))?;
        let mut coords: Vec<TileCoord> =
            tiles.iter().map(|t| TileCoord::new(t.z, t.x, t.y)).collect::<Result<_, _>>()?;
        // Readers are fastest when tiles follow the archive's Hilbert order.
        coords.sort_by_key(|c| u64::from(pmtiles::TileId::from(*c)));
        let mut written = 0;
        for c in coords {
            let bytes = render(layers, set, TileId { z: c.z(), x: c.x(), y: c.y() }, recipient.view);
            if !bytes.is_empty() {
                writer.add_tile(c, &bytes)?;
                written += 1;
            }
            progress.advance(1);
        }
        writer.finalize()?;
        anyhow::Ok(written)
    })();
    match result {
        Ok(written) => {
            std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
            Ok(written)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}
