//! A route segment: one route file's handlers and config, and the actor that
//! serves it on each HTTP worker.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use actix::{Actor, Handler, Supervised};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use futures_util::FutureExt;
use trellis_cache::{CachePolicy, CacheStatus, SegmentCache};
use trellis_config::{CorsPolicy, Dynamic, RouteOverride, SegmentConfig};
use trellis_routes::Params;

use crate::cached::{self, CACHE_STATUS};
use crate::context::{Context, Revalidator};
use crate::cookies::CookieStore;
use crate::dynamic_reads::DynamicReads;
use crate::error::{Error, Result};
use crate::handler::{boxed, BoxedHandler};
use crate::messages::{CacheLookup, Dispatch, Regenerate, RevalidatePath, RevalidateTag};
use crate::method::{self, HttpMethod, MethodOutcome};
use crate::request::Request;
use crate::response::Response;
use crate::site::Site;

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
    cors: Option<CorsPolicy>,
    /// Headers every response gets (from `trellis.toml`).
    added_headers: Vec<(HeaderName, HeaderValue)>,
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

    /// `CACHE_BY_QUERY`: cache one entry per query string, not one per path.
    pub fn cache_by_query(mut self, by_query: bool) -> Self {
        self.config.cache_by_query = by_query;
        self
    }

    /// `BODY_LIMIT`: the largest request body this route reads, in bytes.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = Some(bytes);
        self
    }

    /// A CORS policy for this route: preflights answered, allowed origins
    /// labelled. Without one, the server's policy (if any) applies.
    pub fn cors(mut self, policy: CorsPolicy) -> Self {
        self.cors = Some(policy);
        self
    }

    /// `EXPIRE`: seconds after which a cached answer is never served stale.
    pub fn expire(mut self, seconds: u64) -> Self {
        self.config.expire = Some(seconds);
        self
    }

    /// `NEGATIVE_TTL`: seconds a cached 404 or 410 stays fresh at most.
    pub fn negative_ttl(mut self, seconds: u64) -> Self {
        self.config.negative_ttl = Some(seconds);
        self
    }

    /// What generated code calls when the build sees the GET function read
    /// request data (`read`, such as `.cookies()`): an `auto` route is then
    /// dynamic, as `next build` marks it.
    #[doc(hidden)]
    pub fn reads_request_data(mut self, read: &'static str) -> Self {
        self.config.reads_request_data = Some(read);
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

    /// A `[[routes]]` override from `trellis.toml`: the file wins.
    pub(crate) fn apply_override(
        &mut self,
        rule: &RouteOverride,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) {
        if let Some(revalidate) = rule.revalidate {
            self.config.revalidate = Some(revalidate);
        }
        if let Some(dynamic) = rule.dynamic {
            self.config.dynamic = dynamic;
        }
        if let Some(seconds) = rule.max_duration_secs {
            self.config.max_duration = Some(Duration::from_secs(seconds));
        }
        if let Some(bytes) = rule.body_bytes {
            self.config.body_limit = Some(bytes);
        }
        if let Some(cors) = &rule.cors {
            self.cors = Some(cors.clone());
        }
        self.added_headers.extend(headers);
    }

    pub(crate) fn has_static_params(&self) -> bool {
        self.static_params.is_some()
    }

    /// The CORS policy set in code or by a `[[routes]]` override; `None`
    /// leaves the server's.
    pub(crate) fn cors_policy(&self) -> Option<&CorsPolicy> {
        self.cors.as_ref()
    }

    /// How this segment's GET responses are cached.
    pub fn cache_policy(&self) -> CachePolicy {
        CachePolicy::for_segment(&self.config, self.has_static_params())
    }
}

/// A segment ready to serve: built once at start-up and shared by its actor
/// on every worker.
pub(crate) struct ServedSegment {
    handlers: [Option<BoxedHandler>; 7],
    config: SegmentConfig,
    allow: HeaderValue,
    /// `generate_static_params`, called once at start-up.
    static_params: Option<Vec<Params>>,
    cors: Option<CorsPolicy>,
    added_headers: Vec<(HeaderName, HeaderValue)>,
    pub cache: Arc<SegmentCache>,
    /// The public URL, for answers made with no visitor behind them.
    site: Arc<Site>,
}

