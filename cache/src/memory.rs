//! The default store: moka, bounded by what its entries cost in memory,
//! and dropping entries nobody asks for after a time-to-idle.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::sync::Cache;

use crate::entry::CacheEntry;
use crate::store::{RemovalListener, Store};
use crate::weight::entry_weight;

/// Entries in memory.
///
/// moka's own clock decides only idleness and eviction here; freshness is
/// computed from the cache's [`Clock`](crate::Clock), so tests can move it.
pub struct MemoryStore {
    entries: Cache<Arc<str>, Arc<CacheEntry>, foldhash::quality::RandomState>,
    listener: Arc<OnceLock<RemovalListener>>,
}

impl MemoryStore {
    /// A store holding at most `budget_bytes`, by each entry's weight.
    pub fn new(budget_bytes: u64, time_to_idle: Duration) -> Self {
        let listener: Arc<OnceLock<RemovalListener>> = Arc::default();
        let told = listener.clone();
        let entries = Cache::builder()
            .max_capacity(budget_bytes)
            .weigher(|key: &Arc<str>, entry: &Arc<CacheEntry>| {
                u32::try_from(entry_weight(key, entry)).unwrap_or(u32::MAX)
            })
            .time_to_idle(time_to_idle)
            .eviction_listener(move |key: Arc<Arc<str>>, entry: Arc<CacheEntry>, cause| {
                let evicted = matches!(cause, RemovalCause::Size | RemovalCause::Expired);
                entry
                    .metrics
                    .record_removal(entry_weight(&key, &entry), evicted);
                if let Some(listener) = told.get() {
                    listener(&key, &entry);
                }
            })
            // Seeded per process, so keys cannot be chosen to collide, and
            // several times cheaper than SipHash on every hit.
            .build_with_hasher(foldhash::quality::RandomState::default());
        MemoryStore { entries, listener }
    }
}

impl Store for MemoryStore {
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
        if self.listener.set(listener).is_err() {
            tracing::warn!("a second removal listener on one memory store is ignored");
        }
    }
}
