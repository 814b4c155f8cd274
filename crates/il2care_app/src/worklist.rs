//! The ward's worklist: who needs attention now, most urgent first (nurse, physician): check-ins nobody has
//! called back yet, by triage level, and high-dose courses in a dosing window with their current decision and next
//! slot. Ties go to what is due or waiting longest. [`read`] decides access and audits the read; [`items`] is
//! the computation, for the pages that have decided access already.

use std::collections::HashMap;

use il2care_core::regimens::regimen;
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_store::{Conn, Store, record};
use jiff::Timestamp;
use serde_json::Value;

use crate::Error;
use crate::access::{self, Action, Actor};

/// The regimen whose courses the worklist lists.
pub const HIGH_DOSE: &str = "hd-iv";

/// One urgency scale for check-ins and decisions: higher is more urgent.
pub fn urgency(level_or_decision: &str) -> u8 {
    match level_or_decision {
        "emergency" => 5,
        "call_now" | "discontinue_permanently" | "discontinue_course" => 4,
        "hold" | "insufficient_data" => 3,
        // An incomplete check-in is never less urgent than a call today (TRIAGE amendment 1).
        "call_today" | "needs_assessment" | "incomplete" => 2,
        "not_permitted" => 1,
        _ => 0,
    }
}

/// Half the high-dose interval: a dose recorded this close to a slot belongs to it.
const HALF_INTERVAL_MS: i64 = 4 * 3_600_000;

/// How long a slot stays on the worklist after it was due.
const DUE_GRACE_MS: i64 = 3_600_000;

/// The next planned slot of a course at or after `now_ms` less one hour (a dose just due stays visible).
fn next_slot_ms(regimen_id: &str, started_at_ms: i64, now_ms: i64) -> Option<i64> {
    slot_times_ms(regimen_id, started_at_ms)?.into_iter().find(|at| *at >= now_ms - DUE_GRACE_MS)
}

/// Every planned slot of a course, from the core's schedule (laid out in UTC).
fn slot_times_ms(regimen_id: &str, started_at_ms: i64) -> Option<Vec<i64>> {
    let regimen = regimen(regimen_id)?;
    let start = Timestamp::from_millisecond(started_at_ms).ok()?;
    let request = ScheduleRequest {
        regimen,
        start: start.to_zoned(jiff::tz::TimeZone::UTC),
        level: None,
        days: None,
        cycles: None,
    };
    let plan = schedule(&request).ok()?;
    Some(plan.slots.iter().map(|slot| slot.at.timestamp().as_millisecond()).collect())
}

/// The slots of one regimen's courses as offsets from their start, laid out once per worklist instead of once
/// per course. The schedule is laid out in UTC, where every day has 24 hours, so a course's slots are the same
/// offsets from its start whenever it started (a test compares both ways for many starts).
struct SlotOffsets {
    regimen_id: &'static str,
    offsets_ms: Option<Vec<i64>>,
}

impl SlotOffsets {
    fn new(regimen_id: &'static str, reference_start_ms: i64) -> SlotOffsets {
        let offsets_ms = slot_times_ms(regimen_id, reference_start_ms)
            .map(|slots| slots.iter().map(|at| at - reference_start_ms).collect());
        SlotOffsets { regimen_id, offsets_ms }
    }

    /// The same answer as `next_slot_ms`; near the ends of the time range it asks the schedule itself.
    fn next_slot_ms(&self, started_at_ms: i64, now_ms: i64) -> Option<i64> {
        let offsets = self.offsets_ms.as_ref();
        let last = offsets.and_then(|offsets| offsets.last()).copied().unwrap_or(0);
        let in_range = |at: i64| Timestamp::from_millisecond(at).is_ok();
        match offsets {
            Some(offsets) if in_range(started_at_ms) && started_at_ms.checked_add(last).is_some_and(in_range) => {
                offsets.iter().map(|offset| started_at_ms + offset).find(|at| *at >= now_ms - DUE_GRACE_MS)
            }
            _ => next_slot_ms(self.regimen_id, started_at_ms, now_ms),
        }
    }
}

/// Whether a stored check-in result is complete (TRIAGE amendment 1). A result stored before the `complete`
/// field existed is complete only when it lists no unanswered core item; an unreadable one is incomplete, so
/// it is never shown as reassuring.
pub fn checkin_complete(result: &str) -> bool {
    match serde_json::from_str::<Value>(result) {
        Ok(result) => match result.get("complete").and_then(Value::as_bool) {
            Some(complete) => complete,
            None => result["unanswered"].as_array().is_some_and(Vec::is_empty),
        },
        Err(_) => false,
    }
}

/// One line of the worklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A check-in nobody has called back about.
    CheckIn {
        patient_id: i64,
        checkin_id: i64,
        /// The triage level as stored.
        level: String,
        complete: bool,
        /// What the list shows: the level, or `incomplete` for an incomplete check-in at `self_care`.
        status: String,
        at_ms: i64,
    },
    /// A high-dose course with its next slot.
    Dose {
        patient_id: i64,
        course_id: i64,
        /// The current decision, or `needs_assessment` when none counts for the next slot.
        decision: String,
        /// The ids of the rules that fired for it.
        reasons: Vec<String>,
        next_slot_at_ms: i64,
        decided_at_ms: Option<i64>,
        last_recorded_at_ms: Option<i64>,
    },
}

