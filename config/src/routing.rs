//! `[routing]`: how paths are laid out, as next.config.js's `basePath`,
//! `trailingSlash` and `skipTrailingSlashRedirect` say it, and how long a
//! rewrite to another server may wait for it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The path every route is served under (`/docs`); other paths are
    /// 404, the engine's own endpoints aside. Rules, the proxy's matcher
    /// and rewrite destinations are written without it.
    pub base_path: Option<String>,
    /// `true`: paths end with `/` (`/about` redirects to `/about/`, files
    /// such as `/rss.xml` aside), as Next.js's `trailingSlash`. `false`:
    /// `/about/` redirects to `/about`.
    pub trailing_slash: bool,
    /// Neither redirect: a path is served with or without its trailing
    /// slash, and the proxy sees it as sent.
    pub skip_trailing_slash_redirect: bool,
    /// Milliseconds a rewrite to another server waits to connect and for
    /// the response head, and then between two chunks of its body.
    pub upstream_timeout_ms: u64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            base_path: None,
            trailing_slash: false,
            skip_trailing_slash_redirect: false,
            upstream_timeout_ms: 30_000,
        }
    }
}

impl RoutingConfig {
    /// `base_path` checked: `/` and a path, no trailing `/`, no params.
    ///
    /// ```
    /// use trellis_config::RoutingConfig;
    ///
    /// let routing = RoutingConfig { base_path: Some("/docs".into()), ..Default::default() };
    /// assert_eq!(routing.checked_base_path().ok(), Some(Some("/docs")));
    /// let routing = RoutingConfig { base_path: Some("docs/".into()), ..Default::default() };
    /// assert!(routing.checked_base_path().is_err());
    /// ```
    pub fn checked_base_path(&self) -> Result<Option<&str>, ConfigError> {
        let Some(base) = self.base_path.as_deref() else {
            return Ok(None);
        };
        let problem = if !base.starts_with('/') || base.len() < 2 {
            Some("starts with `/` and names a path: `/docs`")
        } else if base.ends_with('/') {
            Some("ends without `/`: `/docs`, not `/docs/`")
        } else if base.contains("//") {
            Some("has no empty segment (`//`)")
        } else if base.contains([':', '[', ']', '(', ')', '*', '?', '#', '\\', '%']) {
            Some("is a plain path: no params, patterns, query or escapes")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(ConfigError::Invalid {
                key: "routing.base_path".to_string(),
                problem: format!("`{base}`: a base path {problem}"),
            }),
            None => Ok(Some(base)),
        }
    }

    /// `upstream_timeout_ms` as a `Duration`.
    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }
}
