//! The layer catalog (tiles, OGC API collections, WFS feature types, downloads): one TOML file per layer in `tiles/` (its name is the layer's name)
//! giving the SQL its features come from, the tables whose changes refresh it, its zoom range,
//! simplification, feature limit, cache lifetime, and each property with the audience allowed
//! to see it. Adding a layer means adding a file.

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::access::Audience;

/// Highest zoom any layer may declare or any request may ask for.
pub const MAX_ZOOM: u8 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum FieldType {
    String,
    Number,
    Integer,
    Boolean,
}

impl FieldType {
    /// The JSON Schema type of the field's values.
    pub fn json_type(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub description: String,
    pub audience: Audience,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    pub current: String,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryKind {
    Polygon,
    Line,
    Point,
    Any,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    #[serde(skip)]
    pub name: String,
    pub title: String,
    pub geometry: GeometryKind,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// `Cache-Control` max-age of tiles holding this layer.
    pub max_age_s: u32,
    /// Douglas–Peucker tolerance in pixels of a 512-pixel tile, so simplification follows zoom.
    pub simplify_px: f64,
    /// Features smaller than this many pixels both ways are left out: at low zooms they would
    /// be specks, and they are what makes low-zoom tiles huge.
    #[serde(default)]
    pub min_size_px: f64,
    /// A polygon too small to draw at a zoom becomes a point at its centre rather than
    /// vanishing (for layers whose features mark where data is at low zoom).
    #[serde(default)]
    pub specks_as_points: bool,
    /// At most this many features per tile; the largest are kept.
    pub max_features: usize,
    /// A table whose change notifications name the changed keys (parcel uids for `parcels`,
    /// the layer's feature ids for others): the SQL takes them as `$1` and returns only their
    /// features (NULL: all), so a change reloads those and no others.
    #[serde(default)]
    pub keyed_by: Option<String>,
    /// For a keyed layer whose features are not the keyed rows themselves (units, many to a
    /// parcel): the SQL column (bigint) holding the key each feature is reloaded under.
    #[serde(default)]
    pub key_column: Option<String>,
    /// Tables whose committed changes refresh this layer.
    pub depends_on: Vec<String>,
    /// Returns `id` (bigint, the stable feature id), `geom` (EPSG:4326) and `props` (jsonb).
    pub sql: String,
    /// The least audience that may see the layer at all (its rows, not only some fields): a
    /// layer whose very features are confidential (which parcels are encumbered) names it, and
    /// is then served on the rows of the view's scope only, and listed to no one else.
    #[serde(default = "open_layer")]
    pub audience: Audience,
    /// For a layer that keeps history: the condition in `sql` that selects current rows, and the
    /// one that selects the rows valid at moment `$7` (timestamptz) instead.
    #[serde(default)]
    pub history: Option<History>,
    /// `sql` with the history condition swapped: the rows as they were at moment `$7`.
    #[serde(skip)]
    pub sql_on: Option<String>,
    /// The public field that identifies a feature in feature services, when the numeric id is
    /// not stable (a parcel's uid changes with each version; its parcel ID does not).
    #[serde(default)]
    pub feature_id: Option<String>,
    /// The field holding the commune a row is recorded under, by which a principal's scope
    /// selects rows. A layer without one shows no rows to a principal restricted to communes.
    #[serde(default)]
    pub scope_field: Option<String>,
    pub fields: Vec<Field>,
}

fn open_layer() -> Audience {
    Audience::Public
}

impl LayerSpec {
    /// The position of the scope field among the fields, if the layer has one.
    pub fn scope_index(&self) -> Option<usize> {
        let field = self.scope_field.as_ref()?;
        self.fields.iter().position(|f| &f.name == field)
    }

    /// Whether a view sees the layer's rows recorded under `commune`: every row of a layer open
    /// to all, the rows of its scope for a layer that needs more than the public audience.
    pub fn admits(&self, view: &crate::access::View, commune: Option<&str>) -> bool {
        self.audience == Audience::Public || view.audience_for(commune) >= self.audience
    }

    /// A feature's id as SQL text over the layer's rows `f`: its catalog id field, or the
    /// numeric key.
    pub fn fid_sql(&self) -> String {
        match &self.feature_id {
            Some(field) => format!("(f.props->>'{field}')"),
            None => "f.id::text".to_owned(),
        }
    }

    /// Whether the layer's features are current parcels, with parcel uids for ids (so their
    /// geometries are the index's own).
    pub fn features_are_parcels(&self) -> bool {
        self.keyed_by.as_deref() == Some("parcels") && self.key_column.is_none()
    }

    pub fn has_zoom(&self, z: u8) -> bool {
        (self.minzoom..=self.maxzoom).contains(&z)
    }

    /// The fields `audience` may see, with their position in each feature's values.
    pub fn visible_fields(&self, audience: Audience) -> impl Iterator<Item = (usize, &Field)> {
        self.fields.iter().enumerate().filter(move |(_, f)| f.audience <= audience)
    }

    /// The field `name`, if `audience` may see it.
    pub fn visible_field(&self, audience: Audience, name: &str) -> Option<&Field> {
        self.visible_fields(audience).map(|(_, f)| f).find(|f| f.name == name)
    }

    /// Whether any of these fields is beyond what the public may see.
    pub fn beyond_open<'a>(&self, mut names: impl Iterator<Item = &'a str>) -> bool {
        names.any(|n| self.visible_field(Audience::Public, n).is_none())
    }

    /// A field as a filter names it, if `audience` may see it.
    pub fn queryable(&self, audience: Audience, name: &str) -> Option<(&str, FieldType)> {
        self.visible_field(audience, name).map(|f| (f.name.as_str(), f.kind))
    }

    /// The layer as TileJSON 3.0 `vector_layers` lists it, with the fields `audience` sees.
    pub fn vector_layer(&self, audience: Audience) -> serde_json::Value {
        let fields: serde_json::Map<String, serde_json::Value> = self
            .visible_fields(audience)
            .map(|(_, f)| {
                let kind = match f.kind {
                    FieldType::String => "String",
                    FieldType::Number | FieldType::Integer => "Number",
                    FieldType::Boolean => "Boolean",
                };
                (f.name.clone(), kind.into())
            })
            .collect();
        serde_json::json!({
            "id": self.name, "description": self.title, "minzoom": self.minzoom, "maxzoom": self.maxzoom, "fields": fields
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.minzoom > self.maxzoom || self.maxzoom > MAX_ZOOM {
            return Err(format!("zoom range {}-{} is not within 0-{MAX_ZOOM}", self.minzoom, self.maxzoom));
        }
        if !(0.0..=16.0).contains(&self.simplify_px)
            || !(0.0..=64.0).contains(&self.min_size_px)
            || self.max_features == 0
        {
            return Err("simplify_px must be within 0-16, min_size_px within 0-64 and max_features above 0".into());
        }
        if let Some(f) = self
            .fields
            .iter()
            .find(|f| !f.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
        {
            return Err(format!("field name {} must be lower-case letters, digits and _", f.name));
        }
        if let Some(id) = &self.feature_id
            && !self.fields.iter().any(|f| &f.name == id && f.audience == self.audience)
        {
            return Err(format!("feature_id {id} is not a field of the layer's own audience"));
        }
        if self.key_column.is_some() && self.keyed_by.is_none() {
            return Err("key_column is the key of a keyed layer: name the table in keyed_by".into());
        }
        if let Some(field) = &self.scope_field
            && !self.fields.iter().any(|f| &f.name == field && f.kind == FieldType::String)
        {
            return Err(format!("scope_field {field} is not a string field"));
        }
        if self.audience != Audience::Public && self.scope_field.is_none() {
            return Err(
                "a layer beyond the public audience needs a scope_field to select the rows a view may see".into()
            );
        }
        if let Some(h) = &self.history
            && self.sql.matches(&h.current).count() != 1
        {
            return Err(format!("history.current `{}` must appear exactly once in sql", h.current));
        }
        let mut names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("field {} is declared twice", w[0]));
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Catalog {
    /// Sorted by name; a layer's position here is its index everywhere else.
    pub layers: Vec<LayerSpec>,
}

impl Catalog {
    /// The catalog in `dir`, or the one built into the binary.
    pub fn load(dir: Option<&Path>) -> Result<Catalog, String> {
        let mut layers = Vec::new();
        for file in crate::bundled::tiles(dir)? {
            let at = &file.origin;
            let mut spec: LayerSpec = toml::from_str(&file.text).map_err(|e| format!("{at}: {e}"))?;
            spec.name = file.stem;
            if !spec.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(format!("{at}: layer names are lower-case letters and _"));
            }
            spec.check().map_err(|e| format!("{at}: {e}"))?;
            spec.sql_on = spec.history.as_ref().map(|h| spec.sql.replace(&h.current, &h.at));
            layers.push(spec);
        }
        if layers.is_empty() {
            return Err("the tile catalog has no layer files (*.toml)".into());
        }
        layers.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Catalog { layers })
    }

    /// The layers `audience` may see, with their indices: a layer beyond it is not listed, and
    /// asking for it by name answers as for a layer that does not exist.
    pub fn for_audience(&self, audience: Audience) -> impl Iterator<Item = (usize, &LayerSpec)> {
        self.layers.iter().enumerate().filter(move |(_, l)| l.audience <= audience)
    }

    /// A layer `audience` may see, by name, with its index.
    pub fn find(&self, name: &str, audience: Audience) -> Option<(usize, &LayerSpec)> {
        self.for_audience(audience).find(|(_, l)| l.name == name)
    }

    /// The names of the layers `audience` may see.
    pub fn names(&self, audience: Audience) -> String {
        self.for_audience(audience).map(|(_, l)| l.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// `parcels,admin` → the layers' indices, in the order asked, if `audience` may see them.
    pub fn parse_set(&self, set: &str, audience: Audience) -> Result<Vec<usize>, String> {
        let mut out = Vec::new();
        for name in set.split(',') {
            let (i, _) = self
                .find(name, audience)
                .ok_or_else(|| format!("unknown tile layer '{name}'; layers: {}", self.names(audience)))?;
            if out.contains(&i) {
                return Err(format!("tile layer '{name}' is asked for twice"));
            }
            out.push(i);
        }
        Ok(out)
    }
}

/// A catalog property as a typed SQL value. `name` is a catalog field name (checked to be
/// lower-case letters, digits and _ when the catalog loads).
pub fn property_sql(name: &str, kind: FieldType) -> String {
    let cast = match kind {
        FieldType::String => "",
        FieldType::Number => "::float8",
        FieldType::Integer => "::bigint",
        FieldType::Boolean => "::boolean",
    };
    format!("(f.props->>'{name}'){cast}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_loads_and_opens_only_public_fields_to_the_public() {
        let catalog = Catalog::load(Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("tiles").as_path())).unwrap();
        assert_eq!(Catalog::load(None).unwrap().names(Audience::Registry), catalog.names(Audience::Registry));
        assert_eq!(
            catalog.names(Audience::Public),
            "addresses, admin, holders, market, ownership, parcels, planning, pricing, projects, units"
        );
        assert_eq!(
            catalog.names(Audience::Personal),
            "addresses, admin, findings, holders, market, ownership, parcels, planning, pricing, projects, units"
        );
        assert_eq!(
            catalog.names(Audience::Registry),
            "addresses, admin, encumbrances, findings, holders, market, ownership, parcels, planning, pricing, projects, units"
        );
        // A layer beyond the audience is refused as unknown, never named.
        let refused = catalog.parse_set("parcels,encumbrances", Audience::Personal).unwrap_err();
        assert!(
            refused.contains("unknown tile layer 'encumbrances'") && !refused.contains(", encumbrances"),
            "{refused}"
        );
        assert_eq!(catalog.parse_set("parcels,encumbrances", Audience::Registry).unwrap().len(), 2);
        assert_eq!(catalog.parse_set("parcels,admin", Audience::Public).unwrap().len(), 2);
        assert!(catalog.parse_set("parcels,nope", Audience::Public).unwrap_err().contains("unknown tile layer 'nope'"));
        assert!(catalog.parse_set("admin,admin", Audience::Public).unwrap_err().contains("twice"));
        for layer in &catalog.layers {
            assert!(layer.visible_fields(Audience::Public).all(|(_, f)| f.audience == Audience::Public));
        }
    }

    #[test]
    fn a_key_column_needs_a_keyed_table() {
        let spec = |keyed: &str| -> LayerSpec {
            toml::from_str(&format!(
                "title = 'x'\ngeometry = 'point'\nminzoom = 0\nmaxzoom = 10\nmax_age_s = 60\n\
                 simplify_px = 0\nmax_features = 10\ndepends_on = ['units']\nsql = 'SELECT 1'\n\
                 key_column = 'parcel_uid'\n{keyed}fields = []"
            ))
            .unwrap()
        };
        assert!(spec("").check().unwrap_err().contains("keyed_by"));
        spec("keyed_by = 'parcels'\n").check().unwrap();
    }
}
