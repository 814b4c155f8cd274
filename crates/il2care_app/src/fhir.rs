//! FHIR use cases: [`export_patient`] (a patient's record for the wire crate's Bundle: [`gather`]) and
//! [`import_text`] (a Bundle's import plan stored: [`apply`]; a `transaction` all or nothing, a collection or
//! batch resource by resource). Used by `il2care import`/`export` and by the service's `/fhir` routes
//! (`il2care_web::fhir` keeps thin wrappers with its old signatures).
//!
//! The injection log's rules (its slots and levels, one shot per slot) come in as [`InjectionRules`]:
//! `crate::injections::INJECTION_LOG_RULES`.

use std::collections::HashMap;

use il2care_core::Refusal;
use il2care_store::audit::{self, AuditEntry, AuditQuery};
use il2care_store::record::{self, Course, DoseEvent, Injection, Observation, Patient};
use il2care_store::{Conn, Store};
use il2care_wire::fhir::export::{self, PatientRecord};
use il2care_wire::fhir::import::{self, BundleKind, CourseRef, ImportOptions, ImportPlan, Issue, Item, PatientRef};
use il2care_wire::fhir::matching::{self, Demographics};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::access::{self, Action, Actor};

/// The injection log's rules an import applies to a logged injection (`crate::injections::INJECTION_LOG_RULES`).
pub trait InjectionRules: Sync {
    /// The injection `document` (with its `course_id`) checked against the course, its planned slots in the
    /// patient's `time_zone` and the `logged` entries: the row to store, or the refusal naming the field.
    fn checked_entry(
        &self,
        document: &Map<String, Value>,
        course: &Course,
        time_zone: &str,
        logged: &[Injection],
        now: Timestamp,
    ) -> Result<Injection, Refusal>;
}

/// How an import ended (the service answers 400, 422 and 200).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    /// The Bundle could not be read (nothing stored).
    Unreadable,
    /// Refused: a transaction with an error, or nothing to keep (nothing stored).
    Refused,
    /// Stored (what could be; the rest reported).
    Stored,
}

impl ImportStatus {
    /// Whether anything was stored.
    pub fn is_success(self) -> bool {
        self == ImportStatus::Stored
    }
}

/// `il2care export` and `$everything`: the patient's record, after the policy allowed `actor` to export it,
/// with the read audited (`patient/{id}/fhir/export`) before it is answered. `with_audit` adds the patient's
/// audit entries.
pub async fn export_patient(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    with_audit: bool,
    now: Timestamp,
) -> Result<PatientRecord, Error> {
    let resource = format!("patient/{patient_id}/fhir/export");
    access::authorize(store, actor, Some(patient_id), Action::ExportRecord, &resource, now).await?;
    let mut conn = store.connection().await?;
    let record = gather(&mut conn, patient_id, with_audit).await?;
    access::append(&mut conn, actor, "read", &resource, Some(patient_id), "ok", now).await?;
    Ok(record)
}

/// `il2care import`: a Bundle's text imported by `actor` (the policy decides; an operator or a physician may
/// start courses).
pub async fn import_bundle(
    store: &Store,
    mrn_system: &str,
    actor: &Actor,
    text: &str,
    now: Timestamp,
    rules: &dyn InjectionRules,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportOutcome, Error> {
    access::authorize(store, actor, None, Action::ImportBundle, "fhir/import", now).await?;
    let physician = matches!(actor.role, access::Role::Physician | access::Role::Operator);
    import_text_reporting(store, mrn_system, text, &Importer::of(actor), physician, now, rules, progress).await
}

impl Importer {
    fn entry<'a>(
        &'a self,
        at_ms: i64,
        action: &'a str,
        resource: &'a str,
        patient_id: Option<i64>,
        outcome: &'a str,
    ) -> AuditEntry<'a> {
        AuditEntry {
            at_ms,
            actor: &self.username,
            actor_role: &self.role,
            action,
            resource,
            patient_id,
            outcome,
            remote: &self.remote,
        }
    }
}

