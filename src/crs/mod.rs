//! Coordinate reference systems: VN-2000 TM-3 zones and reprojection with PROJ.
//!
//! PROJ's EPSG database carries the VN-2000 → WGS 84 datum shift (EPSG:6960), so every transform
//! goes through it by EPSG code; only a TM-3 meridian with no EPSG code is spelled out by hand.

pub mod api;

pub use api::{ApiCrs, CRS84};

use std::fmt;
use std::str::FromStr;

use geo::{Coord, MapCoordsInPlace};
use proj::Proj;

/// The VN-2000 TM-3 zones that EPSG defines, with their central meridians in degrees.
pub const TM3_ZONES: [(u32, f64); 18] = [
    (5896, 102.0),
    (9205, 103.0),
    (9206, 104.0),
    (9207, 104.5),
    (9208, 104.75),
    (5897, 105.0),
    (9209, 105.5),
    (9210, 105.75),
    (9211, 106.0),
    (9212, 106.25),
    (9213, 106.5),
    (9214, 107.0),
    (9215, 107.25),
    (9216, 107.5),
    (5899, 107.75),
    (5898, 108.0),
    (9217, 108.25),
    (9218, 108.5),
];

/// EPSG:6960 in PROJ's `+towgs84` (position-vector) convention: rotation signs flipped.
const VN2000_TOWGS84: &str = "-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278";

pub const WGS84: Crs = Crs::Epsg(4326);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    #[error("`{0}` is not a CRS this service knows: use EPSG:nnnn (e.g. EPSG:9210) or an OGC CRS URI")]
    Unparsable(String),
    #[error("central meridian `{0}` must be in degrees between 102 and 110 (e.g. 105.75 or 105°45')")]
    BadMeridian(String),
    #[error("PROJ cannot transform from {from} to {to}: {reason}")]
    Proj { from: String, to: String, reason: String },
}

/// A CRS given by the user or found in a file's metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum Crs {
    Epsg(u32),
    /// VN-2000 transverse Mercator with this central meridian, scale 0.9999, false easting 500 km.
    Tm3Meridian(f64),
    /// A WKT or PROJ definition read from a file that names no EPSG code.
    Definition(String),
}

impl Crs {
    /// Builds the TM-3 CRS for a central meridian, using the EPSG code when EPSG has one.
    pub fn tm3(meridian: f64) -> Crs {
        match TM3_ZONES.iter().find(|(_, m)| (m - meridian).abs() < 1e-9) {
            Some((code, _)) => Crs::Epsg(*code),
            None => Crs::Tm3Meridian(meridian),
        }
    }

    pub fn parse_meridian(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim();
        let degrees = if let Some((d, m)) = t.split_once('°') {
            let m = m.trim_end_matches(['\'', '′']).trim();
            let m: f64 = if m.is_empty() { Ok(0.0) } else { m.parse() }.map_err(|_| CrsError::BadMeridian(s.into()))?;
            d.trim().parse::<f64>().map_err(|_| CrsError::BadMeridian(s.into()))? + m / 60.0
        } else {
            t.parse().map_err(|_| CrsError::BadMeridian(s.into()))?
        };
        if (102.0..=110.0).contains(&degrees) { Ok(Crs::tm3(degrees)) } else { Err(CrsError::BadMeridian(s.into())) }
    }

    pub fn is_vn2000_tm3(&self) -> bool {
        match self {
            Crs::Epsg(code) => TM3_ZONES.iter().any(|(c, _)| c == code),
            Crs::Tm3Meridian(_) => true,
            Crs::Definition(_) => false,
        }
    }

    pub fn epsg(&self) -> Option<u32> {
        match self {
            Crs::Epsg(c) => Some(*c),
            _ => None,
        }
    }

