//! The pre-treatment screening form (`/patients/{id}/screening`): one field or choice per checklist item with
//! its validity window, lab values with their unit choices, the medication list one per row, and the result
//! item by item with the rule title, the reasons and the source; a physician acknowledges a `needs_review`
//! item or overrides a `fail` one with a reason. The form is read into the same screening document the JSON
//! API takes (docs/screening.md) and stored by the same use case (`il2care_app::screenings::submit`, through
//! `api::screenings::submit_document`); the decisions go through `il2care_app::screenings::decide`. The
//! course's first-dose gate (`il2care_app::screenings::course_gate`) is shown here and on the course page.
//!
//! Nothing here decides: the wire crate validates, the core screens and gates; this module only reads a form
//! into a document and a stored result into HTML.

use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_app::patients::Patient;
use il2care_app::screenings::{self, Course, CourseGate, RecordedDecision, StoredScreening};
use il2care_core::Refusal;
use il2care_core::screening::checklist::Item;
use il2care_core::screening::gate::DecisionKind;
use maud::{Markup, html};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::forms::{self, Pairs};
use super::layout::{Audience, shell};
use super::screening_view::{item_status, status_class, status_label};
use super::view::local_time;
use super::{PageError, PageResult, page, signed_in};
use crate::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// A yes/no answer left empty is "not documented" (never "no").
const YES_NO: &[(&str, &str)] = &[("", "Not documented"), ("yes", "Yes"), ("no", "No")];

