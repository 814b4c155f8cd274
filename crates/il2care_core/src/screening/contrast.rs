//! The lasting flag "has received interleukin-2" (SCREENING.md §3): once a patient has received IL-2, every
//! screen involving iodinated contrast warns, with the dates; gadolinium gets information only.
//!
//! Within 14 days of the last dose (14 x 24 h, the last instant included: the safer reading) the notice is a
//! warning "avoid iodinated contrast if possible"; after that it is information "reactions can still occur
//! months later; tell imaging staff". Without a known last dose the notice is a warning. Pure: no IO.

use jiff::{SignedDuration, Timestamp};

use super::interactions::{DrugClass, DrugKind, InteractionReport};
use super::{Interleukin2Exposure, ScreeningInput};
use crate::Source;

/// Reactions to iodinated contrast mostly happen within 2 weeks of the last dose [LABEL-OLD; SWISS-SMPC].
pub const CONTRAST_WARNING_DAYS: i64 = 14;

/// A contrast agent family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContrastAgent {
    Iodinated,
    Gadolinium,
}

impl ContrastAgent {
    /// The id used in documents.
    pub const fn id(self) -> &'static str {
        match self {
            ContrastAgent::Iodinated => "iodinated",
            ContrastAgent::Gadolinium => "gadolinium",
        }
    }
}

/// How strongly a notice speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeLevel {
    Information,
    Warning,
}

impl NoticeLevel {
    /// The id used in result documents.
    pub const fn id(self) -> &'static str {
        match self {
            NoticeLevel::Information => "information",
            NoticeLevel::Warning => "warning",
        }
    }
}

/// Where contrast comes into a screen: a planned study or a medication on the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContrastExposure {
    pub agent: ContrastAgent,
    /// When the contrast is to be given (the screen's time when not known).
    pub at: Timestamp,
    /// What involves contrast, in words (`planned study: CT chest`, `medication: Omnipaque`).
    pub involves: String,
}

/// A notice for one exposure, with the dates involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContrastNotice {
    pub agent: ContrastAgent,
    pub level: NoticeLevel,
    pub message: &'static str,
    pub involves: String,
    pub contrast_at: Timestamp,
    /// The last dose of interleukin-2, when known.
    pub last_dose_at: Option<Timestamp>,
    /// The end of the 14-day window after the last dose, when known.
    pub window_ends_at: Option<Timestamp>,
    pub source: Source,
}

/// The notice for one exposure of a patient who has received interleukin-2 (last dose when known).
pub fn notice(exposure: &ContrastExposure, last_dose_at: Option<Timestamp>) -> ContrastNotice {
    let window_ends_at =
        last_dose_at.and_then(|last| last.checked_add(SignedDuration::from_hours(24 * CONTRAST_WARNING_DAYS)).ok());
    let (level, message, source) = match exposure.agent {
        ContrastAgent::Gadolinium => (
            NoticeLevel::Information,
            "tell imaging staff about interleukin-2 before the scan (information only: the interaction evidence is \
             for iodinated contrast)",
            Source("EDU"),
        ),
        ContrastAgent::Iodinated => match (last_dose_at, window_ends_at) {
            (Some(_), Some(end)) if exposure.at > end => (
                NoticeLevel::Information,
                "reactions can still occur months later; tell imaging staff",
                Source("PRODUCT; LABEL-OLD; SWISS-SMPC"),
            ),
            (Some(_), Some(_)) => (
                NoticeLevel::Warning,
                "avoid iodinated contrast if possible (within 14 days of the last interleukin-2 dose)",
                Source("PRODUCT; LABEL-OLD; SWISS-SMPC"),
            ),
            _ => (
                NoticeLevel::Warning,
                "avoid iodinated contrast if possible (date of the last interleukin-2 dose unknown)",
                Source("PRODUCT; LABEL-OLD; SWISS-SMPC"),
            ),
        },
    };
    ContrastNotice {
        agent: exposure.agent,
        level,
        message,
        involves: exposure.involves.clone(),
        contrast_at: exposure.at,
        last_dose_at,
        window_ends_at,
        source,
    }
}

/// Every contrast exposure of a screen: the planned studies and contrast agents on the medication list.
pub fn exposures(input: &ScreeningInput, report: &InteractionReport) -> Vec<ContrastExposure> {
    let mut found: Vec<ContrastExposure> = input
        .planned_contrast
        .iter()
        .map(|planned| ContrastExposure {
            agent: planned.agent,
            at: planned.at.unwrap_or(input.at.instant),
            involves: match &planned.description {
                Some(description) => format!("planned study: {description}"),
                None => format!("planned study with {} contrast", planned.agent.id()),
            },
        })
        .collect();
    let mut listed: Vec<&str> = Vec::new();
    for hit in report.interactions.iter().filter(|hit| hit.class == DrugClass::IodinatedContrast) {
        if !listed.contains(&hit.medication.as_str()) {
            listed.push(&hit.medication);
            found.push(ContrastExposure {
                agent: ContrastAgent::Iodinated,
                at: input.at.instant,
                involves: format!("medication: {}", hit.medication),
            });
        }
    }
    for entry in report.information.iter().filter(|entry| entry.kind == DrugKind::Gadolinium) {
        found.push(ContrastExposure {
            agent: ContrastAgent::Gadolinium,
            at: input.at.instant,
            involves: format!("medication: {}", entry.medication),
        });
    }
    found
}

/// The contrast notices of a screen. Once interleukin-2 has been received, every exposure gets a notice. Before
/// the first dose, a study planned (with its time) at or after the planned course start gets one too: by then
/// the patient will have received interleukin-2, and the last dose is not known yet [PRODUCT, safer reading].
pub fn notices(input: &ScreeningInput, report: &InteractionReport) -> Vec<ContrastNotice> {
    match input.interleukin_2_exposure() {
        Interleukin2Exposure::Received { last_dose_at } => {
            exposures(input, report).iter().map(|exposure| notice(exposure, last_dose_at)).collect()
        }
        Interleukin2Exposure::NotReceived => {
            let Some(start) = input.planned_start else { return Vec::new() };
            input
                .planned_contrast
                .iter()
                .filter_map(|planned| {
                    let at = planned.at.filter(|at| *at >= start.instant)?;
                    let involves = match &planned.description {
                        Some(description) => format!("planned study after the course starts: {description}"),
                        None => format!("planned study with {} contrast after the course starts", planned.agent.id()),
                    };
                    Some(notice(&ContrastExposure { agent: planned.agent, at, involves }, None))
                })
                .collect()
        }
    }
}
