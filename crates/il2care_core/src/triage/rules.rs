//! The triage rules of `clinical/TRIAGE.md` (rows T1 to T46, plus the escalation and the sepsis and shock
//! patterns) as one closed enum, each with its id, level, advice topic, source and match condition.
//!
//! A rule here looks at one answer at a time (T3 also asks whether a temperature was given); combining the
//! matches into a level is `super::triage`. Thresholds are exact decimals; nothing here does IO.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::questionnaire::{AdviceTopic, Answer, InjectionSiteLook, Item};
use super::{CheckIn, Level};
use crate::Source;

/// T1: 38.0 Cel (100.4 `[degF]`) itself is a fever [EDU; PRODUCT: "more than" triggers at the limit].
pub const FEVER_CELSIUS: Decimal = dec!(38.0);
/// T2: below 36.0 Cel (96.8 `[degF]`) is too cold [UKONS, PRODUCT].
pub const HYPOTHERMIA_CELSIUS: Decimal = dec!(36.0);
/// T13 and the sepsis pattern: home systolic pressure below 90 `mm[Hg]` [EDU, LABEL].
pub const LOW_SYSTOLIC_MM_HG: Decimal = dec!(90);
/// Shock pattern (step 3a): a home systolic pressure below 70 `mm[Hg]` is an emergency on its own
/// [PRODUCT, amendment 2026-12-04].
pub const SHOCK_SYSTOLIC_MM_HG: Decimal = dec!(70);
/// T14: 12 hours itself without keeping fluids down is too long [EDU; PRODUCT at the limit].
pub const FLUIDS_HOURS: Decimal = dec!(12);

/// A triage rule. Rows T1 to T46 of TRIAGE.md in order, then the escalation and the two patterns of "How the
/// level is found" (steps 2, 3 and 3a).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Fever,
    Hypothermia,
    FeverishUnmeasured,
    Rigors,
    Chills,
    InfectionSign,
    Breathless,
    BreathlessSevere,
    ChestPain,
    Lightheaded,
    Fainted,
    Swelling,
    LowBp,
    Fluids,
    Vomiting,
    VomitingSevere,
    Nausea,
    NauseaSevere,
    Diarrhea,
    DiarrheaModerate,
    DiarrheaSevere,
    Rash,
    Blisters,
    Itch,
    ItchSevere,
    Bruising,
    Bleeding,
    BleedingSevere,
    Liver,
    AbdominalPain,
    AbdominalPainSevere,
    Kidney,
    NoUrine,
    Mouth,
    MouthModerate,
    MouthSevere,
    Confusion,
    Unresponsive,
    Fatigue,
    FatigueSevere,
    Appetite,
    AppetiteSevere,
    Aches,
    InjectionSite,
    Pregnancy,
    /// T46 (amendment 2026-12-04): a racing, pounding, fluttering or skipping heartbeat.
    Palpitations,
    /// Two or more different rules at `call_today` make the result `call_now` (UKONS).
    EscalationTwoAmber,
    /// A temperature sign (T1 fever, T2 low temperature or T3 feeling feverish without a thermometer) with
    /// fainting, severe breathlessness, new confusion or home systolic below 90 is an emergency (PRODUCT).
    EscalationSepsisPattern,
    /// Home systolic below 90 with lightheadedness (T10), new confusion (T37) or sudden swelling (T12), or home
    /// systolic below 70 on its own, is an emergency (PRODUCT, amendment 2026-12-04).
    EscalationShockPattern,
}

