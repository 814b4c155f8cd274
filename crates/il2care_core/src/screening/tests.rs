//! Table tests of the screening checklist (every item at its boundaries), the "valid for" windows, the
//! baseline-lab limits, every drug class, the contrast flag and the premedication plan. Each row cites its
//! source. Test code only.

use jiff::civil::date;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::checklist::{ValidFor, age_in_years, lab_concerns};
use super::contrast::{CONTRAST_WARNING_DAYS, notice};
use super::interactions::{DRUGS, DrugKind, match_drugs, normalize};
use super::premedication::{ONDANSETRON, TEMPLATE};
use super::*;
use crate::Source;
use crate::regimens::{REGIMENS, regimen};
use crate::units::{Measure, Quantity, Unit};

const AT: &str = "2026-11-27T12:00:00Z";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn moment(text: &str) -> Moment {
    let instant = ts(text);
    Moment { instant, date: instant.to_zoned(jiff::tz::TimeZone::UTC).date() }
}

/// `days` days of 24 h before the screen's time (negative: after).
fn days_before(days: i64) -> Timestamp {
    ts(AT).checked_sub(jiff::SignedDuration::from_hours(24 * days)).unwrap()
}

fn hd_iv() -> &'static Regimen {
    regimen("hd-iv").unwrap()
}

fn lab(value: LabValue, days_ago: i64) -> LabResult {
    LabResult { value, at: days_before(days_ago), reference_range: None }
}

fn count(value: Decimal) -> CellCount {
    CellCount::new(value).unwrap()
}

fn normal_labs(days_ago: i64) -> Vec<LabResult> {
    vec![
        lab(LabValue::Wbc(count(dec!(6.0))), days_ago),
        lab(LabValue::Anc(count(dec!(3.5))), days_ago),
        lab(LabValue::Platelets(count(dec!(250))), days_ago),
        lab(LabValue::Hemoglobin(Hemoglobin::new(dec!(13.8)).unwrap()), days_ago),
        lab(LabValue::Potassium(MillimolesPerLitre::new(dec!(4.1)).unwrap()), days_ago),
        lab(LabValue::Bicarbonate(MillimolesPerLitre::new(dec!(25)).unwrap()), days_ago),
        lab(LabValue::Creatinine(Creatinine::new(dec!(0.9)).unwrap()), days_ago),
        lab(LabValue::BilirubinTotal(Bilirubin::new(dec!(0.6)).unwrap()), days_ago),
        lab(LabValue::Alt(UnitsPerLitre::new(dec!(22)).unwrap()), days_ago),
        lab(LabValue::Ast(UnitsPerLitre::new(dec!(25)).unwrap()), days_ago),
    ]
}

/// A 52-year-old woman with metastatic melanoma for `hd-iv` for whom every item passes.
fn eligible() -> ScreeningInput {
    let mut patient = Patient::new(date(1974, 3, 9), Sex::Female);
    patient.weight = Some(Kilograms::new(dec!(80)).unwrap());
    patient.reproductive_potential = Some(true);
    patient.pregnancy_test = Some(PregnancyTest { result: PregnancyTestResult::Negative, at: days_before(2) });
    patient.breastfeeding = Some(false);
    patient.contraception_counselled = Some(true);
    let mut input = ScreeningInput::new(moment(AT), hd_iv(), patient);
    input.indication = Some(Indication::MetastaticMelanoma);
    input.history = History {
        hypersensitivity_to_aldesleukin: Some(false),
        cardiac_disease: Some(false),
        lung_disease: Some(false),
        organ_allograft: Some(false),
    };
    input.cardiac = Some(CardiacTests {
        ejection_fraction: Some(Finding::Normal),
        wall_motion: Some(Finding::Normal),
        significant_coronary_artery_disease: Some(false),
        stress_test: Some(Finding::Normal),
        at: days_before(30),
    });
    input.pulmonary = Some(PulmonaryTests {
        fev1: Some(Litres::new(dec!(3.1)).unwrap()),
        fev1_percent_predicted: Some(Percent::new(dec!(92)).unwrap()),
        significant_impairment: Some(false),
        at: days_before(30),
    });
    input.cns = Some(CnsEvaluation { impairment: Some(false), brain_metastases: Some(false), at: days_before(20) });
    input.impairment =
        Some(ImpairmentAssessment { renal: Some(false), hepatic: Some(false), cns: Some(false), at: days_before(3) });
    input.infection = Some(InfectionAssessment { status: InfectionStatus::None, at: days_before(1) });
    input.central_line_planned = Some(false);
    input.performance_status = Some(PerformanceStatus { ecog: 0, at: days_before(3) });
    input.intensive_care_available = Some(true);
    input.education = Education { sheet_given: Some(true), contrast_flag_explained: Some(true) };
    input.labs = normal_labs(2);
    input.previous_courses = Some(Vec::new());
    input.medications = Some(vec![Medication::named("acetaminophen")]);
    input
}

fn result_of(input: &ScreeningInput, item: Item) -> ItemResult {
    screen(input).items.into_iter().find(|result| result.item == item).unwrap()
}

/// The one checklist helper: `change` applied to the eligible patient makes `item` come out `expected`.
fn check(item: Item, expected: Status, source: &'static str, change: impl FnOnce(&mut ScreeningInput)) {
    assert!(Source(source).is_known(), "row cites unknown source {source}");
    let mut input = eligible();
    change(&mut input);
    let result = result_of(&input, item);
    assert_eq!(result.status, expected, "item {} ({}): {:?}", item.number(), source, result.reasons);
    assert!(!result.reasons.is_empty(), "item {} gives its reasons", item.number());
}

fn litres(value: Decimal) -> Option<Litres> {
    Some(Litres::new(value).unwrap())
}

fn percent(value: Decimal) -> Option<Percent> {
    Some(Percent::new(value).unwrap())
}

fn pulmonary(input: &mut ScreeningInput) -> &mut PulmonaryTests {
    input.pulmonary.as_mut().unwrap()
}

fn cardiac(input: &mut ScreeningInput) -> &mut CardiacTests {
    input.cardiac.as_mut().unwrap()
}

fn set_lab(input: &mut ScreeningInput, value: LabValue) {
    input.labs.retain(|lab| lab.value.code() != value.code());
    input.labs.push(lab(value, 2));
}

fn creatinine(value: Decimal) -> LabValue {
    LabValue::Creatinine(Creatinine::new(value).unwrap())
}

fn course(days_ago: i64, response: Response, toxicities: Vec<Toxicity>) -> PreviousCourse {
    PreviousCourse { discharged_at: days_before(days_ago), response, toxicities }
}

#[test]
fn every_item_has_a_number_an_id_a_known_source_and_a_window() {
    for (index, item) in Item::ALL.into_iter().enumerate() {
        assert_eq!(usize::from(item.number()), index + 1);
        assert_eq!(Item::from_number(item.number()), Some(item));
        assert!(item.source().is_known(), "{}", item.id());
        assert!(item.id().starts_with("screen."));
    }
    let mut ids: Vec<_> = Item::ALL.iter().map(|item| item.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 19);
    assert_eq!(Item::CardiacFunction.valid_for(), ValidFor::Months(3));
    assert_eq!(Item::BaselineLabs.valid_for(), ValidFor::Days(14));
    assert_eq!(Item::PregnancyStatus.valid_for(), ValidFor::Days(7));
    assert_eq!(Item::PriorToxicity.valid_for(), ValidFor::Permanent);
}

#[test]
fn the_eligible_patient_passes_every_item_with_reasons_and_validity() {
    let result = screen(&eligible());
    for item in &result.items {
        assert_eq!(item.status, Status::Pass, "item {}: {:?}", item.item.number(), item.reasons);
    }
    assert_eq!(result.status, Status::Pass);
    let labs = result.items.iter().find(|item| item.item == Item::BaselineLabs).unwrap();
    assert_eq!(labs.valid_until, Some(ts("2026-12-09T12:00:00Z")), "2 days old labs, 14-day window");
    let pregnancy = result.items.iter().find(|item| item.item == Item::PregnancyStatus).unwrap();
    assert_eq!(pregnancy.valid_until, Some(ts("2026-12-02T12:00:00Z")), "test 2 days old, 7-day window");
    let cardiac = result.items.iter().find(|item| item.item == Item::CardiacFunction).unwrap();
    assert_eq!(cardiac.valid_until, Some(ts("2027-01-28T12:00:00Z")), "3 calendar months after 2026-10-28");
}

