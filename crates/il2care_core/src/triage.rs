//! Symptom check-in triage (`clinical/TRIAGE.md`): a patient's answers in, a level (self-care, call today,
//! call now, emergency) out, with every rule that matched, the advice topics and the unanswered core items.
//!
//! [`triage`] never fails and never lowers a level: the most urgent matched rule wins, two different
//! `call_today` rules make `call_now` (UKONS), a temperature sign with a danger sign (the sepsis pattern) or a
//! low home blood pressure with a sign of shock (the shock pattern) makes `emergency` (PRODUCT), and an
//! unanswered item matches nothing and is listed, never read as normal; a check-in with an unanswered core
//! item is not `complete`. Pure: no IO, no clock, no serde.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::Refusal;

mod questionnaire;
mod rules;

pub use questionnaire::{
    AdviceTopic, Answer, AnswerKind, CORE_ITEMS, InjectionSiteLook, Item, QUESTIONNAIRE, Severity, Temperature,
};
pub use rules::{FEVER_CELSIUS, FLUIDS_HOURS, HYPOTHERMIA_CELSIUS, LOW_SYSTOLIC_MM_HG, Rule, SHOCK_SYSTOLIC_MM_HG};

/// How urgently the patient must act, least to most urgent (TRIAGE.md "Levels").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Manage at home with the advice shown; mention it at the next visit.
    SelfCare,
    /// Contact the care team today (within 24 hours), during office hours.
    CallToday,
    /// Call the care team's 24-hour line right away, day or night.
    CallNow,
    /// Call emergency services or go to the nearest emergency department now.
    Emergency,
}

impl Level {
    /// Every level, least to most urgent.
    pub const ALL: [Level; 4] = [Level::SelfCare, Level::CallToday, Level::CallNow, Level::Emergency];

    /// The level id of the result document.
    pub const fn id(self) -> &'static str {
        match self {
            Level::SelfCare => "self_care",
            Level::CallToday => "call_today",
            Level::CallNow => "call_now",
            Level::Emergency => "emergency",
        }
    }

    /// The level for a level id (`self_care`, `call_today`, `call_now`, `emergency`), exactly as written.
    pub fn from_id(id: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.id() == id)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A patient's check-in: when it was made and the answers given. An item not answered is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckIn {
    /// When the patient answered (the document's `at`); triage itself does not depend on it.
    pub at: Timestamp,
    /// Optional regimen id (context only; no rule depends on it).
    pub regimen: Option<String>,
    answers: BTreeMap<Item, Answer>,
}

impl CheckIn {
    /// A check-in with no answers yet.
    pub fn new(at: Timestamp) -> CheckIn {
        CheckIn { at, regimen: None, answers: BTreeMap::new() }
    }

    /// Records the answer to `item`, refusing an answer of the wrong kind or negative hours. A second
    /// answer to the same item replaces the first.
    pub fn answer(&mut self, item: Item, answer: Answer) -> Result<(), Refusal> {
        if answer.kind() != item.kind() {
            return Err(Refusal::new(item.id(), format!("expects {}", item.kind().describe())));
        }
        if let Answer::Hours(hours) = answer
            && hours < Decimal::ZERO
        {
            return Err(Refusal::new(item.id(), format!("must not be negative (got {hours})")));
        }
        self.answers.insert(item, answer);
        Ok(())
    }

    /// The same check-in with one more answer (for building check-ins in tests and examples).
    pub fn with(mut self, item: Item, answer: Answer) -> Result<CheckIn, Refusal> {
        self.answer(item, answer)?;
        Ok(self)
    }

    /// The answer to `item`, if given.
    pub fn get(&self, item: Item) -> Option<&Answer> {
        self.answers.get(&item)
    }

    /// Every answer given, in questionnaire order.
    pub fn answers(&self) -> impl Iterator<Item = (Item, &Answer)> {
        QUESTIONNAIRE.into_iter().filter_map(|item| self.answers.get(&item).map(|answer| (item, answer)))
    }
}

/// One matched rule: which rule, which item(s) and answer triggered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub rule: Rule,
    /// The item whose answer matched; for an escalation, the items of the rules it combined.
    pub items: Vec<Item>,
    /// The answer as given (`100.8 [degF]`, `moderate`, `2`); for an escalation, the rules it combined.
    pub answer: String,
}

impl Fired {
    /// The level this entry gives.
    pub fn level(&self) -> Level {
        self.rule.level()
    }

    /// The item ids, comma-separated (one id except for escalations).
    pub fn item_ids(&self) -> String {
        self.items.iter().map(|item| item.id()).collect::<Vec<_>>().join(", ")
    }
}

/// The outcome of a check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriageResult {
    /// The most urgent level of every matched rule and escalation.
    pub level: Level,
    /// Every matched rule, in TRIAGE.md order (one entry per matching item), then the escalations.
    pub fired: Vec<Fired>,
    /// The advice topic of every reported symptom, in questionnaire order, each once.
    pub advice: Vec<AdviceTopic>,
    /// The core items not answered (`temperature` stands for "temperature or feels_feverish").
    pub unanswered: Vec<Item>,
    /// Whether every core item is answered (TRIAGE.md amendment 2026-12-04, 1): `unanswered` is empty. An
    /// incomplete check-in at `self_care` must never be shown the self-care reassurance.
    pub complete: bool,
}

