//! CDS Hooks use cases: who may call ([`admit`]), the EHR's Patient matched to a record and that record's
//! course facts ([`patient_facts`], cached per patient while the record's extent is unchanged), the cards an
//! answer issued kept for feedback ([`kept_cards`]), and feedback on them ([`issued_cards`],
//! [`record_feedback`]).
//!
//! The course facts come from the one course implementation, `il2care_core::course` (the events read by
//! [`crate::course_record::course_events`], the injection log by `shot_counts`), and the first-dose gate's
//! inputs from [`crate::screening_gate::gate_inputs`], as the dose record reads them; the cards themselves are
//! pure functions in the service (`il2care_web::cds_hooks`). The EHR's authentication (its JWT, one use per
//! token) stays in the service; here an EHR is an [`Actor`] of role [`access::Role::Ehr`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use il2care_core::assessment::Decision;
use il2care_core::assessment::inputs::PatientFlag;
use il2care_core::course::{CourseEvents, CourseState, LoggedShot, ShotCounts, course_state, shot_counts};
use il2care_core::regimens::{Regimen, Route, regimen};
use il2care_core::screening::gate::{GateScreening, ItemDecision};
use il2care_core::units::{Kilograms, Measure};
use il2care_store::Store;
use il2care_store::record::{self, RecordExtent};
use il2care_wire::fhir::matching;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::Value;

pub use il2care_store::cds::StoredCard;
pub use il2care_store::group_commit::IssuedCard;

use crate::Error;
use crate::access::{self, Action, Actor};
use crate::course_record::{course_events, decision_of};
use crate::screening_gate::gate_inputs;

/// How long an issued card is kept for feedback; feedback on an older card is refused as unknown.
pub const CARD_FEEDBACK_DAYS: i64 = 30;

/// Decides whether `actor` may call a CDS service (or send it feedback); a refusal is audited on `resource`
/// (`cds/{service}`, `cds/{service}/feedback`) before it is answered.
pub async fn admit(store: &Store, actor: &Actor, resource: &str, now: Timestamp) -> Result<(), Error> {
    access::authorize(store, actor, None, Action::CallCdsService, resource, now).await
}

/// The latest course as the cards read it.
#[derive(Clone, Debug, PartialEq)]
pub struct CdsCourse {
    pub id: i64,
    /// The regimen id as stored (`hd-iv`, ...).
    pub regimen_id: String,
    /// The regimen of that id (`None`: not one il2care knows).
    pub regimen: Option<&'static Regimen>,
    pub started_at: Timestamp,
    /// The course's baseline (dosing) weight, when recorded and plausible.
    pub baseline_weight: Option<Kilograms>,
}

impl CdsCourse {
    /// Whether this is a high-dose intravenous course (the course limits of LABEL-2024 T1 apply).
    pub fn is_high_dose(&self) -> bool {
        self.regimen.is_some_and(|regimen| regimen.route == Route::IntravenousInfusion)
    }

    /// Whether this is a low-dose subcutaneous course (its shots are counted from the injection log).
    pub fn is_low_dose(&self) -> bool {
        self.regimen.is_some_and(|regimen| regimen.route == Route::Subcutaneous)
    }
}

/// The latest decision of the latest course, as the cards show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatestDecision {
    pub id: i64,
    pub at: Timestamp,
    pub decision: Decision,
    /// The rules that fired, as `- id (source)` lines, read once from the stored result.
    pub fired: Vec<String>,
    /// The CTCAE grades 3 and above, as `term grade N`.
    pub severe_grades: Vec<String>,
}

/// What the cards are built from: the patient's courses as `il2care_core::course` reads them, the latest
/// course's decision, injection log and first-dose gate, and the lasting flags. Independent of the time: the
/// course state is derived at the time of each call ([`CourseFacts::state`]).
#[derive(Clone, Debug, Default)]
pub struct CourseFacts {
    pub course: Option<CdsCourse>,
    /// The typed events of every course of the patient, oldest course first (the latest course's last).
    pub course_events: Vec<CourseEvents>,
    /// The latest decision of the latest course.
    pub decision: Option<LatestDecision>,
    /// The latest course's injection log (low-dose shots).
    pub shots: Vec<LoggedShot>,
    /// The injection log of every course (a shot is a dose of interleukin-2 for the contrast notice).
    pub all_shots: Vec<LoggedShot>,
    /// The lasting flags of the record.
    pub flags: Vec<PatientFlag>,
    /// The latest course's latest screening and the physicians' decisions on it: the inputs of the core's
    /// `first_dose_gate`, read as the dose record reads them.
    pub gate_screening: Option<GateScreening>,
    pub gate_decisions: Vec<ItemDecision>,
}

