//! Synthetic cadastral samples: streets and blocks subdivided into parcels, in VN-2000 TM-3,
//! with the field names of cadastral exports. Deterministic: the same seed gives the same data.

use std::path::Path;

use anyhow::Context;
use gdal::vector::{Feature, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal};
use gdal::{Dataset, DriverManager};
use geo::{Area, Coord, LineString, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::crs::{Crs, Transform, WGS84};
use crate::import::{OnDuplicate, OnInvalid};

/// What kind of data a sample file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleKind {
    Parcels,
    Planning,
    Prices,
    Holders,
    Projects,
    Units,
    Addresses,
    Transactions,
    Calendar,
}

/// How `samples --load` imports each file, in order (holders name parcels loaded before them).
pub struct Sample {
    pub kind: SampleKind,
    pub file: &'static str,
    pub crs: Option<&'static str>,
    pub defaults: &'static [&'static str],
    pub on_invalid: OnInvalid,
    pub on_duplicate: OnDuplicate,
}

impl Sample {
    /// Whether `diachinh samples` writes the file (the calendar is kept by hand: announced, not made).
    pub fn generated(&self) -> bool {
        self.kind != SampleKind::Calendar
    }
}

const fn sample(kind: SampleKind, file: &'static str) -> Sample {
    Sample { kind, file, crs: None, defaults: &[], on_invalid: OnInvalid::Reject, on_duplicate: OnDuplicate::Reject }
}

pub const SAMPLES: &[Sample] = &[
    sample(SampleKind::Parcels, "thai-nguyen-05443.gpkg"),
    sample(SampleKind::Parcels, "hai-phong-11311.gpkg"),
    // A DGN sheet has no CRS, commune or sheet number: the officer supplies them.
    Sample {
        crs: Some("EPSG:9210"),
        defaults: &["MaXa=11311", "SoHieuToBanDo=90"],
        ..sample(SampleKind::Parcels, "hai-phong-11311-sheet-90.dgn")
    },
    // A messy pre-reform export: invalid rings, missing geometry and keys, split parcels.
    Sample {
        on_invalid: OnInvalid::Repair,
        on_duplicate: OnDuplicate::Merge,
        ..sample(SampleKind::Parcels, "messy-20248.geojson")
    },
    sample(SampleKind::Planning, "thai-nguyen-05443-planning.gpkg"),
    sample(SampleKind::Planning, "hai-phong-11311-planning.gpkg"),
    sample(SampleKind::Prices, "thai-nguyen-05443-prices.gpkg"),
    sample(SampleKind::Prices, "hai-phong-11311-prices.gpkg"),
    sample(SampleKind::Holders, "holders.csv"),
    sample(SampleKind::Projects, "projects.gpkg"),
    Sample { crs: Some("EPSG:4326"), ..sample(SampleKind::Units, "units.csv") },
    // CSV has no CRS metadata: its coordinates are WGS84 longitude and latitude.
    Sample { crs: Some("EPSG:4326"), ..sample(SampleKind::Addresses, "addresses.csv") },
    sample(SampleKind::Transactions, "transactions.csv"),
    // Holidays and swapped days of 2025–2027 as announced (kept by hand, not generated).
    sample(SampleKind::Calendar, "calendar.csv"),
];

const SEED: u64 = 20_260_701;

struct Commune {
    code: &'static str,
    name: &'static str,
    province_code: &'static str,
    province: &'static str,
    zone: u32,
    centre: (f64, f64),
    blocks: (usize, usize),
    streets_y: &'static [&'static str],
    angle_deg: f64,
    /// The frontage of a lot, from and to (metres).
    frontage: (f64, f64),
    /// Whether a lot's street edge bends at a vertex of its own, as surveyed fronts do.
    bent_fronts: bool,
}

const THAI_NGUYEN: Commune = Commune {
    code: "05443",
    name: "Phường Phan Đình Phùng",
    province_code: "19",
    province: "Thái Nguyên",
    zone: 9213,
    centre: (105.8380, 21.5925),
    blocks: (10, 8),
    streets_y: &[
        "Đường 1-5",
        "Bắc Kạn",
        "Thống Nhất",
        "Túc Duyên",
        "Phủ Liễn",
        "Ga Thái Nguyên",
        "Hùng Vương",
        "Đồng Quang",
        "Quán Triều",
        "Gang Thép",
        "Tân Thịnh",
    ],
    angle_deg: 14.0,
    frontage: (5.0, 14.0),
    bent_fronts: false,
};

const HAI_PHONG: Commune = Commune {
    code: "11311",
    name: "Phường Hồng Bàng",
    province_code: "31",
    province: "Thành phố Hải Phòng",
    zone: 9210,
    centre: (106.6780, 20.8625),
    blocks: (9, 7),
    streets_y: &[
        "Hồng Bàng",
        "Lê Lợi",
        "Lạch Tray",
        "Cầu Đất",
        "Lê Lai",
        "Đinh Tiên Hoàng",
        "Trần Hưng Đạo",
        "Phạm Ngũ Lão",
        "Bạch Đằng",
        "Hạ Lý",
    ],
    angle_deg: -9.0,
    frontage: (5.0, 14.0),
    bent_fronts: false,
};

const FAMILY: [&str; 12] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quân", "Thảo", "Tuấn",
    "Yến",
];

/// One synthetic parcel in TM-3 metres.
/// Alley widths (m) of the streets that are not priced segments, in turn: they set VT2-VT4.
const ALLEY_WIDTHS: [f64; 5] = [1.8, 2.5, 3.0, 4.0, 5.0];

