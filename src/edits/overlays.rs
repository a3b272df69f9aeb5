//! Officers' edits of the overlay collections (planning zones, projects, housing units, digital
//! addresses): each feature checked by its import kind's own rules and messages, written by the
//! kind's own store (an insert, or an update by key), within the account's scope before and
//! after (the commune whose boundary holds the feature, or the parcel's or address's commune).
//! These collections keep no versions: each edit is a change in the write gateway's record and
//! the audit trail.

use geozero::{CoordDimensions, ToWkb, wkb};
use serde_json::{Map, Value};

use super::values::{EditGeometry, Mode};
use super::{EditError, Editor};
use crate::import::Report;
use crate::import::market::{ADDRESS, Addresses, PRODUCT, PROJECT, Projects, Units};
use crate::import::overlay::{Overlay, attributes_of, check_one};
use crate::import::planning::Planning;
use crate::import::source::Field;
use crate::import::store::overlays::{Store, Write};

/// An overlay kind officers edit.
pub trait Editable: Store + Send + Sync + 'static
where
    Self::Row: Send + Sync,
{
    /// The collection the kind is served as.
    const COLLECTION: &'static str;
    /// Feature `$1` (its id in the collection): its attributes by the import's field names, its
    /// geometry, its identity.
    const CURRENT: &'static str;
    const DELETE: &'static str;
    /// The id in the collection of the feature whose identity is `$1`.
    const FID: &'static str;
    /// The communes feature `$1` belongs to.
    const COMMUNES: &'static str;
    /// The field that names a feature, filled from the id in the URL when an edit leaves it out.
    const ID_FIELD: Option<Field>;
    /// Properties the collection derives (ignored, as a client sending back what it read
    /// includes them).
    const DERIVED: &'static [&'static str] = &[];
    /// What names a row: its key fields, as CURRENT's identity and FID take it.
    fn identity(row: &Self::Row) -> String;
}

impl Editable for Planning {
    const COLLECTION: &'static str = "planning";
    const CURRENT: &'static str = include_str!("sql/overlays/planning_current.sql");
    const DELETE: &'static str = include_str!("sql/overlays/planning_delete.sql");
    const FID: &'static str = include_str!("sql/overlays/planning_fid.sql");
    const COMMUNES: &'static str = include_str!("sql/overlays/planning_communes.sql");
    const ID_FIELD: Option<Field> = None;
    fn identity(z: &Self::Row) -> String {
        format!("{} / {}", z.plan_name, z.zone_code)
    }
}

impl Editable for Projects {
    const COLLECTION: &'static str = "projects";
    const CURRENT: &'static str = include_str!("sql/overlays/projects_current.sql");
    const DELETE: &'static str = include_str!("sql/overlays/projects_delete.sql");
    const FID: &'static str = include_str!("sql/overlays/projects_fid.sql");
    const COMMUNES: &'static str = include_str!("sql/overlays/projects_communes.sql");
    const ID_FIELD: Option<Field> = Some(PROJECT);
    const DERIVED: &'static [&'static str] = &["units"];
    fn identity(p: &Self::Row) -> String {
        p.code.to_string()
    }
}

impl Editable for Units {
    const COLLECTION: &'static str = "units";
    const CURRENT: &'static str = include_str!("sql/overlays/units_current.sql");
    const DELETE: &'static str = include_str!("sql/overlays/units_delete.sql");
    const FID: &'static str = include_str!("sql/overlays/units_fid.sql");
    const COMMUNES: &'static str = include_str!("sql/overlays/units_communes.sql");
    const ID_FIELD: Option<Field> = Some(PRODUCT);
    fn identity(u: &Self::Row) -> String {
        u.product_id.as_ref().map_or_else(|| Units::key(u), |p| p.to_string())
    }
}

