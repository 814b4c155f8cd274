//! The pharmacist's desk (issue 16): a course's dose as the desk calculates it ([`course_dose`]: the core's
//! calculation from the course's dosing weight and height), a prepared dose verified and signed off ([`verify`],
//! [`verify_at_desk`]: pharmacist; the lot and its expiry, when it was prepared; the dose is the core's
//! calculation, never typed), the verifications of a course ([`verifications`]), a course's missing dosing weight
//! or height entered ([`record_measurement`]: pharmacist or physician; unit required, dosing limits refused naming
//! the field), the whole desk ([`desk`]) and a preparation label ([`label`]). Each is decided by the one policy
//! and audited, allowed or refused.

use il2care_core::Refusal;
use il2care_core::dosing::{DoseCalculation, DoseRequest, calculate, limits};
use il2care_core::regimens::regimen;
use il2care_core::units::{Centimetres, Kilograms, Measure, round_for_display};
use il2care_store::pharmacy as desk_record;
use il2care_store::record;
use il2care_store::{Conn, Store};
use il2care_wire::json::{parse_object, refuse_unknown_fields, string, timestamp};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::access::{self, Action, Actor};

pub use il2care_store::pharmacy::{DoseVerification, DosingMeasurement};
pub use il2care_store::record::{Course, Patient, Screening};

/// Where the dosing weight (or height) of a calculation came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasuredBy {
    /// The course's baseline, recorded when it started.
    CourseStart,
    /// Entered at the desk: by whom, when (ms).
    Desk {
        by: String,
        at_ms: i64,
    },
    Missing,
}

/// A course's dose as the desk calculates it: the calculation, or the refusal naming what is missing, and
/// where the weight and height came from.
#[derive(Clone, Debug)]
pub struct CourseDose {
    pub calculation: Result<DoseCalculation, Refusal>,
    pub weight_from: MeasuredBy,
    pub height_from: MeasuredBy,
}

/// The dose of `course` at its default level (or `level`), prepared at `prepared_at`: the dosing weight is the
/// course's baseline, else the latest entered at the desk; the height the latest entered (DOSING §7). A part of
/// a larger read or write on `conn`, which its caller audits.
pub async fn course_dose(
    conn: &mut Conn,
    course: &Course,
    level: Option<&str>,
    prepared_at: Option<Timestamp>,
) -> Result<CourseDose, Error> {
    let entered_weight = desk_record::latest_measurement(conn, course.id, "weight").await?;
    let entered_height = desk_record::latest_measurement(conn, course.id, "height").await?;
    let (weight_text, weight_from) = match (&course.baseline_weight_kg, &entered_weight) {
        (Some(weight), _) => (Some(weight.clone()), MeasuredBy::CourseStart),
        (None, Some(entered)) => (
            Some(entered.value.clone()),
            MeasuredBy::Desk { by: entered.recorded_by.clone(), at_ms: entered.recorded_at_ms },
        ),
        (None, None) => (None, MeasuredBy::Missing),
    };
    let (height_text, height_from) = match &entered_height {
        Some(entered) => (
            Some(entered.value.clone()),
            MeasuredBy::Desk { by: entered.recorded_by.clone(), at_ms: entered.recorded_at_ms },
        ),
        None => (None, MeasuredBy::Missing),
    };
    let weight = weight_text.and_then(|text| text.parse::<Decimal>().ok()).and_then(|value| Kilograms::new(value).ok());
    let height =
        height_text.and_then(|text| text.parse::<Decimal>().ok()).and_then(|value| Centimetres::new(value).ok());
    let calculation = match regimen(&course.regimen) {
        None => {
            Err(Refusal::new("regimen", format!("`{}` is not a regimen of the dosing specification", course.regimen)))
        }
        Some(regimen) => calculate(DoseRequest { regimen, level, weight, height, prepared_at }),
    };
    Ok(CourseDose { calculation, weight_from, height_from })
}

/// The latest verification of course `course_id`, for the course page's sign-off line (a part of the page's
/// read, which its caller audits).
pub async fn latest_verification(conn: &mut Conn, course_id: i64) -> Result<Option<DoseVerification>, Error> {
    Ok(desk_record::verifications(conn, course_id).await?.into_iter().next())
}

async fn course_of(conn: &mut Conn, patient_id: i64, course_id: i64) -> Result<Course, Error> {
    record::patient(conn, patient_id).await?;
    record::courses(conn, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| Error::NotFound(format!("course {course_id} of patient {patient_id}")))
}

