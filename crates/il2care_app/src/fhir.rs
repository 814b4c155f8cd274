//! FHIR use cases: [`export_patient`] (a patient's record for the wire crate's Bundle: [`gather`]) and
//! [`import_text`] (a Bundle's import plan stored: [`apply`]; a `transaction` all or nothing, a collection or
//! batch resource by resource). Used by `il2care import`/`export` and by the service's `/fhir` routes
//! (`il2care_web::fhir` keeps thin wrappers with its old signatures).
//!
//! A logged injection is checked by the injection log's own rules (its slots and levels, one shot per slot):
//! `crate::injections::checked_import_entry`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use il2care_store::audit::{self, AuditEntry, AuditQuery};
use il2care_store::record::{self, Course, DoseEvent, Observation, Patient};
use il2care_store::{Conn, Store};
use il2care_wire::fhir::export::{self, PatientRecord};
use il2care_wire::fhir::import::{
    self, BundleEntries, BundleKind, ChunkedPlan, CourseRef, ImportOptions, ImportPlan, Issue, Item, PatientRef,
    Planned, Reread,
};
use il2care_wire::fhir::matching::{self, Demographics};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::Error;
use crate::access::{self, Action, Actor};

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
/// start courses). A file's text is freed once its index is read ([`BundleText::File`]), text given owned once
/// stored, before the answer is built; a stored collection is
/// answered with its issues ([`write_operation_outcome`] writes its OperationOutcome one issue at a time).
pub async fn import_bundle(
    store: &Store,
    mrn_system: &str,
    actor: &Actor,
    text: BundleText<'_>,
    now: Timestamp,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportAnswer, Error> {
    access::authorize(store, actor, None, Action::ImportBundle, "fhir/import", now).await?;
    let physician = matches!(actor.role, access::Role::Physician | access::Role::Operator);
    import_text_answer(store, mrn_system, text, actor, physician, now, progress).await
}

impl Actor {
    /// The audit entry of this actor's import step.
    fn import_entry<'a>(
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
            actor_role: self.role.as_str(),
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
    let decisions = record::decisions(conn, patient_id).await?;
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
        patient: Some(patient_entry(patient)),
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
/// (normalized decimal) and unit. Held for every observation an import stores or meets (100,000 in a bulk
/// export), so it is compact: the code and the unit as numbers given by [`KeyNames`], a number's value as its
/// normalized decimal (no text to allocate).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ObservationKey {
    code: u32,
    unit: u32,
    at_ms: i64,
    start_ms: Option<i64>,
    value: KeyValue,
}

/// An observation's value in its natural key: a decimal, normalized (`5.0` and `5` are the same value, and
/// two normalized decimals are equal exactly when their texts are), else the text as given.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum KeyValue {
    Number(rust_decimal::Decimal),
    Text(Box<str>),
}

/// The codes and units of an import's natural keys, each given a number the first time it is met (a bulk
/// export has a handful of each).
#[derive(Default)]
struct KeyNames(HashMap<String, u32>);

impl KeyNames {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(number) = self.0.get(name) {
            return *number;
        }
        let number = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        self.0.insert(name.to_string(), number);
        number
    }
}

fn observation_key(
    names: &mut KeyNames,
    code: &str,
    at_ms: i64,
    start_ms: Option<i64>,
    value: &str,
    unit: &str,
) -> ObservationKey {
    let value = value
        .parse::<rust_decimal::Decimal>()
        .map_or_else(|_| KeyValue::Text(value.into()), |v| KeyValue::Number(v.normalize()));
    ObservationKey { code: names.number(code), unit: names.number(unit), at_ms, start_ms, value }
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
    by: &Actor,
    now_ms: i64,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<Applied, Error> {
    let mut items: Vec<_> = plan.items.iter().collect();
    items.sort_by_key(|planned| (rank(&planned.item), planned.entry));
    let mut storing = Storing::new(by, now_ms, progress);
    storing.store(conn, items).await?;
    storing.finish(conn).await
}

/// An import being stored, a chunk of items at a time ([`apply`] stores one plan whole): what the Bundle's
/// Patients and MedicationRequests became (later entries refer to them), the observations known per patient
/// (for conditional create) and the observations waiting to be written.
struct Storing<'s> {
    by: &'s Actor,
    now_ms: i64,
    progress: &'s (dyn Fn(ImportProgress) + Sync),
    applied: Applied,
    touched: HashSet<i64>,
    patients: HashMap<usize, i64>,
    courses: HashMap<usize, i64>,
    known_observations: HashMap<i64, HashMap<ObservationKey, ObservationRow>>,
    key_names: KeyNames,
    pending: PendingObservations,
}

