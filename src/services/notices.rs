//! Notices of planned interruptions of the service or of data provision (seed 004; seed 002
//! Art. 4.5): entered by the admin at least 7 working days ahead, listed publicly, shown on the
//! web map and sent as a header on API answers until the interruption ends.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::access::Account;
use crate::calendar::{self, Calendar};
use crate::edits::{EditError, text};
use crate::storage::gateway::{Actor, Change};

/// Working days a notice must precede its interruption by.
pub const NOTICE_DAYS: u32 = 7;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNotice {
    /// `service` (the whole service) or `provision` (data provision).
    pub kind: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

fn admin(account: &Account) -> Result<(), EditError> {
    match account.is_admin() {
        true => Ok(()),
        false => Err(EditError::Forbidden("notices are entered by the admin".into())),
    }
}

/// Records a notice; returns its id.
pub async fn announce(pool: &PgPool, account: &Account, n: NewNotice) -> Result<i64, EditError> {
    admin(account)?;
    if !["service", "provision"].contains(&n.kind.as_str()) {
        return Err(EditError::Invalid(format!("kind `{}` must be service or provision", n.kind)));
    }
    let message = text("message", &n.message)?;
    if n.ends_at <= n.starts_at {
        return Err(EditError::Invalid("ends_at must come after starts_at".into()));
    }
    let earliest = Calendar::load(pool).await?.deadline(&Utc::now(), NOTICE_DAYS, None)?;
    let starts_on = n.starts_at.with_timezone(&calendar::vietnam()).date_naive();
    if starts_on <= earliest {
        return Err(EditError::Invalid(format!(
            "an interruption is announced at least {NOTICE_DAYS} working days ahead: one announced now starts after {earliest}"
        )));
    }
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "announce an interruption", Some(&message)).await?;
    let change_id = change.id();
    let id: i64 = sqlx::query_scalar(include_str!("sql/notice_insert.sql"))
        .bind(&n.kind)
        .bind(n.starts_at.with_timezone(&Utc))
        .bind(n.ends_at.with_timezone(&Utc))
        .bind(&message)
        .bind(change_id)
        .fetch_one(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(id)
}

pub async fn withdraw(pool: &PgPool, account: &Account, id: i64) -> Result<(), EditError> {
    admin(account)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "withdraw a notice", Some(&id.to_string())).await?;
    let done = sqlx::query(include_str!("sql/notice_withdraw.sql")).bind(id).execute(change.conn()).await?;
    if done.rows_affected() == 0 {
        return Err(EditError::NotFound(format!("no pending notice {id}")));
    }
    change.commit(pool).await?;
    Ok(())
}

/// Notices whose interruption has not ended.
pub async fn pending(pool: &PgPool) -> Result<Vec<Notice>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/notices_pending.sql")).fetch_all(pool).await
}
