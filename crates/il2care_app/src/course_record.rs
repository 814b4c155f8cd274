//! The course as the record holds it, read into the core's typed events (`il2care_core::course::CourseEvents`):
//! its decisions (decision, slot, hold rules), dose records and the physician's cycle-2 delay. The one reader
//! for the API, the pages, CDS Hooks and FHIR, so every one of them derives the same course state.
//!
//! No access decision here: the use case that reads the course has decided it already.

use il2care_core::assessment::{Decision, Rule};
use il2care_core::course::{CourseEvents, DoseSlot, DoseStatus, RecordedDecision, RecordedDose};
use il2care_store::record::{self, Course};
use il2care_store::{Conn, StoreError};
use jiff::Timestamp;
use serde_json::Value;

use crate::Error;

/// The decision a stored id names (`give`, `hold`, ...).
pub fn decision_of(id: &str) -> Option<Decision> {
    use Decision::*;
    [DiscontinuePermanently, DiscontinueCourse, NotPermitted, Hold, InsufficientData, Give]
        .into_iter()
        .find(|decision| decision.id() == id)
}

/// A stored time (milliseconds) as a timestamp; out of range is a corrupt record.
pub fn stored_time(ms: i64) -> Result<Timestamp, Error> {
    Timestamp::from_millisecond(ms)
        .map_err(|_| Error::Store(StoreError::Corrupt("a stored time is out of range".into())))
}

/// A stored decision as the course state reads it: its decision, slot and hold rules, parsed once here.
fn recorded_decision(assessment: &record::Decision, recorded_at_ms: i64) -> Result<RecordedDecision, Error> {
    let corrupt = |what: String| Error::Store(StoreError::Corrupt(format!("decision {}: {what}", assessment.id)));
    let decision = decision_of(&assessment.decision).ok_or_else(|| corrupt("an unknown value".into()))?;
    let result: Value =
        serde_json::from_str(&assessment.result).map_err(|error| corrupt(format!("unreadable: {error}")))?;
    let cycle = result["cycle"].as_u64().and_then(|cycle| u8::try_from(cycle).ok());
    let slot = result["slot"].as_u64().and_then(|slot| u32::try_from(slot).ok());
    let mut holds = Vec::new();
    for entry in result["fired"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(result["resume_pending"].as_array().into_iter().flatten())
    {
        if let Some(rule) = entry["id"].as_str().or_else(|| entry.as_str()).and_then(Rule::from_id)
            && rule.is_hold()
        {
            holds.push(rule);
        }
    }
    Ok(RecordedDecision {
        id: assessment.id,
        at: stored_time(assessment.at_ms)?,
        recorded_at: stored_time(recorded_at_ms)?,
        decision,
        slot: cycle.zip(slot).map(|(cycle, slot)| DoseSlot { cycle, slot }),
        holds,
    })
}

/// Patient `patient_id`'s latest course (the latest start; of two at one time, the later recorded), if any.
pub async fn latest_course(conn: &mut Conn, patient_id: i64) -> Result<Option<Course>, Error> {
    Ok(record::courses(conn, patient_id).await?.into_iter().max_by_key(|course| (course.started_at_ms, course.id)))
}

/// The typed events of `course` from the record: its decisions, dose records and cycle-2 delay.
pub async fn course_events(conn: &mut Conn, course: &Course) -> Result<CourseEvents, Error> {
    let recorded = record::decisions_recorded_at(conn, course.id).await?;
    let mut decisions = Vec::new();
    for assessment in
        record::decisions(conn, course.patient_id).await?.iter().filter(|a| a.course_id == Some(course.id))
    {
        let recorded_at = recorded.iter().find(|(id, _)| *id == assessment.id).map_or(assessment.at_ms, |(_, at)| *at);
        decisions.push(recorded_decision(assessment, recorded_at)?);
    }
    let mut doses = Vec::new();
    for row in record::dose_records(conn, course.id).await? {
        let status = match row.event.status.as_str() {
            "given" => DoseStatus::Given,
            _ => DoseStatus::Held,
        };
        doses.push(RecordedDose {
            id: row.event.id,
            at: stored_time(row.event.at_ms)?,
            slot: row.slot_number.and_then(|n| u32::try_from(n).ok()).and_then(DoseSlot::from_number),
            status,
            decision_id: row.event.assessment_id,
            overrides: row.event.override_reason.is_some(),
            corrects_id: row.event.corrects_id,
        });
    }
    let delay = record::cycle_two_start_day(conn, course.id).await?;
    Ok(CourseEvents {
        started_at: stored_time(course.started_at_ms)?,
        cycle_two_start_day: delay.and_then(|day| u32::try_from(day).ok()),
        decisions,
        doses,
    })
}
