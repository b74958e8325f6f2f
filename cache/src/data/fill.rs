//! A missing or expired value, made once for every caller waiting: the
//! first caller leads ([`DataFillGuard`]), the others wait for what it
//! hands over ([`DataWaiter`]), up to the lock timeout; with a shared tier,
//! the leader first takes what another instance made, or waits for it
//! (`peers`).

use std::sync::Arc;
use std::time::Duration;

use dashmap::mapref::entry::Entry;
use tokio::sync::watch;

use crate::data::cache::{DataCache, DataSpec};
use crate::data::filled::DataFilled;
use crate::entry::{CacheEntry, CachedResponse};
use crate::metrics::SegmentMetrics;
#[cfg(feature = "redis")]
use crate::shared::LockToken;

/// The outcome of [`DataCache::fill`].
pub enum DataFill {
    /// Make the value, then complete the guard.
    Lead(DataFillGuard),
    /// Another caller is making it: wait for its value.
    Wait(DataWaiter),
    /// A value was stored meanwhile: use it.
    Ready(Arc<CacheEntry>),
}

impl DataCache {
    /// For a miss or an expired entry: make the value of `key` for every
    /// caller waiting, or wait for the one making it.
    pub fn fill(self: &Arc<Self>, key: &str) -> DataFill {
        match self.in_flight.entry(key.to_string()) {
            Entry::Occupied(running) => {
                SegmentMetrics::count(&self.metrics.collapsed);
                DataFill::Wait(DataWaiter {
                    filled: running.get().clone(),
                    timeout: self.lock_timeout,
                })
            }
            Entry::Vacant(vacant) => {
                // A leader that finished between our lookup and now stored
                // its value before leaving the map: use it.
                if let Some(entry) = self.usable(key) {
                    return DataFill::Ready(entry);
                }
                SegmentMetrics::count(&self.metrics.misses);
                let (sender, receiver) = watch::channel(None);
                vacant.insert(receiver);
                DataFill::Lead(DataFillGuard {
                    cache: self.clone(),
                    key: key.to_string(),
                    sender: Some(sender),
                    #[cfg(feature = "redis")]
                    lock: None,
                })
            }
        }
    }
}

/// Waits for another caller's value, up to the lock timeout.
pub struct DataWaiter {
    filled: watch::Receiver<Option<DataFilled>>,
    timeout: Duration,
}

/// What a caller waiting for another's value learned.
#[derive(Debug)]
pub enum DataWaited {
    /// The value made, or why making it failed.
    Filled(DataFilled),
    /// Its maker gave up without either: look up again, and maybe lead.
    Abandoned,
    /// Its maker took longer than the lock timeout: make your own, and
    /// store nothing, as the maker's is still on its way.
    TimedOut,
}

impl DataWaiter {
    /// Waits for the maker's outcome, on the runtime's clock (not the
    /// cache's: this bounds how long a visitor waits).
    pub async fn wait(mut self) -> DataWaited {
        let filled = self.filled.wait_for(Option::is_some);
        match tokio::time::timeout(self.timeout, filled).await {
            Ok(Ok(filled)) => filled
                .clone()
                .map_or(DataWaited::Abandoned, DataWaited::Filled),
            Ok(Err(_)) => DataWaited::Abandoned,
            Err(_) => DataWaited::TimedOut,
        }
    }
}

/// The one making of a value that callers wait for.
pub struct DataFillGuard {
    pub(super) cache: Arc<DataCache>,
    pub(super) key: String,
    sender: Option<watch::Sender<Option<DataFilled>>>,
    /// The key's lock in Redis, when this instance makes the value for all.
    #[cfg(feature = "redis")]
    pub(super) lock: Option<LockToken>,
}

impl DataFillGuard {
    /// Stores `value` if it may be stored, and hands it to every caller
    /// waiting either way; true when it was stored.
    pub fn complete(mut self, value: CachedResponse, spec: &DataSpec) -> bool {
        let stored = DataCache::stores(&value);
        if stored {
            self.cache.store_value(
                &self.key,
                value.clone(),
                spec,
                #[cfg(feature = "redis")]
                self.lock.take(),
            );
        }
        self.hand_over(DataFilled::Value(Arc::new(value)));
        stored
    }

    /// Making the value failed: every caller waiting is told why (each
    /// falls back on the stale value it found, if it found one).
    pub fn fail(mut self, reason: &str) {
        self.hand_over(DataFilled::Failed(Arc::from(reason)));
    }

    pub(super) fn hand_over(&mut self, filled: DataFilled) {
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(filled));
        }
    }
}

impl Drop for DataFillGuard {
    /// Leaves the map last, after the value is stored, so that no caller
    /// can find neither the value nor a making of it to wait for.
    fn drop(&mut self) {
        #[cfg(feature = "redis")]
        self.cache.release(&self.key, self.lock.take());
        self.cache.in_flight.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::data::fixtures::{data_cache, data_cache_with};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime for the test")
            .block_on(future)
    }

    #[test]
    fn waiters_get_the_leaders_value_or_its_failure() {
        let clock = Clock::manual();
        let (data, _) = data_cache(&clock);
        let DataFill::Lead(guard) = data.fill("k") else {
            panic!("leads");
        };
        let DataFill::Wait(waiter) = data.fill("k") else {
            panic!("waits");
        };
        guard.fail("refused");
        match block_on(waiter.wait()) {
            DataWaited::Filled(DataFilled::Failed(reason)) => assert_eq!(&*reason, "refused"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_waiter_stops_waiting_at_the_lock_timeout() {
        let (data, _) = data_cache_with(&Clock::manual(), Duration::from_millis(10));
        let DataFill::Lead(_guard) = data.fill("k") else {
            panic!("leads");
        };
        let DataFill::Wait(waiter) = data.fill("k") else {
            panic!("waits");
        };
        assert!(matches!(block_on(waiter.wait()), DataWaited::TimedOut));
    }
}
