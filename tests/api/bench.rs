//! `trellis bench` against a real server: what its JSON report counts, the
//! request it sends, a request past its timeout, the open loop, and the
//! time series, settings and machine the report gains.

use serde_json::Value;

use crate::bench_cli::{bench_json, count};
use crate::test_app::{spawn_app, TestApp};

async fn bench(app: &TestApp, args: &[&str], path: &str) -> Value {
    let url = format!("{}{path}", app.address);
    let mut all = args.to_vec();
    all.push(&url);
    bench_json(&all).await
}

/// A latency figure of the report, in milliseconds: `p50`, ..., `max`.
fn latency(report: &Value, key: &str) -> f64 {
    report["latency_ms"][key]
        .as_f64()
        .expect("a latency figure")
}

#[actix_web::test]
async fn the_report_counts_statuses_cache_statuses_and_latency() {
    let app = spawn_app();
    let report = bench(&app, &["-n", "300", "-c", "4"], "/posts").await;
    assert_eq!(report["requests"], 300);
    assert_eq!(count(&report, "status", "200"), 300);
    let cache: u64 = ["hit", "stale", "miss", "bypass", "none"]
        .iter()
        .map(|kind| count(&report, "cache_status", kind))
        .sum();
    assert_eq!(cache, 300);
    assert!(count(&report, "cache_status", "hit") > 0);
    assert_eq!(report["errors"], serde_json::json!({}));
    let at = |key| latency(&report, key);
    assert!(at("p50") <= at("p90") && at("p90") <= at("p99"));
    assert!(at("p99") <= at("p999") && at("p999") <= at("max"));
    assert!(report["requests_per_sec"].as_f64().unwrap() > 0.0);
}

#[actix_web::test]
async fn the_method_headers_and_body_are_sent() {
    let app = spawn_app();
    let args = [
        "-n",
        "50",
        "-m",
        "POST",
        "-H",
        "content-type: application/json",
        "--body",
        r#"{"name":"widget","qty":2}"#,
    ];
    let report = bench(&app, &args, "/items").await;
    // Without the body the route answers 400.
    assert_eq!(count(&report, "status", "200"), 50);
}

#[actix_web::test]
async fn a_request_past_the_timeout_counts_as_a_timeout_error() {
    let app = spawn_app();
    let args = ["-n", "2", "-c", "1", "--timeout", "200ms"];
    let report = bench(&app, &args, "/api/slow?ms=800").await;
    assert_eq!(count(&report, "errors", "timeout"), 2);
    assert_eq!(report["requests"], 0);
}

#[actix_web::test]
async fn the_open_loop_sends_no_more_than_its_rate() {
    let app = spawn_app();
    // 2 connections at 100 requests/s in all: one every 20 ms each.
    let args = ["--rate", "100", "-c", "2", "-d", "1s"];
    let report = bench(&app, &args, "/api/hello").await;
    let requests = report["requests"].as_u64().expect("a request count");
    assert!((1..=100).contains(&requests), "{requests} requests");
}

#[actix_web::test]
async fn the_open_loop_counts_a_slow_server_from_each_request_s_intended_time() {
    let app = spawn_app();
    // A request due every 50 ms, each taking 300 ms: the second is due at
    // 50 ms but can go only at 300 ms, when the first has answered, and so
    // on. Measured from when each was sent, all would take 300 ms.
    let args = ["--rate", "20", "-c", "1", "-d", "1s"];
    let report = bench(&app, &args, "/api/slow?ms=300").await;
    assert!(report["requests"].as_u64().expect("a request count") >= 3);
    let at = |key| latency(&report, key);
    assert!(at("p50") >= 300.0, "p50 {}", at("p50"));
    // The third request waited for two before it: 100 ms due, 900 ms done.
    assert!(at("max") >= 800.0, "max {}", at("max"));
}

#[actix_web::test]
async fn the_json_report_keeps_its_keys_and_gains_the_time_series() {
    let app = spawn_app();
    let report = bench(&app, &["-c", "2", "-d", "1s"], "/posts").await;
    for key in [
        "requests",
        "duration_secs",
        "requests_per_sec",
        "bytes",
        "latency_ms",
        "status",
        "cache_status",
        "errors",
    ] {
        assert!(report.get(key).is_some(), "{key} is still reported");
    }
    let requests = report["requests"].as_u64().expect("a request count");
    assert!(requests > 0);
    let series = &report["series"];
    assert_eq!(series["interval_secs"], 0.1);
    let points = series["points"].as_array().expect("points");
    // One a tenth of a second, over a run of a second and a little more.
    assert!((9..=12).contains(&points.len()), "{} points", points.len());
    let summed: u64 = points.iter().map(|p| p["requests"].as_u64().unwrap()).sum();
    assert_eq!(summed, requests, "every response is in one interval");
    let hits: u64 = points
        .iter()
        .map(|p| p["cache_status"]["hit"].as_u64().unwrap())
        .sum();
    assert_eq!(hits, count(&report, "cache_status", "hit"));
    let busy = &points[points.len() / 2];
    assert!(busy["latency_ms"]["p50"].as_f64().unwrap() > 0.0);
    assert!(busy["requests_per_sec"].as_f64().unwrap() > 0.0);
    let distributed: u64 = report["latency_distribution"]["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(distributed, requests);
    assert_eq!(report["settings"]["connections"], 2);
    assert_eq!(report["settings"]["pace"], "closed loop");
    assert_eq!(report["settings"]["requests"][0]["path"], "/posts");
    assert_eq!(report["by_request"][0]["requests"], requests);
    assert!(report["machine"]["cores"].as_u64().unwrap_or(0) >= 1);
    assert_eq!(report["thresholds"], serde_json::json!([]));
}
