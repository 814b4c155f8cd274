//! The patient's phone pages: the check-in questionnaire as a plain form (large touch targets, no JavaScript
//! needed), the result with the action first and the advice, the history of check-ins, the injection log of a
//! low-dose course and the education sheet. A patient reaches only their own record; every other role is
//! refused and the attempt audited. Check-ins and injections are stored by the API's own functions. Every
//! sentence a patient reads comes from the core's questionnaire or the content crate; only short form labels
//! are written here.
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_app::views;
use il2care_content::Language;
use il2care_core::Refusal;
use il2care_core::triage::{AnswerKind, InjectionSiteLook, Item, Severity};
use maud::{Markup, html};

use super::forms::{self, TEMPERATURE_UNITS};
use super::injection_log::{EntryView, InjectionLogView, injection_log};
use super::layout::{Audience, shell};
use super::view::{self, AdviceView};
use super::{PageError, PageResult, page, signed_in};
use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use il2care_app::injections::SITES;

/// The patient id of a patient's own pages; any other role is refused and audited.
async fn own_patient(state: &AppState, actor: &Actor, resource: &str) -> Result<i64, PageError> {
    Ok(views::own_patient(&state.store, actor.app(), resource, crate::now()).await?)
}

/// An answer word as words (`very_severe` becomes "Very severe").
fn words(id: &str) -> String {
    let text = id.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// An answer word as the patient reads it in `language` (the content crate's words; the id as words when it
/// has none).
fn answer_words(language: Language, word: &str) -> String {
    il2care_content::answer_label(language, word).unwrap_or_else(|| words(word))
}

/// The patient's language for this page: `lang=es` in the form or the address, else English.
fn language_of(pairs: &forms::Pairs) -> Language {
    forms::field(pairs, "lang").and_then(Language::from_id).unwrap_or_default()
}

/// A word of the patient's pages in `language` (`send` is the content crate's `page.send`).
fn label(language: Language, key: &str) -> String {
    il2care_content::page_text(language, &format!("page.{key}"))
}

/// A word of the injection log page (`save` is the content crate's `injections.save`).
fn injection_words(key: &str) -> String {
    il2care_content::injection_words(&format!("injections.{key}"))
}

/// The form as it was sent, and the refusal to show beside the field it names.
struct Given<'a> {
    pairs: &'a forms::Pairs,
    refusal: Option<&'a Refusal>,
    language: Language,
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
            legend { (il2care_content::question(given.language, item)) }
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
            legend { label for=(id) { (il2care_content::question(given.language, item)) } }
            (error_note(id, error))
            div.choices {
                input id=(id) name=(id) type="number" step=(step) min=(min) inputmode=(mode) value=(given.value(id))
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
                (unit)
            }
        }
    }
}

