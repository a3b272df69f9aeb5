//! Geometry into Mapbox Vector Tile 2.1 commands: clip to the tile and its buffer, simplify in
//! tile space, quantise to the extent, drop repeated points and rings that collapse, orient
//! exterior rings clockwise (positive area with y down) and holes counter-clockwise.

use geo::{Coord, Geometry, LineString};
use geozero::mvt::tile::GeomType;

pub const EXTENT: u32 = 4096;
/// Extent units around the tile kept when clipping, so that strokes do not end at tile edges.
pub const BUFFER: f64 = 64.0;

type Pt = (i32, i32);

/// Commands for `geom`, mapped into tile space by `to_tile`; None when nothing of it is left.
#[cfg(test)]
pub fn encode(geom: &Geometry, to_tile: &impl Fn(Coord) -> Coord, tolerance: f64) -> Option<(GeomType, Vec<u32>)> {
    let mut out = Commands::default();
    let kind = out.encode(geom, to_tile, tolerance)?;
    Some((kind, out.buf))
}

const LO: f64 = -BUFFER;
const HI: f64 = EXTENT as f64 + BUFFER;

/// One feature's geometry commands, and the buffers its rings pass through: kept from feature
/// to feature of a tile, so that cutting thousands allocates almost nothing.
#[derive(Default)]
pub struct Commands {
    pub buf: Vec<u32>,
    cursor: Pt,
    coords: Vec<Coord>,
    clipped: Vec<Coord>,
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    pts: Vec<Pt>,
}

impl Commands {
    /// Writes the commands for `geom` (mapped into tile space by `to_tile`) in place of the
    /// last feature's; None when nothing of it is left.
    pub fn encode(&mut self, geom: &Geometry, to_tile: &impl Fn(Coord) -> Coord, tolerance: f64) -> Option<GeomType> {
        self.buf.clear();
        self.cursor = (0, 0);
        match geom {
            Geometry::Point(p) => self.points(&[to_tile(p.0)]).then_some(GeomType::Point),
            Geometry::MultiPoint(mp) => {
                self.points(&mp.0.iter().map(|p| to_tile(p.0)).collect::<Vec<_>>()).then_some(GeomType::Point)
            }
            Geometry::LineString(l) => self.line(l, to_tile, tolerance).then_some(GeomType::Linestring),
            Geometry::MultiLineString(ml) => {
                ml.0.iter().fold(false, |any, l| self.line(l, to_tile, tolerance) | any).then_some(GeomType::Linestring)
            }
            Geometry::Polygon(p) => self.polygon(p, to_tile, tolerance).then_some(GeomType::Polygon),
            Geometry::MultiPolygon(mp) => {
                mp.0.iter().fold(false, |any, p| self.polygon(p, to_tile, tolerance) | any).then_some(GeomType::Polygon)
            }
            _ => None,
        }
    }

    fn command(&mut self, id: u32, count: usize) {
        self.buf.push((id & 7) | ((count as u32) << 3));
    }

    fn deltas(buf: &mut Vec<u32>, cursor: &mut Pt, pts: &[Pt]) {
        for &(x, y) in pts {
            let (dx, dy) = (x - cursor.0, y - cursor.1);
            buf.push(((dx << 1) ^ (dx >> 31)) as u32);
            buf.push(((dy << 1) ^ (dy >> 31)) as u32);
            *cursor = (x, y);
        }
    }

    fn points(&mut self, pts: &[Coord]) -> bool {
        let mut kept: Vec<Pt> = pts.iter().filter(|c| inside(**c)).map(|c| quantise(*c)).collect();
        kept.dedup();
        if kept.is_empty() {
            return false;
        }
        self.command(1, kept.len());
        Self::deltas(&mut self.buf, &mut self.cursor, &kept);
        true
    }

    fn line(&mut self, l: &LineString, to_tile: &impl Fn(Coord) -> Coord, tolerance: f64) -> bool {
        let tile: Vec<Coord> = l.0.iter().map(|c| to_tile(*c)).collect();
        let mut any = false;
        for part in clip_line(&tile) {
            self.coords = part;
            self.simplify(tolerance);
            let pts = std::mem::take(&mut self.pts);
            if pts.len() >= 2 {
                self.command(1, 1);
                Self::deltas(&mut self.buf, &mut self.cursor, &pts[..1]);
                self.command(2, pts.len() - 1);
                Self::deltas(&mut self.buf, &mut self.cursor, &pts[1..]);
                any = true;
            }
            self.pts = pts;
        }
        any
    }

