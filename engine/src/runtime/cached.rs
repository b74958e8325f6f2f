//! The cache's side of answering a GET: fresh hits, stale hits that start
//! one refresh, misses regenerated once for every request waiting, and the
//! background regeneration the timer and prerendering ask for. Whatever
//! was stored is sent in the form the client accepts, made once per entry.
//! Each answer made for the cache is made with an entry record: what
//! `cache_tag`, `cache_life` and the data the route used say about its
//! entry.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use bytes::Bytes;
#[cfg(feature = "redis")]
use trellis_cache::PeerRefresh;
use trellis_cache::{
    key_base, key_headers, key_path, CacheEntry, CacheStatus, CachedResponse, EntryScope, Fill,
    Filled, Lookup, Waited, CACHE_STATUS,
};

use crate::api::context::Context;
use crate::api::cookies::CookieStore;
use crate::api::dynamic_reads::DynamicReads;
use crate::api::entry_record::EntryRecord;
use crate::api::request::Request;
use crate::api::request_error::{ErroredRequest, RequestError, RevalidateReason};
use crate::api::response::{Body, Response};
use crate::api::revalidator::Revalidator;
use crate::runtime::compression::Coding;
use crate::runtime::messages::{CacheLookup, Completion, Regenerate};
use crate::runtime::negotiation::AcceptEncoding;
use crate::runtime::representations;
use crate::runtime::served_segment::{RunOrigin, ServedSegment};

/// A fresh hit. The worker answers these itself, without a hop to the actor.
pub(crate) fn hit(
    segment: &ServedSegment,
    entry: &CacheEntry,
    accept: Option<AcceptEncoding>,
) -> Response {
    from_entry(segment, entry, CacheStatus::Hit, accept)
}

/// Answers a cacheable GET whose lookup was not a fresh hit.
pub(crate) async fn respond(
    segment: &Arc<ServedSegment>,
    request: Request,
    context: Context,
    lookup: CacheLookup,
) -> Response {
    if let Some(read) = segment.cache.dynamic_read() {
        let response = segment.run_get(request, context, RunOrigin::Request).await;
        return labelled(response, CacheStatus::DynamicRead { read });
    }
    let (request, context) = match segment.is_static() {
        true => without_visitor(segment, &request, context),
        false => (request, context),
    };
    let CacheLookup { key, found, accept } = lookup;
    let to = Fetch {
        segment,
        accept,
        key,
    };
    match found {
        Lookup::Fresh(entry) => hit(segment, &entry, accept),
        Lookup::Stale(entry) => start_refresh(&to, &context, &entry),
        Lookup::Miss => fill(to, request, context, None).await,
        Lookup::Invalidated(previous) => fill(to, request, context, Some(previous)).await,
    }
}

/// One key of a segment, being answered for a client that accepts `accept`.
struct Fetch<'s> {
    segment: &'s Arc<ServedSegment>,
    accept: Option<AcceptEncoding>,
    key: String,
}

impl Fetch<'_> {
    fn answer(&self, entry: &CacheEntry, status: CacheStatus) -> Response {
        from_entry(self.segment, entry, status, self.accept)
    }
}

/// The same GET with nothing of the visitor in it: its path (a static
/// route's key), no headers, no cookies, the public URL.
fn without_visitor(
    segment: &ServedSegment,
    request: &Request,
    context: Context,
) -> (Request, Context) {
    let path = request.next_url().pathname();
    let uri = path
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let request = Request::without_visitor(uri, HeaderMap::new(), segment.public_url());
    let context = Context::new(
        context.all_params().clone(),
        context.revalidator().clone(),
        CookieStore::default(),
        request.shared_head(),
        context.draft_token().clone(),
    );
    (request, context)
}

/// Serves a stale entry, starting its one background refresh.
fn start_refresh(to: &Fetch<'_>, context: &Context, entry: &CacheEntry) -> Response {
    let segment = to.segment;
    if let Some(guard) = segment.cache.refresh(&to.key) {
        let reason = match entry.is_expired_on_demand() {
            true => RevalidateReason::OnDemand,
            false => RevalidateReason::Stale,
        };
        let refresh = Regenerate {
            key: to.key.clone(),
            params: context.all_params().clone(),
            completion: Completion::Refresh(guard),
            reason: Some(reason),
            prerender: None,
        };
        actix_rt::spawn(regenerate(
            segment.clone(),
            context.revalidator().clone(),
            refresh,
        ));
    }
    let ttl = segment.cache.ttl(entry);
    to.answer(entry, CacheStatus::Stale { ttl })
}

