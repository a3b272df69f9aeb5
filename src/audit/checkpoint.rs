//! Signed checkpoints of the audit chain. The chain alone shows an entry altered, removed or
//! reordered, but a database superuser could rewrite entries and recompute every hash after
//! them. So every few minutes the service signs (entry count, chain head) with an Ed25519 key
//! kept in a file outside the database, readable by the service alone, and appends the
//! checkpoint both to `audit.checkpoints` and to a file beside the key. A rewritten chain no
//! longer ends at a signed head, and the superuser cannot sign a new one.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use sqlx::PgPool;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("audit signing key {}: {why}", path.display())]
    Key { path: PathBuf, why: String },
    #[error("audit checkpoints file {}: {why}", path.display())]
    File { path: PathBuf, why: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The directory holding what the database must not: `signing.key` (PKCS#8 PEM, mode 600),
/// `signing.pub` (the public key in hex, for whoever verifies) and `checkpoints.jsonl`.
#[derive(Debug, Clone)]
pub struct AuditDir(PathBuf);

impl AuditDir {
    pub fn new(path: impl Into<PathBuf>) -> AuditDir {
        AuditDir(path.into())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    fn key(&self) -> PathBuf {
        self.0.join("signing.key")
    }

    fn public_key(&self) -> PathBuf {
        self.0.join("signing.pub")
    }

    fn checkpoints(&self) -> PathBuf {
        self.0.join("checkpoints.jsonl")
    }

    /// The key checkpoints must be signed with: `signing.pub`, or derived from `signing.key`
    /// when only that is there; `None` when neither is (no service has run with this directory).
    pub fn trusted_key(&self) -> Result<Option<VerifyingKey>, CheckpointError> {
        let path = self.public_key();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bad = |why: String| CheckpointError::Key { path: path.clone(), why };
                let bytes: [u8; 32] = hex::decode(text.trim())
                    .map_err(|e| bad(format!("not hex: {e}")))?
                    .try_into()
                    .map_err(|_| bad("not 32 bytes".into()))?;
                VerifyingKey::from_bytes(&bytes).map(Some).map_err(|e| bad(e.to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match self.key().exists() {
                true => Ok(Some(read_key(&self.key())?.verifying_key())),
                false => Ok(None),
            },
            Err(e) => Err(CheckpointError::Key { path, why: e.to_string() }),
        }
    }

    /// Copies the keys and the checkpoints of a chain of at most `entries` entries into `to`
    /// (a backup's copy, or a restore's): later checkpoints would count entries the copied
    /// chain does not have. Returns the files written.
    pub fn copy_to(&self, to: &Path, entries: i64) -> Result<Vec<PathBuf>, CheckpointError> {
        let file =
            |path: &Path, why: std::io::Error| CheckpointError::File { path: path.to_owned(), why: why.to_string() };
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(to).map_err(|e| file(to, e))?;
        let mut written = Vec::new();
        for from in [self.key(), self.public_key()] {
            if from.exists() {
                let target = to.join(from.file_name().expect("a file name"));
                std::fs::copy(&from, &target).map_err(|e| file(&from, e))?;
                written.push(target);
            }
        }
        let kept: Vec<String> = self
            .recorded()?
            .iter()
            .filter(|c| c.entries <= entries)
            .map(|c| serde_json::to_string(&Line::from(c)).expect("a checkpoint serialises"))
            .collect();
        let target = to.join("checkpoints.jsonl");
        std::fs::write(&target, kept.iter().map(|l| format!("{l}\n")).collect::<String>())
            .map_err(|e| file(&target, e))?;
        written.push(target);
        Ok(written)
    }

    /// The checkpoints appended to the file, oldest first (none when there is no file).
    pub fn recorded(&self) -> Result<Vec<Checkpoint>, CheckpointError> {
        let path = self.checkpoints();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CheckpointError::File { path, why: e.to_string() }),
        };
        let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        lines
            .map(|(n, line)| {
                serde_json::from_str::<Line>(line)
                    .map_err(|e| e.to_string())
                    .and_then(Checkpoint::try_from)
                    .map_err(|why| CheckpointError::File { path: path.clone(), why: format!("line {}: {why}", n + 1) })
            })
            .collect()
    }
}

/// A signed statement that the chain held `entries` entries ending at `head`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    pub at: DateTime<Utc>,
    pub entries: i64,
    pub head: Vec<u8>,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Checkpoint {
    /// The bytes signed: a label, so no other signed text can pass for a checkpoint, then the
    /// count, the head and the time.
    fn message(at: DateTime<Utc>, entries: i64, head: &[u8]) -> Vec<u8> {
        let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
        format!("diachinh audit checkpoint v1\n{entries}\n{}\n{at}", hex::encode(head)).into_bytes()
    }

    /// Whether `key` signed this checkpoint as it stands.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        let Ok(signature) = Signature::from_slice(&self.signature) else { return false };
        self.public_key == key.as_bytes()
            && key.verify(&Checkpoint::message(self.at, self.entries, &self.head), &signature).is_ok()
    }

    /// How it is named in a verdict.
    pub fn describe(&self) -> String {
        format!(
            "the checkpoint signed at {} for {} entries",
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.entries
        )
    }
}

/// A checkpoint as one line of `checkpoints.jsonl`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    at: DateTime<Utc>,
    entries: i64,
    head: String,
    public_key: String,
    signature: String,
}

