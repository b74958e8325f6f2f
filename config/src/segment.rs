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
    /// `CACHE_BY_QUERY`: cache one entry per query string, not per path.
    pub cache_by_query: bool,
    /// `BODY_LIMIT`: largest request body in bytes; `None` is the server's.
    pub body_limit: Option<usize>,
    /// `EXPIRE`: seconds after which an entry is never served stale; `None`
    /// is the server's `[cache] expire_secs`.
    pub expire: Option<u64>,
    /// `NEGATIVE_TTL`: seconds a 404 or 410 stays fresh at most; `None` is
    /// the server's `[cache] negative_ttl_secs`.
    pub negative_ttl: Option<u64>,
    /// A read of request data the build saw in the GET function (`.cookies()`),
    /// which makes an `auto` route dynamic, as `next build` marks it.
    pub reads_request_data: Option<&'static str>,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            revalidate: None,
            dynamic: Dynamic::Auto,
            dynamic_params: true,
            max_duration: None,
            tags: Vec::new(),
            cache_by_query: false,
            body_limit: None,
            expire: None,
            negative_ttl: None,
            reads_request_data: None,
        }
    }
}

impl SegmentConfig {
    /// Checks the combination of options; `source` names the route file.
    pub fn validate(&self, source: &str, has_static_params: bool) -> Result<(), ConfigError> {
        let problem = |problem: &str| {
            Err(ConfigError::InvalidSegment {
                file: source.to_string(),
                problem: problem.to_string(),
            })
        };
        if self.max_duration == Some(Duration::ZERO) {
            return problem("`MAX_DURATION` must be at least 1 second");
        }
        if let (Some(expire), Some(revalidate)) = (self.expire, self.revalidate) {
            if expire <= revalidate {
                return problem("`EXPIRE` must be longer than `REVALIDATE`: past it an entry is never served stale");
            }
        }
        if self.dynamic == Dynamic::ForceDynamic && self.revalidate.is_some_and(|n| n > 0) {
            return problem("`REVALIDATE` has no effect with `DYNAMIC = Dynamic::ForceDynamic`: remove one of them");
        }
        if !self.dynamic_params && !has_static_params {
            return problem(
                "`DYNAMIC_PARAMS = false` without `generate_static_params` answers every request with 404",
            );
        }
        if let Some((tag, why)) = self
            .tags
            .iter()
            .find_map(|t| tag_problem(t).map(|why| (t, why)))
        {
            return problem(&format!("tag {tag:?}: {why}"));
        }
        Ok(())
    }
}

/// Tags the engine makes for itself (a route's page, a path) start with
/// this, as Next.js's implicit tags do; no tag of an app's may.
pub const IMPLICIT_TAG_PREFIX: &str = "_N_T_";

/// Why `tag` cannot be a tag, if it cannot: for `TAGS`, `cache_tag` and
/// the tags of fetches and memos alike.
///
/// ```
/// use trellis_config::tag_problem;
///
/// assert_eq!(tag_problem("product-123"), None);
/// assert!(tag_problem("two words").is_some());
/// assert!(tag_problem("_N_T_/posts").is_some());
/// ```
pub fn tag_problem(tag: &str) -> Option<&'static str> {
    if tag.is_empty()
        || tag.len() > 256
        || tag
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == ',')
    {
        return Some("tags are 1 to 256 characters, no spaces, commas or control characters");
    }
    if tag.starts_with(IMPLICIT_TAG_PREFIX) {
        return Some("tags starting with `_N_T_` are the engine's own");
    }
    None
}

/// The rendering kind `next build` prints beside each route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Made on every request.
    Dynamic,
    /// Made on every request because the GET function reads request data
    /// (the read named), as `next build` marks such a route.
    DynamicByRead(&'static str),
    /// Made once, served from cache.
    Static,
    /// Cached, regenerated at most once every N seconds.
    Revalidated(u64),
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKind::Dynamic => f.write_str("dynamic"),
            RouteKind::DynamicByRead(read) => write!(f, "dynamic (reads request data: `{read}`)"),
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
        assert!(matches!("force-static".parse(), Ok(Dynamic::ForceStatic)));
        let err = "static".parse::<Dynamic>().unwrap_err().to_string();
        assert!(
            err.contains("`force-static`") && err.starts_with("`dynamic`"),
            "{err}"
        );
    }

    #[test]
    fn contradictory_options_are_refused_naming_the_file() {
        let config = SegmentConfig {
            dynamic: Dynamic::ForceDynamic,
            revalidate: Some(5),
            ..SegmentConfig::default()
        };
        let err = config
            .validate("app/x/route.rs", false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("app/x/route.rs: `REVALIDATE`"), "{err}");
        let no_params = SegmentConfig {
            dynamic_params: false,
            ..SegmentConfig::default()
        };
        assert!(no_params.validate("f", false).is_err());
        assert!(no_params.validate("f", true).is_ok());
        let bad_tag = SegmentConfig {
            tags: vec!["a b".into()],
            ..SegmentConfig::default()
        };
        assert!(bad_tag.validate("f", false).is_err());
    }
}
