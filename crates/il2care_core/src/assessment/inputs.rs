//! The typed inputs of a per-dose assessment: observation codes, readings, output intervals, findings,
//! patient and course facts. Values arrive here already converted and range-checked by the wire layer;
//! this module does no parsing, no IO and no clock reading.

use jiff::Timestamp;
use rust_decimal::Decimal;

use crate::units::{
    Bilirubin, CellCount, Celsius, Centimetres, Creatinine, Hemoglobin, Kilograms, LitresPerMinute,
    MicrogramsPerKilogramPerMinute, Millilitres, MillimetresMercury, MillimolesPerLitre, PerMinute, Percent,
    UnitsPerLitre,
};

/// The observation codes of INTERFACES (one closed list; the LOINC map lives here and nowhere else).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObservationCode {
    SystolicBp,
    DiastolicBp,
    HeartRate,
    RespiratoryRate,
    Temperature,
    Spo2,
    Weight,
    Height,
    UrineOutput,
    OxygenFlow,
    Creatinine,
    BilirubinTotal,
    Alt,
    Ast,
    Platelets,
    Wbc,
    Anc,
    Hemoglobin,
    Potassium,
    Bicarbonate,
    Fio2,
    StoolOutput,
    PhenylephrineRate,
    /// Serum sodium (INTERFACES amendment of 2026-12-04; graded, read by no rule).
    Sodium,
    /// Absolute lymphocyte count (INTERFACES amendment of 2026-12-04; grading only, never holds).
    Lymphocytes,
}

/// Every observation code, in the order of INTERFACES (the codes of the 2026-12-04 amendment last).
pub const ALL_OBSERVATION_CODES: [ObservationCode; 25] = [
    ObservationCode::SystolicBp,
    ObservationCode::DiastolicBp,
    ObservationCode::HeartRate,
    ObservationCode::RespiratoryRate,
    ObservationCode::Temperature,
    ObservationCode::Spo2,
    ObservationCode::Weight,
    ObservationCode::Height,
    ObservationCode::UrineOutput,
    ObservationCode::OxygenFlow,
    ObservationCode::Creatinine,
    ObservationCode::BilirubinTotal,
    ObservationCode::Alt,
    ObservationCode::Ast,
    ObservationCode::Platelets,
    ObservationCode::Wbc,
    ObservationCode::Anc,
    ObservationCode::Hemoglobin,
    ObservationCode::Potassium,
    ObservationCode::Bicarbonate,
    ObservationCode::Fio2,
    ObservationCode::StoolOutput,
    ObservationCode::PhenylephrineRate,
    ObservationCode::Sodium,
    ObservationCode::Lymphocytes,
];

/// How an observation's age is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// A bedside measurement (4 h by default).
    Vital,
    /// A blood test or a weight (24 h by default).
    Daily,
    /// An output volume over an interval: its window must be covered instead.
    Window,
    /// A rate charted when it changes: the latest is current whatever its age (ASSESSMENT §9.9).
    Charted,
}

