//! Numbers are read from their JSON text exactly (serde_json's `arbitrary_precision`), never through `f64`:
//! `0.1`, `1e2`, `72.30000000000000001` and integers beyond 2^53 arrive as written in a check-in, an assessment
//! and a FHIR Quantity; a number beyond `Decimal`'s range is refused with the field named.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_core::triage::{Answer, Item};
use il2care_core::units::Measure;
use il2care_wire::fhir::import::{self, Item as Planned};
use rust_decimal::Decimal;
use serde_json::Value;

fn decimal(text: &str) -> Decimal {
    text.parse().or_else(|_| Decimal::from_scientific(text)).unwrap()
}

/// Numbers as written and the exact value each must be read as. f64 reads the last three differently
/// (72.3, 12345678901234567000000 and 9007199254740993 become other numbers).
const EXACT: [(&str, &str); 6] = [
    ("0.1", "0.1"),
    ("1e2", "100"),
    ("0.30000000000000004", "0.30000000000000004"),
    ("72.30000000000000001", "72.30000000000000001"),
    ("12345678901234567890123", "12345678901234567890123"),
    ("9007199254740993", "9007199254740993"),
];

/// Beyond `Decimal` (about 7.9e28): refused, never rounded.
const TOO_LARGE: &str = "123456789012345678901234567890123";

fn checkin(hours: &str) -> String {
    format!(r#"{{"at": "2026-11-27T15:00:00Z", "answers": {{"fluids_not_kept_down_hours": {hours}}}}}"#)
}

#[test]
fn a_check_in_reads_numbers_exactly_and_refuses_one_beyond_range_naming_the_field() {
    for (written, exact) in EXACT {
        let parsed = il2care_wire::checkin::parse_checkin(&checkin(written)).unwrap();
        let Some(Answer::Hours(hours)) = parsed.get(Item::FluidsNotKeptDownHours) else { panic!("hours") };
        assert_eq!(*hours, decimal(exact), "{written}");
        assert_eq!(hours.to_string(), exact, "{written} keeps its digits");
    }
    let refusal = il2care_wire::checkin::parse_checkin(&checkin(TOO_LARGE)).unwrap_err();
    assert_eq!(refusal.field, "answers.fluids_not_kept_down_hours");
}

fn assessment(weight: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/cases/assess/consensus-all-clear-give.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let document = case["document"].to_string();
    let marker = r#""baseline_weight":{"unit":"kg","value":80}"#;
    let alternative = r#""baseline_weight":{"value":80,"unit":"kg"}"#;
    let replacement = format!(r#""baseline_weight":{{"value":{weight},"unit":"kg"}}"#);
    assert!(document.contains(marker) || document.contains(alternative), "{document}");
    document.replace(marker, &replacement).replace(alternative, &replacement)
}

#[test]
fn an_assessment_reads_a_weight_exactly_and_refuses_one_beyond_range_naming_the_field() {
    for (written, exact) in [("72.30000000000000001", "72.30000000000000001"), ("1e2", "100"), ("80.1", "80.1")] {
        let parsed = il2care_wire::assessment::parse_assessment(&assessment(written)).unwrap();
        let weight = parsed.assessment.patient.baseline_weight.unwrap().canonical();
        assert_eq!(weight, decimal(exact), "{written}");
    }
    for written in [TOO_LARGE, "12345678901234567890123"] {
        let refusal = il2care_wire::assessment::parse_assessment(&assessment(written)).unwrap_err();
        assert!(refusal.field.starts_with("patient.baseline_weight"), "{written}: {refusal:?}");
    }
}

fn bundle(value: &str) -> String {
    format!(
        r#"{{"resourceType": "Bundle", "type": "collection", "entry": [{{"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "resource": {{"resourceType": "Observation", "status": "final", "subject": {{"reference": "Patient/3"}},
        "code": {{"coding": [{{"system": "http://loinc.org", "code": "8867-4"}}]}}, "effectiveDateTime": "2026-11-27T15:40:00Z",
        "valueQuantity": {{"value": {value}, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}}}}}]}}"#
    )
}

#[test]
fn a_fhir_quantity_is_read_exactly_and_one_beyond_range_is_refused_naming_the_element() {
    let latest = "2026-11-28T00:00:00Z".parse().unwrap();
    for (written, exact) in [("72.30000000000000001", "72.30000000000000001"), ("1e2", "100"), ("96.1", "96.1")] {
        let plan = import::plan(&bundle(written), latest).unwrap();
        assert!(!plan.has_errors(), "{written}: {:?}", plan.issues);
        let Planned::Observations { observations, .. } = &plan.items[0].item else { panic!("an observation") };
        assert_eq!(decimal(&observations[0].value), decimal(exact), "{written}: {}", observations[0].value);
    }
    let plan = import::plan(&bundle(TOO_LARGE), latest).unwrap();
    assert!(plan.items.is_empty());
    assert!(plan.issues[0].expression.starts_with("Bundle.entry[0].resource.valueQuantity"), "{:?}", plan.issues);
}
