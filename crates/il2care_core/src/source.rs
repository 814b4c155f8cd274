//! Source citations: every rule, threshold and fact carries one, as in `clinical/SOURCES.md`.
//!
//! A citation is one or more source ids, each optionally with a section: `LABEL-2024 §2.4 T2`,
//! `EDU, CTCAE-5`. A test checks that every id cited anywhere in the core is one of [`SOURCE_IDS`].

use std::fmt;

/// The source ids of `clinical/SOURCES.md` (PRODUCT marks il2care's own safety choices, COMPUTED arithmetic
/// on sourced numbers).
pub const SOURCE_IDS: &[&str] = &[
    "LABEL-2024",
    "LABEL-OLD",
    "LABEL",
    "ASHP-MONO",
    "HANDBOOK",
    "MEDAFF",
    "GLOBALRPH",
    "NDC-2024",
    "DUTCHER-2014",
    "FDA-2012-ONDANSETRON",
    "SPRINGERPLUS-2015",
    "TIL-2024",
    "SCHWARTZENTRUBER-2001",
    "UPTODATE-IL2",
    "PRACTICE-GUIDE",
    "PROLEUKIN-HCP",
    "KCA",
    "SWISS-SMPC",
    "HEYWOOD-1995",
    "BELLDEGRUN-1987",
    "KONRAD-1990",
    "YANG-2003",
    "MCDERMOTT-2005",
    "KIM-2021",
    "KIRCHNER-1998",
    "SAADOUN-2011",
    "HARTEMANN-2013",
    "HE-2020",
    "KORETH-2016",
    "WHANGBO-2019",
    "LD-META-2019",
    "MOSTELLER-1987",
    "CTCAE-5",
    "CTCAE-6",
    "LOINC",
    "UCUM",
    "UKONS",
    "PRO-CTCAE",
    "PRODUCT",
    "EDU",
    "COMPUTED",
];

/// The full citation of the source ids the rule catalogue cites (title; authors or publisher; year), as in
/// `clinical/SOURCES.md`, for the staff rule catalogue page. `None` for an id without one here.
pub fn citation(id: &str) -> Option<&'static str> {
    let text = match id {
        "LABEL-2024" => {
            "Proleukin (aldesleukin) for injection, US Prescribing Information (PLR format). Iovance \
             Biotherapeutics; SPL version 7, effective 2024-12-20. §2.2 Table 1, §2.4 Table 2."
        }
        "LABEL-OLD" => {
            "Proleukin US Prescribing Information, pre-PLR format. Chiron, later Novartis and Prometheus; 1992 \
             onward. Boxed Warning; Contraindications; Dose modifications."
        }
        "ASHP-MONO" => "Aldesleukin (Monograph). American Society of Health-System Pharmacists (AHFS); 2023.",
        "HANDBOOK" => {
            "Handbook on Injectable Drugs (Trissel), aldesleukin monograph. ASHP. Units, Dilution, Stability."
        }
        "DUTCHER-2014" => {
            "Dutcher JP, et al. High dose interleukin-2 (Aldesleukin) - expert consensus on best management \
             practices-2014. J Immunother Cancer 2014;2:26. Tables 2 and 3."
        }
        "SPRINGERPLUS-2015" => {
            "Clinical characteristics and treatment-related biomarkers associated with response to high-dose \
             interleukin-2 in metastatic melanoma and renal cell carcinoma. SpringerPlus 2015. Table 1."
        }
        "TIL-2024" => {
            "Betof Warner A, et al. Expert consensus guidelines on management and best practices for \
             tumor-infiltrating lymphocyte cell therapy. J Immunother Cancer 2024;12:e008735. Table 2."
        }
        "CTCAE-5" => "Common Terminology Criteria for Adverse Events, version 5.0. US DHHS, NIH, NCI; 2017.",
        "PRODUCT" => "il2care product safety choice, stated where it is used; never presented as a label fact.",
        _ => return None,
    };
    Some(text)
}

/// A citation such as `LABEL-2024 §2.4 T2` or `EDU, CTCAE-5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Source(pub &'static str);

impl Source {
    /// The source ids this citation names, without their sections.
    pub fn ids(self) -> impl Iterator<Item = &'static str> {
        self.0.split([',', ';']).filter_map(|part| part.split_whitespace().next())
    }

    /// Whether every id named is a known source id.
    pub fn is_known(self) -> bool {
        let mut ids = self.ids().peekable();
        ids.peek().is_some() && ids.all(|id| SOURCE_IDS.contains(&id))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_the_rules_cite_has_its_citation() {
        for rule in crate::assessment::ALL_RULES {
            for id in rule.source().ids() {
                assert!(citation(id).is_some(), "{} cites {id} without a citation", rule.id());
                assert!(SOURCE_IDS.contains(&id), "{id}");
            }
        }
        assert_eq!(citation("NO-SUCH-SOURCE"), None);
    }

    #[test]
    fn citations_split_into_known_ids() {
        assert!(Source("LABEL-2024 §2.4 T2").is_known());
        assert!(Source("EDU, CTCAE-5").is_known());
        assert!(Source("T2; LABEL-OLD").ids().any(|id| id == "LABEL-OLD"));
        assert!(!Source("T2; LABEL-OLD").is_known(), "a bare table name is not a source id");
        assert!(!Source("").is_known());
    }
}
