//! Transfer of rights: the parcel's current rights end and the new holders' begin, one event.
//! Each holder is checked by the holders import's own rules and messages.

use serde_json::Value;

use super::{EditError, Editor, Grounds};
use crate::domain::ParcelId;
use crate::import::holders::{HolderRight, Holders, PARCEL};
use crate::import::overlay::{Context, Overlay, Shape, attributes_of};

/// Shares of the land-use right must add up to the whole, within this.
const WHOLE: f64 = 0.001;

/// A holder as JSON names it (`holder_code`, `holder_kind`, `name`, `personal_id`, `share`, …,
/// or the import's own field names), read as the holders import reads a row.
fn holder(parcel: &ParcelId, i: usize, v: &Value) -> Result<HolderRight, EditError> {
    let invalid = |m: String| EditError::Invalid(format!("holder {}: {m}", i + 1));
    let object = v.as_object().ok_or_else(|| invalid("must be an object".into()))?;
    let mut attributes = attributes_of(Holders::FIELDS, object).map_err(invalid)?;
    attributes.insert(PARCEL.name, parcel.to_string());
    Holders::row(&attributes, Shape::None, &Context { dir: std::path::Path::new(".") }).map_err(invalid)
}

impl Editor<'_> {
    /// Transfers the rights to `parcel` to `holders` (JSON objects); their land-use shares must
    /// make the whole. The parcel keeps its version: the event names it on both sides.
    pub async fn transfer(
        &mut self,
        parcel: &ParcelId,
        holders: &[Value],
        grounds: &Grounds,
    ) -> Result<i64, EditError> {
        self.require_edit()?;
        let current = self.current(parcel, None).await?;
        self.unencumbered(&[parcel.as_str()], "transfer", grounds).await?;
        if holders.is_empty() {
            return Err(EditError::Invalid("a transfer names the new holders".into()));
        }
        let rights = holders.iter().enumerate().map(|(i, h)| holder(parcel, i, h)).collect::<Result<Vec<_>, _>>()?;
        let land: f64 = rights.iter().filter(|r| r.right == "land_use").map(|r| r.share).sum();
        if (land - 1.0).abs() > WHOLE {
            return Err(EditError::Invalid(format!("the land-use shares add up to {land}, not 1")));
        }
        let at = self.moment().await?;
        let event = self.record("transfer", at, &[current.uid], &[current.uid], grounds).await?;
        let conn = self.change.conn();
        sqlx::query(include_str!("sql/rights_close.sql")).bind(parcel.as_str()).bind(at).execute(&mut *conn).await?;
        let column = |f: fn(&HolderRight) -> Option<String>| rights.iter().map(f).collect::<Vec<_>>();
        sqlx::query(include_str!("../import/store/sql/holders_upsert.sql"))
            .bind(column(|r| Some(r.holder_code.clone())))
            .bind(column(|r| Some(r.kind.to_owned())))
            .bind(column(|r| Some(r.name.clone())))
            .bind(column(|r| r.personal_id.clone()))
            .bind(rights.iter().map(|r| r.birth_year).collect::<Vec<_>>())
            .bind(column(|r| r.organisation_id.clone()))
            .bind(None::<i64>)
            .execute(&mut *conn)
            .await?;
        sqlx::query(include_str!("sql/rights_open.sql"))
            .bind(column(|r| Some(r.holder_code.clone())))
            .bind(vec![parcel.to_string(); rights.len()])
            .bind(column(|r| Some(r.right.to_owned())))
            .bind(column(|r| r.asset.clone()))
            .bind(rights.iter().map(|r| r.share).collect::<Vec<_>>())
            .bind(column(|r| r.certificate_no.clone()))
            .bind(rights.iter().map(|r| r.issued_on).collect::<Vec<_>>())
            .bind(event)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        Ok(event)
    }
}