fn question(item: Item, kind: AnswerKind, given: &Given<'_>, default_unit: &str) -> Markup {
    let id = item.id();
    match kind {
        AnswerKind::YesNo => {
            let options = [("yes", answer_words(given.language, "yes")), ("no", answer_words(given.language, "no"))];
            choices(item, &options, given)
        }
        AnswerKind::Severity => {
            let options: Vec<(&str, String)> = Severity::ALL
                .iter()
                .map(|severity| (severity.word(), answer_words(given.language, severity.word())))
                .collect();
            choices(item, &options, given)
        }
        AnswerKind::InjectionSiteLook => {
            let options: Vec<(&str, String)> = InjectionSiteLook::ALL
                .iter()
                .map(|look| (look.word(), answer_words(given.language, look.word())))
                .collect();
            choices(item, &options, given)
        }
        AnswerKind::Temperature => {
            let unit_name = format!("{id}_unit");
            let unit = html! {
                select name=(unit_name) aria-label=(label(given.language, "temperature-unit")) {
                    @for unit in TEMPERATURE_UNITS {
                        @let chosen = match given.value(&unit_name) { "" => default_unit, chosen => chosen };
                        option value=(unit) selected[chosen == unit] {
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
        AnswerKind::Count => number_question(
            item,
            given,
            ("1", "0", "numeric"),
            html! { span { (label(given.language, "unit-times")) } },
        ),
        AnswerKind::Hours => number_question(
            item,
            given,
            ("0.5", "0", "decimal"),
            html! { span { (label(given.language, "unit-hours")) } },
        ),
    }
}

/// The questionnaire in steps, one phone screen each (TRIAGE amendment 2): first the red-flag items (every
/// item before the temperature in the core's questionnaire, most dangerous first), then the rest in four
/// sections of the core's order. New items of the core land in a section by their position.
fn steps() -> Vec<Vec<(Item, AnswerKind)>> {
    let all: Vec<(Item, AnswerKind)> = forms::questionnaire().collect();
    let red_flags = all.iter().position(|(item, _)| *item == Item::Temperature).unwrap_or(0);
    let (first, rest) = all.split_at(red_flags);
    let per_section = rest.len().div_ceil(4).max(1);
    std::iter::once(first.to_vec()).chain(rest.chunks(per_section).map(<[_]>::to_vec)).collect()
}

/// A check-in document as the evaluation reads it (the client id is the store's, not the triage's).
fn without_client_id(document: &serde_json::Value) -> String {
    let mut document = document.clone();
    if let Some(object) = document.as_object_mut() {
        object.remove("client_id");
    }
    document.to_string()
}

/// The step (1-based) that asks `item`.
fn step_of(item: Item) -> usize {
    steps().iter().position(|step| step.iter().any(|(asked, _)| *asked == item)).map_or(1, |index| index + 1)
}

/// Where a check-in page stands: the answers so far (every field of the form), the step shown, and what to
/// say about them.
struct Stepped<'a> {
    pairs: &'a forms::Pairs,
    step: usize,
    refusal: Option<&'a Refusal>,
    /// A message about the whole step (the core questions still unanswered, a red-flag question skipped).
    notice: Option<String>,
    /// The temperature unit the form offers first (the patient's setting).
    default_unit: &'static str,
}

/// The temperature unit a patient's form offers first: °F in the United States (their zone says so), °C
/// elsewhere. A per-patient unit setting would replace this guess from the zone (product choice).
fn default_temperature_unit(zone: &str) -> &'static str {
    let us = zone.starts_with("America/")
        && !matches!(
            zone.split('/').nth(1),
            Some(
                "Toronto"
                    | "Vancouver"
                    | "Mexico_City"
                    | "Sao_Paulo"
                    | "Bogota"
                    | "Lima"
                    | "Santiago"
                    | "Buenos_Aires"
                    | "Halifax"
                    | "Winnipeg"
                    | "Edmonton"
                    | "Regina"
            )
        );
    if us || zone.starts_with("US/") || zone == "Pacific/Honolulu" { "[degF]" } else { "Cel" }
}

/// The refused temperature looks like °F typed as °C (93 to 113 in Cel): the page offers one tap to switch.
fn looks_like_fahrenheit(pairs: &forms::Pairs) -> bool {
    let unit = forms::field(pairs, "temperature_unit").unwrap_or("Cel");
    let value = forms::field(pairs, "temperature").and_then(|text| text.parse::<rust_decimal::Decimal>().ok());
    unit == "Cel"
        && value
            .is_some_and(|value| value >= rust_decimal::Decimal::from(93) && value <= rust_decimal::Decimal::from(113))
}

/// The telephone numbers on every patient page (TRIAGE amendment 5), as tap-to-call links.
fn contacts(site: &crate::site::Site, language: Language) -> Markup {
    html! {
        aside.contacts aria-label=(label(language, "phone-numbers")) {
            a.call.emergency href=(crate::site::tel_href(&site.numbers.emergency)) { (label(language, "emergency-number")) " " (site.numbers.emergency) }
            @if let Some(line) = &site.numbers.line_24h { a.call href=(crate::site::tel_href(line)) { (label(language, "line24-number")) " " (line) } }
            @if let Some(line) = &site.numbers.office { a.call href=(crate::site::tel_href(line)) { (label(language, "office-number")) " " (line) } }
        }
    }
}

/// A patient page: the phone numbers first, then the page.
fn patient_page(site: &crate::site::Site, title: &str, actor: &Actor, body: Markup) -> Markup {
    patient_page_in(site, Language::English, title, actor, body)
}

/// A patient page in `language`: the emergency box and the phone numbers first (EDUCATION amendment 3), then
/// the page.
fn patient_page_in(site: &crate::site::Site, language: Language, title: &str, actor: &Actor, body: Markup) -> Markup {
    let emergency = il2care_content::emergency_box_in(language, &site.numbers.clone());
    let content = html! {
        section.emergency-box lang=(language.id()) aria-label=(label(language, "emergency")) { (blocks(&emergency.blocks)) }
        (contacts(site, language))
        div lang=(language.id()) { (body) }
    };
    shell(title, Some(actor), Audience::Patient, html! {}, content)
}

/// The safety advice a refused vital sign carries (TRIAGE amendment 4), with the site's numbers.
fn refused_vital_advice(site: &crate::site::Site, language: Language) -> String {
    il2care_content::message_in(language, "refused_vital", &site.numbers.clone())
        .map(|entry| entry.plain_text().trim_end().to_string())
        .unwrap_or_default()
}

/// One step of the questionnaire; after a refusal, with the answers as sent and the message beside its
/// question. Answers of the other steps ride along as hidden fields, so Back and Next keep everything.
fn checkin_page(site: &crate::site::Site, client_id: &str, at: &Stepped<'_>) -> Markup {
    let steps = steps();
    let total = steps.len();
    let step = at.step.clamp(1, total);
    let shown: Vec<&str> = steps[step - 1].iter().map(|(item, _)| item.id()).collect();
    let language = language_of(at.pairs);
    let given = Given { pairs: at.pairs, refusal: at.refusal, language };
    let hidden: Vec<&(String, String)> = at
        .pairs
        .iter()
        .filter(|(name, value)| {
            let item = name.strip_suffix("_unit").unwrap_or(name);
            !value.trim().is_empty() && Item::from_id(item).is_some() && !shown.contains(&item)
        })
        .collect();
    let vital_refused = at.refusal.is_some_and(|refusal| {
        refusal.field.starts_with("answers.temperature")
            || refusal.field.starts_with("answers.home_systolic_bp")
            || refusal.field.starts_with("temperature")
    });
    let last = step == total;
    html! {
        h1 { (label(language, "checkin-title")) }
        p.progress { (label(language, "step")) " " (step) " " (label(language, "of")) " " (total) }
        p { a lang=(if language == Language::Spanish { "en" } else { "es" })
              href=(if language == Language::Spanish { "/me?lang=en" } else { "/me?lang=es" }) { (label(language, "other-language")) } }
        @if let Some(notice) = &at.notice { div.error role="alert" { p { (notice) } } }
        @if let Some(refusal) = at.refusal {
            div.error role="alert" {
                p { (label(language, "check-answer")) " " (refusal.reason) }
                @if let Some(item) = refusal.field.strip_prefix("answers.").and_then(|rest| Item::from_id(rest.split('.').next().unwrap_or(""))) {
                    p { a href=(format!("#{}", item.id())) { (il2care_content::question(language, item)) } }
                }
                @if vital_refused && looks_like_fahrenheit(at.pairs) {
                    p { strong { (label(language, "fahrenheit")) } }
                    button.primary type="submit" form="checkin" name="switch_unit" value="[degF]" formmethod=(if step == 1 { "post" } else { "get" }) formaction=(if step == 1 || last { "/me/checkins" } else { "/me" }) { (label(language, "switch-to-fahrenheit")) }
                }
                @if vital_refused { p { (refused_vital_advice(site, language)) } }
            }
        }
        @let (method, action) = if step == 1 || last { ("post", "/me/checkins") } else { ("get", "/me") };
        form id="checkin" method=(method) action=(action) {
            input type="hidden" name="client_id" value=(client_id);
            input type="hidden" name="from_step" value=(step);
            input type="hidden" name="lang" value=(language.id());
            @if step == 1 { input type="hidden" name="stage" value="red_flags"; }
            @for (name, value) in &hidden { input type="hidden" name=(name) value=(value); }
            @for (item, kind) in &steps[step - 1] { (question(*item, *kind, &given, at.default_unit)) }
            div.steps {
                @if step > 1 {
                    button type="submit" name="step" value=(step - 1) formmethod="get" formaction="/me" formnovalidate { (label(language, "back")) }
                }
                @if last {
                    button.primary type="submit" { (label(language, "send")) }
                } @else {
                    button.primary type="submit" name="step" value=(step + 1) { (label(language, "next")) }
                }
            }
        }
    }
}

/// The patient's own page `resource` and their zone (for the form's default unit and the check-in's time).
async fn home(state: &AppState, actor: &Actor, resource: &str) -> Result<views::Home, PageError> {
    Ok(views::home(&state.store, actor.app(), resource, crate::now()).await?)
}

/// The answers of a check-in form with a "Yes, it is °F" tap applied.
fn with_switched_unit(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let Some(unit) = forms::field(&pairs, "switch_unit").map(str::to_string) else { return pairs };
    let mut pairs: Vec<(String, String)> =
        pairs.into_iter().filter(|(name, _)| name != "temperature_unit" && name != "switch_unit").collect();
    pairs.push(("temperature_unit".into(), unit));
    pairs
}

/// `GET /me`: the check-in questionnaire, one step at a time (`?step=N` with the answers so far, as the
/// Back and Next buttons send them). Moving on checks the answers given so far: a refused answer shows its
/// step again with the message.
pub async fn checkin_form(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    axum::extract::Query(pairs): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let zone = home(&state, &actor, "me").await?.time_zone;
    let pairs = with_switched_unit(pairs);
    let client_id = forms::field(&pairs, "client_id").map_or_else(crate::auth::new_token, |id| Ok(id.to_string()))?;
    let step: usize = forms::field(&pairs, "step").and_then(|text| text.parse().ok()).unwrap_or(1);
    let default_unit = default_temperature_unit(&zone);
    // The answers so far are checked as the API would check them (the time is now, in the patient's zone).
    let time_zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = il2care_wire::dosing::local_time(&crate::now().to_zoned(time_zone));
    let refusal = forms::checkin_document(&pairs, &now)
        .and_then(|document| il2care_wire::checkin::parse_checkin(&without_client_id(&document)).map(|_| ()))
        .err();
    let step = match &refusal {
        Some(refusal) => refused_step(refusal),
        None => step,
    };
    let stepped = Stepped { pairs: &pairs, step, refusal: refusal.as_ref(), notice: None, default_unit };
    let body = checkin_page(&state.site, &client_id, &stepped);
    let status = if refusal.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        page(patient_page_in(&state.site, language_of(&pairs), &label(language_of(&pairs), "check-in"), &actor, body)),
    )
        .into_response())
}

/// The step that asks the item a refusal names (`answers.temperature`, `temperature_unit`).
fn refused_step(refusal: &Refusal) -> usize {
    let name = refusal.field.strip_prefix("answers.").unwrap_or(&refusal.field);
    let id = name.split('.').next().unwrap_or(name);
    let id = id.strip_suffix("_unit").unwrap_or(id);
    Item::from_id(id).map_or(1, step_of)
}

/// `POST /me/checkins`: the red-flag step (`stage=red_flags`) or the whole check-in. The red flags are
/// triaged at once: an emergency answer stores the check-in and shows the emergency screen before any other
/// question; otherwise the next step follows (a redirect, so Back never resubmits). The whole check-in needs
/// the core questions (TRIAGE amendment 1) and is triaged and stored like
/// `POST /api/v1/patients/{id}/checkins`; then the result (a redirect again).
pub async fn submit_checkin(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let views::Home { patient_id, time_zone: zone } = home(&state, &actor, "me/checkins").await?;
    let pairs = with_switched_unit(pairs);
    let default_unit = default_temperature_unit(&zone);
    let client_id = forms::field(&pairs, "client_id").map_or_else(crate::auth::new_token, |id| Ok(id.to_string()))?;
    let time_zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = il2care_wire::dosing::local_time(&crate::now().to_zoned(time_zone));
    let red_flags = forms::field(&pairs, "stage") == Some("red_flags");
    let back_to = |step: usize, refusal: Option<&Refusal>, notice: Option<String>| {
        let stepped = Stepped { pairs: &pairs, step, refusal, notice, default_unit };
        let body = checkin_page(&state.site, &client_id, &stepped);
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(patient_page_in(
                &state.site,
                language_of(&pairs),
                &label(language_of(&pairs), "check-in"),
                &actor,
                body,
            )),
        )
            .into_response()
    };
    let document = match forms::checkin_document(&pairs, &at) {
        Ok(document) => document,
        Err(refusal) => return Ok(back_to(refused_step(&refusal), Some(&refusal), None)),
    };
    let preview = match il2care_wire::checkin::parse_checkin(&without_client_id(&document)) {
        Ok(parsed) => il2care_core::triage::triage(&parsed),
        Err(refusal) => return Ok(back_to(refused_step(&refusal), Some(&refusal), None)),
    };
    if red_flags && preview.level != il2care_core::triage::Level::Emergency {
        let unanswered: Vec<String> = steps()[0]
            .iter()
            .filter(|(item, _)| forms::field(&pairs, item.id()).is_none())
            .map(|(item, _)| il2care_content::question(language_of(&pairs), *item))
            .collect();
        if !unanswered.is_empty() {
            return Ok(back_to(
                1,
                None,
                Some(format!("{} {}", label(language_of(&pairs), "answer-all"), unanswered.join(" · "))),
            ));
        }
        let mut next: Vec<(String, String)> = pairs
            .iter()
            .filter(|(name, _)| name != "stage" && name != "from_step" && name != "step")
            .cloned()
            .collect();
        next.retain(|(name, _)| name != "client_id");
        next.push(("client_id".into(), client_id.clone()));
        next.push(("step".into(), "2".into()));
        let query = serde_urlencoded::to_string(&next).map_err(|error| AppError::Internal(error.into()))?;
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/me?{query}"))]).into_response());
    }
    if !red_flags && !preview.unanswered.is_empty() {
        let questions: Vec<String> =
            preview.unanswered.iter().map(|item| il2care_content::question(language_of(&pairs), *item)).collect();
        let first = preview.unanswered.iter().map(|item| step_of(*item)).min().unwrap_or(1);
        let notice = format!("{} {}", label(language_of(&pairs), "answer-core"), questions.join(" · "));
        return Ok(back_to(first, None, Some(notice)));
    }
    let mut document = document;
    document["client_id"] = serde_json::json!(client_id);
    let stored = match crate::api::checkins::submit_document(&state, &actor, patient_id, &document.to_string()).await {
        Ok((_, stored)) => stored,
        Err(AppError::Refused(refusal)) => return Ok(back_to(refused_step(&refusal), Some(&refusal), None)),
        Err(other) => return Err(other.into()),
    };
    let id = stored["id"].as_i64().unwrap_or_default();
    let lang = if language_of(&pairs) == Language::Spanish { "?lang=es" } else { "" };
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/me/checkins/{id}{lang}"))]).into_response())
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
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let language = language_of(&query);
    let actor = signed_in(actor)?;
    let views::CheckInResult { checkin, time_zone } =
        views::checkin_result(&state.store, actor.app(), checkin_id, crate::now()).await?;
    let result = view::result_view(&checkin, &time_zone, &state.site.numbers.clone(), language);
    Ok(page(patient_page_in(
        &state.site,
        language,
        result.level,
        &actor,
        html! {
            h1 { span class=(format!("badge {}", result.class)) { (result.level) } }
            p class=(format!("action {}", result.class)) role="status" { (result.action) }
            (blocks(&result.message_rest))
            @if !result.advice.is_empty() {
                h2 { (label(language, "advice")) }
                @for advice in &result.advice { (advice_section(advice)) }
            }
            p.note { (label(language, "checked-in")) " " (result.at) "." }
            p { a href="/me" { (label(language, "check-in-again")) } " · " a href="/me/history" { (label(language, "my-check-ins")) } }
        },
    )))
}

