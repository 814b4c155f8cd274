//! Units and quantities: the UCUM codes il2care accepts, exact conversions, and typed quantities.
//!
//! A number never travels without its unit. Raw text and raw numbers stop here: [`Quantity::new`] takes a
//! value and a UCUM code and refuses a missing or unknown unit; the typed newtypes ([`Kilograms`],
//! [`Celsius`], [`Creatinine`], ...) accept only the units that fit them and hold the value in one canonical
//! unit. All arithmetic is decimal (`rust_decimal`), never binary floating point.
//!
//! Conversions are multiplications by exact factors (lb -> kg = 0.45359237, in -> cm = 2.54) or divisions by
//! exact factors (creatinine umol/L / 88.42, bilirubin umol/L / 17.1, degF -> Cel = (F - 32) * 5 / 9). A
//! division that does not terminate is carried to 28 significant digits; no threshold in il2care lies
//! within that distance of a value that can be entered, so comparisons are decided exactly.
//! This module does no IO and knows nothing of JSON.

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A unit il2care accepts, by its UCUM code (`http://unitsofmeasure.org`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    Kilogram,
    Gram,
    Pound,
    Centimetre,
    Metre,
    Inch,
    SquareMetre,
    Celsius,
    Fahrenheit,
    MillimetreMercury,
    PerMinute,
    Percent,
    Millilitre,
    MillilitrePerHour,
    MilligramPerDecilitre,
    MicromolePerLitre,
    UnitPerLitre,
    ThousandPerMicrolitre,
    BillionPerLitre,
    GramPerDecilitre,
    GramPerLitre,
    MillimolePerLitre,
    MilliequivalentPerLitre,
    InternationalUnit,
    MillionInternationalUnits,
    Milligram,
    MicrogramPerKilogramPerMinute,
    LitrePerMinute,
    MicrogramPerMillilitre,
    Hour,
    InternationalUnitPerKilogram,
    MilligramPerKilogram,
}

/// Every unit, for exhaustive tests and for listing what is accepted.
pub const ALL_UNITS: [Unit; 32] = [
    Unit::Kilogram,
    Unit::Gram,
    Unit::Pound,
    Unit::Centimetre,
    Unit::Metre,
    Unit::Inch,
    Unit::SquareMetre,
    Unit::Celsius,
    Unit::Fahrenheit,
    Unit::MillimetreMercury,
    Unit::PerMinute,
    Unit::Percent,
    Unit::Millilitre,
    Unit::MillilitrePerHour,
    Unit::MilligramPerDecilitre,
    Unit::MicromolePerLitre,
    Unit::UnitPerLitre,
    Unit::ThousandPerMicrolitre,
    Unit::BillionPerLitre,
    Unit::GramPerDecilitre,
    Unit::GramPerLitre,
    Unit::MillimolePerLitre,
    Unit::MilliequivalentPerLitre,
    Unit::InternationalUnit,
    Unit::MillionInternationalUnits,
    Unit::Milligram,
    Unit::MicrogramPerKilogramPerMinute,
    Unit::LitrePerMinute,
    Unit::MicrogramPerMillilitre,
    Unit::Hour,
    Unit::InternationalUnitPerKilogram,
    Unit::MilligramPerKilogram,
];

