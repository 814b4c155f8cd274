//! The 19 items of the eligibility checklist (SCREENING.md §1) as one closed enum, each with its number, id,
//! source and "valid for" window, and the evaluation of each item to pass / fail / needs_review.
//!
//! Reading rules chosen where SCREENING.md leaves room (the safer reading, see docs/screening.md):
//! - Data are current while `at < data time + window`: a result exactly 7 days, 14 days or 3 calendar months
//!   old (months counted in UTC) is stale and needs review. A stale abnormal result still fails.
//! - A pass needs every input its pass column names, history answers included; anything missing needs review.
//! - Item 17: any interaction found (monitor level included) or any unrecognised name needs review.
//!
//! Nothing here does IO; thresholds are exact decimals.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::interactions::{DrugClass, InteractionLevel, InteractionReport};
use super::{
    Finding, Indication, InfectionStatus, LabResult, LabValue, PregnancyTestResult, Response, ScreeningInput, Sex,
};
use crate::Source;
use crate::units::Measure;

/// Item 1: adults are 18 years or older at the start of the course [LABEL-2024 §1].
pub const ADULT_AGE_YEARS: i16 = 18;
/// Item 4: FEV1 must be more than 2 L; exactly 2 L fails [LABEL-2024 §4; LABEL-OLD].
pub const FEV1_LITRES_ABOVE: Decimal = dec!(2);
/// Item 4: FEV1 at least 75% of predicted; 74.9% fails [LABEL-2024 §4; LABEL-OLD].
pub const FEV1_PERCENT_PREDICTED_AT_LEAST: Decimal = dec!(75);
/// Item 5: baseline creatinine above 1.4 mg/dL predicts worse kidney injury; 1.4 itself does not flag
/// [BELLDEGRUN-1987].
pub const BASELINE_CREATININE_ABOVE_MG_DL: Decimal = dec!(1.4);
/// Item 11: at least 7 weeks from discharge after the last course [LABEL-2024 T1 footnote].
pub const RETREATMENT_GAP_DAYS: i64 = 7 * 7;
/// Item 15: ECOG 0-1 passes; 2 or more needs review [PROLEUKIN-HCP].
pub const ECOG_PASS_AT_MOST: u8 = 1;

/// How long an item's data stay valid (PRODUCT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidFor {
    /// Documented once for this course.
    Course,
    /// Calendar months, counted in UTC.
    Months(i8),
    /// Days of 24 hours.
    Days(i64),
    /// Never expires (earlier toxicities).
    Permanent,
}

impl ValidFor {
    /// When data taken at `from` stop being valid (`None` for course and permanent windows).
    pub fn expiry(self, from: Timestamp) -> Option<Timestamp> {
        match self {
            ValidFor::Course | ValidFor::Permanent => None,
            ValidFor::Months(months) => {
                from.to_zoned(TimeZone::UTC).checked_add(Span::new().months(months)).ok().map(|zoned| zoned.timestamp())
            }
            ValidFor::Days(days) => from.checked_add(SignedDuration::from_hours(24 * days)).ok(),
        }
    }

    /// Whether data taken at `from` are still valid at `at`: strictly before the expiry (the safer reading:
    /// at exactly the window the data are stale). A window that cannot be computed counts as expired.
    pub fn is_current(self, from: Timestamp, at: Timestamp) -> bool {
        match self {
            ValidFor::Course | ValidFor::Permanent => true,
            ValidFor::Months(_) | ValidFor::Days(_) => self.expiry(from).is_some_and(|expiry| at < expiry),
        }
    }

    /// In words: `course`, `3 months`, `14 days`, `permanent`.
    pub fn describe(self) -> String {
        match self {
            ValidFor::Course => "course".to_string(),
            ValidFor::Permanent => "permanent".to_string(),
            ValidFor::Months(months) => format!("{months} months"),
            ValidFor::Days(days) => format!("{days} days"),
        }
    }
}

/// The result of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Pass,
    /// A physician must acknowledge it before the course can start.
    NeedsReview,
    /// Treatment must not start (a physician may record an audited override).
    Fail,
    /// Marked not applicable by the site (regimens other than `hd-iv`; never items 3 and 4).
    NotApplicable,
}