/// Street `k` of a grid is a priced main street when even, an alley when odd.
fn alley_width(k: usize) -> Option<f64> {
    (k % 2 == 1).then(|| ALLEY_WIDTHS[(k / 2) % ALLEY_WIDTHS.len()])
}

/// What a commune's layout holds, in TM-3 metres.
struct Layout {
    parcels: Vec<SampleParcel>,
    /// Main streets (priced segments): name and centre line.
    streets: Vec<(&'static str, [Coord; 2])>,
    /// Planning zones: planned land use and ring.
    zones: Vec<(&'static str, Vec<Coord>)>,
    /// The block a project covers (its ring) and the legacy key of its first parcel.
    project: (Vec<Coord>, String),
}

/// The block of each commune's grid that a sample project covers.
const PROJECT_BLOCK: (usize, usize) = (3, 2);

struct SampleParcel {
    commune: String,
    alley_width: Option<f64>,
    pub sheet: String,
    pub parcel_no: u32,
    pub area: f64,
    pub land_use: &'static str,
    pub address: String,
    pub digital_address: Option<String>,
    pub holder: Option<String>,
    pub ring: Vec<Coord>,
}

pub fn generate(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    // GeoPackages carry a timestamp; pin it so regenerated files are identical.
    gdal::config::set_config_option("OGR_CURRENT_DATE", "2026-07-01T00:00:00Z")?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let tn = subdivide(&THAI_NGUYEN, &mut rng, |i| format!("{}", 1 + i / 4), (0.0, 0.0))?;
    write_gpkg(&dir.join(SAMPLES[0].file), &tn.parcels, THAI_NGUYEN.zone)?;
    let hp = subdivide(&HAI_PHONG, &mut rng, |i| format!("{}", 1 + i / 3), (0.0, 0.0))?;
    write_gpkg(&dir.join(SAMPLES[1].file), &hp.parcels, HAI_PHONG.zone)?;
    // Sheet 90 lies east of the main grid of Hồng Bàng.
    let sheet90 = Commune { blocks: (3, 3), ..HAI_PHONG };
    let dgn = subdivide(&sheet90, &mut rng, |_| "90".into(), (1250.0, 150.0))?;
    write_dgn(&dir.join(SAMPLES[2].file), &dgn.parcels)?;
    write_messy(&dir.join(SAMPLES[3].file), &mut rng)?;
    write_planning(
        &dir.join(SAMPLES[4].file),
        &tn,
        &THAI_NGUYEN,
        "Quy hoạch sử dụng đất thành phố Thái Nguyên",
        "15/QĐ-UBND",
    )?;
    write_planning(
        &dir.join(SAMPLES[5].file),
        &hp,
        &HAI_PHONG,
        "Quy hoạch sử dụng đất quận Hồng Bàng",
        "2210/QĐ-UBND",
    )?;
    write_prices(&dir.join(SAMPLES[6].file), &tn, &THAI_NGUYEN, 28_000_000, "45/2024/QĐ-UBND")?;
    write_prices(&dir.join(SAMPLES[7].file), &hp, &HAI_PHONG, 52_000_000, "54/2024/QĐ-UBND")?;
    let rights = write_holders(&dir.join(SAMPLES[8].file), &[(&tn, &THAI_NGUYEN), (&hp, &HAI_PHONG)], &mut rng)?;
    write_projects(dir, &dir.join(SAMPLES[9].file), &[(&tn, &THAI_NGUYEN), (&hp, &HAI_PHONG)])?;
    let units = write_units(&dir.join(SAMPLES[10].file), &[(&tn, &THAI_NGUYEN), (&hp, &HAI_PHONG)], &mut rng)?;
    write_addresses(&dir.join(SAMPLES[11].file), &[(&tn, &THAI_NGUYEN), (&hp, &HAI_PHONG)])?;
    let deals = write_transactions(&dir.join(SAMPLES[12].file), &units, &[(&tn, &THAI_NGUYEN), (&hp, &HAI_PHONG)])?;
    println!(
        "wrote {} parcels to {} ({} Thái Nguyên, {} Hải Phòng, {} on the DGN sheet, and a messy GeoJSON), planning zones, price tables, {rights} rights, 2 projects with {} units, addresses and {deals} transactions",
        tn.parcels.len() + hp.parcels.len() + dgn.parcels.len(),
        dir.display(),
        tn.parcels.len(),
        hp.parcels.len(),
        dgn.parcels.len(),
        units.len()
    );
    Ok(())
}

/// A GeoPackage of about `parcels` parcels on a grid of Thái Nguyên streets, for benchmarks.
pub fn generate_synthetic(path: &Path, parcels: usize) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    // Spread as a real province is: communes side by side, each about as full as a 2025 commune
    // (tens of millions of parcels over 3,321 communes), under real 2025 codes from Thái Nguyên
    // on (their positions are not real: all lie in one TM-3 zone around THAI_NGUYEN's centre).
    let codes = commune_codes_from(THAI_NGUYEN.province_code);
    let communes = parcels.div_ceil(PARCELS_PER_COMMUNE).max(1);
    anyhow::ensure!(
        communes <= codes.len(),
        "at most {} synthetic parcels ({} communes of {PARCELS_PER_COMMUNE})",
        codes.len() * PARCELS_PER_COMMUNE,
        codes.len()
    );
    let per_commune = parcels.div_ceil(communes);
    // A city centre: tube houses 2.8-5.2 m wide, about 48 to a block, over 2,000 parcels in a
    // z16 tile (as the densest blocks of a real city hold), with bent street fronts.
    let side = ((per_commune as f64 / 48.0).sqrt().ceil() as usize).max(1);
    let columns = (communes as f64).sqrt().ceil() as usize;
    let (width, height) = (side as f64 * (BLOCK_W + STREET), side as f64 * (BLOCK_H + STREET));
    let mut out = Vec::with_capacity(parcels);
    for (k, code) in codes.iter().take(communes).enumerate() {
        let commune = Commune { code, blocks: (side, side), frontage: (2.8, 5.2), bent_fronts: true, ..THAI_NGUYEN };
        let (col, row) = ((k % columns) as f64 - columns as f64 / 2.0, (k / columns) as f64 - columns as f64 / 2.0);
        let mut lots =
            subdivide(&commune, &mut rng, |i| format!("{}", 1 + i / 4), (col * width, row * height))?.parcels;
        lots.truncate(per_commune.min(parcels - out.len()));
        out.extend(lots);
    }
    write_gpkg(path, &out, THAI_NGUYEN.zone)?;
    Ok(out.len())
}

/// Parcels a synthetic commune holds.
const PARCELS_PER_COMMUNE: usize = 5_000;

/// The 2025 commune codes, those of `province` first, in the order of the list.
fn commune_codes_from(province: &str) -> Vec<&'static str> {
    const LIST: &str = include_str!("../migrations/20260101000002_admin_units_2025.sql");
    // Rows of the communes' INSERT: ('00070', '01', 'Phường Hoàn Kiếm', 'phường'),
    let rows = LIST.split_once("INSERT INTO communes").map_or("", |(_, rows)| rows);
    let (mut first, mut rest): (Vec<_>, Vec<_>) = rows
        .lines()
        .filter_map(|l| Some((l.strip_prefix("('")?.get(..5)?, l.get(11..13)?)))
        .partition(|(_, p)| *p == province);
    first.append(&mut rest);
    first.into_iter().map(|(code, _)| code).collect()
}

