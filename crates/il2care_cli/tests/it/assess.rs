//! `il2care assess`: the clinical case files of `tests/cases/assess` walked by one test, refusals with exit
//! code 2 and the field named, and the readable summary.

use serde_json::{Value, json};

use crate::support::{cases_dir, il2care};

fn ids(value: &Value) -> Vec<String> {
    let mut ids: Vec<String> = value
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|entry| entry.get("id").unwrap_or(entry).as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn every_assessment_case_file_gets_its_expected_decision_and_reasons() {
    let mut files: Vec<_> =
        std::fs::read_dir(cases_dir("assess")).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 30, "at least 30 case files ({})", files.len());
    let mut rule_sets = std::collections::HashSet::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(case["description"].as_str().is_some_and(|text| !text.is_empty()), "{name}: description");
        rule_sets.insert(case["document"]["rule_set"].as_str().unwrap_or("label").to_string());
        let run = il2care(&["assess", "-", "--json"], Some(&case["document"].to_string()));
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let result = run.json();
        let expect = &case["expect"];
        assert_eq!(result["decision"], expect["decision"], "{name}: {result:#}");
        assert_eq!(ids(&result["fired"]), ids(&expect["fired"]), "{name}: fired");
        for list in ["not_evaluated", "resume_pending", "pending_ignored"] {
            if let Some(expected) = expect.get(list) {
                assert_eq!(ids(&result[list]), ids(expected), "{name}: {list}");
            }
        }
        assert_eq!(result["disclaimer"], "Decision support: the treating clinician decides.");
    }
    assert_eq!(rule_sets.len(), 2, "both rule sets are covered");
}

fn document() -> Value {
    let path = cases_dir("assess").join("label-all-clear-give.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    case["document"].clone()
}

fn refused(change: impl Fn(&mut Value), field: &str) {
    let mut document = document();
    change(&mut document);
    let run = il2care(&["assess", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 2, "{field}: {}{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with(&format!("refused: {field}: ")), "{field}: {}", run.stderr);
}

#[test]
fn refuses_an_unknown_observation_code() {
    refused(|d| d["observations"][0]["code"] = json!("blood_glucose"), "observations[0].code");
}

#[test]
fn refuses_a_unit_that_does_not_fit_the_code() {
    refused(|d| d["observations"][0]["value"] = json!({"value": 86, "unit": "kg"}), "observations[0].value");
}

#[test]
fn refuses_an_spo2_of_140_percent() {
    refused(|d| d["observations"][2]["value"] = json!({"value": 140, "unit": "%"}), "observations[2].value");
}

#[test]
fn refuses_an_output_interval_that_ends_before_it_starts() {
    refused(|d| d["observations"][9]["end"] = json!("2026-11-26T15:00:00Z"), "observations[9].end");
}

#[test]
fn refuses_a_bare_number_and_an_observation_after_the_decision_time() {
    refused(|d| d["observations"][0]["value"] = json!(86), "observations[0].value");
    refused(|d| d["observations"][0]["at"] = json!("2026-11-27T17:00:00Z"), "observations[0].at");
    refused(|d| d["course"]["cycle"] = json!(2), "course.cycle");
}

#[test]
fn the_summary_puts_the_decision_first_then_reasons_with_values_and_sources() {
    let mut document = document();
    document["observations"][0]["value"] = json!({"value": 86, "unit": "mm[Hg]"});
    document["observations"].as_array_mut().unwrap().retain(|o| o["code"] != "creatinine");
    let run = il2care(&["assess", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("DECISION: HOLD\n"), "{}", run.stdout);
    assert!(run.stdout.contains("systolic_bp 86 mm[Hg] at 2026-11-27T15:00:00Z"), "{}", run.stdout);
    assert!(run.stdout.contains("[LABEL-2024 §2.4 T2"), "{}", run.stdout);
    assert!(run.stdout.contains("To measure or answer"), "{}", run.stdout);
    assert!(run.stdout.contains("creatinine"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with("Decision support: the treating clinician decides."));
}

#[test]
fn a_file_argument_works_like_standard_input() {
    let path = cases_dir("assess").join("label-systolic-86-hold.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let file = std::env::temp_dir().join(format!("il2care-assess-{}.json", std::process::id()));
    std::fs::write(&file, case["document"].to_string()).unwrap();
    let run = il2care(&["assess", file.to_str().unwrap(), "--json"], None);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["decision"], "hold");
}
