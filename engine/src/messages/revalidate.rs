//! On-demand revalidation, as `revalidatePath` and `revalidateTag` do it. A
//! route function (or the admin endpoint) sends these to the supervisor,
//! which fans them out to the segment actors concerned. The reply counts
//! the cache entries affected.

use actix::Message;
use trellis_cache::SharedEvent;

/// The next GET of `path` regenerates while it waits.
pub(crate) struct RevalidatePath {
    pub path: String,
}

impl Message for RevalidatePath {
    type Result = usize;
}

/// The next GET of every path tagged `tag` is served stale and starts one
/// background regeneration.
pub(crate) struct RevalidateTag {
    pub tag: String,
}

impl Message for RevalidateTag {
    type Result = usize;
}

/// A revalidation made on another instance sharing the cache, heard on
/// Redis: applied to this instance's memory tier only.
pub(crate) struct PeerRevalidation(pub SharedEvent);

impl Message for PeerRevalidation {
    type Result = ();
}