/// What a verification request says, read and checked (shape, lot, dates) at `now` in the patient's `zone`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationRequest {
    pub slot: Option<i64>,
    pub level: Option<String>,
    pub lot: String,
    pub lot_expires_on: jiff::civil::Date,
    pub prepared_at: Timestamp,
}

/// Longest lot number accepted.
pub const MAX_LOT_CHARS: usize = 40;

/// Reads a verification request: the lot is required (1 to 40 characters), its expiry date is not in the past
/// (the lot may be used through its expiry day, in the patient's zone), the preparation time is not in the future
/// and not so old that the preparation has expired (prepared + 48 h).
pub fn verification_request(
    object: &Map<String, Value>,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<VerificationRequest, Refusal> {
    refuse_unknown_fields(object, &["slot", "dose_level", "lot", "lot_expires_on", "prepared_at"], "")?;
    let lot = match object.get("lot") {
        None | Some(Value::Null) => return Err(Refusal::new("lot", "is required: the lot number on the vial")),
        Some(value) => string(value, "lot")?.trim().to_string(),
    };
    if lot.is_empty() || lot.chars().count() > MAX_LOT_CHARS {
        return Err(Refusal::new(
            "lot",
            format!("is required: the lot number on the vial, 1 to {MAX_LOT_CHARS} characters"),
        ));
    }
    let expiry_text = match object.get("lot_expires_on") {
        None | Some(Value::Null) => {
            return Err(Refusal::new("lot_expires_on", "is required: the expiry date on the vial"));
        }
        Some(value) => string(value, "lot_expires_on")?,
    };
    let lot_expires_on: jiff::civil::Date = expiry_text
        .parse()
        .map_err(|_| Refusal::new("lot_expires_on", format!("`{expiry_text}` is not a date such as 2027-03-31")))?;
    let today = now.to_zoned(zone.clone()).date();
    if lot_expires_on < today {
        return Err(Refusal::new(
            "lot_expires_on",
            format!("the lot expired on {lot_expires_on}; do not use it (today is {today})"),
        ));
    }
    let prepared_at = match object.get("prepared_at") {
        None | Some(Value::Null) => now,
        Some(value) => timestamp(value, "prepared_at")?,
    };
    if prepared_at > now + jiff::SignedDuration::from_mins(5) {
        return Err(Refusal::new("prepared_at", "is in the future; record a dose when it has been prepared"));
    }
    if prepared_at + limits::STABILITY <= now {
        return Err(Refusal::new(
            "prepared_at",
            "is 48 hours or more ago: the preparation has expired (stable 48 h from preparation); prepare a new one",
        ));
    }
    let slot = match object.get("slot") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_i64()
                .filter(|slot| *slot > 0)
                .ok_or_else(|| Refusal::new("slot", "must be a slot number (1 or more)"))?,
        ),
    };
    let level = match object.get("dose_level") {
        None | Some(Value::Null) => None,
        Some(value) => Some(string(value, "dose_level")?.to_string()),
    };
    Ok(VerificationRequest { slot, level, lot, lot_expires_on, prepared_at })
}

fn zone_of(patient: &Patient) -> TimeZone {
    TimeZone::get(&patient.time_zone).unwrap_or(TimeZone::UTC)
}

/// Verifies and signs off a prepared dose of course `course_id` (the verification document's text); the
/// verification and its audit entry commit together.
pub async fn verify(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<DoseVerification, Error> {
    let resource = format!("course/{course_id}/verifications");
    access::authorize(store, actor, Some(patient_id), Action::VerifyDose, &resource, now).await?;
    let object = parse_object(text)?;
    verify_checked(store, actor, patient_id, course_id, object, None, now).await
}

/// The desk's verification form as entered: each field as typed (absent when left empty); `prepared_at` is a
/// local date and time (`2026-12-04T08:30`) in the patient's zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeskVerification {
    pub lot: Option<String>,
    pub lot_expires_on: Option<String>,
    pub prepared_at: Option<String>,
    pub slot: Option<String>,
}

/// [`verify`] from the desk's form: the preparation time is read in the patient's zone.
pub async fn verify_at_desk(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    form: &DeskVerification,
    now: Timestamp,
) -> Result<DoseVerification, Error> {
    let resource = format!("course/{course_id}/verifications");
    access::authorize(store, actor, Some(patient_id), Action::VerifyDose, &resource, now).await?;
    let mut document = Map::new();
    for (name, value) in [("lot", &form.lot), ("lot_expires_on", &form.lot_expires_on)] {
        if let Some(value) = value {
            document.insert(name.into(), json!(value));
        }
    }
    if let Some(text) = &form.slot {
        document.insert(
            "slot".into(),
            match text.parse::<i64>() {
                Ok(slot) => json!(slot),
                Err(_) => Value::String(text.clone()),
            },
        );
    }
    verify_checked(store, actor, patient_id, course_id, document, form.prepared_at.as_deref(), now).await
}

