//! The care team's pages: the worklist (nurse, physician), the course page of a patient with its schedule,
//! decisions, assessment form, dose record, injection log, latest screening and trend charts (nurse,
//! physician; read-only for the pharmacist), and the pharmacist's dose verification and screening. Reads are
//! audited like the API's; writes go through the API's own functions, so they are validated, decided and
//! audited exactly alike.

use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_core::dosing::{DoseRequest, calculate};
use il2care_core::regimens::regimen;
use il2care_core::units::{Kilograms, Measure};
use il2care_store::record::{self, Course, Patient};
use maud::{Markup, html};
use rust_decimal::Decimal;

use super::forms::{self, MEASURE_FIELDS, Pairs};
use super::layout::{Audience, shell};
use super::screening_view::{ScreeningView, screening_view};
use super::view::{self, DecisionView};
use super::{PageError, PageResult, chart, page, signed_in};
use crate::AppState;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// Refuses (and audits) a staff page for a role that may not see it.
async fn require(state: &AppState, actor: &Actor, roles: &[Role], resource: &str) -> Result<(), PageError> {
    if let Err(error) = actor.require(roles) {
        let mut conn = state.store.connection().await?;
        by_actor(&mut conn, actor, "denied", resource, None, "denied").await?;
        return Err(error.into());
    }
    Ok(())
}

/// `GET /worklist` (nurse, physician): the API's worklist items with names and local times; refreshes
/// itself every minute (a meta refresh, so it works without JavaScript).
pub async fn worklist(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    require(&state, &actor, &[Role::Nurse, Role::Physician], "worklist").await?;
    let mut conn = state.store.connection().await?;
    let items = crate::api::worklist::worklist_items(&mut conn, crate::now_ms()).await?;
    let patients = record::patients(&mut conn).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, "worklist", None).await?;
    let rows = view::worklist_rows(&items, &patients);
    let head = html! { meta http-equiv="refresh" content="60"; };
    Ok(page(shell(
        "Worklist",
        Some(&actor),
        Audience::Staff,
        head,
        html! {
            h1 { "Worklist" }
            p.note { "Most urgent first. This page refreshes itself every minute." }
            @if rows.is_empty() {
                p { "Nobody needs attention now." }
            } @else {
                table {
                    caption.note { "Due doses with their current decision, and new check-ins by triage level" }
                    thead { tr { th scope="col" { "Patient" } th scope="col" { "What" } th scope="col" { "Status" }
                                 th scope="col" { "Why" } th scope="col" { "When" } } }
                    tbody {
                        @for row in &rows {
                            tr {
                                td { a href=(format!("/patients/{}", row.patient_id)) { (row.patient) } " (" (row.mrn) ")" }
                                td { (row.kind) }
                                td { span class=(format!("badge {}", row.status_class)) { (row.status) } }
                                td { (row.detail) }
                                td { (row.when) }
                            }
                        }
                    }
                }
            }
        },
    )))
}

/// The latest course of a patient (by start).
fn latest_course(courses: Vec<Course>) -> Option<Course> {
    courses.into_iter().max_by_key(|course| (course.started_at_ms, course.id))
}

fn patient_heading(patient: &Patient) -> Markup {
    html! {
        h1 { (patient.display_name) }
        p { "MRN " (patient.mrn) " · born " (patient.date_of_birth) " · " (patient.sex) " · times in " (patient.time_zone) }
    }
}

fn decision_block(decision: &DecisionView) -> Markup {
    html! {
        section aria-labelledby=(format!("decision-{}", decision.id)) {
            h3 id=(format!("decision-{}", decision.id)) {
                span class=(format!("badge {}", decision.class)) { (decision.label) } " at " (decision.at) " (" (decision.rule_set) " rule set)"
            }
            @if decision.reasons.is_empty() {
                p { "No rule fired." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Rule" } th scope="col" { "Action" } th scope="col" { "Values" }
                                 th scope="col" { "Threshold" } th scope="col" { "Resume when" } th scope="col" { "Source" } } }
                    tbody {
                        @for reason in &decision.reasons {
                            tr.reason {
                                td { (reason.rule) }
                                td { (reason.action) }
                                td { @for evidence in &reason.evidence { (evidence) br; } }
                                td { (reason.threshold) }
                                td { (reason.resume_when.clone().unwrap_or_default()) }
                                td { (reason.source) }
                            }
                        }
                    }
                }
            }
            @if !decision.not_evaluated.is_empty() {
                details {
                    summary { "Not evaluated: " (decision.not_evaluated.len()) " rules lack data" }
                    ul { @for line in &decision.not_evaluated { li { (line) } } }
                }
            }
            @if !decision.grades.is_empty() {
                p { "CTCAE grades: " (decision.grades.join("; ")) }
            }
        }
    }
}

