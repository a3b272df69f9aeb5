//! `/api/session`: the web map signs in with a form (`POST`, JSON `{"username", "password"}`) and
//! out (`DELETE`). The session's secret travels in a cookie that scripts cannot read
//! (HttpOnly), that no other site's request carries (SameSite=Strict), and that only travels
//! over TLS when the service is served over it (Secure).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::identity::{Access, Session, audited, refusal};
use super::me::described;
use crate::access::Principal;
use crate::accounts::sessions::{self, COOKIE, LIFETIME_HOURS};
use crate::storage::gateway::Actor;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    username: String,
    password: String,
}

/// `POST /api/session`: a session for the account, its cookie, and who it is with the CSRF
/// token its changes must carry. A refused sign-in is an audit entry and asks for no Basic
/// credentials (a browser would pop up its own dialog).
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<SignIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(form) =
        body.map_err(|e| ApiError::bad_request(format!("the body must be {{\"username\": …, \"password\": …}}: {e}")))?;
    match sessions::start(&state.pool, &form.username, &form.password).await {
        Ok(started) => {
            let mut me = described(&started.account);
            me["csrf"] = sessions::csrf_token(&started.secret).into();
            let mut resp = Json(me).into_response();
            set_cookie(&mut resp, &cookie(&state.public_url, &started.secret, LIFETIME_HOURS * 3600));
            Ok(resp)
        }
        Err(e) => {
            let access = Access {
                action: "POST /api/session".into(),
                // As typed, but short and without control characters (a NUL cannot be kept).
                object: format!(
                    "sign in as {}",
                    form.username
                        .chars()
                        .take(64)
                        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                        .collect::<String>()
                ),
                address: Some(peer.ip()),
            };
            let mut resp = refusal(e).into_response();
            resp.headers_mut().remove(WWW_AUTHENTICATE);
            Ok(audited(&state, &Actor::anonymous(), Vec::new(), access, resp))
        }
    }
}

/// `DELETE /api/session`: signs the session out and clears its cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    principal: Principal,
    session: Option<axum::Extension<Session>>,
) -> Result<Response, ApiError> {
    let (Principal::Account(account), Some(axum::Extension(session))) = (principal, session) else {
        return Err(ApiError::bad_request("no session to sign out of: this request came without a session cookie"));
    };
    sessions::end(&state.pool, &Actor::account(&account.username), &session.0).await.map_err(refusal)?;
    state.signed_in.invalidate(&session.cache_key()).await;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut resp, &cookie(&state.public_url, "", 0));
    Ok(resp)
}

/// The session cookie's header value for a service reached at `public_url`; `max_age` 0
/// clears it.
fn cookie(public_url: &str, secret: &str, max_age: i32) -> String {
    let secure = if public_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
}

/// The CSRF token for `GET /api/me` of a session.
pub fn csrf(session: &Session) -> serde_json::Value {
    json!(sessions::csrf_token(&session.0))
}

#[cfg(test)]
mod tests {
    use super::cookie;

    #[test]
    fn the_cookie_is_secure_when_the_service_is_served_over_tls() {
        let plain = cookie("http://127.0.0.1:8080", "ds_1", 60);
        assert_eq!(plain, "diachinh_session=ds_1; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
        assert!(cookie("https://diachinh.example.vn", "ds_1", 60).ends_with("; Secure"));
    }
}
