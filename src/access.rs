//! Who may see what: the audience of fields, and the principal a request acts for.

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
}
