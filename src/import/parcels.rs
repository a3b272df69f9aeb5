//! Cadastral parcels: check each feature, resolve shared keys, compute parcel IDs, reproject.

use foldhash::HashMap;
use std::collections::hash_map::Entry;
use std::path::PathBuf;

use geo::{BooleanOps, BoundingRect, MultiPolygon, Rect};

use super::overlay::positive;
use super::parcel_fields::{ADDRESS, ALLEY_WIDTH, AREA, COMMUNE, DIGITAL_ADDRESS, HOLDER, LAND_USE, NUMBER, SHEET};
use super::source::{self, Attributes, Field, SourceFeature, SourceOptions};
use super::zones::{CommuneZones, ZoneReason};
use super::{
    Action, ImportError, OnDuplicate, OnInvalid, Report, check_wgs84, polygonal, refuse, union_rect, validity,
};
use crate::crs::{Crs, Transforms, WGS84};
use crate::domain::{CommuneCode, DigitalAddress, IdError, LandUse, LegacyKey, ParcelId};
use crate::parcel_id;

#[derive(Debug, Clone)]
pub struct ParcelImportOptions {
    pub source: SourceOptions,
    /// The TM-3 zone for parcel IDs of data not in a TM-3 zone; by default the province's.
    pub zone: Option<Crs>,
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
    /// Width of the alley the parcel opens on (m), when recorded.
    pub alley_width_m: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<DigitalAddress>,
    pub holders: Vec<String>,
    pub source_crs: String,
    pub geom: MultiPolygon,
}

/// A finished parcel, the first feature it came from (`FILE[:LAYER] feature N`) and, for a source
/// not in a TM-3 zone, the zone its ID was computed in and why.
pub struct Finished {
    parcel: NewParcel,
    origin: String,
    zone: Option<(Crs, ZoneReason)>,
}

/// One candidate's outcome: its parcel, or its subject (legacy key) and why not.
pub type Outcome = Result<Finished, (String, String)>;

/// What `prepare` hands to storage.
pub struct Prepared {
    pub read: Read,
    pub parcels: Vec<NewParcel>,
    pub extent: Option<Rect>,
}

/// What reading found besides the parcels: the files, their CRSs, how many features, and what
/// reading, checking and finishing them reported.
pub struct Read {
    pub sources: Vec<String>,
    pub crs_label: String,
    pub feature_count: usize,
    pub report: Report,
}

/// A feature that passed its own checks, still in its source CRS.
struct Candidate {
    origins: Vec<String>,
    key: LegacyKey,
    land_use: LandUse,
    area: Option<f64>,
    alley_width: Option<f64>,
    address: Option<String>,
    digital_address: Option<DigitalAddress>,
    holders: Vec<String>,
    crs: Crs,
    geom: MultiPolygon,
}

