//! Page view models: pure functions from store rows and stored result documents to the values a page shows
//! (labels, local times with their zone, numbers with their units). No IO, no clock, no HTML: the templates
//! render these structs, and the tests here pin what a page says without a browser.

use il2care_app::views::{self, Course, DoseEvent, Injection, Patient, StoredCheckIn};
use il2care_core::assessment::Decision;
use il2care_core::course::DoseStatus;
use il2care_core::dosing::DoseCalculation;
use il2care_core::regimens::regimen;
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_core::triage::Level;
use serde_json::Value;

use super::words::{code_text, plain, unit_text};
use crate::api::worklist::urgency;

/// Half the high-dose interval: a dose recorded within this of a slot belongs to that slot.
const SLOT_MATCH_MS: i64 = 4 * 3_600_000;

/// `ms` as the clock in `zone` reads it, with the zone's abbreviation (`Fri 27 Nov 2026, 08:30 EST`). An
/// unknown zone falls back to UTC, which the text then says.
pub fn local_time(ms: i64, zone: &str) -> String {
    let zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(at) => at.to_zoned(zone).strftime("%a %-d %b %Y, %H:%M %Z").to_string(),
        Err(_) => "unknown time".to_string(),
    }
}

/// The words for a decision id of ASSESSMENT.md (and the worklist's `needs_assessment`).
pub fn decision_label(decision: &str) -> &'static str {
    match views::decision_of(decision) {
        Some(Decision::Give) => "Give",
        Some(Decision::Hold) => "Hold",
        Some(Decision::InsufficientData) => "Insufficient data",
        Some(Decision::NotPermitted) => "Not permitted",
        Some(Decision::DiscontinueCourse) => "Discontinue for this course",
        Some(Decision::DiscontinuePermanently) => "Discontinue permanently",
        None if decision == "needs_assessment" => "Needs assessment",
        None => "Unknown decision",
    }
}

/// The words for a triage level id.
pub fn level_label(level: &str) -> &'static str {
    match Level::from_id(level) {
        Some(Level::Emergency) => "Emergency",
        Some(Level::CallNow) => "Call now",
        Some(Level::CallToday) => "Call today",
        Some(Level::SelfCare) => "Self care",
        None if level == "incomplete" => "Incomplete",
        None => "Unknown level",
    }
}

/// The words for an action id of a fired rule.
pub fn action_text(action: &str) -> String {
    match views::decision_of(action) {
        Some(Decision::Hold) => "Hold".into(),
        Some(Decision::DiscontinueCourse) => "Stop the course".into(),
        Some(Decision::DiscontinuePermanently) => "Stop for good".into(),
        Some(Decision::NotPermitted) => "Not permitted".into(),
        _ => action.replace('_', " "),
    }
}

/// The CSS class of an urgency (`u0` routine to `u5` emergency), the same scale as the worklist's order.
/// `not_permitted` and `insufficient_data` also get `neutral`: grey, in their own words, never the green of
/// `give` nor the amber of a hold (issue 14 item 6).
pub fn urgency_class(level_or_decision: &str) -> String {
    let tone = match views::decision_of(level_or_decision) {
        Some(Decision::NotPermitted | Decision::InsufficientData) => " neutral",
        _ => "",
    };
    format!("u{}{tone}", urgency(level_or_decision))
}

/// A stored quantity `{value, unit}` (or a plain value) as text with its unit.
pub fn quantity_text(value: &Value) -> String {
    match value {
        Value::Object(object) if object.contains_key("unit") => {
            let number = group_thousands(&object.get("value").map_or_else(String::new, scalar_text));
            let unit = object.get("unit").map_or_else(String::new, scalar_text);
            format!("{number} {}", unit_text(&unit))
        }
        other => scalar_text(other),
    }
}

