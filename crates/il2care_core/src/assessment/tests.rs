//! Table tests of the assessment rules: one `check` helper per rule family, rows at every boundary (just
//! below, at, just above), each row citing its source; then precedence, missing data, staleness and pending
//! holds. Every row starts from a patient for whom every rule of both sets is evaluated and none fires.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::inputs::Word as W;
use super::inputs::*;
use super::logic::{Input, MissingReason};
use super::thresholds::{Parameters, SiteOverrides};
use super::*;
use crate::units::*;

const AT: &str = "2026-11-27T16:00:00Z";

fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn at() -> Timestamp {
    t(AT)
}

fn hours_before(hours: i64) -> Timestamp {
    at() - SignedDuration::from_hours(hours)
}

fn minutes_before(minutes: i64) -> Timestamp {
    at() - SignedDuration::from_mins(minutes)
}

fn m<M: Measure>(value: Decimal) -> M {
    M::new(value).unwrap()
}

fn reading<M: Measure>(value: Decimal, at: Timestamp) -> Reading<M> {
    Reading::new(m(value), at)
}

fn interval(volume: Decimal, start: Timestamp, end: Timestamp) -> OutputInterval {
    OutputInterval { volume: m(volume), start, end }
}

/// Output intervals of `hours_each` hours back from `end`, `count` of them, each `volume` mL.
fn intervals(end: Timestamp, hours_each: i64, count: i64, volume: Decimal) -> Vec<OutputInterval> {
    (0..count)
        .map(|i| {
            let stop = end - SignedDuration::from_hours(hours_each * i);
            interval(volume, stop - SignedDuration::from_hours(hours_each), stop)
        })
        .collect()
}

/// A patient on day 3 of cycle 1 for whom every rule of both sets is evaluated and none fires.
fn healthy(rule_set: RuleSet) -> Assessment {
    let vitals = hours_before(1);
    let morning = hours_before(10);
    let observations = Observations {
        systolic_bp: vec![reading(dec!(120), vitals)],
        heart_rate: vec![reading(dec!(80), vitals)],
        spo2: vec![reading(dec!(98), vitals)],
        temperature: vec![reading(dec!(37.0), vitals)],
        weight: vec![reading(dec!(80), morning)],
        creatinine: vec![reading(dec!(0.9), hours_before(20)), reading(dec!(1.0), morning)],
        bilirubin_total: vec![reading(dec!(0.8), morning)],
        platelets: vec![reading(dec!(200), morning)],
        bicarbonate: vec![reading(dec!(24), morning)],
        urine_output: intervals(at(), 4, 6, dec!(400)),
        stool_output: intervals(at(), 8, 2, dec!(200)),
        ..Observations::default()
    };
    Assessment {
        at: at(),
        rule_set,
        patient: Patient { baseline_weight: Some(m(dec!(80))), ..Patient::default() },
        course: Course {
            started_at: t("2026-11-25T08:00:00Z"),
            doses_given_cycle: Some(6),
            doses_given_course: Some(6),
            holds_this_cycle: Some(1),
            last_dose_at: Some(hours_before(8)),
            pending_holds: Vec::new(),
            discontinued: false,
            prepared_at: None,
        },
        observations,
        findings: Findings::new(true, []),
    }
}

fn run(assessment: &Assessment) -> Evaluation {
    assess(assessment, &Parameters::default())
}

fn with_findings(assessment: &mut Assessment, findings: &[(FindingCode, FindingValue, Timestamp)]) {
    let reviewed = assessment.findings.reviewed;
    let mut listed: Vec<Finding> = assessment.findings.listed().collect();
    listed.extend(findings.iter().map(|&(code, value, at)| Finding { code, value, at }));
    assessment.findings = Findings::new(reviewed, listed);
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Fires,
    Passes,
    NotEvaluated,
}
use Expect::*;

fn outcome(evaluation: &Evaluation, rule: Rule) -> Expect {
    if evaluation.fired.iter().any(|fired| fired.rule == rule) {
        Fires
    } else if evaluation.not_evaluated.iter().any(|entry| entry.rule == rule) {
        NotEvaluated
    } else {
        Passes
    }
}

#[test]
fn a_healthy_patient_is_given_the_dose_under_both_rule_sets() {
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let evaluation = run(&healthy(rule_set));
        assert_eq!(evaluation.decision, Decision::Give, "{rule_set:?}: {evaluation:#?}");
        assert!(evaluation.fired.is_empty() && evaluation.not_evaluated.is_empty());
        assert_eq!((evaluation.cycle, evaluation.cycle_day, evaluation.slot), (Some(1), Some(3), Some(8)));
    }
}

/// Rules over one measured value: the rule's outcome when the latest value (fresh) is `value`.
fn check_measure(
    rule_set: RuleSet,
    rule: Rule,
    set: fn(&mut Assessment, Decimal),
    value: Decimal,
    expect: Expect,
    row: &str,
) {
    let mut assessment = healthy(rule_set);
    set(&mut assessment, value);
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, rule), expect, "{row}: {} with {value}", rule.id());
    if expect == Fires {
        assert_eq!(evaluation.decision, rule.action().decision().min(evaluation.decision), "{row}");
    }
}

fn sbp(a: &mut Assessment, v: Decimal) {
    a.observations.systolic_bp = vec![reading(v, hours_before(1))];
}
fn spo2(a: &mut Assessment, v: Decimal) {
    a.observations.spo2 = vec![reading(v, hours_before(1))];
}
fn heart_rate(a: &mut Assessment, v: Decimal) {
    a.observations.heart_rate = vec![reading(v, hours_before(1))];
}
fn creatinine(a: &mut Assessment, v: Decimal) {
    a.observations.creatinine = vec![reading(v, hours_before(2))];
}
fn bilirubin(a: &mut Assessment, v: Decimal) {
    a.observations.bilirubin_total = vec![reading(v, hours_before(2))];
}
fn platelets(a: &mut Assessment, v: Decimal) {
    a.observations.platelets = vec![reading(v, hours_before(2))];
}
fn bicarbonate(a: &mut Assessment, v: Decimal) {
    a.observations.bicarbonate = vec![reading(v, hours_before(2))];
}
fn weight(a: &mut Assessment, v: Decimal) {
    a.observations.weight = vec![reading(v, hours_before(2))];
}
fn phenylephrine_now(a: &mut Assessment, v: Decimal) {
    a.observations.phenylephrine_rate = vec![reading(v, hours_before(1))];
}
/// A rate charted 6 h ago, switched off 1 h ago: the highest of the interval is `v`, the rate now 0.
fn phenylephrine_earlier(a: &mut Assessment, v: Decimal) {
    a.observations.phenylephrine_rate = vec![reading(v, hours_before(6)), reading(dec!(0), hours_before(1))];
}
/// A rate already running 10 h ago (before the 8-h window opened), switched off 1 h ago.
fn phenylephrine_running_at_open(a: &mut Assessment, v: Decimal) {
    a.observations.phenylephrine_rate = vec![reading(v, hours_before(10)), reading(dec!(0), hours_before(1))];
}
fn creatinine_with_overload(a: &mut Assessment, v: Decimal) {
    creatinine(a, v);
    with_findings(a, &[(FindingCode::SevereVolumeOverload, FindingValue::Flag(true), hours_before(1))]);
}
fn cannula_flow(a: &mut Assessment, v: Decimal) {
    a.observations.oxygen_flow = vec![reading(v, hours_before(1))];
    with_findings(a, &[(FindingCode::O2Device, FindingValue::Word(W::NasalCannula), hours_before(1))]);
}
fn mask_fio2(a: &mut Assessment, v: Decimal) {
    a.observations.fio2 = vec![reading(v, hours_before(1))];
    with_findings(a, &[(FindingCode::O2Device, FindingValue::Word(W::FaceMask), hours_before(1))]);
}

#[test]
fn label_thresholds_on_measured_values_hold_exactly_at_their_boundaries() {
    use RuleSet::Label as L;
    let r = Rule::LabelHoldSbpBelow90;
    check_measure(L, r, sbp, dec!(89), Fires, "SBP 89 < 90 [LABEL-2024 §2.4 T2]");
    check_measure(L, r, sbp, dec!(90), Passes, "SBP 90 is not < 90 [LABEL-2024 §2.4 T2]");
    check_measure(L, r, sbp, dec!(91), Passes, "SBP 91 [LABEL-2024 §2.4 T2]");
    let r = Rule::LabelHoldSpo2Below90;
    check_measure(L, r, spo2, dec!(89), Fires, "SpO2 89 % < 90 [LABEL-2024 §2.4 T2]");
    check_measure(L, r, spo2, dec!(90), Passes, "SpO2 90 % [LABEL-2024 §2.4 T2]");
    check_measure(L, r, spo2, dec!(91), Passes, "SpO2 91 % [LABEL-2024 §2.4 T2]");
    let r = Rule::LabelHoldCreatinineAbove4_5;
    check_measure(L, r, creatinine, dec!(4.49), Passes, "Cr 4.49 [LABEL-OLD]");
    check_measure(L, r, creatinine, dec!(4.5), Passes, "Cr 4.5 is not > 4.5 [LABEL-OLD]");
    check_measure(L, r, creatinine, dec!(4.51), Fires, "Cr 4.51 [LABEL-OLD]");
    let r = Rule::LabelHoldCreatinine4Complicated;
    check_measure(L, r, creatinine_with_overload, dec!(3.99), Passes, "Cr 3.99 with overload [LABEL-OLD]");
    check_measure(L, r, creatinine_with_overload, dec!(4.0), Fires, "Cr 4.0 with overload [LABEL-OLD]");
    check_measure(L, r, creatinine_with_overload, dec!(4.01), Fires, "Cr 4.01 with overload [LABEL-OLD]");
    check_measure(L, r, creatinine, dec!(4.2), Passes, "Cr 4.2 without complication [LABEL-OLD]");
}

