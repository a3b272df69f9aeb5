//! Cadastral imports: read with GDAL, check and repair by policy, reproject with PROJ, compute
//! parcel IDs, then load all-or-nothing in one transaction (see `storage::parcels`).

pub mod source;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use gdal::cpl::CslStringList;
use gdal::vector::{Geometry, OGRwkbGeometryType, geometry_type_flatten};
use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect};
use serde::Serialize;

use crate::crs::{Crs, Transforms, WGS84};
use crate::domain::{CommuneCode, DigitalAddress, IdError, LandUse, LegacyKey, ParcelId};
use crate::parcel_id;
use source::{FieldMapping, SourceFeature, Target};

/// What to do with a feature that cannot be a parcel as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnInvalid {
    /// Refuse the whole import, listing every such feature.
    Reject,
    /// Repair invalid polygons (GEOS MakeValid); skip what cannot be repaired.
    Repair,
    /// Skip every such feature.
    Skip,
}

/// What to do with features that share a legacy key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnDuplicate {
    /// Refuse the whole import, listing every shared key.
    Reject,
    /// Union their polygons into one parcel, sum their legal areas, union their land uses.
    Merge,
    /// Keep the first feature with a key, skip the others (and keys already in the database).
    Skip,
}

#[derive(Debug, Clone)]
pub struct ParcelImportOptions {
    /// Overrides the sources' own CRS.
    pub crs: Option<Crs>,
    /// The TM-3 zone for parcel IDs of data not in a TM-3 zone; by default the province's.
    pub zone: Option<Crs>,
    pub layer: Option<String>,
    pub mapping: FieldMapping,
    pub on_invalid: OnInvalid,
    pub on_duplicate: OnDuplicate,
    pub tolerance_m: f64,
}

