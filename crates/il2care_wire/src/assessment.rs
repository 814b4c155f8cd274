//! The assessment document (`spec/INTERFACES.md`, "The assessment document"): parsing it into a core
//! [`Assessment`] with validated [`Parameters`], refusing the whole document with a [`Refusal`] that names the
//! field, and rendering an [`Evaluation`] as the result JSON (INTERFACES fields plus ASSESSMENT §8 extras).
//!
//! Refused: unknown fields anywhere, an unknown observation code, finding code or answer word, a unit that
//! does not fit the code, a bare number where a quantity is expected, a value outside its plausible range,
//! an interval whose end is not after its start, overlapping output intervals of one code (they would be
//! summed twice), anything timed after `at`, a time that is not RFC 3339, `course.cycle` contradicting the
//! cycle window, a pending hold id that is unknown or not a hold rule, a site parameter out of bounds.
//! This module decides nothing and does no IO.

use il2care_core::Refusal;
use il2care_core::assessment::inputs::{
    ActivityContext, Assessment, Course, Finding, FindingCode, FindingKind, FindingValue, Findings, ObservationCode,
    Observations, OutputInterval, Patient, PatientFlag, Reading, ReferenceRange, Sex, Word,
};
use il2care_core::assessment::logic::{Evidence, Input, Missing, MissingReason};
use il2care_core::assessment::thresholds::{Parameters, ScheduleLimits, SiteOverrides, hours};
use il2care_core::assessment::{DISCLAIMER, Evaluation, Rule, RuleSet, catalogue, cycle_position};
use il2care_core::grading::{CTCAE_VERSION, Grade};
use il2care_core::units::{
    Bilirubin, CellCount, Celsius, Centimetres, Creatinine, Hemoglobin, Kilograms, LitresPerMinute, Measure,
    MicrogramsPerKilogramPerMinute, Millilitres, MillimetresMercury, MillimolesPerLitre, PerMinute, Percent,
    UnitsPerLitre,
};
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::checkin::Time;
use crate::json::{self, Count, Flag, List, Obj};

/// The top-level fields of an assessment document.
pub const FIELDS: [&str; 8] =
    ["at", "rule_set", "patient", "course", "observations", "findings_reviewed", "findings", "parameters"];
/// A parsed assessment document: the core input and the validated thresholds it is evaluated with.
#[derive(Clone, Debug, PartialEq)]
pub struct AssessmentDocument {
    pub assessment: Assessment,
    pub parameters: Parameters,
}

/// Parses an assessment document's text in one pass ([`json::document`]).
pub fn parse_assessment(text: &str) -> Result<AssessmentDocument, Refusal> {
    json::document::<Sent>(text)?.into_document()
}

/// Parses an assessment document already read as a JSON object.
pub fn assessment_from_object(object: &Map<String, Value>) -> Result<AssessmentDocument, Refusal> {
    json::document_from_value::<Sent>(Value::Object(object.clone()))?.into_document()
}

json::member!(
    /// A known rule set id.
    RuleSetId(RuleSet),
    |value| {
        let id = json::string(&value, "")?;
        RuleSet::from_id(id)
            .ok_or_else(|| Refusal::new("", format!("unknown rule set `{id}`; expected label or consensus")))
    }
);
json::member!(
    /// A patient's sex word.
    SexWord(Sex),
    |value| match json::string(&value, "")? {
        "female" => Ok(Sex::Female),
        "male" => Ok(Sex::Male),
        "unknown" => Ok(Sex::Unknown),
        other => Err(Refusal::new("", format!("`{other}`: expected female, male or unknown"))),
    }
);
json::member!(
    /// The regimen of a per-dose assessment: `hd-iv` only.
    HighDoseIv(()),
    |value| match json::string(&value, "")? {
        "hd-iv" => Ok(()),
        regimen => Err(Refusal::new(
            "",
            format!("`{regimen}`: the per-dose assessment is for the high-dose IV regimen `hd-iv` only"),
        )),
    }
);
json::member!(
    /// A patient flag id.
    FlagId(PatientFlag),
    |value| {
        let id = json::string(&value, "")?;
        PatientFlag::from_id(id).ok_or_else(|| {
            Refusal::new(
                "",
                format!("unknown flag `{id}`; expected il2_retreatment_contraindicated or received_interleukin_2"),
            )
        })
    }
);
json::member!(
    /// A hold rule that can be pending.
    HoldId(Rule),
    |value| {
        let id = json::string(&value, "")?;
        let rule = Rule::from_id(id).ok_or_else(|| Refusal::new("", format!("unknown rule id `{id}`")))?;
        if !rule.is_hold() {
            return Err(Refusal::new("", format!("`{id}` is not a hold rule; only holds can be pending")));
        }
        Ok(rule)
    }
);
json::member!(
    /// An object (`parameters.max_age_hours`: hours by input id).
    Object(Map<String, Value>),
    |value| match value {
        Value::Object(object) => Ok(object),
        other => Err(Refusal::new("", format!("must be an object, not {}", json::kind(&other)))),
    }
);

/// A quantity whose unit fits `M`, converted, with the quantity as given (for a range refusal's message).
#[derive(Clone, Debug, PartialEq)]
struct Measured<M> {
    measured: M,
    given: il2care_core::units::Quantity,
}

impl<'de, M: Measure> Deserialize<'de> for Measured<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Measured<M>, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let given = json::quantity(&value, "").map_err(json::refuse)?;
        let measured = json::measure::<M>(&value, "").map_err(json::refuse)?;
        Ok(Measured { measured, given })
    }
}

impl<M: Measure> Measured<M> {
    /// The measure if it lies in its plausible range (`low`..=`high` in the canonical unit).
    fn within(self, field: &str, low: Decimal, high: Decimal) -> Result<M, Refusal> {
        let low = M::new(low).expect("a plausible-range literal is valid");
        let high = M::new(high).expect("a plausible-range literal is valid");
        json::within(self.measured, self.given, field, low, high)
    }
}

