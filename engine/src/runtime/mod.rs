//! What serves route files: the server, the HTTP worker's request path, the
//! supervisor, segment actors, the cached and plain ways of answering, the
//! data cache on each worker, how answers leave (compression, validators,
//! 304s), `after()` callbacks, the engine's own endpoints and probes,
//! request metrics, error reports, guards, CORS, the routing of a request
//! (path rules, the app's proxy, rewrites and their upstreams), telemetry
//! and messages.

pub(crate) mod admin;
pub(crate) mod admin_access;
pub(crate) mod after_tasks;
pub(crate) mod app_proxy;
pub(crate) mod app_routes;
pub(crate) mod app_services;
pub(crate) mod cached;
pub(crate) mod compression;
pub(crate) mod conditional;
pub(crate) mod conditions;
pub(crate) mod cors;
pub(crate) mod data_cache;
pub(crate) mod delivery;
pub(crate) mod destination;
pub(crate) mod draft_cookie;
pub(crate) mod error_report;
pub(crate) mod etag;
pub(crate) mod guard;
pub(crate) mod local_segment;
pub(crate) mod messages;
pub(crate) mod negotiation;
pub(crate) mod panics;
pub(crate) mod path_layout;
#[cfg(feature = "probe")]
pub mod probe;
pub(crate) mod readiness;
pub(crate) mod representations;
pub(crate) mod request_metrics;
pub(crate) mod request_view;
pub(crate) mod rewrites;
pub(crate) mod routing;
pub(crate) mod rule_source;
pub(crate) mod rules;
pub(crate) mod segment_actor;
#[cfg(test)]
mod segment_tests;
pub(crate) mod sent_body;
pub(crate) mod served_segment;
pub(crate) mod server;
pub(crate) mod server_error;
pub(crate) mod shutdown;
pub(crate) mod site;
pub(crate) mod supervisor;
#[cfg(feature = "otel")]
pub(crate) mod telemetry;
pub(crate) mod upload;
pub(crate) mod upstream;
pub(crate) mod watched_paths;
pub(crate) mod worker;
pub(crate) mod worker_state;
