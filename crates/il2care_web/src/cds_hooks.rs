//! CDS Hooks 2.0: discovery at `GET /cds-services`, the services `patient-view`, `order-select` and `order-sign`
//! at `POST /cds-services/{id}`, and `POST /cds-services/{id}/feedback`, recorded in the audit log.
//!
//! The EHR's patient is matched to an il2care record by MRN from the `patient` prefetch. When the prefetch is
//! absent or null, il2care reads the Patient from the request's `fhirServer` if the calling EHR's issuer lists
//! that server ([`crate::fhir_client`]); when the patient cannot be had, the answer is 412. Cards come from pure
//! functions over the record and
//! the draft orders; the dose check uses the core's dosing, the contrast notice the core's screening. Cards never
//! carry nulls, summaries stay under 140 characters, and a card with suggestions names its selectionBehavior.
//! Callers: an allow-listed EHR with a signed JWT (CDS Hooks 2.0 security, checked in [`crate::cds_auth`]),
//! audited as `ehr:<iss>`, each token good for one call, or a signed-in staff account; without `--cds-issuers`
//! only the latter. Discovery carries no patient data: it is public without `--cds-issuers`, and with it needs
//! a caller like every other endpoint (the specification has the EHR send its JWT to discovery too).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use il2care_core::Refusal;
use il2care_core::course::{LoggedShot, ShotCounts, shot_counts};
use il2care_core::dosing::ordered::{OrderCheck, OrderedDose, compare_order};
use il2care_core::dosing::{DoseRequest, calculate};
use il2care_core::regimens::Route;
use il2care_core::regimens::regimen;
use il2care_core::schedule::high_dose;
use il2care_core::screening::contrast::{ContrastAgent, ContrastExposure, NoticeLevel, notice};
use il2care_core::screening::contrast_codes::{ImagingContrastCode, coded_contrast, mentions_contrast};
use il2care_core::screening::gate::{GateScreening, ItemDecision, first_dose_gate};
use il2care_core::screening::interactions::{DrugClass, match_drugs};
use il2care_core::units::{Kilograms, Measure};
use il2care_store::Conn;
use il2care_store::record::{self, Assessment, Course, DoseEvent, RecordExtent};
use il2care_wire::fhir::codes;
use il2care_wire::fhir::export::prune;
use il2care_wire::fhir::matching;
use il2care_wire::json::{number, parse_object};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Map, Value, json};
use std::sync::Arc;

use crate::AppState;
use crate::body::{Body, json_text};
use crate::cds_auth::CdsCaller;
use crate::error::AppError;
use axum::extract::FromRequestParts;

/// The services il2care offers: (id, hook, title, description).
pub const SERVICES: [(&str, &str, &str, &str); 3] = [
    (
        "il2care-patient-view",
        "patient-view",
        "il2care: interleukin-2 course",
        "Course status, doses given and held, the current per-dose decision, grade 3+ toxicities and the lasting \
         contrast flag of a patient on aldesleukin.",
    ),
    (
        "il2care-order-select",
        "order-select",
        "il2care: aldesleukin and contrast orders (select)",
        "Checks a selected aldesleukin order against the course weight, course limits and the current decision, \
         and an iodinated contrast order against the patient's interleukin-2 exposure.",
    ),
    (
        "il2care-order-sign",
        "order-sign",
        "il2care: aldesleukin and contrast orders (sign)",
        "The same checks as order-select, on every draft order before signing.",
    ),
];

/// Where cards say they come from.
pub const SOURCE_LABEL: &str = "il2care";
/// The code system of the override reasons il2care offers.
pub const OVERRIDE_REASON_SYSTEM: &str = "urn:il2care:override-reason";
/// The override reasons offered on a critical card.
pub const OVERRIDE_REASONS: [(&str, &str); 3] = [
    ("clinician-reassessed", "Patient reassessed by the treating clinician"),
    ("decision-outdated", "The recorded decision is out of date"),
    ("other-documented", "Other reason, documented in the chart"),
];
/// The longest summary a card may carry (the specification: under 140 characters).
pub const MAX_SUMMARY_CHARS: usize = 139;
/// How long an issued card is kept for feedback; feedback on an older card is refused as unknown.
pub const CARD_FEEDBACK_DAYS: i64 = 30;

/// The cards of one answer as the store keeps them for feedback.
fn issued(
    cards: &[Value],
    service_id: &str,
    patient_id: i64,
    caller: &CdsCaller,
) -> Vec<il2care_store::group_commit::IssuedCard> {
    let kept_until_ms = crate::now_ms() + CARD_FEEDBACK_DAYS * 86_400_000;
    cards
        .iter()
        .filter_map(|card| card["uuid"].as_str())
        .map(|uuid| il2care_store::group_commit::IssuedCard {
            uuid: uuid.to_string(),
            service_id: service_id.to_string(),
            patient_id,
            issued_to: caller.actor_name(),
            kept_until_ms,
        })
        .collect()
}

/// How far an ordered dose may differ from the calculated one before il2care warns (rounding of the order).
pub const DOSE_TOLERANCE: Decimal = dec!(0.05);

/// `GET /cds-services`: the discovery document. With `--cds-issuers` the caller must be an allow-listed EHR
/// (its token spent and audited) or a signed-in staff account; without, it is public (no patient data).
pub async fn discovery(State(state): State<AppState>, mut parts: axum::http::request::Parts) -> Response {
    if state.cds_issuers.is_some() {
        let caller = match CdsCaller::from_request_parts(&mut parts, &state).await {
            Ok(caller) => caller,
            Err(refusal) => return refusal,
        };
        if matches!(caller, CdsCaller::Ehr { .. }) {
            match caller.audit_durably(&state, "read", "cds/discovery", None).await {
                Ok(Ok(())) => {}
                Ok(Err(replayed)) => return replayed.into_response(),
                Err(error) => return error.into_response(),
            }
        }
    }
    discovery_document().into_response()
}

