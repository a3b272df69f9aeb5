//! The security-interest registry (seed 003, Decree 99/2022): mortgages of land use rights and
//! attached assets, registered, amended and released by accounts whose roles keep the registry
//! (`roles.security_interests`: admin, registrar, justice officer) within their scope. Every
//! change goes through the write gateway and is an event with the account; nothing is deleted.
//! Priority between registrations over one parcel follows their registration time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::EditError;
use crate::access::Account;
use crate::domain::ParcelId;
use crate::storage::gateway::{Actor, Change};

/// A registration as its body gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub parcels: Vec<String>,
    #[serde(default)]
    pub certificates: Vec<String>,
    pub secured_party: String,
    pub secured_party_tax_code: Option<String>,
    pub giver_name: String,
    pub giver_id: Option<String>,
    pub assets: Option<String>,
    pub amount_vnd: Option<i64>,
    pub contract_ref: String,
}

/// What an amendment may change.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    pub secured_party: Option<String>,
    pub secured_party_tax_code: Option<String>,
    pub amount_vnd: Option<i64>,
    pub contract_ref: Option<String>,
    pub assets: Option<String>,
    pub certificates: Option<Vec<String>>,
    pub reason: Option<String>,
}

/// A registration as the registry keeps it (personal data: the security giver).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Interest {
    pub registration_no: String,
    pub registered_at: DateTime<Utc>,
    pub secured_party: String,
    pub secured_party_tax_code: Option<String>,
    pub giver_name: String,
    pub giver_id: Option<String>,
    pub parcels: Vec<String>,
    pub certificates: Vec<String>,
    pub assets: Option<String>,
    pub amount_vnd: Option<i64>,
    pub contract_ref: String,
    pub released_at: Option<DateTime<Utc>>,
}

fn invalid(m: impl Into<String>) -> EditError {
    EditError::Invalid(m.into())
}

/// Text a registration stores: not empty, no NUL.
fn text(name: &str, v: &str) -> Result<(), EditError> {
    match v.trim().is_empty() || v.contains('\0') {
        true => Err(invalid(format!("{name} must be a non-empty text without NUL characters"))),
        false => Ok(()),
    }
}

fn digits(name: &str, v: &str, lengths: &[usize]) -> Result<(), EditError> {
    match lengths.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(invalid(format!(
            "{name} `{v}` must be {} digits",
            lengths.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" or ")
        ))),
    }
}

fn certificates(list: &[String]) -> Result<(), EditError> {
    match list.iter().find(|c| c.len() != 12 || !c.bytes().all(|b| b.is_ascii_alphanumeric())) {
        Some(c) => Err(invalid(format!("certificate number `{c}` must be 12 letters and digits"))),
        None => Ok(()),
    }
}

fn amount(v: Option<i64>) -> Result<(), EditError> {
    match v {
        Some(a) if a <= 0 => Err(invalid(format!("amount_vnd {a} must be positive"))),
        _ => Ok(()),
    }
}

/// Whether `account` keeps the registry.
fn keeper(account: &Account) -> Result<(), EditError> {
    match account.security_interests {
        true => Ok(()),
        false => Err(EditError::Forbidden(format!(
            "account `{}` does not keep the security-interest registry: that takes the justice_officer, registrar or admin role",
            account.username
        ))),
    }
}

/// A parcel, its recorded and current communes, and its province.
type ParcelCommunes = (String, String, Option<String>, Option<String>);

/// The parcels named, current, in the account's scope; returns the province of the first.
async fn parcels_in_scope(
    conn: &mut sqlx::PgConnection,
    account: &Account,
    parcels: &[String],
) -> Result<Option<String>, EditError> {
    let rows: Vec<ParcelCommunes> =
        sqlx::query_as(include_str!("sql/mortgages/parcels.sql")).bind(parcels).fetch_all(&mut *conn).await?;
    if let Some(missing) = parcels.iter().find(|p| !rows.iter().any(|r| &r.0 == *p)) {
        return Err(EditError::NotFound(format!("no current parcel `{missing}`")));
    }
    if let Some((p, recorded, ..)) = rows.iter().find(|(_, recorded, current, _)| {
        !account.covers([Some(recorded.as_str()), current.as_deref()].into_iter().flatten())
    }) {
        return Err(EditError::Forbidden(format!(
            "parcel {p} of commune {recorded} is outside the scope of account `{}`",
            account.username
        )));
    }
    Ok(rows.first().and_then(|r| r.3.clone()))
}

