//! Stale-while-revalidate for each segment: fresh hits, stale hits that start
//! exactly one refresh, misses collapsed onto one regeneration, stale-if-error
//! with backoff, and on-demand revalidation by path or tag.
//!
//! The engine runs the handlers; this module decides when, and makes sure
//! that however many requests (on however many workers) arrive at once, one
//! regeneration runs per key.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::entry::{CacheEntry, CachedResponse};
use crate::metrics::{render_prometheus, SegmentMetrics};
use crate::policy::CachePolicy;
use crate::shared::{unix_ms, LockOutcome, LockToken, SharedEntry, SharedStore, SharedWrite};
use crate::store::DynStore;

/// The longest a failing key waits before its next refresh attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a stale key waits while another instance refreshes it.
const PEER_RETRY: Duration = Duration::from_millis(250);
/// How often a miss polls Redis while another instance regenerates its key.
const PEER_POLL: Duration = Duration::from_millis(20);

/// What the cache knows of a segment, given when the cache is built.
#[derive(Debug, Clone)]
pub struct SegmentSpec {
    pub route: String,
    pub policy: CachePolicy,
    pub tags: Vec<String>,
    /// Key entries by path and query string, not by path alone.
    pub key_by_query: bool,
}

/// Every segment's cache over one memory store, and the shared store
/// (Redis) behind it when instances share their cache.
pub struct RevalidationCache {
    store: DynStore,
    shared: Option<Arc<SharedStore>>,
    clock: Clock,
    segments: Vec<Arc<SegmentCache>>,
    ticks: AtomicU64,
}

impl RevalidationCache {
    /// Segment `i` of `segments` is the route table's `SegmentId` `i`.
    pub fn new(
        store: DynStore,
        clock: Clock,
        segments: impl IntoIterator<Item = SegmentSpec>,
    ) -> Self {
        Self::tiered(store, None, clock, segments)
    }

    /// A cache with `shared` as its second tier, if given.
    pub fn tiered(
        store: DynStore,
        shared: Option<Arc<SharedStore>>,
        clock: Clock,
        segments: impl IntoIterator<Item = SegmentSpec>,
    ) -> Self {
        let segments = segments
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                Arc::new(SegmentCache {
                    index,
                    spec,
                    store: store.clone(),
                    shared: shared.clone(),
                    clock: clock.clone(),
                    metrics: Arc::default(),
                    version: AtomicU64::new(0),
                    in_flight: DashMap::new(),
                    refreshing: DashMap::new(),
                })
            })
            .collect();
        RevalidationCache {
            store,
            shared,
            clock,
            segments,
            ticks: AtomicU64::new(0),
        }
    }

    pub fn segment(&self, index: usize) -> &Arc<SegmentCache> {
        &self.segments[index]
    }

    pub fn segments(&self) -> &[Arc<SegmentCache>] {
        &self.segments
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The second tier, when instances share their cache.
    pub fn shared(&self) -> Option<&Arc<SharedStore>> {
        self.shared.as_ref()
    }

    /// Entries the timer should refresh now: requested since they were made,
    /// and past their period (or expired by tag). Never one still fresh.
    pub fn due(&self) -> Vec<(usize, String)> {
        self.ticks.fetch_add(1, Ordering::Relaxed);
        self.store.run_pending_tasks();
        let now = self.clock.now();
        let mut due = Vec::new();
        self.store.for_each(&mut |key, entry| {
            let Some(segment) = self.segments.get(entry.segment) else {
                return;
            };
            let CachePolicy::Cache { revalidate } = segment.spec.policy else {
                return;
            };
            if entry.was_requested() && !entry.is_invalidated() && !entry.is_fresh(now, revalidate)
            {
                due.push((entry.segment, key.to_string()));
            }
        });
        due
    }

    /// The counters of every segment that caches, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        let cached = self
            .segments
            .iter()
            .filter(|s| s.spec.policy != CachePolicy::Bypass)
            .map(|s| (s.spec.route.as_str(), &*s.metrics));
        let mut text = render_prometheus(cached, self.ticks.load(Ordering::Relaxed));
        if let Some(shared) = &self.shared {
            text.push_str(&shared.render_metrics());
        }
        text
    }

    /// Bytes held in the store.
    pub fn weighted_size(&self) -> u64 {
        self.store.weighted_size()
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Fresh(Arc<CacheEntry>),
    /// Past its period: serve it, and start a refresh.
    Stale(Arc<CacheEntry>),
    /// Revalidated by path: regenerate before answering; it is the fallback.
    Invalidated(Arc<CacheEntry>),
    Miss,
}

