//! One copy of each parcel's geometry for the whole service. The parcel index and the layers
//! keyed by parcel (`parcels`, `ownership`, `holders`, `encumbrances`) read the same
//! `parcels.geom` under the same uid, and each held a copy of its own. A geometry read under a
//! uid is compared with the one already held under it and, when equal, shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use geo::Geometry;

/// Shards, so that the index and the layers loading at once on their own threads seldom wait
/// for each other.
const SHARDS: usize = 16;

#[derive(Default)]
pub struct Shapes {
    shards: [Mutex<Shard>; SHARDS],
}

#[derive(Default)]
struct Shard {
    /// Held weakly: a geometry lives as long as some layer or the index holds it.
    by_uid: HashMap<i64, Weak<Geometry>>,
    /// Entries alive after the last sweep of dead ones.
    live_after_sweep: usize,
}

impl Shapes {
    /// The geometry of parcel version `uid`: the one already held if it is equal, else this one,
    /// held from now on.
    pub fn share(&self, uid: i64, geom: Geometry) -> Arc<Geometry> {
        let mut shard = self.shards[uid.rem_euclid(SHARDS as i64) as usize].lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = shard.by_uid.get(&uid).and_then(Weak::upgrade)
            && *held == geom
        {
            return held;
        }
        let geom = Arc::new(geom);
        shard.by_uid.insert(uid, Arc::downgrade(&geom));
        // A dead entry still holds its allocation's header: sweep them once they are as many as
        // the live ones, which keeps the sweeps' cost per insert constant.
        if shard.by_uid.len() > 2 * shard.live_after_sweep + 1_024 {
            shard.by_uid.retain(|_, w| w.strong_count() > 0);
            shard.live_after_sweep = shard.by_uid.len();
        }
        geom
    }

    /// How many geometries are held.
    pub fn held(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock().unwrap_or_else(|e| e.into_inner()).by_uid.values().filter(|w| w.strong_count() > 0).count()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Point, polygon};

    #[test]
    fn an_equal_geometry_under_the_same_uid_is_shared_and_a_different_one_is_not() {
        let shapes = Shapes::default();
        let square =
            || Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)]);
        let a = shapes.share(7, square());
        let b = shapes.share(7, square());
        assert!(Arc::ptr_eq(&a, &b));
        // Another uid, or the same uid with another shape: a copy of its own.
        assert!(!Arc::ptr_eq(&a, &shapes.share(8, square())));
        let moved = shapes.share(7, Geometry::Point(Point::new(2.0, 2.0)));
        assert!(!Arc::ptr_eq(&a, &moved));
        assert_eq!(*moved, Geometry::Point(Point::new(2.0, 2.0)));
        // Once nobody holds a geometry it is gone, and the sweep drops its entry.
        drop((a, b, moved));
        for uid in 0..100_000 {
            let _ = shapes.share(uid, square());
        }
        assert_eq!(shapes.held(), 0);
        // Nothing lives, so each shard is swept whenever it passes 1,024 entries.
        let total: usize = shapes.shards.iter().map(|s| s.lock().unwrap().by_uid.len()).sum();
        assert!(total <= SHARDS * 1_025, "dead entries swept: {total} of 100,000 left");
    }
}
