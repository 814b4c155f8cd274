//! The site's settings that pages show: the ward's time zone (the worklist's one clock) and the telephone
//! numbers every patient page offers (TRIAGE amendment 5). Read once at start-up by `il2care serve` and passed
//! in; nothing here reads the environment.

/// The settings of one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The IANA zone the care team's worklist is shown in (one ward, one clock).
    pub ward_time_zone: String,
    /// The emergency number (911 unless set), the care team's 24-hour and office lines: the content crate's
    /// own type, so the numbers on a page and in its texts are one value.
    pub numbers: il2care_content::SiteNumbers,
}

impl Default for Site {
    fn default() -> Site {
        Site { ward_time_zone: "UTC".into(), numbers: il2care_content::SiteNumbers::default() }
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
