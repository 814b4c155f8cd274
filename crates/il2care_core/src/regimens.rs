//! The regimens of `clinical/DOSING.md` as reviewable data: one record per regimen id, every number with its
//! source. Code elsewhere reads these records; it never hard-codes a regimen's dose or schedule.
//!
//! A change to a number here is a clinical change: it needs review, and the tests in `dosing` and `schedule`
//! that pin the worked examples of DOSING.md must still pass. Nothing here computes.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::Source;

/// How a regimen is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// High-dose intravenous infusion over 15 minutes, diluted in D5W, in hospital \[LABEL-2024 §2.2\].
    IntravenousInfusion,
    /// Low-dose subcutaneous injection, at home or in clinic.
    Subcutaneous,
}

/// The amount of one dose at one dose level, in international units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    /// IU per kg of dosing weight.
    PerKilogram(Decimal),
    /// IU per m2 of body surface area (Mosteller).
    PerSquareMetre(Decimal),
    /// A flat amount in IU.
    Flat(Decimal),
}

/// One dose level of a regimen (a phase such as "week 1", or one of the levels a protocol chooses from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoseLevel {
    /// Stable id within the regimen, used on the command line (`--level`).
    pub id: &'static str,
    /// When this level applies, in words.
    pub applies: &'static str,
    pub amount: Amount,
    pub source: Source,
}

/// A run of dose days within a schedule: `days` dose days starting at course day `first_day`, one every
/// `every_days` days, each day with `doses_per_day` doses `hours_apart` hours apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub first_day: u32,
    pub days: u32,
    pub every_days: u32,
    pub doses_per_day: u32,
    pub hours_apart: i64,
    /// The dose level of these doses; `None` means the level the prescriber chose.
    pub level: Option<&'static str>,
}

/// How a regimen's doses are laid out in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// The high-dose q8h course of DOSING §4: cycle 1 days 1-5, rest, cycle 2 days 15-19, 14 doses a cycle.
    HighDoseCycles,
    /// Fixed blocks of dose days within a cycle of `cycle_days` days.
    Blocks { blocks: &'static [Block], cycle_days: u32, cycles: Cycles },
    /// Doses every day (or every `hours_apart` hours) for as long as the protocol says; the prescriber gives
    /// the number of days because the source states none.
    OpenEnded { doses_per_day: u32, hours_apart: i64 },
}

/// How many times a block pattern runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cycles {
    /// The pattern runs once.
    Once,
    /// The pattern repeats; `planned` is the number the source states (1 where it states none).
    Repeats { planned: u32 },
}

/// What a regimen treats, from the source trial of each regimen (DOSING §4 and §5, SOURCES.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Indication {
    /// Metastatic kidney cancer (renal cell carcinoma) or melanoma: IL-2 wakes up immune cells that attack
    /// cancer cells.
    Cancer,
    /// An immune condition (HCV vasculitis, type 1 diabetes, lupus, chronic graft-versus-host disease): low-dose
    /// IL-2 helps the regulatory T cells that calm the immune system.
    ImmuneCondition,
}

impl Indication {
    /// The id used in content entries and documents (`cancer`, `immune`).
    pub const fn id(self) -> &'static str {
        match self {
            Indication::Cancer => "cancer",
            Indication::ImmuneCondition => "immune",
        }
    }
}

/// A regimen: one record of DOSING.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Regimen {
    /// The regimen id of DOSING.md (`hd-iv`, `saadoun-2011-sc`, ...).
    pub id: &'static str,
    pub title: &'static str,
    pub route: Route,
    /// The dose levels; the first is the default.
    pub levels: &'static [DoseLevel],
    /// The schedule, in words, as the source states it.
    pub schedule_text: &'static str,
    pub pattern: Pattern,
    /// Whether the regimen is outside the label (all LD-SC regimens are; DOSING §5).
    pub off_label: bool,
    /// What the regimen treats: cancer or an immune condition (EDUCATION.md amendment 2: the patient sheet's
    /// `about.used-for` and `about.how-it-works` follow it, so nobody reads that they have cancer by default).
    pub indication: Indication,
    pub source: Source,
}

