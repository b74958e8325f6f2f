//! Trellis serves Next.js-style Route Handlers from Rust: route files laid out
//! by URL segment under `app/`, `GET`/`POST`/... functions in them, segment
//! config beside them, each segment served by an actix actor.
//!
//! This is the crate an app depends on, and the only one its code names:
//! route files `use trellis::prelude::*`, `src/main.rs` is one line, and
//! `serde`, `serde_json`, `tracing` and the runtime are reachable from here.
//! The build script's crate is `trellis-routes`. `trellis new my-app` writes
//! such an app; by hand it is three files beside `app/`:
//!
//! ```toml
//! # Cargo.toml
//! [dependencies]
//! trellis = "0.1"
//!
//! [build-dependencies]
//! trellis-routes = "0.1"
//! ```
//!
//! ```ignore
//! // build.rs: discovers app/**/route.rs and generates `router()`
//! fn main() {
//!     if let Err(error) = trellis_routes::build("app") {
//!         eprintln!("error: {error}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! ```ignore
//! // src/main.rs: the whole `trellis` command line for this app
//! mod app {
//!     trellis::include_app!();
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     trellis::main(app::router)
//! }
//! ```
//!
//! ```ignore
//! // app/api/hello/route.rs
//! use trellis::prelude::*;
//!
//! pub async fn GET() -> Result<Response> {
//!     Ok(Response::json(&json!({ "message": "Hello World" })))
//! }
//! ```
//!
//! (Those three are `ignore`d here because they need a crate of their own:
//! `trellis new`'s and the test that builds one compile them for real.)
//!
//! # Layout
//!
//! - The re-exports below: what route files see (from `trellis-engine`),
//!   the builders and config they register, and the server.
//! - [`prelude`]: everything a route file needs, in one `use`.
//! - [`route_fn()`]: adapts a function taking fewer arguments than
//!   `(Request, Context)`, as re-exported handlers need.
//! - [`main`] and [`init_logging`] (feature `cli`), and behind them the
//!   command line (`cli`, one file per subcommand) and the load generator
//!   (`bench`).
//!
//! # Features
//!
//! - `cli` (default): [`main`], the command line an app's one-line `main`
//!   runs. Without it (`default-features = false`) nothing of the command
//!   line is compiled (no clap, notify, ...): for an app with a main of its
//!   own around [`Server`].
//! - `redis`: the shared cache tier (`[cache] store = "redis://..."`), for
//!   several instances serving as one. Off by default: the Redis client
//!   is a tenth of a first build, and one instance does not need it. A
//!   config that names Redis in a build without it is refused at start-up
//!   and by `check-config`, saying which feature to turn on.
//! - `otel`: request spans exported over OTLP/HTTP (`[telemetry]`).

#[cfg(feature = "cli")]
mod bench;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod logging;
mod route_fn;

#[cfg(feature = "cli")]
pub use logging::init_logging;
pub use route_fn::{route_fn, RouteFn};

// What a route function sees and returns: the request and its context,
// responses, errors and how to throw them, cookies, forms, params.
pub use trellis_engine::{
    forbidden, not_found, permanent_redirect, redirect, unauthorized, Body, BodyStream, BoxError,
    Context, CookieOptions, CookieStore, Error, FormData, FormFile, FormValue, HttpMethod, NextUrl,
    ParamValue, Params, Request, RequestCookies, Response, Result, SameSite, SearchParams,
};
// HTTP's own vocabulary, as actix-web has it.
pub use trellis_engine::{header, Method, StatusCode};
// Streamed responses fed from a task: `stream::channel`.
pub use trellis_engine::stream;
// Routes registered in code, as the generated `router()` registers them, and
// the segment config they carry.
pub use trellis_engine::{CorsPolicy, Dynamic, RouteKind, RouteSummary, Router, Segment};
// The app's proxy (`app/proxy.rs`, Next.js's `proxy.ts`): what it answers,
// what it is given, the paths it covers, and how `trellis routes` shows it.
pub use trellis_engine::{Condition, Matcher, Proxy, ProxyContext, ProxySummary};
// Serving them: the server, its config (`trellis.toml` and `TRELLIS_*`),
// and the clock the cache reads.
pub use trellis_engine::{
    AdminConfig, CacheConfig, Clock, Config, ConfigError, LimitsConfig, RoutingConfig,
    SegmentConfig, Server, ServerConfig, ServerError, ServerHandle, DEFAULT_FILE,
    REVALIDATE_ENDPOINT,
};
// After the response, errors reported, and what a Next.js user reaches for
// next: `after()`, `instrumentation.onRequestError`, `userAgent()`,
// `draftMode()`, `connection()`, and a body read as it arrives.
pub use trellis_engine::{
    after, connection, draft_mode, user_agent, Browser, Device, DraftMode, ErrorContext, ErrorKind,
    ErroredRequest, Os, RequestBody, RequestError, RevalidateReason, UserAgent, DRAFT_MODE_COOKIE,
};
// The data cache: Next.js's `fetch` with `next: { revalidate, tags }` and
// `cache`, `unstable_cache` (`trellis::cache::memo`), `cacheLife` profiles,
// and `revalidatePath`'s type.
pub use trellis_engine::{
    cache, fetch, Cache, CacheLife, CacheProfile, Fetch, FetchError, FetchResponse, PathKind,
};
// Span export over OTLP, with the `otel` feature.
#[cfg(feature = "otel")]
pub use trellis_engine::{Telemetry, TelemetryConfig};

