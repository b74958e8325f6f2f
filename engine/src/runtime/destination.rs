//! Where a redirect or rewrite rule sends a request: a path of this app
//! (`/blog/:slug`, `/blog/[slug]`), a URL on another server
//! (`https://api.example/v1/:path*`), or this server's own public URL
//! (`${self}/api/:path*`). `${NAME}` and `${NAME:-fallback}` take a value
//! from the environment when the config is read.
//!
//! A param's value never chooses more than the rule says: each segment is
//! percent-encoded into the path (so `a/../b` stays one segment and
//! `//host` no authority), a value that is itself a dot segment (`.`,
//! `..`, which URL parsers resolve even encoded) is refused, params never
//! reach the scheme or host, and the URL made is checked to be on the
//! rule's own origin before anything is sent.

use std::borrow::Cow;
use std::sync::Arc;

use trellis_routes::{percent, ParamValue, Params};
use url::Url;

/// A parsed destination.
#[derive(Debug)]
pub(crate) struct Destination {
    base: Base,
    path: Vec<Part>,
    query: Option<Vec<Part>>,
}

#[derive(Debug)]
enum Base {
    /// A path of this app.
    App,
    /// Another server: `scheme://authority` as written, and parsed.
    Server { text: String, url: Url },
    /// This server's own public URL, known once it is bound.
    Itself,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `:name` (`:name*` and `:name+` for several segments, `:name?` when
    /// it may be absent), or the route syntax.
    Param {
        name: String,
        may_be_absent: bool,
    },
}

/// Where one request goes, made from a destination and its params.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// An app path, percent-encoded, with its query (`/blog/a?x=1`).
    App(String),
    External(Url),
}

/// A param's value that would climb out of its place: refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

