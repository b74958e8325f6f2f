//! Micro benchmarks of the request path's parts, each alone:
//! matching in a table of 300 routes, one dispatch through a segment actor
//! against a direct call of the same segment, a cache hit, a route whose
//! data is a data-cache hit (a fetch, a memo) against the same route with
//! its data at hand, building a JSON response, and on-demand revalidation
//! among many entries.
//!
//!     cargo bench --bench micro

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use trellis_cache::{
    CachePolicy, CachedResponse, Clock, Fill, Lookup, MemoryStore, RecentHits, RevalidationCache,
    SegmentSpec,
};
use trellis_engine::cache::{memo, MemoOptions};
use trellis_engine::probe::SegmentProbe;
use trellis_engine::{Response, Router, Segment, StatusCode};
use trellis_routes::{RoutePattern, RouteTable};

/// 100 static, 100 dynamic and 100 catch-all routes, interleaved so that no
/// kind is found first by accident.
fn table_of_300() -> RouteTable {
    let patterns = (0..100).flat_map(|i| {
        [
            format!("/static{i}/list"),
            format!("/dynamic{i}/[id]/detail"),
            format!("/catch{i}/[...slug]"),
        ]
    });
    let routes = patterns.map(|p| {
        let pattern = RoutePattern::parse(&p).expect("bench patterns are valid");
        (pattern, p)
    });
    RouteTable::build(routes).expect("bench routes do not clash")
}

fn matching(c: &mut Criterion) {
    let table = table_of_300();
    let mut group = c.benchmark_group("match in 300 routes");
    for (name, path) in [
        ("static", "/static57/list"),
        ("dynamic", "/dynamic57/42/detail"),
        ("catch-all", "/catch57/a/b/c"),
        ("no match", "/nowhere/at/all"),
    ] {
        assert_eq!(
            table.match_path(path).is_ok_and(|m| m.is_some()),
            name != "no match"
        );
        group.bench_function(name, |b| b.iter(|| table.match_path(black_box(path))));
    }
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let system = actix_rt::System::new();
    let router = Router::new().route(
        "/api/hello",
        Segment::new()
            .get(|_, _| async { Ok(Response::json(&json!({ "message": "Hello World" }))) }),
    );
    let probe = system
        .block_on(async { SegmentProbe::start(router, "/api/hello") })
        .expect("the probe's route builds");
    let mut group = c.benchmark_group("one GET to a segment");
    group.bench_function("through its actor", |b| {
        b.iter_custom(|iters| system.block_on(timed(iters, || probe.through_actor())))
    });
    group.bench_function("direct call", |b| {
        b.iter_custom(|iters| system.block_on(timed(iters, || probe.direct())))
    });
    group.finish();
}

/// Runs `iters` answers one after another on the current task.
async fn timed<F, Fut>(iters: u64, answer: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let start = Instant::now();
    for _ in 0..iters {
        black_box(answer().await);
    }
    start.elapsed()
}

/// What each route of `data_cache_hit` answers: `{"call":1}`.
fn posts() -> Value {
    json!({ "call": 1 })
}

/// A GET whose data comes from the data cache, a fetch's and a memo's,
/// against the same route with the data at hand; each answered by a
/// direct call of its segment, so the hop is not in the figure.
fn data_cache_hit(c: &mut Criterion) {
    let system = actix_rt::System::new();
    let upstream = system
        .block_on(async {
            let server = HttpServer::new(|| {
                App::new().route(
                    "/posts",
                    web::get().to(|| async { HttpResponse::Ok().json(posts()) }),
                )
            })
            .workers(1)
            .bind(("127.0.0.1", 0))?;
            let address = server.addrs()[0];
            actix_rt::spawn(server.run());
            Ok::<_, std::io::Error>(address)
        })
        .expect("the upstream binds");
    let url = format!("http://{upstream}/posts");
    let at_hand = Segment::new().get(|_, _| async { Ok(Response::json(&posts())) });
    let fetched = Segment::new().get(move |_, _| {
        let fetch = trellis_engine::fetch(url.clone()).revalidate(3600);
        async move {
            let posts: Value = fetch.await?.json()?;
            Ok(Response::json(&posts))
        }
    });
    let memoized = Segment::new().get(|_, _| async {
        let posts: Value = memo("posts", MemoOptions::new(), || async { Ok(posts()) }).await?;
        Ok(Response::json(&posts))
    });
    let mut group = c.benchmark_group("a GET whose data is");
    for (name, segment) in [
        ("at hand", at_hand),
        ("a fetch hit", fetched),
        ("a memo hit", memoized),
    ] {
        let probe = system
            .block_on(async { SegmentProbe::start(Router::new().route("/data", segment), "/data") })
            .expect("the probe's route builds");
        // The first call fills the data cache; every measured one hits it.
        let first = system.block_on(probe.direct());
        assert_eq!(first.status(), StatusCode::OK, "{name}");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| system.block_on(timed(iters, || probe.direct())))
        });
    }
    group.finish();
}

