//! FHIR search on Observations: `patient` or `subject` (required), `category` and `code` (`system|code` or
//! `code`, comma for "or"; `code` also matches a blood-pressure panel's components), `date` (with the prefixes
//! eq, ne, ge, gt, le, lt; a year, a month or a date covers its whole UTC year, month or day), `_count` (default
//! and largest in [`conformance`](super::conformance)), `_sort` (`date` or `-date`) and `_after` (the keyset
//! cursor of a `next` link), read from the raw query string; [`matches()`] over rendered Observation resources
//! and [`page()`] for the sorted, paged answer. Unknown parameters are ignored, as FHIR's lenient handling
//! allows. No IO and no store: the caller lists the patient's Observations.

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
    /// (system, code) of the category; any one matching is enough.
    pub categories: Vec<(Option<String>, String)>,
    /// The page size (`_count`), at most [`MAX_COUNT`]; `None` for the default.
    pub count: Option<usize>,
    /// `_sort=-date`: newest first.
    pub newest_first: bool,
    /// The keyset cursor: the (effective start in ms, id) of the last entry of the previous page.
    pub after: Option<(i64, String)>,
    /// The `date` values as given, for the links.
    pub date_texts: Vec<String>,
}

impl ObservationSearch {
    /// The page size: `_count`, or the default.
    pub fn page_size(&self) -> usize {
        self.count.unwrap_or(DEFAULT_COUNT)
    }

    /// The query string of this search without its cursor (for the `self` and `next` links), in a fixed order.
    pub fn query_string(&self) -> String {
        let token = |(system, code): &(Option<String>, String)| match system {
            Some(system) => format!("{}|{code}", encode(system)),
            None => code.clone(),
        };
        let mut parts = vec![format!("patient={}", self.patient)];
        if !self.categories.is_empty() {
            parts.push(format!("category={}", self.categories.iter().map(token).collect::<Vec<_>>().join(",")));
        }
        if !self.codes.is_empty() {
            parts.push(format!("code={}", self.codes.iter().map(token).collect::<Vec<_>>().join(",")));
        }
        parts.extend(self.date_texts.iter().map(|text| format!("date={}", encode(text))));
        parts.push(format!("_count={}", self.page_size()));
        parts.push(format!("_sort={}", if self.newest_first { "-date" } else { "date" }));
        parts.join("&")
    }
}

use super::conformance::{DEFAULT_COUNT, MAX_COUNT};

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
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
    let refused = || {
        Refusal::new(
            "date",
            format!("`{value}` is not a date (2026, 2026-11, 2026-11-27) or a dateTime with an offset"),
        )
    };
    let (from, until) = civil_range(rest).ok_or_else(refused)?;
    Ok(DateFilter { prefix, from, until })
}

/// The UTC instants a year (`2026`), a month (`2026-11`) or a date (`2026-11-27`) covers: \[from, until).
pub fn civil_range(text: &str) -> Option<(Timestamp, Timestamp)> {
    use jiff::ToSpan;
    let utc = |date: jiff::civil::Date| date.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|zoned| zoned.timestamp());
    let (first, span) = match text.len() {
        4 => (jiff::civil::Date::new(text.parse().ok()?, 1, 1).ok()?, 1.year()),
        7 if text.as_bytes()[4] == b'-' => {
            (jiff::civil::Date::new(text[..4].parse().ok()?, text[5..].parse().ok()?, 1).ok()?, 1.month())
        }
        10 => (text.parse::<jiff::civil::Date>().ok()?, 1.day()),
        _ => return None,
    };
    Some((utc(first)?, utc(first.checked_add(span).ok()?)?))
}

