//! `Router`: the routes of an app, and its proxy, registered by hand or by
//! the code build.rs generates. The runtime builds what it serves from it
//! (`AppRoutes`); `summary` is that build's report.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use trellis_config::RouteKind;

use crate::api::error::Result;
use crate::api::handler::{boxed_proxy, BoxedProxy};
use crate::api::matcher::Matcher;
use crate::api::proxy::Proxy;
use crate::api::proxy_context::ProxyContext;
use crate::api::request::Request;
use crate::api::request_error::{ErrorContext, ErrorHook, ErroredRequest, RequestError};
use crate::api::segment::Segment;

/// The routes of an app.
///
/// ```
/// use trellis_engine::{Response, Router, Segment};
///
/// let router = Router::new()
///     .route("/api/hello", Segment::new().get(|_, _| async { Ok(Response::text("hi")) }))
///     .route("/users/[id]", Segment::new().get(|_, ctx| async move {
///         Ok(Response::json(&ctx.param("id")))
///     }));
/// assert_eq!(router.summary(&Default::default()).unwrap().len(), 2);
/// ```
#[derive(Default)]
pub struct Router {
    pub(crate) registrations: Vec<Registration>,
    /// The app's crate name, for the default Redis key prefix (read only
    /// with the `redis` feature; generated code gives it either way).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) app_name: Option<String>,
    pub(crate) on_request_error: Option<ErrorHook>,
    /// At most one serves; a second is an error when the server is built.
    pub(crate) proxies: Vec<ProxyRegistration>,
}

/// One route as registered: its pattern, where it came from, its segment.
pub(crate) struct Registration {
    pub(crate) pattern: String,
    pub(crate) source: String,
    pub(crate) segment: Segment,
}

/// The app's proxy as registered: where it came from, its matcher (`None`:
/// every path), its function.
pub(crate) struct ProxyRegistration {
    pub(crate) source: String,
    pub(crate) matcher: Option<Vec<Matcher>>,
    pub(crate) function: BoxedProxy,
}

/// The proxy, as `trellis routes` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySummary {
    /// The proxy file, or the builder call, that registered it.
    pub source: String,
    /// Each matcher entry with its conditions; `None`: every path.
    pub matcher: Option<Vec<String>>,
}

/// One row of `trellis routes`: a route's effective config, overrides from
/// `trellis.toml` included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSummary {
    pub pattern: String,
    /// The route file, or the builder call, that registered it.
    pub source: String,
    /// The `Allow` list: defined methods plus those the engine answers.
    pub methods: String,
    pub kind: RouteKind,
    pub max_duration: Option<Duration>,
    pub body_limit: Option<usize>,
    pub tags: Vec<String>,
    pub cors: bool,
}

impl Router {
    pub fn new() -> Self {
        Router::default()
    }

    /// Serves `segment` at `pattern` (`/x/[id]`, `/blog/[...slug]`). Pattern
    /// errors and conflicts are reported when the server is built.
    pub fn route(self, pattern: &str, segment: Segment) -> Self {
        let source = format!("Router::route({pattern:?})");
        self.route_file(pattern, &source, segment)
    }

    /// What generated code calls, with the package name of the crate
    /// serving: the default Redis key prefix is `trellis:<name>`.
    #[doc(hidden)]
    pub fn app_name(mut self, name: &str) -> Self {
        self.app_name = Some(name.to_string());
        self
    }

    /// Calls `hook` for every failure, as Next.js calls `onRequestError`
    /// from `instrumentation.ts`: a route function's (or the proxy's)
    /// internal error, panic or timeout, a failed background regeneration,
    /// a failed `after()` callback. It runs on the worker where the failure happened, so keep
    /// it short (spawn what waits on I/O); nothing calls it while nothing
    /// fails. `app/instrumentation.rs` with a `pub fn on_request_error`
    /// registers one without code.
    ///
    /// ```
    /// use trellis_engine::{ErrorContext, ErroredRequest, RequestError, Router};
    ///
    /// fn report(error: &RequestError, request: &ErroredRequest, context: &ErrorContext) {
    ///     eprintln!("{} {} ({}): {error}", request.method, request.path, context.route);
    /// }
    ///
    /// let router = Router::new().on_request_error(report);
    /// ```
    pub fn on_request_error<F>(mut self, hook: F) -> Self
    where
        F: Fn(&RequestError<'_>, &ErroredRequest<'_>, &ErrorContext<'_>) + Send + Sync + 'static,
    {
        self.on_request_error = Some(Arc::new(hook));
        self
    }

    /// What generated code calls: like `route`, naming the route file.
    #[doc(hidden)]
    pub fn route_file(mut self, pattern: &str, source: &str, segment: Segment) -> Self {
        self.registrations.push(Registration {
            pattern: pattern.to_string(),
            source: source.to_string(),
            segment,
        });
        self
    }

    /// Runs `function` before routing for every path (Next.js's
    /// `proxy.ts` without a `matcher`); the engine's own endpoints
    /// (`/_trellis/*`) stay outside it.
    ///
    /// ```
    /// use trellis_engine::{Proxy, Router};
    ///
    /// let router = Router::new().proxy(|_req, _ctx| async { Ok(Proxy::next()) });
    /// assert!(router.proxy_summary().unwrap().matcher.is_none());
    /// ```
    pub fn proxy<F, Fut>(self, function: F) -> Self
    where
        F: Fn(Request, ProxyContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Proxy>> + 'static,
    {
        self.proxy_from_file("Router::proxy", None, function)
    }

    /// Runs `function` before routing for the paths `matcher` covers
    /// (`&["/api/:path*"]`, or [`Matcher`]s with conditions). An engine
    /// endpoint is covered only by an entry that names it
    /// (`/_trellis/:path*`), not by one such as `/:path*`.
    ///
    /// ```
    /// use trellis_engine::{Proxy, Router};
    ///
    /// let router = Router::new()
    ///     .proxy_matching(["/admin/:path*"], |_req, _ctx| async { Ok(Proxy::redirect("/login")) });
    /// assert_eq!(router.proxy_summary().unwrap().matcher, Some(vec!["/admin/:path*".to_string()]));
    /// ```
    pub fn proxy_matching<M, F, Fut>(
        self,
        matcher: impl IntoIterator<Item = M>,
        function: F,
    ) -> Self
    where
        M: Into<Matcher>,
        F: Fn(Request, ProxyContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Proxy>> + 'static,
    {
        let matcher = matcher.into_iter().map(Into::into).collect();
        self.proxy_from_file("Router::proxy_matching", Some(matcher), function)
    }

    /// What generated code calls for the proxy file.
    #[doc(hidden)]
    pub fn proxy_from_file<F, Fut>(
        mut self,
        source: &str,
        matcher: Option<Vec<Matcher>>,
        function: F,
    ) -> Self
    where
        F: Fn(Request, ProxyContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Proxy>> + 'static,
    {
        self.proxies.push(ProxyRegistration {
            source: source.to_string(),
            matcher,
            function: boxed_proxy(function),
        });
        self
    }

    /// The proxy, if the app has one, with its matcher.
    pub fn proxy_summary(&self) -> Option<ProxySummary> {
        let proxy = self.proxies.first()?;
        Some(ProxySummary {
            source: proxy.source.clone(),
            matcher: proxy
                .matcher
                .as_ref()
                .map(|entries| entries.iter().map(Matcher::to_string).collect()),
        })
    }
}
