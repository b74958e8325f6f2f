//! The shape of a route function once registered: boxed, shareable by every
//! worker thread, returning a future that stays on the thread that runs it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::context::Context;
use crate::error::Result;
use crate::request::Request;
use crate::response::Response;

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