/// Reads everything exported about a patient; `with_audit` adds the patient's audit entries (oldest first).
pub async fn gather(conn: &mut Conn, patient_id: i64, with_audit: bool) -> Result<PatientRecord, Error> {
    let patient = record::patient(conn, patient_id).await?;
    let courses = record::courses(conn, patient_id).await?;
    let stored = record::observations(conn, patient_id, i64::MIN).await?;
    let corrected: Vec<i64> = stored.iter().filter_map(|observation| observation.corrects_id).collect();
    let observations = stored
        .iter()
        .filter(|observation| !corrected.contains(&observation.id))
        .filter_map(|observation| {
            Some(export::ObservationEntry {
                id: observation.id,
                client_id: observation.client_id.clone(),
                document: serde_json::from_str(&observation.document).ok()?,
            })
        })
        .collect();
    let decisions = record::assessments(conn, patient_id).await?;
    let mut doses = Vec::new();
    for course in &courses {
        let records = record::dose_records(conn, course.id).await?;
        let corrected: Vec<i64> = records.iter().filter_map(|entry| entry.event.corrects_id).collect();
        for entry in records.iter().filter(|entry| !corrected.contains(&entry.event.id)) {
            let event = &entry.event;
            let decision = event
                .assessment_id
                .and_then(|id| decisions.iter().find(|decision| decision.id == id))
                .map(|decision| decision.decision.clone());
            doses.push(export::DoseEntry {
                id: event.id,
                course_id: event.course_id,
                status: event.status.clone(),
                at_ms: event.at_ms,
                override_reason: event.override_reason.clone(),
                decision,
                reason_code: entry.reason_code.clone(),
                cosigned_by: entry.cosigned_by.clone(),
            });
        }
    }
    let logged = record::injections(conn, patient_id).await?;
    let injections = record::standing_injections(&logged)
        .into_iter()
        .map(|entry| export::InjectionEntry {
            id: entry.id,
            course_id: entry.course_id,
            status: entry.status.clone(),
            slot_number: entry.slot_number,
            dose_level: entry.dose_level.clone(),
            at_ms: entry.at_ms,
            site: entry.site.clone(),
            skip_reason: entry.skip_reason.clone(),
            note: entry.note.clone(),
        })
        .collect();
    let mut checkins: Vec<export::CheckInEntry> = record::checkins(conn, patient_id)
        .await?
        .iter()
        .filter_map(|checkin| {
            Some(export::CheckInEntry {
                id: checkin.id,
                at_ms: checkin.at_ms,
                document: serde_json::from_str(&checkin.document).ok()?,
                level: checkin.level.clone(),
            })
        })
        .collect();
    checkins.reverse();
    let mut decisions: Vec<export::DecisionEntry> = decisions
        .iter()
        .map(|decision| export::DecisionEntry {
            id: decision.id,
            course_id: decision.course_id,
            at_ms: decision.at_ms,
            decision: decision.decision.clone(),
            result: serde_json::from_str(&decision.result).unwrap_or(Value::Null),
        })
        .collect();
    decisions.reverse();
    let flags = record::flag_rows(conn, patient_id)
        .await?
        .into_iter()
        .map(|flag| export::FlagEntry { id: flag.id, code: flag.code, at_ms: flag.at_ms })
        .collect();
    let mut audit_entries = Vec::new();
    if with_audit {
        let query = AuditQuery { patient_id: Some(patient_id), actor: None, limit: 1000 };
        for entry in audit::query(conn, &query).await?.into_iter().rev() {
            audit_entries.push(export::AuditEntry {
                id: entry.id,
                at_ms: entry.at_ms,
                actor: entry.actor,
                actor_role: entry.actor_role,
                action: entry.action,
                resource: entry.resource,
                outcome: entry.outcome,
                remote: entry.remote,
            });
        }
    }
    Ok(PatientRecord {
        patient: Some(export::PatientEntry {
            id: patient.id,
            mrn: patient.mrn,
            name: patient.display_name,
            date_of_birth: patient.date_of_birth,
            sex: patient.sex,
            time_zone: patient.time_zone,
        }),
        courses: courses
            .into_iter()
            .map(|course| export::CourseEntry {
                id: course.id,
                regimen: course.regimen,
                rule_set: course.rule_set,
                started_at_ms: course.started_at_ms,
                baseline_weight_kg: course.baseline_weight_kg,
                baseline_creatinine_mg_dl: course.baseline_creatinine_mg_dl,
            })
            .collect(),
        observations,
        doses,
        injections,
        checkins,
        decisions,
        flags,
        audit: audit_entries,
    })
}

