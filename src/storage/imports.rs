//! The record of an import (`imports`): its sources when it begins; its CRS, feature count and
//! report when it ends (a streamed import knows them only then); both inside the import's change.

use super::gateway::Change;

/// Records an import of `kind` as part of `change`; returns its id.
pub async fn begin(change: &mut Change, kind: &str, sources: &[String]) -> Result<i64, sqlx::Error> {
    let change_id = change.id();
    sqlx::query_scalar(include_str!("sql/import_begin.sql"))
        .bind(kind)
        .bind(sources)
        .bind(change_id)
        .fetch_one(change.conn())
        .await
}

/// Keeps what the import read (its CRSs, how many features) and its report.
pub async fn finish(
    change: &mut Change,
    import_id: i64,
    crs_label: &str,
    feature_count: usize,
    lines: &impl serde::Serialize,
) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("sql/import_finish.sql"))
        .bind(import_id)
        .bind(sqlx::types::Json(lines))
        .bind(crs_label)
        .bind(feature_count as i32)
        .execute(change.conn())
        .await?;
    Ok(())
}
