//! `il2care export` and `il2care import` as a user runs them: a demo ward patient exported, imported into an
//! empty database and exported again keeps its clinical content; a Bundle with a wrong unit exits 2 and the
//! OperationOutcome names the resource. The progress bar stays hidden (stderr is not a terminal here).

use std::path::PathBuf;

use il2care_store::Store;
use serde_json::{Value, json};

use crate::support::il2care;

/// A fresh folder for this test's databases and files.
fn folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("il2care-cli-fhir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Creates the demo ward in a new SQLite database; the patients' record ids.
fn demo_database(url: &str) -> Vec<i64> {
    runtime().block_on(async {
        let store = Store::open(url).await.unwrap();
        il2care_web::demo::create(&store, jiff::Timestamp::now().as_millisecond(), Some("demo password"))
            .await
            .unwrap();
        let mut conn = store.connection().await.unwrap();
        let ids = il2care_store::record::patients(&mut conn).await.unwrap().iter().map(|patient| patient.id).collect();
        drop(conn);
        store.close().await;
        ids
    })
}

fn patient_ids(url: &str) -> Vec<i64> {
    runtime().block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut conn = store.connection().await.unwrap();
        let ids = il2care_store::record::patients(&mut conn).await.unwrap().iter().map(|patient| patient.id).collect();
        drop(conn);
        store.close().await;
        ids
    })
}

/// The resources that are imported, without ids, references and the course's record id; sorted.
fn clinical_content(bundle: &Value) -> Vec<Value> {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for key in ["id", "fullUrl", "reference", "search"] {
                    map.remove(key);
                }
                if map.get("system").and_then(Value::as_str) == Some("urn:il2care:course") {
                    map.remove("value");
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(list) => list.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let kept = ["Patient", "Observation", "MedicationRequest", "MedicationAdministration", "Flag"];
    let mut list: Vec<Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["resource"].clone())
        .filter(|resource| kept.contains(&resource["resourceType"].as_str().unwrap()))
        .map(|mut resource| {
            // A held dose's reason names the decision, and decisions are not imported.
            if resource["resourceType"] == "MedicationAdministration" {
                resource.as_object_mut().unwrap().remove("statusReason");
            }
            strip(&mut resource);
            resource
        })
        .collect();
    list.sort_by_key(|resource| resource.to_string());
    list
}

fn export(url: &str, patient: i64, file: &std::path::Path) -> Value {
    let run = il2care(
        &["export", "--patient", &patient.to_string(), "--database", url, "--output", &file.display().to_string()],
        None,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn a_demo_patient_exported_imported_into_an_empty_database_and_exported_again_keeps_its_clinical_content() {
    let folder = folder("round-trip");
    let demo = format!("sqlite://{}", folder.join("demo.db").display());
    let empty = format!("sqlite://{}", folder.join("empty.db").display());
    let patients = demo_database(&demo);
    let mut compared = 0;
    for (index, patient) in patients.iter().enumerate() {
        let file = folder.join(format!("patient-{patient}.json"));
        let first = export(&demo, *patient, &file);
        let run = il2care(&["import", &file.display().to_string(), "--database", &empty], None);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert_eq!(run.json()["resourceType"], "OperationOutcome", "{}", run.stdout);
        assert!(!run.stderr.contains('\u{1b}'), "no progress bar when stderr is not a terminal: {}", run.stderr);
        let imported = patient_ids(&empty);
        assert_eq!(imported.len(), index + 1, "one new patient per import");
        let second = export(&empty, imported[index], &folder.join(format!("again-{patient}.json")));
        let content = clinical_content(&first);
        assert_eq!(content, clinical_content(&second), "patient {patient}");
        compared += content.len();
    }
    assert!(compared > 100, "the demo ward has a day and a half of observations: {compared} resources compared");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// `il2care import FILE` reads the file's entries again a chunk at a time (its text is not held while it is
/// stored), and `il2care import -` or a pipe named as a file holds the text: they answer alike and store the
/// same record.
#[test]
fn a_bundle_imported_from_its_file_and_from_standard_input_is_answered_and_stored_alike() {
    let folder = folder("file-or-stdin");
    let demo = format!("sqlite://{}", folder.join("demo.db").display());
    let patients = demo_database(&demo);
    let bundle = export(&demo, patients[0], &folder.join("bundle.json"));
    let file = folder.join("bundle.json").display().to_string();
    let mut answers = Vec::new();
    // A pipe named as a file (`/dev/stdin`) cannot be read again: its text is held, as `-`'s is.
    let sources = [(file.as_str(), None), ("-", Some(bundle.to_string())), ("/dev/stdin", Some(bundle.to_string()))];
    for (source, stdin) in sources {
        let url = format!("sqlite://{}", folder.join(format!("from-{}.db", answers.len())).display());
        let run = il2care(&["import", source, "--database", &url], stdin.as_deref());
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(run.stdout.matches("stored as").count() >= 50, "{}", run.stdout);
        let imported = patient_ids(&url);
        assert_eq!(imported.len(), 1);
        let again = export(&url, imported[0], &folder.join(format!("again-{}.json", answers.len())));
        answers.push((run.stdout, clinical_content(&again)));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(answers[0].1, clinical_content(&bundle));
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_bundle_with_a_wrong_unit_exits_2_and_names_the_resource() {
    let folder = folder("refused");
    let url = format!("sqlite://{}", folder.join("il2care.db").display());
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0b9c3b6e-0000-4000-8000-000000000001",
         "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:il2care:mrn", "value": "CLI-1"}],
                      "name": [{"text": "Test Patient"}], "birthDate": "1970-01-01", "gender": "unknown"},
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                      "subject": {"reference": "urn:uuid:0b9c3b6e-0000-4000-8000-000000000001"},
                      "effectiveDateTime": "2026-11-27T08:00:00Z",
                      "valueQuantity": {"value": 120, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}},
         "request": {"method": "POST", "url": "Observation"}}]});
    let file = folder.join("bad.json");
    std::fs::write(&file, bundle.to_string()).unwrap();
    let run = il2care(&["import", &file.display().to_string(), "--database", &url], None);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let outcome = run.json();
    let errors: Vec<&Value> =
        outcome["issue"].as_array().unwrap().iter().filter(|issue| issue["severity"] == "error").collect();
    assert_eq!(errors.len(), 1, "{outcome}");
    assert!(errors[0]["expression"][0].as_str().unwrap().starts_with("Bundle.entry[1]"), "{outcome}");
    assert!(run.stderr.contains("nothing was stored"), "{}", run.stderr);
    assert!(patient_ids(&url).is_empty(), "a transaction is never half stored");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A collection with one good and one bad Observation: the good one is stored and the command exits 0,