impl Status {
    /// The id used in result documents.
    pub const fn id(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::NeedsReview => "needs_review",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// A checklist item, in the order of SCREENING.md §1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    Indication,
    Hypersensitivity,
    CardiacFunction,
    PulmonaryFunction,
    BaselineLabs,
    OrganImpairment,
    CnsEvaluation,
    OrganAllograft,
    Infection,
    PriorToxicity,
    Retreatment,
    PregnancyStatus,
    Contraception,
    Breastfeeding,
    PerformanceStatus,
    Setting,
    MedicationList,
    Antihypertensives,
    PatientEducation,
}

impl Item {
    /// Every item, 1 to 19.
    pub const ALL: [Item; 19] = [
        Item::Indication,
        Item::Hypersensitivity,
        Item::CardiacFunction,
        Item::PulmonaryFunction,
        Item::BaselineLabs,
        Item::OrganImpairment,
        Item::CnsEvaluation,
        Item::OrganAllograft,
        Item::Infection,
        Item::PriorToxicity,
        Item::Retreatment,
        Item::PregnancyStatus,
        Item::Contraception,
        Item::Breastfeeding,
        Item::PerformanceStatus,
        Item::Setting,
        Item::MedicationList,
        Item::Antihypertensives,
        Item::PatientEducation,
    ];

    /// The item's number in SCREENING.md §1.
    pub const fn number(self) -> u8 {
        match self {
            Item::Indication => 1,
            Item::Hypersensitivity => 2,
            Item::CardiacFunction => 3,
            Item::PulmonaryFunction => 4,
            Item::BaselineLabs => 5,
            Item::OrganImpairment => 6,
            Item::CnsEvaluation => 7,
            Item::OrganAllograft => 8,
            Item::Infection => 9,
            Item::PriorToxicity => 10,
            Item::Retreatment => 11,
            Item::PregnancyStatus => 12,
            Item::Contraception => 13,
            Item::Breastfeeding => 14,
            Item::PerformanceStatus => 15,
            Item::Setting => 16,
            Item::MedicationList => 17,
            Item::Antihypertensives => 18,
            Item::PatientEducation => 19,
        }
    }

    /// The item with `number`.
    pub fn from_number(number: u8) -> Option<Item> {
        Item::ALL.into_iter().find(|item| item.number() == number)
    }

    /// The stable id used in documents and results.
    pub const fn id(self) -> &'static str {
        match self {
            Item::Indication => "screen.indication",
            Item::Hypersensitivity => "screen.hypersensitivity",
            Item::CardiacFunction => "screen.cardiac_function",
            Item::PulmonaryFunction => "screen.pulmonary_function",
            Item::BaselineLabs => "screen.baseline_labs",
            Item::OrganImpairment => "screen.organ_impairment",
            Item::CnsEvaluation => "screen.cns_evaluation",
            Item::OrganAllograft => "screen.organ_allograft",
            Item::Infection => "screen.infection",
            Item::PriorToxicity => "screen.prior_il2_toxicity",
            Item::Retreatment => "screen.retreatment",
            Item::PregnancyStatus => "screen.pregnancy_status",
            Item::Contraception => "screen.contraception",
            Item::Breastfeeding => "screen.breastfeeding",
            Item::PerformanceStatus => "screen.performance_status",
            Item::Setting => "screen.setting",
            Item::MedicationList => "screen.medication_list",
            Item::Antihypertensives => "screen.antihypertensives",
            Item::PatientEducation => "screen.patient_education",
        }
    }

