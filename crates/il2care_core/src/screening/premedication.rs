//! The premedication and supportive-care template for high-dose IV interleukin-2 (SCREENING.md §5, from the
//! consensus [DUTCHER-2014 T2]): what, dose and timing, as a suggestion for the prescriber. il2care never
//! orders anything itself.
//!
//! Weight-based doses (ondansetron 0.15 mg/kg, never more than 16 mg a dose) are computed with the core's typed
//! units and exact decimals when a weight is given, capped where a cap applies (the cap is named with its
//! source); without a weight the row says so and no number is invented. Pure data: no IO.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::Source;
use crate::units::{Kilograms, Measure, Milligrams};

/// A weight-based dose of a template row, with the largest single dose when one applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerKilogram {
    pub drug: &'static str,
    pub milligrams_per_kilogram: Decimal,
    pub timing: &'static str,
    pub cap: Option<DoseCap>,
}

/// The largest single dose, what it is called and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoseCap {
    pub milligrams: Decimal,
    pub text: &'static str,
    pub source: Source,
}

/// Ondansetron never more than 16 mg a dose: the FDA limits a single IV dose to 16 mg because of QT prolongation
/// (SCREENING §5, amendment of 2026-12-04) [FDA-2012-ONDANSETRON].
pub const ONDANSETRON_CAP: DoseCap = DoseCap {
    milligrams: dec!(16),
    text: "never more than 16 mg a dose (FDA single IV dose limit, QT prolongation)",
    source: Source("FDA-2012-ONDANSETRON"),
};

/// One row of the template: the need, the typical practice, the variations, the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanRow {
    pub need: &'static str,
    pub typical: &'static str,
    pub variations: &'static str,
    pub per_kilogram: Option<PerKilogram>,
    pub source: Source,
}

/// Ondansetron 0.15 mg/kg every 8 h [DUTCHER-2014 T2], never more than 16 mg a dose [FDA-2012-ONDANSETRON].
pub const ONDANSETRON: PerKilogram = PerKilogram {
    drug: "ondansetron",
    milligrams_per_kilogram: dec!(0.15),
    timing: "every 8 h",
    cap: Some(ONDANSETRON_CAP),
};

/// The consensus template, in the order of SCREENING.md §5.
pub const TEMPLATE: [PlanRow; 11] = [
    PlanRow {
        need: "Venous access",
        typical: "central line (double- or triple-lumen PICC), in case vasopressors are needed; remove temporary \
                  lines at cycle end",
        variations: "Broviac/Hickman, subclavian or jugular line",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2"),
    },
    PlanRow {
        need: "IV fluids",
        typical: "D5NS or D5LR 10-125 mL/h; boluses for BP; replace K, HCO3, Mg as needed",
        variations: "IL-2 itself goes only in D5W",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2"),
    },
    PlanRow {
        need: "Infection prophylaxis",
        typical: "no active infection at start; gram-positive antibiotic prophylaxis (catheter is the likely source)",
        variations: "older label: oxacillin, nafcillin, ciprofloxacin or vancomycin reduced staphylococcal infections",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2; ASHP-MONO"),
    },
    PlanRow {
        need: "Fever",
        typical: "acetaminophen 650 mg 30 min before the dose, then every 4-6 h and as needed; indomethacin 25 mg \
                  every 6-8 h",
        variations: "naproxen or ibuprofen instead of indomethacin; TIL-2024 uses indomethacin 50-75 mg every 6 h with \
                     stop rules (creatinine > 2 mg/dL, falling urine output, platelets < 50 x 10^3/uL)",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2; TIL-2024 T2"),
    },
    PlanRow {
        need: "Chills / rigors (1-2 h after a dose; fever 2-4 h after)",
        typical: "meperidine 25 mg IV every 15 min as needed, or morphine 2-4 mg IV every 15 min as needed",
        variations: "hydromorphone 0.5 mg IV every 15 min, up to 3 doses",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2; TIL-2024 T2"),
    },
    PlanRow {
        need: "Nausea / vomiting",
        typical: "ondansetron 0.15 mg/kg every 8 h, never more than 16 mg a dose (FDA: QT prolongation)",
        variations: "granisetron 1 mg daily; prochlorperazine 10 mg PO every 6 h; as-needed antiemetics",
        per_kilogram: Some(ONDANSETRON),
        source: Source("DUTCHER-2014 T2; FDA-2012-ONDANSETRON"),
    },
    PlanRow {
        need: "Gastritis",
        typical: "H2 blocker prophylaxis",
        variations: "proton pump inhibitor",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2; PRACTICE-GUIDE"),
    },
    PlanRow {
        need: "Diarrhea",
        typical: "loperamide, diphenoxylate/atropine, opioid; a break between doses",
        variations: "5-HT3 antagonist prophylaxis may help",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2"),
    },
    PlanRow {
        need: "Mouth",
        typical: "no prophylaxis; mouthwash",
        variations: "",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2"),
    },
    PlanRow {
        need: "Before the course",
        typical: "stop antihypertensives",
        variations: "",
        per_kilogram: None,
        source: Source("PRACTICE-GUIDE"),
    },
    PlanRow {
        need: "Monitoring",
        typical: "intake/output every shift; weight daily; BP, pulse, respirations, temperature every 2-4 h; blood \
                  work daily",
        variations: "TIL-2024: creatinine twice daily; BP and urine output about 2 h before each dose",
        per_kilogram: None,
        source: Source("DUTCHER-2014 T2; TIL-2024 T2"),
    },
];

