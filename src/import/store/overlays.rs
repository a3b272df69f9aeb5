//! Storing the overlay kinds: each in one change with its import record, like parcels.

use std::collections::HashSet;

use geozero::{CoordDimensions, ToWkb};
use sqlx::{PgConnection, PgPool};

use crate::domain::{ParcelCode, ProductId};
use crate::import::holders::{HolderRight, Holders};
use crate::import::market::{Address, Addresses, Project, Projects, Unit, Units};
use crate::import::overlay::{Overlay, OverlayPrepared};
use crate::import::planning::{Planning, Zone};
use crate::import::prices::{Prices, SegmentPrices};
use crate::import::{Action, ImportError, Report};
use crate::storage::gateway::{Actor, Change};
use crate::storage::imports;

/// Whether rows are added (an import, a new feature) or replace the rows with the same keys (an
/// officer's edit of a feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Add,
    Replace,
}

/// How a kind's rows reach the database, inside the import's (or the edit's) transaction.
pub trait Store: Overlay {
    /// The tables `write` fills, analysed after a committed import.
    const TABLES: &'static [&'static str];
    /// Writes the rows (`import_id`: the import they come from, none for an edit); refusals go
    /// into `report` as rejected lines. Returns the rows written.
    fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Self::Row],
        report: &mut Report,
        mode: Write,
    ) -> impl Future<Output = Result<u64, ImportError>> + Send;
}

/// The statement of `mode`: the kind's insert, or its update by key.
pub(super) fn statement(
    mode: Write,
    add: &'static str,
    replace: Option<&'static str>,
) -> Result<&'static str, ImportError> {
    match (mode, replace) {
        (Write::Add, _) => Ok(add),
        (Write::Replace, Some(sql)) => Ok(sql),
        (Write::Replace, None) => Err(ImportError::Refused(vec![crate::import::ReportLine {
            subject: "this kind".into(),
            action: Action::Rejected,
            detail: "is imported, not edited".into(),
        }])),
    }
}

/// What a committed import wrote.
pub struct Written {
    pub rows: u64,
    pub report: Report,
}

pub async fn store<L: Store>(
    pool: &PgPool,
    actor: &Actor,
    prepared: OverlayPrepared<L::Row>,
    dry_run: bool,
) -> Result<Written, ImportError> {
    let OverlayPrepared { sources, crs_label, feature_count, rows, mut report } = prepared;
    let mut change = Change::begin(pool, actor, &format!("import {}", L::KIND), None).await?;
    let import_id = imports::begin(&mut change, L::KIND, &sources).await?;
    let written =
        L::write(change.conn(), Some(import_id), &rows, &mut report, Write::Add).await.map_err(|e| match e {
            ImportError::Database(e) => constraint_message(e),
            e => e,
        })?;
    let report = report.checked()?;
    imports::finish(&mut change, import_id, &crs_label, feature_count, &report.lines).await?;
    if dry_run {
        change.rollback().await?
    } else {
        change.bulk_loaded(L::TABLES, written);
        change.commit(pool).await?
    }
    Ok(Written { rows: written, report })
}

/// The current parcel ID for each code (a parcel ID or a legacy key), None when no current parcel has it.
pub async fn parcel_ids_of<'a>(
    conn: &mut PgConnection,
    codes: impl Iterator<Item = &'a ParcelCode>,
) -> Result<Vec<Option<String>>, sqlx::Error> {
    let (mut pid, mut commune, mut sheet, mut no) = (vec![], vec![], vec![], vec![]);
    for code in codes {
        let (id, key) = match code {
            ParcelCode::Id(id) => (Some(id.to_string()), None),
            ParcelCode::Legacy(k) => (None, Some(k)),
        };
        pid.push(id);
        commune.push(key.map(|k| k.commune.to_string()));
        sheet.push(key.map(|k| k.sheet.to_string()));
        no.push(key.map(|k| k.parcel_no.get() as i32));
    }
    sqlx::query_scalar(include_str!("sql/parcel_ids_of_codes.sql"))
        .bind(pid)
        .bind(commune)
        .bind(sheet)
        .bind(no)
        .fetch_all(conn)
        .await
}