impl From<&Checkpoint> for Line {
    fn from(c: &Checkpoint) -> Line {
        Line {
            at: c.at,
            entries: c.entries,
            head: hex::encode(&c.head),
            public_key: hex::encode(&c.public_key),
            signature: hex::encode(&c.signature),
        }
    }
}

impl TryFrom<Line> for Checkpoint {
    type Error = String;

    fn try_from(l: Line) -> Result<Checkpoint, String> {
        let bytes = |field: &str, text: &str| hex::decode(text).map_err(|e| format!("{field} is not hex: {e}"));
        Ok(Checkpoint {
            at: l.at,
            entries: l.entries,
            head: bytes("head", &l.head)?,
            public_key: bytes("public_key", &l.public_key)?,
            signature: bytes("signature", &l.signature)?,
        })
    }
}

/// The service's signing key and where its checkpoints go.
pub struct Signer {
    key: SigningKey,
    dir: AuditDir,
    /// One checkpoint at a time: the timer's and the one at shutdown must not both sign a head.
    signing: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Signer {
    /// Opens the key in `dir`, creating the directory (mode 700) and a new key (mode 600) on the
    /// first start. A key others may read is refused: whoever reads it can forge checkpoints.
    pub fn open_or_create(dir: &AuditDir) -> Result<Signer, CheckpointError> {
        let path = dir.key();
        let key_error = |why: String| CheckpointError::Key { path: path.clone(), why };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir.path())
            .map_err(|e| key_error(format!("cannot create its directory: {e}")))?;
        let key = match std::fs::metadata(&path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                return Err(key_error(format!(
                    "others may read or write it (mode {:o}); only the service may: chmod 600 it",
                    meta.permissions().mode() & 0o777
                )));
            }
            Ok(_) => read_key(&path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = create_key(&path)?;
                std::fs::write(dir.public_key(), format!("{}\n", hex::encode(key.verifying_key().as_bytes())))
                    .map_err(|e| key_error(format!("cannot write signing.pub beside it: {e}")))?;
                tracing::info!("audit: created a signing key in {}", dir.path().display());
                key
            }
            Err(e) => return Err(key_error(e.to_string())),
        };
        Ok(Signer { key, dir: dir.clone(), signing: Default::default() })
    }

    /// Signs the chain's current head, unless a checkpoint already covers it; the checkpoint is
    /// added to the database, then appended to the file and synced.
    pub async fn checkpoint(&self, pool: &PgPool) -> Result<Option<Checkpoint>, CheckpointError> {
        // The last entry's number and hash, the time to sign at, the entries already covered.
        type Head = (i64, Vec<u8>, DateTime<Utc>, Option<i64>);
        let _one = self.signing.lock().await;
        let head: Option<Head> = sqlx::query_as(include_str!("sql/chain_head.sql")).fetch_optional(pool).await?;
        let Some((entries, head, at, covered)) = head else { return Ok(None) };
        if covered.is_some_and(|c| c >= entries) {
            return Ok(None);
        }
        let signature = self.key.sign(&Checkpoint::message(at, entries, &head));
        let checkpoint = Checkpoint {
            at,
            entries,
            head,
            public_key: self.key.verifying_key().as_bytes().to_vec(),
            signature: signature.to_bytes().to_vec(),
        };
        sqlx::query(include_str!("sql/checkpoint_insert.sql"))
            .bind(checkpoint.at)
            .bind(checkpoint.entries)
            .bind(&checkpoint.head)
            .bind(&checkpoint.public_key)
            .bind(&checkpoint.signature)
            .execute(pool)
            .await?;
        let path = self.dir.checkpoints();
        let file_error = |e: std::io::Error| CheckpointError::File { path: path.clone(), why: e.to_string() };
        let mut line = serde_json::to_vec(&Line::from(&checkpoint)).expect("a checkpoint serialises");
        line.push(b'\n');
        let mut file =
            std::fs::OpenOptions::new().create(true).append(true).mode(0o644).open(&path).map_err(file_error)?;
        file.write_all(&line).and_then(|()| file.sync_data()).map_err(file_error)?;
        Ok(Some(checkpoint))
    }

    /// Signs a checkpoint every `every` until the process ends; a failure is logged and retried
    /// at the next turn.
    pub async fn every(&self, pool: &PgPool, every: std::time::Duration) {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = self.checkpoint(pool).await {
                tracing::error!("audit checkpoint: {e}");
            }
        }
    }
}

