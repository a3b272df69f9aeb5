//! The housing & real-estate market layer: projects with their legal documents, housing units
//! with Decree 357/2025 product IDs, and digital addresses of parcels and units.

use chrono::NaiveDate;
use geo::{MultiPolygon, Point};
use sha2::{Digest, Sha256};

use super::overlay::{Attributes, Context, GeometryRule, Overlay, Shape, date, positive, required};
use super::source::Field;
use crate::domain::{CommuneCode, DigitalAddress, IdError, ParcelCode, ProductId, ProjectCode};

pub(super) fn parse<T: std::str::FromStr<Err = IdError>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: IdError| e.to_string())
}

pub(super) fn optional<'a>(a: &'a Attributes, f: &Field) -> Option<&'a str> {
    a.get(f.name).map(String::as_str)
}

pub const PROJECT: Field = Field { name: "MaDuAn", aliases: &["project_code", "MaSoDuAn", "code"] };
pub const PROJECT_NAME: Field = Field { name: "TenDuAn", aliases: &["project_name", "name"] };
pub const INVESTOR: Field = Field { name: "ChuDauTu", aliases: &["investor"] };
pub const PROJECT_KIND: Field = Field { name: "LoaiDuAn", aliases: &["project_kind", "kind"] };
pub const STATUS: Field = Field { name: "TrangThai", aliases: &["status"] };
pub const PROGRESS: Field = Field { name: "TienDo", aliases: &["progress_pct"] };
pub const INVESTMENT: Field = Field { name: "TongVonDauTu", aliases: &["total_investment_vnd"] };
pub const LAND_AREA: Field = Field { name: "DienTichDat", aliases: &["land_area_m2"] };
pub const POLICY_DECISION: Field = Field { name: "SoQDChuTruong", aliases: &["policy_decision_no"] };
pub const POLICY_DATE: Field = Field { name: "NgayQDChuTruong", aliases: &["policy_decision_date"] };
pub const DOCUMENTS: Field = Field { name: "TaiLieu", aliases: &["documents"] };

/// A legal document of a project, read from the file the import names.
pub struct Document {
    pub title: String,
    pub file_name: String,
    pub content: Vec<u8>,
    pub sha256: String,
}

pub struct Project {
    pub code: ProjectCode,
    pub name: String,
    pub investor: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub progress_pct: Option<f64>,
    pub total_investment_vnd: Option<i64>,
    pub land_area_m2: Option<f64>,
    pub policy_decision_no: Option<String>,
    pub policy_decision_date: Option<NaiveDate>,
    pub geom: MultiPolygon,
    pub documents: Vec<Document>,
}

pub struct Projects;

impl Overlay for Projects {
    const KIND: &'static str = "projects";
    const FIELDS: &'static [Field] = &[
        PROJECT,
        PROJECT_NAME,
        INVESTOR,
        PROJECT_KIND,
        STATUS,
        PROGRESS,
        INVESTMENT,
        LAND_AREA,
        POLICY_DECISION,
        POLICY_DATE,
        DOCUMENTS,
    ];
    const GEOMETRY: GeometryRule = GeometryRule::Polygon;
    type Row = Project;

    fn row(a: &Attributes, shape: Shape, context: &Context) -> Result<Project, String> {
        let Shape::Polygon(geom) = shape else { unreachable!("polygon rule") };
        let progress_pct = positive(a, &PROGRESS)?;
        if progress_pct.is_some_and(|p| p > 100.0) {
            return Err("TienDo is a percentage from 0 to 100".into());
        }
        Ok(Project {
            code: parse(required(a, &PROJECT)?)?,
            name: required(a, &PROJECT_NAME)?.to_owned(),
            investor: required(a, &INVESTOR)?.to_owned(),
            kind: one_of(
                required(a, &PROJECT_KIND)?,
                "project kind",
                &[
                    ("housing", &["nha_o", "nhà ở"]),
                    ("commercial", &["thuong_mai", "thương mại"]),
                    ("industrial", &["cong_nghiep", "công nghiệp"]),
                    ("mixed", &["hon_hop", "hỗn hợp"]),
                ],
            )?,
            status: one_of(
                optional(a, &STATUS).unwrap_or("preparing"),
                "project status",
                &[
                    ("preparing", &["chuan_bi", "chuẩn bị"]),
                    ("under_construction", &["dang_xay_dung", "đang xây dựng"]),
                    ("completed", &["hoan_thanh", "hoàn thành"]),
                    ("suspended", &["tam_dung", "tạm dừng"]),
                ],
            )?,
            progress_pct,
            total_investment_vnd: positive(a, &INVESTMENT)?.map(|v| v.round() as i64),
            land_area_m2: positive(a, &LAND_AREA)?,
            policy_decision_no: optional(a, &POLICY_DECISION).map(str::to_owned),
            policy_decision_date: date(a, &POLICY_DATE)?,
            geom,
            documents: optional(a, &DOCUMENTS).map_or(Ok(vec![]), |d| documents(d, context))?,
        })
    }

    fn key(p: &Project) -> String {
        format!("project {}", p.code)
    }
}

