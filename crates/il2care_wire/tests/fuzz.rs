//! Property-driven fuzzing of every document parser on stable Rust: mutated valid documents and random
//! JSON never panic; they parse, or they are refused with a named field. Then the core evaluates whatever
//! parsed, which must not panic either. Findings become cases in `tests/cases` or rows here.
//!
//! Seeds are the project's own case files, so the mutations start from realistic documents.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The documents of every case file of one kind (`tests/cases/<kind>/*.json`, field `field`).
fn seeds(kind: &str, field: &str) -> Vec<Value> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases").join(kind);
    let mut documents: Vec<Value> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()).unwrap()[field].clone())
        .filter(|document| document.is_object())
        .collect();
    documents.sort_by_key(Value::to_string);
    assert!(documents.len() >= 10, "{kind}: found {} seed documents", documents.len());
    documents
}

/// Values that break parsers: wrong types, extremes, hostile strings.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(1.7976931348623157e308)),
        Just(json!(4294967296u64)),
        Just(json!(18446744073709551615u64)),
        Just(json!(0.000000000000000000000000000001)),
        Just(json!("")),
        Just(json!("'; DROP TABLE patients; --")),
        Just(json!("<script>alert(1)</script>")),
        Just(json!("\u{0000}\u{202e}")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("2026-02-30T08:00:00Z")),
        Just(json!({"value": 1e308, "unit": "kg"})),
        Just(json!({"value": -0.0, "unit": "Cel"})),
        Just(json!({"value": 80, "unit": "kg", "unit2": "g"})),
        Just(json!([[[[[[[[[[[]]]]]]]]]]])),
        Just(json!({})),
        Just(json!([])),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-zA-Z0-9_\\[\\]/*.%-]{0,12}".prop_map(|s| json!(s)),
    ]
}

/// Replaces the value at a pseudo-random path of `document` with `replacement`, or deletes it.
fn mutate(document: &mut Value, mut choice: usize, replacement: Value, delete: bool) {
    let mut current = document;
    loop {
        let keys: Vec<String> = match current {
            Value::Object(map) if !map.is_empty() => map.keys().cloned().collect(),
            Value::Array(list) if !list.is_empty() => (0..list.len()).map(|i| i.to_string()).collect(),
            _ => {
                *current = replacement;
                return;
            }
        };
        let key = &keys[choice % keys.len()];
        choice /= keys.len().max(1);
        let descend = !choice.is_multiple_of(3);
        choice /= 3;
        match current {
            Value::Object(map) => {
                if !descend {
                    if delete {
                        map.remove(key);
                    } else {
                        map.insert(key.clone(), replacement);
                    }
                    return;
                }
                current = map.get_mut(key).unwrap();
            }
            Value::Array(list) => {
                let index: usize = key.parse().unwrap();
                if !descend {
                    if delete {
                        list.remove(index);
                    } else {
                        list[index] = replacement;
                    }
                    return;
                }
                current = &mut list[index];
            }
            _ => unreachable!("handled above"),
        }
    }
}

fn refused_with_a_field(result: Result<(), il2care_core::Refusal>) -> Result<(), TestCaseError> {
    if let Err(refusal) = result {
        prop_assert!(!refusal.field.is_empty(), "a refusal names its field: {refusal:?}");
        prop_assert!(!refusal.reason.is_empty());
    }
    Ok(())
}

fn check_checkin(text: &str) -> Result<(), TestCaseError> {
    refused_with_a_field(il2care_wire::checkin::parse_checkin(text).map(|checkin| {
        let _ = il2care_core::triage::triage(&checkin);
    }))
}

fn check_assessment(text: &str) -> Result<(), TestCaseError> {
    refused_with_a_field(il2care_wire::assessment::parse_assessment(text).map(|document| {
        let evaluation = il2care_core::assessment::assess(&document.assessment, &document.parameters);
        let _ = il2care_wire::assessment::result_json(&evaluation);
    }))
}

fn check_screening(text: &str) -> Result<(), TestCaseError> {
    refused_with_a_field(il2care_wire::screening::parse_screening(text).map(|input| {
        let _ = il2care_core::screening::screen(&input);
    }))
}

static CHECKINS: LazyLock<Vec<Value>> = LazyLock::new(|| seeds("triage", "checkin"));
static ASSESSMENTS: LazyLock<Vec<Value>> = LazyLock::new(|| seeds("assess", "document"));
static SCREENINGS: LazyLock<Vec<Value>> = LazyLock::new(|| seeds("screen", "document"));

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_checkins_parse_or_are_refused_with_a_field(seed in any::<prop::sample::Index>(), choice in any::<usize>(),
                                                          value in hostile_value(), delete in any::<bool>()) {
        let mut document = seed.get(&CHECKINS).clone();
        mutate(&mut document, choice, value, delete);
        check_checkin(&document.to_string())?;
    }

    #[test]
    fn mutated_assessments_parse_or_are_refused_with_a_field(seed in any::<prop::sample::Index>(), choice in any::<usize>(),
                                                             value in hostile_value(), delete in any::<bool>()) {
        let mut document = seed.get(&ASSESSMENTS).clone();
        mutate(&mut document, choice, value, delete);
        check_assessment(&document.to_string())?;
    }

    #[test]
    fn mutated_screenings_parse_or_are_refused_with_a_field(seed in any::<prop::sample::Index>(), choice in any::<usize>(),
                                                            value in hostile_value(), delete in any::<bool>()) {
        let mut document = seed.get(&SCREENINGS).clone();
        mutate(&mut document, choice, value, delete);
        check_screening(&document.to_string())?;
    }

    #[test]
    fn arbitrary_text_never_panics_a_parser(text in "\\PC{0,200}") {
        check_checkin(&text)?;
        check_assessment(&text)?;
        check_screening(&text)?;
        let _ = il2care_core::units::Quantity::parse_compact(&text);
    }
}

#[test]
fn deeply_nested_documents_are_refused_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(il2care_wire::checkin::parse_checkin(&deep).is_err());
    let mut object = Map::new();
    object.insert("at".into(), json!("2026-11-27T08:00:00Z"));
    object.insert(
        "answers".into(),
        serde_json::from_str::<Value>(&format!("{}1{}", "[".repeat(100), "]".repeat(100))).unwrap(),
    );
    assert_eq!(il2care_wire::checkin::checkin_from_object(&object).unwrap_err().field, "answers");
}
