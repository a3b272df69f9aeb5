//! The all-or-nothing bulk load of a parcel import, two ways. The careful way computes every
//! parcel ID first, then checks them all against current parcels and reports each conflict
//! (refused, or skipped by policy) before it writes. The streaming way, for the common import
//! that conflicts with nothing, checks legacy keys first, then COPYs parcels while their IDs are
//! still being computed (PostgreSQL maintains the table on one core while the IDs take the
//! others); at the first thing the careful way must report it writes nothing and says so.

use std::path::PathBuf;

use sqlx::{PgConnection, PgPool};

use crate::domain::LegacyKey;
use crate::import::parcels::{self, Gathered, NewParcel, ParcelImportOptions, Prepared, Read};
use crate::import::zones::CommuneZones;
use crate::import::{Action, ImportError, OnDuplicate, Report, ReportLine};
use crate::progress::Progress;
use crate::storage::copy::{CopyRows, CopyWriter, copy_in};
use crate::storage::gateway::{Actor, Change};
use crate::storage::imports;

/// Uids reserved at a time by a streamed import.
const UID_BLOCK: usize = 10_000;

/// What a committed import stored.
#[derive(Debug)]
pub struct Stored {
    pub import_id: i64,
    pub parcels: usize,
    pub lines: Vec<ReportLine>,
    /// The stored parcels' extent (WGS84).
    pub extent: Option<geo::Rect>,
    pub crs_label: String,
    pub feature_count: usize,
}

const COPY_PARCELS: &str = "COPY parcels (uid, parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use, legal_area_m2, alley_width_m, address, digital_address, source_crs, geom, import_id) FROM STDIN (FORMAT binary)";

/// The parcel's row; its geometry is moved into the row (the parcel is not written twice).
fn parcel_row(row: &mut CopyRows, uid: i64, p: &mut NewParcel, import_id: i64) {
    row.int8(Some(uid))
        .text(Some(p.parcel_id.as_str()))
        .text(Some(p.key.commune.as_str()))
        .text(Some(p.key.sheet.as_str()))
        // Parcel numbers are at most i32::MAX (`ParcelNo`).
        .int4(Some(p.key.parcel_no.get() as i32))
        .text(p.commune.as_ref().map(|c| c.as_str()))
        .text_array(p.land_use.codes().iter().map(|c| c.as_str()))
        .float8(p.legal_area_m2)
        .float8(p.alley_width_m)
        .text(p.address.as_deref())
        .text(p.digital_address.as_ref().map(|d| d.as_str()))
        .text(Some(&p.source_crs))
        .geometry(&geo::Geometry::MultiPolygon(std::mem::replace(&mut p.geom, geo::MultiPolygon(Vec::new()))), 4326)
        .int8(Some(import_id));
}

/// Parcels with their uids, COPYed; their holders kept for the COPY after.
#[derive(Default)]
struct Loaded {
    parcels: usize,
    holders: Vec<(i64, String)>,
}

impl Loaded {
    async fn copy(
        &mut self,
        copy: &mut CopyWriter<'_>,
        uids: Vec<i64>,
        mut parcels: Vec<NewParcel>,
        import_id: i64,
    ) -> Result<(), sqlx::Error> {
        self.parcels += parcels.len();
        copy.write(uids.iter().zip(parcels.iter_mut()), |row, (uid, p)| parcel_row(row, *uid, p, import_id)).await?;
        self.holders
            .extend(uids.into_iter().zip(parcels).flat_map(|(uid, p)| p.holders.into_iter().map(move |h| (uid, h))));
        Ok(())
    }

    /// COPYs the holders of the parcels COPYed.
    async fn copy_holders(&self, tx: &mut PgConnection, import_id: i64) -> Result<u64, sqlx::Error> {
        copy_in(
            tx,
            "COPY personal.recorded_holders (parcel_uid, name, import_id) FROM STDIN (FORMAT binary)",
            &self.holders,
            |row, (uid, name)| {
                row.int8(Some(*uid)).text(Some(name)).int8(Some(import_id));
            },
        )
        .await
    }
}

