//! The course page's charts (issue 14, item 8): one chart for each measure the course records (none for what
//! it does not), on one real time axis in the ward's zone, with the thresholds of the course's active rule set
//! shaded as bands (amber: hold, red: stop), read from the core's threshold tables and rule catalogue, never
//! restated here. Urine and stool output are summed per 8-hour shift exactly as the rules sum them (the core's
//! `shift_ending`: shifts counted back from the end of the latest interval, only intervals wholly inside a
//! shift count, a shift with a gap over 1 h is not fully recorded). No axis goes below zero. Every chart
//! carries a title, a description and its values as a table (the text alternative). Pure functions: the
//! handler passes the observations, the parameters in force and the clock.

use il2care_app::courses::Observation;
use il2care_core::assessment::inputs::OutputInterval;
use il2care_core::assessment::thresholds::Parameters;
use il2care_core::assessment::windows::{moved, shift_ending};
use il2care_core::assessment::{Rule, RuleSet};
use il2care_core::units::{
    Bilirubin, CellCount, Celsius, Creatinine, Kilograms, Measure, Millilitres, MillimetresMercury, MillimolesPerLitre,
    PerMinute, Percent, Quantity,
};
use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::view::local_time;

/// The styles of the charts, the rule links, the worklist's vital-signs line, the dose form's marked fieldsets
/// and the override mark (on screen and in print, where an override keeps its border and its word, never the
/// colour of give). Included by the pages that show them.
pub const STYLE: &str = "\
.chart figcaption { margin-bottom: 0.25rem; }
.chart svg text { fill: #222; }
ul.legend { list-style: none; padding: 0; margin: 0.25rem 0; font-size: 0.9rem; }
.swatch { display: inline-block; width: 1rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; border: 1px solid #555; }
.swatch.band-hold { background: rgba(224, 138, 0, 0.35); }
.swatch.band-stop { background: rgba(176, 0, 32, 0.3); }
a.rule-link { text-decoration: underline dotted; }
.vitals { font-size: 0.9rem; color: #333; }
.vitals.stale { color: #6b3a00; font-weight: 700; }
fieldset.invalid { outline: 3px solid #b00020; outline-offset: 2px; background: #fff0f0; }
.override-mark { display: inline-block; padding: 0.1rem 0.4rem; }
@media print {
  .override { border: 2px solid #3d0a66; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .badge { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .chart { break-inside: avoid; }
}
";

const HOUR_MS: i64 = 3_600_000;

/// Observations this long before the course's start still belong to its charts (the baseline work-up).
pub const BEFORE_START_MS: i64 = 48 * HOUR_MS;

/// What a shaded band asks for when a value lies in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Hold,
    Stop,
}

impl Level {
    fn class(self) -> &'static str {
        match self {
            Level::Hold => "band-hold",
            Level::Stop => "band-stop",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Level::Hold => "Hold",
            Level::Stop => "Stop",
        }
    }
}

/// A shaded range of values `[from, to]` (`to` = `None`: up to the top of the chart) where a rule of the
/// active set holds or stops.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub from: f64,
    pub to: Option<f64>,
    pub level: Level,
    /// In words with the unit, e.g. `systolic pressure < 90 mmHg`.
    pub label: String,
    pub rule: &'static str,
}

/// A horizontal reference line (the baseline weight).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub value: f64,
    pub label: String,
}

/// The output of one 8-hour shift.
#[derive(Clone, Debug, PartialEq)]
pub struct ShiftBar {
    pub start_ms: i64,
    pub end_ms: i64,
    /// The sum of the intervals wholly inside the shift (mL).
    pub volume: f64,
    /// Whether recorded intervals cover the shift (gaps of at most the rules' largest gap).
    pub covered: bool,
}

/// What a chart draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Marks {
    /// (epoch ms, value), oldest first.
    Points(Vec<(i64, f64)>),
    /// Shifts, oldest first.
    Shifts(Vec<ShiftBar>),
}

impl Marks {
    fn is_empty(&self) -> bool {
        match self {
            Marks::Points(points) => points.is_empty(),
            Marks::Shifts(shifts) => shifts.is_empty(),
        }
    }

    /// The time span the marks cover.
    fn span(&self) -> Option<(i64, i64)> {
        match self {
            Marks::Points(points) => Some((points.first()?.0, points.last()?.0)),
            Marks::Shifts(shifts) => Some((shifts.first()?.start_ms, shifts.last()?.end_ms)),
        }
    }

    fn values(&self) -> Vec<f64> {
        match self {
            Marks::Points(points) => points.iter().map(|(_, value)| *value).collect(),
            Marks::Shifts(shifts) => shifts.iter().map(|shift| shift.volume).collect(),
        }
    }
}

/// One chart of the course page.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// For element ids (`chart-systolic_bp`).
    pub id: &'static str,
    pub title: &'static str,
    /// The unit as a ward writes it (mmHg, beats/min, °C, %, breaths/min, mL).
    pub unit: &'static str,
    pub marks: Marks,
    pub bands: Vec<Band>,
    pub lines: Vec<Line>,
    /// Said under the chart, e.g. that no rule of the set reads this measure.
    pub note: Option<String>,
}