impl ServedSegment {
    /// `default_cors` applies when the segment sets no policy of its own.
    pub(crate) fn new(
        segment: Segment,
        cache: Arc<SegmentCache>,
        default_cors: Option<&CorsPolicy>,
        site: Arc<Site>,
    ) -> Self {
        ServedSegment {
            allow: segment.allow(),
            static_params: segment.static_params.map(|generate| generate()),
            cors: segment.cors.or_else(|| default_cors.cloned()),
            added_headers: segment.added_headers,
            handlers: segment.handlers,
            config: segment.config,
            cache,
            site,
        }
    }

    /// `scheme://host` for answers made with no visitor behind them.
    pub(crate) fn public_url(&self) -> Arc<str> {
        self.site.public_url()
    }

    /// Force-static and `error` routes: made for nobody in particular, so
    /// their function sees nothing of the visitor (Next.js gives them empty
    /// `cookies()`, `headers()` and search params).
    pub(crate) fn is_static(&self) -> bool {
        matches!(self.config.dynamic, Dynamic::ForceStatic | Dynamic::Error)
    }

    /// `auto` routes that cache: a read of request data while an answer is
    /// made for the cache makes them dynamic.
    pub(crate) fn watches_reads(&self) -> bool {
        self.config.dynamic == Dynamic::Auto
    }

    pub(crate) fn cors(&self) -> Option<&CorsPolicy> {
        self.cors.as_ref()
    }

    pub(crate) fn allow(&self) -> &HeaderValue {
        &self.allow
    }

    pub(crate) fn config(&self) -> &SegmentConfig {
        &self.config
    }

    pub(crate) fn body_limit(&self) -> Option<usize> {
        self.config.body_limit
    }

    pub(crate) fn route(&self) -> &str {
        self.cache.route()
    }

    pub(crate) fn static_params(&self) -> &[Params] {
        self.static_params.as_deref().unwrap_or_default()
    }

    /// True when a GET (or a HEAD answered by GET) of this segment goes
    /// through the cache.
    pub(crate) fn caches(&self, method: HttpMethod) -> bool {
        let served_by_get = method == HttpMethod::Get
            || (method == HttpMethod::Head && !self.defines(HttpMethod::Head));
        served_by_get && self.defines(HttpMethod::Get) && self.cache.policy() != CachePolicy::Bypass
    }

    fn defines(&self, method: HttpMethod) -> bool {
        self.handlers[method.index()].is_some()
    }

    /// Answers one request: method semantics, then the cache or the route
    /// function, with its errors, panics and `maxDuration` turned into
    /// responses. Ready at once when nothing had to wait, as most route
    /// functions do not.
    pub(crate) fn respond(
        self: &Arc<Self>,
        method: HttpMethod,
        request: Request,
        params: Params,
        lookup: Option<CacheLookup>,
        revalidator: Revalidator,
    ) -> Answer {
        if !self.config.dynamic_params && !self.lists(&params) {
            return Answer::Ready(Error::NotFound.into_response(self.route()));
        }
        let context = Context::new(
            params,
            revalidator,
            CookieStore::new(request.cookie_headers()),
        );
        if let Some(lookup) = lookup {
            let segment = self.clone();
            return Answer::poll_once(Box::pin(async move {
                cached::respond(&segment, request, context, lookup).await
            }));
        }
        match method::resolve(method, |m| self.defines(m)) {
            MethodOutcome::AutoOptions => Answer::Ready(method::auto_options(&self.allow)),
            MethodOutcome::NotAllowed => Answer::Ready(method::not_allowed(&self.allow)),
            MethodOutcome::Run(m) => {
                // Uncached GETs say so; the cache labels the ones it serves.
                let bypass = matches!(method, HttpMethod::Get | HttpMethod::Head);
                self.run(m, request, context, bypass)
            }
        }
    }

