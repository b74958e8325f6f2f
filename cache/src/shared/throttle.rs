//! `Throttle`: lets one caller through per interval, across threads and
//! without a lock: for probing a Redis that is down, for reading its
//! memory use, and for warnings that could otherwise flood the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(super) struct Throttle {
    epoch: Instant,
    /// Milliseconds since `epoch`, plus one interval, of the last pass: so
    /// that 0 lets the first caller through at once.
    last_ms: AtomicU64,
    interval_ms: u64,
}

impl Throttle {
    pub(super) fn new(interval: Duration) -> Self {
        Throttle {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            interval_ms: interval.as_millis() as u64,
        }
    }

    /// Whether this caller may go: at most one per interval.
    pub(super) fn pass(&self) -> bool {
        self.pass_at(Instant::now())
    }

    pub(super) fn pass_at(&self, now: Instant) -> bool {
        let now = self.millis(now);
        let last = self.last_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.interval_ms
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Starts an interval now: nobody passes until it is over.
    pub(super) fn hold(&self) {
        self.last_ms
            .store(self.millis(Instant::now()), Ordering::Relaxed);
    }

    fn millis(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_millis() as u64 + self.interval_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_caller_passes_per_interval() {
        let throttle = Throttle::new(Duration::from_secs(1));
        assert!(throttle.pass(), "the first at once");
        assert!(!throttle.pass(), "not a second within the interval");
        let later = Instant::now() + Duration::from_secs(1);
        assert!(throttle.pass_at(later));
        assert!(!throttle.pass_at(later));
    }

    #[test]
    fn a_held_throttle_lets_nobody_through_until_the_interval_is_over() {
        let throttle = Throttle::new(Duration::from_secs(1));
        throttle.hold();
        assert!(!throttle.pass());
        assert!(throttle.pass_at(Instant::now() + Duration::from_secs(1)));
    }
}
