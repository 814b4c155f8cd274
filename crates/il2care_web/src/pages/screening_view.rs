//! The pre-treatment screening's view model: a stored screening's result document (docs/screening.md) as the
//! pharmacist page and the course page show it: the overall status, the items that fail or need review with
//! their reasons and sources, the interactions, the medication names not recognised and the contrast notices,
//! times in the patient's zone. Pure functions (no IO, no clock, no HTML), table-tested here.

use il2care_app::screenings::StoredScreening;
use il2care_core::screening::Status;
use il2care_core::screening::gate::status_from_id;
use serde_json::Value;

use super::view::local_time;

/// The words for a checklist result or an overall status (`None`: one this version does not know).
pub fn status_label(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Pass) => "Pass",
        Some(Status::NeedsReview) => "Needs review",
        Some(Status::Fail) => "Fail",
        Some(Status::NotApplicable) => "Not applicable",
        None => "Unknown status",
    }
}

/// The CSS class of a status, on the worklist's urgency scale (a fail is as loud as a discontinuation).
pub fn status_class(status: Option<Status>) -> &'static str {
    match status {
        Some(Status::Fail) => "u4",
        Some(Status::NeedsReview) => "u3",
        Some(Status::Pass) => "u0",
        Some(Status::NotApplicable) | None => "u1",
    }
}

/// The status of an item of a result document (`result` of `items[n]`).
pub fn item_status(item: &Value) -> Option<Status> {
    item["result"].as_str().and_then(status_from_id)
}

/// A checklist item that fails or needs review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemView {
    pub number: i64,
    pub title: String,
    pub result: &'static str,
    pub class: &'static str,
    pub reasons: Vec<String>,
    pub source: String,
}

/// A medication that interacts with interleukin-2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionView {
    pub medication: String,
    pub matched_as: String,
    pub class_title: String,
    /// `avoid`, `monitor` or `needs_review`, in words.
    pub level: String,
    pub effect: String,
    pub action: String,
    pub source: String,
}

/// A contrast notice of the lasting "has received interleukin-2" flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContrastView {
    /// "Warning" or "Information".
    pub level: String,
    pub class: &'static str,
    pub message: String,
    pub involves: String,
    pub contrast_at: String,
    pub window_ends_at: Option<String>,
    pub source: String,
}

/// A stored screening as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningView {
    pub id: i64,
    pub at: String,
    pub regimen: String,
    pub status: &'static str,
    pub class: &'static str,
    pub recorded_by: String,
    /// How many items passed, of how many.
    pub passed: usize,
    pub item_count: usize,
    /// Only the items that fail or need review, failures first, then by number.
    pub items: Vec<ItemView>,
    pub interactions: Vec<InteractionView>,
    pub unrecognised: Vec<String>,
    pub medication_list_provided: bool,
    pub contrast: Vec<ContrastView>,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn words(id: &str) -> String {
    let spaced = id.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn local(value: &Value, zone: &str) -> Option<String> {
    value.as_str().and_then(|text| text.parse::<jiff::Timestamp>().ok()).map(|at| local_time(at.as_millisecond(), zone))
}

fn list<'a>(result: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    result[key].as_array().into_iter().flatten()
}

