//! The pharmacist's desk through the API (issue 16): a prepared dose verified and signed off
//! (`POST /api/v1/patients/{id}/courses/{course_id}/verifications`, pharmacist: the lot and its expiry, when it
//! was prepared; the dose is the core's calculation from the course, never typed), the verifications listed
//! (`GET`, the care team), and a course's missing dosing weight or height entered
//! (`POST .../measurements`, pharmacist or physician; unit required, dosing limits refused naming the field).
//! Each is audited, allowed or refused. The pages call the same functions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::dosing::{DoseCalculation, DoseRequest, calculate, limits};
use il2care_core::regimens::regimen;
use il2care_core::units::{Centimetres, Kilograms, Measure, round_for_display};
use il2care_store::pharmacy::{self as desk, DoseVerification, DosingMeasurement};
use il2care_store::record::{self, Course};
use il2care_wire::json::{parse_object, refuse_unknown_fields, string, timestamp};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

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
pub struct CourseDose {
    pub calculation: Result<DoseCalculation, Refusal>,
    pub weight_from: MeasuredBy,
    pub height_from: MeasuredBy,
}

/// The dose of `course` at its default level (or `level`), prepared at `prepared_at`: the dosing weight is the
/// course's baseline, else the latest entered at the desk; the height the latest entered (DOSING §7).
pub async fn course_dose(
    conn: &mut il2care_store::Conn,
    course: &Course,
    level: Option<&str>,
    prepared_at: Option<jiff::Timestamp>,
) -> Result<CourseDose, AppError> {
    let entered_weight = desk::latest_measurement(conn, course.id, "weight").await?;
    let entered_height = desk::latest_measurement(conn, course.id, "height").await?;
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

async fn course_of(conn: &mut il2care_store::Conn, patient_id: i64, course_id: i64) -> Result<Course, AppError> {
    record::patient(conn, patient_id).await?;
    record::courses(conn, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| AppError::NotFound(format!("course {course_id} of patient {patient_id}")))
}

fn ids(patient_text: &str, course_text: &str) -> Result<(i64, i64), AppError> {
    let id = |text: &str, field: &str| {
        text.parse::<i64>().map_err(|_| {
            AppError::Refused(Refusal::new(field, format!("`{text}` is not a record id (a whole number)")))
        })
    };
    Ok((id(patient_text, "patient_id")?, id(course_text, "course_id")?))
}

/// A verification as JSON.
pub fn verification_json(verification: &DoseVerification) -> Value {
    json!({"id": verification.id, "patient_id": verification.patient_id, "course_id": verification.course_id,
           "slot": verification.slot_number,
           "dose": {"value": il2care_wire::json::number(verification.dose_iu.parse().unwrap_or_default()), "unit": "[iU]"},
           "volume": {"value": il2care_wire::json::number(verification.volume_ml.parse().unwrap_or_default()), "unit": "mL"},
           "bag": verification.bag_ml.as_ref().map(|bag| json!({"value": il2care_wire::json::number(bag.parse().unwrap_or_default()), "unit": "mL"})),
           "final_concentration": verification.final_concentration.as_ref()
               .map(|value| json!({"value": il2care_wire::json::number(value.parse().unwrap_or_default()), "unit": "ug/mL"})),
           "lot": verification.lot, "lot_expires_on": verification.lot_expires_on,
           "prepared_at": crate::rfc3339(verification.prepared_at_ms),
           "expires_at": crate::rfc3339(verification.expires_at_ms),
           "verified_at": crate::rfc3339(verification.verified_at_ms), "verified_by": verification.verified_by})
}

/// What a verification request says, read and checked (shape, lot, dates) at `now` in the patient's `zone`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationRequest {
    pub slot: Option<i64>,
    pub level: Option<String>,
    pub lot: String,
    pub lot_expires_on: jiff::civil::Date,
    pub prepared_at: jiff::Timestamp,
}

/// Longest lot number accepted.
pub const MAX_LOT_CHARS: usize = 40;

/// Reads a verification request: the lot is required (1 to 40 characters), its expiry date is not in the past
/// (the lot may be used through its expiry day, in the patient's zone), the preparation time is not in the future
/// and not so old that the preparation has expired (prepared + 48 h).
pub fn verification_request(
    object: &Map<String, Value>,
    now: jiff::Timestamp,
    zone: &jiff::tz::TimeZone,
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

async fn require(
    state: &AppState,
    actor: &Actor,
    roles: &[Role],
    resource: &str,
    patient_id: i64,
) -> Result<(), AppError> {
    let mut conn = state.store.connection().await?;
    if let Err(error) = actor.require(roles) {
        by_actor(&mut conn, actor, "denied", resource, Some(patient_id), "denied").await?;
        return Err(error);
    }
    crate::api::patients::authorize(&mut conn, actor, patient_id, resource).await?;
    Ok(())
}

/// Verifies and signs off a prepared dose (the text of the POST body): shared by the API and the desk page.
pub async fn verify_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
) -> Result<DoseVerification, AppError> {
    let resource = format!("course/{course_id}/verifications");
    require(state, actor, &[Role::Pharmacist], &resource, patient_id).await?;
    let object = parse_object(text)?;
    let mut tx = state.store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    let zone = jiff::tz::TimeZone::get(&patient.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let request = verification_request(&object, crate::now(), &zone)?;
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
        verified_at_ms: crate::now_ms(),
        verified_by: actor.user.username.clone(),
    };
    let id = desk::add_verification(&mut tx, &verification).await?;
    by_actor(&mut tx, actor, "verify", &format!("course/{course_id}/verification/{id}"), Some(patient_id), "ok")
        .await?;
    tx.commit().await?;
    Ok(DoseVerification { id, ..verification })
}

