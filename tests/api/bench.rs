//! `trellis bench` against a real server: what its JSON report counts, the
//! request it sends, and a request past its timeout.

use serde_json::Value;

use crate::test_app::{spawn_app, trellis, TestApp};

async fn bench(app: &TestApp, args: &[&str], path: &str) -> Value {
    let url = format!("{}{path}", app.address);
    let mut all = vec!["bench", "--json"];
    all.extend_from_slice(args);
    all.push(&url);
    let output = trellis(&all).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

fn count(report: &Value, group: &str, key: &str) -> u64 {
    report[group][key].as_u64().unwrap_or(0)
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
    // Without the header the route answers 415, without the body 400.
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
