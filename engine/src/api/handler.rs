//! The shape of a route function once registered (boxed, shareable by every
//! worker thread, returning a future that stays on the thread that runs it),
//! a segment's table of them by method, and the same shape for the app's
//! proxy function.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::api::context::Context;
use crate::api::error::Result;
use crate::api::method::HttpMethod;
use crate::api::proxy::Proxy;
use crate::api::proxy_context::ProxyContext;
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

/// The proxy function's future: like a handler's, it stays on the worker
/// that received the request.
pub(crate) type ProxyFuture = Pin<Box<dyn Future<Output = Result<Proxy>>>>;

/// The registered proxy function.
pub(crate) type BoxedProxy = Arc<dyn Fn(Request, ProxyContext) -> ProxyFuture + Send + Sync>;

pub(crate) fn boxed_proxy<F, Fut>(function: F) -> BoxedProxy
where
    F: Fn(Request, ProxyContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Proxy>> + 'static,
{
    Arc::new(move |req, ctx| Box::pin(function(req, ctx)) as ProxyFuture)
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