/// One field of the form: its name (the document path, `.`-separated) and how it is asked.
#[derive(Clone, Copy)]
enum Ask {
    YesNo,
    Choice(&'static [(&'static str, &'static str)]),
    /// A date and time in the patient's zone (`datetime-local`).
    Time,
    /// A number with its unit choices (the first is what a value without a chosen unit is refused for).
    Quantity(&'static [(&'static str, &'static str)]),
    /// A whole number (ECOG).
    Count,
}

struct Field {
    name: &'static str,
    label: &'static str,
    ask: Ask,
}

const fn field(name: &'static str, label: &'static str, ask: Ask) -> Field {
    Field { name, label, ask }
}

const NORMAL: &[(&str, &str)] = &[("", "Not documented"), ("normal", "Normal"), ("abnormal", "Abnormal")];

/// The checklist items the form asks field by field (items 5, 10, 11, 17 and 18 have their own blocks).
fn item_fields(item: Item) -> Vec<Field> {
    match item {
        Item::Indication => vec![field(
            "indication",
            "Indication",
            Ask::Choice(&[
                ("", "Not documented"),
                ("metastatic_renal_cell_carcinoma", "Metastatic renal cell carcinoma"),
                ("metastatic_melanoma", "Metastatic melanoma"),
                ("other", "Other"),
            ]),
        )],
        Item::Hypersensitivity => vec![field(
            "history.hypersensitivity_to_aldesleukin",
            "Known severe hypersensitivity to aldesleukin",
            Ask::YesNo,
        )],
        Item::CardiacFunction => vec![
            field("history.cardiac_disease", "History of cardiac disease", Ask::YesNo),
            field("tests.cardiac.ejection_fraction", "Ejection fraction", Ask::Choice(NORMAL)),
            field(
                "tests.cardiac.wall_motion",
                "Wall motion",
                Ask::Choice(&[("", "Not documented"), ("normal", "Normal"), ("impaired", "Impaired")]),
            ),
            field(
                "tests.cardiac.coronary_artery_disease",
                "Coronary artery disease",
                Ask::Choice(&[("", "Not documented"), ("none", "None"), ("significant", "Significant")]),
            ),
            field(
                "tests.cardiac.stress_test",
                "Stress test",
                Ask::Choice(&[
                    ("", "Not documented"),
                    ("normal", "Normal"),
                    ("abnormal", "Abnormal"),
                    ("not_done", "Not done"),
                ]),
            ),
            field("tests.cardiac.at", "Cardiac tests done at", Ask::Time),
        ],
        Item::PulmonaryFunction => vec![
            field("history.lung_disease", "History of lung disease", Ask::YesNo),
            field("tests.pulmonary.fev1", "FEV1", Ask::Quantity(&[("L", "L"), ("mL", "mL")])),
            field("tests.pulmonary.fev1_percent_predicted", "FEV1, % of predicted", Ask::Quantity(&[("%", "%")])),
            field("tests.pulmonary.significant_impairment", "Significant pulmonary impairment", Ask::YesNo),
            field("tests.pulmonary.at", "Pulmonary function tests done at", Ask::Time),
        ],
        Item::OrganImpairment => vec![
            field("impairment.renal", "Significant renal impairment", Ask::YesNo),
            field("impairment.hepatic", "Significant hepatic impairment", Ask::YesNo),
            field("impairment.cns", "Significant CNS impairment", Ask::YesNo),
            field("impairment.at", "Assessed at", Ask::Time),
        ],
        Item::CnsEvaluation => vec![
            field("tests.cns.impairment", "CNS impairment found", Ask::YesNo),
            field("tests.cns.brain_metastases", "Brain metastases found", Ask::YesNo),
            field("tests.cns.at", "CNS evaluation done at", Ask::Time),
        ],
        Item::OrganAllograft => vec![field("history.organ_allograft", "Organ allograft (transplant)", Ask::YesNo)],
        Item::Infection => vec![
            field(
                "infection.status",
                "Infection",
                Ask::Choice(&[
                    ("", "Not documented"),
                    ("none", "No active infection"),
                    ("under_treatment", "Under treatment"),
                    ("untreated_bacterial", "Untreated bacterial infection"),
                ]),
            ),
            field("infection.at", "Assessed at", Ask::Time),
            field("central_line_planned", "Central line planned", Ask::YesNo),
        ],
        Item::PregnancyStatus => vec![
            field("patient.reproductive_potential", "Reproductive potential", Ask::YesNo),
            field("patient.pregnant", "Pregnant", Ask::YesNo),
            field(
                "patient.pregnancy_test.result",
                "Pregnancy test",
                Ask::Choice(&[("", "Not done"), ("negative", "Negative"), ("positive", "Positive")]),
            ),
            field("patient.pregnancy_test.at", "Pregnancy test taken at", Ask::Time),
        ],
        Item::Contraception => {
            vec![field("patient.contraception_counselled", "Contraception counselled and documented", Ask::YesNo)]
        }
        Item::Breastfeeding => vec![field("patient.breastfeeding", "Breastfeeding", Ask::YesNo)],
        Item::PerformanceStatus => vec![
            field("performance_status.ecog", "ECOG performance status (0 to 5)", Ask::Count),
            field("performance_status.at", "Assessed at", Ask::Time),
        ],
        Item::Setting => vec![field("intensive_care_available", "Intensive care available (attested)", Ask::YesNo)],
        Item::PatientEducation => vec![
            field("education.sheet_given", "Education sheet given", Ask::YesNo),
            field("education.contrast_flag_explained", "Contrast flag explained", Ask::YesNo),
        ],
        Item::BaselineLabs
        | Item::PriorToxicity
        | Item::Retreatment
        | Item::MedicationList
        | Item::Antihypertensives => Vec::new(),
    }
}

/// Choices of a select: the value sent and the words shown.
pub type Choices = &'static [(&'static str, &'static str)];

/// The laboratory rows: code, words, unit choices (UCUM code, as written).
pub const LABS: [(&str, &str, Choices); 11] = [
    ("wbc", "White blood cells", COUNT_UNITS),
    ("anc", "Absolute neutrophil count", COUNT_UNITS),
    ("platelets", "Platelets", COUNT_UNITS),
    ("hemoglobin", "Hemoglobin", &[("g/dL", "g/dL"), ("g/L", "g/L")]),
    ("potassium", "Potassium", ION_UNITS),
    ("sodium", "Sodium (optional)", ION_UNITS),
    ("bicarbonate", "Bicarbonate", ION_UNITS),
    ("creatinine", "Creatinine", &[("mg/dL", "mg/dL"), ("umol/L", "µmol/L")]),
    ("bilirubin_total", "Total bilirubin", &[("mg/dL", "mg/dL"), ("umol/L", "µmol/L")]),
    ("alt", "ALT", &[("U/L", "U/L")]),
    ("ast", "AST", &[("U/L", "U/L")]),
];
const COUNT_UNITS: &[(&str, &str)] = &[("10*3/uL", "×10³/µL"), ("10*9/L", "×10⁹/L")];
const ION_UNITS: &[(&str, &str)] = &[("mmol/L", "mmol/L"), ("meq/L", "mEq/L")];

/// The routes of a medication row (docs/screening.md).
const ROUTES: &[(&str, &str)] = &[
    ("", "Route not given"),
    ("oral", "By mouth"),
    ("iv", "Intravenous"),
    ("im", "Intramuscular"),
    ("sc", "Subcutaneous"),
    ("topical", "On the skin"),
    ("inhaled", "Inhaled"),
    ("intranasal", "In the nose"),
    ("ophthalmic", "In the eye"),
    ("otic", "In the ear"),
    ("intra_articular", "Into a joint"),
    ("rectal", "Rectal"),
    ("other", "Other"),
];
const PURPOSES: &[(&str, &str)] = &[("", "Not given"), ("adrenal_replacement", "Adrenal replacement")];

/// The earlier-course toxicities of item 10.
const TOXICITIES: &[(&str, &str)] = &[
    ("sustained_ventricular_tachycardia", "Sustained ventricular tachycardia"),
    ("uncontrolled_arrhythmia", "Uncontrolled arrhythmia"),
    ("chest_pain_with_ecg_changes", "Chest pain with ECG changes"),
    ("cardiac_tamponade", "Cardiac tamponade"),
    ("intubation_over_72h", "Intubation over 72 h"),
    ("dialysis_over_72h", "Dialysis over 72 h"),
    ("coma_or_toxic_psychosis_over_48h", "Coma or toxic psychosis over 48 h"),
    ("repetitive_seizures", "Repetitive seizures"),
    ("bowel_ischemia_or_perforation", "Bowel ischemia or perforation"),
    ("gi_bleeding_needing_surgery", "GI bleeding needing surgery"),
];

/// Medication rows shown at first; "Add more rows" shows this many more.
pub const MEDICATION_ROWS: usize = 5;
/// At most this many medication rows (a longer list is imported as a JSON document).
pub const MAX_MEDICATION_ROWS: usize = 60;

/// Sets `value` at a `.`-separated path of `document`, creating the objects on the way.
fn set(document: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut here = document;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            here.insert(part.to_string(), value);
            return;
        }
        let next = here.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        here = next.as_object_mut().expect("made an object just above");
    }
}

fn decimal(text: &str, name: &str) -> Result<Value, Refusal> {
    let value: Decimal =
        text.parse().map_err(|_| Refusal::new(name, format!("`{text}` is not a number; write digits such as 4.2")))?;
    Ok(il2care_wire::json::number(value))
}

/// A local date and time of the form, in the patient's zone, as RFC 3339 with its offset.
fn time(text: &str, name: &str, zone: &jiff::tz::TimeZone) -> Result<Value, Refusal> {
    let zoned = text
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|local| local.to_zoned(zone.clone()).ok())
        .ok_or_else(|| Refusal::new(name, format!("`{text}` is not a date and time such as 2026-11-28T08:30")))?;
    Ok(json!(il2care_wire::dosing::local_time(&zoned)))
}

