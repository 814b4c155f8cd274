//! FHIR R4 export: a patient's record (given as a [`PatientRecord`] snapshot the caller read from the store)
//! rendered as a Bundle of Patient, Observation, MedicationRequest (one per course), MedicationAdministration
//! (one per dose given or held, and one per low-dose injection logged, given or skipped), QuestionnaireResponse
//! (check-ins), Flag (lasting flags), DetectedIssue (decisions that hold or stop) and AuditEvent resources.
//!
//! Small hand-written `serde_json` builders, no FHIR model crate. Every resource passes through [`prune`], so
//! none carries a JSON null, an empty array, an empty object or an empty string (FHIR forbids them). No IO and
//! no clock here: the caller passes the snapshot and the bundle's timestamp.

use serde_json::{Map, Value, json};

use super::codes;
use il2care_core::assessment::inputs::ObservationCode;

/// The patient as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientEntry {
    pub id: i64,
    pub mrn: String,
    pub name: String,
    pub date_of_birth: String,
    /// `female`, `male` or `unknown` (FHIR's administrative gender codes).
    pub sex: String,
    pub time_zone: String,
}

/// A course of treatment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseEntry {
    pub id: i64,
    pub regimen: String,
    pub rule_set: String,
    pub started_at_ms: i64,
    /// Decimal text in kg.
    pub baseline_weight_kg: Option<String>,
    /// Decimal text in mg/dL.
    pub baseline_creatinine_mg_dl: Option<String>,
}

/// An observation: its accepted il2care JSON document.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservationEntry {
    pub id: i64,
    pub client_id: Option<String>,
    pub document: Value,
}

/// A dose given or held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseEntry {
    pub id: i64,
    pub course_id: i64,
    /// `given` or `held`.
    pub status: String,
    pub at_ms: i64,
    pub override_reason: Option<String>,
    /// The decision the dose followed, when one was named.
    pub decision: Option<String>,
    /// The override's reason code (ASSESSMENT §10.6), when the dose went against its decision.
    pub reason_code: Option<String>,
    /// The physician who co-signed the override, when one did.
    pub cosigned_by: Option<String>,
}

impl DoseEntry {
    /// Whether the dose was given against a decision other than `give` (an override).
    pub fn is_override(&self) -> bool {
        self.status == "given" && self.decision.as_deref().is_some_and(|decision| decision != "give")
    }
}

/// A check-in: its accepted document and its triage level.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInEntry {
    pub id: i64,
    pub at_ms: i64,
    pub document: Value,
    pub level: String,
}

/// A stored per-dose decision with its result JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionEntry {
    pub id: i64,
    pub course_id: Option<i64>,
    pub at_ms: i64,
    pub decision: String,
    pub result: Value,
}

/// A low-dose injection from the injection log (the standing entry of its slot): `given` or `skipped`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectionEntry {
    pub id: i64,
    pub course_id: i64,
    pub status: String,
    pub slot_number: Option<i64>,
    pub dose_level: Option<String>,
    pub at_ms: i64,
    pub site: Option<String>,
    pub skip_reason: Option<String>,
    pub note: Option<String>,
}

/// A lasting flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagEntry {
    pub id: i64,
    pub code: String,
    pub at_ms: i64,
}

/// An audit entry about the patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub resource: String,
    pub outcome: String,
    pub remote: String,
}

/// Everything exported about one patient. Superseded rows (corrected observations and dose events) are left
/// out by the caller; the record keeps them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PatientRecord {
    pub patient: Option<PatientEntry>,
    pub courses: Vec<CourseEntry>,
    pub observations: Vec<ObservationEntry>,
    pub doses: Vec<DoseEntry>,
    pub injections: Vec<InjectionEntry>,
    pub checkins: Vec<CheckInEntry>,
    pub decisions: Vec<DecisionEntry>,
    pub flags: Vec<FlagEntry>,
    pub audit: Vec<AuditEntry>,
}

/// The Bundle types il2care writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleType {
    /// A file export (`il2care export`).
    Collection,
    /// The answer of `$everything`.
    Searchset,
}

/// Decisions that hold or stop a dose, exported as DetectedIssue.
pub const DETECTED_ISSUE_DECISIONS: [&str; 4] =
    ["hold", "not_permitted", "discontinue_course", "discontinue_permanently"];

/// Removes nulls, empty strings, empty arrays and empty objects, recursively (FHIR forbids all four).
pub fn prune(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let kept: Map<String, Value> =
                map.into_iter().map(|(key, value)| (key, prune(value))).filter(|(_, value)| !is_empty(value)).collect();
            Value::Object(kept)
        }
        Value::Array(list) => Value::Array(list.into_iter().map(prune).filter(|value| !is_empty(value)).collect()),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(list) => list.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Epoch milliseconds as a FHIR instant (RFC 3339, UTC).
