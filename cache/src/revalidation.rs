//! Stale-while-revalidate for each segment: fresh hits, stale hits that start
//! exactly one refresh, misses collapsed onto one regeneration, stale-if-error
//! with backoff, and on-demand revalidation by path, route or tag. An entry
//! may carry tags and a lifetime of its own (`cache_tag`, `cache_life`, the
//! data it was made from: an [`EntryScope`]); every entry carries its
//! route's page tag, which is how `revalidate_path(pattern, "page")` finds
//! them.
//!
//! The engine runs the handlers; this module decides when, and makes sure
//! that however many requests (on however many workers) arrive at once, one
//! regeneration runs per key.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use http::{HeaderName, HeaderValue};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::entry::{CacheEntry, CachedResponse, EntryScope, Lifetime, NotStored};
use crate::implicit_tags::{page_tag, path_tag};
use crate::index::EntryIndex;
use crate::key::{canonical_path, canonical_query, key_base, variant_key};
use crate::metrics::{render_prometheus, SegmentMetrics};
use crate::policy::{CachePolicy, DEFAULT_EXPIRE};
#[cfg(feature = "redis")]
use crate::shared::{LockToken, SharedStore};
use crate::store::DynStore;
use crate::weight::entry_weight;

// What instances sharing a cache do with each other's entries and locks:
// compiled with the shared tier only.
#[cfg(feature = "redis")]
mod peers;
#[cfg(feature = "redis")]
pub use peers::PeerRefresh;

/// The longest a failing key waits before its next refresh attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Variants (`Vary`) kept of one key at most: a header with many values
/// must not turn one route into unbounded entries.
const MAX_VARIANTS: usize = 32;

/// What the cache knows of a segment, given when the cache is built.
#[derive(Debug, Clone)]
pub struct SegmentSpec {
    pub route: String,
    pub policy: CachePolicy,
    pub tags: Vec<String>,
    /// Key entries by path and query string, not by path alone.
    pub key_by_query: bool,
    /// Past this age an entry is never served, not even stale.
    pub expire: Duration,
    /// The longest a 404 or 410 stays fresh.
    pub negative_ttl: Duration,
    /// How long a request waits for another's regeneration of its key
    /// before running its own.
    pub lock_timeout: Duration,
}

impl Default for SegmentSpec {
    /// A route that caches nothing, with the server's default bounds.
    fn default() -> Self {
        SegmentSpec {
            route: String::new(),
            policy: CachePolicy::Bypass,
            tags: Vec::new(),
            key_by_query: false,
            expire: DEFAULT_EXPIRE,
            negative_ttl: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(5),
        }
    }
}

/// Every segment's cache over one memory store, and the shared store
/// (Redis) behind it when instances share their cache (the `redis`
/// feature).
pub struct RevalidationCache {
    store: DynStore,
    #[cfg(feature = "redis")]
    shared: Option<Arc<SharedStore>>,
    clock: Clock,
    segments: Vec<Arc<SegmentCache>>,
    index: Arc<EntryIndex>,
    ticks: AtomicU64,
}

impl RevalidationCache {
    /// Segment `i` of `segments` is the route table's `SegmentId` `i`.
    pub fn new(
        store: DynStore,
        clock: Clock,
        segments: impl IntoIterator<Item = SegmentSpec>,
    ) -> Self {
        Self::build(
            store,
            #[cfg(feature = "redis")]
            None,
            clock,
            segments,
        )
    }

