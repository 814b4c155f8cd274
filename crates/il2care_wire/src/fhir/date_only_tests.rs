//! Date-only times and units without a code, at their boundaries, through the public import plan.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::codes;
use super::export::{ObservationEntry, observation_resource};
use super::import::{DATE_ONLY_FIELD, Item, plan};

fn latest() -> Timestamp {
    "2026-11-28T00:00:00Z".parse().unwrap()
}

fn weight(effective: &str, value_quantity: Value) -> Value {
    json!({"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/3"},
           "code": {"coding": [{"system": codes::LOINC, "code": "29463-7"}]},
           "effectiveDateTime": effective, "valueQuantity": value_quantity})
}

fn collection(resources: Vec<Value>) -> String {
    let entries: Vec<Value> = resources.into_iter().map(|resource| json!({"resource": resource})).collect();
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries}).to_string()
}

fn kg() -> Value {
    json!({"value": 80, "unit": "kg", "system": codes::UCUM, "code": "kg"})
}

#[test]
fn a_date_or_a_month_without_a_time_is_read_as_a_date_and_a_later_one_is_refused() {
    let times = ["2026-11-27", "2026-11", "2026-11-28", "2026-11-29", "2026-11-27T15:40", "27/11/2026", "2026-12"];
    let plan = plan(&collection(times.iter().map(|at| weight(at, kg())).collect()), latest()).unwrap();
    let mut read = Vec::new();
    for planned in &plan.items {
        let Item::Observations { observations, .. } = &planned.item else { panic!("observations") };
        let document: Value = serde_json::from_str(&observations[0].document).unwrap();
        assert!(document.get("at").is_none(), "a date-only time is not an instant: {document}");
        read.push((planned.entry, document[DATE_ONLY_FIELD].as_str().unwrap().to_string(), observations[0].at_ms));
    }
    let ms = |at: &str| at.parse::<Timestamp>().unwrap().as_millisecond();
    assert_eq!(
        read,
        [
            (0, "2026-11-27".to_string(), ms("2026-11-27T00:00:00Z")),
            (1, "2026-11".to_string(), ms("2026-11-01T00:00:00Z")),
            (2, "2026-11-28".to_string(), ms("2026-11-28T00:00:00Z")),
        ],
        "the day at the latest instant is accepted"
    );
    let refused: Vec<&str> = plan.issues.iter().map(|issue| issue.expression.as_str()).collect();
    assert_eq!(
        refused,
        [
            "Bundle.entry[3].resource.effectiveDateTime",
            "Bundle.entry[4].resource.effectiveDateTime",
            "Bundle.entry[5].resource.effectiveDateTime",
            "Bundle.entry[6].resource.effectiveDateTime"
        ],
        "{:?}",
        plan.issues
    );
    assert!(plan.issues[0].diagnostics.contains("future"), "{}", plan.issues[0].diagnostics);
}

#[test]
fn a_date_only_observation_is_exported_with_the_same_date() {
    for date in ["2026-11-30", "2026-11"] {
        let entry = ObservationEntry {
            id: 4,
            client_id: None,
            document: json!({"code": "weight", "value": {"value": 80, "unit": "kg"}, DATE_ONLY_FIELD: date}),
        };
        let resource = observation_resource(&entry, &json!({"reference": "Patient/3"})).unwrap();
        assert_eq!(resource["effectiveDateTime"], date);
    }
}

#[test]
fn a_unit_without_a_code_is_read_only_when_il2care_accepts_it_for_the_code() {
    let cases = [
        (json!({"value": 80, "unit": "kg"}), true),
        (json!({"value": 176, "unit": "[lb_av]"}), true),
        (json!({"value": 80, "unit": "mm[Hg]"}), false),
        (json!({"value": 80, "unit": "KG"}), false),
        (json!({"value": 80, "unit": "kilograms"}), false),
        (json!({"value": 80}), false),
    ];
    for (quantity, accepted) in cases {
        let plan = plan(&collection(vec![weight("2026-11-27T08:00:00Z", quantity.clone())]), latest()).unwrap();
        assert_eq!(plan.items.len() == 1, accepted, "{quantity}: {:?}", plan.issues);
        if !accepted {
            let issue = &plan.issues[0];
            assert!(issue.expression.starts_with("Bundle.entry[0].resource.valueQuantity"), "{quantity}: {issue:?}");
            assert!(!issue.diagnostics.is_empty());
        }
    }
}
