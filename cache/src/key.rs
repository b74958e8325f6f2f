//! What a cache key is made of: the path, the query where the segment keys
//! by query, and, for a response that varies (`Vary: Accept-Language`), the
//! values of the request headers it varies on.
//!
//! `/posts`, `/search?q=a`, `/greeting\0accept-language=fr`: a NUL can be
//! in neither a path nor a header value, so it separates them; a header the
//! request did not send is its name alone.
//!
//! One resource has one key: the path is spelled as routing reads it
//! (`/api/st%61tic` is `/api/static`), and the query with its escapes in
//! one form, so an alias neither makes a second entry nor escapes
//! `revalidate_path`.

use std::borrow::Cow;

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

/// The path as keys hold it. Routing decodes every escape of a segment,
/// so here every escape is decoded and encoded again only where a path
/// must be: `%61` is `a`, `%2f` is `%2F` (a slash inside a segment, which
/// routing keeps apart from one between segments), a raw `é` is `%C3%A9`.
/// A `%` that starts no escape is a literal one, `%25`.
///
/// ```
/// use trellis_cache::canonical_path;
///
/// assert_eq!(canonical_path("/api/st%61tic"), "/api/static");
/// assert_eq!(canonical_path("/files/a%2fb"), "/files/a%2Fb");
/// assert_eq!(canonical_path("/tags/a%2Cb"), "/tags/a,b");
/// ```
pub fn canonical_path(path: &str) -> Cow<'_, str> {
    respell(path, is_path_byte, is_pchar)
}

/// A query as keys hold it: its order and its delimiters kept, as a route
/// may read `a=1&b=2` and `b=2&a=1` differently; escapes of unreserved
/// characters decoded (`%7E` is `~`, whoever decodes the query), other
/// escapes in upper case (`%2b` is `%2B`, never `+`), and bytes a query may
/// not hold raw encoded.
///
/// ```
/// use trellis_cache::canonical_query;
///
/// assert_eq!(canonical_query("q=%61b&x=%2b"), "q=ab&x=%2B");
/// assert_eq!(canonical_query("b=2&a=1"), "b=2&a=1");
/// ```
pub fn canonical_query(query: &str) -> Cow<'_, str> {
    respell(query, is_query_byte, is_unreserved)
}

/// `text` with each byte raw where `raw` allows it, and each escape decoded
/// where `decoded` allows its byte; everything else as an upper-case
/// escape. Borrowed when nothing changes, as on every ordinary path.
fn respell(text: &str, raw: fn(u8) -> bool, decoded: fn(u8) -> bool) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // `%` is raw in neither: a text with an escape is always respelled.
    if bytes.iter().all(|&b| raw(b)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        if let Some(value) = escaped_at(bytes, at) {
            match decoded(value) {
                true => out.push(char::from(value)),
                false => push_escape(&mut out, value),
            }
            at += 3;
            continue;
        }
        match raw(bytes[at]) {
            true => out.push(char::from(bytes[at])),
            false => push_escape(&mut out, bytes[at]),
        }
        at += 1;
    }
    Cow::Owned(out)
}

/// The byte an escape at `at` stands for, if one starts there.
fn escaped_at(bytes: &[u8], at: usize) -> Option<u8> {
    if bytes.get(at) != Some(&b'%') {
        return None;
    }
    let digit = |i: usize| char::from(*bytes.get(i)?).to_digit(16);
    Some((digit(at + 1)? * 16 + digit(at + 2)?) as u8)
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 15)]));
}

/// RFC 3986's unreserved characters: the same raw or escaped to everyone.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// What a path segment holds raw (RFC 3986 `pchar`, escapes aside).
fn is_pchar(byte: u8) -> bool {
    is_unreserved(byte)
        || matches!(
            byte,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// What a path holds raw: its segments' bytes and the slashes between.
fn is_path_byte(byte: u8) -> bool {
    is_pchar(byte) || byte == b'/'
}

/// What a query holds raw (RFC 3986 `query`).
fn is_query_byte(byte: u8) -> bool {
    is_path_byte(byte) || byte == b'?'
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
    fn an_escaped_letter_and_the_letter_are_one_path() {
        assert_eq!(canonical_path("/api/st%61tic"), "/api/static");
        assert_eq!(canonical_path("/API/%7Euser"), "/API/~user");
        assert!(matches!(canonical_path("/api/static"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_escaped_slash_stays_escaped_as_routing_keeps_it_inside_its_segment() {
        assert_eq!(canonical_path("/files/a%2fb"), "/files/a%2Fb");
        assert_ne!(canonical_path("/files/a%2Fb"), canonical_path("/files/a/b"));
        assert_eq!(canonical_path("/files/100%25"), "/files/100%25");
    }

    #[test]
    fn bytes_a_path_may_not_hold_raw_are_escaped_in_upper_case() {
        assert_eq!(canonical_path("/caf\u{e9}"), "/caf%C3%A9");
        assert_eq!(canonical_path("/caf%c3%a9"), "/caf%C3%A9");
        assert_eq!(canonical_path("/a%3fb"), "/a%3Fb");
        assert_eq!(canonical_path("/a%00b"), "/a%00b");
    }

    #[test]
    fn a_percent_that_starts_no_escape_is_a_literal_percent() {
        assert_eq!(canonical_path("/a%zz"), "/a%25zz");
        assert_eq!(canonical_path("/a%4"), "/a%254");
        assert_eq!(canonical_path("/a%"), "/a%25");
    }

    #[test]
    fn spelling_a_key_twice_changes_nothing() {
        for path in ["/api/st%61tic", "/a%2fb", "/caf\u{e9}", "/a%zz", "/x,y:z@w"] {
            let once = canonical_path(path).into_owned();
            assert_eq!(canonical_path(&once), once, "{path}");
        }
        for query in ["q=%61&r=%2b", "a=%26&b=%3D", "x=caf\u{e9}", "q=%"] {
            let once = canonical_query(query).into_owned();
            assert_eq!(canonical_query(&once), once, "{query}");
        }
    }

    #[test]
    fn a_query_keeps_its_order_and_delimiters_and_decodes_only_unreserved_escapes() {
        assert_eq!(canonical_query("b=2&a=1"), "b=2&a=1");
        assert_eq!(canonical_query("q=%61%7e"), "q=a~");
        assert_eq!(canonical_query("q=a%26b%3dc"), "q=a%26b%3Dc");
        assert_eq!(canonical_query("q=a+b&r=a%2bb"), "q=a+b&r=a%2Bb");
        assert_eq!(canonical_query("q=/x?y"), "q=/x?y");
        assert_eq!(canonical_query("q=caf\u{e9}"), "q=caf%C3%A9");
    }

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
