//! Pass marks for a run, as CI wants them: `p99 < 5ms`, `errors < 0.1%`,
//! `rps >= 10000`, `hits > 90%`. A run that misses one exits non-zero.
//!
//! The figures: a latency percentile (`p50`, `p90`, `p99`, `p999`, any
//! `p<percent>` such as `p99.9`, or `max`, `mean`), in `us`, `ms` (the
//! default) or `s`; `errors`, the requests that got no response or a 5xx,
//! as a count or a share of all sent (`%`); `hits`, responses whose
//! `Cache-Status` is a hit, likewise; `rps`, responses a second; and
//! `requests`, responses in all.

use std::fmt;

use serde_json::{json, Value};

use super::stats::Stats;

/// One pass mark, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    text: String,
    figure: Figure,
    comparison: Comparison,
    limit: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    /// A quantile of latency (0 to 1), in milliseconds.
    Latency(f64),
    MaxLatency,
    MeanLatency,
    Errors(Measure),
    Hits(Measure),
    RequestsPerSec,
    Requests,
}

/// A count, or a share of all requests in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Measure {
    Count,
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Below,
    AtMost,
    Above,
    AtLeast,
}

/// What a run made of one threshold.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub threshold: Threshold,
    /// The run's figure, in the threshold's unit.
    pub actual: f64,
    pub passed: bool,
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let fail = |why: &str| format!("threshold {text:?}: {why}");
        let (at, comparison, width) = [
            ("<=", Comparison::AtMost),
            (">=", Comparison::AtLeast),
            ("<", Comparison::Below),
            (">", Comparison::Above),
        ]
        .into_iter()
        .find_map(|(op, comparison)| text.find(op).map(|at| (at, comparison, op.len())))
        .ok_or_else(|| fail("compare a figure with <, <=, > or >=, like p99 < 5ms"))?;
        let name = text[..at].trim();
        let value = text[at + width..].trim();
        let (figure, limit) = match name {
            "errors" => measure(value).map(|(m, v)| (Figure::Errors(m), v)),
            "hits" => measure(value).map(|(m, v)| (Figure::Hits(m), v)),
            "rps" => number(value.strip_suffix("/s").unwrap_or(value))
                .map(|v| (Figure::RequestsPerSec, v)),
            "requests" => number(value).map(|v| (Figure::Requests, v)),
            "max" => millis(value).map(|v| (Figure::MaxLatency, v)),
            "mean" => millis(value).map(|v| (Figure::MeanLatency, v)),
            _ => quantile(name)
                .ok_or_else(|| {
                    format!("{name:?} is not a figure: p50, p99, p99.9, max, mean, errors, hits, rps or requests")
                })
                .and_then(|q| millis(value).map(|v| (Figure::Latency(q), v))),
        }
        .map_err(|why| fail(&why))?;
        Ok(Threshold {
            text: text.trim().to_string(),
            figure,
            comparison,
            limit,
        })
    }

    /// Holds the run's figure up to the mark. A run with no request sent
    /// has no latency, which passes no latency mark.
    pub fn judge(&self, stats: &Stats, seconds: f64) -> Verdict {
        let attempts = stats.requests() + stats.errors();
        let share_or_count = |count: u64, measure: Measure| match measure {
            Measure::Count => count as f64,
            Measure::Percent => match attempts {
                0 => 0.0,
                _ => count as f64 * 100.0 / attempts as f64,
            },
        };
        let answered = stats.requests() > 0;
        let actual = match self.figure {
            Figure::Latency(q) => stats.millis_at(q),
            Figure::MaxLatency => stats.max_millis(),
            Figure::MeanLatency => stats.mean_millis(),
            Figure::Errors(measure) => share_or_count(stats.errors() + stats.status_5xx(), measure),
            Figure::Hits(measure) => share_or_count(stats.hits(), measure),
            Figure::RequestsPerSec => stats.requests() as f64 / seconds.max(f64::EPSILON),
            Figure::Requests => stats.requests() as f64,
        };
        let is_latency = matches!(
            self.figure,
            Figure::Latency(_) | Figure::MaxLatency | Figure::MeanLatency
        );
        let within = match self.comparison {
            Comparison::Below => actual < self.limit,
            Comparison::AtMost => actual <= self.limit,
            Comparison::Above => actual > self.limit,
            Comparison::AtLeast => actual >= self.limit,
        };
        Verdict {
            threshold: self.clone(),
            actual,
            passed: within && (answered || !is_latency),
        }
    }

    fn unit(&self) -> &'static str {
        match self.figure {
            Figure::Latency(_) | Figure::MaxLatency | Figure::MeanLatency => " ms",
            Figure::Errors(Measure::Percent) | Figure::Hits(Measure::Percent) => "%",
            Figure::RequestsPerSec => "/s",
            Figure::Errors(Measure::Count) | Figure::Hits(Measure::Count) | Figure::Requests => "",
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Verdict {
    /// `p99 < 5ms: 3.214 ms, passed`.
    pub fn line(&self) -> String {
        let outcome = match self.passed {
            true => "passed",
            false => "FAILED",
        };
        format!(
            "{}: {:.3}{}, {outcome}",
            self.threshold,
            self.actual,
            self.threshold.unit()
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "threshold": self.threshold.text,
            "actual": self.actual,
            "passed": self.passed,
        })
    }
}

fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("{text:?} is not a number"))
}

/// A latency, in milliseconds: `500us`, `5ms`, `1.5s`, or bare milliseconds.
fn millis(text: &str) -> Result<f64, String> {
    let units = [("us", 0.001), ("µs", 0.001), ("ms", 1.0), ("s", 1000.0)];
    let (digits, scale) = units
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|d| (d, *scale)))
        .unwrap_or((text, 1.0));
    number(digits).map(|v| v * scale)
}

/// `0.1%` (a share) or `25` (a count).
fn measure(text: &str) -> Result<(Measure, f64), String> {
    match text.strip_suffix('%') {
        Some(digits) => number(digits).map(|v| (Measure::Percent, v)),
        None => number(text).map(|v| (Measure::Count, v)),
    }
}

/// `p99` as 0.99, `p999` as 0.999 (the reports' name), `p99.9` likewise.
fn quantile(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('p')?;
    // `p999` and `p9999` name their quantile exactly; 99.9 / 100 would not.
    match digits {
        "999" => return Some(0.999),
        "9999" => return Some(0.9999),
        _ => {}
    }
    let percent = digits.parse::<f64>().ok()?;
    (percent > 0.0 && percent <= 100.0).then_some(percent / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_as_written_in_each_unit() {
        let p99 = Threshold::parse("p99 < 5ms").unwrap();
        assert_eq!(p99.figure, Figure::Latency(0.99));
        assert_eq!((p99.comparison, p99.limit), (Comparison::Below, 5.0));
        assert_eq!(Threshold::parse("p99.9 <= 1.5s").unwrap().limit, 1500.0);
        assert_eq!(
            Threshold::parse("p999<800us").unwrap().figure,
            Figure::Latency(0.999)
        );
        let errors = Threshold::parse("errors < 0.1%").unwrap();
        assert_eq!(errors.figure, Figure::Errors(Measure::Percent));
        assert_eq!(
            Threshold::parse("errors <= 3").unwrap().figure,
            Figure::Errors(Measure::Count)
        );
        let rps = Threshold::parse("rps >= 10000/s").unwrap();
        assert_eq!((rps.figure, rps.limit), (Figure::RequestsPerSec, 10000.0));
        assert_eq!(
            Threshold::parse("hits > 90%").unwrap().comparison,
            Comparison::Above
        );
    }

    #[test]
    fn a_threshold_that_names_no_figure_or_no_comparison_is_refused() {
        for text in [
            "p99 5ms",
            "latency < 5ms",
            "p0 < 1ms",
            "p99 < fast",
            "errors < -1",
        ] {
            assert!(Threshold::parse(text).is_err(), "{text}");
        }
    }
}