/// One segment's view of the cache.
pub struct SegmentCache {
    index: usize,
    spec: SegmentSpec,
    store: DynStore,
    shared: Option<Arc<SharedStore>>,
    clock: Clock,
    metrics: Arc<SegmentMetrics>,
    /// Bumped whenever an entry of this segment is stored, so that a
    /// worker's [`RecentHits`](crate::RecentHits) know theirs may be old.
    pub(crate) version: AtomicU64,
    /// Regenerations that requests wait for (misses, path revalidations).
    in_flight: DashMap<String, watch::Receiver<Option<Arc<CachedResponse>>>>,
    /// Background refreshes running or backing off after failures.
    refreshing: DashMap<String, RefreshState>,
}

#[derive(Debug, Clone, Copy)]
enum RefreshState {
    Running,
    Backoff { until: Instant, failures: u32 },
}

impl SegmentCache {
    pub fn policy(&self) -> CachePolicy {
        self.spec.policy
    }

    pub fn route(&self) -> &str {
        &self.spec.route
    }

    pub fn tags(&self) -> &[String] {
        &self.spec.tags
    }

    pub fn metrics(&self) -> &SegmentMetrics {
        &self.metrics
    }

    /// The key for a request: its path, and its query where the segment
    /// keys by query.
    pub fn key<'a>(&self, path: &'a str, query: Option<&str>) -> Cow<'a, str> {
        match query {
            Some(query) if self.spec.key_by_query && !query.is_empty() => {
                Cow::Owned(format!("{path}?{query}"))
            }
            _ => Cow::Borrowed(path),
        }
    }

    fn revalidate(&self) -> Option<Duration> {
        match self.spec.policy {
            CachePolicy::Cache { revalidate } => revalidate,
            CachePolicy::Bypass => Some(Duration::ZERO),
        }
    }

    /// Looks `key` up and counts the hit. Cheap: one map read, no lock held.
    pub fn lookup(&self, key: &str) -> Lookup {
        self.lookup_at(key, self.clock.now())
    }

    pub(crate) fn lookup_at(&self, key: &str, now: Instant) -> Lookup {
        let Some(entry) = self.store.get(key) else {
            return Lookup::Miss;
        };
        if entry.is_invalidated() {
            return Lookup::Invalidated(entry);
        }
        entry.mark_requested();
        if self.is_fresh_at(&entry, now) {
            SegmentMetrics::count(&self.metrics.hits);
            Lookup::Fresh(entry)
        } else {
            SegmentMetrics::count(&self.metrics.stale);
            Lookup::Stale(entry)
        }
    }

    pub(crate) fn is_fresh_at(&self, entry: &CacheEntry, now: Instant) -> bool {
        entry.is_fresh(now, self.revalidate())
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Seconds of freshness left: negative once stale (`Cache-Status` ttl).
    pub fn ttl(&self, entry: &CacheEntry) -> i64 {
        let age = entry.age(self.clock.now()).as_secs() as i64;
        match self.revalidate() {
            Some(period) => (period.as_secs() as i64 - age).min(-1),
            None => -1,
        }
    }

    /// Fresh: within this segment's period and not expired on demand.
    pub fn is_fresh(&self, entry: &CacheEntry) -> bool {
        self.is_fresh_at(entry, self.clock.now())
    }

    /// An entry that needs no regeneration: present, fresh, not invalidated.
    fn usable(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.store
            .get(key)
            .filter(|e| !e.is_invalidated() && self.is_fresh(e))
    }

    /// For a miss or a path revalidation: lead the one regeneration of `key`,
    /// or wait for the one already running.
    pub fn fill(self: &Arc<Self>, key: &str) -> Fill {
        match self.in_flight.entry(key.to_string()) {
            Entry::Occupied(running) => {
                SegmentMetrics::count(&self.metrics.collapsed);
                Fill::Wait(Waiter(running.get().clone()))
            }
            Entry::Vacant(vacant) => {
                // A leader that finished between our lookup and now stored
                // its entry before leaving the map: use it.
                if let Some(entry) = self.usable(key) {
                    return Fill::Ready(entry);
                }
                SegmentMetrics::count(&self.metrics.misses);
                let (sender, receiver) = watch::channel(None);
                vacant.insert(receiver);
                Fill::Lead(FillGuard {
                    cache: self.clone(),
                    key: key.to_string(),
                    sender: Some(sender),
                    lock: None,
                })
            }
        }
    }

    /// For a stale entry: the right to run its one background refresh, unless
    /// one is running, the key is backing off after failures, or a refresh
    /// already finished.
    pub fn refresh(self: &Arc<Self>, key: &str) -> Option<RefreshGuard> {
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
        Some(RefreshGuard {
            cache: self.clone(),
            key: key.to_string(),
            failures,
            done: false,
            lock: None,
        })
    }

    /// Stores a regenerated response in memory and, with a shared tier, in
    /// Redis too, releasing the lock held for it there.
    fn store_response(
        &self,
        key: &str,
        response: CachedResponse,
        lock: Option<LockToken>,
    ) -> Arc<CacheEntry> {
        if let Some(shared) = &self.shared {
            shared.put_detached(SharedWrite {
                key: key.to_string(),
                path: key.split('?').next().unwrap_or(key).to_string(),
                response: response.clone(),
                made_unix_ms: unix_ms(),
                ttl: shared.ttl_for(self.revalidate()),
                tags: self.spec.tags.clone(),
                lock,
            });
        }
        self.insert(key, response, self.clock.now())
    }

    fn insert(&self, key: &str, response: CachedResponse, made_at: Instant) -> Arc<CacheEntry> {
        let weight = key.len() + response.weight();
        let entry = Arc::new(CacheEntry::new(
            response,
            made_at,
            self.index,
            self.metrics.clone(),
        ));
        self.metrics.record_insert(weight);
        self.store.insert(key.to_string(), entry.clone());
        self.version.fetch_add(1, Ordering::Release);
        entry
    }

    /// Takes an entry another instance made into memory, with its age.
    fn adopt(&self, key: &str, shared: SharedEntry) -> Arc<CacheEntry> {
        let now = self.clock.now();
        let made_at = now.checked_sub(shared.age()).unwrap_or(now);
        let entry = self.insert(key, shared.response, made_at);
        if shared.expired {
            entry.expire();
        }
        SegmentMetrics::count(&self.metrics.shared);
        entry
    }

    /// Whether an entry read from Redis is fresh by its own age and flags.
    fn is_fresh_shared(&self, shared: &SharedEntry) -> bool {
        !shared.expired && !shared.invalidated && self.revalidate().is_none_or(|p| shared.age() < p)
    }

    /// `revalidate_tag`: every entry of this segment turns stale now; the
    /// next request is served it and starts one refresh.
    pub fn expire_all(&self) -> usize {
        self.each_own_entry(|_, entry| entry.expire())
    }

    /// Every entry of this segment regenerates on its next request: for
    /// path revalidations an instance missed while Redis was away.
    pub fn invalidate_all(&self) -> usize {
        self.each_own_entry(|_, entry| entry.invalidate())
    }

    /// `revalidate_path`: the next request for `path` regenerates and waits.
    pub fn invalidate_path(&self, path: &str) -> usize {
        let with_query = format!("{path}?");
        self.each_own_entry(|key, entry| {
            if key == path || key.starts_with(&with_query) {
                entry.invalidate();
            }
        })
    }

    fn each_own_entry(&self, mut visit: impl FnMut(&str, &CacheEntry)) -> usize {
        let mut visited = 0;
        self.store.for_each(&mut |key, entry| {
            if entry.segment == self.index {
                visit(key, entry);
                visited += 1;
            }
        });
        visited
    }
}

