//! `Router`: the routes of an app, registered by hand or by the code
//! build.rs generates. The runtime builds what it serves from it
//! (`AppRoutes`); `summary` is that build's report.

use std::sync::Arc;
use std::time::Duration;

use trellis_config::RouteKind;

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
    /// The app's crate name, for the default Redis key prefix.
    pub(crate) app_name: Option<String>,
    pub(crate) on_request_error: Option<ErrorHook>,
}

/// One route as registered: its pattern, where it came from, its segment.
pub(crate) struct Registration {
    pub(crate) pattern: String,
    pub(crate) source: String,
    pub(crate) segment: Segment,
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
    /// from `instrumentation.ts`: a route function's internal error, panic
    /// or timeout, a failed background regeneration, a failed `after()`
    /// callback. It runs on the worker where the failure happened, so keep
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
}
