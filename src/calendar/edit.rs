//! The admin's edits of the calendar (a swap announced late, a holiday moved), each a change
//! through the write gateway.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;

use super::{DayKind, check_day};
use crate::access::Account;
use crate::edits::{EditError, text};
use crate::storage::gateway::{Actor, Change};

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Day {
    pub day: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

fn admin(account: &Account) -> Result<(), EditError> {
    match account.is_admin() {
        true => Ok(()),
        false => Err(EditError::Forbidden("the calendar is edited by the admin".into())),
    }
}

/// Sets what `day` is.
pub async fn set(pool: &PgPool, account: &Account, day: NaiveDate, kind: DayKind, name: &str) -> Result<(), EditError> {
    admin(account)?;
    check_day(day, kind).map_err(EditError::Invalid)?;
    let name = text("name", name)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "set a calendar day", Some(&day.to_string())).await?;
    let id = change.id();
    sqlx::query(include_str!("sql/day_set.sql"))
        .bind(day)
        .bind(kind)
        .bind(&name)
        .bind(id)
        .execute(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(())
}

/// Makes `day` what its weekday says again.
pub async fn remove(pool: &PgPool, account: &Account, day: NaiveDate) -> Result<(), EditError> {
    admin(account)?;
    let mut change =
        Change::begin(pool, &Actor::account(&account.username), "remove a calendar day", Some(&day.to_string()))
            .await?;
    let done = sqlx::query(include_str!("sql/day_remove.sql")).bind(day).execute(change.conn()).await?;
    if done.rows_affected() == 0 {
        return Err(EditError::NotFound(format!("{day} is not in the calendar")));
    }
    change.commit(pool).await?;
    Ok(())
}

/// The listed days of `year`.
pub async fn year(pool: &PgPool, year: i32) -> Result<Vec<Day>, EditError> {
    Ok(sqlx::query_as(include_str!("sql/days_of_year.sql")).bind(year as f64).fetch_all(pool).await?)
}
