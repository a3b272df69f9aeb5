//! Web map sessions. A browser signs in with a form and holds the session's secret in an
//! HttpOnly cookie; the database keeps its digest. State-changing requests made with the cookie
//! must also carry the session's CSRF token, which a page of this origin learns from the
//! sign-in answer or `/api/me` and another site cannot read.

use sqlx::PgPool;

use super::{AccountError, digest, resume, secret, sign_in};
use crate::access::Account;
use crate::storage::gateway::{Actor, Change};

/// How long a session lasts from its sign-in.
pub const LIFETIME_HOURS: i32 = 8;

/// The cookie holding the session's secret.
pub const COOKIE: &str = "diachinh_session";

/// A session begun: its secret (for the cookie, never stored) and the account.
pub struct Started {
    pub secret: String,
    pub account: Account,
}

/// Signs in with a password and begins a session (an account with its initial password may, so
/// that it can change it; the sign-in middleware keeps it to that).
pub async fn start(pool: &PgPool, username: &str, password: &str) -> Result<Started, AccountError> {
    let account = sign_in(pool, username, password).await?;
    let secret = secret("ds_");
    let actor = Actor::account(&account.username);
    let mut change = Change::begin(pool, &actor, "sessions start", None).await?;
    sqlx::query(include_str!("sql/session_insert.sql"))
        .bind(digest(&secret))
        .bind(&account.username)
        .bind(LIFETIME_HOURS)
        .execute(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(Started { secret, account })
}

/// The account of a live session, unless it has been locked since.
pub async fn sign_in_with_session(pool: &PgPool, secret: &str) -> Result<Account, AccountError> {
    let username: Option<String> =
        sqlx::query_scalar(include_str!("sql/session_find.sql")).bind(digest(secret)).fetch_optional(pool).await?;
    let Some(username) = username else { return Err(AccountError::WrongCredentials) };
    resume(pool, &username, None).await
}

/// Signs the session out.
pub async fn end(pool: &PgPool, actor: &Actor, secret: &str) -> Result<(), AccountError> {
    let mut change = Change::begin(pool, actor, "sessions end", None).await?;
    sqlx::query(include_str!("sql/session_end.sql")).bind(digest(secret)).execute(change.conn()).await?;
    change.commit(pool).await?;
    Ok(())
}

/// The session's CSRF token: derived from its secret, so it needs no storage and no one
/// without the cookie can make it.
pub fn csrf_token(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::new().chain_update(b"diachinh csrf\0").chain_update(secret).finalize())
}
