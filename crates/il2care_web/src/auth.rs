//! Accounts and sign-in: argon2 password hashes, random session tokens stored only as SHA-256 digests (in
//! the database, so every instance shares them), the `Actor` extractor for cookies and bearer tokens, and
//! sign-in throttling (failed attempts are counted in the database and audited).
//!
//! Throttling never locks an account: past [`FREE_FAILURES`] failures within the window, the next attempt
//! must wait a delay that doubles with each further failure, up to [`MAX_DELAY_MS`]. A client the account
//! signed in from before (a known client) is throttled only by its own failures on that account, so others
//! guessing cannot keep the account's owner out; any other client is throttled by the failures from its
//! address (any account) and on the account (any address). Each attempt is counted before its password is
//! checked, under a lock per account and per client, so concurrent attempts on PostgreSQL each see those before
//! them. Password hashing runs on the blocking pool, a few at a time.

use std::net::SocketAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use il2care_core::Refusal;
use il2care_store::accounts::{self, User};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::now_ms;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "il2care_session";
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins within the window before attempts are delayed.
pub const FREE_FAILURES: i64 = 5;
/// The delay after the first failure past the free ones; it doubles with each further failure.
pub const FIRST_DELAY_MS: i64 = 5 * 1000;
/// The longest delay between attempts once throttled.
pub const MAX_DELAY_MS: i64 = 60 * 1000;
/// The window in which failures count.
pub const SIGN_IN_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The longest username accepted (checked before anything is stored).
pub const MAX_USERNAME_CHARS: usize = 64;
/// The longest password accepted (hashing cost grows with it).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Password hashes computed at once, on the blocking pool.
pub const MAX_CONCURRENT_HASHES: usize = 2;

/// How long after the last failure `failures` failures let the next attempt through.
pub fn sign_in_delay_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from((failures - FREE_FAILURES).min(16)).unwrap_or(16);
    (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS)
}

/// Whether an attempt with this history must wait (how long, in ms), per the rules above.
pub fn sign_in_wait_ms(history: &accounts::SignInHistory, now_ms: i64) -> i64 {
    let wait =
        |failures: i64, last: Option<i64>| last.map_or(0, |last| (last + sign_in_delay_ms(failures) - now_ms).max(0));
    if history.known_client {
        wait(history.for_pair, history.last_for_pair_ms)
    } else {
        wait(history.from_client, history.last_from_client_ms)
            .max(wait(history.for_account, history.last_for_account_ms))
    }
}

/// The roles of PRODUCT.md: the application layer's one `Role`.
pub use il2care_app::access::Role;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes).map_err(|error| AppError::Internal(anyhow::anyhow!("no randomness: {error}")))?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|error| AppError::Internal(anyhow::anyhow!("{error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AppError::Internal(anyhow::anyhow!("hashing failed: {error}")))
}

/// Checks a password on the blocking pool, at most [`MAX_CONCURRENT_HASHES`] at once; without a stored hash
/// the same work is spent, so a missing username cannot be told apart by timing.
async fn verify_password_off_thread(state: &AppState, password: &str, hash: Option<String>) -> Result<bool, AppError> {
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("the hashing pool is closed: {error}")))?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .map_err(|error| AppError::Internal(anyhow::anyhow!("password check failed: {error}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).and_then(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed)).is_ok()
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| AppError::Internal(anyhow::anyhow!("no randomness: {error}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The SHA-256 digest under which a session token is stored (the application layer's, one place).
pub use il2care_app::doses::token_digest;

/// The refusal of every request but the password change while the password is a temporary one.
pub const PASSWORD_CHANGE_REQUIRED: &str = "choose a new password first: your password is a temporary one";
/// Where a session with a temporary password may go.
pub const PASSWORD_CHANGE_PATHS: [&str; 4] =
    ["/account/password", "/api/v1/account/password", "/signout", "/api/v1/session"];
/// The shortest password a user may choose (a temporary one is generated, longer).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How long a temporary password may be used (once) after an admin set it.
pub const TEMPORARY_PASSWORD_HOURS: i64 = 72;

/// A password a user chooses: the shape every password has ([`check_credentials_shape`]) and at least
/// [`MIN_PASSWORD_CHARS`] characters, not only spaces, and not the username.
pub fn check_new_password(username: &str, password: &str, field: &str) -> Result<(), Refusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Refusal::new(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Refusal::new(field, format!("is longer than {MAX_PASSWORD_CHARS} characters")));
    }
    if password.chars().any(char::is_control) {
        return Err(Refusal::new(field, "contains a control character"));
    }
    if password.trim().is_empty() {
        return Err(Refusal::new(field, "is only spaces"));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(Refusal::new(field, "must not be the username"));
    }
    Ok(())
}

/// A fresh one-time temporary password: 80 random bits as four groups of five letters and digits that
/// cannot be mistaken for each other when read aloud or copied (no 0/O, 1/l/I).
pub fn new_temporary_password() -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789A";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|error| AppError::Internal(anyhow::anyhow!("no randomness: {error}")))?;
    let letters: Vec<char> = bytes.iter().map(|byte| char::from(ALPHABET[usize::from(byte % 32)])).collect();
    Ok(letters.chunks(5).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
}

/// Checks a password against a stored hash on the blocking pool (for the password change).
pub async fn password_matches(state: &AppState, password: &str, hash: &str) -> Result<bool, AppError> {
    verify_password_off_thread(state, password, Some(hash.to_string())).await
}

/// Hashes a password on the blocking pool, a few at a time.
pub async fn hash_password_off_thread(state: &AppState, password: &str) -> Result<String, AppError> {
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("the hashing pool is closed: {error}")))?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("password hashing failed: {error}")))?
}

