//! `il2care triage` and `il2care education`: the check-in case files of `tests/cases/triage/` walked by one
//! test, refused check-ins, the readable summary, and the education sheet's text and HTML forms.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{Run, cases_dir, il2care};

/// The fields a case file may have; anything else is a typo and fails the walk.
const CASE_FIELDS: [&str; 3] = ["description", "checkin", "expect"];
const EXPECT_FIELDS: [&str; 5] = ["level", "fired", "unanswered", "advice", "complete"];

fn triage_json(checkin: &Value) -> Run {
    il2care(&["triage", "-", "--json"], Some(&checkin.to_string()))
}

fn ids(value: &Value) -> BTreeSet<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

#[test]
fn every_triage_case_file_gives_its_expected_level_rules_and_lists() {
    let mut paths: Vec<_> =
        std::fs::read_dir(cases_dir("triage")).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let mut levels = BTreeSet::new();
    let mut fired_anywhere = BTreeSet::new();
    let mut fahrenheit = 0;
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let case = case.as_object().unwrap_or_else(|| panic!("{name}: not an object"));
        assert!(case.keys().all(|key| CASE_FIELDS.contains(&key.as_str())), "{name}: unknown field");
        let expect = case["expect"].as_object().unwrap();
        assert!(expect.keys().all(|key| EXPECT_FIELDS.contains(&key.as_str())), "{name}: unknown expect field");
        assert!(case["description"].as_str().is_some_and(|text| !text.is_empty()), "{name}: description");

        let run = triage_json(&case["checkin"]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let result = run.json();
        assert_eq!(result["level"], expect["level"], "{name}: level");
        if let Some(fired) = expect.get("fired") {
            let got: BTreeSet<String> =
                result["fired"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
            assert_eq!(got, ids(fired), "{name}: fired rules");
        }
        if let Some(unanswered) = expect.get("unanswered") {
            assert_eq!(&result["unanswered"], unanswered, "{name}: unanswered");
        }
        if let Some(advice) = expect.get("advice") {
            assert_eq!(&result["advice"], advice, "{name}: advice");
        }
        if let Some(complete) = expect.get("complete") {
            assert_eq!(&result["complete"], complete, "{name}: complete");
        }
        assert_eq!(
            result["complete"].as_bool(),
            Some(result["unanswered"].as_array().unwrap().is_empty()),
            "{name}: complete means nothing core is unanswered"
        );
        for fired in result["fired"].as_array().unwrap() {
            assert!(fired["source"].as_str().is_some_and(|source| !source.is_empty()), "{name}: {fired}");
            fired_anywhere.insert(fired["id"].as_str().unwrap().to_string());
        }
        levels.insert(result["level"].as_str().unwrap().to_string());
        fahrenheit += usize::from(case["checkin"].to_string().contains("[degF]"));
    }
    assert!(paths.len() >= 40, "at least 40 case files, found {}", paths.len());
    assert_eq!(levels.len(), 4, "every level is covered: {levels:?}");
    for id in ["triage.escalation.two-amber", "triage.sepsis-pattern", "triage.shock-pattern", "triage.palpitations"] {
        assert!(fired_anywhere.contains(id), "a case file fires {id}");
    }
    assert!(fahrenheit >= 3, "degF input is covered");
}

#[test]
fn refused_check_ins_exit_2_and_name_the_item() {
    let refused = |answers: Value, field: &str| {
        let document = json!({"at": "2026-11-27T08:30:00-05:00", "answers": answers});
        let run = il2care(&["triage", "-"], Some(&document.to_string()));
        assert_eq!(run.code, 2, "{answers}: {}", run.stdout);
        assert!(run.stderr.starts_with("refused: "), "{}", run.stderr);
        assert!(run.stderr.contains(field), "{answers}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing is triaged from a refused check-in");
    };
    refused(json!({"headache": true}), "answers.headache");
    refused(json!({"vomiting_episodes_24h": -1}), "answers.vomiting_episodes_24h");
    refused(json!({"temperature": {"value": 60, "unit": "Cel"}}), "answers.temperature");
    refused(json!({"chills": "terrible"}), "answers.chills");
    refused(json!({"temperature": 38.5}), "answers.temperature");
    refused(json!({"temperature": {"value": 38.5, "unit": "F"}}), "answers.temperature.unit");
}

#[test]
fn a_bad_document_or_a_missing_file_is_refused_or_fails() {
    let run = il2care(&["triage", "-"], Some(r#"{"at": "yesterday", "answers": {}}"#));
    assert_eq!((run.code, run.stderr.contains("at:")), (2, true), "{}", run.stderr);
    let run = il2care(&["triage", "-"], Some(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "name": "x"}"#));
    assert_eq!((run.code, run.stderr.contains("name")), (2, true), "{}", run.stderr);
    let run = il2care(&["triage", "/nonexistent/checkin.json"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn the_summary_puts_the_action_first_then_why_then_advice_and_the_disclaimer() {
    let document = json!({"at": "2026-11-27T08:30:00-05:00",
        "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate"}});
    let run = il2care(&["triage", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("CALL YOUR CARE TEAM NOW"), "{}", run.stdout);
    let why = run.stdout.find("triage.fever").unwrap();
    let advice = run.stdout.find("\nFever\n").unwrap();
    let disclaimer = run.stdout.find("not medical advice").unwrap();
    assert!(why < advice && advice < disclaimer, "{}", run.stdout);
    assert!(run.stdout.contains("Not answered:"), "{}", run.stdout);

    let emergency = json!({"at": "2026-11-27T08:30:00Z", "answers": {"chest_pain": true}});
    let run = il2care(&["triage", "-"], Some(&emergency.to_string()));
    assert!(run.stdout.starts_with("CALL 911 NOW. DO NOT DRIVE YOURSELF."), "{}", run.stdout);
    assert!(run.stdout.contains("do not give your next shot"), "hold the next shot: {}", run.stdout);
}

#[test]
fn an_incomplete_check_in_is_shown_as_incomplete_and_never_reassured() {
    let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"fatigue": "mild", "short_of_breath": "none"}});
    let run = il2care(&["triage", "-"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("WE CANNOT TELL IF YOU ARE OK."), "{}", run.stdout);
    assert!(run.stdout.contains("Level: self_care (INCOMPLETE: 2 key question(s) not answered)"), "{}", run.stdout);
    assert!(!run.stdout.contains("You can look after yourself at home"), "{}", run.stdout);
    assert!(run.stdout.contains("If you feel unwell, call the 24-hour line now"), "{}", run.stdout);
    let result = triage_json(&document).json();
    assert_eq!((result["level"].as_str(), result["complete"].as_bool()), (Some("self_care"), Some(false)));
    assert!(result["message"].as_str().unwrap().starts_with("We cannot tell if you are OK."), "{result}");

    let complete = json!({"at": "2026-11-27T08:30:00Z",
        "answers": {"feels_feverish": false, "short_of_breath": "none", "fluids_not_kept_down_hours": 0}});
    let run = il2care(&["triage", "-"], Some(&complete.to_string()));
    assert!(run.stdout.starts_with("YOU CAN LOOK AFTER YOURSELF AT HOME"), "{}", run.stdout);
    assert!(run.stdout.contains("\nLevel: self_care\n"), "{}", run.stdout);
    assert_eq!(triage_json(&complete).json()["complete"], json!(true));
}

#[test]
fn the_json_result_carries_a_message_and_the_disclaimer() {
    let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"rash": true}});
    let result = triage_json(&document).json();
    assert_eq!(result["level"], "call_today");
    assert!(result["message"].as_str().unwrap().starts_with("Call your care team today"));
    assert!(result["message"].as_str().unwrap().contains("If the office is closed (evenings, weekends, holidays)"));
    assert!(result["disclaimer"].as_str().unwrap().contains("not medical advice"));
    assert_eq!(
        result["fired"][0],
        json!({"id": "triage.rash", "item": "rash", "answer": "true", "level": "call_today", "source": "EDU", "row": "T22"})
    );
}

#[test]
fn the_education_sheet_prints_as_text_and_as_printable_html() {
    let text = il2care(&["education"], None);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("IN-ter-LOO-kin"));
    assert!(!text.stdout.contains("UNCONFIRMED") && !text.stdout.contains("Source:"), "no editorial notes");
    assert!(text.stdout.trim_end().ends_with("call emergency services."));
    let html = il2care(&["education", "--html"], None);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.starts_with("<!DOCTYPE html>") && html.stdout.contains("@page"));
    let grades = il2care(&["education", "--readability"], None);
    assert!(grades.stdout.lines().any(|line| line.starts_with("advice   fever")), "{}", grades.stdout);
}

