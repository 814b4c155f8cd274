//! CTCAE v5.0 grading of the terms that numbers can grade (GRADING §1-3): laboratory terms against the lab's
//! reference range or the product defaults, creatinine and liver terms against baseline, fever, weight gain,
//! hypoxia with its rest/exertion context, diarrhea over baseline and febrile neutropenia. Grades defined by
//! consequences (life-threatening, death) are clinician-entered and never computed here. Pure: no IO.
//! Grades are information, with one exception: `product.hold.grade-4` holds a dose on any computed grade 4
//! except Lymphocyte count decreased (ASSESSMENT §10.1, which overrides GRADING §5).

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::Source;
use crate::assessment::inputs::{ActivityContext, Assessment, ObservationCode, Reading, Sex};
use crate::assessment::thresholds::MaxAges;
use crate::units::{CellCount, Creatinine, Hemoglobin, Measure, MillimolesPerLitre, Quantity};

/// The CTCAE version every grade carries.
pub const CTCAE_VERSION: &str = "5.0";

/// The source of every computed grade.
pub const GRADING_SOURCE: Source = Source("CTCAE-5");

/// The source of the default reference limits (GRADING §2: il2care defaults, not CTCAE values).
pub const DEFAULT_LIMITS_SOURCE: Source = Source("PRODUCT");

/// The CTCAE v5.0 terms il2care computes, spelled exactly as in CTCAE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    WhiteBloodCellDecreased,
    NeutrophilCountDecreased,
    PlateletCountDecreased,
    LymphocyteCountDecreased,
    Anemia,
    CreatinineIncreased,
    BloodBilirubinIncreased,
    AlanineAminotransferaseIncreased,
    AspartateAminotransferaseIncreased,
    Fever,
    WeightGain,
    Hypoxia,
    Diarrhea,
    FebrileNeutropenia,
    Hyperkalemia,
    Hypokalemia,
    Hypernatremia,
    Hyponatremia,
}

impl Term {
    /// The CTCAE v5.0 term.
    pub const fn name(self) -> &'static str {
        match self {
            Term::WhiteBloodCellDecreased => "White blood cell decreased",
            Term::NeutrophilCountDecreased => "Neutrophil count decreased",
            Term::PlateletCountDecreased => "Platelet count decreased",
            Term::LymphocyteCountDecreased => "Lymphocyte count decreased",
            Term::Anemia => "Anemia",
            Term::CreatinineIncreased => "Creatinine increased",
            Term::BloodBilirubinIncreased => "Blood bilirubin increased",
            Term::AlanineAminotransferaseIncreased => "Alanine aminotransferase increased",
            Term::AspartateAminotransferaseIncreased => "Aspartate aminotransferase increased",
            Term::Fever => "Fever",
            Term::WeightGain => "Weight gain",
            Term::Hypoxia => "Hypoxia",
            Term::Diarrhea => "Diarrhea",
            Term::FebrileNeutropenia => "Febrile neutropenia",
            Term::Hyperkalemia => "Hyperkalemia",
            Term::Hypokalemia => "Hypokalemia",
            Term::Hypernatremia => "Hypernatremia",
            Term::Hyponatremia => "Hyponatremia",
        }
    }
}

/// Qualifiers stored with a grade (GRADING §1-3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Markers {
    /// The limit is a product default, not the lab's reference range.
    pub reference_range_default: bool,
    /// No baseline was known; only the ULN column (or the normal-baseline column) was used.
    pub baseline_missing: bool,
    /// Fever above 40.0 Cel: the duration that splits G3 from G4 is not known.
    pub duration_unknown: bool,
    /// Computed from the number alone at the lowest grade it allows; symptoms, an intervention or a
    /// hospitalization (clinician input) may raise it (GRADING §1 Electrolytes).
    pub needs_clinician: bool,
}

/// Why a term could not be graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ungradable {
    /// Hypoxia needs the clinician or device to say rest or exertion.
    NeedsRestOrExertion,
    /// Febrile neutropenia at 38.0-38.3 Cel needs to know whether the fever lasted more than 1 h.
    NeedsFeverDuration,
}

impl Ungradable {
    /// The reason as results spell it.
    pub const fn id(self) -> &'static str {
        match self {
            Ungradable::NeedsRestOrExertion => "needs_rest_or_exertion_context",
            Ungradable::NeedsFeverDuration => "needs_fever_duration",
        }
    }
}

/// One computed grade: `grade` 0 = within normal limits (il2care's value), `None` = cannot be graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grade {
    pub term: Term,
    pub grade: Result<u8, Ungradable>,
    /// The value graded, in its canonical unit, and when it was measured.
    pub value: Quantity,
    pub at: Timestamp,
    /// The reference limit used (ULN or LLN), when the term uses one.
    pub limit: Option<Quantity>,
    /// The baseline used, when the term uses one.
    pub baseline: Option<Quantity>,
    pub markers: Markers,
}

/// Which limits a count term has (GRADING §1): the lower bound of G1, G2 and G3 (G4 below the last).
struct CountFloors {
    g1: Decimal,
    g2: Decimal,
    g3: Decimal,
}

/// A decreased count. The bands of grades 2-4 are absolute; only grade 1 refers to the LLN, and grade 0 is
/// at or above the LLN and outside every band (GRADING §1, amendment of 2026-12-04): with an LLN below the
/// grade-1 floor, a value under the floor is still grade 2.
fn decreased(value: Decimal, lln: Decimal, floors: &CountFloors) -> u8 {
    if value < floors.g3 {
        4
    } else if value < floors.g2 {
        3
    } else if value < floors.g1 {
        2
    } else if value < lln {
        1
    } else {
        0
    }
}