/// The outcome of [`SegmentCache::fill`].
pub enum Fill {
    /// Run the handler, then complete the guard.
    Lead(FillGuard),
    /// Another request is regenerating: wait for its response.
    Wait(Waiter),
    /// A regeneration finished meanwhile: serve this.
    Ready(Arc<CacheEntry>),
}

/// Waits for another request's regeneration.
pub struct Waiter(watch::Receiver<Option<Arc<CachedResponse>>>);

impl Waiter {
    /// The leader's response; `None` if the leader gave up without one
    /// (then the caller looks up again, and may lead).
    pub async fn wait(mut self) -> Option<Arc<CachedResponse>> {
        match self.0.wait_for(Option::is_some).await {
            Ok(response) => response.clone(),
            Err(_) => None,
        }
    }
}

/// The one regeneration of a key that requests wait for.
pub struct FillGuard {
    cache: Arc<SegmentCache>,
    key: String,
    sender: Option<watch::Sender<Option<Arc<CachedResponse>>>>,
    /// The key's lock in Redis, when this instance regenerates it for all.
    lock: Option<LockToken>,
}

impl FillGuard {
    /// With a shared tier, before regenerating: an entry another instance
    /// made (now in memory too), or `None` to regenerate here. Takes the
    /// key's lock in Redis, or waits for the instance holding it, up to the
    /// lock's life; if Redis is down, regenerates here at once.
    pub async fn from_peers(&mut self) -> Option<Arc<CacheEntry>> {
        let shared = self.cache.shared.clone()?;
        if let Some(entry) = self.adopt_usable(&shared).await {
            return Some(entry);
        }
        match shared.try_lock(&self.key).await {
            LockOutcome::Acquired(token) => {
                // A peer may have written and let go just before.
                if let Some(entry) = self.adopt_usable(&shared).await {
                    shared.unlock_detached(&self.key, token);
                    return Some(entry);
                }
                self.lock = Some(token);
                None
            }
            LockOutcome::HeldElsewhere => {
                let deadline = Instant::now() + shared.lock_ttl();
                while Instant::now() < deadline {
                    tokio::time::sleep(PEER_POLL).await;
                    if let Some(entry) = self.adopt_usable(&shared).await {
                        return Some(entry);
                    }
                }
                None
            }
            LockOutcome::Unavailable => None,
        }
    }

