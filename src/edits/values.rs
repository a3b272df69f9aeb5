//! What an edit brings (properties by the names the parcels collection shows, a geometry in the
//! CRS it came in) turned into the fields a parcel import reads, so that an edit is checked by
//! exactly the import's rules and messages.

use serde_json::{Map, Value};

use super::EditError;
use crate::crs::Crs;
use crate::domain::LegacyKey;
use crate::import::parcel_fields::{ADDRESS, ALLEY_WIDTH, AREA, COMMUNE, DIGITAL_ADDRESS, LAND_USE, NUMBER, SHEET};
use crate::import::source::{Attributes, Field};

/// How properties apply: merged onto the current parcel (PATCH, WFS Update), or standing for the
/// whole parcel (PUT, POST, WFS Insert), where a property left out is cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Patch,
    Replace,
}

/// A geometry as an edit gives it, in its CRS (longitude or easting first).
#[derive(Debug, Clone)]
pub struct EditGeometry {
    pub geometry: geo::Geometry,
    pub crs: Crs,
}

/// Properties an edit sets, with the import field each is checked as.
const EDITABLE: [(&str, Field); 5] = [
    ("land_use", LAND_USE),
    ("legal_area_m2", AREA),
    ("address", ADDRESS),
    ("digital_address", DIGITAL_ADDRESS),
    ("alley_width_m", ALLEY_WIDTH),
];
/// Identifying properties: an edit may repeat them, not change them.
const KEYS: [&str; 2] = ["parcel_id", "legacy_key"];
/// Properties the service derives (from the commune boundaries, the land-use codes): ignored, as
/// a client sending back the feature it read includes them.
const DERIVED: [&str; 3] = ["commune_code", "commune_name", "land_use_main"];

/// A parcel version as an edit reads it.
pub type Current = crate::storage::parcels::ParcelRow;

/// A parcel's legacy key as written.
pub fn legacy_key(c: &Current) -> String {
    format!("{}-{}-{}", c.commune_code_recorded, c.sheet, c.parcel_no)
}

/// The parcel's fields as an import would read them.
fn fields_of(c: &Current) -> Attributes {
    let mut f: Attributes = [
        (COMMUNE.name, c.commune_code_recorded.clone()),
        (SHEET.name, c.sheet.clone()),
        (NUMBER.name, c.parcel_no.to_string()),
        (LAND_USE.name, c.land_use.join("+")),
    ]
    .into_iter()
    .collect();
    let optional = [
        (AREA.name, c.legal_area_m2.map(|a| a.to_string())),
        (ALLEY_WIDTH.name, c.alley_width_m.map(|a| a.to_string())),
        (ADDRESS.name, c.address.clone()),
        (DIGITAL_ADDRESS.name, c.digital_address.clone()),
    ];
    f.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    f
}

/// The import fields of the parcel after the edit: `current`'s (when patching) with
/// `properties` applied. A new parcel (`current` None) takes its key from `legacy_key`.
pub fn fields(current: Option<&Current>, mode: Mode, properties: &Map<String, Value>) -> Result<Attributes, EditError> {
    let invalid = |m: String| EditError::Invalid(m);
    let mut out = match (current, mode) {
        (Some(c), Mode::Patch) => fields_of(c),
        (Some(c), Mode::Replace) => {
            fields_of(c).into_iter().filter(|(k, _)| [COMMUNE.name, SHEET.name, NUMBER.name].contains(k)).collect()
        }
        (None, _) => Attributes::default(),
    };
    for (name, v) in properties {
        let name = name.as_str();
        if let Some((_, field)) = EDITABLE.iter().find(|(n, _)| *n == name) {
            match text(name, v)? {
                Some(t) => out.insert(field.name, t),
                None if name == "land_use" => {
                    return Err(invalid("land_use cannot be cleared: a parcel has at least one land-use code".into()));
                }
                None => out.remove(field.name),
            };
        } else if KEYS.contains(&name) {
            let given = v.as_str().filter(|s| !s.is_empty());
            match (current, name, given) {
                (_, _, None) => {}
                (Some(c), "parcel_id", Some(g)) if g.eq_ignore_ascii_case(&c.parcel_id) => {}
                (Some(c), "legacy_key", Some(g)) if g == legacy_key(c) => {}
                (None, "legacy_key", Some(g)) => {
                    let key: LegacyKey = g.parse().map_err(|e: crate::domain::IdError| invalid(e.to_string()))?;
                    out.insert(COMMUNE.name, key.commune.to_string());
                    out.insert(SHEET.name, key.sheet.to_string());
                    out.insert(NUMBER.name, key.parcel_no.to_string());
                }
                (None, _, Some(_)) => {
                    return Err(invalid(
                        "parcel_id is computed from the geometry (Circular 19/2026): leave it out".into(),
                    ));
                }
                (Some(_), _, Some(g)) => {
                    return Err(invalid(format!(
                        "{name} `{g}` names the parcel and cannot be changed by an edit: a split or merge makes new parcels"
                    )));
                }
            }
        } else if !DERIVED.contains(&name) {
            let editable: Vec<&str> = EDITABLE.iter().map(|(n, _)| *n).collect();
            return Err(invalid(format!(
                "`{name}` is not a property of parcels that can be edited: {} can",
                editable.join(", ")
            )));
        }
    }
    if current.is_none() && !out.contains_key(COMMUNE.name) {
        return Err(invalid("a new parcel needs its legacy_key COMMUNE-SHEET-PARCEL (e.g. 20248-1-149)".into()));
    }
    Ok(out)
}

/// A property's value as import text: numbers and text as given, null clears.
fn text(name: &str, v: &Value) -> Result<Option<String>, EditError> {
    let numeric = matches!(name, "legal_area_m2" | "alley_width_m");
    match v {
        Value::Null => Ok(None),
        Value::Number(n) if numeric => Ok(Some(n.to_string())),
        Value::String(s) if !numeric && s.contains('\0') => {
            Err(EditError::Invalid(format!("{name} holds a NUL character")))
        }
        Value::String(s) if !numeric && s.trim().is_empty() => Ok(None),
        Value::String(s) if !numeric => Ok(Some(s.trim().to_owned())),
        v if numeric => Err(EditError::Invalid(format!("{name} `{v}` is not a positive number"))),
        v => Err(EditError::Invalid(format!("{name} `{v}` must be text, or null"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_new_parcel_takes_its_key_and_values_in_import_fields() {
        let f = fields(
            None,
            Mode::Replace,
            &props(json!({
                "legacy_key": "20248-1-149", "land_use": "ODT+TMD", "legal_area_m2": 120.5,
                "address": null, "commune_name": "ignored", "parcel_id": ""
            })),
        )
        .unwrap();
        assert_eq!(f[COMMUNE.name], "20248");
        assert_eq!(f[SHEET.name], "1");
        assert_eq!(f[NUMBER.name], "149");
        assert_eq!(f[LAND_USE.name], "ODT+TMD");
        assert_eq!(f[AREA.name], "120.5");
        assert!(!f.contains_key(ADDRESS.name));
    }

    #[test]
    fn wrong_properties_are_named() {
        for (bad, says) in [
            (json!({ "legal_area_m2": "12" }), "not a positive number"),
            (json!({ "address": "a\u{0}b" }), "NUL"),
            (json!({ "owner": "x" }), "not a property of parcels"),
            (json!({ "parcel_id": "w3gv2fxw7d2c" }), "computed"),
            (json!({ "land_use": "ODT" }), "legacy_key"),
            (json!({ "legacy_key": "2024-1-1" }), "5 digits"),
        ] {
            let e = fields(None, Mode::Replace, &props(bad.clone())).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
