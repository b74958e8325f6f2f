//! How an answer leaves, whatever made it: compressed when the client
//! accepts it and it pays (unless a cached form was already chosen), a
//! 304 when the client's copy is current, `Vary: Accept-Encoding` where
//! the coding depends on it, and `X-Accel-Buffering: no` on streams so
//! that nginx in front passes each chunk on.

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};

use crate::api::response::{Body, Response};
use crate::runtime::compression::{self, Coding, Effort, MIN_BYTES};
use crate::runtime::conditional::{self, Conditions};
use crate::runtime::etag;
use crate::runtime::negotiation::AcceptEncoding;

const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// What a request says about the form of its answer, read before its
/// headers move into the route function's request.
#[derive(Debug, Default)]
pub(crate) struct Wants {
    /// `None` when compression is off or the client sent no
    /// `Accept-Encoding`.
    accept: Option<AcceptEncoding>,
    conditions: Conditions,
    head: bool,
}

impl Wants {
    pub(crate) fn of(method: &Method, headers: &HeaderMap, compress: bool) -> Self {
        Wants {
            accept: match compress {
                true => headers
                    .get(header::ACCEPT_ENCODING)
                    .map(AcceptEncoding::parse),
                false => None,
            },
            conditions: Conditions::of(method, headers),
            head: method == Method::HEAD,
        }
    }

    pub(crate) fn accept(&self) -> Option<AcceptEncoding> {
        self.accept
    }
}

/// `response` as it goes out for a request that `wants` so, on a server
/// that compresses when `compress`.
pub(crate) fn deliver(mut response: Response, wants: &Wants, compress: bool) -> Response {
    let streamed = matches!(response.body(), Body::Stream(_));
    if streamed && !response.headers().contains_key(&X_ACCEL_BUFFERING) {
        response
            .headers_mut()
            .insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    }
    let coding = match compress && !response.delivery.encoded {
        true => plan(&mut response, wants),
        false => None,
    };
    if let Some(coding) = coding {
        if let Some(own) = response.headers().get(header::ETAG) {
            let tag = etag::for_coding(own, coding);
            response.headers_mut().insert(header::ETAG, tag);
        }
    }
    if wants
        .conditions
        .not_modified(response.status(), response.headers())
    {
        return conditional::not_modified(response);
    }
    match coding {
        Some(coding) => compressed(response, coding),
        None => response,
    }
}

/// The coding this answer will be sent in, if any; adds `Vary` to an
/// answer whose coding depends on `Accept-Encoding` (compressible, and
/// large enough or streamed), sent compressed or not, so that caches in
/// between keep the forms apart. A small answer is the same for everyone
/// and says nothing more.
fn plan(response: &mut Response, wants: &Wants) -> Option<Coding> {
    // The size first: most API answers are small, and it costs no lookup.
    let large_enough = match response.body() {
        Body::Empty => false,
        Body::Text(bytes) | Body::Bytes(bytes) => bytes.len() >= MIN_BYTES,
        Body::Stream(_) => true,
    };
    let status = response.status();
    if !large_enough || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return None;
    }
    let headers = response.headers();
    if !compression::compressible(|name| headers.get(name)) {
        return None;
    }
    add_vary(response.headers_mut());
    match wants.head {
        true => None,
        false => wants.accept?.choose(true, true),
    }
}

fn add_vary(headers: &mut HeaderMap) {
    let listed = headers
        .get_all(header::VARY)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"));
    if !listed {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

fn compressed(mut response: Response, coding: Coding) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, coding.header_value());
    headers.remove(header::CONTENT_LENGTH);
    response.map_body(|body| match body {
        Body::Text(bytes) | Body::Bytes(bytes) => {
            Body::Bytes(compression::compress(&bytes, coding, Effort::Live))
        }
        Body::Stream(chunks) => Body::Stream(compression::compress_stream(chunks, coding)),
        Body::Empty => Body::Empty,
    })
}