/// The thresholds in force for one course.
pub struct Thresholds<'a> {
    pub rule_set: RuleSet,
    pub parameters: &'a Parameters,
    /// The patient's target systolic pressure (consensus), when a physician set one (mmHg).
    pub target_systolic_bp: Option<Decimal>,
    /// The course's dosing weight (kg).
    pub baseline_weight_kg: Option<Decimal>,
}

fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// Observations that stand (a corrected observation is replaced by its correction) at or after `since_ms`,
/// oldest first.
fn standing(observations: &[Observation], since_ms: i64) -> Vec<&Observation> {
    let corrected: std::collections::HashSet<i64> =
        observations.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut list: Vec<&Observation> = observations
        .iter()
        .filter(|observation| !corrected.contains(&observation.id) && observation.at_ms >= since_ms)
        // A date-only observation has no time to plot: the course page lists it with its date.
        .filter(|observation| !super::date_only::is_date_only(observation))
        .collect();
    list.sort_by_key(|observation| (observation.at_ms, observation.id));
    list
}

/// The readings of one code in the measure's canonical unit (values that do not convert are left out).
fn points_of<M: Measure>(observations: &[&Observation], code: &str) -> Vec<(i64, f64)> {
    observations
        .iter()
        .filter(|observation| observation.code == code)
        .filter_map(|observation| {
            let value: Decimal = observation.value.parse().ok()?;
            let measure = M::from_quantity(Quantity::new(value, &observation.unit).ok()?).ok()?;
            Some((observation.at_ms, number(measure.canonical())))
        })
        .collect()
}

/// The recorded output intervals of one code, as the core reads them.
fn intervals_of(observations: &[&Observation], code: &str) -> Vec<OutputInterval> {
    observations
        .iter()
        .filter(|observation| observation.code == code)
        .filter_map(|observation| {
            let value: Decimal = observation.value.parse().ok()?;
            let volume = Millilitres::from_quantity(Quantity::new(value, &observation.unit).ok()?).ok()?;
            let start = jiff::Timestamp::from_millisecond(observation.start_ms?).ok()?;
            let end = jiff::Timestamp::from_millisecond(observation.at_ms).ok()?;
            (start < end).then_some(OutputInterval { volume, start, end })
        })
        .collect()
}

/// The shifts of one output code, counted back from the end of the latest interval (ASSESSMENT §2.1, §9.11)
/// to the earliest recorded start, at most `max_shifts` of them, oldest first.
pub fn shifts(intervals: &[OutputInterval], parameters: &Parameters, max_shifts: usize) -> Vec<ShiftBar> {
    let (Some(anchor), Some(earliest)) =
        (intervals.iter().map(|i| i.end).max(), intervals.iter().map(|i| i.start).min())
    else {
        return Vec::new();
    };
    let length = parameters.limits.shift;
    let mut bars = Vec::new();
    let mut end = anchor;
    while end > earliest && bars.len() < max_shifts {
        let start = moved(end, -length);
        let volume: Decimal = intervals
            .iter()
            .filter(|interval| interval.start >= start && interval.end <= end)
            .map(|interval| interval.volume.value())
            .sum();
        let covered = shift_ending(intervals, end, length, parameters.limits.largest_gap).is_some();
        bars.push(ShiftBar {
            start_ms: start.as_millisecond(),
            end_ms: end.as_millisecond(),
            volume: number(volume),
            covered,
        });
        end = start;
    }
    bars.reverse();
    bars
}

/// A band of `rule` when the rule runs in the course's set.
fn band(thresholds: &Thresholds<'_>, rule: Rule, from: Decimal, to: Option<Decimal>, label: String) -> Option<Band> {
    rule.runs_in(thresholds.rule_set).then(|| Band {
        from: number(from),
        to: to.map(number),
        level: if rule.is_hold() { Level::Hold } else { Level::Stop },
        label,
        rule: rule.id(),
    })
}

