//! The rule catalogue: every rule of both rule sets as one closed enum with its stable id, action, source,
//! resume condition and membership. The thresholds live in `thresholds.rs`; how a rule is evaluated lives in
//! `engine.rs`. Nothing here reads data.

use super::inputs::{ALL_FINDING_CODES, FINDING_COUNT, FindingCode, FindingKind};
use crate::Source;

/// The rule set of a course (a per-course protocol setting, ASSESSMENT opening section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleSet {
    /// The current US label, with the older label standing in where Table 2 is unconfirmed.
    Label,
    /// The 2014 expert consensus (relative = hold, absolute = stop) and the SpringerPlus count rules.
    Consensus,
}

impl RuleSet {
    /// The id used in documents and results.
    pub const fn id(self) -> &'static str {
        match self {
            RuleSet::Label => "label",
            RuleSet::Consensus => "consensus",
        }
    }

    /// The rule set for a document id.
    pub fn from_id(id: &str) -> Option<RuleSet> {
        match id {
            "label" => Some(RuleSet::Label),
            "consensus" => Some(RuleSet::Consensus),
            _ => None,
        }
    }

    /// The version of the default thresholds; a site override makes a derived version (see `Parameters`).
    /// 2026.2: the safety envelope of ASSESSMENT §10 (three product holds, changed label rules).
    pub const fn version(self) -> &'static str {
        match self {
            RuleSet::Label => "label-2026.2",
            RuleSet::Consensus => "consensus-2026.2",
        }
    }
}

/// What a fired rule asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Hold,
    DiscontinueCourse,
    DiscontinuePermanently,
    /// A schedule or course limit (ASSESSMENT §6), not a toxicity hold.
    NotPermitted,
}

impl Action {
    /// The decision this action produces.
    pub const fn decision(self) -> Decision {
        match self {
            Action::Hold => Decision::Hold,
            Action::DiscontinueCourse => Decision::DiscontinueCourse,
            Action::DiscontinuePermanently => Decision::DiscontinuePermanently,
            Action::NotPermitted => Decision::NotPermitted,
        }
    }

    /// The id used in results (the decision word).
    pub const fn id(self) -> &'static str {
        self.decision().id()
    }
}

/// The decision for one dose slot, strongest first (ASSESSMENT §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    DiscontinuePermanently,
    DiscontinueCourse,
    NotPermitted,
    Hold,
    InsufficientData,
    Give,
}

impl Decision {
    /// The id used in results.
    pub const fn id(self) -> &'static str {
        match self {
            Decision::DiscontinuePermanently => "discontinue_permanently",
            Decision::DiscontinueCourse => "discontinue_course",
            Decision::NotPermitted => "not_permitted",
            Decision::Hold => "hold",
            Decision::InsufficientData => "insufficient_data",
            Decision::Give => "give",
        }
    }

    /// The rank of ASSESSMENT §1: 1 is the strongest.
    pub const fn rank(self) -> u8 {
        self as u8 + 1
    }
}

/// Where a rule comes from within the rule sets (ASSESSMENT §3, §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    LabelHold,
    LabelStop,
    ProductHold,
    ProductLimit,
    ConsensusHold,
    ConsensusStop,
}

macro_rules! rules {
    ($($variant:ident => $id:literal, $family:ident, $action:ident, $confirmed:literal, $source:literal, $resume:expr;)+) => {
        /// Every rule of both rule sets. Ids are stable; a changed threshold is a new rule-set version.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($variant),+ }

        /// Every rule, in catalogue order.
        pub const ALL_RULES: &[Rule] = &[$(Rule::$variant),+];

        impl Rule {
            /// The stable rule id.
            pub const fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),+ }
            }

            /// What the rule asks for when it fires.
            pub const fn action(self) -> Action {
                match self { $(Rule::$variant => Action::$action),+ }
            }

            /// Where the rule comes from.
            pub const fn family(self) -> Family {
                match self { $(Rule::$variant => Family::$family),+ }
            }

            /// The source citation (ids of `clinical/SOURCES.md`).
            pub const fn source(self) -> Source {
                match self { $(Rule::$variant => Source($source)),+ }
            }

            /// Whether the source row has been checked against the primary document (`false` = UNCONFIRMED).
            pub const fn confirmed(self) -> bool {
                match self { $(Rule::$variant => $confirmed),+ }
            }

            /// For hold rules, when the hold ends (ASSESSMENT §7), in the words of the rule table.
            pub const fn resume_when(self) -> Option<&'static str> {
                match self { $(Rule::$variant => $resume),+ }
            }
        }
    };
}