#[test]
fn consensus_thresholds_on_measured_values_hold_or_stop_exactly_at_their_boundaries() {
    use RuleSet::Consensus as C;
    let (hold, stop) = (Rule::ConsensusHoldSinusTachycardia, Rule::ConsensusStopSinusTachycardiaAbove130);
    check_measure(C, hold, heart_rate, dec!(99), Passes, "HR 99 [DUTCHER-2014 T3]");
    check_measure(C, hold, heart_rate, dec!(100), Fires, "HR 100 [DUTCHER-2014 T3]");
    check_measure(C, hold, heart_rate, dec!(130), Fires, "HR 130 [DUTCHER-2014 T3]");
    check_measure(C, hold, heart_rate, dec!(131), Passes, "HR 131 is beyond the hold band [DUTCHER-2014 T3]");
    check_measure(C, stop, heart_rate, dec!(130), Passes, "HR 130 [DUTCHER-2014 T3]");
    check_measure(C, stop, heart_rate, dec!(131), Fires, "HR 131 > 130 [DUTCHER-2014 T3]");
    let r = Rule::ConsensusHoldSbpBelowTarget;
    check_measure(C, r, sbp, dec!(89), Fires, "SBP 89 below the default target 90 [TIL-2024 T2; PRODUCT]");
    check_measure(C, r, sbp, dec!(90), Passes, "SBP 90 at target [TIL-2024 T2]");
    check_measure(C, r, sbp, dec!(91), Passes, "SBP 91 [TIL-2024 T2]");
    let r = Rule::ConsensusHoldBilirubinAbove7;
    check_measure(C, r, bilirubin, dec!(6.99), Passes, "bilirubin 6.99 [DUTCHER-2014 T3]");
    check_measure(C, r, bilirubin, dec!(7), Passes, "bilirubin 7 is not > 7 [DUTCHER-2014 T3]");
    check_measure(C, r, bilirubin, dec!(7.01), Fires, "bilirubin 7.01 [DUTCHER-2014 T3]");
    let (hold, stop) = (Rule::ConsensusHoldPlatelets30To50k, Rule::ConsensusStopPlateletsBelow30k);
    check_measure(C, hold, platelets, dec!(51), Passes, "plt 51 [DUTCHER-2014 T3]");
    check_measure(C, hold, platelets, dec!(50), Fires, "plt 50 [DUTCHER-2014 T3]");
    check_measure(C, hold, platelets, dec!(30), Fires, "plt 30 [DUTCHER-2014 T3]");
    check_measure(C, hold, platelets, dec!(29), Passes, "plt 29 is below the hold band [DUTCHER-2014 T3]");
    check_measure(C, stop, platelets, dec!(30), Passes, "plt 30 [DUTCHER-2014 T3]");
    check_measure(C, stop, platelets, dec!(29.9), Fires, "plt 29.9 < 30 [DUTCHER-2014 T3]");
    let (hold, stop) = (Rule::ConsensusHoldCreatinine2_5, Rule::ConsensusStopCreatinine3);
    check_measure(C, hold, creatinine, dec!(2.49), Passes, "Cr 2.49 [DUTCHER-2014 T3]");
    check_measure(C, hold, creatinine, dec!(2.5), Fires, "Cr 2.5 [DUTCHER-2014 T3; TIL-2024 T2]");
    check_measure(C, hold, creatinine, dec!(2.99), Fires, "Cr 2.99 [DUTCHER-2014 T3]");
    check_measure(C, hold, creatinine, dec!(3.0), Passes, "Cr 3.0 is a stop, not a hold [DUTCHER-2014 T3]");
    check_measure(C, stop, creatinine, dec!(2.99), Passes, "Cr 2.99 [DUTCHER-2014 T3]");
    check_measure(C, stop, creatinine, dec!(3.0), Fires, "Cr 3.0 [DUTCHER-2014 T3]");
    let r = Rule::ConsensusStopBicarbonate18;
    check_measure(C, r, bicarbonate, dec!(19), Passes, "HCO3 19 [DUTCHER-2014 T3]");
    check_measure(C, r, bicarbonate, dec!(18), Fires, "HCO3 18 [DUTCHER-2014 T3]");
    check_measure(C, r, bicarbonate, dec!(17), Fires, "HCO3 17 [DUTCHER-2014 T3]");
    let r = Rule::ConsensusHoldWeightGain15Pct;
    check_measure(C, r, weight, dec!(91.99), Passes, "gain 14.99 % [DUTCHER-2014 T3]");
    check_measure(C, r, weight, dec!(92), Passes, "gain exactly 15 % is not > 15 % [DUTCHER-2014 T3]");
    check_measure(C, r, weight, dec!(92.01), Fires, "gain above 15 % [DUTCHER-2014 T3; SPRINGERPLUS-2015 T1]");
    let (hold, stop) = (Rule::ConsensusHoldPhenylephrineAtDose, Rule::ConsensusStopPhenylephrineAtDose);
    check_measure(C, hold, phenylephrine_now, dec!(0.5), Passes, "now 0.5 [DUTCHER-2014 T3]");
    check_measure(C, hold, phenylephrine_now, dec!(0.51), Fires, "now 0.51 [DUTCHER-2014 T3; TIL-2024 T2]");
    check_measure(C, hold, phenylephrine_now, dec!(0.8), Fires, "now 0.8 [DUTCHER-2014 T3]");
    check_measure(C, stop, phenylephrine_now, dec!(0.8), Passes, "now 0.8 [DUTCHER-2014 T3]");
    check_measure(C, stop, phenylephrine_now, dec!(0.81), Fires, "now 0.81 [DUTCHER-2014 T3]");
    let (hold, stop) = (Rule::ConsensusHoldPhenylephrineInterval, Rule::ConsensusStopPhenylephrineInterval);
    check_measure(C, hold, phenylephrine_earlier, dec!(0.99), Passes, "max 0.99 [DUTCHER-2014 T3]");
    check_measure(C, hold, phenylephrine_earlier, dec!(1.0), Fires, "max 1.0 [DUTCHER-2014 T3]");
    check_measure(C, hold, phenylephrine_earlier, dec!(1.49), Fires, "max 1.49 [DUTCHER-2014 T3]");
    check_measure(C, hold, phenylephrine_earlier, dec!(1.5), Passes, "max 1.5 goes to the stop [DUTCHER-2014 T3]");
    check_measure(C, stop, phenylephrine_earlier, dec!(1.49), Passes, "max 1.49 [DUTCHER-2014 T3]");
    check_measure(C, stop, phenylephrine_earlier, dec!(1.5), Fires, "max 1.5 [DUTCHER-2014 T3]");
    check_measure(
        C,
        stop,
        phenylephrine_running_at_open,
        dec!(1.5),
        Fires,
        "running when the window opened [DUTCHER-2014 T3]",
    );
    let (hold, stop) = (Rule::ConsensusHoldOxygen3To4L, Rule::ConsensusStopOxygenAbove4L);
    check_measure(C, hold, cannula_flow, dec!(2.9), Passes, "2.9 L/min [DUTCHER-2014 T3]");
    check_measure(C, hold, cannula_flow, dec!(3), Fires, "3 L/min [DUTCHER-2014 T3]");
    check_measure(C, hold, cannula_flow, dec!(4), Fires, "4 L/min [DUTCHER-2014 T3]");
    check_measure(C, hold, cannula_flow, dec!(4.1), Passes, "4.1 L/min is a stop [DUTCHER-2014 T3]");
    check_measure(C, stop, cannula_flow, dec!(4), Passes, "4 L/min [DUTCHER-2014 T3]");
    check_measure(C, stop, cannula_flow, dec!(4.1), Fires, "4.1 L/min [DUTCHER-2014 T3]");
    check_measure(C, stop, mask_fio2, dec!(39), Passes, "mask FiO2 39 % [DUTCHER-2014 T3]");
    check_measure(C, stop, mask_fio2, dec!(40), Fires, "mask FiO2 40 % [DUTCHER-2014 T3]");
    check_measure(C, stop, mask_fio2, dec!(41), Fires, "mask FiO2 41 % [DUTCHER-2014 T3]");
}

#[test]
fn a_site_tachycardia_threshold_of_120_moves_the_hold_boundary() {
    let overrides = SiteOverrides { tachycardia_hold_min: Some(m(dec!(120))), ..SiteOverrides::default() };
    let parameters = Parameters::with_overrides(&overrides).unwrap();
    for (rate, expect, row) in [
        (dec!(119), Passes, "HR 119 [SPRINGERPLUS-2015 T1]"),
        (dec!(120), Fires, "HR 120 [SPRINGERPLUS-2015 T1]"),
        (dec!(121), Fires, "HR 121 [SPRINGERPLUS-2015 T1]"),
    ] {
        let mut assessment = healthy(RuleSet::Consensus);
        heart_rate(&mut assessment, rate);
        let evaluation = assess(&assessment, &parameters);
        assert_eq!(outcome(&evaluation, Rule::ConsensusHoldSinusTachycardia), expect, "{row}");
        assert_eq!(evaluation.rule_set_version, "consensus-2026.1+site");
    }
    let too_high = SiteOverrides { tachycardia_hold_min: Some(m(dec!(140))), ..SiteOverrides::default() };
    assert_eq!(Parameters::with_overrides(&too_high).unwrap_err().field, "parameters.tachycardia_hold_min");
    let longer = SiteOverrides {
        max_ages: vec![("creatinine".into(), SignedDuration::from_hours(48))],
        ..SiteOverrides::default()
    };
    assert!(Parameters::with_overrides(&longer).unwrap_err().reason.contains("only shorten"));
    let shorter = SiteOverrides {
        max_ages: vec![("creatinine".into(), SignedDuration::from_hours(12))],
        ..SiteOverrides::default()
    };
    let parameters = Parameters::with_overrides(&shorter).unwrap();
    let mut assessment = healthy(RuleSet::Label);
    assessment.observations.creatinine = vec![reading(dec!(1.0), hours_before(13))];
    let evaluation = assess(&assessment, &parameters);
    assert_eq!(outcome(&evaluation, Rule::LabelHoldCreatinineAbove4_5), NotEvaluated, "12 h after [TIL-2024 T2]");
}

/// Rules over one finding: the rule's outcome when the finding (answered 1 h ago) is `value`.
fn check_finding(rule_set: RuleSet, rule: Rule, code: FindingCode, value: FindingValue, expect: Expect, row: &str) {
    let mut assessment = healthy(rule_set);
    with_findings(&mut assessment, &[(code, value, hours_before(1))]);
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, rule), expect, "{row}: {} with {} = {value:?}", rule.id(), code.id());
}