const BLOCK_W: f64 = 110.0;
const BLOCK_H: f64 = 58.0;
const STREET: f64 = 12.0;

/// Lays out a rotated street grid and cuts each block into two rows of lots facing the streets.
fn subdivide(
    c: &Commune,
    rng: &mut ChaCha8Rng,
    sheet_of_column: impl Fn(usize) -> String,
    offset: (f64, f64),
) -> anyhow::Result<Layout> {
    let to_zone = Transform::new(&WGS84, &Crs::Epsg(c.zone))?;
    let origin = to_zone.point(Coord { x: c.centre.0, y: c.centre.1 })?;
    let (sin, cos) = c.angle_deg.to_radians().sin_cos();
    let (nx, ny) = c.blocks;
    let half = (nx as f64 * (BLOCK_W + STREET) / 2.0, ny as f64 * (BLOCK_H + STREET) / 2.0);
    // Round to centimetres: DGN stores integer centimetres, and shared edges must stay shared.
    let place = |x: f64, y: f64| {
        let (x, y) = (x - half.0 + offset.0, y - half.1 + offset.1);
        Coord {
            x: ((origin.x + x * cos - y * sin) * 100.0).round() / 100.0,
            y: ((origin.y + x * sin + y * cos) * 100.0).round() / 100.0,
        }
    };
    let mut out = Vec::new();
    let mut project = (vec![], String::new());
    let mut numbers: std::collections::HashMap<String, u32> = Default::default();
    for i in 0..nx {
        let sheet = sheet_of_column(i);
        for j in 0..ny {
            let (x0, y0) = (i as f64 * (BLOCK_W + STREET), j as f64 * (BLOCK_H + STREET));
            let special = rng.gen_range(0..9) == 0;
            if (i, j) == PROJECT_BLOCK {
                let corners =
                    [(x0, y0), (x0 + BLOCK_W, y0), (x0 + BLOCK_W, y0 + BLOCK_H), (x0, y0 + BLOCK_H), (x0, y0)];
                let first = numbers.get(&sheet).copied().unwrap_or(0) + 1;
                project = (corners.iter().map(|(x, y)| place(*x, *y)).collect(), format!("{}-{sheet}-{first}", c.code));
            }
            let mut lots: Vec<(Vec<Coord>, &'static str, usize, u32)> = Vec::new();
            if special {
                let land_use = ["DGD", "DCH", "DKV", "TSC", "TON", "DYT", "DTT"][rng.gen_range(0..7)];
                let ring = vec![
                    place(x0, y0),
                    place(x0 + BLOCK_W, y0),
                    place(x0 + BLOCK_W, y0 + BLOCK_H),
                    place(x0, y0 + BLOCK_H),
                ];
                lots.push((ring, land_use, j, 1));
            } else {
                let split = BLOCK_H / 2.0 + rng.gen_range(-4.0..4.0);
                for (row, (ya, yb)) in [(y0, y0 + split), (y0 + split, y0 + BLOCK_H)].into_iter().enumerate() {
                    let street = j + row;
                    let mut x = x0;
                    let mut house = 1 + 2 * (i as u32 * 12) + row as u32;
                    while x < x0 + BLOCK_W - 0.01 {
                        let mut w = rng.gen_range(c.frontage.0..c.frontage.1);
                        if x0 + BLOCK_W - (x + w) < c.frontage.0 {
                            w = x0 + BLOCK_W - x;
                        }
                        let land_use = match rng.gen_range(0..20) {
                            0..=13 => "ODT",
                            14..=15 => "ODT+CLN",
                            16..=18 => "TMD",
                            _ => "SKC",
                        };
                        let mut ring = vec![place(x, ya), place(x + w, ya), place(x + w, yb), place(x, yb)];
                        if c.bent_fronts {
                            // The front faces the street: row 0's at `ya`, row 1's at `yb`.
                            let t = x + w * rng.gen_range(0.3..0.7);
                            let (at, front) =
                                if row == 0 { (1, place(t, ya - 0.15)) } else { (3, place(t, yb + 0.15)) };
                            ring.insert(at, front);
                        }
                        lots.push((ring, land_use, street, house));
                        house += 2;
                        x += w;
                    }
                }
            }
            for (mut ring, land_use, k, house) in lots {
                let street = c.streets_y[k % c.streets_y.len()];
                ring.push(ring[0]);
                let n = numbers.entry(sheet.clone()).or_insert(0);
                *n += 1;
                let geometric = Polygon::new(LineString(ring.clone()), vec![]).unsigned_area();
                out.push(SampleParcel {
                    commune: c.code.into(),
                    alley_width: alley_width(k),
                    sheet: sheet.clone(),
                    parcel_no: *n,
                    area: (geometric * rng.gen_range(0.985..1.015) * 10.0).round() / 10.0,
                    land_use,
                    address: format!("Số {house} {street}, {}, {}", c.name, c.province),
                    digital_address: rng
                        .gen_bool(0.6)
                        .then(|| format!("{:012}", rng.gen_range(100_000_000_000u64..999_999_999_999))),
                    holder: rng.gen_bool(0.92).then(|| {
                        format!(
                            "{} {} {}",
                            FAMILY[rng.gen_range(0..FAMILY.len())],
                            MIDDLE[rng.gen_range(0..MIDDLE.len())],
                            GIVEN[rng.gen_range(0..GIVEN.len())]
                        )
                    }),
                    ring,
                });
            }
        }
    }
    let (w, h) = (nx as f64 * (BLOCK_W + STREET), ny as f64 * (BLOCK_H + STREET));
    let streets = (0..=ny)
        .filter(|k| alley_width(*k).is_none())
        .map(|k| {
            let y = k as f64 * (BLOCK_H + STREET) - STREET / 2.0;
            (c.streets_y[k % c.streets_y.len()], [place(-STREET, y), place(w, y)])
        })
        .collect();
    // Planning zones cut across blocks, so parcels fall into several with shares.
    let (xs, ys) = ([-STREET, w * 0.37, w * 0.71, w], [-STREET, h * 0.45, h]);
    let mut zones = Vec::new();
    for (iy, yy) in ys.windows(2).enumerate() {
        for (ix, xx) in xs.windows(2).enumerate() {
            let land_use = ["ODT", "TMD", "DKV", "ODT", "DGD", "ODT"][iy * 3 + ix];
            let ring = vec![
                place(xx[0], yy[0]),
                place(xx[1], yy[0]),
                place(xx[1], yy[1]),
                place(xx[0], yy[1]),
                place(xx[0], yy[0]),
            ];
            zones.push((land_use, ring));
        }
    }
    Ok(Layout { parcels: out, streets, zones, project })
}

const FIELDS: [(&str, OGRFieldType::Type); 9] = [
    ("MaXa", OGRFieldType::OFTString),
    ("SoHieuToBanDo", OGRFieldType::OFTString),
    ("SoThuTuThua", OGRFieldType::OFTInteger),
    ("DienTich", OGRFieldType::OFTReal),
    ("KyHieuMucDichSuDung", OGRFieldType::OFTString),
    ("DiaChi", OGRFieldType::OFTString),
    ("MaDiaChiSo", OGRFieldType::OFTString),
    ("TenChu", OGRFieldType::OFTString),
    ("DoRongHem", OGRFieldType::OFTReal),
];

fn fresh(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("cannot replace {}", path.display()))?;
    }
    Ok(())
}

