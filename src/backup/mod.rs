//! Backups that prove themselves (seed 002 Art. 11.4, 12): `diachinh backup --to DIR` writes the
//! whole database with `pg_dump` (directory format: every schema, the stored PDF documents, the
//! audit chain) from one exported snapshot, the audit keys and the checkpoints of that chain, and
//! a manifest of the same snapshot (per-table row counts and checksums, the audit chain's head,
//! every file's size and SHA-256) with a checksum of its own. `diachinh restore --from DIR --into
//! URL [--verify]` refuses a corrupted or truncated backup and a database that is not empty,
//! restores with `pg_restore`, and with `--verify` proves the result: the same rows and checksums
//! per table, an audit chain that verifies and ends at the recorded head, and the service started
//! on it answering.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use sqlx::{Connection, PgConnection};

use crate::audit::checkpoint::AuditDir;

pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_SUM: &str = "manifest.sha256";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Table {
    pub table: String,
    pub rows: i64,
    pub checksum: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FileSum {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub server_version: String,
    pub tables: Vec<Table>,
    pub audit_entries: i64,
    pub audit_head: String,
    pub files: Vec<FileSum>,
}

/// Each table's rows and checksum, as `conn`'s transaction sees them.
async fn tables(conn: &mut PgConnection) -> anyhow::Result<Vec<Table>> {
    let names: Vec<(String, String)> = sqlx::query_as(include_str!("sql/tables.sql")).fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(names.len());
    for (schema, name) in names {
        let sql: String = sqlx::query_scalar(include_str!("sql/table_checksum.sql"))
            .bind(&schema)
            .bind(&name)
            .fetch_one(&mut *conn)
            .await?;
        let (rows, checksum): (i64, String) = sqlx::query_as(&sql).fetch_one(&mut *conn).await?;
        out.push(Table { table: format!("{schema}.{name}"), rows, checksum });
    }
    Ok(out)
}

async fn audit_head(conn: &mut PgConnection) -> anyhow::Result<(i64, String)> {
    Ok(sqlx::query_as(include_str!("sql/audit_head.sql")).fetch_one(conn).await?)
}

fn sha256_of(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = sha2::Sha256::new();
    let bytes = std::io::copy(&mut f, &mut h)?;
    Ok((bytes, hex::encode(h.finalize())))
}

/// Every file under `dir`, as paths relative to `root`.
fn files_under(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(root, &path, out)?;
        } else {
            out.push(path.strip_prefix(root)?.to_owned());
        }
    }
    Ok(())
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program} (PostgreSQL's client tools)"))?;
    ensure!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    Ok(())
}

