//! Segment config: the options a route file declares beside its handlers,
//! as Next.js's route segment config defines them for route handlers.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::ConfigError;

/// `export const dynamic`: whether a GET handler's response may be cached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dynamic {
    /// Dynamic unless the segment sets `REVALIDATE` (Next.js 15 and later).
    #[default]
    Auto,
    /// Never cached.
    ForceDynamic,
    /// Made once, cached until revalidated on demand.
    ForceStatic,
    /// Like `ForceStatic`, and reading request data is an error.
    Error,
}

impl Dynamic {
    const ACCEPTED: &'static str = "`auto`, `force-dynamic`, `force-static`, `error`";
}

impl FromStr for Dynamic {
    type Err = ConfigError;

    /// Parses the Next.js spelling: `force-static` and so on.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "auto" => Ok(Dynamic::Auto),
            "force-dynamic" => Ok(Dynamic::ForceDynamic),
            "force-static" => Ok(Dynamic::ForceStatic),
            "error" => Ok(Dynamic::Error),
            _ => Err(ConfigError::NotAccepted {
                key: "dynamic",
                value: value.to_string(),
                accepted: Self::ACCEPTED,
            }),
        }
    }
}

/// Everything a segment declares besides its handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentConfig {
    /// `REVALIDATE`: seconds a cached GET response stays fresh; `Some(0)`
    /// never caches; `None` is the route's default.
    pub revalidate: Option<u64>,
    pub dynamic: Dynamic,
    /// `DYNAMIC_PARAMS`: `false` answers 404 for params that
    /// `generate_static_params` does not list.
    pub dynamic_params: bool,
    /// `MAX_DURATION`: past it the engine answers 504.
    pub max_duration: Option<Duration>,
    /// `TAGS`: names for on-demand revalidation.
    pub tags: Vec<String>,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            revalidate: None,
            dynamic: Dynamic::Auto,
            dynamic_params: true,
            max_duration: None,
            tags: Vec::new(),
        }
    }
}

impl SegmentConfig {
    /// How `trellis routes` (like `next build`) describes the route's GET.
    pub fn kind(&self) -> RouteKind {
        match (self.dynamic, self.revalidate) {
            (Dynamic::ForceDynamic, _) | (_, Some(0)) => RouteKind::Dynamic,
            (Dynamic::ForceStatic | Dynamic::Error, None) => RouteKind::Static,
            (_, Some(seconds)) => RouteKind::Revalidated(seconds),
            (Dynamic::Auto, None) => RouteKind::Dynamic,
        }
    }
}

/// The rendering kind `next build` prints beside each route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Made on every request.
    Dynamic,
    /// Made once, served from cache.
    Static,
    /// Cached, regenerated at most once every N seconds.
    Revalidated(u64),
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKind::Dynamic => f.write_str("dynamic"),
            RouteKind::Static => f.write_str("static"),
            RouteKind::Revalidated(n) => write!(f, "revalidated every {n} s"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_rejects_unknown_values_listing_the_accepted_ones() {
        assert_eq!("force-static".parse(), Ok(Dynamic::ForceStatic));
        let err = "static".parse::<Dynamic>().unwrap_err().to_string();
        assert!(
            err.contains("`force-static`") && err.starts_with("`dynamic`"),
            "{err}"
        );
    }

    #[test]
    fn kind_follows_next_js() {
        let kind = |dynamic, revalidate| {
            SegmentConfig {
                dynamic,
                revalidate,
                ..SegmentConfig::default()
            }
            .kind()
        };
        assert_eq!(kind(Dynamic::Auto, None), RouteKind::Dynamic);
        assert_eq!(kind(Dynamic::Auto, Some(2)), RouteKind::Revalidated(2));
        assert_eq!(kind(Dynamic::Auto, Some(0)), RouteKind::Dynamic);
        assert_eq!(kind(Dynamic::ForceStatic, None), RouteKind::Static);
        assert_eq!(kind(Dynamic::ForceDynamic, Some(5)), RouteKind::Dynamic);
    }
}