fn write_gpkg(path: &Path, parcels: &[SampleParcel], epsg: u32) -> anyhow::Result<()> {
    fresh(path)?;
    let mut ds = DriverManager::get_driver_by_name("GPKG")?.create_vector_only(path)?;
    let srs = gdal::spatial_ref::SpatialRef::from_epsg(epsg)?;
    let mut tx = ds.start_transaction()?;
    let layer = tx.create_layer(LayerOptions {
        name: "thua_dat",
        srs: Some(&srs),
        ty: OGRwkbGeometryType::wkbPolygon,
        options: None,
    })?;
    layer.create_defn_fields(&FIELDS)?;
    for p in parcels {
        let mut f = Feature::new(layer.defn())?;
        f.set_field_string(0, &p.commune)?;
        f.set_field_string(1, &p.sheet)?;
        f.set_field_integer(2, p.parcel_no as i32)?;
        f.set_field_double(3, p.area)?;
        f.set_field_string(4, p.land_use)?;
        f.set_field_string(5, &p.address)?;
        if let Some(d) = &p.digital_address {
            f.set_field_string(6, d)?;
        }
        if let Some(h) = &p.holder {
            f.set_field_string(7, h)?;
        }
        if let Some(w) = p.alley_width {
            f.set_field_double(8, w)?;
        }
        f.set_geometry(Polygon::new(LineString(p.ring.clone()), vec![]).to_gdal()?)?;
        f.create(&layer)?;
    }
    tx.commit()?;
    Ok(())
}