#[test]
fn a_screen_with_no_data_needs_review_on_every_item_and_never_passes() {
    let input = ScreeningInput::new(moment(AT), hd_iv(), Patient::new(date(1970, 1, 1), Sex::Unknown));
    let result = screen(&input);
    for item in &result.items {
        assert_eq!(item.status, Status::NeedsReview, "item {}: {:?}", item.item.number(), item.reasons);
    }
    assert_eq!(result.status, Status::NeedsReview);
}

#[test]
fn item_1_indication_needs_an_adult_with_a_label_indication() {
    check(Item::Indication, Status::Pass, "LABEL-2024 §1", |s| {
        s.indication = Some(Indication::MetastaticRenalCellCarcinoma)
    });
    check(Item::Indication, Status::NeedsReview, "LABEL-2024 §1", |s| s.indication = Some(Indication::Other));
    check(Item::Indication, Status::NeedsReview, "PRODUCT", |s| s.indication = None);
    check(Item::Indication, Status::NeedsReview, "LABEL-2024 §1", |s| s.regimen = regimen("saadoun-2011-sc").unwrap());
    // 18th birthday on the day of the screen: adult.
    check(Item::Indication, Status::Pass, "LABEL-2024 §1", |s| s.patient.date_of_birth = date(2008, 11, 27));
    // One day short of 18.
    check(Item::Indication, Status::NeedsReview, "LABEL-2024 §1", |s| s.patient.date_of_birth = date(2008, 11, 28));
    // 17 at the screen, 18 at the planned course start: the age at the start counts.
    check(Item::Indication, Status::Pass, "LABEL-2024 §1", |s| {
        s.patient.date_of_birth = date(2008, 11, 28);
        s.planned_start = Some(moment("2026-11-28T08:00:00Z"));
    });
}

#[test]
fn ages_are_whole_years_and_a_leap_day_birthday_comes_on_the_first_of_march() {
    assert_eq!(age_in_years(date(2008, 11, 27), date(2026, 11, 27)), 18);
    assert_eq!(age_in_years(date(2008, 11, 28), date(2026, 11, 27)), 17);
    assert_eq!(age_in_years(date(2008, 2, 29), date(2026, 2, 28)), 17);
    assert_eq!(age_in_years(date(2008, 2, 29), date(2026, 3, 1)), 18);
}

#[test]
fn item_2_known_severe_hypersensitivity_fails() {
    check(Item::Hypersensitivity, Status::Fail, "LABEL-2024 §4", |s| {
        s.history.hypersensitivity_to_aldesleukin = Some(true)
    });
    check(Item::Hypersensitivity, Status::NeedsReview, "PRODUCT", |s| s.history.hypersensitivity_to_aldesleukin = None);
}

#[test]
fn item_3_abnormal_cardiac_findings_fail_and_history_needs_review() {
    let src = "LABEL-2024 §4 §2.1";
    check(Item::CardiacFunction, Status::Fail, src, |s| cardiac(s).ejection_fraction = Some(Finding::Abnormal));
    check(Item::CardiacFunction, Status::Fail, src, |s| cardiac(s).wall_motion = Some(Finding::Abnormal));
    check(Item::CardiacFunction, Status::Fail, src, |s| cardiac(s).significant_coronary_artery_disease = Some(true));
    check(Item::CardiacFunction, Status::Fail, src, |s| cardiac(s).stress_test = Some(Finding::Abnormal));
    check(Item::CardiacFunction, Status::Pass, "LABEL-2024 §2.1", |s| cardiac(s).stress_test = None);
    check(Item::CardiacFunction, Status::NeedsReview, "LABEL-2024 §2.1", |s| s.cardiac = None);
    check(Item::CardiacFunction, Status::NeedsReview, "PRODUCT", |s| cardiac(s).ejection_fraction = None);
    check(Item::CardiacFunction, Status::NeedsReview, "ASHP-MONO", |s| s.history.cardiac_disease = Some(true));
    check(Item::CardiacFunction, Status::NeedsReview, "PRODUCT", |s| s.history.cardiac_disease = None);
    // 3 months: 2026-08-27T12:00Z is exactly 3 months before the screen and is stale; a second later is current.
    check(Item::CardiacFunction, Status::NeedsReview, "PRODUCT", |s| cardiac(s).at = ts("2026-08-27T12:00:00Z"));
    check(Item::CardiacFunction, Status::Pass, "PRODUCT", |s| cardiac(s).at = ts("2026-08-27T12:00:01Z"));
    // A stale abnormal result still fails.
    check(Item::CardiacFunction, Status::Fail, src, |s| {
        cardiac(s).wall_motion = Some(Finding::Abnormal);
        cardiac(s).at = ts("2026-01-01T00:00:00Z");
    });
}

#[test]
fn item_4_fev1_must_be_above_2_litres_and_at_least_75_percent_of_predicted() {
    let src = "LABEL-2024 §4";
    check(Item::PulmonaryFunction, Status::Fail, src, |s| pulmonary(s).fev1 = litres(dec!(2)));
    check(Item::PulmonaryFunction, Status::Pass, src, |s| pulmonary(s).fev1 = litres(dec!(2.01)));
    check(Item::PulmonaryFunction, Status::Fail, src, |s| pulmonary(s).fev1 = litres(dec!(1.5)));
    check(Item::PulmonaryFunction, Status::Pass, src, |s| pulmonary(s).fev1_percent_predicted = percent(dec!(75)));
    check(Item::PulmonaryFunction, Status::Fail, src, |s| pulmonary(s).fev1_percent_predicted = percent(dec!(74.9)));
    check(Item::PulmonaryFunction, Status::Fail, src, |s| pulmonary(s).significant_impairment = Some(true));
    check(Item::PulmonaryFunction, Status::NeedsReview, "LABEL-2024 §2.1", |s| s.pulmonary = None);
    check(Item::PulmonaryFunction, Status::NeedsReview, "PRODUCT", |s| pulmonary(s).fev1 = None);
    check(Item::PulmonaryFunction, Status::NeedsReview, "PRODUCT", |s| pulmonary(s).fev1_percent_predicted = None);
    check(Item::PulmonaryFunction, Status::NeedsReview, "ASHP-MONO", |s| s.history.lung_disease = Some(true));
    check(Item::PulmonaryFunction, Status::NeedsReview, "PRODUCT", |s| pulmonary(s).at = ts("2026-08-27T12:00:00Z"));
    check(Item::PulmonaryFunction, Status::Pass, "PRODUCT", |s| pulmonary(s).at = ts("2026-08-27T12:00:01Z"));
}

#[test]
fn the_heart_and_lung_rule_fails_for_every_regimen_even_when_a_site_marks_items_not_applicable() {
    for regimen in REGIMENS {
        for (item, change) in [
            (
                Item::CardiacFunction,
                (|s: &mut ScreeningInput| cardiac(s).ejection_fraction = Some(Finding::Abnormal))
                    as fn(&mut ScreeningInput),
            ),
            (Item::PulmonaryFunction, |s: &mut ScreeningInput| pulmonary(s).fev1 = litres(dec!(2))),
        ] {
            let mut input = eligible();
            input.regimen = regimen;
            input.not_applicable = vec![Item::CardiacFunction, Item::PulmonaryFunction];
            change(&mut input);
            assert_eq!(
                result_of(&input, item).status,
                Status::Fail,
                "{} item {} [LABEL-2024 §4]",
                regimen.id,
                item.number()
            );
            assert_eq!(screen(&input).status, Status::Fail);
        }
    }
}

#[test]
fn sites_may_mark_items_not_applicable_only_outside_hd_iv() {
    let mut input = eligible();
    input.labs.clear();
    input.not_applicable = vec![Item::BaselineLabs];
    assert_eq!(result_of(&input, Item::BaselineLabs).status, Status::NeedsReview, "hd-iv: every item applies [EDU]");
    input.regimen = regimen("saadoun-2011-sc").unwrap();
    assert_eq!(result_of(&input, Item::BaselineLabs).status, Status::NotApplicable);
}

