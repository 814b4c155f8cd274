//! Account administration (admin only, [`Action::ManageAccounts`]): [`list`] the accounts, [`add`] a user,
//! [`change`] one (disable, enable, unlock), [`reset_password`] to a one-time temporary password; and every
//! user's own [`change_own_password`]. Each change is audited in its transaction, each refusal before it is
//! answered. An admin manages accounts and reaches no patient's record.
//!
//! Sign-in and password hashing stay with the adapter that owns sign-in (the service's `auth.rs`, with its
//! bounded hashing pool): a use case asks it through [`Passwords`], after the access check, so who may not act
//! costs no hashing.

use std::future::Future;

use il2care_core::Refusal;
use il2care_store::Store;
use il2care_store::StoreError;
use il2care_store::accounts::{self as users, NewUser};
use il2care_store::administration;
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::Error;
use crate::access::{self, Action, Actor, Role};

pub use il2care_store::accounts::User;
pub use il2care_store::administration::AccountState;

/// The adapter's password rules and hashing. Its error type carries the adapter's own failures (a hashing pool
/// closed) as well as this layer's [`Error`].
pub trait Passwords {
    type Error: From<Error> + From<Refusal>;
    /// The longest username.
    const MAX_USERNAME_CHARS: usize;
    /// How long a temporary password may be used (once).
    const TEMPORARY_PASSWORD_LIFETIME: SignedDuration;
    /// A fresh one-time temporary password.
    fn temporary(&self) -> Result<String, Self::Error>;
    /// The stored hash of `password`.
    fn hash(&self, password: &str) -> impl Future<Output = Result<String, Self::Error>> + Send;
    /// Whether `password` is the one stored as `hash`.
    fn matches(&self, password: &str, hash: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    /// Refuses a password `username` may not choose, naming `field`.
    fn check_new(&self, username: &str, password: &str, field: &str) -> Result<(), Refusal>;
}

/// The accounts by username, each with its wrong passwords since `now - window` (since its last unlock); the
/// read is audited before it is answered.
pub async fn list(
    store: &Store,
    actor: &Actor,
    window: SignedDuration,
    now: Timestamp,
) -> Result<Vec<AccountState>, Error> {
    access::authorize(store, actor, None, Action::ManageAccounts, "accounts", now).await?;
    let list = {
        let mut conn = store.connection().await?;
        administration::accounts(&mut conn, (now - window).as_millisecond()).await?
    };
    access::audit_read(store, actor, "accounts", None, now).await?;
    Ok(list)
}

/// An account to add, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub patient_id: Option<i64>,
}

/// The role an admin may give, from its stored name (not the command line's operator).
fn role_named(text: &str) -> Option<Role> {
    [Role::Patient, Role::Nurse, Role::Physician, Role::Pharmacist, Role::Admin]
        .into_iter()
        .find(|role| role.as_str() == text)
}

/// A username an admin may give: the shape every username has, without spaces at its ends.
fn check_username(username: &str, max_chars: usize) -> Result<(), Refusal> {
    if username.is_empty() {
        return Err(Refusal::new("username", "is required"));
    }
    if username.chars().count() > max_chars {
        return Err(Refusal::new("username", format!("is longer than {max_chars} characters")));
    }
    if username.chars().any(|character| character.is_control() || character.is_whitespace()) {
        return Err(Refusal::new("username", "must not contain spaces or control characters"));
    }
    Ok(())
}

