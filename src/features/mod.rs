//! The feature engine behind OGC API - Features, WFS and downloads: each catalog layer is a
//! collection, filtered, counted and paged by its stable numeric id, with only the fields the
//! caller's audience may see. Pages come from the layer in memory (the rows its tiles show)
//! when the query can be answered there ([`memory`]); as-of dates and filters memory cannot
//! evaluate go to PostGIS through the layer's own SQL, with the same answer.

mod memory;

use geozero::wkb;
use serde_json::{Map, Value};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool, Row};

use crate::access::{Audience, Scope, View};
use crate::catalog::{FieldType, LayerSpec, property_sql};
use crate::crs::{ApiCrs, Transform};
use crate::fault::Fault;
use crate::filter::memory::Matcher;
use crate::filter::{Bind, Filter};
use crate::index::layers::Layers;

/// Features in a page unless the caller asks for another number, and at most.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 1000;
/// Deeper offsets make PostgreSQL read and drop too many rows; past this, narrow the bbox.
pub const MAX_OFFSET: usize = 100_000;

/// What a page of items asks for.
#[derive(Debug, Default)]
pub struct ItemQuery {
    /// W,S,E,N in CRS84.
    pub bbox: Option<[f64; 4]>,
    pub limit: usize,
    /// Keyset paging: items after this id.
    pub after: Option<i64>,
    /// Only these properties (all visible ones when None).
    pub properties: Option<Vec<String>>,
    /// Sort keys (catalog fields, descending when true); ties, and no keys, go by feature key.
    pub sort: Vec<(String, FieldType, bool)>,
    /// With sort keys, paging skips this many features.
    pub offset: usize,
    /// A CQL2 or FES filter, as SQL.
    pub filter: Option<Filter>,
    /// All the conditions as memory evaluates them; None when some cannot be.
    pub matcher: Option<Matcher>,
    /// The layer as it was at this moment (layers that keep history), else as it is.
    pub on: Option<chrono::DateTime<chrono::Utc>>,
}

/// The layer's rows now, or at moment `on` (`$7`) if it keeps history.
fn rows_sql(spec: &LayerSpec, on: Option<chrono::DateTime<chrono::Utc>>) -> &str {
    match (&spec.sql_on, on) {
        (Some(past), Some(_)) => past,
        _ => &spec.sql,
    }
}

/// Errors of a feature query: the database, or a geometry that cannot be put in the CRS asked.
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Geometry(String),
    /// Already told apart: a CRS the caller's geometry cannot be put in, or PROJ failing.
    #[error("{0:?}")]
    Fault(Fault),
}

impl FeatureError {
    /// The per-request statement timeout ended the query: the caller asked for too much at once.
    pub fn is_timeout(&self) -> bool {
        matches!(self, FeatureError::Database(sqlx::Error::Database(d)) if d.code().as_deref() == Some("57014"))
    }

    /// A query that ran too long or a geometry that cannot be put in the CRS asked is the
    /// caller's to change; any other database error is the server's.
    pub fn fault(&self) -> Fault {
        match self {
            e if e.is_timeout() => {
                Fault::Caller("the query ran past its 10 s limit: narrow it with a bbox or a filter".into())
            }
            FeatureError::Database(e) if crate::storage::unavailable(e) => Fault::Unavailable(e.to_string()),
            FeatureError::Database(e) => Fault::Server(format!("database: {e}")),
            FeatureError::Geometry(m) => Fault::Caller(m.clone()),
            FeatureError::Fault(f) => f.clone(),
        }
    }
}

/// One feature as GeoJSON, with its paging key.
pub struct Item {
    pub key: i64,
    pub feature: Value,
}

/// Each request runs in a transaction with this statement timeout, so no query holds a
/// connection for long.
const STATEMENT_TIMEOUT_MS: &str = "10000";

fn filtered(spec: &LayerSpec, q: &ItemQuery, select: &str, tail: &str) -> String {
    format!(
        "WITH f AS NOT MATERIALIZED ({}) SELECT {select} FROM f WHERE {} {tail}",
        rows_sql(spec, q.on),
        conditions(spec, q.filter.as_ref())
    )
}

/// The features' conditions over `f`: bbox ($2), keyset ($3), feature id ($4), the rows of the
/// view's scope for a layer beyond the public ($8: its communes, NULL for all) and the filter.
fn conditions(spec: &LayerSpec, filter: Option<&Filter>) -> String {
    let scoped = match (&spec.scope_field, spec.audience) {
        (Some(field), a) if a > Audience::Public => format!("($8::text[] IS NULL OR f.props->>'{field}' = ANY ($8))"),
        _ => "true".to_owned(),
    };
    format!(
        "($2::float8[] IS NULL OR ST_Intersects(f.geom, ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326)))
         AND ($3::bigint IS NULL OR f.id > $3)
         AND ($4::text IS NULL OR {} = $4)
         AND {scoped}
         AND {}",
        spec.fid_sql(),
        filter.map_or("true", |f| &f.sql),
    )
}

