//! A route segment: one route file's handlers and config, and the actor that
//! serves it on each HTTP worker.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Handler, ResponseFuture, Supervised};
use actix_web::http::header::HeaderValue;
use actix_web::http::StatusCode;
use futures_util::FutureExt;
use trellis_config::{Dynamic, SegmentConfig};
use trellis_routes::Params;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::handler::{boxed, BoxedHandler};
use crate::messages::Dispatch;
use crate::method::{self, HttpMethod, MethodOutcome};
use crate::request::Request;
use crate::response::Response;

/// The handlers and config of one route, as a route file declares them, or
/// as code registers them with [`Router::route`](crate::Router::route).
///
/// ```
/// use trellis_engine::{Response, Segment};
///
/// let segment = Segment::new()
///     .get(|_req, _ctx| async { Ok(Response::text("hello")) })
///     .revalidate(60);
/// ```
#[derive(Clone, Default)]
pub struct Segment {
    handlers: [Option<BoxedHandler>; 7],
    config: SegmentConfig,
    static_params: Option<fn() -> Vec<Params>>,
}

/// `.get(f)`, `.post(f)` and so on: shorthands for [`Segment::handler`].
macro_rules! method_shorthands {
    ($($name:ident => $method:ident),* $(,)?) => {
        $(
            #[doc = concat!("Registers the `", stringify!($method), "` function.")]
            pub fn $name<F, Fut>(self, function: F) -> Self
            where
                F: Fn(Request, Context) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<Response>> + 'static,
            {
                self.handler(HttpMethod::$method, function)
            }
        )*
    };
}

impl Segment {
    pub fn new() -> Self {
        Segment::default()
    }

    /// Registers the function for `method`, replacing any earlier one.
    pub fn handler<F, Fut>(mut self, method: HttpMethod, function: F) -> Self
    where
        F: Fn(Request, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response>> + 'static,
    {
        self.handlers[method.index()] = Some(boxed(function));
        self
    }

    method_shorthands! {
        get => Get,
        post => Post,
        put => Put,
        patch => Patch,
        delete => Delete,
        head => Head,
        options => Options,
    }

    /// `REVALIDATE`: seconds a cached GET stays fresh.
    pub fn revalidate(mut self, seconds: u64) -> Self {
        self.config.revalidate = Some(seconds);
        self
    }

    /// `DYNAMIC`.
    pub fn dynamic(mut self, dynamic: Dynamic) -> Self {
        self.config.dynamic = dynamic;
        self
    }

    /// `DYNAMIC_PARAMS`: `false` answers 404 for params not listed by
    /// [`static_params`](Self::static_params).
    pub fn dynamic_params(mut self, allowed: bool) -> Self {
        self.config.dynamic_params = allowed;
        self
    }

    /// `MAX_DURATION`: seconds a handler may run before the engine answers 504.
    pub fn max_duration(mut self, seconds: u64) -> Self {
        self.config.max_duration = Some(Duration::from_secs(seconds));
        self
    }

    /// `TAGS`.
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.config.tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    /// `generate_static_params`: the params known at start-up.
    pub fn static_params(mut self, generate: fn() -> Vec<Params>) -> Self {
        self.static_params = Some(generate);
        self
    }

    pub fn config(&self) -> &SegmentConfig {
        &self.config
    }

    pub fn defines(&self, method: HttpMethod) -> bool {
        self.handlers[method.index()].is_some()
    }

    /// The `Allow` value for this segment.
    pub fn allow(&self) -> HeaderValue {
        method::allow_header(|m| self.defines(m))
    }
}

/// A segment ready to serve: built once at start-up and shared by its actor
/// on every worker.
pub(crate) struct ServedSegment {
    route: Arc<str>,
    handlers: [Option<BoxedHandler>; 7],
    config: SegmentConfig,
    allow: HeaderValue,
    /// `generate_static_params`, called once at start-up.
    static_params: Option<Vec<Params>>,
}

impl ServedSegment {
    pub(crate) fn new(route: &str, segment: Segment) -> Self {
        ServedSegment {
            route: route.into(),
            allow: segment.allow(),
            static_params: segment.static_params.map(|generate| generate()),
            handlers: segment.handlers,
            config: segment.config,
        }
    }

    pub(crate) fn route(&self) -> &str {
        &self.route
    }

    /// Answers one request: method semantics, then the route function with
    /// its errors, panics and `maxDuration` turned into responses.
    pub(crate) async fn respond(self: Arc<Self>, dispatch: Dispatch) -> Response {
        let Dispatch {
            method,
            request,
            params,
        } = dispatch;
        if !self.config.dynamic_params && !self.lists(&params) {
            return Error::NotFound.into_response(&self.route);
        }
        let defined = |m: HttpMethod| self.handlers[m.index()].is_some();
        let handler = match method::resolve(method, defined) {
            MethodOutcome::AutoOptions => return method::auto_options(&self.allow),
            MethodOutcome::NotAllowed => return method::not_allowed(&self.allow),
            MethodOutcome::Run(m) => self.handlers[m.index()]
                .clone()
                .expect("resolve runs only defined methods: this is a bug in Trellis"),
        };
        self.run(handler, request, Context::new(params)).await
    }

    fn lists(&self, params: &Params) -> bool {
        self.static_params
            .as_ref()
            .is_some_and(|listed| listed.iter().any(|p| p == params))
    }

    async fn run(&self, handler: BoxedHandler, request: Request, context: Context) -> Response {
        let call = AssertUnwindSafe(async move { handler(request, context).await }).catch_unwind();
        let outcome = match self.config.max_duration {
            Some(limit) => match actix_rt::time::timeout(limit, call).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    tracing::warn!(route = %self.route, ?limit, "route function ran past maxDuration");
                    return Response::json_error(
                        StatusCode::GATEWAY_TIMEOUT,
                        "route ran past maxDuration",
                    );
                }
            },
            None => call.await,
        };
        match outcome {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => error.into_response(&self.route),
            Err(panic) => {
                tracing::error!(route = %self.route, panic = panic_message(&*panic), "route function panicked");
                Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// Serves one segment on one HTTP worker thread. One instance per worker
/// keeps the hop from the worker to the actor on the same thread, the
/// cheapest message send actix has.
pub(crate) struct SegmentActor {
    segment: Arc<ServedSegment>,
}

impl SegmentActor {
    pub(crate) fn new(segment: Arc<ServedSegment>) -> Self {
        SegmentActor { segment }
    }
}

impl Actor for SegmentActor {
    type Context = actix::Context<Self>;
}

impl Supervised for SegmentActor {
    fn restarting(&mut self, _: &mut actix::Context<Self>) {
        tracing::warn!(route = %self.segment.route, "segment actor stopped; restarting it");
    }
}

impl Handler<Dispatch> for SegmentActor {
    type Result = ResponseFuture<Response>;

    /// Each request runs as its own task on this worker, so a slow route
    /// function never holds up the requests queued behind it.
    fn handle(&mut self, dispatch: Dispatch, _: &mut actix::Context<Self>) -> Self::Result {
        Box::pin(self.segment.clone().respond(dispatch))
    }
}
