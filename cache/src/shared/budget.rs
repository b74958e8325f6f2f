//! `WriteBudget`: Redis holds at most `[cache] shared_budget_bytes`. An
//! entry is written only while Redis's memory use, as last counted, leaves
//! room for it; otherwise it stays in this instance's memory alone.
//!
//! Redis's own count (`used_memory` of `INFO memory`) is read at most once
//! a second, by a write, never on a request's path; between two reads the
//! bytes this instance writes are added to the last count, so a burst of
//! writes stops at the budget without waiting for the next read. Other
//! instances' writes in that second are what the count can miss: the
//! bound is the budget plus, at most, a second of their writes. Evicting
//! our own entries instead (the policy `maxmemory` leaves to Redis) would
//! need Redis configured for it, which a Redis shared with others is not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::RedisResult;

use super::throttle::Throttle;

/// How often Redis's memory use is read.
const MEMORY_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Redis's bytes for one entry beyond its response and keys: the hash and
/// its expiry, the path's sorted set, a member in each tag's. About 700
/// on Redis 7.0; the next read of `used_memory` corrects any error.
pub(super) const ENTRY_OVERHEAD: u64 = 700;

pub(super) struct WriteBudget {
    limit: u64,
    /// Redis's `used_memory` at the last read, plus what this instance
    /// wrote since.
    used: AtomicU64,
    /// Whether Redis was full at the last read, to log the change once.
    full: AtomicBool,
    skipped: AtomicU64,
    check: Throttle,
    /// Whether the warning that `INFO` cannot be read was given.
    warned_unreadable: AtomicBool,
}

impl WriteBudget {
    pub(super) fn new(limit: u64) -> Self {
        WriteBudget {
            limit,
            used: AtomicU64::new(0),
            full: AtomicBool::new(false),
            skipped: AtomicU64::new(0),
            check: Throttle::new(MEMORY_CHECK_INTERVAL),
            warned_unreadable: AtomicBool::new(false),
        }
    }

    /// Whether Redis has room for anything, as last counted: a lock taken
    /// for an entry that cannot be written would only make the other
    /// instances wait.
    pub(super) fn has_room(&self) -> bool {
        self.used.load(Ordering::Relaxed) < self.limit
    }

    /// Whether an entry of `bytes` may be written, counting it if so.
    /// Reads Redis's count first when the last read is a second old.
    pub(super) async fn admit(&self, conn: &mut ConnectionManager, bytes: u64) -> bool {
        if self.check.pass() {
            self.recount(conn).await;
        }
        let admitted = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used.saturating_add(bytes) <= self.limit).then(|| used + bytes)
            })
            .is_ok();
        if !admitted {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    async fn recount(&self, conn: &mut ConnectionManager) {
        let info: RedisResult<String> = redis::cmd("INFO").arg("memory").query_async(conn).await;
        let Some(used) = info.ok().as_deref().and_then(used_memory) else {
            // Then the count goes on from this instance's writes alone: a
            // bound still, if a looser one. An outage shows in the write.
            if !self.warned_unreadable.swap(true, Ordering::Relaxed) {
                tracing::warn!("cannot read Redis's memory use (INFO memory): [cache] shared_budget_bytes counts this instance's writes only");
            }
            return;
        };
        self.used.store(used, Ordering::Relaxed);
        let full = used >= self.limit;
        if self.full.swap(full, Ordering::Relaxed) != full {
            match full {
                true => tracing::warn!(used, budget = self.limit, "Redis is at [cache] shared_budget_bytes: new entries stay in this instance's memory until it has room"),
                false => tracing::info!(used, budget = self.limit, "Redis has room again: new entries are shared"),
            }
        }
    }

    /// Redis's memory use as last counted.
    pub(super) fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Entries not written for want of room, since start.
    pub(super) fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }
}

/// `used_memory` from the text of `INFO memory`.
fn used_memory(info: &str) -> Option<u64> {
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_memory_is_read_from_the_info_text() {
        let info = "# Memory\r\nused_memory:1311768\r\nused_memory_human:1.25M\r\n";
        assert_eq!(used_memory(info), Some(1_311_768));
        assert_eq!(used_memory("# Memory\r\n"), None);
    }
}