/// A unique or check violation is the data's fault: say so in words.
fn constraint_message(e: sqlx::Error) -> ImportError {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => ImportError::Refused(vec![crate::import::ReportLine {
            subject: db.constraint().unwrap_or("a unique key").to_owned(),
            action: Action::Rejected,
            detail: format!("already in the database: {}", db.message()),
        }]),
        _ => ImportError::Database(e),
    }
}

fn wkb(g: geo::Geometry) -> Vec<u8> {
    g.to_ewkb(CoordDimensions::xy(), Some(4326)).expect("geo geometries always encode")
}

impl Store for Planning {
    const TABLES: &'static [&'static str] = &["planning_zones"];
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Zone],
        _: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let sql =
            statement(mode, include_str!("sql/planning_insert.sql"), Some(include_str!("sql/planning_update.sql")))?;
        let col = |f: fn(&Zone) -> String| rows.iter().map(f).collect::<Vec<_>>();
        Ok(sqlx::query(sql)
            .bind(col(|z| z.zone_code.clone()))
            .bind(col(|z| z.plan_name.clone()))
            .bind(col(|z| z.plan_level.to_owned()))
            .bind(rows.iter().map(|z| z.period.0).collect::<Vec<_>>())
            .bind(rows.iter().map(|z| z.period.1).collect::<Vec<_>>())
            .bind(col(|z| z.decision_no.clone()))
            .bind(rows.iter().map(|z| z.decision_date).collect::<Vec<_>>())
            .bind(col(|z| z.status.to_owned()))
            .bind(col(|z| z.land_use.to_string()))
            .bind(rows.iter().map(|z| wkb(z.geom.clone().into())).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Prices {
    const TABLES: &'static [&'static str] = &["price_segments", "land_prices"];
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[SegmentPrices],
        _: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        statement(mode, "", None)?;
        let mut seen = HashSet::new();
        let segments: Vec<&SegmentPrices> = rows.iter().filter(|r| seen.insert(r.segment.clone())).collect();
        let col = |f: fn(&SegmentPrices) -> String| segments.iter().map(|s| f(s)).collect::<Vec<_>>();
        sqlx::query(include_str!("sql/price_segments_upsert.sql"))
            .bind(col(|s| s.segment.clone()))
            .bind(col(|s| s.street.clone()))
            .bind(col(|s| s.from_point.clone()))
            .bind(col(|s| s.to_point.clone()))
            .bind(segments.iter().map(|s| wkb(s.geom.clone().into())).collect::<Vec<_>>())
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        // One row per position that has a price.
        let prices: Vec<(&SegmentPrices, i16, i64)> = rows
            .iter()
            .flat_map(|r| r.prices.iter().enumerate().filter_map(move |(i, p)| p.map(|p| (r, i as i16 + 1, p))))
            .collect();
        Ok(sqlx::query(include_str!("sql/land_prices_insert.sql"))
            .bind(prices.iter().map(|(r, _, _)| r.segment.clone()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.land_use.as_str()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(_, vt, _)| *vt).collect::<Vec<_>>())
            .bind(prices.iter().map(|(_, _, p)| *p).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.decision_no.clone()).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.effective_from).collect::<Vec<_>>())
            .bind(prices.iter().map(|(r, _, _)| r.effective_to).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Holders {
    const TABLES: &'static [&'static str] = &["personal.holders", "personal.rights"];
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[HolderRight],
        report: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        statement(mode, "", None)?;
        // Every right must name a current parcel.
        let parcel_ids = parcel_ids_of(&mut *conn, rows.iter().map(|r| &r.parcel)).await?;
        for (r, p) in rows.iter().zip(&parcel_ids) {
            if p.is_none() {
                report.push(
                    Holders::key(r),
                    Action::Rejected,
                    "names a parcel that no current parcel has (parcel ID or legacy key)",
                );
            }
        }
        if report.rejected() {
            return Ok(0);
        }
        let mut seen = HashSet::new();
        let holders: Vec<&HolderRight> = rows.iter().filter(|r| seen.insert(r.holder_code.clone())).collect();
        sqlx::query(include_str!("sql/holders_upsert.sql"))
            .bind(holders.iter().map(|h| h.holder_code.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.kind).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.name.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.personal_id.clone()).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.birth_year).collect::<Vec<_>>())
            .bind(holders.iter().map(|h| h.organisation_id.clone()).collect::<Vec<_>>())
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        Ok(sqlx::query(include_str!("sql/rights_insert.sql"))
            .bind(rows.iter().map(|r| r.holder_code.clone()).collect::<Vec<_>>())
            .bind(parcel_ids)
            .bind(rows.iter().map(|r| r.right).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.asset.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.share).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.certificate_no.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.issued_on).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Projects {
    const TABLES: &'static [&'static str] = &["projects", "project_documents"];
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Project],
        _: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let sql =
            statement(mode, include_str!("sql/projects_insert.sql"), Some(include_str!("sql/projects_update.sql")))?;
        let col = |f: fn(&Project) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        let written = sqlx::query(sql)
            .bind(col(|p| Some(p.code.to_string())))
            .bind(col(|p| Some(p.name.clone())))
            .bind(col(|p| Some(p.investor.clone())))
            .bind(col(|p| Some(p.kind.to_owned())))
            .bind(col(|p| Some(p.status.to_owned())))
            .bind(rows.iter().map(|p| p.progress_pct).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.total_investment_vnd).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.land_area_m2).collect::<Vec<_>>())
            .bind(col(|p| p.policy_decision_no.clone()))
            .bind(rows.iter().map(|p| p.policy_decision_date).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| wkb(p.geom.clone().into())).collect::<Vec<_>>())
            .bind(import_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        // An edit keeps the project's documents; an import adds those it names.
        if mode == Write::Replace {
            return Ok(written);
        }
        let docs: Vec<(&Project, &crate::import::market::Document)> =
            rows.iter().flat_map(|p| p.documents.iter().map(move |d| (p, d))).collect();
        sqlx::query(include_str!("sql/project_documents_insert.sql"))
            .bind(docs.iter().map(|(p, _)| p.code.to_string()).collect::<Vec<_>>())
            .bind(docs.iter().map(|(_, d)| d.title.clone()).collect::<Vec<_>>())
            .bind(docs.iter().map(|(_, d)| d.file_name.clone()).collect::<Vec<_>>())
            .bind(docs.iter().map(|(_, d)| d.sha256.clone()).collect::<Vec<_>>())
            .bind(docs.iter().map(|(_, d)| d.content.clone()).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?;
        Ok(written)
    }
}

