//! The Redis tier under faults and pressure, over real HTTP and a real
//! Redis: Redis holds no more than the operator allowed, for no longer;
//! what Redis refuses for one key is that key's miss and no outage; what
//! comes back from Redis is checked as if it were new.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::json;
use trellis::{Clock, Config, Response, Router, Segment};

use crate::redis_server::RedisServer;
use crate::test_app::{
    eventually, json, spawn_with, status_and_generation as get, test_config, TestApp,
};

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

/// The value of an unlabelled series in Prometheus text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{text}"))
}

/// A key's time to live in Redis, in milliseconds (-1: none, -2: no key).
async fn pttl(redis: &RedisServer, key: &str) -> i64 {
    let reply = redis.command(&format!("PTTL {key}")).await;
    reply
        .strip_prefix(':')
        .and_then(|ttl| ttl.parse().ok())
        .unwrap_or_else(|| panic!("PTTL {key}: {reply}"))
}

/// Every key under [`PREFIX`], sorted.
async fn keys(redis: &RedisServer) -> Vec<String> {
    let reply = redis.command(&format!("KEYS {PREFIX}:*")).await;
    let mut keys: Vec<String> = reply
        .lines()
        .filter(|line| !line.starts_with(['*', '$']))
        .map(str::to_string)
        .collect();
    keys.sort();
    keys
}

/// Redis's `used_memory`.
async fn used_memory(redis: &RedisServer) -> u64 {
    let info = redis.command("INFO memory").await;
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|used| used.trim().parse().ok())
        .unwrap_or_else(|| panic!("no used_memory in {info}"))
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
    // Below what Redis already uses: Redis answers OOM to commands that
    // grow its memory, the lock's SET among them.
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

#[actix_web::test]
async fn redis_keeps_an_entry_and_its_sets_no_longer_than_period_and_grace_nor_past_expire() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let router = Router::new()
        .route(
            "/ttl/long",
            Segment::new()
                .get(|_, _| async { Ok(Response::text("kept")) })
                .revalidate(60)
                .tags(&["ttl"]),
        )
        .route(
            "/ttl/short",
            Segment::new()
                .get(|_, _| async { Ok(Response::text("kept")) })
                .revalidate(10)
                .expire(20)
                .tags(&["ttl"]),
        );
    // The default grace, 300 s: 60 s + 300 s, and 10 s + 300 s cut to 20 s.
    let app = instance(&redis, router, |_| {});
    for path in ["/ttl/long", "/ttl/short"] {
        assert_eq!(app.get(path).await.status(), 200);
        stored(&redis, &format!("hardening:e:{path}")).await;
    }
    for (key, most) in [
        ("hardening:e:/ttl/long", 360_000),
        ("hardening:p:/ttl/long", 360_000),
        ("hardening:t:ttl", 360_000),
        ("hardening:e:/ttl/short", 20_000),
        ("hardening:p:/ttl/short", 20_000),
    ] {
        let ttl = pttl(&redis, key).await;
        assert!((1..=most).contains(&ttl), "{key}: {ttl} ms, at most {most}");
    }
    assert_eq!(
        redis.command("ZCARD hardening:t:ttl").await,
        ":2",
        "the tag's set holds both entries"
    );
}

#[actix_web::test]
async fn revalidating_a_tag_or_path_no_route_has_creates_no_key_in_redis() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let a = instance(&redis, pages(Arc::default()), |_| {});
    assert_eq!(get(&a, "/page/1").await.1, 1);
    stored(&redis, "hardening:e:/page/1").await;
    // The app's own revalidations keep a counter each, for catching up.
    for query in ["tag=pages", "path=/page/1"] {
        let response = a
            .admin(Method::POST, &format!("/_trellis/revalidate?{query}"))
            .await;
        assert_eq!(response.status(), 200, "{query}");
    }
    let before = keys(&redis).await;
    assert!(
        before.contains(&"hardening:v:tag:pages".to_string())
            && before.contains(&"hardening:v:paths".to_string()),
        "{before:?}"
    );

    for query in ["tag=no-route-has-this", "path=/no/such/path"] {
        let response = a
            .admin(Method::POST, &format!("/_trellis/revalidate?{query}"))
            .await;
        assert_eq!(response.status(), 200, "{query}");
        assert_eq!(json(response).await["shared"], "reached", "{query}");
    }
    assert_eq!(keys(&redis).await, before, "no key for names no route has");
}

