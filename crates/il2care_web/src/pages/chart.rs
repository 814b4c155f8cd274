//! Trend charts of the course page: which observations each chart plots (in one unit, converted by the
//! core's `Measure` types), the hold thresholds drawn on it (read from the core's reviewed threshold tables,
//! never restated), and the chart geometry (scales, points, threshold lines) as pure functions. The SVG is
//! rendered from the geometry; nothing here reads the record or decides anything.

use il2care_core::assessment::thresholds::Parameters;
use il2care_core::units::{Bilirubin, CellCount, Celsius, Creatinine, Kilograms, Measure, Quantity};
use il2care_store::record::Observation;
use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A horizontal line on a chart: a hold (or stop) threshold, or the baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub value: f64,
    pub label: String,
}

/// One chart's data before layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub title: &'static str,
    pub unit: &'static str,
    /// (epoch ms, value in `unit`), oldest first.
    pub points: Vec<(i64, f64)>,
    pub lines: Vec<Line>,
    /// Said under the chart when no threshold of the course's rule set applies to this measure.
    pub note: Option<&'static str>,
}

/// Where things go on the drawing (pixels, y grows downward).
#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub y_min: f64,
    pub y_max: f64,
    pub points: Vec<(f64, f64)>,
    /// (y, label) of each line.
    pub lines: Vec<(f64, String)>,
    /// (y, label) of the value axis ticks.
    pub ticks: Vec<(f64, String)>,
}

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 200.0;
const MARGIN_LEFT: f64 = 48.0;
const MARGIN_RIGHT: f64 = 110.0;
const MARGIN_Y: f64 = 14.0;

/// Lays a series out: the value axis spans every point and every line with 10 % room (at least 1 unit),
/// time runs left to right over the points' span (one point sits in the middle).
pub fn geometry(series: &Series) -> Geometry {
    let (left, right, top, bottom) = (MARGIN_LEFT, WIDTH - MARGIN_RIGHT, MARGIN_Y, HEIGHT - MARGIN_Y);
    let values = series.points.iter().map(|(_, value)| *value).chain(series.lines.iter().map(|line| line.value));
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| (low.min(v), high.max(v)));
    let (low, high) = if low.is_finite() { (low, high) } else { (0.0, 1.0) };
    let room = ((high - low) * 0.1).max(1.0);
    let (y_min, y_max) = (low - room, high + room);
    let y_of = |value: f64| bottom - (value - y_min) / (y_max - y_min) * (bottom - top);
    let first = series.points.first().map_or(0, |(at, _)| *at);
    let last = series.points.last().map_or(0, |(at, _)| *at);
    let x_of = |at: i64| {
        if last == first {
            (left + right) / 2.0
        } else {
            left + (at - first) as f64 / (last - first) as f64 * (right - left)
        }
    };
    let ticks = (0..=4)
        .map(|step| {
            let value = y_min + (y_max - y_min) * f64::from(step) / 4.0;
            (y_of(value), format!("{value:.1}"))
        })
        .collect();
    Geometry {
        width: WIDTH,
        height: HEIGHT,
        left,
        right,
        top,
        bottom,
        y_min,
        y_max,
        points: series.points.iter().map(|(at, value)| (x_of(*at), y_of(*value))).collect(),
        lines: series.lines.iter().map(|line| (y_of(line.value), line.label.clone())).collect(),
        ticks,
    }
}

