//! Revalidation of a tag given from inside the handler (`cache_tag`, one
//! per entry, as a product id is) among 100,000 entries, in memory and in
//! Redis: its cost follows the entries that carry the tag, not the entries
//! there are. (`micro`'s `revalidation` group does the same for a route's
//! own `TAGS` and for paths, in memory.)
//!
//!     cargo bench --bench tags
//!
//! The Redis half starts a `redis-server` of its own on a free port, and is
//! skipped, saying so, on a machine without one.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use trellis_cache::{
    CachePolicy, CachedResponse, Clock, EntryScope, Fill, MemoryStore, RevalidationCache,
    SegmentSpec, SharedOptions, SharedStore,
};
use trellis_engine::StatusCode;

const ENTRIES: usize = 100_000;

/// One route's 100,000 entries: each tagged with its own `item-<i>` and
/// with `all`; the first ten with `hot` too.
fn filled(shared: Option<Arc<SharedStore>>) -> RevalidationCache {
    let store = Arc::new(MemoryStore::new(1 << 30, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/items/[id]".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(3600)),
        },
        ..SegmentSpec::default()
    };
    let cache = RevalidationCache::tiered(store, shared, Clock::System, [spec]);
    let segment = cache.segment(0);
    for i in 0..ENTRIES {
        let Fill::Lead(guard) = segment.fill(&format!("/items/{i}")) else {
            panic!("an empty cache lets every first fill lead");
        };
        let mut tags = vec![format!("item-{i}"), "all".to_string()];
        if i < 10 {
            tags.push("hot".to_string());
        }
        let response = CachedResponse {
            status: StatusCode::OK,
            headers: vec![],
            body: Bytes::from(format!(r#"{{"id":{i}}}"#)),
        };
        let scope = EntryScope {
            tags,
            ..EntryScope::default()
        };
        guard
            .complete_scoped(response, |_| None, &scope)
            .expect("a plain 200 is stored");
    }
    cache
}

fn in_memory(c: &mut Criterion) {
    let cache = filled(None);
    let mut group = c.benchmark_group("revalidate a tag among 100,000 entries, in memory");
    for (name, tag) in [
        ("carried by 1", "item-500"),
        ("carried by 10", "hot"),
        ("carried by 100,000", "all"),
    ] {
        group.bench_function(name, |b| b.iter(|| cache.revalidate_tag(tag)));
    }
    group.finish();
}

fn in_redis(c: &mut Criterion) {
    let Some(redis) = Redis::start() else {
        eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
        return;
    };
    let shared = SharedStore::start(SharedOptions {
        url: format!("redis://127.0.0.1:{}/0", redis.port),
        key_prefix: "bench".into(),
        // A tag on 100,000 entries takes Redis a while: no deadline cuts it.
        timeout: Duration::from_secs(60),
        grace: Duration::from_secs(300),
        lock_ttl: Duration::from_secs(5),
        tags: vec![],
        // Room for every entry: the bench measures revalidation, not the budget.
        budget_bytes: 1 << 34,
        secret: None,
    })
    .expect("the Redis tier starts");
    let _cache = filled(Some(shared.clone()));
    // The writes are detached: wait until the last entry joined `all`.
    let deadline = Instant::now() + Duration::from_secs(120);
    while redis.integer("ZCARD bench:t:all") < ENTRIES as i64 {
        assert!(Instant::now() < deadline, "Redis took every entry in time");
        std::thread::sleep(Duration::from_millis(100));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the calls");
    let mut group = c.benchmark_group("revalidate a tag among 100,000 entries, in Redis");
    group.sample_size(10);
    for (name, tag) in [
        ("carried by 1", "item-500"),
        ("carried by 10", "hot"),
        ("carried by 100,000", "all"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| runtime.block_on(shared.revalidate_tag(tag)))
        });
    }
    group.finish();
}

/// A `redis-server` of the bench's own, killed when dropped.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    fn start() -> Option<Redis> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Redis { port, child };
        for _ in 0..500 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(redis);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {port} never answered");
    }

    /// The integer reply of one command (`:N`), 0 for any other.
    fn integer(&self, command: &str) -> i64 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis accepts");
        stream
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("command sent");
        let mut reply = [0u8; 64];
        let read = stream.read(&mut reply).unwrap_or(0);
        String::from_utf8_lossy(&reply[..read])
            .trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

criterion_group!(benches, in_memory, in_redis);
criterion_main!(benches);
