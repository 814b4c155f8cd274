//! The dosing use cases (courses, per-dose decisions, dose records, settings) against a real record, on SQLite
//! and PostgreSQL: every role the policy refuses leaves a `denied` entry and stores nothing; allowed writes are
//! audited with the write; the clock is the caller's.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_app::access::{Actor, Role};
use il2care_app::{Error, assessments, courses, doses};
use il2care_store::record;
use il2care_store::testing::TestDb;
use jiff::{SignedDuration, Timestamp};

mod common;
use common::{actor, entries, now, patient};

fn course_document(started: Timestamp) -> String {
    format!(r#"{{"regimen": "hd-iv", "started_at": "{started}", "baseline_weight": {{"value": 80, "unit": "kg"}}}}"#)
}

async fn every_refused_dosing_write_is_audited_and_stores_nothing(db: &TestDb) {
    let id = patient(db, "MRN-1").await;
    let other = patient(db, "MRN-2").await;
    let physician = actor(Role::Physician, None);
    let (course_id, _) =
        courses::create(&db.store, &physician, id, &course_document(now() - SignedDuration::from_hours(1)), now())
            .await
            .unwrap();
    let decision = format!(r#"{{"course_id": {course_id}, "at": "{}", "findings_reviewed": true}}"#, now());
    let dose = format!(r#"{{"course_id": {course_id}, "status": "held", "at": "{}", "slot": 1}}"#, now());
    let delay = format!(r#"{{"course_id": {course_id}, "start_day": 17, "reason": "r"}}"#);
    let setting = r#"{"target_systolic_bp": null}"#;
    let site = r#"{"default_rule_set": "label"}"#;
    let before = entries(db).await.len();
    let bedside_refused = [actor(Role::Patient, Some(id)), actor(Role::Pharmacist, None), actor(Role::Admin, None)];
    let mut expected = Vec::new();
    for who in bedside_refused.iter().chain([&actor(Role::Patient, Some(other)), &Actor::operator()]) {
        let refused = assessments::decide(&db.store, who, id, &decision, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), format!("patient/{id}/assessments")));
        let refused = doses::record(&db.store, who, id, &dose, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), format!("patient/{id}/doses")));
    }
    let physician_only = [
        actor(Role::Patient, Some(id)),
        actor(Role::Nurse, None),
        actor(Role::Pharmacist, None),
        actor(Role::Admin, None),
        Actor::operator(),
    ];
    for who in &physician_only {
        let refused = courses::create(&db.store, who, id, &course_document(now()), now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), format!("patient/{id}/courses")));
        let refused = courses::delay_cycle_two(&db.store, who, id, &delay, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), format!("patient/{id}/cycle-2-delays")));
        let refused = courses::patient_settings(&db.store, who, id, setting, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), format!("patient/{id}/settings")));
        let refused = courses::site_settings(&db.store, who, site, now()).await;
        assert!(matches!(refused, Err(Error::Forbidden(_))), "{who:?}: {refused:?}");
        expected.push((who.username.clone(), "settings".to_string()));
    }
    let denied: Vec<(String, String)> = entries(db).await[before..]
        .iter()
        .map(|(who, action, resource, outcome)| {
            assert_eq!((action.as_str(), outcome.as_str()), ("denied", "denied"), "{who} {resource}");
            (who.clone(), resource.clone())
        })
        .collect();
    assert_eq!(denied, expected, "one denied entry per refusal, nothing else");
    let mut conn = db.store.connection().await.unwrap();
    assert_eq!(record::courses(&mut conn, id).await.unwrap().len(), 1, "no refused course stored");
    assert!(record::decisions(&mut conn, id).await.unwrap().is_empty());
    assert!(record::dose_records(&mut conn, course_id).await.unwrap().is_empty());
    assert_eq!(record::cycle_two_start_day(&mut conn, course_id).await.unwrap(), None);
}

async fn a_decision_is_made_against_the_injected_clock_and_audited_with_its_write(db: &TestDb) {
    let id = patient(db, "MRN-3").await;
    let physician = actor(Role::Physician, None);
    let nurse = actor(Role::Nurse, None);
    let started = now() - SignedDuration::from_hours(1);
    let (course_id, course) =
        courses::create(&db.store, &physician, id, &course_document(started), now()).await.unwrap();
    assert_eq!((course.id, course.regimen.as_str()), (course_id, "hd-iv"));
    let at = |offset: SignedDuration| {
        format!(
            r#"{{"course_id": {course_id}, "at": "{}", "findings_reviewed": true, "findings": []}}"#,
            now() + offset
        )
    };
    match assessments::decide(&db.store, &nurse, id, &at(SignedDuration::from_secs(301)), now()).await {
        Err(Error::Refused(refusal)) => assert_eq!(refusal.field, "at"),
        other => panic!("a decision timed past the clock slack is refused: {other:?}"),
    }
    let decided = assessments::decide(&db.store, &nurse, id, &at(SignedDuration::ZERO), now()).await.unwrap();
    let listed = assessments::list(&db.store, &nurse, id, now()).await.unwrap();
    assert_eq!(listed.len(), 1, "the refused one stored nothing");
    assert_eq!((listed[0].id, listed[0].course_id, &listed[0].result), (decided.id, Some(course_id), &decided.result));
    // Without observations the decision is insufficient_data: a nurse may not give against it (the core's
    // rule, ASSESSMENT §10.6); the refusal is audited as denied and nothing is stored.
    let slot = decided.result["slot"].as_u64().unwrap();
    let given = format!(
        r#"{{"course_id": {course_id}, "status": "given", "at": "{}", "slot": {slot}, "assessment_id": {}}}"#,
        now(),
        decided.id
    );
    match doses::record(&db.store, &nurse, id, &given, now()).await {
        Err(Error::Forbidden(message)) => assert!(message.contains("record.dose."), "{message}"),
        other => panic!("a nurse may not give against insufficient_data: {other:?}"),
    }
    let denied = ("nurse.a".to_string(), "denied".to_string(), format!("patient/{id}/doses"), "denied".to_string());
    assert!(entries(db).await.contains(&denied));
    let list = courses::list(&db.store, &nurse, id, now()).await.unwrap();
    assert_eq!(list.time_zone, "America/New_York");
    assert!(list.courses[0].doses.is_empty());
    let writes: Vec<String> = entries(db)
        .await
        .into_iter()
        .filter(|(_, action, ..)| action == "write")
        .map(|(who, _, resource, _)| format!("{who} {resource}"))
        .collect();
    assert_eq!(
        writes,
        [
            format!("physician.a patient/{id}/course/{course_id}"),
            format!("nurse.a course/{course_id}/assessment/{}", decided.id)
        ]
    );
}

il2care_store::on_both_backends!(
    every_refused_dosing_write_is_audited_and_stores_nothing,
    a_decision_is_made_against_the_injected_clock_and_audited_with_its_write,
);
