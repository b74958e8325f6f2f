//! The default store: moka, bounded by what its entries cost in memory,
//! dropping entries nobody asks for after a time-to-idle, and letting a
//! new key in only on its second try once it is full.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::sync::Cache;

use crate::admission::Doorkeeper;
use crate::entry::CacheEntry;
use crate::store::{RemovalListener, Store};
use crate::weight::entry_weight;

/// Entries in memory.
///
/// moka's own clock decides only idleness and eviction here; freshness is
/// computed from the cache's [`Clock`](crate::Clock), so tests can move it.
pub struct MemoryStore {
    entries: Cache<Arc<str>, Arc<CacheEntry>, foldhash::quality::RandomState>,
    /// Bytes held by this store's own count: raised before an entry goes
    /// in, lowered when moka reports it gone. Never below moka's own count,
    /// so room here is room there: a key let in freely evicts nothing.
    held: Arc<AtomicU64>,
    /// Past this count new keys meet the doorkeeper: a sixteenth below the
    /// budget, for the inserts that each saw room at the same moment.
    door: u64,
    doorkeeper: Doorkeeper,
    listener: Arc<OnceLock<RemovalListener>>,
}

impl MemoryStore {
    /// A store holding at most `budget_bytes`, by each entry's weight.
    pub fn new(budget_bytes: u64, time_to_idle: Duration) -> Self {
        let held = Arc::new(AtomicU64::new(0));
        let listener: Arc<OnceLock<RemovalListener>> = Arc::default();
        let (gone, told) = (held.clone(), listener.clone());
        let entries = Cache::builder()
            .max_capacity(budget_bytes)
            .weigher(|key: &Arc<str>, entry: &Arc<CacheEntry>| {
                u32::try_from(entry_weight(key, entry)).unwrap_or(u32::MAX)
            })
            .time_to_idle(time_to_idle)
            .eviction_listener(move |key: Arc<Arc<str>>, entry: Arc<CacheEntry>, cause| {
                let weight = entry_weight(&key, &entry);
                let _ = gone.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                    Some(held.saturating_sub(weight as u64))
                });
                let evicted = matches!(cause, RemovalCause::Size | RemovalCause::Expired);
                entry.metrics.record_removal(weight, evicted);
                if let Some(listener) = told.get() {
                    listener(&key, &entry);
                }
            })
            // Seeded per process, so keys cannot be chosen to collide, and
            // several times cheaper than SipHash on every hit.
            .build_with_hasher(foldhash::quality::RandomState::default());
        MemoryStore {
            entries,
            held,
            door: budget_bytes - budget_bytes / 16,
            doorkeeper: Doorkeeper::new(),
            listener,
        }
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.entries.get(key)
    }

    /// A key not held yet, while the store is full, comes in only if the
    /// doorkeeper saw it turned away before. `contains_key` is no read for
    /// moka: asking does not make a key look popular.
    fn insert(&self, key: Arc<str>, entry: Arc<CacheEntry>) -> bool {
        let weight = entry_weight(&key, &entry) as u64;
        let room = self.held.load(Ordering::Relaxed).saturating_add(weight) <= self.door;
        if !room && !self.entries.contains_key(&*key) && !self.doorkeeper.seen_before(&key) {
            return false;
        }
        self.held.fetch_add(weight, Ordering::Relaxed);
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