    /// The item's name as SCREENING.md writes it.
    pub const fn title(self) -> &'static str {
        match self {
            Item::Indication => "Indication",
            Item::Hypersensitivity => "Hypersensitivity",
            Item::CardiacFunction => "Cardiac function",
            Item::PulmonaryFunction => "Pulmonary function",
            Item::BaselineLabs => "Baseline labs",
            Item::OrganImpairment => "Renal / hepatic / CNS impairment",
            Item::CnsEvaluation => "CNS evaluation",
            Item::OrganAllograft => "Organ allograft",
            Item::Infection => "Infection",
            Item::PriorToxicity => "Prior IL-2 toxicity",
            Item::Retreatment => "Re-treatment timing and response",
            Item::PregnancyStatus => "Pregnancy status",
            Item::Contraception => "Contraception",
            Item::Breastfeeding => "Breastfeeding",
            Item::PerformanceStatus => "Performance status",
            Item::Setting => "Setting",
            Item::MedicationList => "Medication list",
            Item::Antihypertensives => "Antihypertensives",
            Item::PatientEducation => "Patient education",
        }
    }

    /// The item's source, as SCREENING.md cites it.
    pub const fn source(self) -> Source {
        match self {
            Item::Indication => Source("LABEL-2024 §1"),
            Item::Hypersensitivity => Source("LABEL-2024 §4"),
            Item::CardiacFunction => Source("LABEL-2024 §4 §2.1; LABEL-OLD Contraindications; ASHP-MONO"),
            Item::PulmonaryFunction => Source("LABEL-2024 §4 §2.1; LABEL-OLD; ASHP-MONO"),
            Item::BaselineLabs => Source("LABEL-2024 §2.1 Boxed Warning; CTCAE-5; BELLDEGRUN-1987"),
            Item::OrganImpairment => Source("LABEL-2024 §4 Boxed Warning"),
            Item::CnsEvaluation => Source("LABEL-2024 §2.1; KCA"),
            Item::OrganAllograft => Source("LABEL-OLD Contraindications"),
            Item::Infection => Source("LABEL-2024 Boxed Warning; DUTCHER-2014 T2"),
            Item::PriorToxicity => Source("LABEL-OLD Contraindications; LABEL-2024 §2.4 T2"),
            Item::Retreatment => Source("LABEL-2024 T1 footnote"),
            Item::PregnancyStatus => Source("LABEL-2024 §2.1 §5.6; SWISS-SMPC"),
            Item::Contraception => Source("LABEL-OLD Pregnancy; SWISS-SMPC; EDU"),
            Item::Breastfeeding => Source("LABEL-OLD Pregnancy; EDU"),
            Item::PerformanceStatus => Source("PROLEUKIN-HCP"),
            Item::Setting => Source("LABEL-2024 §2.2"),
            Item::MedicationList => Source("LABEL-OLD Drug interactions; SWISS-SMPC"),
            Item::Antihypertensives => Source("PRACTICE-GUIDE; SWISS-SMPC"),
            Item::PatientEducation => Source("EDU"),
        }
    }

    /// How long the item's data stay valid (PRODUCT).
    pub const fn valid_for(self) -> ValidFor {
        match self {
            Item::CardiacFunction | Item::PulmonaryFunction | Item::CnsEvaluation => ValidFor::Months(3),
            Item::BaselineLabs | Item::OrganImpairment | Item::PerformanceStatus => ValidFor::Days(14),
            Item::Infection | Item::PregnancyStatus | Item::MedicationList | Item::Antihypertensives => {
                ValidFor::Days(7)
            }
            Item::PriorToxicity => ValidFor::Permanent,
            Item::Indication
            | Item::Hypersensitivity
            | Item::OrganAllograft
            | Item::Retreatment
            | Item::Contraception
            | Item::Breastfeeding
            | Item::Setting
            | Item::PatientEducation => ValidFor::Course,
        }
    }

    /// Heart and lung function apply to every regimen; a site may never mark them not applicable
    /// [EDU; LABEL-2024 Boxed Warning].
    pub const fn applies_to_every_regimen(self) -> bool {
        matches!(self, Item::CardiacFunction | Item::PulmonaryFunction)
    }
}

/// One item's result, with the reasons in words and, for timed data, when the result stops being valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    pub item: Item,
    pub status: Status,
    pub reasons: Vec<String>,
    pub valid_until: Option<Timestamp>,
}

/// Collects the findings of one item; the worst finding decides.
struct Verdict {
    item: Item,
    at: Timestamp,
    fails: Vec<String>,
    reviews: Vec<String>,
    passes: Vec<String>,
    valid_until: Option<Timestamp>,
}

impl Verdict {
    fn new(item: Item, at: Timestamp) -> Verdict {
        Verdict { item, at, fails: Vec::new(), reviews: Vec::new(), passes: Vec::new(), valid_until: None }
    }

    fn fail(&mut self, reason: impl Into<String>) {
        self.fails.push(reason.into());
    }

    fn review(&mut self, reason: impl Into<String>) {
        self.reviews.push(reason.into());
    }

    fn pass(&mut self, reason: impl Into<String>) {
        self.passes.push(reason.into());
    }

    /// Records data taken at `taken`: a stale one needs review; a current one limits `valid_until`.
    fn data_from(&mut self, what: &str, taken: Timestamp) {
        let window = self.item.valid_for();
        if window.is_current(taken, self.at) {
            if let Some(expiry) = window.expiry(taken) {
                self.valid_until = Some(self.valid_until.map_or(expiry, |until| until.min(expiry)));
            }
        } else {
            self.review(format!("{what} from {taken} is older than {}: repeat it", window.describe()));
        }
    }

    fn finish(self) -> ItemResult {
        let (status, reasons) = if !self.fails.is_empty() {
            (Status::Fail, [self.fails, self.reviews].concat())
        } else if !self.reviews.is_empty() {
            (Status::NeedsReview, self.reviews)
        } else {
            (Status::Pass, self.passes)
        };
        let valid_until = if status == Status::Pass { self.valid_until } else { None };
        ItemResult { item: self.item, status, reasons, valid_until }
    }
}

