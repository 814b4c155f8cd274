//! The symptom check-in questionnaire as data: every item of `clinical/TRIAGE.md`, its answer type and the
//! question a patient reads, ordered most dangerous first; and the typed answers.
//!
//! Wording is plain language (reading grade 6 to 8) in il2care's own words. Nothing here decides a level
//! (that is `rules.rs`) and nothing here reads JSON (that is `il2care_wire::checkin`).

use std::fmt;

use rust_decimal::Decimal;

use crate::units::{Celsius, Measure, MillimetresMercury, Quantity, QuantityError};

/// The kind of answer an item takes (TRIAGE.md "Answer types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnswerKind {
    /// A body temperature, `{value, unit}` in `Cel` or `[degF]`, 25 to 45 Cel.
    Temperature,
    /// A home blood pressure reading, `{value, unit}` in `mm[Hg]`.
    SystolicPressure,
    /// Yes or no.
    YesNo,
    /// A word of the PRO-CTCAE severity scale.
    Severity,
    /// A whole number, 0 or more.
    Count,
    /// A number of hours, 0 or more.
    Hours,
    /// How the injection site looks: `none`, `red_or_sore`, `spreading_warm_or_pus`.
    InjectionSiteLook,
}

impl AnswerKind {
    /// How the answer is written in a check-in document, for the docs and for refusal messages.
    pub const fn describe(self) -> &'static str {
        match self {
            AnswerKind::Temperature => "quantity in Cel or [degF], 25 to 45 Cel",
            AnswerKind::SystolicPressure => "quantity in mm[Hg]",
            AnswerKind::YesNo => "true or false",
            AnswerKind::Severity => "none, mild, moderate, severe or very_severe",
            AnswerKind::Count => "whole number, 0 or more",
            AnswerKind::Hours => "number of hours, 0 or more",
            AnswerKind::InjectionSiteLook => "none, red_or_sore or spreading_warm_or_pus",
        }
    }
}

/// The PRO-CTCAE severity scale, least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    None,
    Mild,
    Moderate,
    Severe,
    VerySevere,
}

impl Severity {
    /// Every word of the scale, least to most severe.
    pub const ALL: [Severity; 5] =
        [Severity::None, Severity::Mild, Severity::Moderate, Severity::Severe, Severity::VerySevere];

    /// The word as written in a check-in document.
    pub const fn word(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
            Severity::VerySevere => "very_severe",
        }
    }

    /// The severity for a word of the scale, exactly as written.
    pub fn from_word(word: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|severity| severity.word() == word)
    }

    pub(crate) fn mild_or_moderate(self) -> bool {
        matches!(self, Severity::Mild | Severity::Moderate)
    }

    pub(crate) fn severe_or_worse(self) -> bool {
        self >= Severity::Severe
    }
}

/// How the skin where the shot went in looks (TRIAGE T44), least to most worrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InjectionSiteLook {
    None,
    RedOrSore,
    SpreadingWarmOrPus,
}

impl InjectionSiteLook {
    /// Every answer, least to most worrying.
    pub const ALL: [InjectionSiteLook; 3] =
        [InjectionSiteLook::None, InjectionSiteLook::RedOrSore, InjectionSiteLook::SpreadingWarmOrPus];

    /// The word as written in a check-in document.
    pub const fn word(self) -> &'static str {
        match self {
            InjectionSiteLook::None => "none",
            InjectionSiteLook::RedOrSore => "red_or_sore",
            InjectionSiteLook::SpreadingWarmOrPus => "spreading_warm_or_pus",
        }
    }

    /// The answer for a word, exactly as written.
    pub fn from_word(word: &str) -> Option<InjectionSiteLook> {
        InjectionSiteLook::ALL.into_iter().find(|look| look.word() == word)
    }
}

/// A measured temperature: as the patient gave it (for showing back) and in Celsius (for comparing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Temperature {
    given: Quantity,
    celsius: Celsius,
}

impl Temperature {
    /// A temperature from a quantity in `Cel` or `[degF]`; °F is converted exactly.
    pub fn new(given: Quantity) -> Result<Temperature, QuantityError> {
        Ok(Temperature { given, celsius: Celsius::from_quantity(given)? })
    }

    /// The value as given, in the unit given.
    pub fn given(self) -> Quantity {
        self.given
    }

