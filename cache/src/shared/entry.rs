//! An entry as Redis holds it: a hash of `status`, `made` (unix ms),
//! `headers`, `body` and, with `[cache] secret`, `sig`, with the flags
//! revalidation sets; its encoding, and its decoding, which checks what
//! comes back from Redis as if it were new.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

use super::signature::{SignedFields, Signer};
use crate::clock::unix_millis;
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
        Duration::from_millis(unix_millis().saturating_sub(self.made_unix_ms))
    }
}

/// Headers as an HTTP/1.1 header block: our header values never hold CR or
/// LF, so the block is a faithful, binary-safe encoding.
fn encode_headers(headers: &[(HeaderName, HeaderValue)]) -> Vec<u8> {
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

/// How far ahead of this instance's clock an entry's `made` may be: clocks
/// of machines differ a little; no instance of ours writes an entry
/// further ahead than that.
pub(super) const MAX_CLOCK_AHEAD_MS: u64 = 5_000;

/// An entry's fields as written: the text of its status and `made`, and
/// the signature, when there is a secret, that covers them.
pub(super) struct EncodedEntry {
    pub status: String,
    pub made: String,
    pub headers: Vec<u8>,
    pub signature: Option<Vec<u8>>,
}

/// Encodes `response`, made at `made_unix_ms`, for the Redis key
/// `entry_key`, signed by `signer` if there is one.
pub(super) fn encode_entry(
    entry_key: &str,
    response: &CachedResponse,
    made_unix_ms: u64,
    signer: Option<&Signer>,
) -> EncodedEntry {
    let status = response.status.as_u16().to_string();
    let made = made_unix_ms.to_string();
    let headers = encode_headers(&response.headers);
    let signature = signer.map(|signer| {
        signer.sign(&SignedFields {
            key: entry_key.as_bytes(),
            status: status.as_bytes(),
            made: made.as_bytes(),
            headers: &headers,
            body: &response.body,
        })
    });
    EncodedEntry {
        status,
        made,
        headers,
        signature,
    }
}

/// Why an entry read from Redis was not taken: each is a miss, since no
/// instance of ours writes such an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A field is missing or unreadable.
    Malformed,
    /// Made more than [`MAX_CLOCK_AHEAD_MS`] ahead of now.
    FromTheFuture,
    /// No signature, though `[cache] secret` is set.
    Unsigned,
    /// A signature that is not that of its fields with the secret.
    BadSignature,
}

impl Refusal {
    pub(super) fn reason(self) -> &'static str {
        match self {
            Refusal::Malformed => "a field is missing or unreadable",
            Refusal::FromTheFuture => "made in the future",
            Refusal::Unsigned => "no signature, and [cache] secret is set",
            Refusal::BadSignature => "its signature is not ours",
        }
    }
}

/// The entry in `fields`, read from the Redis key `entry_key`, checked as
/// if it were new: signed with the secret (when there is one), readable,
/// and not made in the future by `now_unix_ms`.
pub(super) fn decode_entry(
    entry_key: &str,
    fields: &HashMap<String, Vec<u8>>,
    signer: Option<&Signer>,
    now_unix_ms: u64,
) -> Result<SharedEntry, Refusal> {
    let field = |name: &str| {
        fields
            .get(name)
            .map(Vec::as_slice)
            .ok_or(Refusal::Malformed)
    };
    let (status, made, headers, body) = (
        field("status")?,
        field("made")?,
        field("headers")?,
        field("body")?,
    );
    if let Some(signer) = signer {
        let signature = fields.get("sig").ok_or(Refusal::Unsigned)?;
        let signed = SignedFields {
            key: entry_key.as_bytes(),
            status,
            made,
            headers,
            body,
        };
        if !signer.verifies(&signed, signature) {
            return Err(Refusal::BadSignature);
        }
    }
    let number = |text: &[u8]| std::str::from_utf8(text).ok()?.parse::<u64>().ok();
    let status = number(status)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(Refusal::Malformed)?;
    let made_unix_ms = number(made).ok_or(Refusal::Malformed)?;
    if made_unix_ms > now_unix_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
        return Err(Refusal::FromTheFuture);
    }
    Ok(SharedEntry {
        response: CachedResponse {
            status,
            headers: decode_headers(headers).ok_or(Refusal::Malformed)?,
            body: Bytes::copy_from_slice(body),
        },
        made_unix_ms,
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

    const KEY: &str = "t:e:/a";
    const NOW: u64 = 1_700_000_000_000;

    /// The fields of an entry as `encode_entry` writes them.
    fn stored(made: u64, signer: Option<&Signer>) -> HashMap<String, Vec<u8>> {
        let response = CachedResponse {
            status: StatusCode::OK,
            headers: vec![(
                HeaderName::from_static("x-a"),
                HeaderValue::from_static("1"),
            )],
            body: Bytes::from_static(b"{}"),
        };
        let encoded = encode_entry(KEY, &response, made, signer);
        let mut fields = HashMap::from([
            ("status".to_string(), encoded.status.into_bytes()),
            ("made".to_string(), encoded.made.into_bytes()),
            ("headers".to_string(), encoded.headers),
            ("body".to_string(), b"{}".to_vec()),
        ]);
        if let Some(signature) = encoded.signature {
            fields.insert("sig".to_string(), signature);
        }
        fields
    }

    #[test]
    fn an_entry_missing_a_field_is_refused() {
        let mut fields = stored(NOW, None);
        let entry = decode_entry(KEY, &fields, None, NOW).unwrap();
        assert_eq!(entry.response.status, StatusCode::OK);
        assert!(!entry.expired && !entry.invalidated);
        fields.remove("body");
        assert_eq!(
            decode_entry(KEY, &fields, None, NOW).err(),
            Some(Refusal::Malformed)
        );
    }

    #[test]
    fn an_entry_made_more_than_five_seconds_ahead_is_refused() {
        let ahead = stored(NOW + MAX_CLOCK_AHEAD_MS, None);
        assert!(
            decode_entry(KEY, &ahead, None, NOW).is_ok(),
            "a clock a little ahead"
        );
        let future = stored(NOW + MAX_CLOCK_AHEAD_MS + 1, None);
        assert_eq!(
            decode_entry(KEY, &future, None, NOW).err(),
            Some(Refusal::FromTheFuture)
        );
    }

    #[test]
    fn with_a_secret_only_an_entry_signed_with_it_for_its_key_is_taken() {
        let signer = Signer::new("s3cret");
        let signed = stored(NOW, Some(&signer));
        assert!(decode_entry(KEY, &signed, Some(&signer), NOW).is_ok());
        assert!(
            decode_entry(KEY, &signed, None, NOW).is_ok(),
            "an instance without the secret reads it"
        );
        assert_eq!(
            decode_entry("t:e:/b", &signed, Some(&signer), NOW).err(),
            Some(Refusal::BadSignature),
            "moved to another key"
        );
        let mut changed = signed.clone();
        changed.insert("body".to_string(), b"[]".to_vec());
        assert_eq!(
            decode_entry(KEY, &changed, Some(&signer), NOW).err(),
            Some(Refusal::BadSignature)
        );
        let unsigned = stored(NOW, None);
        assert_eq!(
            decode_entry(KEY, &unsigned, Some(&signer), NOW).err(),
            Some(Refusal::Unsigned)
        );
        let mut flagged = signed;
        flagged.insert("expired".to_string(), b"1".to_vec());
        let entry = decode_entry(KEY, &flagged, Some(&signer), NOW).unwrap();
        assert!(entry.expired, "flags are no part of the signature");
    }
}
