//! Imaging orders with contrast, as reviewable data: the LOINC and SNOMED CT codes of CT studies with
//! (iodinated) contrast and MR studies with (gadolinium) contrast that il2care recognises on a ServiceRequest or
//! an ImagingStudy, each row with where its code and name were taken from; and the words that, when no code
//! matches, make an order a contrast order to review (never a silent miss).
//!
//! A row is a reviewed fact: adding or changing one is a clinical change. Codes were looked up in public
//! copies of the code systems (not in a licensed release): each row names its copy, so a reviewer can check it
//! against LOINC (<https://loinc.org>) or SNOMED CT (<https://browser.ihtsdotools.org>). SNOMED CT codes of
//! national extensions (the long ones) are left out, because their public JSON copies lose digits.
//! Pure data and a lookup; no IO.

use super::contrast::ContrastAgent;

/// LOINC's system URI.
pub const LOINC: &str = "http://loinc.org";
/// SNOMED CT's system URI.
pub const SNOMED_CT: &str = "http://snomed.info/sct";

/// Microsoft Learn, "Radiology Insights inference information (rad procedure)", Appendix A: the LOINC codes of
/// imaging procedures with their LOINC short names (the LOINC/RSNA Radiology Playbook).
const AZURE_RI_APPENDIX_A: &str =
    "learn.microsoft.com Azure AI Health Insights, Radiology Insights: radiology procedure inference, Appendix A";
/// HL7 Belgium eReferral IG, ValueSet be-vs-diagnostic-imaging-procedure (SNOMED CT procedures with their fully
/// specified names), <https://build.fhir.org/ig/hl7-be/referral-uhmep/>.
const BE_EREFERRAL_IMAGING: &str = "HL7 Belgium eReferral IG, ValueSet be-vs-diagnostic-imaging-procedure";
/// LOINC 36813-4 with the same name in several independent public LOINC lists (a radiology playbook import
/// with class RAD/CT, FHIR DiagnosticReport examples); <https://loinc.org/36813-4/>.
const LOINC_36813_4_LISTS: &str = "public LOINC lists (class RAD/CT), https://loinc.org/36813-4/";

/// One code of an imaging study with contrast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImagingContrastCode {
    pub system: &'static str,
    pub code: &'static str,
    /// The code system's own name for it.
    pub display: &'static str,
    pub agent: ContrastAgent,
    /// Where the code and its name were taken from.
    pub source: &'static str,
}

const fn row(
    system: &'static str,
    code: &'static str,
    display: &'static str,
    agent: ContrastAgent,
    source: &'static str,
) -> ImagingContrastCode {
    ImagingContrastCode { system, code, display, agent, source }
}

use ContrastAgent::{Gadolinium as Gd, Iodinated as Iod};