/// Triages a check-in (TRIAGE.md "How the level is found"). Never fails.
pub fn triage(checkin: &CheckIn) -> TriageResult {
    let mut fired = Vec::new();
    for rule in Rule::ALL {
        for &item in rule.items() {
            if let Some(answer) = checkin.get(item)
                && rule.matches(answer, checkin)
            {
                fired.push(Fired { rule, items: vec![item], answer: answer.to_string() });
            }
        }
    }

    let two_amber = two_amber(&fired);
    let sepsis = sepsis_pattern(checkin, &fired);
    let shock = shock_pattern(checkin);
    fired.extend(two_amber);
    fired.extend(sepsis);
    fired.extend(shock);

    let level = fired.iter().map(Fired::level).max().unwrap_or(Level::SelfCare);

    let mut advice: Vec<AdviceTopic> = Vec::new();
    for (item, answer) in checkin.answers() {
        let reported = answer.reports_symptom() || fired.iter().any(|entry| entry.items == [item]);
        if reported && !advice.contains(&item.topic()) {
            advice.push(item.topic());
        }
    }

    let unanswered: Vec<Item> = CORE_ITEMS
        .into_iter()
        .filter(|&item| match item {
            Item::Temperature => checkin.get(Item::Temperature).is_none() && checkin.get(Item::FeelsFeverish).is_none(),
            other => checkin.get(other).is_none(),
        })
        .collect();

    let complete = unanswered.is_empty();
    TriageResult { level, fired, advice, unanswered, complete }
}

/// Step 2 (UKONS): two or more different rules at `call_today` make `call_now`.
fn two_amber(fired: &[Fired]) -> Option<Fired> {
    let mut amber: Vec<&Fired> = Vec::new();
    for entry in fired.iter().filter(|entry| entry.level() == Level::CallToday) {
        if !amber.iter().any(|seen| seen.rule == entry.rule) {
            amber.push(entry);
        }
    }
    (amber.len() >= 2).then(|| Fired {
        rule: Rule::EscalationTwoAmber,
        items: amber.iter().flat_map(|entry| entry.items.iter().copied()).collect(),
        answer: amber.iter().map(|entry| entry.rule.id()).collect::<Vec<_>>().join(" + "),
    })
}

/// Step 3 (PRODUCT): a temperature sign — fever (T1), low temperature (T2) or feeling feverish without a
/// thermometer (T3) — with any danger sign is the sepsis pattern.
fn sepsis_pattern(checkin: &CheckIn, fired: &[Fired]) -> Option<Fired> {
    let (sign, words) = fired.iter().find_map(|entry| match entry.rule {
        Rule::Fever => Some((entry, "fever")),
        Rule::Hypothermia => Some((entry, "low temperature")),
        Rule::FeverishUnmeasured => Some((entry, "feels feverish")),
        _ => None,
    })?;
    let signs = sepsis_signs(checkin);
    if signs.is_empty() {
        return None;
    }
    Some(Fired {
        rule: Rule::EscalationSepsisPattern,
        items: sign.items.iter().copied().chain(signs.iter().map(|(item, _)| *item)).collect(),
        answer: std::iter::once(format!("{words} {}", sign.answer))
            .chain(signs.iter().map(|(item, answer)| format!("{item} {answer}")))
            .collect::<Vec<_>>()
            .join(" + "),
    })
}

/// Step 3a (PRODUCT, amendment 2026-12-04): home systolic below 90 with lightheadedness, new confusion or
/// sudden swelling, or home systolic below 70 on its own, is the shock pattern.
fn shock_pattern(checkin: &CheckIn) -> Option<Fired> {
    let Some(&Answer::SystolicPressure(pressure)) = checkin.get(Item::HomeSystolicBp) else {
        return None;
    };
    if pressure.value() >= LOW_SYSTOLIC_MM_HG {
        return None;
    }
    let signs: Vec<Item> = [Item::Lightheaded, Item::Confusion, Item::SuddenSwelling]
        .into_iter()
        .filter(|&item| checkin.get(item) == Some(&Answer::YesNo(true)))
        .collect();
    if signs.is_empty() && pressure.value() >= SHOCK_SYSTOLIC_MM_HG {
        return None;
    }
    Some(Fired {
        rule: Rule::EscalationShockPattern,
        items: std::iter::once(Item::HomeSystolicBp).chain(signs.iter().copied()).collect(),
        answer: std::iter::once(format!("home_systolic_bp {pressure}"))
            .chain(signs.iter().map(|item| format!("{item} true")))
            .collect::<Vec<_>>()
            .join(" + "),
    })
}

/// The danger signs of the sepsis pattern present in `checkin`, with their answers.
fn sepsis_signs(checkin: &CheckIn) -> Vec<(Item, String)> {
    let mut signs = Vec::new();
    for (item, answer) in checkin.answers() {
        let sign = match (item, *answer) {
            (Item::Fainted | Item::Confusion, Answer::YesNo(yes)) => yes,
            (Item::ShortOfBreath, Answer::Severity(severity)) => severity >= Severity::Severe,
            (Item::HomeSystolicBp, Answer::SystolicPressure(pressure)) => pressure.value() < LOW_SYSTOLIC_MM_HG,
            _ => false,
        };
        if sign {
            signs.push((item, answer.to_string()));
        }
    }
    signs
}

#[cfg(test)]
mod tests;