impl Unit {
    /// The UCUM code il2care stores and prints.
    pub const fn ucum(self) -> &'static str {
        match self {
            Unit::Kilogram => "kg",
            Unit::Gram => "g",
            Unit::Pound => "[lb_av]",
            Unit::Centimetre => "cm",
            Unit::Metre => "m",
            Unit::Inch => "[in_i]",
            Unit::SquareMetre => "m2",
            Unit::Celsius => "Cel",
            Unit::Fahrenheit => "[degF]",
            Unit::MillimetreMercury => "mm[Hg]",
            Unit::PerMinute => "/min",
            Unit::Percent => "%",
            Unit::Millilitre => "mL",
            Unit::MillilitrePerHour => "mL/h",
            Unit::MilligramPerDecilitre => "mg/dL",
            Unit::MicromolePerLitre => "umol/L",
            Unit::UnitPerLitre => "U/L",
            Unit::ThousandPerMicrolitre => "10*3/uL",
            Unit::BillionPerLitre => "10*9/L",
            Unit::GramPerDecilitre => "g/dL",
            Unit::GramPerLitre => "g/L",
            Unit::MillimolePerLitre => "mmol/L",
            Unit::MilliequivalentPerLitre => "meq/L",
            Unit::InternationalUnit => "[iU]",
            Unit::MillionInternationalUnits => "10*6.[iU]",
            Unit::Milligram => "mg",
            Unit::MicrogramPerKilogramPerMinute => "ug/kg/min",
            Unit::LitrePerMinute => "L/min",
            Unit::MicrogramPerMillilitre => "ug/mL",
            Unit::Hour => "h",
            Unit::InternationalUnitPerKilogram => "[iU]/kg",
            Unit::MilligramPerKilogram => "mg/kg",
        }
    }

    /// The unit for a UCUM code, exactly as written (UCUM codes are case-sensitive). `\[IU\]` is UCUM's
    /// other spelling of the international unit and is accepted (DOSING §1).
    pub fn from_ucum(code: &str) -> Option<Unit> {
        if code == "[IU]" {
            return Some(Unit::InternationalUnit);
        }
        if code == "[IU]/kg" {
            return Some(Unit::InternationalUnitPerKilogram);
        }
        ALL_UNITS.into_iter().find(|unit| unit.ucum() == code)
    }

    /// The unit for a command-line spelling: a UCUM code, or one of a few everyday forms a clinician
    /// types (`lb`, `in`, `degF`, `mmHg`, `IU`, `MIU`). JSON documents accept UCUM codes only.
    pub fn from_command_line(text: &str) -> Option<Unit> {
        let alias = match text {
            "lb" | "lbs" => Some(Unit::Pound),
            "in" => Some(Unit::Inch),
            "degF" => Some(Unit::Fahrenheit),
            "degC" | "C" => Some(Unit::Celsius),
            "mmHg" => Some(Unit::MillimetreMercury),
            "IU" => Some(Unit::InternationalUnit),
            "MIU" => Some(Unit::MillionInternationalUnits),
            "bpm" => Some(Unit::PerMinute),
            _ => None,
        };
        alias.or_else(|| Unit::from_ucum(text))
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ucum())
    }
}

/// Why a value could not become a quantity. The caller adds the field name (see [`crate::Refusal`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("a number without a unit is not accepted; give the unit, for example {example}")]
    MissingUnit { example: &'static str },
    #[error("unknown unit `{0}`; units are UCUM codes such as kg, [lb_av], Cel, [degF], mm[Hg]")]
    UnknownUnit(String),
    #[error("unit `{unit}` does not fit here; accepted: {accepted}")]
    WrongUnit { unit: Unit, accepted: String },
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("must not be negative (got {0})")]
    Negative(Decimal),
    #[error("`{0}` is far outside any value this quantity can take")]
    OutOfRange(Decimal),
}

/// A value with its unit, as it was given. The input side of every conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: Unit,
}

impl Quantity {
    /// A quantity from a value and a UCUM code; an empty code is a missing unit.
    pub fn new(value: Decimal, ucum: &str) -> Result<Quantity, QuantityError> {
        if ucum.trim().is_empty() {
            return Err(QuantityError::MissingUnit { example: "80 kg" });
        }
        let unit = Unit::from_ucum(ucum).ok_or_else(|| QuantityError::UnknownUnit(ucum.to_string()))?;
        Ok(Quantity { value, unit })
    }

    /// Parses the compact command-line form: a number immediately followed by a unit, such as `80kg`,
    /// `176lb`, `180cm`, `100.4[degF]` (a space between them is allowed). A bare number is refused.
    pub fn parse_compact(text: &str) -> Result<Quantity, QuantityError> {
        let text = text.trim();
        let split = text
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
            .map_or(text.len(), |(i, _)| i);
        let (number, unit) = text.split_at(split);
        let unit = unit.trim();
        let value: Decimal = number.parse().map_err(|_| QuantityError::NotANumber(number.to_string()))?;
        if unit.is_empty() {
            return Err(QuantityError::MissingUnit { example: "80kg" });
        }
        let unit = Unit::from_command_line(unit).ok_or_else(|| QuantityError::UnknownUnit(unit.to_string()))?;
        Ok(Quantity { value, unit })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value.normalize(), self.unit)
    }
}

/// How a unit maps onto a typed quantity's canonical unit.
#[derive(Clone, Copy, Debug)]
enum Conversion {
    /// canonical = value * factor (exact).
    Times(Decimal),
    /// canonical = value / divisor.
    DividedBy(Decimal),
    /// canonical Celsius = (value - 32) * 5 / 9.
    FahrenheitToCelsius,
}