impl Regimen {
    /// The dose level with `id`.
    pub fn level(&self, id: &str) -> Option<&'static DoseLevel> {
        self.levels.iter().find(|level| level.id == id)
    }
}

const fn days(first_day: u32, days: u32, level: &'static str) -> Block {
    Block { first_day, days, every_days: 1, doses_per_day: 1, hours_apart: 0, level: Some(level) }
}

/// Every regimen il2care knows, `hd-iv` first.
pub const REGIMENS: &[Regimen] = &[
    Regimen {
        id: "hd-iv",
        title: "High-dose IV aldesleukin (label regimen)",
        route: Route::IntravenousInfusion,
        levels: &[DoseLevel {
            id: "600k-per-kg",
            applies: "every dose",
            amount: Amount::PerKilogram(dec!(600000)),
            source: Source("LABEL-2024 T1"),
        }],
        schedule_text: "600,000 IU/kg IV over 15 min every 8 h; cycle 1 days 1-5 (at most 14 doses), rest days 6-14, \
                        cycle 2 days 15-19 (at most 14 doses); at most 28 doses a course",
        pattern: Pattern::HighDoseCycles,
        off_label: false,
        // LABEL-2024 §1: metastatic RCC or melanoma.
        indication: Indication::Cancer,
        source: Source("LABEL-2024 §2.2 T1"),
    },
    Regimen {
        id: "yang-2003-sc",
        title: "Low-dose SC, weight-based (Yang 2003)",
        route: Route::Subcutaneous,
        levels: &[
            DoseLevel {
                id: "week-1",
                applies: "week 1, 5 of 7 days",
                amount: Amount::PerKilogram(dec!(250000)),
                source: Source("YANG-2003"),
            },
            DoseLevel {
                id: "weeks-2-6",
                applies: "weeks 2-6, 5 of 7 days",
                amount: Amount::PerKilogram(dec!(125000)),
                source: Source("YANG-2003"),
            },
        ],
        schedule_text: "Week 1: 250,000 IU/kg/day, 5 of 7 days. Weeks 2-6: 125,000 IU/kg/day, 5 of 7 days.",
        pattern: Pattern::Blocks {
            blocks: &[
                days(1, 5, "week-1"),
                days(8, 5, "weeks-2-6"),
                days(15, 5, "weeks-2-6"),
                days(22, 5, "weeks-2-6"),
                days(29, 5, "weeks-2-6"),
                days(36, 5, "weeks-2-6"),
            ],
            cycle_days: 42,
            cycles: Cycles::Once,
        },
        off_label: true,
        // YANG-2003: metastatic renal cancer.
        indication: Indication::Cancer,
        source: Source("YANG-2003"),
    },
    Regimen {
        id: "mcdermott-2005-sc",
        title: "Low-dose SC with interferon-alfa, BSA-based (McDermott 2005)",
        route: Route::Subcutaneous,
        levels: &[DoseLevel {
            id: "5-miu-per-m2",
            applies: "every dose",
            amount: Amount::PerSquareMetre(dec!(5000000)),
            source: Source("MCDERMOTT-2005"),
        }],
        schedule_text: "5 MIU/m2 every 8 h x 3 doses on day 1, then 5 MIU/m2 daily, 5 days a week x 4 weeks; with \
                        interferon-alfa-2b 5 MIU/m2 SC three times weekly x 4 weeks (not scheduled here); repeat every 6 weeks",
        pattern: Pattern::Blocks {
            blocks: &[
                Block { first_day: 1, days: 1, every_days: 1, doses_per_day: 3, hours_apart: 8, level: None },
                Block { first_day: 2, days: 4, every_days: 1, doses_per_day: 1, hours_apart: 0, level: None },
                Block { first_day: 8, days: 5, every_days: 1, doses_per_day: 1, hours_apart: 0, level: None },
                Block { first_day: 15, days: 5, every_days: 1, doses_per_day: 1, hours_apart: 0, level: None },
                Block { first_day: 22, days: 5, every_days: 1, doses_per_day: 1, hours_apart: 0, level: None },
            ],
            cycle_days: 42,
            cycles: Cycles::Repeats { planned: 1 },
        },
        off_label: true,
        // MCDERMOTT-2005: metastatic RCC.
        indication: Indication::Cancer,
        source: Source("MCDERMOTT-2005"),
    },
    Regimen {
        id: "kirchner-1998-sc-daily",
        title: "Low-dose SC once daily, BSA-based (Kirchner 1998)",
        route: Route::Subcutaneous,
        levels: &[DoseLevel {
            id: "20-miu-per-m2",
            applies: "every dose",
            amount: Amount::PerSquareMetre(dec!(20000000)),
            source: Source("KIRCHNER-1998"),
        }],
        schedule_text: "20 MIU/m2 once daily (duration set by the protocol)",
        pattern: Pattern::OpenEnded { doses_per_day: 1, hours_apart: 0 },
        off_label: true,
        // KIRCHNER-1998: advanced RCC.
        indication: Indication::Cancer,
        source: Source("KIRCHNER-1998"),
    },
    Regimen {
        id: "kirchner-1998-sc-split",
        title: "Low-dose SC every 12 h, BSA-based (Kirchner 1998)",
        route: Route::Subcutaneous,
        levels: &[DoseLevel {
            id: "10-miu-per-m2",
            applies: "every dose",
            amount: Amount::PerSquareMetre(dec!(10000000)),
            source: Source("KIRCHNER-1998"),
        }],
        schedule_text: "10 MIU/m2 every 12 h (duration set by the protocol)",
        pattern: Pattern::OpenEnded { doses_per_day: 2, hours_apart: 12 },
        off_label: true,
        // KIRCHNER-1998: advanced RCC.
        indication: Indication::Cancer,
        source: Source("KIRCHNER-1998"),
    },
    Regimen {
        id: "kim-2021-sc",
        title: "Low-dose SC flat dose, 5-week cycle (Kim 2021)",
        route: Route::Subcutaneous,
        levels: &[
            DoseLevel {
                id: "18-miu",
                applies: "week 1 days 1-5; weeks 2-4 days 1-2",
                amount: Amount::Flat(dec!(18000000)),
                source: Source("KIM-2021"),
            },
            DoseLevel {
                id: "9-miu",
                applies: "weeks 2-4 days 3-5",
                amount: Amount::Flat(dec!(9000000)),
                source: Source("KIM-2021"),
            },
        ],
        schedule_text: "5-week cycle. Week 1: 18 MIU days 1-5. Weeks 2-4: 18 MIU days 1-2, 9 MIU days 3-5. \
                        2 rest days each week; week 5 rest.",
        pattern: Pattern::Blocks {
            blocks: &[
                days(1, 5, "18-miu"),
                days(8, 2, "18-miu"),
                days(10, 3, "9-miu"),
                days(15, 2, "18-miu"),
                days(17, 3, "9-miu"),
                days(22, 2, "18-miu"),
                days(24, 3, "9-miu"),
            ],
            cycle_days: 35,
            cycles: Cycles::Repeats { planned: 1 },
        },
        off_label: true,
        // KIM-2021: metastatic RCC.
        indication: Indication::Cancer,
        source: Source("KIM-2021"),
    },
    Regimen {
        id: "saadoun-2011-sc",
        title: "Ultra-low-dose SC flat dose (Saadoun 2011)",
        route: Route::Subcutaneous,
        levels: &[
            DoseLevel {
                id: "1.5-miu",
                applies: "days 1-5",
                amount: Amount::Flat(dec!(1500000)),
                source: Source("SAADOUN-2011"),
            },
            DoseLevel {
                id: "3-miu",
                applies: "5 days starting weeks 3, 6 and 9",
                amount: Amount::Flat(dec!(3000000)),
                source: Source("SAADOUN-2011"),
            },
        ],
        schedule_text: "1.5 MIU/day x 5 days; then 3 MIU/day x 5 days starting weeks 3, 6 and 9 (a flat dose, not per m2)",
        pattern: Pattern::Blocks {
            blocks: &[days(1, 5, "1.5-miu"), days(15, 5, "3-miu"), days(36, 5, "3-miu"), days(57, 5, "3-miu")],
            cycle_days: 63,
            cycles: Cycles::Once,
        },
        off_label: true,
        // SAADOUN-2011: HCV-induced vasculitis.
        indication: Indication::ImmuneCondition,
        source: Source("SAADOUN-2011"),
    },
    Regimen {
        id: "hartemann-2013-sc",
        title: "Low-dose SC flat dose, one level per protocol (Hartemann 2013)",
        route: Route::Subcutaneous,
        levels: &[
            DoseLevel {
                id: "0.33-miu",
                applies: "protocol level 0.33 MIU/day",
                amount: Amount::Flat(dec!(330000)),
                source: Source("HARTEMANN-2013"),
            },
            DoseLevel {
                id: "1-miu",
                applies: "protocol level 1 MIU/day",
                amount: Amount::Flat(dec!(1000000)),
                source: Source("HARTEMANN-2013"),
            },
            DoseLevel {
                id: "3-miu",
                applies: "protocol level 3 MIU/day",
                amount: Amount::Flat(dec!(3000000)),
                source: Source("HARTEMANN-2013"),
            },
        ],
        schedule_text: "0.33, 1 or 3 MIU/day x 5 days (one dose level per protocol)",
        pattern: Pattern::Blocks {
            blocks: &[Block { first_day: 1, days: 5, every_days: 1, doses_per_day: 1, hours_apart: 0, level: None }],
            cycle_days: 5,
            cycles: Cycles::Once,
        },
        off_label: true,
        // HARTEMANN-2013: type 1 diabetes.
        indication: Indication::ImmuneCondition,
        source: Source("HARTEMANN-2013"),
    },
    Regimen {
        id: "he-2020-sc",
        title: "Low-dose SC every other day, 3 cycles (He 2020)",
        route: Route::Subcutaneous,
        levels: &[DoseLevel {
            id: "1-miu",
            applies: "every dose",
            amount: Amount::Flat(dec!(1000000)),
            source: Source("HE-2020"),
        }],
        schedule_text: "1 MIU every other day for 2 weeks, then 2 weeks off (one cycle); 3 cycles (12 weeks)",
        pattern: Pattern::Blocks {
            blocks: &[Block {
                first_day: 1,
                days: 7,
                every_days: 2,
                doses_per_day: 1,
                hours_apart: 0,
                level: Some("1-miu"),
            }],
            cycle_days: 28,
            cycles: Cycles::Repeats { planned: 3 },
        },
        off_label: true,
        // HE-2020: systemic lupus erythematosus.
        indication: Indication::ImmuneCondition,
        source: Source("HE-2020"),
    },
    Regimen {
        id: "koreth-2016-sc",
        title: "Low-dose SC daily, BSA-based, 12 weeks (Koreth 2016)",
        route: Route::Subcutaneous,
        levels: &[DoseLevel {
            id: "1-miu-per-m2",
            applies: "every dose",
            amount: Amount::PerSquareMetre(dec!(1000000)),
            source: Source("KORETH-2016"),
        }],
        schedule_text: "1 MIU/m2/day for 12 weeks",
        pattern: Pattern::Blocks { blocks: &[days(1, 84, "1-miu-per-m2")], cycle_days: 84, cycles: Cycles::Once },
        off_label: true,
        // KORETH-2016: chronic GVHD.
        indication: Indication::ImmuneCondition,
        source: Source("KORETH-2016"),
    },
    Regimen {
        id: "whangbo-2019-sc",
        title: "Low-dose SC daily with escalation, BSA-based (Whangbo 2019)",
        route: Route::Subcutaneous,
        levels: &[
            DoseLevel {
                id: "adult-start",
                applies: "adults, start",
                amount: Amount::PerSquareMetre(dec!(670000)),
                source: Source("WHANGBO-2019"),
            },
            DoseLevel {
                id: "child-start",
                applies: "children, start",
                amount: Amount::PerSquareMetre(dec!(330000)),
                source: Source("WHANGBO-2019"),
            },
            DoseLevel {
                id: "adult-max",
                applies: "adults, highest level after escalation at weeks 2 and 4 (above 1 MIU/m2/day was poorly tolerated)",
                amount: Amount::PerSquareMetre(dec!(2000000)),
                source: Source("WHANGBO-2019"),
            },
            DoseLevel {
                id: "child-max",
                applies: "children, highest level after escalation at weeks 2 and 4",
                amount: Amount::PerSquareMetre(dec!(1000000)),
                source: Source("WHANGBO-2019"),
            },
        ],
        schedule_text: "Daily; start 0.67 MIU/m2/day (adults) or 0.33 MIU/m2/day (children); escalate at weeks 2 and 4 \
                        to at most 2 (adults) or 1 (children) MIU/m2/day",
        pattern: Pattern::OpenEnded { doses_per_day: 1, hours_apart: 0 },
        off_label: true,
        // WHANGBO-2019: chronic GVHD.
        indication: Indication::ImmuneCondition,
        source: Source("WHANGBO-2019"),
    },
];

