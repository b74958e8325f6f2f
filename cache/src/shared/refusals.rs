//! `Refusals`: entries read from Redis and not taken (unreadable, made in
//! the future, unsigned or wrongly signed). Each is counted; each key is
//! logged once, at debug, as long as it is remembered: a stray key read
//! on every request must not flood the log.

use std::sync::atomic::{AtomicU64, Ordering};

use super::entry::Refusal;

/// Keys remembered as logged, at most: a bound on memory, whatever is in
/// Redis. A key forgotten may be logged again.
const REMEMBERED_KEYS: u64 = 10_000;

pub(super) struct Refusals {
    count: AtomicU64,
    logged: moka::sync::Cache<String, ()>,
}

impl Default for Refusals {
    fn default() -> Self {
        Refusals {
            count: AtomicU64::new(0),
            logged: moka::sync::Cache::new(REMEMBERED_KEYS),
        }
    }
}

impl Refusals {
    pub(super) fn refused(&self, key: &str, refusal: Refusal) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if self.logged.entry(key.to_string()).or_insert(()).is_fresh() {
            tracing::debug!(
                key,
                reason = refusal.reason(),
                "ignoring an entry in Redis: a miss for this key"
            );
        }
    }

    /// Entries refused, since start.
    pub(super) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}
