//! The course gate (SCREENING §1, amendment of 2026-12-04: "the checklist gates the course"): whether the first
//! dose slot of a course may be given at a time, from the latest screening of that course, its items' validity
//! windows, and the physicians' acknowledgements (of `needs_review` items) and overrides (of `fail` items).
//!
//! Pure: the caller reads the screening and the decisions from the record and checks who recorded them (only a
//! physician may; the store keeps who, when and why, and the audit log has each). Readings chosen (the safer):
//! - no screening, or one timed after the dose, closes the gate;
//! - every item's window is measured to the dose time: the item's `valid_until` (its data's expiry) when the
//!   result has one, else the screening's time plus the window; at the expiry exactly, it is stale;
//! - a `fail` opens only with an override, a `needs_review` only with an acknowledgement (an override of a
//!   `needs_review` item, or an acknowledgement of a `fail`, does not count): each with a reason, recorded at or
//!   after the screening and not after the dose;
//! - `pass` and `not_applicable` need nothing.

use jiff::Timestamp;

use super::checklist::{Item, Status};

/// An item of a stored screening result as the gate needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScreenedItem {
    pub item: Item,
    pub status: Status,
    /// The data's expiry, when the result gives one (`valid_until`).
    pub valid_until: Option<Timestamp>,
}

/// The latest screening of the course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateScreening {
    /// The screening's evaluation time (`at`).
    pub at: Timestamp,
    pub items: Vec<ScreenedItem>,
}

/// What a physician recorded on an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// A `needs_review` item was reviewed and accepted.
    Acknowledge,
    /// A `fail` item is overridden: treatment may start despite it.
    Override,
}

impl DecisionKind {
    /// The id used in documents and the store.
    pub const fn id(self) -> &'static str {
        match self {
            DecisionKind::Acknowledge => "acknowledge",
            DecisionKind::Override => "override",
        }
    }

    /// The kind with `id`.
    pub fn from_id(id: &str) -> Option<DecisionKind> {
        [DecisionKind::Acknowledge, DecisionKind::Override].into_iter().find(|kind| kind.id() == id)
    }

    /// The kind an item of `status` needs (`None`: it needs none and may not take one).
    pub const fn needed_for(status: Status) -> Option<DecisionKind> {
        match status {
            Status::NeedsReview => Some(DecisionKind::Acknowledge),
            Status::Fail => Some(DecisionKind::Override),
            Status::Pass | Status::NotApplicable => None,
        }
    }
}

/// A physician's acknowledgement or override of one item of the screening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemDecision {
    pub item: Item,
    pub kind: DecisionKind,
    pub by: String,
    pub at: Timestamp,
    pub reason: String,
}

/// Why the gate is closed for one item (or for the whole screening when `item` is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    pub item: Option<Item>,
    pub reason: String,
}

/// The gate's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// Whether the first dose slot may be given.
    pub open: bool,
    /// Everything that keeps it closed (empty when open).
    pub blockers: Vec<Blocker>,
}

/// The status of `id` in a result document.
pub fn status_from_id(id: &str) -> Option<Status> {
    [Status::Pass, Status::NeedsReview, Status::Fail, Status::NotApplicable]
        .into_iter()
        .find(|status| status.id() == id)
}

/// Whether the first dose slot of a course may be given at `dose_at`, given its latest screening (`None`: none
/// exists) and the decisions recorded on that screening.
pub fn first_dose_gate(screening: Option<&GateScreening>, decisions: &[ItemDecision], dose_at: Timestamp) -> Gate {
    let mut blockers = Vec::new();
    let whole = |reason: &str| Blocker { item: None, reason: reason.to_string() };
    match screening {
        None => blockers.push(whole("no screening of this course: screen before the first dose")),
        Some(screening) if screening.at > dose_at => {
            blockers.push(whole("the screening is timed after the dose: screen before the first dose"))
        }
        Some(screening) => {
            for item in Item::ALL {
                let Some(screened) = screening.items.iter().find(|screened| screened.item == item) else {
                    blockers.push(Blocker {
                        item: Some(item),
                        reason: format!("item {} missing from the screening", item.number()),
                    });
                    continue;
                };
                blockers.extend(item_blocker(screening.at, screened, decisions, dose_at));
            }
        }
    }
    Gate { open: blockers.is_empty(), blockers }
}

