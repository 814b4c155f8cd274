//! `il2care triage` and `il2care education`: the check-in case files of `tests/cases/triage/` walked by one
//! test, refused check-ins, the readable summary, and the education sheet's text and HTML forms.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{Run, cases_dir, il2care};

/// The fields a case file may have; anything else is a typo and fails the walk.
const CASE_FIELDS: [&str; 3] = ["description", "checkin", "expect"];
const EXPECT_FIELDS: [&str; 4] = ["level", "fired", "unanswered", "advice"];

fn triage_json(checkin: &Value) -> Run {
    il2care(&["triage", "-", "--json"], Some(&checkin.to_string()))
}

fn ids(value: &Value) -> BTreeSet<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn every_triage_case_file_gives_its_expected_level_rules_and_lists() {
    let mut paths: Vec<_> =
        std::fs::read_dir(cases_dir("triage")).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let mut levels = BTreeSet::new();
    let mut fired_anywhere = BTreeSet::new();
    let mut fahrenheit = 0;
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let case = case.as_object().unwrap_or_else(|| panic!("{name}: not an object"));
        assert!(case.keys().all(|key| CASE_FIELDS.contains(&key.as_str())), "{name}: unknown field");
        let expect = case["expect"].as_object().unwrap();
        assert!(expect.keys().all(|key| EXPECT_FIELDS.contains(&key.as_str())), "{name}: unknown expect field");
        assert!(case["description"].as_str().is_some_and(|text| !text.is_empty()), "{name}: description");

        let run = triage_json(&case["checkin"]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let result = run.json();
        assert_eq!(result["level"], expect["level"], "{name}: level");
        if let Some(fired) = expect.get("fired") {
            let got: BTreeSet<String> =
                result["fired"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
            assert_eq!(got, ids(fired), "{name}: fired rules");
        }
        if let Some(unanswered) = expect.get("unanswered") {
            assert_eq!(&result["unanswered"], unanswered, "{name}: unanswered");
        }
        if let Some(advice) = expect.get("advice") {
            assert_eq!(&result["advice"], advice, "{name}: advice");
        }
        for fired in result["fired"].as_array().unwrap() {
            assert!(fired["source"].as_str().is_some_and(|source| !source.is_empty()), "{name}: {fired}");
            fired_anywhere.insert(fired["id"].as_str().unwrap().to_string());
        }
        levels.insert(result["level"].as_str().unwrap().to_string());
        fahrenheit += usize::from(case["checkin"].to_string().contains("[degF]"));
    }
    assert!(paths.len() >= 40, "at least 40 case files, found {}", paths.len());
    assert_eq!(levels.len(), 4, "every level is covered: {levels:?}");
    assert!(
        fired_anywhere.contains("triage.escalation.two-amber")
            && fired_anywhere.contains("triage.escalation.sepsis-pattern")
    );
    assert!(fahrenheit >= 3, "degF input is covered");
}

#[test]
fn refused_check_ins_exit_2_and_name_the_item() {
    let refused = |answers: Value, field: &str| {
        let document = json!({"at": "2026-11-27T08:30:00-05:00", "answers": answers});
        let run = il2care(&["triage", "-"], Some(&document.to_string()));
        assert_eq!(run.code, 2, "{answers}: {}", run.stdout);
        assert!(run.stderr.starts_with("refused: "), "{}", run.stderr);
        assert!(run.stderr.contains(field), "{answers}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing is triaged from a refused check-in");
    };
    refused(json!({"headache": true}), "answers.headache");
    refused(json!({"vomiting_episodes_24h": -1}), "answers.vomiting_episodes_24h");
    refused(json!({"temperature": {"value": 60, "unit": "Cel"}}), "answers.temperature");
    refused(json!({"chills": "terrible"}), "answers.chills");
    refused(json!({"temperature": 38.5}), "answers.temperature");
    refused(json!({"temperature": {"value": 38.5, "unit": "F"}}), "answers.temperature.unit");
}

#[test]
fn a_bad_document_or_a_missing_file_is_refused_or_fails() {
    let run = il2care(&["triage", "-"], Some(r#"{"at": "yesterday", "answers": {}}"#));
    assert_eq!((run.code, run.stderr.contains("at:")), (2, true), "{}", run.stderr);
    let run = il2care(&["triage", "-"], Some(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "name": "x"}"#));
    assert_eq!((run.code, run.stderr.contains("name")), (2, true), "{}", run.stderr);
    let run = il2care(&["triage", "/nonexistent/checkin.json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn the_summary_puts_the_action_first_then_why_then_advice_and_the_disclaimer() {
    let document = json!({"at": "2026-11-27T08:30:00-05:00",
        "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate"}});
    let run = il2care(&["triage", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("CALL YOUR CARE TEAM NOW"), "{}", run.stdout);
    let why = run.stdout.find("triage.fever").unwrap();
    let advice = run.stdout.find("\nFever\n").unwrap();
    let disclaimer = run.stdout.find("not medical advice").unwrap();
    assert!(why < advice && advice < disclaimer, "{}", run.stdout);
    assert!(run.stdout.contains("Not answered:"), "{}", run.stdout);

    let emergency = json!({"at": "2026-11-27T08:30:00Z", "answers": {"chest_pain": true}});
    let run = il2care(&["triage", "-"], Some(&emergency.to_string()));
    assert!(run.stdout.starts_with("CALL EMERGENCY SERVICES NOW"), "{}", run.stdout);
}

#[test]
fn the_json_result_carries_a_message_and_the_disclaimer() {
    let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"rash": true}});
    let result = triage_json(&document).json();
    assert_eq!(result["level"], "call_today");
    assert!(result["message"].as_str().unwrap().starts_with("Call your care team today"));
    assert!(result["disclaimer"].as_str().unwrap().contains("not medical advice"));
    assert_eq!(
        result["fired"][0],
        json!({"id": "triage.rash", "item": "rash", "answer": "true", "level": "call_today", "source": "EDU", "row": "T22"})
    );
}

#[test]
fn the_education_sheet_prints_as_text_and_as_printable_html() {
    let text = il2care(&["education"], None);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("IN-ter-LOO-kin"));
    assert!(text.stdout.trim_end().ends_with("call emergency services."));
    let html = il2care(&["education", "--html"], None);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.starts_with("<!DOCTYPE html>") && html.stdout.contains("@page"));
    let grades = il2care(&["education", "--readability"], None);
    assert!(grades.stdout.lines().any(|line| line.starts_with("advice   fever")), "{}", grades.stdout);
}

#[test]
fn the_education_sheet_can_be_written_to_a_file() {
    let path = std::env::temp_dir().join(format!("il2care-education-{}.html", std::process::id()));
    let run = il2care(&["education", "--html", "--output", path.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(written.contains("</html>"));
}
