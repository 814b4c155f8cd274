//! The dose form's co-signature (ASSESSMENT §10.6): giving against `discontinue_permanently` needs a second
//! physician. At the bedside the second physician signs on the same form with their own username and password;
//! the page opens a session for them through the same `auth::open_session` as sign-in (rate limit, `login`
//! audit entry), passes its token to the dose API as `cosigner_token` (where the core checks that it is another
//! physician), and closes that session at once, whatever the answer. The password is never sent back.

use il2care_core::Refusal;

use super::forms::{self, Pairs};
use crate::AppState;
use crate::auth::open_session;
use crate::error::AppError;

/// The form fields of the co-signature.
pub const USERNAME_FIELD: &str = "cosigner_username";
pub const PASSWORD_FIELD: &str = "cosigner_password";

/// A co-signer's session opened for one dose record.
pub struct CosignerSession {
    pub token: String,
}

/// Opens the co-signer's session when the form names one; a wrong password (or a co-signer without a
/// password) is refused naming the field, nothing is recorded.
pub async fn open(state: &AppState, pairs: &Pairs, remote: &str) -> Result<Option<CosignerSession>, AppError> {
    let Some(username) = forms::field(pairs, USERNAME_FIELD).map(str::trim).filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    let password = forms::field(pairs, PASSWORD_FIELD).unwrap_or("");
    if password.is_empty() {
        return Err(Refusal::new(USERNAME_FIELD, "the second physician must enter their password to co-sign").into());
    }
    match open_session(state, username, password, remote).await {
        Ok(session) => Ok(Some(CosignerSession { token: session.token })),
        Err(AppError::WrongCredentials | AppError::Refused(_)) => Err(Refusal::new(
            USERNAME_FIELD,
            "the second physician's username or password is wrong; nothing was recorded",
        )
        .into()),
        Err(AppError::TooManyRequests) => Err(Refusal::new(
            USERNAME_FIELD,
            "too many failed sign-ins for this co-signer: wait 15 minutes; nothing was recorded",
        )
        .into()),
        Err(other) => Err(other),
    }
}

/// Ends the co-signer's session (it served one dose record).
pub async fn close(state: &AppState, session: CosignerSession) -> Result<(), AppError> {
    Ok(il2care_app::doses::close_cosigner_session(&state.store, &session.token).await?)
}

/// The dose form field a refusal of the dose API is about (`cosigned_by`, `cosigner_token` name the
/// co-signature fields).
pub fn form_field(refused: &str) -> &str {
    match refused {
        "cosigned_by" | "cosigner_token" => USERNAME_FIELD,
        "assessment_id" | "course_id" | "slot" | "at" => "status",
        other => other,
    }
}