    fn polygon(&mut self, p: &geo::Polygon, to_tile: &impl Fn(Coord) -> Coord, tolerance: f64) -> bool {
        if !self.ring(p.exterior(), to_tile, tolerance, true) {
            return false;
        }
        for hole in p.interiors() {
            self.ring(hole, to_tile, tolerance, false);
        }
        true
    }

    /// Writes a ring: clipped, simplified, quantised, oriented; false when it collapses.
    fn ring(&mut self, r: &LineString, to_tile: &impl Fn(Coord) -> Coord, tolerance: f64, exterior: bool) -> bool {
        self.coords.clear();
        self.coords.extend(r.0.iter().map(|c| to_tile(*c)));
        if self.coords.len() > 1 && self.coords.first() == self.coords.last() {
            self.coords.pop();
        }
        if !self.coords.iter().all(|c| inside(*c)) {
            clip_ring(&mut self.coords, &mut self.clipped);
        }
        if let Some(first) = self.coords.first().copied() {
            self.coords.push(first);
        }
        self.simplify(tolerance);
        let pts = &mut self.pts;
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        if pts.len() < 3 {
            return false;
        }
        let area2: i64 = (0..pts.len())
            .map(|i| {
                let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
                a.0 as i64 * b.1 as i64 - b.0 as i64 * a.1 as i64
            })
            .sum();
        if area2 == 0 {
            return false;
        }
        if (area2 > 0) != exterior {
            pts.reverse();
        }
        let pts = std::mem::take(&mut self.pts);
        self.command(1, 1);
        Self::deltas(&mut self.buf, &mut self.cursor, &pts[..1]);
        self.command(2, pts.len() - 1);
        Self::deltas(&mut self.buf, &mut self.cursor, &pts[1..]);
        self.command(7, 1);
        self.pts = pts;
        true
    }

    /// `coords` simplified (Douglas–Peucker, keeping both ends), quantised, without repeated
    /// points, into `pts`.
    fn simplify(&mut self, tolerance: f64) {
        let c = &self.coords;
        self.keep.clear();
        self.keep.resize(c.len(), tolerance <= 0.0 || c.len() <= 2);
        if tolerance > 0.0 && c.len() > 2 {
            let (first, last) = (0, c.len() - 1);
            self.keep[first] = true;
            self.keep[last] = true;
            self.stack.push((first, last));
            let tolerance2 = tolerance * tolerance;
            while let Some((a, b)) = self.stack.pop() {
                let (mut far, mut at) = (0.0, 0);
                for i in a + 1..b {
                    let d = segment_distance2(c[i], c[a], c[b]);
                    if d > far {
                        (far, at) = (d, i);
                    }
                }
                if far > tolerance2 {
                    self.keep[at] = true;
                    self.stack.extend([(a, at), (at, b)]);
                }
            }
        }
        self.pts.clear();
        for (p, keep) in c.iter().zip(&self.keep) {
            let q = quantise(*p);
            if *keep && self.pts.last() != Some(&q) {
                self.pts.push(q);
            }
        }
    }
}

/// The squared distance from `p` to the segment `a`–`b`.
fn segment_distance2(p: Coord, a: Coord, b: Coord) -> f64 {
    let (d, ap) = (b - a, p - a);
    let len2 = d.x * d.x + d.y * d.y;
    let t = if len2 == 0.0 { 0.0 } else { ((ap.x * d.x + ap.y * d.y) / len2).clamp(0.0, 1.0) };
    let q = ap - d * t;
    q.x * q.x + q.y * q.y
}

fn inside(c: Coord) -> bool {
    (LO..=HI).contains(&c.x) && (LO..=HI).contains(&c.y)
}

fn quantise(c: Coord) -> Pt {
    (c.x.round() as i32, c.y.round() as i32)
}

/// One side of the clip box: which points it keeps, and where a segment crosses it.
type ClipEdge = (fn(Coord) -> bool, fn(Coord, Coord) -> Coord);