#[test]
fn item_5_baseline_labs_need_every_group_and_flag_grade_2_and_creatinine_above_1_4() {
    let src = "LABEL-2024 §2.1";
    check(Item::BaselineLabs, Status::NeedsReview, src, |s| s.labs.retain(|lab| lab.value.code() != "alt"));
    check(Item::BaselineLabs, Status::NeedsReview, src, |s| s.labs.clear());
    check(Item::BaselineLabs, Status::Pass, "BELLDEGRUN-1987", |s| set_lab(s, creatinine(dec!(1.4))));
    check(Item::BaselineLabs, Status::NeedsReview, "BELLDEGRUN-1987", |s| set_lab(s, creatinine(dec!(1.41))));
    check(Item::BaselineLabs, Status::NeedsReview, "CTCAE-5", |s| set_lab(s, LabValue::Platelets(count(dec!(74)))));
    check(Item::BaselineLabs, Status::Pass, "CTCAE-5", |s| set_lab(s, LabValue::Platelets(count(dec!(75)))));
    // 14 days: labs exactly 14 days old are stale; 13 days old are current.
    check(Item::BaselineLabs, Status::NeedsReview, "PRODUCT", |s| s.labs = normal_labs(14));
    check(Item::BaselineLabs, Status::Pass, "PRODUCT", |s| s.labs = normal_labs(13));
    // The latest value counts: an old abnormal value replaced by a new normal one passes.
    check(Item::BaselineLabs, Status::Pass, "PRODUCT", |s| s.labs.push(lab(creatinine(dec!(2.5)), 10)));
}

/// The baseline-lab helper: whether `value` (with an optional ULN) is flagged for review.
fn check_lab(value: LabValue, uln: Option<Decimal>, sex: Sex, flagged: bool, source: &'static str) {
    assert!(Source(source).is_known());
    let reference_range = uln.map(|high| ReferenceRange { low: None, high: Some(high) });
    let result = LabResult { value, at: days_before(1), reference_range };
    let concerns = lab_concerns(&result, sex);
    assert_eq!(!concerns.is_empty(), flagged, "{} {} [{source}]: {concerns:?}", value.code(), value.describe());
}

#[test]
fn baseline_lab_limits_are_ctcae_grade_2_at_their_boundaries() {
    let c = |value| LabValue::Wbc(count(value));
    check_lab(c(dec!(3.0)), None, Sex::Female, false, "CTCAE-5");
    check_lab(c(dec!(2.99)), None, Sex::Female, true, "CTCAE-5");
    check_lab(LabValue::Anc(count(dec!(1.5))), None, Sex::Female, false, "CTCAE-5");
    check_lab(LabValue::Anc(count(dec!(1.49))), None, Sex::Female, true, "CTCAE-5");
    check_lab(LabValue::Platelets(count(dec!(75))), None, Sex::Female, false, "CTCAE-5");
    check_lab(LabValue::Platelets(count(dec!(74.9))), None, Sex::Female, true, "CTCAE-5");
    let hb = |value| LabValue::Hemoglobin(Hemoglobin::new(value).unwrap());
    check_lab(hb(dec!(10.0)), None, Sex::Female, false, "CTCAE-5");
    check_lab(hb(dec!(9.9)), None, Sex::Female, true, "CTCAE-5");
    // Creatinine grade 2 is above 1.5 x ULN; with a site ULN of 0.9, 1.35 is not and 1.36 is.
    check_lab(creatinine(dec!(1.35)), Some(dec!(0.9)), Sex::Male, false, "CTCAE-5");
    check_lab(creatinine(dec!(1.36)), Some(dec!(0.9)), Sex::Male, true, "CTCAE-5");
    // Default female ULN 1.04: 1.56 is exactly 1.5 x ULN (not grade 2) but creatinine itself flags above 1.4.
    check_lab(creatinine(dec!(1.4)), None, Sex::Female, false, "PRODUCT; BELLDEGRUN-1987");
    check_lab(creatinine(dec!(1.41)), None, Sex::Female, true, "BELLDEGRUN-1987");
    // A site ULN of 0.8 makes 1.3 grade 2 (above 1.2) even though it is below 1.4.
    check_lab(creatinine(dec!(1.3)), Some(dec!(0.8)), Sex::Unknown, true, "CTCAE-5");
    let bili = |value| LabValue::BilirubinTotal(Bilirubin::new(value).unwrap());
    check_lab(bili(dec!(1.8)), None, Sex::Female, false, "CTCAE-5; PRODUCT");
    check_lab(bili(dec!(1.81)), None, Sex::Female, true, "CTCAE-5; PRODUCT");
    let alt = |value| LabValue::Alt(UnitsPerLitre::new(value).unwrap());
    let ast = |value| LabValue::Ast(UnitsPerLitre::new(value).unwrap());
    check_lab(alt(dec!(120)), None, Sex::Male, false, "CTCAE-5; PRODUCT");
    check_lab(alt(dec!(121)), None, Sex::Male, true, "CTCAE-5; PRODUCT");
    check_lab(ast(dec!(150)), Some(dec!(50)), Sex::Male, false, "CTCAE-5");
    check_lab(ast(dec!(151)), Some(dec!(50)), Sex::Male, true, "CTCAE-5");
    let potassium = |value| LabResult {
        value: LabValue::Potassium(MillimolesPerLitre::new(value).unwrap()),
        at: days_before(1),
        reference_range: Some(ReferenceRange { low: Some(dec!(3.5)), high: Some(dec!(5.1)) }),
    };
    assert!(lab_concerns(&potassium(dec!(3.5)), Sex::Male).is_empty(), "[PRODUCT]");
    assert!(!lab_concerns(&potassium(dec!(3.4)), Sex::Male).is_empty(), "[PRODUCT]");
}

#[test]
fn item_6_significant_organ_impairment_fails() {
    let src = "LABEL-2024 §4 Boxed Warning";
    check(Item::OrganImpairment, Status::Fail, src, |s| s.impairment.as_mut().unwrap().renal = Some(true));
    check(Item::OrganImpairment, Status::Fail, src, |s| s.impairment.as_mut().unwrap().hepatic = Some(true));
    check(Item::OrganImpairment, Status::Fail, src, |s| s.impairment.as_mut().unwrap().cns = Some(true));
    check(Item::OrganImpairment, Status::NeedsReview, "PRODUCT", |s| s.impairment.as_mut().unwrap().cns = None);
    check(Item::OrganImpairment, Status::NeedsReview, "PRODUCT", |s| s.impairment = None);
    check(Item::OrganImpairment, Status::NeedsReview, "PRODUCT", |s| {
        s.impairment.as_mut().unwrap().at = days_before(14)
    });
    check(Item::OrganImpairment, Status::Pass, "PRODUCT", |s| s.impairment.as_mut().unwrap().at = days_before(13));
}

#[test]
fn item_7_cns_evaluation_needs_review_when_missing_or_abnormal() {
    let src = "LABEL-2024 §2.1; KCA";
    check(Item::CnsEvaluation, Status::NeedsReview, src, |s| s.cns = None);
    check(Item::CnsEvaluation, Status::NeedsReview, src, |s| s.cns.as_mut().unwrap().brain_metastases = Some(true));
    check(Item::CnsEvaluation, Status::NeedsReview, src, |s| s.cns.as_mut().unwrap().impairment = Some(true));
    check(Item::CnsEvaluation, Status::NeedsReview, "PRODUCT", |s| {
        s.cns.as_mut().unwrap().at = ts("2026-08-27T12:00:00Z")
    });
}

#[test]
fn item_8_an_organ_allograft_fails() {
    check(Item::OrganAllograft, Status::Fail, "LABEL-OLD Contraindications", |s| {
        s.history.organ_allograft = Some(true)
    });
    check(Item::OrganAllograft, Status::NeedsReview, "PRODUCT", |s| s.history.organ_allograft = None);
}