/// A parcel ready to store, in WGS84.
#[derive(Debug, Clone)]
pub struct NewParcel {
    pub parcel_id: ParcelId,
    pub key: LegacyKey,
    /// The recorded commune when it is a 2025 commune.
    pub commune: Option<CommuneCode>,
    pub land_use: LandUse,
    pub legal_area_m2: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<DigitalAddress>,
    pub holders: Vec<String>,
    pub source_crs: String,
    pub geom: MultiPolygon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Rejected,
    Repaired,
    Skipped,
    Merged,
    Warning,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Rejected => "rejected",
            Action::Repaired => "repaired",
            Action::Skipped => "skipped",
            Action::Merged => "merged",
            Action::Warning => "warning",
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

/// What `prepare` hands to storage.
pub struct Prepared {
    pub sources: Vec<String>,
    pub crs_label: String,
    pub feature_count: usize,
    pub parcels: Vec<NewParcel>,
    pub report: Report,
    pub extent: Option<Rect>,
}

/// A feature that passed its own checks, still in its source CRS.
struct Candidate {
    origins: Vec<String>,
    key: LegacyKey,
    land_use: LandUse,
    area: Option<f64>,
    address: Option<String>,
    digital_address: Option<DigitalAddress>,
    holders: Vec<String>,
    crs: Crs,
    geom: MultiPolygon,
}

/// Reads, checks and transforms every feature. Blocking (GDAL, PROJ): run it off the async runtime.
/// `zones` holds the 2025 communes with the TM-3 zone of each, for sources not in a TM-3 zone.
pub fn prepare(
    files: &[PathBuf],
    opts: &ParcelImportOptions,
    zones: &HashMap<String, Crs>,
    progress: &indicatif::ProgressBar,
) -> Result<Prepared, ImportError> {
    let started = std::time::Instant::now();
    let mut report = Report::default();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut crs_labels: Vec<String> = Vec::new();
    let mut feature_count = 0;
    for path in files {
        let file = source::read(path, opts.layer.as_deref(), &opts.mapping)?;
        let crs = opts.crs.clone().or(file.crs).ok_or_else(|| ImportError::NoCrs(path.display().to_string()))?;
        if !crs_labels.contains(&crs.to_string()) {
            crs_labels.push(crs.to_string());
        }
        feature_count += file.features.len();
        progress.inc_length(file.features.len() as u64);
        for f in file.features {
            progress.inc(1);
            if let Some(c) = check_feature(f, &crs, opts.on_invalid, &mut report) {
                candidates.push(c);
            }
        }
    }
    if feature_count == 0 {
        return Err(ImportError::Empty);
    }
    tracing::debug!("import: read and checked {feature_count} features in {:.2?}", started.elapsed());
    let candidates = resolve_duplicates(candidates, opts.on_duplicate, &mut report);
    progress.set_message("computing parcel IDs");
    let started = std::time::Instant::now();
    let mut parcels = Vec::with_capacity(candidates.len());
    let mut by_id: HashMap<ParcelId, LegacyKey> = HashMap::new();
    let mut extent: Option<Rect> = None;
    for (subject, result) in finish_all(candidates, opts, zones) {
        match result {
            Ok(p) => {
                if let Some(other) = by_id.insert(p.parcel_id.clone(), p.key.clone()) {
                    report.push(
                        &subject,
                        Action::Rejected,
                        format!("its parcel ID {} is also that of {other}: the two parcels overlap", p.parcel_id),
                    );
                    continue;
                }
                if let Some(b) = p.geom.bounding_rect() {
                    extent = Some(extent.map_or(b, |e| union_rect(e, b)));
                }
                parcels.push(p);
            }
            Err(reason) => report.push(&subject, Action::Rejected, reason),
        }
    }
    tracing::debug!("import: parcel IDs and reprojection in {:.2?}", started.elapsed());
    if report.rejected() {
        return Err(ImportError::Refused(report.lines.into_iter().filter(|l| l.action == Action::Rejected).collect()));
    }
    Ok(Prepared {
        sources: files.iter().map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect(),
        crs_label: crs_labels.join(", "),
        feature_count,
        parcels,
        report,
        extent,
    })
}

fn union_rect(a: Rect, b: Rect) -> Rect {
    Rect::new(
        geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
        geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
    )
}

/// Refuses, skips or repairs one feature according to the policy.
fn check_feature(f: SourceFeature, crs: &Crs, on_invalid: OnInvalid, report: &mut Report) -> Option<Candidate> {
    let field = |t: Target| f.fields.get(&t).map(String::as_str);
    let key = match (field(Target::Commune), field(Target::Sheet), field(Target::Parcel)) {
        (Some(c), Some(s), Some(p)) => (|| -> Result<LegacyKey, IdError> {
            Ok(LegacyKey { commune: c.parse()?, sheet: s.parse()?, parcel_no: p.parse()? })
        })(),
        (c, s, p) => {
            let missing: Vec<_> = [(c, Target::Commune), (s, Target::Sheet), (p, Target::Parcel)]
                .iter()
                .filter(|(v, _)| v.is_none())
                .map(|(_, t)| t.name())
                .collect();
            refuse(report, &f.origin, on_invalid, format!("missing key field {}", missing.join(", ")));
            return None;
        }
    };
    let key = match key {
        Ok(k) => k,
        Err(e) => {
            refuse(report, &f.origin, on_invalid, e.to_string());
            return None;
        }
    };
    let subject = format!("{key} ({})", f.origin);
    let land_use = match field(Target::LandUse).unwrap_or("").parse::<LandUse>() {
        Ok(l) => l,
        Err(e) => {
            refuse(report, &subject, on_invalid, e.to_string());
            return None;
        }
    };
    let area = match field(Target::Area).map(|a| a.replace(',', ".").parse::<f64>()) {
        None => None,
        Some(Ok(a)) if a > 0.0 && a.is_finite() => Some(a),
        Some(_) => {
            refuse(
                report,
                &subject,
                on_invalid,
                format!("legal area `{}` is not a positive number of m²", field(Target::Area).unwrap_or_default()),
            );
            return None;
        }
    };
    let digital_address = match field(Target::DigitalAddress).map(str::parse::<DigitalAddress>) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            refuse(report, &subject, on_invalid, e.to_string());
            return None;
        }
    };
    let geom = match polygonal(f.geometry.as_ref(), on_invalid, crs) {
        Ok((g, repaired)) => {
            if let Some(detail) = repaired {
                report.push(&subject, Action::Repaired, detail);
            }
            g
        }
        Err(reason) => {
            refuse(report, &subject, on_invalid, reason);
            return None;
        }
    };
    Some(Candidate {
        origins: vec![f.origin.clone()],
        key,
        land_use,
        area,
        address: field(Target::Address).map(str::to_owned),
        digital_address,
        holders: field(Target::Holder).map(|h| vec![h.to_owned()]).unwrap_or_default(),
        crs: crs.clone(),
        geom,
    })
}

fn refuse(report: &mut Report, subject: &str, on_invalid: OnInvalid, reason: String) {
    let action = if on_invalid == OnInvalid::Reject { Action::Rejected } else { Action::Skipped };
    report.push(subject, action, reason);
}