/// The latest screening of a patient: the overall status, then what fails or needs review with its reasons
/// and sources, the interactions, the names not recognised and the contrast notices.
fn screening_block(screening: Option<&ScreeningView>) -> Markup {
    html! {
        @match screening {
            None => p { "No screening stored." },
            Some(view) => {
                p {
                    span class=(format!("badge {}", view.class)) { (view.status) }
                    " Screened " (view.at) " for " (view.regimen) " by " (view.recorded_by) ": "
                    (view.passed) " of " (view.item_count) " items pass."
                }
                @if !view.items.is_empty() {
                    table {
                        caption.note { "Items that fail or need review" }
                        thead { tr { th scope="col" { "Item" } th scope="col" { "Result" } th scope="col" { "Why" }
                                     th scope="col" { "Source" } } }
                        tbody {
                            @for item in &view.items {
                                tr.screening-item {
                                    td { (item.number) ". " (item.title) }
                                    td { span class=(format!("badge {}", item.class)) { (item.result) } }
                                    td { (item.reasons.join("; ")) }
                                    td { (item.source) }
                                }
                            }
                        }
                    }
                }
                @if !view.interactions.is_empty() {
                    table {
                        caption.note { "Interactions of the medication list" }
                        thead { tr { th scope="col" { "Medication" } th scope="col" { "Class" } th scope="col" { "Level" }
                                     th scope="col" { "Effect and action" } th scope="col" { "Source" } } }
                        tbody {
                            @for hit in &view.interactions {
                                tr.interaction {
                                    td { (hit.medication) " (" (hit.matched_as) ")" }
                                    td { (hit.class_title) }
                                    td { (hit.level) }
                                    td { (hit.effect) ": " (hit.action) }
                                    td { (hit.source) }
                                }
                            }
                        }
                    }
                }
                @if !view.medication_list_provided { p.error { "No medication list was given: it needs review." } }
                @if !view.unrecognised.is_empty() {
                    p.error.unrecognised { "Not recognised (check each by hand): " (view.unrecognised.join("; ")) }
                }
                @for notice in &view.contrast {
                    p.contrast {
                        span class=(format!("badge {}", notice.class)) { "Contrast: " (notice.level) } " "
                        (notice.message) " (" (notice.involves) ", " (notice.contrast_at)
                        @if let Some(ends) = &notice.window_ends_at { "; window ends " (ends) }
                        "; " (notice.source) ")"
                    }
                }
            }
        }
    }
}

fn measure_inputs() -> Markup {
    html! {
        @for measure in MEASURE_FIELDS {
            div.field {
                label for=(measure.code) { (measure.label) }
                input id=(measure.code) name=(measure.code) type="number" step=(measure.step) min="0" inputmode="decimal";
                @if measure.units.len() > 1 {
                    select id=(format!("{}_unit", measure.code)) name=(format!("{}_unit", measure.code))
                        aria-label=(format!("{} unit", measure.label)) {
                        @for unit in measure.units { option value=(unit) { (unit) } }
                    }
                } @else {
                    span { (measure.units[0]) }
                }
                @if measure.code == "urine_output" {
                    label for="urine_hours" { "over the last" }
                    input id="urine_hours" name="urine_hours" type="number" step="0.5" min="0.5" max="24" value="4";
                    span { "h" }
                }
            }
        }
    }
}

