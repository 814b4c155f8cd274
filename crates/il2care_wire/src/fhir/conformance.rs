//! What il2care's FHIR endpoint says about itself: the CapabilityStatement of `GET /fhir/metadata` (FHIR R4
//! 4.0.1, JSON only, exactly the interactions and search parameters the server answers) and the
//! StructureDefinitions of il2care's extensions, served at `/fhir/StructureDefinition/<name>`.
//!
//! Extension URLs are canonical URLs under [`codes::STRUCTURE_DEFINITION_BASE`]
//! (`https://il2care.org/fhir/StructureDefinition/<name>`); every il2care server serves the definition of each at
//! `{public URL}/fhir/StructureDefinition/<name>`, so they resolve when the public URL is `https://il2care.org`.
//! No IO and no clock.

use serde_json::{Value, json};

use super::codes;
use super::export::prune;

/// The default and the largest page of an Observation search (`_count`).
pub const DEFAULT_COUNT: usize = 50;
/// The largest `_count` served; a larger one is served as this many (FHIR lets a server return fewer).
pub const MAX_COUNT: usize = 500;

/// The FHIR version il2care speaks.
pub const FHIR_VERSION: &str = "4.0.1";

/// The date this CapabilityStatement last changed.
const CAPABILITY_DATE: &str = "2026-12-04";

/// One il2care extension: its name (the last part of its URL), what it is, where it is used and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtensionDefinition {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The resource it extends.
    pub context: &'static str,
    /// The FHIR type of `value[x]`; `None` for a complex extension (the override).
    pub value_type: Option<&'static str>,
}

/// Every extension il2care writes or reads.
pub const EXTENSIONS: [ExtensionDefinition; 8] = [
    ExtensionDefinition {
        name: "time-zone",
        title: "Patient time zone",
        description: "The patient's IANA time zone (America/New_York), for the times shown to them.",
        context: "Patient",
        value_type: Some("string"),
    },
    ExtensionDefinition {
        name: "regimen",
        title: "il2care regimen",
        description: "The il2care regimen id of a course (hd-iv, saadoun-2011-sc, ...).",
        context: "MedicationRequest",
        value_type: Some("string"),
    },
    ExtensionDefinition {
        name: "rule-set",
        title: "il2care rule set",
        description: "The rule set of a course's per-dose decisions: label or consensus.",
        context: "MedicationRequest",
        value_type: Some("string"),
    },
    ExtensionDefinition {
        name: "baseline-weight",
        title: "Baseline weight",
        description: "The course's baseline weight (UCUM kg).",
        context: "MedicationRequest",
        value_type: Some("Quantity"),
    },
    ExtensionDefinition {
        name: "baseline-creatinine",
        title: "Baseline creatinine",
        description: "The course's baseline serum creatinine (UCUM mg/dL).",
        context: "MedicationRequest",
        value_type: Some("Quantity"),
    },
    ExtensionDefinition {
        name: "injection-slot",
        title: "Planned shot",
        description: "The planned shot (slot number) of a low-dose injection.",
        context: "MedicationAdministration",
        value_type: Some("integer"),
    },
    ExtensionDefinition {
        name: "dose-level",
        title: "Dose level",
        description: "The dose level id of a low-dose injection.",
        context: "MedicationAdministration",
        value_type: Some("string"),
    },
    ExtensionDefinition {
        name: "override",
        title: "Dose given against its decision (override)",
        description: "Marks a dose given against a per-dose decision other than give: the decision it overrode \
                      (decision), the reason code (reasonCode, urn:il2care:override-reason), the reason in words \
                      (reason) and the physician who co-signed (cosignedBy).",
        context: "MedicationAdministration",
        value_type: None,
    },
];

/// The override extension's parts: (name, FHIR type, required).
const OVERRIDE_PARTS: [(&str, &str, bool); 4] = [
    ("decision", "code", true),
    ("reasonCode", "Coding", false),
    ("reason", "string", false),
    ("cosignedBy", "string", false),
];

/// The extension definition named `name`.
pub fn extension(name: &str) -> Option<&'static ExtensionDefinition> {
    EXTENSIONS.iter().find(|definition| definition.name == name)
}

/// The canonical URL of an extension.
pub fn extension_url(name: &str) -> String {
    format!("{}/{name}", codes::STRUCTURE_DEFINITION_BASE)
}

fn element(id: &str, path: &str, extra: Value) -> Value {
    let mut element = json!({"id": id, "path": path});
    if let (Some(element), Some(extra)) = (element.as_object_mut(), extra.as_object()) {
        element.extend(extra.clone());
    }
    element
}