/// serde, for `#[derive(Serialize, Deserialize)]` with no dependency of the
/// app's own: add `#[serde(crate = "trellis::serde")]` beside the derive.
pub use serde;
/// serde_json: `Value`, `json!`, `from_str`.
pub use serde_json;
/// tracing, for a route function's own log lines (`trellis::tracing::info!`).
pub use tracing;

/// The actix runtime the server and route functions run on, for a `main`
/// of one's own: `trellis::rt::System::new().block_on(...)`.
pub use actix_rt as rt;

/// Runs a future in the background on the current worker, as route
/// functions that keep producing after they return need (streams).
pub use actix_rt::spawn;

/// Time for route functions: timers on the runtime that runs them
/// (`sleep`, `timeout`), and the wall clock as JavaScript's `Date.now()`.
pub mod time {
    pub use actix_rt::time::*;

    /// Milliseconds since the Unix epoch, as `Date.now()` gives them.
    pub use trellis_engine::unix_millis;
}

/// Everything a route file needs.
///
/// The derives need the crate named in an app that does not depend on
/// serde itself:
///
/// ```
/// use trellis::prelude::*;
///
/// #[derive(Serialize, Deserialize)]
/// #[serde(crate = "trellis::serde")]
/// struct User {
///     id: u64,
/// }
///
/// let body: Value = json!({ "id": 42 });
/// let user: User = trellis::serde_json::from_value(body)?;
/// assert_eq!(user.id, 42);
/// # Ok::<(), trellis::serde_json::Error>(())
/// ```
pub mod prelude {
    pub use crate::{
        forbidden, not_found, permanent_redirect, redirect, unauthorized, CacheLife, Condition,
        Context, CookieOptions, CorsPolicy, Dynamic, Error, FormData, FormValue, HttpMethod,
        Matcher, ParamValue, Params, PathKind, Proxy, ProxyContext, Request, Response, Result,
        Router, SameSite, Segment, StatusCode,
    };
    /// `stream! { yield chunk; }`: an async generator, for `Response::stream`.
    pub use async_stream::stream;
    pub use bytes::Bytes;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{json, Value};
}

/// The whole `trellis` command line, for the app `router` builds: `serve`
/// (the default), `routes`, `check-config`, `revalidate`, `bench`, `dev`,
/// `new` and `init`, with their flags, `trellis.toml`, the `TRELLIS_*`
/// variables, `RUST_LOG`, and a graceful stop on SIGTERM or Ctrl-C. It
/// installs the logging ([`init_logging`]) for the commands that serve.
///
/// ```no_run
/// mod app {
///     // In an app: `trellis::include_app!();`, the routes under `app/`.
///     pub fn router() -> trellis::Router {
///         trellis::Router::new()
///     }
/// }
///
/// fn main() -> std::process::ExitCode {
///     trellis::main(app::router)
/// }
/// ```
#[cfg(feature = "cli")]
pub fn main(router: fn() -> Router) -> std::process::ExitCode {
    use clap::Parser;

    cli::Cli::parse().run(router)
}

/// Includes the routes that `trellis_routes::build` generated from the
/// crate's `app/` folder: a `router()` function and one module per route
/// file. Use it inside a module of its own, and hand `app::router` to
/// [`main`], or build a [`Server`] with `app::router()`:
///
/// ```ignore
/// mod app {
///     trellis::include_app!();
/// }
///
/// fn main() -> std::process::ExitCode {
///     trellis::main(app::router)
/// }
/// ```
#[macro_export]
macro_rules! include_app {
    () => {
        include!(concat!(env!("OUT_DIR"), "/trellis_app.rs"));
    };
}
