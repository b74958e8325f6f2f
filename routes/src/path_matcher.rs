//! Next.js path matchers: the syntax of `matcher` in proxy.ts and of
//! `source` in next.config.js rules, which is path-to-regexp 6: `/about`,
//! `/api/:path*` (zero or more segments), `/blog/:slug+` (one or more),
//! `/post/:id?`, `/:id(\d+)`, `/(.*)`, `/:path((?!_next|static).*)`. The
//! route syntax (`[id]`, `[...slug]`, `[[...slug]]` as whole segments) reads
//! as `:id`, `:slug+` and `:slug*`.
//!
//! A matcher is a regex, as path-to-regexp makes one, run by fancy-regex:
//! a pattern in parentheses is any regex the app writes, and the common
//! `(?!_next|static)` needs lookahead, which the `regex` crate refuses on
//! purpose. fancy-regex hands every part without lookaround or
//! backreferences to the `regex` crate's linear-time engines, so only the
//! lookahead itself backtracks, within fancy-regex's step limit. Our own
//! translation of path-to-regexp would have had to be a regex engine too.
//!
//! Two cheap shapes skip the regex: a path without parameters (`/about`),
//! and a literal followed by one `:name*` or `:name+` (`/api/:path*`, the
//! shape of most matchers). Every other matcher first checks the literal
//! text every match starts with, so a path outside it costs one comparison.
//!
//! Matching is case-insensitive for ASCII letters, as Next.js matches, and
//! runs on the path as [`decode_path`](crate::percent::decode_path) gives
//! it: `/%61dmin` is `/admin` to a matcher as to the route table, and a
//! parameter's default pattern is `[^/]+?` (path-to-regexp's `[^/#?]+?`
//! would let `%3F` in a segment slip past a matcher that the route table
//! still routes).

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

use fancy_regex::Regex;

use crate::error::{MatchAborted, MatcherError};
use crate::params::{ParamValue, Params};
use crate::percent;

/// A compiled Next.js path matcher.
///
/// ```
/// use trellis_routes::PathMatcher;
///
/// let api = PathMatcher::parse("/api/:path*").unwrap();
/// assert!(api.is_match("/api").unwrap() && api.is_match("/API/a/b").unwrap());
/// assert!(!api.is_match("/apis").unwrap());
/// let params = api.captures("/api/a/b%2Fc").unwrap().unwrap();
/// assert_eq!(params.get("path").unwrap().as_slice(), ["a", "b/c"]);
///
/// let pages = PathMatcher::parse("/:path((?!_next|static).*)").unwrap();
/// assert!(pages.is_match("/about").unwrap() && !pages.is_match("/static/x.css").unwrap());
/// ```
#[derive(Debug)]
pub struct PathMatcher {
    source: String,
    regex: Regex,
    keys: Vec<Key>,
    shape: Shape,
}

/// One parameter, in the order of the regex's groups.
#[derive(Debug)]
struct Key {
    /// `None` for an unnamed `(...)` group, which gives no param (as
    /// next.config.js drops them).
    name: Option<Arc<str>>,
    /// For `*` and `+`: what separates the repeated values (the prefix,
    /// `/` or `.`), or `""` when there is none.
    repeated: Option<String>,
}

/// What can be decided without the regex. Each literal is spelled as a
/// decoded path spells it (`%` as `%25`), so comparing it is one pass.
#[derive(Debug)]
enum Shape {
    /// No parameters: this literal, with or without a trailing `/`.
    Exact(String),
    /// A literal, then `/:name*` (`at_least_one` false) or `/:name+`.
    Under { literal: String, at_least_one: bool },
    /// The regex, after checking the literal text every match starts with.
    Regex { literal: String },
}

/// A parameter as parsed, before it becomes regex text.
struct ParamToken {
    name: Option<Arc<str>>,
    prefix: String,
    /// `None`: the default, one segment.
    pattern: Option<String>,
    modifier: Option<char>,
}

enum Token {
    Text(String),
    Param(ParamToken),
}