/// Reads, checks and finishes every feature in a pipeline: GDAL reads and the checks run on the
/// calling thread, parcel IDs are computed on threads of their own (the pole search dominates an
/// import; each thread has its own PROJ transforms, which cannot be shared), and `each` takes the
/// outcomes a chunk at a time, in input order, as they come, so that a caller can write them
/// while the rest are read and computed. Blocking (GDAL, PROJ): run it off the async runtime.
pub fn stream(
    files: &[PathBuf],
    opts: &ParcelImportOptions,
    zones: &CommuneZones,
    progress: &dyn crate::progress::Progress,
    mut each: impl FnMut(Vec<Outcome>) + Send,
) -> Result<Read, ImportError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = std::time::Instant::now();
    let mut report = Report::default();
    let read = std::thread::scope(|scope| {
        let (mut inboxes, mut outboxes) = (Vec::new(), Vec::new());
        for _ in 0..threads {
            let (to_thread, chunks) = std::sync::mpsc::sync_channel::<Vec<Candidate>>(2);
            let (done, from_thread) = std::sync::mpsc::sync_channel::<Vec<Outcome>>(2);
            scope.spawn(move || {
                let mut transforms = Transforms::default();
                for chunk in chunks {
                    let outcomes = chunk
                        .into_iter()
                        .map(|c| finish(c, opts.zone.as_ref(), opts.tolerance_m, zones, &mut transforms))
                        .collect();
                    // A closed channel means the taker gave up: the rest are not wanted.
                    if done.send(outcomes).is_err() {
                        return;
                    }
                }
            });
            inboxes.push(to_thread);
            outboxes.push(from_thread);
        }
        // Chunk i goes to thread i mod threads; taking them back in turn keeps the input order,
        // and the first thread with nothing more to give means every chunk has been taken.
        scope.spawn(move || {
            for i in 0.. {
                match outboxes[i % threads].recv() {
                    Ok(outcomes) => each(outcomes),
                    Err(_) => return,
                }
            }
        });
        let mut dispatch = Dispatch { inboxes, batch: Vec::with_capacity(CHUNK), sent: 0 };
        let mut shared = SharedKeys::new(opts.on_duplicate);
        let read = source::each_feature(files, &opts.source, None, progress, |f, crs, _| {
            if let Some(c) = check_feature(f, crs, opts.source.on_invalid, &mut report)
                && let Some(c) = shared.admit(c, &mut report)
            {
                dispatch.push(c);
            }
        });
        tracing::debug!(
            "import: read and checked {} features in {:.2?}",
            read.as_ref().map_or(0, |r| r.feature_count),
            started.elapsed()
        );
        for c in shared.held(&mut report) {
            dispatch.push(c);
        }
        dispatch.close();
        read
    })?;
    tracing::debug!("import: read, checked and finished in {:.2?}", started.elapsed());
    Ok(Read { sources: super::file_names(files), crs_label: read.crs_label, feature_count: read.feature_count, report })
}

/// Hands candidates to the ID threads in chunks of `CHUNK`, chunk i to thread i mod threads.
struct Dispatch {
    inboxes: Vec<std::sync::mpsc::SyncSender<Vec<Candidate>>>,
    batch: Vec<Candidate>,
    sent: usize,
}

impl Dispatch {
    fn push(&mut self, c: Candidate) {
        self.batch.push(c);
        if self.batch.len() == CHUNK {
            self.send();
        }
    }

    fn send(&mut self) {
        let chunk = std::mem::replace(&mut self.batch, Vec::with_capacity(CHUNK));
        // A closed inbox means the taker gave up: the rest are not wanted.
        let _ = self.inboxes[self.sent % self.inboxes.len()].send(chunk);
        self.sent += 1;
    }

    /// Sends the last chunk; closing the inboxes lets the threads, and then the taker, end.
    fn close(mut self) {
        if !self.batch.is_empty() {
            self.send();
        }
    }
}

/// Parcels handed to each ID thread at a time.
const CHUNK: usize = 2_000;

/// Reads, checks and finishes every feature, and gathers the parcels. Blocking (GDAL, PROJ).
/// `zones` gives the TM-3 zone of parcel IDs for sources not in a TM-3 zone.
pub fn prepare(
    files: &[PathBuf],
    opts: &ParcelImportOptions,
    zones: &CommuneZones,
    progress: &dyn crate::progress::Progress,
) -> Result<Prepared, ImportError> {
    let mut parcels = Vec::new();
    let mut gathered = Gathered::default();
    let mut taken = Report::default();
    let mut read = stream(files, opts, zones, progress, |chunk| {
        for o in chunk {
            if let Some(p) = gathered.take(o, &mut taken, |i| parcels.get(i).map(|p: &NewParcel| p.key.to_string())) {
                parcels.push(p);
            }
        }
    })?;
    read.report.lines.append(&mut taken.lines);
    let extent = gathered.close(&mut read.report);
    read.report = std::mem::take(&mut read.report).checked()?;
    Ok(Prepared { read, parcels, extent })
}