impl Destination {
    /// Parses `text`, reading `${NAME}` through `env`.
    pub(crate) fn parse(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Destination, String> {
        let expanded = expand(text, env)?;
        let (base, rest) = if let Some(rest) = expanded.strip_prefix(SELF) {
            (Base::Itself, rest.to_string())
        } else if expanded.starts_with("http://") || expanded.starts_with("https://") {
            let after_scheme = expanded.find("://").map_or(0, |at| at + 3);
            let end = expanded[after_scheme..]
                .find(['/', '?', '#'])
                .map_or(expanded.len(), |at| after_scheme + at);
            let (origin, rest) = expanded.split_at(end);
            let authority = &origin[after_scheme..];
            if authority.is_empty() {
                return Err(format!("`{origin}` names no host"));
            }
            if has_param(authority) {
                return Err(format!(
                    "`{origin}`: params belong in the path; the scheme and host of a destination are the rule's own"
                ));
            }
            let url = Url::parse(origin).map_err(|e| format!("`{origin}` is not a URL: {e}"))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(format!("`{origin}` names no host"));
            }
            (
                Base::Server {
                    text: origin.to_string(),
                    url,
                },
                rest.to_string(),
            )
        } else if expanded.starts_with('/') {
            (Base::App, expanded.clone())
        } else {
            return Err(format!(
                "`{expanded}`: a destination is a path (`/blog/:slug`), an http(s) URL, or starts with `${{self}}`"
            ));
        };
        if rest.contains("${") {
            return Err("only `${self}`, at the very start, is left for when the server runs; other `${...}` name environment variables".to_string());
        }
        if rest.contains('#') {
            return Err("a destination has no fragment (`#...`)".to_string());
        }
        let rest = match (&base, rest.is_empty()) {
            (Base::App, _) | (_, false) => rest,
            (_, true) => "/".to_string(),
        };
        if !rest.starts_with('/') && !rest.starts_with('?') {
            return Err(format!("the path `{rest}` starts with `/`"));
        }
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest.as_str(), None),
        };
        let path = if path.is_empty() { "/" } else { path };
        if path
            .split(['/', '\\'])
            .any(|segment| segment == "." || segment == "..")
        {
            return Err("the path has a `.` or `..` segment".to_string());
        }
        Ok(Destination {
            base,
            path: parts(path, true),
            query: query.map(|q| parts(q, false)),
        })
    }

    /// The params the destination uses, in order.
    pub(crate) fn param_names(&self) -> impl Iterator<Item = &str> {
        self.path
            .iter()
            .chain(self.query.iter().flatten())
            .filter_map(|part| match part {
                Part::Param { name, .. } => Some(name.as_str()),
                Part::Text(_) => None,
            })
    }

    /// Whether it leaves this app (for another server, or this one by URL).
    pub(crate) fn is_external(&self) -> bool {
        !matches!(self.base, Base::App)
    }

    /// Whether it is this server's own URL.
    pub(crate) fn is_itself(&self) -> bool {
        matches!(self.base, Base::Itself)
    }

    /// The scheme of the other server it names, if it names one.
    pub(crate) fn server_scheme(&self) -> Option<&str> {
        match &self.base {
            Base::Server { url, .. } => Some(url.scheme()),
            Base::App | Base::Itself => None,
        }
    }

    /// The path filled with `params` (no query), for checks at start-up.
    pub(crate) fn sample_path(&self, params: &Params) -> Option<String> {
        fill_path(&self.path, params).ok()
    }

    /// The target for `params`, with the request's `query` after the
    /// destination's own. `public_url` gives `${self}`, asked only for it.
    pub(crate) fn target(
        &self,
        params: &Params,
        query: Option<&str>,
        public_url: &dyn Fn() -> Arc<str>,
    ) -> Result<Target, Refused> {
        let mut location = fill_path(&self.path, params)?;
        let own = self.query.as_ref().map(|parts| fill_query(parts, params));
        let query = match (
            own.filter(|q| !q.is_empty()),
            query.filter(|q| !q.is_empty()),
        ) {
            (Some(own), Some(sent)) => Some(format!("{own}&{sent}")),
            (own, sent) => own.or_else(|| sent.map(str::to_string)),
        };
        if let Some(query) = query {
            location.push('?');
            location.push_str(&query);
        }
        let (origin, expected) = match &self.base {
            Base::App => return Ok(Target::App(location)),
            Base::Server { text, url } => (Cow::Borrowed(text.as_str()), url.origin()),
            Base::Itself => {
                let public_url = public_url();
                let base = Url::parse(&public_url).map_err(|_| Refused)?;
                (
                    Cow::Owned(public_url.trim_end_matches('/').to_string()),
                    base.origin(),
                )
            }
        };
        let url = Url::parse(&format!("{origin}{location}")).map_err(|_| Refused)?;
        // Only the rule's own server: nothing filled in may change it.
        if url.origin() != expected {
            return Err(Refused);
        }
        Ok(Target::External(url))
    }

    /// The redirect `Location` for `params`: an app path gets the base path
    /// in front; the request's query is kept unless the destination has
    /// its own.
    pub(crate) fn location(
        &self,
        params: &Params,
        query: Option<&str>,
        base_path: &str,
        public_url: &dyn Fn() -> Arc<str>,
    ) -> Result<String, Refused> {
        let query = query.filter(|_| self.query.is_none());
        match self.target(params, query, public_url)? {
            // The app's root is the base path itself, never `/docs/`.
            Target::App(path)
                if !base_path.is_empty() && (path == "/" || path.starts_with("/?")) =>
            {
                Ok(format!("{base_path}{}", &path[1..]))
            }
            Target::App(path) => Ok(format!("{base_path}{path}")),
            Target::External(url) => Ok(url.to_string()),
        }
    }
}

const SELF: &str = "${self}";

/// Whether an authority holds a param (`:name` after the host's first
/// character, which a port does not look like, or `[name]`).
fn has_param(authority: &str) -> bool {
    let bytes = authority.as_bytes();
    bytes
        .windows(2)
        .any(|pair| pair[0] == b':' && (pair[1].is_ascii_alphabetic() || pair[1] == b'_'))
        || authority.contains('[') && !authority.starts_with('[')
}

