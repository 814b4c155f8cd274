//! `il2care assess|triage|screen --jsonl`: every line's result agrees with a single-document `--json` run of
//! that line (on the repository's case files), refused and blank lines answer in place and the run goes on,
//! order is kept across chunks and threads, standard input works, and an unreadable file exits 1.

use serde_json::Value;

use crate::support::{Run, cases_dir, il2care};

/// The documents of `tests/cases/<kind>`, compact, in file-name order (`checkin` or `document` of each case).
fn case_documents(kind: &str) -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(cases_dir(kind)).unwrap().map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    let documents: Vec<String> = paths
        .iter()
        .map(|path| {
            let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let document = case.get("checkin").or_else(|| case.get("document")).unwrap_or_else(|| panic!("{path:?}"));
            document.to_string()
        })
        .collect();
    assert!(documents.len() >= 20, "{kind}: too few case files to compare");
    documents
}

/// A JSONL file in the temporary folder, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("il2care-batch-{name}-{}.jsonl", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The output lines of a batch run, each parsed; also checks each is one compact line.
fn result_lines(run: &Run) -> Vec<Value> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert_eq!(line, serde_json::to_string(&value).unwrap(), "compact, one line");
            value
        })
        .collect()
}

/// What `il2care <kind> - --json` prints for `document`: the result, or the refusal as a batch line would give it.
fn single(kind: &str, document: &str, line: usize) -> Value {
    let run = il2care(&[kind, "-", "--json"], Some(document));
    match run.code {
        0 => run.json(),
        2 => {
            let message = run.stderr.trim().strip_prefix("refused: ").unwrap_or_else(|| panic!("{}", run.stderr));
            let (field, message) = message.split_once(": ").unwrap();
            serde_json::json!({"line": line, "error": {"field": field, "message": message}})
        }
        code => panic!("{kind}: exit {code}: {}", run.stderr),
    }
}

fn every_case_file_agrees_line_by_line_with_its_single_run(kind: &str) {
    let documents = case_documents(kind);
    let file = TempFile::new(kind, &(documents.join("\n") + "\n"));
    let results = result_lines(&il2care(&[kind, "--jsonl", file.path()], None));
    assert_eq!(results.len(), documents.len());
    for (index, (document, result)) in documents.iter().zip(&results).enumerate() {
        assert_eq!(result, &single(kind, document, index + 1), "{kind}: line {}", index + 1);
    }
}

#[test]
fn triage_jsonl_agrees_with_single_runs_on_every_case_file() {
    every_case_file_agrees_line_by_line_with_its_single_run("triage");
}

#[test]
fn assess_jsonl_agrees_with_single_runs_on_every_case_file() {
    every_case_file_agrees_line_by_line_with_its_single_run("assess");
}

#[test]
fn screen_jsonl_agrees_with_single_runs_on_every_case_file() {
    every_case_file_agrees_line_by_line_with_its_single_run("screen");
}

#[test]
fn a_refused_line_in_the_middle_answers_in_place_and_the_run_goes_on() {
    let documents = case_documents("triage");
    let bad = r#"{"at": "2026-11-27T08:30:00-05:00", "answers": {"temperature": 100.8}}"#;
    let input = [documents[0].as_str(), bad, "", "   ", "not json", documents[1].as_str()].join("\n");
    let run = il2care(&["triage", "--jsonl", "-"], Some(&input));
    let results = result_lines(&run);
    assert_eq!(results.len(), 6);
    assert_eq!(results[0], single("triage", &documents[0], 1));
    assert_eq!(results[1], single("triage", bad, 2), "the same field and message as a single run");
    assert_eq!(results[1]["error"]["field"], "answers.temperature", "{}", results[1]);
    for (index, blank) in [(2, 3), (3, 4)] {
        assert_eq!(results[index]["line"], blank);
        assert_eq!(results[index]["error"]["field"], "document");
        assert!(results[index]["error"]["message"].as_str().unwrap().contains("blank line"), "{}", results[index]);
    }
    assert_eq!(results[4], single("triage", "not json", 5));
    assert_eq!(results[5], single("triage", &documents[1], 6), "the line after the refused ones is evaluated");
    assert!(run.stderr.contains("6 lines: 2 evaluated"), "summary: {}", run.stderr);
    assert!(run.stderr.contains("4 refused"), "summary: {}", run.stderr);
}

