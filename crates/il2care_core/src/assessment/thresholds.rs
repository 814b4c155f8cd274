//! The reviewed threshold tables: one per rule set, plus the schedule limits and the maximum ages of inputs.
//! Every number a rule compares against lives here, with its source, so that a site changes a threshold in
//! one place. Site overrides are validated here (a site may shorten maximum ages, never lengthen them).
//! No evaluation happens here.

use jiff::SignedDuration;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::inputs::{ALL_OBSERVATION_CODES, Freshness, ObservationCode};
use crate::Refusal;
use crate::units::{
    Bilirubin, CellCount, Creatinine, LitresPerMinute, MicrogramsPerKilogramPerMinute, Millilitres, MillilitresPerHour,
    MillimetresMercury, MillimolesPerLitre, PerMinute, Percent,
};

/// Thresholds of the `label` rule set (ASSESSMENT §3). Sources: LABEL-2024 §2.4 T2; LABEL-OLD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelThresholds {
    /// Hold when systolic < this (LABEL-2024 §2.4 T2).
    pub systolic_hold_below: MillimetresMercury,
    /// Hold when SpO2 < this (LABEL-2024 §2.4 T2).
    pub spo2_hold_below: Percent,
    /// A SpO2 hold resumes only when SpO2 > this (LABEL-2024 §2.4 T2).
    pub spo2_resume_above: Percent,
    /// Hold when creatinine > this (LABEL-OLD).
    pub creatinine_hold_above: Creatinine,
    /// Hold when creatinine >= this with volume overload, acidosis or hyperkalemia (LABEL-OLD).
    pub creatinine_complicated_at_least: Creatinine,
    /// The renal holds resume when creatinine < this (LABEL-OLD).
    pub creatinine_resume_below: Creatinine,
    /// Oliguria: every interval of the window has a rate < this (LABEL-OLD).
    pub oliguria_rate_below: MillilitresPerHour,
    /// Oliguria window length, ending at the decision time (ASSESSMENT §9.12).
    pub oliguria_window: SignedDuration,
    /// Oliguria resumes when the rate over the latest window is > this (LABEL-OLD; PRODUCT).
    pub oliguria_resume_rate_above: MillilitresPerHour,
    /// The latest window for the resume rate (PRODUCT).
    pub oliguria_resume_window: SignedDuration,
    /// Or when creatinine has fallen by more than this from its peak (LABEL-OLD).
    pub oliguria_resume_creatinine_fall: Creatinine,
    /// Stop permanently at a run of this many beats of VT or more (LABEL-2024 §2.4 T2).
    pub ventricular_tachycardia_beats_at_least: u32,
    /// Stop permanently when intubated longer than this (LABEL-2024 §2.4 T2).
    pub intubation_hours_above: Decimal,
    /// Stop permanently when coma lasts longer than this (LABEL-2024 §2.4 T2).
    pub coma_hours_above: Decimal,
    /// Stop permanently when toxic psychosis lasts longer than this (LABEL-2024 §2.4 T2).
    pub toxic_psychosis_hours_above: Decimal,
    /// Stop permanently when on dialysis longer than this (LABEL-OLD Contraindications).
    pub dialysis_hours_above: Decimal,
}

impl Default for LabelThresholds {
    fn default() -> LabelThresholds {
        LabelThresholds {
            systolic_hold_below: MillimetresMercury::from_reviewed(dec!(90)),
            spo2_hold_below: Percent::from_reviewed(dec!(90)),
            spo2_resume_above: Percent::from_reviewed(dec!(90)),
            creatinine_hold_above: Creatinine::from_reviewed(dec!(4.5)),
            creatinine_complicated_at_least: Creatinine::from_reviewed(dec!(4.0)),
            creatinine_resume_below: Creatinine::from_reviewed(dec!(4.0)),
            oliguria_rate_below: MillilitresPerHour::from_reviewed(dec!(10)),
            oliguria_window: SignedDuration::from_hours(16),
            oliguria_resume_rate_above: MillilitresPerHour::from_reviewed(dec!(10)),
            oliguria_resume_window: SignedDuration::from_hours(4),
            oliguria_resume_creatinine_fall: Creatinine::from_reviewed(dec!(1.5)),
            ventricular_tachycardia_beats_at_least: 5,
            intubation_hours_above: dec!(72),
            coma_hours_above: dec!(48),
            toxic_psychosis_hours_above: dec!(48),
            dialysis_hours_above: dec!(72),
        }
    }
}

