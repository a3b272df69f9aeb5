//! Public-service workflows on working-day deadlines (seeds 002, 004): data-provision requests,
//! correction tickets, and notices of planned interruptions. Every change passes through the
//! write gateway; every deadline comes from the one calculator in [`crate::calendar`].

pub mod notices;
pub mod requests;
pub mod tickets;

use crate::access::Account;
use crate::edits::EditError;

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