#[test]
fn item_9_untreated_bacterial_infection_fails_and_a_central_line_needs_review() {
    let src = "LABEL-2024 Boxed Warning";
    let status = |s: &mut ScreeningInput, status| s.infection.as_mut().unwrap().status = status;
    check(Item::Infection, Status::Fail, src, |s| status(s, InfectionStatus::UntreatedBacterial));
    check(Item::Infection, Status::NeedsReview, src, |s| status(s, InfectionStatus::UnderTreatment));
    check(Item::Infection, Status::NeedsReview, "DUTCHER-2014 T2", |s| s.central_line_planned = Some(true));
    check(Item::Infection, Status::NeedsReview, "PRODUCT", |s| s.central_line_planned = None);
    check(Item::Infection, Status::NeedsReview, "PRODUCT", |s| s.infection = None);
    check(Item::Infection, Status::NeedsReview, "PRODUCT", |s| s.infection.as_mut().unwrap().at = days_before(7));
    check(Item::Infection, Status::Pass, "PRODUCT", |s| s.infection.as_mut().unwrap().at = days_before(6));
}

#[test]
fn item_10_every_listed_earlier_toxicity_and_the_flag_bar_re_treatment() {
    for toxicity in Toxicity::ALL {
        assert_eq!(Toxicity::from_id(toxicity.id()), Some(toxicity));
        check(Item::PriorToxicity, Status::Fail, "LABEL-OLD Contraindications", |s| {
            s.previous_courses = Some(vec![course(80, Response::Shrinkage, vec![toxicity])])
        });
    }
    check(Item::PriorToxicity, Status::Fail, "LABEL-2024 §2.4 T2", |s| s.patient.retreatment_contraindicated = true);
    check(Item::PriorToxicity, Status::Pass, "LABEL-OLD", |s| {
        s.previous_courses = Some(vec![course(80, Response::Shrinkage, vec![])])
    });
    check(Item::PriorToxicity, Status::NeedsReview, "PRODUCT", |s| s.previous_courses = None);
}

#[test]
fn item_11_re_treatment_needs_7_weeks_from_discharge_and_tumor_shrinkage() {
    let src = "LABEL-2024 T1 footnote";
    let last =
        |days, response| move |s: &mut ScreeningInput| s.previous_courses = Some(vec![course(days, response, vec![])]);
    check(Item::Retreatment, Status::Pass, src, last(49, Response::Shrinkage));
    check(Item::Retreatment, Status::Fail, src, last(48, Response::Shrinkage));
    check(Item::Retreatment, Status::Fail, src, last(80, Response::NoShrinkage));
    check(Item::Retreatment, Status::NeedsReview, src, last(80, Response::NotEvaluated));
    check(Item::Retreatment, Status::Pass, src, |s| s.previous_courses = Some(vec![]));
    check(Item::Retreatment, Status::NeedsReview, "PRODUCT", |s| s.previous_courses = None);
    // 48 days at the screen but 50 at the planned start: the gap is measured to the start.
    check(Item::Retreatment, Status::Pass, src, |s| {
        s.previous_courses = Some(vec![course(48, Response::Shrinkage, vec![])]);
        s.planned_start = Some(moment("2026-11-29T12:00:00Z"));
    });
}

#[test]
fn item_12_pregnancy_fails_and_an_unverified_status_needs_review() {
    let src = "LABEL-2024 §2.1 §5.6";
    let test = |result, days| {
        move |s: &mut ScreeningInput| s.patient.pregnancy_test = Some(PregnancyTest { result, at: days_before(days) })
    };
    check(Item::PregnancyStatus, Status::Fail, src, test(PregnancyTestResult::Positive, 1));
    check(Item::PregnancyStatus, Status::Fail, "SWISS-SMPC", |s| s.patient.pregnant = Some(true));
    check(Item::PregnancyStatus, Status::NeedsReview, "PRODUCT", test(PregnancyTestResult::Negative, 7));
    check(Item::PregnancyStatus, Status::Pass, "PRODUCT", test(PregnancyTestResult::Negative, 6));
    check(Item::PregnancyStatus, Status::NeedsReview, src, |s| s.patient.pregnancy_test = None);
    check(Item::PregnancyStatus, Status::Pass, src, |s| {
        s.patient.pregnancy_test = None;
        s.patient.reproductive_potential = Some(false);
    });
    // Believed absence of fertility is not documentation: only an explicit "no" counts [EDU].
    check(Item::PregnancyStatus, Status::NeedsReview, "EDU", |s| {
        s.patient.pregnancy_test = None;
        s.patient.reproductive_potential = None;
    });
    check(Item::PregnancyStatus, Status::Pass, src, |s| {
        s.patient.sex = Sex::Male;
        s.patient.pregnancy_test = None;
    });
}

#[test]
fn items_13_and_14_contraception_and_breastfeeding_need_documentation() {
    check(Item::Contraception, Status::NeedsReview, "SWISS-SMPC", |s| s.patient.contraception_counselled = None);
    check(Item::Contraception, Status::NeedsReview, "LABEL-OLD Pregnancy", |s| {
        s.patient.contraception_counselled = Some(false)
    });
    check(Item::Contraception, Status::NeedsReview, "EDU", |s| {
        s.patient.sex = Sex::Male;
        s.patient.contraception_counselled = None;
    });
    check(Item::Breastfeeding, Status::NeedsReview, "LABEL-OLD Pregnancy", |s| s.patient.breastfeeding = Some(true));
    check(Item::Breastfeeding, Status::NeedsReview, "PRODUCT", |s| s.patient.breastfeeding = None);
    check(Item::Breastfeeding, Status::Pass, "LABEL-OLD Pregnancy", |s| {
        s.patient.sex = Sex::Male;
        s.patient.breastfeeding = None;
    });
}

#[test]
fn item_15_ecog_0_and_1_pass_and_2_needs_review() {
    let ecog = |ecog, days| {
        move |s: &mut ScreeningInput| s.performance_status = Some(PerformanceStatus { ecog, at: days_before(days) })
    };
    check(Item::PerformanceStatus, Status::Pass, "PROLEUKIN-HCP", ecog(1, 1));
    check(Item::PerformanceStatus, Status::NeedsReview, "PROLEUKIN-HCP", ecog(2, 1));
    check(Item::PerformanceStatus, Status::NeedsReview, "PRODUCT", ecog(0, 14));
    check(Item::PerformanceStatus, Status::NeedsReview, "PRODUCT", |s| s.performance_status = None);
}

#[test]
fn item_16_no_intensive_care_fails() {
    check(Item::Setting, Status::Fail, "LABEL-2024 §2.2", |s| s.intensive_care_available = Some(false));
    check(Item::Setting, Status::NeedsReview, "PRODUCT", |s| s.intensive_care_available = None);
}

#[test]
fn items_17_and_18_the_medication_list_and_antihypertensives() {
    let meds = |names: &[&str]| {
        let names: Vec<Medication> = names.iter().map(|name| Medication::named(*name)).collect();
        move |s: &mut ScreeningInput| s.medications = Some(names)
    };
    check(Item::MedicationList, Status::NeedsReview, "LABEL-OLD; SWISS-SMPC", meds(&["Decadron 4 mg"]));
    check(Item::MedicationList, Status::NeedsReview, "LABEL-OLD; SWISS-SMPC", meds(&["morphine"]));
    check(Item::MedicationList, Status::NeedsReview, "PRODUCT", meds(&["zzyzx 5 mg"]));
    check(Item::MedicationList, Status::Pass, "LABEL-OLD", meds(&[]));
    check(Item::MedicationList, Status::NeedsReview, "PRODUCT", |s| s.medications = None);
    check(Item::Antihypertensives, Status::NeedsReview, "PRACTICE-GUIDE", meds(&["Toprol-XL 50 mg"]));
    check(Item::Antihypertensives, Status::Pass, "PRACTICE-GUIDE", meds(&["ondansetron"]));
    check(Item::Antihypertensives, Status::NeedsReview, "PRODUCT", meds(&["unknownpril"]));
    check(Item::Antihypertensives, Status::NeedsReview, "PRODUCT", |s| s.medications = None);
}

#[test]
fn item_19_education_needs_the_sheet_and_the_contrast_flag_explained() {
    check(Item::PatientEducation, Status::NeedsReview, "EDU", |s| s.education.contrast_flag_explained = Some(false));
    check(Item::PatientEducation, Status::NeedsReview, "EDU", |s| s.education.sheet_given = None);
}