const NO_RESUME: Option<&str> = None;
const RHYTHM_RESUME: Option<&str> = Some("asymptomatic = yes and normal_sinus_rhythm = yes");
const RENAL_RESUME: Option<&str> = Some("creatinine < 4.0 mg/dL and fluid_electrolytes_stable = yes");
const TRIGGER_GONE: Option<&str> = Some("the trigger no longer fires");

rules! {
    LabelHoldAtrialFibrillation => "label.hold.atrial-fibrillation", LabelHold, Hold, true, "LABEL-2024 §2.4 T2", RHYTHM_RESUME;
    LabelHoldSvt => "label.hold.svt", LabelHold, Hold, true, "LABEL-2024 §2.4 T2", RHYTHM_RESUME;
    LabelHoldBradycardia => "label.hold.bradycardia", LabelHold, Hold, true, "LABEL-2024 §2.4 T2", RHYTHM_RESUME;
    LabelHoldSbpBelow90 => "label.hold.sbp-below-90", LabelHold, Hold, true, "LABEL-2024 §2.4 T2; LABEL-OLD Dose modifications",
        Some("systolic_bp >= 90 mm[Hg] and asymptomatic = yes and pressor_requirement in {none, decreasing, stable}");
    LabelHoldSpo2Below90 => "label.hold.spo2-below-90", LabelHold, Hold, true, "LABEL-2024 §2.4 T2",
        Some("spo2 > 90 % (a held patient at exactly 90 % stays held)");
    LabelHoldMentalStatusChange => "label.hold.mental-status-change", LabelHold, Hold, true, "LABEL-2024 §2.4 T2",
        Some("mental_status_change = none (completely resolved), coma and toxic_psychosis 0 h, hallucinations absent");
    LabelHoldLethargySomnolence => "label.hold.lethargy-somnolence", LabelHold, Hold, true, "LABEL-OLD Boxed Warning; ASHP-MONO",
        Some("lethargy_somnolence <= mild (product choice; the source states no resume condition)");
    LabelHoldFobtPositive => "label.hold.fobt-positive", LabelHold, Hold, true, "LABEL-2024 §2.4 T2",
        Some("a newer fobt_result = negative");
    LabelHoldSepsisUnstable => "label.hold.sepsis-unstable", LabelHold, Hold, false, "LABEL-OLD Dose modifications; LABEL-2024 Boxed Warning",
        Some("sepsis_unstable absent and infection_under_treatment = yes");
    LabelHoldCreatinineAbove4_5 => "label.hold.creatinine-above-4.5", LabelHold, Hold, false, "LABEL-OLD Dose modifications", RENAL_RESUME;
    LabelHoldCreatinine4Complicated => "label.hold.creatinine-4-complicated", LabelHold, Hold, false, "LABEL-OLD Dose modifications", RENAL_RESUME;
    LabelHoldOliguria => "label.hold.oliguria", LabelHold, Hold, false, "LABEL-OLD Dose modifications",
        Some("urine rate > 10 mL/h over the latest >= 4 h and (creatinine fallen > 1.5 mg/dL from its peak or <= ULN)");
    LabelHoldBullousDermatitis => "label.hold.bullous-dermatitis", LabelHold, Hold, false, "LABEL-OLD Dose modifications",
        Some("bullous_dermatitis absent (resolved); the older label advises against topical steroids here");
    LabelStopCourseHepaticFailure => "label.stop-course.hepatic-failure", LabelStop, DiscontinueCourse, false, "LABEL-OLD Dose modifications", NO_RESUME;
    LabelStopVtSustained => "label.stop.vt-sustained", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopArrhythmiaUncontrolled => "label.stop.arrhythmia-uncontrolled", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopEcgIschemia => "label.stop.ecg-ischemia", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2", NO_RESUME;
    LabelStopChestPainAngina => "label.stop.chest-pain-angina", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD Table 1", NO_RESUME;
    LabelStopCardiacTamponade => "label.stop.cardiac-tamponade", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopIntubationOver72h => "label.stop.intubation-over-72h", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopComaOver48h => "label.stop.coma-over-48h", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopToxicPsychosisOver48h => "label.stop.toxic-psychosis-over-48h", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopSeizuresRepetitive => "label.stop.seizures-repetitive", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopBowelIschemiaPerforation => "label.stop.bowel-ischemia-perforation", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopGiBleedingSurgery => "label.stop.gi-bleeding-surgery", LabelStop, DiscontinuePermanently, true, "LABEL-2024 §2.4 T2; LABEL-OLD", NO_RESUME;
    LabelStopDialysisOver72h => "label.stop.dialysis-over-72h", LabelStop, DiscontinuePermanently, false, "LABEL-OLD Contraindications", NO_RESUME;
    ProductHoldIntubated => "product.hold.intubated", ProductHold, Hold, true, "PRODUCT", TRIGGER_GONE;
    ProductHoldOtherVasopressor => "product.hold.other-vasopressor", ProductHold, Hold, true, "PRODUCT", TRIGGER_GONE;
    ProductHoldUnreadFinding => "product.hold.unread-finding", ProductHold, Hold, true, "PRODUCT",
        Some("every finding no rule of the active set reads is recorded absent / none (listed within 4 h, or implied by findings_reviewed)");
    ProductHoldGrade4 => "product.hold.grade-4", ProductHold, Hold, true, "PRODUCT; CTCAE-5",
        Some("every CTCAE grade of the assessment is below 4 (a grade-4 result that has grown too old needs a new result)");
    ProductHoldChestPainEcgPending => "product.hold.chest-pain-ecg-pending", ProductHold, Hold, true, "PRODUCT",
        Some("ecg_ischemia_changes recorded absent at or after the latest chest_pain_angina answer");
    ProductLimitCycle14 => "product.limit.cycle-14", ProductLimit, NotPermitted, true, "LABEL-2024 §2.2 T1; PRODUCT", NO_RESUME;
    ProductLimitCourse28 => "product.limit.course-28", ProductLimit, NotPermitted, true, "LABEL-2024 §2.2 T1; PRODUCT", NO_RESUME;
    ProductLimitOutsideCycleWindow => "product.limit.outside-cycle-window", ProductLimit, NotPermitted, true, "LABEL-2024 §2.2 T1; PRODUCT", NO_RESUME;
    ProductLimitInterval => "product.limit.interval", ProductLimit, NotPermitted, true, "LABEL-2024 §2.2 T1; PRODUCT", NO_RESUME;
    ProductLimitCourseDiscontinued => "product.limit.course-discontinued", ProductLimit, NotPermitted, true, "PRODUCT", NO_RESUME;
    ProductLimitRetreatmentContraindicated => "product.limit.retreatment-contraindicated", ProductLimit, NotPermitted, true, "LABEL-OLD Contraindications; PRODUCT", NO_RESUME;
    ProductLimitPreparationExpired => "product.limit.preparation-expired", ProductLimit, NotPermitted, true, "HANDBOOK Stability; PRODUCT", NO_RESUME;
    ConsensusHoldSinusTachycardia => "consensus.hold.sinus-tachycardia", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("heart_rate < tachycardia_hold_min");
    ConsensusHoldSbpBelowTarget => "consensus.hold.sbp-below-target", ConsensusHold, Hold, true, "TIL-2024 T2; DUTCHER-2014 T3", Some("systolic_bp >= target_sbp");
    ConsensusHoldDiarrhea1000Shift => "consensus.hold.diarrhea-1000-shift", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("last completed shift stool_output < 1000 mL");
    ConsensusHoldIleusDistention => "consensus.hold.ileus-distention", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("ileus_distention = none");
    ConsensusHoldBilirubinAbove7 => "consensus.hold.bilirubin-above-7", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("bilirubin_total <= 7 mg/dL");
    ConsensusHoldPhenylephrineInterval => "consensus.hold.phenylephrine-interval", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("next interval phenylephrine_rate_max < 1.0 ug/kg/min");
    ConsensusHoldPhenylephrineAtDose => "consensus.hold.phenylephrine-at-dose", ConsensusHold, Hold, true, "DUTCHER-2014 T3; TIL-2024 T2", Some("phenylephrine_rate_now <= 0.5 ug/kg/min");
    ConsensusHoldHemePositive => "consensus.hold.heme-positive", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("heme_positive_secretions absent");
    ConsensusHoldPlatelets30To50k => "consensus.hold.platelets-30-50k", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("platelets > 50 10*3/uL");
    ConsensusHoldWeightGain15Pct => "consensus.hold.weight-gain-15pct", ConsensusHold, Hold, true, "DUTCHER-2014 T3; SPRINGERPLUS-2015 T1", Some("weight gain over baseline_weight <= 15 %");
    ConsensusHoldExtremeTightness => "consensus.hold.extreme-tightness", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("extreme_tightness absent");
    ConsensusHoldVividDreams => "consensus.hold.vivid-dreams", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("vivid_dreams absent");
    ConsensusHoldAnxietyMild => "consensus.hold.anxiety-mild", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("anxiety_mild absent");
    ConsensusHoldDyspneaAtRest => "consensus.hold.dyspnea-at-rest", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("dyspnea_at_rest absent");
    ConsensusHoldOxygen3To4L => "consensus.hold.oxygen-3-4l", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("oxygen_flow < 3 L/min (o2_device none = 0)");
    ConsensusHoldRalesThird => "consensus.hold.rales-third", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("rales_extent = none");
    ConsensusHoldUrine80To160Shift => "consensus.hold.urine-80-160-shift", ConsensusHold, Hold, true, "DUTCHER-2014 T3", Some("last completed shift urine_output > 160 mL");
    ConsensusHoldCreatinine2_5 => "consensus.hold.creatinine-2.5", ConsensusHold, Hold, true, "DUTCHER-2014 T3; TIL-2024 T2", Some("creatinine < 2.5 mg/dL");
    ConsensusStopSinusTachycardiaAbove130 => "consensus.stop.sinus-tachycardia-above-130", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopEcgIschemia => "consensus.stop.ecg-ischemia", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopAtrialFibrillation => "consensus.stop.atrial-fibrillation", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopSvt => "consensus.stop.svt", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopVentricularArrhythmia => "consensus.stop.ventricular-arrhythmia", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopCardiacEnzymes => "consensus.stop.cardiac-enzymes", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopMoistDesquamation => "consensus.stop.moist-desquamation", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopDiarrheaTwoShifts => "consensus.stop.diarrhea-two-shifts", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopVomitingRefractory => "consensus.stop.vomiting-refractory", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopDistentionBreathing => "consensus.stop.distention-breathing", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopAbdominalPain => "consensus.stop.abdominal-pain", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopPhenylephrineInterval => "consensus.stop.phenylephrine-interval", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopPhenylephrineAtDose => "consensus.stop.phenylephrine-at-dose", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopFrankBlood => "consensus.stop.frank-blood", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopPlateletsBelow30k => "consensus.stop.platelets-below-30k", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopInfection => "consensus.stop.infection", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopExtremeParesthesias => "consensus.stop.extreme-paresthesias", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopHallucinations => "consensus.stop.hallucinations", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopPersistentCrying => "consensus.stop.persistent-crying", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopMentalStatus2h => "consensus.stop.mental-status-2h", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopCognitiveScreen => "consensus.stop.cognitive-screen", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopOxygenAbove4L => "consensus.stop.oxygen-above-4l", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopIntubation => "consensus.stop.intubation", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopRalesHalf => "consensus.stop.rales-half", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopUrineBelow80Shift => "consensus.stop.urine-below-80-shift", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopCreatinine3 => "consensus.stop.creatinine-3", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopBicarbonate18 => "consensus.stop.bicarbonate-18", ConsensusStop, DiscontinueCourse, true, "DUTCHER-2014 T3", NO_RESUME;
    ConsensusStopThreeRelative => "consensus.stop.three-relative", ConsensusStop, DiscontinueCourse, true, "SPRINGERPLUS-2015 T1 footnote", NO_RESUME;
    ConsensusStopHeldThreeTimes => "consensus.stop.held-three-times", ConsensusStop, DiscontinueCourse, true, "SPRINGERPLUS-2015 T1 footnote; PRODUCT", NO_RESUME;
}

