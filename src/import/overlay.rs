//! The shared import path of the overlay kinds (planning, prices, holders, ...): GDAL reading,
//! CRS, geometry checks, reprojection to WGS84 and per-feature reporting. Each kind says which
//! fields it reads, what geometry it needs and how a row is built.

use std::collections::HashSet;
use std::path::PathBuf;

use gdal::vector::{OGRwkbGeometryType, geometry_type_flatten};
use geo::MultiLineString;

use super::source::{self, Field, SourceOptions};
use super::{Action, ImportError, OnInvalid, Report, check_wgs84, polygonal, refuse};
use crate::crs::{Crs, Transforms, WGS84};

/// The geometry a kind's features must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryRule {
    Polygon,
    /// A polygon when the feature has geometry (footprints); none is fine.
    OptionalPolygon,
    Line,
    Point,
    /// Attribute tables (CSV, spreadsheets): any geometry is ignored.
    None,
}

/// A feature's geometry, checked and in WGS84.
pub enum Shape {
    Polygon(geo::MultiPolygon),
    Line(MultiLineString),
    Point(geo::Point),
    None,
}

/// Where a feature came from, for attributes that name other files.
pub struct Context<'a> {
    pub dir: &'a std::path::Path,
}

pub use super::source::Attributes;

/// An overlay kind (planning zones, prices, holders, projects, units, addresses).
pub trait Overlay {
    /// The word after `diachinh import`.
    const KIND: &'static str;
    const FIELDS: &'static [Field];
    const GEOMETRY: GeometryRule;
    type Row;
    /// Builds a row, or says what is wrong with the feature.
    fn row(attributes: &Attributes, shape: Shape, context: &Context) -> Result<Self::Row, String>;
    /// What names a row in the report and must be unique within an import.
    fn key(row: &Self::Row) -> String;
}

pub struct OverlayPrepared<R> {
    pub sources: Vec<String>,
    pub crs_label: String,
    pub feature_count: usize,
    pub rows: Vec<R>,
    pub report: Report,
}

/// Reads and checks every feature of `files` as kind `L`. Blocking (GDAL, PROJ).
pub fn prepare<L: Overlay>(
    files: &[PathBuf],
    opts: &SourceOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<OverlayPrepared<L::Row>, ImportError> {
    let mut report = Report::default();
    let mut rows = Vec::new();
    let mut keys = HashSet::new();
    let mut transforms = Transforms::default();
    // Attribute tables may have no CRS; footprints in them are then WGS84.
    let fallback = matches!(L::GEOMETRY, GeometryRule::None | GeometryRule::OptionalPolygon).then_some(&WGS84);
    let read = source::each_feature(files, opts, fallback, progress, |f, crs, dir| {
        let shape = shape(L::GEOMETRY, f.geometry.as_ref(), crs, opts.on_invalid, &mut transforms);
        let row = shape.and_then(|(shape, repaired)| {
            if let Some(detail) = repaired {
                report.push(&f.origin, Action::Repaired, detail);
            }
            L::row(&f.fields, shape, &Context { dir })
        });
        match row {
            Ok(row) if !keys.insert(L::key(&row)) => {
                report.push(format!("{} ({})", L::key(&row), f.origin), Action::Rejected, "appears twice in the import")
            }
            Ok(row) => rows.push(row),
            Err(reason) => refuse(&mut report, &f.origin, opts.on_invalid, reason),
        }
    })?;
    let report = report.checked()?;
    Ok(OverlayPrepared {
        sources: super::file_names(files),
        crs_label: read.crs_label,
        feature_count: read.feature_count,
        rows,
        report,
    })
}

/// One feature of kind `L` that does not come from a file (an officer's edit), checked by the
/// same rules and with the same messages as every imported feature. Blocking (PROJ).
pub fn check_one<L: Overlay>(
    attributes: &Attributes,
    geometry: Option<&gdal::vector::Geometry>,
    crs: &Crs,
) -> Result<L::Row, String> {
    let (shape, _) = shape(L::GEOMETRY, geometry, crs, OnInvalid::Reject, &mut Transforms::default())?;
    L::row(attributes, shape, &Context { dir: std::path::Path::new(".") })
}

/// A JSON object's members as the attributes of kind `fields`, by their names or aliases
/// (text and numbers; null leaves one out).
pub fn attributes_of(
    fields: &[Field],
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<Attributes, String> {
    use serde_json::Value;
    let mut attributes = Attributes::default();
    for (key, value) in object {
        let field = fields.iter().find(|f| f.matches(key)).ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|f| f.aliases.first().copied().unwrap_or(f.name)).collect();
            format!("`{key}` is not a field here: {} are", names.join(", "))
        })?;
        let text = match value {
            Value::Null => continue,
            Value::String(s) if s.contains('\0') => return Err(format!("{key} holds a NUL character")),
            Value::String(s) if s.trim().is_empty() => continue,
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            other => return Err(format!("{key} `{other}` must be text or a number")),
        };
        attributes.insert(field.name, text);
    }
    Ok(attributes)
}

