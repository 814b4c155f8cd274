//! What the web pages show, read once: the patient's own pages ([`own_patient`], [`checkin_result`],
//! [`history`], [`patient_sheet`], [`injection_log`]) and the care team's ([`course_record`], [`timeline`],
//! [`staff_sheet`], [`worklist_record`]).
//!
//! Each decides access once through the policy (a refusal audited before it is answered, with the words the
//! pages have always used) and audits its reads durably before it answers; the page handlers only render.
//! The record's row types are re-exported here, so the pages' pure view builders name them without the store.

use il2care_core::assessment::thresholds::SiteOverrides;
use il2care_core::course::{CourseEvents, DoseStatus};
use il2care_core::regimens::Indication;
use il2care_store::Store;
use il2care_store::record;
use jiff::Timestamp;
use rust_decimal::Decimal;

pub use il2care_store::pharmacy::DoseVerification;
pub use il2care_store::record::{
    Course, Decision, DoseEvent, Injection, Observation, Patient, Screening, StoredCheckIn,
};
pub use il2care_store::ward::CourseVitals;

use crate::Error;
use crate::access::{self, Action, Actor};
use crate::screenings::CourseGate;
use crate::worklist::Item;

/// What a refused patient page says.
const PATIENTS_ONLY: &str = "these pages are for patients, each for their own record";

/// What a refused staff page says.
const CARE_TEAM_ONLY: &str = "this page is for the care team";

/// `result` with a refusal's message replaced by `message` (the words of the page refused).
fn refused_as<T>(result: Result<T, Error>, message: &str) -> Result<T, Error> {
    result.map_err(|error| match error {
        Error::Forbidden(_) => Error::Forbidden(message.to_string()),
        other => other,
    })
}

/// The patient id of a patient's own pages (`resource` names the page for the audit); any other role, or a
/// patient account without a patient, is refused and audited.
pub async fn own_patient(store: &Store, actor: &Actor, resource: &str, now: Timestamp) -> Result<i64, Error> {
    let allowed = access::authorize(store, actor, actor.patient_id, Action::UsePatientPages, resource, now).await;
    refused_as(allowed, PATIENTS_ONLY)?;
    match actor.patient_id {
        Some(patient_id) => Ok(patient_id),
        None => {
            let mut conn = store.connection().await?;
            access::append(&mut conn, actor, "denied", resource, None, "denied", now).await?;
            Err(Error::Forbidden(PATIENTS_ONLY.into()))
        }
    }
}

/// The patient of a patient's own page and their time zone (the form's default unit, the check-in's time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    pub patient_id: i64,
    pub time_zone: String,
}

/// The patient's own page `resource` (`me`, `me/checkins`, `me/injections`): who, and their zone. Only the
/// zone is read (no part of the record is shown), so no read is audited.
pub async fn home(store: &Store, actor: &Actor, resource: &str, now: Timestamp) -> Result<Home, Error> {
    let patient_id = own_patient(store, actor, resource, now).await?;
    let mut conn = store.connection().await?;
    let time_zone = record::patient(&mut conn, patient_id).await?.time_zone;
    Ok(Home { patient_id, time_zone })
}

/// A stored check-in and the zone of its patient.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInResult {
    pub checkin: StoredCheckIn,
    pub time_zone: String,
}

/// Check-in `checkin_id`'s result, for the patient it belongs to (another patient's is refused and audited);
/// the read is audited.
pub async fn checkin_result(
    store: &Store,
    actor: &Actor,
    checkin_id: i64,
    now: Timestamp,
) -> Result<CheckInResult, Error> {
    let resource = format!("checkin/{checkin_id}");
    let patient_id = own_patient(store, actor, &resource, now).await?;
    let checkin = {
        let mut conn = store.connection().await?;
        record::checkin(&mut conn, checkin_id).await?
    };
    // Someone else's check-in: the policy refuses (and audits) the read of that patient's record.
    access::authorize(store, actor, Some(checkin.patient_id), Action::ReadRecord, &resource, now).await?;
    let time_zone = {
        let mut conn = store.connection().await?;
        record::patient(&mut conn, patient_id).await?.time_zone
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(CheckInResult { checkin, time_zone })
}

/// The patient's check-ins, newest first, and their zone.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub checkins: Vec<StoredCheckIn>,
    pub time_zone: String,
}

/// The signed-in patient's check-ins (the page `me/history`); the read is audited.
pub async fn history(store: &Store, actor: &Actor, now: Timestamp) -> Result<History, Error> {
    let patient_id = own_patient(store, actor, "me/history", now).await?;
    let (patient, checkins) = {
        let mut conn = store.connection().await?;
        (record::patient(&mut conn, patient_id).await?, record::checkins(&mut conn, patient_id).await?)
    };
    access::audit_read(store, actor, &format!("patient/{patient_id}/checkins"), Some(patient_id), now).await?;
    Ok(History { checkins, time_zone: patient.time_zone })
}