/// Writes a backup of the database at `url` (and the audit files of `audit`) into `to`, which
/// must not exist yet or be empty.
pub async fn backup(url: &str, audit: &AuditDir, to: &Path) -> anyhow::Result<Manifest> {
    if to.exists() && std::fs::read_dir(to)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new directory", to.display());
    }
    std::fs::create_dir_all(to)?;
    let mut conn = PgConnection::connect(url).await.context("cannot connect to the database")?;
    // One snapshot for the dump and the manifest: changes made meanwhile are in neither.
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
    let server_version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&mut *tx).await?;
    let db = to.join("db");
    let dump = {
        let (url, db, snapshot) = (url.to_owned(), db.clone(), snapshot.clone());
        tokio::task::spawn_blocking(move || {
            run(
                "pg_dump",
                &[
                    "--format=directory",
                    "--jobs=2",
                    "--no-owner",
                    "--snapshot",
                    &snapshot,
                    "--file",
                    &db.to_string_lossy(),
                    "--dbname",
                    &url,
                ],
            )
        })
    };
    let tables = tables(&mut tx).await?;
    let (audit_entries, head) = audit_head(&mut tx).await?;
    dump.await??;
    tx.commit().await?;
    audit.copy_to(&to.join("audit"), audit_entries)?;
    let mut paths = Vec::new();
    files_under(to, to, &mut paths)?;
    paths.sort();
    let files = paths
        .iter()
        .map(|p| {
            let (bytes, sha256) = sha256_of(&to.join(p))?;
            Ok(FileSum { path: p.to_string_lossy().into_owned(), bytes, sha256 })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let manifest =
        Manifest { format: 1, created_at: Utc::now(), server_version, tables, audit_entries, audit_head: head, files };
    let text = serde_json::to_vec_pretty(&manifest)?;
    std::fs::write(to.join(MANIFEST), &text)?;
    std::fs::write(to.join(MANIFEST_SUM), format!("{}  {MANIFEST}\n", hex::encode(sha2::Sha256::digest(&text))))?;
    Ok(manifest)
}

/// The manifest of the backup in `from`, once it and every file it lists are as written.
pub fn checked(from: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read(from.join(MANIFEST)).with_context(|| format!("{} has no {MANIFEST}", from.display()))?;
    let sum = std::fs::read_to_string(from.join(MANIFEST_SUM))
        .with_context(|| format!("{} has no {MANIFEST_SUM}", from.display()))?;
    ensure!(
        sum.split_whitespace().next() == Some(hex::encode(sha2::Sha256::digest(&text)).as_str()),
        "{MANIFEST} does not match {MANIFEST_SUM}: the backup in {} is corrupted",
        from.display()
    );
    let manifest: Manifest = serde_json::from_slice(&text).context("the manifest cannot be read")?;
    for f in &manifest.files {
        let path = from.join(&f.path);
        ensure!(path.exists(), "the backup lacks {} (listed in its manifest)", f.path);
        let (bytes, sha256) = sha256_of(&path)?;
        ensure!(bytes == f.bytes, "{} is truncated or grown: {bytes} bytes, the manifest says {}", f.path, f.bytes);
        ensure!(sha256 == f.sha256, "{} is corrupted: its SHA-256 differs from the manifest's", f.path);
    }
    Ok(manifest)
}

/// Restores the backup in `from` into the empty database at `url`, and its audit files into
/// `audit`.
pub async fn restore(from: &Path, url: &str, audit: &AuditDir) -> anyhow::Result<Manifest> {
    let manifest = checked(from)?;
    let (theirs, ours) = (from.join("audit/signing.key"), audit.path().join("signing.key"));
    if ours.exists() && std::fs::read(&ours)? != std::fs::read(&theirs).unwrap_or_default() {
        bail!(
            "the audit directory {} holds another signing key: restore with an audit directory of its own (--audit-dir)",
            audit.path().display()
        );
    }
    let mut conn = PgConnection::connect(url).await.context("cannot connect to the database to restore into")?;
    let own: i64 = sqlx::query_scalar(include_str!("sql/user_tables.sql")).fetch_one(&mut conn).await?;
    ensure!(own == 0, "the database to restore into is not empty ({own} tables): restore into a new database");
    conn.close().await?;
    let db = from.join("db");
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        run("pg_restore", &["--jobs=2", "--no-owner", "--exit-on-error", "--dbname", &url, &db.to_string_lossy()])
    })
    .await??;
    AuditDir::new(from.join("audit")).copy_to(audit.path(), manifest.audit_entries)?;
    Ok(manifest)
}

/// Proves a restored database against its manifest: every table's rows and checksum, and the
/// audit chain verified against the restored checkpoints and ending at the recorded head.
pub async fn verify(manifest: &Manifest, url: &str, audit: &AuditDir) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let found = tables(&mut tx).await?;
    tx.commit().await?;
    for want in &manifest.tables {
        match found.iter().find(|t| t.table == want.table) {
            None => bail!("table {} is missing from the restored database", want.table),
            Some(got) if got.rows != want.rows => {
                bail!("table {} has {} rows, the backup {}", want.table, got.rows, want.rows)
            }
            Some(got) if got.checksum != want.checksum => bail!("table {}'s rows differ from the backup's", want.table),
            Some(_) => {}
        }
    }
    let pool = crate::storage::connect(url).await?;
    match crate::audit::verify(&pool, audit).await? {
        crate::audit::Verdict::Intact { head, .. } if head == manifest.audit_head || manifest.audit_entries == 0 => {
            Ok(())
        }
        crate::audit::Verdict::Intact { head, .. } => {
            bail!("the audit chain ends at {head}, the backup recorded {}", manifest.audit_head)
        }
        crate::audit::Verdict::Broken { seq, why } => bail!("the restored audit chain breaks at entry {seq}: {why}"),
    }
}
