//! Per-segment cache counters (and the data cache's, counted alike), and
//! their Prometheus text rendering.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// What one segment's cache has done. Relaxed atomics: counters only, read
/// for reporting, never to make a decision.
#[derive(Debug, Default)]
pub struct SegmentMetrics {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub stale: AtomicU64,
    pub refreshes: AtomicU64,
    pub failed_refreshes: AtomicU64,
    pub collapsed: AtomicU64,
    /// Entries taken from the shared store (Redis) instead of regenerated.
    pub shared: AtomicU64,
    pub evictions: AtomicU64,
    /// New keys the memory store turned away, seen once while it was full.
    pub not_admitted: AtomicU64,
    pub bytes: AtomicI64,
}

impl SegmentMetrics {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_insert(&self, weight: usize) {
        self.bytes.fetch_add(weight as i64, Ordering::Relaxed);
    }

    pub(crate) fn record_removal(&self, weight: usize, evicted: bool) {
        self.bytes.fetch_sub(weight as i64, Ordering::Relaxed);
        if evicted {
            Self::count(&self.evictions);
        }
    }
}

/// Renders every segment's counters in the Prometheus text format.
pub fn render_prometheus<'a>(
    segments: impl Iterator<Item = (&'a str, &'a SegmentMetrics)> + Clone,
    ticks: u64,
) -> String {
    type Read = fn(&SegmentMetrics) -> i64;
    let series: [(&str, &str, &str, Read); 10] = [
        (
            "trellis_cache_hits_total",
            "counter",
            "Fresh responses served from the cache.",
            |m| m.hits.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_misses_total",
            "counter",
            "Requests that ran the handler because nothing was cached.",
            |m| m.misses.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_stale_total",
            "counter",
            "Stale responses served while a refresh ran.",
            |m| m.stale.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_refreshes_total",
            "counter",
            "Background regenerations that stored a new response.",
            |m| m.refreshes.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_failed_refreshes_total",
            "counter",
            "Background regenerations that failed; the last good response was kept.",
            |m| m.failed_refreshes.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_collapsed_total",
            "counter",
            "Requests that waited for another request's regeneration.",
            |m| m.collapsed.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_shared_total",
            "counter",
            "Entries taken from the shared store (Redis), made by another instance.",
            |m| m.shared.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_evictions_total",
            "counter",
            "Entries evicted for the byte budget or idleness.",
            |m| m.evictions.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_not_admitted_total",
            "counter",
            "New keys not stored because the memory store was full and they were seen once.",
            |m| m.not_admitted.load(Ordering::Relaxed) as i64,
        ),
        (
            "trellis_cache_bytes",
            "gauge",
            "Bytes the cached entries cost in memory, as the budget counts them.",
            |m| m.bytes.load(Ordering::Relaxed),
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, read) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (route, metrics) in segments.clone() {
            let route = route.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "{name}{{route=\"{route}\"}} {}", read(metrics));
        }
    }
    let _ = writeln!(
        out,
        "# HELP trellis_timer_ticks_total Ticks of the background refresh timer.\n\
         # TYPE trellis_timer_ticks_total counter\ntrellis_timer_ticks_total {ticks}"
    );
    out
}

/// Renders the data cache's counters in the Prometheus text format: one
/// series each, as the data belongs to no route.
pub(crate) fn render_data_prometheus(m: &SegmentMetrics) -> String {
    let series = [
        (
            "hits_total",
            "counter",
            "Fresh values served from the data cache.",
            m.hits.load(Ordering::Relaxed) as i64,
        ),
        (
            "misses_total",
            "counter",
            "Values made because none was cached.",
            m.misses.load(Ordering::Relaxed) as i64,
        ),
        (
            "stale_total",
            "counter",
            "Stale values served while a refresh ran.",
            m.stale.load(Ordering::Relaxed) as i64,
        ),
        (
            "refreshes_total",
            "counter",
            "Background refreshes that stored a new value.",
            m.refreshes.load(Ordering::Relaxed) as i64,
        ),
        (
            "failed_refreshes_total",
            "counter",
            "Background refreshes that failed; the last good value was kept.",
            m.failed_refreshes.load(Ordering::Relaxed) as i64,
        ),
        (
            "collapsed_total",
            "counter",
            "Callers that waited for another caller's value.",
            m.collapsed.load(Ordering::Relaxed) as i64,
        ),
        (
            "shared_total",
            "counter",
            "Values taken from the shared store (Redis), made by another instance.",
            m.shared.load(Ordering::Relaxed) as i64,
        ),
        (
            "evictions_total",
            "counter",
            "Values evicted for the byte budget or idleness.",
            m.evictions.load(Ordering::Relaxed) as i64,
        ),
        (
            "not_admitted_total",
            "counter",
            "New values the full memory store turned away, seen once.",
            m.not_admitted.load(Ordering::Relaxed) as i64,
        ),
        (
            "bytes",
            "gauge",
            "Bytes of data values held.",
            m.bytes.load(Ordering::Relaxed),
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in series {
        let _ = writeln!(
            out,
            "# HELP trellis_data_cache_{name} {help}\n# TYPE trellis_data_cache_{name} {kind}\ntrellis_data_cache_{name} {value}"
        );
    }
    out
}