/// reporting the bad one; the same file again stores nothing and says so. The MRN is read from the identifier
/// of `--mrn-system`, not from the first identifier.
#[test]
fn an_import_that_stored_what_it_could_exits_0_and_a_second_import_stores_nothing() {
    let folder = folder("partial");
    let url = format!("sqlite://{}", folder.join("il2care.db").display());
    let observation = |unit: &str| {
        json!({"fullUrl": format!("urn:uuid:0b9c3b6e-0000-4000-8000-00000000001{}", unit.len()),
               "resource": {"resourceType": "Observation", "status": "final",
                            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                            "subject": {"reference": "urn:uuid:0b9c3b6e-0000-4000-8000-000000000001"},
                            "effectiveDateTime": "2026-11-27T08:00:00Z",
                            "valueQuantity": {"value": 88, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}})
    };
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:0b9c3b6e-0000-4000-8000-000000000001",
         "resource": {"resourceType": "Patient", "identifier": [
                          {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"},
                          {"system": "https://hospital.example/mrn", "value": "H-77"}],
                      "name": [{"family": "Okafor", "given": ["Daniel"]}], "birthDate": "1958-03-14", "gender": "male"}},
        observation("/min"), observation("kg")]});
    let file = folder.join("partial.json");
    std::fs::write(&file, bundle.to_string()).unwrap();
    let import = || {
        let args =
            ["import", &file.display().to_string(), "--database", &url, "--mrn-system", "https://hospital.example/mrn"];
        il2care(&args, None)
    };
    let run = import();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = run.stdout.clone();
    assert!(
        text.contains("stored as Observation/") && text.contains("Bundle.entry[2].resource.valueQuantity"),
        "{text}"
    );
    let again = import();
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(!again.stdout.contains("stored as"), "{}", again.stdout);
    assert_eq!(again.stdout.matches("nothing changed").count(), 2, "the patient and the heart rate: {}", again.stdout);
    let mut patients = runtime().block_on(async {
        let store = Store::open(&url).await.unwrap();
        let mut conn = store.connection().await.unwrap();
        let patients = il2care_store::record::patients(&mut conn).await.unwrap();
        drop(conn);
        store.close().await;
        patients
    });
    assert_eq!(patients.len(), 1);
    assert_eq!(patients.remove(0).mrn, "H-77", "the site's MRN, not the SSN listed first");
    let bad = il2care(&["import", &file.display().to_string(), "--database", &url, "--mrn-system", "not a uri"], None);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    std::fs::remove_dir_all(&folder).unwrap();
}
