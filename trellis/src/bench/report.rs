//! A finished run: what was measured, how the run was set up, on which
//! machine, and how it fared against its thresholds; as the table printed
//! at the end, as JSON (`--json`), and as the data of the HTML report.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{json, Value};

use super::stats::Stats;
use super::threshold::Verdict;

pub struct Report {
    pub stats: Stats,
    /// From the first send to the last response.
    pub elapsed: Duration,
    pub started_unix_ms: u64,
    /// The plan's settings ([`Plan::describe`](super::plan::Plan::describe)).
    pub settings: Value,
    /// The name of each request of the mix.
    pub names: Vec<String>,
    pub verdicts: Vec<Verdict>,
    pub machine: Value,
}

impl Report {
    /// The `--json` report: the keys it always had, then the rest.
    pub fn to_json(&self) -> Value {
        let mut report = self.stats.to_json(self.elapsed);
        let more = json!({
            "started_unix_ms": self.started_unix_ms,
            "settings": self.settings,
            "machine": self.machine,
            "by_request": self.stats.by_request_json(|i| self.names[i].clone()),
            "latency_distribution": self.stats.distribution_json(),
            "series": self.stats.series_json(self.elapsed),
            "thresholds": self.verdicts.iter().map(Verdict::to_json).collect::<Vec<_>>(),
        });
        if let (Some(report), Value::Object(more)) = (report.as_object_mut(), more) {
            report.extend(more);
        }
        report
    }

    /// The table: the run's figures, each request of a mix, thresholds.
    pub fn to_table(&self) -> String {
        let mut out = self.stats.to_table(self.elapsed);
        if self.names.len() > 1 {
            let by_request = self.stats.by_request_json(|i| self.names[i].clone());
            for request in by_request.as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "  Request       {}: {} responses, {} errors, p50 {:.3} ms, p99 {:.3} ms",
                    request["name"].as_str().unwrap_or_default(),
                    request["requests"],
                    request["errors"],
                    request["latency_ms"]["p50"].as_f64().unwrap_or_default(),
                    request["latency_ms"]["p99"].as_f64().unwrap_or_default(),
                );
            }
        }
        for verdict in &self.verdicts {
            let _ = writeln!(out, "  Threshold     {}", verdict.line());
        }
        out
    }
}
