//! The JSON API under `/api/v1`, one module per resource.

pub mod assessments;
pub mod checkins;
pub mod courses;
pub mod doses;
pub mod health;
pub mod injections;
pub mod observations;
pub mod patients;
pub mod screenings;
pub mod stateless;
pub mod worklist;
