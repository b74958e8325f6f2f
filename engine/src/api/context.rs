//! `Context`: the second argument of a route function, holding the params
//! the matched path filled in (`context.params` in Next.js), the values the
//! proxy handed over, the entry being made for the cache (`cacheTag`,
//! `cacheLife`), the way to revalidate cached responses on demand, and the
//! work to do once the response is sent.

use std::future::Future;
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use serde::de::DeserializeOwned;
use trellis_routes::{ParamValue, Params};

use crate::api::after::AfterQueue;
use crate::api::cache_profile::CacheProfile;
use crate::api::cookies::CookieStore;
use crate::api::draft_token::DraftToken;
use crate::api::dynamic_reads::{DynamicReads, Read};
use crate::api::entry_record::EntryRecord;
use crate::api::error::{Error, Result};
use crate::api::extensions::Extensions;
use crate::api::request_head::RequestHead;
use crate::api::revalidator::{PathKind, Revalidator};
use crate::api::run_scope::RunScope;

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
    /// Set while the answer is made for the cache: its tags and lifetime.
    entry: Option<Arc<EntryRecord>>,
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
            entry: None,
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

    /// The answer is made for the cache: `cache_tag`, `cache_life` and the
    /// data the run uses go into `record`.
    pub(crate) fn record_entry(&mut self, record: Arc<EntryRecord>) {
        self.entry = Some(record);
    }

    /// What the run's code (fetches, memos) reports to, if anything.
    pub(crate) fn run_scope(&self) -> Option<RunScope> {
        RunScope::of(self.dynamic_reads.as_ref(), self.entry.as_ref())
    }

    /// `cacheTag(tag)`: `revalidate_tag(tag, ..)` reaches the entry being
    /// made (this path's entry, and no other path's of the route). Only an
    /// answer made for the cache has an entry: elsewhere the tag is
    /// ignored, with a warning the first time.
    pub fn cache_tag(&self, tag: impl AsRef<str>) {
        match &self.entry {
            Some(entry) => entry.tag(tag.as_ref()),
            None => outside_an_entry("cache_tag"),
        }
    }

    /// `cacheLife(profile)`: the entry being made is fresh for the
    /// profile's `revalidate` and never served past its `expire`, instead
    /// of its route's (a field the profile leaves out keeps the route's);
    /// the data it uses can still make it shorter. `"hours"`, a profile of
    /// `[cache.profiles]`, or a [`CacheLife`](crate::CacheLife).
    pub fn cache_life(&self, profile: impl Into<CacheProfile>) {
        match &self.entry {
            Some(entry) => entry.life(profile.into()),
            None => outside_an_entry("cache_life"),
        }
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

    /// `revalidatePath(path, type)`: the next GET regenerates while it
    /// waits and gets the new body, for `path` itself ([`PathKind::Path`],
    /// Next.js's call without a type), every path of the route pattern
    /// `path` (`"/blog/[slug]"`, [`PathKind::Page`]), or every route at or
    /// under it (`"/blog"`, [`PathKind::Layout`]); and the data those
    /// entries were made from is made again. Returns the number of entries
    /// marked, on this instance; a call that marks none is logged.
    pub async fn revalidate_path(&self, path: &str, kind: PathKind) -> usize {
        self.revalidator.revalidate_path(path, kind).await
    }

    /// `revalidateTag(tag, profile)`: with `"max"` (or any profile whose
    /// `expire` is not 0), each entry tagged `tag` (responses and data) is
    /// stale: the next request is served it and starts one refresh. With
    /// [`CacheLife::EXPIRE_NOW`](crate::CacheLife::EXPIRE_NOW) they expire
    /// now: the next request waits for fresh data. Returns the number of
    /// entries marked, on this instance; a call that marks none is logged.
    pub async fn revalidate_tag(&self, tag: &str, profile: impl Into<CacheProfile>) -> usize {
        self.revalidator.revalidate_tag(tag, profile.into()).await
    }
}

/// `cache_tag` or `cache_life` where no entry is being made (a route that
/// does not cache): said once, not for every request.
fn outside_an_entry(call: &'static str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            call,
            "cache_tag and cache_life apply to answers made for the cache \
             (routes with REVALIDATE or force-static); here they do nothing"
        );
    });
}