/// An assessment document as sent: unknown members refused, members read by their types. What depends on
/// more than one member (times not after `at`, the cycle window, the limits a site's parameters set) is
/// checked by [`Sent::into_document`], naming the field as the hand-written reader did.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an assessment document (a JSON object)")]
struct Sent {
    #[serde(default)]
    at: Option<Time>,
    #[serde(default)]
    rule_set: Option<RuleSetId>,
    #[serde(default)]
    patient: Option<Obj<SentPatient>>,
    #[serde(default)]
    course: Option<Obj<SentCourse>>,
    /// Read by the observation reader shared with the stored record's observation API and the FHIR import.
    #[serde(default)]
    observations: Option<Value>,
    #[serde(default)]
    findings_reviewed: Option<Flag>,
    #[serde(default)]
    findings: Option<Value>,
    #[serde(default)]
    parameters: Option<Obj<SentParameters>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the patient (an object)")]
struct SentPatient {
    #[serde(default)]
    sex: Option<SexWord>,
    #[serde(default)]
    baseline_weight: Option<Measured<Kilograms>>,
    #[serde(default)]
    baseline_creatinine: Option<Measured<Creatinine>>,
    #[serde(default)]
    baseline_bilirubin: Option<Measured<Bilirubin>>,
    #[serde(default)]
    baseline_alt: Option<Measured<UnitsPerLitre>>,
    #[serde(default)]
    baseline_ast: Option<Measured<UnitsPerLitre>>,
    #[serde(default)]
    target_systolic_bp: Option<Measured<MillimetresMercury>>,
    #[serde(default)]
    flags: Option<List>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the course (an object)")]
struct SentCourse {
    /// Checked while read (`hd-iv` only); the core's course has no regimen.
    #[serde(default, rename = "regimen")]
    _regimen: Option<HighDoseIv>,
    #[serde(default)]
    started_at: Option<Time>,
    #[serde(default)]
    cycle: Option<Count>,
    #[serde(default)]
    doses_given_this_cycle: Option<Count>,
    #[serde(default)]
    doses_given_this_course: Option<Count>,
    #[serde(default)]
    holds_this_cycle: Option<Count>,
    #[serde(default)]
    last_dose_at: Option<Time>,
    #[serde(default)]
    pending_holds: Option<List>,
    #[serde(default)]
    discontinued: Option<Flag>,
    #[serde(default)]
    prepared_at: Option<Time>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the site parameters (an object)")]
struct SentParameters {
    #[serde(default)]
    tachycardia_hold_min: Option<Measured<PerMinute>>,
    #[serde(default)]
    max_age_hours: Option<Object>,
}

impl Sent {
    /// The core input and its thresholds, after the checks that span members.
    fn into_document(self) -> Result<AssessmentDocument, Refusal> {
        let at = self.at.ok_or_else(|| Refusal::new("at", "is required"))?.0;
        let rule_set = self.rule_set.map_or(RuleSet::Label, |id| id.0);
        let parameters = match self.parameters {
            None => Parameters::default(),
            Some(Obj(sent)) => sent.into_parameters()?,
        };
        let patient = match self.patient {
            None => Patient::default(),
            Some(Obj(sent)) => sent.into_patient()?,
        };
        let course = self.course.ok_or_else(|| Refusal::new("course", "is required"))?;
        let course = course.0.into_course(at, &parameters.limits)?;
        let observations = match &self.observations {
            None => Observations::default(),
            Some(value) => observations(value, at)?,
        };
        let reviewed = self.findings_reviewed.is_some_and(|flag| flag.0);
        let findings = match &self.findings {
            None => Vec::new(),
            Some(value) => findings(value, at)?,
        };
        let assessment =
            Assessment { at, rule_set, patient, course, observations, findings: Findings::new(reviewed, findings) };
        Ok(AssessmentDocument { assessment, parameters })
    }
}

impl SentParameters {
    fn into_parameters(self) -> Result<Parameters, Refusal> {
        let mut overrides = SiteOverrides {
            tachycardia_hold_min: self.tachycardia_hold_min.map(|given| given.measured),
            ..SiteOverrides::default()
        };
        for (input, hours) in self.max_age_hours.map(|object| object.0).unwrap_or_default() {
            let field = format!("parameters.max_age_hours.{input}");
            let hours = json::decimal(&hours, &field)?;
            let seconds = hours.checked_mul(dec!(3600)).map(|seconds| seconds.trunc());
            let seconds = seconds
                .and_then(|seconds| i64::try_from(seconds).ok())
                .ok_or_else(|| Refusal::new(&field, "is out of range"))?;
            overrides.max_ages.push((input, SignedDuration::from_secs(seconds)));
        }
        Parameters::with_overrides(&overrides)
    }
}

impl SentPatient {
    fn into_patient(self) -> Result<Patient, Refusal> {
        let mut patient = Patient::default();
        patient.sex = self.sex.map_or(patient.sex, |sex| sex.0);
        // The baseline weight is the course dosing weight: DOSING §7 limits (30-250 kg) apply.
        patient.baseline_weight = self
            .baseline_weight
            .map(|given| given.within("patient.baseline_weight", dec!(30), dec!(250)))
            .transpose()?;
        patient.baseline_creatinine = self
            .baseline_creatinine
            .map(|given| given.within("patient.baseline_creatinine", dec!(0.1), dec!(25)))
            .transpose()?;
        patient.baseline_bilirubin = self
            .baseline_bilirubin
            .map(|given| given.within("patient.baseline_bilirubin", dec!(0.05), dec!(50)))
            .transpose()?;
        patient.baseline_alt =
            self.baseline_alt.map(|given| given.within("patient.baseline_alt", dec!(1), dec!(10000))).transpose()?;
        patient.baseline_ast =
            self.baseline_ast.map(|given| given.within("patient.baseline_ast", dec!(1), dec!(10000))).transpose()?;
        patient.target_systolic_bp = self
            .target_systolic_bp
            .map(|given| given.within("patient.target_systolic_bp", dec!(40), dec!(300)))
            .transpose()?;
        for (index, flag) in self.flags.map(|list| list.0).unwrap_or_default().into_iter().enumerate() {
            let field = format!("patient.flags[{index}]");
            let flag = json::document_member::<FlagId>(flag, &field)?;
            patient.flags.push(flag.0);
        }
        Ok(patient)
    }
}

impl SentCourse {
    fn into_course(self, at: Timestamp, limits: &ScheduleLimits) -> Result<Course, Refusal> {
        let started_at = self.started_at.ok_or_else(|| Refusal::new("course.started_at", "is required"))?;
        let started_at = not_after_time(started_at.0, "course.started_at", at)?;
        let mut course = Course::starting(started_at);
        course.doses_given_cycle = self.doses_given_this_cycle.map(|count| count.0);
        course.doses_given_course = self.doses_given_this_course.map(|count| count.0);
        course.holds_this_cycle = self.holds_this_cycle.map(|count| count.0);
        if let (Some(cycle), Some(total)) = (course.doses_given_cycle, course.doses_given_course)
            && cycle > total
        {
            return Err(Refusal::new(
                "course.doses_given_this_cycle",
                format!("{cycle} doses in this cycle is more than the {total} given in the whole course"),
            ));
        }
        if let Some(Count(cycle)) = self.cycle {
            if !(1..=2).contains(&cycle) {
                return Err(Refusal::new("course.cycle", format!("must be 1 or 2 (got {cycle})")));
            }
            if let (_, Some(derived), _) = cycle_position(started_at, at, limits)
                && u32::from(derived) != cycle
            {
                return Err(Refusal::new(
                    "course.cycle",
                    format!(
                        "says cycle {cycle}, but {at} lies in the window of cycle {derived} counted from \
                         course.started_at"
                    ),
                ));
            }
        }
        course.last_dose_at =
            self.last_dose_at.map(|time| not_after_time(time.0, "course.last_dose_at", at)).transpose()?;
        course.prepared_at =
            self.prepared_at.map(|time| not_after_time(time.0, "course.prepared_at", at)).transpose()?;
        course.discontinued = self.discontinued.is_some_and(|flag| flag.0);
        for (index, id) in self.pending_holds.map(|list| list.0).unwrap_or_default().into_iter().enumerate() {
            // A hold the active set does not run is kept: the core ignores it and reports it (§9.3).
            let rule = json::document_member::<HoldId>(id, &format!("course.pending_holds[{index}]"))?;
            course.pending_holds.push(rule.0);
        }
        Ok(course)
    }
}

fn object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, Refusal> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(Refusal::new(field, format!("must be an object, not {}", json::kind(other)))),
    }
}

fn list<'a>(value: &'a Value, field: &str) -> Result<&'a Vec<Value>, Refusal> {
    match value {
        Value::Array(list) => Ok(list),
        other => Err(Refusal::new(field, format!("must be a list, not {}", json::kind(other)))),
    }
}