/// The discovery document: the services with their prefetch templates.
pub fn discovery_document() -> Json<Value> {
    let services: Vec<Value> = SERVICES
        .iter()
        .map(|(id, hook, title, description)| {
            json!({"id": id, "hook": hook, "title": title, "description": description,
                   "prefetch": {"patient": "Patient/{{context.patientId}}"}})
        })
        .collect();
    Json(json!({"services": services}))
}

/// A random version-4 UUID for a card or suggestion.
fn uuid() -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| AppError::Internal(anyhow::anyhow!("no randomness: {error}")))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
}

/// A card before it gets its ids.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// `info`, `warning` or `critical`.
    pub indicator: &'static str,
    pub summary: String,
    pub detail: String,
    /// Offer the override reasons (critical cards about giving a dose).
    pub override_reasons: bool,
    /// A suggestion to delete these draft orders (`MedicationRequest/1`), with its label.
    pub delete_orders: Option<(String, Vec<String>)>,
    /// The card's links (CDS Hooks `links`): empty today; a SMART launch link (`type` `smart`) of the course
    /// card is pushed here.
    pub links: Vec<CardLink>,
}

/// A link of a card: its label, URL and type (`absolute` or `smart`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardLink {
    pub label: String,
    pub url: String,
    pub kind: &'static str,
}

impl Card {
    fn new(indicator: &'static str, summary: impl Into<String>, detail: impl Into<String>) -> Card {
        Card {
            indicator,
            summary: summary.into(),
            detail: detail.into(),
            override_reasons: false,
            delete_orders: None,
            links: Vec::new(),
        }
    }
}

/// A summary cut to fit the specification's limit.
pub fn short(summary: &str) -> String {
    if summary.chars().count() <= MAX_SUMMARY_CHARS {
        return summary.to_string();
    }
    let cut: String = summary.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    format!("{cut}…")
}

/// The card as CDS Hooks JSON, pruned of empty values.
fn card_json(card: &Card) -> Result<Value, AppError> {
    let mut value = json!({
        "uuid": uuid()?,
        "summary": short(&card.summary),
        "detail": card.detail,
        "indicator": card.indicator,
        "source": {"label": SOURCE_LABEL, "topic": {"system": "urn:il2care:cds-topic", "code": "aldesleukin"}},
    });
    if card.override_reasons {
        value["overrideReasons"] = OVERRIDE_REASONS
            .iter()
            .map(|(code, display)| json!({"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display}))
            .collect();
    }
    if let Some((label, ids)) = &card.delete_orders
        && !ids.is_empty()
    {
        // One delete action per order: an action's resourceId is one relative reference (CDS Hooks 2.0).
        let actions: Vec<Value> =
            ids.iter().map(|id| json!({"type": "delete", "description": label, "resourceId": id})).collect();
        value["suggestions"] = json!([{"label": label, "uuid": uuid()?, "actions": actions}]);
        value["selectionBehavior"] = json!("at-most-one");
    }
    if !card.links.is_empty() {
        value["links"] =
            card.links.iter().map(|link| json!({"label": link.label, "url": link.url, "type": link.kind})).collect();
    }
    Ok(prune(value))
}

/// What the cards are built from: the patient's latest course and what the record says about it.
#[derive(Clone, Debug, Default)]
pub struct CourseFacts {
    pub course: Option<Course>,
    /// Dose events of the latest course, corrections applied.
    pub doses: Vec<DoseEvent>,
    /// The latest decision of the latest course.
    pub decision: Option<Assessment>,
    /// Read once from the decision's stored result: the rules that fired as `- id (source)` lines, and the
    /// CTCAE grades 3 and above as `term grade N`.
    pub fired: Vec<String>,
    pub severe_grades: Vec<String>,
    pub flags: Vec<String>,
    /// The last dose given in any course: an infusion or a logged low-dose shot.
    pub last_given_ms: Option<i64>,
    /// The latest course's typed events, from which `il2care_core::course` derives the counts (the same
    /// course state as the API and the pages).
    pub events: Option<il2care_core::course::CourseEvents>,
    /// The latest course's injection log (low-dose shots), for the core's `shot_counts`.
    pub shots: Vec<LoggedShot>,
    /// The latest course's latest screening and the physicians' decisions on it: the inputs of the core's
    /// `first_dose_gate`, read as the dose record reads them (`il2care_app::screening_gate::gate_inputs`).
    pub gate_screening: Option<GateScreening>,
    pub gate_decisions: Vec<ItemDecision>,
}

async fn course_facts(conn: &mut Conn, patient_id: i64) -> Result<CourseFacts, AppError> {
    let courses = record::courses(conn, patient_id).await?;
    let mut facts = CourseFacts { flags: record::flags(conn, patient_id).await?, ..CourseFacts::default() };
    for course in &courses {
        let events = record::dose_events(conn, course.id).await?;
        let corrected: Vec<i64> = events.iter().filter_map(|event| event.corrects_id).collect();
        let current: Vec<DoseEvent> = events.into_iter().filter(|event| !corrected.contains(&event.id)).collect();
        let last = current.iter().filter(|event| event.status == "given").map(|event| event.at_ms).max();
        facts.last_given_ms = facts.last_given_ms.max(last);
        facts.doses = current;
    }
    // A logged low-dose shot is a dose of interleukin-2 too (the contrast notice counts from the last one).
    let logged = record::injections(conn, patient_id).await?;
    let last_shot = record::standing_injections(&logged)
        .iter()
        .filter(|entry| entry.status == "given")
        .map(|entry| entry.at_ms)
        .max();
    facts.last_given_ms = facts.last_given_ms.max(last_shot);
    facts.course = courses.last().cloned();
    if let Some(course) = &facts.course {
        facts.decision = record::latest_assessment_of_course(conn, patient_id, course.id).await?;
        facts.events = Some(crate::api::courses::course_events(conn, course).await?);
        facts.shots = logged
            .iter()
            .filter(|entry| entry.course_id == course.id)
            .filter_map(|entry| {
                Some(LoggedShot {
                    id: entry.id,
                    slot: entry.slot_number.and_then(|slot| u32::try_from(slot).ok()),
                    given: entry.status == "given",
                    at: jiff::Timestamp::from_millisecond(entry.at_ms).ok()?,
                    corrects_id: entry.corrects_id,
                })
            })
            .collect();
        let (screening, decisions) = il2care_app::screening_gate::gate_inputs(conn, course.id).await?;
        facts.gate_screening = screening;
        facts.gate_decisions = decisions;
    }
    if let Some(decision) = &facts.decision {
        let result: Value = serde_json::from_str(&decision.result).unwrap_or(Value::Null);
        facts.fired = result["fired"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|rule| {
                Some(format!("- {} ({})", rule["id"].as_str()?, rule["source"].as_str().unwrap_or("no source")))
            })
            .collect();
        facts.severe_grades = result["grades"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|grade| grade["grade"].as_u64().is_some_and(|grade| grade >= 3))
            .filter_map(|grade| Some(format!("{} grade {}", grade["term"].as_str()?, grade["grade"])))
            .collect();
    }
    Ok(facts)
}

/// The most patients whose facts are kept between calls; past it the cache starts again empty.
const MAX_CACHED_PATIENTS: usize = 4096;

/// The facts of recently viewed patients, each with the extent of the record it was read at. A chart opened
/// again is answered from here when the record has not grown since: the extent is read fresh on every call (one
/// query with the MRN look-up), so a cached entry is never used after a change, from any instance.
#[derive(Debug, Default)]
pub struct FactsCache(std::sync::Mutex<std::collections::HashMap<i64, (RecordExtent, Arc<CourseFacts>)>>);

impl FactsCache {
    fn get(&self, patient_id: i64, extent: RecordExtent) -> Option<Arc<CourseFacts>> {
        let entries = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&patient_id).filter(|(at, _)| *at == extent).map(|(_, facts)| facts.clone())
    }

    fn put(&self, patient_id: i64, extent: RecordExtent, facts: Arc<CourseFacts>) {
        let mut entries = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_PATIENTS && !entries.contains_key(&patient_id) {
            entries.clear();
        }
        entries.insert(patient_id, (extent, facts));
    }
}

/// The patient's facts, from the cache when the record has not grown since they were read. Facts read after
/// the extent are at least as new as it, so a later call with a newer extent reads them again.
async fn facts_at(
    state: &AppState,
    conn: &mut Conn,
    patient_id: i64,
    extent: RecordExtent,
) -> Result<Arc<CourseFacts>, AppError> {
    if let Some(facts) = state.cds_facts.get(patient_id, extent) {
        return Ok(facts);
    }
    let facts = Arc::new(course_facts(conn, patient_id).await?);
    state.cds_facts.put(patient_id, extent, facts.clone());
    Ok(facts)
}

fn time_text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| ms.to_string(), |at| at.strftime("%Y-%m-%d %H:%M UTC").to_string())
}