/// Evaluates one item.
pub fn evaluate(item: Item, input: &ScreeningInput, interactions: &InteractionReport) -> ItemResult {
    if input.not_applicable.contains(&item) && !item.applies_to_every_regimen() && input.regimen.id != "hd-iv" {
        return ItemResult {
            item,
            status: Status::NotApplicable,
            reasons: vec![format!("marked not applicable by the site for regimen {}", input.regimen.id)],
            valid_until: None,
        };
    }
    let mut verdict = Verdict::new(item, input.at.instant);
    let v = &mut verdict;
    match item {
        Item::Indication => indication(v, input),
        Item::Hypersensitivity => yes_no(
            v,
            input.history.hypersensitivity_to_aldesleukin,
            "known severe hypersensitivity to aldesleukin or a component of the formulation",
            "no known hypersensitivity to aldesleukin",
            "hypersensitivity to aldesleukin not documented",
        ),
        Item::CardiacFunction => cardiac(v, input),
        Item::PulmonaryFunction => pulmonary(v, input),
        Item::BaselineLabs => baseline_labs(v, input),
        Item::OrganImpairment => organ_impairment(v, input),
        Item::CnsEvaluation => cns(v, input),
        Item::OrganAllograft => yes_no(
            v,
            input.history.organ_allograft,
            "has an organ transplant",
            "no organ transplant",
            "organ transplant history not documented",
        ),
        Item::Infection => infection(v, input),
        Item::PriorToxicity => prior_toxicity(v, input),
        Item::Retreatment => retreatment(v, input),
        Item::PregnancyStatus => pregnancy(v, input),
        Item::Contraception => match input.patient.contraception_counselled {
            Some(true) => v.pass("effective contraception counselled and documented"),
            Some(false) | None => v.review("contraception counselling (women and men) not documented"),
        },
        Item::Breastfeeding => match (input.patient.breastfeeding, input.patient.sex) {
            (Some(true), _) => v.review("breastfeeding: not recommended during treatment"),
            (Some(false), _) => v.pass("not breastfeeding"),
            (None, Sex::Male) => v.pass("male patient"),
            (None, _) => v.review("breastfeeding not documented"),
        },
        Item::PerformanceStatus => match input.performance_status {
            None => v.review("ECOG performance status not documented"),
            Some(status) => {
                v.data_from("the ECOG assessment", status.at);
                if status.ecog <= ECOG_PASS_AT_MOST {
                    v.pass(format!("ECOG {}", status.ecog));
                } else {
                    v.review(format!("ECOG {}: trial patients were almost all ECOG 0-1", status.ecog));
                }
            }
        },
        Item::Setting => match input.intensive_care_available {
            Some(true) => v.pass("inpatient unit with intensive care available (attested)"),
            Some(false) => v.fail("no inpatient unit with intensive care available"),
            None => v.review("setting not attested"),
        },
        Item::MedicationList => medication_list(v, input, interactions),
        Item::Antihypertensives => antihypertensives(v, input, interactions),
        Item::PatientEducation => {
            match input.education.sheet_given {
                Some(true) => v.pass("education sheet given"),
                _ => v.review("education sheet not documented as given"),
            }
            match input.education.contrast_flag_explained {
                Some(true) => v.pass("contrast flag explained"),
                _ => v.review("contrast flag not documented as explained"),
            }
        }
    }
    verdict.finish()
}

fn yes_no(v: &mut Verdict, answer: Option<bool>, fail: &str, pass: &str, missing: &str) {
    match answer {
        Some(true) => v.fail(fail),
        Some(false) => v.pass(pass),
        None => v.review(missing),
    }
}

/// Whole years from `born` to `on`; a 29 February birthday is reached on 1 March in other years.
pub fn age_in_years(born: jiff::civil::Date, on: jiff::civil::Date) -> i16 {
    let before_birthday = (on.month(), on.day()) < (born.month(), born.day());
    on.year() - born.year() - i16::from(before_birthday)
}

fn indication(v: &mut Verdict, input: &ScreeningInput) {
    let start = input.course_start();
    let age = age_in_years(input.patient.date_of_birth, start.date);
    if age < ADULT_AGE_YEARS {
        v.review(format!("age {age} at course start ({}): the label indication is for adults", start.date));
    }
    match input.indication {
        None => v.review("indication not documented"),
        Some(Indication::Other) => v.review("indication outside the label: off-label use under a protocol regimen"),
        Some(Indication::MetastaticRenalCellCarcinoma) => v.pass("metastatic renal cell carcinoma"),
        Some(Indication::MetastaticMelanoma) => v.pass("metastatic melanoma"),
    }
    if input.regimen.off_label {
        v.review(format!("regimen {} is off-label: protocol regimen", input.regimen.id));
    }
    if age >= ADULT_AGE_YEARS {
        v.pass(format!("adult, age {age} at course start"));
    }
}

