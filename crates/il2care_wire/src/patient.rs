//! The new-patient document of `POST /api/v1/patients` and the admission page (`mrn`, `name`,
//! `date_of_birth`, `sex`, `time_zone`, and the optional `mrn_system`, `language`, `units`), read into a typed
//! [`NewPatient`]; and the one plausibility check of a birth date, which the FHIR import uses too.

use il2care_core::Refusal;
use jiff::civil::Date;

use serde::{Deserialize, Deserializer};

use crate::json::{self, Text};

/// The fields of the document.
pub const FIELDS: [&str; 8] = ["mrn", "name", "date_of_birth", "sex", "time_zone", "mrn_system", "language", "units"];

/// A new patient as the document gives them, every value checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPatient {
    pub mrn: String,
    pub name: String,
    /// `YYYY-MM-DD`, checked by [`plausible_birth_date`].
    pub date_of_birth: String,
    /// `female`, `male` or `unknown`.
    pub sex: String,
    /// An IANA time zone name known to the system.
    pub time_zone: String,
    /// The identifier system of the MRN (the site's when the document gives none).
    pub mrn_system: String,
    /// `en` or `es`.
    pub language: String,
    /// `metric` or `us`.
    pub units: String,
}

/// Why a birth date is not plausible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImplausibleBirthDate {
    InTheFuture,
    Before1900,
}

/// A birth date in the future or before 1900 is a typing error, never a patient (`today` is the UTC date; a
/// day of slack covers the time zones ahead of UTC).
pub fn plausible_birth_date(born: Date, today: Date) -> Result<(), ImplausibleBirthDate> {
    if born > today.tomorrow().unwrap_or(today) {
        return Err(ImplausibleBirthDate::InTheFuture);
    }
    if born < jiff::civil::date(1900, 1, 1) {
        return Err(ImplausibleBirthDate::Before1900);
    }
    Ok(())
}

/// A new-patient document as sent ([`json::document`]): unknown members refused, each member a string. An
/// optional member given as `null` is refused like any other non-string (it is not "left out").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a new-patient document (a JSON object)")]
struct Sent {
    #[serde(default)]
    mrn: Option<Text>,
    #[serde(default)]
    name: Option<Text>,
    #[serde(default)]
    date_of_birth: Option<Text>,
    #[serde(default)]
    sex: Option<Text>,
    #[serde(default)]
    time_zone: Option<Text>,
    #[serde(default, deserialize_with = "present")]
    mrn_system: Option<Text>,
    #[serde(default, deserialize_with = "present")]
    language: Option<Text>,
    #[serde(default, deserialize_with = "present")]
    units: Option<Text>,
}

/// A member that, when given, must be a string (`null` included: it is refused, not read as absent).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Text>, D::Error> {
    Text::deserialize(deserializer).map(Some)
}

