//! The admin's accounts page (`/admin/accounts`): every user with their role and state (active, disabled,
//! locked after wrong passwords, waiting for a temporary password to be replaced), adding a user, disabling
//! and enabling, a one-time temporary password, unlocking. And every user's own password change
//! (`/account/password`), where a session opened with a temporary password must go first.
//!
//! The forms call the same functions as `/api/v1/accounts`, so they validate, store and audit alike; a
//! refused form comes back filled in (422) with the field marked and the reason in words.

use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_app::accounts::{AccountChange, AccountState, TemporaryPassword};
use il2care_core::Refusal;
use maud::{Markup, html};

use super::forms::{self, Pairs};
use super::layout::{Audience, shell};
use super::view::local_time;
use super::{PageResult, page, signed_in};
use crate::AppState;
use crate::api::accounts::{self as account_api, AccountCondition};
use crate::auth::{Actor, FREE_FAILURES, MIN_PASSWORD_CHARS};
use crate::error::AppError;

/// A refused form's reason, above the form (the field is marked where it is).
pub fn refusal_banner(refusal: Option<&Refusal>) -> Markup {
    html! {
        @if let Some(refusal) = refusal {
            div.error role="alert" id="form-error" {
                p { strong { (field_words(&refusal.field)) } ": " (refusal.reason) }
            }
        }
    }
}

/// A form field's name in words (for the refusal banner).
pub fn field_words(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut characters = words.chars();
    characters.next().map(|first| first.to_uppercase().chain(characters).collect()).unwrap_or_default()
}

/// One labelled input; marked invalid (with the reason beside it) when the refusal is about `name`.
pub fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    refusal: Option<&Refusal>,
    required: bool,
    hint: &str,
) -> Markup {
    let invalid = refusal.filter(|refusal| refusal.field == name);
    html! {
        div class=(if invalid.is_some() { "field invalid" } else { "field" }) {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) value=(value) required[required]
                aria-invalid=[invalid.map(|_| "true")] aria-describedby=[invalid.map(|_| format!("{name}-why"))];
            @if !hint.is_empty() { small.note { (hint) } }
            @if let Some(refusal) = invalid { strong id=(format!("{name}-why")) { (refusal.reason) } }
        }
    }
}

/// One labelled choice of `options` (value, words); marked invalid like [`input`].
pub fn choice(name: &str, label: &str, options: &[(&str, &str)], value: &str, refusal: Option<&Refusal>) -> Markup {
    let invalid = refusal.filter(|refusal| refusal.field == name);
    html! {
        div class=(if invalid.is_some() { "field invalid" } else { "field" }) {
            label for=(name) { (label) }
            select id=(name) name=(name) aria-invalid=[invalid.map(|_| "true")] {
                @for (option, words) in options {
                    option value=(option) selected[*option == value] { (words) }
                }
            }
            @if let Some(refusal) = invalid { strong { (refusal.reason) } }
        }
    }
}

const ROLES: [(&str, &str); 5] = [
    ("nurse", "Nurse"),
    ("physician", "Physician"),
    ("pharmacist", "Pharmacist"),
    ("admin", "Administrator"),
    ("patient", "Patient (their own record only)"),
];

fn role_words(role: &str) -> &str {
    ROLES.iter().find(|(id, _)| *id == role).map_or(role, |(_, words)| words.split(" (").next().unwrap_or(words))
}

fn condition_words(account: &AccountState, zone: &str) -> (String, &'static str) {
    match AccountCondition::of(account) {
        AccountCondition::Active => ("Active".into(), "u1"),
        AccountCondition::Disabled => (
            format!(
                "Disabled since {}",
                account.user.disabled_at_ms.map(|at| local_time(at, zone)).unwrap_or_default()
            ),
            "u4",
        ),
        AccountCondition::Locked => (
            format!(
                "Locked: {} wrong passwords in the last 15 minutes (the last {})",
                account.recent_failures,
                account.last_failure_ms.map(|at| local_time(at, zone)).unwrap_or_default()
            ),
            "u3",
        ),
        AccountCondition::TemporaryPassword => ("Waiting: must choose a password at next sign-in".into(), "u2"),
    }
}

