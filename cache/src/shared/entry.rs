//! An entry as Redis holds it: a hash of `status`, `made` (unix ms),
//! `headers`, `body`, `life` (its period and expire), `tags` and, with
//! `[cache] secret`, `sig`, with the flags revalidation sets; its encoding,
//! and its decoding, which checks what comes back from Redis as if it were
//! new.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

use super::signature::{SignedFields, Signer};
use crate::clock::unix_millis;
use crate::entry::{CachedResponse, Lifetime};

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
    /// The lifetime it was stored with; `None` for an entry written
    /// before lifetimes were kept (its route's then applies).
    pub lifetime: Option<Lifetime>,
    /// Its tags, as the instance that made it indexed them; empty for an
    /// entry written before tags were kept.
    pub tags: Vec<String>,
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

/// `<period ms or -> <expire ms>`: `-` for an entry fresh until revalidated.
fn encode_lifetime(lifetime: Lifetime) -> String {
    let period = lifetime
        .revalidate
        .map_or_else(|| "-".to_string(), |p| p.as_millis().to_string());
    format!("{period} {}", lifetime.expire.as_millis())
}

fn decode_lifetime(text: &[u8]) -> Option<Lifetime> {
    let (period, expire) = std::str::from_utf8(text).ok()?.split_once(' ')?;
    let revalidate = match period {
        "-" => None,
        ms => Some(Duration::from_millis(ms.parse().ok()?)),
    };
    Some(Lifetime {
        revalidate,
        expire: Duration::from_millis(expire.parse().ok()?),
    })
}

/// Tags one a line: no tag holds a line break (nor any whitespace).
fn decode_tags(text: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(text).ok()?;
    Some(
        text.split('\n')
            .filter(|tag| !tag.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// How far ahead of this instance's clock an entry's `made` may be: clocks
/// of machines differ a little; no instance of ours writes an entry
/// further ahead than that.
pub(super) const MAX_CLOCK_AHEAD_MS: u64 = 5_000;

/// An entry's fields as written: the text of its status, `made`, lifetime
/// and tags, and the signature, when there is a secret, that covers them.
pub(super) struct EncodedEntry {
    pub status: String,
    pub made: String,
    pub headers: Vec<u8>,
    pub life: String,
    pub tags: String,
    pub signature: Option<Vec<u8>>,
}

/// What an entry says beside its response: when it was made, for how
/// long, and its tags.
pub(super) struct EntryFacts<'a> {
    pub made_unix_ms: u64,
    pub lifetime: Lifetime,
    pub tags: &'a [String],
}

/// Encodes `response` with its `facts` for the Redis key `entry_key`,
/// signed by `signer` if there is one.
pub(super) fn encode_entry(
    entry_key: &str,
    response: &CachedResponse,
    facts: &EntryFacts<'_>,
    signer: Option<&Signer>,
) -> EncodedEntry {
    let status = response.status.as_u16().to_string();
    let made = facts.made_unix_ms.to_string();
    let headers = encode_headers(&response.headers);
    let life = encode_lifetime(facts.lifetime);
    let tags = facts.tags.join("\n");
    let signature = signer.map(|signer| {
        signer.sign(&SignedFields {
            key: entry_key.as_bytes(),
            status: status.as_bytes(),
            made: made.as_bytes(),
            headers: &headers,
            body: &response.body,
            life_and_tags: Some((life.as_bytes(), tags.as_bytes())),
        })
    });
    EncodedEntry {
        status,
        made,
        headers,
        life,
        tags,
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
    // Both or neither: an entry written before lifetimes travelled has neither.
    let life_and_tags = match (fields.get("life"), fields.get("tags")) {
        (Some(life), Some(tags)) => Some((life.as_slice(), tags.as_slice())),
        (None, None) => None,
        _ => return Err(Refusal::Malformed),
    };
    if let Some(signer) = signer {
        let signature = fields.get("sig").ok_or(Refusal::Unsigned)?;
        let signed = SignedFields {
            key: entry_key.as_bytes(),
            status,
            made,
            headers,
            body,
            life_and_tags,
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
    let (lifetime, tags) = match life_and_tags {
        Some((life, tags)) => (
            Some(decode_lifetime(life).ok_or(Refusal::Malformed)?),
            decode_tags(tags).ok_or(Refusal::Malformed)?,
        ),
        None => (None, Vec::new()),
    };
    Ok(SharedEntry {
        response: CachedResponse {
            status,
            headers: decode_headers(headers).ok_or(Refusal::Malformed)?,
            body: Bytes::copy_from_slice(body),
        },
        made_unix_ms,
        expired: fields.contains_key("expired"),
        invalidated: fields.contains_key("invalidated"),
        lifetime,
        tags,
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

    const LIFETIME: Lifetime = Lifetime {
        revalidate: Some(Duration::from_secs(5)),
        expire: Duration::from_secs(60),
    };

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
        let tags = ["posts".to_string(), "_N_T_page:/posts".to_string()];
        let facts = EntryFacts {
            made_unix_ms: made,
            lifetime: LIFETIME,
            tags: &tags,
        };
        let encoded = encode_entry(KEY, &response, &facts, signer);
        let mut fields = HashMap::from([
            ("status".to_string(), encoded.status.into_bytes()),
            ("made".to_string(), encoded.made.into_bytes()),
            ("headers".to_string(), encoded.headers),
            ("body".to_string(), b"{}".to_vec()),
            ("life".to_string(), encoded.life.into_bytes()),
            ("tags".to_string(), encoded.tags.into_bytes()),
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
        let mut without_tags = fields.clone();
        without_tags.remove("tags");
        assert_eq!(
            decode_entry(KEY, &without_tags, None, NOW).err(),
            Some(Refusal::Malformed),
            "a lifetime without its tags"
        );
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

    #[test]
    fn a_lifetime_and_tags_survive_the_round_trip() {
        for revalidate in [None, Some(Duration::from_secs(5))] {
            let lifetime = Lifetime {
                revalidate,
                expire: Duration::from_secs(60),
            };
            let text = encode_lifetime(lifetime);
            assert_eq!(decode_lifetime(text.as_bytes()), Some(lifetime));
        }
        let entry = decode_entry(KEY, &stored(NOW, None), None, NOW).unwrap();
        assert_eq!(entry.lifetime, Some(LIFETIME));
        assert_eq!(entry.tags, ["posts", "_N_T_page:/posts"]);
    }

    #[test]
    fn an_entry_written_before_lifetimes_travelled_is_read_without_them() {
        let signer = Signer::new("s3cret");
        let mut old = stored(NOW, None);
        old.remove("life");
        old.remove("tags");
        let signed = SignedFields {
            key: KEY.as_bytes(),
            status: &old["status"],
            made: &old["made"],
            headers: &old["headers"],
            body: &old["body"],
            life_and_tags: None,
        };
        old.insert("sig".to_string(), signer.sign(&signed));
        let entry = decode_entry(KEY, &old, Some(&signer), NOW).unwrap();
        assert_eq!((entry.lifetime, entry.tags.len()), (None, 0));
        let mut stripped = stored(NOW, Some(&signer));
        stripped.remove("life");
        stripped.remove("tags");
        assert_eq!(
            decode_entry(KEY, &stripped, Some(&signer), NOW).err(),
            Some(Refusal::BadSignature),
            "a new entry stripped of its lifetime"
        );
    }
}
