//! `draft_mode(&ctx)`: Next.js's `draftMode()`. Enabling it sets the
//! signed bypass cookie `__prerender_bypass`; a request carrying it skips
//! the cache and runs the route, so editors see unpublished content.

use crate::api::context::Context;
use crate::api::cookies::{CookieOptions, SameSite};
use crate::api::error::Result;

/// The cookie Next.js names for draft mode, kept for familiarity.
pub const DRAFT_MODE_COOKIE: &str = "__prerender_bypass";

/// Draft mode of one request.
///
/// ```
/// # fn demo(ctx: &trellis_engine::Context) -> trellis_engine::Result<()> {
/// let draft = trellis_engine::draft_mode(ctx);
/// if !draft.is_enabled() {
///     draft.enable()?; // from now on this browser bypasses the cache
/// }
/// # Ok(()) }
/// ```
pub struct DraftMode<'a> {
    ctx: &'a Context,
}

/// Draft mode for the request `ctx` belongs to.
pub fn draft_mode(ctx: &Context) -> DraftMode<'_> {
    DraftMode { ctx }
}

impl DraftMode<'_> {
    /// Whether the request carries a valid bypass cookie (or this response
    /// has just set one). Not a read of request data: a cached route may
    /// ask, as a static page may in Next.js.
    pub fn is_enabled(&self) -> bool {
        self.ctx
            .cookies
            .get(DRAFT_MODE_COOKIE)
            .is_some_and(|value| self.ctx.draft_token().matches(&value))
    }

    /// Sets the bypass cookie: `HttpOnly`, `Secure`, `SameSite=None`, as
    /// Next.js sets it, so that a preview in another site's frame works.
    pub fn enable(&self) -> Result<()> {
        let options = CookieOptions {
            http_only: true,
            secure: true,
            same_site: Some(SameSite::None),
            ..CookieOptions::default()
        };
        self.ctx
            .cookies
            .set_with(DRAFT_MODE_COOKIE, self.ctx.draft_token().value(), options)
    }

    /// Deletes the bypass cookie.
    pub fn disable(&self) -> Result<()> {
        self.ctx.cookies.delete(DRAFT_MODE_COOKIE)
    }
}
