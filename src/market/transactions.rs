//! Recording, cancelling and reading transactions. A submission is read with the import's own
//! field names and rules (one path for a file and for an officer's JSON), checked against the
//! account's right (its scope, its projects, its broker's certificate, its notary office), and
//! stored by the import's store, so a double sale is refused the same way either way.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::{right, text};
use crate::access::{Account, MarketRight};
use crate::crs::WGS84;
use crate::domain::ParcelCode;
use crate::edits::EditError;
use crate::import::overlay::{Overlay, attributes_of, check_one};
use crate::import::store::overlays::{Store, Write};
use crate::import::store::transactions::unit_status;
use crate::import::transactions::{Deal, Subject, Transactions};
use crate::import::{ImportError, Report};
use crate::storage::gateway::{Actor, Change};

/// A transaction as the registry keeps it (personal data: the parties).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Recorded {
    pub id: i64,
    pub contract_no: String,
    pub contract_date: NaiveDate,
    pub kind: String,
    pub stage: String,
    pub product_id: Option<String>,
    pub parcel_id: Option<String>,
    pub price_vnd: i64,
    pub area_m2: f64,
    pub price_vnd_m2: i64,
    pub lease_end: Option<NaiveDate>,
    pub seller: String,
    pub buyer: String,
    pub notarised: bool,
    pub notary_office: Option<String>,
    pub source: String,
    pub broker_certificate: Option<String>,
    pub submitted_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub cancel_reason: Option<String>,
}

/// The product or parcel a subject names, as the registry's columns hold them.
fn columns(subject: &Subject) -> Result<(Option<String>, Option<String>), EditError> {
    match subject {
        Subject::Unit(p) => Ok((Some(p.to_string()), None)),
        Subject::Parcel(ParcelCode::Id(id)) => Ok((None, Some(id.to_string()))),
        Subject::UnitAt { .. } => {
            Err(EditError::Invalid("name the unit by its product ID (MaSanPham), as its card shows it".into()))
        }
        Subject::Parcel(ParcelCode::Legacy(k)) => Err(EditError::Invalid(format!(
            "name the parcel by its parcel ID, not the legacy key {k}: a transaction is of the parcel as it is now"
        ))),
    }
}

type SubjectRow = (String, Option<String>, Option<String>);

/// The unit's or parcel's communes (recorded, current) and investor, or what is not found.
async fn subject_of(
    conn: &mut sqlx::PgConnection,
    product: &Option<String>,
    parcel: &Option<String>,
) -> Result<SubjectRow, EditError> {
    let found: Option<SubjectRow> =
        sqlx::query_as(include_str!("sql/subject.sql")).bind(product).bind(parcel).fetch_optional(conn).await?;
    found.ok_or_else(|| {
        EditError::NotFound(match (product, parcel) {
            (Some(p), _) => format!("no housing unit has product ID {p}"),
            (_, p) => format!("no parcel has the ID {}", p.as_deref().unwrap_or_default()),
        })
    })
}

/// Refuses a row of commune `recorded` (now `current`) outside the account's scope.
fn in_scope(account: &Account, (recorded, current, _): &SubjectRow) -> Result<(), EditError> {
    match account.covers([Some(recorded.as_str()), current.as_deref()].into_iter().flatten()) {
        true => Ok(()),
        false => Err(EditError::Forbidden(format!(
            "the parcel (commune {recorded}) is outside the scope of account `{}`",
            account.username
        ))),
    }
}

/// Checks the account may record `deal`, and sets who reported it (and the broker's certificate).
async fn allow(conn: &mut sqlx::PgConnection, account: &Account, deal: &mut Deal) -> Result<(), EditError> {
    let who = &account.username;
    let (product, parcel) = columns(&deal.subject)?;
    let found = subject_of(&mut *conn, &product, &parcel).await?;
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    deal.source = Some(match right(account)? {
        MarketRight::Any => {
            in_scope(account, &found)?;
            "registration_office"
        }
        MarketRight::Investor => match &found.2 {
            Some(i) if same(i, &account.organisation) => "investor",
            _ => {
                return Err(EditError::Forbidden(format!(
                    "account `{who}` of {} records the units of its own projects only",
                    account.organisation
                )));
            }
        },
        MarketRight::Broker => {
            let certificate: Option<String> = sqlx::query_scalar(include_str!("sql/broker_of_account.sql"))
                .bind(who)
                .bind(deal.contract_date)
                .fetch_optional(&mut *conn)
                .await?;
            let certificate = certificate.ok_or_else(|| {
                EditError::Forbidden(format!(
                    "account `{who}` has no broker's certificate in force on {}",
                    deal.contract_date
                ))
            })?;
            deal.broker_certificate =
                Some(certificate.parse().map_err(|e| EditError::Server(format!("stored certificate: {e}")))?);
            "broker"
        }
        MarketRight::Notary => match &deal.notary_office {
            Some(office) if same(office, &account.organisation) => "notary",
            _ => {
                return Err(EditError::Forbidden(format!(
                    "account `{who}` records the contracts {} notarised (CongChung, VanPhongCongChung) only",
                    account.organisation
                )));
            }
        },
    });
    Ok(())
}

