//! `il2care schedule`: the dose slots of a course in the patient's time zone.
//!
//! Resolving the time zone reads the system's time-zone database: that happens here, at the edge, and the
//! core receives a resolved `Zoned`.

use il2care_core::Refusal;
use il2care_core::dosing::{DoseRequest, calculate};
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_core::units::{Centimetres, Kilograms, Measure};
use il2care_wire::dosing::{local_time, schedule_json, zone_name};
use il2care_wire::json::quantity_json;
use jiff::Zoned;
use jiff::fmt::temporal::Pieces;
use jiff::tz::TimeZone;

use crate::Outcome;
use crate::input::{optional_measure, required_regimen};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Regimen id, e.g. hd-iv, koreth-2016-sc.
    #[arg(long)]
    regimen: Option<String>,
    /// The first dose: RFC 3339 with offset (2026-11-25T08:00:00-05:00), or a local time with --tz.
    #[arg(long)]
    start: Option<String>,
    /// The patient's time zone (IANA name such as America/New_York); default: the start's fixed offset.
    #[arg(long)]
    tz: Option<String>,
    /// Dose level where the protocol chooses one.
    #[arg(long)]
    level: Option<String>,
    /// Days of treatment, for regimens whose source states no duration.
    #[arg(long)]
    days: Option<u32>,
    /// Cycles, for regimens that repeat.
    #[arg(long)]
    cycles: Option<u32>,
    /// Dosing weight (80kg), to show the dose of each slot.
    #[arg(long, allow_hyphen_values = true)]
    weight: Option<String>,
    /// Height (170cm), with weight, for m2-based doses.
    #[arg(long, allow_hyphen_values = true)]
    height: Option<String>,
    /// Print JSON instead of the summary.
    #[arg(long)]
    json: bool,
}

/// The first dose in the patient's time zone.
fn start(text: &str, tz: Option<&str>) -> Result<Zoned, Refusal> {
    let zone = tz
        .map(|name| {
            TimeZone::get(name).map_err(|_| {
                Refusal::new("tz", format!("unknown time zone `{name}`; use an IANA name such as America/New_York"))
            })
        })
        .transpose()?;
    let bad_start = || Refusal::new("start", format!("`{text}` is not a time such as 2026-11-25T08:00:00-05:00"));
    let pieces = Pieces::parse(text).map_err(|_| bad_start())?;
    match (pieces.to_numeric_offset(), zone) {
        (Some(offset), zone) => {
            let instant: jiff::Timestamp = text.parse().map_err(|_| bad_start())?;
            Ok(instant.to_zoned(zone.unwrap_or_else(|| TimeZone::fixed(offset))))
        }
        (None, Some(zone)) => {
            let local: jiff::civil::DateTime = text.parse().map_err(|_| bad_start())?;
            local.to_zoned(zone).map_err(|error| Refusal::new("start", format!("{error}")))
        }
        (None, None) => Err(Refusal::new("start", "needs an offset (2026-11-25T08:00:00-05:00) or --tz")),
    }
}

pub fn run(args: Args) -> Outcome {
    let regimen = required_regimen(args.regimen.as_deref())?;
    let start_text =
        args.start.as_deref().ok_or_else(|| Refusal::new("start", "is required: the time of the first dose"))?;
    let first = start(start_text, args.tz.as_deref())?;
    let weight = optional_measure::<Kilograms>(args.weight.as_deref(), "weight")?;
    let height = optional_measure::<Centimetres>(args.height.as_deref(), "height")?;
    let plan = schedule(&ScheduleRequest {
        regimen,
        start: first,
        level: args.level.as_deref(),
        days: args.days,
        cycles: args.cycles,
    })?;
    // Doses per level, when the measurements the regimen needs were given (validated like `il2care dose`).
    let mut doses = Vec::new();
    if weight.is_some()
        || height.is_some()
        || regimen.levels.iter().all(|l| matches!(l.amount, il2care_core::regimens::Amount::Flat(_)))
    {
        for level in regimen.levels {
            let calc = calculate(DoseRequest { regimen, level: Some(level.id), weight, height, prepared_at: None })?;
            doses.push((level.id, calc.dose));
        }
    }
    let dose_of =
        |level: &str| doses.iter().find(|(id, _)| *id == level).map(|(_, dose)| quantity_json(dose.quantity()));
    if args.json {
        let out = schedule_json(&plan, &dose_of);
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON values always serialize"));
        return Ok(());
    }
    let mut text = format!("{}  [{}]\n  {}\n", regimen.title, regimen.id, regimen.schedule_text);
    if let Some(first) = plan.slots.first() {
        text += &format!("  times in {}\n", zone_name(&first.at));
    }
    for slot in &plan.slots {
        let dose = dose_of(slot.level.id).map(|d| format!("  {} [iU]", d["value"])).unwrap_or_default();
        text += &format!(
            "  #{:<3} cycle {} day {:<3} {}  {}{}\n",
            slot.number,
            slot.cycle,
            slot.day,
            local_time(&slot.at),
            slot.at.strftime("%a %H:%M %Z"),
            dose
        );
    }
    for slot in &plan.reserve_slots {
        text += &format!(
            "  reserve cycle {} day {:<3} {}  (only if an earlier slot of this cycle was held)\n",
            slot.cycle,
            slot.day,
            local_time(&slot.at)
        );
    }
    text += "Decision support: the treating clinician decides.\n";
    print!("{text}");
    Ok(())
}