impl PathMatcher {
    /// Parses a matcher; an error says what is wrong and how to write it.
    pub fn parse(source: &str) -> Result<PathMatcher, MatcherError> {
        let error = |problem: String| MatcherError {
            matcher: source.to_string(),
            problem,
        };
        if !source.starts_with('/') {
            return Err(error(format!(
                "a matcher starts with `/`: write `/{source}`"
            )));
        }
        let tokens = tokens(source).map_err(error)?;
        let mut regex = String::from("^");
        let mut keys = Vec::new();
        for token in &tokens {
            match token {
                Token::Text(text) => regex.push_str(&literal_regex(text)),
                Token::Param(param) => {
                    regex.push_str(&param_regex(param));
                    let repeated =
                        matches!(param.modifier, Some('*' | '+')).then(|| param.prefix.clone());
                    keys.push(Key {
                        name: param.name.clone(),
                        repeated,
                    });
                }
            }
        }
        // Not strict, as path-to-regexp's default: `/:path*` covers `/`.
        regex.push_str("/?$");
        let regex = Regex::new(&regex).map_err(|e| error(format!("not a valid regex: {e}")))?;
        Ok(PathMatcher {
            source: source.to_string(),
            regex,
            keys,
            shape: shape(&tokens),
        })
    }

    /// The matcher as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The literal text every match starts with (`/api` for
    /// `/api/:path*`, empty for `/:path*`), as a decoded path spells it:
    /// ASCII case aside, a path that does not start with it, and has no
    /// `%` that decoding could turn into it, matches nothing.
    pub fn literal_prefix(&self) -> &str {
        match &self.shape {
            Shape::Exact(literal) | Shape::Under { literal, .. } | Shape::Regex { literal } => {
                literal
            }
        }
    }

    /// The names of the params a match gives, in order.
    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(|k| k.name.as_deref())
    }

    /// Whether `path` (as `decode_path` gives it) matches. `Err` when the
    /// regex gave up within its step limit: the caller decides what an
    /// undecided path means.
    pub fn is_match(&self, path: &str) -> Result<bool, MatchAborted> {
        match &self.shape {
            Shape::Exact(literal) => Ok(exact(path, literal)),
            Shape::Under {
                literal,
                at_least_one,
            } => Ok(under(path, literal, *at_least_one)),
            Shape::Regex { literal } => {
                if !starts_with_ignoring_ascii_case(path, literal) {
                    return Ok(false);
                }
                self.regex.is_match(path).map_err(|_| MatchAborted)
            }
        }
    }

    /// The params of a match, each value percent-decoded (catch-alls split
    /// into their segments); `None` when `path` does not match.
    pub fn captures(&self, path: &str) -> Result<Option<Params>, MatchAborted> {
        if !self.is_match(path)? {
            return Ok(None);
        }
        let Some(captures) = self.regex.captures(path).map_err(|_| MatchAborted)? else {
            return Ok(None);
        };
        let mut params = Params::default();
        for (i, key) in self.keys.iter().enumerate() {
            let (Some(name), Some(text)) = (&key.name, captures.get(i + 1)) else {
                continue;
            };
            let text = text.as_str();
            let value = match &key.repeated {
                Some(separator) if !separator.is_empty() => {
                    ParamValue::Many(text.split(separator.as_str()).map(decoded).collect())
                }
                Some(_) => ParamValue::Many(vec![decoded(text)]),
                None => ParamValue::One(decoded(text)),
            };
            params.push(name.clone(), value);
        }
        Ok(Some(params))
    }
}

/// A part of a `decode_path` path decoded to its value: only `%2F` and
/// `%25` remain there, and both are well formed.
fn decoded(text: &str) -> String {
    percent::decode(text).map_or_else(|_| text.to_string(), Cow::into_owned)
}

fn tokens(source: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut text = String::new();
    // A `/` or `.` just read, not escaped: it becomes the prefix of a
    // parameter right after it, as in path-to-regexp.
    let mut plain_last = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' && plain_last && text.ends_with('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '/')
                .map_or(chars.len(), |at| i + at);
            let segment: String = chars[i..end].iter().collect();
            if let Some((name, modifier)) = bracket_param(&segment) {
                i = end;
                push_param(&mut tokens, &mut text, true, Some(name), None, modifier);
                plain_last = false;
                continue;
            }
        }
        match c {
            '\\' => {
                let escaped = chars
                    .get(i + 1)
                    .ok_or("a `\\` at the end escapes nothing")?;
                text.push(*escaped);
                plain_last = false;
                i += 2;
            }
            ':' => {
                let start = i + 1;
                let mut end = start;
                while chars
                    .get(end)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    end += 1;
                }
                if end == start {
                    return Err(format!(
                        "`:` at {i} names no parameter: write `:name`, or `\\:` for a colon"
                    ));
                }
                let name: String = chars[start..end].iter().collect();
                i = end;
                let pattern = match chars.get(i) {
                    Some('(') => {
                        let (pattern, next) = pattern_at(&chars, i)?;
                        i = next;
                        Some(pattern)
                    }
                    _ => None,
                };
                let modifier = modifier_at(&chars, &mut i);
                let name = Some(Arc::from(name));
                push_param(&mut tokens, &mut text, plain_last, name, pattern, modifier);
                plain_last = false;
            }
            '(' => {
                let (pattern, next) = pattern_at(&chars, i)?;
                i = next;
                let modifier = modifier_at(&chars, &mut i);
                push_param(
                    &mut tokens,
                    &mut text,
                    plain_last,
                    None,
                    Some(pattern),
                    modifier,
                );
                plain_last = false;
            }
            '{' | '}' => {
                return Err(format!(
                    "groups in braces (`{c}` at {i}) are not supported: write `/:name?` or `/:name*`"
                ));
            }
            '*' | '+' | '?' => {
                return Err(format!(
                    "`{c}` at {i} follows no parameter: write `/:name{c}`, or `\\{c}` for the character"
                ));
            }
            _ => {
                text.push(c);
                plain_last = true;
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
    Ok(tokens)
}

