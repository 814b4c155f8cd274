//! The interaction check (SCREENING.md §2): the drug classes with their effect, level, action and source, the
//! reviewable table of drug names (generic and common brand names) that places a medication in its classes,
//! and the matcher. Unknown names are reported as unrecognised, never ignored.
//!
//! Matching is by name: the text is lower-cased, every character that is not a letter or digit becomes a space,
//! and each known name is looked for as a whole run of words anywhere in it ("Metoprolol succinate ER 50 mg"
//! is metoprolol; "acetaminophen/oxycodone" is both). A name inside a longer matched name does not count on its
//! own. Class membership beyond the examples the sources name is standard pharmacology. Pure data and
//! string matching: no IO.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::Source;
use crate::regimens::Regimen;
use crate::units::Milligrams;

/// How an interaction is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InteractionLevel {
    /// Shown on the order and the per-dose screen.
    Monitor,
    /// A physician decides (antihypertensives: usually stopped before therapy).
    NeedsReview,
    /// Avoid during a course unless a physician reviews it.
    Avoid,
}

impl InteractionLevel {
    /// The id used in result documents.
    pub const fn id(self) -> &'static str {
        match self {
            InteractionLevel::Monitor => "monitor",
            InteractionLevel::NeedsReview => "needs_review",
            InteractionLevel::Avoid => "avoid",
        }
    }
}

/// A drug class of SCREENING.md §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DrugClass {
    Opioids,
    SedativesHypnotics,
    AntiemeticsAntipsychotics,
    Nephrotoxic,
    Myelotoxic,
    Cardiotoxic,
    Hepatotoxic,
    Antihypertensives,
    Glucocorticoids,
    InterferonAlfa,
    AntineoplasticsWithHighDose,
    IodinatedContrast,
}

impl DrugClass {
    /// Every class, in the order of SCREENING.md §2.
    pub const ALL: [DrugClass; 12] = [
        DrugClass::Opioids,
        DrugClass::SedativesHypnotics,
        DrugClass::AntiemeticsAntipsychotics,
        DrugClass::Nephrotoxic,
        DrugClass::Myelotoxic,
        DrugClass::Cardiotoxic,
        DrugClass::Hepatotoxic,
        DrugClass::Antihypertensives,
        DrugClass::Glucocorticoids,
        DrugClass::InterferonAlfa,
        DrugClass::AntineoplasticsWithHighDose,
        DrugClass::IodinatedContrast,
    ];

