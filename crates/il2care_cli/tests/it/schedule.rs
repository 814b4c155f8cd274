//! `il2care schedule`: slots in the patient's time zone, across daylight-saving changes.

use jiff::Timestamp;

use crate::support::il2care;

#[test]
fn hd_iv_slots_are_8_hours_apart_in_absolute_time_across_spring_forward() {
    let run = il2care(
        &[
            "schedule",
            "--regimen",
            "hd-iv",
            "--start",
            "2026-03-06T08:00:00-05:00",
            "--tz",
            "America/New_York",
            "--json",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    let slots = out["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 28);
    let times: Vec<Timestamp> = slots.iter().map(|slot| slot["at"].as_str().unwrap().parse().unwrap()).collect();
    for pair in times[..14].windows(2) {
        assert_eq!(pair[1].duration_since(pair[0]).as_hours(), 8);
    }
    assert_eq!(slots[5]["at"], "2026-03-08T00:00:00-05:00");
    assert_eq!(slots[6]["at"], "2026-03-08T09:00:00-04:00", "the local clock moves after the change");
    assert_eq!(slots[14]["cycle"], 2);
    assert_eq!(slots[14]["day"], 15);
    assert_eq!(out["reserve_slots"].as_array().unwrap().len(), 2);
}

#[test]
fn flat_dose_schedule_shows_the_dose_of_each_slot() {
    let run =
        il2care(&["schedule", "--regimen", "saadoun-2011-sc", "--start", "2026-11-02T20:00:00+01:00", "--json"], None);
    let out = run.json();
    let slots = out["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 20);
    assert_eq!(slots[0]["dose"]["value"], 1500000);
    assert_eq!(slots[5]["dose"]["value"], 3000000);
    assert_eq!(slots[5]["day"], 15);
}

#[test]
fn refused_schedules_exit_2_naming_the_field() {
    for (args, field) in [
        (vec!["schedule", "--regimen", "hd-iv"], "start"),
        (vec!["schedule", "--regimen", "hd-iv", "--start", "2026-03-06T08:00"], "start"),
        (vec!["schedule", "--regimen", "hd-iv", "--start", "2026-03-06T08:00", "--tz", "Mars/Olympus"], "tz"),
        (vec!["schedule", "--regimen", "whangbo-2019-sc", "--start", "2026-03-06T08:00:00Z"], "days"),
        (vec!["schedule", "--start", "2026-03-06T08:00:00Z"], "regimen"),
    ] {
        let run = il2care(&args, None);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(&format!("refused: {field}: ")), "{args:?}: {}", run.stderr);
    }
}
