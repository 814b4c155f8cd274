//! Admitting a patient (`/patients/new`: demographics, MRN with its identifier system, language and units)
//! and starting a course (`/patients/{id}/courses/new`: regimen in words, rule set, weight and height with
//! their units, start in the ward's time zone). The forms become the JSON documents of `POST
//! /api/v1/patients` and `POST /api/v1/patients/{id}/courses` and go through the same functions (the use cases
//! `il2care_app::patients::admit` and the course API's), so every rule is checked once; a refused form comes
//! back filled in (422) with the field marked in words.

use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_app::patients::{self, Patient};
use il2care_core::Refusal;
use il2care_core::regimens::REGIMENS;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::admin::{choice, input, refusal_banner};
use super::forms::{self, Pairs};
use super::layout::{Audience, shell};
use super::{PageResult, page, signed_in};
use crate::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;

fn value<'a>(pairs: Option<&'a Pairs>, name: &str, default: &'a str) -> &'a str {
    pairs.and_then(|pairs| forms::field(pairs, name)).unwrap_or(default)
}

fn admit_page(state: &AppState, actor: &Actor, back: Option<(&Pairs, &Refusal)>) -> Markup {
    let pairs = back.map(|(pairs, _)| pairs);
    let refusal = back.map(|(_, refusal)| refusal);
    let zone = state.site.ward_time_zone.as_str();
    shell(
        "Admit a patient",
        Some(actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Admit a patient" }
            (refusal_banner(refusal))
            form.stack method="post" action="/patients/new" id="admit" {
                (input("name", "Full name", "text", value(pairs, "name", ""), refusal, true, ""))
                (input("date_of_birth", "Date of birth", "date", value(pairs, "date_of_birth", ""), refusal, true, ""))
                (choice("sex", "Sex", &[("female", "Female"), ("male", "Male"), ("unknown", "Unknown")],
                        value(pairs, "sex", "unknown"), refusal))
                (input("mrn", "MRN (medical record number)", "text", value(pairs, "mrn", ""), refusal, true, ""))
                (input("mrn_system", "MRN identifier system", "text", value(pairs, "mrn_system", &state.mrn_system),
                       refusal, true, "the hospital's system; FHIR and CDS Hooks match the patient on it"))
                (input("time_zone", "Patient's time zone", "text", value(pairs, "time_zone", zone), refusal, true,
                       "an IANA name such as America/New_York: their schedule and check-ins use it"))
                (choice("language", "Language of the patient's pages", &[("en", "English"), ("es", "Español (Spanish)")],
                        value(pairs, "language", "en"), refusal))
                (choice("units", "Units the patient reads", &[("metric", "Metric (kg, cm, °C)"), ("us", "US (lb, in, °F)")],
                        value(pairs, "units", "metric"), refusal))
                button.primary type="submit" { "Admit" }
            }
        },
    )
}

/// `GET /patients/new` (nurse, physician).
pub async fn admit_form(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    patients::admission_form(&state.store, actor.app(), crate::now()).await.map_err(AppError::from)?;
    Ok(page(admit_page(&state, &actor, None)))
}

