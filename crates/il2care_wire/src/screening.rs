//! The screening document (docs/screening.md): parsing it into a core [`ScreeningInput`], refusing the whole
//! document with a [`Refusal`] that names the field, and rendering a [`ScreeningResult`] as the result JSON.
//!
//! Refused: unknown fields at any level, a missing `at`, `regimen` or `patient.date_of_birth`, times that are
//! not RFC 3339 with an offset, data timed after `at`, a planned start before `at`, unknown words (test results,
//! indication, sex, toxicities, contrast agents), labs without a unit or outside the plausible range, empty
//! medication names, and site "not applicable" marks for `hd-iv` or for items 3 and 4. Absent data are not
//! refused: the checklist makes them `needs_review`. This module decides nothing and does no IO.

use il2care_core::Refusal;
use il2care_core::regimens::{regimen, regimen_ids};
use il2care_core::screening::premedication::PLAN_NOTICE;
use il2care_core::screening::{
    CardiacTests, CnsEvaluation, ContrastAgent, DrugClass, Education, Finding, History, ImpairmentAssessment,
    Indication, InfectionAssessment, InfectionStatus, Interleukin2History, Item, LabResult, LabValue, Litres,
    Medication, MedicationRoute, Moment, Patient, PerformanceStatus, PlannedContrast, PregnancyTest,
    PregnancyTestResult, PreviousCourse, PulmonaryTests, ReferenceRange, Response, ScreeningInput, ScreeningResult,
    Sex, Toxicity,
};
use il2care_core::units::{
    Bilirubin, CellCount, Creatinine, Hemoglobin, Kilograms, Measure, Milligrams, MillimolesPerLitre, Percent, Unit,
    UnitsPerLitre, round_for_display,
};
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::checkin::Time;
use crate::dosing::CLINICIAN_DISCLAIMER;
use crate::json::{self, Count, Flag, List, Obj, Text};

/// The top-level fields of a screening document.
pub const FIELDS: [&str; 20] = [
    "at",
    "regimen",
    "planned_start",
    "not_applicable",
    "patient",
    "indication",
    "history",
    "tests",
    "impairment",
    "infection",
    "central_line_planned",
    "performance_status",
    "intensive_care_available",
    "education",
    "labs",
    "previous_courses",
    "medications",
    "interleukin_2",
    "planned_contrast",
    "description",
];

/// A JSON object member, or a refusal naming it.
fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, Refusal> {
    value.as_object().ok_or_else(|| Refusal::new(field, format!("must be an object, not {}", json::kind(value))))
}

/// A JSON list member, or a refusal naming it.
fn list<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, Refusal> {
    value.as_array().ok_or_else(|| Refusal::new(field, format!("must be a list, not {}", json::kind(value))))
}

/// An optional member: absent and `null` are both "not documented".
fn optional<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

