//! Public-service workflows on working-day deadlines (seeds 002, 004): data-provision requests,
//! correction tickets, and notices of planned interruptions. Every change passes through the
//! write gateway; every deadline comes from the one calculator in [`crate::calendar`].

pub mod notices;
pub mod requests;
pub mod tickets;

use sqlx::postgres::PgRow;

use crate::access::Account;
use crate::edits::EditError;

/// What a list of requests or tickets selects.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    pub state: Option<&'a str>,
    /// Only those past their due date while it is the office's turn.
    pub overdue: bool,
}

/// The rows of a workflow's list query `sql`: the one numbered `no`, or those touching
/// `communes` (all with `None`) as `s` selects; locked when read inside a change.
async fn select<T>(
    conn: &mut sqlx::PgConnection,
    sql: &'static str,
    no: Option<&str>,
    communes: Option<Vec<String>>,
    s: &Selection<'_>,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .bind(no)
        .bind(communes)
        .bind(s.state)
        .bind(s.overdue)
        .bind(crate::calendar::today())
        .fetch_all(conn)
        .await
}

/// The row numbered `no` of list query `sql`, or a 404 naming `what` it is.
async fn one<T>(conn: &mut sqlx::PgConnection, sql: &'static str, no: &str, what: &str) -> Result<T, EditError>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    let found = select(conn, sql, Some(no), None, &Selection::default()).await?;
    found.into_iter().next().ok_or_else(|| EditError::NotFound(format!("no {what} {no}")))
}

/// The communes a list is narrowed to for `account` (all with `None`).
fn communes_of(account: &Account) -> Option<Vec<String>> {
    account.communes.as_ref().map(|c| c.iter().cloned().collect())
}

/// Working requests and tickets is the registration office's (the `services` roles').
fn worker(account: &Account) -> Result<(), EditError> {
    match account.services {
        true => Ok(()),
        false => Err(EditError::Forbidden(format!(
            "account `{}` does not work requests or tickets: that takes the registrar or admin role",
            account.username
        ))),
    }
}

/// Refuses what lies outside the account's scope, naming it.
fn in_scope(account: &Account, communes: &[&str], what: &str) -> Result<(), EditError> {
    match account.covers(communes.iter().copied()) {
        true => Ok(()),
        false => Err(EditError::Forbidden(format!(
            "{what} is in commune(s) {} outside the scope of account `{}`",
            communes.join(", "),
            account.username
        ))),
    }
}

impl From<crate::calendar::CalendarError> for EditError {
    fn from(e: crate::calendar::CalendarError) -> EditError {
        EditError::Conflict(e.to_string())
    }
}