async fn reserve_uids(conn: impl sqlx::PgExecutor<'_>, n: usize) -> Result<Vec<i64>, sqlx::Error> {
    let uids: Option<Vec<i64>> =
        sqlx::query_scalar(include_str!("sql/parcel_uids.sql")).bind(n as i64).fetch_one(conn).await?;
    Ok(uids.unwrap_or_default())
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
    let import_id = imports::begin(&mut change, "parcels", &prepared.read.sources).await?;
    let tx = change.conn();
    refuse_or_skip_existing(tx, &mut prepared, on_duplicate).await?;
    let Prepared { mut read, parcels, extent } = prepared;
    let uids = reserve_uids(&mut *tx, parcels.len()).await?;
    sqlx::query(include_str!("sql/geometry_checked.sql")).execute(&mut *tx).await?;
    let mut loaded = Loaded::default();
    let mut copy = CopyWriter::begin(tx, COPY_PARCELS).await?;
    loaded.copy(&mut copy, uids, parcels, import_id).await?;
    copy.finish().await?;
    loaded.copy_holders(tx, import_id).await?;
    complete(pool, change, import_id, &loaded, &mut read, dry_run).await?;
    Ok(stored(import_id, loaded.parcels, extent, read))
}

fn stored(import_id: i64, parcels: usize, extent: Option<geo::Rect>, read: Read) -> Stored {
    let Read { crs_label, feature_count, report, .. } = read;
    Stored { import_id, parcels, lines: report.lines, extent, crs_label, feature_count }
}

/// Indexes dropped for a first load and built again after its COPYs (parcels, then holders), in
/// its transaction.
///
/// Kept row by row, the GiST and the four btrees were half of PostgreSQL's time in a
/// 100,000-parcel load (2 s of CPU on a 2-core machine, where the reading and the parcel IDs
/// need the other core), and the COPY ended 0.7 s after the last parcel was sent; built after,
/// they take 0.6 s. The holders' index likewise (its COPY took 190 ms at 100,000, 130 with the
/// build after). A load into a table that holds rows keeps them: rebuilding would read every row
/// already there. Dropping takes the table's exclusive lock until the commit, so readers of the
/// still-empty table wait for the first load instead of seeing it empty.
struct DeferredIndexes(Vec<(String, String)>);

impl DeferredIndexes {
    async fn drop_for_first_load(tx: &mut PgConnection) -> Result<DeferredIndexes, sqlx::Error> {
        let indexes: Vec<(String, String)> =
            sqlx::query_as(include_str!("sql/parcel_indexes_deferred.sql")).fetch_all(&mut *tx).await?;
        for (name, _) in &indexes {
            // A name from the catalogue, quoted by `regclass`, not input.
            sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await?;
        }
        Ok(DeferredIndexes(indexes))
    }

