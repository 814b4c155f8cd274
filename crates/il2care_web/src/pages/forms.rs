//! Reading the pages' HTML forms into the JSON documents the API takes, as pure functions: the check-in
//! questionnaire into a check-in document, the assessment form into observations and findings, the dose form
//! into a dose document, the injection log form into an injection document. Only the shape is handled here;
//! the wire crate validates values and units exactly as for the API (so a form and the API refuse the same
//! things), and nothing here decides.

use il2care_app::injections::ShotStatus;
use il2care_core::Refusal;
use il2care_core::assessment::inputs::{ALL_FINDING_CODES, FindingCode, FindingKind};
use il2care_core::triage::{AnswerKind, Item, QUESTIONNAIRE};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// A submitted form: its name-value pairs in order (checkboxes may repeat a name).
pub type Pairs = [(String, String)];

/// The first non-empty value of a field.
pub fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs.iter().find(|(key, value)| key == name && !value.trim().is_empty()).map(|(_, value)| value.trim())
}

fn number(text: &str, field_name: &str) -> Result<Value, Refusal> {
    let value: Decimal = text
        .parse()
        .map_err(|_| Refusal::new(field_name, format!("`{text}` is not a number; write digits such as 38.5")))?;
    Ok(il2care_wire::json::number(value))
}

fn unit_of<'a>(pairs: &'a Pairs, name: &str, accepted: &[&'a str]) -> Result<&'a str, Refusal> {
    let unit_field = format!("{name}_unit");
    match field(pairs, &unit_field) {
        None => Ok(accepted[0]),
        Some(unit) => accepted
            .iter()
            .find(|accepted| **accepted == unit)
            .copied()
            .ok_or_else(|| Refusal::new(unit_field, format!("`{unit}` is not one of {}", accepted.join(", ")))),
    }
}

/// The units the check-in's temperature field offers.
pub const TEMPERATURE_UNITS: [&str; 2] = ["Cel", "[degF]"];

/// The check-in document from the questionnaire form: an empty answer stays unanswered (never "no").
pub fn checkin_document(pairs: &Pairs, at: &str) -> Result<Value, Refusal> {
    let mut answers = Map::new();
    for item in QUESTIONNAIRE {
        let id = item.id();
        let Some(text) = field(pairs, id) else { continue };
        let name = format!("answers.{id}");
        let answer = match item.kind() {
            AnswerKind::YesNo => match text {
                "yes" => json!(true),
                "no" => json!(false),
                other => return Err(Refusal::new(name, format!("`{other}` is not yes or no"))),
            },
            AnswerKind::Severity | AnswerKind::InjectionSiteLook => json!(text),
            AnswerKind::Count | AnswerKind::Hours => number(text, &name)?,
            AnswerKind::Temperature => {
                json!({"value": number(text, &name)?, "unit": unit_of(pairs, id, &TEMPERATURE_UNITS)?})
            }
            AnswerKind::SystolicPressure => json!({"value": number(text, &name)?, "unit": "mm[Hg]"}),
        };
        answers.insert(id.to_string(), answer);
    }
    let mut document = json!({"at": at, "answers": answers});
    if let Some(client_id) = field(pairs, "client_id") {
        document["client_id"] = json!(client_id);
    }
    Ok(document)
}

/// A measured value the assessment form asks for: code, label, the units offered (first is the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasureField {
    pub code: &'static str,
    pub label: &'static str,
    pub units: &'static [&'static str],
    pub step: &'static str,
}

