//! Vector tiles cut in-process from the in-memory layers, and their cache. A committed change
//! evicts exactly the cached tiles its old and new envelopes touch, at every zoom.

pub mod mvt;
pub mod pmtiles;
mod projection;
mod protobuf;

use std::sync::{Arc, Mutex, OnceLock};

use geo::Coord;
use moka::sync::Cache;
use rstar::{AABB, Envelope};

use crate::access::View;
use crate::catalog::Catalog;
use crate::catalog::MAX_ZOOM;
use crate::compression::{Coding, Effort};
use crate::index::layers::{Collection, Feature, Layers, to_lonlat};
use crate::index::sync::Derived;
use crate::index::value::Value;

const WORLD: f64 = 2.0 * std::f64::consts::PI * 6_378_137.0;

/// A tile address, checked: z ≤ 24 and x, y < 2^z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, String> {
        if z > MAX_ZOOM as u32 {
            return Err(format!("zoom {z} is above the highest zoom served, {MAX_ZOOM}"));
        }
        let n = 1u64 << z;
        if x as u64 >= n || y as u64 >= n {
            return Err(format!("tile {z}/{x}/{y} does not exist: x and y must be below 2^{z} = {n}"));
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// The tile's square in Web Mercator: [west, south, east, north].
    pub fn bounds(&self) -> [f64; 4] {
        let size = WORLD / (1u64 << self.z) as f64;
        let west = -WORLD / 2.0 + self.x as f64 * size;
        let north = WORLD / 2.0 - self.y as f64 * size;
        [west, north - size, west + size, north]
    }

    /// The tile's square grown by the clipping buffer.
    fn envelope(&self) -> AABB<[f64; 2]> {
        let [w, s, e, n] = self.bounds();
        let pad = (e - w) * mvt::BUFFER / mvt::EXTENT as f64;
        AABB::from_corners([w - pad, s - pad], [e + pad, n + pad])
    }

    /// Tiles at `z` covering an envelope in Web Mercator.
    pub fn covering(env: &AABB<[f64; 2]>, z: u8) -> impl Iterator<Item = TileId> {
        let ([x0, x1], [y0, y1]) = Self::span(env, z);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| TileId { z, x, y }))
    }

    pub fn count_covering(env: &AABB<[f64; 2]>, z: u8) -> u64 {
        let ([x0, x1], [y0, y1]) = Self::span(env, z);
        (x1 - x0 + 1) as u64 * (y1 - y0 + 1) as u64
    }

    /// The first and last column and row at `z` meeting the envelope.
    fn span(env: &AABB<[f64; 2]>, z: u8) -> ([u32; 2], [u32; 2]) {
        let n = 1u32 << z;
        let size = WORLD / n as f64;
        let col = |x: f64| (((x + WORLD / 2.0) / size).floor().max(0.0) as u32).min(n - 1);
        let row = |y: f64| (((WORLD / 2.0 - y) / size).floor().max(0.0) as u32).min(n - 1);
        ([col(env.lower()[0]), col(env.upper()[0])], [row(env.upper()[1]), row(env.lower()[1])])
    }
}

/// An encoded tile and its validator.
#[derive(Debug)]
pub struct Tile {
    pub bytes: bytes::Bytes,
    pub etag: String,
    /// The bytes in each content coding, compressed the first time a client asks for it: kept
    /// with the tile in the cache, so a hit is not compressed again.
    coded: [OnceLock<bytes::Bytes>; 2],
}

impl Tile {
    fn new(bytes: Vec<u8>) -> Tile {
        use std::hash::{BuildHasher, Hasher};
        let mut h = foldhash::quality::FixedState::with_seed(0x5eed).build_hasher();
        h.write(&bytes);
        // Weak: the same tile may go out gzip- or brotli-encoded.
        let etag = format!("W/\"{:016x}-{:x}\"", h.finish(), bytes.len());
        Tile { etag, bytes: bytes.into(), coded: Default::default() }
    }

