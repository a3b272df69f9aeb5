//! `/api/accounts`: the registration office manages accounts over HTTP, the same operations as
//! `diachinh accounts …`, for the `admin` role alone. Each change goes through the write gateway
//! as the admin's account, and ends every remembered sign-in so that a lock or a new password
//! holds from the next request.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::identity::{Admin, refusal};
use crate::accounts::{self, Grant, LockReason, NewAccount, Username};
use crate::storage::gateway::Actor;

/// A JSON body, or a 400 naming the fields it must have.
fn body<T>(body: Result<Json<T>, JsonRejection>, expected: &str) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|e| ApiError::bad_request(format!("the body must be {expected}: {e}")))
}

fn username(name: &str) -> Result<Username, ApiError> {
    name.parse().map_err(refusal)
}

/// The answer to a change made: 204, every remembered sign-in forgotten.
fn done(state: &AppState) -> Response {
    state.signed_in.invalidate_all();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /api/accounts`: every account (never a password hash).
pub async fn list(State(state): State<AppState>, _admin: Admin) -> Result<Json<Vec<accounts::Listed>>, ApiError> {
    Ok(Json(accounts::list(&state.pool).await.map_err(refusal)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Added {
    username: String,
    name: String,
    personal_id: String,
    org: String,
    roles: Vec<String>,
    #[serde(default)]
    scope: Vec<String>,
    until: Option<chrono::NaiveDate>,
    /// The initial password, which the person must change at the first sign-in.
    password: String,
}

/// `POST /api/accounts`: a new account with an initial password; 201 and its location.
pub async fn add(
    State(state): State<AppState>,
    Admin(admin): Admin,
    added: Result<Json<Added>, JsonRejection>,
) -> Result<Response, ApiError> {
    let a = body(
        added,
        r#"{"username", "name", "personal_id", "org", "roles": [...], "scope": [...], "until"?, "password"}"#,
    )?;
    let new = NewAccount {
        username: username(&a.username)?,
        full_name: a.name,
        personal_id: a.personal_id.parse().map_err(refusal)?,
        organisation: a.org,
        roles: a.roles,
        scope: a.scope,
        valid_until: a.until,
    };
    accounts::add(&state.pool, &Actor::account(&admin.username), &new, &a.password).await.map_err(refusal)?;
    let location = format!("/api/accounts/{}", new.username.as_str());
    Ok((StatusCode::CREATED, [(axum::http::header::LOCATION, location)]).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locked {
    reason: String,
}

/// `POST /api/accounts/{username}/lock` with `{"reason": "lost" | "left" | "other"}`.
pub async fn lock(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    locked: Result<Json<Locked>, JsonRejection>,
) -> Result<Response, ApiError> {
    let reason =
        LockReason::by_admin(&body(locked, r#"{"reason": "lost" | "left" | "other"}"#)?.reason).map_err(refusal)?;
    accounts::lock(&state.pool, &Actor::account(&admin.username), &username(&name)?, reason).await.map_err(refusal)?;
    Ok(done(&state))
}

/// `POST /api/accounts/{username}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    accounts::unlock(&state.pool, &Actor::account(&admin.username), &username(&name)?).await.map_err(refusal)?;
    Ok(done(&state))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    password: String,
}

/// `POST /api/accounts/{username}/password` with `{"password": …}`: a new initial password.
pub async fn reset_password(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(name): Path<String>,
    reset: Result<Json<Reset>, JsonRejection>,
) -> Result<Response, ApiError> {
    let password = body(reset, r#"{"password": …}"#)?.password;
    let actor = Actor::account(&admin.username);
    accounts::set_password(&state.pool, &actor, &username(&name)?, &password, true).await.map_err(refusal)?;
    Ok(done(&state))
}

/// What `/roles/{role}` and `/scopes/{code}` name.
fn grant(kind: &str, value: String) -> Result<Grant, ApiError> {
    match kind {
        "roles" => Ok(Grant::Role(value)),
        "scopes" => Ok(Grant::Scope(value)),
        _ => Err(ApiError::not_found(format!("`{kind}`: an account has roles and scopes"))),
    }
}

/// `PUT /api/accounts/{username}/roles/{role}` and `…/scopes/{code}`: granted.
pub async fn put_grant(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((name, kind, value)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let what = grant(&kind, value)?;
    accounts::grant(&state.pool, &Actor::account(&admin.username), &username(&name)?, &what).await.map_err(refusal)?;
    Ok(done(&state))
}

/// `DELETE /api/accounts/{username}/roles/{role}` and `…/scopes/{code}`: revoked.
pub async fn delete_grant(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((name, kind, value)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let what = grant(&kind, value)?;
    accounts::revoke(&state.pool, &Actor::account(&admin.username), &username(&name)?, &what).await.map_err(refusal)?;
    Ok(done(&state))
}
