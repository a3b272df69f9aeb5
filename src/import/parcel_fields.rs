//! The attributes of a cadastral parcel as exports name them (ViLIS/VBDLIS/ELIS), with their
//! usual aliases: read by the parcel import and by the DGN reader, which finds them as labels.

use super::source::Field;

pub const COMMUNE: Field = Field { name: "MaXa", aliases: &["commune", "MaDVHC", "Ma_Xa", "MaDonViHanhChinh"] };
pub const SHEET: Field = Field { name: "SoHieuToBanDo", aliases: &["sheet", "SoTo", "SHBanDo", "So_To", "ToBanDo"] };
pub const NUMBER: Field = Field { name: "SoThuTuThua", aliases: &["parcel", "SoThua", "STT_Thua", "So_Thua"] };
pub const AREA: Field = Field { name: "DienTich", aliases: &["area", "Dien_Tich", "DTPhapLy"] };
pub const LAND_USE: Field =
    Field { name: "KyHieuMucDichSuDung", aliases: &["land_use", "MucDichSuDung", "MDSD", "LoaiDat", "KyHieuMDSD"] };
pub const ADDRESS: Field = Field { name: "DiaChi", aliases: &["address", "Dia_Chi"] };
pub const DIGITAL_ADDRESS: Field = Field { name: "MaDiaChiSo", aliases: &["digital_address", "DiaChiSo"] };
pub const HOLDER: Field = Field { name: "TenChu", aliases: &["holder", "ChuSuDung", "Ten_Chu"] };
pub const ALLEY_WIDTH: Field = Field { name: "DoRongHem", aliases: &["alley_width", "DoRongNgo", "BeRongHem"] };

/// The fields of a parcel import.
pub const FIELDS: &[Field] = &[COMMUNE, SHEET, NUMBER, AREA, LAND_USE, ADDRESS, DIGITAL_ADDRESS, HOLDER, ALLEY_WIDTH];
