//! Officers' edits of the cadastral map. Every edit passes through the write gateway (who, what,
//! audited in the same transaction), checks the account's right and scope before and after,
//! validates the result with the import's own rules, and keeps history: a parcel's current
//! version is closed and the next one added, and each step is a land-procedure event. A parcel
//! keeps its ID through edits that are not a split or a merge (the ID names the parcel, not its
//! current shape); a split or merge makes new parcels with new IDs and links them by lineage.
//!
//! An [`Editor`] is one transaction: OGC API - Features Part 4 makes one edit in it, a WFS
//! Transaction many, all or nothing.

pub mod dossier;
mod events;
pub mod history;
pub mod mortgages;
pub mod overlays;
mod transfer;
mod values;
mod versions;

use std::sync::Arc;

use sqlx::PgPool;

pub use events::{MergeRequest, Part, SplitRequest};
pub use values::{EditGeometry, Mode};

use crate::access::{Account, Cadastre};
use crate::import::zones::CommuneZones;
use crate::storage::gateway::{Actor, Change};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// What the edit names does not exist (or is no longer current).
    #[error("{0}")]
    NotFound(String),
    /// The account may not make this edit.
    #[error("{0}")]
    Forbidden(String),
    /// `If-Match` named another version than the current one.
    #[error("parcel `{parcel}` has changed: its current version is {current}, not {sent}")]
    Stale { parcel: String, current: String, sent: String },
    /// The caller's values break a rule.
    #[error("{0}")]
    Invalid(String),
    /// The edit clashes with other current data (a key or ID another parcel holds).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A check could not run (PROJ, a worker thread): the server's fault.
    #[error("{0}")]
    Server(String),
}

/// Text a registry or workflow stores: not empty, no NUL, trimmed.
pub fn text(name: &str, v: &str) -> Result<String, EditError> {
    match v.trim().is_empty() || v.contains('\0') {
        true => Err(EditError::Invalid(format!("{name} must be a non-empty text without NUL characters"))),
        false => Ok(v.trim().to_owned()),
    }
}

/// The strong entity tag of a parcel version: its row number, quoted.
pub fn etag(uid: i64) -> String {
    format!("\"{uid}\"")
}

/// Why an event happened: the procedure's reason and its legal basis (decision, contract), and
/// for an encumbered parcel the secured party's consent it goes ahead on.
#[derive(Debug, Clone, Default)]
pub struct Grounds {
    pub reason: Option<String>,
    pub legal_basis: Option<String>,
    pub secured_party_consent: Option<String>,
}

/// One transaction of edits by one account.
pub struct Editor<'a> {
    pool: &'a PgPool,
    account: &'a Account,
    change: Change,
    zones: Arc<CommuneZones>,
    /// Events recorded so far, for the caller's answer.
    events: Vec<i64>,
}

/// The commune list with each province's TM-3 zone, read at most once a minute per database:
/// reading it took 39 ms of the database at every edit. The list comes from the migrations and
/// changes with a reform; an edit made in the minute after one is still checked by the
/// database's own commune check (`check_parcel_communes`).
async fn zones(pool: &PgPool) -> Result<Arc<CommuneZones>, sqlx::Error> {
    static ZONES: std::sync::LazyLock<moka::future::Cache<String, Arc<CommuneZones>>> =
        std::sync::LazyLock::new(|| {
            moka::future::Cache::builder().max_capacity(16).time_to_live(std::time::Duration::from_secs(60)).build()
        });
    let database = pool.connect_options().get_database().unwrap_or_default().to_owned();
    if let Some(zones) = ZONES.get(&database).await {
        return Ok(zones);
    }
    let zones = Arc::new(CommuneZones::new(crate::storage::commune_zones(pool).await?));
    ZONES.insert(database, zones.clone()).await;
    Ok(zones)
}

impl<'a> Editor<'a> {
    /// Opens the transaction; `what` names the request (`PATCH parcel …`, `WFS Transaction`).
    pub async fn begin(pool: &'a PgPool, account: &'a Account, what: &str) -> Result<Editor<'a>, EditError> {
        if account.cadastre.is_none() {
            return Err(EditError::Forbidden(format!(
                "account `{}` may not change cadastral data: that takes the commune_officer, registrar or admin role",
                account.username
            )));
        }
        let zones = zones(pool).await?;
        let change = Change::begin(pool, &Actor::account(&account.username), "edit map data", Some(what)).await?;
        Ok(Editor { pool, account, change, zones, events: Vec::new() })
    }

    /// Changing or retiring an existing parcel takes the edit right; adding one, create or edit.
    fn require_edit(&self) -> Result<(), EditError> {
        match self.account.cadastre {
            Some(Cadastre::Edit) => Ok(()),
            _ => Err(EditError::Forbidden(format!(
                "account `{}` may add parcels but not change or retire them",
                self.account.username
            ))),
        }
    }

    /// A transfer, split or merge of a parcel a security interest is registered over needs the
    /// secured party's consent: refused without it, naming the registration.
    async fn unencumbered(&mut self, parcels: &[&str], what: &str, grounds: &Grounds) -> Result<(), EditError> {
        let ids: Vec<String> = parcels.iter().map(|p| p.to_string()).collect();
        let found = mortgages::active(self.change.conn(), &ids).await?;
        match (found.first(), &grounds.secured_party_consent) {
            (Some((no, parcel, at)), None) => Err(EditError::Conflict(format!(
                "parcel {parcel} is encumbered by security interest {no} (registered {at}): a {what} needs the secured party's consent (secured_party_consent)"
            ))),
            _ => Ok(()),
        }
    }

    /// Commits every edit with its events and audit entry; returns the events' numbers.
    pub async fn commit(self) -> Result<Vec<i64>, EditError> {
        self.change.commit(self.pool).await?;
        Ok(self.events)
    }
}
