//! The demo ward of `il2care serve --demo`: users for each role, a few high-dose inpatients mid-cycle and a
//! few low-dose outpatients with recent check-ins and logged injections, and a stored pre-treatment screening,
//! so a new user sees a living system at once.
//!
//! Demo data is made up. It is created only into an empty database, through the same store functions and
//! the same triage as real submissions.

use il2care_app::injections::ShotStatus;
use il2care_core::triage::triage;
use il2care_store::Store;
use il2care_store::accounts::{self, NewUser};
use il2care_store::record::{self, Course, DoseEvent, Injection, Observation, Patient, StoredCheckIn};
use il2care_wire::checkin::parse_checkin;
use serde_json::json;

use crate::api::assessments::evaluate_and_record_document;
use crate::api::stateless::triage_json;
use crate::auth::{Actor, Role, hash_password, new_token};
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

/// One measured series of a demo inpatient: code, unit and six values, 30, 24, 18, 12, 6 and 2 hours ago (urine
/// output: the volume since the previous time).
type DemoSeries = (&'static str, &'static str, [&'static str; 6]);

/// The demo inpatients' observations, so the course page's trend charts have points. The first and third are
/// stable; the second shows capillary leak (falling pressure, rising heart rate and weight, less urine,
/// rising creatinine).
const DEMO_SERIES: [[DemoSeries; 8]; 3] = [
    [
        ("systolic_bp", "mm[Hg]", ["118", "121", "116", "119", "117", "120"]),
        ("heart_rate", "/min", ["84", "88", "86", "90", "85", "87"]),
        ("temperature", "Cel", ["37.1", "37.6", "37.3", "37.8", "37.2", "37.4"]),
        ("weight", "kg", ["84.0", "84.2", "84.3", "84.5", "84.6", "84.8"]),
        ("urine_output", "mL", ["480", "450", "500", "470", "460", "330"]),
        ("creatinine", "mg/dL", ["0.9", "0.9", "1.0", "0.9", "1.0", "1.0"]),
        ("bilirubin_total", "mg/dL", ["0.7", "0.8", "0.8", "0.7", "0.8", "0.8"]),
        ("platelets", "10*3/uL", ["220", "214", "209", "205", "201", "198"]),
    ],
    [
        ("systolic_bp", "mm[Hg]", ["118", "110", "104", "98", "92", "86"]),
        ("heart_rate", "/min", ["92", "98", "104", "110", "116", "122"]),
        ("temperature", "Cel", ["37.4", "37.9", "38.3", "38.6", "38.2", "38.4"]),
        ("weight", "kg", ["61.0", "61.4", "62.0", "62.6", "63.1", "63.8"]),
        ("urine_output", "mL", ["300", "240", "180", "120", "90", "40"]),
        ("creatinine", "mg/dL", ["0.9", "1.1", "1.4", "1.8", "2.2", "2.6"]),
        ("bilirubin_total", "mg/dL", ["0.8", "0.9", "1.1", "1.3", "1.6", "1.9"]),
        ("platelets", "10*3/uL", ["180", "164", "150", "131", "118", "104"]),
    ],
    [
        ("systolic_bp", "mm[Hg]", ["112", "108", "110", "106", "104", "104"]),
        ("heart_rate", "/min", ["80", "83", "85", "82", "86", "84"]),
        ("temperature", "Cel", ["36.9", "37.4", "37.2", "37.6", "37.1", "37.3"]),
        ("weight", "kg", ["97.0", "97.1", "97.3", "97.4", "97.6", "97.7"]),
        ("urine_output", "mL", ["420", "400", "440", "410", "430", "280"]),
        ("creatinine", "mg/dL", ["0.8", "0.9", "0.9", "0.9", "1.0", "0.9"]),
        ("bilirubin_total", "mg/dL", ["0.6", "0.6", "0.7", "0.7", "0.6", "0.7"]),
        ("platelets", "10*3/uL", ["240", "236", "230", "228", "221", "219"]),
    ],
];

/// A demo value as a JSON number (the values above are written as decimal text).
fn decimal(text: &str) -> serde_json::Value {
    text.parse::<rust_decimal::Decimal>().map_or(serde_json::Value::Null, il2care_wire::json::number)
}

#[allow(clippy::too_many_arguments)]
async fn add_observation(
    tx: &mut il2care_store::Conn,
    patient_id: i64,
    code: &str,
    value: &str,
    unit: &str,
    at_ms: i64,
    start_ms: Option<i64>,
    document: serde_json::Value,
    now_ms: i64,
) -> Result<(), AppError> {
    let observation = Observation {
        id: 0,
        patient_id,
        client_id: None,
        code: code.into(),
        value: value.into(),
        unit: unit.into(),
        at_ms,
        start_ms,
        document: document.to_string(),
        corrects_id: None,
    };
    record::add_observation(tx, &observation, now_ms, "demo").await?;
    Ok(())
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
    let mut inpatient_courses = Vec::new();
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
        let course_id = record::create_course(&mut tx, &course, now_ms, by).await?;
        // The doses of the slots already past (every 8 hours from the start): given, except that the second
        // inpatient's last two were held for low blood pressure.
        let past_slots: Vec<i64> = (0..).map(|slot| slot * 8).take_while(|hours| *hours < doses_ago_hours).collect();
        for (index, hours_after_start) in past_slots.iter().enumerate() {
            let held = mrn == "HD-1002" && index + 2 >= past_slots.len();
            let event = DoseEvent {
                id: 0,
                patient_id: id,
                course_id,
                assessment_id: None,
                status: if held { "held" } else { "given" }.into(),
                at_ms: course.started_at_ms + hours_after_start * HOUR_MS,
                override_reason: None,
                corrects_id: None,
                recorded_by: by.into(),
            };
            record::add_dose_event(&mut tx, &event, now_ms).await?;
        }
        let detail = format!("first dose given {}", crate::rfc3339(course.started_at_ms));
        record::add_flag(&mut tx, id, "received_interleukin_2", &detail, course.started_at_ms, by).await?;
        inpatients.push(id);
        inpatient_courses.push(course_id);
    }
    // Observations over the last 36 hours, so the course page's trend charts have points: the first and third
    // inpatients are stable; the second shows capillary leak (falling pressure, rising heart rate and weight,
    // less urine, rising creatinine).
    for (patient_id, series) in inpatients.iter().zip(DEMO_SERIES) {
        let times = [30_i64, 24, 18, 12, 6, 2];
        for (step, hours_ago) in times.into_iter().enumerate() {
            let at = now_ms - hours_ago * HOUR_MS;
            for (code, unit, values) in series {
                let value = values[step];
                if code == "urine_output" {
                    // The volume collected since the previous time (6 hours before the first): one interval per
                    // period, never overlapping.
                    let start = now_ms - step.checked_sub(1).map_or(36, |previous| times[previous]) * HOUR_MS;
                    let document = json!({"code": code, "value": {"value": decimal(value), "unit": unit},
                                          "start": crate::rfc3339(start), "end": crate::rfc3339(at)});
                    add_observation(&mut tx, *patient_id, code, value, unit, at, Some(start), document, now_ms).await?;
                } else {
                    let document = json!({"code": code, "value": {"value": decimal(value), "unit": unit}, "at": crate::rfc3339(at)});
                    add_observation(&mut tx, *patient_id, code, value, unit, at, None, document, now_ms).await?;
                }
            }
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
        let course_id = record::create_course(&mut tx, &course, now_ms, by).await?;
        outpatients.push(id);
        // The shots of the first three days, logged by the patient: the first outpatient skipped the third
        // (the fourth, due now, is left for a new user to log).
        let shots: [(ShotStatus, &str, Option<&str>); 3] = if mrn == "LD-2001" {
            [
                (ShotStatus::Given, "abdomen_left", None),
                (ShotStatus::Given, "thigh_right", Some("a little red afterwards")),
                (ShotStatus::Skipped, "", Some("felt feverish, called the clinic")),
            ]
        } else {
            [
                (ShotStatus::Given, "abdomen_right", None),
                (ShotStatus::Given, "abdomen_left", None),
                (ShotStatus::Given, "thigh_left", None),
            ]
        };
        for (slot, (status, site, text)) in (1_i64..).zip(shots) {
            let planned_ms = course.started_at_ms + (slot - 1) * 24 * HOUR_MS;
            let skipped = status == ShotStatus::Skipped;
            let injection = Injection {
                id: 0,
                patient_id: id,
                course_id,
                client_id: None,
                status: status.id().into(),
                slot_number: Some(slot),
                // Days 1 to 3 are at the first dose level of both regimens.
                dose_level: il2care_core::regimens::regimen(regimen).map(|regimen| regimen.levels[0].id.to_string()),
                at_ms: planned_ms + if skipped { 2 * HOUR_MS } else { 10 * 60_000 },
                site: (!skipped).then(|| site.to_string()),
                skip_reason: if skipped { text.map(str::to_string) } else { None },
                note: if skipped { None } else { text.map(str::to_string) },
                corrects_id: None,
                recorded_by: if mrn == "LD-2001" { "patient" } else { "patient2" }.into(),
            };
            record::add_injection(&mut tx, &injection, now_ms).await?;
            if !skipped {
                let by = injection.recorded_by.as_str();
                crate::api::doses::mark_interleukin_2_given(&mut tx, id, injection.at_ms, by).await?;
            }
        }
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
        let stored = StoredCheckIn {
            id: 0,
            patient_id,
            client_id: None,
            at_ms: parsed.at.as_millisecond(),
            level: result.level.id().into(),
            level_rank: result.level as i64,
            document: document.to_string(),
            result: triage_json(&result).to_string(),
            called_back: false,
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
        // A second physician, to co-sign a dose given against `discontinue_permanently` (ASSESSMENT §10.6).
        ("physician2", "Dr. Cora Sign", "physician", None),
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
    // The second inpatient's decision for the dose due now, made by the demo physician through the same
    // function as `POST /api/v1/patients/{id}/decisions` (it holds for the falling blood pressure).
    let physician = {
        let mut conn = store.connection().await?;
        accounts::user_by_name(&mut conn, "physician").await?
    };
    if let (Some(user), Some(patient_id), Some(course_id)) = (physician, inpatients.get(1), inpatient_courses.get(1)) {
        let actor = Actor::new(user, Role::Physician, "demo".into());
        let document =
            json!({"course_id": course_id, "at": crate::rfc3339(now_ms), "findings_reviewed": true, "findings": []});
        let state = crate::AppState::new(store.clone());
        evaluate_and_record_document(&state, &actor, *patient_id, &document.to_string()).await?;
    }
    // The first inpatient's pre-treatment screening, evaluated and stored by the demo pharmacist through the same
    // function as `POST /api/v1/patients/{id}/screenings`.
    let pharmacist = {
        let mut conn = store.connection().await?;
        accounts::user_by_name(&mut conn, "pharmacist").await?
    };
    if let (Some(user), Some(patient_id)) = (pharmacist, inpatients.first()) {
        let actor = Actor::new(user, Role::Pharmacist, "demo".into());
        let state = crate::AppState::new(store.clone());
        let document = demo_screening(now_ms).to_string();
        crate::api::screenings::submit_document(&state, &actor, *patient_id, &document).await?;
    }
    Ok(accounts_made)
}

/// The first inpatient's screening document, four hours before his first dose: a clean work-up, but a medication
/// list with a beta blocker and a name il2care does not know, and a restaging CT with iodinated contrast planned
/// for after the course (so the page shows an item that needs review, an interaction, an unrecognised name and a
/// contrast warning).
fn demo_screening(now_ms: i64) -> serde_json::Value {
    let ago = |hours: i64| crate::rfc3339(now_ms - hours * HOUR_MS);
    let lab = |code: &str, value: &str, unit: &str| json!({"code": code, "value": {"value": decimal(value), "unit": unit}, "at": ago(60)});
    json!({
        "at": ago(44), "regimen": "hd-iv", "planned_start": ago(40),
        "patient": {"date_of_birth": "1968-02-11", "sex": "male", "weight": {"value": 84, "unit": "kg"},
                    "reproductive_potential": true, "contraception_counselled": true, "breastfeeding": false},
        "indication": "metastatic_renal_cell_carcinoma",
        "history": {"hypersensitivity_to_aldesleukin": false, "cardiac_disease": false, "lung_disease": false,
                    "organ_allograft": false},
        "tests": {
            "cardiac": {"ejection_fraction": "normal", "wall_motion": "normal", "coronary_artery_disease": "none",
                        "stress_test": "normal", "at": ago(30 * 24)},
            "pulmonary": {"fev1": {"value": 3.4, "unit": "L"}, "fev1_percent_predicted": {"value": 92, "unit": "%"},
                          "significant_impairment": false, "at": ago(29 * 24)},
            "cns": {"impairment": false, "brain_metastases": false, "at": ago(28 * 24)}
        },
        "impairment": {"renal": false, "hepatic": false, "cns": false, "at": ago(60)},
        "infection": {"status": "none", "at": ago(50)},
        "central_line_planned": false,
        "performance_status": {"ecog": 0, "at": ago(60)},
        "intensive_care_available": true,
        "education": {"sheet_given": true, "contrast_flag_explained": true},
        "labs": [lab("wbc", "6.1", "10*3/uL"), lab("anc", "3.9", "10*3/uL"), lab("platelets", "240", "10*3/uL"),
                 lab("hemoglobin", "13.2", "g/dL"), lab("potassium", "4.1", "mmol/L"), lab("bicarbonate", "25", "mmol/L"),
                 lab("creatinine", "0.9", "mg/dL"), lab("bilirubin_total", "0.7", "mg/dL"), lab("alt", "22", "U/L"),
                 lab("ast", "25", "U/L")],
        "previous_courses": [],
        "medications": ["Toprol-XL 50 mg daily", "acetaminophen 650 mg", "Pepcid 20 mg", "Zyxoflamin 20 mg"],
        "interleukin_2": {"received": false},
        "planned_contrast": [{"agent": "iodinated", "at": crate::rfc3339(now_ms + 10 * 24 * HOUR_MS),
                              "description": "restaging CT chest, abdomen and pelvis"}]
    })
}