    /// The value in Celsius.
    pub fn celsius(self) -> Celsius {
        self.celsius
    }
}

/// One answer of a check-in, typed by its item's [`AnswerKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Temperature(Temperature),
    SystolicPressure(MillimetresMercury),
    YesNo(bool),
    Severity(Severity),
    Count(u32),
    /// Hours, never negative (checked by [`crate::triage::CheckIn::answer`]).
    Hours(Decimal),
    InjectionSiteLook(InjectionSiteLook),
}

impl Answer {
    /// The kind of this answer.
    pub const fn kind(&self) -> AnswerKind {
        match self {
            Answer::Temperature(_) => AnswerKind::Temperature,
            Answer::SystolicPressure(_) => AnswerKind::SystolicPressure,
            Answer::YesNo(_) => AnswerKind::YesNo,
            Answer::Severity(_) => AnswerKind::Severity,
            Answer::Count(_) => AnswerKind::Count,
            Answer::Hours(_) => AnswerKind::Hours,
            Answer::InjectionSiteLook(_) => AnswerKind::InjectionSiteLook,
        }
    }

    /// Whether this answer reports a symptom (a yes, a severity above none, a count or hours above zero, an
    /// injection site that is not normal, a temperature or pressure outside normal). Reported symptoms get
    /// their advice topic even when no rule matches.
    pub fn reports_symptom(&self) -> bool {
        match *self {
            Answer::Temperature(temperature) => {
                let celsius = temperature.celsius().value();
                celsius >= super::rules::FEVER_CELSIUS || celsius < super::rules::HYPOTHERMIA_CELSIUS
            }
            Answer::SystolicPressure(pressure) => pressure.value() < super::rules::LOW_SYSTOLIC_MM_HG,
            Answer::YesNo(yes) => yes,
            Answer::Severity(severity) => severity > Severity::None,
            Answer::Count(count) => count > 0,
            Answer::Hours(hours) => hours > Decimal::ZERO,
            Answer::InjectionSiteLook(look) => look > InjectionSiteLook::None,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Temperature(temperature) => write!(f, "{}", temperature.given()),
            Answer::SystolicPressure(pressure) => write!(f, "{pressure}"),
            Answer::YesNo(yes) => write!(f, "{yes}"),
            Answer::Severity(severity) => f.write_str(severity.word()),
            Answer::Count(count) => write!(f, "{count}"),
            Answer::Hours(hours) => write!(f, "{} h", hours.normalize()),
            Answer::InjectionSiteLook(look) => f.write_str(look.word()),
        }
    }
}

/// An advice topic: a short plain-language text shown with a result (TRIAGE.md "Advice topics").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdviceTopic {
    Fever,
    FluLike,
    Infection,
    Breathing,
    CapillaryLeak,
    Nausea,
    Diarrhea,
    Skin,
    Bleeding,
    Liver,
    Kidney,
    Mouth,
    Neuro,
    Fatigue,
    Nutrition,
    InjectionSite,
    Pregnancy,
    /// A racing, pounding or skipping heartbeat (T46; EDUCATION.md amendment 6).
    Heart,
}

impl AdviceTopic {
    /// Every topic, in the order of TRIAGE.md, `heart` (amendment 2026-12-04) last.
    pub const ALL: [AdviceTopic; 18] = [
        AdviceTopic::Fever,
        AdviceTopic::FluLike,
        AdviceTopic::Infection,
        AdviceTopic::Breathing,
        AdviceTopic::CapillaryLeak,
        AdviceTopic::Nausea,
        AdviceTopic::Diarrhea,
        AdviceTopic::Skin,
        AdviceTopic::Bleeding,
        AdviceTopic::Liver,
        AdviceTopic::Kidney,
        AdviceTopic::Mouth,
        AdviceTopic::Neuro,
        AdviceTopic::Fatigue,
        AdviceTopic::Nutrition,
        AdviceTopic::InjectionSite,
        AdviceTopic::Pregnancy,
        AdviceTopic::Heart,
    ];

