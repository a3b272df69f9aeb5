//! Land-use codes (Land Law 2024, Circular 08/2024 Appendix II) and the legacy codes that older
//! cadastral data still carries. A code is kept as given; legacy codes map to a 2024 code for
//! styling and statistics.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::ids::IdError;

/// The broad classes of the 2024 classification, used for styling and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LandUseGroup {
    Agricultural,
    Residential,
    OfficesDefenceSecurity,
    PublicService,
    Business,
    PublicUse,
    Other,
    Unused,
}

struct Entry {
    code: &'static str,
    /// The 2024 code this one counts as; itself for 2024 codes.
    current: &'static str,
    group: LandUseGroup,
    name_vi: &'static str,
}

macro_rules! codes {
    ($($code:literal => $current:literal, $group:ident, $name:literal;)*) => {
        const CODES: &[Entry] = &[$(Entry { code: $code, current: $current, group: LandUseGroup::$group, name_vi: $name }),*];
    };
}

codes! {
    // 2024 codes.
    "LUC" => "LUC", Agricultural, "Đất chuyên trồng lúa";
    "LUK" => "LUK", Agricultural, "Đất trồng lúa còn lại";
    "HNK" => "HNK", Agricultural, "Đất trồng cây hằng năm khác";
    "CLN" => "CLN", Agricultural, "Đất trồng cây lâu năm";
    "RDD" => "RDD", Agricultural, "Đất rừng đặc dụng";
    "RPH" => "RPH", Agricultural, "Đất rừng phòng hộ";
    "RSX" => "RSX", Agricultural, "Đất rừng sản xuất";
    "NTS" => "NTS", Agricultural, "Đất nuôi trồng thủy sản";
    "CNT" => "CNT", Agricultural, "Đất chăn nuôi tập trung";
    "LMU" => "LMU", Agricultural, "Đất làm muối";
    "NKH" => "NKH", Agricultural, "Đất nông nghiệp khác";
    "ODT" => "ODT", Residential, "Đất ở tại đô thị";
    "ONT" => "ONT", Residential, "Đất ở tại nông thôn";
    "TSC" => "TSC", OfficesDefenceSecurity, "Đất xây dựng trụ sở cơ quan";
    "CQP" => "CQP", OfficesDefenceSecurity, "Đất quốc phòng";
    "CAN" => "CAN", OfficesDefenceSecurity, "Đất an ninh";
    "DTS" => "DTS", PublicService, "Đất xây dựng trụ sở của tổ chức sự nghiệp";
    "DVH" => "DVH", PublicService, "Đất xây dựng cơ sở văn hóa";
    "DXH" => "DXH", PublicService, "Đất xây dựng cơ sở dịch vụ xã hội";
    "DYT" => "DYT", PublicService, "Đất xây dựng cơ sở y tế";
    "DGD" => "DGD", PublicService, "Đất xây dựng cơ sở giáo dục và đào tạo";
    "DTT" => "DTT", PublicService, "Đất xây dựng cơ sở thể dục, thể thao";
    "DKH" => "DKH", PublicService, "Đất xây dựng cơ sở khoa học và công nghệ";
    "DMT" => "DMT", PublicService, "Đất xây dựng cơ sở môi trường";
    "DKT" => "DKT", PublicService, "Đất xây dựng cơ sở khí tượng thủy văn";
    "DNG" => "DNG", PublicService, "Đất xây dựng cơ sở ngoại giao";
    "DSK" => "DSK", PublicService, "Đất xây dựng công trình sự nghiệp khác";
    "SKK" => "SKK", Business, "Đất khu công nghiệp";
    "SKN" => "SKN", Business, "Đất cụm công nghiệp";
    "TMD" => "TMD", Business, "Đất thương mại, dịch vụ";
    "SKC" => "SKC", Business, "Đất cơ sở sản xuất phi nông nghiệp";
    "SKS" => "SKS", Business, "Đất sử dụng cho hoạt động khoáng sản";
    "SKX" => "SKX", Business, "Đất sản xuất vật liệu xây dựng, làm đồ gốm";
    "DGT" => "DGT", PublicUse, "Đất công trình giao thông";
    "DTL" => "DTL", PublicUse, "Đất công trình thủy lợi";
    "DNL" => "DNL", PublicUse, "Đất công trình năng lượng, chiếu sáng công cộng";
    "DBV" => "DBV", PublicUse, "Đất công trình bưu chính, viễn thông";
    "DCH" => "DCH", PublicUse, "Đất chợ dân sinh, chợ đầu mối";
    "DSH" => "DSH", PublicUse, "Đất công trình sinh hoạt cộng đồng";
    "DKV" => "DKV", PublicUse, "Đất khu vui chơi, giải trí công cộng";
    "DRA" => "DRA", PublicUse, "Đất công trình xử lý chất thải";
    "DCK" => "DCK", PublicUse, "Đất công trình công cộng khác";
    "TON" => "TON", Other, "Đất tôn giáo";
    "TIN" => "TIN", Other, "Đất tín ngưỡng";
    "NTD" => "NTD", Other, "Đất nghĩa trang, nhà tang lễ, cơ sở hỏa táng";
    "SON" => "SON", Other, "Đất có mặt nước chuyên dùng dạng sông, ngòi, kênh, rạch, suối";
    "MNC" => "MNC", Other, "Đất có mặt nước chuyên dùng";
    "PNK" => "PNK", Other, "Đất phi nông nghiệp khác";
    "BCS" => "BCS", Unused, "Đất bằng chưa sử dụng";
    "DCS" => "DCS", Unused, "Đất đồi núi chưa sử dụng";
    "NCS" => "NCS", Unused, "Núi đá không có rừng cây";
    // Legacy codes (Circulars 28/2014, 27/2018 and older) still in cadastral data.
    "LUA" => "LUC", Agricultural, "Đất trồng lúa";
    "LUN" => "LUK", Agricultural, "Đất lúa nương";
    "BHK" => "HNK", Agricultural, "Đất bằng trồng cây hàng năm khác";
    "NHK" => "HNK", Agricultural, "Đất nương rẫy trồng cây hàng năm khác";
    "COC" => "HNK", Agricultural, "Đất cỏ dùng vào chăn nuôi";
    "LNK" => "CLN", Agricultural, "Đất trồng cây lâu năm khác";
    "LNQ" => "CLN", Agricultural, "Đất trồng cây ăn quả lâu năm";
    "LNC" => "CLN", Agricultural, "Đất trồng cây công nghiệp lâu năm";
    "TSN" => "NTS", Agricultural, "Đất nuôi trồng thủy sản nước ngọt";
    "TSL" => "NTS", Agricultural, "Đất nuôi trồng thủy sản nước lợ, mặn";
    "DDT" => "DVH", PublicService, "Đất có di tích lịch sử - văn hóa";
    "DDL" => "DVH", PublicService, "Đất danh lam thắng cảnh";
    "DSN" => "DTS", PublicService, "Đất xây dựng công trình sự nghiệp";
    "CSK" => "SKC", Business, "Đất cơ sở sản xuất, kinh doanh";
    "SKT" => "SKS", Business, "Đất cho hoạt động khoáng sản";
    "SKV" => "SKX", Business, "Đất sản xuất vật liệu xây dựng";
    "DKG" => "DNL", PublicUse, "Đất công trình năng lượng (cũ)";
    "DCC" => "DCK", PublicUse, "Đất công trình công cộng khác (cũ)";
    "TTN" => "TIN", Other, "Đất tín ngưỡng (cũ)";
    "SMN" => "MNC", Other, "Đất sông suối và mặt nước chuyên dùng";
    "CSD" => "BCS", Unused, "Đất chưa sử dụng";
}