/// Gathers finished parcels in order: refuses a parcel ID taken twice, keeps the extent and
/// which zones IDs were computed in, for the summary.
#[derive(Default)]
pub struct Gathered {
    /// Each parcel ID taken (its bytes: no string to allocate per parcel), and the position of
    /// the parcel that took it in the order taken.
    by_id: HashMap<[u8; ParcelId::LEN], usize>,
    extent: Option<Rect>,
    chosen: std::collections::BTreeMap<(String, String, ZoneReason), usize>,
}

impl Gathered {
    /// The parcel of an outcome, or its refusal in `report`. `key_of` names the parcel taken
    /// at a position, for a caller that still holds it.
    pub fn take(
        &mut self,
        outcome: Outcome,
        report: &mut Report,
        key_of: impl Fn(usize) -> Option<String>,
    ) -> Option<NewParcel> {
        let Finished { parcel: p, origin, zone } =
            outcome.map_err(|(subject, reason)| report.push(subject, Action::Rejected, reason)).ok()?;
        if let Some((crs, reason)) = zone {
            *self.chosen.entry((file_of(&origin).to_owned(), crs.to_string(), reason)).or_default() += 1;
        }
        let id: [u8; ParcelId::LEN] =
            p.parcel_id.as_str().as_bytes().try_into().expect("parcel IDs are 12 ASCII bytes");
        if let Some(&first) = self.by_id.get(&id) {
            let other = key_of(first).unwrap_or_else(|| "another parcel of this import".to_owned());
            report.push(
                p.key.to_string(),
                Action::Rejected,
                format!("its parcel ID {} is also that of {other}: the two parcels overlap", p.parcel_id),
            );
            return None;
        }
        // Every parcel taken took an ID: their count is the next one's position.
        self.by_id.insert(id, self.by_id.len());
        if let Some(b) = p.geom.bounding_rect() {
            self.extent = Some(self.extent.map_or(b, |e| union_rect(e, b)));
        }
        Some(p)
    }

    /// Notes the zones chosen in `report`; the extent of what was taken.
    pub fn close(self, report: &mut Report) -> Option<Rect> {
        for ((file, crs, reason), n) in self.chosen {
            report.push(
                file,
                Action::Note,
                format!("parcel IDs of {n} parcel(s) computed in {crs}, the zone of {reason}"),
            );
        }
        self.extent
    }
}

/// One parcel that does not come from a file (an officer's edit), checked by the same rules and
/// with the same messages as every imported feature, its parcel ID computed as an import
/// computes it. Blocking (PROJ, the pole search).
pub fn check_one(
    fields: Attributes,
    geometry: Option<gdal::vector::Geometry>,
    crs: &Crs,
    zones: &CommuneZones,
    tolerance_m: f64,
) -> Result<NewParcel, String> {
    let mut report = Report::default();
    let feature = SourceFeature::new("the feature".into(), fields, geometry);
    let Some(candidate) = check_feature(feature, crs, OnInvalid::Reject, &mut report) else {
        return Err(report.lines.into_iter().map(|l| l.detail).collect::<Vec<_>>().join("; "));
    };
    let mut transforms = Transforms::default();
    finish(candidate, None, tolerance_m, zones, &mut transforms).map(|f| f.parcel).map_err(|(_, reason)| reason)
}

