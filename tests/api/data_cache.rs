//! The data cache over HTTP, against a real upstream server the test
//! starts: cached and uncached fetches, fifty concurrent fetches going
//! upstream once, stale-while-revalidate and stale-if-error with backoff,
//! a route's effective period, a no-store fetch making a route dynamic,
//! memoized computations, and the demo's "Data cache" rows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use trellis::cache::{memo, MemoOptions};
use trellis::{Cache, Clock, Error, Fetch, Response, Router, Segment};

use crate::test_app::{
    eventually, json, spawn_app, spawn_router, spawn_with, test_config, TestApp,
};
use crate::upstream_server::UpstreamServer;

/// A GET route that fetches `url` as `options` says and answers
/// `{"upstream": <its JSON>, "status": <its status>}`.
pub fn fetching(url: String, options: fn(Fetch) -> Fetch) -> Segment {
    Segment::new().get(move |_, _| {
        let fetch = options(trellis::fetch(url.clone()));
        async move {
            let answer = fetch.await?;
            let upstream: Value = answer.json()?;
            Ok(Response::json(
                &json!({ "upstream": upstream, "status": answer.status().as_u16() }),
            ))
        }
    })
}

/// The upstream call number a GET of `path` was answered with.
pub async fn call(app: &TestApp, path: &str) -> u64 {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    json(response).await["upstream"]["call"]
        .as_u64()
        .expect("the upstream's call number")
}

fn cache_status(response: &reqwest::Response) -> String {
    response.headers()["cache-status"]
        .to_str()
        .expect("an ASCII Cache-Status")
        .to_string()
}

#[actix_web::test]
async fn a_fetch_with_a_period_goes_upstream_once_and_a_plain_fetch_every_time() {
    let upstream = UpstreamServer::start();
    let url = upstream.posts_url();
    let router = Router::new()
        .route("/cached", fetching(url.clone(), |f| f.revalidate(60)))
        .route(
            "/forced",
            fetching(url.clone(), |f| f.cache(Cache::ForceCache)),
        )
        .route("/plain", fetching(url, |f| f));
    let app = spawn_router(router);
    assert_eq!(call(&app, "/cached").await, 1);
    assert_eq!(call(&app, "/cached").await, 1, "from the data cache");
    assert_eq!(
        call(&app, "/forced").await,
        1,
        "the same request, the same entry"
    );
    assert_eq!(upstream.calls(), 1);
    assert_eq!(call(&app, "/plain").await, 2);
    assert_eq!(call(&app, "/plain").await, 3, "no option: never cached");
}

#[actix_web::test]
async fn fifty_concurrent_identical_fetches_go_upstream_once() {
    let upstream = UpstreamServer::start();
    upstream.delay(Duration::from_millis(300));
    let router = Router::new().route(
        "/cached",
        fetching(upstream.posts_url(), |f| f.revalidate(60)),
    );
    let app = spawn_router(router);
    let answers = futures_util::future::join_all((0..50).map(|_| call(&app, "/cached"))).await;
    assert!(answers.iter().all(|call| *call == 1), "{answers:?}");
    assert_eq!(upstream.calls(), 1);
}

#[actix_web::test]
async fn a_stale_fetch_is_served_at_once_while_one_refresh_runs() {
    let upstream = UpstreamServer::start();
    let router = Router::new().route(
        "/cached",
        fetching(upstream.posts_url(), |f| f.revalidate(5)),
    );
    let clock = Clock::manual();
    let app = spawn_with(router, test_config(), clock.clone());
    assert_eq!(call(&app, "/cached").await, 1);
    clock.advance(Duration::from_millis(4999));
    assert_eq!(call(&app, "/cached").await, 1, "fresh within its period");
    clock.advance(Duration::from_millis(1));
    assert_eq!(call(&app, "/cached").await, 1, "stale, served at once");
    eventually("the background refresh", || async {
        (call(&app, "/cached").await == 2).then_some(())
    })
    .await;
    assert_eq!(upstream.calls(), 2, "one refresh");
}