/// A quantity of the form: `NAME.value` with its unit `NAME.unit`; a value without a unit is refused naming
/// the unit field (a bare number never enters).
fn quantity(pairs: &Pairs, name: &str, units: &[(&str, &str)]) -> Result<Option<Value>, Refusal> {
    let value_field = format!("{name}.value");
    let unit_field = format!("{name}.unit");
    let Some(text) = forms::field(pairs, &value_field) else { return Ok(None) };
    let value = decimal(text, &value_field)?;
    let unit = forms::field(pairs, &unit_field)
        .ok_or_else(|| Refusal::new(unit_field.clone(), "choose the unit: a number without a unit is not accepted"))?;
    if !units.iter().any(|(code, _)| *code == unit) {
        let accepted: Vec<&str> = units.iter().map(|(_, words)| *words).collect();
        return Err(Refusal::new(unit_field, format!("`{unit}` is not one of {}", accepted.join(", "))));
    }
    Ok(Some(json!({"value": value, "unit": unit})))
}

/// What the form sent, read into a screening document (docs/screening.md) and where each list entry came
/// from, so a refusal of `labs[2]` or `medications[1]` can be shown at its row.
pub struct FormDocument {
    pub document: Map<String, Value>,
    /// The lab code of each entry of `labs`, in order.
    pub lab_codes: Vec<&'static str>,
    /// The form row of each entry of `medications`, in order.
    pub medication_rows: Vec<usize>,
}

/// The medication rows a form sent: `medications.N.name` for N from 0.
pub fn medication_row_count(pairs: &Pairs) -> usize {
    pairs
        .iter()
        .filter_map(|(key, _)| key.strip_prefix("medications.")?.split('.').next()?.parse::<usize>().ok())
        .map(|row| row + 1)
        .max()
        .unwrap_or(0)
}

/// Reads the screening form into a screening document for `patient` (date of birth and sex from the record),
/// evaluated at `now`. Shape only: the wire crate validates every value as it does for the API.
pub fn screening_document(pairs: &Pairs, patient: &Patient, now: jiff::Timestamp) -> Result<FormDocument, Refusal> {
    let zone = jiff::tz::TimeZone::get(&patient.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut document = Map::new();
    let at = match forms::field(pairs, "at") {
        Some(text) => time(text, "at", &zone)?,
        None => json!(il2care_wire::dosing::local_time(&now.to_zoned(zone.clone()))),
    };
    document.insert("at".into(), at);
    let regimen = forms::field(pairs, "regimen").ok_or_else(|| Refusal::new("regimen", "choose the regimen"))?;
    document.insert("regimen".into(), json!(regimen));
    if let Some(start) = forms::field(pairs, "planned_start") {
        document.insert("planned_start".into(), time(start, "planned_start", &zone)?);
    }
    set(&mut document, "patient.date_of_birth", json!(patient.date_of_birth));
    if ["female", "male", "other", "unknown"].contains(&patient.sex.as_str()) {
        set(&mut document, "patient.sex", json!(patient.sex));
    }
    if let Some(weight) = quantity(pairs, "patient.weight", &[("kg", "kg"), ("[lb_av]", "lb")])? {
        set(&mut document, "patient.weight", weight);
    }
    for item in Item::ALL {
        for asked in item_fields(item) {
            let name = asked.name;
            let value = match asked.ask {
                Ask::YesNo => match forms::field(pairs, name) {
                    None => None,
                    Some("yes") => Some(json!(true)),
                    Some("no") => Some(json!(false)),
                    Some(other) => return Err(Refusal::new(name, format!("`{other}` is not yes or no"))),
                },
                Ask::Choice(choices) => match forms::field(pairs, name) {
                    None => None,
                    Some(word) if choices.iter().any(|(code, _)| *code == word) => Some(json!(word)),
                    Some(other) => return Err(Refusal::new(name, format!("`{other}` is not one of the choices"))),
                },
                Ask::Time => forms::field(pairs, name).map(|text| time(text, name, &zone)).transpose()?,
                Ask::Quantity(units) => quantity(pairs, name, units)?,
                Ask::Count => forms::field(pairs, name)
                    .map(|text| {
                        text.parse::<u8>()
                            .map(|count| json!(count))
                            .map_err(|_| Refusal::new(name, format!("`{text}` is not a whole number from 0 to 5")))
                    })
                    .transpose()?,
            };
            if let Some(value) = value {
                set(&mut document, name, value);
            }
        }
    }
    // Labs: each entered value with its unit, the time of the draw and the lab's range when given.
    let mut labs = Vec::new();
    let mut lab_codes = Vec::new();
    let labs_at = forms::field(pairs, "labs.at").map(|text| time(text, "labs.at", &zone)).transpose()?;
    for (code, _, units) in LABS {
        let name = format!("labs.{code}");
        let Some(value) = quantity(pairs, &name, units)? else { continue };
        let at = labs_at.clone().ok_or_else(|| Refusal::new("labs.at", "give the time the blood was drawn"))?;
        let mut entry = json!({"code": code, "value": value, "at": at});
        let unit = value["unit"].clone();
        let mut range = Map::new();
        for bound in ["low", "high"] {
            let bound_field = format!("{name}.reference_range.{bound}");
            if let Some(text) = forms::field(pairs, &bound_field) {
                range.insert(bound.into(), json!({"value": decimal(text, &bound_field)?, "unit": unit}));
            }
        }
        if !range.is_empty() {
            entry["reference_range"] = Value::Object(range);
        }
        labs.push(entry);
        lab_codes.push(code);
    }
    if !labs.is_empty() {
        document.insert("labs".into(), Value::Array(labs));
    }
    // Earlier courses (items 10 and 11).
    match forms::field(pairs, "previous") {
        None => {}
        Some("none") => {
            document.insert("previous_courses".into(), json!([]));
        }
        Some("one") => {
            let mut course = Map::new();
            if let Some(text) = forms::field(pairs, "previous.discharged_at") {
                course.insert("discharged_at".into(), time(text, "previous.discharged_at", &zone)?);
            }
            if let Some(response) = forms::field(pairs, "previous.response") {
                course.insert("response".into(), json!(response));
            }
            let toxicities: Vec<Value> = pairs
                .iter()
                .filter(|(key, value)| key == "previous.toxicities" && !value.is_empty())
                .map(|(_, value)| json!(value))
                .collect();
            course.insert("toxicities".into(), Value::Array(toxicities));
            document.insert("previous_courses".into(), json!([course]));
        }
        Some(other) => return Err(Refusal::new("previous", format!("`{other}` is not one of the choices"))),
    }
    // Medications, one per row; "none" with no row is an empty list (screened: none), else not documented.
    let mut medications = Vec::new();
    let mut medication_rows = Vec::new();
    for row in 0..medication_row_count(pairs).min(MAX_MEDICATION_ROWS) {
        let prefix = format!("medications.{row}");
        let name = forms::field(pairs, &format!("{prefix}.name"));
        let dose = quantity(pairs, &format!("{prefix}.daily_dose"), &[("mg", "mg")])?;
        let route = forms::field(pairs, &format!("{prefix}.route"));
        let purpose = forms::field(pairs, &format!("{prefix}.purpose"));
        let Some(name) = name else {
            if dose.is_some() || route.is_some() || purpose.is_some() {
                return Err(Refusal::new(format!("{prefix}.name"), "write the medication's name"));
            }
            continue;
        };
        let mut entry = json!({"name": name});
        if let Some(route) = route {
            entry["route"] = json!(route);
        }
        if let Some(dose) = dose {
            entry["daily_dose"] = dose;
        }
        if let Some(purpose) = purpose {
            entry["purpose"] = json!(purpose);
        }
        medications.push(entry);
        medication_rows.push(row);
    }
    let no_medications = forms::field(pairs, "no_medications").is_some();
    if no_medications && !medications.is_empty() {
        return Err(Refusal::new(
            "no_medications",
            "is ticked but medications are listed; untick it or clear the rows",
        ));
    }
    if no_medications || !medications.is_empty() {
        document.insert("medications".into(), Value::Array(medications));
    }
    for name in ["course_id", "client_id"] {
        if let Some(value) = forms::field(pairs, name) {
            let value = match name {
                "course_id" => json!(value.parse::<i64>().map_err(|_| Refusal::new(name, "is not a course id"))?),
                _ => json!(value),
            };
            document.insert(name.into(), value);
        }
    }
    Ok(FormDocument { document, lab_codes, medication_rows })
}

/// The form field a refusal of the document is about: `labs[2].value.unit` is the unit of the third entered
/// lab's row, `medications[1].route` the route of the second entered medication's row; anything else is
/// already a form field name (the document path).
pub fn form_field_of(refused: &str, lab_codes: &[&str], medication_rows: &[usize]) -> String {
    let indexed = |head: &str| -> Option<(usize, String)> {
        let rest = refused.strip_prefix(head)?.strip_prefix('[')?;
        let (index, tail) = rest.split_once(']')?;
        Some((index.parse().ok()?, tail.to_string()))
    };
    if let Some((index, tail)) = indexed("labs")
        && let Some(code) = lab_codes.get(index)
    {
        return format!("labs.{code}{tail}");
    }
    if let Some((index, tail)) = indexed("medications")
        && let Some(row) = medication_rows.get(index)
    {
        return format!("medications.{row}{tail}");
    }
    refused.to_string()
}

/// Whether the form field `name` is the one a refusal of `refused` (a form field path) is about: the same
/// field, a field inside it (`labs.potassium` marks its value and unit) or the field holding it.
pub fn is_marked(name: &str, refused: &str) -> bool {
    !refused.is_empty()
        && (name == refused
            || name.strip_prefix(refused).is_some_and(|rest| rest.starts_with('.'))
            || refused.strip_prefix(name).is_some_and(|rest| rest.starts_with('.')))
}

/// A refused form sent back: what was sent, the refusal and the form field it is about.
pub struct Back<'a> {
    pub pairs: &'a Pairs,
    pub refusal: &'a Refusal,
    pub field: String,
}

