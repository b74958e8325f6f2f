//! Per-pattern rules of `trellis.toml`: route overrides, and the
//! `headers()`, `redirects()` and `rewrites()` of next.config.js, with
//! their `has` and `missing` conditions. A route override names a route
//! pattern (`/blog/[slug]`); a rule's `source` is a Next.js matcher
//! (`/blog/:slug`, `/api/:path*`), the route syntax read as well.

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

/// `[[headers]]`: headers added to every response whose path matches,
/// whether a route answered it or not (404s too).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderRule {
    pub source: String,
    #[serde(skip)]
    pub line: Option<usize>,
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub has: Vec<Condition>,
    #[serde(default)]
    pub missing: Vec<Condition>,
}

/// `[[redirects]]`: paths that answer with a redirect before any route runs.
/// `destination` may use the source's params (`/new/:slug`, `/new/[slug]`)
/// and those its conditions capture.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectRule {
    pub source: String,
    #[serde(skip)]
    pub line: Option<usize>,
    pub destination: String,
    /// 308 when true, 307 when false (as next.config.js); or give
    /// `status_code`.
    pub permanent: Option<bool>,
    /// 301, 302, 303, 307 or 308, instead of `permanent`.
    pub status_code: Option<u16>,
    #[serde(default)]
    pub has: Vec<Condition>,
    #[serde(default)]
    pub missing: Vec<Condition>,
}

impl RedirectRule {
    /// The status the redirect answers with; exactly one of `permanent`
    /// and `status_code` says it.
    pub fn status(&self) -> Result<u16, String> {
        match (self.permanent, self.status_code) {
            (Some(true), None) => Ok(308),
            (Some(false), None) => Ok(307),
            (None, Some(code @ (301 | 302 | 303 | 307 | 308))) => Ok(code),
            (None, Some(code)) => Err(format!(
                "{code} is no redirect status: write 301, 302, 303, 307 or 308"
            )),
            (None, None) => {
                Err("say `permanent = true` (308), `false` (307), or `status_code`".to_string())
            }
            (Some(_), Some(_)) => Err("give `permanent` or `status_code`, not both".to_string()),
        }
    }
}

/// `[[rewrites]]`: a path served as if another had been asked for (an
/// internal destination, the URL the client sees unchanged), or proxied to
/// another server (an `http://` or `https://` destination).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RewriteRule {
    pub source: String,
    #[serde(skip)]
    pub line: Option<usize>,
    /// A path (`/blog/:slug`) or a URL (`https://api.example/:path*`);
    /// `${NAME}` is the environment variable, `${NAME:-fallback}` with a
    /// fallback, `${self}` (at the start) the server's own public URL.
    pub destination: String,
    #[serde(default)]
    pub phase: Phase,
    #[serde(default)]
    pub has: Vec<Condition>,
    #[serde(default)]
    pub missing: Vec<Condition>,
}

/// When a rewrite is tried, as next.config.js's `rewrites()` phases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// After the proxy, before any route: even a path a route serves.
    BeforeFiles,
    /// After the static routes, before the dynamic ones (`[id]`,
    /// catch-alls): next.config.js's default.
    #[default]
    AfterFiles,
    /// After every route: only a path nothing serves.
    Fallback,
}

/// A `has` or `missing` entry: what the request must (or must not) carry
/// for a rule to apply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: ConditionKind,
    /// The header, cookie or query key; none for `host`.
    pub key: Option<String>,
    /// A regex the whole value must match; without it, being there is
    /// enough. Its named groups (`(?<id>[0-9]+)`) are params for the
    /// destination, and without a value the key itself is one.
    pub value: Option<String>,
}

/// What a [`Condition`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionKind {
    Header,
    Cookie,
    Query,
    /// The `Host` header's name, without the port.
    Host,
}
