//! The `Store` trait: where cache entries live. In memory (moka) by default;
//! a shared store for several instances plugs in behind the same trait.

use std::sync::Arc;

use crate::entry::CacheEntry;

/// A key-value store of cache entries, bounded by its own budget.
pub trait Store: Send + Sync + 'static {
    fn get(&self, key: &str) -> Option<Arc<CacheEntry>>;

    /// Inserts or replaces the entry for `key`.
    fn insert(&self, key: String, entry: Arc<CacheEntry>);

    /// Calls `visit` for every entry; for the timer and tag revalidation.
    fn for_each(&self, visit: &mut dyn FnMut(&str, &Arc<CacheEntry>));

    /// Bytes held, by the store's weigher, once pending work is done.
    fn weighted_size(&self) -> u64;

    /// Does work the store defers. moka frees replaced entries in batches,
    /// after enough reads or writes; with hot keys answered from workers'
    /// recent hits, a store may see few of either, so the timer calls this
    /// every tick.
    fn run_pending_tasks(&self) {}
}

/// The store a cache uses: the live one or a test double.
pub type DynStore = Arc<dyn Store>;
