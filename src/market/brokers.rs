//! The broker registry (brokers' practising certificates, their revocation) and the management
//! units of apartment buildings. Certificates and units are identified by Decree 357's IDs
//! (src/domain/market_ids.rs); a certificate's ID ends with its revoked flag, so revoking one
//! changes its ID, and a verification by either ID answers with the current one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{officer, text};
use crate::access::Account;
use crate::domain::market_ids::{BrokerCertificateId, Holder, ManagementUnitId};
use crate::edits::EditError;
use crate::storage::gateway::{Actor, Change};

/// A certificate as its body gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCertificate {
    pub province: String,
    pub holder_id: String,
    pub full_name: String,
    pub issued_on: NaiveDate,
    /// The number printed on the certificate; the next in the province when absent.
    pub certificate_no: Option<u32>,
    /// The account the broker signs in with, to record its deals.
    pub account: Option<String>,
}

/// A certificate as the registry keeps it (personal data: the holder).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Certificate {
    #[sqlx(skip)]
    pub certificate_id: String,
    pub province_code: String,
    pub certificate_no: i32,
    pub holder_id: String,
    pub full_name: String,
    pub issued_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub revocation_reason: Option<String>,
    pub account: Option<String>,
}

impl Certificate {
    fn id(&self) -> Result<BrokerCertificateId, EditError> {
        let holder: Holder = self.holder_id.parse().map_err(|e| EditError::Server(format!("stored holder: {e}")))?;
        BrokerCertificateId::new(
            &self.province_code,
            holder,
            self.issued_on,
            self.certificate_no as u32,
            self.revoked_on.is_some(),
        )
        .map_err(|e| EditError::Server(format!("stored certificate: {e}")))
    }

    fn with_id(mut self) -> Result<Self, EditError> {
        self.certificate_id = self.id()?.to_string();
        Ok(self)
    }
}

fn invalid(e: impl ToString) -> EditError {
    EditError::Invalid(e.to_string())
}

/// Registers a certificate; returns its ID.
pub async fn register(pool: &PgPool, account: &Account, c: NewCertificate) -> Result<String, EditError> {
    officer(account)?;
    let holder: Holder = c.holder_id.parse().map_err(invalid)?;
    let full_name = text("full_name", &c.full_name)?;
    // Checks the province and number as the ID will carry them.
    BrokerCertificateId::new(&c.province, holder.clone(), c.issued_on, c.certificate_no.unwrap_or(1), false)
        .map_err(invalid)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "register broker certificate", Some(&c.province))
            .await?;
    sqlx::query("SELECT pg_advisory_xact_lock(7450015, hashtext($1))").bind(&c.province).execute(change.conn()).await?;
    let no: i32 = sqlx::query_scalar(include_str!("sql/broker_insert.sql"))
        .bind(&c.province)
        .bind(holder.as_str())
        .bind(&full_name)
        .bind(c.issued_on)
        .bind(&c.account)
        .bind(c.certificate_no.map(|n| n as i32))
        .fetch_one(change.conn())
        .await
        .map_err(|e| match e.as_database_error() {
            Some(d) if d.is_unique_violation() => EditError::Conflict(format!(
                "a certificate with that number already exists in province {}, or the account already has one",
                c.province
            )),
            Some(d) if d.is_foreign_key_violation() => {
                EditError::NotFound(format!("no province {} or no account {:?}", c.province, c.account))
            }
            _ => EditError::Database(e),
        })?;
    change.commit(pool).await?;
    let id = BrokerCertificateId::new(&c.province, holder, c.issued_on, no as u32, false).map_err(invalid)?;
    Ok(id.to_string())
}

/// The certificate `id` names (revoked flag aside), locked in the change.
async fn certificate(conn: &mut sqlx::PgConnection, id: &str) -> Result<Certificate, EditError> {
    let id: BrokerCertificateId = id.parse().map_err(invalid)?;
    let found: Option<Certificate> = sqlx::query_as(include_str!("sql/broker_one.sql"))
        .bind(&id.province)
        .bind(id.number as i32)
        .fetch_optional(conn)
        .await?;
    match found {
        Some(c) if c.holder_id == id.holder.as_str() && c.issued_on == id.issued_on => c.with_id(),
        _ => Err(EditError::NotFound(format!("no broker's certificate {id} is registered"))),
    }
}