/// One land-use code, known to the 2024 classification or to an older one.
#[derive(Clone, Copy)]
pub struct LandUseCode(&'static Entry);

impl LandUseCode {
    pub fn as_str(&self) -> &'static str {
        self.0.code
    }
    /// The 2024 code for styling and statistics (itself for a 2024 code).
    pub fn current(&self) -> LandUseCode {
        LandUseCode(lookup(self.0.current).expect("every legacy code maps to a listed 2024 code"))
    }
    pub fn is_legacy(&self) -> bool {
        self.0.code != self.0.current
    }
    pub fn group(&self) -> LandUseGroup {
        self.0.group
    }
    pub fn name_vi(&self) -> &'static str {
        self.0.name_vi
    }
}

/// Every code known, 2024 and legacy.
pub fn all_codes() -> impl Iterator<Item = LandUseCode> {
    CODES.iter().map(LandUseCode)
}

fn lookup(code: &str) -> Option<&'static Entry> {
    CODES.iter().find(|e| e.code == code)
}

impl PartialEq for LandUseCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}
impl Eq for LandUseCode {}

impl fmt::Debug for LandUseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}
impl fmt::Display for LandUseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code)
    }
}
impl Serialize for LandUseCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.code)
    }
}

impl FromStr for LandUseCode {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let code = s.trim().to_ascii_uppercase();
        lookup(&code).map(LandUseCode).ok_or_else(|| {
            IdError::new(format!(
                "unknown land-use code `{}` (expected a code of Circular 08/2024 such as ODT, CLN, LUC, or a legacy code such as BHK)",
                s.trim()
            ))
        })
    }
}

/// The land uses of one parcel: one code, or a mixed use written `ODT+CLN`. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandUse(Vec<LandUseCode>);

impl LandUse {
    pub fn codes(&self) -> &[LandUseCode] {
        &self.0
    }
    /// All codes of both, in order of first appearance (used when parcels are merged).
    pub fn union(&self, other: &LandUse) -> LandUse {
        let mut out = self.0.clone();
        for c in &other.0 {
            if !out.contains(c) {
                out.push(*c);
            }
        }
        LandUse(out)
    }
    pub fn from_codes(codes: &[String]) -> Result<Self, IdError> {
        codes.join("+").parse()
    }
}

impl fmt::Display for LandUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            f.write_str(c.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for LandUse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl FromStr for LandUse {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let mut codes: Vec<LandUseCode> = Vec::new();
        for part in s.split(['+', ',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            let code: LandUseCode = part.parse()?;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        if codes.is_empty() {
            return Err(IdError::new("land-use code is missing".to_owned()));
        }
        Ok(Self(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_use_splits_into_codes() {
        let lu: LandUse = "odt+CLN".parse().unwrap();
        assert_eq!(lu.to_string(), "ODT+CLN");
        assert_eq!(lu.codes()[1].group(), LandUseGroup::Agricultural);
    }

    #[test]
    fn legacy_codes_keep_their_code_and_map_to_2024() {
        let c: LandUseCode = "BHK".parse().unwrap();
        assert!(c.is_legacy());
        assert_eq!(c.as_str(), "BHK");
        assert_eq!(c.current().as_str(), "HNK");
    }

    #[test]
    fn every_legacy_code_maps_to_a_2024_code() {
        for e in CODES {
            let current = lookup(e.current).unwrap();
            assert_eq!(current.code, current.current, "{} maps to legacy {}", e.code, e.current);
        }
    }

    #[test]
    fn unknown_and_empty_codes_are_refused() {
        assert!("XYZ".parse::<LandUse>().unwrap_err().to_string().contains("unknown land-use code `XYZ`"));
        assert!(" + ".parse::<LandUse>().unwrap_err().to_string().contains("missing"));
    }
}