/// Regenerates `key` for this request, or waits for the request already
/// doing it. Waiters are handed only an answer that was stored; one made
/// for its own visitor sends each of them to run their own, as does a
/// leader slower than the lock timeout. After `revalidate_path` the
/// previous entry is the fallback if regeneration fails (stale-if-error).
async fn fill(
    mut to: Fetch<'_>,
    mut request: Request,
    mut context: Context,
    previous: Option<Arc<CacheEntry>>,
) -> Response {
    let segment = to.segment;
    let mut timed_out = false;
    let guard = loop {
        match segment.cache.fill(&to.key) {
            Fill::Ready(entry) => return to.answer(&entry, CacheStatus::Hit),
            Fill::Wait(waiter) => match waiter.wait().await {
                Waited::Filled(Filled::Shared(entry)) => {
                    return to.answer(&entry, CacheStatus::Collapsed)
                }
                // It varies on request headers: this request's own variant.
                Waited::Filled(Filled::Variant) => to.key = request_key(segment, &request),
                Waited::Filled(Filled::Own) => break None,
                // The leader gave up without a response: lead in its place.
                Waited::Abandoned => continue,
                Waited::TimedOut => {
                    timed_out = true;
                    break None;
                }
            },
            Fill::Lead(guard) => break Some(guard),
        }
    };
    // Another instance sharing the cache may have made it, or be making it.
    #[cfg(feature = "redis")]
    let guard = match guard {
        Some(mut lead) => match lead.from_peers().await {
            Some(entry) => {
                lead.share(&entry);
                return match segment.cache.is_fresh(&entry) {
                    true => to.answer(&entry, CacheStatus::Hit),
                    false => start_refresh(&to, &context, &entry),
                };
            }
            None => Some(lead),
        },
        None => None,
    };
    let reads = watch_reads(segment, &mut request, &mut context);
    let record = record_entry(segment, &to.key, &mut context);
    let headers = request.sent_headers().clone();
    // Regenerating what `revalidate_path` marked, with the old entry kept.
    let origin = match previous {
        Some(_) => RunOrigin::Regeneration(Some(RevalidateReason::OnDemand)),
        None => RunOrigin::Request,
    };
    let response = segment.run_get(request, context, origin).await;
    let scope = entry_scope(segment, &record);
    let mut made = match into_cached(response) {
        Ok(made) => made,
        // A stream cannot be shared or stored: waiting requests run their own.
        Err(streamed) => {
            if let Some(guard) = guard {
                guard.not_shared();
            }
            return labelled(streamed, CacheStatus::Miss { stored: false });
        }
    };
    if let Some(read) = uncovered_read(segment, reads.as_deref(), &made) {
        if let Some(guard) = guard {
            guard.not_shared();
        }
        return from_cached(&made, CacheStatus::DynamicRead { read });
    }
    add_cache_control(segment, &mut made, &scope);
    let revalidated = previous.is_some();
    if let Some(previous) = previous.filter(|_| made.status.is_server_error()) {
        tracing::warn!(route = segment.route(), key = to.key, status = %made.status, "regeneration failed; serving the last good response");
        let ttl = segment.cache.ttl(&previous);
        return to.answer(&previous, CacheStatus::StaleOnError { ttl });
    }
    let stored = guard.map(|guard| guard.complete_scoped(made.clone(), |n| headers.get(n), &scope));
    match stored {
        Some(Ok(entry)) if revalidated => {
            to.answer(&entry, CacheStatus::Revalidated { stored: true })
        }
        Some(Ok(entry)) => to.answer(&entry, CacheStatus::Miss { stored: true }),
        Some(Err(why)) => from_cached(&made, CacheStatus::NotStored(why)),
        None if timed_out => from_cached(&made, CacheStatus::LockTimeout),
        None => from_cached(&made, CacheStatus::Miss { stored: false }),
    }
}

/// The key of this request, as the worker computes it: for a waiter told
/// that the answer varies on request headers.
fn request_key(segment: &ServedSegment, request: &Request) -> String {
    let url = request.next_url();
    let headers = request.sent_headers();
    segment
        .cache
        .key(url.pathname(), url.query(), |name| headers.get(name))
        .into_owned()
}

/// The record of the entry this run makes, for `key`.
fn record_entry(segment: &ServedSegment, key: &str, context: &mut Context) -> Arc<EntryRecord> {
    let record = Arc::new(EntryRecord::new(segment.route(), key_path(key)));
    context.record_entry(record.clone());
    record
}