fn optional<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

/// A time at or before the document's `at`.
fn not_after(value: &Value, field: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    not_after_time(json::timestamp(value, field)?, field, at)
}

/// [`not_after`] for a time already read.
fn not_after_time(time: Timestamp, field: &str, at: Timestamp) -> Result<Timestamp, Refusal> {
    if time > at {
        return Err(Refusal::new(field, format!("{time} is after the document's time `at` ({at})")));
    }
    Ok(time)
}

fn bounded<M: Measure>(value: &Value, field: &str, low: Decimal, high: Decimal) -> Result<M, Refusal> {
    let low = M::new(low).expect("a plausible-range literal is valid");
    let high = M::new(high).expect("a plausible-range literal is valid");
    json::plausible(value, field, low, high)
}

const OBSERVATION_FIELDS: [&str; 3] = ["code", "value", "at"];
const LAB_FIELDS: [&str; 4] = ["code", "value", "at", "reference_range"];
const SPO2_FIELDS: [&str; 4] = ["code", "value", "at", "context"];
const INTERVAL_FIELDS: [&str; 4] = ["code", "value", "start", "end"];

fn observations(value: &Value, at: Timestamp) -> Result<Observations, Refusal> {
    let mut observations = Observations::default();
    let mut interval_fields: Vec<(ObservationCode, OutputInterval, String)> = Vec::new();
    // The first value of each code at each instant, to refuse a contradicting second one (ASSESSMENT §10.2).
    let mut at_instant: HashMap<(ObservationCode, Timestamp), (Decimal, String, String)> = HashMap::new();
    for (index, entry) in list(value, "observations")?.iter().enumerate() {
        let path = format!("observations[{index}]");
        let entry = object(entry, &path)?;
        let code_text = json::string(json::required(entry, "code", &path)?, &json::join(&path, "code"))?;
        let code = ObservationCode::from_id(code_text).ok_or_else(|| {
            Refusal::new(
                json::join(&path, "code"),
                format!("unknown observation code `{code_text}`; see docs/assessment.md"),
            )
        })?;
        let allowed: &[&str] = if code.is_interval() {
            &INTERVAL_FIELDS
        } else if code.is_lab() {
            &LAB_FIELDS
        } else if code == ObservationCode::Spo2 {
            &SPO2_FIELDS
        } else {
            &OBSERVATION_FIELDS
        };
        json::refuse_unknown_fields(entry, allowed, &path)?;
        let value_field = json::join(&path, "value");
        let value = json::required(entry, "value", &path)?;
        if code.is_interval() {
            let start = not_after(json::required(entry, "start", &path)?, &json::join(&path, "start"), at)?;
            let end = not_after(json::required(entry, "end", &path)?, &json::join(&path, "end"), at)?;
            if end <= start {
                return Err(Refusal::new(json::join(&path, "end"), format!("{end} is not after the start {start}")));
            }
            let volume: Millilitres = json::measure(value, &value_field)?;
            let hours = hours(end.duration_since(start));
            if volume.value() > dec!(2000) * hours {
                return Err(Refusal::new(
                    value_field,
                    format!(
                        "{volume} over {} h is outside the plausible range of 0 to 2000 mL per hour",
                        hours.round_dp(2).normalize()
                    ),
                ));
            }
            let interval = OutputInterval { volume, start, end };
            interval_fields.push((code, interval, path));
            continue;
        }
        let time = not_after(json::required(entry, "at", &path)?, &json::join(&path, "at"), at)?;
        let range_field = json::join(&path, "reference_range");
        let range = optional(entry, "reference_range");
        macro_rules! read {
            ($series:ident, $measure:ty, $low:expr, $high:expr) => {{
                let measured: $measure = bounded(value, &value_field, $low, $high)?;
                same_instant(&mut at_instant, code, time, measured.canonical(), measured.to_string(), &path)?;
                let mut reading = Reading::new(measured, time);
                if let Some(range) = range {
                    reading.reference_range = Some(reference_range::<$measure>(range, &range_field, $low, $high)?);
                }
                observations.$series.push(reading);
            }};
        }
        match code {
            ObservationCode::SystolicBp => read!(systolic_bp, MillimetresMercury, dec!(40), dec!(300)),
            ObservationCode::DiastolicBp => read!(diastolic_bp, MillimetresMercury, dec!(20), dec!(200)),
            ObservationCode::HeartRate => read!(heart_rate, PerMinute, dec!(20), dec!(250)),
            ObservationCode::RespiratoryRate => read!(respiratory_rate, PerMinute, dec!(4), dec!(80)),
            ObservationCode::Temperature => read!(temperature, Celsius, dec!(25), dec!(45)),
            ObservationCode::Spo2 => {
                read!(spo2, Percent, dec!(50), dec!(100));
                if let Some(context) = optional(entry, "context") {
                    let field = json::join(&path, "context");
                    let context = match json::string(context, &field)? {
                        "rest" => ActivityContext::Rest,
                        "exertion" => ActivityContext::Exertion,
                        other => return Err(Refusal::new(field, format!("`{other}`: expected rest or exertion"))),
                    };
                    if let Some(reading) = observations.spo2.last_mut() {
                        reading.context = Some(context);
                    }
                }
            }
            ObservationCode::Weight => read!(weight, Kilograms, dec!(0.5), dec!(400)),
            ObservationCode::Height => read!(height, Centimetres, dec!(40), dec!(250)),
            ObservationCode::OxygenFlow => read!(oxygen_flow, LitresPerMinute, dec!(0), dec!(70)),
            ObservationCode::Creatinine => read!(creatinine, Creatinine, dec!(0.1), dec!(25)),
            ObservationCode::BilirubinTotal => read!(bilirubin_total, Bilirubin, dec!(0.05), dec!(50)),
            ObservationCode::Alt => read!(alt, UnitsPerLitre, dec!(1), dec!(10000)),
            ObservationCode::Ast => read!(ast, UnitsPerLitre, dec!(1), dec!(10000)),
            ObservationCode::Platelets => read!(platelets, CellCount, dec!(0), dec!(2000)),
            ObservationCode::Wbc => read!(wbc, CellCount, dec!(0), dec!(500)),
            ObservationCode::Anc => read!(anc, CellCount, dec!(0), dec!(300)),
            ObservationCode::Hemoglobin => read!(hemoglobin, Hemoglobin, dec!(2), dec!(25)),
            ObservationCode::Potassium => read!(potassium, MillimolesPerLitre, dec!(1), dec!(10)),
            ObservationCode::Bicarbonate => read!(bicarbonate, MillimolesPerLitre, dec!(2), dec!(60)),
            ObservationCode::Fio2 => read!(fio2, Percent, dec!(21), dec!(100)),
            ObservationCode::PhenylephrineRate => {
                read!(phenylephrine_rate, MicrogramsPerKilogramPerMinute, dec!(0), dec!(10))
            }
            ObservationCode::Sodium => read!(sodium, MillimolesPerLitre, dec!(100), dec!(200)),
            ObservationCode::Lymphocytes => read!(lymphocytes, CellCount, dec!(0), dec!(300)),
            ObservationCode::UrineOutput | ObservationCode::StoolOutput => {}
        }
    }
    // Overlapping intervals of one code would be summed twice; refuse rather than guess which is right.
    for (later_index, (code, interval, path)) in interval_fields.iter().enumerate() {
        let overlap = interval_fields[..later_index].iter().find(|(other_code, other, _)| {
            other_code == code && other.start < interval.end && interval.start < other.end
        });
        if let Some((_, _, other_path)) = overlap {
            return Err(Refusal::new(
                json::join(path, "start"),
                format!("this {} interval overlaps the one at {other_path}; record each period once", code.id()),
            ));
        }
    }
    for (code, interval, _) in interval_fields {
        match code {
            ObservationCode::UrineOutput => observations.urine_output.push(interval),
            _ => observations.stool_output.push(interval),
        }
    }
    Ok(observations)
}