/// The verification after the access check: `local_prepared_at` (the desk's local time) is read in the
/// patient's zone into the document's `prepared_at`.
async fn verify_checked(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    mut object: Map<String, Value>,
    local_prepared_at: Option<&str>,
    now: Timestamp,
) -> Result<DoseVerification, Error> {
    let mut tx = store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    let zone = zone_of(&patient);
    if let Some(text) = local_prepared_at {
        let at =
            text.parse::<jiff::civil::DateTime>().ok().and_then(|local| local.to_zoned(zone.clone()).ok()).ok_or_else(
                || Refusal::new("prepared_at", format!("`{text}` is not a date and time such as 2026-12-04T08:30")),
            )?;
        object.insert("prepared_at".into(), json!(at.timestamp().to_string()));
    }
    let request = verification_request(&object, now, &zone)?;
    let course = course_of(&mut tx, patient_id, course_id).await?;
    let dose = course_dose(&mut tx, &course, request.level.as_deref(), Some(request.prepared_at)).await?;
    let calculation = dose.calculation.map_err(|refusal| {
        Refusal::new(refusal.field.clone(), format!("cannot verify: {} (enter it at the desk first)", refusal.reason))
    })?;
    let expires_at = calculation.expires_at.unwrap_or(request.prepared_at + limits::STABILITY);
    let verification = DoseVerification {
        id: 0,
        patient_id,
        course_id,
        slot_number: request.slot,
        dose_iu: calculation.dose.value().normalize().to_string(),
        volume_ml: calculation.volume_display().normalize().to_string(),
        bag_ml: calculation.dilution.map(|dilution| dilution.bag.value().normalize().to_string()),
        final_concentration: calculation
            .dilution
            .map(|dilution| round_for_display(dilution.final_concentration.value(), 1).normalize().to_string()),
        lot: request.lot,
        lot_expires_on: request.lot_expires_on.to_string(),
        prepared_at_ms: request.prepared_at.as_millisecond(),
        expires_at_ms: expires_at.as_millisecond(),
        verified_at_ms: now.as_millisecond(),
        verified_by: actor.username.clone(),
    };
    let id = desk_record::add_verification(&mut tx, &verification).await?;
    let entry = format!("course/{course_id}/verification/{id}");
    access::append(&mut tx, actor, "verify", &entry, Some(patient_id), "ok", now).await?;
    tx.commit().await?;
    Ok(DoseVerification { id, ..verification })
}

