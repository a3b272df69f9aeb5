//! Reading cadastral sources through GDAL: any OGR vector format, its CRS, and the field names
//! that ViLIS/VBDLIS/ELIS exports carry. DGN sheets carry no attributes: their labels are text
//! elements placed inside each parcel shape, which are read back into fields here.

use foldhash::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use gdal::vector::{FieldValue, Geometry, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{BoundingRect, Contains};
use rstar::{RTree, primitives::GeomWithData};

use super::{OnInvalid, parcel_fields};
use crate::crs::{Crs, WGS84};
use crate::domain::{LandUse, ParcelNo};

/// One attribute an import understands: its canonical name, then the other names that
/// cadastral and market software exports use for it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

impl Field {
    pub fn matches(&self, source_field: &str) -> bool {
        std::iter::once(&self.name).chain(self.aliases).any(|a| same_field(a, source_field))
    }
}

/// `TARGET=VALUE`, as `--field` and `--set` take it; TARGET is checked against the import's fields.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub target: String,
    pub value: String,
}

impl FromStr for Assignment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (t, v) = s.split_once('=').ok_or_else(|| format!("`{s}` must be TARGET=VALUE, e.g. MaXa=MA_XA"))?;
        if v.trim().is_empty() {
            return Err(format!("`{s}` has no value after `=`"));
        }
        Ok(Self { target: t.trim().to_owned(), value: v.trim().to_owned() })
    }
}

/// How source fields become attributes: `--field` renames, `--set` fills in what a file lacks.
#[derive(Debug, Clone)]
pub struct FieldMapping {
    schema: &'static [Field],
    renames: Vec<(&'static str, String)>,
    defaults: Vec<(&'static str, String)>,
}

impl FieldMapping {
    pub fn new(schema: &'static [Field], renames: &[Assignment], defaults: &[Assignment]) -> Result<Self, String> {
        let resolve = |list: &[Assignment]| -> Result<Vec<(&'static str, String)>, String> {
            list.iter()
                .map(|a| {
                    schema.iter().find(|f| f.matches(&a.target)).map(|f| (f.name, a.value.clone())).ok_or_else(|| {
                        let names: Vec<_> = schema.iter().map(|f| f.name).collect();
                        format!("unknown field `{}`: expected one of {}", a.target, names.join(", "))
                    })
                })
                .collect()
        };
        Ok(FieldMapping { schema, renames: resolve(renames)?, defaults: resolve(defaults)? })
    }

    fn target_of(&self, source_field: &str) -> Option<&'static str> {
        if let Some((target, _)) = self.renames.iter().find(|(_, src)| src.eq_ignore_ascii_case(source_field)) {
            return Some(target);
        }
        // A renamed target no longer listens to its default names.
        self.schema
            .iter()
            .find(|f| !self.renames.iter().any(|(t, _)| *t == f.name) && f.matches(source_field))
            .map(|f| f.name)
    }

    /// The feature with what `--set` gives where it has nothing.
    fn filled(&self, mut feature: SourceFeature) -> SourceFeature {
        for (target, value) in &self.defaults {
            feature.fields.entry(target).or_insert_with(|| value.clone());
        }
        feature
    }
}

/// What every import reads and how.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Overrides the sources' own CRS.
    pub crs: Option<Crs>,
    pub layer: Option<String>,
    pub mapping: FieldMapping,
    pub on_invalid: OnInvalid,
}

/// What reading a set of files found besides the features: the CRSs, and how many features.
pub struct ReadSummary {
    pub crs_label: String,
    pub feature_count: usize,
}

