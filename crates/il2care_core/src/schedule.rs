//! Dose schedules: the slots of a course in the patient's time zone (DOSING §4 schedule model, §5 regimens).
//!
//! Two kinds of time are kept apart on purpose. Intervals stated in hours (the q8h high-dose slots, q12h or
//! q8h doses within a day) are absolute: 8 hours is 8 hours even across a daylight-saving change. Daily doses
//! fall on calendar days at the same local clock time as the first dose, which is what a patient at home
//! expects. The caller passes the first dose as a `jiff::Zoned` (time zone already resolved); nothing here
//! reads a clock or the time-zone database.

use jiff::{SignedDuration, Span, Zoned};

use crate::Refusal;
use crate::regimens::{Block, Cycles, DoseLevel, Pattern, Regimen};

/// High-dose course facts \[LABEL-2024 T1\]: q8h, cycle 1 days 1-5, cycle 2 days 15-19, 14 doses a cycle.
pub mod high_dose {
    use jiff::SignedDuration;

    /// Time between dose slots.
    pub const INTERVAL: SignedDuration = SignedDuration::from_hours(8);
    /// Length of each cycle's dosing window (days 1-5 and days 15-19).
    pub const WINDOW: SignedDuration = SignedDuration::from_hours(5 * 24);
    /// From the start of cycle 1 to the start of cycle 2 (day 15).
    pub const CYCLE_2_OFFSET: SignedDuration = SignedDuration::from_hours(14 * 24);
    /// Doses a cycle may hold at most; the window has room for one more slot.
    pub const MAX_DOSES_PER_CYCLE: u32 = 14;
    /// Doses a course may hold at most.
    pub const MAX_DOSES_PER_COURSE: u32 = 28;
    /// Slots that fit in a 5-day window at 8-hour intervals.
    pub const SLOTS_PER_WINDOW: u32 = 15;
}

/// Longest open-ended schedule the command line lays out, in days (a year).
pub const MAX_DAYS: u32 = 366;
/// Most cycles a repeating regimen may be laid out for at once.
pub const MAX_CYCLES: u32 = 12;

/// What the schedule is asked for.
#[derive(Clone, Debug)]
pub struct ScheduleRequest<'a> {
    pub regimen: &'static Regimen,
    /// The first dose, in the patient's time zone.
    pub start: Zoned,
    /// The dose level where the regimen leaves it to the prescriber; `None` is the first level.
    pub level: Option<&'a str>,
    /// Days of treatment for regimens whose source states no duration.
    pub days: Option<u32>,
    /// Cycles for regimens that repeat; `None` is the number the source states.
    pub cycles: Option<u32>,
}

/// One dose slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// 1-based, in order of time across the course.
    pub number: u32,
    pub cycle: u32,
    /// Course day (day 1 starts with the first dose).
    pub day: u32,
    pub at: Zoned,
    pub level: &'static DoseLevel,
}

/// The slots of a course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub regimen: &'static Regimen,
    /// The planned dose slots.
    pub slots: Vec<Slot>,
    /// High dose only: the 15th slot of each cycle window, usable only when an earlier slot of that cycle
    /// was held (a held slot does not count toward the 14-dose maximum; DOSING §4).
    pub reserve_slots: Vec<Slot>,
}

/// Lays out the schedule, or refuses the request naming the field at fault.
pub fn schedule(request: &ScheduleRequest<'_>) -> Result<Schedule, Refusal> {
    let regimen = request.regimen;
    let chosen = match request.level {
        None => &regimen.levels[0],
        Some(id) => regimen
            .level(id)
            .ok_or_else(|| Refusal::new("level", format!("`{id}` is not a level of {}", regimen.id)))?,
    };
    match regimen.pattern {
        Pattern::HighDoseCycles => {
            refuse_option(request.days, "days", regimen)?;
            refuse_option(request.cycles, "cycles", regimen)?;
            Ok(high_dose_schedule(regimen, &request.start, chosen))
        }
        Pattern::Blocks { blocks, cycle_days, cycles } => {
            refuse_option(request.days, "days", regimen)?;
            let cycles = match (cycles, request.cycles) {
                (Cycles::Once, None | Some(1)) => 1,
                (Cycles::Once, Some(_)) => {
                    return Err(Refusal::new("cycles", format!("{} does not repeat; it runs once", regimen.id)));
                }
                (Cycles::Repeats { planned }, None) => planned,
                (Cycles::Repeats { .. }, Some(count)) if (1..=MAX_CYCLES).contains(&count) => count,
                (Cycles::Repeats { .. }, Some(count)) => {
                    return Err(Refusal::new("cycles", format!("{count} is outside 1 to {MAX_CYCLES}")));
                }
            };
            let mut slots = Vec::new();
            for cycle in 1..=cycles {
                for block in blocks {
                    let level = block.level.and_then(|id| regimen.level(id)).unwrap_or(chosen);
                    push_block(&mut slots, &request.start, cycle, (cycle - 1) * cycle_days, block, level)?;
                }
            }
            Ok(Schedule { regimen, slots, reserve_slots: Vec::new() })
        }
        Pattern::OpenEnded { doses_per_day, hours_apart } => {
            refuse_option(request.cycles, "cycles", regimen)?;
            let days = request.days.ok_or_else(|| {
                Refusal::new(
                    "days",
                    format!("is required for {}: its source states no duration; give the protocol's", regimen.id),
                )
            })?;
            if !(1..=MAX_DAYS).contains(&days) {
                return Err(Refusal::new("days", format!("{days} is outside 1 to {MAX_DAYS}")));
            }
            let block = Block { first_day: 1, days, every_days: 1, doses_per_day, hours_apart, level: None };
            let mut slots = Vec::new();
            push_block(&mut slots, &request.start, 1, 0, &block, chosen)?;
            Ok(Schedule { regimen, slots, reserve_slots: Vec::new() })
        }
    }
}