    /// The tile in `coding`, if it was compressed already.
    pub fn coded(&self, coding: Coding) -> Option<bytes::Bytes> {
        self.coded[coding.index()].get().cloned()
    }

    /// The tile in `coding`, compressed now if it was not (CPU-bound: a few milliseconds for a
    /// dense tile).
    pub fn code(&self, coding: Coding) -> bytes::Bytes {
        self.coded[coding.index()].get_or_init(|| coding.compress(&self.bytes, Effort::Quick).into()).clone()
    }
}

/// Cuts one tile holding `layers` (in that order) for `view`: the fields of its audience, the
/// rows of its scope.
pub fn render(all: &Layers, layers: &[usize], t: TileId, view: &View) -> Vec<u8> {
    let data: Vec<_> = layers.iter().map(|&l| all.read(l)).collect();
    render_from(all.catalog(), layers.iter().copied().zip(data.iter().map(|d| &**d)), t, view)
}

/// Cuts a tile from these layers' collections (by their index in the catalog).
fn render_from<'a>(
    catalog: &Catalog,
    layers: impl Iterator<Item = (usize, &'a Collection)>,
    t: TileId,
    view: &View,
) -> Vec<u8> {
    let [west, _, east, _] = t.bounds();
    let to_tile = projection::to_tile(t);
    let env = t.envelope();
    let mut tile = Vec::new();
    let mut commands = mvt::Commands::default();
    let mut feature_tags = Vec::new();
    for (l, data) in layers {
        let spec = &catalog.layers[l];
        if !spec.has_zoom(t.z) {
            continue;
        }
        // In Web Mercator units: the pixel size of a 512-pixel tile times the minimum.
        let min_size = spec.min_size_px * (east - west) / 512.0;
        let scope = spec.scope_index();
        let commune = |f: &'a Feature| {
            scope.and_then(|i| match &f.values[i] {
                Some(Value::Str(code)) => Some(&**code),
                _ => None,
            })
        };
        let mut found: Vec<_> = data
            .query(&env)
            .filter(|f| {
                let (lo, hi) = (f.env.lower(), f.env.upper());
                hi[0] - lo[0] >= min_size || hi[1] - lo[1] >= min_size
            })
            .filter(|f| spec.admits(view, commune(f)))
            .collect();
        if found.len() > spec.max_features {
            found.select_nth_unstable_by(spec.max_features - 1, |a, b| b.env.area().total_cmp(&a.env.area()));
            found.truncate(spec.max_features);
        }
        found.sort_unstable_by_key(|f| f.id);
        let tolerance = spec.simplify_px * mvt::EXTENT as f64 / 512.0;
        let mut tags = Tags { distinct: data.distinct_fields(), ..Tags::default() };
        tags.value_index.reserve(found.len());
        let mut features = Vec::with_capacity(found.len() * 128);
        for f in found {
            let kind = commands.encode(&f.geom, &to_tile, tolerance).or_else(|| {
                let (lo, hi) = (f.env.lower(), f.env.upper());
                let centre = geo::Point(to_lonlat(Coord { x: (lo[0] + hi[0]) / 2.0, y: (lo[1] + hi[1]) / 2.0 }));
                spec.specks_as_points.then(|| commands.encode(&centre.into(), &to_tile, tolerance)).flatten()
            });
            let Some(kind) = kind else { continue };
            feature_tags.clear();
            for (i, field) in spec.visible_fields(view.audience_for(commune(f))) {
                if let Some(v) = &f.values[i] {
                    feature_tags.extend(tags.insert(i, &field.name, v));
                }
            }
            protobuf::feature(&mut features, f.id, &feature_tags, kind, &commands.buf);
        }
        if !features.is_empty() {
            protobuf::layer(&mut tile, &spec.name, &features, &tags.keys, &tags.values, mvt::EXTENT);
        }
    }
    tile
}