fn to_f64(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// Observations that stand (a corrected observation is replaced by its correction), oldest first.
fn standing(observations: &[Observation]) -> Vec<&Observation> {
    let corrected: Vec<i64> = observations.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut list: Vec<&Observation> =
        observations.iter().filter(|observation| !corrected.contains(&observation.id)).collect();
    list.sort_by_key(|observation| observation.at_ms);
    list
}

/// The points of one code converted to the measure's canonical unit (values that do not convert are left out).
fn points_of<M: Measure>(observations: &[&Observation], code: &str) -> Vec<(i64, f64)> {
    observations
        .iter()
        .filter(|observation| observation.code == code)
        .filter_map(|observation| {
            let value: Decimal = observation.value.parse().ok()?;
            let measure = M::from_quantity(Quantity::new(value, &observation.unit).ok()?).ok()?;
            Some((observation.at_ms, to_f64(measure.canonical())))
        })
        .collect()
}

/// Points of a code kept in their stored unit when it is the one expected (`/min`, `mm[Hg]`).
fn points_in(observations: &[&Observation], code: &str, unit: &str) -> Vec<(i64, f64)> {
    observations
        .iter()
        .filter(|observation| observation.code == code && observation.unit == unit)
        .filter_map(|observation| Some((observation.at_ms, to_f64(observation.value.parse::<Decimal>().ok()?))))
        .collect()
}

/// Urine output per hour: each interval's volume over its length, plotted at its end.
fn urine_rates(observations: &[&Observation]) -> Vec<(i64, f64)> {
    observations
        .iter()
        .filter(|observation| observation.code == "urine_output" && observation.unit == "mL")
        .filter_map(|observation| {
            let start = observation.start_ms?;
            let hours = (observation.at_ms - start) as f64 / 3_600_000.0;
            let volume = to_f64(observation.value.parse::<Decimal>().ok()?);
            (hours > 0.0).then_some((observation.at_ms, volume / hours))
        })
        .collect()
}

fn line(value: Decimal, label: String) -> Line {
    Line { value: to_f64(value), label }
}

/// The eight charts of the course page, with the thresholds of the course's rule set (`label` or
/// `consensus`) and the baseline weight.
pub fn course_series(observations: &[Observation], rule_set: &str, baseline_weight_kg: Option<&str>) -> Vec<Series> {
    let parameters = Parameters::default();
    let label = &parameters.label;
    let consensus = &parameters.consensus;
    let is_consensus = rule_set == "consensus";
    let list = standing(observations);
    let none = "No hold threshold for this measure in this rule set.";
    let when = |applies: bool, lines: Vec<Line>| if applies { lines } else { Vec::new() };
    let note = |lines: &[Line]| if lines.is_empty() { Some(none) } else { None };
    let systolic_lines = vec![line(
        if is_consensus { consensus.default_target_systolic_bp.value() } else { label.systolic_hold_below.value() },
        format!(
            "hold < {}",
            if is_consensus { consensus.default_target_systolic_bp } else { label.systolic_hold_below }
        ),
    )];
    let heart_lines = when(
        is_consensus,
        vec![
            line(consensus.tachycardia_hold_min.value(), format!("hold ≥ {}", consensus.tachycardia_hold_min)),
            line(consensus.tachycardia_stop_above.value(), format!("stop > {}", consensus.tachycardia_stop_above)),
        ],
    );
    let baseline: Option<Decimal> = baseline_weight_kg.and_then(|text| text.parse().ok());
    let mut weight_lines = Vec::new();
    if let Some(baseline) = baseline {
        weight_lines.push(line(baseline, format!("baseline {} kg", baseline.normalize())));
        if is_consensus {
            let limit = baseline * (Decimal::ONE + consensus.weight_gain_fraction_above);
            let percent = consensus.weight_gain_fraction_above * Decimal::ONE_HUNDRED;
            weight_lines.push(line(limit, format!("hold > +{}%", percent.normalize())));
        }
    }
    let urine_lines = if is_consensus {
        // The consensus limit is per 8-hour shift; drawn as the same amount per hour.
        let per_hour = consensus.urine_shift_hold_at_most.value() / Decimal::from(8);
        vec![line(per_hour, format!("hold ≤ {} /8 h", consensus.urine_shift_hold_at_most))]
    } else {
        vec![line(label.oliguria_rate_below.value(), format!("hold < {}", label.oliguria_rate_below))]
    };
    let creatinine_lines = if is_consensus {
        vec![
            line(consensus.creatinine_hold_at_least.value(), format!("hold ≥ {}", consensus.creatinine_hold_at_least)),
            line(consensus.creatinine_stop_at_least.value(), format!("stop ≥ {}", consensus.creatinine_stop_at_least)),
        ]
    } else {
        vec![line(label.creatinine_hold_above.value(), format!("hold > {}", label.creatinine_hold_above))]
    };
    let bilirubin_lines = when(
        is_consensus,
        vec![line(consensus.bilirubin_hold_above.value(), format!("hold > {}", consensus.bilirubin_hold_above))],
    );
    let platelet_lines = when(
        is_consensus,
        vec![line(consensus.platelets_hold_at_most.value(), format!("hold ≤ {}", consensus.platelets_hold_at_most))],
    );
    let series = |title, unit, points, lines: Vec<Line>| {
        let note = note(&lines);
        Series { title, unit, points, lines, note }
    };
    let mut weight = series("Weight against baseline", "kg", points_of::<Kilograms>(&list, "weight"), weight_lines);
    if baseline.is_none() {
        weight.note = Some("No baseline weight recorded for this course.");
    }
    vec![
        series("Systolic blood pressure", "mm[Hg]", points_in(&list, "systolic_bp", "mm[Hg]"), systolic_lines),
        series("Heart rate", "/min", points_in(&list, "heart_rate", "/min"), heart_lines),
        series("Temperature", "Cel", points_of::<Celsius>(&list, "temperature"), Vec::new()),
        weight,
        series("Urine output per hour", "mL/h", urine_rates(&list), urine_lines),
        series("Creatinine", "mg/dL", points_of::<Creatinine>(&list, "creatinine"), creatinine_lines),
        series("Bilirubin (total)", "mg/dL", points_of::<Bilirubin>(&list, "bilirubin_total"), bilirubin_lines),
        series("Platelets", "10*3/uL", points_of::<CellCount>(&list, "platelets"), platelet_lines),
    ]
}

/// The chart as an SVG figure with a text alternative (the latest value and the number of points).
pub fn render(series: &Series) -> Markup {
    let geometry = geometry(series);
    let path: String = geometry.points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
    let unit = super::words::unit_text(series.unit);
    let latest = series.points.last().map(|(_, value)| format!("{value:.1} {unit}"));
    let summary = match &latest {
        Some(latest) => format!("{}: {} points, latest {latest}", series.title, series.points.len()),
        None => format!("{}: no values recorded", series.title),
    };
    html! {
        figure {
            figcaption { (series.title) " (" (unit) ")" }
            svg role="img" aria-label=(summary) viewBox=(format!("0 0 {} {}", geometry.width, geometry.height))
                width="100%" preserveAspectRatio="xMidYMid meet" {
                rect x=(geometry.left) y=(geometry.top) width=(geometry.right - geometry.left)
                    height=(geometry.bottom - geometry.top) fill="#fff" stroke="#767676" {}
                @for (y, label) in &geometry.ticks {
                    text x=(geometry.left - 4.0) y=(y + 4.0) text-anchor="end" { (label) }
                }
                @for (y, label) in &geometry.lines {
                    line x1=(geometry.left) x2=(geometry.right) y1=(y) y2=(y) stroke="#b00020" stroke-width="2"
                        stroke-dasharray="6 4" {}
                    text x=(geometry.right + 4.0) y=(y + 4.0) { (label) }
                }
                @if geometry.points.len() > 1 {
                    polyline points=(path) fill="none" stroke="#0b3d91" stroke-width="2" {}
                }
                @for (x, y) in &geometry.points {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3.5" fill="#0b3d91" {}
                }
            }
            p.note { (summary) @if let Some(note) = series.note { " " (note) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)], lines: &[f64]) -> Series {
        Series {
            title: "t",
            unit: "u",
            points: points.to_vec(),
            lines: lines.iter().map(|value| Line { value: *value, label: String::new() }).collect(),
            note: None,
        }
    }

    #[test]
    fn the_value_axis_spans_points_and_thresholds_with_room() {
        let check = |points: &[(i64, f64)], lines: &[f64], expected: (f64, f64)| {
            let geometry = geometry(&series(points, lines));
            assert_eq!((geometry.y_min, geometry.y_max), expected, "{points:?} {lines:?}");
        };
        check(&[(0, 100.0), (1, 120.0)], &[90.0], (87.0, 123.0));
        check(&[(0, 100.0)], &[], (99.0, 101.0));
        check(&[], &[], (-1.0, 2.0));
        check(&[(0, 0.5), (1, 0.7)], &[4.5], (-0.5, 5.5));
    }

    #[test]
    fn time_runs_left_to_right_and_higher_values_sit_higher() {
        let geometry = geometry(&series(&[(0, 100.0), (10, 120.0)], &[90.0]));
        let (first, last) = (geometry.points[0], geometry.points[1]);
        assert_eq!((first.0, last.0), (geometry.left, geometry.right));
        assert!(last.1 < first.1, "120 is drawn above 100");
        let threshold = geometry.lines[0].0;
        assert!(threshold > first.1 && threshold <= geometry.bottom, "the 90 line is below both points");
    }

    #[test]
    fn a_single_point_sits_in_the_middle() {
        let geometry = geometry(&series(&[(5, 100.0)], &[]));
        assert_eq!(geometry.points[0].0, (geometry.left + geometry.right) / 2.0);
    }

    fn observation(code: &str, value: &str, unit: &str, at_ms: i64, start_ms: Option<i64>) -> Observation {
        Observation {
            id: at_ms,
            patient_id: 1,
            client_id: None,
            code: code.into(),
            value: value.into(),
            unit: unit.into(),
            at_ms,
            start_ms,
            document: "{}".into(),
            corrects_id: None,
        }
    }

    #[test]
    fn label_charts_draw_the_label_thresholds_and_say_where_there_are_none() {
        let hour = 3_600_000;
        let observations = [
            observation("systolic_bp", "86", "mm[Hg]", 2 * hour, None),
            observation("temperature", "100.4", "[degF]", hour, None),
            observation("creatinine", "176.84", "umol/L", hour, None),
            observation("urine_output", "40", "mL", 8 * hour, Some(4 * hour)),
        ];
        let charts = course_series(&observations, "label", Some("84"));
        let chart = |title: &str| charts.iter().find(|chart| chart.title == title).unwrap().clone();
        assert_eq!(chart("Systolic blood pressure").lines[0].value, 90.0);
        assert_eq!(chart("Systolic blood pressure").points, [(2 * hour, 86.0)]);
        assert_eq!(chart("Temperature").points, [(hour, 38.0)], "degF is converted to Cel by the core");
        assert!(chart("Temperature").note.is_some());
        assert_eq!(chart("Creatinine").points, [(hour, 2.0)]);
        assert_eq!(chart("Creatinine").lines[0].value, 4.5);
        assert_eq!(chart("Urine output per hour").points, [(8 * hour, 10.0)]);
        assert_eq!(chart("Urine output per hour").lines[0].value, 10.0);
        assert_eq!(chart("Weight against baseline").lines[0].label, "baseline 84 kg");
        assert_eq!(charts.len(), 8);
    }

    #[test]
    fn consensus_charts_draw_heart_rate_bilirubin_platelet_and_weight_gain_limits() {
        let charts = course_series(&[], "consensus", Some("80"));
        let values = |title: &str| -> Vec<f64> {
            charts.iter().find(|chart| chart.title == title).unwrap().lines.iter().map(|line| line.value).collect()
        };
        assert_eq!(values("Heart rate"), [100.0, 130.0]);
        assert_eq!(values("Bilirubin (total)"), [7.0]);
        assert_eq!(values("Platelets"), [50.0]);
        assert_eq!(values("Creatinine"), [2.5, 3.0]);
        assert_eq!(values("Weight against baseline"), [80.0, 92.0]);
        assert_eq!(values("Urine output per hour"), [20.0]);
    }
}
