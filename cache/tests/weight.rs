//! The byte budget weighs what an entry really costs: 10,000 entries
//! stored as a miss stores them, the heap they keep measured by a counting
//! allocator, compared with the sum of their weights. A test binary of its
//! own, so that the allocator counts nothing else, and its tests measure
//! one at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, StatusCode};
use trellis_cache::{
    CachePolicy, CachedResponse, Clock, DataCache, DataFill, DataSpec, Fill, MemoryStore,
    RevalidationCache, SegmentSpec,
};

/// Bytes the heap holds, as glibc's malloc takes them: each request and
/// its 8-byte header rounded up to 16, at least 32.
static HELD: AtomicIsize = AtomicIsize::new(0);

fn chunk(size: usize) -> isize {
    let rounded = (size + 8).div_ceil(16) * 16;
    rounded.max(32) as isize
}

struct Counting;

// SAFETY: every call goes to the system allocator unchanged; the counter
// only watches.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            HELD.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            HELD.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            HELD.fetch_add(chunk(new_size) - chunk(layout.size()), Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What a route's JSON answer looks like stored: a static content type, a
/// `Cache-Control` made per answer, a header of the route's own, and a
/// body built by growing a buffer, as a serializer does.
fn answer(id: usize) -> CachedResponse {
    let mut body = Vec::new();
    body.extend_from_slice(format!("{{\"id\":{id},\"title\":\"").as_bytes());
    body.extend_from_slice("x".repeat(280).as_bytes());
    body.extend_from_slice(b"\"}");
    let cache_control = HeaderValue::from_str("s-maxage=60, stale-while-revalidate=31535940")
        .expect("valid header text");
    let generation = HeaderValue::from_str(&id.to_string()).expect("digits");
    CachedResponse {
        status: StatusCode::OK,
        headers: vec![
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, cache_control),
            (HeaderName::from_static("x-generation"), generation),
        ],
        body: Bytes::from(body),
    }
}

/// Held for the whole of each test, from before it builds to after it
/// drops its cache: the counter is the whole process's.
static MEASURING: Mutex<()> = Mutex::new(());

fn alone() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(|e| e.into_inner())
}

/// How far the weights of what `store` stored are from the heap it took.
fn weights_over_heap(cache: &RevalidationCache, store: impl FnOnce()) -> f64 {
    let before = HELD.load(Ordering::Relaxed);
    store();
    let weights = cache.weighted_size() as f64;
    let held = (HELD.load(Ordering::Relaxed) - before) as f64;
    weights / held
}

#[test]
fn the_weights_of_ten_thousand_entries_are_within_a_quarter_of_the_heap_they_keep() {
    let _alone = alone();
    let store = Arc::new(MemoryStore::new(1 << 30, Duration::from_secs(3600)));
    let spec = SegmentSpec {
        route: "/items/[id]".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(60)),
        },
        tags: vec!["items".into()],
        ..SegmentSpec::default()
    };
    let cache = RevalidationCache::new(store, Clock::manual(), [spec]);
    let segment = cache.segment(0).clone();
    let keys: Vec<String> = (0..10_000).map(|id| format!("/items/{id:05}")).collect();
    let ratio = weights_over_heap(&cache, || {
        for (id, key) in keys.iter().enumerate() {
            let Fill::Lead(guard) = segment.fill(key) else {
                panic!("every key is new");
            };
            guard.complete(answer(id)).expect("a plain 200 is stored");
        }
    });
    assert!(
        (0.75..=1.25).contains(&ratio),
        "the weights are {ratio:.2} of the heap the entries hold"
    );
}

/// Data values carry tags of their own (a fetch's, its route's page and
/// path tags), a list per entry, which the weights count too.
#[test]
fn the_weights_of_ten_thousand_tagged_data_values_are_within_a_quarter_of_their_heap() {
    let _alone = alone();
    let store = Arc::new(MemoryStore::new(1 << 30, Duration::from_secs(3600)));
    let cache = RevalidationCache::new(store, Clock::manual(), []);
    let hour = Duration::from_secs(3600);
    let data = Arc::new(DataCache::new(&cache, hour, Duration::from_secs(5)));
    let keys: Vec<String> = (0..10_000)
        .map(|id| format!("fetch:GET https://api.example/items/{id:05}"))
        .collect();
    // Tags that many values share, as a route's are: the index's set of
    // each is made once, not per value.
    let specs: Vec<DataSpec> = (0..100)
        .map(|page| DataSpec {
            revalidate: Some(Duration::from_secs(60)),
            tags: vec![
                "items".to_string(),
                format!("items-page-{page:03}"),
                "_N_T_/items/[id]".to_string(),
            ],
            path: None,
        })
        .collect();
    let ratio = weights_over_heap(&cache, || {
        for (id, key) in keys.iter().enumerate() {
            let DataFill::Lead(guard) = data.fill(key) else {
                panic!("every key is new");
            };
            assert!(guard.complete(answer(id), &specs[id % 100]));
        }
    });
    assert!(
        (0.75..=1.25).contains(&ratio),
        "the weights are {ratio:.2} of the heap the values hold"
    );
}