/// A weight-based dose computed for this patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComputedDose {
    pub need: &'static str,
    pub per_kilogram: PerKilogram,
    pub weight: Kilograms,
    /// The dose to give: mg/kg x kg exactly, or the cap when that is larger.
    pub dose: Milligrams,
    /// mg/kg x kg before the cap.
    pub uncapped: Milligrams,
    /// The cap, when it limited the dose.
    pub capped_by: Option<DoseCap>,
    pub source: Source,
}

/// The template with this patient's weight-based doses, or the note that a weight is needed for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PremedicationPlan {
    pub rows: &'static [PlanRow],
    pub computed: Vec<ComputedDose>,
    /// Rows whose dose needs a weight that was not given.
    pub needs_weight: Vec<&'static str>,
}

/// What every presentation of the plan says first.
pub const PLAN_NOTICE: &str =
    "Suggested order-set template for the prescriber (consensus practice); il2care does not order anything.";

/// The weight-based dose: mg/kg x kg, exact, before any cap.
pub fn weight_based_dose(per_kilogram: PerKilogram, weight: Kilograms) -> Milligrams {
    Milligrams::new(per_kilogram.milligrams_per_kilogram * weight.value())
        .expect("a positive mg/kg times a non-negative weight is not negative")
}

/// The dose to give and the cap when it applied: mg/kg x kg, or the cap when mg/kg x kg is above it (at the cap
/// exactly, the computed dose is the cap and no cap is named).
pub fn capped_dose(per_kilogram: PerKilogram, weight: Kilograms) -> (Milligrams, Option<DoseCap>) {
    let dose = weight_based_dose(per_kilogram, weight);
    match per_kilogram.cap {
        Some(cap) if dose.value() > cap.milligrams => {
            (Milligrams::new(cap.milligrams).expect("a cap is a positive dose"), Some(cap))
        }
        _ => (dose, None),
    }
}

/// The plan for a patient of `weight` (when known).
pub fn premedication_plan(weight: Option<Kilograms>) -> PremedicationPlan {
    let mut plan = PremedicationPlan { rows: &TEMPLATE, computed: Vec::new(), needs_weight: Vec::new() };
    for row in &TEMPLATE {
        let Some(per_kilogram) = row.per_kilogram else { continue };
        match weight {
            Some(weight) => {
                let (dose, capped_by) = capped_dose(per_kilogram, weight);
                plan.computed.push(ComputedDose {
                    need: row.need,
                    per_kilogram,
                    weight,
                    dose,
                    uncapped: weight_based_dose(per_kilogram, weight),
                    capped_by,
                    source: row.source,
                })
            }
            None => plan.needs_weight.push(row.need),
        }
    }
    plan
}