/// A layer's key and value tables. Keys are the catalog's fields, so a field's position finds
/// its key without hashing; values are interned with a fast hash (tiles hold thousands), except
/// those of fields whose values are (nearly) all distinct, where hashing would find no repeat.
#[derive(Default)]
struct Tags<'a> {
    keys: Vec<String>,
    key_of_field: Vec<Option<u32>>,
    values: Vec<&'a Value>,
    value_index: foldhash::HashMap<&'a Value, u32>,
    distinct: &'a [bool],
    /// Per field: the last value written and its index.
    last: Vec<Option<(&'a Value, u32)>>,
}

impl<'a> Tags<'a> {
    fn insert(&mut self, field: usize, name: &str, value: &'a Value) -> [u32; 2] {
        if self.key_of_field.len() <= field {
            self.key_of_field.resize(field + 1, None);
        }
        let key = *self.key_of_field[field].get_or_insert_with(|| {
            self.keys.push(name.to_owned());
            self.keys.len() as u32 - 1
        });
        if self.distinct.get(field) == Some(&true) {
            self.values.push(value);
            return [key, self.values.len() as u32 - 1];
        }
        // Features come in id order, and neighbours mostly share a commune or a land use.
        if self.last.len() <= field {
            self.last.resize(field + 1, None);
        }
        if let Some((last, index)) = self.last[field]
            && last == value
        {
            return [key, index];
        }
        let index = *self.value_index.entry(value).or_insert_with(|| {
            self.values.push(value);
            self.values.len() as u32 - 1
        });
        self.last[field] = Some((value, index));
        [key, index]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    layers: Box<[usize]>,
    tile: TileId,
    view: View,
    /// A past moment the tile shows (cached apart from current tiles; the past does not change).
    on: Option<chrono::DateTime<chrono::Utc>>,
}

/// Tiles, cut on demand and kept in a bounded cache (none when its size is 0).
pub struct Tiles {
    layers: Arc<Layers>,
    cache: Option<Cache<Key, Arc<Tile>>>,
    /// Counts evictions; a tile cut while one happened is served but not cached, since it may
    /// hold what the eviction removed. The lock orders caching against eviction.
    generation: Mutex<u64>,
    cutters: tokio::sync::Semaphore,
}

impl Tiles {
    pub fn new(layers: Arc<Layers>, cache_mb: u64) -> Tiles {
        let cache = (cache_mb > 0).then(|| {
            Cache::builder()
                .max_capacity(cache_mb * 1024 * 1024)
                // Half again for the compressed copies a tile comes to hold (brotli's is about a
                // quarter of the tile, gzip's a third).
                .weigher(|_: &Key, t: &Arc<Tile>| (t.bytes.len() * 3 / 2 + 128).try_into().unwrap_or(u32::MAX))
                .support_invalidation_closures()
                .build()
        });
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Tiles { layers, cache, generation: Mutex::new(0), cutters: tokio::sync::Semaphore::new(cores) }
    }

    pub fn layers(&self) -> &Layers {
        &self.layers
    }

    /// The layers tiles are cut from, to share with what keeps them current.
    pub fn shared_layers(&self) -> Arc<Layers> {
        self.layers.clone()
    }

    /// The tile, and whether it came from the cache.
    pub async fn get(
        self: &Arc<Self>,
        layers: &[usize],
        tile: TileId,
        view: &View,
    ) -> Result<(Arc<Tile>, bool), tokio::task::JoinError> {
        let key = Key { layers: layers.into(), tile, view: view.clone(), on: None };
        if let Some(hit) = self.cached(&key) {
            return Ok((hit, true));
        }
        // Cutting is CPU-bound: one tile per core at a time, first come first served, so a burst
        // of heavy tiles queues instead of slowing every tile down.
        let _permit = self.cutters.acquire().await.expect("the semaphore is never closed");
        if let Some(hit) = self.cached(&key) {
            return Ok((hit, true)); // cut by another request while this one waited
        }
        let this = self.clone();
        tokio::task::spawn_blocking(move || (this.cut(key), false)).await
    }