pub fn instant(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| "1970-01-01T00:00:00Z".to_string(), |at| at.to_string())
}

fn patient_reference(record: &PatientRecord) -> Value {
    json!({"reference": format!("Patient/{}", record.patient.as_ref().map_or(0, |patient| patient.id))})
}

/// The aldesleukin concept, with every code il2care knows for it.
pub fn aldesleukin() -> Value {
    let coding: Vec<Value> = codes::ALDESLEUKIN_CODINGS
        .iter()
        .map(|(system, code)| json!({"system": system, "code": code, "display": codes::ALDESLEUKIN_DISPLAY}))
        .collect();
    json!({"coding": coding, "text": "aldesleukin (Proleukin 22,000,000 IU single-dose vial)"})
}

/// A UCUM quantity from an il2care quantity `{"value", "unit"}`.
pub fn ucum_quantity(quantity: &Value) -> Value {
    json!({"value": quantity["value"], "unit": quantity["unit"], "system": codes::UCUM, "code": quantity["unit"]})
}

fn stored_quantity(text: Option<&str>, unit: &str) -> Value {
    match text.and_then(|text| serde_json::from_str::<Value>(text).ok()).filter(Value::is_number) {
        Some(value) => json!({"value": value, "unit": unit, "system": codes::UCUM, "code": unit}),
        None => Value::Null,
    }
}

/// The Patient resource.
pub fn patient_resource(patient: &PatientEntry) -> Value {
    json!({
        "resourceType": "Patient",
        "id": patient.id.to_string(),
        "identifier": [{"system": codes::IL2CARE_MRN, "value": patient.mrn}],
        "name": [{"text": patient.name}],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth,
        "extension": [{"url": codes::EXTENSION_TIME_ZONE, "valueString": patient.time_zone}],
    })
}

/// One Observation from an il2care observation document (`None` for a document il2care cannot read back).
pub fn observation_resource(observation: &ObservationEntry, subject: &Value) -> Option<Value> {
    let document = &observation.document;
    let code = ObservationCode::from_id(document["code"].as_str()?)?;
    let mut coding = Vec::new();
    if let Some(loinc) = code.loinc() {
        coding.push(json!({"system": codes::LOINC, "code": loinc, "display": codes::display(code)}));
    }
    coding.push(json!({"system": codes::IL2CARE_OBSERVATION, "code": code.id()}));
    let category = codes::category(code);
    let mut resource = json!({
        "resourceType": "Observation",
        "id": observation.id.to_string(),
        "identifier": observation.client_id.as_ref().map(|id| json!([{"system": codes::IL2CARE_CLIENT_ID, "value": id}])),
        "status": "final",
        "category": [{"coding": [{"system": codes::OBSERVATION_CATEGORY, "code": category}]}],
        "code": {"coding": coding, "text": codes::display(code)},
        "subject": subject,
        "valueQuantity": ucum_quantity(&document["value"]),
    });
    if code.is_interval() {
        resource["effectivePeriod"] = json!({"start": document["start"], "end": document["end"]});
    } else {
        // A date-only time (imported as a date) goes back out as the same date.
        resource["effectiveDateTime"] = match document.get("at_date") {
            Some(date) => date.clone(),
            None => document["at"].clone(),
        };
    }
    if let Some(range) = document.get("reference_range") {
        resource["referenceRange"] =
            json!([{"low": ucum_quantity(&range["low"]), "high": ucum_quantity(&range["high"])}]);
    }
    if let Some(context) = document.get("context").and_then(Value::as_str) {
        resource["note"] = json!([{"text": format!("measured at {context}")}]);
    }
    Some(resource)
}

/// The Observations of a record: a systolic and a diastolic pressure taken at the same instant (neither with
/// a client identifier, whose key is per observation) become one blood-pressure panel (LOINC 85354-9, id
/// `bp-<systolic id>-<diastolic id>`) with the two as components, as FHIR's vital-signs profile writes them;
/// every other observation is its own Observation.
pub fn observation_resources(observations: &[ObservationEntry], subject: &Value) -> Vec<Value> {
    let time =
        |entry: &ObservationEntry| entry.document["at"].as_str().and_then(|at| at.parse::<jiff::Timestamp>().ok());
    let pressure = |entry: &ObservationEntry, code: &str| entry.client_id.is_none() && entry.document["code"] == code;
    let mut paired: Vec<i64> = Vec::new();
    let mut list = Vec::new();
    for entry in observations {
        if paired.contains(&entry.id) {
            continue;
        }
        if pressure(entry, "systolic_bp") {
            let partner = observations.iter().find(|other| {
                pressure(other, "diastolic_bp")
                    && !paired.contains(&other.id)
                    && time(other).is_some()
                    && time(other) == time(entry)
            });
            if let Some(diastolic) = partner {
                paired.push(diastolic.id);
                list.push(blood_pressure_panel(entry, diastolic, subject));
                continue;
            }
        }
        list.extend(observation_resource(entry, subject));
    }
    list
}