/// What the run's record says about its entry, its `cache_life` resolved.
fn entry_scope(segment: &ServedSegment, record: &EntryRecord) -> EntryScope {
    let gathered = record.take();
    let life = gathered
        .life
        .and_then(|profile| segment.cache_life(profile));
    let seconds = |value: Option<u64>| value.map(Duration::from_secs);
    EntryScope {
        tags: gathered.tags,
        revalidate: seconds(life.and_then(|life| life.revalidate)),
        expire: seconds(life.and_then(|life| life.expire)),
        data_period: gathered.data_period,
    }
}

/// In an `auto` route, records what the route function reads.
fn watch_reads(
    segment: &ServedSegment,
    request: &mut Request,
    context: &mut Context,
) -> Option<Arc<DynamicReads>> {
    if !segment.watches_reads() {
        return None;
    }
    let reads = Arc::new(DynamicReads::default());
    request.watch_dynamic_reads(reads.clone());
    context.watch_dynamic_reads(reads.clone());
    Some(reads)
}

/// A read of request data that the answer's key does not account for
/// (neither its `Vary` nor, where the route keys by query, the query): the
/// answer is that visitor's alone, and the route dynamic from now on.
fn uncovered_read(
    segment: &ServedSegment,
    reads: Option<&DynamicReads>,
    made: &CachedResponse,
) -> Option<&'static str> {
    let read = reads?
        .uncovered(&made.vary(), segment.config().cache_by_query)?
        .name();
    if segment.cache.turn_dynamic(read) {
        tracing::warn!(
            route = segment.route(),
            read,
            "the route read request data while its answer was made for the cache: \
             it is dynamic from now on (set DYNAMIC = Dynamic::ForceDynamic to say so, \
             or stop reading it to cache the route)"
        );
    }
    Some(read)
}

/// Runs the GET function for `key` with no visitor behind it (as Next.js
/// regenerates): the key's path and query, the request headers a `Vary`
/// variant was made from, no cookies, the public URL. Hands the response
/// to the completion.
pub(crate) async fn regenerate(
    segment: Arc<ServedSegment>,
    revalidator: Revalidator,
    regenerate: Regenerate,
) {
    let Regenerate {
        key,
        params,
        completion,
        reason,
        // Held until this regeneration ends, whatever its outcome.
        prerender: _prerendering,
    } = regenerate;
    let origin = RunOrigin::Regeneration(reason);
    // Another instance sharing the cache may have made it, or be making it.
    #[cfg(feature = "redis")]
    let completion = match completion {
        Completion::Refresh(mut guard) => match guard.from_peers().await {
            PeerRefresh::Regenerate => Completion::Refresh(guard),
            PeerRefresh::Adopted | PeerRefresh::Yielded => return,
        },
        Completion::Fill(mut guard) => match guard.from_peers().await {
            Some(entry) => return guard.share(&entry),
            None => Completion::Fill(guard),
        },
    };
    let uri = match key_base(&key).parse::<Uri>() {
        Ok(uri) => uri,
        Err(error) => {
            tracing::error!(route = segment.route(), key, %error, "cannot regenerate a key that is not a URI");
            return;
        }
    };
    let mut headers = HeaderMap::new();
    for (name, value) in key_headers(&key) {
        headers.append(name, value);
    }
    let failed = |why: &str| {
        let request = ErroredRequest {
            method: &Method::GET,
            path: key_base(&key),
            headers: &headers,
        };
        segment.report(&RequestError::Refused(why), &request, origin);
    };
    let mut request = Request::without_visitor(uri, headers.clone(), segment.public_url());
    let mut context = Context::new(
        params,
        revalidator,
        CookieStore::default(),
        request.shared_head(),
        segment.draft_token().clone(),
    );
    let reads = watch_reads(&segment, &mut request, &mut context);
    let record = record_entry(&segment, &key, &mut context);
    let response = segment.run_get(request, context, origin).await;
    let scope = entry_scope(&segment, &record);
    let made = into_cached(response).map(|mut made| {
        let read = uncovered_read(&segment, reads.as_deref(), &made);
        add_cache_control(&segment, &mut made, &scope);
        (made, read)
    });
    match (completion, made) {
        (Completion::Refresh(guard), Ok((_, Some(read)))) => {
            let why = format!("the route reads request data ({read})");
            failed(&why);
            guard.fail(&why)
        }
        (Completion::Fill(guard), Ok((_, Some(_)))) => guard.not_shared(),
        (Completion::Refresh(guard), Ok((made, None))) => guard.complete_scoped(made, &scope),
        (Completion::Fill(guard), Ok((made, None))) => {
            if let Err(why) = guard.complete_scoped(made, |n| headers.get(n), &scope) {
                tracing::warn!(
                    route = segment.route(),
                    key,
                    reason = why.detail(),
                    "a prerendered response may not be stored"
                );
            }
        }
        (Completion::Refresh(guard), Err(_)) => {
            failed(STREAMED);
            guard.fail(STREAMED)
        }
        (Completion::Fill(guard), Err(_)) => {
            guard.not_shared();
            failed(STREAMED);
            tracing::warn!(route = segment.route(), key, "{STREAMED}");
        }
    }
}

