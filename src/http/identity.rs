//! Who is calling: one middleware signs every request in, whatever its route, and every
//! handler takes the [`Principal`] it found from the extractor here. No credentials: the
//! anonymous public. HTTP Basic credentials (what QGIS, GDAL and
//! OWSLib send): the account they sign in, checked against its argon2id hash and its locks.
//! A successful sign-in is remembered for a minute by a digest of the credentials, so a GIS
//! client sending them with every tile does not pay for the hash each time.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::access::{Account, Principal};
use crate::accounts::{self, AccountError};
use crate::audit;
use crate::storage::gateway::Actor;

/// Signed-in accounts by the digest of their credentials.
pub type SignedIn = moka::sync::Cache<[u8; 32], Account>;

pub fn signed_in_cache() -> SignedIn {
    moka::sync::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(60)).build()
}

/// The paths an account holding an initial password may use: to see itself and change it.
const INITIAL_PASSWORD_PATHS: [&str; 2] = ["/api/me", "/api/me/password"];

/// Signs the request in (wrong credentials: 401 on any route; a locked account: 403; an initial
/// password: 403 but on its own paths) and leaves the principal for the handler. Every access by
/// a signed-in caller and every refused sign-in is an audit entry; anonymous requests are
/// counted per minute, route and address.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let action = format!("{} {route}", req.method());
    let object = req.uri().path_and_query().map_or(String::new(), |p| p.as_str().to_owned());
    let (actor, roles, mut resp) = match principal(&state, req.headers(), req.uri().path()).await {
        Ok(Principal::Anonymous) => {
            state.anonymous.count(&route, address);
            req.extensions_mut().insert(Principal::Anonymous);
            return next.run(req).await;
        }
        Ok(Principal::Account(account)) => {
            req.extensions_mut().insert(Principal::Account(account.clone()));
            let resp = next.run(req).await;
            (Actor::account(&account.username), account.roles, resp)
        }
        Err(refused) => (Actor::anonymous(), Vec::new(), refused.into_response()),
    };
    let request_id = request_id();
    let entry = audit::Entry {
        actor: actor.as_str(),
        roles: &roles,
        action: &action,
        object: &object,
        outcome: i32::from(resp.status().as_u16()),
        request_id: Some(&request_id),
        address,
    };
    let recorded = match state.pool.acquire().await {
        Ok(mut conn) => audit::append(&mut conn, &entry).await,
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        // An access that cannot be audited is not answered.
        return ApiError::internal(format!("audit: {e}")).into_response();
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned().unwrap_or(Principal::Anonymous))
    }
}

async fn principal(state: &AppState, headers: &HeaderMap, path: &str) -> Result<Principal, ApiError> {
    let Some(header) = headers.get(AUTHORIZATION) else { return Ok(Principal::Anonymous) };
    let credentials = match header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")) {
        Some(token) => Credentials::Token(token.trim().to_owned()),
        None => {
            let (username, password) = basic(header)?;
            Credentials::Password(username, password)
        }
    };
    let key: [u8; 32] = match &credentials {
        Credentials::Token(t) => Sha256::new().chain_update([1]).chain_update(t).finalize().into(),
        Credentials::Password(u, p) => {
            Sha256::new().chain_update([0]).chain_update(u).chain_update([0]).chain_update(p).finalize().into()
        }
    };
    let account = match state.signed_in.get(&key) {
        Some(account) => account,
        None => {
            let account = match &credentials {
                Credentials::Token(t) => accounts::sign_in_with_token(&state.pool, t).await,
                Credentials::Password(u, p) => accounts::sign_in(&state.pool, u, p).await,
            }
            .map_err(refusal)?;
            state.signed_in.insert(key, account.clone());
            account
        }
    };
    if account.initial_password && !INITIAL_PASSWORD_PATHS.contains(&path) {
        return Err(ApiError::forbidden(
            "this account still has its initial password: change it first with POST /api/me/password",
        ));
    }
    Ok(Principal::Account(Box::new(account)))
}

/// A random id for a request, given back as `X-Request-Id` and kept in its audit entry.
fn request_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a request signs in with: `Authorization: Basic …` (GIS clients) or `Bearer …` (an API
/// token, for programs).
enum Credentials {
    Password(String, String),
    Token(String),
}

/// The username and password of `Authorization: Basic …`.
fn basic(header: &axum::http::HeaderValue) -> Result<(String, String), ApiError> {
    let malformed = || {
        ApiError::unauthorized(
            "the Authorization header must be Basic with base64 of USERNAME:PASSWORD, or Bearer TOKEN",
        )
    };
    let encoded = header.to_str().ok().and_then(|h| h.strip_prefix("Basic ")).ok_or_else(malformed)?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (user, password) = text.split_once(':').ok_or_else(malformed)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Why a sign-in was refused, as the caller is told it.
pub fn refusal(e: AccountError) -> ApiError {
    match e {
        AccountError::WrongCredentials => ApiError::unauthorized(e.to_string()),
        AccountError::Locked(_) => ApiError::forbidden(e.to_string()),
        AccountError::Invalid(m) => ApiError::bad_request(m),
        AccountError::Database(e) => e.into(),
    }
}
