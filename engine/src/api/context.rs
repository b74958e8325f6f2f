//! `Context`: the second argument of a route function, holding the params
//! the matched path filled in (`context.params` in Next.js), the values the
//! proxy handed over, the way to revalidate cached responses on demand, and
//! the work to do once the response is sent.

use std::future::Future;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use serde::de::DeserializeOwned;
use trellis_routes::{ParamValue, Params};

use crate::api::after::AfterQueue;
use crate::api::cookies::CookieStore;
use crate::api::draft_token::DraftToken;
use crate::api::dynamic_reads::{DynamicReads, Read};
use crate::api::error::{Error, Result};
use crate::api::extensions::Extensions;
use crate::api::request_head::RequestHead;
use crate::api::revalidator::Revalidator;

/// What the engine knows about the request beyond the request itself.
pub struct Context {
    params: Params,
    revalidator: Revalidator,
    pub(crate) cookies: CookieStore,
    /// The request's headers (and disconnect signal), shared with it.
    head: Arc<RequestHead>,
    /// `after()` callbacks, run once the response is sent.
    pub(crate) after: AfterQueue,
    draft: DraftToken,
    /// What the proxy inserted for this request.
    extensions: Extensions,
    /// Set while the answer is made for the cache: records a cookie read.
    dynamic_reads: Option<Arc<DynamicReads>>,
}

impl Context {
    pub(crate) fn new(
        params: Params,
        revalidator: Revalidator,
        cookies: CookieStore,
        head: Arc<RequestHead>,
        draft: DraftToken,
    ) -> Self {
        Context {
            params,
            revalidator,
            cookies,
            head,
            after: AfterQueue::default(),
            draft,
            extensions: Extensions::default(),
            dynamic_reads: None,
        }
    }

    /// Records a read of request data not made through the request.
    pub(crate) fn note_read(&self, read: Read) {
        if let Some(reads) = &self.dynamic_reads {
            reads.note(read);
        }
    }

    pub(crate) fn draft_token(&self) -> &DraftToken {
        &self.draft
    }

    /// Schedules `task` for once the response has been sent: the same as
    /// [`after`](crate::after), usable wherever the context is.
    pub fn after(&self, task: impl Future<Output = ()> + 'static) {
        self.after.push(Box::pin(task));
    }

    pub(crate) fn with_extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    pub(crate) fn watch_dynamic_reads(&mut self, reads: Arc<DynamicReads>) {
        self.dynamic_reads = Some(reads);
    }

    /// The cookie store (`cookies()` from next/headers): reads the request's
    /// cookies, and sets or deletes cookies on the response.
    pub fn cookies(&self) -> &CookieStore {
        self.note_read(Read::Cookies);
        &self.cookies
    }

    /// The request headers, read-only: `headers()` from next/headers, for
    /// a function (or a helper it calls) that has the context and not the
    /// request. Reading them makes a cached `auto` route dynamic, as
    /// [`Request::headers`](crate::Request::headers) does.
    pub fn headers(&self) -> &HeaderMap {
        if let Some(reads) = &self.dynamic_reads {
            reads.note(Read::Headers);
        }
        &self.head.headers
    }

    /// The value of type `T` the proxy handed over (`ctx.insert(..)` in
    /// the proxy function), if it did. It was made from this visitor's
    /// request, so in a cached route reading it makes the answer this
    /// visitor's own, as reading a cookie does.
    pub fn extension<T: 'static>(&self) -> Option<&T> {
        self.note_read(Read::ProxyValue);
        self.extensions.get::<T>()
    }

    pub(crate) fn revalidator(&self) -> &Revalidator {
        &self.revalidator
    }

    /// One param: a string for `[id]`, a list for catch-alls; `None` when the
    /// pattern has no such param or an optional catch-all matched nothing.
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params.get(name)
    }

    /// Every param, in pattern order.
    pub fn all_params(&self) -> &Params {
        &self.params
    }

    /// The params as a typed struct (`RouteContext<'/users/[id]'>`); a
    /// mismatch is a 400 saying which field.
    ///
    /// ```
    /// # use trellis_engine::Context;
    /// #[derive(serde::Deserialize)]
    /// struct UserParams { id: String }
    ///
    /// # fn demo(ctx: Context) -> trellis_engine::Result<()> {
    /// let UserParams { id } = ctx.params()?;
    /// # Ok(()) }
    /// ```
    pub fn params<T: DeserializeOwned>(&self) -> Result<T> {
        self.params
            .parse()
            .map_err(|e| Error::BadRequest(e.to_string()))
    }

    /// `revalidatePath(path)`: the next GET of `path` regenerates while it
    /// waits and gets the new body. Returns the number of entries marked.
    pub async fn revalidate_path(&self, path: &str) -> usize {
        self.revalidator.revalidate_path(path).await
    }

    /// `revalidateTag(tag)`: the next GET of each path tagged `tag` is served
    /// stale and starts one background regeneration. Returns the number of
    /// entries marked.
    pub async fn revalidate_tag(&self, tag: &str) -> usize {
        self.revalidator.revalidate_tag(tag).await
    }
}
