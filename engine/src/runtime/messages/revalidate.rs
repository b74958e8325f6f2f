//! A revalidation made on another instance sharing the cache. The ones a
//! route function or the admin endpoint asks for (`RevalidatePath`,
//! `RevalidateTag`) are the API's, beside the `Revalidator` that sends them.

use actix::Message;
use trellis_cache::SharedEvent;

/// A revalidation made on another instance sharing the cache, heard on
/// Redis: applied to this instance's memory tier only.
pub(crate) struct PeerRevalidation(pub SharedEvent);

impl Message for PeerRevalidation {
    type Result = ();
}
