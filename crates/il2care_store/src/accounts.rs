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
}

fn user_from(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        patient_id: row.try_get("patient_id")?,
    })
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
    let row = sqlx::query(
        "SELECT id, username, display_name, password_hash, role, patient_id FROM users WHERE username = $1",
    )
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

/// The user of an unexpired session.
pub async fn session_user(conn: &mut Conn, token_hash: &str, now_ms: i64) -> Result<Option<User>, StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.patient_id FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at_ms > $2",
    )
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
