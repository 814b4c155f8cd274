//! The patient's phone pages: the check-in questionnaire as a plain form (large touch targets, no JavaScript
//! needed), the result with the action first and the advice, the history of check-ins, the injection log of a
//! low-dose course and the education sheet. A patient reaches only their own record; every other role is
//! refused and the attempt audited. Check-ins and injections are stored by the API's own functions. Every
//! sentence a patient reads comes from the core's questionnaire or the content crate; only short form labels
//! are written here.
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_core::Refusal;
use il2care_core::triage::{AnswerKind, InjectionSiteLook, Item, Severity};
use il2care_store::record;
use maud::{Markup, html};

use super::forms::{self, TEMPERATURE_UNITS};
use super::injection_log::{EntryView, InjectionLogView, injection_log};
use super::layout::{Audience, shell};
use super::view::{self, AdviceView};
use super::{PageError, PageResult, page, signed_in};
use crate::AppState;
use crate::api::injections::{SITES, is_injection_course};
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// The patient id of a patient's own pages; any other role is refused and audited.
async fn own_patient(state: &AppState, actor: &Actor, resource: &str) -> Result<i64, PageError> {
    match (actor.role, actor.user.patient_id) {
        (Role::Patient, Some(patient_id)) => Ok(patient_id),
        _ => {
            let mut conn = state.store.connection().await?;
            by_actor(&mut conn, actor, "denied", resource, None, "denied").await?;
            Err(AppError::Forbidden("these pages are for patients, each for their own record".into()).into())
        }
    }
}

/// An answer word as words (`very_severe` becomes "Very severe").
fn words(id: &str) -> String {
    let text = id.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The form as it was sent, and the refusal to show beside the field it names.
struct Given<'a> {
    pairs: &'a forms::Pairs,
    refusal: Option<&'a Refusal>,
}

impl Given<'_> {
    fn value(&self, name: &str) -> &str {
        forms::field(self.pairs, name).unwrap_or("")
    }

    /// The refusal's message when it concerns this item (`answers.temperature` or `temperature_unit`).
    fn error(&self, id: &str) -> Option<&str> {
        self.refusal
            .filter(|refusal| {
                refusal.field == format!("answers.{id}")
                    || refusal.field.starts_with(&format!("answers.{id}."))
                    || refusal.field == format!("{id}_unit")
            })
            .map(|refusal| refusal.reason.as_str())
    }
}

fn error_note(id: &str, error: Option<&str>) -> Markup {
    html! { @if let Some(error) = error { p.error id=(format!("{id}-error")) { (error) } } }
}

fn choices(item: Item, options: &[(&str, String)], given: &Given<'_>) -> Markup {
    let id = item.id();
    let error = given.error(id);
    html! {
        fieldset id=(id) aria-describedby=[error.map(|_| format!("{id}-error"))] {
            legend { (item.question()) }
            (error_note(id, error))
            div.choices {
                @for (value, text) in options {
                    label for=(format!("{id}-{value}")) {
                        input type="radio" id=(format!("{id}-{value}")) name=(id) value=(value)
                            checked[given.value(id) == *value];
                        (text)
                    }
                }
            }
        }
    }
}

/// A number answer with its unit (the input's label is the question).
fn number_question(item: Item, given: &Given<'_>, attributes: (&str, &str, &str), unit: Markup) -> Markup {
    let id = item.id();
    let error = given.error(id);
    let (step, min, mode) = attributes;
    html! {
        fieldset {
            legend { label for=(id) { (item.question()) } }
            (error_note(id, error))
            div.choices {
                input id=(id) name=(id) type="number" step=(step) min=(min) inputmode=(mode) value=(given.value(id))
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
                (unit)
            }
        }
    }
}

