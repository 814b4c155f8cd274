//! The rule catalogue for clinicians: each rule's threshold in words (also used in results) and the
//! Markdown document `docs/rules.md`, generated from the rule enum and the threshold tables so it cannot
//! drift from the code. Pure text building; the test that compares it with the committed file is the only
//! place that touches the file system.

use std::fmt::Write as _;

use super::inputs::ALL_OBSERVATION_CODES;
use super::thresholds::{Parameters, hours};
use super::{Rule, RuleSet};
use crate::units::MillimetresMercury;

/// The firing condition of a rule with the thresholds in force, e.g. `systolic_bp < 90 mm[Hg]`.
/// `target_systolic_bp` is the patient's target when known (consensus set).
pub fn threshold(rule: Rule, parameters: &Parameters, target_systolic_bp: Option<MillimetresMercury>) -> String {
    let label = &parameters.label;
    let consensus = &parameters.consensus;
    let limits = &parameters.limits;
    let target = match target_systolic_bp {
        Some(target) => target.to_string(),
        None => format!("target_sbp (the patient's; default {})", consensus.default_target_systolic_bp),
    };
    let window_hours = hours(label.oliguria_window).normalize();
    match rule {
        Rule::LabelHoldAtrialFibrillation | Rule::ConsensusStopAtrialFibrillation => {
            "atrial_fibrillation present".into()
        }
        Rule::LabelHoldSvt | Rule::ConsensusStopSvt => "supraventricular_tachycardia present".into(),
        Rule::LabelHoldBradycardia => "bradycardia_requiring_treatment present".into(),
        Rule::LabelHoldSbpBelow90 => format!("systolic_bp < {}", label.systolic_hold_below),
        Rule::LabelHoldSpo2Below90 => format!("spo2 < {}", label.spo2_hold_below),
        Rule::LabelHoldMentalStatusChange => {
            "mental_status_change >= mild, or coma or toxic_psychosis > 0 h, or hallucinations present".into()
        }
        Rule::LabelHoldLethargySomnolence => "lethargy_somnolence >= moderate".into(),
        Rule::LabelHoldFobtPositive => "latest fobt_result = positive".into(),
        Rule::LabelHoldSepsisUnstable => "sepsis_unstable present".into(),
        Rule::LabelHoldCreatinineAbove4_5 => format!("creatinine > {}", label.creatinine_hold_above),
        Rule::LabelHoldCreatinine4Complicated => format!(
            "creatinine >= {} and any of severe_volume_overload, acidosis, hyperkalemia present",
            label.creatinine_complicated_at_least
        ),
        Rule::LabelHoldOliguria => format!(
            "every urine_output interval overlapping the last {window_hours} h < {} (window covered) and latest \
             creatinine > lowest of the previous 24 h",
            label.oliguria_rate_below
        ),
        Rule::LabelHoldBullousDermatitis => "bullous_dermatitis present".into(),
        Rule::LabelStopCourseHepaticFailure => "hepatic_failure_signs present".into(),
        Rule::LabelStopVtSustained => {
            format!("ventricular_tachycardia >= {} beats", label.ventricular_tachycardia_beats_at_least)
        }
        Rule::LabelStopArrhythmiaUncontrolled => "arrhythmia_uncontrolled present".into(),
        Rule::LabelStopEcgIschemia | Rule::ConsensusStopEcgIschemia => "ecg_ischemia_changes present".into(),
        Rule::LabelStopChestPainAngina => "chest_pain_angina present with ecg_ischemia_changes present".into(),
        Rule::LabelStopCardiacTamponade => "cardiac_tamponade present".into(),
        Rule::LabelStopIntubationOver72h => format!("intubated > {} h", label.intubation_hours_above),
        Rule::LabelStopComaOver48h => format!("coma > {} h", label.coma_hours_above),
        Rule::LabelStopToxicPsychosisOver48h => format!("toxic_psychosis > {} h", label.toxic_psychosis_hours_above),
        Rule::LabelStopSeizuresRepetitive => "seizures_repetitive present".into(),
        Rule::LabelStopBowelIschemiaPerforation => "bowel_ischemia_perforation present".into(),
        Rule::LabelStopGiBleedingSurgery => "gi_bleeding_requiring_surgery present".into(),
        Rule::LabelStopDialysisOver72h => format!("dialysis > {} h", label.dialysis_hours_above),
        Rule::ProductHoldIntubated => format!("0 h < intubated <= {} h", label.intubation_hours_above),
        Rule::ProductHoldOtherVasopressor => "vasopressor_other present (running now)".into(),
        Rule::ProductHoldUnreadFinding => {
            "a finding that no rule of the active set reads is recorded present (a scale \
             word other than none, beats or hours > 0, fobt_result positive); o2_device not settled when oxygen above \
             room air was recorded after o2_device = none"
                .into()
        }
        Rule::ProductHoldGrade4 => "any computed CTCAE v5.0 grade 4 (Lymphocyte count decreased excepted); a grade-4 \
             result older than its maximum age leaves the rule not evaluated"
            .into(),
        Rule::ProductHoldChestPainEcgPending => {
            "chest_pain_angina present and no ecg_ischemia_changes listed (present or absent) at or after it".into()
        }
        Rule::ProductLimitCycle14 => format!("doses given this cycle >= {}", limits.doses_per_cycle),
        Rule::ProductLimitCourse28 => format!("doses given this course >= {}", limits.doses_per_course),
        Rule::ProductLimitOutsideCycleWindow => format!(
            "decision time outside cycle 1 days {}-{} and cycle 2 days {}-{} (24-h days from course.started_at)",
            limits.cycle_one_days.0, limits.cycle_one_days.1, limits.cycle_two_days.0, limits.cycle_two_days.1
        ),
        Rule::ProductLimitInterval => {
            format!("less than {} min since the previous dose started", limits.minimum_interval.as_secs() / 60)
        }
        Rule::ProductLimitCourseDiscontinued => "course.discontinued = true".into(),
        Rule::ProductLimitRetreatmentContraindicated => "patient flag il2_retreatment_contraindicated set".into(),
        Rule::ProductLimitPreparationExpired => format!(
            "decision time + {} min infusion > course.prepared_at + {} h",
            limits.infusion.as_secs() / 60,
            hours(limits.preparation_stability).normalize()
        ),
        Rule::ConsensusHoldSinusTachycardia => {
            format!("{} <= heart_rate <= {}", consensus.tachycardia_hold_min, consensus.tachycardia_stop_above)
        }
        Rule::ConsensusHoldSbpBelowTarget => format!("systolic_bp < {target}"),
        Rule::ConsensusHoldDiarrhea1000Shift => {
            format!("stool_output in the last completed 8-h shift >= {}", consensus.diarrhea_per_shift_at_least)
        }
        Rule::ConsensusHoldIleusDistention => "ileus_distention = present".into(),
        Rule::ConsensusHoldBilirubinAbove7 => format!("bilirubin_total > {}", consensus.bilirubin_hold_above),
        Rule::ConsensusHoldPhenylephrineInterval => format!(
            "{} <= highest phenylephrine_rate of the last {} h < {}",
            consensus.phenylephrine_interval_hold_at_least,
            hours(consensus.phenylephrine_interval).normalize(),
            consensus.phenylephrine_interval_stop_at_least
        ),
        Rule::ConsensusHoldPhenylephrineAtDose => format!(
            "{} < phenylephrine_rate now <= {}",
            consensus.phenylephrine_now_hold_above, consensus.phenylephrine_now_stop_above
        ),
        Rule::ConsensusHoldHemePositive => "heme_positive_secretions present".into(),
        Rule::ConsensusHoldPlatelets30To50k => {
            format!("{} <= platelets <= {}", consensus.platelets_hold_at_least, consensus.platelets_hold_at_most)
        }
        Rule::ConsensusHoldWeightGain15Pct => format!(
            "(weight - baseline_weight) / baseline_weight > {}",
            consensus.weight_gain_fraction_above.normalize()
        ),
        Rule::ConsensusHoldExtremeTightness => "extreme_tightness present".into(),
        Rule::ConsensusHoldVividDreams => "vivid_dreams present".into(),
        Rule::ConsensusHoldAnxietyMild => "anxiety_mild present".into(),
        Rule::ConsensusHoldDyspneaAtRest => "dyspnea_at_rest present".into(),
        Rule::ConsensusHoldOxygen3To4L => format!(
            "o2_device = nasal_cannula and {} <= oxygen_flow <= {}",
            consensus.oxygen_hold_at_least, consensus.oxygen_hold_at_most
        ),
        Rule::ConsensusHoldRalesThird => "rales_extent = lower_third".into(),
        Rule::ConsensusHoldUrine80To160Shift => format!(
            "{} <= urine_output in the last completed 8-h shift <= {}",
            consensus.urine_shift_hold_at_least, consensus.urine_shift_hold_at_most
        ),
        Rule::ConsensusHoldCreatinine2_5 => {
            format!("{} <= creatinine < {}", consensus.creatinine_hold_at_least, consensus.creatinine_stop_at_least)
        }
        Rule::ConsensusStopSinusTachycardiaAbove130 => format!("heart_rate > {}", consensus.tachycardia_stop_above),
        Rule::ConsensusStopVentricularArrhythmia => {
            "ventricular_ectopy present or ventricular_tachycardia >= 1 beat".into()
        }
        Rule::ConsensusStopCardiacEnzymes => "cardiac_enzymes_elevated present".into(),
        Rule::ConsensusStopMoistDesquamation => "moist_desquamation present".into(),
        Rule::ConsensusStopDiarrheaTwoShifts => format!(
            "stool_output in each of the last 2 completed 8-h shifts >= {}",
            consensus.diarrhea_per_shift_at_least
        ),
        Rule::ConsensusStopVomitingRefractory => "vomiting_refractory present".into(),
        Rule::ConsensusStopDistentionBreathing => "ileus_distention = severe_affecting_breathing".into(),
        Rule::ConsensusStopAbdominalPain => "abdominal_pain_severe present".into(),
        Rule::ConsensusStopPhenylephrineInterval => format!(
            "highest phenylephrine_rate of the last {} h >= {}",
            hours(consensus.phenylephrine_interval).normalize(),
            consensus.phenylephrine_interval_stop_at_least
        ),
        Rule::ConsensusStopPhenylephrineAtDose => {
            format!("phenylephrine_rate now > {}", consensus.phenylephrine_now_stop_above)
        }
        Rule::ConsensusStopFrankBlood => "frank_blood present".into(),
        Rule::ConsensusStopPlateletsBelow30k => format!("platelets < {}", consensus.platelets_hold_at_least),
        Rule::ConsensusStopInfection => "infection_suspected_or_documented present".into(),
        Rule::ConsensusStopExtremeParesthesias => "extreme_paresthesias present".into(),
        Rule::ConsensusStopHallucinations => "hallucinations present".into(),
        Rule::ConsensusStopPersistentCrying => "persistent_crying present".into(),
        Rule::ConsensusStopMentalStatus2h => format!(
            "mental_status_change >= mild and mental_status_change_hours > {} h",
            consensus.mental_status_hours_above
        ),
        Rule::ConsensusStopCognitiveScreen => "cognitive_screen_failed = yes".into(),
        Rule::ConsensusStopOxygenAbove4L => format!(
            "(o2_device = nasal_cannula and oxygen_flow > {}) or (o2_device = face_mask and fio2 >= {})",
            consensus.oxygen_stop_above, consensus.fio2_stop_at_least
        ),
        Rule::ConsensusStopIntubation => "intubated > 0 h".into(),
        Rule::ConsensusStopRalesHalf => "rales_extent = half_or_more".into(),
        Rule::ConsensusStopUrineBelow80Shift => {
            format!("urine_output in the last completed 8-h shift < {}", consensus.urine_shift_hold_at_least)
        }
        Rule::ConsensusStopCreatinine3 => format!("creatinine >= {}", consensus.creatinine_stop_at_least),
        Rule::ConsensusStopBicarbonate18 => format!("bicarbonate <= {}", consensus.bicarbonate_stop_at_most),
        Rule::ConsensusStopThreeRelative => format!(
            ">= {} distinct relative criteria (consensus.hold.*) fired in this assessment",
            consensus.relative_criteria_stop_at
        ),
        Rule::ConsensusStopHeldThreeTimes => {
            format!("the decision would be hold and course.holds_this_cycle >= {}", consensus.earlier_holds_stop_at)
        }
    }
}

