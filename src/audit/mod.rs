//! The audit trail: one entry per change (written in the change's own transaction by the write
//! gateway) and per access by a signed-in caller, append-only and hash-chained in PostgreSQL
//! (`migrations/…_audit.sql`). [`verify`] walks the chain and names the first entry that was
//! altered, removed or reordered.

use sqlx::{PgConnection, PgPool};

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
        .execute(conn)
        .await?;
    Ok(())
}

/// What walking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry in place: how many, and the chain's head.
    Intact { entries: i64, head: String },
    /// The first entry where the chain breaks, and how.
    Broken { seq: i64, why: String },
}

/// Walks the chain: each entry must follow the one before it (no gap), claim that entry's hash
/// as its previous hash (no reordering or removal), and hash to what its content says (no
/// alteration).
pub async fn verify(pool: &PgPool) -> Result<Verdict, sqlx::Error> {
    // Each entry's number, previous hash, hash, and hash recomputed from its content.
    type Checked = (i64, Vec<u8>, Vec<u8>, Vec<u8>);
    let rows: Vec<Checked> = sqlx::query_as(include_str!("sql/entries_checked.sql")).fetch_all(pool).await?;
    let mut previous = vec![0u8; 32];
    for (expected, (seq, prev_hash, hash, recomputed)) in (1..).zip(&rows) {
        let broken = |why: &str| Ok(Verdict::Broken { seq: *seq, why: why.to_owned() });
        if *seq != expected {
            return broken(&format!("entry {expected} is missing (the next is {seq})"));
        }
        if *prev_hash != previous {
            return broken("it does not follow the entry before it (removed or reordered entries)");
        }
        if hash != recomputed {
            return broken("its content does not match its hash (altered)");
        }
        previous = hash.clone();
    }
    let head = previous.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Verdict::Intact { entries: rows.len() as i64, head })
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
    pub hash: String,
}

/// Entries by actor, since a moment, and by what the action starts with.
pub async fn show(
    pool: &PgPool,
    actor: Option<&str>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    action: Option<&str>,
) -> Result<Vec<Shown>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/entries_show.sql")).bind(actor).bind(since).bind(action).fetch_all(pool).await
}