impl Rule {
    /// Every rule, in the order of TRIAGE.md.
    pub const ALL: [Rule; 49] = [
        Rule::Fever,
        Rule::Hypothermia,
        Rule::FeverishUnmeasured,
        Rule::Rigors,
        Rule::Chills,
        Rule::InfectionSign,
        Rule::Breathless,
        Rule::BreathlessSevere,
        Rule::ChestPain,
        Rule::Lightheaded,
        Rule::Fainted,
        Rule::Swelling,
        Rule::LowBp,
        Rule::Fluids,
        Rule::Vomiting,
        Rule::VomitingSevere,
        Rule::Nausea,
        Rule::NauseaSevere,
        Rule::Diarrhea,
        Rule::DiarrheaModerate,
        Rule::DiarrheaSevere,
        Rule::Rash,
        Rule::Blisters,
        Rule::Itch,
        Rule::ItchSevere,
        Rule::Bruising,
        Rule::Bleeding,
        Rule::BleedingSevere,
        Rule::Liver,
        Rule::AbdominalPain,
        Rule::AbdominalPainSevere,
        Rule::Kidney,
        Rule::NoUrine,
        Rule::Mouth,
        Rule::MouthModerate,
        Rule::MouthSevere,
        Rule::Confusion,
        Rule::Unresponsive,
        Rule::Fatigue,
        Rule::FatigueSevere,
        Rule::Appetite,
        Rule::AppetiteSevere,
        Rule::Aches,
        Rule::InjectionSite,
        Rule::Pregnancy,
        Rule::Palpitations,
        Rule::EscalationTwoAmber,
        Rule::EscalationSepsisPattern,
        Rule::EscalationShockPattern,
    ];