/// The regimen with `id`.
pub fn regimen(id: &str) -> Option<&'static Regimen> {
    REGIMENS.iter().find(|regimen| regimen.id == id)
}

/// The regimen ids, for messages and help text.
pub fn regimen_ids() -> String {
    REGIMENS.iter().map(|regimen| regimen.id).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regimen_and_level_cites_a_known_source() {
        for regimen in REGIMENS {
            assert!(regimen.source.is_known(), "{}", regimen.id);
            for level in regimen.levels {
                assert!(level.source.is_known(), "{} {}", regimen.id, level.id);
            }
        }
    }

    #[test]
    fn regimen_ids_are_unique_and_every_block_names_a_level_of_its_regimen() {
        for (index, regimen) in REGIMENS.iter().enumerate() {
            assert!(REGIMENS[index + 1..].iter().all(|other| other.id != regimen.id), "{}", regimen.id);
            assert!(!regimen.levels.is_empty(), "{}", regimen.id);
            if let Pattern::Blocks { blocks, cycle_days, .. } = regimen.pattern {
                for block in blocks {
                    if let Some(level) = block.level {
                        assert!(regimen.level(level).is_some(), "{} names unknown level {level}", regimen.id);
                    }
                    let last_day = block.first_day + (block.days - 1) * block.every_days;
                    assert!(last_day <= cycle_days, "{} block ends after its cycle", regimen.id);
                }
            }
        }
    }

    #[test]
    fn the_vasculitis_regimen_is_a_flat_dose_not_per_square_metre() {
        // DOSING §5: "1.5 MIU/m2" for HCV vasculitis is a known misquote [SAADOUN-2011].
        let saadoun = regimen("saadoun-2011-sc").unwrap();
        assert_eq!(saadoun.levels[0].amount, Amount::Flat(dec!(1.5) * dec!(1000000)));
    }

    #[test]
    fn cancer_regimens_and_immune_condition_regimens_are_told_apart() {
        let indication = |id: &str| regimen(id).map(|regimen| regimen.indication);
        // DOSING §4 (LABEL-2024 §1) and the source trial of each §5 regimen (SOURCES.md).
        for id in ["hd-iv", "yang-2003-sc", "mcdermott-2005-sc", "kirchner-1998-sc-daily", "kirchner-1998-sc-split"] {
            assert_eq!(indication(id), Some(Indication::Cancer), "{id}");
        }
        assert_eq!(indication("kim-2021-sc"), Some(Indication::Cancer));
        for id in ["saadoun-2011-sc", "hartemann-2013-sc", "he-2020-sc", "koreth-2016-sc", "whangbo-2019-sc"] {
            assert_eq!(indication(id), Some(Indication::ImmuneCondition), "{id}");
        }
        assert_eq!((Indication::Cancer.id(), Indication::ImmuneCondition.id()), ("cancer", "immune"));
    }
}