/// `${NAME}` and `${NAME:-fallback}` replaced from `env`; `${self}` kept.
fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let inner_start = start + 2;
        let end = closing_brace(&rest[inner_start..])
            .map(|at| inner_start + at)
            .ok_or_else(|| format!("`{}` is not closed with `}}`", &rest[start..]))?;
        let inner = &rest[inner_start..end];
        let (name, fallback) = match inner.split_once(":-") {
            Some((name, fallback)) => (name, Some(fallback)),
            None => (inner, None),
        };
        if name == "self" && fallback.is_none() {
            out.push_str(SELF);
        } else {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("`${{{inner}}}` names no environment variable"));
            }
            match (env(name).filter(|v| !v.is_empty()), fallback) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(fallback)) => out.push_str(&expand(fallback, env)?),
                (None, None) => {
                    return Err(format!(
                        "`{name}` is not set: set it, or write `${{{name}:-fallback}}`"
                    ))
                }
            }
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Where the `}` closing a `${` is, counting nested `${...}`.
fn closing_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Text and params: `:name` with an optional `*`, `+` or `?`, and in a path
/// the route syntax as whole segments.
fn parts(text: &str, in_path: bool) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_path && c == '[' && literal.ends_with('/') {
            let segment = rest.split('/').next().unwrap_or(rest);
            if let Some((name, may_be_absent)) = bracket(segment) {
                push_param(&mut parts, &mut literal, name, may_be_absent);
                rest = &rest[segment.len()..];
                continue;
            }
        }
        if c == ':' {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `12:30` in a query is text: a name starts with a letter.
            if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                rest = &rest[1 + name.len()..];
                let modifier = rest.chars().next().filter(|c| matches!(c, '*' | '+' | '?'));
                if modifier.is_some() {
                    rest = &rest[1..];
                }
                let may_be_absent = matches!(modifier, Some('*' | '?'));
                push_param(&mut parts, &mut literal, name, may_be_absent);
                continue;
            }
        }
        literal.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    parts
}

fn push_param(parts: &mut Vec<Part>, literal: &mut String, name: String, may_be_absent: bool) {
    if !literal.is_empty() {
        parts.push(Part::Text(std::mem::take(literal)));
    }
    parts.push(Part::Param {
        name,
        may_be_absent,
    });
}

fn bracket(segment: &str) -> Option<(String, bool)> {
    if let Some(name) = segment
        .strip_prefix("[[...")
        .and_then(|s| s.strip_suffix("]]"))
    {
        return Some((name.to_string(), true));
    }
    let inner = segment.strip_prefix('[')?.strip_suffix(']')?;
    let name = inner.strip_prefix("...").unwrap_or(inner);
    (!name.is_empty()).then(|| (name.to_string(), false))
}