/// The charts of a course: one per measure it records (at or after `since_ms`), each with the bands of the
/// active rule set. Lists no chart for a measure without values.
pub fn course_charts(observations: &[Observation], since_ms: i64, thresholds: &Thresholds<'_>) -> Vec<Chart> {
    let list = standing(observations, since_ms);
    let label = &thresholds.parameters.label;
    let consensus = &thresholds.parameters.consensus;
    let set = thresholds.rule_set.id();
    let none = |what: &str| Some(format!("No rule of the {set} rule set reads {what}: no band is drawn."));
    let mut charts = Vec::new();
    let mut add = |id, title, unit, marks: Marks, bands: Vec<Option<Band>>, lines: Vec<Line>, note: Option<String>| {
        if marks.is_empty() {
            return;
        }
        let bands: Vec<Band> = bands.into_iter().flatten().collect();
        let note = if bands.is_empty() && lines.is_empty() { note } else { None };
        charts.push(Chart { id, title, unit, marks, bands, lines, note });
    };

    let target = thresholds
        .target_systolic_bp
        .and_then(|value| MillimetresMercury::new(value).ok())
        .unwrap_or(consensus.default_target_systolic_bp);
    add(
        "systolic_bp",
        "Systolic blood pressure",
        "mmHg",
        Marks::Points(points_of::<MillimetresMercury>(&list, "systolic_bp")),
        vec![
            band(
                thresholds,
                Rule::LabelHoldSbpBelow90,
                Decimal::ZERO,
                Some(label.systolic_hold_below.value()),
                format!("below {} mmHg", label.systolic_hold_below.value().normalize()),
            ),
            band(
                thresholds,
                Rule::ConsensusHoldSbpBelowTarget,
                Decimal::ZERO,
                Some(target.value()),
                format!(
                    "below the target of {} mmHg{}",
                    target.value().normalize(),
                    if thresholds.target_systolic_bp.is_some() { " (the patient's)" } else { " (default)" }
                ),
            ),
        ],
        Vec::new(),
        none("systolic pressure"),
    );
    add(
        "heart_rate",
        "Heart rate",
        "beats/min",
        Marks::Points(points_of::<PerMinute>(&list, "heart_rate")),
        vec![
            band(
                thresholds,
                Rule::ConsensusHoldSinusTachycardia,
                consensus.tachycardia_hold_min.value(),
                Some(consensus.tachycardia_stop_above.value()),
                format!(
                    "{} to {} beats/min",
                    consensus.tachycardia_hold_min.value().normalize(),
                    consensus.tachycardia_stop_above.value().normalize()
                ),
            ),
            band(
                thresholds,
                Rule::ConsensusStopSinusTachycardiaAbove130,
                consensus.tachycardia_stop_above.value(),
                None,
                format!("above {} beats/min", consensus.tachycardia_stop_above.value().normalize()),
            ),
        ],
        Vec::new(),
        none("the heart rate"),
    );
    add(
        "temperature",
        "Temperature",
        "°C",
        Marks::Points(points_of::<Celsius>(&list, "temperature")),
        Vec::new(),
        Vec::new(),
        none("the temperature (it is graded for CTCAE fever)"),
    );
    add(
        "spo2",
        "Oxygen saturation (SpO2)",
        "%",
        Marks::Points(points_of::<Percent>(&list, "spo2")),
        vec![band(
            thresholds,
            Rule::LabelHoldSpo2Below90,
            Decimal::ZERO,
            Some(label.spo2_hold_below.value()),
            format!("below {} %", label.spo2_hold_below.value().normalize()),
        )],
        Vec::new(),
        none("SpO2"),
    );
    add(
        "respiratory_rate",
        "Breathing rate",
        "breaths/min",
        Marks::Points(points_of::<PerMinute>(&list, "respiratory_rate")),
        Vec::new(),
        Vec::new(),
        none("the breathing rate"),
    );
    let mut weight_lines = Vec::new();
    let mut weight_bands = Vec::new();
    if let Some(baseline) = thresholds.baseline_weight_kg {
        weight_lines
            .push(Line { value: number(baseline), label: format!("dosing weight {} kg", baseline.normalize()) });
        let limit = baseline * (Decimal::ONE + consensus.weight_gain_fraction_above);
        let percent = (consensus.weight_gain_fraction_above * Decimal::ONE_HUNDRED).normalize();
        weight_bands.push(band(
            thresholds,
            Rule::ConsensusHoldWeightGain15Pct,
            limit,
            None,
            format!("more than {percent} % over the dosing weight (above {} kg)", limit.round_dp(1).normalize()),
        ));
    }
    add(
        "weight",
        "Weight",
        "kg",
        Marks::Points(points_of::<Kilograms>(&list, "weight")),
        weight_bands,
        weight_lines,
        Some("No dosing weight recorded for this course.".to_string()),
    );
    let shift_hours = number(il2care_core::assessment::thresholds::hours(thresholds.parameters.limits.shift));
    let oliguria_per_shift = label.oliguria_rate_below.value()
        * il2care_core::assessment::thresholds::hours(thresholds.parameters.limits.shift);
    add(
        "urine_output",
        "Urine output per 8-hour shift",
        "mL",
        Marks::Shifts(shifts(&intervals_of(&list, "urine_output"), thresholds.parameters, 60)),
        vec![
            band(
                thresholds,
                Rule::ConsensusStopUrineBelow80Shift,
                Decimal::ZERO,
                Some(consensus.urine_shift_hold_at_least.value()),
                format!("below {} mL in a shift", consensus.urine_shift_hold_at_least.value().normalize()),
            ),
            band(
                thresholds,
                Rule::ConsensusHoldUrine80To160Shift,
                consensus.urine_shift_hold_at_least.value(),
                Some(consensus.urine_shift_hold_at_most.value()),
                format!(
                    "{} to {} mL in a shift",
                    consensus.urine_shift_hold_at_least.value().normalize(),
                    consensus.urine_shift_hold_at_most.value().normalize()
                ),
            ),
            band(
                thresholds,
                Rule::LabelHoldOliguria,
                Decimal::ZERO,
                Some(oliguria_per_shift),
                format!(
                    "below {} mL/h (= {} mL in {shift_hours} h) over 16 h, with rising creatinine",
                    label.oliguria_rate_below.value().normalize(),
                    oliguria_per_shift.normalize()
                ),
            ),
        ],
        Vec::new(),
        none("urine output"),
    );
    add(
        "stool_output",
        "Stool output per 8-hour shift",
        "mL",
        Marks::Shifts(shifts(&intervals_of(&list, "stool_output"), thresholds.parameters, 60)),
        vec![band(
            thresholds,
            Rule::ConsensusHoldDiarrhea1000Shift,
            consensus.diarrhea_per_shift_at_least.value(),
            None,
            format!(
                "{} mL or more in a shift (two shifts in a row stop the course)",
                consensus.diarrhea_per_shift_at_least.value().normalize()
            ),
        )],
        Vec::new(),
        none("stool output"),
    );
    add(
        "creatinine",
        "Creatinine",
        "mg/dL",
        Marks::Points(points_of::<Creatinine>(&list, "creatinine")),
        vec![
            band(
                thresholds,
                Rule::LabelHoldCreatinineAbove4_5,
                label.creatinine_hold_above.value(),
                None,
                format!("above {} mg/dL", label.creatinine_hold_above.value().normalize()),
            ),
            band(
                thresholds,
                Rule::ConsensusHoldCreatinine2_5,
                consensus.creatinine_hold_at_least.value(),
                Some(consensus.creatinine_stop_at_least.value()),
                format!(
                    "{} to below {} mg/dL",
                    consensus.creatinine_hold_at_least.value().normalize(),
                    consensus.creatinine_stop_at_least.value().normalize()
                ),
            ),
            band(
                thresholds,
                Rule::ConsensusStopCreatinine3,
                consensus.creatinine_stop_at_least.value(),
                None,
                format!("{} mg/dL or more", consensus.creatinine_stop_at_least.value().normalize()),
            ),
        ],
        Vec::new(),
        none("creatinine"),
    );
    add(
        "bilirubin_total",
        "Total bilirubin",
        "mg/dL",
        Marks::Points(points_of::<Bilirubin>(&list, "bilirubin_total")),
        vec![band(
            thresholds,
            Rule::ConsensusHoldBilirubinAbove7,
            consensus.bilirubin_hold_above.value(),
            None,
            format!("above {} mg/dL", consensus.bilirubin_hold_above.value().normalize()),
        )],
        Vec::new(),
        none("bilirubin"),
    );
    add(
        "platelets",
        "Platelets",
        "×10³/µL",
        Marks::Points(points_of::<CellCount>(&list, "platelets")),
        vec![
            band(
                thresholds,
                Rule::ConsensusStopPlateletsBelow30k,
                Decimal::ZERO,
                Some(consensus.platelets_hold_at_least.value()),
                format!("below {} ×10³/µL", consensus.platelets_hold_at_least.value().normalize()),
            ),
            band(
                thresholds,
                Rule::ConsensusHoldPlatelets30To50k,
                consensus.platelets_hold_at_least.value(),
                Some(consensus.platelets_hold_at_most.value()),
                format!(
                    "{} to {} ×10³/µL",
                    consensus.platelets_hold_at_least.value().normalize(),
                    consensus.platelets_hold_at_most.value().normalize()
                ),
            ),
        ],
        Vec::new(),
        none("the platelet count"),
    );
    add(
        "bicarbonate",
        "Bicarbonate",
        "mmol/L",
        Marks::Points(points_of::<MillimolesPerLitre>(&list, "bicarbonate")),
        vec![band(
            thresholds,
            Rule::ConsensusStopBicarbonate18,
            Decimal::ZERO,
            Some(consensus.bicarbonate_stop_at_most.value()),
            format!("{} mmol/L or less", consensus.bicarbonate_stop_at_most.value().normalize()),
        )],
        Vec::new(),
        none("bicarbonate"),
    );
    charts
}

