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
    fn encode_round_trips_through_decode() {
        for value in ["plain", "a b", "a/b", "é%?#"] {
            assert_eq!(decode(&encode(value)).unwrap(), value);
        }
    }
}
