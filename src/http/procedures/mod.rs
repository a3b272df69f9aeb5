//! `/api/parcels/…` land procedures: split, merge, transfer of rights, a parcel's history, and
//! `/api/events/…` the scanned dossiers of events.

mod dossier;
mod history;
mod merge;
mod split;
mod transfer;

pub use dossier::{attach, download};
pub use history::history;
pub use merge::merge;
pub use split::split;
pub use transfer::transfer;

use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::ogc::editing;
use crate::access::{Account, Principal};
use crate::edits::Grounds;

/// An account with the edit right, the body's other members, and its reason and legal basis.
type Begun = (Arc<Account>, Map<String, Value>, Grounds);

/// What every procedure on parcels begins with: an account with the edit right, a JSON object
/// of the `shape` given, and its reason and legal basis taken out of it.
fn procedure(principal: Principal, headers: &HeaderMap, body: &[u8], shape: &str) -> Result<Begun, ApiError> {
    let account = editing::editor(principal, "parcels", "PATCH", true)?;
    editing::media(headers, &["application/json"])?;
    let mut body = editing::object(body, shape)?;
    let grounds = grounds(&mut body)?;
    Ok((account, body, grounds))
}

/// The reason and legal basis of a procedure's body, as text when given.
fn grounds(body: &mut Map<String, Value>) -> Result<Grounds, ApiError> {
    let mut take = |name: &str| match body.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => {
            Err(ApiError::bad_request(format!("{name} holds a NUL character")))
        }
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(v) => Err(ApiError::bad_request(format!("{name} `{v}` must be text"))),
    };
    Ok(Grounds {
        reason: take("reason")?,
        legal_basis: take("legal_basis")?,
        secured_party_consent: take("secured_party_consent")?,
    })
}
