//! Two instances on one real Redis: entries made on one are hits on the
//! other, a stale key is regenerated once across both, revalidation on one
//! reaches the other, and an outage leaves both serving from memory until
//! Redis returns.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use trellis::{Clock, Response, Router, Segment};

use crate::redis_server::RedisServer;
use crate::test_app::{eventually, spawn_with, status_and_generation as get, test_config, TestApp};

/// `/counted/[id]`: each run takes 100 ms and counts itself in `runs`,
/// shared by both instances, so regenerations are counted across them.
fn counted(runs: Arc<AtomicUsize>, revalidate: u64) -> Router {
    let segment = Segment::new()
        .get(move |_, _| {
            let runs = runs.clone();
            async move {
                actix_rt::time::sleep(Duration::from_millis(100)).await;
                let generation = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Response::json(&json!({ "generation": generation })))
            }
        })
        .revalidate(revalidate)
        .tags(&["counted"]);
    Router::new().route("/counted/[id]", segment)
}

/// Two instances of `counted` sharing `redis`.
fn two_instances(redis: &RedisServer, revalidate: u64) -> (TestApp, TestApp, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let spawn = || {
        let mut config = test_config();
        config.cache.store = redis.url();
        config.cache.key_prefix = "shared-test".into();
        spawn_with(counted(runs.clone(), revalidate), config, Clock::System)
    };
    let (a, b) = (spawn(), spawn());
    (a, b, runs)
}

/// Redis and two instances on it, `/counted/1` made on `a` and then found
/// in Redis by `b`; `None` on a machine without Redis, outside CI.
struct Pair {
    redis: RedisServer,
    a: TestApp,
    b: TestApp,
    runs: Arc<AtomicUsize>,
}

async fn primed_pair(revalidate: u64) -> Option<Pair> {
    let redis = RedisServer::start().await?;
    let (a, b, runs) = two_instances(&redis, revalidate);
    assert_eq!(
        get(&a, "/counted/1").await,
        ("trellis; fwd=miss; stored".into(), 1)
    );
    eventually("b to find a's entry in Redis", || async {
        (get(&b, "/counted/1").await == ("trellis; hit".into(), 1)).then_some(())
    })
    .await;
    Some(Pair { redis, a, b, runs })
}

#[actix_web::test]
async fn an_entry_made_on_one_instance_is_a_hit_on_the_other() {
    let Some(pair) = primed_pair(60).await else {
        return;
    };
    let Pair { a, b, runs, .. } = &pair;
    assert_eq!(get(b, "/counted/1").await, ("trellis; hit".into(), 1));
    assert_eq!(get(a, "/counted/1").await, ("trellis; hit".into(), 1));
    assert_eq!(runs.load(Ordering::SeqCst), 1, "made once, for both");
}

#[actix_web::test]
async fn a_stale_key_is_regenerated_once_across_both_instances() {
    let Some(pair) = primed_pair(2).await else {
        return;
    };
    let Pair { a, b, runs, .. } = &pair;
    actix_rt::time::sleep(Duration::from_millis(2100)).await;

    let requests = (0..100).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        get(app, "/counted/1")
    });
    let answers = futures_util::future::join_all(requests).await;
    assert!(
        answers.iter().all(|(_, generation)| *generation <= 2),
        "{answers:?}"
    );
    for app in [a, b] {
        eventually("both to serve the new entry", || async {
            (get(app, "/counted/1").await.1 == 2).then_some(())
        })
        .await;
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2, "one regeneration for both");
}

