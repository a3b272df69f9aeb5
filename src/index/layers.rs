//! The catalog's layers in memory: each layer's features, exactly as PostGIS holds them
//! (longitude and latitude), in an R-tree of their Web Mercator envelopes (what tiles are cut
//! by) and in id order (what feature pages are paged by); refreshed from PostGIS by `sync` and
//! diffed so that exactly the changed areas are reported.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use anyhow::Context;
use futures_util::TryStreamExt;
use geo::{BoundingRect, Coord};
use geozero::wkb;
use rstar::{AABB, Envelope, RTree, RTreeObject};
use sqlx::{PgPool, Row};

use super::shapes::Shapes;
use super::value::{Strings, Value};
use crate::catalog::{Catalog, FieldType, LayerSpec};

/// Web Mercator (EPSG:3857) radius and the latitude where its square world ends.
pub const R: f64 = 6_378_137.0;
const MAX_LAT: f64 = 85.051_128_779_806_59;

pub fn to_mercator(c: Coord) -> Coord {
    let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
    Coord { x: R * c.x.to_radians(), y: R * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() }
}

pub fn to_lonlat(c: Coord) -> Coord {
    Coord { x: (c.x / R).to_degrees(), y: (2.0 * (c.y / R).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees() }
}

/// One feature of a layer: its stable id, geometry in longitude and latitude (the bytes PostGIS
/// holds, so feature pages answered from memory equal its own; a parcel's is shared with the
/// index and the other layers drawing it, see `shapes`), a value per catalog field, and its
/// envelope in Web Mercator.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: u64,
    pub geom: Arc<geo::Geometry>,
    pub values: Vec<Option<Value>>,
    pub env: AABB<[f64; 2]>,
}

struct Entry(Arc<Feature>);

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.0.env
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

#[derive(Default)]
pub struct Collection {
    tree: RTree<Entry>,
    by_id: BTreeMap<u64, Arc<Feature>>,
    /// Per field: whether its values are (nearly) all distinct, judged on a sample when the
    /// collection is loaded; tiles do not look for repeats of those.
    distinct: Vec<bool>,
    /// The keys of a layer with a `key_column`; empty in any other.
    keys: Keys,
}

/// Features read from PostGIS for a layer, and the key of each when the layer has a
/// `key_column`.
pub struct Fetched {
    features: Vec<Feature>,
    keys: Option<Vec<u64>>,
}

/// For a layer whose features are reloaded under another table's keys (a unit under its
/// parcel's uid): the key of each feature, and the features under each key.
#[derive(Default)]
struct Keys {
    of: HashMap<u64, u64>,
    under: HashMap<u64, Vec<u64>>,
}

impl Keys {
    fn of(features: &[Feature], keys: &[u64]) -> Keys {
        let mut k = Keys::default();
        for (f, key) in features.iter().zip(keys) {
            k.set(f.id, *key);
        }
        k
    }

    fn set(&mut self, id: u64, key: u64) {
        match self.of.insert(id, key) {
            Some(old) if old == key => return,
            Some(old) => self.unset_under(old, id),
            None => {}
        }
        self.under.entry(key).or_default().push(id);
    }

    fn remove(&mut self, id: u64) {
        if let Some(key) = self.of.remove(&id) {
            self.unset_under(key, id);
        }
    }

    fn unset_under(&mut self, key: u64, id: u64) {
        if let Some(ids) = self.under.get_mut(&key) {
            ids.retain(|i| *i != id);
            if ids.is_empty() {
                self.under.remove(&key);
            }
        }
    }
}