impl<'s> Storing<'s> {
    fn new(by: &'s Actor, now_ms: i64, progress: &'s (dyn Fn(ImportProgress) + Sync)) -> Storing<'s> {
        Storing {
            by,
            now_ms,
            progress,
            applied: Applied::default(),
            touched: HashSet::new(),
            patients: HashMap::new(),
            courses: HashMap::new(),
            known_observations: HashMap::new(),
            key_names: KeyNames::default(),
            pending: PendingObservations::default(),
        }
    }

    /// Stores `items` in the order given (Patients first, then courses, then the rest: an item's patient or
    /// course entry is stored before it).
    async fn store<'p, I>(&mut self, conn: &mut Conn, items: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'p Planned>,
        I::IntoIter: Send,
    {
        let (by, now_ms, progress) = (self.by, self.now_ms, self.progress);
        let Storing { applied, touched, patients, courses, known_observations, key_names, pending, .. } = self;
        for planned in items {
            progress(ImportProgress::Storing);
            let entry = planned.entry;
            if !matches!(planned.item, Item::Observations { .. }) || pending.rows.len() >= OBSERVATIONS_PER_FLUSH {
                pending.flush(conn, applied, touched, now_ms, &by.username).await?;
            }
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
                            let id = record::create_patient(conn, &patient, now_ms, &by.username).await?;
                            // A new patient has no stored observations to match.
                            known_observations.insert(id, HashMap::new());
                            id
                        }
                    };
                    patients.insert(entry, id);
                    touch(&mut applied.patients, touched, id);
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
                    touch(&mut applied.patients, touched, patient_id);
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
                                    let key = observation_key(
                                        key_names,
                                        &row.code,
                                        row.at_ms,
                                        row.start_ms,
                                        &row.value,
                                        &row.unit,
                                    );
                                    (key, ObservationRow::Stored(row.id))
                                })
                                .collect(),
                        ),
                    };
                    let mut rows = Vec::with_capacity(observations.len());
                    for new in observations {
                        // Conditional create: by identifier (the store's unique client id), else on the natural key.
                        let key = observation_key(key_names, &new.code, new.at_ms, new.start_ms, &new.value, &new.unit);
                        if new.client_id.is_none()
                            && let Some(row) = known.get(&key)
                        {
                            rows.push((*row, false));
                            continue;
                        }
                        let row = ObservationRow::Written(pending.next_row());
                        pending.rows.push(Observation {
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
                        });
                        known.insert(key, row);
                        rows.push((row, true));
                    }
                    pending.entries.push((entry, patient_id, rows));
                    continue;
                }
                Item::Dose(dose) => {
                    let patient_id = patient_id.unwrap_or_default();
                    let stored_courses = record::courses(conn, patient_id).await?;
                    let course_id =
                        course_of(&stored_courses, courses, &dose.course, dose.at_ms).map(|course| course.id);
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
                    touch(&mut applied.patients, touched, patient_id);
                    format!("MedicationAdministration/{id}")
                }
                Item::Injection(injection) => {
                    let patient_id = patient_id.unwrap_or_default();
                    let patient = record::patient(conn, patient_id).await?;
                    let stored_courses = record::courses(conn, patient_id).await?;
                    let Some(course) = course_of(&stored_courses, courses, &injection.course, injection.at_ms) else {
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
                    let checked =
                        crate::injections::checked_import_entry(&document, course, &patient.time_zone, &logged, now);
                    let mut checked = match checked {
                        Ok(checked) => checked,
                        Err(refusal) => {
                            applied.issues.push(issue(
                                entry,
                                "value",
                                format!("{}: {}", refusal.field, refusal.reason),
                            ));
                            continue;
                        }
                    };
                    checked.recorded_by = by.username.clone();
                    let id = record::add_injection(conn, &checked, now_ms).await?.id();
                    if checked.status == "given" {
                        set_flag(conn, patient_id, "received_interleukin_2", checked.at_ms, &by.username).await?;
                    }
                    touch(&mut applied.patients, touched, patient_id);
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
                    touch(&mut applied.patients, touched, patient_id);
                    format!("Flag/{id}")
                }
            };
            applied.locations.push((entry, location));
        }
        Ok(())
    }

    /// Writes the observations still waiting and appends one audit entry per patient changed (in one go, with
    /// multi-row statements): what the import stored.
    async fn finish(mut self, conn: &mut Conn) -> Result<Applied, Error> {
        self.pending.flush(conn, &mut self.applied, &mut self.touched, self.now_ms, &self.by.username).await?;
        let resources: Vec<String> =
            self.applied.patients.iter().map(|patient_id| format!("patient/{patient_id}/fhir-import")).collect();
        let entries: Vec<AuditEntry> = self
            .applied
            .patients
            .iter()
            .zip(&resources)
            .map(|(patient_id, resource)| self.by.import_entry(self.now_ms, "write", resource, Some(*patient_id), "ok"))
            .collect();
        audit::append_all(conn, &entries).await?;
        drop(entries);
        Ok(self.applied)
    }
}

