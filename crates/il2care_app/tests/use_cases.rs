//! The application layer's use cases against a real record, on SQLite and PostgreSQL: the clock is the
//! caller's (`now`), access is decided by the policy and every refusal and write leaves its audit entry.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_app::access::{Actor, Role};
use il2care_app::{Error, checkins, fhir, injections, observations};
use il2care_store::record::{self, Course};
use il2care_store::testing::TestDb;
use jiff::{SignedDuration, Timestamp};

mod common;
use common::{actor, entries, now, patient};

fn checkin_at(at: Timestamp, client_id: &str) -> String {
    format!(
        r#"{{"client_id": "{client_id}", "at": "{at}", "answers": {{"temperature": {{"value": 38.6, "unit": "Cel"}}}}}}"#
    )
}

async fn a_check_in_is_judged_against_the_injected_clock_and_stored_once(db: &TestDb) {
    let id = patient(db, "MRN-1").await;
    let own = actor(Role::Patient, Some(id));
    // Five minutes of clock slack: at the bound accepted, one second past it refused (naming `at`).
    let late =
        checkins::submit(&db.store, &own, id, &checkin_at(now() + SignedDuration::from_mins(5), "a"), now()).await;
    assert!(late.is_ok(), "{late:?}");
    let ahead = now() + SignedDuration::from_secs(301);
    match checkins::submit(&db.store, &own, id, &checkin_at(ahead, "b"), now()).await {
        Err(Error::Refused(refusal)) => assert_eq!(refusal.field, "at"),
        other => panic!("a check-in from the future is refused: {other:?}"),
    }
    let first = checkins::submit(&db.store, &own, id, &checkin_at(now(), "c"), now()).await.unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.result["level"], "call_now", "{}", first.result);
    let again = checkins::submit(&db.store, &own, id, &checkin_at(now(), "c"), now()).await.unwrap();
    assert_eq!((again.id, again.duplicate, &again.result), (first.id, true, &first.result));
    let listed = checkins::list(&db.store, &actor(Role::Nurse, None), id, now()).await.unwrap();
    assert_eq!(listed.len(), 2, "the refused one left nothing");
    let audit = entries(db).await;
    let writes: Vec<&str> = audit
        .iter()
        .filter(|(who, action, ..)| who == "patient.a" && action == "write")
        .map(|(_, _, resource, _)| resource.as_str())
        .collect();
    let (a, c) = (format!("checkin/{}", first.id - 1), format!("checkin/{}", first.id));
    assert_eq!(writes, [a.as_str(), c.as_str(), c.as_str()], "one entry per accepted submission, a repeat too");
    assert!(audit.contains(&("nurse.a".into(), "read".into(), format!("patient/{id}/checkins"), "ok".into())));
}

async fn every_refusal_of_the_policy_is_audited_and_stores_nothing(db: &TestDb) {
    let id = patient(db, "MRN-2").await;
    let other = patient(db, "MRN-3").await;
    let stranger = actor(Role::Patient, Some(other));
    let refused = checkins::submit(&db.store, &stranger, id, &checkin_at(now(), "x"), now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    // Refused before the document is read: a broken document gets the same answer.
    let refused = checkins::submit(&db.store, &stranger, id, "not json", now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let refused = checkins::list(&db.store, &actor(Role::Admin, None), id, now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))));
    for role in [Role::Patient, Role::Pharmacist, Role::Admin] {
        let who = actor(role, Some(id));
        assert!(matches!(checkins::call_back(&db.store, &who, 1, "{}", now()).await, Err(Error::Forbidden(_))));
        assert!(matches!(checkins::clear(&db.store, &who, 1, "{}", now()).await, Err(Error::Forbidden(_))));
    }
    let denied = entries(db).await.into_iter().filter(|(.., outcome)| outcome == "denied").count();
    assert_eq!(denied, 3 + 2 * 3, "every refusal leaves one entry");
    let mut conn = db.store.connection().await.unwrap();
    assert!(record::checkins(&mut conn, id).await.unwrap().is_empty());
}

