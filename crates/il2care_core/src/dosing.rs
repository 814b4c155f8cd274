//! Dose calculation (DOSING §3-§7): dose of record in IU, mg beside it, reconstituted volume, vials, the D5W
//! bag and the final concentration, the 48 h stability window, and the hard stops on implausible input.
//!
//! Decimal arithmetic only; the unrounded values are kept and rounding happens for display in
//! [`DoseCalculation`]'s `*_display` helpers. Nothing here reads a clock: `prepared_at` is passed in.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::{Decimal, MathematicalOps};
use rust_decimal_macros::dec;

use crate::Refusal;
use crate::Source;
use crate::regimens::{Amount, DoseLevel, Regimen, Route};
use crate::units::{
    Centimetres, InternationalUnits, Kilograms, Measure, MicrogramsPerMillilitre, Milligrams, Millilitres,
    SquareMetres, round_for_display,
};

pub mod ordered;

/// Product facts and product choices of DOSING.md, each with its source, in one reviewed table.
pub mod limits {
    use super::*;

    /// Reconstituted concentration: 18,000,000 IU per mL \[LABEL-2024 §11\].
    pub const IU_PER_ML: Decimal = dec!(18000000);
    /// Reconstituted concentration by mass: 1.1 mg per mL \[LABEL-2024 §11\].
    pub const MG_PER_ML: Decimal = dec!(1.1);
    /// mg shown beside the IU dose for weight-based doses: 0.037 mg/kg \[LABEL-2024 T1\].
    pub const MG_PER_KG: Decimal = dec!(0.037);
    /// Withdrawable volume counted per vial (21.6 MIU), so the count never falls short \[PRODUCT, DOSING §6\].
    pub const ML_PER_VIAL: Decimal = dec!(1.2);
    /// Dosing weight limits, inclusive \[PRODUCT, DOSING §7\].
    pub const WEIGHT_KG: (Decimal, Decimal) = (dec!(30), dec!(250));
    /// Height limits for BSA regimens, inclusive \[PRODUCT, DOSING §7\].
    pub const HEIGHT_CM: (Decimal, Decimal) = (dec!(100), dec!(230));
    /// BSA limits, inclusive \[PRODUCT, DOSING §7\].
    pub const BSA_M2: (Decimal, Decimal) = (dec!(0.8), dec!(3.0));
    /// Largest single HD-IV dose: 250 kg x 600,000 IU/kg \[PRODUCT, DOSING §7\].
    pub const HD_IV_MAX_DOSE_IU: Decimal = dec!(150000000);
    /// D5W bag bins by IU (upper bound inclusive, bag mL) \[HANDBOOK\].
    pub const BAG_BINS: [(Decimal, Decimal); 2] = [(dec!(25400000), dec!(25)), (dec!(60000000), dec!(50))];
    /// The bag above the last bin \[HANDBOOK\].
    pub const LARGEST_BAG_ML: Decimal = dec!(100);
    /// Target final concentration, inclusive \[HANDBOOK\]; outside it a warning, not a stop \[GLOBALRPH\].
    pub const CONCENTRATION_UG_PER_ML: (Decimal, Decimal) = (dec!(30), dec!(70));
    /// Subcutaneous volumes below this cannot be measured with a standard syringe \[PRODUCT, DOSING §5\].
    pub const SMALLEST_MEASURABLE_ML: Decimal = dec!(0.10);
    /// From preparation to the end of infusion \[HANDBOOK\].
    pub const STABILITY: jiff::SignedDuration = jiff::SignedDuration::from_hours(48);
}

/// What the prescriber gives: the regimen, its level, and the body measurements it needs.
#[derive(Clone, Copy, Debug)]
pub struct DoseRequest<'a> {
    pub regimen: &'a Regimen,
    /// The dose level; `None` means the regimen's first (default) level.
    pub level: Option<&'a str>,
    pub weight: Option<Kilograms>,
    pub height: Option<Centimetres>,
    /// When the bag or syringe was prepared, for the expiry time.
    pub prepared_at: Option<Timestamp>,
}