/// Reads every file and hands each feature to `each` as GDAL reads it, with the file's CRS: the
/// option's, else the file's own, else `fallback` (None: a file without a CRS is refused) — and
/// with the file's folder.
pub fn each_feature(
    files: &[PathBuf],
    opts: &SourceOptions,
    fallback: Option<&Crs>,
    progress: &dyn crate::progress::Progress,
    mut each: impl FnMut(SourceFeature, &Crs, &Path),
) -> Result<ReadSummary, super::ImportError> {
    let mut labels: Vec<String> = Vec::new();
    let mut feature_count = 0;
    for path in files {
        let file = SourceFile::open(path, opts.layer.as_deref())?;
        let crs = opts
            .crs
            .clone()
            .or(file.crs.clone())
            .or(fallback.cloned())
            .ok_or_else(|| super::ImportError::NoCrs(path.display().to_string()))?;
        if !labels.contains(&crs.to_string()) {
            labels.push(crs.to_string());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        file.features(opts.layer.as_deref(), &opts.mapping, progress, |f| {
            feature_count += 1;
            progress.advance(1);
            each(f, &crs, dir)
        });
    }
    if feature_count == 0 {
        return Err(super::ImportError::Empty);
    }
    Ok(ReadSummary { crs_label: labels.join(", "), feature_count })
}

/// A feature's recognised attributes as text, by the name the import knows them by.
pub type Attributes = HashMap<&'static str, String>;

/// One feature as read: where it came from, its recognised attributes as text, its geometry.
pub struct SourceFeature {
    pub origin: String,
    pub fields: Attributes,
    pub geometry: Option<Geometry>,
    /// The text of a DGN text element, which labels the shape it lies in rather than being a parcel.
    label: Option<String>,
}

impl SourceFeature {
    /// A feature that comes from elsewhere than a file (an edit), checked as read ones are.
    pub fn new(origin: String, fields: Attributes, geometry: Option<Geometry>) -> SourceFeature {
        SourceFeature { origin, fields, geometry, label: None }
    }
}

/// An opened source: its layers are read one feature at a time.
pub struct SourceFile {
    dataset: Dataset,
    file_name: String,
    /// The CRS of the first layer read that has one.
    pub crs: Option<Crs>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: GDAL cannot open it as vector data: {reason}")]
    Open { path: String, reason: String },
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// Where a layer's field goes: to an attribute, or (DGN) the text of a label.
#[derive(Clone, Copy)]
enum Target {
    Attribute(&'static str),
    Label,
}

impl SourceFile {
    /// Opens `path` and finds the CRS of the layers to read (`layer`, or all: the first that has
    /// one).
    pub fn open(path: &Path, layer: Option<&str>) -> Result<SourceFile, SourceError> {
        let display = path.display().to_string();
        let open = |open_options| {
            let flags = GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY;
            Dataset::open_ex(path, DatasetOptions { open_flags: flags, open_options, ..Default::default() })
                .map_err(|e| SourceError::Open { path: display.clone(), reason: e.to_string() })
        };
        let mut dataset = open(None)?;
        if dataset.driver().short_name() == "CSV" {
            // A WKT column, or X and Y columns, under any of these names are the geometry.
            dataset = open(Some(&[
                "GEOM_POSSIBLE_NAMES=WKT,geom,geometry,the_geom",
                "X_POSSIBLE_NAMES=X,lon,longitude,KinhDo",
                "Y_POSSIBLE_NAMES=Y,lat,latitude,ViDo",
                "KEEP_GEOM_COLUMNS=NO",
            ]))?;
        }
        if let Some(name) = layer.filter(|name| !dataset.layers().any(|l| l.name() == *name)) {
            return Err(SourceError::Read { path: display, reason: format!("has no layer named `{name}`") });
        }
        let crs = dataset
            .layers()
            .filter(|l| layer.is_none_or(|name| name == l.name()))
            .find_map(|l| l.spatial_ref().and_then(|s| crs_of(&s)));
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(SourceFile { dataset, file_name, crs })
    }

    /// Hands every feature of the layer (`layer`, or all) to `each`, as it is read. A DGN sheet is read whole first: its labels are attached to the shapes holding them.
    pub fn features(
        &self,
        layer: Option<&str>,
        mapping: &FieldMapping,
        progress: &dyn crate::progress::Progress,
        mut each: impl FnMut(SourceFeature),
    ) {
        let is_dgn = self.dataset.driver().short_name() == "DGN";
        let multi = self.dataset.layer_count() > 1;
        let mut dgn = Vec::new();
        for mut lyr in self.dataset.layers().filter(|l| layer.is_none_or(|name| name == l.name())) {
            progress.grow(lyr.feature_count());
            let layer_part = if multi { format!(":{}", lyr.name()) } else { String::new() };
            // Fields are matched to attributes once per layer, not once per feature.
            let targets: Vec<(usize, Target)> = lyr
                .defn()
                .fields()
                .enumerate()
                .filter_map(|(i, field)| {
                    let name = field.name();
                    let target = if is_dgn && name == "Text" {
                        Some(Target::Label)
                    } else {
                        mapping.target_of(&name).map(Target::Attribute)
                    };
                    Some((i, target?))
                })
                .collect();
            for f in lyr.features() {
                let file_name = &self.file_name;
                let origin = match f.fid() {
                    Some(fid) => format!("{file_name}{layer_part} feature {fid}"),
                    None => format!("{file_name}{layer_part} feature ?"),
                };
                let mut fields = HashMap::with_capacity_and_hasher(targets.len(), Default::default());
                let mut label = None;
                for &(i, target) in &targets {
                    let Some(value) = f.field(i).ok().flatten().and_then(field_text) else {
                        continue;
                    };
                    match target {
                        Target::Label => label = Some(value),
                        Target::Attribute(t) => {
                            fields.entry(t).or_insert(value);
                        }
                    }
                }
                // GDAL hands out a null geometry handle for features without geometry.
                let geometry = f.geometry().filter(|g| g.has_gdal_ptr()).cloned();
                let feature = SourceFeature { origin, fields, geometry, label };
                if is_dgn {
                    dgn.push(feature);
                } else {
                    each(mapping.filled(feature));
                }
            }
        }
        for feature in attach_dgn_labels(dgn) {
            each(mapping.filled(feature));
        }
    }
}

/// Field names match in any case, and Shapefile's 10-character DBF names (`SoThuTuThu`) match
/// the names they were cut from.
fn same_field(alias: &str, field: &str) -> bool {
    alias.eq_ignore_ascii_case(field)
        || (field.len() == 10
            && alias.len() > 10
            && alias.is_char_boundary(10)
            && alias[..10].eq_ignore_ascii_case(field))
}

fn field_text(v: FieldValue) -> Option<String> {
    let s = match v {
        // Most values need no trimming: no copy for them.
        FieldValue::StringValue(s) if s.trim().len() == s.len() => s,
        FieldValue::StringValue(s) => s.trim().to_owned(),
        FieldValue::IntegerValue(n) => n.to_string(),
        FieldValue::Integer64Value(n) => n.to_string(),
        FieldValue::RealValue(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        FieldValue::RealValue(x) => x.to_string(),
        FieldValue::StringListValue(v) => v.join("+"),
        FieldValue::DateValue(d) => d.format("%Y-%m-%d").to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// The CRS a GDAL spatial reference stands for. ESRI `.prj` files from Vietnamese software name
/// no EPSG code, so a VN-2000 transverse Mercator with TM-3 parameters is recognised by its
/// parameters.
fn crs_of(srs: &gdal::spatial_ref::SpatialRef) -> Option<Crs> {
    if let Ok(auth) = srs.authority() {
        if auth == "OGC:CRS84" {
            return Some(WGS84);
        }
        if let Some(code) = auth.strip_prefix("EPSG:").and_then(|c| c.parse().ok()) {
            return Some(Crs::Epsg(code));
        }
    }
    let wkt = srs.to_wkt().ok()?;
    let proj4 = srs.to_proj4().unwrap_or_default();
    let is_vn2000 = ["VN-2000", "VN_2000", "Vietnam_2000", "VN2000"].iter().any(|n| wkt.contains(n));
    if is_vn2000 && proj4.contains("+proj=tmerc") && proj4.contains("+k=0.9999 ") && proj4.contains("+x_0=500000 ") {
        let lon0 = proj4.split_whitespace().find_map(|p| p.strip_prefix("+lon_0="))?;
        return Crs::parse_meridian(lon0).ok();
    }
    let mut srs = srs.clone();
    if srs.auto_identify_epsg().is_ok()
        && let Ok(code) = srs.auth_code()
    {
        return Some(Crs::Epsg(code as u32));
    }
    Some(Crs::Definition(wkt))
}

/// Turns a DGN sheet's text elements into the attributes of the shapes that contain them:
/// a whole number is the parcel number, a decimal the legal area, a land-use code the land use.
fn attach_dgn_labels(features: Vec<SourceFeature>) -> Vec<SourceFeature> {
    let (texts, shapes): (Vec<_>, Vec<_>) = features.into_iter().partition(|f| f.label.is_some());
    let points: Vec<GeomWithData<[f64; 2], String>> = texts
        .into_iter()
        .filter_map(|t| {
            let p = t.geometry.as_ref()?.get_point(0);
            Some(GeomWithData::new([p.0, p.1], t.label?))
        })
        .collect();
    let tree = RTree::bulk_load(points);
    let mut out = Vec::with_capacity(shapes.len());
    for mut shape in shapes {
        let geo = shape.geometry.as_ref().and_then(|g| g.to_geo().ok());
        if let Some(bbox) = geo.as_ref().and_then(|g| g.bounding_rect()) {
            let env = rstar::AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
            let geo = geo.as_ref().expect("bbox came from it");
            for label in tree.locate_in_envelope(&env) {
                if !geo.contains(&geo::Point::new(label.geom()[0], label.geom()[1])) {
                    continue;
                }
                for token in label.data.split(|c: char| c.is_whitespace() || c == '/') {
                    let target = if token.bytes().all(|b| b.is_ascii_digit()) && token.parse::<ParcelNo>().is_ok() {
                        parcel_fields::NUMBER.name
                    } else if token.replace(',', ".").parse::<f64>().is_ok() {
                        parcel_fields::AREA.name
                    } else if token.parse::<LandUse>().is_ok() {
                        parcel_fields::LAND_USE.name
                    } else {
                        continue;
                    };
                    shape.fields.entry(target).or_insert_with(|| token.replace(',', "."));
                }
            }
        }
        out.push(shape);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(renames: &[&str]) -> Result<FieldMapping, String> {
        let renames: Vec<Assignment> = renames.iter().map(|r| r.parse().unwrap()).collect();
        FieldMapping::new(parcel_fields::FIELDS, &renames, &[])
    }

    #[test]
    fn recognises_export_field_names_in_any_case_and_cut_to_ten() {
        let m = mapping(&[]).unwrap();
        assert_eq!(m.target_of("MAXA"), Some("MaXa"));
        assert_eq!(m.target_of("kyhieumucdichsudung"), Some("KyHieuMucDichSuDung"));
        assert_eq!(m.target_of("OBJECTID"), None);
        assert_eq!(m.target_of("SoThuTuThu"), Some("SoThuTuThua"));
        assert_eq!(m.target_of("KyHieuMucD"), Some("KyHieuMucDichSuDung"));
    }

    #[test]
    fn renames_take_over_a_target() {
        let m = mapping(&["parcel=SHTHUA"]).unwrap();
        assert_eq!(m.target_of("shthua"), Some("SoThuTuThua"));
        assert_eq!(m.target_of("SoThuTuThua"), None);
        assert!(mapping(&["nope=X"]).unwrap_err().contains("unknown field `nope`"));
    }
}
