//! FHIR search on Observations: `patient` (required), `code` (`system|code` or `code`, comma for "or") and
//! `date` (with the prefixes eq, ne, ge, gt, le, lt; a date alone covers its whole UTC day), read from the raw query
//! string, and [`matches()`] over rendered Observation resources. Unknown parameters are ignored, as FHIR's
//! lenient handling allows. No IO and no store: the caller lists the patient's Observations.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use il2care_core::Refusal;

/// A date comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
}

/// One `date` parameter: the prefix and the instants the value covers (a whole day, or one instant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateFilter {
    pub prefix: Prefix,
    pub from: Timestamp,
    /// Exclusive end of the range the value covers.
    pub until: Timestamp,
}

/// A parsed Observation search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservationSearch {
    pub patient: i64,
    /// (system, code); any one matching is enough.
    pub codes: Vec<(Option<String>, String)>,
    /// Every filter must hold.
    pub dates: Vec<DateFilter>,
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() && text.is_char_boundary(index + 1) && text.is_char_boundary(index + 3) => {
                match u8::from_str_radix(&text[index + 1..index + 3], 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn date_filter(value: &str) -> Result<DateFilter, Refusal> {
    let prefixes = [
        ("eq", Prefix::Eq),
        ("ne", Prefix::Ne),
        ("ge", Prefix::Ge),
        ("gt", Prefix::Gt),
        ("le", Prefix::Le),
        ("lt", Prefix::Lt),
    ];
    let (prefix, rest) = prefixes
        .iter()
        .find_map(|(text, prefix)| value.strip_prefix(text).map(|rest| (*prefix, rest)))
        .unwrap_or((Prefix::Eq, value));
    if let Ok(at) = rest.parse::<Timestamp>() {
        return Ok(DateFilter { prefix, from: at, until: at + SignedDuration::from_nanos(1) });
    }
    let day = rest.parse::<jiff::civil::Date>().map_err(|_| {
        Refusal::new("date", format!("`{value}` is not a date (2026-11-27) or a dateTime with an offset"))
    })?;
    let from =
        day.to_zoned(jiff::tz::TimeZone::UTC).map_err(|error| Refusal::new("date", error.to_string()))?.timestamp();
    Ok(DateFilter { prefix, from, until: from + SignedDuration::from_hours(24) })
}

/// Reads `patient`, `code` and `date` from a raw query string.
pub fn parse(query: &str) -> Result<ObservationSearch, Refusal> {
    let mut search = ObservationSearch::default();
    let mut patient = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key), decode(value));
        match key.as_str() {
            "patient" | "subject" => {
                let id = value.strip_prefix("Patient/").unwrap_or(&value);
                patient = Some(
                    id.parse::<i64>()
                        .ok()
                        .filter(|id| *id > 0)
                        .ok_or_else(|| Refusal::new("patient", format!("`{value}` is not a patient id")))?,
                );
            }
            "code" => {
                for token in value.split(',').filter(|token| !token.is_empty()) {
                    search.codes.push(match token.split_once('|') {
                        Some((system, code)) => ((!system.is_empty()).then(|| system.to_string()), code.to_string()),
                        None => (None, token.to_string()),
                    });
                }
            }
            "date" => search.dates.push(date_filter(&value)?),
            _ => {}
        }
    }
    search.patient =
        patient.ok_or_else(|| Refusal::new("patient", "is required: search one patient's Observations"))?;
    Ok(search)
}

/// The instants an Observation covers: its time, or its period.
fn effective(resource: &Value) -> Option<(Timestamp, Timestamp)> {
    if let Some(at) = resource["effectiveDateTime"].as_str() {
        let at: Timestamp = at.parse().ok()?;
        return Some((at, at));
    }
    let start: Timestamp = resource["effectivePeriod"]["start"].as_str()?.parse().ok()?;
    let end: Timestamp = resource["effectivePeriod"]["end"].as_str()?.parse().ok()?;
    Some((start, end))
}

/// Whether a rendered Observation matches the search's codes and dates.
pub fn matches(resource: &Value, search: &ObservationSearch) -> bool {
    let codings: Vec<(&str, &str)> = resource["code"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|coding| Some((coding["system"].as_str()?, coding["code"].as_str()?)))
        .collect();
    let code_ok = search.codes.is_empty()
        || search.codes.iter().any(|(system, code)| {
            codings.iter().any(|(have_system, have_code)| {
                have_code == code && system.as_deref().is_none_or(|system| system == *have_system)
            })
        });
    let Some((start, end)) = effective(resource) else {
        return code_ok && search.dates.is_empty();
    };
    let dates_ok = search.dates.iter().all(|filter| match filter.prefix {
        // The resource's range [start, end] against the value's range [from, until).
        Prefix::Eq => start >= filter.from && end < filter.until,
        Prefix::Ne => !(start >= filter.from && end < filter.until),
        Prefix::Ge => end >= filter.from,
        Prefix::Gt => end >= filter.until,
        Prefix::Le => start < filter.until,
        Prefix::Lt => start < filter.from,
    });
    code_ok && dates_ok
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn observation(code: &str, at: &str) -> Value {
        json!({"resourceType": "Observation", "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
               "effectiveDateTime": at})
    }

    fn found(query: &str, resource: &Value) -> bool {
        matches(resource, &parse(query).unwrap())
    }

    #[test]
    fn codes_match_with_or_without_their_system_and_commas_mean_or() {
        let pressure = observation("8480-6", "2026-11-27T15:40:00Z");
        assert!(found("patient=3", &pressure));
        assert!(found("patient=Patient/3&code=8480-6", &pressure));
        assert!(found("patient=3&code=http%3A%2F%2Floinc.org%7C8480-6", &pressure));
        assert!(found("patient=3&code=2160-0,8480-6", &pressure));
        assert!(!found("patient=3&code=http://snomed.info/sct|8480-6", &pressure));
        assert!(!found("patient=3&code=2160-0", &pressure));
    }

    #[test]
    fn dates_compare_at_their_boundaries_and_a_day_covers_the_whole_day() {
        let evening = observation("8867-4", "2026-11-27T23:59:59Z");
        let cases = [
            ("date=2026-11-27", true),
            ("date=eq2026-11-28", false),
            ("date=ge2026-11-27", true),
            ("date=gt2026-11-27", false),
            ("date=le2026-11-27", true),
            ("date=lt2026-11-27", false),
            ("date=ne2026-11-27", false),
            ("date=ge2026-11-27T23:59:59Z", true),
            ("date=gt2026-11-27T23:59:59Z", false),
            ("date=ge2026-11-27&date=lt2026-11-28", true),
        ];
        for (query, expected) in cases {
            assert_eq!(found(&format!("patient=1&{query}"), &evening), expected, "{query}");
        }
    }

    #[test]
    fn a_search_without_a_patient_or_with_a_bad_date_is_refused() {
        assert_eq!(parse("code=8480-6").unwrap_err().field, "patient");
        assert_eq!(parse("patient=abc").unwrap_err().field, "patient");
        assert_eq!(parse("patient=1&date=yesterday").unwrap_err().field, "date");
        assert_eq!(parse("patient=1&_count=10&unknown=x").unwrap().patient, 1);
    }
}
