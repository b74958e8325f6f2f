//! `trellis bench compare`: two JSON reports side by side, each figure's
//! change, and whether it is beyond the noise the runs' time series show.

use serde_json::{json, Value};

use crate::bench_cli::bench_json;
use crate::scratch_dir::ScratchDir;
use crate::test_app::{spawn_app, trellis};

/// A report of 20 intervals of a tenth of a second, each at `rate` give or
/// take 1%, with `p99` milliseconds.
fn made_up_report(rate: f64, p99: f64) -> Value {
    let points: Vec<Value> = (0..20)
        .map(|i| {
            let rate = rate * if i % 2 == 0 { 0.99 } else { 1.01 };
            let requests = (rate / 10.0).round();
            json!({
                "at_secs": i as f64 / 10.0,
                "secs": 0.1,
                "requests": requests,
                "requests_per_sec": requests * 10.0,
                "errors": 0,
                "latency_ms": { "p50": p99 / 4.0, "p90": p99 / 2.0, "p99": p99, "p999": p99, "max": p99 },
                "status": { "200": requests },
                "cache_status": { "hit": requests, "stale": 0, "miss": 0, "bypass": 0, "none": 0 },
            })
        })
        .collect();
    let requests = rate * 2.0;
    json!({
        "requests": requests,
        "duration_secs": 2.0,
        "requests_per_sec": rate,
        "latency_ms": { "p50": p99 / 4.0, "p90": p99 / 2.0, "p99": p99, "p999": p99, "max": p99 },
        "status": { "200": requests },
        "cache_status": { "hit": requests, "stale": 0, "miss": 0, "bypass": 0, "none": 0 },
        "errors": {},
        "settings": { "target": "http://127.0.0.1:3000/posts", "connections": 32 },
        "series": { "interval_secs": 0.1, "points": points },
    })
}

/// `trellis bench compare` of two reports; its output.
async fn compare(folder: &ScratchDir, baseline: &Value, candidate: &Value) -> String {
    let a = folder.write("a.json", &baseline.to_string());
    let b = folder.write("b.json", &candidate.to_string());
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let output = trellis(&["bench", "compare", a, b]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the comparison is text")
}

/// The comparison's line for `figure`.
fn row<'a>(table: &'a str, figure: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.split_whitespace().next() == Some(figure))
        .unwrap_or_else(|| panic!("no {figure} row in\n{table}"))
}

#[actix_web::test]
async fn a_halved_rate_is_a_regression_and_halved_latency_an_improvement() {
    let folder = ScratchDir::new("compare-made-up");
    let table = compare(
        &folder,
        &made_up_report(1000.0, 4.0),
        &made_up_report(500.0, 2.0),
    )
    .await;
    let rate = row(&table, "requests/s");
    assert!(
        rate.contains("-50.00%") && rate.ends_with("regressed"),
        "{rate}"
    );
    let p99 = row(&table, "p99");
    assert!(p99.ends_with("improved"), "{p99}");
    assert!(row(&table, "errors").ends_with("no change"));
}

#[actix_web::test]
async fn a_report_compared_with_itself_shows_no_change() {
    let folder = ScratchDir::new("compare-same");
    let report = made_up_report(1000.0, 4.0);
    let table = compare(&folder, &report, &report).await;
    for figure in [
        "requests/s",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max",
        "errors",
        "hits",
    ] {
        let line = row(&table, figure);
        assert!(line.ends_with("no change"), "{line}");
    }
}

#[actix_web::test]
async fn two_real_runs_are_compared_figure_by_figure() {
    let app = spawn_app();
    let url = format!("{}/api/hello", app.address);
    let folder = ScratchDir::new("compare-runs");
    let first = bench_json(&["-c", "2", "-d", "1s", &url]).await;
    let second = bench_json(&["-c", "4", "-d", "1s", &url]).await;
    let table = compare(&folder, &first, &second).await;
    assert!(
        table.contains("note: settings connections differ: 2 and 4"),
        "{table}"
    );
    let verdicts = [
        "no change",
        "within noise threshold",
        "improved",
        "regressed",
    ];
    for figure in ["requests/s", "p50", "p99", "max"] {
        let line = row(&table, figure);
        assert!(verdicts.iter().any(|v| line.ends_with(v)), "{line}");
        // An interval was found from the runs' time series.
        assert!(line.contains('[') && line.contains("%]"), "{line}");
    }
}
