//! The pharmacist's desk (`/pharmacy`): each course's dose worked step by step (weight → IU → mL at 18 MIU/mL →
//! vials → bag → final concentration, each step with its label pair or product rule), numbers as pharmacists
//! write them (50,400,000 IU = 50.4 MIU), a missing dosing weight or height entered where it is needed, each
//! prepared dose verified and signed off (lot and expiry), and the printable preparation label and worksheet
//! (`/pharmacy/verifications/{id}/label`). The latest screening of each patient and the JSON import of a
//! screening document stay here; the screening form is `/patients/{id}/screening`.
//!
//! The working is built by the pure function [`working`] from the core's calculation; the reads and the forms go
//! through the use cases of `il2care_app::pharmacy`, as the API does, so the desk and the API store, refuse and
//! audit alike.

use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_app::pharmacy::{self as desk, DeskCourse, DeskVerification, DoseVerification, MeasuredBy};
use il2care_core::Refusal;
use il2care_core::dosing::{DoseCalculation, MilligramBasis, limits};
use il2care_core::regimens::Amount;
use il2care_core::units::round_for_display;
use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use super::forms::{self, Pairs};
use super::layout::{Audience, shell};
use super::screening_view::screening_view;
use super::view::local_time;
use super::{PageError, PageResult, page, signed_in};
use crate::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// A decimal as pharmacists write it: thousands grouped, no trailing zeros (`50400000` → `50,400,000`).
pub fn grouped(value: Decimal) -> String {
    let normalized = value.normalize();
    let text = normalized.to_string();
    match text.split_once('.') {
        Some((whole, fraction)) => format!("{}.{fraction}", group_all(whole)),
        None => group_all(&text),
    }
}