/// `[id]`, `[...slug]`, `[[...slug]]` as a whole segment: the route syntax.
fn bracket_param(segment: &str) -> Option<(Arc<str>, Option<char>)> {
    let valid = |name: &str| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if let Some(name) = segment
        .strip_prefix("[[...")
        .and_then(|s| s.strip_suffix("]]"))
    {
        return valid(name).then(|| (Arc::from(name), Some('*')));
    }
    let inner = segment.strip_prefix('[')?.strip_suffix(']')?;
    match inner.strip_prefix("...") {
        Some(name) => valid(name).then(|| (Arc::from(name), Some('+'))),
        None => valid(inner).then(|| (Arc::from(inner), None)),
    }
}

fn push_param(
    tokens: &mut Vec<Token>,
    text: &mut String,
    plain_last: bool,
    name: Option<Arc<str>>,
    pattern: Option<String>,
    modifier: Option<char>,
) {
    let prefix = match text.chars().last() {
        Some(c @ ('/' | '.')) if plain_last => {
            text.pop();
            c.to_string()
        }
        _ => String::new(),
    };
    if !text.is_empty() {
        tokens.push(Token::Text(std::mem::take(text)));
    }
    tokens.push(Token::Param(ParamToken {
        name,
        prefix,
        pattern,
        modifier,
    }));
}

fn modifier_at(chars: &[char], i: &mut usize) -> Option<char> {
    let modifier = chars
        .get(*i)
        .copied()
        .filter(|c| matches!(c, '*' | '+' | '?'))?;
    *i += 1;
    Some(modifier)
}

/// The regex between the parentheses opening at `open`, and where the
/// source goes on. As path-to-regexp, a group inside must not capture.
fn pattern_at(chars: &[char], open: usize) -> Result<(String, usize), String> {
    let mut depth = 1;
    let mut pattern = String::new();
    let mut i = open + 1;
    if chars.get(i) == Some(&'?') {
        return Err(format!("the pattern at {open} cannot start with `?`"));
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                pattern.push(c);
                if let Some(next) = chars.get(i + 1) {
                    pattern.push(*next);
                }
                i += 2;
                continue;
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    if pattern.is_empty() {
                        return Err(format!("the pattern at {open} is empty"));
                    }
                    return Ok((pattern, i + 1));
                }
            }
            '(' => {
                depth += 1;
                let rest: String = chars[i + 1..].iter().take(3).collect();
                let named = (rest.starts_with("?<")
                    && !rest.starts_with("?<=")
                    && !rest.starts_with("?<!"))
                    || rest.starts_with("?P<");
                if !rest.starts_with('?') || named {
                    return Err(format!(
                        "the group at {i} captures: write `(?:...)` inside a parameter's pattern"
                    ));
                }
            }
            _ => {}
        }
        pattern.push(c);
        i += 1;
    }
    Err(format!("the pattern at {open} is not closed with `)`"))
}

/// Literal text as regex: ASCII letters in either case, `%` as the `%25`
/// a decoded path keeps, everything else as itself.
fn literal_regex(text: &str) -> String {
    let mut regex = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            let _ = write!(
                regex,
                "[{}{}]",
                c.to_ascii_lowercase(),
                c.to_ascii_uppercase()
            );
        } else if c == '%' {
            regex.push_str("%25");
        } else {
            regex.push_str(&fancy_regex::escape(&c.to_string()));
        }
    }
    regex
}

