//! The check-in document (`spec/INTERFACES.md`, "The check-in document"): parsing it into a core
//! [`CheckIn`], refusing the whole document with a [`Refusal`] that names the field, and rendering a
//! [`TriageResult`] as the result JSON.
//!
//! Refused: unknown top-level fields, an `at` that is not RFC 3339, an unknown item id, an answer of the wrong
//! JSON type, a negative or fractional count, negative hours, a severity word not on the scale, a bare number
//! or an unknown unit for a temperature, a temperature outside 25-45 Cel, a blood pressure outside 40-300
//! `mm[Hg]`. An item given as `null` is unanswered (as if absent). This module decides no level and does no IO.

use il2care_core::Refusal;
use il2care_core::triage::{
    Answer, AnswerKind, CheckIn, InjectionSiteLook, Item, QUESTIONNAIRE, Severity, Temperature, TriageResult,
};
use il2care_core::units::{Celsius, Measure, MillimetresMercury};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::json;

/// The top-level fields of a check-in document (a stored check-in may also carry `client_id`).
pub const FIELDS: [&str; 3] = ["at", "regimen", "answers"];

/// Plausible body temperatures (INTERFACES "Plausible ranges"): outside is refused, never clamped.
const TEMPERATURE_RANGE_CELSIUS: (i64, i64) = (25, 45);
/// Plausible systolic blood pressures in `mm[Hg]` (INTERFACES "Plausible ranges").
const SYSTOLIC_RANGE_MM_HG: (i64, i64) = (40, 300);

/// The longest idempotency key.
const CLIENT_ID_MAX: usize = 100;

/// A check-in document as sent, read from its text in one pass ([`json::document`]): unknown members refused,
/// each answer read by its item's kind. [`CheckInDocument::into_checkin`] gives the core's [`CheckIn`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a check-in document (a JSON object)")]
pub struct CheckInDocument {
    /// The idempotency key of a stored check-in (`POST /api/v1/patients/{id}/checkins`); not part of a check-in
    /// evaluated without storing it.
    #[serde(default)]
    pub client_id: Option<ClientId>,
    pub at: Time,
    /// Context only: no triage rule depends on the regimen, but a misspelt one is still bad input.
    #[serde(default)]
    pub regimen: Option<RegimenId>,
    pub answers: Answers,
}

impl CheckInDocument {
    /// The core's check-in.
    pub fn into_checkin(self) -> Result<CheckIn, Refusal> {
        let mut checkin = CheckIn::new(self.at.0);
        checkin.regimen = self.regimen.map(|regimen| regimen.0);
        for (item, answer) in self.answers.0 {
            checkin
                .answer(item, answer)
                .map_err(|refusal| Refusal::new(json::join("answers", item.id()), refusal.reason))?;
        }
        Ok(checkin)
    }
}

/// An RFC 3339 time with an offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        let value = Value::deserialize(deserializer)?;
        json::timestamp(&value, "").map(Time).map_err(json::refuse)
    }
}

/// A known regimen id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegimenId(pub String);

impl<'de> Deserialize<'de> for RegimenId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RegimenId, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let id = json::string(&value, "").map_err(json::refuse)?;
        if il2care_core::regimens::regimen(id).is_none() {
            let known = il2care_core::regimens::regimen_ids();
            return Err(json::refuse(Refusal::new("", format!("unknown regimen `{id}`; one of: {known}"))));
        }
        Ok(RegimenId(id.to_string()))
    }
}

/// An idempotency key: 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(pub String);

impl<'de> Deserialize<'de> for ClientId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ClientId, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let id = json::string(&value, "").map_err(json::refuse)?;
        if id.is_empty() || id.chars().count() > CLIENT_ID_MAX {
            return Err(json::refuse(Refusal::new("", format!("must be 1 to {CLIENT_ID_MAX} characters"))));
        }
        Ok(ClientId(id.to_string()))
    }
}

/// The answers, by item id; an item given as `null` is unanswered (left out).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answers(pub Vec<(Item, Answer)>);

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Answers, D::Error> {
        deserializer.deserialize_map(AnswersVisitor)
    }
}

struct AnswersVisitor;

