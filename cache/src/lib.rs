//! The revalidation cache of Trellis: each segment's cached GET responses,
//! kept fresh with stale-while-revalidate and regenerated once per key.
//!
//! # Layout
//!
//! - `revalidation`: [`RevalidationCache`] and [`SegmentCache`], the
//!   semantics: fresh, stale (one refresh), miss (collapsed), stale-if-error,
//!   revalidation by path and by tag, and what the timer finds due.
//! - `policy`: [`CachePolicy`] from a segment's config, `Cache-Control`, and
//!   [`CacheStatus`] (RFC 9211).
//! - `entry`: [`CacheEntry`] and [`CachedResponse`], what is stored, and
//!   whether a response may be (RFC 9111); [`Representations`], the forms
//!   an entry is sent in.
//! - `key`: what a cache key is made of (path, query, `Vary` variant), each
//!   resource spelled one way.
//! - `store`: the [`Store`] trait; `memory`: [`MemoryStore`] on moka, bounded
//!   by bytes; `weight`: what an entry costs in memory; `admission`: the
//!   doorkeeper that keeps keys seen once out of a full store.
//! - `index`: where the entries are (responses and data alike), by path,
//!   tag and deadline, so that revalidation and the timer touch only what
//!   they concern; `implicit_tags`: the tags the engine gives entries
//!   itself, which make revalidation by route pattern, and of the data a
//!   path was made from, tag revalidation.
//! - `data`: [`DataCache`], the values route functions fetch and memoize,
//!   in the same store, index and tiers as responses, with the same
//!   semantics, one file for each part (`data/`: looked up, made once,
//!   refreshed, keyed).
//! - `shared` (the `redis` feature): `SharedStore`, the second tier on
//!   Redis that several instances share: one regeneration per key,
//!   invalidation reaching all, within a byte budget, each entry read back
//!   checked (and, with a secret, its signature); `revalidation/peers` and
//!   `data/peers`, what a segment's and the data cache's fills do with it
//!   before making an entry.
//! - `clock`: [`Clock`], the time freshness is computed from.
//! - `metrics`: per-segment counters and their Prometheus text.

mod admission;
mod clock;
mod data;
mod entry;
mod implicit_tags;
mod index;
mod key;
mod memory;
mod metrics;
mod policy;
mod recent;
mod revalidation;
#[cfg(feature = "redis")]
mod shared;
mod store;
mod weight;

pub use clock::{unix_millis, Clock, ManualClock};
pub use data::{
    fetch_key, key_for_logs, memo_key, DataCache, DataFill, DataFillGuard, DataFilled,
    DataRefreshGuard, DataSpec, DataWaited, DataWaiter, RecentData, DATA_SEGMENT, MAX_DATA_BYTES,
};
pub use entry::{
    CacheEntry, CachedResponse, EntryScope, Lifetime, NotStored, Representation, Representations,
};
pub use implicit_tags::{page_tag, path_tag};
pub use key::{canonical_path, canonical_query, key_base, key_headers, key_path};
pub use memory::MemoryStore;
pub use metrics::SegmentMetrics;
pub use policy::{CachePolicy, CacheStatus, CACHE_STATUS, DEFAULT_EXPIRE};
pub use recent::RecentHits;
#[cfg(feature = "redis")]
pub use revalidation::PeerRefresh;
pub use revalidation::{
    Fill, FillGuard, Filled, Lookup, RefreshGuard, RevalidationCache, SegmentCache, SegmentSpec,
    Waited, Waiter,
};
#[cfg(feature = "redis")]
pub use shared::{SharedEvent, SharedOptions, SharedStore, SharedStoreError};
pub use store::{DynStore, RemovalListener, Store};