#[actix_web::test]
async fn revalidate_tag_on_one_instance_makes_the_other_regenerate() {
    let Some(pair) = primed_pair(3600).await else {
        return;
    };
    let Pair { a, b, runs, .. } = &pair;

    let response = a
        .admin(Method::POST, "/_trellis/revalidate?tag=counted")
        .await;
    assert_eq!(response.status(), 200);
    let generation = eventually("b to regenerate", || async {
        let (_, generation) = get(b, "/counted/1").await;
        (generation > 1).then_some(generation)
    })
    .await;
    assert_eq!(generation, 2);
    // a serves its own stale entry once, then takes b's from Redis.
    eventually("a to pick up b's entry", || async {
        (get(a, "/counted/1").await.1 == 2).then_some(())
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "a did not regenerate");
}

#[actix_web::test]
async fn instances_outlive_a_redis_outage_and_share_again_when_it_returns() {
    let Some(mut pair) = primed_pair(3600).await else {
        return;
    };

    pair.redis.kill();
    let Pair { a, b, .. } = &pair;
    for app in [a, b] {
        assert_eq!(
            get(app, "/counted/1").await.0,
            "trellis; hit",
            "from memory"
        );
        let (status, _) = get(app, "/counted/2").await;
        assert_eq!(status, "trellis; fwd=miss; stored", "made here, alone");
    }
    let metrics = a.metrics().await;
    assert!(metrics.contains("trellis_shared_store_up 0"), "{metrics}");
    // Revalidated here during the outage: b hears of it once Redis is back.
    let response = a
        .admin(Method::POST, "/_trellis/revalidate?tag=counted")
        .await;
    assert_eq!(response.status(), 200);

    pair.redis.restart().await;
    let Pair { a, b, .. } = &pair;
    let mut id = 2;
    eventually("sharing to resume", || {
        id += 1;
        let path = format!("/counted/{id}");
        async move {
            get(a, &path).await;
            actix_rt::time::sleep(Duration::from_millis(50)).await;
            (get(b, &path).await.0 == "trellis; hit").then_some(())
        }
    })
    .await;
    let metrics = a.metrics().await;
    assert!(metrics.contains("trellis_shared_store_up 1"), "{metrics}");
    eventually(
        "b to apply the revalidation made during the outage",
        || async { (get(b, "/counted/1").await.1 > 1).then_some(()) },
    )
    .await;
}

#[actix_web::test]
async fn revalidate_path_on_one_instance_reaches_the_other() {
    let Some(pair) = primed_pair(3600).await else {
        return;
    };
    let Pair { a, b, runs, .. } = &pair;
    get(a, "/counted/2").await;

    let response = a
        .admin(Method::POST, "/_trellis/revalidate?path=/counted/1")
        .await;
    assert_eq!(response.status(), 200);
    let (status, generation) = eventually("b to regenerate the path", || async {
        let (status, generation) = get(b, "/counted/1").await;
        (generation > 2).then_some((status, generation))
    })
    .await;
    assert_eq!(
        (status.as_str(), generation),
        ("trellis; fwd=stale; stored", 3)
    );
    assert_eq!(
        get(a, "/counted/1").await.1,
        3,
        "a waits for it, then shares it"
    );
    assert_eq!(get(b, "/counted/2").await.1, 2, "other paths stay");
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn a_stalled_redis_costs_a_timeout_not_a_failure() {
    let Some(pair) = primed_pair(3600).await else {
        return;
    };
    pair.redis.stall(2).await;
    let a = &pair.a;
    let (status, _) = get(a, "/counted/2").await;
    assert_eq!(
        status, "trellis; fwd=miss; stored",
        "made here without Redis"
    );
    assert_eq!(get(a, "/counted/1").await.0, "trellis; hit");
    let metrics = a.metrics().await;
    assert!(metrics.contains("trellis_shared_store_up 0"), "{metrics}");
}

#[actix_web::test]
async fn an_instance_that_missed_a_revalidation_catches_up_on_reconnecting() {
    let Some(pair) = primed_pair(3600).await else {
        return;
    };
    let Pair { a, b, runs, .. } = &pair;
    eventually("both instances to subscribe", || async {
        let subscribers = pair.redis.command("PUBSUB NUMSUB shared-test:events").await;
        eprintln!("NUMSUB {subscribers:?}");
        subscribers.ends_with(":2").then_some(())
    })
    .await;
    // Both lose their event subscriptions; a's revalidation goes out while
    // nobody listens.
    let killed = pair.redis.command("CLIENT KILL TYPE pubsub").await;
    assert_eq!(killed, ":2", "two subscriptions, one per instance");
    let response = a
        .admin(Method::POST, "/_trellis/revalidate?tag=counted")
        .await;
    assert_eq!(response.status(), 200);
    eventually("b to catch up and regenerate", || async {
        (get(b, "/counted/1").await.1 == 2).then_some(())
    })
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}