/// Who performs an import, for the record's `recorded_by` columns and the audit log.
#[derive(Clone, Debug)]
pub struct Importer {
    pub username: String,
    pub role: String,
    pub remote: String,
}

impl Importer {
    /// The actor of a use case (or an adapter's actor that converts to one).
    pub fn of(actor: &impl access::AsActor) -> Importer {
        let actor = actor.as_actor();
        Importer {
            username: actor.username.clone(),
            role: actor.role.as_str().to_string(),
            remote: actor.remote.clone(),
        }
    }
}

/// What an import stored: the location of each stored entry, the entries already in the record (matched on
/// their identifiers, nothing changed), the issues met while storing, the patients touched, and the stored
/// patients whose MRN matched but whose birth date, family name or gender did not (to audit after the import,
/// whether it is kept or rolled back).
#[derive(Clone, Debug, Default)]
pub struct Applied {
    pub locations: Vec<(usize, String)>,
    pub existing: Vec<(usize, String)>,
    pub issues: Vec<Issue>,
    pub patients: Vec<i64>,
    pub mismatches: Vec<(i64, String)>,
}

/// An observation as the natural key of one without an identifier compares it: code, time, start, value
/// (normalized decimal) and unit.
type ObservationKey = (String, i64, Option<i64>, String, String);

fn observation_key(code: &str, at_ms: i64, start_ms: Option<i64>, value: &str, unit: &str) -> ObservationKey {
    let value =
        value.parse::<rust_decimal::Decimal>().map_or_else(|_| value.to_string(), |v| v.normalize().to_string());
    (code.to_string(), at_ms, start_ms, value, unit.to_string())
}

/// The course an administration belongs to: an entry of this Bundle, a stored course of the patient, or the
/// patient's latest course started by `at_ms`.
fn course_of<'a>(
    stored: &'a [Course],
    imported: &HashMap<usize, i64>,
    reference: &CourseRef,
    at_ms: i64,
) -> Option<&'a Course> {
    match reference {
        CourseRef::Entry(position) => {
            imported.get(position).and_then(|id| stored.iter().find(|course| course.id == *id))
        }
        CourseRef::Stored(id) => stored.iter().find(|course| course.id == *id),
        CourseRef::Latest => stored
            .iter()
            .filter(|course| course.started_at_ms <= at_ms)
            .max_by_key(|course| (course.started_at_ms, course.id)),
    }
}

fn rank(item: &Item) -> u8 {
    match item {
        Item::Patient(_) => 0,
        Item::Course(_) => 1,
        _ => 2,
    }
}

fn issue(entry: usize, code: &'static str, diagnostics: impl Into<String>) -> Issue {
    Issue {
        severity: "error",
        code,
        diagnostics: diagnostics.into(),
        expression: format!("Bundle.entry[{entry}].resource"),
    }
}

