//! The data cache through two instances sharing one real Redis: a fetch
//! made on one is a hit on the other (the upstream called once), and a
//! tag revalidated on one reaches the other's data and the other's entries
//! tagged from inside their handlers, and those alone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use trellis::{Clock, Response, Router, Segment};

use crate::data_cache::{call, fetching};
use crate::redis_server::RedisServer;
use crate::test_app::{eventually, json, spawn_with, test_config, TestApp};
use crate::upstream_server::UpstreamServer;

/// `/feed` (a dynamic route whose fetch is cached a minute, tag `feed`)
/// and `/products/[id]` (cached an hour, tagged `product-<id>` from its
/// handler, runs counted in `runs`, shared by both instances).
fn app(upstream: &UpstreamServer, runs: &Arc<AtomicUsize>) -> Router {
    let runs = runs.clone();
    let product = Segment::new()
        .get(move |_, ctx| {
            let id = ctx
                .param("id")
                .and_then(|id| id.as_str())
                .unwrap_or_default();
            ctx.cache_tag(format!("product-{id}"));
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(Response::json(&json!({ "run": run }))) }
        })
        .revalidate(3600);
    Router::new()
        .route(
            "/feed",
            fetching(upstream.posts_url(), |f| f.revalidate(60).tags(["feed"])),
        )
        .route("/products/[id]", product)
}

/// The `Cache-Status` and `run` of one GET of a product.
async fn product(app: &TestApp, path: &str) -> (String, u64) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let status = response.headers()["cache-status"]
        .to_str()
        .expect("an ASCII Cache-Status")
        .to_string();
    (status, json(response).await["run"].as_u64().expect("a run"))
}

#[actix_web::test]
async fn a_fetch_and_a_per_entry_tag_are_shared_by_two_instances() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let upstream = UpstreamServer::start();
    let runs = Arc::new(AtomicUsize::new(0));
    let spawn = || {
        let mut config = test_config();
        config.cache.store = redis.url();
        config.cache.key_prefix = "data-test".into();
        spawn_with(app(&upstream, &runs), config, Clock::System)
    };
    let (a, b) = (spawn(), spawn());

    assert_eq!(call(&a, "/feed").await, 1);
    assert_eq!(call(&b, "/feed").await, 1, "b takes a's answer from Redis");
    assert_eq!(upstream.calls(), 1, "the upstream called once for both");

    assert_eq!(product(&a, "/products/1").await.1, 1);
    assert_eq!(product(&a, "/products/2").await.1, 2);
    for path in ["/products/1", "/products/2"] {
        eventually("b to find a's entries in Redis", || async {
            (product(&b, path).await.0 == "trellis; hit").then_some(())
        })
        .await;
    }

    let revalidated = a
        .admin(Method::POST, "/_trellis/revalidate?tag=product-1")
        .await;
    assert_eq!(revalidated.status(), 200);
    eventually("b to make product 1 again", || async {
        (product(&b, "/products/1").await.1 > 2).then_some(())
    })
    .await;
    assert_eq!(
        product(&b, "/products/2").await,
        ("trellis; hit".into(), 2),
        "another product's entry"
    );

    let revalidated = a.admin(Method::POST, "/_trellis/revalidate?tag=feed").await;
    assert_eq!(revalidated.status(), 200);
    for instance in [&b, &a] {
        eventually("the feed fetched again", || async {
            (call(instance, "/feed").await == 2).then_some(())
        })
        .await;
    }
    assert_eq!(upstream.calls(), 2, "once for both instances");
}

#[actix_web::test]
async fn a_route_pattern_revalidated_on_one_instance_is_made_again_with_its_data_on_both() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let upstream = UpstreamServer::start();
    let spawn = || {
        let mut config = test_config();
        config.cache.store = redis.url();
        config.cache.key_prefix = "data-pattern-test".into();
        // Signed entries: their lifetimes and tags travel under the secret.
        config.cache.secret = Some("0123456789abcdef0123456789abcdef".into());
        let post = fetching(upstream.posts_url(), |f| f.revalidate(3600)).revalidate(3600);
        spawn_with(
            Router::new().route("/posts/[id]", post),
            config,
            Clock::System,
        )
    };
    let (a, b) = (spawn(), spawn());
    assert_eq!(call(&a, "/posts/1").await, 1);
    eventually("b to find a's entry in Redis", || async {
        let response = b.get("/posts/1").await;
        let hit = response.headers()["cache-status"] == "trellis; hit";
        hit.then_some(())
    })
    .await;
    assert_eq!(upstream.calls(), 1);

    let revalidated = a
        .admin(
            Method::POST,
            "/_trellis/revalidate?path=/posts/[id]&type=page",
        )
        .await;
    assert_eq!(revalidated.status(), 200);
    assert_eq!(json(revalidated).await["shared"], "reached");
    eventually("b to make the post again from new data", || async {
        (call(&b, "/posts/1").await == 2).then_some(())
    })
    .await;
    assert_eq!(call(&a, "/posts/1").await, 2, "a takes b's new entry");
    assert_eq!(upstream.calls(), 2, "the data fetched again once");
}
