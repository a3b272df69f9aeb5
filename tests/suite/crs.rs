//! Reprojection checked against PROJ's own command-line tool, for every VN-2000 TM-3 zone.

use crate::common;

use common::{cs2cs, cs2cs_args};
use diachinh::crs::{Crs, TM3_ZONES, Transform, WGS84};
use geo::Coord;

#[test]
fn every_tm3_zone_round_trips_like_cs2cs() {
    for (epsg, meridian) in TM3_ZONES {
        let zone = Crs::Epsg(epsg);
        let (lon, lat) = (meridian + 0.37, 16.2);
        // WGS84 -> zone: EPSG:4326 is latitude first for cs2cs.
        let ours = Transform::new(&WGS84, &zone).unwrap().point(Coord { x: lon, y: lat }).unwrap();
        let (e, n) = cs2cs("EPSG:4326", &format!("EPSG:{epsg}"), lat, lon);
        let d = (ours.x - e).hypot(ours.y - n);
        assert!(d < 0.01, "EPSG:{epsg} forward differs from cs2cs by {d} m");
        // zone -> WGS84, compared in metres on the ground.
        let back = Transform::new(&zone, &WGS84).unwrap().point(ours).unwrap();
        let (blat, blon) = cs2cs(&format!("EPSG:{epsg}"), "EPSG:4326", e, n);
        let dm = ((back.x - blon) * 111_320.0 * lat.to_radians().cos()).hypot((back.y - blat) * 110_574.0);
        assert!(dm < 0.01, "EPSG:{epsg} inverse differs from cs2cs by {dm} m");
        let trip = ((back.x - lon) * 111_320.0 * lat.to_radians().cos()).hypot((back.y - lat) * 110_574.0);
        assert!(trip < 0.001, "EPSG:{epsg} round trip drifts {trip} m");
    }
}

#[test]
fn a_meridian_without_an_epsg_code_matches_cs2cs_with_the_epsg_6960_shift() {
    let zone = Crs::parse_meridian("105.6").unwrap();
    assert_eq!(zone, Crs::Tm3Meridian(105.6));
    let ours = Transform::new(&zone, &WGS84).unwrap().point(Coord { x: 512_345.0, y: 2_345_678.0 }).unwrap();
    let def = "+proj=tmerc +lat_0=0 +lon_0=105.6 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 +units=m +no_defs +to +proj=longlat +datum=WGS84";
    let args: Vec<&str> = def.split(' ').collect();
    let (lon, lat) = cs2cs_args(&args, 512_345.0, 2_345_678.0);
    let d = ((ours.x - lon) * 104_000.0).hypot((ours.y - lat) * 110_700.0);
    assert!(d < 0.01, "differs from cs2cs by {d} m");
    // The hand-built shift agrees with PROJ's EPSG:6960 for a meridian EPSG knows.
    let hand = Transform::new(&Crs::Tm3Meridian(105.75), &WGS84)
        .unwrap()
        .point(Coord { x: 590_000.0, y: 2_300_000.0 })
        .unwrap();
    let (lat, lon) = cs2cs("EPSG:9210", "EPSG:4326", 590_000.0, 2_300_000.0);
    let d = ((hand.x - lon) * 104_000.0).hypot((hand.y - lat) * 110_700.0);
    assert!(d < 0.01, "hand-built 105°45' differs from EPSG:9210 by {d} m");
}
