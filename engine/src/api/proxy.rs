//! `Proxy`: what the app's proxy function (Next.js's `proxy.ts`, once
//! `middleware.ts`) answers for a request, before any route sees it: go on
//! to the route (`NextResponse.next()`), serve another path or another
//! server (`NextResponse.rewrite()`), redirect, or answer itself.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;

use crate::api::error::Result;
use crate::api::header_error::HeaderError;
use crate::api::response::Response;
use crate::api::response_headers::checked_header;

/// What the proxy decided. Request headers set here are what the route
/// (or the upstream) sees; response headers, and cookies set through
/// [`ProxyContext::cookies`](crate::ProxyContext::cookies), are added to
/// whatever is answered.
///
/// ```
/// use trellis_engine::{Proxy, Response, Result, StatusCode};
///
/// fn decide(blocked: bool, request_id: &str) -> Result<Proxy> {
///     if blocked {
///         let refusal = Response::json(&serde_json::json!({ "error": "blocked" }));
///         return Ok(Proxy::respond(refusal.with_status(StatusCode::FORBIDDEN)));
///     }
///     Proxy::next()
///         .request_header("x-request-id", request_id)?
///         .header("x-request-id", request_id)
/// }
/// assert!(decide(false, "abc").is_ok());
/// assert!(decide(false, "a\r\nb").is_err());
/// ```
#[derive(Debug)]
pub struct Proxy {
    pub(crate) action: ProxyAction,
    pub(crate) request_headers: Vec<RequestHeaderChange>,
    /// In the order set, each name once. A list, not a map: a proxy sets
    /// one or two, and they move onto the answer's map.
    pub(crate) response_headers: Vec<(HeaderName, HeaderValue)>,
}

/// Where the request goes.
#[derive(Debug)]
pub(crate) enum ProxyAction {
    Next,
    /// A path (`/blog/a`, routed as if requested) or an `http(s)://` URL.
    Rewrite(String),
    Redirect {
        location: String,
        status: StatusCode,
    },
    Respond(Response),
}

/// A request header set or removed, in the order the proxy said so.
#[derive(Debug)]
pub(crate) enum RequestHeaderChange {
    Set(HeaderName, HeaderValue),
    Remove(HeaderName),
}

impl Proxy {
    fn with(action: ProxyAction) -> Self {
        Proxy {
            action,
            request_headers: Vec::new(),
            response_headers: Vec::new(),
        }
    }

    /// Go on to the route, as `NextResponse.next()`.
    pub fn next() -> Self {
        Proxy::with(ProxyAction::Next)
    }

    /// Serve `url` instead, the URL the client sees unchanged: a path
    /// (`/blog/a?x=1`) is routed as if it had been requested; an `http://`
    /// or `https://` URL is fetched from that server, both bodies
    /// streamed. The request's query is kept when `url` has none.
    /// A URL with a `.` or `..` segment is refused with a 400: whatever of
    /// the request went into it cannot climb out of its path.
    pub fn rewrite(url: &str) -> Self {
        Proxy::with(ProxyAction::Rewrite(url.to_string()))
    }

    /// A 307 to `url`; [`permanent`](Self::permanent) makes it a 308.
    pub fn redirect(url: &str) -> Self {
        Proxy::with(ProxyAction::Redirect {
            location: url.to_string(),
            status: StatusCode::TEMPORARY_REDIRECT,
        })
    }

    /// Makes a redirect permanent (308); anything else is left as it is.
    pub fn permanent(mut self) -> Self {
        if let ProxyAction::Redirect { status, .. } = &mut self.action {
            *status = StatusCode::PERMANENT_REDIRECT;
        }
        self
    }

    /// Answer with `response`; the route does not run.
    pub fn respond(response: Response) -> Self {
        Proxy::with(ProxyAction::Respond(response))
    }

    /// Sets a request header for the route (or the upstream), replacing
    /// any of that name the client sent. Text HTTP forbids is an error.
    pub fn request_header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = checked_header(name, value)?;
        self.request_headers
            .push(RequestHeaderChange::Set(name, value));
        Ok(self)
    }

    /// Removes a request header before the route (or the upstream) sees it.
    pub fn remove_request_header(mut self, name: &str) -> Result<Self> {
        let name = HeaderName::try_from(name).map_err(|_| HeaderError::name(name))?;
        self.request_headers.push(RequestHeaderChange::Remove(name));
        Ok(self)
    }

    /// Sets a header on whatever is answered, replacing one of that name.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self> {
        let (name, value) = checked_header(name, value)?;
        self.response_headers.retain(|(set, _)| *set != name);
        self.response_headers.push((name, value));
        Ok(self)
    }
}
