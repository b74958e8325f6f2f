//! The part of a request the engine keeps a hold on while the route
//! function owns the request: its headers, for an error report, and
//! whether the client has gone away, for `req.signal()`. One allocation,
//! shared by the request and the engine.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header::HeaderMap;
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub(crate) struct RequestHead {
    pub headers: HeaderMap,
    aborted: AtomicBool,
    /// Wakes the futures `req.signal()` handed out.
    notify: Notify,
}

impl RequestHead {
    pub(crate) fn new(headers: HeaderMap) -> Self {
        RequestHead {
            headers,
            ..RequestHead::default()
        }
    }

    /// The client went away before its answer was sent.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Resolves once [`abort`](Self::abort) has been called.
    pub(crate) async fn aborted(&self) {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the flag is read, so no abort is missed.
            notified.as_mut().enable();
            if self.aborted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}