fn decision_words(kind: Option<DecisionKind>) -> &'static str {
    match kind {
        Some(DecisionKind::Acknowledge) => "Acknowledged",
        Some(DecisionKind::Override) => "Overridden",
        None => "Decided",
    }
}

/// The gate's state for the course page and the dose form: open or which items block, and who decided what.
pub fn gate_block(gate: &CourseGate, patient_id: i64, zone: &str) -> Markup {
    html! {
        div.gate id="screening-gate" {
            @if gate.gate.open {
                p { span.badge.u0 { "First dose allowed" } " The course's screening is complete: nothing blocks the first dose." }
            } @else {
                p { span.badge.u4 { "First dose blocked" } " A screening review is needed before the first dose of this course." }
                ul.blockers {
                    @for blocker in &gate.gate.blockers {
                        li { @if let Some(item) = blocker.item { strong { (item.number()) ". " (item.title()) ": " } } (blocker.reason) }
                    }
                }
            }
            @if !gate.decisions.is_empty() {
                ul.decisions {
                    @for decision in &gate.decisions {
                        li { (decision_words(decision.kind)) " item " (decision.item)
                            @if let Some(item) = u8::try_from(decision.item).ok().and_then(Item::from_number) { " (" (item.title()) ")" }
                            " by " (decision.decided_by) " at " (local_time(decision.decided_at_ms, zone)) ": " (decision.reason) }
                    }
                }
            }
            p { a href=(format!("/patients/{patient_id}/screening")) { "Open the screening form" } }
        }
    }
}

fn see_other(target: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response()
}

/// `?rows=N` on the form: how many medication rows to show.
#[derive(Debug, Deserialize)]
pub struct FormQuery {
    pub rows: Option<usize>,
}

/// `GET /patients/{id}/screening` (the care team; the form for physicians and pharmacists).
pub async fn form(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Query(query): Query<FormQuery>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let rows = query.rows.unwrap_or(MEDICATION_ROWS).clamp(1, MAX_MEDICATION_ROWS);
    form_page(&state, &actor, patient_id, None, rows).await.map(page)
}

