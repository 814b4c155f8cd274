//! Tests of the screening document parser (typed values, the local date, refusals naming the field) and of the
//! result JSON. Test code only.

use il2care_core::screening::{Item, LabValue, Status, screen};
use rust_decimal_macros::dec;
use serde_json::json;

use super::*;

const BASE: &str = include_str!("../../../../tests/cases/screen/01-eligible-man-with-metastatic-rcc.json");

fn base() -> Value {
    let case: Value = serde_json::from_str(BASE).unwrap();
    case["document"].clone()
}

fn parse(document: &Value) -> Result<ScreeningInput, Refusal> {
    parse_screening(&document.to_string())
}

/// The one refusal helper: `change` applied to the valid base document is refused naming `field`.
fn check(change: impl FnOnce(&mut Value), field: &str, fragment: &str) {
    let mut document = base();
    change(&mut document);
    let refusal = parse(&document).unwrap_err();
    assert_eq!(refusal.field, field, "{refusal}");
    assert!(refusal.reason.contains(fragment), "`{}` lacks `{fragment}`", refusal.reason);
}

#[test]
fn the_base_document_parses_into_typed_values() {
    let input = parse(&base()).unwrap();
    assert_eq!(input.regimen.id, "hd-iv");
    assert_eq!(input.patient.weight.unwrap().value(), dec!(82));
    assert_eq!(input.pulmonary.unwrap().fev1.unwrap().value(), dec!(3.2));
    assert_eq!(input.labs.len(), 10);
    let creatinine = input.labs.iter().find(|lab| lab.value.code() == "creatinine").unwrap();
    assert_eq!(creatinine.reference_range.unwrap().high, Some(dec!(1.3)));
    assert_eq!(input.previous_courses.as_deref(), Some(&[][..]));
    assert_eq!(input.medications.as_ref().unwrap().len(), 2);
    assert_eq!(screen(&input).status, Status::Pass);
}

#[test]
fn the_local_date_comes_from_the_offset_the_document_gave() {
    let mut document = base();
    document["at"] = json!("2026-11-27T23:30:00-05:00");
    let input = parse(&document).unwrap();
    assert_eq!(input.at.date, jiff::civil::date(2026, 11, 27), "04:30 UTC on the 28th is still the 27th locally");
    assert_eq!(input.at.instant.to_string(), "2026-11-28T04:30:00Z");
}

#[test]
fn units_convert_exactly_at_the_edge() {
    let mut document = base();
    document["tests"]["pulmonary"]["fev1"] = json!({"value": 2010, "unit": "mL"});
    document["labs"][6] = json!({"code": "creatinine", "value": {"value": 124.7, "unit": "umol/L"},
                                 "at": "2026-11-25T07:00:00-05:00"});
    let input = parse(&document).unwrap();
    assert_eq!(input.pulmonary.unwrap().fev1.unwrap().value(), dec!(2.01));
    let LabValue::Creatinine(creatinine) = input.labs[6].value else { panic!("creatinine") };
    assert!(creatinine.value() > dec!(1.41) && creatinine.value() < dec!(1.4104), "124.7 / 88.42 = 1.41031...");
}

