//! The injection log's view model: the planned slots of a low-dose course beside the entries logged for them,
//! in the patient's time zone, with every dose in its unit. Pure functions from the application layer's
//! `CourseLog` (no IO, no clock, no HTML), table-tested here; the patient's page and the course page render what
//! these return.

use il2care_app::injections::{CourseLog, LogEntry, ShotStatus, site_label};
use il2care_core::regimens::{Amount, DoseLevel};
use rust_decimal::Decimal;

use super::view::local_time;

/// How many slots still to come the log shows (the whole course can be 84 daily slots).
const UPCOMING_SHOWN: usize = 3;
/// How far ahead of its planned time a slot may be logged (a shot taken a little early still answers it).
const LOGGABLE_AHEAD_MS: i64 = 12 * 3_600_000;
/// How many open slots the form offers (the most recent ones; an older missed slot is a call to the clinic).
const OPEN_SLOTS_OFFERED: usize = 7;

/// What happened at a planned slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShotState {
    Given,
    Skipped,
    /// Its time has passed and nothing is logged.
    NotLogged,
    Upcoming,
}

impl ShotState {
    /// The words shown.
    pub fn label(self) -> &'static str {
        match self {
            ShotState::Given => "Taken",
            ShotState::Skipped => "Skipped",
            ShotState::NotLogged => "Not logged",
            ShotState::Upcoming => "Coming up",
        }
    }

    /// The CSS class (the schedule's colours).
    pub fn class(self) -> &'static str {
        match self {
            ShotState::Given => "given",
            ShotState::Skipped => "held",
            ShotState::NotLogged => "not-recorded",
            ShotState::Upcoming => "pending",
        }
    }
}

/// One logged entry as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryView {
    pub id: i64,
    pub state: ShotState,
    /// When the shot was taken (or the skip logged), local time with the zone.
    pub at: String,
    pub site: Option<String>,
    pub skip_reason: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
    /// The entry this one corrects.
    pub corrects_id: Option<i64>,
}

/// One planned slot with its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotView {
    pub number: u32,
    pub day: u32,
    pub planned: String,
    /// The slot's dose with its unit.
    pub dose: String,
    pub state: ShotState,
    pub entry: Option<EntryView>,
}

/// A choice of the form: value and words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub text: String,
}

/// The log of one course as its pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectionLogView {
    pub course_id: i64,
    pub regimen: String,
    /// Every past slot and the next few, in order.
    pub slots: Vec<SlotView>,
    /// Entries that answer no slot (courses without a laid-out schedule), oldest first.
    pub unplanned: Vec<EntryView>,
    /// Why the slots are not shown, when the schedule cannot be laid out.
    pub schedule_note: Option<String>,
    /// The open slots the form offers, nearest to now first.
    pub open_slots: Vec<Choice>,
    /// The dose levels the form offers when there are no slots.
    pub levels: Vec<Choice>,
}

/// A dose level's amount in words with its unit (`1.5 million units`, `1 million units per m2 of body surface`).
pub fn dose_text(level: &DoseLevel) -> String {
    let millions = |value: Decimal| (value / Decimal::from(1_000_000)).normalize();
    match level.amount {
        Amount::Flat(units) => format!("{} million units", millions(units)),
        Amount::PerSquareMetre(units) => format!("{} million units per m2 of body surface", millions(units)),
        Amount::PerKilogram(units) => format!("{} units per kg of body weight", units.normalize()),
    }
}

fn shot_state(status: ShotStatus) -> ShotState {
    match status {
        ShotStatus::Given => ShotState::Given,
        ShotStatus::Skipped => ShotState::Skipped,
    }
}

fn entry_view(entry: &LogEntry, zone: &str) -> EntryView {
    EntryView {
        id: entry.id,
        state: shot_state(entry.status),
        at: local_time(entry.at_ms, zone),
        site: entry.site.as_deref().map(|site| site_label(site).to_string()),
        skip_reason: entry.skip_reason.clone(),
        note: entry.note.clone(),
        recorded_by: entry.recorded_by.clone(),
        corrects_id: entry.corrects_id,
    }
}