impl Rule {
    /// The rule for a stable id.
    pub fn from_id(id: &str) -> Option<Rule> {
        ALL_RULES.iter().copied().find(|rule| rule.id() == id)
    }

    /// Whether `rule_set` runs this rule (ASSESSMENT §3, §4, §9.5, §10). Under `consensus`, every label stop,
    /// the hepatic stop-course and seven label holds run too, because the consensus table has no equivalent
    /// and the label's boxed warnings apply to every use (ASSESSMENT §4, product choice; §10.1 added
    /// bradycardia, bullous dermatitis and a positive FOBT).
    pub const fn runs_in(self, rule_set: RuleSet) -> bool {
        match (rule_set, self.family()) {
            (_, Family::ProductHold | Family::ProductLimit) => true,
            (RuleSet::Label, Family::LabelHold | Family::LabelStop) => true,
            (RuleSet::Label, Family::ConsensusHold | Family::ConsensusStop) => false,
            (RuleSet::Consensus, Family::ConsensusHold | Family::ConsensusStop | Family::LabelStop) => true,
            (RuleSet::Consensus, Family::LabelHold) => matches!(
                self,
                Rule::LabelHoldMentalStatusChange
                    | Rule::LabelHoldLethargySomnolence
                    | Rule::LabelHoldSpo2Below90
                    | Rule::LabelHoldSepsisUnstable
                    | Rule::LabelHoldBradycardia
                    | Rule::LabelHoldBullousDermatitis
                    | Rule::LabelHoldFobtPositive
            ),
        }
    }

