//! Tidy tests of the layering (ARCHITECTURE.md, "Invariants"): each reads the sources and fails, naming the
//! file and line, when an invariant is broken. Where the code is not there yet, an allow-list names the files
//! still to change; the list may only shrink (a listed file that complies fails the test until it is removed
//! from the list), so the lists say honestly what is not done.
//!
//! Test code (files named `tests.rs`, `tests/` folders, and everything after a file's `#[cfg(test)]`) is not
//! read: a test may compute an expected value independently (a Fahrenheit oracle), and may plant violations.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root")
}

/// `path` relative to the workspace root, with `/`.
fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

fn files_under(folder: &Path, extension: &str, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "tests" || name == "target") {
                continue;
            }
            files_under(&path, extension, into);
        } else if path.extension().is_some_and(|ext| ext == extension)
            && path.file_name().is_some_and(|name| name != "tests.rs")
        {
            into.push(path);
        }
    }
}

/// The non-test Rust sources of every crate (`crates/*/src`).
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(crates) = std::fs::read_dir(root().join("crates")) else { return files };
    let mut crates: Vec<PathBuf> = crates.filter_map(Result::ok).map(|entry| entry.path()).collect();
    crates.sort();
    for krate in crates {
        files_under(&krate.join("src"), "rs", &mut files);
    }
    files
}

/// A file's lines before its `#[cfg(test)]` (numbered from 1), with `//` comments removed.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .take_while(|(_, line)| line.trim() != "#[cfg(test)]")
        .map(|(index, line)| (index + 1, without_comment(line).to_string()))
        .collect()
}

fn without_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    // A `//` outside a string (good enough for this code base: no `//` inside its string literals matters here).
    match line.find(" //") {
        Some(at) if line[..at].matches('"').count().is_multiple_of(2) => &line[..at],
        _ => line,
    }
}

/// `line` with its string literals blanked.
fn without_strings(line: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    let mut escaped = false;
    for c in line.chars() {
        match (inside, c) {
            (true, '\\') if !escaped => escaped = true,
            (true, '"') if !escaped => inside = false,
            (true, _) => escaped = false,
            (false, '"') => inside = true,
            (false, _) => out.push(c),
        }
    }
    out
}

/// The standalone numeric tokens of `code` (`2.54` in `x * dec!(2.54)`, not in `12.543`).
fn numbers(code: &str) -> Vec<&str> {
    code.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).filter(|t| !t.is_empty()).collect()
}

/// Conversion factors between units: pounds, inches, Fahrenheit, creatinine and bilirubin in µmol/L.
const CONVERSION_FACTORS: [&str; 13] = [
    "0.45359237",
    "2.2046",
    "2.20462",
    "2.54",
    "0.3937",
    "25.4",
    "1.8",
    "0.5556",
    "88.4",
    "88.42",
    "0.0113",
    "17.1",
    "0.0585",
];