/// `GET /me/history`: the patient's check-ins, newest first.
pub async fn history(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    let history = views::history(&state.store, actor.app(), crate::now()).await?;
    let rows = view::checkin_rows(&history.checkins, &history.time_zone);
    Ok(page(patient_page(
        &state.site,
        &label(Language::English, "my-check-ins"),
        &actor,
        html! {
            h1 { (label(Language::English, "my-check-ins")) }
            @if rows.is_empty() { p { (label(Language::English, "no-check-ins")) } }
            ul {
                @for row in &rows {
                    li { a href=(format!("/me/checkins/{}", row.id)) { (row.at) } " " span class=(format!("badge {}", row.class)) { (row.level) } }
                }
            }
        },
    )))
}

/// The education sheet for one patient (EDUCATION amendment): the "what it is for" of their latest course's
/// regimen (cancer or immune condition; the general text when they have none), their name and the date
/// printed on every page, the site's numbers, in `language`.
pub(super) fn patient_sheet(state: &AppState, facts: views::SheetFacts, language: Language) -> String {
    let zone = jiff::tz::TimeZone::get(&facts.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let options = il2care_content::SheetOptions {
        patient_name: Some(facts.display_name),
        printed_on: Some(crate::now().to_zoned(zone).strftime("%-d %b %Y").to_string()),
        indication: facts.indication,
        numbers: state.site.numbers.clone(),
        language,
    };
    il2care_content::sheet_html_for(&options)
}

/// `GET /me/education`: the printable education sheet, rendered by the content crate: for a patient, their
/// own sheet (their regimen's indication, their name); for anyone else signed in, the general sheet.
pub async fn education(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let language = language_of(&query);
    let own = views::patient_sheet(&state.store, actor.app(), crate::now()).await?;
    let sheet = match own {
        Some(facts) => patient_sheet(&state, facts, language),
        None => il2care_content::sheet_html_for(&il2care_content::SheetOptions {
            patient_name: None,
            printed_on: None,
            indication: None,
            numbers: state.site.numbers.clone(),
            language,
        }),
    };
    // The sheet is a whole document already; a way back is added after its opening body tag (not printed).
    let with_link = sheet.replacen(
        "<body>\n",
        &format!(
            "<body>\n<p class=\"screen-only\"><a href=\"/\">{}</a></p>\n",
            il2care_content::escape(&label(language, "back-to-il2care"))
        ),
        1,
    );
    Ok(super::sheet_response(with_link))
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
            @if let Some(site) = &entry.site { br; (injection_words("entry-where")) " " (site) }
            @if let Some(reason) = &entry.skip_reason { br; (injection_words("entry-why")) " " (reason) }
            @if let Some(note) = &entry.note { br; (injection_words("entry-note")) " " (note) }
            @if staff {
                br; span.note { (injection_words("logged-by")) " " (entry.recorded_by)
                    @if let Some(corrected) = entry.corrects_id { ", " (injection_words("correcting")) " " (corrected) } }
            }
        }
    };
    html! {
        @if let Some(note) = &view.schedule_note { p.note { (injection_words("cannot-list")) " (" (note) ")." } }
        @if !view.slots.is_empty() {
            table.injections {
                thead { tr { th scope="col" { (injection_words("table-shot")) } th scope="col" { (injection_words("table-planned")) }
                             th scope="col" { (injection_words("dose")) } th scope="col" { (injection_words("table-what-happened")) } } }
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

/// The injection log form's choices: the status word the form sends and the key of its words.
const SHOT_STATUS_CHOICES: [(&str, &str); 2] = [("given", "took-it"), ("skipped", "skipped-it")];

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
                    label for="slot" { (injection_words("which-shot")) }
                    (given.error("slot"))
                    select id="slot" name="slot" {
                        @for (index, choice) in view.open_slots.iter().enumerate() {
                            option value=(choice.value) selected[given.value("slot") == choice.value || (given.value("slot").is_empty() && index == 0)] { (choice.text) }
                        }
                    }
                }
            } @else {
                div.field {
                    label for="dose_level" { (injection_words("dose")) }
                    (given.error("dose_level"))
                    select id="dose_level" name="dose_level" {
                        @for choice in &view.levels {
                            option value=(choice.value) selected[given.value("dose_level") == choice.value] { (choice.text) }
                        }
                    }
                }
            }
            fieldset id="status" {
                legend { (injection_words("did-you-take-it")) }
                (given.error("status"))
                div.choices {
                    // The first choice (taken) is checked unless the form came back with another.
                    @for (index, (value, words)) in SHOT_STATUS_CHOICES.iter().enumerate() {
                        @let chosen = if SHOT_STATUS_CHOICES.iter().any(|(known, _)| *known == status) { status == *value } else { index == 0 };
                        label for=(format!("status-{value}")) { input type="radio" id=(format!("status-{value}")) name="status" value=(value) checked[chosen]; (injection_words(words)) }
                    }
                }
            }
            div.field {
                label for="at_local" { (injection_words("when")) " (" (injection_words("your-time")) ", " (zone_abbreviation) ")" }
                (given.error("at"))
                input type="datetime-local" id="at_local" name="at_local"
                    value=(if given.value("at_local").is_empty() { now_local } else { given.value("at_local") });
            }
            fieldset id="site" {
                legend { (injection_words("where")) }
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
                label for="skip_reason" { (injection_words("why-skipped")) }
                (given.error("skip_reason"))
                input type="text" id="skip_reason" name="skip_reason" maxlength="500" value=(given.value("skip_reason"));
            }
            div.field {
                label for="note" { (injection_words("note")) }
                (given.error("note"))
                input type="text" id="note" name="note" maxlength="500" value=(given.value("note"));
            }
            button.primary type="submit" { (injection_words("save")) }
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
    let now = crate::now();
    let log = il2care_app::injections::latest_course_log(&state.store, actor.app(), patient_id, now)
        .await
        .map_err(AppError::from)?;
    let zone = jiff::tz::TimeZone::get(&log.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now_zoned = now.to_zoned(zone);
    let now_local = now_zoned.strftime("%Y-%m-%dT%H:%M").to_string();
    let zone_abbreviation = now_zoned.strftime("%Z").to_string();
    let client_id = match forms::field(given.pairs, "client_id") {
        Some(id) if given.refusal.is_some() => id.to_string(),
        _ => crate::auth::new_token()?,
    };
    let view = log.course.map(|log| injection_log(&log, now.as_millisecond()));
    Ok(patient_page(
        &state.site,
        &injection_words("title"),
        actor,
        html! {
            h1 { (injection_words("title")) }
            (injection_text("injections.intro"))
            div.note { strong { (injection_text("injections.never-double")) } }
            @if let Some(refusal) = given.refusal {
                div.error role="alert" {
                    p { (label(Language::English, "check-answer")) " " (refusal.reason) }
                    @if refusal.field == "slot" && refusal.reason.contains("already") { (injection_text("injections.already-logged")) }
                    p { a href=(format!("#{}", if refusal.field == "at" { "at_local" } else { refusal.field.as_str() })) { (injection_words("go-to-answer")) } }
                }
            }
            @match &view {
                None => p { (injection_words("none")) },
                Some(view) => {
                    @if view.open_slots.is_empty() && view.schedule_note.is_none() {
                        p { (injection_words("none-due")) }
                    } @else {
                        h2 { (injection_words("log-a-shot")) }
                        (injection_text("injections.skipped"))
                        (injection_form(view, &zone_abbreviation, &now_local, &client_id, given))
                    }
                    h2 id="log" { (injection_words("my-shots")) }
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
    let views::Home { patient_id, time_zone: zone } = home(&state, &actor, "me/injections").await?;
    let submitted = match forms::injection_document(&pairs, &zone, crate::now()) {
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