    /// The class id used in result documents.
    pub const fn id(self) -> &'static str {
        match self {
            DrugClass::Opioids => "psychotropic_opioids",
            DrugClass::SedativesHypnotics => "psychotropic_sedatives",
            DrugClass::AntiemeticsAntipsychotics => "psychotropic_antiemetics_antipsychotics",
            DrugClass::Nephrotoxic => "nephrotoxic",
            DrugClass::Myelotoxic => "myelotoxic",
            DrugClass::Cardiotoxic => "cardiotoxic",
            DrugClass::Hepatotoxic => "hepatotoxic",
            DrugClass::Antihypertensives => "antihypertensives",
            DrugClass::Glucocorticoids => "glucocorticoids",
            DrugClass::InterferonAlfa => "interferon_alfa",
            DrugClass::AntineoplasticsWithHighDose => "antineoplastics_with_hd_il2",
            DrugClass::IodinatedContrast => "iodinated_contrast",
        }
    }

    /// The class as SCREENING.md names it.
    pub const fn title(self) -> &'static str {
        match self {
            DrugClass::Opioids => "Psychotropic / CNS-active: opioids",
            DrugClass::SedativesHypnotics => "Psychotropic: sedatives / hypnotics / tranquilizers",
            DrugClass::AntiemeticsAntipsychotics => "Psychotropic: antiemetics and antipsychotics",
            DrugClass::Nephrotoxic => "Nephrotoxic",
            DrugClass::Myelotoxic => "Myelotoxic (cytotoxic chemotherapy)",
            DrugClass::Cardiotoxic => "Cardiotoxic",
            DrugClass::Hepatotoxic => "Hepatotoxic",
            DrugClass::Antihypertensives => "Antihypertensives",
            DrugClass::Glucocorticoids => "Glucocorticoids (systemic)",
            DrugClass::InterferonAlfa => "Interferon alfa",
            DrugClass::AntineoplasticsWithHighDose => "Antineoplastics given with HD IL-2",
            DrugClass::IodinatedContrast => "Iodinated contrast media",
        }
    }

    /// What the combination with interleukin-2 may do.
    pub const fn effect(self) -> &'static str {
        match self {
            DrugClass::Opioids | DrugClass::SedativesHypnotics | DrugClass::AntiemeticsAntipsychotics => {
                "IL-2 affects the central nervous system; CNS effects may add up"
            }
            DrugClass::Nephrotoxic => "may increase kidney toxicity",
            DrugClass::Myelotoxic => "may increase bone-marrow toxicity",
            DrugClass::Cardiotoxic => "may increase heart toxicity",
            DrugClass::Hepatotoxic => "may increase liver toxicity",
            DrugClass::Antihypertensives => "may add to IL-2 hypotension",
            DrugClass::Glucocorticoids => "may reduce the anti-tumor effect",
            DrugClass::InterferonAlfa => {
                "more myocardial injury (MI, myocarditis, ventricular hypokinesia) and severe rhabdomyolysis; new or \
                 worse autoimmune and inflammatory disease"
            }
            DrugClass::AntineoplasticsWithHighDose => {
                "hypersensitivity reactions (redness, itching, low blood pressure) within hours of the chemotherapy; \
                 fatal tumor lysis reported with cisplatin + vinblastine + dacarbazine; safety with chemotherapy \
                 not established"
            }
            DrugClass::IodinatedContrast => {
                "recall of IL-2 reactions: fever, chills, nausea, vomiting, rash, itching, low blood pressure, \
                 swelling, low urine output or kidney failure"
            }
        }
    }

    /// The level for `regimen` (interferon alfa is monitored when it is part of the protocol,
    /// `mcdermott-2005-sc`).
    pub fn level(self, regimen: &Regimen) -> InteractionLevel {
        match self {
            DrugClass::Opioids
            | DrugClass::SedativesHypnotics
            | DrugClass::AntiemeticsAntipsychotics
            | DrugClass::Nephrotoxic
            | DrugClass::Myelotoxic
            | DrugClass::Hepatotoxic => InteractionLevel::Monitor,
            DrugClass::Antihypertensives => InteractionLevel::NeedsReview,
            DrugClass::InterferonAlfa if regimen.id == "mcdermott-2005-sc" => InteractionLevel::Monitor,
            DrugClass::Cardiotoxic
            | DrugClass::Glucocorticoids
            | DrugClass::InterferonAlfa
            | DrugClass::AntineoplasticsWithHighDose
            | DrugClass::IodinatedContrast => InteractionLevel::Avoid,
        }
    }

    /// The recommended action.
    pub fn action(self, regimen: &Regimen) -> &'static str {
        match self {
            DrugClass::Opioids => {
                "monitor: watch mental status. Several are standard supportive care and are not to be stopped for \
                 this reason"
            }
            DrugClass::SedativesHypnotics | DrugClass::AntiemeticsAntipsychotics => "monitor: watch mental status",
            DrugClass::Nephrotoxic => {
                "monitor creatinine and urine output. Indomethacin (usual premedication): stop it if creatinine > 2 \
                 mg/dL, urine output falls, or platelets < 50 x 10^3/uL"
            }
            DrugClass::Myelotoxic => "monitor blood counts",
            DrugClass::Cardiotoxic => "avoid during a course unless the physician reviews",
            DrugClass::Hepatotoxic => "monitor bilirubin, ALT, AST",
            DrugClass::Antihypertensives => "usually stopped before therapy; monitor blood pressure",
            DrugClass::Glucocorticoids => {
                "avoid. Dexamethasone may still be used for life-threatening toxicity, accepting a possible loss of \
                 benefit"
            }
            DrugClass::InterferonAlfa if regimen.id == "mcdermott-2005-sc" => {
                "part of the protocol regimen: monitor heart, muscle and autoimmune effects"
            }
            DrugClass::InterferonAlfa => "avoid unless part of the protocol; then monitor",
            DrugClass::AntineoplasticsWithHighDose => "avoid: physician review",
            DrugClass::IodinatedContrast => {
                "avoid iodinated contrast within 14 days of IL-2 where possible; reactions can occur months later: \
                 tell imaging staff"
            }
        }
    }

    /// The class's source.
    pub const fn source(self) -> Source {
        match self {
            DrugClass::Opioids | DrugClass::SedativesHypnotics | DrugClass::AntiemeticsAntipsychotics => {
                Source("LABEL-OLD Drug interactions; SWISS-SMPC")
            }
            DrugClass::Nephrotoxic => Source("LABEL-OLD; SWISS-SMPC; TIL-2024 T2"),
            DrugClass::Myelotoxic | DrugClass::Cardiotoxic | DrugClass::Hepatotoxic => Source("LABEL-OLD; SWISS-SMPC"),
            DrugClass::Antihypertensives => Source("LABEL-OLD; SWISS-SMPC; PRACTICE-GUIDE"),
            DrugClass::Glucocorticoids => Source("LABEL-OLD Overdosage; SWISS-SMPC"),
            DrugClass::InterferonAlfa => Source("SWISS-SMPC"),
            DrugClass::AntineoplasticsWithHighDose => Source("LABEL-OLD; HEYWOOD-1995"),
            DrugClass::IodinatedContrast => Source("LABEL-OLD; SWISS-SMPC"),
        }
    }
}

/// A drug by ingredient: its generic name, common brand names, and its classes (empty: known, no interaction
/// rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drug {
    pub generic: &'static str,
    pub brands: &'static [&'static str],
    pub classes: &'static [DrugClass],
    pub kind: DrugKind,
}

/// Drugs that are not interaction rules but are recognised and shown as information.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrugKind {
    /// Placed in its classes (possibly none).
    Ordinary,
    /// Gadolinium contrast: information only after IL-2 (SCREENING §3) (EDU).
    Gadolinium,
    /// A glucocorticoid by a topical, inhaled, intranasal, ophthalmic or otic route: patients ask the team first
    /// (SCREENING §2 note and amendment of 2026-12-04) [LABEL-OLD UNCONFIRMED; EDU].
    TopicalSteroid,
}

