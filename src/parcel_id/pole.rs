//! The pole of inaccessibility as the `polylabel` crate (3.3) finds it: the same cells, taken in
//! the same order, give the same point to the bit, so parcel IDs do not change. What differs is
//! the distance from a cell to the outline: an edge whose squared distance already exceeds the
//! nearest found so far cannot be the nearest, so most edges cost no `hypot`, and an edge's own
//! length is taken once, not once per cell. The crate took a root per edge per cell, and the
//! pole search was a third of an import's client time. The queue of cells is written out too
//! (`Queue`), keeping them exactly as the crate's `BinaryHeap` does.

use std::cmp::Ordering::{self, Equal, Greater, Less};

use geo::{Area, BoundingRect, Centroid, Coord, LineString, Point, Polygon, Rect};

/// Why a polygon has no pole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoleError {
    #[error("the tolerance must be a positive number")]
    Tolerance,
    #[error("the polygon is empty")]
    Empty,
}

/// The point of `polygon` farthest from its outline, to within `tolerance`.
pub fn pole(polygon: &Polygon, tolerance: f64) -> Result<Point, PoleError> {
    // A non-positive or NaN tolerance would subdivide the cells at the pole forever.
    if tolerance.is_nan() || tolerance <= 0.0 {
        return Err(PoleError::Tolerance);
    }
    // What the crate answers for degenerate polygons, kept so that their IDs do not change.
    if polygon.signed_area() == 0.0 {
        return Ok(Point::new(0.0, 0.0));
    }
    let bbox = polygon.bounding_rect().ok_or(PoleError::Empty)?;
    let cell_size = bbox.width().min(bbox.height());
    if cell_size == 0.0 {
        return Ok(Point::from(bbox.min()));
    }
    let outline = Outline::new(polygon);
    let centroid = polygon.centroid().ok_or(PoleError::Empty)?;
    let centroid_cell = Cell::new(centroid.0, 0.0, &outline);
    let bbox_cell = Cell::new(bbox.centroid().0, 0.0, &outline);
    let mut best = if bbox_cell.distance < centroid_cell.distance { bbox_cell } else { centroid_cell };
    let mut cells = Queue::default();
    cells.extend(first_cells(bbox, cell_size / 2.0, &outline));
    while let Some(cell) = cells.pop() {
        if cell.distance > best.distance {
            best = cell;
        }
        if cell.max_distance - best.distance <= tolerance {
            continue;
        }
        let h = cell.half_extent / 2.0;
        let c = cell.centroid;
        // The crate's order of the four quarters.
        cells.extend(
            [(-h, -h), (h, -h), (-h, h), (h, h)]
                .into_iter()
                .map(|(dx, dy)| Cell::new(Coord { x: c.x + dx, y: c.y + dy }, h, &outline)),
        );
    }
    Ok(Point::from(best.centroid))
}

/// The square cells covering the bounding box, in the crate's order.
fn first_cells(bbox: Rect, half_extent: f64, outline: &Outline) -> impl Iterator<Item = Cell> {
    let cell_size = half_extent * 2.0;
    let count = |extent: f64| {
        let n = (extent / cell_size).ceil();
        if n >= 0.0 && n < usize::MAX as f64 { n as usize } else { 0 }
    };
    let (nx, ny) = (count(bbox.width()), count(bbox.height()));
    let origin = bbox.min();
    (0..nx).flat_map(move |x| (0..ny).map(move |y| (x, y))).map(move |(x, y)| {
        let centroid = Coord {
            x: origin.x + x as f64 * cell_size + half_extent,
            y: origin.y + y as f64 * cell_size + half_extent,
        };
        Cell::new(centroid, half_extent, outline)
    })
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    centroid: Coord,
    half_extent: f64,
    /// Signed distance from the centroid to the outline, positive inside.
    distance: f64,
    /// The most any point of the cell can have.
    max_distance: f64,
}

impl Cell {
    fn new(centroid: Coord, half_extent: f64, outline: &Outline) -> Cell {
        let distance = outline.signed_distance(centroid);
        Cell { centroid, half_extent, distance, max_distance: distance + half_extent * std::f64::consts::SQRT_2 }
    }
}

/// The cells still to look at, by `max_distance`, kept exactly as the crate's queue (std's
/// `BinaryHeap`) keeps them: cells of equal `max_distance` come out in the same order, and which
/// of two equally good points is the pole depends on it. Written out, the queue builds the four
/// quarters in place and moves cells without going through `Ord` (the heap's operations were a
/// third of the search).
#[derive(Default)]
struct Queue(Vec<Cell>);

/// The crate's order of cells: by `max_distance` with `partial_cmp`, a NaN counting as equal.
fn order(a: &Cell, b: &Cell) -> Ordering {
    a.max_distance.partial_cmp(&b.max_distance).unwrap_or(Equal)
}