/// What a patient's education sheet is made for: their name, their zone (the date printed) and the indication
/// of their latest course's regimen (none when they have no course).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetFacts {
    pub display_name: String,
    pub time_zone: String,
    pub indication: Option<Indication>,
}

async fn sheet_facts(store: &Store, patient_id: i64) -> Result<SheetFacts, Error> {
    let mut conn = store.connection().await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let indication = crate::course_record::latest_course(&mut conn, patient_id)
        .await?
        .and_then(|course| il2care_core::regimens::regimen(&course.regimen))
        .map(|regimen| regimen.indication);
    Ok(SheetFacts { display_name: patient.display_name, time_zone: patient.time_zone, indication })
}

/// The signed-in patient's own education sheet facts, or `None` for anyone else (who gets the general sheet,
/// which shows nothing of a record); a patient's read is audited.
pub async fn patient_sheet(store: &Store, actor: &Actor, now: Timestamp) -> Result<Option<SheetFacts>, Error> {
    let Some(patient_id) = actor.patient_id.filter(|_| actor.role == access::Role::Patient) else { return Ok(None) };
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, "me/education", now).await?;
    let facts = sheet_facts(store, patient_id).await?;
    access::audit_read(store, actor, &format!("patient/{patient_id}/education"), Some(patient_id), now).await?;
    Ok(Some(facts))
}

