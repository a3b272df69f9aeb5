//! Data-provision requests (Decree 101/2024 Art. 60-62, form 13/ĐK; seed 004). Open data needs
//! no request; everything else is asked for by a requester (person or organisation, an account
//! optional) for a purpose: parcels, a commune or an area, some layers, a date, a format. Owner
//! information needs the owner's written consent or a state-management, investigation or
//! enforcement basis. The office notifies the fee, records the payment and provides; or refuses
//! for one of the decree's reasons within 2 working days; or extends, by at most 15 working
//! days in all. Data in the database is due the same working day (the next one after 15:00),
//! other data within 3 working days. The provision is a download of exactly the approved scope,
//! behind a link that expires.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{Selection, communes_of, in_scope, worker};
use crate::access::{Account, Audience, Scope, View};
use crate::calendar::{self, CUTOFF, Calendar};
use crate::catalog::Catalog;
use crate::domain::ParcelCode;
use crate::edits::{EditError, text};
use crate::import::store::overlays::parcel_ids_of;
use crate::storage::gateway::{Actor, Change};

/// Working days to refuse a request in, to provide data not in the database, and the most an
/// extension may add.
pub const REFUSE_DAYS: u32 = 2;
pub const NOT_IN_DATABASE_DAYS: u32 = 3;
pub const MAX_EXTENSION_DAYS: i32 = 15;
/// How long a provision's download link works.
pub const LINK_DAYS: i64 = 7;
/// The most parcels one request may name, and the largest area one may draw.
pub const MAX_PARCELS: usize = 500;
pub const MAX_AREA_KM2: f64 = 100.0;
pub const MAX_AREA_VERTICES: usize = 10_000;

pub const FORMATS: &[&str] = &["gpkg", "shp", "csv", "pdf"];
const DELIVERIES: &[&str] = &["download", "email", "post", "office"];
const OWNER_BASES: &[&str] = &["consent", "state_management", "investigation", "enforcement"];
/// The decree's reasons to refuse (Art. 61), the first three within 2 working days.
pub const REFUSALS: &[&str] = &["state_secret", "owner_without_consent", "invalid_request", "unpaid_fee"];

/// A request as form 13/ĐK gives it (`POST /api/requests`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// `person` or `organisation`.
    pub requester_kind: String,
    pub requester_name: String,
    /// A personal ID or a tax code.
    pub requester_id: Option<String>,
    pub contact: String,
    pub purpose: String,
    /// What is asked for: parcel IDs, or a commune, or an area (a GeoJSON polygon in CRS84).
    #[serde(default)]
    pub parcels: Vec<String>,
    pub commune: Option<String>,
    pub area: Option<serde_json::Value>,
    pub layers: Vec<String>,
    /// The data as it was on this date or at this moment; as provided when absent.
    pub as_of: Option<String>,
    pub format: String,
    pub delivery: String,
    /// Data the database does not hold, in words (due within 3 working days).
    pub other_data: Option<String>,
    #[serde(default)]
    pub owner_info: bool,
    pub owner_basis: Option<String>,
    /// The consent or decision the basis rests on (its number and date).
    pub owner_basis_document: Option<String>,
    /// When the office received a paper request (its own accounts only; the change recording
    /// it keeps when it was entered).
    pub received_at: Option<DateTime<FixedOffset>>,
}

/// What filing answers.
#[derive(Debug, Serialize)]
pub struct Filed {
    pub no: String,
    pub state: &'static str,
    pub received_at: DateTime<Utc>,
    pub refuse_by: NaiveDate,
    pub due: NaiveDate,
}

/// A request as the office sees it (personal data: the requester).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Request {
    pub no: String,
    pub requester_kind: String,
    pub requester_name: String,
    pub requester_id: Option<String>,
    pub contact: String,
    pub account: Option<String>,
    pub purpose: String,
    pub parcels: Vec<String>,
    pub commune_code: Option<String>,
    pub communes: Vec<String>,
    pub layers: Vec<String>,
    pub as_of: Option<DateTime<Utc>>,
    pub format: String,
    pub delivery: String,
    pub other_data: Option<String>,
    pub owner_info: bool,
    pub owner_basis: Option<String>,
    pub owner_basis_document: Option<String>,
    pub received_at: DateTime<Utc>,
    pub state: String,
    pub refuse_by: NaiveDate,
    pub due: NaiveDate,
    pub extended_days: i32,
    pub extension_reason: Option<String>,
    pub fee_vnd: Option<i64>,
    pub fee_notified_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_reference: Option<String>,
    pub refusal_reason: Option<String>,
    pub refusal_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub provided_at: Option<DateTime<Utc>>,
    pub download_expires: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// What anyone holding a request's number may learn: its state and deadlines, not who asked.
