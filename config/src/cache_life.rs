//! `cacheLife`: how long a cached entry is fresh and how long it may still
//! be served stale, given by numbers or by the name of a profile: Next.js's
//! presets (`default`, `seconds`, `minutes`, `hours`, `days`, `weeks`,
//! `max`) or the app's own, from `[cache.profiles]` in trellis.toml.

use serde::{Deserialize, Serialize};

use crate::server::ONE_YEAR_SECS;

/// A lifetime in seconds. A field left out keeps what the entry would have
/// had without it (its route's `REVALIDATE`, `EXPIRE`).
///
/// ```
/// use trellis_config::CacheLife;
///
/// let hours = CacheLife::preset("hours").unwrap();
/// assert_eq!((hours.revalidate, hours.expire), (Some(3600), Some(86_400)));
/// assert_eq!(CacheLife::default().with_revalidate(60).problem(), None);
/// assert!(CacheLife::default().with_revalidate(60).with_expire(30).problem().is_some());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheLife {
    /// How long a client may use the value without asking the server
    /// (Next.js's client router cache). Kept so profiles read as Next.js
    /// writes them; the server's cache has no use for it.
    pub stale: Option<u64>,
    /// Fresh for this long; then served stale while one refresh runs.
    pub revalidate: Option<u64>,
    /// Never served past this age. For `revalidate_tag`, how long entries
    /// marked stale may still be served: 0 expires them now.
    pub expire: Option<u64>,
}

impl CacheLife {
    /// `{ expire: 0 }`: what `revalidate_tag` is given to expire entries
    /// at once, so that the next request waits for fresh data.
    pub const EXPIRE_NOW: CacheLife = CacheLife {
        stale: None,
        revalidate: None,
        expire: Some(0),
    };

    /// One of Next.js's preset profiles, with its numbers.
    pub fn preset(name: &str) -> Option<CacheLife> {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        const DAY: u64 = 24 * HOUR;
        let (stale, revalidate, expire) = match name {
            "default" => (5 * MINUTE, 15 * MINUTE, ONE_YEAR_SECS),
            "seconds" => (30, 1, MINUTE),
            "minutes" => (5 * MINUTE, MINUTE, HOUR),
            "hours" => (5 * MINUTE, HOUR, DAY),
            "days" => (5 * MINUTE, DAY, 7 * DAY),
            "weeks" => (5 * MINUTE, 7 * DAY, 30 * DAY),
            "max" => (5 * MINUTE, 30 * DAY, ONE_YEAR_SECS),
            _ => return None,
        };
        Some(CacheLife {
            stale: Some(stale),
            revalidate: Some(revalidate),
            expire: Some(expire),
        })
    }

    /// The lifetime with `stale` set to `seconds`.
    pub fn with_stale(mut self, seconds: u64) -> Self {
        self.stale = Some(seconds);
        self
    }

    /// The lifetime with `revalidate` set to `seconds`.
    pub fn with_revalidate(mut self, seconds: u64) -> Self {
        self.revalidate = Some(seconds);
        self
    }

    /// The lifetime with `expire` set to `seconds`.
    pub fn with_expire(mut self, seconds: u64) -> Self {
        self.expire = Some(seconds);
        self
    }

    /// What makes this lifetime unusable, if anything: a period of 0 (an
    /// entry that is never fresh), or an `expire` not longer than the
    /// period.
    pub fn problem(&self) -> Option<&'static str> {
        if self.revalidate == Some(0) {
            return Some("`revalidate` must be at least 1 second (0 would never cache)");
        }
        match (self.revalidate, self.expire) {
            (Some(revalidate), Some(expire)) if expire <= revalidate => {
                Some("`expire` must be longer than `revalidate`")
            }
            _ => None,
        }
    }
}

/// Whether `name` may name a profile: letters, digits, `-` and `_`.
pub(crate) fn is_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_an_expire_longer_than_its_period() {
        for name in [
            "default", "seconds", "minutes", "hours", "days", "weeks", "max",
        ] {
            let life = CacheLife::preset(name).unwrap();
            assert_eq!(life.problem(), None, "{name}");
        }
        assert_eq!(CacheLife::preset("fortnight"), None);
        assert_eq!(CacheLife::EXPIRE_NOW.problem(), None);
    }

    #[test]
    fn profile_names_are_plain_words() {
        assert!(is_profile_name("blog-posts_2"));
        assert!(!is_profile_name(""));
        assert!(!is_profile_name("a b"));
    }
}
