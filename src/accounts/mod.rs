//! Officers' accounts: one named person each, roles by function, a scope of provinces and
//! communes, passwords hashed with argon2id, and the lock rules of seed 002 Art. 10.4 (read
//! against the database's clock). Every change goes through the write gateway.

pub mod sessions;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use sqlx::PgPool;

use crate::access::{Account, Audience, Cadastre, MarketRight, Scope, View};
use crate::storage::gateway::{Actor, Change};

/// A username: 3-32 characters, lower-case letters, digits, `.`, `_` or `-`, a letter first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl FromStr for Username {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<Username, AccountError> {
        let ok = (3..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok {
            Ok(Username(s.to_owned()))
        } else {
            Err(AccountError::Invalid(format!(
                "username `{s}` must be 3-32 lower-case letters, digits, `.`, `_` or `-`, starting with a letter"
            )))
        }
    }
}

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 12-digit personal identification number (căn cước).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalId(String);

impl FromStr for PersonalId {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<PersonalId, AccountError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PersonalId(s.to_owned()))
        } else {
            Err(AccountError::Invalid("a personal ID is 12 digits".into()))
        }
    }
}

/// Why an account may not sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    Lost,
    Left,
    Other,
    Expired,
    InitialPasswordUnchanged,
    Unused,
}

impl LockReason {
    fn parse(s: &str) -> Option<LockReason> {
        Some(match s {
            "lost" => LockReason::Lost,
            "left" => LockReason::Left,
            "other" => LockReason::Other,
            "expired" => LockReason::Expired,
            "initial_password_unchanged" => LockReason::InitialPasswordUnchanged,
            "unused" => LockReason::Unused,
            _ => return None,
        })
    }

    /// The reasons the admin gives (`accounts lock --reason`).
    pub fn by_admin(s: &str) -> Result<LockReason, AccountError> {
        match LockReason::parse(s) {
            Some(r @ (LockReason::Lost | LockReason::Left | LockReason::Other)) => Ok(r),
            _ => Err(AccountError::Invalid(format!("lock reason `{s}`: use lost, left or other"))),
        }
    }

    fn code(self) -> &'static str {
        match self {
            LockReason::Lost => "lost",
            LockReason::Left => "left",
            LockReason::Other => "other",
            LockReason::Expired => "expired",
            LockReason::InitialPasswordUnchanged => "initial_password_unchanged",
            LockReason::Unused => "unused",
        }
    }
}

impl fmt::Display for LockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockReason::Lost => "reported lost",
            LockReason::Left => "its holder left",
            LockReason::Other => "locked by the administrator",
            LockReason::Expired => "past its end date",
            LockReason::InitialPasswordUnchanged => "its initial password was not changed within 7 days",
            LockReason::Unused => "unused for more than 90 days",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The caller's mistake: a bad value, a weak password, an unknown account or role.
    #[error("{0}")]
    Invalid(String),
    /// Wrong username or password; which of the two is not told.
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("the account is locked: {0}; ask the registration office to unlock it")]
    Locked(LockReason),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The minimum strength: 12 characters or more, three kinds of character of four (lower case,
/// upper case, digits, others), and not the username.
pub fn check_strength(password: &str, username: &Username) -> Result<(), AccountError> {
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if password.chars().count() < 12 || kinds.iter().filter(|k| **k).count() < 3 {
        return Err(AccountError::Invalid(
            "a password needs 12 characters or more, of three kinds of four: lower case, upper case, digits, others"
                .into(),
        ));
    }
    if password.to_lowercase().contains(username.as_str()) {
        return Err(AccountError::Invalid("a password must not contain the username".into()));
    }
    Ok(())
}

/// An argon2id hash in PHC form, with a random salt.
fn hash(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Invalid(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches `hash`. CPU-bound: run it off the async workers.
fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash nobody's password matches, verified for unknown usernames so that they take as long
/// to refuse as known ones.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that is never anyone's 1!").unwrap_or_default())
}

/// A new account as the admin gives it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub full_name: String,
    pub personal_id: PersonalId,
    pub organisation: String,
    pub roles: Vec<String>,
    pub scope: Vec<String>,
    pub valid_until: Option<chrono::NaiveDate>,
}

async fn check_role(conn: &mut sqlx::PgConnection, role: &str) -> Result<(), AccountError> {
    let known: bool = sqlx::query_scalar(include_str!("sql/role_exists.sql")).bind(role).fetch_one(conn).await?;
    if known { Ok(()) } else { Err(AccountError::Invalid(format!("no role `{role}`"))) }
}

async fn check_scope(conn: &mut sqlx::PgConnection, code: &str) -> Result<(), AccountError> {
    let known: bool = sqlx::query_scalar(include_str!("sql/scope_code_known.sql")).bind(code).fetch_one(conn).await?;
    if known {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "scope `{code}` is neither a province nor a commune (2025 or pre-reform) code"
        )))
    }
}