impl Collection {
    /// A collection of these features.
    pub fn of(features: Vec<Feature>) -> Collection {
        let mut c = Collection::default();
        c.replace(Fetched { features, keys: None });
        c
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn distinct_fields(&self) -> &[bool] {
        &self.distinct
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn query(&self, env: &AABB<[f64; 2]>) -> impl Iterator<Item = &Arc<Feature>> {
        self.tree.locate_in_envelope_intersecting(env).map(|e| &e.0)
    }

    /// The features with ids above `after` (all without it), in id order.
    pub fn after(&self, after: Option<u64>) -> impl Iterator<Item = &Arc<Feature>> {
        use std::ops::Bound::{Excluded, Unbounded};
        self.by_id.range((after.map_or(Unbounded, Excluded), Unbounded)).map(|(_, f)| f)
    }

    /// The extent of every feature, in Web Mercator.
    pub fn bounds(&self) -> Option<AABB<[f64; 2]>> {
        (!self.is_empty()).then(|| self.tree.root().envelope())
    }

    fn remove(&mut self, id: u64) -> Option<AABB<[f64; 2]>> {
        let f = self.by_id.remove(&id)?;
        self.tree.remove(&Entry(f.clone()));
        Some(f.env)
    }

    fn insert(&mut self, f: Feature) -> AABB<[f64; 2]> {
        let f = Arc::new(f);
        self.by_id.insert(f.id, f.clone());
        let env = f.env;
        self.tree.insert(Entry(f));
        env
    }

    /// Replaces everything; returns the envelopes of what was added, removed or changed.
    fn replace(&mut self, Fetched { features, keys }: Fetched) -> Vec<AABB<[f64; 2]>> {
        self.keys = Keys::of(&features, keys.as_deref().unwrap_or_default());
        let mut changed = Vec::new();
        let mut old = std::mem::take(&mut self.by_id);
        for f in &features {
            match old.remove(&f.id) {
                Some(o) if *o == *f => {}
                Some(o) => changed.extend([o.env, f.env]),
                None => changed.push(f.env),
            }
        }
        changed.extend(old.values().map(|o| o.env));
        let features: Vec<Arc<Feature>> = features.into_iter().map(Arc::new).collect();
        self.distinct = distinct_fields(&features);
        self.by_id = features.iter().map(|f| (f.id, f.clone())).collect();
        self.tree = RTree::bulk_load(features.into_iter().map(Entry).collect());
        changed
    }

    /// Removes the features of `keys` (those with these ids, or in a layer with a key column
    /// those held under these keys) and inserts the `fetched` features (those that still exist);
    /// a feature that comes back as it was is left alone and reports no change, so a reload that
    /// changed nothing drawn evicts no tile.
    fn apply(&mut self, keys: Vec<u64>, fetched: Fetched) -> Vec<AABB<[f64; 2]>> {
        let gone: Vec<u64> = match &fetched.keys {
            Some(_) => keys.iter().filter_map(|k| self.keys.under.get(k)).flatten().copied().collect(),
            None => keys,
        };
        for (f, key) in fetched.features.iter().zip(fetched.keys.iter().flatten()) {
            self.keys.set(f.id, *key);
        }
        let mut changed = Vec::new();
        let mut back = std::collections::HashSet::with_capacity(fetched.features.len());
        for f in fetched.features {
            back.insert(f.id);
            if self.by_id.get(&f.id).is_some_and(|old| **old == f) {
                continue;
            }
            changed.extend(self.remove(f.id));
            changed.push(self.insert(f));
        }
        for id in gone.iter().filter(|id| !back.contains(id)) {
            self.keys.remove(*id);
            changed.extend(self.remove(*id));
        }
        changed
    }
}

/// Per field, whether at least 90% of the values of up to 1,000 features spread over the
/// collection are distinct.
fn distinct_fields(features: &[Arc<Feature>]) -> Vec<bool> {
    let Some(first) = features.first() else { return Vec::new() };
    let step = features.len().div_ceil(1_000);
    (0..first.values.len())
        .map(|i| {
            let values: Vec<&Value> = features.iter().step_by(step).filter_map(|f| f.values[i].as_ref()).collect();
            let distinct: std::collections::HashSet<&Value> = values.iter().copied().collect();
            values.len() >= 10 && distinct.len() * 10 >= values.len() * 9
        })
        .collect()
}

/// Every catalog layer's collection, by the layer's index in the catalog.
pub struct Layers {
    catalog: Arc<Catalog>,
    data: Vec<RwLock<Collection>>,
    /// Where the layers keyed by parcel share their geometries with the index.
    shapes: Arc<Shapes>,
}

impl Layers {
    pub fn new(catalog: Arc<Catalog>, shapes: Arc<Shapes>) -> Layers {
        let data = catalog.layers.iter().map(|_| RwLock::default()).collect();
        Layers { catalog, data, shapes }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn read(&self, layer: usize) -> RwLockReadGuard<'_, Collection> {
        self.data[layer].read().unwrap_or_else(|e| e.into_inner())
    }

    /// A layer that keeps history as it was at moment `on`, within `env` (Web Mercator), read
    /// from PostGIS into a collection of its own (past tiles are cut from it). A layer that
    /// keeps none comes as it is now.
    pub async fn at_moment(
        &self,
        pool: &PgPool,
        layer: usize,
        env: &AABB<[f64; 2]>,
        on: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Collection> {
        let spec = &self.catalog.layers[layer];
        let Some(past) = &spec.sql_on else {
            return Ok(Collection::of(self.read(layer).query(env).map(|f| (**f).clone()).collect()));
        };
        let (lo, hi) = (to_lonlat(env.lower().into()), to_lonlat(env.upper().into()));
        let bbox = vec![lo.x, lo.y, hi.x, hi.y];
        // $2 is the box; $3 to $6 are the feature queries' other parameters, unused here.
        let sql = format!(
            "WITH f AS NOT MATERIALIZED ({past}) SELECT f.* FROM f
             WHERE f.geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326)"
        );
        let rows = sqlx::query(&sql)
            .bind(None::<Vec<i64>>)
            .bind(bbox)
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(None::<i64>)
            .bind(None::<i64>)
            .bind(on)
            .fetch_all(pool)
            .await
            .with_context(|| format!("reading tile layer {} as of {on}", spec.name))?;
        let mut strings = field_strings(spec);
        let features = rows
            .iter()
            .filter_map(|row| feature(spec, row, None, &mut strings).transpose())
            .collect::<anyhow::Result<_>>()?;
        Ok(Collection::of(features))
    }

    /// Reloads a layer from PostGIS: all of it, or (for a keyed layer) the features of `keys`
    /// (parcel uids or feature ids, as its `keyed_by` says). Returns the envelopes of what changed.
    pub async fn reload(
        &self,
        pool: &PgPool,
        layer: usize,
        keys: Option<&[i64]>,
    ) -> anyhow::Result<Vec<AABB<[f64; 2]>>> {
        let features = self.fetch(pool, layer, keys).await?;
        Ok(self.store(layer, keys, features))
    }

    /// Reads what `reload` would store.
    pub async fn fetch(&self, pool: &PgPool, layer: usize, keys: Option<&[i64]>) -> anyhow::Result<Fetched> {
        let spec = &self.catalog.layers[layer];
        let mut query = sqlx::query(&spec.sql);
        if spec.keyed_by.is_some() {
            query = query.bind(keys);
        }
        let shapes = spec.features_are_parcels().then_some(&*self.shapes);
        // Rows are decoded as they come: held all at once, the rows of the layers loading
        // together at start-up took more memory than the features made of them.
        let mut rows = query.fetch(pool);
        let mut fetched = Fetched { features: Vec::new(), keys: spec.key_column.as_ref().map(|_| Vec::new()) };
        let mut strings = field_strings(spec);
        while let Some(row) = rows.try_next().await.with_context(|| format!("loading tile layer {}", spec.name))? {
            match feature(spec, &row, shapes, &mut strings) {
                Ok(Some(f)) => {
                    if let (Some(keys), Some(column)) = (&mut fetched.keys, &spec.key_column) {
                        let key: i64 =
                            row.try_get(column.as_str()).with_context(|| format!("tile layer {}", spec.name))?;
                        keys.push(key as u64);
                    }
                    fetched.features.push(f);
                }
                Ok(None) => {}
                Err(e) => tracing::error!("tile layer {}: {e}", spec.name),
            }
        }
        Ok(fetched)
    }

    /// Stores what `fetch` read: the features of `keys` replaced (a keyed layer), or the whole
    /// layer. Returns the envelopes of what changed.
    pub fn store(&self, layer: usize, keys: Option<&[i64]>, fetched: Fetched) -> Vec<AABB<[f64; 2]>> {
        let keys = keys.filter(|_| self.catalog.layers[layer].keyed_by.is_some());
        let mut data = self.data[layer].write().unwrap_or_else(|e| e.into_inner());
        match keys {
            Some(keys) => data.apply(keys.iter().map(|k| *k as u64).collect(), fetched),
            None => data.replace(fetched),
        }
    }

    /// Where most features of the layers lie: the extent (W, S, E, N in degrees) of the features
    /// whose centres fall in the busiest tile at zoom `z`, where a map opened on the data shows
    /// the most of it.
    pub fn densest(&self, layers: &[usize], z: u8) -> Option<[f64; 4]> {
        let size = 2.0 * std::f64::consts::PI * R / f64::from(1u32 << z);
        // Per tile: how many features, and their extent.
        type Cell = (usize, AABB<[f64; 2]>);
        let mut cells: HashMap<(i64, i64), Cell> = HashMap::new();
        for l in layers {
            for f in self.read(*l).by_id.values() {
                let (lo, hi) = (f.env.lower(), f.env.upper());
                let cell =
                    (((lo[0] + hi[0]) / 2.0 / size).floor() as i64, ((lo[1] + hi[1]) / 2.0 / size).floor() as i64);
                cells
                    .entry(cell)
                    .and_modify(|(n, env)| (*n, *env) = (*n + 1, env.merged(&f.env)))
                    .or_insert((1, f.env));
            }
        }
        // Ties go to the lowest cell, so the answer does not depend on hashing.
        let (_, (_, env)) = cells.into_iter().max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.0.cmp(&a.0)))?;
        let (lo, hi) = (to_lonlat(env.lower().into()), to_lonlat(env.upper().into()));
        Some([lo.x, lo.y, hi.x, hi.y])
    }