/// The assessment form's measured values, in bedside order (vitals, oxygen, outputs, weight, labs, pressor
/// rate): every observation code the rule sets read (a test holds the list against the core's codes, so a new
/// code cannot be left off the bedside form).
pub const MEASURE_FIELDS: [MeasureField; 24] = [
    MeasureField { code: "systolic_bp", label: "Systolic blood pressure", units: &["mm[Hg]"], step: "1" },
    MeasureField { code: "diastolic_bp", label: "Diastolic blood pressure", units: &["mm[Hg]"], step: "1" },
    MeasureField { code: "heart_rate", label: "Heart rate", units: &["/min"], step: "1" },
    MeasureField { code: "respiratory_rate", label: "Respiratory rate", units: &["/min"], step: "1" },
    MeasureField { code: "temperature", label: "Temperature", units: &["Cel", "[degF]"], step: "0.1" },
    MeasureField { code: "spo2", label: "Oxygen saturation (SpO2)", units: &["%"], step: "1" },
    MeasureField { code: "oxygen_flow", label: "Oxygen flow", units: &["L/min"], step: "0.5" },
    MeasureField { code: "fio2", label: "Inspired oxygen (FiO2)", units: &["%"], step: "1" },
    MeasureField { code: "urine_output", label: "Urine output", units: &["mL"], step: "1" },
    MeasureField { code: "stool_output", label: "Stool output", units: &["mL"], step: "1" },
    MeasureField { code: "weight", label: "Weight", units: &["kg", "[lb_av]"], step: "0.1" },
    MeasureField { code: "creatinine", label: "Creatinine", units: &["mg/dL", "umol/L"], step: "0.01" },
    MeasureField { code: "bilirubin_total", label: "Bilirubin (total)", units: &["mg/dL", "umol/L"], step: "0.01" },
    MeasureField { code: "alt", label: "ALT", units: &["U/L"], step: "1" },
    MeasureField { code: "ast", label: "AST", units: &["U/L"], step: "1" },
    MeasureField { code: "platelets", label: "Platelets", units: &["10*3/uL", "10*9/L"], step: "1" },
    MeasureField { code: "wbc", label: "White cell count", units: &["10*3/uL", "10*9/L"], step: "0.1" },
    MeasureField { code: "anc", label: "Neutrophil count (ANC)", units: &["10*3/uL", "10*9/L"], step: "0.1" },
    MeasureField { code: "hemoglobin", label: "Hemoglobin", units: &["g/dL", "g/L"], step: "0.1" },
    MeasureField { code: "potassium", label: "Potassium", units: &["mmol/L"], step: "0.1" },
    MeasureField { code: "sodium", label: "Sodium", units: &["mmol/L"], step: "1" },
    MeasureField { code: "lymphocytes", label: "Lymphocytes", units: &["10*3/uL", "10*9/L"], step: "0.1" },
    MeasureField { code: "bicarbonate", label: "Bicarbonate", units: &["mmol/L", "meq/L"], step: "1" },
    MeasureField { code: "phenylephrine_rate", label: "Phenylephrine rate", units: &["ug/kg/min"], step: "0.01" },
];

/// Observation codes the bedside form leaves out on purpose: height is a dosing input, not a bedside reading.
pub const NOT_ON_THE_BEDSIDE_FORM: [&str; 1] = ["height"];

/// The output volumes recorded over an interval, and the name of the form's hours field for each.
const INTERVAL_FIELDS: [(&str, &str); 2] = [("urine_output", "urine_hours"), ("stool_output", "stool_hours")];

/// A group of findings on the bedside form, by organ system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingGroup {
    pub title: &'static str,
    pub codes: Vec<FindingCode>,
}

/// The organ system a finding is shown under; a finding the table does not know goes under "Other findings",
/// so a new finding of the vocabulary is on the form the day it is added.
fn finding_group(code: &str) -> &'static str {
    match code {
        "atrial_fibrillation"
        | "supraventricular_tachycardia"
        | "bradycardia_requiring_treatment"
        | "ventricular_tachycardia"
        | "ventricular_ectopy"
        | "arrhythmia_uncontrolled"
        | "ecg_ischemia_changes"
        | "chest_pain_angina"
        | "cardiac_enzymes_elevated"
        | "cardiac_tamponade"
        | "pressor_requirement"
        | "vasopressor_other" => "Heart and circulation",
        "o2_device" | "intubated" | "dyspnea_at_rest" | "rales_extent" => "Breathing",
        "mental_status_change"
        | "mental_status_change_hours"
        | "lethargy_somnolence"
        | "coma"
        | "toxic_psychosis"
        | "seizures_repetitive"
        | "vivid_dreams"
        | "anxiety_mild"
        | "hallucinations"
        | "persistent_crying"
        | "cognitive_screen_failed" => "Brain and behaviour",
        "fobt_result"
        | "bowel_ischemia_perforation"
        | "gi_bleeding_requiring_surgery"
        | "ileus_distention"
        | "vomiting_refractory"
        | "abdominal_pain_severe"
        | "heme_positive_secretions"
        | "frank_blood"
        | "hepatic_failure_signs" => "Gut, bleeding and liver",
        "dialysis" | "severe_volume_overload" | "acidosis" | "hyperkalemia" => "Kidney, fluids and electrolytes",
        "sepsis_unstable" | "infection_suspected_or_documented" => "Infection",
        "bullous_dermatitis" | "moist_desquamation" | "extreme_tightness" | "extreme_paresthesias" => "Skin and nerves",
        "asymptomatic" | "normal_sinus_rhythm" | "fluid_electrolytes_stable" | "infection_under_treatment" => {
            "Before a held dose resumes"
        }
        _ => "Other findings",
    }
}