    /// Builds them again; a unique one fails on a key the load holds twice, as the row-by-row
    /// index would have.
    async fn build(self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        for (_, definition) in self.0 {
            sqlx::query(&definition).execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// The streaming way: parcels are COPYed as they are read and their IDs computed. `None` when
/// the import needs the careful way (a legacy key or parcel ID already held, a parcel refused):
/// nothing is written then.
pub async fn store_streaming(
    pool: &PgPool,
    actor: &Actor,
    files: Vec<PathBuf>,
    opts: ParcelImportOptions,
    zones: CommuneZones,
    progress: impl Progress + 'static,
    dry_run: bool,
) -> Result<Option<Stored>, ImportError> {
    let mut change = Change::begin(pool, actor, "import parcels", None).await?;
    let import_id = imports::begin(&mut change, "parcels", &crate::import::file_names(&files)).await?;
    let (chunks, mut computed) = tokio::sync::mpsc::channel(2);
    let reading = tokio::task::spawn_blocking(move || {
        parcels::stream(&files, &opts, &zones, &progress, |chunk| {
            // A closed channel means the writer gave up: the rest are not wanted.
            let _ = chunks.blocking_send(chunk);
        })
    });
    let mut gathered = Gathered::default();
    let mut taken = Report::default();
    let mut loaded = Loaded::default();
    // Legacy keys and parcel IDs that current parcels hold are refused by the unique indexes.
    let outcome = async {
        let deferred = DeferredIndexes::drop_for_first_load(change.conn()).await?;
        sqlx::query(include_str!("sql/geometry_checked.sql")).execute(change.conn()).await?;
        let mut copy = CopyWriter::begin(change.conn(), COPY_PARCELS).await?;
        // Uids come a block at a time from another connection: this one is busy with the COPY.
        let mut uids = Vec::new();
        while let Some(chunk) = computed.recv().await {
            // A parcel ID taken twice is refused here without the first parcel's key (it has been
            // written): the careful way that follows names it.
            let parcels: Vec<NewParcel> =
                chunk.into_iter().filter_map(|o| gathered.take(o, &mut taken, |_| None)).collect();
            if taken.rejected() {
                return copy.abort("a parcel was refused").await.map(|()| false);
            }
            if uids.len() < parcels.len() {
                // A COPY per block of uids: the statement triggers run at the end of each, while
                // the next parcels are read and computed, instead of all after the last. Holders
                // wait for the last: their check against parcels, planned on the statistics of
                // a table that was empty, reads every parcel COPYed so far each time.
                if loaded.parcels > 0 {
                    copy.finish().await?;
                    copy = CopyWriter::begin(change.conn(), COPY_PARCELS).await?;
                }
                uids.extend(reserve_uids(pool, UID_BLOCK.max(parcels.len())).await?);
            }
            let rest = uids.split_off(parcels.len());
            loaded.copy(&mut copy, std::mem::replace(&mut uids, rest), parcels, import_id).await?;
        }
        copy.finish().await?;
        loaded.copy_holders(change.conn(), import_id).await?;
        deferred.build(change.conn()).await.map(|()| true)
    }
    .await;
    drop(computed);
    let mut read = match reading.await {
        Ok(read) => read?,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    match outcome {
        Ok(true) if !read.report.rejected() => {}
        Ok(_) => {
            change.rollback().await?;
            return Ok(None);
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            change.rollback().await?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    }
    read.report.lines.append(&mut taken.lines);
    let extent = gathered.close(&mut read.report);
    complete(pool, change, import_id, &loaded, &mut read, dry_run).await?;
    Ok(Some(stored(import_id, loaded.parcels, extent, read)))
}

/// What both ways do once the parcels and their holders are in: the communes of parcels recorded
/// under pre-reform codes (a warning in `read`'s report for those left unknown), the import's
/// record; then commit, or roll back a dry run.
async fn complete(
    pool: &PgPool,
    mut change: Change,
    import_id: i64,
    loaded: &Loaded,
    read: &mut Read,
    dry_run: bool,
) -> Result<(), ImportError> {
    let tx = change.conn();
    sqlx::query(include_str!("sql/parcel_communes_by_location.sql")).bind(import_id).execute(&mut *tx).await?;
    let unlinked: Vec<(String, i64)> =
        sqlx::query_as(include_str!("sql/parcel_unlinked_communes.sql")).bind(import_id).fetch_all(&mut *tx).await?;
    for (code, n) in unlinked {
        read.report.push(
            format!("commune {code}"),
            Action::Warning,
            format!("{n} parcel(s) carry commune code {code}, which is not in the 2025 list (a pre-reform code?) and no loaded boundary holds them; kept as recorded, current commune unknown"),
        );
    }
    imports::finish(&mut change, import_id, &read.crs_label, read.feature_count, &read.report.lines).await?;
    if dry_run {
        change.rollback().await?;
    } else {
        change.bulk_loaded(&["parcels"], loaded.parcels as u64);
        change.bulk_loaded(&["personal.recorded_holders"], loaded.holders.len() as u64);
        change.commit(pool).await?;
    }
    Ok(())
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
        prepared.read.report.push(prepared.parcels[*ord as usize].key.to_string(), action, what);
    }
    prepared.read.report = std::mem::take(&mut prepared.read.report).checked()?;
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