async fn check_exists(conn: &mut sqlx::PgConnection, username: &Username) -> Result<(), AccountError> {
    let exists: bool =
        sqlx::query_scalar(include_str!("sql/account_exists.sql")).bind(username.as_str()).fetch_one(conn).await?;
    if exists { Ok(()) } else { Err(AccountError::Invalid(format!("no account `{username}`"))) }
}

/// Creates an account with an initial password (which only lets it change the password).
pub async fn add(pool: &PgPool, actor: &Actor, new: &NewAccount, password: &str) -> Result<(), AccountError> {
    check_strength(password, &new.username)?;
    if new.roles.is_empty() {
        return Err(AccountError::Invalid("an account needs a role".into()));
    }
    let hash = hash(password)?;
    let mut change = Change::begin(pool, actor, "accounts add", None).await?;
    for role in &new.roles {
        check_role(change.conn(), role).await?;
    }
    for code in &new.scope {
        check_scope(change.conn(), code).await?;
    }
    let inserted = sqlx::query(include_str!("sql/account_insert.sql"))
        .bind(new.username.as_str())
        .bind(&new.full_name)
        .bind(&new.personal_id.0)
        .bind(&new.organisation)
        .bind(hash)
        .bind(new.valid_until)
        .execute(change.conn())
        .await;
    if let Err(sqlx::Error::Database(e)) = &inserted
        && e.is_unique_violation()
    {
        return Err(AccountError::Invalid(format!(
            "an account with username `{}` or this personal ID exists already",
            new.username
        )));
    }
    inserted?;
    for role in &new.roles {
        sqlx::query(include_str!("sql/account_role_grant.sql"))
            .bind(new.username.as_str())
            .bind(role)
            .execute(change.conn())
            .await?;
    }
    for code in &new.scope {
        sqlx::query(include_str!("sql/account_scope_grant.sql"))
            .bind(new.username.as_str())
            .bind(code)
            .execute(change.conn())
            .await?;
    }
    Ok(change.commit(pool).await?)
}

