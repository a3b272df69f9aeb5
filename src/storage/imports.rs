//! The record of an import (`imports`): its sources and CRS when it begins, its report when it
//! ends; both inside the import's change.

use super::gateway::Change;

/// Records an import of `kind` as part of `change`; returns its id.
pub async fn begin(
    change: &mut Change,
    kind: &str,
    sources: &[String],
    crs_label: &str,
    feature_count: usize,
) -> Result<i64, sqlx::Error> {
    let change_id = change.id();
    sqlx::query_scalar(include_str!("sql/import_begin.sql"))
        .bind(kind)
        .bind(sources)
        .bind(crs_label)
        .bind(feature_count as i32)
        .bind(change_id)
        .fetch_one(change.conn())
        .await
}

/// Keeps the import's report.
pub async fn finish(change: &mut Change, import_id: i64, lines: &impl serde::Serialize) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("sql/import_finish.sql"))
        .bind(import_id)
        .bind(sqlx::types::Json(lines))
        .execute(change.conn())
        .await?;
    Ok(())
}
