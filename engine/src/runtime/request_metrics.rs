//! Request metrics beside the cache's, as OpenTelemetry's HTTP semantic
//! conventions (and actix-web-prom) name them: requests by route pattern,
//! method and status class, `http_server_request_duration_seconds`, and
//! requests in flight. Each worker counts into a block of its own with
//! plain loads and stores (it is the block's only writer), so counting
//! costs a request two clock reads and a few stores, with no atomic
//! read-modify-write and no cache line shared between cores; a scrape
//! adds the blocks up.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::http::StatusCode;

use crate::api::method::HttpMethod;

/// The seven methods, and one slot for any other.
const METHODS: usize = 8;
/// 1xx to 5xx.
const CLASSES: usize = 5;

/// Every worker's counts, and what their slots mean.
pub(crate) struct RequestMetrics {
    /// Route patterns by `SegmentId`, then `-` for requests no route served.
    routes: Vec<String>,
    buckets_us: Vec<u64>,
    workers: Mutex<Vec<Arc<WorkerMetrics>>>,
}

/// One worker's counts. Written by that worker only.
pub(crate) struct WorkerMetrics {
    buckets_us: Box<[u64]>,
    in_flight: AtomicU64,
    /// By route, method and status class.
    requests: Box<[AtomicU64]>,
    /// By route and method: one count per bucket, then the `+Inf` one.
    durations: Box<[AtomicU64]>,
    /// By route and method, in nanoseconds.
    sums_ns: Box<[AtomicU64]>,
}

/// A request being counted in flight; counted done when finished or
/// dropped (the client went away).
pub(crate) struct InFlight<'w> {
    metrics: &'w WorkerMetrics,
    started: Instant,
}

impl RequestMetrics {
    pub(crate) fn new(patterns: Vec<String>, buckets_us: Vec<u64>) -> Self {
        let mut routes = patterns;
        routes.push("-".to_string());
        RequestMetrics {
            routes,
            buckets_us,
            workers: Mutex::default(),
        }
    }

    /// A block for a new worker, added to those a scrape reads.
    pub(crate) fn worker(&self) -> Arc<WorkerMetrics> {
        let slots = self.routes.len() * METHODS;
        let zeros = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect();
        let block = Arc::new(WorkerMetrics {
            buckets_us: self.buckets_us.clone().into_boxed_slice(),
            in_flight: AtomicU64::new(0),
            requests: zeros(slots * CLASSES),
            durations: zeros(slots * (self.buckets_us.len() + 1)),
            sums_ns: zeros(slots),
        });
        self.lock().push(block.clone());
        block
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<WorkerMetrics>>> {
        self.workers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every worker's counts added up, in Prometheus text.
    pub(crate) fn render(&self, out: &mut String) {
        let workers = self.lock().clone();
        let sum =
            |read: &dyn Fn(&WorkerMetrics) -> u64| -> u64 { workers.iter().map(|w| read(w)).sum() };
        let in_flight = sum(&|w| w.in_flight.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "# HELP http_server_requests_total Requests answered, by route pattern, method and status class.\n\
             # TYPE http_server_requests_total counter"
        );
        let buckets = self.buckets_us.len() + 1;
        let mut histograms = String::new();
        for (route_index, route) in self.routes.iter().enumerate() {
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            for method_index in 0..METHODS {
                let slot = route_index * METHODS + method_index;
                let method = method_label(method_index);
                for class in 0..CLASSES {
                    let count =
                        sum(&|w| w.requests[slot * CLASSES + class].load(Ordering::Relaxed));
                    if count > 0 {
                        let _ = writeln!(
                            out,
                            "http_server_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{}xx\"}} {count}",
                            class + 1
                        );
                    }
                }
                let counts: Vec<u64> = (0..buckets)
                    .map(|b| sum(&|w| w.durations[slot * buckets + b].load(Ordering::Relaxed)))
                    .collect();
                let total: u64 = counts.iter().sum();
                if total == 0 {
                    continue;
                }
                let labels = format!("route=\"{route}\",method=\"{method}\"");
                let mut cumulative = 0;
                for (bound, count) in self.buckets_us.iter().zip(&counts) {
                    cumulative += count;
                    let le = *bound as f64 / 1e6;
                    let _ = writeln!(
                        histograms,
                        "http_server_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                    );
                }
                let seconds = sum(&|w| w.sums_ns[slot].load(Ordering::Relaxed)) as f64 / 1e9;
                let _ = writeln!(
                    histograms,
                    "http_server_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {total}\n\
                     http_server_request_duration_seconds_sum{{{labels}}} {seconds}\n\
                     http_server_request_duration_seconds_count{{{labels}}} {total}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP http_server_request_duration_seconds Time from a request's arrival to its response's head, by route pattern and method.\n\
             # TYPE http_server_request_duration_seconds histogram\n{histograms}\
             # HELP http_server_active_requests Requests being answered now.\n\
             # TYPE http_server_active_requests gauge\nhttp_server_active_requests {in_flight}"
        );
    }
}

fn method_label(index: usize) -> &'static str {
    HttpMethod::ALL.get(index).map_or("_OTHER", |m| m.as_str())
}

/// Adds `by` to a counter this thread alone writes: a load and a store,
/// where `fetch_add` would lock the bus.
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl WorkerMetrics {
    /// Counts a request in flight from now.
    pub(crate) fn begin(&self) -> InFlight<'_> {
        bump(&self.in_flight, 1);
        InFlight {
            metrics: self,
            started: Instant::now(),
        }
    }
}

impl InFlight<'_> {
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// Counts the request answered: `route` is its slot, `method` the
    /// method's index (none of the seven: 7).
    pub(crate) fn finish(self, route: usize, method: usize, status: StatusCode) {
        let metrics = self.metrics;
        let slot = route * METHODS + method.min(METHODS - 1);
        let class = usize::from(status.as_u16() / 100).clamp(1, CLASSES) - 1;
        bump(&metrics.requests[slot * CLASSES + class], 1);
        let elapsed = self.started.elapsed();
        let micros = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
        let bucket = metrics.buckets_us.partition_point(|&bound| bound < micros);
        let buckets = metrics.buckets_us.len() + 1;
        bump(&metrics.durations[slot * buckets + bucket], 1);
        bump(
            &metrics.sums_ns[slot],
            elapsed.as_nanos().min(u128::from(u64::MAX)) as u64,
        );
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let in_flight = &self.metrics.in_flight;
        in_flight.store(
            in_flight.load(Ordering::Relaxed).saturating_sub(1),
            Ordering::Relaxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_method_and_class_with_cumulative_buckets() {
        let metrics = RequestMetrics::new(vec!["/posts".into()], vec![1_000, 1_000_000]);
        let worker = metrics.worker();
        worker.begin().finish(0, 1, StatusCode::OK);
        worker.begin().finish(0, 1, StatusCode::NOT_FOUND);
        let pending = worker.begin();
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(
            text.contains(
                "http_server_requests_total{route=\"/posts\",method=\"GET\",status=\"2xx\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("status=\"4xx\"} 1"), "{text}");
        assert!(text.contains("http_server_request_duration_seconds_bucket{route=\"/posts\",method=\"GET\",le=\"1\"} 2"), "{text}");
        assert!(
            text.contains(
                "http_server_request_duration_seconds_count{route=\"/posts\",method=\"GET\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("http_server_active_requests 1"), "{text}");
        drop(pending);
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(text.contains("http_server_active_requests 0"), "{text}");
        assert!(!text.contains("route=\"-\""), "no empty series: {text}");
    }
}