#[test]
fn the_education_sheet_follows_the_regimen_the_patient_and_the_site_numbers() {
    let html = il2care(
        &[
            "education",
            "--html",
            "--regimen",
            "saadoun-2011-sc",
            "--patient-name",
            "Alex Doe",
            "--printed-on",
            "2026-12-04",
            "--care-line",
            "555-0100",
        ],
        None,
    );
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains("regulatory T cells"), "immune-condition version");
    assert!(!html.stdout.contains("melanoma") && !html.stdout.contains("cancer cells"), "no cancer text");
    assert!(html.stdout.contains("Name: Alex Doe - Printed on: 2026-12-04"), "running header");
    assert!(html.stdout.contains("counter(page)") && html.stdout.contains("window.print()"));
    assert!(html.stdout.contains("<a href=\"tel:5550100\">555-0100</a>"));
    let cancer = il2care(&["education", "--regimen", "hd-iv"], None);
    assert!(cancer.stdout.contains("melanoma") && cancer.stdout.contains("Call 911 now (do not drive yourself)"));
    let unknown = il2care(&["education", "--regimen", "nope"], None);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
}

#[test]
fn the_summary_the_message_and_the_sheet_speak_spanish_on_request() {
    let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"chest_pain": true}});
    let run = il2care(&["triage", "-", "--language", "es"], Some(&document.to_string()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("LLAME AL 911 AHORA. NO MANEJE USTED MISMO."), "{}", run.stdout);
    assert!(run.stdout.contains("¿Le falta el aire?"), "the unanswered questions in Spanish: {}", run.stdout);
    let json = il2care(&["triage", "-", "--json", "--language", "es"], Some(&document.to_string())).json();
    assert!(json["message"].as_str().unwrap().starts_with("Llame al 911 ahora."), "{json}");
    assert_eq!(json["level"], "emergency", "ids stay the same in every language");
    let refused = il2care(&["triage", "-", "--language", "fr"], Some(&document.to_string()));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let sheet = il2care(&["education", "--language", "es", "--regimen", "koreth-2016-sc"], None);
    assert!(sheet.stdout.contains("células T reguladoras") && !sheet.stdout.contains("melanoma"), "{}", sheet.stdout);
    let grades = il2care(&["education", "--readability"], None);
    assert!(grades.stdout.contains("Spanish (es)"), "{}", grades.stdout);
}

