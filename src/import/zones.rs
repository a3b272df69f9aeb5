//! The VN-2000 TM-3 zone a parcel ID is computed in, for data surveyed in another CRS (WGS84
//! lon/lat, mostly). A map sheet keeps the meridian of the province it was drawn for, so the
//! zone follows the recorded commune's province: its 2025 province, or for a pre-reform code its
//! former province. A code in neither list falls back on where the parcel lies: the TM-3 zones
//! whose area of use (PROJ's database) holds it, the nearest central meridian among them.

use foldhash::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::crs::{Crs, TM3_ZONES};

/// Why a zone was chosen, as the import summary tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoneReason {
    /// `--zone` on the command line.
    Given,
    /// The 2025 province of the recorded commune.
    Province,
    /// The former province of a pre-reform commune code.
    FormerProvince,
    /// The parcel's location.
    Location,
}

impl fmt::Display for ZoneReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ZoneReason::Given => "given with --zone",
            ZoneReason::Province => "the commune's province",
            ZoneReason::FormerProvince => "the pre-reform commune's former province",
            ZoneReason::Location => "the parcel's location (PROJ's area of use, nearest meridian)",
        })
    }
}

/// Commune codes and their provinces' zones.
#[derive(Debug, Default, Clone)]
pub struct CommuneZones {
    /// Code → (zone, whether it is a 2025 commune).
    communes: HashMap<String, (Crs, bool)>,
}

impl CommuneZones {
    /// From `(code, EPSG code of the zone, is a 2025 commune)` rows.
    pub fn new(rows: Vec<(String, i32, bool)>) -> CommuneZones {
        let communes =
            rows.into_iter().map(|(code, epsg, current)| (code, (Crs::Epsg(epsg as u32), current))).collect();
        CommuneZones { communes }
    }

    /// Whether `code` is a 2025 commune.
    pub fn is_current(&self, code: &str) -> bool {
        self.communes.get(code).is_some_and(|(_, current)| *current)
    }

    /// The zone for a parcel recorded under `commune` that lies at `lon`, `lat` (WGS84).
    pub fn choose(&self, commune: &str, lon: f64, lat: f64) -> Result<(Crs, ZoneReason), String> {
        match self.communes.get(commune) {
            Some((zone, true)) => Ok((zone.clone(), ZoneReason::Province)),
            Some((zone, false)) => Ok((zone.clone(), ZoneReason::FormerProvince)),
            None => by_location(lon, lat).map(|z| (z, ZoneReason::Location)).ok_or_else(|| {
                format!(
                    "no VN-2000 TM-3 zone for its parcel ID: commune {commune} is in neither the 2025 nor the pre-reform list, and ({lon:.5}, {lat:.5}) lies in no zone's area; give one with --zone EPSG:nnnn"
                )
            }),
        }
    }
}

/// The TM-3 zones whose area of use holds the point, the nearest central meridian first.
fn by_location(lon: f64, lat: f64) -> Option<Crs> {
    areas()
        .iter()
        .filter(|(_, _, [w, s, e, n])| (*w..=*e).contains(&lon) && (*s..=*n).contains(&lat))
        .min_by(|a, b| (a.1 - lon).abs().total_cmp(&(b.1 - lon).abs()))
        .map(|(code, _, _)| Crs::Epsg(*code))
}

/// Each TM-3 zone's EPSG code, meridian and area of use (W, S, E, N), read from PROJ once.
fn areas() -> &'static [(u32, f64, [f64; 4])] {
    static AREAS: OnceLock<Vec<(u32, f64, [f64; 4])>> = OnceLock::new();
    AREAS.get_or_init(|| {
        TM3_ZONES
            .iter()
            .filter_map(|(code, meridian)| {
                let crs = proj::Proj::new(&format!("EPSG:{code}")).ok()?;
                let area = crs.area_of_use().ok()?.0?;
                Some((*code, *meridian, [area.west, area.south, area.east, area.north]))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_has_an_area_and_a_point_takes_the_nearest_meridian_among_those_holding_it() {
        assert_eq!(areas().len(), TM3_ZONES.len(), "PROJ knows every TM-3 zone's area of use");
        // Hà Nội lies in several zones' areas; 105°00' is the nearest meridian.
        assert_eq!(by_location(105.02, 21.03), Some(Crs::Epsg(5897)));
        // Đà Lạt: 108°26' is nearest 108°30'.
        assert_eq!(by_location(108.44, 11.94), Some(Crs::Epsg(9218)));
        // Paris is in no zone.
        assert_eq!(by_location(2.35, 48.85), None);
    }

    #[test]
    fn a_known_code_takes_its_province_and_a_pre_reform_code_its_former_province() {
        let zones = CommuneZones::new(vec![("05443".into(), 9213, true), ("00004".into(), 5897, false)]);
        assert_eq!(zones.choose("05443", 0.0, 0.0).unwrap(), (Crs::Epsg(9213), ZoneReason::Province));
        assert_eq!(zones.choose("00004", 0.0, 0.0).unwrap(), (Crs::Epsg(5897), ZoneReason::FormerProvince));
        assert!(zones.is_current("05443") && !zones.is_current("00004") && !zones.is_current("99999"));
        assert_eq!(zones.choose("99999", 105.02, 21.03).unwrap(), (Crs::Epsg(5897), ZoneReason::Location));
        assert!(zones.choose("99999", 2.35, 48.85).unwrap_err().contains("--zone"));
    }
}