/// Registers a security interest. Returns its number and registration time.
pub async fn register(pool: &PgPool, account: &Account, r: Registration) -> Result<(String, DateTime<Utc>), EditError> {
    keeper(account)?;
    if r.parcels.is_empty() {
        return Err(invalid("a registration covers at least one parcel"));
    }
    let parcels = r
        .parcels
        .iter()
        .map(|p| p.parse::<ParcelId>().map(|p| p.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    for (name, v) in
        [("secured_party", &r.secured_party), ("giver_name", &r.giver_name), ("contract_ref", &r.contract_ref)]
    {
        text(name, v)?;
    }
    if let Some(a) = &r.assets {
        text("assets", a)?;
    }
    if let Some(t) = &r.secured_party_tax_code {
        digits("secured_party_tax_code", t, &[10, 13])?;
    }
    if let Some(g) = &r.giver_id {
        digits("giver_id", g, &[12, 10, 13])?;
    }
    certificates(&r.certificates)?;
    amount(r.amount_vnd)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "register security interest", Some(&parcels.join(",")))
            .await?;
    let province = parcels_in_scope(change.conn(), account, &parcels).await?.unwrap_or_else(|| "00".into());
    let prefix = format!("TC-{province}-{}-", Utc::now().format("%Y"));
    sqlx::query("SELECT pg_advisory_xact_lock(7450014, hashtext($1))").bind(&prefix).execute(change.conn()).await?;
    let no: String =
        sqlx::query_scalar(include_str!("sql/mortgages/next_no.sql")).bind(&prefix).fetch_one(change.conn()).await?;
    let at: DateTime<Utc> = sqlx::query_scalar(include_str!("sql/mortgages/insert.sql"))
        .bind(&no)
        .bind(r.secured_party.trim())
        .bind(&r.secured_party_tax_code)
        .bind(r.giver_name.trim())
        .bind(&r.giver_id)
        .bind(&parcels)
        .bind(r.certificates.iter().map(|c| c.to_ascii_uppercase()).collect::<Vec<_>>())
        .bind(&r.assets)
        .bind(r.amount_vnd)
        .bind(r.contract_ref.trim())
        .fetch_one(change.conn())
        .await?;
    event(&mut change, &no, "registration", &account.username, serde_json::json!({})).await?;
    change.commit(pool).await?;
    Ok((no, at))
}

async fn event(
    change: &mut Change,
    no: &str,
    kind: &str,
    actor: &str,
    details: serde_json::Value,
) -> Result<(), EditError> {
    let id = change.id();
    sqlx::query(include_str!("sql/mortgages/event_insert.sql"))
        .bind(no)
        .bind(kind)
        .bind(actor)
        .bind(id)
        .bind(details)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Registration `no`, locked, if the account keeps the registry and its scope holds the parcels.
async fn in_force(change: &mut Change, account: &Account, no: &str) -> Result<Interest, EditError> {
    keeper(account)?;
    let found: Option<Interest> =
        sqlx::query_as(include_str!("sql/mortgages/one.sql")).bind(no).fetch_optional(change.conn()).await?;
    let interest = found.ok_or_else(|| EditError::NotFound(format!("no security interest registered as `{no}`")))?;
    parcels_in_scope(change.conn(), account, &interest.parcels).await?;
    if let Some(at) = interest.released_at {
        return Err(EditError::Conflict(format!("registration {no} was released on {at}")));
    }
    Ok(interest)
}

/// Amends registration `no`.
pub async fn amend(pool: &PgPool, account: &Account, no: &str, a: Amendment) -> Result<(), EditError> {
    for (name, v) in [("secured_party", &a.secured_party), ("contract_ref", &a.contract_ref), ("assets", &a.assets)] {
        if let Some(v) = v {
            text(name, v)?;
        }
    }
    if let Some(t) = &a.secured_party_tax_code {
        digits("secured_party_tax_code", t, &[10, 13])?;
    }
    certificates(a.certificates.as_deref().unwrap_or_default())?;
    amount(a.amount_vnd)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "amend security interest", Some(no)).await?;
    in_force(&mut change, account, no).await?;
    sqlx::query(include_str!("sql/mortgages/amend.sql"))
        .bind(no)
        .bind(&a.secured_party)
        .bind(&a.secured_party_tax_code)
        .bind(a.amount_vnd)
        .bind(&a.contract_ref)
        .bind(&a.assets)
        .bind(&a.certificates)
        .execute(change.conn())
        .await?;
    let details = serde_json::json!({ "secured_party": a.secured_party, "amount_vnd": a.amount_vnd, "contract_ref": a.contract_ref,
                                      "assets": a.assets, "certificates": a.certificates, "reason": a.reason });
    event(&mut change, no, "amendment", &account.username, details).await?;
    change.commit(pool).await?;
    Ok(())
}

/// Releases registration `no` (xóa đăng ký): it stays, with its release time.
pub async fn release(
    pool: &PgPool,
    account: &Account,
    no: &str,
    reason: Option<String>,
) -> Result<DateTime<Utc>, EditError> {
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "release security interest", Some(no)).await?;
    in_force(&mut change, account, no).await?;
    let at: DateTime<Utc> =
        sqlx::query_scalar(include_str!("sql/mortgages/release.sql")).bind(no).fetch_one(change.conn()).await?;
    event(&mut change, no, "release", &account.username, serde_json::json!({ "reason": reason })).await?;
    change.commit(pool).await?;
    Ok(at)
}

