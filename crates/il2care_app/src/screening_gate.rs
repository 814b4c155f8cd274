//! The first-dose screening gate as the record holds it (SCREENING §1 amendment): a course's latest screening
//! and the physicians' decisions on it, read for the core's `screening::gate::first_dose_gate`, and the lasting
//! flag `received_interleukin_2` set at the first dose given. Used by the injection log; one reader, so every
//! path that records a first dose decides with the same gate.
//!
//! No access decision here: the use case that records the dose has decided it already.

use il2care_core::Refusal;
use il2care_core::screening::Item;
use il2care_core::screening::gate::{
    DecisionKind, GateScreening, ItemDecision, ScreenedItem, first_dose_gate, status_from_id,
};
use il2care_store::Conn;
use il2care_store::record::{self, ScreeningDecision};
use jiff::Timestamp;
use serde_json::Value;

use crate::Error;

/// The record flag set at the first dose of interleukin-2 given, by any route (SCREENING.md §3).
pub const RECEIVED_INTERLEUKIN_2: &str = "received_interleukin_2";

/// The gate's view of a stored result: each item's number, result and `valid_until`. An item that cannot be
/// read is left out, and the gate then closes for it.
pub fn gate_screening(at_ms: i64, result: &Value) -> GateScreening {
    let at = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::MAX);
    let items = result["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let number = u8::try_from(item["number"].as_u64()?).ok()?;
            Some(ScreenedItem {
                item: Item::from_number(number)?,
                status: status_from_id(item["result"].as_str()?)?,
                valid_until: match item.get("valid_until") {
                    None | Some(Value::Null) => None,
                    Some(until) => Some(until.as_str()?.parse().ok()?),
                },
            })
        })
        .collect();
    GateScreening { at, items }
}

/// The core's decisions from the stored ones (a row that cannot be read does not count).
pub fn item_decisions(decisions: &[ScreeningDecision]) -> Vec<ItemDecision> {
    decisions
        .iter()
        .filter_map(|decision| {
            Some(ItemDecision {
                item: Item::from_number(u8::try_from(decision.item).ok()?)?,
                kind: DecisionKind::from_id(&decision.kind)?,
                by: decision.decided_by.clone(),
                at: Timestamp::from_millisecond(decision.decided_at_ms).ok()?,
                reason: decision.reason.clone(),
            })
        })
        .collect()
}

/// The inputs of the first-dose gate of course `course_id` as the record holds them: its latest screening (as
/// the gate reads it) and the physicians' decisions on that screening.
pub async fn gate_inputs(conn: &mut Conn, course_id: i64) -> Result<(Option<GateScreening>, Vec<ItemDecision>), Error> {
    let Some(screening) = record::latest_screening_of_course(conn, course_id).await? else {
        return Ok((None, Vec::new()));
    };
    let result: Value = serde_json::from_str(&screening.result).unwrap_or(Value::Null);
    let decisions = record::screening_decisions(conn, screening.id).await?;
    Ok((Some(gate_screening(screening.at_ms, &result)), item_decisions(&decisions)))
}

/// Whether the first dose of course `course_id` may be given at `at`: refused naming `course_id`, with the
/// blockers, while its screening is missing, incomplete or unacknowledged.
pub async fn check_first_dose(conn: &mut Conn, course_id: i64, at: Timestamp) -> Result<(), Error> {
    let (view, decisions) = gate_inputs(conn, course_id).await?;
    let gate = first_dose_gate(view.as_ref(), &decisions, at);
    if gate.open {
        return Ok(());
    }
    let blockers: Vec<String> = gate.blockers.iter().map(|blocker| blocker.reason.clone()).collect();
    Err(Refusal::new(
        "course_id",
        format!(
            "a screening review is needed: the first dose of this course is not permitted until its screening is complete: {}",
            blockers.join("; ")
        ),
    )
    .into())
}

/// Sets the lasting flag `received_interleukin_2` at the first dose of interleukin-2 given, by any route (a
/// high-dose infusion or a logged low-dose shot): SCREENING.md §3. It is never removed.
pub async fn mark_interleukin_2_given(conn: &mut Conn, patient_id: i64, at_ms: i64, by: &str) -> Result<(), Error> {
    if !record::flags(conn, patient_id).await?.iter().any(|flag| flag == RECEIVED_INTERLEUKIN_2) {
        let at = Timestamp::from_millisecond(at_ms).map_or_else(|_| at_ms.to_string(), |at| at.to_string());
        record::add_flag(conn, patient_id, RECEIVED_INTERLEUKIN_2, &format!("first dose given {at}"), at_ms, by)
            .await?;
    }
    Ok(())
}
