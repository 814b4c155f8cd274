//! `il2care screen`: the screening case files of `tests/cases/screen/` walked by one test, refused documents
//! (exit 2 with the field named), and the readable summary.

use serde_json::{Value, json};

use crate::support::{Run, cases_dir, il2care};

/// The fields a case file may have; anything else is a typo and fails the walk.
const CASE_FIELDS: [&str; 3] = ["description", "document", "expect"];
const EXPECT_FIELDS: [&str; 7] =
    ["status", "items", "interactions", "unrecognised", "contrast", "ondansetron_mg", "premedication"];

fn screen_json(document: &Value) -> Run {
    il2care(&["screen", "-", "--json"], Some(&document.to_string()))
}

fn case_files() -> Vec<(String, Value)> {
    let mut paths: Vec<_> =
        std::fs::read_dir(cases_dir("screen")).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap())
        })
        .collect()
}

#[test]
fn every_screening_case_file_gives_its_expected_status_items_interactions_and_notices() {
    let cases = case_files();
    assert!(cases.len() >= 15, "at least 15 screening case files ({})", cases.len());
    for (name, case) in &cases {
        let object = case.as_object().unwrap_or_else(|| panic!("{name}: not an object"));
        assert!(object.keys().all(|key| CASE_FIELDS.contains(&key.as_str())), "{name}: unknown field");
        assert!(case["description"].as_str().is_some_and(|text| !text.is_empty()), "{name}: description");
        let expect = case["expect"].as_object().unwrap();
        assert!(expect.keys().all(|key| EXPECT_FIELDS.contains(&key.as_str())), "{name}: unknown expect field");

        let run = screen_json(&case["document"]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let result = run.json();
        assert_eq!(result["status"], expect["status"], "{name}: overall status");
        assert_eq!(result["items"].as_array().unwrap().len(), 19, "{name}: 19 items");
        for (number, expected) in expect.get("items").and_then(Value::as_object).into_iter().flatten() {
            let index: usize = number.parse().unwrap();
            let item = &result["items"][index - 1];
            assert_eq!(item["number"], json!(index), "{name}");
            assert_eq!(&item["result"], expected, "{name}: item {number}: {}", item["reasons"]);
        }
        if let Some(expected) = expect.get("interactions") {
            let got: Vec<Value> = result["interactions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|hit| json!({"medication": hit["medication"], "class": hit["class"], "level": hit["level"]}))
                .collect();
            assert_eq!(&Value::Array(got), expected, "{name}: interactions");
        }
        if let Some(expected) = expect.get("unrecognised") {
            assert_eq!(&result["unrecognised"], expected, "{name}: unrecognised");
        }
        if let Some(expected) = expect.get("contrast") {
            let got: Vec<Value> = result["contrast"]
                .as_array()
                .unwrap()
                .iter()
                .map(|notice| json!({"agent": notice["agent"], "level": notice["level"]}))
                .collect();
            assert_eq!(&Value::Array(got), expected, "{name}: contrast notices");
        }
        if let Some(expected) = expect.get("ondansetron_mg") {
            assert_eq!(&result["premedication"]["weight_based"][0]["dose_rounded"]["value"], expected, "{name}");
        }
        if expect.get("premedication") == Some(&json!(false)) {
            assert!(result.get("premedication").is_none(), "{name}: no premedication template");
        }
        for hit in result["interactions"].as_array().unwrap() {
            for field in ["matched_as", "effect", "action", "source"] {
                assert!(hit[field].as_str().is_some_and(|text| !text.is_empty()), "{name}: {hit}");
            }
        }
        assert_eq!(result["disclaimer"], "Decision support: the treating clinician decides.", "{name}");

        let summary = il2care(&["screen", "-"], Some(&case["document"].to_string()));
        assert_eq!(summary.code, 0, "{name}: {}", summary.stderr);
        assert!(summary.stdout.contains("the treating clinician decides"), "{name}");
    }
}

fn base_document() -> Value {
    let (_, case) = case_files().into_iter().find(|(name, _)| name.starts_with("01-")).unwrap();
    case["document"].clone()
}

/// The one refusal helper: `change` applied to a valid document makes `screen` exit 2 naming `field`.
fn check_refused(change: impl FnOnce(&mut Value), field: &str, fragment: &str) {
    let mut document = base_document();
    change(&mut document);
    let run = screen_json(&document);
    assert_eq!(run.code, 2, "{field}: {}", run.stdout);
    let expected = format!("refused: {field}: ");
    assert!(run.stderr.starts_with(&expected), "expected `{expected}`, got `{}`", run.stderr);
    assert!(run.stderr.contains(fragment), "`{}` lacks `{fragment}`", run.stderr);
    assert!(run.stdout.is_empty(), "nothing of a refused document is printed");
}

#[test]
fn a_document_without_a_date_of_birth_is_refused_naming_the_field() {
    check_refused(
        |d| {
            d["patient"].as_object_mut().unwrap().remove("date_of_birth");
        },
        "patient.date_of_birth",
        "required",
    );
}

#[test]
fn a_lab_without_a_unit_is_refused_naming_the_lab() {
    check_refused(|d| d["labs"][6]["value"] = json!({"value": 1.0}), "labs[6].value.unit", "without a unit");
    check_refused(|d| d["labs"][0]["value"] = json!(6.2), "labs[0].value", "without a unit");
}

#[test]
fn an_unknown_test_result_value_is_refused_naming_the_field() {
    check_refused(
        |d| d["tests"]["cardiac"]["ejection_fraction"] = json!("borderline"),
        "tests.cardiac.ejection_fraction",
        "unknown value `borderline`",
    );
    check_refused(
        |d| d["tests"]["cardiac"]["stress_test"] = json!("equivocal"),
        "tests.cardiac.stress_test",
        "not_done",
    );
    check_refused(
        |d| d["patient"]["pregnancy_test"] = json!({"result": "maybe", "at": "2026-11-26T08:00:00Z"}),
        "patient.pregnancy_test.result",
        "negative, positive",
    );
}

#[test]
fn other_bad_documents_are_refused_naming_the_field() {
    check_refused(|d| d["favourite_colour"] = json!("blue"), "favourite_colour", "unknown field");
    check_refused(|d| d["patient"]["weight_kg"] = json!(80), "patient.weight_kg", "unknown field");
    check_refused(|d| d["at"] = json!("2026-11-27 09:00"), "at", "RFC 3339");
    check_refused(|d| d["regimen"] = json!("hd-iv-fast"), "regimen", "unknown regimen");
    check_refused(|d| d["labs"][6]["code"] = json!("urea"), "labs[6].code", "unknown lab code");
    check_refused(|d| d["labs"][2]["value"] = json!({"value": 2500, "unit": "10*3/uL"}), "labs[2].value", "plausible");
    check_refused(|d| d["labs"][6]["value"]["unit"] = json!("g/dL"), "labs[6].value", "does not fit");
    check_refused(|d| d["labs"][0]["at"] = json!("2026-11-28T09:00:00-05:00"), "labs[0].at", "after the screen's time");
    check_refused(
        |d| d["tests"]["pulmonary"]["fev1"] = json!({"value": 3.2, "unit": "%"}),
        "tests.pulmonary.fev1.unit",
        "L, mL",
    );
    check_refused(|d| d["tests"]["pulmonary"]["fev1"] = json!(3.2), "tests.pulmonary.fev1", "without a unit");
    check_refused(|d| d["medications"] = json!(["morphine", " "]), "medications[1]", "empty");
    check_refused(|d| d["not_applicable"] = json!([5]), "not_applicable[0]", "every checklist item applies to hd-iv");
    check_refused(
        |d| {
            d["regimen"] = json!("saadoun-2011-sc");
            d["not_applicable"] = json!([4]);
        },
        "not_applicable[0]",
        "every regimen",
    );
    check_refused(
        |d| {
            d["previous_courses"] =
                json!([{"discharged_at": "2026-06-01T00:00:00Z", "response": "shrinkage", "toxicities": ["hiccups"]}])
        },
        "previous_courses[0].toxicities[0]",
        "unknown toxicity",
    );
    check_refused(
        |d| d["planned_contrast"] = json!([{"agent": "barium"}]),
        "planned_contrast[0].agent",
        "iodinated, gadolinium",
    );
    check_refused(|d| d["patient"]["weight"] = json!({"value": 20, "unit": "kg"}), "patient.weight", "plausible");
}

#[test]
fn the_readable_summary_lists_items_interactions_unrecognised_names_and_the_plan() {
    let mut document = base_document();
    // SCREENING §2 amendment of 2026-12-04: the route decides (IV is systemic; no route is "route unknown").
    document["medications"] = json!(["Solu-Medrol 40 mg IV", "hydrocortisone", "Zyxoflamin"]);
    let run = il2care(&["screen", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "Overall: NEEDS REVIEW",
        "17. Medication list",
        "Solu-Medrol 40 mg IV -> methylprednisolone (Solu Medrol): Glucocorticoids (systemic) [avoid]",
        "hydrocortisone -> hydrocortisone: Glucocorticoids (systemic) [needs_review]",
        "action: route unknown",
        "UNRECOGNISED (check by hand): Zyxoflamin",
        "computed: ondansetron 0.15 mg/kg x 82 kg = 12.3 mg every 8 h",
        "Decision support: the treating clinician decides.",
    ] {
        assert!(run.stdout.contains(expected), "missing `{expected}` in:\n{}", run.stdout);
    }
}

#[test]
fn a_missing_file_is_an_error_not_a_refusal() {
    let run = il2care(&["screen", "/nonexistent/screening.json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn the_screening_docs_list_every_item_and_drug_class_with_its_source() {
    use il2care_core::screening::{DrugClass, Item};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screening.md");
    let docs = std::fs::read_to_string(path).unwrap();
    for item in Item::ALL {
        let row = format!("| {} | `{}` | {} |", item.number(), item.id(), item.title());
        let line = docs.lines().find(|line| line.starts_with(&row)).unwrap_or_else(|| panic!("docs lack `{row}`"));
        assert!(line.contains(&format!("| {} | {} |", item.valid_for().describe(), item.source().0)), "{line}");
    }
    for class in DrugClass::ALL {
        let row = format!("| `{}` | {} |", class.id(), class.title());
        let line = docs.lines().find(|line| line.starts_with(&row)).unwrap_or_else(|| panic!("docs lack `{row}`"));
        assert!(line.ends_with(&format!("| {} |", class.source().0)), "{line}");
    }
}

#[test]
fn the_readable_summary_names_the_ondansetron_cap_and_the_replacement_steroid_action() {
    let mut document = base_document();
    document["patient"]["weight"] = json!({"value": 150, "unit": "kg"});
    document["medications"] =
        json!([{"name": "prednisone 5 mg", "route": "oral", "daily_dose": {"value": 5, "unit": "mg"}}]);
    let run = il2care(&["screen", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "computed: ondansetron 0.15 mg/kg x 150 kg = 22.5 mg, capped: 16 mg every 8 h: never more than 16 mg a dose",
        "[FDA-2012-ONDANSETRON]",
        "do not stop replacement steroids; review the dose with the physician",
    ] {
        assert!(run.stdout.contains(expected), "missing `{expected}` in:\n{}", run.stdout);
    }
}

#[test]
fn an_unknown_medication_route_or_a_bare_daily_dose_is_refused_naming_the_field() {
    let mut document = base_document();
    document["medications"] = json!([{"name": "prednisone", "route": "by_mouth"}]);
    let run = screen_json(&document);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("medications[0].route"), "{}", run.stderr);
    document["medications"] = json!([{"name": "prednisone", "route": "oral", "daily_dose": 5}]);
    let run = screen_json(&document);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("medications[0].daily_dose"), "{}", run.stderr);
}
