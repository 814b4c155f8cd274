//! Every code table il2care speaks to other systems with, in one place: \[LOINC\] codes and UCUM units of the
//! observation codes, the aldesleukin codes (SNOMED CT, RxNorm, ATC), the code systems il2care defines for its
//! own local codes, and the CTCAE term system.
//!
//! Tables only: nothing here parses, renders or decides. The LOINC code of an observation comes from the core's
//! `ObservationCode::loinc`, so the core and the FHIR edge cannot disagree.

use il2care_core::assessment::inputs::{ALL_OBSERVATION_CODES, ObservationCode};

/// The LOINC code system.
pub const LOINC: &str = "http://loinc.org";
/// The UCUM code system (`valueQuantity.system`).
pub const UCUM: &str = "http://unitsofmeasure.org";
/// SNOMED CT.
pub const SNOMED_CT: &str = "http://snomed.info/sct";
/// RxNorm.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// The WHO ATC classification.
pub const ATC: &str = "http://www.whocc.no/atc";
/// FHIR's observation categories.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// il2care's own observation codes (every observation carries one beside its LOINC code).
pub const IL2CARE_OBSERVATION: &str = "urn:il2care:observation-code";
/// il2care's lasting patient flags.
pub const IL2CARE_FLAG: &str = "urn:il2care:flag";
/// il2care's per-dose decisions.
pub const IL2CARE_DECISION: &str = "urn:il2care:decision";
/// il2care's courses (the identifier of a course's MedicationRequest).
pub const IL2CARE_COURSE: &str = "urn:il2care:course";
/// il2care's medical record numbers (the identifier of a Patient).
pub const IL2CARE_MRN: &str = "urn:il2care:mrn";
/// The client-supplied idempotency key of an observation (its `identifier`).
pub const IL2CARE_CLIENT_ID: &str = "urn:il2care:client-id";
/// Identifies a MedicationAdministration as a low-dose injection from il2care's injection log (exported only).
pub const IL2CARE_INJECTION: &str = "urn:il2care:injection";
/// The injection sites of the injection log (`abdomen_left`, ...).
pub const IL2CARE_INJECTION_SITE: &str = "urn:il2care:injection-site";
/// The extension that carries an injection's planned shot (slot number) on a MedicationAdministration.
pub const EXTENSION_INJECTION_SLOT: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "injection-slot");
/// The extension that carries an injection's dose level id on a MedicationAdministration.
pub const EXTENSION_DOSE_LEVEL: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "dose-level");
/// MedicationAdministration categories (HL7 terminology): `community` for a shot given at home.
pub const MEDICATION_ADMIN_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/medication-admin-category";
/// SNOMED CT: intravenous route.
pub const SNOMED_INTRAVENOUS: &str = "47625008";
/// The reason codes of an override or a hold (ASSESSMENT §10.6: `finding_resolved_on_review`, ...).
pub const IL2CARE_OVERRIDE_REASON: &str = "urn:il2care:override-reason";
/// SNOMED CT: subcutaneous route.
pub const SNOMED_SUBCUTANEOUS: &str = "34206005";
/// il2care's triage levels (self_care, call_today, call_now, emergency).
pub const IL2CARE_TRIAGE_LEVEL: &str = "urn:il2care:triage-level";
/// The extension that carries a patient's IANA time zone.
pub const EXTENSION_TIME_ZONE: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "time-zone");
/// The canonical URL of the check-in questionnaire.
pub const CHECKIN_QUESTIONNAIRE: &str = "urn:il2care:questionnaire:checkin";
/// The extension that carries a course's regimen id on a MedicationRequest.
pub const EXTENSION_REGIMEN: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "regimen");
/// The extension that carries a course's rule set on a MedicationRequest.
pub const EXTENSION_RULE_SET: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "rule-set");
/// The extension that carries a course's baseline weight on a MedicationRequest.
pub const EXTENSION_BASELINE_WEIGHT: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "baseline-weight");
/// The extension that carries a course's baseline creatinine on a MedicationRequest.
pub const EXTENSION_BASELINE_CREATININE: &str =
    concat!("https://il2care.org/fhir/StructureDefinition/", "baseline-creatinine");

/// The blood-pressure panel, whose components are the systolic and diastolic pressures.
pub const LOINC_BLOOD_PRESSURE_PANEL: &str = "85354-9";
/// The second SpO2 code INTERFACES accepts (oxygen saturation by pulse oximetry).
pub const LOINC_SPO2_PULSE_OXIMETRY: &str = "59408-5";

/// Aldesleukin: SNOMED CT substance (INTERFACES).
pub const ALDESLEUKIN_SNOMED: &str = "386917000";
/// Aldesleukin: RxNorm ingredient (INTERFACES; verify against RxNav before release).
pub const ALDESLEUKIN_RXNORM: &str = "70223";
/// Aldesleukin: ATC.
pub const ALDESLEUKIN_ATC: &str = "L03AC01";
/// The display name used with every aldesleukin code.
pub const ALDESLEUKIN_DISPLAY: &str = "aldesleukin";