impl ObservationCode {
    /// The id used in documents and results.
    pub const fn id(self) -> &'static str {
        match self {
            ObservationCode::SystolicBp => "systolic_bp",
            ObservationCode::DiastolicBp => "diastolic_bp",
            ObservationCode::HeartRate => "heart_rate",
            ObservationCode::RespiratoryRate => "respiratory_rate",
            ObservationCode::Temperature => "temperature",
            ObservationCode::Spo2 => "spo2",
            ObservationCode::Weight => "weight",
            ObservationCode::Height => "height",
            ObservationCode::UrineOutput => "urine_output",
            ObservationCode::OxygenFlow => "oxygen_flow",
            ObservationCode::Creatinine => "creatinine",
            ObservationCode::BilirubinTotal => "bilirubin_total",
            ObservationCode::Alt => "alt",
            ObservationCode::Ast => "ast",
            ObservationCode::Platelets => "platelets",
            ObservationCode::Wbc => "wbc",
            ObservationCode::Anc => "anc",
            ObservationCode::Hemoglobin => "hemoglobin",
            ObservationCode::Potassium => "potassium",
            ObservationCode::Bicarbonate => "bicarbonate",
            ObservationCode::Fio2 => "fio2",
            ObservationCode::StoolOutput => "stool_output",
            ObservationCode::PhenylephrineRate => "phenylephrine_rate",
            ObservationCode::Sodium => "sodium",
            ObservationCode::Lymphocytes => "lymphocytes",
        }
    }

    /// The LOINC code, or `None` for the local codes of INTERFACES.
    pub const fn loinc(self) -> Option<&'static str> {
        match self {
            ObservationCode::SystolicBp => Some("8480-6"),
            ObservationCode::DiastolicBp => Some("8462-4"),
            ObservationCode::HeartRate => Some("8867-4"),
            ObservationCode::RespiratoryRate => Some("9279-1"),
            ObservationCode::Temperature => Some("8310-5"),
            ObservationCode::Spo2 => Some("2708-6"),
            ObservationCode::Weight => Some("29463-7"),
            ObservationCode::Height => Some("8302-2"),
            ObservationCode::UrineOutput => Some("9187-6"),
            ObservationCode::OxygenFlow => Some("3151-8"),
            ObservationCode::Creatinine => Some("2160-0"),
            ObservationCode::BilirubinTotal => Some("1975-2"),
            ObservationCode::Alt => Some("1742-6"),
            ObservationCode::Ast => Some("1920-8"),
            ObservationCode::Platelets => Some("777-3"),
            ObservationCode::Wbc => Some("6690-2"),
            ObservationCode::Anc => Some("751-8"),
            ObservationCode::Hemoglobin => Some("718-7"),
            ObservationCode::Potassium => Some("2823-3"),
            ObservationCode::Bicarbonate => Some("1963-8"),
            ObservationCode::Fio2 => Some("3150-0"),
            ObservationCode::Sodium => Some("2951-2"),
            ObservationCode::Lymphocytes => Some("731-0"),
            ObservationCode::StoolOutput | ObservationCode::PhenylephrineRate => None,
        }
    }

    /// The code for a document id.
    pub fn from_id(id: &str) -> Option<ObservationCode> {
        ALL_OBSERVATION_CODES.into_iter().find(|code| code.id() == id)
    }

    /// How the age of this observation is judged (ASSESSMENT §2.1, §5).
    pub const fn freshness(self) -> Freshness {
        match self {
            ObservationCode::SystolicBp
            | ObservationCode::DiastolicBp
            | ObservationCode::HeartRate
            | ObservationCode::RespiratoryRate
            | ObservationCode::Spo2
            | ObservationCode::OxygenFlow
            | ObservationCode::Fio2 => Freshness::Vital,
            // Temperature grades fever over the day (GRADING §3), so it is read over 24 h.
            ObservationCode::Temperature
            | ObservationCode::Weight
            | ObservationCode::Height
            | ObservationCode::Creatinine
            | ObservationCode::BilirubinTotal
            | ObservationCode::Alt
            | ObservationCode::Ast
            | ObservationCode::Platelets
            | ObservationCode::Wbc
            | ObservationCode::Anc
            | ObservationCode::Hemoglobin
            | ObservationCode::Potassium
            | ObservationCode::Bicarbonate
            | ObservationCode::Sodium
            | ObservationCode::Lymphocytes => Freshness::Daily,
            ObservationCode::UrineOutput | ObservationCode::StoolOutput => Freshness::Window,
            ObservationCode::PhenylephrineRate => Freshness::Charted,
        }
    }

    /// Whether the observation is a volume over an interval (`start`, `end`) rather than a value at a time.
    pub const fn is_interval(self) -> bool {
        matches!(self, ObservationCode::UrineOutput | ObservationCode::StoolOutput)
    }

    /// Whether the observation is a laboratory result that may carry a reference range.
    pub const fn is_lab(self) -> bool {
        matches!(
            self,
            ObservationCode::Creatinine
                | ObservationCode::BilirubinTotal
                | ObservationCode::Alt
                | ObservationCode::Ast
                | ObservationCode::Platelets
                | ObservationCode::Wbc
                | ObservationCode::Anc
                | ObservationCode::Hemoglobin
                | ObservationCode::Potassium
                | ObservationCode::Bicarbonate
                | ObservationCode::Sodium
                | ObservationCode::Lymphocytes
        )
    }
}

