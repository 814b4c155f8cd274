//! The worklist's time since the last vital signs (issue 14, item 7): for each high-dose patient, the age of
//! the oldest of the latest systolic pressure, heart rate and SpO2 (the bedside vital signs of ASSESSMENT §2.1,
//! each used for a decision only up to its maximum age), marked when older than the rules accept, and named
//! when one of them was never recorded. Missing is never shown as recent. Pure functions over the store's
//! one-statement read (`il2care_store::ward`).

use std::collections::HashMap;

use il2care_app::courses::CourseVitals;
use il2care_core::assessment::inputs::ObservationCode;
use il2care_core::assessment::thresholds::Parameters;

use super::view::duration_text;
use super::words::code_text;

/// The vital signs whose age the worklist shows (ASSESSMENT §2.1: read by the rules, 4 h maximum age).
pub const VITAL_SIGNS: [ObservationCode; 3] =
    [ObservationCode::SystolicBp, ObservationCode::HeartRate, ObservationCode::Spo2];

/// The ids of [`VITAL_SIGNS`], for the store's query.
pub fn vital_sign_ids() -> Vec<&'static str> {
    VITAL_SIGNS.iter().map(|code| code.id()).collect()
}

/// The oldest a vital sign may be and still count for a decision (the strictest of their maximum ages), ms.
pub fn max_age_ms(parameters: &Parameters) -> i64 {
    VITAL_SIGNS
        .iter()
        .filter_map(|code| parameters.max_ages.observation(*code))
        .map(|age| age.as_millis() as i64)
        .min()
        .unwrap_or(4 * 3_600_000)
}

/// What a worklist row says about the patient's vital signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VitalsText {
    pub text: String,
    /// Too old for a decision, or missing.
    pub stale: bool,
}

/// The vital-signs line from the latest time of each of [`VITAL_SIGNS`] (in that order). The maximum age is
/// inclusive, as for decisions: exactly 4 h old still counts.
pub fn vitals_text(latest_ms: &[Option<i64>], now_ms: i64, max_age_ms: i64) -> VitalsText {
    let recorded: Vec<i64> = latest_ms.iter().flatten().copied().collect();
    let Some(oldest) = recorded.iter().copied().min() else {
        return VitalsText { text: "no vital signs recorded".into(), stale: true };
    };
    let age = |at: i64| duration_text((now_ms - at).max(0).div_euclid(60_000));
    let missing: Vec<String> = VITAL_SIGNS
        .iter()
        .zip(latest_ms)
        .filter(|(_, latest)| latest.is_none())
        .map(|(code, _)| code_text(code.id()))
        .collect();
    if !missing.is_empty() {
        let newest = recorded.iter().copied().max().unwrap_or(oldest);
        return VitalsText {
            text: format!("no {} recorded; other vital signs {} ago", missing.join(" or "), age(newest)),
            stale: true,
        };
    }
    let stale = now_ms - oldest > max_age_ms;
    let text = format!("vital signs {} ago{}", age(oldest), if stale { " (too old for a decision)" } else { "" });
    VitalsText { text, stale }
}

/// What the worklist shows beside a high-dose patient: the vital signs line and whether the latest dose of
/// the patient's latest course was given as an override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientWard {
    pub vitals: VitalsText,
    pub last_dose_override: bool,
}

/// Per patient (their latest high-dose course), from the store's rows.
pub fn by_patient(rows: &[CourseVitals], now_ms: i64, max_age_ms: i64) -> HashMap<i64, PatientWard> {
    let mut latest: HashMap<i64, &CourseVitals> = HashMap::new();
    for row in rows {
        let entry = latest.entry(row.patient_id).or_insert(row);
        if (row.started_at_ms, row.course_id) > (entry.started_at_ms, entry.course_id) {
            *entry = row;
        }
    }
    latest
        .into_iter()
        .map(|(patient_id, row)| {
            let ward = PatientWard {
                vitals: vitals_text(&row.latest_ms, now_ms, max_age_ms),
                last_dose_override: row.last_dose_override,
            };
            (patient_id, ward)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const LIMIT: i64 = 240 * MINUTE;

    #[test]
    fn the_age_is_the_oldest_of_the_latest_vital_signs_stale_after_the_maximum_age() {
        let now = 1_000 * MINUTE;
        let at = |minutes_ago: i64| Some(now - minutes_ago * MINUTE);
        let check = |latest: [Option<i64>; 3], text: &str, stale: bool| {
            assert_eq!(vitals_text(&latest, now, LIMIT), VitalsText { text: text.into(), stale }, "{latest:?}");
        };
        check([at(190), at(20), at(5)], "vital signs 3 h 10 min ago", false);
        check([at(239), at(239), at(239)], "vital signs 3 h 59 min ago", false);
        check([at(240), at(1), at(1)], "vital signs 4 h ago", false);
        check([at(241), at(1), at(1)], "vital signs 4 h 1 min ago (too old for a decision)", true);
        check([None, None, None], "no vital signs recorded", true);
        check([at(10), at(10), None], "no oxygen saturation (SpO2) recorded; other vital signs 10 min ago", true);
    }

    #[test]
    fn the_vital_signs_and_their_maximum_age_come_from_the_core() {
        assert_eq!(vital_sign_ids(), ["systolic_bp", "heart_rate", "spo2"]);
        assert_eq!(max_age_ms(&Parameters::default()), LIMIT);
    }

    #[test]
    fn a_patient_is_shown_with_the_latest_course() {
        let row = |course_id, started_at_ms, latest: Option<i64>, last_dose_override| CourseVitals {
            course_id,
            patient_id: 7,
            started_at_ms,
            latest_ms: vec![latest, latest, latest],
            last_dose_override,
        };
        let now = 1_000 * MINUTE;
        let rows = [row(2, 500, Some(now - MINUTE), true), row(1, 100, None, false)];
        let shown = by_patient(&rows, now, LIMIT);
        assert_eq!(shown.len(), 1);
        assert!(shown[&7].last_dose_override);
        assert_eq!(shown[&7].vitals.text, "vital signs 1 min ago");
    }
}
