//! The fresh data values one worker thread served a moment ago, so that a
//! fetch or memo hit is a lookup in a small map of the worker's own, as
//! [`RecentHits`](crate::RecentHits) is for responses.
//!
//! A hit through moka records the read for its eviction policy and idle
//! timer: a clock read, a queued read op, an epoch pin, more than the rest
//! of a data hit together. Here a value is taken from the worker's map
//! while nothing has changed: the data cache stored no value since (one
//! version for all data, so a refresh anywhere is seen at once), the value
//! is still fresh and not revalidated (flags on the entry itself, which
//! revalidation sets), and it went through moka less than a second ago,
//! which keeps moka's idle timer and eviction counts honest and lets an
//! evicted value go within that time.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::data::cache::DataCache;
use crate::entry::CacheEntry;
use crate::metrics::SegmentMetrics;
use crate::recent::RECHECK;
use crate::revalidation::Lookup;

/// Values a worker keeps; past that its map starts over.
const MAX_KEYS: usize = 256;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One worker's recent fresh data values. Not shared: each worker thread
/// owns one.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use trellis_cache::{Clock, DataCache, DataFill, DataSpec, Lookup, MemoryStore, RecentData, RevalidationCache};
/// # use trellis_cache::CachedResponse;
///
/// let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(60)));
/// let responses = RevalidationCache::new(store, Clock::System, []);
/// let data = Arc::new(DataCache::new(&responses, Duration::from_secs(60), Duration::from_secs(5)));
/// let mut recent = RecentData::default();
/// assert!(matches!(recent.lookup(&data, "memo:f:[]"), Lookup::Miss));
/// # let DataFill::Lead(guard) = data.fill("memo:f:[]") else { unreachable!() };
/// # guard.complete(CachedResponse { status: http::StatusCode::OK, headers: vec![], body: "1".into() }, &DataSpec::default());
/// assert!(matches!(recent.lookup(&data, "memo:f:[]"), Lookup::Fresh(_)));
/// ```
#[derive(Default)]
pub struct RecentData {
    values: FastMap<Box<str>, Recent>,
}

struct Recent {
    entry: Arc<CacheEntry>,
    /// The data cache's version when the value came from the store.
    version: u64,
    checked_at: Instant,
}

impl RecentData {
    /// What [`DataCache::lookup`] would find, taking a fresh value from
    /// this worker's map when nothing has changed since it was put there.
    pub fn lookup(&mut self, cache: &DataCache, key: &str) -> Lookup {
        let now = cache.clock.now();
        let version = cache.version.load(Ordering::Acquire);
        if let Some(slot) = self.values.get(key) {
            let entry = &slot.entry;
            if slot.version == version
                && now.saturating_duration_since(slot.checked_at) < RECHECK
                && !entry.is_invalidated()
                && entry.is_fresh(now)
            {
                SegmentMetrics::count(&cache.metrics.hits);
                return Lookup::Fresh(entry.clone());
            }
        }
        let found = cache.lookup(key);
        match &found {
            Lookup::Fresh(entry) => {
                if self.values.len() >= MAX_KEYS && !self.values.contains_key(key) {
                    self.values.clear();
                }
                let slot = Recent {
                    entry: entry.clone(),
                    version,
                    checked_at: now,
                };
                match self.values.get_mut(key) {
                    Some(existing) => *existing = slot,
                    None => {
                        self.values.insert(key.into(), slot);
                    }
                }
            }
            _ => {
                self.values.remove(key);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::Clock;
    use crate::data::cache::DataSpec;
    use crate::data::fixtures::{data_cache, store, stored, value};

    fn is_fresh_with(found: Lookup, body: &str) -> bool {
        matches!(found, Lookup::Fresh(entry) if entry.response.body == body)
    }

    #[test]
    fn a_recent_value_is_served_until_another_value_is_stored() {
        let clock = Clock::manual();
        let (data, _) = data_cache(&clock);
        let spec = DataSpec::default();
        stored(&data, "memo:f:[1]", &spec);
        let mut recent = RecentData::default();
        assert!(is_fresh_with(recent.lookup(&data, "memo:f:[1]"), "1"));
        assert!(is_fresh_with(recent.lookup(&data, "memo:f:[1]"), "1"));
        // Another worker stores a new value (a fill that raced this one's
        // lookup): the next lookup here sees it.
        store(&data, "memo:f:[1]", value("2"), &spec);
        assert!(is_fresh_with(recent.lookup(&data, "memo:f:[1]"), "2"));
    }

    #[test]
    fn a_revalidated_value_is_not_served_from_the_map() {
        let clock = Clock::manual();
        let (data, responses) = data_cache(&clock);
        let spec = DataSpec {
            tags: vec!["posts".into()],
            ..DataSpec::default()
        };
        stored(&data, "fetch:GET /posts", &spec);
        let mut recent = RecentData::default();
        assert!(matches!(
            recent.lookup(&data, "fetch:GET /posts"),
            Lookup::Fresh(_)
        ));
        assert_eq!(responses.revalidate_tag("posts"), 1);
        assert!(matches!(
            recent.lookup(&data, "fetch:GET /posts"),
            Lookup::Stale(_)
        ));
        assert_eq!(responses.expire_tag("posts"), 1);
        assert!(matches!(
            recent.lookup(&data, "fetch:GET /posts"),
            Lookup::Invalidated(_)
        ));
    }

    #[test]
    fn a_recent_value_goes_back_to_the_store_after_a_second() {
        let clock = Clock::manual();
        let (data, _) = data_cache(&clock);
        let spec = DataSpec {
            revalidate: Some(Duration::from_secs(3)),
            ..DataSpec::default()
        };
        stored(&data, "memo:f:[1]", &spec);
        let mut recent = RecentData::default();
        let hits = || data.metrics().hits.load(Ordering::Relaxed);
        assert!(matches!(
            recent.lookup(&data, "memo:f:[1]"),
            Lookup::Fresh(_)
        ));
        clock.advance(RECHECK);
        assert!(matches!(
            recent.lookup(&data, "memo:f:[1]"),
            Lookup::Fresh(_)
        ));
        assert_eq!(hits(), 2, "both counted");
        clock.advance(Duration::from_secs(2));
        assert!(matches!(
            recent.lookup(&data, "memo:f:[1]"),
            Lookup::Stale(_)
        ));
    }
}
