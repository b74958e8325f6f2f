//! Conditional GETs (RFC 9110, 13.1): `If-None-Match` against the `ETag`
//! of what would be sent, else `If-Modified-Since` against its
//! `Last-Modified`; a client whose copy is current gets 304 and no body.

use std::time::SystemTime;

use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};

use crate::api::response::{Body, Response};

/// The validators a GET or HEAD sent; none for other methods, which these
/// headers do not make conditional here.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<HeaderValue>,
}

impl Conditions {
    pub(crate) fn of(method: &Method, headers: &HeaderMap) -> Self {
        if method != Method::GET && method != Method::HEAD {
            return Conditions::default();
        }
        Conditions {
            if_none_match: headers.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: headers.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }

    /// Whether the client's copy of a 200 with these headers is current.
    /// `If-Modified-Since` counts only without `If-None-Match` (13.1.3).
    pub(crate) fn not_modified(&self, status: StatusCode, headers: &HeaderMap) -> bool {
        if status != StatusCode::OK {
            return false;
        }
        if let Some(wanted) = &self.if_none_match {
            return headers
                .get(header::ETAG)
                .is_some_and(|etag| matches_any(wanted, etag));
        }
        // The request's date first: without one, no lookup in the answer.
        let Some(since) = self.if_modified_since.as_ref().and_then(date) else {
            return false;
        };
        headers
            .get(header::LAST_MODIFIED)
            .and_then(date)
            .is_some_and(|modified| modified <= since)
    }
}

/// The 304 for `response`: its headers (validators, `Cache-Control`,
/// `Vary` and the rest), without its body or what described the body.
pub(crate) fn not_modified(response: Response) -> Response {
    let mut response = response
        .map_body(|_| Body::Empty)
        .with_status(StatusCode::NOT_MODIFIED);
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    response
}

fn date(value: &HeaderValue) -> Option<SystemTime> {
    value
        .to_str()
        .ok()?
        .parse::<HttpDate>()
        .ok()
        .map(SystemTime::from)
}

/// Weak comparison (13.1.2), as `If-None-Match` uses: `W/"a"` matches
/// `"a"`; `*` matches any tag.
fn matches_any(wanted: &HeaderValue, etag: &HeaderValue) -> bool {
    let (Ok(wanted), Ok(etag)) = (wanted.to_str(), etag.to_str()) else {
        return false;
    };
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let etag = opaque(etag);
    // The list's tags come with their quotes and without their `W/`.
    wanted.trim() == "*" || tags(wanted).any(|tag| opaque(tag) == etag)
}

/// The entity tags of a list, each with its quotes: a comma inside quotes
/// does not split.
fn tags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || {
        let start = rest.find('"')?;
        let end = start + 1 + rest[start + 1..].find('"')?;
        let tag = &rest[start..=end];
        rest = &rest[end + 1..];
        Some(tag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists_are_read_whole() {
        let sent = headers(&[(header::ETAG, "\"a,b\"")]);
        for (wanted, current) in [
            ("\"a,b\"", true),
            ("W/\"a,b\"", true),
            ("\"x\", \"a,b\"", true),
            ("*", true),
            ("\"a\"", false),
            ("\"b\"", false),
        ] {
            let conditions =
                Conditions::of(&Method::GET, &headers(&[(header::IF_NONE_MATCH, wanted)]));
            assert_eq!(
                conditions.not_modified(StatusCode::OK, &sent),
                current,
                "{wanted}"
            );
        }
    }

    #[test]
    fn if_modified_since_counts_only_without_if_none_match_and_only_for_200() {
        let sent = headers(&[
            (header::ETAG, "\"v2\""),
            (header::LAST_MODIFIED, "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        let since = |value| headers(&[(header::IF_MODIFIED_SINCE, value)]);
        let later = Conditions::of(&Method::GET, &since("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(later.not_modified(StatusCode::OK, &sent));
        assert!(!later.not_modified(StatusCode::NOT_FOUND, &sent));
        let earlier = Conditions::of(&Method::GET, &since("Tue, 20 Oct 2015 07:28:00 GMT"));
        assert!(!earlier.not_modified(StatusCode::OK, &sent));
        let mut both = since("Wed, 21 Oct 2015 07:28:00 GMT");
        both.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"v1\""));
        let both = Conditions::of(&Method::GET, &both);
        assert!(!both.not_modified(StatusCode::OK, &sent), "the tag decides");
        let post = Conditions::of(&Method::POST, &since("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert!(!post.not_modified(StatusCode::OK, &sent));
    }
}