    /// What PROJ is given to build this CRS.
    fn proj_definition(&self) -> String {
        match self {
            Crs::Epsg(code) => format!("EPSG:{code}"),
            Crs::Tm3Meridian(m) => format!(
                "+proj=tmerc +lat_0=0 +lon_0={m} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs +type=crs"
            ),
            Crs::Definition(d) => d.clone(),
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Epsg(code) => write!(f, "EPSG:{code}"),
            Crs::Tm3Meridian(m) => write!(f, "VN-2000 TM-3 {m}°"),
            Crs::Definition(_) => f.write_str("CRS from file metadata"),
        }
    }
}

impl FromStr for Crs {
    type Err = CrsError;
    /// Accepts `EPSG:9210`, `9210`, `urn:ogc:def:crs:EPSG::9210`,
    /// `http://www.opengis.net/def/crs/EPSG/0/9210` and `CRS84`.
    fn from_str(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim();
        let upper = t.to_ascii_uppercase();
        if upper == "CRS84" || upper.ends_with("/OGC/1.3/CRS84") || upper == "URN:OGC:DEF:CRS:OGC:1.3:CRS84" {
            return Ok(WGS84);
        }
        let code = upper
            .strip_prefix("EPSG:")
            .or_else(|| upper.strip_prefix("URN:OGC:DEF:CRS:EPSG::"))
            .or_else(|| upper.rsplit_once("/EPSG/0/").map(|(_, c)| c))
            .unwrap_or(&upper);
        code.parse::<u32>()
            .ok()
            .filter(|c| (1024..=999_999).contains(c))
            .map(Crs::Epsg)
            .ok_or_else(|| CrsError::Unparsable(t.into()))
    }
}

/// A reprojection between two CRSs, in traditional GIS order (easting/longitude first).
pub struct Transform {
    proj: Proj,
    label: (String, String),
}

impl Transform {
    pub fn new(from: &Crs, to: &Crs) -> Result<Transform, CrsError> {
        let label = (from.to_string(), to.to_string());
        let proj = Proj::new_known_crs(&from.proj_definition(), &to.proj_definition(), None)
            .map_err(|e| CrsError::Proj { from: label.0.clone(), to: label.1.clone(), reason: e.to_string() })?;
        Ok(Transform { proj, label })
    }

    pub fn point(&self, c: Coord) -> Result<Coord, CrsError> {
        let (x, y) = self.proj.convert((c.x, c.y)).map_err(|e| self.error(e))?;
        if x.is_finite() && y.is_finite() {
            Ok(Coord { x, y })
        } else {
            Err(self.error(format!("({}, {}) has no image", c.x, c.y)))
        }
    }

    pub fn geometry<G: MapCoordsInPlace<f64>>(&self, g: &mut G) -> Result<(), CrsError> {
        g.try_map_coords_in_place(|c| self.point(c))
    }

    /// As [`Transform::geometry`], for polygons: a ring's closing coordinate repeats its first, so
    /// it takes the first's image instead of being transformed again (a fifth of a lot's
    /// coordinates; the image is the same, PROJ being a function of its input).
    pub fn multipolygon(&self, mp: &mut geo::MultiPolygon) -> Result<(), CrsError> {
        let ring = |r: &mut geo::LineString| -> Result<(), CrsError> {
            let closed = r.is_closed() && r.0.len() > 1;
            let open = r.0.len() - usize::from(closed);
            for c in &mut r.0[..open] {
                *c = self.point(*c)?;
            }
            if closed {
                r.0[open] = r.0[0];
            }
            Ok(())
        };
        for p in &mut mp.0 {
            let mut done = Ok(());
            p.exterior_mut(|r| done = ring(r));
            p.interiors_mut(|rs| {
                for r in rs {
                    if done.is_ok() {
                        done = ring(r);
                    }
                }
            });
            done?;
        }
        Ok(())
    }

    /// As [`Transform::geometry`], for any geometry: the fallible walk does not instantiate for
    /// `geo::Geometry` (its collections recurse), so the first failure is kept aside.
    pub fn any_geometry(&self, g: &mut geo::Geometry) -> Result<(), CrsError> {
        let failed = std::cell::RefCell::new(None);
        g.map_coords_in_place(|c| {
            self.point(c).unwrap_or_else(|e| {
                failed.borrow_mut().get_or_insert(e);
                c
            })
        });
        failed.into_inner().map_or(Ok(()), Err)
    }