/// A page: the keys are chosen first, from rows whose properties are not built (PostgreSQL
/// drops unused columns of the inlined layer query), then only the page's rows are built.
fn page(spec: &LayerSpec, q: &ItemQuery, order: &str) -> String {
    format!(
        "WITH f AS NOT MATERIALIZED ({sql}),
              page AS (SELECT f.id FROM f WHERE {conditions} ORDER BY {order} LIMIT $5 OFFSET $6)
         SELECT {SELECT_ITEM} FROM f WHERE f.id IN (SELECT id FROM page) ORDER BY {order}",
        sql = rows_sql(spec, q.on),
        conditions = conditions(spec, q.filter.as_ref()),
    )
}

async fn transaction(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(STATEMENT_TIMEOUT_MS)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Where a layer's features are read.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// PostGIS: for what memory cannot answer, and items by id (an item's ETag must see the
    /// caller's own write at once).
    pub pool: &'a PgPool,
    /// The layers in memory and this layer's index among them; None sends every query to
    /// PostGIS (`serve --pages-from-database`).
    pub memory: Option<(&'a Layers, usize)>,
}

impl Source<'_> {
    /// Every query from PostGIS (where no layers are in memory: the command line).
    pub fn database(pool: &PgPool) -> Source<'_> {
        Source { pool, memory: None }
    }
}

/// A page of items and the number matched by the filters (all pages).
pub async fn items(
    from: Source<'_>,
    spec: &LayerSpec,
    view: &View,
    q: &ItemQuery,
    crs: &ApiCrs,
) -> Result<(Vec<Item>, i64), FeatureError> {
    let (items, matched) = fetch(from, spec, view, q, crs, true).await?;
    Ok((items, matched.unwrap_or_default()))
}

/// A page of items, uncounted (for callers that already know how many match).
pub async fn page_of(
    from: Source<'_>,
    spec: &LayerSpec,
    view: &View,
    q: &ItemQuery,
    crs: &ApiCrs,
) -> Result<Vec<Item>, FeatureError> {
    Ok(fetch(from, spec, view, q, crs, false).await?.0)
}

async fn fetch(
    from: Source<'_>,
    spec: &LayerSpec,
    view: &View,
    q: &ItemQuery,
    crs: &ApiCrs,
    count: bool,
) -> Result<(Vec<Item>, Option<i64>), FeatureError> {
    match (from.memory, &q.matcher, q.on) {
        (Some((layers, l)), Some(matcher), None) => {
            let (page, matched) = memory::page(&layers.read(l), spec, q, matcher, count);
            let to = crs.transform_from_crs84().map_err(FeatureError::Fault)?;
            let items = page
                .into_iter()
                .map(|f| {
                    let props = spec
                        .fields
                        .iter()
                        .zip(&f.values)
                        .filter_map(|(field, v)| Some((field.name.clone(), json_value(v.as_ref()?))))
                        .collect();
                    let geometry = Some((*f.geom).clone());
                    build(spec, view, f.id as i64, geometry, &props, crs, to.as_ref(), q.properties.as_deref())
                })
                .collect::<Result<_, _>>()?;
            Ok((items, matched))
        }
        _ => fetch_from_database(from.pool, spec, view, q, crs, count).await,
    }
}

/// A field's value as PostGIS's `props` gives it: float8 values that are whole numbers are
/// written without a fraction, as jsonb writes them.
fn json_value(v: &crate::index::value::Value) -> Value {
    use crate::index::value::Value::*;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        Str(s) => Value::String(s.to_string()),
        Double(n) if n.fract() == 0.0 && n.abs() < EXACT => Value::from(*n as i64),
        Double(n) => Value::from(*n),
        Sint(n) => Value::from(*n),
        Bool(b) => Value::Bool(*b),
    }
}

async fn fetch_from_database(
    pool: &PgPool,
    spec: &LayerSpec,
    view: &View,
    q: &ItemQuery,
    crs: &ApiCrs,
    count: bool,
) -> Result<(Vec<Item>, Option<i64>), FeatureError> {
    let mut tx = transaction(pool).await?;
    let bbox = q.bbox.map(|b| b.to_vec());
    let filter = q.filter.as_ref();
    // Both statements take all eight parameters (the count ignores the paging ones), so a
    // filter's parameters are numbered the same in each.
    let args = |after: Option<i64>| {
        let (limit, offset) = (q.limit as i64, q.offset as i64);
        Params { bbox: bbox.clone(), after, fid: None, limit, offset, on: q.on }.with(view, filter)
    };
    let matched: Option<i64> = match count {
        true => {
            Some(sqlx::query_scalar_with(&filtered(spec, q, "count(*)", ""), args(None)?).fetch_one(&mut *tx).await?)
        }
        false => None,
    };
    let order: Vec<String> = q
        .sort
        .iter()
        .map(|(name, kind, desc)| {
            format!("{} {} NULLS LAST", property_sql(name, *kind), if *desc { "DESC" } else { "ASC" })
        })
        .chain(std::iter::once("f.id".to_owned()))
        .collect();
    let rows = sqlx::query_with(&page(spec, q, &order.join(", ")), args(q.after)?).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let to = crs.transform_from_crs84().map_err(FeatureError::Fault)?;
    let only = q.properties.as_deref();
    let items = rows.iter().map(|r| from_row(spec, view, r, crs, to.as_ref(), only)).collect::<Result<_, _>>()?;
    Ok((items, matched))
}

