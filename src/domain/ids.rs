//! Identifiers of the land database. Each type parses and validates, so a value that exists is valid.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Why an identifier was refused; the message is shown to users as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(String);

impl IdError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

const GEOHASH_ALPHABET: &str = "0123456789bcdefghjkmnpqrstuvwxyz";

macro_rules! string_id {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// Parcel ID of Circular 19/2026: the 12-character GeoHash of the parcel's characteristic point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParcelId(String);
string_id!(ParcelId);

impl ParcelId {
    pub const LEN: usize = 12;

    /// The ID of a WGS84 point (longitude, latitude).
    pub fn from_lon_lat(lon: f64, lat: f64) -> Result<Self, IdError> {
        geohash::encode(geo::coord! { x: lon, y: lat }, Self::LEN)
            .map(Self)
            .map_err(|e| IdError::new(format!("cannot GeoHash point ({lon}, {lat}): {e}")))
    }
}

impl FromStr for ParcelId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let lower = s.to_ascii_lowercase();
        if lower.chars().count() != Self::LEN {
            return Err(IdError::new(format!(
                "parcel ID `{s}` must have exactly 12 characters (a GeoHash), it has {}",
                s.chars().count()
            )));
        }
        if let Some(bad) = lower.chars().find(|c| !GEOHASH_ALPHABET.contains(*c)) {
            return Err(IdError::new(format!(
                "parcel ID `{s}` contains `{bad}`, which is not a GeoHash character (0-9, b-z without a, i, l, o)"
            )));
        }
        Ok(Self(lower))
    }
}

/// A 5-digit commune code. Codes from before the 2025 reform are valid too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommuneCode(String);
string_id!(CommuneCode);

impl FromStr for CommuneCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        // Spreadsheet exports drop leading zeros: 5443 is commune 05443.
        if !t.is_empty() && t.len() <= 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(format!("{t:0>5}")))
        } else {
            Err(IdError::new(format!("commune code `{s}` must be 5 digits, e.g. 05443")))
        }
    }
}

/// Map-sheet number (số hiệu tờ bản đồ). A string in some systems, so any text without
/// spaces or slashes is accepted; numbers lose their leading zeros so that `01` and `1` agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SheetNo(String);
string_id!(SheetNo);

impl FromStr for SheetNo {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if t.is_empty() || t.len() > 40 || t.contains(['/', '?', '#']) || t.contains(char::is_whitespace) {
            return Err(IdError::new(format!(
                "map-sheet number `{s}` must be 1 to 40 characters without spaces, `/`, `?` or `#`"
            )));
        }
        Ok(match t.parse::<u64>() {
            Ok(n) => Self(n.to_string()),
            Err(_) => Self(t.to_owned()),
        })
    }
}

/// Parcel number on its sheet (số thứ tự thửa).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ParcelNo(u32);

impl ParcelNo {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for ParcelNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ParcelNo {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        // Some exports store integers as reals ("149.0").
        let t = t.strip_suffix(".0").unwrap_or(t);
        match t.parse::<u32>() {
            Ok(n) if n > 0 && n <= i32::MAX as u32 => Ok(Self(n)),
            _ => Err(IdError::new(format!("parcel number `{s}` must be a whole number from 1"))),
        }
    }
}

impl TryFrom<i64> for ParcelNo {
    type Error = IdError;
    fn try_from(n: i64) -> Result<Self, IdError> {
        n.to_string().parse()
    }
}

/// The legacy parcel key: commune code, map sheet and parcel number, written `20248-1-149`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegacyKey {
    pub commune: CommuneCode,
    pub sheet: SheetNo,
    pub parcel_no: ParcelNo,
}

impl fmt::Display for LegacyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.commune, self.sheet, self.parcel_no)
    }
}

impl Serialize for LegacyKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for LegacyKey {
    type Err = IdError;
    /// The sheet may itself contain dashes: the commune is before the first, the parcel after the last.
    fn from_str(s: &str) -> Result<Self, IdError> {
        let shape = || IdError::new(format!("legacy key `{s}` must be COMMUNE-SHEET-PARCEL, e.g. 20248-1-149"));
        let (commune, rest) = s.split_once('-').ok_or_else(shape)?;
        let (sheet, parcel) = rest.rsplit_once('-').ok_or_else(shape)?;
        if commune.len() != 5 {
            return Err(IdError::new(format!("legacy key `{s}`: commune code `{commune}` must be 5 digits")));
        }
        Ok(Self { commune: commune.parse()?, sheet: sheet.parse()?, parcel_no: parcel.parse()? })
    }
}

/// What a user may type to name a parcel: its parcel ID or its legacy key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParcelCode {
    Id(ParcelId),
    Legacy(LegacyKey),
}

impl fmt::Display for ParcelCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => id.fmt(f),
            Self::Legacy(key) => key.fmt(f),
        }
    }
}

impl FromStr for ParcelCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if s.contains('-') {
            s.parse().map(Self::Legacy)
        } else if s.chars().count() == ParcelId::LEN {
            s.parse().map(Self::Id)
        } else {
            Err(IdError::new(format!(
                "`{s}` is neither a 12-character parcel ID nor a legacy key COMMUNE-SHEET-PARCEL (e.g. 20248-1-149)"
            )))
        }
    }
}

