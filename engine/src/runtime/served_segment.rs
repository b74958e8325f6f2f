//! `ServedSegment`: a segment ready to serve, built once at start-up from
//! its `Segment` and shared by its actor on every worker, and the plain way
//! of answering: method semantics, the route function polled once, its
//! errors, panics and `maxDuration` turned into responses (and reported to
//! the app's error hook), its `after()` callbacks handed on.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use futures_util::FutureExt;
use tokio::sync::oneshot;
use trellis_cache::{CachePolicy, CacheStatus, Clock, SegmentCache, CACHE_STATUS};
use trellis_config::{CacheLife, CorsPolicy, Dynamic, SegmentConfig};
use trellis_routes::Params;

use crate::api::after::AfterQueue;
use crate::api::cache_profile::CacheProfile;
use crate::api::context::Context;
use crate::api::cookies::CookieStore;
use crate::api::draft_token::DraftToken;
use crate::api::dynamic_reads::DynamicReads;
use crate::api::error::{Error, Result};
use crate::api::handler::MethodTable;
use crate::api::method::{self, HttpMethod, MethodOutcome};
use crate::api::request::Request;
use crate::api::request_error::{
    ErrorContext, ErrorKind, ErroredRequest, RequestError, RevalidateReason,
};
use crate::api::response::Response;
use crate::api::revalidator::Revalidator;
use crate::api::run_scope::RunScope;
use crate::api::segment::Segment;
use crate::runtime::after_tasks::Budget;
use crate::runtime::app_services::AppServices;
use crate::runtime::error_report::{self, ReportedRequest};
use crate::runtime::panics;
use crate::runtime::site::Site;

/// Why a route function runs: for a request, or to regenerate a cached
/// answer (and why), as the error hook is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunOrigin {
    Request,
    Regeneration(Option<RevalidateReason>),
}

/// A segment ready to serve: built once at start-up and shared by its actor
/// on every worker.
pub(crate) struct ServedSegment {
    handlers: MethodTable,
    config: SegmentConfig,
    allow: HeaderValue,
    /// `generate_static_params`, called once at start-up.
    static_params: Option<Vec<Params>>,
    cors: Option<CorsPolicy>,
    added_headers: Vec<(HeaderName, HeaderValue)>,
    pub cache: Arc<SegmentCache>,
    /// The public URL, for answers made with no visitor behind them.
    site: Arc<Site>,
    /// Past it the answer is 504: the route's `MAX_DURATION`, or the
    /// server's default.
    max_duration: Option<Duration>,
    stream_body: bool,
    services: Arc<AppServices>,
}

impl ServedSegment {
    /// `default_cors` applies when the segment sets no policy of its own;
    /// `max_duration` is the deadline its functions run under.
    pub(crate) fn new(
        segment: Segment,
        cache: Arc<SegmentCache>,
        default_cors: Option<&CorsPolicy>,
        max_duration: Option<Duration>,
        site: Arc<Site>,
        services: Arc<AppServices>,
    ) -> Self {
        ServedSegment {
            allow: segment.allow(),
            stream_body: segment.stream_body,
            static_params: segment.static_params.map(|generate| generate()),
            cors: segment.cors.or_else(|| default_cors.cloned()),
            added_headers: segment.added_headers,
            handlers: segment.handlers,
            config: segment.config,
            cache,
            site,
            max_duration,
            services,
        }
    }

    /// `STREAM_BODY`: the body is forwarded as it arrives, not read first.
    pub(crate) fn streams_body(&self) -> bool {
        self.stream_body
    }

    /// The deadline its functions (and the proxy, before them) run under.
    pub(crate) fn max_duration(&self) -> Option<Duration> {
        self.max_duration
    }

    /// `[server] compress`.
    pub(crate) fn compresses(&self) -> bool {
        self.services.compress
    }

    /// The clock the cache reads, to date cached answers.
    pub(crate) fn clock(&self) -> &Clock {
        &self.services.clock
    }

    pub(crate) fn draft_token(&self) -> &DraftToken {
        &self.services.draft
    }