/// A whole number of five digits or more with thousands separators, as pharmacists write doses
/// (`48000000` → `48,000,000`); anything else as it is.
pub fn group_thousands(number: &str) -> String {
    let digits = number.strip_prefix('-').unwrap_or(number);
    if digits.len() < 5 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return number.to_string();
    }
    let mut grouped = String::with_capacity(number.len() + digits.len() / 3);
    if number.starts_with('-') {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One row of the worklist: one patient, with the most urgent item first and a count of the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorklistRow {
    pub patient_id: i64,
    pub patient: String,
    pub mrn: String,
    /// "Dose" or "Check-in".
    pub kind: &'static str,
    pub status: &'static str,
    pub status_class: String,
    /// Why, in words: the rules that fired (titles), or what the check-in is.
    pub detail: String,
    /// The rule ids behind `detail`, for the small print.
    pub rule_ids: Vec<String>,
    /// When, relative to now: "Next dose due in 20 min (Fri 27 Nov 2026, 16:00 EST)", "Checked in 35 min ago".
    pub when: String,
    /// The patient's other items, each in a line ("Check-in: Call today, 2 h ago"), less urgent ones after.
    pub others: Vec<String>,
    /// The urgency of the row (its most urgent item), for the level filter.
    pub urgency: u8,
}

/// A duration in minutes as a ward says it: "5 min", "1 h 20 min", "2 d 3 h".
pub fn duration_text(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match minutes {
        0..60 => format!("{minutes} min"),
        60..1440 if minutes % 60 == 0 => format!("{} h", minutes / 60),
        60..1440 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ if minutes % 1440 / 60 == 0 => format!("{} d", minutes / 1440),
        _ => format!("{} d {} h", minutes / 1440, minutes % 1440 / 60),
    }
}

/// A due time against now: "due in 20 min", "due now", "overdue 35 min".
pub fn due_text(due_ms: i64, now_ms: i64) -> String {
    let minutes = (due_ms - now_ms).div_euclid(60_000);
    match minutes {
        1.. => format!("due in {}", duration_text(minutes)),
        0 => "due now".to_string(),
        _ => format!("overdue {}", duration_text(-minutes)),
    }
}

/// One worklist item in words, with its urgency and its time relative to now.
struct ItemText {
    kind: &'static str,
    status: &'static str,
    level: String,
    detail: String,
    rule_ids: Vec<String>,
    when: String,
}

fn item_text(item: &Value, zone: &str, now_ms: i64) -> ItemText {
    let at_ms = |field: &str| {
        item[field].as_str().and_then(|text| text.parse::<jiff::Timestamp>().ok()).map(|at| at.as_millisecond())
    };
    if item["kind"] == "checkin" {
        let level = item["status"].as_str().or(item["level"].as_str()).unwrap_or("unknown").to_string();
        let when = at_ms("at").map_or_else(String::new, |at| {
            format!("Checked in {} ago ({})", duration_text((now_ms - at).div_euclid(60_000)), local_time(at, zone))
        });
        let detail = if level == "incomplete" {
            "Check-in left core questions unanswered: call to ask".to_string()
        } else {
            "New check-in, not yet called back".to_string()
        };
        ItemText { kind: "Check-in", status: level_label(&level), level, detail, rule_ids: Vec::new(), when }
    } else {
        let decision = item["decision"].as_str().unwrap_or("needs_assessment").to_string();
        let rule_ids: Vec<String> =
            item["reasons"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
        let detail = if rule_ids.is_empty() {
            match (decision.as_str(), at_ms("last_recorded_at")) {
                ("needs_assessment", Some(recorded)) => {
                    format!(
                        "Last dose recorded {} ago; assess before the next",
                        duration_text((now_ms - recorded) / 60_000)
                    )
                }
                ("needs_assessment", None) => "No decision recorded for this course yet".to_string(),
                _ => "No rule fired".to_string(),
            }
        } else {
            rule_ids.iter().map(|id| super::words::rule_title(id)).collect::<Vec<_>>().join("; ")
        };
        let when = at_ms("next_slot_at")
            .map_or_else(String::new, |at| format!("Next dose {} ({})", due_text(at, now_ms), local_time(at, zone)));
        ItemText { kind: "Dose", status: decision_label(&decision), level: decision, detail, rule_ids, when }
    }
}

/// The worklist rows from the worklist items (already in urgency order) and the patients they name: one row
/// per patient, its most urgent item first, the others counted beside it; times in the ward's zone. A flood
/// of check-ins from one patient is one row, so it cannot push other patients down.
pub fn worklist_rows(items: &[Value], patients: &[Patient], zone: &str, now_ms: i64) -> Vec<WorklistRow> {
    let mut rows: Vec<WorklistRow> = Vec::new();
    let mut row_of_patient: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    let by_id: std::collections::HashMap<i64, &Patient> =
        patients.iter().map(|patient| (patient.id, patient)).collect();
    for item in items {
        let Some(patient_id) = item["patient_id"].as_i64() else { continue };
        let Some(patient) = by_id.get(&patient_id) else { continue };
        let text = item_text(item, zone, now_ms);
        match row_of_patient.get(&patient_id) {
            Some(&index) => {
                let line = format!("{}: {} ({}); {}", text.kind, text.status, text.detail, text.when);
                rows[index].others.push(line);
            }
            None => {
                row_of_patient.insert(patient_id, rows.len());
                rows.push(WorklistRow {
                    patient_id,
                    patient: patient.display_name.clone(),
                    mrn: patient.mrn.clone(),
                    kind: text.kind,
                    status: text.status,
                    status_class: urgency_class(&text.level),
                    urgency: urgency(&text.level),
                    detail: text.detail,
                    rule_ids: text.rule_ids,
                    when: text.when,
                    others: Vec::new(),
                });
            }
        }
    }
    rows
}

/// The worklist rows a search (name or MRN, any case) and a level filter (`urgent`: holds, stops, missing
/// data and red check-ins; `all`) leave.
pub fn filter_worklist(rows: Vec<WorklistRow>, search: &str, level: &str) -> Vec<WorklistRow> {
    let search = search.trim().to_lowercase();
    rows.into_iter()
        .filter(|row| {
            search.is_empty()
                || row.patient.to_lowercase().contains(&search)
                || row.mrn.to_lowercase().contains(&search)
        })
        .filter(|row| level != "urgent" || row.urgency >= 3)
        .collect()
}

/// The latest standing reading of one code, as the bedside form shows it beside its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastReading {
    /// "85 mmHg, 2 h 10 min ago".
    pub text: String,
    /// Older than the code's maximum age for a decision (4 h for vital signs, 24 h for labs and weight).
    pub stale: bool,
    /// For an output interval, when it ended (RFC 3339): the next interval starts there.
    pub interval_end: Option<String>,
}

/// The latest standing reading of each code (corrected readings replaced), with its age at `now_ms` and
/// whether it is too old to be used by a decision, keyed by code.
pub fn last_readings(
    observations: &[il2care_app::views::Observation],
    now_ms: i64,
) -> std::collections::HashMap<String, LastReading> {
    use il2care_core::assessment::inputs::{Freshness, ObservationCode};
    let corrected: std::collections::HashSet<i64> =
        observations.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut latest: std::collections::HashMap<&str, &il2care_app::views::Observation> =
        std::collections::HashMap::new();
    for observation in observations.iter().filter(|observation| !corrected.contains(&observation.id)) {
        let entry = latest.entry(observation.code.as_str()).or_insert(observation);
        if observation.at_ms > entry.at_ms {
            *entry = observation;
        }
    }
    latest
        .into_iter()
        .map(|(code, observation)| {
            let minutes = (now_ms - observation.at_ms).div_euclid(60_000);
            let max_hours = match ObservationCode::from_id(code).map(ObservationCode::freshness) {
                Some(Freshness::Vital) => Some(4),
                Some(Freshness::Daily) => Some(24),
                _ => None,
            };
            let unit = unit_text(&observation.unit);
            let age = if observation.start_ms.is_some() { "ended" } else { "taken" };
            let reading = LastReading {
                text: format!("{} {unit}, {age} {} ago", group_thousands(&observation.value), duration_text(minutes)),
                stale: max_hours.is_some_and(|hours| minutes > hours * 60),
                interval_end: observation.start_ms.map(|_| crate::rfc3339(observation.at_ms)),
            };
            (code.to_string(), reading)
        })
        .collect()
}

/// What happened at a dose slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotStatus {
    Given,
    Held,
    /// Still to come.
    Pending,
    /// Past, with nothing recorded.
    NotRecorded,
}

