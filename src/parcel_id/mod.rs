//! The parcel ID procedure of Circular 19/2026/TT-BNNMT: the pole of inaccessibility of the
//! parcel polygon in VN-2000 on the province's TM-3 meridian, transformed to WGS84, GeoHashed to
//! 12 characters.

mod pole;

use geo::{Area, MultiPolygon, Point};

use crate::crs::{Crs, CrsError, Transforms, WGS84};
use crate::domain::{IdError, ParcelId};

/// The polylabel tolerance is not published (unconfirmed), so it is a setting, in metres. The
/// default is that of Mapbox's reference polylabel, the algorithm the Circular names: precision 1
/// in the coordinates' units. The pole of a rectangular lot is a ridge of equally good points, so
/// the point is only defined to within the tolerance anyway, and the search cost grows as
/// 1/tolerance (0.1 m makes an import about 5 times slower).
pub const DEFAULT_TOLERANCE_M: f64 = 1.0;

#[derive(Debug, thiserror::Error)]
pub enum ParcelIdError {
    #[error("the parcel has no polygon to take a characteristic point of")]
    Empty,
    #[error("the pole of inaccessibility could not be computed: {0}")]
    Pole(#[from] pole::PoleError),
    #[error(transparent)]
    Crs(#[from] CrsError),
    #[error(transparent)]
    Id(#[from] IdError),
}

/// The characteristic point: the pole of inaccessibility of the largest polygon, in `zone_geom`'s
/// coordinates (metres of a TM-3 zone).
pub fn characteristic_point(zone_geom: &MultiPolygon, tolerance_m: f64) -> Result<Point, ParcelIdError> {
    let largest = zone_geom
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
        .ok_or(ParcelIdError::Empty)?;
    Ok(pole::pole(largest, tolerance_m)?)
}

/// The parcel ID of a geometry given in `zone`, a VN-2000 TM-3 CRS.
pub fn parcel_id(
    zone_geom: &MultiPolygon,
    zone: &Crs,
    transforms: &mut Transforms,
    tolerance_m: f64,
) -> Result<ParcelId, ParcelIdError> {
    let pole = characteristic_point(zone_geom, tolerance_m)?;
    let wgs = transforms.get(zone, &WGS84)?.point(pole.0)?;
    Ok(ParcelId::from_lon_lat(wgs.x, wgs.y)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn pole_of_an_l_shape_lies_inside_it() {
        // An L whose centroid falls outside the shape: the pole must not.
        let l = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 5.0), (x: 5.0, y: 5.0),
            (x: 5.0, y: 30.0), (x: 0.0, y: 30.0), (x: 0.0, y: 0.0)
        ]]);
        let p = characteristic_point(&l, 0.01).unwrap();
        use geo::Contains;
        assert!(l.contains(&p), "{p:?}");
    }

    #[test]
    fn same_parcel_same_id() {
        let sq = MultiPolygon(vec![polygon![
            (x: 595_000.0, y: 2_306_000.0), (x: 595_020.0, y: 2_306_000.0),
            (x: 595_020.0, y: 2_306_020.0), (x: 595_000.0, y: 2_306_020.0), (x: 595_000.0, y: 2_306_000.0)
        ]]);
        let mut t = Transforms::default();
        let a = parcel_id(&sq, &Crs::Epsg(9210), &mut t, DEFAULT_TOLERANCE_M).unwrap();
        let b = parcel_id(&sq, &Crs::Epsg(9210), &mut t, DEFAULT_TOLERANCE_M).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 12);
    }
}