/// A laboratory reference range as the lab reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceRange<M> {
    pub low: M,
    pub high: M,
}

/// Whether an SpO2 was measured at rest or on exertion (needed to grade hypoxia, GRADING §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityContext {
    Rest,
    Exertion,
}

/// One measured value at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading<M> {
    pub value: M,
    pub at: Timestamp,
    /// The lab's reference range, when the result carried one.
    pub reference_range: Option<ReferenceRange<M>>,
    /// Rest or exertion, for SpO2 readings that state it.
    pub context: Option<ActivityContext>,
}

impl<M> Reading<M> {
    /// A reading without reference range or context.
    pub fn new(value: M, at: Timestamp) -> Reading<M> {
        Reading { value, at, reference_range: None, context: None }
    }
}

/// A volume recorded over an interval (urine or stool output). `end` is after `start` (checked at the edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputInterval {
    pub volume: Millilitres,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// All observations of one document, by code. Order within a series does not matter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    pub systolic_bp: Vec<Reading<MillimetresMercury>>,
    pub diastolic_bp: Vec<Reading<MillimetresMercury>>,
    pub heart_rate: Vec<Reading<PerMinute>>,
    pub respiratory_rate: Vec<Reading<PerMinute>>,
    pub temperature: Vec<Reading<Celsius>>,
    pub spo2: Vec<Reading<Percent>>,
    pub weight: Vec<Reading<Kilograms>>,
    pub height: Vec<Reading<Centimetres>>,
    pub urine_output: Vec<OutputInterval>,
    pub oxygen_flow: Vec<Reading<LitresPerMinute>>,
    pub creatinine: Vec<Reading<Creatinine>>,
    pub bilirubin_total: Vec<Reading<Bilirubin>>,
    pub alt: Vec<Reading<UnitsPerLitre>>,
    pub ast: Vec<Reading<UnitsPerLitre>>,
    pub platelets: Vec<Reading<CellCount>>,
    pub wbc: Vec<Reading<CellCount>>,
    pub anc: Vec<Reading<CellCount>>,
    pub hemoglobin: Vec<Reading<Hemoglobin>>,
    pub potassium: Vec<Reading<MillimolesPerLitre>>,
    pub bicarbonate: Vec<Reading<MillimolesPerLitre>>,
    pub fio2: Vec<Reading<Percent>>,
    pub stool_output: Vec<OutputInterval>,
    pub phenylephrine_rate: Vec<Reading<MicrogramsPerKilogramPerMinute>>,
    pub sodium: Vec<Reading<MillimolesPerLitre>>,
    pub lymphocytes: Vec<Reading<CellCount>>,
}

/// The answer words of the scaled findings (ASSESSMENT §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Word {
    None,
    Mild,
    Moderate,
    Severe,
    NasalCannula,
    FaceMask,
    Decreasing,
    Stable,
    Increasing,
    LowerThird,
    HalfOrMore,
    Present,
    SevereAffectingBreathing,
    Positive,
    Negative,
    NotDone,
    Yes,
    No,
}

