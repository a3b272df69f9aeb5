//! Correction tickets (seed 002 Art. 16.3, 18.8): anyone may report a suspected error on a
//! parcel, signed in or not, and each quality finding opens one too. A ticket is assigned to the
//! office of the parcel's commune (the services accounts whose scope covers it) and due 5 working
//! days after notification; it is explained, corrected (linked to the parcel event of the
//! correcting edit) or rejected with a reason, then closed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{Selection, communes_of, in_scope, worker};
use crate::access::Account;
use crate::calendar::{self, Calendar};
use crate::domain::ParcelCode;
use crate::edits::{EditError, text};
use crate::storage::gateway::{Actor, Change};

/// Working days a ticket is due in.
pub const DUE_DAYS: u32 = 5;

/// A report as `POST /api/reports` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub parcel: String,
    pub message: String,
    pub contact: Option<String>,
}

/// What filing answers: the ticket's number and due date.
#[derive(Debug, Serialize)]
pub struct Filed {
    pub ticket: String,
    pub due: NaiveDate,
    pub parcel: String,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Ticket {
    pub no: String,
    pub source: String,
    pub parcel_id: Option<String>,
    pub finding_id: Option<i64>,
    pub commune_code: String,
    pub message: String,
    /// The reporter's contact and account: personal data, for the office only.
    pub contact: Option<String>,
    pub reporter: Option<String>,
    pub notified_at: DateTime<Utc>,
    pub due: NaiveDate,
    pub state: String,
    pub answer: Option<String>,
    pub correcting_event: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by: Option<String>,
    pub overdue: bool,
}

/// What anyone holding a ticket's number may learn of it.
#[derive(Debug, Serialize)]
pub struct TicketState {
    pub no: String,
    pub parcel_id: Option<String>,
    pub state: String,
    pub due: NaiveDate,
    pub overdue: bool,
    pub answer: Option<String>,
}

impl From<Ticket> for TicketState {
    fn from(t: Ticket) -> TicketState {
        TicketState {
            no: t.no,
            parcel_id: t.parcel_id,
            state: t.state,
            due: t.due,
            overdue: t.overdue,
            answer: t.answer,
        }
    }
}

/// The current parcel `code` names, and its commune.
async fn parcel(pool: &PgPool, code: &str) -> Result<(String, String), EditError> {
    let parsed: ParcelCode = code.parse().map_err(|e: crate::domain::IdError| EditError::Invalid(e.to_string()))?;
    let (id, key) = match &parsed {
        ParcelCode::Id(id) => (Some(id.to_string()), None),
        ParcelCode::Legacy(k) => (None, Some(k)),
    };
    sqlx::query_as(include_str!("sql/parcel_of_code.sql"))
        .bind(id)
        .bind(key.map(|k| k.commune.to_string()))
        .bind(key.map(|k| k.sheet.to_string()))
        .bind(key.map(|k| k.parcel_no.get() as i32))
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| EditError::NotFound(format!("no current parcel is {parsed}")))
}

fn year() -> String {
    use chrono::Datelike;
    calendar::today().year().to_string()
}

/// Files a report; `reporter` is the signed-in account, if any.
pub async fn report(pool: &PgPool, reporter: Option<&Account>, r: NewReport) -> Result<Filed, EditError> {
    let message = text("message", &r.message)?;
    if message.chars().count() > 4000 {
        return Err(EditError::Invalid("message must be at most 4000 characters".into()));
    }
    let contact = r.contact.as_deref().filter(|c| !c.trim().is_empty()).map(|c| text("contact", c)).transpose()?;
    if contact.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(EditError::Invalid("contact must be at most 200 characters".into()));
    }
    let (parcel_id, commune) = parcel(pool, &r.parcel).await?;
    let due = Calendar::load(pool).await?.deadline(&Utc::now(), DUE_DAYS, None)?;
    let actor = reporter.map_or_else(Actor::anonymous, |a| Actor::account(&a.username));
    let mut change = Change::begin(pool, &actor, "report an error", Some(&parcel_id)).await?;
    let id = change.id();
    let no: String = sqlx::query_scalar(include_str!("sql/ticket_insert.sql"))
        .bind(year())
        .bind(&parcel_id)
        .bind(&commune)
        .bind(&message)
        .bind(&contact)
        .bind(reporter.map(|a| a.username.clone()))
        .bind(due)
        .bind(id)
        .fetch_one(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(Filed { ticket: no, due, parcel: parcel_id })
}

