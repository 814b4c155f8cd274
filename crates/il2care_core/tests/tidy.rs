//! Project invariants checked as tests: the core stays pure, every file says what it is, every cited
//! source id exists. These read the source tree; they test the code base, not behaviour.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                rust_files(&path, found);
            }
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

fn core_sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    files.into_iter().map(|path| (path.clone(), std::fs::read_to_string(&path).unwrap())).collect()
}

/// The code of a file before its `#[cfg(test)]` module, without comment lines: tests may use what the core
/// itself may not, and comments may name what is forbidden.
fn non_test_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_core_depends_on_no_io_or_serialization_crate() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    let allowed = ["rust_decimal", "rust_decimal_macros", "jiff", "thiserror"];
    for line in dependencies.lines().filter(|line| line.contains('=')) {
        let name = line.split(['=', '.']).next().unwrap().trim();
        assert!(allowed.contains(&name), "il2care_core must stay pure, but depends on `{name}`; allowed: {allowed:?}");
    }
}

#[test]
fn the_core_does_no_io_reads_no_clock_and_serializes_nothing() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "std::io",
        "std::time::SystemTime",
        "Instant::now",
        "Timestamp::now",
        "Zoned::now",
        "SystemTime::now",
        "TimeZone::system",
        "TimeZone::get(",
        "println!",
        "eprintln!",
        "serde",
        "tracing",
        "tokio",
        "sqlx",
    ];
    for (path, text) in core_sources() {
        for pattern in forbidden {
            assert!(
                !non_test_code(&text).contains(pattern),
                "{} uses `{pattern}`: the core does no IO",
                path.display()
            );
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc_line() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 5);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("//!"), "{} must start with a `//!` line saying what it holds", path.display());
    }
}

#[test]
fn every_source_cited_in_the_core_is_a_known_source_id() {
    let mut cited = 0;
    for (path, text) in core_sources() {
        for citation in non_test_code(&text).split("Source(\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            let source = il2care_core::Source(Box::leak(citation.to_string().into_boxed_str()));
            assert!(source.is_known(), "{} cites unknown source `{citation}`", path.display());
            cited += 1;
        }
    }
    assert!(cited > 10, "the scan found the citations ({cited})");
}