#[test]
fn valid_for_windows_end_at_exactly_the_window() {
    let check_window = |window: ValidFor, from: &str, at: &str, current: bool| {
        assert_eq!(window.is_current(ts(from), ts(at)), current, "{window:?} from {from} at {at} [PRODUCT]");
    };
    check_window(ValidFor::Days(7), "2026-11-20T12:00:00Z", "2026-11-27T11:59:59Z", true);
    check_window(ValidFor::Days(7), "2026-11-20T12:00:00Z", "2026-11-27T12:00:00Z", false);
    check_window(ValidFor::Days(14), "2026-11-13T12:00:00Z", "2026-11-27T12:00:00Z", false);
    check_window(ValidFor::Months(3), "2026-08-27T12:00:00Z", "2026-11-27T11:59:59Z", true);
    check_window(ValidFor::Months(3), "2026-08-27T12:00:00Z", "2026-11-27T12:00:00Z", false);
    // 30 November + 3 months is 28 February (the month is shorter): the safer, earlier end.
    check_window(ValidFor::Months(3), "2026-11-30T12:00:00Z", "2027-02-28T12:00:00Z", false);
    check_window(ValidFor::Course, "2020-01-01T00:00:00Z", "2026-11-27T12:00:00Z", true);
    check_window(ValidFor::Permanent, "2020-01-01T00:00:00Z", "2026-11-27T12:00:00Z", true);
}

#[test]
fn the_overall_status_is_the_worst_item() {
    let mut input = eligible();
    input.history.cardiac_disease = Some(true);
    assert_eq!(screen(&input).status, Status::NeedsReview);
    input.history.organ_allograft = Some(true);
    assert_eq!(screen(&input).status, Status::Fail);
}

/// The one interaction helper: `name` is matched to exactly `classes` at `level` each.
fn check_drug(name: &str, expected: &[(DrugClass, InteractionLevel)], source: &'static str) {
    assert!(Source(source).is_known());
    let report = check_medications(Some(&[Medication::named(name)]), hd_iv());
    let found: Vec<_> = report.interactions.iter().map(|hit| (hit.class, hit.level)).collect();
    assert_eq!(found, expected, "{name} [{source}]");
    for hit in &report.interactions {
        if hit.level == hit.class.level(hd_iv()) {
            assert_eq!(hit.source, hit.class.source());
        }
        assert_eq!(hit.medication, name);
    }
    assert!(report.unrecognised.is_empty(), "{name} is recognised");
}

#[test]
fn every_drug_class_matches_its_examples_by_generic_and_brand_name_in_any_case() {
    use DrugClass as C;
    use InteractionLevel as L;
    let src = "LABEL-OLD; SWISS-SMPC";
    check_drug("morphine", &[(C::Opioids, L::Monitor)], src);
    check_drug("DILAUDID 2 mg", &[(C::Opioids, L::Monitor)], src);
    check_drug("Ativan", &[(C::SedativesHypnotics, L::Monitor)], src);
    check_drug("zolpidem 5mg qhs", &[(C::SedativesHypnotics, L::Monitor)], src);
    check_drug("Compazine", &[(C::AntiemeticsAntipsychotics, L::Monitor)], src);
    check_drug("olanzapine", &[(C::AntiemeticsAntipsychotics, L::Monitor)], src);
    check_drug("Indocin", &[(C::Nephrotoxic, L::Monitor)], "LABEL-OLD; TIL-2024");
    check_drug("Amphotericin B liposomal", &[(C::Nephrotoxic, L::Monitor)], src);
    check_drug("gemcitabine", &[(C::Myelotoxic, L::Monitor)], src);
    check_drug("Adriamycin", &[(C::Cardiotoxic, L::Avoid), (C::Myelotoxic, L::Monitor)], src);
    check_drug("ketoconazole", &[(C::Hepatotoxic, L::Monitor)], src);
    check_drug("Depakote", &[(C::Hepatotoxic, L::Monitor)], src);
    check_drug("lisinopril 10 mg daily", &[(C::Antihypertensives, L::NeedsReview)], "PRACTICE-GUIDE");
    check_drug("Norvasc", &[(C::Antihypertensives, L::NeedsReview)], "PRACTICE-GUIDE");
    // Amendment of 2026-12-04: a glucocorticoid without a route (entry or name words) is "route unknown".
    check_drug("prednisone", &[(C::Glucocorticoids, L::NeedsReview)], "LABEL-OLD Overdosage; PRODUCT");
    check_drug("Solu-Medrol", &[(C::Glucocorticoids, L::NeedsReview)], "SWISS-SMPC; PRODUCT");
    check_drug("prednisone 20 mg PO daily", &[(C::Glucocorticoids, L::Avoid)], "LABEL-OLD Overdosage");
    check_drug("Solu-Medrol 125 mg IV", &[(C::Glucocorticoids, L::Avoid)], "SWISS-SMPC");
    let ifn = [(C::InterferonAlfa, L::Avoid), (C::AntineoplasticsWithHighDose, L::Avoid)];
    check_drug("interferon alfa-2b", &ifn, "SWISS-SMPC");
    check_drug("Pegasys", &ifn, "SWISS-SMPC");
    check_drug("tamoxifen", &[(C::AntineoplasticsWithHighDose, L::Avoid)], "LABEL-OLD; HEYWOOD-1995");
    let cisplatin =
        [(C::AntineoplasticsWithHighDose, L::Avoid), (C::Nephrotoxic, L::Monitor), (C::Myelotoxic, L::Monitor)];
    check_drug("cisplatin", &cisplatin, "HEYWOOD-1995");
    check_drug("Omnipaque 350", &[(C::IodinatedContrast, L::Avoid)], src);
    check_drug("iodixanol", &[(C::IodinatedContrast, L::Avoid)], src);
    check_drug("acetaminophen", &[], "DUTCHER-2014 T2");
}

#[test]
fn every_class_has_examples_a_known_source_and_its_wording() {
    for class in DrugClass::ALL {
        assert!(class.source().is_known(), "{}", class.id());
        assert!(DRUGS.iter().filter(|drug| drug.classes.contains(&class)).count() >= 4, "{}", class.id());
        assert!(!class.effect().is_empty() && !class.action(hd_iv()).is_empty());
    }
    for name in [
        "morphine",
        "hydromorphone",
        "oxycodone",
        "fentanyl",
        "meperidine",
        "lorazepam",
        "alprazolam",
        "diazepam",
        "midazolam",
        "zolpidem",
        "prochlorperazine",
        "promethazine",
        "metoclopramide",
        "haloperidol",
        "olanzapine",
        "gentamicin",
        "tobramycin",
        "amikacin",
        "indomethacin",
        "ibuprofen",
        "naproxen",
        "ketorolac",
        "amphotericin B",
        "cyclophosphamide",
        "fludarabine",
        "carboplatin",
        "gemcitabine",
        "docetaxel",
        "doxorubicin",
        "daunorubicin",
        "epirubicin",
        "idarubicin",
        "mitoxantrone",
        "methotrexate",
        "asparaginase",
        "pegaspargase",
        "isoniazid",
        "valproic acid",
        "ketoconazole",
        "metoprolol",
        "atenolol",
        "propranolol",
        "carvedilol",
        "lisinopril",
        "losartan",
        "amlodipine",
        "hydrochlorothiazide",
        "clonidine",
        "dexamethasone",
        "prednisone",
        "prednisolone",
        "methylprednisolone",
        "hydrocortisone",
        "interferon alfa-2b",
        "peginterferon alfa-2a",
        "peginterferon alfa-2b",
        "ropeginterferon alfa-2b",
        "interferon alfa-n3",
        "dacarbazine",
        "cisplatin",
        "tamoxifen",
        "vinblastine",
        "iohexol",
        "iopamidol",
        "iodixanol",
        "ioversol",
        "iopromide",
        "iomeprol",
    ] {
        let report = check_medications(Some(&[Medication::named(name)]), hd_iv());
        assert!(!report.interactions.is_empty(), "SCREENING §2 example {name} is in its class");
    }
}

#[test]
fn unknown_medication_names_are_listed_as_unrecognised_never_ignored() {
    let names = ["Zzyzxamab 10 mg", "morphine", "my blue pill", "Tylenol"].map(Medication::named);
    let report = check_medications(Some(&names), hd_iv());
    assert_eq!(report.unrecognised, vec!["Zzyzxamab 10 mg".to_string(), "my blue pill".to_string()]);
    assert_eq!(report.interactions.len(), 1);
    assert_eq!(report.no_interaction, vec![("Tylenol".to_string(), "acetaminophen (Tylenol)".to_string())]);
}

