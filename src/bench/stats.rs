//! What a load run measured: latency in an HDR histogram, responses by status
//! and by `Cache-Status`, errors by kind, and bytes; merged across threads.

use std::fmt::Write;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// How the server's cache answered, from `Cache-Status` (RFC 9211).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKind {
    Hit,
    Stale,
    Miss,
    Bypass,
    None,
}

impl CacheKind {
    const ALL: [CacheKind; 5] = [
        CacheKind::Hit,
        CacheKind::Stale,
        CacheKind::Miss,
        CacheKind::Bypass,
        CacheKind::None,
    ];

    pub fn of(value: &[u8]) -> CacheKind {
        let has = |needle: &[u8]| value.windows(needle.len()).any(|w| w == needle);
        if has(b"fwd=bypass") {
            CacheKind::Bypass
        } else if has(b"fwd=") {
            CacheKind::Miss
        } else if has(b"ttl=-") {
            CacheKind::Stale
        } else if has(b"hit") {
            CacheKind::Hit
        } else {
            CacheKind::None
        }
    }

    fn name(self) -> &'static str {
        match self {
            CacheKind::Hit => "hit",
            CacheKind::Stale => "stale",
            CacheKind::Miss => "miss",
            CacheKind::Bypass => "bypass",
            CacheKind::None => "none",
        }
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Connect,
    Write,
    Read,
    Closed,
    Parse,
    Timeout,
}

impl ErrorKind {
    const ALL: [ErrorKind; 6] = [
        ErrorKind::Connect,
        ErrorKind::Write,
        ErrorKind::Read,
        ErrorKind::Closed,
        ErrorKind::Parse,
        ErrorKind::Timeout,
    ];

    fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Write => "write",
            ErrorKind::Read => "read",
            ErrorKind::Closed => "closed",
            ErrorKind::Parse => "parse",
            ErrorKind::Timeout => "timeout",
        }
    }
}

/// One thread's measurements, or all of them merged.
pub struct Stats {
    /// Microseconds, from the intended send time in open-loop mode.
    latency: Histogram<u64>,
    by_status: Vec<u64>,
    by_cache: [u64; 5],
    errors: [u64; 6],
    bytes: u64,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("valid histogram bounds"),
            by_status: vec![0; 600],
            by_cache: [0; 5],
            errors: [0; 6],
            bytes: 0,
        }
    }

    pub fn record(&mut self, latency: Duration, status: u16, cache: CacheKind, bytes: usize) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency.saturating_record(micros);
        if let Some(count) = self.by_status.get_mut(usize::from(status)) {
            *count += 1;
        }
        self.by_cache[cache as usize] += 1;
        self.bytes += bytes as u64;
    }

    pub fn record_error(&mut self, kind: ErrorKind) {
        self.errors[kind as usize] += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
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
    }

    pub fn requests(&self) -> u64 {
        self.latency.len()
    }

    fn millis_at(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
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

    /// The `--json` report. Keys are stable: scripts read them.
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
                "max": self.latency.max() as f64 / 1000.0,
            },
            "status": self.statuses().map(|(code, n)| (code.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "cache_status": CacheKind::ALL.iter().map(|k| (k.name().to_string(), json!(self.by_cache[*k as usize]))).collect::<serde_json::Map<_, _>>(),
            "errors": self.error_counts().map(|(k, n)| (k.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        })
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
            self.latency.max() as f64 / 1000.0
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

    #[test]
    fn cache_status_values_are_told_apart() {
        let cases: [(&[u8], CacheKind); 6] = [
            (b"trellis; hit", CacheKind::Hit),
            (b"trellis; hit; ttl=-3", CacheKind::Stale),
            (b"trellis; fwd=miss; stored", CacheKind::Miss),
            (b"trellis; fwd=stale; stored", CacheKind::Miss),
            (b"trellis; fwd=bypass", CacheKind::Bypass),
            (b"", CacheKind::None),
        ];
        for (value, kind) in cases {
            assert_eq!(
                CacheKind::of(value),
                kind,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }
}
