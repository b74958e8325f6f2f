//! The run over time: for each interval, responses (by status and by
//! `Cache-Status`), errors, bytes and a latency histogram, so the report
//! can draw throughput and percentiles as they went and a comparison can
//! tell a change from run-to-run noise.
//!
//! Intervals start at [`FIRST_INTERVAL`]. A run that outgrows
//! [`MAX_INTERVALS`] of them has each pair merged into one twice as long,
//! so memory stays bounded however long it runs; load threads that ended
//! with different intervals are brought to the longest when merged.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

use super::outcome::CacheKind;

/// The first intervals' length.
pub const FIRST_INTERVAL: Duration = Duration::from_millis(100);

/// Intervals kept at most: enough points for a chart and for telling noise
/// apart, few enough that each interval's histogram (about 13 KB) stays
/// cheap.
const MAX_INTERVALS: usize = 240;

/// Per-interval latency is kept to two significant digits (1%), enough to
/// draw; the run's own histogram keeps three.
const SIGNIFICANT_DIGITS: u8 = 2;

/// What happened during one interval.
#[derive(Debug, Clone, Default)]
struct Interval {
    /// Microseconds; made when the interval's first response comes.
    latency: Option<Histogram<u32>>,
    errors: u64,
    bytes: u64,
    /// Few distinct statuses come in a run: a short list beats a table.
    statuses: Vec<(u16, u64)>,
    cache: [u64; 5],
}

impl Interval {
    fn requests(&self) -> u64 {
        self.latency.as_ref().map_or(0, Histogram::len)
    }

    fn merge(&mut self, other: &Interval) {
        if let Some(theirs) = &other.latency {
            match &mut self.latency {
                // Same bounds and precision: adding cannot fail.
                Some(mine) => {
                    let _ = mine.add(theirs);
                }
                None => self.latency = Some(theirs.clone()),
            }
        }
        self.errors += other.errors;
        self.bytes += other.bytes;
        for &(status, count) in &other.statuses {
            self.count_status(status, count);
        }
        for (mine, theirs) in self.cache.iter_mut().zip(other.cache) {
            *mine += theirs;
        }
    }

    fn count_status(&mut self, status: u16, count: u64) {
        match self.statuses.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += count,
            None => self.statuses.push((status, count)),
        }
    }
}

/// One load thread's intervals, or all of them merged.
#[derive(Debug, Clone)]
pub struct Series {
    interval: Duration,
    intervals: Vec<Interval>,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            interval: FIRST_INTERVAL,
            intervals: Vec::new(),
        }
    }
}

impl Series {
    /// A response that came `at` after the run began.
    pub fn record(
        &mut self,
        at: Duration,
        micros: u64,
        status: u16,
        cache: CacheKind,
        bytes: usize,
    ) {
        let interval = self.slot(at);
        interval
            .latency
            .get_or_insert_with(|| {
                Histogram::new_with_bounds(1, 3_600_000_000, SIGNIFICANT_DIGITS)
                    .expect("valid histogram bounds; this is a bug in Trellis")
            })
            .saturating_record(micros);
        interval.count_status(status, 1);
        interval.cache[cache as usize] += 1;
        interval.bytes += bytes as u64;
    }

    /// A request that got no response, given up `at` after the run began.
    pub fn record_error(&mut self, at: Duration) {
        self.slot(at).errors += 1;
    }

    /// Adds `other`'s intervals to these, at the longer interval of the two.
    pub fn merge(&mut self, mut other: Series) {
        while self.interval < other.interval {
            self.coarsen();
        }
        while other.interval < self.interval {
            other.coarsen();
        }
        if self.intervals.len() < other.intervals.len() {
            self.intervals
                .resize_with(other.intervals.len(), Interval::default);
        }
        for (mine, theirs) in self.intervals.iter_mut().zip(&other.intervals) {
            mine.merge(theirs);
        }
    }

    fn slot(&mut self, at: Duration) -> &mut Interval {
        let mut index = self.index(at);
        while index >= MAX_INTERVALS {
            self.coarsen();
            index = self.index(at);
        }
        if self.intervals.len() <= index {
            self.intervals.resize_with(index + 1, Interval::default);
        }
        &mut self.intervals[index]
    }

    fn index(&self, at: Duration) -> usize {
        (at.as_nanos() / self.interval.as_nanos()) as usize
    }