    fn error(&self, e: impl fmt::Display) -> CrsError {
        CrsError::Proj { from: self.label.0.clone(), to: self.label.1.clone(), reason: e.to_string() }
    }
}

/// Transforms built on demand and kept, since building one reads PROJ's database. An import
/// asks for one per parcel or two, among a handful of CRSs: found by comparing the CRSs, not by
/// spelling out their PROJ definitions each time (2% of an import's client time).
#[derive(Default)]
pub struct Transforms(Vec<(Crs, Crs, Transform)>);

impl Transforms {
    pub fn get(&mut self, from: &Crs, to: &Crs) -> Result<&Transform, CrsError> {
        let at = match self.0.iter().position(|(f, t, _)| f == from && t == to) {
            Some(at) => at,
            None => {
                self.0.push((from.clone(), to.clone(), Transform::new(from, to)?));
                self.0.len() - 1
            }
        };
        Ok(&self.0[at].2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_crs_spellings() {
        for s in [
            "EPSG:9210",
            "epsg:9210",
            "9210",
            "urn:ogc:def:crs:EPSG::9210",
            "http://www.opengis.net/def/crs/EPSG/0/9210",
        ] {
            assert_eq!(s.parse::<Crs>().unwrap(), Crs::Epsg(9210), "{s}");
        }
        assert_eq!("CRS84".parse::<Crs>().unwrap(), WGS84);
        assert!("EPSG:abc".parse::<Crs>().unwrap_err().to_string().contains("EPSG:abc"));
    }

    #[test]
    fn a_multipolygon_reprojects_as_every_coordinate_would() {
        use geo::{MapCoords, polygon};
        let holed = polygon!(
            exterior: [(x: 595_000.0, y: 2_306_000.0), (x: 595_040.0, y: 2_306_000.0), (x: 595_040.0, y: 2_306_030.0),
                       (x: 595_000.0, y: 2_306_030.0), (x: 595_000.0, y: 2_306_000.0)],
            interiors: [[(x: 595_010.0, y: 2_306_010.0), (x: 595_020.0, y: 2_306_010.0), (x: 595_020.0, y: 2_306_020.0),
                         (x: 595_010.0, y: 2_306_010.0)]],
        );
        let mut mp = geo::MultiPolygon(vec![holed.clone(), holed]);
        let t = Transform::new(&Crs::Epsg(9210), &WGS84).unwrap();
        let each = mp.map_coords(|c| t.point(c).unwrap());
        t.multipolygon(&mut mp).unwrap();
        assert_eq!(mp, each);
        assert!((102.0..110.0).contains(&mp.0[0].exterior().0[0].x), "{mp:?}");
    }

    #[test]
    fn meridians_map_to_epsg_zones() {
        assert_eq!(Crs::parse_meridian("105.75").unwrap(), Crs::Epsg(9210));
        assert_eq!(Crs::parse_meridian("106°30'").unwrap(), Crs::Epsg(9213));
        assert_eq!(Crs::parse_meridian("105.6").unwrap(), Crs::Tm3Meridian(105.6));
        assert!(Crs::parse_meridian("12").is_err());
    }

    #[test]
    fn a_hand_built_zone_agrees_with_its_epsg_twin() {
        let by_epsg = Transform::new(&Crs::Epsg(9210), &WGS84).unwrap();
        let by_hand = Transform::new(&Crs::Tm3Meridian(105.75), &WGS84).unwrap();
        let p = Coord { x: 595_000.0, y: 2_306_000.0 };
        let (a, b) = (by_epsg.point(p).unwrap(), by_hand.point(p).unwrap());
        assert!((a.x - b.x).abs() < 1e-8 && (a.y - b.y).abs() < 1e-8, "{a:?} vs {b:?}");
    }
}
