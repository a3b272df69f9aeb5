//! Parcel versions: the current one read and locked, a checked next one written, one closed.

use geozero::{CoordDimensions, ToWkb};
use serde_json::{Map, Value};

use super::values::{self, Current, EditGeometry, Mode};
use super::{EditError, Editor, Grounds, etag};
use crate::crs::WGS84;
use crate::domain::ParcelId;
use crate::import::parcels::{NewParcel, check_one};
use crate::parcel_id::DEFAULT_TOLERANCE_M;

/// The event an edit of one parcel is, by what it changed; None when it changes nothing.
fn kind_of(before: &Current, after: &NewParcel, geometry: bool) -> Option<&'static str> {
    let land_use: Vec<&str> = after.land_use.codes().iter().map(|c| c.as_str()).collect();
    let land_use_changed = land_use != before.land_use;
    let area_changed = after.legal_area_m2 != before.legal_area_m2;
    let others_changed = after.address != before.address
        || after.digital_address.as_ref().map(|d| d.as_str()) != before.digital_address.as_deref()
        || after.alley_width_m != before.alley_width_m;
    match (geometry, land_use_changed, area_changed, others_changed) {
        (true, ..) => Some("resurvey"),
        (false, false, false, false) => None,
        (false, true, false, false) => Some("land_use"),
        (false, false, true, false) => Some("legal_area"),
        _ => Some("attributes"),
    }
}

