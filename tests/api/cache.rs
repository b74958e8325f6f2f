//! The revalidation cache over HTTP, on a manual clock: hits, stale while
//! revalidating, collapsed misses, stale-if-error, on-demand revalidation,
//! force-static and force-dynamic, static params, and the refresh timer.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use trellis::{Clock, Dynamic, Response, Router, Segment, StatusCode};

use crate::test_app::{
    eventually, json, spawn_app, spawn_with, test_config, trellis, TestApp, ADMIN_TOKEN,
};

fn cache_status(response: &reqwest::Response) -> String {
    response.headers()["cache-status"]
        .to_str()
        .unwrap()
        .to_string()
}

async fn get_json(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    (cache_status(&response), json(response).await)
}

/// `/posts` counts its runs in one counter for the whole test binary, so
/// tests running side by side compare generations, never expect a number.
fn generation(posts: &Value) -> u64 {
    posts["generation"].as_u64().expect("a generation")
}

fn demo_with_clock() -> (TestApp, Clock) {
    let clock = Clock::manual();
    (
        spawn_with(crate::app::router(), test_config(), clock.clone()),
        clock,
    )
}

/// A GET route revalidated every 2 s that counts its runs.
fn counted(runs: Arc<AtomicUsize>) -> Segment {
    Segment::new()
        .get(move |_, _| {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .revalidate(2)
}

#[actix_web::test]
async fn posts_is_a_miss_then_a_hit_with_next_js_cache_control() {
    let (app, _clock) = demo_with_clock();
    let first = app.get("/posts").await;
    assert_eq!(
        first.headers()["cache-control"],
        "s-maxage=2, stale-while-revalidate=31535998"
    );
    assert_eq!(cache_status(&first), "trellis; fwd=miss; stored");
    let first = json(first).await;
    let (status, second) = get_json(&app, "/posts").await;
    assert_eq!(status, "trellis; hit");
    assert_eq!(second, first);
    let head = app.request(Method::HEAD, "/posts").await;
    assert_eq!(
        cache_status(&head),
        "trellis; hit",
        "HEAD is served from the GET entry"
    );
}

#[actix_web::test]
async fn posts_past_revalidate_is_served_stale_once_then_refreshed() {
    let (app, clock) = demo_with_clock();
    let (_, first) = get_json(&app, "/posts").await;
    clock.advance(Duration::from_millis(1999));
    assert_eq!(
        get_json(&app, "/posts").await.1,
        first,
        "fresh within the period"
    );
    clock.advance(Duration::from_millis(1));
    let (status, stale) = get_json(&app, "/posts").await;
    assert_eq!(status, "trellis; hit; ttl=-1");
    assert_eq!(
        stale, first,
        "the first request after the period gets the old body"
    );
    let refreshed = eventually("the background refresh", || async {
        let (status, body) = get_json(&app, "/posts").await;
        (status == "trellis; hit" && body != first).then_some(body)
    })
    .await;
    assert!(
        generation(&refreshed) > generation(&first),
        "{refreshed} after {first}"
    );
}

#[actix_web::test]
async fn two_hundred_concurrent_requests_on_an_expired_key_run_the_handler_once() {
    // The refresh waits until the test lets it finish, so that all 200
    // requests arrive while it runs, however slow the machine.
    let runs = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Semaphore::new(0));
    let (counter, gate) = (runs.clone(), release.clone());
    let gated = Segment::new()
        .get(move |_, _| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let gate = gate.clone();
            async move {
                if run > 1 {
                    let _permit = gate.acquire().await;
                }
                Ok(Response::json(&json!({ "run": run })))
            }
        })
        .revalidate(2);
    let clock = Clock::manual();
    let app = spawn_with(
        Router::new().route("/counted", gated),
        test_config(),
        clock.clone(),
    );
    get_json(&app, "/counted").await;
    clock.advance(Duration::from_secs(3));
    let requests = (0..200).map(|_| get_json(&app, "/counted"));
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(body, json!({ "run": 1 }), "every request gets the old body");
        assert_eq!(status, "trellis; hit; ttl=-1");
    }
    release.add_permits(1);
    eventually("the one refresh", || async {
        (get_json(&app, "/counted").await.1 == json!({"run": 2})).then_some(())
    })
    .await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "one run to fill, exactly one to refresh"
    );
}