#[test]
fn findings_fire_their_rules_exactly_when_reported() {
    use FindingCode as F;
    use FindingValue::*;
    use RuleSet::{Consensus as C, Label as L};
    let presence: &[(RuleSet, Rule, FindingCode, &str)] = &[
        (L, Rule::LabelHoldAtrialFibrillation, F::AtrialFibrillation, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelHoldSvt, F::SupraventricularTachycardia, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelHoldBradycardia, F::BradycardiaRequiringTreatment, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelHoldSepsisUnstable, F::SepsisUnstable, "LABEL-OLD"),
        (C, Rule::LabelHoldSepsisUnstable, F::SepsisUnstable, "LABEL-OLD"),
        (L, Rule::LabelHoldBullousDermatitis, F::BullousDermatitis, "LABEL-OLD"),
        (C, Rule::LabelHoldBullousDermatitis, F::BullousDermatitis, "LABEL-OLD; ASSESSMENT §10.1"),
        (C, Rule::LabelHoldBradycardia, F::BradycardiaRequiringTreatment, "LABEL-2024 §2.4 T2; ASSESSMENT §10.1"),
        (L, Rule::LabelHoldMentalStatusChange, F::Hallucinations, "LABEL-2024 §2.4 T2; ASSESSMENT §10.1"),
        (C, Rule::LabelHoldMentalStatusChange, F::Hallucinations, "LABEL-2024 §2.4 T2; ASSESSMENT §10.1"),
        (L, Rule::LabelStopCourseHepaticFailure, F::HepaticFailureSigns, "LABEL-OLD"),
        (C, Rule::LabelStopCourseHepaticFailure, F::HepaticFailureSigns, "LABEL-OLD"),
        (L, Rule::LabelStopArrhythmiaUncontrolled, F::ArrhythmiaUncontrolled, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelStopEcgIschemia, F::EcgIschemiaChanges, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelStopCardiacTamponade, F::CardiacTamponade, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelStopSeizuresRepetitive, F::SeizuresRepetitive, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelStopBowelIschemiaPerforation, F::BowelIschemiaPerforation, "LABEL-2024 §2.4 T2"),
        (L, Rule::LabelStopGiBleedingSurgery, F::GiBleedingRequiringSurgery, "LABEL-2024 §2.4 T2"),
        (C, Rule::LabelStopGiBleedingSurgery, F::GiBleedingRequiringSurgery, "LABEL-2024 §2.4 T2"),
        (L, Rule::ProductHoldOtherVasopressor, F::VasopressorOther, "PRODUCT"),
        (C, Rule::ProductHoldOtherVasopressor, F::VasopressorOther, "PRODUCT"),
        (C, Rule::ConsensusStopEcgIschemia, F::EcgIschemiaChanges, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopAtrialFibrillation, F::AtrialFibrillation, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopSvt, F::SupraventricularTachycardia, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopVentricularArrhythmia, F::VentricularEctopy, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopCardiacEnzymes, F::CardiacEnzymesElevated, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopMoistDesquamation, F::MoistDesquamation, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopVomitingRefractory, F::VomitingRefractory, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopAbdominalPain, F::AbdominalPainSevere, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopFrankBlood, F::FrankBlood, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopInfection, F::InfectionSuspectedOrDocumented, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopExtremeParesthesias, F::ExtremeParesthesias, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopHallucinations, F::Hallucinations, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusStopPersistentCrying, F::PersistentCrying, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusHoldHemePositive, F::HemePositiveSecretions, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusHoldExtremeTightness, F::ExtremeTightness, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusHoldVividDreams, F::VividDreams, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusHoldAnxietyMild, F::AnxietyMild, "DUTCHER-2014 T3"),
        (C, Rule::ConsensusHoldDyspneaAtRest, F::DyspneaAtRest, "DUTCHER-2014 T3"),
    ];
    for &(rule_set, rule, code, source) in presence {
        check_finding(rule_set, rule, code, Flag(true), Fires, source);
        check_finding(rule_set, rule, code, Flag(false), Passes, source);
    }
    let rows: &[(RuleSet, Rule, FindingCode, FindingValue, Expect, &str)] = &[
        (L, Rule::LabelStopVtSustained, F::VentricularTachycardia, Beats(4), Passes, "4 beats [LABEL-2024 §2.4 T2]"),
        (L, Rule::LabelStopVtSustained, F::VentricularTachycardia, Beats(5), Fires, "5 beats [LABEL-2024 §2.4 T2]"),
        (L, Rule::LabelStopVtSustained, F::VentricularTachycardia, Beats(6), Fires, "6 beats [LABEL-2024 §2.4 T2]"),
        (
            C,
            Rule::ConsensusStopVentricularArrhythmia,
            F::VentricularTachycardia,
            Beats(0),
            Passes,
            "0 beats [DUTCHER-2014 T3]",
        ),
        (
            C,
            Rule::ConsensusStopVentricularArrhythmia,
            F::VentricularTachycardia,
            Beats(1),
            Fires,
            "1 beat [DUTCHER-2014 T3]",
        ),
        (L, Rule::LabelStopIntubationOver72h, F::Intubated, Hours(dec!(72)), Passes, "72 h [LABEL-2024 §2.4 T2]"),
        (L, Rule::LabelStopIntubationOver72h, F::Intubated, Hours(dec!(72.1)), Fires, "72.1 h [LABEL-2024 §2.4 T2]"),
        (L, Rule::ProductHoldIntubated, F::Intubated, Hours(dec!(0)), Passes, "not intubated [PRODUCT]"),
        (L, Rule::ProductHoldIntubated, F::Intubated, Hours(dec!(0.1)), Fires, "intubated 0.1 h [PRODUCT]"),
        (L, Rule::ProductHoldIntubated, F::Intubated, Hours(dec!(72)), Fires, "intubated 72 h [PRODUCT]"),
        (
            L,
            Rule::ProductHoldIntubated,
            F::Intubated,
            Hours(dec!(72.1)),
            Passes,
            "72.1 h is a permanent stop [PRODUCT]",
        ),
        (C, Rule::ConsensusStopIntubation, F::Intubated, Hours(dec!(0)), Passes, "not intubated [DUTCHER-2014 T3]"),
        (C, Rule::ConsensusStopIntubation, F::Intubated, Hours(dec!(0.1)), Fires, "intubated [DUTCHER-2014 T3]"),
        (L, Rule::LabelStopComaOver48h, F::Coma, Hours(dec!(48)), Passes, "coma 48 h [LABEL-2024 §2.4 T2]"),
        (L, Rule::LabelStopComaOver48h, F::Coma, Hours(dec!(48.5)), Fires, "coma 48.5 h [LABEL-2024 §2.4 T2]"),
        (
            L,
            Rule::LabelHoldMentalStatusChange,
            F::Coma,
            Hours(dec!(1)),
            Fires,
            "coma sets severe change [LABEL-2024 §2.4 T2]",
        ),
        (
            L,
            Rule::LabelStopToxicPsychosisOver48h,
            F::ToxicPsychosis,
            Hours(dec!(48)),
            Passes,
            "48 h [LABEL-2024 §2.4 T2]",
        ),
        (
            L,
            Rule::LabelStopToxicPsychosisOver48h,
            F::ToxicPsychosis,
            Hours(dec!(49)),
            Fires,
            "49 h [LABEL-2024 §2.4 T2]",
        ),
        (L, Rule::LabelStopDialysisOver72h, F::Dialysis, Hours(dec!(72)), Passes, "dialysis 72 h [LABEL-OLD]"),
        (L, Rule::LabelStopDialysisOver72h, F::Dialysis, Hours(dec!(73)), Fires, "dialysis 73 h [LABEL-OLD]"),
        (
            L,
            Rule::LabelHoldMentalStatusChange,
            F::MentalStatusChange,
            Word(W::None),
            Passes,
            "none [LABEL-2024 §2.4 T2]",
        ),
        (
            L,
            Rule::LabelHoldMentalStatusChange,
            F::MentalStatusChange,
            Word(W::Mild),
            Fires,
            "mild [LABEL-2024 §2.4 T2]",
        ),
        (
            C,
            Rule::LabelHoldMentalStatusChange,
            F::MentalStatusChange,
            Word(W::Moderate),
            Fires,
            "moderate [LABEL-2024 §2.4 T2]",
        ),
        (
            L,
            Rule::LabelHoldLethargySomnolence,
            F::LethargySomnolence,
            Word(W::Mild),
            Passes,
            "mild [LABEL-OLD; ASHP-MONO]",
        ),
        (L, Rule::LabelHoldLethargySomnolence, F::LethargySomnolence, Word(W::Moderate), Fires, "moderate [LABEL-OLD]"),
        (L, Rule::LabelHoldLethargySomnolence, F::LethargySomnolence, Word(W::Severe), Fires, "severe [LABEL-OLD]"),
        (L, Rule::LabelHoldFobtPositive, F::FobtResult, Word(W::Positive), Fires, "positive [LABEL-2024 §2.4 T2]"),
        (C, Rule::LabelHoldFobtPositive, F::FobtResult, Word(W::Positive), Fires, "positive [ASSESSMENT §10.1]"),
        (C, Rule::LabelHoldFobtPositive, F::FobtResult, Word(W::Negative), Passes, "negative [ASSESSMENT §10.1]"),
        (
            L,
            Rule::LabelHoldMentalStatusChange,
            F::ToxicPsychosis,
            Hours(dec!(0)),
            Passes,
            "no toxic psychosis [LABEL-2024 §2.4 T2; ASSESSMENT §10.1]",
        ),
        (
            L,
            Rule::LabelHoldMentalStatusChange,
            F::ToxicPsychosis,
            Hours(dec!(0.1)),
            Fires,
            "toxic psychosis 0.1 h [LABEL-2024 §2.4 T2; ASSESSMENT §10.1]",
        ),
        (L, Rule::LabelHoldFobtPositive, F::FobtResult, Word(W::Negative), Passes, "negative [LABEL-2024 §2.4 T2]"),
        (
            L,
            Rule::LabelHoldFobtPositive,
            F::FobtResult,
            Word(W::NotDone),
            Passes,
            "not done does not fire [PRODUCT §9.15]",
        ),
        (
            C,
            Rule::ConsensusHoldIleusDistention,
            F::IleusDistention,
            Word(W::Present),
            Fires,
            "present [DUTCHER-2014 T3]",
        ),
        (C, Rule::ConsensusHoldIleusDistention, F::IleusDistention, Word(W::None), Passes, "none [DUTCHER-2014 T3]"),
        (
            C,
            Rule::ConsensusStopDistentionBreathing,
            F::IleusDistention,
            Word(W::SevereAffectingBreathing),
            Fires,
            "[DUTCHER-2014 T3]",
        ),
        (C, Rule::ConsensusStopDistentionBreathing, F::IleusDistention, Word(W::Present), Passes, "[DUTCHER-2014 T3]"),
        (C, Rule::ConsensusHoldRalesThird, F::RalesExtent, Word(W::LowerThird), Fires, "lower third [DUTCHER-2014 T3]"),
        (C, Rule::ConsensusStopRalesHalf, F::RalesExtent, Word(W::LowerThird), Passes, "lower third [DUTCHER-2014 T3]"),
        (C, Rule::ConsensusStopRalesHalf, F::RalesExtent, Word(W::HalfOrMore), Fires, "half or more [DUTCHER-2014 T3]"),
        (
            C,
            Rule::ConsensusStopCognitiveScreen,
            F::CognitiveScreenFailed,
            Word(W::Yes),
            Fires,
            "failed [DUTCHER-2014 T3]",
        ),
        (
            C,
            Rule::ConsensusStopCognitiveScreen,
            F::CognitiveScreenFailed,
            Word(W::No),
            Passes,
            "passed [DUTCHER-2014 T3]",
        ),
        (
            C,
            Rule::ConsensusStopCognitiveScreen,
            F::CognitiveScreenFailed,
            Word(W::NotDone),
            Passes,
            "not done [PRODUCT §9.17]",
        ),
        (C, Rule::ConsensusHoldOxygen3To4L, F::O2Device, Word(W::None), Passes, "no device settles it [PRODUCT §9.1]"),
        (
            C,
            Rule::ConsensusStopOxygenAbove4L,
            F::O2Device,
            Word(W::NasalCannula),
            NotEvaluated,
            "cannula, no flow [PRODUCT §5]",
        ),
    ];
    for &(rule_set, rule, code, value, expect, row) in rows {
        check_finding(rule_set, rule, code, value, expect, row);
    }
}