/// A parameter as path-to-regexp 6 writes it (`tokensToRegexp`).
fn param_regex(param: &ParamToken) -> String {
    let pattern = match &param.pattern {
        None => "[^/]+?".to_string(),
        // Case-insensitive, as the `i` flag makes it in Next.js.
        Some(pattern) => format!("(?i:{pattern})"),
    };
    let prefix = literal_regex(&param.prefix);
    let modifier = param.modifier.map(String::from).unwrap_or_default();
    match (param.prefix.is_empty(), param.modifier) {
        (false, Some(repeat @ ('*' | '+'))) => {
            let optional = if repeat == '*' { "?" } else { "" };
            format!("(?:{prefix}((?:{pattern})(?:{prefix}(?:{pattern}))*)){optional}")
        }
        (false, _) => format!("(?:{prefix}({pattern})){modifier}"),
        (true, Some('*' | '+')) => format!("((?:{pattern}){modifier})"),
        (true, _) => format!("({pattern}){modifier}"),
    }
}

fn shape(tokens: &[Token]) -> Shape {
    match tokens {
        [] => Shape::Exact(String::new()),
        [Token::Text(text)] => Shape::Exact(as_path(text)),
        [Token::Param(param)] | [Token::Text(_), Token::Param(param)] if is_catch_all(param) => {
            let literal = match tokens {
                [Token::Text(text), _] => as_path(text),
                _ => String::new(),
            };
            Shape::Under {
                literal,
                at_least_one: param.modifier == Some('+'),
            }
        }
        _ => Shape::Regex {
            literal: match tokens.first() {
                Some(Token::Text(text)) => as_path(text),
                _ => String::new(),
            },
        },
    }
}

/// `/:name*` or `/:name+` with the default pattern.
fn is_catch_all(param: &ParamToken) -> bool {
    param.name.is_some()
        && param.pattern.is_none()
        && param.prefix == "/"
        && matches!(param.modifier, Some('*' | '+'))
}

/// `literal` as a decoded path spells it: `%` stands for `%25`.
fn as_path(literal: &str) -> String {
    literal.replace('%', "%25")
}

fn starts_with_ignoring_ascii_case(path: &str, literal: &str) -> bool {
    path.as_bytes()
        .get(..literal.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(literal.as_bytes()))
}

/// The literal, with or without one trailing `/`.
fn exact(path: &str, literal: &str) -> bool {
    let path = path.as_bytes();
    let same = |p: &[u8]| p.eq_ignore_ascii_case(literal.as_bytes());
    same(path) || path.strip_suffix(b"/").is_some_and(same)
}

/// The literal alone (for `*`), or the literal then `/` and segments, none
/// of them empty, with or without one trailing `/`.
fn under(path: &str, literal: &str, at_least_one: bool) -> bool {
    if !starts_with_ignoring_ascii_case(path, literal) {
        return false;
    }
    let rest = &path[literal.len()..];
    if rest.is_empty() || rest == "/" {
        return !at_least_one;
    }
    let Some(segments) = rest.strip_prefix('/') else {
        return false;
    };
    let segments = segments.strip_suffix('/').unwrap_or(segments);
    // No segment empty: no `/` at either end, and no `//` (one pass over
    // the bytes, where splitting searched for each `/`).
    !segments.is_empty()
        && !segments.starts_with('/')
        && !segments.ends_with('/')
        && !has_double_slash(segments)
}

