//! Real-estate transactions (Decree 357/2025, seeds 000 and 001): sales, leases and transfers of
//! housing units or floor areas (by product ID) and of land use rights (by parcel), read from a
//! table (CSV, spreadsheet, GeoPackage) or from an officer's JSON, with the same field names and
//! the same checks either way. What needs the database (the product or parcel, the sale chain)
//! is checked where they are stored.

use chrono::NaiveDate;

use super::market::{one_of, optional, parse};
use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, positive, required};
use super::source::Field;
use crate::domain::market_ids::BrokerCertificateId;
use crate::domain::{ParcelCode, ProductId, ProjectCode};

pub const CONTRACT_NO: Field = Field { name: "SoHopDong", aliases: &["contract_no"] };
pub const CONTRACT_DATE: Field = Field { name: "NgayHopDong", aliases: &["contract_date"] };
pub const KIND: Field = Field { name: "LoaiGiaoDich", aliases: &["kind"] };
pub const STAGE: Field = Field { name: "TrangThai", aliases: &["stage"] };
pub const PRODUCT: Field = super::market::PRODUCT;
pub const PARCEL: Field = super::market::PARCEL;
pub const PRICE: Field = Field { name: "GiaTri", aliases: &["price_vnd", "GiaTriHopDong"] };
pub const AREA: Field = Field { name: "DienTich", aliases: &["area_m2"] };
pub const LEASE_END: Field = Field { name: "NgayHetHan", aliases: &["lease_end"] };
pub const NOTARISED: Field = Field { name: "CongChung", aliases: &["notarised"] };
pub const NOTARY: Field = Field { name: "VanPhongCongChung", aliases: &["notary_office", "ToChucCongChung"] };
pub const SELLER: Field = Field { name: "BenBan", aliases: &["seller", "BenChoThue", "lessor"] };
pub const BUYER: Field = Field { name: "BenMua", aliases: &["buyer", "BenThue", "lessee"] };
pub const SOURCE: Field = Field { name: "NguonTin", aliases: &["source"] };
pub const PROJECT: Field = super::market::PROJECT;
pub const BUILDING: Field = super::market::BUILDING;
pub const FLOOR: Field = super::market::FLOOR;
pub const UNIT_NO: Field = super::market::UNIT_NO;
pub const BROKER: Field = Field { name: "MaChungChiMoiGioi", aliases: &["broker_certificate"] };

/// What a transaction is about: a housing unit or floor area (by product ID, or by its place in
/// a project as contracts name it), or a parcel's land use rights.
#[derive(Debug, Clone)]
pub enum Subject {
    Unit(ProductId),
    UnitAt { project: ProjectCode, building: String, floor: i32, unit_no: String },
    Parcel(ParcelCode),
}

/// One transaction as given, checked in itself.
#[derive(Debug, Clone)]
pub struct Deal {
    pub contract_no: String,
    pub contract_date: NaiveDate,
    pub kind: &'static str,
    /// `deposit` reserves a unit; `signed` sells or leases it.
    pub stage: &'static str,
    pub subject: Subject,
    pub price_vnd: i64,
    pub area_m2: f64,
    pub lease_end: Option<NaiveDate>,
    pub seller: String,
    pub buyer: String,
    pub notary_office: Option<String>,
    /// Who reported it; an account's role decides it over HTTP.
    pub source: Option<&'static str>,
    pub broker_certificate: Option<BrokerCertificateId>,
}

/// A party's name: not empty, no NUL, spaces collapsed.
fn party(a: &Attributes, f: &Field) -> Result<String, String> {
    let name = required(a, f)?.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.is_empty() || name.contains('\0') {
        true => Err(format!("{} must name a party", f.name)),
        false => Ok(name),
    }
}

/// The contract's value in whole VND, above zero and below what a `bigint` holds.
fn price(a: &Attributes) -> Result<i64, String> {
    let v = positive(a, &PRICE)?.ok_or("missing field GiaTri")?;
    match v < 9.0e18 {
        true => Ok(v.round() as i64),
        false => Err(format!("GiaTri {v} is beyond any contract's value")),
    }
}

pub struct Transactions;

