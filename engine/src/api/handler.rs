//! The shape of a route function once registered (boxed, shareable by every
//! worker thread, returning a future that stays on the thread that runs it),
//! and a segment's table of them by method.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::api::context::Context;
use crate::api::error::Result;
use crate::api::method::HttpMethod;
use crate::api::request::Request;
use crate::api::response::Response;

/// A handler's future. Not `Send`: it runs to completion on the worker that
/// received the request, so route functions may hold `Rc`s across awaits.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<Response>>>>;

/// A registered route function.
pub(crate) type BoxedHandler = Arc<dyn Fn(Request, Context) -> HandlerFuture + Send + Sync>;

pub(crate) fn boxed<F, Fut>(function: F) -> BoxedHandler
where
    F: Fn(Request, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + 'static,
{
    Arc::new(move |req, ctx| Box::pin(function(req, ctx)) as HandlerFuture)
}

/// A segment's route functions, one slot per method.
#[derive(Clone, Default)]
pub(crate) struct MethodTable([Option<BoxedHandler>; 7]);

impl MethodTable {
    /// Registers `handler` for `method`, replacing any earlier one.
    pub(crate) fn set(&mut self, method: HttpMethod, handler: BoxedHandler) {
        self.0[method.index()] = Some(handler);
    }

    pub(crate) fn get(&self, method: HttpMethod) -> Option<&BoxedHandler> {
        self.0[method.index()].as_ref()
    }

    pub(crate) fn defines(&self, method: HttpMethod) -> bool {
        self.0[method.index()].is_some()
    }
}