#[test]
fn mental_status_change_stops_the_consensus_course_only_after_more_than_2_hours() {
    use FindingCode as F;
    for (hours, expect, row) in [
        (dec!(2), Passes, "2 h [DUTCHER-2014 T3]"),
        (dec!(2.1), Fires, "2.1 h [DUTCHER-2014 T3]"),
        (dec!(3), Fires, "3 h [DUTCHER-2014 T3]"),
    ] {
        let mut assessment = healthy(RuleSet::Consensus);
        with_findings(
            &mut assessment,
            &[
                (F::MentalStatusChange, FindingValue::Word(W::Mild), hours_before(1)),
                (F::MentalStatusChangeHours, FindingValue::Hours(hours), hours_before(1)),
            ],
        );
        assert_eq!(outcome(&run(&assessment), Rule::ConsensusStopMentalStatus2h), expect, "{row}");
    }
}

/// Output-window rules: the outcome for given urine and stool intervals.
fn check_output(
    rule_set: RuleSet,
    rule: Rule,
    urine: Option<Vec<OutputInterval>>,
    stool: Option<Vec<OutputInterval>>,
    expect: Expect,
    row: &str,
) {
    let mut assessment = healthy(rule_set);
    if let Some(urine) = urine {
        assessment.observations.urine_output = urine;
    }
    if let Some(stool) = stool {
        assessment.observations.stool_output = stool;
    }
    assert_eq!(outcome(&run(&assessment), rule), expect, "{row}: {}", rule.id());
}

#[test]
fn shift_volumes_hold_and_stop_at_their_boundaries() {
    use RuleSet::Consensus as C;
    let shift = |volume: Decimal| Some(intervals(at(), 8, 2, volume));
    let (hold, stop) = (Rule::ConsensusHoldUrine80To160Shift, Rule::ConsensusStopUrineBelow80Shift);
    check_output(C, hold, shift(dec!(161)), None, Passes, "161 mL [DUTCHER-2014 T3]");
    check_output(C, hold, shift(dec!(160)), None, Fires, "160 mL [DUTCHER-2014 T3]");
    check_output(C, hold, shift(dec!(80)), None, Fires, "80 mL [DUTCHER-2014 T3]");
    check_output(C, hold, shift(dec!(79)), None, Passes, "79 mL is a stop [DUTCHER-2014 T3]");
    check_output(C, stop, shift(dec!(80)), None, Passes, "80 mL [DUTCHER-2014 T3]");
    check_output(C, stop, shift(dec!(79)), None, Fires, "79 mL [DUTCHER-2014 T3]");
    let (hold, stop) = (Rule::ConsensusHoldDiarrhea1000Shift, Rule::ConsensusStopDiarrheaTwoShifts);
    check_output(C, hold, None, shift(dec!(999)), Passes, "999 mL [DUTCHER-2014 T3]");
    check_output(C, hold, None, shift(dec!(1000)), Fires, "1000 mL [DUTCHER-2014 T3]");
    check_output(C, stop, None, shift(dec!(1000)), Fires, "two shifts of 1000 mL [DUTCHER-2014 T3]");
    let one_big =
        Some(vec![interval(dec!(900), hours_before(16), hours_before(8)), interval(dec!(1000), hours_before(8), at())]);
    check_output(C, stop, None, one_big, Passes, "only the last shift reached 1000 mL [DUTCHER-2014 T3]");
    let earlier_missing = Some(vec![interval(dec!(1000), hours_before(8), at())]);
    check_output(C, stop, None, earlier_missing, NotEvaluated, "the earlier shift is not recorded [PRODUCT §5.3]");
    let gap =
        Some(vec![interval(dec!(50), hours_before(8), hours_before(5)), interval(dec!(50), hours_before(3), at())]);
    check_output(
        C,
        Rule::ConsensusStopUrineBelow80Shift,
        gap,
        None,
        NotEvaluated,
        "a 2-h gap leaves the shift uncovered [PRODUCT §9.10]",
    );
    let hour_gap =
        Some(vec![interval(dec!(30), hours_before(8), hours_before(5)), interval(dec!(30), hours_before(4), at())]);
    check_output(
        C,
        Rule::ConsensusStopUrineBelow80Shift,
        hour_gap,
        None,
        Fires,
        "a 1-h gap is allowed [PRODUCT §9.10]",
    );
    let stale = Some(intervals(hours_before(9), 8, 2, dec!(500)));
    check_output(
        C,
        Rule::ConsensusHoldUrine80To160Shift,
        stale,
        None,
        NotEvaluated,
        "last shift ended 9 h ago [PRODUCT §9.11]",
    );
    let ended_8h_ago = Some(intervals(hours_before(8), 8, 2, dec!(100)));
    check_output(
        C,
        Rule::ConsensusHoldUrine80To160Shift,
        ended_8h_ago,
        None,
        Fires,
        "last shift ended exactly 8 h ago [PRODUCT §9.11]",
    );
}

#[test]
fn oliguria_needs_16_hours_below_10_ml_per_hour_and_rising_creatinine() {
    use RuleSet::Label as L;
    let r = Rule::LabelHoldOliguria;
    let slow = |volume: Decimal| Some(intervals(at(), 4, 5, volume));
    // The healthy creatinine rises from 0.9 to 1.0 within 24 h.
    check_output(L, r, slow(dec!(39)), None, Fires, "9.75 mL/h for 20 h [LABEL-OLD]");
    check_output(L, r, slow(dec!(40)), None, Passes, "exactly 10 mL/h is not < 10 [LABEL-OLD]");
    let one_fast = Some(vec![
        interval(dec!(30), hours_before(16), hours_before(12)),
        interval(dec!(120), hours_before(12), hours_before(8)),
        interval(dec!(30), hours_before(8), at()),
    ]);
    check_output(L, r, one_fast, None, Passes, "30 mL/h anywhere settles it [PRODUCT §9.1]");
    let short = Some(intervals(at(), 4, 3, dec!(20)));
    check_output(L, r, short, None, NotEvaluated, "only 12 h recorded [PRODUCT §9.12]");
    let mut assessment = healthy(L);
    assessment.observations.urine_output = intervals(at(), 4, 5, dec!(20));
    assessment.observations.creatinine = vec![reading(dec!(1.4), hours_before(2))];
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, r), NotEvaluated, "a single creatinine has no trend [PRODUCT §9.12]");
    assert!(evaluation.not_evaluated.iter().any(|entry| entry.missing.input == Input::CreatinineTrend));
    assessment.observations.creatinine =
        vec![reading(dec!(1.4), hours_before(20)), reading(dec!(1.4), hours_before(2))];
    assert_eq!(outcome(&run(&assessment), r), Passes, "creatinine not rising [LABEL-OLD]");
}

/// Schedule and course limits: the outcome after changing the course.
fn check_limit(rule: Rule, change: impl Fn(&mut Assessment), expect: Expect, row: &str) {
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let mut assessment = healthy(rule_set);
        change(&mut assessment);
        let evaluation = run(&assessment);
        assert_eq!(outcome(&evaluation, rule), expect, "{row}: {}", rule.id());
        if expect == Fires {
            assert_eq!(evaluation.decision, Decision::NotPermitted, "{row}");
        }
    }
}

#[test]
fn schedule_and_course_limits_apply_under_both_rule_sets() {
    let r = Rule::ProductLimitCycle14;
    check_limit(r, |a| a.course.doses_given_cycle = Some(13), Passes, "13 given [LABEL-2024 T1]");
    check_limit(
        r,
        |a| a.course.doses_given_cycle = Some(14),
        Fires,
        "14 given: the 15th is never give [LABEL-2024 T1]",
    );
    check_limit(r, |a| a.course.doses_given_cycle = None, NotEvaluated, "count unknown [PRODUCT]");
    let r = Rule::ProductLimitCourse28;
    check_limit(r, |a| a.course.doses_given_course = Some(27), Passes, "27 given [LABEL-2024 T1]");
    check_limit(r, |a| a.course.doses_given_course = Some(28), Fires, "28 given [LABEL-2024 T1]");
    let r = Rule::ProductLimitInterval;
    check_limit(r, |a| a.course.last_dose_at = Some(minutes_before(449)), Fires, "7 h 29 min [PRODUCT; DOSING §4]");
    check_limit(r, |a| a.course.last_dose_at = Some(minutes_before(450)), Passes, "7 h 30 min [PRODUCT]");
    check_limit(r, |a| a.course.last_dose_at = Some(minutes_before(451)), Passes, "7 h 31 min [PRODUCT]");
    check_limit(r, |a| a.course.last_dose_at = None, NotEvaluated, "doses given, no last dose time [PRODUCT §9.7]");
    check_limit(
        r,
        |a| {
            a.course.last_dose_at = None;
            a.course.doses_given_cycle = Some(0);
            a.course.doses_given_course = Some(0);
        },
        Passes,
        "the first dose needs no last dose time [PRODUCT §9.7]",
    );
    let r = Rule::ProductLimitOutsideCycleWindow;
    let started = |text: &'static str| move |a: &mut Assessment| a.course.started_at = t(text);
    check_limit(r, started("2026-11-22T16:00:01Z"), Passes, "last second of day 5 [LABEL-2024 T1; PRODUCT §9.6]");
    check_limit(r, started("2026-11-22T16:00:00Z"), Fires, "day 6 begins [LABEL-2024 T1]");
    check_limit(r, started("2026-11-13T16:00:01Z"), Fires, "last second of day 14 [LABEL-2024 T1]");
    check_limit(r, started("2026-11-13T16:00:00Z"), Passes, "day 15 begins [LABEL-2024 T1]");
    check_limit(r, started("2026-11-13T15:59:59Z"), Passes, "day 15 [LABEL-2024 T1]");
    check_limit(r, started("2026-11-08T16:00:01Z"), Passes, "day 19 [LABEL-2024 T1]");
    check_limit(r, started("2026-11-08T16:00:00Z"), Fires, "day 20 [LABEL-2024 T1]");
    let r = Rule::ProductLimitPreparationExpired;
    let prepared = |minutes: i64| move |a: &mut Assessment| a.course.prepared_at = Some(minutes_before(minutes));
    check_limit(r, prepared(48 * 60 - 16), Passes, "ends 1 min before expiry [HANDBOOK]");
    check_limit(r, prepared(48 * 60 - 15), Passes, "ends exactly at expiry [HANDBOOK; PRODUCT §9.8]");
    check_limit(r, prepared(48 * 60 - 14), Fires, "ends 1 min after expiry [HANDBOOK]");
    check_limit(Rule::ProductLimitCourseDiscontinued, |a| a.course.discontinued = true, Fires, "[PRODUCT]");
    check_limit(
        Rule::ProductLimitRetreatmentContraindicated,
        |a| a.patient.flags.push(PatientFlag::Il2RetreatmentContraindicated),
        Fires,
        "[LABEL-OLD Contraindications]",
    );
}