/// Thresholds of the `consensus` rule set (ASSESSMENT §4). Source: DUTCHER-2014 T3 unless noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsensusThresholds {
    /// Hold when heart rate >= this (and <= the stop limit) (DUTCHER-2014 T3: 100; SPRINGERPLUS-2015: 120).
    pub tachycardia_hold_min: PerMinute,
    /// Stop when heart rate > this.
    pub tachycardia_stop_above: PerMinute,
    /// The target systolic pressure when the patient has none set (TIL-2024 T2; PRODUCT: 90).
    pub default_target_systolic_bp: MillimetresMercury,
    /// Diarrhea hold at >= this per completed 8-h shift; stop when two consecutive shifts reach it.
    pub diarrhea_per_shift_at_least: Millilitres,
    /// Hold when total bilirubin > this.
    pub bilirubin_hold_above: Bilirubin,
    /// Phenylephrine highest rate since the previous slot: hold at >= this, below the stop limit.
    pub phenylephrine_interval_hold_at_least: MicrogramsPerKilogramPerMinute,
    /// Phenylephrine highest rate since the previous slot: stop at >= this.
    pub phenylephrine_interval_stop_at_least: MicrogramsPerKilogramPerMinute,
    /// Phenylephrine at dose time: hold when > this (and <= the stop limit) (DUTCHER-2014 T3; TIL-2024 T2).
    pub phenylephrine_now_hold_above: MicrogramsPerKilogramPerMinute,
    /// Phenylephrine at dose time: stop when > this.
    pub phenylephrine_now_stop_above: MicrogramsPerKilogramPerMinute,
    /// The window for the highest phenylephrine rate (ASSESSMENT §9.9).
    pub phenylephrine_interval: SignedDuration,
    /// Platelets hold range low end (inclusive); below it the course stops.
    pub platelets_hold_at_least: CellCount,
    /// Platelets hold range high end (inclusive); the hold resumes above it.
    pub platelets_hold_at_most: CellCount,
    /// Weight gain over baseline, as a fraction: hold when > this (DUTCHER-2014 T3; SPRINGERPLUS-2015).
    pub weight_gain_fraction_above: Decimal,
    /// Nasal-cannula flow hold range, inclusive.
    pub oxygen_hold_at_least: LitresPerMinute,
    pub oxygen_hold_at_most: LitresPerMinute,
    /// Nasal-cannula flow stop: > this.
    pub oxygen_stop_above: LitresPerMinute,
    /// Face-mask FiO2 stop: >= this.
    pub fio2_stop_at_least: Percent,
    /// Urine per completed 8-h shift: hold range, inclusive; stop below the low end.
    pub urine_shift_hold_at_least: Millilitres,
    pub urine_shift_hold_at_most: Millilitres,
    /// Creatinine: hold at >= this (below the stop limit) (DUTCHER-2014 T3; TIL-2024 T2).
    pub creatinine_hold_at_least: Creatinine,
    /// Creatinine: stop at >= this.
    pub creatinine_stop_at_least: Creatinine,
    /// Bicarbonate: stop at <= this.
    pub bicarbonate_stop_at_most: MillimolesPerLitre,
    /// Mental-status change lasting longer than this stops the course.
    pub mental_status_hours_above: Decimal,
    /// This many distinct relative criteria at once stop the course (SPRINGERPLUS-2015 T1 footnote).
    pub relative_criteria_stop_at: u32,
    /// A hold when this many earlier slots of the cycle were held stops the course (SPRINGERPLUS-2015 T1).
    pub earlier_holds_stop_at: u32,
}