fn accounts_page(
    actor: &Actor,
    accounts: &[AccountState],
    zone: &str,
    back: Option<(&Pairs, &Refusal)>,
    notice: Option<&str>,
) -> Markup {
    let value = |name: &str| back.and_then(|(pairs, _)| forms::field(pairs, name)).unwrap_or("").to_string();
    let refusal = back.map(|(_, refusal)| refusal);
    let role = back.and_then(|(pairs, _)| forms::field(pairs, "role")).unwrap_or("nurse");
    shell(
        "Accounts",
        Some(actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Accounts" }
            @if let Some(notice) = notice { p.note role="status" id="notice" { (notice) } }
            section aria-labelledby="add-heading" {
                h2 id="add-heading" { "Add a user" }
                p.note { "The new user gets a one-time temporary password, shown once here. At their first sign-in they
                          choose their own (at least " (MIN_PASSWORD_CHARS) " characters)." }
                (refusal_banner(refusal))
                form.stack method="post" action="/admin/accounts" id="add-account" {
                    (input("username", "Username", "text", &value("username"), refusal, true, "no spaces"))
                    (input("display_name", "Full name", "text", &value("display_name"), refusal, true, ""))
                    (choice("role", "Role", &ROLES, role, refusal))
                    (input("patient_id", "Patient record number (patient accounts only)", "number", &value("patient_id"),
                           refusal, false, ""))
                    button.primary type="submit" { "Add user" }
                }
            }
            section aria-labelledby="list-heading" {
                h2 id="list-heading" { "Users" }
                p.note { "An account is locked after " (FREE_FAILURES) " wrong passwords within 15 minutes: each further
                          attempt waits longer. Unlock it once you know the person. Times in " (zone) "." }
                table.cards.accounts {
                    thead { tr { th scope="col" { "User" } th scope="col" { "Role" } th scope="col" { "State" }
                                 th scope="col" { "Actions" } } }
                    tbody {
                        @for account in accounts {
                            @let user = &account.user;
                            @let (state, class) = condition_words(account, zone);
                            @let condition = AccountCondition::of(account);
                            tr data-username=(user.username) {
                                td data-label="User" { (user.display_name) br; small.code { (user.username) } }
                                td data-label="Role" { (role_words(&user.role))
                                    @if let Some(patient_id) = user.patient_id { br; small { "record " (patient_id) } } }
                                td data-label="State" { span class=(format!("badge {class}")) data-state=(condition.id()) { (state) } }
                                td data-label="Actions" {
                                    div.actions {
                                        @if condition == AccountCondition::Locked {
                                            form method="post" action=(format!("/admin/accounts/{}/unlock", user.id)) {
                                                button type="submit" { "Unlock" } }
                                        }
                                        @if user.disabled_at_ms.is_some() {
                                            form method="post" action=(format!("/admin/accounts/{}/enable", user.id)) {
                                                button type="submit" { "Enable" } }
                                        } @else if user.id != actor.user.id {
                                            form method="post" action=(format!("/admin/accounts/{}/disable", user.id)) {
                                                button type="submit" { "Disable" } }
                                        }
                                        form method="post" action=(format!("/admin/accounts/{}/reset", user.id)) {
                                            button type="submit" { "Reset password" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// `GET /admin/accounts` (admin).
pub async fn accounts(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    let list = account_api::account_list(&state, &actor).await?;
    Ok(page(accounts_page(&actor, &list, &state.site.ward_time_zone, None, None)))
}

fn temporary_page(actor: &Actor, temporary: &TemporaryPassword, zone: &str, what: &str) -> Markup {
    shell(
        "Temporary password",
        Some(actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { (what) }
            p { "Temporary password for " strong { (temporary.username) } ":" }
            p { code id="temporary-password" { (temporary.password) } }
            p { "It is shown only now. Give it to the person directly (not by e-mail). It works for one sign-in,
                 until " (local_time(temporary.expires_at_ms, zone)) "; then they must choose their own password." }
            p { a href="/admin/accounts" { "Back to the accounts" } }
        },
    )
}

/// `POST /admin/accounts` (admin): adds a user and shows their temporary password once; a refused form
/// comes back filled in (422).
pub async fn create(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let text = |name: &str| forms::field(&pairs, name).unwrap_or("").to_string();
    // The record number as typed: a number, or the text itself, which the use case refuses by name (after the
    // access check, so who may not add accounts learns nothing about the form).
    let patient_id = match forms::field(&pairs, "patient_id") {
        None => serde_json::Value::Null,
        Some(typed) => typed.parse::<i64>().map_or_else(|_| serde_json::json!(typed), |id| serde_json::json!(id)),
    };
    let document = serde_json::json!({"username": text("username"), "display_name": text("display_name"),
                                      "role": text("role"), "patient_id": patient_id});
    let outcome = account_api::create_account(&state, &actor, &document.to_string()).await;
    match outcome {
        Ok(temporary) => Ok(page(temporary_page(&actor, &temporary, &state.site.ward_time_zone, "User added"))),
        Err(AppError::Refused(refusal)) => {
            let list = account_api::account_list(&state, &actor).await?;
            let markup = accounts_page(&actor, &list, &state.site.ward_time_zone, Some((&pairs, &refusal)), None);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn change(state: AppState, actor: Result<Actor, AppError>, user_id: i64, change: AccountChange) -> PageResult {
    let actor = signed_in(actor)?;
    match account_api::change_account(&state, &actor, user_id, change).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/admin/accounts".to_string())]).into_response()),
        Err(AppError::Refused(refusal)) => {
            let list = account_api::account_list(&state, &actor).await?;
            let notice = format!("Not done: {}", refusal.reason);
            let markup = accounts_page(&actor, &list, &state.site.ward_time_zone, None, Some(&notice));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/accounts/{id}/disable` (admin).
pub async fn disable(State(state): State<AppState>, actor: Result<Actor, AppError>, Path(id): Path<i64>) -> PageResult {
    change(state, actor, id, AccountChange::Disable).await
}

/// `POST /admin/accounts/{id}/enable` (admin).
pub async fn enable(State(state): State<AppState>, actor: Result<Actor, AppError>, Path(id): Path<i64>) -> PageResult {
    change(state, actor, id, AccountChange::Enable).await
}

/// `POST /admin/accounts/{id}/unlock` (admin).
pub async fn unlock(State(state): State<AppState>, actor: Result<Actor, AppError>, Path(id): Path<i64>) -> PageResult {
    change(state, actor, id, AccountChange::Unlock).await
}

/// `POST /admin/accounts/{id}/reset` (admin): a new one-time temporary password, shown once.
pub async fn reset(State(state): State<AppState>, actor: Result<Actor, AppError>, Path(id): Path<i64>) -> PageResult {
    let actor = signed_in(actor)?;
    let temporary = account_api::reset_password(&state, &actor, id).await?;
    Ok(page(temporary_page(&actor, &temporary, &state.site.ward_time_zone, "Password reset")))
}

fn password_page(actor: &Actor, refusal: Option<&Refusal>) -> Markup {
    let temporary = actor.user.must_change_password();
    shell(
        "Choose your password",
        None,
        Audience::Staff,
        html! {},
        html! {
            h1 { "Choose your password" }
            @if temporary {
                p { "You signed in with a temporary password. Choose your own password now; the temporary one no
                     longer works." }
            }
            (refusal_banner(refusal))
            form.stack method="post" action="/account/password" {
                (input("current_password", if temporary { "Temporary password" } else { "Current password" }, "password",
                       "", refusal, true, ""))
                (input("new_password", "New password", "password", "", refusal, true,
                       &format!("at least {MIN_PASSWORD_CHARS} characters; a few words are easy to remember")))
                (input("confirm_password", "New password again", "password", "", refusal, true, ""))
                button.primary type="submit" { "Save my password" }
            }
            form method="post" action="/signout" { button type="submit" { "Sign out" } }
        },
    )
}

/// `GET /account/password` (any signed-in user).
pub async fn password_form(actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    Ok(page(password_page(&actor, None)))
}

/// `POST /account/password`: saves the user's own password and goes to their start page; a refusal shows
/// the form again (422), the passwords never sent back.
pub async fn change_password(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let text = |name: &str| pairs.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str());
    match account_api::change_own_password(
        &state,
        &actor,
        text("current_password"),
        text("new_password"),
        text("confirm_password"),
    )
    .await
    {
        Ok(()) => {
            let target = super::signin::start_of(actor.role());
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response())
        }
        Err(AppError::Refused(refusal)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(password_page(&actor, Some(&refusal)))).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