fn cardiac(v: &mut Verdict, input: &ScreeningInput) {
    match input.cardiac {
        None => v.review("cardiac function not evaluated"),
        Some(tests) => {
            match tests.ejection_fraction {
                Some(Finding::Abnormal) => v.fail("abnormal ejection fraction"),
                Some(Finding::Normal) => v.pass("ejection fraction normal"),
                None => v.review("ejection fraction not reported"),
            }
            match tests.wall_motion {
                Some(Finding::Abnormal) => v.fail("impaired wall motion"),
                Some(Finding::Normal) => v.pass("wall motion normal"),
                None => v.review("wall motion not reported"),
            }
            match tests.significant_coronary_artery_disease {
                Some(true) => v.fail("significant coronary artery disease"),
                Some(false) => v.pass("no significant coronary artery disease"),
                None => v.review("coronary artery disease not assessed"),
            }
            match tests.stress_test {
                Some(Finding::Abnormal) => v.fail("abnormal stress test"),
                Some(Finding::Normal) => v.pass("stress test normal"),
                None => {}
            }
            v.data_from("the cardiac evaluation", tests.at);
        }
    }
    match input.history.cardiac_disease {
        Some(true) => v.review("history of cardiac disease: extreme caution even with normal tests"),
        Some(false) => {}
        None => v.review("history of cardiac disease not documented"),
    }
}

fn pulmonary(v: &mut Verdict, input: &ScreeningInput) {
    match input.pulmonary {
        None => v.review("pulmonary function tests not done"),
        Some(tests) => {
            match tests.fev1 {
                Some(fev1) if fev1.value() > FEV1_LITRES_ABOVE => {
                    v.pass(format!("FEV1 {} L", fev1.value().normalize()))
                }
                Some(fev1) => v.fail(format!("FEV1 {} L is not above 2 L", fev1.value().normalize())),
                None => v.review("FEV1 not reported"),
            }
            match tests.fev1_percent_predicted {
                Some(percent) if percent.value() >= FEV1_PERCENT_PREDICTED_AT_LEAST => {
                    v.pass(format!("FEV1 {}% of predicted", percent.value().normalize()))
                }
                Some(percent) => v.fail(format!("FEV1 {}% of predicted is below 75%", percent.value().normalize())),
                None => v.review("FEV1 % of predicted not reported"),
            }
            match tests.significant_impairment {
                Some(true) => v.fail("significant pulmonary impairment"),
                Some(false) => {}
                None => v.review("significant pulmonary impairment not assessed"),
            }
            v.data_from("the pulmonary function tests", tests.at);
        }
    }
    match input.history.lung_disease {
        Some(true) => v.review("history of lung disease: review even with normal tests"),
        Some(false) => {}
        None => v.review("history of lung disease not documented"),
    }
}

/// The analytes item 5 needs, by group: hematology, chemistry, renal, hepatic.
pub const REQUIRED_LABS: [&str; 10] = [
    "wbc",
    "anc",
    "platelets",
    "hemoglobin",
    "potassium",
    "bicarbonate",
    "creatinine",
    "bilirubin_total",
    "alt",
    "ast",
];

impl LabValue {
    /// The observation code (spec/INTERFACES.md).
    pub const fn code(self) -> &'static str {
        match self {
            LabValue::Wbc(_) => "wbc",
            LabValue::Anc(_) => "anc",
            LabValue::Platelets(_) => "platelets",
            LabValue::Hemoglobin(_) => "hemoglobin",
            LabValue::Potassium(_) => "potassium",
            LabValue::Sodium(_) => "sodium",
            LabValue::Bicarbonate(_) => "bicarbonate",
            LabValue::Creatinine(_) => "creatinine",
            LabValue::BilirubinTotal(_) => "bilirubin_total",
            LabValue::Alt(_) => "alt",
            LabValue::Ast(_) => "ast",
        }
    }

    /// The value as a readable quantity in its canonical unit.
    pub fn describe(self) -> String {
        match self {
            LabValue::Wbc(value) | LabValue::Anc(value) | LabValue::Platelets(value) => value.quantity().to_string(),
            LabValue::Hemoglobin(value) => value.quantity().to_string(),
            LabValue::Potassium(value) | LabValue::Sodium(value) | LabValue::Bicarbonate(value) => {
                value.quantity().to_string()
            }
            LabValue::Creatinine(value) => value.quantity().to_string(),
            LabValue::BilirubinTotal(value) => value.quantity().to_string(),
            LabValue::Alt(value) | LabValue::Ast(value) => value.quantity().to_string(),
        }
    }
}

