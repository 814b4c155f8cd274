//! Content checks: every file parses, every entry cites known sources, every advice topic and every fact of
//! EDUCATION.md is present, advice stays at or under reading grade 8, and the sheet renders. Test code only.

use super::*;

/// The advice topic ids of TRIAGE.md "Advice topics".
const ADVICE_TOPICS: [&str; 17] = [
    "fever",
    "flu_like",
    "infection",
    "breathing",
    "capillary_leak",
    "nausea",
    "diarrhea",
    "skin",
    "bleeding",
    "liver",
    "kidney",
    "mouth",
    "neuro",
    "fatigue",
    "nutrition",
    "injection_site",
    "pregnancy",
];

/// Every fact id of EDUCATION.md sections 1 to 5, in order (section 6 is the disclaimer), plus
/// `se.infection-tips`, the note that the full infection-prevention list awaits clinical review [PRODUCT].
const EDUCATION_FACTS: [&str; 43] = [
    "about.pronunciation",
    "about.class",
    "about.what-it-is",
    "about.how-it-works",
    "about.used-for",
    "about.two-ways",
    "about.hospital-course",
    "about.dose-by-size",
    "about.premedication",
    "about.side-effects-stronger-iv",
    "about.side-effects-reversible",
    "before.heart-lung",
    "before.other-tests",
    "before.all-medicines",
    "before.blood-pressure-medicines",
    "before.infection",
    "contrast.tell-imaging",
    "se.capillary-leak",
    "se.infection",
    "se.infusion-reaction",
    "se.flushing-rash-iv",
    "se.flu-like",
    "se.diarrhea",
    "se.nausea-vomiting",
    "se.skin",
    "se.liver",
    "se.low-platelets",
    "se.low-red-cells",
    "se.kidney",
    "se.fatigue",
    "se.appetite-nutrition",
    "se.mouth-sores",
    "se.mental-changes",
    "se.infection-tips",
    "pregnancy.risk",
    "pregnancy.birth-control",
    "pregnancy.still-fertile",
    "breastfeeding",
    "home.storage",
    "home.48h",
    "home.no-shaking",
    "home.missed-dose",
    "home.log",
];

/// The highest reading grade an advice topic may have (EDUCATION.md "Writing rules": grade 6 to 8).
const MAX_ADVICE_GRADE: f64 = 8.0;

fn every_file() -> Vec<(&'static str, &'static str)> {
    ADVICE_FILES.iter().chain(SHEET_FILES.iter()).chain([&MESSAGES_FILE, &INJECTIONS_FILE]).copied().collect()
}

#[test]
fn every_content_file_parses_and_every_entry_cites_known_sources() {
    for (file, text) in every_file() {
        let document = parse(file, text).unwrap_or_else(|error| panic!("{error}"));
        for entry in &document.entries {
            assert!(entry.source.is_known(), "{file}: {} cites `{}`", entry.id, entry.source);
        }
    }
}

#[test]
fn the_format_refuses_text_without_an_entry_and_entries_without_sources() {
    assert_eq!(parse("t", "# T\ntext").unwrap_err().reason, "text before the first `## id [SOURCES]`");
    assert_eq!(parse("t", "# T\n## id\ntext").unwrap_err().reason, "an entry needs `## id [SOURCES]`");
    assert_eq!(parse("t", "## id [EDU]\ntext").unwrap_err().reason, "the file needs a `# Title`");
    let document = parse("t", "<!-- note\nmore -->\n# T\n## a [EDU]\nOne\ntwo.\n\n- x\n- y\n").unwrap();
    let blocks = vec![Block::Paragraph("One two.".into()), Block::Bullets(vec!["x".into(), "y".into()])];
    assert_eq!(document.entries, [Entry { id: "a", source: Source("EDU"), blocks }]);
}

#[test]
fn there_is_one_advice_topic_per_triage_topic_and_its_file_holds_it() {
    let topics = advice_topics();
    let ids: Vec<&str> = topics.iter().map(|advice| advice.entry.id).collect();
    assert_eq!(ids, ADVICE_TOPICS);
    for (file_id, text) in ADVICE_FILES {
        assert_eq!(parse(file_id, text).unwrap().entries.len(), 1, "{file_id} holds one topic");
    }
    for topic in il2care_core::triage::AdviceTopic::ALL {
        assert!(advice(topic.id()).is_some(), "{topic:?} has no advice text");
    }
}