impl Default for ConsensusThresholds {
    fn default() -> ConsensusThresholds {
        ConsensusThresholds {
            tachycardia_hold_min: PerMinute::from_reviewed(dec!(100)),
            tachycardia_stop_above: PerMinute::from_reviewed(dec!(130)),
            default_target_systolic_bp: MillimetresMercury::from_reviewed(dec!(90)),
            diarrhea_per_shift_at_least: Millilitres::from_reviewed(dec!(1000)),
            bilirubin_hold_above: Bilirubin::from_reviewed(dec!(7)),
            phenylephrine_interval_hold_at_least: MicrogramsPerKilogramPerMinute::from_reviewed(dec!(1.0)),
            phenylephrine_interval_stop_at_least: MicrogramsPerKilogramPerMinute::from_reviewed(dec!(1.5)),
            phenylephrine_now_hold_above: MicrogramsPerKilogramPerMinute::from_reviewed(dec!(0.5)),
            phenylephrine_now_stop_above: MicrogramsPerKilogramPerMinute::from_reviewed(dec!(0.8)),
            phenylephrine_interval: SignedDuration::from_hours(8),
            platelets_hold_at_least: CellCount::from_reviewed(dec!(30)),
            platelets_hold_at_most: CellCount::from_reviewed(dec!(50)),
            weight_gain_fraction_above: dec!(0.15),
            oxygen_hold_at_least: LitresPerMinute::from_reviewed(dec!(3)),
            oxygen_hold_at_most: LitresPerMinute::from_reviewed(dec!(4)),
            oxygen_stop_above: LitresPerMinute::from_reviewed(dec!(4)),
            fio2_stop_at_least: Percent::from_reviewed(dec!(40)),
            urine_shift_hold_at_least: Millilitres::from_reviewed(dec!(80)),
            urine_shift_hold_at_most: Millilitres::from_reviewed(dec!(160)),
            creatinine_hold_at_least: Creatinine::from_reviewed(dec!(2.5)),
            creatinine_stop_at_least: Creatinine::from_reviewed(dec!(3.0)),
            bicarbonate_stop_at_most: MillimolesPerLitre::from_reviewed(dec!(18)),
            mental_status_hours_above: dec!(2),
            relative_criteria_stop_at: 3,
            earlier_holds_stop_at: 2,
        }
    }
}

/// Schedule and course limits (ASSESSMENT §6, DOSING §4) and output-window rules (ASSESSMENT §2.1, §9.10-11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduleLimits {
    /// At most this many doses per cycle (LABEL-2024 T1).
    pub doses_per_cycle: u32,
    /// At most this many doses per course (LABEL-2024 T1).
    pub doses_per_course: u32,
    /// Cycle windows in cycle days (inclusive) (LABEL-2024 T1): cycle 1 days 1-5, cycle 2 days 15-19.
    pub cycle_one_days: (i64, i64),
    pub cycle_two_days: (i64, i64),
    /// A dose may not start sooner than this after the previous dose started (PRODUCT; DOSING §4).
    pub minimum_interval: SignedDuration,
    /// The spacing of dose slots (q8h) (LABEL-2024 T1), used to number slots.
    pub slot_interval: SignedDuration,
    /// A prepared bag must finish within this of preparation (HANDBOOK).
    pub preparation_stability: SignedDuration,
    /// The infusion time assumed from the decision time (ASSESSMENT §9.8) (LABEL-2024 §2.2).
    pub infusion: SignedDuration,
    /// A shift is this long (ASSESSMENT §2.1).
    pub shift: SignedDuration,
    /// Gaps between recorded output intervals up to this are allowed (ASSESSMENT §5.3, §9.10).
    pub largest_gap: SignedDuration,
}

impl Default for ScheduleLimits {
    fn default() -> ScheduleLimits {
        ScheduleLimits {
            doses_per_cycle: 14,
            doses_per_course: 28,
            cycle_one_days: (1, 5),
            cycle_two_days: (15, 19),
            minimum_interval: SignedDuration::from_mins(7 * 60 + 30),
            slot_interval: SignedDuration::from_hours(8),
            preparation_stability: SignedDuration::from_hours(48),
            infusion: SignedDuration::from_mins(15),
            shift: SignedDuration::from_hours(8),
            largest_gap: SignedDuration::from_hours(1),
        }
    }
}

/// The number of observation codes (the size of the per-code age table).
const OBSERVATION_COUNT: usize = ALL_OBSERVATION_CODES.len();

/// The maximum age of each input at decision time (ASSESSMENT §2.1, §5.1-2) (PRODUCT; DUTCHER-2014 T2).
/// Inclusive: a value exactly as old as its maximum age is used (ASSESSMENT §9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxAges {
    observations: [SignedDuration; OBSERVATION_COUNT],
    /// Negative answers of findings must be at most this old.
    pub findings: SignedDuration,
}

