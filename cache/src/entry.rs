//! What the cache holds for one key: a response, when it was made, its
//! lifetime and tags, and the flags the timer and on-demand revalidation
//! set on it; and what the run that made it says about it beyond its
//! response ([`EntryScope`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, StatusCode};

use crate::metrics::SegmentMetrics;

/// A response as stored: everything needed to send it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl CachedResponse {
    /// Whether a shared cache may store this response (RFC 9111): a status
    /// cacheable by default, no cookie set for one client, no
    /// `Cache-Control: private`, `no-store` or `no-cache`, no `Vary: *`. A
    /// `Vary: Cookie` is refused too: one variant per session would fill
    /// the cache with entries only their own visitor can use.
    ///
    /// ```
    /// use trellis_cache::{CachedResponse, NotStored};
    /// use http::{header, HeaderValue, StatusCode};
    ///
    /// let mut response = CachedResponse { status: StatusCode::OK, headers: vec![], body: "{}".into() };
    /// assert_eq!(response.not_storable(), None);
    /// response.headers.push((header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=60")));
    /// assert_eq!(response.not_storable(), Some(NotStored::Private));
    /// ```
    pub fn not_storable(&self) -> Option<NotStored> {
        if !cacheable_by_default(self.status) {
            return Some(NotStored::Status);
        }
        for (name, value) in &self.headers {
            let refused = if name == header::SET_COOKIE {
                Some(NotStored::SetCookie)
            } else if name == header::CACHE_CONTROL {
                cache_control_refusal(value)
            } else if name == header::VARY {
                vary_refusal(value)
            } else {
                None
            };
            if refused.is_some() {
                return refused;
            }
        }
        None
    }

    pub fn is_storable(&self) -> bool {
        self.not_storable().is_none()
    }

    /// The request headers named by `Vary`, lower case, sorted, without
    /// repeats; empty when the response does not vary.
    pub fn vary(&self) -> Vec<HeaderName> {
        let mut names: Vec<HeaderName> = self
            .headers
            .iter()
            .filter(|(name, _)| name == header::VARY)
            .filter_map(|(_, value)| value.to_str().ok())
            .flat_map(|list| list.split(','))
            .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names.dedup();
        names
    }

    /// The response as the cache keeps it: the body in a buffer of its own
    /// length (one grown by doubling can hold twice what it says) and the
    /// header list no longer than its headers, so that what the budget
    /// counts is what is held.
    pub(crate) fn compacted(mut self) -> Self {
        if !self.body.is_empty() {
            self.body = Bytes::copy_from_slice(&self.body);
        }
        self.headers.shrink_to_fit();
        self
    }

    /// 404 and 410: answers that are kept only briefly.
    pub fn is_negative(&self) -> bool {
        matches!(self.status, StatusCode::NOT_FOUND | StatusCode::GONE)
    }
}

/// Why a response is not stored, as `Cache-Status` gives it in `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// A status not cacheable by default (RFC 9110 section 15.1): a 5xx, a
    /// 401, 403, 429, a 302 or 307 redirect.
    Status,
    SetCookie,
    /// `Cache-Control: private`.
    Private,
    /// `Cache-Control: no-store`.
    NoStore,
    /// `Cache-Control: no-cache`: every use must be revalidated first.
    NoCache,
    /// `Vary: *`.
    VaryAny,
    /// `Vary: Cookie`.
    VaryCookie,
    /// More variants of one key than the cache keeps.
    TooManyVariants,
    /// A key the memory store did not hold, seen once while it was full:
    /// kept out so that it pushes out nothing; stored when it comes again.
    NotAdmitted,
}

impl NotStored {
    /// The `detail` token of `Cache-Status`.
    pub fn detail(&self) -> &'static str {
        match self {
            NotStored::Status => "status",
            NotStored::SetCookie => "set-cookie",
            NotStored::Private => "private",
            NotStored::NoStore => "no-store",
            NotStored::NoCache => "no-cache",
            NotStored::VaryAny => "vary-any",
            NotStored::VaryCookie => "vary-cookie",
            NotStored::TooManyVariants => "too-many-variants",
            NotStored::NotAdmitted => "not-admitted",
        }
    }
}

/// RFC 9110 section 15.1's statuses "heuristically cacheable", the ones a
/// shared cache may store without being told it may.
fn cacheable_by_default(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 203 | 204 | 206 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

fn cache_control_refusal(value: &HeaderValue) -> Option<NotStored> {
    let value = value.to_str().ok()?;
    value.split(',').find_map(|directive| {
        let name = directive.split('=').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("private") {
            Some(NotStored::Private)
        } else if name.eq_ignore_ascii_case("no-store") {
            Some(NotStored::NoStore)
        } else if name.eq_ignore_ascii_case("no-cache") {
            Some(NotStored::NoCache)
        } else {
            None
        }
    })
}

fn vary_refusal(value: &HeaderValue) -> Option<NotStored> {
    let value = value.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|name| {
        if name == "*" {
            Some(NotStored::VaryAny)
        } else if name.eq_ignore_ascii_case("cookie") {
            Some(NotStored::VaryCookie)
        } else {
            None
        }
    })
}

/// How long one entry is fresh, and past what age it is never served
/// stale; decided when it is stored, so a hit only compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// Fresh for this long; forever (until revalidated) when `None`.
    pub revalidate: Option<Duration>,
    /// Never served past this age.
    pub expire: Duration,
}

