//! OGC API - Features over the catalog's layers: each tile layer is a collection, read from
//! PostGIS through the layer's own SQL (the same rows its tiles show), filtered, counted and
//! paged by its stable numeric id, with only the fields the caller's audience may see.

pub mod api;

use serde_json::{Map, Value};
use sqlx::{PgPool, Row};

use crate::tiles::catalog::{Audience, LayerSpec};

/// What a page of items asks for.
#[derive(Debug, Default)]
pub struct ItemQuery {
    /// W,S,E,N in CRS84.
    pub bbox: Option<[f64; 4]>,
    pub limit: usize,
    /// Keyset paging: items after this id.
    pub after: Option<i64>,
}

/// One feature as GeoJSON, with its paging key.
pub struct Item {
    pub key: i64,
    pub feature: Value,
}

/// Each request runs in a transaction with this statement timeout, so no query holds a
/// connection for long.
const STATEMENT_TIMEOUT_MS: &str = "10000";

fn filtered(spec: &LayerSpec, select: &str, tail: &str) -> String {
    format!(
        "WITH f AS ({sql})
         SELECT {select} FROM f
         WHERE ($2::float8[] IS NULL OR ST_Intersects(f.geom, ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326)))
           AND ($3::bigint IS NULL OR f.id > $3)
           AND ($4::text IS NULL OR {fid} = $4)
         {tail}",
        sql = spec.sql,
        fid = match &spec.feature_id {
            Some(field) => format!("f.props->>'{field}'"),
            None => "f.id::text".to_owned(),
        },
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

/// A page of items and the number matched by the filters (all pages).
pub async fn items(
    pool: &PgPool,
    spec: &LayerSpec,
    audience: Audience,
    q: &ItemQuery,
) -> Result<(Vec<Item>, i64), sqlx::Error> {
    let mut tx = transaction(pool).await?;
    let bbox = q.bbox.map(|b| b.to_vec());
    let matched: i64 = sqlx::query_scalar(&filtered(spec, "count(*)", ""))
        .bind(None::<Vec<i64>>)
        .bind(&bbox)
        .bind(None::<i64>)
        .bind(None::<String>)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query(&filtered(
        spec,
        "f.id, ST_AsGeoJSON(f.geom, 9)::json AS geometry, f.props",
        "ORDER BY f.id LIMIT $5",
    ))
    .bind(None::<Vec<i64>>)
    .bind(&bbox)
    .bind(q.after)
    .bind(None::<String>)
    .bind(q.limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let items = rows.iter().map(|r| from_row(spec, audience, r)).collect::<Result<_, _>>()?;
    Ok((items, matched))
}

/// One item by its feature id.
pub async fn item(pool: &PgPool, spec: &LayerSpec, audience: Audience, fid: &str) -> Result<Option<Item>, sqlx::Error> {
    let mut tx = transaction(pool).await?;
    let row = sqlx::query(&filtered(spec, "f.id, ST_AsGeoJSON(f.geom, 9)::json AS geometry, f.props", "LIMIT 1"))
        .bind(None::<Vec<i64>>)
        .bind(None::<Vec<f64>>)
        .bind(None::<i64>)
        .bind(fid)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|r| from_row(spec, audience, &r)).transpose()
}

fn from_row(spec: &LayerSpec, audience: Audience, row: &sqlx::postgres::PgRow) -> Result<Item, sqlx::Error> {
    let key: i64 = row.try_get("id")?;
    let geometry: Value = row.try_get("geometry")?;
    let props: Value = row.try_get("props")?;
    let properties: Map<String, Value> = spec
        .visible_fields(audience)
        .filter_map(|(_, f)| props.get(&f.name).filter(|v| !v.is_null()).map(|v| (f.name.clone(), v.clone())))
        .collect();
    let id = match &spec.feature_id {
        Some(field) => properties.get(field).cloned().unwrap_or(Value::Null),
        None => key.into(),
    };
    let feature = serde_json::json!({ "type": "Feature", "id": id, "geometry": geometry, "properties": properties });
    Ok(Item { key, feature })
}