impl<'de> Visitor<'de> for AnswersVisitor {
    type Value = Answers;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object of item ids")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Answers, A::Error> {
        let mut answers = Vec::new();
        while let Some(id) = members.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(item) = Item::from_id(&id) else {
                return Err(json::refuse(Refusal::new(
                    id.as_ref(),
                    format!("unknown item id `{id}`; items are listed in docs/triage.md"),
                )));
            };
            // An answer is small (a word, a number, a quantity): read as JSON, then by its item's kind.
            let value: Value = members.next_value()?;
            if !value.is_null() {
                answers.push((item, answer(item, &value, &id).map_err(json::refuse)?));
            }
        }
        Ok(Answers(answers))
    }
}

/// Parses a check-in document's text (one evaluated without storing it: no `client_id`).
pub fn parse_checkin(text: &str) -> Result<CheckIn, Refusal> {
    without_client_id(json::document(text)?)
}

/// Parses a check-in document already read as a JSON object.
pub fn checkin_from_object(object: &Map<String, Value>) -> Result<CheckIn, Refusal> {
    without_client_id(json::document_from_value(Value::Object(object.clone()))?)
}

fn without_client_id(document: CheckInDocument) -> Result<CheckIn, Refusal> {
    if document.client_id.is_some() {
        return Err(Refusal::new("client_id", format!("unknown field; expected one of: {}", FIELDS.join(", "))));
    }
    document.into_checkin()
}

/// One answer, read by its item's answer kind.
fn answer(item: Item, value: &Value, field: &str) -> Result<Answer, Refusal> {
    Ok(match item.kind() {
        AnswerKind::Temperature => {
            let (low, high) = TEMPERATURE_RANGE_CELSIUS;
            json::plausible::<Celsius>(value, field, celsius(low.into())?, celsius(high.into())?)?;
            let given = json::quantity(value, field)?;
            Answer::Temperature(Temperature::new(given).map_err(|error| Refusal::new(field, error.to_string()))?)
        }
        AnswerKind::SystolicPressure => {
            let (low, high) = SYSTOLIC_RANGE_MM_HG;
            let range = |value| MillimetresMercury::new(value).map_err(|error| Refusal::new(field, error.to_string()));
            Answer::SystolicPressure(json::plausible(value, field, range(low.into())?, range(high.into())?)?)
        }
        AnswerKind::YesNo => Answer::YesNo(json::boolean(value, field)?),
        AnswerKind::Severity => {
            let word = json::string(value, field)?;
            Answer::Severity(Severity::from_word(word).ok_or_else(|| {
                Refusal::new(
                    field,
                    format!("`{word}` is not on the severity scale; use {}", AnswerKind::Severity.describe()),
                )
            })?)
        }
        AnswerKind::Count => Answer::Count(json::count(value, field)?),
        AnswerKind::Hours => {
            let hours = json::decimal(value, field)?;
            if hours < Decimal::ZERO {
                return Err(Refusal::new(field, format!("must not be negative (got {hours})")));
            }
            Answer::Hours(hours)
        }
        AnswerKind::InjectionSiteLook => {
            let word = json::string(value, field)?;
            Answer::InjectionSiteLook(InjectionSiteLook::from_word(word).ok_or_else(|| {
                Refusal::new(
                    field,
                    format!("`{word}` is not an answer here; use {}", AnswerKind::InjectionSiteLook.describe()),
                )
            })?)
        }
    })
}

fn celsius(value: Decimal) -> Result<Celsius, Refusal> {
    Celsius::new(value).map_err(|error| Refusal::new("temperature", error.to_string()))
}

/// The result document: `level`, `fired[{id, item, answer, level, source}]`, `advice`, `unanswered` and
/// `complete` (amendment 2026-12-04: true when every core item is answered). Each fired entry also carries
/// `row`, the TRIAGE.md row it comes from.
pub fn result_json(result: &TriageResult) -> Value {
    let fired: Vec<Value> = result
        .fired
        .iter()
        .map(|entry| {
            json!({
                "id": entry.rule.id(),
                "item": entry.item_ids(),
                "answer": entry.answer,
                "level": entry.level().id(),
                "source": entry.rule.source().0,
                "row": entry.rule.row(),
            })
        })
        .collect();
    json!({
        "level": result.level.id(),
        "fired": fired,
        "advice": result.advice.iter().map(|topic| topic.id()).collect::<Vec<_>>(),
        "unanswered": result.unanswered.iter().map(|item| item.id()).collect::<Vec<_>>(),
        "complete": result.complete,
    })
}