/// Opens a ticket for each of the findings `ids`, in the change that found them.
pub async fn open_for_findings(pool: &PgPool, change: &mut Change, ids: &[i64]) -> Result<(), EditError> {
    if ids.is_empty() {
        return Ok(());
    }
    let due = Calendar::load(pool).await?.deadline(&Utc::now(), DUE_DAYS, None)?;
    let id = change.id();
    sqlx::query(include_str!("sql/tickets_for_findings.sql"))
        .bind(ids)
        .bind(year())
        .bind(due)
        .bind(id)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Ticket `no` as its reporter may see it.
pub async fn state(pool: &PgPool, no: &str) -> Result<TicketState, EditError> {
    one(&mut *pool.acquire().await?, no).await.map(TicketState::from)
}

async fn one(conn: &mut sqlx::PgConnection, no: &str) -> Result<Ticket, EditError> {
    super::one(conn, include_str!("sql/tickets_of.sql"), no, "correction ticket").await
}

/// The tickets of the account's scope.
pub async fn list(pool: &PgPool, account: &Account, s: &Selection<'_>) -> Result<Vec<Ticket>, EditError> {
    worker(account)?;
    Ok(super::select(&mut *pool.acquire().await?, include_str!("sql/tickets_of.sql"), None, communes_of(account), s)
        .await?)
}

/// Ticket `no` in full, for the office of its commune.
pub async fn get(pool: &PgPool, account: &Account, no: &str) -> Result<Ticket, EditError> {
    worker(account)?;
    let t = one(&mut *pool.acquire().await?, no).await?;
    in_scope(account, &[&t.commune_code], &format!("ticket {no}"))?;
    Ok(t)
}

/// An office's answer: `explained` or `rejected` with a reason, `corrected` naming the parcel
/// event of the correcting edit; or `closed` once answered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub state: String,
    pub answer: Option<String>,
    pub event: Option<i64>,
}

pub async fn answer(pool: &PgPool, account: &Account, no: &str, a: Answer) -> Result<String, EditError> {
    worker(account)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), &format!("ticket {}", a.state), Some(no)).await?;
    let t = one(change.conn(), no).await?;
    in_scope(account, &[&t.commune_code], &format!("ticket {no}"))?;
    let reason = a.answer.as_deref().map(|r| text("answer", r)).transpose()?;
    let allowed = matches!(
        (t.state.as_str(), a.state.as_str()),
        ("open", "explained" | "rejected" | "corrected") | ("explained" | "corrected", "closed")
    );
    if !allowed {
        return Err(EditError::Conflict(format!(
            "ticket {no} is {}: it can go from open to explained, corrected or rejected, and from explained or corrected to closed",
            t.state
        )));
    }
    let (reason, event) = match a.state.as_str() {
        "explained" | "rejected" => {
            (Some(reason.ok_or_else(|| EditError::Invalid(format!("a ticket {} needs an answer", a.state)))?), None)
        }
        "corrected" => {
            let event = a.event.ok_or_else(|| {
                EditError::Invalid("a corrected ticket names the parcel event of the correcting edit (event)".into())
            })?;
            let parcel = t.parcel_id.clone().unwrap_or_default();
            let corrects: bool = sqlx::query_scalar(include_str!("sql/event_corrects.sql"))
                .bind(event)
                .bind(&parcel)
                .bind(t.notified_at)
                .fetch_one(change.conn())
                .await?;
            if !corrects {
                return Err(EditError::Invalid(format!(
                    "parcel event {event} did not change parcel {parcel} after the ticket was opened"
                )));
            }
            (reason, Some(event))
        }
        _ => (t.answer.clone(), t.correcting_event),
    };
    sqlx::query(include_str!("sql/ticket_answer.sql"))
        .bind(no)
        .bind(&a.state)
        .bind(reason)
        .bind(event)
        .bind(&account.username)
        .execute(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(a.state)
}