/// Reads `{"username", "display_name", "role", "patient_id"?}`; a patient account needs the patient's record
/// id, a staff account has none.
pub fn new_account(text: &str, max_username_chars: usize) -> Result<NewAccount, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["username", "display_name", "role", "patient_id"], "")?;
    let username = string(required(&object, "username", "")?, "username")?.trim().to_string();
    check_username(&username, max_username_chars)?;
    let display_name = string(required(&object, "display_name", "")?, "display_name")?.trim().to_string();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(Refusal::new("display_name", "must be 1 to 200 characters"));
    }
    if display_name.chars().any(char::is_control) {
        return Err(Refusal::new("display_name", "contains a control character"));
    }
    let role_text = string(required(&object, "role", "")?, "role")?;
    let role = role_named(role_text).ok_or_else(|| {
        Refusal::new("role", format!("`{role_text}` is not one of nurse, physician, pharmacist, admin, patient"))
    })?;
    let patient_id = match object.get("patient_id") {
        None | Some(Value::Null) => None,
        // A form's text that is not a number (the API sends a number).
        Some(Value::String(text)) => {
            return Err(Refusal::new("patient_id", format!("`{text}` is not a record number (a whole number)")));
        }
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

/// A temporary password just set: shown once, never stored (only its hash).
#[derive(Clone, Debug)]
pub struct TemporaryPassword {
    pub user_id: i64,
    pub username: String,
    pub password: String,
    pub expires_at_ms: i64,
}

/// Adds an account from its document (the text of the API's body, or the page's form as JSON) with a one-time
/// temporary password; the account and its audit entry commit together.
pub async fn add<P: Passwords>(
    store: &Store,
    actor: &Actor,
    passwords: &P,
    text: &str,
    now: Timestamp,
) -> Result<TemporaryPassword, P::Error> {
    access::authorize(store, actor, None, Action::ManageAccounts, "accounts", now).await?;
    let account = new_account(text, P::MAX_USERNAME_CHARS)?;
    let password = passwords.temporary()?;
    let hash = passwords.hash(&password).await?;
    let expires_at_ms = (now + P::TEMPORARY_PASSWORD_LIFETIME).as_millisecond();
    let id = async {
        let mut tx = store.begin().await?;
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
            now_ms: now.as_millisecond(),
        };
        let id = users::create_user(&mut tx, &user).await.map_err(|error| match error {
            StoreError::Conflict(_) => {
                Error::from(Refusal::new("username", format!("`{}` is taken already", account.username)))
            }
            other => other.into(),
        })?;
        administration::set_temporary_password(&mut tx, id, &hash, expires_at_ms).await?;
        access::append(&mut tx, actor, "account_create", &format!("account/{id}"), None, "ok", now).await?;
        tx.commit().await?;
        Ok::<i64, Error>(id)
    }
    .await?;
    Ok(TemporaryPassword { user_id: id, username: account.username, password, expires_at_ms })
}

/// A change an admin makes to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountChange {
    Disable,
    Enable,
    Unlock,
}

impl AccountChange {
    /// The action its audit entry names.
    pub fn action(self) -> &'static str {
        match self {
            AccountChange::Disable => "account_disable",
            AccountChange::Enable => "account_enable",
            AccountChange::Unlock => "account_unlock",
        }
    }
}

