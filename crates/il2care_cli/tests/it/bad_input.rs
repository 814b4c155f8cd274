//! The bad-input catalogue (`tests/bad-input/catalogue.json`): every malformed or hostile input is refused
//! with exit code 2, the message names the expected field, and nothing is printed on standard output.

use serde_json::Value;

use crate::support::il2care;

#[test]
fn every_catalogued_bad_input_is_refused_with_its_field_named() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input/catalogue.json");
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = catalogue["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "the catalogue holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args: Vec<&str> = case["command"].as_array().unwrap().iter().map(|arg| arg.as_str().unwrap()).collect();
        let run = il2care(&args, case["stdin"].as_str());
        let field = case["field"].as_str().unwrap();
        let named = run.stderr.starts_with(&format!("refused: {field}: "));
        if run.code != 2 || !named || !run.stdout.is_empty() {
            failures.push(format!(
                "{name}: exit {}, stderr `{}` (expected field `{field}`)",
                run.code,
                run.stderr.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