/// A DGN v7 sheet as famis draws one: each parcel a shape, its number, land use and area as
/// text elements inside it. Centimetre units keep TM-3 coordinates within DGN's 32-bit range.
fn write_dgn(path: &Path, parcels: &[SampleParcel]) -> anyhow::Result<()> {
    fresh(path)?;
    let options: gdal::cpl::CslStringList = [
        "ORIGIN=0,0,0",
        "SUB_UNITS_PER_MASTER_UNIT=100",
        "UOR_PER_SUB_UNIT=1",
        "MASTER_UNIT_NAME=m",
        "SUB_UNIT_NAME=cm",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut ds: Dataset = DriverManager::get_driver_by_name("DGN")?
        .create_with_band_type_with_options::<u8, _>(path, 0, 0, 0, &options)?;
    let layer = ds.create_layer(LayerOptions { name: "elements", ..Default::default() })?;
    let text_field = layer.defn().field_index("Text")?;
    for p in parcels {
        let ring = Polygon::new(LineString(p.ring.clone()), vec![]);
        let mut shape = Feature::new(layer.defn())?;
        shape.set_geometry(ring.to_gdal()?)?;
        shape.create(&layer)?;
        // Lots are rectangles, so the mean of the corners is inside.
        let n = (p.ring.len() - 1) as f64;
        let (cx, cy) = p.ring[..p.ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), c| (x + c.x / n, y + c.y / n));
        for text in [p.parcel_no.to_string(), p.land_use.to_string(), format!("{:.1}", p.area)] {
            let mut label = Feature::new(layer.defn())?;
            label.set_field_string(text_field, &text)?;
            label
                .set_geometry(geo::Point::new((cx * 100.0).round() / 100.0, (cy * 100.0).round() / 100.0).to_gdal()?)?;
            label.create(&layer)?;
        }
    }
    Ok(())
}

/// A small pre-reform export with every fault a real one has. Written by hand as GeoJSON so that
/// broken geometry survives (GDAL would refuse to write some of it).
fn write_messy(path: &Path, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let to_zone = Transform::new(&WGS84, &Crs::Epsg(9210))?;
    let o = to_zone.point(Coord { x: 106.700, y: 20.850 })?;
    let sq = |x: f64, y: f64, w: f64, h: f64| {
        let (x, y) = (o.x + x, o.y + y);
        serde_json::json!([[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]])
    };
    let feature = |props: serde_json::Value, geometry: serde_json::Value| serde_json::json!({ "type": "Feature", "properties": props, "geometry": geometry });
    let props = |sheet: u32, no: Option<u32>, lu: &str, area: f64| serde_json::json!({ "MaXa": "20248", "SoHieuToBanDo": sheet.to_string(), "SoThuTuThua": no, "KyHieuMucDichSuDung": lu, "DienTich": area, "TenChu": "Lý Thị Mẫu" });
    let mut features = Vec::new();
    // Ordinary parcels, including legacy land-use codes.
    for k in 0..36u32 {
        let (x, y) = ((k % 6) as f64 * 20.0, (k / 6) as f64 * 25.0);
        let lu = ["ONT", "BHK", "LNQ", "ONT+LNK", "TSN", "ONT"][rng.gen_range(0..6)];
        features.push(feature(
            props(1, Some(100 + k), lu, 500.0),
            serde_json::json!({ "type": "Polygon", "coordinates": sq(x, y, 20.0, 25.0) }),
        ));
    }
    // Parcel 149 drawn as two touching polygons (one parcel, two features).
    features.push(feature(
        props(1, Some(149), "ONT", 180.0),
        serde_json::json!({ "type": "Polygon", "coordinates": sq(0.0, 160.0, 12.0, 15.0) }),
    ));
    features.push(feature(
        props(1, Some(149), "LNK", 120.0),
        serde_json::json!({ "type": "Polygon", "coordinates": sq(12.0, 160.0, 8.0, 15.0) }),
    ));
    // A self-intersecting ring (bow tie).
    let (x, y) = (o.x + 40.0, o.y + 160.0);
    features.push(feature(
        props(1, Some(150), "ONT", 300.0),
        serde_json::json!({ "type": "Polygon", "coordinates": [[[x, y], [x + 20.0, y + 15.0], [x + 20.0, y], [x, y + 15.0], [x, y]]] }),
    ));
    // No geometry, a line where a parcel should be, and a parcel without a number.
    features.push(feature(props(1, Some(151), "ONT", 90.0), serde_json::Value::Null));
    features.push(feature(props(1, Some(152), "DGT", 60.0), serde_json::json!({ "type": "LineString", "coordinates": [[o.x + 70.0, o.y + 160.0], [o.x + 110.0, o.y + 160.0]] })));
    features.push(feature(
        props(1, None, "ONT", 75.0),
        serde_json::json!({ "type": "Polygon", "coordinates": sq(80.0, 165.0, 10.0, 10.0) }),
    ));
    let doc = serde_json::json!({
        "type": "FeatureCollection",
        "name": "messy-20248",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::9210" } },
        "features": features,
    });
    std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")?;
    Ok(())
}