/// Disables, enables or unlocks account `user_id`; audited. An admin cannot disable their own account (the
/// site would risk having no admin).
pub async fn change(
    store: &Store,
    actor: &Actor,
    user_id: i64,
    change: AccountChange,
    now: Timestamp,
) -> Result<User, Error> {
    let resource = format!("account/{user_id}");
    access::authorize(store, actor, None, Action::ManageAccounts, &resource, now).await?;
    let mut tx = store.begin().await?;
    let user = administration::user_by_id(&mut tx, user_id).await?;
    if change == AccountChange::Disable && user.username == actor.username {
        return Err(Refusal::new("account", "you cannot disable your own account").into());
    }
    match change {
        AccountChange::Disable => administration::set_disabled(&mut tx, user_id, Some(now.as_millisecond())).await?,
        AccountChange::Enable => administration::set_disabled(&mut tx, user_id, None).await?,
        AccountChange::Unlock => administration::unlock(&mut tx, user_id, now.as_millisecond()).await?,
    }
    access::append(&mut tx, actor, change.action(), &resource, None, "ok", now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Gives account `user_id` a new one-time temporary password (its sessions end); audited.
pub async fn reset_password<P: Passwords>(
    store: &Store,
    actor: &Actor,
    passwords: &P,
    user_id: i64,
    now: Timestamp,
) -> Result<TemporaryPassword, P::Error> {
    let resource = format!("account/{user_id}");
    access::authorize(store, actor, None, Action::ManageAccounts, &resource, now).await?;
    let password = passwords.temporary()?;
    let hash = passwords.hash(&password).await?;
    let expires_at_ms = (now + P::TEMPORARY_PASSWORD_LIFETIME).as_millisecond();
    let username = async {
        let mut tx = store.begin().await?;
        let user = administration::user_by_id(&mut tx, user_id).await?;
        administration::set_temporary_password(&mut tx, user_id, &hash, expires_at_ms).await?;
        access::append(&mut tx, actor, "account_password_reset", &resource, None, "ok", now).await?;
        tx.commit().await?;
        Ok::<String, Error>(user.username)
    }
    .await?;
    Ok(TemporaryPassword { user_id, username, password, expires_at_ms })
}

/// The signed-in user chooses their own password (after a temporary one, or any time): the current password
/// must match, the new one follow the rules and differ from it; audited, a wrong current password too
/// (`refused`).
pub async fn change_own_password<P: Passwords>(
    store: &Store,
    actor: &Actor,
    passwords: &P,
    current: &str,
    new: &str,
    confirm: &str,
    now: Timestamp,
) -> Result<(), P::Error> {
    if current.is_empty() {
        return Err(Refusal::new("current_password", "is required").into());
    }
    passwords.check_new(&actor.username, new, "new_password")?;
    if new != confirm {
        return Err(Refusal::new("confirm_password", "does not match the new password").into());
    }
    if new == current {
        return Err(Refusal::new("new_password", "must differ from the current password").into());
    }
    let user = {
        let mut conn = store.connection().await.map_err(Error::from)?;
        users::user_by_name(&mut conn, &actor.username)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::NotFound(format!("account {}", actor.username)))?
    };
    let resource = format!("account/{}", user.id);
    if !passwords.matches(current, &user.password_hash).await? {
        let mut conn = store.connection().await.map_err(Error::from)?;
        access::append(&mut conn, actor, "password_change", &resource, None, "refused", now).await?;
        return Err(Refusal::new("current_password", "is not your current password").into());
    }
    let hash = passwords.hash(new).await?;
    let mut tx = store.begin().await.map_err(Error::from)?;
    administration::set_password(&mut tx, user.id, &hash).await.map_err(Error::from)?;
    access::append(&mut tx, actor, "password_change", &resource, None, "ok", now).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(text: &str) -> String {
        new_account(text, 64).err().map(|refusal| refusal.field).unwrap_or_default()
    }

    #[test]
    fn a_new_account_names_its_role_and_a_patient_account_its_record() {
        let nurse = new_account(r#"{"username": "n1", "display_name": "N One", "role": "nurse"}"#, 64).unwrap();
        assert_eq!((nurse.role, nurse.patient_id), (Role::Nurse, None));
        assert_eq!(field_of(r#"{"username": "p", "display_name": "P", "role": "patient"}"#), "patient_id");
        assert_eq!(
            field_of(r#"{"username": "p", "display_name": "P", "role": "nurse", "patient_id": 3}"#),
            "patient_id"
        );
        assert_eq!(
            field_of(r#"{"username": "p", "display_name": "P", "role": "patient", "patient_id": "x"}"#),
            "patient_id"
        );
        assert_eq!(field_of(r#"{"username": "p", "display_name": "P", "role": "cli"}"#), "role");
        assert_eq!(field_of(r#"{"username": "a b", "display_name": "P", "role": "nurse"}"#), "username");
        assert_eq!(
            field_of(&format!(r#"{{"username": "{}", "display_name": "P", "role": "nurse"}}"#, "u".repeat(65))),
            "username"
        );
        assert_eq!(field_of(r#"{"username": "p", "display_name": "", "role": "nurse"}"#), "display_name");
        assert_eq!(field_of(r#"{"username": "p", "display_name": "P", "role": "nurse", "x": 1}"#), "x");
    }
}
