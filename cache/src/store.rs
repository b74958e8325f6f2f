//! The `Store` trait: where cache entries live. In memory (moka) by default;
//! a shared store for several instances plugs in behind the same trait.

use std::sync::Arc;

use crate::entry::CacheEntry;

/// A key-value store of cache entries, bounded by its own budget.
pub trait Store: Send + Sync + 'static {
    fn get(&self, key: &str) -> Option<Arc<CacheEntry>>;

    /// Inserts or replaces the entry for `key`, and says whether it did: a
    /// store may turn away a key it does not hold (see
    /// [`MemoryStore`](crate::MemoryStore)), never a replacement.
    fn insert(&self, key: Arc<str>, entry: Arc<CacheEntry>) -> bool;

    /// Bytes held, by the store's weigher, once pending work is done.
    fn weighted_size(&self) -> u64;

    /// Does work the store defers. moka frees replaced entries in batches,
    /// after enough reads or writes; with hot keys answered from workers'
    /// recent hits, a store may see few of either, so the timer calls this
    /// every tick.
    fn run_pending_tasks(&self) {}

    /// Has `listener` told of every entry the store lets go of by itself
    /// (evicted, idle, replaced), so that the cache's index forgets it.
    /// One listener per store: the cache it was built for.
    fn on_removal(&self, _listener: RemovalListener) {}
}

/// Told the key and the entry a store let go of.
pub type RemovalListener = Box<dyn Fn(&str, &Arc<CacheEntry>) + Send + Sync>;

/// The store a cache uses: the live one or a test double.
pub type DynStore = Arc<dyn Store>;
