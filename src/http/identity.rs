//! Who is calling. Every handler takes a `Caller`, so access control plugs in here alone.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::catalog::Audience;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: open data only.
    Anonymous,
}

impl Caller {
    /// Which fields of the catalog this caller may see.
    pub fn audience(&self) -> Audience {
        match self {
            Caller::Anonymous => Audience::Public,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::Anonymous)
    }
}
