//! Writes the inputs of BENCHMARKS.md's batch figures: check-ins, assessments and screenings as JSON Lines,
//! with varied, valid content from a fixed seed (the same files on every machine). Writes files only.
//!
//! `cargo run -p il2care_cli --example jsonl_inputs -- DIR [COUNT] [SEED]` writes `DIR/checkins.jsonl`,
//! `DIR/assessments.jsonl` and `DIR/screenings.jsonl` (COUNT lines each, default 10,000; SEED default 18).
//! The documents follow the repository's case files (`tests/cases/`) with their values drawn across and beyond
//! the rules' thresholds, so every result level and decision occurs; none should be refused (the tests check
//! that `--jsonl` refuses none of a sample).

use std::io::Write;

use serde_json::{Value, json};

/// A small deterministic generator (SplitMix64): the inputs must be the same on every run and machine.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `low..=high`.
    fn int(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    /// A number in `low..=high` with one decimal.
    fn tenth(&mut self, low: f64, high: f64) -> f64 {
        self.int((low * 10.0).round() as i64, (high * 10.0).round() as i64) as f64 / 10.0
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[(self.next() % choices.len() as u64) as usize]
    }
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({"value": value, "unit": unit})
}

const SEVERITY: [&str; 5] = ["none", "mild", "moderate", "severe", "very_severe"];
const YES_NO_ITEMS: [&str; 23] = [
    "hard_to_wake",
    "seizure",
    "chest_pain",
    "fainted",
    "bleeding_wont_stop",
    "confusion",
    "lightheaded",
    "sudden_swelling",
    "no_urine_12h",
    "bleeding",
    "skin_blisters_or_peeling",
    "sore_throat",
    "cough",
    "cold_symptoms",
    "burning_urination",
    "sore_not_healing",
    "rash",
    "unusual_bruising",
    "yellow_skin_or_eyes",
    "dark_urine",
    "less_urine",
    "ankle_swelling",
    "may_be_pregnant",
];
const SEVERITY_ITEMS: [&str; 9] = [
    "short_of_breath",
    "chills",
    "abdominal_pain",
    "mouth_sores",
    "nausea",
    "itching",
    "fatigue",
    "appetite_loss",
    "aches",
];

/// A patient's check-in: a random subset of the items, mostly mild answers.
pub fn checkin(random: &mut Random) -> Value {
    let mut answers = serde_json::Map::new();
    if random.chance(70) {
        let celsius = random.tenth(35.4, 40.2);
        let temperature = if random.chance(50) {
            quantity(((celsius * 9.0 / 5.0 + 32.0) * 10.0).round() / 10.0, "[degF]")
        } else {
            quantity(celsius, "Cel")
        };
        answers.insert("temperature".into(), temperature);
    } else if random.chance(30) {
        answers.insert("feels_feverish".into(), json!(random.chance(40)));
    }
    for item in YES_NO_ITEMS {
        if random.chance(25) {
            answers.insert(item.into(), json!(random.chance(8)));
        }
    }
    for item in SEVERITY_ITEMS {
        if random.chance(30) {
            let word = if random.chance(60) { "none" } else { random.pick(&SEVERITY) };
            answers.insert(item.into(), json!(word));
        }
    }
    if random.chance(30) {
        answers.insert("home_systolic_bp".into(), quantity(random.int(80, 150) as f64, "mm[Hg]"));
    }
    for (item, high) in [("fluids_not_kept_down_hours", 14), ("vomiting_episodes_24h", 8), ("extra_stools_24h", 9)] {
        if random.chance(30) {
            let value = if random.chance(60) { 0 } else { random.int(0, high) };
            answers.insert(item.into(), json!(value));
        }
    }
    if random.chance(15) {
        answers.insert("injection_site".into(), json!(random.pick(&["none", "red_or_sore", "spreading_warm_or_pus"])));
    }
    let minute = random.int(0, 59);
    let mut document = json!({"at": format!("2026-11-27T08:{minute:02}:00-05:00"), "answers": answers});
    if random.chance(50) {
        document["regimen"] = json!(random.pick(&["saadoun-2011-sc", "kim-2021-sc", "hd-iv"]));
    }
    document
}