/// Notes a patient whose record the import changed (once, in the order first touched).
fn touch(patients: &mut Vec<i64>, touched: &mut HashSet<i64>, id: i64) {
    if touched.insert(id) {
        patients.push(id);
    }
}

/// Where a planned observation's row is: stored before this import, or the `n`th row this import writes.
#[derive(Clone, Copy, Debug)]
enum ObservationRow {
    Stored(i64),
    Written(usize),
}

/// Observations waiting to be written in multi-row statements ([`il2care_store::bulk::add_observations`]),
/// with the entries they answer; written before any other kind of item is stored and at the end, so the
/// answers keep the order of the items.
#[derive(Default)]
struct PendingObservations {
    rows: Vec<Observation>,
    /// The Observation entries waiting for their rows.
    entries: Vec<WaitingEntry>,
    /// The id of each row this import wrote, in the order written, and whether it was created (not already
    /// stored with the same identifier).
    written: Vec<(i64, bool)>,
}

/// An Observation entry waiting for its rows: position, patient, rows (each with whether it is the entry's own
/// or one an earlier entry of this import wrote with the same natural key).
type WaitingEntry = (usize, i64, Vec<(ObservationRow, bool)>);

/// Rows gathered before the pending observations are written.
const OBSERVATIONS_PER_FLUSH: usize = 2_000;

impl PendingObservations {
    /// The index the next row queued will have among the rows written by this import.
    fn next_row(&self) -> usize {
        self.written.len() + self.rows.len()
    }

    fn id(&self, row: ObservationRow) -> i64 {
        match row {
            ObservationRow::Stored(id) => id,
            ObservationRow::Written(index) => self.written[index].0,
        }
    }

    /// Writes the queued rows and answers their entries.
    async fn flush(
        &mut self,
        conn: &mut Conn,
        applied: &mut Applied,
        touched: &mut HashSet<i64>,
        now_ms: i64,
        by: &str,
    ) -> Result<(), Error> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let written = il2care_store::bulk::add_observations(conn, &self.rows, now_ms, by).await?;
        self.rows.clear();
        self.written.extend(written.iter().map(|row| (row.id(), matches!(row, record::Written::Created(_)))));
        for (entry, patient_id, rows) in std::mem::take(&mut self.entries) {
            let location = format!("Observation/{}", rows.first().map_or(0, |(row, _)| self.id(*row)));
            let created = rows
                .iter()
                .any(|(row, own)| *own && matches!(row, ObservationRow::Written(index) if self.written[*index].1));
            if created {
                touch(&mut applied.patients, touched, patient_id);
                applied.locations.push((entry, location));
            } else {
                applied.existing.push((entry, location));
            }
        }
        Ok(())
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
    by: &Actor,
    physician: bool,
    now: Timestamp,
) -> Result<ImportOutcome, Error> {
    import_text_reporting(store, mrn_system, text, by, physician, now, &|_| {}).await
}

