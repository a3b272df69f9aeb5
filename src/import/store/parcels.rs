//! The all-or-nothing bulk load of a parcel import, two ways. The careful way computes every
//! parcel ID first, then checks them all against current parcels and reports each conflict
//! (refused, or skipped by policy) before it writes. The streaming way, for the common import
//! that conflicts with nothing, checks legacy keys first, then COPYs parcels while their IDs are
//! still being computed (PostgreSQL maintains the table on one core while the IDs take the
//! others); at the first thing the careful way must report it writes nothing and says so.

use sqlx::{PgConnection, PgPool};

use crate::domain::LegacyKey;
use crate::import::parcels::{Gathered, NewParcel, ParcelImportOptions, Prepared, Read};
use crate::import::zones::CommuneZones;
use crate::import::{Action, ImportError, OnDuplicate, Report, ReportLine};
use crate::storage::copy::{CopyRows, CopyWriter, copy_in};
use crate::storage::gateway::{Actor, Change};
use crate::storage::imports;

/// What a committed import stored.
#[derive(Debug)]
pub struct Stored {
    pub import_id: i64,
    pub parcels: usize,
    pub lines: Vec<ReportLine>,
    /// The stored parcels' extent (WGS84).
    pub extent: Option<geo::Rect>,
}

const COPY_PARCELS: &str = "COPY parcels (uid, parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use, legal_area_m2, alley_width_m, address, digital_address, source_crs, geom, import_id) FROM STDIN";

fn parcel_row(row: &mut CopyRows, uid: i64, p: &NewParcel, import_id: i64) {
    row.num(Some(uid))
        .text(Some(p.parcel_id.as_str()))
        .text(Some(p.key.commune.as_str()))
        .text(Some(p.key.sheet.as_str()))
        .num(Some(p.key.parcel_no))
        .text(p.commune.as_ref().map(|c| c.as_str()))
        .array(p.land_use.codes().iter().map(|c| c.as_str()))
        .num(p.legal_area_m2)
        .num(p.alley_width_m)
        .text(p.address.as_deref())
        .text(p.digital_address.as_ref().map(|d| d.as_str()))
        .text(Some(&p.source_crs))
        .geometry(&geo::Geometry::MultiPolygon(p.geom.clone()), 4326)
        .num(Some(import_id));
}

/// The careful way: loads prepared parcels in one transaction, after checking them against
/// current parcels. Any refusal rolls everything back; so does `dry_run`, at the end.
pub async fn store_import(
    pool: &PgPool,
    actor: &Actor,
    mut prepared: Prepared,
    on_duplicate: OnDuplicate,
    dry_run: bool,
) -> Result<Stored, ImportError> {
    let mut change = Change::begin(pool, actor, "import parcels", None).await?;
    let import_id =
        imports::begin(&mut change, "parcels", &prepared.sources, &prepared.crs_label, prepared.feature_count).await?;
    let tx = change.conn();
    refuse_or_skip_existing(tx, &mut prepared, on_duplicate).await?;
    let uids = reserve_uids(tx, prepared.parcels.len()).await?;
    let inserted = copy_in(tx, COPY_PARCELS, uids.iter().zip(&prepared.parcels), |row, (uid, p)| {
        parcel_row(row, *uid, p, import_id)
    })
    .await?;
    let holders: Vec<(i64, String)> =
        uids.iter().zip(prepared.parcels).flat_map(|(uid, p)| p.holders.into_iter().map(move |h| (*uid, h))).collect();
    let lines = complete(pool, change, import_id, holders, prepared.report, dry_run).await?;
    Ok(Stored { import_id, parcels: inserted as usize, lines, extent: prepared.extent })
}

