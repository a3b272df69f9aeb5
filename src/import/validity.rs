//! A shortcut past GEOS's validity check for the common parcel: one polygon without holes whose
//! ring is plainly simple. GEOS's check (a copy into GEOS, then its topology analysis) was a
//! twelfth of an import's client time; most parcels are a handful of corners that a few exact
//! orientation tests settle. Anything less plain is left to GEOS: `false` means "ask GEOS",
//! never "invalid".

use gdal::vector::ToGdal;
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, MultiPolygon};

/// Whether `mp` is valid as GEOS judges it, and with it PostGIS's `ST_IsValid`: the shortcut
/// below, else GEOS's own test through GDAL.
pub fn valid(mp: &MultiPolygon) -> bool {
    surely_valid(mp) || mp.to_gdal().is_ok_and(|g| g.is_valid())
}

/// Rings with more edges than this go to GEOS: the check below compares every pair.
const MAX_EDGES: usize = 48;

/// Whether `mp` is certainly valid as GEOS (and PostGIS's `ST_IsValid`) judges it: one polygon,
/// no holes, finite coordinates, a closed ring of at least three edges with no edge of length
/// zero, edges that do not touch unless they follow each other, and no two edges that follow
/// each other lying on one line. Such a ring is a simple closed curve, so it bounds an area.
pub fn surely_valid(mp: &MultiPolygon) -> bool {
    let [polygon] = mp.0.as_slice() else { return false };
    if !polygon.interiors().is_empty() {
        return false;
    }
    let ring = &polygon.exterior().0;
    let edges = ring.len().saturating_sub(1);
    if !(3..=MAX_EDGES).contains(&edges) || ring[0] != ring[edges] {
        return false;
    }
    if ring.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) || ring.windows(2).any(|w| w[0] == w[1]) {
        return false;
    }
    let edge = |i: usize| (ring[i], ring[i + 1]);
    for i in 0..edges {
        let (a, b) = edge(i);
        // The next edge starts where this one ends; the far end must be off this line.
        let (_, next_end) = edge((i + 1) % edges);
        if orient(a, b, next_end) == Orientation::Collinear {
            return false;
        }
        // Every edge that does not share an end with this one must stay clear of it.
        for j in i + 2..edges {
            if i == 0 && j == edges - 1 {
                continue;
            }
            let (c, d) = edge(j);
            if may_touch(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

fn orient(p: Coord, q: Coord, r: Coord) -> Orientation {
    RobustKernel::orient2d(p, q, r)
}

/// Whether segments `a`–`b` and `c`–`d` may share a point: they do when each one's ends lie on
/// opposite sides of the other's line, and may when an end lies on the other's line.
fn may_touch(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let sides = [orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)];
    sides.contains(&Orientation::Collinear) || (sides[0] != sides[1] && sides[2] != sides[3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon, polygon};
    use rand::{Rng, SeedableRng};

    fn geos_valid(p: &Polygon) -> bool {
        gdal::vector::ToGdal::to_gdal(p).unwrap().is_valid()
    }

    fn one(p: Polygon) -> MultiPolygon {
        MultiPolygon(vec![p])
    }

    #[test]
    fn plain_lots_are_valid_without_geos() {
        let square = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        let l = polygon![(x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 5.0), (x: 5.0, y: 5.0),
            (x: 5.0, y: 30.0), (x: 0.0, y: 30.0)];
        assert!(surely_valid(&one(square)));
        assert!(surely_valid(&one(l)));
    }

    #[test]
    fn what_is_not_plain_goes_to_geos() {
        let bowtie = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 4.0), (x: 4.0, y: 0.0), (x: 0.0, y: 4.0)];
        let spike = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 8.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0)];
        let repeated = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0)];
        let straight = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0)];
        // Touching itself at a corner: two squares meeting at (2, 2).
        let figure_eight = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 4.0, y: 2.0),
            (x: 4.0, y: 4.0), (x: 2.0, y: 4.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)];
        let flat = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 2.0, y: 2.0)];
        let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 0.0), (x: 4.0, y: 4.0)];
        for p in [bowtie, spike, repeated, straight, figure_eight, flat, nan] {
            assert!(!surely_valid(&one(p.clone())), "{p:?}");
        }
        let courtyard = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (9.0, 0.0), (9.0, 9.0), (0.0, 9.0), (0.0, 0.0)]),
            vec![LineString::from(vec![(3.0, 3.0), (3.0, 6.0), (6.0, 6.0), (6.0, 3.0), (3.0, 3.0)])],
        );
        assert!(!surely_valid(&one(courtyard)));
    }

    /// On random rings of 3 to 11 corners, half on a 5 × 5 integer grid (where corners repeat and
    /// fall on other edges), half jittered stars at TM-3 magnitudes, most of them crossing or
    /// touching themselves: whatever the shortcut calls valid, GEOS does.
    #[test]
    fn never_calls_valid_what_geos_calls_invalid() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut shortcut, mut geos) = (0, 0);
        for i in 0..20_000 {
            let n = rng.gen_range(3..12);
            let ring: Vec<(f64, f64)> = if i % 2 == 0 {
                // Small integer grids make touching and collinear corners common.
                (0..n).map(|_| (f64::from(rng.gen_range(0..5)), f64::from(rng.gen_range(0..5)))).collect()
            } else {
                let (x0, y0) = (rng.gen_range(580_000.0..600_000.0), rng.gen_range(2_320_000.0..2_340_000.0));
                (0..n)
                    .map(|k| {
                        let a = std::f64::consts::TAU * f64::from(k) / f64::from(n) + rng.gen_range(-0.8..0.8);
                        let r = rng.gen_range(1.0..30.0);
                        (x0 + r * a.cos(), y0 + r * a.sin())
                    })
                    .collect()
            };
            let p = Polygon::new(LineString::from(ring), vec![]);
            let fast = surely_valid(&one(p.clone()));
            let valid = geos_valid(&p);
            assert!(!fast || valid, "the shortcut called valid what GEOS does not: {p:?}");
            shortcut += usize::from(fast);
            geos += usize::from(valid);
        }
        // The shortcut must also be taken, or it is no shortcut.
        assert!(shortcut * 2 > geos, "the shortcut settled {shortcut} of {geos} valid rings");
    }
}