impl Conversion {
    /// The value in the canonical unit; `None` when it does not fit a decimal (a value no measurement can
    /// have, such as 5.5e28 [lb_av]: refused, never a panic).
    fn apply(self, value: Decimal) -> Option<Decimal> {
        match self {
            Conversion::Times(factor) => value.checked_mul(factor),
            Conversion::DividedBy(divisor) => value.checked_div(divisor),
            Conversion::FahrenheitToCelsius => value.checked_sub(dec!(32))?.checked_mul(dec!(5))?.checked_div(dec!(9)),
        }
    }

    fn invert(self, value: Decimal) -> Option<Decimal> {
        match self {
            Conversion::Times(factor) => value.checked_div(factor),
            Conversion::DividedBy(divisor) => value.checked_mul(divisor),
            Conversion::FahrenheitToCelsius => value.checked_mul(dec!(1.8))?.checked_add(dec!(32)),
        }
    }
}

/// A typed quantity: one physical or laboratory quantity held in its canonical unit.
pub trait Measure: Sized + Copy + Ord {
    /// The unit the value is held in.
    const CANONICAL: Unit;
    /// Whether a negative value is meaningful (temperatures) or refused (everything else).
    const MAY_BE_NEGATIVE: bool = false;

    /// The units this quantity accepts, with their conversions to the canonical unit.
    #[doc(hidden)]
    fn conversions() -> &'static [(Unit, ConversionFactor)];

    /// The value in the canonical unit.
    fn canonical(self) -> Decimal;

    #[doc(hidden)]
    fn from_canonical_unchecked(value: Decimal) -> Self;

    /// The quantity from a value in its canonical unit; refuses negative values where they mean nothing.
    fn new(value: Decimal) -> Result<Self, QuantityError> {
        if !Self::MAY_BE_NEGATIVE && value.is_sign_negative() && !value.is_zero() {
            return Err(QuantityError::Negative(value));
        }
        Ok(Self::from_canonical_unchecked(value))
    }

    /// Converts a given quantity; refuses units that do not fit.
    fn from_quantity(quantity: Quantity) -> Result<Self, QuantityError> {
        let conversion = Self::conversions()
            .iter()
            .find(|(unit, _)| *unit == quantity.unit)
            .map(|(_, conversion)| conversion.0)
            .ok_or_else(|| QuantityError::WrongUnit { unit: quantity.unit, accepted: Self::accepted_units() })?;
        if !Self::MAY_BE_NEGATIVE && quantity.value.is_sign_negative() && !quantity.value.is_zero() {
            return Err(QuantityError::Negative(quantity.value));
        }
        let canonical = conversion.apply(quantity.value).ok_or(QuantityError::OutOfRange(quantity.value))?;
        Ok(Self::from_canonical_unchecked(canonical))
    }

    /// The value expressed in another accepted unit (`None` if the unit does not fit).
    fn in_unit(self, unit: Unit) -> Option<Decimal> {
        Self::conversions()
            .iter()
            .find(|(accepted, _)| *accepted == unit)
            .and_then(|(_, conversion)| conversion.0.invert(self.canonical()))
    }

    /// The value as a quantity in the canonical unit.
    fn quantity(self) -> Quantity {
        Quantity { value: self.canonical(), unit: Self::CANONICAL }
    }

    /// The accepted units as a readable list, for error messages.
    fn accepted_units() -> String {
        Self::conversions().iter().map(|(unit, _)| unit.ucum()).collect::<Vec<_>>().join(", ")
    }
}

/// An opaque conversion, so that the trait can name it without exposing the arithmetic.
#[derive(Clone, Copy, Debug)]
pub struct ConversionFactor(Conversion);

const SAME: ConversionFactor = ConversionFactor(Conversion::Times(Decimal::ONE));
const fn times(factor: Decimal) -> ConversionFactor {
    ConversionFactor(Conversion::Times(factor))
}
const fn divided_by(divisor: Decimal) -> ConversionFactor {
    ConversionFactor(Conversion::DividedBy(divisor))
}

