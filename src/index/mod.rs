//! The in-memory spatial index of current parcels: an R-tree for point and bbox queries and maps
//! by parcel ID and legacy key. PostGIS stays the source of truth; `sync` keeps this current.

pub mod layers;
pub mod shapes;
pub mod sync;
pub mod value;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::SystemTime;

use geo::{BoundingRect, Coord, GeodesicArea, Geometry, Intersects, MultiPolygon, Point};
use rstar::{AABB, Envelope, RTree, RTreeObject};
use serde::Serialize;

use crate::domain::{LandUse, LegacyKey, ParcelId};
use crate::storage::parcels::ParcelRow;
use shapes::Shapes;
use value::Names;

/// A current parcel with everything its open-data view shows. Holds no personal data.
#[derive(Debug, Serialize)]
pub struct Parcel {
    #[serde(skip)]
    pub uid: i64,
    pub parcel_id: ParcelId,
    pub legacy_key: LegacyKey,
    pub commune_code_recorded: Arc<str>,
    pub commune_code: Option<Arc<str>>,
    pub commune_name: Option<Arc<str>>,
    pub province_code: Option<Arc<str>>,
    pub province_name: Option<Arc<str>>,
    pub land_use: LandUse,
    pub legal_area_m2: Option<f64>,
    pub geodesic_area_m2: f64,
    pub alley_width_m: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<String>,
    pub source_crs: Arc<str>,
    /// Always a multipolygon (`from_row` makes it one); shared with the layers drawing parcels
    /// when the parcel is current (see `shapes`).
    #[serde(skip)]
    shape: Arc<Geometry>,
}

/// What `Parcel::geom` would answer for a shape that is not a multipolygon, which `from_row`
/// never makes.
static NO_POLYGONS: MultiPolygon = MultiPolygon(Vec::new());

impl Parcel {
    /// A parcel of a row; its geometry and names shared through `shared` when given (the index's
    /// current parcels).
    pub fn from_row(r: ParcelRow, shared: Option<(&Shapes, &Names)>) -> Result<Parcel, String> {
        let key = format!("{}-{}-{}", r.commune_code_recorded, r.sheet, r.parcel_no);
        let geom = match r.geom.geometry {
            Some(Geometry::MultiPolygon(mp)) => mp,
            Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            _ => return Err(format!("parcel {key} has no polygon")),
        };
        let geodesic_area_m2 = geom.geodesic_area_unsigned();
        let shape = match shared {
            Some((shapes, _)) => shapes.share(r.uid, Geometry::MultiPolygon(geom)),
            None => Arc::new(Geometry::MultiPolygon(geom)),
        };
        let name = |s: &str| match shared {
            Some((_, names)) => names.get(s),
            None => Arc::from(s),
        };
        Ok(Parcel {
            uid: r.uid,
            parcel_id: r.parcel_id.parse().map_err(|e| format!("{key}: {e}"))?,
            legacy_key: key.parse().map_err(|e| format!("{key}: {e}"))?,
            commune_code_recorded: name(&r.commune_code_recorded),
            commune_code: r.commune_code.as_deref().map(name),
            commune_name: r.commune_name.as_deref().map(name),
            province_code: r.province_code.as_deref().map(name),
            province_name: r.province_name.as_deref().map(name),
            land_use: LandUse::from_codes(&r.land_use).map_err(|e| format!("{key}: {e}"))?,
            legal_area_m2: r.legal_area_m2,
            geodesic_area_m2,
            alley_width_m: r.alley_width_m,
            address: r.address,
            digital_address: r.digital_address,
            source_crs: name(&r.source_crs),
            shape,
        })
    }

    pub fn geom(&self) -> &MultiPolygon {
        match &*self.shape {
            Geometry::MultiPolygon(mp) => mp,
            _ => &NO_POLYGONS,
        }
    }

    fn envelope(&self) -> AABB<[f64; 2]> {
        let b = self.geom().bounding_rect().expect("parcels are never empty");
        AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y])
    }
}

struct Entry {
    env: AABB<[f64; 2]>,
    parcel: Arc<Parcel>,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.parcel.uid == other.parcel.uid
    }
}

#[derive(Default)]
pub struct ParcelIndex {
    tree: RTree<Entry>,
    by_uid: HashMap<i64, Arc<Parcel>>,
    by_id: HashMap<ParcelId, i64>,
    by_key: HashMap<LegacyKey, i64>,
}