/// Revokes certificate `id` on `on`; returns its new ID (the revoked flag set).
pub async fn revoke(
    pool: &PgPool,
    account: &Account,
    id: &str,
    on: NaiveDate,
    reason: &str,
) -> Result<String, EditError> {
    officer(account)?;
    let reason = text("reason", reason)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "revoke broker certificate", Some(id)).await?;
    let c = certificate(change.conn(), id).await?;
    if let Some(at) = c.revoked_on {
        return Err(EditError::Conflict(format!("certificate {} was revoked on {at}", c.certificate_id)));
    }
    if on < c.issued_on {
        return Err(EditError::Invalid(format!("a certificate issued on {} cannot be revoked on {on}", c.issued_on)));
    }
    sqlx::query(include_str!("sql/broker_revoke.sql"))
        .bind(&c.province_code)
        .bind(c.certificate_no)
        .bind(on)
        .bind(&reason)
        .execute(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(c.id()?.revoke().to_string())
}

/// What anyone holding a certificate's ID may learn: whether it is in force, and its current ID.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub certificate_id: String,
    pub in_force: bool,
    pub issued_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
}

pub async fn verify(pool: &PgPool, id: &str) -> Result<Verification, EditError> {
    let mut conn = pool.acquire().await?;
    let c = certificate(&mut conn, id).await?;
    Ok(Verification {
        in_force: c.revoked_on.is_none(),
        certificate_id: c.certificate_id,
        issued_on: c.issued_on,
        revoked_on: c.revoked_on,
    })
}

/// The registry of a province (all with `None`), for market officers.
pub async fn list(pool: &PgPool, account: &Account, province: Option<&str>) -> Result<Vec<Certificate>, EditError> {
    officer(account)?;
    let rows: Vec<Certificate> =
        sqlx::query_as(include_str!("sql/brokers_of.sql")).bind(province).fetch_all(pool).await?;
    rows.into_iter().map(Certificate::with_id).collect()
}

/// A management unit as its body gives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewManagementUnit {
    pub tax_code: String,
    pub notice_on: NaiveDate,
    pub name: String,
    pub project_code: String,
    pub building: String,
}

/// A management unit of a building (organisations: public).
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ManagementUnit {
    #[sqlx(skip)]
    pub management_unit_id: String,
    pub tax_code: String,
    pub notice_on: NaiveDate,
    pub name: String,
    pub project_code: String,
    pub building: String,
}

/// Registers the management unit of a building; returns its ID.
pub async fn register_management_unit(
    pool: &PgPool,
    account: &Account,
    m: NewManagementUnit,
) -> Result<String, EditError> {
    officer(account)?;
    let id = ManagementUnitId::new(&m.tax_code, m.notice_on).map_err(invalid)?;
    let (name, building) = (text("name", &m.name)?, text("building", &m.building)?);
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "register management unit", Some(&id.to_string()))
            .await?;
    sqlx::query(include_str!("sql/management_unit_insert.sql"))
        .bind(&id.tax_code)
        .bind(m.notice_on)
        .bind(&name)
        .bind(&m.project_code)
        .bind(&building)
        .execute(change.conn())
        .await
        .map_err(|e| match e.as_database_error() {
            Some(d) if d.is_foreign_key_violation() => EditError::NotFound(format!("no project {}", m.project_code)),
            Some(d) if d.is_unique_violation() => EditError::Conflict(format!("{id} already manages that building")),
            _ => EditError::Database(e),
        })?;
    change.commit(pool).await?;
    Ok(id.to_string())
}

pub async fn management_units(pool: &PgPool, project: &str) -> Result<Vec<ManagementUnit>, EditError> {
    let rows: Vec<ManagementUnit> =
        sqlx::query_as(include_str!("sql/management_units_of.sql")).bind(project).fetch_all(pool).await?;
    rows.into_iter()
        .map(|mut m| {
            m.management_unit_id = ManagementUnitId::new(&m.tax_code, m.notice_on).map_err(invalid)?.to_string();
            Ok(m)
        })
        .collect()
}