const STREAMED: &str = "a streamed response cannot be cached";

/// The response as the cache stores it; a streamed response comes back
/// unchanged, as it cannot be stored.
fn into_cached(response: Response) -> Result<CachedResponse, Response> {
    // Returned whole: its `after()` callbacks still wait for its last chunk.
    let (status, headers, body) = match response.body() {
        Body::Stream(_) => return Err(response),
        _ => response.into_parts(),
    };
    let body = match body {
        Body::Text(bytes) | Body::Bytes(bytes) => bytes,
        Body::Empty | Body::Stream(_) => Bytes::new(),
    };
    Ok(CachedResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        body,
    })
}

/// The `Cache-Control` Next.js sends for the entry's effective period (the
/// route's, `cache_life`'s, no longer than its data's), on an answer that
/// may be stored and chose none of its own.
fn add_cache_control(segment: &ServedSegment, made: &mut CachedResponse, scope: &EntryScope) {
    let chosen = made.headers.iter().any(|(n, _)| n == header::CACHE_CONTROL);
    if chosen || !made.is_storable() {
        return;
    }
    if let Some(cache_control) = segment.cache.cache_control_for(scope) {
        made.headers.push((header::CACHE_CONTROL, cache_control));
    }
}

/// A response made outside the cache, labelled with what the cache did.
fn labelled(mut response: Response, status: CacheStatus) -> Response {
    response
        .headers_mut()
        .insert(CACHE_STATUS, status.header_value());
    response
}

/// A stored entry as sent to a client that accepts `accept`: the form it
/// takes (made the first time the entry is sent), its `ETag`, the entry's
/// `Last-Modified`, and `Vary: Accept-Encoding` where the form depends on
/// it. The worker adds nothing more to it: it is already encoded.
fn from_entry(
    segment: &ServedSegment,
    entry: &CacheEntry,
    status: CacheStatus,
    accept: Option<AcceptEncoding>,
) -> Response {
    let forms = entry.representations(|response| {
        let age = entry.age(segment.clock().now());
        representations::make(response, segment.compresses(), age)
    });
    let coding = accept.and_then(|accept| accept.choose(forms.gzip.is_some(), forms.br.is_some()));
    let form = match coding {
        Some(Coding::Gzip) => forms.gzip.as_ref(),
        Some(Coding::Br) => forms.br.as_ref(),
        None => None,
    }
    .unwrap_or(&forms.identity);
    let cached = &entry.response;
    let mut headers = HeaderMap::with_capacity(cached.headers.len() + 5);
    // Every header is appended, none inserted: an insert looks for the
    // name first, and a hit is mostly the making of this map. What is set
    // below replaces the route's own, so those are left out here.
    let set_below = |name: &HeaderName| {
        *name == header::ETAG
            || *name == header::LAST_MODIFIED
            || *name == CACHE_STATUS
            || (coding.is_some() && *name == header::CONTENT_ENCODING)
    };
    for (name, value) in &cached.headers {
        if !set_below(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.append(header::ETAG, form.etag.clone());
    headers.append(header::LAST_MODIFIED, forms.last_modified.clone());
    if forms.negotiated {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(coding) = coding {
        headers.append(header::CONTENT_ENCODING, coding.header_value());
    }
    headers.append(CACHE_STATUS, status.header_value());
    let mut response = Response::from_parts(cached.status, headers, Body::Bytes(form.body.clone()));
    response.delivery.encoded = true;
    response
}

/// A response made for the cache but not stored, sent as made: the worker
/// compresses it as it does any answer.
fn from_cached(cached: &CachedResponse, status: CacheStatus) -> Response {
    let mut headers = HeaderMap::with_capacity(cached.headers.len() + 1);
    for (name, value) in &cached.headers {
        headers.append(name.clone(), value.clone());
    }
    headers.insert(CACHE_STATUS, status.header_value());
    Response::from_parts(cached.status, headers, Body::Bytes(cached.body.clone()))
}
