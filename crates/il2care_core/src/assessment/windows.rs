//! Output windows: whether recorded urine or stool intervals cover a time window (gaps of up to 1 h allowed,
//! ASSESSMENT §9.10), the last completed 8-hour shift (§2.1, §9.11) and exact rate comparisons. Pure
//! arithmetic on intervals; no rule knowledge and no allocation.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::inputs::OutputInterval;
use crate::units::{Measure, Millilitres, MillilitresPerHour};

/// `at` moved by `by` (durations never carry calendar units, so this cannot fail; far-out times saturate).
pub fn moved(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.saturating_add(by).expect("a signed duration has no calendar units")
}

/// Whether `intervals` cover `[start, end]` with no gap longer than `largest_gap`, including at both edges.
/// Intervals reaching outside the window count for the part inside it. Greedy: from the covered edge, take
/// the interval reaching furthest among those that begin within the allowed gap.
pub fn covers<'a>(
    intervals: impl Iterator<Item = &'a OutputInterval> + Clone,
    start: Timestamp,
    end: Timestamp,
    largest_gap: SignedDuration,
) -> bool {
    // In integer nanoseconds: exact, and this runs for every output rule at every assessment.
    let (end, gap) = (end.as_nanosecond(), largest_gap.as_nanos());
    let mut covered_to = start.as_nanosecond();
    loop {
        if end - covered_to <= gap {
            return true;
        }
        let reach = covered_to + gap;
        let furthest = intervals
            .clone()
            .filter(|interval| interval.start.as_nanosecond() <= reach)
            .map(|interval| interval.end.as_nanosecond())
            .filter(|interval_end| *interval_end > covered_to)
            .max();
        match furthest {
            Some(next) => covered_to = next,
            None => return false,
        }
    }
}

/// A summed output over a window that recorded intervals cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shift {
    pub start: Timestamp,
    pub end: Timestamp,
    pub volume: Millilitres,
}

/// The shift `[end - length, end]`: the sum of the intervals wholly inside it, or `None` when they do not
/// cover it (an interval crossing a boundary leaves that part uncovered, ASSESSMENT §9.11).
pub fn shift_ending(
    intervals: &[OutputInterval],
    end: Timestamp,
    length: SignedDuration,
    largest_gap: SignedDuration,
) -> Option<Shift> {
    let start = moved(end, -length);
    // One pass sums the intervals inside the shift and, when they come in time order
    // (either direction, as charts list them), settles coverage with a sweep on the way (see `Sweep`);
    // intervals in any other order take the general greedy walk of `covers`.
    let (start_nanos, end_nanos, gap) = (start.as_nanosecond(), end.as_nanosecond(), largest_gap.as_nanos());
    let mut forward = Sweep::new(start_nanos, gap);
    let mut backward = Sweep::new(-end_nanos, gap);
    let mut volume = Decimal::ZERO;
    for interval in intervals.iter().filter(|interval| interval.start >= start && interval.end <= end) {
        let (span_start, span_end) = (interval.start.as_nanosecond(), interval.end.as_nanosecond());
        volume += interval.volume.value();
        forward.add(span_start, span_end);
        // The same walk from the shift's end back to its start, on the mirrored time line.
        backward.add(-span_end, -span_start);
    }
    let covered = match (forward.reached(), backward.reached()) {
        (Some(reached), _) => end_nanos - reached <= gap,
        (None, Some(reached)) => -start_nanos - reached <= gap,
        (None, None) => {
            let inside = intervals.iter().filter(|interval| interval.start >= start && interval.end <= end);
            covers(inside, start, end, largest_gap)
        }
    };
    covered.then(|| Shift { start, end, volume: Millilitres::new(volume).expect("a sum of volumes is not negative") })
}

/// The greedy walk of [`covers`] for intervals that arrive in order of their start: each interval either
/// begins within `gap` of the covered edge and may extend it, or leaves a longer gap, after which no later
/// interval (starting later still) can close it, so the edge is final. Same answer as `covers`, in one pass.
struct Sweep {
    covered_to: i128,
    gap: i128,
    last_start: i128,
    /// The covered edge is final: an interval left a gap longer than allowed.
    stuck: bool,
    /// An interval started before the previous one: the walk does not apply.
    unordered: bool,
}

