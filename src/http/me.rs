//! `/api/me`: who the caller is, and an account changing its own password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::identity::{Session, refusal};
use crate::access::{Account, Audience, Principal};
use crate::accounts;
use crate::storage::gateway::Actor;

/// `GET /api/me`: the account, its roles, its scope and what it sees; or that it is anonymous.
/// Signed in by the web map's session: also the CSRF token its changes must carry.
pub async fn me(principal: Principal, session: Option<axum::Extension<Session>>) -> Json<serde_json::Value> {
    Json(match principal {
        Principal::Anonymous => json!({ "anonymous": true, "sees": "open data" }),
        Principal::Account(a) => {
            let mut me = described(&a);
            if let Some(axum::Extension(session)) = session {
                me["csrf"] = super::session::csrf(&session);
            }
            me
        }
    })
}

/// A signed-in account as `/api/me` and the web map's sign-in describe it.
pub fn described(a: &Account) -> serde_json::Value {
    json!({
        "anonymous": false,
        "account": a.username,
        "name": a.full_name,
        "roles": a.roles,
        "scope": a.scope,
        "scope_communes": a.communes.as_ref().map(|c| c.len()),
        "cadastre": a.cadastre,
        "personal_data": a.view.audience >= Audience::Personal,
        "initial_password": a.initial_password,
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /api/me/password` with `{"current": …, "new": …}`: the signed-in account's new
/// password, which ends an initial password's restrictions.
pub async fn password(
    State(state): State<AppState>,
    principal: Principal,
    body: Result<Json<PasswordChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Principal::Account(account) = principal else {
        return Err(ApiError::unauthorized("sign in with the account whose password changes"));
    };
    let Json(change) =
        body.map_err(|e| ApiError::bad_request(format!("the body must be {{\"current\": …, \"new\": …}}: {e}")))?;
    accounts::sign_in(&state.pool, &account.username, &change.current).await.map_err(refusal)?;
    let username = account.username.parse().map_err(refusal)?;
    accounts::set_password(&state.pool, &Actor::account(&account.username), &username, &change.new, false)
        .await
        .map_err(refusal)?;
    // Credentials remembered with the old password, or the initial one, must not last.
    state.signed_in.invalidate_all();
    Ok(StatusCode::NO_CONTENT.into_response())
}
