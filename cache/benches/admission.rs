//! Which design keeps a hot entry through a flood of one-off keys, side by
//! side: the memory store's doorkeeper (a key comes in on its second miss
//! once the store is full), against moka's own admission (TinyLFU) with
//! every hit fed into its frequency counts, and against moka's admission
//! with hits answered from the workers' recent hits, as the engine answers
//! them.
//!
//!     cargo bench -p trellis-cache --bench admission
//!
//! Each design runs the same six seconds in real time, so the recent hits'
//! once-a-second check runs as it would: a store holding 3,000 entries of
//! 1 KiB, 2,000 of them warm; then 10,000 one-off keys a second, each a
//! miss stored as a miss would be, beside 500 hits a second on one hot key
//! and 2,500 on the warm ones. A miss on the hot or a warm key is a
//! regeneration the flood cost.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use moka::sync::Cache;
use trellis_cache::{
    CacheEntry, CachePolicy, CachedResponse, Clock, Fill, Lookup, MemoryStore, NotStored,
    RecentHits, RemovalListener, RevalidationCache, SegmentCache, SegmentSpec, Store,
};

const BODY: usize = 1024;
const BUDGET: u64 = 3_000 * (BODY as u64 + 600);
const WARM: usize = 2_000;
/// Steps of 10 ms, so a second has 100 of them.
const STEPS: usize = 600;
const STEP: Duration = Duration::from_millis(10);
const FLOOD_PER_STEP: usize = 100;
const HOT_PER_STEP: usize = 5;
const WARM_PER_STEP: usize = 25;

/// moka with nothing in front: every key offered goes in, and moka's
/// TinyLFU decides what it evicts.
struct MokaAlone {
    entries: Cache<Arc<str>, Arc<CacheEntry>>,
    listener: Arc<OnceLock<RemovalListener>>,
}

impl MokaAlone {
    fn new(budget: u64) -> Self {
        let listener: Arc<OnceLock<RemovalListener>> = Arc::default();
        let told = listener.clone();
        let entries = Cache::builder()
            .max_capacity(budget)
            // The same weight as the memory store's, near enough: key,
            // body and a fixed cost for the entry, its headers and moka's.
            .weigher(|key: &Arc<str>, entry: &Arc<CacheEntry>| {
                (key.len() + entry.response.body.len() + 600) as u32
            })
            .eviction_listener(move |key: Arc<Arc<str>>, entry: Arc<CacheEntry>, _| {
                if let Some(listener) = told.get() {
                    listener(&key, &entry);
                }
            })
            .build();
        MokaAlone { entries, listener }
    }
}

impl Store for MokaAlone {
    fn get(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.entries.get(key)
    }

    fn insert(&self, key: Arc<str>, entry: Arc<CacheEntry>) -> bool {
        self.entries.insert(key, entry);
        true
    }

    fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    fn run_pending_tasks(&self) {
        self.entries.run_pending_tasks();
    }

    fn on_removal(&self, listener: RemovalListener) {
        let _ = self.listener.set(listener);
    }
}

fn cache(store: Arc<dyn Store>) -> RevalidationCache {
    let spec = SegmentSpec {
        route: "/[key]".into(),
        policy: CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(3600)),
        },
        ..SegmentSpec::default()
    };
    RevalidationCache::new(store, Clock::System, [spec])
}

fn store_response(segment: &Arc<SegmentCache>, key: &str, body: &Bytes) {
    if let Fill::Lead(guard) = segment.fill(key) {
        let response = CachedResponse {
            status: StatusCode::OK,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: body.clone(),
        };
        match guard.complete(response) {
            // A full store may turn a new key away at its door.
            Ok(()) | Err(NotStored::NotAdmitted) => {}
            Err(why) => panic!("a plain 200 is storable: {why:?}"),
        }
    }
}

/// How hits reach the store: each through moka, or through a worker's
/// recent hits, which ask moka once a second per key.
enum Hits {
    ThroughMoka,
    Recent(Box<RecentHits>),
}

impl Hits {
    fn lookup(&mut self, segment: &SegmentCache, key: &str) -> Lookup {
        match self {
            Hits::ThroughMoka => segment.lookup(key),
            Hits::Recent(recent) => recent.lookup(segment, key),
        }
    }
}

