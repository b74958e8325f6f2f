//! Which request data a route function read while its answer was made for
//! the cache. Next.js's `dynamic = 'auto'`: a cached route that reads
//! headers, cookies, the query or the body made an answer for one visitor,
//! and one that fetches with `no-store` made it of live data, so it is not
//! stored and the route is dynamic from then on;
//! `dynamic = 'error'` turns such a read into a failure instead.
//!
//! One value is shared by the request and the context of one run, so a
//! read through either is seen. Watching costs nothing on routes that are
//! not cached: they carry no watcher.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Mutex;

use actix_web::http::header::HeaderName;

/// A kind of request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// The whole header map (`req.headers()`).
    Headers,
    /// One header by name (`req.header(name)`), which `Vary` can cover.
    Header,
    Cookies,
    /// The search params, or the URL's query.
    Query,
    Body,
    ClientIp,
    /// The `Host` (or forwarded host), through `req.url()`.
    Host,
    /// `connection()`: the answer is made for this very request.
    Connection,
    /// A value the proxy handed over (`ctx.extension()`).
    ProxyValue,
    /// A fetch never cached (`Cache::NoStore`, `revalidate(0)`): live data,
    /// as Next.js counts a `no-store` fetch.
    NoStoreFetch,
}

impl Read {
    const ALL: [Read; 10] = [
        Read::Headers,
        Read::Header,
        Read::Cookies,
        Read::Query,
        Read::Body,
        Read::ClientIp,
        Read::Host,
        Read::Connection,
        Read::ProxyValue,
        Read::NoStoreFetch,
    ];

    fn bit(self) -> u16 {
        1 << self as u16
    }

    /// As `Cache-Status` names it (`detail=read-cookies`) and the log does.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Read::Headers => "headers",
            Read::Header => "header",
            Read::Cookies => "cookies",
            Read::Query => "query",
            Read::Body => "body",
            Read::ClientIp => "client-ip",
            Read::Host => "host",
            Read::Connection => "connection",
            Read::ProxyValue => "proxy-value",
            Read::NoStoreFetch => "no-store-fetch",
        }
    }
}

/// The reads one run made.
#[derive(Debug, Default)]
pub(crate) struct DynamicReads {
    /// One bit per [`Read`]: ten kinds, more than a `u8` holds.
    kinds: AtomicU16,
    /// Headers read one by one, to compare with the response's `Vary`.
    named: Mutex<Vec<HeaderName>>,
}

impl DynamicReads {
    pub(crate) fn note(&self, read: Read) {
        self.kinds.fetch_or(read.bit(), Ordering::Relaxed);
    }

    pub(crate) fn note_header(&self, name: &str) {
        self.note(Read::Header);
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            let mut named = self.named.lock().unwrap_or_else(|e| e.into_inner());
            if !named.contains(&name) {
                named.push(name);
            }
        }
    }

    pub(crate) fn any(&self) -> bool {
        self.kinds.load(Ordering::Relaxed) != 0
    }

    /// The first read an answer keyed by the `vary` headers (and by the
    /// query, when `query_keyed`) does not account for; `None` when the
    /// answer is the same for every request with the same key.
    pub(crate) fn uncovered(&self, vary: &[HeaderName], query_keyed: bool) -> Option<Read> {
        let kinds = self.kinds.load(Ordering::Relaxed);
        Read::ALL.into_iter().find(|read| {
            kinds & read.bit() != 0
                && match read {
                    Read::Query => !query_keyed,
                    Read::Header => {
                        let named = self.named.lock().unwrap_or_else(|e| e.into_inner());
                        named.iter().any(|name| !vary.contains(name))
                    }
                    _ => true,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_named_by_vary_and_a_keyed_query_are_covered() {
        let reads = DynamicReads::default();
        assert_eq!(reads.uncovered(&[], false), None);
        reads.note_header("Accept-Language");
        reads.note(Read::Query);
        let vary = [HeaderName::from_static("accept-language")];
        assert_eq!(reads.uncovered(&vary, true), None);
        assert_eq!(reads.uncovered(&vary, false), Some(Read::Query));
        assert_eq!(reads.uncovered(&[], true), Some(Read::Header));
        reads.note(Read::Cookies);
        assert_eq!(reads.uncovered(&vary, true), Some(Read::Cookies));
    }
}
