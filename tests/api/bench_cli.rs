//! Running `trellis bench` in the tests, and reading its JSON report.

use std::process::Output;

use serde_json::Value;

use crate::test_app::trellis;

/// `trellis bench --json ARGS...`, which must succeed; its report.
pub async fn bench_json(args: &[&str]) -> Value {
    let mut all = vec!["bench", "--json"];
    all.extend_from_slice(args);
    report(&trellis(&all).await)
}

/// The JSON report of a run that succeeded.
pub fn report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(output)
}

/// The JSON report a run printed, whatever its exit status.
pub fn parse(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the report is JSON ({error}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A count of the report, `0` when absent: `count(&r, "status", "200")`.
pub fn count(report: &Value, group: &str, key: &str) -> u64 {
    report[group][key].as_u64().unwrap_or(0)
}

/// The requests of each interval of the report's time series that began
/// within `from..to` seconds.
pub fn requests_between(report: &Value, from: f64, to: f64) -> u64 {
    report["series"]["points"]
        .as_array()
        .expect("a time series")
        .iter()
        .filter(|point| {
            let at = point["at_secs"].as_f64().expect("a point's start");
            // A point's start is a multiple of the interval, give or take
            // the last bit.
            at >= from - 1e-9 && at < to - 1e-9
        })
        .map(|point| point["requests"].as_u64().expect("a point's requests"))
        .sum()
}