impl Overlay for Transactions {
    const KIND: &'static str = "transactions";
    const FIELDS: &'static [Field] = &[
        CONTRACT_NO,
        CONTRACT_DATE,
        KIND,
        STAGE,
        PRODUCT,
        PARCEL,
        PRICE,
        AREA,
        LEASE_END,
        NOTARISED,
        NOTARY,
        SELLER,
        BUYER,
        SOURCE,
        BROKER,
        PROJECT,
        BUILDING,
        FLOOR,
        UNIT_NO,
    ];
    const GEOMETRY: GeometryRule = GeometryRule::None;
    type Row = Deal;

    fn row(a: &Attributes, _: Shape, _: &Context) -> Result<Deal, String> {
        let contract_no = required(a, &CONTRACT_NO)?.trim().to_owned();
        if contract_no.is_empty() || contract_no.contains('\0') || contract_no.len() > 64 {
            return Err(format!("SoHopDong `{contract_no}` must be a contract number of 1 to 64 characters"));
        }
        let contract_date = date(a, &CONTRACT_DATE)?.ok_or("missing field NgayHopDong")?;
        let kind = one_of(
            required(a, &KIND)?,
            "LoaiGiaoDich",
            &[
                ("sale", &["mua_ban", "mua bán", "ban"]),
                ("lease", &["thue", "thuê", "cho_thue", "cho thuê"]),
                ("transfer", &["chuyen_nhuong", "chuyển nhượng"]),
            ],
        )?;
        let stage = one_of(
            optional(a, &STAGE).unwrap_or("signed"),
            "TrangThai",
            &[("deposit", &["dat_coc", "đặt cọc"]), ("signed", &["da_ky", "đã ký", "ky"])],
        )?;
        let subject = match (optional(a, &PRODUCT), optional(a, &PARCEL), optional(a, &PROJECT)) {
            (Some(p), None, None) => Subject::Unit(parse(p)?),
            (None, Some(p), None) => Subject::Parcel(parse(p)?),
            (None, None, Some(project)) => {
                let floor = required(a, &FLOOR)?;
                Subject::UnitAt {
                    project: parse(project)?,
                    building: required(a, &BUILDING)?.trim().to_owned(),
                    floor: floor.parse().map_err(|_| format!("Tang `{floor}` must be a whole number"))?,
                    unit_no: required(a, &UNIT_NO)?.trim().to_owned(),
                }
            }
            (None, None, None) => {
                return Err("a transaction is of a unit (MaSanPham, or MaDuAn with ToaNha, Tang and SoCan) or of a parcel (MaThua)".into());
            }
            _ => return Err("give one of MaSanPham, MaDuAn (with ToaNha, Tang, SoCan) or MaThua".into()),
        };
        let lease_end = date(a, &LEASE_END)?;
        match (kind, lease_end) {
            ("lease", None) => return Err("a lease needs its end date (NgayHetHan)".into()),
            ("lease", Some(end)) if end <= contract_date => {
                return Err(format!("NgayHetHan {end} must come after NgayHopDong {contract_date}"));
            }
            (_, Some(_)) if kind != "lease" => return Err("NgayHetHan is for leases only".into()),
            _ => {}
        }
        if stage == "deposit" && kind == "lease" {
            return Err("a deposit (đặt cọc) reserves a unit for a sale, not a lease".into());
        }
        let notarised = one_of(
            optional(a, &NOTARISED).unwrap_or("false"),
            "CongChung",
            &[("true", &["co", "có", "1", "yes", "x"]), ("false", &["khong", "không", "0", "no", ""])],
        )? == "true";
        let notary_office = optional(a, &NOTARY).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        if notarised != notary_office.is_some() {
            return Err(
                "a notarised contract (CongChung) names its notary office (VanPhongCongChung), and only one does"
                    .into(),
            );
        }
        let source = optional(a, &SOURCE)
            .map(|s| {
                one_of(
                    s,
                    "NguonTin",
                    &[
                        ("investor", &["chu_dau_tu", "chủ đầu tư"]),
                        ("broker", &["moi_gioi", "môi giới", "san_giao_dich"]),
                        ("notary", &["cong_chung", "công chứng"]),
                        ("registration_office", &["van_phong_dang_ky", "văn phòng đăng ký"]),
                    ],
                )
            })
            .transpose()?;
        Ok(Deal {
            contract_no,
            contract_date,
            kind,
            stage,
            subject,
            price_vnd: price(a)?,
            area_m2: positive(a, &AREA)?.ok_or("missing field DienTich")?,
            lease_end,
            seller: party(a, &SELLER)?,
            buyer: party(a, &BUYER)?,
            notary_office,
            source,
            broker_certificate: optional(a, &BROKER).map(parse).transpose()?,
        })
    }

    fn key(d: &Deal) -> String {
        let subject = match &d.subject {
            Subject::Unit(p) => format!("unit {p}"),
            Subject::UnitAt { project, building, floor, unit_no } => {
                format!("unit {project} {building} floor {floor} no. {unit_no}")
            }
            Subject::Parcel(p) => format!("parcel {p}"),
        };
        format!("contract {} of {} ({subject})", d.contract_no, d.contract_date)
    }
}
