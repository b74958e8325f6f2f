//! Deadlines: a route without `MAX_DURATION` runs under the server's, and
//! a request waiting for another's regeneration stops waiting after the
//! lock timeout and runs its own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trellis::{Clock, Dynamic, Response, Router, Segment};

use crate::test_app::{eventually, json, spawn_with, test_config, TestApp};

/// When the answer came, its `Cache-Status` and its body.
async fn timed_get(app: &TestApp, path: &str) -> (Instant, String, Value) {
    let response = app.get(path).await;
    let done = Instant::now();
    assert_eq!(response.status(), 200, "{path}");
    let status = response.headers()["cache-status"]
        .to_str()
        .expect("ASCII")
        .to_string();
    (done, status, json(response).await)
}

#[actix_web::test]
async fn waiters_past_the_lock_timeout_run_their_own_and_finish_before_a_slow_leader() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    // The first run, the one the others wait for, takes 3 s; theirs are quick.
    let slow_first = Segment::new()
        .get(move |_, _| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if run == 1 {
                    trellis::time::sleep(Duration::from_secs(3)).await;
                }
                Ok(Response::json(&json!({ "run": run })))
            }
        })
        .dynamic(Dynamic::ForceStatic);
    let mut config = test_config();
    config.cache.lock_timeout_ms = 500;
    let app = spawn_with(
        Router::new().route("/slow", slow_first),
        config,
        Clock::System,
    );
    let started = Instant::now();
    let leader = timed_get(&app, "/slow");
    let waiters = async {
        eventually("the leader's run", || async {
            (runs.load(Ordering::SeqCst) == 1).then_some(())
        })
        .await;
        futures_util::future::join_all((0..3).map(|_| timed_get(&app, "/slow"))).await
    };
    let ((leader_done, leader_status, leader_body), waited) = tokio::join!(leader, waiters);
    assert_eq!(leader_status, "trellis; fwd=miss; stored");
    assert_eq!(leader_body, json!({ "run": 1 }));
    assert!(leader_done - started >= Duration::from_secs(3));
    for (done, status, body) in waited {
        assert_eq!(status, "trellis; fwd=miss; detail=lock-timeout");
        assert_ne!(body, leader_body, "a waiter ran its own");
        assert!(done < leader_done, "a waiter finished before the leader");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    let (_, status, body) = timed_get(&app, "/slow").await;
    assert_eq!(
        (status.as_str(), body),
        ("trellis; hit", json!({ "run": 1 })),
        "what the waiters made was not stored"
    );
}

/// A GET that sleeps `seconds` before it answers.
fn sleeping(seconds: f64) -> Segment {
    Segment::new().get(move |_, _| async move {
        trellis::time::sleep(Duration::from_secs_f64(seconds)).await;
        Ok(Response::text("late"))
    })
}

#[actix_web::test]
async fn a_route_without_max_duration_gets_504_past_the_servers_and_its_own_overrides_it() {
    let mut config = test_config();
    config.server.max_duration_secs = 1;
    let router = Router::new()
        .route("/sleepy", sleeping(3.0))
        .route("/patient", sleeping(1.5).max_duration(5));
    let app = spawn_with(router, config, Clock::System);
    assert_eq!(app.get("/sleepy").await.status(), 504);
    let patient = app.get("/patient").await;
    assert_eq!(patient.status(), 200, "its MAX_DURATION is longer");
    assert_eq!(patient.text().await.expect("a body"), "late");
}
