//! JSON for dose calculations and schedules (`spec/INTERFACES.md`, "The dose calculation").
//!
//! Values that DOSING.md displays rounded are rounded here (mL to 0.01, concentration to 0.1 ug/mL);
//! the dose of record in IU and the mg beside it are printed exactly. Nothing is computed here.

use il2care_core::dosing::{DoseCalculation, MilligramBasis};
use il2care_core::regimens::{Regimen, Route};
use il2care_core::schedule::{Schedule, Slot, high_dose};
use il2care_core::units::{Measure, Millilitres, Unit, round_for_display};
use jiff::Zoned;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::json::{number, quantity_json};

/// The disclaimer every clinical output carries.
pub const CLINICIAN_DISCLAIMER: &str = "Decision support: the treating clinician decides.";

fn rounded(value: Decimal, places: u32, unit: Unit) -> Value {
    json!({"value": number(round_for_display(value, places)), "unit": unit.ucum()})
}

fn route(regimen: &Regimen) -> &'static str {
    match regimen.route {
        Route::IntravenousInfusion => "intravenous",
        Route::Subcutaneous => "subcutaneous",
    }
}

/// The dose calculation as JSON.
pub fn dose_json(calc: &DoseCalculation) -> Value {
    let mut out = Map::new();
    out.insert("regimen".into(), json!(calc.regimen.id));
    out.insert("level".into(), json!(calc.level.id));
    out.insert("route".into(), json!(route(calc.regimen)));
    out.insert("off_label".into(), json!(calc.regimen.off_label));
    if let Some(weight) = calc.weight {
        out.insert("weight".into(), quantity_json(weight.quantity()));
    }
    if let Some(height) = calc.height {
        out.insert("height".into(), quantity_json(height.quantity()));
    }
    if let Some(bsa) = calc.body_surface_area {
        out.insert("body_surface_area".into(), quantity_json(bsa.used.quantity()));
        out.insert("body_surface_area_formula".into(), json!("Mosteller, rounded half-up to 0.01 m2"));
    }
    out.insert("dose".into(), quantity_json(calc.dose.quantity()));
    out.insert("dose_miu".into(), number(calc.dose.value() / Decimal::from(1_000_000)));
    match calc.dose_mg_basis {
        MilligramBasis::WeightPair => {
            out.insert("dose_mg".into(), quantity_json(calc.dose_mg.quantity()));
        }
        // DOSING §3 amendment: volume x 1.1 mg/mL is a repeating decimal; shown to 0.01 mg as the document's
        // example does (10,000,000 IU -> 0.5556 mL -> 0.61 mg), with the 4-decimal figure beside it.
        MilligramBasis::VialStrength => {
            out.insert("dose_mg".into(), rounded(calc.dose_mg.value(), 2, Unit::Milligram));
            out.insert("dose_mg_precise".into(), rounded(calc.dose_mg.value(), 4, Unit::Milligram));
        }
    }
    let basis = match calc.dose_mg_basis {
        MilligramBasis::WeightPair => "0.037 mg/kg of dosing weight [LABEL-2024 T1]",
        MilligramBasis::VialStrength => "from vial strength: volume x 1.1 mg/mL [LABEL-2024 §11]",
    };
    out.insert("dose_mg_basis".into(), json!(basis));
    out.insert("volume".into(), rounded(calc.volume.value(), 2, Unit::Millilitre));
    out.insert("volume_precise".into(), rounded(calc.volume.value(), 4, Unit::Millilitre));
    out.insert("reconstituted_concentration".into(), json!("18,000,000 [iU]/mL = 1.1 mg/mL [LABEL-2024 §11]"));
    out.insert("vials".into(), json!(calc.vials));
    out.insert(
        "vial".into(),
        json!("22,000,000 [iU] (1.3 mg) single-use; reconstitute with 1.2 mL sterile water; count 1.2 mL per vial"),
    );
    if let Some(dilution) = calc.dilution {
        out.insert("bag".into(), quantity_json(dilution.bag.quantity()));
        out.insert("diluent".into(), json!("D5W (5% dextrose) only"));
        out.insert("final_volume".into(), rounded(dilution.final_volume.value(), 2, Unit::Millilitre));
        out.insert(
            "final_concentration".into(),
            rounded(dilution.final_concentration.value(), 1, Unit::MicrogramPerMillilitre),
        );
    }
    out.insert("stability_hours".into(), json!(48));
    if let Some(expires_at) = calc.expires_at {
        out.insert("expires_at".into(), json!(expires_at.to_string()));
    }
    let warnings: Vec<Value> = calc
        .warnings
        .iter()
        .map(|warning| json!({"id": warning.id, "message": warning.message, "source": warning.source.0}))
        .collect();
    out.insert("warnings".into(), Value::Array(warnings));
    out.insert("source".into(), json!(calc.level.source.0));
    out.insert("disclaimer".into(), json!(CLINICIAN_DISCLAIMER));
    Value::Object(out)
}