impl Sweep {
    fn new(from: i128, gap: i128) -> Sweep {
        Sweep { covered_to: from, gap, last_start: from, stuck: false, unordered: false }
    }

    fn add(&mut self, start: i128, end: i128) {
        if start < self.last_start {
            self.unordered = true;
        }
        self.last_start = start;
        if start - self.covered_to > self.gap {
            self.stuck = true;
        } else if !self.stuck {
            self.covered_to = self.covered_to.max(end);
        }
    }

    /// How far the walk covered, or `None` when the intervals were not in order.
    fn reached(&self) -> Option<i128> {
        (!self.unordered).then_some(self.covered_to)
    }
}

/// The end of the last completed shift: the end of the latest interval ending at or before `at`, if that is
/// within one shift length of `at` (otherwise the shift is stale, ASSESSMENT §9.11).
pub fn last_shift_end(intervals: &[OutputInterval], at: Timestamp, length: SignedDuration) -> Option<Timestamp> {
    let end = intervals.iter().map(|interval| interval.end).filter(|end| *end <= at).max()?;
    (at.as_nanosecond() - end.as_nanosecond() <= length.as_nanos()).then_some(end)
}

/// Whether `volume` over `duration` is a rate strictly below `limit` (exact: volume * 3600 < limit * seconds).
/// A product too large for a decimal counts as unbounded, so the comparison never panics.
pub fn rate_below(volume: Millilitres, duration: SignedDuration, limit: MillilitresPerHour) -> bool {
    compare_rate(volume, duration, limit) == std::cmp::Ordering::Less
}

/// Whether `volume` over `duration` is a rate strictly above `limit`.
pub fn rate_above(volume: Millilitres, duration: SignedDuration, limit: MillilitresPerHour) -> bool {
    compare_rate(volume, duration, limit) == std::cmp::Ordering::Greater
}

