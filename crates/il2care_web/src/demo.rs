//! The demo ward of `il2care serve --demo`: users for each role, a few high-dose inpatients mid-cycle and a
//! few low-dose outpatients with recent check-ins, so a new user sees a living system at once.
//!
//! Demo data is made up. It is created only into an empty database, through the same store functions and
//! the same triage as real submissions.

use il2care_core::triage::triage;
use il2care_store::Store;
use il2care_store::accounts::{self, NewUser};
use il2care_store::record::{self, CheckIn, Course, Observation, Patient};
use il2care_wire::checkin::parse_checkin;
use serde_json::json;

use crate::api::stateless::triage_json;
use crate::auth::{hash_password, new_token};
use crate::error::AppError;

/// A demo account and its password, printed at start-up.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub role: String,
    pub password: String,
}

const HOUR_MS: i64 = 3_600_000;

fn patient(mrn: &str, name: &str, dob: &str, sex: &str) -> Patient {
    Patient {
        id: 0,
        mrn: mrn.into(),
        display_name: name.into(),
        date_of_birth: dob.into(),
        sex: sex.into(),
        time_zone: "America/New_York".into(),
    }
}

/// Creates the demo ward unless the database already has patients. `password` fixes every demo password
/// (for automated tests); otherwise each account gets a random one.
pub async fn create(store: &Store, now_ms: i64, password: Option<&str>) -> Result<Vec<DemoAccount>, AppError> {
    let mut tx = store.begin().await?;
    if !record::patients(&mut tx).await?.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    let by = "demo";
    let mut inpatients = Vec::new();
    for (mrn, name, dob, sex, weight, doses_ago_hours) in [
        ("HD-1001", "Alex Morgan", "1968-02-11", "male", "84", 40),
        ("HD-1002", "Priya Shah", "1975-09-30", "female", "61", 56),
        ("HD-1003", "Tom Becker", "1959-12-03", "male", "97", 24),
    ] {
        let id = record::create_patient(&mut tx, &patient(mrn, name, dob, sex), now_ms, by).await?;
        let course = Course {
            id: 0,
            patient_id: id,
            regimen: "hd-iv".into(),
            rule_set: "label".into(),
            started_at_ms: now_ms - doses_ago_hours * HOUR_MS,
            baseline_weight_kg: Some(weight.into()),
            baseline_creatinine_mg_dl: Some("0.9".into()),
        };
        record::create_course(&mut tx, &course, now_ms, by).await?;
        inpatients.push(id);
    }
    // Recent vitals: the second inpatient's blood pressure is falling (capillary leak).
    for (patient_id, systolic) in inpatients.iter().zip(["118", "86", "104"]) {
        for hours_ago in [6, 2] {
            let at = now_ms - hours_ago * HOUR_MS;
            let at_text = crate::rfc3339(at);
            let document = json!({"code": "systolic_bp", "value": {"value": systolic.parse::<i64>().unwrap_or(100), "unit": "mm[Hg]"}, "at": at_text});
            let observation = Observation {
                id: 0,
                patient_id: *patient_id,
                client_id: None,
                code: "systolic_bp".into(),
                value: systolic.into(),
                unit: "mm[Hg]".into(),
                at_ms: at,
                start_ms: None,
                document: document.to_string(),
                corrects_id: None,
            };
            record::add_observation(&mut tx, &observation, now_ms, by).await?;
        }
    }
    let mut outpatients = Vec::new();
    for (mrn, name, dob, sex, regimen) in [
        ("LD-2001", "Maria Lopez", "1981-05-17", "female", "saadoun-2011-sc"),
        ("LD-2002", "Sam Okafor", "1990-07-08", "male", "koreth-2016-sc"),
    ] {
        let id = record::create_patient(&mut tx, &patient(mrn, name, dob, sex), now_ms, by).await?;
        let course = Course {
            id: 0,
            patient_id: id,
            regimen: regimen.into(),
            rule_set: "label".into(),
            started_at_ms: now_ms - 72 * HOUR_MS,
            baseline_weight_kg: None,
            baseline_creatinine_mg_dl: None,
        };
        record::create_course(&mut tx, &course, now_ms, by).await?;
        outpatients.push(id);
    }
    let checkins = [
        (
            outpatients[0],
            3,
            json!({"temperature": {"value": 100.9, "unit": "[degF]"}, "chills": "moderate", "short_of_breath": "none", "fluids_not_kept_down_hours": 0}),
        ),
        (
            outpatients[1],
            20,
            json!({"temperature": {"value": 37.1, "unit": "Cel"}, "fatigue": "mild", "short_of_breath": "none", "fluids_not_kept_down_hours": 0}),
        ),
    ];
    for (patient_id, hours_ago, answers) in checkins {
        let at = crate::rfc3339(now_ms - hours_ago * HOUR_MS);
        let document = json!({"at": at, "answers": answers});
        let parsed = parse_checkin(&document.to_string())?;
        let result = triage(&parsed);
        let stored = CheckIn {
            id: 0,
            patient_id,
            client_id: None,
            at_ms: parsed.at.as_millisecond(),
            level: result.level.id().into(),
            level_rank: result.level as i64,
            document: document.to_string(),
            result: triage_json(&result).to_string(),
            acknowledged: false,
        };
        record::add_checkin(&mut tx, &stored, now_ms, by).await?;
    }
    let mut accounts_made = Vec::new();
    let logins = [
        ("nurse", "Nora Nurse", "nurse", None),
        ("physician", "Dr. Phil Ades", "physician", None),
        ("pharmacist", "Pat Pharm", "pharmacist", None),
        ("admin", "Ada Admin", "admin", None),
        ("patient", "Maria Lopez", "patient", Some(outpatients[0])),
        ("patient2", "Sam Okafor", "patient", Some(outpatients[1])),
    ];
    for (username, display_name, role, patient_id) in logins {
        let password = match password {
            Some(fixed) => fixed.to_string(),
            None => new_token()?[..16].to_string(),
        };
        let hash = hash_password(&password)?;
        let user = NewUser { username, display_name, password_hash: &hash, role, patient_id, now_ms };
        accounts::create_user(&mut tx, &user).await?;
        accounts_made.push(DemoAccount { username: username.into(), role: role.into(), password });
    }
    tx.commit().await?;
    Ok(accounts_made)
}
