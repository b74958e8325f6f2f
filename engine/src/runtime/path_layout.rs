//! Where the app's paths are: under `[routing] base_path`, with or without
//! a trailing slash (`trailing_slash`, `skip_trailing_slash_redirect`), as
//! Next.js lays them out. A path in another shape is redirected (308) to
//! its own; doubled slashes always are, and `\` is read as `/`.

use actix_web::http::Uri;
use trellis_config::{ConfigError, RoutingConfig};

pub(crate) struct PathLayout {
    /// `""` when the app is at the root.
    base_path: String,
    trailing: TrailingSlash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrailingSlash {
    /// `/about/` redirects to `/about` (the default).
    Remove,
    /// `/about` redirects to `/about/`, but a file (`/rss.xml`) keeps none.
    Add,
    /// Neither: served as sent.
    Keep,
}

impl PathLayout {
    pub(crate) fn new(routing: &RoutingConfig) -> Result<PathLayout, ConfigError> {
        let trailing = match (routing.skip_trailing_slash_redirect, routing.trailing_slash) {
            (true, _) => TrailingSlash::Keep,
            (false, true) => TrailingSlash::Add,
            (false, false) => TrailingSlash::Remove,
        };
        Ok(PathLayout {
            base_path: routing.checked_base_path()?.unwrap_or_default().to_string(),
            trailing,
        })
    }

    /// The base path, `""` without one.
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Where a path in another shape belongs: `\` read as `/` (browsers read
    /// it so), slashes collapsed, the trailing one as the setting says,
    /// query kept. The result starts with one `/` and a segment, never `//`
    /// or `/\`, which a browser would take for another host
    /// (`/\evil.example` is `http://evil.example/`). An encoded `%5C` is no
    /// separator and stays as it is.
    pub(crate) fn redirect(&self, uri: &Uri) -> Option<String> {
        let path = uri.path();
        // Most paths need nothing: decided in one pass, building nothing.
        let trailing_differs = path != "/"
            && match self.trailing {
                TrailingSlash::Remove => path.ends_with('/'),
                TrailingSlash::Add => path.ends_with('/') == is_file(path),
                TrailingSlash::Keep => false,
            };
        if !trailing_differs && !has_backslash_or_double_slash(path) {
            return None;
        }
        let segments: Vec<&str> = path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
        let trailing = !segments.is_empty()
            && match self.trailing {
                TrailingSlash::Remove => false,
                TrailingSlash::Add => !is_file(path),
                TrailingSlash::Keep => path.ends_with(['/', '\\']),
            };
        let mut location: String = segments.iter().flat_map(|s| ["/", s]).collect();
        if location.is_empty() || trailing {
            location.push('/');
        }
        if location == path {
            return None;
        }
        if let Some(query) = uri.query() {
            location.push('?');
            location.push_str(query);
        }
        Some(location)
    }

    /// The app's path for `path` (already in its shape): without the base
    /// path and the trailing slash; `None` outside the base path.
    pub(crate) fn app_path<'p>(&self, path: &'p str) -> Option<&'p str> {
        let path = match self.base_path.as_str() {
            "" => path,
            base => match path.strip_prefix(base) {
                Some("") | Some("/") => "/",
                Some(rest) if rest.starts_with('/') => rest,
                _ => return None,
            },
        };
        match path.len() > 1 {
            true => Some(path.strip_suffix('/').unwrap_or(path)),
            false => Some(path),
        }
    }
}

/// Whether `path` has a `\\` or a `//`.
fn has_backslash_or_double_slash(path: &str) -> bool {
    let mut previous = 0;
    path.bytes().any(|byte| {
        let odd = byte == b'\\' || (byte == b'/' && previous == b'/');
        previous = byte;
        odd
    })
}

