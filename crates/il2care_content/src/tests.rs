//! Content checks: every file parses, every entry cites known sources, every advice topic and every fact of
//! EDUCATION.md is present, advice stays at or under reading grade 8, and the sheet renders. Test code only.

use il2care_core::triage::{Item, Level, Rule};

use super::*;

/// The advice topic ids of TRIAGE.md "Advice topics".
const ADVICE_TOPICS: [&str; 18] = [
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
    "heart",
];

/// Every fact id of EDUCATION.md sections 1 to 5, in order (section 6 is the disclaimer), plus the topics of
/// the amendment of 2026-12-04: `se.heart` (6), `infection.prevention` (4) and `home.hold-next-shot` (5).
const EDUCATION_FACTS: [&str; 45] = [
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
    "se.heart",
    "infection.prevention",
    "pregnancy.risk",
    "pregnancy.birth-control",
    "pregnancy.still-fertile",
    "breastfeeding",
    "home.storage",
    "home.48h",
    "home.no-shaking",
    "home.missed-dose",
    "home.log",
    "home.hold-next-shot",
];

/// The highest reading grade an advice topic may have (EDUCATION.md "Writing rules": grade 6 to 8).
const MAX_ADVICE_GRADE: f64 = 8.0;

fn every_file() -> Vec<(&'static str, &'static str)> {
    ADVICE_FILES
        .iter()
        .chain(SHEET_FILES.iter())
        .chain([&MESSAGES_FILE, &INJECTIONS_FILE, &PAGES_FILE])
        .copied()
        .collect()
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

/// Every message a patient can see, by id.
const MESSAGES: [&str; 13] = [
    "self_care",
    "call_today",
    "call_now",
    "emergency",
    "incomplete",
    "unanswered",
    "unanswered.temperature",
    "unanswered.short_of_breath",
    "unanswered.fluids_not_kept_down_hours",
    "hold-next-shot",
    "emergency-box",
    "care-team-lines",
    "disclaimer",
];

#[test]
fn every_message_reads_at_or_under_grade_eight_and_acts_first() {
    for id in MESSAGES {
        let entry = message(id).unwrap_or_else(|| panic!("no message {id}"));
        let grade = readability::grade(&entry.plain_text());
        assert!(grade <= MAX_ADVICE_GRADE, "{id}: grade {grade:.1}");
    }
    assert!(message("call_now").unwrap().headline().starts_with("Call your care team now"));
    // TRIAGE.md amendment 5: the emergency wording, with the default emergency number.
    assert_eq!(message("emergency").unwrap().headline(), "Call 911 now. Do not drive yourself.");
    assert!(
        message("call_today")
            .unwrap()
            .plain_text()
            .contains("If the office is closed (evenings, weekends, holidays), call the 24-hour line.")
    );
}

#[test]
fn the_site_numbers_fill_the_texts_and_the_texts_read_well_without_them() {
    let numbers =
        SiteNumbers { emergency: "112".into(), line_24h: Some("555-0100".into()), office: Some("555-0199".into()) };
    assert_eq!(message_with("emergency", &numbers).unwrap().headline(), "Call 112 now. Do not drive yourself.");
    let today = message_with("call_today", &numbers).unwrap().plain_text();
    assert!(today.contains("call the 24-hour line (555-0100)."), "{today}");
    let now = message("call_now").unwrap().headline();
    assert_eq!(now, "Call your care team now on the 24-hour line, day or night.");
    assert_eq!(numbers.fill("{office}"), "the office (555-0199)");
    let blank = SiteNumbers { line_24h: Some("  ".into()), ..SiteNumbers::default() };
    assert_eq!(blank.fill("call {line24}."), "call the 24-hour line.");
    let heart = advice_with("heart", &numbers).unwrap().entry.plain_text();
    assert!(heart.contains("call 112 now") && heart.contains("(555-0100)"), "{heart}");
}

fn result(level: Level, unanswered: &[Item]) -> ResultMessage {
    result_message(level, unanswered, &SiteNumbers::default())
}

#[test]
fn an_incomplete_check_in_at_self_care_is_never_reassured() {
    let reassurance = message("self_care").unwrap().headline();
    let missing = [Item::Temperature, Item::FluidsNotKeptDownHours];
    let incomplete = result(Level::SelfCare, &missing);
    assert_eq!(incomplete.id, "incomplete");
    let text = incomplete.plain_text();
    assert!(!text.contains(&reassurance), "{text}");
    assert!(!text.contains("look after yourself at home"), "{text}");
    assert!(text.contains("Your temperature, or if you feel hot or feverish"), "names the question: {text}");
    assert!(text.contains("How long since you could keep a drink down"), "names the question: {text}");
    assert!(!text.contains("short of breath\n"), "names only what is missing: {text}");
    assert!(text.contains("If you feel unwell, call the 24-hour line now"), "{text}");
    for item in il2care_core::triage::CORE_ITEMS {
        assert_eq!(result(Level::SelfCare, &[item]).id, "incomplete", "{item}");
    }
    let complete = result(Level::SelfCare, &[]);
    assert_eq!((complete.id, complete.headline.as_str()), ("self_care", reassurance.as_str()));
}

#[test]
fn every_level_and_completeness_gets_a_message_that_fits() {
    for level in Level::ALL {
        for unanswered in [&[][..], &[Item::ShortOfBreath][..]] {
            let chosen = result(level, unanswered);
            let text = chosen.plain_text();
            assert!(editorial_marker(&text).is_none(), "{level}: {text}");
            if level > Level::SelfCare {
                assert_eq!(chosen.id, level.id());
                assert_eq!(chosen.headline, message(level.id()).unwrap().headline());
            }
            if !unanswered.is_empty() {
                assert!(text.contains("If you are short of breath"), "{level} names the missing item: {text}");
                assert!(!text.contains("You can look after yourself"), "{level}: {text}");
            }
            let holds = text.contains("do not give your next shot");
            assert_eq!(holds, level >= Level::CallNow, "{level}: hold the next shot (amendment 3): {text}");
        }
    }
}

/// Every text a patient can see in `language`, rendered with and without the site's numbers, for every
/// indication.
fn every_patient_text(language: Language) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    let set =
        SiteNumbers { emergency: "911".into(), line_24h: Some("555-0100".into()), office: Some("555-0199".into()) };
    for numbers in [SiteNumbers::default(), set] {
        for advice in advice_topics_in(language, &numbers) {
            texts.push((
                format!("advice {}", advice.entry.id),
                format!("{}\n{}", advice.title, advice.entry.plain_text()),
            ));
        }
        for id in MESSAGES {
            texts.push((format!("message {id}"), message_in(language, id, &numbers).unwrap().plain_text()));
        }
        for level in Level::ALL {
            for unanswered in [&[][..], &il2care_core::triage::CORE_ITEMS[..]] {
                let chosen = result_message_in(language, level, unanswered, &numbers).plain_text();
                texts.push((format!("result {level}"), chosen));
            }
        }
        for indication in [None, Some(Indication::Cancer), Some(Indication::ImmuneCondition)] {
            let options = SheetOptions {
                patient_name: Some("Alex Doe".into()),
                printed_on: Some("2026-12-04".into()),
                indication,
                numbers: numbers.clone(),
                language,
            };
            texts.push((format!("sheet text {indication:?}"), sheet_text_for(&options)));
            texts.push((format!("sheet html {indication:?}"), visible_html_text(&sheet_html_for(&options))));
        }
    }
    if language == Language::English {
        for id in [
            "injections.intro",
            "injections.never-double",
            "injections.skipped",
            "injections.already-logged",
            "injections.screening-review",
        ] {
            texts.push((id.to_string(), injection_text(id).unwrap().filled(&SiteNumbers::default()).plain_text()));
        }
        for id in INJECTION_WORDS {
            texts.push((id.to_string(), injection_words(id)));
        }
    }
    for id in PAGE_TEXTS {
        texts.push((id.to_string(), page_text(language, id)));
    }
    for item in il2care_core::triage::QUESTIONNAIRE {
        texts.push((format!("question {item}"), question(language, item)));
    }
    for word in ANSWER_WORDS {
        texts.push((format!("answer {word}"), answer_label(language, word).unwrap_or_else(|| panic!("{word}"))));
    }
    texts
}