/// Doses given this course, given this cycle and held this course (cycle 2 starts on day 15).
fn counts(facts: &CourseFacts, now_ms: i64) -> (usize, usize, usize, i64) {
    let Some(course) = &facts.course else {
        return (0, 0, 0, 1);
    };
    if let Some(events) = &facts.events
        && let Ok(now) = jiff::Timestamp::from_millisecond(now_ms)
    {
        let state = il2care_core::course::course_state(events, now);
        let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        let held = count(state.holds_this_course);
        return (count(state.doses_given_course), count(state.doses_given_cycle), held, i64::from(state.cycle));
    }
    let cycle_2 = course.started_at_ms + high_dose::CYCLE_2_OFFSET.as_millis() as i64;
    let (cycle, start) = if now_ms >= cycle_2 { (2, cycle_2) } else { (1, course.started_at_ms) };
    let given: Vec<&DoseEvent> = facts.doses.iter().filter(|event| event.status == "given").collect();
    let in_cycle = given.iter().filter(|event| event.at_ms >= start).count();
    let held = facts.doses.iter().filter(|event| event.status == "held").count();
    (given.len(), in_cycle, held, cycle)
}

/// The latest course's low-dose shots at `now` (core `shot_counts`), when its regimen is subcutaneous.
fn low_dose_shots(facts: &CourseFacts, now: jiff::Timestamp) -> Option<ShotCounts> {
    let course = facts.course.as_ref()?;
    let subcutaneous = regimen(&course.regimen).is_some_and(|regimen| regimen.route == Route::Subcutaneous);
    (subcutaneous || !facts.shots.is_empty()).then(|| shot_counts(&facts.shots, now))
}

/// Whether the latest course's first dose has been given (an infusion recorded or a shot logged).
fn first_dose_given(facts: &CourseFacts, now: jiff::Timestamp) -> bool {
    let (given, ..) = counts(facts, now.as_millisecond());
    given > 0 || shot_counts(&facts.shots, now).given > 0
}

/// The course card: doses given and held (high dose), or shots given and skipped (low dose).
fn course_card(facts: &CourseFacts, now: jiff::Timestamp) -> Option<Card> {
    let course = facts.course.as_ref()?;
    let started = format!("Course started {}.", time_text(course.started_at_ms));
    if let Some(shots) = low_dose_shots(facts, now) {
        let last = shots.last_given_at.map_or_else(|| "none yet".to_string(), |at| time_text(at.as_millisecond()));
        return Some(Card::new(
            "info",
            format!(
                "{} course: given {} shots, skipped {}, last shot {last}",
                course.regimen, shots.given, shots.skipped
            ),
            format!("{started} Shots as logged in the injection log (corrections applied)."),
        ));
    }
    let (given, in_cycle, held, cycle) = counts(facts, now.as_millisecond());
    Some(Card::new(
        "info",
        format!("{} course, cycle {cycle}: given {given} ({in_cycle} this cycle), held {held}", course.regimen),
        started,
    ))
}

