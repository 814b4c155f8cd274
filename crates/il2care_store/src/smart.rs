//! SMART App Launch sign-ins: the launches in progress (one row per `state`, good for one callback) and the
//! accounts of clinicians who sign in through their EHR. Holds digests and public values only: the `state`
//! as its SHA-256 digest, PKCE as its `code_challenge` (the verifier stays in the browser's cookie), never a
//! token. Nothing here decides whom to let in; the web layer does, from the site's configuration.

use sqlx::Row;

use crate::accounts::{self, NewUser, User};
use crate::{Conn, StoreError};

/// How long a finished or abandoned launch row is kept before it is pruned.
pub const KEPT_MS: i64 = 24 * 3600 * 1000;

/// The password hash of an account that signs in only through SMART: not a PHC string, so no password ever
/// verifies against it.
pub const SMART_ONLY_PASSWORD_HASH: &str = "!smart-app-launch";

/// A launch in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launch {
    /// The SHA-256 digest (hex) of the `state` sent to the authorization server.
    pub state_digest: String,
    /// `BASE64URL(SHA-256(code_verifier))`, as sent in the authorization request.
    pub code_challenge: String,
    /// The FHIR base URL (`iss`) that launched il2care.
    pub iss: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// The OpenID Connect issuer its discovery named: the id_token's `iss` must be this.
    pub oidc_issuer: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// Stores a new launch and prunes launches older than [`KEPT_MS`].
pub async fn begin_launch(conn: &mut Conn, launch: &Launch) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM smart_launches WHERE expires_at_ms < $1")
        .bind(launch.created_at_ms - KEPT_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO smart_launches (state_digest, code_challenge, iss, token_endpoint, jwks_uri, oidc_issuer, \
         created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&launch.state_digest)
    .bind(&launch.code_challenge)
    .bind(&launch.iss)
    .bind(&launch.token_endpoint)
    .bind(&launch.jwks_uri)
    .bind(&launch.oidc_issuer)
    .bind(launch.created_at_ms)
    .bind(launch.expires_at_ms)
    .execute(conn)
    .await
    .map_err(|error| crate::conflict_on_unique(error, "this launch state exists already"))?;
    Ok(())
}

/// What a callback's `state` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// No launch has this state.
    Unknown,
    /// The state was used by an earlier callback (one use only).
    AlreadyUsed,
    /// The launch, now marked used (it may still have expired: the caller compares `expires_at_ms`).
    Launch(Launch),
}

/// Takes the launch of `state_digest` for one callback at `now_ms`: marks it used in the same statement that
/// checks it was not, so two callbacks with one state (on any instance) cannot both have it.
pub async fn take_launch(conn: &mut Conn, state_digest: &str, now_ms: i64) -> Result<Taken, StoreError> {
    let row = sqlx::query(
        "SELECT state_digest, code_challenge, iss, token_endpoint, jwks_uri, oidc_issuer, created_at_ms, \
         expires_at_ms, used_at_ms FROM smart_launches WHERE state_digest = $1",
    )
    .bind(state_digest)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(Taken::Unknown) };
    let used: Option<i64> = row.try_get("used_at_ms")?;
    if used.is_some() {
        return Ok(Taken::AlreadyUsed);
    }
    let marked =
        sqlx::query("UPDATE smart_launches SET used_at_ms = $2 WHERE state_digest = $1 AND used_at_ms IS NULL")
            .bind(state_digest)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
    if marked.rows_affected() != 1 {
        return Ok(Taken::AlreadyUsed);
    }
    Ok(Taken::Launch(Launch {
        state_digest: row.try_get("state_digest")?,
        code_challenge: row.try_get("code_challenge")?,
        iss: row.try_get("iss")?,
        token_endpoint: row.try_get("token_endpoint")?,
        jwks_uri: row.try_get("jwks_uri")?,
        oidc_issuer: row.try_get("oidc_issuer")?,
        created_at_ms: row.try_get("created_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
    }))
}

/// The account of a clinician signing in through SMART (`username` names the EHR user, such as
/// `https://ehr.example.org/fhir/Practitioner/123`), created on first sign-in with `role`, and given `role` when
/// the site's mapping changed since. An account of that name that signs in with a password is never taken
/// over: that is a conflict.
pub async fn smart_user(
    conn: &mut Conn,
    username: &str,
    display_name: &str,
    role: &str,
    now_ms: i64,
) -> Result<User, StoreError> {
    match accounts::user_by_name(conn, username).await? {
        None => {
            let user = NewUser {
                username,
                display_name,
                password_hash: SMART_ONLY_PASSWORD_HASH,
                role,
                patient_id: None,
                now_ms,
            };
            let id = accounts::create_user(conn, &user).await?;
            Ok(User {
                id,
                username: username.to_string(),
                display_name: display_name.to_string(),
                password_hash: SMART_ONLY_PASSWORD_HASH.to_string(),
                role: role.to_string(),
                patient_id: None,
                disabled_at_ms: None,
                temporary_password_expires_at_ms: None,
                temporary_password_used_at_ms: None,
            })
        }
        Some(user) if user.disabled_at_ms.is_some() => {
            Err(StoreError::Conflict(format!("the account {username} is disabled; an admin can enable it")))
        }
        Some(user) if user.password_hash != SMART_ONLY_PASSWORD_HASH => {
            Err(StoreError::Conflict(format!("the account {username} signs in with a password, not through SMART")))
        }
        Some(user) if user.role != role => {
            sqlx::query("UPDATE users SET role = $2 WHERE id = $1 AND password_hash = $3")
                .bind(user.id)
                .bind(role)
                .bind(SMART_ONLY_PASSWORD_HASH)
                .execute(conn)
                .await?;
            Ok(User { role: role.to_string(), ..user })
        }
        Some(user) => Ok(user),
    }
}
