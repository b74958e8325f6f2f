//! An entry as Redis holds it: a hash of `status`, `made` (unix ms),
//! `headers` and `body`, with the flags revalidation sets; its encoding
//! and decoding.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

use crate::entry::CachedResponse;

/// An entry as another instance (or this one) stored it.
#[derive(Debug, Clone)]
pub struct SharedEntry {
    pub response: CachedResponse,
    /// Wall-clock milliseconds since the epoch, comparable across machines.
    pub made_unix_ms: u64,
    /// `revalidate_tag` reached it: stale, whatever its age.
    pub expired: bool,
    /// `revalidate_path` reached it: regenerate before serving.
    pub invalidated: bool,
}

impl SharedEntry {
    /// How long ago it was made, by the wall clock instances share.
    pub fn age(&self) -> Duration {
        Duration::from_millis(unix_ms().saturating_sub(self.made_unix_ms))
    }
}

/// Wall-clock milliseconds since the epoch.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Headers as an HTTP/1.1 header block: our header values never hold CR or
/// LF, so the block is a faithful, binary-safe encoding.
pub(super) fn encode_headers(headers: &[(HeaderName, HeaderValue)]) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in headers {
        block.extend_from_slice(name.as_str().as_bytes());
        block.extend_from_slice(b": ");
        block.extend_from_slice(value.as_bytes());
        block.extend_from_slice(b"\r\n");
    }
    block
}

fn decode_headers(block: &[u8]) -> Option<Vec<(HeaderName, HeaderValue)>> {
    block
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = HeaderName::from_bytes(&line[..colon]).ok()?;
            let value = line[colon + 1..]
                .strip_prefix(b" ")
                .unwrap_or(&line[colon + 1..]);
            Some((name, HeaderValue::from_bytes(value).ok()?))
        })
        .collect()
}

pub(super) fn decode_entry(fields: &HashMap<String, Vec<u8>>) -> Option<SharedEntry> {
    let text = |name: &str| std::str::from_utf8(fields.get(name)?).ok();
    let status = StatusCode::from_u16(text("status")?.parse().ok()?).ok()?;
    Some(SharedEntry {
        response: CachedResponse {
            status,
            headers: decode_headers(fields.get("headers")?)?,
            body: Bytes::copy_from_slice(fields.get("body")?),
        },
        made_unix_ms: text("made")?.parse().ok()?,
        expired: fields.contains_key("expired"),
        invalidated: fields.contains_key("invalidated"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_survive_the_round_trip() {
        let headers = vec![
            (
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-odd"),
                HeaderValue::from_bytes(b"a: b \xff").unwrap(),
            ),
        ];
        assert_eq!(decode_headers(&encode_headers(&headers)), Some(headers));
        assert_eq!(decode_headers(b""), Some(vec![]));
        assert_eq!(decode_headers(b"no colon\r\n"), None);
    }

    #[test]
    fn an_entry_missing_a_field_is_no_entry() {
        let mut fields = HashMap::new();
        fields.insert("status".to_string(), b"200".to_vec());
        fields.insert("made".to_string(), b"1700000000000".to_vec());
        fields.insert("headers".to_string(), b"x-a: 1\r\n".to_vec());
        assert!(decode_entry(&fields).is_none());
        fields.insert("body".to_string(), b"{}".to_vec());
        let entry = decode_entry(&fields).unwrap();
        assert_eq!(entry.response.status, StatusCode::OK);
        assert!(!entry.expired && !entry.invalidated);
    }
}
