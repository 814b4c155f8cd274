//! Accounts (admin only): `GET/POST /api/v1/accounts` lists and adds users, `POST
//! /api/v1/accounts/{id}/disable|enable|unlock|password-reset` changes one; and every user's own `POST
//! /api/v1/account/password`. The accounts page calls the same functions, so a form and the API validate,
//! store and audit alike. Every change is audited in its transaction; every refusal is audited.
//!
//! HTTP only: the use cases (access, validation, storing, audit) are `il2care_app::accounts`; password hashing
//! and the password rules stay with sign-in in `auth.rs` and reach them through [`SitePasswords`].
//!
//! A new account and a reset one get a one-time temporary password, shown once to the admin and never
//! stored (only its hash): it opens one session, which may do nothing but choose the user's own password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::accounts::{self, AccountChange, AccountState, TemporaryPassword, User};
use il2care_core::Refusal;
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::{
    self, Actor, FREE_FAILURES, MAX_USERNAME_CHARS, SIGN_IN_WINDOW_MS, TEMPORARY_PASSWORD_HOURS, check_new_password,
};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// The service's password rules and its bounded hashing pool, for the account use cases.
pub struct SitePasswords<'a>(pub &'a AppState);

impl il2care_app::accounts::Passwords for SitePasswords<'_> {
    type Error = AppError;
    const MAX_USERNAME_CHARS: usize = MAX_USERNAME_CHARS;
    const TEMPORARY_PASSWORD_LIFETIME: SignedDuration = SignedDuration::from_hours(TEMPORARY_PASSWORD_HOURS);

    fn temporary(&self) -> Result<String, AppError> {
        auth::new_temporary_password()
    }

    async fn hash(&self, password: &str) -> Result<String, AppError> {
        auth::hash_password_off_thread(self.0, password).await
    }

    async fn matches(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        auth::password_matches(self.0, password, hash).await
    }

    fn check_new(&self, username: &str, password: &str, field: &str) -> Result<(), Refusal> {
        check_new_password(username, password, field)
    }
}

/// What an account is now, in one word the page and the API share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountCondition {
    Active,
    /// An admin disabled it.
    Disabled,
    /// At least five wrong passwords within the window since its last unlock: sign-in is delayed.
    Locked,
    /// Its password is a temporary one the user has not replaced yet.
    TemporaryPassword,
}

impl AccountCondition {
    /// The condition of `account`.
    pub fn of(account: &AccountState) -> AccountCondition {
        if account.user.disabled_at_ms.is_some() {
            AccountCondition::Disabled
        } else if account.recent_failures >= FREE_FAILURES {
            AccountCondition::Locked
        } else if account.user.must_change_password() {
            AccountCondition::TemporaryPassword
        } else {
            AccountCondition::Active
        }
    }

    /// The id of the API.
    pub fn id(self) -> &'static str {
        match self {
            AccountCondition::Active => "active",
            AccountCondition::Disabled => "disabled",
            AccountCondition::Locked => "locked",
            AccountCondition::TemporaryPassword => "temporary_password",
        }
    }
}

/// The accounts, read for `actor` (an admin; audited).
pub async fn account_list(state: &AppState, actor: &Actor) -> Result<Vec<AccountState>, AppError> {
    let window = SignedDuration::from_millis(SIGN_IN_WINDOW_MS);
    Ok(accounts::list(&state.store, actor.app(), window, crate::now()).await?)
}

fn account_json(account: &AccountState) -> Value {
    let user = &account.user;
    json!({"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
           "patient_id": user.patient_id, "state": AccountCondition::of(account).id(),
           "recent_failures": account.recent_failures,
           "last_failure_at": account.last_failure_ms.map(crate::rfc3339),
           "disabled_at": user.disabled_at_ms.map(crate::rfc3339),
           "created_at": crate::rfc3339(account.created_at_ms)})
}

/// `GET /api/v1/accounts` (admin).
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let accounts = account_list(&state, &actor).await?;
    Ok(Json(json!({"accounts": accounts.iter().map(account_json).collect::<Vec<_>>()})))
}

/// Adds an account from a document (the text of the POST body or the page's form as JSON) with a one-time
/// temporary password; audited.
pub async fn create_account(state: &AppState, actor: &Actor, text: &str) -> Result<TemporaryPassword, AppError> {
    accounts::add(&state.store, actor.app(), &SitePasswords(state), text, crate::now()).await
}

fn temporary_json(temporary: &TemporaryPassword) -> Value {
    json!({"id": temporary.user_id, "username": temporary.username, "temporary_password": temporary.password,
           "temporary_password_expires_at": crate::rfc3339(temporary.expires_at_ms), "must_change_password": true})
}

/// `POST /api/v1/accounts` (admin): answers the temporary password, once.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let temporary = create_account(&state, &actor, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(temporary_json(&temporary))))
}

/// Disables, enables or unlocks account `user_id`; audited. An admin cannot disable their own account.
pub async fn change_account(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    change: AccountChange,
) -> Result<User, AppError> {
    Ok(accounts::change(&state.store, actor.app(), user_id, change, crate::now()).await?)
}

/// Gives account `user_id` a new one-time temporary password (its sessions end); audited.
pub async fn reset_password(state: &AppState, actor: &Actor, user_id: i64) -> Result<TemporaryPassword, AppError> {
    accounts::reset_password(&state.store, actor.app(), &SitePasswords(state), user_id, crate::now()).await
}
async fn changed(
    state: AppState,
    actor: Actor,
    user_id: i64,
    change: AccountChange,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = change_account(&state, &actor, user_id, change).await?;
    Ok((StatusCode::OK, Json(json!({"id": user.id, "username": user.username, "done": change.action()}))))
}

/// `POST /api/v1/accounts/{id}/disable` (admin).
pub async fn disable(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(user_id): RecordId,
) -> Result<(StatusCode, Json<Value>), AppError> {
    changed(state, actor, user_id, AccountChange::Disable).await
}

/// `POST /api/v1/accounts/{id}/enable` (admin).
pub async fn enable(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(user_id): RecordId,
) -> Result<(StatusCode, Json<Value>), AppError> {
    changed(state, actor, user_id, AccountChange::Enable).await
}

/// `POST /api/v1/accounts/{id}/unlock` (admin).
pub async fn unlock(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(user_id): RecordId,
) -> Result<(StatusCode, Json<Value>), AppError> {
    changed(state, actor, user_id, AccountChange::Unlock).await
}

/// `POST /api/v1/accounts/{id}/password-reset` (admin): answers the temporary password, once.
pub async fn password_reset(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(user_id): RecordId,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let temporary = reset_password(&state, &actor, user_id).await?;
    Ok((StatusCode::OK, Json(temporary_json(&temporary))))
}

/// The signed-in user chooses their own password (after a temporary one, or any time): the current password
/// must match, the new one follow the rules and differ from it; audited.
pub async fn change_own_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), AppError> {
    accounts::change_own_password(&state.store, actor.app(), &SitePasswords(state), current, new, confirm, crate::now())
        .await
}

/// `POST /api/v1/account/password` with `{"current_password", "new_password"}` (any signed-in user).
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, AppError> {
    let object = parse_object(&json_text(&headers, &body)?)?;
    refuse_unknown_fields(&object, &["current_password", "new_password"], "")?;
    let current = string(required(&object, "current_password", "")?, "current_password")?;
    let new = string(required(&object, "new_password", "")?, "new_password")?;
    change_own_password(&state, &actor, current, new, new).await?;
    Ok(Json(json!({"changed": true})))
}
