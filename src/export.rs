//! Downloads: a collection's features, filtered as the feature APIs filter them, written by GDAL
//! as GeoPackage, zipped Shapefile, KML, CSV, FlatGeobuf or a geospatial PDF. Pages are read from PostGIS while
//! GDAL writes the previous ones, into a temporary file that is unlinked once opened, so the
//! response streams it from disk and nothing is left behind.

use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{FieldValue, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};
use gdal::{Dataset, DriverManager};
use serde_json::Value;

use crate::access::View;
use crate::catalog::{FieldType, GeometryKind, LayerSpec};
use crate::crs::ApiCrs;
use crate::fault::Fault;
use crate::features::{self, FeatureError, ItemQuery};

/// More features than this in one download are refused: narrow it with bbox or filter.
pub const MAX_FEATURES: i64 = 100_000;
const PAGE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    GeoPackage,
    Shapefile,
    Kml,
    Csv,
    FlatGeobuf,
    /// A geospatial PDF: a printable extract.
    Pdf,
}

impl Format {
    /// A format by its short name or media type, as `f=` and `outputFormat=` give it.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gpkg" | "geopackage" | "application/geopackage+sqlite3" => Some(Format::GeoPackage),
            "shp" | "shape-zip" | "shapezip" | "application/x-shapefile" => Some(Format::Shapefile),
            "kml" | "application/vnd.google-earth.kml+xml" => Some(Format::Kml),
            "csv" | "text/csv" => Some(Format::Csv),
            "fgb" | "flatgeobuf" | "application/flatgeobuf" => Some(Format::FlatGeobuf),
            "pdf" | "application/pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub const NAMES: &str = "gpkg, shp (zipped Shapefile), kml, csv, fgb, pdf";