impl Queue {
    /// `BinaryHeap::pop`: the last cell into the root's place, sunk to the bottom along the
    /// greater children, then raised.
    fn pop(&mut self) -> Option<Cell> {
        let mut top = self.0.pop()?;
        if !self.0.is_empty() {
            std::mem::swap(&mut top, &mut self.0[0]);
            let end = self.0.len();
            let moving = self.0[0];
            let mut hole = 0;
            let mut child = 1;
            while child + 1 < end {
                child += usize::from(order(&self.0[child], &self.0[child + 1]) != Greater);
                self.0[hole] = self.0[child];
                hole = child;
                child = 2 * hole + 1;
            }
            if child == end - 1 {
                self.0[hole] = self.0[child];
                hole = child;
            }
            self.0[hole] = moving;
            self.sift_up(0, hole);
        }
        Some(top)
    }

    /// `BinaryHeap::extend`: appends, then rebuilds the heap or raises the new cells one by
    /// one, whichever std's rule deems cheaper.
    fn extend(&mut self, cells: impl Iterator<Item = Cell>) {
        let start = self.0.len();
        self.0.extend(cells);
        let len = self.0.len();
        if start == len {
            return;
        }
        let tail = len - start;
        let rebuild = if start < tail {
            true
        } else if len <= 2048 {
            2 * len < tail * start.ilog2() as usize
        } else {
            2 * len < tail * 11
        };
        if rebuild {
            for n in (0..len / 2).rev() {
                self.sift_down(n);
            }
        } else {
            for i in start..len {
                self.sift_up(0, i);
            }
        }
    }

    fn sift_up(&mut self, start: usize, mut hole: usize) {
        let moving = self.0[hole];
        while hole > start {
            let parent = (hole - 1) / 2;
            if order(&moving, &self.0[parent]) != Greater {
                break;
            }
            self.0[hole] = self.0[parent];
            hole = parent;
        }
        self.0[hole] = moving;
    }

    fn sift_down(&mut self, mut hole: usize) {
        let end = self.0.len();
        let moving = self.0[hole];
        let mut child = 2 * hole + 1;
        while child + 1 < end {
            child += usize::from(order(&self.0[child], &self.0[child + 1]) != Greater);
            if order(&moving, &self.0[child]) != Less {
                self.0[hole] = moving;
                return;
            }
            self.0[hole] = self.0[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child == end - 1 && order(&moving, &self.0[child]) == Less {
            self.0[hole] = self.0[child];
            hole = child;
        }
        self.0[hole] = moving;
    }
}

/// Edges checked together against one bounding box, as the crate groups them.
const BLOCK: usize = 32;

/// An edge of a ring, with what every cell's distance to it needs.
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord,
    b: Coord,
    dx: f64,
    dy: f64,
    d_squared: f64,
    /// `dx.hypot(dy)`, the one root the distance to the edge's interior takes.
    length: f64,
}

impl Edge {
    fn new(a: Coord, b: Coord) -> Edge {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        Edge { a, b, dx, dy, d_squared: dx * dx + dy * dy, length: dx.hypot(dy) }
    }

    /// The distance from `p`, computed as geo computes it (so to the same bit), or `None` when
    /// its square shows it is more than `bound`. The margin covers the rounding of the squares,
    /// some 1e-15 relative, many times over.
    fn distance_within(&self, p: Coord, bound: f64) -> Option<f64> {
        let Edge { a, b, dx, dy, d_squared, length } = *self;
        let bound_sq = bound * bound * (1.0 + 1e-9);
        let to_end = |c: Coord| {
            let (ex, ey) = (c.x - p.x, c.y - p.y);
            (ex * ex + ey * ey <= bound_sq).then(|| ex.hypot(ey))
        };
        if a == b {
            return to_end(a);
        }
        // geo compares `r = along / d_squared` with 0 and 1. The sign of `along` decides the
        // first; the division is only needed where rounding could make `r` 1 (`d_squared` > 0).
        let along = (p.x - a.x) * dx + (p.y - a.y) * dy;
        if along <= 0.0 {
            return to_end(a);
        }
        if along >= d_squared || (along > d_squared * (1.0 - 1e-12) && along / d_squared >= 1.0) {
            return to_end(b);
        }
        let cross = (a.y - p.y) * dx - (a.x - p.x) * dy;
        if cross * cross > bound_sq * d_squared {
            return None;
        }
        Some((cross / d_squared).abs() * length)
    }
}

/// A ring's edges, and each block's bounding box (its corners).
type Ring = (Vec<Edge>, Vec<(Coord, Coord)>);

/// The rings, exterior first.
struct Outline {
    rings: Vec<Ring>,
}

impl Outline {
    fn new(polygon: &Polygon) -> Outline {
        let ring = |r: &LineString| {
            let edges: Vec<Edge> = r.lines().map(|l| Edge::new(l.start, l.end)).collect();
            let boxes = edges.chunks(BLOCK).map(block_box).collect();
            (edges, boxes)
        };
        Outline { rings: std::iter::once(polygon.exterior()).chain(polygon.interiors()).map(ring).collect() }
    }

