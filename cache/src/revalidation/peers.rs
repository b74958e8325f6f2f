//! The shared tier seen from one segment (the `redis` feature): before an
//! instance regenerates a key, it takes the entry another instance made,
//! or waits for (or yields to) the instance holding the key's lock in
//! Redis, or takes the lock itself; what it makes is written to Redis for
//! the others.

use std::sync::Arc;
use std::time::Duration;

use super::{
    CacheEntry, DynStore, EntryScope, FillGuard, Filled, Lifetime, RefreshGuard, RefreshState,
    RevalidationCache, SegmentCache, SegmentMetrics, SegmentSpec,
};
use crate::clock::{unix_millis, Clock};
use crate::key::key_path;
use crate::shared::{LockToken, PeerTurn, SharedEntry, SharedStore, SharedWrite};

/// How long a stale key waits while another instance refreshes it.
const PEER_RETRY: Duration = Duration::from_millis(250);

impl RevalidationCache {
    /// A cache with `shared` as its second tier, if given.
    pub fn tiered(
        store: DynStore,
        shared: Option<Arc<SharedStore>>,
        clock: Clock,
        segments: impl IntoIterator<Item = SegmentSpec>,
    ) -> Self {
        Self::build(store, shared, clock, segments)
    }

    /// The second tier, when instances share their cache.
    pub fn shared(&self) -> Option<&Arc<SharedStore>> {
        self.shared.as_ref()
    }
}

impl SegmentCache {
    /// Writes a regenerated entry to Redis, with a shared tier (its
    /// lifetime and tags too), releasing the lock held for it there.
    pub(super) fn write_shared(&self, key: &str, entry: &CacheEntry, lock: Option<LockToken>) {
        if let Some(shared) = &self.shared {
            shared.put_detached(SharedWrite {
                key: key.to_string(),
                path: Some(key_path(key).to_string()),
                response: entry.response.clone(),
                made_unix_ms: unix_millis(),
                ttl: shared.ttl_for(entry.lifetime),
                lifetime: entry.lifetime,
                tags: entry.tags.to_vec(),
                lock,
            });
        }
    }

    /// Lets go of a Redis lock that no write released.
    pub(super) fn release(&self, key: &str, lock: Option<LockToken>) {
        if let (Some(shared), Some(token)) = (&self.shared, lock) {
            shared.unlock_detached(key, token);
        }
    }

    /// Takes an entry another instance made into memory, with its age,
    /// lifetime and tags; `None` for one no instance of this app would have
    /// stored (written by something else sharing the Redis): it is checked
    /// as if new.
    fn adopt(&self, key: &str, shared: SharedEntry) -> Option<Arc<CacheEntry>> {
        if let Some(why) = shared.response.not_storable() {
            tracing::warn!(route = %self.spec.route, key, reason = why.detail(), "ignoring an entry in Redis that may not be shared");
            return None;
        }
        let now = self.clock.now();
        let made_at = now.checked_sub(shared.age()).unwrap_or(now);
        let lifetime = self.shared_lifetime(&shared);
        // An entry written without its tags has its route's.
        let tags = match shared.tags.is_empty() {
            true => self.entry_tags.clone(),
            false => shared.tags.into(),
        };
        let entry = self.entry(shared.response, made_at, lifetime, tags);
        if shared.expired {
            entry.expire();
        }
        SegmentMetrics::count(&self.metrics.shared);
        Some(self.insert(key, entry).0)
    }

    /// The lifetime an entry read from Redis was stored with; its route's
    /// for one written without it.
    fn shared_lifetime(&self, shared: &SharedEntry) -> Lifetime {
        shared
            .lifetime
            .unwrap_or_else(|| self.lifetime_for(&shared.response, &EntryScope::default()))
    }

    /// Whether an entry read from Redis is fresh by its own age and flags.
    fn is_fresh_shared(&self, shared: &SharedEntry) -> bool {
        !shared.expired
            && !shared.invalidated
            && self
                .shared_lifetime(shared)
                .revalidate
                .is_none_or(|p| shared.age() < p)
    }
}

impl FillGuard {
    /// With a shared tier, before regenerating: an entry another instance
    /// made (now in memory too), or `None` to regenerate here. Takes the
    /// key's lock in Redis, or waits for the instance holding it, up to the
    /// lock's life; if Redis is down, regenerates here at once.
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
        if found.invalidated {
            return None;
        }
        self.cache.adopt(&self.key, found)
    }

    /// Hands an entry found in Redis to every waiter.
    pub fn share(mut self, entry: &Arc<CacheEntry>) {
        self.hand_over(Filled::Shared(entry.clone()));
    }
}

/// What [`RefreshGuard::from_peers`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum PeerRefresh {
    /// Another instance made a fresh entry; it is in memory now.
    Adopted,
    /// Another instance is refreshing the key; this one serves stale a
    /// little longer and then picks up its entry.
    Yielded,
    /// Regenerate here (holding the key's lock, or without Redis).
    Regenerate,
}

impl RefreshGuard {
    /// With a shared tier, before regenerating: takes a fresh entry another
    /// instance made, or yields to the instance refreshing the key, or
    /// takes the key's lock and regenerates.
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
