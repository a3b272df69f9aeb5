//! Cadastral imports: read with GDAL, check and repair by policy, reproject with PROJ, compute
//! parcel IDs, then load all-or-nothing in one transaction (see `storage::parcels`).

pub mod calendar;
pub mod holders;
pub mod market;
pub mod overlay;
pub mod parcel_fields;
pub mod parcels;
pub mod planning;
pub mod prices;
pub mod source;
pub mod store;
pub mod transactions;
pub mod validity;
pub mod zones;

use std::fmt;

use gdal::cpl::CslStringList;
use gdal::vector::{Geometry, OGRwkbGeometryType, geometry_type_flatten};
use geo::{Area, MultiPolygon, Rect};
use serde::Serialize;

use crate::crs::Crs;

/// What to do with a feature that cannot be a parcel as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Refuse the whole import, listing every such feature.
    Reject,
    /// Repair invalid polygons (GEOS MakeValid); skip what cannot be repaired.
    Repair,
    /// Skip every such feature.
    Skip,
}

/// What to do with features that share a legacy key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Refuse the whole import, listing every shared key.
    Reject,
    /// Union their polygons into one parcel, sum their legal areas, union their land uses.
    Merge,
    /// Keep the first feature with a key, skip the others (and keys already in the database).
    Skip,
}

impl std::str::FromStr for OnInvalid {
    type Err = String;
    fn from_str(s: &str) -> Result<OnInvalid, String> {
        match s {
            "reject" => Ok(OnInvalid::Reject),
            "repair" => Ok(OnInvalid::Repair),
            "skip" => Ok(OnInvalid::Skip),
            _ => Err(format!("`{s}` is not a policy for invalid features: use reject, repair or skip")),
        }
    }
}

impl std::str::FromStr for OnDuplicate {
    type Err = String;
    fn from_str(s: &str) -> Result<OnDuplicate, String> {
        match s {
            "reject" => Ok(OnDuplicate::Reject),
            "merge" => Ok(OnDuplicate::Merge),
            "skip" => Ok(OnDuplicate::Skip),
            _ => Err(format!("`{s}` is not a policy for shared keys: use reject, merge or skip")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Rejected,
    Repaired,
    Skipped,
    Merged,
    Warning,
    /// What the import decided for the user to know (the TM-3 zone of parcel IDs).
    Note,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Rejected => "rejected",
            Action::Repaired => "repaired",
            Action::Skipped => "skipped",
            Action::Merged => "merged",
            Action::Warning => "warning",
            Action::Note => "note",
        })
    }
}

/// One thing the import did to one feature, named by its legacy key where it has one.
#[derive(Debug, Clone, Serialize)]
pub struct ReportLine {
    pub subject: String,
    pub action: Action,
    pub detail: String,
}

impl fmt::Display for ReportLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.subject, self.action, self.detail)
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub lines: Vec<ReportLine>,
}

impl Report {
    pub fn push(&mut self, subject: impl Into<String>, action: Action, detail: impl Into<String>) {
        self.lines.push(ReportLine { subject: subject.into(), action, detail: detail.into() });
    }
    pub fn count(&self, action: Action) -> usize {
        self.lines.iter().filter(|l| l.action == action).count()
    }
    pub fn rejected(&self) -> bool {
        self.count(Action::Rejected) > 0
    }
    /// The report back, or the refusal of the import with every rejected line.
    pub fn checked(self) -> Result<Report, ImportError> {
        if self.rejected() {
            Err(ImportError::Refused(self.lines.into_iter().filter(|l| l.action == Action::Rejected).collect()))
        } else {
            Ok(self)
        }
    }
}