/// The worklist at `now`, most urgent first: the one computation behind the API and the worklist page. A
/// course's latest decision counts only until a dose (given or held) is recorded after it: then the next slot
/// needs a new decision (`needs_assessment`, with `last_recorded_at_ms`). An incomplete check-in at
/// `self_care` is ranked and shown as `incomplete`, never as self care. No access decision: [`read`] decides it,
/// or the page that calls this.
pub async fn items(conn: &mut Conn, now_ms: i64) -> Result<Vec<Item>, Error> {
    let mut rows: Vec<(u8, i64, Item)> = Vec::new();
    for checkin in record::checkins_awaiting_call_back(conn).await? {
        let complete = checkin_complete(&checkin.result);
        let shown = if !complete && checkin.level == "self_care" { "incomplete" } else { checkin.level.as_str() };
        let urgency = urgency(shown);
        let status = shown.to_string();
        let item = Item::CheckIn {
            patient_id: checkin.patient_id,
            checkin_id: checkin.id,
            level: checkin.level,
            complete,
            status,
            at_ms: checkin.at_ms,
        };
        rows.push((urgency, checkin.at_ms, item));
    }
    // Only high-dose courses have bedside decisions before each dose.
    let courses = record::courses_of_regimen_with_latest_decision(conn, HIGH_DOSE).await?;
    let recorded: HashMap<i64, i64> =
        record::latest_dose_records_of_regimen(conn, HIGH_DOSE).await?.into_iter().collect();
    let slots = SlotOffsets::new(HIGH_DOSE, courses.first().map_or(0, |course| course.started_at_ms));
    for course in courses {
        let Some(mut next) = slots.next_slot_ms(course.started_at_ms, now_ms) else { continue };
        let last_recorded = recorded.get(&course.course_id).copied();
        // A dose recorded for the slot just due (within half an interval of it) moves the list to the next.
        if last_recorded.is_some_and(|recorded_at| recorded_at >= next - HALF_INTERVAL_MS) {
            match slots.next_slot_ms(course.started_at_ms, next + DUE_GRACE_MS + 1) {
                Some(following) => next = following,
                None => continue,
            }
        }
        let decision = course
            .latest
            .as_ref()
            .filter(|decision| last_recorded.is_none_or(|recorded_at| decision.at_ms > recorded_at));
        let current = decision.map_or("needs_assessment", |decision| decision.decision.as_str());
        let reasons: Vec<String> = decision
            .filter(|decision| decision.fired_ids != "[]")
            .and_then(|decision| serde_json::from_str(&decision.fired_ids).ok())
            .unwrap_or_default();
        let item = Item::Dose {
            patient_id: course.patient_id,
            course_id: course.course_id,
            decision: current.to_string(),
            reasons,
            next_slot_at_ms: next,
            decided_at_ms: decision.map(|decision| decision.at_ms),
            last_recorded_at_ms: last_recorded,
        };
        rows.push((urgency(current), next, item));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(rows.into_iter().map(|(_, _, item)| item).collect())
}

/// The worklist for `actor` (nurse, physician) at `now`; the read is audited before it is answered.
pub async fn read(store: &Store, actor: &Actor, now: Timestamp) -> Result<Vec<Item>, Error> {
    access::authorize(store, actor, None, Action::ReadWorklist, "worklist", now).await?;
    let items = {
        let mut conn = store.connection().await?;
        items(&mut conn, now.as_millisecond()).await?
    };
    access::audit_read(store, actor, "worklist", None, now).await?;
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::{HIGH_DOSE, SlotOffsets, checkin_complete, next_slot_ms, urgency};

    #[test]
    fn a_check_in_is_complete_only_when_it_says_so_or_lists_no_unanswered_core_item() {
        assert!(checkin_complete(r#"{"complete": true, "unanswered": []}"#));
        assert!(!checkin_complete(r#"{"complete": false, "unanswered": ["short_of_breath"]}"#));
        assert!(checkin_complete(r#"{"unanswered": []}"#), "results stored before the field existed");
        assert!(!checkin_complete(r#"{"unanswered": ["temperature"]}"#));
        assert!(!checkin_complete(r#"{"level": "self_care"}"#), "no list of unanswered items is not complete");
        assert!(!checkin_complete("not json"), "an unreadable result is never reassuring");
    }

    #[test]
    fn stops_and_red_check_ins_outrank_holds_which_outrank_amber_and_routine() {
        let order = ["emergency", "call_now", "hold", "call_today", "not_permitted", "give"];
        let ranks: Vec<u8> = order.iter().map(|item| urgency(item)).collect();
        assert!(ranks.windows(2).all(|pair| pair[0] > pair[1]), "{ranks:?}");
        assert_eq!(urgency("discontinue_permanently"), urgency("call_now"));
        assert_eq!(urgency("insufficient_data"), urgency("hold"), "missing data is never less urgent than a hold");
        assert_eq!(urgency("self_care"), 0);
        assert_eq!(urgency("incomplete"), urgency("call_today"), "an incomplete check-in is never shown as self care");
    }

    #[test]
    fn slots_laid_out_once_give_the_next_slot_the_schedule_gives_for_every_start() {
        let hour = 3_600_000;
        // 2024-02-27T21:00Z: a leap day and a month end inside cycle 1; 2026-12-28: a year end in cycle 2.
        let starts = [0, 1_709_067_600_000, 1_798_416_000_000, 1_764_288_000_000 + 17 * 60_000 + 123];
        let slots = SlotOffsets::new(HIGH_DOSE, 1_764_288_000_000);
        for start in starts {
            for now in (-2..24 * 21).map(|hours| start + hours * hour + 7 * 60_000) {
                assert_eq!(
                    slots.next_slot_ms(start, now),
                    next_slot_ms(HIGH_DOSE, start, now),
                    "start {start}, now {now}"
                );
            }
        }
        assert_eq!(slots.next_slot_ms(0, 30 * 24 * hour), None, "after the last slot of cycle 2 nothing is next");
        assert_eq!(SlotOffsets::new("no-such-regimen", 0).next_slot_ms(0, 0), None);
    }
}