impl Word {
    /// The word as documents spell it.
    pub const fn id(self) -> &'static str {
        match self {
            Word::None => "none",
            Word::Mild => "mild",
            Word::Moderate => "moderate",
            Word::Severe => "severe",
            Word::NasalCannula => "nasal_cannula",
            Word::FaceMask => "face_mask",
            Word::Decreasing => "decreasing",
            Word::Stable => "stable",
            Word::Increasing => "increasing",
            Word::LowerThird => "lower_third",
            Word::HalfOrMore => "half_or_more",
            Word::Present => "present",
            Word::SevereAffectingBreathing => "severe_affecting_breathing",
            Word::Positive => "positive",
            Word::Negative => "negative",
            Word::NotDone => "not_done",
            Word::Yes => "yes",
            Word::No => "no",
        }
    }

    /// The order of a severity scale (none < mild < moderate < severe); other words rank 0.
    pub const fn severity(self) -> u8 {
        match self {
            Word::Mild => 1,
            Word::Moderate => 2,
            Word::Severe => 3,
            _ => 0,
        }
    }
}

/// What kind of answer a finding takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// `true` = present, `false` = absent.
    PresentAbsent,
    /// `true` = yes, `false` = no (the resume inputs).
    YesNo,
    /// One word of the listed scale; the first word is the "absent" answer.
    Scale(&'static [Word]),
    /// A whole number of beats (0 = none).
    Beats,
    /// A number of hours (0 = none).
    Hours,
}

const SEVERITY: &[Word] = &[Word::None, Word::Mild, Word::Moderate, Word::Severe];

macro_rules! findings {
    ($($variant:ident => $id:literal, $kind:expr;)+) => {
        /// The clinician-entered findings of ASSESSMENT §2.2 (plus `vasopressor_other` of §2.1).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FindingCode { $($variant),+ }

        /// Every finding code, in vocabulary order.
        pub const ALL_FINDING_CODES: &[FindingCode] = &[$(FindingCode::$variant),+];

        impl FindingCode {
            /// The id used in documents and results.
            pub const fn id(self) -> &'static str {
                match self { $(FindingCode::$variant => $id),+ }
            }

            /// The kind of answer this finding takes.
            pub const fn kind(self) -> FindingKind {
                match self { $(FindingCode::$variant => $kind),+ }
            }
        }
    };
}