/// CTCAE v5.0 grade-2 limits for a baseline screen [CTCAE-5; GRADING §1]: counts in 10*3/uL, hemoglobin in g/dL.
pub const WBC_GRADE_2_BELOW: Decimal = dec!(3.0);
pub const ANC_GRADE_2_BELOW: Decimal = dec!(1.5);
pub const PLATELETS_GRADE_2_BELOW: Decimal = dec!(75);
pub const HEMOGLOBIN_GRADE_2_BELOW: Decimal = dec!(10.0);
/// Creatinine and bilirubin grade 2 is above 1.5 x ULN; ALT and AST above 3.0 x ULN [CTCAE-5].
pub const CREATININE_GRADE_2_ULN_TIMES: Decimal = dec!(1.5);
pub const BILIRUBIN_GRADE_2_ULN_TIMES: Decimal = dec!(1.5);
pub const TRANSAMINASE_GRADE_2_ULN_TIMES: Decimal = dec!(3.0);

/// Default upper limits when a lab arrives without a reference range [PRODUCT; GRADING §2]; with sex unknown
/// the lower (more severe) limit is used.
fn default_uln(value: LabValue, sex: Sex) -> Option<Decimal> {
    match value {
        LabValue::Creatinine(_) => Some(if sex == Sex::Male { dec!(1.35) } else { dec!(1.04) }),
        LabValue::BilirubinTotal(_) => Some(dec!(1.2)),
        LabValue::Alt(_) | LabValue::Ast(_) => Some(dec!(40)),
        _ => None,
    }
}

/// Default reference limits (LLN, ULN) in mmol/L for the electrolytes when the lab sends no range [GRADING §2]:
/// potassium 3.5-5.0 and sodium 135-145 (amendment of 2026-12-04), bicarbonate LLN 22.
pub const POTASSIUM_DEFAULT_LIMITS: (Decimal, Decimal) = (dec!(3.5), dec!(5.0));
pub const SODIUM_DEFAULT_LIMITS: (Decimal, Decimal) = (dec!(135), dec!(145));
pub const BICARBONATE_DEFAULT_LLN: Decimal = dec!(22);

fn default_limits(value: LabValue) -> (Option<Decimal>, Option<Decimal>) {
    match value {
        LabValue::Potassium(_) => (Some(POTASSIUM_DEFAULT_LIMITS.0), Some(POTASSIUM_DEFAULT_LIMITS.1)),
        LabValue::Sodium(_) => (Some(SODIUM_DEFAULT_LIMITS.0), Some(SODIUM_DEFAULT_LIMITS.1)),
        LabValue::Bicarbonate(_) => (Some(BICARBONATE_DEFAULT_LLN), None),
        _ => (None, None),
    }
}

/// Why a baseline lab needs review, if it does: a CTCAE grade of 2 or more, baseline creatinine above 1.4 mg/dL,
/// or potassium, sodium or bicarbonate outside the lab's reference range (a limit it did not send is the default of
/// GRADING §2, and the reason says so).
pub fn lab_concerns(lab: &LabResult, sex: Sex) -> Vec<String> {
    let mut concerns = Vec::new();
    let given_uln = lab.reference_range.and_then(|range| range.high);
    let uln = given_uln.or_else(|| default_uln(lab.value, sex));
    let uln_note = if given_uln.is_some() { "" } else { " (default ULN)" };
    let grade_2 = |concerns: &mut Vec<String>, term: &str| {
        concerns.push(format!("{} {}: {term} grade >= 2 (CTCAE v5.0)", lab.value.code(), lab.value.describe()))
    };
    match lab.value {
        LabValue::Wbc(value) if value.value() < WBC_GRADE_2_BELOW => {
            grade_2(&mut concerns, "White blood cell decreased")
        }
        LabValue::Anc(value) if value.value() < ANC_GRADE_2_BELOW => {
            grade_2(&mut concerns, "Neutrophil count decreased")
        }
        LabValue::Platelets(value) if value.value() < PLATELETS_GRADE_2_BELOW => {
            grade_2(&mut concerns, "Platelet count decreased")
        }
        LabValue::Hemoglobin(value) if value.value() < HEMOGLOBIN_GRADE_2_BELOW => grade_2(&mut concerns, "Anemia"),
        LabValue::Creatinine(value) => {
            if let Some(uln) = uln.filter(|uln| value.value() > uln * CREATININE_GRADE_2_ULN_TIMES) {
                grade_2(&mut concerns, &format!("Creatinine increased, above 1.5 x ULN {uln}{uln_note}"));
            }
            if value.value() > BASELINE_CREATININE_ABOVE_MG_DL {
                concerns.push(format!(
                    "baseline creatinine {} above 1.4 mg/dL predicts worse kidney injury [BELLDEGRUN-1987]",
                    lab.value.describe()
                ));
            }
        }
        LabValue::BilirubinTotal(value) => {
            if let Some(uln) = uln.filter(|uln| value.value() > uln * BILIRUBIN_GRADE_2_ULN_TIMES) {
                grade_2(&mut concerns, &format!("Blood bilirubin increased, above 1.5 x ULN {uln}{uln_note}"));
            }
        }
        LabValue::Alt(value) | LabValue::Ast(value) => {
            if let Some(uln) = uln.filter(|uln| value.value() > uln * TRANSAMINASE_GRADE_2_ULN_TIMES) {
                let term = if lab.value.code() == "alt" {
                    "Alanine aminotransferase increased"
                } else {
                    "Aspartate aminotransferase increased"
                };
                grade_2(&mut concerns, &format!("{term}, above 3.0 x ULN {uln}{uln_note}"));
            }
        }
        LabValue::Potassium(value) | LabValue::Sodium(value) | LabValue::Bicarbonate(value) => {
            // A limit the lab did not send is the product default [GRADING §2, amendment of 2026-12-04], marked.
            let range = lab.reference_range.unwrap_or_default();
            let (default_low, default_high) = default_limits(lab.value);
            let low = range.low.map(|low| (low, "")).or(default_low.map(|low| (low, " (default limit)")));
            let high = range.high.map(|high| (high, "")).or(default_high.map(|high| (high, " (default limit)")));
            if let Some((low, note)) = low.filter(|(low, _)| value.value() < *low) {
                concerns.push(format!(
                    "{} {} is below the lower limit {low}{note}: outside its reference range",
                    lab.value.code(),
                    lab.value.describe()
                ));
            }
            if let Some((high, note)) = high.filter(|(high, _)| value.value() > *high) {
                concerns.push(format!(
                    "{} {} is above the upper limit {high}{note}: outside its reference range",
                    lab.value.code(),
                    lab.value.describe()
                ));
            }
        }
        LabValue::Wbc(_) | LabValue::Anc(_) | LabValue::Platelets(_) | LabValue::Hemoglobin(_) => {}
    }
    concerns
}

