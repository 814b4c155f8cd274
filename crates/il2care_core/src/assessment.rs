//! The per-dose assessment for high-dose IV interleukin-2 (ASSESSMENT): typed inputs, the rule catalogue of
//! both rule sets, the reviewed threshold tables, and the evaluation that returns one decision with every
//! fired rule, pending hold and unevaluated rule. Pure: no IO, no clock (the decision time is the document's
//! `at`), no serialization. The wire crate parses documents into these types and renders the result.

pub mod catalogue;
mod engine;
pub mod inputs;
pub mod logic;
mod rules;
pub mod thresholds;
pub mod windows;

#[cfg(test)]
mod tests;

pub use engine::{DISCLAIMER, Evaluation, Fired, NotEvaluated, Pending, assess, cycle_position, decide};
pub use rules::{ALL_RULES, Action, Decision, Family, Rule, RuleSet};