/// Reads the search parameters from a raw query string.
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
            "date" => {
                search.dates.push(date_filter(&value)?);
                search.date_texts.push(value);
            }
            "category" => {
                for token in value.split(',').filter(|token| !token.is_empty()) {
                    search.categories.push(match token.split_once('|') {
                        Some((system, code)) => ((!system.is_empty()).then(|| system.to_string()), code.to_string()),
                        None => (None, token.to_string()),
                    });
                }
            }
            "_count" => {
                let count = value.parse::<usize>().map_err(|_| {
                    Refusal::new("_count", format!("`{value}` is not a whole number of entries (0 to {MAX_COUNT})"))
                })?;
                search.count = Some(count.min(MAX_COUNT));
            }
            "_sort" => {
                search.newest_first = match value.as_str() {
                    "date" => false,
                    "-date" => true,
                    other => {
                        return Err(Refusal::new("_sort", format!("`{other}` is not served; sort by date or -date")));
                    }
                };
            }
            "_after" => {
                let cursor = value
                    .split_once('_')
                    .and_then(|(ms, id)| Some((ms.parse::<i64>().ok()?, id.to_string())))
                    .filter(|(_, id)| !id.is_empty());
                search.after = Some(cursor.ok_or_else(|| {
                    Refusal::new("_after", "is not a cursor of a next link; start again from the first page")
                })?);
            }
            _ => {}
        }
    }
    search.patient =
        patient.ok_or_else(|| Refusal::new("patient", "is required: search one patient's Observations"))?;
    Ok(search)
}

/// The instants an Observation covers: its time (a date-only time covers its whole UTC day or month), or its
/// period.
fn effective(resource: &Value) -> Option<(Timestamp, Timestamp)> {
    if let Some(at) = resource["effectiveDateTime"].as_str() {
        if let Ok(at) = at.parse::<Timestamp>() {
            return Some((at, at));
        }
        let (from, until) = civil_range(at)?;
        return Some((from, until - SignedDuration::from_nanos(1)));
    }
    let start: Timestamp = resource["effectivePeriod"]["start"].as_str()?.parse().ok()?;
    let end: Timestamp = resource["effectivePeriod"]["end"].as_str()?.parse().ok()?;
    Some((start, end))
}

/// Whether a rendered Observation matches the search's codes and dates.
pub fn matches(resource: &Value, search: &ObservationSearch) -> bool {
    fn codings_of(concept: &Value) -> impl Iterator<Item = (&str, &str)> {
        concept["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|coding| Some((coding["system"].as_str()?, coding["code"].as_str()?)))
    }
    let any_of = |wanted: &[(Option<String>, String)], codings: &[(&str, &str)]| {
        wanted.is_empty()
            || wanted.iter().any(|(system, code)| {
                codings.iter().any(|(have_system, have_code)| {
                    have_code == code && system.as_deref().is_none_or(|system| system == *have_system)
                })
            })
    };
    let mut codings: Vec<(&str, &str)> = codings_of(&resource["code"]).collect();
    for component in resource["component"].as_array().into_iter().flatten() {
        codings.extend(codings_of(&component["code"]));
    }
    let categories: Vec<(&str, &str)> =
        resource["category"].as_array().into_iter().flatten().flat_map(codings_of).collect();
    let code_ok = any_of(&search.codes, &codings) && any_of(&search.categories, &categories);
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

/// The sort key of a rendered Observation: its effective start in ms, then its id.
pub fn sort_key(resource: &Value) -> (i64, String) {
    let start = effective(resource).map_or(i64::MIN, |(start, _)| start.as_millisecond());
    (start, resource["id"].as_str().unwrap_or_default().to_string())
}

/// One page of a search's matches.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Every match, on every page.
    pub total: usize,
    pub entries: Vec<Value>,
    /// The cursor of the next page (`_after`), when there is one.
    pub next: Option<String>,
}

/// Sorts the matches (by date then id, or newest first), keeps those after the cursor and cuts one page: the
/// cursor is the last entry's key, so a page never repeats or skips an entry while records are added.
pub fn page(mut matched: Vec<Value>, search: &ObservationSearch) -> Page {
    let total = matched.len();
    let mut keyed: Vec<((i64, String), Value)> =
        matched.drain(..).map(|resource| (sort_key(&resource), resource)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if search.newest_first {
        keyed.reverse();
    }
    if let Some(after) = &search.after {
        keyed.retain(|(key, _)| if search.newest_first { key < after } else { key > after });
    }
    let size = search.page_size();
    let more = keyed.len() > size;
    keyed.truncate(size);
    let next = if more && size > 0 { keyed.last().map(|((ms, id), _)| format!("{ms}_{id}")) } else { None };
    Page { total, entries: keyed.into_iter().map(|(_, resource)| resource).collect(), next }
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