async fn a_call_back_and_its_clearance_are_written_with_their_entries(db: &TestDb) {
    let id = patient(db, "MRN-4").await;
    let submitted =
        checkins::submit(&db.store, &actor(Role::Patient, Some(id)), id, &checkin_at(now(), "d"), now()).await.unwrap();
    let nurse = actor(Role::Nurse, None);
    let done = checkins::call_back(
        &db.store,
        &nurse,
        submitted.id,
        r#"{"note": "called, fever settling", "clears_next_shot": true}"#,
        now(),
    )
    .await
    .unwrap();
    assert!(done.clears_next_shot);
    match checkins::clear(&db.store, &nurse, submitted.id, r#"{"note": "  "}"#, now()).await {
        Err(Error::Refused(refusal)) => assert_eq!(refusal.field, "note"),
        other => panic!("an empty note is refused: {other:?}"),
    }
    let mut conn = db.store.connection().await.unwrap();
    assert_eq!(record::cleared_checkins(&mut conn, id).await.unwrap(), vec![submitted.id]);
    drop(conn);
    let writes: Vec<String> = entries(db)
        .await
        .into_iter()
        .filter(|(who, action, ..)| who == "nurse.a" && action == "write")
        .map(|(_, _, resource, _)| resource)
        .collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(writes[0], format!("checkin/{}/acknowledgement", submitted.id));
    assert!(writes[1].starts_with(&format!("checkin/{}/clearance/", submitted.id)));
}

async fn the_operator_exports_a_record_and_the_read_is_audited(db: &TestDb) {
    let id = patient(db, "MRN-5").await;
    let record = fhir::export_patient(&db.store, &Actor::operator(), id, true, now()).await.unwrap();
    assert_eq!(record.patient.unwrap().mrn, "MRN-5");
    let missing = fhir::export_patient(&db.store, &Actor::operator(), id + 100, true, now()).await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    let audit = entries(db).await;
    assert_eq!(audit, vec![("il2care-cli".into(), "read".into(), format!("patient/{id}/fhir/export"), "ok".into())]);
    let refused = fhir::export_patient(&db.store, &actor(Role::Patient, Some(id + 1)), id, false, now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))));
}

fn heart_rate(at: Timestamp, client_id: &str) -> String {
    format!(
        r#"{{"client_id": "{client_id}", "code": "heart_rate", "value": {{"value": 96.5, "unit": "/min"}}, "at": "{at}"}}"#
    )
}

