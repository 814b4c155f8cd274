//! Patient matching: whether a Patient from another system (an EHR's CDS prefetch, an imported Bundle) is the
//! il2care patient that has the same MRN. The MRN is matched only within the site's MRN identifier system;
//! a match is then cross-checked against the birth date (always) and the family name and gender (when the
//! other system gives them), so an identifier value that happens to equal a stored MRN never brings another
//! person's record. Pure: the caller looks the MRN up and acts on the mismatched fields.

use serde_json::Value;

/// What the cross-check compares, as the other system gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Demographics<'a> {
    /// `birthDate` (required for a match).
    pub birth_date: Option<&'a str>,
    /// `name[0].family` (checked when given).
    pub family: Option<&'a str>,
    /// `gender` (checked when given and not `unknown`).
    pub gender: Option<&'a str>,
}

impl<'a> Demographics<'a> {
    /// The demographics of a FHIR Patient resource.
    pub fn of_patient(patient: &'a Value) -> Demographics<'a> {
        let text = |value: &'a Value| value.as_str().map(str::trim).filter(|text| !text.is_empty());
        Demographics {
            birth_date: text(&patient["birthDate"]),
            family: patient["name"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|name| name["use"] == "official")
                .or_else(|| patient["name"].get(0))
                .and_then(|name| text(&name["family"])),
            gender: text(&patient["gender"]),
        }
    }
}

/// The stored patient the MRN found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored<'a> {
    pub date_of_birth: &'a str,
    /// The display name (given names and family name, as stored).
    pub name: &'a str,
    /// `female`, `male` or `unknown`.
    pub sex: &'a str,
}

/// The FHIR fields that disagree with the stored patient (empty: the same person as far as can be told).
/// A missing birth date is a mismatch: without it nothing confirms the person.
pub fn mismatched_fields(stored: Stored<'_>, given: Demographics<'_>) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if given.birth_date != Some(stored.date_of_birth) {
        fields.push("birthDate");
    }
    if let Some(family) = given.family
        && !contains_words(stored.name, family)
    {
        fields.push("name.family");
    }
    if let Some(gender) = given.gender
        && gender != "unknown"
        && stored.sex != "unknown"
        && gender != stored.sex
    {
        fields.push("gender");
    }
    fields
}

/// Whether the words of `part` appear together in `name`, ignoring case (`van der Berg` in `Anna van der Berg`).
fn contains_words(name: &str, part: &str) -> bool {
    let words = |text: &str| text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    format!(" {} ", words(name)).contains(&format!(" {} ", words(part)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STORED: Stored<'static> = Stored { date_of_birth: "1958-03-14", name: "Daniel Okafor", sex: "male" };

    fn check(patient: Value, expected: &[&str]) {
        assert_eq!(mismatched_fields(STORED, Demographics::of_patient(&patient)), expected, "{patient}");
    }

    #[test]
    fn the_same_person_matches_and_each_differing_field_is_named() {
        check(json!({"birthDate": "1958-03-14", "name": [{"family": "Okafor"}], "gender": "male"}), &[]);
        check(json!({"birthDate": "1958-03-14"}), &[]);
        check(json!({"birthDate": "1958-03-14", "name": [{"family": "okafor"}], "gender": "unknown"}), &[]);
        check(json!({"birthDate": "1958-03-15"}), &["birthDate"]);
        check(json!({"name": [{"family": "Okafor"}]}), &["birthDate"]);
        check(json!({"birthDate": "1958-03-14", "name": [{"family": "Okaf"}]}), &["name.family"]);
        check(json!({"birthDate": "1958-03-14", "gender": "female"}), &["gender"]);
        // The woman born 2001 at another hospital whose identifier value equals this man's MRN.
        check(
            json!({"birthDate": "2001-06-02", "name": [{"family": "Jensen"}], "gender": "female"}),
            &["birthDate", "name.family", "gender"],
        );
    }

    #[test]
    fn the_official_name_is_compared_and_family_names_of_several_words_match_as_a_whole() {
        let stored = Stored { date_of_birth: "1970-01-01", name: "Anna van der Berg", sex: "female" };
        let given = json!({"birthDate": "1970-01-01",
                           "name": [{"use": "nickname", "family": "Smith"}, {"use": "official", "family": "van der Berg"}]});
        assert!(mismatched_fields(stored, Demographics::of_patient(&given)).is_empty());
        let given = json!({"birthDate": "1970-01-01", "name": [{"family": "der"}]});
        assert!(mismatched_fields(stored, Demographics::of_patient(&given)).is_empty(), "a whole word matches");
        let given = json!({"birthDate": "1970-01-01", "name": [{"family": "Ber"}]});
        assert_eq!(mismatched_fields(stored, Demographics::of_patient(&given)), ["name.family"]);
    }
}
