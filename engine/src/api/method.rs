//! Method semantics, all in one place, as Next.js's route module keeps them:
//! which function a request runs, and what the engine answers by itself
//! for a method the route file does not define.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};

use crate::api::response::Response;

/// The seven methods a route file may define, in alphabetical order so that
/// `Allow` lists them sorted without sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Delete,
    Get,
    Head,
    Options,
    Patch,
    Post,
    Put,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 7] = [
        HttpMethod::Delete,
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Options,
        HttpMethod::Patch,
        HttpMethod::Post,
        HttpMethod::Put,
    ];

    /// `None` for any other method: the engine answers 400.
    pub fn from_method(method: &Method) -> Option<Self> {
        Some(match *method {
            Method::DELETE => HttpMethod::Delete,
            Method::GET => HttpMethod::Get,
            Method::HEAD => HttpMethod::Head,
            Method::OPTIONS => HttpMethod::Options,
            Method::PATCH => HttpMethod::Patch,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Delete => "DELETE",
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// What to do with a request, given the methods its route file defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodOutcome {
    /// Run this method's function. HEAD with no HEAD function runs GET; the
    /// HTTP layer then sends GET's status and headers without the body.
    Run(HttpMethod),
    /// OPTIONS with no OPTIONS function: 204 with `Allow`.
    AutoOptions,
    /// A method the file does not define: 405 with `Allow`.
    NotAllowed,
}

/// Decides, for a route that defines the methods `defined` answers true for.
pub(crate) fn resolve(
    requested: HttpMethod,
    defined: impl Fn(HttpMethod) -> bool,
) -> MethodOutcome {
    if defined(requested) {
        return MethodOutcome::Run(requested);
    }
    match requested {
        HttpMethod::Head if defined(HttpMethod::Get) => MethodOutcome::Run(HttpMethod::Get),
        HttpMethod::Options => MethodOutcome::AutoOptions,
        _ => MethodOutcome::NotAllowed,
    }
}

/// The `Allow` value: the defined methods, plus OPTIONS, plus HEAD where GET
/// is defined, sorted and joined with `, ` (Next.js's exact format).
pub(crate) fn allow_header(defined: impl Fn(HttpMethod) -> bool) -> HeaderValue {
    let allowed: Vec<&str> = HttpMethod::ALL
        .into_iter()
        .filter(|m| {
            defined(*m)
                || *m == HttpMethod::Options
                || (*m == HttpMethod::Head && defined(HttpMethod::Get))
        })
        .map(HttpMethod::as_str)
        .collect();
    HeaderValue::from_str(&allowed.join(", "))
        .expect("method names are valid header text: this is a bug in Trellis")
}

/// 204, empty body, `Allow`: the automatic OPTIONS answer.
pub(crate) fn auto_options(allow: &HeaderValue) -> Response {
    with_allow(StatusCode::NO_CONTENT, allow)
}

/// 405, empty body as Next.js sends it, plus `Allow` as RFC 9110 requires.
pub(crate) fn not_allowed(allow: &HeaderValue) -> Response {
    with_allow(StatusCode::METHOD_NOT_ALLOWED, allow)
}

/// 400 with an empty body for a method outside the seven (`HEADER`,
/// `TRACE`), whatever the path: Next.js answers so to any method that is not
/// one of its seven, before looking for a handler.
pub(crate) fn unknown_method() -> Response {
    Response::empty(StatusCode::BAD_REQUEST)
}

/// An empty answer with `Allow`.
pub(crate) fn with_allow(status: StatusCode, allow: &HeaderValue) -> Response {
    let mut response = Response::empty(status);
    response.headers_mut().insert(header::ALLOW, allow.clone());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defines(methods: &'static [HttpMethod]) -> impl Fn(HttpMethod) -> bool {
        move |m| methods.contains(&m)
    }

    #[test]
    fn allow_lists_defined_plus_options_plus_head_for_get() {
        use HttpMethod::*;
        let all = defines(&[Get, Post, Put, Patch, Delete]);
        assert_eq!(
            allow_header(all),
            "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
        );
        assert_eq!(allow_header(defines(&[Post])), "OPTIONS, POST");
        assert_eq!(allow_header(defines(&[])), "OPTIONS");
    }

    #[test]
    fn head_runs_get_and_undefined_methods_are_not_allowed() {
        use HttpMethod::*;
        let get_only = defines(&[Get]);
        assert_eq!(resolve(Head, &get_only), MethodOutcome::Run(Get));
        assert_eq!(resolve(Options, &get_only), MethodOutcome::AutoOptions);
        assert_eq!(resolve(Post, &get_only), MethodOutcome::NotAllowed);
        assert_eq!(resolve(Head, defines(&[Post])), MethodOutcome::NotAllowed);
        assert_eq!(
            resolve(Options, defines(&[Options])),
            MethodOutcome::Run(Options)
        );
    }
}