/// The shared time axis: from the earliest mark of any chart to `now_ms` (or the latest mark, if later).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeAxis {
    pub from_ms: i64,
    pub to_ms: i64,
    /// (epoch ms, label in the ward's zone).
    pub ticks: Vec<(i64, String)>,
}

/// Tick spacings in hours; the first that gives at most six ticks is used.
const TICK_HOURS: [i64; 10] = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168];

/// The time axis of `charts` at `now_ms` in `zone`: ticks on the ward's clock (every 1-12 h on the hour, or
/// at midnight every 1-7 days), at least an hour wide.
pub fn time_axis(charts: &[Chart], now_ms: i64, zone: &str) -> TimeAxis {
    let spans: Vec<(i64, i64)> = charts.iter().filter_map(|chart| chart.marks.span()).collect();
    let from = spans.iter().map(|span| span.0).min().unwrap_or(now_ms - HOUR_MS);
    let to = spans.iter().map(|span| span.1).max().unwrap_or(now_ms).max(now_ms);
    let from = from.min(to - HOUR_MS);
    let span_hours = (to - from + HOUR_MS - 1) / HOUR_MS;
    let step = TICK_HOURS.into_iter().find(|hours| span_hours / hours <= 6).unwrap_or(336);
    let time_zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut ticks = Vec::new();
    let (Ok(start), Ok(end)) = (jiff::Timestamp::from_millisecond(from), jiff::Timestamp::from_millisecond(to)) else {
        return TimeAxis { from_ms: from, to_ms: to, ticks };
    };
    let (first_day, last_day) = (start.to_zoned(time_zone.clone()).date(), end.to_zoned(time_zone.clone()).date());
    let mut day = first_day;
    let mut day_index: i64 = 0;
    while day <= last_day && ticks.len() < 64 {
        let hours: Vec<i8> = if step < 24 {
            (0..24).filter(|hour| i64::from(*hour) % step == 0).collect()
        } else if day_index % (step / 24) == 0 {
            vec![0]
        } else {
            Vec::new()
        };
        for hour in hours {
            let Ok(at) = day.at(hour, 0, 0, 0).to_zoned(time_zone.clone()) else { continue };
            let ms = at.timestamp().as_millisecond();
            if (from..=to).contains(&ms) {
                let text = if step < 24 { at.strftime("%a %H:%M") } else { at.strftime("%a %-d %b") };
                ticks.push((ms, text.to_string()));
            }
        }
        let Ok(next) = day.tomorrow() else { break };
        day = next;
        day_index += 1;
    }
    TimeAxis { from_ms: from, to_ms: to, ticks }
}