/// Distinct keys the flood asks for, from one client, on loopback.
const FLOOD_REQUESTS: usize = 5_000;
/// The flood's requests in flight at once.
const FLOOD_CONCURRENCY: usize = 8;
/// The longest the flood may take, on the slowest machine that runs it.
const FLOOD_DEADLINE: Duration = Duration::from_secs(120);
/// What Redis may use past the budget: what the count of bytes written
/// misjudges of Redis's own overhead, Redis's hash tables doubling, and
/// client buffers. The flood would write some 10 MB without a budget.
const BUDGET_SLACK: u64 = 512 * 1024;

/// `/flood/[id]`: cached a minute and tagged `flood`, each answer about
/// 1 KiB, counted in `runs`.
fn flood(runs: Arc<AtomicUsize>) -> Router {
    let segment = Segment::new()
        .get(move |_, _| {
            let runs = runs.clone();
            async move {
                let generation = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Response::json(
                    &json!({ "generation": generation, "pad": "x".repeat(1000) }),
                ))
            }
        })
        .revalidate(60)
        .tags(&["flood"]);
    Router::new().route("/flood/[id]", segment)
}

#[actix_web::test]
async fn a_flood_of_distinct_keys_stays_within_the_redis_budget_and_revalidation_still_reaches_all()
{
    let Some(redis) =
        RedisServer::start_with(&["--maxmemory", "8mb", "--maxmemory-policy", "noeviction"]).await
    else {
        return;
    };
    let budget = used_memory(&redis).await + 1024 * 1024;
    let tune = |config: &mut Config| {
        config.cache.shared_budget_bytes = budget;
        // This test is about memory: a slow machine must not turn
        // latency into an outage.
        config.cache.shared_timeout_ms = 2000;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&redis, flood(runs.clone()), tune);
    let b = instance(&redis, flood(runs.clone()), tune);
    let (_, before) = get(&b, "/flood/0").await;
    stored(&redis, "hardening:e:/flood/0").await;

    let done = AtomicBool::new(false);
    let requests = futures_util::stream::iter(1..=FLOOD_REQUESTS)
        .map(|id| {
            let a = &a;
            async move {
                let response = a.get(&format!("/flood/{id}")).await;
                let status = response.status();
                // Read to the end, so the connection serves the next one.
                response.bytes().await.expect("the whole body");
                status
            }
        })
        .buffer_unordered(FLOOD_CONCURRENCY)
        .collect::<Vec<_>>();
    let flood = async {
        let statuses = requests.await;
        done.store(true, Ordering::SeqCst);
        statuses
    };
    let peak = async {
        let mut peak = 0;
        while !done.load(Ordering::SeqCst) {
            peak = peak.max(used_memory(&redis).await);
        }
        peak.max(used_memory(&redis).await)
    };
    let (statuses, peak) =
        tokio::time::timeout(FLOOD_DEADLINE, futures_util::future::join(flood, peak))
            .await
            .expect("the flood ends within its deadline");
    assert!(statuses.iter().all(|status| *status == 200));
    assert!(
        peak <= budget + BUDGET_SLACK,
        "Redis used {peak} bytes at most; the budget is {budget}"
    );
    let metrics = a.metrics().await;
    assert!(
        metric(&metrics, "trellis_shared_store_over_budget_total") > 0,
        "the flood outgrew the budget: {metrics}"
    );
    assert_eq!(metric(&metrics, "trellis_shared_store_up"), 1, "{metrics}");
    assert_eq!(
        metric(&metrics, "trellis_shared_store_errors_total"),
        0,
        "never down: {metrics}"
    );
    assert_eq!(
        metric(&metrics, "trellis_shared_store_write_errors_total"),
        0,
        "Redis never ran out of memory: {metrics}"
    );

    let response = a
        .admin(Method::POST, "/_trellis/revalidate?tag=flood")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["shared"], "reached");
    eventually("b to serve a body made after the revalidation", || async {
        (get(&b, "/flood/0").await.1 > before).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_revalidation_redis_cannot_take_answers_pending_and_reaches_the_others_on_its_return() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&redis, pages(runs.clone()), |_| {});
    let b = instance(&redis, pages(runs.clone()), |_| {});
    assert_eq!(get(&a, "/page/1").await.1, 1);
    stored(&redis, "hardening:e:/page/1").await;
    assert_eq!(get(&b, "/page/1").await, ("trellis; hit".into(), 1));

    redis.kill();
    let response = a
        .admin(Method::POST, "/_trellis/revalidate?tag=pages")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response).await,
        json!({ "revalidated": true, "entries": 1, "shared": "pending" })
    );
    let metrics = a.metrics().await;
    assert_eq!(
        metric(&metrics, "trellis_shared_revalidations_pending"),
        1,
        "{metrics}"
    );

    redis.restart().await;
    eventually("a to send what it kept", || async {
        let metrics = a.metrics().await;
        (metric(&metrics, "trellis_shared_revalidations_pending") == 0).then_some(())
    })
    .await;
    eventually("b to serve a body made after the revalidation", || async {
        (get(&b, "/page/1").await.1 > 1).then_some(())
    })
    .await;
    let response = a
        .admin(Method::POST, "/_trellis/revalidate?path=/page/1")
        .await;
    assert_eq!(json(response).await["shared"], "reached", "Redis is back");
}