fn refuse_option(value: Option<u32>, field: &str, regimen: &Regimen) -> Result<(), Refusal> {
    match value {
        Some(_) => Err(Refusal::new(field, format!("does not apply to {}", regimen.id))),
        None => Ok(()),
    }
}

/// The q8h slots of both cycles: 14 planned and 1 reserve slot per 5-day window.
fn high_dose_schedule(regimen: &'static Regimen, start: &Zoned, level: &'static DoseLevel) -> Schedule {
    let mut slots = Vec::new();
    let mut reserve_slots = Vec::new();
    for cycle in 1..=2u32 {
        let cycle_offset = if cycle == 1 { SignedDuration::ZERO } else { high_dose::CYCLE_2_OFFSET };
        for index in 0..high_dose::SLOTS_PER_WINDOW {
            let offset = cycle_offset + high_dose::INTERVAL * i32::try_from(index).expect("15 slots fit in i32");
            let at = start.timestamp() + offset;
            let day = u32::try_from(offset.as_hours() / 24).expect("offsets are positive and small") + 1;
            let slot = Slot { number: 0, cycle, day, at: at.to_zoned(start.time_zone().clone()), level };
            if index < high_dose::MAX_DOSES_PER_CYCLE {
                slots.push(Slot { number: u32::try_from(slots.len()).expect("28 slots") + 1, ..slot });
            } else {
                reserve_slots.push(slot);
            }
        }
    }
    Schedule { regimen, slots, reserve_slots }
}

