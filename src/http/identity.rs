//! Who is calling: one middleware signs every request in, whatever its route, and every
//! handler takes the [`Principal`] it found from the extractor here. No credentials: the
//! anonymous public. HTTP Basic credentials (what QGIS, GDAL and
//! OWSLib send): the account they sign in, checked against its argon2id hash and its locks.
//! A successful sign-in is remembered for a minute by a digest of the credentials, so a GIS
//! client sending them with every tile does not pay for the hash each time.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::IntoResponse;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use crate::access::{Account, Principal};
use crate::accounts::{self, AccountError, sessions};
use crate::audit::recorder;
use crate::storage::gateway::Actor;

/// Signed-in accounts by the digest of their credentials. Requests that arrive together with the
/// same uncached credentials share one sign-in: a GIS client opening 16 connections at once, or
/// every connection after the entry expires, would otherwise each run argon2 (tens of ms of a
/// core each; signed-in page throughput fell to 78% of anonymous in a run where they did).
pub type SignedIn = moka::future::Cache<[u8; 32], Arc<Account>>;

pub fn signed_in_cache() -> SignedIn {
    moka::future::Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(60)).build()
}

/// The paths an account holding an initial password may use: to see itself, change it, sign out.
const INITIAL_PASSWORD_PATHS: [&str; 3] = ["/api/me", "/api/me/password", "/api/session"];

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
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str());
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let signed_in = match principal(&state, req.headers(), changes, req.uri().path()).await {
        Ok((Principal::Anonymous, _)) => {
            // The public's requests are counted, not described: nothing more to build for them.
            state.anonymous.count(route, address);
            req.extensions_mut().insert(Principal::Anonymous);
            return next.run(req).await;
        }
        Ok((Principal::Account(account), session)) => Ok((account, session)),
        Err(refused) => Err(refused),
    };
    let access = Access {
        action: format!("{} {route}", req.method()),
        object: req.uri().path_and_query().map_or(String::new(), |p| p.as_str().to_owned()),
        address,
    };
    let (actor, roles, resp) = match signed_in {
        Ok((account, session)) => {
            req.extensions_mut().insert(Principal::Account(account.clone()));
            if let Some(secret) = session {
                req.extensions_mut().insert(Session(secret));
            }
            let mut resp = next.run(req).await;
            // What a signed-in caller is answered may hold personal data: no cache may keep it
            // (a GIS client's disk cache would serve it to the next, anonymous, session).
            resp.headers_mut()
                .entry(axum::http::header::CACHE_CONTROL)
                .or_insert(axum::http::HeaderValue::from_static("private, no-store"));
            (Actor::account(&account.username), account.roles.clone(), resp)
        }
        Err(refused) => (Actor::anonymous(), Vec::new(), refused.into_response()),
    };
    audited(&state, &actor, roles, access, resp)
}

/// What a request did, as its audit entry names it.
pub struct Access {
    /// The method and the route: `GET /ogc/collections/{id}/items`.
    pub action: String,
    /// The path and query.
    pub object: String,
    pub address: Option<IpAddr>,
}

/// `resp` with its audit entry recorded and the entry's request id as `X-Request-Id`; a 503
/// instead when the audit trail cannot take the entry (an access that cannot be audited is not
/// answered).
pub fn audited(
    state: &AppState,
    actor: &Actor,
    roles: Vec<String>,
    access: Access,
    mut resp: axum::response::Response,
) -> axum::response::Response {
    let request_id = request_id();
    let entry = recorder::Access {
        at: chrono::Utc::now(),
        actor: actor.as_str().to_owned(),
        roles,
        action: access.action,
        object: access.object,
        outcome: i32::from(resp.status().as_u16()),
        request_id: request_id.clone(),
        address: access.address,
    };
    if let Err(e) = state.recorder.record(entry) {
        tracing::error!("{e}");
        let mut refused = ApiError::unavailable(e.to_string()).into_response();
        refused.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        return refused;
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// The secret of the web session a request came with (its cookie).
#[derive(Clone)]
pub struct Session(pub String);

impl Session {
    /// What the signed-in cache keeps the session's account under, so sign-out can drop it.
    pub fn cache_key(&self) -> [u8; 32] {
        Credentials::Session(self.0.clone()).cache_key()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned().unwrap_or(Principal::Anonymous))
    }
}

/// An account holding the `admin` role (the registration office): the extractor of the
/// handlers that manage accounts and read the audit trail. Anyone else: 401 anonymous, 403
/// signed in.
pub struct Admin(pub Arc<Account>);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Principal>() {
            Some(Principal::Account(a)) if a.is_admin() => Ok(Admin(a.clone())),
            Some(Principal::Account(_)) => Err(ApiError::forbidden("this is for the admin role")),
            _ => Err(ApiError::unauthorized("sign in with an account of the admin role")),
        }
    }
}

