//! Draft mode, the runtime's side: the bypass cookie's value, made from
//! `[admin] draft_mode_secret` (or a random one per process), and whether
//! a request carries it, which sends it past the cache.

use actix_web::http::header::{self, HeaderMap};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::api::draft_mode::DRAFT_MODE_COOKIE;
use crate::api::draft_token::DraftToken;
use crate::api::request::RequestCookies;

/// The cookie value: an HMAC of a fixed message under the secret, so the
/// cookie proves the secret without revealing it.
pub(crate) fn token(secret: Option<&str>) -> DraftToken {
    let secret = match secret {
        Some(secret) => secret.as_bytes().to_vec(),
        None => {
            let mut random = [0u8; 32];
            if let Err(error) = getrandom::fill(&mut random) {
                // Without randomness draft mode cannot be kept secret: an
                // unguessable value nobody holds turns it off instead.
                tracing::error!(%error, "no randomness for draft mode's secret; draft mode is off");
            }
            random.to_vec()
        }
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret)
        .expect("HMAC takes a key of any length: this is a bug in Trellis");
    mac.update(b"trellis draft mode");
    let value: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    DraftToken::new(value)
}

/// Whether the request carries draft mode's cookie with the right value.
/// Cheap for the rest: the cookies are parsed only when the name is there.
pub(crate) fn carries(headers: &HeaderMap, token: &DraftToken) -> bool {
    let name = DRAFT_MODE_COOKIE.as_bytes();
    let mentioned = headers
        .get_all(header::COOKIE)
        .any(|value| value.as_bytes().windows(name.len()).any(|w| w == name));
    mentioned
        && RequestCookies::from_header_values(headers.get_all(header::COOKIE))
            .get(DRAFT_MODE_COOKIE)
            .is_some_and(|value| token.matches(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn a_configured_secret_gives_the_same_token_everywhere_and_only_it_bypasses() {
        let token = token(Some("0123456789abcdef-secret"));
        assert_eq!(
            token.value(),
            self::token(Some("0123456789abcdef-secret")).value()
        );
        assert_ne!(token.value(), self::token(None).value());
        let mut headers = HeaderMap::new();
        let cookie = format!("a=1; {DRAFT_MODE_COOKIE}={}", token.value());
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert!(carries(&headers, &token));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__prerender_bypass=forged"),
        );
        assert!(!carries(&headers, &token));
        assert!(!carries(&HeaderMap::new(), &token));
    }
}