/// Where the mg figure comes from (DOSING §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MilligramBasis {
    /// 0.037 mg/kg of dosing weight \[LABEL-2024 T1\].
    WeightPair,
    /// Volume x 1.1 mg/mL, "from vial strength" \[LABEL-2024 §11\].
    VialStrength,
}

/// The D5W dilution of an IV dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dilution {
    pub bag: Millilitres,
    /// Bag plus drug volume (unrounded; overfill ignored, DOSING §4).
    pub final_volume: Millilitres,
    pub final_concentration: MicrogramsPerMillilitre,
}

/// Something the pharmacist must look at; never a stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseWarning {
    pub id: &'static str,
    pub message: String,
    pub source: Source,
}

/// The body surface area used for an m2 dose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodySurfaceArea {
    /// Mosteller, unrounded.
    pub exact: SquareMetres,
    /// Rounded half-up to 0.01 m2; the value used for dosing (DOSING §5).
    pub used: SquareMetres,
}

/// A complete dose calculation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseCalculation {
    pub regimen: &'static Regimen,
    pub level: &'static DoseLevel,
    pub weight: Option<Kilograms>,
    pub height: Option<Centimetres>,
    pub body_surface_area: Option<BodySurfaceArea>,
    /// The dose of record.
    pub dose: InternationalUnits,
    pub dose_mg: Milligrams,
    pub dose_mg_basis: MilligramBasis,
    /// Reconstituted drug to draw up, unrounded (dose / 18 MIU per mL).
    pub volume: Millilitres,
    pub vials: u32,
    /// IV regimens only.
    pub dilution: Option<Dilution>,
    pub expires_at: Option<Timestamp>,
    pub warnings: Vec<DoseWarning>,
}

impl DoseCalculation {
    /// The drug volume as displayed: rounded half-up to 0.01 mL (DOSING §4).
    pub fn volume_display(&self) -> Decimal {
        round_for_display(self.volume.value(), 2)
    }
}

fn within(value: Decimal, (low, high): (Decimal, Decimal)) -> bool {
    low <= value && value <= high
}

/// Mosteller body surface area, `sqrt(height_cm x weight_kg / 3600)` \[MOSTELLER-1987\].
pub fn mosteller(height: Centimetres, weight: Kilograms) -> SquareMetres {
    let product = height.value() * weight.value() / dec!(3600);
    let root = product.sqrt().expect("the product of two non-negative quantities has a square root");
    SquareMetres::new(root).expect("a square root is not negative")
}

