//! The care team's pages: the worklist (nurse, physician), the course page of a patient with its schedule,
//! decisions, assessment form, dose record, injection log, latest screening and trend charts (nurse,
//! physician; read-only for the pharmacist), and the pharmacist's dose verification and screening. Reads are
//! audited like the API's; writes go through the API's own functions, so they are validated, decided and
//! audited exactly alike.

use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::collections::HashMap;

use il2care_app::views::{self, Patient};
use il2care_core::assessment::Decision;
use il2care_core::assessment::inputs::{FindingCode, FindingKind};
use il2care_core::course::DoseStatus;
use maud::{Markup, html};
use rust_decimal::Decimal;

use super::forms::{self, MEASURE_FIELDS, Pairs};
use super::layout::{Audience, shell};
use super::screening_view::{ScreeningView, screening_view};
use super::view::{self, DecisionView};
use super::words;
use super::{PageResult, cosign, course_charts, page, rules, signed_in, vitals};
use crate::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// The worklist page's search and level filter (`?q=...&level=urgent|all`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct WorklistQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    level: String,
}

/// `GET /worklist` (nurse, physician): who needs me now. One row per patient (the most urgent item first,
/// the others counted), due and overdue times against now, times in the ward's zone, a search by name or MRN
/// and a level filter; refreshes itself every minute (a meta refresh, so it works without JavaScript).
pub async fn worklist(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Query(query): Query<WorklistQuery>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let at = crate::now();
    let now = at.as_millisecond();
    // The worklist's items, and the vital signs' age and the last dose's override of every high-dose course.
    let regimen = il2care_core::dosing::HD_IV;
    let record = views::worklist_record(&state.store, actor.app(), regimen, &vitals::vital_sign_ids(), at).await?;
    let items = crate::api::worklist::items_json(&record.items);
    let max_age =
        vitals::max_age_ms(&il2care_core::assessment::thresholds::Parameters::with_overrides(&record.site_overrides)?);
    let ward = vitals::by_patient(&record.ward, now, max_age);
    let zone = &state.site.ward_time_zone;
    let all = view::worklist_rows(&items, &record.patients, zone, now);
    let total = all.len();
    let level = if query.level == "urgent" { "urgent" } else { "all" };
    let rows = view::filter_worklist(all, &query.q, level);
    let head = html! { meta http-equiv="refresh" content="60"; style { (maud::PreEscaped(course_charts::STYLE)) } };
    Ok(page(shell(
        "Worklist",
        Some(&actor),
        Audience::Staff,
        head,
        html! {
            h1 { "Worklist" }
            p.note { "One row per patient, most urgent first. Times in " (zone) ". This page refreshes itself every minute." }
            form.filters method="get" action="/worklist" {
                label { "Search name or MRN " input type="search" name="q" value=(query.q); }
                " "
                label { "Show "
                    select name="level" {
                        option value="all" selected[level == "all"] { "everyone" }
                        option value="urgent" selected[level == "urgent"] { "holds, stops and red check-ins" }
                    }
                }
                " " button type="submit" { "Filter" }
            }
            @if rows.is_empty() {
                @if total == 0 { p { "Nobody needs attention now." } }
                @else { p { "No patient matches this filter (" (total) " on the worklist)." } }
            } @else {
                div.scroll {
                table.worklist {
                    caption.note { "Due doses with their current decision, and new check-ins by triage level" }
                    thead { tr { th scope="col" { "Patient" } th scope="col" { "Status" }
                                 th scope="col" { "Why" } th scope="col" { "When" } } }
                    tbody {
                        @for row in &rows {
                            tr {
                                td { a href=(format!("/patients/{}", row.patient_id)) { (row.patient) } br; small { "MRN " (row.mrn) } }
                                td {
                                    span class=(format!("badge {}", row.status_class)) { (row.status) } br; small { (row.kind) }
                                    @if ward.get(&row.patient_id).is_some_and(|ward| ward.last_dose_override) {
                                        br; span.override.override-mark { strong { "Override: " } "last dose given against its decision" }
                                    }
                                }
                                td {
                                    (row.detail)
                                    @if !row.rule_ids.is_empty() {
                                        br;
                                        @for (index, rule) in row.rule_ids.iter().enumerate() {
                                            @if index > 0 { ", " }
                                            (rules::rule_link(rule))
                                        }
                                    }
                                    @if !row.others.is_empty() {
                                        details.others {
                                            summary { "and " (row.others.len()) " more" }
                                            ul { @for other in &row.others { li { (other) } } }
                                        }
                                    }
                                }
                                td {
                                    (row.when)
                                    @if let Some(ward) = ward.get(&row.patient_id) {
                                        br; span class=(if ward.vitals.stale { "vitals stale" } else { "vitals" }) { (ward.vitals.text) }
                                    }
                                }
                            }
                        }
                    }
                }
                }
            }
        },
    )))
}