impl Editable for Addresses {
    const COLLECTION: &'static str = "addresses";
    const CURRENT: &'static str = include_str!("sql/overlays/addresses_current.sql");
    const DELETE: &'static str = include_str!("sql/overlays/addresses_delete.sql");
    const FID: &'static str = include_str!("sql/overlays/addresses_fid.sql");
    const COMMUNES: &'static str = include_str!("sql/overlays/addresses_communes.sql");
    const ID_FIELD: Option<Field> = Some(ADDRESS);
    fn identity(a: &Self::Row) -> String {
        a.code.to_string()
    }
}

impl Editor<'_> {
    /// Adds a feature of kind `L`. Returns its id in the collection.
    pub async fn add_feature<L: Editable>(
        &mut self,
        properties: &Map<String, Value>,
        geometry: Option<EditGeometry>,
    ) -> Result<String, EditError>
    where
        L::Row: Send + Sync,
    {
        let attributes = given::<L>(properties)?;
        let row = check::<L>(attributes, geometry).await?;
        self.write::<L>(&row, Write::Add).await?;
        let fid = self.fid_of::<L>(&row).await?;
        self.in_scope::<L>(&fid).await?;
        Ok(fid)
    }

    /// Replaces (`Mode::Replace`) or patches feature `fid` of kind `L`; its identity may not change.
    pub async fn change_feature<L: Editable>(
        &mut self,
        fid: &str,
        mode: Mode,
        properties: &Map<String, Value>,
        geometry: Option<EditGeometry>,
    ) -> Result<(), EditError>
    where
        L::Row: Send + Sync,
    {
        self.require_edit()?;
        let (current, shape, identity) = self.current_feature::<L>(fid).await?;
        self.in_scope::<L>(fid).await?;
        let given = given::<L>(properties)?;
        let mut attributes = match mode {
            Mode::Patch => {
                let mut a = attributes_of(L::FIELDS, &current).map_err(EditError::Server)?;
                // A null in a merge patch clears the attribute.
                for (key, _) in properties.iter().filter(|(_, v)| v.is_null()) {
                    if let Some(f) = L::FIELDS.iter().find(|f| f.matches(key)) {
                        a.remove(f.name);
                    }
                }
                a.extend(given);
                a
            }
            Mode::Replace => given,
        };
        if let Some(field) = L::ID_FIELD {
            attributes.entry(field.name).or_insert_with(|| fid.to_owned());
        }
        let geometry = match (geometry, mode) {
            (Some(g), _) => Some(g),
            (None, Mode::Patch) => shape.map(|geometry| EditGeometry { geometry, crs: crate::crs::WGS84 }),
            (None, Mode::Replace) => None,
        };
        let row = check::<L>(attributes, geometry).await?;
        if L::identity(&row) != identity {
            return Err(EditError::Invalid(format!(
                "the feature is {identity}; an edit cannot make it {} (its key fields name it)",
                L::identity(&row)
            )));
        }
        self.write::<L>(&row, Write::Replace).await?;
        self.in_scope::<L>(fid).await
    }

    /// Deletes feature `fid` of kind `L`.
    pub async fn delete_feature<L: Editable>(&mut self, fid: &str) -> Result<(), EditError>
    where
        L::Row: Send + Sync,
    {
        self.require_edit()?;
        self.current_feature::<L>(fid).await?;
        self.in_scope::<L>(fid).await?;
        sqlx::query(L::DELETE).bind(fid).execute(self.change.conn()).await.map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => EditError::Conflict(format!(
                "{} {fid} cannot be deleted while other data names it ({})",
                L::COLLECTION,
                d.message()
            )),
            e => e.into(),
        })?;
        Ok(())
    }

    async fn current_feature<L: Editable>(
        &mut self,
        fid: &str,
    ) -> Result<(Map<String, Value>, Option<geo::Geometry>, String), EditError>
    where
        L::Row: Send + Sync,
    {
        let row: Option<(Value, Option<wkb::Decode<geo::Geometry>>, String)> =
            sqlx::query_as(L::CURRENT).bind(fid).fetch_optional(self.change.conn()).await?;
        let (attributes, geom, identity) =
            row.ok_or_else(|| EditError::NotFound(format!("no feature `{fid}` in {}", L::COLLECTION)))?;
        let Value::Object(attributes) = attributes else {
            return Err(EditError::Server(format!("{} {fid}: attributes are not an object", L::COLLECTION)));
        };
        Ok((attributes, geom.and_then(|g| g.geometry), identity))
    }

    async fn write<L: Editable>(&mut self, row: &L::Row, mode: Write) -> Result<(), EditError>
    where
        L::Row: Send + Sync,
    {
        let mut report = Report::default();
        let written = L::write(self.change.conn(), None, std::slice::from_ref(row), &mut report, mode).await.map_err(
            |e| match e {
                crate::import::ImportError::Database(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                    EditError::Conflict(format!(
                        "{} already holds {}: {}",
                        L::COLLECTION,
                        L::identity(row),
                        d.message()
                    ))
                }
                crate::import::ImportError::Database(e) => e.into(),
                e => EditError::Invalid(e.to_string()),
            },
        )?;
        if report.rejected() {
            let lines: Vec<String> = report.lines.iter().map(|l| l.detail.clone()).collect();
            return Err(EditError::Invalid(lines.join("; ")));
        }
        if written != 1 {
            return Err(EditError::NotFound(format!("no feature {} in {}", L::identity(row), L::COLLECTION)));
        }
        Ok(())
    }

    async fn fid_of<L: Editable>(&mut self, row: &L::Row) -> Result<String, EditError>
    where
        L::Row: Send + Sync,
    {
        Ok(sqlx::query_scalar(L::FID).bind(L::identity(row)).fetch_one(self.change.conn()).await?)
    }

    /// The account's scope must hold a commune of the feature (when boundaries say none, only an
    /// account without a scope may edit it).
    async fn in_scope<L: Editable>(&mut self, fid: &str) -> Result<(), EditError>
    where
        L::Row: Send + Sync,
    {
        let communes: Vec<String> = sqlx::query_scalar(L::COMMUNES).bind(fid).fetch_all(self.change.conn()).await?;
        let covered = match &self.account.communes {
            None => true,
            Some(_) => self.account.covers(communes.iter().map(String::as_str)),
        };
        match covered {
            true => Ok(()),
            false if communes.is_empty() => Err(EditError::Forbidden(format!(
                "{} {fid} lies in no loaded commune boundary, so only an account without a scope may edit it",
                L::COLLECTION
            ))),
            false => Err(EditError::Forbidden(format!(
                "{} {fid} of commune {} is outside the scope of account `{}`",
                L::COLLECTION,
                communes.join(", "),
                self.account.username
            ))),
        }
    }
}