/// A GeoPackage layer in a TM-3 zone with string fields, filled by `fill` one feature at a time.
fn write_layer(
    path: &Path,
    name: &str,
    epsg: u32,
    ty: OGRwkbGeometryType::Type,
    fields: &[&str],
    mut fill: impl FnMut(&mut dyn FnMut(geo::Geometry, &[String]) -> anyhow::Result<()>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    fresh(path)?;
    let mut ds = DriverManager::get_driver_by_name("GPKG")?.create_vector_only(path)?;
    let srs = gdal::spatial_ref::SpatialRef::from_epsg(epsg)?;
    let mut tx = ds.start_transaction()?;
    let layer = tx.create_layer(LayerOptions { name, srs: Some(&srs), ty, options: None })?;
    let defs: Vec<(&str, OGRFieldType::Type)> = fields.iter().map(|f| (*f, OGRFieldType::OFTString)).collect();
    layer.create_defn_fields(&defs)?;
    fill(&mut |geom, values| {
        let mut f = Feature::new(layer.defn())?;
        for (i, v) in values.iter().enumerate() {
            f.set_field_string(i, v)?;
        }
        f.set_geometry(geom.to_gdal()?)?;
        f.create(&layer)?;
        Ok(())
    })?;
    tx.commit()?;
    Ok(())
}

fn write_planning(path: &Path, area: &Layout, c: &Commune, plan: &str, decision: &str) -> anyhow::Result<()> {
    let fields = [
        "MaVung",
        "TenQuyHoach",
        "CapQuyHoach",
        "KyQuyHoach",
        "SoQuyetDinh",
        "NgayQuyetDinh",
        "TrangThai",
        "KyHieuMucDichSuDung",
    ];
    write_layer(path, "quy_hoach", c.zone, OGRwkbGeometryType::wkbPolygon, &fields, |add| {
        for (i, (land_use, ring)) in area.zones.iter().enumerate() {
            let values = [
                format!("{}-QH-{:02}", c.code, i + 1),
                plan.to_owned(),
                "xã".to_owned(),
                "2021-2030".to_owned(),
                decision.to_owned(),
                "2022-03-15".to_owned(),
                "approved".to_owned(),
                land_use.to_string(),
            ];
            add(Polygon::new(LineString(ring.clone()), vec![]).into(), &values)?;
        }
        Ok(())
    })
}

/// Prices per main street, in two segments each, for ODT and TMD at VT1..VT4.
fn write_prices(path: &Path, area: &Layout, c: &Commune, base: i64, decision: &str) -> anyhow::Result<()> {
    let fields = [
        "MaDoan",
        "TenDuong",
        "TuDiem",
        "DenDiem",
        "LoaiDat",
        "VT1",
        "VT2",
        "VT3",
        "VT4",
        "SoQuyetDinh",
        "NgayHieuLuc",
    ];
    write_layer(path, "bang_gia", c.zone, OGRwkbGeometryType::wkbLineString, &fields, |add| {
        for (k, (street, [a, b])) in area.streets.iter().enumerate() {
            let mid = Coord {
                x: ((a.x + b.x) / 2.0 * 100.0).round() / 100.0,
                y: ((a.y + b.y) / 2.0 * 100.0).round() / 100.0,
            };
            let halves = [("A", *a, mid, "Đầu đường", "Giữa tuyến"), ("B", mid, *b, "Giữa tuyến", "Cuối đường")];
            for (h, (half, from, to, from_name, to_name)) in halves.into_iter().enumerate() {
                let vt1 = base + (k as i64 * 2 + h as i64) * 1_500_000;
                for (land_use, factor) in [("ODT", 1.0), ("TMD", 0.8)] {
                    let price = |share: f64| ((vt1 as f64 * factor * share / 1000.0).round() as i64 * 1000).to_string();
                    let values = [
                        format!("{}-{:02}{half}", c.code, k + 1),
                        street.to_string(),
                        from_name.to_owned(),
                        to_name.to_owned(),
                        land_use.to_owned(),
                        price(1.0),
                        price(0.55),
                        price(0.4),
                        price(0.3),
                        decision.to_owned(),
                        "2025-01-01".to_owned(),
                    ];
                    add(LineString(vec![from, to]).into(), &values)?;
                }
            }
        }
        Ok(())
    })
}

/// One row per right: individuals, households and shared holdings on residential lots,
/// organisations on business lots, the State on public ones. Returns the number of rights.
fn write_holders(path: &Path, areas: &[(&Layout, &Commune)], rng: &mut ChaCha8Rng) -> anyhow::Result<usize> {
    let mut out =
        String::from("MaChu,LoaiChu,HoTen,SoDinhDanh,NamSinh,MaSoThue,MaThua,LoaiQuyen,TaiSan,TyLe,SoGCN,NgayCap\n");
    let mut rights = 0;
    let name = |rng: &mut ChaCha8Rng| {
        format!(
            "{} {} {}",
            FAMILY[rng.gen_range(0..FAMILY.len())],
            MIDDLE[rng.gen_range(0..MIDDLE.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        )
    };
    for (area, c) in areas {
        let province: u32 = c.province_code.parse()?;
        let person = |rng: &mut ChaCha8Rng| {
            let year = rng.gen_range(1950..2000);
            let id =
                format!("0{province:02}{}{:02}{:06}", rng.gen_range(0..2), year % 100, rng.gen_range(0..1_000_000));
            (id, year.to_string())
        };
        for (n, p) in area.parcels.iter().enumerate() {
            let Some(holder) = &p.holder else { continue };
            let key = format!("{}-{}-{}", p.commune, p.sheet, p.parcel_no);
            let certificate =
                format!("{}{:010}", ["CS", "DA", "BH"][rng.gen_range(0..3)], rng.gen_range(0..10_000_000_000u64));
            let issued =
                format!("20{:02}-{:02}-{:02}", rng.gen_range(5..25), rng.gen_range(1..13), rng.gen_range(1..29));
            let code = format!("H{}{n:05}", c.code);
            let mut row = |code: &str, kind: &str, name: &str, id: &str, year: &str, tax: &str, share: &str| {
                out += &format!(
                    "{code},{kind},{name},{id},{year},{tax},{key},su_dung_dat,,{share},{certificate},{issued}\n"
                );
                rights += 1;
            };
            match p.land_use {
                "DGD" | "DCH" | "DKV" | "TSC" | "DYT" | "DTT" => {
                    row(&format!("NN{}", c.code), "nha_nuoc", &format!("UBND {}", c.name), "", "", "", "1")
                }
                "TON" | "TMD" | "SKC" => {
                    let tax = format!("{:010}", rng.gen_range(100_000_000u64..9_999_999_999));
                    row(&code, "to_chuc", &format!("Công ty TNHH {}", GIVEN[n % GIVEN.len()]), "", "", &tax, "1")
                }
                _ => match rng.gen_range(0..10) {
                    0..=6 => {
                        let (id, year) = person(rng);
                        row(&code, "ca_nhan", holder, &id, &year, "", "1")
                    }
                    7..=8 => {
                        let (id, year) = person(rng);
                        row(&code, "ho_gia_dinh", &format!("Hộ {holder}"), &id, &year, "", "1")
                    }
                    _ => {
                        let (id, year) = person(rng);
                        row(&code, "ca_nhan", holder, &id, &year, "", "1/2");
                        let (id, year) = person(rng);
                        let partner = name(rng);
                        row(&format!("{code}B"), "ca_nhan", &partner, &id, &year, "", "1/2")
                    }
                },
            }
        }
    }
    fresh(path)?;
    std::fs::write(path, out)?;
    Ok(rights)
}

/// The two sample projects, one per commune, in WGS84 (one layer, two zones), each with its
/// legal documents as PDF files beside it.
fn write_projects(dir: &Path, path: &Path, areas: &[(&Layout, &Commune)]) -> anyhow::Result<()> {
    let fields = [
        "MaDuAn",
        "TenDuAn",
        "ChuDauTu",
        "LoaiDuAn",
        "TrangThai",
        "TienDo",
        "TongVonDauTu",
        "DienTichDat",
        "SoQDChuTruong",
        "NgayQDChuTruong",
        "TaiLieu",
    ];
    let docs = dir.join("project-documents");
    std::fs::create_dir_all(&docs)?;
    write_layer(path, "du_an", 4326, OGRwkbGeometryType::wkbPolygon, &fields, |add| {
        for (k, (area, c)) in areas.iter().enumerate() {
            let code = format!("DA{}", c.code);
            let mut ring = area.project.0.clone();
            let land_area = Polygon::new(LineString(ring.clone()), vec![]).unsigned_area();
            let to_wgs84 = Transform::new(&Crs::Epsg(c.zone), &WGS84)?;
            for p in &mut ring {
                *p = to_wgs84.point(*p)?;
            }
            let mut documents = vec![];
            for (title, slug, text) in [
                ("Quyết định chủ trương đầu tư", "chu-truong", "Quyet dinh chap thuan chu truong dau tu"),
                ("Giấy phép xây dựng", "giay-phep", "Giay phep xay dung"),
            ] {
                let file = format!("{code}-{slug}.pdf");
                std::fs::write(docs.join(&file), pdf(&format!("{text} - du an {code}")))?;
                documents.push(format!("{title}=project-documents/{file}"));
            }
            let values = [
                code.clone(),
                format!("Khu nhà ở {}", c.name.trim_start_matches("Phường ")),
                format!("Công ty Cổ phần Đầu tư {}", c.province),
                ["housing", "mixed"][k % 2].to_owned(),
                "under_construction".to_owned(),
                ["65", "30"][k % 2].to_owned(),
                ["1250000000000", "2400000000000"][k % 2].to_owned(),
                format!("{land_area:.1}"),
                format!("{}/QĐ-UBND", 1200 + k),
                "2024-05-20".to_owned(),
                documents.join("; "),
            ];
            add(Polygon::new(LineString(ring), vec![]).into(), &values)?;
        }
        Ok(())
    })
}

/// A one-page PDF saying `text` (ASCII), enough to store, hash and serve as a legal document.
fn pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 14 Tf 56 780 Td ({}) Tj ET", text.replace(['(', ')', '\\'], " "));
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 4 0 R >> >> >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out += &format!("{} 0 obj\n{o}\nendobj\n", i + 1);
    }
    let xref = out.len();
    out += &format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        out += &format!("{o:010} 00000 n \n");
    }
    out += &format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.into_bytes()
}

