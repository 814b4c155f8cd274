//! Table tests of every triage rule at its boundaries (each row citing its source), the escalations, the
//! unanswered items, and the safety properties as property tests. Test code only.

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::units::{Measure, MillimetresMercury, Quantity, Unit};

fn cel(value: Decimal) -> (Item, Answer) {
    let quantity = Quantity { value, unit: Unit::Celsius };
    (Item::Temperature, Answer::Temperature(Temperature::new(quantity).unwrap()))
}

fn degf(value: Decimal) -> (Item, Answer) {
    let quantity = Quantity { value, unit: Unit::Fahrenheit };
    (Item::Temperature, Answer::Temperature(Temperature::new(quantity).unwrap()))
}

fn sbp(value: Decimal) -> (Item, Answer) {
    (Item::HomeSystolicBp, Answer::SystolicPressure(MillimetresMercury::new(value).unwrap()))
}

fn yes(item: Item) -> (Item, Answer) {
    (item, Answer::YesNo(true))
}

fn no(item: Item) -> (Item, Answer) {
    (item, Answer::YesNo(false))
}

fn sev(item: Item, severity: Severity) -> (Item, Answer) {
    (item, Answer::Severity(severity))
}

fn count(item: Item, n: u32) -> (Item, Answer) {
    (item, Answer::Count(n))
}

fn hours(value: Decimal) -> (Item, Answer) {
    (Item::FluidsNotKeptDownHours, Answer::Hours(value))
}

fn site(look: InjectionSiteLook) -> (Item, Answer) {
    (Item::InjectionSite, Answer::InjectionSiteLook(look))
}

fn checkin(answers: &[(Item, Answer)]) -> CheckIn {
    let mut checkin = CheckIn::new(Timestamp::UNIX_EPOCH);
    for &(item, answer) in answers {
        checkin.answer(item, answer).unwrap();
    }
    checkin
}

/// One table row: `why` names the row and cites its source; `fired` lists the rule ids expected (any order).
#[track_caller]
fn check(why: &str, answers: &[(Item, Answer)], level: Level, fired: &[&str]) {
    let result = triage(&checkin(answers));
    let mut got: Vec<&str> = result.fired.iter().map(|entry| entry.rule.id()).collect();
    got.dedup();
    let mut want = fired.to_vec();
    want.sort_unstable();
    let mut got_sorted = got.clone();
    got_sorted.sort_unstable();
    assert_eq!((result.level, got_sorted), (level, want), "{why}");
}

use Item as I;
use Level::{CallNow as NOW, CallToday as TODAY, Emergency as EMERGENCY, SelfCare as SELF};
use Severity::{Mild, Moderate, None as NoneSeverity, Severe, VerySevere};

#[test]
fn temperature_rules_trigger_at_their_limits_in_celsius_and_fahrenheit() {
    check("T1 EDU: just below 38.0 Cel is no fever", &[cel(dec!(37.9))], SELF, &[]);
    check("T1 EDU+PRODUCT: 38.0 Cel itself is a fever", &[cel(dec!(38.0))], NOW, &["triage.fever"]);
    check("T1 EDU: above 38.0 Cel is a fever", &[cel(dec!(38.1))], NOW, &["triage.fever"]);
    check("T1 EDU: 100.3 degF is no fever", &[degf(dec!(100.3))], SELF, &[]);
    check("T1 EDU+PRODUCT: 100.4 degF itself is a fever", &[degf(dec!(100.4))], NOW, &["triage.fever"]);
    check("T1 EDU: 100.5 degF is a fever", &[degf(dec!(100.5))], NOW, &["triage.fever"]);
    check("T2 UKONS: 35.9 Cel is too cold", &[cel(dec!(35.9))], NOW, &["triage.hypothermia"]);
    check("T2 UKONS: 36.0 Cel is not below 36.0", &[cel(dec!(36.0))], SELF, &[]);
    check("T2 UKONS: 36.1 Cel is normal", &[cel(dec!(36.1))], SELF, &[]);
    check("T2 UKONS: 96.7 degF is too cold", &[degf(dec!(96.7))], NOW, &["triage.hypothermia"]);
    check("T2 UKONS: 96.8 degF is 36.0 Cel, not below", &[degf(dec!(96.8))], SELF, &[]);
}

#[test]
fn feeling_feverish_counts_only_without_a_thermometer_reading() {
    check("T3 UKONS+PRODUCT: feverish, no temperature", &[yes(I::FeelsFeverish)], NOW, &["triage.feverish-unmeasured"]);
    check("T3 UKONS+PRODUCT: not feverish", &[no(I::FeelsFeverish)], SELF, &[]);
    check("T3 UKONS+PRODUCT: a normal reading answers it", &[yes(I::FeelsFeverish), cel(dec!(37.2))], SELF, &[]);
    check("T3+T1 EDU: a fever reading wins", &[yes(I::FeelsFeverish), cel(dec!(38.2))], NOW, &["triage.fever"]);
}

#[test]
fn chills_are_self_care_until_they_shake() {
    check("T5 EDU: no chills", &[sev(I::Chills, NoneSeverity)], SELF, &[]);
    check("T5 EDU: mild chills", &[sev(I::Chills, Mild)], SELF, &["triage.chills"]);
    check("T5 EDU: moderate chills", &[sev(I::Chills, Moderate)], SELF, &["triage.chills"]);
    check("T4 UKONS: severe (shaking) chills", &[sev(I::Chills, Severe)], NOW, &["triage.rigors"]);
    check("T4 UKONS: very severe chills", &[sev(I::Chills, VerySevere)], NOW, &["triage.rigors"]);
}