/// A file, as Next.js's trailing-slash rule tells one: its last segment has
/// an extension (`rss.xml`), and it is not under `/.well-known`.
fn is_file(path: &str) -> bool {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let has_extension = last.rsplit_once('.').is_some_and(|(name, ext)| {
        !name.is_empty()
            && !ext.is_empty()
            && ext.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    has_extension && !path.starts_with("/.well-known")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(base_path: Option<&str>, trailing_slash: bool, skip: bool) -> PathLayout {
        PathLayout::new(&RoutingConfig {
            base_path: base_path.map(str::to_string),
            trailing_slash,
            skip_trailing_slash_redirect: skip,
            ..RoutingConfig::default()
        })
        .unwrap()
    }

    fn location(layout: &PathLayout, uri: &'static str) -> Option<String> {
        layout.redirect(&Uri::from_static(uri))
    }

    #[test]
    fn trailing_and_doubled_slashes_redirect_keeping_the_query() {
        let plain = layout(None, false, false);
        assert_eq!(location(&plain, "/api/hello/"), Some("/api/hello".into()));
        assert_eq!(
            location(&plain, "/api//hello?x=1"),
            Some("/api/hello?x=1".into())
        );
        assert_eq!(
            location(&plain, "//evil.example/"),
            Some("/evil.example".into())
        );
        assert_eq!(location(&plain, "///"), Some("/".into()));
        assert_eq!(location(&plain, "/"), None);
        assert_eq!(location(&plain, "/api/hello?x=/"), None);
    }

    #[test]
    fn a_backslash_is_a_slash_so_no_location_names_another_host() {
        let plain = layout(None, false, false);
        assert_eq!(
            location(&plain, "/\\evil.example/"),
            Some("/evil.example".into())
        );
        assert_eq!(
            location(&plain, "/\\/evil.example"),
            Some("/evil.example".into())
        );
        assert_eq!(
            location(&plain, "/\\\\evil.example"),
            Some("/evil.example".into())
        );
        assert_eq!(location(&plain, "/a\\b?q=\\"), Some("/a/b?q=\\".into()));
        assert_eq!(location(&plain, "/\\"), Some("/".into()));
        for layout in [plain, layout(None, true, false), layout(None, false, true)] {
            for uri in ["/\\evil.example/", "//\\evil.example", "/\\/\\x/"] {
                let location = location(&layout, uri).unwrap();
                assert!(
                    !location.starts_with("//") && !location.starts_with("/\\"),
                    "{uri}: {location}"
                );
            }
        }
    }

    #[test]
    fn an_encoded_backslash_is_no_separator() {
        let plain = layout(None, false, false);
        assert_eq!(location(&plain, "/%5Cevil.example"), None);
        assert_eq!(
            location(&plain, "/%5Cevil.example/"),
            Some("/%5Cevil.example".into())
        );
    }

    #[test]
    fn with_trailing_slash_paths_get_one_and_files_lose_theirs() {
        let slashed = layout(None, true, false);
        assert_eq!(location(&slashed, "/about?x=1"), Some("/about/?x=1".into()));
        assert_eq!(location(&slashed, "/about/"), None);
        assert_eq!(location(&slashed, "/rss.xml"), None);
        assert_eq!(location(&slashed, "/rss.xml/"), Some("/rss.xml".into()));
        assert_eq!(
            location(&slashed, "/.well-known/x.json"),
            Some("/.well-known/x.json/".into())
        );
        assert_eq!(location(&slashed, "/"), None);
        assert_eq!(location(&slashed, "//a//b"), Some("/a/b/".into()));
        assert_eq!(slashed.app_path("/about/"), Some("/about"));
    }

    #[test]
    fn skipping_the_redirect_serves_both_and_still_collapses_doubled_slashes() {
        let kept = layout(None, false, true);
        assert_eq!(location(&kept, "/about/"), None);
        assert_eq!(location(&kept, "/about"), None);
        assert_eq!(location(&kept, "//about/"), Some("/about/".into()));
        assert_eq!(kept.app_path("/about/"), Some("/about"));
    }

    #[test]
    fn the_base_path_is_taken_off_and_paths_outside_it_are_none() {
        let docs = layout(Some("/docs"), false, false);
        assert_eq!(docs.app_path("/docs"), Some("/"));
        assert_eq!(docs.app_path("/docs/api/hello"), Some("/api/hello"));
        assert_eq!(docs.app_path("/docsx"), None);
        assert_eq!(docs.app_path("/api/hello"), None);
        assert_eq!(location(&docs, "/docs/"), Some("/docs".into()));
    }
}
