//! A stale value's one background refresh ([`DataRefreshGuard`]): never two
//! at once for a key, across instances too; a failed one keeps the last
//! good value (stale-if-error) and waits a backoff that doubles with each
//! failure before the next try.

use std::sync::Arc;
use std::time::Duration;

use dashmap::mapref::entry::Entry;

use crate::data::cache::{DataCache, DataSpec, RefreshState};
use crate::data::key::key_for_logs;
use crate::entry::CachedResponse;
use crate::metrics::SegmentMetrics;
#[cfg(feature = "redis")]
use crate::shared::LockToken;

/// The longest a failing key waits before its next refresh attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl DataCache {
    /// For a stale entry: the right to run its one background refresh,
    /// unless one runs, the key is backing off after failures, or a
    /// refresh just finished.
    pub fn refresh(self: &Arc<Self>, key: &str) -> Option<DataRefreshGuard> {
        let now = self.clock.now();
        let failures = match self.refreshing.entry(key.to_string()) {
            Entry::Occupied(mut state) => match *state.get() {
                RefreshState::Running => return None,
                RefreshState::Backoff { until, .. } if now < until => return None,
                RefreshState::Backoff { failures, .. } => {
                    state.insert(RefreshState::Running);
                    failures
                }
            },
            Entry::Vacant(vacant) => {
                if self.usable(key).is_some() {
                    return None;
                }
                vacant.insert(RefreshState::Running);
                0
            }
        };
        Some(DataRefreshGuard {
            cache: self.clone(),
            key: key.to_string(),
            failures,
            done: false,
            #[cfg(feature = "redis")]
            lock: None,
        })
    }

    /// Drops the backoff states of failed refreshes that are over and
    /// whose key has left the store: nothing would ever read them again.
    pub fn prune_backoffs(&self) {
        let now = self.clock.now();
        self.refreshing.retain(|key, state| match state {
            RefreshState::Backoff { until, .. } if *until <= now => self.index.contains(key),
            _ => true,
        });
    }
}

/// The one background refresh of a stale value.
pub struct DataRefreshGuard {
    pub(super) cache: Arc<DataCache>,
    pub(super) key: String,
    pub(super) failures: u32,
    pub(super) done: bool,
    /// The key's lock in Redis, when this instance refreshes it for all.
    #[cfg(feature = "redis")]
    pub(super) lock: Option<LockToken>,
}

impl DataRefreshGuard {
    /// Stores the new value, or, if it may not be stored (a 5xx, a 404),
    /// keeps the last good one and backs off.
    pub fn complete(mut self, value: CachedResponse, spec: &DataSpec) {
        if !DataCache::stores(&value) {
            let reason = format!("the value may not be stored ({})", value.status);
            return self.fail(&reason);
        }
        self.cache.store_value(
            &self.key,
            value,
            spec,
            #[cfg(feature = "redis")]
            self.lock.take(),
        );
        SegmentMetrics::count(&self.cache.metrics.refreshes);
        self.cache.refreshing.remove(&self.key);
        self.done = true;
    }

    /// Keeps serving the last good value (stale-if-error) and retries after
    /// a backoff that doubles with each failure.
    pub fn fail(mut self, reason: &str) {
        self.record_failure(reason);
    }

    fn record_failure(&mut self, reason: &str) {
        #[cfg(feature = "redis")]
        self.cache.release(&self.key, self.lock.take());
        if self.done {
            return;
        }
        self.done = true;
        let failures = self.failures.saturating_add(1);
        let backoff = Duration::from_secs(1 << self.failures.min(6)).min(MAX_BACKOFF);
        SegmentMetrics::count(&self.cache.metrics.failed_refreshes);
        tracing::warn!(
            key = key_for_logs(&self.key),
            reason,
            retry_in = ?backoff,
            "data refresh failed; serving the last good value"
        );
        self.cache.refreshing.insert(
            self.key.clone(),
            RefreshState::Backoff {
                until: self.cache.clock.now() + backoff,
                failures,
            },
        );
    }
}

impl Drop for DataRefreshGuard {
    fn drop(&mut self) {
        self.record_failure("the refresh was dropped before it finished");
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::clock::Clock;
    use crate::data::fixtures::{data_cache, stored, value};
    use crate::revalidation::Lookup;

    #[test]
    fn a_value_is_fresh_for_its_period_then_stale_then_refreshed_once() {
        let clock = Clock::manual();
        let (data, _) = data_cache(&clock);
        let spec = DataSpec {
            revalidate: Some(Duration::from_secs(5)),
            ..DataSpec::default()
        };
        stored(&data, "fetch:GET /x", &spec);
        assert!(matches!(data.lookup("fetch:GET /x"), Lookup::Fresh(_)));
        clock.advance(Duration::from_secs(5));
        assert!(matches!(data.lookup("fetch:GET /x"), Lookup::Stale(_)));
        let refresh = data.refresh("fetch:GET /x").expect("the first refresh");
        assert!(data.refresh("fetch:GET /x").is_none(), "one at a time");
        refresh.complete(value("2"), &spec);
        match data.lookup("fetch:GET /x") {
            Lookup::Fresh(entry) => assert_eq!(entry.response.body, "2"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_refresh_keeps_the_value_and_backs_off() {
        let clock = Clock::manual();
        let (data, _) = data_cache(&clock);
        let spec = DataSpec {
            revalidate: Some(Duration::from_secs(1)),
            ..DataSpec::default()
        };
        stored(&data, "memo:f:[1]", &spec);
        clock.advance(Duration::from_secs(2));
        data.refresh("memo:f:[1]").unwrap().fail("upstream down");
        assert!(matches!(data.lookup("memo:f:[1]"), Lookup::Stale(_)));
        assert!(data.refresh("memo:f:[1]").is_none(), "backing off");
        clock.advance(Duration::from_secs(1));
        let retry = data.refresh("memo:f:[1]").expect("after the backoff");
        retry.complete(
            CachedResponse {
                status: StatusCode::BAD_GATEWAY,
                ..value("")
            },
            &spec,
        );
        match data.lookup("memo:f:[1]") {
            Lookup::Stale(entry) => assert_eq!(entry.response.body, "1", "the last good"),
            other => panic!("{other:?}"),
        }
    }
}