/// Every finding of the vocabulary (ASSESSMENT §2.2, generated from the core's list), grouped by organ
/// system in a fixed order: the bedside form offers each one in the form its rules read it (§10.3).
pub fn finding_groups() -> Vec<FindingGroup> {
    const ORDER: [&str; 9] = [
        "Heart and circulation",
        "Breathing",
        "Brain and behaviour",
        "Gut, bleeding and liver",
        "Kidney, fluids and electrolytes",
        "Infection",
        "Skin and nerves",
        "Before a held dose resumes",
        "Other findings",
    ];
    ORDER
        .iter()
        .map(|title| FindingGroup {
            title,
            codes: ALL_FINDING_CODES.iter().copied().filter(|code| finding_group(code.id()) == *title).collect(),
        })
        .filter(|group| !group.codes.is_empty())
        .collect()
}

/// The form field of a finding: `finding.<code>`.
pub fn finding_field(code: FindingCode) -> String {
    format!("finding.{}", code.id())
}

/// The observations entered on the assessment form, timed `at` (`at_ms` for output intervals); each gets a
/// client id from the form's token so that submitting the same form twice stores them once. An output volume
/// covers the interval from `<code>_start` (the end of the last recorded interval, which the form carries) to
/// now, or the last `<code>_hours` hours when the nurse says so or nothing was recorded before.
pub fn assessment_observations(pairs: &Pairs, at: &str, at_ms: i64) -> Result<Vec<Value>, Refusal> {
    let token = field(pairs, "form_token").unwrap_or("");
    let mut observations = Vec::new();
    for measure in MEASURE_FIELDS {
        let Some(text) = field(pairs, measure.code) else { continue };
        let name = format!("observations.{}", measure.code);
        let mut observation = json!({"code": measure.code, "value": {"value": number(text, &name)?, "unit": unit_of(pairs, measure.code, measure.units)?}});
        if let Some((_, hours_field)) = INTERVAL_FIELDS.iter().find(|(code, _)| *code == measure.code) {
            observation["start"] = json!(interval_start(pairs, measure.code, hours_field, at_ms)?);
            observation["end"] = json!(at);
        } else {
            observation["at"] = json!(at);
        }
        if !token.is_empty() {
            observation["client_id"] = json!(format!("{token}-{}", measure.code));
        }
        observations.push(observation);
    }
    Ok(observations)
}

/// Where an output interval entered on the form starts: the hours typed, else the carried start.
fn interval_start(pairs: &Pairs, code: &str, hours_field: &str, at_ms: i64) -> Result<String, Refusal> {
    if let Some(hours_text) = field(pairs, hours_field) {
        let hours: Decimal = hours_text
            .parse()
            .ok()
            .filter(|hours: &Decimal| *hours > Decimal::ZERO && *hours <= Decimal::from(24))
            .ok_or_else(|| Refusal::new(hours_field, "must be a number of hours above 0 and up to 24"))?;
        let minutes = (hours * Decimal::from(60)).round();
        let minutes = i64::try_from(minutes).map_err(|_| Refusal::new(hours_field, "is out of range"))?;
        return Ok(crate::rfc3339(at_ms - minutes * 60_000));
    }
    let start_field = format!("{code}_start");
    match field(pairs, &start_field) {
        Some(start) => {
            let parsed = start
                .parse::<jiff::Timestamp>()
                .map_err(|_| Refusal::new(start_field.clone(), "is not a time such as 2026-11-27T08:00:00Z"))?;
            if parsed.as_millisecond() >= at_ms {
                return Err(Refusal::new(start_field, "must be before now"));
            }
            Ok(start.to_string())
        }
        None => Err(Refusal::new(hours_field, "is required with an output volume: over how many hours")),
    }
}

