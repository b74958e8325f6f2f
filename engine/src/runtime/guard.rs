//! Request hygiene, checked before any route sees a request: lengths within
//! the limits, no dot segments or NUL bytes in the path, a query that
//! decodes to UTF-8. Each failure is a clear 4xx with a short JSON error.

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use trellis_config::LimitsConfig;

use crate::api::response::Response;

/// The 4xx for a request that fails a check, or `None` when it passes.
pub(crate) fn check(req: &HttpRequest, limits: &LimitsConfig) -> Option<Response> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.url_bytes {
        return Some(refuse(
            StatusCode::URI_TOO_LONG,
            "request target longer than the limit",
        ));
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if header_bytes > limits.header_bytes {
        return Some(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request headers larger than the limit",
        ));
    }
    let path = req.path();
    if has_dot_segment(path) {
        return Some(refuse(
            StatusCode::BAD_REQUEST,
            "path contains a `.` or `..` segment",
        ));
    }
    if path.contains('%') && contains_nul(path) {
        return Some(refuse(StatusCode::BAD_REQUEST, "path contains a NUL byte"));
    }
    if req.query_string().contains('%') && !decodes_to_utf8(req.query_string()) {
        return Some(refuse(StatusCode::BAD_REQUEST, "query is not valid UTF-8"));
    }
    None
}

fn refuse(status: StatusCode, message: &str) -> Response {
    Response::json_error(status, message)
}

/// `.` and `..`, raw or percent-encoded: never a route, and a classic way
/// past path checks. A `\` separates too, as browsers read it: `/a\..\b`
/// would otherwise be redirected to `/a/../b`.
pub(crate) fn has_dot_segment(path: &str) -> bool {
    // Most paths have neither byte: one scan instead of a split.
    path.bytes().any(|b| b == b'.' || b == b'%') && path.split(['/', '\\']).any(is_dot_segment)
}

/// One or two dots, each either `.` or `%2e` in any case.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        rest = match rest {
            [b'.', tail @ ..] => tail,
            [b'%', b'2', e, tail @ ..] if e.eq_ignore_ascii_case(&b'e') => tail,
            _ => return false,
        };
        dots += 1;
    }
    dots == 1 || dots == 2
}

fn contains_nul(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| w == b"%00")
}

/// Lenient like `URLSearchParams` about stray `%`, strict about UTF-8.
fn decodes_to_utf8(query: &str) -> bool {
    let raw = query.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escape = raw
            .get(i + 1..i + 3)
            .filter(|hex| raw[i] == b'%' && hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                bytes.push(byte);
                i += 3;
            }
            None => {
                bytes.push(raw[i]);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_raw_or_encoded_are_found() {
        for path in [
            "/a/../b",
            "/a/./b",
            "/a/%2e%2E/b",
            "/..",
            "/a/%2E",
            "/a\\..\\b",
        ] {
            assert!(has_dot_segment(path), "{path}");
        }
        for path in ["/a/b", "/a/.hidden", "/a/b.c", "/a/..b", "/%2Fx"] {
            assert!(!has_dot_segment(path), "{path}");
        }
    }

    #[test]
    fn queries_must_decode_to_utf8() {
        assert!(decodes_to_utf8("q=caf%C3%A9"));
        assert!(decodes_to_utf8("q=100%"), "a stray % is literal");
        assert!(decodes_to_utf8("q=%zz"));
        assert!(!decodes_to_utf8("q=%FF"));
        assert!(!decodes_to_utf8("q=%C3"));
    }
}
