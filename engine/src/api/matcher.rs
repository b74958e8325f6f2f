//! The entries of a proxy's `MATCHER`: a path in Next.js's matcher syntax
//! (`/api/:path*`), and, as Next.js's object form
//! (`{ source, has, missing }`), conditions on the request. Built in
//! `const`s, as a proxy file declares them.

use std::fmt;

use trellis_config::ConditionKind;

/// One entry of a proxy's matcher. A plain `&str` is an entry without
/// conditions.
///
/// ```
/// use trellis_engine::{Condition, Matcher};
///
/// pub const MATCHER: &[Matcher] = &[
///     Matcher::new("/api/:path*").missing(&[Condition::header("x-skip-proxy")]),
///     Matcher::new("/admin/:path*").has(&[Condition::cookie("session")]),
/// ];
/// assert_eq!(MATCHER[0].to_string(), "/api/:path* (missing header x-skip-proxy)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matcher {
    pub(crate) source: &'static str,
    pub(crate) has: &'static [Condition],
    pub(crate) missing: &'static [Condition],
}

impl Matcher {
    /// The paths `source` matches (`/about`, `/blog/:slug+`, `/(.*)`).
    pub const fn new(source: &'static str) -> Self {
        Matcher {
            source,
            has: &[],
            missing: &[],
        }
    }

    /// Only when the request has all of these.
    pub const fn has(self, conditions: &'static [Condition]) -> Self {
        Matcher {
            has: conditions,
            ..self
        }
    }

    /// Only when the request has none of these.
    pub const fn missing(self, conditions: &'static [Condition]) -> Self {
        Matcher {
            missing: conditions,
            ..self
        }
    }
}

impl From<&'static str> for Matcher {
    fn from(source: &'static str) -> Self {
        Matcher::new(source)
    }
}

impl From<&&'static str> for Matcher {
    fn from(source: &&'static str) -> Self {
        Matcher::new(source)
    }
}

impl From<&Matcher> for Matcher {
    fn from(matcher: &Matcher) -> Self {
        *matcher
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.source)?;
        let conditions = self
            .has
            .iter()
            .map(|c| ("has", c))
            .chain(self.missing.iter().map(|c| ("missing", c)));
        for (i, (word, condition)) in conditions.enumerate() {
            f.write_str(if i == 0 { " (" } else { ", " })?;
            write!(f, "{word} {condition}")?;
        }
        if !self.has.is_empty() || !self.missing.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A `has` or `missing` entry: a header, cookie or query key, or the host,
/// optionally with a regex its whole value must match (named groups are
/// not used by the proxy, which has no destination to fill).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub(crate) kind: ConditionKind,
    pub(crate) key: Option<&'static str>,
    pub(crate) value: Option<&'static str>,
}

impl Condition {
    /// The request header `name` (any case).
    pub const fn header(name: &'static str) -> Self {
        Condition::keyed(ConditionKind::Header, name)
    }

    /// The cookie `name`.
    pub const fn cookie(name: &'static str) -> Self {
        Condition::keyed(ConditionKind::Cookie, name)
    }

    /// The query key `name`.
    pub const fn query(name: &'static str) -> Self {
        Condition::keyed(ConditionKind::Query, name)
    }

    /// The host name (from `Host`, without the port) matching `regex`.
    pub const fn host(regex: &'static str) -> Self {
        Condition {
            kind: ConditionKind::Host,
            key: None,
            value: Some(regex),
        }
    }

    /// Only when the value matches `regex` as a whole.
    pub const fn value(self, regex: &'static str) -> Self {
        Condition {
            value: Some(regex),
            ..self
        }
    }

    const fn keyed(kind: ConditionKind, key: &'static str) -> Self {
        Condition {
            kind,
            key: Some(key),
            value: None,
        }
    }

    /// The same condition, as `trellis.toml` writes one.
    pub(crate) fn to_config(self) -> trellis_config::Condition {
        trellis_config::Condition {
            kind: self.kind,
            key: self.key.map(str::to_string),
            value: self.value.map(str::to_string),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ConditionKind::Header => "header",
            ConditionKind::Cookie => "cookie",
            ConditionKind::Query => "query",
            ConditionKind::Host => "host",
        };
        f.write_str(kind)?;
        if let Some(key) = self.key {
            write!(f, " {key}")?;
        }
        if let Some(value) = self.value {
            write!(f, " = /{value}/")?;
        }
        Ok(())
    }
}
