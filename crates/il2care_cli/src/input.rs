//! Reading command input: a document from a file or standard input, and command-line quantities.

use std::io::Read;

use anyhow::Context;
use il2care_core::Refusal;
use il2care_core::units::Quantity;

/// The text of `path`, or of standard input when `path` is `-`.
pub fn read_document(path: &str) -> anyhow::Result<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("reading the document from standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))
    }
}

/// A command-line quantity such as `80kg` or `100.4[degF]`, refused with the option's name.
pub fn quantity(text: &str, field: &str) -> Result<Quantity, Refusal> {
    Quantity::parse_compact(text).map_err(|error| Refusal::new(field, error.to_string()))
}
