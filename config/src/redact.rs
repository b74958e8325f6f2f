//! Secrets kept out of what Trellis prints: errors, log lines and
//! `trellis check-config` show a Redis URL with its password hidden, and
//! never the admin token.

/// What stands where a secret was.
pub const REDACTED: &str = "***";

/// `url` with its password hidden: `redis://user:***@host/db`, and the
/// `pass` or `password` query value of a socket URL
/// (`redis+unix:///run/redis.sock?pass=***`). Malformed URLs are handled
/// too: they are the ones errors print.
///
/// ```
/// use trellis_config::redact_url;
///
/// assert_eq!(redact_url("redis://user:hunter2@cache:6379/0"), "redis://user:***@cache:6379/0");
/// assert_eq!(redact_url("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
/// ```
pub fn redact_url(url: &str) -> String {
    let mut redacted = url.to_string();
    if let Some(password) = password_range(url) {
        redacted.replace_range(password, REDACTED);
    }
    redact_query(&redacted)
}

/// `text` with every occurrence of the password of `url`, and of `url`
/// itself, hidden: for messages of other crates that might echo the URL.
pub fn scrub_url(text: &str, url: &str) -> String {
    if url.is_empty() {
        return text.to_string();
    }
    let mut scrubbed = text.replace(url, &redact_url(url));
    if let Some(password) = password_range(url) {
        scrubbed = scrub_secret(&scrubbed, &url[password]);
    }
    scrubbed
}

/// `text` with every occurrence of `secret` hidden.
pub fn scrub_secret(text: &str, secret: &str) -> String {
    match secret.is_empty() {
        true => text.to_string(),
        false => text.replace(secret, REDACTED),
    }
}

/// Whether the value at `key` (`admin.token`, `cache.store`) may hold a
/// secret, and so is never shown.
pub fn is_secret_key(key: &str) -> bool {
    let name = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    key == "cache.store"
        || ["token", "password", "secret"]
            .iter()
            .any(|word| name.contains(word))
}

/// The bytes of the password: after the first `:` of the user info, up to
/// its `@`. The user info ends at the last `@` before any `?` or `#`, so a
/// password with a raw `@` or `/` is still hidden whole.
fn password_range(url: &str) -> Option<std::ops::Range<usize>> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| start + i);
    let at = start + url[start..end].rfind('@')?;
    let colon = start + url[start..at].find(':')?;
    (colon + 1 < at).then_some(colon + 1..at)
}

/// The query with `pass=` and `password=` values hidden.
fn redact_query(url: &str) -> String {
    let Some((head, rest)) = url.split_once('?') else {
        return url.to_string();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (rest, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("pass") || key.eq_ignore_ascii_case("password") =>
            {
                format!("{key}={REDACTED}")
            }
            _ => pair.to_string(),
        })
        .collect();
    let mut redacted = format!("{head}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        redacted.push('#');
        redacted.push_str(fragment);
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_url_shows_everything_but_its_password() {
        let cases = [
            (
                "redis://user:hunter2@cache:6379/0",
                "redis://user:***@cache:6379/0",
            ),
            ("redis://:hunter2@cache/0", "redis://:***@cache/0"),
            ("rediss://u:p@ss/w@cache/0", "rediss://u:***@cache/0"),
            ("redis//user:hunter2@nowhere", "redis//user:***@nowhere"),
            (
                "redis+unix:///run/redis.sock?db=1&pass=hunter2",
                "redis+unix:///run/redis.sock?db=1&pass=***",
            ),
            ("redis://user@cache/0", "redis://user@cache/0"),
            (
                "redis://cache:6379/0?protocol=resp3",
                "redis://cache:6379/0?protocol=resp3",
            ),
            ("memory", "memory"),
            ("", ""),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn a_message_echoing_the_url_or_password_is_scrubbed() {
        let url = "redis://user:hunter2@cache:bad/0";
        let message = format!("cannot open {url} (password hunter2)");
        let scrubbed = scrub_url(&message, url);
        assert!(!scrubbed.contains("hunter2"), "{scrubbed}");
        assert!(
            scrubbed.contains("redis://user:***@cache:bad/0"),
            "{scrubbed}"
        );
        assert_eq!(scrub_url("no url here", ""), "no url here");
        assert_eq!(scrub_secret("a token t0k", "t0k"), "a token ***");
    }

    #[test]
    fn tokens_passwords_and_the_store_are_secret_keys() {
        for key in ["admin.token", "cache.store", "x.password", "token"] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["server.port", "cache.key_prefix", "admin.metrics_path"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
