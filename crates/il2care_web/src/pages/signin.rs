//! Sign-in, sign-out and the start page of each role. The form posts to the same `auth::open_session` as
//! `POST /api/v1/session` (rate limit and audit included) and carries the session in the same cookie.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};

use super::layout::{Audience, shell};
use super::{PageResult, page};
use crate::AppState;
use crate::auth::{Actor, Remote, Role, close_session, expired_cookie, open_session, session_cookie};
use crate::error::AppError;

/// The start page of a role.
pub fn start_of(role: Role) -> &'static str {
    match role {
        Role::Patient => "/me",
        Role::Nurse | Role::Physician => "/worklist",
        Role::Pharmacist => "/pharmacy",
        Role::Admin => "/audit",
        // Never an account's role (`Role::parse`): the command line and a calling EHR have no pages.
        Role::Operator | Role::Ehr => "/signin",
    }
}

/// `GET /`: to the signed-in role's start page, or to sign-in.
pub async fn start(actor: Result<Actor, AppError>) -> PageResult {
    Ok(match actor {
        Ok(actor) => Redirect::to(start_of(actor.role())).into_response(),
        _ => Redirect::to("/signin").into_response(),
    })
}

fn signin_page(message: Option<&str>, username: &str) -> Markup {
    shell(
        "Sign in",
        None,
        Audience::Staff,
        html! {},
        html! {
            h1 { "Sign in to il2care" }
            @if let Some(message) = message {
                div.error role="alert" id="signin-error" { p { (message) } }
            }
            form.stack method="post" action="/signin" {
                div.field {
                    label for="username" { "Username" }
                    input id="username" name="username" type="text" autocomplete="username" required value=(username)
                        autofocus;
                }
                div.field {
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                }
                button.primary type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /signin`.
pub async fn form() -> PageResult {
    Ok(page(signin_page(None, "")))
}

/// What the sign-in form posts.
#[derive(serde::Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

/// `POST /signin`: opens a session and goes to the role's start page; a refusal shows the form again.
pub async fn submit(
    State(state): State<AppState>,
    Remote(remote): Remote,
    Form(credentials): Form<Credentials>,
) -> PageResult {
    match open_session(&state, credentials.username.trim(), &credentials.password, &remote).await {
        Ok(session) => {
            let target = if session.user.must_change_password() {
                "/account/password"
            } else {
                Role::parse(&session.user.role).map_or("/signin", start_of)
            };
            Ok((
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, session_cookie(&session.token)), (header::LOCATION, target.to_string())],
            )
                .into_response())
        }
        Err(error @ (AppError::WrongCredentials | AppError::TooManyRequests | AppError::Forbidden(_))) => {
            let status = error.status();
            let message = match &error {
                AppError::TooManyRequests => {
                    "Too many failed sign-in attempts. Wait 15 minutes, then try again, or ask an administrator to \
                     unlock your account."
                        .to_string()
                }
                AppError::Forbidden(why) => format!("You cannot sign in: {why}."),
                _ => "Wrong username or password.".to_string(),
            };
            let forbidden = matches!(error, AppError::Forbidden(_));
            let mut response = (status, page(signin_page(Some(&message), credentials.username.trim()))).into_response();
            if forbidden {
                // Audited by the sign-in already (why the account may not sign in).
                response.extensions_mut().insert(crate::security::Audited);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /signout`: ends the session and returns to the sign-in page.
pub async fn sign_out(State(state): State<AppState>, actor: Result<Actor, AppError>, headers: HeaderMap) -> PageResult {
    if let Ok(actor) = actor {
        close_session(&state, &actor, &headers).await?;
    }
    Ok((StatusCode::SEE_OTHER, [(header::SET_COOKIE, expired_cookie()), (header::LOCATION, "/signin".to_string())])
        .into_response())
}