#[derive(Debug, Serialize)]
pub struct RequestState {
    pub no: String,
    pub state: String,
    pub received_at: DateTime<Utc>,
    pub refuse_by: NaiveDate,
    pub due: NaiveDate,
    pub overdue: bool,
    pub extended_days: i32,
    pub extension_reason: Option<String>,
    pub fee_vnd: Option<i64>,
    pub refusal_reason: Option<String>,
    pub refusal_note: Option<String>,
    pub provided_at: Option<DateTime<Utc>>,
    pub download_expires: Option<DateTime<Utc>>,
}

impl From<Request> for RequestState {
    fn from(r: Request) -> RequestState {
        RequestState {
            no: r.no,
            state: r.state,
            received_at: r.received_at,
            refuse_by: r.refuse_by,
            due: r.due,
            overdue: r.overdue,
            extended_days: r.extended_days,
            extension_reason: r.extension_reason,
            fee_vnd: r.fee_vnd,
            refusal_reason: r.refusal_reason,
            refusal_note: r.refusal_note,
            provided_at: r.provided_at,
            download_expires: r.download_expires,
        }
    }
}

fn invalid(m: impl Into<String>) -> EditError {
    EditError::Invalid(m.into())
}

fn one_of(name: &str, v: &str, allowed: &[&str]) -> Result<(), EditError> {
    match allowed.contains(&v) {
        true => Ok(()),
        false => Err(invalid(format!("{name} `{v}` must be one of {}", allowed.join(", ")))),
    }
}

/// The audience a request's data is cut for: personal fields only with owner information.
fn audience(owner_info: bool) -> Audience {
    if owner_info { Audience::Personal } else { Audience::Public }
}

/// A drawn area: a GeoJSON polygon or multipolygon in CRS84, as WKB.
fn area_wkb(geojson: &serde_json::Value) -> Result<Vec<u8>, EditError> {
    let g = geozero::geojson::GeoJson(&geojson.to_string()).to_geo().map_err(|e| invalid(format!("area: {e}")))?;
    if !matches!(g, geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_)) {
        return Err(invalid("area must be a GeoJSON Polygon or MultiPolygon in longitude/latitude (CRS84)"));
    }
    use geo::{CoordsIter, Validation};
    if g.coords_count() > MAX_AREA_VERTICES {
        return Err(invalid(format!("area: a drawn area has at most {MAX_AREA_VERTICES} vertices")));
    }
    if g.coords_iter().any(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y)) {
        return Err(invalid("area: coordinates must be longitude −180..180 and latitude −90..90 (CRS84)"));
    }
    if let Err(e) = g.check_validation() {
        return Err(invalid(format!("area is not a valid polygon: {e}")));
    }
    g.to_wkb(CoordDimensions::xy()).map_err(|e| invalid(format!("area: {e}")))
}

