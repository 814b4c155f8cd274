//! `il2care education`: the patient education sheet as text (default) or as printable HTML (`--html`,
//! optionally `--output FILE`), and `--readability` for the reading grade of every text.
//!
//! Glue only: every sentence comes from `il2care_content`; nothing here writes patient text.

use std::fmt::Write as _;

use anyhow::Context;
use il2care_content::readability;

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
}

pub fn run(args: Args) -> Outcome {
    let text = if args.readability {
        grades()
    } else if args.html {
        il2care_content::sheet_html()
    } else {
        il2care_content::sheet_text()
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {path}"))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// One line per text: its kind, id and grade.
fn grades() -> String {
    let mut out = String::from("kind     id                                grade\n");
    let mut line = |kind: &str, id: &str, text: &str| {
        let _ = writeln!(out, "{kind:<8} {id:<33} {:>5.1}", readability::grade(text));
    };
    for advice in il2care_content::advice_topics() {
        line("advice", advice.entry.id, &advice.entry.plain_text());
    }
    for id in ["self_care", "call_today", "call_now", "emergency", "unanswered", "disclaimer"] {
        if let Some(message) = il2care_content::message(id) {
            line("message", id, &message.plain_text());
        }
    }
    for section in il2care_content::sheet() {
        let text: String = section.entries.iter().map(|entry| entry.plain_text()).collect();
        line("sheet", section.title, &text);
    }
    out
}