impl CourseFacts {
    /// The latest course's state at `now` (`il2care_core::course::course_state`).
    pub fn state(&self, now: Timestamp) -> Option<CourseState> {
        self.course.as_ref()?;
        self.course_events.last().map(|events| course_state(events, now))
    }

    /// The latest course's injection log at `now` (`il2care_core::course::shot_counts`).
    pub fn shot_counts(&self, now: Timestamp) -> ShotCounts {
        shot_counts(&self.shots, now)
    }

    /// The latest course's low-dose shots at `now`, when it is a subcutaneous course (or has logged shots).
    pub fn low_dose_shots(&self, now: Timestamp) -> Option<ShotCounts> {
        let course = self.course.as_ref()?;
        (course.is_low_dose() || !self.shots.is_empty()).then(|| self.shot_counts(now))
    }

    /// Whether the latest course's first dose has been given by `now`: an infusion recorded (the course state,
    /// as the dose record's gate reads it) or a shot logged.
    pub fn first_dose_given(&self, now: Timestamp) -> bool {
        self.state(now).is_some_and(|state| state.doses_given_course > 0) || self.shot_counts(now).given > 0
    }

    /// The last dose of interleukin-2 given by `now` in any course: an infusion or a logged shot.
    pub fn last_given(&self, now: Timestamp) -> Option<Timestamp> {
        let infusions = self.course_events.iter().filter_map(|events| course_state(events, now).last_dose_at);
        infusions.chain(shot_counts(&self.all_shots, now).last_given_at).max()
    }

    /// Whether the patient has received interleukin-2 (the lasting flag).
    pub fn received_interleukin_2(&self) -> bool {
        self.flags.contains(&PatientFlag::ReceivedInterleukin2)
    }

    /// Whether retreatment is contraindicated: the lasting flag, or a `discontinue_permanently` decision in any
    /// course (the course state's reading; the safer of the two when they disagree).
    pub fn retreatment_contraindicated(&self, now: Timestamp) -> bool {
        self.flags.contains(&PatientFlag::Il2RetreatmentContraindicated)
            || self.course_events.iter().any(|events| course_state(events, now).permanently_discontinued)
    }
}

/// The latest decision's rules that fired and its grades 3 and above, read once from the stored result.
fn latest_decision(assessment: &record::Decision) -> Result<LatestDecision, Error> {
    let corrupt =
        |what: &str| Error::Store(il2care_store::StoreError::Corrupt(format!("decision {}: {what}", assessment.id)));
    let decision = decision_of(&assessment.decision).ok_or_else(|| corrupt("an unknown value"))?;
    let result: Value = serde_json::from_str(&assessment.result).unwrap_or(Value::Null);
    let fired = result["fired"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rule| {
            Some(format!("- {} ({})", rule["id"].as_str()?, rule["source"].as_str().unwrap_or("no source")))
        })
        .collect();
    let severe_grades = result["grades"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|grade| grade["grade"].as_u64().is_some_and(|grade| grade >= 3))
        .filter_map(|grade| Some(format!("{} grade {}", grade["term"].as_str()?, grade["grade"])))
        .collect();
    Ok(LatestDecision {
        id: assessment.id,
        at: crate::course_record::stored_time(assessment.at_ms)?,
        decision,
        fired,
        severe_grades,
    })
}

/// A stored injection log entry as the core reads it.
fn logged_shot(entry: &record::Injection) -> Option<LoggedShot> {
    Some(LoggedShot {
        id: entry.id,
        slot: entry.slot_number.and_then(|slot| u32::try_from(slot).ok()),
        given: entry.status == "given",
        at: Timestamp::from_millisecond(entry.at_ms).ok()?,
        corrects_id: entry.corrects_id,
    })
}