#[test]
fn every_sign_of_infection_means_call_now() {
    for item in [I::SoreThroat, I::Cough, I::ColdSymptoms, I::BurningUrination, I::SoreNotHealing] {
        check("T6 EDU: infection sign", &[yes(item)], NOW, &["triage.infection-sign"]);
        check("T6 EDU: infection sign answered no", &[no(item)], SELF, &[]);
    }
    check("T6 EDU: two signs are one rule", &[yes(I::Cough), yes(I::SoreThroat)], NOW, &["triage.infection-sign"]);
}

#[test]
fn breathing_and_chest_pain_rules() {
    check("T7 EDU: no breathlessness", &[sev(I::ShortOfBreath, NoneSeverity)], SELF, &[]);
    check("T7 EDU: mild breathlessness", &[sev(I::ShortOfBreath, Mild)], NOW, &["triage.breathless"]);
    check("T7 EDU: moderate breathlessness", &[sev(I::ShortOfBreath, Moderate)], NOW, &["triage.breathless"]);
    check("T8 PRODUCT: severe", &[sev(I::ShortOfBreath, Severe)], EMERGENCY, &["triage.breathless-severe"]);
    check("T8 PRODUCT: very severe", &[sev(I::ShortOfBreath, VerySevere)], EMERGENCY, &["triage.breathless-severe"]);
    check("T9 PRODUCT: chest pain", &[yes(I::ChestPain)], EMERGENCY, &["triage.chest-pain"]);
    check("T9 PRODUCT: no chest pain", &[no(I::ChestPain)], SELF, &[]);
}

#[test]
fn capillary_leak_signs() {
    check("T10 EDU: lightheaded", &[yes(I::Lightheaded)], NOW, &["triage.lightheaded"]);
    check("T10 EDU: not lightheaded", &[no(I::Lightheaded)], SELF, &[]);
    check("T11 PRODUCT: fainted", &[yes(I::Fainted)], EMERGENCY, &["triage.fainted"]);
    check("T11 PRODUCT: did not faint", &[no(I::Fainted)], SELF, &[]);
    check("T12 EDU: sudden swelling", &[yes(I::SuddenSwelling)], NOW, &["triage.swelling"]);
    check("T12 EDU: no swelling", &[no(I::SuddenSwelling)], SELF, &[]);
    check("T13 EDU+LABEL: 89 mm[Hg] is low", &[sbp(dec!(89))], NOW, &["triage.low-bp"]);
    check("T13 EDU+LABEL: 89.9 mm[Hg] is low", &[sbp(dec!(89.9))], NOW, &["triage.low-bp"]);
    check("T13 EDU+LABEL: 90 mm[Hg] is not below 90", &[sbp(dec!(90))], SELF, &[]);
    check("T13 EDU+LABEL: 91 mm[Hg] is fine", &[sbp(dec!(91))], SELF, &[]);
}

#[test]
fn fluids_and_vomiting_rules() {
    check("T14 EDU: 11.9 hours without fluids", &[hours(dec!(11.9))], SELF, &[]);
    check("T14 EDU+PRODUCT: 12 hours itself is too long", &[hours(dec!(12))], NOW, &["triage.fluids"]);
    check("T14 EDU: 13 hours", &[hours(dec!(13))], NOW, &["triage.fluids"]);
    check("T15 PRODUCT: 2 vomits", &[count(I::VomitingEpisodes24h, 2)], SELF, &[]);
    check("T15 PRODUCT: 3 vomits", &[count(I::VomitingEpisodes24h, 3)], TODAY, &["triage.vomiting"]);
    check("T15 PRODUCT: 5 vomits", &[count(I::VomitingEpisodes24h, 5)], TODAY, &["triage.vomiting"]);
    check("T16 PRODUCT: 6 vomits", &[count(I::VomitingEpisodes24h, 6)], NOW, &["triage.vomiting-severe"]);
    check("T16 PRODUCT: 7 vomits", &[count(I::VomitingEpisodes24h, 7)], NOW, &["triage.vomiting-severe"]);
    check("T17 EDU: no nausea", &[sev(I::Nausea, NoneSeverity)], SELF, &[]);
    check("T17 EDU: mild nausea", &[sev(I::Nausea, Mild)], SELF, &["triage.nausea"]);
    check("T17 EDU: moderate nausea", &[sev(I::Nausea, Moderate)], SELF, &["triage.nausea"]);
    check("T18 PRODUCT: severe nausea", &[sev(I::Nausea, Severe)], TODAY, &["triage.nausea-severe"]);
    check("T18 PRODUCT: very severe nausea", &[sev(I::Nausea, VerySevere)], TODAY, &["triage.nausea-severe"]);
}

#[test]
fn diarrhea_follows_ctcae_grades_of_extra_stools() {
    check("T19 EDU+CTCAE-5: 0 extra stools", &[count(I::ExtraStools24h, 0)], SELF, &[]);
    check("T19 EDU+CTCAE-5 grade 1: 1 extra", &[count(I::ExtraStools24h, 1)], SELF, &["triage.diarrhea"]);
    check("T19 EDU+CTCAE-5 grade 1: 3 extra", &[count(I::ExtraStools24h, 3)], SELF, &["triage.diarrhea"]);
    check("T20 CTCAE-5 grade 2: 4 extra", &[count(I::ExtraStools24h, 4)], TODAY, &["triage.diarrhea-moderate"]);
    check("T20 CTCAE-5 grade 2: 6 extra", &[count(I::ExtraStools24h, 6)], TODAY, &["triage.diarrhea-moderate"]);
    check("T21 CTCAE-5 grade 3: 7 extra", &[count(I::ExtraStools24h, 7)], NOW, &["triage.diarrhea-severe"]);
    check("T21 CTCAE-5 grade 3: 8 extra", &[count(I::ExtraStools24h, 8)], NOW, &["triage.diarrhea-severe"]);
}