impl ParcelIndex {
    fn build(parcels: Vec<Parcel>) -> ParcelIndex {
        let mut idx = ParcelIndex::default();
        let mut entries = Vec::with_capacity(parcels.len());
        for p in parcels {
            let p = Arc::new(p);
            idx.remember(&p);
            entries.push(Entry { env: p.envelope(), parcel: p });
        }
        idx.tree = RTree::bulk_load(entries);
        idx
    }

    fn remember(&mut self, p: &Arc<Parcel>) {
        self.by_id.insert(p.parcel_id.clone(), p.uid);
        self.by_key.insert(p.legacy_key.clone(), p.uid);
        self.by_uid.insert(p.uid, p.clone());
    }

    fn remove(&mut self, uid: i64) {
        if let Some(p) = self.by_uid.remove(&uid) {
            self.tree.remove(&Entry { env: p.envelope(), parcel: p.clone() });
            // Another current parcel may have taken the ID or key in the same change.
            if self.by_id.get(&p.parcel_id) == Some(&uid) {
                self.by_id.remove(&p.parcel_id);
            }
            if self.by_key.get(&p.legacy_key) == Some(&uid) {
                self.by_key.remove(&p.legacy_key);
            }
        }
    }

    fn upsert(&mut self, p: Parcel) {
        self.remove(p.uid);
        let p = Arc::new(p);
        self.remember(&p);
        self.tree.insert(Entry { env: p.envelope(), parcel: p });
    }

    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }

    pub fn by_uid(&self, uid: i64) -> Option<&Arc<Parcel>> {
        self.by_uid.get(&uid)
    }

    pub fn by_id(&self, id: &ParcelId) -> Option<&Arc<Parcel>> {
        self.by_id.get(id).and_then(|u| self.by_uid.get(u))
    }

    pub fn by_key(&self, key: &LegacyKey) -> Option<&Arc<Parcel>> {
        self.by_key.get(key).and_then(|u| self.by_uid.get(u))
    }

    /// Parcels whose polygon holds the point, boundary included (R-tree, then exact test).
    pub fn at(&self, lon: f64, lat: f64) -> Vec<&Arc<Parcel>> {
        let pt = Point::new(lon, lat);
        let mut out: Vec<_> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|e| &e.parcel)
            .filter(|p| p.geom().intersects(&pt))
            .collect();
        out.sort_by(|a, b| a.parcel_id.cmp(&b.parcel_id));
        out
    }

    /// Parcels whose polygon meets the bbox, ordered by parcel ID (a stable paging order).
    pub fn in_bbox(&self, bbox: [f64; 4]) -> Vec<&Arc<Parcel>> {
        let env = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        let rect = geo::Rect::new(Coord { x: bbox[0], y: bbox[1] }, Coord { x: bbox[2], y: bbox[3] });
        let mut out: Vec<_> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| &e.parcel)
            .filter(|p| env.contains_envelope(&p.envelope()) || p.geom().intersects(&rect))
            .collect();
        out.sort_by(|a, b| a.parcel_id.cmp(&b.parcel_id));
        out
    }

    /// Parcels that share at least `MIN_SHARED_M` of boundary with `p` within `SNAP_M`: surveyed
    /// neighbours rarely share vertices exactly (T-junctions, rounding), and a common corner
    /// alone does not make a neighbour.
    pub fn neighbours(&self, p: &Parcel) -> Vec<&Arc<Parcel>> {
        let env = p.envelope();
        let pad = SNAP_M / 100_000.0;
        let env = AABB::from_corners(
            [env.lower()[0] - pad, env.lower()[1] - pad],
            [env.upper()[0] + pad, env.upper()[1] + pad],
        );
        let local = LocalMetres::around(p.geom());
        let mine = local.segments(p.geom());
        let mut out: Vec<_> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| &e.parcel)
            .filter(|q| q.uid != p.uid && shared_length(&mine, &local.segments(q.geom())) >= MIN_SHARED_M)
            .collect();
        out.sort_by(|a, b| a.parcel_id.cmp(&b.parcel_id));
        out
    }
}

const SNAP_M: f64 = 0.05;
const MIN_SHARED_M: f64 = 0.1;