/// Stores a plan's items on `conn` (a transaction the caller commits or rolls back). Items that cannot be
/// stored (a stored patient or course that does not exist) become issues; nothing fails half-way in SQL.
pub async fn apply(
    conn: &mut Conn,
    plan: &ImportPlan,
    by: &Importer,
    now_ms: i64,
    rules: &dyn InjectionRules,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<Applied, Error> {
    let mut items: Vec<_> = plan.items.iter().collect();
    items.sort_by_key(|planned| (rank(&planned.item), planned.entry));
    let mut applied = Applied::default();
    let mut patients: HashMap<usize, i64> = HashMap::new();
    let mut courses: HashMap<usize, i64> = HashMap::new();
    let mut known_observations: HashMap<i64, HashMap<ObservationKey, i64>> = HashMap::new();
    for planned in items {
        progress(ImportProgress::Storing);
        let entry = planned.entry;
        let patient_of = |reference: &PatientRef| match reference {
            PatientRef::Entry(position) => patients.get(position).copied().ok_or(None),
            PatientRef::Stored(id) => Err(Some(*id)),
        };
        // Resolve the patient: an entry of this Bundle, or a stored patient that must exist.
        let patient_ref = match &planned.item {
            Item::Patient(_) => None,
            Item::Course(course) => Some(&course.patient),
            Item::Observations { patient, .. } | Item::Flag { patient, .. } => Some(patient),
            Item::Dose(dose) => Some(&dose.patient),
            Item::Injection(injection) => Some(&injection.patient),
        };
        let patient_id = match patient_ref.map(patient_of) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(Some(id))) => match record::patient(conn, id).await {
                Ok(_) => Some(id),
                Err(il2care_store::StoreError::NotFound(_)) => {
                    applied.issues.push(issue(entry, "not-found", format!("Patient/{id} is not in the record")));
                    continue;
                }
                Err(error) => return Err(error.into()),
            },
            Some(Err(None)) => {
                applied.issues.push(issue(entry, "not-found", "its patient was not imported"));
                continue;
            }
        };
        let location = match &planned.item {
            Item::Patient(new) => {
                if jiff::tz::TimeZone::get(&new.time_zone).is_err() {
                    applied.issues.push(issue(entry, "value", format!("unknown time zone `{}`", new.time_zone)));
                    continue;
                }
                let existing = record::patient_by_mrn(conn, &new.mrn).await?;
                let id = match existing {
                    Some(patient) => {
                        // The same MRN with another birth date, family name or gender is another person or a
                        // typing error: never merge them.
                        let stored = matching::Stored {
                            date_of_birth: &patient.date_of_birth,
                            name: &patient.display_name,
                            sex: &patient.sex,
                        };
                        let given = Demographics {
                            birth_date: Some(&new.date_of_birth),
                            family: new.family.as_deref(),
                            gender: Some(&new.sex),
                        };
                        let fields = matching::mismatched_fields(stored, given);
                        if !fields.is_empty() {
                            let why = format!(
                                "MRN {} belongs to a stored patient whose {} differ: not the same person, or a typing \
                                 error; correct the MRN or the record",
                                new.mrn,
                                fields.join(", ")
                            );
                            applied.issues.push(Issue {
                                expression: format!("Bundle.entry[{entry}].resource.{}", fields[0]),
                                ..issue(entry, "business-rule", why)
                            });
                            applied.mismatches.push((patient.id, fields.join(",")));
                            continue;
                        }
                        patients.insert(entry, patient.id);
                        applied.existing.push((entry, format!("Patient/{}", patient.id)));
                        continue;
                    }
                    None => {
                        let patient = Patient {
                            id: 0,
                            mrn: new.mrn.clone(),
                            display_name: new.name.clone(),
                            date_of_birth: new.date_of_birth.clone(),
                            sex: new.sex.clone(),
                            time_zone: new.time_zone.clone(),
                        };
                        record::create_patient(conn, &patient, now_ms, &by.username).await?
                    }
                };
                patients.insert(entry, id);
                touch(&mut applied.patients, id);
                format!("Patient/{id}")
            }
            Item::Course(new) => {
                let patient_id = patient_id.unwrap_or_default();
                let course = Course {
                    id: 0,
                    patient_id,
                    regimen: new.regimen.clone(),
                    rule_set: new.rule_set.clone(),
                    started_at_ms: new.started_at_ms,
                    baseline_weight_kg: new.baseline_weight_kg.clone(),
                    baseline_creatinine_mg_dl: new.baseline_creatinine_mg_dl.clone(),
                };
                // Conditional create: a course of the same regimen started at the same time is this course.
                let stored = record::courses(conn, patient_id).await?;
                if let Some(same) = stored
                    .iter()
                    .find(|known| known.regimen == course.regimen && known.started_at_ms == course.started_at_ms)
                {
                    courses.insert(entry, same.id);
                    applied.existing.push((entry, format!("MedicationRequest/{}", same.id)));
                    continue;
                }
                let id = record::create_course(conn, &course, now_ms, &by.username).await?;
                courses.insert(entry, id);
                touch(&mut applied.patients, patient_id);
                format!("MedicationRequest/{id}")
            }
            Item::Observations { observations, .. } => {
                let patient_id = patient_id.unwrap_or_default();
                let known = match known_observations.entry(patient_id) {
                    std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::hash_map::Entry::Vacant(vacant) => vacant.insert(
                        record::observations(conn, patient_id, i64::MIN)
                            .await?
                            .iter()
                            .map(|row| {
                                (observation_key(&row.code, row.at_ms, row.start_ms, &row.value, &row.unit), row.id)
                            })
                            .collect(),
                    ),
                };
                let mut first = None;
                let mut created = false;
                for new in observations {
                    // Conditional create: by identifier (the store's unique client id), else on the natural key.
                    let key = observation_key(&new.code, new.at_ms, new.start_ms, &new.value, &new.unit);
                    if new.client_id.is_none()
                        && let Some(id) = known.get(&key)
                    {
                        first.get_or_insert(*id);
                        continue;
                    }
                    let row = Observation {
                        id: 0,
                        patient_id,
                        client_id: new.client_id.clone(),
                        code: new.code.clone(),
                        value: new.value.clone(),
                        unit: new.unit.clone(),
                        at_ms: new.at_ms,
                        start_ms: new.start_ms,
                        document: new.document.clone(),
                        corrects_id: None,
                    };
                    let written = record::add_observation(conn, &row, now_ms, &by.username).await?;
                    created |= matches!(written, record::Written::Created(_));
                    known.insert(key, written.id());
                    first.get_or_insert(written.id());
                }
                let location = format!("Observation/{}", first.unwrap_or_default());
                if !created {
                    applied.existing.push((entry, location));
                    continue;
                }
                touch(&mut applied.patients, patient_id);
                location
            }
            Item::Dose(dose) => {
                let patient_id = patient_id.unwrap_or_default();
                let stored_courses = record::courses(conn, patient_id).await?;
                let course_id = course_of(&stored_courses, &courses, &dose.course, dose.at_ms).map(|course| course.id);
                let Some(course_id) = course_id else {
                    applied.issues.push(issue(
                        entry,
                        "not-found",
                        "no course of this patient for the dose: name its MedicationRequest in `request`",
                    ));
                    continue;
                };
                let same = record::dose_events(conn, course_id).await?.into_iter().find(|event| {
                    event.status == dose.status && event.at_ms == dose.at_ms && event.corrects_id.is_none()
                });
                if let Some(same) = same {
                    applied.existing.push((entry, format!("MedicationAdministration/{}", same.id)));
                    continue;
                }
                let event = DoseEvent {
                    id: 0,
                    patient_id,
                    course_id,
                    assessment_id: None,
                    status: dose.status.to_string(),
                    at_ms: dose.at_ms,
                    override_reason: dose.override_reason.clone(),
                    corrects_id: None,
                    recorded_by: by.username.clone(),
                };
                let id = record::add_dose_event(conn, &event, now_ms).await?;
                if dose.status == "given" {
                    set_flag(conn, patient_id, "received_interleukin_2", dose.at_ms, &by.username).await?;
                }
                touch(&mut applied.patients, patient_id);
                format!("MedicationAdministration/{id}")
            }
            Item::Injection(injection) => {
                let patient_id = patient_id.unwrap_or_default();
                let patient = record::patient(conn, patient_id).await?;
                let stored_courses = record::courses(conn, patient_id).await?;
                let Some(course) = course_of(&stored_courses, &courses, &injection.course, injection.at_ms) else {
                    applied.issues.push(issue(
                        entry,
                        "not-found",
                        "no course of this patient for the injection: name its MedicationRequest in `request`",
                    ));
                    continue;
                };
                // The injection log's own rules: the course's regimen, its slots and levels, one shot per slot.
                let mut document = injection.document.clone();
                document.insert("course_id".into(), json!(course.id));
                let logged = record::injections(conn, patient_id).await?;
                let status = injection.document.get("status").and_then(Value::as_str).unwrap_or("");
                let slot = injection.document.get("slot").and_then(Value::as_i64);
                let same = record::standing_injections(&logged).into_iter().find(|known| {
                    known.course_id == course.id
                        && known.at_ms == injection.at_ms
                        && known.status == status
                        && slot.is_none_or(|slot| known.slot_number == Some(slot))
                });
                if let Some(same) = same {
                    applied.existing.push((entry, format!("MedicationAdministration/injection-{}", same.id)));
                    continue;
                }
                let now = Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH);
                let checked = rules.checked_entry(&document, course, &patient.time_zone, &logged, now);
                let mut checked = match checked {
                    Ok(checked) => checked,
                    Err(refusal) => {
                        applied.issues.push(issue(entry, "value", format!("{}: {}", refusal.field, refusal.reason)));
                        continue;
                    }
                };
                checked.recorded_by = by.username.clone();
                let id = record::add_injection(conn, &checked, now_ms).await?.id();
                if checked.status == "given" {
                    set_flag(conn, patient_id, "received_interleukin_2", checked.at_ms, &by.username).await?;
                }
                touch(&mut applied.patients, patient_id);
                format!("MedicationAdministration/injection-{id}")
            }
            Item::Flag { code, at_ms, .. } => {
                let patient_id = patient_id.unwrap_or_default();
                let known = record::flag_rows(conn, patient_id).await?.into_iter().find(|flag| flag.code == *code);
                if let Some(known) = known {
                    applied.existing.push((entry, format!("Flag/{}", known.id)));
                    continue;
                }
                let id = set_flag(conn, patient_id, code, *at_ms, &by.username).await?;
                touch(&mut applied.patients, patient_id);
                format!("Flag/{id}")
            }
        };
        applied.locations.push((entry, location));
    }
    for patient_id in &applied.patients {
        let resource = format!("patient/{patient_id}/fhir-import");
        audit::append(conn, &by.entry(now_ms, "write", &resource, Some(*patient_id), "ok")).await?;
    }
    Ok(applied)
}

