//! `il2care education`: the patient education sheet as text (default) or as printable HTML (`--html`,
//! optionally `--output FILE`), for a patient (`--patient-name`, `--printed-on`), a regimen (`--regimen`: its
//! indication chooses what the sheet says the medicine is for) and the site's numbers (`--emergency-number`,
//! `--care-line`, `--office-line`); and `--readability` for the reading grade of every text.
//!
//! Glue only: every sentence comes from `il2care_content`; nothing here writes patient text.

use std::fmt::Write as _;

use anyhow::Context;
use il2care_content::{Language, SheetOptions, SiteNumbers, readability};

use il2care_core::regimens::Indication;

use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Write the sheet as a printable HTML page (A4 or Letter) instead of text.
    #[arg(long)]
    html: bool,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<String>,
    /// Print the Flesch-Kincaid reading grade of every advice topic, message and sheet section instead.
    #[arg(long, conflicts_with = "html")]
    readability: bool,
    /// The patient's name, printed on every page (a line to write it on when absent).
    #[arg(long, value_name = "NAME")]
    patient_name: Option<String>,
    /// The date printed, as it should read (for example 2026-12-04); nothing reads the clock.
    #[arg(long, value_name = "DATE")]
    printed_on: Option<String>,
    /// The patient's regimen id: cancer and immune-condition regimens explain the medicine differently. Without
    /// it the sheet names no illness.
    #[arg(long, value_name = "ID")]
    regimen: Option<String>,
    /// The site's emergency number.
    #[arg(long, value_name = "NUMBER", default_value = "911")]
    emergency_number: String,
    /// The care team's 24-hour line.
    #[arg(long, value_name = "NUMBER")]
    care_line: Option<String>,
    /// The care team's office line.
    #[arg(long, value_name = "NUMBER")]
    office_line: Option<String>,
    /// The language of the sheet: `en` or `es`.
    #[arg(long, value_name = "LANG", default_value = "en")]
    language: String,
}

pub fn run(args: Args) -> Outcome {
    let indication = match &args.regimen {
        None => None,
        Some(id) => Some(
            il2care_core::regimens::regimen(id)
                .ok_or_else(|| {
                    il2care_core::Refusal::new(
                        "regimen",
                        format!("unknown regimen `{id}`; one of: {}", il2care_core::regimens::regimen_ids()),
                    )
                })?
                .indication,
        ),
    };
    let options = SheetOptions {
        patient_name: args.patient_name.clone(),
        printed_on: args.printed_on.clone(),
        indication,
        numbers: SiteNumbers {
            emergency: args.emergency_number.clone(),
            line_24h: args.care_line.clone(),
            office: args.office_line.clone(),
        },
        language: crate::triage::language(&args.language)?,
    };
    let text = if args.readability {
        grades()
    } else if args.html {
        il2care_content::sheet_html_for(&options)
    } else {
        il2care_content::sheet_text_for(&options)
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {path}"))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// One line per text: its kind, id and grade (English, Flesch-Kincaid), then the Spanish texts with their
/// Fernández-Huerta reading ease (60 or above is the counterpart of grade 8).
fn grades() -> String {
    let mut out = String::from("kind     id                                grade\n");
    let mut line = |kind: &str, id: &str, text: &str| {
        let _ = writeln!(out, "{kind:<8} {id:<33} {:>5.1}", readability::grade(text));
    };
    for advice in il2care_content::advice_topics() {
        line("advice", advice.entry.id, &advice.entry.plain_text());
    }
    for id in [
        "self_care",
        "call_today",
        "call_now",
        "emergency",
        "incomplete",
        "unanswered",
        "hold-next-shot",
        "emergency-box",
        "disclaimer",
    ] {
        if let Some(message) = il2care_content::message(id) {
            line("message", id, &message.plain_text());
        }
    }
    let sections = [None, Some(Indication::Cancer), Some(Indication::ImmuneCondition)]
        .into_iter()
        .flat_map(|indication| il2care_content::sheet_for(indication, &SiteNumbers::default()).into_iter().take(1));
    for (index, section) in sections.enumerate() {
        let text: String = section.entries.iter().map(|entry| entry.plain_text()).collect();
        let version = ["general", "cancer", "immune"][index];
        line("sheet", &format!("{} ({version})", section.title), &text);
    }
    for section in il2care_content::sheet().into_iter().skip(1) {
        let text: String = section.entries.iter().map(|entry| entry.plain_text()).collect();
        line("sheet", section.title, &text);
    }
    let _ = writeln!(out, "\nSpanish (es)                               ease");
    let numbers = SiteNumbers::default();
    let mut ease = |kind: &str, id: &str, text: &str| {
        let _ = writeln!(out, "{kind:<8} {id:<33} {:>5.1}", readability::fernandez_huerta(text));
    };
    for advice in il2care_content::advice_topics_in(Language::Spanish, &numbers) {
        ease("advice", advice.entry.id, &advice.entry.plain_text());
    }
    for id in ["self_care", "call_today", "call_now", "emergency", "incomplete", "hold-next-shot", "emergency-box"] {
        if let Some(message) = il2care_content::message_in(Language::Spanish, id, &numbers) {
            ease("message", id, &message.plain_text());
        }
    }
    for section in il2care_content::sheet_in(Language::Spanish, None, &numbers) {
        let text: String = section.entries.iter().map(|entry| entry.plain_text()).collect();
        ease("sheet", section.title, &text);
    }
    out
}