fn blood_pressure_panel(systolic: &ObservationEntry, diastolic: &ObservationEntry, subject: &Value) -> Value {
    let component = |entry: &ObservationEntry, code: ObservationCode| {
        json!({
            "code": {"coding": [{"system": codes::LOINC, "code": code.loinc(), "display": codes::display(code)},
                                {"system": codes::IL2CARE_OBSERVATION, "code": code.id()}],
                     "text": codes::display(code)},
            "valueQuantity": ucum_quantity(&entry.document["value"]),
        })
    };
    json!({
        "resourceType": "Observation",
        "id": format!("bp-{}-{}", systolic.id, diastolic.id),
        "status": "final",
        "category": [{"coding": [{"system": codes::OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": codes::LOINC, "code": codes::LOINC_BLOOD_PRESSURE_PANEL,
                             "display": "Blood pressure panel with all children optional"}],
                 "text": "Blood pressure"},
        "subject": subject,
        "effectiveDateTime": systolic.document["at"],
        "component": [component(systolic, ObservationCode::SystolicBp), component(diastolic, ObservationCode::DiastolicBp)],
    })
}

/// The MedicationRequest that stands for a course (the aldesleukin order of the regimen).
pub fn course_resource(course: &CourseEntry, subject: &Value) -> Value {
    // An extension without a value is invalid FHIR, so a missing baseline leaves its extension out.
    let mut extensions = vec![
        json!({"url": codes::EXTENSION_REGIMEN, "valueString": course.regimen}),
        json!({"url": codes::EXTENSION_RULE_SET, "valueString": course.rule_set}),
    ];
    let baselines = [
        (codes::EXTENSION_BASELINE_WEIGHT, course.baseline_weight_kg.as_deref(), "kg"),
        (codes::EXTENSION_BASELINE_CREATININE, course.baseline_creatinine_mg_dl.as_deref(), "mg/dL"),
    ];
    for (url, text, unit) in baselines {
        let quantity = stored_quantity(text, unit);
        if !quantity.is_null() {
            extensions.push(json!({"url": url, "valueQuantity": quantity}));
        }
    }
    json!({
        "resourceType": "MedicationRequest",
        "id": course.id.to_string(),
        "identifier": [{"system": codes::IL2CARE_COURSE, "value": course.id.to_string()}],
        "extension": extensions,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": aldesleukin(),
        "subject": subject,
        "authoredOn": instant(course.started_at_ms),
        "dosageInstruction": course_dosage_instruction(course),
    })
}

/// The MedicationAdministration of a dose given (`completed`) or held (`not-done`, with its reason). A dose
/// given against a decision other than `give` carries the override extension (the decision it overrode, the
/// reason code, the reason in words, the co-signer) and a `reasonCode` that says the same in words. A given
/// dose of a course with a known regimen and weight carries its structured dosage.
pub fn dose_resource(dose: &DoseEntry, subject: &Value) -> Value {
    dose_resource_of(dose, None, subject)
}

/// [`dose_resource`] with the dose's course, for the structured dosage.
pub fn dose_resource_of(dose: &DoseEntry, course: Option<&CourseEntry>, subject: &Value) -> Value {
    let held = dose.status == "held";
    let reason = match (&dose.decision, held) {
        (Some(decision), true) => json!([{"text": format!("Dose held; the decision was {decision}")}]),
        (None, true) => json!([{"text": "Dose held"}]),
        (_, false) => Value::Null,
    };
    let (extension, reason_code) = if dose.is_override() {
        let decision = dose.decision.as_deref().unwrap_or_default();
        let mut parts = vec![json!({"url": "decision", "valueCode": decision})];
        if let Some(code) = &dose.reason_code {
            parts.push(
                json!({"url": "reasonCode", "valueCoding": {"system": codes::IL2CARE_OVERRIDE_REASON, "code": code}}),
            );
        }
        if let Some(words) = &dose.override_reason {
            parts.push(json!({"url": "reason", "valueString": words}));
        }
        if let Some(cosigner) = &dose.cosigned_by {
            parts.push(json!({"url": "cosignedBy", "valueString": cosigner}));
        }
        let text = format!(
            "Override: given against the decision {}{}",
            decision.replace('_', " "),
            dose.reason_code.as_ref().map(|code| format!(" ({})", code.replace('_', " "))).unwrap_or_default()
        );
        let coding =
            dose.reason_code.as_ref().map(|code| json!([{"system": codes::IL2CARE_OVERRIDE_REASON, "code": code}]));
        (json!([{"url": codes::EXTENSION_OVERRIDE, "extension": parts}]), json!([{"coding": coding, "text": text}]))
    } else {
        (Value::Null, Value::Null)
    };
    let dosage = if held { Value::Null } else { course.map_or(Value::Null, infusion_dosage) };
    json!({
        "resourceType": "MedicationAdministration",
        "id": dose.id.to_string(),
        "extension": extension,
        "status": if held { "not-done" } else { "completed" },
        "statusReason": reason,
        "medicationCodeableConcept": aldesleukin(),
        "subject": subject,
        "effectiveDateTime": instant(dose.at_ms),
        "reasonCode": reason_code,
        "request": {"reference": format!("MedicationRequest/{}", dose.course_id)},
        "note": dose.override_reason.as_ref().map(|reason| json!([{"text": reason}])),
        "dosage": dosage,
    })
}

/// The dose of a course's regimen at its first level for the course's baseline weight (DOSING), `None` when the
/// regimen is unknown, is not per kg with a weight given, or the weight is outside the dosing limits.
fn course_dose(course: &CourseEntry) -> Option<il2care_core::dosing::DoseCalculation> {
    use il2care_core::units::{Kilograms, Measure};
    let regimen = il2care_core::regimens::regimen(&course.regimen)?;
    let weight = course
        .baseline_weight_kg
        .as_deref()
        .and_then(|text| text.parse::<rust_decimal::Decimal>().ok())
        .and_then(|kg| Kilograms::new(kg).ok());
    il2care_core::dosing::calculate(il2care_core::dosing::DoseRequest {
        regimen,
        level: None,
        weight,
        height: None,
        prepared_at: None,
    })
    .ok()
}

fn route_concept(route: il2care_core::regimens::Route) -> Value {
    let (code, display) = match route {
        il2care_core::regimens::Route::IntravenousInfusion => (codes::SNOMED_INTRAVENOUS, "Intravenous route"),
        il2care_core::regimens::Route::Subcutaneous => (codes::SNOMED_SUBCUTANEOUS, "Subcutaneous route"),
    };
    json!({"coding": [{"system": codes::SNOMED_CT, "code": code, "display": display}], "text": display})
}

fn iu_quantity(value: rust_decimal::Decimal) -> Value {
    let value: Value = serde_json::from_str(&value.normalize().to_string()).unwrap_or(Value::Null);
    json!({"value": value, "unit": "[iU]", "system": codes::UCUM, "code": "[iU]"})
}

/// The infusion minutes of a high-dose IV dose \[LABEL-2024 §2.2\].
pub const INFUSION_MINUTES: i64 = 15;

/// A MedicationAdministration's dosage: the dose in IU (UCUM `[iU]`), the route, and for an IV dose the rate
/// (the bag's final volume over 15 minutes, mL/h).
fn infusion_dosage(course: &CourseEntry) -> Value {
    let Some(calculation) = course_dose(course) else {
        return Value::Null;
    };
    let rate = calculation.dilution.map(|dilution| {
        let per_hour = dilution.final_volume.value() * rust_decimal::Decimal::from(60)
            / rust_decimal::Decimal::from(INFUSION_MINUTES);
        let value: Value = serde_json::from_str(&per_hour.round_dp(1).normalize().to_string()).unwrap_or(Value::Null);
        json!({"value": value, "unit": "mL/h", "system": codes::UCUM, "code": "mL/h"})
    });
    json!({
        "text": format!("aldesleukin {} [iU], regimen {}", calculation.dose.value().normalize(), course.regimen),
        "route": route_concept(calculation.regimen.route),
        "dose": iu_quantity(calculation.dose.value()),
        "rateQuantity": rate,
    })
}

/// A MedicationRequest's dosage instruction: the dose in IU, the route, and for an IV regimen the infusion's
/// duration (15 minutes).
fn course_dosage_instruction(course: &CourseEntry) -> Value {
    let text = format!("aldesleukin, il2care regimen {}", course.regimen);
    let Some(calculation) = course_dose(course) else {
        return json!([{"text": text}]);
    };
    let iv = calculation.regimen.route == il2care_core::regimens::Route::IntravenousInfusion;
    let timing = iv.then(|| json!({"repeat": {"duration": INFUSION_MINUTES, "durationUnit": "min"}}));
    json!([{
        "text": text,
        "timing": timing,
        "route": route_concept(calculation.regimen.route),
        "doseAndRate": [{"doseQuantity": iu_quantity(calculation.dose.value())}],
    }])
}

/// The MedicationAdministration of a logged low-dose injection: `completed`, or `not-done` with the reason
/// for a skipped shot; category `community` (given at home), subcutaneous, with its site, planned shot and dose
/// level (extensions, so an import reads them back). Its id and identifier (`urn:il2care:injection`) keep it
/// apart from the high-dose infusions.
pub fn injection_resource(injection: &InjectionEntry, subject: &Value) -> Value {
    let skipped = injection.status == "skipped";
    // Only a reason that was given: an import reads it back as the entry's skip reason.
    let reason = injection.skip_reason.as_ref().filter(|_| skipped).map(|why| json!([{"text": why}]));
    let mut extensions = Vec::new();
    extensions.extend(
        injection.slot_number.map(|slot| json!({"url": codes::EXTENSION_INJECTION_SLOT, "valueInteger": slot})),
    );
    extensions.extend(
        injection.dose_level.as_ref().map(|level| json!({"url": codes::EXTENSION_DOSE_LEVEL, "valueString": level})),
    );
    let mut words = vec!["aldesleukin under the skin".to_string()];
    words.extend(injection.dose_level.as_ref().map(|level| format!("dose level {level}")));
    words.extend(injection.slot_number.map(|slot| format!("planned shot {slot}")));
    json!({
        "resourceType": "MedicationAdministration",
        "id": format!("injection-{}", injection.id),
        "extension": extensions,
        "identifier": [{"system": codes::IL2CARE_INJECTION, "value": injection.id.to_string()}],
        "status": if skipped { "not-done" } else { "completed" },
        "statusReason": reason,
        "category": {"coding": [{"system": codes::MEDICATION_ADMIN_CATEGORY, "code": "community",
                                 "display": "Community"}]},
        "medicationCodeableConcept": aldesleukin(),
        "subject": subject,
        "effectiveDateTime": instant(injection.at_ms),
        "request": {"reference": format!("MedicationRequest/{}", injection.course_id)},
        "note": injection.note.as_ref().map(|note| json!([{"text": note}])),
        "dosage": {
            "text": words.join(", "),
            "site": injection.site.as_ref().map(|site| json!({
                "coding": [{"system": codes::IL2CARE_INJECTION_SITE, "code": site}],
                "text": site.replace('_', " "),
            })),
            "route": {"coding": [{"system": codes::SNOMED_CT, "code": codes::SNOMED_SUBCUTANEOUS,
                                  "display": "Subcutaneous route"}]},
        },
    })
}

fn answer_value(value: &Value) -> Value {
    match value {
        Value::Bool(flag) => json!({"valueBoolean": flag}),
        Value::Number(number) if number.is_i64() || number.is_u64() => json!({"valueInteger": number}),
        Value::Number(number) => json!({"valueDecimal": number}),
        Value::String(text) => json!({"valueString": text}),
        Value::Object(quantity) if quantity.contains_key("unit") => json!({"valueQuantity": ucum_quantity(value)}),
        _ => Value::Null,
    }
}

/// The QuestionnaireResponse of a check-in: each answer as an item, and the triage level.
pub fn checkin_resource(checkin: &CheckInEntry, subject: &Value) -> Value {
    let mut items: Vec<Value> = checkin.document["answers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(id, value)| {
            let answer = answer_value(value);
            (!answer.is_null()).then(|| json!({"linkId": id, "answer": [answer]}))
        })
        .collect();
    items.push(json!({"linkId": "triage_level", "text": "il2care triage level",
                      "answer": [{"valueCoding": {"system": codes::IL2CARE_TRIAGE_LEVEL, "code": checkin.level}}]}));
    json!({
        "resourceType": "QuestionnaireResponse",
        "id": checkin.id.to_string(),
        "questionnaire": codes::CHECKIN_QUESTIONNAIRE,
        "status": "completed",
        "subject": subject,
        "authored": instant(checkin.at_ms),
        "item": items,
    })
}

