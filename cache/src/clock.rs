//! The cache's notion of "now". Freshness is computed from this clock, never
//! from moka's own expiry, so tests can move time forward without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the cache reads the time.
///
/// ```
/// use std::time::Duration;
/// use trellis_cache::Clock;
///
/// let clock = Clock::manual();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(3));
/// assert_eq!(clock.now() - before, Duration::from_secs(3));
/// ```
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The real monotonic clock.
    #[default]
    System,
    /// A clock that moves only when told to (tests, simulations).
    Manual(Arc<ManualClock>),
}

#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    offset_ms: AtomicU64,
}

impl Clock {
    pub fn manual() -> Self {
        Clock::Manual(Arc::new(ManualClock {
            start: Instant::now(),
            offset_ms: AtomicU64::new(0),
        }))
    }

    pub fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            Clock::Manual(m) => {
                m.start + Duration::from_millis(m.offset_ms.load(Ordering::Acquire))
            }
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: Duration) {
        match self {
            Clock::System => tracing::warn!("Clock::advance on the system clock does nothing"),
            Clock::Manual(m) => {
                let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
                m.offset_ms.fetch_add(ms, Ordering::AcqRel);
            }
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch, as JavaScript's
/// `Date.now()` gives them: what instances sharing a cache compare, and
/// what `trellis::time::unix_millis` hands route functions.
///
/// ```
/// assert!(trellis_cache::unix_millis() > 1_700_000_000_000);
/// ```
pub fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