    /// The lifetime `cache_life` named, or `None` (logged) for a profile
    /// that does not exist or cannot be used.
    pub(crate) fn cache_life(&self, profile: CacheProfile) -> Option<CacheLife> {
        let life = match &profile {
            CacheProfile::Named(name) => self.services.cache_config.profile(name),
            CacheProfile::Life(life) => Some(*life),
        };
        let problem = match life {
            None => "no such profile (Next.js's presets, or `[cache.profiles]`)",
            Some(life) => match life.problem() {
                None => return Some(life),
                Some(problem) => problem,
            },
        };
        tracing::warn!(
            route = self.route(),
            ?profile,
            problem,
            "cache_life ignored"
        );
        None
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
        self.handlers.defines(method)
    }

    /// The context for a request with `params`, or the 404 a param that
    /// `generate_static_params` does not list gets under
    /// `DYNAMIC_PARAMS = false`.
    pub(crate) fn context_for(
        &self,
        request: &Request,
        params: Params,
        revalidator: Revalidator,
    ) -> Result<Context, Response> {
        if !self.config.dynamic_params && !self.lists(&params) {
            return Err(Error::NotFound.into_response(self.route()));
        }
        let cookies = CookieStore::new(request.cookie_headers());
        Ok(Context::new(
            params,
            revalidator,
            cookies,
            request.shared_head(),
            self.draft_token().clone(),
        ))
    }

    /// Answers a request the cache does not serve: method semantics, then
    /// the route function, with its errors, panics and `maxDuration` turned
    /// into responses. Ready at once when nothing had to wait, as most route
    /// functions do not.
    pub(crate) fn respond(
        self: &Arc<Self>,
        method: HttpMethod,
        request: Request,
        context: Context,
    ) -> Answer {
        match method::resolve(method, |m| self.defines(m)) {
            MethodOutcome::AutoOptions => Answer::Ready(method::auto_options(&self.allow)),
            MethodOutcome::NotAllowed => Answer::Ready(method::not_allowed(&self.allow)),
            MethodOutcome::Run(m) => {
                // Uncached GETs say so; the cache labels the ones it serves.
                let bypass = matches!(method, HttpMethod::Get | HttpMethod::Head);
                self.run(m, request, context, bypass, RunOrigin::Request)
            }
        }
    }

    fn lists(&self, params: &Params) -> bool {
        self.static_params().iter().any(|p| p == params)
    }

