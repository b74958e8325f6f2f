//! `Response`: what a route function answers, built as the Web `Response`
//! is (`Response.json`, `new Response(body, { status, headers })`).

use std::fmt;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tokio::sync::oneshot;

/// The content type Next.js gives a string body.
pub(crate) const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";
const APPLICATION_JSON: &str = "application/json";

/// A response body.
pub enum Body {
    Empty,
    /// Text: `Response::new` labels it `text/plain;charset=UTF-8`, as the
    /// Web `Response` does a string.
    Text(Bytes),
    /// Bytes with no content type of their own.
    Bytes(Bytes),
    /// Chunks sent as they are made (chunked transfer); never cached.
    Stream(BodyStream),
}

/// The chunks of a streamed body.
pub type BodyStream = Pin<Box<dyn Stream<Item = std::result::Result<Bytes, BoxError>> + Send>>;

/// Why a streamed body stopped early.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Text(bytes) => write!(f, "Text({bytes:?})"),
            Body::Bytes(bytes) => write!(f, "Bytes({bytes:?})"),
            Body::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::Empty
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::Text(Bytes::from_static(text.as_bytes()))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Text(Bytes::from(text))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(Bytes::from(bytes))
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Bytes(bytes)
    }
}

/// An HTTP response.
///
/// ```
/// use trellis_engine::Response;
/// use actix_web::http::StatusCode;
///
/// let created = Response::json(&serde_json::json!({ "id": 1 })).with_status(StatusCode::CREATED);
/// assert_eq!(created.status(), StatusCode::CREATED);
///
/// let rss = Response::new("<rss/>").header("content-type", "text/xml").unwrap();
/// assert_eq!(rss.headers().get("content-type").unwrap(), "text/xml");
///
/// // A value that would split the header is refused, never sent.
/// assert!(Response::new("x").header("x-evil", "a\r\nset-cookie: b=1").is_err());
/// ```
#[derive(Debug)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
    pub(crate) delivery: Delivery,
}

/// What the engine attaches to a response on its way out; nothing a route
/// function sets.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    /// The body is already in the content coding chosen for this request
    /// (a cached representation): it is not compressed again.
    pub encoded: bool,
    /// Told when the response has been sent, or dropped unsent: the
    /// request's `after()` callbacks wait for it.
    pub on_sent: Option<oneshot::Sender<()>>,
}

impl Response {
    /// 200 with `body`; text bodies get `text/plain;charset=UTF-8`.
    pub fn new(body: impl Into<Body>) -> Self {
        let body = body.into();
        let mut headers = HeaderMap::new();
        if matches!(body, Body::Text(_)) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
        }
        Response::from_parts(StatusCode::OK, headers, body)
    }

    /// 200 with a text body.
    pub fn text(text: impl Into<String>) -> Self {
        Response::new(Body::from(text.into()))
    }

    /// 200 with `value` as compact JSON, `content-type: application/json`.
    /// A value that cannot be serialized (a map with non-string keys) is a
    /// 500, logged.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::with_content_type(StatusCode::OK, APPLICATION_JSON, body.into()),
            Err(error) => {
                tracing::error!(%error, "cannot serialize a JSON response");
                Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// 200 with a body sent chunk by chunk as `chunks` yields them, with
    /// backpressure; when the client goes away the stream is dropped.
    ///
    /// ```
    /// use trellis_engine::Response;
    ///
    /// let response = Response::stream(futures_util::stream::iter(["<p>One</p>", "<p>Two</p>"]));
    /// ```
    pub fn stream<S, T>(chunks: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
        T: Into<Bytes>,
    {
        Response::try_stream(chunks.map(|chunk| Ok::<_, BoxError>(chunk.into())))
    }

    /// Like [`stream`](Self::stream), for a stream that can fail: an error
    /// ends the response early (the client sees a truncated body).
    pub fn try_stream<S, T, E>(chunks: S) -> Self
    where
        S: Stream<Item = std::result::Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<BoxError>,
    {
        let body: BodyStream =
            Box::pin(chunks.map(|chunk| chunk.map(Into::into).map_err(Into::into)));
        Response::from_parts(StatusCode::OK, HeaderMap::new(), Body::Stream(body))
    }

    /// 307 to `url`: what `redirect()` answers in a Next.js route handler.
    /// A relative URL is resolved against the request URL when sent.
    pub fn redirect(url: &str) -> Self {
        Response::redirect_with(StatusCode::TEMPORARY_REDIRECT, url)
    }

    /// 308 to `url`, as `permanentRedirect()`.
    pub fn permanent_redirect(url: &str) -> Self {
        Response::redirect_with(StatusCode::PERMANENT_REDIRECT, url)
    }

    fn redirect_with(status: StatusCode, url: &str) -> Self {
        Response::to_location(status, url).unwrap_or_else(|| {
            tracing::error!(
                url,
                "refused a redirect to a URL that is not valid header text"
            );
            Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
        })
    }

    /// An empty response with `status` and `Location: location`; `None` when
    /// the location is not valid header text. Every redirect is made here.
    pub(crate) fn to_location(status: StatusCode, location: &str) -> Option<Self> {
        let location = HeaderValue::from_str(location).ok()?;
        let mut response = Response::empty(status);
        response.headers.insert(header::LOCATION, location);
        Some(response)
    }

    /// `status` with no body.
    pub fn empty(status: StatusCode) -> Self {
        Response::from_parts(status, HeaderMap::new(), Body::Empty)
    }

    /// The engine's own short errors: `{"error":"<message>"}`.
    pub(crate) fn json_error(status: StatusCode, message: &str) -> Self {
        Response::json(&serde_json::json!({ "error": message })).with_status(status)
    }

    fn with_content_type(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Response::from_parts(status, headers, Body::Bytes(body))
    }

    /// Sets the status, as `{ status: 201 }` does.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, to set typed values directly.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    pub fn body(&self) -> &Body {
        &self.body
    }

    pub(crate) fn from_parts(status: StatusCode, headers: HeaderMap, body: Body) -> Self {
        Response {
            status,
            headers,
            body,
            delivery: Delivery::default(),
        }
    }

    /// The parts; what the engine attached is dropped (an `after()` signal
    /// dropped runs its callbacks), so keep it first where it matters.
    pub(crate) fn into_parts(self) -> (StatusCode, HeaderMap, Body) {
        (self.status, self.headers, self.body)
    }

    /// The same response with another body (compressed, or none for a
    /// 304), keeping what the engine attached.
    pub(crate) fn map_body(self, map: impl FnOnce(Body) -> Body) -> Self {
        Response {
            body: map(self.body),
            ..self
        }
    }
}