/// The path with each param's segments percent-encoded. An absent param
/// takes the `/` before it along, as path-to-regexp compiles `/:rest*`.
fn fill_path(parts: &[Part], params: &Params) -> Result<String, Refused> {
    let mut path = String::new();
    for part in parts {
        match part {
            Part::Text(text) => path.push_str(text),
            Part::Param { name, .. } => {
                let segments = params.get(name).map_or(&[][..], ParamValue::as_slice);
                if segments.is_empty() {
                    if path.ends_with('/') && path.len() > 1 {
                        path.pop();
                    }
                    continue;
                }
                for (i, segment) in segments.iter().enumerate() {
                    if segment == "." || segment == ".." {
                        return Err(Refused);
                    }
                    if i > 0 {
                        path.push('/');
                    }
                    path.push_str(&percent::encode(segment));
                }
            }
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    Ok(path)
}

/// The query with each param's value form-encoded (segments joined by `/`).
fn fill_query(parts: &[Part], params: &Params) -> String {
    let mut query = String::new();
    for part in parts {
        match part {
            Part::Text(text) => query.push_str(text),
            Part::Param { name, .. } => {
                let value = params
                    .get(name)
                    .map(|v| v.as_slice().join("/"))
                    .unwrap_or_default();
                query.extend(form_urlencoded::byte_serialize(value.as_bytes()));
            }
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn no_self() -> Arc<str> {
        Arc::from("")
    }

    fn itself() -> Arc<str> {
        Arc::from("http://127.0.0.1:3000")
    }

    fn destination(text: &str) -> Destination {
        Destination::parse(text, &no_env).unwrap()
    }

    fn many(values: &[&str]) -> ParamValue {
        ParamValue::Many(values.iter().map(|v| v.to_string()).collect())
    }

    fn params(pairs: Vec<(&str, ParamValue)>) -> Params {
        let mut params = Params::default();
        for (name, value) in pairs {
            params.insert(name, value);
        }
        params
    }

    #[test]
    fn params_fill_the_path_one_segment_each_and_the_query_is_kept() {
        let target = destination("/blog/:slug*").target(
            &params(vec![("slug", many(&["a b", "c"]))]),
            Some("x=1"),
            &no_self,
        );
        assert_eq!(target, Ok(Target::App("/blog/a%20b/c?x=1".to_string())));
        let target = destination("/blog/[...slug]?from=:slug").target(
            &params(vec![("slug", many(&["a", "b"]))]),
            Some("x=1"),
            &no_self,
        );
        assert_eq!(
            target,
            Ok(Target::App("/blog/a/b?from=a%2Fb&x=1".to_string()))
        );
        let empty = destination("/docs/:rest*").target(&Params::default(), None, &no_self);
        assert_eq!(empty, Ok(Target::App("/docs".to_string())));
    }

    #[test]
    fn an_encoded_climb_stays_inside_the_destinations_path_and_host() {
        let upstream = destination("https://api.example/v1/:path*");
        let climb = params(vec![(
            "path",
            many(&["a/../../admin", "//evil.example", "x?y#z"]),
        )]);
        let Ok(Target::External(url)) = upstream.target(&climb, None, &no_self) else {
            panic!("a target");
        };
        assert_eq!(url.host_str(), Some("api.example"));
        assert_eq!(
            url.path(),
            "/v1/a%2F..%2F..%2Fadmin/%2F%2Fevil.example/x%3Fy%23z"
        );
        for dot in [".", ".."] {
            let refused =
                upstream.target(&params(vec![("path", many(&["a", dot]))]), None, &no_self);
            assert_eq!(refused, Err(Refused), "{dot}");
        }
    }

    #[test]
    fn itself_is_the_public_url_and_the_environment_fills_the_rest() {
        let env = |name: &str| (name == "UPSTREAM").then(|| "http://10.0.0.7:8080".to_string());
        let set = Destination::parse("${UPSTREAM:-${self}/api}/:path*", &env).unwrap();
        let unset = Destination::parse("${DEMO_UPSTREAM:-${self}/api}/:path*", &env).unwrap();
        assert!(unset.is_itself() && !set.is_itself() && set.is_external());
        let hello = params(vec![("path", many(&["hello"]))]);
        let url = |d: &Destination| match d.target(&hello, None, &itself) {
            Ok(Target::External(url)) => url.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(url(&set), "http://10.0.0.7:8080/hello");
        assert_eq!(url(&unset), "http://127.0.0.1:3000/api/hello");
        let error = Destination::parse("${NOT_SET}/x", &env).unwrap_err();
        assert!(error.contains("`NOT_SET` is not set"), "{error}");
    }

    #[test]
    fn a_redirect_location_gets_the_base_path_and_keeps_the_query_unless_it_has_one() {
        let about = destination("/about");
        assert_eq!(
            about.location(&Params::default(), Some("ref=x"), "/docs", &no_self),
            Ok("/docs/about?ref=x".to_string())
        );
        let own = destination("/about?from=promo");
        assert_eq!(
            own.location(&Params::default(), Some("ref=x"), "", &no_self),
            Ok("/about?from=promo".to_string())
        );
        let root = destination("/");
        assert_eq!(
            root.location(&Params::default(), Some("a=1"), "/docs", &no_self),
            Ok("/docs?a=1".to_string())
        );
        let time = destination("/at?time=12:30");
        assert_eq!(time.param_names().count(), 0);
    }

    #[test]
    fn what_cannot_work_is_refused() {
        for (text, says) in [
            ("blog", "is a path"),
            ("https://:host.example/x", "params belong in the path"),
            ("https:///x", "names no host"),
            ("/a/../b", "`..` segment"),
            ("/a/${self}", "only `${self}`"),
            ("/x#top", "fragment"),
            ("${A", "not closed"),
        ] {
            let error = Destination::parse(text, &no_env).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
        assert_eq!(
            destination("/x/:a/[b]/:c*?q=:d")
                .param_names()
                .collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
    }
}
