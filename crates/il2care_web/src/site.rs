//! The site's settings that pages show: the ward's time zone (the worklist's one clock) and the telephone
//! numbers every patient page offers (TRIAGE amendment 5). Read once at start-up by `il2care serve` and passed
//! in; nothing here reads the environment.

/// The settings of one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The IANA zone the care team's worklist is shown in (one ward, one clock).
    pub ward_time_zone: String,
    /// The emergency number (911 unless the site says otherwise).
    pub emergency_number: String,
    /// The care team's 24-hour line, when the site has set one.
    pub line_24h: Option<String>,
    /// The care team's office line, when the site has set one.
    pub office_line: Option<String>,
}

impl Default for Site {
    fn default() -> Site {
        Site { ward_time_zone: "UTC".into(), emergency_number: "911".into(), line_24h: None, office_line: None }
    }
}

impl Site {
    /// The numbers the patient texts carry (the content crate fills its `{emergency}`, `{line24}`, `{office}`).
    pub fn numbers(&self) -> il2care_content::SiteNumbers {
        il2care_content::SiteNumbers {
            emergency: self.emergency_number.clone(),
            line_24h: self.line_24h.clone(),
            office: self.office_line.clone(),
        }
    }
}

/// A telephone number as a `tel:` link target: digits and a leading `+` only, so `(555) 010-0100` dials.
pub fn tel_href(number: &str) -> String {
    let mut href = String::from("tel:");
    for (index, character) in number.trim().chars().enumerate() {
        if character.is_ascii_digit() || (index == 0 && character == '+') {
            href.push(character);
        }
    }
    href
}

#[cfg(test)]
mod tests {
    use super::tel_href;

    #[test]
    fn a_number_as_people_write_it_becomes_a_dialable_link() {
        assert_eq!(tel_href("911"), "tel:911");
        assert_eq!(tel_href("(555) 010-0100"), "tel:5550100100");
        assert_eq!(tel_href(" +1 555 010 0199 "), "tel:+15550100199");
    }
}