#[test]
fn bad_documents_are_refused_naming_the_field() {
    check(|d| d["patient"] = json!({"sex": "male"}), "patient.date_of_birth", "is required");
    check(|d| d["patient"]["date_of_birth"] = json!("14/05/1971"), "patient.date_of_birth", "calendar date");
    check(|d| d["patient"]["date_of_birth"] = json!("2027-01-01"), "patient.date_of_birth", "not plausible");
    check(|d| d["patient"]["sex"] = json!("F"), "patient.sex", "female, male, other, unknown");
    check(|d| d["patient"]["flags"] = json!(["vip"]), "patient.flags[0]", "unknown flag");
    check(|d| d["labs"][3]["value"] = json!({"value": 14.1}), "labs[3].value.unit", "without a unit");
    check(
        |d| d["labs"][3]["reference_range"] = json!({"low": {"value": 12, "unit": "mg/dL"}}),
        "labs[3].reference_range.low",
        "does not fit",
    );
    check(
        |d| d["tests"]["cardiac"]["wall_motion"] = json!("abnormal"),
        "tests.cardiac.wall_motion",
        "normal, impaired",
    );
    check(
        |d| d["tests"]["cardiac"]["coronary_artery_disease"] = json!(false),
        "tests.cardiac.coronary_artery_disease",
        "string",
    );
    check(|d| d["tests"]["cardiac"]["ef"] = json!(55), "tests.cardiac.ef", "unknown field");
    check(
        |d| d["tests"]["pulmonary"]["fev1"] = json!({"value": 0.05, "unit": "L"}),
        "tests.pulmonary.fev1",
        "plausible",
    );
    check(
        |d| d["tests"]["pulmonary"]["fev1_percent_predicted"] = json!({"value": 91, "unit": "L"}),
        "tests.pulmonary.fev1_percent_predicted.unit",
        "unknown unit",
    );
    check(
        |d| d["tests"]["pulmonary"]["at"] = json!("2026-12-01T00:00:00Z"),
        "tests.pulmonary.at",
        "after the screen's time",
    );
    check(|d| d["tests"]["cns"] = json!({"impairment": false}), "tests.cns.at", "is required");
    check(|d| d["infection"]["status"] = json!("mild"), "infection.status", "untreated_bacterial");
    check(|d| d["performance_status"]["ecog"] = json!(6), "performance_status.ecog", "0 to 5");
    check(|d| d["planned_start"] = json!("2026-11-01T08:00:00Z"), "planned_start", "before the screen's time");
    check(
        |d| d["interleukin_2"] = json!({"received": false, "last_dose_at": "2026-11-01T08:00:00Z"}),
        "interleukin_2.received",
        "last dose",
    );
    check(
        |d| d["interleukin_2"] = json!({"last_dose_at": "2026-11-01T08:00:00Z"}),
        "interleukin_2.received",
        "required",
    );
    check(|d| d["medications"] = json!("morphine"), "medications", "must be a list");
    check(|d| d["indication"] = json!("melanoma"), "indication", "metastatic_melanoma");
    check(|d| d["not_applicable"] = json!([20]), "not_applicable[0]", "1 to 19");
}

#[test]
fn absent_and_null_sections_are_not_documented_rather_than_refused() {
    let document = json!({"at": "2026-11-27T09:00:00Z", "regimen": "hd-iv", "patient": {"date_of_birth": "1980-01-01"},
                          "history": null, "medications": null});
    let input = parse(&document).unwrap();
    assert!(input.medications.is_none() && input.cardiac.is_none() && input.previous_courses.is_none());
    assert!(screen(&input).items.iter().all(|item| item.status == Status::NeedsReview));
}

#[test]
fn the_result_json_carries_items_interactions_contrast_and_the_plan() {
    let mut document = base();
    document["medications"] = json!(["Advil", "Blorptex"]);
    document["interleukin_2"] = json!({"received": true, "last_dose_at": "2026-11-20T08:00:00-05:00"});
    document["planned_contrast"] = json!([{"agent": "iodinated", "description": "CT chest"}]);
    let result = result_json(&screen(&parse(&document).unwrap()));
    assert_eq!(result["status"], "needs_review");
    let labs = &result["items"][4];
    assert_eq!(labs["id"], Item::BaselineLabs.id());
    assert_eq!(labs["number"], 5);
    assert_eq!(labs["valid_for"], "14 days");
    assert_eq!(labs["valid_until"], "2026-12-09T12:00:00Z");
    assert_eq!(result["items"][16]["result"], "needs_review");
    assert_eq!(
        result["interactions"][0],
        json!({"medication": "Advil", "matched_as": "ibuprofen (Advil)", "class": "nephrotoxic", "class_title": "Nephrotoxic",
               "level": "monitor", "effect": "may increase kidney toxicity",
               "action": DrugClassAction::NEPHROTOXIC, "source": "LABEL-OLD; SWISS-SMPC; TIL-2024 T2"})
    );
    assert_eq!(result["unrecognised"], json!(["Blorptex"]));
    assert_eq!(result["contrast"][0]["level"], "warning");
    assert_eq!(result["contrast"][0]["last_dose_at"], "2026-11-20T13:00:00Z");
    assert_eq!(result["contrast"][0]["window_ends_at"], "2026-12-04T13:00:00Z");
    assert_eq!(result["premedication"]["weight_based"][0]["dose"], json!({"value": 12.3, "unit": "mg"}));
    assert_eq!(result["premedication"]["weight_based"][0]["per_kilogram"], json!({"value": 0.15, "unit": "mg/kg"}));
    assert_eq!(result["disclaimer"], "Decision support: the treating clinician decides.");
}

/// The nephrotoxic action text, as the core states it.
struct DrugClassAction;

impl DrugClassAction {
    const NEPHROTOXIC: &str = "monitor creatinine and urine output. Indomethacin (usual premedication): stop it if \
                               creatinine > 2 mg/dL, urine output falls, or platelets < 50 x 10^3/uL";
}

