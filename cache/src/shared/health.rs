//! `Health`: Redis's state as calls found it. A failing Redis is logged
//! once per outage, and then only one call a second tries it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a store that is down lets one call through to probe Redis.
pub(super) const PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(super) struct Health {
    down: AtomicBool,
    errors: AtomicU64,
    /// Milliseconds since `epoch` of the last probe while down.
    last_probe_ms: AtomicU64,
    epoch: EpochInstant,
}

struct EpochInstant(Instant);

impl Default for EpochInstant {
    fn default() -> Self {
        EpochInstant(Instant::now())
    }
}

impl Health {
    pub(super) fn should_try(&self) -> bool {
        if !self.down.load(Ordering::Relaxed) {
            return true;
        }
        let now = self.epoch.0.elapsed().as_millis() as u64;
        let last = self.last_probe_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= PROBE_INTERVAL.as_millis() as u64
            && self
                .last_probe_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    pub(super) fn failed(&self, reason: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            self.last_probe_ms
                .store(self.epoch.0.elapsed().as_millis() as u64, Ordering::Relaxed);
            tracing::warn!(
                reason,
                "Redis is unavailable: serving and regenerating from this instance's memory until it returns"
            );
        }
    }

    pub(super) fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis is back: the cache is shared again");
        }
    }

    /// Whether Redis answered the last call.
    pub(super) fn is_up(&self) -> bool {
        !self.down.load(Ordering::Relaxed)
    }

    /// Calls that failed or timed out, since start.
    pub(super) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_redis_is_probed_once_a_second_until_it_answers() {
        let health = Health::default();
        assert!(health.should_try());
        health.failed("refused");
        health.failed("refused again");
        assert_eq!(health.errors(), 2);
        assert!(!health.should_try(), "no call right after an outage began");
        let later = Health {
            epoch: EpochInstant(Instant::now() - PROBE_INTERVAL),
            ..Health::default()
        };
        later.down.store(true, Ordering::Relaxed);
        assert!(later.should_try(), "one probe once the interval passed");
        assert!(!later.should_try(), "and only one");
        later.succeeded();
        assert!(later.should_try());
    }
}