/// Reads a new patient's document (its text) on `today` (the UTC date), the MRN's system defaulting to
/// `default_mrn_system`; refused as a whole naming the field.
pub fn new_patient(text: &str, today: Date, default_mrn_system: &str) -> Result<NewPatient, Refusal> {
    let sent: Sent = json::document(text)?;
    let optional = |given: &Option<Text>| given.as_ref().map(|text| text.0.trim().to_string());
    let mrn_system = optional(&sent.mrn_system).unwrap_or_else(|| default_mrn_system.to_string());
    if mrn_system.is_empty() || mrn_system.len() > 200 || !mrn_system.contains(':') {
        return Err(Refusal::new(
            "mrn_system",
            "must be a URI such as urn:oid:2.16.840.1.113883.19.5 (1 to 200 characters)",
        ));
    }
    let language = optional(&sent.language).unwrap_or_else(|| "en".into());
    if !["en", "es"].contains(&language.as_str()) {
        return Err(Refusal::new("language", "must be en (English) or es (Spanish)"));
    }
    let units = optional(&sent.units).unwrap_or_else(|| "metric".into());
    if !["metric", "us"].contains(&units.as_str()) {
        return Err(Refusal::new("units", "must be metric (kg, cm, °C) or us (lb, in, °F)"));
    }
    let text_field = |given: &Option<Text>, name: &str| -> Result<String, Refusal> {
        let value = given.as_ref().ok_or_else(|| Refusal::new(name, "is required"))?.0.trim().to_string();
        if value.is_empty() || value.len() > 200 {
            return Err(Refusal::new(name, "must be 1 to 200 characters"));
        }
        Ok(value)
    };
    let date_of_birth = text_field(&sent.date_of_birth, "date_of_birth")?;
    let born = date_of_birth
        .parse::<Date>()
        .map_err(|_| Refusal::new("date_of_birth", format!("`{date_of_birth}` is not a date such as 1960-04-02")))?;
    plausible_birth_date(born, today).map_err(|problem| match problem {
        ImplausibleBirthDate::InTheFuture => Refusal::new("date_of_birth", format!("{born} is in the future")),
        ImplausibleBirthDate::Before1900 => {
            Refusal::new("date_of_birth", format!("{born} is before 1900; check the year"))
        }
    })?;
    let sex = text_field(&sent.sex, "sex")?;
    if !["female", "male", "unknown"].contains(&sex.as_str()) {
        return Err(Refusal::new("sex", "must be female, male or unknown"));
    }
    let time_zone = text_field(&sent.time_zone, "time_zone")?;
    jiff::tz::TimeZone::get(&time_zone)
        .map_err(|_| Refusal::new("time_zone", format!("unknown time zone `{time_zone}`; use an IANA name")))?;
    Ok(NewPatient {
        mrn: text_field(&sent.mrn, "mrn")?,
        name: text_field(&sent.name, "name")?,
        date_of_birth,
        sex,
        time_zone,
        mrn_system,
        language,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 12, 4)
    }

    #[test]
    fn a_birth_date_after_tomorrow_or_before_1900_is_not_plausible() {
        let check = |born: Date, expected: Result<(), ImplausibleBirthDate>| {
            assert_eq!(plausible_birth_date(born, today()), expected, "{born}");
        };
        check(jiff::civil::date(2026, 12, 5), Ok(()));
        check(jiff::civil::date(2026, 12, 6), Err(ImplausibleBirthDate::InTheFuture));
        check(jiff::civil::date(1900, 1, 1), Ok(()));
        check(jiff::civil::date(1899, 12, 31), Err(ImplausibleBirthDate::Before1900));
    }

    #[test]
    fn a_document_is_refused_naming_the_field_in_the_order_the_fields_are_checked() {
        let refused = |text: &str| new_patient(text, today(), "urn:oid:1.2").unwrap_err().field;
        let base = r#""mrn": "M1", "name": "A B", "sex": "female", "time_zone": "UTC""#;
        assert_eq!(refused(&format!(r#"{{{base}, "date_of_birth": "2027-01-01"}}"#)), "date_of_birth");
        assert_eq!(refused(&format!(r#"{{{base}, "date_of_birth": "1960-04-02", "units": "imperial"}}"#)), "units");
        assert_eq!(refused(&format!(r#"{{{base}, "date_of_birth": "1960-04-02", "x": 1}}"#)), "x");
        let read = new_patient(&format!(r#"{{{base}, "date_of_birth": "1960-04-02"}}"#), today(), "urn:oid:1.2");
        let read = read.unwrap();
        assert_eq!(
            (read.mrn_system.as_str(), read.language.as_str(), read.units.as_str()),
            ("urn:oid:1.2", "en", "metric")
        );
    }

    #[test]
    fn members_are_read_by_type_and_null_is_refused_where_a_default_would_apply() {
        let refusal = |text: &str| new_patient(text, today(), "urn:oid:1.2").unwrap_err();
        let base = r#""mrn": "M1", "name": "A B", "sex": "female", "time_zone": "UTC", "date_of_birth": "1960-04-02""#;
        let null = refusal(&format!(r#"{{{base}, "language": null}}"#));
        assert_eq!((null.field.as_str(), null.reason.as_str()), ("language", "must be a string, not null"));
        let number = refusal(r#"{"mrn": 7}"#);
        assert_eq!((number.field.as_str(), number.reason.as_str()), ("mrn", "must be a string, not a number"));
        let missing = refusal(&format!(r#"{{{}, "mrn": null}}"#, base.replace(r#""mrn": "M1", "#, "")));
        assert_eq!((missing.field.as_str(), missing.reason.as_str()), ("mrn", "is required"));
        let unknown = refusal(&format!(r#"{{{base}, "ward": "5"}}"#));
        assert_eq!(unknown.reason, format!("unknown field; expected one of: {}", FIELDS.join(", ")));
        assert_eq!(refusal(&format!(r#"{{{base}, "mrn": "M2"}}"#)).field, "mrn", "a member named twice");
        assert_eq!(refusal("[]").field, "document");
        let read = new_patient(&format!(r#"{{{base}, "units": " us "}}"#), today(), "urn:oid:1.2").unwrap();
        assert_eq!(
            (read.units.as_str(), read.language.as_str(), read.mrn_system.as_str()),
            ("us", "en", "urn:oid:1.2")
        );
    }
}
