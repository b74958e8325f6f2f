//! Which GET responses a segment caches, for how long, and the headers that
//! say so (`Cache-Control` as Next.js emits it, `Cache-Status` per RFC 9211).

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use trellis_config::{Dynamic, RouteKind, SegmentConfig, ONE_YEAR_SECS};

use crate::entry::NotStored;

/// How a segment's GET responses are cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Made on every request.
    Bypass,
    /// Cached; stale after `revalidate` (never, when `None`, until revalidated
    /// on demand).
    Cache { revalidate: Option<Duration> },
}

impl CachePolicy {
    /// Next.js 15+ semantics: a GET is dynamic unless the segment sets
    /// `revalidate`, is force-static (or `error`), or lists static params;
    /// and in `auto`, a GET the build saw reading request data is dynamic.
    ///
    /// ```
    /// use std::time::Duration;
    /// use trellis_cache::CachePolicy;
    /// use trellis_config::{Dynamic, RouteKind, SegmentConfig};
    ///
    /// let posts = SegmentConfig { revalidate: Some(2), ..SegmentConfig::default() };
    /// assert_eq!(
    ///     CachePolicy::for_segment(&posts, false),
    ///     CachePolicy::Cache { revalidate: Some(Duration::from_secs(2)) }
    /// );
    /// assert_eq!(CachePolicy::for_segment(&SegmentConfig::default(), false), CachePolicy::Bypass);
    /// ```
    pub fn for_segment(config: &SegmentConfig, has_static_params: bool) -> Self {
        let revalidate = config.revalidate.map(Duration::from_secs);
        match (config.dynamic, config.revalidate) {
            (Dynamic::ForceDynamic, _) | (_, Some(0)) => CachePolicy::Bypass,
            (Dynamic::Auto, _) if config.reads_request_data.is_some() => CachePolicy::Bypass,
            (Dynamic::ForceStatic | Dynamic::Error, _) | (Dynamic::Auto, Some(_)) => {
                CachePolicy::Cache { revalidate }
            }
            (Dynamic::Auto, None) if has_static_params => CachePolicy::Cache { revalidate: None },
            (Dynamic::Auto, None) => CachePolicy::Bypass,
        }
    }

    /// How `trellis routes` (like `next build`) describes the route.
    pub fn kind(&self) -> RouteKind {
        match self {
            CachePolicy::Bypass => RouteKind::Dynamic,
            CachePolicy::Cache { revalidate: None } => RouteKind::Static,
            CachePolicy::Cache {
                revalidate: Some(period),
            } => RouteKind::Revalidated(period.as_secs()),
        }
    }

    /// The `Cache-Control` Next.js sends for the same config: fresh for
    /// `revalidate`, then served stale until `expire`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use trellis_cache::CachePolicy;
    ///
    /// let posts = CachePolicy::Cache { revalidate: Some(Duration::from_secs(2)) };
    /// assert_eq!(posts.cache_control(Duration::from_secs(60)).unwrap(), "s-maxage=2, stale-while-revalidate=58");
    /// ```
    pub fn cache_control(&self, expire: Duration) -> Option<HeaderValue> {
        match self {
            CachePolicy::Bypass => None,
            CachePolicy::Cache { revalidate: None } => {
                Some(HeaderValue::from_static("s-maxage=31536000"))
            }
            CachePolicy::Cache {
                revalidate: Some(period),
            } => {
                let n = period.as_secs();
                let value = format!(
                    "s-maxage={n}, stale-while-revalidate={}",
                    expire.as_secs().saturating_sub(n)
                );
                Some(
                    HeaderValue::from_str(&value)
                        .expect("digits are valid header text: this is a bug in Trellis"),
                )
            }
        }
    }
}

/// RFC 9211's header: what the cache did for this response.
pub const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