fn has_double_slash(text: &str) -> bool {
    text.as_bytes().windows(2).any(|pair| pair == b"//")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(matcher: &str, path: &str) -> bool {
        PathMatcher::parse(matcher).unwrap().is_match(path).unwrap()
    }

    fn params(matcher: &str, path: &str) -> Option<Vec<(String, ParamValue)>> {
        let params = PathMatcher::parse(matcher)
            .unwrap()
            .captures(path)
            .unwrap()?;
        Some(
            params
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
        )
    }

    fn one(name: &str, value: &str) -> (String, ParamValue) {
        (name.to_string(), ParamValue::One(value.to_string()))
    }

    fn many(name: &str, values: &[&str]) -> (String, ParamValue) {
        let values = values.iter().map(|v| v.to_string()).collect();
        (name.to_string(), ParamValue::Many(values))
    }

    #[test]
    fn a_literal_matches_itself_in_any_ascii_case_and_nothing_below_it() {
        assert!(matches("/about", "/about"));
        assert!(matches("/about", "/About"));
        assert!(!matches("/about", "/about/team"));
        assert!(!matches("/about", "/aboutx"));
        assert!(matches("/", "/"));
        assert!(!matches("/", "/x"));
    }

    #[test]
    fn zero_or_more_and_one_or_more_segments() {
        assert!(matches("/api/:path*", "/api"));
        assert!(matches("/api/:path*", "/api/a/b"));
        assert!(!matches("/api/:path*", "/apis/a"));
        assert!(matches("/:path*", "/"));
        assert!(matches("/:path*", "/x/y"));
        assert!(!matches("/blog/:slug+", "/blog"));
        assert_eq!(
            params("/blog/:slug+", "/blog/a/b"),
            Some(vec![many("slug", &["a", "b"])])
        );
        assert_eq!(params("/api/:path*", "/api"), Some(vec![]));
    }

    #[test]
    fn the_fast_shapes_agree_with_the_regex() {
        let paths = [
            "/",
            "/api",
            "/API",
            "/api/",
            "/api/a",
            "/api/a/b",
            "/apis",
            "/ap",
            "/x/api",
            "/api//a",
            "/about",
            "/about/",
            "/About/x",
            "/api/a//",
            "/api/a/b//",
            "//",
            "/api///",
            "/a//b/",
            "//a",
        ];
        for source in [
            "/api/:path*",
            "/api/:path+",
            "/:path*",
            "/:rest+",
            "/about",
            "/",
        ] {
            let matcher = PathMatcher::parse(source).unwrap();
            for path in paths {
                assert_eq!(
                    matcher.is_match(path).unwrap(),
                    matcher.regex.is_match(path).unwrap(),
                    "{source} on {path}"
                );
            }
        }
    }

    #[test]
    fn negative_lookahead_excludes_what_it_names() {
        let source = "/:path((?!_next|static).*)";
        assert!(matches(source, "/"));
        assert!(matches(source, "/about/team"));
        assert!(!matches(source, "/_next/data"));
        assert!(!matches(source, "/static/app.css"));
        assert_eq!(params(source, "/a/b"), Some(vec![one("path", "a/b")]));
        assert!(!matches("/((?!api|_next).*)", "/api/hello"));
        assert!(matches("/((?!api|_next).*)", "/dashboard"));
    }

    #[test]
    fn single_and_optional_params_with_custom_patterns() {
        assert_eq!(
            params("/shop/:tag/:item", "/shop/1/2"),
            Some(vec![one("tag", "1"), one("item", "2")])
        );
        assert_eq!(params("/post/:id?", "/post"), Some(vec![]));
        assert_eq!(params("/post/:id?", "/post/7"), Some(vec![one("id", "7")]));
        assert!(matches("/user/:id(\\d+)", "/user/42"));
        assert!(!matches("/user/:id(\\d+)", "/user/ada"));
        assert_eq!(
            params("/file.:ext", "/file.json"),
            Some(vec![one("ext", "json")])
        );
    }

    #[test]
    fn the_route_syntax_reads_as_next_js_params() {
        assert_eq!(
            params("/dashboard/[team]", "/dashboard/1"),
            Some(vec![one("team", "1")])
        );
        assert_eq!(
            params("/old-blog/[...slug]", "/old-blog/a/b"),
            Some(vec![many("slug", &["a", "b"])])
        );
        assert!(!matches("/old-blog/[...slug]", "/old-blog"));
        assert!(matches("/docs/[[...slug]]", "/docs"));
    }

    #[test]
    fn values_are_decoded_once_and_an_encoded_slash_stays_in_its_segment() {
        let path = percent::decode_path("/api/a%2F..%2Fb/c%20d/100%25").unwrap();
        assert_eq!(
            params("/api/:path*", &path),
            Some(vec![many("path", &["a/../b", "c d", "100%"])])
        );
        let path = percent::decode_path("/%61dmin/x").unwrap();
        assert!(matches("/admin/:path*", &path));
        let path = percent::decode_path("/admin/%3F").unwrap();
        assert!(matches("/admin/:path+", &path), "a `?` is in a segment");
    }

    #[test]
    fn the_literal_prefix_is_what_every_match_starts_with() {
        let prefix = |s: &str| PathMatcher::parse(s).unwrap().literal_prefix().to_string();
        assert_eq!(prefix("/api/:path*"), "/api");
        assert_eq!(prefix("/:path*"), "");
        assert_eq!(prefix("/_trellis/metrics"), "/_trellis/metrics");
        assert_eq!(prefix("/((?!api).*)"), "");
        assert_eq!(prefix("/user/:id(\\d+)"), "/user");
    }

    #[test]
    fn what_cannot_work_is_refused_saying_how_to_write_it() {
        for (source, says) in [
            ("api", "starts with `/`"),
            ("/:", "names no parameter"),
            ("/a*", "follows no parameter"),
            ("/:id((a|b))", "captures"),
            ("/:id(", "not closed"),
            ("/:id()", "empty"),
            ("/{:id}?", "braces"),
            ("/(?!x)", "cannot start with `?`"),
        ] {
            let error = PathMatcher::parse(source).unwrap_err().to_string();
            assert!(error.contains(says), "{source}: {error}");
        }
    }
}
