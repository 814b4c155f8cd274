//! Patients: `GET/POST /api/v1/patients`, `GET /api/v1/patients/{id}`, and the one access rule every
//! patient-scoped route uses: staff reach every record, a patient only their own, an admin none.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_store::Conn;
use il2care_store::administration::{self, PatientPreferences};
use il2care_store::record::{self, Patient};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Whether `actor` may reach patient `patient_id`'s record; a refusal is audited before it is answered.
pub async fn authorize(conn: &mut Conn, actor: &Actor, patient_id: i64, resource: &str) -> Result<(), AppError> {
    // The application layer's one rule of reach.
    if il2care_app::access::within_reach(actor.role.app(), actor.user.patient_id, patient_id) {
        return Ok(());
    }
    by_actor(conn, actor, "denied", resource, Some(patient_id), "denied").await?;
    Err(AppError::Forbidden("this record is not yours to see".into()))
}

/// Authorizes a write by `actor`: the role must be one of `roles` and, for a patient's record, the record within
/// reach. Every refusal is audited before it is answered, in this one place, so no write endpoint can forget it
/// (ARCHITECTURE: no refused access unaudited).
pub async fn authorize_write(
    state: &crate::AppState,
    actor: &Actor,
    roles: &[Role],
    patient_id: Option<i64>,
    resource: &str,
) -> Result<(), AppError> {
    let refusal = match actor.require(roles) {
        Err(error) => Some(error),
        Ok(()) => {
            let within_reach = match patient_id {
                None => true,
                Some(id) => il2care_app::access::within_reach(actor.role.app(), actor.user.patient_id, id),
            };
            (!within_reach).then(|| AppError::Forbidden("this record is not yours to see".into()))
        }
    };
    match refusal {
        None => Ok(()),
        Some(error) => {
            let mut conn = state.store.connection().await?;
            by_actor(&mut conn, actor, "denied", resource, patient_id, "denied").await?;
            Err(error)
        }
    }
}

/// The patient as JSON.
pub fn patient_json(patient: &Patient, flags: &[String]) -> Value {
    json!({"id": patient.id, "mrn": patient.mrn, "name": patient.display_name, "date_of_birth": patient.date_of_birth,
           "sex": patient.sex, "time_zone": patient.time_zone, "flags": flags})
}

/// `GET /api/v1/patients`: staff see every patient; a patient sees only themself.
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let patients = match actor.role {
        Role::Patient => match actor.user.patient_id {
            Some(id) => vec![record::patient(&mut conn, id).await?],
            None => Vec::new(),
        },
        role if role.is_clinical_staff() => record::patients(&mut conn).await?,
        _ => {
            by_actor(&mut conn, &actor, "denied", "patients", None, "denied").await?;
            return Err(AppError::Forbidden("the admin role does not read clinical records".into()));
        }
    };
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, "patients", actor.user.patient_id).await?;
    let list: Vec<Value> = patients.iter().map(|patient| patient_json(patient, &[])).collect();
    Ok(Json(json!({"patients": list})))
}

/// A birth date in the future or before 1900 is a typing error, never a patient (`today` is the UTC date; a
/// day of slack covers the time zones ahead of UTC).
pub fn plausible_birth_date(born: jiff::civil::Date, today: jiff::civil::Date) -> Result<(), Refusal> {
    let latest = today.tomorrow().unwrap_or(today);
    if born > latest {
        return Err(Refusal::new("date_of_birth", format!("{born} is in the future")));
    }
    if born < jiff::civil::date(1900, 1, 1) {
        return Err(Refusal::new("date_of_birth", format!("{born} is before 1900; check the year")));
    }
    Ok(())
}