#[actix_web::test]
async fn with_a_secret_an_entry_written_without_it_or_changed_in_redis_is_a_miss() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let secret = |config: &mut Config| config.cache.secret = Some("the-app-secret".into());
    let signer = instance(&redis, pages(runs.clone()), secret);
    let reader = instance(&redis, pages(runs.clone()), secret);
    let outsider = instance(&redis, pages(runs.clone()), |_| {});

    assert_eq!(get(&signer, "/page/1").await.1, 1);
    stored(&redis, "hardening:e:/page/1").await;
    assert_eq!(
        get(&reader, "/page/1").await,
        ("trellis; hit".into(), 1),
        "signed with the secret: shared"
    );

    assert_eq!(get(&outsider, "/page/2").await.1, 2);
    stored(&redis, "hardening:e:/page/2").await;
    assert_eq!(
        get(&reader, "/page/2").await,
        ("trellis; fwd=miss; stored".into(), 3),
        "unsigned: made again"
    );

    assert_eq!(get(&signer, "/page/3").await.1, 4);
    stored(&redis, "hardening:e:/page/3").await;
    let changed = redis
        .command(r#"HSET hardening:e:/page/3 body "{\"generation\":99}""#)
        .await;
    assert_eq!(changed, ":0", "the body replaced");
    assert_eq!(
        get(&reader, "/page/3").await,
        ("trellis; fwd=miss; stored".into(), 5),
        "changed after signing: made again"
    );
    let metrics = reader.metrics().await;
    assert!(
        metric(&metrics, "trellis_shared_store_refused_entries_total") >= 2,
        "{metrics}"
    );
}

#[actix_web::test]
async fn an_entry_made_in_the_future_is_a_miss_and_one_from_a_clock_a_little_ahead_a_hit() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let a = instance(&redis, pages(runs.clone()), |_| {});
    let b = instance(&redis, pages(runs.clone()), |_| {});
    for (path, generation) in [("/page/1", 1), ("/page/2", 2)] {
        assert_eq!(get(&a, path).await.1, generation);
        stored(&redis, &format!("hardening:e:{path}")).await;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis();
    for (path, ahead) in [("/page/1", 60_000), ("/page/2", 2_000)] {
        let made = now + ahead;
        let reply = redis
            .command(&format!("HSET hardening:e:{path} made {made}"))
            .await;
        assert_eq!(reply, ":0", "{path}: made replaced");
    }

    assert_eq!(
        get(&b, "/page/1").await,
        ("trellis; fwd=miss; stored".into(), 3),
        "a minute ahead: no instance made that"
    );
    assert_eq!(
        get(&b, "/page/2").await,
        ("trellis; hit".into(), 2),
        "two seconds ahead: a peer's clock"
    );
}

#[actix_web::test]
async fn the_default_key_prefix_names_the_app_so_apps_on_one_redis_share_no_keys() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let default_prefix =
        |config: &mut Config| config.cache.key_prefix = Config::default().cache.key_prefix;
    // The demo app, generated from app/ inside the `trellis-demo` package.
    let demo = instance(&redis, crate::app::router(), default_prefix);
    let shop = instance(
        &redis,
        pages(Arc::default()).app_name("shop"),
        default_prefix,
    );
    let unnamed = instance(&redis, pages(Arc::default()), default_prefix);

    assert_eq!(demo.get("/posts").await.status(), 200);
    stored(&redis, "trellis:trellis-demo:e:/posts").await;
    assert_eq!(get(&shop, "/page/1").await.1, 1);
    stored(&redis, "trellis:shop:e:/page/1").await;
    assert_eq!(
        get(&unnamed, "/page/1").await,
        ("trellis; fwd=miss; stored".into(), 1),
        "not the shop's entry"
    );
    stored(&redis, "trellis:app:e:/page/1").await;
}
