//! Accounts (admin only): `GET/POST /api/v1/accounts` lists and adds users, `POST
//! /api/v1/accounts/{id}/disable|enable|unlock|password-reset` changes one; and every user's own `POST
//! /api/v1/account/password`. The accounts page calls the same functions, so a form and the API validate,
//! store and audit alike. Every change is audited in its transaction; every refusal is audited.
//!
//! A new account and a reset one get a one-time temporary password, shown once to the admin and never
//! stored (only its hash): it opens one session, which may do nothing but choose the user's own password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_store::accounts::{self, NewUser, User};
use il2care_store::administration::{self, AccountState};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::audit::by_actor;
use crate::auth::{
    self, Actor, FREE_FAILURES, MAX_USERNAME_CHARS, Role, SIGN_IN_WINDOW_MS, TEMPORARY_PASSWORD_HOURS,
    check_new_password,
};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Refuses (and audits) anyone but an admin.
pub async fn require_admin(state: &AppState, actor: &Actor, resource: &str) -> Result<(), AppError> {
    if let Err(error) = actor.require(&[Role::Admin]) {
        let mut conn = state.store.connection().await?;
        by_actor(&mut conn, actor, "denied", resource, None, "denied").await?;
        return Err(error);
    }
    Ok(())
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
    require_admin(state, actor, "accounts").await?;
    let mut conn = state.store.connection().await?;
    let list = administration::accounts(&mut conn, crate::now_ms() - SIGN_IN_WINDOW_MS).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(state, actor, "accounts", None).await?;
    Ok(list)
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

/// A username an admin may give: the shape every username has, without spaces at its ends.
fn check_username(username: &str) -> Result<(), Refusal> {
    if username.is_empty() {
        return Err(Refusal::new("username", "is required"));
    }
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(Refusal::new("username", format!("is longer than {MAX_USERNAME_CHARS} characters")));
    }
    if username.chars().any(|character| character.is_control() || character.is_whitespace()) {
        return Err(Refusal::new("username", "must not contain spaces or control characters"));
    }
    Ok(())
}

/// An account to add, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub patient_id: Option<i64>,
}

/// Reads `{"username", "display_name", "role", "patient_id"?}`; a patient account needs the patient's record
/// id, a staff account has none.
pub fn new_account(text: &str) -> Result<NewAccount, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["username", "display_name", "role", "patient_id"], "")?;
    let username = string(required(&object, "username", "")?, "username")?.trim().to_string();
    check_username(&username)?;
    let display_name = string(required(&object, "display_name", "")?, "display_name")?.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(Refusal::new("display_name", "must be 1 to 200 characters"));
    }
    if display_name.chars().any(char::is_control) {
        return Err(Refusal::new("display_name", "contains a control character"));
    }
    let role_text = string(required(&object, "role", "")?, "role")?;
    let role = Role::parse(role_text).ok_or_else(|| {
        Refusal::new("role", format!("`{role_text}` is not one of nurse, physician, pharmacist, admin, patient"))
    })?;
    let patient_id = match object.get("patient_id") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| Refusal::new("patient_id", "must be a record id (a whole number)"))?,
        ),
    };
    match (role, patient_id) {
        (Role::Patient, None) => return Err(Refusal::new("patient_id", "is required for a patient account")),
        (Role::Patient, Some(_)) => {}
        (_, Some(_)) => return Err(Refusal::new("patient_id", "is only for a patient account")),
        (_, None) => {}
    }
    Ok(NewAccount { username, display_name, role, patient_id })
}

/// A temporary password just set: shown once.
#[derive(Clone, Debug)]
pub struct TemporaryPassword {
    pub user_id: i64,
    pub username: String,
    pub password: String,
    pub expires_at_ms: i64,
}