/// One account as `accounts list` shows it (never its password hash).
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct Listed {
    pub username: String,
    pub full_name: String,
    pub organisation: String,
    pub valid_until: Option<chrono::NaiveDate>,
    pub roles: Vec<String>,
    pub scope: Vec<String>,
    pub locked_by_admin: Option<String>,
    pub initial_password: bool,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn list(pool: &PgPool) -> Result<Vec<Listed>, AccountError> {
    Ok(sqlx::query_as(include_str!("sql/account_list.sql")).fetch_all(pool).await?)
}

/// A change to one existing account, made through the gateway.
async fn change_account(
    pool: &PgPool,
    actor: &Actor,
    action: &str,
    username: &Username,
    sql: &str,
    value: Option<&str>,
) -> Result<(), AccountError> {
    let mut change = Change::begin(pool, actor, action, None).await?;
    check_exists(change.conn(), username).await?;
    sqlx::query(sql).bind(username.as_str()).bind(value).execute(change.conn()).await?;
    Ok(change.commit(pool).await?)
}

pub async fn lock(pool: &PgPool, actor: &Actor, username: &Username, reason: LockReason) -> Result<(), AccountError> {
    let sql = include_str!("sql/account_lock.sql");
    change_account(pool, actor, "accounts lock", username, sql, Some(reason.code())).await
}

pub async fn unlock(pool: &PgPool, actor: &Actor, username: &Username) -> Result<(), AccountError> {
    change_account(pool, actor, "accounts unlock", username, include_str!("sql/account_unlock.sql"), None).await
}

/// Sets a password: `initial` when the admin resets it (the account must change it), not when
/// the account changes its own.
pub async fn set_password(
    pool: &PgPool,
    actor: &Actor,
    username: &Username,
    password: &str,
    initial: bool,
) -> Result<(), AccountError> {
    check_strength(password, username)?;
    let hash = hash(password)?;
    let mut change = Change::begin(pool, actor, "accounts password", None).await?;
    check_exists(change.conn(), username).await?;
    sqlx::query(include_str!("sql/account_password.sql"))
        .bind(username.as_str())
        .bind(hash)
        .bind(initial)
        .execute(change.conn())
        .await?;
    Ok(change.commit(pool).await?)
}

/// What `grant` and `revoke` give or take.
#[derive(Debug, Clone)]
pub enum Grant {
    Role(String),
    Scope(String),
}

pub async fn grant(pool: &PgPool, actor: &Actor, username: &Username, what: &Grant) -> Result<(), AccountError> {
    let mut change = Change::begin(pool, actor, "accounts grant", None).await?;
    check_exists(change.conn(), username).await?;
    let (sql, value) = match what {
        Grant::Role(r) => {
            check_role(change.conn(), r).await?;
            (include_str!("sql/account_role_grant.sql"), r)
        }
        Grant::Scope(c) => {
            check_scope(change.conn(), c).await?;
            (include_str!("sql/account_scope_grant.sql"), c)
        }
    };
    sqlx::query(sql).bind(username.as_str()).bind(value).execute(change.conn()).await?;
    Ok(change.commit(pool).await?)
}

pub async fn revoke(pool: &PgPool, actor: &Actor, username: &Username, what: &Grant) -> Result<(), AccountError> {
    let (sql, value) = match what {
        Grant::Role(r) => (include_str!("sql/account_role_revoke.sql"), r),
        Grant::Scope(c) => (include_str!("sql/account_scope_revoke.sql"), c),
    };
    change_account(pool, actor, "accounts revoke", username, sql, Some(value)).await
}

/// Signs an account in with its password. Wrong passwords count: after 5 in a row the account
/// takes none for 15 minutes, refused with the same words as an unknown username.
pub async fn sign_in(pool: &PgPool, username: &str, password: &str) -> Result<Account, AccountError> {
    let Ok(username) = username.parse::<Username>() else {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || verify(decoy(), &password)).await.ok();
        return Err(AccountError::WrongCredentials);
    };
    let row: Option<(String, bool, Option<String>, bool)> =
        sqlx::query_as(include_str!("sql/account_sign_in.sql")).bind(username.as_str()).fetch_optional(pool).await?;
    let (hash, initial, locked, throttled) = match row {
        Some(r) => r,
        None => (decoy().to_owned(), false, None, false),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify(&hash, &password)).await.unwrap_or(false);
    if !matches || throttled {
        sqlx::query(include_str!("sql/account_failed.sql")).bind(username.as_str()).execute(pool).await?;
        return Err(AccountError::WrongCredentials);
    }
    if let Some(reason) = locked.as_deref().and_then(LockReason::parse) {
        return Err(AccountError::Locked(reason));
    }
    sqlx::query(include_str!("sql/account_signed_in.sql")).bind(username.as_str()).execute(pool).await?;
    account(pool, &username, initial, None).await
}

