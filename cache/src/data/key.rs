//! The keys of data entries, beside the keys of responses in one store: a
//! response's key is a path and starts with `/`; a fetch's starts with
//! `fetch:`, a memo's with `memo:`, so none can be taken for another.
//!
//! A fetch is keyed by its method, its URL, the request headers it sends
//! and its body; a memo by the function that computes it and its key
//! parts, as `unstable_cache` keys by `keyParts` and the function's text.
//! What can be long (headers, bodies, long key parts) goes into the key as
//! a SHA-256 digest, so keys stay short in memory and in Redis. Logs show
//! a key without its query ([`key_for_logs`]), which may hold a token.

use sha2::{Digest, Sha256};

/// Key parts longer than this go into the key as a digest.
const MAX_PLAIN_PARTS: usize = 200;

/// The key of a fetch. `headers` are the request headers the fetch sends,
/// in any order.
///
/// ```
/// use trellis_cache::fetch_key;
///
/// assert_eq!(fetch_key("GET", "https://api.example/blog", &[], b""), "fetch:GET https://api.example/blog");
/// let json = [("accept".to_string(), "application/json".to_string())];
/// assert_ne!(fetch_key("GET", "https://api.example/blog", &json, b""), fetch_key("GET", "https://api.example/blog", &[], b""));
/// ```
pub fn fetch_key(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> String {
    // Pushed, not `format!`ted: a key is made on every hit, and the
    // formatting machinery costs more than the lookup it is made for.
    let mut key = String::with_capacity(7 + method.len() + url.len() + 33);
    key.push_str("fetch:");
    key.push_str(method);
    key.push(' ');
    key.push_str(url);
    if headers.is_empty() && body.is_empty() {
        return key;
    }
    let mut sorted: Vec<_> = headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    sorted.sort();
    let mut digest = Sha256::new();
    for (name, value) in sorted {
        // Lengths first: no header can be made to read as another.
        digest.update((name.len() as u64).to_le_bytes());
        digest.update(name.as_bytes());
        digest.update((value.len() as u64).to_le_bytes());
        digest.update(value.as_bytes());
    }
    digest.update(b"\0body");
    digest.update(body);
    key.push('#');
    push_hex(&mut key, &digest.finalize()[..16]);
    key
}

/// The key of a memo: the computing function's name, and its key parts as
/// JSON.
///
/// ```
/// use trellis_cache::memo_key;
///
/// assert_eq!(memo_key("app::square", r#"["square",4]"#), r#"memo:app::square:["square",4]"#);
/// assert!(memo_key("f", &"x".repeat(500)).len() < 120);
/// ```
pub fn memo_key(function: &str, parts: &str) -> String {
    let mut key = String::with_capacity(6 + function.len() + parts.len().min(MAX_PLAIN_PARTS));
    key.push_str("memo:");
    key.push_str(function);
    if parts.len() <= MAX_PLAIN_PARTS {
        key.push(':');
        key.push_str(parts);
        return key;
    }
    key.push('#');
    push_hex(&mut key, &Sha256::digest(parts.as_bytes())[..16]);
    key
}

/// A key as logs show it: a fetch's URL without its query, which may hold
/// a token.
pub fn key_for_logs(key: &str) -> &str {
    key.split('?').next().unwrap_or_default()
}

fn push_hex(key: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    for byte in bytes {
        let _ = write!(key, "{byte:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_order_and_case_do_not_change_a_fetch_key_but_values_do() {
        let header = |n: &str, v: &str| (n.to_string(), v.to_string());
        let a = [header("Accept", "json"), header("x-v", "1")];
        let b = [header("x-v", "1"), header("accept", "json")];
        let url = "https://api.example/x";
        assert_eq!(
            fetch_key("GET", url, &a, b""),
            fetch_key("GET", url, &b, b"")
        );
        let c = [header("accept", "json"), header("x-v", "2")];
        assert_ne!(
            fetch_key("GET", url, &a, b""),
            fetch_key("GET", url, &c, b"")
        );
        assert_ne!(
            fetch_key("POST", url, &[], b"1"),
            fetch_key("POST", url, &[], b"2")
        );
    }

    #[test]
    fn a_logged_key_shows_no_query() {
        assert_eq!(
            key_for_logs("fetch:GET https://api.example/x?key=secret"),
            "fetch:GET https://api.example/x"
        );
        assert_eq!(key_for_logs("memo:f:[1]"), "memo:f:[1]");
    }
}
