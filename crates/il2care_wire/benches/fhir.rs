//! Observations per second read from a large FHIR Bundle: `fhir::import::plan` (JSON parsing, LOINC and UCUM
//! mapping, unit and range validation through the assessment rules, the import plan) against raw `serde_json`
//! parsing of the same text, for the ratio. The Bundle (10,000 Observations of six kinds for one patient) is
//! built here. Run: `cargo bench -p il2care_wire --bench fhir`.

#![allow(clippy::unwrap_used)] // Benchmark set-up: a failed unwrap is a broken fixture.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use il2care_wire::fhir::import;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const OBSERVATIONS: usize = 10_000;
const PATIENT: &str = "urn:uuid:0b9c3b6e-0000-4000-8000-000000000001";

/// (LOINC, value, UCUM): vitals and labs as a ward charts them.
const KINDS: [(&str, f64, &str); 6] = [
    ("8480-6", 112.0, "mm[Hg]"),
    ("8867-4", 84.0, "/min"),
    ("8310-5", 37.2, "Cel"),
    ("2708-6", 97.0, "%"),
    ("2160-0", 1.1, "mg/dL"),
    ("29463-7", 80.5, "kg"),
];

fn bundle_text(now: Timestamp) -> String {
    let mut entries = vec![json!({"fullUrl": PATIENT, "resource": {"resourceType": "Patient",
        "identifier": [{"system": "urn:il2care:mrn", "value": "BENCH-1"}], "name": [{"text": "Bench Patient"}],
        "birthDate": "1970-01-01", "gender": "unknown"}})];
    for index in 0..OBSERVATIONS {
        let (loinc, value, unit) = KINDS[index % KINDS.len()];
        let at = now - SignedDuration::from_mins(index as i64 + 1);
        entries.push(json!({"resource": {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "subject": {"reference": PATIENT}, "effectiveDateTime": at.to_string(),
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}}));
    }
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries}).to_string()
}

fn observations(criterion: &mut Criterion) {
    let now = Timestamp::now();
    let text = bundle_text(now);
    let plan = import::plan(&text, now).unwrap();
    assert!(!plan.has_errors(), "the fixture is valid: {:?}", plan.issues.first());
    let mut group = criterion.benchmark_group("fhir_bundle_10k_observations");
    group.sample_size(20);
    group.throughput(Throughput::Elements(OBSERVATIONS as u64));
    group
        .bench_function("plan (parse + validate)", |bench| bench.iter(|| import::plan(black_box(&text), now).unwrap()));
    group.bench_function("serde_json::Value only", |bench| {
        bench.iter(|| serde_json::from_str::<Value>(black_box(&text)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, observations);
criterion_main!(benches);