fn item_blocker(
    screened_at: Timestamp,
    screened: &ScreenedItem,
    decisions: &[ItemDecision],
    dose_at: Timestamp,
) -> Option<Blocker> {
    let item = screened.item;
    let blocker = |reason: String| Some(Blocker { item: Some(item), reason });
    if screened.status == Status::NotApplicable {
        return None;
    }
    let expiry = screened.valid_until.or_else(|| item.valid_for().expiry(screened_at));
    let window = item.valid_for();
    let timed = !matches!(window, super::ValidFor::Course | super::ValidFor::Permanent);
    if timed && expiry.is_none_or(|expiry| dose_at >= expiry) {
        return blocker(format!(
            "item {} ({}): the screening is older than its window ({}) at the dose: screen again",
            item.number(),
            item.title(),
            window.describe()
        ));
    }
    let needed = DecisionKind::needed_for(screened.status)?;
    let recorded = decisions.iter().any(|decision| {
        decision.item == item
            && decision.kind == needed
            && !decision.reason.trim().is_empty()
            && !decision.by.trim().is_empty()
            && screened_at <= decision.at
            && decision.at <= dose_at
    });
    if recorded {
        return None;
    }
    match needed {
        DecisionKind::Acknowledge => blocker(format!(
            "item {} ({}) needs review: a physician must acknowledge it with a reason",
            item.number(),
            item.title()
        )),
        DecisionKind::Override => blocker(format!(
            "item {} ({}) fails: treatment must not start unless a physician records an override with a reason",
            item.number(),
            item.title()
        )),
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::Source;

    const SCREENED: &str = "2026-11-27T12:00:00Z";

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn hours_after(hours: i64) -> Timestamp {
        ts(SCREENED) + SignedDuration::from_hours(hours)
    }

    /// A screening at `SCREENED` where every item passes with no data expiry of its own.
    fn all_pass() -> GateScreening {
        let items =
            Item::ALL.into_iter().map(|item| ScreenedItem { item, status: Status::Pass, valid_until: None }).collect();
        GateScreening { at: ts(SCREENED), items }
    }

    fn set(screening: &mut GateScreening, item: Item, status: Status) {
        let screened = screening.items.iter_mut().find(|screened| screened.item == item).unwrap();
        screened.status = status;
    }

    fn decision(item: Item, kind: DecisionKind, hours: i64) -> ItemDecision {
        ItemDecision { item, kind, by: "dr.smith".into(), at: hours_after(hours), reason: "reviewed".into() }
    }

    /// The one gate helper: `change` applied to the all-pass screening and its decisions gives `open` for a
    /// first dose `dose_hours` after the screening.
    fn check(
        change: impl FnOnce(&mut Option<GateScreening>, &mut Vec<ItemDecision>),
        dose_hours: i64,
        open: bool,
        source: &'static str,
    ) {
        assert!(Source(source).is_known(), "{source}");
        let mut screening = Some(all_pass());
        let mut decisions = Vec::new();
        change(&mut screening, &mut decisions);
        let gate = first_dose_gate(screening.as_ref(), &decisions, hours_after(dose_hours));
        assert_eq!(gate.open, open, "[{source}] {:?}", gate.blockers);
        assert_eq!(gate.blockers.is_empty(), open);
    }

    #[test]
    fn the_checklist_gates_the_first_dose() {
        let src = "PRODUCT";
        check(|_, _| {}, 24, true, src);
        check(|s, _| *s = None, 24, false, src);
        check(|_, _| {}, -1, false, "PRODUCT");
        check(
            |s, _| {
                s.as_mut().unwrap().items.pop();
            },
            24,
            false,
            src,
        );
        // needs_review: only an acknowledgement with a reason, at or after the screening and not after the dose.
        let review =
            |s: &mut Option<GateScreening>| set(s.as_mut().unwrap(), Item::PerformanceStatus, Status::NeedsReview);
        check(|s, _| review(s), 24, false, src);
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Acknowledge, 1))
            },
            24,
            true,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Acknowledge, 0))
            },
            24,
            true,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Acknowledge, -1))
            },
            24,
            false,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Acknowledge, 24))
            },
            24,
            true,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Acknowledge, 25))
            },
            24,
            false,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::PerformanceStatus, DecisionKind::Override, 1))
            },
            24,
            false,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(decision(Item::Setting, DecisionKind::Acknowledge, 1))
            },
            24,
            false,
            src,
        );
        check(
            |s, d| {
                review(s);
                d.push(ItemDecision {
                    reason: "  ".into(),
                    ..decision(Item::PerformanceStatus, DecisionKind::Acknowledge, 1)
                })
            },
            24,
            false,
            src,
        );
        // fail: only an override [SCREENING §1: "a physician may record an override with a reason, audited"].
        let fail = |s: &mut Option<GateScreening>| set(s.as_mut().unwrap(), Item::CardiacFunction, Status::Fail);
        check(|s, _| fail(s), 24, false, "LABEL-2024 §4");
        check(
            |s, d| {
                fail(s);
                d.push(decision(Item::CardiacFunction, DecisionKind::Acknowledge, 1))
            },
            24,
            false,
            src,
        );
        check(
            |s, d| {
                fail(s);
                d.push(decision(Item::CardiacFunction, DecisionKind::Override, 1))
            },
            24,
            true,
            src,
        );
        // not applicable needs nothing.
        check(|s, _| set(s.as_mut().unwrap(), Item::BaselineLabs, Status::NotApplicable), 24, true, src);
    }

    #[test]
    fn every_timed_item_must_be_within_its_window_at_the_dose() {
        let src = "PRODUCT";
        // Items 9, 12, 17, 18 are valid 7 days from the screening: 7 x 24 h exactly is stale.
        check(|_, _| {}, 7 * 24 - 1, true, src);
        check(|_, _| {}, 7 * 24, false, src);
        // A result's own valid_until (older data) wins: labs taken 10 days before expire 4 days after the screen.
        let labs_expire = |s: &mut Option<GateScreening>, _: &mut Vec<ItemDecision>| {
            let screening = s.as_mut().unwrap();
            let labs = screening.items.iter_mut().find(|item| item.item == Item::BaselineLabs).unwrap();
            labs.valid_until = Some(hours_after(4 * 24));
        };
        check(labs_expire, 4 * 24 - 1, true, src);
        check(labs_expire, 4 * 24, false, src);
        // An acknowledgement does not extend a window.
        let stale_review = |s: &mut Option<GateScreening>, d: &mut Vec<ItemDecision>| {
            set(s.as_mut().unwrap(), Item::Infection, Status::NeedsReview);
            d.push(decision(Item::Infection, DecisionKind::Acknowledge, 1));
        };
        check(stale_review, 24, true, src);
        check(stale_review, 8 * 24, false, src);
    }

    #[test]
    fn decision_and_status_ids_round_trip() {
        for kind in [DecisionKind::Acknowledge, DecisionKind::Override] {
            assert_eq!(DecisionKind::from_id(kind.id()), Some(kind));
        }
        assert_eq!(DecisionKind::from_id("approve"), None);
        for status in [Status::Pass, Status::NeedsReview, Status::Fail, Status::NotApplicable] {
            assert_eq!(status_from_id(status.id()), Some(status));
        }
        assert_eq!(DecisionKind::needed_for(Status::Pass), None);
    }
}