    /// The findings this rule's trigger reads (ASSESSMENT §2.2). With [`Rule::resume_findings`], the findings
    /// the rule reads: `product.hold.unread-finding` holds for a finding reported present that no rule of the
    /// active set reads (a finding read only by a resume condition, such as `pressor_requirement` under
    /// `label`, counts as read: the label's own resume table lets a dose go ahead on stable pressors).
    /// `product.hold.unread-finding` itself reads every finding the others do not and lists none.
    pub const fn trigger_findings(self) -> &'static [FindingCode] {
        use FindingCode as F;
        match self {
            Rule::LabelHoldAtrialFibrillation | Rule::ConsensusStopAtrialFibrillation => &[F::AtrialFibrillation],
            Rule::LabelHoldSvt | Rule::ConsensusStopSvt => &[F::SupraventricularTachycardia],
            Rule::LabelHoldBradycardia => &[F::BradycardiaRequiringTreatment],
            Rule::LabelHoldMentalStatusChange => {
                &[F::MentalStatusChange, F::Coma, F::ToxicPsychosis, F::Hallucinations]
            }
            Rule::LabelHoldLethargySomnolence => &[F::LethargySomnolence],
            Rule::LabelHoldFobtPositive => &[F::FobtResult],
            Rule::LabelHoldSepsisUnstable => &[F::SepsisUnstable],
            Rule::LabelHoldCreatinine4Complicated => &[F::SevereVolumeOverload, F::Acidosis, F::Hyperkalemia],
            Rule::LabelHoldBullousDermatitis => &[F::BullousDermatitis],
            Rule::LabelStopCourseHepaticFailure => &[F::HepaticFailureSigns],
            Rule::LabelStopVtSustained => &[F::VentricularTachycardia],
            Rule::LabelStopArrhythmiaUncontrolled => &[F::ArrhythmiaUncontrolled],
            Rule::LabelStopEcgIschemia | Rule::ConsensusStopEcgIschemia => &[F::EcgIschemiaChanges],
            Rule::LabelStopChestPainAngina | Rule::ProductHoldChestPainEcgPending => {
                &[F::ChestPainAngina, F::EcgIschemiaChanges]
            }
            Rule::LabelStopCardiacTamponade => &[F::CardiacTamponade],
            Rule::LabelStopIntubationOver72h | Rule::ProductHoldIntubated | Rule::ConsensusStopIntubation => {
                &[F::Intubated]
            }
            Rule::LabelStopComaOver48h => &[F::Coma],
            Rule::LabelStopToxicPsychosisOver48h => &[F::ToxicPsychosis],
            Rule::LabelStopSeizuresRepetitive => &[F::SeizuresRepetitive],
            Rule::LabelStopBowelIschemiaPerforation => &[F::BowelIschemiaPerforation],
            Rule::LabelStopGiBleedingSurgery => &[F::GiBleedingRequiringSurgery],
            Rule::LabelStopDialysisOver72h => &[F::Dialysis],
            Rule::ProductHoldOtherVasopressor => &[F::VasopressorOther],
            Rule::ConsensusHoldIleusDistention | Rule::ConsensusStopDistentionBreathing => &[F::IleusDistention],
            Rule::ConsensusHoldPhenylephrineInterval
            | Rule::ConsensusHoldPhenylephrineAtDose
            | Rule::ConsensusStopPhenylephrineInterval
            | Rule::ConsensusStopPhenylephrineAtDose => &[F::PressorRequirement],
            Rule::ConsensusHoldHemePositive => &[F::HemePositiveSecretions],
            Rule::ConsensusHoldExtremeTightness => &[F::ExtremeTightness],
            Rule::ConsensusHoldVividDreams => &[F::VividDreams],
            Rule::ConsensusHoldAnxietyMild => &[F::AnxietyMild],
            Rule::ConsensusHoldDyspneaAtRest => &[F::DyspneaAtRest],
            Rule::ConsensusHoldOxygen3To4L | Rule::ConsensusStopOxygenAbove4L => &[F::O2Device],
            Rule::ConsensusHoldRalesThird | Rule::ConsensusStopRalesHalf => &[F::RalesExtent],
            Rule::ConsensusStopVentricularArrhythmia => &[F::VentricularEctopy, F::VentricularTachycardia],
            Rule::ConsensusStopCardiacEnzymes => &[F::CardiacEnzymesElevated],
            Rule::ConsensusStopMoistDesquamation => &[F::MoistDesquamation],
            Rule::ConsensusStopVomitingRefractory => &[F::VomitingRefractory],
            Rule::ConsensusStopAbdominalPain => &[F::AbdominalPainSevere],
            Rule::ConsensusStopFrankBlood => &[F::FrankBlood],
            Rule::ConsensusStopInfection => &[F::InfectionSuspectedOrDocumented],
            Rule::ConsensusStopExtremeParesthesias => &[F::ExtremeParesthesias],
            Rule::ConsensusStopHallucinations => &[F::Hallucinations],
            Rule::ConsensusStopPersistentCrying => &[F::PersistentCrying],
            Rule::ConsensusStopMentalStatus2h => {
                &[F::MentalStatusChange, F::Coma, F::ToxicPsychosis, F::MentalStatusChangeHours]
            }
            Rule::ConsensusStopCognitiveScreen => &[F::CognitiveScreenFailed],
            Rule::LabelHoldSbpBelow90
            | Rule::LabelHoldSpo2Below90
            | Rule::LabelHoldCreatinineAbove4_5
            | Rule::LabelHoldOliguria
            | Rule::ProductHoldUnreadFinding
            | Rule::ProductHoldGrade4
            | Rule::ProductLimitCycle14
            | Rule::ProductLimitCourse28
            | Rule::ProductLimitOutsideCycleWindow
            | Rule::ProductLimitInterval
            | Rule::ProductLimitCourseDiscontinued
            | Rule::ProductLimitRetreatmentContraindicated
            | Rule::ProductLimitPreparationExpired
            | Rule::ConsensusHoldSinusTachycardia
            | Rule::ConsensusHoldSbpBelowTarget
            | Rule::ConsensusHoldDiarrhea1000Shift
            | Rule::ConsensusHoldBilirubinAbove7
            | Rule::ConsensusHoldPlatelets30To50k
            | Rule::ConsensusHoldWeightGain15Pct
            | Rule::ConsensusHoldUrine80To160Shift
            | Rule::ConsensusHoldCreatinine2_5
            | Rule::ConsensusStopSinusTachycardiaAbove130
            | Rule::ConsensusStopDiarrheaTwoShifts
            | Rule::ConsensusStopPlateletsBelow30k
            | Rule::ConsensusStopUrineBelow80Shift
            | Rule::ConsensusStopCreatinine3
            | Rule::ConsensusStopBicarbonate18
            | Rule::ConsensusStopThreeRelative
            | Rule::ConsensusStopHeldThreeTimes => &[],
        }
    }

    /// The findings a hold's resume condition reads (ASSESSMENT §7), beside those of its trigger: with
    /// [`Rule::trigger_findings`], every finding the bedside must be able to record for this rule (§10.3).
    pub const fn resume_findings(self) -> &'static [FindingCode] {
        use FindingCode as F;
        match self {
            Rule::LabelHoldAtrialFibrillation | Rule::LabelHoldSvt | Rule::LabelHoldBradycardia => {
                &[F::Asymptomatic, F::NormalSinusRhythm]
            }
            Rule::LabelHoldSbpBelow90 => &[F::Asymptomatic, F::PressorRequirement],
            Rule::LabelHoldSepsisUnstable => &[F::SepsisUnstable, F::InfectionUnderTreatment],
            Rule::LabelHoldCreatinineAbove4_5 | Rule::LabelHoldCreatinine4Complicated => &[F::FluidElectrolytesStable],
            Rule::ConsensusHoldOxygen3To4L => &[F::O2Device],
            _ => &[],
        }
    }

    /// Whether a rule of `rule_set` reads `code` (in its trigger or its resume condition).
    pub fn finding_read_in(code: FindingCode, rule_set: RuleSet) -> bool {
        read_table(rule_set)[code as usize]
    }

    /// The rules of `rule_set` that read `code`, in catalogue order: for an unread finding, the rules
    /// of the other set that would have acted on it (ASSESSMENT §10.1).
    pub fn readers(code: FindingCode, rule_set: RuleSet) -> impl Iterator<Item = Rule> {
        Rule::of_set(rule_set)
            .filter(move |rule| rule.trigger_findings().contains(&code) || rule.resume_findings().contains(&code))
    }

    /// The findings no rule of `rule_set` reads and that can report something (not the yes/no resume
    /// inputs): the findings `product.hold.unread-finding` watches.
    pub fn unread_findings(rule_set: RuleSet) -> &'static [FindingCode] {
        match rule_set {
            RuleSet::Label => &LABEL_UNREAD,
            RuleSet::Consensus => &CONSENSUS_UNREAD,
        }
    }

    /// Whether this is a hold rule (the only rules a pending hold may name).
    pub fn is_hold(self) -> bool {
        self.action() == Action::Hold
    }

    /// Whether this is a relative criterion of the consensus set (counted by `consensus.stop.three-relative`).
    pub fn is_consensus_relative(self) -> bool {
        self.family() == Family::ConsensusHold
    }

    /// The rules `rule_set` runs, in catalogue order (computed at compile time).
    pub fn of_set(rule_set: RuleSet) -> impl Iterator<Item = Rule> {
        let rules: &'static [Rule] = match rule_set {
            RuleSet::Label => &LABEL_RULES,
            RuleSet::Consensus => &CONSENSUS_RULES,
        };
        rules.iter().copied()
    }
}