    /// The crate's signed distance: the nearest edge's distance, negative outside (an even-odd
    /// ray count), blocks too far away and not crossing the ray skipped.
    fn signed_distance(&self, p: Coord) -> f64 {
        let mut inside = false;
        let mut nearest = f64::INFINITY;
        for (edges, boxes) in &self.rings {
            for (block, (min, max)) in boxes.iter().enumerate() {
                let (dx, dy) = (outside(p.x, min.x, max.x), outside(p.y, min.y, max.y));
                let skip_dist = dx * dx + dy * dy >= nearest * nearest;
                let skip_cross = p.y < min.y || p.y >= max.y || p.x > max.x;
                if skip_dist && skip_cross {
                    continue;
                }
                let start = block * BLOCK;
                for e in &edges[start..(start + BLOCK).min(edges.len())] {
                    let (a, b) = (e.a, e.b);
                    if !skip_cross && ((a.y > p.y) != (b.y > p.y)) && (p.x < e.dx * (p.y - a.y) / e.dy + a.x) {
                        inside = !inside;
                    }
                    if !skip_dist && let Some(d) = e.distance_within(p, nearest) {
                        nearest = nearest.min(d);
                    }
                }
            }
        }
        if inside { nearest } else { -nearest }
    }
}

/// How far `v` lies outside `[min, max]`, as the crate computes it.
fn outside(v: f64, min: f64, max: f64) -> f64 {
    if v < min {
        min - v
    } else if v > max {
        v - max
    } else {
        0.0
    }
}

fn block_box(edges: &[Edge]) -> (Coord, Coord) {
    let mut min = Coord { x: f64::INFINITY, y: f64::INFINITY };
    let mut max = Coord { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY };
    for e in edges {
        for c in [e.a, e.b] {
            if c.x < min.x {
                min.x = c.x;
            }
            if c.x > max.x {
                max.x = c.x;
            }
            if c.y < min.y {
                min.y = c.y;
            }
            if c.y > max.y {
                max.y = c.y;
            }
        }
    }
    (min, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Rotate, polygon};
    use rand::{Rng, SeedableRng};

    /// A lot shaped as real ones are, at TM-3 magnitudes: a rotated rectangle, an L, a star of up
    /// to 120 vertices (several blocks of edges), some with a courtyard, some self-crossing.
    fn lot(rng: &mut impl Rng) -> Polygon {
        let (x0, y0) = (rng.gen_range(400_000.0..700_000.0), rng.gen_range(1_000_000.0..2_600_000.0));
        let (w, h) = (rng.gen_range(2.0..60.0), rng.gen_range(2.0..60.0));
        let mut p = match rng.gen_range(0..5) {
            0 => polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h), (x: x0, y: y0 + h)],
            1 => polygon![(x: x0, y: y0), (x: x0 + w, y: y0), (x: x0 + w, y: y0 + h / 3.0),
                (x: x0 + w / 3.0, y: y0 + h / 3.0), (x: x0 + w / 3.0, y: y0 + h), (x: x0, y: y0 + h)],
            2 => polygon![(x: x0, y: y0), (x: x0 + w, y: y0 + h), (x: x0 + w, y: y0), (x: x0, y: y0 + h)],
            _ => {
                let n = rng.gen_range(3..120);
                let ring: Vec<Coord> = (0..n)
                    .map(|i| {
                        let a = std::f64::consts::TAU * i as f64 / n as f64;
                        let r = w * rng.gen_range(0.5..1.0);
                        Coord { x: x0 + r * a.cos(), y: y0 + r * a.sin() }
                    })
                    .collect();
                let hole = rng.gen_bool(0.3).then(|| {
                    let r = w * 0.2;
                    LineString::from(vec![(x0 - r, y0 - r), (x0 - r, y0 + r), (x0 + r, y0 + r), (x0 + r, y0 - r)])
                });
                Polygon::new(LineString::from(ring), hole.into_iter().collect())
            }
        };
        if rng.gen_bool(0.5) {
            p = p.rotate_around_centroid(rng.gen_range(0.0..90.0));
        }
        p
    }

    #[test]
    fn finds_the_crates_point_to_the_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
        for i in 0..3_000 {
            let p = lot(&mut rng);
            let tolerance = [1.0, 0.1, 0.37][i % 3];
            let want = polylabel::polylabel(&p, &tolerance).unwrap();
            let got = pole(&p, tolerance).unwrap();
            assert_eq!((got.x().to_bits(), got.y().to_bits()), (want.x().to_bits(), want.y().to_bits()), "{p:?}");
        }
    }

    #[test]
    fn degenerate_polygons_and_tolerances_answer_as_the_crate_does() {
        let flat = polygon![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 3.0, y: 1.0)];
        assert_eq!(pole(&flat, 1.0), Ok(Point::new(0.0, 0.0)));
        assert_eq!(pole(&flat, 1.0).unwrap(), polylabel::polylabel(&flat, &1.0).unwrap());
        let square = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        for bad in [0.0, -1.0, f64::NAN] {
            assert_eq!(pole(&square, bad), Err(PoleError::Tolerance));
        }
    }
}