/// Appends the slots of one block; `day_offset` shifts the block's course days for later cycles.
fn push_block(
    slots: &mut Vec<Slot>,
    start: &Zoned,
    cycle: u32,
    day_offset: u32,
    block: &Block,
    level: &'static DoseLevel,
) -> Result<(), Refusal> {
    for index in 0..block.days {
        let day = day_offset + block.first_day + index * block.every_days;
        // Calendar days keep the local clock time across daylight-saving changes.
        let day_start = start
            .checked_add(Span::new().days(i64::from(day - 1)))
            .map_err(|error| Refusal::new("start", format!("the schedule runs past the supported dates ({error})")))?;
        for dose in 0..block.doses_per_day {
            let at = day_start.timestamp() + SignedDuration::from_hours(block.hours_apart * i64::from(dose));
            let number = u32::try_from(slots.len()).expect("schedules are bounded") + 1;
            slots.push(Slot { number, cycle, day, at: at.to_zoned(start.time_zone().clone()), level });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::regimens::regimen;

    fn new_york(local: &str) -> Zoned {
        // A fixed copy of the US Eastern rules, so the test needs no time-zone database on the machine.
        let tz = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        local.parse::<jiff::civil::DateTime>().unwrap().to_zoned(tz).unwrap()
    }

    fn request(regimen_id: &str, start: Zoned) -> ScheduleRequest<'static> {
        ScheduleRequest { regimen: regimen(regimen_id).unwrap(), start, level: None, days: None, cycles: None }
    }

    #[test]
    fn high_dose_course_has_14_planned_slots_per_cycle_and_one_reserve() {
        // [LABEL-2024 T1]: q8h, cycle 1 days 1-5, cycle 2 days 15-19, at most 14 doses a cycle, 28 a course.
        let plan = schedule(&request("hd-iv", new_york("2026-06-01T08:00"))).unwrap();
        assert_eq!(plan.slots.len(), 28);
        assert_eq!(plan.slots.iter().filter(|slot| slot.cycle == 1).count(), 14);
        assert_eq!(plan.reserve_slots.len(), 2);
        let cycle_2 = &plan.slots[14];
        assert_eq!((cycle_2.number, cycle_2.cycle, cycle_2.day), (15, 2, 15));
        assert_eq!(cycle_2.at.datetime(), "2026-06-15T08:00".parse().unwrap());
        let last_reserve = &plan.reserve_slots[1];
        // Day 19 runs from 08:00 on June 19 to 08:00 on June 20; its third slot is at midnight.
        assert_eq!((last_reserve.day, last_reserve.at.datetime()), (19, "2026-06-20T00:00".parse().unwrap()));
    }

    #[test]
    fn high_dose_slots_stay_8_hours_apart_across_a_daylight_saving_change() {
        // US clocks spring forward at 02:00 on 2026-03-08: the local times shift, the absolute gap does not.
        let plan = schedule(&request("hd-iv", new_york("2026-03-06T08:00"))).unwrap();
        let cycle_1: Vec<_> = plan.slots.iter().filter(|slot| slot.cycle == 1).collect();
        for pair in cycle_1.windows(2) {
            assert_eq!(pair[1].at.timestamp().duration_since(pair[0].at.timestamp()), SignedDuration::from_hours(8));
        }
        let local_hours: Vec<i8> = cycle_1.iter().map(|slot| slot.at.hour()).collect();
        assert_eq!(
            &local_hours[..9],
            &[8, 16, 0, 8, 16, 0, 9, 17, 1],
            "local clock shifts by one hour after the change"
        );
    }

    #[test]
    fn daily_doses_keep_the_local_clock_time_across_daylight_saving() {
        let plan = schedule(&request("koreth-2016-sc", new_york("2026-03-06T09:00"))).unwrap();
        assert_eq!(plan.slots.len(), 84, "1 MIU/m2/day for 12 weeks [KORETH-2016]");
        assert!(plan.slots.iter().all(|slot| slot.at.hour() == 9));
        let gap = plan.slots[2].at.timestamp().duration_since(plan.slots[1].at.timestamp());
        assert_eq!(gap, SignedDuration::from_hours(23), "the spring-forward day is 23 hours long");
    }

    #[test]
    fn saadoun_regimen_gives_five_days_then_three_courses_starting_weeks_3_6_and_9() {
        // [SAADOUN-2011]
        let plan = schedule(&request("saadoun-2011-sc", new_york("2026-01-05T20:00"))).unwrap();
        let days: Vec<u32> = plan.slots.iter().map(|slot| slot.day).collect();
        assert_eq!(days.len(), 20);
        assert_eq!(&days[..6], &[1, 2, 3, 4, 5, 15]);
        assert_eq!(days[10], 36);
        assert_eq!(days[15], 57);
        assert_eq!(plan.slots[5].level.id, "3-miu");
    }

    #[test]
    fn mcdermott_day_one_has_three_doses_8_hours_apart() {
        // [MCDERMOTT-2005]: q8h x 3 on day 1, then daily 5 days a week x 4 weeks.
        let plan = schedule(&request("mcdermott-2005-sc", new_york("2026-04-01T08:00"))).unwrap();
        let hours: Vec<i8> = plan.slots[..4].iter().map(|slot| slot.at.hour()).collect();
        assert_eq!(hours, [8, 16, 0, 8]);
        assert_eq!(plan.slots.len(), 3 + 4 + 5 + 5 + 5);
    }

    #[test]
    fn he_regimen_runs_three_cycles_of_every_other_day_doses() {
        // [HE-2020]: 1 MIU every other day for 2 weeks, 2 weeks off; 3 cycles.
        let plan = schedule(&request("he-2020-sc", new_york("2026-02-02T10:00"))).unwrap();
        let days: Vec<u32> = plan.slots.iter().map(|slot| slot.day).collect();
        assert_eq!(days.len(), 21);
        assert_eq!(&days[..8], &[1, 3, 5, 7, 9, 11, 13, 29]);
        assert_eq!(plan.slots[20].cycle, 3);
    }

    #[test]
    fn open_ended_regimens_need_the_number_of_days() {
        let refused = schedule(&request("kirchner-1998-sc-split", new_york("2026-02-02T08:00"))).unwrap_err();
        assert_eq!(refused.field, "days");
        let split =
            ScheduleRequest { days: Some(3), ..request("kirchner-1998-sc-split", new_york("2026-02-02T08:00")) };
        let plan = schedule(&split).unwrap();
        let hours: Vec<i8> = plan.slots.iter().map(|slot| slot.at.hour()).collect();
        assert_eq!(hours, [8, 20, 8, 20, 8, 20]);
        let too_long = ScheduleRequest { days: Some(MAX_DAYS + 1), ..split };
        assert_eq!(schedule(&too_long).unwrap_err().field, "days");
    }

    #[test]
    fn options_that_do_not_apply_are_refused_not_ignored() {
        let hd = ScheduleRequest { days: Some(5), ..request("hd-iv", new_york("2026-02-02T08:00")) };
        assert_eq!(schedule(&hd).unwrap_err().field, "days");
        let once = ScheduleRequest { cycles: Some(2), ..request("saadoun-2011-sc", new_york("2026-02-02T08:00")) };
        assert_eq!(schedule(&once).unwrap_err().field, "cycles");
        let level =
            ScheduleRequest { level: Some("9-miu-daily"), ..request("kim-2021-sc", new_york("2026-02-02T08:00")) };
        assert_eq!(schedule(&level).unwrap_err().field, "level");
    }
}