fn baseline_labs(v: &mut Verdict, input: &ScreeningInput) {
    let window = Item::BaselineLabs.valid_for();
    for code in REQUIRED_LABS {
        let latest = input.labs.iter().filter(|lab| lab.value.code() == code).max_by_key(|lab| lab.at);
        match latest {
            None => v.review(format!("{code} missing")),
            Some(lab) if !window.is_current(lab.at, input.at.instant) => v.data_from(code, lab.at),
            Some(lab) => {
                v.data_from(code, lab.at);
                for concern in lab_concerns(lab, input.patient.sex) {
                    v.review(concern);
                }
            }
        }
    }
    // Sodium is not required for item 5 (the ten analytes are), but a current result is checked like potassium.
    let sodium = input.labs.iter().filter(|lab| lab.value.code() == "sodium").max_by_key(|lab| lab.at);
    if let Some(lab) = sodium.filter(|lab| window.is_current(lab.at, input.at.instant)) {
        v.data_from("sodium", lab.at);
        for concern in lab_concerns(lab, input.patient.sex) {
            v.review(concern);
        }
    }
    v.pass("hematology, chemistry, renal and hepatic tests done; no grade >= 2 abnormality");
}

fn organ_impairment(v: &mut Verdict, input: &ScreeningInput) {
    let Some(assessment) = input.impairment else {
        v.review("renal, hepatic and CNS impairment not assessed");
        return;
    };
    for (organ, answer) in [("renal", assessment.renal), ("hepatic", assessment.hepatic), ("CNS", assessment.cns)] {
        match answer {
            Some(true) => v.fail(format!("significant {organ} impairment (physician judgement)")),
            Some(false) => v.pass(format!("no significant {organ} impairment")),
            None => v.review(format!("{organ} impairment not assessed")),
        }
    }
    v.data_from("the impairment assessment", assessment.at);
}

fn cns(v: &mut Verdict, input: &ScreeningInput) {
    let Some(evaluation) = input.cns else {
        v.review("CNS evaluation not done (centers commonly image the brain)");
        return;
    };
    match evaluation.impairment {
        Some(true) => v.review("CNS impairment present"),
        Some(false) => v.pass("no CNS impairment"),
        None => v.review("CNS impairment not reported"),
    }
    match evaluation.brain_metastases {
        Some(true) => v.review("brain metastases present"),
        Some(false) => v.pass("no brain metastases"),
        None => v.review("brain metastases not reported"),
    }
    v.data_from("the CNS evaluation", evaluation.at);
}

