//! Table tests of the course state and the record rules, each row citing its source.

use super::*;

fn t(text: &str) -> Timestamp {
    text.parse().expect("test times are RFC 3339")
}

const START: &str = "2026-11-01T08:00:00Z";

fn hours(h: i64) -> Timestamp {
    t(START) + SignedDuration::from_hours(h)
}

fn slot(cycle: u8, slot: u32) -> DoseSlot {
    DoseSlot { cycle, slot }
}

fn decision(id: i64, at_h: i64, decision: Decision, slot_: Option<DoseSlot>) -> RecordedDecision {
    RecordedDecision { id, at: hours(at_h), recorded_at: hours(at_h), decision, slot: slot_, holds: Vec::new() }
}

fn dose(id: i64, at_h: i64, status: DoseStatus, slot_: Option<DoseSlot>) -> RecordedDose {
    RecordedDose { id, at: hours(at_h), slot: slot_, status, decision_id: None, overrides: false, corrects_id: None }
}

fn events(decisions: Vec<RecordedDecision>, doses: Vec<RecordedDose>) -> CourseEvents {
    CourseEvents { started_at: t(START), cycle_two_start_day: None, decisions, doses }
}

fn nurse() -> Recorder {
    Recorder { role: RecorderRole::Nurse, account: "nina".into() }
}

fn physician(account: &str) -> Recorder {
    Recorder { role: RecorderRole::Physician, account: account.into() }
}

fn give(
    recorder: Recorder,
    decision_id: Option<i64>,
    code: Option<ReasonCode>,
    text: Option<&str>,
) -> DoseRecordRequest {
    DoseRecordRequest {
        status: DoseStatus::Given,
        slot: slot(1, 2),
        at: hours(9),
        decision_id,
        reason_code: code,
        reason_text: text.map(str::to_string),
        recorder,
        cosigner: None,
        corrects_id: None,
    }
}

/// One row: the request against one decision at hour 8 for cycle 1 slot 2; `Ok(overrides)` or the refused rule.
fn check(
    source: &str,
    request: DoseRecordRequest,
    decided: Decision,
    expected: Result<bool, (RecordRule, RefusalKind)>,
) {
    let course = events(vec![decision(7, 8, decided, Some(slot(1, 2)))], Vec::new());
    let got = may_record_dose(&request, &course, None);
    match (&got, expected) {
        (Ok(permit), Ok(overrides)) => assert_eq!(permit.overrides, overrides, "{source}"),
        (Err(refusal), Err((rule, kind))) => {
            assert_eq!((refusal.rule, refusal.kind), (rule, kind), "{source}: {}", refusal.reason);
            assert_eq!(refusal.rule.id().split('.').next(), Some("record"), "{source}");
        }
        _ => panic!("{source}: got {got:?}, expected {expected:?}"),
    }
}

