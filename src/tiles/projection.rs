//! Longitude and latitude into a tile's extent units, as tiles are cut. Web Mercator's y needs
//! a logarithm and a tangent per point; near a tile (where nearly every point cut lies) a quartic
//! in the latitude's offset from the tile's centre gives the same y to a thousandth of a unit,
//! for a few multiplications.

use geo::Coord;

use super::TileId;
use super::mvt::EXTENT;
use crate::index::layers::{R, to_lonlat, to_mercator};

/// Zooms from which the quartic is used: tiles there span at most about 0.35° of latitude.
const CUBIC_FROM: u8 = 10;

/// A point in `t`'s extent units: x to the east, y down from its north edge.
pub fn to_tile(t: TileId) -> impl Fn(Coord) -> Coord {
    let [west, south, east, north] = t.bounds();
    let scale = f64::from(EXTENT) / (east - west);
    let phi0 = to_lonlat(Coord { x: 0.0, y: (south + north) / 2.0 }).y.to_radians();
    let (sec, tan) = (1.0 / phi0.cos(), phi0.tan());
    let y0 = to_mercator(Coord { x: 0.0, y: phi0.to_degrees() }).y;
    // Taylor's coefficients of y = R ln tan(π/4 + φ/2) at φ0: y' = R sec φ, and on.
    let (d1, d2) = (R * sec, R * sec * tan / 2.0);
    let (d3, d4) = (R * sec * (tan * tan + sec * sec) / 6.0, R * sec * tan * (tan * tan + 5.0 * sec * sec) / 24.0);
    // Within four tile heights of the centre (in radians of latitude), the quartic's error stays
    // far below a unit; farther points (clipped away, but their edges' crossings count) and
    // low zooms take the exact formula.
    let reach = if t.z >= CUBIC_FROM && phi0.abs() < 1.4 { 4.0 * (north - south) / R * phi0.cos() } else { 0.0 };
    move |c: Coord| {
        let d = c.y.to_radians() - phi0;
        let y = if d.abs() < reach { y0 + d * (d1 + d * (d2 + d * (d3 + d * d4))) } else { to_mercator(c).y };
        Coord { x: (R * c.x.to_radians() - west) * scale, y: (north - y) * scale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_quartic_agrees_with_web_mercator_to_a_thousandth_of_a_unit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut worst: f64 = 0.0;
        for _ in 0..2_000 {
            let z: u8 = rng.gen_range(CUBIC_FROM..=24);
            let (lon, lat) = (rng.gen_range(-179.0..179.0), rng.gen_range(-75.0..75.0));
            let m = to_mercator(Coord { x: lon, y: lat });
            let n = 1u32 << z;
            let size = 2.0 * std::f64::consts::PI * R / f64::from(n);
            let col = ((m.x + std::f64::consts::PI * R) / size) as u32;
            let row = ((std::f64::consts::PI * R - m.y) / size) as u32;
            let t = TileId::new(u32::from(z), col.min(n - 1), row.min(n - 1)).unwrap();
            let project = to_tile(t);
            let [west, south, east, north] = t.bounds();
            let scale = f64::from(EXTENT) / (east - west);
            for _ in 0..20 {
                // Points over the tile and three tile heights beyond it, either way.
                let y = rng.gen_range(south - 3.0 * (north - south)..north + 3.0 * (north - south));
                let c = to_lonlat(Coord { x: m.x, y });
                let exact = (north - to_mercator(c).y) * scale;
                worst = worst.max((project(c).y - exact).abs());
            }
        }
        assert!(worst < 0.001, "the quartic strays {worst} units");
    }
}