/// The feature's geometry as a valid MultiPolygon, repaired if the policy allows it; the second
/// value says what repair did.
fn polygonal(g: Option<&Geometry>, on_invalid: OnInvalid, crs: &Crs) -> Result<(MultiPolygon, Option<String>), String> {
    let g = g.filter(|g| !g.is_empty()).ok_or("no geometry")?;
    let mut g = g.clone();
    g.flatten_to_2d();
    let kind = geometry_type_flatten(g.geometry_type());
    if kind != OGRwkbGeometryType::wkbPolygon && kind != OGRwkbGeometryType::wkbMultiPolygon {
        return Err(format!("geometry is a {}, a parcel must be a polygon", g.geometry_name()));
    }
    if g.is_valid() {
        return Ok((to_multipolygon(&g)?, None));
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
fn to_multipolygon(g: &Geometry) -> Result<MultiPolygon, String> {
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

fn resolve_duplicates(candidates: Vec<Candidate>, policy: OnDuplicate, report: &mut Report) -> Vec<Candidate> {
    let mut order: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut seen: HashMap<LegacyKey, usize> = HashMap::new();
    for c in candidates {
        let Some(&i) = seen.get(&c.key) else {
            seen.insert(c.key.clone(), order.len());
            order.push(c);
            continue;
        };
        let first = &mut order[i];
        let subject = format!("{} ({})", c.key, c.origins.join(", "));
        match policy {
            OnDuplicate::Reject => report.push(
                subject,
                Action::Rejected,
                format!("shares its legacy key with {}; use --on-duplicate merge or skip", first.origins.join(", ")),
            ),
            OnDuplicate::Skip => {
                report.push(subject, Action::Skipped, format!("duplicate of {}", first.origins.join(", ")))
            }
            OnDuplicate::Merge if c.crs != first.crs => report.push(
                subject,
                Action::Rejected,
                format!(
                    "cannot merge with {}: the two come in different CRSs ({} and {})",
                    first.origins.join(", "),
                    c.crs,
                    first.crs
                ),
            ),
            OnDuplicate::Merge => {
                first.geom = first.geom.union(&c.geom);
                first.area = first.area.zip(c.area).map(|(a, b)| a + b);
                first.land_use = first.land_use.union(&c.land_use);
                first.address = first.address.take().or(c.address);
                first.digital_address = first.digital_address.take().or(c.digital_address);
                for h in c.holders {
                    if !first.holders.contains(&h) {
                        first.holders.push(h);
                    }
                }
                first.origins.extend(c.origins);
            }
        }
    }
    for c in order.iter().filter(|c| c.origins.len() > 1) {
        report.push(
            c.key.to_string(),
            Action::Merged,
            format!(
                "{} features ({}) into one parcel: {} polygon(s), land use {}, legal area {}",
                c.origins.len(),
                c.origins.join(", "),
                c.geom.0.len(),
                c.land_use,
                c.area.map_or("unknown (a part had none)".into(), |a| format!("{a:.1} m²"))
            ),
        );
    }
    order
}

/// `finish` for every candidate, spread over the machine's cores (the pole search dominates an
/// import); each thread has its own PROJ transforms, which cannot be shared. Keeps the order.
fn finish_all(
    candidates: Vec<Candidate>,
    opts: &ParcelImportOptions,
    zones: &HashMap<String, Crs>,
) -> Vec<(String, Result<NewParcel, String>)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = candidates.len().div_ceil(threads).max(1);
    let mut chunks: Vec<Vec<Candidate>> = Vec::new();
    let mut rest = candidates.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(chunk).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut transforms = Transforms::default();
                    chunk
                        .into_iter()
                        .map(|c| (c.key.to_string(), finish(c, opts, zones, &mut transforms)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a parcel ID thread panicked")).collect()
    })
}

/// Computes the parcel ID and reprojects to WGS84.
fn finish(
    c: Candidate,
    opts: &ParcelImportOptions,
    zones: &HashMap<String, Crs>,
    transforms: &mut Transforms,
) -> Result<NewParcel, String> {
    let pid = if c.crs.is_vn2000_tm3() {
        parcel_id::parcel_id(&c.geom, &c.crs, transforms, opts.tolerance_m)
    } else {
        let zone = opts.zone.as_ref().or_else(|| zones.get(c.key.commune.as_str())).ok_or_else(|| {
            format!(
                "no VN-2000 TM-3 zone for its parcel ID: commune {} is not in the 2025 list; give one with --zone EPSG:nnnn",
                c.key.commune
            )
        })?;
        let mut zone_geom = c.geom.clone();
        transforms.get(&c.crs, zone).and_then(|t| t.geometry(&mut zone_geom)).map_err(|e| e.to_string())?;
        parcel_id::parcel_id(&zone_geom, zone, transforms, opts.tolerance_m)
    }
    .map_err(|e| e.to_string())?;
    let mut geom = c.geom;
    transforms.get(&c.crs, &WGS84).and_then(|t| t.geometry(&mut geom)).map_err(|e| e.to_string())?;
    Ok(NewParcel {
        parcel_id: pid,
        commune: zones.contains_key(c.key.commune.as_str()).then(|| c.key.commune.clone()),
        key: c.key,
        land_use: c.land_use,
        legal_area_m2: c.area,
        address: c.address,
        digital_address: c.digital_address,
        holders: c.holders,
        source_crs: c.crs.to_string(),
        geom,
    })
}
