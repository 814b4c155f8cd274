//! Pre-treatment screening (`clinical/SCREENING.md`): the 19-item eligibility checklist, the interaction check
//! of the medication list by drug class, the lasting "has received interleukin-2" contrast flag and the
//! high-dose premedication template, evaluated at the document's time `at`.
//!
//! [`screen`] never fails: missing data becomes `needs_review` with a reason, never `pass`. The caller (the wire
//! crate) refuses malformed documents before they get here. Pure: no IO, no clock, no serialization.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::Refusal;
use crate::regimens::Regimen;
use crate::units::{
    Bilirubin, CellCount, Creatinine, Hemoglobin, Kilograms, MillimolesPerLitre, Percent, UnitsPerLitre,
};

pub mod checklist;
pub mod contrast;
pub mod contrast_codes;
pub mod gate;
pub mod interactions;
pub mod premedication;

pub use checklist::{Item, ItemResult, Status, ValidFor};
pub use contrast::{ContrastAgent, ContrastExposure, ContrastNotice, NoticeLevel};
pub use interactions::{
    DrugClass, Interaction, InteractionLevel, InteractionReport, Medication, MedicationRoute, check_medications,
};
pub use premedication::{PremedicationPlan, premedication_plan};

/// An instant with the patient's local calendar date at that instant (from the offset the document gave).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub instant: Timestamp,
    pub date: Date,
}

/// The patient's sex as documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

/// What the patient is to be treated for (item 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indication {
    MetastaticRenalCellCarcinoma,
    MetastaticMelanoma,
    /// Anything else: off-label, protocol regimen.
    Other,
}

/// A test result that is either normal or not (ejection fraction, wall motion, stress test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    Normal,
    Abnormal,
}

/// A pregnancy test result (item 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PregnancyTestResult {
    Negative,
    Positive,
}

/// A pregnancy test and when its sample was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PregnancyTest {
    pub result: PregnancyTestResult,
    pub at: Timestamp,
}

/// What is known about the patient as a person. Every `None` is "not documented".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patient {
    pub date_of_birth: Date,
    pub sex: Sex,
    /// Body weight for weight-based premedication doses.
    pub weight: Option<Kilograms>,
    /// Whether the patient can conceive or father a child; only an explicit `false` counts as "not of
    /// reproductive potential" (a missed period or believed absence of sperm does not (EDU)).
    pub reproductive_potential: Option<bool>,
    /// Known pregnancy (item 12), independent of a test.
    pub pregnant: Option<bool>,
    pub pregnancy_test: Option<PregnancyTest>,
    pub breastfeeding: Option<bool>,
    /// Effective contraception counselled and documented (item 13).
    pub contraception_counselled: Option<bool>,
    /// The record flag `il2_retreatment_contraindicated` (item 10).
    pub retreatment_contraindicated: bool,
    /// The record flag `received_interleukin_2` (section 3), when no dose date is known.
    pub received_interleukin_2_flag: bool,
}

impl Patient {
    /// A patient of whom only the date of birth and sex are known.
    pub fn new(date_of_birth: Date, sex: Sex) -> Patient {
        Patient {
            date_of_birth,
            sex,
            weight: None,
            reproductive_potential: None,
            pregnant: None,
            pregnancy_test: None,
            breastfeeding: None,
            contraception_counselled: None,
            retreatment_contraindicated: false,
            received_interleukin_2_flag: false,
        }
    }
}

/// The medical history answers the checklist needs. `None` is "not documented".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Known severe hypersensitivity to aldesleukin or any component of the formulation (item 2).
    pub hypersensitivity_to_aldesleukin: Option<bool>,
    /// History of cardiac disease (item 3: needs review even with normal tests).
    pub cardiac_disease: Option<bool>,
    /// History of lung disease (item 4: needs review even with normal tests).
    pub lung_disease: Option<bool>,
    /// Has an organ transplant (item 8).
    pub organ_allograft: Option<bool>,
}

