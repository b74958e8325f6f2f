//! The shared tier seen from the data cache (the `redis` feature): before
//! an instance makes a value, it takes the one another instance stored, or
//! waits for (or yields to) the instance holding the key's lock in Redis,
//! or takes the lock itself; what it makes is written to Redis for the
//! others, as `revalidation/peers` does for responses.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::unix_millis;
use crate::data::cache::{DataCache, DataSpec, RefreshState};
use crate::data::fill::DataFillGuard;
use crate::data::filled::DataFilled;
use crate::data::refresh::DataRefreshGuard;
use crate::entry::{CacheEntry, Lifetime};
use crate::metrics::SegmentMetrics;
use crate::revalidation::PeerRefresh;
use crate::shared::{LockToken, PeerTurn, SharedEntry, SharedStore, SharedWrite};

/// How long a stale key waits while another instance refreshes it.
const PEER_RETRY: Duration = Duration::from_millis(250);

impl DataCache {
    /// Writes a value just stored in memory to Redis too, with a shared
    /// tier, where the write releases the key's lock.
    pub(super) fn write_shared(
        &self,
        key: &str,
        entry: &CacheEntry,
        spec: &DataSpec,
        lock: Option<LockToken>,
    ) {
        if let Some(shared) = &self.shared {
            shared.put_detached(SharedWrite {
                key: key.to_string(),
                path: spec.path.clone(),
                response: entry.response.clone(),
                made_unix_ms: unix_millis(),
                ttl: shared.ttl_for(entry.lifetime),
                lifetime: entry.lifetime,
                tags: spec.tags.clone(),
                lock,
            });
        }
    }

    /// Takes a value another instance stored into memory, with its age,
    /// lifetime and tags; `None` for one this cache would not have stored.
    fn adopt(&self, key: &str, shared: SharedEntry) -> Option<Arc<CacheEntry>> {
        if !DataCache::stores(&shared.response) {
            return None;
        }
        let now = self.clock.now();
        let made_at = now.checked_sub(shared.age()).unwrap_or(now);
        let lifetime = self.shared_lifetime(&shared);
        let entry = self.entry(shared.response, made_at, lifetime, shared.tags);
        if shared.expired {
            entry.expire();
        }
        SegmentMetrics::count(&self.metrics.shared);
        Some(self.insert(key, entry))
    }

    /// Lets another instance take `key`'s lock in Redis, if this one holds
    /// it.
    pub(super) fn release(&self, key: &str, lock: Option<LockToken>) {
        if let (Some(shared), Some(token)) = (&self.shared, lock) {
            shared.unlock_detached(key, token);
        }
    }

    fn shared_lifetime(&self, shared: &SharedEntry) -> Lifetime {
        shared.lifetime.unwrap_or(Lifetime {
            revalidate: None,
            expire: self.expire,
        })
    }

    /// Whether a value read from Redis is fresh by its own age and flags.
    fn is_fresh_shared(&self, shared: &SharedEntry) -> bool {
        !shared.expired
            && !shared.invalidated
            && self
                .shared_lifetime(shared)
                .revalidate
                .is_none_or(|period| shared.age() < period)
    }
}

impl DataFillGuard {
    /// With a shared tier, before making the value: one another instance
    /// stored (now in memory too), or `None` to make it here. Takes the
    /// key's lock in Redis, or waits for the instance holding it up to the
    /// lock's life; if Redis is down, makes it here at once.
    pub async fn from_peers(&mut self) -> Option<Arc<CacheEntry>> {
        let shared = self.cache.shared.clone()?;
        match shared
            .adopt_or_wait(&self.key, || self.adopt_usable(&shared))
            .await
        {
            Ok(entry) => Some(entry),
            Err(lock) => {
                self.lock = lock;
                None
            }
        }
    }

    async fn adopt_usable(&self, shared: &SharedStore) -> Option<Arc<CacheEntry>> {
        let found = shared.get(&self.key).await?;
        if found.invalidated || !self.cache.is_fresh_shared(&found) {
            return None;
        }
        self.cache.adopt(&self.key, found)
    }

    /// Hands an entry another instance made to every caller waiting.
    pub fn share(mut self, entry: &CacheEntry) {
        self.hand_over(DataFilled::Value(Arc::new(entry.response.clone())));
    }
}

impl DataRefreshGuard {
    /// With a shared tier, before making the value: takes a fresh one
    /// another instance stored, or yields to the instance refreshing it,
    /// or takes the key's lock and refreshes here.
    pub async fn from_peers(&mut self) -> PeerRefresh {
        let Some(shared) = self.cache.shared.clone() else {
            return PeerRefresh::Regenerate;
        };
        match shared
            .adopt_or_lock(&self.key, &|| self.adopt_fresh(&shared))
            .await
        {
            PeerTurn::Adopted(()) => {
                self.cache.refreshing.remove(&self.key);
                self.done = true;
                PeerRefresh::Adopted
            }
            PeerTurn::Locked(token) => {
                self.lock = Some(token);
                PeerRefresh::Regenerate
            }
            PeerTurn::HeldElsewhere => {
                self.done = true;
                self.cache.refreshing.insert(
                    self.key.clone(),
                    RefreshState::Backoff {
                        until: self.cache.clock.now() + PEER_RETRY,
                        failures: self.failures,
                    },
                );
                PeerRefresh::Yielded
            }
            PeerTurn::Unavailable => PeerRefresh::Regenerate,
        }
    }

    /// A fresh value a peer stored, taken into memory.
    async fn adopt_fresh(&self, shared: &SharedStore) -> Option<()> {
        let found = shared.get(&self.key).await?;
        if !self.cache.is_fresh_shared(&found) {
            return None;
        }
        self.cache.adopt(&self.key, found).map(drop)
    }
}