#[test]
fn who_may_give_against_which_decision() {
    use Decision::*;
    use RecordRule::*;
    use RefusalKind::*;
    let resolved = Some(ReasonCode::FindingResolvedOnReview);
    let why = Some("SBP 92 on repeat");
    let s = "ASSESSMENT §10.6 [PRODUCT]";
    check(s, give(nurse(), Some(7), None, None), Give, Ok(false));
    check(s, give(physician("pat"), Some(7), None, None), Give, Ok(false));
    check(
        s,
        give(Recorder { role: RecorderRole::Other, account: "ph".into() }, Some(7), None, None),
        Give,
        Err((RecordedByClinician, Forbidden)),
    );
    check(s, give(nurse(), None, None, None), Give, Err((GiveNeedsLatestDecision, Refused)));
    check(s, give(nurse(), Some(7), resolved, why), Hold, Err((OverrideHoldByPhysician, Forbidden)));
    check(s, give(physician("pat"), Some(7), None, why), Hold, Err((OverrideHoldByPhysician, Refused)));
    check(s, give(physician("pat"), Some(7), resolved, None), Hold, Err((OverrideHoldByPhysician, Refused)));
    check(s, give(physician("pat"), Some(7), resolved, Some("  ")), Hold, Err((OverrideHoldByPhysician, Refused)));
    check(
        s,
        give(physician("pat"), Some(7), Some(ReasonCode::PatientDeclined), why),
        Hold,
        Err((OverrideHoldByPhysician, Refused)),
    );
    check(s, give(physician("pat"), Some(7), resolved, why), Hold, Ok(true));
    check(s, give(physician("pat"), Some(7), Some(ReasonCode::DataEntryError), why), InsufficientData, Ok(true));
    check(s, give(nurse(), Some(7), resolved, why), InsufficientData, Err((OverrideHoldByPhysician, Forbidden)));
    check(s, give(physician("pat"), Some(7), resolved, why), NotPermitted, Err((NotPermittedNeverGiven, Forbidden)));
    check(
        s,
        give(nurse(), Some(7), resolved, why),
        DiscontinueCourse,
        Err((OverrideDiscontinueByPhysician, Forbidden)),
    );
    check(
        s,
        give(physician("pat"), Some(7), Some(ReasonCode::ProtocolExceptionApproved), why),
        DiscontinueCourse,
        Ok(true),
    );
    check(
        s,
        give(physician("pat"), Some(7), resolved, why),
        DiscontinuePermanently,
        Err((OverrideDiscontinueByPhysician, Refused)),
    );
    let mut same = give(physician("pat"), Some(7), resolved, why);
    same.cosigner = Some(physician("pat"));
    check(s, same, DiscontinuePermanently, Err((OverrideDiscontinueByPhysician, Refused)));
    let mut nurse_cosigns = give(physician("pat"), Some(7), resolved, why);
    nurse_cosigns.cosigner = Some(nurse());
    check(s, nurse_cosigns, DiscontinuePermanently, Err((OverrideDiscontinueByPhysician, Refused)));
    let mut cosigned = give(physician("pat"), Some(7), resolved, why);
    cosigned.cosigner = Some(physician("quinn"));
    check(s, cosigned, DiscontinuePermanently, Ok(true));
}

#[test]
fn a_hold_against_give_or_without_decision_records_a_reason_code() {
    let s = "ASSESSMENT §10.6 (a nurse may hold against give with a reason code) [PRODUCT]";
    let hold =
        |decision_id, code| DoseRecordRequest { status: DoseStatus::Held, ..give(nurse(), decision_id, code, None) };
    check(s, hold(Some(7), None), Decision::Give, Err((RecordRule::HoldAgainstGiveNeedsReason, RefusalKind::Refused)));
    check(s, hold(None, None), Decision::Give, Err((RecordRule::HoldAgainstGiveNeedsReason, RefusalKind::Refused)));
    check(s, hold(Some(7), Some(ReasonCode::ClinicalConcern)), Decision::Give, Ok(false));
    check(s, hold(Some(7), None), Decision::Hold, Ok(false));
    check(s, hold(Some(7), None), Decision::NotPermitted, Ok(false));
}

#[test]
fn give_needs_the_latest_decision_for_its_slot_with_nothing_recorded_since() {
    let s = "ASSESSMENT §10.6 (latest for this slot, nothing since) [PRODUCT]";
    let course = events(
        vec![decision(7, 8, Decision::Give, Some(slot(1, 2))), decision(8, 8, Decision::Hold, Some(slot(1, 2)))],
        Vec::new(),
    );
    let refused = may_record_dose(&give(nurse(), Some(7), None, None), &course, None).unwrap_err();
    assert_eq!(refused.rule, RecordRule::GiveNeedsLatestDecision, "{s}: a newer hold exists");
    assert!(refused.reason.contains("assess again"), "{}", refused.reason);
    let one = events(vec![decision(7, 8, Decision::Give, Some(slot(1, 2)))], Vec::new());
    // Something recorded just after, at, and just before the decision was stored.
    let after = hours(8) + SignedDuration::from_millis(1);
    assert!(may_record_dose(&give(nurse(), Some(7), None, None), &one, Some(after)).is_err(), "{s}");
    assert!(may_record_dose(&give(nurse(), Some(7), None, None), &one, Some(hours(8))).is_ok(), "{s}");
    assert!(may_record_dose(&give(nurse(), Some(7), None, None), &one, Some(hours(7))).is_ok(), "{s}");
    let mut other_slot = give(nurse(), Some(7), None, None);
    other_slot.slot = slot(1, 3);
    assert_eq!(may_record_dose(&other_slot, &one, None).unwrap_err().field, "assessment_id", "{s}: another slot");
    let mut before = give(nurse(), Some(7), None, None);
    before.at = hours(8) - SignedDuration::from_millis(1);
    assert!(may_record_dose(&before, &one, None).is_err(), "{s}: a dose started before its decision");
    let undecided = events(vec![decision(7, 8, Decision::Give, None)], Vec::new());
    assert!(may_record_dose(&give(nurse(), Some(7), None, None), &undecided, None).is_err(), "{s}: no slot");
}