/// Two buildings of 12 floors with 8 units each per project, on the project's first parcel;
/// the ground-floor units of building A carry their footprint. Product IDs are left for the
/// import to generate. Returns the number of units.
/// A sample unit: project, building, floor, number, floor area and status.
type SampleUnit = (String, &'static str, u32, String, f64, &'static str);

fn write_units(path: &Path, areas: &[(&Layout, &Commune)], rng: &mut ChaCha8Rng) -> anyhow::Result<Vec<SampleUnit>> {
    let mut out = String::from("MaDuAn,MaThua,ToaNha,Tang,SoCan,MaViTri,DienTichSan,TrangThai,WKT\n");
    let mut units = Vec::new();
    for (area, c) in areas {
        let to_wgs84 = Transform::new(&Crs::Epsg(c.zone), &WGS84)?;
        // The block's own axes, from its corners, in metres.
        let ring = &area.project.0;
        let axis = |to: Coord| {
            let d = to - ring[0];
            d / d.x.hypot(d.y)
        };
        let (u, v) = (axis(ring[1]), axis(ring[3]));
        let footprint = |k: usize| -> anyhow::Result<String> {
            let at = |a: f64, b: f64| to_wgs84.point(ring[0] + u * a + v * b);
            let (a0, b0) = (5.0 + 10.0 * k as f64, 5.0);
            let corners = [at(a0, b0)?, at(a0 + 10.0, b0)?, at(a0 + 10.0, b0 + 8.0)?, at(a0, b0 + 8.0)?, at(a0, b0)?];
            let text: Vec<String> = corners.iter().map(|p| format!("{:.9} {:.9}", p.x, p.y)).collect();
            Ok(format!("\"POLYGON(({}))\"", text.join(",")))
        };
        for building in ["A", "B"] {
            for floor in 1..=12 {
                for unit in 1..=8 {
                    let status = ["available", "reserved", "sold", "sold", "leased"][rng.gen_range(0..5)];
                    let floor_area = [54.5, 68.2, 75.0, 92.3][unit % 4];
                    let wkt = if building == "A" && floor == 1 { footprint(unit - 1)? } else { String::new() };
                    out += &format!(
                        "DA{},{},{building},{floor},{floor:02}{unit:02},{building},{floor_area},{status},{wkt}\n",
                        c.code, area.project.1
                    );
                    units.push((
                        format!("DA{}", c.code),
                        building,
                        floor,
                        format!("{floor:02}{unit:02}"),
                        floor_area,
                        status,
                    ));
                }
            }
        }
    }
    fresh(path)?;
    std::fs::write(path, out)?;
    Ok(units)
}