    fn lists(&self, params: &Params) -> bool {
        self.static_params().iter().any(|p| p == params)
    }

    /// Runs the GET function, for the cache.
    pub(crate) async fn run_get(self: &Arc<Self>, request: Request, context: Context) -> Response {
        self.run(HttpMethod::Get, request, context, false)
            .into_response()
            .await
    }

    /// Calls the route function for `method` and polls it once: an answer
    /// that needs no waiting is finished here, and only one that waits gets
    /// a box, a task and (with `maxDuration`) a timer.
    fn run(
        self: &Arc<Self>,
        method: HttpMethod,
        mut request: Request,
        mut context: Context,
        bypass: bool,
    ) -> Answer {
        let dynamic_reads = (self.config.dynamic == Dynamic::Error).then(|| {
            let reads = Arc::new(DynamicReads::default());
            request.watch_dynamic_reads(reads.clone());
            context.watch_dynamic_reads(reads.clone());
            reads
        });
        let finish = Finish {
            cookies: context.cookies.clone(),
            dynamic_reads,
            bypass,
        };
        let handler = self.handlers[method.index()]
            .as_ref()
            .expect("only defined methods are run: this is a bug in Trellis");
        // A closure may panic while making its future, or in its first poll.
        let mut answer =
            match std::panic::catch_unwind(AssertUnwindSafe(|| handler(request, context))) {
                Ok(answer) => answer,
                Err(panic) => return Answer::Ready(self.response_for(Err(panic), finish)),
            };
        let first_poll = std::panic::catch_unwind(AssertUnwindSafe(|| {
            answer
                .as_mut()
                .poll(&mut std::task::Context::from_waker(Waker::noop()))
        }));
        match first_poll {
            Ok(Poll::Ready(result)) => Answer::Ready(self.response_for(Ok(result), finish)),
            Err(panic) => Answer::Ready(self.response_for(Err(panic), finish)),
            Ok(Poll::Pending) => {
                let segment = self.clone();
                Answer::Pending(Box::pin(async move {
                    let answer = AssertUnwindSafe(answer).catch_unwind();
                    let outcome = match segment.config.max_duration {
                        Some(limit) => match actix_rt::time::timeout(limit, answer).await {
                            Ok(outcome) => outcome,
                            Err(_) => return finish.apply(&segment, segment.timed_out(limit)),
                        },
                        None => answer.await,
                    };
                    segment.response_for(outcome, finish)
                }))
            }
        }
    }

