//! `Regenerate`: the supervisor asks a segment actor to run its GET handler
//! in the background for one key, on a timer tick or to prerender
//! `generate_static_params` at start-up.

use actix::Message;
use trellis_cache::{FillGuard, RefreshGuard};
use trellis_routes::Params;

use crate::api::request_error::RevalidateReason;
use crate::runtime::readiness::PrerenderTicket;

/// Regenerate the entry for `key` and hand the response to `completion`.
pub(crate) struct Regenerate {
    pub key: String,
    pub params: Params,
    pub completion: Completion,
    /// Why, as the error hook is told; `None` when prerendering.
    pub reason: Option<RevalidateReason>,
    /// Held while a start-up prerendering runs: the server is not ready
    /// before every one has ended.
    pub prerender: Option<PrerenderTicket>,
}

/// Where a regenerated response goes.
pub(crate) enum Completion {
    /// Replaces a stale entry; a failure keeps the old one.
    Refresh(RefreshGuard),
    /// Fills an empty key that requests may be waiting for.
    Fill(FillGuard),
}

impl Message for Regenerate {
    type Result = ();
}