fn assessment_form(patient_id: i64, course_id: i64, token: &str) -> Markup {
    html! {
        section aria-labelledby="assess-heading" {
            h2 id="assess-heading" { "Assessment for the next dose" }
            p.note { "Enter what was measured now; leave the rest empty. Earlier values of the last 48 h are used too." }
            form.stack method="post" action=(format!("/patients/{patient_id}/assessment")) {
                input type="hidden" name="course_id" value=(course_id);
                input type="hidden" name="form_token" value=(token);
                fieldset { legend { "Vital signs, urine output, weight and labs" } (measure_inputs()) }
                fieldset {
                    legend { "Findings" }
                    div.field {
                        input type="checkbox" id="findings_reviewed" name="findings_reviewed" value="yes";
                        label for="findings_reviewed" { "I reviewed the findings: those not ticked below are absent" }
                    }
                    @for code in forms::checkbox_findings() {
                        div.field {
                            input type="checkbox" id=(format!("finding-{code}")) name="finding" value=(code);
                            label for=(format!("finding-{code}")) { (code.replace('_', " ")) " (present)" }
                        }
                    }
                }
                button.primary type="submit" { "Get the decision" }
            }
        }
    }
}

fn dose_form(
    patient_id: i64,
    course_id: i64,
    latest: Option<&DecisionView>,
    slot: Option<il2care_core::course::DoseSlot>,
    idempotency_key: &str,
) -> Markup {
    html! {
        section aria-labelledby="dose-heading" {
            h2 id="dose-heading" { "Record the dose" }
            form.stack method="post" action=(format!("/patients/{patient_id}/dose")) {
                input type="hidden" name="course_id" value=(course_id);
                // The form's idempotency key: Back + resubmit answers the first record instead of storing twice.
                input type="hidden" name="idempotency_key" value=(idempotency_key);
                @if let Some(slot) = slot {
                    input type="hidden" name="slot" value=(slot.number());
                    p { strong { "Slot " (slot.number()) } " (cycle " (slot.cycle) ", slot " (slot.slot) " of the cycle)" }
                } @else {
                    p { "No slot to record: record a decision in a cycle window first." }
                }
                @if let Some(latest) = latest {
                    input type="hidden" name="assessment_id" value=(latest.id);
                    p { "Following the decision " span class=(format!("badge {}", latest.class)) { (latest.label) } " of " (latest.at) "." }
                } @else {
                    p { "No decision yet: a dose is given only against a decision for its slot." }
                }
                fieldset {
                    legend { "The dose was" }
                    div.field { input type="radio" id="status-given" name="status" value="given" required;
                                label for="status-given" { "Given" } }
                    div.field { input type="radio" id="status-held" name="status" value="held";
                                label for="status-held" { "Held" } }
                }
                div.field {
                    label for="reason_code" { "Reason (required to give against a hold, or to hold against give)" }
                    select id="reason_code" name="reason_code" {
                        option value="" { "(none)" }
                        @for code in il2care_core::course::ReasonCode::ALL { option value=(code.id()) { (code.label()) } }
                    }
                }
                div.field {
                    label for="override_reason" { "Override reason in words (required when giving against the decision)" }
                    textarea id="override_reason" name="override_reason" rows="2" cols="60" maxlength="2000" {}
                }
                button.primary type="submit" { "Record the dose" }
            }
        }
    }
}

