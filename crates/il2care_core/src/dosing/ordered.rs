//! An ordered dose compared with the calculated one (DOSING §3 and §7: "ordered dose vs computed dose differs
//! by > 5%"), for orders written in IU, MIU, mg, \[iU\]/kg or mg/kg, naming the label pair each comparison used.
//!
//! Never a single IU <-> mg factor (DOSING §3): an order in mg is compared with the calculation's own mg (the
//! 0.037 mg/kg weight pair for `hd-iv`, `volume x 1.1 mg/mL` "from vial strength" for every other regimen); an
//! order per kg is multiplied by the weight the calculation used (`units`), and compared in its own unit family.
//! Pure: no IO; the caller reads the order and the course.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::{DoseCalculation, MilligramBasis};
use crate::Source;
use crate::units::{
    InternationalUnits, InternationalUnitsPerKilogram, Kilograms, Measure, Milligrams, MilligramsPerKilogram, Quantity,
    QuantityError, Unit,
};

/// How far an ordered dose may differ from the calculated one, inclusive: more than 5% apart is a difference
/// (DOSING §7) \[PRODUCT\].
pub const ORDER_TOLERANCE: Decimal = dec!(0.05);

/// A dose as an order writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderedDose {
    /// IU or MIU (held in IU).
    Units(InternationalUnits),
    Milligrams(Milligrams),
    UnitsPerKilogram(InternationalUnitsPerKilogram),
    MilligramsPerKilogram(MilligramsPerKilogram),
}

impl OrderedDose {
    /// The ordered dose of a quantity; a unit that is not a dose of aldesleukin is refused.
    pub fn from_quantity(quantity: Quantity) -> Result<OrderedDose, QuantityError> {
        match quantity.unit {
            Unit::InternationalUnit | Unit::MillionInternationalUnits => {
                InternationalUnits::from_quantity(quantity).map(OrderedDose::Units)
            }
            Unit::Milligram => Milligrams::from_quantity(quantity).map(OrderedDose::Milligrams),
            Unit::InternationalUnitPerKilogram => {
                InternationalUnitsPerKilogram::from_quantity(quantity).map(OrderedDose::UnitsPerKilogram)
            }
            Unit::MilligramPerKilogram => {
                MilligramsPerKilogram::from_quantity(quantity).map(OrderedDose::MilligramsPerKilogram)
            }
            unit => Err(QuantityError::WrongUnit { unit, accepted: "[iU], 10*6.[iU], mg, [iU]/kg, mg/kg".into() }),
        }
    }

    /// The order as written, in its canonical unit (`600000 [iU]/kg`).
    pub fn text(self) -> String {
        match self {
            OrderedDose::Units(dose) => dose.to_string(),
            OrderedDose::Milligrams(mass) => mass.to_string(),
            OrderedDose::UnitsPerKilogram(rate) => rate.to_string(),
            OrderedDose::MilligramsPerKilogram(rate) => rate.to_string(),
        }
    }
}

/// The label pair (or the plain arithmetic) an ordered dose was compared by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonBasis {
    /// IU against the dose of record in IU (the regimen's amount and the weight or BSA).
    DoseOfRecord,
    /// mg against 0.037 mg/kg x the weight \[LABEL-2024 T1\].
    WeightPair,
    /// mg against the IU dose's volume (18 MIU/mL) x 1.1 mg/mL \[LABEL-2024 §11\].
    VialStrength,
}

impl ComparisonBasis {
    /// The pair in words, as a card or a page names it.
    pub const fn words(self) -> &'static str {
        match self {
            ComparisonBasis::DoseOfRecord => "the dose of record in IU (regimen amount and weight or BSA)",
            ComparisonBasis::WeightPair => "the label pair 0.037 mg/kg (hd-iv only)",
            ComparisonBasis::VialStrength => "the label pairs 18,000,000 IU/mL and 1.1 mg/mL (from vial strength)",
        }
    }

    /// Where the pair comes from.
    pub const fn source(self) -> Source {
        match self {
            ComparisonBasis::DoseOfRecord => Source("LABEL-2024 T1; PRODUCT"),
            ComparisonBasis::WeightPair => Source("LABEL-2024 T1"),
            ComparisonBasis::VialStrength => Source("LABEL-2024 §11"),
        }
    }
}

/// An ordered dose set against the calculated one, both in the unit they are compared in (IU or mg).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderComparison {
    pub ordered: OrderedDose,
    /// The weight an order per kg was multiplied by.
    pub weight: Option<Kilograms>,
    /// The ordered amount in `unit` (after the weight, for an order per kg).
    pub ordered_amount: Decimal,
    /// The calculated amount in `unit`.
    pub expected_amount: Decimal,
    /// `[iU]` or `mg`.
    pub unit: Unit,
    pub basis: ComparisonBasis,
    /// Within [`ORDER_TOLERANCE`] of the calculated amount.
    pub matches: bool,
}