/// The commune codes `codes` cover (a province: its 2025 and pre-reform communes).
async fn communes_of(pool: &PgPool, codes: &[String]) -> Result<BTreeSet<String>, sqlx::Error> {
    let communes: Vec<String> =
        sqlx::query_scalar(include_str!("sql/scope_communes.sql")).bind(codes).fetch_all(pool).await?;
    Ok(communes.into_iter().collect())
}

/// A signed-in account: its roles and what it sees, its scope narrowed to `narrowed` (a token's).
async fn account(
    pool: &PgPool,
    username: &Username,
    initial_password: bool,
    narrowed: Option<&[String]>,
) -> Result<Account, AccountError> {
    /// The account_view.sql row.
    #[derive(sqlx::FromRow)]
    struct Row {
        roles: Vec<String>,
        personal_data: bool,
        everywhere: bool,
        scope: Vec<String>,
        full_name: String,
        cadastre: Option<String>,
        security_interests: bool,
        market: Option<String>,
        organisation: String,
        services: bool,
    }
    let Row {
        roles,
        personal_data,
        everywhere,
        scope: granted,
        full_name,
        cadastre,
        security_interests,
        market,
        organisation,
        services,
    } = sqlx::query_as(include_str!("sql/account_view.sql")).bind(username.as_str()).fetch_one(pool).await?;
    let cadastre = match cadastre.as_deref() {
        Some("edit") => Some(Cadastre::Edit),
        Some("create") => Some(Cadastre::Create),
        _ => None,
    };
    let (scope, communes) = match narrowed.filter(|n| !n.is_empty()) {
        None if everywhere => (granted, None),
        None => {
            let communes = communes_of(pool, &granted).await?;
            (granted, Some(communes))
        }
        Some(codes) => {
            let mut communes = communes_of(pool, codes).await?;
            if !everywhere {
                let allowed = communes_of(pool, &granted).await?;
                communes.retain(|c| allowed.contains(c));
            }
            (codes.to_vec(), Some(communes))
        }
    };
    // Without personal data the scope changes nothing seen: such an account shares the open
    // view (and its cached tiles) with the public.
    let communes = communes.map(Arc::new);
    let audience = if security_interests { Audience::Registry } else { Audience::Personal };
    let view = match (personal_data, &communes) {
        (false, _) => View::open(),
        (true, None) => View { audience, scope: Scope::All },
        (true, Some(c)) => View { audience, scope: Scope::Communes(c.clone()) },
    };
    Ok(Account {
        username: username.0.clone(),
        full_name,
        roles,
        scope,
        communes,
        cadastre,
        security_interests,
        market: match market.as_deref() {
            Some("any") => Some(MarketRight::Any),
            Some("investor") => Some(MarketRight::Investor),
            Some("broker") => Some(MarketRight::Broker),
            Some("notary") => Some(MarketRight::Notary),
            _ => None,
        },
        organisation,
        services,
        view,
        initial_password,
    })
}