#[test]
fn combination_products_match_every_named_ingredient_and_longer_names_win() {
    let generics = |text: &str| match_drugs(text).iter().map(|(drug, _)| drug.generic).collect::<Vec<_>>();
    assert_eq!(generics("acetaminophen/oxycodone 325/5"), vec!["oxycodone", "acetaminophen"]);
    assert_eq!(generics("Peginterferon alfa-2b"), vec!["peginterferon alfa 2b"]);
    assert_eq!(generics("interferon alfa-2b"), vec!["interferon alfa 2b"]);
    assert_eq!(generics("hydrochlorothiazide"), vec!["hydrochlorothiazide"]);
    assert_eq!(normalize("  Toprol-XL  50MG "), "toprol xl 50mg");
    assert!(generics("morphinex").is_empty(), "whole words only");
}

#[test]
fn interferon_alfa_is_monitored_when_the_protocol_gives_it() {
    let report = check_medications(Some(&[Medication::named("Intron A")]), regimen("mcdermott-2005-sc").unwrap());
    let interferon = report.interactions.iter().find(|hit| hit.class == DrugClass::InterferonAlfa).unwrap();
    assert_eq!(interferon.level, InteractionLevel::Monitor, "[SWISS-SMPC; MCDERMOTT-2005]");
}

#[test]
fn gadolinium_and_topical_steroids_are_recognised_as_information() {
    let names = ["Gadavist", "clobetasol cream"].map(Medication::named);
    let report = check_medications(Some(&names), hd_iv());
    assert!(report.unrecognised.is_empty() && report.interactions.is_empty());
    let kinds: Vec<_> = report.information.iter().map(|entry| entry.kind).collect();
    assert_eq!(kinds, vec![DrugKind::Gadolinium, DrugKind::TopicalSteroid], "[EDU; LABEL-OLD]");
}

/// The contrast helper: a last dose `last_days_ago` before the screen and iodinated contrast at the screen.
fn check_contrast(last_dose: Option<Timestamp>, agent: ContrastAgent, expected: NoticeLevel, source: &'static str) {
    assert!(Source(source).is_known());
    let exposure = ContrastExposure { agent, at: ts(AT), involves: "CT".to_string() };
    let notice = notice(&exposure, last_dose);
    assert_eq!(notice.level, expected, "{last_dose:?} {agent:?} [{source}]");
    assert_eq!(notice.last_dose_at, last_dose);
}

#[test]
fn iodinated_contrast_within_14_days_of_the_last_dose_warns_and_later_informs() {
    assert_eq!(CONTRAST_WARNING_DAYS, 14);
    let src = "SWISS-SMPC; PRODUCT";
    check_contrast(Some(days_before(1)), ContrastAgent::Iodinated, NoticeLevel::Warning, src);
    check_contrast(Some(days_before(14)), ContrastAgent::Iodinated, NoticeLevel::Warning, src);
    check_contrast(Some(ts("2026-11-13T11:59:59Z")), ContrastAgent::Iodinated, NoticeLevel::Information, src);
    check_contrast(Some(days_before(200)), ContrastAgent::Iodinated, NoticeLevel::Information, "LABEL-OLD");
    check_contrast(None, ContrastAgent::Iodinated, NoticeLevel::Warning, "PRODUCT");
    check_contrast(Some(days_before(1)), ContrastAgent::Gadolinium, NoticeLevel::Information, "EDU");
    let exposure = ContrastExposure { agent: ContrastAgent::Iodinated, at: ts(AT), involves: "CT".to_string() };
    assert_eq!(notice(&exposure, Some(days_before(3))).window_ends_at, Some(ts("2026-12-08T12:00:00Z")));
    assert_eq!(
        notice(&exposure, Some(days_before(3))).message,
        "avoid iodinated contrast if possible (within 14 days of the last interleukin-2 dose)"
    );
}

#[test]
fn the_contrast_flag_lasts_and_covers_planned_studies_and_listed_agents() {
    let mut input = eligible();
    input.planned_contrast = vec![PlannedContrast {
        agent: ContrastAgent::Iodinated,
        at: Some(ts("2027-03-01T09:00:00Z")),
        description: None,
    }];
    input.medications = Some(vec![Medication::named("Isovue")]);
    assert!(screen(&input).contrast.is_empty(), "no interleukin-2 received yet: no flag");
    input.interleukin_2 = Some(Interleukin2History { received: true, last_dose_at: Some(days_before(5)) });
    let notices = screen(&input).contrast;
    let levels: Vec<_> = notices.iter().map(|notice| notice.level).collect();
    assert_eq!(levels, vec![NoticeLevel::Information, NoticeLevel::Warning], "planned in March; listed now");
    // An earlier course sets the flag even without the record's flag, its discharge standing in for the last dose.
    input.interleukin_2 = None;
    input.previous_courses = Some(vec![course(60, Response::Shrinkage, vec![])]);
    input.planned_contrast[0].at = None;
    let notices = screen(&input).contrast;
    assert_eq!(notices[0].last_dose_at, Some(days_before(60)));
    assert_eq!(notices[0].level, NoticeLevel::Information);
}

#[test]
fn the_premedication_plan_computes_ondansetron_from_the_weight_exactly() {
    let plan = premedication_plan(Some(Kilograms::new(dec!(80)).unwrap()));
    assert_eq!(plan.computed.len(), 1);
    assert_eq!(plan.computed[0].dose.value(), dec!(12.00), "0.15 mg/kg x 80 kg [DUTCHER-2014 T2]");
    let pounds = Kilograms::from_quantity(Quantity { value: dec!(176), unit: Unit::Pound }).unwrap();
    let plan = premedication_plan(Some(pounds));
    assert_eq!(plan.computed[0].dose.value(), dec!(11.974838568), "176 lb = 79.83225712 kg [COMPUTED]");
    let plan = premedication_plan(None);
    assert!(plan.computed.is_empty());
    assert_eq!(plan.needs_weight, vec!["Nausea / vomiting"]);
    assert_eq!(ONDANSETRON.milligrams_per_kilogram, dec!(0.15));
    assert!(TEMPLATE.iter().all(|row| row.source.is_known()));
}

#[test]
fn the_premedication_plan_is_offered_for_hd_iv_only() {
    assert!(screen(&eligible()).premedication.is_some());
    let mut input = eligible();
    input.regimen = regimen("saadoun-2011-sc").unwrap();
    assert!(screen(&input).premedication.is_none());
}

#[test]
fn litres_refuse_negative_volumes() {
    assert!(Litres::new(dec!(-0.1)).is_err());
    assert_eq!(Litres::new(dec!(2.5)).unwrap().value(), dec!(2.5));
}

#[test]
fn contrast_planned_after_the_first_course_starts_warns_before_any_dose_is_given() {
    let mut input = eligible();
    input.planned_start = Some(moment("2026-12-01T08:00:00Z"));
    let planned = |at: &str| PlannedContrast { agent: ContrastAgent::Iodinated, at: Some(ts(at)), description: None };
    input.planned_contrast = vec![planned("2026-11-30T08:00:00Z"), planned("2026-12-03T08:00:00Z")];
    let notices = screen(&input).contrast;
    assert_eq!(notices.len(), 1, "only the study after the start [PRODUCT]");
    assert_eq!(notices[0].level, NoticeLevel::Warning);
    assert_eq!(notices[0].last_dose_at, None);
}