fn question(item: Item, kind: AnswerKind, given: &Given<'_>) -> Markup {
    let id = item.id();
    match kind {
        AnswerKind::YesNo => choices(item, &[("yes", "Yes".into()), ("no", "No".into())], given),
        AnswerKind::Severity => {
            let options: Vec<(&str, String)> =
                Severity::ALL.iter().map(|severity| (severity.word(), words(severity.word()))).collect();
            choices(item, &options, given)
        }
        AnswerKind::InjectionSiteLook => {
            let options: Vec<(&str, String)> =
                InjectionSiteLook::ALL.iter().map(|look| (look.word(), words(look.word()))).collect();
            choices(item, &options, given)
        }
        AnswerKind::Temperature => {
            let unit_name = format!("{id}_unit");
            let unit = html! {
                select name=(unit_name) aria-label="Temperature unit" {
                    @for unit in TEMPERATURE_UNITS {
                        option value=(unit) selected[given.value(&unit_name) == unit] {
                            @if unit == "Cel" { "°C" } @else { "°F" }
                        }
                    }
                }
            };
            number_question(item, given, ("0.1", "25", "decimal"), unit)
        }
        AnswerKind::SystolicPressure => {
            number_question(item, given, ("1", "40", "numeric"), html! { span { "mm Hg" } })
        }
        AnswerKind::Count => number_question(item, given, ("1", "0", "numeric"), html! { span { "times" } }),
        AnswerKind::Hours => number_question(item, given, ("0.5", "0", "decimal"), html! { span { "hours" } }),
    }
}

/// The questionnaire page; after a refusal, with the answers as sent and the message beside its question.
fn checkin_page(actor: &Actor, client_id: &str, given: &Given<'_>) -> Markup {
    shell(
        "Check in",
        Some(actor),
        Audience::Patient,
        html! {},
        html! {
            h1 { "How are you today?" }
            @if let Some(refusal) = given.refusal {
                div.error role="alert" {
                    p { "Please check this answer: " (refusal.reason) }
                    @if let Some(item) = refusal.field.strip_prefix("answers.").and_then(|rest| Item::from_id(rest.split('.').next().unwrap_or(""))) {
                        p { a href=(format!("#{}", item.id())) { (item.question()) } }
                    }
                }
            }
            form method="post" action="/me/checkins" {
                input type="hidden" name="client_id" value=(client_id);
                @for (item, kind) in forms::questionnaire() { (question(item, kind, given)) }
                button.primary type="submit" { "Send my answers" }
            }
        },
    )
}

/// `GET /me`: the check-in questionnaire, most dangerous questions first.
pub async fn checkin_form(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    own_patient(&state, &actor, "me").await?;
    let client_id = crate::auth::new_token()?;
    Ok(page(checkin_page(&actor, &client_id, &Given { pairs: &[], refusal: None })))
}