/// Cardiac tests (item 3), all from one evaluation at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardiacTests {
    pub ejection_fraction: Option<Finding>,
    pub wall_motion: Option<Finding>,
    /// Significant coronary artery disease found.
    pub significant_coronary_artery_disease: Option<bool>,
    /// `None`: no stress test done (the label asks for one only "if done").
    pub stress_test: Option<Finding>,
    pub at: Timestamp,
}

/// Pulmonary function tests (item 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PulmonaryTests {
    pub fev1: Option<Litres>,
    pub fev1_percent_predicted: Option<Percent>,
    /// Significant pulmonary impairment found by the physician.
    pub significant_impairment: Option<bool>,
    pub at: Timestamp,
}

/// A volume in litres (FEV1). Local to screening: the core units have no litre, and FEV1 is the only
/// volume in litres il2care reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Litres(Decimal);

impl Litres {
    /// Litres from a value; negative volumes are refused.
    pub fn new(value: Decimal) -> Result<Litres, Refusal> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Refusal::new("value", format!("must not be negative (got {value})")));
        }
        Ok(Litres(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

/// The CNS evaluation (item 7): done at `at`, with its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CnsEvaluation {
    pub impairment: Option<bool>,
    pub brain_metastases: Option<bool>,
    pub at: Timestamp,
}

/// The physician's judgement of significant renal, hepatic or CNS impairment (item 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImpairmentAssessment {
    pub renal: Option<bool>,
    pub hepatic: Option<bool>,
    pub cns: Option<bool>,
    pub at: Timestamp,
}

/// Infection status (item 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfectionStatus {
    None,
    UnderTreatment,
    UntreatedBacterial,
}

/// Infection status as assessed at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfectionAssessment {
    pub status: InfectionStatus,
    pub at: Timestamp,
}

/// ECOG performance status (item 15), 0 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerformanceStatus {
    pub ecog: u8,
    pub at: Timestamp,
}

/// Patient education (item 19).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Education {
    pub sheet_given: Option<bool>,
    pub contrast_flag_explained: Option<bool>,
}

/// The response after an earlier course (item 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Some tumor shrinkage documented.
    Shrinkage,
    NoShrinkage,
    NotEvaluated,
}

/// The toxicities of an earlier course that bar re-treatment (item 10) [LABEL-OLD Contraindications;
/// LABEL-2024 §2.4 T2].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Toxicity {
    SustainedVentricularTachycardia,
    UncontrolledArrhythmia,
    ChestPainWithEcgChanges,
    CardiacTamponade,
    IntubationOver72Hours,
    DialysisOver72Hours,
    ComaOrToxicPsychosisOver48Hours,
    RepetitiveSeizures,
    BowelIschemiaOrPerforation,
    GiBleedingNeedingSurgery,
}

impl Toxicity {
    /// Every listed toxicity, in the order of SCREENING.md item 10.
    pub const ALL: [Toxicity; 10] = [
        Toxicity::SustainedVentricularTachycardia,
        Toxicity::UncontrolledArrhythmia,
        Toxicity::ChestPainWithEcgChanges,
        Toxicity::CardiacTamponade,
        Toxicity::IntubationOver72Hours,
        Toxicity::DialysisOver72Hours,
        Toxicity::ComaOrToxicPsychosisOver48Hours,
        Toxicity::RepetitiveSeizures,
        Toxicity::BowelIschemiaOrPerforation,
        Toxicity::GiBleedingNeedingSurgery,
    ];