/// Pounds (avoirdupois) to kilograms, exact by definition \[UCUM\].
pub const KILOGRAMS_PER_POUND: Decimal = dec!(0.45359237);
/// Inches to centimetres, exact by definition \[UCUM\].
pub const CENTIMETRES_PER_INCH: Decimal = dec!(2.54);
/// Creatinine: 1 mg/dL = 88.42 umol/L (INTERFACES conventions).
pub const CREATININE_UMOL_PER_MG_DL: Decimal = dec!(88.42);
/// Bilirubin: 1 mg/dL = 17.1 umol/L (INTERFACES conventions).
pub const BILIRUBIN_UMOL_PER_MG_DL: Decimal = dec!(17.1);

macro_rules! measure {
    ($(#[$doc:meta])* $name:ident, canonical: $canonical:expr, negative: $negative:expr,
     units: [$(($unit:expr, $conversion:expr)),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Decimal);

        impl Measure for $name {
            const CANONICAL: Unit = $canonical;
            const MAY_BE_NEGATIVE: bool = $negative;
            fn conversions() -> &'static [(Unit, ConversionFactor)] {
                const TABLE: &[(Unit, ConversionFactor)] = &[$(($unit, $conversion)),+];
                TABLE
            }
            fn canonical(self) -> Decimal {
                self.0
            }
            fn from_canonical_unchecked(value: Decimal) -> Self {
                $name(value)
            }
        }

        impl $name {
            /// The value in the canonical unit.
            pub fn value(self) -> Decimal {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0.normalize(), $canonical)
            }
        }
    };
}

measure!(
    /// Body mass, held in kilograms.
    Kilograms, canonical: Unit::Kilogram, negative: false,
    units: [(Unit::Kilogram, SAME), (Unit::Gram, times(dec!(0.001))), (Unit::Pound, times(KILOGRAMS_PER_POUND))]
);
measure!(
    /// Body height, held in centimetres.
    Centimetres, canonical: Unit::Centimetre, negative: false,
    units: [(Unit::Centimetre, SAME), (Unit::Metre, times(dec!(100))), (Unit::Inch, times(CENTIMETRES_PER_INCH))]
);
measure!(
    /// Body surface area, held in square metres.
    SquareMetres, canonical: Unit::SquareMetre, negative: false,
    units: [(Unit::SquareMetre, SAME)]
);
measure!(
    /// Body temperature, held in degrees Celsius.
    Celsius, canonical: Unit::Celsius, negative: true,
    units: [(Unit::Celsius, SAME), (Unit::Fahrenheit, ConversionFactor(Conversion::FahrenheitToCelsius))]
);
measure!(
    /// Blood pressure, held in millimetres of mercury.
    MillimetresMercury, canonical: Unit::MillimetreMercury, negative: false,
    units: [(Unit::MillimetreMercury, SAME)]
);
measure!(
    /// A rate per minute (heart rate, respiratory rate).
    PerMinute, canonical: Unit::PerMinute, negative: false,
    units: [(Unit::PerMinute, SAME)]
);
measure!(
    /// A percentage (SpO2, FiO2, weight change).
    Percent, canonical: Unit::Percent, negative: true,
    units: [(Unit::Percent, SAME)]
);
measure!(
    /// A volume, held in millilitres.
    Millilitres, canonical: Unit::Millilitre, negative: false,
    units: [(Unit::Millilitre, SAME)]
);
measure!(
    /// A flow of volume, held in millilitres per hour (urine output rate).
    MillilitresPerHour, canonical: Unit::MillilitrePerHour, negative: false,
    units: [(Unit::MillilitrePerHour, SAME)]
);
measure!(
    /// Serum creatinine, held in mg/dL (umol/L / 88.42).
    Creatinine, canonical: Unit::MilligramPerDecilitre, negative: false,
    units: [(Unit::MilligramPerDecilitre, SAME), (Unit::MicromolePerLitre, divided_by(CREATININE_UMOL_PER_MG_DL))]
);
measure!(
    /// Total bilirubin, held in mg/dL (umol/L / 17.1).
    Bilirubin, canonical: Unit::MilligramPerDecilitre, negative: false,
    units: [(Unit::MilligramPerDecilitre, SAME), (Unit::MicromolePerLitre, divided_by(BILIRUBIN_UMOL_PER_MG_DL))]
);
measure!(
    /// An enzyme activity (ALT, AST), held in U/L.
    UnitsPerLitre, canonical: Unit::UnitPerLitre, negative: false,
    units: [(Unit::UnitPerLitre, SAME)]
);
measure!(
    /// A blood cell count, held in 10*3/uL (identical to 10*9/L).
    CellCount, canonical: Unit::ThousandPerMicrolitre, negative: false,
    units: [(Unit::ThousandPerMicrolitre, SAME), (Unit::BillionPerLitre, SAME)]
);
measure!(
    /// Hemoglobin, held in g/dL (g/L / 10).
    Hemoglobin, canonical: Unit::GramPerDecilitre, negative: false,
    units: [(Unit::GramPerDecilitre, SAME), (Unit::GramPerLitre, divided_by(dec!(10)))]
);
measure!(
    /// A concentration of a monovalent ion (potassium, bicarbonate), held in mmol/L (= meq/L).
    MillimolesPerLitre, canonical: Unit::MillimolePerLitre, negative: false,
    units: [(Unit::MillimolePerLitre, SAME), (Unit::MilliequivalentPerLitre, SAME)]
);
measure!(
    /// An amount of aldesleukin in international units, the dose of record.
    InternationalUnits, canonical: Unit::InternationalUnit, negative: false,
    units: [(Unit::InternationalUnit, SAME), (Unit::MillionInternationalUnits, times(dec!(1000000)))]
);
measure!(
    /// A mass of drug, held in milligrams.
    Milligrams, canonical: Unit::Milligram, negative: false,
    units: [(Unit::Milligram, SAME)]
);
measure!(
    /// A weight-based infusion rate (phenylephrine), held in ug/kg/min.
    MicrogramsPerKilogramPerMinute, canonical: Unit::MicrogramPerKilogramPerMinute, negative: false,
    units: [(Unit::MicrogramPerKilogramPerMinute, SAME)]
);
measure!(
    /// An oxygen flow, held in L/min.
    LitresPerMinute, canonical: Unit::LitrePerMinute, negative: false,
    units: [(Unit::LitrePerMinute, SAME)]
);