/// Refuses a second value of one code at one instant that differs from the first (ASSESSMENT §10.2): list
/// order never decides between two contradicting values, and both fields are named.
fn same_instant(
    seen: &mut HashMap<(ObservationCode, Timestamp), (Decimal, String, String)>,
    code: ObservationCode,
    at: Timestamp,
    value: Decimal,
    shown: String,
    path: &str,
) -> Result<(), Refusal> {
    match seen.get(&(code, at)) {
        Some((first, first_shown, first_path)) if *first != value => Err(Refusal::new(
            path,
            format!(
                "{first_path} and {path} record {} at the same time {at} with different values ({first_shown} and \
                 {shown}); contradictory inputs are refused: record one value",
                code.id()
            ),
        )),
        Some(_) => Ok(()),
        None => {
            seen.insert((code, at), (value, shown, path.to_string()));
            Ok(())
        }
    }
}

/// A lab's reference range, each limit within the plausible range of the value itself.
fn reference_range<M: Measure>(
    value: &Value,
    field: &str,
    plausible_low: Decimal,
    plausible_high: Decimal,
) -> Result<ReferenceRange<M>, Refusal> {
    let range = object(value, field)?;
    json::refuse_unknown_fields(range, &["low", "high"], field)?;
    let limit = |key: &str| -> Result<M, Refusal> {
        bounded(json::required(range, key, field)?, &json::join(field, key), plausible_low, plausible_high)
    };
    let (low, high) = (limit("low")?, limit("high")?);
    if low > high {
        return Err(Refusal::new(json::join(field, "high"), "is below the low limit"));
    }
    Ok(ReferenceRange { low, high })
}