    fn driver(self) -> &'static str {
        match self {
            Format::GeoPackage => "GPKG",
            Format::Shapefile => "ESRI Shapefile",
            // GDAL's own KML writer streams; LIBKML builds the whole document in memory and took
            // minutes for a few thousand parcels.
            Format::Kml => "KML",
            Format::Csv => "CSV",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::Pdf => "PDF",
        }
    }

    /// The file name's ending (GDAL writes `.shp.zip` as a zipped Shapefile).
    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoPackage => "gpkg",
            Format::Shapefile => "shp.zip",
            Format::Kml => "kml",
            Format::Csv => "csv",
            Format::FlatGeobuf => "fgb",
            Format::Pdf => "pdf",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::GeoPackage => "application/geopackage+sqlite3",
            Format::Shapefile => "application/zip",
            Format::Kml => "application/vnd.google-earth.kml+xml",
            Format::Csv => "text/csv; charset=utf-8",
            Format::FlatGeobuf => "application/flatgeobuf",
            Format::Pdf => "application/pdf",
        }
    }

    fn layer_options(self) -> &'static [&'static str] {
        match self {
            Format::Csv => &["GEOMETRY=AS_WKT"],
            Format::Shapefile => &["ENCODING=UTF-8"],
            _ => &[],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} features match; a download holds at most {MAX_FEATURES}: narrow it with bbox or filter")]
    TooMany(i64),
    #[error(transparent)]
    Feature(#[from] FeatureError),
    #[error("{0}")]
    Unsupported(String),
    #[error("writing the file: {0}")]
    Gdal(String),
}

impl ExportError {
    pub fn fault(&self) -> Fault {
        match self {
            ExportError::Feature(e) => e.fault(),
            ExportError::Gdal(m) => Fault::Server(format!("download: {m}")),
            e => Fault::Caller(e.to_string()),
        }
    }
}

/// Writes the features `q` selects (all pages; its limit and paging are ignored) in `crs`
/// (longitude or easting first); returns the open, already unlinked file.
pub async fn export(
    from: features::Source<'_>,
    spec: &LayerSpec,
    view: &View,
    mut q: ItemQuery,
    crs: &ApiCrs,
    format: Format,
) -> Result<std::fs::File, ExportError> {
    let epsg = crs.epsg().ok_or_else(|| ExportError::Unsupported(format!("{} has no EPSG code", crs.uri)))?;
    if format == Format::Kml && epsg != 4326 {
        return Err(ExportError::Unsupported("KML is always WGS 84: ask for it in CRS84 or EPSG:4326".into()));
    }
    if format == Format::Shapefile && spec.geometry == GeometryKind::Any {
        return Err(ExportError::Unsupported(format!(
            "{} mixes geometry types and a Shapefile holds one: download gpkg, fgb, kml or csv",
            spec.name
        )));
    }
    let fields: Vec<(String, FieldType)> = spec
        .visible_fields(view.audience)
        .filter(|(_, f)| q.properties.as_ref().is_none_or(|p| p.contains(&f.name)))
        .map(|(_, f)| (f.name.clone(), f.kind))
        .collect();
    (q.limit, q.after, q.offset) = (PAGE, None, 0);
    q.sort.clear();
    let (first, matched) = features::items(from, spec, view, &q, crs).await?;
    if matched > MAX_FEATURES {
        return Err(ExportError::TooMany(matched));
    }
    let dir = tempfile::tempdir().map_err(|e| ExportError::Gdal(e.to_string()))?;
    let path = dir.path().join(format!("{}.{}", spec.name, format.extension()));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Value>>(2);
    let target = Target { format, name: spec.name.clone(), kind: spec.geometry, epsg, fields };
    let writing = path.clone();
    let writer = tokio::task::spawn_blocking(move || write(&writing, &target, rx));
    let mut page = first;
    loop {
        let last = page.last().map(|i| i.key);
        let full = page.len() == PAGE;
        if tx.send(page.into_iter().map(|i| i.feature).collect()).is_err() {
            break; // The writer failed; its error is reported below.
        }
        match last {
            Some(key) if full => {
                q.after = Some(key);
                page = features::page_of(from, spec, view, &q, crs).await?;
            }
            _ => break,
        }
    }
    drop(tx);
    writer.await.map_err(|e| ExportError::Gdal(e.to_string()))??;
    let file = std::fs::File::open(&path).map_err(|e| ExportError::Gdal(e.to_string()))?;
    drop(dir); // Unlinks the file; the open handle keeps it readable until the stream ends.
    Ok(file)
}

/// What the file holds: one layer of `fields`, in EPSG:`epsg`.
struct Target {
    format: Format,
    name: String,
    kind: GeometryKind,
    epsg: u32,
    fields: Vec<(String, FieldType)>,
}

fn gdal(e: gdal::errors::GdalError) -> ExportError {
    ExportError::Gdal(e.to_string())
}

fn write(path: &std::path::Path, t: &Target, pages: std::sync::mpsc::Receiver<Vec<Value>>) -> Result<(), ExportError> {
    let driver = DriverManager::get_driver_by_name(t.format.driver()).map_err(gdal)?;
    let mut ds = driver.create_vector_only(path).map_err(gdal)?;
    if t.format == Format::GeoPackage {
        // One transaction, or SQLite commits every feature.
        let mut tx = ds.start_transaction().map_err(gdal)?;
        write_layer(&mut tx, t, pages)?;
        tx.commit().map_err(gdal)
    } else {
        write_layer(&mut ds, t, pages)
    }
}

fn write_layer(ds: &mut Dataset, t: &Target, pages: std::sync::mpsc::Receiver<Vec<Value>>) -> Result<(), ExportError> {
    let Target { format, name, kind, epsg, fields } = t;
    let (format, kind, epsg) = (*format, *kind, *epsg);
    let mut srs = SpatialRef::from_epsg(epsg).map_err(gdal)?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    // A Shapefile holds one geometry type; the others take any.
    let ty = match (format, kind) {
        (Format::Shapefile, GeometryKind::Polygon) => OGRwkbGeometryType::wkbMultiPolygon,
        (Format::Shapefile, GeometryKind::Line) => OGRwkbGeometryType::wkbMultiLineString,
        (Format::Shapefile, GeometryKind::Point) => OGRwkbGeometryType::wkbPoint,
        _ => OGRwkbGeometryType::wkbUnknown,
    };
    let layer = ds
        .create_layer(LayerOptions { name, srs: Some(&srs), ty, options: Some(format.layer_options()) })
        .map_err(gdal)?;
    let defs: Vec<(&str, u32)> = fields
        .iter()
        .map(|(n, k)| {
            let t = match k {
                FieldType::String => OGRFieldType::OFTString,
                FieldType::Number => OGRFieldType::OFTReal,
                FieldType::Integer => OGRFieldType::OFTInteger64,
                FieldType::Boolean => OGRFieldType::OFTInteger,
            };
            (n.as_str(), t)
        })
        .collect();
    layer.create_defn_fields(&defs).map_err(gdal)?;
    let defn = layer.defn();
    // Some drivers' layers hold fields of their own before ours (KML's Name and Description); and
    // names may not survive (a Shapefile's are 10 characters), so ours are found by position.
    let own = defn.fields().count().saturating_sub(fields.len());
    for page in pages {
        for f in page {
            let mut feature = gdal::vector::Feature::new(defn).map_err(gdal)?;
            if !f["geometry"].is_null() {
                let g = Geometry::from_geojson(&f["geometry"].to_string()).map_err(gdal)?;
                feature.set_geometry(g).map_err(gdal)?;
            }
            for (i, (n, k)) in fields.iter().enumerate() {
                let value = match (&f["properties"][n], k) {
                    (Value::Null, _) => continue,
                    (Value::String(s), _) => FieldValue::StringValue(s.clone()),
                    (Value::Bool(b), _) => FieldValue::IntegerValue(*b as i32),
                    (v, FieldType::Integer) => FieldValue::Integer64Value(v.as_i64().unwrap_or_default()),
                    (v, _) => FieldValue::RealValue(v.as_f64().unwrap_or_default()),
                };
                feature.set_field(own + i, &value).map_err(gdal)?;
            }
            feature.create(&layer).map_err(gdal)?;
        }
    }
    Ok(())
}
