//! Writes a large FHIR R4 collection Bundle in the shape of a bulk export, for the import benchmark in
//! BENCHMARKS.md: PATIENTS Patients and OBSERVATIONS Observations (vitals and labs as a ward charts them, spread
//! evenly over the patients), every entry with a `urn:uuid` fullUrl and every subject a `urn:uuid` reference.
//! Deterministic: the same arguments write the same bytes (times count back from a fixed instant).
//!
//! Run: `cargo run -p il2care_wire --example bulk_bundle -- FILE [PATIENTS] [OBSERVATIONS] [interleaved]`
//! (defaults 2,000 and 100,000; `interleaved` writes each Patient followed by its Observations).

use std::io::Write;

use serde_json::json;

/// (LOINC, UCUM, base value, step): a value that varies a little from one observation to the next.
const KINDS: [(&str, &str, i64, i64); 8] = [
    ("8480-6", "mm[Hg]", 100, 30),
    ("8462-4", "mm[Hg]", 60, 20),
    ("8867-4", "/min", 70, 40),
    ("8310-5", "Cel", 365, 15),
    ("2708-6", "%", 92, 8),
    ("9279-1", "/min", 12, 10),
    ("2160-0", "mg/dL", 7, 8),
    ("29463-7", "kg", 600, 400),
];

/// The instant the observations count back from (a minute apart per patient).
const LAST: i64 = 1_793_000_000; // 2026-10-26, seconds since the epoch.

fn uuid(kind: u32, index: usize) -> String {
    format!("urn:uuid:{kind:08x}-0000-4000-8000-{index:012x}")
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: bulk_bundle FILE [PATIENTS] [OBSERVATIONS] [interleaved]");
        std::process::exit(2);
    };
    let patients: usize = args.get(2).and_then(|text| text.parse().ok()).unwrap_or(2_000).max(1);
    let observations: usize = args.get(3).and_then(|text| text.parse().ok()).unwrap_or(100_000);
    let interleaved = args.get(4).is_some_and(|word| word == "interleaved");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(out, r#"{{"resourceType":"Bundle","type":"collection","entry":["#)?;
    // Every Patient, then every Observation; or, interleaved, each Patient followed by its own Observations
    // (the same entries in another order, as an export written patient by patient lays them out).
    let mut first = true;
    let mut write = |entry: serde_json::Value| -> std::io::Result<()> {
        if !std::mem::take(&mut first) {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut out, &entry).map_err(std::io::Error::other)
    };
    if interleaved {
        for patient in 0..patients {
            write(patient_entry(patient))?;
            for index in (patient..observations).step_by(patients) {
                write(observation_entry(index, patients)?)?;
            }
        }
    } else {
        for patient in 0..patients {
            write(patient_entry(patient))?;
        }
        for index in 0..observations {
            write(observation_entry(index, patients)?)?;
        }
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

fn patient_entry(patient: usize) -> serde_json::Value {
    json!({"fullUrl": uuid(1, patient), "resource": {"resourceType": "Patient",
        "identifier": [{"system": "urn:il2care:mrn", "value": format!("BULK-{patient:05}")}],
        "name": [{"family": format!("Family{patient}"), "given": ["Bulk"]}],
        "gender": if patient.is_multiple_of(2) { "female" } else { "male" },
        "birthDate": format!("{}-{:02}-{:02}", 1940 + patient % 60, 1 + patient % 12, 1 + patient % 28)}})
}

/// Observation `index` of the Bundle: its patient is `index % patients`, a minute earlier per round.
fn observation_entry(index: usize, patients: usize) -> std::io::Result<serde_json::Value> {
    let patient = index % patients;
    let (loinc, unit, base, step) = KINDS[index % KINDS.len()];
    let raw = base + (index as i64 * 7919) % step;
    // Temperature in tenths of a degree, creatinine in tenths of mg/dL, weight in tenths of a kg.
    let value = match loinc {
        "8310-5" | "2160-0" | "29463-7" => json!(raw as f64 / 10.0),
        _ => json!(raw),
    };
    let at = jiff::Timestamp::from_second(LAST - 60 * (index / patients) as i64).map_err(std::io::Error::other)?;
    Ok(json!({"fullUrl": uuid(2, index), "resource": {"resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": if loinc == "2160-0" { "laboratory" } else { "vital-signs" }}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": uuid(1, patient)}, "effectiveDateTime": at.to_string(),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}}))
}
