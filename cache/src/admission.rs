//! The door of a full memory store: a key it does not hold comes in only
//! the second time it is offered, so a flood of keys each asked for once
//! (junk URLs, a crawler's scan) pushes nothing out.
//!
//! Why not leave it to moka's own admission (TinyLFU), which admits a new
//! key when its estimated frequency beats the summed frequencies of the
//! entries it would evict from the LRU end? Read in moka 0.12's source
//! (`sync/base_cache.rs`: `admit`, `enable_frequency_sketch`), two things
//! defeat it here. Its frequency sketch starts counting only once the
//! store is half full, sized to the entries then held, a few hundred for
//! large entries, so the flood's keys, each counted once on its miss,
//! crowd its counters. And a hot key answered from the workers'
//! [`RecentHits`](crate::RecentHits) reaches moka once a second per
//! worker: it drifts to the LRU end with a count the noise matches, and is
//! the first victim. A key that has to come twice cannot push anything out
//! by coming once, whatever the sketch says; a popular key comes twice
//! within moments, and the cost is one regeneration more for a new key
//! while the store is full.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Keys remembered as seen once. A newer key takes an older one's slot:
/// under a flood of 10,000 new keys a second, a key seen once is still
/// remembered a second later more than four times out of five.
const SLOTS: usize = 1 << 16;

/// Remembers keys turned away, by a 64-bit fingerprint per slot (512 KiB).
pub(crate) struct Doorkeeper {
    seen: Box<[AtomicU64]>,
    /// Seeded per process, so no one can choose keys that share a slot.
    hasher: foldhash::quality::RandomState,
}

impl Doorkeeper {
    pub(crate) fn new() -> Self {
        Doorkeeper {
            seen: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: foldhash::quality::RandomState::default(),
        }
    }

    /// Whether `key` was turned away before, and so comes in now;
    /// otherwise it is remembered, to come in next time.
    pub(crate) fn seen_before(&self, key: &str) -> bool {
        // Never 0, which marks an empty slot.
        let fingerprint = self.hasher.hash_one(key) | 1;
        let slot = &self.seen[(fingerprint >> 48) as usize % SLOTS];
        if slot.load(Ordering::Relaxed) == fingerprint {
            slot.store(0, Ordering::Relaxed);
            return true;
        }
        slot.store(fingerprint, Ordering::Relaxed);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_comes_in_the_second_time_and_then_needs_two_again() {
        let door = Doorkeeper::new();
        assert!(!door.seen_before("/junk/1"));
        assert!(door.seen_before("/junk/1"));
        assert!(!door.seen_before("/junk/1"));
        assert!(door.seen_before("/junk/1"));
    }
}