/// One high-dose IV assessment at 16:00 on day 3 of cycle 1, vitals and labs drawn around the hold limits.
pub fn assessment(random: &mut Random) -> Value {
    let observation = |code: &str, value: Value, at: &str| json!({"code": code, "value": value, "at": at});
    let vitals_at = "2026-11-27T15:00:00Z";
    let labs_at = "2026-11-27T06:00:00Z";
    let baseline_weight = random.int(50, 120) as f64;
    let mut observations = vec![
        observation("systolic_bp", quantity(random.int(76, 150) as f64, "mm[Hg]"), vitals_at),
        observation("heart_rate", quantity(random.int(60, 140) as f64, "/min"), vitals_at),
        observation("spo2", quantity(random.int(86, 100) as f64, "%"), vitals_at),
        observation("temperature", quantity(random.tenth(36.0, 40.3), "Cel"), vitals_at),
        observation("weight", quantity(baseline_weight + random.tenth(0.0, 9.0), "kg"), labs_at),
        observation("creatinine", quantity(random.tenth(0.6, 5.5), "mg/dL"), labs_at),
        observation("bilirubin_total", quantity(random.tenth(0.3, 8.0), "mg/dL"), labs_at),
        observation("platelets", quantity(random.int(25, 400) as f64, "10*3/uL"), labs_at),
        observation("bicarbonate", quantity(random.int(14, 30) as f64, "mmol/L"), labs_at),
    ];
    // About one document in ten misses one vital sign or lab, which gives insufficient_data.
    if random.chance(10) {
        observations.remove(random.int(0, observations.len() as i64 - 1) as usize);
    }
    for hour in (16..40).step_by(4) {
        let start = format!("2026-11-{:02}T{:02}:00:00Z", 26 + hour / 24, hour % 24);
        let end = format!("2026-11-{:02}T{:02}:00:00Z", 26 + (hour + 4) / 24, (hour + 4) % 24);
        observations.push(json!({"code": "urine_output", "value": quantity(random.int(30, 400) as f64, "mL"),
                                 "start": start, "end": end}));
    }
    for (start, end) in
        [("2026-11-27T00:00:00Z", "2026-11-27T08:00:00Z"), ("2026-11-27T08:00:00Z", "2026-11-27T16:00:00Z")]
    {
        observations.push(json!({"code": "stool_output", "value": quantity(random.int(0, 600) as f64, "mL"),
                                 "start": start, "end": end}));
    }
    let mut findings = vec![
        json!({"code": "o2_device", "value": "none", "at": vitals_at}),
        json!({"code": "pressor_requirement", "value": "none", "at": vitals_at}),
    ];
    if random.chance(5) {
        findings.push(json!({"code": "atrial_fibrillation", "value": true, "at": vitals_at}));
    }
    let doses = random.int(0, 14);
    json!({
        "at": "2026-11-27T16:00:00Z",
        "rule_set": if random.chance(70) { "label" } else { "consensus" },
        "patient": {"sex": random.pick(&["female", "male"]),
                    "baseline_weight": quantity(baseline_weight, "kg"),
                    "baseline_creatinine": quantity(random.tenth(0.6, 1.3), "mg/dL")},
        "course": {"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z", "cycle": 1,
                   "doses_given_this_cycle": doses, "doses_given_this_course": doses,
                   "holds_this_cycle": random.int(0, 2), "last_dose_at": "2026-11-27T08:00:00Z", "pending_holds": []},
        "observations": observations,
        "findings_reviewed": random.chance(95),
        "findings": findings,
    })
}