async fn observations_are_judged_against_the_injected_clock_and_a_batch_is_all_or_nothing(db: &TestDb) {
    let id = patient(db, "MRN-6").await;
    let nurse = actor(Role::Nurse, None);
    let at_bound = heart_rate(now() + SignedDuration::from_mins(5), "hr-1");
    let recorded = observations::record(&db.store, &nurse, id, &at_bound, now()).await.unwrap();
    assert_eq!(recorded.created, 1);
    let past_bound = heart_rate(now() + SignedDuration::from_secs(301), "hr-2");
    let batch = format!(r#"{{"observations": [{}, {past_bound}]}}"#, heart_rate(now(), "hr-3"));
    match observations::record(&db.store, &nurse, id, &batch, now()).await {
        Err(Error::Refused(refusal)) => assert!(refusal.field.starts_with("observations[1]"), "{refusal:?}"),
        other => panic!("an observation from the future refuses its batch: {other:?}"),
    }
    let again = observations::record(&db.store, &nurse, id, &at_bound, now()).await.unwrap();
    assert_eq!((again.ids, again.created), (recorded.ids, 0), "a retry stores nothing");
    let refused = observations::record(&db.store, &actor(Role::Patient, Some(id)), id, &at_bound, now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let listed = observations::list(&db.store, &nurse, id, now()).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["value"]["value"].to_string(), "96.5");
    let audit = entries(db).await;
    let outcomes: Vec<(&str, &str)> =
        audit.iter().map(|(_, action, _, outcome)| (action.as_str(), outcome.as_str())).collect();
    assert_eq!(outcomes, [("write", "ok"), ("write", "ok"), ("denied", "denied"), ("read", "ok")]);
}

/// A Saadoun low-dose course for patient `id`, started 50 hours before `now`: slots 1 to 3 are 50, 26 and 2
/// hours before it.
async fn low_dose_course(db: &TestDb, id: i64) -> i64 {
    let mut conn = db.store.connection().await.unwrap();
    let course = Course {
        id: 0,
        patient_id: id,
        regimen: "saadoun-2011-sc".into(),
        rule_set: "label".into(),
        started_at_ms: (now() - SignedDuration::from_hours(50)).as_millisecond(),
        baseline_weight_kg: None,
        baseline_creatinine_mg_dl: None,
    };
    record::create_course(&mut conn, &course, 1_000, "setup").await.unwrap()
}

fn shot(course_id: i64, slot: u32, at: Timestamp, client_id: &str) -> String {
    format!(
        r#"{{"client_id": "{client_id}", "course_id": {course_id}, "status": "given", "slot": {slot}, "at": "{at}", "site": "arm_left"}}"#
    )
}

async fn the_injection_log_is_judged_against_the_injected_clock_and_the_first_shot_waits_for_screening(db: &TestDb) {
    let id = patient(db, "MRN-7").await;
    let course_id = low_dose_course(db, id).await;
    let own = actor(Role::Patient, Some(id));
    let nurse = actor(Role::Nurse, None);
    let numbers = il2care_content::SiteNumbers::default();
    let log = |who: &Actor, text: String| {
        let who = who.clone();
        let numbers = numbers.clone();
        async move { injections::log(&db.store, &who, id, &text, &numbers, now()).await }
    };
    let ahead = now() + SignedDuration::from_secs(301);
    match log(&own, shot(course_id, 3, ahead, "a")).await {
        Err(Error::Refused(refusal)) => assert_eq!(refusal.field, "at"),
        other => panic!("a shot from the future is refused: {other:?}"),
    }
    // No screening on record: the course's first shot given is refused naming `course_id`, in words for the
    // patient and with the checklist's blockers for the care team.
    let words = |answer: Result<injections::Logged, Error>| match answer {
        Err(Error::Refused(refusal)) if refusal.field == "course_id" => refusal.reason,
        other => panic!("the first shot waits for the screening: {other:?}"),
    };
    let for_patient = words(log(&own, shot(course_id, 3, now(), "b")).await);
    let for_nurse = words(log(&nurse, shot(course_id, 3, now(), "c")).await);
    assert!(for_nurse.starts_with("a screening review is needed"), "{for_nurse}");
    assert_ne!(for_patient, for_nurse, "the patient is told to call, not given the checklist");
    // A skip is never gated, and a retry is stored once.
    let skip = format!(
        r#"{{"client_id": "d", "course_id": {course_id}, "status": "skipped", "slot": 2, "at": "{}", "skip_reason": "fever"}}"#,
        now() - SignedDuration::from_hours(20)
    );
    let first = log(&own, skip.clone()).await.unwrap();
    let again = log(&own, skip).await.unwrap();
    assert_eq!((first.duplicate, again.duplicate, again.entry.id), (false, true, first.entry.id));
    assert_eq!(first.entry.status, injections::ShotStatus::Skipped);
    // Who may not write is refused before the document is read, and every refusal is audited.
    let stranger = actor(Role::Patient, Some(id + 1));
    for who in [&stranger, &actor(Role::Pharmacist, None), &actor(Role::Admin, None)] {
        let refused = injections::log(&db.store, who, id, "not json", &numbers, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
    }
    let refused = injections::list(&db.store, &actor(Role::Admin, None), id, now()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let listed = injections::list(&db.store, &nurse, id, now()).await.unwrap();
    assert_eq!(listed.iter().map(|entry| (entry.id, entry.stands)).collect::<Vec<_>>(), [(first.entry.id, true)]);
    let page = injections::latest_course_log(&db.store, &own, id, now()).await.unwrap();
    let course = page.course.expect("the low-dose course");
    assert_eq!((page.time_zone.as_str(), course.course_id, course.entries.len()), ("America/New_York", course_id, 1));
    let audit = entries(db).await;
    let resource = format!("patient/{id}/injections");
    let denied =
        audit.iter().filter(|(_, action, r, outcome)| action == "denied" && *r == resource && outcome == "denied");
    assert_eq!(denied.count(), 4, "every refusal leaves one entry: {audit:?}");
    let writes = audit
        .iter()
        .filter(|(who, action, r, _)| who == "patient.a" && action == "write" && r.starts_with("injection/"));
    assert_eq!(writes.count(), 2, "one entry per accepted submission, a repeat too");
    assert!(audit.contains(&("nurse.a".into(), "read".into(), resource.clone(), "ok".into())));
    assert!(audit.contains(&("patient.a".into(), "read".into(), resource, "ok".into())));
}

/// A collection of one Patient and `beats` heart rates a minute apart (a bulk export's shape, small).
fn bulk_bundle(beats: usize) -> String {
    let mut entries = vec![serde_json::json!({"fullUrl": "urn:uuid:00000001-0000-4000-8000-000000000001",
        "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:il2care:mrn", "value": "BULK-1"}],
                     "name": [{"family": "Okafor", "given": ["Daniel"]}], "birthDate": "1958-03-14", "gender": "male"}})];
    for beat in 0..beats {
        entries.push(serde_json::json!({"fullUrl": format!("urn:uuid:00000002-0000-4000-8000-{beat:012}"),
            "resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                         "subject": {"reference": "urn:uuid:00000001-0000-4000-8000-000000000001"},
                         "effectiveDateTime": format!("2026-11-{}T{:02}:{:02}:00Z", 20 + beat / 1440, beat / 60 % 24, beat % 60),
                         "valueQuantity": {"value": 70 + beat % 20, "unit": "/min",
                                           "system": "http://unitsofmeasure.org", "code": "/min"}}}));
    }
    serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries}).to_string()
}