/// The assessment document for the service: the course, the time, and the findings (the service fills the
/// patient, course and observations from the record). Each finding is read in the form its rules read it.
/// "I reviewed the findings" attests only what the form showed (ASSESSMENT §10.3): every finding of the form
/// left blank is sent as its absent answer, explicitly, and the document itself never claims
/// `findings_reviewed`, so a finding the form could not record is never made "absent". Without the tick, a
/// blank finding stays unanswered.
pub fn assessment_document(pairs: &Pairs, course_id: i64, at: &str) -> Result<Value, Refusal> {
    let reviewed = field(pairs, "findings_reviewed") == Some("yes");
    let mut findings = Vec::new();
    for code in ALL_FINDING_CODES.iter().copied() {
        let name = finding_field(code);
        let ticked = pairs
            .iter()
            .any(|(key, value)| (key == "finding" && value == code.id()) || (key == &name && value == "present"));
        let value = match code.kind() {
            FindingKind::PresentAbsent => (ticked || reviewed).then(|| json!(ticked)),
            FindingKind::YesNo => match field(pairs, &name) {
                Some("yes") => Some(json!(true)),
                Some("no") => Some(json!(false)),
                Some(other) => return Err(Refusal::new(name, format!("`{other}` is not yes or no"))),
                None => reviewed.then_some(json!(false)),
            },
            FindingKind::Scale(words) => match field(pairs, &name) {
                Some(word) if words.iter().any(|known| known.id() == word) => Some(json!(word)),
                Some(other) => return Err(Refusal::new(name, format!("`{other}` is not one of the offered answers"))),
                None => reviewed.then(|| json!(words[0].id())),
            },
            FindingKind::Beats | FindingKind::Hours => match field(pairs, &name) {
                Some(text) => Some(number(text, &name)?),
                None => reviewed.then(|| json!(0)),
            },
        };
        if let Some(value) = value {
            findings.push(json!({"code": code.id(), "value": value, "at": at}));
        }
    }
    Ok(json!({"course_id": course_id, "at": at, "findings_reviewed": false, "findings": findings}))
}

/// The dose document from the dose form.
pub fn dose_document(pairs: &Pairs, at: &str) -> Result<Value, Refusal> {
    let id = |name: &str| -> Result<Option<i64>, Refusal> {
        field(pairs, name)
            .map(|text| text.parse::<i64>().map_err(|_| Refusal::new(name, "must be a record id")))
            .transpose()
    };
    let course_id = id("course_id")?.ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status = field(pairs, "status").ok_or_else(|| Refusal::new("status", "choose given or held"))?;
    let mut document = json!({"course_id": course_id, "status": status, "at": at});
    if let Some(assessment_id) = id("assessment_id")? {
        document["assessment_id"] = json!(assessment_id);
    }
    if let Some(slot) = field(pairs, "slot") {
        let slot: u32 = slot.parse().map_err(|_| Refusal::new("slot", "must be a slot number"))?;
        document["slot"] = json!(slot);
    }
    for name in ["override_reason", "reason_code", "idempotency_key"] {
        if let Some(text) = field(pairs, name) {
            document[name] = json!(text);
        }
    }
    Ok(document)
}