/// The questionnaire as JSON (`[{id, type, question}]`), most dangerous first, for forms and docs.
pub fn questionnaire_json() -> Value {
    Value::Array(
        QUESTIONNAIRE
            .iter()
            .map(|item| json!({"id": item.id(), "type": item.kind().describe(), "question": item.question()}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use il2care_core::triage::{Level, triage};

    use super::*;

    fn refused(answers: Value) -> Refusal {
        let document = json!({"at": "2026-11-27T08:30:00-05:00", "answers": answers});
        parse_checkin(&document.to_string()).unwrap_err()
    }

    #[test]
    fn the_interfaces_example_parses_and_renders_the_documented_result() {
        let text = r#"{"at": "2026-11-27T08:30:00-05:00", "regimen": "saadoun-2011-sc",
            "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate",
                        "extra_stools_24h": 2, "lightheaded": false}}"#;
        let checkin = parse_checkin(text).unwrap();
        assert_eq!(checkin.regimen.as_deref(), Some("saadoun-2011-sc"));
        let result = triage(&checkin);
        assert_eq!(result.level, Level::CallNow);
        let rendered = result_json(&result);
        assert_eq!(rendered["level"], "call_now");
        assert_eq!(
            rendered["fired"][0],
            json!({"id": "triage.fever", "item": "temperature", "answer": "100.8 [degF]", "level": "call_now",
                   "source": "EDU", "row": "T1"})
        );
        assert_eq!(rendered["fired"][2]["source"], "EDU, CTCAE-5");
        assert_eq!(rendered["advice"], json!(["fever", "flu_like", "diarrhea"]));
        assert_eq!(rendered["unanswered"], json!(["short_of_breath", "fluids_not_kept_down_hours"]));
        assert_eq!(rendered["complete"], json!(false));
    }

    #[test]
    fn complete_is_true_only_when_every_core_item_is_answered() {
        let complete = |answers: Value| {
            let document = json!({"at": "2026-11-27T08:30:00Z", "answers": answers});
            result_json(&triage(&parse_checkin(&document.to_string()).unwrap()))["complete"].clone()
        };
        let core = json!({"feels_feverish": false, "short_of_breath": "none", "fluids_not_kept_down_hours": 0});
        assert_eq!(complete(core), json!(true));
        let with_null = json!({"temperature": null, "short_of_breath": "none", "fluids_not_kept_down_hours": 0});
        assert_eq!(complete(with_null), json!(false), "null is unanswered");
        assert_eq!(complete(json!({"short_of_breath": "none", "fluids_not_kept_down_hours": 0})), json!(false));
        assert_eq!(complete(json!({})), json!(false));
    }

    #[test]
    fn palpitations_is_a_yes_no_item_that_means_call_now() {
        let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"palpitations": true}});
        let rendered = result_json(&triage(&parse_checkin(&document.to_string()).unwrap()));
        assert_eq!(rendered["level"], "call_now");
        assert_eq!(rendered["fired"][0]["id"], "triage.palpitations");
        assert_eq!(rendered["fired"][0]["row"], "T46");
        assert_eq!(rendered["advice"], json!(["heart"]));
        assert_eq!(refused(json!({"palpitations": "yes"})).field, "answers.palpitations");
    }

    #[test]
    fn bad_answers_are_refused_naming_the_item() {
        let check = |answers: Value, field: &str, fragment: &str| {
            let refusal = refused(answers);
            assert_eq!(refusal.field, field, "{refusal}");
            assert!(refusal.reason.contains(fragment), "{refusal}");
        };
        check(json!({"headache": true}), "answers.headache", "unknown item id");
        check(json!({"vomiting_episodes_24h": -1}), "answers.vomiting_episodes_24h", "negative");
        check(json!({"vomiting_episodes_24h": 1.5}), "answers.vomiting_episodes_24h", "whole");
        check(json!({"temperature": {"value": 60, "unit": "Cel"}}), "answers.temperature", "plausible range");
        check(json!({"temperature": {"value": 24.9, "unit": "Cel"}}), "answers.temperature", "plausible range");
        check(json!({"temperature": {"value": 38, "unit": "K"}}), "answers.temperature.unit", "unknown unit");
        check(json!({"temperature": {"value": 38, "unit": "kg"}}), "answers.temperature", "does not fit");
        check(json!({"temperature": 38.5}), "answers.temperature", "without a unit");
        check(json!({"chills": "awful"}), "answers.chills", "not on the severity scale");
        check(json!({"chills": true}), "answers.chills", "must be a string");
        check(json!({"rash": "yes"}), "answers.rash", "true or false");
        check(json!({"fluids_not_kept_down_hours": -2}), "answers.fluids_not_kept_down_hours", "negative");
        check(json!({"home_systolic_bp": {"value": 20, "unit": "mm[Hg]"}}), "answers.home_systolic_bp", "plausible");
        check(json!({"injection_site": "itchy"}), "answers.injection_site", "not an answer here");
    }

    #[test]
    fn bad_documents_are_refused_naming_the_field() {
        let refusal = |text: &str| parse_checkin(text).unwrap_err().field;
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "patient": 1}"#), "patient");
        assert_eq!(refusal(r#"{"at": "2026-11-27 08:30", "answers": {}}"#), "at");
        assert_eq!(refusal(r#"{"answers": {}}"#), "at");
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z"}"#), "answers");
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": []}"#), "answers");
        assert_eq!(refusal(r#"[1]"#), "document");
        assert_eq!(refusal(r#"{"at": 1764250200, "answers": {}}"#), "at");
        assert_eq!(refusal(r#"{"at": null, "answers": {}}"#), "at");
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "regimen": "hd-iv-x", "answers": {}}"#), "regimen");
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "client_id": "a"}"#), "client_id");
        assert_eq!(
            refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {"chills": "mild", "chills": "none"}}"#),
            "answers.chills"
        );
        assert_eq!(
            refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {"temperature": {"value": 38}}}"#),
            "answers.temperature.unit"
        );
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}"#), "document");
        assert_eq!(refusal(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}} {}"#), "document");
    }

    #[test]
    fn a_stored_check_in_carries_its_client_id_and_a_refusal_says_what_is_expected() {
        let text = r#"{"client_id": "phone-7", "at": "2026-11-27T08:30:00Z", "answers": {"chills": "mild"}}"#;
        let document: CheckInDocument = json::document(text).unwrap();
        assert_eq!(document.client_id, Some(ClientId("phone-7".into())));
        assert_eq!(document.into_checkin().unwrap().answers().count(), 1);
        let long = format!(r#"{{"client_id": "{}", "at": "2026-11-27T08:30:00Z", "answers": {{}}}}"#, "x".repeat(101));
        assert_eq!(json::document::<CheckInDocument>(&long).unwrap_err().field, "client_id");
        let unknown =
            json::document::<CheckInDocument>(r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "x": 1}"#).unwrap_err();
        assert_eq!(
            (unknown.field.as_str(), unknown.reason.as_str()),
            ("x", "unknown field; expected one of: client_id, at, regimen, answers")
        );
        // A member named "" is named as written (an empty field would name nothing), also when the text stops.
        for text in [r#"{"at": "2026-11-27T08:30:00Z", "answers": {}, "": 1}"#, r#"{"""#, r#"{"": 1}"#] {
            assert_eq!(json::document::<CheckInDocument>(text).unwrap_err().field, r#""""#, "{text}");
        }
        let missing = json::document::<CheckInDocument>(r#"{"at": "2026-11-27T08:30:00Z"}"#).unwrap_err();
        assert_eq!((missing.field.as_str(), missing.reason.as_str()), ("answers", "is required"));
        let wrong = json::document::<CheckInDocument>(r#"{"at": "2026-11-27T08:30:00Z", "answers": []}"#).unwrap_err();
        assert_eq!(wrong.reason, "must be an object of item ids, not a list");
    }

    #[test]
    fn fahrenheit_and_celsius_at_the_fever_limit_agree_and_null_is_unanswered() {
        let level = |answers: Value| {
            let document = json!({"at": "2026-11-27T08:30:00Z", "answers": answers});
            triage(&parse_checkin(&document.to_string()).unwrap())
        };
        assert_eq!(level(json!({"temperature": {"value": 100.4, "unit": "[degF]"}})).level, Level::CallNow);
        assert_eq!(level(json!({"temperature": {"value": 38.0, "unit": "Cel"}})).level, Level::CallNow);
        assert_eq!(level(json!({"temperature": {"value": 100.3, "unit": "[degF]"}})).level, Level::SelfCare);
        let skipped = level(json!({"temperature": null}));
        assert_eq!(skipped.unanswered.first().map(|item| item.id()), Some("temperature"));
    }

    #[test]
    fn the_questionnaire_lists_every_item_once() {
        let items = questionnaire_json();
        assert_eq!(items.as_array().map(Vec::len), Some(QUESTIONNAIRE.len()));
        assert_eq!(items[0]["id"], "hard_to_wake");
    }
}