    /// Runs the GET function, for the cache.
    pub(crate) async fn run_get(
        self: &Arc<Self>,
        request: Request,
        context: Context,
        origin: RunOrigin,
    ) -> Response {
        self.run(HttpMethod::Get, request, context, false, origin)
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
        origin: RunOrigin,
    ) -> Answer {
        let dynamic_reads = (self.config.dynamic == Dynamic::Error).then(|| {
            let reads = Arc::new(DynamicReads::default());
            request.watch_dynamic_reads(reads.clone());
            context.watch_dynamic_reads(reads.clone());
            reads
        });
        let after = context.after.clone();
        let finish = Finish {
            cookies: context.cookies.clone(),
            dynamic_reads,
            bypass,
            // Kept only for an app that listens: nothing fails, nothing is kept.
            reported: self
                .services
                .on_error
                .as_ref()
                .map(|_| ReportedRequest::of(&request)),
            origin,
            budget: self.config.max_duration.map(|limit| Budget {
                deadline: actix_rt::time::Instant::now() + limit,
                limit,
            }),
            after: after.clone(),
        };
        let handler = self
            .handlers
            .get(method)
            .expect("only defined methods are run: this is a bug in Trellis");
        // Where the run's fetches and memos report (an answer made for the
        // cache, a `DYNAMIC = Error` route); most runs have none.
        let scope = context.run_scope();
        // A closure may panic while making its future, or in its first poll.
        let made = std::panic::catch_unwind(AssertUnwindSafe(|| {
            RunScope::enter(scope.as_ref(), || {
                after.sync_scope(|| handler(request, context))
            })
        }));
        let mut answer = match made {
            Ok(answer) => answer,
            Err(panic) => return Answer::Ready(self.response_for(Err(panic), finish)),
        };
        let first_poll = std::panic::catch_unwind(AssertUnwindSafe(|| {
            RunScope::enter(scope.as_ref(), || {
                after.sync_scope(|| {
                    answer
                        .as_mut()
                        .poll(&mut std::task::Context::from_waker(Waker::noop()))
                })
            })
        }));
        match first_poll {
            Ok(Poll::Ready(result)) => Answer::Ready(self.response_for(Ok(result), finish)),
            Err(panic) => Answer::Ready(self.response_for(Err(panic), finish)),
            Ok(Poll::Pending) => {
                let segment = self.clone();
                Answer::Pending(Box::pin(async move {
                    let answer = RunScope::around(scope, after.scope(answer));
                    let answer = AssertUnwindSafe(answer).catch_unwind();
                    let outcome = match segment.max_duration {
                        Some(limit) => match actix_rt::time::timeout(limit, answer).await {
                            Ok(outcome) => outcome,
                            Err(_) => {
                                let timed_out = segment.timed_out(limit, &finish);
                                return finish.apply(&segment, timed_out);
                            }
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
        self: &Arc<Self>,
        outcome: std::thread::Result<Result<Response>>,
        finish: Finish,
    ) -> Response {
        let response = if finish.dynamic_reads.as_ref().is_some_and(|r| r.any()) {
            tracing::error!(
                route = self.route(),
                "route with DYNAMIC = Error read request data"
            );
            let why = "route read request data (headers, cookies, the query) or fetched with no-store but DYNAMIC = Error makes it static";
            self.report_run(&RequestError::Refused(why), &finish);
            Response::json_error(StatusCode::INTERNAL_SERVER_ERROR, why)
        } else {
            match outcome {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    if let Error::Internal(cause) = &error {
                        self.report_run(&RequestError::Error(&**cause), &finish);
                    }
                    error.into_response(self.route())
                }
                Err(panic) => {
                    let message = panics::message(&*panic);
                    tracing::error!(
                        route = self.route(),
                        panic = message,
                        "route function panicked"
                    );
                    self.report_run(&RequestError::Panic(message), &finish);
                    Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
        };
        finish.apply(self, response)
    }

    fn timed_out(&self, limit: Duration, finish: &Finish) -> Response {
        tracing::warn!(
            route = self.route(),
            ?limit,
            "route function ran past maxDuration"
        );
        self.report_run(&RequestError::TimedOut(limit), finish);
        Response::json_error(StatusCode::GATEWAY_TIMEOUT, "route ran past maxDuration")
    }

    fn report_run(&self, error: &RequestError<'_>, finish: &Finish) {
        if let Some(reported) = &finish.reported {
            self.report(error, &reported.as_errored(), finish.origin);
        }
    }

    /// Tells the app's error hook, if it has one, of `error` in `request`.
    /// A hook that panics is logged, and harms nothing else.
    pub(crate) fn report(
        &self,
        error: &RequestError<'_>,
        request: &ErroredRequest<'_>,
        origin: RunOrigin,
    ) {
        let Some(hook) = &self.services.on_error else {
            return;
        };
        let (kind, revalidate_reason) = match origin {
            RunOrigin::Request => (ErrorKind::Route, None),
            RunOrigin::Regeneration(reason) => (ErrorKind::Revalidation, reason),
        };
        let context = ErrorContext {
            route: self.route(),
            kind,
            revalidate_reason,
        };
        error_report::tell(hook, error, request, &context);
    }
}

/// What a route function's response needs on its way out, whatever the
/// function did: the cookies it set, the route's configured headers and
/// `Cache-Status` on an uncached GET (added by [`Finish::apply`]), the
/// flag that turns a `DYNAMIC = Error` route's read of request data into a
/// 500, and the `after()` callbacks, handed on to run once it is sent.
struct Finish {
    cookies: CookieStore,
    /// Set when a `DYNAMIC = Dynamic::Error` route runs: what it read.
    dynamic_reads: Option<Arc<DynamicReads>>,
    bypass: bool,
    /// The request, for error reports, when the app has a hook.
    reported: Option<ReportedRequest>,
    origin: RunOrigin,
    /// What `MAX_DURATION` leaves the callbacks, counted from the start.
    budget: Option<Budget>,
    after: AfterQueue,
}

impl Finish {
    fn apply(self, segment: &Arc<ServedSegment>, mut response: Response) -> Response {
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
        let tasks = self.after.take();
        if !tasks.is_empty() {
            let (on_sent, sent) = oneshot::channel();
            response.delivery.on_sent = Some(on_sent);
            let reporter = segment.clone();
            let (reported, origin) = (self.reported, self.origin);
            let report = move |error: &RequestError<'_>| {
                if let Some(reported) = &reported {
                    reporter.report(error, &reported.as_errored(), origin);
                }
            };
            segment
                .services
                .after
                .spawn(tasks, sent, self.budget, report);
        }
        response
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
    pub(crate) fn poll_once(mut answer: Pin<Box<dyn Future<Output = Response>>>) -> Answer {
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