/// The Flag of a lasting flag.
pub fn flag_resource(flag: &FlagEntry, subject: &Value) -> Value {
    let display = codes::flag_display(&flag.code).unwrap_or(flag.code.as_str());
    json!({
        "resourceType": "Flag",
        "id": flag.id.to_string(),
        "status": "active",
        "code": {"coding": [{"system": codes::IL2CARE_FLAG, "code": flag.code, "display": display}], "text": display},
        "subject": subject,
        "period": {"start": instant(flag.at_ms)},
    })
}

/// The DetectedIssue of a decision that holds or stops, with every rule that fired and its source.
pub fn decision_resource(decision: &DecisionEntry, subject: &Value) -> Value {
    let severity = if decision.decision == "hold" { "moderate" } else { "high" };
    let fired: Vec<String> = decision.result["fired"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            format!(
                "{} ({}, {})",
                rule["id"].as_str().unwrap_or("?"),
                rule["action"].as_str().unwrap_or("?"),
                rule["source"].as_str().unwrap_or("no source")
            )
        })
        .collect();
    let text = format!("il2care decision: {}", decision.decision.replace('_', " "));
    json!({
        "resourceType": "DetectedIssue",
        "id": decision.id.to_string(),
        "status": "final",
        "code": {"coding": [{"system": codes::IL2CARE_DECISION, "code": decision.decision}], "text": text},
        "severity": severity,
        "patient": subject,
        "identifiedDateTime": instant(decision.at_ms),
        "implicated": decision.course_id.map(|course| json!([{"reference": format!("MedicationRequest/{course}")}])),
        "detail": if fired.is_empty() { text.clone() } else { format!("{text}; rules fired: {}", fired.join("; ")) },
    })
}