fn optional_bool(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, Refusal> {
    optional(map, key).map(|value| json::boolean(value, &json::join(path, key))).transpose()
}

/// A word from a closed list, refused with the list when unknown.
fn word<T: Copy>(value: &Value, field: &str, words: &[(&str, T)]) -> Result<T, Refusal> {
    let text = json::string(value, field)?;
    words.iter().find(|(known, _)| *known == text).map(|(_, meaning)| *meaning).ok_or_else(|| {
        let known: Vec<&str> = words.iter().map(|(known, _)| *known).collect();
        Refusal::new(field, format!("unknown value `{text}`; expected one of: {}", known.join(", ")))
    })
}

fn optional_word<T: Copy>(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    words: &[(&str, T)],
) -> Result<Option<T>, Refusal> {
    optional(map, key).map(|value| word(value, &json::join(path, key), words)).transpose()
}

/// A time that must not be after the screen's time `at`.
fn time_not_after(value: &Value, field: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    not_after(json::timestamp(value, field)?, field, at)
}

/// [`time_not_after`] for a time already read.
fn not_after(time: Timestamp, field: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    if time > at {
        return Err(Refusal::new(field, format!("{time} is after the screen's time at ({at})")));
    }
    Ok(time)
}

/// The required `at` of a section, not after the screen's time.
fn section_time(map: &Map<String, Value>, path: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    time_not_after(json::required(map, "at", path)?, &json::join(path, "at"), at)
}

/// An instant with the local calendar date the document wrote (its offset kept for the date).
fn moment(value: &Value, field: &str) -> Result<Moment, Refusal> {
    let instant = json::timestamp(value, field)?;
    let text = json::string(value, field)?;
    let date = text
        .get(..10)
        .and_then(|date| date.parse::<Date>().ok())
        .ok_or_else(|| Refusal::new(field, format!("`{text}` does not start with a calendar date")))?;
    Ok(Moment { instant, date })
}

/// Parses a screening document's text in one pass ([`json::document`]).
pub fn parse_screening(text: &str) -> Result<ScreeningInput, Refusal> {
    json::document::<Sent>(text)?.into_input()
}

/// Parses a screening document already read as a JSON object.
pub fn screening_from_object(document: &Map<String, Value>) -> Result<ScreeningInput, Refusal> {
    json::document_from_value::<Sent>(Value::Object(document.clone()))?.into_input()
}

/// A screening document as sent: unknown members refused, the simple sections read by their types. The
/// patient, tests, history, labs, courses, medications and contrast are read by the functions below from their
/// JSON (their checks depend on `at` and the regimen), naming each field as before.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a screening document (a JSON object)")]
struct Sent {
    #[serde(default)]
    at: Option<Value>,
    #[serde(default)]
    regimen: Option<Text>,
    #[serde(default)]
    planned_start: Option<Value>,
    #[serde(default)]
    not_applicable: Option<Value>,
    #[serde(default)]
    patient: Option<Value>,
    #[serde(default)]
    indication: Option<Value>,
    #[serde(default)]
    history: Option<Value>,
    #[serde(default)]
    tests: Option<Value>,
    #[serde(default)]
    impairment: Option<Obj<SentImpairment>>,
    #[serde(default)]
    infection: Option<Obj<SentInfection>>,
    #[serde(default)]
    central_line_planned: Option<Flag>,
    #[serde(default)]
    performance_status: Option<Obj<SentPerformanceStatus>>,
    #[serde(default)]
    intensive_care_available: Option<Flag>,
    #[serde(default)]
    education: Option<Obj<SentEducation>>,
    #[serde(default)]
    labs: Option<List>,
    #[serde(default)]
    previous_courses: Option<List>,
    #[serde(default)]
    medications: Option<List>,
    #[serde(default)]
    interleukin_2: Option<Obj<SentInterleukin2>>,
    #[serde(default)]
    planned_contrast: Option<List>,
    /// Free text for the reader of a case file; not evaluated.
    #[serde(default, rename = "description")]
    _description: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentImpairment {
    #[serde(default)]
    renal: Option<Flag>,
    #[serde(default)]
    hepatic: Option<Flag>,
    #[serde(default)]
    cns: Option<Flag>,
    #[serde(default)]
    at: Option<Time>,
}

json::member!(
    /// An infection status word.
    InfectionWord(InfectionStatus),
    |value| word(
        &value,
        "",
        &[
            ("none", InfectionStatus::None),
            ("under_treatment", InfectionStatus::UnderTreatment),
            ("untreated_bacterial", InfectionStatus::UntreatedBacterial),
        ],
    )
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentInfection {
    #[serde(default)]
    status: Option<InfectionWord>,
    #[serde(default)]
    at: Option<Time>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentPerformanceStatus {
    #[serde(default)]
    ecog: Option<Count>,
    #[serde(default)]
    at: Option<Time>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentEducation {
    #[serde(default)]
    sheet_given: Option<Flag>,
    #[serde(default)]
    contrast_flag_explained: Option<Flag>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SentInterleukin2 {
    #[serde(default)]
    received: Option<Flag>,
    #[serde(default)]
    last_dose_at: Option<Time>,
}

/// A required member of a section, or a refusal naming it.
fn required<T>(member: Option<T>, field: &str) -> Result<T, Refusal> {
    member.ok_or_else(|| Refusal::new(field, "is required"))
}

/// The required `at` of a typed section, not after the screen's time.
fn section_at(time: Option<Time>, path: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    let field = json::join(path, "at");
    not_after(required(time, &field)?.0, &field, at)
}

impl Sent {
    fn into_input(self) -> Result<ScreeningInput, Refusal> {
        let at = moment(required(self.at.as_ref(), "at")?, "at")?;
        let id = required(self.regimen, "regimen")?.0;
        let regimen = regimen(&id)
            .ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{id}`; one of: {}", regimen_ids())))?;
        let patient = patient(object(required(self.patient.as_ref(), "patient")?, "patient")?, at)?;
        let mut input = ScreeningInput::new(at, regimen, patient);
        if let Some(value) = &self.planned_start {
            let start = moment(value, "planned_start")?;
            if start.instant < at.instant {
                return Err(Refusal::new("planned_start", format!("{} is before the screen's time at", start.instant)));
            }
            input.planned_start = Some(start);
        }
        if let Some(value) = &self.not_applicable {
            input.not_applicable = not_applicable(value, regimen.id)?;
        }
        input.indication = self
            .indication
            .as_ref()
            .map(|value| {
                word(
                    value,
                    "indication",
                    &[
                        ("metastatic_renal_cell_carcinoma", Indication::MetastaticRenalCellCarcinoma),
                        ("metastatic_melanoma", Indication::MetastaticMelanoma),
                        ("other", Indication::Other),
                    ],
                )
            })
            .transpose()?;
        if let Some(value) = &self.history {
            input.history = history(object(value, "history")?)?;
        }
        if let Some(value) = &self.tests {
            tests(object(value, "tests")?, at.instant, &mut input)?;
        }
        if let Some(Obj(sent)) = self.impairment {
            input.impairment = Some(ImpairmentAssessment {
                renal: sent.renal.map(|flag| flag.0),
                hepatic: sent.hepatic.map(|flag| flag.0),
                cns: sent.cns.map(|flag| flag.0),
                at: section_at(sent.at, "impairment", at.instant)?,
            });
        }
        if let Some(Obj(sent)) = self.infection {
            let status = required(sent.status, "infection.status")?.0;
            input.infection = Some(InfectionAssessment { status, at: section_at(sent.at, "infection", at.instant)? });
        }
        input.central_line_planned = self.central_line_planned.map(|flag| flag.0);
        if let Some(Obj(sent)) = self.performance_status {
            let ecog = required(sent.ecog, "performance_status.ecog")?.0;
            let ecog = u8::try_from(ecog)
                .ok()
                .filter(|ecog| *ecog <= 5)
                .ok_or_else(|| Refusal::new("performance_status.ecog", format!("ECOG is 0 to 5 (got {ecog})")))?;
            input.performance_status =
                Some(PerformanceStatus { ecog, at: section_at(sent.at, "performance_status", at.instant)? });
        }
        input.intensive_care_available = self.intensive_care_available.map(|flag| flag.0);
        if let Some(Obj(sent)) = self.education {
            input.education = Education {
                sheet_given: sent.sheet_given.map(|flag| flag.0),
                contrast_flag_explained: sent.contrast_flag_explained.map(|flag| flag.0),
            };
        }
        for (index, entry) in self.labs.map(|list| list.0).unwrap_or_default().iter().enumerate() {
            input.labs.push(lab(entry, &format!("labs[{index}]"), at.instant)?);
        }
        if let Some(List(entries)) = self.previous_courses {
            let mut courses = Vec::new();
            for (index, entry) in entries.iter().enumerate() {
                courses.push(previous_course(entry, &format!("previous_courses[{index}]"), at.instant)?);
            }
            input.previous_courses = Some(courses);
        }
        if let Some(List(entries)) = self.medications {
            let mut medications = Vec::new();
            for (index, entry) in entries.iter().enumerate() {
                medications.push(medication(entry, &format!("medications[{index}]"))?);
            }
            input.medications = Some(medications);
        }
        if let Some(Obj(sent)) = self.interleukin_2 {
            let received = required(sent.received, "interleukin_2.received")?.0;
            let last_dose_at = sent
                .last_dose_at
                .map(|time| not_after(time.0, "interleukin_2.last_dose_at", at.instant))
                .transpose()?;
            if last_dose_at.is_some() && !received {
                return Err(Refusal::new("interleukin_2.received", "is false but a last dose is given"));
            }
            input.interleukin_2 = Some(Interleukin2History { received, last_dose_at });
        }
        for (index, entry) in self.planned_contrast.map(|list| list.0).unwrap_or_default().iter().enumerate() {
            input.planned_contrast.push(planned_contrast(entry, &format!("planned_contrast[{index}]"))?);
        }
        Ok(input)
    }
}

fn patient(map: &Map<String, Value>, at: Moment) -> Result<Patient, Refusal> {
    const PATIENT_FIELDS: [&str; 9] = [
        "date_of_birth",
        "sex",
        "weight",
        "reproductive_potential",
        "pregnant",
        "pregnancy_test",
        "breastfeeding",
        "contraception_counselled",
        "flags",
    ];
    json::refuse_unknown_fields(map, &PATIENT_FIELDS, "patient")?;
    let born_text = json::string(json::required(map, "date_of_birth", "patient")?, "patient.date_of_birth")?;
    let date_of_birth = born_text.parse::<Date>().map_err(|_| {
        Refusal::new("patient.date_of_birth", format!("`{born_text}` is not a calendar date such as 1974-03-09"))
    })?;
    if date_of_birth > at.date || at.date.year() - date_of_birth.year() > 130 {
        return Err(Refusal::new("patient.date_of_birth", format!("{date_of_birth} is not plausible at {}", at.date)));
    }
    let sex = optional_word(
        map,
        "sex",
        "patient",
        &[("female", Sex::Female), ("male", Sex::Male), ("other", Sex::Other), ("unknown", Sex::Unknown)],
    )?
    .unwrap_or(Sex::Unknown);
    let mut patient = Patient::new(date_of_birth, sex);
    if let Some(value) = optional(map, "weight") {
        // Dose weights have the narrower limits of DOSING.md: 30 to 250 kg.
        let low =
            Kilograms::new(Decimal::from(30)).map_err(|error| Refusal::new("patient.weight", error.to_string()))?;
        let high =
            Kilograms::new(Decimal::from(250)).map_err(|error| Refusal::new("patient.weight", error.to_string()))?;
        patient.weight = Some(json::plausible(value, "patient.weight", low, high)?);
    }
    patient.reproductive_potential = optional_bool(map, "reproductive_potential", "patient")?;
    patient.pregnant = optional_bool(map, "pregnant", "patient")?;
    if let Some(value) = optional(map, "pregnancy_test") {
        let test = object(value, "patient.pregnancy_test")?;
        json::refuse_unknown_fields(test, &["result", "at"], "patient.pregnancy_test")?;
        let result = word(
            json::required(test, "result", "patient.pregnancy_test")?,
            "patient.pregnancy_test.result",
            &[("negative", PregnancyTestResult::Negative), ("positive", PregnancyTestResult::Positive)],
        )?;
        patient.pregnancy_test =
            Some(PregnancyTest { result, at: section_time(test, "patient.pregnancy_test", at.instant)? });
    }
    patient.breastfeeding = optional_bool(map, "breastfeeding", "patient")?;
    patient.contraception_counselled = optional_bool(map, "contraception_counselled", "patient")?;
    if let Some(value) = optional(map, "flags") {
        for (index, flag) in list(value, "patient.flags")?.iter().enumerate() {
            let field = format!("patient.flags[{index}]");
            match json::string(flag, &field)? {
                "il2_retreatment_contraindicated" => patient.retreatment_contraindicated = true,
                "received_interleukin_2" => patient.received_interleukin_2_flag = true,
                other => {
                    return Err(Refusal::new(
                        field,
                        format!(
                            "unknown flag `{other}`; expected one of: il2_retreatment_contraindicated, received_interleukin_2"
                        ),
                    ));
                }
            }
        }
    }
    Ok(patient)
}

fn not_applicable(value: &Value, regimen: &str) -> Result<Vec<Item>, Refusal> {
    let mut items = Vec::new();
    for (index, entry) in list(value, "not_applicable")?.iter().enumerate() {
        let field = format!("not_applicable[{index}]");
        let number = json::count(entry, &field)?;
        let item = u8::try_from(number)
            .ok()
            .and_then(Item::from_number)
            .ok_or_else(|| Refusal::new(&field, format!("no checklist item {number}; items are 1 to 19")))?;
        if regimen == "hd-iv" {
            return Err(Refusal::new(field, "every checklist item applies to hd-iv"));
        }
        if item.applies_to_every_regimen() {
            return Err(Refusal::new(field, "heart and lung function (items 3 and 4) apply to every regimen"));
        }
        items.push(item);
    }
    Ok(items)
}

fn history(map: &Map<String, Value>) -> Result<History, Refusal> {
    const KEYS: [&str; 4] = ["hypersensitivity_to_aldesleukin", "cardiac_disease", "lung_disease", "organ_allograft"];
    json::refuse_unknown_fields(map, &KEYS, "history")?;
    Ok(History {
        hypersensitivity_to_aldesleukin: optional_bool(map, KEYS[0], "history")?,
        cardiac_disease: optional_bool(map, KEYS[1], "history")?,
        lung_disease: optional_bool(map, KEYS[2], "history")?,
        organ_allograft: optional_bool(map, KEYS[3], "history")?,
    })
}

fn tests(map: &Map<String, Value>, at: Timestamp, input: &mut ScreeningInput) -> Result<(), Refusal> {
    json::refuse_unknown_fields(map, &["cardiac", "pulmonary", "cns"], "tests")?;
    if let Some(value) = optional(map, "cardiac") {
        let path = "tests.cardiac";
        let cardiac = object(value, path)?;
        json::refuse_unknown_fields(
            cardiac,
            &["ejection_fraction", "wall_motion", "coronary_artery_disease", "stress_test", "at"],
            path,
        )?;
        let normal = [("normal", Finding::Normal), ("abnormal", Finding::Abnormal)];
        let stress_test = optional_word(
            cardiac,
            "stress_test",
            path,
            &[("normal", Some(Finding::Normal)), ("abnormal", Some(Finding::Abnormal)), ("not_done", None)],
        )?;
        input.cardiac = Some(CardiacTests {
            ejection_fraction: optional_word(cardiac, "ejection_fraction", path, &normal)?,
            wall_motion: optional_word(
                cardiac,
                "wall_motion",
                path,
                &[("normal", Finding::Normal), ("impaired", Finding::Abnormal)],
            )?,
            significant_coronary_artery_disease: optional_word(
                cardiac,
                "coronary_artery_disease",
                path,
                &[("none", false), ("significant", true)],
            )?,
            stress_test: stress_test.flatten(),
            at: section_time(cardiac, path, at)?,
        });
    }
    if let Some(value) = optional(map, "pulmonary") {
        let path = "tests.pulmonary";
        let pulmonary = object(value, path)?;
        json::refuse_unknown_fields(
            pulmonary,
            &["fev1", "fev1_percent_predicted", "significant_impairment", "at"],
            path,
        )?;
        let fev1 = optional(pulmonary, "fev1").map(|value| fev1_litres(value, "tests.pulmonary.fev1")).transpose()?;
        let percent = optional(pulmonary, "fev1_percent_predicted")
            .map(|value| {
                let field = "tests.pulmonary.fev1_percent_predicted";
                let low = Percent::new(Decimal::from(5)).map_err(|error| Refusal::new(field, error.to_string()))?;
                let high = Percent::new(Decimal::from(200)).map_err(|error| Refusal::new(field, error.to_string()))?;
                json::plausible(value, field, low, high)
            })
            .transpose()?;
        input.pulmonary = Some(PulmonaryTests {
            fev1,
            fev1_percent_predicted: percent,
            significant_impairment: optional_bool(pulmonary, "significant_impairment", path)?,
            at: section_time(pulmonary, path, at)?,
        });
    }
    if let Some(value) = optional(map, "cns") {
        let path = "tests.cns";
        let cns = object(value, path)?;
        json::refuse_unknown_fields(cns, &["impairment", "brain_metastases", "at"], path)?;
        input.cns = Some(CnsEvaluation {
            impairment: optional_bool(cns, "impairment", path)?,
            brain_metastases: optional_bool(cns, "brain_metastases", path)?,
            at: section_time(cns, path, at)?,
        });
    }
    Ok(())
}

/// Plausible FEV1 in litres (PRODUCT): outside is refused, never clamped.
const FEV1_PLAUSIBLE_LITRES: (Decimal, Decimal) = (Decimal::from_parts(1, 0, 0, false, 1), Decimal::TEN);

/// FEV1 as `{"value", "unit": "L"}` (or `mL`). The core units have no litre, so the unit is checked here.
fn fev1_litres(value: &Value, field: &str) -> Result<Litres, Refusal> {
    let map = match value {
        Value::Number(number) => {
            return Err(Refusal::new(
                field,
                format!(
                    "a number without a unit ({number}) is not accepted; write {{\"value\": {number}, \"unit\": \"L\"}}"
                ),
            ));
        }
        other => object(other, field)?,
    };
    json::refuse_unknown_fields(map, &["value", "unit"], field)?;
    let number = json::decimal(json::required(map, "value", field)?, &json::join(field, "value"))?;
    let unit_field = json::join(field, "unit");
    let unit = match optional(map, "unit") {
        None => return Err(Refusal::new(unit_field, "is missing: a number without a unit is not accepted")),
        Some(unit) => json::string(unit, &unit_field)?,
    };
    let litres = match unit {
        "L" => number,
        "mL" => number / Decimal::from(1000),
        other => return Err(Refusal::new(unit_field, format!("unit `{other}` does not fit here; accepted: L, mL"))),
    };
    let (low, high) = FEV1_PLAUSIBLE_LITRES;
    if litres < low || litres > high {
        return Err(Refusal::new(field, format!("{litres} L is outside the plausible range 0.1 to 10 L")));
    }
    Litres::new(litres).map_err(|refusal| Refusal::new(field, refusal.reason))
}

/// A typed lab value within its plausible range (spec/INTERFACES.md), plus its reference range converted to
/// the canonical unit through the same type.
fn typed<M: Measure>(
    value: &Value,
    range: Option<&Value>,
    field: &str,
    low: Decimal,
    high: Decimal,
) -> Result<(M, Option<ReferenceRange>), Refusal> {
    let bound = |limit: Decimal| M::new(limit).map_err(|error| Refusal::new(field, error.to_string()));
    let measured = json::plausible(value, &json::join(field, "value"), bound(low)?, bound(high)?)?;
    let range = match range {
        None => None,
        Some(range) => {
            let range_field = json::join(field, "reference_range");
            let map = object(range, &range_field)?;
            json::refuse_unknown_fields(map, &["low", "high"], &range_field)?;
            let limit = |key: &str| {
                optional(map, key)
                    .map(|limit| json::measure::<M>(limit, &json::join(&range_field, key)).map(Measure::canonical))
                    .transpose()
            };
            Some(ReferenceRange { low: limit("low")?, high: limit("high")? })
        }
    };
    Ok((measured, range))
}

fn lab(value: &Value, field: &str, at: Timestamp) -> Result<LabResult, Refusal> {
    let map = object(value, field)?;
    json::refuse_unknown_fields(map, &["code", "value", "at", "reference_range"], field)?;
    let code_field = json::join(field, "code");
    let code = json::string(json::required(map, "code", field)?, &code_field)?;
    let given = json::required(map, "value", field)?;
    let range = optional(map, "reference_range");
    let value = match code {
        "wbc" => typed::<CellCount>(given, range, field, Decimal::from(0), Decimal::from(500))
            .map(|(v, r)| (LabValue::Wbc(v), r)),
        "anc" => typed::<CellCount>(given, range, field, Decimal::from(0), Decimal::from(300))
            .map(|(v, r)| (LabValue::Anc(v), r)),
        "platelets" => typed::<CellCount>(given, range, field, Decimal::from(0), Decimal::from(2000))
            .map(|(v, r)| (LabValue::Platelets(v), r)),
        "hemoglobin" => typed::<Hemoglobin>(given, range, field, Decimal::from(2), Decimal::from(25))
            .map(|(v, r)| (LabValue::Hemoglobin(v), r)),
        "potassium" => typed::<MillimolesPerLitre>(given, range, field, Decimal::from(1), Decimal::from(10))
            .map(|(v, r)| (LabValue::Potassium(v), r)),
        "sodium" => typed::<MillimolesPerLitre>(given, range, field, Decimal::from(100), Decimal::from(200))
            .map(|(v, r)| (LabValue::Sodium(v), r)),
        "bicarbonate" => typed::<MillimolesPerLitre>(given, range, field, Decimal::from(2), Decimal::from(60))
            .map(|(v, r)| (LabValue::Bicarbonate(v), r)),
        "creatinine" => typed::<Creatinine>(given, range, field, Decimal::new(1, 1), Decimal::from(25))
            .map(|(v, r)| (LabValue::Creatinine(v), r)),
        "bilirubin_total" => typed::<Bilirubin>(given, range, field, Decimal::new(5, 2), Decimal::from(50))
            .map(|(v, r)| (LabValue::BilirubinTotal(v), r)),
        "alt" => typed::<UnitsPerLitre>(given, range, field, Decimal::from(1), Decimal::from(10000))
            .map(|(v, r)| (LabValue::Alt(v), r)),
        "ast" => typed::<UnitsPerLitre>(given, range, field, Decimal::from(1), Decimal::from(10000))
            .map(|(v, r)| (LabValue::Ast(v), r)),
        other => Err(Refusal::new(
            code_field,
            format!(
                "unknown lab code `{other}`; expected one of: wbc, anc, platelets, hemoglobin, potassium, sodium, \
                 bicarbonate, creatinine, bilirubin_total, alt, ast"
            ),
        )),
    }?;
    Ok(LabResult { value: value.0, at: section_time(map, field, at)?, reference_range: value.1 })
}

/// The fields of a medication entry written as an object (SCREENING §2 amendment of 2026-12-04).
pub const MEDICATION_FIELDS: [&str; 4] = ["name", "route", "daily_dose", "purpose"];

/// Plausible daily glucocorticoid (or any) dose of one entry, in mg: above 0, at most 10 g.
const DAILY_DOSE_PLAUSIBLE_MG: (Decimal, Decimal) =
    (Decimal::from_parts(1, 0, 0, false, 3), Decimal::from_parts(10000, 0, 0, false, 0));

/// A medication entry: a name as written, or `{"name", "route"?, "daily_dose"?, "purpose"?}`.
fn medication(value: &Value, field: &str) -> Result<Medication, Refusal> {
    let nonempty = |text: &str, field: &str| {
        let text = text.trim();
        if text.is_empty() {
            Err(Refusal::new(field, "is empty; write the medication's name"))
        } else {
            Ok(text.to_string())
        }
    };
    let map = match value {
        Value::String(name) => return Ok(Medication::named(nonempty(name, field)?)),
        other => object(other, field).map_err(|refusal| {
            Refusal::new(
                refusal.field,
                format!(
                    "{}; a medication is a name or {{\"name\", \"route\", \"daily_dose\", \"purpose\"}}",
                    refusal.reason
                ),
            )
        })?,
    };
    json::refuse_unknown_fields(map, &MEDICATION_FIELDS, field)?;
    let name_field = json::join(field, "name");
    let name = nonempty(json::string(json::required(map, "name", field)?, &name_field)?, &name_field)?;
    let routes: Vec<(&str, MedicationRoute)> = MedicationRoute::ALL.iter().map(|route| (route.id(), *route)).collect();
    let route = optional_word(map, "route", field, &routes)?;
    let daily_dose = optional(map, "daily_dose")
        .map(|value| {
            let dose_field = json::join(field, "daily_dose");
            let bound = |mg: Decimal| Milligrams::new(mg).map_err(|error| Refusal::new(&dose_field, error.to_string()));
            let (low, high) = DAILY_DOSE_PLAUSIBLE_MG;
            json::plausible(value, &dose_field, bound(low)?, bound(high)?)
        })
        .transpose()?;
    let purpose = optional(map, "purpose")
        .map(|value| {
            let purpose_field = json::join(field, "purpose");
            let text = json::string(value, &purpose_field)?.trim().to_string();
            if text.is_empty() {
                return Err(Refusal::new(
                    purpose_field,
                    "is empty; leave it out or write the purpose, e.g. adrenal_replacement",
                ));
            }
            Ok(text)
        })
        .transpose()?;
    Ok(Medication { name, route, daily_dose, purpose })
}

fn previous_course(value: &Value, field: &str, at: Timestamp) -> Result<PreviousCourse, Refusal> {
    let map = object(value, field)?;
    json::refuse_unknown_fields(map, &["discharged_at", "response", "toxicities"], field)?;
    let discharged_at =
        time_not_after(json::required(map, "discharged_at", field)?, &json::join(field, "discharged_at"), at)?;
    let response = word(
        json::required(map, "response", field)?,
        &json::join(field, "response"),
        &[
            ("shrinkage", Response::Shrinkage),
            ("no_shrinkage", Response::NoShrinkage),
            ("not_evaluated", Response::NotEvaluated),
        ],
    )?;
    let toxicities_field = json::join(field, "toxicities");
    let mut toxicities = Vec::new();
    for (index, entry) in list(json::required(map, "toxicities", field)?, &toxicities_field)?.iter().enumerate() {
        let entry_field = format!("{toxicities_field}[{index}]");
        let id = json::string(entry, &entry_field)?;
        toxicities.push(Toxicity::from_id(id).ok_or_else(|| {
            let known: Vec<&str> = Toxicity::ALL.iter().map(|toxicity| toxicity.id()).collect();
            Refusal::new(&entry_field, format!("unknown toxicity `{id}`; expected one of: {}", known.join(", ")))
        })?);
    }
    Ok(PreviousCourse { discharged_at, response, toxicities })
}

fn planned_contrast(value: &Value, field: &str) -> Result<PlannedContrast, Refusal> {
    let map = object(value, field)?;
    json::refuse_unknown_fields(map, &["agent", "at", "description"], field)?;
    let agent = word(
        json::required(map, "agent", field)?,
        &json::join(field, "agent"),
        &[("iodinated", ContrastAgent::Iodinated), ("gadolinium", ContrastAgent::Gadolinium)],
    )?;
    let at = optional(map, "at").map(|value| json::timestamp(value, &json::join(field, "at"))).transpose()?;
    let description = optional(map, "description")
        .map(|value| json::string(value, &json::join(field, "description")).map(str::to_string))
        .transpose()?;
    Ok(PlannedContrast { agent, at, description })
}

/// The result document (docs/screening.md).
pub fn result_json(result: &ScreeningResult) -> Value {
    let items: Vec<Value> = result
        .items
        .iter()
        .map(|item| {
            let mut entry = json!({
                "id": item.item.id(),
                "number": item.item.number(),
                "title": item.item.title(),
                "result": item.status.id(),
                "reasons": item.reasons,
                "source": item.item.source().0,
                "valid_for": item.item.valid_for().describe(),
            });
            if let Some(until) = item.valid_until {
                entry["valid_until"] = json!(until.to_string());
            }
            entry
        })
        .collect();
    let report = &result.interactions;
    let interactions: Vec<Value> = report
        .interactions
        .iter()
        .map(|hit| {
            let mut entry = json!({
                "medication": hit.medication,
                "matched_as": hit.matched_as,
                "class": hit.class.id(),
                "class_title": hit.class.title(),
                "level": hit.level.id(),
                "effect": hit.effect,
                "action": hit.action,
                "source": hit.source.0,
            });
            // The route decides the steroid class (SCREENING §2 amendment): shown where it matters.
            if hit.class == DrugClass::Glucocorticoids {
                entry["route"] = json!(hit.route.route().map(|route| route.id()));
                entry["route_from"] = json!(hit.route.id());
            }
            if let Some(note) = hit.note {
                entry["note"] = json!(note);
            }
            entry
        })
        .collect();
    let information: Vec<Value> = report
        .information
        .iter()
        .map(|entry| {
            json!({"medication": entry.medication, "matched_as": entry.matched_as, "note": entry.kind.note(),
                   "source": entry.kind.source().0, "route": entry.route.route().map(|route| route.id()),
                   "route_from": entry.route.id()})
        })
        .collect();
    let contrast: Vec<Value> = result
        .contrast
        .iter()
        .map(|notice| {
            json!({
                "agent": notice.agent.id(),
                "level": notice.level.id(),
                "message": notice.message,
                "involves": notice.involves,
                "contrast_at": notice.contrast_at.to_string(),
                "last_dose_at": notice.last_dose_at.map(|time| time.to_string()),
                "window_ends_at": notice.window_ends_at.map(|time| time.to_string()),
                "source": notice.source.0,
            })
        })
        .collect();
    let mut out = json!({
        "at": result.at.to_string(),
        "regimen": result.regimen.id,
        "status": result.status.id(),
        "items": items,
        "interactions": interactions,
        "unrecognised": report.unrecognised,
        "no_interaction": report.no_interaction.iter()
            .map(|(medication, matched_as)| json!({"medication": medication, "matched_as": matched_as}))
            .collect::<Vec<_>>(),
        "information": information,
        "contrast": contrast,
        "medication_list_provided": report.provided,
    });
    if let Some(plan) = &result.premedication {
        let rows: Vec<Value> = plan
            .rows
            .iter()
            .map(|row| json!({"need": row.need, "typical": row.typical, "variations": row.variations, "source": row.source.0}))
            .collect();
        let computed: Vec<Value> = plan
            .computed
            .iter()
            .map(|dose| {
                let mut entry = json!({
                    "need": dose.need,
                    "drug": dose.per_kilogram.drug,
                    "per_kilogram": {"value": json::number(dose.per_kilogram.milligrams_per_kilogram), "unit": "mg/kg"},
                    "weight": json::quantity_json(dose.weight.quantity()),
                    "dose": json::quantity_json(dose.dose.quantity()),
                    "dose_rounded": {"value": json::number(round_for_display(dose.dose.value(), 1)), "unit": Unit::Milligram.ucum()},
                    "timing": dose.per_kilogram.timing,
                    "source": dose.source.0,
                    "capped": dose.capped_by.is_some(),
                });
                if let Some(cap) = dose.per_kilogram.cap {
                    entry["cap"] = json!({"value": json::number(cap.milligrams), "unit": Unit::Milligram.ucum(),
                                          "text": cap.text, "source": cap.source.0});
                }
                if dose.capped_by.is_some() {
                    entry["uncapped_dose"] = json::quantity_json(dose.uncapped.quantity());
                }
                entry
            })
            .collect();
        out["premedication"] = json!({
            "notice": PLAN_NOTICE,
            "rows": rows,
            "weight_based": computed,
            "needs_weight": plan.needs_weight,
        });
    }
    out["disclaimer"] = json!(CLINICIAN_DISCLAIMER);
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod typed_tests {
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({
            "at": "2026-11-27T09:00:00-05:00",
            "regimen": "hd-iv",
            "patient": {"date_of_birth": "1971-05-14", "sex": "male", "weight": {"value": 100, "unit": "kg"}},
            "impairment": {"renal": false, "hepatic": false, "cns": false, "at": "2026-11-25T10:00:00-05:00"},
            "infection": {"status": "none", "at": "2026-11-25T10:00:00-05:00"},
            "performance_status": {"ecog": 0, "at": "2026-11-25T10:00:00-05:00"},
            "education": {"sheet_given": true},
            "interleukin_2": {"received": true, "last_dose_at": "2026-01-05T10:00:00-05:00"},
            "central_line_planned": true,
            "description": "a screen"
        })
    }

    #[test]
    fn the_typed_sections_are_read() {
        let input = parse_screening(&document().to_string()).unwrap();
        assert_eq!(input.performance_status.map(|status| status.ecog), Some(0));
        assert_eq!(input.infection.map(|infection| infection.status), Some(InfectionStatus::None));
        assert_eq!(input.education.sheet_given, Some(true));
        assert_eq!(input.education.contrast_flag_explained, None);
        assert_eq!(input.central_line_planned, Some(true));
        assert!(input.interleukin_2.is_some_and(|history| history.received && history.last_dose_at.is_some()));
    }

    #[test]
    fn bad_members_are_refused_with_the_field_named() {
        type Change = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (Box::new(|v| v["extra"] = json!(1)), "extra", "unknown field; expected one of: at, regimen,"),
            (Box::new(|v| v["at"] = Value::Null), "at", "is required"),
            (Box::new(|v| v["regimen"] = json!(7)), "regimen", "must be a string, not a number"),
            (Box::new(|v| v["regimen"] = json!("hd-iv-x")), "regimen", "unknown regimen"),
            (Box::new(|v| v["description"] = json!(1)), "description", "must be a string"),
            (Box::new(|v| v["impairment"]["liver"] = json!(true)), "impairment.liver", "unknown field"),
            (Box::new(|v| v["impairment"]["renal"] = json!("no")), "impairment.renal", "true or false"),
            (Box::new(|v| v["impairment"]["at"] = Value::Null), "impairment.at", "is required"),
            (
                Box::new(|v| v["impairment"]["at"] = json!("2026-11-28T10:00:00-05:00")),
                "impairment.at",
                "after the screen's time",
            ),
            (Box::new(|v| v["infection"]["status"] = json!("some")), "infection.status", "unknown value `some`"),
            (Box::new(|v| v["infection"] = json!({"at": "2026-11-25T10:00:00Z"})), "infection.status", "is required"),
            (Box::new(|v| v["infection"] = json!([])), "infection", "must be an object, not a list"),
            (Box::new(|v| v["infection"] = json!(5)), "infection", "must be an object, not a number"),
            (
                Box::new(|v| v["education"]["sheet"] = json!(true)),
                "education.sheet",
                "unknown field; expected one of: sheet_given, contrast_flag_explained",
            ),
            (Box::new(|v| v["performance_status"]["ecog"] = json!(6)), "performance_status.ecog", "ECOG is 0 to 5"),
            (Box::new(|v| v["performance_status"]["ecog"] = json!(1.5)), "performance_status.ecog", "whole"),
            (Box::new(|v| v["education"]["sheet"] = json!(true)), "education.sheet", "unknown field"),
            (
                Box::new(|v| v["interleukin_2"]["received"] = json!(false)),
                "interleukin_2.received",
                "is false but a last dose is given",
            ),
            (
                Box::new(|v| v["interleukin_2"]["last_dose_at"] = json!("last year")),
                "interleukin_2.last_dose_at",
                "RFC 3339",
            ),
            (Box::new(|v| v["labs"] = json!({})), "labs", "must be a list, not an object"),
            (Box::new(|v| v["medications"] = json!([{"name": ""}])), "medications[0].name", ""),
            (Box::new(|v| v["central_line_planned"] = json!("yes")), "central_line_planned", "true or false"),
        ];
        for (change, field, reason) in cases {
            let mut value = document();
            change(&mut value);
            let refusal = parse_screening(&value.to_string()).unwrap_err();
            assert_eq!(refusal.field, field, "{refusal}");
            assert!(refusal.reason.contains(reason), "{field}: `{}` lacks `{reason}`", refusal.reason);
        }
        let unknown = parse_screening(r#"{"x": 1}"#).unwrap_err();
        assert_eq!(unknown.reason, format!("unknown field; expected one of: {}", FIELDS.join(", ")));
    }
}
