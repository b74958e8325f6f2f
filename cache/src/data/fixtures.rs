//! What the data cache's unit tests build their caches and values from.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::clock::Clock;
use crate::data::cache::{DataCache, DataSpec};
use crate::entry::CachedResponse;
use crate::memory::MemoryStore;
use crate::revalidation::RevalidationCache;

/// A 200 with `body` and no headers.
pub(super) fn value(body: &'static str) -> CachedResponse {
    CachedResponse {
        status: StatusCode::OK,
        headers: vec![],
        body: body.into(),
    }
}

/// A data cache on `clock`, beside the response cache it shares a store
/// with; values expire after an hour, waiters wait up to 5 s.
pub(super) fn data_cache(clock: &Clock) -> (Arc<DataCache>, RevalidationCache) {
    data_cache_with(clock, Duration::from_secs(5))
}

/// The same, its waiters waiting up to `lock_timeout`.
pub(super) fn data_cache_with(
    clock: &Clock,
    lock_timeout: Duration,
) -> (Arc<DataCache>, RevalidationCache) {
    let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(3600)));
    let responses = RevalidationCache::new(store, clock.clone(), []);
    let expire = Duration::from_secs(3600);
    let data = Arc::new(DataCache::new(&responses, expire, lock_timeout));
    (data, responses)
}

/// Stores `"1"` under `key`, as a fill completes it.
pub(super) fn stored(data: &DataCache, key: &str, spec: &DataSpec) {
    store(data, key, value("1"), spec);
}

/// Stores `value` under `key`, as a fill completes it (holding no lock in
/// Redis, with a shared tier).
pub(super) fn store(data: &DataCache, key: &str, value: CachedResponse, spec: &DataSpec) {
    data.store_value(
        key,
        value,
        spec,
        #[cfg(feature = "redis")]
        None,
    );
}