    /// The topic id (also the id of its text in `il2care_content`).
    pub const fn id(self) -> &'static str {
        match self {
            AdviceTopic::Fever => "fever",
            AdviceTopic::FluLike => "flu_like",
            AdviceTopic::Infection => "infection",
            AdviceTopic::Breathing => "breathing",
            AdviceTopic::CapillaryLeak => "capillary_leak",
            AdviceTopic::Nausea => "nausea",
            AdviceTopic::Diarrhea => "diarrhea",
            AdviceTopic::Skin => "skin",
            AdviceTopic::Bleeding => "bleeding",
            AdviceTopic::Liver => "liver",
            AdviceTopic::Kidney => "kidney",
            AdviceTopic::Mouth => "mouth",
            AdviceTopic::Neuro => "neuro",
            AdviceTopic::Fatigue => "fatigue",
            AdviceTopic::Nutrition => "nutrition",
            AdviceTopic::InjectionSite => "injection_site",
            AdviceTopic::Pregnancy => "pregnancy",
            AdviceTopic::Heart => "heart",
        }
    }
}

/// A check-in item (TRIAGE.md "Items and rules").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    HardToWake,
    Seizure,
    ChestPain,
    ShortOfBreath,
    Fainted,
    BleedingWontStop,
    Palpitations,
    Temperature,
    FeelsFeverish,
    Confusion,
    Chills,
    HomeSystolicBp,
    Lightheaded,
    SuddenSwelling,
    FluidsNotKeptDownHours,
    VomitingEpisodes24h,
    ExtraStools24h,
    NoUrine12h,
    Bleeding,
    AbdominalPain,
    SkinBlistersOrPeeling,
    SoreThroat,
    Cough,
    ColdSymptoms,
    BurningUrination,
    SoreNotHealing,
    MouthSores,
    Nausea,
    Rash,
    Itching,
    UnusualBruising,
    YellowSkinOrEyes,
    DarkUrine,
    LessUrine,
    AnkleSwelling,
    InjectionSite,
    MayBePregnant,
    Fatigue,
    AppetiteLoss,
    Aches,
}

/// The questionnaire, most dangerous first: items that can mean an emergency, then those that mean calling
/// now, then calling today, then self-care. A patient answering in this order has told the team the most
/// important things first even if they stop part way. `palpitations` (T46, call now) comes right after the
/// emergency items: a heart rhythm problem is the most dangerous of the call-now signs.
pub const QUESTIONNAIRE: [Item; 40] = [
    Item::HardToWake,
    Item::Seizure,
    Item::ChestPain,
    Item::ShortOfBreath,
    Item::Fainted,
    Item::BleedingWontStop,
    Item::Palpitations,
    Item::Temperature,
    Item::FeelsFeverish,
    Item::Confusion,
    Item::Chills,
    Item::HomeSystolicBp,
    Item::Lightheaded,
    Item::SuddenSwelling,
    Item::FluidsNotKeptDownHours,
    Item::VomitingEpisodes24h,
    Item::ExtraStools24h,
    Item::NoUrine12h,
    Item::Bleeding,
    Item::AbdominalPain,
    Item::SkinBlistersOrPeeling,
    Item::SoreThroat,
    Item::Cough,
    Item::ColdSymptoms,
    Item::BurningUrination,
    Item::SoreNotHealing,
    Item::MouthSores,
    Item::Nausea,
    Item::Rash,
    Item::Itching,
    Item::UnusualBruising,
    Item::YellowSkinOrEyes,
    Item::DarkUrine,
    Item::LessUrine,
    Item::AnkleSwelling,
    Item::InjectionSite,
    Item::MayBePregnant,
    Item::Fatigue,
    Item::AppetiteLoss,
    Item::Aches,
];

/// The core items: an answer is needed to rule out the most common dangers. Temperature counts as answered
/// when either `temperature` or `feels_feverish` is answered (TRIAGE.md "How the level is found" 4).
pub const CORE_ITEMS: [Item; 3] = [Item::Temperature, Item::ShortOfBreath, Item::FluidsNotKeptDownHours];