/// The outcome of the check: compared, or not comparable because an order per kg needs a weight the course
/// does not have (said, never skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderCheck {
    Compared(OrderComparison),
    WeightMissing { ordered: OrderedDose },
}

/// Whether `ordered` lies within the tolerance of `expected` (both in the same unit). A zero expectation
/// matches only a zero order.
pub fn within_tolerance(ordered: Decimal, expected: Decimal) -> bool {
    if expected.is_zero() {
        return ordered.is_zero();
    }
    (ordered - expected).abs() / expected <= ORDER_TOLERANCE
}

/// Compares an ordered dose with `calculation` (whose `weight` is the one an order per kg is multiplied by).
pub fn compare_order(calculation: &DoseCalculation, ordered: OrderedDose) -> OrderCheck {
    let mg_basis = match calculation.dose_mg_basis {
        MilligramBasis::WeightPair => ComparisonBasis::WeightPair,
        MilligramBasis::VialStrength => ComparisonBasis::VialStrength,
    };
    let weight = calculation.weight;
    let (amount, unit, basis) = match ordered {
        OrderedDose::Units(dose) => (dose.value(), Unit::InternationalUnit, ComparisonBasis::DoseOfRecord),
        OrderedDose::Milligrams(mass) => (mass.value(), Unit::Milligram, mg_basis),
        OrderedDose::UnitsPerKilogram(rate) => match weight {
            Some(weight) => (rate.for_weight(weight).value(), Unit::InternationalUnit, ComparisonBasis::DoseOfRecord),
            None => return OrderCheck::WeightMissing { ordered },
        },
        OrderedDose::MilligramsPerKilogram(rate) => match weight {
            Some(weight) => (rate.for_weight(weight).value(), Unit::Milligram, mg_basis),
            None => return OrderCheck::WeightMissing { ordered },
        },
    };
    let expected = if unit == Unit::Milligram { calculation.dose_mg.value() } else { calculation.dose.value() };
    let per_kg = matches!(ordered, OrderedDose::UnitsPerKilogram(_) | OrderedDose::MilligramsPerKilogram(_));
    OrderCheck::Compared(OrderComparison {
        ordered,
        weight: weight.filter(|_| per_kg),
        ordered_amount: amount,
        expected_amount: expected,
        unit,
        basis,
        matches: within_tolerance(amount, expected),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dosing::{DoseRequest, calculate};
    use crate::regimens::regimen;

    fn calculation(regimen_id: &str, weight: Option<Decimal>) -> DoseCalculation {
        calculate(DoseRequest {
            regimen: regimen(regimen_id).unwrap(),
            level: None,
            weight: weight.map(|kg| Kilograms::new(kg).unwrap()),
            height: None,
            prepared_at: None,
        })
        .unwrap()
    }

    fn ordered(value: Decimal, unit: &str) -> OrderedDose {
        OrderedDose::from_quantity(Quantity::new(value, unit).unwrap()).unwrap()
    }

    /// The one helper: an order against a calculation gives (ordered amount, expected amount, unit, basis,
    /// matches), each row citing its source.
    fn check(
        calc: &DoseCalculation,
        order: OrderedDose,
        expected: (Decimal, Decimal, Unit, ComparisonBasis, bool),
        source: &'static str,
    ) {
        assert!(Source(source).is_known(), "{source}");
        let OrderCheck::Compared(got) = compare_order(calc, order) else { panic!("{order:?}: not compared") };
        assert_eq!(
            (got.ordered_amount, got.expected_amount, got.unit, got.basis, got.matches),
            expected,
            "[{source}] {order:?}"
        );
    }

    #[test]
    fn orders_in_iu_mg_and_per_kg_are_compared_with_the_pair_that_fits_hd_iv() {
        use ComparisonBasis::{DoseOfRecord, WeightPair};
        use Unit::{InternationalUnit as Iu, Milligram as Mg};
        // DOSING §4 worked example: 80 kg -> 48,000,000 IU, 2.96 mg (0.037 mg/kg).
        let calc = calculation("hd-iv", Some(dec!(80)));
        check(
            &calc,
            ordered(dec!(48000000), "[iU]"),
            (dec!(48000000), dec!(48000000), Iu, DoseOfRecord, true),
            "LABEL-2024 T1",
        );
        check(
            &calc,
            ordered(dec!(48), "10*6.[iU]"),
            (dec!(48000000), dec!(48000000), Iu, DoseOfRecord, true),
            "LABEL-2024 T1",
        );
        check(
            &calc,
            ordered(dec!(600000), "[iU]/kg"),
            (dec!(48000000), dec!(48000000), Iu, DoseOfRecord, true),
            "LABEL-2024 T1",
        );
        check(
            &calc,
            ordered(dec!(600000), "[IU]/kg"),
            (dec!(48000000), dec!(48000000), Iu, DoseOfRecord, true),
            "UCUM",
        );
        check(
            &calc,
            ordered(dec!(720000), "[iU]/kg"),
            (dec!(57600000), dec!(48000000), Iu, DoseOfRecord, false),
            "SCHWARTZENTRUBER-2001",
        );
        check(&calc, ordered(dec!(2.96), "mg"), (dec!(2.96), dec!(2.96), Mg, WeightPair, true), "LABEL-2024 T1");
        check(&calc, ordered(dec!(0.037), "mg/kg"), (dec!(2.960), dec!(2.96), Mg, WeightPair, true), "LABEL-2024 T1");
        // 3.11 mg is 5.07% above 2.96 mg: a difference (no single IU/mg factor is used to excuse it).
        check(&calc, ordered(dec!(3.11), "mg"), (dec!(3.11), dec!(2.96), Mg, WeightPair, false), "PRODUCT");
    }

    #[test]
    fn the_tolerance_is_five_percent_inclusive_in_both_directions() {
        use ComparisonBasis::DoseOfRecord;
        use Unit::InternationalUnit as Iu;
        let calc = calculation("hd-iv", Some(dec!(80)));
        // 5% of 48,000,000 IU is 2,400,000 IU (DOSING §7: "differs by > 5%").
        check(
            &calc,
            ordered(dec!(50400000), "[iU]"),
            (dec!(50400000), dec!(48000000), Iu, DoseOfRecord, true),
            "PRODUCT",
        );
        check(
            &calc,
            ordered(dec!(50400001), "[iU]"),
            (dec!(50400001), dec!(48000000), Iu, DoseOfRecord, false),
            "PRODUCT",
        );
        check(
            &calc,
            ordered(dec!(45600000), "[iU]"),
            (dec!(45600000), dec!(48000000), Iu, DoseOfRecord, true),
            "PRODUCT",
        );
        check(
            &calc,
            ordered(dec!(45599999), "[iU]"),
            (dec!(45599999), dec!(48000000), Iu, DoseOfRecord, false),
            "PRODUCT",
        );
        // Per kg: 630,000 IU/kg x 80 kg is exactly 5% above; 630,001 is above it.
        check(
            &calc,
            ordered(dec!(630000), "[iU]/kg"),
            (dec!(50400000), dec!(48000000), Iu, DoseOfRecord, true),
            "PRODUCT",
        );
        check(
            &calc,
            ordered(dec!(630001), "[iU]/kg"),
            (dec!(50400080), dec!(48000000), Iu, DoseOfRecord, false),
            "PRODUCT",
        );
        assert!(within_tolerance(Decimal::ZERO, Decimal::ZERO));
        assert!(!within_tolerance(dec!(1), Decimal::ZERO));
    }

    #[test]
    fn other_regimens_compare_mg_from_vial_strength() {
        use ComparisonBasis::VialStrength;
        // DOSING §3 amendment: 10,000,000 IU -> 0.5556 mL -> 0.61 mg; a per-kg LD-SC regimen too (yang-2003-sc,
        // 250,000 IU/kg at week 1: 80 kg -> 20,000,000 IU -> 1.1111 mL -> 1.2222 mg).
        let calc = calculation("yang-2003-sc", Some(dec!(80)));
        let expected = calc.dose_mg.value();
        assert_eq!(expected.round_dp(4), dec!(1.2222));
        check(
            &calc,
            ordered(dec!(1.22), "mg"),
            (dec!(1.22), expected, Unit::Milligram, VialStrength, true),
            "LABEL-2024 §11",
        );
        check(
            &calc,
            ordered(dec!(0.037), "mg/kg"),
            (dec!(2.960), expected, Unit::Milligram, VialStrength, false),
            "LABEL-2024 §11",
        );
    }

    #[test]
    fn an_order_per_kg_without_a_weight_is_said_to_need_one() {
        // A flat regimen needs no weight for its dose, but an order per kg does.
        let calc = calculation("saadoun-2011-sc", None);
        let order = ordered(dec!(20000), "[iU]/kg");
        assert_eq!(compare_order(&calc, order), OrderCheck::WeightMissing { ordered: order });
        let order = ordered(dec!(0.01), "mg/kg");
        assert_eq!(compare_order(&calc, order), OrderCheck::WeightMissing { ordered: order });
        assert!(matches!(compare_order(&calc, ordered(dec!(1.5), "10*6.[iU]")), OrderCheck::Compared(c) if c.matches));
    }

    #[test]
    fn units_that_are_no_dose_are_refused() {
        assert!(OrderedDose::from_quantity(Quantity::new(dec!(80), "kg").unwrap()).is_err());
        assert!(OrderedDose::from_quantity(Quantity::new(dec!(2), "mL").unwrap()).is_err());
        assert_eq!(ordered(dec!(600000), "[iU]/kg").text(), "600000 [iU]/kg");
    }
}