    /// The tile as the layers were at a past moment `on`: layers that keep history read from
    /// PostGIS, the others as they are. Cut on demand, cached apart; changes never evict them.
    pub async fn get_past(
        self: &Arc<Self>,
        pool: &sqlx::PgPool,
        layers: &[usize],
        tile: TileId,
        view: &View,
        on: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<(Arc<Tile>, bool)> {
        let key = Key { layers: layers.into(), tile, view: view.clone(), on: Some(on) };
        if let Some(hit) = self.cached(&key) {
            return Ok((hit, true));
        }
        let mut data = Vec::with_capacity(layers.len());
        for &l in layers {
            data.push((l, self.layers.at_moment(pool, l, &tile.envelope(), on).await?));
        }
        let _permit = self.cutters.acquire().await.expect("the semaphore is never closed");
        let this = self.clone();
        let cut = tokio::task::spawn_blocking(move || {
            let bytes = render_from(this.layers.catalog(), data.iter().map(|(l, c)| (*l, c)), key.tile, &key.view);
            let fresh = Arc::new(Tile::new(bytes));
            if let Some(cache) = &this.cache {
                cache.insert(key, fresh.clone());
            }
            fresh
        });
        Ok((cut.await?, false))
    }

    fn cached(&self, key: &Key) -> Option<Arc<Tile>> {
        let hit = self.cache.as_ref()?.get(key)?;
        metrics::counter!("diachinh_tile_cache_hits_total").increment(1);
        Some(hit)
    }

    fn cut(&self, key: Key) -> Arc<Tile> {
        let generation = *self.lock();
        let fresh = Arc::new(Tile::new(render(&self.layers, &key.layers, key.tile, &key.view)));
        if let Some(cache) = &self.cache {
            metrics::counter!("diachinh_tile_cache_misses_total").increment(1);
            let now = self.lock();
            if *now == generation {
                cache.insert(key, fresh.clone());
            }
        }
        fresh
    }

    /// Evicts every cached tile holding `layer` whose buffered square meets one of `envs`.
    pub fn changed(&self, layer: usize, envs: Vec<AABB<[f64; 2]>>) {
        if envs.is_empty() {
            return;
        }
        let mut generation = self.lock();
        *generation += 1;
        if let Some(cache) = &self.cache {
            let touched = move |k: &Key, _: &Arc<Tile>| {
                k.on.is_none() && k.layers.contains(&layer) && {
                    let square = k.tile.envelope();
                    envs.iter().any(|e| e.intersects(&square))
                }
            };
            if let Err(e) = cache.invalidate_entries_if(touched) {
                tracing::error!("tile cache: {e}; clearing it");
                cache.invalidate_all();
            }
        }
    }

    /// Forgets every cached tile (after a resynchronisation).
    pub fn clear(&self) {
        let mut generation = self.lock();
        *generation += 1;
        if let Some(cache) = &self.cache {
            cache.invalidate_all();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The change feed tells the cache what changed.
impl Derived for Tiles {
    fn changed(&self, layer: usize, envelopes: Vec<AABB<[f64; 2]>>) {
        Tiles::changed(self, layer, envelopes);
    }
    fn clear(&self) {
        Tiles::clear(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_addresses_are_checked_and_cover_envelopes() {
        assert!(TileId::new(25, 0, 0).unwrap_err().contains("above the highest zoom"));
        assert!(TileId::new(2, 4, 0).unwrap_err().contains("below 2^2 = 4"));
        let t = TileId::new(1, 1, 0).unwrap();
        let [w, s, e, n] = t.bounds();
        assert_eq!((w, s), (0.0, 0.0));
        assert!((e - WORLD / 2.0).abs() < 1e-6 && (n - WORLD / 2.0).abs() < 1e-6);
        let env = AABB::from_corners([1.0, 1.0], [2.0, 2.0]);
        assert_eq!(TileId::covering(&env, 1).collect::<Vec<_>>(), vec![t]);
    }
}
