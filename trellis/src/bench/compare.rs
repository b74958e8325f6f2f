//! `trellis bench compare a.json b.json`: two `--json` reports side by
//! side, figure by figure, with the change and whether it is beyond the
//! run-to-run noise each run's time series shows ([`noise`](super::noise)).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

use super::noise::{self, Change, Verdict};

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The report to compare against, from `trellis bench --json`.
    baseline: PathBuf,
    /// The report compared with it.
    candidate: PathBuf,
    /// A change smaller than this share is noise, real or not (as
    /// criterion's --noise-threshold).
    #[arg(long, default_value_t = 0.02)]
    noise_threshold: f64,
}

pub fn run(args: &CompareArgs) -> ExitCode {
    let read = |path: &Path| {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str::<Value>(&text).map_err(|e| {
            format!(
                "{}: not a `trellis bench --json` report: {e}",
                path.display()
            )
        })
    };
    match (read(&args.baseline), read(&args.candidate)) {
        (Ok(baseline), Ok(candidate)) => {
            print!(
                "{}",
                table(
                    &args.baseline,
                    &baseline,
                    &args.candidate,
                    &candidate,
                    args.noise_threshold
                )
            );
            ExitCode::SUCCESS
        }
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One figure of a report: the whole run's, and each interval's.
struct Figure {
    name: &'static str,
    unit: &'static str,
    more_is_better: bool,
    of_run: fn(&Value) -> Option<f64>,
    of_point: fn(&Value) -> Option<f64>,
}

const FIGURES: [Figure; 8] = [
    Figure {
        name: "requests/s",
        unit: "",
        more_is_better: true,
        of_run: |r| r["requests_per_sec"].as_f64(),
        of_point: |p| p["requests_per_sec"].as_f64(),
    },
    Figure {
        name: "p50",
        unit: " ms",
        more_is_better: false,
        of_run: |r| latency(r, "p50"),
        of_point: |p| latency(p, "p50"),
    },
    Figure {
        name: "p90",
        unit: " ms",
        more_is_better: false,
        of_run: |r| latency(r, "p90"),
        of_point: |p| latency(p, "p90"),
    },
    Figure {
        name: "p99",
        unit: " ms",
        more_is_better: false,
        of_run: |r| latency(r, "p99"),
        of_point: |p| latency(p, "p99"),
    },
    Figure {
        name: "p99.9",
        unit: " ms",
        more_is_better: false,
        of_run: |r| latency(r, "p999"),
        of_point: |p| latency(p, "p999"),
    },
    Figure {
        name: "max",
        unit: " ms",
        more_is_better: false,
        of_run: |r| latency(r, "max"),
        of_point: |p| latency(p, "max"),
    },
    Figure {
        name: "errors",
        unit: "%",
        more_is_better: false,
        of_run: |r| error_share(r, sum(&r["errors"])),
        of_point: |p| error_share(p, p["errors"].as_f64().unwrap_or(0.0)),
    },
    Figure {
        name: "hits",
        unit: "%",
        more_is_better: true,
        of_run: hit_share,
        of_point: hit_share,
    },
];

/// A latency figure, of an interval with responses in it.
fn latency(report: &Value, key: &str) -> Option<f64> {
    match report["requests"].as_u64() {
        Some(0) => None,
        _ => report["latency_ms"][key].as_f64(),
    }
}

fn sum(counts: &Value) -> f64 {
    counts
        .as_object()
        .map_or(0.0, |map| map.values().filter_map(Value::as_f64).sum())
}

/// Requests with no response or a 5xx, per hundred sent.
fn error_share(report: &Value, unanswered: f64) -> Option<f64> {
    let answered = report["requests"].as_f64()?;
    let failed: f64 = report["status"].as_object().map_or(0.0, |statuses| {
        statuses
            .iter()
            .filter(|(code, _)| code.starts_with('5'))
            .filter_map(|(_, n)| n.as_f64())
            .sum()
    });
    let sent = answered + unanswered;
    (sent > 0.0).then(|| (failed + unanswered) * 100.0 / sent)
}

/// Responses that were cache hits, per hundred.
fn hit_share(report: &Value) -> Option<f64> {
    let answered = report["requests"].as_f64()?;
    let hits = report["cache_status"]["hit"].as_f64()?;
    (answered > 0.0).then(|| hits * 100.0 / answered)
}

/// Each whole interval's value of `figure`: the last, cut short by the end
/// of the run, would weigh as much as a whole one.
fn samples(report: &Value, figure: &Figure) -> Vec<f64> {
    let series = &report["series"];
    let interval = series["interval_secs"].as_f64().unwrap_or(0.0);
    series["points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|point| point["secs"].as_f64().unwrap_or(0.0) >= interval * 0.999)
        .filter_map(|point| (figure.of_point)(point))
        .collect()
}

fn table(
    baseline_path: &Path,
    baseline: &Value,
    candidate_path: &Path,
    candidate: &Value,
    noise_threshold: f64,
) -> String {
    let mut out = String::new();
    for (role, path, report) in [
        ("baseline ", baseline_path, baseline),
        ("candidate", candidate_path, candidate),
    ] {
        let _ = writeln!(
            out,
            "{role} {}: {} requests in {:.2} s, {}",
            path.display(),
            report["requests"],
            report["duration_secs"].as_f64().unwrap_or(0.0),
            report["settings"]["target"]
                .as_str()
                .unwrap_or("(no settings recorded)"),
        );
    }
    for (group, key) in [
        ("settings", "target"),
        ("settings", "connections"),
        ("settings", "threads"),
        ("settings", "pace"),
        ("machine", "cpu"),
        ("machine", "cores"),
    ] {
        let (a, b) = (&baseline[group][key], &candidate[group][key]);
        if a != b {
            let _ = writeln!(out, "note: {group} {key} differ: {a} and {b}");
        }
    }
    let _ = writeln!(
        out,
        "\n{:<11} {:>13} {:>13} {:>9}  {:<20}  verdict (noise threshold {:.1}%)",
        "figure",
        "baseline",
        "candidate",
        "change",
        "95% interval",
        noise_threshold * 100.0
    );
    for figure in &FIGURES {
        let (a, b) = ((figure.of_run)(baseline), (figure.of_run)(candidate));
        let (Some(a), Some(b)) = (a, b) else {
            let _ = writeln!(
                out,
                "{:<11} {:>13} {:>13}",
                figure.name,
                shown(a, figure),
                shown(b, figure)
            );
            continue;
        };
        let change = noise::change(&samples(baseline, figure), &samples(candidate, figure));
        let verdict = match a == b {
            true => Verdict::NoChange,
            false => noise::verdict(change, noise_threshold, figure.more_is_better),
        };
        let relative = match a == 0.0 {
            true => String::from("-"),
            false => format!("{:+.2}%", (b / a - 1.0) * 100.0),
        };
        let _ = writeln!(
            out,
            "{:<11} {:>13} {:>13} {:>9}  {:<20}  {}",
            figure.name,
            shown(Some(a), figure),
            shown(Some(b), figure),
            relative,
            interval(change),
            verdict.text()
        );
    }
    out
}

fn shown(value: Option<f64>, figure: &Figure) -> String {
    match value {
        None => "-".to_string(),
        Some(v) if figure.unit.is_empty() => format!("{v:.0}"),
        Some(v) => format!("{v:.3}{}", figure.unit),
    }
}

fn interval(change: Option<Change>) -> String {
    match change {
        Some(c) => format!("[{:+.2}%, {:+.2}%]", c.low * 100.0, c.high * 100.0),
        None => "-".to_string(),
    }
}