/// The registrations over `parcel`, in priority order, for an account that keeps the registry in
/// the parcel's scope.
pub async fn of_parcel(pool: &PgPool, account: &Account, parcel: &ParcelId) -> Result<Vec<Interest>, EditError> {
    keeper(account)?;
    let mut conn = pool.acquire().await?;
    parcels_in_scope(&mut conn, account, &[parcel.to_string()]).await?;
    Ok(sqlx::query_as(include_str!("sql/mortgages/of_parcel.sql")).bind(parcel.as_str()).fetch_all(&mut *conn).await?)
}

/// A registration in force over a parcel: its number, the parcel, its registration time.
pub type Encumbrance = (String, String, DateTime<Utc>);

/// Registrations in force over any of `parcels`.
pub async fn active(conn: &mut sqlx::PgConnection, parcels: &[String]) -> Result<Vec<Encumbrance>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/mortgages/active.sql")).bind(parcels).fetch_all(conn).await
}

/// One month of a registry report.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub month: i32,
    pub registrations: i64,
    pub amendments: i64,
    pub releases: i64,
    pub transactions_recorded: i64,
    pub information_provided: i64,
}

/// The registries' report for `province` and `year` (seed 003 Art. 10, seed 000 Art. 4), month
/// by month, for the admin and the officers of either registry whose scope is the province.
pub async fn report(pool: &PgPool, account: &Account, province: &str, year: i32) -> Result<Vec<ReportRow>, EditError> {
    if account.market != Some(crate::access::MarketRight::Any) {
        keeper(account)?;
    }
    if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("province `{province}` must be a 2-digit province code")));
    }
    if account.communes.is_some() && !account.scope.iter().any(|s| s == province) {
        return Err(EditError::Forbidden(format!(
            "the report of province {province} is for the admin and officers whose scope is that province"
        )));
    }
    Ok(sqlx::query_as(include_str!("sql/mortgages/report.sql")).bind(province).bind(year).fetch_all(pool).await?)
}