    async fn adopt_usable(&self, shared: &SharedStore) -> Option<Arc<CacheEntry>> {
        let found = shared.get(&self.key).await?;
        (!found.invalidated).then(|| self.cache.adopt(&self.key, found))
    }

    /// Hands an entry found in Redis to every waiter.
    pub fn share(mut self, entry: &CacheEntry) {
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(Arc::new(entry.response.clone())));
        }
    }

    /// Stores `response` if it may be shared, hands it to every waiter, and
    /// reports whether it was stored.
    pub fn complete(mut self, response: CachedResponse) -> bool {
        let stored = response.is_storable();
        let response = if stored {
            let entry = self
                .cache
                .store_response(&self.key, response, self.lock.take());
            Arc::new(entry.response.clone())
        } else {
            Arc::new(response)
        };
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(response));
        }
        stored
    }
}

impl Drop for FillGuard {
    /// Leaves the map last, after the entry is stored, so that no request
    /// can find neither the entry nor a regeneration to wait for.
    fn drop(&mut self) {
        release(&self.cache, &self.key, self.lock.take());
        self.cache.in_flight.remove(&self.key);
    }
}

/// Lets go of a Redis lock that no write released.
fn release(cache: &SegmentCache, key: &str, lock: Option<LockToken>) {
    if let (Some(shared), Some(token)) = (&cache.shared, lock) {
        shared.unlock_detached(key, token);
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

/// The one background refresh of a stale key.
pub struct RefreshGuard {
    cache: Arc<SegmentCache>,
    key: String,
    failures: u32,
    done: bool,
    lock: Option<LockToken>,
}

impl RefreshGuard {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// With a shared tier, before regenerating: takes a fresh entry another
    /// instance made, or yields to the instance refreshing the key, or
    /// takes the key's lock and regenerates.
    pub async fn from_peers(&mut self) -> PeerRefresh {
        let Some(shared) = self.cache.shared.clone() else {
            return PeerRefresh::Regenerate;
        };
        if self.adopt_fresh(&shared).await {
            return PeerRefresh::Adopted;
        }
        match shared.try_lock(&self.key).await {
            LockOutcome::Acquired(token) => {
                if self.adopt_fresh(&shared).await {
                    shared.unlock_detached(&self.key, token);
                    return PeerRefresh::Adopted;
                }
                self.lock = Some(token);
                PeerRefresh::Regenerate
            }
            LockOutcome::HeldElsewhere => {
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
            LockOutcome::Unavailable => PeerRefresh::Regenerate,
        }
    }

    async fn adopt_fresh(&mut self, shared: &SharedStore) -> bool {
        let Some(found) = shared.get(&self.key).await else {
            return false;
        };
        if !self.cache.is_fresh_shared(&found) {
            return false;
        }
        self.cache.adopt(&self.key, found);
        self.cache.refreshing.remove(&self.key);
        self.done = true;
        true
    }

    /// Stores the regenerated response, or, if it may not be stored (a 5xx,
    /// a cookie), keeps the last good one and backs off.
    pub fn complete(mut self, response: CachedResponse) {
        if !response.is_storable() {
            let reason = format!("the handler answered {}", response.status);
            return self.fail(&reason);
        }
        self.cache
            .store_response(&self.key, response, self.lock.take());
        SegmentMetrics::count(&self.cache.metrics.refreshes);
        self.cache.refreshing.remove(&self.key);
        self.done = true;
    }

    /// Keeps serving the last good entry (stale-if-error) and retries after
    /// a backoff that doubles with each failure.
    pub fn fail(mut self, reason: &str) {
        self.record_failure(reason);
    }

    fn record_failure(&mut self, reason: &str) {
        release(&self.cache, &self.key, self.lock.take());
        if self.done {
            return;
        }
        self.done = true;
        let failures = self.failures.saturating_add(1);
        let backoff = Duration::from_secs(1 << self.failures.min(6)).min(MAX_BACKOFF);
        SegmentMetrics::count(&self.cache.metrics.failed_refreshes);
        tracing::warn!(
            route = %self.cache.spec.route,
            key = %self.key,
            reason,
            retry_in = ?backoff,
            "refresh failed; serving the last good response"
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

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        self.record_failure("the refresh was dropped before it finished");
    }
}