/// The Bundle's text in a file of its own, opened for reading.
fn bundle_file(text: &str) -> std::fs::File {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("il2care-bundle-{}-{n}.json", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

/// What an import answered, as the text `il2care import` prints.
fn answer_text(answer: fhir::ImportAnswer) -> String {
    match answer {
        fhir::ImportAnswer::Outcome(outcome) => format!("{:?} {}", outcome.status, outcome.body),
        fhir::ImportAnswer::Collection { issues, refused } => {
            let mut text = Vec::new();
            fhir::write_operation_outcome(issues, &mut text).unwrap();
            format!("stored, refused {refused}: {}", String::from_utf8(text).unwrap())
        }
    }
}

async fn a_bundle_read_again_from_its_file_is_stored_as_the_text_held_is(db: &TestDb) {
    // More entries than one chunk, so that chunks are read while others are stored.
    let text = bulk_bundle(4_500);
    let operator = Actor::operator();
    let import = |text: fhir::BundleText<'static>| {
        fhir::import_bundle(&db.store, il2care_wire::fhir::import::DEFAULT_MRN_SYSTEM, &operator, text, now(), &|_| {})
    };
    let file = bundle_file(&text);
    let from_file = answer_text(import(fhir::BundleText::of_file(text.clone(), file)).await.unwrap());
    assert!(from_file.starts_with("stored, refused false"), "{}", &from_file[..200]);
    assert_eq!(from_file.matches("stored as Observation/").count(), 4_500);
    // The same text held: everything matches what the file stored.
    let held = answer_text(import(fhir::BundleText::from(text)).await.unwrap());
    assert_eq!(held.matches("already in the record as").count(), 4_501, "{}", &held[..200]);
    let mut conn = db.store.connection().await.unwrap();
    let patients = record::patients(&mut conn).await.unwrap();
    assert_eq!(patients.len(), 1);
    assert_eq!(record::observations(&mut conn, patients[0].id, i64::MIN).await.unwrap().len(), 4_500);
}

async fn a_file_that_changed_after_it_was_first_read_refuses_the_import_and_stores_nothing(db: &TestDb) {
    let text = bulk_bundle(4_500);
    // The last heart rate, 89 beats a minute, is 99 in the file by the time its chunk is read again (two
    // chunks are stored by then).
    let at = text.rfind(r#""value":89"#).unwrap();
    let changed = format!("{}{}{}", &text[..at], r#""value":99"#, &text[at + r#""value":89"#.len()..]);
    assert_ne!(changed, text);
    let file = bundle_file(&changed);
    let answer = fhir::import_bundle(
        &db.store,
        il2care_wire::fhir::import::DEFAULT_MRN_SYSTEM,
        &Actor::operator(),
        fhir::BundleText::File { text, file },
        now(),
        &|_| {},
    )
    .await
    .unwrap();
    let answer = answer_text(answer);
    assert!(answer.starts_with("Unreadable"), "{answer}");
    assert!(answer.contains("changed while the Bundle was being imported; nothing was stored"), "{answer}");
    let mut conn = db.store.connection().await.unwrap();
    assert!(record::patients(&mut conn).await.unwrap().is_empty(), "the chunks stored before were rolled back");
    drop(conn);
    let writes = entries(db).await.into_iter().filter(|(_, action, ..)| action == "write").count();
    assert_eq!(writes, 0);
}

il2care_store::on_both_backends!(
    a_bundle_read_again_from_its_file_is_stored_as_the_text_held_is,
    a_file_that_changed_after_it_was_first_read_refuses_the_import_and_stores_nothing,
    a_check_in_is_judged_against_the_injected_clock_and_stored_once,
    every_refusal_of_the_policy_is_audited_and_stores_nothing,
    a_call_back_and_its_clearance_are_written_with_their_entries,
    the_operator_exports_a_record_and_the_read_is_audited,
    observations_are_judged_against_the_injected_clock_and_a_batch_is_all_or_nothing,
    the_injection_log_is_judged_against_the_injected_clock_and_the_first_shot_waits_for_screening,
);

#[test]
fn an_account_role_parses_from_its_stored_name_and_cli_or_ehr_never_does() {
    for role in [Role::Patient, Role::Nurse, Role::Physician, Role::Pharmacist, Role::Admin] {
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    assert_eq!(Role::parse("cli"), None);
    assert_eq!(Role::parse("ehr"), None);
    assert_eq!(Role::parse("Nurse"), None);
}