fn findings(value: &Value, at: Timestamp) -> Result<Vec<Finding>, Refusal> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    for (index, entry) in list(value, "findings")?.iter().enumerate() {
        let path = format!("findings[{index}]");
        let entry = object(entry, &path)?;
        json::refuse_unknown_fields(entry, &["code", "value", "at"], &path)?;
        let code_field = json::join(&path, "code");
        let code_text = json::string(json::required(entry, "code", &path)?, &code_field)?;
        let code = FindingCode::from_id(code_text).ok_or_else(|| {
            Refusal::new(&code_field, format!("unknown finding `{code_text}`; see docs/assessment.md"))
        })?;
        let value = finding_value(code, json::required(entry, "value", &path)?, &json::join(&path, "value"))?;
        let time = not_after(json::required(entry, "at", &path)?, &json::join(&path, "at"), at)?;
        // One finding twice at one instant with different answers contradicts itself (ASSESSMENT §10.2).
        if let Some((first, first_path)) = findings
            .iter()
            .zip(&paths)
            .find(|(known, _)| known.code == code && known.at == time && known.value != value)
        {
            return Err(Refusal::new(
                &path,
                format!(
                    "{first_path} and {path} answer {} at the same time {time} differently ({} and {}); \
                     contradictory inputs are refused: record one answer",
                    code.id(),
                    finding_json(first.value),
                    finding_json(value)
                ),
            ));
        }
        findings.push(Finding { code, value, at: time });
        paths.push(path);
    }
    Ok(findings)
}

fn finding_value(code: FindingCode, value: &Value, field: &str) -> Result<FindingValue, Refusal> {
    match code.kind() {
        FindingKind::PresentAbsent | FindingKind::YesNo => {
            json::boolean(value, field).map(FindingValue::Flag).map_err(|refusal| {
                let meaning = if code.kind() == FindingKind::YesNo { "yes/no" } else { "present/absent" };
                Refusal::new(refusal.field, format!("{}: {meaning} is written true or false", refusal.reason))
            })
        }
        FindingKind::Scale(words) => {
            let allowed = || words.iter().map(|word| word.id()).collect::<Vec<_>>().join(", ");
            // A yes/no/not_done test also takes true/false for yes/no.
            if let (Value::Bool(flag), true) = (value, words.contains(&Word::Yes)) {
                return Ok(FindingValue::Word(if *flag { Word::Yes } else { Word::No }));
            }
            let text = value.as_str().ok_or_else(|| {
                Refusal::new(field, format!("must be one of {}, not {}", allowed(), json::kind(value)))
            })?;
            words.iter().find(|word| word.id() == text).map(|word| FindingValue::Word(*word)).ok_or_else(|| {
                Refusal::new(
                    field,
                    format!("`{text}` is not an answer of {}; expected one of {}", code.id(), allowed()),
                )
            })
        }
        FindingKind::Beats => json::count(value, field).map(FindingValue::Beats),
        FindingKind::Hours => {
            let hours = json::decimal(value, field)?;
            if hours.is_sign_negative() && !hours.is_zero() {
                return Err(Refusal::new(field, format!("hours must not be negative (got {hours})")));
            }
            Ok(FindingValue::Hours(hours))
        }
    }
}

// ---- rendering ----

fn time(at: Timestamp) -> Value {
    Value::from(at.to_string())
}

fn finding_json(value: FindingValue) -> Value {
    match value {
        FindingValue::Flag(flag) => Value::from(flag),
        FindingValue::Word(word) => Value::from(word.id()),
        FindingValue::Beats(beats) => Value::from(beats),
        FindingValue::Hours(hours) => json::number(hours),
    }
}

/// One piece of evidence as `{"code", "value", "at"}` (or `start`/`end` for output windows).
pub fn evidence_json(evidence: &Evidence) -> Value {
    match *evidence {
        Evidence::Observation { code, value, at } => {
            json!({"code": code.id(), "value": json::quantity_json(value), "at": time(at)})
        }
        Evidence::Output { code, volume, start, end } => json!({
            "code": code.id(), "value": json::quantity_json(volume.quantity()), "start": time(start), "end": time(end)
        }),
        Evidence::OutputRate { code, volume, start, end } => json!({
            "code": code.id(), "value": json::quantity_json(volume.quantity()), "start": time(start), "end": time(end),
            "note": "every recorded interval in this window is below the rate limit"
        }),
        Evidence::Finding { code, value, at, implied } => {
            let mut object = json!({"code": code.id(), "value": finding_json(value), "at": time(at)});
            if implied {
                object["implied_by_findings_reviewed"] = Value::from(true);
            }
            object
        }
        Evidence::Baseline { input, value } => json!({"code": input.id(), "value": json::quantity_json(value)}),
        Evidence::Count { input, value } => json!({"code": input.id(), "value": value}),
        Evidence::Time { input, at } => json!({"code": input.id(), "at": time(at)}),
        Evidence::CycleDay { day } => json!({"code": "cycle_day", "value": day}),
        Evidence::Flag(flag) => json!({"code": "patient.flags", "value": flag.id()}),
        Evidence::Rule(rule) => json!({"code": "rule", "value": rule.id()}),
        Evidence::UnreadFinding { code, value, at, other_set } => json!({
            "code": code.id(), "value": finding_json(value), "at": time(at),
            "read_by": Rule::readers(code, other_set).map(Rule::id).collect::<Vec<_>>(),
            "read_by_rule_set": other_set.id(),
        }),
        Evidence::Grade { term, grade, value, at } => json!({
            "code": term.name(), "term": term.name(), "grade": grade, "version": CTCAE_VERSION,
            "value": json::quantity_json(value), "at": time(at),
        }),
    }
}

/// The maximum age of a missing input, in hours (`null` for windows and course facts).
pub fn max_age_hours(input: Input, parameters: &Parameters) -> Value {
    let age = match input {
        Input::Observation(code) => parameters.max_ages.observation(code),
        Input::Finding(_) => Some(parameters.max_ages.findings),
        Input::CreatinineTrend => Some(SignedDuration::from_hours(24)),
        _ => None,
    };
    age.map_or(Value::Null, |age| json::number(hours(age)))
}

/// Why an input is missing, in words.
pub fn missing_reason(reason: MissingReason) -> String {
    match reason {
        MissingReason::NotRecorded => "not recorded".to_string(),
        MissingReason::Stale { at } => format!("too old (latest at {at})"),
        MissingReason::NotCovered => "window not covered by recorded intervals (gaps over 1 h)".to_string(),
        MissingReason::Contradicted { at } => {
            format!("not current: oxygen above room air was recorded after it (at {at})")
        }
    }
}