fn infection(v: &mut Verdict, input: &ScreeningInput) {
    match input.infection {
        None => v.review("infection status not documented"),
        Some(assessment) => {
            match assessment.status {
                InfectionStatus::UntreatedBacterial => v.fail("untreated bacterial infection"),
                InfectionStatus::UnderTreatment => v.review("infection under treatment"),
                InfectionStatus::None => v.pass("no active infection"),
            }
            v.data_from("the infection assessment", assessment.at);
        }
    }
    match input.central_line_planned {
        Some(true) => {
            v.review("central line planned: gram-positive antibiotic prophylaxis (see the premedication plan)")
        }
        Some(false) => {}
        None => v.review("central line plan not documented"),
    }
}

fn prior_toxicity(v: &mut Verdict, input: &ScreeningInput) {
    if input.patient.retreatment_contraindicated {
        v.fail("flag il2_retreatment_contraindicated is set");
    }
    match input.previous_courses.as_deref() {
        None => v.review("earlier interleukin-2 courses not documented"),
        Some([]) => v.pass("no earlier course"),
        Some(courses) => {
            for course in courses {
                for toxicity in &course.toxicities {
                    v.fail(format!("{} in the course ending {}", toxicity.title(), course.discharged_at));
                }
            }
            v.pass("none of the listed events in earlier courses");
        }
    }
}

fn retreatment(v: &mut Verdict, input: &ScreeningInput) {
    let Some(courses) = input.previous_courses.as_deref() else {
        v.review("earlier interleukin-2 courses not documented");
        return;
    };
    let Some(last) = courses.iter().max_by_key(|course| course.discharged_at) else {
        v.pass("first course");
        return;
    };
    let start = input.course_start().instant;
    let gap = start.duration_since(last.discharged_at);
    if gap < SignedDuration::from_hours(24 * RETREATMENT_GAP_DAYS) {
        let days = gap.as_hours().div_euclid(24);
        v.fail(format!("{days} days from discharge ({}) to course start: less than 7 weeks", last.discharged_at));
    } else {
        v.pass(format!("at least 7 weeks since discharge on {}", last.discharged_at));
    }
    match last.response {
        Response::Shrinkage => v.pass("tumor shrinkage documented after the last course"),
        Response::NoShrinkage => v.fail("no tumor shrinkage after the last course"),
        Response::NotEvaluated => {
            v.review("response not yet evaluated (about 4 weeks after a course and again before the next)")
        }
    }
}

fn pregnancy(v: &mut Verdict, input: &ScreeningInput) {
    let patient = &input.patient;
    if patient.pregnant == Some(true) {
        v.fail("pregnant");
    }
    if let Some(test) = patient.pregnancy_test.filter(|test| test.result == PregnancyTestResult::Positive) {
        v.fail(format!("positive pregnancy test on {}", test.at));
    }
    if patient.sex == Sex::Male {
        v.pass("male patient: no pregnancy status to verify");
    } else if patient.reproductive_potential == Some(false) {
        v.pass("not of reproductive potential (documented)");
    } else if let Some(test) = patient.pregnancy_test {
        if test.result == PregnancyTestResult::Negative {
            v.data_from("the pregnancy test", test.at);
            v.pass(format!("negative pregnancy test on {}", test.at));
        }
    } else {
        v.review("pregnancy status not verified");
    }
}

fn medication_list(v: &mut Verdict, input: &ScreeningInput, report: &InteractionReport) {
    if !report.provided {
        v.review("medication list not provided");
        return;
    }
    for hit in &report.interactions {
        let mut reason = format!("{} ({}): {}, {}", hit.medication, hit.matched_as, hit.class.title(), hit.level.id());
        // The glucocorticoid amendment's words are part of the reason: a replacement steroid must not be stopped.
        if hit.class == DrugClass::Glucocorticoids && hit.level == InteractionLevel::NeedsReview {
            reason += &format!(": {}", hit.action);
        }
        if let Some(note) = hit.note {
            reason += &format!("; {note}");
        }
        v.review(reason);
    }
    for name in &report.unrecognised {
        v.review(format!("`{name}` not recognised: check it by hand"));
    }
    v.data_from("the medication list", input.at.instant);
    v.pass("screened: no interaction found");
}

fn antihypertensives(v: &mut Verdict, input: &ScreeningInput, report: &InteractionReport) {
    if !report.provided {
        v.review("medication list not provided");
        return;
    }
    for hit in report.interactions.iter().filter(|hit| hit.class == DrugClass::Antihypertensives) {
        v.review(format!("taking {}: practice guides stop antihypertensives before therapy", hit.medication));
    }
    if !report.unrecognised.is_empty() {
        v.review(format!("{} unrecognised name(s) could be antihypertensives", report.unrecognised.len()));
    }
    v.data_from("the medication list", input.at.instant);
    v.pass("no antihypertensive on the list");
}
