//! What serves route files: the server, the HTTP worker's request path, the
//! supervisor, segment actors, the cached and plain ways of answering, the
//! engine's own endpoints, guards, CORS, rules and messages.

pub(crate) mod admin;
pub(crate) mod admin_access;
pub(crate) mod app_routes;
pub(crate) mod cached;
pub(crate) mod cors;
pub(crate) mod guard;
pub(crate) mod local_segment;
pub(crate) mod messages;
#[cfg(feature = "probe")]
pub mod probe;
pub(crate) mod rules;
pub(crate) mod segment_actor;
#[cfg(test)]
mod segment_tests;
pub(crate) mod served_segment;
pub(crate) mod server;
pub(crate) mod server_error;
pub(crate) mod site;
pub(crate) mod supervisor;
pub(crate) mod worker;