/// Market transactions matching the units' statuses (a signed sale for each sold unit, a deposit
/// for each reserved one, a lease for each leased one) and transfers of land use rights, spread
/// over the six quarters to 2026-Q4, priced around each city's level. Some communes' quarters
/// hold fewer than 3 land transfers, so the statistics show suppressed cells. Its own random
/// stream, so the other samples stay as they were.
fn write_transactions(path: &Path, units: &[SampleUnit], areas: &[(&Layout, &Commune)]) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 14);
    let mut out = String::from(
        "SoHopDong,NgayHopDong,LoaiGiaoDich,TrangThai,MaDuAn,ToaNha,Tang,SoCan,MaThua,GiaTri,DienTich,NgayHetHan,CongChung,VanPhongCongChung,BenBan,BenMua,NguonTin\n",
    );
    let names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang"];
    let person = |rng: &mut ChaCha8Rng| format!("{} {}", names[rng.gen_range(0..names.len())], rng.gen_range(10..99));
    // A day of 2025-07-01 .. 2026-11-30.
    let day = |rng: &mut ChaCha8Rng| {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("a date");
        start + chrono::Duration::days(rng.gen_range(0..518))
    };
    let mut n = 0;
    for (project, building, floor, unit_no, area, status) in units {
        let per_m2 = if project.ends_with("05443") { 28.0 } else { 46.0 } * 1e6 * rng.gen_range(0.85..1.2);
        let date = day(&mut rng);
        let (kind, stage, price, end) = match *status {
            "sold" => ("mua_ban", "da_ky", per_m2 * area, String::new()),
            "reserved" => ("mua_ban", "dat_coc", per_m2 * area, String::new()),
            "leased" => {
                ("thue", "da_ky", per_m2 * area * 0.004 * 24.0, (date + chrono::Duration::days(730)).to_string())
            }
            _ => continue,
        };
        n += 1;
        let notarised = kind == "mua_ban" && stage == "da_ky";
        out += &format!(
            "HD-{project}-{n:04},{date},{kind},{stage},{project},{building},{floor},{unit_no},,{:.0},{area},{end},{},{},Công ty CP Đầu tư {project},{},chu_dau_tu\n",
            price.round(),
            if notarised { "co" } else { "khong" },
            if notarised { "Văn phòng công chứng Số 1" } else { "" },
            person(&mut rng)
        );
    }
    for (area, c) in areas {
        let per_m2 = if c.code == "05443" { 35.0 } else { 75.0 } * 1e6;
        let count = area.parcels.len().min(40);
        for (i, p) in area.parcels.iter().step_by(area.parcels.len().max(1) / count.max(1)).take(count).enumerate() {
            n += 1;
            let date = day(&mut rng);
            let size = rng.gen_range(60.0..160.0_f64).round();
            out += &format!(
                "CN-{}-{i:03},{date},chuyen_nhuong,da_ky,,,,,{}-{}-{},{:.0},{size},,co,Phòng công chứng Số 2,{},{},van_phong_dang_ky\n",
                c.code,
                p.commune,
                p.sheet,
                p.parcel_no,
                (per_m2 * size * rng.gen_range(0.8..1.3)).round(),
                person(&mut rng),
                person(&mut rng)
            );
        }
    }
    fresh(path)?;
    std::fs::write(path, out)?;
    Ok(n)
}

/// Digital addresses of the parcels that carry a digital-address code, at their lots' centres.
fn write_addresses(path: &Path, areas: &[(&Layout, &Commune)]) -> anyhow::Result<()> {
    let mut out = String::from("MaDiaChi,MaThua,MaXa,Duong,SoNha,MaBuuChinh,X,Y\n");
    for (area, c) in areas {
        let to_wgs84 = Transform::new(&Crs::Epsg(c.zone), &WGS84)?;
        for p in area.parcels.iter().filter(|p| p.digital_address.is_some()).take(150) {
            let n = (p.ring.len() - 1) as f64;
            let centre = p.ring[..p.ring.len() - 1]
                .iter()
                .fold(Coord { x: 0.0, y: 0.0 }, |a, q| Coord { x: a.x + q.x / n, y: a.y + q.y / n });
            let at = to_wgs84.point(centre)?;
            let (house, street) = p.address.trim_start_matches("Số ").split_once(' ').unwrap_or(("", &p.address));
            let street = street.split(',').next().unwrap_or(street);
            let postcode = if c.code == "05443" { "24000" } else { "04000" };
            out += &format!(
                "{},{}-{}-{},{},{street},{house},{postcode},{:.8},{:.8}\n",
                p.digital_address.as_deref().unwrap_or_default(),
                p.commune,
                p.sheet,
                p.parcel_no,
                c.code,
                at.x,
                at.y
            );
        }
    }
    fresh(path)?;
    std::fs::write(path, out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_communes_are_the_2025_list_from_thai_nguyen_on() {
        let codes = commune_codes_from("19");
        assert_eq!(codes.len(), 3321);
        assert_eq!(codes.iter().collect::<std::collections::BTreeSet<_>>().len(), 3321, "codes repeat");
        assert!(codes.iter().all(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes[..93].contains(&THAI_NGUYEN.code), "Thái Nguyên's communes come first");
        assert!(!codes[93..].contains(&THAI_NGUYEN.code));
    }
}