/// The aldesleukin codings, as (system, code), in the order they are written.
pub const ALDESLEUKIN_CODINGS: [(&str, &str); 3] =
    [(RXNORM, ALDESLEUKIN_RXNORM), (SNOMED_CT, ALDESLEUKIN_SNOMED), (ATC, ALDESLEUKIN_ATC)];

/// Whether a (system, code) pair names aldesleukin.
pub fn is_aldesleukin(system: &str, code: &str) -> bool {
    ALDESLEUKIN_CODINGS.iter().any(|(known_system, known_code)| *known_system == system && *known_code == code)
}

/// The UCUM units INTERFACES accepts for an observation code, the first being the one il2care prefers.
pub const fn ucum_units(code: ObservationCode) -> &'static [&'static str] {
    match code {
        ObservationCode::SystolicBp | ObservationCode::DiastolicBp => &["mm[Hg]"],
        ObservationCode::HeartRate | ObservationCode::RespiratoryRate => &["/min"],
        ObservationCode::Temperature => &["Cel", "[degF]"],
        ObservationCode::Spo2 | ObservationCode::Fio2 => &["%"],
        ObservationCode::Weight => &["kg", "g", "[lb_av]"],
        ObservationCode::Height => &["cm", "m", "[in_i]"],
        ObservationCode::UrineOutput | ObservationCode::StoolOutput => &["mL"],
        ObservationCode::OxygenFlow => &["L/min"],
        ObservationCode::Creatinine | ObservationCode::BilirubinTotal => &["mg/dL", "umol/L"],
        ObservationCode::Alt | ObservationCode::Ast => &["U/L"],
        ObservationCode::Platelets | ObservationCode::Wbc | ObservationCode::Anc => &["10*3/uL", "10*9/L"],
        ObservationCode::Hemoglobin => &["g/dL", "g/L"],
        ObservationCode::Potassium => &["mmol/L"],
        ObservationCode::Bicarbonate => &["mmol/L", "meq/L"],
        ObservationCode::PhenylephrineRate => &["ug/kg/min"],
        ObservationCode::Sodium => &["mmol/L", "meq/L"],
        ObservationCode::Lymphocytes => &["10*3/uL", "10*9/L"],
    }
}

/// A human-readable name for an observation code (the `display` of its coding and the `text` of its concept).
pub const fn display(code: ObservationCode) -> &'static str {
    match code {
        ObservationCode::SystolicBp => "Systolic blood pressure",
        ObservationCode::DiastolicBp => "Diastolic blood pressure",
        ObservationCode::HeartRate => "Heart rate",
        ObservationCode::RespiratoryRate => "Respiratory rate",
        ObservationCode::Temperature => "Body temperature",
        ObservationCode::Spo2 => "Oxygen saturation in arterial blood",
        ObservationCode::Weight => "Body weight",
        ObservationCode::Height => "Body height",
        ObservationCode::UrineOutput => "Urine output",
        ObservationCode::OxygenFlow => "Inhaled oxygen flow rate",
        ObservationCode::Creatinine => "Creatinine [Mass/volume] in Serum or Plasma",
        ObservationCode::BilirubinTotal => "Bilirubin.total [Mass/volume] in Serum or Plasma",
        ObservationCode::Alt => "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        ObservationCode::Ast => "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
        ObservationCode::Platelets => "Platelets [#/volume] in Blood",
        ObservationCode::Wbc => "Leukocytes [#/volume] in Blood",
        ObservationCode::Anc => "Neutrophils [#/volume] in Blood",
        ObservationCode::Hemoglobin => "Hemoglobin [Mass/volume] in Blood",
        ObservationCode::Potassium => "Potassium [Moles/volume] in Serum or Plasma",
        ObservationCode::Bicarbonate => "Bicarbonate [Moles/volume] in Serum or Plasma",
        ObservationCode::Fio2 => "Inhaled oxygen concentration",
        ObservationCode::StoolOutput => "Stool output",
        ObservationCode::PhenylephrineRate => "Phenylephrine infusion rate",
        ObservationCode::Sodium => "Sodium [Moles/volume] in Serum or Plasma",
        ObservationCode::Lymphocytes => "Lymphocytes [#/volume] in Blood",
    }
}

/// The canonical base of il2care's StructureDefinitions (its extensions): `{base}/<name>`. il2care serves each
/// one at `{public URL}/fhir/StructureDefinition/<name>`, so the URLs resolve when the public URL is
/// `https://il2care.org`; elsewhere they are stable names, as FHIR canonical URLs are.
pub const STRUCTURE_DEFINITION_BASE: &str = "https://il2care.org/fhir/StructureDefinition";
/// The extension that marks a dose given against a decision other than `give` (an override): its decision,
/// reason code, reason in words and co-signer, as sub-extensions.
pub const EXTENSION_OVERRIDE: &str = concat!("https://il2care.org/fhir/StructureDefinition/", "override");