fn cache_hit(c: &mut Criterion) {
    let store = Arc::new(MemoryStore::new(64 << 20, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/posts".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(3600)),
        },
        tags: vec!["posts".into()],
        ..SegmentSpec::default()
    };
    let cache = RevalidationCache::new(store, Clock::System, [spec]);
    let segment = cache.segment(0);
    let Fill::Lead(guard) = segment.fill("/posts") else {
        panic!("an empty cache lets the first fill lead");
    };
    guard
        .complete(CachedResponse {
            status: StatusCode::OK,
            headers: vec![],
            body: Bytes::from_static(br#"[{"id":1,"title":"Hello"}]"#),
        })
        .expect("a plain 200 is stored");
    assert!(matches!(segment.lookup("/posts"), Lookup::Fresh(_)));
    let mut group = c.benchmark_group("cache hit");
    group.bench_function("through moka", |b| {
        b.iter(|| segment.lookup(black_box("/posts")))
    });
    // What a worker does: its own recent hits first.
    let mut recent = RecentHits::default();
    group.bench_function("worker's recent hits", |b| {
        b.iter(|| recent.lookup(segment, black_box("/posts")))
    });
    group.finish();
}

fn json_response(c: &mut Criterion) {
    let mut group = c.benchmark_group("JSON response");
    group.bench_function("hello", |b| {
        b.iter(|| Response::json(&json!({ "message": black_box("Hello World") })))
    });
    let posts: Vec<_> = (0..20)
        .map(|id| json!({ "id": id, "title": format!("Post {id}"), "tags": ["a", "b"] }))
        .collect();
    group.bench_function("20 posts", |b| b.iter(|| Response::json(black_box(&posts))));
    group.finish();
}

/// A cache of `total` entries: `/one` (tagged `one`), 1,000 under
/// `/thousand/[id]` (tagged `thousand`), 1,000 query keys of `/search`,
/// and the rest under `/rest/[id]`.
fn cache_of(total: usize) -> RevalidationCache {
    let store = Arc::new(MemoryStore::new(1 << 40, Duration::from_secs(3600)));
    let spec = |route: &str, tags: &[&str], key_by_query| SegmentSpec {
        route: route.into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(3600)),
        },
        tags: tags.iter().map(|t| t.to_string()).collect(),
        key_by_query,
        ..SegmentSpec::default()
    };
    let specs = [
        spec("/one", &["one"], false),
        spec("/thousand/[id]", &["thousand"], false),
        spec("/search", &[], true),
        spec("/rest/[id]", &["rest"], false),
    ];
    let cache = RevalidationCache::new(store, Clock::System, specs);
    let store_one = |segment: usize, key: &str| {
        let Fill::Lead(guard) = cache.segment(segment).fill(key) else {
            panic!("every bench key is new");
        };
        guard
            .complete(CachedResponse {
                status: StatusCode::OK,
                headers: vec![],
                body: Bytes::from_static(br#"{"id":1}"#),
            })
            .expect("a plain 200 is stored");
    };
    store_one(0, "/one");
    for id in 0..1000 {
        store_one(1, &format!("/thousand/{id}"));
        store_one(2, &format!("/search?q={id}"));
    }
    for id in 0..total - 2001 {
        store_one(3, &format!("/rest/{id}"));
    }
    cache
}

fn revalidation(c: &mut Criterion) {
    for total in [100_000, 400_000] {
        let cache = cache_of(total);
        let mut group = c.benchmark_group(format!("revalidate among {total} entries"));
        for (name, tag, touched) in [
            ("tag, 1 entry", "one", 1),
            ("tag, 1000 entries", "thousand", 1000),
        ] {
            assert_eq!(cache.revalidate_tag(tag), touched);
            group.bench_function(name, |b| b.iter(|| cache.revalidate_tag(black_box(tag))));
        }
        for (name, path, touched) in [
            ("path, 1 entry", "/rest/77", 1),
            ("path, 1000 entries", "/search", 1000),
        ] {
            assert_eq!(cache.revalidate_path(path), touched);
            group.bench_function(name, |b| b.iter(|| cache.revalidate_path(black_box(path))));
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    matching,
    dispatch,
    cache_hit,
    data_cache_hit,
    json_response,
    revalidation
);
criterion_main!(benches);