/// White blood cell decreased: G1 3.0-<LLN, G2 2.0-<3.0, G3 1.0-<2.0, G4 <1.0 (10*3/uL) (CTCAE-5).
pub fn white_blood_cell_decreased(value: CellCount, lln: CellCount) -> u8 {
    decreased(value.value(), lln.value(), &CountFloors { g1: dec!(3.0), g2: dec!(2.0), g3: dec!(1.0) })
}

/// Neutrophil count decreased: G1 1.5-<LLN, G2 1.0-<1.5, G3 0.5-<1.0, G4 <0.5 (CTCAE-5).
pub fn neutrophil_count_decreased(value: CellCount, lln: CellCount) -> u8 {
    decreased(value.value(), lln.value(), &CountFloors { g1: dec!(1.5), g2: dec!(1.0), g3: dec!(0.5) })
}

/// Platelet count decreased: G1 75-<LLN, G2 50-<75, G3 25-<50, G4 <25 (CTCAE-5).
pub fn platelet_count_decreased(value: CellCount, lln: CellCount) -> u8 {
    decreased(value.value(), lln.value(), &CountFloors { g1: dec!(75), g2: dec!(50), g3: dec!(25) })
}

/// Lymphocyte count decreased: G1 0.8-<LLN, G2 0.5-<0.8, G3 0.2-<0.5, G4 <0.2 (CTCAE-5). Grading only: an
/// expected effect of IL-2, it never holds a dose (GRADING §1 amendment).
pub fn lymphocyte_count_decreased(value: CellCount, lln: CellCount) -> u8 {
    decreased(value.value(), lln.value(), &CountFloors { g1: dec!(0.8), g2: dec!(0.5), g3: dec!(0.2) })
}

/// Anemia: G1 10.0-<LLN, G2 8.0-<10.0, G3 <8.0 g/dL, the bands of G2 and G3 absolute; G4 is clinician-entered
/// (CTCAE-5; GRADING §1 amendment of 2026-12-04).
pub fn anemia(value: Hemoglobin, lln: Hemoglobin) -> u8 {
    let value = value.value();
    if value < dec!(8.0) {
        3
    } else if value < dec!(10.0) {
        2
    } else if value < lln.value() {
        1
    } else {
        0
    }
}

/// An electrolyte grade with the `needs_clinician` marker (GRADING §1 Electrolytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectrolyteGrade {
    pub grade: u8,
    /// A higher grade may apply on clinician input (symptoms, intervention, hospitalization).
    pub needs_clinician: bool,
}

fn electrolyte(grade: u8, needs_clinician: bool) -> ElectrolyteGrade {
    ElectrolyteGrade { grade, needs_clinician }
}

/// Hyperkalemia: G1 ULN-5.5, G2 >5.5-6.0, G3 >6.0-7.0, G4 >7.0 mmol/L, the bands of G2-G4 absolute (CTCAE-5).
/// G1 and G2 may be raised by an intervention or a hospitalization (CTCAE-5 "intervention initiated",
/// "hospitalization indicated"): marked `needs_clinician`.
pub fn hyperkalemia(value: Decimal, uln: Decimal) -> ElectrolyteGrade {
    if value > dec!(7.0) {
        electrolyte(4, false)
    } else if value > dec!(6.0) {
        electrolyte(3, false)
    } else if value > dec!(5.5) {
        electrolyte(2, true)
    } else if value > uln {
        electrolyte(1, true)
    } else {
        electrolyte(0, false)
    }
}

/// Hypokalemia: G1 3.0-<LLN (G2 if symptomatic: clinician), G3 2.5-<3.0, G4 <2.5 mmol/L (CTCAE-5). A computed
/// G1 is marked `needs_clinician`.
pub fn hypokalemia(value: Decimal, lln: Decimal) -> ElectrolyteGrade {
    if value < dec!(2.5) {
        electrolyte(4, false)
    } else if value < dec!(3.0) {
        electrolyte(3, false)
    } else if value < lln {
        electrolyte(1, true)
    } else {
        electrolyte(0, false)
    }
}

/// Hypernatremia: G1 ULN-150, G2 >150-155, G3 >155-160, G4 >160 mmol/L (CTCAE-5). G1 and G2 may be raised by an
/// intervention or a hospitalization: marked `needs_clinician`.
pub fn hypernatremia(value: Decimal, uln: Decimal) -> ElectrolyteGrade {
    if value > dec!(160) {
        electrolyte(4, false)
    } else if value > dec!(155) {
        electrolyte(3, false)
    } else if value > dec!(150) {
        electrolyte(2, true)
    } else if value > uln {
        electrolyte(1, true)
    } else {
        electrolyte(0, false)
    }
}

/// Hyponatremia: G1 130-<LLN, G2 125-<130 (asymptomatic), G3 120-<125 (or 125-129 symptomatic: clinician),
/// G4 <120 mmol/L (CTCAE-5). A computed G2 is marked `needs_clinician`.
pub fn hyponatremia(value: Decimal, lln: Decimal) -> ElectrolyteGrade {
    if value < dec!(120) {
        electrolyte(4, false)
    } else if value < dec!(125) {
        electrolyte(3, false)
    } else if value < dec!(130) {
        electrolyte(2, true)
    } else if value < lln {
        electrolyte(1, false)
    } else {
        electrolyte(0, false)
    }
}

/// Creatinine increased: the highest of the ULN column and the baseline column (CTCAE-5).
pub fn creatinine_increased(value: Creatinine, uln: Creatinine, baseline: Option<Creatinine>) -> u8 {
    let (x, uln) = (value.value(), uln.value());
    // Most results are normal: the cheapest comparisons come first (this runs at every assessment).
    let by_uln = if x <= uln {
        0
    } else if x <= dec!(1.5) * uln {
        1
    } else if x <= dec!(3.0) * uln {
        2
    } else if x <= dec!(6.0) * uln {
        3
    } else {
        4
    };
    let by_baseline = baseline.map_or(0, |baseline| {
        let baseline = baseline.value();
        if x <= dec!(1.5) * baseline {
            0
        } else if x <= dec!(3.0) * baseline {
            2
        } else {
            3
        }
    });
    by_uln.max(by_baseline)
}