/// The streaming way; `None` when the import needs the careful way (a legacy key or parcel ID
/// already held, a parcel refused): nothing is written then.
pub async fn store_streaming(
    pool: &PgPool,
    actor: &Actor,
    read: Read,
    opts: ParcelImportOptions,
    zones: CommuneZones,
    dry_run: bool,
) -> Result<Option<Stored>, ImportError> {
    let Read { sources, crs_label, feature_count, mut report, pending } = read;
    let mut change = Change::begin(pool, actor, "import parcels", None).await?;
    let import_id = imports::begin(&mut change, "parcels", &sources, &crs_label, feature_count).await?;
    let tx = change.conn();
    // Parcel IDs are not known yet: the unique index checks them as they are written.
    if !held(tx, pending.keys().collect(), vec![String::new(); pending.len()]).await?.is_empty() {
        change.rollback().await?;
        return Ok(None);
    }
    let uids = reserve_uids(tx, pending.len()).await?;
    // The IDs are computed on threads of their own, which hand over a chunk at a time.
    let (chunks, mut computed) = tokio::sync::mpsc::channel(2);
    let computing = tokio::task::spawn_blocking(move || {
        pending.finish_in_chunks(&opts, &zones, |chunk| {
            // A closed channel means the writer gave up: the rest are not wanted.
            let _ = chunks.blocking_send(chunk);
        })
    });
    let mut copy = CopyWriter::begin(tx, COPY_PARCELS).await?;
    let mut gathered = Gathered::default();
    let mut holders = Vec::new();
    let mut uids = uids.into_iter();
    let mut written = 0;
    while let Some(chunk) = computed.recv().await {
        let parcels: Vec<NewParcel> = chunk.into_iter().filter_map(|o| gathered.take(o, &mut report)).collect();
        if report.rejected() {
            break;
        }
        let rows: Vec<(i64, NewParcel)> = uids.by_ref().zip(parcels).collect();
        written += rows.len();
        copy.write(&rows, |row, (uid, p)| parcel_row(row, *uid, p, import_id)).await?;
        holders.extend(rows.into_iter().flat_map(|(uid, p)| p.holders.into_iter().map(move |h| (uid, h))));
    }
    drop(computed);
    if let Err(e) = computing.await {
        std::panic::resume_unwind(e.into_panic());
    }
    let loaded =
        if report.rejected() { copy.abort("a parcel was refused").await.map(|()| 0) } else { copy.finish().await };
    match loaded {
        Ok(_) if !report.rejected() => {}
        Ok(_) => {
            change.rollback().await?;
            return Ok(None);
        }
        // A parcel ID a current parcel holds (the unique index refused it).
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            change.rollback().await?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    let extent = gathered.close(&mut report);
    let lines = complete(pool, change, import_id, holders, report, dry_run).await?;
    Ok(Some(Stored { import_id, parcels: written, lines, extent }))
}

async fn reserve_uids(tx: &mut PgConnection, n: usize) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/parcel_uids.sql")).bind(n as i64).fetch_all(tx).await
}

/// What both ways do once the parcels are in: their holders, the communes of parcels recorded
/// under pre-reform codes, the import's record; then commit, or roll back a dry run.
async fn complete(
    pool: &PgPool,
    mut change: Change,
    import_id: i64,
    holders: Vec<(i64, String)>,
    mut report: Report,
    dry_run: bool,
) -> Result<Vec<ReportLine>, ImportError> {
    let tx = change.conn();
    copy_in(
        tx,
        "COPY personal.recorded_holders (parcel_uid, name, import_id) FROM STDIN",
        &holders,
        |row, (uid, name)| {
            row.num(Some(uid)).text(Some(name)).num(Some(import_id));
        },
    )
    .await?;
    sqlx::query(include_str!("sql/parcel_communes_by_location.sql")).bind(import_id).execute(&mut *tx).await?;
    let unlinked: Vec<(String, i64)> =
        sqlx::query_as(include_str!("sql/parcel_unlinked_communes.sql")).bind(import_id).fetch_all(&mut *tx).await?;
    for (code, n) in unlinked {
        report.push(
            format!("commune {code}"),
            Action::Warning,
            format!("{n} parcel(s) carry commune code {code}, which is not in the 2025 list (a pre-reform code?) and no loaded boundary holds them; kept as recorded, current commune unknown"),
        );
    }
    imports::finish(&mut change, import_id, &report.lines).await?;
    if dry_run {
        change.rollback().await?;
    } else {
        change.bulk_loaded(&["parcels", "personal.recorded_holders"]);
        change.commit(pool).await?;
    }
    Ok(report.lines)
}

/// Parcels whose legacy key or parcel ID a current parcel holds: refused, or skipped by policy.
async fn refuse_or_skip_existing(
    tx: &mut PgConnection,
    prepared: &mut Prepared,
    on_duplicate: OnDuplicate,
) -> Result<(), ImportError> {
    let keys = prepared.parcels.iter().map(|p| &p.key).collect();
    let conflicts = held(tx, keys, prepared.parcels.iter().map(|p| p.parcel_id.to_string()).collect()).await?;
    if conflicts.is_empty() {
        return Ok(());
    }
    let action = if on_duplicate == OnDuplicate::Skip { Action::Skipped } else { Action::Rejected };
    for (ord, what) in &conflicts {
        prepared.report.push(prepared.parcels[*ord as usize].key.to_string(), action, what);
    }
    prepared.report = std::mem::take(&mut prepared.report).checked()?;
    let skipped: std::collections::HashSet<usize> = conflicts.iter().map(|(ord, _)| *ord as usize).collect();
    let mut ord = 0;
    prepared.parcels.retain(|_| {
        ord += 1;
        !skipped.contains(&(ord - 1))
    });
    Ok(())
}

/// Which of `keys` and `ids` (in pairs, in order) a current parcel holds: each one's position and
/// what holds it.
async fn held(
    tx: &mut PgConnection,
    keys: Vec<&LegacyKey>,
    ids: Vec<String>,
) -> Result<Vec<(i32, String)>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/parcel_conflicts.sql"))
        .bind(keys.iter().map(|k| k.commune.to_string()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.sheet.to_string()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.parcel_no.get() as i32).collect::<Vec<_>>())
        .bind(ids)
        .fetch_all(tx)
        .await
}
