//! Making strong validators: an `ETag` from the bytes of a body, and the
//! `ETag` of a handler's own tag for a compressed form of its body.

use actix_web::http::header::HeaderValue;
use sha2::{Digest, Sha256};

use crate::runtime::compression::Coding;

/// A strong `ETag` for `bytes`: the first 16 bytes of their SHA-256, in hex
/// and quotes. Stable across instances and restarts, so a client that
/// lands on another instance still gets its 304.
pub(crate) fn of_bytes(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    HeaderValue::from_str(&tag).expect("hex in quotes is a header value: this is a bug in Trellis")
}

/// The tag of `etag`'s body in `coding`. A weak tag holds for every coding
/// (the content is the same); a strong one names exact bytes, so the
/// compressed form gets its own: `"v1"` becomes `"v1-gzip"`.
pub(crate) fn for_coding(etag: &HeaderValue, coding: Coding) -> HeaderValue {
    let Ok(text) = etag.to_str() else {
        return etag.clone();
    };
    match text.strip_suffix('"') {
        Some(open) if !text.starts_with("W/") && open.starts_with('"') => {
            HeaderValue::from_str(&format!("{open}-{}\"", coding.token()))
                .unwrap_or_else(|_| etag.clone())
        }
        _ => etag.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_by_bytes_and_by_coding_unless_weak() {
        let a = of_bytes(b"a");
        assert_eq!(a, of_bytes(b"a"));
        assert_ne!(a, of_bytes(b"b"));
        assert_eq!(a.len(), 34);
        let own = HeaderValue::from_static("\"v1\"");
        assert_eq!(for_coding(&own, Coding::Gzip), "\"v1-gzip\"");
        assert_eq!(for_coding(&own, Coding::Br), "\"v1-br\"");
        let weak = HeaderValue::from_static("W/\"v1\"");
        assert_eq!(for_coding(&weak, Coding::Br), weak);
    }
}