/// Sutherland–Hodgman against the buffered tile, in place (`spare` is a buffer to swap with):
/// exact for the convex clip box, and a polygon that leaves and re-enters keeps its pieces
/// joined along the box edge, which renders the same.
fn clip_ring(ring: &mut Vec<Coord>, spare: &mut Vec<Coord>) {
    let edges: [ClipEdge; 4] = [
        (|c| c.x >= LO, |a, b| at_x(a, b, LO)),
        (|c| c.x <= HI, |a, b| at_x(a, b, HI)),
        (|c| c.y >= LO, |a, b| at_y(a, b, LO)),
        (|c| c.y <= HI, |a, b| at_y(a, b, HI)),
    ];
    for (keep, cross) in edges {
        std::mem::swap(ring, spare);
        ring.clear();
        let Some(mut prev) = spare.last().copied() else { break };
        for &cur in spare.iter() {
            match (keep(prev), keep(cur)) {
                (true, true) => ring.push(cur),
                (true, false) => ring.push(cross(prev, cur)),
                (false, true) => ring.extend([cross(prev, cur), cur]),
                (false, false) => {}
            }
            prev = cur;
        }
    }
}

fn at_x(a: Coord, b: Coord, x: f64) -> Coord {
    Coord { x, y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x) }
}

fn at_y(a: Coord, b: Coord, y: f64) -> Coord {
    Coord { x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y }
}

/// The parts of a line inside the buffered tile (Liang–Barsky per segment).
fn clip_line(line: &[Coord]) -> Vec<Vec<Coord>> {
    let mut parts = Vec::new();
    let mut cur: Vec<Coord> = Vec::new();
    for w in line.windows(2) {
        match clip_segment(w[0], w[1]) {
            Some((a, b)) => {
                if cur.is_empty() || a != w[0] {
                    parts.push(std::mem::take(&mut cur));
                    cur.push(a);
                }
                cur.push(b);
                if b != w[1] {
                    parts.push(std::mem::take(&mut cur));
                }
            }
            None => parts.push(std::mem::take(&mut cur)),
        }
    }
    parts.push(cur);
    parts.retain(|p| p.len() >= 2);
    parts
}

fn clip_segment(a: Coord, b: Coord) -> Option<(Coord, Coord)> {
    let d = b - a;
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [(-d.x, a.x - LO), (d.x, HI - a.x), (-d.y, a.y - LO), (d.y, HI - a.y)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            a + d * t
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, wkt};

    fn id(c: Coord) -> Coord {
        c
    }

    #[test]
    fn a_square_becomes_a_clockwise_ring_in_tile_space() {
        // Counter-clockwise in y-down space; MVT wants the exterior the other way.
        let g: Geometry = polygon![(x: 10., y: 10.), (x: 10., y: 20.), (x: 20., y: 20.), (x: 20., y: 10.)].into();
        let (kind, cmds) = encode(&g, &id, 0.0).unwrap();
        assert_eq!(kind, GeomType::Polygon);
        // MoveTo(1) 20,10; LineTo(3) 0,+10 / -10,0 / 0,-10; ClosePath.
        assert_eq!(cmds, vec![9, 40, 20, 26, 0, 20, 19, 0, 0, 19, 15]);
    }

    #[test]
    fn degenerate_rings_and_far_away_shapes_disappear() {
        let sliver: Geometry = wkt!(POLYGON((0. 0.,100. 0.,100. 0.2,0. 0.))).into();
        assert!(encode(&sliver, &id, 0.0).is_none());
        let far: Geometry = wkt!(POLYGON((9000. 9000.,9100. 9000.,9100. 9100.,9000. 9000.))).into();
        assert!(encode(&far, &id, 0.0).is_none());
    }

    #[test]
    fn clipping_keeps_the_part_within_the_buffer() {
        let big: Geometry = wkt!(POLYGON((-1000. -1000.,5000. -1000.,5000. 5000.,-1000. 5000.,-1000. -1000.))).into();
        let (_, cmds) = encode(&big, &id, 0.0).unwrap();
        // The buffered tile itself: -64..4160 on both axes, four corners.
        assert_eq!(cmds.len(), 1 + 2 + 1 + 6 + 1);
        let line: Geometry = wkt!(LINESTRING(-500. 100.,100. 100.,100. 9000.)).into();
        let (kind, cmds) = encode(&line, &id, 0.0).unwrap();
        assert_eq!(kind, GeomType::Linestring);
        // MoveTo(-64,100) LineTo (100,100) (100,4160).
        assert_eq!(cmds, vec![9, 127, 200, 18, 328, 0, 0, 8120]);
    }
}
