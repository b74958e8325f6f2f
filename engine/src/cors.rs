//! CORS by policy: a segment's (or the server's) [`CorsPolicy`] answers
//! preflight requests and labels responses for allowed origins. Routes that
//! set CORS headers by hand need no policy.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use trellis_config::CorsPolicy;

use crate::response::Response;

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

/// Sets `Access-Control-Allow-Origin` (and credentials, and `Vary`) when the
/// request's origin is allowed; reports whether it was.
fn allow_origin(policy: &CorsPolicy, origin: Option<&HeaderValue>, out: &mut HeaderMap) -> bool {
    let Some(origin) = origin else {
        return false;
    };
    let Ok(origin_text) = origin.to_str() else {
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
        // Credentials forbid `*`: echo the origin, and say the answer varies.
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if policy.allow_credentials {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    true
}
