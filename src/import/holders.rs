//! Holders (people, households, organisations, the State) and their rights on parcels and
//! attached assets. Personal data: stored in the `personal` schema, never served to the public.

use chrono::NaiveDate;

use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, required};
use super::source::Field;
use crate::domain::ParcelCode;

pub const HOLDER: Field = Field { name: "MaChu", aliases: &["holder_code", "MaNguoiSuDung"] };
pub const KIND: Field = Field { name: "LoaiChu", aliases: &["holder_kind", "DoiTuong"] };
pub const NAME: Field = Field { name: "HoTen", aliases: &["name", "TenChu", "Ten"] };
pub const PERSONAL_ID: Field = Field { name: "SoDinhDanh", aliases: &["personal_id", "CCCD", "SoCCCD"] };
pub const BIRTH_YEAR: Field = Field { name: "NamSinh", aliases: &["birth_year"] };
pub const ORGANISATION_ID: Field = Field { name: "MaSoThue", aliases: &["organisation_id", "MST"] };
pub const PARCEL: Field = Field { name: "MaThua", aliases: &["parcel", "MaThuaDat", "parcel_code"] };
pub const RIGHT: Field = Field { name: "LoaiQuyen", aliases: &["right_kind", "Quyen"] };
pub const ASSET: Field = Field { name: "TaiSan", aliases: &["asset", "TaiSanGanLienVoiDat"] };
pub const SHARE: Field = Field { name: "TyLe", aliases: &["share", "TyLeSoHuu"] };
pub const CERTIFICATE: Field = Field { name: "SoGCN", aliases: &["certificate_no", "SoSerieGCN", "SoGiayChungNhan"] };
pub const ISSUED: Field = Field { name: "NgayCap", aliases: &["issued_on", "NgayCapGCN"] };

pub struct HolderRight {
    pub holder_code: String,
    pub kind: &'static str,
    pub name: String,
    pub personal_id: Option<String>,
    pub birth_year: Option<i32>,
    pub organisation_id: Option<String>,
    pub parcel: ParcelCode,
    pub right: &'static str,
    pub asset: Option<String>,
    pub share: f64,
    pub certificate_no: Option<String>,
    pub issued_on: Option<NaiveDate>,
}

pub struct Holders;

impl Overlay for Holders {
    const KIND: &'static str = "holders";
    const FIELDS: &'static [Field] = &[
        HOLDER,
        KIND,
        NAME,
        PERSONAL_ID,
        BIRTH_YEAR,
        ORGANISATION_ID,
        PARCEL,
        RIGHT,
        ASSET,
        SHARE,
        CERTIFICATE,
        ISSUED,
    ];
    const GEOMETRY: GeometryRule = GeometryRule::None;
    type Row = HolderRight;

    fn row(a: &Attributes, _: Shape, _: &Context) -> Result<HolderRight, String> {
        let kind = holder_kind(required(a, &KIND)?)?;
        let personal_id = a.get(PERSONAL_ID.name).cloned();
        if let Some(id) = &personal_id {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("SoDinhDanh `{id}` must be the 12 digits of a personal ID"));
            }
            if !matches!(kind, "individual" | "household") {
                return Err(format!("SoDinhDanh is for people; a holder of kind {kind} has none"));
            }
        }
        let organisation_id = a.get(ORGANISATION_ID.name).cloned();
        if let Some(id) = &organisation_id
            && (!matches!(id.len(), 10 | 13) || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("MaSoThue `{id}` must be a tax code of 10 or 13 digits"));
        }
        let birth_year = a
            .get(BIRTH_YEAR.name)
            .map(|y| {
                y.parse::<i32>()
                    .ok()
                    .filter(|y| (1880..=2100).contains(y))
                    .ok_or(format!("NamSinh `{y}` is not a year"))
            })
            .transpose()?;
        let certificate_no = a.get(CERTIFICATE.name).map(|c| c.to_ascii_uppercase());
        if let Some(c) = &certificate_no
            && (c.len() != 12 || !c.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(format!("SoGCN `{c}` must be a certificate number of 12 letters and digits"));
        }
        Ok(HolderRight {
            holder_code: required(a, &HOLDER)?.to_owned(),
            kind,
            name: required(a, &NAME)?.to_owned(),
            personal_id,
            birth_year,
            organisation_id,
            parcel: required(a, &PARCEL)?.parse().map_err(|e: crate::domain::IdError| e.to_string())?,
            right: right_kind(a.get(RIGHT.name).map_or("land_use", String::as_str))?,
            asset: a.get(ASSET.name).cloned(),
            share: share(a.get(SHARE.name).map_or("1", String::as_str))?,
            certificate_no,
            issued_on: date(a, &ISSUED)?,
        })
    }

    fn key(r: &HolderRight) -> String {
        let parcel = match &r.parcel {
            ParcelCode::Id(id) => id.to_string(),
            ParcelCode::Legacy(k) => k.to_string(),
        };
        format!(
            "holder {} on {parcel} ({}{})",
            r.holder_code,
            r.right,
            r.asset.as_deref().map(|a| format!(": {a}")).unwrap_or_default()
        )
    }
}

fn holder_kind(s: &str) -> Result<&'static str, String> {
    match s.trim().to_lowercase().as_str() {
        "individual" | "ca_nhan" | "cá nhân" | "gdc" => Ok("individual"),
        "household" | "ho_gia_dinh" | "hộ gia đình" | "hgd" => Ok("household"),
        "organisation" | "organization" | "to_chuc" | "tổ chức" | "tct" => Ok("organisation"),
        "state" | "nha_nuoc" | "nhà nước" | "ubs" => Ok("state"),
        _ => Err(format!("holder kind `{s}` must be individual, household, organisation or state")),
    }
}

fn right_kind(s: &str) -> Result<&'static str, String> {
    match s.trim().to_lowercase().as_str() {
        "land_use" | "su_dung_dat" | "quyền sử dụng đất" => Ok("land_use"),
        "asset_ownership" | "so_huu_tai_san" | "quyền sở hữu tài sản" => Ok("asset_ownership"),
        _ => Err(format!("right `{s}` must be land_use or asset_ownership")),
    }
}

/// `0.5`, `50%` or `1/2`.
fn share(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim().replace(',', ".").parse::<f64>().map(|p| p / 100.0).ok()
    } else if let Some((n, d)) = t.split_once('/') {
        n.trim().parse::<f64>().ok().zip(d.trim().parse::<f64>().ok()).filter(|(_, d)| *d != 0.0).map(|(n, d)| n / d)
    } else {
        t.replace(',', ".").parse::<f64>().ok()
    };
    v.filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| format!("share `{s}` must be above 0 and at most 1 (0.5, 50% or 1/2)"))
}
