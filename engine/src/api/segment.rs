//! `Segment`: one route file's handlers and config, as the route file
//! declares them or as code registers them. What serves it is the runtime's
//! `ServedSegment`, built from it once at start-up.

use std::future::Future;
use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use trellis_config::{CorsPolicy, Dynamic, SegmentConfig};
use trellis_routes::Params;

use crate::api::context::Context;
use crate::api::error::Result;
use crate::api::handler::{boxed, MethodTable};
use crate::api::method::{self, HttpMethod};
use crate::api::request::Request;
use crate::api::response::Response;

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
    pub(crate) handlers: MethodTable,
    pub(crate) config: SegmentConfig,
    pub(crate) static_params: Option<fn() -> Vec<Params>>,
    pub(crate) cors: Option<CorsPolicy>,
    /// Headers every response gets (from `trellis.toml`).
    pub(crate) added_headers: Vec<(HeaderName, HeaderValue)>,
    /// `STREAM_BODY`: the body reaches the route as it arrives.
    pub(crate) stream_body: bool,
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
        self.handlers.set(method, boxed(function));
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

    /// `STREAM_BODY`: hand the route its body as it arrives
    /// ([`Request::body_stream`](crate::Request::body_stream)) instead of
    /// reading it whole first, for uploads larger than memory should hold.
    /// The body limit still applies, counted as the chunks arrive.
    pub fn stream_body(mut self, streamed: bool) -> Self {
        self.stream_body = streamed;
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
        self.handlers.defines(method)
    }

    /// The `Allow` value for this segment.
    pub fn allow(&self) -> HeaderValue {
        method::allow_header(|m| self.defines(m))
    }

    pub(crate) fn has_static_params(&self) -> bool {
        self.static_params.is_some()
    }

    /// The CORS policy set in code or by a `[[routes]]` override; `None`
    /// leaves the server's.
    pub(crate) fn cors_policy(&self) -> Option<&CorsPolicy> {
        self.cors.as_ref()
    }
}
