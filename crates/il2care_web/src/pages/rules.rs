//! `GET /rules` (care team): the rule catalogue as a page, generated from the core's rule tables and the
//! thresholds in force (a site's tachycardia threshold included): every rule of both sets once, with its id as
//! the anchor (`/rules#label.hold.sbp-below-90`), its title in words, action, firing and resume conditions, the
//! rule sets that run it and its source with the full citation. Every decision reason on the course page and
//! the worklist links here.

use axum::extract::State;
use il2care_core::assessment::catalogue::threshold;
use il2care_core::assessment::thresholds::Parameters;
use il2care_core::assessment::{ALL_RULES, Rule, RuleSet};
use maud::{Markup, html};

use super::layout::{Audience, shell};
use super::words::{action_words, plain, rule_title};
use super::{PageResult, page, signed_in};
use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;

/// The link to a rule's entry in the catalogue.
pub fn rule_href(rule_id: &str) -> String {
    format!("/rules#{rule_id}")
}

/// A rule id as a link into the catalogue, in small print (what every decision reason shows under its title).
pub fn rule_link(rule_id: &str) -> Markup {
    html! { a.rule-link href=(rule_href(rule_id)) { small.code { (rule_id) } } }
}

/// One row of the catalogue page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueRow {
    pub id: &'static str,
    pub title: String,
    pub action: &'static str,
    pub fires_when: String,
    pub resume_when: Option<String>,
    /// `label`, `consensus` or both.
    pub rule_sets: Vec<&'static str>,
    pub source: String,
    /// The source ids the citation names, each with its full citation when the core has one.
    pub citations: Vec<(&'static str, Option<&'static str>)>,
    pub confirmed: bool,
}

/// The catalogue: every rule once, in the core's order, with the thresholds of `parameters`.
pub fn catalogue_rows(parameters: &Parameters) -> Vec<CatalogueRow> {
    ALL_RULES
        .iter()
        .map(|rule: &Rule| {
            let source = rule.source();
            CatalogueRow {
                id: rule.id(),
                title: rule_title(rule.id()),
                action: action_words(rule.action()),
                fires_when: plain(&threshold(*rule, parameters, None)),
                resume_when: rule.resume_when().map(plain),
                rule_sets: [RuleSet::Label, RuleSet::Consensus]
                    .into_iter()
                    .filter(|set| rule.runs_in(*set))
                    .map(RuleSet::id)
                    .collect(),
                source: source.to_string(),
                citations: source.ids().map(|id| (id, il2care_core::source::citation(id))).collect(),
                confirmed: rule.confirmed(),
            }
        })
        .collect()
}

/// `GET /rules` (nurse, physician, pharmacist).
pub async fn catalogue(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    let parameters = il2care_app::rules::catalogue_parameters(&state.store, actor.app(), crate::now())
        .await
        .map_err(AppError::from)?;
    let rows = catalogue_rows(&parameters);
    let mut cited: Vec<(&'static str, Option<&'static str>)> =
        rows.iter().flat_map(|row| row.citations.iter().copied()).collect();
    cited.sort_by_key(|(id, _)| *id);
    cited.dedup();
    Ok(page(shell(
        "Rule catalogue",
        Some(&actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Rule catalogue" }
            p.note {
                "Every rule of the label (" (RuleSet::Label.version()) ") and consensus ("
                (RuleSet::Consensus.version()) ") rule sets, with the thresholds in force at this site. "
                "Generated from the rule tables; a decision's reasons link here. Decision support: the treating clinician decides."
            }
            div.scroll {
            table.catalogue {
                thead { tr { th scope="col" { "Rule" } th scope="col" { "Action" } th scope="col" { "Fires when" }
                             th scope="col" { "Resume when" } th scope="col" { "Rule sets" } th scope="col" { "Source" } } }
                tbody {
                    @for row in &rows {
                        tr.rule id=(row.id) {
                            th scope="row" { (row.title) br; small.code { (row.id) } }
                            td { (row.action) }
                            td { (row.fires_when) }
                            td { (row.resume_when.clone().unwrap_or_else(|| "—".into())) }
                            td { (row.rule_sets.join(", ")) }
                            td {
                                (row.source)
                                @if !row.confirmed { br; strong { "Unconfirmed:" } " not yet checked against the primary document." }
                                @for (id, _) in &row.citations { br; a href=(format!("#source-{id}")) { "About " (id) } }
                            }
                        }
                    }
                }
            }
            }
            h2 id="sources" { "Sources" }
            dl.sources {
                @for (id, citation) in &cited {
                    dt id=(format!("source-{id}")) { (id) }
                    dd { (citation.unwrap_or("See clinical/SOURCES.md.")) }
                }
            }
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_once_with_words_and_its_citation() {
        let rows = catalogue_rows(&Parameters::default());
        assert_eq!(rows.len(), ALL_RULES.len());
        let mut ids: Vec<&str> = rows.iter().map(|row| row.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "one anchor per rule id");
        let sbp = rows.iter().find(|row| row.id == "label.hold.sbp-below-90").unwrap();
        assert_eq!(sbp.title, "Hold: systolic blood pressure < 90 mmHg");
        assert_eq!(sbp.fires_when, "systolic blood pressure < 90 mmHg");
        assert_eq!(sbp.rule_sets, ["label"]);
        assert!(sbp.citations.iter().any(|(id, text)| *id == "LABEL-2024" && text.is_some()));
        let spo2 = rows.iter().find(|row| row.id == "label.hold.spo2-below-90").unwrap();
        assert_eq!(spo2.rule_sets, ["label", "consensus"]);
        assert!(rows.iter().all(|row| !row.fires_when.contains("mm[Hg]")), "units in words");
    }

    #[test]
    fn a_rule_link_points_at_its_anchor() {
        assert_eq!(rule_href("label.hold.sbp-below-90"), "/rules#label.hold.sbp-below-90");
        assert!(rule_link("x.y").into_string().contains("href=\"/rules#x.y\""));
    }
}