#[test]
fn the_strongest_action_wins_and_every_fired_rule_is_reported() {
    let mut assessment = healthy(RuleSet::Label);
    sbp(&mut assessment, dec!(86));
    assessment.course.doses_given_cycle = Some(14);
    with_findings(&mut assessment, &[(FindingCode::VentricularTachycardia, FindingValue::Beats(7), hours_before(4))]);
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::DiscontinuePermanently);
    let ids: Vec<Rule> = evaluation.fired.iter().map(|fired| fired.rule).collect();
    assert_eq!(ids, [Rule::LabelStopVtSustained, Rule::ProductLimitCycle14, Rule::LabelHoldSbpBelow90]);
    assert_eq!(evaluation.sets_flag, Some(PatientFlag::Il2RetreatmentContraindicated));

    let mut assessment = healthy(RuleSet::Consensus);
    with_findings(&mut assessment, &[(FindingCode::HepaticFailureSigns, FindingValue::Flag(true), hours_before(1))]);
    assessment.course.doses_given_course = Some(28);
    assert_eq!(run(&assessment).decision, Decision::DiscontinueCourse, "discontinue beats a course limit");

    let mut assessment = healthy(RuleSet::Label);
    sbp(&mut assessment, dec!(86));
    assessment.course.last_dose_at = Some(hours_before(7));
    assert_eq!(run(&assessment).decision, Decision::NotPermitted, "a limit beats a hold");

    let mut assessment = healthy(RuleSet::Label);
    sbp(&mut assessment, dec!(86));
    assessment.observations.creatinine.clear();
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::Hold, "a hold beats insufficient data");
    assert!(!evaluation.not_evaluated.is_empty(), "the missing inputs are still listed");
}

#[test]
fn missing_data_makes_the_decision_insufficient_never_give() {
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let mut assessment = healthy(rule_set);
        assessment.observations.systolic_bp.clear();
        let evaluation = run(&assessment);
        assert_eq!(evaluation.decision, Decision::InsufficientData, "{rule_set:?}");
        assert!(
            evaluation
                .not_evaluated
                .iter()
                .all(|entry| entry.missing.input == Input::Observation(ObservationCode::SystolicBp))
        );

        let mut assessment = healthy(rule_set);
        assessment.findings = Findings::new(false, []);
        let evaluation = run(&assessment);
        assert_eq!(evaluation.decision, Decision::InsufficientData, "unanswered findings are not absent");
        assert!(
            evaluation
                .not_evaluated
                .iter()
                .any(|entry| entry.missing.input == Input::Finding(FindingCode::AtrialFibrillation))
        );
    }
}

#[test]
fn staleness_is_inclusive_at_the_maximum_age_and_never_falls_back_to_an_older_value() {
    let mut assessment = healthy(RuleSet::Label);
    assessment.observations.systolic_bp = vec![reading(dec!(120), hours_before(4))];
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldSbpBelow90), Passes, "exactly 4 h old is used [PRODUCT §9.2]");
    assessment.observations.systolic_bp = vec![reading(dec!(120), hours_before(4) - SignedDuration::from_secs(1))];
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldSbpBelow90), NotEvaluated, "4 h 1 s old is stale");
    assessment.observations.systolic_bp = vec![reading(dec!(120), hours_before(3)), reading(dec!(85), hours_before(5))];
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldSbpBelow90), Passes, "the latest governs");
    assessment.observations.creatinine = vec![reading(dec!(1.0), hours_before(24))];
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldCreatinineAbove4_5), Passes, "24 h old lab is used");
    let evaluation = {
        assessment.observations.creatinine = vec![reading(dec!(1.0), hours_before(25))];
        run(&assessment)
    };
    let entry = evaluation.not_evaluated.iter().find(|entry| entry.rule == Rule::LabelHoldCreatinineAbove4_5).unwrap();
    assert_eq!(entry.missing.reason, MissingReason::Stale { at: hours_before(25) });
}

#[test]
fn positive_findings_count_whatever_their_age_and_negative_ones_only_while_fresh() {
    use FindingCode as F;
    let mut assessment = healthy(RuleSet::Label);
    with_findings(&mut assessment, &[(F::AtrialFibrillation, FindingValue::Flag(true), hours_before(30))]);
    assert_eq!(
        outcome(&run(&assessment), Rule::LabelHoldAtrialFibrillation),
        Fires,
        "old AF still counts [PRODUCT §9.2]"
    );
    let mut assessment = healthy(RuleSet::Label);
    with_findings(&mut assessment, &[(F::AtrialFibrillation, FindingValue::Flag(false), hours_before(4))]);
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldAtrialFibrillation), Passes, "absent 4 h ago is used");
    let mut assessment = healthy(RuleSet::Label);
    with_findings(&mut assessment, &[(F::AtrialFibrillation, FindingValue::Flag(false), hours_before(5))]);
    assert_eq!(
        outcome(&run(&assessment), Rule::LabelHoldAtrialFibrillation),
        NotEvaluated,
        "absent 5 h ago is stale, even when reviewed"
    );
    let mut assessment = healthy(RuleSet::Label);
    with_findings(
        &mut assessment,
        &[
            (F::AtrialFibrillation, FindingValue::Flag(true), hours_before(20)),
            (F::AtrialFibrillation, FindingValue::Flag(false), hours_before(1)),
        ],
    );
    assert_eq!(outcome(&run(&assessment), Rule::LabelHoldAtrialFibrillation), Passes, "a newer answer replaces it");
    let mut assessment = healthy(RuleSet::Label);
    with_findings(&mut assessment, &[(F::LethargySomnolence, FindingValue::Word(W::Mild), hours_before(6))]);
    assert_eq!(
        outcome(&run(&assessment), Rule::LabelHoldLethargySomnolence),
        NotEvaluated,
        "stale mild cannot show < moderate now"
    );
}

fn pending(rule_set: RuleSet, rule: Rule, change: impl Fn(&mut Assessment)) -> Evaluation {
    let mut assessment = healthy(rule_set);
    assessment.course.pending_holds = vec![rule];
    change(&mut assessment);
    run(&assessment)
}

fn is_pending(evaluation: &Evaluation, rule: Rule) -> bool {
    evaluation.resume_pending.iter().any(|pending| pending.rule == rule)
}

#[test]
fn a_pending_hold_stays_until_its_resume_condition_is_met() {
    use FindingCode as F;
    let r = Rule::LabelHoldSpo2Below90;
    let evaluation = pending(RuleSet::Label, r, |a| spo2(a, dec!(90)));
    assert!(
        is_pending(&evaluation, r) && evaluation.decision == Decision::Hold,
        "90 % stays held [LABEL-2024 §2.4 T2]"
    );
    let evaluation = pending(RuleSet::Label, r, |a| spo2(a, dec!(91)));
    assert_eq!(evaluation.decision, Decision::Give, "91 % resumes");
    let evaluation = pending(RuleSet::Label, r, |a| a.observations.spo2.clear());
    assert!(is_pending(&evaluation, r), "missing resume input keeps the hold [PRODUCT §9.3]");
    assert_eq!(evaluation.resume_pending[0].missing[0].input, Input::Observation(ObservationCode::Spo2));

    let r = Rule::LabelHoldAtrialFibrillation;
    let evaluation = pending(RuleSet::Label, r, |_| {});
    assert!(is_pending(&evaluation, r), "reviewed findings imply asymptomatic = no [PRODUCT §2.2]");
    let resolved = |a: &mut Assessment| {
        with_findings(
            a,
            &[
                (F::Asymptomatic, FindingValue::Flag(true), hours_before(1)),
                (F::NormalSinusRhythm, FindingValue::Flag(true), hours_before(1)),
            ],
        )
    };
    assert_eq!(pending(RuleSet::Label, r, resolved).decision, Decision::Give);
    let stale_yes = |a: &mut Assessment| {
        with_findings(
            a,
            &[
                (F::Asymptomatic, FindingValue::Flag(true), hours_before(5)),
                (F::NormalSinusRhythm, FindingValue::Flag(true), hours_before(1)),
            ],
        )
    };
    assert!(is_pending(&pending(RuleSet::Label, r, stale_yes), r), "an old yes cannot end a hold");

    let r = Rule::LabelHoldSbpBelow90;
    let recovered = |pressor: Word| {
        move |a: &mut Assessment| {
            sbp(a, dec!(95));
            with_findings(
                a,
                &[
                    (F::Asymptomatic, FindingValue::Flag(true), hours_before(1)),
                    (F::PressorRequirement, FindingValue::Word(pressor), hours_before(1)),
                ],
            );
        }
    };
    assert_eq!(pending(RuleSet::Label, r, recovered(Word::Stable)).decision, Decision::Give, "[LABEL-OLD]");
    assert!(is_pending(&pending(RuleSet::Label, r, recovered(Word::Increasing)), r), "rising pressors [LABEL-OLD]");

    let r = Rule::ConsensusHoldSinusTachycardia;
    assert_eq!(pending(RuleSet::Consensus, r, |a| heart_rate(a, dec!(100))).decision, Decision::Hold);
    assert_eq!(pending(RuleSet::Consensus, r, |a| heart_rate(a, dec!(99))).decision, Decision::Give);
}

