//! A `cacheLife` as route functions give it: the name of a profile, or the
//! numbers themselves.

use trellis_config::CacheLife;

/// What `ctx.cache_life(..)` and the second argument of
/// `ctx.revalidate_tag(..)` take: `"hours"`, a profile of
/// `[cache.profiles]`, or a [`CacheLife`].
///
/// ```
/// use trellis_engine::{CacheLife, CacheProfile};
///
/// assert_eq!(CacheProfile::from("max"), CacheProfile::Named("max".into()));
/// let now = CacheProfile::from(CacheLife::EXPIRE_NOW);
/// assert_eq!(now, CacheProfile::Life(CacheLife { expire: Some(0), ..CacheLife::default() }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheProfile {
    /// One of Next.js's presets (`seconds` to `max`, `default`), or the
    /// app's own from `[cache.profiles]`.
    Named(String),
    /// The numbers themselves.
    Life(CacheLife),
}

impl From<&str> for CacheProfile {
    fn from(name: &str) -> Self {
        CacheProfile::Named(name.to_string())
    }
}

impl From<String> for CacheProfile {
    fn from(name: String) -> Self {
        CacheProfile::Named(name)
    }
}

impl From<CacheLife> for CacheProfile {
    fn from(life: CacheLife) -> Self {
        CacheProfile::Life(life)
    }
}