#[test]
fn the_education_sheet_can_be_written_to_a_file() {
    let path = std::env::temp_dir().join(format!("il2care-education-{}.html", std::process::id()));
    let run = il2care(&["education", "--html", "--output", path.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(written.contains("</html>"));
}

/// `docs/triage.md`, generated from the core's questionnaire and rules so that it cannot drift from them.
fn reference_doc() -> String {
    use il2care_core::triage::{Level, QUESTIONNAIRE, Rule};
    use std::fmt::Write as _;

    let mut doc = String::from(DOC_HEAD);
    doc.push_str("\n## Items, in questionnaire order (most dangerous first)\n\n");
    doc.push_str("| # | item id | answer | question the patient reads | advice topic |\n|---|---|---|---|---|\n");
    for (index, item) in QUESTIONNAIRE.iter().enumerate() {
        let _ = writeln!(
            doc,
            "| {} | `{}` | {} | {} | `{}` |",
            index + 1,
            item.id(),
            item.kind().describe(),
            item.question().replace('|', "\\|"),
            item.topic().id()
        );
    }
    doc.push_str("\n## Rules\n\n");
    doc.push_str(
        "| row | rule id | item(s) | matches when | level | advice topic | source |\n|---|---|---|---|---|---|---|\n",
    );
    for rule in Rule::ALL {
        let items: Vec<String> = rule.items().iter().map(|item| format!("`{}`", item.id())).collect();
        let _ = writeln!(
            doc,
            "| {} | `{}` | {} | {} | `{}` | {} | {} |",
            rule.row(),
            rule.id(),
            if items.is_empty() { "(other rules)".to_string() } else { items.join(", ") },
            rule.condition(),
            rule.level(),
            rule.advice().map_or("-".to_string(), |topic| format!("`{}`", topic.id())),
            rule.source()
        );
    }
    let levels: Vec<String> = Level::ALL.iter().map(|level| format!("`{level}`")).collect();
    let _ = writeln!(doc, "\nLevels, least to most urgent: {}.", levels.join(" < "));
    doc.push_str(DOC_TAIL);
    doc
}

const DOC_HEAD: &str = r#"# Symptom check-in and triage

<!-- Generated by `crates/il2care_cli/tests/it/triage.rs` from the core's questionnaire and rules.
     Do not edit by hand: change the code or the prose in that test, then run
     `IL2CARE_UPDATE_DOCS=1 cargo test -p il2care_cli --test it triage` and commit the result. -->

A patient on interleukin-2 (IL-2) at home, or after a high-dose course, answers a short questionnaire. il2care
answers with one of four levels and the advice for every symptom reported. The rules are those of the clinical
triage specification (rows T1 to T46), implemented in `il2care_core::triage`; patient texts live in
`crates/il2care_content/content/`.

## The check-in document

```json
{
  "at": "2026-11-27T08:30:00-05:00",
  "regimen": "saadoun-2011-sc",
  "answers": {
    "temperature": {"value": 100.8, "unit": "[degF]"},
    "chills": "moderate",
    "extra_stools_24h": 2,
    "lightheaded": false
  }
}
```

- `at` (required): RFC 3339 time with an offset. `regimen` (optional): context only, no rule reads it.
- `answers` (required): an object whose keys are item ids (below). An item that is absent, or given as `null`,
  is unanswered: it matches no rule and is never read as normal.
- Answer types: temperature `{"value", "unit"}` in `Cel` or `[degF]` (°F converted exactly: 100.4 [degF] is
  38.0 Cel); home systolic blood pressure `{"value", "unit": "mm[Hg]"}`; yes/no `true`/`false`; severity one of
  `none`, `mild`, `moderate`, `severe`, `very_severe` (PRO-CTCAE); count a whole number >= 0; hours a number >= 0;
  injection site `none`, `red_or_sore`, `spreading_warm_or_pus`.
- Refused as a whole (exit code 2, `refused: FIELD: reason`; nothing is triaged): unknown top-level fields, an
  `at` that is not RFC 3339, an unknown item id, a wrong JSON type, a negative or fractional count, negative
  hours, a severity word not on the scale, a bare number or unknown unit for a temperature, a temperature outside
  25 to 45 Cel, a blood pressure outside 40 to 300 mm[Hg]. The field is named as `answers.<item id>`.

## The result

```json
{
  "level": "call_now",
  "fired": [{"id": "triage.fever", "item": "temperature", "answer": "100.8 [degF]", "level": "call_now",
             "source": "EDU", "row": "T1"}, ...],
  "advice": ["fever", "flu_like", "diarrhea"],
  "unanswered": ["short_of_breath", "fluids_not_kept_down_hours"],
  "complete": false,
  "message": "Call your care team now on the 24-hour line, day or night. ...",
  "disclaimer": "il2care gives general information ..."
}
```

- `fired`: every matched rule, in rule order, one entry per matching item (two infection signs give two
  entries of `triage.infection-sign`), then the escalations. An escalation's `item` lists the items of the
  rules it combined and its `answer` names them.
- `advice`: the topic of every reported symptom (a yes, a severity above none, a count or hours above 0, an
  injection site that is not normal, an abnormal temperature or pressure), in questionnaire order, even when a
  more urgent level wins.
- `unanswered`: the core items not answered: `temperature` (answered by either `temperature` or
  `feels_feverish`), `short_of_breath`, `fluids_not_kept_down_hours`.
- `complete` (amendment 2026-12-04): `true` when every core item is answered, that is when `unanswered` is
  empty. An incomplete check-in is still triaged; when its level is `self_care` the patient is never shown the
  self-care reassurance (see `message`).
- `message` and `disclaimer` are extra fields: the action-first text chosen by
  `il2care_content::result_message` and the page-end disclaimer. `self_care` with `complete: false` gives the
  `incomplete` message (the unanswered questions by name, and "If you feel unwell, call the 24-hour line now");
  `call_now` and `emergency` add "do not give your next shot until your care team tells you it is OK";
  `emergency` reads "Call 911 now. Do not drive yourself." (the site's emergency number); `call_today` adds
  "If the office is closed (evenings, weekends, holidays), call the 24-hour line."

## How the level is found

1. Every rule that matches gives its level; the result is the most urgent of them (no match: `self_care`).
2. Escalation [UKONS] `triage.escalation.two-amber`: two or more different rules at `call_today` make the
   result `call_now`. The same rule matched by two items (for example `less_urine` and `ankle_swelling`, both
   `triage.kidney`) counts once. Self-care rules never escalate.
3. Sepsis pattern [PRODUCT] `triage.sepsis-pattern`: a temperature sign — fever (`triage.fever`, T1), low
   temperature (`triage.hypothermia`, T2) or feeling feverish without a thermometer
   (`triage.feverish-unmeasured`, T3) — with fainting, shortness of breath `severe` or `very_severe`, new
   confusion, or home systolic below 90 mm[Hg] makes the result `emergency`.
3a. Shock pattern [PRODUCT, amendment 2026-12-04] `triage.shock-pattern`: home systolic below 90 mm[Hg] with
   lightheadedness (T10), new confusion (T37) or sudden swelling (T12), or home systolic below 70 mm[Hg] on its
   own, makes the result `emergency`.
4. Nothing lowers a level; unanswered items match nothing and are listed; `complete` is false while a core
   item is unanswered.
5. Boundaries: "more than" limits trigger at the limit (38.0 Cel is a fever; 12 hours without fluids is too
   long). Limits stated as "below" stay strict: 36.0 Cel is not hypothermia (T2), 90 mm[Hg] is not low (T13,
   the sepsis and the shock pattern) and 70 mm[Hg] alone is not the shock pattern. Count ranges are inclusive
   (T15 is 3 to 5 vomits; T16 is 6 or more).
6. A thermometer reading replaces "feels feverish": T3 applies only when no temperature is given, so a normal
   reading with `feels_feverish: true` matches no rule.
"#;

const DOC_TAIL: &str = r#"
## Command line

- `il2care triage FILE|-` prints the readable summary: the action first in capitals, then why (each matched
  rule with its answer, level, row and source), the unanswered core items, the advice of every topic, and the
  disclaimer. An incomplete check-in says so on the level line. `--json` prints the result JSON.
  `--language es` gives the patient texts (message, questions, advice, disclaimer) in Spanish; ids and levels
  stay the same. Exit codes: 0 done, 2 refused, 1 anything else.
- `il2care education` prints the patient education sheet as text, opening with the emergency box and the care
  team's lines; `--html` prints it as a standalone printable HTML page (A4 or Letter: `@page` margins, no fixed
  paper size or width, headings kept with their text, a fact never split across pages; the patient's name, the
  date printed and the page number on every page; a print button on screen only; no navigation);
  `--patient-name`, `--printed-on`, `--regimen ID` (cancer and immune-condition regimens explain the medicine
  differently; without it the sheet names no illness), `--emergency-number` (default 911), `--care-line`,
  `--office-line`, `--language en|es`; `--output FILE` writes to a file instead; `--readability` prints the
  Flesch-Kincaid grade of every English text and the Fernández-Huerta reading ease of every Spanish one.

## Content

Advice topics (`content/advice/<topic>.md`), result messages (`content/messages.md`) and the education sheet
(`content/education/*.md`) are Markdown files in `crates/il2care_content`, embedded at build time. Each entry is
`## id [SOURCES]` followed by its text; a test checks that every source id is known, that every advice topic and
every fact id of the education checklist is present, and that every advice topic and message reads at or under
grade 8 (the project's own Flesch-Kincaid measure, `il2care_content::readability`). Spanish twins live in
`content/es/` under the same ids and read at Fernández-Huerta 60 or above. Phone numbers are placeholders
(`{emergency}`, `{line24}`, `{office}`) filled from the site's settings. Tests render every patient text in
both languages and fail on an editorial note ("UNCONFIRMED", "Source:", ...), and walk every rule against its
advice topic: each call the rules make is said at its level, and no text calls for a sign the rules rate
`self_care`.
"#;

#[test]
fn docs_triage_md_is_generated_from_the_rules_and_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/triage.md");
    let expected = reference_doc();
    if std::env::var_os("IL2CARE_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == expected,
        "docs/triage.md is out of date: run IL2CARE_UPDATE_DOCS=1 cargo test -p il2care_cli --test it triage"
    );
}