/// Calculates the dose for `request`, or refuses it naming the field at fault.
pub fn calculate(request: DoseRequest<'_>) -> Result<DoseCalculation, Refusal> {
    let regimen: &'static Regimen = crate::regimens::regimen(request.regimen.id)
        .ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{}`", request.regimen.id)))?;
    let level = match request.level {
        None => &regimen.levels[0],
        Some(id) => regimen.level(id).ok_or_else(|| {
            let known: Vec<_> = regimen.levels.iter().map(|level| level.id).collect();
            Refusal::new("level", format!("`{id}` is not a level of {}; levels: {}", regimen.id, known.join(", ")))
        })?,
    };
    let weight = request.weight.map(checked_weight).transpose()?;
    let height = request.height.map(checked_height).transpose()?;
    let needs = |field: &str, what: &str| {
        Refusal::new(field, format!("is required for {} ({what}); give it with its unit", regimen.id))
    };

    let mut body_surface_area = None;
    let dose_iu = match level.amount {
        Amount::PerKilogram(per_kg) => per_kg * weight.ok_or_else(|| needs("weight", "dose per kg"))?.value(),
        Amount::PerSquareMetre(per_m2) => {
            let weight = weight.ok_or_else(|| needs("weight", "dose per m2"))?;
            let height = height.ok_or_else(|| needs("height", "dose per m2"))?;
            let exact = mosteller(height, weight);
            let used = round_for_display(exact.value(), 2);
            if !within(used, limits::BSA_M2) {
                return Err(Refusal::new(
                    "height",
                    format!("body surface area {used} m2 is outside 0.8 to 3.0 m2; check height and weight"),
                ));
            }
            let used = SquareMetres::new(used).expect("a BSA within limits is not negative");
            body_surface_area = Some(BodySurfaceArea { exact, used });
            per_m2 * used.value()
        }
        Amount::Flat(iu) => iu,
    };
    if regimen.route == Route::IntravenousInfusion && dose_iu > limits::HD_IV_MAX_DOSE_IU {
        return Err(Refusal::new(
            "dose",
            format!("{dose_iu} [iU] exceeds the largest single HD-IV dose, 150000000 [iU]"),
        ));
    }
    let dose = InternationalUnits::new(dose_iu).expect("doses are computed from non-negative inputs");
    let volume_ml = dose_iu / limits::IU_PER_ML;
    let volume = Millilitres::new(volume_ml).expect("a volume from a non-negative dose is not negative");
    let (dose_mg, dose_mg_basis) = milligrams(regimen, level.amount, weight, volume_ml);
    let dose_mg = Milligrams::new(dose_mg).expect("a mass from a non-negative dose is not negative");
    let vials = vial_count(volume);

    let mut warnings = Vec::new();
    let dilution = match regimen.route {
        Route::IntravenousInfusion => {
            let dilution = dilute(dose, dose_mg, volume);
            let concentration = dilution.final_concentration.value();
            if !within(concentration, limits::CONCENTRATION_UG_PER_ML) {
                warnings.push(DoseWarning {
                    id: "dose.concentration-outside-30-70",
                    message: format!(
                        "final concentration {} ug/mL is outside 30-70 ug/mL: delivery is more variable; pharmacist \
                         review (below 30 ug/mL, add albumin to a final 0.1% before the drug)",
                        round_for_display(concentration, 1)
                    ),
                    source: Source("HANDBOOK; GLOBALRPH"),
                });
            }
            Some(dilution)
        }
        Route::Subcutaneous => {
            if volume_ml < limits::SMALLEST_MEASURABLE_ML {
                warnings.push(DoseWarning {
                    id: "dose.volume-below-0.10-ml",
                    message: format!(
                        "{} mL cannot be measured with a standard syringe; pharmacist preparation needed",
                        round_for_display(volume_ml, 4)
                    ),
                    source: Source("PRODUCT"),
                });
            }
            None
        }
    };
    let expires_at = request.prepared_at.map(|prepared| prepared + limits::STABILITY);
    Ok(DoseCalculation {
        regimen,
        level,
        weight,
        height,
        body_surface_area,
        dose,
        dose_mg,
        dose_mg_basis,
        volume,
        vials,
        dilution,
        expires_at,
        warnings,
    })
}

/// The mg shown beside the IU dose (DOSING §3 and its amendment of 2026-12-04): the 0.037 mg/kg pair belongs to
/// 600,000 IU/kg (`hd-iv`) and to nothing else \[LABEL-2024 T1\]; every other regimen, per-kg LD-SC ones such as
/// `yang-2003-sc` included, shows `volume x 1.1 mg/mL`, "from vial strength" \[LABEL-2024 §11\].
pub fn milligrams(
    regimen: &Regimen,
    amount: Amount,
    weight: Option<Kilograms>,
    volume_ml: Decimal,
) -> (Decimal, MilligramBasis) {
    match (regimen.id, amount, weight) {
        (HD_IV, Amount::PerKilogram(_), Some(weight)) => {
            (limits::MG_PER_KG * weight.value(), MilligramBasis::WeightPair)
        }
        _ => (volume_ml * limits::MG_PER_ML, MilligramBasis::VialStrength),
    }
}

/// The only regimen whose mg comes from the 0.037 mg/kg label pair (DOSING §3 amendment).
pub const HD_IV: &str = "hd-iv";

/// `ceil(volume / 1.2 mL)` (DOSING §6).
pub fn vial_count(volume: Millilitres) -> u32 {
    let vials = (volume.value() / limits::ML_PER_VIAL).ceil();
    u32::try_from(vials.mantissa() / 10i128.pow(vials.scale())).expect("a plausible dose needs few vials")
}

/// The D5W bag by IU bin and the final concentration with the drug volume included (DOSING §4).
pub fn dilute(dose: InternationalUnits, dose_mg: Milligrams, volume: Millilitres) -> Dilution {
    let bag = limits::BAG_BINS
        .iter()
        .find(|(upper, _)| dose.value() <= *upper)
        .map_or(limits::LARGEST_BAG_ML, |(_, bag)| *bag);
    let final_volume = bag + volume.value();
    let concentration =
        if final_volume.is_zero() { Decimal::ZERO } else { dose_mg.value() / final_volume * dec!(1000) };
    Dilution {
        bag: Millilitres::new(bag).expect("bag sizes are positive"),
        final_volume: Millilitres::new(final_volume).expect("a sum of volumes is not negative"),
        final_concentration: MicrogramsPerMillilitre::new(concentration).expect("not negative"),
    }
}

fn checked_weight(weight: Kilograms) -> Result<Kilograms, Refusal> {
    if within(weight.value(), limits::WEIGHT_KG) {
        Ok(weight)
    } else {
        Err(Refusal::new(
            "weight",
            format!("{} is outside the dosing limits 30 to 250 kg; check the number and its unit", weight),
        ))
    }
}

fn checked_height(height: Centimetres) -> Result<Centimetres, Refusal> {
    if within(height.value(), limits::HEIGHT_CM) {
        Ok(height)
    } else {
        Err(Refusal::new(
            "height",
            format!("{} is outside the limits 100 to 230 cm; check the number and its unit", height),
        ))
    }
}

/// Whether an administration starting at `start` and lasting `duration` ends by `expires_at` (DOSING §2:
/// ending exactly at expiry is permitted).
pub fn ends_before_expiry(start: Timestamp, duration: SignedDuration, expires_at: Timestamp) -> bool {
    start + duration <= expires_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regimens::regimen;
    use crate::units::{Quantity, Unit};

    fn kg(value: Decimal) -> Kilograms {
        Kilograms::new(value).unwrap()
    }

    fn request(regimen_id: &str, weight: Option<Decimal>, height: Option<Decimal>) -> DoseRequest<'static> {
        DoseRequest {
            regimen: regimen(regimen_id).unwrap(),
            level: None,
            weight: weight.map(kg),
            height: height.map(|cm| Centimetres::new(cm).unwrap()),
            prepared_at: None,
        }
    }

    /// One worked-example row of DOSING §4: weight -> IU, mg, mL shown, vials, bag, final volume shown,
    /// concentration shown (ug/mL, 0.1), and whether the concentration warning shows.
    #[allow(clippy::too_many_arguments)]
    fn check_hd_iv(
        weight: Decimal,
        iu: Decimal,
        mg: Decimal,
        ml: Decimal,
        vials: u32,
        bag: Decimal,
        final_ml: Decimal,
        ug_per_ml: Decimal,
        warns: bool,
    ) {
        let calc = calculate(request("hd-iv", Some(weight), None)).unwrap();
        let dilution = calc.dilution.unwrap();
        let row = (
            calc.dose.value(),
            calc.dose_mg.value(),
            calc.volume_display(),
            calc.vials,
            dilution.bag.value(),
            round_for_display(dilution.final_volume.value(), 2),
            round_for_display(dilution.final_concentration.value(), 1),
            !calc.warnings.is_empty(),
        );
        assert_eq!(row, (iu, mg, ml, vials, bag, final_ml, ug_per_ml, warns), "{weight} kg");
    }

    #[test]
    fn hd_iv_worked_examples_of_dosing_section_4() {
        // [COMPUTED from LABEL-2024 T1, LABEL-2024 §11, HANDBOOK]
        check_hd_iv(dec!(30), dec!(18000000), dec!(1.11), dec!(1.00), 1, dec!(25), dec!(26.00), dec!(42.7), false);
        check_hd_iv(dec!(45), dec!(27000000), dec!(1.665), dec!(1.50), 2, dec!(50), dec!(51.50), dec!(32.3), false);
        check_hd_iv(dec!(70), dec!(42000000), dec!(2.59), dec!(2.33), 2, dec!(50), dec!(52.33), dec!(49.5), false);
        check_hd_iv(dec!(80), dec!(48000000), dec!(2.96), dec!(2.67), 3, dec!(50), dec!(52.67), dec!(56.2), false);
        check_hd_iv(dec!(130), dec!(78000000), dec!(4.81), dec!(4.33), 4, dec!(100), dec!(104.33), dec!(46.1), false);
        check_hd_iv(dec!(250), dec!(150000000), dec!(9.25), dec!(8.33), 7, dec!(100), dec!(108.33), dec!(85.4), true);
    }

    #[test]
    fn pounds_are_converted_exactly_before_the_same_arithmetic() {
        let weight = Kilograms::from_quantity(Quantity { value: dec!(176), unit: Unit::Pound }).unwrap();
        assert_eq!(weight.value(), dec!(79.83225712));
        let calc = calculate(DoseRequest { weight: Some(weight), ..request("hd-iv", None, None) }).unwrap();
        assert_eq!(calc.dose.value(), dec!(47899354.272));
        assert_eq!(calc.dose_mg.value(), dec!(2.95379351344));
    }

    fn bag_for(iu: Decimal) -> Decimal {
        let dose = InternationalUnits::new(iu).unwrap();
        let volume = Millilitres::new(iu / limits::IU_PER_ML).unwrap();
        dilute(dose, Milligrams::new(dec!(1)).unwrap(), volume).bag.value()
    }

    #[test]
    fn dilution_bins_split_at_their_iu_boundaries() {
        // [HANDBOOK]: <= 25.4 MIU -> 25 mL; <= 60 MIU -> 50 mL; above -> 100 mL.
        assert_eq!(bag_for(dec!(25399999)), dec!(25));
        assert_eq!(bag_for(dec!(25400000)), dec!(25));
        assert_eq!(bag_for(dec!(25400001)), dec!(50));
        assert_eq!(bag_for(dec!(59999999)), dec!(50));
        assert_eq!(bag_for(dec!(60000000)), dec!(50));
        assert_eq!(bag_for(dec!(60000001)), dec!(100));
    }

    #[test]
    fn the_iu_bin_wins_between_40_55_and_42_33_kg() {
        // DOSING §4: the mg column would choose 50 mL here; the IU rule (dose of record) chooses 25 mL.
        let calc = calculate(request("hd-iv", Some(dec!(42)), None)).unwrap();
        assert_eq!(calc.dose.value(), dec!(25200000));
        assert_eq!(calc.dilution.unwrap().bag.value(), dec!(25));
    }

    fn vials_for(ml: Decimal) -> u32 {
        vial_count(Millilitres::new(ml).unwrap())
    }

    #[test]
    fn vial_count_steps_at_each_1_2_ml() {
        // [PRODUCT, DOSING §6]: 1.2 mL withdrawable per vial.
        assert_eq!(vials_for(dec!(1.1999)), 1);
        assert_eq!(vials_for(dec!(1.2)), 1);
        assert_eq!(vials_for(dec!(1.2001)), 2);
        assert_eq!(vials_for(dec!(2.4)), 2);
        assert_eq!(vials_for(dec!(2.4001)), 3);
    }

    fn refusal(result: Result<DoseCalculation, Refusal>) -> String {
        let refusal = result.unwrap_err();
        format!("{}: {}", refusal.field, refusal.reason)
    }

    #[test]
    fn weights_outside_30_to_250_kg_are_refused_at_the_boundaries() {
        // [PRODUCT, DOSING §7]
        assert!(refusal(calculate(request("hd-iv", Some(dec!(29.99)), None))).starts_with("weight: "));
        assert!(calculate(request("hd-iv", Some(dec!(30)), None)).is_ok());
        assert!(calculate(request("hd-iv", Some(dec!(250)), None)).is_ok());
        assert!(refusal(calculate(request("hd-iv", Some(dec!(250.01)), None))).starts_with("weight: "));
        assert!(refusal(calculate(request("hd-iv", Some(dec!(0)), None))).contains("outside the dosing limits"));
        assert!(refusal(calculate(request("hd-iv", None, None))).starts_with("weight: is required"));
    }

    #[test]
    fn heights_outside_100_to_230_cm_are_refused_at_the_boundaries() {
        // [PRODUCT, DOSING §7]
        let bsa = |cm| calculate(request("koreth-2016-sc", Some(dec!(70)), Some(cm)));
        assert!(refusal(bsa(dec!(99.9))).starts_with("height: "));
        assert!(bsa(dec!(100)).is_ok());
        assert!(bsa(dec!(230)).is_ok());
        assert!(refusal(bsa(dec!(230.1))).starts_with("height: "));
        assert!(refusal(calculate(request("koreth-2016-sc", Some(dec!(70)), None))).starts_with("height: is required"));
    }

    #[test]
    fn bsa_outside_0_8_to_3_0_m2_is_refused() {
        // 100 cm x 30 kg -> 0.913 m2 (allowed); 230 cm x 250 kg -> 4.00 m2 (refused) [PRODUCT, DOSING §7].
        assert!(calculate(request("koreth-2016-sc", Some(dec!(30)), Some(dec!(100)))).is_ok());
        let refused = refusal(calculate(request("koreth-2016-sc", Some(dec!(250)), Some(dec!(230)))));
        assert!(refused.contains("body surface area 4.00 m2 is outside"), "{refused}");
    }

    fn check_sc(regimen_id: &str, height: Option<Decimal>, weight: Option<Decimal>, miu: Decimal, ml: Decimal) {
        let calc = calculate(request(regimen_id, weight, height)).unwrap();
        assert_eq!(
            (calc.dose.value() / dec!(1000000), calc.volume_display()),
            (miu, ml),
            "{regimen_id} {height:?} cm {weight:?} kg"
        );
        assert!(calc.dilution.is_none(), "subcutaneous doses are not diluted");
    }

    #[test]
    fn sc_worked_examples_of_dosing_section_5() {
        // [COMPUTED from MOSTELLER-1987 and the regimen sources]
        check_sc("koreth-2016-sc", Some(dec!(170)), Some(dec!(70)), dec!(1.82), dec!(0.10));
        check_sc("mcdermott-2005-sc", Some(dec!(170)), Some(dec!(70)), dec!(9.10), dec!(0.51));
        check_sc("kirchner-1998-sc-daily", Some(dec!(170)), Some(dec!(70)), dec!(36.4), dec!(2.02));
        check_sc("koreth-2016-sc", Some(dec!(160)), Some(dec!(55)), dec!(1.56), dec!(0.09));
        check_sc("saadoun-2011-sc", None, None, dec!(1.5), dec!(0.08));
    }

    #[test]
    fn bsa_is_rounded_half_up_to_0_01_before_dosing() {
        let calc = calculate(request("koreth-2016-sc", Some(dec!(70)), Some(dec!(170)))).unwrap();
        let bsa = calc.body_surface_area.unwrap();
        assert_eq!(round_for_display(bsa.exact.value(), 3), dec!(1.818));
        assert_eq!(bsa.used.value(), dec!(1.82));
    }

    #[test]
    fn sc_volumes_below_0_10_ml_are_flagged_for_the_pharmacist() {
        // [PRODUCT, DOSING §5]: 1.5 MIU = 0.0833 mL flagged; 1.82 MIU = 0.1011 mL not flagged.
        let flagged = calculate(request("saadoun-2011-sc", None, None)).unwrap();
        assert_eq!(flagged.warnings[0].id, "dose.volume-below-0.10-ml");
        assert_eq!(flagged.dose_mg_basis, MilligramBasis::VialStrength);
        let measurable = calculate(request("koreth-2016-sc", Some(dec!(70)), Some(dec!(170)))).unwrap();
        assert!(measurable.warnings.is_empty());
    }

    #[test]
    fn weight_based_sc_doses_use_the_chosen_level() {
        let week_two = DoseRequest { level: Some("weeks-2-6"), ..request("yang-2003-sc", Some(dec!(80)), None) };
        assert_eq!(calculate(week_two).unwrap().dose.value(), dec!(10000000));
        let unknown = DoseRequest { level: Some("week-9"), ..request("yang-2003-sc", Some(dec!(80)), None) };
        assert!(refusal(calculate(unknown)).starts_with("level: `week-9` is not a level"));
    }

    /// One row of the DOSING §3 amendment: regimen, level, weight, height -> IU, mL shown, mg shown (0.01) and
    /// its basis.
    #[allow(clippy::too_many_arguments)]
    fn check_mg(
        regimen_id: &str,
        level: Option<&str>,
        weight: Option<Decimal>,
        height: Option<Decimal>,
        iu: Decimal,
        ml: Decimal,
        mg: Decimal,
        basis: MilligramBasis,
    ) {
        let calc = calculate(DoseRequest { level, ..request(regimen_id, weight, height) }).unwrap();
        let row =
            (calc.dose.value(), calc.volume_display(), round_for_display(calc.dose_mg.value(), 2), calc.dose_mg_basis);
        assert_eq!(row, (iu, ml, mg, basis), "{regimen_id} {level:?} {weight:?} kg");
    }

    #[test]
    fn only_hd_iv_uses_the_weight_pair_every_other_regimen_shows_mg_from_vial_strength() {
        use MilligramBasis::{VialStrength, WeightPair};
        // DOSING §3 amendment of 2026-12-04 [LABEL-2024 T1; LABEL-2024 §11]: 0.037 mg/kg belongs to 600,000 IU/kg.
        check_mg("hd-iv", None, Some(dec!(80)), None, dec!(48000000), dec!(2.67), dec!(2.96), WeightPair);
        // yang-2003-sc weeks 2-6, 125,000 IU/kg x 80 kg = 10,000,000 IU -> 0.5556 mL -> 0.61 mg (the example).
        check_mg(
            "yang-2003-sc",
            Some("weeks-2-6"),
            Some(dec!(80)),
            None,
            dec!(10000000),
            dec!(0.56),
            dec!(0.61),
            VialStrength,
        );
        // Per-m2 and flat LD-SC regimens: vial strength as before [LABEL-2024 §11].
        check_mg(
            "koreth-2016-sc",
            None,
            Some(dec!(70)),
            Some(dec!(170)),
            dec!(1820000),
            dec!(0.10),
            dec!(0.11),
            VialStrength,
        );
        check_mg("saadoun-2011-sc", None, None, None, dec!(1500000), dec!(0.08), dec!(0.09), VialStrength);
        let exact =
            calculate(DoseRequest { level: Some("weeks-2-6"), ..request("yang-2003-sc", Some(dec!(80)), None) });
        let exact = exact.unwrap();
        assert_eq!(round_for_display(exact.volume.value(), 4), dec!(0.5556));
        assert_eq!(exact.dose_mg.value(), dec!(10000000) / dec!(18000000) * dec!(1.1));
    }

    #[test]
    fn a_bag_expires_48_hours_after_preparation_and_may_end_exactly_then() {
        // [HANDBOOK]
        let prepared: Timestamp = "2026-11-27T08:00:00Z".parse().unwrap();
        let calc = calculate(DoseRequest { prepared_at: Some(prepared), ..request("hd-iv", Some(dec!(80)), None) });
        let expires = calc.unwrap().expires_at.unwrap();
        assert_eq!(expires, "2026-11-29T08:00:00Z".parse().unwrap());
        let fifteen_minutes = SignedDuration::from_mins(15);
        assert!(ends_before_expiry("2026-11-29T07:45:00Z".parse().unwrap(), fifteen_minutes, expires));
        assert!(!ends_before_expiry("2026-11-29T07:45:01Z".parse().unwrap(), fifteen_minutes, expires));
    }
}