    /// The distinct values of a text field of a layer (at most `cap`; `None` when there are more,
    /// so the field is not a list of categories), sorted.
    pub fn categories(&self, layer: usize, field: usize, cap: usize) -> Option<Vec<String>> {
        let mut seen = std::collections::BTreeSet::new();
        for f in self.read(layer).by_id.values() {
            if let Some(Some(Value::Str(v))) = f.values.get(field)
                && !seen.contains(&**v)
            {
                if seen.len() == cap {
                    return None;
                }
                seen.insert(v.to_string());
            }
        }
        Some(seen.into_iter().collect())
    }

    /// The extent of the layers in longitude and latitude, or the whole world while they are
    /// empty (a collection must declare some extent).
    pub fn extent(&self, layers: &[usize]) -> [f64; 4] {
        self.bounds(layers).unwrap_or([-180.0, -90.0, 180.0, 90.0])
    }

    /// The extent of the layers, in longitude and latitude.
    pub fn bounds(&self, layers: &[usize]) -> Option<[f64; 4]> {
        let env = layers.iter().filter_map(|l| self.read(*l).bounds()).reduce(|a, b| a.merged(&b))?;
        let (lo, hi) = (to_lonlat(env.lower().into()), to_lonlat(env.upper().into()));
        Some([lo.x, lo.y, hi.x, hi.y])
    }
}