/// The verifications of course `course_id`, the latest first; the read is audited before it is answered.
pub async fn verifications(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    now: Timestamp,
) -> Result<Vec<DoseVerification>, Error> {
    let resource = format!("course/{course_id}/verifications");
    access::authorize(store, actor, Some(patient_id), Action::ReadPharmacy, &resource, now).await?;
    let listed = {
        let mut conn = store.connection().await?;
        course_of(&mut conn, patient_id, course_id).await?;
        desk_record::verifications(&mut conn, course_id).await?
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(listed)
}

/// A dosing weight or height read from `{"code", "value": {"value", "unit"}}`: the unit is required and must
/// fit, and the value must lie within the dosing limits (30 to 250 kg, 100 to 230 cm; DOSING §7), else refused
/// naming `value`. Returns the code, the canonical value and the text as entered.
pub fn measurement_request(object: &Map<String, Value>) -> Result<(&'static str, Decimal, String), Refusal> {
    refuse_unknown_fields(object, &["code", "value"], "")?;
    let code = match object.get("code").and_then(Value::as_str) {
        Some("weight") => "weight",
        Some("height") => "height",
        _ => return Err(Refusal::new("code", "must be weight or height")),
    };
    let value = object.get("value").ok_or_else(|| Refusal::new("value", "is required, with its unit"))?;
    let given = il2care_wire::json::quantity(value, "value")?;
    let entered = format!("{} {}", given.value.normalize(), given.unit.ucum());
    let (canonical, (low, high), unit) = if code == "weight" {
        (il2care_wire::json::measure::<Kilograms>(value, "value")?.canonical(), limits::WEIGHT_KG, "kg")
    } else {
        (il2care_wire::json::measure::<Centimetres>(value, "value")?.canonical(), limits::HEIGHT_CM, "cm")
    };
    if canonical < low || canonical > high {
        return Err(Refusal::new(
            "value",
            format!(
                "{code} {} {unit} is outside the dosing limits {low} to {high} {unit}; check the number and its unit",
                round_for_display(canonical, 1).normalize()
            ),
        ));
    }
    Ok((code, canonical, entered))
}

/// Enters a course's dosing weight or height (the document's text); the entry and its audit entry commit
/// together.
pub async fn record_measurement(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<DosingMeasurement, Error> {
    let resource = format!("course/{course_id}/measurements");
    access::authorize(store, actor, Some(patient_id), Action::RecordDosingMeasurement, &resource, now).await?;
    let object = parse_object(text)?;
    let (code, value, entered) = measurement_request(&object)?;
    let mut tx = store.begin().await?;
    course_of(&mut tx, patient_id, course_id).await?;
    let measurement = DosingMeasurement {
        id: 0,
        patient_id,
        course_id,
        code: code.to_string(),
        value: value.normalize().to_string(),
        unit: if code == "weight" { "kg" } else { "cm" }.to_string(),
        entered,
        recorded_at_ms: now.as_millisecond(),
        recorded_by: actor.username.clone(),
    };
    let id = desk_record::add_measurement(&mut tx, &measurement).await?;
    access::audit_write(&mut tx, actor, &format!("course/{course_id}/measurement/{id}"), Some(patient_id), now).await?;
    tx.commit().await?;
    Ok(DosingMeasurement { id, ..measurement })
}

/// One course on the desk: its dose as calculated now and its verifications, the latest first.
#[derive(Clone, Debug)]
pub struct DeskCourse {
    pub course: Course,
    pub dose: CourseDose,
    pub verifications: Vec<DoseVerification>,
}

/// One patient on the desk: their latest screening and their courses.
#[derive(Clone, Debug)]
pub struct DeskPatient {
    pub patient: Patient,
    pub latest_screening: Option<crate::screenings::StoredScreening>,
    pub courses: Vec<DeskCourse>,
}

/// The whole desk: every patient with their latest screening and each course's dose and verifications. Each
/// patient's reads are audited (`patient/{id}/screenings`, `patient/{id}/courses`) before the desk is answered.
pub async fn desk(store: &Store, actor: &Actor, now: Timestamp) -> Result<Vec<DeskPatient>, Error> {
    access::authorize(store, actor, None, Action::ReadPharmacy, "patients", now).await?;
    let mut conn = store.connection().await?;
    let patients = record::patients(&mut conn).await?;
    access::audit_read(store, actor, "patients", None, now).await?;
    let mut desk = Vec::with_capacity(patients.len());
    for patient in patients {
        let latest_screening = record::screenings(&mut conn, patient.id)
            .await?
            .into_iter()
            .next()
            .map(crate::screenings::StoredScreening::try_from)
            .transpose()?;
        access::audit_read(store, actor, &format!("patient/{}/screenings", patient.id), Some(patient.id), now).await?;
        let mut courses = Vec::new();
        for course in record::courses(&mut conn, patient.id).await? {
            let dose = course_dose(&mut conn, &course, None, None).await?;
            let verifications = desk_record::verifications(&mut conn, course.id).await?;
            courses.push(DeskCourse { course, dose, verifications });
        }
        access::audit_read(store, actor, &format!("patient/{}/courses", patient.id), Some(patient.id), now).await?;
        desk.push(DeskPatient { patient, latest_screening, courses });
    }
    Ok(desk)
}

/// What a preparation label shows: the verification, its patient and course, and the course's dose worked
/// again at the preparation time (so a changed weight shows).
#[derive(Clone, Debug)]
pub struct Label {
    pub verification: DoseVerification,
    pub patient: Patient,
    pub course: Course,
    pub dose: CourseDose,
}

/// The preparation label of verification `verification_id` (the care team); the read is audited.
pub async fn label(store: &Store, actor: &Actor, verification_id: i64, now: Timestamp) -> Result<Label, Error> {
    let resource = format!("verification/{verification_id}/label");
    // Who may not read the pharmacy's work learns nothing, not even whether the verification exists.
    access::authorize(store, actor, None, Action::ReadPharmacy, &resource, now).await?;
    let mut conn = store.connection().await?;
    let verification = desk_record::verification(&mut conn, verification_id).await?;
    drop(conn);
    access::authorize(store, actor, Some(verification.patient_id), Action::ReadPharmacy, &resource, now).await?;
    let mut conn = store.connection().await?;
    let patient = record::patient(&mut conn, verification.patient_id).await?;
    let course = course_of(&mut conn, patient.id, verification.course_id).await?;
    let prepared = Timestamp::from_millisecond(verification.prepared_at_ms).ok();
    let dose = course_dose(&mut conn, &course, None, prepared).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    access::audit_read(store, actor, &resource, Some(patient.id), now).await?;
    Ok(Label { verification, patient, course, dose })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-04T15:00:00Z".parse().unwrap()
    }

    fn check(document: Value) -> Result<VerificationRequest, Refusal> {
        verification_request(document.as_object().unwrap(), now(), &TimeZone::UTC)
    }

    fn field_of(document: Value) -> String {
        check(document).err().map(|refusal| refusal.field).unwrap_or_default()
    }

    #[test]
    fn a_verification_needs_a_lot_and_an_expiry_not_in_the_past() {
        assert_eq!(field_of(json!({"lot_expires_on": "2027-01-01"})), "lot");
        assert_eq!(field_of(json!({"lot": "  ", "lot_expires_on": "2027-01-01"})), "lot");
        assert_eq!(field_of(json!({"lot": "A".repeat(41), "lot_expires_on": "2027-01-01"})), "lot");
        assert!(check(json!({"lot": "A".repeat(40), "lot_expires_on": "2027-01-01"})).is_ok(), "40 characters pass");
        assert_eq!(field_of(json!({"lot": "L1"})), "lot_expires_on");
        assert_eq!(field_of(json!({"lot": "L1", "lot_expires_on": "2026-12-03"})), "lot_expires_on", "yesterday");
        assert!(
            check(json!({"lot": "L1", "lot_expires_on": "2026-12-04"})).is_ok(),
            "a lot is usable on its expiry day"
        );
        assert_eq!(field_of(json!({"lot": "L1", "lot_expires_on": "31/12/2027"})), "lot_expires_on");
        assert_eq!(field_of(json!({"lot": "L1", "lot_expires_on": "2027-01-01", "extra": 1})), "extra");
    }

    #[test]
    fn a_preparation_is_not_in_the_future_and_not_past_its_48_hours() {
        let at = |hours_ago: i64| (now() - jiff::SignedDuration::from_hours(hours_ago)).to_string();
        let with = |prepared: String| json!({"lot": "L1", "lot_expires_on": "2027-01-01", "prepared_at": prepared});
        assert!(check(with(at(47))).is_ok());
        assert_eq!(field_of(with(at(48))), "prepared_at", "exactly 48 h: expired");
        assert_eq!(field_of(with(at(49))), "prepared_at");
        assert_eq!(field_of(with(at(-1))), "prepared_at", "in the future");
        assert_eq!(check(json!({"lot": "L1", "lot_expires_on": "2027-01-01"})).unwrap().prepared_at, now());
    }

    fn measured(document: Value) -> Result<(&'static str, Decimal, String), Refusal> {
        measurement_request(document.as_object().unwrap())
    }

    #[test]
    fn a_dosing_weight_or_height_needs_its_unit_and_the_dosing_limits() {
        let weight = |value: &str, unit: &str| {
            serde_json::from_str::<Value>(&format!(
                r#"{{"code": "weight", "value": {{"value": {value}, "unit": "{unit}"}}}}"#
            ))
            .unwrap()
        };
        assert_eq!(measured(json!({"code": "weight", "value": 80})).unwrap_err().field, "value", "no unit");
        assert_eq!(measured(weight("29.9", "kg")).unwrap_err().field, "value");
        assert_eq!(measured(weight("30", "kg")).unwrap().1, Decimal::from(30));
        assert_eq!(measured(weight("250", "kg")).unwrap().1, Decimal::from(250));
        assert_eq!(measured(weight("250.1", "kg")).unwrap_err().field, "value");
        assert_eq!(measured(weight("80", "cm")).unwrap_err().field, "value", "a unit that does not fit");
        let (_, kg, entered) = measured(weight("176", "[lb_av]")).unwrap();
        assert!(kg > Decimal::from(79) && kg < Decimal::from(80), "{kg}");
        assert_eq!(entered, "176 [lb_av]");
        let height = |value: &str| {
            serde_json::from_str::<Value>(&format!(
                r#"{{"code": "height", "value": {{"value": {value}, "unit": "cm"}}}}"#
            ))
            .unwrap()
        };
        assert_eq!(measured(height("99.9")).unwrap_err().field, "value");
        assert!(measured(height("100")).is_ok() && measured(height("230")).is_ok());
        assert_eq!(measured(height("230.1")).unwrap_err().field, "value");
        assert_eq!(measured(json!({"code": "bmi", "value": {"value": 1, "unit": "kg"}})).unwrap_err().field, "code");
    }
}