/// [`import_text`], telling `progress` how far it has come.
#[allow(clippy::too_many_arguments)]
pub async fn import_text_reporting(
    store: &Store,
    mrn_system: &str,
    text: &str,
    by: &Actor,
    physician: bool,
    now: Timestamp,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportOutcome, Error> {
    let answer = import_text_answer(store, mrn_system, text.into(), by, physician, now, progress).await?;
    Ok(match answer {
        ImportAnswer::Outcome(outcome) => outcome,
        ImportAnswer::Collection { issues, refused } => {
            ImportOutcome { status: ImportStatus::Stored, body: import::operation_outcome_of(issues), refused }
        }
    })
}

/// What an import answers, before a stored collection's OperationOutcome is built: a large collection's
/// outcome has one issue per entry, which [`write_operation_outcome`] writes one at a time instead of as one
/// value.
#[derive(Debug)]
pub enum ImportAnswer {
    /// A Bundle refused or unreadable, or a transaction- or batch-response.
    Outcome(ImportOutcome),
    /// A stored collection ([`ImportStatus::Stored`]): the issues of its OperationOutcome, in order.
    Collection { issues: Vec<Issue>, refused: bool },
}

/// Entries read and stored at a time: the plan never holds more than this many entries' items (a bulk export's
/// 100,000 Observations are never planned at once).
const ENTRIES_PER_CHUNK: usize = 2_000;

/// A Bundle's text as an import is given it.
pub enum BundleText<'a> {
    /// Text held until the import is stored (a request's body, standard input).
    Held(Cow<'a, str>),
    /// A file's text, held only while the Bundle is first read (its reference index): the entries are then read
    /// again from the file a chunk at a time, so a bulk export's text is not held while it is stored. An entry
    /// that changed in the file since refuses the import (nothing is stored). The file is read with blocking
    /// reads of a chunk's span (about 1 MB, from the page cache): meant for the command line, not a server's
    /// request. Made by [`BundleText::of_file`], which holds the text of a file that cannot be read again.
    File { text: String, file: std::fs::File },
}

impl BundleText<'_> {
    /// A file's text read from `file`: read again later only when the file is a regular one. A pipe or a
    /// device (`/dev/stdin`, `<(...)`) cannot seek back, so its text is held.
    pub fn of_file(text: String, file: std::fs::File) -> BundleText<'static> {
        if file.metadata().is_ok_and(|metadata| metadata.is_file()) {
            BundleText::File { text, file }
        } else {
            BundleText::Held(Cow::Owned(text))
        }
    }
}

impl<'a> From<Cow<'a, str>> for BundleText<'a> {
    fn from(text: Cow<'a, str>) -> BundleText<'a> {
        BundleText::Held(text)
    }
}

impl From<String> for BundleText<'_> {
    fn from(text: String) -> Self {
        BundleText::Held(Cow::Owned(text))
    }
}

impl<'a> From<&'a str> for BundleText<'a> {
    fn from(text: &'a str) -> BundleText<'a> {
        BundleText::Held(Cow::Borrowed(text))
    }
}

/// A Bundle's file, read again a span at a time ([`BundleText::File`]).
struct FileSpans {
    file: std::fs::File,
    buffer: Vec<u8>,
}

impl Reread for FileSpans {
    fn span(&mut self, start: usize, end: usize) -> Result<Cow<'_, str>, String> {
        use std::io::{Read, Seek, SeekFrom};
        self.buffer.clear();
        self.buffer.resize(end.saturating_sub(start), 0);
        self.file.seek(SeekFrom::Start(start as u64)).map_err(|error| error.to_string())?;
        self.file.read_exact(&mut self.buffer).map_err(|error| error.to_string())?;
        std::str::from_utf8(&self.buffer).map(Cow::Borrowed).map_err(|_| "it is no longer UTF-8 text".to_string())
    }
}