/// The LOINC codes of FHIR R4's vital-signs value set (`http://hl7.org/fhir/ValueSet/observation-vitalsignresult`).
pub const VITAL_SIGNS_LOINC: [&str; 13] = [
    "85353-1", "9279-1", "8867-4", "2708-6", "8310-5", "8302-2", "9843-4", "29463-7", "39156-5", "85354-9", "8480-6",
    "8462-4", "8478-0",
];

/// The FHIR observation category: `vital-signs` only for a code in FHIR's vital-signs value set, `laboratory` for
/// labs, `exam` for measured outputs (urine, stool), `therapy` for what describes a treatment (oxygen flow,
/// FiO2, a vasopressor rate).
pub fn category(code: ObservationCode) -> &'static str {
    if code.is_lab() {
        return "laboratory";
    }
    if code.loinc().is_some_and(|loinc| VITAL_SIGNS_LOINC.contains(&loinc)) {
        return "vital-signs";
    }
    match code {
        ObservationCode::UrineOutput | ObservationCode::StoolOutput => "exam",
        _ => "therapy",
    }
}

/// The observation code a (system, code) coding names: LOINC (including the second SpO2 code) or il2care's own.
pub fn observation_code(system: &str, code: &str) -> Option<ObservationCode> {
    match system {
        LOINC if code == LOINC_SPO2_PULSE_OXIMETRY => Some(ObservationCode::Spo2),
        LOINC => ALL_OBSERVATION_CODES.into_iter().find(|candidate| candidate.loinc() == Some(code)),
        IL2CARE_OBSERVATION => ObservationCode::from_id(code),
        _ => None,
    }
}

/// The lasting flags il2care keeps, with their display text.
pub const FLAGS: [(&str, &str); 2] = [
    ("received_interleukin_2", "Received interleukin-2 (aldesleukin): delayed reactions to iodinated contrast"),
    ("il2_retreatment_contraindicated", "Interleukin-2 retreatment contraindicated"),
];

/// The display text of a lasting flag, `None` for a code il2care does not keep.
pub fn flag_display(code: &str) -> Option<&'static str> {
    FLAGS.iter().find(|(known, _)| *known == code).map(|(_, display)| *display)
}

/// CTCAE v5.0 terms are written as text with this system (il2care names them as CTCAE v5.0 does); no MedDRA
/// codes are claimed until a reviewed table exists.
pub const CTCAE_TERM: &str = "urn:il2care:ctcae-v5-term";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_observation_code_round_trips_through_its_loinc_or_local_coding() {
        for code in ALL_OBSERVATION_CODES {
            let (system, value) = match code.loinc() {
                Some(loinc) => (LOINC, loinc),
                None => (IL2CARE_OBSERVATION, code.id()),
            };
            assert_eq!(observation_code(system, value), Some(code), "{}", code.id());
            assert_eq!(observation_code(IL2CARE_OBSERVATION, code.id()), Some(code));
            assert!(!ucum_units(code).is_empty());
        }
    }

    #[test]
    fn the_loinc_codes_are_those_of_interfaces() {
        let expected = [
            ("systolic_bp", "8480-6"),
            ("urine_output", "9187-6"),
            ("creatinine", "2160-0"),
            ("fio2", "3150-0"),
            ("sodium", "2951-2"),
            ("lymphocytes", "731-0"),
        ];
        for (id, loinc) in expected {
            assert_eq!(ObservationCode::from_id(id).and_then(ObservationCode::loinc), Some(loinc));
        }
        assert_eq!(observation_code(LOINC, "59408-5"), Some(ObservationCode::Spo2));
        assert_eq!(observation_code(LOINC, "2339-0"), None, "glucose is not an il2care observation");
    }

    #[test]
    fn only_codes_of_the_vital_signs_value_set_are_vital_signs() {
        let vital: Vec<&str> =
            ALL_OBSERVATION_CODES.into_iter().filter(|code| category(*code) == "vital-signs").map(|c| c.id()).collect();
        assert_eq!(
            vital,
            [
                "systolic_bp",
                "diastolic_bp",
                "heart_rate",
                "respiratory_rate",
                "temperature",
                "spo2",
                "weight",
                "height"
            ]
        );
        assert_eq!(category(ObservationCode::UrineOutput), "exam");
        assert_eq!(category(ObservationCode::Fio2), "therapy");
        assert_eq!(category(ObservationCode::OxygenFlow), "therapy");
        assert_eq!(category(ObservationCode::Creatinine), "laboratory");
        assert!(EXTENSION_REGIMEN.starts_with(STRUCTURE_DEFINITION_BASE));
    }

    #[test]
    fn aldesleukin_is_recognised_by_each_of_its_codes_and_nothing_else() {
        assert!(is_aldesleukin(SNOMED_CT, "386917000"));
        assert!(is_aldesleukin(RXNORM, "70223"));
        assert!(is_aldesleukin(ATC, "L03AC01"));
        assert!(!is_aldesleukin(RXNORM, "386917000"));
    }
}