impl SlotStatus {
    /// The words shown.
    pub fn label(self) -> &'static str {
        match self {
            SlotStatus::Given => "Given",
            SlotStatus::Held => "Held",
            SlotStatus::Pending => "Pending",
            SlotStatus::NotRecorded => "Not recorded",
        }
    }

    /// The CSS class.
    pub fn class(self) -> &'static str {
        match self {
            SlotStatus::Given => "given",
            SlotStatus::Held => "held",
            SlotStatus::Pending => "pending",
            SlotStatus::NotRecorded => "not-recorded",
        }
    }
}

/// One dose slot of the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotRow {
    pub number: u32,
    pub cycle: u32,
    pub day: u32,
    pub at: String,
    pub status: SlotStatus,
    /// Who recorded the dose, and the override reason when it was given against the decision.
    pub recorded_by: Option<String>,
    pub override_reason: Option<String>,
}

/// Dose events that stand (a corrected event is replaced by its correction).
fn standing(events: &[DoseEvent]) -> Vec<&DoseEvent> {
    let corrected: Vec<i64> = events.iter().filter_map(|event| event.corrects_id).collect();
    events.iter().filter(|event| !corrected.contains(&event.id)).collect()
}

/// The course's slots in the patient's zone, each matched to the standing dose event nearest to it (within
/// half an interval).
pub fn slot_rows(course: &Course, events: &[DoseEvent], zone: &str, now_ms: i64) -> Vec<SlotRow> {
    let Some(regimen) = regimen(&course.regimen) else { return Vec::new() };
    let Ok(start) = jiff::Timestamp::from_millisecond(course.started_at_ms) else { return Vec::new() };
    let time_zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let request = ScheduleRequest { regimen, start: start.to_zoned(time_zone), level: None, days: None, cycles: None };
    let Ok(plan) = schedule(&request) else { return Vec::new() };
    let events = standing(events);
    plan.slots
        .iter()
        .map(|slot| {
            let at_ms = slot.at.timestamp().as_millisecond();
            let event = events
                .iter()
                .filter(|event| (event.at_ms - at_ms).abs() <= SLOT_MATCH_MS)
                .min_by_key(|event| (event.at_ms - at_ms).abs());
            let status = match event.and_then(|event| views::dose_status_of(&event.status)) {
                Some(DoseStatus::Given) => SlotStatus::Given,
                Some(DoseStatus::Held) => SlotStatus::Held,
                _ if at_ms > now_ms => SlotStatus::Pending,
                _ => SlotStatus::NotRecorded,
            };
            SlotRow {
                number: slot.number,
                cycle: slot.cycle,
                day: slot.day,
                at: local_time(at_ms, zone),
                status,
                recorded_by: event.map(|event| event.recorded_by.clone()),
                override_reason: event.and_then(|event| event.override_reason.clone()),
            }
        })
        .collect()
}

/// One reason of a decision: the rule that fired, the values behind it, its threshold and source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReasonView {
    /// The rule id (shown in small print).
    pub rule: String,
    /// The rule in plain words, from the catalogue (`Hold: systolic blood pressure < 90 mmHg`).
    pub title: String,
    pub action: String,
    pub evidence: Vec<String>,
    pub threshold: String,
    pub source: String,
    pub resume_when: Option<String>,
}

/// A stored decision as the course page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionView {
    pub id: i64,
    pub at: String,
    pub decision: String,
    pub label: &'static str,
    pub class: String,
    pub rule_set: String,
    pub reasons: Vec<ReasonView>,
    /// Rules that could not be evaluated and what they are missing.
    pub not_evaluated: Vec<String>,
    pub grades: Vec<String>,
}

/// A decision from its stored row and result document.
pub fn decision_view(assessment: &views::Decision, zone: &str) -> DecisionView {
    let result: Value = serde_json::from_str(&assessment.result).unwrap_or(Value::Null);
    let reasons = result["fired"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|fired| ReasonView {
            rule: scalar_text(&fired["id"]),
            title: super::words::rule_title(&scalar_text(&fired["id"])),
            action: action_text(&scalar_text(&fired["action"])),
            evidence: fired["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|evidence| {
                    let at = evidence["at"]
                        .as_str()
                        .and_then(|text| text.parse::<jiff::Timestamp>().ok())
                        .map(|at| format!(" at {}", local_time(at.as_millisecond(), zone)))
                        .unwrap_or_default();
                    format!("{} {}{at}", code_text(&scalar_text(&evidence["code"])), quantity_text(&evidence["value"]))
                })
                .collect(),
            threshold: plain(&scalar_text(&fired["threshold"])),
            source: scalar_text(&fired["source"]),
            resume_when: fired["resume_when"].as_str().map(plain),
        })
        .collect();
    let not_evaluated = result["not_evaluated"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            let age =
                entry["max_age_hours"].as_i64().map(|hours| format!(" in the last {hours} h")).unwrap_or_default();
            let rule = scalar_text(&entry["id"]);
            format!(
                "{} ({rule}): needs {}{age}",
                super::words::rule_title(&rule),
                code_text(&scalar_text(&entry["missing"]))
            )
        })
        .collect();
    let grades = result["grades"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|grade| grade["grade"].is_number())
        .map(|grade| {
            format!(
                "{}: grade {} (CTCAE v{})",
                scalar_text(&grade["term"]),
                grade["grade"],
                scalar_text(&grade["version"])
            )
        })
        .collect();
    DecisionView {
        id: assessment.id,
        at: local_time(assessment.at_ms, zone),
        decision: assessment.decision.clone(),
        label: decision_label(&assessment.decision),
        class: urgency_class(&assessment.decision),
        rule_set: assessment.rule_set.clone(),
        reasons,
        not_evaluated,
        grades,
    }
}

