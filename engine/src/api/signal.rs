//! The engine's end of `req.signal()`: a guard that aborts the request when
//! it is dropped before the response was sent, that is, when the client
//! went away (actix drops the request's future, or its body stream).

use std::sync::Arc;

use crate::api::request_head::RequestHead;

/// Aborts its request when dropped, unless [`disarm`](Self::disarm)ed.
pub(crate) struct AbortOnDrop(Option<Arc<RequestHead>>);

impl AbortOnDrop {
    pub(crate) fn new(head: Arc<RequestHead>) -> Self {
        AbortOnDrop(Some(head))
    }

    /// The response went out whole: nothing to abort.
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(head) = self.0.take() {
            head.abort();
        }
    }
}