/// Blood bilirubin increased: the normal-baseline column (by ULN) when the baseline is at most the ULN or
/// unknown, the abnormal-baseline column (by baseline) otherwise (CTCAE-5).
pub fn blood_bilirubin_increased(value: Decimal, uln: Decimal, baseline: Option<Decimal>) -> u8 {
    let reference = match baseline {
        Some(baseline) if baseline > uln => baseline,
        _ => uln,
    };
    if value <= reference {
        0
    } else if value <= dec!(1.5) * reference {
        1
    } else if value <= dec!(3.0) * reference {
        2
    } else if value <= dec!(10.0) * reference {
        3
    } else {
        4
    }
}

/// ALT or AST increased. Normal baseline: G1 ULN-3.0xULN ... Abnormal baseline: G1 1.5-3.0 x baseline
/// (values above baseline but below 1.5 x baseline are G0) (CTCAE-5).
pub fn aminotransferase_increased(value: Decimal, uln: Decimal, baseline: Option<Decimal>) -> u8 {
    let upper = |reference: Decimal| {
        if value <= dec!(3.0) * reference {
            1
        } else if value <= dec!(5.0) * reference {
            2
        } else if value <= dec!(20.0) * reference {
            3
        } else {
            4
        }
    };
    match baseline {
        Some(baseline) if baseline > uln => {
            if value < dec!(1.5) * baseline {
                0
            } else {
                upper(baseline)
            }
        }
        _ => {
            if value <= uln {
                0
            } else {
                upper(uln)
            }
        }
    }
}

/// Fever by the highest temperature: G1 38.0-39.0, G2 >39.0-40.0, G3 >40.0 (G4 needs > 24 h above 40.0,
/// so a computed G3 is marked `duration_unknown`) (CTCAE-5).
pub fn fever(celsius: Decimal) -> (u8, bool) {
    if celsius > dec!(40.0) {
        (3, true)
    } else if celsius > dec!(39.0) {
        (2, false)
    } else if celsius >= dec!(38.0) {
        (1, false)
    } else {
        (0, false)
    }
}

/// Weight gain over baseline: G1 5-<10 %, G2 10-<20 %, G3 >=20 % (CTCAE-5). Exact: compares gain x 100
/// with percent x baseline.
pub fn weight_gain(weight: Decimal, baseline: Decimal) -> u8 {
    let gain = (weight - baseline) * dec!(100);
    if gain < dec!(5) * baseline {
        0
    } else if gain < dec!(10) * baseline {
        1
    } else if gain < dec!(20) * baseline {
        2
    } else {
        3
    }
}

/// Hypoxia from SpO2: on exertion < 88 % = G2, at rest < 88 % = G3 (CTCAE-5). At or above 88 % no
/// computed grade applies in either context, so the context is only needed below 88 %.
pub fn hypoxia(spo2: Decimal, context: Option<ActivityContext>) -> Result<u8, Ungradable> {
    if spo2 >= dec!(88) {
        return Ok(0);
    }
    match context {
        Some(ActivityContext::Rest) => Ok(3),
        Some(ActivityContext::Exertion) => Ok(2),
        None => Err(Ungradable::NeedsRestOrExertion),
    }
}

/// Diarrhea by stools per day over the patient's baseline: G1 < 4, G2 4-6, G3 >= 7 (CTCAE-5). The
/// assessment document carries no stool count, so this is graded only where a check-in supplies one.
pub fn diarrhea(increase_over_baseline: u32) -> u8 {
    match increase_over_baseline {
        0 => 0,
        1..=3 => 1,
        4..=6 => 2,
        _ => 3,
    }
}

/// Febrile neutropenia: ANC < 1.0 and a single temperature > 38.3 Cel = G3; between 38.0 and 38.3 the
/// sustained-over-1-h criterion needs the duration (CTCAE-5).
pub fn febrile_neutropenia(anc: CellCount, highest_celsius: Decimal) -> Result<u8, Ungradable> {
    if anc.value() >= dec!(1.0) || highest_celsius < dec!(38.0) {
        Ok(0)
    } else if highest_celsius > dec!(38.3) {
        Ok(3)
    } else {
        Err(Ungradable::NeedsFeverDuration)
    }
}

/// The product default creatinine ULN (GRADING §2): 1.35 mg/dL male, 1.04 female; sex unknown takes the lower
/// (more severe) limit.
pub fn default_creatinine_uln(sex: Sex) -> Creatinine {
    let value = match sex {
        Sex::Male => dec!(1.35),
        Sex::Female | Sex::Unknown => dec!(1.04),
    };
    Creatinine::new(value).expect("a reviewed default limit is valid")
}

/// The product default hemoglobin LLN: 13.5 g/dL male, 12.0 female; sex unknown takes the higher (more
/// severe) limit.
pub fn default_hemoglobin_lln(sex: Sex) -> Hemoglobin {
    let value = match sex {
        Sex::Female => dec!(12.0),
        Sex::Male | Sex::Unknown => dec!(13.5),
    };
    Hemoglobin::new(value).expect("a reviewed default limit is valid")
}

fn cells(value: Decimal) -> CellCount {
    CellCount::new(value).expect("a reviewed default limit is valid")
}

/// A grade-4 result that is too old to be used: the grade it would have, for `product.hold.grade-4`, which may
/// not treat an aged-out grade 4 as "below 4" (ASSESSMENT §9.2 read in the safe direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleGradeFour {
    pub term: Term,
    pub code: ObservationCode,
    pub at: Timestamp,
}

/// The grades of an assessment and the grade-4 results that have grown too old.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graded {
    pub grades: Vec<Grade>,
    pub stale_grade_four: Vec<StaleGradeFour>,
}

