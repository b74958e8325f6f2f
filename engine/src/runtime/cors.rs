//! CORS by policy: a segment's (or the server's) [`CorsPolicy`] answers
//! preflight requests and labels responses for allowed origins. Routes that
//! set CORS headers by hand need no policy.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use trellis_config::CorsPolicy;

use crate::api::response::Response;

/// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`),
/// or `None` when the request is not one. `allow` is the route's `Allow`.
pub(crate) fn preflight(
    policy: &CorsPolicy,
    method: &Method,
    headers: &HeaderMap,
    allow: &HeaderValue,
) -> Option<Response> {
    if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let mut response = Response::empty(StatusCode::NO_CONTENT);
    let out = response.headers_mut();
    out.insert(header::ALLOW, allow.clone());
    if !allow_origin(policy, headers.get(header::ORIGIN), out) {
        return Some(response);
    }
    let methods = match policy.allowed_methods.is_empty() {
        true => Some(allow.clone()),
        false => HeaderValue::from_str(&policy.allowed_methods.join(", ")).ok(),
    };
    if let Some(methods) = methods {
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    }
    let allowed_headers = match policy.allowed_headers.is_empty() {
        true => headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned(),
        false => HeaderValue::from_str(&policy.allowed_headers.join(", ")).ok(),
    };
    if let Some(allowed_headers) = allowed_headers {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers);
    }
    if let Some(max_age) = policy.max_age_secs {
        out.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age));
    }
    Some(response)
}

/// Labels a response to a cross-origin request from an allowed origin.
pub(crate) fn decorate(policy: &CorsPolicy, origin: Option<&HeaderValue>, response: &mut Response) {
    allow_origin(policy, origin, response.headers_mut());
}

/// Sets `Access-Control-Allow-Origin` (and credentials) when the request's
/// origin is allowed; reports whether it was. Sets `Vary: Origin` whenever
/// the answer depends on the origin, allowed or not, sent or not, so that a
/// cache never hands one origin's answer to another.
fn allow_origin(policy: &CorsPolicy, origin: Option<&HeaderValue>, out: &mut HeaderMap) -> bool {
    let origin_text = origin.and_then(|o| o.to_str().ok());
    if depends_on_origin(policy, origin_text) {
        vary_by_origin(out);
    }
    let (Some(origin), Some(origin_text)) = (origin, origin_text) else {
        return false;
    };
    if !policy.allows_origin(origin_text) {
        return false;
    }
    if policy.allows_any_origin() && !policy.allow_credentials {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    if policy.allow_credentials {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    true
}

/// Whether the CORS headers change with the origin: under a list of
/// origins, always; under `*` without credentials, every origin gets `*`
/// but `null`, which gets nothing, so that one answer varies.
fn depends_on_origin(policy: &CorsPolicy, origin: Option<&str>) -> bool {
    let same_for_all = policy.allows_any_origin() && !policy.allow_credentials;
    !same_for_all || origin == Some("null")
}

/// Adds `Origin` to `Vary`, unless the response varies by it (or by
/// everything) already.
fn vary_by_origin(out: &mut HeaderMap) {
    let listed = out.get_all(header::VARY).any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|name| name == "*" || name.eq_ignore_ascii_case("origin"))
        })
    });
    if !listed {
        out.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed() -> CorsPolicy {
        CorsPolicy {
            allowed_origins: vec!["https://app.example".into()],
            ..CorsPolicy::default()
        }
    }

    fn labels(policy: &CorsPolicy, origin: Option<&'static str>) -> HeaderMap {
        let mut out = HeaderMap::new();
        let origin = origin.map(HeaderValue::from_static);
        allow_origin(policy, origin.as_ref(), &mut out);
        out
    }

    fn vary(out: &HeaderMap) -> Vec<&str> {
        out.get_all(header::VARY)
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn a_listed_policy_varies_by_origin_for_every_answer() {
        let policy = listed();
        for origin in [
            Some("https://app.example"),
            Some("https://evil.example"),
            None,
        ] {
            assert_eq!(vary(&labels(&policy, origin)), ["Origin"], "{origin:?}");
        }
        let allowed = labels(&policy, Some("https://app.example"));
        assert_eq!(
            allowed.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
            "https://app.example"
        );
        let refused = labels(&policy, Some("https://evil.example"));
        assert!(!refused.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn any_origin_without_credentials_is_the_same_for_all_but_null() {
        let policy = CorsPolicy::default();
        let any = labels(&policy, Some("https://app.example"));
        assert_eq!(any.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
        assert!(vary(&any).is_empty());
        assert!(vary(&labels(&policy, None)).is_empty());
        let null = labels(&policy, Some("null"));
        assert!(!null.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        assert_eq!(vary(&null), ["Origin"]);
    }

    #[test]
    fn null_is_allowed_only_when_listed() {
        let policy = CorsPolicy {
            allowed_origins: vec!["null".into()],
            ..CorsPolicy::default()
        };
        let null = labels(&policy, Some("null"));
        assert_eq!(
            null.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(),
            "null"
        );
    }

    #[test]
    fn vary_origin_is_added_once_beside_what_the_route_set() {
        let mut out = HeaderMap::new();
        out.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        vary_by_origin(&mut out);
        vary_by_origin(&mut out);
        assert_eq!(vary(&out), ["Accept-Encoding", "Origin"]);
        let mut star = HeaderMap::new();
        star.append(header::VARY, HeaderValue::from_static("*"));
        vary_by_origin(&mut star);
        assert_eq!(vary(&star), ["*"]);
    }
}