impl Editor<'_> {
    /// Changes a current parcel: `properties` merged or replacing (`mode`), and a new geometry if
    /// given; `if_match` (an entity tag) makes it conditional. Returns the new version's tag.
    pub async fn update(
        &mut self,
        parcel: &ParcelId,
        if_match: Option<&str>,
        mode: Mode,
        properties: &Map<String, Value>,
        geometry: Option<EditGeometry>,
        grounds: &Grounds,
    ) -> Result<String, EditError> {
        self.require_edit()?;
        let current = self.current(parcel, if_match).await?;
        if mode == Mode::Replace && geometry.is_none() {
            return Err(EditError::Invalid("a replacement gives the whole feature: its geometry is missing".into()));
        }
        let fields = values::fields(Some(&current), mode, properties)?;
        let resurvey = geometry.is_some();
        let geometry = match geometry {
            Some(g) => g,
            None => EditGeometry {
                geometry: current
                    .geom
                    .geometry
                    .clone()
                    .unwrap_or(geo::Geometry::MultiPolygon(geo::MultiPolygon::new(vec![]))),
                crs: WGS84,
            },
        };
        let source_crs = if resurvey { geometry.crs.to_string() } else { current.source_crs.clone() };
        let mut next = self.check(fields, geometry).await?;
        // The ID names the parcel: it stays through every edit but a split or merge.
        next.parcel_id = parcel.clone();
        next.source_crs = source_crs;
        // An edit that changes nothing leaves the version as it is.
        let Some(kind) = kind_of(&current, &next, resurvey) else {
            return Ok(etag(current.uid));
        };
        let at = self.moment().await?;
        self.close(current.uid, at).await?;
        let uid = self.insert(&next, at).await?;
        self.carry_holders(&[current.uid], uid).await?;
        self.record(kind, at, &[current.uid], &[uid], grounds).await?;
        Ok(etag(uid))
    }

    /// Registers a new parcel (the create or edit right, in scope). Returns its ID and tag.
    pub async fn create(
        &mut self,
        properties: &Map<String, Value>,
        geometry: EditGeometry,
        grounds: &Grounds,
    ) -> Result<(ParcelId, String), EditError> {
        let fields = values::fields(None, Mode::Replace, properties)?;
        let parcel = self.check(fields, geometry).await?;
        self.refuse_held(std::slice::from_ref(&parcel)).await?;
        let at = self.moment().await?;
        let uid = self.insert(&parcel, at).await?;
        self.record("registration", at, &[], &[uid], grounds).await?;
        Ok((parcel.parcel_id, etag(uid)))
    }

    /// Retires a current parcel: its last version is closed, nothing follows it.
    pub async fn retire(
        &mut self,
        parcel: &ParcelId,
        if_match: Option<&str>,
        grounds: &Grounds,
    ) -> Result<(), EditError> {
        self.require_edit()?;
        let current = self.current(parcel, if_match).await?;
        let at = self.moment().await?;
        self.close(current.uid, at).await?;
        self.record("retirement", at, &[current.uid], &[], grounds).await?;
        Ok(())
    }

    /// The current version of `parcel`, locked for this transaction, if the account's scope
    /// holds it and `if_match` names it.
    pub(super) async fn current(&mut self, parcel: &ParcelId, if_match: Option<&str>) -> Result<Current, EditError> {
        let conn = self.change.conn();
        sqlx::query(include_str!("sql/parcel_edit_lock.sql")).bind(parcel.as_str()).execute(&mut *conn).await?;
        let uid: Option<i64> = sqlx::query_scalar(include_str!("sql/parcel_current_for_update.sql"))
            .bind(parcel.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        let uid = uid.ok_or_else(|| EditError::NotFound(format!("no current parcel `{parcel}`")))?;
        let current = crate::storage::parcels::version(&mut *conn, uid).await?;
        let communes = [Some(current.commune_code_recorded.as_str()), current.commune_code.as_deref()];
        if !self.account.covers(communes.into_iter().flatten()) {
            return Err(EditError::Forbidden(format!(
                "parcel `{parcel}` of commune {} is outside the scope of account `{}`",
                current.commune_code.as_deref().unwrap_or(&current.commune_code_recorded),
                self.account.username
            )));
        }
        if let Some(sent) = if_match.map(str::trim).filter(|t| *t != "*")
            && sent != etag(current.uid)
        {
            return Err(EditError::Stale {
                parcel: parcel.to_string(),
                current: etag(current.uid),
                sent: sent.to_owned(),
            });
        }
        Ok(current)
    }

    /// The parcel the fields and geometry make, checked as an import checks a feature.
    pub(super) async fn check(
        &self,
        fields: crate::import::source::Attributes,
        geometry: EditGeometry,
    ) -> Result<NewParcel, EditError> {
        let zones = self.zones.clone();
        let wkb = geometry
            .geometry
            .to_wkb(CoordDimensions::xy())
            .map_err(|e| EditError::Invalid(format!("the geometry: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let g = gdal::vector::Geometry::from_wkb(&wkb).map_err(|e| format!("the geometry: {e}"))?;
            check_one(fields, Some(g), &geometry.crs, &zones, DEFAULT_TOLERANCE_M)
        })
        .await
        .map_err(|e| EditError::Server(format!("checking an edit: {e}")))?
        .map_err(EditError::Invalid)
    }

    /// Refuses parcels whose legacy key or ID a current parcel holds, with the import's words.
    pub(super) async fn refuse_held(&mut self, parcels: &[NewParcel]) -> Result<(), EditError> {
        let column = |f: fn(&NewParcel) -> String| parcels.iter().map(f).collect::<Vec<_>>();
        let conflicts: Vec<(i32, String)> = sqlx::query_as(include_str!("../import/store/sql/parcel_conflicts.sql"))
            .bind(column(|p| p.key.commune.to_string()))
            .bind(column(|p| p.key.sheet.to_string()))
            .bind(parcels.iter().map(|p| p.key.parcel_no.get() as i32).collect::<Vec<_>>())
            .bind(column(|p| p.parcel_id.to_string()))
            .fetch_all(self.change.conn())
            .await?;
        match conflicts.first() {
            None => Ok(()),
            Some((ord, what)) => Err(EditError::Conflict(format!("parcel {}: {what}", parcels[*ord as usize].key))),
        }
    }

    pub(super) async fn moment(&mut self) -> Result<chrono::DateTime<chrono::Utc>, EditError> {
        Ok(sqlx::query_scalar(include_str!("sql/moment.sql")).fetch_one(self.change.conn()).await?)
    }

    pub(super) async fn close(&mut self, uid: i64, at: chrono::DateTime<chrono::Utc>) -> Result<(), EditError> {
        sqlx::query(include_str!("sql/parcel_close.sql")).bind(uid).bind(at).execute(self.change.conn()).await?;
        Ok(())
    }

    /// Writes a version valid from `at`, then checks that the account's scope holds where it
    /// lies: a parcel cannot be moved or added out of scope.
    pub(super) async fn insert(&mut self, p: &NewParcel, at: chrono::DateTime<chrono::Utc>) -> Result<i64, EditError> {
        let geom = geo::Geometry::MultiPolygon(p.geom.clone())
            .to_ewkb(CoordDimensions::xy(), Some(4326))
            .map_err(|e| EditError::Invalid(format!("the geometry: {e}")))?;
        let (uid, commune, located): (i64, Option<String>, Option<String>) =
            sqlx::query_as(include_str!("sql/parcel_insert.sql"))
                .bind(p.parcel_id.as_str())
                .bind(p.key.commune.as_str())
                .bind(p.key.sheet.as_str())
                .bind(p.key.parcel_no.get() as i32)
                .bind(p.commune.as_ref().map(|c| c.as_str()))
                .bind(p.land_use.codes().iter().map(|c| c.as_str()).collect::<Vec<_>>())
                .bind(p.legal_area_m2)
                .bind(p.alley_width_m)
                .bind(p.address.as_deref())
                .bind(p.digital_address.as_ref().map(|d| d.as_str()))
                .bind(geom)
                .bind(at)
                .bind(&p.source_crs)
                .fetch_one(self.change.conn())
                .await?;
        let recorded = [Some(p.key.commune.as_str()), commune.as_deref()];
        let in_scope = self.account.covers(recorded.into_iter().flatten())
            && located.as_deref().is_none_or(|l| self.account.covers(std::iter::once(l)));
        if !in_scope {
            return Err(EditError::Forbidden(format!(
                "parcel {} would lie in commune {} (recorded under {}), outside the scope of account `{}`",
                p.key,
                located.or(commune).unwrap_or_else(|| "unknown".into()),
                p.key.commune,
                self.account.username
            )));
        }
        Ok(uid)
    }

    pub(super) async fn carry_holders(&mut self, from: &[i64], to: i64) -> Result<(), EditError> {
        sqlx::query(include_str!("sql/recorded_holders_carry.sql"))
            .bind(from)
            .bind(to)
            .execute(self.change.conn())
            .await?;
        Ok(())
    }
}