/// Looks `key` up and, on a miss, stores it again; true on a miss.
fn hit_or_regenerate(
    hits: &mut Hits,
    segment: &Arc<SegmentCache>,
    key: &str,
    body: &Bytes,
) -> bool {
    if matches!(hits.lookup(segment, key), Lookup::Fresh(_)) {
        return false;
    }
    store_response(segment, key, body);
    true
}

/// Makes a design's store and the way its hits reach it.
type Design = fn() -> (Arc<dyn Store>, Hits);

struct Outcome {
    held_kib: u64,
    hot_misses: usize,
    warm_misses: usize,
    warm_held: usize,
    step_work: Duration,
}

fn run(store: Arc<dyn Store>, mut hits: Hits) -> Outcome {
    let cache = cache(store.clone());
    let segment = cache.segment(0).clone();
    let body = Bytes::from(vec![b'x'; BODY]);
    let warm: Vec<String> = (0..WARM).map(|i| format!("/warm-{i}")).collect();
    for key in &warm {
        store_response(&segment, key, &body);
        for _ in 0..3 {
            hits.lookup(&segment, key);
        }
    }
    store_response(&segment, "/hot", &body);
    let (mut hot_misses, mut warm_misses, mut work) = (0, 0, Duration::ZERO);
    let mut junk = 0;
    let mut warm_next = 0;
    let started = Instant::now();
    for step in 0..STEPS {
        let began = Instant::now();
        for i in 0..FLOOD_PER_STEP {
            junk += 1;
            let key = format!("/junk-{junk}");
            hit_or_regenerate(&mut hits, &segment, &key, &body);
            if i % (FLOOD_PER_STEP / HOT_PER_STEP) == 0 {
                hot_misses += usize::from(hit_or_regenerate(&mut hits, &segment, "/hot", &body));
            }
            if i % (FLOOD_PER_STEP / WARM_PER_STEP) == 0 {
                warm_next = (warm_next + 7919) % WARM;
                let key = &warm[warm_next];
                warm_misses += usize::from(hit_or_regenerate(&mut hits, &segment, key, &body));
            }
        }
        work += began.elapsed();
        store.run_pending_tasks();
        if let Some(wait) =
            (started + STEP * (step as u32 + 1)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(wait);
        }
    }
    let warm_held = warm
        .iter()
        .filter(|key| matches!(segment.lookup(key), Lookup::Fresh(_)))
        .count();
    Outcome {
        held_kib: store.weighted_size() / 1024,
        hot_misses,
        warm_misses,
        warm_held,
        step_work: work / STEPS as u32,
    }
}

fn main() {
    println!(
        "{:<46} {:>8} {:>9} {:>10} {:>10} {:>11}",
        "design", "held KiB", "hot miss", "warm miss", "warm held", "work/10 ms"
    );
    let designs: [(&str, Design); 3] = [
        ("doorkeeper, hits through recent hits (chosen)", || {
            (
                Arc::new(MemoryStore::new(BUDGET, Duration::from_secs(3600))),
                Hits::Recent(Box::default()),
            )
        }),
        ("moka's TinyLFU, every hit fed to moka", || {
            (Arc::new(MokaAlone::new(BUDGET)), Hits::ThroughMoka)
        }),
        ("moka's TinyLFU, hits through recent hits", || {
            (
                Arc::new(MokaAlone::new(BUDGET)),
                Hits::Recent(Box::default()),
            )
        }),
    ];
    for (name, design) in designs {
        let (store, hits) = design();
        let outcome = run(store, hits);
        println!(
            "{name:<46} {:>8} {:>9} {:>10} {:>10} {:>11.1?}",
            outcome.held_kib,
            outcome.hot_misses,
            outcome.warm_misses,
            format!("{}/{WARM}", outcome.warm_held),
            outcome.step_work,
        );
    }
    println!(
        "(a budget of {} KiB; {} one-off keys, {} hot hits and {} warm hits over {:?})",
        BUDGET / 1024,
        STEPS * FLOOD_PER_STEP,
        STEPS * HOT_PER_STEP,
        STEPS * WARM_PER_STEP,
        STEP * STEPS as u32
    );
}