/// Reads a new patient's document: the demographics, and the optional `mrn_system` (the identifier system of
/// the MRN; the site's when absent), `language` (`en` or `es`) and `units` (`metric` or `us`).
pub fn new_patient_with_preferences(
    text: &str,
    today: jiff::civil::Date,
    default_mrn_system: &str,
) -> Result<(Patient, PatientPreferences), Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(
        &object,
        &["mrn", "name", "date_of_birth", "sex", "time_zone", "mrn_system", "language", "units"],
        "",
    )?;
    let optional = |name: &str| -> Result<Option<String>, Refusal> {
        object.get(name).map(|value| string(value, name).map(|text| text.trim().to_string())).transpose()
    };
    let mrn_system = optional("mrn_system")?.unwrap_or_else(|| default_mrn_system.to_string());
    if mrn_system.is_empty() || mrn_system.len() > 200 || !mrn_system.contains(':') {
        return Err(Refusal::new(
            "mrn_system",
            "must be a URI such as urn:oid:2.16.840.1.113883.19.5 (1 to 200 characters)",
        ));
    }
    let language = optional("language")?.unwrap_or_else(|| "en".into());
    if !["en", "es"].contains(&language.as_str()) {
        return Err(Refusal::new("language", "must be en (English) or es (Spanish)"));
    }
    let units = optional("units")?.unwrap_or_else(|| "metric".into());
    if !["metric", "us"].contains(&units.as_str()) {
        return Err(Refusal::new("units", "must be metric (kg, cm, °C) or us (lb, in, °F)"));
    }
    let mut demographics = object.clone();
    for name in ["mrn_system", "language", "units"] {
        demographics.remove(name);
    }
    let patient = new_patient(&Value::Object(demographics).to_string(), today)?;
    Ok((patient, PatientPreferences { mrn_system, language, units }))
}

fn new_patient(text: &str, today: jiff::civil::Date) -> Result<Patient, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["mrn", "name", "date_of_birth", "sex", "time_zone"], "")?;
    let text_field = |name: &str| -> Result<String, Refusal> {
        let value = string(required(&object, name, "")?, name)?.trim().to_string();
        if value.is_empty() || value.len() > 200 {
            return Err(Refusal::new(name, "must be 1 to 200 characters"));
        }
        Ok(value)
    };
    let date_of_birth = text_field("date_of_birth")?;
    let born = date_of_birth
        .parse::<jiff::civil::Date>()
        .map_err(|_| Refusal::new("date_of_birth", format!("`{date_of_birth}` is not a date such as 1960-04-02")))?;
    plausible_birth_date(born, today)?;
    let sex = text_field("sex")?;
    if !["female", "male", "unknown"].contains(&sex.as_str()) {
        return Err(Refusal::new("sex", "must be female, male or unknown"));
    }
    let time_zone = text_field("time_zone")?;
    jiff::tz::TimeZone::get(&time_zone)
        .map_err(|_| Refusal::new("time_zone", format!("unknown time zone `{time_zone}`; use an IANA name")))?;
    Ok(Patient { id: 0, mrn: text_field("mrn")?, display_name: text_field("name")?, date_of_birth, sex, time_zone })
}

/// `POST /api/v1/patients` (nurse, physician).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (patient, _) = create_document(&state, &actor, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(patient_json(&patient, &[]))))
}

/// Validates and stores a new patient (the text of the POST body, or the admission page's form as JSON) with
/// their preferences, in one transaction; audited. Shared by the API and the pages.
pub async fn create_document(
    state: &AppState,
    actor: &Actor,
    text: &str,
) -> Result<(Patient, PatientPreferences), AppError> {
    authorize_write(state, actor, &[Role::Nurse, Role::Physician], None, "patients").await?;
    let today = crate::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let (mut patient, preferences) = new_patient_with_preferences(text, today, &state.mrn_system)?;
    let mut tx = state.store.begin().await?;
    let now = crate::now_ms();
    patient.id = record::create_patient(&mut tx, &patient, now, &actor.user.username).await?;
    administration::add_patient_preferences(&mut tx, patient.id, &preferences, now, &actor.user.username).await?;
    by_actor(&mut tx, actor, "write", &format!("patient/{}", patient.id), Some(patient.id), "ok").await?;
    tx.commit().await?;
    Ok((patient, preferences))
}

/// `GET /api/v1/patients/{id}`.
pub async fn read(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let flags = record::flags(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(patient_json(&patient, &flags)))
}
