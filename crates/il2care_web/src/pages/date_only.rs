//! Date-only observations on the course page: a result imported from FHIR with a date and no time
//! (`2026-11-30`, `2026-11`) is shown with its date, in its own list under the charts, never plotted at a time
//! and never used by a per-dose decision.

use il2care_app::courses::Observation;
use maud::{Markup, html};
use serde_json::Value;

use super::words;

/// The date of a date-only observation, `None` for an observation with a time.
pub fn date_of(observation: &Observation) -> Option<String> {
    if !observation.document.contains(il2care_wire::fhir::import::DATE_ONLY_FIELD) {
        return None;
    }
    let document: Value = serde_json::from_str(&observation.document).ok()?;
    document.get(il2care_wire::fhir::import::DATE_ONLY_FIELD)?.as_str().map(str::to_string)
}

/// Whether an observation has a date and no time.
pub fn is_date_only(observation: &Observation) -> bool {
    date_of(observation).is_some()
}

/// The list of standing date-only observations, newest first (nothing when there are none).
pub fn date_only_list(observations: &[Observation]) -> Markup {
    let corrected: Vec<i64> = observations.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut dated: Vec<(String, &Observation)> = observations
        .iter()
        .filter(|observation| !corrected.contains(&observation.id))
        .filter_map(|observation| Some((date_of(observation)?, observation)))
        .collect();
    if dated.is_empty() {
        return html! {};
    }
    dated.sort_by(|a, b| b.1.at_ms.cmp(&a.1.at_ms).then(b.1.id.cmp(&a.1.id)));
    html! {
        section.date-only aria-labelledby="date-only-heading" {
            h3 id="date-only-heading" { "Results with a date only" }
            p.note { "Imported with a date and no time: not charted, and never used by a dose decision (a decision needs a time)." }
            ul {
                @for (date, observation) in &dated {
                    li {
                        (words::code_text(&observation.code)) " "
                        (observation.value) " " (words::unit_text(&observation.unit))
                        " on " time datetime=(date) { (date) } " (date only)"
                    }
                }
            }
        }
    }
}
