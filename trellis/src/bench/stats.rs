//! What a load run measured: latency in an HDR histogram, responses by status
//! and by `Cache-Status`, errors by kind, bytes, each request of the mix on
//! its own, and all of it over time ([`Series`]); merged across threads.

use std::fmt::Write;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

use super::outcome::{CacheKind, ErrorKind};
use super::series::Series;

/// One response, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Which request of the mix it answered.
    pub request: usize,
    /// When it came, from the start of the run.
    pub at: Duration,
    pub latency: Duration,
    pub status: u16,
    pub cache: CacheKind,
    /// Bytes of the whole response, head included.
    pub bytes: usize,
}

/// One request of the mix: how often it was answered or not, and how fast.
#[derive(Debug, Clone)]
struct Tally {
    errors: u64,
    /// Microseconds, to two significant digits: a breakdown, not the
    /// headline figure.
    latency: Histogram<u32>,
}

/// One thread's measurements, or all of them merged.
pub struct Stats {
    /// Microseconds, from the intended send time in open-loop mode.
    latency: Histogram<u64>,
    by_status: Vec<u64>,
    by_cache: [u64; 5],
    errors: [u64; 6],
    bytes: u64,
    by_request: Vec<Tally>,
    series: Series,
}

impl Stats {
    /// Empty, for a mix of `requests` requests.
    pub fn new(requests: usize) -> Stats {
        let tally = Tally {
            errors: 0,
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 2)
                .expect("valid histogram bounds; this is a bug in Trellis"),
        };
        Stats {
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("valid histogram bounds; this is a bug in Trellis"),
            by_status: vec![0; 600],
            by_cache: [0; 5],
            errors: [0; 6],
            bytes: 0,
            by_request: vec![tally; requests],
            series: Series::default(),
        }
    }

    pub fn record(&mut self, sample: Sample) {
        let micros = u64::try_from(sample.latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency.saturating_record(micros);
        if let Some(count) = self.by_status.get_mut(usize::from(sample.status)) {
            *count += 1;
        }
        self.by_cache[sample.cache as usize] += 1;
        self.bytes += sample.bytes as u64;
        if let Some(tally) = self.by_request.get_mut(sample.request) {
            tally.latency.saturating_record(micros);
        }
        self.series
            .record(sample.at, micros, sample.status, sample.cache, sample.bytes);
    }

    /// Request `request` of the mix got no response, given up `at`.
    pub fn record_error(&mut self, request: usize, at: Duration, kind: ErrorKind) {
        self.errors[kind as usize] += 1;
        if let Some(tally) = self.by_request.get_mut(request) {
            tally.errors += 1;
        }
        self.series.record_error(at);
    }

    pub fn merge(&mut self, other: Stats) {
        // Same bounds and precision: adding cannot fail.
        let _ = self.latency.add(&other.latency);
        for (mine, theirs) in self.by_status.iter_mut().zip(&other.by_status) {
            *mine += theirs;
        }
        for (mine, theirs) in self.by_cache.iter_mut().zip(other.by_cache) {
            *mine += theirs;
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.bytes += other.bytes;
        for (mine, theirs) in self.by_request.iter_mut().zip(&other.by_request) {
            mine.errors += theirs.errors;
            let _ = mine.latency.add(&theirs.latency);
        }
        self.series.merge(other.series);
    }

    /// Responses received.
    pub fn requests(&self) -> u64 {
        self.latency.len()
    }

    /// Requests that got no response.
    pub fn errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Responses with a 5xx status.
    pub fn status_5xx(&self) -> u64 {
        self.by_status[500..].iter().sum()
    }

    /// Responses whose `Cache-Status` said hit (and fresh).
    pub fn hits(&self) -> u64 {
        self.by_cache[CacheKind::Hit as usize]
    }

    pub fn millis_at(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn max_millis(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }

    pub fn mean_millis(&self) -> f64 {
        self.latency.mean() / 1000.0
    }

    fn statuses(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.by_status
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, n)| *n > 0)
    }

    fn error_counts(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        ErrorKind::ALL
            .iter()
            .map(|k| (k.name(), self.errors[*k as usize]))
            .filter(|(_, n)| *n > 0)
    }

    /// The `--json` report's first keys. They are stable: scripts read them.
    pub fn to_json(&self, elapsed: Duration) -> Value {
        let seconds = elapsed.as_secs_f64().max(f64::EPSILON);
        json!({
            "requests": self.requests(),
            "duration_secs": seconds,
            "requests_per_sec": self.requests() as f64 / seconds,
            "bytes": self.bytes,
            "latency_ms": {
                "p50": self.millis_at(0.5),
                "p90": self.millis_at(0.9),
                "p99": self.millis_at(0.99),
                "p999": self.millis_at(0.999),
                "max": self.max_millis(),
            },
            "status": self.statuses().map(|(code, n)| (code.to_string(), json!(n))).collect::<Map<_, _>>(),
            "cache_status": CacheKind::ALL.iter().map(|k| (k.name().to_string(), json!(self.by_cache[*k as usize]))).collect::<Map<_, _>>(),
            "errors": self.error_counts().map(|(k, n)| (k.to_string(), json!(n))).collect::<Map<_, _>>(),
        })
    }

    /// The run over time.
    pub fn series_json(&self, elapsed: Duration) -> Value {
        self.series.to_json(elapsed)
    }

    /// How latency was spread: counts in buckets growing by a quarter from
    /// 10 µs, and the classic percentiles.
    pub fn distribution_json(&self) -> Value {
        let buckets: Vec<Value> = self
            .latency
            .iter_log(10, 1.25)
            .map(|step| (step.value_iterated_to(), step.count_since_last_iteration()))
            .skip_while(|(_, count)| *count == 0)
            .map(|(upto, count)| json!({ "upto_ms": upto as f64 / 1000.0, "count": count }))
            .collect();
        let percentiles: Vec<Value> = [50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0]
            .iter()
            .map(|p| json!({ "percentile": p, "ms": self.millis_at(p / 100.0) }))
            .collect();
        json!({ "buckets": buckets, "percentiles": percentiles })
    }

    /// Each request of the mix on its own, named by `name`.
    pub fn by_request_json(&self, name: impl Fn(usize) -> String) -> Value {
        self.by_request
            .iter()
            .enumerate()
            .map(|(index, tally)| {
                let millis = |q: f64| tally.latency.value_at_quantile(q) as f64 / 1000.0;
                json!({
                    "name": name(index),
                    "requests": tally.latency.len(),
                    "errors": tally.errors,
                    "latency_ms": { "p50": millis(0.5), "p99": millis(0.99) },
                })
            })
            .collect()
    }

    /// The table printed at the end of a run.
    pub fn to_table(&self, elapsed: Duration) -> String {
        let seconds = elapsed.as_secs_f64().max(f64::EPSILON);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  Requests      {} in {:.2} s, {:.1}/s, {:.1} MB read",
            self.requests(),
            seconds,
            self.requests() as f64 / seconds,
            self.bytes as f64 / 1_000_000.0
        );
        let _ = writeln!(
            out,
            "  Latency       p50 {:.3} ms   p90 {:.3} ms   p99 {:.3} ms   p99.9 {:.3} ms   max {:.3} ms",
            self.millis_at(0.5),
            self.millis_at(0.9),
            self.millis_at(0.99),
            self.millis_at(0.999),
            self.max_millis()
        );
        let statuses: Vec<String> = self
            .statuses()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        let _ = writeln!(out, "  Status        {}", join_or_none(&statuses));
        let caches: Vec<String> = CacheKind::ALL
            .iter()
            .filter(|k| self.by_cache[**k as usize] > 0)
            .map(|k| format!("{}: {}", k.name(), self.by_cache[*k as usize]))
            .collect();
        let _ = writeln!(out, "  Cache-Status  {}", join_or_none(&caches));
        let errors: Vec<String> = self
            .error_counts()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        let _ = writeln!(out, "  Errors        {}", join_or_none(&errors));
        out
    }
}

