//! The audit trail: one entry per change (written in the change's own transaction by the write
//! gateway) and per access by a signed-in caller, append-only and hash-chained in PostgreSQL
//! (`migrations/…_audit.sql`), with signed checkpoints of its head ([`checkpoint`]).
//! [`verify`] walks the chain and the checkpoints and names the first entry that was altered,
//! removed or reordered.

pub mod anonymous;
pub mod checkpoint;
pub mod recorder;

use sqlx::{PgConnection, PgPool};

use checkpoint::{AuditDir, Checkpoint, CheckpointError};

/// One entry to append.
pub struct Entry<'a> {
    /// `account:NAME`, `cli:USER`.
    pub actor: &'a str,
    pub roles: &'a [String],
    /// What was done: `GET /ogc/collections/{id}/items`, `import parcels`, `accounts add`.
    pub action: &'a str,
    /// What it was done to: a path and query, a change's reason.
    pub object: &'a str,
    /// The HTTP status; 0 for a committed change.
    pub outcome: i32,
    pub request_id: Option<&'a str>,
    /// The client's address, for entries made over HTTP.
    pub address: Option<std::net::IpAddr>,
}

/// Appends an entry on `conn` (in its transaction, when it has one).
pub async fn append(conn: &mut PgConnection, e: &Entry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(include_str!("sql/entry_insert.sql"))
        .bind(e.actor)
        .bind(e.roles)
        .bind(e.action)
        .bind(e.object)
        .bind(e.outcome)
        .bind(e.request_id)
        .bind(e.address.map(|a| a.to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

/// What walking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry in place: how many, the chain's head, and how many signed checkpoints agree
    /// with it (`None`: no signing key, so none were checked).
    Intact { entries: i64, head: String, checkpoints: Option<usize> },
    /// The first entry where the chain breaks, and how.
    Broken { seq: i64, why: String },
}

/// Walks the chain: each entry must follow the one before it (no gap), claim that entry's hash
/// as its previous hash (no reordering or removal), and hash to what its content says (no
/// alteration). Then every checkpoint, from the database and from the file in `dir`, must be
/// signed by the service's key and find the chain at its signed head: this catches a chain
/// rewritten with its hashes recomputed, and entries removed from its end.
pub async fn verify(pool: &PgPool, dir: &AuditDir) -> Result<Verdict, CheckpointError> {
    // Each entry's number, previous hash, hash, and hash recomputed from its content.
    type Checked = (i64, Vec<u8>, Vec<u8>, Vec<u8>);
    let rows: Vec<Checked> = sqlx::query_as(include_str!("sql/entries_checked.sql")).fetch_all(pool).await?;
    let mut previous = vec![0u8; 32];
    let mut hashes = Vec::with_capacity(rows.len());
    for (expected, (seq, prev_hash, hash, recomputed)) in (1..).zip(rows) {
        let broken = |why: &str| Ok(Verdict::Broken { seq, why: why.to_owned() });
        if seq != expected {
            return broken(&format!("entry {expected} is missing (the next is {seq})"));
        }
        if prev_hash != previous {
            return broken("it does not follow the entry before it (removed or reordered entries)");
        }
        if hash != recomputed {
            return broken("its content does not match its hash (altered)");
        }
        previous.clone_from(&hash);
        hashes.push(hash);
    }
    let checkpoints = match dir.trusted_key()? {
        None => None,
        Some(key) => {
            let mut all = dir.recorded()?;
            all.extend(checkpoint::stored(pool).await?);
            all.sort_by_key(|c| (c.entries, c.at));
            all.dedup();
            if let Some((seq, why)) = against_checkpoints(&hashes, &all, &key) {
                return Ok(Verdict::Broken { seq, why });
            }
            Some(all.len())
        }
    };
    Ok(Verdict::Intact { entries: hashes.len() as i64, head: hex::encode(previous), checkpoints })
}

/// The first entry the checkpoints (sorted by entry count) contradict: a checkpoint not signed
/// by `key`, one counting more entries than the chain has, or one whose head the chain no
/// longer has (then every entry after the last checkpoint that held may have been rewritten).
fn against_checkpoints(
    hashes: &[Vec<u8>],
    checkpoints: &[Checkpoint],
    key: &ed25519_dalek::VerifyingKey,
) -> Option<(i64, String)> {
    let mut held = 0;
    for c in checkpoints {
        if !c.signed_by(key) {
            return Some((
                c.entries,
                format!("{} is not signed by the service's key (forged or altered)", c.describe()),
            ));
        }
        let Some(hash) = usize::try_from(c.entries - 1).ok().and_then(|i| hashes.get(i)) else {
            let first = hashes.len() as i64 + 1;
            return Some((
                first,
                format!("entries {first} to {} were removed: {} counts them", c.entries, c.describe()),
            ));
        };
        if *hash != c.head {
            return Some((
                held + 1,
                format!(
                    "entries {} to {} were rewritten: the chain's hash at entry {} is not the head of {}",
                    held + 1,
                    c.entries,
                    c.entries,
                    c.describe()
                ),
            ));
        }
        held = c.entries;
    }
    None
}

/// One entry as `audit show` and `/api/audit` give it.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct Shown {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub roles: Vec<String>,
    pub action: String,
    pub object: String,
    pub outcome: i32,
    pub request_id: Option<String>,
    pub address: Option<String>,
    pub hash: String,
}

/// Entries by actor, since a moment, and by what the action starts with, oldest first; at most
/// `limit` of them (`None`: all).
pub async fn show(
    pool: &PgPool,
    actor: Option<&str>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    action: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<Shown>, sqlx::Error> {
    let query = sqlx::query_as(include_str!("sql/entries_show.sql")).bind(actor).bind(since).bind(action);
    query.bind(limit).fetch_all(pool).await
}
