//! The Redis tier under faults and pressure, over real HTTP and a real
//! Redis: what Redis refuses for one key is that key's miss and no outage.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use trellis::{Clock, Config, Response, Router, Segment};

use crate::redis_server::RedisServer;
use crate::test_app::{eventually, json, spawn_with, test_config, TestApp};

/// The key prefix every instance here uses, unless a test says otherwise.
const PREFIX: &str = "hardening";

/// `/page/[id]`, cached a minute and tagged `pages`; each run counts itself
/// in `runs`, shared by the instances, and answers its count.
fn pages(runs: Arc<AtomicUsize>) -> Router {
    let segment = Segment::new()
        .get(move |_, _| {
            let runs = runs.clone();
            async move {
                let generation = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Response::json(&json!({ "generation": generation })))
            }
        })
        .revalidate(60)
        .tags(&["pages"]);
    Router::new().route("/page/[id]", segment)
}

/// An instance of `router` on `redis` under [`PREFIX`], with `tune` applied
/// to its config.
fn instance(redis: &RedisServer, router: Router, tune: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = test_config();
    config.cache.store = redis.url();
    config.cache.key_prefix = PREFIX.into();
    tune(&mut config);
    spawn_with(router, config, Clock::System)
}

/// The `Cache-Status` and the generation of one GET.
async fn get(app: &TestApp, path: &str) -> (String, u64) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let status = response.headers()["cache-status"]
        .to_str()
        .expect("an ASCII Cache-Status")
        .to_string();
    let generation = json(response).await["generation"]
        .as_u64()
        .expect("a generation");
    (status, generation)
}

/// The value of an unlabelled series in Prometheus text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{text}"))
}

/// Waits until Redis holds `key` (writes to Redis do not hold up answers).
async fn stored(redis: &RedisServer, key: &str) {
    eventually(&format!("{key} in Redis"), || async {
        (redis.command(&format!("EXISTS {key}")).await == ":1").then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_write_redis_refuses_for_want_of_memory_is_counted_and_redis_stays_up() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&redis, pages(runs.clone()), |_| {});
    let b = instance(&redis, pages(runs.clone()), |_| {});
    // Below what Redis already uses: every write is refused with OOM.
    assert_eq!(redis.command("CONFIG SET maxmemory 1").await, "+OK");

    let (status, _) = get(&a, "/page/1").await;
    assert_eq!(
        status, "trellis; fwd=miss; stored",
        "made here all the same"
    );
    let metrics = eventually("the refused write to be counted", || async {
        let metrics = a.metrics().await;
        (metric(&metrics, "trellis_shared_store_write_errors_total") > 0).then_some(metrics)
    })
    .await;
    assert_eq!(metric(&metrics, "trellis_shared_store_up"), 1, "no outage");
    assert_eq!(metric(&metrics, "trellis_shared_store_errors_total"), 0);

    // With room again, the next entry is shared at once: there was no
    // outage to recover from.
    assert_eq!(redis.command("CONFIG SET maxmemory 0").await, "+OK");
    assert_eq!(get(&a, "/page/2").await.1, 2);
    stored(&redis, "hardening:e:/page/2").await;
    assert_eq!(get(&b, "/page/2").await, ("trellis; hit".into(), 2));
}

#[actix_web::test]
async fn a_key_of_the_wrong_type_is_a_miss_for_that_key_alone() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&redis, pages(runs.clone()), |_| {});
    let b = instance(&redis, pages(runs.clone()), |_| {});
    assert_eq!(get(&a, "/page/1").await.1, 1);
    stored(&redis, "hardening:e:/page/1").await;
    // Something else sharing the Redis put a string where an entry goes.
    let stray = redis.command("SET hardening:e:/page/2 not-an-entry").await;
    assert_eq!(stray, "+OK");

    assert_eq!(
        get(&b, "/page/2").await,
        ("trellis; fwd=miss; stored".into(), 2)
    );
    let metrics = b.metrics().await;
    assert!(
        metric(&metrics, "trellis_shared_store_read_errors_total") > 0,
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "trellis_shared_store_up"), 1, "no outage");
    assert_eq!(metric(&metrics, "trellis_shared_store_errors_total"), 0);
    assert_eq!(
        get(&b, "/page/1").await,
        ("trellis; hit".into(), 1),
        "other keys are still shared"
    );
    eventually("b's entry to replace the stray string", || async {
        (redis.command("TYPE hardening:e:/page/2").await == "+hash").then_some(())
    })
    .await;
}