findings! {
    AtrialFibrillation => "atrial_fibrillation", FindingKind::PresentAbsent;
    SupraventricularTachycardia => "supraventricular_tachycardia", FindingKind::PresentAbsent;
    BradycardiaRequiringTreatment => "bradycardia_requiring_treatment", FindingKind::PresentAbsent;
    VentricularTachycardia => "ventricular_tachycardia", FindingKind::Beats;
    VentricularEctopy => "ventricular_ectopy", FindingKind::PresentAbsent;
    ArrhythmiaUncontrolled => "arrhythmia_uncontrolled", FindingKind::PresentAbsent;
    EcgIschemiaChanges => "ecg_ischemia_changes", FindingKind::PresentAbsent;
    ChestPainAngina => "chest_pain_angina", FindingKind::PresentAbsent;
    CardiacEnzymesElevated => "cardiac_enzymes_elevated", FindingKind::PresentAbsent;
    CardiacTamponade => "cardiac_tamponade", FindingKind::PresentAbsent;
    O2Device => "o2_device", FindingKind::Scale(&[Word::None, Word::NasalCannula, Word::FaceMask]);
    NormalSinusRhythm => "normal_sinus_rhythm", FindingKind::YesNo;
    Asymptomatic => "asymptomatic", FindingKind::YesNo;
    PressorRequirement => "pressor_requirement",
        FindingKind::Scale(&[Word::None, Word::Decreasing, Word::Stable, Word::Increasing]);
    Intubated => "intubated", FindingKind::Hours;
    DyspneaAtRest => "dyspnea_at_rest", FindingKind::PresentAbsent;
    RalesExtent => "rales_extent", FindingKind::Scale(&[Word::None, Word::LowerThird, Word::HalfOrMore]);
    MentalStatusChange => "mental_status_change", FindingKind::Scale(SEVERITY);
    MentalStatusChangeHours => "mental_status_change_hours", FindingKind::Hours;
    LethargySomnolence => "lethargy_somnolence", FindingKind::Scale(SEVERITY);
    Coma => "coma", FindingKind::Hours;
    ToxicPsychosis => "toxic_psychosis", FindingKind::Hours;
    SeizuresRepetitive => "seizures_repetitive", FindingKind::PresentAbsent;
    VividDreams => "vivid_dreams", FindingKind::PresentAbsent;
    AnxietyMild => "anxiety_mild", FindingKind::PresentAbsent;
    Hallucinations => "hallucinations", FindingKind::PresentAbsent;
    PersistentCrying => "persistent_crying", FindingKind::PresentAbsent;
    CognitiveScreenFailed => "cognitive_screen_failed", FindingKind::Scale(&[Word::NotDone, Word::Yes, Word::No]);
    FobtResult => "fobt_result", FindingKind::Scale(&[Word::NotDone, Word::Positive, Word::Negative]);
    BowelIschemiaPerforation => "bowel_ischemia_perforation", FindingKind::PresentAbsent;
    GiBleedingRequiringSurgery => "gi_bleeding_requiring_surgery", FindingKind::PresentAbsent;
    IleusDistention => "ileus_distention",
        FindingKind::Scale(&[Word::None, Word::Present, Word::SevereAffectingBreathing]);
    VomitingRefractory => "vomiting_refractory", FindingKind::PresentAbsent;
    AbdominalPainSevere => "abdominal_pain_severe", FindingKind::PresentAbsent;
    HemePositiveSecretions => "heme_positive_secretions", FindingKind::PresentAbsent;
    FrankBlood => "frank_blood", FindingKind::PresentAbsent;
    HepaticFailureSigns => "hepatic_failure_signs", FindingKind::PresentAbsent;
    Dialysis => "dialysis", FindingKind::Hours;
    SevereVolumeOverload => "severe_volume_overload", FindingKind::PresentAbsent;
    Acidosis => "acidosis", FindingKind::PresentAbsent;
    Hyperkalemia => "hyperkalemia", FindingKind::PresentAbsent;
    FluidElectrolytesStable => "fluid_electrolytes_stable", FindingKind::YesNo;
    SepsisUnstable => "sepsis_unstable", FindingKind::PresentAbsent;
    InfectionSuspectedOrDocumented => "infection_suspected_or_documented", FindingKind::PresentAbsent;
    InfectionUnderTreatment => "infection_under_treatment", FindingKind::YesNo;
    BullousDermatitis => "bullous_dermatitis", FindingKind::PresentAbsent;
    MoistDesquamation => "moist_desquamation", FindingKind::PresentAbsent;
    ExtremeTightness => "extreme_tightness", FindingKind::PresentAbsent;
    ExtremeParesthesias => "extreme_paresthesias", FindingKind::PresentAbsent;
    VasopressorOther => "vasopressor_other", FindingKind::PresentAbsent;
}

/// The number of finding codes (the size of the per-code table in [`Findings`]).
pub const FINDING_COUNT: usize = ALL_FINDING_CODES.len();

impl FindingCode {
    /// The code for a document id.
    pub fn from_id(id: &str) -> Option<FindingCode> {
        ALL_FINDING_CODES.iter().copied().find(|code| code.id() == id)
    }

    /// The answer that `findings_reviewed` implies for an unlisted finding (ASSESSMENT §2.2): absent, none,
    /// 0, `not_done` for tests, `no` for resume inputs.
    pub fn absent_answer(self) -> FindingValue {
        match self.kind() {
            FindingKind::PresentAbsent | FindingKind::YesNo => FindingValue::Flag(false),
            FindingKind::Scale(words) => FindingValue::Word(words[0]),
            FindingKind::Beats => FindingValue::Beats(0),
            FindingKind::Hours => FindingValue::Hours(Decimal::ZERO),
        }
    }

