//! `on_request_error`: the app's hook hears of every internal error, panic
//! and timeout of a route function or the proxy, every failed background
//! regeneration and failed `after()` callback, with the request and where
//! it happened; answers such as a 404 are no failure. The demo's
//! `app/instrumentation.rs` is found and registered by the build.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use trellis::{
    Clock, ErrorContext, ErroredRequest, Proxy, RequestError, Response, Router, Segment,
};

use crate::test_app::{eventually, serve_demo, spawn_router, spawn_with, test_config};

type Reports = Arc<Mutex<Vec<String>>>;

async fn panics() -> trellis::Result<Response> {
    panic!("boom")
}

/// A router whose hook writes one line per report: kind, reason, route,
/// path, the `x-test` header, and the error.
fn reporting(router: Router) -> (Router, Reports) {
    let reports = Reports::default();
    let written = reports.clone();
    let hook = move |error: &RequestError, request: &ErroredRequest, context: &ErrorContext| {
        let header = request
            .headers
            .get("x-test")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        written.lock().unwrap().push(format!(
            "{} {} {} {} {} {header}: {error}",
            context.kind.as_str(),
            context.revalidate_reason.map_or("-", |r| r.as_str()),
            context.route,
            request.method,
            request.path,
        ));
    };
    (router.on_request_error(hook), reports)
}

async fn reported(reports: &Reports, count: usize) -> Vec<String> {
    eventually("the reports", || async {
        let reports = reports.lock().unwrap().clone();
        (reports.len() >= count).then_some(reports)
    })
    .await
}

#[actix_web::test]
async fn errors_panics_and_timeouts_are_reported_with_the_request_and_404s_are_not() {
    let router = Router::new()
        .route(
            "/fails/[id]",
            Segment::new().get(|_, _| async { Err("broken".into()) }),
        )
        .route("/panics", Segment::new().get(|_, _| panics()))
        .route(
            "/slow",
            Segment::new()
                .get(|_, _| async {
                    trellis::time::sleep(Duration::from_secs(5)).await;
                    Ok(Response::text("late"))
                })
                .max_duration(1),
        )
        .route(
            "/missing",
            Segment::new().get(|_, _| async { Err(trellis::Error::NotFound) }),
        );
    let (router, reports) = reporting(router);
    let app = spawn_router(router);
    assert_eq!(app.get("/missing").await.status(), 404);
    assert_eq!(
        app.get_with("/fails/7?x=1", "x-test", "yes").await.status(),
        500
    );
    assert_eq!(app.get("/panics").await.status(), 500);
    assert_eq!(app.get("/slow").await.status(), 504);
    let reports = reported(&reports, 3).await;
    assert_eq!(
        reports,
        [
            "route - /fails/[id] GET /fails/7?x=1 yes: broken",
            "route - /panics GET /panics -: panicked: boom",
            "route - /slow GET /slow -: ran past maxDuration (1s)",
        ]
    );
}

#[actix_web::test]
async fn the_proxys_errors_panics_and_timeouts_are_reported_as_the_proxys_and_404s_are_not() {
    let router = Router::new()
        .route(
            "/p/[kind]",
            Segment::new()
                .get(|_, _| async { Ok(Response::text("the route")) })
                .max_duration(1),
        )
        .proxy_matching(["/p/:kind"], |req, _| async move {
            match req.next_url().pathname() {
                "/p/fails" => Err("proxy broke".into()),
                "/p/panics" => panic!("proxy boom"),
                "/p/slow" => {
                    trellis::time::sleep(Duration::from_secs(5)).await;
                    Ok(Proxy::next())
                }
                "/p/missing" => Err(trellis::not_found()),
                _ => Ok(Proxy::next()),
            }
        });
    let (router, reports) = reporting(router);
    let app = spawn_router(router);
    assert_eq!(app.get("/p/missing").await.status(), 404);
    assert_eq!(app.get("/p/fine").await.status(), 200);
    assert_eq!(
        app.get_with("/p/fails?x=1", "x-test", "yes").await.status(),
        500
    );
    assert_eq!(app.get("/p/panics").await.status(), 500);
    assert_eq!(app.get("/p/slow").await.status(), 504);
    let reports = reported(&reports, 3).await;
    assert_eq!(
        reports,
        [
            "proxy - Router::proxy_matching GET /p/fails?x=1 yes: proxy broke",
            "proxy - Router::proxy_matching GET /p/panics -: panicked: proxy boom",
            "proxy - Router::proxy_matching GET /p/slow -: ran past maxDuration (1s)",
        ]
    );
}

#[actix_web::test]
async fn a_failed_background_regeneration_is_reported_as_stale_and_a_failed_callback_as_the_routes()
{
    let failing = Arc::new(AtomicBool::new(false));
    let fails = failing.clone();
    let cached = Segment::new()
        .get(move |_, _| {
            let fails = fails.load(Ordering::SeqCst);
            async move {
                match fails {
                    true => Err("regeneration broke".into()),
                    false => Ok(Response::json(&json!({ "ok": true }))),
                }
            }
        })
        .revalidate(2);
    let callback = Segment::new().post(|_, ctx| async move {
        ctx.after(async { panic!("after broke") });
        Ok(Response::text("accepted"))
    });
    let (router, reports) = reporting(
        Router::new()
            .route("/cached", cached)
            .route("/callback", callback),
    );
    let clock = Clock::manual();
    let app = spawn_with(router, test_config(), clock.clone());
    assert_eq!(app.get("/cached").await.status(), 200);
    failing.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(3));
    let stale = app.get("/cached").await;
    assert_eq!(stale.status(), 200, "served stale while the refresh fails");
    let reports_now = reported(&reports, 1).await;
    assert_eq!(
        reports_now,
        ["revalidation stale /cached GET /cached -: regeneration broke"]
    );
    let posted = app
        .builder(reqwest::Method::POST, "/callback")
        .header("x-test", "cb")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let all = reported(&reports, 2).await;
    assert_eq!(
        all[1],
        "route - /callback POST /callback cb: panicked: after broke"
    );
}

#[actix_web::test]
async fn the_demo_registers_app_instrumentation_and_logs_each_failure() {
    let (mut child, url, mut lines) = serve_demo(&[]).await;
    let response = reqwest::get(format!("{url}/api/boom")).await.unwrap();
    assert_eq!(response.status(), 500);
    let reported = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("on_request_error") && line.contains("/api/boom") {
                return line;
            }
        }
        panic!("the log ended before the report");
    })
    .await
    .expect("a line from app/instrumentation.rs");
    assert!(reported.contains("route"), "{reported}");
    assert!(reported.contains("panicked"), "{reported}");
    child.kill().await.unwrap();
}
