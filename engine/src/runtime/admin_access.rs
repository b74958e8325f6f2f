//! Who may call the engine's own endpoints: a client with the admin token,
//! in a request no browser sent on another site's behalf. Being on
//! loopback is no pass: behind a reverse proxy on the same host, every
//! client is loopback.

use std::net::Ipv6Addr;

use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;

/// Why a call was refused: sent as the 403's message, logged as its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No token is configured: the endpoints are closed.
    NoToken,
    /// No `Authorization: Bearer`, or another token.
    WrongToken,
    /// `Sec-Fetch-Site` says a page of another site sent it.
    CrossSite,
    /// `Origin` names another host than `Host`.
    ForeignOrigin,
    /// `Host` is not `host[:port]`.
    MalformedHost,
}

impl Refusal {
    /// The message of the 403: how to get in, where that is the operator's
    /// to fix.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::NoToken => {
                "the admin endpoints are closed until a token is configured: set `[admin] token` \
                 in trellis.toml or the TRELLIS_ADMIN__TOKEN variable, then send \
                 `Authorization: Bearer <token>`"
            }
            Refusal::WrongToken => {
                "the admin token is required: send `Authorization: Bearer <token>`"
            }
            Refusal::CrossSite => "cross-site requests are refused",
            Refusal::ForeignOrigin => "requests from another origin are refused",
            Refusal::MalformedHost => "the Host header is not host[:port]",
        }
    }

    /// A few words for the log line.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::NoToken => "no admin token configured",
            Refusal::WrongToken => "missing or wrong token",
            Refusal::CrossSite => "Sec-Fetch-Site is not same-origin or none",
            Refusal::ForeignOrigin => "Origin is not the Host",
            Refusal::MalformedHost => "malformed Host",
        }
    }
}

/// The admin token, and the rule every call to an admin endpoint passes.
pub(crate) struct AdminAccess {
    token: Option<String>,
}

impl AdminAccess {
    pub(crate) fn new(token: Option<String>) -> Self {
        AdminAccess { token }
    }

    /// `Ok` when `req` may call an admin endpoint. Where the request comes
    /// from is checked before the token, and whatever the token: a page
    /// must not have a visitor's browser call in (the operator's own, with
    /// the token at hand in a proxy or an extension).
    pub(crate) fn check(&self, req: &HttpRequest) -> Result<(), Refusal> {
        let Some(token) = &self.token else {
            return Err(Refusal::NoToken);
        };
        let headers = req.headers();
        let host = match headers.get(header::HOST) {
            Some(host) => {
                let host = host.to_str().map_err(|_| Refusal::MalformedHost)?;
                split_authority(host).ok_or(Refusal::MalformedHost)?;
                Some(host)
            }
            None => None,
        };
        if !fetched_from_same_origin(headers) {
            return Err(Refusal::CrossSite);
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let same = origin
                .to_str()
                .ok()
                .zip(host)
                .is_some_and(|(origin, host)| origin_is_host(origin, host));
            if !same {
                return Err(Refusal::ForeignOrigin);
            }
        }
        match bearer(headers) {
            Some(offered) if constant_time_eq(token.as_bytes(), offered.as_bytes()) => Ok(()),
            _ => Err(Refusal::WrongToken),
        }
    }
}

/// `Sec-Fetch-Site` absent (not a browser, or an old one), `same-origin`
/// or `none` (typed in the address bar); not `same-site` or `cross-site`.
fn fetched_from_same_origin(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site") {
        None => true,
        Some(site) => {
            let site = site.as_bytes();
            site.eq_ignore_ascii_case(b"same-origin") || site.eq_ignore_ascii_case(b"none")
        }
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Whether `origin` (`scheme://host[:port]`) names the `host` the request
/// was sent to, a missing port being the scheme's own. `null` names none.
fn origin_is_host(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    match (split_authority(authority), split_authority(host)) {
        (Some((origin_name, origin_port)), Some((host_name, host_port))) => {
            origin_name.eq_ignore_ascii_case(host_name)
                && origin_port.unwrap_or(default_port) == host_port.unwrap_or(default_port)
        }
        _ => false,
    }
}

/// `host[:port]` split, or `None` when it is not one: a name of letters,
/// digits, `-`, `.` and `_`, or an IPv6 address in brackets, and a port of
/// digits. No user, path or anything else.
fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (name, rest) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (address, rest) = bracketed.split_once(']')?;
            address.parse::<Ipv6Addr>().ok()?;
            (&authority[..address.len() + 2], rest)
        }
        None => {
            let end = authority.find(':').unwrap_or(authority.len());
            let name = &authority[..end];
            let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
            if name.is_empty() || name.len() > 253 || !name.bytes().all(plain) {
                return None;
            }
            (name, &authority[end..])
        }
    };
    let port = match rest {
        "" => None,
        _ => {
            let digits = rest.strip_prefix(':')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(digits.parse::<u16>().ok()?)
        }
    };
    Some((name, port))
}

/// Compares without returning early, so timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authority_is_a_host_and_an_optional_port() {
        assert_eq!(split_authority("localhost"), Some(("localhost", None)));
        assert_eq!(
            split_authority("example.com:8080"),
            Some(("example.com", Some(8080)))
        );
        assert_eq!(split_authority("[::1]:3000"), Some(("[::1]", Some(3000))));
        assert_eq!(split_authority("[::1]"), Some(("[::1]", None)));
        for bad in [
            "",
            ":80",
            "a:",
            "a:x",
            "a:99999",
            "a:+80",
            "user@host",
            "host/path",
            "a b",
            "[::1",
            "[nope]:80",
            "[::1]x",
            "a:80:80",
        ] {
            assert_eq!(split_authority(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_origin_matches_its_host_with_the_default_port_filled_in() {
        assert!(origin_is_host("http://localhost:3000", "localhost:3000"));
        assert!(origin_is_host("https://Example.com", "example.com"));
        assert!(origin_is_host("https://example.com", "example.com:443"));
        assert!(origin_is_host("http://[::1]:3000", "[::1]:3000"));
        assert!(!origin_is_host("http://localhost:3001", "localhost:3000"));
        assert!(!origin_is_host("https://evil.example", "example.com"));
        assert!(!origin_is_host("http://example.com", "example.com:443"));
        assert!(!origin_is_host("null", "example.com"));
        assert!(!origin_is_host("file://", "example.com"));
    }

    #[test]
    fn refusals_say_how_to_configure_a_token() {
        let message = Refusal::NoToken.message();
        assert!(message.contains("`[admin] token`") && message.contains("TRELLIS_ADMIN__TOKEN"));
    }
}