/// The value axis: `(min, max, ticks)` with round steps, never below zero, spanning every value, every
/// finite band edge and every line.
pub fn value_axis(chart: &Chart) -> (f64, f64, Vec<f64>) {
    let edges = chart.bands.iter().flat_map(|band| [Some(band.from).filter(|from| *from > 0.0), band.to]).flatten();
    let values: Vec<f64> = chart
        .marks
        .values()
        .into_iter()
        .chain(edges)
        .chain(chart.lines.iter().map(|line| line.value))
        .filter(|value| value.is_finite())
        .collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = if low.is_finite() { (low.max(0.0), high.max(0.0)) } else { (0.0, 1.0) };
    let (low, high) = if high - low < 1e-9 { ((low - 1.0).max(0.0), high + 1.0) } else { (low, high) };
    let raw = (high - low) / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|factor| factor * magnitude).find(|step| *step >= raw);
    let step = step.unwrap_or(10.0 * magnitude);
    let mut min = ((low / step).floor() * step).max(0.0);
    if low - min < step * 0.1 && min - step >= 0.0 {
        min -= step;
    }
    let mut max = (high / step).ceil() * step;
    if max - high < step * 0.1 {
        max += step;
    }
    let count = ((max - min) / step).round() as i64;
    let ticks = (0..=count).map(|index| min + step * index as f64).collect();
    (min, max, ticks)
}

/// A number for a tick label: as few decimals as the step needs.
fn tick_text(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    };
    format!("{value:.decimals$}")
}

