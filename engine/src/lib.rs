//! The engine of Trellis, in two wings: `api`, everything a route function
//! sees (and nothing that serves it), and `runtime`, what serves route
//! functions. `runtime` imports `api`, never the reverse.
//!
//! # A request's way through, in order
//!
//! 1. `runtime::worker`: the one actix-web service of each HTTP worker
//!    (its state in `worker_state`). `routing` decides where the request
//!    goes, in Next.js's order: it checks the request (`guard`: limits, dot
//!    segments; `site`: the `Host`), redirects a path out of its shape
//!    (`path_layout`: slashes, `base_path`), finds the `[[headers]]` it
//!    meets and answers `[[redirects]]` (`rules`, over `rule_source`,
//!    `conditions` and `request_view`), hands `/_trellis/*` to the engine's
//!    endpoints (`admin`, `admin_access`), runs the app's proxy where its
//!    matcher covers the path (`app_proxy`), applies `[[rewrites]]` by
//!    phase around the route table (`rewrites`, `destination`), and
//!    matches the path. A rewrite to another server is sent on there
//!    (`upstream`), both bodies streamed.
//! 2. A CORS preflight is answered there (`cors`), and so is a fresh cache
//!    hit: `cached::hit`, from the worker's recent hits or the shared cache.
//! 3. Anything else is read (its body, within the limit) and sent as a
//!    `Dispatch` message (`messages`) to the segment's actor on the same
//!    worker (`local_segment`, `segment_actor`), which answers the cached
//!    way (`cached`: stale, miss, collapsed waits, regeneration) or the
//!    plain way (`served_segment`: method semantics, the route function
//!    polled once, errors, panics and `maxDuration` turned into responses).
//! 4. The route function sees the `api` wing: `request` ([`Request`], its
//!    `signal`, its `body_stream`), `context` ([`Context`], with `cookies`,
//!    a `revalidator`, and the `entry_record` of an answer made for the
//!    cache), `response` ([`Response`], `stream`), `form`, `error`
//!    ([`Error`]), `method` (HEAD from GET, automatic OPTIONS, 405 with
//!    `Allow`), and the helpers [`user_agent`], [`draft_mode`] and
//!    [`connection`]. Its data goes through `fetch` ([`fetch()`], over
//!    `upstream`, the one pooled client) and `memo` ([`cache::memo`]),
//!    which reach the worker's `data_cache` and report to the `run_scope`
//!    of the answer being made; `runtime::data_cache` serves them on each
//!    worker: fresh, stale while one refresh runs, made once for all who
//!    wait.
//!    Its `after()` callbacks (`api::after`) go to `after_tasks`, which runs
//!    them once the body is sent (`sent_body`); its failures, and the
//!    proxy's, go to the app's `on_request_error` hook
//!    (`api::request_error`, `error_report`). The proxy sees `api` too:
//!    [`Proxy`], [`ProxyContext`] (whose values reach the route's
//!    `Context`, `extensions`) and [`Matcher`].
//! 5. On the way out (`delivery`): the form the client accepts
//!    (`negotiation`, `compression`; a cached entry's forms and ETags are
//!    made once, `representations`, `etag`), a 304 when its copy is current
//!    (`conditional`), then the request is counted (`request_metrics`) in
//!    its span. `readiness` answers the probes; `server` drains on SIGTERM
//!    (`shutdown`).
//! 6. The `supervisor` (an actor of its own) applies `revalidate_path`
//!    (of a path, a route pattern or a prefix) and `revalidate_tag` (stale,
//!    or expired now) to the shared cache, prerenders
//!    `generate_static_params`, and on a timer sends `Regenerate` to segment
//!    actors for popular entries about to go stale.
//!
//! [`Segment`] and [`Router`] (`api`) are how routes are registered;
//! `runtime::app_routes` builds them into what the server serves, and
//! [`Server`] (`runtime::server`) binds and runs it.

mod api;
mod runtime;

/// The data cache for route functions beyond `fetch`: Next.js's
/// `unstable_cache` as [`memo`](cache::memo), and the types of `cacheLife`.
pub mod cache {
    pub use crate::api::cache_profile::CacheProfile;
    pub use crate::api::memo::{memo, MemoOptions};
    pub use trellis_config::CacheLife;
}

pub use api::after::after;
pub use api::cache_profile::CacheProfile;
pub use api::connection::connection;
pub use api::context::Context;
pub use api::cookies::{CookieOptions, CookieStore, SameSite};
pub use api::draft_mode::{draft_mode, DraftMode, DRAFT_MODE_COOKIE};
pub use api::error::{
    forbidden, not_found, permanent_redirect, redirect, unauthorized, Error, Result,
};
pub use api::fetch::{fetch, Cache, Fetch, FetchError, FetchResponse};
pub use api::form::{FormData, FormFile, FormValue};
pub use api::header_error::HeaderError;
pub use api::matcher::{Condition, Matcher};
pub use api::method::HttpMethod;
pub use api::proxy::Proxy;
pub use api::proxy_context::ProxyContext;
pub use api::request::{NextUrl, Request, RequestCookies, SearchParams};
pub use api::request_body::RequestBody;
pub use api::request_error::{
    ErrorContext, ErrorKind, ErroredRequest, RequestError, RevalidateReason,
};
pub use api::response::{Body, BodyStream, BoxError, Response};
pub use api::revalidator::PathKind;
pub use api::router::{ProxySummary, RouteSummary, Router};
pub use api::segment::Segment;
pub use api::stream;
pub use api::user_agent::{user_agent, Browser, Device, Os, UserAgent};
pub use runtime::admin::REVALIDATE_ENDPOINT;
#[cfg(feature = "probe")]
#[doc(hidden)]
pub use runtime::probe;
pub use runtime::server::Server;
pub use runtime::server_error::ServerError;
#[cfg(feature = "otel")]
pub use runtime::telemetry::Telemetry;

pub use actix_web::dev::ServerHandle;
pub use actix_web::http::{header, Method, StatusCode};
pub use trellis_cache::{unix_millis, Clock};
pub use trellis_config::{
    AdminConfig, CacheConfig, CacheLife, Config, ConfigError, CorsPolicy, Dynamic, LimitsConfig,
    RouteKind, RoutingConfig, SegmentConfig, ServerConfig, TelemetryConfig, DEFAULT_FILE,
};
pub use trellis_routes::{ParamValue, Params};