/// Refuses, skips or repairs one feature according to the policy.
fn check_feature(f: SourceFeature, crs: &Crs, on_invalid: OnInvalid, report: &mut Report) -> Option<Candidate> {
    let field = |t: Field| f.fields.get(t.name).map(String::as_str);
    let key = match (field(COMMUNE), field(SHEET), field(NUMBER)) {
        (Some(c), Some(s), Some(p)) => (|| -> Result<LegacyKey, IdError> {
            Ok(LegacyKey { commune: c.parse()?, sheet: s.parse()?, parcel_no: p.parse()? })
        })(),
        (c, s, p) => {
            let missing: Vec<_> = [(c, COMMUNE), (s, SHEET), (p, NUMBER)]
                .iter()
                .filter(|(v, _)| v.is_none())
                .map(|(_, t)| t.name)
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
    // Only a refused or repaired feature needs its subject spelled out.
    let subject = || format!("{key} ({})", f.origin);
    let land_use = match field(LAND_USE).unwrap_or("").parse::<LandUse>() {
        Ok(l) => l,
        Err(e) => {
            refuse(report, &subject(), on_invalid, e.to_string());
            return None;
        }
    };
    let (area, alley_width) = match (positive(&f.fields, &AREA), positive(&f.fields, &ALLEY_WIDTH)) {
        (Ok(a), Ok(w)) => (a, w),
        (Err(e), _) | (_, Err(e)) => {
            refuse(report, &subject(), on_invalid, e);
            return None;
        }
    };
    let digital_address = match field(DIGITAL_ADDRESS).map(str::parse::<DigitalAddress>) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            refuse(report, &subject(), on_invalid, e.to_string());
            return None;
        }
    };
    let geom = match polygonal(f.geometry.as_ref(), on_invalid, crs) {
        Ok((g, repaired)) => {
            if let Some(detail) = repaired {
                report.push(subject(), Action::Repaired, detail);
            }
            g
        }
        Err(reason) => {
            refuse(report, &subject(), on_invalid, reason);
            return None;
        }
    };
    Some(Candidate {
        origins: vec![f.origin],
        key,
        land_use,
        area,
        alley_width,
        address: field(ADDRESS).map(str::to_owned),
        digital_address,
        holders: field(HOLDER).map(|h| vec![h.to_owned()]).unwrap_or_default(),
        crs: crs.clone(),
        geom,
    })
}

/// Features that share a legacy key, resolved by policy as they come: the first is kept, a later
/// one refused or skipped. Merging needs every part of a parcel before its ID can be computed, so
/// under merge every feature is held until the sources are read.
enum SharedKeys {
    FirstKept { skip: bool, first: HashMap<LegacyKey, String> },
    Merging(Vec<Candidate>),
}

impl SharedKeys {
    fn new(policy: OnDuplicate) -> SharedKeys {
        match policy {
            OnDuplicate::Merge => SharedKeys::Merging(Vec::new()),
            _ => SharedKeys::FirstKept { skip: policy == OnDuplicate::Skip, first: HashMap::default() },
        }
    }

    /// The feature, when it can go on now.
    fn admit(&mut self, c: Candidate, report: &mut Report) -> Option<Candidate> {
        match self {
            SharedKeys::Merging(held) => {
                held.push(c);
                None
            }
            SharedKeys::FirstKept { skip, first } => {
                let origins = match first.entry(c.key.clone()) {
                    Entry::Vacant(v) => {
                        v.insert(c.origins.join(", "));
                        return Some(c);
                    }
                    Entry::Occupied(o) => o.into_mut(),
                };
                let subject = format!("{} ({})", c.key, c.origins.join(", "));
                if *skip {
                    report.push(subject, Action::Skipped, format!("duplicate of {origins}"));
                } else {
                    report.push(
                        subject,
                        Action::Rejected,
                        format!("shares its legacy key with {origins}; use --on-duplicate merge or skip"),
                    );
                }
                None
            }
        }
    }

    /// What was held, merged.
    fn held(self, report: &mut Report) -> Vec<Candidate> {
        match self {
            SharedKeys::FirstKept { .. } => Vec::new(),
            SharedKeys::Merging(held) => merge(held, report),
        }
    }
}

