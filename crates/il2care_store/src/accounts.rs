//! Accounts: users with their role (and, for a patient, their own record), sessions, sign-in attempts.
//!
//! Passwords arrive here already hashed (argon2, by the web layer) and session tokens as their SHA-256
//! digests: the database never holds a secret that works if it leaks. Sessions live here, not in process
//! memory, so several `il2care serve` processes share them.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, StoreError, conflict_on_unique};

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    /// For role `patient`: the one record this user may reach.
    pub patient_id: Option<i64>,
    /// When an admin disabled the account (it cannot sign in and its sessions end).
    pub disabled_at_ms: Option<i64>,
    /// Set while the password is a one-time temporary one: until when it may be used.
    pub temporary_password_expires_at_ms: Option<i64>,
    /// When the temporary password was used to sign in (it works once).
    pub temporary_password_used_at_ms: Option<i64>,
}

impl User {
    /// Whether the user must choose a new password before anything else (their password is temporary).
    pub fn must_change_password(&self) -> bool {
        self.temporary_password_expires_at_ms.is_some()
    }
}

/// The columns [`User`] is read from (of `users`, aliased `u`).
pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.patient_id, \
     u.disabled_at_ms, u.temporary_password_expires_at_ms, u.temporary_password_used_at_ms";

fn user_from(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        patient_id: row.try_get("patient_id")?,
        disabled_at_ms: row.try_get("disabled_at_ms")?,
        temporary_password_expires_at_ms: row.try_get("temporary_password_expires_at_ms")?,
        temporary_password_used_at_ms: row.try_get("temporary_password_used_at_ms")?,
    })
}

pub(crate) fn user_of(row: &AnyRow) -> Result<User, sqlx::Error> {
    user_from(row)
}

/// A new user.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub patient_id: Option<i64>,
    pub now_ms: i64,
}

/// Creates a user; a taken username is a conflict.
pub async fn create_user(conn: &mut Conn, user: &NewUser<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, role, patient_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.patient_id)
    .bind(user.now_ms)
    .fetch_one(conn)
    .await
    .map_err(|error| conflict_on_unique(error, "username already taken"))?;
    Ok(row.try_get("id")?)
}

/// The user with `username`, if any.
pub async fn user_by_name(conn: &mut Conn, username: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"))
        .bind(username)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(user_from).transpose()?)
}

/// Stores a session for `user_id` under the digest of its token.
pub async fn create_session(
    conn: &mut Conn,
    token_hash: &str,
    user_id: i64,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user of an unexpired session (none for a disabled account).
pub async fn session_user(conn: &mut Conn, token_hash: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND u.disabled_at_ms IS NULL"
    ))
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(user_from).transpose()?)
}

/// Ends a session.
pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(conn).await?;
    Ok(())
}

/// Records a sign-in attempt.
pub async fn record_login_attempt(
    conn: &mut Conn,
    username: &str,
    remote: &str,
    now_ms: i64,
    success: bool,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_attempts (username, remote, at_ms, success) VALUES ($1, $2, $3, $4)")
        .bind(username)
        .bind(remote)
        .bind(now_ms)
        .bind(success)
        .execute(conn)
        .await?;
    Ok(())
}

/// Failed sign-in attempts for `username` since `since_ms` (shared by every instance, for rate limiting).
pub async fn failed_logins_since(conn: &mut Conn, username: &str, since_ms: i64) -> Result<i64, StoreError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM login_attempts WHERE username = $1 AND at_ms >= $2 AND success = $3")
            .bind(username)
            .bind(since_ms)
            .bind(false)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get("n")?)
}

/// Failed sign-ins that bear on one attempt (shared by every instance through the database): within the
/// window, from this client (any account), for this account (any client), and for this account from this
/// client since its last success there; and whether this client has signed in to this account before.
/// Failures on an account up to an admin's unlock of it count nowhere (not for the account, nor against the
/// client, which may be a shared ward computer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInHistory {
    pub from_client: i64,
    pub last_from_client_ms: Option<i64>,
    pub for_account: i64,
    pub last_for_account_ms: Option<i64>,
    pub for_pair: i64,
    pub last_for_pair_ms: Option<i64>,
    /// This client signed in to this account successfully before (a known client).
    pub known_client: bool,
}

