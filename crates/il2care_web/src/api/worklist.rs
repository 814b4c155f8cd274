//! `GET /api/v1/worklist`: who needs attention now, most urgent first (nurse, physician): unacknowledged
//! check-ins by triage level, and high-dose courses in a dosing window with their current decision and next
//! slot.
//!
//! HTTP only: the use case (access, the computation, audit) is `il2care_app::worklist`.

use axum::Json;
use axum::extract::State;
use il2care_app::worklist::{self, Item};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;

/// The urgency scale and the completeness of a stored check-in, for the pages (the application layer's).
pub use il2care_app::worklist::{checkin_complete, urgency};

/// One worklist item as JSON (the API's and the worklist page's).
pub fn item_json(item: &Item) -> Value {
    match item {
        Item::CheckIn { patient_id, checkin_id, level, complete, status, at_ms } => {
            json!({"kind": "checkin", "patient_id": patient_id, "checkin_id": checkin_id, "level": level,
                   "complete": complete, "status": status, "at": crate::rfc3339(*at_ms)})
        }
        Item::Dose {
            patient_id,
            course_id,
            decision,
            reasons,
            next_slot_at_ms,
            decided_at_ms,
            last_recorded_at_ms,
        } => {
            json!({"kind": "dose", "patient_id": patient_id, "course_id": course_id, "decision": decision,
                   "reasons": reasons, "next_slot_at": crate::rfc3339(*next_slot_at_ms),
                   "decided_at": decided_at_ms.map(crate::rfc3339),
                   "last_recorded_at": last_recorded_at_ms.map(crate::rfc3339)})
        }
    }
}

/// Worklist items as JSON.
pub fn items_json(items: &[Item]) -> Vec<Value> {
    items.iter().map(item_json).collect()
}

/// The worklist rows.
pub async fn worklist(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let items = worklist::read(&state.store, actor.app(), crate::now()).await?;
    Ok(Json(json!({"items": items_json(&items)})))
}
