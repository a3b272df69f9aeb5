//! The market registries of Decree 357/2025 (seeds 000, 001): transactions recorded by the
//! accounts allowed to, the broker registry and apartment-management units, and the market
//! statistics published from them as open data. Every change passes through the write gateway.

pub mod brokers;
pub mod stats;
pub mod transactions;

use crate::access::{Account, MarketRight};
use crate::edits::EditError;
use crate::edits::text;

/// The account's right over the registry, or why it has none.
fn right(account: &Account) -> Result<MarketRight, EditError> {
    account.market.ok_or_else(|| {
        EditError::Forbidden(format!(
            "account `{}` does not record transactions: that takes the market_officer, investor, broker, notary or admin role",
            account.username
        ))
    })
}

/// Registry changes beyond recording one's own transactions are the market officers' and the admin's.
fn officer(account: &Account) -> Result<(), EditError> {
    match right(account)? {
        MarketRight::Any => Ok(()),
        _ => Err(EditError::Forbidden(format!(
            "account `{}` may record its own transactions only: this takes the market_officer or admin role",
            account.username
        ))),
    }
}