    /// The route function's result, or its error, panic or forbidden read
    /// of request data, as the response to send.
    fn response_for(
        &self,
        outcome: std::thread::Result<Result<Response>>,
        finish: Finish,
    ) -> Response {
        let response = if finish.dynamic_reads.as_ref().is_some_and(|r| r.any()) {
            tracing::error!(
                route = self.route(),
                "route with DYNAMIC = Error read request data"
            );
            Response::json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "route read request data (headers, cookies or the query) but DYNAMIC = Error makes it static",
            )
        } else {
            match outcome {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => error.into_response(self.route()),
                Err(panic) => {
                    tracing::error!(
                        route = self.route(),
                        panic = panic_message(&*panic),
                        "route function panicked"
                    );
                    Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
        };
        finish.apply(self, response)
    }

    fn timed_out(&self, limit: Duration) -> Response {
        tracing::warn!(
            route = self.route(),
            ?limit,
            "route function ran past maxDuration"
        );
        Response::json_error(StatusCode::GATEWAY_TIMEOUT, "route ran past maxDuration")
    }
}

/// What a route function's response needs on its way out, whatever the
/// function did: the cookies it set, the route's configured headers and
/// `Cache-Status` on an uncached GET (added by [`Finish::apply`]), and the
/// flag that turns a `DYNAMIC = Error` route's read of request data into a
/// 500.
struct Finish {
    cookies: CookieStore,
    /// Set when a `DYNAMIC = Dynamic::Error` route runs: what it read.
    dynamic_reads: Option<Arc<DynamicReads>>,
    bypass: bool,
}

impl Finish {
    fn apply(self, segment: &ServedSegment, mut response: Response) -> Response {
        let headers = response.headers_mut();
        for set_cookie in self.cookies.set_cookie_headers() {
            headers.append(header::SET_COOKIE, set_cookie);
        }
        for (name, value) in &segment.added_headers {
            headers.insert(name.clone(), value.clone());
        }
        if self.bypass {
            headers.insert(CACHE_STATUS, CacheStatus::Bypass.header_value());
        }
        response
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
/// cheapest message send actix has; the cache they share is the segment's.
pub(crate) struct SegmentActor {
    segment: Arc<ServedSegment>,
    revalidator: Revalidator,
}

impl SegmentActor {
    pub(crate) fn new(segment: Arc<ServedSegment>, revalidator: Revalidator) -> Self {
        SegmentActor {
            segment,
            revalidator,
        }
    }
}

impl Actor for SegmentActor {
    type Context = actix::Context<Self>;
}

impl Supervised for SegmentActor {
    fn restarting(&mut self, _: &mut actix::Context<Self>) {
        tracing::warn!(
            route = self.segment.route(),
            "segment actor stopped; restarting it"
        );
    }
}

impl Handler<Dispatch> for SegmentActor {
    type Result = ();

    /// A route function that answers without waiting (most do) is answered
    /// here and now; one that waits runs as its own task on this worker, so
    /// it never holds up the requests queued behind it.
    fn handle(&mut self, dispatch: Dispatch, _: &mut actix::Context<Self>) {
        let Dispatch {
            method,
            request,
            params,
            lookup,
            reply,
        } = dispatch;
        let answer =
            self.segment
                .respond(method, request, params, lookup, self.revalidator.clone());
        // A closed reply is a client gone before its answer: nothing to do.
        match answer {
            Answer::Ready(response) => {
                let _ = reply.send(response);
            }
            Answer::Pending(answer) => {
                actix_rt::spawn(async move {
                    let _ = reply.send(answer.await);
                });
            }
        }
    }
}

/// A segment's answer to a request: ready now, or still running.
pub(crate) enum Answer {
    Ready(Response),
    Pending(Pin<Box<dyn Future<Output = Response>>>),
}

impl Answer {
    /// Polls `answer` once, so that one that needs no waiting is ready now.
    /// A no-op waker is enough: whoever awaits a pending answer polls it
    /// again, with its own waker, straight away.
    fn poll_once(mut answer: Pin<Box<dyn Future<Output = Response>>>) -> Answer {
        match answer
            .as_mut()
            .poll(&mut std::task::Context::from_waker(Waker::noop()))
        {
            Poll::Ready(response) => Answer::Ready(response),
            Poll::Pending => Answer::Pending(answer),
        }
    }

    pub(crate) async fn into_response(self) -> Response {
        match self {
            Answer::Ready(response) => response,
            Answer::Pending(answer) => answer.await,
        }
    }
}

impl Handler<Regenerate> for SegmentActor {
    type Result = ();

    /// The timer's refreshes and start-up prerendering run here, on a worker,
    /// because route functions' futures stay on the thread that starts them.
    fn handle(&mut self, regenerate: Regenerate, _: &mut actix::Context<Self>) {
        actix_rt::spawn(cached::regenerate(
            self.segment.clone(),
            self.revalidator.clone(),
            regenerate,
        ));
    }
}

impl Handler<RevalidatePath> for SegmentActor {
    type Result = usize;

    /// Invalidation changes only the shared cache; one actor does it for all.
    fn handle(&mut self, message: RevalidatePath, _: &mut actix::Context<Self>) -> usize {
        self.segment.cache.invalidate_path(&message.path)
    }
}

impl Handler<RevalidateTag> for SegmentActor {
    type Result = usize;

    /// The supervisor sends this only to segments carrying the tag.
    fn handle(&mut self, _: RevalidateTag, _: &mut actix::Context<Self>) -> usize {
        self.segment.cache.expire_all()
    }
}
