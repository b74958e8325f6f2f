//! Revalidation as Next.js 16 has it, over HTTP: tags set per entry from
//! inside the handler, the tags of a route's data reaching its entry,
//! `cache_life` by numbers and by profiles (Next.js's and trellis.toml's),
//! `revalidate_tag` marking stale or expiring now, `revalidate_path` by
//! pattern (`page`) and by prefix (`layout`), reaching the data a path was
//! made from, and the same from `trellis revalidate`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use trellis::{CacheLife, Clock, Context, Response, Router, Segment};

use crate::data_cache::{call, fetching};
use crate::test_app::{
    eventually, json, spawn_app, spawn_with, test_config, trellis_with_env, TestApp, ADMIN_TOKEN,
};
use crate::upstream_server::UpstreamServer;

/// A route cached an hour, answering `{"run": N}` with N counting its runs
/// in `runs`, after `tag` does what it will with the context.
fn counted(runs: &Arc<AtomicUsize>, tag: fn(&Context)) -> Segment {
    let runs = runs.clone();
    Segment::new()
        .get(move |_, ctx| {
            tag(&ctx);
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .revalidate(3600)
}

/// The `Cache-Status` and `run` of one GET.
async fn get(app: &TestApp, path: &str) -> (String, u64) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let status = response.headers()["cache-status"]
        .to_str()
        .expect("an ASCII Cache-Status")
        .to_string();
    (status, json(response).await["run"].as_u64().expect("a run"))
}

/// Revalidates through the admin endpoint; the entries it marked.
async fn revalidate(app: &TestApp, query: &str) -> u64 {
    let response = app
        .admin(Method::POST, &format!("/_trellis/revalidate?{query}"))
        .await;
    assert_eq!(response.status(), 200, "{query}");
    json(response).await["entries"].as_u64().expect("entries")
}

#[actix_web::test]
async fn a_tag_set_inside_the_handler_refreshes_that_entry_and_no_other() {
    let runs = Arc::new(AtomicUsize::new(0));
    let product = counted(&runs, |ctx| {
        let id = ctx
            .param("id")
            .and_then(|id| id.as_str())
            .unwrap_or_default();
        ctx.cache_tag(format!("product-{id}"));
    });
    let app = spawn_with(
        Router::new().route("/products/[id]", product),
        test_config(),
        Clock::manual(),
    );
    assert_eq!(get(&app, "/products/1").await.1, 1);
    assert_eq!(get(&app, "/products/2").await.1, 2);

    assert_eq!(revalidate(&app, "tag=product-1").await, 1);
    let (status, run) = get(&app, "/products/1").await;
    assert!(status.starts_with("trellis; hit; ttl=-"), "{status}");
    assert_eq!(run, 1, "stale once, while it is made again");
    eventually("product-1's refresh", || async {
        (get(&app, "/products/1").await.1 == 3).then_some(())
    })
    .await;
    assert_eq!(get(&app, "/products/2").await, ("trellis; hit".into(), 2));
}

#[actix_web::test]
async fn the_tags_of_a_routes_data_reach_the_routes_entry() {
    let upstream = UpstreamServer::start();
    let digest = fetching(upstream.posts_url(), |f| f.tags(["feed"])).revalidate(3600);
    let app = spawn_with(
        Router::new().route("/digest", digest),
        test_config(),
        Clock::manual(),
    );
    assert_eq!(call(&app, "/digest").await, 1);
    assert_eq!(
        revalidate(&app, "tag=feed").await,
        2,
        "the fetch and the route's entry"
    );
    assert_eq!(call(&app, "/digest").await, 1, "stale once");
    eventually("the digest made again of fresh data", || async {
        (call(&app, "/digest").await == 2).then_some(())
    })
    .await;
    assert_eq!(upstream.calls(), 2);
}

#[actix_web::test]
async fn cache_life_sets_the_entrys_period_by_preset_by_profile_and_by_numbers() {
    let runs = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route("/seconds", counted(&runs, |ctx| ctx.cache_life("seconds")))
        .route("/blog", counted(&runs, |ctx| ctx.cache_life("blog")))
        .route(
            "/numbers",
            counted(&runs, |ctx| {
                ctx.cache_life(CacheLife::default().with_revalidate(30))
            }),
        )
        .route(
            "/unknown",
            counted(&runs, |ctx| ctx.cache_life("fortnightly")),
        );
    let mut config = test_config();
    let blog = CacheLife::default().with_revalidate(120).with_expire(600);
    config.cache.profiles.insert("blog".into(), blog);
    let clock = Clock::manual();
    let app = spawn_with(router, config, clock.clone());
    for (path, cache_control) in [
        ("/seconds", "s-maxage=1, stale-while-revalidate=59"),
        ("/blog", "s-maxage=120, stale-while-revalidate=480"),
        ("/numbers", "s-maxage=30, stale-while-revalidate=31535970"),
        ("/unknown", "s-maxage=3600, stale-while-revalidate=31532400"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["cache-control"], cache_control, "{path}");
    }
    clock.advance(Duration::from_secs(1));
    let (stale, _) = get(&app, "/seconds").await;
    assert!(stale.starts_with("trellis; hit; ttl=-"), "{stale}");
    assert_eq!(get(&app, "/blog").await.0, "trellis; hit");
}

#[actix_web::test]
async fn revalidate_tag_marks_stale_with_max_and_expires_now_with_expire_zero() {
    let runs = Arc::new(AtomicUsize::new(0));
    let news = counted(&runs, |_| {}).tags(&["news"]);
    let app = spawn_with(
        Router::new().route("/news", news),
        test_config(),
        Clock::manual(),
    );
    assert_eq!(get(&app, "/news").await.1, 1);

    assert_eq!(revalidate(&app, "tag=news&expire=0").await, 1);
    let waited = get(&app, "/news").await;
    assert_eq!(
        waited,
        ("trellis; fwd=stale; stored".into(), 2),
        "made while it waited"
    );

    assert_eq!(revalidate(&app, "tag=news&profile=max").await, 1);
    let (status, run) = get(&app, "/news").await;
    assert!(status.starts_with("trellis; hit; ttl=-"), "{status}");
    assert_eq!(run, 2, "the stale entry, once");
    eventually("the refresh", || async {
        (get(&app, "/news").await.1 == 3).then_some(())
    })
    .await;

    let unknown = app
        .admin(
            Method::POST,
            "/_trellis/revalidate?tag=news&profile=no-such-profile",
        )
        .await;
    assert_eq!(unknown.status(), 400, "a profile that does not exist");
    assert_eq!(get(&app, "/news").await.0, "trellis; hit", "nothing marked");
    assert_eq!(revalidate(&app, "tag=nobody-uses-this").await, 0);
}

#[actix_web::test]
async fn revalidate_path_reaches_every_path_of_a_pattern_or_every_route_under_a_prefix() {
    let runs = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route("/shop/[item]", counted(&runs, |_| {}))
        .route("/shop/[item]/reviews", counted(&runs, |_| {}))
        .route("/about-us", counted(&runs, |_| {}));
    let app = spawn_with(router, test_config(), Clock::manual());
    for path in ["/shop/a", "/shop/b", "/shop/a/reviews", "/about-us"] {
        assert_eq!(
            get(&app, path).await.0,
            "trellis; fwd=miss; stored",
            "{path}"
        );
    }

    assert_eq!(revalidate(&app, "path=/shop/[item]&type=page").await, 2);
    for path in ["/shop/a", "/shop/b"] {
        assert_eq!(
            get(&app, path).await.0,
            "trellis; fwd=stale; stored",
            "{path}"
        );
    }
    assert_eq!(get(&app, "/shop/a/reviews").await.0, "trellis; hit");

    assert_eq!(revalidate(&app, "path=/shop&type=layout").await, 3);
    assert_eq!(
        get(&app, "/shop/a/reviews").await.0,
        "trellis; fwd=stale; stored"
    );
    assert_eq!(get(&app, "/about-us").await.0, "trellis; hit");

    assert_eq!(revalidate(&app, "path=/nowhere/[x]&type=page").await, 0);
    let wrong = app
        .admin(Method::POST, "/_trellis/revalidate?path=/shop&type=pages")
        .await;
    assert_eq!(wrong.status(), 400);
}

#[actix_web::test]
async fn revalidate_path_makes_the_data_the_path_was_made_from_again() {
    let upstream = UpstreamServer::start();
    let report = fetching(upstream.posts_url(), |f| f.revalidate(3600)).revalidate(3600);
    let app = spawn_with(
        Router::new().route("/report", report),
        test_config(),
        Clock::manual(),
    );
    assert_eq!(call(&app, "/report").await, 1);
    assert_eq!(
        revalidate(&app, "path=/report").await,
        2,
        "the entry and its data"
    );
    let response = app.get("/report").await;
    assert_eq!(
        response.headers()["cache-status"],
        "trellis; fwd=stale; stored"
    );
    let body: Value = json(response).await;
    assert_eq!(body["upstream"]["call"], 2, "fetched again");
    assert_eq!(upstream.calls(), 2);
}

#[actix_web::test]
async fn trellis_revalidate_takes_a_path_type_and_a_tag_profile() {
    let app = spawn_app();
    let url = app.address.as_str();
    let token = [("TRELLIS_ADMIN__TOKEN", ADMIN_TOKEN)];
    for args in [
        vec![
            "revalidate",
            "--path",
            "/products/[id]",
            "--type",
            "page",
            "--url",
            url,
        ],
        vec!["revalidate", "--tag", "blog", "--expire", "0", "--url", url],
        vec![
            "revalidate",
            "--tag",
            "blog",
            "--profile",
            "hours",
            "--url",
            url,
        ],
    ] {
        let output = trellis_with_env(&args, &token).await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("\"entries\":"),
            "{args:?}: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let refused = trellis_with_env(
        &[
            "revalidate",
            "--tag",
            "blog",
            "--type",
            "page",
            "--url",
            url,
        ],
        &token,
    )
    .await;
    assert!(!refused.status.success(), "--type goes with --path");
}