/// [`import_text_reporting`], answering a stored collection with its issues instead of its OperationOutcome.
/// The Bundle is read and stored a chunk of entries at a time ([`ChunkedPlan`]: its Patients and
/// MedicationRequests first), in one database transaction; a `transaction` Bundle is read whole before anything
/// is stored (one refused entry refuses it). Text given owned is freed once stored; a file's text once its
/// index is read ([`BundleText::File`]).
#[allow(clippy::too_many_arguments)]
pub async fn import_text_answer(
    store: &Store,
    mrn_system: &str,
    text: BundleText<'_>,
    by: &Actor,
    physician: bool,
    now: Timestamp,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportAnswer, Error> {
    let latest = now + jiff::SignedDuration::from_mins(5);
    let options = ImportOptions { mrn_system: mrn_system.to_string() };
    match text {
        BundleText::Held(text) => {
            let read = BundleEntries::read(&text, latest, &options);
            let read = read.and_then(|bundle| ChunkedPlan::new(bundle, text));
            store_chunks(store, read, by, physician, now, progress).await
        }
        BundleText::File { text, file } => {
            let read = BundleEntries::read_to_reread(&text, latest, &options);
            drop(text);
            let read = read.and_then(|bundle| ChunkedPlan::new(bundle, FileSpans { file, buffer: Vec::new() }));
            store_chunks(store, read, by, physician, now, progress).await
        }
    }
}

/// Stores a Bundle read as far as its Patients and MedicationRequests (`read`), a chunk at a time.
async fn store_chunks<R: Reread + Send>(
    store: &Store,
    read: Result<(ChunkedPlan<R>, Vec<Planned>), Value>,
    by: &Actor,
    physician: bool,
    now: Timestamp,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportAnswer, Error> {
    let outcome = |status, body, refused| Ok(ImportAnswer::Outcome(ImportOutcome { status, body, refused }));
    let (mut plan, heads) = match read {
        Ok(read) => read,
        Err(body) => return outcome(ImportStatus::Unreadable, body, true),
    };
    // A transaction is read whole first: nothing is stored when one entry is refused.
    let mut chunks = Vec::new();
    if plan.kind() == BundleKind::Transaction
        && let Err(body) = read_all(&mut plan, &mut chunks)
    {
        return outcome(ImportStatus::Unreadable, body, true);
    }
    progress(ImportProgress::Checked { items: plan.entries() });
    if !physician && heads.iter().any(|planned| matches!(planned.item, Item::Course(_))) {
        return Err(Error::Forbidden("only a physician starts a course (MedicationRequest)".into()));
    }
    if plan.kind() == BundleKind::Transaction && plan.has_errors() {
        return outcome(ImportStatus::Refused, import::operation_outcome(&plan.issues()), true);
    }
    let mut connection = store.bulk_connection().await?;
    let mut tx = store.begin_on(&mut connection).await?;
    let mut storing = Storing::new(by, now.as_millisecond(), progress);
    // Each chunk is read while the one before it is stored (the first while the Patients and MedicationRequests
    // are): the entries are parsed on this thread while the database works on its own. A transaction's chunks
    // were all read before.
    let (stored, mut next) = both(storing.store(&mut tx, &heads), read_chunk(&mut plan)).await;
    stored?;
    skipped(progress, plan.referred_to(), heads.len());
    drop(heads);
    for (items, entries) in chunks {
        storing.store(&mut tx, &items).await?;
        skipped(progress, entries, items.len());
    }
    loop {
        let (items, entries) = match next {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(body) => {
                tx.rollback().await?;
                return outcome(ImportStatus::Unreadable, body, true);
            }
        };
        let (stored, read) = both(storing.store(&mut tx, &items), read_chunk(&mut plan)).await;
        stored?;
        skipped(progress, entries, items.len());
        next = read;
    }
    let applied = storing.finish(&mut tx).await?;
    let kind = plan.kind();
    let entries = plan.entries();
    let mut issues = plan.issues();
    // Everything is stored: the Bundle's text (held by the plan) is not needed for the answer, and it is the
    // largest thing held.
    drop(plan);
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
        return outcome(ImportStatus::Refused, import::operation_outcome(&issues), true);
    }
    if kind != BundleKind::Collection {
        let kind = if kind == BundleKind::Batch { "batch-response" } else { "transaction-response" };
        return outcome(ImportStatus::Stored, response_bundle(kind, entries, &applied, &issues), refused);
    }
    let Applied { locations, existing, .. } = applied;
    issues.reserve(locations.len() + existing.len());
    for (entry, location) in locations {
        issues.push(informational(entry, format!("stored as {location}")));
    }
    for (entry, location) in existing {
        issues.push(informational(entry, format!("already in the record as {location}; nothing changed")));
    }
    Ok(ImportAnswer::Collection { issues, refused })
}

/// Entries read between two turns of the chunk being stored ([`read_chunk`]).
const ENTRIES_PER_TURN: usize = 50;

/// The items of the next [`ENTRIES_PER_CHUNK`] entries ([`ChunkedPlan::next_chunk`]), read [`ENTRIES_PER_TURN`]
/// at a time, giving the chunk being stored a turn in between (it waits for the database most of the time).
async fn read_chunk<R: Reread>(plan: &mut ChunkedPlan<R>) -> Result<Option<(Vec<Planned>, usize)>, Value> {
    let mut chunk: Option<(Vec<Planned>, usize)> = None;
    let mut left = ENTRIES_PER_CHUNK;
    while left > 0 {
        let Some((items, entries)) = plan.next_chunk(ENTRIES_PER_TURN.min(left))? else { break };
        let (all, read) = chunk.get_or_insert_with(|| (Vec::with_capacity(ENTRIES_PER_CHUNK), 0));
        all.extend(items);
        *read += entries;
        left = left.saturating_sub(ENTRIES_PER_TURN);
        Turn(false).await;
    }
    Ok(chunk)
}

/// Runs two futures on this task, each polled whenever the task wakes, until both are done (`join`, without
/// an async runtime in this crate).
async fn both<A: Future, B: Future>(first: A, second: B) -> (A::Output, B::Output) {
    let (mut first, mut second) = (std::pin::pin!(first), std::pin::pin!(second));
    let (mut a, mut b) = (None, None);
    std::future::poll_fn(|context| {
        if a.is_none()
            && let std::task::Poll::Ready(output) = first.as_mut().poll(context)
        {
            a = Some(output);
        }
        if b.is_none()
            && let std::task::Poll::Ready(output) = second.as_mut().poll(context)
        {
            b = Some(output);
        }
        match (a.take(), b.take()) {
            (Some(a), Some(b)) => std::task::Poll::Ready((a, b)),
            (left, right) => {
                (a, b) = (left, right);
                std::task::Poll::Pending
            }
        }
    })
    .await
}

/// Gives the other futures of this task a turn: pending once, waking the task at once.
struct Turn(bool);

impl Future for Turn {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, context: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        context.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// Reads every chunk of a plan (a transaction's) before anything is stored; `Err` when an entry is unreadable.
fn read_all<R: Reread>(plan: &mut ChunkedPlan<R>, chunks: &mut Vec<(Vec<Planned>, usize)>) -> Result<(), Value> {
    while let Some(chunk) = plan.next_chunk(ENTRIES_PER_CHUNK)? {
        chunks.push(chunk);
    }
    Ok(())
}

/// Moves the progress on past the entries of a chunk that became no item (skipped or refused).
fn skipped(progress: &(dyn Fn(ImportProgress) + Sync), entries: usize, items: usize) {
    for _ in items..entries {
        progress(ImportProgress::Storing);
    }
}

/// Writes the OperationOutcome of `issues` as [`import::operation_outcome_of`] builds it, pretty-printed (the
/// same text as `serde_json::to_writer_pretty` of that value), holding one issue's value at a time.
pub fn write_operation_outcome(issues: Vec<Issue>, out: impl std::io::Write) -> serde_json::Result<()> {
    use serde::ser::{SerializeMap, SerializeSeq};

    struct Issues(std::cell::RefCell<Option<Vec<Issue>>>);
    impl serde::Serialize for Issues {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let issues = self.0.borrow_mut().take().unwrap_or_default();
            let mut list = serializer.serialize_seq(Some(issues.len()))?;
            for issue in &issues {
                list.serialize_element(&OneIssue(issue))?;
            }
            list.end()
        }
    }
    /// An issue as the whole outcome holds it: members in the order serde_json's map prints them, empty ones
    /// pruned ([`import::operation_outcome_of`]), without building a value per issue.
    struct OneIssue<'i>(&'i Issue);
    impl serde::Serialize for OneIssue<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let Issue { severity, code, diagnostics, expression } = self.0;
            let mut map = serializer.serialize_map(None)?;
            if !code.is_empty() {
                map.serialize_entry("code", code)?;
            }
            if !diagnostics.is_empty() {
                map.serialize_entry("diagnostics", diagnostics)?;
            }
            if !expression.is_empty() {
                map.serialize_entry("expression", &[expression])?;
            }
            if !severity.is_empty() {
                map.serialize_entry("severity", severity)?;
            }
            map.end()
        }
    }
    struct Outcome(Issues);
    impl serde::Serialize for Outcome {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            // Members in the order a built outcome prints them (serde_json's map order).
            let shape = import::operation_outcome(&[]);
            let keys: Vec<&String> = shape.as_object().map(|map| map.keys().collect()).unwrap_or_default();
            let mut map = serializer.serialize_map(Some(keys.len()))?;
            for key in keys {
                if key == "issue" {
                    map.serialize_entry(key, &self.0)?;
                } else {
                    map.serialize_entry(key, &shape[key])?;
                }
            }
            map.end()
        }
    }
    if issues.is_empty() {
        return serde_json::to_writer_pretty(out, &import::operation_outcome(&[]));
    }
    serde_json::to_writer_pretty(out, &Outcome(Issues(std::cell::RefCell::new(Some(issues)))))
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
    by: &Actor,
    mismatches: &[(i64, String)],
    now: Timestamp,
) -> Result<(), Error> {
    if mismatches.is_empty() {
        return Ok(());
    }
    let mut conn = store.connection().await?;
    for (patient_id, fields) in mismatches {
        let resource = format!("patient/{patient_id}/fhir-import/mismatch/{fields}");
        audit::append(
            &mut conn,
            &by.import_entry(now.as_millisecond(), "match", &resource, Some(*patient_id), "refused"),
        )
        .await?;
    }
    Ok(())
}

