//! `req.body_stream()`: a request body as it arrives, chunk by chunk, for
//! uploads larger than memory should hold. A route that declares
//! `STREAM_BODY = true` gets its body this way (the engine forwards it
//! within the body limit); any other gets the body it has read, as one
//! chunk.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::http::StatusCode;
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::api::error::{Error, Result};
use crate::api::response::Response;

/// Why a streamed body stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Past the route's body limit, in bytes.
    TooLarge(usize),
    /// No chunk came within the body timeout.
    TimedOut,
    /// The connection failed.
    Read(String),
}

impl From<BodyError> for Error {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge(limit) => Error::Response(Response::json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("body larger than the limit of {limit} bytes"),
            )),
            BodyError::TimedOut => Error::Response(Response::json_error(
                StatusCode::REQUEST_TIMEOUT,
                "body not received within the time limit",
            )),
            BodyError::Read(why) => Error::BadRequest(format!("cannot read body: {why}")),
        }
    }
}

/// A request body, chunk by chunk. Also a `Stream` of `Result<Bytes>`.
///
/// ```
/// # async fn demo(mut req: trellis_engine::Request) -> trellis_engine::Result<()> {
/// let mut body = req.body_stream();
/// let mut total = 0;
/// while let Some(chunk) = body.chunk().await? {
///     total += chunk.len(); // write it somewhere instead of keeping it
/// }
/// # Ok(()) }
/// ```
pub struct RequestBody(Source);

enum Source {
    /// Read before the route ran: one chunk, or none once taken.
    Read(Option<Bytes>),
    /// Forwarded as it arrives.
    Streamed(mpsc::Receiver<std::result::Result<Bytes, BodyError>>),
}

impl RequestBody {
    pub(crate) fn read(body: Bytes) -> Self {
        RequestBody(Source::Read(Some(body).filter(|b| !b.is_empty())))
    }

    pub(crate) fn streamed(chunks: mpsc::Receiver<std::result::Result<Bytes, BodyError>>) -> Self {
        RequestBody(Source::Streamed(chunks))
    }

    /// The next chunk, `None` at the end. Past the body limit it is a 413
    /// error, a body that stalls a 408, a broken connection a 400: return
    /// them with `?` and the client gets that status.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

impl Stream for RequestBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.0 {
            Source::Read(body) => Poll::Ready(body.take().map(Ok)),
            Source::Streamed(chunks) => chunks
                .poll_recv(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map_err(Error::from))),
        }
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Read(body) => {
                write!(f, "RequestBody::Read({:?})", body.as_ref().map(Bytes::len))
            }
            Source::Streamed(_) => f.write_str("RequestBody::Streamed"),
        }
    }
}