#[test]
fn skin_rules() {
    check("T22 EDU: new rash", &[yes(I::Rash)], TODAY, &["triage.rash"]);
    check("T22 EDU: no rash", &[no(I::Rash)], SELF, &[]);
    check("T23 LABEL: blisters or peeling", &[yes(I::SkinBlistersOrPeeling)], NOW, &["triage.blisters"]);
    check("T23 LABEL: no blisters", &[no(I::SkinBlistersOrPeeling)], SELF, &[]);
    check("T24 EDU: no itch", &[sev(I::Itching, NoneSeverity)], SELF, &[]);
    check("T24 EDU: mild itch", &[sev(I::Itching, Mild)], SELF, &["triage.itch"]);
    check("T24 EDU: moderate itch", &[sev(I::Itching, Moderate)], SELF, &["triage.itch"]);
    check("T25 PRODUCT: severe itch", &[sev(I::Itching, Severe)], TODAY, &["triage.itch-severe"]);
    check("T25 PRODUCT: very severe itch", &[sev(I::Itching, VerySevere)], TODAY, &["triage.itch-severe"]);
}

#[test]
fn bleeding_rules() {
    check("T26 EDU: easy bruising", &[yes(I::UnusualBruising)], TODAY, &["triage.bruising"]);
    check("T26 EDU: no bruising", &[no(I::UnusualBruising)], SELF, &[]);
    check("T27 EDU+PRODUCT: any bleeding", &[yes(I::Bleeding)], NOW, &["triage.bleeding"]);
    check("T27 EDU+PRODUCT: no bleeding", &[no(I::Bleeding)], SELF, &[]);
    check("T28 PRODUCT: bleeding will not stop", &[yes(I::BleedingWontStop)], EMERGENCY, &["triage.bleeding-severe"]);
    check("T28 PRODUCT: bleeding stops", &[no(I::BleedingWontStop)], SELF, &[]);
}

#[test]
fn liver_and_belly_rules() {
    check("T29 EDU: yellow skin", &[yes(I::YellowSkinOrEyes)], TODAY, &["triage.liver"]);
    check("T29 EDU: dark urine", &[yes(I::DarkUrine)], TODAY, &["triage.liver"]);
    check("T29 EDU: both signs are one rule", &[yes(I::DarkUrine), yes(I::YellowSkinOrEyes)], TODAY, &["triage.liver"]);
    check("T29 EDU: neither", &[no(I::DarkUrine), no(I::YellowSkinOrEyes)], SELF, &[]);
    check("T30 EDU: no belly pain", &[sev(I::AbdominalPain, NoneSeverity)], SELF, &[]);
    check("T30 EDU: mild belly pain", &[sev(I::AbdominalPain, Mild)], TODAY, &["triage.abdominal-pain"]);
    check("T30 EDU: moderate belly pain", &[sev(I::AbdominalPain, Moderate)], TODAY, &["triage.abdominal-pain"]);
    check("T31 LABEL: severe belly pain", &[sev(I::AbdominalPain, Severe)], NOW, &["triage.abdominal-pain-severe"]);
    check("T31 LABEL: very severe", &[sev(I::AbdominalPain, VerySevere)], NOW, &["triage.abdominal-pain-severe"]);
}

#[test]
fn kidney_rules() {
    check("T32 EDU: less urine", &[yes(I::LessUrine)], TODAY, &["triage.kidney"]);
    check("T32 EDU: swollen ankles", &[yes(I::AnkleSwelling)], TODAY, &["triage.kidney"]);
    check("T32 EDU: neither", &[no(I::LessUrine), no(I::AnkleSwelling)], SELF, &[]);
    check("T33 PRODUCT: no urine for 12 hours", &[yes(I::NoUrine12h)], NOW, &["triage.no-urine"]);
    check("T33 PRODUCT: some urine", &[no(I::NoUrine12h)], SELF, &[]);
}

#[test]
fn mouth_sore_rules_step_up_with_severity() {
    check("T34 EDU: no sores", &[sev(I::MouthSores, NoneSeverity)], SELF, &[]);
    check("T34 EDU: mild sores", &[sev(I::MouthSores, Mild)], SELF, &["triage.mouth"]);
    check("T35 EDU: painful sores", &[sev(I::MouthSores, Moderate)], TODAY, &["triage.mouth-moderate"]);
    check("T36 CTCAE-5 grade 3: cannot eat", &[sev(I::MouthSores, Severe)], NOW, &["triage.mouth-severe"]);
    check("T36 CTCAE-5 grade 3: very severe", &[sev(I::MouthSores, VerySevere)], NOW, &["triage.mouth-severe"]);
}

#[test]
fn neurologic_rules() {
    check("T37 LABEL: new confusion", &[yes(I::Confusion)], NOW, &["triage.confusion"]);
    check("T37 LABEL: no confusion", &[no(I::Confusion)], SELF, &[]);
    check("T38 LABEL: hard to wake", &[yes(I::HardToWake)], EMERGENCY, &["triage.unresponsive"]);
    check("T38 LABEL: seizure", &[yes(I::Seizure)], EMERGENCY, &["triage.unresponsive"]);
    check("T38 LABEL: neither", &[no(I::HardToWake), no(I::Seizure)], SELF, &[]);
}

