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

use serde_json::{Map, Value};

use super::error::ApiError;
use crate::edits::Grounds;

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
    Ok(Grounds { reason: take("reason")?, legal_basis: take("legal_basis")? })
}