fn value_text(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 230.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 470.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 190.0;

/// One chart as a figure: the SVG (title, description, bands, axes, marks), a legend of its bands with
/// their rules, and its values as a table.
pub fn render(chart: &Chart, axis: &TimeAxis, zone: &str) -> Markup {
    let (min, max, ticks) = value_axis(chart);
    let step = ticks.get(1).zip(ticks.first()).map_or(1.0, |(b, a)| b - a);
    let y_of = |value: f64| BOTTOM - (value.clamp(min, max) - min) / (max - min) * (BOTTOM - TOP);
    let span = (axis.to_ms - axis.from_ms).max(1) as f64;
    let x_of = |ms: i64| LEFT + (ms - axis.from_ms) as f64 / span * (RIGHT - LEFT);
    let title_id = format!("chart-{}-title", chart.id);
    let desc_id = format!("chart-{}-desc", chart.id);
    let values = chart.marks.values();
    let latest = match &chart.marks {
        Marks::Points(points) => points
            .last()
            .map(|(at, value)| format!("latest {} {} at {}", value_text(*value), chart.unit, local_time(*at, zone))),
        Marks::Shifts(shifts) => shifts.last().map(|shift| {
            format!(
                "latest shift {} {}{} (ended {})",
                value_text(shift.volume),
                chart.unit,
                if shift.covered { "" } else { ", not fully recorded" },
                local_time(shift.end_ms, zone)
            )
        }),
    };
    let bands_text: Vec<String> =
        chart.bands.iter().map(|band| format!("{} when {}", band.level.words(), band.label)).collect();
    let description = format!(
        "{} {} from {} to {}; {}.{}",
        values.len(),
        match (&chart.marks, values.len()) {
            (Marks::Shifts(_), 1) => "shift",
            (Marks::Shifts(_), _) => "shifts",
            (_, 1) => "value",
            _ => "values",
        },
        value_text(values.iter().copied().fold(f64::INFINITY, f64::min)),
        value_text(values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        latest.clone().unwrap_or_default(),
        if bands_text.is_empty() { String::new() } else { format!(" Shaded: {}.", bands_text.join("; ")) }
    );
    html! {
        figure.chart id=(format!("chart-{}", chart.id)) {
            figcaption { strong { (chart.title) } " (" (chart.unit) ")" }
            svg role="img" aria-labelledby=(format!("{title_id} {desc_id}")) viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
                width="100%" preserveAspectRatio="xMidYMid meet" {
                title id=(title_id) { (chart.title) " (" (chart.unit) ")" }
                desc id=(desc_id) { (description) }
                rect x=(LEFT) y=(TOP) width=(RIGHT - LEFT) height=(BOTTOM - TOP) fill="#fff" stroke="#767676" {}
                @for band in &chart.bands {
                    @let top = y_of(band.to.unwrap_or(max));
                    @let bottom = y_of(band.from);
                    @if bottom > top {
                        rect class=(format!("band {}", band.level.class())) x=(LEFT) y=(format!("{top:.1}"))
                            width=(RIGHT - LEFT) height=(format!("{:.1}", bottom - top))
                            fill=(if band.level == Level::Stop { "#b00020" } else { "#e08a00" })
                            fill-opacity=(if band.level == Level::Stop { "0.16" } else { "0.22" }) {
                            title { (band.level.words()) ": " (band.label) }
                        }
                    }
                }
                @for tick in &ticks {
                    @let y = y_of(*tick);
                    line x1=(LEFT) x2=(RIGHT) y1=(format!("{y:.1}")) y2=(format!("{y:.1}")) stroke="#e2e2e2" {}
                    text.ytick x=(LEFT - 4.0) y=(format!("{:.1}", y + 4.0)) text-anchor="end" font-size="11" { (tick_text(*tick, step)) }
                }
                @for (ms, label) in &axis.ticks {
                    @let x = x_of(*ms);
                    line x1=(format!("{x:.1}")) x2=(format!("{x:.1}")) y1=(TOP) y2=(BOTTOM + 4.0) stroke="#e2e2e2" {}
                    @let anchor = if x > RIGHT - 30.0 { "end" } else if x < LEFT + 30.0 { "start" } else { "middle" };
                    text.xtick x=(format!("{x:.1}")) y=(BOTTOM + 18.0) text-anchor=(anchor) font-size="11" { (label) }
                }
                @for line in &chart.lines {
                    @let y = y_of(line.value);
                    line x1=(LEFT) x2=(RIGHT) y1=(format!("{y:.1}")) y2=(format!("{y:.1}")) stroke="#333"
                        stroke-width="1.5" stroke-dasharray="6 4" {}
                    text x=(RIGHT - 4.0) y=(format!("{:.1}", y - 4.0)) text-anchor="end" font-size="11" { (line.label) }
                }
                @match &chart.marks {
                    Marks::Points(points) => {
                        @if points.len() > 1 {
                            polyline points=(points.iter().map(|(at, value)| format!("{:.1},{:.1}", x_of(*at), y_of(*value))).collect::<Vec<_>>().join(" "))
                                fill="none" stroke="#0b3d91" stroke-width="2" {}
                        }
                        @for (at, value) in points {
                            circle cx=(format!("{:.1}", x_of(*at))) cy=(format!("{:.1}", y_of(*value))) r="3.5" fill="#0b3d91" {}
                        }
                    }
                    Marks::Shifts(shifts) => {
                        @for shift in shifts {
                            @let (x1, x2) = (x_of(shift.start_ms), x_of(shift.end_ms));
                            @let y = y_of(shift.volume);
                            rect.shift x=(format!("{:.1}", x1 + 1.0)) y=(format!("{y:.1}"))
                                width=(format!("{:.1}", (x2 - x1 - 2.0).max(1.0))) height=(format!("{:.1}", BOTTOM - y))
                                fill=(if shift.covered { "#0b3d91" } else { "none" }) stroke="#0b3d91"
                                stroke-dasharray=[(!shift.covered).then_some("4 3")] {}
                        }
                    }
                }
            }
            @if !chart.bands.is_empty() {
                ul.legend {
                    @for band in &chart.bands {
                        li {
                            span class=(format!("swatch {}", band.level.class())) aria-hidden="true" {}
                            (band.level.words()) ": " (band.label) " "
                            a.rule-link href=(format!("/rules#{}", band.rule)) { small.code { (band.rule) } }
                        }
                    }
                }
            }
            @if let Some(note) = &chart.note { p.note { (note) } }
            details.values {
                summary { "Values (" (values.len()) ")" }
                table {
                    thead { tr { th scope="col" { (if matches!(chart.marks, Marks::Shifts(_)) { "Shift" } else { "Time" }) }
                                 th scope="col" { (chart.title) " (" (chart.unit) ")" } } }
                    tbody {
                        @match &chart.marks {
                            Marks::Points(points) => {
                                @for (at, value) in points.iter().rev() {
                                    tr { td { (local_time(*at, zone)) } td { (value_text(*value)) " " (chart.unit) } }
                                }
                            }
                            Marks::Shifts(shifts) => {
                                @for shift in shifts.iter().rev() {
                                    tr {
                                        td { (local_time(shift.start_ms, zone)) " to " (local_time(shift.end_ms, zone)) }
                                        td { (value_text(shift.volume)) " " (chart.unit)
                                             @if !shift.covered { " (not fully recorded)" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_796_000_400_000; // 2026-11-30T01:00:00Z

    fn observation(id: i64, code: &str, value: &str, unit: &str, at_ms: i64, start_ms: Option<i64>) -> Observation {
        Observation {
            id,
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

    fn charts_for(observations: &[Observation], rule_set: RuleSet) -> Vec<Chart> {
        let parameters = Parameters::default();
        let thresholds = Thresholds {
            rule_set,
            parameters: &parameters,
            target_systolic_bp: None,
            baseline_weight_kg: Some(Decimal::from(80)),
        };
        course_charts(observations, 0, &thresholds)
    }

    fn chart<'a>(charts: &'a [Chart], id: &str) -> &'a Chart {
        charts.iter().find(|chart| chart.id == id).unwrap()
    }

    #[test]
    fn only_what_the_course_records_is_charted() {
        let observations = [
            observation(1, "systolic_bp", "86", "mm[Hg]", T0, None),
            observation(2, "spo2", "91", "%", T0, None),
            observation(3, "respiratory_rate", "18", "/min", T0, None),
        ];
        let ids: Vec<&str> = charts_for(&observations, RuleSet::Label).iter().map(|chart| chart.id).collect();
        assert_eq!(ids, ["systolic_bp", "spo2", "respiratory_rate"]);
        assert!(charts_for(&[], RuleSet::Consensus).is_empty(), "no empty charts");
        let before = [observation(1, "heart_rate", "80", "/min", T0, None)];
        let thresholds = Thresholds {
            rule_set: RuleSet::Label,
            parameters: &Parameters::default(),
            target_systolic_bp: None,
            baseline_weight_kg: None,
        };
        assert!(course_charts(&before, T0 + 1, &thresholds).is_empty(), "readings before the window are left out");
    }

    #[test]
    fn bands_come_from_the_active_rule_set() {
        let observations = [
            observation(1, "systolic_bp", "86", "mm[Hg]", T0, None),
            observation(2, "heart_rate", "112", "/min", T0, None),
            observation(3, "spo2", "93", "%", T0, None),
            observation(4, "platelets", "45", "10*3/uL", T0, None),
            observation(5, "temperature", "100.4", "[degF]", T0, None),
        ];
        let label = charts_for(&observations, RuleSet::Label);
        let sbp = chart(&label, "systolic_bp");
        assert_eq!((sbp.bands.len(), sbp.bands[0].to, sbp.bands[0].rule), (1, Some(90.0), "label.hold.sbp-below-90"));
        assert!(chart(&label, "heart_rate").bands.is_empty() && chart(&label, "heart_rate").note.is_some());
        assert_eq!(chart(&label, "spo2").bands[0].to, Some(90.0), "SpO2 < 90 holds under label");
        assert_eq!(chart(&label, "temperature").marks, Marks::Points(vec![(T0, 38.0)]), "°F converted by the core");
        let consensus = charts_for(&observations, RuleSet::Consensus);
        let heart: Vec<(f64, Option<f64>, Level)> =
            chart(&consensus, "heart_rate").bands.iter().map(|band| (band.from, band.to, band.level)).collect();
        assert_eq!(heart, [(100.0, Some(130.0), Level::Hold), (130.0, None, Level::Stop)]);
        assert_eq!(chart(&consensus, "systolic_bp").bands[0].rule, "consensus.hold.sbp-below-target");
        assert_eq!(chart(&consensus, "spo2").bands[0].rule, "label.hold.spo2-below-90", "read by both sets");
        let platelets: Vec<(f64, Option<f64>)> =
            chart(&consensus, "platelets").bands.iter().map(|band| (band.from, band.to)).collect();
        assert_eq!(platelets, [(0.0, Some(30.0)), (30.0, Some(50.0))]);
    }

    #[test]
    fn urine_is_summed_per_shift_as_the_rules_sum_it() {
        let hour = HOUR_MS;
        // Three 4-h intervals ending at T0: the last shift (T0-8h..T0) holds two of them; the one before is
        // half recorded.
        let observations = [
            observation(1, "urine_output", "100", "mL", T0 - 8 * hour, Some(T0 - 12 * hour)),
            observation(2, "urine_output", "70", "mL", T0 - 4 * hour, Some(T0 - 8 * hour)),
            observation(3, "urine_output", "50", "mL", T0, Some(T0 - 4 * hour)),
        ];
        let charts = charts_for(&observations, RuleSet::Consensus);
        let Marks::Shifts(shifts) = &chart(&charts, "urine_output").marks else { panic!("shift bars") };
        assert_eq!(shifts.len(), 2);
        assert_eq!(
            (shifts[1].start_ms, shifts[1].end_ms, shifts[1].volume, shifts[1].covered),
            (T0 - 8 * hour, T0, 120.0, true)
        );
        assert_eq!((shifts[0].volume, shifts[0].covered), (100.0, false), "4 h of 8 recorded: not covered");
        let bands: Vec<(f64, Option<f64>, Level)> =
            chart(&charts, "urine_output").bands.iter().map(|band| (band.from, band.to, band.level)).collect();
        assert_eq!(bands, [(0.0, Some(80.0), Level::Stop), (80.0, Some(160.0), Level::Hold)]);
    }

    #[test]
    fn the_value_axis_never_goes_below_zero_and_spans_values_and_bands() {
        let points = |values: &[f64]| Chart {
            id: "x",
            title: "x",
            unit: "u",
            marks: Marks::Points(values.iter().enumerate().map(|(index, value)| (index as i64, *value)).collect()),
            bands: vec![Band { from: 0.0, to: Some(90.0), level: Level::Hold, label: String::new(), rule: "r" }],
            lines: Vec::new(),
            note: None,
        };
        for values in [&[0.0][..], &[0.4, 0.6], &[86.0, 120.0], &[2.0]] {
            let (min, max, ticks) = value_axis(&points(values));
            assert!(min >= 0.0 && ticks.iter().all(|tick| *tick >= 0.0), "{values:?}: {min} {ticks:?}");
            assert!(max >= 90.0 && max >= values.iter().copied().fold(0.0, f64::max), "{values:?}: {max}");
        }
        let (min, max, _) = value_axis(&points(&[86.0, 120.0]));
        assert!(min <= 86.0 && max >= 120.0);
    }

    #[test]
    fn the_time_axis_is_on_the_wards_clock() {
        let charts = charts_for(
            &[
                observation(1, "systolic_bp", "100", "mm[Hg]", T0 - 20 * HOUR_MS, None),
                observation(2, "systolic_bp", "100", "mm[Hg]", T0 - 2 * HOUR_MS, None),
            ],
            RuleSet::Label,
        );
        let axis = time_axis(&charts, T0, "America/New_York");
        assert_eq!((axis.from_ms, axis.to_ms), (T0 - 20 * HOUR_MS, T0));
        assert!(axis.ticks.len() >= 3 && axis.ticks.len() <= 7, "{:?}", axis.ticks);
        // 20 h: every 3 h on the hour of the New York clock (EST, UTC-5), e.g. "Sun 03:00".
        assert!(axis.ticks.iter().all(|(_, label)| label.ends_with(":00")), "{:?}", axis.ticks);
        let step = (axis.ticks[1].0 - axis.ticks[0].0) / HOUR_MS;
        assert_eq!(step, 3, "{:?}", axis.ticks);
        let hours: Vec<i64> = axis.ticks.iter().map(|(ms, _)| (ms / HOUR_MS - 5).rem_euclid(24) % step).collect();
        assert!(hours.iter().all(|hour| *hour == 0), "{:?}", axis.ticks);
        assert_eq!(axis.ticks[1].1, "Sun 03:00", "{:?}", axis.ticks);
    }

    #[test]
    fn a_rendered_chart_has_a_title_a_description_bands_and_a_table() {
        let charts = charts_for(&[observation(1, "systolic_bp", "86", "mm[Hg]", T0, None)], RuleSet::Label);
        let axis = time_axis(&charts, T0, "UTC");
        let html = render(&charts[0], &axis, "UTC").into_string();
        assert!(
            html.contains("<title id=\"chart-systolic_bp-title\">Systolic blood pressure (mmHg)</title>"),
            "{html}"
        );
        assert!(html.contains("<desc id=\"chart-systolic_bp-desc\">1 value from 86 to 86; latest 86 mmHg"), "{html}");
        assert!(html.contains("class=\"band band-hold\""));
        assert!(html.contains("href=\"/rules#label.hold.sbp-below-90\""));
        assert!(html.contains("<td>86 mmHg</td>"));
        assert!(!html.contains(">-"), "no negative axis label");
    }
}