#[test]
fn pending_holds_the_active_set_does_not_run_are_ignored_and_reported() {
    let evaluation = pending(RuleSet::Label, Rule::ConsensusHoldVividDreams, |_| {});
    assert_eq!(evaluation.decision, Decision::Give);
    assert_eq!(evaluation.pending_ignored, [Rule::ConsensusHoldVividDreams]);
}

#[test]
fn three_relative_criteria_at_once_stop_the_consensus_course() {
    use FindingCode as F;
    let mut assessment = healthy(RuleSet::Consensus);
    with_findings(
        &mut assessment,
        &[
            (F::VividDreams, FindingValue::Flag(true), hours_before(1)),
            (F::AnxietyMild, FindingValue::Flag(true), hours_before(1)),
        ],
    );
    assessment.course.holds_this_cycle = Some(0);
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::Hold, "two relative criteria [SPRINGERPLUS-2015 T1]");
    heart_rate(&mut assessment, dec!(110));
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::DiscontinueCourse, "three [SPRINGERPLUS-2015 T1]");
    assert_eq!(outcome(&evaluation, Rule::ConsensusStopThreeRelative), Fires);
    let mut assessment = healthy(RuleSet::Consensus);
    with_findings(
        &mut assessment,
        &[
            (F::VividDreams, FindingValue::Flag(true), hours_before(1)),
            (F::AnxietyMild, FindingValue::Flag(true), hours_before(1)),
        ],
    );
    assessment.course.holds_this_cycle = Some(0);
    assessment.observations.heart_rate.clear();
    assert_eq!(outcome(&run(&assessment), Rule::ConsensusStopThreeRelative), NotEvaluated, "a third could be missing");
    assessment.course.pending_holds = vec![Rule::ConsensusHoldSinusTachycardia];
    let evaluation = run(&assessment);
    assert!(is_pending(&evaluation, Rule::ConsensusHoldSinusTachycardia));
    assert_eq!(evaluation.decision, Decision::Hold, "pending holds do not count [PRODUCT §9.4]");
}

#[test]
fn a_third_hold_in_a_cycle_stops_the_consensus_course() {
    for (holds, expect, row) in [
        (1, Decision::Hold, "second hold [SPRINGERPLUS-2015 T1]"),
        (2, Decision::DiscontinueCourse, "third hold [SPRINGERPLUS-2015 T1]"),
        (3, Decision::DiscontinueCourse, "fourth hold [SPRINGERPLUS-2015 T1]"),
    ] {
        let mut assessment = healthy(RuleSet::Consensus);
        assessment.course.holds_this_cycle = Some(holds);
        sbp(&mut assessment, dec!(85));
        assert_eq!(run(&assessment).decision, expect, "{row}");
    }
    let mut assessment = healthy(RuleSet::Consensus);
    assessment.course.holds_this_cycle = Some(2);
    sbp(&mut assessment, dec!(85));
    assessment.course.doses_given_cycle = Some(14);
    assert_eq!(run(&assessment).decision, Decision::NotPermitted, "a not_permitted slot is not a hold [PRODUCT §1]");
    let mut assessment = healthy(RuleSet::Label);
    assessment.course.holds_this_cycle = Some(5);
    sbp(&mut assessment, dec!(85));
    assert_eq!(run(&assessment).decision, Decision::Hold, "the label set has no count rule");
}

#[test]
fn every_rule_has_a_known_source_a_unique_id_and_holds_have_a_resume_condition() {
    let mut ids = std::collections::HashSet::new();
    for &rule in ALL_RULES {
        assert!(rule.source().is_known(), "{}: {}", rule.id(), rule.source());
        assert!(ids.insert(rule.id()), "duplicate id {}", rule.id());
        assert_eq!(rule.is_hold(), rule.resume_when().is_some(), "{}", rule.id());
        assert_eq!(Rule::from_id(rule.id()), Some(rule));
    }
    assert_eq!(Rule::of_set(RuleSet::Label).count(), 38);
    assert_eq!(Rule::of_set(RuleSet::Consensus).count(), 79);
}

#[test]
fn phenylephrine_is_zero_only_when_none_is_charted_and_no_pressor_is_needed() {
    let rule = Rule::ConsensusHoldPhenylephrineAtDose;
    let evaluation = run(&healthy(RuleSet::Consensus));
    assert_eq!(outcome(&evaluation, rule), Passes, "reviewed findings imply pressor_requirement = none [PRODUCT §2.1]");
    let mut assessment = healthy(RuleSet::Consensus);
    with_findings(
        &mut assessment,
        &[(FindingCode::PressorRequirement, FindingValue::Word(W::Stable), hours_before(1))],
    );
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, rule), NotEvaluated, "a pressor is needed but no rate is charted [PRODUCT §5]");
    assert_eq!(evaluation.decision, Decision::InsufficientData);
}

#[test]
fn renal_and_oliguria_holds_resume_only_on_their_full_conditions() {
    use FindingCode as F;
    let renal = Rule::LabelHoldCreatinineAbove4_5;
    let stable = |a: &mut Assessment| {
        with_findings(a, &[(F::FluidElectrolytesStable, FindingValue::Flag(true), hours_before(1))]);
    };
    let evaluation = pending(RuleSet::Label, renal, |a| {
        creatinine(a, dec!(4.0));
        stable(a);
    });
    assert!(is_pending(&evaluation, renal), "creatinine 4.0 is not < 4.0 [LABEL-OLD]");
    let evaluation = pending(RuleSet::Label, renal, |a| {
        creatinine(a, dec!(3.99));
        stable(a);
    });
    assert_eq!(evaluation.decision, Decision::Give, "3.99 with stable fluids resumes [LABEL-OLD]");
    assert!(is_pending(&pending(RuleSet::Label, renal, |a| creatinine(a, dec!(3.5))), renal), "fluids not attested");

    let oliguria = Rule::LabelHoldOliguria;
    // The healthy patient makes 100 mL/h; creatinine 1.0 is within the female default ULN 1.04 (GRADING §2).
    assert_eq!(pending(RuleSet::Label, oliguria, |_| {}).decision, Decision::Give, "[LABEL-OLD; PRODUCT §9.13]");
    let low_flow = |a: &mut Assessment| a.observations.urine_output = intervals(at(), 4, 6, dec!(40));
    assert!(is_pending(&pending(RuleSet::Label, oliguria, low_flow), oliguria), "exactly 10 mL/h is not > 10");
    let high_creatinine = |a: &mut Assessment| {
        a.observations.creatinine = vec![reading(dec!(3.0), hours_before(30)), reading(dec!(2.0), hours_before(2))];
    };
    assert!(is_pending(&pending(RuleSet::Label, oliguria, high_creatinine), oliguria), "fell by 1.0 only, above ULN");
    let fallen = |a: &mut Assessment| {
        a.observations.creatinine = vec![reading(dec!(3.6), hours_before(30)), reading(dec!(2.0), hours_before(2))];
    };
    assert_eq!(pending(RuleSet::Label, oliguria, fallen).decision, Decision::Give, "fell by 1.6 from its peak");
}

#[test]
fn the_oxygen_hold_resumes_when_no_device_is_needed_and_stays_at_3_litres() {
    use FindingCode as F;
    let rule = Rule::ConsensusHoldOxygen3To4L;
    assert_eq!(
        pending(RuleSet::Consensus, rule, |_| {}).decision,
        Decision::Give,
        "device none = flow 0 [PRODUCT §9.14]"
    );
    let mask = |a: &mut Assessment| {
        a.observations.oxygen_flow = vec![reading(dec!(3), hours_before(1))];
        a.observations.fio2 = vec![reading(dec!(30), hours_before(1))];
        with_findings(a, &[(F::O2Device, FindingValue::Word(W::FaceMask), hours_before(1))]);
    };
    assert!(is_pending(&pending(RuleSet::Consensus, rule, mask), rule), "flow 3 L/min is not < 3 [DUTCHER-2014 T3]");
}

#[test]
fn held_three_times_cannot_be_decided_without_the_hold_count() {
    let mut assessment = healthy(RuleSet::Consensus);
    assessment.course.holds_this_cycle = None;
    sbp(&mut assessment, dec!(85));
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::Hold);
    assert_eq!(outcome(&evaluation, Rule::ConsensusStopHeldThreeTimes), NotEvaluated, "[SPRINGERPLUS-2015 T1]");
    assert!(evaluation.not_evaluated.iter().any(|entry| entry.missing.input == Input::HoldsThisCycle));
}

#[test]
fn a_stale_positive_finding_still_stops_and_a_coma_sets_mental_status_to_severe() {
    let mut assessment = healthy(RuleSet::Label);
    with_findings(&mut assessment, &[(FindingCode::Coma, FindingValue::Hours(dec!(50)), hours_before(20))]);
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::DiscontinuePermanently, "[LABEL-2024 §2.4 T2; PRODUCT §9.2]");
    assert_eq!(outcome(&evaluation, Rule::LabelHoldMentalStatusChange), Fires);
}

#[test]
fn evaluation_never_fails_on_extreme_times() {
    let mut assessment = healthy(RuleSet::Consensus);
    assessment.at = Timestamp::MIN;
    assessment.course.started_at = Timestamp::MIN;
    assessment.course.last_dose_at = None;
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::InsufficientData, "no last dose time although doses were given");
    let mut assessment = healthy(RuleSet::Label);
    assessment.at = Timestamp::MAX;
    assert_eq!(run(&assessment).decision, Decision::NotPermitted);
}

// ---- the safety envelope (ASSESSMENT §10, amendment of 2026-12-04) ----

fn found(assessment: &mut Assessment, code: FindingCode, value: FindingValue, when: Timestamp) {
    with_findings(assessment, &[(code, value, when)]);
}

/// The rules of the envelope: the outcome of `rule` and the decision after `change`, under `rule_set`.
fn check_envelope(
    rule_set: RuleSet,
    rule: Rule,
    change: impl Fn(&mut Assessment),
    expect: Expect,
    decision: Decision,
    row: &str,
) {
    let mut assessment = healthy(rule_set);
    change(&mut assessment);
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, rule), expect, "{row}: {} ({rule_set:?}) {evaluation:#?}", rule.id());
    assert_eq!(evaluation.decision, decision, "{row}: decision ({rule_set:?})");
}