    /// The rule id (TRIAGE.md "rule id").
    pub const fn id(self) -> &'static str {
        match self {
            Rule::Fever => "triage.fever",
            Rule::Hypothermia => "triage.hypothermia",
            Rule::FeverishUnmeasured => "triage.feverish-unmeasured",
            Rule::Rigors => "triage.rigors",
            Rule::Chills => "triage.chills",
            Rule::InfectionSign => "triage.infection-sign",
            Rule::Breathless => "triage.breathless",
            Rule::BreathlessSevere => "triage.breathless-severe",
            Rule::ChestPain => "triage.chest-pain",
            Rule::Lightheaded => "triage.lightheaded",
            Rule::Fainted => "triage.fainted",
            Rule::Swelling => "triage.swelling",
            Rule::LowBp => "triage.low-bp",
            Rule::Fluids => "triage.fluids",
            Rule::Vomiting => "triage.vomiting",
            Rule::VomitingSevere => "triage.vomiting-severe",
            Rule::Nausea => "triage.nausea",
            Rule::NauseaSevere => "triage.nausea-severe",
            Rule::Diarrhea => "triage.diarrhea",
            Rule::DiarrheaModerate => "triage.diarrhea-moderate",
            Rule::DiarrheaSevere => "triage.diarrhea-severe",
            Rule::Rash => "triage.rash",
            Rule::Blisters => "triage.blisters",
            Rule::Itch => "triage.itch",
            Rule::ItchSevere => "triage.itch-severe",
            Rule::Bruising => "triage.bruising",
            Rule::Bleeding => "triage.bleeding",
            Rule::BleedingSevere => "triage.bleeding-severe",
            Rule::Liver => "triage.liver",
            Rule::AbdominalPain => "triage.abdominal-pain",
            Rule::AbdominalPainSevere => "triage.abdominal-pain-severe",
            Rule::Kidney => "triage.kidney",
            Rule::NoUrine => "triage.no-urine",
            Rule::Mouth => "triage.mouth",
            Rule::MouthModerate => "triage.mouth-moderate",
            Rule::MouthSevere => "triage.mouth-severe",
            Rule::Confusion => "triage.confusion",
            Rule::Unresponsive => "triage.unresponsive",
            Rule::Fatigue => "triage.fatigue",
            Rule::FatigueSevere => "triage.fatigue-severe",
            Rule::Appetite => "triage.appetite",
            Rule::AppetiteSevere => "triage.appetite-severe",
            Rule::Aches => "triage.aches",
            Rule::InjectionSite => "triage.injection-site",
            Rule::Pregnancy => "triage.pregnancy",
            Rule::Palpitations => "triage.palpitations",
            Rule::EscalationTwoAmber => "triage.escalation.two-amber",
            Rule::EscalationSepsisPattern => "triage.sepsis-pattern",
            Rule::EscalationShockPattern => "triage.shock-pattern",
        }
    }

    /// The row of TRIAGE.md (`T1` ... `T46`; the escalation and the patterns are steps 2, 3 and 3a of "How the
    /// level is found").
    pub const fn row(self) -> &'static str {
        match self {
            Rule::Fever => "T1",
            Rule::Hypothermia => "T2",
            Rule::FeverishUnmeasured => "T3",
            Rule::Rigors => "T4",
            Rule::Chills => "T5",
            Rule::InfectionSign => "T6",
            Rule::Breathless => "T7",
            Rule::BreathlessSevere => "T8",
            Rule::ChestPain => "T9",
            Rule::Lightheaded => "T10",
            Rule::Fainted => "T11",
            Rule::Swelling => "T12",
            Rule::LowBp => "T13",
            Rule::Fluids => "T14",
            Rule::Vomiting => "T15",
            Rule::VomitingSevere => "T16",
            Rule::Nausea => "T17",
            Rule::NauseaSevere => "T18",
            Rule::Diarrhea => "T19",
            Rule::DiarrheaModerate => "T20",
            Rule::DiarrheaSevere => "T21",
            Rule::Rash => "T22",
            Rule::Blisters => "T23",
            Rule::Itch => "T24",
            Rule::ItchSevere => "T25",
            Rule::Bruising => "T26",
            Rule::Bleeding => "T27",
            Rule::BleedingSevere => "T28",
            Rule::Liver => "T29",
            Rule::AbdominalPain => "T30",
            Rule::AbdominalPainSevere => "T31",
            Rule::Kidney => "T32",
            Rule::NoUrine => "T33",
            Rule::Mouth => "T34",
            Rule::MouthModerate => "T35",
            Rule::MouthSevere => "T36",
            Rule::Confusion => "T37",
            Rule::Unresponsive => "T38",
            Rule::Fatigue => "T39",
            Rule::FatigueSevere => "T40",
            Rule::Appetite => "T41",
            Rule::AppetiteSevere => "T42",
            Rule::Aches => "T43",
            Rule::InjectionSite => "T44",
            Rule::Pregnancy => "T45",
            Rule::Palpitations => "T46",
            Rule::EscalationTwoAmber => "step 2",
            Rule::EscalationSepsisPattern => "step 3",
            Rule::EscalationShockPattern => "step 3a",
        }
    }

    /// The level this rule gives when it matches.
    pub const fn level(self) -> Level {
        match self {
            Rule::Chills
            | Rule::Nausea
            | Rule::Diarrhea
            | Rule::Itch
            | Rule::Mouth
            | Rule::Fatigue
            | Rule::Appetite
            | Rule::Aches => Level::SelfCare,
            Rule::Vomiting
            | Rule::NauseaSevere
            | Rule::DiarrheaModerate
            | Rule::Rash
            | Rule::ItchSevere
            | Rule::Bruising
            | Rule::Liver
            | Rule::AbdominalPain
            | Rule::Kidney
            | Rule::MouthModerate
            | Rule::FatigueSevere
            | Rule::AppetiteSevere
            | Rule::InjectionSite
            | Rule::Pregnancy => Level::CallToday,
            Rule::Fever
            | Rule::Hypothermia
            | Rule::FeverishUnmeasured
            | Rule::Rigors
            | Rule::InfectionSign
            | Rule::Breathless
            | Rule::Lightheaded
            | Rule::Swelling
            | Rule::LowBp
            | Rule::Fluids
            | Rule::VomitingSevere
            | Rule::DiarrheaSevere
            | Rule::Blisters
            | Rule::Bleeding
            | Rule::AbdominalPainSevere
            | Rule::NoUrine
            | Rule::MouthSevere
            | Rule::Confusion
            | Rule::Palpitations
            | Rule::EscalationTwoAmber => Level::CallNow,
            Rule::BreathlessSevere
            | Rule::ChestPain
            | Rule::Fainted
            | Rule::BleedingSevere
            | Rule::Unresponsive
            | Rule::EscalationSepsisPattern
            | Rule::EscalationShockPattern => Level::Emergency,
        }
    }

    /// The source citation (TRIAGE.md "source"; remarks in parentheses there are kept as sections).
    pub const fn source(self) -> Source {
        Source(match self {
            Rule::Fever => "EDU",
            Rule::Hypothermia => "UKONS, PRODUCT",
            Rule::FeverishUnmeasured => "UKONS, PRODUCT",
            Rule::Rigors => "UKONS",
            Rule::Chills => "EDU",
            Rule::InfectionSign => "EDU",
            Rule::Breathless => "EDU",
            Rule::BreathlessSevere => "PRODUCT",
            Rule::ChestPain => "PRODUCT (cardiac ischemia is a stop criterion)",
            Rule::Lightheaded => "EDU",
            Rule::Fainted => "PRODUCT",
            Rule::Swelling => "EDU",
            Rule::LowBp => "EDU, LABEL",
            Rule::Fluids => "EDU",
            Rule::Vomiting => "PRODUCT",
            Rule::VomitingSevere => "PRODUCT",
            Rule::Nausea => "EDU",
            Rule::NauseaSevere => "PRODUCT",
            Rule::Diarrhea => "EDU, CTCAE-5",
            Rule::DiarrheaModerate => "CTCAE-5 grade 2",
            Rule::DiarrheaSevere => "CTCAE-5 grade 3",
            Rule::Rash => "EDU",
            Rule::Blisters => "LABEL (bullous dermatitis)",
            Rule::Itch => "EDU",
            Rule::ItchSevere => "PRODUCT",
            Rule::Bruising => "EDU",
            Rule::Bleeding => "EDU, PRODUCT",
            Rule::BleedingSevere => "PRODUCT",
            Rule::Liver => "EDU",
            Rule::AbdominalPain => "EDU",
            Rule::AbdominalPainSevere => "LABEL (bowel ischemia or perforation)",
            Rule::Kidney => "EDU",
            Rule::NoUrine => "PRODUCT",
            Rule::Mouth => "EDU",
            Rule::MouthModerate => "EDU",
            Rule::MouthSevere => "CTCAE-5 grade 3",
            Rule::Confusion => "LABEL (neurologic toxicity)",
            Rule::Unresponsive => "LABEL (coma or seizures)",
            Rule::Fatigue => "EDU",
            Rule::FatigueSevere => "PRODUCT",
            Rule::Appetite => "EDU",
            Rule::AppetiteSevere => "PRODUCT",
            Rule::Aches => "EDU",
            Rule::InjectionSite => "PRODUCT",
            Rule::Pregnancy => "EDU",
            // TRIAGE.md T46 cites "LABEL (AF, SVT, arrhythmias); amendment 2026-12-04"; commas separate source
            // ids in a citation, so the remark is written with "or".
            Rule::Palpitations => "LABEL (atrial fibrillation or SVT or other arrhythmias)",
            Rule::EscalationTwoAmber => "UKONS",
            Rule::EscalationSepsisPattern => "PRODUCT",
            Rule::EscalationShockPattern => "PRODUCT",
        })
    }

    /// The advice topic shown when this rule matches (none for the escalations: their rules bring theirs).
    pub const fn advice(self) -> Option<AdviceTopic> {
        match self.items().first() {
            Some(item) => Some(item.topic()),
            None => None,
        }
    }

    /// The items this rule reads (none for the escalations, which read other rules).
    pub const fn items(self) -> &'static [Item] {
        match self {
            Rule::Fever | Rule::Hypothermia => &[Item::Temperature],
            Rule::FeverishUnmeasured => &[Item::FeelsFeverish],
            Rule::Rigors | Rule::Chills => &[Item::Chills],
            Rule::InfectionSign => {
                &[Item::SoreThroat, Item::Cough, Item::ColdSymptoms, Item::BurningUrination, Item::SoreNotHealing]
            }
            Rule::Breathless | Rule::BreathlessSevere => &[Item::ShortOfBreath],
            Rule::ChestPain => &[Item::ChestPain],
            Rule::Lightheaded => &[Item::Lightheaded],
            Rule::Fainted => &[Item::Fainted],
            Rule::Swelling => &[Item::SuddenSwelling],
            Rule::LowBp => &[Item::HomeSystolicBp],
            Rule::Fluids => &[Item::FluidsNotKeptDownHours],
            Rule::Vomiting | Rule::VomitingSevere => &[Item::VomitingEpisodes24h],
            Rule::Nausea | Rule::NauseaSevere => &[Item::Nausea],
            Rule::Diarrhea | Rule::DiarrheaModerate | Rule::DiarrheaSevere => &[Item::ExtraStools24h],
            Rule::Rash => &[Item::Rash],
            Rule::Blisters => &[Item::SkinBlistersOrPeeling],
            Rule::Itch | Rule::ItchSevere => &[Item::Itching],
            Rule::Bruising => &[Item::UnusualBruising],
            Rule::Bleeding => &[Item::Bleeding],
            Rule::BleedingSevere => &[Item::BleedingWontStop],
            Rule::Liver => &[Item::YellowSkinOrEyes, Item::DarkUrine],
            Rule::AbdominalPain | Rule::AbdominalPainSevere => &[Item::AbdominalPain],
            Rule::Kidney => &[Item::LessUrine, Item::AnkleSwelling],
            Rule::NoUrine => &[Item::NoUrine12h],
            Rule::Mouth | Rule::MouthModerate | Rule::MouthSevere => &[Item::MouthSores],
            Rule::Confusion => &[Item::Confusion],
            Rule::Unresponsive => &[Item::HardToWake, Item::Seizure],
            Rule::Fatigue | Rule::FatigueSevere => &[Item::Fatigue],
            Rule::Appetite | Rule::AppetiteSevere => &[Item::AppetiteLoss],
            Rule::Aches => &[Item::Aches],
            Rule::InjectionSite => &[Item::InjectionSite],
            Rule::Pregnancy => &[Item::MayBePregnant],
            Rule::Palpitations => &[Item::Palpitations],
            Rule::EscalationTwoAmber | Rule::EscalationSepsisPattern | Rule::EscalationShockPattern => &[],
        }
    }

    /// What the rule matches, in words (the "matches when" column), for the docs and readable summaries.
    pub const fn condition(self) -> &'static str {
        match self {
            Rule::Fever => ">= 38.0 Cel (100.4 [degF])",
            Rule::Hypothermia => "< 36.0 Cel (96.8 [degF])",
            Rule::FeverishUnmeasured => "true and no temperature given",
            Rule::Rigors => "severe or very_severe (shaking chills)",
            Rule::InfectionSign | Rule::Liver | Rule::Kidney | Rule::Unresponsive => "any true",
            Rule::Chills
            | Rule::Breathless
            | Rule::Nausea
            | Rule::Itch
            | Rule::AbdominalPain
            | Rule::Fatigue
            | Rule::Appetite => "mild or moderate",
            Rule::BreathlessSevere
            | Rule::NauseaSevere
            | Rule::ItchSevere
            | Rule::AbdominalPainSevere
            | Rule::MouthSevere
            | Rule::FatigueSevere
            | Rule::AppetiteSevere => "severe or very_severe",
            Rule::ChestPain
            | Rule::Lightheaded
            | Rule::Fainted
            | Rule::Swelling
            | Rule::Rash
            | Rule::Blisters
            | Rule::Bruising
            | Rule::Bleeding
            | Rule::BleedingSevere
            | Rule::NoUrine
            | Rule::Confusion
            | Rule::Pregnancy
            | Rule::Palpitations => "true",
            Rule::LowBp => "< 90 mm[Hg]",
            Rule::Fluids => ">= 12 hours",
            Rule::Vomiting => "3 to 5",
            Rule::VomitingSevere => ">= 6",
            Rule::Diarrhea => "1 to 3",
            Rule::DiarrheaModerate => "4 to 6",
            Rule::DiarrheaSevere => ">= 7",
            Rule::Mouth => "mild",
            Rule::MouthModerate => "moderate",
            Rule::Aches => "any but none",
            Rule::InjectionSite => "spreading_warm_or_pus",
            Rule::EscalationTwoAmber => "two or more different rules at call_today",
            Rule::EscalationSepsisPattern => {
                "a temperature sign (triage.fever, triage.hypothermia or triage.feverish-unmeasured) with fainted, \
                 short_of_breath severe or worse, confusion, or home_systolic_bp < 90 mm[Hg]"
            }
            Rule::EscalationShockPattern => {
                "home_systolic_bp < 90 mm[Hg] with lightheaded, confusion or sudden_swelling; or home_systolic_bp < 70 \
                 mm[Hg] on its own"
            }
        }
    }

    /// Whether this rule matches `answer`, the answer to `item` (one of [`Rule::items`]) in `checkin`.
    pub(crate) fn matches(self, answer: &Answer, checkin: &CheckIn) -> bool {
        match (self, *answer) {
            (Rule::Fever, Answer::Temperature(t)) => t.celsius().value() >= FEVER_CELSIUS,
            (Rule::Hypothermia, Answer::Temperature(t)) => t.celsius().value() < HYPOTHERMIA_CELSIUS,
            (Rule::FeverishUnmeasured, Answer::YesNo(yes)) => yes && checkin.get(Item::Temperature).is_none(),
            (Rule::LowBp, Answer::SystolicPressure(pressure)) => pressure.value() < LOW_SYSTOLIC_MM_HG,
            (Rule::Fluids, Answer::Hours(hours)) => hours >= FLUIDS_HOURS,
            (Rule::Vomiting, Answer::Count(n)) => (3..=5).contains(&n),
            (Rule::VomitingSevere, Answer::Count(n)) => n >= 6,
            (Rule::Diarrhea, Answer::Count(n)) => (1..=3).contains(&n),
            (Rule::DiarrheaModerate, Answer::Count(n)) => (4..=6).contains(&n),
            (Rule::DiarrheaSevere, Answer::Count(n)) => n >= 7,
            (Rule::InjectionSite, Answer::InjectionSiteLook(look)) => look == InjectionSiteLook::SpreadingWarmOrPus,
            (
                Rule::Chills
                | Rule::Breathless
                | Rule::Nausea
                | Rule::Itch
                | Rule::AbdominalPain
                | Rule::Fatigue
                | Rule::Appetite,
                Answer::Severity(severity),
            ) => severity.mild_or_moderate(),
            (
                Rule::Rigors
                | Rule::BreathlessSevere
                | Rule::NauseaSevere
                | Rule::ItchSevere
                | Rule::AbdominalPainSevere
                | Rule::MouthSevere
                | Rule::FatigueSevere
                | Rule::AppetiteSevere,
                Answer::Severity(severity),
            ) => severity.severe_or_worse(),
            (Rule::Mouth, Answer::Severity(severity)) => severity == super::Severity::Mild,
            (Rule::MouthModerate, Answer::Severity(severity)) => severity == super::Severity::Moderate,
            (Rule::Aches, Answer::Severity(severity)) => severity > super::Severity::None,
            (
                Rule::InfectionSign
                | Rule::ChestPain
                | Rule::Lightheaded
                | Rule::Fainted
                | Rule::Swelling
                | Rule::Rash
                | Rule::Blisters
                | Rule::Bruising
                | Rule::Bleeding
                | Rule::BleedingSevere
                | Rule::Liver
                | Rule::Kidney
                | Rule::NoUrine
                | Rule::Confusion
                | Rule::Unresponsive
                | Rule::Pregnancy
                | Rule::Palpitations,
                Answer::YesNo(yes),
            ) => yes,
            // An answer of another kind cannot reach a rule (CheckIn::answer checks kinds), and the
            // escalations read other rules, not answers.
            _ => false,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