measure!(
    /// A drug concentration in an infusion bag, held in ug/mL.
    MicrogramsPerMillilitre, canonical: Unit::MicrogramPerMillilitre, negative: false,
    units: [(Unit::MicrogramPerMillilitre, SAME)]
);

measure!(
    /// A weight-based dose of aldesleukin (an order written per kg), held in \[iU\]/kg (DOSING §1).
    InternationalUnitsPerKilogram, canonical: Unit::InternationalUnitPerKilogram, negative: false,
    units: [(Unit::InternationalUnitPerKilogram, SAME)]
);
measure!(
    /// A weight-based mass of drug (an order written in mg/kg), held in mg/kg (DOSING §1).
    MilligramsPerKilogram, canonical: Unit::MilligramPerKilogram, negative: false,
    units: [(Unit::MilligramPerKilogram, SAME)]
);

impl InternationalUnitsPerKilogram {
    /// The dose for a body weight: IU/kg x kg, exact (no factor between units is involved); a product beyond
    /// a decimal saturates (an absurd order then differs from every dose; never a panic on an EHR's input).
    pub fn for_weight(self, weight: Kilograms) -> InternationalUnits {
        InternationalUnits(self.0.saturating_mul(weight.value()))
    }
}

impl MilligramsPerKilogram {
    /// The mass for a body weight: mg/kg x kg, exact; saturates like the IU product.
    pub fn for_weight(self, weight: Kilograms) -> Milligrams {
        Milligrams(self.0.saturating_mul(weight.value()))
    }
}

