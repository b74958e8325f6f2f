//! The engine of Trellis: the HTTP server, the supervisor and segment actors,
//! and the request and response API route functions use.
//!
//! # Layout
//!
//! - `server`: [`Server`], built from a [`ServerConfig`] and a [`Router`].
//! - `serve`: a request's way through an HTTP worker to its segment actor;
//!   `guard`: the request hygiene checked first (limits, dot segments).
//! - `supervisor`: starts each segment's actor on every worker, fans out
//!   revalidation, runs the refresh timer.
//! - `segment`: [`Segment`] (handlers and config) and its actor.
//! - `cached`: answering a GET from the revalidation cache.
//! - `admin`: the engine's own endpoints (metrics, revalidation);
//!   `admin_access`: who may call them (the token, same-origin only).
//! - `rules`: `trellis.toml`'s redirects and headers by path.
//! - `messages`: what actors send each other (`Dispatch`, `Regenerate`,
//!   `RevalidatePath`, `RevalidateTag`, `PeerRevalidation` from other
//!   instances sharing the cache, `RegisterWorker`).
//! - `method`: method semantics, in one place: HEAD from GET, automatic
//!   OPTIONS, 405 with `Allow`, 501.
//! - `router`: [`Router`], the builder that generated code calls too.
//! - `request`, `context`, `response`: what a route function sees and returns;
//!   `cookies` (the `cookies()` store), `form` (form data), `stream`
//!   (streamed responses from a channel).
//! - `probe`: in-process dispatch for the micro benchmarks (hidden).
//! - `cors`: CORS policies, preflights included.
//! - `error`: [`Error`], and the one `match` from error to status.

mod admin;
mod admin_access;
mod cached;
mod context;
mod cookies;
mod cors;
mod dynamic_reads;
mod error;
mod form;
mod guard;
mod handler;
mod local_segment;
mod messages;
mod method;
mod origin;
#[doc(hidden)]
pub mod probe;
mod request;
mod response;
mod router;
mod rules;
mod segment;
mod serve;
mod server;
mod site;
pub mod stream;
mod supervisor;

pub use admin::REVALIDATE_ENDPOINT;
pub use context::Context;
pub use cookies::{CookieOptions, CookieStore, SameSite};
pub use error::{permanent_redirect, redirect, Error, Result};
pub use form::{FormData, FormFile, FormValue};
pub use method::HttpMethod;
pub use request::{NextUrl, Request, RequestCookies, SearchParams};
pub use response::{Body, BodyStream, BoxError, Response};
pub use router::{RouteSummary, Router};
pub use segment::Segment;
pub use server::{Server, ServerError};

pub use actix_web::dev::ServerHandle;
pub use actix_web::http::{header, Method, StatusCode};
pub use trellis_cache::Clock;
pub use trellis_config::{
    AdminConfig, CacheConfig, Config, ConfigError, CorsPolicy, Dynamic, LimitsConfig, RouteKind,
    SegmentConfig, ServerConfig, DEFAULT_FILE,
};
pub use trellis_routes::{ParamValue, Params};