/// A token issued: its id, its secret (shown once), and when it ends.
pub struct Issued {
    pub id: i64,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A new random secret (256 bits in hex) after `prefix`, which says what it is.
pub fn secret(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The SHA-256 digest a token or session secret is kept as.
pub fn digest(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues an API token for `username`, valid `days` days, over `scope` (codes narrowing the
/// account's scope; empty: all of it). The token is random and kept only as its digest.
pub async fn issue_token(
    pool: &PgPool,
    actor: &Actor,
    username: &Username,
    days: i32,
    scope: &[String],
) -> Result<Issued, AccountError> {
    if !(1..=366).contains(&days) {
        return Err(AccountError::Invalid("a token lasts 1 to 366 days".into()));
    }
    let mut change = Change::begin(pool, actor, "tokens issue", None).await?;
    check_exists(change.conn(), username).await?;
    for code in scope {
        check_scope(change.conn(), code).await?;
    }
    let token = secret("dc_");
    let (id, expires_at): (i64, chrono::DateTime<chrono::Utc>) = sqlx::query_as(include_str!("sql/token_insert.sql"))
        .bind(username.as_str())
        .bind(digest(&token))
        .bind(scope)
        .bind(days)
        .fetch_one(change.conn())
        .await?;
    change.commit(pool).await?;
    Ok(Issued { id, token, expires_at })
}

/// One token as `tokens list` shows it (never its secret).
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct ListedToken {
    pub id: i64,
    pub username: String,
    pub scope: Vec<String>,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn list_tokens(pool: &PgPool) -> Result<Vec<ListedToken>, AccountError> {
    Ok(sqlx::query_as(include_str!("sql/token_list.sql")).fetch_all(pool).await?)
}

pub async fn revoke_token(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), AccountError> {
    let mut change = Change::begin(pool, actor, "tokens revoke", None).await?;
    let revoked = sqlx::query(include_str!("sql/token_revoke.sql")).bind(id).execute(change.conn()).await?;
    if revoked.rows_affected() == 0 {
        return Err(AccountError::Invalid(format!("no token {id} in force")));
    }
    Ok(change.commit(pool).await?)
}

/// Signs in with an API token: its account, if the token is in force and the account is not
/// locked, seeing within the token's scope.
pub async fn sign_in_with_token(pool: &PgPool, token: &str) -> Result<Account, AccountError> {
    let found: Option<(String, Vec<String>)> =
        sqlx::query_as(include_str!("sql/token_find.sql")).bind(digest(token)).fetch_optional(pool).await?;
    let Some((username, scope)) = found else { return Err(AccountError::WrongCredentials) };
    resume(pool, &username, Some(&scope)).await
}

/// The account a token or session already proved, unless it has been locked since.
async fn resume(pool: &PgPool, username: &str, narrowed: Option<&[String]>) -> Result<Account, AccountError> {
    let username: Username = username.parse()?;
    let initial = unlocked(pool, &username).await?;
    sqlx::query(include_str!("sql/account_signed_in.sql")).bind(username.as_str()).execute(pool).await?;
    account(pool, &username, initial, narrowed).await
}

/// Whether the account's password is still the initial one; an error when the account is
/// unknown or locked.
async fn unlocked(pool: &PgPool, username: &Username) -> Result<bool, AccountError> {
    let row: Option<(String, bool, Option<String>, bool)> =
        sqlx::query_as(include_str!("sql/account_sign_in.sql")).bind(username.as_str()).fetch_optional(pool).await?;
    let Some((_, initial, locked, _)) = row else {
        return Err(AccountError::Invalid(format!("no account `{}`", username.as_str())));
    };
    match locked.as_deref().and_then(LockReason::parse) {
        Some(reason) => Err(AccountError::Locked(reason)),
        None => Ok(initial),
    }
}

/// What an unlocked account sees, for the registration office cutting an export on its behalf
/// (the account does not sign in, so its use is not recorded as its own).
pub async fn view_of(pool: &PgPool, username: &Username) -> Result<Account, AccountError> {
    let initial = unlocked(pool, username).await?;
    account(pool, username, initial, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_where_they_are_made() {
        assert!("ab".parse::<Username>().is_err());
        assert!("Nguyen".parse::<Username>().is_err());
        assert!("nguyen.van-a_1".parse::<Username>().is_ok());
        assert!("01234567890".parse::<PersonalId>().is_err());
        assert!("001234567890".parse::<PersonalId>().is_ok());
        let user: Username = "nguyenvana".parse().unwrap();
        assert!(check_strength("short1A!", &user).is_err());
        assert!(check_strength("alllowercaseletters", &user).is_err());
        assert!(check_strength("Nguyenvana-2026", &user).is_err());
        assert!(check_strength("Đất-đai 2026 an toàn", &user).is_ok());
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify_only_their_password() {
        let (a, b) = (hash("Mật-khẩu 2026").unwrap(), hash("Mật-khẩu 2026").unwrap());
        assert!(a.starts_with("$argon2id$") && a != b);
        assert!(verify(&a, "Mật-khẩu 2026") && !verify(&a, "mật-khẩu 2026"));
        assert!(!verify(decoy(), "Mật-khẩu 2026"));
    }
}
