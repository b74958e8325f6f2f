//! A header looked up by its name as text. actix-http turns a `&str` into
//! an owned `HeaderName` to look it up, which copies every name outside
//! the standard table (`x-request-id`, say) into a new allocation; a
//! request has a handful of headers, so comparing names in place is
//! cheaper.

use actix_web::http::header::{HeaderMap, HeaderValue};

/// The first value of the header `name` (any case), if sent.
pub(crate) fn first_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h HeaderValue> {
    headers
        .iter()
        .find(|(sent, _)| sent.as_str().eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderName;

    use super::*;

    #[test]
    fn names_match_in_any_case_and_the_first_value_is_given() {
        let mut headers = HeaderMap::new();
        let name = HeaderName::from_static("x-request-id");
        headers.append(name.clone(), HeaderValue::from_static("a"));
        headers.append(name, HeaderValue::from_static("b"));
        headers.insert(
            actix_web::http::header::ACCEPT,
            HeaderValue::from_static("*/*"),
        );
        assert_eq!(first_value(&headers, "X-Request-Id").unwrap(), "a");
        assert_eq!(first_value(&headers, "accept").unwrap(), "*/*");
        assert!(first_value(&headers, "x-request").is_none());
        assert!(first_value(&headers, "").is_none());
    }
}