fn touch(patients: &mut Vec<i64>, id: i64) {
    if !patients.contains(&id) {
        patients.push(id);
    }
}

/// Sets a lasting flag unless it is set already; the id of the (first) row either way.
async fn set_flag(conn: &mut Conn, patient_id: i64, code: &str, at_ms: i64, by: &str) -> Result<i64, Error> {
    if let Some(existing) = record::flag_rows(conn, patient_id).await?.into_iter().find(|flag| flag.code == code) {
        return Ok(existing.id);
    }
    Ok(record::add_flag(conn, patient_id, code, "imported from FHIR", at_ms, by).await?)
}

/// The entry index an issue's expression names (`Bundle.entry[3]...`).
fn entry_of(issue: &Issue) -> Option<usize> {
    issue.expression.strip_prefix("Bundle.entry[")?.split(']').next()?.parse().ok()
}

/// The outcome of an import: how it ended and the FHIR body (answered by `POST /fhir`, printed by `il2care import`).
#[derive(Clone, Debug)]
pub struct ImportOutcome {
    pub status: ImportStatus,
    pub body: Value,
    /// Whether anything was refused.
    pub refused: bool,
}

/// How far an import has come, for a progress display (the command line's bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportProgress {
    /// The Bundle is read and checked: this many items will be stored.
    Checked { items: usize },
    /// One more item is being stored.
    Storing,
}