async fn course_facts(conn: &mut il2care_store::Conn, patient_id: i64) -> Result<CourseFacts, Error> {
    let courses = record::courses(conn, patient_id).await?;
    let flags = record::flags(conn, patient_id).await?.iter().filter_map(|flag| PatientFlag::from_id(flag)).collect();
    let mut facts = CourseFacts { flags, ..CourseFacts::default() };
    for course in &courses {
        facts.course_events.push(course_events(conn, course).await?);
    }
    let logged = record::injections(conn, patient_id).await?;
    facts.all_shots = logged.iter().filter_map(logged_shot).collect();
    if let Some(course) = courses.last() {
        facts.course = Some(CdsCourse {
            id: course.id,
            regimen_id: course.regimen.clone(),
            regimen: regimen(&course.regimen),
            started_at: crate::course_record::stored_time(course.started_at_ms)?,
            baseline_weight: course
                .baseline_weight_kg
                .as_deref()
                .and_then(|text| text.parse::<Decimal>().ok())
                .and_then(|kg| Kilograms::new(kg).ok()),
        });
        facts.decision = match record::latest_decision_of_course(conn, patient_id, course.id).await? {
            Some(assessment) => Some(latest_decision(&assessment)?),
            None => None,
        };
        facts.shots = logged.iter().filter(|entry| entry.course_id == course.id).filter_map(logged_shot).collect();
        let (screening, decisions) = gate_inputs(conn, course.id).await?;
        facts.gate_screening = screening;
        facts.gate_decisions = decisions;
    }
    Ok(facts)
}

/// The most patients whose facts are kept between calls; past it the cache starts again empty.
const MAX_CACHED_PATIENTS: usize = 4096;

/// The facts of recently viewed patients, each with the extent of the record it was read at. A chart opened
/// again is answered from here when the record has not grown since: the extent is read fresh on every call (one
/// query with the MRN look-up), so a cached entry is never used after a change, from any instance.
#[derive(Debug, Default)]
pub struct FactsCache(Mutex<HashMap<i64, (RecordExtent, Arc<CourseFacts>)>>);

impl FactsCache {
    fn get(&self, patient_id: i64, extent: RecordExtent) -> Option<Arc<CourseFacts>> {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(&patient_id).filter(|(at, _)| *at == extent).map(|(_, facts)| facts.clone())
    }

    fn put(&self, patient_id: i64, extent: RecordExtent, facts: Arc<CourseFacts>) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_PATIENTS && !entries.contains_key(&patient_id) {
            entries.clear();
        }
        entries.insert(patient_id, (extent, facts));
    }
}

/// The most identifiers of one Patient matched against MRNs.
const MAX_IDENTIFIERS: usize = 20;