/// The checkpoints kept in the database.
pub async fn stored(pool: &PgPool) -> Result<Vec<Checkpoint>, sqlx::Error> {
    sqlx::query_as(include_str!("sql/checkpoints.sql")).fetch_all(pool).await
}

fn read_key(path: &Path) -> Result<SigningKey, CheckpointError> {
    let key_error = |why: String| CheckpointError::Key { path: path.to_owned(), why };
    let pem = std::fs::read_to_string(path).map_err(|e| key_error(e.to_string()))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| key_error(format!("not an Ed25519 PKCS#8 PEM key: {e}")))
}

fn create_key(path: &Path) -> Result<SigningKey, CheckpointError> {
    use rand::RngCore;
    let key_error = |why: String| CheckpointError::Key { path: path.to_owned(), why };
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = SigningKey::from_bytes(&secret);
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| key_error(e.to_string()))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| key_error(format!("cannot create it: {e}")))?;
    file.write_all(pem.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| key_error(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &SigningKey, entries: i64, head: [u8; 32]) -> Checkpoint {
        let at = "2026-12-02T04:05:06.123456Z".parse().unwrap();
        Checkpoint {
            at,
            entries,
            head: head.to_vec(),
            public_key: key.verifying_key().as_bytes().to_vec(),
            signature: key.sign(&Checkpoint::message(at, entries, &head)).to_bytes().to_vec(),
        }
    }

    #[test]
    fn a_checkpoint_verifies_only_as_signed_and_only_with_its_key() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let c = signed(&key, 12, [1; 32]);
        assert!(c.signed_by(&key.verifying_key()));
        assert!(!c.signed_by(&other.verifying_key()));
        assert!(!Checkpoint { entries: 13, ..c.clone() }.signed_by(&key.verifying_key()));
        assert!(!Checkpoint { head: vec![2; 32], ..c.clone() }.signed_by(&key.verifying_key()));
        // Re-signed by another key and claiming it: still not the service's.
        let forged = signed(&other, 12, [1; 32]);
        assert!(!forged.signed_by(&key.verifying_key()));
        // Through the file's line format and back.
        let line = serde_json::to_string(&Line::from(&c)).unwrap();
        assert_eq!(Checkpoint::try_from(serde_json::from_str::<Line>(&line).unwrap()).unwrap(), c);
    }

    #[test]
    fn the_key_is_created_private_and_a_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditDir::new(dir.path().join("audit"));
        let first = Signer::open_or_create(&audit).unwrap();
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(audit.key()), mode(audit.path().to_owned())), (0o600, 0o700));
        let again = Signer::open_or_create(&audit).unwrap();
        assert_eq!(first.key.to_bytes(), again.key.to_bytes(), "the second start reads the first key");
        assert_eq!(audit.trusted_key().unwrap(), Some(first.key.verifying_key()));
        std::fs::set_permissions(audit.key(), std::fs::Permissions::from_mode(0o640)).unwrap();
        let refused = Signer::open_or_create(&audit).err().unwrap().to_string();
        assert!(refused.contains("signing.key") && refused.contains("mode 640"), "{refused}");
    }
}