#[test]
fn one_given_per_slot_and_a_given_slot_is_not_held_again() {
    let s = "ASSESSMENT §10.6 one given per slot [PRODUCT; LABEL-2024 T1]";
    let mut course = events(vec![decision(7, 8, Decision::Give, Some(slot(1, 2)))], Vec::new());
    course.doses.push(dose(20, 8, DoseStatus::Given, Some(slot(1, 2))));
    let refused = may_record_dose(&give(nurse(), Some(7), None, None), &course, None).unwrap_err();
    assert_eq!(
        (refused.rule, refused.kind, refused.field),
        (RecordRule::OneGivenPerSlot, RefusalKind::Conflict, "slot"),
        "{s}"
    );
    assert!(refused.reason.contains("slot 2"), "{}", refused.reason);
    let mut correction = give(nurse(), Some(7), None, None);
    correction.corrects_id = Some(20);
    assert!(may_record_dose(&correction, &course, None).is_ok(), "{s}: a correction replaces the given record");
    course.doses.push(RecordedDose { corrects_id: Some(20), ..dose(21, 8, DoseStatus::Held, Some(slot(1, 2))) });
    assert_eq!(may_record_dose(&correction, &course, None).unwrap_err().field, "corrects_id", "{s}: corrected twice");
    let held = events(Vec::new(), vec![dose(30, 8, DoseStatus::Held, Some(slot(1, 2)))]);
    let hold_again =
        DoseRecordRequest { status: DoseStatus::Held, ..give(nurse(), None, Some(ReasonCode::ClinicalConcern), None) };
    assert_eq!(may_record_dose(&hold_again, &held, None).unwrap_err().kind, RefusalKind::Conflict, "{s}");
}

#[test]
fn cycle_windows_follow_a_recorded_cycle_two_delay() {
    // ASSESSMENT §10.5 [LABEL-2024 T1; PRODUCT]: days 15-19, or the delayed day plus 4.
    assert_eq!(cycle_windows(None), ((1, 5), (15, 19)));
    assert_eq!(cycle_windows(Some(15)), ((1, 5), (15, 19)));
    assert_eq!(cycle_windows(Some(16)), ((1, 5), (16, 20)));
    assert_eq!(cycle_windows(Some(21)), ((1, 5), (21, 25)));
    assert_eq!(cycle_windows(Some(14)), ((1, 5), (15, 19)), "a delay never starts cycle 2 early");
    let mut course = events(Vec::new(), Vec::new());
    course.cycle_two_start_day = Some(21);
    let day = |d: i64| hours((d - 1) * 24);
    // Day 20 is in the rest period (still cycle 1 for counting), day 21 opens cycle 2, day 25 ends, 26 is out.
    let at = |d: i64, h: i64| course_state(&course, day(d) + SignedDuration::from_hours(h));
    assert_eq!((at(20, 23).cycle, at(20, 23).in_window), (1, false));
    assert_eq!((at(21, 0).cycle, at(21, 0).in_window), (2, true));
    assert_eq!((at(25, 23).cycle, at(25, 23).in_window), (2, true));
    assert_eq!((at(26, 0).cycle, at(26, 0).in_window), (2, false));
    let plain = events(Vec::new(), Vec::new());
    assert_eq!(course_state(&plain, hours(14 * 24) - SignedDuration::from_millis(1)).cycle, 1);
    assert_eq!(course_state(&plain, hours(14 * 24)).cycle, 2);
}

