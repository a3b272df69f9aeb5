//! The pole search of parcel IDs against the `polylabel` crate it reproduces, on the same lots
//! in one run: lots of a dense city block (rectangles, Ls and many-sided plots, some rotated, at
//! TM-3 coordinates), the default tolerance of 1 m. Prints each one's lots per second and the
//! ratio, after checking that both found the same points.
//!
//! Run: `cargo bench --bench pole` (LOTS=200000 by default).

use std::time::Instant;

use geo::{Coord, LineString, MultiPolygon, Polygon, Rotate, polygon};
use rand::{Rng, SeedableRng};

fn lot(rng: &mut impl Rng) -> Polygon {
    let (x0, y0) = (rng.gen_range(580_000.0..600_000.0), rng.gen_range(2_320_000.0..2_340_000.0));
    let (w, h) = (rng.gen_range(4.0..12.0), rng.gen_range(12.0..40.0));
    let p = match rng.gen_range(0..10) {
        0..=5 => polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h)],
        6..=8 => polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h / 3.0),
            (x: x0 + w / 3.0, y: y0 + h / 3.0), (x: x0 + w / 3.0, y: y0 + h), (x: x0, y: y0 + h)],
        _ => {
            let n = rng.gen_range(5..40);
            let ring: Vec<Coord> = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                    let r = h * rng.gen_range(0.6..1.0);
                    Coord { x: x0 + r * a.cos(), y: y0 + r * a.sin() }
                })
                .collect();
            Polygon::new(LineString::from(ring), vec![])
        }
    };
    if rng.gen_bool(0.5) { p.rotate_around_centroid(rng.gen_range(0.0..90.0)) } else { p }
}

fn main() {
    let n: usize = std::env::var("LOTS").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let lots: Vec<MultiPolygon> = (0..n).map(|_| MultiPolygon(vec![lot(&mut rng)])).collect();
    let tolerance = diachinh::parcel_id::DEFAULT_TOLERANCE_M;

    let started = Instant::now();
    let ours: Vec<_> = lots
        .iter()
        .map(|l| diachinh::parcel_id::characteristic_point(l, tolerance).expect("a lot has a pole"))
        .collect();
    let t_ours = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let crate_points: Vec<_> =
        lots.iter().map(|l| polylabel::polylabel(&l.0[0], &tolerance).expect("a lot has a pole")).collect();
    let t_crate = started.elapsed().as_secs_f64();

    assert_eq!(ours, crate_points, "the two searches found different points");
    println!("{:<28} {:>12}", format!("pole search ({n} lots)"), "lots/s");
    println!("{:<28} {:>12.0}", "polylabel 3.3 (the crate)", n as f64 / t_crate);
    println!("{:<28} {:>12.0}", "diachinh", n as f64 / t_ours);
    println!("ratio: diachinh searches {:.2}× as fast as the crate", t_crate / t_ours);
}