/// The catalogue as Markdown: every rule of both sets with threshold, action, resume condition and source,
/// then the maximum ages of inputs.
pub fn markdown(parameters: &Parameters) -> String {
    let mut out = String::new();
    out.push_str("# Rule catalogue (generated)\n\n");
    out.push_str(
        "Generated from `il2care_core::assessment` by `UPDATE_CATALOGUE=1 cargo test -p il2care_core catalogue`; \
         do not edit by hand. Clinical text: ASSESSMENT.md. Thresholds are the defaults; a site override makes a \
         derived rule-set version (`+site`). \"unconfirmed\" marks rows whose source has not been checked against \
         the primary document.\n\n",
    );
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let count = Rule::of_set(rule_set).count();
        let _ = writeln!(out, "## Rule set `{}` (version {}, {count} rules)\n", rule_set.id(), rule_set.version());
        out.push_str("| rule id | action | fires when | resume when | source |\n|---|---|---|---|---|\n");
        for rule in Rule::of_set(rule_set) {
            let confirmed = if rule.confirmed() { "" } else { " (unconfirmed)" };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {}{confirmed} |",
                rule.id(),
                rule.action().id(),
                threshold(rule, parameters, None).replace('|', "\\|"),
                rule.resume_when().unwrap_or("—").replace('|', "\\|"),
                rule.source()
            );
        }
        let unread: Vec<String> =
            Rule::unread_findings(rule_set).iter().map(|code| format!("`{}`", code.id())).collect();
        let _ = writeln!(
            out,
            "\nFindings no rule of this set reads (`product.hold.unread-finding` holds when one is recorded present): \
             {}.",
            unread.join(", ")
        );
        out.push('\n');
    }
    out.push_str("## Maximum ages at decision time (inclusive; a site may shorten, never lengthen)\n\n");
    out.push_str("| input | maximum age |\n|---|---|\n");
    for code in ALL_OBSERVATION_CODES {
        let age = match parameters.max_ages.observation(code) {
            Some(age) => format!("{} h", hours(age).normalize()),
            None if code.is_interval() => "window must be covered (gaps of at most 1 h)".to_string(),
            None => "the latest charted rate is current".to_string(),
        };
        let _ = writeln!(out, "| `{}` | {age} |", code.id());
    }
    let _ = writeln!(
        out,
        "| findings (absent/none/0/negative answers) | {} h; answers that report something count whatever their age |",
        hours(parameters.max_ages.findings).normalize()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_catalogue_matches_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
        let generated = markdown(&Parameters::default());
        if std::env::var_os("UPDATE_CATALOGUE").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/rules.md is out of date; regenerate with `UPDATE_CATALOGUE=1 cargo test -p il2care_core catalogue`"
        );
    }

    #[test]
    fn every_rule_has_a_threshold_text() {
        for rule in Rule::of_set(RuleSet::Label).chain(Rule::of_set(RuleSet::Consensus)) {
            assert!(!threshold(rule, &Parameters::default(), None).is_empty(), "{}", rule.id());
        }
    }
}