/// The screening gate of the first dose (SCREENING §1 amendment), decided by the core's `first_dose_gate`
/// as the dose record decides it: a card while the latest course's first dose is not given and the gate is
/// closed, naming every item that keeps it closed. Critical beside an aldesleukin order, a warning otherwise.
fn gate_card(facts: &CourseFacts, now: jiff::Timestamp, beside_an_order: bool) -> Option<Card> {
    facts.course.as_ref()?;
    if first_dose_given(facts, now) {
        return None;
    }
    let gate = first_dose_gate(facts.gate_screening.as_ref(), &facts.gate_decisions, now);
    if gate.open {
        return None;
    }
    let open_items = gate.blockers.iter().filter(|blocker| blocker.item.is_some()).count();
    let summary = if facts.gate_screening.is_none() {
        "First dose blocked: no screening of this course yet".to_string()
    } else {
        format!("First dose blocked by the screening gate: {open_items} item(s) not cleared")
    };
    let reasons: Vec<String> = gate.blockers.iter().map(|blocker| format!("- {}", blocker.reason)).collect();
    Some(Card::new(
        if beside_an_order { "critical" } else { "warning" },
        summary,
        format!(
            "The first dose of this course cannot be recorded in il2care until its latest screening is within every \
             item's window, each needs-review item acknowledged and each fail overridden by a physician \
             (SCREENING §1):\n{}",
            reasons.join("\n")
        ),
    ))
}

/// The decision card: critical when the latest decision is not `give`.
fn decision_card(facts: &CourseFacts, orders: &[String]) -> Option<Card> {
    let decision = facts.decision.as_ref()?;
    let fired = &facts.fired;
    let when = time_text(decision.at_ms);
    if decision.decision == "give" {
        return Some(Card::new("info", format!("il2care decision at {when}: give"), "No hold or stop rule fired."));
    }
    let words = decision.decision.replace('_', " ");
    let mut card = Card::new(
        "critical",
        format!("il2care decision at {when}: {words}. Do not give this dose without a documented reason."),
        format!("Rules that fired:\n{}\n\nDecision support: the treating clinician decides.", fired.join("\n")),
    );
    card.override_reasons = true;
    if !orders.is_empty() {
        card.delete_orders = Some(("Cancel the aldesleukin order".to_string(), orders.to_vec()));
    }
    Some(card)
}

/// The contrast card of a patient who has received interleukin-2 (core screening rules, dates included).
fn contrast_card(facts: &CourseFacts, now: jiff::Timestamp, involves: &str) -> Option<Card> {
    agent_contrast_card(facts, now, ContrastAgent::Iodinated, involves)
}

fn agent_contrast_card(
    facts: &CourseFacts,
    now: jiff::Timestamp,
    agent: ContrastAgent,
    involves: &str,
) -> Option<Card> {
    if !facts.flags.iter().any(|flag| flag == "received_interleukin_2") {
        return None;
    }
    let last = facts.last_given_ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
    let exposure = ContrastExposure { agent, at: now, involves: involves.to_string() };
    let notice = notice(&exposure, last);
    let indicator = if notice.level == NoticeLevel::Warning { "warning" } else { "info" };
    let last_text = last.map_or_else(|| "unknown".to_string(), |at| time_text(at.as_millisecond()));
    let words = match agent {
        ContrastAgent::Iodinated => "iodinated contrast",
        ContrastAgent::Gadolinium => "gadolinium contrast",
    };
    Some(Card::new(
        indicator,
        format!("Received interleukin-2 (last dose {last_text}): {words}"),
        format!("{}: {} [{}]", notice.involves, notice.message, notice.source.0),
    ))
}

/// Every coding of an imaging order: a ServiceRequest's `code`, an ImagingStudy's `procedureCode`.
fn imaging_codings(order: &Value) -> impl Iterator<Item = &Value> {
    let concepts = std::iter::once(&order["code"]).chain(order["procedureCode"].as_array().into_iter().flatten());
    concepts.flat_map(|concept| concept["coding"].as_array().into_iter().flatten())
}