fn compare_rate(volume: Millilitres, duration: SignedDuration, limit: MillilitresPerHour) -> std::cmp::Ordering {
    let volume_side = volume.value().checked_mul(dec!(3600));
    let limit_side = limit.value().checked_mul(seconds(duration));
    match (volume_side, limit_side) {
        (Some(volume), Some(limit)) => volume.cmp(&limit),
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// A duration in whole and fractional seconds.
fn seconds(duration: SignedDuration) -> Decimal {
    Decimal::from(duration.as_secs()) + Decimal::new(i64::from(duration.subsec_nanos()), 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn interval(volume: i64, start: &str, end: &str) -> OutputInterval {
        OutputInterval { volume: Millilitres::new(Decimal::from(volume)).unwrap(), start: at(start), end: at(end) }
    }

    const HOUR: SignedDuration = SignedDuration::from_hours(1);

    #[test]
    fn a_gap_of_exactly_one_hour_is_covered_and_a_longer_one_is_not() {
        let exact = [
            interval(100, "2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z"),
            interval(100, "2026-01-01T04:00:00Z", "2026-01-01T08:00:00Z"),
        ];
        assert!(covers(exact.iter(), at("2026-01-01T00:00:00Z"), at("2026-01-01T08:00:00Z"), HOUR));
        let longer = [
            interval(100, "2026-01-01T00:00:00Z", "2026-01-01T03:00:00Z"),
            interval(100, "2026-01-01T04:00:01Z", "2026-01-01T08:00:00Z"),
        ];
        assert!(!covers(longer.iter(), at("2026-01-01T00:00:00Z"), at("2026-01-01T08:00:00Z"), HOUR));
    }

    #[test]
    fn an_interval_crossing_the_shift_start_leaves_that_part_uncovered() {
        let crossing = [
            interval(500, "2026-01-01T00:00:00Z", "2026-01-01T06:00:00Z"),
            interval(100, "2026-01-01T06:00:00Z", "2026-01-01T10:00:00Z"),
        ];
        assert_eq!(shift_ending(&crossing, at("2026-01-01T10:00:00Z"), 8 * HOUR, HOUR), None);
        let inside = [
            interval(300, "2026-01-01T02:30:00Z", "2026-01-01T06:00:00Z"),
            interval(100, "2026-01-01T06:00:00Z", "2026-01-01T10:00:00Z"),
        ];
        let shift = shift_ending(&inside, at("2026-01-01T10:00:00Z"), 8 * HOUR, HOUR).unwrap();
        assert_eq!(shift.volume.value(), dec!(400));
    }

    #[test]
    fn a_shift_charted_every_quarter_hour_is_summed_and_a_gap_of_75_minutes_is_found() {
        let start = at("2026-01-01T00:00:00Z");
        let quarter = SignedDuration::from_mins(15);
        let fine: Vec<OutputInterval> = (0..32)
            .map(|i| OutputInterval {
                volume: Millilitres::new(dec!(10)).unwrap(),
                start: moved(start, quarter * i),
                end: moved(start, quarter * (i + 1)),
            })
            .collect();
        let end = at("2026-01-01T08:00:00Z");
        assert_eq!(shift_ending(&fine, end, 8 * HOUR, HOUR).unwrap().volume.value(), dec!(320));
        let gap: Vec<OutputInterval> = fine
            .iter()
            .copied()
            .filter(|interval| {
                interval.start < moved(start, HOUR) || interval.start >= moved(start, 2 * HOUR + quarter)
            })
            .collect();
        assert_eq!(shift_ending(&gap, end, 8 * HOUR, HOUR), None, "a gap of 1 h 15 min is not covered");
    }

    /// The shift as first written: the greedy walk of `covers` over the intervals inside the shift.
    fn reference_shift(intervals: &[OutputInterval], end: Timestamp) -> Option<Shift> {
        let start = moved(end, -8 * HOUR);
        let inside = intervals.iter().filter(|interval| interval.start >= start && interval.end <= end);
        if !covers(inside.clone(), start, end, HOUR) {
            return None;
        }
        let volume: Decimal = inside.map(|interval| interval.volume.value()).sum();
        Some(Shift { start, end, volume: Millilitres::new(volume).unwrap() })
    }

    proptest::proptest! {
        #[test]
        fn a_shift_is_found_as_the_greedy_walk_finds_it_whatever_the_order_of_the_intervals(
            spans in proptest::collection::vec((0i64..40, 1i64..20), 0..8),
            order in 0usize..3,
        ) {
            let origin = at("2026-01-01T00:00:00Z");
            let quarter = SignedDuration::from_mins(15);
            let mut intervals: Vec<OutputInterval> = spans
                .iter()
                .map(|(start, length)| OutputInterval {
                    volume: Millilitres::new(Decimal::from(*length)).unwrap(),
                    start: moved(origin, quarter * i32::try_from(*start).unwrap()),
                    end: moved(origin, quarter * i32::try_from(start + length).unwrap()),
                })
                .collect();
            match order {
                0 => intervals.sort_by_key(|interval| interval.start),
                1 => intervals.sort_by_key(|interval| std::cmp::Reverse(interval.end)),
                _ => {}
            }
            for end in [8 * HOUR, 9 * HOUR, 10 * HOUR + quarter] {
                let end = moved(origin, end);
                proptest::prop_assert_eq!(shift_ending(&intervals, end, 8 * HOUR, HOUR), reference_shift(&intervals, end));
            }
        }
    }

    #[test]
    fn rates_compare_exactly() {
        let volume = Millilitres::new(dec!(160)).unwrap();
        let ten = MillilitresPerHour::new(dec!(10)).unwrap();
        assert!(!rate_below(volume, 16 * HOUR, ten), "160 mL over 16 h is exactly 10 mL/h");
        assert!(rate_below(volume, 16 * HOUR + SignedDuration::from_secs(1), ten));
        assert!(!rate_above(volume, 16 * HOUR, ten));
    }
}