#[test]
fn every_advice_topic_reads_at_or_under_grade_eight() {
    for advice in advice_topics() {
        let grade = readability::grade(&advice.entry.plain_text());
        assert!(grade <= MAX_ADVICE_GRADE, "{}: grade {grade:.1}", advice.entry.id);
    }
}

#[test]
fn every_message_reads_at_or_under_grade_eight_and_acts_first() {
    for id in ["self_care", "call_today", "call_now", "emergency", "unanswered", "disclaimer"] {
        let entry = message(id).unwrap_or_else(|| panic!("no message {id}"));
        let grade = readability::grade(&entry.plain_text());
        assert!(grade <= MAX_ADVICE_GRADE, "{id}: grade {grade:.1}");
    }
    assert!(message("call_now").unwrap().headline().starts_with("Call your care team now"));
    assert!(message("emergency").unwrap().headline().starts_with("Call emergency services now"));
}

#[test]
fn the_sheet_covers_every_education_fact_in_order() {
    let ids: Vec<&str> = sheet().iter().flat_map(|section| section.entries.iter().map(|entry| entry.id)).collect();
    assert_eq!(ids, EDUCATION_FACTS);
}

#[test]
fn the_sheet_names_interleukin_2_first_then_aldesleukin_and_ends_with_the_disclaimer() {
    let text = sheet_text();
    let lower = text.to_lowercase();
    let il2 = lower.find("interleukin-2 (il-2)").unwrap();
    let aldesleukin = lower.find("aldesleukin (proleukin)").unwrap();
    assert!(il2 < aldesleukin);
    assert!(text.trim_end().ends_with(disclaimer().plain_text().trim_end()));
    assert!(!text.contains("**"), "markup must not reach the text sheet");
}

#[test]
fn the_html_sheet_is_printable_on_a4_and_letter() {
    let html = sheet_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("@page { margin:"), "print margins");
    assert!(!html.contains("size: A4") && !html.contains("size: letter"), "no fixed paper size");
    assert!(html.contains("page-break-inside: avoid") && html.contains("page-break-after: avoid"));
    for width in html.match_indices("width:").map(|(at, _)| &html[at..at + 20]) {
        assert!(!width.contains("px") && !width.contains("mm") && !width.contains("cm"), "fixed width: {width}");
    }
    assert!(html.contains("<strong>Leaky blood vessels (capillary leak).</strong>"));
    assert_eq!(html.matches("<section>").count(), SHEET_FILES.len());
    assert!(html.contains("class=\"disclaimer\""));
}

#[test]
fn html_escaping_keeps_text_as_text() {
    assert_eq!(inline_html("a < b & **c**"), "a &lt; b &amp; <strong>c</strong>");
}

#[test]
fn every_check_in_question_reads_at_or_under_grade_eight() {
    for item in il2care_core::triage::QUESTIONNAIRE {
        let grade = readability::grade(item.question());
        assert!(grade <= MAX_ADVICE_GRADE, "{}: grade {grade:.1}: {}", item.id(), item.question());
    }
}

#[test]
fn every_fact_of_the_sheet_reads_at_or_under_grade_eight() {
    let mut too_hard = Vec::new();
    for section in sheet() {
        for entry in &section.entries {
            let grade = readability::grade(&entry.plain_text());
            if grade > MAX_ADVICE_GRADE {
                too_hard.push(format!("{}: grade {grade:.1}", entry.id));
            }
        }
    }
    assert!(too_hard.is_empty(), "{too_hard:#?}");
}

#[test]
fn every_injection_log_text_is_there_and_reads_at_or_under_grade_eight() {
    for id in ["injections.intro", "injections.never-double", "injections.skipped", "injections.already-logged"] {
        let entry = injection_text(id).unwrap_or_else(|| panic!("no injection log text {id}"));
        let grade = readability::grade(&entry.plain_text());
        assert!(grade <= MAX_ADVICE_GRADE, "{id}: grade {grade:.1}");
    }
    assert!(injection_text("injections.never-double").unwrap().plain_text().contains("Never take two shots"));
}