/// Merges features that share a legacy key into one parcel each, in the order their keys first
/// came.
fn merge(candidates: Vec<Candidate>, report: &mut Report) -> Vec<Candidate> {
    let mut order: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut seen: HashMap<LegacyKey, usize> = HashMap::default();
    for c in candidates {
        let Some(&i) = seen.get(&c.key) else {
            seen.insert(c.key.clone(), order.len());
            order.push(c);
            continue;
        };
        let first = &mut order[i];
        if c.crs != first.crs {
            report.push(
                format!("{} ({})", c.key, c.origins.join(", ")),
                Action::Rejected,
                format!(
                    "cannot merge with {}: the two come in different CRSs ({} and {})",
                    first.origins.join(", "),
                    c.crs,
                    first.crs
                ),
            );
            continue;
        }
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

/// The file a feature came from, out of its origin (`FILE[:LAYER] feature N`).
fn file_of(origin: &str) -> &str {
    origin.rsplit_once(" feature ").map_or(origin, |(file, _)| file)
}

/// Computes the parcel ID and reprojects to WGS84; a refusal comes with its subject.
fn finish(
    mut c: Candidate,
    given_zone: Option<&Crs>,
    tolerance_m: f64,
    zones: &CommuneZones,
    transforms: &mut Transforms,
) -> Outcome {
    let refused = |c: &Candidate, reason: String| (c.key.to_string(), reason);
    // The geometry is checked again as it will be stored: the table takes the import's word for
    // it (migration 29), and rounding in the reprojection can, rarely, make a ring touch itself.
    // (A WGS 84 source was checked as read, in the same coordinates.)
    let to_wgs84 = |geom: &mut MultiPolygon, transforms: &mut Transforms| -> Result<(), String> {
        transforms.get(&c.crs, &WGS84).and_then(|t| t.multipolygon(geom)).map_err(|e| e.to_string())?;
        check_wgs84(geom, &c.crs)?;
        if c.crs == WGS84 || validity::valid(geom) {
            Ok(())
        } else {
            Err(format!(
                "the polygon is valid as read in {} but not once reprojected to WGS 84 (rounding makes its boundary touch or cross itself): simplify or repair it",
                c.crs
            ))
        }
    };
    // In a TM-3 source the ID is computed on the geometry as read, which is then reprojected in
    // place: no copy of it.
    let ided = if c.crs.is_vn2000_tm3() {
        parcel_id::parcel_id(&c.geom, &c.crs, transforms, tolerance_m)
            .map_err(|e| e.to_string())
            .and_then(|pid| to_wgs84(&mut c.geom, transforms).map(|()| (pid, None)))
    } else {
        let mut zone_geom = c.geom.clone();
        to_wgs84(&mut c.geom, transforms).and_then(|()| {
            let (zone, reason) = match given_zone {
                Some(z) => (z.clone(), ZoneReason::Given),
                None => {
                    let at = c.geom.bounding_rect().map(|r| r.center()).unwrap_or_default();
                    zones.choose(c.key.commune.as_str(), at.x, at.y)?
                }
            };
            transforms.get(&c.crs, &zone).and_then(|t| t.multipolygon(&mut zone_geom)).map_err(|e| e.to_string())?;
            let pid = parcel_id::parcel_id(&zone_geom, &zone, transforms, tolerance_m).map_err(|e| e.to_string())?;
            Ok((pid, Some((zone, reason))))
        })
    };
    let (pid, zone) = ided.map_err(|reason| refused(&c, reason))?;
    let origin = c.origins.swap_remove(0);
    let parcel = NewParcel {
        parcel_id: pid,
        commune: zones.is_current(c.key.commune.as_str()).then(|| c.key.commune.clone()),
        key: c.key,
        land_use: c.land_use,
        legal_area_m2: c.area,
        alley_width_m: c.alley_width,
        address: c.address,
        digital_address: c.digital_address,
        holders: c.holders,
        source_crs: c.crs.to_string(),
        geom: c.geom,
    };
    Ok(Finished { parcel, origin, zone })
}
