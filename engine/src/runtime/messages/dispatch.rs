//! `Dispatch`: an HTTP worker hands a matched request to its segment actor.

use actix::Message;
use tokio::sync::oneshot;
use trellis_cache::Lookup;
use trellis_routes::Params;

use crate::api::method::HttpMethod;
use crate::api::request::Request;
use crate::api::response::Response;
use crate::runtime::negotiation::AcceptEncoding;

/// One request for a segment, already matched and with its body read, and
/// where its response goes. The actor's handler may answer after it
/// returns (a route that waits), so the answer travels on its own channel
/// rather than as the message's result.
pub(crate) struct Dispatch {
    /// The request's method, already known to be one of the seven.
    pub method: HttpMethod,
    pub request: Request,
    pub params: Params,
    /// For a cacheable GET: what the worker's cache lookup found (anything
    /// but a fresh hit, which the worker answers itself).
    pub lookup: Option<CacheLookup>,
    pub reply: oneshot::Sender<Response>,
}

/// A cache lookup made by the worker, carried to the actor so that the
/// lookup (and its hit counting) happens once.
pub(crate) struct CacheLookup {
    pub key: String,
    pub found: Lookup,
    /// The codings the client accepts, to pick the stored form it gets.
    pub accept: Option<AcceptEncoding>,
}

impl Message for Dispatch {
    type Result = ();
}
