//! The scanned dossier of a land-procedure event (PDF, images): stored with its size and SHA-256,
//! which the event's record and the audit entry of its upload keep, so a later change to a file
//! is detected when it is read.

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{EditError, Editor};

/// Media types a dossier holds.
pub const MEDIA: &[&str] = &["application/pdf", "image/png", "image/jpeg", "image/tiff"];
/// A scanned page set larger than this is refused.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

/// A file read back, its content checked against the hash recorded when it was attached.
pub struct DossierFile {
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// A file's SHA-256, as the dossier and the audit trail record it.
pub fn sha256(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// The communes of an event's parcels (who may see or add to its dossier depends on them).
pub async fn communes(conn: impl sqlx::PgExecutor<'_>, event: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(include_str!("sql/event_communes.sql")).bind(event).fetch_all(conn).await
}

/// File `file` of event `event`, if there is one; `Err(Server)` if its content no longer has the
/// hash recorded for it.
pub async fn file(pool: &PgPool, event: i64, file: i64) -> Result<Option<DossierFile>, EditError> {
    let row: Option<(String, String, String, Vec<u8>)> =
        sqlx::query_as(include_str!("sql/event_file.sql")).bind(event).bind(file).fetch_optional(pool).await?;
    let Some((name, media_type, recorded, content)) = row else { return Ok(None) };
    let now = sha256(&content);
    if now != recorded {
        return Err(EditError::Server(format!(
            "file {file} of event {event} ({name}) has SHA-256 {now}, not the {recorded} recorded when it was attached"
        )));
    }
    Ok(Some(DossierFile { name, media_type, sha256: recorded, content }))
}

impl Editor<'_> {
    /// Adds a file to event `event`'s dossier, if the account may edit its parcels; `sha256` is
    /// the content's (the caller names it in the change's record). Returns the file's number.
    pub async fn attach(
        &mut self,
        event: i64,
        name: &str,
        media: &str,
        content: &[u8],
        sha256: &str,
    ) -> Result<i64, EditError> {
        self.require_edit()?;
        if name.trim().is_empty() || name.contains(['/', '\\', '\0']) || name.len() > 200 {
            return Err(EditError::Invalid(format!("file name `{name}` must be a plain name of at most 200 bytes")));
        }
        if content.len() > MAX_BYTES {
            return Err(EditError::Invalid(format!(
                "the file is {} bytes; at most {MAX_BYTES} are accepted",
                content.len()
            )));
        }
        if !MEDIA.contains(&media) {
            return Err(EditError::Invalid(format!("a dossier holds {}, not `{media}`", MEDIA.join(", "))));
        }
        if content.is_empty() {
            return Err(EditError::Invalid("the file is empty".into()));
        }
        let communes = communes(self.change.conn(), event).await?;
        if communes.is_empty() {
            return Err(EditError::NotFound(format!("no event {event}")));
        }
        if !self.account.covers(communes.iter().map(String::as_str)) {
            return Err(EditError::Forbidden(format!(
                "event {event} concerns parcels of communes {} outside the scope of account `{}`",
                communes.join(", "),
                self.account.username
            )));
        }
        let id: i64 = sqlx::query_scalar(include_str!("sql/event_file_insert.sql"))
            .bind(event)
            .bind(name.trim())
            .bind(media)
            .bind(content)
            .bind(sha256)
            .fetch_one(self.change.conn())
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    EditError::Conflict(format!("event {event} already has a file named `{name}`"))
                }
                e => e.into(),
            })?;
        Ok(id)
    }
}