/// A stored patient as the FHIR export writes it (the export, `$everything` and `GET /fhir/Patient/{id}`).
pub(crate) fn patient_entry(patient: record::Patient) -> export::PatientEntry {
    export::PatientEntry {
        id: patient.id,
        mrn: patient.mrn,
        name: patient.display_name,
        date_of_birth: patient.date_of_birth,
        sex: patient.sex,
        time_zone: patient.time_zone,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests: a failure is a failed test.

    use il2care_wire::fhir::import::{self, Issue};

    use super::{KeyNames, observation_key, write_operation_outcome};

    /// The compact natural key matches exactly when the old key of texts did: the same code, unit, times and
    /// value, a decimal value compared after normalizing (`5.0` is `5`), a value that is not a number as text.
    #[test]
    fn natural_keys_match_as_the_texts_of_their_parts_do() {
        let mut names = KeyNames::default();
        let mut key = |code: &str, at_ms, start_ms, value: &str, unit: &str| {
            observation_key(&mut names, code, at_ms, start_ms, value, unit)
        };
        let base = key("heart_rate", 10, None, "5.0", "/min");
        assert_eq!(base, key("heart_rate", 10, None, "5", "/min"));
        assert_eq!(base, key("heart_rate", 10, None, "5.000", "/min"));
        assert_ne!(base, key("heart_rate", 10, None, "5.01", "/min"));
        assert_ne!(base, key("heart_rate", 10, None, "50", "/min"));
        assert_ne!(base, key("temperature", 10, None, "5", "/min"));
        assert_ne!(base, key("heart_rate", 10, None, "5", "/s"));
        assert_ne!(base, key("heart_rate", 11, None, "5", "/min"));
        assert_ne!(base, key("heart_rate", 10, Some(10), "5", "/min"));
        assert_eq!(key("heart_rate", 10, None, "-0", "/min"), key("heart_rate", 10, None, "0.0", "/min"));
        let text = key("note", 10, None, "five", "");
        assert_eq!(text, key("note", 10, None, "five", ""));
        assert_ne!(text, key("note", 10, None, "Five", ""));
        assert_ne!(key("note", 10, None, "5", ""), key("note", 10, None, "5 ", ""));
        // A code and a unit spelled alike are still different parts of the key.
        assert_ne!(key("a", 10, None, "1", "b"), key("b", 10, None, "1", "a"));
    }

    fn written(issues: Vec<Issue>) -> String {
        let mut out = Vec::new();
        write_operation_outcome(issues, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_outcome_written_one_issue_at_a_time_is_the_text_of_the_built_outcome() {
        let issue = |severity, code, diagnostics: &str, expression: &str| Issue {
            severity,
            code,
            diagnostics: diagnostics.into(),
            expression: expression.into(),
        };
        let lists = [
            vec![],
            vec![issue("information", "informational", "stored as Observation/1", "Bundle.entry[0].resource")],
            vec![
                issue("error", "value", "heart_rate: \"quoted\" \u{e9}", "Bundle.entry[1].resource.valueQuantity"),
                issue("warning", "not-supported", "", "Bundle.entry[2].resource"),
                issue("information", "informational", "already in the record", ""),
            ],
        ];
        for issues in lists {
            let built = serde_json::to_string_pretty(&import::operation_outcome_of(issues.clone())).unwrap();
            assert_eq!(written(issues), built);
        }
    }
}