/// Who is making the request: a signed-in account (its row, for the pages' names) and, built once when the
/// request is admitted, the application layer's actor ([`Actor::app`]) that the use cases decide and audit by.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: User,
    app: il2care_app::access::Actor,
}

impl Actor {
    /// The account `user` acting in `role` from `remote`.
    pub fn new(user: User, role: Role, remote: String) -> Actor {
        let app =
            il2care_app::access::Actor { username: user.username.clone(), role, patient_id: user.patient_id, remote };
        Actor { user, app }
    }

    /// The signed-in user as the application layer's actor.
    pub fn app(&self) -> &il2care_app::access::Actor {
        &self.app
    }

    /// The account's role.
    pub fn role(&self) -> Role {
        self.app.role
    }

    /// The client address the request came from.
    pub fn remote(&self) -> &str {
        &self.app.remote
    }

    /// Refuses the request unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role()) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("the {} role may not do this", self.role().as_str())))
        }
    }
}

/// The client address, when the server knows it.
pub fn remote_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ConnectInfo(address)| address.ip().to_string())
}

pub(crate) fn token_from(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE).and_then(|rest| rest.strip_prefix('=')))
        .map(str::to_string)
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        let token = token_from(&parts.headers).ok_or(AppError::Unauthenticated)?;
        let mut conn = state.store.connection().await?;
        let user = accounts::session_user(&mut conn, &token_digest(&token), now_ms())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let role = Role::parse(&user.role)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user {} has an unknown role", user.id)))?;
        // A session opened with a temporary password may only choose the new password (or sign out).
        if user.must_change_password() && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
            return Err(AppError::Forbidden(PASSWORD_CHANGE_REQUIRED.into()));
        }
        Ok(Actor::new(user, role, remote_of(parts)))
    }
}

/// The client address as an extractor, for handlers without an actor (sign-in).
pub struct Remote(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Remote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Remote, Self::Rejection> {
        Ok(Remote(remote_of(parts)))
    }
}

fn credentials(text: &str) -> Result<(String, String), Refusal> {
    let object = il2care_wire::json::parse_object(text)?;
    il2care_wire::json::refuse_unknown_fields(&object, &["username", "password"], "")?;
    let username = il2care_wire::json::string(il2care_wire::json::required(&object, "username", "")?, "username")?;
    let password = il2care_wire::json::string(il2care_wire::json::required(&object, "password", "")?, "password")?;
    Ok((username.to_string(), password.to_string()))
}

/// A session just opened: the token (shown once), the user and when it expires.
pub struct OpenedSession {
    pub token: String,
    pub user: User,
    pub expires_ms: i64,
}

/// Refuses a username or password that could not be an account's: too long, empty, or with control
/// characters, before anything about it is stored.
pub fn check_credentials_shape(username: &str, password: &str) -> Result<(), AppError> {
    if username.is_empty() {
        return Err(Refusal::new("username", "is empty").into());
    }
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(Refusal::new("username", format!("is longer than {MAX_USERNAME_CHARS} characters")).into());
    }
    if username.chars().any(char::is_control) {
        return Err(Refusal::new("username", "contains a control character").into());
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Refusal::new("password", format!("is longer than {MAX_PASSWORD_CHARS} characters")).into());
    }
    if password.contains('\0') {
        return Err(Refusal::new("password", "contains a NUL character").into());
    }
    Ok(())
}