/// Patient `patient_id`'s education sheet facts for the care team (nurse, physician, pharmacist); the read is
/// audited.
pub async fn staff_sheet(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<SheetFacts, Error> {
    let resource = format!("patient/{patient_id}/education");
    let allowed = access::authorize(store, actor, Some(patient_id), Action::OpenStaffPages, &resource, now).await;
    refused_as(allowed, CARE_TEAM_ONLY)?;
    let facts = sheet_facts(store, patient_id).await?;
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(facts)
}

/// What the injection log page of a patient reads: their zone, their courses and their logged shots.
#[derive(Clone, Debug, PartialEq)]
pub struct InjectionLogRecord {
    pub time_zone: String,
    pub courses: Vec<Course>,
    pub injections: Vec<Injection>,
}

/// Patient `patient_id`'s injection log (the patient's own page); the read is audited.
pub async fn injection_log(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<InjectionLogRecord, Error> {
    let resource = format!("patient/{patient_id}/injections");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let record = {
        let mut conn = store.connection().await?;
        InjectionLogRecord {
            time_zone: record::patient(&mut conn, patient_id).await?.time_zone,
            courses: record::courses(&mut conn, patient_id).await?,
            injections: record::injections(&mut conn, patient_id).await?,
        }
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(record)
}

/// Everything the course page shows of a patient's record.
#[derive(Clone, Debug, PartialEq)]
pub struct CourseRecord {
    pub patient: Patient,
    /// The latest course (by start), if any.
    pub course: Option<Course>,
    /// Every decision, newest first.
    pub decisions: Vec<Decision>,
    pub observations: Vec<Observation>,
    /// Newest first.
    pub checkins: Vec<StoredCheckIn>,
    pub injections: Vec<Injection>,
    /// The latest screening.
    pub screening: Option<Screening>,
    /// The dose events of the latest course, oldest first.
    pub dose_events: Vec<DoseEvent>,
    /// The patient's target systolic pressure, when set.
    pub target_systolic_bp: Option<Decimal>,
    /// What the page shows of the latest course beyond its rows, when there is a course.
    pub latest: Option<LatestCourse>,
    /// The site's changes to the assessment's thresholds (the charts' bands).
    pub site_overrides: SiteOverrides,
}

/// The latest course's first-dose gate, the pharmacist's latest verification of its prepared dose, and its
/// typed events (decisions, doses), as the course page shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct LatestCourse {
    /// The first-dose gate at `now`: which screening items block, who acknowledged or overrode.
    pub gate: CourseGate,
    pub verification: Option<DoseVerification>,
    pub events: CourseEvents,
}

/// Patient `patient_id`'s record for the course page (nurse, physician, pharmacist); each part read is
/// audited, as the API audits the same reads.
pub async fn course_record(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<CourseRecord, Error> {
    let resource = format!("patient/{patient_id}");
    let allowed = access::authorize(store, actor, Some(patient_id), Action::OpenStaffPages, &resource, now).await;
    refused_as(allowed, CARE_TEAM_ONLY)?;
    let record = {
        let mut conn = store.connection().await?;
        let patient = record::patient(&mut conn, patient_id).await?;
        let course = crate::course_record::latest_course(&mut conn, patient_id).await?;
        let dose_events = match &course {
            Some(course) => record::dose_events(&mut conn, course.id).await?,
            None => Vec::new(),
        };
        let latest = match &course {
            Some(course) => Some(LatestCourse {
                gate: crate::screenings::course_gate(&mut conn, course.id, now).await?,
                verification: crate::pharmacy::latest_verification(&mut conn, course.id).await?,
                events: crate::course_record::course_events(&mut conn, course).await?,
            }),
            None => None,
        };
        CourseRecord {
            patient,
            course,
            decisions: record::decisions(&mut conn, patient_id).await?,
            observations: record::observations(&mut conn, patient_id, i64::MIN).await?,
            checkins: record::checkins(&mut conn, patient_id).await?,
            injections: record::injections(&mut conn, patient_id).await?,
            screening: record::screenings(&mut conn, patient_id).await?.into_iter().next(),
            dose_events,
            target_systolic_bp: record::target_systolic_bp(&mut conn, patient_id)
                .await?
                .and_then(|text| text.parse::<Decimal>().ok()),
            latest,
            site_overrides: crate::courses::site_overrides(&mut conn).await?,
        }
    };
    for read in ["", "/courses", "/assessments", "/observations", "/checkins", "/injections", "/screenings"] {
        access::audit_read(store, actor, &format!("{resource}{read}"), Some(patient_id), now).await?;
    }
    Ok(record)
}

/// Everything recorded for a patient's courses, for the timeline export.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub patient: Patient,
    pub observations: Vec<Observation>,
    /// The dose events of every course.
    pub dose_events: Vec<DoseEvent>,
    pub injections: Vec<Injection>,
    pub decisions: Vec<Decision>,
    pub checkins: Vec<StoredCheckIn>,
}

/// Patient `patient_id`'s timeline (nurse, physician, pharmacist); the read is audited.
pub async fn timeline(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Timeline, Error> {
    let resource = format!("patient/{patient_id}/timeline");
    let allowed = access::authorize(store, actor, Some(patient_id), Action::OpenStaffPages, &resource, now).await;
    refused_as(allowed, "the timeline is for the care team")?;
    let timeline = {
        let mut conn = store.connection().await?;
        let patient = record::patient(&mut conn, patient_id).await?;
        let observations = record::observations(&mut conn, patient_id, i64::MIN).await?;
        let mut dose_events = Vec::new();
        for course in record::courses(&mut conn, patient_id).await? {
            dose_events.extend(record::dose_events(&mut conn, course.id).await?);
        }
        Timeline {
            patient,
            observations,
            dose_events,
            injections: record::injections(&mut conn, patient_id).await?,
            decisions: record::decisions(&mut conn, patient_id).await?,
            checkins: record::checkins(&mut conn, patient_id).await?,
        }
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(timeline)
}

/// What the worklist page reads: the worklist's items at `now`, every patient, the vital signs' age and the
/// last dose's override of every course of `regimen` (the codes `vital_signs`), and the site's thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct WorklistRecord {
    /// Who needs the team now, most urgent first (`crate::worklist::items`).
    pub items: Vec<Item>,
    pub patients: Vec<Patient>,
    pub ward: Vec<CourseVitals>,
    /// The site's changes to the assessment's thresholds (the vital signs' maximum age).
    pub site_overrides: SiteOverrides,
}

/// The worklist page's record (nurse, physician); the read is audited (`worklist`).
pub async fn worklist_record(
    store: &Store,
    actor: &Actor,
    regimen: &str,
    vital_signs: &[&str],
    now: Timestamp,
) -> Result<WorklistRecord, Error> {
    access::authorize(store, actor, None, Action::ReadWorklist, "worklist", now).await?;
    let record = {
        let mut conn = store.connection().await?;
        WorklistRecord {
            items: crate::worklist::items(&mut conn, now.as_millisecond()).await?,
            patients: record::patients(&mut conn).await?,
            ward: il2care_store::ward::course_vitals_of_regimen(&mut conn, regimen, vital_signs).await?,
            site_overrides: crate::courses::site_overrides(&mut conn).await?,
        }
    };
    access::audit_read(store, actor, "worklist", None, now).await?;
    Ok(record)
}

pub use crate::course_record::decision_of;

/// The status of a stored dose event (`given`, `held`), `None` for a word the record never stores.
pub fn dose_status_of(word: &str) -> Option<DoseStatus> {
    match word {
        "given" => Some(DoseStatus::Given),
        "held" => Some(DoseStatus::Held),
        _ => None,
    }
}