impl Store for Units {
    const TABLES: &'static [&'static str] = &["units"];
    /// Checks projects and parcels, generates the product IDs the source did not give, and
    /// refuses any product ID that appears twice.
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Unit],
        report: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let sql = statement(mode, include_str!("sql/units_insert.sql"), Some(include_str!("sql/units_update.sql")))?;
        let codes: Vec<String> = rows.iter().map(|u| u.project.to_string()).collect();
        let known: HashSet<String> = sqlx::query_scalar(include_str!("sql/projects_known.sql"))
            .bind(&codes)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        let parcel_ids = parcel_ids_of(&mut *conn, rows.iter().map(|u| &u.parcel)).await?;
        let mut counts: std::collections::HashMap<(String, String), i32> =
            sqlx::query_as::<_, (String, String, i32)>(include_str!("sql/units_per_parcel.sql"))
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(p, q, n)| ((p, q), n))
                .collect();
        let mut ids: Vec<String> = Vec::with_capacity(rows.len());
        let mut seen = HashSet::new();
        for (u, pid) in rows.iter().zip(&parcel_ids) {
            let key = Units::key(u);
            if !known.contains(u.project.as_str()) {
                report.push(
                    &key,
                    Action::Rejected,
                    format!("project {} is not in the database: a unit needs its project", u.project),
                );
                continue;
            }
            let Some(pid) = pid else {
                report.push(
                    &key,
                    Action::Rejected,
                    "names a parcel that no current parcel has (parcel ID or legacy key)",
                );
                continue;
            };
            let id = match &u.product_id {
                Some(id) => Ok(id.clone()),
                None => {
                    let n = counts.entry((u.project.to_string(), pid.clone())).or_insert(0);
                    *n += 1;
                    let seq = u.seq.unwrap_or(*n as u32);
                    let parcel = pid.parse().expect("parcel IDs from the database are valid");
                    ProductId::generate(&parcel, &u.project, u.location.as_deref(), seq)
                }
            };
            match id {
                Ok(id) if !seen.insert(id.to_string()) => {
                    report.push(&key, Action::Rejected, format!("product ID {id} appears twice in the import"))
                }
                Ok(id) => ids.push(id.to_string()),
                Err(e) => report.push(&key, Action::Rejected, e.to_string()),
            }
        }
        if report.rejected() {
            return Ok(0);
        }
        Ok(sqlx::query(sql)
            .bind(ids)
            .bind(codes)
            .bind(parcel_ids)
            .bind(rows.iter().map(|u| u.building.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.floor).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.unit_no.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.location.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.floor_area_m2).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.status).collect::<Vec<_>>())
            .bind(rows.iter().map(|u| u.footprint.clone().map(|f| wkb(f.into()))).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}