/// `POST /patients/{id}/screening`: the form read into a document and stored as the API stores it; "Add more
/// rows" shows the form again with its entries and more medication rows (nothing stored). A refusal comes back
/// as the filled-in form, the field marked in words (422).
pub async fn submit(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(patient_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let pairs: &Pairs = &pairs;
    let shown = medication_row_count(pairs).max(MEDICATION_ROWS);
    if forms::field(pairs, "action") == Some("more_rows") {
        let back = Back { pairs, refusal: &Refusal::new("", ""), field: String::new() };
        let rows = (shown + MEDICATION_ROWS).min(MAX_MEDICATION_ROWS);
        return form_page(&state, &actor, patient_id, Some(&back), rows).await.map(page);
    }
    // Who may not screen is refused (and audited) before the form is read.
    let patient = screenings::patient_to_screen(&state.store, actor.app(), patient_id, crate::now())
        .await
        .map_err(AppError::from)?;
    let mut lab_codes = Vec::new();
    let mut medication_rows = Vec::new();
    let outcome = async {
        let read = screening_document(pairs, &patient, crate::now())?;
        lab_codes = read.lab_codes;
        medication_rows = read.medication_rows;
        let text = Value::Object(read.document).to_string();
        crate::api::screenings::submit_document(&state, &actor, patient_id, &text).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/patients/{patient_id}/screening#result"))),
        Err(AppError::Refused(refusal)) => {
            let field = form_field_of(&refusal.field, &lab_codes, &medication_rows);
            let back = Back { pairs, refusal: &refusal, field };
            let markup = form_page(&state, &actor, patient_id, Some(&back), shown).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /patients/{id}/screening/{screening_id}/decisions` (physician): acknowledges or overrides one item
/// with a reason, through the API's function; a refusal comes back on the page (422) with the reason.
pub async fn decide(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path((patient_id, screening_id)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let item: Value =
        forms::field(&pairs, "item").and_then(|text| text.parse::<u8>().ok()).map_or(Value::Null, |n| json!(n));
    let document = json!({"item": item, "kind": forms::field(&pairs, "kind").unwrap_or(""),
                          "reason": forms::field(&pairs, "reason").unwrap_or("")});
    match crate::api::screenings::decide_document(&state, &actor, patient_id, screening_id, &document.to_string()).await
    {
        Ok(_) => Ok(see_other(&format!("/patients/{patient_id}/screening#result"))),
        Err(AppError::Refused(refusal)) => {
            let field = format!("decision.{}.{}", forms::field(&pairs, "item").unwrap_or(""), refusal.field);
            let back = Back { pairs: &pairs, refusal: &refusal, field };
            let markup = form_page(&state, &actor, patient_id, Some(&back), MEDICATION_ROWS).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// The screening page: the course's gate, the latest result item by item with the decision forms, and the form
/// (blank, or as it was sent when `back` is given).
async fn form_page(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    back: Option<&Back<'_>>,
    rows: usize,
) -> Result<Markup, PageError> {
    let screenings::Page { patient, course, gate, shown, decisions } =
        screenings::page(&state.store, actor.app(), patient_id, crate::now()).await.map_err(AppError::from)?;
    let may_screen = matches!(actor.role(), Role::Physician | Role::Pharmacist);
    let may_decide = actor.role() == Role::Physician;
    let zone = patient.time_zone.clone();
    let token = crate::auth::new_token()?;
    Ok(shell(
        "Pre-treatment screening",
        Some(actor),
        Audience::Staff,
        html! { style { (maud::PreEscaped(STYLE)) } },
        html! {
            h1 { "Pre-treatment screening: " (patient.display_name) }
            p.note { "MRN " (patient.mrn) ", born " (patient.date_of_birth) ". Times in " (zone) ". "
                a href=(format!("/patients/{patient_id}")) { "Back to the course page" } }
            @match (&course, &gate) {
                (Some(course), Some(gate)) => {
                    section aria-labelledby="gate-heading" {
                        h2 id="gate-heading" { "First dose of the " (course.regimen) " course" }
                        (gate_block(gate, patient_id, &zone))
                    }
                }
                _ => { p { "No course recorded yet: a screening stored now is not tied to a course." } }
            }
            @if let Some(back) = back.filter(|back| back.field.starts_with("decision.")) {
                div.error role="alert" { p { strong { "Not recorded: " } (back.refusal.reason) } }
            }
            @if let Some(screening) = &shown {
                (result_section(screening, &decisions, patient_id, may_decide, &zone))
            }
            @if may_screen {
                (form_section(&patient, course.as_ref(), back.filter(|back| !back.field.starts_with("decision.")), rows, &token))
            } @else {
                p.note { "Screenings are entered by a physician or a pharmacist." }
            }
        },
    ))
}

/// The stored result item by item: rule title, result, reasons, source, valid until, and the decisions.
fn result_section(
    screening: &StoredScreening,
    decisions: &[RecordedDecision],
    patient_id: i64,
    may_decide: bool,
    zone: &str,
) -> Markup {
    let items: Vec<&Value> = screening.result["items"].as_array().into_iter().flatten().collect();
    html! {
        section aria-labelledby="result-heading" id="result" {
            h2 id="result-heading" { "Result of the screening of " (local_time(screening.at_ms, zone)) }
            p { span class=(format!("badge {}", status_class(screening.status))) { (status_label(screening.status)) }
                " Overall, for " (screening.regimen) ", entered by " (screening.recorded_by) "."
                small.code { " (screening " (screening.id) ")" } }
            ol.items {
                @for item in &items {
                    @let number = item["number"].as_i64().unwrap_or_default();
                    @let status = item_status(item);
                    @let made: Vec<&RecordedDecision> = decisions.iter().filter(|decision| decision.item == number).collect();
                    li.item id=(format!("item-{number}")) value=(number) {
                        p { strong { (item["title"].as_str().unwrap_or_default()) } " "
                            span class=(format!("badge {}", status_class(status))) { (status_label(status)) } }
                        @for reason in item["reasons"].as_array().into_iter().flatten() {
                            p.reason { (reason.as_str().unwrap_or_default()) }
                        }
                        p.note { "Source: " (item["source"].as_str().unwrap_or_default()) ". Valid for: " (item["valid_for"].as_str().unwrap_or_default())
                            @if let Some(until) = item["valid_until"].as_str().and_then(|text| text.parse::<jiff::Timestamp>().ok()) {
                                ", until " (local_time(until.as_millisecond(), zone))
                            } "." small.code { " (" (item["id"].as_str().unwrap_or_default()) ")" } }
                        @for decision in &made {
                            p.decided { (decision_words(decision.kind)) " by " (decision.decided_by) " at "
                                (local_time(decision.decided_at_ms, zone)) ": " (decision.reason) }
                        }
                        @let kind = status.and_then(DecisionKind::needed_for).map(|kind| match kind { DecisionKind::Acknowledge => (kind.id(), "Acknowledge"), DecisionKind::Override => (kind.id(), "Override") });
                        @if let (Some((kind, label)), true, true) = (kind, may_decide, made.is_empty()) {
                            form.decide method="post" action=(format!("/patients/{patient_id}/screening/{}/decisions", screening.id)) {
                                input type="hidden" name="item" value=(number);
                                input type="hidden" name="kind" value=(kind);
                                div.field {
                                    label for=(format!("reason-{number}")) { (label) " item " (number) ": reason (required)" }
                                    input type="text" id=(format!("reason-{number}")) name="reason" required maxlength="2000";
                                }
                                button type="submit" { (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn choice_options(choices: &[(&str, &str)], chosen: &str) -> Markup {
    html! { @for (code, words) in choices { option value=(code) selected[*code == chosen] { (words) } } }
}

/// The form: one block per checklist item with its window and source.
fn form_section(
    patient: &Patient,
    course: Option<&Course>,
    back: Option<&Back<'_>>,
    rows: usize,
    token: &str,
) -> Markup {
    let value = |name: &str| back.and_then(|back| forms::field(back.pairs, name)).unwrap_or("").to_string();
    let marked = |name: &str| back.is_some_and(|back| is_marked(name, &back.field));
    let client_id = Some(value("client_id")).filter(|id| !id.is_empty()).unwrap_or_else(|| token.to_string());
    let regimen_chosen = Some(value("regimen"))
        .filter(|id| !id.is_empty())
        .or_else(|| course.map(|course| course.regimen.clone()))
        .unwrap_or_default();
    let input = |name: &str, label: &str, ask: Ask| -> Markup {
        let id = name.replace('.', "-");
        let invalid = marked(name);
        html! {
            div.field.invalid[invalid] {
                @match ask {
                    Ask::YesNo | Ask::Choice(_) => {
                        label for=(id) { (label) }
                        select id=(id) name=(name) aria-invalid=[invalid.then_some("true")] {
                            (choice_options(match ask { Ask::Choice(choices) => choices, _ => YES_NO }, &value(name)))
                        }
                    }
                    Ask::Time => {
                        label for=(id) { (label) }
                        input type="datetime-local" id=(id) name=(name) value=(value(name)) aria-invalid=[invalid.then_some("true")];
                    }
                    Ask::Count => {
                        label for=(id) { (label) }
                        input type="number" min="0" max="5" step="1" id=(id) name=(name) value=(value(name)) aria-invalid=[invalid.then_some("true")];
                    }
                    Ask::Quantity(units) => {
                        @let value_name = format!("{name}.value");
                        @let unit_name = format!("{name}.unit");
                        label for=(format!("{id}-value")) { (label) }
                        span.quantity {
                            input type="text" inputmode="decimal" id=(format!("{id}-value")) name=(value_name) value=(value(&value_name))
                                aria-invalid=[marked(&value_name).then_some("true")];
                            label.unit for=(format!("{id}-unit")) { "unit" }
                            select id=(format!("{id}-unit")) name=(unit_name) aria-invalid=[marked(&unit_name).then_some("true")] {
                                @if units.len() > 1 { option value="" { "— unit —" } }
                                (choice_options(units, &value(&unit_name)))
                            }
                        }
                    }
                }
            }
        }
    };
    let item_head = |item: Item| -> Markup {
        html! {
            legend { (item.number()) ". " (item.title()) }
            p.note { "Valid for: " (item.valid_for().describe()) ". Source: " (item.source().0) "." }
        }
    };
    html! {
        section aria-labelledby="form-heading" id="form" {
            h2 id="form-heading" { "Enter a screening" }
            @if let Some(back) = back.filter(|back| !back.field.is_empty()) {
                div.error role="alert" {
                    p { strong { "Not stored: please check " (field_words(&back.field)) ". " } (back.refusal.reason) }
                    p.note { "Nothing of this form was stored; your entries are kept below." small.code { " (" (back.refusal.field) ")" } }
                }
            }
            p.note { "Leave a field empty when it is not documented: it then needs review, never passes. "
                "Date of birth (" (patient.date_of_birth) ") and sex (" (patient.sex) ") come from the record." }
            form.stack method="post" action=(format!("/patients/{}/screening", patient.id)) {
                input type="hidden" name="client_id" value=(client_id);
                @if let Some(course) = course { input type="hidden" name="course_id" value=(course.id); }
                fieldset {
                    legend { "Screening" }
                    div.field.invalid[marked("regimen")] {
                        label for="regimen" { "Regimen" }
                        select id="regimen" name="regimen" {
                            @for regimen in il2care_core::regimens::REGIMENS {
                                option value=(regimen.id) selected[regimen.id == regimen_chosen] { (regimen.id) }
                            }
                        }
                    }
                    (input("at", "Screened at (empty: now)", Ask::Time))
                    (input("planned_start", "Planned start of the course", Ask::Time))
                    (input("patient.weight", "Weight", Ask::Quantity(&[("kg", "kg"), ("[lb_av]", "lb")])))
                }
                @for item in Item::ALL {
                    @match item {
                        Item::BaselineLabs => {
                            fieldset.labs {
                                (item_head(item))
                                (input("labs.at", "Blood drawn at", Ask::Time))
                                table.labs {
                                    thead { tr { th scope="col" { "Test" } th scope="col" { "Value and unit" } th scope="col" { "Lab's range: low" } th scope="col" { "high (same unit)" } } }
                                    tbody {
                                        @for (code, words, units) in LABS {
                                            @let name = format!("labs.{code}");
                                            @let value_name = format!("{name}.value");
                                            @let unit_name = format!("{name}.unit");
                                            @let low = format!("{name}.reference_range.low");
                                            @let high = format!("{name}.reference_range.high");
                                            tr.invalid[marked(&name)] {
                                                th scope="row" { label for=(format!("lab-{code}")) { (words) } }
                                                td {
                                                    input type="text" inputmode="decimal" size="6" id=(format!("lab-{code}")) name=(value_name) value=(value(&value_name)) aria-invalid=[marked(&value_name).then_some("true")];
                                                    select name=(unit_name) aria-label=(format!("{words} unit")) aria-invalid=[marked(&unit_name).then_some("true")] {
                                                        @if units.len() > 1 { option value="" { "— unit —" } }
                                                        (choice_options(units, &value(&unit_name)))
                                                    }
                                                }
                                                td { input type="text" inputmode="decimal" size="5" name=(low) value=(value(&low)) aria-label=(format!("{words} range low")) aria-invalid=[marked(&low).then_some("true")]; }
                                                td { input type="text" inputmode="decimal" size="5" name=(high) value=(value(&high)) aria-label=(format!("{words} range high")) aria-invalid=[marked(&high).then_some("true")]; }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        Item::PriorToxicity => {
                            fieldset {
                                (item_head(item)) p.note { "Items 10 and 11: earlier courses of interleukin-2." }
                                (input("previous", "Earlier courses", Ask::Choice(&[("", "Not documented"), ("none", "First course (none earlier)"), ("one", "An earlier course (below)")])))
                                (input("previous.discharged_at", "Discharged from the earlier course at", Ask::Time))
                                (input("previous.response", "Response to it", Ask::Choice(&[("", "Not documented"), ("shrinkage", "Shrinkage"), ("no_shrinkage", "No shrinkage"), ("not_evaluated", "Not evaluated")])))
                                fieldset.invalid[marked("previous.toxicities")] {
                                    legend { "Toxicities in the earlier course" }
                                    @for (code, words) in TOXICITIES {
                                        @let checked = back.is_some_and(|back| back.pairs.iter().any(|(key, value)| key == "previous.toxicities" && value == code));
                                        label.check { input type="checkbox" name="previous.toxicities" value=(code) checked[checked]; " " (words) }
                                    }
                                }
                            }
                        }
                        Item::Retreatment => { fieldset { (item_head(item)) p.note { "Answered by the earlier course above." } } }
                        Item::MedicationList => {
                            fieldset.medications {
                                (item_head(item)) p.note { "Items 17 and 18. One medication per row, as written on the list; the route and purpose decide a steroid's class." }
                                label.check { input type="checkbox" name="no_medications" value="yes" checked[!value("no_medications").is_empty()]; " The patient takes no medications (the list was checked)" }
                                table.medications {
                                    thead { tr { th scope="col" { "Name" } th scope="col" { "Route" } th scope="col" { "Daily dose" } th scope="col" { "Purpose" } } }
                                    tbody {
                                        @for row in 0..rows {
                                            @let prefix = format!("medications.{row}");
                                            @let name = format!("{prefix}.name");
                                            @let route = format!("{prefix}.route");
                                            @let dose = format!("{prefix}.daily_dose.value");
                                            @let dose_unit = format!("{prefix}.daily_dose.unit");
                                            @let purpose = format!("{prefix}.purpose");
                                            tr.invalid[marked(&prefix)] {
                                                td { input type="text" name=(name) value=(value(&name)) aria-label=(format!("Medication {} name", row + 1)) aria-invalid=[marked(&name).then_some("true")]; }
                                                td { select name=(route) aria-label=(format!("Medication {} route", row + 1)) aria-invalid=[marked(&route).then_some("true")] { (choice_options(ROUTES, &value(&route))) } }
                                                td { input type="text" inputmode="decimal" size="6" name=(dose) value=(value(&dose)) aria-label=(format!("Medication {} daily dose", row + 1)) aria-invalid=[marked(&dose).then_some("true")];
                                                     select name=(dose_unit) aria-label=(format!("Medication {} daily dose unit", row + 1)) { option value="mg" { "mg" } } }
                                                td { select name=(purpose) aria-label=(format!("Medication {} purpose", row + 1)) aria-invalid=[marked(&purpose).then_some("true")] { (choice_options(PURPOSES, &value(&purpose))) } }
                                            }
                                        }
                                    }
                                }
                                @if rows < MAX_MEDICATION_ROWS {
                                    button type="submit" name="action" value="more_rows" formnovalidate { "Add more rows" }
                                }
                            }
                        }
                        Item::Antihypertensives => { fieldset { (item_head(item)) p.note { "Read from the medication list above." } } }
                        _ => {
                            fieldset {
                                (item_head(item))
                                @for asked in item_fields(item) { (input(asked.name, asked.label, asked.ask)) }
                            }
                        }
                    }
                }
                button.primary type="submit" name="action" value="screen" { "Screen and store" }
            }
        }
    }
}

/// A form field path in words for the "please check" line: `labs.potassium.value.unit` is "the potassium unit".
pub fn field_words(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("labs.")
        && let Some((_, words, _)) = LABS.iter().find(|(code, _, _)| rest.split('.').next() == Some(*code))
    {
        let what = if rest.contains("unit") {
            "its unit"
        } else if rest.contains("reference_range") {
            "its range"
        } else {
            "its value"
        };
        return format!("{words} ({what})");
    }
    if let Some(rest) = field.strip_prefix("medications.") {
        let mut parts = rest.split('.');
        if let Some(row) = parts.next().and_then(|row| row.parse::<usize>().ok()) {
            let what = parts.next().unwrap_or("name").replace('_', " ");
            return format!("medication row {} ({what})", row + 1);
        }
    }
    for item in Item::ALL {
        if let Some(asked) = item_fields(item).into_iter().find(|asked| is_marked(asked.name, field)) {
            return asked.label.to_string();
        }
    }
    field.replace(['.', '_'], " ")
}

/// The screening page's styles: marked fields, the lab and medication tables scroll on a phone.
const STYLE: &str = "
.labs table, table.labs, table.medications { display: block; overflow-x: auto; max-width: 100%; }
.invalid input, .invalid select, tr.invalid input, tr.invalid select, [aria-invalid=true] { outline: 2px solid #b00020; }
.quantity { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
label.unit { position: absolute; left: -10000px; }
label.check { display: block; }
ol.items { padding-left: 1.5em; }
li.item { margin-bottom: .75em; }
p.reason { margin: .2em 0; }
form.decide { display: flex; gap: .5em; flex-wrap: wrap; align-items: end; }
";

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    fn patient() -> Patient {
        Patient {
            id: 1,
            mrn: "A".into(),
            display_name: "A".into(),
            date_of_birth: "1970-01-01".into(),
            sex: "male".into(),
            time_zone: "America/New_York".into(),
        }
    }

    fn read(list: &[(&str, &str)]) -> Result<FormDocument, Refusal> {
        screening_document(&pairs(list), &patient(), "2026-12-04T12:00:00Z".parse().unwrap())
    }

    #[test]
    fn a_form_becomes_the_document_of_docs_screening() {
        let read = read(&[
            ("regimen", "hd-iv"),
            ("at", "2026-12-04T07:00"),
            ("history.cardiac_disease", "no"),
            ("tests.cardiac.ejection_fraction", "normal"),
            ("tests.cardiac.at", "2026-11-20T10:00"),
            ("labs.at", "2026-12-03T07:00"),
            ("labs.potassium.value", "6.5"),
            ("labs.potassium.unit", "mmol/L"),
            ("medications.0.name", "prednisone"),
            ("medications.0.route", "oral"),
            ("medications.0.daily_dose.value", "5"),
            ("medications.0.daily_dose.unit", "mg"),
            ("medications.0.purpose", "adrenal_replacement"),
            ("medications.1.name", ""),
            ("previous", "none"),
        ])
        .unwrap();
        let document = Value::Object(read.document);
        assert_eq!(document["at"], "2026-12-04T07:00:00-05:00");
        assert_eq!(document["patient"]["date_of_birth"], "1970-01-01");
        assert_eq!(document["history"]["cardiac_disease"], false);
        assert_eq!(document["tests"]["cardiac"]["at"], "2026-11-20T10:00:00-05:00");
        assert_eq!(document["labs"][0]["value"], json!({"value": 6.5, "unit": "mmol/L"}));
        assert_eq!(
            document["medications"],
            json!([{"name": "prednisone", "route": "oral",
            "daily_dose": {"value": 5, "unit": "mg"}, "purpose": "adrenal_replacement"}])
        );
        assert_eq!(document["previous_courses"], json!([]));
        assert!(document.get("infection").is_none(), "an empty answer is not documented, never no");
        assert!(il2care_wire::screening::screening_from_object(document.as_object().unwrap()).is_ok());
    }

    #[test]
    fn a_number_without_its_unit_is_refused_naming_the_unit_field() {
        let refusal = read(&[("regimen", "hd-iv"), ("labs.at", "2026-12-03T07:00"), ("labs.creatinine.value", "1.0")])
            .err()
            .unwrap();
        assert_eq!(refusal.field, "labs.creatinine.unit");
        let refusal = read(&[
            ("regimen", "hd-iv"),
            ("medications.2.daily_dose.value", "5"),
            ("medications.2.daily_dose.unit", "mg"),
        ])
        .err()
        .unwrap();
        assert_eq!(refusal.field, "medications.2.name", "a dose without a name is refused at its row");
        let refusal = read(&[("regimen", "hd-iv"), ("labs.alt.value", "30"), ("labs.alt.unit", "U/L")]).err().unwrap();
        assert_eq!(refusal.field, "labs.at", "a lab value needs its time");
    }

    #[test]
    fn the_wires_refusals_point_at_the_rows_they_came_from() {
        assert_eq!(form_field_of("labs[1].value.unit", &["wbc", "potassium"], &[]), "labs.potassium.value.unit");
        assert_eq!(form_field_of("medications[0].route", &[], &[3]), "medications.3.route");
        assert_eq!(form_field_of("tests.cardiac.at", &[], &[]), "tests.cardiac.at");
        assert_eq!(form_field_of("labs[7]", &["wbc"], &[]), "labs[7]", "an index past the rows stays as it is");
        assert!(is_marked("labs.potassium.value", "labs.potassium"));
        assert!(is_marked("labs.potassium.value", "labs.potassium.value.unit"));
        assert!(!is_marked("labs.potassium2.value", "labs.potassium"));
        assert!(!is_marked("anything", ""));
    }

    #[test]
    fn no_medications_and_listed_medications_contradict() {
        let refusal =
            read(&[("regimen", "hd-iv"), ("no_medications", "yes"), ("medications.0.name", "Pepcid")]).err().unwrap();
        assert_eq!(refusal.field, "no_medications");
        let none = read(&[("regimen", "hd-iv"), ("no_medications", "yes")]).unwrap();
        assert_eq!(none.document["medications"], json!([]));
        let undocumented = read(&[("regimen", "hd-iv")]).unwrap();
        assert!(undocumented.document.get("medications").is_none(), "no list given: not documented");
    }

    #[test]
    fn the_medication_rows_are_counted_from_the_highest_row_sent() {
        assert_eq!(medication_row_count(&pairs(&[("medications.0.name", ""), ("medications.11.route", "")])), 12);
        assert_eq!(medication_row_count(&pairs(&[("regimen", "hd-iv")])), 0);
    }
}