/// What the cache did for one response, sent as `Cache-Status` (RFC 9211).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Fresh from the cache.
    Hit,
    /// Stale from the cache while one refresh runs; `ttl` is negative.
    Stale { ttl: i64 },
    /// Stale from the cache because regenerating it failed.
    StaleOnError { ttl: i64 },
    /// Nothing cached: the handler ran for this request.
    Miss { stored: bool },
    /// Nothing cached: this request waited for another's regeneration.
    Collapsed,
    /// Nothing cached: another's regeneration took longer than the lock
    /// timeout, so this request ran its own, and stored nothing.
    LockTimeout,
    /// Revalidated on demand: regenerated for this request.
    Revalidated { stored: bool },
    /// The route is dynamic: never cached.
    Bypass,
    /// Not cached: the route read request data (the read named), which
    /// makes it dynamic from then on.
    DynamicRead { read: &'static str },
    /// The handler ran for this request, and its answer was not stored.
    NotStored(NotStored),
}

impl CacheStatus {
    pub fn header_value(&self) -> HeaderValue {
        match *self {
            CacheStatus::Hit => HeaderValue::from_static("trellis; hit"),
            CacheStatus::Miss { stored: true } => {
                HeaderValue::from_static("trellis; fwd=miss; stored")
            }
            CacheStatus::Miss { stored: false } => HeaderValue::from_static("trellis; fwd=miss"),
            CacheStatus::Collapsed => HeaderValue::from_static("trellis; fwd=miss; collapsed"),
            CacheStatus::LockTimeout => {
                HeaderValue::from_static("trellis; fwd=miss; detail=lock-timeout")
            }
            CacheStatus::Revalidated { stored: true } => {
                HeaderValue::from_static("trellis; fwd=stale; stored")
            }
            CacheStatus::Revalidated { stored: false } => {
                HeaderValue::from_static("trellis; fwd=stale")
            }
            CacheStatus::Bypass => HeaderValue::from_static("trellis; fwd=bypass"),
            CacheStatus::DynamicRead { read } => {
                numeric(format!("trellis; fwd=bypass; detail=read-{read}"))
            }
            CacheStatus::NotStored(why) => {
                numeric(format!("trellis; fwd=miss; detail={}", why.detail()))
            }
            CacheStatus::Stale { ttl } => numeric(format!("trellis; hit; ttl={ttl}")),
            CacheStatus::StaleOnError { ttl } => {
                numeric(format!("trellis; hit; ttl={ttl}; detail=stale-if-error"))
            }
        }
    }
}

/// Digits and the engine's own tokens are always valid header text.
fn numeric(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("digits are valid header text: this is a bug in Trellis")
}

/// The default `expire`, for callers that have no config of their own.
pub const DEFAULT_EXPIRE: Duration = Duration::from_secs(ONE_YEAR_SECS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_matches_next_js() {
        let every = |n| CachePolicy::Cache {
            revalidate: Some(Duration::from_secs(n)),
        };
        assert_eq!(
            every(2).cache_control(DEFAULT_EXPIRE).unwrap(),
            "s-maxage=2, stale-while-revalidate=31535998"
        );
        let forever = CachePolicy::Cache { revalidate: None };
        assert_eq!(
            forever.cache_control(DEFAULT_EXPIRE).unwrap(),
            "s-maxage=31536000"
        );
        assert!(CachePolicy::Bypass.cache_control(DEFAULT_EXPIRE).is_none());
    }

    #[test]
    fn force_dynamic_and_zero_never_cache() {
        let config = |dynamic, revalidate| SegmentConfig {
            dynamic,
            revalidate,
            ..SegmentConfig::default()
        };
        assert_eq!(
            CachePolicy::for_segment(&config(Dynamic::ForceDynamic, Some(5)), true),
            CachePolicy::Bypass
        );
        assert_eq!(
            CachePolicy::for_segment(&config(Dynamic::ForceStatic, Some(0)), false),
            CachePolicy::Bypass
        );
        assert_eq!(
            CachePolicy::for_segment(&config(Dynamic::ForceStatic, None), false),
            CachePolicy::Cache { revalidate: None }
        );
    }

    #[test]
    fn stale_status_carries_a_negative_ttl() {
        assert_eq!(
            CacheStatus::Stale { ttl: -1 }.header_value(),
            "trellis; hit; ttl=-1"
        );
    }
}