/// A named way of taking one input away from a screen.
type Removal = (&'static str, fn(&mut ScreeningInput));

#[test]
fn removing_any_single_input_never_improves_an_item_and_never_leaves_the_screen_passing() {
    fn rank(status: Status) -> u8 {
        match status {
            Status::Pass | Status::NotApplicable => 0,
            Status::NeedsReview => 1,
            Status::Fail => 2,
        }
    }
    let removals: Vec<Removal> = vec![
        ("indication", |s| s.indication = None),
        ("hypersensitivity", |s| s.history.hypersensitivity_to_aldesleukin = None),
        ("cardiac history", |s| s.history.cardiac_disease = None),
        ("lung history", |s| s.history.lung_disease = None),
        ("allograft", |s| s.history.organ_allograft = None),
        ("cardiac tests", |s| s.cardiac = None),
        ("ejection fraction", |s| cardiac(s).ejection_fraction = None),
        ("wall motion", |s| cardiac(s).wall_motion = None),
        ("coronary disease", |s| cardiac(s).significant_coronary_artery_disease = None),
        ("pulmonary tests", |s| s.pulmonary = None),
        ("fev1", |s| pulmonary(s).fev1 = None),
        ("fev1 percent", |s| pulmonary(s).fev1_percent_predicted = None),
        ("pulmonary impairment", |s| pulmonary(s).significant_impairment = None),
        ("cns", |s| s.cns = None),
        ("impairment", |s| s.impairment = None),
        ("infection", |s| s.infection = None),
        ("central line", |s| s.central_line_planned = None),
        ("performance", |s| s.performance_status = None),
        ("setting", |s| s.intensive_care_available = None),
        ("education sheet", |s| s.education.sheet_given = None),
        ("contrast explained", |s| s.education.contrast_flag_explained = None),
        ("labs", |s| s.labs.clear()),
        ("one lab", |s| {
            s.labs.pop();
        }),
        ("previous courses", |s| s.previous_courses = None),
        ("medications", |s| s.medications = None),
        ("pregnancy test", |s| s.patient.pregnancy_test = None),
        ("breastfeeding", |s| s.patient.breastfeeding = None),
        ("contraception", |s| s.patient.contraception_counselled = None),
    ];
    let before = screen(&eligible());
    for (what, remove) in removals {
        let mut input = eligible();
        remove(&mut input);
        let after = screen(&input);
        for (old, new) in before.items.iter().zip(&after.items) {
            assert!(rank(new.status) >= rank(old.status), "removing {what} improved item {}", new.item.number());
        }
        assert_ne!(after.status, Status::Pass, "removing {what} must leave something to review [PRODUCT]");
    }
}

#[test]
fn electrolytes_without_a_lab_range_use_the_default_limits_at_their_boundaries() {
    // GRADING §2 amendment of 2026-12-04: potassium LLN 3.5, ULN 5.0; sodium LLN 135, ULN 145; bicarbonate LLN 22.
    let k = |value| LabValue::Potassium(MillimolesPerLitre::new(value).unwrap());
    let na = |value| LabValue::Sodium(MillimolesPerLitre::new(value).unwrap());
    let hco3 = |value| LabValue::Bicarbonate(MillimolesPerLitre::new(value).unwrap());
    let src = "PRODUCT; CTCAE-5";
    check_lab(k(dec!(3.49)), None, Sex::Male, true, src);
    check_lab(k(dec!(3.5)), None, Sex::Male, false, src);
    check_lab(k(dec!(5.0)), None, Sex::Male, false, src);
    check_lab(k(dec!(5.01)), None, Sex::Male, true, src);
    check_lab(k(dec!(6.5)), None, Sex::Male, true, src);
    check_lab(k(dec!(2.8)), None, Sex::Male, true, src);
    check_lab(k(dec!(9.5)), None, Sex::Male, true, src);
    check_lab(na(dec!(134.9)), None, Sex::Female, true, src);
    check_lab(na(dec!(135)), None, Sex::Female, false, src);
    check_lab(na(dec!(145)), None, Sex::Female, false, src);
    check_lab(na(dec!(145.1)), None, Sex::Female, true, src);
    check_lab(hco3(dec!(21.9)), None, Sex::Female, true, src);
    check_lab(hco3(dec!(22)), None, Sex::Female, false, src);
    // A lab's own limit wins over the default (ULN 5.5 from the site: 5.4 passes), and a default is marked.
    check_lab(k(dec!(5.4)), Some(dec!(5.5)), Sex::Male, false, "PRODUCT");
    let unmarked = LabResult { value: k(dec!(6.5)), at: days_before(1), reference_range: None };
    assert!(lab_concerns(&unmarked, Sex::Male)[0].contains("(default limit)"), "GRADING §2: default marked");
    let given = LabResult {
        value: k(dec!(6.5)),
        at: days_before(1),
        reference_range: Some(ReferenceRange { low: Some(dec!(3.6)), high: Some(dec!(5.2)) }),
    };
    assert!(!lab_concerns(&given, Sex::Male)[0].contains("default"), "the lab's range is not marked default");
}

#[test]
fn item_5_potassium_or_sodium_outside_the_default_limits_needs_review() {
    let k = |value| LabValue::Potassium(MillimolesPerLitre::new(value).unwrap());
    let na = |value| LabValue::Sodium(MillimolesPerLitre::new(value).unwrap());
    check(Item::BaselineLabs, Status::NeedsReview, "PRODUCT", |s| set_lab(s, k(dec!(6.5))));
    check(Item::BaselineLabs, Status::NeedsReview, "PRODUCT", |s| set_lab(s, k(dec!(2.8))));
    check(Item::BaselineLabs, Status::Pass, "PRODUCT", |s| set_lab(s, k(dec!(5.0))));
    check(Item::BaselineLabs, Status::NeedsReview, "PRODUCT", |s| s.labs.push(lab(na(dec!(128)), 1)));
    check(Item::BaselineLabs, Status::Pass, "PRODUCT", |s| s.labs.push(lab(na(dec!(140)), 1)));
    // Sodium is optional for item 5: its absence does not make the item need review.
    check(Item::BaselineLabs, Status::Pass, "PRODUCT", |_| {});
}

/// What a medication entry comes out as: an interaction at a level, or the information note only.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Level(InteractionLevel),
    InformationOnly,
}

/// The steroid helper: `entry` on the list of an `hd-iv` screen comes out as `expected`, the action containing
/// `says` (empty: anything).
fn check_steroid(entry: Medication, expected: Outcome, says: &str, source: &'static str) {
    assert!(Source(source).is_known(), "{source}");
    let report = check_medications(Some(std::slice::from_ref(&entry)), hd_iv());
    let outcome = match (report.interactions.as_slice(), report.information.as_slice()) {
        ([hit], []) => {
            assert_eq!(hit.class, DrugClass::Glucocorticoids, "{entry:?}");
            assert!(hit.action.contains(says), "{entry:?}: {} [{source}]", hit.action);
            Outcome::Level(hit.level)
        }
        ([], [info]) => {
            assert_eq!(info.kind, DrugKind::TopicalSteroid);
            assert!(info.kind.note().contains("ask the team before using any steroid cream"));
            Outcome::InformationOnly
        }
        other => panic!("{entry:?}: unexpected {other:?}"),
    };
    assert_eq!(outcome, expected, "{entry:?} [{source}]");
}

fn med(name: &str, route: Option<MedicationRoute>, daily_mg: Option<Decimal>, purpose: Option<&str>) -> Medication {
    Medication {
        name: name.to_string(),
        route,
        daily_dose: daily_mg.map(|mg| crate::units::Milligrams::new(mg).unwrap()),
        purpose: purpose.map(str::to_string),
    }
}

