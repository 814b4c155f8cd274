//! Reading request bodies: JSON only, size-limited, parsed as text so the wire crate can refuse it with a
//! named field. Nothing of a refused body is kept.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;

use crate::error::AppError;

/// The largest body accepted, in bytes (a batch of observations fits many times over).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The raw body, read up to the router's limit. Unlike axum's `Bytes`, a body over the limit is refused as
/// an [`AppError`] (413 naming `document`), not with a plain-text answer.
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state).await.map(Body).map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                AppError::Refused(Refusal::new("document", "could not be read to its end"))
            }
        })
    }
}

/// The body as UTF-8 JSON text, after checking its content type and size.
pub fn json_text(headers: &HeaderMap, body: &Bytes) -> Result<String, AppError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") && !media_type.ends_with("+json") {
        return Err(AppError::UnsupportedMediaType);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| AppError::Refused(Refusal::new("document", "is not valid UTF-8")))?;
    // FHIR documents have their own limits, refused by the FHIR reader with their FHIRPath named; control
    // characters are refused here for every document.
    if media_type.to_ascii_lowercase().ends_with("fhir+json") {
        check_characters(&text)?;
    } else {
        check_strings(&text)?;
    }
    Ok(text)
}

/// The longest string accepted in any field (free text included).
pub const MAX_STRING_CHARS: usize = 4096;
/// The longest identifier (MRN, username, client id, resource id).
pub const MAX_IDENTIFIER_CHARS: usize = 64;
/// Fields that hold identifiers: short, one line.
const IDENTIFIER_FIELDS: &[&str] = &["mrn", "username", "client_id", "id"];
/// Fields that hold a name or a code: one line.
const ONE_LINE_FIELDS: &[&str] = &[
    "name",
    "display_name",
    "family",
    "given",
    "code",
    "system",
    "unit",
    "regimen",
    "time_zone",
    "sex",
    "status",
    "rule_set",
];

/// The shared edge check of every JSON body's strings (keys included), before any is parsed or stored: no NUL
/// or other control character (tab, CR and LF only in free text such as notes and reasons), identifiers at most
/// [`MAX_IDENTIFIER_CHARS`] characters, every string at most [`MAX_STRING_CHARS`]; the refusal names the field
/// (`observations[0].note`). A body that is not JSON is left to the parser, which names `document`.
pub fn check_strings(text: &str) -> Result<(), Refusal> {
    // Fast path: no escape, no control character and no long run: nothing to check.
    if !text.contains('\\') && !text.chars().any(char::is_control) && text.len() <= MAX_IDENTIFIER_CHARS {
        return Ok(());
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return Ok(()) };
    check_value(&value, "", "", true)
}

/// [`check_strings`] without the length limits (for documents whose reader bounds lengths itself).
pub fn check_characters(text: &str) -> Result<(), Refusal> {
    if !text.contains('\\') && !text.chars().any(char::is_control) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return Ok(()) };
    check_value(&value, "", "", false)
}

/// The same check for a form body (`application/x-www-form-urlencoded`): each field's decoded name and value.
pub fn check_form(body: &[u8]) -> Result<(), Refusal> {
    for pair in body.split(|byte| *byte == b'&') {
        let mut halves = pair.splitn(2, |byte| *byte == b'=');
        let name = percent_decode(halves.next().unwrap_or_default());
        let value = percent_decode(halves.next().unwrap_or_default());
        let field = if name.is_empty() { "document".to_string() } else { name.clone() };
        check_string(&name, &field, "", true)?;
        check_string(&value, &field, &name, true)?;
    }
    Ok(())
}

fn percent_decode(bytes: &[u8]) -> String {
    let hex = |byte: u8| (byte as char).to_digit(16).and_then(|digit| u8::try_from(digit).ok());
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(index + 1).copied().and_then(hex), bytes.get(index + 2).copied().and_then(hex)) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    index += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn check_value(value: &serde_json::Value, path: &str, key: &str, lengths: bool) -> Result<(), Refusal> {
    match value {
        serde_json::Value::String(text) => check_string(text, path, key, lengths),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_value(item, &format!("{path}[{index}]"), key, lengths)?;
            }
            Ok(())
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                let field = child(path, name);
                check_string(name, &field, "", lengths)?;
                check_value(item, &field, name, lengths)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_string(text: &str, path: &str, key: &str, lengths: bool) -> Result<(), Refusal> {
    let field = if path.is_empty() { "document" } else { path };
    let one_line = IDENTIFIER_FIELDS.contains(&key) || ONE_LINE_FIELDS.contains(&key) || key.is_empty();
    if text.contains('\0') {
        return Err(Refusal::new(field, "contains a NUL character"));
    }
    if text.chars().any(|c| c.is_control() && (one_line || !matches!(c, '\t' | '\n' | '\r'))) {
        return Err(Refusal::new(field, "contains a control character (a line break, a tab or an invisible code)"));
    }
    let limit = if IDENTIFIER_FIELDS.contains(&key) { MAX_IDENTIFIER_CHARS } else { MAX_STRING_CHARS };
    if lengths && text.chars().count() > limit {
        return Err(Refusal::new(field, format!("is longer than {limit} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(text: &str) -> Option<String> {
        check_strings(text).err().map(|refusal| refusal.field.to_string())
    }

    #[test]
    fn bad_characters_and_lengths_are_refused_with_the_field_named() {
        assert_eq!(field_of(r#"{"mrn": "A\u0000B"}"#).as_deref(), Some("mrn"));
        assert_eq!(field_of(r#"{"mrn": "A\r\nB"}"#).as_deref(), Some("mrn"));
        assert_eq!(
            field_of(r#"{"items": [{"note": "ok\nfine"}, {"note": "bad\u0007"}]}"#).as_deref(),
            Some("items[1].note")
        );
        assert_eq!(field_of(&format!(r#"{{"mrn": "{}"}}"#, "x".repeat(65))).as_deref(), Some("mrn"));
        assert_eq!(field_of(&format!(r#"{{"mrn": "{}"}}"#, "x".repeat(64))), None);
        assert_eq!(field_of(&format!(r#"{{"note": "{}"}}"#, "x".repeat(4097))).as_deref(), Some("note"));
        assert_eq!(field_of(r#"{"a\u0000": 1}"#).as_deref(), Some("a\u{0}"));
        assert_eq!(field_of(r#"{"note": "two\nlines\tand a tab"}"#), None);
        assert_eq!(field_of("{not json"), None, "left to the parser");
        assert_eq!(check_form(b"mrn=A%0D%0AB&name=x").err().map(|r| r.field.to_string()).as_deref(), Some("mrn"));
        assert_eq!(
            check_form(b"username=nurse%00&password=x").err().map(|r| r.field.to_string()).as_deref(),
            Some("username")
        );
        assert!(check_form(b"note=two%0D%0Alines&status=given&x=%2").is_ok());
    }
}