/// The StructureDefinition of an extension (FHIR R4, derived from Extension by constraint).
pub fn structure_definition(definition: &ExtensionDefinition) -> Value {
    let url = extension_url(definition.name);
    let mut elements = vec![element(
        "Extension",
        "Extension",
        json!({"short": definition.title, "definition": definition.description, "min": 0, "max": "1"}),
    )];
    match definition.value_type {
        Some(value_type) => {
            elements.push(element("Extension.extension", "Extension.extension", json!({"max": "0"})));
            elements.push(element("Extension.url", "Extension.url", json!({"fixedUri": url})));
            elements.push(element(
                "Extension.value[x]",
                "Extension.value[x]",
                json!({"min": 1, "type": [{"code": value_type}]}),
            ));
        }
        None => {
            elements.push(element(
                "Extension.extension",
                "Extension.extension",
                json!({"slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}, "min": 1}),
            ));
            for (name, value_type, required) in OVERRIDE_PARTS {
                let slice = format!("Extension.extension:{name}");
                elements.push(element(
                    &slice,
                    "Extension.extension",
                    json!({"sliceName": name, "min": u8::from(required), "max": "1"}),
                ));
                elements.push(element(
                    &format!("{slice}.extension"),
                    "Extension.extension.extension",
                    json!({"max": "0"}),
                ));
                elements.push(element(&format!("{slice}.url"), "Extension.extension.url", json!({"fixedUri": name})));
                elements.push(element(
                    &format!("{slice}.value[x]"),
                    "Extension.extension.value[x]",
                    json!({"min": 1, "type": [{"code": value_type}]}),
                ));
            }
            elements.push(element("Extension.url", "Extension.url", json!({"fixedUri": url})));
            elements.push(element("Extension.value[x]", "Extension.value[x]", json!({"max": "0"})));
        }
    }
    let name: String = definition
        .name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    prune(json!({
        "resourceType": "StructureDefinition",
        "id": definition.name,
        "url": url,
        "version": env!("CARGO_PKG_VERSION"),
        "name": name,
        "title": definition.title,
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "il2care",
        "description": definition.description,
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": false,
        "context": [{"type": "element", "expression": definition.context}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {"element": elements},
    }))
}

/// The CapabilityStatement of the server whose FHIR base is `base` (`{public URL}/fhir`).
pub fn capability_statement(base: &str) -> Value {
    let observation_params = [
        ("patient", "reference", "The patient (Patient/ID or ID); patient or subject is required."),
        ("subject", "reference", "The same as patient."),
        ("category", "token", "vital-signs, laboratory, exam or therapy (with or without the system)."),
        ("code", "token", "system|code or code; commas for or. Also matches the components of a blood-pressure panel."),
        (
            "date",
            "date",
            "effective time with eq, ne, lt, le, gt, ge; a date or a month covers its whole UTC day or month.",
        ),
    ];
    let observation_search: Vec<Value> = observation_params
        .iter()
        .map(|(name, kind, documentation)| {
            json!({"name": name, "definition": format!("http://hl7.org/fhir/SearchParameter/clinical-{}", match *name {
                "subject" => "patient",
                other => other,
            }), "type": kind, "documentation": documentation})
        })
        .collect();
    let imported = "Read from a transaction or batch Bundle (POST to the base) and written in Patient/$everything.";
    let resources = json!([
        {"type": "Patient", "interaction": [{"code": "read"}],
         "operation": [{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                        "documentation": "The whole record as a searchset Bundle; _count, _since and _type are supported."}],
         "documentation": imported},
        {"type": "Observation", "interaction": [{"code": "search-type"}], "searchParam": observation_search,
         "documentation": format!("Search one patient's Observations. _count: default {DEFAULT_COUNT}, at most \
                                   {MAX_COUNT}; _sort: date or -date (default date, then id); pages follow the \
                                   Bundle's next link (keyset paging, stable while records are added). {imported}")},
        {"type": "StructureDefinition", "interaction": [{"code": "read"}],
         "documentation": "The definitions of il2care's extensions."},
        {"type": "MedicationRequest", "documentation": imported},
        {"type": "MedicationAdministration", "documentation": imported},
        {"type": "Flag", "documentation": imported},
    ]);
    prune(json!({
        "resourceType": "CapabilityStatement",
        "id": "il2care",
        "url": format!("{}/metadata", base.trim_end_matches('/')),
        "version": env!("CARGO_PKG_VERSION"),
        "name": "Il2care",
        "title": "il2care FHIR R4 server",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "il2care",
        "description": "FHIR R4 JSON for interleukin-2 (aldesleukin) treatment records.",
        "kind": "instance",
        "software": {"name": "il2care", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": "il2care", "url": base.trim_end_matches('/')},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "JSON only (application/fhir+json, application/json or _format=json); any other format \
                              is answered 406. Every error is an OperationOutcome.",
            "security": {"cors": false,
                         "description": "A bearer token (Authorization: Bearer) or the il2care session; 401 says \
                                         WWW-Authenticate: Bearer."},
            "resource": resources,
            "interaction": [{"code": "transaction"}, {"code": "batch"}],
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_extension_url_of_the_export_has_a_definition_at_its_url() {
        let urls = [
            codes::EXTENSION_TIME_ZONE,
            codes::EXTENSION_REGIMEN,
            codes::EXTENSION_RULE_SET,
            codes::EXTENSION_BASELINE_WEIGHT,
            codes::EXTENSION_BASELINE_CREATININE,
            codes::EXTENSION_INJECTION_SLOT,
            codes::EXTENSION_DOSE_LEVEL,
            codes::EXTENSION_OVERRIDE,
        ];
        for url in urls {
            assert!(url.starts_with("https://"), "{url}");
            let name = url.rsplit('/').next().unwrap();
            let definition = structure_definition(extension(name).unwrap());
            assert_eq!(definition["url"], url);
        }
        assert_eq!(EXTENSIONS.len(), urls.len());
        assert!(extension("nope").is_none());
    }

    #[test]
    fn the_capability_statement_is_r4_json_only_and_lists_the_observation_search() {
        let statement = capability_statement("https://example.org/fhir/");
        assert_eq!(statement["fhirVersion"], "4.0.1");
        assert_eq!(statement["format"], json!(["json"]));
        assert_eq!(statement["implementation"]["url"], "https://example.org/fhir");
        let observation =
            statement["rest"][0]["resource"].as_array().unwrap().iter().find(|r| r["type"] == "Observation");
        let names: Vec<&str> = observation.unwrap()["searchParam"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["patient", "subject", "category", "code", "date"]);
    }
}