fn group_all(whole: &str) -> String {
    if whole.trim_start_matches('-').len() < 4 {
        return whole.to_string();
    }
    // Every whole part of four digits or more is grouped (1,200 mL as well as 50,400,000 IU).
    let digits = whole.trim_start_matches('-');
    let mut out = String::new();
    if whole.starts_with('-') {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// International units with the million-unit figure beside them: `50,400,000 IU (50.4 MIU)`.
pub fn iu_text(iu: Decimal) -> String {
    format!("{} IU ({} MIU)", grouped(round_for_display(iu, 0)), grouped(iu / dec!(1000000)))
}

/// One step of the working: what, the arithmetic, the result, and the rule it follows with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub what: &'static str,
    pub working: String,
    pub result: String,
    pub rule: String,
    /// A flag the pharmacist must look at (a volume that cannot be measured, a concentration outside target).
    pub flag: Option<String>,
}

fn step(what: &'static str, working: String, result: String, rule: String) -> Step {
    Step { what, working, result, rule, flag: None }
}

/// The dose worked step by step from the core's calculation (nothing is recomputed that the core decides: the
/// IU, the volume, the vials, the bag and the concentration are the core's; the arithmetic is shown).
pub fn working(calculation: &DoseCalculation) -> Vec<Step> {
    let mut steps = Vec::new();
    let level = calculation.level;
    if let Some(weight) = calculation.weight {
        steps.push(step(
            "Dosing weight",
            "measured before dose 1 of the course".into(),
            format!("{} kg", grouped(weight.value())),
            "DOSING §7: 30 to 250 kg, refused outside [PRODUCT]".into(),
        ));
    }
    if let (Some(height), Some(weight), Some(bsa)) =
        (calculation.height, calculation.weight, calculation.body_surface_area)
    {
        steps.push(step(
            "Body surface area",
            format!(
                "√({} cm × {} kg ÷ 3600) = {} m², rounded to 0.01",
                grouped(height.value()),
                grouped(weight.value()),
                grouped(round_for_display(bsa.exact.value(), 4))
            ),
            format!("{} m²", grouped(bsa.used.value())),
            "Mosteller [MOSTELLER-1987]; 0.8 to 3.0 m² [PRODUCT]".into(),
        ));
    }
    let dose = calculation.dose.value();
    let (dose_working, dose_rule) = match level.amount {
        Amount::PerKilogram(per_kg) => (
            format!(
                "{} IU/kg × {} kg",
                grouped(per_kg),
                calculation.weight.map_or_else(String::new, |w| grouped(w.value()))
            ),
            format!("{}: {} [{}]", calculation.regimen.title, level.applies, level.source.0),
        ),
        Amount::PerSquareMetre(per_m2) => (
            format!(
                "{} IU/m² × {} m²",
                grouped(per_m2),
                calculation.body_surface_area.map_or_else(String::new, |bsa| grouped(bsa.used.value()))
            ),
            format!("{}: {} [{}]", calculation.regimen.title, level.applies, level.source.0),
        ),
        Amount::Flat(iu) => (
            format!("flat dose {}", iu_text(iu)),
            format!("{}: {} [{}]", calculation.regimen.title, level.applies, level.source.0),
        ),
    };
    steps.push(step("Dose of record (IU)", dose_working, iu_text(dose), dose_rule));
    let milligrams = round_for_display(calculation.dose_mg.value(), 3);
    let volume = calculation.volume.value();
    let volume_shown = calculation.volume_display();
    steps.push(match calculation.dose_mg_basis {
        MilligramBasis::WeightPair => step(
            "Dose in mg (beside the IU)",
            format!(
                "{} mg/kg × {} kg",
                grouped(limits::MG_PER_KG),
                calculation.weight.map_or_else(String::new, |w| grouped(w.value()))
            ),
            format!("{} mg", grouped(milligrams)),
            "Label pair 600,000 IU/kg ↔ 0.037 mg/kg [LABEL-2024 T1]; the IU is the dose of record".into(),
        ),
        MilligramBasis::VialStrength => step(
            "Dose in mg (beside the IU)",
            format!(
                "{} mL × {} mg/mL (from vial strength)",
                grouped(round_for_display(volume, 4)),
                grouped(limits::MG_PER_ML)
            ),
            format!("{} mg", grouped(milligrams)),
            "Reconstituted 1.1 mg/mL [LABEL-2024 §11]; the IU is the dose of record".into(),
        ),
    });
    let mut volume_step = step(
        "Drug volume (mL)",
        format!("{} IU ÷ {} IU/mL (18 MIU/mL)", grouped(dose), grouped(limits::IU_PER_ML)),
        if volume_shown == volume {
            format!("{} mL", grouped(volume_shown))
        } else {
            format!("{} mL (exactly {} mL)", grouped(volume_shown), grouped(round_for_display(volume, 4)))
        },
        "Reconstituted with 1.2 mL sterile water: 18,000,000 IU per mL [LABEL-2024 §11]; measured to 0.01 mL".into(),
    );
    if volume < limits::SMALLEST_MEASURABLE_ML {
        volume_step.flag = Some(format!(
            "{} mL cannot be measured with a standard syringe (below {} mL): pharmacist preparation needed",
            grouped(round_for_display(volume, 4)),
            grouped(limits::SMALLEST_MEASURABLE_ML)
        ));
    }
    steps.push(volume_step);
    steps.push(step(
        "Vials",
        format!(
            "{} mL ÷ {} mL per vial, rounded up",
            grouped(round_for_display(volume, 4)),
            grouped(limits::ML_PER_VIAL)
        ),
        format!(
            "{} vial{} of 22,000,000 IU (22 MIU)",
            calculation.vials,
            if calculation.vials == 1 { "" } else { "s" }
        ),
        "1.2 mL withdrawable counted per vial, so the count never falls short [PRODUCT, DOSING §6]".into(),
    ));
    if let Some(dilution) = calculation.dilution {
        let bin = limits::BAG_BINS.iter().find(|(upper, _)| dose <= *upper);
        let bag_working = match bin {
            Some((upper, _)) => {
                format!("{} MIU is at most {} MIU", grouped(dose / dec!(1000000)), grouped(*upper / dec!(1000000)))
            }
            None => format!("{} MIU is above 60 MIU", grouped(dose / dec!(1000000))),
        };
        steps.push(step(
            "D5W bag",
            bag_working,
            format!("{} mL 5% dextrose", grouped(dilution.bag.value())),
            "Up to 25.4 MIU: 25 mL; up to 60 MIU: 50 mL; above: 100 mL [HANDBOOK]".into(),
        ));
        let concentration = round_for_display(dilution.final_concentration.value(), 1);
        let mut concentration_step = step(
            "Final concentration",
            format!(
                "{} mg × 1000 ÷ ({} mL + {} mL)",
                grouped(round_for_display(calculation.dose_mg.value(), 4)),
                grouped(dilution.bag.value()),
                grouped(volume_shown)
            ),
            format!(
                "{} µg/mL in {} mL",
                grouped(concentration),
                grouped(round_for_display(dilution.final_volume.value(), 2))
            ),
            "Target 30 to 70 µg/mL [HANDBOOK]; outside: review, below 30 add albumin 0.1% first [GLOBALRPH]".into(),
        );
        let (low, high) = limits::CONCENTRATION_UG_PER_ML;
        if dilution.final_concentration.value() < low || dilution.final_concentration.value() > high {
            concentration_step.flag =
                Some(format!("{} µg/mL is outside 30 to 70 µg/mL: pharmacist review", grouped(concentration)));
        }
        steps.push(concentration_step);
    }
    steps.push(step(
        "Use by",
        "prepared at + 48 h".into(),
        format!("{} h from preparation to the end of infusion", limits::STABILITY.as_hours()),
        "Stability after preparation [HANDBOOK]".into(),
    ));
    steps
}

fn working_table(steps: &[Step]) -> Markup {
    html! {
        div.scroll {
            table.working {
                thead { tr { th scope="col" { "Step" } th scope="col" { "Working" } th scope="col" { "Result" } th scope="col" { "Rule" } } }
                tbody {
                    @for step in steps {
                        tr {
                            th scope="row" { (step.what) }
                            td { (step.working) }
                            td { strong { (step.result) } @if let Some(flag) = &step.flag { br; span.flag { "⚠ " (flag) } } }
                            td.rule { (step.rule) }
                        }
                    }
                }
            }
        }
    }
}

fn measured_words(from: &MeasuredBy, zone: &str) -> String {
    match from {
        MeasuredBy::CourseStart => "recorded at the start of the course".into(),
        MeasuredBy::Desk { by, at_ms } => format!("entered at the desk by {by} at {}", local_time(*at_ms, zone)),
        MeasuredBy::Missing => "not recorded".into(),
    }
}

/// The latest verification of a course in words for the nurse: "Verified by X at T, lot L (expires E)".
pub fn verified_words(verification: &DoseVerification, zone: &str) -> String {
    format!(
        "Verified by {} at {}, lot {} (lot expires {}); prepared {}, use by {}",
        verification.verified_by,
        local_time(verification.verified_at_ms, zone),
        verification.lot,
        verification.lot_expires_on,
        local_time(verification.prepared_at_ms, zone),
        local_time(verification.expires_at_ms, zone)
    )
}

/// The pharmacist's sign-off for the course page and the dose form, from the course's latest verification
/// (`il2care_app::pharmacy::latest_verification`).
pub fn verification_block(latest: Option<&DoseVerification>, zone: &str) -> Markup {
    html! {
        p.verification {
            @match &latest {
                Some(verification) => {
                    strong { "Pharmacy: " } (verified_words(verification, zone)) ". "
                    a href=(format!("/pharmacy/verifications/{}/label", verification.id)) { "Label" }
                }
                None => { strong { "Pharmacy: " } "no prepared dose verified yet for this course." }
            }
        }
    }
}

/// A refused desk form sent back to its course.
struct Back<'a> {
    course_id: i64,
    /// `verify` or `measure`.
    form: &'static str,
    pairs: &'a Pairs,
    refusal: &'a Refusal,
}