/// A check-in in the patient's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckInRow {
    pub id: i64,
    pub at: String,
    pub level: &'static str,
    pub class: String,
    pub called_back: bool,
    /// What the patient reported that fired a rule: item, answer and the level it leads to.
    pub reported: Vec<String>,
}

/// The patient's check-ins, newest first as stored.
pub fn checkin_rows(checkins: &[StoredCheckIn], zone: &str) -> Vec<CheckInRow> {
    checkins
        .iter()
        .map(|checkin| CheckInRow {
            id: checkin.id,
            at: local_time(checkin.at_ms, zone),
            level: level_label(&checkin.level),
            class: urgency_class(&checkin.level),
            called_back: checkin.called_back,
            reported: serde_json::from_str::<Value>(&checkin.result)
                .ok()
                .and_then(|result| result["fired"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|fired| {
                    format!(
                        "{} {} ({})",
                        scalar_text(&fired["item"]),
                        scalar_text(&fired["answer"]),
                        level_label(fired["level"].as_str().unwrap_or(""))
                    )
                })
                .collect(),
        })
        .collect()
}

/// An advice topic on the result page: its title and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdviceView {
    pub title: &'static str,
    pub blocks: Vec<il2care_content::Block>,
}

/// The check-in result as the patient reads it: the action first, then what to do and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultView {
    pub at: String,
    pub level: &'static str,
    pub class: String,
    /// The action, from the content crate's message for the level.
    pub action: String,
    pub message_rest: Vec<il2care_content::Block>,
    pub advice: Vec<AdviceView>,
}

/// The result page of a stored check-in, in the patient's language with the site's numbers: the content
/// crate's chooser picks the message (an incomplete self-care check-in gets the incomplete message, never the
/// reassurance; call now and emergency add "hold your next shot").
pub fn result_view(
    checkin: &StoredCheckIn,
    zone: &str,
    numbers: &il2care_content::SiteNumbers,
    language: il2care_content::Language,
) -> ResultView {
    use il2care_core::triage::{Item, Level};
    let result: Value = serde_json::from_str(&checkin.result).unwrap_or(Value::Null);
    // An unreadable level is shown as the most urgent, never as self care.
    let level = Level::ALL.into_iter().find(|level| level.id() == checkin.level).unwrap_or(Level::Emergency);
    let mut unanswered: Vec<Item> = result["unanswered"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(Item::from_id)
        .collect();
    if unanswered.is_empty() && !crate::api::worklist::checkin_complete(&checkin.result) {
        // A result that says it is incomplete without naming the items: the core items all count as missing.
        unanswered = vec![Item::Temperature, Item::ShortOfBreath, Item::FluidsNotKeptDownHours];
    }
    let message = il2care_content::result_message_in(language, level, &unanswered, numbers);
    let advice = result["advice"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|topic| il2care_content::advice_in(language, topic, numbers))
        .map(|advice| AdviceView { title: advice.title, blocks: advice.entry.blocks })
        .collect();
    let shown = if message.id == "incomplete" { "incomplete" } else { level.id() };
    ResultView {
        at: local_time(checkin.at_ms, zone),
        level: level_label(shown),
        class: urgency_class(shown),
        action: message.headline,
        message_rest: message.rest,
        advice,
    }
}

/// One line of the pharmacist's dose verification: what and its value with its unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseLine {
    pub what: &'static str,
    pub value: String,
}