#[test]
fn fatigue_appetite_and_aches_rules() {
    check("T39 EDU: no fatigue", &[sev(I::Fatigue, NoneSeverity)], SELF, &[]);
    check("T39 EDU: mild fatigue", &[sev(I::Fatigue, Mild)], SELF, &["triage.fatigue"]);
    check("T39 EDU: moderate fatigue", &[sev(I::Fatigue, Moderate)], SELF, &["triage.fatigue"]);
    check("T40 PRODUCT: severe fatigue", &[sev(I::Fatigue, Severe)], TODAY, &["triage.fatigue-severe"]);
    check("T40 PRODUCT: very severe", &[sev(I::Fatigue, VerySevere)], TODAY, &["triage.fatigue-severe"]);
    check("T41 EDU: appetite fine", &[sev(I::AppetiteLoss, NoneSeverity)], SELF, &[]);
    check("T41 EDU: appetite a bit low", &[sev(I::AppetiteLoss, Mild)], SELF, &["triage.appetite"]);
    check("T41 EDU: appetite moderately low", &[sev(I::AppetiteLoss, Moderate)], SELF, &["triage.appetite"]);
    check("T42 PRODUCT: appetite severely low", &[sev(I::AppetiteLoss, Severe)], TODAY, &["triage.appetite-severe"]);
    check("T42 PRODUCT: very severe", &[sev(I::AppetiteLoss, VerySevere)], TODAY, &["triage.appetite-severe"]);
    check("T43 EDU: no aches", &[sev(I::Aches, NoneSeverity)], SELF, &[]);
    check("T43 EDU: mild aches", &[sev(I::Aches, Mild)], SELF, &["triage.aches"]);
    check("T43 EDU: very severe aches stay self-care", &[sev(I::Aches, VerySevere)], SELF, &["triage.aches"]);
}

#[test]
fn injection_site_and_pregnancy_rules() {
    check("T44 PRODUCT: normal site", &[site(InjectionSiteLook::None)], SELF, &[]);
    check("T44 PRODUCT: red or sore site", &[site(InjectionSiteLook::RedOrSore)], SELF, &[]);
    check("T44 PRODUCT: spreading", &[site(InjectionSiteLook::SpreadingWarmOrPus)], TODAY, &["triage.injection-site"]);
    check("T45 EDU: may be pregnant", &[yes(I::MayBePregnant)], TODAY, &["triage.pregnancy"]);
    check("T45 EDU: not pregnant", &[no(I::MayBePregnant)], SELF, &[]);
}

#[test]
fn two_different_call_today_rules_escalate_to_call_now() {
    check("step 2 UKONS: one amber stays amber", &[yes(I::Rash)], TODAY, &["triage.rash"]);
    check(
        "step 2 UKONS: two different ambers make call_now",
        &[yes(I::Rash), count(I::VomitingEpisodes24h, 3)],
        NOW,
        &["triage.rash", "triage.vomiting", "triage.escalation.two-amber"],
    );
    check(
        "step 2 UKONS: the same rule twice is one rule",
        &[yes(I::LessUrine), yes(I::AnkleSwelling)],
        TODAY,
        &["triage.kidney"],
    );
    check(
        "step 2 UKONS: self-care rules do not count",
        &[yes(I::Rash), sev(I::Fatigue, Mild), sev(I::Nausea, Moderate)],
        TODAY,
        &["triage.rash", "triage.fatigue", "triage.nausea"],
    );
}