    /// Whether `value` is a valid answer for this finding.
    pub fn accepts(self, value: FindingValue) -> bool {
        match (self.kind(), value) {
            (FindingKind::PresentAbsent | FindingKind::YesNo, FindingValue::Flag(_)) => true,
            (FindingKind::Scale(words), FindingValue::Word(word)) => words.contains(&word),
            (FindingKind::Beats, FindingValue::Beats(_)) => true,
            (FindingKind::Hours, FindingValue::Hours(hours)) => !hours.is_sign_negative() || hours.is_zero(),
            _ => false,
        }
    }
}

/// A finding's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingValue {
    /// present/absent or yes/no.
    Flag(bool),
    /// A word of the finding's scale.
    Word(Word),
    /// Beats of ventricular tachycardia.
    Beats(u32),
    /// Hours (intubation, coma, dialysis, ...).
    Hours(Decimal),
}

impl FindingValue {
    /// Whether the answer reports something (present, positive, a non-zero count, a word other than none):
    /// such an answer keeps counting whatever its age (ASSESSMENT §9.2). Yes/no resume answers are not
    /// "positive" in this sense: a resume answer lets a dose be given, so it is only used while fresh.
    pub fn reports_something(self, kind: FindingKind) -> bool {
        match (kind, self) {
            (FindingKind::PresentAbsent, FindingValue::Flag(present)) => present,
            (FindingKind::YesNo, _) => false,
            (FindingKind::Scale(_), FindingValue::Word(word)) => {
                !matches!(word, Word::None | Word::NotDone | Word::Negative | Word::No)
            }
            (_, FindingValue::Beats(beats)) => beats > 0,
            (_, FindingValue::Hours(hours)) => hours > Decimal::ZERO,
            _ => false,
        }
    }
}

impl FindingValue {
    /// How strongly an answer argues against giving a dose, to break a tie between two contradictory answers
    /// at one instant: an answer that reports something outranks one that does not, a higher scale word, more
    /// beats or more hours outrank fewer, and `no` outranks `yes` for the resume inputs.
    pub fn caution(self, kind: FindingKind) -> (bool, u32, Decimal) {
        let reports = self.reports_something(kind);
        match (kind, self) {
            (FindingKind::YesNo, FindingValue::Flag(yes)) => (false, u32::from(!yes), Decimal::ZERO),
            (FindingKind::Scale(words), FindingValue::Word(word)) => {
                let position = words.iter().position(|known| *known == word).unwrap_or(0);
                (reports, u32::try_from(position).unwrap_or(u32::MAX), Decimal::ZERO)
            }
            (_, FindingValue::Beats(beats)) => (reports, beats, Decimal::ZERO),
            (_, FindingValue::Hours(hours)) => (reports, 0, hours),
            _ => (reports, 0, Decimal::ZERO),
        }
    }
}

/// One entered finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub code: FindingCode,
    pub value: FindingValue,
    pub at: Timestamp,
}

/// The findings of a document: the latest answer per code, and whether the whole list was reviewed.
#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    latest: [Option<Finding>; FINDING_COUNT],
    /// `findings_reviewed`: every finding not listed is absent at the document's time.
    pub reviewed: bool,
}

impl Findings {
    /// The findings from a list; a newer answer of a code replaces an older one (ASSESSMENT §9.2). Two
    /// different answers at the same time contradict each other: the wire layer refuses such a document
    /// (ASSESSMENT §10.2); should a caller pass them anyway, the answer that holds a dose wins, so list order
    /// never decides and a contradiction never resolves toward `give`.
    pub fn new(reviewed: bool, entries: impl IntoIterator<Item = Finding>) -> Findings {
        let mut latest = [None; FINDING_COUNT];
        for finding in entries {
            let slot: &mut Option<Finding> = &mut latest[finding.code as usize];
            let replaces = match *slot {
                None => true,
                Some(known) if known.at == finding.at => {
                    finding.value.caution(finding.code.kind()) > known.value.caution(finding.code.kind())
                }
                Some(known) => known.at < finding.at,
            };
            if replaces {
                *slot = Some(finding);
            }
        }
        Findings { latest, reviewed }
    }

