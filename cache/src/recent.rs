//! The fresh entries one worker thread served a moment ago, so that a hot
//! key's hit is a lookup in a small map of the worker's own.
//!
//! A hit through moka also records the read for its eviction policy and
//! idle timer (a clock read, a queued read op, an epoch pin): more than the
//! rest of the hit together. Here a hit is taken from the worker's map while
//! nothing has changed: no entry of the segment was stored since (a
//! per-segment version), the entry is still fresh and not invalidated, and
//! it went through moka less than [`RECHECK`] ago, which keeps moka's idle
//! timer and eviction counts honest and lets an evicted entry go within
//! that time. So moka counts a hot key once a second per worker, however
//! hot: too little for its frequency sketch to tell it from one-off keys,
//! which is why a full store lets new keys in only on their second try
//! (see `admission`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::entry::CacheEntry;
use crate::metrics::SegmentMetrics;
use crate::revalidation::{Lookup, SegmentCache};

/// How long a worker serves an entry without asking moka again.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

/// Keys a worker keeps per segment; past that the segment's map starts over.
const MAX_KEYS_PER_SEGMENT: usize = 256;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One worker's recent fresh hits, by segment. Not shared: each worker
/// thread owns one.
///
/// ```
/// use std::sync::Arc;
/// use trellis_cache::{CachePolicy, Clock, Lookup, MemoryStore, RecentHits, RevalidationCache, SegmentSpec};
/// # use std::time::Duration;
///
/// let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(60)));
/// let spec = SegmentSpec {
///     route: "/posts".into(),
///     policy: CachePolicy::Cache { revalidate: Some(Duration::from_secs(60)) },
///     ..SegmentSpec::default()
/// };
/// let cache = RevalidationCache::new(store, Clock::System, [spec]);
/// let mut recent = RecentHits::default();
/// assert!(matches!(recent.lookup(cache.segment(0), "/posts"), Lookup::Miss));
/// ```
#[derive(Default)]
pub struct RecentHits {
    segments: Vec<FastMap<Box<str>, Recent>>,
}

struct Recent {
    entry: Arc<CacheEntry>,
    /// The segment's version when the entry came from the store.
    version: u64,
    checked_at: Instant,
}

impl RecentHits {
    /// What [`SegmentCache::lookup`] would find, taking a fresh hit from
    /// this worker's map when nothing has changed since it was stored there.
    pub fn lookup(&mut self, cache: &SegmentCache, key: &str) -> Lookup {
        let now = cache.clock().now();
        let version = cache.version.load(Ordering::Acquire);
        if self.segments.len() <= cache.index() {
            self.segments
                .resize_with(cache.index() + 1, FastMap::default);
        }
        let recent = &mut self.segments[cache.index()];
        if let Some(slot) = recent.get(key) {
            let entry = &slot.entry;
            if slot.version == version
                && now.saturating_duration_since(slot.checked_at) < RECHECK
                && !cache.is_invalidated(entry)
                && entry.is_fresh(now)
            {
                SegmentMetrics::count(&cache.metrics().hits);
                return Lookup::Fresh(entry.clone());
            }
        }
        let found = cache.lookup_at(key, now);
        match &found {
            Lookup::Fresh(entry) => {
                if recent.len() >= MAX_KEYS_PER_SEGMENT && !recent.contains_key(key) {
                    recent.clear();
                }
                let slot = Recent {
                    entry: entry.clone(),
                    version,
                    checked_at: now,
                };
                match recent.get_mut(key) {
                    Some(existing) => *existing = slot,
                    None => {
                        recent.insert(key.into(), slot);
                    }
                }
            }
            _ => {
                recent.remove(key);
            }
        }
        found
    }
}