/// The attributes an edit gives, by the import's field names (derived properties left out).
fn given<L: Editable>(properties: &Map<String, Value>) -> Result<crate::import::overlay::Attributes, EditError>
where
    L::Row: Send + Sync,
{
    let mut properties = properties.clone();
    properties.retain(|k, _| !L::DERIVED.contains(&k.as_str()));
    attributes_of(L::FIELDS, &properties).map_err(EditError::Invalid)
}

/// The row of kind `L` the attributes and geometry make, checked as an import checks a feature.
async fn check<L: Editable>(
    attributes: crate::import::overlay::Attributes,
    geometry: Option<EditGeometry>,
) -> Result<L::Row, EditError>
where
    L::Row: Send + Sync,
{
    let geometry = geometry
        .map(|g| g.geometry.to_wkb(CoordDimensions::xy()).map(|w| (w, g.crs)))
        .transpose()
        .map_err(|e| EditError::Invalid(format!("the geometry: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let (g, crs) = match geometry {
            Some((wkb, crs)) => {
                (Some(gdal::vector::Geometry::from_wkb(&wkb).map_err(|e| format!("the geometry: {e}"))?), crs)
            }
            None => (None, crate::crs::WGS84),
        };
        check_one::<L>(&attributes, g.as_ref(), &crs)
    })
    .await
    .map_err(|e| EditError::Server(format!("checking an edit: {e}")))?
    .map_err(EditError::Invalid)
}
