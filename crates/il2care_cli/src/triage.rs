//! `il2care triage FILE|-`: triages a patient's check-in document and prints the result, action first, or
//! the result JSON with `--json`.
//!
//! Glue only: the wire crate parses and renders, the core decides (`il2care_core::triage`), the content crate
//! supplies every patient-facing sentence. A refused document exits 2 with the item named.

use std::fmt::Write as _;

use il2care_core::triage::{Fired, TriageResult, triage};
use il2care_wire::checkin::{parse_checkin, result_json};
use serde_json::Value;

use crate::Outcome;
use crate::input::read_document;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The check-in document (JSON, see docs/triage.md), or - for standard input.
    pub file: String,
    /// Print the result JSON instead of the readable summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Outcome {
    let text = read_document(&args.file)?;
    let checkin = parse_checkin(&text)?;
    let result = triage(&checkin);
    if args.json {
        let rendered = serde_json::to_string_pretty(&json(&result)).map_err(anyhow::Error::from)?;
        println!("{rendered}");
    } else {
        print!("{}", summary(&result));
    }
    Ok(())
}

/// The result JSON with two extra fields: `message` (what to do, action first) and `disclaimer`.
pub fn json(result: &TriageResult) -> Value {
    let mut value = result_json(result);
    if let Value::Object(object) = &mut value {
        let message =
            il2care_content::message(result.level.id()).map(|entry| entry.plain_text().trim_end().to_string());
        object.insert("message".into(), Value::from(message.unwrap_or_default()));
        object.insert("disclaimer".into(), Value::from(il2care_content::disclaimer().plain_text().trim_end()));
    }
    value
}

/// The readable summary: the action in capitals, why, what was not answered, the advice, the disclaimer.
fn summary(result: &TriageResult) -> String {
    let mut out = String::new();
    let level = result.level.id();
    if let Some(message) = il2care_content::message(level) {
        let _ = writeln!(out, "{}", message.headline().to_uppercase());
        for line in message.plain_text().lines().skip(1) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "\nLevel: {level}");

    let mut fired: Vec<&Fired> = result.fired.iter().collect();
    fired.sort_by_key(|entry| std::cmp::Reverse(entry.level()));
    if fired.is_empty() {
        let _ = writeln!(out, "No rule matched your answers.");
    } else {
        let _ = writeln!(out, "Why:");
        for entry in fired {
            let _ = writeln!(
                out,
                "  - {}: {} -> {} ({}, {}; source {})",
                entry.item_ids(),
                entry.answer,
                entry.level(),
                entry.rule.id(),
                entry.rule.row(),
                entry.rule.source()
            );
        }
    }

    if !result.unanswered.is_empty() {
        let _ = writeln!(out, "\nNot answered:");
        for item in &result.unanswered {
            let _ = writeln!(out, "  - {} ({})", item.question(), item.id());
        }
        if let Some(note) = il2care_content::message("unanswered") {
            let _ = write!(out, "{}", note.plain_text());
        }
    }

    for topic in &result.advice {
        if let Some(advice) = il2care_content::advice(topic.id()) {
            let _ = writeln!(out, "\n{}", advice.title);
            let _ = write!(out, "{}", advice.entry.plain_text());
        }
    }
    let _ = write!(out, "\n{}", il2care_content::disclaimer().plain_text());
    out
}