/// The AuditEvent of an audit entry.
pub fn audit_resource(entry: &AuditEntry, subject: &Value) -> Value {
    let action = match entry.action.as_str() {
        "read" => "R",
        "write" => "C",
        _ => "E",
    };
    let outcome = if entry.outcome == "ok" { "0" } else { "4" };
    let network = (entry.remote != "unknown").then(|| json!({"address": entry.remote, "type": "2"}));
    json!({
        "resourceType": "AuditEvent",
        "id": entry.id.to_string(),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "action": action,
        "recorded": instant(entry.at_ms),
        "outcome": outcome,
        "outcomeDesc": format!("{} {}: {}", entry.action, entry.resource, entry.outcome),
        "agent": [{"who": {"display": entry.actor}, "role": [{"text": entry.actor_role}], "requestor": true,
                   "network": network}],
        "source": {"observer": {"display": "il2care"}},
        "entity": [{"what": subject, "description": entry.resource}],
    })
}

/// Every resource of the record, pruned, in a stable order: Patient first, then by type and time.
pub fn resources(record: &PatientRecord) -> Vec<Value> {
    let Some(patient) = &record.patient else {
        return Vec::new();
    };
    let subject = patient_reference(record);
    let mut list = vec![patient_resource(patient)];
    list.extend(observation_resources(&record.observations, &subject));
    list.extend(record.courses.iter().map(|course| course_resource(course, &subject)));
    list.extend(record.doses.iter().map(|dose| {
        let course = record.courses.iter().find(|course| course.id == dose.course_id);
        dose_resource_of(dose, course, &subject)
    }));
    list.extend(record.injections.iter().map(|injection| injection_resource(injection, &subject)));
    list.extend(record.checkins.iter().map(|checkin| checkin_resource(checkin, &subject)));
    let mut seen_flags: Vec<&str> = Vec::new();
    for flag in &record.flags {
        if !seen_flags.contains(&flag.code.as_str()) {
            seen_flags.push(&flag.code);
            list.push(flag_resource(flag, &subject));
        }
    }
    list.extend(
        record
            .decisions
            .iter()
            .filter(|decision| DETECTED_ISSUE_DECISIONS.contains(&decision.decision.as_str()))
            .map(|decision| decision_resource(decision, &subject)),
    );
    list.extend(record.audit.iter().map(|entry| audit_resource(entry, &subject)));
    list.into_iter().map(prune).collect()
}