fn join_or_none(parts: &[String]) -> String {
    match parts.is_empty() {
        true => "none".to_string(),
        false => parts.join("   "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(request: usize, millis: u64, status: u16) -> Sample {
        Sample {
            request,
            at: Duration::from_millis(millis),
            latency: Duration::from_millis(millis),
            status,
            cache: CacheKind::None,
            bytes: 10,
        }
    }

    #[test]
    fn threads_merge_into_one_count_of_everything() {
        let (mut one, mut two) = (Stats::new(2), Stats::new(2));
        one.record(sample(0, 1, 200));
        two.record(sample(1, 2, 503));
        two.record_error(1, Duration::from_millis(3), ErrorKind::Timeout);
        one.merge(two);
        assert_eq!((one.requests(), one.errors(), one.status_5xx()), (2, 1, 1));
        let by_request = one.by_request_json(|i| format!("r{i}"));
        assert_eq!(by_request[1]["requests"], 1);
        assert_eq!(by_request[1]["errors"], 1);
        assert_eq!(by_request[0]["name"], "r0");
        let series = one.series_json(Duration::from_millis(50));
        assert_eq!(series["points"][0]["requests"], 2);
    }

    #[test]
    fn the_distribution_starts_at_the_first_bucket_with_a_response() {
        let mut stats = Stats::new(1);
        for millis in [1, 1, 2, 40] {
            stats.record(sample(0, millis, 200));
        }
        let distribution = stats.distribution_json();
        let buckets = distribution["buckets"].as_array().unwrap();
        assert!(buckets[0]["count"].as_u64().unwrap() > 0);
        let counted: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, 4);
        assert_eq!(distribution["percentiles"].as_array().unwrap().len(), 8);
    }
}