#[test]
fn the_state_counts_doses_holds_and_carries_pending_holds() {
    // ASSESSMENT §6 (counts), §7 (carry-over), §9.6 (cycles) [LABEL-2024 T1; PRODUCT].
    let sbp = Rule::from_id("label.hold.sbp-below-90").expect("a hold rule");
    let mut hold = decision(3, 16, Decision::Hold, Some(slot(1, 3)));
    hold.holds = vec![sbp, sbp];
    let mut course = events(
        vec![decision(1, 0, Decision::Give, Some(slot(1, 1))), decision(2, 8, Decision::Give, Some(slot(1, 2))), hold],
        vec![
            dose(10, 0, DoseStatus::Given, Some(slot(1, 1))),
            dose(11, 8, DoseStatus::Given, Some(slot(1, 2))),
            dose(12, 16, DoseStatus::Held, Some(slot(1, 3))),
            RecordedDose { corrects_id: Some(11), ..dose(13, 8, DoseStatus::Given, Some(slot(1, 2))) },
        ],
    );
    let state = course_state(&course, hours(20));
    assert_eq!((state.doses_given_cycle, state.doses_given_course, state.holds_this_cycle), (2, 2, 1));
    assert_eq!(state.last_dose_at, Some(hours(8)));
    assert_eq!(state.pending_holds, vec![sbp], "the latest decision's holds carry over, once each");
    assert!(!state.discontinued);
    // Cycle 2 counts afresh; the cycle-1 holds do not carry into it.
    let state = course_state(&course, hours(14 * 24));
    assert_eq!((state.cycle, state.doses_given_cycle, state.doses_given_course, state.holds_this_cycle), (2, 0, 2, 0));
    assert!(state.pending_holds.is_empty());
    // A discontinuation stands until a permitted override gives against it.
    course.decisions.push(decision(4, 24, Decision::DiscontinueCourse, Some(slot(1, 4))));
    assert!(course_state(&course, hours(25)).discontinued);
    assert!(!course_state(&course, hours(23)).discontinued, "not yet at 23 h");
    course.doses.push(RecordedDose {
        decision_id: Some(4),
        overrides: true,
        ..dose(14, 25, DoseStatus::Given, Some(slot(1, 4)))
    });
    assert!(!course_state(&course, hours(26)).discontinued);
}

fn shot(id: i64, slot_: u32, given: bool, corrects_id: Option<i64>) -> LoggedShot {
    LoggedShot { id, slot: Some(slot_), given, at: hours(0), corrects_id }
}

fn checkin(id: i64, at_h: i64, urgent: bool, cleared: bool) -> HomeCheckIn {
    HomeCheckIn { id, at: hours(at_h), urgent, cleared }
}

#[test]
fn the_injection_log_takes_one_shot_per_slot() {
    let s = "EDU home.missed-dose (never two shots to catch up) [PRODUCT]";
    let request = |slot_: u32, corrects_id| ShotRequest { slot: Some(slot_), given: true, at: hours(30), corrects_id };
    assert!(may_log_shot(&request(3, None), &[], &[]).is_ok(), "{s}");
    let log = [shot(9, 3, true, None)];
    let refused = may_log_shot(&request(3, None), &log, &[]).unwrap_err();
    assert_eq!((refused.rule, refused.kind), (RecordRule::OneShotPerSlot, RefusalKind::Conflict), "{s}");
    assert!(refused.reason.contains("never two shots to catch up"));
    assert!(may_log_shot(&request(4, None), &log, &[]).is_ok(), "{s}");
    assert!(may_log_shot(&request(3, Some(9)), &log, &[]).is_ok(), "{s}: a correction replaces");
    let corrected = [shot(9, 3, true, None), shot(10, 3, false, Some(9))];
    assert_eq!(may_log_shot(&request(3, Some(9)), &corrected, &[]).unwrap_err().field, "corrects_id", "{s}");
    assert_eq!(may_log_shot(&request(3, Some(77)), &log, &[]).unwrap_err().field, "corrects_id", "{s}");
}

