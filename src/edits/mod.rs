//! Officers' edits of cadastral data. Every edit passes through the write gateway (who, what,
//! audited in its own transaction), checks the account's right and scope, and keeps history: the
//! current version of a parcel is closed and the next one added, the parcel keeping its ID (the
//! ID names the parcel, not its current shape or attributes).
//!
//! Today: a parcel's attributes (land use, legal area, address, digital address, alley width),
//! as OGC API - Features Part 4 PATCH sends them. Geometry edits, new parcels, retirement, and
//! split and merge events come next (issue 13).

use serde_json::{Map, Value};
use sqlx::PgPool;

use crate::access::{Account, Cadastre};
use crate::domain::{DigitalAddress, LandUse, ParcelId};
use crate::storage::gateway::{Actor, Change};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("no current parcel `{0}`")]
    NotFound(String),
    /// The account may not make this edit.
    #[error("{0}")]
    Forbidden(String),
    /// `If-Match` named another version than the current one.
    #[error("parcel `{parcel}` has changed: its current version is {current}, not {sent}")]
    Stale { parcel: String, current: String, sent: String },
    /// The caller's values break a rule.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The strong entity tag of a parcel version: its row number, quoted.
pub fn etag(uid: i64) -> String {
    format!("\"{uid}\"")
}

/// The attributes an edit sets; `Some(None)` clears an optional one.
#[derive(Debug, Default, PartialEq)]
struct Attributes {
    land_use: Option<LandUse>,
    legal_area_m2: Option<Option<f64>>,
    address: Option<Option<String>>,
    digital_address: Option<Option<DigitalAddress>>,
    alley_width_m: Option<Option<f64>>,
}

/// A JSON merge patch's properties (RFC 7396: a null clears), checked with the rules an import
/// applies to the same attributes.
fn attributes(properties: &Map<String, Value>) -> Result<Attributes, EditError> {
    let invalid = |m: String| EditError::Invalid(m);
    let positive = |name: &str, v: &Value| -> Result<Option<f64>, EditError> {
        match v {
            Value::Null => Ok(None),
            v => v
                .as_f64()
                .filter(|x| *x > 0.0 && x.is_finite())
                .map(Some)
                .ok_or_else(|| invalid(format!("{name} `{v}` is not a positive number"))),
        }
    };
    let text = |name: &str, v: &Value| -> Result<Option<String>, EditError> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) if !s.trim().is_empty() && !s.contains('\0') => Ok(Some(s.trim().to_owned())),
            v => Err(invalid(format!("{name} `{v}` must be a non-empty text without NUL characters, or null"))),
        }
    };
    let mut a = Attributes::default();
    for (name, v) in properties {
        match name.as_str() {
            "land_use" => {
                let codes =
                    v.as_str().ok_or_else(|| invalid(format!("land_use `{v}` must be text such as \"ODT+TMD\"")))?;
                a.land_use = Some(codes.parse().map_err(|e: crate::domain::IdError| invalid(e.to_string()))?);
            }
            "legal_area_m2" => a.legal_area_m2 = Some(positive(name, v)?),
            "alley_width_m" => a.alley_width_m = Some(positive(name, v)?),
            "address" => a.address = Some(text(name, v)?),
            "digital_address" => {
                let d = text(name, v)?.map(|d| d.parse::<DigitalAddress>()).transpose();
                a.digital_address = Some(d.map_err(|e| invalid(e.to_string()))?);
            }
            other => {
                return Err(invalid(format!(
                    "`{other}` cannot be edited here: land_use, legal_area_m2, address, digital_address and alley_width_m can"
                )));
            }
        }
    }
    if a == Attributes::default() {
        return Err(invalid("the patch changes nothing: give properties to change".into()));
    }
    Ok(a)
}

/// Applies a merge patch's `properties` to the current version of `parcel`, as `account`;
/// `if_match` (an entity tag) makes it conditional. Returns the new version's entity tag.
pub async fn patch_parcel(
    pool: &PgPool,
    account: &Account,
    parcel: &ParcelId,
    if_match: Option<&str>,
    properties: &Map<String, Value>,
) -> Result<String, EditError> {
    if account.cadastre != Some(Cadastre::Edit) {
        return Err(EditError::Forbidden("changing parcels takes the registrar or admin role".into()));
    }
    let edit = attributes(properties)?;
    let actor = Actor::account(&account.username);
    let mut change = Change::begin(pool, &actor, "edit parcel", Some(parcel.as_str())).await?;
    sqlx::query(include_str!("sql/parcel_edit_lock.sql")).bind(parcel.as_str()).execute(change.conn()).await?;
    let current: Option<(i64, String, Option<String>)> =
        sqlx::query_as(include_str!("sql/parcel_current_for_update.sql"))
            .bind(parcel.as_str())
            .fetch_optional(change.conn())
            .await?;
    let Some((uid, recorded, commune)) = current else {
        return Err(EditError::NotFound(parcel.as_str().to_owned()));
    };
    if !account.covers([Some(recorded.as_str()), commune.as_deref()].into_iter().flatten()) {
        return Err(EditError::Forbidden(format!(
            "parcel `{}` of commune {recorded} is outside this account's scope",
            parcel.as_str()
        )));
    }
    if let Some(sent) = if_match.map(str::trim).filter(|t| *t != "*")
        && sent != etag(uid)
    {
        return Err(EditError::Stale { parcel: parcel.as_str().to_owned(), current: etag(uid), sent: sent.to_owned() });
    }
    let codes: Option<Vec<&str>> = edit.land_use.as_ref().map(|l| l.codes().iter().map(|c| c.as_str()).collect());
    let next: i64 = sqlx::query_scalar(include_str!("sql/parcel_next_version.sql"))
        .bind(uid)
        .bind(codes)
        .bind(edit.legal_area_m2.flatten())
        .bind(edit.address.clone().flatten())
        .bind(edit.digital_address.clone().flatten().map(|d| d.as_str().to_owned()))
        .bind(edit.alley_width_m.flatten())
        .bind(edit.legal_area_m2.is_some())
        .bind(edit.address.is_some())
        .bind(edit.digital_address.is_some())
        .bind(edit.alley_width_m.is_some())
        .fetch_one(change.conn())
        .await?;
    sqlx::query(include_str!("sql/recorded_holders_carry.sql")).bind(uid).bind(next).execute(change.conn()).await?;
    change.commit(pool).await?;
    Ok(etag(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_patch_is_checked_as_an_import_checks_the_same_attributes() {
        let a = attributes(&props(serde_json::json!({ "land_use": "ODT+TMD", "address": null }))).unwrap();
        assert_eq!(a.land_use.unwrap().codes().len(), 2);
        assert_eq!(a.address, Some(None));
        for (bad, says) in [
            (serde_json::json!({ "land_use": "XYZ" }), "XYZ"),
            (serde_json::json!({ "legal_area_m2": -3 }), "not a positive number"),
            (serde_json::json!({ "legal_area_m2": "12" }), "not a positive number"),
            (serde_json::json!({ "address": "a\u{0}b" }), "NUL"),
            (serde_json::json!({ "parcel_id": "x" }), "cannot be edited"),
            (serde_json::json!({}), "changes nothing"),
        ] {
            let e = attributes(&props(bad.clone())).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
