//! Parcels in PostGIS: the all-or-nothing bulk load of an import, and the reads the index needs.

use geozero::wkb;
use sqlx::{PgPool, Postgres, Transaction};

use super::copy::CopyRows;
use crate::import::{Action, ImportError, OnDuplicate, Prepared, ReportLine};

/// What a committed import stored.
#[derive(Debug)]
pub struct Stored {
    pub import_id: i64,
    pub parcels: usize,
    pub lines: Vec<ReportLine>,
}

/// Loads prepared parcels in one transaction: COPY into a staging table, check against current
/// parcels, insert. Any refusal rolls everything back. With `dry_run`, rolls back at the end.
pub async fn store_import(
    pool: &PgPool,
    mut prepared: Prepared,
    on_duplicate: OnDuplicate,
    dry_run: bool,
) -> Result<Stored, ImportError> {
    let mut tx = pool.begin().await?;
    let import_id: i64 = sqlx::query_scalar(include_str!("sql/import_begin.sql"))
        .bind("parcels")
        .bind(&prepared.sources)
        .bind(&prepared.crs_label)
        .bind(prepared.feature_count as i32)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(include_str!("sql/parcel_stage.sql")).execute(&mut *tx).await?;
    copy_stage(&mut tx, &prepared).await?;

    let conflicts: Vec<(i32, String)> =
        sqlx::query_as(include_str!("sql/parcel_conflicts.sql")).fetch_all(&mut *tx).await?;
    if !conflicts.is_empty() {
        let action = if on_duplicate == OnDuplicate::Skip { Action::Skipped } else { Action::Rejected };
        for (ord, what) in &conflicts {
            prepared.report.push(prepared.parcels[*ord as usize].key.to_string(), action, what);
        }
        if action == Action::Rejected {
            return Err(ImportError::Refused(
                prepared.report.lines.into_iter().filter(|l| l.action == Action::Rejected).collect(),
            ));
        }
        let ords: Vec<i32> = conflicts.iter().map(|c| c.0).collect();
        sqlx::query("DELETE FROM parcel_stage WHERE ord = ANY ($1)").bind(&ords).execute(&mut *tx).await?;
    }

    let inserted =
        sqlx::query(include_str!("sql/parcel_insert.sql")).bind(import_id).execute(&mut *tx).await?.rows_affected();
    sqlx::query(include_str!("sql/recorded_holders_insert.sql")).bind(import_id).execute(&mut *tx).await?;
    let unlinked: Vec<(String, i64)> =
        sqlx::query_as(include_str!("sql/parcel_unlinked_communes.sql")).bind(import_id).fetch_all(&mut *tx).await?;
    for (code, n) in unlinked {
        prepared.report.push(
            format!("commune {code}"),
            Action::Warning,
            format!("{n} parcel(s) carry commune code {code}, which is not in the 2025 list (a pre-reform code?) and no loaded boundary holds them; kept as recorded, current commune unknown"),
        );
    }
    sqlx::query(include_str!("sql/import_finish.sql"))
        .bind(import_id)
        .bind(sqlx::types::Json(&prepared.report.lines))
        .execute(&mut *tx)
        .await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(Stored { import_id, parcels: inserted as usize, lines: prepared.report.lines })
}

async fn copy_stage(tx: &mut Transaction<'_, Postgres>, prepared: &Prepared) -> Result<(), sqlx::Error> {
    const CHUNK: usize = 1 << 20;
    let mut copy = tx
        .copy_in_raw("COPY parcel_stage (ord, parcel_id, commune_code_recorded, sheet, parcel_no, land_use, legal_area_m2, address, digital_address, source_crs, geom, holders) FROM STDIN")
        .await?;
    let mut rows = CopyRows::default();
    for (ord, p) in prepared.parcels.iter().enumerate() {
        rows.num(Some(ord))
            .text(Some(p.parcel_id.as_str()))
            .text(Some(p.key.commune.as_str()))
            .text(Some(p.key.sheet.as_str()))
            .num(Some(p.key.parcel_no))
            .array(p.land_use.codes().iter().map(|c| c.as_str()))
            .num(p.legal_area_m2)
            .text(p.address.as_deref())
            .text(p.digital_address.as_ref().map(|d| d.as_str()))
            .text(Some(&p.source_crs))
            .geometry(&geo::Geometry::MultiPolygon(p.geom.clone()), 4326)
            .array(p.holders.iter().map(String::as_str));
        rows.end_row();
        if rows.len() >= CHUNK {
            copy.send(rows.take().into_bytes()).await?;
        }
    }
    if !rows.is_empty() {
        copy.send(rows.take().into_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

pub async fn import_exists(pool: &PgPool, kind: &str, sources: &[String]) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/import_exists.sql")).bind(kind).bind(sources).fetch_one(pool).await
}

/// A current parcel as the index holds it.
#[derive(sqlx::FromRow)]
pub struct ParcelRow {
    pub uid: i64,
    pub parcel_id: String,
    pub commune_code_recorded: String,
    pub sheet: String,
    pub parcel_no: i32,
    pub commune_code: Option<String>,
    pub commune_name: Option<String>,
    pub province_code: Option<String>,
    pub province_name: Option<String>,
    pub land_use: Vec<String>,
    pub legal_area_m2: Option<f64>,
    pub address: Option<String>,
    pub digital_address: Option<String>,
    pub source_crs: String,
    pub geom: wkb::Decode<geo::Geometry<f64>>,
}

/// Current parcels: all of them, or those among `uids` (the others were deleted or superseded).
pub async fn current(pool: &PgPool, uids: Option<&[i64]>) -> Result<Vec<ParcelRow>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcels_current.sql")).bind(uids).fetch_all(pool).await
}
