//! Courses: `POST /api/v1/patients/{id}/courses` starts one (physician); `GET` lists them with their
//! schedule in the patient's time zone and the doses given and held so far.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::assessment::RuleSet;
use il2care_core::course::{CourseEvents, course_state};
use il2care_core::regimens::{regimen, regimen_ids};
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_core::units::{Creatinine, Kilograms};
use il2care_store::Conn;
use il2care_store::record::{self, Course};
use il2care_wire::dosing::schedule_json;
use il2care_wire::json::{measure, number, parse_object, refuse_unknown_fields, required, string, timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::patients::{authorize, authorize_write};
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const FIELDS: [&str; 5] = ["regimen", "rule_set", "started_at", "baseline_weight", "baseline_creatinine"];

/// How far ahead a course may be entered: a planned start is normal, a start years ahead is a typing error.
pub const MAX_DAYS_AHEAD: i64 = 366;

fn new_course(text: &str, patient_id: i64, now: jiff::Timestamp, default: RuleSet) -> Result<Course, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &FIELDS, "")?;
    let regimen_id = string(required(&object, "regimen", "")?, "regimen")?;
    regimen(regimen_id)
        .ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{regimen_id}`; one of: {}", regimen_ids())))?;
    let rule_set = match object.get("rule_set") {
        None => default.id(),
        Some(value) => match string(value, "rule_set")? {
            "label" => "label",
            "consensus" => "consensus",
            other => return Err(Refusal::new("rule_set", format!("`{other}` is not label or consensus"))),
        },
    };
    let started_at = timestamp(required(&object, "started_at", "")?, "started_at")?;
    if started_at > now + jiff::SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) {
        return Err(Refusal::new("started_at", format!("is more than {MAX_DAYS_AHEAD} days ahead; check the year")));
    }
    let weight = object
        .get("baseline_weight")
        .map(|value| {
            let weight: Kilograms = measure(value, "baseline_weight")?;
            if weight.value() < dec!(30) || weight.value() > dec!(250) {
                return Err(Refusal::new(
                    "baseline_weight",
                    format!("{weight} is outside the dosing limits 30 to 250 kg"),
                ));
            }
            Ok(weight.value().normalize().to_string())
        })
        .transpose()?;
    let creatinine = object
        .get("baseline_creatinine")
        .map(|value| {
            let creatinine: Creatinine = measure(value, "baseline_creatinine")?;
            if creatinine.value() < dec!(0.1) || creatinine.value() > dec!(25) {
                return Err(Refusal::new("baseline_creatinine", format!("{creatinine} is outside 0.1 to 25 mg/dL")));
            }
            Ok(creatinine.value().normalize().to_string())
        })
        .transpose()?;
    Ok(Course {
        id: 0,
        patient_id,
        regimen: regimen_id.to_string(),
        rule_set: rule_set.to_string(),
        started_at_ms: started_at.as_millisecond(),
        baseline_weight_kg: weight,
        baseline_creatinine_mg_dl: creatinine,
    })
}

/// `POST /api/v1/patients/{id}/courses` (physician).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (id, course) = create_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "patient_id": patient_id, "regimen": course.regimen}))))
}

/// Validates and stores a new course (the text of the POST body, or the start-a-course page's form as JSON);
/// audited. Shared by the API and the pages.
pub async fn create_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(i64, Course), AppError> {
    let resource = format!("patient/{patient_id}/courses");
    authorize_write(state, actor, &[Role::Physician], Some(patient_id), &resource).await?;
    let mut tx = state.store.begin().await?;
    let default = site_rule_set(&mut tx).await?;
    let course = new_course(text, patient_id, jiff::Timestamp::now(), default)?;
    record::patient(&mut tx, patient_id).await?;
    let id = record::create_course(&mut tx, &course, crate::now_ms(), &actor.user.username).await?;
    by_actor(&mut tx, actor, "write", &format!("patient/{patient_id}/course/{id}"), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((id, course))
}

/// The course's schedule as JSON in `time_zone`, or why it cannot be laid out.
fn schedule_of(course: &Course, time_zone: &str) -> Value {
    let Some(regimen) = regimen(&course.regimen) else {
        return json!({"unavailable": format!("unknown regimen {}", course.regimen)});
    };
    let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(start) = jiff::Timestamp::from_millisecond(course.started_at_ms) else {
        return json!({"unavailable": "the start time is out of range"});
    };
    let request = ScheduleRequest { regimen, start: start.to_zoned(zone), level: None, days: None, cycles: None };
    match schedule(&request) {
        Ok(plan) => schedule_json(&plan, &|_| None),
        Err(refusal) => json!({"unavailable": format!("{}: {}", refusal.field, refusal.reason)}),
    }
}

/// A decimal stored as text, back as a quantity (`null` when absent).
fn stored_quantity(text: Option<&str>, unit: &str) -> Value {
    text.and_then(|text| text.parse::<Decimal>().ok())
        .map_or(Value::Null, |value| json!({"value": number(value), "unit": unit}))
}

/// `GET /api/v1/patients/{id}/courses`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/courses");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let courses = record::courses(&mut conn, patient_id).await?;
    let mut list = Vec::new();
    for course in &courses {
        let records = record::dose_records(&mut conn, course.id).await?;
        let doses: Vec<Value> = records
            .iter()
            .map(|stored| {
                let event = &stored.event;
                // An override (a dose given against its decision) is marked as one wherever the dose appears.
                json!({"id": event.id, "status": event.status, "at": crate::rfc3339(event.at_ms), "assessment_id": event.assessment_id,
                       "slot": stored.slot_number, "override": event.status == "given" && event.override_reason.is_some(),
                       "reason_code": stored.reason_code, "override_reason": event.override_reason,
                       "cosigned_by": stored.cosigned_by, "corrects_id": event.corrects_id, "recorded_by": event.recorded_by})
            })
            .collect();
        list.push(json!({"id": course.id, "regimen": course.regimen, "rule_set": course.rule_set,
                         "started_at": crate::rfc3339(course.started_at_ms),
                         "baseline_weight": stored_quantity(course.baseline_weight_kg.as_deref(), "kg"),
                         "baseline_creatinine": stored_quantity(course.baseline_creatinine_mg_dl.as_deref(), "mg/dL"),
                         "doses": doses, "schedule": schedule_of(course, &patient.time_zone)}));
    }
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"courses": list})))
}

/// The site setting that chooses the rule set of new courses.
pub const DEFAULT_RULE_SET_SETTING: &str = "default_rule_set";

/// The rule set new courses get: `consensus` unless a physician set the site to `label`.
pub async fn site_rule_set(conn: &mut Conn) -> Result<RuleSet, AppError> {
    let setting = record::site_setting(conn, DEFAULT_RULE_SET_SETTING).await?;
    Ok(crate::api::assessments::default_rule_set(setting.as_deref()))
}

/// The typed events of a course from the record: its decisions, dose records and cycle-2 delay. The one
/// reader for the API, the pages and CDS Hooks (`il2care_app::course_record::course_events`).
pub async fn course_events(conn: &mut Conn, course: &Course) -> Result<CourseEvents, AppError> {
    Ok(il2care_app::course_record::course_events(conn, course).await?)
}

/// `POST /api/v1/patients/{id}/cycle-2-delays` with `{"course_id", "start_day", "reason"}` (physician): cycle 2
/// starts on `start_day` (16 or later) and runs five days (ASSESSMENT §10.5). Audited.
pub async fn delay_cycle_two(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let resource = format!("patient/{patient_id}/cycle-2-delays");
    authorize_write(&state, &actor, &[Role::Physician], Some(patient_id), &resource).await?;
    let object = parse_object(&json_text(&headers, &body)?)?;
    refuse_unknown_fields(&object, &["course_id", "start_day", "reason"], "")?;
    let course_id =
        required(&object, "course_id", "")?.as_i64().ok_or_else(|| Refusal::new("course_id", "must be a record id"))?;
    let first = il2care_core::course::CYCLE_TWO_DAY + 1;
    let last = il2care_core::course::LATEST_CYCLE_TWO_DAY;
    let start_day = required(&object, "start_day", "")?
        .as_u64()
        .and_then(|day| u32::try_from(day).ok())
        .filter(|day| (first..=last).contains(day))
        .ok_or_else(|| {
            Refusal::new("start_day", format!("must be a course day from {first} to {last} (day 15 is the label's)"))
        })?;
    let reason = string(required(&object, "reason", "")?, "reason")?.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(Refusal::new("reason", "is required: 1 to 2000 characters").into());
    }
    let mut tx = state.store.begin().await?;
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    let events = course_events(&mut tx, &course).await?;
    let now = jiff::Timestamp::now();
    let state_now = course_state(&events, now);
    if state_now.cycle == 2 && state_now.doses_given_cycle > 0 {
        return Err(Refusal::new("start_day", "cycle 2 has begun: doses were given in it").into());
    }
    let id = record::add_cycle_two_delay(
        &mut tx,
        course.id,
        i64::from(start_day),
        &reason,
        crate::now_ms(),
        &actor.user.username,
    )
    .await?;
    by_actor(&mut tx, &actor, "write", &format!("course/{}/cycle-2-delay/{id}", course.id), Some(patient_id), "ok")
        .await?;
    tx.commit().await?;
    let windows = il2care_core::course::cycle_windows(Some(start_day));
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "course_id": course.id, "cycle_2_days": [windows.1.0, windows.1.1]})),
    ))
}

/// `POST /api/v1/patients/{id}/settings` with `{"target_systolic_bp": {"value", "unit": "mm[Hg]"} | null}`
/// (physician): the patient's consensus target systolic pressure, used by every decision. Audited.
pub async fn patient_settings(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let resource = format!("patient/{patient_id}/settings");
    authorize_write(&state, &actor, &[Role::Physician], Some(patient_id), &resource).await?;
    let object = parse_object(&json_text(&headers, &body)?)?;
    refuse_unknown_fields(&object, &["target_systolic_bp"], "")?;
    let value = required(&object, "target_systolic_bp", "")?;
    let target = if value.is_null() {
        None
    } else {
        let target: il2care_core::units::MillimetresMercury = measure(value, "target_systolic_bp")?;
        if target.value() < dec!(60) || target.value() > dec!(200) {
            return Err(Refusal::new("target_systolic_bp", format!("{target} is outside 60 to 200 mm[Hg]")).into());
        }
        Some(target.value().normalize().to_string())
    };
    let mut tx = state.store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    let id =
        record::set_target_systolic_bp(&mut tx, patient_id, target.as_deref(), crate::now_ms(), &actor.user.username)
            .await?;
    by_actor(&mut tx, &actor, "write", &format!("patient/{patient_id}/settings/{id}"), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "target_systolic_bp": value}))))
}

/// `POST /api/v1/settings` with `{"tachycardia_hold_min": {"value", "unit": "/min"}, "default_rule_set"}`
/// (physician): the site's consensus tachycardia threshold (60 to 130 /min) and the rule set of new courses.
/// Audited; used by every later decision.
pub async fn site_settings(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    authorize_write(&state, &actor, &[Role::Physician], None, "settings").await?;
    let object = parse_object(&json_text(&headers, &body)?)?;
    refuse_unknown_fields(&object, &["tachycardia_hold_min", "default_rule_set"], "")?;
    let mut changes: Vec<(&str, String)> = Vec::new();
    if let Some(value) = object.get("tachycardia_hold_min") {
        let rate: il2care_core::units::PerMinute = measure(value, "tachycardia_hold_min")?;
        let overrides = il2care_core::assessment::thresholds::SiteOverrides {
            tachycardia_hold_min: Some(rate),
            max_ages: Vec::new(),
        };
        il2care_core::assessment::thresholds::Parameters::with_overrides(&overrides)
            .map_err(|refusal| Refusal::new("tachycardia_hold_min", refusal.reason))?;
        changes.push((crate::api::assessments::TACHYCARDIA_SETTING, rate.value().normalize().to_string()));
    }
    if let Some(value) = object.get("default_rule_set") {
        let id = string(value, "default_rule_set")?;
        if RuleSet::from_id(id).is_none() {
            return Err(Refusal::new("default_rule_set", format!("`{id}` is not label or consensus")).into());
        }
        changes.push((DEFAULT_RULE_SET_SETTING, id.to_string()));
    }
    if changes.is_empty() {
        return Err(Refusal::new("tachycardia_hold_min", "is required (or default_rule_set): nothing to set").into());
    }
    let mut tx = state.store.begin().await?;
    for (name, value) in &changes {
        let id = record::set_site_setting(&mut tx, name, value, crate::now_ms(), &actor.user.username).await?;
        by_actor(&mut tx, &actor, "write", &format!("settings/{name}/{id}"), None, "ok").await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"set": changes.iter().map(|(name, _)| *name).collect::<Vec<_>>()}))))
}