#[test]
fn route_and_purpose_decide_the_steroid_class() {
    use InteractionLevel::{Avoid, NeedsReview};
    use MedicationRoute::*;
    use Outcome::{InformationOnly as Info, Level};
    let src = "LABEL-OLD Overdosage; SWISS-SMPC; PRODUCT";
    // Route words in the name when the route is missing.
    check_steroid(med("hydrocortisone 1% cream", None, None, None), Info, "", "EDU; PRODUCT");
    check_steroid(med("betamethasone ointment", None, None, None), Info, "", "EDU");
    check_steroid(med("fluticasone HFA inhaler", None, None, None), Info, "", "EDU");
    check_steroid(med("budesonide nebulised", None, None, None), Info, "", "EDU");
    check_steroid(med("mometasone nasal spray", None, None, None), Info, "", "EDU");
    check_steroid(med("prednisolone drops", None, None, None), Info, "", "EDU");
    check_steroid(med("dexamethasone gel", None, None, None), Info, "", "EDU");
    // Neither route nor name word: needs review "route unknown", never guessed (topical or systemic).
    check_steroid(med("hydrocortisone", None, None, None), Level(NeedsReview), "route unknown", src);
    check_steroid(med("Temovate", None, None, None), Level(NeedsReview), "route unknown", src);
    check_steroid(med("Kenalog 40 mg", None, None, None), Level(NeedsReview), "route unknown", src);
    // Name words that disagree (a systemic form and drops) leave the route unknown.
    check_steroid(med("prednisolone oral drops", None, None, None), Level(NeedsReview), "route unknown", src);
    // The given route wins over the name's words.
    check_steroid(med("hydrocortisone cream", Some(Oral), None, None), Level(Avoid), "avoid", src);
    for route in [Topical, Inhaled, Intranasal, Ophthalmic, Otic] {
        check_steroid(med("dexamethasone", Some(route), None, None), Info, "", "EDU; PRODUCT");
    }
    for route in [Oral, Iv, Im, Sc, IntraArticular, Rectal, Other] {
        check_steroid(med("dexamethasone", Some(route), Some(dec!(4)), None), Level(Avoid), "avoid", src);
    }
    // Adrenal replacement by purpose, at any dose, by a systemic route.
    let replacement = "do not stop replacement steroids; review the dose with the physician";
    check_steroid(
        med("hydrocortisone", Some(Oral), Some(dec!(40)), Some("adrenal_replacement")),
        Level(NeedsReview),
        replacement,
        src,
    );
    // ... and by daily dose at or below the ceilings; just above is the systemic class.
    let rows = [
        ("hydrocortisone", dec!(29.9), dec!(30), dec!(30.1)),
        ("prednisone", dec!(5), dec!(7.5), dec!(7.6)),
        ("prednisolone", dec!(7.4), dec!(7.5), dec!(7.6)),
        ("methylprednisolone", dec!(4), dec!(6), dec!(6.1)),
        ("dexamethasone", dec!(0.5), dec!(0.75), dec!(0.76)),
    ];
    for (generic, below, at, above) in rows {
        check_steroid(med(generic, Some(Oral), Some(below), None), Level(NeedsReview), replacement, src);
        check_steroid(med(generic, Some(Oral), Some(at), None), Level(NeedsReview), replacement, src);
        check_steroid(med(generic, Some(Oral), Some(above), None), Level(Avoid), "avoid", src);
    }
    check_steroid(
        med("prednisone", Some(Oral), Some(dec!(20)), Some("Adrenal replacement")),
        Level(NeedsReview),
        replacement,
        src,
    );
    check_steroid(med("prednisone", Some(Oral), Some(dec!(20)), Some("nausea")), Level(Avoid), "avoid", src);
    // A glucocorticoid without a replacement ceiling is replacement only by purpose.
    check_steroid(med("betamethasone", Some(Oral), Some(dec!(0.5)), None), Level(Avoid), "avoid", src);
    // A topical steroid stays information even when its entry says replacement (not the systemic class).
    check_steroid(med("hydrocortisone cream", None, None, Some("adrenal_replacement")), Info, "", "EDU");
}

#[test]
fn a_systemic_steroid_without_dose_or_purpose_is_avoid_with_the_replacement_caution() {
    let report = check_medications(Some(&[med("prednisone 5 mg", Some(MedicationRoute::Oral), None, None)]), hd_iv());
    assert_eq!(report.interactions[0].level, InteractionLevel::Avoid, "[LABEL-OLD Overdosage]");
    assert!(report.interactions[0].note.is_some_and(|note| note.contains("do not stop it")), "[PRODUCT]");
    let mut input = eligible();
    input.medications = Some(vec![med("prednisone 5 mg", Some(MedicationRoute::Oral), Some(dec!(5)), None)]);
    let item = result_of(&input, Item::MedicationList);
    assert_eq!(item.status, Status::NeedsReview, "[SWISS-SMPC; PRODUCT]");
    assert!(item.reasons.iter().any(|reason| reason.contains("do not stop replacement steroids")), "{item:?}");
}

#[test]
fn route_words_of_the_name_decide_only_when_the_entry_gives_no_route() {
    use MedicationRoute::*;
    use interactions::{RouteBasis, route_of};
    let of = |name: &str| route_of(&Medication::named(name));
    // SCREENING §2 amendment [PRODUCT].
    assert_eq!(of("X cream"), RouteBasis::FromName(Topical));
    assert_eq!(of("X Lotion"), RouteBasis::FromName(Topical));
    assert_eq!(of("X inhaler"), RouteBasis::FromName(Inhaled));
    assert_eq!(of("X nebulized"), RouteBasis::FromName(Inhaled));
    assert_eq!(of("X spray"), RouteBasis::FromName(Intranasal));
    assert_eq!(of("X drops"), RouteBasis::FromName(Ophthalmic));
    assert_eq!(of("X 4 mg PO daily"), RouteBasis::FromName(Oral));
    assert_eq!(of("X injection IV"), RouteBasis::FromName(Other), "two systemic words: systemic");
    assert_eq!(of("X cream tablets"), RouteBasis::Unknown, "words that disagree");
    assert_eq!(of("X creamy"), RouteBasis::Unknown, "whole words only");
    assert_eq!(of("X"), RouteBasis::Unknown);
    let given = Medication { route: Some(Iv), ..Medication::named("X cream") };
    assert_eq!(route_of(&given), RouteBasis::Given(Iv));
    assert_eq!(MedicationRoute::from_id("intra_articular"), Some(IntraArticular));
    assert_eq!(MedicationRoute::from_id("oral "), None);
    assert!(MedicationRoute::ALL.iter().all(|route| MedicationRoute::from_id(route.id()) == Some(*route)));
}

/// The ondansetron helper: `kg` gives `mg` to give, capped or not [DUTCHER-2014 T2; FDA-2012-ONDANSETRON].
fn check_ondansetron(kg: Decimal, mg: Decimal, capped: bool, source: &'static str) {
    assert!(Source(source).is_known(), "{source}");
    let plan = premedication_plan(Some(Kilograms::new(kg).unwrap()));
    let dose = &plan.computed[0];
    assert_eq!((dose.dose.value(), dose.capped_by.is_some()), (mg, capped), "{kg} kg [{source}]");
    assert_eq!(dose.uncapped.value(), dec!(0.15) * kg);
}

#[test]
fn ondansetron_is_never_more_than_16_mg_a_dose() {
    let src = "DUTCHER-2014 T2; FDA-2012-ONDANSETRON";
    check_ondansetron(dec!(100), dec!(15.00), false, src);
    check_ondansetron(dec!(106.66), dec!(15.9990), false, src);
    check_ondansetron(dec!(106.67), dec!(16), true, src);
    check_ondansetron(dec!(150), dec!(16), true, src);
    check_ondansetron(dec!(250), dec!(16), true, src);
    let cap = ONDANSETRON.cap.unwrap();
    assert_eq!(cap.milligrams, dec!(16));
    assert_eq!(cap.source, Source("FDA-2012-ONDANSETRON"));
    assert!(cap.source.is_known());
}

#[test]
fn a_combination_with_an_unknown_part_is_never_passed_on_its_known_part() {
    use interactions::unmatched_parts;
    // PRODUCT: a name that matches nothing is never ignored; nor is a part of a combination.
    assert_eq!(unmatched_parts("acetaminophen/Blorptex 5 mg"), vec!["blorptex 5 mg".to_string()]);
    assert_eq!(unmatched_parts("Tylenol with Zyxo"), vec!["zyxo".to_string()]);
    assert!(unmatched_parts("acetaminophen/oxycodone 325/5").is_empty());
    assert!(unmatched_parts("prednisone 5 mg/day").is_empty());
    assert!(unmatched_parts("Metoprolol succinate ER 50 mg/HCTZ 12.5 mg").is_empty());
    assert!(unmatched_parts("diphenoxylate/atropine").is_empty());
    let report = check_medications(Some(&[Medication::named("acetaminophen/Blorptex")]), hd_iv());
    assert_eq!(report.unrecognised, vec!["acetaminophen/Blorptex".to_string()]);
    let mut input = eligible();
    input.medications = Some(vec![Medication::named("acetaminophen/Blorptex")]);
    assert_eq!(result_of(&input, Item::MedicationList).status, Status::NeedsReview, "[PRODUCT]");
    assert_eq!(result_of(&input, Item::Antihypertensives).status, Status::NeedsReview, "[PRODUCT]");
}
