//! `trellis bench --scenario`: weighted requests, values drawn into paths
//! and bodies, phases at their rates, and thresholds that fail the run.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use trellis::{Response, Router, Segment};

use crate::bench_cli::{count, parse, report, requests_between};
use crate::scratch_dir::ScratchDir;
use crate::test_app::{spawn_app, spawn_router, trellis};

/// Runs `scenario` (a scenario file's text) against `address`.
async fn run_scenario(address: &str, scenario: &str) -> std::process::Output {
    let folder = ScratchDir::new("scenario");
    let file = folder.write("load.toml", scenario);
    let file = file.to_str().expect("a UTF-8 temporary path");
    trellis(&["bench", "--json", "--scenario", file, address]).await
}

#[actix_web::test]
async fn a_scenario_sends_its_requests_in_proportion_to_their_weights() {
    let app = spawn_app();
    let scenario = r#"
        [load]
        requests = 2000
        connections = 4

        [[request]]
        path = "/api/hello"
        weight = 3

        [[request]]
        name = "posts"
        path = "/posts"
    "#;
    let report = report(&run_scenario(&app.address, scenario).await);
    assert_eq!(report["requests"], 2000);
    assert_eq!(count(&report, "status", "200"), 2000);
    let by_request = report["by_request"].as_array().expect("a breakdown");
    assert_eq!(by_request[0]["name"], "GET /api/hello");
    assert_eq!(by_request[1]["name"], "posts");
    let hello = by_request[0]["requests"].as_u64().unwrap();
    // 1500 expected, give or take about 19.
    assert!(
        (1400..=1600).contains(&hello),
        "{hello} of 2000 to /api/hello"
    );
    assert_eq!(hello + by_request[1]["requests"].as_u64().unwrap(), 2000);
    // Only /posts is cached, so only its responses were hits or misses.
    let cached: u64 = ["hit", "stale", "miss"]
        .iter()
        .map(|kind| count(&report, "cache_status", kind))
        .sum();
    assert_eq!(cached, 2000 - hello);
}

#[actix_web::test]
async fn a_range_in_the_path_makes_cache_misses_on_purpose() {
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let segment = Segment::new().revalidate(60).get({
        let seen = seen.clone();
        move |_req, ctx| {
            let id = ctx.param("id").and_then(|v| v.as_str()).map(str::to_string);
            seen.lock().expect("not poisoned").extend(id.clone());
            async move { Ok(Response::json(&serde_json::json!({ "id": id }))) }
        }
    });
    let app = spawn_router(Router::new().route("/products/[id]", segment));
    let scenario = r#"
        seed = 11

        [load]
        requests = 500
        connections = 4

        [[request]]
        path = "/products/{1..50}"
    "#;
    let report = report(&run_scenario(&app.address, scenario).await);
    assert_eq!(count(&report, "status", "200"), 500);
    let (hits, misses) = (
        count(&report, "cache_status", "hit"),
        count(&report, "cache_status", "miss"),
    );
    assert_eq!(hits + misses, 500);
    let seen = seen.lock().expect("not poisoned").clone();
    // 500 draws of 50 values leave one out about once in 500 runs.
    assert!(seen.len() >= 45, "{} ids made: {seen:?}", seen.len());
    assert!(seen
        .iter()
        .all(|id| id.parse::<u64>().is_ok_and(|n| (1..=50).contains(&n))));
    // Each id is made once (a miss) and then served from the cache.
    assert!(misses >= seen.len() as u64, "{misses} misses");
    assert!(hits >= 300, "{hits} hits");
}

#[actix_web::test]
async fn a_drawn_body_is_sent_with_its_own_length() {
    let app = spawn_app();
    let scenario = r#"
        [load]
        requests = 200
        connections = 2

        [values]
        name = ["widget", "gadget", "gizmo"]

        [[request]]
        method = "POST"
        path = "/items"
        headers = { content-type = "application/json" }
        body = '{"name":"{name}-{1..1000}","qty":{1..5}}'
    "#;
    let report = report(&run_scenario(&app.address, scenario).await);
    // A length that did not match its body, or a body that is no JSON,
    // would be a 400 or a broken connection.
    assert_eq!(count(&report, "status", "200"), 200);
    assert_eq!(report["errors"], serde_json::json!({}));
}