/// `Title=path.pdf; Title 2=other.pdf`, paths relative to the imported file.
fn documents(list: &str, context: &Context) -> Result<Vec<Document>, String> {
    list.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let (title, file) = d.split_once('=').ok_or_else(|| format!("document `{d}` must be TITLE=FILE.pdf"))?;
            let path = context.dir.join(file.trim());
            let content = std::fs::read(&path).map_err(|e| format!("document {}: {e}", path.display()))?;
            if !content.starts_with(b"%PDF-") {
                return Err(format!("document {} is not a PDF", path.display()));
            }
            let sha256 = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
            let file_name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            Ok(Document { title: title.trim().to_owned(), file_name, content, sha256 })
        })
        .collect()
}

/// One of the canonical words, or one of their Vietnamese spellings.
pub(super) fn one_of(s: &str, what: &str, words: &[(&'static str, &[&str])]) -> Result<&'static str, String> {
    let t = s.trim().to_lowercase();
    words.iter().find(|(w, vi)| *w == t || vi.contains(&t.as_str())).map(|(w, _)| *w).ok_or_else(|| {
        format!("{what} `{s}` must be one of {}", words.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(", "))
    })
}

pub const PARCEL: Field = Field { name: "MaThua", aliases: &["parcel", "parcel_code", "parcel_id"] };
pub const BUILDING: Field = Field { name: "ToaNha", aliases: &["building", "Toa"] };
pub const FLOOR: Field = Field { name: "Tang", aliases: &["floor"] };
pub const UNIT_NO: Field = Field { name: "SoCan", aliases: &["unit_no", "SoCanHo"] };
pub const LOCATION: Field = Field { name: "MaViTri", aliases: &["location_code", "MaDinhDanhDiaDiem"] };
pub const SEQ: Field = Field { name: "STT", aliases: &["seq", "SoThuTu"] };
pub const FLOOR_AREA: Field = Field { name: "DienTichSan", aliases: &["floor_area_m2", "DienTichSuDung"] };
pub const PRODUCT: Field = Field { name: "MaSanPham", aliases: &["product_id", "MaDinhDanhSanPham"] };

pub struct Unit {
    pub project: ProjectCode,
    pub parcel: ParcelCode,
    pub building: String,
    pub floor: i32,
    pub unit_no: String,
    pub location: Option<String>,
    pub seq: Option<u32>,
    pub floor_area_m2: f64,
    pub status: &'static str,
    /// Given by the source; generated at storage otherwise.
    pub product_id: Option<ProductId>,
    pub footprint: Option<MultiPolygon>,
}

pub struct Units;

impl Overlay for Units {
    const KIND: &'static str = "units";
    const FIELDS: &'static [Field] =
        &[PROJECT, PARCEL, BUILDING, FLOOR, UNIT_NO, LOCATION, SEQ, FLOOR_AREA, STATUS, PRODUCT];
    const GEOMETRY: GeometryRule = GeometryRule::OptionalPolygon;
    type Row = Unit;

    fn row(a: &Attributes, shape: Shape, _: &Context) -> Result<Unit, String> {
        let floor = required(a, &FLOOR)?;
        let seq = optional(a, &SEQ)
            .map(|s| s.parse::<u32>().map_err(|_| format!("STT `{s}` must be a whole number")))
            .transpose()?;
        Ok(Unit {
            project: parse(required(a, &PROJECT)?)?,
            parcel: parse(required(a, &PARCEL)?)?,
            building: required(a, &BUILDING)?.to_owned(),
            floor: floor.parse().map_err(|_| format!("Tang `{floor}` must be a whole number"))?,
            unit_no: required(a, &UNIT_NO)?.to_owned(),
            location: optional(a, &LOCATION).map(str::to_ascii_uppercase),
            seq,
            floor_area_m2: positive(a, &FLOOR_AREA)?.ok_or("missing field DienTichSan")?,
            status: one_of(
                optional(a, &STATUS).unwrap_or("available"),
                "unit status",
                &[
                    ("available", &["con_trong", "còn trống", "dang_ban", "đang bán"]),
                    ("reserved", &["dat_coc", "đặt cọc"]),
                    ("sold", &["da_ban", "đã bán"]),
                    ("leased", &["cho_thue", "cho thuê", "da_cho_thue"]),
                ],
            )?,
            product_id: optional(a, &PRODUCT).map(parse).transpose()?,
            footprint: match shape {
                Shape::Polygon(p) => Some(p),
                _ => None,
            },
        })
    }

    fn key(u: &Unit) -> String {
        format!("unit {} {} floor {} no. {}", u.project, u.building, u.floor, u.unit_no)
    }
}

pub const ADDRESS: Field = Field { name: "MaDiaChi", aliases: &["address_code", "MaDiaChiSo", "code"] };
pub const COMMUNE: Field = Field { name: "MaXa", aliases: &["commune", "commune_code"] };
pub const STREET: Field = Field { name: "Duong", aliases: &["street", "TenDuong"] };
pub const HOUSE: Field = Field { name: "SoNha", aliases: &["house_no"] };
pub const ROOM: Field = Field { name: "Phong", aliases: &["room", "SoPhong"] };
pub const POSTCODE: Field = Field { name: "MaBuuChinh", aliases: &["postcode"] };

pub struct Address {
    pub code: DigitalAddress,
    pub parcel: Option<ParcelCode>,
    pub product: Option<ProductId>,
    pub commune: CommuneCode,
    pub street: Option<String>,
    pub house_no: Option<String>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    pub postcode: Option<String>,
    pub point: Point,
}

pub struct Addresses;

impl Overlay for Addresses {
    const KIND: &'static str = "addresses";
    const FIELDS: &'static [Field] =
        &[ADDRESS, PARCEL, PRODUCT, COMMUNE, STREET, HOUSE, BUILDING, FLOOR, ROOM, POSTCODE];
    const GEOMETRY: GeometryRule = GeometryRule::Point;
    type Row = Address;

    fn row(a: &Attributes, shape: Shape, _: &Context) -> Result<Address, String> {
        let Shape::Point(point) = shape else { unreachable!("point rule") };
        let parcel = optional(a, &PARCEL).map(parse).transpose()?;
        let product = optional(a, &PRODUCT).map(parse).transpose()?;
        if parcel.is_none() && product.is_none() {
            return Err("an address belongs to a parcel (MaThua) or a unit (MaSanPham): both are missing".into());
        }
        let postcode = optional(a, &POSTCODE).map(str::to_owned);
        if let Some(p) =
            postcode.as_ref().filter(|p| !(5..=6).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("MaBuuChinh `{p}` must be a postcode of 5 or 6 digits"));
        }
        let text = |f: &Field| optional(a, f).map(str::to_owned);
        Ok(Address {
            code: parse(required(a, &ADDRESS)?)?,
            parcel,
            product,
            commune: parse(required(a, &COMMUNE)?)?,
            street: text(&STREET),
            house_no: text(&HOUSE),
            building: text(&BUILDING),
            floor: text(&FLOOR),
            room: text(&ROOM),
            postcode,
            point,
        })
    }

    fn key(a: &Address) -> String {
        format!("address {}", a.code)
    }
}
