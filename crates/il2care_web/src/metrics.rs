//! Prometheus metrics at `/metrics`: request counts by route and status class, and request latency sums.
//! Counters only, in the text exposition format; labels carry routes, never patient data.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// (route template, status class) -> (requests, seconds spent).
type RequestCounters = BTreeMap<(String, &'static str), (u64, f64)>;

/// Request counters, keyed by (route, status class).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<RequestCounters>,
}

impl Metrics {
    fn observe(&self, route: String, class: &'static str, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = requests.entry((route, class)).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += seconds;
    }

    /// The exposition text.
    pub fn text(&self) -> String {
        let requests = self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::from(
            "# HELP il2care_http_requests_total HTTP requests by route and status class.\n\
             # TYPE il2care_http_requests_total counter\n",
        );
        for ((route, class), (count, _)) in requests.iter() {
            out += &format!("il2care_http_requests_total{{route=\"{route}\",status=\"{class}\"}} {count}\n");
        }
        out += "# HELP il2care_http_request_seconds_sum Time spent answering requests.\n\
                # TYPE il2care_http_request_seconds_sum counter\n";
        for ((route, class), (_, seconds)) in requests.iter() {
            out += &format!("il2care_http_request_seconds_sum{{route=\"{route}\",status=\"{class}\"}} {seconds:.6}\n");
        }
        out
    }
}

/// Middleware: counts every request under its route template.
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |path| path.as_str()).to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let class = match response.status().as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    state.metrics.observe(route, class, started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    ([("content-type", "text/plain; version=0.0.4")], state.metrics.text()).into_response()
}