fn patient_heading(patient: &Patient) -> Markup {
    html! {
        h1 { (patient.display_name) }
        p { "MRN " (patient.mrn) " · born " (patient.date_of_birth) " · " (patient.sex) " · times in " (patient.time_zone) }
    }
}

fn decision_block(decision: &DecisionView, overrides: &[&views::DoseEvent], zone: &str) -> Markup {
    html! {
        section aria-labelledby=(format!("decision-{}", decision.id)) {
            h3 id=(format!("decision-{}", decision.id)) {
                span class=(format!("badge {}", decision.class)) { (decision.label) } " at " (decision.at) " (" (decision.rule_set) " rule set)"
            }
            @for event in overrides {
                p.override.override-mark {
                    strong { "Override: " } "a dose was given against this decision at " (view::local_time(event.at_ms, zone))
                    " by " (event.recorded_by)
                    @if let Some(reason) = &event.override_reason { br; small { "Reason: " (reason) } }
                }
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
                                td { (reason.title) br; (rules::rule_link(&reason.rule)) }
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
pub(super) fn screening_block(screening: Option<&ScreeningView>) -> Markup {
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

/// The last recorded value beside a field: its value, unit and age, marked when too old for a decision.
fn last_note(last: Option<&view::LastReading>) -> Markup {
    html! {
        @if let Some(last) = last {
            span class=(if last.stale { "last stale" } else { "last" }) {
                "last: " (last.text) @if last.stale { " (too old to count)" }
            }
        } @else {
            span.last { "none recorded" }
        }
    }
}

fn measure_inputs(last: &HashMap<String, view::LastReading>, back: Option<&FormBack<'_>>) -> Markup {
    let value = |name: &str| back.map_or("", |back| back.value(name)).to_string();
    let invalid = |name: &str| back.is_some_and(|back| back.field == name);
    html! {
        @for measure in MEASURE_FIELDS {
            div.field.invalid[invalid(measure.code)] {
                label for=(measure.code) { (measure.label) }
                input id=(measure.code) name=(measure.code) type="number" step=(measure.step) min="0" inputmode="decimal"
                    value=(value(measure.code)) aria-invalid=[invalid(measure.code).then_some("true")];
                @if measure.units.len() > 1 {
                    @let unit_field = format!("{}_unit", measure.code);
                    select id=(unit_field) name=(unit_field)
                        aria-label=(format!("{} unit", measure.label)) {
                        @for unit in measure.units { option value=(unit) selected[value(&unit_field) == *unit] { (words::unit_text(unit)) } }
                    }
                } @else {
                    span { (words::unit_text(measure.units[0])) }
                }
                @if let Some(hours_field) = interval_hours_field(measure.code) {
                    @match last.get(measure.code).and_then(|reading| reading.interval_end.as_deref()) {
                        Some(end) => {
                            input type="hidden" name=(format!("{}_start", measure.code)) value=(end);
                            span { "since the last interval ended, or over the last" }
                            input id=(hours_field) name=(hours_field) type="number" step="0.5" min="0.5" max="24"
                                aria-label=(format!("{} hours", measure.label));
                        }
                        None => {
                            label for=(hours_field) { "over the last" }
                            input id=(hours_field) name=(hours_field) type="number" step="0.5" min="0.5" max="24" value="4";
                        }
                    }
                    span { "h" }
                }
                (last_note(last.get(measure.code)))
            }
        }
    }
}

/// The hours field of an output volume recorded over an interval.
fn interval_hours_field(code: &str) -> Option<&'static str> {
    match code {
        "urine_output" => Some("urine_hours"),
        "stool_output" => Some("stool_hours"),
        _ => None,
    }
}

/// One finding's input, in the form its rules read it (ASSESSMENT §10.3): a tick for present, yes/no, the
/// words of its scale, or a number of beats or hours.
fn finding_input(code: FindingCode, back: Option<&FormBack<'_>>) -> Markup {
    let name = forms::finding_field(code);
    let id = format!("finding-{}", code.id());
    let label = words::code_text(code.id());
    let given = back.map_or("", |back| back.value(&name));
    let invalid = back.is_some_and(|back| back.field == name);
    html! {
        div.field.invalid[invalid] {
            @match code.kind() {
                FindingKind::PresentAbsent => {
                    input type="checkbox" id=(id) name=(name) value="present"
                        checked[given == "present" || back.is_some_and(|back| back.has("finding", code.id()))];
                    label for=(id) { (label) " (present)" }
                }
                FindingKind::YesNo => {
                    span.label { (label) }
                    input type="radio" id=(format!("{id}-yes")) name=(name) value="yes" checked[given == "yes"];
                    label for=(format!("{id}-yes")) { "yes" }
                    input type="radio" id=(format!("{id}-no")) name=(name) value="no" checked[given == "no"];
                    label for=(format!("{id}-no")) { "no" }
                }
                FindingKind::Scale(scale) => {
                    label for=(id) { (label) }
                    select id=(id) name=(name) aria-invalid=[invalid.then_some("true")] {
                        option value="" { "not answered" }
                        @for word in scale { option value=(word.id()) selected[given == word.id()] { (word.id().replace('_', " ")) } }
                    }
                }
                FindingKind::Beats => {
                    label for=(id) { (label) " (longest run, beats)" }
                    input type="number" id=(id) name=(name) step="1" min="0" inputmode="numeric" value=(given)
                        aria-invalid=[invalid.then_some("true")];
                }
                FindingKind::Hours => {
                    label for=(id) { (label) " (hours)" }
                    input type="number" id=(id) name=(name) step="0.5" min="0" inputmode="decimal" value=(given)
                        aria-invalid=[invalid.then_some("true")];
                }
            }
        }
    }
}

fn assessment_form(
    patient_id: i64,
    course_id: i64,
    token: &str,
    last: &HashMap<String, view::LastReading>,
    back: Option<&FormBack<'_>>,
) -> Markup {
    // A form sent back keeps its token, so the observations already accepted are not stored twice.
    let token = back.map_or(token, |back| back.value("form_token"));
    html! {
        section aria-labelledby="assess-heading" id="assess" {
            h2 id="assess-heading" { "Assessment for the next dose" }
            @if let Some(back) = back {
                div.error role="alert" {
                    p { strong { "Not decided: please check " (words::code_text(&back.field)) ". " } (back.refusal.reason) }
                    p.note { "Nothing of this form was recorded as a decision; your entries are kept below." small.code { " (" (back.refusal.field) ")" } }
                }
            }
            p.note { "Enter what was measured now; leave the rest empty. Earlier values of the last 48 h are used too." }
            form.stack method="post" action=(format!("/patients/{patient_id}/assessment")) {
                input type="hidden" name="course_id" value=(course_id);
                input type="hidden" name="form_token" value=(token);
                fieldset { legend { "Vital signs, oxygen, outputs, weight and labs" } (measure_inputs(last, back)) }
                fieldset {
                    legend { "Findings" }
                    div.field {
                        input type="checkbox" id="findings_reviewed" name="findings_reviewed" value="yes"
                            checked[back.is_some_and(|back| back.has("findings_reviewed", "yes"))];
                        label for="findings_reviewed" { "I reviewed the findings: those left blank below are absent (none, 0 h, 0 beats, test not done, no)" }
                    }
                    @for group in forms::finding_groups() {
                        fieldset.findings {
                            legend { (group.title) }
                            @for code in &group.codes { (finding_input(*code, back)) }
                        }
                    }
                }
                button.primary type="submit" { "Get the decision" }
            }
        }
    }
}

/// The dose form: which slot it records (number, cycle and planned time), the decision it follows, given or
/// held, the reason code and words, and the second physician's co-signature (needed to give against
/// `discontinue_permanently`). A refused form comes back as it was sent (never the password), the field marked.
fn dose_form(
    patient_id: i64,
    course_id: i64,
    latest: Option<&DecisionView>,
    slot: Option<(il2care_core::course::DoseSlot, Option<String>)>,
    idempotency_key: &str,
    back: Option<&FormBack<'_>>,
) -> Markup {
    let value = |name: &str| back.map_or("", |back| back.value(name)).to_string();
    let invalid = |name: &str| back.is_some_and(|back| back.field == name);
    // A form sent back keeps its key: the refused submission stored nothing, and Back + resubmit still stores once.
    let key = back.map(|back| back.value("idempotency_key")).filter(|key| !key.is_empty()).unwrap_or(idempotency_key);
    let against_permanent =
        latest.is_some_and(|latest| views::decision_of(&latest.decision) == Some(Decision::DiscontinuePermanently));
    html! {
        section aria-labelledby="dose-heading" id="dose" {
            h2 id="dose-heading" { "Record the dose" }
            @if let Some(back) = back {
                div.error role="alert" {
                    p { strong { "Not recorded: please check " (words::code_text(&back.field)) ". " } (back.refusal.reason) }
                    p.note { "Nothing of this form was recorded; your entries are kept below." small.code { " (" (back.refusal.field) ")" } }
                }
            }
            form.stack method="post" action=(format!("/patients/{patient_id}/dose")) {
                input type="hidden" name="course_id" value=(course_id);
                // The form's idempotency key: Back + resubmit answers the first record instead of storing twice.
                input type="hidden" name="idempotency_key" value=(key);
                @if let Some((slot, at)) = &slot {
                    input type="hidden" name="slot" value=(slot.number());
                    p.slot { "This records " strong { "slot " (slot.number()) } " (cycle " (slot.cycle) ", dose " (slot.slot) " of the cycle"
                        @if let Some(at) = at { ", planned " (at) } ")." }
                } @else {
                    p { "No slot to record: record a decision in a cycle window first." }
                }
                @if let Some(latest) = latest {
                    input type="hidden" name="assessment_id" value=(latest.id);
                    p { "Following the decision " span class=(format!("badge {}", latest.class)) { (latest.label) } " of " (latest.at) "." }
                } @else {
                    p { "No decision yet: a dose is given only against a decision for its slot." }
                }
                fieldset.invalid[invalid("status")] {
                    legend { "The dose was" }
                    @for (index, (status, words)) in DOSE_STATUS_CHOICES.iter().enumerate() {
                        div.field { input type="radio" id=(format!("status-{status}")) name="status" value=(status)
                                        required[index == 0] checked[value("status") == *status];
                                    label for=(format!("status-{status}")) { (words) } }
                    }
                }
                div.field.invalid[invalid("reason_code")] {
                    label for="reason_code" { "Reason (required to give against a hold, or to hold against give)" }
                    select id="reason_code" name="reason_code" aria-invalid=[invalid("reason_code").then_some("true")] {
                        option value="" { "(none)" }
                        @for code in il2care_core::course::ReasonCode::ALL {
                            option value=(code.id()) selected[value("reason_code") == code.id()] { (code.label()) }
                        }
                    }
                }
                div.field.invalid[invalid("override_reason")] {
                    label for="override_reason" { "Override reason in words (required when giving against the decision)" }
                    textarea id="override_reason" name="override_reason" rows="2" cols="60" maxlength="2000"
                        aria-invalid=[invalid("override_reason").then_some("true")] { (value("override_reason")) }
                }
                fieldset.cosign.invalid[invalid(cosign::USERNAME_FIELD)] {
                    legend { "Second physician's co-signature" }
                    p.note {
                        @if against_permanent { strong { "Required to give against Discontinue permanently: " } }
                        @else { "Only needed to give against Discontinue permanently: " }
                        "a second physician (not you) signs with their own username and password. The password is checked once and not kept."
                    }
                    div.field {
                        label for=(cosign::USERNAME_FIELD) { "Co-signing physician's username" }
                        input type="text" id=(cosign::USERNAME_FIELD) name=(cosign::USERNAME_FIELD) autocomplete="off"
                            value=(value(cosign::USERNAME_FIELD)) aria-invalid=[invalid(cosign::USERNAME_FIELD).then_some("true")];
                    }
                    div.field {
                        label for=(cosign::PASSWORD_FIELD) { "Co-signing physician's password" }
                        input type="password" id=(cosign::PASSWORD_FIELD) name=(cosign::PASSWORD_FIELD) autocomplete="off";
                    }
                }
                button.primary type="submit" { "Record the dose" }
            }
        }
    }
}

/// The dose form's choices: the status word the form sends and its words.
const DOSE_STATUS_CHOICES: [(&str, &str); 2] = [("given", "Given"), ("held", "Held")];

/// The patient's check-ins, newest first, with the call-back form for those nobody has called back yet.
fn checkins_section(rows: &[view::CheckInRow], patient_id: i64, actor: &Actor) -> Markup {
    let may_call_back = matches!(actor.role(), Role::Nurse | Role::Physician);
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
                                    @if row.called_back {
                                        "Called back"
                                    } @else if may_call_back {
                                        form method="post" action=(format!("/checkins/{}/call-back", row.id)) {
                                            input type="hidden" name="patient_id" value=(patient_id);
                                            label for=(format!("note-{}", row.id)) { "Call-back note" }
                                            " "
                                            input type="text" id=(format!("note-{}", row.id)) name="note" maxlength="2000";
                                            " "
                                            input type="checkbox" id=(format!("clears-{}", row.id)) name="clears_next_shot" value="yes";
                                            label for=(format!("clears-{}", row.id)) { "The call cleared the next shot" }
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

/// `POST /checkins/{id}/call-back` (and the deprecated `/checkins/{id}/acknowledge`) (nurse, physician): the call
/// back, with its note.
pub async fn call_back(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(checkin_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let note = forms::field(&pairs, "note").unwrap_or("");
    // Ticking "the call cleared the next shot" lifts the hold after an urgent check-in (TRIAGE amendment 3).
    let clears = forms::field(&pairs, "clears_next_shot") == Some("yes");
    let document = serde_json::json!({"note": note, "clears_next_shot": clears}).to_string();
    crate::api::checkins::call_back_document(&state, &actor, checkin_id, &document).await?;
    let target = match forms::field(&pairs, "patient_id").and_then(|id| id.parse::<i64>().ok()) {
        Some(patient_id) => format!("/patients/{patient_id}#checkins"),
        None => "/worklist".to_string(),
    };
    Ok(see_other(&target))
}

/// `GET /patients/{id}/education` (nurse, physician, pharmacist): the patient's own education sheet, to open
/// and print from the course page (their regimen's text, their name on every page); the read is audited.
pub async fn patient_education(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let facts = views::staff_sheet(&state.store, actor.app(), patient_id, crate::now()).await?;
    let sheet = super::patient::patient_sheet(&state, facts, il2care_content::Language::English);
    Ok(super::sheet_response(sheet))
}

/// `GET /patients/{id}`: the course page (nurse, physician, pharmacist).
pub async fn course_page(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    course_page_with(&state, actor, patient_id, None).await
}

/// Which form of the course page a refusal sends back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackForm {
    Assessment,
    Dose,
}

/// A refused staff form sent back: the fields as they were sent and the refusal to show.
pub struct FormBack<'a> {
    /// The form sent back (the other forms of the page are shown empty).
    pub form: BackForm,
    pub pairs: &'a Pairs,
    pub refusal: &'a il2care_core::Refusal,
    /// The form field the refusal is about (`systolic_bp` for `observations[0].value`).
    pub field: String,
}

impl FormBack<'_> {
    fn value(&self, name: &str) -> &str {
        forms::field(self.pairs, name).unwrap_or("")
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.pairs.iter().any(|(key, given)| key == name && given == value)
    }
}

/// The course page, with a refused assessment form filled in as it was sent when `back` is given.
async fn course_page_with(state: &AppState, actor: Actor, patient_id: i64, back: Option<&FormBack<'_>>) -> PageResult {
    let state = state.clone();
    // One reading of the clock for the whole page: the record's gate and the slots' due times agree.
    let at = crate::now();
    let views::CourseRecord {
        patient,
        course,
        decisions: assessments,
        observations,
        checkins,
        injections,
        screening,
        dose_events: events,
        target_systolic_bp,
        latest,
        site_overrides,
    } = views::course_record(&state.store, actor.app(), patient_id, at).await?;
    let zone = patient.time_zone.clone();
    let now = at.as_millisecond();
    let screening =
        screening.map(il2care_app::screenings::StoredScreening::try_from).transpose().map_err(AppError::from)?;
    let screening = screening.map(|screening| screening_view(&screening, &zone));
    let screening_section = html! {
        section aria-labelledby="screening-heading" id="screening" {
            h2 id="screening-heading" { "Pre-treatment screening" }
            (screening_block(screening.as_ref()))
        }
    };
    let checkin_section = checkins_section(&view::checkin_rows(&checkins, &zone), patient_id, &actor);
    let (Some(course), Some(latest)) = (course, latest) else {
        return Ok(page(shell(
            &patient.display_name,
            Some(&actor),
            Audience::Staff,
            html! {},
            html! { (patient_heading(&patient)) p { "No course recorded." } (screening_section) (checkin_section) },
        )));
    };
    // The course's first-dose gate (issue 16): which items block, who acknowledged or overrode.
    let gate_block = super::screening_form::gate_block(&latest.gate, patient.id, &zone);
    // The pharmacist's sign-off of the prepared dose, for the nurse who gives it.
    let verification_block = super::pharmacy::verification_block(latest.verification.as_ref(), &zone);
    let slots = view::slot_rows(&course, &events, &zone, now);
    let decisions: Vec<DecisionView> = assessments
        .iter()
        .filter(|assessment| assessment.course_id == Some(course.id))
        .take(5)
        .map(|assessment| view::decision_view(assessment, &zone))
        .collect();
    let course_decisions: Vec<views::Decision> =
        assessments.iter().filter(|assessment| assessment.course_id == Some(course.id)).cloned().collect();
    let grades = view::grade_table(&course_decisions, &zone);
    // The charts, with the thresholds in force: the site's overrides and the patient's target pressure.
    let parameters = il2care_core::assessment::thresholds::Parameters::with_overrides(&site_overrides)?;
    let rule_set = il2care_core::assessment::RuleSet::from_id(&course.rule_set)
        .unwrap_or(il2care_core::assessment::RuleSet::Label);
    let thresholds = course_charts::Thresholds {
        rule_set,
        parameters: &parameters,
        target_systolic_bp,
        baseline_weight_kg: course.baseline_weight_kg.as_deref().and_then(|text| text.parse::<Decimal>().ok()),
    };
    let ward_zone = state.site.ward_time_zone.clone();
    let charts =
        course_charts::course_charts(&observations, course.started_at_ms - course_charts::BEFORE_START_MS, &thresholds);
    let axis = course_charts::time_axis(&charts, now, &ward_zone);
    let back_assessment = back.filter(|back| back.form == BackForm::Assessment);
    let back_dose = back.filter(|back| back.form == BackForm::Dose);
    let may_record = matches!(actor.role(), Role::Nurse | Role::Physician);
    let high_dose = il2care_core::regimens::regimen(&course.regimen)
        .is_some_and(|regimen| matches!(regimen.pattern, il2care_core::regimens::Pattern::HighDoseCycles));
    let injection_log = il2care_app::injections::course_log(&course, &injections, &zone)
        .map_err(AppError::from)?
        .map(|log| super::injection_log::injection_log(&log, now));
    let token = crate::auth::new_token()?;
    let dose_key = crate::auth::new_token()?;
    let dose_slot = latest
        .events
        .decisions
        .iter()
        .max_by_key(|decision| (decision.at, decision.id))
        .and_then(|decision| decision.slot)
        .map(|slot| {
            let planned = slots.iter().find(|row| row.number == slot.number()).map(|row| row.at.clone());
            (slot, planned)
        });
    // Doses given against a decision (an override carries its reason), shown with the decision they override.
    let overrides_of = |decision_id: i64| -> Vec<&views::DoseEvent> {
        events
            .iter()
            .filter(|event| {
                event.assessment_id == Some(decision_id)
                    && views::dose_status_of(&event.status) == Some(DoseStatus::Given)
                    && event.override_reason.is_some()
            })
            .collect()
    };
    Ok(page(shell(
        &patient.display_name,
        Some(&actor),
        Audience::Staff,
        html! { style { (maud::PreEscaped(course_charts::STYLE)) } },
        html! {
            (patient_heading(&patient))
            p { a href=(format!("/patients/{}/timeline.csv", patient.id)) { "Download the timeline (CSV)" }
                " · " a href=(format!("/patients/{}/education", patient.id)) { "The patient's education sheet (print)" }
                " · Print this page for a course summary (forms are left out of the print)." }
            p {
                "Course: " strong { (course.regimen) } ", " (course.rule_set) " rule set, started "
                (view::local_time(course.started_at_ms, &zone))
                @if let Some(weight) = &course.baseline_weight_kg { ", baseline weight " (weight) " kg" }
                @if let Some(creatinine) = &course.baseline_creatinine_mg_dl { ", baseline creatinine " (creatinine) " mg/dL" }
            }
            section aria-labelledby="trends-heading" id="charts" {
                h2 id="trends-heading" { "Charts" }
                p.note {
                    "Times in " (ward_zone) " (the ward's clock). Shaded bands are the thresholds of the " (course.rule_set)
                    " rule set in force: amber holds, red stops; each links to its rule. Urine and stool are summed per 8-hour shift as the rules sum them. "
                    "Only what this course records is charted."
                }
                @if charts.is_empty() { p { "Nothing measured for this course yet." } }
                div.grid { @for chart in &charts { (course_charts::render(chart, &axis, &ward_zone)) } }
                (super::date_only::date_only_list(&observations))
            }
            section aria-labelledby="decision-heading" id="decision" {
                h2 id="decision-heading" { "Latest decisions" }
                @if decisions.is_empty() { p { "No decision recorded yet." } }
                @for decision in &decisions { (decision_block(decision, &overrides_of(decision.id), &zone)) }
            }
            (screening_section)
            (gate_block)
            (checkin_section)
            @if let Some(log) = &injection_log {
                section aria-labelledby="injections-heading" id="injections" {
                    h2 id="injections-heading" { "Injection log" }
                    p.note { "Logged by the patient (or the team) for each planned shot; times in " (zone) "." }
                    (super::patient::injection_table(log, true))
                }
            }
            (verification_block)
            @if may_record && high_dose {
                (assessment_form(patient.id, course.id, &token, &view::last_readings(&observations, now), back_assessment))
                (dose_form(patient.id, course.id, decisions.first(), dose_slot, &dose_key, back_dose))
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
                                @if let Some(reason) = &slot.override_reason {
                                    td.override { strong { "Override: " } (slot.status.label().to_lowercase()) " against the decision"
                                        br; small { "Reason: " (reason) } }
                                } @else {
                                    td class=(slot.status.class()) { (slot.status.label()) }
                                }
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
/// from the record, and shows the course page at the decision. A refusal (of the form, the observations or
/// the assessment) shows the course page again with the form as it was sent, the field marked and the
/// reason in words (status 422), never a bare error page.
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
    let mut entered: Vec<serde_json::Value> = Vec::new();
    let outcome = async {
        let observations = forms::assessment_observations(pairs, &at, now)?;
        entered.clone_from(&observations);
        // The observations go with the decision, in one transaction: a refused assessment stores none of them.
        let mut document = forms::assessment_document(pairs, course_id, &at)?;
        if !observations.is_empty() {
            document["observations"] = serde_json::Value::Array(observations);
        }
        crate::api::assessments::evaluate_and_record_document(&state, &actor, patient_id, &document.to_string())
            .await?;
        Ok::<(), AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other(&format!("/patients/{patient_id}#decision"))),
        Err(AppError::Refused(refusal)) => {
            let field = form_field_of(&refusal.field, &entered);
            let back = FormBack { form: BackForm::Assessment, pairs, refusal: &refusal, field };
            let page = course_page_with(&state, actor, patient_id, Some(&back)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// The form field a refusal is about: `observations[2].value` names the third entered observation, whose
/// code is its field; `observations.systolic_bp` and `findings[..]` likewise; anything else as it is.
fn form_field_of(refused: &str, entered: &[serde_json::Value]) -> String {
    let head = refused.split(['.', '[']).next().unwrap_or(refused);
    if let Some(rest) = refused.strip_prefix("observations.") {
        return rest.split('.').next().unwrap_or(rest).to_string();
    }
    if head == "observations" || head == "findings" {
        let index = refused
            .strip_prefix(head)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.split(']').next())
            .and_then(|index| index.parse::<usize>().ok());
        if head == "observations"
            && let Some(code) = index.and_then(|index| entered.get(index)).and_then(|entry| entry["code"].as_str())
        {
            return code.to_string();
        }
    }
    refused.to_string()
}

fn see_other(target: &str) -> axum::response::Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response()
}

/// `POST /patients/{id}/dose`: records the dose given or held (an override needs its reason code and words,
/// giving against `discontinue_permanently` a second physician's co-signature on the form). A refusal (422),
/// a slot already given (409) or an override the recorder may not make (403) shows the course page again with
/// the dose form as it was sent (never the co-signer's password), the field marked and the reason in words.
pub async fn record_dose(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let pairs: &Pairs = &pairs;
    let outcome = async {
        let mut document = forms::dose_document(pairs, &now_text())?;
        let cosigner = cosign::open(&state, pairs, actor.remote()).await?;
        if let Some(session) = &cosigner {
            document["cosigner_token"] = serde_json::json!(session.token);
        }
        let recorded = crate::api::doses::record_dose_document(&state, &actor, patient_id, &document.to_string()).await;
        if let Some(session) = cosigner {
            cosign::close(&state, session).await?;
        }
        recorded.map(|_| ())
    }
    .await;
    let (status, refusal) = match outcome {
        Ok(()) => return Ok(see_other(&format!("/patients/{patient_id}#schedule-heading"))),
        Err(AppError::Refused(refusal)) => (StatusCode::UNPROCESSABLE_ENTITY, refusal),
        Err(AppError::Conflict(message)) => {
            let (field, reason) = message.split_once(": ").unwrap_or(("slot", message.as_str()));
            (StatusCode::CONFLICT, il2care_core::Refusal::new(field, reason.to_string()))
        }
        Err(AppError::Forbidden(reason)) if matches!(actor.role(), Role::Nurse | Role::Physician) => {
            (StatusCode::FORBIDDEN, il2care_core::Refusal::new("status", reason))
        }
        Err(other) => return Err(other.into()),
    };
    let field = cosign::form_field(&refusal.field).to_string();
    let back = FormBack { form: BackForm::Dose, pairs, refusal: &refusal, field };
    let page = course_page_with(&state, actor, patient_id, Some(&back)).await?;
    Ok((status, page).into_response())
}

/// `GET /patients/{id}/timeline.csv` (nurse, physician, pharmacist): everything recorded for the patient's
/// courses, oldest first, times in the patient's zone and in UTC.
pub async fn timeline_csv(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let timeline = views::timeline(&state.store, actor.app(), patient_id, crate::now()).await?;
    let views::Timeline { patient, observations, dose_events, injections, decisions, checkins } = &timeline;
    let csv = view::timeline_csv(observations, dose_events, injections, decisions, checkins, &patient.time_zone);
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