/// `POST /api/v1/patients/{patient_id}/courses/{course_id}/verifications` (pharmacist): 201 with the
/// verification.
pub async fn verify(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let stored = verify_document(&state, &actor, patient_id, course_id, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(verification_json(&stored))))
}

/// `GET /api/v1/patients/{patient_id}/courses/{course_id}/verifications` (the care team): the latest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let resource = format!("course/{course_id}/verifications");
    require(&state, &actor, &[Role::Nurse, Role::Physician, Role::Pharmacist], &resource, patient_id).await?;
    let mut conn = state.store.connection().await?;
    course_of(&mut conn, patient_id, course_id).await?;
    let listed = desk::verifications(&mut conn, course_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"verifications": listed.iter().map(verification_json).collect::<Vec<_>>()})))
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

/// Enters a course's dosing weight or height (the text of the POST body): shared by the API and the desk.
pub async fn measurement_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
) -> Result<DosingMeasurement, AppError> {
    let resource = format!("course/{course_id}/measurements");
    require(state, actor, &[Role::Pharmacist, Role::Physician], &resource, patient_id).await?;
    let object = parse_object(text)?;
    let (code, value, entered) = measurement_request(&object)?;
    let mut tx = state.store.begin().await?;
    course_of(&mut tx, patient_id, course_id).await?;
    let measurement = DosingMeasurement {
        id: 0,
        patient_id,
        course_id,
        code: code.to_string(),
        value: value.normalize().to_string(),
        unit: if code == "weight" { "kg" } else { "cm" }.to_string(),
        entered,
        recorded_at_ms: crate::now_ms(),
        recorded_by: actor.user.username.clone(),
    };
    let id = desk::add_measurement(&mut tx, &measurement).await?;
    by_actor(&mut tx, actor, "write", &format!("course/{course_id}/measurement/{id}"), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok(DosingMeasurement { id, ..measurement })
}

/// `POST /api/v1/patients/{patient_id}/courses/{course_id}/measurements` (pharmacist, physician): 201.
pub async fn measure(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let stored = measurement_document(&state, &actor, patient_id, course_id, &json_text(&headers, &body)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": stored.id, "course_id": stored.course_id, "code": stored.code,
                    "value": {"value": il2care_wire::json::number(stored.value.parse().unwrap_or_default()), "unit": stored.unit},
                    "entered": stored.entered, "recorded_by": stored.recorded_by,
                    "recorded_at": crate::rfc3339(stored.recorded_at_ms)})),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-12-04T15:00:00Z".parse().unwrap()
    }

    fn check(document: Value) -> Result<VerificationRequest, Refusal> {
        verification_request(document.as_object().unwrap(), now(), &jiff::tz::TimeZone::UTC)
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
        let weight = |value: f64, unit: &str| json!({"code": "weight", "value": {"value": value, "unit": unit}});
        assert_eq!(measured(json!({"code": "weight", "value": 80})).unwrap_err().field, "value", "no unit");
        assert_eq!(measured(weight(29.9, "kg")).unwrap_err().field, "value");
        assert_eq!(measured(weight(30.0, "kg")).unwrap().1, Decimal::from(30));
        assert_eq!(measured(weight(250.0, "kg")).unwrap().1, Decimal::from(250));
        assert_eq!(measured(weight(250.1, "kg")).unwrap_err().field, "value");
        assert_eq!(measured(weight(80.0, "cm")).unwrap_err().field, "value", "a unit that does not fit");
        let (_, kg, entered) = measured(weight(176.0, "[lb_av]")).unwrap();
        assert!(kg > Decimal::from(79) && kg < Decimal::from(80), "{kg}");
        assert_eq!(entered, "176 [lb_av]");
        let height = |value: f64| json!({"code": "height", "value": {"value": value, "unit": "cm"}});
        assert_eq!(measured(height(99.9)).unwrap_err().field, "value");
        assert!(measured(height(100.0)).is_ok() && measured(height(230.0)).is_ok());
        assert_eq!(measured(height(230.1)).unwrap_err().field, "value");
        assert_eq!(measured(json!({"code": "bmi", "value": {"value": 1, "unit": "kg"}})).unwrap_err().field, "code");
    }
}
