//! `after()`: work a route function schedules for once its response has
//! been sent, as `after` from `next/server`: logging, analytics, a cache
//! warmed for the next visitor. The engine runs it on the same worker,
//! within the route's `MAX_DURATION`, and waits for it on shutdown.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A callback scheduled with [`after`].
pub(crate) type AfterTask = Pin<Box<dyn Future<Output = ()>>>;

/// The callbacks one request scheduled. Shared by its context, the
/// task-local [`after`] reads, and the engine, which takes them once the
/// route function is done.
#[derive(Clone, Default)]
pub(crate) struct AfterQueue(Rc<RefCell<Vec<AfterTask>>>);

tokio::task_local! {
    /// The queue of the route function being polled.
    static CURRENT: AfterQueue;
}

impl AfterQueue {
    pub(crate) fn push(&self, task: AfterTask) {
        self.0.borrow_mut().push(task);
    }

    /// Every callback scheduled so far, leaving none.
    pub(crate) fn take(&self) -> Vec<AfterTask> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    /// Runs `call` with this queue as the one [`after`] schedules into.
    pub(crate) fn sync_scope<R>(&self, call: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self.clone(), call)
    }

    /// `future`, polled with this queue as the one [`after`] schedules into.
    pub(crate) fn scope<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self.clone(), future)
    }
}

/// Schedules `task` to run once the response has been sent, as Next.js's
/// `after()`: also after an error, a redirect or a 404 the route answers.
/// It runs on the worker that served the request, within what is left of
/// the route's `MAX_DURATION`; graceful shutdown waits for it. A panic in
/// it is logged and counted, and harms nothing else. In a cached route it
/// runs once the answer is made, as that answer is sent to many.
///
/// ```
/// use trellis_engine::{after, Response, Result};
///
/// async fn post() -> Result<Response> {
///     after(async {
///         // runs once the client has its answer
///     });
///     Ok(Response::json(&serde_json::json!({ "accepted": true })))
/// }
/// ```
///
/// # Panics
///
/// Outside a route function (in a task it spawned, say), as Next.js
/// throws there: use [`Context::after`](crate::Context::after), which works
/// wherever the context is.
pub fn after(task: impl Future<Output = ()> + 'static) {
    let scheduled = CURRENT.try_with(|queue| queue.push(Box::pin(task)));
    if scheduled.is_err() {
        panic!(
            "trellis::after was called outside a route function; \
             call ctx.after(...) where the context is at hand"
        );
    }
}