/// Imports a Bundle's text: a transaction all or nothing, a collection (or batch) resource by resource.
pub async fn import_text(
    store: &Store,
    mrn_system: &str,
    text: &str,
    by: &Importer,
    physician: bool,
    now: Timestamp,
    rules: &dyn InjectionRules,
) -> Result<ImportOutcome, Error> {
    import_text_reporting(store, mrn_system, text, by, physician, now, rules, &|_| {}).await
}

/// [`import_text`], telling `progress` how far it has come.
#[allow(clippy::too_many_arguments)]
pub async fn import_text_reporting(
    store: &Store,
    mrn_system: &str,
    text: &str,
    by: &Importer,
    physician: bool,
    now: Timestamp,
    rules: &dyn InjectionRules,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportOutcome, Error> {
    let latest = now + jiff::SignedDuration::from_mins(5);
    let options = ImportOptions { mrn_system: mrn_system.to_string() };
    let plan = match import::plan_with(text, latest, &options) {
        Ok(plan) => plan,
        Err(outcome) => return Ok(ImportOutcome { status: ImportStatus::Unreadable, body: outcome, refused: true }),
    };
    progress(ImportProgress::Checked { items: plan.items.len() });
    if !physician && plan.items.iter().any(|planned| matches!(planned.item, Item::Course(_))) {
        return Err(Error::Forbidden("only a physician starts a course (MedicationRequest)".into()));
    }
    if plan.kind == BundleKind::Transaction && plan.has_errors() {
        let body = import::operation_outcome(&plan.issues);
        return Ok(ImportOutcome { status: ImportStatus::Refused, body, refused: true });
    }
    let mut tx = store.begin().await?;
    let applied = apply(&mut tx, &plan, by, now.as_millisecond(), rules, progress).await?;
    // The items are stored: only the issues are needed for the answer (a large Bundle's plan is freed first).
    let ImportPlan { kind, entries, mut issues, .. } = plan;
    issues.extend(applied.issues.iter().cloned());
    let refused = issues.iter().any(|issue| issue.severity == "error");
    let keep = match kind {
        BundleKind::Transaction => !refused,
        BundleKind::Collection | BundleKind::Batch => {
            !(applied.locations.is_empty() && applied.existing.is_empty() && refused)
        }
    };
    if keep {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    audit_mismatches(store, by, &applied.mismatches, now).await?;
    if !keep {
        let body = import::operation_outcome(&issues);
        return Ok(ImportOutcome { status: ImportStatus::Refused, body, refused: true });
    }
    if kind != BundleKind::Collection {
        let kind = if kind == BundleKind::Batch { "batch-response" } else { "transaction-response" };
        let body = response_bundle(kind, entries, &applied, &issues);
        return Ok(ImportOutcome { status: ImportStatus::Stored, body, refused });
    }
    for (entry, location) in &applied.locations {
        issues.push(informational(*entry, format!("stored as {location}")));
    }
    for (entry, location) in &applied.existing {
        issues.push(informational(*entry, format!("already in the record as {location}; nothing changed")));
    }
    drop(applied);
    Ok(ImportOutcome { status: ImportStatus::Stored, body: import::operation_outcome_of(issues), refused })
}

fn informational(entry: usize, diagnostics: String) -> Issue {
    Issue {
        severity: "information",
        code: "informational",
        diagnostics,
        expression: format!("Bundle.entry[{entry}].resource"),
    }
}

/// A transaction-response or batch-response: one entry per Bundle entry, in order: `201 Created` with the
/// location of what was stored, `200 OK` with the location of what was already there (nothing changed), and
/// for the rest the status of its worst issue with an OperationOutcome (a skipped resource is `200 OK` with an
/// information issue; a refused method `405`; a refused resource `422`, only in a batch).
fn response_bundle(kind: &str, entries: usize, applied: &Applied, issues: &[Issue]) -> Value {
    let located = |list: &[(usize, String)], position: usize| {
        list.iter().find(|(entry, _)| *entry == position).map(|(_, location)| location.clone())
    };
    let mut notes: HashMap<usize, Vec<Issue>> = HashMap::new();
    for issue in issues {
        if let Some(entry) = entry_of(issue) {
            notes.entry(entry).or_default().push(issue.clone());
        }
    }
    let entries: Vec<Value> = (0..entries)
        .map(|position| {
            let notes = notes.remove(&position).unwrap_or_default();
            if let Some(location) = located(&applied.locations, position) {
                return json!({"response": {"status": "201 Created", "location": location}});
            }
            if let Some(location) = located(&applied.existing, position) {
                let note = informational(position, format!("already in the record as {location}; nothing changed"));
                return json!({"response": {"status": "200 OK", "location": location,
                                           "outcome": import::operation_outcome(&[note])}});
            }
            let status = if notes.iter().any(|issue| issue.expression.ends_with("request.method")) {
                "405 Method Not Allowed"
            } else if notes.iter().any(|issue| issue.severity == "error") {
                "422 Unprocessable Entity"
            } else {
                "200 OK"
            };
            json!({"response": {"status": status, "outcome": import::operation_outcome(&notes)}})
        })
        .collect();
    export::prune(json!({"resourceType": "Bundle", "type": kind, "entry": entries}))
}

/// Audits each stored patient whose MRN an import named with another birth date, family name or gender (on
/// its own connection: the import itself may have been rolled back).
async fn audit_mismatches(
    store: &Store,
    by: &Importer,
    mismatches: &[(i64, String)],
    now: Timestamp,
) -> Result<(), Error> {
    if mismatches.is_empty() {
        return Ok(());
    }
    let mut conn = store.connection().await?;
    for (patient_id, fields) in mismatches {
        let resource = format!("patient/{patient_id}/fhir-import/mismatch/{fields}");
        audit::append(&mut conn, &by.entry(now.as_millisecond(), "match", &resource, Some(*patient_id), "refused"))
            .await?;
    }
    Ok(())
}