/// Who the request signs in as, and the session secret when it came with a session cookie.
/// A session that ended or expired leaves the browser anonymous (the map then offers to sign in)
/// rather than asking it for Basic credentials.
/// `changes`: the request's method is not a safe one.
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    changes: bool,
    path: &str,
) -> Result<(Principal, Option<String>), ApiError> {
    // A page of another site may not make a browser change anything here, whatever it holds.
    if changes && headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site") {
        return Err(ApiError::forbidden("a request from another site may not change anything here"));
    }
    let credentials = match headers.get(AUTHORIZATION) {
        Some(header) => match header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")) {
            Some(token) => Credentials::Token(token.trim().to_owned()),
            None => {
                let (username, password) = basic(header)?;
                Credentials::Password(username, password)
            }
        },
        None => match session_cookie(headers) {
            Some(secret) => Credentials::Session(secret),
            None => return Ok((Principal::Anonymous, None)),
        },
    };
    let signed_in = state
        .signed_in
        .try_get_with(credentials.cache_key(), async {
            let account = match &credentials {
                Credentials::Token(t) => accounts::sign_in_with_token(&state.pool, t).await,
                Credentials::Password(u, p) => accounts::sign_in(&state.pool, u, p).await,
                Credentials::Session(s) => sessions::sign_in_with_session(&state.pool, s).await,
            }?;
            Ok::<_, AccountError>(Arc::new(account))
        })
        .await;
    let account = match signed_in {
        Ok(account) => account,
        Err(e) if matches!((&*e, &credentials), (AccountError::WrongCredentials, Credentials::Session(_))) => {
            return Ok((Principal::Anonymous, None));
        }
        Err(e) => return Err(refusal_of(&e)),
    };
    let session = match credentials {
        Credentials::Session(secret) => Some(secret),
        _ => None,
    };
    if let Some(secret) = session.as_deref().filter(|_| changes) {
        let sent = headers.get("x-csrf-token").map(|v| v.as_bytes());
        if sent != Some(sessions::csrf_token(secret).as_bytes()) {
            return Err(ApiError::forbidden(
                "a change made with the session cookie needs its X-CSRF-Token header (from the sign-in answer or /api/me)",
            ));
        }
    }
    if account.initial_password && !INITIAL_PASSWORD_PATHS.contains(&path) {
        // The web map still opens, on open data, while it asks for the new password.
        if session.is_some() {
            return Ok((Principal::Anonymous, None));
        }
        return Err(ApiError::forbidden(
            "this account still has its initial password: change it first with POST /api/me/password",
        ));
    }
    Ok((Principal::Account(account), session))
}

/// The session secret in the request's `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == sessions::COOKIE && !value.is_empty()).then(|| value.to_owned())
    })
}

/// An id for a request, given back as `X-Request-Id` and kept in its audit entry: unique, not
/// secret, so a random prefix drawn once per process and a counter (no system call per request).
fn request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        use rand::RngCore;
        rand::rngs::OsRng.next_u64()
    });
    format!("{prefix:016x}{:08x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What a request signs in with: `Authorization: Basic …` (GIS clients), `Bearer …` (an API
/// token, for programs) or the web map's session cookie.
enum Credentials {
    Password(String, String),
    Token(String),
    Session(String),
}

impl Credentials {
    /// The digest a successful sign-in is remembered under.
    fn cache_key(&self) -> [u8; 32] {
        let hasher = match self {
            Credentials::Password(u, p) => {
                Sha256::new().chain_update([0]).chain_update(u).chain_update([0]).chain_update(p)
            }
            Credentials::Token(t) => Sha256::new().chain_update([1]).chain_update(t),
            Credentials::Session(s) => Sha256::new().chain_update([2]).chain_update(s),
        };
        hasher.finalize().into()
    }
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
    // UTF-8, as the challenge asks; bytes that are not are Latin-1, as older clients send them.
    let text = String::from_utf8(decoded).unwrap_or_else(|e| e.into_bytes().into_iter().map(char::from).collect());
    let (user, password) = text.split_once(':').ok_or_else(malformed)?;
    Ok((user.to_owned(), password.to_owned()))
}

/// Why a sign-in was refused, as the caller is told it.
pub fn refusal(e: AccountError) -> ApiError {
    refusal_of(&e)
}

/// `refusal` of an error shared by the requests that waited on one sign-in.
fn refusal_of(e: &AccountError) -> ApiError {
    match e {
        AccountError::WrongCredentials => ApiError::unauthorized(e.to_string()),
        AccountError::Locked(_) => ApiError::forbidden(e.to_string()),
        AccountError::Invalid(m) => ApiError::bad_request(m.clone()),
        AccountError::Database(e) => ApiError::database(e),
    }
}

#[cfg(test)]
mod tests {
    use super::basic;
    use base64::Engine;

    #[test]
    fn basic_credentials_are_utf8_or_else_latin1() {
        let header = |bytes: &[u8]| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            axum::http::HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
        };
        let utf8 = basic(&header("dangky:Sổ-đỏ 2027".as_bytes())).unwrap();
        assert_eq!(utf8, ("dangky".to_owned(), "Sổ-đỏ 2027".to_owned()));
        let latin1 = basic(&header(b"caf\xe9:p\xe4ss")).unwrap();
        assert_eq!(latin1, ("café".to_owned(), "päss".to_owned()));
        assert!(basic(&header(b"no colon")).is_err());
    }
}