#[actix_web::test]
async fn two_hundred_concurrent_requests_on_a_cold_key_run_the_handler_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let slow = Segment::new()
        .get(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                // Long enough for every request to arrive while it runs.
                trellis::time::sleep(Duration::from_millis(300)).await;
                Ok(Response::text("made once"))
            }
        })
        .dynamic(Dynamic::ForceStatic);
    let app = spawn_with(
        Router::new().route("/cold", slow),
        test_config(),
        Clock::manual(),
    );
    let requests = (0..200).map(|_| app.get("/cold"));
    let responses = futures_util::future::join_all(requests).await;
    let mut statuses = Vec::new();
    for response in responses {
        statuses.push(cache_status(&response));
        assert_eq!(response.text().await.unwrap(), "made once");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        statuses
            .iter()
            .filter(|s| s.contains("fwd=miss; stored"))
            .count(),
        1
    );
}

#[actix_web::test]
async fn a_failing_refresh_keeps_serving_the_last_good_body() {
    let failing = Arc::new(AtomicBool::new(false));
    let fail = failing.clone();
    let flaky = Segment::new()
        .get(move |_, _| {
            let fail = fail.load(Ordering::SeqCst);
            async move {
                if fail {
                    return Err("the upstream is down".into());
                }
                Ok(Response::text("good"))
            }
        })
        .revalidate(2);
    let clock = Clock::manual();
    let app = spawn_with(
        Router::new().route("/flaky", flaky),
        test_config(),
        clock.clone(),
    );
    assert_eq!(app.get("/flaky").await.text().await.unwrap(), "good");
    failing.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(3));
    eventually("a failed refresh", || async {
        let metrics = app.metrics().await;
        let response = app.get("/flaky").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "good", "stale-if-error");
        metrics
            .contains("trellis_cache_failed_refreshes_total{route=\"/flaky\"} 1")
            .then_some(())
    })
    .await;
}

#[actix_web::test]
async fn revalidate_path_makes_the_next_get_wait_for_the_new_body() {
    let (app, _clock) = demo_with_clock();
    let (_, first) = get_json(&app, "/posts").await;
    let response = app
        .request(Method::POST, "/api/revalidate?path=/posts")
        .await;
    assert_eq!(json(response).await["revalidated"], true);
    let (status, next) = get_json(&app, "/posts").await;
    assert_eq!(status, "trellis; fwd=stale; stored");
    assert!(
        generation(&next) > generation(&first),
        "{next} after {first}"
    );
}

#[actix_web::test]
async fn revalidate_tag_serves_the_old_body_once_then_the_new_one() {
    let (app, _clock) = demo_with_clock();
    let (_, first) = get_json(&app, "/posts").await;
    app.request(Method::POST, "/api/revalidate?tag=posts").await;
    let (status, old) = get_json(&app, "/posts").await;
    assert!(status.starts_with("trellis; hit; ttl=-"), "{status}");
    assert_eq!(old, first);
    let new = eventually("the tag's regeneration", || async {
        let (_, body) = get_json(&app, "/posts").await;
        (body != first).then_some(body)
    })
    .await;
    assert!(generation(&new) > generation(&first), "{new} after {first}");
}

#[actix_web::test]
async fn revalidate_without_path_or_tag_is_a_400() {
    let app = spawn_app();
    assert_eq!(
        app.request(Method::POST, "/api/revalidate").await.status(),
        400
    );
}

#[actix_web::test]
async fn force_static_is_made_once_and_force_dynamic_every_time() {
    let (app, clock) = demo_with_clock();
    let (_, first) = get_json(&app, "/api/static").await;
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    let (status, later) = get_json(&app, "/api/static").await;
    assert_eq!((status.as_str(), &later), ("trellis; hit", &first));
    let response = app.get("/api/dynamic").await;
    assert_eq!(cache_status(&response), "trellis; fwd=bypass");
    assert!(response.headers().get("cache-control").is_none());
}

#[actix_web::test]
async fn static_params_are_prerendered_and_others_are_404() {
    let (app, _clock) = demo_with_clock();
    let hit = eventually("the prerendered catalog", || async {
        let (status, body) = get_json(&app, "/catalog/a").await;
        (status == "trellis; hit").then_some(body)
    })
    .await;
    assert_eq!(hit, json!({ "slug": "a" }));
    assert_eq!(app.get("/catalog/z").await.status(), 404);
}

#[actix_web::test]
async fn a_cached_route_still_answers_options_and_405() {
    let (app, _clock) = demo_with_clock();
    let options = app.request(Method::OPTIONS, "/posts").await;
    assert_eq!(options.status(), 204);
    assert_eq!(options.headers()["allow"], "GET, HEAD, OPTIONS");
    assert_eq!(app.request(Method::POST, "/posts").await.status(), 405);
}

