//! `DataCache`: every data value, over the store and shared tier of the
//! response cache; how one is looked up, and how one is stored (in memory,
//! indexed, and in Redis), or taken from another instance.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use http::StatusCode;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::data::filled::DataFilled;
use crate::entry::{CacheEntry, CachedResponse, Lifetime};
use crate::index::EntryIndex;
use crate::metrics::{render_data_prometheus, SegmentMetrics};
use crate::revalidation::{Lookup, RevalidationCache};
#[cfg(feature = "redis")]
use crate::shared::{LockToken, SharedStore};
use crate::store::DynStore;
use crate::weight::entry_weight;

/// The segment index of data entries: none of the route table's, so the
/// timer and route revalidation pass them by.
pub const DATA_SEGMENT: usize = usize::MAX;

/// Values larger than this are handed back but not stored (Next.js keeps
/// no fetch over 2 MB either): one large answer must not push out
/// thousands of small ones.
pub const MAX_DATA_BYTES: usize = 2 * 1024 * 1024;

/// How one value is cached: its period and tags, given by the fetch or
/// memo that asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSpec {
    /// Fresh for this long; forever (until revalidated) when `None`.
    pub revalidate: Option<Duration>,
    /// The names `revalidate_tag` reaches it by.
    pub tags: Vec<String>,
    /// The path whose entry it was made for, if any: in Redis it joins the
    /// path's set, so that `revalidate_path` reaches it on every instance.
    pub path: Option<String>,
}

/// Where a key's refreshing stands.
#[derive(Debug, Clone, Copy)]
pub(super) enum RefreshState {
    Running,
    Backoff { until: Instant, failures: u32 },
}

/// Every data entry, over the store and shared tier of the response cache.
pub struct DataCache {
    store: DynStore,
    /// The response cache's second tier, with the `redis` feature.
    #[cfg(feature = "redis")]
    pub(super) shared: Option<Arc<SharedStore>>,
    pub(super) clock: Clock,
    /// The response cache's index: one for every entry of the store.
    pub(super) index: Arc<EntryIndex>,
    pub(super) metrics: Arc<SegmentMetrics>,
    /// Past this age a value is never served, not even stale.
    pub(super) expire: Duration,
    /// How long a caller waits for another's value before making its own.
    pub(super) lock_timeout: Duration,
    /// Values that callers wait for (misses, expired entries).
    pub(super) in_flight: DashMap<String, watch::Receiver<Option<DataFilled>>>,
    /// Background refreshes running or backing off after failures.
    pub(super) refreshing: DashMap<String, RefreshState>,
    /// Bumped whenever a value is stored in memory: a worker's recent
    /// values (`RecentData`) hold while it has not moved.
    pub(super) version: AtomicU64,
}

impl DataCache {
    /// The data cache beside `responses`, in its store and shared tier,
    /// indexed with its entries; values are never served past `expire`,
    /// and a caller waits for another's value up to `lock_timeout`.
    pub fn new(responses: &RevalidationCache, expire: Duration, lock_timeout: Duration) -> Self {
        DataCache {
            store: responses.store().clone(),
            #[cfg(feature = "redis")]
            shared: responses.shared().cloned(),
            clock: responses.clock().clone(),
            index: responses.index().clone(),
            metrics: Arc::default(),
            expire,
            lock_timeout,
            in_flight: DashMap::new(),
            refreshing: DashMap::new(),
            version: AtomicU64::new(0),
        }
    }

    /// Whether a value may be stored: a success (Next.js stores only
    /// those) no larger than [`MAX_DATA_BYTES`]. Anything else is handed
    /// to its caller and not kept; a refresh that makes one keeps the last
    /// good value.
    pub fn stores(value: &CachedResponse) -> bool {
        matches!(
            value.status,
            StatusCode::OK
                | StatusCode::NON_AUTHORITATIVE_INFORMATION
                | StatusCode::NO_CONTENT
                | StatusCode::PARTIAL_CONTENT
        ) && value.body.len() <= MAX_DATA_BYTES
    }

    /// What the data cache has done, counted as a segment's cache counts.
    pub fn metrics(&self) -> &SegmentMetrics {
        &self.metrics
    }

    /// The data cache's counters, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        render_data_prometheus(&self.metrics)
    }

    /// Looks `key` up and counts what it found.
    pub fn lookup(&self, key: &str) -> Lookup {
        let Some(entry) = self.store.get(key) else {
            return Lookup::Miss;
        };
        if entry.is_invalidated() {
            return Lookup::Invalidated(entry);
        }
        let now = self.clock.now();
        if entry.is_fresh(now) {
            SegmentMetrics::count(&self.metrics.hits);
            Lookup::Fresh(entry)
        } else if entry.is_past_expire(now) {
            Lookup::Miss
        } else {
            SegmentMetrics::count(&self.metrics.stale);
            Lookup::Stale(entry)
        }
    }

    /// Fresh: within its period, and not expired nor invalidated on demand.
    pub fn is_fresh(&self, entry: &CacheEntry) -> bool {
        !entry.is_invalidated() && entry.is_fresh(self.clock.now())
    }

    /// The stored value of `key`, if it is fresh.
    pub(super) fn usable(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.store.get(key).filter(|e| self.is_fresh(e))
    }

    fn lifetime(&self, spec: &DataSpec) -> Lifetime {
        Lifetime {
            revalidate: spec.revalidate,
            expire: self.expire,
        }
    }

    /// Stores `value` in memory and, with a shared tier, in Redis, where
    /// the write releases the key's lock.
    pub(super) fn store_value(
        &self,
        key: &str,
        value: CachedResponse,
        spec: &DataSpec,
        #[cfg(feature = "redis")] lock: Option<LockToken>,
    ) -> Arc<CacheEntry> {
        let lifetime = self.lifetime(spec);
        let entry = self.entry(value, self.clock.now(), lifetime, spec.tags.clone());
        #[cfg(feature = "redis")]
        self.write_shared(key, &entry, spec, lock);
        self.insert(key, entry)
    }

    pub(super) fn entry(
        &self,
        value: CachedResponse,
        made_at: Instant,
        lifetime: Lifetime,
        mut tags: Vec<String>,
    ) -> CacheEntry {
        tags.sort_unstable();
        tags.dedup();
        let metrics = self.metrics.clone();
        let value = value.compacted();
        CacheEntry::new(value, made_at, lifetime, DATA_SEGMENT, metrics, tags.into())
    }

    /// Puts `entry` in memory, indexed, unless the store turns it away (a
    /// new key while it is full); either way it serves its callers.
    pub(super) fn insert(&self, key: &str, entry: CacheEntry) -> Arc<CacheEntry> {
        let entry = Arc::new(entry);
        let stored = self
            .index
            .store(key, &entry, |key| self.store.insert(key, entry.clone()));
        match stored {
            true => {
                self.metrics.record_insert(entry_weight(key, &entry));
                self.version.fetch_add(1, Ordering::Release);
            }
            false => SegmentMetrics::count(&self.metrics.not_admitted),
        }
        entry
    }
}