#[test]
fn an_urgent_check_in_holds_the_next_shot_until_cleared() {
    let s = "TRIAGE amendment 3 (hold the next shot) [PRODUCT]";
    let at = |h| ShotRequest { slot: Some(5), given: true, at: hours(h), corrects_id: None };
    let urgent = [checkin(1, 10, true, false)];
    assert!(may_log_shot(&at(9), &[], &urgent).is_ok(), "{s}: a shot before the check-in is not the next one");
    let refused = may_log_shot(&at(10), &[], &urgent).unwrap_err();
    assert_eq!(refused.rule, RecordRule::HoldNextShotAfterUrgentCheckIn, "{s}: at the check-in time");
    assert!(may_log_shot(&at(11), &[], &urgent).is_err(), "{s}");
    assert!(may_log_shot(&at(11), &[], &[checkin(1, 10, true, true)]).is_ok(), "{s}: cleared by the call-back");
    assert!(may_log_shot(&at(11), &[], &[checkin(1, 10, false, false)]).is_ok(), "{s}: call_today does not hold");
    let skip = ShotRequest { given: false, ..at(11) };
    assert!(may_log_shot(&skip, &[], &urgent).is_ok(), "{s}: skipping is always allowed");
}

#[test]
fn every_record_rule_has_an_id_and_a_known_source_and_slots_number_across_the_course() {
    for rule in RecordRule::ALL {
        assert!(rule.id().starts_with("record."), "{}", rule.id());
        assert!(rule.source().is_known(), "{}: {}", rule.id(), rule.source());
    }
    for code in ReasonCode::ALL {
        assert_eq!(ReasonCode::from_id(code.id()), Some(code));
    }
    assert_eq!(DoseSlot::from_number(0), None);
    assert_eq!(DoseSlot::from_number(1), Some(slot(1, 1)));
    assert_eq!(DoseSlot::from_number(15), Some(slot(1, 15)));
    assert_eq!(DoseSlot::from_number(16), Some(slot(2, 1)));
    assert_eq!(DoseSlot::from_number(30), Some(slot(2, 15)));
    assert_eq!(DoseSlot::from_number(31), None);
    assert_eq!(slot(2, 1).number(), 16);
}

#[test]
fn shot_counts_take_standing_entries_up_to_the_time() {
    let at = |h: i64, mut entry: LoggedShot| {
        entry.at = hours(h);
        entry
    };
    let log = vec![
        at(0, shot(1, 1, true, None)),
        at(24, shot(2, 2, true, None)),
        // Shot 2 corrected: it was skipped after all.
        at(25, shot(3, 2, false, Some(2))),
        at(48, shot(4, 3, true, None)),
    ];
    let counts = |h: i64| shot_counts(&log, hours(h));
    assert_eq!(counts(-1), ShotCounts { given: 0, skipped: 0, last_given_at: None });
    assert_eq!(counts(0), ShotCounts { given: 1, skipped: 0, last_given_at: Some(hours(0)) });
    assert_eq!(counts(24), ShotCounts { given: 2, skipped: 0, last_given_at: Some(hours(24)) });
    assert_eq!(counts(25), ShotCounts { given: 1, skipped: 1, last_given_at: Some(hours(0)) });
    assert_eq!(counts(48), ShotCounts { given: 2, skipped: 1, last_given_at: Some(hours(48)) });
}

/// The saadoun-2011-sc schedule from START (20 daily slots: 1.5 MIU on days 1-5, 3 MIU from slot 6).
fn low_dose_plan() -> Vec<crate::schedule::Slot> {
    let regimen = crate::regimens::regimen("saadoun-2011-sc").unwrap();
    let start = t(START).to_zoned(jiff::tz::TimeZone::UTC);
    let request = crate::schedule::ScheduleRequest { regimen, start, level: None, days: None, cycles: None };
    crate::schedule::schedule(&request).unwrap().slots
}

/// The planned slots of a course, or why it has none.
type Plan<'a> = Result<&'a [crate::schedule::Slot], &'a str>;
/// What a shot is logged against (slot, level, first given), or the rule and field that refuse it.
type ShotOutcome = Result<(Option<u32>, Option<&'static str>, bool), (RecordRule, &'static str)>;