/// Rounds half away from zero to `places` decimal places; for display only (DOSING §4: "rounded half-up").
pub fn round_for_display(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    fn a_value_whose_conversion_does_not_fit_a_decimal_is_refused_not_a_panic() {
        let huge = Decimal::from_scientific("-5.501251961748233e28").unwrap().abs();
        let refused = Centimetres::from_quantity(Quantity { value: huge, unit: Unit::Metre });
        assert!(matches!(refused, Err(QuantityError::OutOfRange(_))), "{refused:?}");
        let fits = Kilograms::from_quantity(Quantity { value: dec!(176), unit: Unit::Pound });
        assert_eq!(fits.map(Kilograms::value), Ok(dec!(79.83225712)));
        let fahrenheit = Decimal::MAX;
        let refused = Celsius::from_quantity(Quantity { value: fahrenheit, unit: Unit::Fahrenheit });
        assert!(matches!(refused, Err(QuantityError::OutOfRange(_))), "{refused:?}");
    }

    use super::*;

    fn check_compact(text: &str, expected: Result<(Decimal, Unit), &str>) {
        let got = Quantity::parse_compact(text);
        match (got, expected) {
            (Ok(quantity), Ok((value, unit))) => {
                assert_eq!((quantity.value, quantity.unit), (value, unit), "{text}")
            }
            (Err(error), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "{text}: `{error}` lacks `{fragment}`")
            }
            (got, expected) => panic!("{text}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn compact_command_line_forms_parse_or_are_refused_with_a_reason() {
        check_compact("80kg", Ok((dec!(80), Unit::Kilogram)));
        check_compact("176lb", Ok((dec!(176), Unit::Pound)));
        check_compact("180cm", Ok((dec!(180), Unit::Centimetre)));
        check_compact("100.4[degF]", Ok((dec!(100.4), Unit::Fahrenheit)));
        check_compact("80 kg", Ok((dec!(80), Unit::Kilogram)));
        check_compact("-5kg", Ok((dec!(-5), Unit::Kilogram)));
        check_compact("80", Err("without a unit"));
        check_compact("80stone", Err("unknown unit `stone`"));
        check_compact("kg", Err("is not a number"));
        check_compact("8.0.1kg", Err("is not a number"));
    }

    #[test]
    fn ucum_codes_round_trip_and_are_case_sensitive() {
        for unit in ALL_UNITS {
            assert_eq!(Unit::from_ucum(unit.ucum()), Some(unit));
        }
        assert_eq!(Unit::from_ucum("[IU]"), Some(Unit::InternationalUnit));
        assert_eq!(Unit::from_ucum("[IU]/kg"), Some(Unit::InternationalUnitPerKilogram));
        assert_eq!(Unit::from_ucum("[iU]/kg"), Some(Unit::InternationalUnitPerKilogram));
        assert_eq!(Unit::from_ucum("mg/kg"), Some(Unit::MilligramPerKilogram));
        assert_eq!(Unit::from_ucum("KG"), None);
        assert_eq!(Unit::from_ucum("cel"), None);
    }

    #[test]
    fn conversions_match_the_documented_factors() {
        let kg = |v: Decimal, u| Kilograms::from_quantity(Quantity { value: v, unit: u }).unwrap().value();
        assert_eq!(kg(dec!(176), Unit::Pound), dec!(79.83225712));
        assert_eq!(kg(dec!(80000), Unit::Gram), dec!(80));
        let celsius = |v| Celsius::from_quantity(Quantity { value: v, unit: Unit::Fahrenheit }).unwrap().value();
        assert_eq!(celsius(dec!(100.4)), dec!(38.0));
        assert_eq!(celsius(dec!(96.8)), dec!(36.0));
        let creatinine = Creatinine::from_quantity(Quantity { value: dec!(397.89), unit: Unit::MicromolePerLitre });
        assert_eq!(creatinine.unwrap().value(), dec!(4.5));
        let bilirubin = Bilirubin::from_quantity(Quantity { value: dec!(119.7), unit: Unit::MicromolePerLitre });
        assert_eq!(bilirubin.unwrap().value(), dec!(7));
        let platelets = CellCount::from_quantity(Quantity { value: dec!(50), unit: Unit::BillionPerLitre });
        assert_eq!(platelets.unwrap().value(), dec!(50));
        let hemoglobin = Hemoglobin::from_quantity(Quantity { value: dec!(80), unit: Unit::GramPerLitre });
        assert_eq!(hemoglobin.unwrap().value(), dec!(8));
        let dose =
            InternationalUnits::from_quantity(Quantity { value: dec!(1.5), unit: Unit::MillionInternationalUnits });
        assert_eq!(dose.unwrap().value(), dec!(1500000));
    }

    #[test]
    fn units_that_do_not_fit_and_negative_amounts_are_refused() {
        let wrong = Kilograms::from_quantity(Quantity { value: dec!(80), unit: Unit::Centimetre });
        assert_eq!(wrong.unwrap_err().to_string(), "unit `cm` does not fit here; accepted: kg, g, [lb_av]");
        let negative = Kilograms::from_quantity(Quantity { value: dec!(-5), unit: Unit::Kilogram });
        assert_eq!(negative.unwrap_err(), QuantityError::Negative(dec!(-5)));
        let cold = Celsius::from_quantity(Quantity { value: dec!(-5), unit: Unit::Celsius });
        assert!(cold.is_ok(), "temperatures may be negative; plausibility is checked elsewhere");
        assert!(matches!(Quantity::new(dec!(80), ""), Err(QuantityError::MissingUnit { .. })));
        assert!(matches!(Quantity::new(dec!(80), "stone"), Err(QuantityError::UnknownUnit(_))));
    }

    /// Decimals with up to 4 places in a clinically wide range.
    fn decimal(low: i64, high: i64) -> impl Strategy<Value = Decimal> {
        (low * 10_000..=high * 10_000).prop_map(|n| Decimal::new(n, 4))
    }

    fn round_trips<M: Measure>(value: Decimal, unit: Unit) -> Result<(), TestCaseError> {
        let measure = M::from_quantity(Quantity { value, unit }).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = measure.in_unit(unit).ok_or_else(|| TestCaseError::fail("unit lost"))?;
        prop_assert_eq!(back.round_dp(12), value.round_dp(12));
        Ok(())
    }

    proptest! {
        #[test]
        fn every_conversion_round_trips(value in decimal(0, 5000)) {
            for &(unit, _) in Kilograms::conversions() { round_trips::<Kilograms>(value, unit)?; }
            for &(unit, _) in Centimetres::conversions() { round_trips::<Centimetres>(value, unit)?; }
            for &(unit, _) in Celsius::conversions() { round_trips::<Celsius>(value, unit)?; }
            for &(unit, _) in Creatinine::conversions() { round_trips::<Creatinine>(value, unit)?; }
            for &(unit, _) in Bilirubin::conversions() { round_trips::<Bilirubin>(value, unit)?; }
            for &(unit, _) in Hemoglobin::conversions() { round_trips::<Hemoglobin>(value, unit)?; }
            for &(unit, _) in InternationalUnits::conversions() { round_trips::<InternationalUnits>(value, unit)?; }
        }

        #[test]
        fn conversions_preserve_order(a in decimal(0, 5000), b in decimal(0, 5000)) {
            let order = a.cmp(&b);
            let kg = |v| Kilograms::from_quantity(Quantity { value: v, unit: Unit::Pound }).unwrap();
            prop_assert_eq!(kg(a).cmp(&kg(b)), order);
            let cel = |v| Celsius::from_quantity(Quantity { value: v, unit: Unit::Fahrenheit }).unwrap();
            prop_assert_eq!(cel(a).cmp(&cel(b)), order);
            let cr = |v| Creatinine::from_quantity(Quantity { value: v, unit: Unit::MicromolePerLitre }).unwrap();
            prop_assert_eq!(cr(a).cmp(&cr(b)), order);
            let bili = |v| Bilirubin::from_quantity(Quantity { value: v, unit: Unit::MicromolePerLitre }).unwrap();
            prop_assert_eq!(bili(a).cmp(&bili(b)), order);
            let cm = |v| Centimetres::from_quantity(Quantity { value: v, unit: Unit::Inch }).unwrap();
            prop_assert_eq!(cm(a).cmp(&cm(b)), order);
        }

        #[test]
        fn per_kilogram_doses_scale_with_the_weight_and_keep_their_order(
            per_kg in decimal(0, 1_000_000), a in decimal(30, 250), b in decimal(30, 250)
        ) {
            let rate = InternationalUnitsPerKilogram::new(per_kg).unwrap();
            let (light, heavy) = (Kilograms::new(a.min(b)).unwrap(), Kilograms::new(a.max(b)).unwrap());
            prop_assert_eq!(rate.for_weight(light).value(), per_kg * a.min(b));
            prop_assert!(rate.for_weight(light) <= rate.for_weight(heavy));
            let mass = MilligramsPerKilogram::new(per_kg / dec!(1000000)).unwrap();
            prop_assert!(mass.for_weight(light) <= mass.for_weight(heavy));
        }

        #[test]
        fn fahrenheit_thresholds_convert_to_the_exact_celsius_threshold(tenths in 900i64..=1100) {
            // Every temperature entered to 0.1 degF compares with 38.0 Cel exactly as it compares with 100.4 degF.
            let fahrenheit = Decimal::new(tenths, 1);
            let celsius = Celsius::from_quantity(Quantity { value: fahrenheit, unit: Unit::Fahrenheit }).unwrap();
            prop_assert_eq!(celsius.value().cmp(&dec!(38.0)), fahrenheit.cmp(&dec!(100.4)));
        }
    }
}