type Checked = (Shape, Option<String>);

fn shape(
    rule: GeometryRule,
    g: Option<&gdal::vector::Geometry>,
    crs: &Crs,
    on_invalid: OnInvalid,
    transforms: &mut Transforms,
) -> Result<Checked, String> {
    match rule {
        GeometryRule::None => Ok((Shape::None, None)),
        GeometryRule::OptionalPolygon if g.is_none_or(|g| g.is_empty()) => Ok((Shape::None, None)),
        GeometryRule::OptionalPolygon => shape(GeometryRule::Polygon, g, crs, on_invalid, transforms),
        GeometryRule::Polygon => {
            let (mut mp, repaired) = polygonal(g, on_invalid, crs)?;
            transforms.get(crs, &WGS84).and_then(|t| t.multipolygon(&mut mp)).map_err(|e| e.to_string())?;
            check_wgs84(&mp, crs)?;
            Ok((Shape::Polygon(mp), repaired))
        }
        GeometryRule::Point => {
            let g = g.filter(|g| !g.is_empty()).ok_or("no geometry: a point is needed")?;
            let mut p = match g.to_geo().map_err(|e| format!("geometry cannot be read: {e}"))? {
                geo::Geometry::Point(p) => p,
                _ => return Err(format!("geometry is a {}, a point is needed", g.geometry_name())),
            };
            transforms.get(crs, &WGS84).and_then(|t| t.geometry(&mut p)).map_err(|e| e.to_string())?;
            check_wgs84(&p, crs)?;
            Ok((Shape::Point(p), None))
        }
        GeometryRule::Line => {
            let g = g.filter(|g| !g.is_empty()).ok_or("no geometry: a line is needed")?;
            let kind = geometry_type_flatten(g.geometry_type());
            if kind != OGRwkbGeometryType::wkbLineString && kind != OGRwkbGeometryType::wkbMultiLineString {
                return Err(format!("geometry is a {}, a line is needed", g.geometry_name()));
            }
            let mut lines = match g.to_geo().map_err(|e| format!("geometry cannot be read: {e}"))? {
                geo::Geometry::LineString(l) => MultiLineString(vec![l]),
                geo::Geometry::MultiLineString(m) => m,
                _ => return Err("geometry is not a line".into()),
            };
            if lines.0.iter().any(|l| l.0.len() < 2) {
                return Err("a line needs at least two points".into());
            }
            transforms.get(crs, &WGS84).and_then(|t| t.geometry(&mut lines)).map_err(|e| e.to_string())?;
            check_wgs84(&lines, crs)?;
            Ok((Shape::Line(lines), None))
        }
    }
}

/// A required attribute, or a message naming it.
pub fn required<'a>(a: &'a Attributes, f: &Field) -> Result<&'a str, String> {
    a.get(f.name).map(String::as_str).ok_or_else(|| format!("missing field {}", f.name))
}

/// A date written 2026-07-01 or 01/07/2026.
pub fn date(a: &Attributes, f: &Field) -> Result<Option<chrono::NaiveDate>, String> {
    a.get(f.name)
        .map(|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%d/%m/%Y"))
                .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y/%m/%d"))
                .map_err(|_| format!("{} `{s}` is not a date (2026-07-01 or 01/07/2026)", f.name))
        })
        .transpose()
}

/// A positive number, `,` accepted as the decimal mark.
pub fn positive(a: &Attributes, f: &Field) -> Result<Option<f64>, String> {
    a.get(f.name)
        .map(|s| {
            s.replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0 && x.is_finite())
                .ok_or_else(|| format!("{} `{s}` is not a positive number", f.name))
        })
        .transpose()
}
