//! `il2care assess FILE|-`: the per-dose decision for a high-dose IV assessment document, printed as a
//! readable summary (decision first, then the reasons with values and sources, then what to measure) or as
//! the result JSON with `--json`.
//!
//! Glue only: the wire crate parses and renders, the core decides (`il2care_core::assessment`). A refused
//! document exits 2 with the field named.

use std::fmt::Write as _;

use il2care_core::assessment::assess;
use il2care_wire::assessment::{parse_assessment, result_json};
use serde_json::Value;

use crate::Outcome;
use crate::input::read_document;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The assessment document (JSON, see docs/assessment.md), or - for standard input.
    pub file: String,
    /// Print the result JSON instead of the readable summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Outcome {
    let text = read_document(&args.file)?;
    let document = parse_assessment(&text)?;
    let evaluation = assess(&document.assessment, &document.parameters);
    let result = result_json(&evaluation);
    if args.json {
        let rendered = serde_json::to_string_pretty(&result).map_err(anyhow::Error::from)?;
        println!("{rendered}");
    } else {
        print!("{}", summary(&result));
    }
    Ok(())
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(object) if object.contains_key("unit") => {
            format!("{} {}", text(&object["value"]), text(&object["unit"]))
        }
        Value::Null => "unknown".to_string(),
        other => other.to_string(),
    }
}

/// One piece of evidence in words: `systolic_bp 86 mm[Hg] at 2026-11-27T15:40:00Z`.
fn evidence(item: &Value) -> String {
    let mut out = text(&item["code"]);
    if let Some(value) = item.get("value") {
        let _ = write!(out, " {}", text(value));
    }
    if let Some(at) = item.get("at") {
        let _ = write!(out, " at {}", text(at));
    }
    if let (Some(start), Some(end)) = (item.get("start"), item.get("end")) {
        let _ = write!(out, " from {} to {}", text(start), text(end));
    }
    if item.get("implied_by_findings_reviewed").is_some() {
        out.push_str(" (not listed; findings reviewed)");
    }
    out
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The readable summary: decision, position in the course, reasons, pending holds, what to measure, grades.
fn summary(result: &Value) -> String {
    let mut out = String::new();
    let decision = text(&result["decision"]);
    let _ = writeln!(out, "DECISION: {}", decision.replace('_', " ").to_uppercase());
    let position = match (result["cycle"].as_u64(), result["slot"].as_u64()) {
        (Some(cycle), Some(slot)) => format!("cycle {cycle}, day {}, slot {slot}", text(&result["cycle_day"])),
        _ => format!("outside the cycle windows (cycle day {})", text(&result["cycle_day"])),
    };
    let _ = writeln!(
        out,
        "Rule set {} ({}) at {}; {position}; doses given: {} this cycle, {} this course.",
        text(&result["rule_set"]),
        text(&result["rule_set_version"]),
        text(&result["evaluated_at"]),
        text(&result["doses_given_cycle"]),
        text(&result["doses_given_course"]),
    );
    if let Some(flag) = result.get("sets_patient_flag") {
        let _ = writeln!(out, "Sets the lasting patient flag {}.", text(flag));
    }
    let fired = list(&result["fired"]);
    if !fired.is_empty() {
        out.push_str("\nWhy:\n");
        for rule in fired {
            let values: Vec<String> = list(&rule["evidence"]).iter().map(evidence).collect();
            let _ = writeln!(
                out,
                "  - {} ({}): {}\n    fires when {} [{}]",
                text(&rule["id"]),
                text(&rule["action"]).replace('_', " "),
                values.join("; "),
                text(&rule["threshold"]),
                text(&rule["source"]),
            );
            if let Some(resume) = rule.get("resume_when") {
                let _ = writeln!(out, "    resume when {}", text(resume));
            }
        }
    }
    let pending = list(&result["resume_pending"]);
    if !pending.is_empty() {
        out.push_str("\nHolds from the previous slot still waiting to resume:\n");
        for rule in pending {
            let _ = writeln!(
                out,
                "  - {}: resume when {} [{}]",
                text(&rule["id"]),
                text(&rule["resume_when"]),
                text(&rule["source"])
            );
        }
    }
    let ignored = list(&result["pending_ignored"]);
    if !ignored.is_empty() {
        let ids: Vec<String> = ignored.iter().map(text).collect();
        let _ = writeln!(out, "\nPending holds not run by this rule set (ignored): {}", ids.join(", "));
    }
    let not_evaluated = list(&result["not_evaluated"]);
    let to_measure = list(&result["to_measure"]);
    if !to_measure.is_empty() {
        out.push_str("\nTo measure or answer, then reassess:\n");
        for input in to_measure {
            let entries: Vec<&Value> = not_evaluated.iter().filter(|entry| entry["missing"] == *input).collect();
            let reason =
                entries.first().map(|entry| text(&entry["reason"])).unwrap_or_else(|| "needed to resume a hold".into());
            let age = entries
                .first()
                .and_then(|entry| entry["max_age_hours"].as_u64().map(|h| format!("; at most {h} h old")));
            let rules: Vec<String> = entries.iter().map(|entry| text(&entry["id"])).collect();
            let for_rules = if rules.is_empty() { String::new() } else { format!(" (for {})", rules.join(", ")) };
            let _ = writeln!(out, "  - {} — {reason}{}{for_rules}", text(input), age.unwrap_or_default());
        }
    }
    let grades = list(&result["grades"]);
    if !grades.is_empty() {
        out.push_str("\nCTCAE v5.0 grades (information only):\n");
        for grade in grades {
            let value = match grade["grade"].as_u64() {
                Some(grade) => format!("grade {grade}"),
                None => format!("not graded ({})", text(&grade["not_graded"])),
            };
            let markers: Vec<String> = list(&grade["markers"]).iter().map(text).collect();
            let markers = if markers.is_empty() { String::new() } else { format!("; {}", markers.join(", ")) };
            let _ = writeln!(out, "  - {}: {value} ({}{markers})", text(&grade["term"]), text(&grade["value"]));
        }
    }
    let _ = writeln!(out, "\n{}", text(&result["disclaimer"]));
    out
}
