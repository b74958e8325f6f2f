//! The data cache: what route functions fetch (`trellis::fetch`) and
//! compute (`trellis::cache::memo`), cached apart from their responses but
//! in the same store (memory, and Redis when instances share), with what
//! routes have: fresh hits, stale entries served while one refresh runs,
//! misses made once for every caller waiting, stale-if-error with a
//! backoff, one regeneration per key across instances, and revalidation by
//! tag (and by path, through the path's tag) through the same index as
//! responses.
//!
//! The engine makes the values (it calls the upstream, it runs the memoized
//! function); this module decides when, as `revalidation` does for routes.
//! Data entries belong to no route: the timer never regenerates them (no
//! route function can), a request that finds one stale does.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use http::StatusCode;
use tokio::sync::watch;

use crate::clock::{unix_millis, Clock};
use crate::entry::{CacheEntry, CachedResponse, Lifetime};
use crate::index::EntryIndex;
use crate::metrics::SegmentMetrics;
use crate::revalidation::{Lookup, PeerRefresh, RevalidationCache};
use crate::shared::{LockOutcome, LockToken, SharedEntry, SharedStore, SharedWrite};
use crate::store::DynStore;
use crate::weight::entry_weight;

/// The segment index of data entries: none of the route table's, so the
/// timer and route revalidation pass them by.
pub const DATA_SEGMENT: usize = usize::MAX;

/// Values larger than this are handed back but not stored (Next.js keeps
/// no fetch over 2 MB either): one large answer must not push out
/// thousands of small ones.
pub const MAX_DATA_BYTES: usize = 2 * 1024 * 1024;

/// The longest a failing key waits before its next refresh attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a stale key waits while another instance refreshes it.
const PEER_RETRY: Duration = Duration::from_millis(250);
/// How often a miss polls Redis while another instance makes its value.
const PEER_POLL: Duration = Duration::from_millis(20);

/// How one value is cached: its period and tags, given by the fetch or
/// memo that asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataSpec {
    /// Fresh for this long; forever (until revalidated) when `None`.
    pub revalidate: Option<Duration>,
    /// The names `revalidate_tag` reaches it by.
    pub tags: Vec<String>,
    /// The path whose entry it was made for, if any: in Redis it joins the
    /// path's set, so that `revalidate_path` reaches it on every instance.
    pub path: Option<String>,
}

/// Every data entry, over the store and shared tier of the response cache.
pub struct DataCache {
    store: DynStore,
    shared: Option<Arc<SharedStore>>,
    clock: Clock,
    /// The response cache's index: one for every entry of the store.
    index: Arc<EntryIndex>,
    metrics: Arc<SegmentMetrics>,
    /// Past this age a value is never served, not even stale.
    expire: Duration,
    /// How long a caller waits for another's value before making its own.
    lock_timeout: Duration,
    /// Values that callers wait for (misses, expired entries).
    in_flight: DashMap<String, watch::Receiver<Option<DataFilled>>>,
    /// Background refreshes running or backing off after failures.
    refreshing: DashMap<String, RefreshState>,
}

#[derive(Debug, Clone, Copy)]
enum RefreshState {
    Running,
    Backoff { until: Instant, failures: u32 },
}

impl DataCache {
    /// The data cache beside `responses`, in its store and shared tier,
    /// indexed with its entries; values are never served past `expire`,
    /// and a caller waits for another's value up to `lock_timeout`.
    pub fn new(responses: &RevalidationCache, expire: Duration, lock_timeout: Duration) -> Self {
        DataCache {
            store: responses.store().clone(),
            shared: responses.shared().cloned(),
            clock: responses.clock().clone(),
            index: responses.index().clone(),
            metrics: Arc::default(),
            expire,
            lock_timeout,
            in_flight: DashMap::new(),
            refreshing: DashMap::new(),
        }
    }

    /// Whether a value may be stored: a success (Next.js stores only
    /// those) no larger than [`MAX_DATA_BYTES`]. Anything else is handed
    /// to its caller and not kept; a refresh that makes one keeps the last
    /// good value.
    pub fn stores(value: &CachedResponse) -> bool {
        matches!(
            value.status,
            StatusCode::OK
                | StatusCode::NON_AUTHORITATIVE_INFORMATION
                | StatusCode::NO_CONTENT
                | StatusCode::PARTIAL_CONTENT
        ) && value.body.len() <= MAX_DATA_BYTES
    }

    /// What the data cache has done, counted as a segment's cache counts.
    pub fn metrics(&self) -> &SegmentMetrics {
        &self.metrics
    }