/// How an EHR Patient matched an il2care record.
#[derive(Clone, Debug)]
pub enum PatientFacts {
    /// No identifier of the site's MRN system names a stored patient: not followed here.
    NotFollowed,
    /// The patient and its course facts.
    Matched(i64, Arc<CourseFacts>),
    /// The MRN names a stored patient whose birth date, family name or gender differ (the fields named).
    Mismatch(i64, Vec<&'static str>),
}

/// The il2care patient of an EHR `patient` (a FHIR Patient) and its course facts: only identifiers of the
/// site's MRN system are looked up (another hospital's identifier may carry the same value), and a match is
/// cross-checked against the birth date and, when the EHR gives them, the family name and gender
/// (`matching::mismatched_fields`). The facts come from `cache` when the record has not grown since they were
/// read; facts read after the extent are at least as new as it, so a later call with a newer extent reads them
/// again. Called after [`admit`]; the read is audited by the caller with the cards it answers (one group
/// commit with the EHR token's use).
pub async fn patient_facts(
    store: &Store,
    cache: &FactsCache,
    patient: &Value,
    mrn_system: &str,
) -> Result<PatientFacts, Error> {
    let identifiers = patient["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|identifier| identifier["system"] == mrn_system)
        .filter_map(|identifier| identifier["value"].as_str());
    let mut conn = store.connection().await?;
    for mrn in identifiers.take(MAX_IDENTIFIERS) {
        let Some((patient_id, extent)) = record::patient_extent_by_mrn(&mut conn, mrn).await? else { continue };
        let stored = record::patient(&mut conn, patient_id).await?;
        let stored =
            matching::Stored { date_of_birth: &stored.date_of_birth, name: &stored.display_name, sex: &stored.sex };
        let fields = matching::mismatched_fields(stored, matching::Demographics::of_patient(patient));
        if !fields.is_empty() {
            return Ok(PatientFacts::Mismatch(patient_id, fields));
        }
        if let Some(facts) = cache.get(patient_id, extent) {
            return Ok(PatientFacts::Matched(patient_id, facts));
        }
        let facts = Arc::new(course_facts(&mut conn, patient_id).await?);
        cache.put(patient_id, extent, facts.clone());
        return Ok(PatientFacts::Matched(patient_id, facts));
    }
    Ok(PatientFacts::NotFollowed)
}

/// The cards of one answer (their uuids) as the store keeps them for feedback, issued to `issued_to` (the
/// audit actor: `ehr:<iss>` or a staff account) until [`CARD_FEEDBACK_DAYS`] after `now`.
pub fn kept_cards(
    uuids: &[&str],
    service_id: &str,
    patient_id: i64,
    issued_to: &str,
    now: Timestamp,
) -> Vec<IssuedCard> {
    let kept_until_ms = now.as_millisecond() + CARD_FEEDBACK_DAYS * 86_400_000;
    uuids
        .iter()
        .map(|uuid| IssuedCard {
            uuid: (*uuid).to_string(),
            service_id: service_id.to_string(),
            patient_id,
            issued_to: issued_to.to_string(),
            kept_until_ms,
        })
        .collect()
}

/// The cards of `uuids` il2care issued and still keeps at `now` (after [`admit`]).
pub async fn issued_cards(store: &Store, uuids: &[&str], now: Timestamp) -> Result<Vec<StoredCard>, Error> {
    let mut conn = store.connection().await?;
    Ok(il2care_store::cds::issued_cards(&mut conn, uuids, now.as_millisecond()).await?)
}

/// Records card outcomes of `actor`'s feedback, one audit entry (`cds_feedback`) per `(resource, patient)`.
pub async fn record_feedback(
    store: &Store,
    actor: &Actor,
    outcomes: &[(&str, i64)],
    now: Timestamp,
) -> Result<(), Error> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let mut conn = store.connection().await?;
    for (resource, patient_id) in outcomes {
        access::append(&mut conn, actor, "cds_feedback", resource, Some(*patient_id), "ok", now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Decision as Access, Role, decide};
    use il2care_core::course::{DoseSlot, DoseStatus, RecordedDecision, RecordedDose};

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn events(started: &str, decisions: Vec<RecordedDecision>, doses: Vec<RecordedDose>) -> CourseEvents {
        CourseEvents { started_at: at(started), cycle_two_start_day: None, decisions, doses }
    }

    fn decision(id: i64, when: &str, decision: Decision) -> RecordedDecision {
        RecordedDecision { id, at: at(when), recorded_at: at(when), decision, slot: None, holds: Vec::new() }
    }

    fn dose(id: i64, when: &str, slot: u32, status: DoseStatus) -> RecordedDose {
        RecordedDose {
            id,
            at: at(when),
            slot: Some(DoseSlot { cycle: 1, slot }),
            status,
            decision_id: None,
            overrides: false,
            corrects_id: None,
        }
    }

    fn facts(course_events: Vec<CourseEvents>, shots: Vec<LoggedShot>, flags: Vec<PatientFlag>) -> CourseFacts {
        CourseFacts {
            course: Some(CdsCourse {
                id: 1,
                regimen_id: "hd-iv".into(),
                regimen: regimen("hd-iv"),
                started_at: course_events.last().map_or(Timestamp::UNIX_EPOCH, |events| events.started_at),
                baseline_weight: None,
            }),
            course_events,
            all_shots: shots.clone(),
            shots,
            flags,
            ..CourseFacts::default()
        }
    }

    #[test]
    fn an_ehr_may_call_the_cds_services_and_a_patient_or_an_admin_may_not() {
        let actor = |role| Actor { username: "u".into(), role, patient_id: None, remote: "r".into() };
        for (role, allowed) in [
            (Role::Ehr, true),
            (Role::Nurse, true),
            (Role::Physician, true),
            (Role::Pharmacist, true),
            (Role::Patient, false),
            (Role::Admin, false),
        ] {
            assert_eq!(decide(&actor(role), None, Action::CallCdsService) == Access::Allow, allowed, "{role:?}");
        }
        // The EHR reaches no patient's record through the policy: it reads only through the CDS use cases.
        assert_ne!(decide(&actor(Role::Ehr), Some(1), Action::ReadRecord), Access::Allow);
        assert_eq!(decide(&actor(Role::Pharmacist), None, Action::ReadRuleCatalogue), Access::Allow);
        assert_ne!(decide(&actor(Role::Patient), None, Action::ReadRuleCatalogue), Access::Allow);
    }

    #[test]
    fn retreatment_is_contraindicated_by_the_flag_or_by_a_permanent_discontinuation_in_any_course() {
        let now = at("2026-12-01T12:00:00Z");
        let stopped = events(
            "2026-06-01T08:00:00Z",
            vec![decision(1, "2026-06-02T08:00:00Z", Decision::DiscontinuePermanently)],
            Vec::new(),
        );
        let later = events("2026-11-30T08:00:00Z", Vec::new(), Vec::new());
        assert!(facts(vec![stopped.clone(), later.clone()], Vec::new(), Vec::new()).retreatment_contraindicated(now));
        assert!(
            facts(vec![later.clone()], Vec::new(), vec![PatientFlag::Il2RetreatmentContraindicated])
                .retreatment_contraindicated(now)
        );
        assert!(
            !facts(vec![later], Vec::new(), vec![PatientFlag::ReceivedInterleukin2]).retreatment_contraindicated(now)
        );
    }

    #[test]
    fn the_last_dose_is_the_latest_infusion_or_shot_of_any_course_given_by_now() {
        let now = at("2026-12-01T12:00:00Z");
        let first = events(
            "2026-06-01T08:00:00Z",
            Vec::new(),
            vec![
                dose(1, "2026-06-01T09:00:00Z", 1, DoseStatus::Given),
                dose(2, "2026-06-01T17:00:00Z", 2, DoseStatus::Held),
            ],
        );
        let latest = events("2026-11-30T08:00:00Z", Vec::new(), Vec::new());
        let shot = |id, when: &str, given| LoggedShot { id, slot: Some(1), given, at: at(when), corrects_id: None };
        let infusion_only = facts(vec![first.clone(), latest.clone()], Vec::new(), Vec::new());
        assert_eq!(infusion_only.last_given(now), Some(at("2026-06-01T09:00:00Z")), "a held dose is not a dose");
        assert!(!infusion_only.first_dose_given(now), "the latest course has none");
        let with_shot = facts(vec![first, latest], vec![shot(7, "2026-11-30T09:00:00Z", true)], Vec::new());
        assert_eq!(with_shot.last_given(now), Some(at("2026-11-30T09:00:00Z")));
        assert!(with_shot.first_dose_given(now));
        assert_eq!(with_shot.last_given(at("2026-11-30T08:30:00Z")), Some(at("2026-06-01T09:00:00Z")), "not yet given");
    }

    #[test]
    fn holds_are_counted_by_the_course_state_for_the_course_and_the_cycle() {
        let now = at("2026-06-02T12:00:00Z");
        let course = events(
            "2026-06-01T08:00:00Z",
            Vec::new(),
            vec![
                dose(1, "2026-06-01T09:00:00Z", 1, DoseStatus::Held),
                dose(2, "2026-06-01T10:00:00Z", 1, DoseStatus::Given),
                dose(3, "2026-06-01T17:00:00Z", 2, DoseStatus::Held),
            ],
        );
        let state = facts(vec![course], Vec::new(), Vec::new()).state(now).unwrap();
        assert_eq!((state.doses_given_course, state.holds_this_course, state.holds_this_cycle), (1, 1, 1));
    }
}