/// Every text of an imaging order (code text and displays, order details, the study's description).
fn imaging_text(order: &Value) -> String {
    let mut texts = vec![order_text(order)];
    for concept in order["procedureCode"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(order["orderDetail"].as_array().into_iter().flatten())
    {
        texts.extend(concept["text"].as_str().map(str::to_string));
        texts.extend(
            concept["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|coding| coding["display"].as_str().map(str::to_string)),
        );
    }
    texts.extend(order["description"].as_str().map(str::to_string));
    texts.retain(|text| !text.is_empty());
    texts.join("; ")
}

/// How an imaging order involves contrast: a code of the reviewed table, or only words (to review).
enum ImagingContrast {
    Coded(&'static ImagingContrastCode),
    WordsOnly(String),
}

fn imaging_contrast(order: &Value) -> Option<ImagingContrast> {
    if !matches!(order["resourceType"].as_str(), Some("ServiceRequest" | "ImagingStudy")) {
        return None;
    }
    let coded = imaging_codings(order).find_map(|coding| {
        coded_contrast(coding["system"].as_str().unwrap_or(""), coding["code"].as_str().unwrap_or(""))
    });
    if let Some(row) = coded {
        return Some(ImagingContrast::Coded(row));
    }
    let text = imaging_text(order);
    mentions_contrast(&text).then_some(ImagingContrast::WordsOnly(text))
}

/// The card of an imaging order with contrast: the contrast notice for a coded study; for words without a
/// known code, a card to review that treats the study as iodinated (the safer reading) and says why.
fn imaging_card(facts: &CourseFacts, now: jiff::Timestamp, contrast: &ImagingContrast) -> Option<Card> {
    match contrast {
        ImagingContrast::Coded(row) => {
            let system =
                if row.system == il2care_core::screening::contrast_codes::LOINC { "LOINC" } else { "SNOMED CT" };
            agent_contrast_card(
                facts,
                now,
                row.agent,
                &format!("imaging order: {} ({system} {})", row.display, row.code),
            )
        }
        ImagingContrast::WordsOnly(text) => {
            let notice = agent_contrast_card(facts, now, ContrastAgent::Iodinated, &format!("imaging order: {text}"))?;
            Some(Card::new(
                "warning",
                "Review: this imaging order mentions contrast but carries no known contrast code",
                format!(
                    "Matched on its words only, so the contrast agent is not known; read as iodinated (the safer \
                     reading) until reviewed.\n\n{}\n\n{}",
                    notice.summary, notice.detail
                ),
            ))
        }
    }
}

/// The cards of `patient-view`.
pub fn patient_view_cards(facts: &CourseFacts, now: jiff::Timestamp) -> Vec<Card> {
    let mut cards = Vec::new();
    if facts.flags.iter().any(|flag| flag == "il2_retreatment_contraindicated") {
        cards.push(Card::new(
            "critical",
            "Interleukin-2 retreatment is contraindicated for this patient",
            "A decision discontinued interleukin-2 permanently; see the il2care record.",
        ));
    }
    cards.extend(course_card(facts, now));
    cards.extend(gate_card(facts, now, false));
    if let Some(card) = decision_card(facts, &[]) {
        cards.push(card);
    }
    if facts.decision.is_some() {
        let severe = &facts.severe_grades;
        if !severe.is_empty() {
            cards.push(Card::new(
                "warning",
                short(&format!("CTCAE v5.0 grade 3+ at the latest decision: {}", severe.join(", "))),
                severe.join("\n"),
            ));
        }
    }
    cards.extend(contrast_card(facts, now, "any study with iodinated contrast"));
    cards
}

/// Whether an order is for aldesleukin (any of its codes, or its name).
fn is_aldesleukin(order: &Value) -> bool {
    let concept = &order["medicationCodeableConcept"];
    let coded = concept["coding"].as_array().into_iter().flatten().any(|coding| {
        codes::is_aldesleukin(coding["system"].as_str().unwrap_or(""), coding["code"].as_str().unwrap_or(""))
    });
    coded
        || order_text(order).to_lowercase().contains("aldesleukin")
        || order_text(order).to_lowercase().contains("proleukin")
}

/// Every name an order carries (text and coding displays of its medication or service code).
fn order_text(order: &Value) -> String {
    let mut names = Vec::new();
    for concept in [&order["medicationCodeableConcept"], &order["code"]] {
        names.extend(concept["text"].as_str());
        names
            .extend(concept["coding"].as_array().into_iter().flatten().filter_map(|coding| coding["display"].as_str()));
    }
    names.join("; ")
}

/// Whether an order involves iodinated contrast: an ATC V08A coding, or a name the screening table knows.
fn is_iodinated_contrast(order: &Value) -> bool {
    let atc = [&order["medicationCodeableConcept"], &order["code"]].iter().any(|concept| {
        concept["coding"].as_array().into_iter().flatten().any(|coding| {
            coding["system"] == codes::ATC && coding["code"].as_str().is_some_and(|code| code.starts_with("V08A"))
        })
    });
    atc || match_drugs(&order_text(order)).iter().any(|(drug, _)| drug.classes.contains(&DrugClass::IodinatedContrast))
}

fn order_reference(order: &Value) -> Option<String> {
    Some(format!("{}/{}", order["resourceType"].as_str()?, order["id"].as_str()?))
}

/// The dose check of an aldesleukin order against the course's baseline weight: an order in IU, MIU, mg,
/// \[iU\]/kg or mg/kg is compared by the core (`dosing::ordered`), naming the label pair it used.
fn dose_card(course: &Course, order: &Value) -> Card {
    let Some(regimen) = regimen(&course.regimen) else {
        return Card::new("warning", format!("Unknown regimen {}: the dose cannot be checked", course.regimen), "");
    };
    let quantity = &order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"];
    let given = json!({"value": quantity["value"], "unit": quantity["code"].as_str().or(quantity["unit"].as_str())});
    let ordered = il2care_wire::json::quantity(&given, "doseQuantity")
        .ok()
        .and_then(|quantity| OrderedDose::from_quantity(quantity).ok());
    let weight = course
        .baseline_weight_kg
        .as_deref()
        .and_then(|text| text.parse::<Decimal>().ok())
        .and_then(|kg| Kilograms::new(kg).ok());
    let calculation = match calculate(DoseRequest { regimen, level: None, weight, height: None, prepared_at: None }) {
        Ok(calculation) => calculation,
        Err(refusal) if weight.is_none() && refusal.field == "weight" => {
            let what = ordered.map_or_else(|| "this order".to_string(), |dose| format!("an order of {}", dose.text()));
            return Card::new(
                "warning",
                "No weight on the il2care course: the dose cannot be checked",
                format!(
                    "{} needs the patient's weight for {} (record the baseline weight in il2care).",
                    what, regimen.id
                ),
            );
        }
        Err(refusal) => {
            return Card::new(
                "warning",
                "il2care cannot calculate this dose",
                format!("{}: {}", refusal.field, refusal.reason),
            );
        }
    };
    let expected = calculation.dose.value();
    let weight_text = calculation.weight.map_or_else(String::new, |kg| format!(" for {} kg", kg.value().normalize()));
    let basis = format!("{}{weight_text}: {} IU", regimen.id, number(expected));
    let Some(ordered) = ordered else {
        return Card::new(
            "info",
            format!("il2care dose: {basis}"),
            "The order carries no dose in IU, MIU, mg, [iU]/kg or mg/kg to compare.",
        );
    };
    match compare_order(&calculation, ordered) {
        OrderCheck::WeightMissing { ordered } => Card::new(
            "warning",
            format!("Ordered {}: no weight on the il2care course to convert it", ordered.text()),
            format!(
                "An order per kg needs the patient's weight; {} has none recorded. il2care dose: {basis}.",
                regimen.id
            ),
        ),
        OrderCheck::Compared(comparison) => {
            let unit = if comparison.unit == il2care_core::units::Unit::Milligram { "mg" } else { "IU" };
            let converted = match comparison.weight {
                Some(kg) => format!(
                    "{} x {} kg = {} {unit}",
                    ordered.text(),
                    kg.value().normalize(),
                    number(comparison.ordered_amount.normalize())
                ),
                None => format!("{} {unit}", number(comparison.ordered_amount.normalize())),
            };
            let expected_text = format!("{} {unit}", number(comparison.expected_amount.round_dp(4).normalize()));
            let compared_with = format!("{}{weight_text}: {expected_text}", regimen.id);
            let pair = format!(
                "Compared by {} [{}]; dose of record {basis}.",
                comparison.basis.words(),
                comparison.basis.source().0
            );
            if comparison.matches {
                Card::new("info", format!("Ordered {converted} matches {compared_with}"), pair)
            } else {
                Card::new(
                    "warning",
                    format!("Ordered {converted} differs from {compared_with}"),
                    format!(
                        "More than {}% apart; check the weight and the regimen. {pair}",
                        number(DOSE_TOLERANCE * dec!(100))
                    ),
                )
            }
        }
    }
}

/// The cards of `order-select` and `order-sign` for the orders considered.
pub fn order_cards(facts: &CourseFacts, orders: &[&Value], now: jiff::Timestamp) -> Vec<Card> {
    let mut cards = Vec::new();
    let aldesleukin: Vec<&Value> = orders.iter().copied().filter(|order| is_aldesleukin(order)).collect();
    if !aldesleukin.is_empty() {
        let ids: Vec<String> = aldesleukin.iter().filter_map(|order| order_reference(order)).collect();
        if facts.flags.iter().any(|flag| flag == "il2_retreatment_contraindicated") {
            let mut card = Card::new(
                "critical",
                "Interleukin-2 retreatment is contraindicated for this patient",
                "A decision discontinued interleukin-2 permanently; see the il2care record.",
            );
            card.override_reasons = true;
            card.delete_orders = Some(("Cancel the aldesleukin order".to_string(), ids.clone()));
            cards.push(card);
        }
        match &facts.course {
            None => cards.push(Card::new(
                "warning",
                "No il2care course for this patient: dose, limits and decision cannot be checked",
                "",
            )),
            Some(course) => {
                for order in &aldesleukin {
                    cards.push(dose_card(course, order));
                }
                if let Some(mut card) = gate_card(facts, now, true) {
                    card.delete_orders = Some(("Cancel the aldesleukin order".to_string(), ids.clone()));
                    cards.push(card);
                }
                let (given, in_cycle, _, cycle) = counts(facts, now.as_millisecond());
                if course.regimen == "hd-iv" {
                    let cycle_full = in_cycle >= high_dose::MAX_DOSES_PER_CYCLE as usize;
                    let course_full = given >= high_dose::MAX_DOSES_PER_COURSE as usize;
                    if cycle_full || course_full {
                        let mut card = Card::new(
                            "critical",
                            format!(
                                "Course limit reached: {given} of {} doses, {in_cycle} of {} in cycle {cycle}",
                                high_dose::MAX_DOSES_PER_COURSE,
                                high_dose::MAX_DOSES_PER_CYCLE
                            ),
                            "LABEL-2024 T1: at most 14 doses a cycle and 28 a course.",
                        );
                        card.override_reasons = true;
                        card.delete_orders = Some(("Cancel the aldesleukin order".to_string(), ids.clone()));
                        cards.push(card);
                    }
                }
                match decision_card(facts, &ids) {
                    Some(card) => cards.push(card),
                    None => cards.push(Card::new(
                        "warning",
                        "No il2care decision recorded for this course: assess before the dose",
                        "",
                    )),
                }
            }
        }
    }
    for order in orders {
        if is_iodinated_contrast(order) {
            let involves = order_text(order);
            cards.extend(contrast_card(
                facts,
                now,
                if involves.is_empty() { "iodinated contrast order" } else { &involves },
            ));
        } else if let Some(contrast) = imaging_contrast(order) {
            cards.extend(imaging_card(facts, now, &contrast));
        }
    }
    cards
}

/// The most identifiers of one Patient matched against MRNs.
const MAX_IDENTIFIERS: usize = 20;

/// The EHR's Patient when the `patient` prefetch is absent or null: a read from the request's `fhirServer` if
/// the caller's issuer lists it. `Err` is the 412 answer's reason.
async fn fetched_patient(caller: &CdsCaller, request: &Map<String, Value>, patient_id: &str) -> Result<Value, String> {
    let missing = "the `patient` prefetch (Patient/{{context.patientId}}) is missing";
    let Some(server) = request.get("fhirServer").and_then(Value::as_str) else {
        return Err(format!("{missing} and the request names no fhirServer to read it from"));
    };
    let server = server.trim_end_matches('/');
    if !caller.fhir_servers().iter().any(|allowed| allowed == server) {
        return Err(format!(
            "{missing}, and il2care is not configured to read from this fhirServer (fhir_servers of the issuer)"
        ));
    }
    let authorization = request.get("fhirAuthorization");
    let token_type = authorization.and_then(|authorization| authorization["token_type"].as_str());
    if token_type.is_some_and(|kind| !kind.eq_ignore_ascii_case("bearer")) {
        return Err("fhirAuthorization.token_type must be Bearer".into());
    }
    let access_token = authorization.and_then(|authorization| authorization["access_token"].as_str());
    crate::fhir_client::read_patient(server, patient_id, access_token).await
}

/// How an EHR Patient matched an il2care record.
enum PatientMatch {
    /// No identifier of the site's MRN system names a stored patient: not followed here.
    NotFollowed,
    /// The patient, with the extent of its record.
    Matched(i64, RecordExtent),
    /// The MRN names a stored patient whose birth date, family name or gender differ (the fields named).
    Mismatch(i64, Vec<&'static str>),
}

/// The il2care patient of an EHR Patient: only identifiers of the site's MRN system are looked up (another
/// hospital's identifier may carry the same value), and a match is cross-checked against the birth date and,
/// when the EHR gives them, the family name and gender ([`matching::mismatched_fields`]).
async fn matched_patient(conn: &mut Conn, patient: &Value, mrn_system: &str) -> Result<PatientMatch, AppError> {
    let identifiers = patient["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|identifier| identifier["system"] == mrn_system)
        .filter_map(|identifier| identifier["value"].as_str());
    for mrn in identifiers.take(MAX_IDENTIFIERS) {
        let Some((patient_id, extent)) = record::patient_extent_by_mrn(conn, mrn).await? else { continue };
        let stored = record::patient(conn, patient_id).await?;
        let stored =
            matching::Stored { date_of_birth: &stored.date_of_birth, name: &stored.display_name, sex: &stored.sex };
        let fields = matching::mismatched_fields(stored, matching::Demographics::of_patient(patient));
        if !fields.is_empty() {
            return Ok(PatientMatch::Mismatch(patient_id, fields));
        }
        return Ok(PatientMatch::Matched(patient_id, extent));
    }
    Ok(PatientMatch::NotFollowed)
}

/// The one card of a patient whose MRN matched a record with other demographics: no patient data, only what
/// to do. (A card rather than a 412: the EHR shows it, so the mix-up is seen and the MRN corrected.)
pub fn unmatched_patient_card() -> Card {
    Card::new(
        "info",
        "il2care: patient could not be matched",
        "The MRN of this patient is in il2care, but the birth date, family name or gender differ, so il2care shows \
         nothing about that record. Check the MRN in both systems; the mismatch is in il2care's audit log.",
    )
}

fn precondition_failed(message: &str) -> Response {
    (StatusCode::PRECONDITION_FAILED, Json(json!({"error": {"message": message}}))).into_response()
}

/// `POST /cds-services/{id}`: the cards of one hook call.
pub async fn call(
    State(state): State<AppState>,
    caller: CdsCaller,
    Path(service_id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AppError> {
    let (_, hook, _, _) = *SERVICES
        .iter()
        .find(|(id, ..)| *id == service_id)
        .ok_or_else(|| AppError::NotFound(format!("CDS service {service_id}")))?;
    let mut conn = state.store.connection().await?;
    if let Err(error) = caller.require_clinical() {
        caller.audit(&mut conn, "denied", &format!("cds/{service_id}"), None, "denied").await?;
        return Err(error);
    }
    let request = parse_object(&json_text(&headers, &body)?)?;
    if request.get("hook").and_then(Value::as_str) != Some(hook) {
        return Err(Refusal::new("hook", format!("this service answers the {hook} hook")).into());
    }
    if !request.get("hookInstance").is_some_and(Value::is_string) {
        return Err(Refusal::new("hookInstance", "is required").into());
    }
    let context =
        request.get("context").and_then(Value::as_object).ok_or_else(|| Refusal::new("context", "is required"))?;
    let ehr_patient_id = context
        .get("patientId")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::new("context.patientId", "is required"))?;
    let prefetched = request.get("prefetch").and_then(|prefetch| prefetch.get("patient"));
    if prefetched
        .is_some_and(|patient| !(patient.is_null() || (patient.is_object() && patient["resourceType"] == "Patient")))
    {
        return Err(
            Refusal::new("prefetch.patient", "must be a Patient resource (resourceType Patient) or null").into()
        );
    }
    if request.get("fhirAuthorization").is_some() && request.get("fhirServer").is_none() {
        return Err(Refusal::new("fhirServer", "is required with fhirAuthorization").into());
    }
    let fetched: Value;
    let patient = match prefetched.filter(|patient| patient.is_object()) {
        Some(patient) => patient,
        None => match fetched_patient(&caller, &request, ehr_patient_id).await {
            Ok(patient) => {
                fetched = patient;
                &fetched
            }
            Err(reason) => return Ok(precondition_failed(&reason)),
        },
    };
    if patient["resourceType"] != "Patient" {
        return Ok(precondition_failed("the Patient read from fhirServer is not a Patient resource"));
    }
    let (patient_id, extent) = match matched_patient(&mut conn, patient, &state.mrn_system).await? {
        PatientMatch::Matched(patient_id, extent) => (patient_id, extent),
        PatientMatch::NotFollowed => {
            drop(conn);
            let answer = Json(json!({"cards": []})).into_response();
            return spend_then(&state, &caller, "cds/unknown-patient", answer).await;
        }
        PatientMatch::Mismatch(patient_id, fields) => {
            drop(conn);
            let resource = format!("patient/{patient_id}/cds/{service_id}/mismatch/{}", fields.join(","));
            let card = card_json(&unmatched_patient_card())?;
            let cards = issued(std::slice::from_ref(&card), &service_id, patient_id, &caller);
            if let Err(replayed) =
                caller.audit_outcome_durably(&state, "match", &resource, Some(patient_id), "ok", cards).await?
            {
                return Ok(replayed.into_response());
            }
            return Ok(Json(json!({"cards": [card]})).into_response());
        }
    };
    let facts = facts_at(&state, &mut conn, patient_id, extent).await?;
    // The pooled connection goes back before the audit's commit is awaited: a call holds a connection only
    // while it reads, so the pool never caps how many calls wait for the group commit together.
    drop(conn);
    let now = jiff::Timestamp::now();
    let cards = if hook == "patient-view" {
        patient_view_cards(&facts, now)
    } else {
        let draft: Vec<&Value> = context
            .get("draftOrders")
            .and_then(|bundle| bundle["entry"].as_array())
            .into_iter()
            .flatten()
            .map(|entry| &entry["resource"])
            .filter(|resource| resource.is_object())
            .collect();
        let selections: Vec<&str> = context
            .get("selections")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let orders: Vec<&Value> = if hook == "order-select" {
            draft
                .into_iter()
                .filter(|order| order_reference(order).is_some_and(|id| selections.contains(&id.as_str())))
                .collect()
        } else {
            draft
        };
        order_cards(&facts, &orders, now)
    };
    // The cards get their uuids first: they are stored with the read's audit entry and the token's use, in
    // the one group commit the read waits for anyway (no commit of their own).
    let mut cards = cards.iter().map(card_json).collect::<Result<Vec<_>, _>>()?;
    crate::smart::add_links_to_cards(&state, hook, &mut cards);
    let resource = format!("patient/{patient_id}/cds/{service_id}");
    let kept = issued(&cards, &service_id, patient_id, &caller);
    if let Err(replayed) = caller.audit_outcome_durably(&state, "read", &resource, Some(patient_id), "ok", kept).await?
    {
        return Ok(replayed.into_response());
    }
    Ok(Json(json!({"cards": cards})).into_response())
}

/// Audits a call that read no record and answers it; an EHR's token is spent first (a replay is refused).
async fn spend_then(
    state: &AppState,
    caller: &CdsCaller,
    resource: &str,
    answer: Response,
) -> Result<Response, AppError> {
    match caller.audit_durably(state, "read", resource, None).await? {
        Ok(()) => Ok(answer),
        Err(replayed) => Ok(replayed.into_response()),
    }
}

/// `POST /cds-services/{id}/feedback`: each card outcome (accepted or overridden, with the reason's code) is
/// an audit entry; free-text comments are not kept.
pub async fn feedback(
    State(state): State<AppState>,
    caller: CdsCaller,
    Path(service_id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AppError> {
    if !SERVICES.iter().any(|(id, ..)| *id == service_id) {
        return Err(AppError::NotFound(format!("CDS service {service_id}")));
    }
    let mut conn = state.store.connection().await?;
    if let Err(error) = caller.require_clinical() {
        caller.audit(&mut conn, "denied", &format!("cds/{service_id}/feedback"), None, "denied").await?;
        return Err(error);
    }
    let request = parse_object(&json_text(&headers, &body)?)?;
    let entries = request
        .get("feedback")
        .and_then(Value::as_array)
        .filter(|entries| !entries.is_empty() && entries.len() <= 100)
        .ok_or_else(|| Refusal::new("feedback", "must be a list of 1 to 100 card outcomes"))?;
    let mut recorded: Vec<(String, &str)> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("feedback[{index}].{name}");
        let card = entry["card"]
            .as_str()
            .filter(|card| {
                !card.is_empty() && card.len() <= 100 && card.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            .ok_or_else(|| Refusal::new(field("card"), "must be the card's uuid"))?;
        let outcome = match entry["outcome"].as_str() {
            Some(outcome @ ("accepted" | "overridden")) => outcome,
            _ => return Err(Refusal::new(field("outcome"), "must be accepted or overridden").into()),
        };
        let reason = entry["overrideReason"]["reason"]["code"]
            .as_str()
            .filter(|code| code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let resource = match reason {
            Some(code) => format!("cds/{service_id}/card/{card}/{outcome}/{code}"),
            None => format!("cds/{service_id}/card/{card}/{outcome}"),
        };
        recorded.push((resource, card));
    }
    // Only cards il2care issued, by this service, to this caller, and still kept: anything else is refused
    // whole (nothing recorded but the refusal), and the token is spent on the refusal.
    let uuids: Vec<&str> = recorded.iter().map(|(_, card)| *card).collect();
    let known = il2care_store::cds::issued_cards(&mut conn, &uuids, crate::now_ms()).await?;
    let actor = caller.actor_name();
    let mut patients = Vec::with_capacity(recorded.len());
    for (index, (_, card)) in recorded.iter().enumerate() {
        let issued = known
            .iter()
            .find(|stored| stored.uuid == *card && stored.service_id == service_id && stored.issued_to == actor);
        match issued {
            Some(stored) => patients.push(stored.patient_id),
            None => {
                drop(conn);
                let resource = format!("cds/{service_id}/feedback/unknown-card/{card}");
                if let Err(replayed) =
                    caller.audit_outcome_durably(&state, "denied", &resource, None, "unknown_card", Vec::new()).await?
                {
                    return Ok(replayed.into_response());
                }
                return Ok(unknown_card(index, card));
            }
        }
    }
    // The first outcome goes through the writer with the EHR's token: a replayed token records nothing.
    let ((first, _), rest) = recorded.split_first().ok_or_else(|| Refusal::new("feedback", "is empty"))?;
    if let Err(replayed) = caller.audit_durably(&state, "cds_feedback", first, Some(patients[0])).await? {
        return Ok(replayed.into_response());
    }
    for ((resource, _), patient_id) in rest.iter().zip(&patients[1..]) {
        caller.audit(&mut conn, "cds_feedback", resource, Some(*patient_id), "ok").await?;
    }
    Ok(Json(json!({"recorded": recorded.len()})).into_response())
}

/// The answer to feedback naming a card il2care did not issue (to this caller, from this service, within
/// [`CARD_FEEDBACK_DAYS`]): 422 naming the field, as every refusal here, with the same reason as an
/// OperationOutcome issue for clients that read FHIR errors.
fn unknown_card(index: usize, card: &str) -> Response {
    let field = format!("feedback[{index}].card");
    let message = format!(
        "{card} is not a card il2care issued to you from this service in the last {CARD_FEEDBACK_DAYS} days; \
         feedback is accepted only for cards il2care returned"
    );
    let body = json!({
        "error": {"message": message, "field": field},
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": message, "expression": [field]}],
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}
