//! CRSs as the feature APIs name them (OGC API - Features Part 2, WFS): URIs, axis order, and
//! what a geometry or box given in one is in CRS84.

use super::{Crs, CrsError, TM3_ZONES, Transform, WGS84};
use crate::fault::Fault;

/// PROJ could not build a transform between two CRSs this service offers: its database is
/// missing or broken, which is the server's fault, not the caller's.
fn proj_fault(e: CrsError) -> Fault {
    Fault::Server(format!("PROJ: {e}"))
}

pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// A CRS the API answers in (OGC API - Features Part 2): CRS84, EPSG:4326 (latitude first, as
/// EPSG defines it), Web Mercator and the VN-2000 TM-3 zones.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCrs {
    pub uri: String,
    crs: Crs,
    lat_first: bool,
}

impl ApiCrs {
    pub fn crs84() -> ApiCrs {
        ApiCrs { uri: CRS84.to_owned(), crs: WGS84, lat_first: false }
    }

    /// Every CRS offered, CRS84 first (built once: every collection lists them).
    pub fn offered() -> &'static [ApiCrs] {
        static OFFERED: std::sync::OnceLock<Vec<ApiCrs>> = std::sync::OnceLock::new();
        OFFERED.get_or_init(|| {
            let epsg = |code: u32| ApiCrs {
                uri: format!("http://www.opengis.net/def/crs/EPSG/0/{code}"),
                crs: Crs::Epsg(code),
                lat_first: code == 4326,
            };
            std::iter::once(ApiCrs::crs84())
                .chain([4326, 3857].into_iter().chain(TM3_ZONES.iter().map(|(c, _)| *c)).map(epsg))
                .collect()
        })
    }

    /// A CRS by URI (or EPSG:n), if offered.
    pub fn parse(s: &str, param: &str) -> Result<ApiCrs, String> {
        let upper = s.trim().to_ascii_uppercase();
        let is_crs84 = upper == "CRS84" || upper.ends_with("/OGC/1.3/CRS84") || upper.ends_with(":CRS84");
        let offered = ApiCrs::offered();
        let found = if is_crs84 {
            offered.first()
        } else {
            s.parse::<Crs>().ok().and_then(|c| offered[1..].iter().find(|o| o.crs == c))
        };
        let found = found.cloned();
        found.ok_or_else(|| format!("{param} `{s}` is not offered: use CRS84, EPSG 4326 or 3857, or a VN-2000 TM-3 zone (EPSG 9205-9218, 5896-5899) as http://www.opengis.net/def/crs/EPSG/0/<code>"))
    }

    /// From CRS84 into this CRS, in its axis order; None when it is CRS84 itself.
    pub fn transform_from_crs84(&self) -> Result<Option<Transform>, Fault> {
        if self.crs == WGS84 {
            return Ok(None);
        }
        Transform::new(&WGS84, &self.crs).map(Some).map_err(proj_fault)
    }

    /// The same CRS under another name and axis order (WFS spells CRSs several ways).
    pub fn spelled(self, uri: &str, lat_first: bool) -> ApiCrs {
        ApiCrs { uri: uri.to_owned(), lat_first, ..self }
    }

    pub fn epsg(&self) -> Option<u32> {
        self.crs.epsg()
    }

    pub fn is_lat_first(&self) -> bool {
        self.lat_first
    }

    /// The CRS, whatever axis order this name gives it.
    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// A geometry given in this CRS's axis order, longitude (or easting) first.
    pub fn east_first(&self, g: &mut geo::Geometry) {
        use geo::MapCoordsInPlace;
        if self.lat_first {
            g.map_coords_in_place(|c| geo::Coord { x: c.y, y: c.x });
        }
    }

    /// A geometry given in this CRS (in its axis order), put into CRS84.
    pub fn geometry_to_crs84(&self, g: &mut geo::Geometry) -> Result<(), Fault> {
        self.east_first(g);
        if self.crs != WGS84 {
            let t = Transform::new(&self.crs, &WGS84).map_err(proj_fault)?;
            t.any_geometry(g).map_err(|e| Fault::Caller(format!("a geometry in {}: {e}", self.uri)))?;
        }
        Ok(())
    }

    /// A bbox given in this CRS, as W,S,E,N in CRS84 (corners and edge midpoints transformed).
    pub fn bbox_to_crs84(&self, b: [f64; 4]) -> Result<[f64; 4], Fault> {
        let b = if self.lat_first { [b[1], b[0], b[3], b[2]] } else { b };
        if self.crs == WGS84 {
            return Ok(b);
        }
        let t = Transform::new(&self.crs, &WGS84).map_err(proj_fault)?;
        let (mx, my) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        let mut out = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (x, y) in
            [(b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3]), (mx, b[1]), (b[2], my), (mx, b[3]), (b[0], my)]
        {
            let c = t.point(geo::Coord { x, y }).map_err(|e| Fault::Caller(format!("a bbox in {}: {e}", self.uri)))?;
            out = [out[0].min(c.x), out[1].min(c.y), out[2].max(c.x), out[3].max(c.y)];
        }
        Ok(out)
    }
}
