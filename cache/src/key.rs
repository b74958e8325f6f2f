//! What a cache key is made of: the path, the query where the segment keys
//! by query, and, for a response that varies (`Vary: Accept-Language`), the
//! values of the request headers it varies on.
//!
//! `/posts`, `/search?q=a`, `/greeting\0accept-language=fr`: a NUL can be
//! in neither a path nor a header value, so it separates them; a header the
//! request did not send is its name alone.

use http::{HeaderName, HeaderValue};

/// Separates a key's path and query from its variant's header values.
const VARIANT: char = '\0';

/// The path a key belongs to: what `revalidate_path` is given.
///
/// ```
/// use trellis_cache::key_path;
///
/// assert_eq!(key_path("/search?q=a"), "/search");
/// assert_eq!(key_path("/greeting\0accept-language=fr"), "/greeting");
/// ```
pub fn key_path(key: &str) -> &str {
    key.split(['?', VARIANT]).next().unwrap_or(key)
}

/// The key without its variant: path and query.
pub fn key_base(key: &str) -> &str {
    key.split(VARIANT).next().unwrap_or(key)
}

/// The key of `base`'s variant for a request whose headers `header` reads.
pub(crate) fn variant_key<'h>(
    base: &str,
    names: &[HeaderName],
    header: impl Fn(&HeaderName) -> Option<&'h HeaderValue>,
) -> String {
    let mut key = String::from(base);
    for name in names {
        key.push(VARIANT);
        key.push_str(name.as_str());
        if let Some(value) = header(name) {
            key.push('=');
            key.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
    }
    key
}

/// The request headers a variant key was made from, to regenerate it with
/// the same values as the request that made it.
///
/// ```
/// use trellis_cache::key_headers;
///
/// let headers = key_headers("/greeting\0accept-language=fr\0x-absent");
/// assert_eq!(headers.len(), 1);
/// assert_eq!(headers[0].0, "accept-language");
/// assert_eq!(headers[0].1, "fr");
/// ```
pub fn key_headers(key: &str) -> Vec<(HeaderName, HeaderValue)> {
    key.split(VARIANT)
        .skip(1)
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some((
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_key_keeps_absent_and_empty_headers_apart() {
        let names = [HeaderName::from_static("accept-language")];
        let empty = HeaderValue::from_static("");
        let absent = variant_key("/g", &names, |_| None);
        let blank = variant_key("/g", &names, |_| Some(&empty));
        assert_ne!(absent, blank);
        assert_eq!(key_base(&blank), "/g");
        assert_eq!(key_path("/g?x=1\0accept-language=fr"), "/g");
    }
}