/// Every imaging code with contrast il2care recognises. CT with contrast is iodinated; MR with contrast is
/// gadolinium.
pub const IMAGING_CONTRAST_CODES: &[ImagingContrastCode] = &[
    row(LOINC, "24628-0", "CT Chest W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24727-0", "CT Head W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24726-2", "CT Head WO and W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24545-6", "CT Thoracic Aorta W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24691-8", "CT Extremity W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24697-5", "CT Facial bones W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "24753-6", "CT Unspecified body region W contrast IV", Iod, AZURE_RI_APPENDIX_A),
    row(LOINC, "36813-4", "CT Abdomen and Pelvis W contrast IV", Iod, LOINC_36813_4_LISTS),
    row(LOINC, "24589-4", "MR Brain W contrast IV", Gd, AZURE_RI_APPENDIX_A),
    row(LOINC, "24587-8", "MR Brain WO and W contrast IV", Gd, AZURE_RI_APPENDIX_A),
    row(LOINC, "24557-1", "MR Abdomen WO and W contrast IV", Gd, AZURE_RI_APPENDIX_A),
    row(LOINC, "24593-6", "MRA Head vessels W contrast IV", Gd, AZURE_RI_APPENDIX_A),
    row(SNOMED_CT, "1331946003", "Computed tomography with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(SNOMED_CT, "32962002", "Computed tomography of abdomen with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(
        SNOMED_CT,
        "1148701004",
        "Computed tomography of abdomen and pelvis with intravenous contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(
        SNOMED_CT,
        "432370003",
        "Computed tomography of abdomen and pelvis with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(SNOMED_CT, "75385009", "Computed tomography of thorax with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(
        SNOMED_CT,
        "429864007",
        "Computed tomography of thorax and abdomen with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(
        SNOMED_CT,
        "1148700003",
        "Computed tomography of thorax, abdomen and pelvis with intravenous contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(SNOMED_CT, "711232001", "Computed tomography of head with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(
        SNOMED_CT,
        "448335009",
        "Computed tomography of head and neck with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(SNOMED_CT, "431326009", "Computed tomography of neck with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(SNOMED_CT, "74710000", "Computed tomography of pelvis with contrast (procedure)", Iod, BE_EREFERRAL_IMAGING),
    row(
        SNOMED_CT,
        "444970007",
        "Computed tomography angiography of thoracic aorta with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(
        SNOMED_CT,
        "702430003",
        "Computed tomography angiography of head and neck with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
    row(
        SNOMED_CT,
        "419545005",
        "Computed tomography angiography of coronary artery with contrast (procedure)",
        Iod,
        BE_EREFERRAL_IMAGING,
    ),
];

/// The row of a coding, if il2care knows it (system and code exactly; LOINC also as `urn:oid:2.16.840.1.113883.6.1`
/// and SNOMED CT as `urn:oid:2.16.840.1.113883.6.96`, their HL7 OIDs).
pub fn coded_contrast(system: &str, code: &str) -> Option<&'static ImagingContrastCode> {
    let system = match system {
        "urn:oid:2.16.840.1.113883.6.1" => LOINC,
        "urn:oid:2.16.840.1.113883.6.96" => SNOMED_CT,
        other => other,
    };
    IMAGING_CONTRAST_CODES.iter().find(|row| row.system == system && row.code == code.trim())
}

/// The phrases that make an order's text a contrast order when none of its codes is in the table (fallback
/// only: the order then needs review). Matched on whole words, case and punctuation aside.
pub const CONTRAST_PHRASES: &[&str] = &[
    "with iv contrast",
    "with intravenous contrast",
    "with contrast",
    "w contrast",
    "w/ contrast",
    "w/contrast",
    "and w contrast",
];

/// Whether an order's text names a study with contrast (`CT abdomen with IV contrast`); "without contrast" and
/// "wo contrast" do not.
pub fn mentions_contrast(text: &str) -> bool {
    let words: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '/' { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let padded = format!(" {words} ");
    CONTRAST_PHRASES.iter().any(|phrase| padded.contains(&format!(" {phrase} ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_unique_and_ct_is_iodinated_mr_gadolinium() {
        for (index, row) in IMAGING_CONTRAST_CODES.iter().enumerate() {
            assert!([LOINC, SNOMED_CT].contains(&row.system), "{row:?}");
            assert!(!row.code.is_empty() && !row.display.is_empty() && !row.source.is_empty(), "{row:?}");
            let twice = IMAGING_CONTRAST_CODES[index + 1..]
                .iter()
                .any(|other| other.system == row.system && other.code == row.code);
            assert!(!twice, "{} listed twice", row.code);
            let name = row.display.to_lowercase();
            assert!(name.contains("contrast"), "{row:?}");
            let ct = name.starts_with("ct") || name.starts_with("computed tomography");
            assert_eq!(row.agent == ContrastAgent::Iodinated, ct, "{row:?}");
            if row.system == LOINC {
                // LOINC codes carry a mod-10 check digit after the dash.
                let (body, check) = row.code.split_once('-').unwrap();
                assert_eq!(loinc_check_digit(body), check.parse::<u32>().unwrap(), "{}", row.code);
            }
        }
    }

    /// LOINC's check digit (mod 10, the algorithm LOINC's users' guide gives).
    fn loinc_check_digit(body: &str) -> u32 {
        let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let mut sum = 0;
        for (position, digit) in digits.iter().rev().enumerate() {
            if position % 2 == 0 {
                let doubled = digit * 2;
                sum += doubled / 10 + doubled % 10;
            } else {
                sum += digit;
            }
        }
        (10 - sum % 10) % 10
    }

    #[test]
    fn codes_are_found_by_system_and_code_only() {
        assert_eq!(coded_contrast(LOINC, "24628-0").unwrap().agent, ContrastAgent::Iodinated);
        assert_eq!(
            coded_contrast("urn:oid:2.16.840.1.113883.6.1", "24589-4").unwrap().agent,
            ContrastAgent::Gadolinium
        );
        assert_eq!(
            coded_contrast(SNOMED_CT, "75385009").unwrap().display,
            "Computed tomography of thorax with contrast (procedure)"
        );
        assert!(coded_contrast(SNOMED_CT, "24628-0").is_none(), "a LOINC code under another system");
        assert!(coded_contrast(LOINC, "24627-2").is_none(), "CT Chest without a contrast axis");
    }

    #[test]
    fn contrast_words_match_whole_phrases_and_never_without() {
        for yes in [
            "CT abdomen with IV contrast",
            "CT chest WITH CONTRAST",
            "CT Head WO and W contrast IV",
            "MRI brain w/ contrast",
            "CT (with intravenous contrast)",
            "ct w/contrast",
        ] {
            assert!(mentions_contrast(yes), "{yes}");
        }
        for no in [
            "CT abdomen without contrast",
            "CT head WO contrast",
            "CT chest",
            "contrast nephropathy review",
            "screw contrast",
        ] {
            assert!(!mentions_contrast(no), "{no}");
        }
    }
}