const fn count_in(rule_set: RuleSet) -> usize {
    let mut count = 0;
    let mut index = 0;
    while index < ALL_RULES.len() {
        if ALL_RULES[index].runs_in(rule_set) {
            count += 1;
        }
        index += 1;
    }
    count
}

const fn rules_of<const N: usize>(rule_set: RuleSet) -> [Rule; N] {
    let mut rules = [Rule::LabelHoldAtrialFibrillation; N];
    let (mut index, mut found) = (0, 0);
    while index < ALL_RULES.len() {
        if ALL_RULES[index].runs_in(rule_set) {
            rules[found] = ALL_RULES[index];
            found += 1;
        }
        index += 1;
    }
    rules
}

/// The rules of the `label` set, in catalogue order.
pub const LABEL_RULES: [Rule; count_in(RuleSet::Label)] = rules_of(RuleSet::Label);
/// The rules of the `consensus` set, in catalogue order.
pub const CONSENSUS_RULES: [Rule; count_in(RuleSet::Consensus)] = rules_of(RuleSet::Consensus);

/// Which findings the triggers of `rule_set` read, by finding index (computed at compile time).
const fn read_by(rule_set: RuleSet) -> [bool; FINDING_COUNT] {
    let mut read = [false; FINDING_COUNT];
    let mut index = 0;
    while index < ALL_RULES.len() {
        let rule = ALL_RULES[index];
        if rule.runs_in(rule_set) {
            let (trigger, resume) = (rule.trigger_findings(), rule.resume_findings());
            let mut finding = 0;
            while finding < trigger.len() {
                read[trigger[finding] as usize] = true;
                finding += 1;
            }
            finding = 0;
            while finding < resume.len() {
                read[resume[finding] as usize] = true;
                finding += 1;
            }
        }
        index += 1;
    }
    read
}