impl Default for MaxAges {
    fn default() -> MaxAges {
        let mut observations = [SignedDuration::ZERO; OBSERVATION_COUNT];
        for code in ALL_OBSERVATION_CODES {
            observations[code as usize] = match code.freshness() {
                Freshness::Vital => SignedDuration::from_hours(4),
                Freshness::Daily => SignedDuration::from_hours(24),
                // Windows are judged by coverage and charted rates are current; the entry is unused.
                Freshness::Window | Freshness::Charted => SignedDuration::ZERO,
            };
        }
        MaxAges { observations, findings: SignedDuration::from_hours(4) }
    }
}

impl MaxAges {
    /// The maximum age of an observation, or `None` for windows and charted rates (not judged by age).
    pub fn observation(&self, code: ObservationCode) -> Option<SignedDuration> {
        match code.freshness() {
            Freshness::Vital | Freshness::Daily => Some(self.observations[code as usize]),
            Freshness::Window | Freshness::Charted => None,
        }
    }
}

/// A site's or protocol's changes to the defaults, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteOverrides {
    /// The consensus tachycardia hold threshold (100 /min by default; 120 /min in SPRINGERPLUS-2015).
    pub tachycardia_hold_min: Option<PerMinute>,
    /// Shorter maximum ages, by input id (`creatinine`) or `findings`.
    pub max_ages: Vec<(String, SignedDuration)>,
}

/// Every threshold and limit one evaluation uses, validated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parameters {
    pub label: LabelThresholds,
    pub consensus: ConsensusThresholds,
    pub limits: ScheduleLimits,
    pub max_ages: MaxAges,
    /// Whether a site override changed anything (the result then names a derived rule-set version).
    pub site_modified: bool,
}

impl Parameters {
    /// The defaults with a site's overrides applied, refused with the field named when an override is out of
    /// bounds: the tachycardia threshold must lie in 60-130 /min (at most the stop limit), and a maximum age
    /// may only be shortened (to more than 0).
    pub fn with_overrides(overrides: &SiteOverrides) -> Result<Parameters, Refusal> {
        let mut parameters = Parameters::default();
        if let Some(hold_min) = overrides.tachycardia_hold_min {
            let low = dec!(60);
            let high = parameters.consensus.tachycardia_stop_above.value();
            if hold_min.value() < low || hold_min.value() > high {
                return Err(Refusal::new(
                    "parameters.tachycardia_hold_min",
                    format!("must lie between {low} and {high} /min (got {hold_min})"),
                ));
            }
            parameters.site_modified |= hold_min != parameters.consensus.tachycardia_hold_min;
            parameters.consensus.tachycardia_hold_min = hold_min;
        }
        for (input, age) in &overrides.max_ages {
            let field = format!("parameters.max_age_hours.{input}");
            let default = if input == "findings" {
                Some(parameters.max_ages.findings)
            } else {
                ObservationCode::from_id(input).and_then(|code| parameters.max_ages.observation(code))
            };
            let Some(default) = default else {
                return Err(Refusal::new(field, "no maximum age of this name can be set"));
            };
            if *age <= SignedDuration::ZERO || *age > default {
                return Err(Refusal::new(
                    field,
                    format!(
                        "a site may only shorten a maximum age: must be more than 0 and at most {} h",
                        hours(default)
                    ),
                ));
            }
            parameters.site_modified |= *age != default;
            match ObservationCode::from_id(input) {
                Some(code) => parameters.max_ages.observations[code as usize] = *age,
                None => parameters.max_ages.findings = *age,
            }
        }
        Ok(parameters)
    }

    /// The rule-set version the result records: the default version, or a derived one when a site changed it.
    pub fn version(&self, rule_set: super::RuleSet) -> &'static str {
        match (rule_set, self.site_modified) {
            (_, false) => rule_set.version(),
            (super::RuleSet::Label, true) => "label-2026.1+site",
            (super::RuleSet::Consensus, true) => "consensus-2026.1+site",
        }
    }
}

/// A duration in hours, exactly (for messages and results).
pub fn hours(duration: SignedDuration) -> Decimal {
    Decimal::from(duration.as_secs()) / dec!(3600)
}

/// Reviewed constants: the typed quantities of the tables are built from literals that are known to be valid.
trait FromReviewed: Sized {
    fn from_reviewed(value: Decimal) -> Self;
}

impl<M: crate::units::Measure> FromReviewed for M {
    fn from_reviewed(value: Decimal) -> M {
        M::new(value).expect("a reviewed threshold literal is a valid non-negative quantity")
    }
}
