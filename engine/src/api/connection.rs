//! `connection(&ctx)`: Next.js's `connection()` (and `unstable_noStore()`):
//! the answer being made depends on this very request, so a cached route
//! does not store it and is dynamic from then on, as reading a cookie
//! would make it.

use crate::api::context::Context;
use crate::api::dynamic_reads::Read;

/// Marks the answer as made at request time.
///
/// ```
/// # fn demo(ctx: &trellis_engine::Context) {
/// trellis_engine::connection(ctx);
/// let now = std::time::SystemTime::now(); // fine to put in the answer now
/// # }
/// ```
pub fn connection(ctx: &Context) {
    ctx.note_read(Read::Connection);
}