/// `GET /pharmacy` (pharmacist; also nurse and physician).
pub async fn desk_page(State(state): State<AppState>, actor: Result<Actor, AppError>) -> PageResult {
    let actor = signed_in(actor)?;
    desk_with(&state, &actor, None).await.map(page)
}

async fn desk_with(state: &AppState, actor: &Actor, back: Option<&Back<'_>>) -> Result<Markup, PageError> {
    let desk = desk::desk(&state.store, actor.app(), crate::now()).await.map_err(AppError::from)?;
    let may_verify = actor.role() == Role::Pharmacist;
    let may_measure = matches!(actor.role(), Role::Pharmacist | Role::Physician);
    let may_screen = matches!(actor.role(), Role::Pharmacist | Role::Physician);
    let token = crate::auth::new_token()?;
    Ok(shell(
        "Pharmacy",
        Some(actor),
        Audience::Staff,
        html! { style { (maud::PreEscaped(DESK_STYLE)) } },
        html! {
            h1 { "Pharmacy: dose preparation and verification" }
            p.note { "Each course's dose worked step by step from its regimen and dosing weight, with the rule of each step. "
                "Verify and sign off each prepared dose; print its label." }
            @for entry in &desk {
                @for view in &entry.courses {
                    (course_section(&entry.patient, view, back.filter(|back| back.course_id == view.course.id), may_verify, may_measure))
                }
            }
            h2 id="screening" { "Pre-treatment screening" }
            p.note { "The latest screening of each patient. Enter a screening in its form; the JSON import below is for documents from elsewhere." }
            @for (patient, screening) in desk.iter().map(|entry| (&entry.patient, entry.latest_screening.as_ref().map(|screening| screening_view(screening, &entry.patient.time_zone)))) {
                section id=(format!("screening-{}", patient.id)) aria-labelledby=(format!("screening-heading-{}", patient.id)) {
                    h3 id=(format!("screening-heading-{}", patient.id)) { (patient.display_name) " (" (patient.mrn) ")" }
                    (super::staff::screening_block(screening.as_ref()))
                    p { a href=(format!("/patients/{}/screening", patient.id)) { "Open the screening form" } }
                }
            }
            @if may_screen {
                details {
                    summary { "Import a screening document (JSON)" }
                    p.note { "A screening document as in docs/screening.md, evaluated and stored with its result." }
                    form.stack method="post" action="/pharmacy/screenings" {
                        input type="hidden" name="client_id" value=(token);
                        div.field {
                            label for="screen-patient" { "Patient" }
                            select id="screen-patient" name="patient_id" {
                                @for patient in desk.iter().map(|entry| &entry.patient) { option value=(patient.id) { (patient.display_name) " (" (patient.mrn) ")" } }
                            }
                        }
                        div.field {
                            label for="screen-document" { "Screening document (JSON)" }
                            textarea id="screen-document" name="document" rows="8" cols="40" required {}
                        }
                        button type="submit" { "Import and screen" }
                    }
                }
            }
        },
    ))
}

