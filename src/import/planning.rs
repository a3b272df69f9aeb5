//! Land-use planning zones (quy hoạch / kế hoạch sử dụng đất).

use chrono::NaiveDate;
use geo::MultiPolygon;

use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, required};
use super::source::Field;
use crate::domain::LandUse;

pub const ZONE: Field = Field { name: "MaVung", aliases: &["zone_code", "MaKhu", "MaVungQH"] };
pub const PLAN: Field = Field { name: "TenQuyHoach", aliases: &["plan_name", "TenQH"] };
pub const LEVEL: Field = Field { name: "CapQuyHoach", aliases: &["plan_level", "Cap"] };
pub const PERIOD: Field = Field { name: "KyQuyHoach", aliases: &["period", "GiaiDoan"] };
pub const DECISION: Field = Field { name: "SoQuyetDinh", aliases: &["decision_no", "SoQD"] };
pub const DECISION_DATE: Field = Field { name: "NgayQuyetDinh", aliases: &["decision_date", "NgayQD"] };
pub const STATUS: Field = Field { name: "TrangThai", aliases: &["status"] };
pub const LAND_USE: Field = Field { name: "KyHieuMucDichSuDung", aliases: &["land_use", "MucDichQuyHoach", "LoaiDat"] };

pub struct Zone {
    pub zone_code: String,
    pub plan_name: String,
    pub plan_level: &'static str,
    pub period: (i32, i32),
    pub decision_no: String,
    pub decision_date: NaiveDate,
    pub status: &'static str,
    pub land_use: LandUse,
    pub geom: MultiPolygon,
}

pub struct Planning;

impl Overlay for Planning {
    const KIND: &'static str = "planning";
    const FIELDS: &'static [Field] = &[ZONE, PLAN, LEVEL, PERIOD, DECISION, DECISION_DATE, STATUS, LAND_USE];
    const GEOMETRY: GeometryRule = GeometryRule::Polygon;
    type Row = Zone;

    fn row(a: &Attributes, shape: Shape, _: &Context) -> Result<Zone, String> {
        let Shape::Polygon(geom) = shape else { unreachable!("polygon rule") };
        Ok(Zone {
            zone_code: required(a, &ZONE)?.to_owned(),
            plan_name: required(a, &PLAN)?.to_owned(),
            plan_level: level(required(a, &LEVEL)?)?,
            period: period(required(a, &PERIOD)?)?,
            decision_no: required(a, &DECISION)?.to_owned(),
            decision_date: date(a, &DECISION_DATE)?.ok_or("missing field NgayQuyetDinh")?,
            status: status(a.get(STATUS.name).map_or("approved", String::as_str))?,
            land_use: required(a, &LAND_USE)?.parse().map_err(|e: crate::domain::IdError| e.to_string())?,
            geom,
        })
    }

    fn key(z: &Zone) -> String {
        format!("{} / {}", z.plan_name, z.zone_code)
    }
}

fn level(s: &str) -> Result<&'static str, String> {
    match s.trim().to_lowercase().as_str() {
        "tinh" | "tỉnh" | "province" | "cap tinh" | "cấp tỉnh" => Ok("province"),
        "xa" | "xã" | "commune" | "cap xa" | "cấp xã" => Ok("commune"),
        _ => Err(format!("plan level `{s}` must be province (tỉnh) or commune (xã)")),
    }
}

fn status(s: &str) -> Result<&'static str, String> {
    match s.trim().to_lowercase().as_str() {
        "approved" | "phe_duyet" | "đã phê duyệt" => Ok("approved"),
        "adjusted" | "dieu_chinh" | "điều chỉnh" => Ok("adjusted"),
        "expired" | "het_hieu_luc" | "hết hiệu lực" => Ok("expired"),
        "draft" | "du_thao" | "dự thảo" => Ok("draft"),
        _ => Err(format!("status `{s}` must be approved, adjusted, expired or draft")),
    }
}

/// `2021-2030` or `2021–2030`.
fn period(s: &str) -> Result<(i32, i32), String> {
    let bad = || format!("period `{s}` must be two years, e.g. 2021-2030");
    let (a, b) = s.split_once(['-', '–']).ok_or_else(bad)?;
    let (a, b): (i32, i32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if (1945..=2200).contains(&a) && a <= b && b <= 2200 { Ok((a, b)) } else { Err(bad()) }
}