/// The view of a stored screening, its times in `zone`.
pub fn screening_view(screening: &StoredScreening, zone: &str) -> ScreeningView {
    let result = &screening.result;
    let all: Vec<&Value> = list(result, "items").collect();
    let mut items: Vec<ItemView> = all
        .iter()
        .filter(|item| matches!(item_status(item), Some(Status::Fail | Status::NeedsReview)))
        .map(|item| {
            let status = item_status(item);
            ItemView {
                number: item["number"].as_i64().unwrap_or_default(),
                title: text(&item["title"]),
                result: status_label(status),
                class: status_class(status),
                reasons: item["reasons"].as_array().into_iter().flatten().map(text).collect(),
                source: text(&item["source"]),
            }
        })
        .collect();
    items.sort_by_key(|item| (item.class != status_class(Some(Status::Fail)), item.number));
    ScreeningView {
        id: screening.id,
        at: local_time(screening.at_ms, zone),
        regimen: screening.regimen.clone(),
        status: status_label(screening.status),
        class: status_class(screening.status),
        recorded_by: screening.recorded_by.clone(),
        passed: all.iter().filter(|item| item_status(item) == Some(Status::Pass)).count(),
        item_count: all.len(),
        items,
        interactions: list(result, "interactions")
            .map(|hit| InteractionView {
                medication: text(&hit["medication"]),
                matched_as: text(&hit["matched_as"]),
                class_title: text(&hit["class_title"]),
                level: words(hit["level"].as_str().unwrap_or_default()),
                effect: text(&hit["effect"]),
                action: text(&hit["action"]),
                source: text(&hit["source"]),
            })
            .collect(),
        unrecognised: list(result, "unrecognised").map(text).collect(),
        medication_list_provided: result["medication_list_provided"].as_bool().unwrap_or(false),
        contrast: list(result, "contrast")
            .map(|notice| {
                let level = notice["level"].as_str().unwrap_or_default();
                ContrastView {
                    level: words(level),
                    class: if level == "warning" { "u3" } else { "u1" },
                    message: text(&notice["message"]),
                    involves: text(&notice["involves"]),
                    contrast_at: local(&notice["contrast_at"], zone).unwrap_or_default(),
                    window_ends_at: local(&notice["window_ends_at"], zone),
                    source: text(&notice["source"]),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored(status: &str, result: Value) -> StoredScreening {
        StoredScreening {
            id: 4,
            patient_id: 1,
            client_id: None,
            at_ms: "2026-11-27T14:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond(),
            regimen: "hd-iv".into(),
            status: status_from_id(status),
            status_id: status.into(),
            document: json!({}),
            result,
            recorded_at_ms: 0,
            recorded_by: "pharmacist".into(),
        }
    }

    #[test]
    fn only_failing_and_review_items_are_listed_failures_first_with_reasons_and_sources() {
        let result = json!({"status": "fail", "items": [
            {"number": 1, "title": "Indication", "result": "pass", "reasons": ["adult"], "source": "LABEL-2024 §1"},
            {"number": 5, "title": "Baseline labs", "result": "needs_review", "reasons": ["creatinine 1.41 mg/dL > 1.4"], "source": "LABEL-2024 §2.1"},
            {"number": 12, "title": "Pregnancy status", "result": "fail", "reasons": ["positive test"], "source": "LABEL-2024 §2.1 §5.6"}]});
        let view = screening_view(&stored("fail", result), "America/New_York");
        assert_eq!((view.status, view.class, view.passed, view.item_count), ("Fail", "u4", 1, 3));
        assert_eq!(view.at, "Fri 27 Nov 2026, 09:00 EST");
        let listed: Vec<(i64, &str)> = view.items.iter().map(|item| (item.number, item.result)).collect();
        assert_eq!(listed, [(12, "Fail"), (5, "Needs review")]);
        assert_eq!(view.items[1].reasons, ["creatinine 1.41 mg/dL > 1.4"]);
        assert_eq!(view.items[0].source, "LABEL-2024 §2.1 §5.6");
    }

    #[test]
    fn interactions_unrecognised_names_and_contrast_notices_keep_their_words_times_and_sources() {
        let result = json!({"status": "needs_review", "items": [],
            "interactions": [{"medication": "Advil", "matched_as": "ibuprofen (Advil)", "class": "nephrotoxic",
                              "class_title": "Nephrotoxic", "level": "needs_review", "effect": "kidney toxicity",
                              "action": "monitor creatinine", "source": "LABEL-OLD; SWISS-SMPC"}],
            "unrecognised": ["Blorptex"], "medication_list_provided": true,
            "contrast": [{"agent": "iodinated", "level": "warning", "message": "avoid iodinated contrast if possible",
                          "involves": "planned study: CT chest", "contrast_at": "2026-11-27T14:00:00Z",
                          "last_dose_at": "2026-11-20T13:00:00Z", "window_ends_at": "2026-12-04T13:00:00Z",
                          "source": "PRODUCT; LABEL-OLD"}]});
        let view = screening_view(&stored("needs_review", result), "UTC");
        assert_eq!((view.status, view.class), ("Needs review", "u3"));
        let hit = &view.interactions[0];
        assert_eq!(
            (hit.medication.as_str(), hit.class_title.as_str(), hit.level.as_str()),
            ("Advil", "Nephrotoxic", "Needs review")
        );
        assert_eq!(view.unrecognised, ["Blorptex"]);
        assert!(view.medication_list_provided);
        let notice = &view.contrast[0];
        assert_eq!((notice.level.as_str(), notice.class), ("Warning", "u3"));
        assert_eq!(notice.contrast_at, "Fri 27 Nov 2026, 14:00 UTC");
        assert_eq!(notice.window_ends_at.as_deref(), Some("Fri 4 Dec 2026, 13:00 UTC"));
        assert_eq!(notice.source, "PRODUCT; LABEL-OLD");
    }

    #[test]
    fn every_status_has_words_and_a_class() {
        let check = |status: &str, label: &str, class: &str| {
            let status = status_from_id(status);
            assert_eq!((status_label(status), status_class(status)), (label, class), "{status:?}");
        };
        check("pass", "Pass", "u0");
        check("needs_review", "Needs review", "u3");
        check("fail", "Fail", "u4");
        check("not_applicable", "Not applicable", "u1");
        check("made_up", "Unknown status", "u1");
    }
}
