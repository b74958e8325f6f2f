//! Route patterns: the URL shape a route file's folder path describes.
//!
//! `app/shop/[tag]/[item]/route.rs` is the pattern `/shop/[tag]/[item]`;
//! folders in parentheses are route groups and add no URL segment.

use std::fmt;
use std::sync::Arc;

use crate::error::PatternError;
use crate::params::Params;
use crate::percent;

/// One URL segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PatternSegment {
    /// A folder name matched literally (`api`, `rss.xml`).
    Static(Box<str>),
    /// `[name]`: exactly one segment.
    Dynamic(Arc<str>),
    /// `[...name]`: one or more segments; only last.
    CatchAll(Arc<str>),
    /// `[[...name]]`: zero or more segments; only last.
    OptionalCatchAll(Arc<str>),
}

impl PatternSegment {
    /// Next.js specificity: lower ranks win (static, dynamic, catch-all,
    /// optional catch-all).
    pub fn rank(&self) -> u8 {
        match self {
            PatternSegment::Static(_) => 0,
            PatternSegment::Dynamic(_) => 1,
            PatternSegment::CatchAll(_) => 2,
            PatternSegment::OptionalCatchAll(_) => 3,
        }
    }

    /// The parameter name, for all but static segments.
    pub fn param_name(&self) -> Option<&Arc<str>> {
        match self {
            PatternSegment::Static(_) => None,
            PatternSegment::Dynamic(name)
            | PatternSegment::CatchAll(name)
            | PatternSegment::OptionalCatchAll(name) => Some(name),
        }
    }
}

impl fmt::Display for PatternSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternSegment::Static(s) => f.write_str(s),
            PatternSegment::Dynamic(n) => write!(f, "[{n}]"),
            PatternSegment::CatchAll(n) => write!(f, "[...{n}]"),
            PatternSegment::OptionalCatchAll(n) => write!(f, "[[...{n}]]"),
        }
    }
}

/// A parsed route pattern such as `/blog/[...slug]`.
///
/// ```
/// use trellis_routes::RoutePattern;
///
/// let pattern = RoutePattern::parse("/(marketing)/shop/[tag]/[[...rest]]").unwrap();
/// assert_eq!(pattern.to_string(), "/shop/[tag]/[[...rest]]");
/// assert!(RoutePattern::parse("/[...slug]/edit").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePattern {
    segments: Vec<PatternSegment>,
}