/// A pre-treatment screening for high-dose IV: work-up results, labs and a medication list drawn at random.
pub fn screening(random: &mut Random) -> Value {
    let labs_at = "2026-11-25T07:00:00-05:00";
    let lab = |code: &str, value: f64, unit: &str| json!({"code": code, "value": quantity(value, unit), "at": labs_at});
    let female = random.chance(50);
    let mut patient = json!({
        "date_of_birth": format!("{}-{:02}-{:02}", random.int(1940, 2008), random.int(1, 12), random.int(1, 28)),
        "sex": if female { "female" } else { "male" },
        "weight": quantity(random.int(45, 130) as f64, "kg"),
        "reproductive_potential": random.chance(50),
        "contraception_counselled": random.chance(97),
    });
    if female {
        patient["pregnancy_test"] = json!({"result": if random.chance(97) { "negative" } else { "positive" },
                                           "at": "2026-11-25T08:00:00-05:00"});
        patient["breastfeeding"] = json!(random.chance(5));
    }
    let normal_or = |random: &mut Random, other: &'static str| if random.chance(97) { "normal" } else { other };
    let medications: Vec<&str> = [
        "Decadron 4 mg PO daily",
        "LISINOPRIL 10 mg",
        "morphine 2 mg IV prn",
        "Zyxoflamin 20 mg",
        "metoprolol 25 mg",
        "ondansetron 8 mg",
        "acetaminophen 650 mg",
        "gentamicin 80 mg IV",
    ]
    .into_iter()
    .filter(|_| random.chance(6))
    .collect();
    json!({
        "at": "2026-11-27T09:00:00-05:00",
        "regimen": "hd-iv",
        "planned_start": "2026-11-30T08:00:00-05:00",
        "patient": patient,
        "indication": random.pick(&["metastatic_renal_cell_carcinoma", "metastatic_melanoma"]),
        "history": {"hypersensitivity_to_aldesleukin": random.chance(2), "cardiac_disease": random.chance(3),
                    "lung_disease": random.chance(3), "organ_allograft": random.chance(2)},
        "tests": {
            "cardiac": {"ejection_fraction": normal_or(random, "abnormal"), "wall_motion": normal_or(random, "impaired"),
                        "coronary_artery_disease": "none", "stress_test": normal_or(random, "abnormal"),
                        "at": "2026-11-02T10:00:00-05:00"},
            "pulmonary": {"fev1": quantity(random.tenth(1.9, 4.5), "L"),
                          "fev1_percent_predicted": quantity(random.int(72, 110) as f64, "%"),
                          "significant_impairment": random.chance(5), "at": "2026-11-03T10:00:00-05:00"},
            "cns": {"impairment": random.chance(3), "brain_metastases": random.chance(2), "at": "2026-11-05T10:00:00-05:00"},
        },
        "impairment": {"renal": random.chance(1), "hepatic": random.chance(1), "cns": false, "at": "2026-11-25T10:00:00-05:00"},
        "infection": {"status": if random.chance(95) { "none" } else { "untreated_bacterial" }, "at": "2026-11-26T10:00:00-05:00"},
        "central_line_planned": random.chance(5),
        "performance_status": {"ecog": if random.chance(95) { random.int(0, 1) } else { 2 }, "at": "2026-11-25T10:00:00-05:00"},
        "intensive_care_available": random.chance(97),
        "education": {"sheet_given": random.chance(98), "contrast_flag_explained": random.chance(98)},
        "labs": [
            lab("wbc", random.tenth(2.0, 12.0), "10*3/uL"),
            lab("anc", random.tenth(0.8, 8.0), "10*3/uL"),
            lab("platelets", random.int(60, 400) as f64, "10*3/uL"),
            lab("hemoglobin", random.tenth(8.0, 16.0), "g/dL"),
            lab("potassium", random.tenth(3.0, 5.5), "mmol/L"),
            lab("bicarbonate", random.int(18, 30) as f64, "mmol/L"),
            lab("creatinine", random.tenth(0.6, 2.0), "mg/dL"),
            lab("bilirubin_total", random.tenth(0.3, 2.5), "mg/dL"),
            lab("alt", random.int(10, 150) as f64, "U/L"),
            lab("ast", random.int(10, 150) as f64, "U/L"),
        ],
        "previous_courses": [],
        "medications": medications,
    })
}

/// Writes `count` documents made by `make` to `path`, one compact JSON per line.
fn write(
    path: &std::path::Path,
    count: usize,
    random: &mut Random,
    make: fn(&mut Random) -> Value,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for _ in 0..count {
        serde_json::to_writer(&mut out, &make(random))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: jsonl_inputs DIR [COUNT] [SEED]";
    let dir = std::path::PathBuf::from(args.next().expect(usage));
    let count: usize = args.next().map_or(10_000, |text| text.parse().expect(usage));
    let seed: u64 = args.next().map_or(18, |text| text.parse().expect(usage));
    std::fs::create_dir_all(&dir)?;
    let mut random = Random::new(seed);
    for (name, make) in [
        ("checkins.jsonl", checkin as fn(&mut Random) -> Value),
        ("assessments.jsonl", assessment),
        ("screenings.jsonl", screening),
    ] {
        let path = dir.join(name);
        write(&path, count, &mut random, make)?;
        println!("wrote {count} documents to {}", path.display());
    }
    Ok(())
}