fn missing_json(missing: &Missing, parameters: &Parameters) -> Value {
    json!({
        "missing": missing.input.id(),
        "reason": missing_reason(missing.reason),
        "max_age_hours": max_age_hours(missing.input, parameters),
    })
}

fn grade_json(grade: &Grade) -> Value {
    let mut markers = Vec::new();
    if grade.markers.reference_range_default {
        markers.push("reference_range_default");
    }
    if grade.markers.baseline_missing {
        markers.push("baseline_missing");
    }
    if grade.markers.duration_unknown {
        markers.push("duration_unknown");
    }
    if grade.markers.needs_clinician {
        markers.push("needs_clinician");
    }
    let mut object = json!({
        "term": grade.term.name(),
        "grade": grade.grade.ok(),
        "version": CTCAE_VERSION,
        "graded_by": "computed",
        "value": json::quantity_json(grade.value),
        "at": time(grade.at),
        "markers": markers,
        "source": "CTCAE-5",
    });
    if let Some(limit) = grade.limit {
        object["limit"] = json::quantity_json(limit);
    }
    if let Some(baseline) = grade.baseline {
        object["baseline"] = json::quantity_json(baseline);
    }
    if let Err(reason) = grade.grade {
        object["not_graded"] = Value::from(reason.id());
    }
    object
}

