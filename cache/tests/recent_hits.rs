//! A worker's recent hits: served without the store while nothing changed,
//! and never past a change.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use trellis_cache::{
    CacheEntry, CachePolicy, CachedResponse, Clock, Fill, Lookup, MemoryStore, RecentHits,
    RemovalListener, RevalidationCache, SegmentSpec, Store,
};

/// The memory store, counting reads and deferred work.
struct CountingStore {
    inner: MemoryStore,
    gets: AtomicUsize,
    pending_runs: AtomicUsize,
}

impl Store for CountingStore {
    fn get(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.gets.fetch_add(1, Ordering::Relaxed);
        self.inner.get(key)
    }

    fn insert(&self, key: Arc<str>, entry: Arc<CacheEntry>) -> bool {
        self.inner.insert(key, entry)
    }

    fn weighted_size(&self) -> u64 {
        self.inner.weighted_size()
    }

    fn run_pending_tasks(&self) {
        self.pending_runs.fetch_add(1, Ordering::Relaxed);
        self.inner.run_pending_tasks();
    }

    fn on_removal(&self, listener: RemovalListener) {
        self.inner.on_removal(listener);
    }
}

fn cache() -> (RevalidationCache, Arc<CountingStore>, Clock) {
    let clock = Clock::manual();
    let store = Arc::new(CountingStore {
        inner: MemoryStore::new(1 << 20, Duration::from_secs(3600)),
        gets: AtomicUsize::new(0),
        pending_runs: AtomicUsize::new(0),
    });
    let spec = SegmentSpec {
        route: "/posts".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(60)),
        },
        tags: vec!["posts".into()],
        ..SegmentSpec::default()
    };
    let cache = RevalidationCache::new(store.clone(), clock.clone(), [spec]);
    (cache, store, clock)
}

fn store(cache: &RevalidationCache, body: &str) {
    let response = CachedResponse {
        status: StatusCode::OK,
        headers: vec![],
        body: Bytes::copy_from_slice(body.as_bytes()),
    };
    match cache.segment(0).fill("/posts") {
        Fill::Lead(guard) => assert!(guard.complete(response).is_ok()),
        _ => panic!("expected to lead the fill"),
    }
}

fn fresh_body(found: Lookup) -> Bytes {
    match found {
        Lookup::Fresh(entry) => entry.response.body.clone(),
        other => panic!("expected a fresh hit, got {other:?}"),
    }
}

#[test]
fn a_hot_key_is_served_from_the_workers_map_and_rechecked_every_second() {
    let (cache, store_reads, clock) = cache();
    let segment = cache.segment(0);
    let mut recent = RecentHits::default();
    store(&cache, "one");
    assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "one");
    let reads = store_reads.gets.load(Ordering::Relaxed);
    for _ in 0..10 {
        assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "one");
    }
    assert_eq!(store_reads.gets.load(Ordering::Relaxed), reads);
    assert_eq!(segment.metrics().hits.load(Ordering::Relaxed), 11);

    clock.advance(Duration::from_secs(1));
    assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "one");
    assert_eq!(store_reads.gets.load(Ordering::Relaxed), reads + 1);
}

#[test]
fn a_newer_entry_a_path_or_a_tag_revalidation_is_seen_at_once() {
    let (cache, _, clock) = cache();
    let segment = cache.segment(0);
    let mut recent = RecentHits::default();
    store(&cache, "one");
    assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "one");

    cache.revalidate_path("/posts");
    assert!(matches!(
        recent.lookup(segment, "/posts"),
        Lookup::Invalidated(_)
    ));
    store(&cache, "two");
    assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "two");

    cache.revalidate_tag("posts");
    assert!(matches!(recent.lookup(segment, "/posts"), Lookup::Stale(_)));

    // A fresh entry past its period, with no change at all, is stale too.
    store(&cache, "three");
    assert_eq!(fresh_body(recent.lookup(segment, "/posts")), "three");
    clock.advance(Duration::from_millis(60_000));
    assert!(matches!(recent.lookup(segment, "/posts"), Lookup::Stale(_)));
}

#[test]
fn every_tick_runs_the_work_the_store_defers() {
    // Hot keys answered from recent hits leave moka few reads and writes,
    // after which it would free replaced entries; the tick does it instead.
    let (cache, store_reads, _) = cache();
    cache.due();
    cache.due();
    assert_eq!(store_reads.pending_runs.load(Ordering::Relaxed), 2);
}