#[actix_web::test]
async fn the_timer_refreshes_a_requested_entry_after_its_period_and_never_before() {
    let runs = Arc::new(AtomicUsize::new(0));
    let clock = Clock::manual();
    let mut config = test_config();
    config.cache.tick_ms = 10;
    let app = spawn_with(
        Router::new().route("/counted", counted(runs.clone())),
        config,
        clock.clone(),
    );
    get_json(&app, "/counted").await;
    assert_eq!(
        get_json(&app, "/counted").await.0,
        "trellis; hit",
        "requested since it was made"
    );
    clock.advance(Duration::from_millis(1999));
    let ticks = |metrics: &str| -> u64 {
        let line = metrics
            .lines()
            .find(|l| l.starts_with("trellis_timer_ticks_total "))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let start = ticks(&app.metrics().await);
    eventually("five timer ticks", || async {
        let now = ticks(&app.metrics().await);
        (now >= start + 5).then_some(())
    })
    .await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "not refreshed before its period"
    );
    clock.advance(Duration::from_millis(1));
    eventually("the timer's refresh", || async {
        (runs.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    let (status, body) = get_json(&app, "/counted").await;
    assert_eq!(
        (status.as_str(), body),
        ("trellis; hit", json!({ "run": 2 })),
        "fresh with no stale serve"
    );
}

#[actix_web::test]
async fn a_static_only_route_that_reads_request_data_is_a_clear_500() {
    let reads_headers = Segment::new()
        .get(|req, _| async move {
            Ok(Response::text(
                req.header("x-who").unwrap_or("nobody").to_string(),
            ))
        })
        .dynamic(Dynamic::Error);
    let app = spawn_with(
        Router::new().route("/static-only", reads_headers),
        test_config(),
        Clock::manual(),
    );
    let response = app.get("/static-only").await;
    assert_eq!(
        response.status(),
        StatusCode::INTERNAL_SERVER_ERROR.as_u16()
    );
    assert!(json(response).await["error"]
        .as_str()
        .unwrap()
        .contains("DYNAMIC = Error"));
}

#[actix_web::test]
async fn the_admin_endpoint_revalidates_with_the_token() {
    let (app, _clock) = demo_with_clock();
    get_json(&app, "/posts").await;
    let response = app
        .admin(Method::POST, "/_trellis/revalidate?path=/posts")
        .await;
    assert_eq!(
        json(response).await,
        json!({ "revalidated": true, "entries": 1 })
    );
    assert_eq!(
        get_json(&app, "/posts").await.0,
        "trellis; fwd=stale; stored"
    );
    assert_eq!(
        app.admin(Method::GET, "/_trellis/revalidate?path=/posts")
            .await
            .status(),
        405
    );
}

#[actix_web::test]
async fn trellis_revalidate_marks_a_path_on_a_running_server() {
    let (app, _clock) = demo_with_clock();
    get_json(&app, "/posts").await;
    let output = trellis(&[
        "revalidate",
        "--path",
        "/posts",
        "--url",
        &app.address,
        "--token",
        ADMIN_TOKEN,
    ])
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        r#"{"revalidated":true,"entries":1}"#
    );
    assert_eq!(
        get_json(&app, "/posts").await.0,
        "trellis; fwd=stale; stored"
    );
}

#[actix_web::test]
async fn an_escaped_spelling_of_a_path_is_the_same_entry_and_revalidated_with_it() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let made = Segment::new()
        .get(move |_, _| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .dynamic(Dynamic::ForceStatic);
    let app = spawn_with(
        Router::new().route("/api/static", made),
        test_config(),
        Clock::manual(),
    );
    let (status, first) = get_json(&app, "/api/static").await;
    assert_eq!(status, "trellis; fwd=miss; stored");
    let (status, alias) = get_json(&app, "/api/st%61tic").await;
    assert_eq!((status.as_str(), &alias), ("trellis; hit", &first));
    let response = app
        .admin(Method::POST, "/_trellis/revalidate?path=/api/static")
        .await;
    assert_eq!(
        json(response).await,
        json!({ "revalidated": true, "entries": 1 })
    );
    let (status, renewed) = get_json(&app, "/api/st%61tic").await;
    assert_eq!(
        (status.as_str(), renewed),
        ("trellis; fwd=stale; stored", json!({ "run": 2 }))
    );
    let (status, plain) = get_json(&app, "/api/static").await;
    assert_eq!(
        (status.as_str(), plain),
        ("trellis; hit", json!({ "run": 2 }))
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