    fn build(
        store: DynStore,
        #[cfg(feature = "redis")] shared: Option<Arc<SharedStore>>,
        clock: Clock,
        segments: impl IntoIterator<Item = SegmentSpec>,
    ) -> Self {
        let entries = Arc::new(EntryIndex::default());
        let forget = entries.clone();
        store.on_removal(Box::new(move |key, entry| forget.remove(key, entry)));
        let segments = segments
            .into_iter()
            .enumerate()
            .map(|(index, spec)| {
                let entry_tags = spec.tags.iter().cloned().chain([page_tag(&spec.route)]);
                Arc::new(SegmentCache {
                    index,
                    entry_tags: entry_tags.collect(),
                    spec,
                    store: store.clone(),
                    entries: entries.clone(),
                    #[cfg(feature = "redis")]
                    shared: shared.clone(),
                    clock: clock.clone(),
                    metrics: Arc::default(),
                    version: AtomicU64::new(0),
                    invalid_below: AtomicU64::new(0),
                    in_flight: DashMap::new(),
                    refreshing: DashMap::new(),
                    varies: AtomicBool::new(false),
                    vary: RwLock::default(),
                    variants: DashMap::new(),
                    dynamic_read: OnceLock::new(),
                })
            })
            .collect();
        RevalidationCache {
            store,
            #[cfg(feature = "redis")]
            shared,
            clock,
            segments,
            index: entries,
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

    /// The memory store every segment's entries (and the data cache's)
    /// live in.
    pub(crate) fn store(&self) -> &DynStore {
        &self.store
    }

    /// Where the store's entries are, by path, tag and deadline.
    pub(crate) fn index(&self) -> &Arc<EntryIndex> {
        &self.index
    }

    /// Entries the timer should refresh now: requested since they were made,
    /// and past their period (or expired by tag). Never one still fresh.
    /// Found through the index's schedule, at the cost of what is due; the
    /// backoffs of keys gone are dropped on the way.
    pub fn due(&self) -> Vec<(usize, String)> {
        self.ticks.fetch_add(1, Ordering::Relaxed);
        self.store.run_pending_tasks();
        let now = self.clock.now();
        for segment in &self.segments {
            segment.prune_backoffs(now);
        }
        self.index.due(now, |entry| {
            self.segments.get(entry.segment).is_some_and(|segment| {
                segment.spec.policy != CachePolicy::Bypass
                    && !segment.is_invalidated(entry)
                    && entry.was_requested()
                    && !entry.is_fresh(now)
            })
        })
    }

    /// `revalidatePath` in memory: the next request for each entry stored
    /// for `path` (its query keys and variants too) regenerates and waits,
    /// and so does the next use of the data (fetches, memos) made for it.
    /// `path` is read as keys spell it, its query ignored. Returns how many
    /// entries it marked: found through the index, never by a scan.
    pub fn revalidate_path(&self, path: &str) -> usize {
        let path = path.split('?').next().unwrap_or_default();
        let path = canonical_path(path);
        let responses = self.index.at_path(&path, CacheEntry::invalidate);
        responses + self.index.invalidate_tagged(&path_tag(&path))
    }

    /// `revalidateTag(tag, "max")` in memory: every entry tagged `tag`
    /// turns stale now; its next request is served it and starts one
    /// refresh, and the timer refreshes those requested. Returns how many
    /// entries it marked.
    pub fn revalidate_tag(&self, tag: &str) -> usize {
        self.index.expire_tagged(tag, self.clock.now())
    }

    /// `revalidateTag(tag, { expire: 0 })` in memory: every entry tagged
    /// `tag` expires now, and its next request waits for a new one; with a
    /// route's [`page_tag`](crate::page_tag), `revalidatePath(pattern,
    /// "page")`. Returns how many entries it marked.
    pub fn expire_tag(&self, tag: &str) -> usize {
        self.index.invalidate_tagged(tag)
    }

    /// The counters of every segment that caches, in Prometheus text.
    pub fn render_metrics(&self) -> String {
        let cached = self
            .segments
            .iter()
            .filter(|s| s.spec.policy != CachePolicy::Bypass)
            .map(|s| (s.spec.route.as_str(), &*s.metrics));
        // The memory tier's counters, then the shared tier's, if any.
        #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
        let mut text = render_prometheus(cached, self.ticks.load(Ordering::Relaxed));
        #[cfg(feature = "redis")]
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
    #[cfg(feature = "redis")]
    shared: Option<Arc<SharedStore>>,
    clock: Clock,
    metrics: Arc<SegmentMetrics>,
    /// Where every segment's entries are, by path, tag and deadline.
    entries: Arc<EntryIndex>,
    /// The tags of an entry made with no tags of its own: the route's and
    /// its page tag, shared by all such entries.
    entry_tags: Arc<[String]>,
    /// Bumped whenever an entry of this segment is stored, so that a
    /// worker's [`RecentHits`](crate::RecentHits) know theirs may be old.
    pub(crate) version: AtomicU64,
    /// Entries numbered below this were invalidated all at once (the route
    /// turned dynamic, or Redis came back after missing revalidations).
    invalid_below: AtomicU64,
    /// Regenerations that requests wait for (misses, path revalidations).
    in_flight: DashMap<String, watch::Receiver<Option<Filled>>>,
    /// Background refreshes running or backing off after failures.
    refreshing: DashMap<String, RefreshState>,
    /// Whether responses of this segment carried `Vary`: then keys name
    /// the values of the request headers in `vary`.
    varies: AtomicBool,
    vary: RwLock<Arc<[HeaderName]>>,
    /// The variant keys stored per key without its variant, to bound them.
    variants: DashMap<String, Vec<String>>,
    /// The request data the route read while its answer was being made for
    /// the cache: from then on it is dynamic (Next.js's `auto`).
    dynamic_read: OnceLock<&'static str>,
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

    /// The route's own tags (`TAGS`).
    pub fn tags(&self) -> &[String] {
        &self.spec.tags
    }

    pub fn metrics(&self) -> &SegmentMetrics {
        &self.metrics
    }

    /// The key for a request: its path, its query where the segment keys
    /// by query, and the values of the headers its responses vary on, read
    /// by `header`.
    pub fn key<'a, 'h>(
        &self,
        path: &'a str,
        query: Option<&str>,
        header: impl Fn(&HeaderName) -> Option<&'h HeaderValue>,
    ) -> Cow<'a, str> {
        // Spelled as routing reads it: `/a` and `/%61` are one entry.
        let path = canonical_path(path);
        let base = match query {
            Some(query) if self.spec.key_by_query && !query.is_empty() => {
                Cow::Owned(format!("{path}?{}", canonical_query(query)))
            }
            _ => path,
        };
        if !self.varies.load(Ordering::Relaxed) {
            return base;
        }
        Cow::Owned(variant_key(&base, &self.vary_names(), header))
    }

    fn vary_names(&self) -> Arc<[HeaderName]> {
        self.vary.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds `names` to the headers this segment's keys vary on.
    fn learn_vary(&self, names: &[HeaderName]) {
        let known = self.vary_names();
        if names.iter().all(|n| known.contains(n)) {
            return;
        }
        let mut all: Vec<HeaderName> = known.iter().chain(names).cloned().collect();
        all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        all.dedup();
        *self.vary.write().unwrap_or_else(|e| e.into_inner()) = all.into();
        self.varies.store(true, Ordering::Relaxed);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Whether one more variant of `key` may be stored.
    fn admits_variant(&self, key: &str) -> bool {
        let mut variants = self.variants.entry(key_base(key).to_string()).or_default();
        if variants.iter().any(|k| k == key) {
            return true;
        }
        if variants.len() >= MAX_VARIANTS {
            variants.retain(|k| self.entries.contains(k));
        }
        if variants.len() >= MAX_VARIANTS {
            return false;
        }
        variants.push(key.to_string());
        true
    }

    /// The read of request data that made this `auto` route dynamic, if it
    /// did.
    pub fn dynamic_read(&self) -> Option<&'static str> {
        self.dynamic_read.get().copied()
    }

    /// The route read `read` while an answer was made for the cache: it is
    /// dynamic from now on, and what it stored before is regenerated (as
    /// dynamic) on its next request. True the first time only.
    pub fn turn_dynamic(&self, read: &'static str) -> bool {
        if self.dynamic_read.set(read).is_err() {
            return false;
        }
        self.invalidate_all();
        true
    }

    /// How long an entry made of `response` in `scope` is fresh, decided
    /// once when it is stored: the route's period (or the one `cache_life`
    /// chose), no longer than the data it was made from, at most
    /// `negative_ttl` for a 404 or 410.
    fn lifetime_for(&self, response: &CachedResponse, scope: &EntryScope) -> Lifetime {
        let negative = self.spec.negative_ttl;
        let revalidate = match self.period_in(scope) {
            period if !response.is_negative() => period,
            period => Some(period.map_or(negative, |p| p.min(negative))),
        };
        Lifetime {
            revalidate,
            expire: scope.expire.unwrap_or(self.spec.expire),
        }
    }

    /// The `Cache-Control` sent with an answer made in `scope`: its own
    /// period and expire, as Next.js sends a route's effective period.
    pub fn cache_control_for(&self, scope: &EntryScope) -> Option<HeaderValue> {
        if self.spec.policy == CachePolicy::Bypass {
            return None;
        }
        let revalidate = self.period_in(scope);
        CachePolicy::Cache { revalidate }.cache_control(scope.expire.unwrap_or(self.spec.expire))
    }

    /// The period of an entry made in `scope` (Next.js's rule): the one
    /// `cache_life` chose, else the route's, and never longer than the
    /// shortest period of its data.
    fn period_in(&self, scope: &EntryScope) -> Option<Duration> {
        let chosen = scope.revalidate.or(self.revalidate());
        match (chosen, scope.data_period) {
            (Some(chosen), Some(data)) => Some(chosen.min(data)),
            (chosen, data) => chosen.or(data),
        }
    }

    /// The tags of an entry made in `scope`: the route's, its page tag,
    /// and the scope's own, each once; shared with the segment's other
    /// entries when the scope adds none.
    fn tags_in(&self, scope: &EntryScope) -> Arc<[String]> {
        let own: Vec<&String> = scope
            .tags
            .iter()
            .filter(|tag| !self.entry_tags.contains(tag))
            .collect();
        if own.is_empty() {
            return self.entry_tags.clone();
        }
        let mut tags = self.entry_tags.to_vec();
        for tag in own {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        tags.into()
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
        if self.is_invalidated(&entry) {
            return Lookup::Invalidated(entry);
        }
        entry.mark_requested();
        if entry.is_fresh(now) {
            SegmentMetrics::count(&self.metrics.hits);
            Lookup::Fresh(entry)
        } else if entry.is_past_expire(now) {
            // Too old to serve even stale: the request waits for a new one.
            Lookup::Miss
        } else {
            SegmentMetrics::count(&self.metrics.stale);
            Lookup::Stale(entry)
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Revalidated by path, or made before the segment was invalidated as
    /// a whole: the next request regenerates it.
    pub(crate) fn is_invalidated(&self, entry: &CacheEntry) -> bool {
        entry.is_invalidated() || entry.seq < self.invalid_below.load(Ordering::Relaxed)
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Seconds of freshness left: negative once stale (`Cache-Status` ttl).
    pub fn ttl(&self, entry: &CacheEntry) -> i64 {
        let age = entry.age(self.clock.now()).as_secs() as i64;
        match entry.lifetime.revalidate {
            Some(period) => (period.as_secs() as i64 - age).min(-1),
            None => -1,
        }
    }

    /// Fresh: within its period and not expired on demand.
    pub fn is_fresh(&self, entry: &CacheEntry) -> bool {
        entry.is_fresh(self.clock.now())
    }

    /// An entry that needs no regeneration: present, fresh, not invalidated.
    fn usable(&self, key: &str) -> Option<Arc<CacheEntry>> {
        self.store
            .get(key)
            .filter(|e| !self.is_invalidated(e) && self.is_fresh(e))
    }

    /// For a miss or a path revalidation: lead the one regeneration of `key`,
    /// or wait for the one already running.
    pub fn fill(self: &Arc<Self>, key: &str) -> Fill {
        match self.in_flight.entry(key.to_string()) {
            Entry::Occupied(running) => {
                SegmentMetrics::count(&self.metrics.collapsed);
                Fill::Wait(Waiter {
                    filled: running.get().clone(),
                    timeout: self.spec.lock_timeout,
                })
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
                    #[cfg(feature = "redis")]
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
            #[cfg(feature = "redis")]
            lock: None,
        })
    }

    /// Stores a regenerated response, made in `scope`, in memory and, with
    /// a shared tier, in Redis too (with its lifetime and tags), releasing
    /// the lock held for it there. Says whether the memory store took it.
    fn store_response(
        &self,
        key: &str,
        response: CachedResponse,
        #[cfg(feature = "redis")] lock: Option<LockToken>,
        scope: &EntryScope,
    ) -> (Arc<CacheEntry>, bool) {
        let lifetime = self.lifetime_for(&response, scope);
        let entry = self.entry(response, self.clock.now(), lifetime, self.tags_in(scope));
        #[cfg(feature = "redis")]
        self.write_shared(key, &entry, lock);
        self.insert(key, entry)
    }

    fn entry(
        &self,
        response: CachedResponse,
        made_at: Instant,
        lifetime: Lifetime,
        tags: Arc<[String]>,
    ) -> CacheEntry {
        let shared = Arc::ptr_eq(&tags, &self.entry_tags);
        let entry = CacheEntry::new(
            response.compacted(),
            made_at,
            lifetime,
            self.index,
            self.metrics.clone(),
            tags,
        );
        match shared {
            true => entry.sharing_tags(),
            false => entry,
        }
    }

    /// Puts `entry` in memory, indexed, unless the store turns it away (a
    /// new key while it is full); either way it serves the request that
    /// made it. Says whether it was stored.
    fn insert(&self, key: &str, entry: CacheEntry) -> (Arc<CacheEntry>, bool) {
        let entry = Arc::new(entry);
        let stored = self
            .entries
            .store(key, &entry, |key| self.store.insert(key, entry.clone()));
        if stored {
            self.metrics.record_insert(entry_weight(key, &entry));
            self.version.fetch_add(1, Ordering::Release);
        } else {
            SegmentMetrics::count(&self.metrics.not_admitted);
        }
        (entry, stored)
    }

    /// Every entry of this segment regenerates on its next request: when
    /// the route turns dynamic, and for path revalidations an instance
    /// missed while Redis was away. At once, whatever the number of
    /// entries: those made before now are invalid by their number.
    pub fn invalidate_all(&self) {
        self.invalid_below
            .fetch_max(CacheEntry::next_seq(), Ordering::Relaxed);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Drops the backoff states of failed refreshes that are over and
    /// whose key has left the store: nothing would ever read them again.
    fn prune_backoffs(&self, now: Instant) {
        self.refreshing.retain(|key, state| match state {
            RefreshState::Backoff { until, .. } if *until <= now => self.entries.contains(key),
            _ => true,
        });
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

/// What a regeneration hands the requests waiting for it.
#[derive(Debug, Clone)]
pub enum Filled {
    /// Stored, and the same for every visitor: serve it (with the forms
    /// it is sent in, made once for all of them).
    Shared(Arc<CacheEntry>),
    /// Stored as one variant (`Vary`): look up your own.
    Variant,
    /// Not stored (made from one visitor's data, or not storable): it was
    /// for its own request alone, so run yours.
    Own,
}

/// Waits for another request's regeneration, up to the segment's lock
/// timeout.
pub struct Waiter {
    filled: watch::Receiver<Option<Filled>>,
    timeout: Duration,
}

/// What a waiter learned.
#[derive(Debug)]
pub enum Waited {
    /// What the leader made of it.
    Filled(Filled),
    /// The leader gave up without an answer: look up again, and maybe lead.
    Abandoned,
    /// The leader took longer than the lock timeout: run your own, and
    /// store nothing, as the leader's is still on its way.
    TimedOut,
}

impl Waiter {
    /// Waits for the leader's outcome, on the runtime's clock (not the
    /// cache's: this bounds how long a visitor waits).
    pub async fn wait(mut self) -> Waited {
        let filled = self.filled.wait_for(Option::is_some);
        match tokio::time::timeout(self.timeout, filled).await {
            Ok(Ok(filled)) => filled.clone().map_or(Waited::Abandoned, Waited::Filled),
            Ok(Err(_)) => Waited::Abandoned,
            Err(_) => Waited::TimedOut,
        }
    }
}

/// The one regeneration of a key that requests wait for.
pub struct FillGuard {
    cache: Arc<SegmentCache>,
    key: String,
    sender: Option<watch::Sender<Option<Filled>>>,
    /// The key's lock in Redis, when this instance regenerates it for all.
    #[cfg(feature = "redis")]
    lock: Option<LockToken>,
}

impl FillGuard {
    /// The answer was made from what one visitor sent: it is theirs alone,
    /// and each waiting request runs its own.
    pub fn not_shared(mut self) {
        self.hand_over(Filled::Own);
    }

    /// Stores `response` if a shared cache may, and hands waiters what was
    /// stored, or tells them to run their own.
    pub fn complete(self, response: CachedResponse) -> Result<(), NotStored> {
        self.complete_for_request(response, |_| None).map(drop)
    }

    /// Like [`complete`](Self::complete), where `header` reads the request
    /// the response was made for, for the key of a variant (`Vary`). Returns
    /// the entry stored, which the request that made it is answered from.
    pub fn complete_for_request<'h>(
        self,
        response: CachedResponse,
        header: impl Fn(&HeaderName) -> Option<&'h HeaderValue>,
    ) -> Result<Arc<CacheEntry>, NotStored> {
        self.complete_scoped(response, header, &EntryScope::default())
    }

    /// Like [`complete_for_request`](Self::complete_for_request), for an
    /// answer whose run gave its entry tags or a lifetime of its own.
    pub fn complete_scoped<'h>(
        mut self,
        response: CachedResponse,
        header: impl Fn(&HeaderName) -> Option<&'h HeaderValue>,
        scope: &EntryScope,
    ) -> Result<Arc<CacheEntry>, NotStored> {
        if let Some(why) = response.not_storable() {
            self.hand_over(Filled::Own);
            return Err(why);
        }
        let vary = response.vary();
        if !vary.is_empty() {
            self.cache.learn_vary(&vary);
        }
        let key = match self.cache.varies.load(Ordering::Relaxed) {
            true => variant_key(key_base(&self.key), &self.cache.vary_names(), header),
            false => self.key.clone(),
        };
        if key == self.key {
            let (entry, stored) = self.cache.store_response(
                &self.key,
                response,
                #[cfg(feature = "redis")]
                self.lock.take(),
                scope,
            );
            // Stored or turned away at the door, it is for everyone.
            self.hand_over(Filled::Shared(entry.clone()));
            return stored.then_some(entry).ok_or(NotStored::NotAdmitted);
        }
        // Waiters may have sent other values of the headers it varies on.
        #[cfg(feature = "redis")]
        self.cache.release(&self.key, self.lock.take());
        if !self.cache.admits_variant(&key) {
            self.hand_over(Filled::Own);
            return Err(NotStored::TooManyVariants);
        }
        let (entry, stored) = self.cache.store_response(
            &key,
            response,
            #[cfg(feature = "redis")]
            None,
            scope,
        );
        self.hand_over(Filled::Variant);
        stored.then_some(entry).ok_or(NotStored::NotAdmitted)
    }

    fn hand_over(&mut self, filled: Filled) {
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(filled));
        }
    }
}

impl Drop for FillGuard {
    /// Leaves the map last, after the entry is stored, so that no request
    /// can find neither the entry nor a regeneration to wait for.
    fn drop(&mut self) {
        #[cfg(feature = "redis")]
        self.cache.release(&self.key, self.lock.take());
        self.cache.in_flight.remove(&self.key);
    }
}

/// The one background refresh of a stale key.
pub struct RefreshGuard {
    cache: Arc<SegmentCache>,
    key: String,
    failures: u32,
    done: bool,
    /// The key's lock in Redis, when this instance refreshes it for all.
    #[cfg(feature = "redis")]
    lock: Option<LockToken>,
}

impl RefreshGuard {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Stores the regenerated response, or, if it may not be stored (a 5xx,
    /// a cookie), keeps the last good one and backs off.
    pub fn complete(self, response: CachedResponse) {
        self.complete_scoped(response, &EntryScope::default());
    }

    /// Like [`complete`](Self::complete), for an answer whose run gave its
    /// entry tags or a lifetime of its own.
    pub fn complete_scoped(mut self, response: CachedResponse, scope: &EntryScope) {
        if let Some(why) = response.not_storable() {
            let reason = format!(
                "the handler answered {} that may not be stored ({})",
                response.status,
                why.detail()
            );
            return self.fail(&reason);
        }
        if let Some(read) = self.cache.dynamic_read() {
            return self.fail(&format!("the route reads request data ({read})"));
        }
        let vary = response.vary();
        if !vary.is_empty() {
            self.cache.learn_vary(&vary);
        }
        let (_, stored) = self.cache.store_response(
            &self.key,
            response,
            #[cfg(feature = "redis")]
            self.lock.take(),
            scope,
        );
        if stored {
            SegmentMetrics::count(&self.cache.metrics.refreshes);
        }
        self.cache.refreshing.remove(&self.key);
        self.done = true;
    }

    /// Keeps serving the last good entry (stale-if-error) and retries after
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use bytes::Bytes;
    use http::StatusCode;

    use super::*;
    use crate::store::{RemovalListener, Store};

    /// A store that lets go of a key when told, as moka does when it
    /// evicts one.
    #[derive(Default)]
    struct Forgetful {
        entries: Mutex<HashMap<String, Arc<CacheEntry>>>,
        listener: OnceLock<RemovalListener>,
    }

    impl Forgetful {
        fn forget(&self, key: &str) {
            let gone = self.entries.lock().unwrap().remove(key);
            if let (Some(entry), Some(listener)) = (gone, self.listener.get()) {
                listener(key, &entry);
            }
        }
    }

    impl Store for Forgetful {
        fn get(&self, key: &str) -> Option<Arc<CacheEntry>> {
            self.entries.lock().unwrap().get(key).cloned()
        }

        fn insert(&self, key: Arc<str>, entry: Arc<CacheEntry>) -> bool {
            self.entries.lock().unwrap().insert(key.to_string(), entry);
            true
        }

        fn weighted_size(&self) -> u64 {
            0
        }

        fn on_removal(&self, listener: RemovalListener) {
            let _ = self.listener.set(listener);
        }
    }

    #[test]
    fn a_backoff_that_is_over_is_dropped_once_its_key_has_left_the_store() {
        let store = Arc::new(Forgetful::default());
        let clock = Clock::manual();
        let spec = SegmentSpec {
            route: "/posts/[id]".into(),
            policy: CachePolicy::Cache {
                revalidate: Some(Duration::from_secs(2)),
            },
            ..SegmentSpec::default()
        };
        let cache = RevalidationCache::new(store.clone(), clock.clone(), [spec]);
        let segment = cache.segment(0).clone();
        for key in ["/posts/gone", "/posts/kept"] {
            let Fill::Lead(guard) = segment.fill(key) else {
                panic!("cold key");
            };
            let response = CachedResponse {
                status: StatusCode::OK,
                headers: vec![],
                body: Bytes::from_static(b"{}"),
            };
            assert!(guard.complete(response).is_ok());
        }
        clock.advance(Duration::from_secs(3));
        for key in ["/posts/gone", "/posts/kept"] {
            segment
                .refresh(key)
                .expect("stale")
                .fail("the upstream is down");
        }
        store.forget("/posts/gone");
        cache.due();
        assert_eq!(segment.refreshing.len(), 2, "backing off still");
        clock.advance(Duration::from_secs(1));
        cache.due();
        assert!(!segment.refreshing.contains_key("/posts/gone"));
        assert!(
            segment.refreshing.contains_key("/posts/kept"),
            "its failures count on"
        );
    }
}
