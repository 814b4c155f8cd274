//! `il2care dose`: the worked examples of DOSING.md through the command line, and refused input.

use serde_json::json;

use crate::support::il2care;

#[test]
fn hd_iv_dose_for_80_kg_prints_the_interface_fields() {
    let run = il2care(&["dose", "--regimen", "hd-iv", "--weight", "80kg", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["regimen"], "hd-iv");
    assert_eq!(out["dose"], json!({"value": 48000000, "unit": "[iU]"}));
    assert_eq!(out["dose_mg"], json!({"value": 2.96, "unit": "mg"}));
    assert_eq!(out["volume"], json!({"value": 2.67, "unit": "mL"}));
    assert_eq!(out["vials"], 3);
    assert_eq!(out["bag"], json!({"value": 50, "unit": "mL"}));
    assert_eq!(out["final_concentration"], json!({"value": 56.2, "unit": "ug/mL"}));
}

#[test]
fn pounds_are_converted_exactly_before_the_dose_arithmetic() {
    let out = il2care(&["dose", "--regimen", "hd-iv", "--weight", "176lb", "--json"], None).json();
    assert_eq!(out["weight"], json!({"value": 79.83225712, "unit": "kg"}));
    assert_eq!(out["dose"]["value"], json!(47899354.272));
    assert_eq!(out["volume"]["value"], json!(2.66));
    assert_eq!(out["vials"], 3);
}

#[test]
fn bsa_regimen_uses_height_and_weight() {
    let run =
        il2care(&["dose", "--regimen", "mcdermott-2005-sc", "--weight", "70kg", "--height", "170cm", "--json"], None);
    let out = run.json();
    assert_eq!(out["body_surface_area"], json!({"value": 1.82, "unit": "m2"}));
    assert_eq!(out["dose_miu"], json!(9.1));
    assert_eq!(out["volume"]["value"], json!(0.51));
    assert!(out.get("bag").is_none(), "subcutaneous doses have no bag");
}

#[test]
fn readable_summary_leads_with_the_regimen_and_ends_with_the_disclaimer() {
    let run = il2care(&["dose", "--regimen", "hd-iv", "--weight", "250kg"], None);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("High-dose IV aldesleukin"), "{}", run.stdout);
    assert!(run.stdout.contains("WARNING: final concentration 85.4 ug/mL is outside 30-70 ug/mL"), "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with("the treating clinician decides."));
}

fn check_refused(args: &[&str], field: &str, reason: &str) {
    let run = il2care(args, None);
    assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
    assert!(run.stderr.contains(&format!("{field}: ")), "{args:?}: stderr `{}` does not name {field}", run.stderr);
    assert!(run.stderr.contains(reason), "{args:?}: stderr `{}` lacks `{reason}`", run.stderr);
    assert!(run.stdout.is_empty(), "nothing is printed for refused input");
}

#[test]
fn refused_weights_and_regimens_exit_2_naming_the_field() {
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "0kg"], "weight", "outside the dosing limits");
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "80"], "weight", "without a unit");
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "80stone"], "weight", "unknown unit `stone`");
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "-5kg"], "weight", "must not be negative");
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "900kg"], "weight", "outside the dosing limits");
    check_refused(&["dose", "--regimen", "hd-iv", "--weight", "80cm"], "weight", "does not fit");
    check_refused(&["dose", "--weight", "80kg"], "regimen", "is required");
    check_refused(&["dose", "--regimen", "hd-iv-720", "--weight", "80kg"], "regimen", "unknown regimen");
    check_refused(&["dose", "--regimen", "hd-iv"], "weight", "is required");
    check_refused(
        &["dose", "--regimen", "koreth-2016-sc", "--weight", "70kg", "--height", "300cm"],
        "height",
        "outside",
    );
}

#[test]
fn weight_based_ld_sc_shows_mg_from_vial_strength_not_the_hd_iv_pair() {
    // DOSING §3 amendment of 2026-12-04: 125,000 IU/kg x 80 kg = 10,000,000 IU -> 0.5556 mL -> 0.61 mg.
    let run =
        il2care(&["dose", "--regimen", "yang-2003-sc", "--level", "weeks-2-6", "--weight", "80kg", "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["dose"], json!({"value": 10000000, "unit": "[iU]"}));
    assert_eq!(out["volume_precise"], json!({"value": 0.5556, "unit": "mL"}));
    assert_eq!(out["dose_mg"], json!({"value": 0.61, "unit": "mg"}));
    assert!(out["dose_mg_basis"].as_str().unwrap().starts_with("from vial strength"), "{out}");
    let text = il2care(&["dose", "--regimen", "yang-2003-sc", "--level", "weeks-2-6", "--weight", "80kg"], None);
    assert!(text.stdout.contains("0.611 mg (from vial strength"), "{}", text.stdout);
}
