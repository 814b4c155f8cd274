//! `il2care screen FILE|-`: pre-treatment screening of a screening document, as a readable summary or JSON.
//!
//! Reading and printing only: the document is parsed by the wire crate (refused with the field named), the
//! checklist, interactions, contrast flag and premedication plan are the core's (`il2care_core::screening`).

use il2care_core::screening::premedication::PLAN_NOTICE;
use il2care_core::screening::{ScreeningResult, Status, screen};
use il2care_core::units::round_for_display;
use il2care_wire::dosing::CLINICIAN_DISCLAIMER;
use il2care_wire::screening::{parse_screening, result_json};

use crate::Outcome;
use crate::input::read_document;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The screening document (JSON), or - to read it from standard input.
    pub file: String,
    /// Print the result JSON instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Outcome {
    let text = read_document(&args.file)?;
    let input = parse_screening(&text)?;
    let result = screen(&input);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result_json(&result)).expect("JSON values always serialize"));
    } else {
        print!("{}", summary(&result));
    }
    Ok(())
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::NeedsReview => "NEEDS REVIEW",
        Status::Fail => "FAIL",
        Status::NotApplicable => "not applicable",
    }
}

/// The readable summary an oncologist and a pharmacist go through before the first dose.
fn summary(result: &ScreeningResult) -> String {
    let mut text = format!("Pre-treatment screening for {} at {}\n", result.regimen.id, result.at);
    text += &format!("Overall: {}", status_word(result.status));
    text += match result.status {
        Status::Fail => " (treatment must not start unless a physician records an override with a reason)\n",
        Status::NeedsReview => " (a physician must acknowledge each item that needs review)\n",
        Status::Pass | Status::NotApplicable => "\n",
    };
    text += "\nChecklist\n";
    for item in &result.items {
        text += &format!(
            "  {:>2}. {:<34} {:<14} [{}]\n",
            item.item.number(),
            item.item.title(),
            status_word(item.status),
            item.item.source()
        );
        for reason in &item.reasons {
            text += &format!("        - {reason}\n");
        }
        if let Some(until) = item.valid_until {
            text += &format!("        valid until {until}\n");
        }
    }
    let report = &result.interactions;
    text += "\nMedication list\n";
    if !report.provided {
        text += "  not provided\n";
    }
    for hit in &report.interactions {
        text += &format!(
            "  {} -> {}: {} [{}]\n        effect: {}\n        action: {}\n        source: {}\n",
            hit.medication,
            hit.matched_as,
            hit.class.title(),
            hit.level.id(),
            hit.effect,
            hit.action,
            hit.source
        );
        if let Some(note) = hit.note {
            text += &format!("        note: {note}\n");
        }
    }
    for entry in &report.information {
        text += &format!(
            "  {} -> {}: {} [{}]\n",
            entry.medication,
            entry.matched_as,
            entry.kind.note(),
            entry.kind.source()
        );
    }
    for (medication, matched_as) in &report.no_interaction {
        text += &format!("  {medication} -> {matched_as}: no interaction rule\n");
    }
    if !report.unrecognised.is_empty() {
        text += &format!("  UNRECOGNISED (check by hand): {}\n", report.unrecognised.join("; "));
    }
    if !result.contrast.is_empty() {
        text += "\nContrast notices (lasting flag: interleukin-2 given before the study)\n";
        for notice in &result.contrast {
            text += &format!("  {} {}: {}\n", notice.level.id().to_uppercase(), notice.involves, notice.message);
            text += &format!("        contrast at {}", notice.contrast_at);
            match (notice.last_dose_at, notice.window_ends_at) {
                (Some(last), Some(end)) => text += &format!("; last IL-2 dose {last}; 14 days end {end}"),
                _ => text += "; last IL-2 dose date unknown",
            }
            text += &format!(" [{}]\n", notice.source);
        }
    }
    if let Some(plan) = &result.premedication {
        text += &format!("\nPremedication and supportive care ({PLAN_NOTICE})\n");
        for row in plan.rows {
            text += &format!("  {}: {} [{}]\n", row.need, row.typical, row.source);
            if !row.variations.is_empty() {
                text += &format!("        variations: {}\n", row.variations);
            }
        }
        for dose in &plan.computed {
            match dose.capped_by {
                None => {
                    text += &format!(
                        "  computed: {} {} mg/kg x {} kg = {} mg {} [{}]\n",
                        dose.per_kilogram.drug,
                        dose.per_kilogram.milligrams_per_kilogram.normalize(),
                        round_for_display(dose.weight.value(), 3).normalize(),
                        round_for_display(dose.dose.value(), 1).normalize(),
                        dose.per_kilogram.timing,
                        dose.source
                    )
                }
                Some(cap) => {
                    text += &format!(
                        "  computed: {} {} mg/kg x {} kg = {} mg, capped: {} mg {}: {} [{}]\n",
                        dose.per_kilogram.drug,
                        dose.per_kilogram.milligrams_per_kilogram.normalize(),
                        round_for_display(dose.weight.value(), 3).normalize(),
                        round_for_display(dose.uncapped.value(), 1).normalize(),
                        round_for_display(dose.dose.value(), 1).normalize(),
                        dose.per_kilogram.timing,
                        cap.text,
                        cap.source
                    )
                }
            }
        }
        for need in &plan.needs_weight {
            text += &format!("  {need}: give patient.weight to compute the weight-based dose\n");
        }
    }
    text += &format!("\n{CLINICIAN_DISCLAIMER}\n");
    text
}