/// Adds an account from a document (the text of the POST body or the page's form as JSON) with a one-time
/// temporary password; audited.
pub async fn create_account(state: &AppState, actor: &Actor, text: &str) -> Result<TemporaryPassword, AppError> {
    require_admin(state, actor, "accounts").await?;
    let account = new_account(text)?;
    let password = auth::new_temporary_password()?;
    let hash = auth::hash_password_off_thread(state, &password).await?;
    let now = crate::now_ms();
    let expires_at_ms = now + TEMPORARY_PASSWORD_HOURS * 3600 * 1000;
    let mut tx = state.store.begin().await?;
    if let Some(patient_id) = account.patient_id {
        il2care_store::record::patient(&mut tx, patient_id)
            .await
            .map_err(|_| Refusal::new("patient_id", format!("there is no patient {patient_id}")))?;
    }
    let user = NewUser {
        username: &account.username,
        display_name: &account.display_name,
        password_hash: &hash,
        role: account.role.as_str(),
        patient_id: account.patient_id,
        now_ms: now,
    };
    let id = accounts::create_user(&mut tx, &user).await.map_err(|error| match error {
        il2care_store::StoreError::Conflict(_) => {
            AppError::from(Refusal::new("username", format!("`{}` is taken already", account.username)))
        }
        other => other.into(),
    })?;
    administration::set_temporary_password(&mut tx, id, &hash, expires_at_ms).await?;
    by_actor(&mut tx, actor, "account_create", &format!("account/{id}"), None, "ok").await?;
    tx.commit().await?;
    Ok(TemporaryPassword { user_id: id, username: account.username, password, expires_at_ms })
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
    require_admin(&state, &actor, "accounts").await?;
    let temporary = create_account(&state, &actor, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(temporary_json(&temporary))))
}

/// A change an admin makes to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Disable,
    Enable,
    Unlock,
}

impl AccountChange {
    fn action(self) -> &'static str {
        match self {
            AccountChange::Disable => "account_disable",
            AccountChange::Enable => "account_enable",
            AccountChange::Unlock => "account_unlock",
        }
    }
}

/// Disables, enables or unlocks account `user_id`; audited. An admin cannot disable their own account (the
/// site would risk having no admin).
pub async fn change_account(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    change: AccountChange,
) -> Result<User, AppError> {
    let resource = format!("account/{user_id}");
    require_admin(state, actor, &resource).await?;
    if change == AccountChange::Disable && user_id == actor.user.id {
        return Err(Refusal::new("account", "you cannot disable your own account").into());
    }
    let now = crate::now_ms();
    let mut tx = state.store.begin().await?;
    let user = administration::user_by_id(&mut tx, user_id).await?;
    match change {
        AccountChange::Disable => administration::set_disabled(&mut tx, user_id, Some(now)).await?,
        AccountChange::Enable => administration::set_disabled(&mut tx, user_id, None).await?,
        AccountChange::Unlock => administration::unlock(&mut tx, user_id, now).await?,
    }
    by_actor(&mut tx, actor, change.action(), &resource, None, "ok").await?;
    tx.commit().await?;
    Ok(user)
}

/// Gives account `user_id` a new one-time temporary password (its sessions end); audited.
pub async fn reset_password(state: &AppState, actor: &Actor, user_id: i64) -> Result<TemporaryPassword, AppError> {
    let resource = format!("account/{user_id}");
    require_admin(state, actor, &resource).await?;
    let password = auth::new_temporary_password()?;
    let hash = auth::hash_password_off_thread(state, &password).await?;
    let now = crate::now_ms();
    let expires_at_ms = now + TEMPORARY_PASSWORD_HOURS * 3600 * 1000;
    let mut tx = state.store.begin().await?;
    let user = administration::user_by_id(&mut tx, user_id).await?;
    administration::set_temporary_password(&mut tx, user_id, &hash, expires_at_ms).await?;
    by_actor(&mut tx, actor, "account_password_reset", &resource, None, "ok").await?;
    tx.commit().await?;
    Ok(TemporaryPassword { user_id, username: user.username, password, expires_at_ms })
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
    if current.is_empty() {
        return Err(Refusal::new("current_password", "is required").into());
    }
    check_new_password(&actor.user.username, new, "new_password")?;
    if new != confirm {
        return Err(Refusal::new("confirm_password", "does not match the new password").into());
    }
    if new == current {
        return Err(Refusal::new("new_password", "must differ from the current password").into());
    }
    if !auth::password_matches(state, current, &actor.user.password_hash).await? {
        let mut conn = state.store.connection().await?;
        by_actor(&mut conn, actor, "password_change", &format!("account/{}", actor.user.id), None, "refused").await?;
        return Err(Refusal::new("current_password", "is not your current password").into());
    }
    let hash = auth::hash_password_off_thread(state, new).await?;
    let mut tx = state.store.begin().await?;
    administration::set_password(&mut tx, actor.user.id, &hash).await?;
    by_actor(&mut tx, actor, "password_change", &format!("account/{}", actor.user.id), None, "ok").await?;
    tx.commit().await?;
    Ok(())
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