/// Serializes sign-in attempts for `username` and `remote` until the caller's transaction ends (PostgreSQL
/// advisory locks, taken in a fixed order; SQLite's write transaction serializes them already), so that
/// concurrent attempts each see the ones before them.
pub async fn lock_sign_in(conn: &mut Conn, username: &str, remote: &str) -> Result<(), StoreError> {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        return Ok(());
    }
    let mut keys = [format!("il2care-signin-account:{username}"), format!("il2care-signin-client:{remote}")];
    keys.sort();
    for key in &keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What the database knows about sign-in failures for `username` from `remote` since `since_ms`.
pub async fn sign_in_history(
    conn: &mut Conn,
    username: &str,
    remote: &str,
    since_ms: i64,
) -> Result<SignInHistory, StoreError> {
    let last_success: Option<i64> = sqlx::query(
        "SELECT MAX(at_ms) AS at_ms FROM login_attempts WHERE username = $1 AND remote = $2 AND success = $3",
    )
    .bind(username)
    .bind(remote)
    .bind(true)
    .fetch_one(&mut *conn)
    .await?
    .try_get("at_ms")?;
    let pair_since = last_success.map_or(since_ms, |at| at.max(since_ms));

    let row = sqlx::query(
        "SELECT \
           COALESCE(SUM(CASE WHEN remote = $2 THEN 1 ELSE 0 END), 0) AS from_client, \
           MAX(CASE WHEN remote = $2 THEN at_ms END) AS last_from_client, \
           COALESCE(SUM(CASE WHEN username = $1 THEN 1 ELSE 0 END), 0) AS for_account, \
           MAX(CASE WHEN username = $1 THEN at_ms END) AS last_for_account, \
           COALESCE(SUM(CASE WHEN username = $1 AND remote = $2 AND at_ms > $5 THEN 1 ELSE 0 END), 0) AS for_pair, \
           MAX(CASE WHEN username = $1 AND remote = $2 AND at_ms > $5 THEN at_ms END) AS last_for_pair \
         FROM login_attempts a WHERE success = $3 AND at_ms >= $4 AND (username = $1 OR remote = $2) \
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.username = a.username AND u.unlocked_at_ms >= a.at_ms)",
    )
    .bind(username)
    .bind(remote)
    .bind(false)
    .bind(since_ms)
    .bind(pair_since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SignInHistory {
        from_client: row.try_get("from_client")?,
        last_from_client_ms: row.try_get("last_from_client")?,
        for_account: row.try_get("for_account")?,
        last_for_account_ms: row.try_get("last_for_account")?,
        for_pair: row.try_get("for_pair")?,
        last_for_pair_ms: row.try_get("last_for_pair")?,
        known_client: last_success.is_some(),
    })
}

/// Records an attempt as failed before its password is checked (so concurrent attempts count it); answers
/// its id, for [`sign_in_succeeded`].
pub async fn begin_sign_in_attempt(
    conn: &mut Conn,
    username: &str,
    remote: &str,
    now_ms: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO login_attempts (username, remote, at_ms, success) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(username)
    .bind(remote)
    .bind(now_ms)
    .bind(false)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Marks an attempt recorded by [`begin_sign_in_attempt`] as the success it turned out to be.
pub async fn sign_in_succeeded(conn: &mut Conn, attempt_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE login_attempts SET success = $1 WHERE id = $2")
        .bind(true)
        .bind(attempt_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many writes `actor` made to patient `patient_id`'s record since `since_ms`, from the audit log (every
/// write has its entry, committed with it): for the per-account write limit, shared by every instance.
pub async fn writes_since(conn: &mut Conn, actor: &str, patient_id: i64, since_ms: i64) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE patient_id = $1 AND at_ms >= $2 AND actor = $3 AND action = $4",
    )
    .bind(patient_id)
    .bind(since_ms)
    .bind(actor)
    .bind("write")
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("n")?)
}
