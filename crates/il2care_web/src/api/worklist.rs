//! `GET /api/v1/worklist`: who needs attention now, most urgent first (nurse, physician): unacknowledged
//! check-ins by triage level, and high-dose courses in a dosing window with their current decision and next
//! slot. Ties go to what is due or waiting longest.

use axum::Json;
use axum::extract::State;
use il2care_core::regimens::regimen;
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_store::{Conn, record};
use serde_json::{Value, json};

use crate::AppState;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// One urgency scale for check-ins and decisions: higher is more urgent.
pub fn urgency(level_or_decision: &str) -> u8 {
    match level_or_decision {
        "emergency" => 5,
        "call_now" | "discontinue_permanently" | "discontinue_course" => 4,
        "hold" | "insufficient_data" => 3,
        "call_today" | "needs_assessment" => 2,
        "not_permitted" => 1,
        _ => 0,
    }
}

/// The next planned slot of a course at or after `now_ms` less one hour (a dose just due stays visible).
fn next_slot_ms(course: &record::Course, now_ms: i64) -> Option<i64> {
    let regimen = regimen(&course.regimen)?;
    let start = jiff::Timestamp::from_millisecond(course.started_at_ms).ok()?;
    let request = ScheduleRequest {
        regimen,
        start: start.to_zoned(jiff::tz::TimeZone::UTC),
        level: None,
        days: None,
        cycles: None,
    };
    let plan = schedule(&request).ok()?;
    plan.slots.iter().map(|slot| slot.at.timestamp().as_millisecond()).find(|at| *at >= now_ms - 3_600_000)
}

/// The worklist items at `now`, most urgent first: the one computation behind the API and the worklist page.
/// The caller checks the role and audits the read.
pub async fn worklist_items(conn: &mut Conn, now: i64) -> Result<Vec<Value>, AppError> {
    let mut rows: Vec<(u8, i64, Value)> = Vec::new();
    for checkin in record::unacknowledged_checkins(conn).await? {
        let item = json!({"kind": "checkin", "patient_id": checkin.patient_id, "checkin_id": checkin.id,
                          "level": checkin.level, "at": crate::rfc3339(checkin.at_ms)});
        rows.push((urgency(&checkin.level), checkin.at_ms, item));
    }
    for (course, decision) in record::courses_with_latest_decision(conn).await? {
        if course.regimen != "hd-iv" {
            continue;
        }
        let Some(next) = next_slot_ms(&course, now) else { continue };
        let current = decision.as_ref().map_or("needs_assessment", |decision| decision.decision.as_str());
        let reasons: Vec<Value> = decision
            .as_ref()
            .and_then(|decision| serde_json::from_str::<Value>(&decision.result).ok())
            .and_then(|result| result["fired"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|fired| fired["id"].clone())
            .collect();
        let item = json!({"kind": "dose", "patient_id": course.patient_id, "course_id": course.id, "decision": current,
                          "reasons": reasons, "next_slot_at": crate::rfc3339(next),
                          "decided_at": decision.as_ref().map(|decision| crate::rfc3339(decision.at_ms))});
        rows.push((urgency(current), next, item));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(rows.into_iter().map(|(_, _, item)| item).collect())
}

/// The worklist rows.
pub async fn worklist(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    if let Err(error) = actor.require(&[Role::Nurse, Role::Physician]) {
        by_actor(&mut conn, &actor, "denied", "worklist", None, "denied").await?;
        return Err(error);
    }
    let items = worklist_items(&mut conn, crate::now_ms()).await?;
    crate::audit::read(&state, &actor, "worklist", None).await?;
    Ok(Json(json!({"items": items})))
}

#[cfg(test)]
mod tests {
    use super::urgency;

    #[test]
    fn stops_and_red_check_ins_outrank_holds_which_outrank_amber_and_routine() {
        let order = ["emergency", "call_now", "hold", "call_today", "not_permitted", "give"];
        let ranks: Vec<u8> = order.iter().map(|item| urgency(item)).collect();
        assert!(ranks.windows(2).all(|pair| pair[0] > pair[1]), "{ranks:?}");
        assert_eq!(urgency("discontinue_permanently"), urgency("call_now"));
        assert_eq!(urgency("insufficient_data"), urgency("hold"), "missing data is never less urgent than a hold");
        assert_eq!(urgency("self_care"), 0);
    }
}