/// The dose verification of a course, from the core's calculation rendered by the wire crate.
pub fn dose_lines(calculation: &DoseCalculation) -> Vec<DoseLine> {
    let json = il2care_wire::dosing::dose_json(calculation);
    let line =
        |what: &'static str, value: &Value| (!value.is_null()).then(|| DoseLine { what, value: quantity_text(value) });
    // mg is shown beside the dose of record, rounded to 0.001 mg for reading as the command line does.
    let milligrams = il2care_core::units::round_for_display(calculation.dose_mg.value(), 3).normalize();
    let off_label = "off-label (trial regimen; use under a protocol)";
    [
        calculation.regimen.off_label.then(|| DoseLine { what: "Regimen", value: off_label.into() }),
        line("Dosing weight", &json["weight"]),
        line("Body surface area", &json["body_surface_area"]),
        line("Dose of record", &json["dose"]),
        Some(DoseLine { what: "Dose in mg", value: format!("{milligrams} mg") }),
        line("Drug volume", &json["volume"]),
        line("Vials (22,000,000 IU each)", &json["vials"]),
        line("D5W bag", &json["bag"]),
        line("Final volume", &json["final_volume"]),
        line("Final concentration", &json["final_concentration"]),
        Some(DoseLine { what: "Stability after preparation", value: format!("{} h", json["stability_hours"]) }),
        line("Source", &json["source"]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// CTCAE grades over time: the terms graded 1 or more in any decision (in first-seen order) and, per decision
/// oldest first, its local time and the grade of each term (`None` where that decision did not grade it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GradeTable {
    pub terms: Vec<String>,
    pub rows: Vec<(String, Vec<Option<u64>>)>,
}

/// The grade table of a course's decisions (given newest first, as stored).
pub fn grade_table(assessments: &[views::Decision], zone: &str) -> GradeTable {
    let graded: Vec<(i64, Vec<(String, u64)>)> = assessments
        .iter()
        .rev()
        .map(|assessment| {
            let result: Value = serde_json::from_str(&assessment.result).unwrap_or(Value::Null);
            let grades = result["grades"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|grade| Some((scalar_text(&grade["term"]), grade["grade"].as_u64()?)))
                .collect();
            (assessment.at_ms, grades)
        })
        .collect();
    let mut terms: Vec<String> = Vec::new();
    for (term, grade) in graded.iter().flat_map(|(_, grades)| grades) {
        if *grade >= 1 && !terms.contains(term) {
            terms.push(term.clone());
        }
    }
    if terms.is_empty() {
        return GradeTable::default();
    }
    let rows = graded
        .iter()
        .map(|(at_ms, grades)| {
            let cells = terms
                .iter()
                .map(|term| grades.iter().find(|(graded, _)| graded == term).map(|(_, grade)| *grade))
                .collect();
            (local_time(*at_ms, zone), cells)
        })
        .collect();
    GradeTable { terms, rows }
}

/// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180); a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
fn csv_field(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '@') => format!("'{text}"),
        Some('-') if text.parse::<f64>().is_err() => format!("'{text}"),
        _ => text.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// The course timeline as CSV, oldest first: every observation, dose, logged injection, decision and check-in
/// with its time in the patient's zone (and in UTC), what it is, its value with its unit, and who recorded it.
/// Corrections are rows of their own, naming what they correct (the record keeps both).
pub fn timeline_csv(
    observations: &[il2care_app::views::Observation],
    events: &[DoseEvent],
    injections: &[Injection],
    assessments: &[views::Decision],
    checkins: &[StoredCheckIn],
    zone: &str,
) -> String {
    let mut rows: Vec<(i64, [String; 5])> = Vec::new();
    for observation in observations {
        let what = match observation.start_ms {
            Some(start) => format!("{} since {}", observation.code, local_time(start, zone)),
            None => observation.code.clone(),
        };
        let detail = observation.corrects_id.map(|id| format!("corrects observation {id}")).unwrap_or_default();
        rows.push((
            observation.at_ms,
            ["observation".into(), what, observation.value.clone(), observation.unit.clone(), detail],
        ));
    }
    for event in events {
        let mut detail = format!("recorded by {}", event.recorded_by);
        if let Some(reason) = &event.override_reason {
            detail.push_str(&format!("; override: {reason}"));
        }
        rows.push((
            event.at_ms,
            ["dose".into(), format!("course {}", event.course_id), event.status.clone(), String::new(), detail],
        ));
    }
    for injection in injections {
        let what = match injection.slot_number {
            Some(slot) => format!("course {}, shot {slot}", injection.course_id),
            None => format!("course {}", injection.course_id),
        };
        let mut detail = vec![format!("recorded by {}", injection.recorded_by)];
        detail.extend(injection.dose_level.as_ref().map(|level| format!("dose level {level}")));
        detail.extend(injection.site.as_ref().map(|site| format!("site {}", site.replace('_', " "))));
        detail.extend(injection.skip_reason.as_ref().map(|reason| format!("skipped: {reason}")));
        detail.extend(injection.note.as_ref().map(|note| format!("note: {note}")));
        detail.extend(injection.corrects_id.map(|id| format!("corrects injection {id}")));
        rows.push((
            injection.at_ms,
            ["injection".into(), what, injection.status.clone(), String::new(), detail.join("; ")],
        ));
    }
    for assessment in assessments {
        let result: Value = serde_json::from_str(&assessment.result).unwrap_or(Value::Null);
        let fired: Vec<&str> =
            result["fired"].as_array().into_iter().flatten().filter_map(|f| f["id"].as_str()).collect();
        let what = format!("{} rule set {}", assessment.rule_set, assessment.rule_set_version);
        rows.push((
            assessment.at_ms,
            ["decision".into(), what, assessment.decision.clone(), String::new(), fired.join(" ")],
        ));
    }
    for checkin in checkins {
        let detail = if checkin.called_back { "called back" } else { "not yet called back" };
        rows.push((
            checkin.at_ms,
            ["check-in".into(), "triage".into(), checkin.level.clone(), String::new(), detail.into()],
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    let mut out = String::from("time_local,time_utc,kind,what,value,unit,detail\r\n");
    for (at, fields) in rows {
        let mut line = vec![csv_field(&local_time(at, zone)), csv_field(&crate::rfc3339(at))];
        line.extend(fields.iter().map(|field| csv_field(field)));
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patient(id: i64, zone: &str) -> Patient {
        Patient {
            id,
            mrn: format!("MRN-{id}"),
            display_name: format!("Patient {id}"),
            date_of_birth: "1970-01-01".into(),
            sex: "female".into(),
            time_zone: zone.into(),
        }
    }

    fn ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn times_are_shown_in_the_patients_zone_with_its_abbreviation() {
        let check =
            |at: &str, zone: &str, expected: &str| assert_eq!(local_time(ms(at), zone), expected, "{at} {zone}");
        check("2026-11-27T13:30:00Z", "America/New_York", "Fri 27 Nov 2026, 08:30 EST");
        check("2026-07-01T12:00:00Z", "America/New_York", "Wed 1 Jul 2026, 08:00 EDT");
        check("2026-11-27T13:30:00Z", "Europe/Berlin", "Fri 27 Nov 2026, 14:30 CET");
        check("2026-11-27T13:30:00Z", "Not/AZone", "Fri 27 Nov 2026, 13:30 UTC");
    }

    #[test]
    fn every_decision_and_level_has_words_and_an_urgency_class() {
        let check = |id: &str, label: &str, class: &str| {
            let is_level = ["self_care", "call_today", "call_now", "emergency"].contains(&id);
            let words = if is_level { level_label(id) } else { decision_label(id) };
            assert_eq!((words, urgency_class(id).as_str()), (label, class), "{id}");
        };
        check("give", "Give", "u0");
        check("hold", "Hold", "u3");
        check("insufficient_data", "Insufficient data", "u3 neutral");
        check("not_permitted", "Not permitted", "u1 neutral");
        check("discontinue_course", "Discontinue for this course", "u4");
        check("discontinue_permanently", "Discontinue permanently", "u4");
        check("needs_assessment", "Needs assessment", "u2");
        check("self_care", "Self care", "u0");
        check("call_today", "Call today", "u2");
        check("call_now", "Call now", "u4");
        check("emergency", "Emergency", "u5");
    }

    #[test]
    fn quantities_keep_their_units_and_plain_values_stay_plain() {
        let check = |value: Value, expected: &str| assert_eq!(quantity_text(&value), expected);
        check(json!({"value": 86, "unit": "mm[Hg]"}), "86 mmHg");
        check(json!({"value": 38.2, "unit": "Cel"}), "38.2 °C");
        check(json!({"value": 48000000, "unit": "[iU]"}), "48,000,000 IU");
        check(json!({"value": 8, "unit": "10*3/uL"}), "8 ×10³/µL");
        check(json!({"value": 0.9, "unit": "mg/dL"}), "0.9 mg/dL");
        check(json!(7), "7");
        check(json!("increasing"), "increasing");
        check(Value::Null, "");
    }

    #[test]
    fn worklist_rows_are_one_per_patient_most_urgent_first_in_words_with_due_times() {
        let items = vec![
            json!({"kind": "checkin", "patient_id": 2, "checkin_id": 9, "level": "call_now", "at": "2026-11-27T13:00:00Z"}),
            json!({"kind": "dose", "patient_id": 1, "course_id": 3, "decision": "hold",
                   "reasons": ["label.hold.sbp-below-90"], "next_slot_at": "2026-11-27T16:00:00Z"}),
            json!({"kind": "checkin", "patient_id": 2, "checkin_id": 10, "level": "self_care",
                   "status": "incomplete", "at": "2026-11-27T14:00:00Z"}),
            json!({"kind": "dose", "patient_id": 3, "course_id": 4, "decision": "needs_assessment",
                   "reasons": [], "next_slot_at": "2026-11-27T14:00:00Z"}),
            json!({"kind": "dose", "patient_id": 99, "course_id": 5, "decision": "give", "reasons": []}),
        ];
        let patients = [patient(1, "America/New_York"), patient(2, "UTC"), patient(3, "UTC")];
        let now = ms("2026-11-27T15:40:00Z");
        let rows = worklist_rows(&items, &patients, "America/New_York", now);
        assert_eq!(rows.len(), 3, "one row per patient; an item of an unknown patient is left out");
        assert_eq!((rows[0].kind, rows[0].status, rows[0].status_class.as_str()), ("Check-in", "Call now", "u4"));
        assert_eq!(rows[0].when, "Checked in 2 h 40 min ago (Fri 27 Nov 2026, 08:00 EST)", "the ward's zone");
        assert_eq!(rows[0].others.len(), 1, "the patient's second check-in is counted, not a row of its own");
        assert!(rows[0].others[0].starts_with("Check-in: Incomplete"), "{}", rows[0].others[0]);
        assert_eq!((rows[1].status, rows[1].detail.as_str()), ("Hold", "Hold: systolic blood pressure < 90 mmHg"));
        assert_eq!(rows[1].rule_ids, ["label.hold.sbp-below-90"]);
        assert_eq!(rows[1].when, "Next dose due in 20 min (Fri 27 Nov 2026, 11:00 EST)");
        assert_eq!(rows[2].detail, "No decision recorded for this course yet");
        assert_eq!(rows[2].when, "Next dose overdue 1 h 40 min (Fri 27 Nov 2026, 09:00 EST)");
        let urgent = filter_worklist(rows.clone(), "", "urgent");
        assert_eq!(urgent.len(), 2, "the level filter keeps red check-ins and holds");
        assert_eq!(filter_worklist(rows, "mrn-3", "all").len(), 1, "search by MRN");
    }

    #[test]
    fn durations_and_due_times_read_as_a_ward_says_them() {
        let rows = [(0, "0 min"), (59, "59 min"), (60, "1 h"), (61, "1 h 1 min"), (1440, "1 d"), (1500, "1 d 1 h")];
        for (minutes, text) in rows {
            assert_eq!(duration_text(minutes), text);
        }
        assert_eq!(due_text(60_000 * 20, 0), "due in 20 min");
        assert_eq!(due_text(30_000, 0), "due now");
        assert_eq!(due_text(-60_000 * 35, 0), "overdue 35 min");
    }

    fn course(start: &str) -> Course {
        Course {
            id: 1,
            patient_id: 1,
            regimen: "hd-iv".into(),
            rule_set: "label".into(),
            started_at_ms: ms(start),
            baseline_weight_kg: Some("80".into()),
            baseline_creatinine_mg_dl: None,
        }
    }

    fn event(id: i64, status: &str, at: &str, corrects: Option<i64>) -> DoseEvent {
        DoseEvent {
            id,
            patient_id: 1,
            course_id: 1,
            assessment_id: None,
            status: status.into(),
            at_ms: ms(at),
            override_reason: None,
            corrects_id: corrects,
            recorded_by: "nurse".into(),
        }
    }

    #[test]
    fn slots_are_given_held_pending_or_not_recorded_and_corrections_replace_events() {
        let events = [
            event(1, "given", "2026-11-25T08:05:00Z", None),
            event(2, "given", "2026-11-25T16:00:00Z", None),
            event(3, "held", "2026-11-25T16:10:00Z", Some(2)),
        ];
        let rows = slot_rows(&course("2026-11-25T08:00:00Z"), &events, "UTC", ms("2026-11-26T01:00:00Z"));
        let statuses: Vec<SlotStatus> = rows.iter().take(4).map(|row| row.status).collect();
        assert_eq!(statuses, [SlotStatus::Given, SlotStatus::Held, SlotStatus::NotRecorded, SlotStatus::Pending]);
        assert_eq!(rows[0].at, "Wed 25 Nov 2026, 08:00 UTC");
        assert_eq!(rows[1].recorded_by.as_deref(), Some("nurse"));
        assert!(rows.len() >= 14, "a high-dose course has at least 14 slots per cycle");
    }

    #[test]
    fn a_hold_decision_shows_its_rule_values_threshold_and_source() {
        let result = json!({"decision": "hold", "fired": [{"id": "label.hold.sbp-below-90", "action": "hold",
            "evidence": [{"code": "systolic_bp", "value": {"value": 85, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"}],
            "threshold": "systolic_bp < 90 mm[Hg]", "source": "LABEL-2024 §2.4 T2", "resume_when": "systolic_bp >= 90 mm[Hg]"}],
            "not_evaluated": [{"id": "label.hold.creatinine-above-4.5", "missing": "creatinine", "max_age_hours": 24}],
            "grades": [{"term": "Hypotension", "grade": 2, "version": "5.0"}, {"term": "Fever", "grade": null}]});
        let assessment = views::Decision {
            id: 7,
            patient_id: 1,
            course_id: Some(1),
            at_ms: ms("2026-11-27T16:00:00Z"),
            rule_set: "label".into(),
            rule_set_version: "1".into(),
            decision: "hold".into(),
            document: "{}".into(),
            result: result.to_string(),
        };
        let view = decision_view(&assessment, "America/New_York");
        assert_eq!((view.label, view.class.as_str()), ("Hold", "u3"));
        assert_eq!(view.reasons[0].rule, "label.hold.sbp-below-90");
        assert_eq!(view.reasons[0].evidence, ["systolic blood pressure 85 mmHg at Fri 27 Nov 2026, 10:40 EST"]);
        assert_eq!(view.reasons[0].threshold, "systolic blood pressure < 90 mmHg");
        assert_eq!(view.reasons[0].title, "Hold: systolic blood pressure < 90 mmHg");
        assert_eq!(view.reasons[0].source, "LABEL-2024 §2.4 T2");
        assert_eq!(
            view.not_evaluated,
            ["Hold: creatinine > 4.5 mg/dL (label.hold.creatinine-above-4.5): needs creatinine in the last 24 h"]
        );
        assert_eq!(view.grades, ["Hypotension: grade 2 (CTCAE v5.0)"], "an ungraded term is left out");
    }

    fn stored_checkin(level: &str, result: Value) -> StoredCheckIn {
        StoredCheckIn {
            id: 3,
            patient_id: 1,
            client_id: None,
            at_ms: ms("2026-11-27T13:30:00Z"),
            level: level.into(),
            level_rank: 2,
            document: "{}".into(),
            result: result.to_string(),
            called_back: false,
        }
    }

    #[test]
    fn a_fever_result_puts_the_call_now_action_first_with_the_fever_advice() {
        let checkin = stored_checkin("call_now", json!({"level": "call_now", "advice": ["fever"], "unanswered": []}));
        let numbers = il2care_content::SiteNumbers::default();
        let view = result_view(&checkin, "America/New_York", &numbers, il2care_content::Language::English);
        assert_eq!(view.level, "Call now");
        assert_eq!(view.action, il2care_content::message("call_now").unwrap().headline());
        assert_eq!(view.advice.len(), 1);
        assert_eq!(view.advice[0].title, il2care_content::advice("fever").unwrap().title);
        let rest = format!("{:?}", view.message_rest);
        assert!(rest.contains("do not give your next shot"), "call now holds the next shot: {rest}");
        assert_eq!(view.at, "Fri 27 Nov 2026, 08:30 EST");
    }

    #[test]
    fn check_in_rows_say_what_was_reported_and_whether_someone_called_back() {
        let result = json!({"level": "call_now", "fired": [
            {"id": "triage.fever", "item": "temperature", "answer": "100.8 [degF]", "level": "call_now"},
            {"id": "triage.chills", "item": "chills", "answer": "moderate", "level": "self_care"}]});
        let rows = checkin_rows(&[stored_checkin("call_now", result)], "America/New_York");
        assert_eq!(rows[0].reported, ["temperature 100.8 [degF] (Call now)", "chills moderate (Self care)"]);
        assert_eq!((rows[0].level, rows[0].called_back), ("Call now", false));
        assert_eq!(rows[0].at, "Fri 27 Nov 2026, 08:30 EST");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed_and_never_run_as_formulas() {
        let check = |text: &str, expected: &str| assert_eq!(csv_field(text), expected, "{text}");
        check("86", "86");
        check("-2", "-2");
        check("Fri 27 Nov 2026, 08:30 EST", "\"Fri 27 Nov 2026, 08:30 EST\"");
        check("said \"ok\"", "\"said \"\"ok\"\"\"");
        check("=HYPERLINK(1)", "'=HYPERLINK(1)");
        check("-cmd", "'-cmd");
        check("@x", "'@x");
    }

    #[test]
    fn the_timeline_lists_observations_doses_decisions_and_check_ins_oldest_first() {
        let observation = il2care_app::views::Observation {
            id: 1,
            patient_id: 1,
            client_id: None,
            code: "systolic_bp".into(),
            value: "85".into(),
            unit: "mm[Hg]".into(),
            at_ms: ms("2026-11-27T15:40:00Z"),
            start_ms: None,
            document: "{}".into(),
            corrects_id: None,
        };
        let mut held = event(2, "held", "2026-11-27T16:05:00Z", None);
        held.override_reason = Some("family, asked".into());
        let checkin = stored_checkin("call_now", json!({}));
        let skipped = Injection {
            id: 3,
            patient_id: 1,
            course_id: 2,
            client_id: None,
            status: "skipped".into(),
            slot_number: Some(4),
            dose_level: Some("1-miu".into()),
            at_ms: ms("2026-11-27T17:00:00Z"),
            site: None,
            skip_reason: Some("fever".into()),
            note: None,
            corrects_id: None,
            recorded_by: "patient_a".into(),
        };
        let csv = timeline_csv(&[observation], &[held], &[skipped], &[], &[checkin], "UTC");
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time_local,time_utc,kind,what,value,unit,detail");
        assert_eq!(
            lines[1],
            "\"Fri 27 Nov 2026, 13:30 UTC\",2026-11-27T13:30:00Z,check-in,triage,call_now,,not yet called back"
        );
        assert_eq!(lines[2], "\"Fri 27 Nov 2026, 15:40 UTC\",2026-11-27T15:40:00Z,observation,systolic_bp,85,mm[Hg],");
        assert_eq!(
            lines[3],
            "\"Fri 27 Nov 2026, 16:05 UTC\",2026-11-27T16:05:00Z,dose,course 1,held,,\"recorded by nurse; override: family, asked\""
        );
        assert_eq!(
            lines[4],
            "\"Fri 27 Nov 2026, 17:00 UTC\",2026-11-27T17:00:00Z,injection,\"course 2, shot 4\",skipped,,\
             recorded by patient_a; dose level 1-miu; skipped: fever"
        );
        assert_eq!(lines.len(), 6, "a line per record and the final line break");
    }

    fn decided(id: i64, at: &str, grades: Value) -> views::Decision {
        views::Decision {
            id,
            patient_id: 1,
            course_id: Some(1),
            at_ms: ms(at),
            rule_set: "label".into(),
            rule_set_version: "1".into(),
            decision: "give".into(),
            document: "{}".into(),
            result: json!({"grades": grades}).to_string(),
        }
    }

    #[test]
    fn grades_over_time_list_each_graded_term_once_oldest_decision_first() {
        let newest_first = [
            decided(
                2,
                "2026-11-27T16:00:00Z",
                json!([{"term": "Hypotension", "grade": 2}, {"term": "Fever", "grade": 1}]),
            ),
            decided(
                1,
                "2026-11-27T08:00:00Z",
                json!([{"term": "Hypotension", "grade": 1}, {"term": "Fever", "grade": 0},
                                                       {"term": "Creatinine increased", "grade": null}]),
            ),
        ];
        let table = grade_table(&newest_first, "UTC");
        assert_eq!(table.terms, ["Hypotension", "Fever"], "grade 0 and ungraded terms alone add no column");
        assert_eq!(table.rows[0], ("Fri 27 Nov 2026, 08:00 UTC".to_string(), vec![Some(1), Some(0)]));
        assert_eq!(table.rows[1].1, [Some(2), Some(1)]);
        assert_eq!(grade_table(&[decided(3, "2026-11-27T08:00:00Z", json!([]))], "UTC"), GradeTable::default());
    }

    #[test]
    fn unanswered_key_questions_bring_the_note_that_missing_is_not_fine() {
        let checkin =
            stored_checkin("call_today", json!({"level": "call_today", "advice": [], "unanswered": ["temperature"]}));
        let numbers = il2care_content::SiteNumbers::default();
        let note =
            format!("{:?}", result_view(&checkin, "UTC", &numbers, il2care_content::Language::English).message_rest);
        assert!(note.contains("never taken to mean you are fine"), "{note}");
        let quiet = stored_checkin(
            "self_care",
            json!({"level": "self_care", "complete": false, "unanswered": ["short_of_breath"]}),
        );
        let view = result_view(&quiet, "UTC", &numbers, il2care_content::Language::English);
        assert_eq!(view.level, "Incomplete", "an incomplete check-in is never shown as self care");
        assert!(!view.action.contains("look after yourself"), "{}", view.action);
    }

    #[test]
    fn the_dose_verification_lists_every_number_with_its_unit() {
        use il2care_core::dosing::{DoseRequest, calculate};
        use il2care_core::units::{Kilograms, Measure};
        let request = DoseRequest {
            regimen: il2care_core::regimens::regimen("hd-iv").unwrap(),
            level: None,
            weight: Some(Kilograms::new(rust_decimal_macros::dec!(80)).unwrap()),
            height: None,
            prepared_at: None,
        };
        let lines = dose_lines(&calculate(request).unwrap());
        let value = |what: &str| lines.iter().find(|line| line.what == what).map(|line| line.value.clone());
        assert_eq!(value("Dose of record").as_deref(), Some("48,000,000 IU"));
        assert_eq!(value("Dose in mg").as_deref(), Some("2.96 mg"));
        assert_eq!(value("Drug volume").as_deref(), Some("2.67 mL"));
        assert_eq!(value("Vials (22,000,000 IU each)").as_deref(), Some("3"));
        assert_eq!(value("D5W bag").as_deref(), Some("50 mL"));
        assert_eq!(value("Stability after preparation").as_deref(), Some("48 h"));
        assert_eq!(value("Regimen"), None, "the label regimen is not flagged off-label");
    }
}