/// `POST /patients/new`: admits the patient and goes to their page (or to starting a course, for a physician).
pub async fn admit(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let mut document = serde_json::Map::new();
    for name in ["mrn", "name", "date_of_birth", "sex", "time_zone", "mrn_system", "language", "units"] {
        document.insert(name.into(), json!(forms::field(&pairs, name).unwrap_or("")));
    }
    match crate::api::patients::create_document(&state, &actor, &Value::Object(document).to_string()).await {
        Ok(admitted) => {
            let target = if actor.role() == Role::Physician {
                format!("/patients/{}/courses/new", admitted.patient.id)
            } else {
                format!("/patients/{}", admitted.patient.id)
            };
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response())
        }
        Err(error @ (AppError::Refused(_) | AppError::Conflict(_))) => {
            let refusal = match error {
                AppError::Refused(refusal) => refusal,
                _ => Refusal::new("mrn", "belongs to another patient already"),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(admit_page(&state, &actor, Some((&pairs, &refusal)))))
                .into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn rule_set_words(id: &str) -> &'static str {
    match il2care_core::assessment::RuleSet::from_id(id) {
        Some(il2care_core::assessment::RuleSet::Label) => "Label: the product label's rules",
        _ => "Consensus: the ward's expert-consensus rules",
    }
}

/// The form's start time: `YYYY-MM-DDTHH:MM` in the ward's zone (what a `datetime-local` input sends).
fn local_input(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn course_page(
    state: &AppState,
    actor: &Actor,
    patient: &Patient,
    default_rule_set: &str,
    back: Option<(&Pairs, &Refusal)>,
) -> Markup {
    let pairs = back.map(|(pairs, _)| pairs);
    let refusal = back.map(|(_, refusal)| refusal);
    let zone = state.site.ward_time_zone.as_str();
    let start_default = local_input(crate::now_ms(), zone);
    let regimens: Vec<(String, String)> = REGIMENS
        .iter()
        .map(|regimen| {
            let words =
                if regimen.off_label { format!("{} (off-label)", regimen.title) } else { regimen.title.to_string() };
            (regimen.id.to_string(), words)
        })
        .collect();
    let regimen_options: Vec<(&str, &str)> = regimens.iter().map(|(id, words)| (id.as_str(), words.as_str())).collect();
    let chosen_regimen = value(pairs, "regimen", REGIMENS.first().map_or("", |regimen| regimen.id));
    shell(
        "Start a course",
        Some(actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Start a course" }
            p { strong { (patient.display_name) } " · MRN " (patient.mrn) " · born " (patient.date_of_birth) }
            (refusal_banner(refusal))
            form.stack method="post" action=(format!("/patients/{}/courses/new", patient.id)) id="start-course" {
                (choice("regimen", "Regimen", &regimen_options, chosen_regimen, refusal))
                (choice("rule_set", "Rule set for the dose decisions",
                        &[("consensus", rule_set_words("consensus")), ("label", rule_set_words("label"))],
                        value(pairs, "rule_set", default_rule_set), refusal))
                div.measure {
                    (input("baseline_weight", "Weight", "number", value(pairs, "baseline_weight", ""), refusal, false,
                           "the dose is calculated from it"))
                    (choice("baseline_weight_unit", "Weight unit", &[("kg", "kg"), ("[lb_av]", "lb")],
                            value(pairs, "baseline_weight_unit", "kg"), refusal))
                }
                div.measure {
                    (input("height", "Height", "number", value(pairs, "height", ""), refusal, false,
                           "for regimens dosed by body surface area"))
                    (choice("height_unit", "Height unit", &[("cm", "cm"), ("[in_i]", "in")],
                            value(pairs, "height_unit", "cm"), refusal))
                }
                (input("started_at", &format!("Start (ward time, {zone})"), "datetime-local",
                       value(pairs, "started_at", &start_default), refusal, true, ""))
                button.primary type="submit" { "Start the course" }
            }
        },
    )
}

/// The start-a-course page's patient and the site's default rule set (physicians; refusals audited).
async fn course_form_data(state: &AppState, actor: &Actor, patient_id: i64) -> Result<patients::CourseForm, AppError> {
    let setting = crate::api::courses::DEFAULT_RULE_SET_SETTING;
    Ok(patients::course_form(&state.store, actor.app(), patient_id, setting, crate::now()).await?)
}

/// The id of the site's default rule set.
fn default_rule_set(form: &patients::CourseForm) -> &'static str {
    crate::api::assessments::default_rule_set(form.default_rule_set.as_deref()).id()
}

/// `GET /patients/{id}/courses/new` (physician).
pub async fn course_form(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let form = course_form_data(&state, &actor, patient_id).await?;
    Ok(page(course_page(&state, &actor, &form.patient, default_rule_set(&form), None)))
}

/// A number typed in a form as a JSON number (so the API reads it as it reads any document).
fn quantity(pairs: &Pairs, name: &str, unit_field: &str) -> Result<Option<Value>, Refusal> {
    let Some(text) = forms::field(pairs, name) else { return Ok(None) };
    let number: rust_decimal::Decimal =
        text.parse().map_err(|_| Refusal::new(name, format!("`{text}` is not a number; write digits such as 72.5")))?;
    let unit = forms::field(pairs, unit_field).ok_or_else(|| Refusal::new(unit_field, "is required"))?;
    Ok(Some(json!({"value": il2care_wire::json::number(number), "unit": unit})))
}

/// The course document of the form, and the height observation (if a height was entered).
fn course_documents(pairs: &Pairs, zone: &str, now_ms: i64) -> Result<(Value, Option<Value>), Refusal> {
    let started_text = forms::field(pairs, "started_at").ok_or_else(|| Refusal::new("started_at", "is required"))?;
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let started =
        started_text.parse::<jiff::civil::DateTime>().ok().and_then(|local| local.to_zoned(tz).ok()).ok_or_else(
            || Refusal::new("started_at", format!("`{started_text}` is not a date and time such as 2026-12-04T08:00")),
        )?;
    let mut course = serde_json::Map::new();
    course.insert("regimen".into(), json!(forms::field(pairs, "regimen").unwrap_or("")));
    if let Some(rule_set) = forms::field(pairs, "rule_set") {
        course.insert("rule_set".into(), json!(rule_set));
    }
    course.insert("started_at".into(), json!(started.timestamp().to_string()));
    if let Some(weight) = quantity(pairs, "baseline_weight", "baseline_weight_unit")? {
        course.insert("baseline_weight".into(), weight);
    }
    let height = quantity(pairs, "height", "height_unit")?
        .map(|value| json!({"code": "height", "value": value, "at": crate::rfc3339(now_ms)}));
    Ok((Value::Object(course), height))
}

/// `POST /patients/{id}/courses/new` (physician): starts the course (and records the height, when given) and
/// goes to the course page; a refusal shows the form again as it was sent (422), with nothing stored.
pub async fn start_course(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    // Who may not start a course is refused (and audited) before the form is read.
    let form = course_form_data(&state, &actor, patient_id).await?;
    let now = crate::now_ms();
    let outcome = async {
        let (course, height) = course_documents(&pairs, &state.site.ward_time_zone, now)?;
        // The height is checked before the course is stored, so a refused height stores nothing.
        if let Some(height) = &height {
            il2care_app::observations::validated_rows(patient_id, vec![height.clone()], "height", crate::now())
                .map_err(|refusal| Refusal::new("height", refusal.reason))?;
        }
        crate::api::courses::create_document(&state, &actor, patient_id, &course.to_string()).await?;
        if let Some(height) = height {
            crate::api::observations::submit_document(&state, &actor, patient_id, &height.to_string()).await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/patients/{patient_id}"))]).into_response()),
        Err(AppError::Refused(refusal)) => {
            let markup = course_page(&state, &actor, &form.patient, default_rule_set(&form), Some((&pairs, &refusal)));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
