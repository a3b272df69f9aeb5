//! Land procedures that make new parcels (split, merge), and the event every edit records.

use geozero::{CoordDimensions, ToWkb, wkb};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::values::{self, EditGeometry, Mode};
use super::{EditError, Editor, Grounds};
use crate::crs::WGS84;
use crate::domain::ParcelId;
use crate::import::parcel_fields::{AREA, NUMBER};
use crate::import::parcels::NewParcel;

/// Parts may leave uncovered, add outside the parent, or overlap each other by at most this
/// many m², or this share of the parent's area when that is more: digitising and reprojection
/// noise, not land.
pub const SPLIT_TOLERANCE_M2: f64 = 0.5;
pub const SPLIT_TOLERANCE_SHARE: f64 = 0.001;

/// One part of a split: its geometry and properties (land use, legal area, address; `parcel_no`
/// to number it, else the sheet's next free numbers).
pub struct Part {
    pub geometry: EditGeometry,
    pub properties: Map<String, Value>,
}

pub struct SplitRequest {
    pub parts: Vec<Part>,
    pub grounds: Grounds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub parcels: Vec<String>,
    /// Properties of the merged parcel; by default the parents' land uses joined, their legal
    /// areas summed, the first address.
    #[serde(default)]
    pub properties: Map<String, Value>,
}