/// What the run that made an entry says about it beyond its response, as
/// Next.js's `cacheTag` and `cacheLife` do, and what the data it was made
/// from says: its tags, and the shortest of the data's periods. Empty, the
/// route's config alone decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryScope {
    /// Tags beyond the route's `TAGS`: `cache_tag`, and the data's tags.
    pub tags: Vec<String>,
    /// `cache_life`: the period this entry has instead of its route's.
    pub revalidate: Option<Duration>,
    /// `cache_life`: the `expire` this entry has instead of its route's.
    pub expire: Option<Duration>,
    /// The shortest period of the data (fetches, memos) the answer was
    /// made from: the entry is fresh no longer than its data.
    pub data_period: Option<Duration>,
}

/// Numbers entries in the order they are made, across the process.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// One form a stored response is sent in: its body in one content coding,
/// and the strong validator of those bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    pub body: Bytes,
    pub etag: HeaderValue,
}

/// The forms of one stored response (RFC 9110's representations): as made,
/// and compressed where that pays, each with its own `ETag`. The engine
/// makes them, as it knows what to compress; the entry keeps them, so that
/// a compressed hit costs what a plain one does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representations {
    pub identity: Representation,
    pub gzip: Option<Representation>,
    pub br: Option<Representation>,
    /// Whether the form sent depends on `Accept-Encoding` (a compressible
    /// type, large enough) and the response does not say so itself: sent
    /// with `Vary: Accept-Encoding`, whichever form goes out.
    pub negotiated: bool,
    /// `Last-Modified`: the response's own, or when it was made.
    pub last_modified: HeaderValue,
}

/// One cached response with its freshness state.
#[derive(Debug)]
pub struct CacheEntry {
    pub response: CachedResponse,
    pub made_at: Instant,
    pub lifetime: Lifetime,
    /// Which segment made it (an index into the route table).
    pub segment: usize,
    /// That segment's counters, so eviction is counted where it belongs.
    pub metrics: Arc<SegmentMetrics>,
    /// The names `revalidate_tag` reaches it by.
    pub tags: Arc<[String]>,
    /// Whether `tags` is its segment's list, shared by all its entries
    /// (the route's `TAGS` and page tag), which the byte budget counts for
    /// none of them; otherwise the list is the entry's own.
    shares_tags: bool,
    /// Its place in the order entries were made: older ones have smaller
    /// numbers, which is how a whole segment is invalidated at once.
    pub(crate) seq: u64,
    /// Set by every hit, so the timer refreshes only entries in use.
    requested: AtomicBool,
    /// Set by `revalidate_tag`: stale now, whatever its age.
    expired: AtomicBool,
    /// Set by `revalidate_path`: the next request regenerates and waits.
    invalidated: AtomicBool,
    /// The forms it is sent in, made the first time it is sent.
    representations: OnceLock<Representations>,
}

impl CacheEntry {
    pub fn new(
        response: CachedResponse,
        made_at: Instant,
        lifetime: Lifetime,
        segment: usize,
        metrics: Arc<SegmentMetrics>,
        tags: Arc<[String]>,
    ) -> Self {
        CacheEntry {
            response,
            made_at,
            lifetime,
            segment,
            metrics,
            tags,
            shares_tags: false,
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            requested: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            invalidated: AtomicBool::new(false),
            representations: OnceLock::new(),
        }
    }

    /// Marks `tags` as its segment's list, shared with the segment's other
    /// entries, not the entry's own.
    pub(crate) fn sharing_tags(mut self) -> Self {
        self.shares_tags = true;
        self
    }

    /// Whether `tags` is its segment's shared list.
    pub(crate) fn shares_tags(&self) -> bool {
        self.shares_tags
    }

    /// The number the next entry made will have: every entry made so far
    /// has a smaller one.
    pub(crate) fn next_seq() -> u64 {
        SEQUENCE.load(Ordering::Relaxed)
    }

    /// When it turns stale: when made, if a tag expired it already, or
    /// when its period is over, if it has one.
    pub(crate) fn stale_at(&self) -> Option<Instant> {
        if self.expired.load(Ordering::Relaxed) {
            return Some(self.made_at);
        }
        self.made_at.checked_add(self.lifetime.revalidate?)
    }

    /// The forms this entry is sent in, made by `make` the first time they
    /// are asked for and kept for the entry's life: once per generation.
    pub fn representations(
        &self,
        make: impl FnOnce(&CachedResponse) -> Representations,
    ) -> &Representations {
        self.representations.get_or_init(|| make(&self.response))
    }

    /// Expired by `revalidate_tag` rather than by age.
    pub fn is_expired_on_demand(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.made_at)
    }

    /// Fresh: younger than its `revalidate` (forever when `None`) and not
    /// expired on demand.
    pub fn is_fresh(&self, now: Instant) -> bool {
        !self.expired.load(Ordering::Relaxed)
            && self
                .lifetime
                .revalidate
                .is_none_or(|period| self.age(now) < period)
    }

    /// Past its `expire` age: never served, not even stale.
    pub fn is_past_expire(&self, now: Instant) -> bool {
        self.age(now) >= self.lifetime.expire
    }

    pub(crate) fn mark_requested(&self) {
        // A plain load first keeps hot entries' cache line shared between cores.
        if !self.requested.load(Ordering::Relaxed) {
            self.requested.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn was_requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    pub(crate) fn expire(&self) {
        self.expired.store(true, Ordering::Relaxed);
    }

    pub(crate) fn invalidate(&self) {
        self.invalidated.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_invalidated(&self) -> bool {
        self.invalidated.load(Ordering::Relaxed)
    }
}