#[test]
fn order_is_kept_over_many_lines_across_chunks_and_threads() {
    // 2,000 lines (several chunks of 512): the case files in turn, every 13th line refused, so a line out of
    // place shows as a wrong result or a wrong line number.
    let documents = case_documents("assess");
    let expected: Vec<Value> = documents.iter().map(|document| single("assess", document, 0)).collect();
    let mut input = String::new();
    for number in 1..=2000 {
        if number % 13 == 0 {
            input.push_str(r#"{"rule_set": "label"}"#);
        } else {
            input.push_str(&documents[number % documents.len()]);
        }
        input.push('\n');
    }
    let file = TempFile::new("order", &input);
    let run = il2care(&["assess", "--jsonl", file.path()], None);
    let results = result_lines(&run);
    assert_eq!(results.len(), 2000);
    for (index, result) in results.iter().enumerate() {
        let number = index + 1;
        if number % 13 == 0 {
            assert_eq!(result["line"], number, "{result}");
            assert!(result["error"]["field"].is_string(), "{result}");
        } else {
            assert_eq!(result, &expected[number % documents.len()], "line {number}");
        }
    }
    assert!(run.stderr.contains("2000 lines: 1847 evaluated (decision: "), "summary: {}", run.stderr);
    assert!(run.stderr.contains(", 153 refused"), "summary: {}", run.stderr);
}

#[test]
fn standard_input_is_read_with_a_dash_and_a_last_line_needs_no_newline() {
    let documents = case_documents("screen");
    let run = il2care(&["screen", "--jsonl", "-"], Some(&format!("{}\n{}", documents[0], documents[1])));
    let results = result_lines(&run);
    assert_eq!(results, vec![single("screen", &documents[0], 1), single("screen", &documents[1], 2)]);
    assert!(run.stderr.contains("il2care screen --jsonl: 2 lines: 2 evaluated (status: "), "{}", run.stderr);
}

#[test]
fn empty_input_gives_no_lines_and_a_summary() {
    let run = il2care(&["triage", "--jsonl", "-"], Some(""));
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert!(run.stderr.contains("0 lines: 0 evaluated, 0 refused"), "{}", run.stderr);
}

#[test]
fn a_file_that_cannot_be_read_exits_1_with_nothing_on_stdout() {
    let run = il2care(&["triage", "--jsonl", "/nonexistent/il2care/checkins.jsonl"], None);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""), "{}", run.stderr);
    assert!(run.stderr.contains("reading /nonexistent/il2care/checkins.jsonl"), "{}", run.stderr);
}

/// BENCHMARKS.md's input generator, included for its document makers.
#[allow(dead_code)]
#[path = "../../examples/jsonl_inputs.rs"]
mod jsonl_inputs;

#[test]
fn the_benchmark_generator_writes_varied_documents_that_none_refuses() {
    type Make = fn(&mut jsonl_inputs::Random) -> Value;
    let makers: [(&str, Make, usize); 3] = [
        ("triage", jsonl_inputs::checkin, 4),
        ("assess", jsonl_inputs::assessment, 4),
        ("screen", jsonl_inputs::screening, 3),
    ];
    for (kind, make, at_least) in makers {
        let mut random = jsonl_inputs::Random::new(18);
        let lines: Vec<String> = (0..300).map(|_| make(&mut random).to_string()).collect();
        let file = TempFile::new(&format!("generated-{kind}"), &(lines.join("\n") + "\n"));
        let run = il2care(&[kind, "--jsonl", file.path()], None);
        let results = result_lines(&run);
        let refused: Vec<&Value> = results.iter().filter(|result| result.get("error").is_some()).collect();
        assert!(
            refused.is_empty(),
            "{kind}: {} generated documents refused: {:?}",
            refused.len(),
            &refused[..refused.len().min(3)]
        );
        let field = match kind {
            "triage" => "level",
            "assess" => "decision",
            _ => "status",
        };
        let distinct: std::collections::BTreeSet<String> =
            results.iter().map(|result| result[field].as_str().unwrap().to_string()).collect();
        assert!(distinct.len() >= at_least, "{kind}: too little variety: {distinct:?} ({})", run.stderr);
        let mut again = jsonl_inputs::Random::new(18);
        assert_eq!(make(&mut again).to_string(), lines[0], "{kind}: the same seed gives the same documents");
    }
}
