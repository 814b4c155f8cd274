//! The CDS Hooks FHIR read fallback: when an EHR calls without the `patient` prefetch (absent or null), il2care
//! reads `Patient/{context.patientId}` from the request's `fhirServer`, with `fhirAuthorization.access_token`
//! as the bearer token, as the specification allows. Only servers on the calling issuer's `fhir_servers`
//! list are contacted (`crate::cds_auth`): a request cannot point il2care at an arbitrary address.
//!
//! The read is bounded: 5 s in all, no redirects, at most 1 MiB, `Patient` with the asked id only. Any other
//! outcome is a reason for the 412 answer; the access token is never logged or stored.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// The longest the whole read may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest Patient resource read.
pub const MAX_BYTES: u64 = 1 << 20;

/// Whether `id` is a FHIR resource id (`[A-Za-z0-9\-\.]{1,64}`), so it is safe in a URL path.
pub fn is_fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.')
}

/// One HTTP(S) agent for every fallback read (its connections are reused).
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("il2care")
            .build()
            .into()
    })
}

/// Reads `Patient/{patient_id}` from `server` (a base URL without trailing slash). `Err` says why not, in words
/// fit for the 412 answer.
pub async fn read_patient(server: &str, patient_id: &str, access_token: Option<&str>) -> Result<Value, String> {
    if !is_fhir_id(patient_id) {
        return Err("context.patientId is not a FHIR id".to_string());
    }
    let url = format!("{server}/Patient/{patient_id}");
    let asked = patient_id.to_string();
    let bearer = access_token.map(|token| format!("Bearer {token}"));
    let read = tokio::task::spawn_blocking(move || {
        let mut request = agent().get(&url).header("Accept", "application/fhir+json");
        if let Some(bearer) = &bearer {
            request = request.header("Authorization", bearer);
        }
        let mut response = request.call().map_err(|error| format!("the FHIR server could not be read: {error}"))?;
        if response.status() != 200 {
            return Err(format!("the FHIR server answered {} for Patient/{asked}", response.status().as_u16()));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_string()
            .map_err(|error| format!("the FHIR server's answer could not be read: {error}"))
    })
    .await
    .map_err(|_| "the FHIR read was interrupted".to_string())??;
    let patient: Value = serde_json::from_str(&read).map_err(|_| "the FHIR server's answer is not JSON".to_string())?;
    if patient["resourceType"] != "Patient" || patient["id"].as_str().is_some_and(|id| id != patient_id) {
        return Err(format!("the FHIR server did not answer with Patient/{patient_id}"));
    }
    Ok(patient)
}

#[cfg(test)]
mod tests {
    use super::is_fhir_id;

    #[test]
    fn only_fhir_ids_reach_a_url() {
        for good in ["1288992", "a-b.c", &"x".repeat(64)] {
            assert!(is_fhir_id(good), "{good}");
        }
        for bad in ["", "../metadata", "1?x=1", "a/b", "1#f", "é", &"x".repeat(65), "a b"] {
            assert!(!is_fhir_id(bad), "{bad}");
        }
    }
}