impl Item {
    /// The item id used in check-in documents.
    pub const fn id(self) -> &'static str {
        match self {
            Item::HardToWake => "hard_to_wake",
            Item::Seizure => "seizure",
            Item::ChestPain => "chest_pain",
            Item::ShortOfBreath => "short_of_breath",
            Item::Fainted => "fainted",
            Item::BleedingWontStop => "bleeding_wont_stop",
            Item::Palpitations => "palpitations",
            Item::Temperature => "temperature",
            Item::FeelsFeverish => "feels_feverish",
            Item::Confusion => "confusion",
            Item::Chills => "chills",
            Item::HomeSystolicBp => "home_systolic_bp",
            Item::Lightheaded => "lightheaded",
            Item::SuddenSwelling => "sudden_swelling",
            Item::FluidsNotKeptDownHours => "fluids_not_kept_down_hours",
            Item::VomitingEpisodes24h => "vomiting_episodes_24h",
            Item::ExtraStools24h => "extra_stools_24h",
            Item::NoUrine12h => "no_urine_12h",
            Item::Bleeding => "bleeding",
            Item::AbdominalPain => "abdominal_pain",
            Item::SkinBlistersOrPeeling => "skin_blisters_or_peeling",
            Item::SoreThroat => "sore_throat",
            Item::Cough => "cough",
            Item::ColdSymptoms => "cold_symptoms",
            Item::BurningUrination => "burning_urination",
            Item::SoreNotHealing => "sore_not_healing",
            Item::MouthSores => "mouth_sores",
            Item::Nausea => "nausea",
            Item::Rash => "rash",
            Item::Itching => "itching",
            Item::UnusualBruising => "unusual_bruising",
            Item::YellowSkinOrEyes => "yellow_skin_or_eyes",
            Item::DarkUrine => "dark_urine",
            Item::LessUrine => "less_urine",
            Item::AnkleSwelling => "ankle_swelling",
            Item::InjectionSite => "injection_site",
            Item::MayBePregnant => "may_be_pregnant",
            Item::Fatigue => "fatigue",
            Item::AppetiteLoss => "appetite_loss",
            Item::Aches => "aches",
        }
    }

    /// The item for an id, exactly as written.
    pub fn from_id(id: &str) -> Option<Item> {
        QUESTIONNAIRE.into_iter().find(|item| item.id() == id)
    }

    /// The answer type.
    pub const fn kind(self) -> AnswerKind {
        match self {
            Item::Temperature => AnswerKind::Temperature,
            Item::HomeSystolicBp => AnswerKind::SystolicPressure,
            Item::ShortOfBreath
            | Item::Chills
            | Item::AbdominalPain
            | Item::MouthSores
            | Item::Nausea
            | Item::Itching
            | Item::Fatigue
            | Item::AppetiteLoss
            | Item::Aches => AnswerKind::Severity,
            Item::VomitingEpisodes24h | Item::ExtraStools24h => AnswerKind::Count,
            Item::FluidsNotKeptDownHours => AnswerKind::Hours,
            Item::InjectionSite => AnswerKind::InjectionSiteLook,
            Item::HardToWake
            | Item::Seizure
            | Item::ChestPain
            | Item::Fainted
            | Item::BleedingWontStop
            | Item::Palpitations
            | Item::FeelsFeverish
            | Item::Confusion
            | Item::Lightheaded
            | Item::SuddenSwelling
            | Item::NoUrine12h
            | Item::Bleeding
            | Item::SkinBlistersOrPeeling
            | Item::SoreThroat
            | Item::Cough
            | Item::ColdSymptoms
            | Item::BurningUrination
            | Item::SoreNotHealing
            | Item::Rash
            | Item::UnusualBruising
            | Item::YellowSkinOrEyes
            | Item::DarkUrine
            | Item::LessUrine
            | Item::AnkleSwelling
            | Item::MayBePregnant => AnswerKind::YesNo,
        }
    }

    /// The question the patient (or a caregiver) reads, in plain words.
    pub const fn question(self) -> &'static str {
        match self {
            Item::HardToWake => "Is the patient very hard to wake up? (A family member can answer.)",
            Item::Seizure => "Has the patient had a seizure (a fit)? (A family member can answer.)",
            Item::ChestPain => "Do you have pain or tightness in your chest?",
            Item::ShortOfBreath => "Are you short of breath? How bad is it?",
            Item::Fainted => "Did you faint or pass out?",
            Item::BleedingWontStop => {
                "Is there bleeding that will not stop after 10 minutes of pressing on it? Or did you throw up blood, \
                 or pass black stool?"
            }
            Item::Palpitations => "Is your heart racing, pounding, fluttering or skipping beats?",
            Item::Temperature => "What is your temperature? Use a thermometer if you have one.",
            Item::FeelsFeverish => "If you have no thermometer: do you feel hot or feverish?",
            Item::Confusion => "Is there new confusion? (A family member can answer.)",
            Item::Chills => "Do you have chills? How bad are they? Shaking chills count as severe.",
            Item::HomeSystolicBp => "If you check your blood pressure at home: what is the top number?",
            Item::Lightheaded => "Do you feel lightheaded or dizzy?",
            Item::SuddenSwelling => "Have your arms, legs, face or body suddenly swelled up?",
            Item::FluidsNotKeptDownHours => "How many hours has it been since you could keep a drink down? (0 if fine)",
            Item::VomitingEpisodes24h => "How many times did you throw up in the last 24 hours?",
            Item::ExtraStools24h => "How many more bowel movements than usual did you have in the last 24 hours?",
            Item::NoUrine12h => "Have you passed no urine (pee) at all for 12 hours?",
            Item::Bleeding => "Are you bleeding from your nose or gums, or is there blood in your urine or stool?",
            Item::AbdominalPain => "Do you have belly pain? How bad is it?",
            Item::SkinBlistersOrPeeling => "Does your skin have blisters, or is it peeling?",
            Item::SoreThroat => "Do you have a sore throat?",
            Item::Cough => "Do you have a cough?",
            Item::ColdSymptoms => "Do you have cold symptoms, like a runny or stuffy nose?",
            Item::BurningUrination => "Does it burn when you pass urine (pee)?",
            Item::SoreNotHealing => "Do you have a sore or cut that is not healing?",
            Item::MouthSores => "Do you have mouth sores? How bad are they?",
            Item::Nausea => "Do you feel sick to your stomach? How bad is it?",
            Item::Rash => "Do you have a new rash?",
            Item::Itching => "Is your skin itchy? How bad is it?",
            Item::UnusualBruising => "Do you bruise more easily than usual?",
            Item::YellowSkinOrEyes => "Are your skin or the whites of your eyes turning yellow?",
            Item::DarkUrine => "Is your urine (pee) dark or brown?",
            Item::LessUrine => "Are you passing less urine (pee) than usual?",
            Item::AnkleSwelling => "Are your ankles swollen?",
            Item::InjectionSite => "How does the skin where you had your shot look?",
            Item::MayBePregnant => "Could you be pregnant, or could your partner be pregnant?",
            Item::Fatigue => "Do you feel very tired? How bad is it?",
            Item::AppetiteLoss => "Have you lost your appetite? How bad is it?",
            Item::Aches => "Do your muscles or joints ache? How bad is it?",
        }
    }

    /// The advice topic shown when this item reports a symptom.
    pub const fn topic(self) -> AdviceTopic {
        match self {
            Item::Temperature | Item::FeelsFeverish => AdviceTopic::Fever,
            Item::Chills | Item::Aches => AdviceTopic::FluLike,
            Item::SoreThroat | Item::Cough | Item::ColdSymptoms | Item::BurningUrination | Item::SoreNotHealing => {
                AdviceTopic::Infection
            }
            Item::ShortOfBreath | Item::ChestPain => AdviceTopic::Breathing,
            Item::Lightheaded | Item::Fainted | Item::SuddenSwelling | Item::HomeSystolicBp => {
                AdviceTopic::CapillaryLeak
            }
            Item::FluidsNotKeptDownHours | Item::VomitingEpisodes24h | Item::Nausea => AdviceTopic::Nausea,
            Item::ExtraStools24h => AdviceTopic::Diarrhea,
            Item::Rash | Item::SkinBlistersOrPeeling | Item::Itching => AdviceTopic::Skin,
            Item::UnusualBruising | Item::Bleeding | Item::BleedingWontStop => AdviceTopic::Bleeding,
            Item::YellowSkinOrEyes | Item::DarkUrine | Item::AbdominalPain => AdviceTopic::Liver,
            Item::LessUrine | Item::AnkleSwelling | Item::NoUrine12h => AdviceTopic::Kidney,
            Item::MouthSores => AdviceTopic::Mouth,
            Item::Confusion | Item::HardToWake | Item::Seizure => AdviceTopic::Neuro,
            Item::Fatigue => AdviceTopic::Fatigue,
            Item::AppetiteLoss => AdviceTopic::Nutrition,
            Item::InjectionSite => AdviceTopic::InjectionSite,
            Item::MayBePregnant => AdviceTopic::Pregnancy,
            Item::Palpitations => AdviceTopic::Heart,
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