impl RoutePattern {
    /// Parses a pattern written as a URL path, folders and all
    /// (`/shop/[tag]/[item]`, `/(marketing)/about`, `/`).
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        let trimmed = pattern
            .strip_prefix('/')
            .ok_or_else(|| PatternError::NoLeadingSlash(pattern.into()))?;
        if trimmed.is_empty() {
            return Ok(RoutePattern {
                segments: Vec::new(),
            });
        }
        Self::from_folders(trimmed.split('/'))
    }

    /// Builds a pattern from folder names, as found under `app/`.
    pub fn from_folders<'a>(
        folders: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, PatternError> {
        let mut segments: Vec<PatternSegment> = Vec::new();
        for folder in folders {
            if let Some(last) = segments.last() {
                if matches!(
                    last,
                    PatternSegment::CatchAll(_) | PatternSegment::OptionalCatchAll(_)
                ) {
                    return Err(PatternError::CatchAllNotLast(last.to_string()));
                }
            }
            if let Some(segment) = parse_folder(folder)? {
                if let Some(name) = segment.param_name() {
                    if segments.iter().any(|s| s.param_name() == Some(name)) {
                        return Err(PatternError::RepeatedParam(name.to_string()));
                    }
                }
                segments.push(segment);
            }
        }
        Ok(RoutePattern { segments })
    }

    /// The URL segments, route groups removed.
    pub fn segments(&self) -> &[PatternSegment] {
        &self.segments
    }

    /// The path this pattern gives for `params` (what `generate_static_params`
    /// lists), values percent-encoded; `None` if a required param is missing.
    ///
    /// ```
    /// use trellis_routes::{Params, RoutePattern};
    ///
    /// let pattern = RoutePattern::parse("/catalog/[slug]").unwrap();
    /// let path = pattern.path_for(&Params::from_pairs([("slug", "a b")]));
    /// assert_eq!(path.as_deref(), Some("/catalog/a%20b"));
    /// ```
    pub fn path_for(&self, params: &Params) -> Option<String> {
        let mut path = String::new();
        for segment in &self.segments {
            let values = match segment {
                PatternSegment::Static(s) => {
                    path.push('/');
                    path.push_str(&percent::encode(s));
                    continue;
                }
                PatternSegment::OptionalCatchAll(name) => match params.get(name) {
                    Some(value) => value.as_slice(),
                    None => continue,
                },
                PatternSegment::Dynamic(name) | PatternSegment::CatchAll(name) => {
                    params.get(name)?.as_slice()
                }
            };
            for value in values {
                path.push('/');
                path.push_str(&percent::encode(value));
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        Some(path)
    }

    /// True when every segment is static: the route answers one path only.
    pub fn is_static(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, PatternSegment::Static(_)))
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.segments {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

/// Parses one folder name; `None` for a route group, which adds no segment.
fn parse_folder(folder: &str) -> Result<Option<PatternSegment>, PatternError> {
    if folder.is_empty() {
        return Err(PatternError::EmptySegment);
    }
    if folder.starts_with('(') && folder.ends_with(')') && folder.len() > 2 {
        return Ok(None);
    }
    if let Some(inner) = folder.strip_prefix("[[").and_then(|s| s.strip_suffix("]]")) {
        return match inner.strip_prefix("...") {
            Some(name) => Ok(Some(PatternSegment::OptionalCatchAll(param_name(
                folder, name,
            )?))),
            None => Err(PatternError::OptionalParam(folder.into())),
        };
    }
    if let Some(inner) = folder.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        return match inner.strip_prefix("...") {
            Some(name) => Ok(Some(PatternSegment::CatchAll(param_name(folder, name)?))),
            None => Ok(Some(PatternSegment::Dynamic(param_name(folder, inner)?))),
        };
    }
    if folder.contains(['[', ']', '(', ')']) {
        return Err(PatternError::PartialBrackets(folder.into()));
    }
    Ok(Some(PatternSegment::Static(folder.into())))
}

fn param_name(folder: &str, name: &str) -> Result<Arc<str>, PatternError> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(name.into())
    } else {
        Err(PatternError::InvalidParamName(folder.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_add_no_segment() {
        let p = RoutePattern::parse("/(marketing)/about").unwrap();
        assert_eq!(p.segments(), &[PatternSegment::Static("about".into())]);
        assert_eq!(p.to_string(), "/about");
        assert!(p.is_static());
    }

    #[test]
    fn root_is_the_empty_pattern() {
        assert_eq!(RoutePattern::parse("/").unwrap().to_string(), "/");
        assert_eq!(RoutePattern::parse("/(group)").unwrap().to_string(), "/");
    }

    #[test]
    fn dynamic_kinds_parse() {
        let p = RoutePattern::parse("/shop/[tag]/[[...rest]]").unwrap();
        assert_eq!(
            p.segments(),
            &[
                PatternSegment::Static("shop".into()),
                PatternSegment::Dynamic("tag".into()),
                PatternSegment::OptionalCatchAll("rest".into()),
            ]
        );
        assert!(!p.is_static());
    }

    #[test]
    fn catch_all_must_be_last() {
        let err = RoutePattern::parse("/blog/[...slug]/edit").unwrap_err();
        assert_eq!(err, PatternError::CatchAllNotLast("[...slug]".into()));
        assert!(err.to_string().contains("must be the last segment"));
    }

    #[test]
    fn malformed_folders_are_refused() {
        for bad in [
            "/[]", "/[...]", "/[a b]", "/a[b]", "/[[id]]", "/x//y", "x", "/[a]/[a]",
        ] {
            assert!(RoutePattern::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
