//! What the cache holds for one key: a response, when it was made, and the
//! flags the timer and on-demand revalidation set on it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

use crate::metrics::SegmentMetrics;

/// A response as stored: everything needed to send it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl CachedResponse {
    /// Bytes this response costs the cache's budget.
    pub fn weight(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 32)
            .sum();
        self.body.len() + headers + 64
    }

    /// Only responses that are the same for every visitor are stored: no
    /// server errors, no cookies set for one client.
    pub fn is_storable(&self) -> bool {
        !self.status.is_server_error()
            && !self
                .headers
                .iter()
                .any(|(n, _)| n == http::header::SET_COOKIE)
    }
}

/// One cached response with its freshness state.
#[derive(Debug)]
pub struct CacheEntry {
    pub response: CachedResponse,
    pub made_at: Instant,
    /// Which segment made it (an index into the route table).
    pub segment: usize,
    /// That segment's counters, so eviction is counted where it belongs.
    pub metrics: Arc<SegmentMetrics>,
    /// Set by every hit, so the timer refreshes only entries in use.
    requested: AtomicBool,
    /// Set by `revalidate_tag`: stale now, whatever its age.
    expired: AtomicBool,
    /// Set by `revalidate_path`: the next request regenerates and waits.
    invalidated: AtomicBool,
}

impl CacheEntry {
    pub fn new(
        response: CachedResponse,
        made_at: Instant,
        segment: usize,
        metrics: Arc<SegmentMetrics>,
    ) -> Self {
        CacheEntry {
            response,
            made_at,
            segment,
            metrics,
            requested: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            invalidated: AtomicBool::new(false),
        }
    }

    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.made_at)
    }

    /// Fresh: younger than `revalidate` (forever when `None`) and not expired
    /// on demand.
    pub fn is_fresh(&self, now: Instant, revalidate: Option<Duration>) -> bool {
        !self.expired.load(Ordering::Relaxed)
            && revalidate.is_none_or(|period| self.age(now) < period)
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