/// Whether a grade counts for `product.hold.grade-4`: grade 4 of any term but Lymphocyte count decreased,
/// an expected effect of IL-2 that never holds a dose (ASSESSMENT §10.1; GRADING §1 amendment).
pub fn holds_a_dose(term: Term, grade: Result<u8, Ungradable>) -> bool {
    grade == Ok(4) && term != Term::LymphocyteCountDecreased
}

/// The product default potassium limits (GRADING §2 amendment): LLN 3.5, ULN 5.0 mmol/L.
pub const DEFAULT_POTASSIUM: (Decimal, Decimal) = (dec!(3.5), dec!(5.0));
/// The product default sodium limits (GRADING §2 amendment): LLN 135, ULN 145 mmol/L.
pub const DEFAULT_SODIUM: (Decimal, Decimal) = (dec!(135), dec!(145));

/// Every grade the assessment's data supports at its decision time: each lab's latest result within its
/// maximum age, the highest temperature of that window, the latest weight and SpO2.
pub fn grade_assessment(assessment: &Assessment, max_ages: &MaxAges) -> Vec<Grade> {
    graded(assessment, max_ages).grades
}

/// [`grade_assessment`], plus the latest results too old to be graded that would be grade 4.
pub fn graded(assessment: &Assessment, max_ages: &MaxAges) -> Graded {
    grade_terms(assessment, max_ages, false)
}

/// Only what `product.hold.grade-4` reads, computed by the same code as [`graded`]: the grades that hold a
/// dose and the aged-out grade-4 results. The terms that cannot reach a computed grade 4 (anemia, fever,
/// weight gain, hypoxia, febrile neutropenia) and lymphocytes (which never hold) are skipped, and nothing is
/// allocated unless a grade 4 is found, so that every decision can afford it.
pub fn grade_four(assessment: &Assessment, max_ages: &MaxAges) -> Graded {
    grade_terms(assessment, max_ages, true)
}