/// Every answer word a patient can pick in the check-in.
const ANSWER_WORDS: [&str; 9] =
    ["yes", "no", "none", "mild", "moderate", "severe", "very_severe", "red_or_sore", "spreading_warm_or_pus"];

/// The text of an HTML page as a reader sees it: the style sheet and the tags removed.
fn visible_html_text(html: &str) -> String {
    let body = html.split_once("</style>").map_or(html, |(_, rest)| rest);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn no_patient_text_ever_renders_an_editorial_note() {
    for language in Language::ALL {
        for (what, text) in every_patient_text(language) {
            assert_eq!(editorial_marker(&text), None, "{language:?} {what} would show an editorial note:\n{text}");
        }
    }
    // The check itself can fail.
    assert_eq!(editorial_marker("Ask your team (UNCONFIRMED)."), Some("UNCONFIRMED"));
    assert_eq!(editorial_marker("Source: EDU"), Some("Source:"));
    assert_eq!(editorial_marker("This list is still being written."), Some("still being written"));
    assert_eq!(editorial_marker("call {line24}"), Some("{"));
}

#[test]
fn the_sheet_explains_the_medicine_by_the_regimens_indication() {
    let fact = |indication: Option<Indication>, id: &str| {
        sheet_for(indication, &SiteNumbers::default())
            .into_iter()
            .flat_map(|section| section.entries)
            .find(|entry| entry.id == id)
            .map(|entry| entry.plain_text())
            .unwrap_or_else(|| panic!("{id} for {indication:?}"))
    };
    for id in ["about.used-for", "about.how-it-works"] {
        let cancer = fact(Some(Indication::Cancer), id);
        let immune = fact(Some(Indication::ImmuneCondition), id);
        let general = fact(None, id);
        assert!(cancer.contains("cancer"), "{id}: {cancer}");
        assert!(
            !immune.to_lowercase().contains("cancer"),
            "{id}: an immune-condition patient reads no cancer: {immune}"
        );
        assert!(immune.contains("regulatory T cells") || immune.contains("lupus"), "{id}: {immune}");
        assert_ne!(cancer, general, "{id}");
    }
    assert!(!fact(None, "about.used-for").contains("kidney cancer"), "no default reads as a diagnosis");
    let immune_sheet =
        sheet_text_for(&SheetOptions { indication: Some(Indication::ImmuneCondition), ..SheetOptions::default() });
    assert!(!immune_sheet.contains("cancer cells") && !immune_sheet.contains("melanoma"), "{immune_sheet}");
    for regimen in il2care_core::regimens::REGIMENS {
        let text = sheet_text_for(&SheetOptions { indication: Some(regimen.indication), ..SheetOptions::default() });
        let reads_cancer = text.contains("cancer cells");
        assert_eq!(reads_cancer, regimen.indication == Indication::Cancer, "{}", regimen.id);
    }
}

#[test]
fn the_sheet_opens_with_the_emergency_box_then_the_care_team_lines() {
    let text = sheet_text();
    let title_end = text.find("\n\n").unwrap();
    let box_at = text.find("Call 911 now (do not drive yourself) for:").unwrap();
    let first_section = text.find("About your medicine").unwrap();
    assert!(title_end < box_at && box_at < first_section, "{text}");
    for sign in [
        "chest pain",
        "very bad trouble breathing",
        "fainting",
        "a seizure",
        "very hard to wake",
        "bleeding that will not stop",
    ] {
        assert!(text[box_at..first_section].contains(sign), "{sign}");
    }
    assert!(text.contains("Your care team's 24-hour line: ______"), "room to write the number");
    let numbers = SiteNumbers { line_24h: Some("555-0100".into()), ..SiteNumbers::default() };
    let html = sheet_html_for(&SheetOptions { numbers, ..SheetOptions::default() });
    assert!(html.contains("<a href=\"tel:5550100\">555-0100</a>"), "tap to call on screen, printed on paper");
    assert!(html.find("id=\"emergency-box\"").unwrap() < html.find("<h2>").unwrap());
}

#[test]
fn the_printed_sheet_names_the_patient_the_date_and_the_page_on_every_page() {
    let options = SheetOptions {
        patient_name: Some("Alex \"Doe\" <b>".into()),
        printed_on: Some("4 December 2026".into()),
        ..SheetOptions::default()
    };
    let html = sheet_html_for(&options);
    assert!(html.contains("@top-left { content: \"Name: Alex  Doe   b  - Printed on: 4 December 2026\""), "{html}");
    assert!(html.contains("counter(page)") && html.contains("counter(pages)"), "page numbers");
    assert!(html.contains("Alex &quot;Doe&quot; &lt;b&gt;"), "the name is escaped in the page");
    assert!(html.contains("onclick=\"window.print()\""), "a print button");
    assert!(html.contains(".screen-only, nav { display: none; }"), "no button or navigation on paper");
    assert!(!html.contains("<a href=\"/"), "no navigation links");
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
    assert!(!html.contains("Source:"), "no source markers on paper (amendment 1)");
    assert!(!html.contains("size: A4") && !html.contains("size: letter"), "no fixed paper size");
    assert!(html.contains("page-break-inside: avoid") && html.contains("page-break-after: avoid"));
    for width in html.match_indices("width:").map(|(at, _)| &html[at..at + 20]) {
        assert!(!width.contains("px") && !width.contains("mm") && !width.contains("cm"), "fixed width: {width}");
    }
    assert!(html.contains("<strong>Leaky blood vessels (capillary leak).</strong>"));
    assert_eq!(html.matches("<section>").count(), SHEET_FILES.len());
    assert_eq!(html.matches("<section class=\"emergency\"").count(), 1);
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
    for id in [
        "injections.intro",
        "injections.never-double",
        "injections.skipped",
        "injections.already-logged",
        "injections.screening-review",
    ] {
        let entry = injection_text(id).unwrap_or_else(|| panic!("no injection log text {id}"));
        let grade = readability::grade(&entry.plain_text());
        assert!(grade <= MAX_ADVICE_GRADE, "{id}: grade {grade:.1}");
    }
    assert!(injection_text("injections.never-double").unwrap().plain_text().contains("Never take two shots"));
}

/// The injection log page's words (headings, labels, buttons), English only like the page.
const INJECTION_WORDS: [&str; 26] = [
    "injections.title",
    "injections.go-to-answer",
    "injections.none",
    "injections.none-due",
    "injections.log-a-shot",
    "injections.my-shots",
    "injections.which-shot",
    "injections.dose",
    "injections.did-you-take-it",
    "injections.took-it",
    "injections.skipped-it",
    "injections.when",
    "injections.your-time",
    "injections.where",
    "injections.why-skipped",
    "injections.note",
    "injections.save",
    "injections.table-shot",
    "injections.table-planned",
    "injections.table-what-happened",
    "injections.entry-where",
    "injections.entry-why",
    "injections.entry-note",
    "injections.logged-by",
    "injections.correcting",
    "injections.cannot-list",
];

/// The words of the patient's pages: each a short line; each phrase of four words or more, and all of them
/// read together, at or under grade 8 (English) or at Fernández-Huerta 60 or above (Spanish).
#[test]
fn every_page_word_is_there_in_both_languages_and_reads_easily() {
    let (file, text) = PAGES_FILE;
    let ids: Vec<&str> = parse(file, text).unwrap().entries.iter().map(|entry| entry.id).collect();
    assert_eq!(ids, PAGE_TEXTS, "pages.md holds exactly PAGE_TEXTS, in order");
    let (file, text) = INJECTIONS_FILE;
    let injection_ids: Vec<&str> = parse(file, text).unwrap().entries.iter().map(|entry| entry.id).collect();
    for id in INJECTION_WORDS {
        assert!(injection_ids.contains(&id), "injections.md has {id}");
    }
    let mut too_hard = Vec::new();
    let english: Vec<String> = PAGE_TEXTS
        .iter()
        .map(|id| page_text(Language::English, id))
        .chain(INJECTION_WORDS.iter().map(|id| injection_words(id)))
        .collect();
    for text in &english {
        assert!(!text.is_empty() && !text.contains('\n'), "one line: {text:?}");
        let grade = readability::grade(text);
        if text.split_whitespace().count() >= 4 && grade > MAX_ADVICE_GRADE {
            too_hard.push(format!("{text}: grade {grade:.1}"));
        }
    }
    let together = english.join(". ");
    let grade = readability::grade(&together);
    assert!(grade <= MAX_ADVICE_GRADE, "the page words together: grade {grade:.1}");
    let spanish: Vec<String> = PAGE_TEXTS.iter().map(|id| page_text(Language::Spanish, id)).collect();
    for (id, (en, es)) in PAGE_TEXTS.iter().zip(english.iter().zip(&spanish)) {
        assert_ne!(en, es, "{id} has its Spanish words");
    }
    let ease = readability::fernandez_huerta(&spanish.join(". "));
    assert!(ease >= MIN_SPANISH_EASE, "the Spanish page words together: {ease:.1}");
    assert!(too_hard.is_empty(), "{too_hard:#?}");
}

// ---- TRIAGE.md amendment 6: advice never contradicts the level ----

/// The level a sentence of advice tells the patient to act at: `Some(level)` for a call (911 is an
/// emergency; "now" or "right away" is a call now; "today" is a call today), `None` when it tells no call.
/// A call without a time ("call your team") is an error: every call says how soon.
fn stated_level(sentence: &str) -> Result<Option<Level>, String> {
    stated_level_in(Language::English, sentence)
}

fn stated_level_in(language: Language, sentence: &str) -> Result<Option<Level>, String> {
    if language == Language::Spanish {
        return stated_level_es(sentence);
    }
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    let calls = words.contains(&"call") || lower.contains("tell your care team") || lower.contains("tell your team");
    if lower.contains("911") || lower.contains("emergency services") {
        return Ok(Some(Level::Emergency));
    }
    if !calls {
        return Ok(None);
    }
    if lower.contains("next visit") {
        Ok(Some(Level::SelfCare))
    } else if lower.contains("now") || lower.contains("right away") {
        Ok(Some(Level::CallNow))
    } else if lower.contains("today") {
        Ok(Some(Level::CallToday))
    } else {
        Err(format!("a call without saying how soon: {sentence}"))
    }
}

/// A paragraph's sentences: a sentence ends at '.', '?' or '!' followed by a space (so 100.4 stays whole).
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '?' | '!') && chars.peek().is_none_or(|next| next.is_whitespace()) {
            out.push(std::mem::take(&mut current).trim().to_string());
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// The Spanish reading of [`stated_level`]: "llame"/"avise" is a call, "911" or "servicios de emergencia" an
/// emergency, "ahora"/"de inmediato" a call now, "hoy" a call today, "próxima visita" the next visit.
fn stated_level_es(sentence: &str) -> Result<Option<Level>, String> {
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    let calls = ["llame", "llamar", "llamara", "avise"].iter().any(|word| words.contains(word));
    if lower.contains("911") || lower.contains("servicios de emergencia") {
        return Ok(Some(Level::Emergency));
    }
    if !calls {
        return Ok(None);
    }
    if lower.contains("próxima visita") {
        Ok(Some(Level::SelfCare))
    } else if words.contains(&"ahora") || lower.contains("de inmediato") {
        Ok(Some(Level::CallNow))
    } else if words.contains(&"hoy") {
        Ok(Some(Level::CallToday))
    } else {
        Err(format!("una llamada sin decir cuándo: {sentence}"))
    }
}

/// An advice text as sentences, each with the level it states. A paragraph that ends with ':' introduces the
/// bullets after it: each bullet is read with that paragraph in front of it.
fn stated_sentences(entry: &Entry) -> Vec<(String, Option<Level>)> {
    stated_sentences_in(Language::English, entry)
}

fn stated_sentences_in(language: Language, entry: &Entry) -> Vec<(String, Option<Level>)> {
    let mut out = Vec::new();
    let mut lead = String::new();
    for block in &entry.blocks {
        match block {
            Block::Paragraph(text) => {
                let text = plain(text);
                lead = if text.trim_end().ends_with(':') { text.clone() } else { String::new() };
                for sentence in sentences(&text) {
                    let level =
                        stated_level_in(language, &sentence).unwrap_or_else(|error| panic!("{}: {error}", entry.id));
                    out.push((sentence.trim().to_string(), level));
                }
            }
            Block::Bullets(bullets) => {
                for bullet in bullets {
                    let sentence = format!("{lead} {}", plain(bullet));
                    let level =
                        stated_level_in(language, &sentence).unwrap_or_else(|error| panic!("{}: {error}", entry.id));
                    out.push((sentence.trim().to_string(), level));
                }
            }
        }
    }
    out
}

/// For every rule, the words in its advice topic's text that name what the rule matches. The walk checks
/// that a sentence with these words states exactly the rule's level (a call rule's call is said; a self-care
/// sign is given advice without a call).
const RULE_WORDS: [(Rule, &str); 46] = [
    (Rule::Fever, "A fever: call"),
    (Rule::Hypothermia, "under 96.8 °F"),
    (Rule::FeverishUnmeasured, "No thermometer, but you feel hot or feverish"),
    (Rule::Rigors, "Shaking chills"),
    (Rule::Chills, "You may have chills"),
    (Rule::InfectionSign, "a sore throat, a cough, or cold signs"),
    (Rule::Breathless, "Short of breath, even a little"),
    (Rule::BreathlessSevere, "Very hard to breathe"),
    (Rule::ChestPain, "chest pain: call"),
    (Rule::Lightheaded, "you feel lightheaded or dizzy"),
    (Rule::Fainted, "you faint or pass out"),
    (Rule::Swelling, "swell up all of a sudden"),
    (Rule::LowBp, "top number is under 90\n"),
    (Rule::Fluids, "cannot keep fluids down for 12 hours"),
    (Rule::Vomiting, "Throwing up 3 to 5 times"),
    (Rule::VomitingSevere, "throw up 6 times or more"),
    (Rule::Nausea, "feel sick to your stomach (nausea)"),
    (Rule::NauseaSevere, "nausea so bad"),
    (Rule::Diarrhea, "Diarrhea means"),
    (Rule::DiarrheaModerate, "4 to 6 more stools"),
    (Rule::DiarrheaSevere, "if you have 7 or more"),
    (Rule::Rash, "any new rash"),
    (Rule::Blisters, "blisters or peels"),
    (Rule::Itch, "or itching."),
    (Rule::ItchSevere, "itching that is very bad"),
    (Rule::Bruising, "bruise more easily"),
    (Rule::Bleeding, "Any bleeding"),
    (Rule::BleedingSevere, "does not stop after 10 minutes"),
    (Rule::Liver, "yellow skin"),
    (Rule::AbdominalPain, "belly pain\n"),
    (Rule::AbdominalPainSevere, "belly pain is very bad"),
    (Rule::Kidney, "pass less urine"),
    (Rule::NoUrine, "No urine at all for 12 hours"),
    (Rule::Mouth, "Mild sores"),
    (Rule::MouthModerate, "Sores that hurt"),
    (Rule::MouthSevere, "cannot eat or drink"),
    (Rule::Confusion, "is confused"),
    (Rule::Unresponsive, "very hard to wake up or has a seizure"),
    (Rule::Fatigue, "Fatigue is a strong tiredness"),
    (Rule::FatigueSevere, "cannot do your daily tasks"),
    (Rule::Appetite, "want to eat less"),
    (Rule::AppetiteSevere, "almost no appetite"),
    (Rule::Aches, "aches in your muscles"),
    (Rule::InjectionSite, "redness spreads"),
    (Rule::Pregnancy, "could be pregnant"),
    (Rule::Palpitations, "races, pounds, flutters or skips"),
];

/// Signs the rules rate `self_care`, and the words that make a sentence about them a more urgent sign (a
/// worse grade of the same item). No advice text, in any topic, may tell the patient to call for the sign
/// without one of those words: "call if you have the shivers" would contradict T5.
const SELF_CARE_SIGNS: [(Rule, &[&str], &[&str]); 8] = [
    (Rule::Chills, &["chills", "shiver"], &["shaking"]),
    (Rule::Nausea, &["nausea", "sick to your stomach"], &["so bad", "cannot keep"]),
    (Rule::Diarrhea, &["diarrhea", "stools"], &["4 to 6", "7 or more", "black stools", "blood"]),
    (Rule::Itch, &["itch"], &["very bad"]),
    (Rule::Mouth, &["mouth sore", "mild sores"], &["hurt", "white patches", "cannot eat"]),
    (Rule::Fatigue, &["tired", "weak"], &["cannot do"]),
    (Rule::Appetite, &["appetite", "eating"], &["almost no appetite"]),
    (Rule::Aches, &["ache", "aching"], &[]),
];

/// The walk of amendment 6 in one language: every rule's words state its level in its topic, every rule with
/// a topic is walked, and no call sentence in any topic names a self-care sign without a worse grade's words.
fn walk(language: Language, rule_words: &[(Rule, &str)], self_care_signs: &[(Rule, &[&str], &[&str])]) {
    for &(rule, words) in rule_words {
        let topic = rule.advice().expect("every table rule has a topic");
        let advice = advice_in(language, topic.id(), &SiteNumbers::default()).unwrap();
        let sentences = stated_sentences_in(language, &advice.entry);
        // Bullets end with a line break in the joined text, so "…under 90\n" can pick a bullet's end.
        let matching: Vec<&(String, Option<Level>)> =
            sentences.iter().filter(|(sentence, _)| format!("{sentence}\n").contains(words)).collect();
        assert!(!matching.is_empty(), "{language:?} {rule}: `{words}` is not in the `{}` advice", topic.id());
        for (sentence, stated) in matching {
            let stated = stated.unwrap_or(Level::SelfCare);
            assert_eq!(stated, rule.level(), "{language:?} {rule} ({}) in `{}`: {sentence}", rule.row(), topic.id());
        }
    }
    let walked: Vec<Rule> = rule_words.iter().map(|(rule, _)| *rule).collect();
    for rule in Rule::ALL.into_iter().filter(|rule| rule.advice().is_some()) {
        assert!(walked.contains(&rule), "{language:?}: {rule} is not walked against its advice");
    }
    for advice in advice_topics_in(language, &SiteNumbers::default()) {
        for (sentence, stated) in stated_sentences_in(language, &advice.entry) {
            let Some(stated) = stated.filter(|level| *level > Level::SelfCare) else { continue };
            let lower = sentence.to_lowercase();
            for &(rule, signs, worse) in self_care_signs {
                let names_sign = signs.iter().any(|sign| lower.contains(sign));
                let worse_grade = worse.iter().any(|word| lower.contains(word));
                assert!(
                    !names_sign || worse_grade,
                    "{language:?} `{}` says {stated} for a sign {rule} rates self_care: {sentence}",
                    advice.entry.id
                );
            }
        }
    }
}

#[test]
fn every_rule_is_said_at_its_own_level_in_its_advice_topic() {
    walk(Language::English, &RULE_WORDS, &SELF_CARE_SIGNS);
}

#[test]
fn every_rule_is_said_at_its_own_level_in_its_spanish_advice_topic() {
    walk(Language::Spanish, &RULE_WORDS_ES, &SELF_CARE_SIGNS_ES);
}

/// [`RULE_WORDS`] for the Spanish texts.
const RULE_WORDS_ES: [(Rule, &str); 46] = [
    (Rule::Fever, "Si tiene fiebre: llame"),
    (Rule::Hypothermia, "menos de 96.8 °F"),
    (Rule::FeverishUnmeasured, "no tiene termómetro, pero siente calor"),
    (Rule::Rigors, "Escalofríos con temblor"),
    (Rule::Chills, "Puede tener escalofríos"),
    (Rule::InfectionSign, "dolor de garganta, tos"),
    (Rule::Breathless, "aunque sea un poco"),
    (Rule::BreathlessSevere, "le cuesta mucho respirar"),
    (Rule::ChestPain, "tiene dolor de pecho: llame"),
    (Rule::Lightheaded, "se siente mareado o con la cabeza ligera"),
    (Rule::Fainted, "se desmaya o pierde el conocimiento"),
    (Rule::Swelling, "se le hinchan de pronto"),
    (Rule::LowBp, "presión en casa es menos de 90"),
    (Rule::Fluids, "no puede retener líquidos por 12 horas"),
    (Rule::Vomiting, "vomita de 3 a 5 veces"),
    (Rule::VomitingSevere, "vomita 6 veces o más"),
    (Rule::Nausea, "le puede dar náuseas"),
    (Rule::NauseaSevere, "náuseas son tan fuertes"),
    (Rule::Diarrhea, "La diarrea es"),
    (Rule::DiarrheaModerate, "de 4 a 6 veces"),
    (Rule::DiarrheaSevere, "va 7 veces más o más"),
    (Rule::Rash, "sarpullido nuevo"),
    (Rule::Blisters, "ampollas"),
    (Rule::Itch, "o picazón."),
    (Rule::ItchSevere, "picazón muy fuerte"),
    (Rule::Bruising, "moretones más fácil"),
    (Rule::Bleeding, "cualquier sangrado"),
    (Rule::BleedingSevere, "no para después de 10 minutos"),
    (Rule::Liver, "la piel amarilla"),
    (Rule::AbdominalPain, "dolor de barriga\n"),
    (Rule::AbdominalPainSevere, "dolor de barriga es muy fuerte"),
    (Rule::Kidney, "orina menos de lo normal"),
    (Rule::NoUrine, "no orina nada por 12 horas"),
    (Rule::Mouth, "Llagas leves"),
    (Rule::MouthModerate, "Llagas que duelen"),
    (Rule::MouthSevere, "no puede comer ni beber"),
    (Rule::Confusion, "está confundida"),
    (Rule::Unresponsive, "cuesta mucho despertar a la persona"),
    (Rule::Fatigue, "La fatiga es"),
    (Rule::FatigueSevere, "no puede hacer sus tareas"),
    (Rule::Appetite, "quitarle las ganas de comer"),
    (Rule::AppetiteSevere, "casi no tiene nada de apetito"),
    (Rule::Aches, "dolor en los músculos"),
    (Rule::InjectionSite, "lo rojo se extiende"),
    (Rule::Pregnancy, "podrían estar embarazadas"),
    (Rule::Palpitations, "se salta latidos"),
];

/// [`SELF_CARE_SIGNS`] for the Spanish texts.
const SELF_CARE_SIGNS_ES: [(Rule, &[&str], &[&str]); 8] = [
    (Rule::Chills, &["escalofr"], &["temblor"]),
    (Rule::Nausea, &["náusea"], &["tan fuertes", "retener"]),
    (Rule::Diarrhea, &["diarrea", "popó", "heces"], &["4 a 6", "7 veces", "negras", "sangre"]),
    (Rule::Itch, &["picazón", "le pica"], &["muy fuerte"]),
    (Rule::Mouth, &["llagas leves"], &[]),
    (Rule::Fatigue, &["cansad", "débil"], &["no puede hacer"]),
    (Rule::Appetite, &["apetito", "ganas de comer"], &["casi no tiene"]),
    (Rule::Aches, &["dolor en los músculos", "duelen los músculos"], &[]),
];

/// The Spanish sheet, messages, advice and questions hold the same ids as the English ones.
#[test]
fn every_english_text_has_its_spanish_twin() {
    let ids = |language: Language| -> Vec<String> {
        let mut ids: Vec<String> =
            advice_topics_in(language, &SiteNumbers::default()).iter().map(|a| a.entry.id.to_string()).collect();
        for indication in [None, Some(Indication::Cancer), Some(Indication::ImmuneCondition)] {
            for section in sheet_in(language, indication, &SiteNumbers::default()) {
                ids.extend(section.entries.iter().map(|entry| format!("{indication:?} {}", entry.id)));
            }
        }
        ids
    };
    assert_eq!(ids(Language::Spanish), ids(Language::English));
    for id in MESSAGES.iter().chain(["sheet-title", "sheet-labels"].iter()) {
        assert!(message_in(Language::Spanish, id, &SiteNumbers::default()).is_some(), "es message {id}");
    }
    for item in il2care_core::triage::QUESTIONNAIRE {
        assert_ne!(question(Language::Spanish, item), item.question(), "{item} has a Spanish question");
    }
    assert_eq!(Language::from_id("es"), Some(Language::Spanish));
}

/// The lowest Fernández-Huerta reading ease a Spanish text may have (60: "normal", about grade 8).
const MIN_SPANISH_EASE: f64 = 60.0;

#[test]
fn every_spanish_text_reads_at_fernandez_huerta_60_or_above() {
    let mut too_hard = Vec::new();
    let mut check = |what: String, text: &str| {
        let ease = readability::fernandez_huerta(text);
        if ease < MIN_SPANISH_EASE {
            too_hard.push(format!("{what}: {ease:.1}"));
        }
    };
    let numbers = SiteNumbers::default();
    for advice in advice_topics_in(Language::Spanish, &numbers) {
        check(format!("advice {}", advice.entry.id), &advice.entry.plain_text());
    }
    for id in MESSAGES {
        check(format!("message {id}"), &message_in(Language::Spanish, id, &numbers).unwrap().plain_text());
    }
    for indication in [None, Some(Indication::Cancer), Some(Indication::ImmuneCondition)] {
        for section in sheet_in(Language::Spanish, indication, &numbers) {
            for entry in &section.entries {
                check(format!("sheet {}", entry.id), &entry.plain_text());
            }
        }
    }
    for item in il2care_core::triage::QUESTIONNAIRE {
        check(format!("question {item}"), &question(Language::Spanish, item));
    }
    assert!(too_hard.is_empty(), "{too_hard:#?}");
}

#[test]
fn the_spanish_result_messages_act_first_and_never_reassure_an_incomplete_check_in() {
    let numbers = SiteNumbers::default();
    let emergency = result_message_in(Language::Spanish, Level::Emergency, &[], &numbers);
    assert_eq!(emergency.headline, "Llame al 911 ahora. No maneje usted mismo.");
    assert!(emergency.plain_text().contains("no se ponga la próxima inyección"), "{}", emergency.plain_text());
    let today = result_message_in(Language::Spanish, Level::CallToday, &[], &numbers).plain_text();
    let closed = "Si la oficina está cerrada (noches, fines de semana, días feriados), llame a la línea de 24 horas.";
    assert!(today.contains(closed), "{today}");
    let incomplete = result_message_in(Language::Spanish, Level::SelfCare, &[Item::ShortOfBreath], &numbers);
    assert_eq!(incomplete.id, "incomplete");
    let text = incomplete.plain_text();
    assert!(!text.contains("Por ahora puede cuidarse en casa") && text.contains("Si le falta el aire"), "{text}");
    let set = SiteNumbers { line_24h: Some("555-0100".into()), ..SiteNumbers::default() };
    assert_eq!(set.fill_in(Language::Spanish, "{line24}"), "la línea de 24 horas (555-0100)");
    let html = sheet_html_for(&SheetOptions { language: Language::Spanish, ..SheetOptions::default() });
    assert!(html.contains("<html lang=\"es\">") && html.contains("Llame al 911 ahora (no maneje usted mismo)"));
}

#[test]
fn the_walk_can_fail() {
    let entry = |text: &str| Entry { id: "t", source: Source("PRODUCT"), blocks: vec![Block::Paragraph(text.into())] };
    let shivers = stated_sentences(&entry("No thermometer? If you feel hot or have the shivers, call your team now."));
    assert_eq!(shivers[1].1, Some(Level::CallNow));
    assert!(shivers[1].0.to_lowercase().contains("shiver"), "the self-care check would see it");
    assert_eq!(stated_level("Call today if it spreads."), Ok(Some(Level::CallToday)));
    assert_eq!(stated_level("Call 911 now."), Ok(Some(Level::Emergency)));
    assert!(stated_level("Call your team.").is_err(), "a call must say how soon");
}
