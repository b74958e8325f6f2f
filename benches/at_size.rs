//! Trellis's cost as its work grows, each part alone: matching among 300
//! and among 10,000 routes; a cache hit among 1,000 and among 1,000,000
//! entries, with the memory each entry costs beyond its body; and a hit on
//! a 1 MiB body against a hit on a small one, beside what copying 1 MiB
//! costs.
//!
//!     cargo bench --bench at_size
//!
//! The memory figures are printed before the timings, from the process's
//! resident size (`/proc/self/status`) and from the store's own weigher.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use trellis_cache::{
    CachePolicy, CachedResponse, Clock, Fill, Lookup, MemoryStore, RecentHits, RevalidationCache,
    SegmentCache, SegmentSpec,
};
use trellis_engine::header::{HeaderValue, CONTENT_TYPE};
use trellis_engine::StatusCode;
use trellis_routes::{RoutePattern, RouteTable};

/// `size` routes, a third static, a third dynamic, a third catch-all,
/// interleaved so that no kind is found first by accident.
fn table_of(size: usize) -> RouteTable {
    let routes = (0..size).map(|i| {
        let n = i / 3;
        let pattern = match i % 3 {
            0 => format!("/static{n}/list"),
            1 => format!("/dynamic{n}/[id]/detail"),
            _ => format!("/catch{n}/[...slug]"),
        };
        let parsed = RoutePattern::parse(&pattern).expect("bench patterns are valid");
        (parsed, pattern)
    });
    RouteTable::build(routes).expect("bench routes do not clash")
}

fn matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("match by table size");
    for size in [300, 10_000] {
        let table = table_of(size);
        let n = size / 3 / 2;
        let paths = [
            ("static", format!("/static{n}/list")),
            ("dynamic", format!("/dynamic{n}/42/detail")),
            ("catch-all", format!("/catch{n}/a/b/c")),
            ("no match", "/nowhere/at/all".to_string()),
        ];
        for (kind, path) in paths {
            assert_eq!(
                table.match_path(&path).is_ok_and(|m| m.is_some()),
                kind != "no match",
                "{path}"
            );
            group.bench_with_input(BenchmarkId::new(kind, size), &path, |b, path| {
                b.iter(|| table.match_path(black_box(path)))
            });
        }
    }
    group.finish();
}

/// The kilobytes this process holds in memory.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A cache of one cached route, with room for everything put in it.
fn cache() -> RevalidationCache {
    let store = Arc::new(MemoryStore::new(16 << 30, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/products/[id]".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(3600)),
        },
        ..SegmentSpec::default()
    };
    RevalidationCache::new(store, Clock::System, [spec])
}

/// Stores `body` under `key` as a JSON response, as a miss would.
fn store(segment: &Arc<SegmentCache>, key: &str, body: Bytes) {
    let Fill::Lead(guard) = segment.fill(key) else {
        panic!("{key} is stored once");
    };
    guard
        .complete(CachedResponse {
            status: StatusCode::OK,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        })
        .expect("a plain 200 is stored");
}

/// A cache of `entries` products, each with a body of its own, and their
/// keys; prints what the entries cost in memory.
fn products(entries: usize) -> (RevalidationCache, Vec<String>) {
    let keys: Vec<String> = (0..entries).map(|i| format!("/products/{i}")).collect();
    let before = resident_kib();
    let cache = cache();
    let mut body_bytes = 0;
    for (i, key) in keys.iter().enumerate() {
        let body = Bytes::from(format!(
            r#"{{"id":{i},"title":"Product {i}","price":{}}}"#,
            i % 997
        ));
        body_bytes += body.len();
        store(cache.segment(0), key, body);
    }
    // Settles moka's deferred work, so that what is counted is what stays.
    let weighed = cache.weighted_size();
    let resident = (resident_kib().saturating_sub(before)) * 1024;
    let per_entry = resident as f64 / entries as f64;
    let body = body_bytes as f64 / entries as f64;
    println!(
        "{entries} entries: {per_entry:.0} bytes of memory each (resident size), {:.0} by the \
         store's weigher; bodies {body:.0} bytes, so {:.0} bytes an entry over its body",
        weighed as f64 / entries as f64,
        per_entry - body
    );
    (cache, keys)
}

/// The next of a stream of pseudo-random numbers (xorshift): keys picked
/// all over the table, as many visitors pick them.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn hits_by_entries(c: &mut Criterion) {
    let mut group = c.benchmark_group("cache hit by entries");
    for entries in [1_000, 1_000_000] {
        let (cache, keys) = products(entries);
        let segment = cache.segment(0);
        let count = keys.len() as u64;
        let mut state = 0x2545_f491_4f6c_dd1d;
        group.bench_function(BenchmarkId::new("random key, through moka", entries), |b| {
            b.iter(|| {
                let key = &keys[(next(&mut state) % count) as usize];
                black_box(segment.lookup(black_box(key)))
            })
        });
        let mut recent = RecentHits::default();
        group.bench_function(
            BenchmarkId::new("random key, worker's recent hits", entries),
            |b| {
                b.iter(|| {
                    let key = &keys[(next(&mut state) % count) as usize];
                    black_box(recent.lookup(segment, black_box(key)))
                })
            },
        );
        let hot = &keys[keys.len() / 2];
        group.bench_function(
            BenchmarkId::new("one hot key, through moka", entries),
            |b| b.iter(|| black_box(segment.lookup(black_box(hot)))),
        );
    }
    group.finish();
}

fn hits_by_body_size(c: &mut Criterion) {
    let cache = cache();
    let segment = cache.segment(0);
    let small = Bytes::from_static(br#"{"generation":1,"generatedAt":1795638237152}"#);
    let large = Bytes::from(vec![b'x'; 1 << 20]);
    store(segment, "/products/small", small);
    store(segment, "/products/large", large.clone());
    let mut group = c.benchmark_group("cache hit by body size");
    for (size, key) in [("45 B", "/products/small"), ("1 MiB", "/products/large")] {
        // What the worker takes from a hit to answer it: the status, the
        // headers and a handle on the body, never the body's bytes.
        group.bench_function(BenchmarkId::new("lookup and response parts", size), |b| {
            b.iter(|| match segment.lookup(black_box(key)) {
                Lookup::Fresh(entry) => black_box((
                    entry.response.status,
                    entry.response.headers.clone(),
                    entry.response.body.clone(),
                )),
                _ => panic!("{key} is fresh"),
            })
        });
    }
    // What a hit would cost if the body were copied once per request.
    group.bench_function("copying 1 MiB, for scale", |b| {
        b.iter(|| black_box(Bytes::copy_from_slice(black_box(&large))))
    });
    group.finish();
}

criterion_group!(benches, matching, hits_by_entries, hits_by_body_size);
criterion_main!(benches);