#[test]
fn medication_entries_carry_route_daily_dose_and_purpose() {
    let mut document = base();
    document["medications"] = json!([
        "Pepcid",
        {"name": "prednisone 5 mg", "route": "oral", "daily_dose": {"value": 5, "unit": "mg"}},
        {"name": "hydrocortisone", "route": "iv", "purpose": "adrenal_replacement"},
        {"name": "hydrocortisone 1% cream"}
    ]);
    let input = parse(&document).unwrap();
    let medications = input.medications.as_ref().unwrap();
    assert_eq!(medications[0], Medication::named("Pepcid"));
    assert_eq!(medications[1].route, Some(MedicationRoute::Oral));
    assert_eq!(medications[1].daily_dose.unwrap().value(), dec!(5));
    assert!(medications[2].is_adrenal_replacement());
    let result = result_json(&screen(&input));
    let hits = result["interactions"].as_array().unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0]["level"], "needs_review");
    assert_eq!(hits[0]["action"], "do not stop replacement steroids; review the dose with the physician");
    assert_eq!(hits[0]["route"], "oral");
    assert_eq!(hits[0]["route_from"], "given");
    assert_eq!(result["information"][0]["medication"], "hydrocortisone 1% cream");
    assert_eq!(result["information"][0]["route"], "topical");
    assert_eq!(result["information"][0]["route_from"], "name");
}

#[test]
fn bad_medication_entries_are_refused_naming_the_field() {
    check(
        |d| d["medications"] = json!([{"name": "prednisone", "route": "by_mouth"}]),
        "medications[0].route",
        "unknown value `by_mouth`",
    );
    check(
        |d| d["medications"] = json!(["x", {"name": "prednisone", "daily_dose": 5}]),
        "medications[1].daily_dose",
        "without a unit",
    );
    check(
        |d| d["medications"] = json!([{"name": "prednisone", "daily_dose": {"value": 5}}]),
        "medications[0].daily_dose.unit",
        "missing",
    );
    check(
        |d| d["medications"] = json!([{"name": "prednisone", "daily_dose": {"value": 5, "unit": "kg"}}]),
        "medications[0].daily_dose",
        "",
    );
    check(
        |d| d["medications"] = json!([{"name": "prednisone", "daily_dose": {"value": 0, "unit": "mg"}}]),
        "medications[0].daily_dose",
        "plausible",
    );
    check(|d| d["medications"] = json!([{"name": "prednisone", "dose": "5 mg"}]), "medications[0].dose", "");
    check(|d| d["medications"] = json!([{"route": "oral"}]), "medications[0].name", "");
    check(|d| d["medications"] = json!([{"name": "  "}]), "medications[0].name", "empty");
    check(|d| d["medications"] = json!([{"name": "x", "purpose": ""}]), "medications[0].purpose", "empty");
    check(|d| d["medications"] = json!([5]), "medications[0]", "");
}

#[test]
fn sodium_is_a_lab_code_within_its_plausible_range() {
    let mut document = base();
    document["labs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "sodium", "value": {"value": 134, "unit": "mmol/L"}, "at": "2026-11-25T07:00:00-05:00"}));
    let input = parse(&document).unwrap();
    assert_eq!(screen(&input).items[4].status, Status::NeedsReview, "below the default LLN 135 [GRADING §2]");
    let mut document = base();
    document["labs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "sodium", "value": {"value": 99, "unit": "mmol/L"}, "at": "2026-11-25T07:00:00-05:00"}));
    assert_eq!(parse(&document).unwrap_err().field, "labs[10].value");
}

#[test]
fn the_ondansetron_dose_is_shown_capped_with_the_cap_named() {
    let mut document = base();
    document["patient"]["weight"] = json!({"value": 150, "unit": "kg"});
    let result = result_json(&screen(&parse(&document).unwrap()));
    let dose = &result["premedication"]["weight_based"][0];
    assert_eq!(dose["dose"], json!({"value": 16, "unit": "mg"}));
    assert_eq!(dose["dose_rounded"], json!({"value": 16, "unit": "mg"}));
    assert_eq!(dose["capped"], true);
    assert_eq!(dose["uncapped_dose"], json!({"value": 22.5, "unit": "mg"}));
    assert_eq!(dose["cap"]["source"], "FDA-2012-ONDANSETRON");
    assert_eq!(dose["cap"]["value"], 16);
    document["patient"]["weight"] = json!({"value": 100, "unit": "kg"});
    let result = result_json(&screen(&parse(&document).unwrap()));
    let dose = &result["premedication"]["weight_based"][0];
    assert_eq!(dose["dose"], json!({"value": 15, "unit": "mg"}));
    assert_eq!(dose["capped"], false);
    assert!(dose.get("uncapped_dose").is_none());
}
