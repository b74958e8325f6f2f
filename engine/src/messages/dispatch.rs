//! `Dispatch`: an HTTP worker hands a matched request to its segment actor.

use actix::Message;
use trellis_routes::Params;

use crate::method::HttpMethod;
use crate::request::Request;
use crate::response::Response;

/// One request for a segment, already matched and with its body read.
/// The reply is the response to send.
pub(crate) struct Dispatch {
    /// The request's method, already known to be one of the seven.
    pub method: HttpMethod,
    pub request: Request,
    pub params: Params,
}

impl Message for Dispatch {
    type Result = Response;
}