/// Checks one shot against a course of `regimen` (its plan, or `why` it has none) and the log `entries`:
/// `Ok((slot, level, first_given))` or `Err((rule, field))`.
fn check_shot(regimen: &str, plan: Plan<'_>, entry: ShotEntry<'_>, entries: &[LoggedShot]) -> ShotOutcome {
    let course = ShotCourse { regimen: crate::regimens::regimen(regimen).unwrap(), started_at: t(START), plan };
    may_log_shot_in_course(&entry, &course, entries, &[])
        .map(|permit| (permit.slot, permit.dose_level, permit.first_given))
        .map_err(|refusal| (refusal.rule, refusal.field))
}

#[test]
fn what_may_be_logged_against_a_low_dose_course() {
    use RecordRule::{OneShotPerSlot, ShotMatchesSchedule, ShotOnlyForLowDoseCourse};
    let plan = low_dose_plan();
    let plan: Plan<'_> = Ok(&plan);
    let shot = |slot, level| ShotEntry { slot, dose_level: level, given: true, at: hours(50), corrects_id: None };
    let skip = |slot| ShotEntry { given: false, ..shot(slot, None) };
    let s = "PRODUCT; EDU (the log answers the course's schedule)";
    let sc = "saadoun-2011-sc";
    let rows: [(&str, Plan<'_>, ShotEntry<'_>, &[LoggedShot], ShotOutcome); 16] = [
        // LABEL-2024 §2.2: high-dose IV doses are recorded by the care team, not logged.
        ("hd-iv", plan, shot(Some(1), None), &[], Err((ShotOnlyForLowDoseCourse, "course_id"))),
        (sc, plan, shot(Some(3), None), &[], Ok((Some(3), Some("1.5-miu"), true))),
        (sc, plan, shot(Some(5), None), &[], Ok((Some(5), Some("1.5-miu"), true))),
        (sc, plan, shot(Some(6), None), &[], Ok((Some(6), Some("3-miu"), true))),
        (sc, plan, shot(Some(20), None), &[], Ok((Some(20), Some("3-miu"), true))),
        (sc, plan, shot(Some(21), None), &[], Err((ShotMatchesSchedule, "slot"))),
        (sc, plan, shot(Some(6), Some("1.5-miu")), &[], Err((ShotMatchesSchedule, "dose_level"))),
        (sc, plan, shot(Some(6), Some("3-miu")), &[], Ok((Some(6), Some("3-miu"), true))),
        (sc, plan, shot(Some(1), Some("9-miu")), &[], Err((ShotMatchesSchedule, "dose_level"))),
        (sc, plan, skip(Some(4)), &[], Ok((Some(4), Some("1.5-miu"), false))),
        // A second given shot is not the course's first (the screening gate is for the first only).
        (sc, plan, shot(Some(4), None), &[shot_at(9, 3, true)], Ok((Some(4), Some("1.5-miu"), false))),
        (sc, plan, shot(Some(4), None), &[shot_at(9, 3, false)], Ok((Some(4), Some("1.5-miu"), true))),
        // EDU home.missed-dose: never two shots to catch up.
        (sc, plan, shot(Some(3), None), &[shot_at(9, 3, true)], Err((OneShotPerSlot, "slot"))),
        // An open-ended regimen has no laid-out slots: its shots are logged by dose level.
        (
            "whangbo-2019-sc",
            Err("days: no duration"),
            shot(None, Some("adult-start")),
            &[],
            Ok((None, Some("adult-start"), true)),
        ),
        ("whangbo-2019-sc", Err("days: no duration"), shot(Some(1), None), &[], Err((ShotMatchesSchedule, "slot"))),
        (sc, plan, ShotEntry { at: hours(-24), ..shot(Some(1), None) }, &[], Ok((Some(1), Some("1.5-miu"), true))),
    ];
    for (regimen, plan, entry, entries, expected) in rows {
        assert_eq!(check_shot(regimen, plan, entry, entries), expected, "{s}: {regimen} {entry:?} after {entries:?}");
    }
    let too_early = ShotEntry { at: hours(-24) - SignedDuration::from_millis(1), ..shot(Some(1), None) };
    assert_eq!(check_shot(sc, plan, too_early, &[]), Err((ShotMatchesSchedule, "at")), "{s}: 24 h before the start");
}

fn shot_at(id: i64, slot_: u32, given: bool) -> LoggedShot {
    LoggedShot { at: hours(26), ..shot(id, slot_, given, None) }
}
