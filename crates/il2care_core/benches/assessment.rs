//! Decisions per second of the per-dose assessment for a realistic, already parsed document (one patient on
//! day 3 of cycle 1 with a day of vitals, labs, urine and stool charting and a reviewed finding list), under
//! both rule sets. Measures the core only: no JSON parsing or rendering. Run:
//! `cargo bench -p il2care_core --bench assessment`.

#![allow(clippy::unwrap_used)] // Benchmark set-up: a failed unwrap is a broken fixture.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use il2care_core::assessment::inputs::{
    Assessment, Course, Finding, FindingCode, FindingValue, Findings, Observations, OutputInterval, Patient, Reading,
    Sex, Word,
};
use il2care_core::assessment::thresholds::Parameters;
use il2care_core::assessment::{RuleSet, assess, decide};
use il2care_core::units::Measure;
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn m<M: Measure>(value: Decimal) -> M {
    M::new(value).unwrap()
}

/// A vital sign charted every 2 hours over the last day, as the consensus monitoring plan asks
/// (DUTCHER-2014 T2).
fn vitals<M: Measure>(value: Decimal, at: Timestamp) -> Vec<Reading<M>> {
    (0..12).map(|i| Reading::new(m(value), at - SignedDuration::from_hours(2 * i + 1))).collect()
}

fn document(rule_set: RuleSet) -> Assessment {
    let at: Timestamp = "2026-11-27T16:00:00Z".parse().unwrap();
    let ago = |hours: i64| at - SignedDuration::from_hours(hours);
    let outputs = |hours: i64, count: i64, volume: Decimal| -> Vec<OutputInterval> {
        (0..count)
            .map(|i| OutputInterval { volume: m(volume), start: ago(hours * (i + 1)), end: ago(hours * i) })
            .collect()
    };
    let observations = Observations {
        systolic_bp: vitals(dec!(112), at),
        heart_rate: vitals(dec!(92), at),
        spo2: vitals(dec!(96), at),
        temperature: vitals(dec!(38.1), at),
        weight: vec![Reading::new(m(dec!(84)), ago(10)), Reading::new(m(dec!(82)), ago(34))],
        creatinine: vec![Reading::new(m(dec!(1.3)), ago(10)), Reading::new(m(dec!(1.1)), ago(34))],
        bilirubin_total: vec![Reading::new(m(dec!(1.1)), ago(10))],
        platelets: vec![Reading::new(m(dec!(140)), ago(10))],
        wbc: vec![Reading::new(m(dec!(6.5)), ago(10))],
        anc: vec![Reading::new(m(dec!(4.1)), ago(10))],
        hemoglobin: vec![Reading::new(m(dec!(11.8)), ago(10))],
        alt: vec![Reading::new(m(dec!(38)), ago(10))],
        ast: vec![Reading::new(m(dec!(45)), ago(10))],
        bicarbonate: vec![Reading::new(m(dec!(22)), ago(10))],
        urine_output: outputs(4, 6, dec!(240)),
        stool_output: outputs(8, 3, dec!(150)),
        ..Observations::default()
    };
    let findings = [
        (FindingCode::O2Device, FindingValue::Word(Word::None)),
        (FindingCode::PressorRequirement, FindingValue::Word(Word::None)),
        (FindingCode::MentalStatusChange, FindingValue::Word(Word::None)),
        (FindingCode::RalesExtent, FindingValue::Word(Word::None)),
        (FindingCode::AtrialFibrillation, FindingValue::Flag(false)),
    ]
    .map(|(code, value)| Finding { code, value, at: ago(1) });
    Assessment {
        at,
        rule_set,
        patient: Patient { sex: Sex::Female, baseline_weight: Some(m(dec!(80))), ..Patient::default() },
        course: Course {
            started_at: "2026-11-25T08:00:00Z".parse().unwrap(),
            doses_given_cycle: Some(7),
            doses_given_course: Some(7),
            holds_this_cycle: Some(0),
            last_dose_at: Some(ago(8)),
            pending_holds: Vec::new(),
            discontinued: false,
            prepared_at: Some(ago(2)),
        },
        observations,
        findings: Findings::new(true, findings),
    }
}

fn decisions_per_second(c: &mut Criterion) {
    let parameters = Parameters::default();
    // The decision alone (what the per-dose throughput target is about), and the complete result with the
    // CTCAE grades of the same data.
    let mut decision = c.benchmark_group("decision");
    decision.throughput(Throughput::Elements(1));
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let document = document(rule_set);
        assert_eq!(decide(&document, &parameters).decision, il2care_core::assessment::Decision::Give);
        decision.bench_function(rule_set.id(), |b| b.iter(|| decide(black_box(&document), black_box(&parameters))));
    }
    decision.finish();
    let mut result = c.benchmark_group("decision_with_grades");
    result.throughput(Throughput::Elements(1));
    for rule_set in [RuleSet::Label, RuleSet::Consensus] {
        let document = document(rule_set);
        assert_eq!(assess(&document, &parameters).grades.len(), 12);
        result.bench_function(rule_set.id(), |b| b.iter(|| assess(black_box(&document), black_box(&parameters))));
    }
    result.finish();
}

criterion_group!(benches, decisions_per_second);
criterion_main!(benches);