#[actix_web::test]
async fn phases_ramp_up_hold_and_spike_at_their_rates() {
    let app = spawn_app();
    let scenario = r#"
        [load]
        connections = 8

        [[request]]
        path = "/api/hello"

        [[phase]]
        name = "ramp-up"
        duration = "1s"
        ramp_from = 0
        rate = 200

        [[phase]]
        name = "steady"
        duration = "1s"
        rate = 200

        [[phase]]
        name = "spike"
        duration = "500ms"
        rate = 800
    "#;
    let report = report(&run_scenario(&app.address, scenario).await);
    // 100 in the ramp, 200 steady, 400 in the spike.
    let requests = report["requests"].as_u64().expect("a request count");
    assert!((690..=700).contains(&requests), "{requests} requests");
    let ramp_start = requests_between(&report, 0.0, 0.5);
    let ramp_end = requests_between(&report, 0.5, 1.0);
    assert!(ramp_start < ramp_end, "ramp {ramp_start} then {ramp_end}");
    let steady = requests_between(&report, 1.0, 2.0);
    let spike = requests_between(&report, 2.0, 2.5);
    // 200 a second, then 800: twice as many in half the time.
    assert!(
        (150..=250).contains(&steady),
        "{steady} in the steady second"
    );
    assert!(spike > steady * 3 / 2, "{spike} in the spike's half second");
    let phases = report["settings"]["phases"].as_array().expect("phases");
    assert_eq!(phases.len(), 3);
    assert_eq!(phases[2]["name"], "spike");
    assert_eq!(report["settings"]["pace"], "open loop");
}

#[actix_web::test]
async fn a_missed_threshold_fails_the_run_with_status_99() {
    let app = spawn_app();
    let scenario = r#"
        thresholds = ["p99 < 10s", "errors < 1%"]

        [load]
        requests = 20
        connections = 2

        [[request]]
        path = "/api/boom?kind=error"
    "#;
    let output = run_scenario(&app.address, scenario).await;
    assert_eq!(output.status.code(), Some(99), "a missed threshold is 99");
    let report = parse(&output);
    assert_eq!(count(&report, "status", "500"), 20);
    let verdicts = report["thresholds"].as_array().expect("verdicts");
    assert_eq!(verdicts[0]["threshold"], "p99 < 10s");
    assert_eq!(verdicts[0]["passed"], true);
    assert_eq!(verdicts[1]["passed"], false);
    assert_eq!(verdicts[1]["actual"], 100.0);
    assert!(String::from_utf8_lossy(&output.stderr).contains("threshold"));
}

#[actix_web::test]
async fn thresholds_on_the_command_line_pass_a_good_run() {
    let app = spawn_app();
    let url = format!("{}/api/hello", app.address);
    let args = [
        "bench",
        "--json",
        "-n",
        "50",
        "--threshold",
        "errors < 1%",
        "--threshold",
        "rps > 1",
        &url,
    ];
    let report = report(&trellis(&args).await);
    let verdicts = report["thresholds"].as_array().expect("verdicts");
    assert_eq!(verdicts.len(), 2);
    assert!(verdicts.iter().all(|v| v["passed"] == true), "{verdicts:?}");
}

#[actix_web::test]
async fn a_mistake_in_a_scenario_is_named_and_nothing_is_sent() {
    let app = spawn_app();
    let scenario = "[[request]]\npath = \"/dashboard/{team}\"\n";
    let output = run_scenario(&app.address, scenario).await;
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("{team}") && error.contains("[values]"),
        "{error}"
    );
    assert!(output.stdout.is_empty());
}