impl Store for Addresses {
    const TABLES: &'static [&'static str] = &["addresses"];
    async fn write(
        conn: &mut PgConnection,
        import_id: Option<i64>,
        rows: &[Address],
        report: &mut Report,
        mode: Write,
    ) -> Result<u64, ImportError> {
        let sql =
            statement(mode, include_str!("sql/addresses_insert.sql"), Some(include_str!("sql/addresses_update.sql")))?;
        let with_parcel: Vec<&Address> = rows.iter().filter(|a| a.parcel.is_some()).collect();
        let resolved = parcel_ids_of(&mut *conn, with_parcel.iter().filter_map(|a| a.parcel.as_ref())).await?;
        let mut parcel_of: std::collections::HashMap<String, Option<String>> = Default::default();
        for (a, pid) in with_parcel.iter().zip(resolved) {
            parcel_of.insert(a.code.to_string(), pid);
        }
        let products: Vec<String> = rows.iter().filter_map(|a| a.product.as_ref().map(|p| p.to_string())).collect();
        let communes: Vec<String> = rows.iter().map(|a| a.commune.to_string()).collect();
        let known: HashSet<(String, String)> = sqlx::query_as(include_str!("sql/known_units_and_communes.sql"))
            .bind(&products)
            .bind(&communes)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        for a in rows {
            let key = Addresses::key(a);
            if a.parcel.is_some() && parcel_of.get(a.code.as_str()).is_some_and(Option::is_none) {
                report.push(&key, Action::Rejected, "names a parcel that no current parcel has");
            }
            if let Some(p) = a.product.as_ref().filter(|p| !known.contains(&("unit".into(), p.to_string()))) {
                report.push(&key, Action::Rejected, format!("names product {p}, which no unit has"));
            }
            if !known.contains(&("commune".into(), a.commune.to_string())) {
                report.push(&key, Action::Rejected, format!("commune {} is not a 2025 commune", a.commune));
            }
        }
        if report.rejected() {
            return Ok(0);
        }
        let text = |f: fn(&Address) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        Ok(sqlx::query(sql)
            .bind(text(|a| Some(a.code.to_string())))
            .bind(rows.iter().map(|a| parcel_of.get(a.code.as_str()).cloned().flatten()).collect::<Vec<_>>())
            .bind(text(|a| a.product.as_ref().map(|p| p.to_string())))
            .bind(communes)
            .bind(text(|a| a.street.clone()))
            .bind(text(|a| a.house_no.clone()))
            .bind(text(|a| a.building.clone()))
            .bind(text(|a| a.floor.clone()))
            .bind(text(|a| a.room.clone()))
            .bind(text(|a| a.postcode.clone()))
            .bind(rows.iter().map(|a| a.point.x()).collect::<Vec<_>>())
            .bind(rows.iter().map(|a| a.point.y()).collect::<Vec<_>>())
            .bind(import_id)
            .execute(conn)
            .await?
            .rows_affected())
    }
}