    /// The id used in documents.
    pub const fn id(self) -> &'static str {
        match self {
            Toxicity::SustainedVentricularTachycardia => "sustained_ventricular_tachycardia",
            Toxicity::UncontrolledArrhythmia => "uncontrolled_arrhythmia",
            Toxicity::ChestPainWithEcgChanges => "chest_pain_with_ecg_changes",
            Toxicity::CardiacTamponade => "cardiac_tamponade",
            Toxicity::IntubationOver72Hours => "intubation_over_72h",
            Toxicity::DialysisOver72Hours => "dialysis_over_72h",
            Toxicity::ComaOrToxicPsychosisOver48Hours => "coma_or_toxic_psychosis_over_48h",
            Toxicity::RepetitiveSeizures => "repetitive_seizures",
            Toxicity::BowelIschemiaOrPerforation => "bowel_ischemia_or_perforation",
            Toxicity::GiBleedingNeedingSurgery => "gi_bleeding_needing_surgery",
        }
    }

    /// The toxicity with `id`.
    pub fn from_id(id: &str) -> Option<Toxicity> {
        Toxicity::ALL.into_iter().find(|toxicity| toxicity.id() == id)
    }

    /// In words, as SCREENING.md lists it.
    pub const fn title(self) -> &'static str {
        match self {
            Toxicity::SustainedVentricularTachycardia => "sustained ventricular tachycardia (>= 5 beats)",
            Toxicity::UncontrolledArrhythmia => "arrhythmia not controlled",
            Toxicity::ChestPainWithEcgChanges => "chest pain with ECG changes of angina or MI",
            Toxicity::CardiacTamponade => "cardiac tamponade",
            Toxicity::IntubationOver72Hours => "intubation > 72 h",
            Toxicity::DialysisOver72Hours => "renal failure needing dialysis > 72 h",
            Toxicity::ComaOrToxicPsychosisOver48Hours => "coma or toxic psychosis > 48 h",
            Toxicity::RepetitiveSeizures => "repetitive or hard-to-control seizures",
            Toxicity::BowelIschemiaOrPerforation => "bowel ischemia or perforation",
            Toxicity::GiBleedingNeedingSurgery => "GI bleeding needing surgery",
        }
    }
}

/// An earlier interleukin-2 course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousCourse {
    /// Discharge from the hospital after the course (item 11 counts 7 weeks from here).
    pub discharged_at: Timestamp,
    pub response: Response,
    /// The listed toxicities that occurred (an empty list: none occurred).
    pub toxicities: Vec<Toxicity>,
}

/// A baseline laboratory value, typed by analyte (item 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabValue {
    Wbc(CellCount),
    Anc(CellCount),
    Platelets(CellCount),
    Hemoglobin(Hemoglobin),
    Potassium(MillimolesPerLitre),
    /// Optional for item 5; checked against its limits when given.
    Sodium(MillimolesPerLitre),
    Bicarbonate(MillimolesPerLitre),
    Creatinine(Creatinine),
    BilirubinTotal(Bilirubin),
    Alt(UnitsPerLitre),
    Ast(UnitsPerLitre),
}

/// A laboratory reference range, in the analyte's canonical unit (either limit may be absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceRange {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

/// One baseline laboratory result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabResult {
    pub value: LabValue,
    pub at: Timestamp,
    pub reference_range: Option<ReferenceRange>,
}

/// What the record says about interleukin-2 already given (section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interleukin2History {
    pub received: bool,
    pub last_dose_at: Option<Timestamp>,
}

/// The lasting flag "has received interleukin-2" (SCREENING §3), as derived from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interleukin2Exposure {
    NotReceived,
    /// Received; the last dose when known.
    Received {
        last_dose_at: Option<Timestamp>,
    },
}

/// A planned imaging study with contrast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedContrast {
    pub agent: ContrastAgent,
    /// When the study is planned; without it the screen's time is used.
    pub at: Option<Timestamp>,
    /// What was ordered, as written.
    pub description: Option<String>,
}

/// Everything a screen reads. Build it with [`ScreeningInput::new`] and fill what is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningInput {
    /// The evaluation time: every "valid for" window is measured back from here.
    pub at: Moment,
    pub regimen: &'static Regimen,
    /// When the course is planned to start; age and the re-treatment gap are measured to it (else to `at`).
    pub planned_start: Option<Moment>,
    /// Items a site marked not applicable (allowed for regimens other than `hd-iv`, never for items 3 and 4;
    /// the wire crate refuses other marks).
    pub not_applicable: Vec<Item>,
    pub patient: Patient,
    pub indication: Option<Indication>,
    pub history: History,
    pub cardiac: Option<CardiacTests>,
    pub pulmonary: Option<PulmonaryTests>,
    pub cns: Option<CnsEvaluation>,
    pub impairment: Option<ImpairmentAssessment>,
    pub infection: Option<InfectionAssessment>,
    pub central_line_planned: Option<bool>,
    pub performance_status: Option<PerformanceStatus>,
    /// Inpatient unit with intensive care available, attested (item 16).
    pub intensive_care_available: Option<bool>,
    pub education: Education,
    pub labs: Vec<LabResult>,
    /// `None`: not documented; `Some(empty)`: first course.
    pub previous_courses: Option<Vec<PreviousCourse>>,
    /// The current medication list, each entry with its route, daily dose and purpose when given; `None`: not
    /// provided.
    pub medications: Option<Vec<Medication>>,
    pub interleukin_2: Option<Interleukin2History>,
    pub planned_contrast: Vec<PlannedContrast>,
}

