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

/// How `samples --load` imports each file.
pub struct Sample {
    pub file: &'static str,
    pub crs: Option<&'static str>,
    pub defaults: &'static [&'static str],
    pub on_invalid: OnInvalid,
    pub on_duplicate: OnDuplicate,
}

pub const SAMPLES: [Sample; 4] = [
    Sample {
        file: "thai-nguyen-05443.gpkg",
        crs: None,
        defaults: &[],
        on_invalid: OnInvalid::Reject,
        on_duplicate: OnDuplicate::Reject,
    },
    Sample {
        file: "hai-phong-11311.gpkg",
        crs: None,
        defaults: &[],
        on_invalid: OnInvalid::Reject,
        on_duplicate: OnDuplicate::Reject,
    },
    // A DGN sheet has no CRS, commune or sheet number: the officer supplies them.
    Sample {
        file: "hai-phong-11311-sheet-90.dgn",
        crs: Some("EPSG:9210"),
        defaults: &["MaXa=11311", "SoHieuToBanDo=90"],
        on_invalid: OnInvalid::Reject,
        on_duplicate: OnDuplicate::Reject,
    },
    // A messy pre-reform export: invalid rings, missing geometry and keys, split parcels.
    Sample {
        file: "messy-20248.geojson",
        crs: None,
        defaults: &[],
        on_invalid: OnInvalid::Repair,
        on_duplicate: OnDuplicate::Merge,
    },
];

const SEED: u64 = 20_260_701;

struct Commune {
    code: &'static str,
    name: &'static str,
    province: &'static str,
    zone: u32,
    centre: (f64, f64),
    blocks: (usize, usize),
    streets_y: &'static [&'static str],
    angle_deg: f64,
}

const THAI_NGUYEN: Commune = Commune {
    code: "05443",
    name: "Phường Phan Đình Phùng",
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
};

const HAI_PHONG: Commune = Commune {
    code: "11311",
    name: "Phường Hồng Bàng",
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
};

const FAMILY: [&str; 12] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Quân", "Thảo", "Tuấn",
    "Yến",
];

/// One synthetic parcel in TM-3 metres.
struct SampleParcel {
    commune: String,
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
    write_gpkg(&dir.join(SAMPLES[0].file), &tn, THAI_NGUYEN.zone)?;
    let hp = subdivide(&HAI_PHONG, &mut rng, |i| format!("{}", 1 + i / 3), (0.0, 0.0))?;
    write_gpkg(&dir.join(SAMPLES[1].file), &hp, HAI_PHONG.zone)?;
    // Sheet 90 lies east of the main grid of Hồng Bàng.
    let sheet90 = Commune { blocks: (3, 3), ..HAI_PHONG };
    let dgn = subdivide(&sheet90, &mut rng, |_| "90".into(), (1250.0, 150.0))?;
    write_dgn(&dir.join(SAMPLES[2].file), &dgn)?;
    write_messy(&dir.join(SAMPLES[3].file), &mut rng)?;
    println!(
        "wrote {} parcels to {} ({} Thái Nguyên, {} Hải Phòng, {} on the DGN sheet, and a messy GeoJSON)",
        tn.len() + hp.len() + dgn.len(),
        dir.display(),
        tn.len(),
        hp.len(),
        dgn.len()
    );
    Ok(())
}

/// A GeoPackage of about `parcels` parcels on a grid of Thái Nguyên streets, for benchmarks.
pub fn generate_synthetic(path: &Path, parcels: usize) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    // About 21 lots a block.
    let side = ((parcels as f64 / 21.0).sqrt().ceil() as usize).max(1);
    let commune = Commune { blocks: (side, side), ..THAI_NGUYEN };
    let mut out = subdivide(&commune, &mut rng, |i| format!("{}", 1 + i / 4), (0.0, 0.0))?;
    out.truncate(parcels);
    write_gpkg(path, &out, commune.zone)?;
    Ok(out.len())
}

/// Lays out a rotated street grid and cuts each block into two rows of lots facing the streets.
fn subdivide(
    c: &Commune,
    rng: &mut ChaCha8Rng,
    sheet_of_column: impl Fn(usize) -> String,
    offset: (f64, f64),
) -> anyhow::Result<Vec<SampleParcel>> {
    const BLOCK_W: f64 = 110.0;
    const BLOCK_H: f64 = 58.0;
    const STREET: f64 = 12.0;
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
    let mut numbers: std::collections::HashMap<String, u32> = Default::default();
    for i in 0..nx {
        let sheet = sheet_of_column(i);
        for j in 0..ny {
            let (x0, y0) = (i as f64 * (BLOCK_W + STREET), j as f64 * (BLOCK_H + STREET));
            let special = rng.gen_range(0..9) == 0;
            let mut lots: Vec<(Vec<Coord>, &'static str, &'static str, u32)> = Vec::new();
            if special {
                let land_use = ["DGD", "DCH", "DKV", "TSC", "TON", "DYT", "DTT"][rng.gen_range(0..7)];
                let ring = vec![
                    place(x0, y0),
                    place(x0 + BLOCK_W, y0),
                    place(x0 + BLOCK_W, y0 + BLOCK_H),
                    place(x0, y0 + BLOCK_H),
                ];
                lots.push((ring, land_use, c.streets_y[j % c.streets_y.len()], 1));
            } else {
                let split = BLOCK_H / 2.0 + rng.gen_range(-4.0..4.0);
                for (row, (ya, yb)) in [(y0, y0 + split), (y0 + split, y0 + BLOCK_H)].into_iter().enumerate() {
                    let street = c.streets_y[(j + row) % c.streets_y.len()];
                    let mut x = x0;
                    let mut house = 1 + 2 * (i as u32 * 12) + row as u32;
                    while x < x0 + BLOCK_W - 0.01 {
                        let mut w = rng.gen_range(5.0..14.0);
                        if x0 + BLOCK_W - (x + w) < 5.0 {
                            w = x0 + BLOCK_W - x;
                        }
                        let land_use = match rng.gen_range(0..20) {
                            0..=13 => "ODT",
                            14..=15 => "ODT+CLN",
                            16..=18 => "TMD",
                            _ => "SKC",
                        };
                        lots.push((
                            vec![place(x, ya), place(x + w, ya), place(x + w, yb), place(x, yb)],
                            land_use,
                            street,
                            house,
                        ));
                        house += 2;
                        x += w;
                    }
                }
            }
            for (mut ring, land_use, street, house) in lots {
                ring.push(ring[0]);
                let n = numbers.entry(sheet.clone()).or_insert(0);
                *n += 1;
                let geometric = Polygon::new(LineString(ring.clone()), vec![]).unsigned_area();
                out.push(SampleParcel {
                    commune: c.code.into(),
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
    Ok(out)
}

const FIELDS: [(&str, OGRFieldType::Type); 8] = [
    ("MaXa", OGRFieldType::OFTString),
    ("SoHieuToBanDo", OGRFieldType::OFTString),
    ("SoThuTuThua", OGRFieldType::OFTInteger),
    ("DienTich", OGRFieldType::OFTReal),
    ("KyHieuMucDichSuDung", OGRFieldType::OFTString),
    ("DiaChi", OGRFieldType::OFTString),
    ("MaDiaChiSo", OGRFieldType::OFTString),
    ("TenChu", OGRFieldType::OFTString),
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