/// The injection document from the injection log form. The time typed into the form (`at_local`, as a
/// `datetime-local` field sends it) is read in the patient's zone; an empty time is `now`. Only the fields of
/// the chosen answer are sent: the site of a skipped shot or the reason of a shot taken would be leftovers of
/// the other choice, not something the patient meant.
pub fn injection_document(pairs: &Pairs, zone: &str, now: jiff::Timestamp) -> Result<Value, Refusal> {
    let course_id: i64 = field(pairs, "course_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status =
        field(pairs, "status").ok_or_else(|| Refusal::new("status", "choose whether you took or skipped it"))?;
    let time_zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = match field(pairs, "at_local") {
        None => now.to_zoned(time_zone),
        Some(text) => {
            text.parse::<jiff::civil::DateTime>().ok().and_then(|local| local.to_zoned(time_zone).ok()).ok_or_else(
                || Refusal::new("at", format!("`{text}` is not a date and time such as 2026-11-28T08:30")),
            )?
        }
    };
    let mut document = json!({"course_id": course_id, "status": status, "at": il2care_wire::dosing::local_time(&at)});
    if let Some(slot) = field(pairs, "slot") {
        let slot: u32 = slot.parse().map_err(|_| Refusal::new("slot", "choose one of the shots offered"))?;
        document["slot"] = json!(slot);
    }
    let mut copy = |name: &str| {
        if let Some(value) = field(pairs, name) {
            document[name] = json!(value);
        }
    };
    copy("dose_level");
    copy("note");
    copy("client_id");
    if ShotStatus::from_id(status) == Some(ShotStatus::Skipped) {
        copy("skip_reason");
    } else {
        copy("site");
    }
    Ok(document)
}

/// The questionnaire items with their answer kinds, for the form (most dangerous first).
pub fn questionnaire() -> impl Iterator<Item = (Item, AnswerKind)> {
    QUESTIONNAIRE.into_iter().map(|item| (item, item.kind()))
}

#[cfg(test)]
mod tests {
    use il2care_core::assessment::inputs::ALL_OBSERVATION_CODES;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    const AT: &str = "2026-11-27T08:30:00-05:00";

    #[test]
    fn the_questionnaire_form_becomes_a_check_in_document_and_blanks_stay_unanswered() {
        let form = pairs(&[
            ("temperature", "38.5"),
            ("temperature_unit", "Cel"),
            ("chills", "moderate"),
            ("lightheaded", "no"),
            ("rash", ""),
            ("extra_stools_24h", "2"),
            ("fluids_not_kept_down_hours", "0"),
            ("home_systolic_bp", "112"),
            ("client_id", "abc"),
        ]);
        let document = checkin_document(&form, AT).unwrap();
        assert_eq!(
            document,
            json!({"at": AT, "client_id": "abc", "answers": {"temperature": {"value": 38.5, "unit": "Cel"},
                   "chills": "moderate", "lightheaded": false, "extra_stools_24h": 2, "fluids_not_kept_down_hours": 0,
                   "home_systolic_bp": {"value": 112, "unit": "mm[Hg]"}}})
        );
        let parsed = il2care_wire::checkin::parse_checkin(&{
            let mut without_id = document.clone();
            without_id.as_object_mut().unwrap().remove("client_id");
            without_id.to_string()
        });
        assert!(parsed.is_ok(), "the wire crate accepts what the form makes: {parsed:?}");
    }

    #[test]
    fn bad_form_answers_are_refused_naming_the_item() {
        let check = |list: &[(&str, &str)], field_name: &str| {
            let refusal = checkin_document(&pairs(list), AT).unwrap_err();
            assert_eq!(refusal.field, field_name, "{refusal}");
        };
        check(&[("temperature", "hot")], "answers.temperature");
        check(&[("temperature", "38"), ("temperature_unit", "K")], "temperature_unit");
        check(&[("rash", "maybe")], "answers.rash");
        check(&[("vomiting_episodes_24h", "two")], "answers.vomiting_episodes_24h");
    }

    #[test]
    fn fahrenheit_is_kept_as_given_for_the_wire_crate_to_convert() {
        let document =
            checkin_document(&pairs(&[("temperature", "101.3"), ("temperature_unit", "[degF]")]), AT).unwrap();
        assert_eq!(document["answers"]["temperature"], json!({"value": 101.3, "unit": "[degF]"}));
    }

    #[test]
    fn assessment_fields_become_observations_with_units_and_a_urine_interval() {
        let at_ms = "2026-11-27T16:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let at = "2026-11-27T16:00:00Z";
        let form = pairs(&[
            ("form_token", "t1"),
            ("systolic_bp", "85"),
            ("creatinine", "150"),
            ("creatinine_unit", "umol/L"),
            ("urine_output", "60"),
            ("urine_hours", "4"),
            ("heart_rate", ""),
        ]);
        let observations = assessment_observations(&form, at, at_ms).unwrap();
        assert_eq!(
            observations,
            vec![
                json!({"code": "systolic_bp", "value": {"value": 85, "unit": "mm[Hg]"}, "at": at, "client_id": "t1-systolic_bp"}),
                json!({"code": "urine_output", "value": {"value": 60, "unit": "mL"}, "start": "2026-11-27T12:00:00Z",
                       "end": at, "client_id": "t1-urine_output"}),
                json!({"code": "creatinine", "value": {"value": 150, "unit": "umol/L"}, "at": at, "client_id": "t1-creatinine"}),
            ]
        );
        let without_ids: Vec<Value> = observations
            .into_iter()
            .map(|mut observation| {
                observation.as_object_mut().unwrap().remove("client_id");
                observation
            })
            .collect();
        let checked = il2care_wire::assessment::validate_observations(&Value::Array(without_ids), at.parse().unwrap());
        assert!(checked.is_ok(), "the wire crate accepts what the form makes: {checked:?}");
    }

    #[test]
    fn a_urine_output_needs_its_hours_and_units_must_be_offered_ones() {
        let check = |list: &[(&str, &str)], field_name: &str| {
            let refusal = assessment_observations(&pairs(list), "2026-11-27T16:00:00Z", 0).unwrap_err();
            assert_eq!(refusal.field, field_name, "{refusal}");
        };
        check(&[("urine_output", "60")], "urine_hours");
        check(&[("urine_output", "60"), ("urine_hours", "0")], "urine_hours");
        check(&[("weight", "80"), ("weight_unit", "stone")], "weight_unit");
        check(&[("systolic_bp", "eighty")], "observations.systolic_bp");
    }

    fn finding<'a>(document: &'a Value, code: &str) -> Option<&'a Value> {
        document["findings"].as_array().unwrap().iter().find(|finding| finding["code"] == code).map(|f| &f["value"])
    }

    #[test]
    fn the_review_box_answers_every_finding_the_form_showed_and_never_claims_the_rest() {
        let at = "2026-11-27T16:00:00Z";
        let form = pairs(&[
            ("findings_reviewed", "yes"),
            ("finding", "atrial_fibrillation"),
            ("finding.hallucinations", "present"),
            ("finding.mental_status_change", "moderate"),
            ("finding.ventricular_tachycardia", "3"),
            ("finding.asymptomatic", "yes"),
            ("finding", "made_up"),
        ]);
        let document = assessment_document(&form, 4, at).unwrap();
        assert_eq!(document["findings_reviewed"], false, "the attestation is spelled out finding by finding");
        assert_eq!(finding(&document, "atrial_fibrillation"), Some(&json!(true)));
        assert_eq!(finding(&document, "hallucinations"), Some(&json!(true)));
        assert_eq!(finding(&document, "mental_status_change"), Some(&json!("moderate")));
        assert_eq!(finding(&document, "ventricular_tachycardia"), Some(&json!(3)));
        assert_eq!(finding(&document, "asymptomatic"), Some(&json!(true)));
        assert_eq!(finding(&document, "coma"), Some(&json!(0)), "blank hours after review are 0 h");
        assert_eq!(
            finding(&document, "o2_device"),
            Some(&json!("none")),
            "a blank scale after review is its first word"
        );
        assert_eq!(finding(&document, "fobt_result"), Some(&json!("not_done")));
        assert_eq!(finding(&document, "normal_sinus_rhythm"), Some(&json!(false)), "a blank resume input is no");
        assert_eq!(finding(&document, "frank_blood"), Some(&json!(false)));
        assert_eq!(document["findings"].as_array().unwrap().len(), ALL_FINDING_CODES.len(), "every finding, once");

        let unreviewed = assessment_document(&pairs(&[("finding.lethargy_somnolence", "severe")]), 4, at).unwrap();
        assert_eq!(
            unreviewed["findings"],
            json!([{"code": "lethargy_somnolence", "value": "severe", "at": at}]),
            "without the review tick a blank finding stays unanswered"
        );
    }

    #[test]
    fn a_finding_answer_outside_its_form_is_refused_naming_the_field() {
        let check = |list: &[(&str, &str)], field: &str| {
            let refusal = assessment_document(&pairs(list), 4, "2026-11-27T16:00:00Z").unwrap_err();
            assert_eq!(refusal.field, field, "{list:?}");
        };
        check(&[("finding.o2_device", "helmet")], "finding.o2_device");
        check(&[("finding.asymptomatic", "maybe")], "finding.asymptomatic");
        check(&[("finding.coma", "long")], "finding.coma");
    }

    #[test]
    fn the_bedside_form_offers_every_observation_code_and_every_finding_of_the_core() {
        for code in ALL_OBSERVATION_CODES {
            let on_form = MEASURE_FIELDS.iter().any(|field| field.code == code.id());
            assert!(
                on_form || NOT_ON_THE_BEDSIDE_FORM.contains(&code.id()),
                "{} is not on the bedside form",
                code.id()
            );
        }
        let grouped: Vec<FindingCode> = finding_groups().into_iter().flat_map(|group| group.codes).collect();
        assert_eq!(grouped.len(), ALL_FINDING_CODES.len(), "every finding in exactly one group");
        for code in ALL_FINDING_CODES {
            assert!(grouped.contains(code), "{} is not on the bedside form", code.id());
        }
        let resume = finding_groups().into_iter().find(|group| group.title == "Before a held dose resumes").unwrap();
        let ids: Vec<&str> = resume.codes.iter().map(|code| code.id()).collect();
        for input in ["asymptomatic", "normal_sinus_rhythm", "infection_under_treatment", "fluid_electrolytes_stable"] {
            assert!(ids.contains(&input), "the resume input {input} is recordable");
        }
    }

    #[test]
    fn an_output_interval_starts_where_the_last_one_ended_unless_hours_are_given() {
        let at = "2026-11-27T16:00:00Z";
        let at_ms = at.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let carried = pairs(&[("stool_output", "200"), ("stool_output_start", "2026-11-27T08:00:00Z")]);
        let observations = assessment_observations(&carried, at, at_ms).unwrap();
        assert_eq!(observations[0]["start"], "2026-11-27T08:00:00Z");
        assert_eq!(observations[0]["end"], at);
        let hours =
            pairs(&[("urine_output", "80"), ("urine_output_start", "2026-11-27T08:00:00Z"), ("urine_hours", "2")]);
        assert_eq!(assessment_observations(&hours, at, at_ms).unwrap()[0]["start"], "2026-11-27T14:00:00Z");
        let future = pairs(&[("urine_output", "80"), ("urine_output_start", "2026-11-27T17:00:00Z")]);
        assert_eq!(assessment_observations(&future, at, at_ms).unwrap_err().field, "urine_output_start");
    }

    #[test]
    fn the_injection_form_reads_the_typed_time_in_the_patients_zone_and_sends_only_the_chosen_answer() {
        let now: jiff::Timestamp = "2026-11-28T15:00:00Z".parse().unwrap();
        let form = pairs(&[
            ("course_id", "4"),
            ("slot", "3"),
            ("status", "given"),
            ("at_local", "2026-11-28T08:30"),
            ("site", "thigh_left"),
            ("skip_reason", "left over"),
            ("note", " sore "),
            ("client_id", "c1"),
        ]);
        assert_eq!(
            injection_document(&form, "America/New_York", now).unwrap(),
            json!({"course_id": 4, "status": "given", "at": "2026-11-28T08:30:00-05:00", "slot": 3, "site": "thigh_left",
                   "note": "sore", "client_id": "c1"})
        );
        let skipped = pairs(&[
            ("course_id", "4"),
            ("slot", "3"),
            ("status", "skipped"),
            ("site", "arm_left"),
            ("skip_reason", "fever"),
        ]);
        let document = injection_document(&skipped, "UTC", now).unwrap();
        assert_eq!((document["at"].as_str(), document.get("site")), (Some("2026-11-28T15:00:00+00:00"), None));
        assert_eq!(document["skip_reason"], "fever");
        let check = |list: &[(&str, &str)], field_name: &str| {
            assert_eq!(injection_document(&pairs(list), "UTC", now).unwrap_err().field, field_name);
        };
        check(&[("slot", "3"), ("status", "given")], "course_id");
        check(&[("course_id", "4"), ("slot", "3")], "status");
        check(&[("course_id", "4"), ("status", "given"), ("at_local", "yesterday")], "at");
        check(&[("course_id", "4"), ("status", "given"), ("slot", "third")], "slot");
    }

    #[test]
    fn the_dose_form_carries_the_decision_and_the_override_reason() {
        let form = pairs(&[
            ("course_id", "3"),
            ("assessment_id", "8"),
            ("slot", "4"),
            ("status", "given"),
            ("reason_code", "data_entry_error"),
            ("override_reason", " ok "),
            ("idempotency_key", "form-1"),
        ]);
        assert_eq!(
            dose_document(&form, AT).unwrap(),
            json!({"course_id": 3, "status": "given", "at": AT, "assessment_id": 8, "slot": 4,
                   "reason_code": "data_entry_error", "override_reason": "ok", "idempotency_key": "form-1"})
        );
        assert_eq!(dose_document(&pairs(&[("course_id", "3"), ("slot", "x")]), AT).unwrap_err().field, "status");
        assert_eq!(dose_document(&pairs(&[("course_id", "3")]), AT).unwrap_err().field, "status");
    }
}