/// Checks a request, works out its area and deadlines, and records it; `by` is the signed-in
/// account filing it, if any.
pub async fn file(pool: &PgPool, catalog: &Catalog, by: Option<&Account>, r: NewRequest) -> Result<Filed, EditError> {
    one_of("requester_kind", &r.requester_kind, &["person", "organisation"])?;
    let name = text("requester_name", &r.requester_name)?;
    let contact = text("contact", &r.contact)?;
    let purpose = text("purpose", &r.purpose)?;
    let requester_id = r.requester_id.as_deref().map(|i| text("requester_id", i)).transpose()?;
    one_of("format", &r.format, FORMATS)?;
    one_of("delivery", &r.delivery, DELIVERIES)?;
    let other_data =
        r.other_data.as_deref().filter(|o| !o.trim().is_empty()).map(|o| text("other_data", o)).transpose()?;
    // Owner information: its basis and the document it rests on, or nothing is provided.
    let (basis, document) = match (r.owner_info, r.owner_basis.as_deref(), r.owner_basis_document.as_deref()) {
        (false, None, None) => (None, None),
        (false, ..) => return Err(invalid("owner_basis and owner_basis_document go with owner_info: true")),
        (true, Some(b), Some(d)) => {
            one_of("owner_basis", b, OWNER_BASES)?;
            (Some(b.to_owned()), Some(text("owner_basis_document", d)?))
        }
        (true, ..) => {
            return Err(invalid(
                "owner information is provided only with the owner's written consent or a state-management, investigation or enforcement basis: give owner_basis and owner_basis_document",
            ));
        }
    };
    let aud = audience(r.owner_info);
    if r.layers.is_empty() {
        return Err(invalid(format!("layers: name at least one of {}", catalog.names(aud))));
    }
    for l in &r.layers {
        if catalog.find(l, aud).is_none() {
            return Err(invalid(format!("layers: no layer `{l}` can be requested; layers: {}", catalog.names(aud))));
        }
    }
    if r.format == "pdf" && r.parcels.is_empty() {
        return Err(invalid("a PDF is an extract of parcels: name them in parcels"));
    }
    let as_of = r.as_of.as_deref().map(as_of).transpose()?;
    let received_at = match (r.received_at, by) {
        (None, _) => Utc::now(),
        (Some(at), Some(a)) if a.services => {
            let at = at.with_timezone(&Utc);
            if at > Utc::now() {
                return Err(invalid("received_at must not be in the future"));
            }
            at
        }
        (Some(_), _) => return Err(invalid("only the registration office dates a request it received (received_at)")),
    };
    // What the request names: exactly one of parcels, a commune, an area.
    let named = [!r.parcels.is_empty(), r.commune.is_some(), r.area.is_some()];
    if named.iter().filter(|n| **n).count() != 1 {
        return Err(invalid("name the data's extent by exactly one of parcels, commune or area"));
    }
    if r.parcels.len() > MAX_PARCELS {
        return Err(invalid(format!("a request names at most {MAX_PARCELS} parcels")));
    }
    let codes: Vec<ParcelCode> = r
        .parcels
        .iter()
        .map(|c| c.parse().map_err(|e: crate::domain::IdError| invalid(format!("parcels: {e}"))))
        .collect::<Result<_, _>>()?;
    let found = parcel_ids_of(&mut *pool.acquire().await?, codes.iter()).await?;
    let parcels = codes
        .iter()
        .zip(found)
        .map(|(code, id)| id.ok_or_else(|| EditError::NotFound(format!("no current parcel is {code}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let drawn = r.area.as_ref().map(area_wkb).transpose()?;
    if let Some(c) = &r.commune {
        crate::quality::communes(pool, c).await?;
    }
    #[derive(sqlx::FromRow)]
    struct Area {
        wkb: Option<Vec<u8>>,
        valid: bool,
        km2: f64,
        communes: Vec<String>,
    }
    let area: Area = sqlx::query_as(include_str!("sql/request_area.sql"))
        .bind(&parcels)
        .bind(&r.commune)
        .bind(drawn)
        .fetch_one(pool)
        .await?;
    let wkb = match area.wkb {
        Some(w) if area.valid => w,
        _ => return Err(invalid("the area is not a valid polygon (self-intersecting or empty)")),
    };
    if area.km2 > MAX_AREA_KM2 {
        return Err(invalid(format!(
            "the area covers {:.1} km²; a request covers at most {MAX_AREA_KM2} km²",
            area.km2
        )));
    }
    if area.communes.is_empty() {
        return Err(invalid("the area holds no parcel"));
    }
    let calendar = Calendar::load(pool).await?;
    let refuse_by = calendar.deadline(&received_at, REFUSE_DAYS, Some(CUTOFF))?;
    let days = if other_data.is_some() { NOT_IN_DATABASE_DAYS } else { 0 };
    let due = calendar.deadline(&received_at, days, Some(CUTOFF))?;
    let actor = by.map_or_else(Actor::anonymous, |a| Actor::account(&a.username));
    let mut change = Change::begin(pool, &actor, "file a data request", Some(&purpose)).await?;
    let change_id = change.id();
    use chrono::Datelike;
    let no: String = sqlx::query_scalar(include_str!("sql/request_insert.sql"))
        .bind(received_at.with_timezone(&calendar::vietnam()).year().to_string())
        .bind(&r.requester_kind)
        .bind(&name)
        .bind(&requester_id)
        .bind(&contact)
        .bind(by.map(|a| a.username.clone()))
        .bind(&purpose)
        .bind(&parcels)
        .bind(&r.commune)
        .bind(wkb)
        .bind(&area.communes)
        .bind(&r.layers)
        .bind(as_of)
        .bind(&r.format)
        .bind(&r.delivery)
        .bind(&other_data)
        .bind(r.owner_info)
        .bind(basis)
        .bind(document)
        .bind(received_at)
        .bind(refuse_by)
        .bind(due)
        .bind(change_id)
        .fetch_one(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(Filed { no, state: "received", received_at, refuse_by, due })
}

/// A date (the end of that day in Vietnam) or an instant.
fn as_of(s: &str) -> Result<DateTime<Utc>, EditError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| invalid(format!("as_of `{s}` must be a date (YYYY-MM-DD) or an RFC 3339 instant")))?;
    let end = day.and_hms_opt(23, 59, 59).expect("a valid time");
    Ok(end
        .and_local_timezone(calendar::vietnam())
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&Utc))
}

async fn one(conn: &mut sqlx::PgConnection, no: &str) -> Result<Request, EditError> {
    super::one(conn, include_str!("sql/requests_of.sql"), no, "data request").await
}

/// Request `no` as its requester may follow it.
pub async fn state(pool: &PgPool, no: &str) -> Result<RequestState, EditError> {
    one(&mut *pool.acquire().await?, no).await.map(RequestState::from)
}

/// Request `no` in full, for the office of its communes.
pub async fn get(pool: &PgPool, account: &Account, no: &str) -> Result<Request, EditError> {
    worker(account)?;
    let r = one(&mut *pool.acquire().await?, no).await?;
    in_scope(account, &r.communes.iter().map(String::as_str).collect::<Vec<_>>(), &format!("request {no}"))?;
    Ok(r)
}

/// The requests of the account's scope.
pub async fn list(pool: &PgPool, account: &Account, s: &Selection<'_>) -> Result<Vec<Request>, EditError> {
    worker(account)?;
    Ok(super::select(&mut *pool.acquire().await?, include_str!("sql/requests_of.sql"), None, communes_of(account), s)
        .await?)
}

/// One step of the office's work on a request.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// The fee (0: free of charge, then it goes straight to paid).
    NotifyFee {
        fee_vnd: i64,
    },
    RecordPayment {
        reference: String,
    },
    Extend {
        days: i32,
        reason: String,
    },
    Refuse {
        reason: String,
        note: Option<String>,
    },
    Provide,
}

/// What a step answers: the request's state and deadline, and for a provision its link's secret.
#[derive(Debug, Serialize)]
pub struct Stepped {
    pub no: String,
    pub state: String,
    pub due: NaiveDate,
    #[serde(skip)]
    pub download_secret: Option<String>,
    /// The layers a provision's links are for.
    #[serde(skip)]
    pub layers: Vec<String>,
    pub download_expires: Option<DateTime<Utc>>,
}

/// The columns a step sets (request_update.sql), others kept.
#[derive(Default)]
struct Update {
    fee: Option<i64>,
    payment: Option<String>,
    extended: Option<i32>,
    extension_reason: Option<String>,
    due: Option<NaiveDate>,
    refusal: Option<String>,
    note: Option<String>,
    digest: Option<Vec<u8>>,
    expires: Option<DateTime<Utc>>,
}

pub async fn step(pool: &PgPool, account: &Account, no: &str, step: Step) -> Result<Stepped, EditError> {
    worker(account)?;
    let what = match &step {
        Step::NotifyFee { .. } => "notify a request's fee",
        Step::RecordPayment { .. } => "record a request's payment",
        Step::Extend { .. } => "extend a request",
        Step::Refuse { .. } => "refuse a request",
        Step::Provide => "provide a request's data",
    };
    let mut change = Change::begin(pool, &Actor::account(&account.username), what, Some(no)).await?;
    let r = one(change.conn(), no).await?;
    in_scope(account, &r.communes.iter().map(String::as_str).collect::<Vec<_>>(), &format!("request {no}"))?;
    let refused = |m: String| Err(EditError::Conflict(format!("request {no} is {}: {m}", r.state)));
    let mut u = Update::default();
    let mut secret = None;
    let state = match (&step, r.state.as_str()) {
        (Step::NotifyFee { fee_vnd }, "received") => {
            if *fee_vnd < 0 {
                return Err(invalid("fee_vnd must be 0 or more"));
            }
            u.fee = Some(*fee_vnd);
            if *fee_vnd == 0 { "paid" } else { "fee_notified" }
        }
        (Step::NotifyFee { .. }, _) => return refused("a fee is notified once, on a received request".into()),
        (Step::RecordPayment { reference }, "fee_notified") => {
            u.payment = Some(text("reference", reference)?);
            "paid"
        }
        (Step::RecordPayment { .. }, _) => return refused("a payment follows a notified fee".into()),
        (Step::Extend { days, reason }, "received" | "fee_notified" | "paid") => {
            let reason = text("reason", reason)?;
            let total = r.extended_days + days;
            if *days < 1 || total > MAX_EXTENSION_DAYS {
                return Err(invalid(format!(
                    "an extension adds 1 or more working days, at most {MAX_EXTENSION_DAYS} in all (already {})",
                    r.extended_days
                )));
            }
            let calendar = Calendar::load(pool).await?;
            u.due = Some(calendar.add_working_days(r.due, *days as u32)?);
            u.extended = Some(total);
            u.extension_reason = Some(match &r.extension_reason {
                Some(before) => format!("{before}; {reason}"),
                None => reason,
            });
            r.state.as_str()
        }
        (Step::Extend { .. }, _) => return refused("only a request still being worked can be extended".into()),
        (Step::Refuse { reason, note }, state) => {
            one_of("reason", reason, REFUSALS)?;
            match (reason.as_str(), state) {
                ("unpaid_fee", "fee_notified") => {}
                ("unpaid_fee", _) => return refused("unpaid_fee refuses a request whose fee was notified".into()),
                (_, "received" | "fee_notified") => {
                    if calendar::today() > r.refuse_by {
                        return refused(format!(
                            "a refusal for {reason} is given within {REFUSE_DAYS} working days, by {}",
                            r.refuse_by
                        ));
                    }
                }
                _ => return refused("only a request still being worked can be refused".into()),
            }
            u.refusal = Some(reason.clone());
            u.note = note.as_deref().map(|n| text("note", n)).transpose()?;
            "refused"
        }
        (Step::Provide, "paid") => {
            let s = crate::accounts::secret("dl_");
            u.digest = Some(crate::accounts::digest(&s));
            u.expires = Some(Utc::now() + Duration::days(LINK_DAYS));
            secret = Some(s);
            "provided"
        }
        (Step::Provide, _) => return refused("data is provided once its fee is paid".into()),
    };
    sqlx::query(include_str!("sql/request_update.sql"))
        .bind(no)
        .bind(state)
        .bind(u.fee)
        .bind(u.payment)
        .bind(u.extended)
        .bind(u.extension_reason)
        .bind(u.due)
        .bind(u.refusal)
        .bind(u.note)
        .bind(u.digest)
        .bind(u.expires)
        .execute(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(Stepped {
        no: no.to_owned(),
        state: state.to_owned(),
        due: u.due.unwrap_or(r.due),
        download_secret: secret,
        download_expires: u.expires,
        layers: r.layers,
    })
}

/// A provision's approved scope: what its download holds.
pub struct Provision {
    pub layers: Vec<String>,
    /// Parcel IDs named (parcel layers hold exactly these), or none.
    pub parcels: Vec<String>,
    /// The area as WKB in CRS84.
    pub area: Vec<u8>,
    /// Personal fields within the request's communes only with owner information.
    pub view: View,
    pub format: String,
    pub as_of: DateTime<Utc>,
}

/// The scope of provided request `no` for the holder of its link's `secret`.
pub async fn provision(pool: &PgPool, no: &str, secret: &str) -> Result<Provision, EditError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        layers: Vec<String>,
        parcels: Vec<String>,
        area: Vec<u8>,
        communes: Vec<String>,
        format: String,
        owner_info: bool,
        as_of: DateTime<Utc>,
        download_expires: DateTime<Utc>,
    }
    let row: Option<Row> = sqlx::query_as(include_str!("sql/provision.sql"))
        .bind(no)
        .bind(crate::accounts::digest(secret))
        .fetch_optional(pool)
        .await?;
    let row = row.ok_or_else(|| EditError::NotFound(format!("no provided request {no} has that download link")))?;
    if row.download_expires < Utc::now() {
        return Err(EditError::Conflict(format!(
            "the download link of request {no} expired at {}: ask the office for a new one",
            row.download_expires
        )));
    }
    let view = match row.owner_info {
        true => View {
            audience: Audience::Personal,
            scope: Scope::Communes(std::sync::Arc::new(row.communes.into_iter().collect())),
        },
        false => View::open(),
    };
    Ok(Provision {
        layers: row.layers,
        parcels: row.parcels,
        area: row.area,
        view,
        format: row.format,
        as_of: row.as_of,
    })
}
