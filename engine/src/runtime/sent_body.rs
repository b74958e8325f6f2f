//! The body of a response whose sending something waits on: the request's
//! `after()` callbacks, told once actix has taken the last of it (or
//! dropped it), and for a stream `req.signal()`, aborted when the client
//! goes away before its end. Only such responses are wrapped.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use bytes::Bytes;
use tokio::sync::oneshot;

use crate::api::signal::AbortOnDrop;

pub(crate) struct SentBody {
    inner: BoxBody,
    on_sent: Option<oneshot::Sender<()>>,
    /// Dropped armed, it aborts the request: the stream did not end.
    abort: Option<AbortOnDrop>,
}

impl SentBody {
    pub(crate) fn new(
        inner: BoxBody,
        on_sent: Option<oneshot::Sender<()>>,
        abort: Option<AbortOnDrop>,
    ) -> Self {
        SentBody {
            inner,
            on_sent,
            abort,
        }
    }
}

impl MessageBody for SentBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(None) = polled {
            if let Some(abort) = self.abort.take() {
                abort.disarm();
            }
            if let Some(sent) = self.on_sent.take() {
                // Nobody waiting is fine: the callbacks already ran.
                let _ = sent.send(());
            }
        }
        polled
    }
}