/// The result JSON: INTERFACES fields (`decision`, `rule_set`, `fired`, `resume_pending`, `not_evaluated`,
/// `grades`) and the ASSESSMENT §8 extras.
pub fn result_json(evaluation: &Evaluation) -> Value {
    let parameters = &evaluation.parameters;
    let target = Some(evaluation.target_systolic_bp);
    let fired: Vec<Value> = evaluation
        .fired
        .iter()
        .map(|fired| {
            let rule = fired.rule;
            let mut object = json!({
                "id": rule.id(),
                "action": rule.action().id(),
                "evidence": fired.evidence.iter().map(evidence_json).collect::<Vec<_>>(),
                "threshold": catalogue::threshold(rule, parameters, target),
                "source": rule.source().to_string(),
                "confirmed": rule.confirmed(),
            });
            if let Some(resume) = rule.resume_when() {
                object["resume_when"] = Value::from(resume);
            }
            object
        })
        .collect();
    let resume_pending: Vec<Value> = evaluation
        .resume_pending
        .iter()
        .map(|pending| {
            json!({
                "id": pending.rule.id(),
                "action": pending.rule.action().id(),
                "resume_when": pending.rule.resume_when(),
                "source": pending.rule.source().to_string(),
                "missing": pending.missing.iter().map(|missing| missing_json(missing, parameters)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let not_evaluated: Vec<Value> = evaluation
        .not_evaluated
        .iter()
        .map(|entry| {
            let mut object = missing_json(&entry.missing, parameters);
            object["id"] = Value::from(entry.rule.id());
            object
        })
        .collect();
    let mut to_measure: Vec<&str> = evaluation
        .not_evaluated
        .iter()
        .map(|entry| entry.missing.input.id())
        .chain(evaluation.resume_pending.iter().flat_map(|pending| pending.missing.iter().map(|m| m.input.id())))
        .collect();
    to_measure.sort_unstable();
    to_measure.dedup();
    let mut result = json!({
        "decision": evaluation.decision.id(),
        "rule_set": evaluation.rule_set.id(),
        "rule_set_version": evaluation.rule_set_version,
        "evaluated_at": time(evaluation.evaluated_at),
        "cycle": evaluation.cycle,
        "cycle_day": evaluation.cycle_day,
        "slot": evaluation.slot,
        "doses_given_cycle": evaluation.doses_given_cycle,
        "doses_given_course": evaluation.doses_given_course,
        "fired": fired,
        "resume_pending": resume_pending,
        "pending_ignored": evaluation.pending_ignored.iter().map(|rule| rule.id()).collect::<Vec<_>>(),
        "not_evaluated": not_evaluated,
        "to_measure": to_measure,
        "grades": evaluation.grades.iter().map(grade_json).collect::<Vec<_>>(),
        "disclaimer": DISCLAIMER,
    });
    if let Some(flag) = evaluation.sets_flag {
        result["sets_patient_flag"] = Value::from(flag.id());
    }
    result
}

/// Validates a list of observations exactly as an assessment document's `observations` (codes, units,
/// plausible ranges, intervals), refusing any timed after `at`. For the stored record's observation API.
pub fn validate_observations(value: &Value, at: Timestamp) -> Result<(), Refusal> {
    observations(value, at).map(|_| ())
}

#[cfg(test)]
mod tests {
    use il2care_core::assessment::{Decision, assess};
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({
            "at": "2026-11-27T16:00:00Z",
            "rule_set": "label",
            "patient": {"sex": "female", "baseline_weight": {"value": 80, "unit": "kg"},
                        "baseline_creatinine": {"value": 0.9, "unit": "mg/dL"},
                        "target_systolic_bp": {"value": 90, "unit": "mm[Hg]"}},
            "course": {"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z", "cycle": 1,
                       "doses_given_this_cycle": 6, "doses_given_this_course": 6, "holds_this_cycle": 1,
                       "last_dose_at": "2026-11-27T08:00:00Z", "pending_holds": []},
            "observations": [
                {"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"},
                {"code": "urine_output", "value": {"value": 60, "unit": "mL"},
                 "start": "2026-11-27T08:00:00Z", "end": "2026-11-27T16:00:00Z"}
            ],
            "findings_reviewed": true,
            "findings": [
                {"code": "pressor_requirement", "value": "increasing", "at": "2026-11-27T15:40:00Z"},
                {"code": "ventricular_tachycardia", "value": 7, "at": "2026-11-27T12:10:00Z"}
            ]
        })
    }

    fn refused(change: impl Fn(&mut Value)) -> Refusal {
        let mut value = document();
        change(&mut value);
        parse_assessment(&value.to_string()).unwrap_err()
    }

    #[test]
    fn the_interfaces_example_is_a_permanent_stop_with_the_hold_reported_too() {
        let parsed = parse_assessment(&document().to_string()).unwrap();
        let evaluation = assess(&parsed.assessment, &parsed.parameters);
        assert_eq!(evaluation.decision, Decision::DiscontinuePermanently);
        let result = result_json(&evaluation);
        assert_eq!(result["fired"][0]["id"], "label.stop.vt-sustained");
        assert_eq!(
            result["fired"][0]["evidence"][0],
            json!({"code": "ventricular_tachycardia", "value": 7, "at": "2026-11-27T12:10:00Z"})
        );
        assert_eq!(result["fired"][1]["id"], "label.hold.sbp-below-90");
        assert_eq!(result["fired"][1]["evidence"][0]["value"], json!({"value": 86, "unit": "mm[Hg]"}));
        assert_eq!(result["sets_patient_flag"], "il2_retreatment_contraindicated");
        assert_eq!(result["disclaimer"], "Decision support: the treating clinician decides.");
        assert_eq!(result["not_evaluated"][0]["max_age_hours"], json!(4));
    }

    #[test]
    fn malformed_documents_are_refused_with_the_field_named() {
        type Change = Box<dyn Fn(&mut Value)>;
        let mut cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|v| v["observations"][0]["code"] = json!("glucose")),
                "observations[0].code",
                "unknown observation code",
            ),
            (
                Box::new(|v| v["observations"][0]["value"]["unit"] = json!("kg")),
                "observations[0].value",
                "does not fit",
            ),
            (Box::new(|v| v["observations"][0]["value"] = json!(86)), "observations[0].value", "without a unit"),
            (
                Box::new(|v| {
                    v["observations"][0] =
                        json!({"code": "spo2", "value": {"value": 140, "unit": "%"}, "at": "2026-11-27T15:00:00Z"})
                }),
                "observations[0].value",
                "plausible range",
            ),
            (
                Box::new(|v| v["observations"][1]["end"] = json!("2026-11-27T07:00:00Z")),
                "observations[1].end",
                "not after the start",
            ),
            (
                Box::new(|v| v["observations"][0]["at"] = json!("2026-11-27T16:00:01Z")),
                "observations[0].at",
                "after the document",
            ),
            (Box::new(|v| v["observations"][0]["at"] = json!("yesterday")), "observations[0].at", "RFC 3339"),
            (Box::new(|v| v["findings"][0]["code"] = json!("headache")), "findings[0].code", "unknown finding"),
            (Box::new(|v| v["findings"][0]["value"] = json!("soaring")), "findings[0].value", "not an answer"),
            (Box::new(|v| v["course"]["cycle"] = json!(2)), "course.cycle", "cycle 1"),
            (
                Box::new(|v| v["course"]["pending_holds"] = json!(["label.stop.vt-sustained"])),
                "course.pending_holds[0]",
                "not a hold",
            ),
            (
                Box::new(|v| v["course"]["pending_holds"] = json!(["label.hold.nonsense"])),
                "course.pending_holds[0]",
                "unknown rule",
            ),
            (Box::new(|v| v["extra"] = json!(1)), "extra", "unknown field"),
            (Box::new(|v| v["patient"]["weight"] = json!(1)), "patient.weight", "unknown field"),
            (
                Box::new(|v| v["parameters"] = json!({"max_age_hours": {"creatinine": 48}})),
                "parameters.max_age_hours.creatinine",
                "only shorten",
            ),
            (
                Box::new(|v| {
                    v["observations"].as_array_mut().unwrap().push(json!({"code": "urine_output", "value": {"value": 10, "unit": "mL"}, "start": "2026-11-27T12:00:00Z", "end": "2026-11-27T13:00:00Z"}))
                }),
                "observations[2].start",
                "overlaps",
            ),
        ];
        cases.push((
            Box::new(|v| {
                v["observations"].as_array_mut().unwrap().push(
                    json!({"code": "systolic_bp", "value": {"value": 120, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"}),
                )
            }),
            "observations[2]",
            "observations[0] and observations[2] record systolic_bp at the same time",
        ));
        cases.push((
            Box::new(|v| {
                v["findings"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"code": "ventricular_tachycardia", "value": 0, "at": "2026-11-27T12:10:00Z"}))
            }),
            "findings[2]",
            "findings[1] and findings[2] answer ventricular_tachycardia at the same time",
        ));
        cases.push((
            Box::new(|v| {
                v["observations"][0] =
                    json!({"code": "sodium", "value": {"value": 99, "unit": "mmol/L"}, "at": "2026-11-27T15:00:00Z"})
            }),
            "observations[0].value",
            "plausible range",
        ));
        cases.push((
            Box::new(|v| {
                v["observations"][0] =
                    json!({"code": "lymphocytes", "value": {"value": 301, "unit": "10*9/L"}, "at": "2026-11-27T15:00:00Z"})
            }),
            "observations[0].value",
            "plausible range",
        ));
        let typed: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|v| v["patient"]["flags"] = json!(["received_interleukin_2", "x"])),
                "patient.flags[1]",
                "unknown flag",
            ),
            (Box::new(|v| v["patient"]["flags"] = json!("x")), "patient.flags", "must be a list, not a string"),
            (Box::new(|v| v["patient"]["sex"] = json!("f")), "patient.sex", "expected female, male or unknown"),
            (Box::new(|v| v["patient"]["baseline_weight"] = json!(80)), "patient.baseline_weight", "without a unit"),
            (
                Box::new(|v| v["patient"]["baseline_weight"] = json!({"value": 80})),
                "patient.baseline_weight.unit",
                "without a unit",
            ),
            (
                Box::new(|v| v["patient"]["baseline_weight"] = json!({"value": 600, "unit": "[lb_av]"})),
                "patient.baseline_weight",
                "600 [lb_av] is outside the plausible range 30 to 250 kg",
            ),
            (Box::new(|v| v["patient"] = json!([])), "patient", "must be an object, not a list"),
            (Box::new(|v| v["course"] = Value::Null), "course", "is required"),
            (Box::new(|v| v["at"] = Value::Null), "at", "is required"),
            (Box::new(|v| v["course"]["regimen"] = json!("saadoun-2011-sc")), "course.regimen", "hd-iv"),
            (Box::new(|v| v["course"]["started_at"] = Value::Null), "course.started_at", "is required"),
            (Box::new(|v| v["course"]["holds_this_cycle"] = json!(-1)), "course.holds_this_cycle", "negative"),
            (Box::new(|v| v["course"]["discontinued"] = json!("no")), "course.discontinued", "true or false"),
            (Box::new(|v| v["course"]["doses"] = json!(1)), "course.doses", "unknown field; expected one of: regimen,"),
            (Box::new(|v| v["rule_set"] = json!("nccn")), "rule_set", "unknown rule set `nccn`"),
            (Box::new(|v| v["findings_reviewed"] = json!(1)), "findings_reviewed", "true or false, not a number"),
            (
                Box::new(|v| v["parameters"] = json!({"tachycardia_hold_min": {"value": 120, "unit": "kg"}})),
                "parameters.tachycardia_hold_min",
                "does not fit",
            ),
            (
                Box::new(|v| v["parameters"] = json!({"max_age_hours": 4})),
                "parameters.max_age_hours",
                "must be an object",
            ),
            (Box::new(|v| v["parameters"] = json!({"max_age": {}})), "parameters.max_age", "unknown field"),
        ];
        cases.extend(typed);
        for (change, field, reason) in cases {
            let refusal = refused(change);
            assert_eq!(refusal.field, field, "{refusal}");
            assert!(refusal.reason.contains(reason), "{field}: `{}` lacks `{reason}`", refusal.reason);
        }
    }

    #[test]
    fn the_same_value_twice_at_one_instant_is_not_a_contradiction_and_new_codes_are_graded() {
        let mut value = document();
        let observations = value["observations"].as_array_mut().unwrap();
        observations.push(
            json!({"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"}),
        );
        observations
            .push(json!({"code": "sodium", "value": {"value": 118, "unit": "mmol/L"}, "at": "2026-11-27T10:00:00Z"}));
        observations.push(
            json!({"code": "lymphocytes", "value": {"value": 0.1, "unit": "10*9/L"}, "at": "2026-11-27T10:00:00Z"}),
        );
        value["findings"]
            .as_array_mut()
            .unwrap()
            .push(json!({"code": "frank_blood", "value": true, "at": "2026-11-27T15:00:00Z"}));
        let parsed = parse_assessment(&value.to_string()).unwrap();
        let result = result_json(&assess(&parsed.assessment, &parsed.parameters));
        let grade =
            |term: &str| result["grades"].as_array().unwrap().iter().find(|g| g["term"] == term).unwrap().clone();
        assert_eq!(grade("Hyponatremia")["grade"], json!(4), "Na 118 [CTCAE-5]");
        assert_eq!(grade("Hyponatremia")["markers"], json!(["reference_range_default"]));
        assert_eq!(grade("Hypernatremia")["grade"], json!(0));
        assert_eq!(grade("Lymphocyte count decreased")["grade"], json!(4), "[CTCAE-5]");
        let fired = |id: &str| result["fired"].as_array().unwrap().iter().find(|f| f["id"] == id).cloned();
        let grade_four = fired("product.hold.grade-4").expect("grade 4 holds [ASSESSMENT §10.1]");
        assert_eq!(grade_four["evidence"].as_array().unwrap().len(), 1, "lymphocytes never hold: {grade_four}");
        assert_eq!(grade_four["evidence"][0]["term"], "Hyponatremia");
        let unread = fired("product.hold.unread-finding").expect("frank blood is read by no label rule");
        assert_eq!(unread["evidence"][0]["code"], "frank_blood");
        assert_eq!(unread["evidence"][0]["read_by"], json!(["consensus.stop.frank-blood"]));
        assert_eq!(unread["evidence"][0]["read_by_rule_set"], "consensus");
    }

    #[test]
    fn units_convert_at_the_edge() {
        let mut value = document();
        value["observations"] = json!([
            {"code": "weight", "value": {"value": 176, "unit": "[lb_av]"}, "at": "2026-11-27T06:00:00Z"},
            {"code": "temperature", "value": {"value": 100.4, "unit": "[degF]"}, "at": "2026-11-27T15:00:00Z"},
            {"code": "creatinine", "value": {"value": 397.89, "unit": "umol/L"}, "at": "2026-11-27T06:00:00Z"}
        ]);
        let parsed = parse_assessment(&value.to_string()).unwrap();
        let observations = &parsed.assessment.observations;
        assert_eq!(observations.weight[0].value.value(), dec!(79.83225712));
        assert_eq!(observations.temperature[0].value.value(), dec!(38.0));
        assert_eq!(observations.creatinine[0].value.value(), dec!(4.5));
    }

    #[test]
    fn site_parameters_pending_holds_and_reference_ranges_reach_the_result() {
        let mut value = document();
        value["rule_set"] = json!("consensus");
        value["parameters"] =
            json!({"tachycardia_hold_min": {"value": 120, "unit": "/min"}, "max_age_hours": {"creatinine": 12}});
        value["course"]["pending_holds"] = json!(["label.hold.sbp-below-90"]);
        value["observations"].as_array_mut().unwrap().push(json!({
            "code": "creatinine", "value": {"value": 1.3, "unit": "mg/dL"}, "at": "2026-11-27T10:00:00Z",
            "reference_range": {"low": {"value": 0.6, "unit": "mg/dL"}, "high": {"value": 1.2, "unit": "mg/dL"}}
        }));
        let parsed = parse_assessment(&value.to_string()).unwrap();
        let result = result_json(&assess(&parsed.assessment, &parsed.parameters));
        assert_eq!(result["rule_set_version"], "consensus-2026.1+site");
        assert_eq!(result["pending_ignored"], json!(["label.hold.sbp-below-90"]));
        let creatinine =
            result["grades"].as_array().unwrap().iter().find(|g| g["term"] == "Creatinine increased").unwrap();
        assert_eq!(creatinine["grade"], json!(1), "1.3 against the lab's ULN 1.2 [CTCAE-5]");
        assert_eq!(creatinine["markers"], json!([]));
        assert_eq!(creatinine["version"], "5.0");
        let inverted = json!({"low": {"value": 2, "unit": "mg/dL"}, "high": {"value": 1, "unit": "mg/dL"}});
        value["observations"][2]["reference_range"] = inverted;
        assert_eq!(parse_assessment(&value.to_string()).unwrap_err().field, "observations[2].reference_range.high");
    }
}