#[test]
fn the_findings_of_the_review_never_give_under_label() {
    use FindingCode as F;
    let present = FindingValue::Flag(true);
    for (code, row) in [
        (F::Hallucinations, "hallucinations [LABEL-2024 §2.4 T2; ASSESSMENT §10.1]"),
        (F::FrankBlood, "frank blood [PRODUCT; ASSESSMENT §10.1]"),
        (F::CardiacEnzymesElevated, "raised troponin [PRODUCT; ASSESSMENT §10.1]"),
        (F::MoistDesquamation, "moist desquamation [PRODUCT; ASSESSMENT §10.1]"),
        (F::VentricularEctopy, "ventricular ectopy [PRODUCT; ASSESSMENT §10.1]"),
        (F::InfectionSuspectedOrDocumented, "infection [PRODUCT; ASSESSMENT §10.1]"),
    ] {
        let mut assessment = healthy(RuleSet::Label);
        found(&mut assessment, code, present, hours_before(1));
        let evaluation = run(&assessment);
        assert_eq!(evaluation.decision, Decision::Hold, "{row}");
    }
    let mut assessment = healthy(RuleSet::Label);
    platelets(&mut assessment, dec!(8));
    let evaluation = run(&assessment);
    assert_eq!(evaluation.decision, Decision::Hold, "platelets 8 x10^3/uL: grade 4 [CTCAE-5; ASSESSMENT §10.1]");
    assert_eq!(outcome(&evaluation, Rule::ProductHoldGrade4), Fires);
}

#[test]
fn an_unread_finding_holds_and_names_the_rule_of_the_other_set() {
    use FindingCode as F;
    use FindingValue::*;
    use RuleSet::{Consensus as C, Label as L};
    let r = Rule::ProductHoldUnreadFinding;
    let rows: &[(RuleSet, FindingCode, FindingValue, Expect, Decision, &str)] = &[
        (L, F::FrankBlood, Flag(true), Fires, Decision::Hold, "read only by consensus [PRODUCT §10.1]"),
        (L, F::FrankBlood, Flag(false), Passes, Decision::Give, "recorded absent [PRODUCT §10.1]"),
        (L, F::RalesExtent, Word(W::LowerThird), Fires, Decision::Hold, "a scale word other than none [§10.1]"),
        (L, F::RalesExtent, Word(W::None), Passes, Decision::Give, "none [PRODUCT §10.1]"),
        (L, F::O2Device, Word(W::NasalCannula), Fires, Decision::Hold, "oxygen device under label [§10.1]"),
        (L, F::CognitiveScreenFailed, Word(W::Yes), Fires, Decision::Hold, "failed screen [PRODUCT §10.1]"),
        (L, F::CognitiveScreenFailed, Word(W::NotDone), Passes, Decision::Give, "not done [PRODUCT §9.17]"),
        (L, F::MentalStatusChangeHours, Hours(dec!(0.5)), Fires, Decision::Hold, "hours > 0 [PRODUCT §10.1]"),
        (L, F::MentalStatusChangeHours, Hours(dec!(0)), Passes, Decision::Give, "0 h [PRODUCT §10.1]"),
        (L, F::PressorRequirement, Word(W::Stable), Passes, Decision::Give, "read by a label resume [§3.1]"),
        (L, F::LethargySomnolence, Word(W::Mild), Passes, Decision::Give, "read by label, below its threshold"),
        (L, F::VentricularTachycardia, Beats(3), Passes, Decision::Give, "read by label, below 5 beats [T2]"),
        (C, F::Acidosis, Flag(true), Fires, Decision::Hold, "read only by a label hold [PRODUCT §10.1]"),
        (C, F::Hyperkalemia, Flag(true), Fires, Decision::Hold, "read only by a label hold [PRODUCT §10.1]"),
        (C, F::SevereVolumeOverload, Flag(false), Passes, Decision::Give, "absent [PRODUCT §10.1]"),
        (C, F::FrankBlood, Flag(true), Passes, Decision::DiscontinueCourse, "read by consensus [DUTCHER-2014 T3]"),
    ];
    for &(rule_set, code, value, expect, decision, row) in rows {
        check_envelope(rule_set, r, |a| found(a, code, value, hours_before(1)), expect, decision, row);
    }
    check_envelope(
        L,
        r,
        |a| found(a, F::FrankBlood, Flag(true), hours_before(30)),
        Fires,
        Decision::Hold,
        "a present finding counts whatever its age [PRODUCT §9.2]",
    );
    check_envelope(L, r, |_| {}, Passes, Decision::Give, "implied absent by findings_reviewed is not present [§2.2]");

    let mut assessment = healthy(L);
    found(&mut assessment, F::FrankBlood, Flag(true), hours_before(1));
    let evaluation = run(&assessment);
    let fired = evaluation.fired.iter().find(|fired| fired.rule == r).unwrap();
    match fired.evidence[..] {
        [super::logic::Evidence::UnreadFinding { code, other_set, .. }] => {
            assert_eq!((code, other_set), (F::FrankBlood, C));
            assert_eq!(Rule::readers(code, other_set).collect::<Vec<_>>(), [Rule::ConsensusStopFrankBlood]);
        }
        ref other => panic!("unexpected evidence {other:?}"),
    }
    assert!(Rule::unread_findings(C).iter().all(|code| Rule::readers(*code, L).next().is_some()));
    assert!(!Rule::unread_findings(L).contains(&F::PressorRequirement), "read by a label resume condition");
    assert!(!Rule::unread_findings(L).contains(&F::Asymptomatic), "yes/no resume inputs report nothing");
}

#[test]
fn a_pending_unread_finding_hold_resumes_only_when_the_finding_is_recorded_absent() {
    use FindingCode as F;
    let r = Rule::ProductHoldUnreadFinding;
    let still = pending(RuleSet::Label, r, |a| found(a, F::FrankBlood, FindingValue::Flag(true), hours_before(1)));
    assert_eq!(still.decision, Decision::Hold, "still present [PRODUCT §10.1]");
    let absent = pending(RuleSet::Label, r, |a| found(a, F::FrankBlood, FindingValue::Flag(false), hours_before(1)));
    assert_eq!(absent.decision, Decision::Give, "recorded absent [PRODUCT §10.1]");
    let reviewed = pending(RuleSet::Label, r, |_| {});
    assert_eq!(reviewed.decision, Decision::Give, "every unlisted finding attested absent [§2.2]");
    let not_reviewed = pending(RuleSet::Label, r, |a| {
        let listed: Vec<Finding> = a.findings.listed().collect();
        a.findings = Findings::new(false, listed);
    });
    assert!(is_pending(&not_reviewed, r), "unanswered is not absent [PRODUCT §5]");
    let stale_absent =
        pending(RuleSet::Label, r, |a| found(a, F::FrankBlood, FindingValue::Flag(false), hours_before(5)));
    assert!(is_pending(&stale_absent, r), "an absent answer 5 h old cannot end the hold [PRODUCT §9.2]");
}

#[test]
fn a_grade_4_holds_under_both_rule_sets_except_lymphocytes() {
    let r = Rule::ProductHoldGrade4;
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let hold = Decision::Hold;
        let give = Decision::Give;
        let stop = Decision::DiscontinueCourse;
        let low_platelets = if rule_set == RuleSet::Label { give } else { stop };
        let plt = |v| move |a: &mut Assessment| platelets(a, v);
        check_envelope(rule_set, r, plt(dec!(25)), Passes, low_platelets, "plt 25 is G3 [CTCAE-5]");
        let g4 = if rule_set == RuleSet::Label { hold } else { stop };
        check_envelope(rule_set, r, plt(dec!(24.9)), Fires, g4, "plt 24.9 is G4 [CTCAE-5; PRODUCT §10.1]");
        let potassium = |v| move |a: &mut Assessment| a.observations.potassium = vec![reading(v, hours_before(2))];
        check_envelope(rule_set, r, potassium(dec!(7.0)), Passes, give, "K 7.0 is G3 [CTCAE-5]");
        check_envelope(rule_set, r, potassium(dec!(7.1)), Fires, hold, "K 7.1 is G4 [CTCAE-5]");
        check_envelope(rule_set, r, potassium(dec!(2.5)), Passes, give, "K 2.5 is G3 [CTCAE-5]");
        check_envelope(rule_set, r, potassium(dec!(2.4)), Fires, hold, "K 2.4 is G4 [CTCAE-5]");
        let sodium = |v| move |a: &mut Assessment| a.observations.sodium = vec![reading(v, hours_before(2))];
        check_envelope(rule_set, r, sodium(dec!(120)), Passes, give, "Na 120 is G3 [CTCAE-5]");
        check_envelope(rule_set, r, sodium(dec!(119.9)), Fires, hold, "Na 119.9 is G4 [CTCAE-5]");
        check_envelope(rule_set, r, sodium(dec!(160)), Passes, give, "Na 160 is G3 [CTCAE-5]");
        check_envelope(rule_set, r, sodium(dec!(160.1)), Fires, hold, "Na 160.1 is G4 [CTCAE-5]");
        let lymphocytes = |v| move |a: &mut Assessment| a.observations.lymphocytes = vec![reading(v, hours_before(2))];
        check_envelope(rule_set, r, lymphocytes(dec!(0.1)), Passes, give, "lymphocytes G4 never hold [GRADING §1]");
        let anc = |v| move |a: &mut Assessment| a.observations.anc = vec![reading(v, hours_before(2))];
        check_envelope(rule_set, r, anc(dec!(0.5)), Passes, give, "ANC 0.5 is G3 [CTCAE-5]");
        check_envelope(rule_set, r, anc(dec!(0.49)), Fires, hold, "ANC 0.49 is G4 [CTCAE-5]");
        let creatinine_6x = |v| move |a: &mut Assessment| a.observations.creatinine = vec![reading(v, hours_before(2))];
        let cr_g3 = if rule_set == RuleSet::Label { hold } else { stop };
        check_envelope(rule_set, r, creatinine_6x(dec!(6.24)), Passes, cr_g3, "Cr 6 x ULN 1.04 is G3 [CTCAE-5]");
    }
    let mut assessment = healthy(RuleSet::Label);
    assessment.observations.platelets = vec![reading(dec!(8), hours_before(25))];
    let evaluation = run(&assessment);
    assert_eq!(outcome(&evaluation, r), NotEvaluated, "an aged-out grade 4 cannot show below 4 [PRODUCT §9.2]");
    assert_eq!(evaluation.decision, Decision::InsufficientData);
    assessment.observations.platelets = vec![reading(dec!(8), hours_before(25)), reading(dec!(30), hours_before(2))];
    assert_eq!(outcome(&run(&assessment), r), Passes, "a newer result governs [PRODUCT §9.2]");
    let resumed = pending(RuleSet::Label, r, |a| platelets(a, dec!(100)));
    assert_eq!(resumed.decision, Decision::Give, "grade below 4 resumes [PRODUCT §10.1]");
    let still = pending(RuleSet::Label, r, |a| a.observations.platelets = vec![reading(dec!(8), hours_before(25))]);
    assert!(is_pending(&still, r), "an old grade-4 result keeps the hold [PRODUCT §10.1]");
}

