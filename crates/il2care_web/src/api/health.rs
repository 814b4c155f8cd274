//! `GET /healthz`: the process answers and the database opens and passes its quick check.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;

/// 200 with `{"status": "ok"}` when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.store.check(crate::now_ms()).await?;
    Ok(Json(json!({"status": "ok", "database": format!("{:?}", state.store.backend()).to_lowercase()})))
}