impl ScreeningInput {
    /// A screen at `at` for `regimen` of which only the patient's identity data are known: every item is
    /// `needs_review` until the data are filled in.
    pub fn new(at: Moment, regimen: &'static Regimen, patient: Patient) -> ScreeningInput {
        ScreeningInput {
            at,
            regimen,
            planned_start: None,
            not_applicable: Vec::new(),
            patient,
            indication: None,
            history: History::default(),
            cardiac: None,
            pulmonary: None,
            cns: None,
            impairment: None,
            infection: None,
            central_line_planned: None,
            performance_status: None,
            intensive_care_available: None,
            education: Education::default(),
            labs: Vec::new(),
            previous_courses: None,
            medications: None,
            interleukin_2: None,
            planned_contrast: Vec::new(),
        }
    }

    /// When the course starts for age and gap checks: the planned start, else the screen's time.
    pub fn course_start(&self) -> Moment {
        self.planned_start.unwrap_or(self.at)
    }

    /// Whether the patient has received interleukin-2 (the lasting flag: any record of it sets it), and the
    /// latest known last-dose time. Without a recorded last dose, the latest discharge stands in: it is no
    /// earlier than the real last dose, so the 14-day window is never shortened.
    pub fn interleukin_2_exposure(&self) -> Interleukin2Exposure {
        let courses = self.previous_courses.as_deref().unwrap_or_default();
        let recorded = self.interleukin_2.is_some_and(|history| history.received);
        if !(recorded || self.patient.received_interleukin_2_flag || !courses.is_empty()) {
            return Interleukin2Exposure::NotReceived;
        }
        let last_dose = self.interleukin_2.and_then(|history| history.last_dose_at);
        let last_discharge = courses.iter().map(|course| course.discharged_at).max();
        Interleukin2Exposure::Received { last_dose_at: last_dose.or(last_discharge) }
    }
}

/// The whole screen: the checklist, its overall status, the interaction report, contrast notices and (for
/// `hd-iv`) the premedication template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningResult {
    pub at: Timestamp,
    pub regimen: &'static Regimen,
    pub items: Vec<ItemResult>,
    /// `fail` if any item fails, else `needs_review` if any needs review, else `pass`.
    pub status: Status,
    pub interactions: InteractionReport,
    pub contrast: Vec<ContrastNotice>,
    pub premedication: Option<PremedicationPlan>,
}

/// Runs the screen. Never fails: what is missing is `needs_review` with its reason.
pub fn screen(input: &ScreeningInput) -> ScreeningResult {
    let interactions = check_medications(input.medications.as_deref(), input.regimen);
    let items: Vec<ItemResult> =
        Item::ALL.into_iter().map(|item| checklist::evaluate(item, input, &interactions)).collect();
    let status = overall(&items);
    let contrast = contrast::notices(input, &interactions);
    let premedication = (input.regimen.id == "hd-iv").then(|| premedication_plan(input.patient.weight));
    ScreeningResult {
        at: input.at.instant,
        regimen: input.regimen,
        items,
        status,
        interactions,
        contrast,
        premedication,
    }
}

/// The overall status: the worst item result (`not_applicable` counts as nothing).
pub fn overall(items: &[ItemResult]) -> Status {
    if items.iter().any(|item| item.status == Status::Fail) {
        Status::Fail
    } else if items.iter().any(|item| item.status == Status::NeedsReview) {
        Status::NeedsReview
    } else {
        Status::Pass
    }
}

#[cfg(test)]
mod tests;