/// Checks a username and password and opens a session: the one sign-in of the API and the pages. Each
/// attempt is counted (as a failure until its password proves right) and failures are audited; a throttled
/// attempt is refused without checking the password (429).
pub async fn open_session(
    state: &AppState,
    username: &str,
    password: &str,
    remote: &str,
) -> Result<OpenedSession, AppError> {
    check_credentials_shape(username, password)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    accounts::lock_sign_in(&mut tx, username, remote).await?;
    let history = accounts::sign_in_history(&mut tx, username, remote, now - SIGN_IN_WINDOW_MS).await?;
    if sign_in_wait_ms(&history, now) > 0 {
        // Audited a few a minute per client; a flood past them is summarised, so it cannot fill the log.
        let (individually, summary) = state.security.count_anonymous(remote, now);
        if let Some(more) = summary {
            let what = format!("{more} more refusals from this client in the previous minute");
            crate::audit::record(
                &mut tx,
                now,
                "anonymous",
                "unknown",
                "refusals_summarised",
                &what,
                None,
                "denied",
                remote,
            )
            .await?;
        }
        if individually {
            crate::audit::record(
                &mut tx,
                now,
                username,
                "unknown",
                "login_rate_limited",
                "session",
                None,
                "denied",
                remote,
            )
            .await?;
        }
        tx.commit().await?;
        return Err(AppError::TooManyRequests);
    }
    let attempt = accounts::begin_sign_in_attempt(&mut tx, username, remote, now).await?;
    let user = accounts::user_by_name(&mut tx, username).await?;
    tx.commit().await?;
    let verified =
        verify_password_off_thread(state, password, user.as_ref().map(|user| user.password_hash.clone())).await?;
    let mut tx = state.store.begin().await?;
    let Some(user) = user.filter(|_| verified) else {
        crate::audit::record(&mut tx, now, username, "unknown", "login_failed", "session", None, "denied", remote)
            .await?;
        tx.commit().await?;
        return Err(AppError::WrongCredentials);
    };
    // A disabled account, or a temporary password used already or expired, does not open a session.
    let refused = if user.disabled_at_ms.is_some() {
        Some(("login_disabled", "this account is disabled; ask an administrator"))
    } else if let Some(expires) = user.temporary_password_expires_at_ms {
        let usable = expires > now
            && user.temporary_password_used_at_ms.is_none()
            && il2care_store::administration::use_temporary_password(&mut tx, user.id, now).await?;
        (!usable).then_some((
            "login_temporary_password_spent",
            "this temporary password was used already or has expired; ask an administrator for a new one",
        ))
    } else {
        None
    };
    if let Some((action, message)) = refused {
        crate::audit::record(&mut tx, now, username, &user.role, action, "session", None, "denied", remote).await?;
        tx.commit().await?;
        return Err(AppError::Forbidden(message.into()));
    }
    accounts::sign_in_succeeded(&mut tx, attempt).await?;
    let token = new_token()?;
    let expires_ms = now + SESSION_HOURS * 3600 * 1000;
    accounts::create_session(&mut tx, &token_digest(&token), user.id, now, expires_ms).await?;
    crate::audit::record(&mut tx, now, &user.username, &user.role, "login", "session", user.patient_id, "ok", remote)
        .await?;
    tx.commit().await?;
    Ok(OpenedSession { token, user, expires_ms })
}

/// The `Set-Cookie` value that carries a session token to the browser.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", SESSION_HOURS * 3600)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Ends the session the request carries (if any) and audits the sign-out.
pub async fn close_session(state: &AppState, actor: &Actor, headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(token) = token_from(headers) {
        let mut tx = state.store.begin().await?;
        accounts::delete_session(&mut tx, &token_digest(&token)).await?;
        crate::audit::record(
            &mut tx,
            now_ms(),
            &actor.user.username,
            actor.role().as_str(),
            "logout",
            "session",
            None,
            "ok",
            actor.remote(),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// `POST /api/v1/session`: signs in with `{"username", "password"}`; answers the token (for the API) and
/// sets the session cookie (for the web).
pub async fn sign_in(
    State(state): State<AppState>,
    Remote(remote): Remote,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (username, password) = credentials(&crate::body::json_text(&headers, &body)?)?;
    let session = match open_session(&state, &username, &password, &remote).await {
        Ok(session) => session,
        Err(error @ (AppError::WrongCredentials | AppError::Forbidden(_))) => {
            // Audited as `login_failed` (or why the account may not sign in) already.
            let mut response = error.into_response();
            response.extensions_mut().insert(crate::security::Audited);
            return Ok(response);
        }
        Err(error) => return Err(error),
    };
    let expires_at = jiff::Timestamp::from_millisecond(session.expires_ms).map(|t| t.to_string()).unwrap_or_default();
    let body: Value = json!({"token": session.token, "role": session.user.role, "patient_id": session.user.patient_id,
                              "expires_at": expires_at, "must_change_password": session.user.must_change_password()});
    Ok(([(header::SET_COOKIE, session_cookie(&session.token))], Json(body)).into_response())
}

/// `DELETE /api/v1/session`: signs out.
pub async fn sign_out(State(state): State<AppState>, actor: Actor, headers: HeaderMap) -> Result<Response, AppError> {
    close_session(&state, &actor, &headers).await?;
    Ok(([(header::SET_COOKIE, expired_cookie())], Json(json!({"signed_out": true}))).into_response())
}
