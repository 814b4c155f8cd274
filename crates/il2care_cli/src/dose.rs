//! `il2care dose`: the dose calculation for a regimen, as a readable summary or JSON.
//!
//! Parsing only: options become typed quantities here (refused with the option's name), the arithmetic is
//! the core's (`il2care_core::dosing`), the JSON is the wire crate's.

use il2care_core::Refusal;
use il2care_core::dosing::{DoseCalculation, DoseRequest, MilligramBasis, calculate};
use il2care_core::units::{Centimetres, Kilograms, round_for_display};
use il2care_wire::dosing::{CLINICIAN_DISCLAIMER, dose_json, volume_text};
use jiff::Timestamp;

use crate::Outcome;
use crate::input::{optional_measure, required_regimen};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Regimen id, e.g. hd-iv, saadoun-2011-sc.
    #[arg(long)]
    regimen: Option<String>,
    /// Dose level of the regimen (default: its first level).
    #[arg(long)]
    level: Option<String>,
    /// Dosing weight with its unit: 80kg, 176lb.
    #[arg(long, allow_hyphen_values = true)]
    weight: Option<String>,
    /// Height with its unit, for m2-based regimens: 180cm, 70in.
    #[arg(long, allow_hyphen_values = true)]
    height: Option<String>,
    /// When the bag or syringe was prepared (RFC 3339), to show when it expires.
    #[arg(long)]
    prepared_at: Option<String>,
    /// Print JSON instead of the summary.
    #[arg(long)]
    json: bool,
}

/// Turns the options into a core request; refused input names the option.
fn request(args: &Args) -> Result<DoseRequest<'_>, Refusal> {
    let regimen = required_regimen(args.regimen.as_deref())?;
    let weight = optional_measure::<Kilograms>(args.weight.as_deref(), "weight")?;
    let height = optional_measure::<Centimetres>(args.height.as_deref(), "height")?;
    let prepared_at = args
        .prepared_at
        .as_deref()
        .map(|text| {
            text.parse::<Timestamp>()
                .map_err(|_| Refusal::new("prepared-at", format!("`{text}` is not an RFC 3339 time with an offset")))
        })
        .transpose()?;
    Ok(DoseRequest { regimen, level: args.level.as_deref(), weight, height, prepared_at })
}

pub fn run(args: Args) -> Outcome {
    let calc = calculate(request(&args)?)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&dose_json(&calc)).expect("JSON values always serialize"));
    } else {
        print!("{}", summary(&calc));
    }
    Ok(())
}

/// The readable summary a pharmacist checks against the order.
fn summary(calc: &DoseCalculation) -> String {
    let mut text = format!("{}  [{}]\n", calc.regimen.title, calc.regimen.id);
    if let Some(weight) = calc.weight {
        text += &format!("  dosing weight      {} kg\n", round_for_display(weight.value(), 3));
    }
    if let Some(bsa) = calc.body_surface_area {
        text += &format!("  body surface area  {} m2 (Mosteller)\n", bsa.used.value());
    }
    // DOSING §3 amendment: mg from the vial strength is labelled so.
    let basis = match calc.dose_mg_basis {
        MilligramBasis::WeightPair => "0.037 mg/kg",
        MilligramBasis::VialStrength => "from vial strength, volume x 1.1 mg/mL",
    };
    text += &format!(
        "  dose               {} IU ({} MIU), {} mg ({basis})   [{}]\n",
        calc.dose.value().normalize(),
        round_for_display(calc.dose.value() / rust_decimal::Decimal::from(1_000_000), 4).normalize(),
        round_for_display(calc.dose_mg.value(), 3).normalize(),
        calc.level.source
    );
    text += &format!("  reconstituted drug {}  (18 MIU/mL)\n", volume_text(calc.volume));
    text += &format!("  vials              {} (22 MIU each, 1.2 mL counted per vial)\n", calc.vials);
    if let Some(dilution) = calc.dilution {
        text += &format!(
            "  D5W bag            {} mL; final {} mL at {} ug/mL\n",
            dilution.bag.value(),
            round_for_display(dilution.final_volume.value(), 2),
            round_for_display(dilution.final_concentration.value(), 1)
        );
    }
    match calc.expires_at {
        Some(expires_at) => text += &format!("  expires            {expires_at} (48 h after preparation)\n"),
        None => text += "  stability          48 h from preparation to end of infusion, 2-8 °C, protected from light\n",
    }
    for warning in &calc.warnings {
        text += &format!("  WARNING: {} [{}]\n", warning.message, warning.source);
    }
    if calc.regimen.off_label {
        text += "  note: off-label regimen from a trial; use only under a protocol\n";
    }
    text += &format!("{CLINICIAN_DISCLAIMER}\n");
    text
}