/// The log of one course (its entries, corrections included, and its planned slots) at `now_ms`.
pub fn injection_log(log: &CourseLog, now_ms: i64) -> InjectionLogView {
    let zone = log.time_zone.as_str();
    let standing: Vec<&LogEntry> = log.entries.iter().filter(|entry| entry.stands).collect();
    let levels = log
        .regimen
        .levels
        .iter()
        .map(|level| Choice { value: level.id.to_string(), text: format!("{} ({})", dose_text(level), level.applies) })
        .collect();
    let mut view = InjectionLogView {
        course_id: log.course_id,
        regimen: log.regimen.id.to_string(),
        slots: Vec::new(),
        unplanned: standing.iter().filter(|entry| entry.slot.is_none()).map(|entry| entry_view(entry, zone)).collect(),
        schedule_note: None,
        open_slots: Vec::new(),
        levels,
    };
    let plan = match &log.plan {
        Ok(plan) => plan,
        Err(why) => {
            view.schedule_note = Some(why.clone());
            return view;
        }
    };
    let mut upcoming = 0;
    let mut open: Vec<(i64, Choice)> = Vec::new();
    for slot in &plan.slots {
        let at_ms = slot.at.timestamp().as_millisecond();
        let entry = standing.iter().find(|entry| entry.slot == Some(i64::from(slot.number)));
        let state = match entry {
            Some(entry) => shot_state(entry.status),
            None if at_ms > now_ms => ShotState::Upcoming,
            None => ShotState::NotLogged,
        };
        if entry.is_none() && at_ms <= now_ms + LOGGABLE_AHEAD_MS {
            let text = format!("Shot {}: {} ({})", slot.number, local_time(at_ms, zone), dose_text(slot.level));
            open.push((at_ms, Choice { value: slot.number.to_string(), text }));
        }
        if state == ShotState::Upcoming {
            upcoming += 1;
            if upcoming > UPCOMING_SHOWN {
                continue;
            }
        }
        view.slots.push(SlotView {
            number: slot.number,
            day: slot.day,
            planned: local_time(at_ms, zone),
            dose: dose_text(slot.level),
            state,
            entry: entry.map(|entry| entry_view(entry, zone)),
        });
    }
    open.sort_by_key(|(at_ms, _)| (at_ms - now_ms).abs());
    view.open_slots = open.into_iter().take(OPEN_SLOTS_OFFERED).map(|(_, choice)| choice).collect();
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use il2care_store::record::{Course, Injection};

    /// The view of `course`'s log from the patient's whole log, through the application layer's `course_log`.
    fn injection_log(course: &Course, entries: &[Injection], zone: &str, now_ms: i64) -> InjectionLogView {
        let log = il2care_app::injections::course_log(course, entries, zone).unwrap().expect("a low-dose course");
        super::injection_log(&log, now_ms)
    }

    fn ms(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn course(regimen: &str) -> Course {
        Course {
            id: 2,
            patient_id: 1,
            regimen: regimen.into(),
            rule_set: "label".into(),
            started_at_ms: ms("2026-11-25T13:00:00Z"),
            baseline_weight_kg: None,
            baseline_creatinine_mg_dl: None,
        }
    }

    fn entry(id: i64, status: &str, slot: Option<i64>, at: &str, corrects_id: Option<i64>) -> Injection {
        Injection {
            id,
            patient_id: 1,
            course_id: 2,
            client_id: None,
            status: status.into(),
            slot_number: slot,
            dose_level: Some("1.5-miu".into()),
            at_ms: ms(at),
            site: (status == "given").then(|| "abdomen_left".to_string()),
            skip_reason: (status == "skipped").then(|| "fever".to_string()),
            note: None,
            corrects_id,
            recorded_by: "patient".into(),
        }
    }

    #[test]
    fn slots_show_what_was_logged_in_the_patients_zone_and_only_the_next_three_to_come() {
        let entries = [
            entry(1, "given", Some(1), "2026-11-25T13:10:00Z", None),
            entry(2, "skipped", Some(2), "2026-11-26T12:00:00Z", None),
        ];
        let view = injection_log(&course("saadoun-2011-sc"), &entries, "America/New_York", ms("2026-11-27T18:00:00Z"));
        let states: Vec<ShotState> = view.slots.iter().map(|slot| slot.state).collect();
        use ShotState::*;
        assert_eq!(
            states,
            [Given, Skipped, NotLogged, Upcoming, Upcoming, Upcoming],
            "20 slots, 3 past, 3 shown to come"
        );
        assert_eq!(view.slots[0].planned, "Wed 25 Nov 2026, 08:00 EST");
        let first = view.slots[0].entry.as_ref().unwrap();
        assert_eq!(
            (first.at.as_str(), first.site.as_deref()),
            ("Wed 25 Nov 2026, 08:10 EST", Some("Belly, left side"))
        );
        assert_eq!(view.slots[1].entry.as_ref().unwrap().skip_reason.as_deref(), Some("fever"));
        assert_eq!(view.slots[0].dose, "1.5 million units");
        assert_eq!(view.slots[5].dose, "3 million units", "slot 6 starts the 3 MIU block");
        assert_eq!(view.schedule_note, None);
    }

    #[test]
    fn the_form_offers_open_slots_nearest_to_now_first_and_never_a_logged_one() {
        let entries = [entry(1, "given", Some(1), "2026-11-25T13:10:00Z", None)];
        let view = injection_log(&course("saadoun-2011-sc"), &entries, "UTC", ms("2026-11-28T12:00:00Z"));
        let offered: Vec<&str> = view.open_slots.iter().map(|choice| choice.value.as_str()).collect();
        assert_eq!(
            offered,
            ["4", "3", "2"],
            "slot 4 (1 h away) first; slot 5 is more than 12 h ahead; slot 1 is logged"
        );
        assert_eq!(view.open_slots[0].text, "Shot 4: Sat 28 Nov 2026, 13:00 UTC (1.5 million units)");
    }

    #[test]
    fn a_correction_shows_in_place_of_the_entry_it_corrects() {
        let entries = [
            entry(1, "given", Some(1), "2026-11-25T13:10:00Z", None),
            entry(2, "skipped", Some(1), "2026-11-25T14:00:00Z", Some(1)),
        ];
        let view = injection_log(&course("saadoun-2011-sc"), &entries, "UTC", ms("2026-11-25T20:00:00Z"));
        let shown = view.slots[0].entry.as_ref().unwrap();
        assert_eq!((shown.id, shown.state, shown.corrects_id), (2, ShotState::Skipped, Some(1)));
    }

    #[test]
    fn an_open_ended_course_lists_entries_by_dose_level_and_says_why_there_are_no_slots() {
        let mut by_level = entry(1, "given", None, "2026-11-26T13:00:00Z", None);
        by_level.dose_level = Some("adult-start".into());
        let view = injection_log(&course("whangbo-2019-sc"), &[by_level], "UTC", ms("2026-11-27T00:00:00Z"));
        assert!(view.slots.is_empty() && view.open_slots.is_empty());
        assert!(view.schedule_note.as_deref().unwrap().starts_with("days:"), "{:?}", view.schedule_note);
        assert_eq!(view.unplanned.len(), 1);
        assert_eq!(view.levels[0].value, "adult-start");
        assert!(
            view.levels[0].text.starts_with("0.67 million units per m2 of body surface"),
            "{}",
            view.levels[0].text
        );
    }
}