/// The files' names, as the import record keeps them.
pub fn file_names(files: &[std::path::PathBuf]) -> Vec<String> {
    files.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error("{0}: the file has no CRS in its metadata; give one with --crs EPSG:nnnn or --meridian DEGREES")]
    NoCrs(String),
    #[error("{0}")]
    Crs(#[from] crate::crs::CrsError),
    #[error("import refused, nothing was written:\n{}", lines(.0))]
    Refused(Vec<ReportLine>),
    #[error("nothing to import: the sources hold no features")]
    Empty,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn lines(ls: &[ReportLine]) -> String {
    const SHOWN: usize = 200;
    let mut s: String = ls.iter().take(SHOWN).map(|l| format!("  {l}\n")).collect();
    if ls.len() > SHOWN {
        s += &format!("  … and {} more\n", ls.len() - SHOWN);
    }
    s.trim_end().to_owned()
}

pub fn union_rect(a: Rect, b: Rect) -> Rect {
    Rect::new(
        geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
}

/// Vietnam's territory with its islands (Hoàng Sa, Trường Sa), as a WGS84 envelope.
pub const VIETNAM: [f64; 4] = [102.0, 6.0, 118.0, 23.5];

/// Coordinates that land outside longitude/latitude after reprojection mean the CRS was wrong;
/// inside them but outside Vietnam, that the data is not of Vietnam or its CRS is wrong.
pub fn check_wgs84<G: geo::BoundingRect<f64>>(g: &G, crs: &Crs) -> Result<(), String> {
    let Some(r): Option<Rect> = g.bounding_rect().into() else {
        return Ok(());
    };
    let [w, s, e, n] = VIETNAM;
    if r.min().x < -180.0 || r.max().x > 180.0 || r.min().y < -90.0 || r.max().y > 90.0 {
        Err(format!(
            "coordinates fall outside longitude/latitude when read as {crs}: is the CRS right? give it with --crs"
        ))
    } else if r.min().x < w || r.max().x > e || r.min().y < s || r.max().y > n {
        Err(format!("the geometry lies outside Vietnam ({w}–{e}°E, {s}–{n}°N) when read as {crs}: is the CRS right?"))
    } else {
        Ok(())
    }
}

pub fn refuse(report: &mut Report, subject: &str, on_invalid: OnInvalid, reason: String) {
    let action = if on_invalid == OnInvalid::Reject { Action::Rejected } else { Action::Skipped };
    report.push(subject, action, reason);
}

/// The feature's geometry as a valid MultiPolygon, repaired if the policy allows it; the second
/// value says what repair did.
pub fn polygonal(
    g: Option<&Geometry>,
    on_invalid: OnInvalid,
    crs: &Crs,
) -> Result<(MultiPolygon, Option<String>), String> {
    let g = g.filter(|g| !g.is_empty()).ok_or("no geometry")?;
    // Z or M dropped on a copy; a flat geometry, the usual case, is read as it is.
    let flattened;
    let g = if geometry_type_flatten(g.geometry_type()) == g.geometry_type() {
        g
    } else {
        let mut copy = g.clone();
        copy.flatten_to_2d();
        flattened = copy;
        &flattened
    };
    let kind = g.geometry_type();
    if kind != OGRwkbGeometryType::wkbPolygon && kind != OGRwkbGeometryType::wkbMultiPolygon {
        return Err(format!("geometry is a {}, a parcel must be a polygon", g.geometry_name()));
    }
    let converted = to_multipolygon(g);
    if matches!(&converted, Ok(mp) if validity::surely_valid(mp)) || g.is_valid() {
        return converted.map(|mp| (mp, None));
    }
    let why = "invalid polygon (self-intersecting or badly nested rings)";
    if on_invalid != OnInvalid::Repair {
        return Err(why.to_owned());
    }
    let before = g.area();
    let fixed = g.make_valid(&CslStringList::new()).map_err(|e| format!("{why}, and GEOS could not repair it: {e}"))?;
    let mp = to_multipolygon(&fixed)?;
    let after = mp.unsigned_area();
    if after <= 0.0 {
        return Err(format!("{why}, and its repair has no area left"));
    }
    let unit = if crs.is_vn2000_tm3() { "m²" } else { "square CRS units" };
    Ok((mp, Some(format!("{why}; made valid with GEOS MakeValid, area {before:.1} → {after:.1} {unit}"))))
}

/// Keeps the polygonal parts (MakeValid may also return lines and points).
pub fn to_multipolygon(g: &Geometry) -> Result<MultiPolygon, String> {
    let geo = g.to_geo().map_err(|e| format!("geometry cannot be read: {e}"))?;
    let mut polys = Vec::new();
    collect_polygons(geo, &mut polys);
    if polys.is_empty() {
        return Err("geometry has no polygon".into());
    }
    Ok(MultiPolygon(polys))
}

fn collect_polygons(g: geo::Geometry, out: &mut Vec<geo::Polygon>) {
    match g {
        geo::Geometry::Polygon(p) => out.push(p),
        geo::Geometry::MultiPolygon(mp) => out.extend(mp.0),
        geo::Geometry::GeometryCollection(gc) => gc.0.into_iter().for_each(|g| collect_polygons(g, out)),
        _ => {}
    }
}
