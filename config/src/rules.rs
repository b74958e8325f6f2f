//! Per-pattern rules of `trellis.toml`: route overrides, and the
//! `headers()` and `redirects()` of next.config.js. Patterns use the route
//! syntax (`/blog/[slug]`, `/api/[...path]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{CorsPolicy, Dynamic};

/// `[[routes]]`: segment config set from the file, over what the route file
/// says. `pattern` must be a route's pattern exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteOverride {
    pub pattern: String,
    /// The line of `pattern` in the file, for error messages.
    #[serde(skip)]
    pub line: Option<usize>,
    pub revalidate: Option<u64>,
    pub dynamic: Option<Dynamic>,
    pub max_duration_secs: Option<u64>,
    pub body_bytes: Option<usize>,
    /// Headers added to every response of the route.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub cors: Option<CorsPolicy>,
}

/// `[[headers]]`: headers added to every response whose path matches.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderRule {
    pub source: String,
    #[serde(skip)]
    pub line: Option<usize>,
    pub headers: BTreeMap<String, String>,
}

/// `[[redirects]]`: paths that answer with a redirect before any route runs.
/// `destination` may use the source's params (`/new/[slug]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectRule {
    pub source: String,
    #[serde(skip)]
    pub line: Option<usize>,
    pub destination: String,
    /// 308 when true, 307 otherwise (as next.config.js).
    pub permanent: bool,
}
