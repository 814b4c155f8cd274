//! `il2care triage FILE|-`: triages a patient's check-in document and prints the result, action first, or
//! the result JSON with `--json`.
//!
//! Glue only: the wire crate parses and renders, the core decides (`il2care_core::triage`), the content crate
//! supplies every patient-facing sentence. A refused document exits 2 with the item named.

use std::fmt::Write as _;

use il2care_content::{Language, SiteNumbers};
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
    /// The language of the patient texts (message, questions, advice): `en` or `es`.
    #[arg(long, value_name = "LANG", default_value = "en")]
    language: String,
}

pub fn run(args: Args) -> Outcome {
    let language = language(&args.language)?;
    let text = read_document(&args.file)?;
    let checkin = parse_checkin(&text)?;
    let result = triage(&checkin);
    if args.json {
        let rendered = serde_json::to_string_pretty(&json(&result, language)).map_err(anyhow::Error::from)?;
        println!("{rendered}");
    } else {
        print!("{}", summary(&result, language));
    }
    Ok(())
}

/// The language of `--language`, refused when it is not one il2care has texts for.
pub fn language(id: &str) -> Result<Language, il2care_core::Refusal> {
    Language::from_id(id).ok_or_else(|| il2care_core::Refusal::new("language", format!("`{id}` is not `en` or `es`")))
}

/// The message chosen for the result (never the self-care reassurance for an incomplete check-in), with the
/// default site numbers: the command line has no site settings.
fn chosen_message(result: &TriageResult, language: Language) -> il2care_content::ResultMessage {
    il2care_content::result_message_in(language, result.level, &result.unanswered, &SiteNumbers::default())
}

/// The result JSON with two extra fields: `message` (what to do, action first) and `disclaimer`.
pub fn json(result: &TriageResult, language: Language) -> Value {
    let mut value = result_json(result);
    if let Value::Object(object) = &mut value {
        let message = chosen_message(result, language).plain_text().trim_end().to_string();
        object.insert("message".into(), Value::from(message));
        let disclaimer = il2care_content::disclaimer_in(language).plain_text();
        object.insert("disclaimer".into(), Value::from(disclaimer.trim_end()));
    }
    value
}

/// The readable summary: the action in capitals, why, what was not answered, the advice, the disclaimer. An
/// incomplete check-in says so on the level line and never gets the self-care reassurance.
fn summary(result: &TriageResult, language: Language) -> String {
    let mut out = String::new();
    let level = result.level.id();
    let message = chosen_message(result, language);
    let _ = writeln!(out, "{}", message.headline.to_uppercase());
    for line in message.plain_text().lines().skip(1) {
        let _ = writeln!(out, "{line}");
    }
    if result.complete {
        let _ = writeln!(out, "\nLevel: {level}");
    } else {
        let _ =
            writeln!(out, "\nLevel: {level} (INCOMPLETE: {} key question(s) not answered)", result.unanswered.len());
    }

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
            let _ = writeln!(out, "  - {} ({})", il2care_content::question(language, *item), item.id());
        }
    }

    for topic in &result.advice {
        if let Some(advice) = il2care_content::advice_in(language, topic.id(), &SiteNumbers::default()) {
            let _ = writeln!(out, "\n{}", advice.title);
            let _ = write!(out, "{}", advice.entry.plain_text());
        }
    }
    let _ = write!(out, "\n{}", il2care_content::disclaimer_in(language).plain_text());
    out
}