fn course_section(
    patient: &desk::Patient,
    view: &DeskCourse,
    back: Option<&Back<'_>>,
    may_verify: bool,
    may_measure: bool,
) -> Markup {
    let zone = &patient.time_zone;
    let course_id = view.course.id;
    let anchor = format!("course-{course_id}");
    let value = |form: &str, name: &str| {
        back.filter(|back| back.form == form).and_then(|back| forms::field(back.pairs, name)).unwrap_or("").to_string()
    };
    let marked = |form: &str, name: &str| back.is_some_and(|back| back.form == form && back.refusal.field == name);
    let missing = match &view.dose.calculation {
        Err(refusal) if refusal.field == "weight" || refusal.field == "height" => Some(refusal.field.clone()),
        _ => None,
    };
    html! {
        section.course id=(anchor) aria-labelledby=(format!("{anchor}-heading")) {
            h2 id=(format!("{anchor}-heading")) { (patient.display_name) " (MRN " (patient.mrn) "): " (view.course.regimen) }
            p.note { "Weight " (measured_words(&view.dose.weight_from, zone))
                @if view.dose.height_from != MeasuredBy::Missing { "; height " (measured_words(&view.dose.height_from, zone)) } "." }
            @if let Some(back) = back {
                div.error role="alert" {
                    p { strong { "Not stored: please check " (super::words::code_text(&back.refusal.field)) ". " } (back.refusal.reason) }
                }
            }
            @match &view.dose.calculation {
                Ok(calculation) => {
                    (working_table(&working(calculation)))
                    @for warning in &calculation.warnings { p.error { (warning.message) " [" (warning.source.0) "]" } }
                }
                Err(refusal) => { p.error { "Cannot calculate: " (super::words::code_text(&refusal.field)) " " (refusal.reason) } }
            }
            @if may_measure {
                @let code = missing.clone().unwrap_or_default();
                @if !code.is_empty() || back.is_some_and(|back| back.form == "measure") {
                    @let code = if code.is_empty() { value("measure", "code") } else { code };
                    @let (units, label) = if code == "height" { (&[("cm", "cm"), ("m", "m"), ("[in_i]", "in")][..], "Height") } else { (&[("kg", "kg"), ("[lb_av]", "lb")][..], "Dosing weight") };
                    form.stack.measure method="post" action=(format!("/pharmacy/courses/{course_id}/measurements")) {
                        input type="hidden" name="patient_id" value=(patient.id);
                        input type="hidden" name="code" value=(code);
                        div.field.invalid[marked("measure", "value")] {
                            label for=(format!("{anchor}-value")) { "Enter the " (label.to_lowercase()) " (measured before dose 1)" }
                            span.quantity {
                                input type="text" inputmode="decimal" id=(format!("{anchor}-value")) name="value" value=(value("measure", "value")) required
                                    aria-invalid=[marked("measure", "value").then_some("true")];
                                select name="unit" aria-label=(format!("{label} unit")) {
                                    option value="" { "— unit —" }
                                    @for (unit, words) in units { option value=(unit) selected[value("measure", "unit") == *unit] { (words) } }
                                }
                            }
                        }
                        button type="submit" { "Save " (label.to_lowercase()) }
                    }
                }
            }
            @if may_verify && view.dose.calculation.is_ok() {
                form.stack.verify method="post" action=(format!("/pharmacy/courses/{course_id}/verifications")) {
                    input type="hidden" name="patient_id" value=(patient.id);
                    fieldset {
                        legend { "Verify and sign off the prepared dose" }
                        div.field.invalid[marked("verify", "lot")] {
                            label for=(format!("{anchor}-lot")) { "Vial lot number" }
                            input type="text" id=(format!("{anchor}-lot")) name="lot" maxlength="40" value=(value("verify", "lot")) required
                                aria-invalid=[marked("verify", "lot").then_some("true")];
                        }
                        div.field.invalid[marked("verify", "lot_expires_on")] {
                            label for=(format!("{anchor}-expiry")) { "Lot expiry date" }
                            input type="date" id=(format!("{anchor}-expiry")) name="lot_expires_on" value=(value("verify", "lot_expires_on")) required
                                aria-invalid=[marked("verify", "lot_expires_on").then_some("true")];
                        }
                        div.field.invalid[marked("verify", "prepared_at")] {
                            label for=(format!("{anchor}-prepared")) { "Prepared at (empty: now; " (zone) ")" }
                            input type="datetime-local" id=(format!("{anchor}-prepared")) name="prepared_at" value=(value("verify", "prepared_at"))
                                aria-invalid=[marked("verify", "prepared_at").then_some("true")];
                        }
                        div.field.invalid[marked("verify", "slot")] {
                            label for=(format!("{anchor}-slot")) { "Dose slot (optional)" }
                            input type="number" min="1" step="1" id=(format!("{anchor}-slot")) name="slot" value=(value("verify", "slot"));
                        }
                        button.primary type="submit" { "Verify and sign off" }
                    }
                }
            }
            @if !view.verifications.is_empty() {
                ul.verifications {
                    @for verification in &view.verifications {
                        li { (verified_words(verification, zone)) ". "
                            a href=(format!("/pharmacy/verifications/{}/label", verification.id)) { "Print the label and worksheet" } }
                    }
                }
            }
        }
    }
}