/// RFC 3339 with the local offset, as a patient's clock reads it.
pub fn local_time(at: &Zoned) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// The time zone's name, or its fixed offset.
pub fn zone_name(at: &Zoned) -> String {
    at.time_zone().iana_name().map_or_else(|| format!("fixed offset {}", at.offset()), str::to_string)
}

fn slot_json(slot: &Slot, dose_of_level: &dyn Fn(&str) -> Option<Value>) -> Value {
    let mut out = Map::new();
    out.insert("slot".into(), json!(slot.number));
    out.insert("cycle".into(), json!(slot.cycle));
    out.insert("day".into(), json!(slot.day));
    out.insert("at".into(), json!(local_time(&slot.at)));
    out.insert("level".into(), json!(slot.level.id));
    if let Some(dose) = dose_of_level(slot.level.id) {
        out.insert("dose".into(), dose);
    }
    Value::Object(out)
}

/// The schedule as JSON; `dose_of_level` gives the dose of a level when the body measurements are known.
pub fn schedule_json(schedule: &Schedule, dose_of_level: &dyn Fn(&str) -> Option<Value>) -> Value {
    let mut out = Map::new();
    out.insert("regimen".into(), json!(schedule.regimen.id));
    out.insert("schedule".into(), json!(schedule.regimen.schedule_text));
    if let Some(first) = schedule.slots.first() {
        out.insert("time_zone".into(), json!(zone_name(&first.at)));
    }
    out.insert("doses".into(), json!(schedule.slots.len()));
    if schedule.regimen.route == Route::IntravenousInfusion {
        out.insert("interval_hours".into(), json!(8));
        out.insert("max_doses_per_cycle".into(), json!(high_dose::MAX_DOSES_PER_CYCLE));
        out.insert("max_doses_per_course".into(), json!(high_dose::MAX_DOSES_PER_COURSE));
    }
    let slots: Vec<Value> = schedule.slots.iter().map(|slot| slot_json(slot, dose_of_level)).collect();
    out.insert("slots".into(), Value::Array(slots));
    if !schedule.reserve_slots.is_empty() {
        let reserve: Vec<Value> = schedule.reserve_slots.iter().map(|slot| slot_json(slot, dose_of_level)).collect();
        out.insert("reserve_slots".into(), Value::Array(reserve));
        out.insert(
            "reserve_slots_note".into(),
            json!("the 15th slot of a 5-day window may be used only when an earlier slot of that cycle was held; held slots do not count toward 14 [LABEL-2024 T1; DOSING §4]"),
        );
    }
    out.insert("source".into(), json!(schedule.regimen.source.0));
    out.insert("disclaimer".into(), json!(CLINICIAN_DISCLAIMER));
    Value::Object(out)
}

/// A volume rounded for display, as text (`2.67 mL`).
pub fn volume_text(volume: Millilitres) -> String {
    format!("{} mL", round_for_display(volume.value(), 2))
}
