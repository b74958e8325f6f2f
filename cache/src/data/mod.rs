//! The data cache: what route functions fetch (`trellis::fetch`) and
//! compute (`trellis::cache::memo`), cached apart from their responses but
//! in the same store (memory, and Redis when instances share), with what
//! routes have: fresh hits, stale entries served while one refresh runs,
//! misses made once for every caller waiting, stale-if-error with a
//! backoff, one regeneration per key across instances, and revalidation by
//! tag (and by path, through the path's tag) through the same index as
//! responses.
//!
//! The engine makes the values (it calls the upstream, it runs the memoized
//! function); this module decides when, as `revalidation` does for routes.
//! Data entries belong to no route: the timer never regenerates them (no
//! route function can), a request that finds one stale does.
//!
//! # Layout
//!
//! - `cache`: [`DataCache`] and [`DataSpec`]: the values, their lookup,
//!   their storing in both tiers, and what is stored at all.
//! - `fill`: a missing or expired value made once ([`DataFillGuard`]) for
//!   every caller waiting ([`DataWaiter`]), who are handed a
//!   [`DataFilled`] (`filled`).
//! - `refresh`: a stale value's one background refresh
//!   ([`DataRefreshGuard`]), and the backoff after failures.
//! - `peers` (the `redis` feature): what a fill and a refresh do with the
//!   shared tier first (another instance's value, or its lock), and the
//!   write of each value made to Redis.
//! - `recent`: [`RecentData`], one worker's fresh values of a moment ago,
//!   so that a hit skips moka.
//! - `key`: the keys of fetches and memos, and how logs show them.

mod cache;
mod fill;
mod filled;
mod key;
#[cfg(feature = "redis")]
mod peers;
mod recent;
mod refresh;

#[cfg(test)]
mod fixtures;

pub use cache::{DataCache, DataSpec, DATA_SEGMENT, MAX_DATA_BYTES};
pub use fill::{DataFill, DataFillGuard, DataWaited, DataWaiter};
pub use filled::DataFilled;
pub use key::{fetch_key, key_for_logs, memo_key};
pub use recent::RecentData;
pub use refresh::DataRefreshGuard;