/// One item by its feature id.
pub async fn item(
    pool: &PgPool,
    spec: &LayerSpec,
    view: &View,
    fid: &str,
    crs: &ApiCrs,
) -> Result<Option<Item>, FeatureError> {
    let mut tx = transaction(pool).await?;
    let args = Params { bbox: None, after: None, fid: Some(fid.to_owned()), limit: 1, offset: 0, on: None }
        .with(view, None)?;
    let row = sqlx::query_with(&filtered(spec, &ItemQuery::default(), SELECT_ITEM, "LIMIT $5 OFFSET $6"), args)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    let to = crs.transform_from_crs84().map_err(FeatureError::Fault)?;
    row.map(|r| from_row(spec, view, &r, crs, to.as_ref(), None)).transpose()
}

/// The eight parameters of every feature statement; a filter's follow them.
struct Params {
    bbox: Option<Vec<f64>>,
    after: Option<i64>,
    fid: Option<String>,
    limit: i64,
    offset: i64,
    on: Option<chrono::DateTime<chrono::Utc>>,
}

impl Params {
    fn with(self, view: &View, filter: Option<&Filter>) -> Result<PgArguments, sqlx::Error> {
        let mut a = PgArguments::default();
        let encode = sqlx::Error::Encode;
        a.add(None::<Vec<i64>>).map_err(encode)?;
        a.add(self.bbox).map_err(encode)?;
        a.add(self.after).map_err(encode)?;
        a.add(self.fid).map_err(encode)?;
        a.add(self.limit).map_err(encode)?;
        a.add(self.offset).map_err(encode)?;
        a.add(self.on).map_err(encode)?;
        // A layer beyond the public is seen on the rows of the view's scope, and only by a view
        // of its audience (the catalog lists it to no one else).
        let communes = match &view.scope {
            Scope::All => None,
            Scope::Communes(codes) => Some(codes.iter().cloned().collect::<Vec<_>>()),
        };
        a.add(communes).map_err(encode)?;
        for b in filter.map(|f| f.binds.as_slice()).unwrap_or_default() {
            match b {
                Bind::Text(s) => a.add(s.clone()),
                Bind::Number(n) => a.add(*n),
                Bind::Bool(v) => a.add(*v),
                Bind::Geometry(wkb) => a.add(wkb.clone()),
                Bind::Texts(list) => a.add(list.clone()),
            }
            .map_err(encode)?;
        }
        Ok(a)
    }
}

const SELECT_ITEM: &str = "f.id, f.geom AS wkb, f.props";

fn from_row(
    spec: &LayerSpec,
    view: &View,
    row: &sqlx::postgres::PgRow,
    crs: &ApiCrs,
    to: Option<&Transform>,
    only: Option<&[String]>,
) -> Result<Item, FeatureError> {
    let key: i64 = row.try_get("id")?;
    let wkb: wkb::Decode<geo::Geometry> = row.try_get("wkb")?;
    let props: Value = row.try_get("props")?;
    let props = match props {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    build(spec, view, key, wkb.geometry, &props, crs, to, only)
}

/// One feature as GeoJSON: its geometry in `crs`, its id, and the properties of `props` that
/// the view may see on its row (only those named in `only`, when given).
#[allow(clippy::too_many_arguments)]
fn build(
    spec: &LayerSpec,
    view: &View,
    key: i64,
    geometry: Option<geo::Geometry>,
    props: &Map<String, Value>,
    crs: &ApiCrs,
    to: Option<&Transform>,
    only: Option<&[String]>,
) -> Result<Item, FeatureError> {
    let geometry = match geometry {
        None => Value::Null,
        Some(mut g) => {
            use geo::MapCoordsInPlace;
            if let Some(t) = to {
                t.any_geometry(&mut g).map_err(|e| FeatureError::Geometry(format!("feature {key}: {e}")))?;
            }
            if crs.is_lat_first() {
                g.map_coords_in_place(|c| geo::Coord { x: c.y, y: c.x });
            }
            serde_json::to_value(geojson::Geometry::new(geojson::Value::from(&g)))
                .map_err(|e| FeatureError::Geometry(format!("feature {key}: {e}")))?
        }
    };
    let id = match &spec.feature_id {
        Some(field) => props.get(field).cloned().unwrap_or(Value::Null),
        None => key.into(),
    };
    let commune = spec.scope_field.as_ref().and_then(|f| props.get(f)).and_then(Value::as_str);
    let properties: Map<String, Value> = spec
        .visible_fields(view.audience_for(commune))
        .filter(|(_, f)| only.is_none_or(|o| o.contains(&f.name)))
        .filter_map(|(_, f)| props.get(&f.name).filter(|v| !v.is_null()).map(|v| (f.name.clone(), v.clone())))
        .collect();
    let feature = serde_json::json!({ "type": "Feature", "id": id, "geometry": geometry, "properties": properties });
    Ok(Item { key, feature })
}