    /// The latest listed answer of a code.
    pub fn latest(&self, code: FindingCode) -> Option<Finding> {
        self.latest[code as usize]
    }

    /// Every listed finding (the latest per code).
    pub fn listed(&self) -> impl Iterator<Item = Finding> + '_ {
        self.latest.iter().flatten().copied()
    }
}

/// The patient's sex as the record states it; `Unknown` grades with the more severe limit (GRADING §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

/// Lasting patient flags that affect a dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatientFlag {
    /// Set by any `discontinue_permanently` decision (ASSESSMENT §1).
    Il2RetreatmentContraindicated,
    /// The patient has received interleukin-2 before (context only).
    ReceivedInterleukin2,
}

impl PatientFlag {
    /// The flag as documents spell it.
    pub const fn id(self) -> &'static str {
        match self {
            PatientFlag::Il2RetreatmentContraindicated => "il2_retreatment_contraindicated",
            PatientFlag::ReceivedInterleukin2 => "received_interleukin_2",
        }
    }

    /// The flag for a document id.
    pub fn from_id(id: &str) -> Option<PatientFlag> {
        [PatientFlag::Il2RetreatmentContraindicated, PatientFlag::ReceivedInterleukin2]
            .into_iter()
            .find(|f| f.id() == id)
    }
}

/// What the assessment needs to know about the patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Patient {
    pub sex: Sex,
    /// The dosing weight of the course (DOSING §4), the baseline for weight gain.
    pub baseline_weight: Option<Kilograms>,
    /// The last creatinine before dose 1 of the course (GRADING §1).
    pub baseline_creatinine: Option<Creatinine>,
    pub baseline_bilirubin: Option<Bilirubin>,
    pub baseline_alt: Option<UnitsPerLitre>,
    pub baseline_ast: Option<UnitsPerLitre>,
    /// The patient's target systolic pressure for the consensus set; `None` = the set's default.
    pub target_systolic_bp: Option<MillimetresMercury>,
    pub flags: Vec<PatientFlag>,
}

impl Default for Patient {
    fn default() -> Patient {
        Patient {
            sex: Sex::Unknown,
            baseline_weight: None,
            baseline_creatinine: None,
            baseline_bilirubin: None,
            baseline_alt: None,
            baseline_ast: None,
            target_systolic_bp: None,
            flags: Vec::new(),
        }
    }
}

/// What the assessment needs to know about the course (INTERFACES `course`).
#[derive(Clone, Debug, PartialEq)]
pub struct Course {
    /// When cycle 1 day 1 began; cycle days are 24-hour periods from here (ASSESSMENT §9.6).
    pub started_at: Timestamp,
    /// Doses given in this cycle; `None` when the record did not say (the limit is then not evaluated).
    pub doses_given_cycle: Option<u32>,
    pub doses_given_course: Option<u32>,
    pub holds_this_cycle: Option<u32>,
    /// When the previous dose started.
    pub last_dose_at: Option<Timestamp>,
    /// Hold rules that fired at the previous slot and wait for their resume condition (ids checked at the edge).
    pub pending_holds: Vec<super::Rule>,
    /// An earlier decision of this course discontinued it and was not overridden.
    pub discontinued: bool,
    /// When the bag was prepared; without it the expiry limit does not apply.
    pub prepared_at: Option<Timestamp>,
}

impl Course {
    /// A course started at `started_at` with nothing given yet.
    pub fn starting(started_at: Timestamp) -> Course {
        Course {
            started_at,
            doses_given_cycle: Some(0),
            doses_given_course: Some(0),
            holds_this_cycle: Some(0),
            last_dose_at: None,
            pending_holds: Vec::new(),
            discontinued: false,
            prepared_at: None,
        }
    }
}

/// One assessment document in core terms: everything known at decision time `at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    pub at: Timestamp,
    pub rule_set: super::RuleSet,
    pub patient: Patient,
    pub course: Course,
    pub observations: Observations,
    pub findings: Findings,
}