#[test]
fn fever_with_a_danger_sign_is_an_emergency() {
    let fever = cel(dec!(38.5));
    check("step 3 PRODUCT: fever alone", &[fever], NOW, &["triage.fever"]);
    check(
        "step 3 PRODUCT: fever with confusion",
        &[fever, yes(I::Confusion)],
        EMERGENCY,
        &["triage.fever", "triage.confusion", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: fever with systolic 89",
        &[fever, sbp(dec!(89))],
        EMERGENCY,
        &["triage.fever", "triage.low-bp", "triage.sepsis-pattern"],
    );
    check("step 3 PRODUCT: fever with systolic 90", &[fever, sbp(dec!(90))], NOW, &["triage.fever"]);
    check(
        "step 3 PRODUCT: fever with fainting",
        &[fever, yes(I::Fainted)],
        EMERGENCY,
        &["triage.fever", "triage.fainted", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: fever with severe breathlessness",
        &[fever, sev(I::ShortOfBreath, Severe)],
        EMERGENCY,
        &["triage.fever", "triage.breathless-severe", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: moderate breathlessness is not a sepsis sign",
        &[fever, sev(I::ShortOfBreath, Moderate)],
        NOW,
        &["triage.fever", "triage.breathless"],
    );
    check("step 3 PRODUCT: confusion without fever", &[cel(dec!(37.9)), yes(I::Confusion)], NOW, &["triage.confusion"]);
    check(
        "step 3 PRODUCT: 38.0 Cel itself with confusion",
        &[cel(dec!(38.0)), yes(I::Confusion)],
        EMERGENCY,
        &["triage.fever", "triage.confusion", "triage.sepsis-pattern"],
    );
}

#[test]
fn a_low_temperature_with_a_danger_sign_is_the_sepsis_pattern() {
    check(
        "step 3 PRODUCT+UKONS: 35.9 Cel with confusion",
        &[cel(dec!(35.9)), yes(I::Confusion)],
        EMERGENCY,
        &["triage.hypothermia", "triage.confusion", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT+UKONS: 36.0 Cel is no temperature sign",
        &[cel(dec!(36.0)), yes(I::Confusion)],
        NOW,
        &["triage.confusion"],
    );
    check(
        "step 3 PRODUCT+UKONS: 36.1 Cel with confusion",
        &[cel(dec!(36.1)), yes(I::Confusion)],
        NOW,
        &["triage.confusion"],
    );
    check(
        "step 3 PRODUCT+UKONS: 96.7 degF with systolic 89",
        &[degf(dec!(96.7)), sbp(dec!(89))],
        EMERGENCY,
        &["triage.hypothermia", "triage.low-bp", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT+UKONS: 96.8 degF with systolic 89 (not below 36.0 Cel)",
        &[degf(dec!(96.8)), sbp(dec!(89))],
        NOW,
        &["triage.low-bp"],
    );
    check(
        "step 3 PRODUCT+UKONS: 35.5 Cel with systolic 90",
        &[cel(dec!(35.5)), sbp(dec!(90))],
        NOW,
        &["triage.hypothermia"],
    );
    check(
        "step 3 PRODUCT+UKONS: 35.5 Cel with severe breathlessness",
        &[cel(dec!(35.5)), sev(I::ShortOfBreath, Severe)],
        EMERGENCY,
        &["triage.hypothermia", "triage.breathless-severe", "triage.sepsis-pattern"],
    );
}

#[test]
fn feeling_feverish_without_a_thermometer_with_a_danger_sign_is_the_sepsis_pattern() {
    check(
        "step 3 PRODUCT: feverish without a reading, with confusion",
        &[yes(I::FeelsFeverish), yes(I::Confusion)],
        EMERGENCY,
        &["triage.feverish-unmeasured", "triage.confusion", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, systolic 89",
        &[yes(I::FeelsFeverish), sbp(dec!(89))],
        EMERGENCY,
        &["triage.feverish-unmeasured", "triage.low-bp", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, systolic 90",
        &[yes(I::FeelsFeverish), sbp(dec!(90))],
        NOW,
        &["triage.feverish-unmeasured"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, systolic 91",
        &[yes(I::FeelsFeverish), sbp(dec!(91))],
        NOW,
        &["triage.feverish-unmeasured"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, fainted",
        &[yes(I::FeelsFeverish), yes(I::Fainted)],
        EMERGENCY,
        &["triage.feverish-unmeasured", "triage.fainted", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, moderate breathlessness is no sepsis sign",
        &[yes(I::FeelsFeverish), sev(I::ShortOfBreath, Moderate)],
        NOW,
        &["triage.feverish-unmeasured", "triage.breathless"],
    );
    check(
        "step 3 PRODUCT: feverish without a reading, severe breathlessness",
        &[yes(I::FeelsFeverish), sev(I::ShortOfBreath, Severe)],
        EMERGENCY,
        &["triage.feverish-unmeasured", "triage.breathless-severe", "triage.sepsis-pattern"],
    );
    check(
        "step 3 PRODUCT: not feverish, with confusion",
        &[no(I::FeelsFeverish), yes(I::Confusion)],
        NOW,
        &["triage.confusion"],
    );
    check(
        "step 3 PRODUCT: feverish but a normal reading, with confusion (T3 needs no reading)",
        &[yes(I::FeelsFeverish), cel(dec!(37.0)), yes(I::Confusion)],
        NOW,
        &["triage.confusion"],
    );
}

#[test]
fn a_low_home_blood_pressure_with_a_sign_of_shock_is_the_shock_pattern() {
    for (sign, rule) in [
        (I::Lightheaded, "triage.lightheaded"),
        (I::Confusion, "triage.confusion"),
        (I::SuddenSwelling, "triage.swelling"),
    ] {
        check(
            "step 3a PRODUCT: systolic 89 with a sign of shock",
            &[sbp(dec!(89)), yes(sign)],
            EMERGENCY,
            &["triage.low-bp", rule, "triage.shock-pattern"],
        );
        check(
            "step 3a PRODUCT: systolic 89.9 with a sign of shock",
            &[sbp(dec!(89.9)), yes(sign)],
            EMERGENCY,
            &["triage.low-bp", rule, "triage.shock-pattern"],
        );
        check("step 3a PRODUCT: systolic 90 is not below 90", &[sbp(dec!(90)), yes(sign)], NOW, &[rule]);
        check("step 3a PRODUCT: systolic 91", &[sbp(dec!(91)), yes(sign)], NOW, &[rule]);
        check("step 3a PRODUCT: the sign answered no", &[sbp(dec!(85)), no(sign)], NOW, &["triage.low-bp"]);
    }
    check("step 3a PRODUCT: systolic 89 alone", &[sbp(dec!(89))], NOW, &["triage.low-bp"]);
    check(
        "step 3a PRODUCT: systolic 69 alone",
        &[sbp(dec!(69))],
        EMERGENCY,
        &["triage.low-bp", "triage.shock-pattern"],
    );
    check(
        "step 3a PRODUCT: systolic 69.9 alone",
        &[sbp(dec!(69.9))],
        EMERGENCY,
        &["triage.low-bp", "triage.shock-pattern"],
    );
    check("step 3a PRODUCT: systolic 70 alone is not below 70", &[sbp(dec!(70))], NOW, &["triage.low-bp"]);
    check("step 3a PRODUCT: systolic 71 alone", &[sbp(dec!(71))], NOW, &["triage.low-bp"]);
    check(
        "step 3a PRODUCT: lightheaded without a reading is no shock pattern",
        &[yes(I::Lightheaded)],
        NOW,
        &["triage.lightheaded"],
    );
}

#[test]
fn the_shock_pattern_entry_names_the_pressure_and_the_signs() {
    let result = triage(&checkin(&[sbp(dec!(65)), yes(I::Lightheaded), no(I::SuddenSwelling)]));
    let shock = result.fired.iter().find(|entry| entry.rule == Rule::EscalationShockPattern).unwrap();
    assert_eq!(
        (shock.item_ids().as_str(), shock.answer.as_str()),
        ("home_systolic_bp, lightheaded", "home_systolic_bp 65 mm[Hg] + lightheaded true")
    );
    let alone = triage(&checkin(&[sbp(dec!(60))]));
    let shock = alone.fired.iter().find(|entry| entry.rule == Rule::EscalationShockPattern).unwrap();
    assert_eq!((shock.item_ids().as_str(), shock.answer.as_str()), ("home_systolic_bp", "home_systolic_bp 60 mm[Hg]"));
    assert_eq!(alone.advice, [AdviceTopic::CapillaryLeak]);
}

#[test]
fn a_racing_or_skipping_heartbeat_means_call_now() {
    check("T46 LABEL: palpitations", &[yes(I::Palpitations)], NOW, &["triage.palpitations"]);
    check("T46 LABEL: no palpitations", &[no(I::Palpitations)], SELF, &[]);
    check(
        "T46 LABEL+T9 PRODUCT: palpitations with chest pain",
        &[yes(I::Palpitations), yes(I::ChestPain)],
        EMERGENCY,
        &["triage.palpitations", "triage.chest-pain"],
    );
    let result = triage(&checkin(&[yes(I::Palpitations)]));
    assert_eq!(result.advice, [AdviceTopic::Heart]);
    assert_eq!(triage(&checkin(&[no(I::Palpitations)])).advice, []);
}

#[test]
fn the_most_urgent_rule_wins_and_every_match_is_listed() {
    check(
        "step 1 PRODUCT+EDU: emergency beats the rest",
        &[yes(I::ChestPain), cel(dec!(38.3)), sev(I::Chills, Mild)],
        EMERGENCY,
        &["triage.chest-pain", "triage.fever", "triage.chills"],
    );
}

#[test]
fn unanswered_core_items_are_listed_and_never_read_as_normal() {
    let result = triage(&checkin(&[]));
    assert_eq!(result.unanswered, [Item::Temperature, Item::ShortOfBreath, Item::FluidsNotKeptDownHours]);
    assert!(result.fired.is_empty());
    assert!(!result.complete);
    let feverish_answered = triage(&checkin(&[no(I::FeelsFeverish)]));
    assert_eq!(feverish_answered.unanswered, [Item::ShortOfBreath, Item::FluidsNotKeptDownHours]);
    assert!(!feverish_answered.complete);
    let all = triage(&checkin(&[cel(dec!(37)), hours(dec!(0)), sev(I::ShortOfBreath, NoneSeverity)]));
    assert!(all.unanswered.is_empty());
    assert!(all.complete);
}

#[test]
fn a_check_in_is_complete_only_when_every_core_item_is_answered() {
    let core = [no(I::FeelsFeverish), sev(I::ShortOfBreath, NoneSeverity), hours(dec!(0))];
    assert!(triage(&checkin(&core)).complete, "amendment 1: feels_feverish answers the temperature item");
    for left_out in 0..core.len() {
        let answers: Vec<(Item, Answer)> =
            core.iter().enumerate().filter(|(index, _)| *index != left_out).map(|(_, answer)| *answer).collect();
        let result = triage(&checkin(&answers));
        assert!(!result.complete, "without {:?}", core[left_out].0);
        assert_eq!(result.level, Level::SelfCare, "an incomplete check-in is still triaged");
    }
    let temperature_instead = [cel(dec!(36.8)), sev(I::ShortOfBreath, NoneSeverity), hours(dec!(0))];
    assert!(triage(&checkin(&temperature_instead)).complete);
    let other_items_do_not_count = [yes(I::Rash), sev(I::Fatigue, Mild), no(I::Palpitations)];
    assert!(!triage(&checkin(&other_items_do_not_count)).complete);
}

#[test]
fn advice_covers_every_reported_symptom_even_when_a_more_urgent_level_wins() {
    let result = triage(&checkin(&[
        degf(dec!(100.8)),
        sev(I::Chills, Moderate),
        count(I::ExtraStools24h, 2),
        no(I::Lightheaded),
        count(I::VomitingEpisodes24h, 1),
        site(InjectionSiteLook::RedOrSore),
    ]));
    assert_eq!(result.level, Level::CallNow);
    let ids: Vec<&str> = result.advice.iter().map(|topic| topic.id()).collect();
    assert_eq!(ids, ["fever", "flu_like", "nausea", "diarrhea", "injection_site"]);
    let fever = &result.fired[0];
    assert_eq!(
        (fever.rule, fever.item_ids().as_str(), fever.answer.as_str()),
        (Rule::Fever, "temperature", "100.8 [degF]")
    );
}

#[test]
fn answers_of_the_wrong_kind_or_negative_hours_are_refused() {
    let mut checkin = CheckIn::new(Timestamp::UNIX_EPOCH);
    assert_eq!(checkin.answer(Item::Chills, Answer::YesNo(true)).unwrap_err().field, "chills");
    assert_eq!(
        checkin.answer(Item::FluidsNotKeptDownHours, Answer::Hours(dec!(-1))).unwrap_err().field,
        "fluids_not_kept_down_hours"
    );
}

#[test]
fn every_rule_has_a_known_source_a_distinct_id_and_its_row() {
    for rule in Rule::ALL {
        assert!(rule.source().is_known(), "{rule}: {}", rule.source());
        assert!(rule.id().starts_with("triage."), "{rule}");
        assert_eq!(Rule::ALL.iter().filter(|other| other.id() == rule.id()).count(), 1, "{rule}");
    }
    let rows: Vec<&str> = Rule::ALL.iter().map(|rule| rule.row()).filter(|row| row.starts_with('T')).collect();
    let expected: Vec<String> = (1..=46).map(|n| format!("T{n}")).collect();
    assert_eq!(rows, expected);
}

#[test]
fn every_item_is_in_the_questionnaire_once_with_a_question_and_a_rule() {
    for item in QUESTIONNAIRE {
        assert_eq!(Item::from_id(item.id()), Some(item));
        assert!(item.question().ends_with('?') || item.question().ends_with(')') || item.question().ends_with('.'));
        assert!(Rule::ALL.iter().any(|rule| rule.items().contains(&item)), "{item} has no rule");
    }
    let mut ids: Vec<&str> = QUESTIONNAIRE.iter().map(|item| item.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), QUESTIONNAIRE.len());
}

// ---- Safety properties ----

fn any_answer(item: Item) -> BoxedStrategy<Answer> {
    match item.kind() {
        AnswerKind::Temperature => (250i64..=450)
            .prop_map(|tenths| {
                let quantity = Quantity { value: Decimal::new(tenths, 1), unit: Unit::Celsius };
                Answer::Temperature(Temperature::new(quantity).unwrap())
            })
            .boxed(),
        AnswerKind::SystolicPressure => (40i64..=300)
            .prop_map(|v| Answer::SystolicPressure(MillimetresMercury::new(Decimal::from(v)).unwrap()))
            .boxed(),
        AnswerKind::YesNo => any::<bool>().prop_map(Answer::YesNo).boxed(),
        AnswerKind::Severity => (0usize..5).prop_map(|i| Answer::Severity(Severity::ALL[i])).boxed(),
        AnswerKind::Count => (0u32..12).prop_map(Answer::Count).boxed(),
        AnswerKind::Hours => (0i64..=300).prop_map(|tenths| Answer::Hours(Decimal::new(tenths, 1))).boxed(),
        AnswerKind::InjectionSiteLook => {
            (0usize..3).prop_map(|i| Answer::InjectionSiteLook(InjectionSiteLook::ALL[i])).boxed()
        }
    }
}

/// A random check-in: each item answered or not.
fn any_checkin() -> impl Strategy<Value = CheckIn> {
    let items: Vec<BoxedStrategy<Option<Answer>>> =
        QUESTIONNAIRE.iter().map(|&item| proptest::option::of(any_answer(item)).boxed()).collect();
    items.prop_map(|answers| {
        let mut checkin = CheckIn::new(Timestamp::UNIX_EPOCH);
        for (item, answer) in QUESTIONNAIRE.iter().zip(answers) {
            if let Some(answer) = answer {
                checkin.answer(*item, answer).unwrap();
            }
        }
        checkin
    })
}

/// A worse answer than `current` to `item` (or a first answer that reports a symptom), chosen by `step`.
/// Temperatures move further from 37 Cel; a blood pressure moves down. A first temperature reading is only
/// "worse" when it is itself abnormal: a normal reading is a measurement, not a symptom, and by design it
/// replaces "feels feverish" (T3 applies only without a reading).
fn worsen(item: Item, current: Option<&Answer>, step: u32) -> Option<Answer> {
    let step_decimal = Decimal::from(step);
    match (item.kind(), current) {
        (AnswerKind::Temperature, Some(Answer::Temperature(t))) => {
            let c = t.celsius().value();
            let next = if c >= dec!(37) {
                (c + step_decimal / dec!(10)).min(dec!(45))
            } else {
                (c - step_decimal / dec!(10)).max(dec!(25))
            };
            Some(Answer::Temperature(Temperature::new(Quantity { value: next, unit: Unit::Celsius }).unwrap()))
        }
        (AnswerKind::Temperature, None) => {
            let value = if step.is_multiple_of(2) {
                dec!(38) + Decimal::from(step % 50) / dec!(10)
            } else {
                dec!(35.9) - Decimal::from(step % 50) / dec!(10)
            };
            Some(Answer::Temperature(Temperature::new(Quantity { value, unit: Unit::Celsius }).unwrap()))
        }
        (AnswerKind::SystolicPressure, Some(Answer::SystolicPressure(p))) => {
            Some(Answer::SystolicPressure(MillimetresMercury::new((p.value() - step_decimal).max(dec!(40))).unwrap()))
        }
        (AnswerKind::SystolicPressure, None) => {
            Some(Answer::SystolicPressure(MillimetresMercury::new(dec!(89) - Decimal::from(step % 40)).unwrap()))
        }
        (AnswerKind::YesNo, _) => Some(Answer::YesNo(true)),
        (AnswerKind::Severity, Some(Answer::Severity(s))) => {
            let index = Severity::ALL.iter().position(|x| x == s).unwrap();
            Some(Answer::Severity(Severity::ALL[(index + step as usize).min(4)]))
        }
        (AnswerKind::Severity, _) => Some(Answer::Severity(Severity::ALL[1 + step as usize % 4])),
        (AnswerKind::Count, Some(Answer::Count(n))) => Some(Answer::Count(n + step)),
        (AnswerKind::Count, _) => Some(Answer::Count(1 + step)),
        (AnswerKind::Hours, Some(Answer::Hours(h))) => Some(Answer::Hours(*h + step_decimal)),
        (AnswerKind::Hours, _) => Some(Answer::Hours(Decimal::ONE + step_decimal)),
        (AnswerKind::InjectionSiteLook, Some(Answer::InjectionSiteLook(look))) => {
            let index = InjectionSiteLook::ALL.iter().position(|x| x == look).unwrap();
            Some(Answer::InjectionSiteLook(InjectionSiteLook::ALL[(index + step as usize).min(2)]))
        }
        (AnswerKind::InjectionSiteLook, _) => {
            Some(Answer::InjectionSiteLook(InjectionSiteLook::ALL[1 + step as usize % 2]))
        }
        _ => None,
    }
}

proptest! {
    #[test]
    fn adding_a_symptom_or_worsening_an_answer_never_lowers_the_level(
        checkin in any_checkin(), index in 0usize..QUESTIONNAIRE.len(), step in 0u32..20,
    ) {
        let before = triage(&checkin).level;
        let item = QUESTIONNAIRE[index];
        if let Some(worse) = worsen(item, checkin.get(item), step) {
            let after = triage(&checkin.clone().with(item, worse).unwrap()).level;
            prop_assert!(after >= before, "{item}: {before} -> {after} with {worse}");
        }
    }

    #[test]
    fn the_same_temperature_in_fahrenheit_and_celsius_gives_the_same_level(
        checkin in any_checkin(), tenths in 250i64..=450,
    ) {
        let celsius = Decimal::new(tenths, 1);
        let fahrenheit = celsius * dec!(1.8) + dec!(32);
        let in_celsius = checkin.clone().with(Item::Temperature, cel(celsius).1).unwrap();
        let in_fahrenheit = checkin.with(Item::Temperature, degf(fahrenheit).1).unwrap();
        let (a, b) = (triage(&in_celsius), triage(&in_fahrenheit));
        prop_assert_eq!(a.level, b.level);
        let ids = |r: &TriageResult| r.fired.iter().map(|f| f.rule).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn complete_means_no_core_item_is_unanswered_and_the_patterns_always_mean_emergency(checkin in any_checkin()) {
        let result = triage(&checkin);
        prop_assert_eq!(result.complete, result.unanswered.is_empty());
        let pattern = result.fired.iter().any(|f| {
            matches!(f.rule, Rule::EscalationSepsisPattern | Rule::EscalationShockPattern)
        });
        if pattern {
            prop_assert_eq!(result.level, Level::Emergency);
        }
        // Step 3a, checked independently of the implementation: any systolic below 70 is an emergency.
        if let Some(Answer::SystolicPressure(p)) = checkin.get(Item::HomeSystolicBp)
            && p.value() < SHOCK_SYSTOLIC_MM_HG
        {
            prop_assert_eq!(result.level, Level::Emergency);
        }
    }

    #[test]
    fn every_result_above_self_care_has_a_fired_rule_with_a_known_source(checkin in any_checkin()) {
        let result = triage(&checkin);
        if result.level > Level::SelfCare {
            prop_assert!(result.fired.iter().any(|f| f.level() == result.level && f.rule.source().is_known()));
        }
        for topic in result.fired.iter().filter_map(|f| f.rule.advice()) {
            prop_assert!(result.advice.contains(&topic), "{:?} missing from advice", topic);
        }
    }
}

#[test]
fn escalation_entries_name_the_rules_and_answers_they_combine() {
    let result = triage(&checkin(&[cel(dec!(38.5)), yes(I::Confusion), yes(I::Rash), yes(I::UnusualBruising)]));
    let feverish = triage(&checkin(&[yes(I::FeelsFeverish), yes(I::Fainted)]));
    let sepsis = feverish.fired.iter().find(|entry| entry.rule == Rule::EscalationSepsisPattern).unwrap();
    assert_eq!(
        (sepsis.item_ids().as_str(), sepsis.answer.as_str()),
        ("feels_feverish, fainted", "feels feverish true + fainted true")
    );
    let sepsis = result.fired.iter().find(|entry| entry.rule == Rule::EscalationSepsisPattern).unwrap();
    assert_eq!(
        (sepsis.item_ids().as_str(), sepsis.answer.as_str()),
        ("temperature, confusion", "fever 38.5 Cel + confusion true")
    );
    let amber = result.fired.iter().find(|entry| entry.rule == Rule::EscalationTwoAmber).unwrap();
    assert_eq!(
        (amber.item_ids().as_str(), amber.answer.as_str()),
        ("rash, unusual_bruising", "triage.rash + triage.bruising")
    );
    assert_eq!(result.level, Level::Emergency);
}

#[test]
fn every_rule_has_a_table_test_row() {
    let tests = include_str!("tests.rs");
    for rule in Rule::ALL {
        let short = rule.id().trim_start_matches("triage.");
        assert!(tests.contains(&format!("\"{}\"", rule.id())), "{rule} has no table row ({short})");
    }
}