    /// Looks `key` up and counts what it found.
    pub fn lookup(&self, key: &str) -> Lookup {
        let Some(entry) = self.store.get(key) else {
            return Lookup::Miss;
        };
        if entry.is_invalidated() {
            return Lookup::Invalidated(entry);
        }
        let now = self.clock.now();
        if entry.is_fresh(now) {
            SegmentMetrics::count(&self.metrics.hits);
            Lookup::Fresh(entry)
        } else if entry.is_past_expire(now) {
            Lookup::Miss
        } else {
            SegmentMetrics::count(&self.metrics.stale);
            Lookup::Stale(entry)
        }
    }

    /// Fresh: within its period, and not expired nor invalidated on demand.
    pub fn is_fresh(&self, entry: &CacheEntry) -> bool {
        !entry.is_invalidated() && entry.is_fresh(self.clock.now())
    }

    fn usable(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.store.get(key).filter(|e| self.is_fresh(e))
    }

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
                    lock: None,
                })
            }
        }
    }

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
            lock: None,
        })
    }

    fn lifetime(&self, spec: &DataSpec) -> Lifetime {
        Lifetime {
            revalidate: spec.revalidate,
            expire: self.expire,
        }
    }

    /// Stores `value` in memory and, with a shared tier, in Redis, where
    /// the write releases the key's lock.
    fn store_value(
        &self,
        key: &str,
        value: CachedResponse,
        spec: &DataSpec,
        lock: Option<LockToken>,
    ) -> Arc<CacheEntry> {
        let lifetime = self.lifetime(spec);
        let entry = self.entry(value, self.clock.now(), lifetime, spec.tags.clone());
        if let Some(shared) = &self.shared {
            shared.put_detached(SharedWrite {
                key: key.to_string(),
                path: spec.path.clone(),
                response: entry.response.clone(),
                made_unix_ms: unix_millis(),
                ttl: shared.ttl_for(lifetime),
                lifetime,
                tags: spec.tags.clone(),
                lock,
            });
        }
        self.insert(key, entry)
    }

    fn entry(
        &self,
        value: CachedResponse,
        made_at: Instant,
        lifetime: Lifetime,
        mut tags: Vec<String>,
    ) -> CacheEntry {
        tags.sort_unstable();
        tags.dedup();
        let metrics = self.metrics.clone();
        let value = value.compacted();
        CacheEntry::new(value, made_at, lifetime, DATA_SEGMENT, metrics, tags.into())
    }

    /// Puts `entry` in memory, indexed, unless the store turns it away (a
    /// new key while it is full); either way it serves its callers.
    fn insert(&self, key: &str, entry: CacheEntry) -> Arc<CacheEntry> {
        let entry = Arc::new(entry);
        let stored = self
            .index
            .store(key, &entry, |key| self.store.insert(key, entry.clone()));
        match stored {
            true => self.metrics.record_insert(entry_weight(key, &entry)),
            false => SegmentMetrics::count(&self.metrics.not_admitted),
        }
        entry
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

    /// Drops the backoff states of failed refreshes that are over and
    /// whose key has left the store: nothing would ever read them again.
    pub fn prune_backoffs(&self) {
        let now = self.clock.now();
        self.refreshing.retain(|key, state| match state {
            RefreshState::Backoff { until, .. } if *until <= now => self.index.contains(key),
            _ => true,
        });
    }

    fn shared_lifetime(&self, shared: &SharedEntry) -> Lifetime {
        shared.lifetime.unwrap_or(Lifetime {
            revalidate: None,
            expire: self.expire,
        })
    }

    fn is_fresh_shared(&self, shared: &SharedEntry) -> bool {
        !shared.expired
            && !shared.invalidated
            && self
                .shared_lifetime(shared)
                .revalidate
                .is_none_or(|period| shared.age() < period)
    }

    /// The data cache's counters, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        let m = &*self.metrics;
        let series = [
            (
                "hits_total",
                "counter",
                "Fresh values served from the data cache.",
                m.hits.load(Relaxed) as i64,
            ),
            (
                "misses_total",
                "counter",
                "Values made because none was cached.",
                m.misses.load(Relaxed) as i64,
            ),
            (
                "stale_total",
                "counter",
                "Stale values served while a refresh ran.",
                m.stale.load(Relaxed) as i64,
            ),
            (
                "refreshes_total",
                "counter",
                "Background refreshes that stored a new value.",
                m.refreshes.load(Relaxed) as i64,
            ),
            (
                "failed_refreshes_total",
                "counter",
                "Background refreshes that failed; the last good value was kept.",
                m.failed_refreshes.load(Relaxed) as i64,
            ),
            (
                "collapsed_total",
                "counter",
                "Callers that waited for another caller's value.",
                m.collapsed.load(Relaxed) as i64,
            ),
            (
                "shared_total",
                "counter",
                "Values taken from the shared store (Redis), made by another instance.",
                m.shared.load(Relaxed) as i64,
            ),
            (
                "evictions_total",
                "counter",
                "Values evicted for the byte budget or idleness.",
                m.evictions.load(Relaxed) as i64,
            ),
            (
                "not_admitted_total",
                "counter",
                "New values the full memory store turned away, seen once.",
                m.not_admitted.load(Relaxed) as i64,
            ),
            (
                "bytes",
                "gauge",
                "Bytes of data values held.",
                m.bytes.load(Relaxed),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in series {
            let _ = writeln!(
                out,
                "# HELP trellis_data_cache_{name} {help}\n# TYPE trellis_data_cache_{name} {kind}\ntrellis_data_cache_{name} {value}"
            );
        }
        out
    }
}

/// The outcome of [`DataCache::fill`].
pub enum DataFill {
    /// Make the value, then complete the guard.
    Lead(DataFillGuard),
    /// Another caller is making it: wait for its value.
    Wait(DataWaiter),
    /// A value was stored meanwhile: use it.
    Ready(Arc<CacheEntry>),
}

/// What the caller making a value hands the callers waiting for it.
#[derive(Debug, Clone)]
pub enum DataFilled {
    /// The value, stored or not: data is no visitor's own, so every caller
    /// may have it.
    Value(Arc<CachedResponse>),
    /// Making it failed, for this reason.
    Failed(Arc<str>),
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
    cache: Arc<DataCache>,
    key: String,
    sender: Option<watch::Sender<Option<DataFilled>>>,
    lock: Option<LockToken>,
}

impl DataFillGuard {
    /// With a shared tier, before making the value: one another instance
    /// stored (now in memory too), or `None` to make it here. Takes the
    /// key's lock in Redis, or waits for the instance holding it up to the
    /// lock's life; if Redis is down, makes it here at once.
    pub async fn from_peers(&mut self) -> Option<Arc<CacheEntry>> {
        let shared = self.cache.shared.clone()?;
        if let Some(entry) = self.adopt_usable(&shared).await {
            return Some(entry);
        }
        match shared.try_lock(&self.key).await {
            LockOutcome::Acquired(token) => {
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
        if found.invalidated || !self.cache.is_fresh_shared(&found) {
            return None;
        }
        self.cache.adopt(&self.key, found)
    }

    /// Hands an entry another instance made to every caller waiting.
    pub fn share(mut self, entry: &CacheEntry) {
        self.hand_over(DataFilled::Value(Arc::new(entry.response.clone())));
    }

    /// Stores `value` if it may be stored, and hands it to every caller
    /// waiting either way; true when it was stored.
    pub fn complete(mut self, value: CachedResponse, spec: &DataSpec) -> bool {
        let stored = DataCache::stores(&value);
        if stored {
            let lock = self.lock.take();
            self.cache.store_value(&self.key, value.clone(), spec, lock);
        }
        self.hand_over(DataFilled::Value(Arc::new(value)));
        stored
    }

    /// Making the value failed: every caller waiting is told why (each
    /// falls back on the stale value it found, if it found one).
    pub fn fail(mut self, reason: &str) {
        self.hand_over(DataFilled::Failed(Arc::from(reason)));
    }

    fn hand_over(&mut self, filled: DataFilled) {
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(filled));
        }
    }
}

impl Drop for DataFillGuard {
    /// Leaves the map last, after the value is stored, so that no caller
    /// can find neither the value nor a making of it to wait for.
    fn drop(&mut self) {
        release(&self.cache, &self.key, self.lock.take());
        self.cache.in_flight.remove(&self.key);
    }
}

fn release(cache: &DataCache, key: &str, lock: Option<LockToken>) {
    if let (Some(shared), Some(token)) = (&cache.shared, lock) {
        shared.unlock_detached(key, token);
    }
}

/// The one background refresh of a stale value.
pub struct DataRefreshGuard {
    cache: Arc<DataCache>,
    key: String,
    failures: u32,
    done: bool,
    lock: Option<LockToken>,
}

impl DataRefreshGuard {
    /// With a shared tier, before making the value: takes a fresh one
    /// another instance stored, or yields to the instance refreshing it,
    /// or takes the key's lock and refreshes here.
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
        if !self.cache.is_fresh_shared(&found) || self.cache.adopt(&self.key, found).is_none() {
            return false;
        }
        self.cache.refreshing.remove(&self.key);
        self.done = true;
        true
    }

    /// Stores the new value, or, if it may not be stored (a 5xx, a 404),
    /// keeps the last good one and backs off.
    pub fn complete(mut self, value: CachedResponse, spec: &DataSpec) {
        if !DataCache::stores(&value) {
            let reason = format!("the value may not be stored ({})", value.status);
            return self.fail(&reason);
        }
        let lock = self.lock.take();
        self.cache.store_value(&self.key, value, spec, lock);
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
        release(&self.cache, &self.key, self.lock.take());
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

/// A key as logs show it: a fetch's URL without its query, which may hold
/// a token.
pub fn key_for_logs(key: &str) -> &str {
    key.split('?').next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn value(body: &'static str) -> CachedResponse {
        CachedResponse {
            status: StatusCode::OK,
            headers: vec![],
            body: body.into(),
        }
    }

    fn data_cache(clock: &Clock) -> (Arc<DataCache>, RevalidationCache) {
        let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(3600)));
        let responses = RevalidationCache::new(store, clock.clone(), []);
        let (expire, lock_timeout) = (Duration::from_secs(3600), Duration::from_secs(5));
        let data = Arc::new(DataCache::new(&responses, expire, lock_timeout));
        (data, responses)
    }

    fn stored(data: &Arc<DataCache>, key: &str, spec: &DataSpec) {
        let DataFill::Lead(guard) = data.fill(key) else {
            panic!("an empty cache lets the first fill lead");
        };
        assert!(guard.complete(value("1"), spec));
    }

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

    #[test]
    fn tag_revalidation_reaches_data_entries_with_the_tag_only() {
        let clock = Clock::manual();
        let (data, responses) = data_cache(&clock);
        let tagged = |tag: &str| DataSpec {
            tags: vec![tag.to_string()],
            ..DataSpec::default()
        };
        stored(&data, "fetch:GET /a", &tagged("a"));
        stored(&data, "fetch:GET /b", &tagged("b"));
        assert_eq!(responses.revalidate_tag("a"), 1);
        assert!(matches!(data.lookup("fetch:GET /a"), Lookup::Stale(_)));
        assert!(matches!(data.lookup("fetch:GET /b"), Lookup::Fresh(_)));
        assert_eq!(responses.expire_tag("b"), 1);
        assert!(matches!(
            data.lookup("fetch:GET /b"),
            Lookup::Invalidated(_)
        ));
    }

    #[test]
    fn a_path_revalidation_reaches_the_data_made_for_that_path_only() {
        let clock = Clock::manual();
        let (data, responses) = data_cache(&clock);
        let made_for = |path: &str| DataSpec {
            tags: vec![crate::path_tag(path)],
            path: Some(path.to_string()),
            ..DataSpec::default()
        };
        stored(&data, "fetch:GET /for-a", &made_for("/a"));
        stored(&data, "fetch:GET /for-b", &made_for("/b"));
        assert_eq!(responses.revalidate_path("/a?x=1"), 1);
        assert!(matches!(
            data.lookup("fetch:GET /for-a"),
            Lookup::Invalidated(_)
        ));
        assert!(matches!(data.lookup("fetch:GET /for-b"), Lookup::Fresh(_)));
    }

    #[test]
    fn a_logged_key_shows_no_query() {
        assert_eq!(
            key_for_logs("fetch:GET https://api.example/x?key=secret"),
            "fetch:GET https://api.example/x"
        );
        assert_eq!(key_for_logs("memo:f:[1]"), "memo:f:[1]");
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        match runtime.block_on(waiter.wait()) {
            DataWaited::Filled(DataFilled::Failed(reason)) => assert_eq!(&*reason, "refused"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_waiter_stops_waiting_at_the_lock_timeout() {
        let store = Arc::new(MemoryStore::new(1 << 20, Duration::from_secs(3600)));
        let responses = RevalidationCache::new(store, Clock::manual(), []);
        let timeout = Duration::from_millis(10);
        let data = Arc::new(DataCache::new(
            &responses,
            Duration::from_secs(3600),
            timeout,
        ));
        let DataFill::Lead(_guard) = data.fill("k") else {
            panic!("leads");
        };
        let DataFill::Wait(waiter) = data.fill("k") else {
            panic!("waits");
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        assert!(matches!(
            runtime.block_on(waiter.wait()),
            DataWaited::TimedOut
        ));
    }
}