/// A digital address code (Decree 101/2024). Its national format is not settled, so it is kept
/// opaque: 6 to 32 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitalAddress(String);
string_id!(DigitalAddress);

impl FromStr for DigitalAddress {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if (6..=32).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(IdError::new(format!("digital address `{s}` must be 6 to 32 letters and digits")))
        }
    }
}

/// A project's code (mã số thông tin dự án): 2 to 10 capital letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectCode(String);
string_id!(ProjectCode);

impl FromStr for ProjectCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim().to_ascii_uppercase();
        if (2..=10).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(t))
        } else {
            Err(IdError::new(format!("project code `{s}` must be 2 to 10 letters and digits")))
        }
    }
}

/// The electronic ID of a real-estate product (Decree 357/2025): at most 40 letters and digits,
/// one per house, apartment or floor area.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductId(String);
string_id!(ProductId);

impl ProductId {
    pub const MAX_LEN: usize = 40;

    /// The Decree names the parts but not their lengths (unconfirmed), so this is the layout:
    /// the parcel ID (12, in capitals), the project code (2-10), the location code when there is
    /// one (1-8), and the sequence number in 6 digits. At most 12 + 10 + 8 + 6 = 36 characters.
    pub fn generate(
        parcel: &ParcelId,
        project: &ProjectCode,
        location: Option<&str>,
        seq: u32,
    ) -> Result<ProductId, IdError> {
        if let Some(l) = location
            && (l.is_empty() || l.len() > 8 || !l.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(IdError::new(format!("location code `{l}` must be 1 to 8 letters and digits")));
        }
        if seq == 0 || seq > 999_999 {
            return Err(IdError::new(format!("sequence number {seq} must be from 1 to 999999")));
        }
        let id = format!(
            "{}{}{}{seq:06}",
            parcel.as_str().to_ascii_uppercase(),
            project,
            location.unwrap_or("").to_ascii_uppercase()
        );
        id.parse()
    }
}

impl FromStr for ProductId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let t = s.trim().to_ascii_uppercase();
        if t.is_empty() || t.len() > Self::MAX_LEN {
            return Err(IdError::new(format!(
                "product ID `{s}` must have 1 to 40 characters, it has {}",
                t.chars().count()
            )));
        }
        if let Some(bad) = t.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(IdError::new(format!(
                "product ID `{s}` contains `{bad}`: only letters and digits are allowed"
            )));
        }
        Ok(Self(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcel_code_forms() {
        assert_eq!(
            "20248-1-149".parse::<ParcelCode>().unwrap(),
            ParcelCode::Legacy(LegacyKey {
                commune: "20248".parse().unwrap(),
                sheet: "1".parse().unwrap(),
                parcel_no: "149".parse().unwrap(),
            })
        );
        let key: LegacyKey = "05443-F-48-68-12".parse().unwrap();
        assert_eq!(key.sheet.as_str(), "F-48-68");
        assert_eq!(key.to_string(), "05443-F-48-68-12");
        assert!(
            matches!("W7GX2Z0B1C3D".parse::<ParcelCode>(), Ok(ParcelCode::Id(id)) if id.as_str() == "w7gx2z0b1c3d")
        );
    }

    #[test]
    fn malformed_codes_say_what_is_wrong() {
        let err = |s: &str| s.parse::<ParcelCode>().unwrap_err().to_string();
        assert!(err("abc").contains("neither"));
        assert!(err("w7gx2z0b1c3a").contains("`a`"));
        assert!(err("2024-1-149").contains("5 digits"));
        assert!(err("20248-1-0").contains("whole number"));
        assert!(err("20248-149").contains("COMMUNE-SHEET-PARCEL"));
    }

    #[test]
    fn sheet_numbers_normalise() {
        assert_eq!("01".parse::<SheetNo>().unwrap().as_str(), "1");
        assert!("a/b".parse::<SheetNo>().is_err());
        assert_eq!("5443".parse::<CommuneCode>().unwrap().as_str(), "05443");
    }

    #[test]
    fn product_ids_follow_the_documented_layout() {
        let parcel: ParcelId = "w7g6b61hne87".parse().unwrap();
        let project: ProjectCode = "kdtpdp".parse().unwrap();
        let id = ProductId::generate(&parcel, &project, Some("A1"), 42).unwrap();
        assert_eq!(id.as_str(), "W7G6B61HNE87KDTPDPA1000042");
        assert_eq!(ProductId::generate(&parcel, &project, None, 7).unwrap().as_str(), "W7G6B61HNE87KDTPDP000007");
        let longest = ProductId::generate(&parcel, &"ABCDEFGHIJ".parse().unwrap(), Some("ABCDEFGH"), 999_999).unwrap();
        assert_eq!(longest.as_str().len(), 36);
        assert!(ProductId::generate(&parcel, &project, Some("TOOLONGLOC"), 1).is_err());
        assert!(ProductId::generate(&parcel, &project, None, 0).is_err());
        assert!("A".repeat(41).parse::<ProductId>().unwrap_err().to_string().contains("1 to 40 characters"));
        assert!("AB-12".parse::<ProductId>().unwrap_err().to_string().contains("`-`"));
    }

    #[test]
    fn geohash_of_a_point() {
        let id = ParcelId::from_lon_lat(105.8342, 21.5928).unwrap();
        assert_eq!(id.as_str().len(), 12);
        assert!(id.as_str().starts_with("w7"));
    }
}