fn see_other(target: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, target.to_string())]).into_response()
}

fn patient_of(pairs: &Pairs) -> Result<i64, Refusal> {
    forms::field(pairs, "patient_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Refusal::new("patient_id", "is required"))
}

/// `POST /pharmacy/courses/{course_id}/verifications` (pharmacist): verifies through the API's function and shows
/// the label; a refusal comes back on the desk at its course (422), the form filled in.
pub async fn verify(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(course_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let pairs: &Pairs = &pairs;
    let patient_id = patient_of(pairs)?;
    let field = |name: &str| forms::field(pairs, name).map(str::to_string);
    let form = DeskVerification {
        lot: field("lot"),
        lot_expires_on: field("lot_expires_on"),
        prepared_at: field("prepared_at"),
        slot: field("slot"),
    };
    let outcome: Result<DoseVerification, AppError> =
        desk::verify_at_desk(&state.store, actor.app(), patient_id, course_id, &form, crate::now())
            .await
            .map_err(AppError::from);
    match outcome {
        Ok(stored) => Ok(see_other(&format!("/pharmacy/verifications/{}/label", stored.id))),
        Err(AppError::Refused(refusal)) => {
            let back = Back { course_id, form: "verify", pairs, refusal: &refusal };
            let markup = desk_with(&state, &actor, Some(&back)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /pharmacy/courses/{course_id}/measurements` (pharmacist, physician): a missing dosing weight or height,
/// through the API's function; a refusal comes back on the desk at its course (422).
pub async fn measure(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(course_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let pairs: &Pairs = &pairs;
    let patient_id = patient_of(pairs)?;
    let outcome = async {
        let value = match forms::field(pairs, "value") {
            None => Value::Null,
            Some(text) => {
                let number: Decimal = text.parse().map_err(|_| {
                    Refusal::new("value", format!("`{text}` is not a number; write digits such as 80.5"))
                })?;
                match forms::field(pairs, "unit") {
                    Some(unit) => json!({"value": il2care_wire::json::number(number), "unit": unit}),
                    None => il2care_wire::json::number(number),
                }
            }
        };
        let document = json!({"code": forms::field(pairs, "code").unwrap_or(""), "value": value});
        crate::api::pharmacy::measurement_document(&state, &actor, patient_id, course_id, &document.to_string()).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/pharmacy#course-{course_id}"))),
        Err(AppError::Refused(refusal)) => {
            let back = Back { course_id, form: "measure", pairs, refusal: &refusal };
            let markup = desk_with(&state, &actor, Some(&back)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(markup)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /pharmacy/verifications/{id}/label` (the care team): the preparation label and worksheet, for print.
pub async fn label(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Path(verification_id): Path<i64>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let desk::Label { verification, patient, course, dose } =
        desk::label(&state.store, actor.app(), verification_id, crate::now()).await.map_err(AppError::from)?;
    let zone = &patient.time_zone;
    let iu: Decimal = verification.dose_iu.parse().unwrap_or_default();
    let steps = dose.calculation.as_ref().map(working).unwrap_or_default();
    let differs = dose.calculation.as_ref().is_ok_and(|calculation| calculation.dose.value() != iu);
    Ok(page(shell(
        "Preparation label",
        Some(&actor),
        Audience::Staff,
        html! { style { (maud::PreEscaped(LABEL_STYLE)) } },
        html! {
            h1.no-print { "Preparation label and worksheet" }
            p.no-print { "Print this page (the navigation is left out). " a href=(format!("/pharmacy#course-{}", course.id)) { "Back to the desk" } }
            section.label aria-label="Preparation label" {
                p.drug { strong { "Aldesleukin (interleukin-2)" } }
                dl {
                    dt { "Patient" } dd { (patient.display_name) }
                    dt { "MRN" } dd { (patient.mrn) }
                    dt { "Born" } dd { (patient.date_of_birth) }
                    dt { "Dose" } dd { strong { (iu_text(iu)) } }
                    dt { "Drug volume" } dd { (verification.volume_ml) " mL reconstituted (18 MIU/mL)" }
                    @if let Some(bag) = &verification.bag_ml {
                        dt { "Diluent" } dd { "in " (bag) " mL 5% dextrose (D5W)" }
                    }
                    @if let Some(concentration) = &verification.final_concentration {
                        dt { "Final concentration" } dd { (concentration) " µg/mL" }
                    }
                    dt { "Regimen" } dd { (course.regimen) @if let Some(slot) = verification.slot_number { ", slot " (slot) } }
                    dt { "Prepared at" } dd { (local_time(verification.prepared_at_ms, zone)) }
                    dt { "Expires at" } dd { strong { (local_time(verification.expires_at_ms, zone)) } " (prepared + 48 h)" }
                    dt { "Lot" } dd { (verification.lot) " (expires " (verification.lot_expires_on) ")" }
                    dt { "Verified by" } dd { (verification.verified_by) " at " (local_time(verification.verified_at_ms, zone)) }
                }
                p.note { "Times in " (zone) "." }
            }
            section.worksheet aria-labelledby="worksheet-heading" {
                h2 id="worksheet-heading" { "Worksheet" }
                @if differs { p.error { "The course's dose today differs from the verified dose: check the weight before use." } }
                (working_table(&steps))
            }
        },
    )))
}

/// `POST /pharmacy/screenings` (pharmacist, physician): imports a screening document (JSON) like
/// `POST /api/v1/patients/{id}/screenings`, then shows the patient's result on the desk.
pub async fn import_screening(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let patient_id: i64 = forms::field(&pairs, "patient_id")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| Refusal::new("patient_id", "choose a patient"))?;
    let text =
        forms::field(&pairs, "document").ok_or_else(|| Refusal::new("document", "paste the screening document"))?;
    let mut document = il2care_wire::json::parse_object(text)?;
    if let Some(client_id) = forms::field(&pairs, "client_id") {
        document.insert("client_id".into(), json!(client_id));
    }
    let document = Value::Object(document).to_string();
    crate::api::screenings::submit_document(&state, &actor, patient_id, &document).await?;
    Ok(see_other(&format!("/pharmacy#screening-{patient_id}")))
}

const DESK_STYLE: &str = "
table.working td.rule { font-size: .85em; color: #333; }
span.flag { color: #8a1c00; font-weight: 600; }
.quantity { display: flex; gap: .5em; flex-wrap: wrap; }
section.course { border-top: 1px solid #999; margin-top: 1em; }
";

/// The label prints alone: no navigation, no forms, the label boxed, the worksheet after it; on a phone it fits
/// the width (the worksheet scrolls its table only).
const LABEL_STYLE: &str = "
section.label { border: 2px solid #111; padding: .75em; max-width: 28rem; }
section.label dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em .75em; margin: 0; }
section.label dt { font-weight: 600; }
section.label dd { margin: 0; overflow-wrap: anywhere; }
p.drug { font-size: 1.2em; margin-top: 0; }
table.working td.rule { font-size: .85em; }
span.flag { color: #8a1c00; font-weight: 600; }
@media print {
  .no-print, footer.disclaimer { display: none; }
  main { padding: 0; max-width: none; }
  section.label { page-break-after: always; }
  .scroll { overflow: visible; }
}
";

#[cfg(test)]
mod tests {
    use il2care_core::dosing::{DoseRequest, calculate};
    use il2care_core::regimens::regimen;
    use il2care_core::units::{Centimetres, Kilograms, Measure};

    use super::*;

    fn hd(weight: Decimal) -> DoseCalculation {
        let request = DoseRequest {
            regimen: regimen("hd-iv").unwrap(),
            level: None,
            weight: Some(Kilograms::new(weight).unwrap()),
            height: None,
            prepared_at: None,
        };
        calculate(request).unwrap()
    }

    fn result_of(steps: &[Step], what: &str) -> String {
        steps.iter().find(|step| step.what == what).map(|step| step.result.clone()).unwrap_or_default()
    }

    #[test]
    fn numbers_are_written_as_pharmacists_write_them() {
        assert_eq!(iu_text(dec!(50400000)), "50,400,000 IU (50.4 MIU)");
        assert_eq!(iu_text(dec!(48000000)), "48,000,000 IU (48 MIU)");
        assert_eq!(iu_text(dec!(1000000)), "1,000,000 IU (1 MIU)");
        assert_eq!(grouped(dec!(1200)), "1,200");
        assert_eq!(grouped(dec!(600000)), "600,000");
        assert_eq!(grouped(dec!(2.80)), "2.8");
        assert_eq!(grouped(dec!(999)), "999");
    }

    #[test]
    fn the_working_of_84_kg_goes_from_weight_to_final_concentration_with_each_rule() {
        let steps = working(&hd(dec!(84)));
        let whats: Vec<&str> = steps.iter().map(|step| step.what).collect();
        assert_eq!(
            whats,
            [
                "Dosing weight",
                "Dose of record (IU)",
                "Dose in mg (beside the IU)",
                "Drug volume (mL)",
                "Vials",
                "D5W bag",
                "Final concentration",
                "Use by"
            ]
        );
        assert_eq!(result_of(&steps, "Dose of record (IU)"), "50,400,000 IU (50.4 MIU)");
        assert_eq!(result_of(&steps, "Drug volume (mL)"), "2.8 mL");
        assert_eq!(result_of(&steps, "Dose in mg (beside the IU)"), "3.108 mg");
        assert_eq!(result_of(&steps, "Vials"), "3 vials of 22,000,000 IU (22 MIU)");
        assert_eq!(result_of(&steps, "D5W bag"), "50 mL 5% dextrose");
        assert!(steps.iter().all(|step| !step.rule.is_empty()), "every step names its rule");
        assert!(steps.iter().all(|step| !step.result.contains("[iU]")), "never a UCUM code for people");
        assert!(steps[2].rule.contains("0.037 mg/kg"), "the label pair is named: {}", steps[2].rule);
    }

    #[test]
    fn the_bag_bins_are_shown_at_their_boundaries() {
        // 25.4 MIU at 600,000 IU/kg is 42.333 kg: 42 kg is under, 43 kg over the first bin.
        assert_eq!(result_of(&working(&hd(dec!(42))), "D5W bag"), "25 mL 5% dextrose");
        assert_eq!(result_of(&working(&hd(dec!(43))), "D5W bag"), "50 mL 5% dextrose");
        assert_eq!(result_of(&working(&hd(dec!(100))), "D5W bag"), "50 mL 5% dextrose", "60 MIU is the 50 mL bin");
        assert_eq!(result_of(&working(&hd(dec!(101))), "D5W bag"), "100 mL 5% dextrose");
    }

    #[test]
    fn a_volume_that_needs_more_than_0_01_ml_shows_its_exact_value() {
        let steps = working(&hd(dec!(80)));
        assert_eq!(result_of(&steps, "Drug volume (mL)"), "2.67 mL (exactly 2.6667 mL)");
    }

    #[test]
    fn a_subcutaneous_volume_below_0_10_ml_is_flagged() {
        let ld = |regimen_id: &str| {
            let regimen = regimen(regimen_id).unwrap();
            calculate(DoseRequest {
                regimen,
                level: None,
                weight: Some(Kilograms::new(dec!(70)).unwrap()),
                height: Some(Centimetres::new(dec!(170)).unwrap()),
                prepared_at: None,
            })
            .unwrap()
        };
        for regimen in il2care_core::regimens::REGIMENS.iter().filter(|regimen| regimen.id != "hd-iv") {
            let calculation = ld(regimen.id);
            let flagged = working(&calculation).iter().any(|step| {
                step.flag.as_deref().is_some_and(|f| f.contains("cannot be measured with a standard syringe"))
            });
            assert_eq!(flagged, calculation.volume.value() < dec!(0.10), "{}", regimen.id);
        }
    }
}