/// An equirectangular frame in metres around a parcel: exact enough over a few hundred metres.
struct LocalMetres {
    origin: Coord,
    kx: f64,
    ky: f64,
}

impl LocalMetres {
    fn around(g: &MultiPolygon) -> Self {
        let origin = g.bounding_rect().expect("parcels are never empty").min();
        LocalMetres { origin, kx: 111_320.0 * origin.y.to_radians().cos(), ky: 110_574.0 }
    }

    fn segments(&self, g: &MultiPolygon) -> Vec<[Coord; 2]> {
        let to = |c: Coord| Coord { x: (c.x - self.origin.x) * self.kx, y: (c.y - self.origin.y) * self.ky };
        g.0.iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .flat_map(|ring| ring.lines().map(move |l| [to(l.start), to(l.end)]))
            .collect()
    }
}

/// Total length of `a`'s segments that run along `b`'s within `SNAP_M`.
fn shared_length(a: &[[Coord; 2]], b: &[[Coord; 2]]) -> f64 {
    let mut total = 0.0;
    for [a0, a1] in a {
        let d = *a1 - *a0;
        let len = d.x.hypot(d.y);
        if len == 0.0 {
            continue;
        }
        let (ux, uy) = (d.x / len, d.y / len);
        for [b0, b1] in b {
            // Both ends of b on a's line (within the snap distance), then the overlap along a.
            let off = |c: Coord| ((c.x - a0.x) * uy - (c.y - a0.y) * ux).abs();
            if off(*b0) > SNAP_M || off(*b1) > SNAP_M {
                continue;
            }
            let along = |c: Coord| (c.x - a0.x) * ux + (c.y - a0.y) * uy;
            let (t0, t1) = (along(*b0), along(*b1));
            total += (t0.max(t1).min(len) - t0.min(t1).max(0.0)).max(0.0);
        }
    }
    total
}

/// What `/health` reports of the index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStatus {
    pub parcels: usize,
    pub listening: bool,
    pub last_sync: Option<SystemTime>,
    pub full_loads: u64,
}

/// The index shared by handlers and the sync task.
#[derive(Clone)]
pub struct SharedIndex {
    inner: Arc<RwLock<ParcelIndex>>,
    status: Arc<RwLock<IndexStatus>>,
    shapes: Arc<Shapes>,
    names: Arc<Names>,
}

impl SharedIndex {
    /// An empty index whose parcels share their geometries through `shapes`.
    pub fn new(shapes: Arc<Shapes>) -> Self {
        SharedIndex {
            shapes,
            names: Arc::default(),
            inner: Arc::default(),
            status: Arc::new(RwLock::new(IndexStatus { parcels: 0, listening: false, last_sync: None, full_loads: 0 })),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, ParcelIndex> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn status(&self) -> IndexStatus {
        self.status.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_status(&self, f: impl FnOnce(&mut IndexStatus)) {
        let mut s = self.status.write().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        s.parcels = self.read().len();
        s.last_sync = Some(SystemTime::now());
    }

    /// The parcels of these rows, sharing the index's geometries and names; rows that cannot be
    /// read are logged and left out.
    fn parcels(&self, rows: Vec<ParcelRow>) -> Vec<Parcel> {
        rows.into_iter()
            .filter_map(|r| {
                Parcel::from_row(r, Some((&self.shapes, &self.names)))
                    .inspect_err(|e| tracing::error!("index: {e}"))
                    .ok()
            })
            .collect()
    }

    /// Replaces the whole index with these rows; rows that cannot be read are logged and left out.
    pub fn replace(&self, rows: Vec<ParcelRow>) {
        let parcels = self.parcels(rows);
        let built = ParcelIndex::build(parcels);
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = built;
        self.set_status(|s| s.full_loads += 1);
    }

    /// Applies a change: `uids` were touched, `rows` are those of them still current.
    pub fn apply(&self, uids: &[i64], rows: Vec<ParcelRow>) {
        let parcels = self.parcels(rows);
        {
            let mut idx = self.inner.write().unwrap_or_else(|e| e.into_inner());
            for uid in uids {
                idx.remove(*uid);
            }
            for p in parcels {
                idx.upsert(p);
            }
        }
        self.set_status(|_| {});
    }

    fn set_listening(&self, on: bool) {
        self.status.write().unwrap_or_else(|e| e.into_inner()).listening = on;
    }
}