const LABEL_READ: [bool; FINDING_COUNT] = read_by(RuleSet::Label);
const CONSENSUS_READ: [bool; FINDING_COUNT] = read_by(RuleSet::Consensus);

const fn read_table(rule_set: RuleSet) -> &'static [bool; FINDING_COUNT] {
    match rule_set {
        RuleSet::Label => &LABEL_READ,
        RuleSet::Consensus => &CONSENSUS_READ,
    }
}

/// Whether an unread finding of `rule_set` is watched: it can report something (yes/no resume inputs cannot).
const fn watched(code: FindingCode, rule_set: RuleSet) -> bool {
    !read_table(rule_set)[code as usize] && !matches!(code.kind(), FindingKind::YesNo)
}

const fn count_unread(rule_set: RuleSet) -> usize {
    let (mut count, mut index) = (0, 0);
    while index < ALL_FINDING_CODES.len() {
        if watched(ALL_FINDING_CODES[index], rule_set) {
            count += 1;
        }
        index += 1;
    }
    count
}

const fn unread_of<const N: usize>(rule_set: RuleSet) -> [FindingCode; N] {
    let mut codes = [FindingCode::AtrialFibrillation; N];
    let (mut index, mut found) = (0, 0);
    while index < ALL_FINDING_CODES.len() {
        if watched(ALL_FINDING_CODES[index], rule_set) {
            codes[found] = ALL_FINDING_CODES[index];
            found += 1;
        }
        index += 1;
    }
    codes
}

/// The findings no rule of the `label` set reads (watched by `product.hold.unread-finding`).
pub const LABEL_UNREAD: [FindingCode; count_unread(RuleSet::Label)] = unread_of(RuleSet::Label);
/// The findings no rule of the `consensus` set reads.
pub const CONSENSUS_UNREAD: [FindingCode; count_unread(RuleSet::Consensus)] = unread_of(RuleSet::Consensus);