/// `POST /me/checkins`: triaged and stored like `POST /api/v1/patients/{id}/checkins`; then the result.
pub async fn submit_checkin(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id = own_patient(&state, &actor, "me/checkins").await?;
    let zone = {
        let mut conn = state.store.connection().await?;
        record::patient(&mut conn, patient_id).await?.time_zone
    };
    let time_zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = jiff::Timestamp::now().to_zoned(time_zone);
    let at = il2care_wire::dosing::local_time(&at);
    let submitted = match forms::checkin_document(&pairs, &at) {
        Ok(document) => crate::api::checkins::submit_document(&state, &actor, patient_id, &document.to_string()).await,
        Err(refusal) => Err(refusal.into()),
    };
    let stored = match submitted {
        Ok((_, stored)) => stored,
        Err(AppError::Refused(refusal)) => {
            // Nothing was stored; the same form comes back with the answers and the message at the question.
            let client_id =
                forms::field(&pairs, "client_id").map_or_else(crate::auth::new_token, |id| Ok(id.to_string()))?;
            let given = Given { pairs: &pairs, refusal: Some(&refusal) };
            let page = page(checkin_page(&actor, &client_id, &given));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(other) => return Err(other.into()),
    };
    let id = stored["id"].as_i64().unwrap_or_default();
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/me/checkins/{id}"))]).into_response())
}

fn blocks(list: &[il2care_content::Block]) -> Markup {
    html! {
        @for block in list {
            @match block {
                il2care_content::Block::Paragraph(text) => p { (il2care_content::plain(text)) },
                il2care_content::Block::Bullets(items) => ul { @for item in items { li { (il2care_content::plain(item)) } } },
            }
        }
    }
}

fn advice_section(advice: &AdviceView) -> Markup {
    html! { section { h3 { (advice.title) } (blocks(&advice.blocks)) } }
}

/// `GET /me/checkins/{id}`: the result, the action first.
pub async fn result(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(checkin_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let resource = format!("checkin/{checkin_id}");
    let patient_id = own_patient(&state, &actor, &resource).await?;
    let mut conn = state.store.connection().await?;
    let checkin = record::checkin(&mut conn, checkin_id).await?;
    if checkin.patient_id != patient_id {
        by_actor(&mut conn, &actor, "denied", &resource, Some(checkin.patient_id), "denied").await?;
        return Err(AppError::Forbidden("this record is not yours to see".into()).into());
    }
    let patient = record::patient(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let result = view::result_view(&checkin, &patient.time_zone);
    Ok(page(shell(
        result.level,
        Some(&actor),
        Audience::Patient,
        html! {},
        html! {
            h1 { span class=(format!("badge {}", result.class)) { (result.level) } }
            p class=(format!("action {}", result.class)) role="status" { (result.action) }
            (blocks(&result.message_rest))
            @if let Some(note) = &result.unanswered_note { p.error { (note) } }
            @if !result.advice.is_empty() {
                h2 { "What you can do" }
                @for advice in &result.advice { (advice_section(advice)) }
            }
            p.note { "Checked in " (result.at) "." }
            p { a href="/me" { "Check in again" } " · " a href="/me/history" { "My check-ins" } }
        },
    )))
}

/// `GET /me/history`: the patient's check-ins, newest first.
pub async fn history(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id = own_patient(&state, &actor, "me/history").await?;
    let mut conn = state.store.connection().await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let checkins = record::checkins(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &format!("patient/{patient_id}/checkins"), Some(patient_id)).await?;
    let rows = view::checkin_rows(&checkins, &patient.time_zone);
    Ok(page(shell(
        "My check-ins",
        Some(&actor),
        Audience::Patient,
        html! {},
        html! {
            h1 { "My check-ins" }
            @if rows.is_empty() { p { "No check-ins yet." } }
            ul {
                @for row in &rows {
                    li { a href=(format!("/me/checkins/{}", row.id)) { (row.at) } " " span class=(format!("badge {}", row.class)) { (row.level) } }
                }
            }
        },
    )))
}

/// `GET /me/education`: the printable education sheet, rendered by the content crate (any signed-in user).
pub async fn education(actor: Result<Actor, AppError>) -> PageResult {
    signed_in(actor)?;
    let sheet = il2care_content::sheet_html();
    // The sheet is a whole document already; a way back is added after its opening body tag.
    let with_link = sheet.replacen("<body>\n", "<body>\n<p><a href=\"/\">Back to il2care</a></p>\n", 1);
    Ok(super::html_response(with_link))
}

/// A paragraph of the injection log page's texts (the content crate's `injections.*` entries).
fn injection_text(id: &str) -> Markup {
    html! {
        @if let Some(entry) = il2care_content::injection_text(id) { (blocks(&entry.blocks)) }
    }
}

/// The injection log as a table: each planned slot with what was logged for it, then entries that answer no
/// slot. Shared by the patient's page and the course page (`staff` adds who logged each entry).
pub(super) fn injection_table(view: &InjectionLogView, staff: bool) -> Markup {
    let entry_text = |entry: &EntryView| {
        html! {
            span class=(entry.state.class()) { (entry.state.label()) } " " (entry.at)
            @if let Some(site) = &entry.site { br; "Where: " (site) }
            @if let Some(reason) = &entry.skip_reason { br; "Why: " (reason) }
            @if let Some(note) = &entry.note { br; "Note: " (note) }
            @if staff {
                br; span.note { "Logged by " (entry.recorded_by)
                    @if let Some(corrected) = entry.corrects_id { ", correcting entry " (corrected) } }
            }
        }
    };
    html! {
        @if let Some(note) = &view.schedule_note { p.note { "The planned shots cannot be listed (" (note) ")." } }
        @if !view.slots.is_empty() {
            table.injections {
                thead { tr { th scope="col" { "Shot" } th scope="col" { "Planned" } th scope="col" { "Dose" }
                             th scope="col" { "What happened" } } }
                tbody {
                    @for slot in &view.slots {
                        tr {
                            td { (slot.number) } td { (slot.planned) } td { (slot.dose) }
                            td {
                                @match &slot.entry {
                                    Some(entry) => (entry_text(entry)),
                                    None => span class=(slot.state.class()) { (slot.state.label()) },
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !view.unplanned.is_empty() {
            ul { @for entry in &view.unplanned { li { (entry_text(entry)) } } }
        }
    }
}

/// The injection log form as sent, and the refusal to show beside the field it names.
struct InjectionForm<'a> {
    pairs: &'a forms::Pairs,
    refusal: Option<&'a Refusal>,
}

impl InjectionForm<'_> {
    fn value(&self, name: &str) -> &str {
        forms::field(self.pairs, name).unwrap_or("")
    }

    fn error(&self, field: &str) -> Markup {
        html! {
            @if let Some(refusal) = self.refusal.filter(|refusal| refusal.field == field) {
                p.error id=(format!("{field}-error")) { (refusal.reason) }
            }
        }
    }
}

/// The form of the injection log: which shot, taken or skipped, when, where, why, a note.
fn injection_form(
    view: &InjectionLogView,
    zone_abbreviation: &str,
    now_local: &str,
    client_id: &str,
    given: &InjectionForm<'_>,
) -> Markup {
    let status = given.value("status");
    html! {
        form method="post" action="/me/injections" {
            input type="hidden" name="client_id" value=(client_id);
            input type="hidden" name="course_id" value=(view.course_id);
            @if view.schedule_note.is_none() {
                div.field {
                    label for="slot" { "Which shot" }
                    (given.error("slot"))
                    select id="slot" name="slot" {
                        @for (index, choice) in view.open_slots.iter().enumerate() {
                            option value=(choice.value) selected[given.value("slot") == choice.value || (given.value("slot").is_empty() && index == 0)] { (choice.text) }
                        }
                    }
                }
            } @else {
                div.field {
                    label for="dose_level" { "Dose" }
                    (given.error("dose_level"))
                    select id="dose_level" name="dose_level" {
                        @for choice in &view.levels {
                            option value=(choice.value) selected[given.value("dose_level") == choice.value] { (choice.text) }
                        }
                    }
                }
            }
            fieldset id="status" {
                legend { "Did you take it?" }
                (given.error("status"))
                div.choices {
                    label for="status-given" { input type="radio" id="status-given" name="status" value="given" checked[status != "skipped"]; "Yes, I took it" }
                    label for="status-skipped" { input type="radio" id="status-skipped" name="status" value="skipped" checked[status == "skipped"]; "No, I skipped it" }
                }
            }
            div.field {
                label for="at_local" { "When (your time, " (zone_abbreviation) ")" }
                (given.error("at"))
                input type="datetime-local" id="at_local" name="at_local"
                    value=(if given.value("at_local").is_empty() { now_local } else { given.value("at_local") });
            }
            fieldset id="site" {
                legend { "Where on your body? (if you took it)" }
                (given.error("site"))
                div.choices {
                    @for (id, words) in SITES {
                        label for=(format!("site-{id}")) {
                            input type="radio" id=(format!("site-{id}")) name="site" value=(id) checked[given.value("site") == id];
                            (words)
                        }
                    }
                }
            }
            div.field {
                label for="skip_reason" { "Why did you skip it? (if you skipped it)" }
                (given.error("skip_reason"))
                input type="text" id="skip_reason" name="skip_reason" maxlength="500" value=(given.value("skip_reason"));
            }
            div.field {
                label for="note" { "Note (optional)" }
                (given.error("note"))
                input type="text" id="note" name="note" maxlength="500" value=(given.value("note"));
            }
            button.primary type="submit" { "Save to my log" }
        }
    }
}

/// The injection log page of the patient's latest low-dose course, with the form, and after a refusal the
/// answers as sent and the message at the field.
async fn injection_page(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    given: &InjectionForm<'_>,
) -> Result<Markup, PageError> {
    let mut conn = state.store.connection().await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let course = record::courses(&mut conn, patient_id)
        .await?
        .into_iter()
        .filter(is_injection_course)
        .max_by_key(|course| (course.started_at_ms, course.id));
    let entries = record::injections(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(state, actor, &format!("patient/{patient_id}/injections"), Some(patient_id)).await?;
    let now = jiff::Timestamp::now();
    let zone = jiff::tz::TimeZone::get(&patient.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now_zoned = now.to_zoned(zone);
    let now_local = now_zoned.strftime("%Y-%m-%dT%H:%M").to_string();
    let zone_abbreviation = now_zoned.strftime("%Z").to_string();
    let client_id = match forms::field(given.pairs, "client_id") {
        Some(id) if given.refusal.is_some() => id.to_string(),
        _ => crate::auth::new_token()?,
    };
    let view = course.map(|course| injection_log(&course, &entries, &patient.time_zone, now.as_millisecond()));
    Ok(shell(
        "My injection log",
        Some(actor),
        Audience::Patient,
        html! {},
        html! {
            h1 { "My injection log" }
            (injection_text("injections.intro"))
            div.note { strong { (injection_text("injections.never-double")) } }
            @if let Some(refusal) = given.refusal {
                div.error role="alert" {
                    p { "Please check this answer: " (refusal.reason) }
                    @if refusal.field == "slot" && refusal.reason.contains("already") { (injection_text("injections.already-logged")) }
                    p { a href=(format!("#{}", if refusal.field == "at" { "at_local" } else { refusal.field.as_str() })) { "Go to the answer" } }
                }
            }
            @match &view {
                None => p { "You have no shots to log." },
                Some(view) => {
                    @if view.open_slots.is_empty() && view.schedule_note.is_none() {
                        p { "No shot is due now." }
                    } @else {
                        h2 { "Log a shot" }
                        (injection_text("injections.skipped"))
                        (injection_form(view, &zone_abbreviation, &now_local, &client_id, given))
                    }
                    h2 id="log" { "My shots" }
                    (injection_table(view, false))
                }
            }
        },
    ))
}

/// `GET /me/injections`: the injection log of the patient's low-dose course, with the form.
pub async fn injections(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id = own_patient(&state, &actor, "me/injections").await?;
    Ok(page(injection_page(&state, &actor, patient_id, &InjectionForm { pairs: &[], refusal: None }).await?))
}

/// `POST /me/injections`: checked and stored like `POST /api/v1/patients/{id}/injections`; then the log.
pub async fn log_injection(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id = own_patient(&state, &actor, "me/injections").await?;
    let zone = {
        let mut conn = state.store.connection().await?;
        record::patient(&mut conn, patient_id).await?.time_zone
    };
    let submitted = match forms::injection_document(&pairs, &zone, jiff::Timestamp::now()) {
        Ok(document) => {
            crate::api::injections::submit_document(&state, &actor, patient_id, &document.to_string()).await
        }
        Err(refusal) => Err(refusal.into()),
    };
    match submitted {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/me/injections#log")]).into_response()),
        Err(AppError::Refused(refusal)) => {
            // Nothing was stored; the same form comes back with the answers and the message at the field.
            let given = InjectionForm { pairs: &pairs, refusal: Some(&refusal) };
            let markup = injection_page(&state, &actor, patient_id, &given).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