#[test]
fn unit_conversions_live_only_in_units_rs() {
    let mut found = Vec::new();
    for path in sources() {
        let name = relative(&path);
        if name == "crates/il2care_core/src/units.rs" {
            continue;
        }
        for (number, line) in code_lines(&path) {
            let code = without_strings(&line);
            for token in numbers(&code) {
                if CONVERSION_FACTORS.contains(&token) {
                    found.push(format!("{name}:{number}: {token} ({})", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "unit conversion factors outside units.rs (convert with Measure::from_quantity / in_unit):\n{}",
        found.join("\n")
    );
}

/// The append-only tables: every table a migration gives a `*_no_update` trigger.
fn append_only_tables() -> Vec<String> {
    let mut migrations = Vec::new();
    files_under(&root().join("crates/il2care_store/migrations"), "sql", &mut migrations);
    let mut tables = Vec::new();
    for path in &migrations {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            // SQLite: CREATE TRIGGER t_no_update BEFORE UPDATE ON t ...; PostgreSQL: ... BEFORE UPDATE OR DELETE ON t
            let table = words
                .windows(2)
                .position(|pair| pair[0].eq_ignore_ascii_case("before") && pair[1].eq_ignore_ascii_case("update"))
                .and_then(|at| Some(at + words[at..].iter().position(|word| word.eq_ignore_ascii_case("on"))? + 1))
                .and_then(|at| words.get(at))
                .map(|table| table.trim_end_matches(';').to_ascii_lowercase());
            if let Some(table) = table.filter(|table| !tables.contains(table)) {
                tables.push(table);
            }
        }
    }
    tables
}

/// Tables that refuse UPDATE but are not part of the patient record: their rows expire and are pruned (the
/// issued CDS cards, kept 30 days so feedback can name its card). DELETE of these is allowed; UPDATE is not.
const PRUNED_NOT_RECORDS: &[&str] = &["cds_cards"];

#[test]
fn no_update_or_delete_of_clinical_tables_in_the_store() {
    let tables = append_only_tables();
    for table in ["audit_log", "patients", "observations", "checkins", "assessments", "dose_events", "injections"] {
        assert!(tables.iter().any(|known| known == table), "{table} has no append-only trigger: {tables:?}");
    }
    let mut files = Vec::new();
    files_under(&root().join("crates/il2care_store/src"), "rs", &mut files);
    files_under(&root().join("crates/il2care_store/migrations"), "sql", &mut files);
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (index, line) in text.lines().enumerate() {
            let lower = line.to_ascii_lowercase();
            if lower.trim_start().starts_with("--") || lower.trim_start().starts_with("//") {
                continue;
            }
            let words: Vec<&str> =
                lower.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
            for pair in words.windows(3) {
                let target = match pair {
                    ["update", table, "set"] => Some(*table),
                    ["delete", "from", table] if !PRUNED_NOT_RECORDS.contains(table) => Some(*table),
                    _ => None,
                };
                if let Some(table) = target.filter(|table| tables.iter().any(|known| known == table)) {
                    found.push(format!("{}:{}: {table}: {}", relative(&path), index + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "UPDATE or DELETE of an append-only table (append a correcting row instead):\n{}",
        found.join("\n")
    );
}

/// Handler files that still reach the store (or decide access) themselves instead of calling a use case of
/// `il2care_app`. This list may only shrink.
const HANDLERS_STILL_TO_MOVE: &[&str] = &[];

/// What a handler that reaches the store or decides access itself writes.
const DIRECT_STORE_USE: [&str; 9] = [
    "il2care_store::",
    "record::",
    "store.begin(",
    "store.connection(",
    "by_actor(",
    "audit::read(",
    "audit::record(",
    "authorize(",
    "authorize_write(",
];

#[test]
fn http_handlers_reach_the_store_only_through_the_application_layer() {
    let web = root().join("crates/il2care_web/src");
    let mut handlers = Vec::new();
    files_under(&web.join("api"), "rs", &mut handlers);
    files_under(&web.join("pages"), "rs", &mut handlers);
    handlers.extend(["fhir.rs", "cds_hooks.rs"].map(|name| web.join(name)));
    let mut offending = Vec::new();
    let mut moved = Vec::new();
    for path in &handlers {
        let name = relative(path);
        let uses: Vec<String> = code_lines(path)
            .into_iter()
            .filter(|(_, line)| DIRECT_STORE_USE.iter().any(|pattern| line.contains(pattern)))
            .map(|(number, line)| format!("{name}:{number}: {}", line.trim()))
            .collect();
        match (uses.is_empty(), HANDLERS_STILL_TO_MOVE.contains(&name.as_str())) {
            (false, false) => offending.extend(uses),
            (true, true) => moved.push(name),
            _ => {}
        }
    }
    assert!(
        offending.is_empty(),
        "a handler reaches the store or decides access itself (call a use case of il2care_app):\n{}",
        offending.join("\n")
    );
    assert!(
        moved.is_empty(),
        "these handlers no longer reach the store: remove them from HANDLERS_STILL_TO_MOVE: {moved:?}"
    );
    for name in HANDLERS_STILL_TO_MOVE {
        assert!(root().join(name).exists(), "{name} is listed but does not exist");
    }
    assert!(!HANDLERS_STILL_TO_MOVE.contains(&"crates/il2care_web/src/api/checkins.rs"));
}

/// The one module of the command line that may use the HTTP crate: `il2care serve` (and its backup/restore).
const COMMAND_LINE_SERVE: &str = "crates/il2care_cli/src/serve.rs";

#[test]
fn the_command_line_uses_the_http_crate_only_to_serve() {
    let mut files = Vec::new();
    files_under(&root().join("crates/il2care_cli/src"), "rs", &mut files);
    assert!(files.iter().any(|path| relative(path) == "crates/il2care_cli/src/fhir.rs"), "{files:?}");
    let uses: Vec<String> = files
        .iter()
        .filter(|path| relative(path) != COMMAND_LINE_SERVE)
        .flat_map(|path| {
            let name = relative(path);
            code_lines(path)
                .into_iter()
                .filter(|(_, line)| line.contains("il2care_web"))
                .map(move |(number, line)| format!("{name}:{number}: {}", line.trim()))
        })
        .collect();
    assert!(
        uses.is_empty(),
        "the command line maps arguments to use cases of il2care_app; only serve.rs uses il2care_web:\n{}",
        uses.join("\n")
    );
}

/// The one clock reader of each binary.
const CLOCKS: [&str; 2] = ["crates/il2care_web/src/lib.rs", "crates/il2care_cli/src/clock.rs"];

/// Files that still read the clock themselves (to be given `now` by their caller). This list may only shrink.
const CLOCK_READERS_STILL_TO_CHANGE: [&str; 0] = [];

#[test]
fn the_clock_is_read_in_one_module_per_binary() {
    let mut offending = Vec::new();
    let mut changed = Vec::new();
    for path in sources() {
        let name = relative(&path);
        let reads: Vec<String> = code_lines(&path)
            .into_iter()
            .filter(|(_, line)| line.contains("Timestamp::now()"))
            .map(|(number, line)| format!("{name}:{number}: {}", line.trim()))
            .collect();
        let listed = CLOCK_READERS_STILL_TO_CHANGE.contains(&name.as_str());
        match (reads.is_empty(), CLOCKS.contains(&name.as_str()) || listed) {
            (false, false) => offending.extend(reads),
            (true, true) if listed => changed.push(name),
            _ => {}
        }
    }
    assert!(
        offending.is_empty(),
        "the clock read outside the clock module (take `now` as a parameter):\n{}",
        offending.join("\n")
    );
    assert!(
        changed.is_empty(),
        "these no longer read the clock: remove them from CLOCK_READERS_STILL_TO_CHANGE: {changed:?}"
    );
}

/// The patient's pages: every word a patient reads on them comes from the content crate (`il2care_content`:
/// `content/pages.md`, `content/injections.md`, the messages and the questions), never from a literal here.
const PATIENT_PAGES: [&str; 1] = ["crates/il2care_web/src/pages/patient.rs"];

/// The string literals of `line` that read as words for a person: a capital letter, then at least one space.
fn sentence_literals(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let literal = &after[..end];
        let words = literal.split_whitespace().count();
        if words >= 2
            && literal.chars().next().is_some_and(char::is_uppercase)
            && literal.chars().filter(|c| c.is_alphabetic()).count() >= 6
            && !literal.contains("{}")
            && !literal.contains('=')
        {
            found.push(literal.trim().to_string());
        }
        rest = &after[end + 1..];
    }
    found
}

#[test]
fn the_patient_pages_hold_no_patient_text_in_code() {
    let mut found = Vec::new();
    for name in PATIENT_PAGES {
        for (number, line) in code_lines(&root().join(name)) {
            if line.trim_start().starts_with("///") {
                continue;
            }
            found.extend(sentence_literals(&line).into_iter().map(|literal| format!("{name}:{number}: {literal}")));
        }
    }
    assert!(
        found.is_empty(),
        "patient text belongs in il2care_content (content/pages.md, content/injections.md), not in code:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_sentence_in_code_is_found() {
    assert_eq!(sentence_literals(r#"p { "No shot is due now." } span { "mm Hg" }"#), ["No shot is due now."]);
    assert!(sentence_literals(r#"format!("{} of {}", a, b)"#).is_empty());
}

/// The words the record and the documents use for the core's decisions, triage levels, screening results and
/// decisions, rule sets and regimens: each is the serialized name (`id()`) of a core enum or record. The dose
/// and shot statuses are listed as the record writes them (the core's `DoseStatus` has no serialized name).
fn clinical_words() -> Vec<String> {
    use il2care_core::assessment::{Decision, RuleSet};
    use il2care_core::screening::checklist::Status;
    use il2care_core::screening::gate::DecisionKind;
    let decisions = [
        Decision::DiscontinuePermanently,
        Decision::DiscontinueCourse,
        Decision::NotPermitted,
        Decision::Hold,
        Decision::InsufficientData,
        Decision::Give,
    ];
    let mut words: Vec<String> = decisions.iter().map(|decision| decision.id().to_string()).collect();
    words.extend(il2care_core::triage::Level::ALL.iter().map(|level| level.id().to_string()));
    words.extend(
        [Status::Pass, Status::NeedsReview, Status::Fail, Status::NotApplicable].iter().map(|s| s.id().to_string()),
    );
    words.extend([DecisionKind::Acknowledge, DecisionKind::Override].iter().map(|kind| kind.id().to_string()));
    words.extend([RuleSet::Label, RuleSet::Consensus].iter().map(|set| set.id().to_string()));
    words.extend(il2care_core::regimens::REGIMENS.iter().map(|regimen| regimen.id.to_string()));
    words.extend(["given", "held", "skipped"].map(String::from));
    words
}

/// How code compares a string with a literal `word`: `== "hold"`, `"give" =>`, `"hold" | ...`,
/// `unwrap_or("insufficient_data")`, `== Some("given")`.
fn compares_as_string(code: &str, word: &str) -> bool {
    let quoted = format!("\"{word}\"");
    [
        format!("== {quoted}"),
        format!("!= {quoted}"),
        format!("{quoted} =="),
        format!("{quoted} !="),
        format!("{quoted} =>"),
        format!("{quoted} |"),
        format!("| {quoted}"),
        format!("unwrap_or({quoted})"),
        format!("Some({quoted})"),
    ]
    .iter()
    .any(|pattern| code.contains(pattern.as_str()))
}

/// Files of the HTTP crate that still compare a clinical word as a string (they belong to handlers being moved
/// into the application layer by others; the lead shrinks this list after merging). This list may only shrink.
const STILL_COMPARING_CLINICAL_WORDS: &[&str] = &[];

/// The lines of `path` that compare a clinical word as a string.
fn string_comparisons(path: &Path, words: &[String]) -> Vec<String> {
    let name = relative(path);
    code_lines(path)
        .into_iter()
        .filter(|(_, line)| words.iter().any(|word| compares_as_string(line, word)))
        .map(|(number, line)| format!("{name}:{number}: {}", line.trim()))
        .collect()
}

#[test]
fn the_http_crate_compares_no_decision_status_or_regimen_as_a_string() {
    let words = clinical_words();
    for word in ["hold", "give", "insufficient_data", "emergency", "needs_review", "hd-iv", "given"] {
        assert!(words.iter().any(|known| known == word), "{word} is one of the clinical words");
    }
    let mut files = Vec::new();
    files_under(&root().join("crates/il2care_web/src"), "rs", &mut files);
    let mut offending = Vec::new();
    let mut fixed = Vec::new();
    for path in &files {
        let name = relative(path);
        let found = string_comparisons(path, &words);
        match (found.is_empty(), STILL_COMPARING_CLINICAL_WORDS.contains(&name.as_str())) {
            (false, false) => offending.extend(found),
            (true, true) => fixed.push(name),
            _ => {}
        }
    }
    assert!(
        offending.is_empty(),
        "the HTTP crate compares a decision, level, status or regimen as a string (parse it into the core's type, \
         or let the application layer answer the question):\n{}",
        offending.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "these compare no clinical word now: remove from STILL_COMPARING_CLINICAL_WORDS: {fixed:?}"
    );
    for name in STILL_COMPARING_CLINICAL_WORDS {
        assert!(root().join(name).exists(), "{name} is listed but does not exist");
    }
}

#[test]
fn a_string_comparison_of_a_clinical_word_is_found() {
    let words = clinical_words();
    let found = |code: &str| words.iter().any(|word| compares_as_string(code, word));
    for code in [
        r#"if decision.decision == "hold" {"#,
        r#"        "give" => "Give","#,
        r#"if level.as_str() == "call_now""#,
        r#"let word = stored["decision"].as_str().unwrap_or("insufficient_data");"#,
        r#"matches!(status, Some("given"))"#,
        r#"course.regimen != "hd-iv""#,
    ] {
        assert!(found(code), "{code}");
    }
    for code in [r#"let level = if query.level == "urgent" { "urgent" } else { "all" };"#, r#"value="given""#] {
        assert!(!found(code), "{code}");
    }
}