/// A refused store as the caller's error: every reason, in words.
fn refused(e: ImportError) -> EditError {
    match e {
        ImportError::Refused(lines) => EditError::Conflict(
            lines.iter().map(|l| format!("{}: {}", l.subject, l.detail)).collect::<Vec<_>>().join("; "),
        ),
        ImportError::Database(e) => EditError::Database(e),
        other => EditError::Invalid(other.to_string()),
    }
}

/// Records one transaction given as a JSON object with the import's fields; returns its id.
pub async fn submit(
    pool: &PgPool,
    account: &Account,
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<i64, EditError> {
    right(account)?;
    let attributes = attributes_of(Transactions::FIELDS, body).map_err(EditError::Invalid)?;
    let mut deal = check_one::<Transactions>(&attributes, None, &WGS84).map_err(EditError::Invalid)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "record transaction", Some(&Transactions::key(&deal)))
            .await?;
    allow(change.conn(), account, &mut deal).await?;
    let mut report = Report::default();
    Transactions::write(change.conn(), None, std::slice::from_ref(&deal), &mut report, Write::Add)
        .await
        .map_err(refused)?;
    report.checked().map_err(refused)?;
    let id: i64 = sqlx::query_scalar(include_str!("sql/transaction_of_change.sql"))
        .bind(change.id())
        .fetch_one(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(id)
}

type OneRow = (Option<String>, Option<String>, String, Option<chrono::DateTime<chrono::Utc>>);

/// Cancels transaction `id` (kept, with its time and reason): by a market officer in scope, or
/// by the account that recorded it. The unit's status follows.
pub async fn cancel(pool: &PgPool, account: &Account, id: i64, reason: &str) -> Result<(), EditError> {
    let reason = text("reason", reason)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "cancel transaction", Some(&id.to_string())).await?;
    let found: Option<OneRow> =
        sqlx::query_as(include_str!("sql/transaction_one.sql")).bind(id).fetch_optional(change.conn()).await?;
    let (product, parcel, submitted_by, cancelled) =
        found.ok_or_else(|| EditError::NotFound(format!("no transaction {id}")))?;
    if let Some(at) = cancelled {
        return Err(EditError::Conflict(format!("transaction {id} was cancelled on {at}")));
    }
    if submitted_by != Actor::account(&account.username).as_str() {
        super::officer(account)?;
        in_scope(account, &subject_of(change.conn(), &product, &parcel).await?)?;
    }
    sqlx::query(include_str!("sql/transaction_cancel.sql")).bind(id).bind(&reason).execute(change.conn()).await?;
    unit_status(change.conn(), &product.into_iter().collect::<Vec<_>>()).await?;
    change.commit(pool).await?;
    Ok(())
}

/// The transactions of a unit or parcel the account may read: all of them for a market officer
/// in scope; those it recorded (or of its projects, for an investor) otherwise.
pub async fn of_subject(pool: &PgPool, account: &Account, subject: &Subject) -> Result<Vec<Recorded>, EditError> {
    let (product, parcel) = columns(subject)?;
    let mut conn = pool.acquire().await?;
    let only = match right(account)? {
        MarketRight::Any => {
            in_scope(account, &subject_of(&mut conn, &product, &parcel).await?)?;
            None
        }
        _ => Some(Actor::account(&account.username).as_str().to_owned()),
    };
    let investor = matches!(account.market, Some(MarketRight::Investor)).then(|| account.organisation.clone());
    Ok(sqlx::query_as(include_str!("sql/transactions_of.sql"))
        .bind(&product)
        .bind(&parcel)
        .bind(&only)
        .bind(&investor)
        .fetch_all(&mut *conn)
        .await?)
}