/// The record as a Bundle; `base` is the FHIR base URL the entries' `fullUrl`s are built on.
pub fn bundle(record: &PatientRecord, bundle_type: BundleType, base: &str, timestamp_ms: i64) -> Value {
    bundle_of(resources(record), bundle_type, base, timestamp_ms)
}

/// A Bundle of resources already built (a search's matches, for example).
pub fn bundle_of(resources: Vec<Value>, bundle_type: BundleType, base: &str, timestamp_ms: i64) -> Value {
    let base = base.trim_end_matches('/');
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|resource| {
            let full_url = format!(
                "{base}/{}/{}",
                resource["resourceType"].as_str().unwrap_or("Resource"),
                resource["id"].as_str().unwrap_or("0")
            );
            let search = match bundle_type {
                BundleType::Searchset => json!({"mode": "match"}),
                BundleType::Collection => Value::Null,
            };
            prune(json!({"fullUrl": full_url, "resource": resource, "search": search}))
        })
        .collect();
    let mut bundle = json!({"resourceType": "Bundle", "timestamp": instant(timestamp_ms)});
    match bundle_type {
        BundleType::Collection => bundle["type"] = json!("collection"),
        BundleType::Searchset => {
            bundle["type"] = json!("searchset");
            bundle["total"] = json!(entries.len());
        }
    }
    bundle["entry"] = Value::Array(entries);
    prune(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> PatientRecord {
        PatientRecord {
            patient: Some(PatientEntry {
                id: 7,
                mrn: "A-1".into(),
                name: "Ada Example".into(),
                date_of_birth: "1970-01-01".into(),
                sex: "female".into(),
                time_zone: "America/New_York".into(),
            }),
            courses: vec![CourseEntry {
                id: 3,
                regimen: "hd-iv".into(),
                rule_set: "label".into(),
                started_at_ms: 1_764_000_000_000,
                baseline_weight_kg: Some("80".into()),
                baseline_creatinine_mg_dl: None,
            }],
            observations: vec![
                ObservationEntry {
                    id: 1,
                    client_id: None,
                    document: json!({"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"}),
                },
                ObservationEntry {
                    id: 2,
                    client_id: Some("bedside-9".into()),
                    document: json!({"code": "urine_output", "value": {"value": 60, "unit": "mL"},
                                     "start": "2026-11-27T08:00:00Z", "end": "2026-11-27T16:00:00Z"}),
                },
            ],
            doses: vec![
                DoseEntry {
                    id: 4,
                    course_id: 3,
                    status: "given".into(),
                    at_ms: 1_764_000_000_000,
                    override_reason: None,
                    decision: Some("give".into()),
                    reason_code: None,
                    cosigned_by: None,
                },
                DoseEntry {
                    id: 5,
                    course_id: 3,
                    status: "held".into(),
                    at_ms: 1_764_028_800_000,
                    override_reason: None,
                    decision: Some("hold".into()),
                    reason_code: None,
                    cosigned_by: None,
                },
            ],
            injections: vec![
                InjectionEntry {
                    id: 11,
                    course_id: 9,
                    status: "given".into(),
                    slot_number: Some(1),
                    dose_level: Some("1mu".into()),
                    at_ms: 1_764_100_000_000,
                    site: Some("abdomen_left".into()),
                    skip_reason: None,
                    note: None,
                },
                InjectionEntry {
                    id: 12,
                    course_id: 9,
                    status: "skipped".into(),
                    slot_number: Some(2),
                    dose_level: Some("1mu".into()),
                    at_ms: 1_764_186_400_000,
                    site: None,
                    skip_reason: Some("fever".into()),
                    note: Some("called the clinic".into()),
                },
            ],
            checkins: vec![CheckInEntry {
                id: 6,
                at_ms: 1_764_000_000_000,
                document: json!({"at": "2026-11-27T08:30:00-05:00", "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate", "lightheaded": false, "extra_stools_24h": 2, "fainted": null}}),
                level: "call_now".into(),
            }],
            decisions: vec![
                DecisionEntry {
                    id: 8,
                    course_id: Some(3),
                    at_ms: 1_764_028_000_000,
                    decision: "hold".into(),
                    result: json!({"fired": [{"id": "label.hold.sbp-below-90", "action": "hold", "source": "LABEL-2024 §2.4 T2"}]}),
                },
                DecisionEntry {
                    id: 9,
                    course_id: Some(3),
                    at_ms: 1_764_000_000_000,
                    decision: "give".into(),
                    result: json!({"fired": []}),
                },
            ],
            flags: vec![
                FlagEntry { id: 1, code: "received_interleukin_2".into(), at_ms: 1_764_000_000_000 },
                FlagEntry { id: 2, code: "received_interleukin_2".into(), at_ms: 1_764_000_000_001 },
            ],
            audit: vec![AuditEntry {
                id: 10,
                at_ms: 1_764_000_000_000,
                actor: "nurse".into(),
                actor_role: "nurse".into(),
                action: "read".into(),
                resource: "patient/7".into(),
                outcome: "ok".into(),
                remote: "unknown".into(),
            }],
        }
    }

    fn no_empty_values(value: &Value, path: &str) {
        assert!(!is_empty(value), "{path} is null or empty");
        match value {
            Value::Object(map) => map.iter().for_each(|(key, value)| no_empty_values(value, &format!("{path}.{key}"))),
            Value::Array(list) => {
                list.iter().enumerate().for_each(|(i, value)| no_empty_values(value, &format!("{path}[{i}]")))
            }
            _ => {}
        }
    }

    #[test]
    fn the_export_holds_one_resource_of_each_kind_and_no_nulls_or_empty_values() {
        let bundle = bundle(&sample(), BundleType::Collection, "http://localhost/fhir/", 0);
        no_empty_values(&bundle, "Bundle");
        let types: Vec<&str> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "Patient",
                "Observation",
                "Observation",
                "MedicationRequest",
                "MedicationAdministration",
                "MedicationAdministration",
                "MedicationAdministration",
                "MedicationAdministration",
                "QuestionnaireResponse",
                "Flag",
                "DetectedIssue",
                "AuditEvent"
            ]
        );
        assert_eq!(bundle["entry"][0]["fullUrl"], "http://localhost/fhir/Patient/7");
        assert!(bundle.get("total").is_none(), "total belongs to searchsets only");
    }

    #[test]
    fn observations_carry_loinc_and_a_ucum_quantity_and_urine_output_a_period() {
        let bundle = bundle(&sample(), BundleType::Searchset, "http://x/fhir", 0);
        let pressure = &bundle["entry"][1]["resource"];
        assert_eq!(
            pressure["code"]["coding"][0],
            json!({"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"})
        );
        assert_eq!(
            pressure["valueQuantity"],
            json!({"value": 86, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"})
        );
        assert_eq!(pressure["effectiveDateTime"], "2026-11-27T15:40:00Z");
        let urine = &bundle["entry"][2]["resource"];
        assert_eq!(urine["effectivePeriod"], json!({"start": "2026-11-27T08:00:00Z", "end": "2026-11-27T16:00:00Z"}));
        assert!(urine.get("effectiveDateTime").is_none());
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 12);
    }

    #[test]
    fn a_held_dose_is_not_done_with_its_reason_and_only_stopping_decisions_become_issues() {
        let resources = resources(&sample());
        let held =
            resources.iter().find(|r| r["resourceType"] == "MedicationAdministration" && r["id"] == "5").unwrap();
        assert_eq!(held["status"], "not-done");
        assert_eq!(held["statusReason"][0]["text"], "Dose held; the decision was hold");
        assert_eq!(held["medicationCodeableConcept"]["coding"][0]["code"], "70223");
        let given =
            resources.iter().find(|r| r["resourceType"] == "MedicationAdministration" && r["id"] == "4").unwrap();
        assert_eq!(given["status"], "completed");
        assert!(given.get("statusReason").is_none());
        let issues: Vec<_> = resources.iter().filter(|r| r["resourceType"] == "DetectedIssue").collect();
        assert_eq!(issues.len(), 1);
        assert!(issues[0]["detail"].as_str().unwrap().contains("label.hold.sbp-below-90"));
        let flags: Vec<_> = resources.iter().filter(|r| r["resourceType"] == "Flag").collect();
        assert_eq!(flags.len(), 1, "a lasting flag set twice is one Flag");
    }

    #[test]
    fn logged_injections_are_community_subcutaneous_administrations_a_skipped_one_not_done_with_its_reason() {
        let resources = resources(&sample());
        let find = |id: &str| resources.iter().find(|r| r["id"] == id).unwrap();
        let given = find("injection-11");
        assert_eq!(given["status"], "completed");
        assert_eq!(given["identifier"][0], json!({"system": "urn:il2care:injection", "value": "11"}));
        assert_eq!(given["category"]["coding"][0]["code"], "community");
        assert_eq!(given["dosage"]["route"]["coding"][0]["code"], "34206005");
        assert_eq!(given["dosage"]["site"]["text"], "abdomen left");
        assert_eq!(given["dosage"]["text"], "aldesleukin under the skin, dose level 1mu, planned shot 1");
        assert_eq!(given["request"]["reference"], "MedicationRequest/9");
        assert!(given.get("statusReason").is_none());
        let skipped = find("injection-12");
        assert_eq!(skipped["status"], "not-done");
        assert_eq!(skipped["statusReason"][0]["text"], "fever");
        assert_eq!(given["extension"][0], json!({"url": codes::EXTENSION_INJECTION_SLOT, "valueInteger": 1}));
        assert_eq!(given["extension"][1], json!({"url": codes::EXTENSION_DOSE_LEVEL, "valueString": "1mu"}));
        assert_eq!(given["dosage"]["site"]["coding"][0]["code"], "abdomen_left");
        assert_eq!(skipped["note"][0]["text"], "called the clinic");
        assert!(skipped["dosage"].get("site").is_none());
        let mut silent = sample().injections[1].clone();
        silent.skip_reason = None;
        let resource = prune(injection_resource(&silent, &json!({"reference": "Patient/7"})));
        assert_eq!(resource["status"], "not-done");
        assert!(resource.get("statusReason").is_none(), "no reason is made up for a skip: {resource}");
    }

    #[test]
    fn check_in_answers_become_typed_items_and_unanswered_items_are_left_out() {
        let resources = resources(&sample());
        let response = resources.iter().find(|r| r["resourceType"] == "QuestionnaireResponse").unwrap();
        let items = response["item"].as_array().unwrap();
        let answer = |id: &str| items.iter().find(|item| item["linkId"] == id).map(|item| item["answer"][0].clone());
        assert_eq!(answer("chills"), Some(json!({"valueString": "moderate"})));
        assert_eq!(answer("lightheaded"), Some(json!({"valueBoolean": false})));
        assert_eq!(answer("extra_stools_24h"), Some(json!({"valueInteger": 2})));
        assert_eq!(answer("temperature").unwrap()["valueQuantity"]["code"], "[degF]");
        assert_eq!(answer("fainted"), None);
        assert_eq!(answer("triage_level").unwrap()["valueCoding"]["code"], "call_now");
    }
}