    /// Merges each pair of intervals into one twice as long.
    fn coarsen(&mut self) {
        let pairs = std::mem::take(&mut self.intervals);
        self.intervals = pairs
            .chunks(2)
            .map(|pair| {
                let mut merged = pair[0].clone();
                if let Some(second) = pair.get(1) {
                    merged.merge(second);
                }
                merged
            })
            .collect();
        self.interval *= 2;
    }

    /// The `series` of the JSON report, for a run that lasted `elapsed`:
    /// every interval up to the end, empty ones too, the last one as long
    /// as what remained of the run.
    pub fn to_json(&self, elapsed: Duration) -> Value {
        let step = self.interval.as_secs_f64();
        let count = (elapsed.as_secs_f64() / step).ceil().max(1.0) as usize;
        let count = count.max(self.intervals.len());
        let empty = Interval::default();
        let points: Vec<Value> = (0..count)
            .map(|index| {
                let interval = self.intervals.get(index).unwrap_or(&empty);
                let at = index as f64 * step;
                let secs = (elapsed.as_secs_f64() - at).clamp(0.0, step);
                point(interval, at, secs)
            })
            .collect();
        json!({
            "interval_secs": step,
            "points": points,
        })
    }
}

fn point(interval: &Interval, at: f64, secs: f64) -> Value {
    let requests = interval.requests();
    let millis = |quantile: f64| {
        interval
            .latency
            .as_ref()
            .map_or(0.0, |h| h.value_at_quantile(quantile) as f64 / 1000.0)
    };
    let mut statuses = interval.statuses.clone();
    statuses.sort_unstable();
    json!({
        "at_secs": at,
        "secs": secs,
        "requests": requests,
        "requests_per_sec": match secs > 0.0 {
            true => requests as f64 / secs,
            false => 0.0,
        },
        "errors": interval.errors,
        "bytes": interval.bytes,
        "latency_ms": {
            "p50": millis(0.5),
            "p90": millis(0.9),
            "p99": millis(0.99),
            "p999": millis(0.999),
            "max": interval.latency.as_ref().map_or(0.0, |h| h.max() as f64 / 1000.0),
        },
        "status": statuses
            .iter()
            .map(|(status, n)| (status.to_string(), json!(n)))
            .collect::<Map<_, _>>(),
        "cache_status": CacheKind::ALL
            .iter()
            .map(|kind| (kind.name().to_string(), json!(interval.cache[*kind as usize])))
            .collect::<Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn points(series: &Series, elapsed: Duration) -> Vec<Value> {
        series.to_json(elapsed)["points"]
            .as_array()
            .expect("points")
            .clone()
    }

    #[test]
    fn responses_fall_in_the_interval_they_came_in() {
        let mut series = Series::default();
        series.record(ms(10), 500, 200, CacheKind::Hit, 100);
        series.record(ms(150), 900, 200, CacheKind::Miss, 100);
        series.record(ms(160), 700, 500, CacheKind::None, 100);
        series.record_error(ms(320));
        let points = points(&series, ms(350));
        assert_eq!(points.len(), 4);
        assert_eq!(points[0]["requests"], 1);
        assert_eq!(points[1]["requests"], 2);
        assert_eq!(points[1]["status"], json!({ "200": 1, "500": 1 }));
        assert_eq!(points[1]["cache_status"]["miss"], 1);
        assert_eq!(points[2]["requests"], 0);
        assert_eq!(points[3]["errors"], 1);
        // The last interval is as long as what was left of the run.
        assert!((points[3]["secs"].as_f64().unwrap() - 0.05).abs() < 1e-9);
        assert!((points[0]["requests_per_sec"].as_f64().unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn a_long_run_merges_intervals_and_loses_no_response() {
        let mut series = Series::default();
        for second in 0..100 {
            series.record(ms(second * 1000), 100, 200, CacheKind::None, 1);
        }
        assert!(series.intervals.len() <= MAX_INTERVALS);
        assert_eq!(series.interval, ms(800));
        let points = points(&series, ms(100_000));
        let total: u64 = points.iter().map(|p| p["requests"].as_u64().unwrap()).sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn threads_with_different_intervals_merge_at_the_longer_one() {
        let (mut short, mut long) = (Series::default(), Series::default());
        short.record(ms(50), 100, 200, CacheKind::None, 1);
        long.record(ms(50), 100, 200, CacheKind::None, 1);
        long.record(ms(60_000), 100, 200, CacheKind::None, 1);
        let interval = long.interval;
        short.merge(long);
        assert_eq!(short.interval, interval);
        assert_eq!(short.intervals[0].requests(), 2);
    }
}
