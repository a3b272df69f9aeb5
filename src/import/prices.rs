//! Land-price tables (bảng giá đất): prices in VND/m² per road segment, land use and position.

use chrono::NaiveDate;
use geo::MultiLineString;

use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, positive, required};
use super::source::Field;
use crate::domain::LandUseCode;

pub const SEGMENT: Field = Field { name: "MaDoan", aliases: &["segment", "MaDoanDuong"] };
pub const STREET: Field = Field { name: "TenDuong", aliases: &["street", "Duong"] };
pub const FROM: Field = Field { name: "TuDiem", aliases: &["from", "Tu"] };
pub const TO: Field = Field { name: "DenDiem", aliases: &["to", "Den"] };
pub const LAND_USE: Field = Field { name: "LoaiDat", aliases: &["land_use", "KyHieuMucDichSuDung"] };
pub const VT: [Field; 4] = [
    Field { name: "VT1", aliases: &["GiaVT1"] },
    Field { name: "VT2", aliases: &["GiaVT2"] },
    Field { name: "VT3", aliases: &["GiaVT3"] },
    Field { name: "VT4", aliases: &["GiaVT4"] },
];
pub const DECISION: Field = Field { name: "SoQuyetDinh", aliases: &["decision_no", "SoQD"] };
pub const EFFECTIVE_FROM: Field = Field { name: "NgayHieuLuc", aliases: &["effective_from", "TuNgay"] };
pub const EFFECTIVE_TO: Field = Field { name: "NgayHetHieuLuc", aliases: &["effective_to", "DenNgay"] };

/// One segment's prices for one land use, as one feature of a price table carries them.
pub struct SegmentPrices {
    pub segment: String,
    pub street: String,
    pub from_point: String,
    pub to_point: String,
    pub geom: MultiLineString,
    pub land_use: LandUseCode,
    /// VND/m² for VT1..VT4; VT1 is required.
    pub prices: [Option<i64>; 4],
    pub decision_no: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

pub struct Prices;

impl Overlay for Prices {
    const KIND: &'static str = "prices";
    const FIELDS: &'static [Field] =
        &[SEGMENT, STREET, FROM, TO, LAND_USE, VT[0], VT[1], VT[2], VT[3], DECISION, EFFECTIVE_FROM, EFFECTIVE_TO];
    const GEOMETRY: GeometryRule = GeometryRule::Line;
    type Row = SegmentPrices;

    fn row(a: &Attributes, shape: Shape, _: &Context) -> Result<SegmentPrices, String> {
        let Shape::Line(geom) = shape else { unreachable!("line rule") };
        let segment =
            required(a, &SEGMENT).map_err(|_| "a price without a segment: missing field MaDoan".to_owned())?;
        if segment.len() > 40 || !segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            return Err(format!("segment code `{segment}` must be up to 40 letters, digits, `.`, `_` or `-`"));
        }
        let mut prices = [None; 4];
        for (i, f) in VT.iter().enumerate() {
            prices[i] = positive(a, f)?.map(|p| p.round() as i64);
        }
        if prices[0].is_none() {
            return Err("missing field VT1: a segment needs at least the price of its frontage".into());
        }
        let effective_from = date(a, &EFFECTIVE_FROM)?.ok_or("missing field NgayHieuLuc")?;
        let effective_to = date(a, &EFFECTIVE_TO)?;
        if effective_to.is_some_and(|t| t <= effective_from) {
            return Err("NgayHetHieuLuc must come after NgayHieuLuc".into());
        }
        Ok(SegmentPrices {
            segment: segment.to_owned(),
            street: required(a, &STREET)?.to_owned(),
            from_point: a.get(FROM.name).cloned().unwrap_or_default(),
            to_point: a.get(TO.name).cloned().unwrap_or_default(),
            geom,
            land_use: required(a, &LAND_USE)?.parse().map_err(|e: crate::domain::IdError| e.to_string())?,
            prices,
            decision_no: required(a, &DECISION)?.to_owned(),
            effective_from,
            effective_to,
        })
    }

    fn key(p: &SegmentPrices) -> String {
        format!("segment {} {} from {}", p.segment, p.land_use, p.effective_from)
    }
}
