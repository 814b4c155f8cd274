//! Reading command input: a document from a file or standard input, and command-line quantities.

use std::io::Read;

use anyhow::Context;
use il2care_core::Refusal;
use il2care_core::regimens::{Regimen, regimen, regimen_ids};
use il2care_core::units::{Measure, Quantity};

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

/// An optional typed command-line quantity (`--weight 80kg`), refused with the option's name when its unit
/// does not fit.
pub fn optional_measure<M: Measure>(text: Option<&str>, field: &str) -> Result<Option<M>, Refusal> {
    text.map(|text| M::from_quantity(quantity(text, field)?).map_err(|error| Refusal::new(field, error.to_string())))
        .transpose()
}

/// The regimen named by `--regimen`, which is required.
pub fn required_regimen(id: Option<&str>) -> Result<&'static Regimen, Refusal> {
    let id = id.ok_or_else(|| Refusal::new("regimen", format!("is required; one of: {}", regimen_ids())))?;
    regimen(id).ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{id}`; one of: {}", regimen_ids())))
}