impl DrugKind {
    /// What is shown for a recognised information-only medication (empty for ordinary drugs).
    pub const fn note(self) -> &'static str {
        match self {
            DrugKind::Ordinary => "",
            DrugKind::Gadolinium => {
                "gadolinium contrast: information only; once interleukin-2 has been given, tell imaging staff about it"
            }
            DrugKind::TopicalSteroid => {
                "steroid by a topical, inhaled, nasal, eye or ear route (not the systemic class): the older label \
                 discourages steroid creams for bullous dermatitis during a course (unconfirmed), patient education \
                 mentions them for itchy rash; ask the team before using any steroid cream"
            }
        }
    }

    /// The source of the note.
    pub const fn source(self) -> Source {
        match self {
            DrugKind::Ordinary => Source("LABEL-OLD; SWISS-SMPC"),
            DrugKind::Gadolinium => Source("EDU"),
            DrugKind::TopicalSteroid => Source("LABEL-OLD UNCONFIRMED; EDU"),
        }
    }
}

use DrugClass as C;

const fn drug(generic: &'static str, brands: &'static [&'static str], classes: &'static [DrugClass]) -> Drug {
    Drug { generic, brands, classes, kind: DrugKind::Ordinary }
}

const fn information(generic: &'static str, brands: &'static [&'static str], kind: DrugKind) -> Drug {
    Drug { generic, brands, classes: &[], kind }
}

/// The drug table: reviewable data. Every class of SCREENING.md §2 has at least the examples named there.
pub const DRUGS: &[Drug] = &[
    // Psychotropic / CNS-active: opioids [LABEL-OLD Drug interactions; SWISS-SMPC].
    drug("morphine", &["MS Contin", "Kadian"], &[C::Opioids]),
    drug("hydromorphone", &["Dilaudid"], &[C::Opioids]),
    drug("oxycodone", &["OxyContin", "Roxicodone", "Percocet"], &[C::Opioids]),
    drug("fentanyl", &["Duragesic", "Sublimaze", "Actiq"], &[C::Opioids]),
    drug("meperidine", &["Demerol", "pethidine"], &[C::Opioids]),
    drug("hydrocodone", &["Vicodin", "Norco"], &[C::Opioids]),
    drug("codeine", &[], &[C::Opioids]),
    drug("tramadol", &["Ultram"], &[C::Opioids]),
    drug("methadone", &["Dolophine"], &[C::Opioids]),
    // Psychotropic: sedatives / hypnotics / tranquilizers.
    drug("lorazepam", &["Ativan"], &[C::SedativesHypnotics]),
    drug("alprazolam", &["Xanax"], &[C::SedativesHypnotics]),
    drug("diazepam", &["Valium"], &[C::SedativesHypnotics]),
    drug("midazolam", &["Versed"], &[C::SedativesHypnotics]),
    drug("zolpidem", &["Ambien"], &[C::SedativesHypnotics]),
    drug("clonazepam", &["Klonopin"], &[C::SedativesHypnotics]),
    drug("temazepam", &["Restoril"], &[C::SedativesHypnotics]),
    // Psychotropic: antiemetics and antipsychotics.
    drug("prochlorperazine", &["Compazine"], &[C::AntiemeticsAntipsychotics]),
    drug("promethazine", &["Phenergan"], &[C::AntiemeticsAntipsychotics]),
    drug("metoclopramide", &["Reglan"], &[C::AntiemeticsAntipsychotics]),
    drug("haloperidol", &["Haldol"], &[C::AntiemeticsAntipsychotics]),
    drug("olanzapine", &["Zyprexa"], &[C::AntiemeticsAntipsychotics]),
    drug("quetiapine", &["Seroquel"], &[C::AntiemeticsAntipsychotics]),
    drug("chlorpromazine", &["Thorazine"], &[C::AntiemeticsAntipsychotics]),
    // Nephrotoxic [LABEL-OLD; SWISS-SMPC; TIL-2024].
    drug("gentamicin", &["Garamycin"], &[C::Nephrotoxic]),
    drug("tobramycin", &["Nebcin"], &[C::Nephrotoxic]),
    drug("amikacin", &["Amikin"], &[C::Nephrotoxic]),
    drug("indomethacin", &["Indocin"], &[C::Nephrotoxic]),
    drug("ibuprofen", &["Advil", "Motrin"], &[C::Nephrotoxic]),
    drug("naproxen", &["Aleve", "Naprosyn"], &[C::Nephrotoxic]),
    drug("ketorolac", &["Toradol"], &[C::Nephrotoxic]),
    drug("amphotericin b", &["AmBisome", "Abelcet", "Fungizone"], &[C::Nephrotoxic]),
    drug("vancomycin", &["Vancocin"], &[C::Nephrotoxic]),
    drug("celecoxib", &["Celebrex"], &[C::Nephrotoxic]),
    // Myelotoxic (cytotoxic chemotherapy).
    drug("cyclophosphamide", &["Cytoxan"], &[C::Myelotoxic]),
    drug("fludarabine", &["Fludara"], &[C::Myelotoxic]),
    drug("carboplatin", &["Paraplatin"], &[C::Myelotoxic]),
    drug("gemcitabine", &["Gemzar"], &[C::Myelotoxic]),
    drug("docetaxel", &["Taxotere"], &[C::Myelotoxic]),
    drug("paclitaxel", &["Taxol"], &[C::Myelotoxic]),
    // Cardiotoxic (anthracyclines and mitoxantrone are also myelotoxic).
    drug("doxorubicin", &["Adriamycin", "Doxil"], &[C::Cardiotoxic, C::Myelotoxic]),
    drug("daunorubicin", &["Cerubidine"], &[C::Cardiotoxic, C::Myelotoxic]),
    drug("epirubicin", &["Ellence"], &[C::Cardiotoxic, C::Myelotoxic]),
    drug("idarubicin", &["Idamycin"], &[C::Cardiotoxic, C::Myelotoxic]),
    drug("mitoxantrone", &["Novantrone"], &[C::Cardiotoxic, C::Myelotoxic]),
    // Hepatotoxic.
    drug("methotrexate", &["Trexall", "Otrexup"], &[C::Hepatotoxic, C::Myelotoxic]),
    drug("asparaginase", &["Erwinaze", "Rylaze"], &[C::Hepatotoxic]),
    drug("pegaspargase", &["Oncaspar"], &[C::Hepatotoxic]),
    drug("isoniazid", &[], &[C::Hepatotoxic]),
    drug("valproic acid", &["Depakene", "Depakote", "divalproex", "valproate"], &[C::Hepatotoxic]),
    drug("ketoconazole", &["Nizoral"], &[C::Hepatotoxic]),
    // Antihypertensives [LABEL-OLD; SWISS-SMPC; PRACTICE-GUIDE].
    drug("metoprolol", &["Lopressor", "Toprol XL"], &[C::Antihypertensives]),
    drug("atenolol", &["Tenormin"], &[C::Antihypertensives]),
    drug("propranolol", &["Inderal"], &[C::Antihypertensives]),
    drug("carvedilol", &["Coreg"], &[C::Antihypertensives]),
    drug("bisoprolol", &["Zebeta"], &[C::Antihypertensives]),
    drug("labetalol", &["Trandate"], &[C::Antihypertensives]),
    drug("lisinopril", &["Prinivil", "Zestril"], &[C::Antihypertensives]),
    drug("enalapril", &["Vasotec"], &[C::Antihypertensives]),
    drug("ramipril", &["Altace"], &[C::Antihypertensives]),
    drug("losartan", &["Cozaar"], &[C::Antihypertensives]),
    drug("valsartan", &["Diovan"], &[C::Antihypertensives]),
    drug("amlodipine", &["Norvasc"], &[C::Antihypertensives]),
    drug("nifedipine", &["Procardia", "Adalat"], &[C::Antihypertensives]),
    drug("diltiazem", &["Cardizem"], &[C::Antihypertensives]),
    drug("verapamil", &["Calan"], &[C::Antihypertensives]),
    drug("hydrochlorothiazide", &["Microzide", "HCTZ"], &[C::Antihypertensives]),
    drug("chlorthalidone", &["Thalitone"], &[C::Antihypertensives]),
    drug("furosemide", &["Lasix"], &[C::Antihypertensives]),
    drug("spironolactone", &["Aldactone"], &[C::Antihypertensives]),
    drug("clonidine", &["Catapres"], &[C::Antihypertensives]),
    drug("hydralazine", &["Apresoline"], &[C::Antihypertensives]),
    drug("doxazosin", &["Cardura"], &[C::Antihypertensives]),
    // Glucocorticoids (systemic) [LABEL-OLD Overdosage; SWISS-SMPC].
    drug("dexamethasone", &["Decadron"], &[C::Glucocorticoids]),
    drug("prednisone", &["Deltasone", "Rayos"], &[C::Glucocorticoids]),
    drug("prednisolone", &["Orapred", "Millipred"], &[C::Glucocorticoids]),
    drug("methylprednisolone", &["Medrol", "Solu Medrol"], &[C::Glucocorticoids]),
    drug("hydrocortisone", &["Solu Cortef", "Cortef"], &[C::Glucocorticoids]),
    // Glucocorticoids given by many routes: the route decides (amendment of 2026-12-04); none is guessed topical.
    drug("triamcinolone", &["Kenalog", "Nasacort"], &[C::Glucocorticoids]),
    drug("betamethasone", &["Diprolene", "Celestone"], &[C::Glucocorticoids]),
    drug("budesonide", &["Pulmicort", "Entocort", "Rhinocort"], &[C::Glucocorticoids]),
    drug("fluticasone", &["Flonase", "Flovent"], &[C::Glucocorticoids]),
    drug("beclomethasone", &["Qvar", "beclometasone"], &[C::Glucocorticoids]),
    drug("mometasone", &["Elocon", "Nasonex"], &[C::Glucocorticoids]),
    drug("clobetasol", &["Temovate"], &[C::Glucocorticoids]),
    drug("fluocinonide", &["Lidex"], &[C::Glucocorticoids]),
    drug("cortisone", &[], &[C::Glucocorticoids]),
    // Interferon alfa [SWISS-SMPC]; also given in chemo-immunotherapy with HD IL-2 [LABEL-OLD].
    drug("interferon alfa 2b", &["Intron A"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("interferon alfa 2a", &["Roferon A"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("peginterferon alfa 2a", &["Pegasys"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("peginterferon alfa 2b", &["PegIntron", "Sylatron"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("ropeginterferon alfa 2b", &["Besremi"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("interferon alfa n3", &["Alferon N"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    drug("interferon alfa", &["interferon alpha"], &[C::InterferonAlfa, C::AntineoplasticsWithHighDose]),
    // Antineoplastics given with HD IL-2 [LABEL-OLD; HEYWOOD-1995].
    drug("dacarbazine", &["DTIC Dome", "DTIC"], &[C::AntineoplasticsWithHighDose, C::Myelotoxic]),
    drug("cisplatin", &["Platinol"], &[C::AntineoplasticsWithHighDose, C::Nephrotoxic, C::Myelotoxic]),
    drug("tamoxifen", &["Nolvadex", "Soltamox"], &[C::AntineoplasticsWithHighDose]),
    drug("vinblastine", &["Velban"], &[C::AntineoplasticsWithHighDose, C::Myelotoxic]),
    // Iodinated contrast media [LABEL-OLD; SWISS-SMPC].
    drug("iohexol", &["Omnipaque"], &[C::IodinatedContrast]),
    drug("iopamidol", &["Isovue"], &[C::IodinatedContrast]),
    drug("iodixanol", &["Visipaque"], &[C::IodinatedContrast]),
    drug("ioversol", &["Optiray"], &[C::IodinatedContrast]),
    drug("iopromide", &["Ultravist"], &[C::IodinatedContrast]),
    drug("iomeprol", &["Iomeron"], &[C::IodinatedContrast]),
    drug("iodinated contrast", &["CT contrast", "iodine contrast"], &[C::IodinatedContrast]),
    // Known, no interaction rule: the usual premedication and supportive care [DUTCHER-2014 T2] and common drugs.
    drug("acetaminophen", &["Tylenol", "paracetamol"], &[]),
    drug("ondansetron", &["Zofran"], &[]),
    drug("granisetron", &["Kytril", "Sancuso"], &[]),
    drug("famotidine", &["Pepcid"], &[]),
    drug("ranitidine", &["Zantac"], &[]),
    drug("omeprazole", &["Prilosec"], &[]),
    drug("pantoprazole", &["Protonix"], &[]),
    drug("esomeprazole", &["Nexium"], &[]),
    drug("loperamide", &["Imodium"], &[]),
    drug("diphenoxylate", &["Lomotil"], &[]),
    drug("atropine", &[], &[]),
    drug("ciprofloxacin", &["Cipro"], &[]),
    drug("oxacillin", &[], &[]),
    drug("nafcillin", &[], &[]),
    drug("cefazolin", &["Ancef"], &[]),
    drug("diphenhydramine", &["Benadryl"], &[]),
    drug("levothyroxine", &["Synthroid", "Levoxyl"], &[]),
    drug("metformin", &["Glucophage"], &[]),
    drug("insulin", &["Lantus", "Humalog", "Novolog"], &[]),
    drug("atorvastatin", &["Lipitor"], &[]),
    drug("potassium chloride", &["K Dur", "Klor Con"], &[]),
    drug("magnesium", &[], &[]),
    drug("docusate", &["Colace"], &[]),
    drug("senna", &["Senokot"], &[]),
    // Gadolinium contrast: information only after IL-2 [EDU].
    information("gadobutrol", &["Gadavist"], DrugKind::Gadolinium),
    information("gadoterate", &["Dotarem", "Clariscan"], DrugKind::Gadolinium),
    information("gadopentetate", &["Magnevist"], DrugKind::Gadolinium),
    information("gadobenate", &["MultiHance"], DrugKind::Gadolinium),
    information("gadoteridol", &["ProHance"], DrugKind::Gadolinium),
    information("gadoxetate", &["Eovist", "Primovist"], DrugKind::Gadolinium),
    information("gadodiamide", &["Omniscan"], DrugKind::Gadolinium),
    information("gadopiclenol", &["Elucirem", "Vueway"], DrugKind::Gadolinium),
    information("gadolinium", &["MRI contrast"], DrugKind::Gadolinium),
];

/// The route of a medication entry (SCREENING §2 amendment of 2026-12-04).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MedicationRoute {
    Oral,
    Iv,
    Im,
    Sc,
    Topical,
    Inhaled,
    Intranasal,
    Ophthalmic,
    Otic,
    IntraArticular,
    Rectal,
    Other,
}

impl MedicationRoute {
    /// Every route, in the order of the amendment.
    pub const ALL: [MedicationRoute; 12] = [
        MedicationRoute::Oral,
        MedicationRoute::Iv,
        MedicationRoute::Im,
        MedicationRoute::Sc,
        MedicationRoute::Topical,
        MedicationRoute::Inhaled,
        MedicationRoute::Intranasal,
        MedicationRoute::Ophthalmic,
        MedicationRoute::Otic,
        MedicationRoute::IntraArticular,
        MedicationRoute::Rectal,
        MedicationRoute::Other,
    ];

    /// The id used in documents.
    pub const fn id(self) -> &'static str {
        match self {
            MedicationRoute::Oral => "oral",
            MedicationRoute::Iv => "iv",
            MedicationRoute::Im => "im",
            MedicationRoute::Sc => "sc",
            MedicationRoute::Topical => "topical",
            MedicationRoute::Inhaled => "inhaled",
            MedicationRoute::Intranasal => "intranasal",
            MedicationRoute::Ophthalmic => "ophthalmic",
            MedicationRoute::Otic => "otic",
            MedicationRoute::IntraArticular => "intra_articular",
            MedicationRoute::Rectal => "rectal",
            MedicationRoute::Other => "other",
        }
    }

    /// The route with `id`.
    pub fn from_id(id: &str) -> Option<MedicationRoute> {
        MedicationRoute::ALL.into_iter().find(|route| route.id() == id)
    }

    /// Whether a glucocorticoid by this route is the systemic class. Topical, inhaled, intranasal, ophthalmic and
    /// otic are not (amendment of 2026-12-04); every other route, `other` included, is (the safer reading:
    /// intra-articular, rectal and unnamed routes are absorbed).
    pub const fn is_systemic(self) -> bool {
        !matches!(
            self,
            MedicationRoute::Topical
                | MedicationRoute::Inhaled
                | MedicationRoute::Intranasal
                | MedicationRoute::Ophthalmic
                | MedicationRoute::Otic
        )
    }
}

/// The words of a medication name that say its route when the entry gives none (amendment of 2026-12-04:
/// cream, ointment, lotion, gel -> topical; inhaler, HFA, nebulised -> inhaled; spray, nasal -> intranasal;
/// drops -> ophthalmic). Words are whole words of the normalized name.
pub const ROUTE_WORDS: &[(&str, MedicationRoute)] = &[
    ("cream", MedicationRoute::Topical),
    ("ointment", MedicationRoute::Topical),
    ("lotion", MedicationRoute::Topical),
    ("gel", MedicationRoute::Topical),
    ("inhaler", MedicationRoute::Inhaled),
    ("hfa", MedicationRoute::Inhaled),
    ("nebulised", MedicationRoute::Inhaled),
    ("nebulized", MedicationRoute::Inhaled),
    ("spray", MedicationRoute::Intranasal),
    ("nasal", MedicationRoute::Intranasal),
    ("drops", MedicationRoute::Ophthalmic),
];

/// Words of a name that say a systemic route ("Decadron 4 mg PO daily" is oral). An injection whose route is not
/// named is `other` (systemic).
pub const SYSTEMIC_WORDS: &[(&str, MedicationRoute)] = &[
    ("oral", MedicationRoute::Oral),
    ("po", MedicationRoute::Oral),
    ("tablet", MedicationRoute::Oral),
    ("tablets", MedicationRoute::Oral),
    ("tab", MedicationRoute::Oral),
    ("tabs", MedicationRoute::Oral),
    ("capsule", MedicationRoute::Oral),
    ("capsules", MedicationRoute::Oral),
    ("syrup", MedicationRoute::Oral),
    ("elixir", MedicationRoute::Oral),
    ("iv", MedicationRoute::Iv),
    ("intravenous", MedicationRoute::Iv),
    ("infusion", MedicationRoute::Iv),
    ("im", MedicationRoute::Im),
    ("intramuscular", MedicationRoute::Im),
    ("subcutaneous", MedicationRoute::Sc),
    ("injection", MedicationRoute::Other),
    ("inj", MedicationRoute::Other),
    ("suppository", MedicationRoute::Rectal),
    ("enema", MedicationRoute::Rectal),
];

/// How the route of an entry was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteBasis {
    /// The entry's `route`.
    Given(MedicationRoute),
    /// A word of the name (the entry gave no route).
    FromName(MedicationRoute),
    /// Neither says (or the name's words disagree): never guessed.
    Unknown,
}

impl RouteBasis {
    /// The route, when known.
    pub const fn route(self) -> Option<MedicationRoute> {
        match self {
            RouteBasis::Given(route) | RouteBasis::FromName(route) => Some(route),
            RouteBasis::Unknown => None,
        }
    }

    /// `given`, `name` or `unknown`, for result documents.
    pub const fn id(self) -> &'static str {
        match self {
            RouteBasis::Given(_) => "given",
            RouteBasis::FromName(_) => "name",
            RouteBasis::Unknown => "unknown",
        }
    }
}

/// The route of an entry: the given one, else the one the words of the name say, else unknown. Words that say
/// several systemic routes ("injection IV") are a systemic route (`other`); words that say a systemic route and a
/// non-systemic one, or two non-systemic ones ("prednisolone oral drops"), leave it unknown: never guessed.
pub fn route_of(medication: &Medication) -> RouteBasis {
    if let Some(route) = medication.route {
        return RouteBasis::Given(route);
    }
    let normalized = normalize(&medication.name);
    let words: Vec<&str> = normalized.split(' ').collect();
    let mut said: Vec<MedicationRoute> = ROUTE_WORDS
        .iter()
        .chain(SYSTEMIC_WORDS)
        .filter(|(word, _)| words.contains(word))
        .map(|(_, route)| *route)
        .collect();
    said.sort();
    said.dedup();
    match said.as_slice() {
        [] => RouteBasis::Unknown,
        [route] => RouteBasis::FromName(*route),
        several if several.iter().all(|route| route.is_systemic()) => RouteBasis::FromName(MedicationRoute::Other),
        _ => RouteBasis::Unknown,
    }
}

/// The `purpose` that marks a glucocorticoid as adrenal replacement.
pub const ADRENAL_REPLACEMENT: &str = "adrenal_replacement";

/// The daily doses at or below which a systemic glucocorticoid is adrenal replacement (amendment of
/// 2026-12-04), in mg a day, by generic name. Other glucocorticoids are replacement only by `purpose`.
pub const REPLACEMENT_DAILY_DOSE_MG: &[(&str, Decimal)] = &[
    ("hydrocortisone", dec!(30)),
    ("prednisone", dec!(7.5)),
    ("prednisolone", dec!(7.5)),
    ("methylprednisolone", dec!(6)),
    ("dexamethasone", dec!(0.75)),
];

/// The action for a systemic glucocorticoid that is adrenal replacement.
pub const REPLACEMENT_ACTION: &str = "do not stop replacement steroids; review the dose with the physician";

/// The action for a glucocorticoid whose route is unknown.
pub const ROUTE_UNKNOWN_ACTION: &str = "route unknown: record the route (a cream, inhaler, spray or drops is not the \
                                         systemic class; a tablet or injection is); not guessed";

/// Shown beside an `avoid` glucocorticoid whose entry gives neither a daily dose nor a purpose.
pub const REPLACEMENT_UNKNOWN_NOTE: &str =
    "daily dose and purpose not given: if this is adrenal replacement, do not stop it; review with the physician";

/// One entry of the medication list: the name as written and what the entry says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Medication {
    pub name: String,
    pub route: Option<MedicationRoute>,
    pub daily_dose: Option<Milligrams>,
    /// Why it is taken, e.g. `adrenal_replacement`.
    pub purpose: Option<String>,
}

impl Medication {
    /// An entry of which only the name is known.
    pub fn named(name: impl Into<String>) -> Medication {
        Medication { name: name.into(), route: None, daily_dose: None, purpose: None }
    }

    /// Whether the entry says it is adrenal replacement (`adrenal_replacement`, in any case, with spaces or
    /// hyphens for the underscore).
    pub fn is_adrenal_replacement(&self) -> bool {
        self.purpose.as_deref().is_some_and(|purpose| {
            let word: String = purpose
                .trim()
                .chars()
                .map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() })
                .collect();
            word == ADRENAL_REPLACEMENT
        })
    }
}

/// What a glucocorticoid entry is under the amendment of 2026-12-04.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlucocorticoidUse {
    /// Topical, inhaled, intranasal, ophthalmic or otic: the information note only.
    NotSystemic,
    /// Neither the entry nor the name says the route: needs review, never guessed.
    RouteUnknown,
    /// Systemic adrenal replacement (by purpose or a daily dose at or below the ceiling): needs review.
    Replacement,
    /// Systemic, not replacement: avoid.
    Systemic,
}

/// Decides the glucocorticoid use of `medication` matched as `generic`.
pub fn glucocorticoid_use(generic: &str, medication: &Medication) -> GlucocorticoidUse {
    let Some(route) = route_of(medication).route() else { return GlucocorticoidUse::RouteUnknown };
    if !route.is_systemic() {
        return GlucocorticoidUse::NotSystemic;
    }
    let ceiling = REPLACEMENT_DAILY_DOSE_MG.iter().find(|(name, _)| *name == generic).map(|(_, ceiling)| *ceiling);
    let low_dose = matches!((ceiling, medication.daily_dose), (Some(ceiling), Some(dose)) if dose.value() <= ceiling);
    if medication.is_adrenal_replacement() || low_dose {
        GlucocorticoidUse::Replacement
    } else {
        GlucocorticoidUse::Systemic
    }
}

/// One interaction found: the medication as written, the name it matched, the class and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    pub medication: String,
    /// The generic name, with the brand name matched when it was a brand: `ibuprofen (Advil)`.
    pub matched_as: String,
    pub class: DrugClass,
    pub level: InteractionLevel,
    pub effect: &'static str,
    pub action: &'static str,
    pub source: Source,
    /// How the route was decided (shown for glucocorticoids, where it matters).
    pub route: RouteBasis,
    /// Something more the physician must see (a glucocorticoid without dose or purpose).
    pub note: Option<&'static str>,
}

/// A medication recognised as something shown for information (gadolinium contrast, a topical steroid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InformationEntry {
    pub medication: String,
    pub matched_as: String,
    pub kind: DrugKind,
    /// How the route was decided (a glucocorticoid that is not the systemic class).
    pub route: RouteBasis,
}

/// The result of checking a medication list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InteractionReport {
    /// Whether a list was provided at all (an empty list is a list: no medications).
    pub provided: bool,
    pub interactions: Vec<Interaction>,
    /// Names recognised with no interaction rule, with the generic they matched.
    pub no_interaction: Vec<(String, String)>,
    pub information: Vec<InformationEntry>,
    /// Names not recognised: never ignored; item 17 needs review.
    pub unrecognised: Vec<String>,
}

/// Lower case, every character that is not a letter or digit a space, runs of spaces one space, trimmed.
pub fn normalize(name: &str) -> String {
    let spaced: String = name.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The drugs a medication text names, each with the name that matched (`None` when the generic itself).
pub fn match_drugs(text: &str) -> Vec<(&'static Drug, Option<&'static str>)> {
    let padded = format!(" {} ", normalize(text));
    let mut found: Vec<(&'static Drug, Option<&'static str>, String)> = Vec::new();
    for entry in DRUGS {
        // The longest name of the entry that occurs wins: "Solu-Medrol" is matched as Solu Medrol, not Medrol.
        let names =
            std::iter::once((None, entry.generic)).chain(entry.brands.iter().map(|brand| (Some(*brand), *brand)));
        let best = names
            .map(|(brand, name)| (brand, normalize(name)))
            .filter(|(_, key)| padded.contains(&format!(" {key} ")))
            .max_by_key(|(_, key)| key.len());
        if let Some((brand, key)) = best {
            found.push((entry, brand, key));
        }
    }
    let keys: Vec<String> = found.iter().map(|(_, _, key)| format!(" {key} ")).collect();
    found
        .iter()
        .filter(|(_, _, key)| {
            let inner = format!(" {key} ");
            !keys.iter().any(|other| other != &inner && other.contains(&inner))
        })
        .map(|(drug, brand, _)| (*drug, *brand))
        .collect()
}

/// Words of a medication text that name no ingredient: doses, units, forms, routes and timing. A part of a
/// combination that has a longer word outside this list and matches no drug is an unrecognised ingredient.
pub const NON_INGREDIENT_WORDS: &[&str] = &[
    "mg",
    "mcg",
    "ug",
    "g",
    "ml",
    "l",
    "iu",
    "miu",
    "units",
    "unit",
    "kg",
    "m2",
    "day",
    "daily",
    "dose",
    "doses",
    "prn",
    "qhs",
    "bid",
    "tid",
    "qid",
    "qd",
    "hours",
    "hour",
    "hrs",
    "min",
    "as",
    "needed",
    "every",
    "per",
    "weekly",
    "week",
    "night",
    "morning",
    "evening",
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "capsule",
    "capsules",
    "oral",
    "po",
    "iv",
    "im",
    "sc",
    "injection",
    "solution",
    "suspension",
    "syrup",
    "elixir",
    "patch",
    "cream",
    "ointment",
    "lotion",
    "gel",
    "spray",
    "nasal",
    "drops",
    "inhaler",
    "hfa",
    "extended",
    "release",
    "sustained",
    "delayed",
    "chewable",
    "liquid",
    "sodium",
    "potassium",
    "hydrochloride",
    "hcl",
    "succinate",
    "tartrate",
    "acetate",
    "phosphate",
    "sulfate",
    "maleate",
    "besylate",
    "mesylate",
    "citrate",
    "er",
    "xr",
    "sr",
    "xl",
    "cr",
    "dr",
    "la",
    "odt",
    "the",
    "and",
    "with",
    "plus",
    "for",
    "then",
];

/// The parts of a combination written with `/`, `+`, `&`, `,`, `;`, " and ", " with " or " plus " that name
/// no known drug and have a word that is not a dose, unit, form, route or salt: "acetaminophen/Blorptex" has
/// `Blorptex`. Such a part is never ignored: the entry is listed as unrecognised too.
pub fn unmatched_parts(name: &str) -> Vec<String> {
    let lowered = name.to_lowercase();
    let spaced = lowered.replace(" and ", "/").replace(" with ", "/").replace(" plus ", "/");
    spaced
        .split(['/', '+', '&', ',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .filter(|part| match_drugs(part).is_empty())
        .filter(|part| {
            normalize(part).split(' ').any(|word| {
                word.len() >= 3 && word.chars().any(char::is_alphabetic) && !NON_INGREDIENT_WORDS.contains(&word)
            })
        })
        .map(str::to_string)
        .collect()
}

/// The source of the route-and-purpose rules for glucocorticoids.
pub const GLUCOCORTICOID_AMENDMENT_SOURCE: Source = Source("LABEL-OLD Overdosage; SWISS-SMPC; PRODUCT");

/// Checks a medication list against the classes for `regimen`. `None`: no list was provided.
pub fn check_medications(medications: Option<&[Medication]>, regimen: &Regimen) -> InteractionReport {
    let Some(medications) = medications else {
        return InteractionReport::default();
    };
    let mut report = InteractionReport { provided: true, ..InteractionReport::default() };
    for medication in medications {
        let drugs = match_drugs(&medication.name);
        // A name is matched by its words only; a part of it that names nothing known is never ignored.
        if drugs.is_empty() || !unmatched_parts(&medication.name).is_empty() {
            report.unrecognised.push(medication.name.clone());
        }
        let route = route_of(medication);
        for (drug, brand) in drugs {
            let matched_as = match brand {
                Some(brand) => format!("{} ({brand})", drug.generic),
                None => drug.generic.to_string(),
            };
            match drug.kind {
                DrugKind::Gadolinium | DrugKind::TopicalSteroid => report.information.push(InformationEntry {
                    medication: medication.name.clone(),
                    matched_as,
                    kind: drug.kind,
                    route,
                }),
                DrugKind::Ordinary if drug.classes.is_empty() => {
                    report.no_interaction.push((medication.name.clone(), matched_as))
                }
                DrugKind::Ordinary => {
                    for &class in drug.classes {
                        let mut hit = Interaction {
                            medication: medication.name.clone(),
                            matched_as: matched_as.clone(),
                            class,
                            level: class.level(regimen),
                            effect: class.effect(),
                            action: class.action(regimen),
                            source: class.source(),
                            route,
                            note: None,
                        };
                        if class == DrugClass::Glucocorticoids {
                            match glucocorticoid_use(drug.generic, medication) {
                                GlucocorticoidUse::NotSystemic => {
                                    report.information.push(InformationEntry {
                                        medication: medication.name.clone(),
                                        matched_as: matched_as.clone(),
                                        kind: DrugKind::TopicalSteroid,
                                        route,
                                    });
                                    continue;
                                }
                                GlucocorticoidUse::RouteUnknown => {
                                    hit.level = InteractionLevel::NeedsReview;
                                    hit.action = ROUTE_UNKNOWN_ACTION;
                                    hit.source = GLUCOCORTICOID_AMENDMENT_SOURCE;
                                }
                                GlucocorticoidUse::Replacement => {
                                    hit.level = InteractionLevel::NeedsReview;
                                    hit.action = REPLACEMENT_ACTION;
                                    hit.source = GLUCOCORTICOID_AMENDMENT_SOURCE;
                                }
                                GlucocorticoidUse::Systemic => {
                                    if medication.daily_dose.is_none() && medication.purpose.is_none() {
                                        hit.note = Some(REPLACEMENT_UNKNOWN_NOTE);
                                    }
                                }
                            }
                        }
                        report.interactions.push(hit);
                    }
                }
            }
        }
    }
    report
}