fn grade_terms(assessment: &Assessment, max_ages: &MaxAges, only_grade_four: bool) -> Graded {
    let at = assessment.at;
    let patient = &assessment.patient;
    let observations = &assessment.observations;
    let at_nanos = at.as_nanosecond();
    // Ages compared in integer nanoseconds: exact, and cheap at every assessment.
    let fresh = |code: ObservationCode, reading_at: Timestamp| {
        max_ages.observation(code).is_none_or(|max_age| at_nanos - reading_at.as_nanosecond() <= max_age.as_nanos())
    };
    fn latest<M: Copy>(series: &[Reading<M>]) -> Option<&Reading<M>> {
        series.iter().max_by_key(|reading| reading.at)
    }
    // At most one grade per computed term: one allocation (none when only grade 4 is asked for).
    let mut grades = if only_grade_four { Vec::new() } else { Vec::with_capacity(18) };
    let mut stale_grade_four = Vec::new();
    // A lab term: kept when fresh; a stale result is graded only to find an aged-out grade 4.
    let mut push =
        |term, code, grade: Result<u8, Ungradable>, reading_value: Quantity, reading_at, limit, baseline, markers| {
            if fresh(code, reading_at) {
                if !only_grade_four || holds_a_dose(term, grade) {
                    grades.push(Grade { term, grade, value: reading_value, at: reading_at, limit, baseline, markers });
                }
            } else if holds_a_dose(term, grade) {
                stale_grade_four.push(StaleGradeFour { term, code, at: reading_at });
            }
        };

    type CountTerm<'a> = (Term, ObservationCode, &'a [Reading<CellCount>], Decimal, fn(CellCount, CellCount) -> u8);
    let counts: [CountTerm<'_>; 4] = [
        (Term::WhiteBloodCellDecreased, ObservationCode::Wbc, &observations.wbc, dec!(4.0), white_blood_cell_decreased),
        (
            Term::NeutrophilCountDecreased,
            ObservationCode::Anc,
            &observations.anc,
            dec!(2.0),
            neutrophil_count_decreased,
        ),
        (
            Term::PlateletCountDecreased,
            ObservationCode::Platelets,
            &observations.platelets,
            dec!(150),
            platelet_count_decreased,
        ),
        (
            Term::LymphocyteCountDecreased,
            ObservationCode::Lymphocytes,
            &observations.lymphocytes,
            dec!(1.0),
            lymphocyte_count_decreased,
        ),
    ];
    for (term, code, series, default_lln, grade) in counts {
        if only_grade_four && term == Term::LymphocyteCountDecreased {
            continue;
        }
        if let Some(reading) = latest(series) {
            let (lln, default) = match reading.reference_range {
                Some(range) => (range.low, false),
                None => (cells(default_lln), true),
            };
            let markers = Markers { reference_range_default: default, ..Markers::default() };
            push(
                term,
                code,
                Ok(grade(reading.value, lln)),
                reading.value.quantity(),
                reading.at,
                Some(lln.quantity()),
                None,
                markers,
            );
        }
    }

    // Anemia has no computed grade 4 (clinician-entered).
    if !only_grade_four && let Some(reading) = latest(&observations.hemoglobin) {
        let (lln, default) = match reading.reference_range {
            Some(range) => (range.low, false),
            None => (default_hemoglobin_lln(patient.sex), true),
        };
        let markers = Markers { reference_range_default: default, ..Markers::default() };
        push(
            Term::Anemia,
            ObservationCode::Hemoglobin,
            Ok(anemia(reading.value, lln)),
            reading.value.quantity(),
            reading.at,
            Some(lln.quantity()),
            None,
            markers,
        );
    }

    if let Some(reading) = latest(&observations.creatinine) {
        let (uln, default) = match reading.reference_range {
            Some(range) => (range.high, false),
            None => (default_creatinine_uln(patient.sex), true),
        };
        let baseline = patient.baseline_creatinine;
        let markers =
            Markers { reference_range_default: default, baseline_missing: baseline.is_none(), ..Markers::default() };
        let grade = creatinine_increased(reading.value, uln, baseline);
        let baseline = baseline.map(Measure::quantity);
        push(
            Term::CreatinineIncreased,
            ObservationCode::Creatinine,
            Ok(grade),
            reading.value.quantity(),
            reading.at,
            Some(uln.quantity()),
            baseline,
            markers,
        );
    }

    if let Some(reading) = latest(&observations.bilirubin_total) {
        let (uln, default) = match reading.reference_range {
            Some(range) => (range.high.value(), false),
            None => (dec!(1.2), true),
        };
        let baseline = patient.baseline_bilirubin.map(|baseline| baseline.value());
        let markers =
            Markers { reference_range_default: default, baseline_missing: baseline.is_none(), ..Markers::default() };
        let grade = blood_bilirubin_increased(reading.value.value(), uln, baseline);
        let limit = Quantity { value: uln, unit: reading.value.quantity().unit };
        let baseline = patient.baseline_bilirubin.map(Measure::quantity);
        push(
            Term::BloodBilirubinIncreased,
            ObservationCode::BilirubinTotal,
            Ok(grade),
            reading.value.quantity(),
            reading.at,
            Some(limit),
            baseline,
            markers,
        );
    }

    let enzymes = [
        (Term::AlanineAminotransferaseIncreased, ObservationCode::Alt, &observations.alt, patient.baseline_alt),
        (Term::AspartateAminotransferaseIncreased, ObservationCode::Ast, &observations.ast, patient.baseline_ast),
    ];
    for (term, code, series, baseline) in enzymes {
        if let Some(reading) = latest(series) {
            let (uln, default) = match reading.reference_range {
                Some(range) => (range.high.value(), false),
                None => (dec!(40), true),
            };
            let markers = Markers {
                reference_range_default: default,
                baseline_missing: baseline.is_none(),
                ..Markers::default()
            };
            let grade = aminotransferase_increased(reading.value.value(), uln, baseline.map(|b| b.value()));
            let limit = Quantity { value: uln, unit: reading.value.quantity().unit };
            push(
                term,
                code,
                Ok(grade),
                reading.value.quantity(),
                reading.at,
                Some(limit),
                baseline.map(Measure::quantity),
                markers,
            );
        }
    }

    // Electrolytes, with or without the lab's range (GRADING §1 Electrolytes, §2 defaults): each result is
    // graded for both of its terms, high against the ULN and low against the LLN.
    type ElectrolyteTerm = (Term, fn(Decimal, Decimal) -> ElectrolyteGrade, bool);
    type Electrolyte<'a> =
        (ObservationCode, &'a [Reading<MillimolesPerLitre>], (Decimal, Decimal), [ElectrolyteTerm; 2]);
    let electrolytes: [Electrolyte<'_>; 2] = [
        (
            ObservationCode::Potassium,
            &observations.potassium,
            DEFAULT_POTASSIUM,
            [(Term::Hyperkalemia, hyperkalemia, true), (Term::Hypokalemia, hypokalemia, false)],
        ),
        (
            ObservationCode::Sodium,
            &observations.sodium,
            DEFAULT_SODIUM,
            [(Term::Hypernatremia, hypernatremia, true), (Term::Hyponatremia, hyponatremia, false)],
        ),
    ];
    for (code, series, (default_lln, default_uln), terms) in electrolytes {
        if let Some(reading) = latest(series) {
            let ((lln, uln), default) = match reading.reference_range {
                Some(range) => ((range.low.value(), range.high.value()), false),
                None => ((default_lln, default_uln), true),
            };
            for (term, grade_of, high) in terms {
                let limit = if high { uln } else { lln };
                let graded = grade_of(reading.value.value(), limit);
                let markers = Markers {
                    reference_range_default: default,
                    needs_clinician: graded.needs_clinician,
                    ..Markers::default()
                };
                let limit = Quantity { value: limit, unit: reading.value.quantity().unit };
                push(term, code, Ok(graded.grade), reading.value.quantity(), reading.at, Some(limit), None, markers);
            }
        }
    }

    if only_grade_four {
        // Fever, weight gain, hypoxia and febrile neutropenia reach grade 4 only by clinician input.
        return Graded { grades, stale_grade_four };
    }
    let day = max_ages.observation(ObservationCode::Temperature).unwrap_or(SignedDuration::from_hours(24));
    let hottest = observations
        .temperature
        .iter()
        .filter(|reading| at_nanos - reading.at.as_nanosecond() <= day.as_nanos())
        .max_by_key(|reading| reading.value);
    if let Some(reading) = hottest {
        let (grade, duration_unknown) = fever(reading.value.value());
        let markers = Markers { duration_unknown, ..Markers::default() };
        push(
            Term::Fever,
            ObservationCode::Temperature,
            Ok(grade),
            reading.value.quantity(),
            reading.at,
            None,
            None,
            markers,
        );
    }

    if let (Some(reading), Some(baseline)) = (latest(&observations.weight), patient.baseline_weight) {
        let grade = weight_gain(reading.value.value(), baseline.value());
        push(
            Term::WeightGain,
            ObservationCode::Weight,
            Ok(grade),
            reading.value.quantity(),
            reading.at,
            None,
            Some(baseline.quantity()),
            Markers::default(),
        );
    }

    if let Some(reading) = latest(&observations.spo2) {
        let grade = hypoxia(reading.value.value(), reading.context);
        push(
            Term::Hypoxia,
            ObservationCode::Spo2,
            grade,
            reading.value.quantity(),
            reading.at,
            None,
            None,
            Markers::default(),
        );
    }

    if let (Some(anc), Some(hottest)) =
        (latest(&observations.anc).filter(|r| fresh(ObservationCode::Anc, r.at)), hottest)
    {
        let grade = febrile_neutropenia(anc.value, hottest.value.value());
        push(
            Term::FebrileNeutropenia,
            ObservationCode::Anc,
            grade,
            anc.value.quantity(),
            anc.at,
            None,
            None,
            Markers::default(),
        );
    }
    Graded { grades, stale_grade_four }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(value: Decimal) -> CellCount {
        CellCount::new(value).unwrap()
    }

    /// One row: the grade a function gives for a value, with the source cited.
    fn check(got: u8, expected: u8, row: &str) {
        assert_eq!(got, expected, "{row}");
    }

    #[test]
    fn count_terms_grade_at_every_boundary() {
        let wbc = |x| white_blood_cell_decreased(count(x), count(dec!(4.0)));
        check(wbc(dec!(4.0)), 0, "WBC at LLN is normal [CTCAE-5]");
        check(wbc(dec!(3.99)), 1, "WBC just below LLN [CTCAE-5]");
        check(wbc(dec!(3.0)), 1, "WBC 3.0 is G1 [CTCAE-5]");
        check(wbc(dec!(2.99)), 2, "WBC just below 3.0 [CTCAE-5]");
        check(wbc(dec!(2.0)), 2, "WBC 2.0 [CTCAE-5]");
        check(wbc(dec!(1.99)), 3, "WBC below 2.0 [CTCAE-5]");
        check(wbc(dec!(1.0)), 3, "WBC 1.0 [CTCAE-5]");
        check(wbc(dec!(0.99)), 4, "WBC below 1.0 [CTCAE-5]");
        let anc = |x| neutrophil_count_decreased(count(x), count(dec!(2.0)));
        check(anc(dec!(1.5)), 1, "ANC 1.5 [CTCAE-5]");
        check(anc(dec!(1.49)), 2, "ANC below 1.5 [CTCAE-5]");
        check(anc(dec!(0.5)), 3, "ANC 0.5 [CTCAE-5]");
        check(anc(dec!(0.49)), 4, "ANC below 0.5 [CTCAE-5]");
        let plt = |x| platelet_count_decreased(count(x), count(dec!(150)));
        check(plt(dec!(150)), 0, "platelets at LLN [CTCAE-5]");
        check(plt(dec!(75)), 1, "platelets 75 [CTCAE-5]");
        check(plt(dec!(74.9)), 2, "platelets below 75 [CTCAE-5]");
        check(plt(dec!(50)), 2, "platelets 50 [CTCAE-5]");
        check(plt(dec!(49.9)), 3, "platelets below 50 [CTCAE-5]");
        check(plt(dec!(25)), 3, "platelets 25 [CTCAE-5]");
        check(plt(dec!(24.9)), 4, "platelets below 25 [CTCAE-5]");
        let hb = |x| anemia(Hemoglobin::new(x).unwrap(), default_hemoglobin_lln(Sex::Unknown));
        check(hb(dec!(13.5)), 0, "Hb at the unknown-sex LLN (the higher one) [PRODUCT]");
        check(hb(dec!(13.4)), 1, "Hb below 13.5 with sex unknown [PRODUCT; CTCAE-5]");
        check(hb(dec!(10.0)), 1, "Hb 10.0 [CTCAE-5]");
        check(hb(dec!(9.9)), 2, "Hb below 10 [CTCAE-5]");
        check(hb(dec!(8.0)), 2, "Hb 8.0 [CTCAE-5]");
        check(hb(dec!(7.9)), 3, "Hb below 8 [CTCAE-5]");
    }

    #[test]
    fn grades_2_to_4_are_absolute_whatever_the_lln() {
        let anc = |x, lln| neutrophil_count_decreased(count(x), count(lln));
        check(anc(dec!(1.2), dec!(1.0)), 2, "ANC 1.2 with LLN 1.0 is G2 [GRADING §1 amendment; CTCAE-5]");
        check(anc(dec!(1.0), dec!(1.0)), 2, "ANC 1.0 at a low LLN is still G2 [GRADING §1 amendment]");
        check(anc(dec!(0.99), dec!(1.0)), 3, "ANC 0.99 [CTCAE-5]");
        check(anc(dec!(1.5), dec!(1.0)), 0, "ANC 1.5 at or above LLN and outside every band [GRADING §1]");
        check(anc(dec!(1.49), dec!(1.0)), 2, "ANC 1.49 below the G1 floor [GRADING §1 amendment]");
        check(anc(dec!(1.99), dec!(2.0)), 1, "ANC just below LLN 2.0 [CTCAE-5]");
        check(anc(dec!(2.0), dec!(2.0)), 0, "ANC at LLN [CTCAE-5]");
        let plt = |x, lln| platelet_count_decreased(count(x), count(lln));
        check(plt(dec!(60), dec!(50)), 2, "plt 60 with LLN 50 is G2 [GRADING §1 amendment]");
        check(plt(dec!(8), dec!(150)), 4, "plt 8 [CTCAE-5]");
        let lymph = |x| lymphocyte_count_decreased(count(x), count(dec!(1.0)));
        check(lymph(dec!(1.0)), 0, "lymphocytes at the default LLN 1.0 [GRADING §2]");
        check(lymph(dec!(0.99)), 1, "lymphocytes below LLN [CTCAE-5]");
        check(lymph(dec!(0.8)), 1, "lymphocytes 0.8 [CTCAE-5]");
        check(lymph(dec!(0.79)), 2, "lymphocytes below 0.8 [CTCAE-5]");
        check(lymph(dec!(0.5)), 2, "lymphocytes 0.5 [CTCAE-5]");
        check(lymph(dec!(0.49)), 3, "lymphocytes below 0.5 [CTCAE-5]");
        check(lymph(dec!(0.2)), 3, "lymphocytes 0.2 [CTCAE-5]");
        check(lymph(dec!(0.19)), 4, "lymphocytes below 0.2 [CTCAE-5]");
        let hb = |x, lln| anemia(Hemoglobin::new(x).unwrap(), Hemoglobin::new(lln).unwrap());
        check(hb(dec!(9.5), dec!(9.0)), 2, "Hb 9.5 with LLN 9.0 is G2 [GRADING §1 amendment]");
        check(hb(dec!(10.0), dec!(9.0)), 0, "Hb 10.0 at or above LLN and outside every band [GRADING §1]");
    }

    #[test]
    fn electrolytes_grade_at_every_boundary_and_mark_where_a_clinician_may_raise_the_grade() {
        let g = |graded: ElectrolyteGrade| (graded.grade, graded.needs_clinician);
        let (k_lln, k_uln) = DEFAULT_POTASSIUM;
        let hyper = |x| g(hyperkalemia(x, k_uln));
        assert_eq!(hyper(dec!(5.0)), (0, false), "K at the default ULN 5.0 [GRADING §2]");
        assert_eq!(hyper(dec!(5.01)), (1, true), "K above ULN; intervention may raise it [CTCAE-5]");
        assert_eq!(hyper(dec!(5.5)), (1, true), "K 5.5 is G1 [CTCAE-5]");
        assert_eq!(hyper(dec!(5.51)), (2, true), "K above 5.5 [CTCAE-5]");
        assert_eq!(hyper(dec!(6.0)), (2, true), "K 6.0 is G2 [CTCAE-5]");
        assert_eq!(hyper(dec!(6.01)), (3, false), "K above 6.0 [CTCAE-5]");
        assert_eq!(hyper(dec!(7.0)), (3, false), "K 7.0 is G3 [CTCAE-5]");
        assert_eq!(hyper(dec!(7.01)), (4, false), "K above 7.0 [CTCAE-5]");
        let hypo = |x| g(hypokalemia(x, k_lln));
        assert_eq!(hypo(dec!(3.5)), (0, false), "K at the default LLN 3.5 [GRADING §2]");
        assert_eq!(hypo(dec!(3.49)), (1, true), "K below LLN; G2 if symptomatic [CTCAE-5]");
        assert_eq!(hypo(dec!(3.0)), (1, true), "K 3.0 is G1 [CTCAE-5]");
        assert_eq!(hypo(dec!(2.99)), (3, false), "K below 3.0 [CTCAE-5]");
        assert_eq!(hypo(dec!(2.5)), (3, false), "K 2.5 is G3 [CTCAE-5]");
        assert_eq!(hypo(dec!(2.49)), (4, false), "K below 2.5 [CTCAE-5]");
        let (na_lln, na_uln) = DEFAULT_SODIUM;
        let hypern = |x| g(hypernatremia(x, na_uln));
        assert_eq!(hypern(dec!(145)), (0, false), "Na at the default ULN 145 [GRADING §2]");
        assert_eq!(hypern(dec!(145.1)), (1, true), "Na above ULN [CTCAE-5]");
        assert_eq!(hypern(dec!(150)), (1, true), "Na 150 is G1 [CTCAE-5]");
        assert_eq!(hypern(dec!(150.1)), (2, true), "Na above 150 [CTCAE-5]");
        assert_eq!(hypern(dec!(155)), (2, true), "Na 155 is G2 [CTCAE-5]");
        assert_eq!(hypern(dec!(155.1)), (3, false), "Na above 155 [CTCAE-5]");
        assert_eq!(hypern(dec!(160)), (3, false), "Na 160 is G3 [CTCAE-5]");
        assert_eq!(hypern(dec!(160.1)), (4, false), "Na above 160 [CTCAE-5]");
        let hypon = |x| g(hyponatremia(x, na_lln));
        assert_eq!(hypon(dec!(135)), (0, false), "Na at the default LLN 135 [GRADING §2]");
        assert_eq!(hypon(dec!(134.9)), (1, false), "Na below LLN [CTCAE-5]");
        assert_eq!(hypon(dec!(130)), (1, false), "Na 130 is G1 [CTCAE-5]");
        assert_eq!(hypon(dec!(129.9)), (2, true), "Na below 130; G3 if symptomatic [CTCAE-5]");
        assert_eq!(hypon(dec!(125)), (2, true), "Na 125 is G2 [CTCAE-5]");
        assert_eq!(hypon(dec!(124.9)), (3, false), "Na below 125 [CTCAE-5]");
        assert_eq!(hypon(dec!(120)), (3, false), "Na 120 is G3 [CTCAE-5]");
        assert_eq!(hypon(dec!(119.9)), (4, false), "Na below 120 [CTCAE-5]");
        assert!(holds_a_dose(Term::Hyponatremia, Ok(4)) && !holds_a_dose(Term::LymphocyteCountDecreased, Ok(4)));
        assert!(!holds_a_dose(Term::Hyponatremia, Ok(3)), "[ASSESSMENT §10.1]");
    }

    #[test]
    fn creatinine_takes_the_higher_of_the_uln_and_baseline_columns() {
        let cr = |x| Creatinine::new(x).unwrap();
        let uln = cr(dec!(1.0));
        let g = |x, baseline| creatinine_increased(cr(x), uln, baseline);
        check(g(dec!(1.0), None), 0, "at ULN [CTCAE-5]");
        check(g(dec!(1.01), None), 1, "just above ULN [CTCAE-5]");
        check(g(dec!(1.5), None), 1, "1.5 x ULN is G1 [CTCAE-5]");
        check(g(dec!(1.51), None), 2, "above 1.5 x ULN [CTCAE-5]");
        check(g(dec!(3.0), None), 2, "3 x ULN [CTCAE-5]");
        check(g(dec!(3.01), None), 3, "above 3 x ULN [CTCAE-5]");
        check(g(dec!(6.0), None), 3, "6 x ULN [CTCAE-5]");
        check(g(dec!(6.01), None), 4, "above 6 x ULN [CTCAE-5]");
        check(g(dec!(0.91), Some(cr(dec!(0.3)))), 3, "above 3 x baseline while under the ULN [CTCAE-5]");
        check(g(dec!(0.9), Some(cr(dec!(0.3)))), 2, "exactly 3 x baseline is G2 [CTCAE-5]");
        check(g(dec!(0.9), Some(cr(dec!(0.6)))), 0, "exactly 1.5 x baseline is not G2 [CTCAE-5]");
        check(g(dec!(0.91), Some(cr(dec!(0.6)))), 2, "above 1.5 x baseline [CTCAE-5]");
        assert_eq!(
            default_creatinine_uln(Sex::Unknown).value(),
            dec!(1.04),
            "unknown sex takes the lower ULN [PRODUCT]"
        );
    }

    #[test]
    fn liver_terms_switch_columns_on_an_abnormal_baseline() {
        check(blood_bilirubin_increased(dec!(1.2), dec!(1.2), None), 0, "bilirubin at ULN [CTCAE-5]");
        check(blood_bilirubin_increased(dec!(1.8), dec!(1.2), None), 1, "1.5 x ULN [CTCAE-5]");
        check(blood_bilirubin_increased(dec!(1.81), dec!(1.2), None), 2, "above 1.5 x ULN [CTCAE-5]");
        check(blood_bilirubin_increased(dec!(12.01), dec!(1.2), None), 4, "above 10 x ULN [CTCAE-5]");
        check(blood_bilirubin_increased(dec!(2.0), dec!(1.2), Some(dec!(2.0))), 0, "at an abnormal baseline [CTCAE-5]");
        check(
            blood_bilirubin_increased(dec!(2.1), dec!(1.2), Some(dec!(2.0))),
            1,
            "above an abnormal baseline [CTCAE-5]",
        );
        check(aminotransferase_increased(dec!(40), dec!(40), None), 0, "ALT at ULN [CTCAE-5]");
        check(aminotransferase_increased(dec!(120), dec!(40), None), 1, "3 x ULN [CTCAE-5]");
        check(aminotransferase_increased(dec!(121), dec!(40), None), 2, "above 3 x ULN [CTCAE-5]");
        check(aminotransferase_increased(dec!(801), dec!(40), None), 4, "above 20 x ULN [CTCAE-5]");
        check(
            aminotransferase_increased(dec!(89), dec!(40), Some(dec!(60))),
            0,
            "below 1.5 x abnormal baseline [CTCAE-5]",
        );
        check(aminotransferase_increased(dec!(90), dec!(40), Some(dec!(60))), 1, "1.5 x abnormal baseline [CTCAE-5]");
        check(
            aminotransferase_increased(dec!(181), dec!(40), Some(dec!(60))),
            2,
            "above 3 x abnormal baseline [CTCAE-5]",
        );
    }

    #[test]
    fn clinical_terms_grade_at_their_boundaries() {
        assert_eq!(fever(dec!(37.9)), (0, false), "below 38.0 [CTCAE-5]");
        assert_eq!(fever(dec!(38.0)), (1, false), "38.0 [CTCAE-5]");
        assert_eq!(fever(dec!(39.0)), (1, false), "39.0 is G1 [CTCAE-5]");
        assert_eq!(fever(dec!(39.01)), (2, false), "above 39.0 [CTCAE-5]");
        assert_eq!(fever(dec!(40.0)), (2, false), "40.0 is G2 [CTCAE-5]");
        assert_eq!(fever(dec!(40.01)), (3, true), "above 40.0, duration unknown [CTCAE-5]");
        check(weight_gain(dec!(84.99), dec!(81)), 0, "below 5 % [CTCAE-5]");
        check(weight_gain(dec!(84), dec!(80)), 1, "5 % gain [CTCAE-5]");
        check(weight_gain(dec!(88), dec!(80)), 2, "10 % gain [CTCAE-5]");
        check(weight_gain(dec!(95.99), dec!(80)), 2, "just under 20 % [CTCAE-5]");
        check(weight_gain(dec!(96), dec!(80)), 3, "20 % gain [CTCAE-5]");
        assert_eq!(hypoxia(dec!(88), None), Ok(0), "88 % needs no context [CTCAE-5]");
        assert_eq!(hypoxia(dec!(87), None), Err(Ungradable::NeedsRestOrExertion), "below 88 % needs context [CTCAE-5]");
        assert_eq!(hypoxia(dec!(87), Some(ActivityContext::Exertion)), Ok(2), "on exertion [CTCAE-5]");
        assert_eq!(hypoxia(dec!(87), Some(ActivityContext::Rest)), Ok(3), "at rest [CTCAE-5]");
        check(diarrhea(3), 1, "increase < 4 [CTCAE-5]");
        check(diarrhea(4), 2, "increase 4 [CTCAE-5]");
        check(diarrhea(6), 2, "increase 6 [CTCAE-5]");
        check(diarrhea(7), 3, "increase 7 [CTCAE-5]");
        assert_eq!(febrile_neutropenia(count(dec!(0.9)), dec!(38.4)), Ok(3), "ANC < 1.0 and > 38.3 [CTCAE-5]");
        assert_eq!(febrile_neutropenia(count(dec!(1.0)), dec!(39)), Ok(0), "ANC 1.0 [CTCAE-5]");
        assert_eq!(
            febrile_neutropenia(count(dec!(0.9)), dec!(38.3)),
            Err(Ungradable::NeedsFeverDuration),
            "38.3 [CTCAE-5]"
        );
    }

    #[test]
    fn every_grade_cites_a_known_source_and_the_terms_are_spelled_as_in_ctcae() {
        assert!(GRADING_SOURCE.is_known() && DEFAULT_LIMITS_SOURCE.is_known());
        assert_eq!(Term::AlanineAminotransferaseIncreased.name(), "Alanine aminotransferase increased");
        assert_eq!(CTCAE_VERSION, "5.0");
    }
}