#[actix_web::test]
async fn a_failing_upstream_leaves_the_stale_answer_in_place_and_is_retried_after_a_backoff() {
    let upstream = UpstreamServer::start();
    let router = Router::new().route(
        "/cached",
        fetching(upstream.posts_url(), |f| f.revalidate(5)),
    );
    let clock = Clock::manual();
    let app = spawn_with(router, test_config(), clock.clone());
    assert_eq!(call(&app, "/cached").await, 1);
    upstream.fail(true);
    clock.advance(Duration::from_secs(6));
    assert_eq!(call(&app, "/cached").await, 1, "stale while it refreshes");
    eventually("the failed refresh", || async {
        let metrics = app.metrics().await;
        metrics
            .contains("trellis_data_cache_failed_refreshes_total 1")
            .then_some(())
    })
    .await;
    for _ in 0..5 {
        assert_eq!(call(&app, "/cached").await, 1, "the last good answer");
    }
    assert_eq!(upstream.calls(), 2, "no retry within the backoff");
    upstream.fail(false);
    clock.advance(Duration::from_secs(1));
    eventually("the retry after the backoff", || async {
        (call(&app, "/cached").await == 3).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_route_is_fresh_no_longer_than_the_data_it_fetched() {
    let upstream = UpstreamServer::start();
    let report = fetching(upstream.posts_url(), |f| f.revalidate(5)).revalidate(3600);
    let clock = Clock::manual();
    let app = spawn_with(
        Router::new().route("/report", report),
        test_config(),
        clock.clone(),
    );
    let first = app.get("/report").await;
    assert_eq!(
        first.headers()["cache-control"],
        "s-maxage=5, stale-while-revalidate=31535995",
        "the lowest of REVALIDATE and the fetch's period"
    );
    assert_eq!(cache_status(&first), "trellis; fwd=miss; stored");
    clock.advance(Duration::from_secs(5));
    let stale = app.get("/report").await;
    assert!(cache_status(&stale).starts_with("trellis; hit; ttl=-"));
    assert_eq!(json(stale).await["upstream"]["call"], 1);
    eventually("the route's refresh, with fresh data", || async {
        (call(&app, "/report").await == 2).then_some(())
    })
    .await;
    assert_eq!(upstream.calls(), 2);
}

#[actix_web::test]
async fn a_no_store_fetch_makes_an_auto_route_dynamic() {
    let upstream = UpstreamServer::start();
    let live = fetching(upstream.posts_url(), |f| f.cache(Cache::NoStore)).revalidate(60);
    let app = spawn_router(Router::new().route("/live", live));
    for expected in [1, 2] {
        let response = app.get("/live").await;
        assert_eq!(
            cache_status(&response),
            "trellis; fwd=bypass; detail=read-no-store-fetch"
        );
        assert_eq!(json(response).await["upstream"]["call"], expected);
    }
}

/// `/square?n=K`: K squared through `memo`, slowly, counting computations.
fn squares(computations: Arc<AtomicUsize>) -> Router {
    let square = Segment::new().get(move |req, _| {
        let computations = computations.clone();
        async move {
            let n: i64 = req
                .next_url()
                .search_params()
                .get("n")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::BadRequest("give ?n=".into()))?;
            let options = MemoOptions::new().revalidate(60).tags(["squares"]);
            let counted = computations.clone();
            let square: i64 = memo(("square", n), options, move || {
                let counted = counted.clone();
                async move {
                    actix_rt::time::sleep(Duration::from_millis(200)).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    match n {
                        0 => Err(Error::NotFound),
                        n => Ok(n * n),
                    }
                }
            })
            .await?;
            Ok(Response::json(&json!({ "square": square })))
        }
    });
    Router::new().route("/square", square)
}

#[actix_web::test]
async fn a_memo_is_computed_once_for_every_caller_and_again_after_its_tag_expires() {
    let computations = Arc::new(AtomicUsize::new(0));
    let app = spawn_router(squares(computations.clone()));
    let answers = futures_util::future::join_all(
        (0..50).map(|_| async { json(app.get("/square?n=3").await).await }),
    )
    .await;
    assert!(answers.iter().all(|a| a["square"] == 9), "{answers:?}");
    assert_eq!(computations.load(Ordering::SeqCst), 1);
    assert_eq!(json(app.get("/square?n=4").await).await["square"], 16);
    assert_eq!(computations.load(Ordering::SeqCst), 2, "other key parts");

    let expired = app
        .admin(Method::POST, "/_trellis/revalidate?tag=squares&expire=0")
        .await;
    assert_eq!(json(expired).await["entries"], 2);
    assert_eq!(json(app.get("/square?n=3").await).await["square"], 9);
    assert_eq!(
        computations.load(Ordering::SeqCst),
        3,
        "computed again, waited for"
    );
}

#[actix_web::test]
async fn a_memos_error_is_its_callers_and_is_not_kept() {
    let computations = Arc::new(AtomicUsize::new(0));
    let app = spawn_router(squares(computations.clone()));
    for _ in 0..2 {
        assert_eq!(app.get("/square?n=0").await.status(), 404);
    }
    assert_eq!(computations.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn the_demo_caches_its_upstream_its_memo_and_each_product_apart() {
    let app = spawn_app();
    let first = json(app.get("/api/blog").await).await;
    actix_rt::time::sleep(Duration::from_millis(5)).await;
    let second = json(app.get("/api/blog").await).await;
    assert_eq!(first["upstream"], second["upstream"], "{first} {second}");
    assert_ne!(
        first["renderedAt"], second["renderedAt"],
        "the route itself is dynamic"
    );
    let served = |body: &Value| body["upstream"]["served"].as_u64().expect("served");
    let revalidated = app.request(Method::POST, "/api/revalidate?tag=blog").await;
    assert_eq!(revalidated.status(), 200);
    let stale = json(app.get("/api/blog").await).await;
    assert_eq!(served(&stale), served(&first), "served stale once");
    eventually("the blog's refresh", || async {
        let next = json(app.get("/api/blog").await).await;
        (served(&next) > served(&first)).then_some(())
    })
    .await;

    let memo = json(app.get("/api/memo?n=7").await).await;
    assert_eq!(
        (memo["n"].as_i64(), memo["square"].as_i64()),
        (Some(7), Some(49))
    );
    let again = json(app.get("/api/memo?n=7").await).await;
    assert_eq!(
        again["computations"], memo["computations"],
        "not computed again"
    );

    for path in ["/products/row-1", "/products/row-2"] {
        assert_eq!(json(app.get(path).await).await["generation"], 1, "{path}");
    }
    let revalidated = app
        .request(Method::POST, "/api/revalidate?tag=product-row-1")
        .await;
    assert_eq!(revalidated.status(), 200);
    eventually("/products/row-1 to be made again", || async {
        (json(app.get("/products/row-1").await).await["generation"] == 2).then_some(())
    })
    .await;
    let other = app.get("/products/row-2").await;
    assert_eq!(cache_status(&other), "trellis; hit");
    assert_eq!(
        json(other).await["generation"],
        1,
        "another product's entry"
    );
}
