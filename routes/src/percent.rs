//! Strict percent-decoding of path segments.
//!
//! Lenient decoders pass `%zz` through untouched; Next.js answers such a path
//! with 400 (`decodeURIComponent` throws), so the matcher checks the whole
//! path once before it decodes any segment.

use std::borrow::Cow;

/// The path holds a `%` not followed by two hex digits, or decodes to bytes
/// that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid percent-encoding in path")]
pub struct BadEncoding;

/// Checks that every `%` starts an escape and that the decoded path is UTF-8.
pub fn validate(path: &str) -> Result<(), BadEncoding> {
    if !path.contains('%') {
        return Ok(());
    }
    decode_bytes(path).map(|_| ())
}

/// Decodes one segment; borrows when there is nothing to decode.
///
/// ```
/// use trellis_routes::percent::decode;
///
/// assert_eq!(decode("a%20b").unwrap(), "a b");
/// assert_eq!(decode("a%2Fb").unwrap(), "a/b");
/// assert!(decode("%zz").is_err());
/// assert!(decode("%FF").is_err());
/// ```
pub fn decode(segment: &str) -> Result<Cow<'_, str>, BadEncoding> {
    if !segment.contains('%') {
        return Ok(Cow::Borrowed(segment));
    }
    let bytes = decode_bytes(segment)?;
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| BadEncoding)
}

/// Decodes a whole path for matching against Next.js-style sources and
/// matchers, keeping `%2F` and `%25` as they are: a `/` inside a segment
/// must not split it (a matcher would then see segments the route table
/// does not), and a kept `%25` means a `%` in the result always starts one
/// of those two escapes, so a part of the result decodes exactly once with
/// [`decode`]. Borrows when there is nothing to decode.
///
/// ```
/// use trellis_routes::percent::decode_path;
///
/// assert_eq!(decode_path("/%61dmin/a%20b").unwrap(), "/admin/a b");
/// assert_eq!(decode_path("/a%2Fb/100%25").unwrap(), "/a%2Fb/100%25");
/// assert!(decode_path("/%zz").is_err());
/// ```
pub fn decode_path(path: &str) -> Result<Cow<'_, str>, BadEncoding> {
    // A byte search: most paths have no `%`, and are returned as they are.
    if !path.as_bytes().contains(&b'%') {
        return Ok(Cow::Borrowed(path));
    }
    let mut out = Vec::with_capacity(path.len());
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hi = bytes
            .get(i + 1)
            .copied()
            .and_then(hex_value)
            .ok_or(BadEncoding)?;
        let lo = bytes
            .get(i + 2)
            .copied()
            .and_then(hex_value)
            .ok_or(BadEncoding)?;
        let byte = hi << 4 | lo;
        match byte {
            b'/' | b'%' => out.extend_from_slice(&bytes[i..i + 3]),
            _ => out.push(byte),
        }
        i += 3;
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| BadEncoding)
}

/// Encodes one segment's value: everything but unreserved characters
/// (RFC 3986) is escaped, so a `/` in a value stays inside its segment.
pub fn encode(value: &str) -> Cow<'_, str> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if value.bytes().all(unreserved) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Cow::Owned(out)
}

fn decode_bytes(input: &str) -> Result<Vec<u8>, BadEncoding> {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex_value).ok_or(BadEncoding)?;
            let lo = bytes.next().and_then(hex_value).ok_or(BadEncoding)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    std::str::from_utf8(&out).map_err(|_| BadEncoding)?;
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_segments_are_borrowed() {
        assert!(matches!(decode("plain").unwrap(), Cow::Borrowed("plain")));
    }

    #[test]
    fn truncated_escapes_are_refused() {
        for bad in ["%", "%4", "a%2", "%g0", "%C3"] {
            assert_eq!(validate(bad), Err(BadEncoding), "{bad}");
        }
        assert_eq!(decode("%C3%A9").unwrap(), "é");
    }

    #[test]
    fn a_decoded_path_keeps_its_segments_and_decodes_once_more_to_the_values() {
        let path = decode_path("/a%2Fb/%2525/c%20d").unwrap();
        assert_eq!(path, "/a%2Fb/%2525/c d");
        let values: Vec<String> = path
            .split('/')
            .map(|s| decode(s).unwrap().into_owned())
            .collect();
        assert_eq!(values, ["", "a/b", "%25", "c d"]);
        assert_eq!(decode_path("/%C3"), Err(BadEncoding));
    }

    #[test]
    fn encode_round_trips_through_decode() {
        for value in ["plain", "a b", "a/b", "é%?#"] {
            assert_eq!(decode(&encode(value)).unwrap(), value);
        }
    }
}