impl Editor<'_> {
    /// Records one event of this change.
    pub(super) async fn record(
        &mut self,
        kind: &str,
        at: chrono::DateTime<chrono::Utc>,
        closed: &[i64],
        opened: &[i64],
        grounds: &Grounds,
    ) -> Result<i64, EditError> {
        let change = self.change.id();
        let id: i64 = sqlx::query_scalar(include_str!("sql/event_insert.sql"))
            .bind(change)
            .bind(kind)
            .bind(at)
            .bind(&self.account.username)
            .bind(grounds.reason.as_deref())
            .bind(grounds.legal_basis.as_deref())
            .bind(closed)
            .bind(opened)
            .bind(grounds.secured_party_consent.as_deref())
            .fetch_one(self.change.conn())
            .await?;
        self.events.push(id);
        Ok(id)
    }

    /// Splits a current parcel into parts that cover it; they become new parcels with new IDs
    /// and numbers, the parent is closed. Returns the children's IDs.
    pub async fn split(&mut self, parent: &ParcelId, request: SplitRequest) -> Result<Vec<ParcelId>, EditError> {
        self.require_edit()?;
        if request.parts.len() < 2 {
            return Err(EditError::Invalid("a split needs at least two parts".into()));
        }
        let current = self.current(parent, None).await?;
        self.unencumbered(&[parent.as_str()], "split", &request.grounds).await?;
        let mut numbers = self.numbers(&current.commune_code_recorded, &current.sheet, request.parts.len()).await?;
        let mut children = Vec::new();
        for (i, mut part) in request.parts.into_iter().enumerate() {
            let number = match part.properties.remove("parcel_no") {
                None | Some(Value::Null) => numbers.remove(0).to_string(),
                Some(v) => v.as_u64().filter(|n| *n > 0).map(|n| n.to_string()).ok_or_else(|| {
                    EditError::Invalid(format!("part {}: parcel_no `{v}` must be a positive whole number", i + 1))
                })?,
            };
            let mut fields = values::fields(Some(&current), Mode::Patch, &part.properties)
                .map_err(|e| EditError::Invalid(format!("part {}: {e}", i + 1)))?;
            // The parent's legal area is not a part's.
            if !part.properties.contains_key("legal_area_m2") {
                fields.remove(AREA.name);
            }
            fields.insert(NUMBER.name, number);
            let child = self
                .check(fields, part.geometry)
                .await
                .map_err(|e| EditError::Invalid(format!("part {}: {e}", i + 1)))?;
            children.push(child);
        }
        self.check_coverage(current.uid, &children).await?;
        self.refuse_reused(parent, &children).await?;
        let at = self.moment().await?;
        self.close(current.uid, at).await?;
        let mut opened = Vec::new();
        for child in &children {
            let uid = self.insert(child, at).await?;
            self.carry_holders(&[current.uid], uid).await?;
            opened.push(uid);
        }
        let event = self.record("split", at, &[current.uid], &opened, &request.grounds).await?;
        let ids: Vec<ParcelId> = children.into_iter().map(|c| c.parcel_id).collect();
        self.link(std::slice::from_ref(parent), &ids, event).await?;
        Ok(ids)
    }

    /// Merges adjacent current parcels into one new parcel. Returns its ID.
    pub async fn merge(
        &mut self,
        parents: &[ParcelId],
        mut properties: Map<String, Value>,
        grounds: &Grounds,
    ) -> Result<ParcelId, EditError> {
        self.require_edit()?;
        let mut sorted = parents.to_vec();
        sorted.sort();
        sorted.dedup();
        if sorted.len() < 2 || sorted.len() != parents.len() {
            return Err(EditError::Invalid("a merge names at least two different parcels".into()));
        }
        // Locks in one order, so two merges cannot wait on each other.
        let mut currents = Vec::new();
        for p in &sorted {
            currents.push(self.current(p, None).await?);
        }
        self.unencumbered(&sorted.iter().map(|p| p.as_str()).collect::<Vec<_>>(), "merge", grounds).await?;
        let uids: Vec<i64> = currents.iter().map(|c| c.uid).collect();
        let (connected, union): (bool, wkb::Decode<geo::Geometry>) =
            sqlx::query_as(include_str!("sql/merge_union.sql")).bind(&uids).fetch_one(self.change.conn()).await?;
        if !connected {
            return Err(EditError::Invalid(format!(
                "parcels {} are not adjacent: merged they would not form one piece",
                sorted.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let first = currents.iter().find(|c| c.parcel_id == parents[0].as_str()).unwrap_or(&currents[0]);
        if !properties.contains_key("land_use") {
            let mut codes: Vec<&str> = Vec::new();
            for c in &currents {
                codes.extend(c.land_use.iter().map(String::as_str).filter(|x| !codes.contains(x)).collect::<Vec<_>>());
            }
            properties.insert("land_use".into(), codes.join("+").into());
        }
        if !properties.contains_key("legal_area_m2") {
            let areas: Option<f64> = currents.iter().map(|c| c.legal_area_m2).sum();
            properties.insert("legal_area_m2".into(), areas.map_or(Value::Null, Value::from));
        }
        let number = match properties.remove("parcel_no") {
            None | Some(Value::Null) => {
                self.numbers(&first.commune_code_recorded, &first.sheet, 1).await?[0].to_string()
            }
            Some(v) => v
                .as_u64()
                .filter(|n| *n > 0)
                .map(|n| n.to_string())
                .ok_or_else(|| EditError::Invalid(format!("parcel_no `{v}` must be a positive whole number")))?,
        };
        let mut fields = values::fields(Some(first), Mode::Patch, &properties)?;
        fields.insert(NUMBER.name, number);
        let geometry = union.geometry.ok_or_else(|| EditError::Server("the merged geometry is empty".into()))?;
        let child = self.check(fields, EditGeometry { geometry, crs: WGS84 }).await?;
        self.refuse_reused(&sorted[0], std::slice::from_ref(&child)).await?;
        let at = self.moment().await?;
        for uid in &uids {
            self.close(*uid, at).await?;
        }
        let opened = self.insert(&child, at).await?;
        self.carry_holders(&uids, opened).await?;
        let event = self.record("merge", at, &uids, &[opened], grounds).await?;
        self.link(&sorted, std::slice::from_ref(&child.parcel_id), event).await?;
        Ok(child.parcel_id)
    }

    /// The next `n` numbers free on a sheet.
    async fn numbers(&mut self, commune: &str, sheet: &str, n: usize) -> Result<Vec<i32>, EditError> {
        Ok(sqlx::query_scalar(include_str!("sql/next_parcel_numbers.sql"))
            .bind(commune)
            .bind(sheet)
            .bind(n as i32)
            .fetch_all(self.change.conn())
            .await?)
    }

    /// Parts must cover the parent, without overlap, within the stated tolerance.
    async fn check_coverage(&mut self, parent: i64, parts: &[NewParcel]) -> Result<(), EditError> {
        let geoms = parts
            .iter()
            .map(|p| geo::Geometry::MultiPolygon(p.geom.clone()).to_ewkb(CoordDimensions::xy(), Some(4326)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EditError::Invalid(format!("a part's geometry: {e}")))?;
        let (area, uncovered, outside, overlap): (f64, f64, f64, f64) =
            sqlx::query_as(include_str!("sql/split_coverage.sql"))
                .bind(parent)
                .bind(geoms)
                .fetch_one(self.change.conn())
                .await?;
        let tolerance = SPLIT_TOLERANCE_M2.max(SPLIT_TOLERANCE_SHARE * area);
        let wrong: Vec<String> = [
            (uncovered, "of the parent is left uncovered by the parts"),
            (outside, "of the parts lies outside the parent"),
            (overlap, "is covered by more than one part"),
        ]
        .iter()
        .filter(|(a, _)| *a > tolerance)
        .map(|(a, what)| format!("{a:.2} m² {what}"))
        .collect();
        match wrong.is_empty() {
            true => Ok(()),
            false => Err(EditError::Invalid(format!(
                "the parts must cover the parent ({area:.1} m²) without overlap, within {tolerance:.2} m²: {}",
                wrong.join("; ")
            ))),
        }
    }

    /// New parcels take IDs no parcel has held, so lineage never loops back.
    async fn refuse_reused(&mut self, parent: &ParcelId, children: &[NewParcel]) -> Result<(), EditError> {
        let ids: Vec<&str> = children.iter().map(|c| c.parcel_id.as_str()).collect();
        if let Some(twice) = ids.iter().enumerate().find(|(i, id)| ids[..*i].contains(id)) {
            return Err(EditError::Invalid(format!(
                "two parts have the same characteristic point (parcel ID {})",
                twice.1
            )));
        }
        let held: Vec<String> =
            sqlx::query_scalar(include_str!("sql/parcels_ever.sql")).bind(&ids).fetch_all(self.change.conn()).await?;
        if let Some(id) = held.first() {
            return Err(EditError::Conflict(format!(
                "a new parcel from {parent} would take parcel ID {id}, which a parcel already holds or held: parcel IDs are never reused; adjust the part's geometry"
            )));
        }
        self.refuse_held(children).await
    }

    async fn link(&mut self, parents: &[ParcelId], children: &[ParcelId], event: i64) -> Result<(), EditError> {
        let text = |ids: &[ParcelId]| ids.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
        sqlx::query(include_str!("sql/lineage_insert.sql"))
            .bind(text(parents))
            .bind(text(children))
            .bind(event)
            .execute(self.change.conn())
            .await?;
        Ok(())
    }
}