/// The patient's check-ins, newest first, with the call-back form for those not yet acknowledged.
fn checkins_section(rows: &[view::CheckInRow], patient_id: i64, actor: &Actor) -> Markup {
    let may_call_back = matches!(actor.role, Role::Nurse | Role::Physician);
    html! {
        @if !rows.is_empty() {
            section aria-labelledby="checkins-heading" id="checkins" {
                h2 id="checkins-heading" { "Check-ins" }
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Level" } th scope="col" { "Reported" }
                                 th scope="col" { "Call back" } } }
                    tbody {
                        @for row in rows {
                            tr {
                                td { (row.at) }
                                td { span class=(format!("badge {}", row.class)) { (row.level) } }
                                td { (row.reported.join("; ")) }
                                td {
                                    @if row.acknowledged {
                                        "Called back"
                                    } @else if may_call_back {
                                        form method="post" action=(format!("/checkins/{}/acknowledge", row.id)) {
                                            input type="hidden" name="patient_id" value=(patient_id);
                                            label for=(format!("note-{}", row.id)) { "Call-back note" }
                                            " "
                                            input type="text" id=(format!("note-{}", row.id)) name="note" maxlength="2000";
                                            " "
                                            button type="submit" { "Called back" }
                                        }
                                    } @else {
                                        "Not yet"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /checkins/{id}/acknowledge` (nurse, physician): the call back, with its note.
pub async fn acknowledge(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(checkin_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let note = forms::field(&pairs, "note").unwrap_or("");
    let document = serde_json::json!({"note": note}).to_string();
    crate::api::checkins::acknowledge_document(&state, &actor, checkin_id, &document).await?;
    let target = match forms::field(&pairs, "patient_id").and_then(|id| id.parse::<i64>().ok()) {
        Some(patient_id) => format!("/patients/{patient_id}#checkins"),
        None => "/worklist".to_string(),
    };
    Ok(see_other(&target))
}

/// `GET /patients/{id}`: the course page (nurse, physician, pharmacist).
pub async fn course_page(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let resource = format!("patient/{patient_id}");
    let mut conn = state.store.connection().await?;
    if !actor.role.is_clinical_staff() {
        by_actor(&mut conn, &actor, "denied", &resource, Some(patient_id), "denied").await?;
        return Err(AppError::Forbidden("this page is for the care team".into()).into());
    }
    let patient = record::patient(&mut conn, patient_id).await?;
    let courses = record::courses(&mut conn, patient_id).await?;
    let assessments = record::assessments(&mut conn, patient_id).await?;
    let observations = record::observations(&mut conn, patient_id, i64::MIN).await?;
    let checkins = record::checkins(&mut conn, patient_id).await?;
    let injections = record::injections(&mut conn, patient_id).await?;
    let screening = record::screenings(&mut conn, patient_id).await?.into_iter().next();
    for read in ["", "/courses", "/assessments", "/observations", "/checkins", "/injections", "/screenings"] {
        crate::audit::read(&state, &actor, &format!("{resource}{read}"), Some(patient_id)).await?;
    }
    let zone = patient.time_zone.clone();
    let now = crate::now_ms();
    let screening = screening.map(|screening| screening_view(&screening, &zone));
    let screening_section = html! {
        section aria-labelledby="screening-heading" id="screening" {
            h2 id="screening-heading" { "Pre-treatment screening" }
            (screening_block(screening.as_ref()))
        }
    };
    let checkin_section = checkins_section(&view::checkin_rows(&checkins, &zone), patient_id, &actor);
    let Some(course) = latest_course(courses) else {
        return Ok(page(shell(
            &patient.display_name,
            Some(&actor),
            Audience::Staff,
            html! {},
            html! { (patient_heading(&patient)) p { "No course recorded." } (screening_section) (checkin_section) },
        )));
    };
    let events = record::dose_events(&mut conn, course.id).await?;
    let slots = view::slot_rows(&course, &events, &zone, now);
    let decisions: Vec<DecisionView> = assessments
        .iter()
        .filter(|assessment| assessment.course_id == Some(course.id))
        .take(5)
        .map(|assessment| view::decision_view(assessment, &zone))
        .collect();
    let course_decisions: Vec<record::Assessment> =
        assessments.iter().filter(|assessment| assessment.course_id == Some(course.id)).cloned().collect();
    let grades = view::grade_table(&course_decisions, &zone);
    let charts = chart::course_series(&observations, &course.rule_set, course.baseline_weight_kg.as_deref());
    let may_record = matches!(actor.role, Role::Nurse | Role::Physician);
    let high_dose = course.regimen == "hd-iv";
    let injection_log = crate::api::injections::is_injection_course(&course)
        .then(|| super::injection_log::injection_log(&course, &injections, &zone, now));
    let token = crate::auth::new_token()?;
    let dose_key = crate::auth::new_token()?;
    let dose_slot = crate::api::courses::course_events(&mut conn, &course)
        .await?
        .decisions
        .iter()
        .max_by_key(|decision| (decision.at, decision.id))
        .and_then(|decision| decision.slot);
    Ok(page(shell(
        &patient.display_name,
        Some(&actor),
        Audience::Staff,
        html! {},
        html! {
            (patient_heading(&patient))
            p { a href=(format!("/patients/{}/timeline.csv", patient.id)) { "Download the timeline (CSV)" }
                " · Print this page for a course summary (forms are left out of the print)." }
            p {
                "Course: " strong { (course.regimen) } ", " (course.rule_set) " rule set, started "
                (view::local_time(course.started_at_ms, &zone))
                @if let Some(weight) = &course.baseline_weight_kg { ", baseline weight " (weight) " kg" }
                @if let Some(creatinine) = &course.baseline_creatinine_mg_dl { ", baseline creatinine " (creatinine) " mg/dL" }
            }
            section aria-labelledby="decision-heading" id="decision" {
                h2 id="decision-heading" { "Latest decisions" }
                @if decisions.is_empty() { p { "No decision recorded yet." } }
                @for decision in &decisions { (decision_block(decision)) }
            }
            (screening_section)
            (checkin_section)
            @if let Some(log) = &injection_log {
                section aria-labelledby="injections-heading" id="injections" {
                    h2 id="injections-heading" { "Injection log" }
                    p.note { "Logged by the patient (or the team) for each planned shot; times in " (zone) "." }
                    (super::patient::injection_table(log, true))
                }
            }
            @if may_record && high_dose {
                (assessment_form(patient.id, course.id, &token))
                (dose_form(patient.id, course.id, decisions.first(), dose_slot, &dose_key))
            }
            section aria-labelledby="trends-heading" {
                h2 id="trends-heading" { "Trends" }
                p.note { "Dashed red lines are the hold thresholds of the " (course.rule_set) " rule set." }
                div.grid { @for series in &charts { (chart::render(series)) } }
            }
            @if !grades.terms.is_empty() {
                section aria-labelledby="grades-heading" {
                    h2 id="grades-heading" { "CTCAE v5.0 grades over time" }
                    table {
                        thead { tr { th scope="col" { "Decision at" } @for term in &grades.terms { th scope="col" { (term) } } } }
                        tbody {
                            @for (at, cells) in &grades.rows {
                                tr {
                                    th scope="row" { (at) }
                                    @for cell in cells {
                                        td { @if let Some(grade) = cell { "grade " (grade) } @else { "not graded" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="schedule-heading" {
                h2 id="schedule-heading" { "Schedule" }
                table {
                    thead { tr { th scope="col" { "Slot" } th scope="col" { "Cycle" } th scope="col" { "Day" }
                                 th scope="col" { "Time" } th scope="col" { "Dose" } th scope="col" { "Recorded by" } } }
                    tbody {
                        @for slot in &slots {
                            tr {
                                td { (slot.number) } td { (slot.cycle) } td { (slot.day) } td { (slot.at) }
                                td class=(slot.status.class()) { (slot.status.label())
                                    @if let Some(reason) = &slot.override_reason { " (override: " (reason) ")" } }
                                td { (slot.recorded_by.clone().unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        },
    )))
}

fn now_text() -> String {
    crate::rfc3339(crate::now_ms())
}

/// `POST /patients/{id}/assessment`: stores the entered observations, then evaluates and records the decision
/// from the record, and shows the course page at the decision.
pub async fn assess(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let pairs: &Pairs = &pairs;
    let course_id: i64 = forms::field(pairs, "course_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| il2care_core::Refusal::new("course_id", "is required"))?;
    let now = crate::now_ms();
    let at = crate::rfc3339(now);
    let observations = forms::assessment_observations(pairs, &at, now)?;
    // The observations go with the decision, in one transaction: a refused assessment stores none of them.
    let mut document = forms::assessment_document(pairs, course_id, &at);
    if !observations.is_empty() {
        document["observations"] = serde_json::Value::Array(observations);
    }
    let document = document.to_string();
    crate::api::assessments::evaluate_and_record_document(&state, &actor, patient_id, &document).await?;
    Ok(see_other(&format!("/patients/{patient_id}#decision")))
}

fn see_other(target: &str) -> axum::response::Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response()
}

/// `POST /patients/{id}/dose`: records the dose given or held (an override needs its reason).
pub async fn record_dose(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let document = forms::dose_document(&pairs, &now_text())?.to_string();
    crate::api::doses::record_dose_document(&state, &actor, patient_id, &document).await?;
    Ok(see_other(&format!("/patients/{patient_id}#schedule-heading")))
}

/// One course's dose verification on the pharmacist's page.
struct Verification {
    patient: Patient,
    course: Course,
    lines: Result<Vec<view::DoseLine>, String>,
    warnings: Vec<String>,
}

/// `GET /pharmacy` (pharmacist; also nurse and physician): the dose of every course from its regimen and
/// baseline weight, calculated by the core.
pub async fn pharmacy(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    require(&state, &actor, &[Role::Pharmacist, Role::Nurse, Role::Physician], "patients").await?;
    let mut conn = state.store.connection().await?;
    let patients = record::patients(&mut conn).await?;
    crate::audit::read(&state, &actor, "patients", None).await?;
    let mut verifications = Vec::new();
    let mut screenings = Vec::new();
    for patient in &patients {
        let latest = record::screenings(&mut conn, patient.id).await?.into_iter().next();
        crate::audit::read(&state, &actor, &format!("patient/{}/screenings", patient.id), Some(patient.id)).await?;
        screenings.push((patient.clone(), latest.map(|screening| screening_view(&screening, &patient.time_zone))));
    }
    let may_screen = matches!(actor.role, Role::Pharmacist | Role::Physician);
    let token = crate::auth::new_token()?;
    for patient in patients {
        let courses = record::courses(&mut conn, patient.id).await?;
        crate::audit::read(&state, &actor, &format!("patient/{}/courses", patient.id), Some(patient.id)).await?;
        for course in courses {
            let weight = course
                .baseline_weight_kg
                .as_deref()
                .and_then(|text| text.parse::<Decimal>().ok())
                .and_then(|value| Kilograms::new(value).ok());
            let (lines, warnings) = match regimen(&course.regimen) {
                None => (Err(format!("unknown regimen {}", course.regimen)), Vec::new()),
                Some(regimen) => {
                    let request = DoseRequest { regimen, level: None, weight, height: None, prepared_at: None };
                    match calculate(request) {
                        Ok(calculation) => (
                            Ok(view::dose_lines(&calculation)),
                            calculation.warnings.iter().map(|warning| warning.message.clone()).collect(),
                        ),
                        Err(refusal) => (Err(format!("{}: {}", refusal.field, refusal.reason)), Vec::new()),
                    }
                }
            };
            verifications.push(Verification { patient: patient.clone(), course, lines, warnings });
        }
    }
    Ok(page(shell(
        "Dose verification",
        Some(&actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Dose verification" }
            p.note { "Each course's dose from its regimen and the dosing weight recorded at its start." }
            @for verification in &verifications {
                section {
                    h2 { (verification.patient.display_name) " (" (verification.patient.mrn) "): " (verification.course.regimen) }
                    @match &verification.lines {
                        Ok(lines) => {
                            table {
                                tbody { @for line in lines { tr { th scope="row" { (line.what) } td { (line.value) } } } }
                            }
                            @for warning in &verification.warnings { p.error { (warning) } }
                        }
                        Err(reason) => { p { "Cannot calculate: " (reason) } }
                    }
                }
            }
            h2 id="screening" { "Pre-treatment screening" }
            p.note { "The latest screening of each patient: items that fail or need review, interactions, names not recognised, contrast notices." }
            @for (patient, screening) in &screenings {
                section id=(format!("screening-{}", patient.id)) aria-labelledby=(format!("screening-heading-{}", patient.id)) {
                    h3 id=(format!("screening-heading-{}", patient.id)) { (patient.display_name) " (" (patient.mrn) ")" }
                    (screening_block(screening.as_ref()))
                }
            }
            @if may_screen {
                section aria-labelledby="screen-heading" {
                    h2 id="screen-heading" { "Screen a patient" }
                    p.note { "Paste a screening document (JSON, as in docs/screening.md). It is evaluated and stored with its result." }
                    form.stack method="post" action="/pharmacy/screenings" {
                        input type="hidden" name="client_id" value=(token);
                        div.field {
                            label for="screen-patient" { "Patient" }
                            select id="screen-patient" name="patient_id" {
                                @for (patient, _) in &screenings { option value=(patient.id) { (patient.display_name) " (" (patient.mrn) ")" } }
                            }
                        }
                        div.field {
                            label for="screen-document" { "Screening document (JSON)" }
                            textarea id="screen-document" name="document" rows="12" cols="80" required {}
                        }
                        button.primary type="submit" { "Screen and store" }
                    }
                }
            }
        },
    )))
}

/// `POST /pharmacy/screenings` (pharmacist, physician): evaluates and stores the pasted screening document
/// like `POST /api/v1/patients/{id}/screenings`, then shows the patient's result on the pharmacist page.
pub async fn screen(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id: i64 = forms::field(&pairs, "patient_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| il2care_core::Refusal::new("patient_id", "choose a patient"))?;
    let text = forms::field(&pairs, "document")
        .ok_or_else(|| il2care_core::Refusal::new("document", "paste the screening document"))?;
    let mut document = il2care_wire::json::parse_object(text)?;
    if let Some(client_id) = forms::field(&pairs, "client_id") {
        document.insert("client_id".into(), serde_json::json!(client_id));
    }
    let document = serde_json::Value::Object(document).to_string();
    crate::api::screenings::submit_document(&state, &actor, patient_id, &document).await?;
    Ok(see_other(&format!("/pharmacy#screening-{patient_id}")))
}

/// `GET /audit` (admin): the latest audit entries, newest first, as `GET /api/v1/audit` lists them.
pub async fn audit_log(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    require(&state, &actor, &[Role::Admin], "audit").await?;
    let mut conn = state.store.connection().await?;
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: None, limit: 200 };
    let entries = il2care_store::audit::query(&mut conn, &query).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, "audit", None).await?;
    Ok(page(shell(
        "Audit log",
        Some(&actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Audit log" }
            p.note { "The latest 200 entries, newest first; times in UTC. Filter with GET /api/v1/audit." }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Role" } th scope="col" { "Action" }
                             th scope="col" { "Resource" } th scope="col" { "Patient" } th scope="col" { "Outcome" }
                             th scope="col" { "From" } } }
                tbody {
                    @for entry in &entries {
                        tr {
                            td { (view::local_time(entry.at_ms, "UTC")) } td { (entry.actor) } td { (entry.actor_role) }
                            td { (entry.action) } td { (entry.resource) }
                            td { (entry.patient_id.map(|id| id.to_string()).unwrap_or_default()) }
                            td { (entry.outcome) } td { (entry.remote) }
                        }
                    }
                }
            }
        },
    )))
}

/// `GET /patients/{id}/timeline.csv` (nurse, physician, pharmacist): everything recorded for the patient's
/// courses, oldest first, times in the patient's zone and in UTC.
pub async fn timeline_csv(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let resource = format!("patient/{patient_id}/timeline");
    let mut conn = state.store.connection().await?;
    if !actor.role.is_clinical_staff() {
        by_actor(&mut conn, &actor, "denied", &resource, Some(patient_id), "denied").await?;
        return Err(AppError::Forbidden("the timeline is for the care team".into()).into());
    }
    let patient = record::patient(&mut conn, patient_id).await?;
    let observations = record::observations(&mut conn, patient_id, i64::MIN).await?;
    let mut events = Vec::new();
    for course in record::courses(&mut conn, patient_id).await? {
        events.extend(record::dose_events(&mut conn, course.id).await?);
    }
    let injections = record::injections(&mut conn, patient_id).await?;
    let assessments = record::assessments(&mut conn, patient_id).await?;
    let checkins = record::checkins(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let csv = view::timeline_csv(&observations, &events, &injections, &assessments, &checkins, &patient.time_zone);
    let disposition = format!("attachment; filename=\"il2care-{}-timeline.csv\"", patient.mrn.replace(['"', '\\'], ""));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response())
}
