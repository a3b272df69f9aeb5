//! Who may see what: the audience of fields, and the principal a request acts for.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Which fields a caller may see. Every catalog field names the least audience that may see
/// it; tile caches key tiles by audience, so a tile made for one is never served to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Anyone, signed in or not: open data only.
    Public,
    /// Roles allowed to see personal data (holders' names and IDs).
    Personal,
    /// Roles that keep the security-interest registry (which also see personal data): the
    /// registrations themselves, and which parcels are encumbered.
    Registry,
}

/// Where a principal's audience holds: every row, or the rows recorded under some communes
/// (2025 or pre-reform codes; a province in an account's scope is expanded to its communes when
/// the principal is made). Outside it the principal sees the open view, exactly as anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    Communes(Arc<BTreeSet<String>>),
}

/// What a principal may see: the fields of its audience on the rows of its scope, the open
/// fields elsewhere. Every feature query takes one (rows, and filters on fields beyond the open
/// ones, through the filter's entry point), the tile cutter and its cache key take one, and so
/// do exports: two principals with one view share cached tiles, no others do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct View {
    pub audience: Audience,
    pub scope: Scope,
}

impl View {
    /// Open data: public fields of every row.
    pub fn open() -> View {
        View { audience: Audience::Public, scope: Scope::All }
    }

    /// Whether a row recorded under `commune` is in scope (`None`: the row names no commune,
    /// which only an unrestricted scope holds).
    pub fn admits(&self, commune: Option<&str>) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Communes(codes) => commune.is_some_and(|c| codes.contains(c)),
        }
    }

    /// The audience for a row recorded under `commune`: the view's own in scope, the public's
    /// outside it.
    pub fn audience_for(&self, commune: Option<&str>) -> Audience {
        if self.admits(commune) { self.audience } else { Audience::Public }
    }

    /// Whether answers for this view may be kept by shared caches.
    pub fn is_open(&self) -> bool {
        *self == View::open()
    }
}

/// A right over cadastral data (the `roles.cadastre` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadastre {
    /// Change and retire the parcels of the scope.
    Edit,
    /// Add parcels in the scope.
    Create,
}

impl Account {
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }

    /// Whether a row recorded under or lying in `communes` is within the account's scope.
    pub fn covers<'a>(&self, mut communes: impl Iterator<Item = &'a str>) -> bool {
        match &self.communes {
            None => true,
            Some(set) => communes.any(|c| set.contains(c)),
        }
    }
}

/// What an account may record in the transaction registry (the `roles.market` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketRight {
    /// Any transaction in its scope (market officers, the admin).
    Any,
    /// Its own projects' units (the account's organisation is the project's investor).
    Investor,
    /// Its deals, under a broker's certificate in force linked to the account.
    Broker,
    /// The contracts its office notarised (the account's organisation).
    Notary,
}

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: open data only.
    Anonymous,
    /// A signed-in account.
    Account(Arc<Account>),
}

/// A signed-in account: who, with which roles and scope, seeing what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    /// The person's name, as the registration office recorded it.
    pub full_name: String,
    pub roles: Vec<String>,
    /// The province and commune codes as granted.
    pub scope: Vec<String>,
    /// The communes (2025 and pre-reform) the scope covers; `None`: the whole country. Apart
    /// from the view, which is the open one for accounts without personal data.
    pub communes: Option<Arc<BTreeSet<String>>>,
    /// What the account may do to cadastral data.
    pub cadastre: Option<Cadastre>,
    /// Whether it registers and sees security interests (in its scope).
    pub security_interests: bool,
    /// What it may record in the transaction registry.
    pub market: Option<MarketRight>,
    /// The organisation the person works for (an investor, a notary office, a bank).
    pub organisation: String,
    /// Whether it works data-provision requests and correction tickets (in its scope).
    pub services: bool,
    pub view: View,
    /// An initial password only lets the account change it.
    pub initial_password: bool,
}

impl Principal {
    pub fn view(&self) -> View {
        match self {
            Principal::Anonymous => View::open(),
            Principal::Account(a) => a.view.clone(),
        }
    }

    /// Which fields this principal may see.
    pub fn audience(&self) -> Audience {
        self.view().audience
    }
}