/// One string interner per field of the layer, for one load.
fn field_strings(spec: &LayerSpec) -> Vec<Strings> {
    spec.fields.iter().map(|_| Strings::default()).collect()
}

fn feature(
    spec: &LayerSpec,
    row: &sqlx::postgres::PgRow,
    shapes: Option<&Shapes>,
    strings: &mut [Strings],
) -> anyhow::Result<Option<Feature>> {
    let id: i64 = row.try_get("id")?;
    let geom: wkb::Decode<geo::Geometry> = row.try_get("geom")?;
    let props: serde_json::Value = row.try_get("props")?;
    let Some(geom) = geom.geometry else { return Ok(None) };
    let Some(rect) = geom.bounding_rect() else { return Ok(None) };
    let values = spec
        .fields
        .iter()
        .zip(strings)
        .map(|(f, strings)| {
            value(f.kind, props.get(&f.name), strings).with_context(|| format!("feature {id}, field {}", f.name))
        })
        .collect::<anyhow::Result<_>>()?;
    // Web Mercator keeps the order of longitudes and of latitudes, so the corners' images bound it.
    let env = AABB::from_corners(to_mercator(rect.min()).into(), to_mercator(rect.max()).into());
    let geom = match shapes {
        Some(shapes) => shapes.share(id, geom),
        None => Arc::new(geom),
    };
    Ok(Some(Feature { id: id as u64, geom, values, env }))
}

fn value(kind: FieldType, v: Option<&serde_json::Value>, strings: &mut Strings) -> anyhow::Result<Option<Value>> {
    use serde_json::Value as J;
    Ok(match (kind, v) {
        (_, None | Some(J::Null)) => None,
        (FieldType::String, Some(J::String(s))) => Some(Value::Str(strings.get(s))),
        (FieldType::Number, Some(J::Number(n))) => n.as_f64().map(Value::Double),
        (FieldType::Integer, Some(J::Number(n))) => n.as_i64().map(Value::Sint),
        (FieldType::Boolean, Some(J::Bool(b))) => Some(Value::Bool(*b)),
        (kind, Some(v)) => anyhow::bail!("{v} is not a {kind:?}"),
    })
}