#[test]
fn the_grade_4_pass_of_the_decision_finds_exactly_the_grade_4_of_the_full_grading() {
    use crate::grading::{grade_four, graded, holds_a_dose};
    let changes: [fn(&mut Assessment); 7] = [
        |_| {},
        |a| platelets(a, dec!(8)),
        |a| a.observations.potassium = vec![reading(dec!(7.1), hours_before(2))],
        |a| a.observations.sodium = vec![reading(dec!(119), hours_before(2)), reading(dec!(140), hours_before(30))],
        |a| a.observations.lymphocytes = vec![reading(dec!(0.1), hours_before(2))],
        |a| a.observations.platelets = vec![reading(dec!(8), hours_before(25))],
        |a| {
            creatinine(a, dec!(7));
            a.observations.anc = vec![reading(dec!(0.3), hours_before(2))];
            a.observations.hemoglobin = vec![reading(dec!(6), hours_before(2))];
        },
    ];
    for change in changes {
        let mut assessment = healthy(RuleSet::Label);
        change(&mut assessment);
        let max_ages = Parameters::default().max_ages;
        let (full, four) = (graded(&assessment, &max_ages), grade_four(&assessment, &max_ages));
        let full_fours: Vec<_> = full.grades.iter().filter(|g| holds_a_dose(g.term, g.grade)).copied().collect();
        assert_eq!(four.grades, full_fours, "[ASSESSMENT §10.1; GRADING §1]");
        assert_eq!(four.stale_grade_four, full.stale_grade_four);
    }
}

#[test]
fn chest_pain_stops_only_with_ecg_changes_and_holds_until_an_ecg_is_recorded() {
    use FindingCode as F;
    use FindingValue::Flag;
    let (stop, hold) = (Rule::LabelStopChestPainAngina, Rule::ProductHoldChestPainEcgPending);
    let pain = |a: &mut Assessment| found(a, F::ChestPainAngina, Flag(true), hours_before(2));
    let with_ecg = |ecg: bool, when: i64| {
        move |a: &mut Assessment| {
            pain(a);
            found(a, F::EcgIschemiaChanges, Flag(ecg), hours_before(when));
        }
    };
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let row = "chest pain, ECG implied absent by findings_reviewed is not an ECG [PRODUCT §10.1]";
        check_envelope(rule_set, hold, pain, Fires, Decision::Hold, row);
        check_envelope(rule_set, stop, pain, Passes, Decision::Hold, "chest pain alone [LABEL-OLD Table 1]");
        check_envelope(rule_set, hold, with_ecg(false, 3), Fires, Decision::Hold, "ECG before the pain [§10.1]");
        check_envelope(rule_set, hold, with_ecg(false, 2), Passes, Decision::Give, "ECG at the pain's time [§10.1]");
        check_envelope(rule_set, hold, with_ecg(false, 1), Passes, Decision::Give, "ECG after the pain [§10.1]");
        let stopped = if rule_set == RuleSet::Label {
            Decision::DiscontinuePermanently
        } else {
            Decision::DiscontinueCourse.min(Decision::DiscontinuePermanently)
        };
        check_envelope(rule_set, stop, with_ecg(true, 1), Fires, stopped, "chest pain with ECG changes [T2]");
        let absent = |a: &mut Assessment| found(a, F::ChestPainAngina, Flag(false), hours_before(1));
        check_envelope(rule_set, hold, absent, Passes, Decision::Give, "no chest pain [PRODUCT §10.1]");
    }
    let evaluation = pending(RuleSet::Label, hold, |a| found(a, F::ChestPainAngina, Flag(false), hours_before(1)));
    assert!(is_pending(&evaluation, hold), "pain gone but no ECG recorded [PRODUCT §10.1]");
    let evaluation = pending(RuleSet::Label, hold, with_ecg(false, 1));
    assert_eq!(evaluation.decision, Decision::Give, "ECG absent after the pain resumes [PRODUCT §10.1]");
}

#[test]
fn a_hallucination_keeps_a_pending_mental_status_hold() {
    let r = Rule::LabelHoldMentalStatusChange;
    let evaluation = pending(RuleSet::Label, r, |a| {
        found(a, FindingCode::Hallucinations, FindingValue::Flag(true), hours_before(1))
    });
    assert_eq!(evaluation.decision, Decision::Hold, "[LABEL-2024 §2.4 T2; ASSESSMENT §10.1]");
    assert_eq!(pending(RuleSet::Label, r, |_| {}).decision, Decision::Give, "resolved [LABEL-2024 §2.4 T2]");
}

#[test]
fn oxygen_above_room_air_after_device_none_leaves_the_device_open() {
    use FindingCode as F;
    let none_at =
        |when: i64| move |a: &mut Assessment| found(a, F::O2Device, FindingValue::Word(W::None), hours_before(when));
    let flow = |value: Decimal, when: i64| {
        move |a: &mut Assessment| {
            none_at(2)(a);
            a.observations.oxygen_flow = vec![reading(value, hours_before(when))];
        }
    };
    let fio2 = |value: Decimal| {
        move |a: &mut Assessment| {
            none_at(2)(a);
            a.observations.fio2 = vec![reading(value, hours_before(1))];
        }
    };
    let (hold, stop) = (Rule::ConsensusHoldOxygen3To4L, Rule::ConsensusStopOxygenAbove4L);
    let c = RuleSet::Consensus;
    let open = Decision::InsufficientData;
    check_envelope(c, hold, flow(dec!(2), 1), NotEvaluated, open, "2 L/min after device none [PRODUCT §10.2]");
    check_envelope(c, stop, flow(dec!(2), 1), NotEvaluated, open, "2 L/min after device none [PRODUCT §10.2]");
    check_envelope(c, hold, flow(dec!(0), 1), Passes, Decision::Give, "0 L/min is room air [PRODUCT §10.2]");
    check_envelope(c, hold, flow(dec!(2), 3), Passes, Decision::Give, "flow before the device entry [§10.2]");
    check_envelope(c, stop, fio2(dec!(21)), Passes, Decision::Give, "FiO2 21 % is room air [PRODUCT §10.2]");
    check_envelope(c, stop, fio2(dec!(22)), NotEvaluated, open, "FiO2 22 % after device none [PRODUCT §10.2]");
    let implied = |a: &mut Assessment| a.observations.oxygen_flow = vec![reading(dec!(3), hours_before(1))];
    check_envelope(c, hold, implied, NotEvaluated, open, "implied none does not outweigh a recorded flow [§10.2]");
    let unread = Rule::ProductHoldUnreadFinding;
    let label = RuleSet::Label;
    check_envelope(label, unread, flow(dec!(2), 1), NotEvaluated, open, "label: device open [PRODUCT §10.2]");
    let evaluation = pending(c, hold, flow(dec!(1), 1));
    assert!(is_pending(&evaluation, hold), "the device must be settled to resume [PRODUCT §10.2]");
}

#[test]
fn two_answers_of_one_finding_at_one_instant_resolve_toward_holding_whatever_their_order() {
    use FindingCode as F;
    let at = hours_before(1);
    let yes = Finding { code: F::AtrialFibrillation, value: FindingValue::Flag(true), at };
    let no = Finding { code: F::AtrialFibrillation, value: FindingValue::Flag(false), at };
    for order in [[yes, no], [no, yes]] {
        let findings = Findings::new(true, order);
        assert_eq!(findings.latest(F::AtrialFibrillation), Some(yes), "[PRODUCT §10.2]");
    }
    let resumed = Finding { code: F::Asymptomatic, value: FindingValue::Flag(true), at };
    let not = Finding { code: F::Asymptomatic, value: FindingValue::Flag(false), at };
    for order in [[resumed, not], [not, resumed]] {
        assert_eq!(Findings::new(true, order).latest(F::Asymptomatic), Some(not), "`no` keeps a hold [§10.2]");
    }
    let mild = Finding { code: F::MentalStatusChange, value: FindingValue::Word(W::Mild), at };
    let severe = Finding { code: F::MentalStatusChange, value: FindingValue::Word(W::Severe), at };
    for order in [[mild, severe], [severe, mild]] {
        assert_eq!(Findings::new(true, order).latest(F::MentalStatusChange), Some(severe), "[PRODUCT §10.2]");
    }
}

mod invariants {
    use proptest::prelude::*;

    use super::*;

    fn decimal(low: i64, high: i64) -> impl Strategy<Value = Decimal> {
        (low * 100..=high * 100).prop_map(|n| Decimal::new(n, 2))
    }

    proptest! {
        /// Whatever the values, evaluation returns a decision; `give` only when every rule was evaluated,
        /// none fired and no hold is pending; the decision is the strongest fired action (ASSESSMENT §1, §5).
        #[test]
        fn the_decision_always_follows_precedence(
            systolic in decimal(40, 300),
            heart in decimal(20, 250),
            saturation in decimal(50, 100),
            creatinine_value in decimal(0, 25),
            platelet_count in decimal(0, 2000),
            urine in decimal(0, 2000),
            intubated_hours in decimal(0, 100),
            vitals_age_minutes in 0i64..600,
            consensus in any::<bool>(),
        ) {
            let rule_set = if consensus { RuleSet::Consensus } else { RuleSet::Label };
            let mut assessment = healthy(rule_set);
            assessment.observations.systolic_bp = vec![reading(systolic, minutes_before(vitals_age_minutes))];
            heart_rate(&mut assessment, heart);
            spo2(&mut assessment, saturation);
            creatinine(&mut assessment, creatinine_value);
            platelets(&mut assessment, platelet_count);
            assessment.observations.urine_output = intervals(at(), 4, 6, urine);
            with_findings(&mut assessment, &[(FindingCode::Intubated, FindingValue::Hours(intubated_hours), hours_before(1))]);
            let evaluation = run(&assessment);
            let strongest = evaluation.fired.iter().map(|fired| fired.rule.action().decision()).min();
            match evaluation.decision {
                Decision::Give => prop_assert!(evaluation.fired.is_empty() && evaluation.not_evaluated.is_empty() && evaluation.resume_pending.is_empty()),
                Decision::InsufficientData => prop_assert!(evaluation.fired.is_empty() && !evaluation.not_evaluated.is_empty()),
                decision => prop_assert_eq!(Some(decision), strongest),
            }
            if vitals_age_minutes > 240 {
                prop_assert!(evaluation.decision != Decision::Give, "a stale blood pressure never gives");
            }
        }
    }
}
