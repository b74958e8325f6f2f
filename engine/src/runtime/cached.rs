//! The cache's side of answering a GET: fresh hits, stale hits that start
//! one refresh, misses regenerated once for every request waiting, and the
//! background regeneration the timer and prerendering ask for.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::Uri;
use bytes::Bytes;
use trellis_cache::{
    key_base, key_headers, CacheEntry, CacheStatus, CachedResponse, Fill, Filled, Lookup,
    PeerRefresh, Waited, CACHE_STATUS,
};

use crate::api::context::Context;
use crate::api::cookies::CookieStore;
use crate::api::dynamic_reads::DynamicReads;
use crate::api::request::Request;
use crate::api::response::{Body, Response};
use crate::api::revalidator::Revalidator;
use crate::runtime::messages::{CacheLookup, Completion, Regenerate};
use crate::runtime::served_segment::ServedSegment;

/// A fresh hit. The worker answers these itself, without a hop to the actor.
pub(crate) fn hit(entry: &CacheEntry) -> Response {
    from_cached(&entry.response, CacheStatus::Hit)
}

/// Answers a cacheable GET whose lookup was not a fresh hit.
pub(crate) async fn respond(
    segment: &Arc<ServedSegment>,
    request: Request,
    context: Context,
    lookup: CacheLookup,
) -> Response {
    if let Some(read) = segment.cache.dynamic_read() {
        let response = segment.run_get(request, context).await;
        return labelled(response, CacheStatus::DynamicRead { read });
    }
    let (request, context) = match segment.is_static() {
        true => without_visitor(segment, &request, context),
        false => (request, context),
    };
    let CacheLookup { key, found } = lookup;
    match found {
        Lookup::Fresh(entry) => hit(&entry),
        Lookup::Stale(entry) => start_refresh(segment, &context, &key, &entry),
        Lookup::Miss => fill(segment, request, context, key, None).await,
        Lookup::Invalidated(previous) => fill(segment, request, context, key, Some(previous)).await,
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
        request.shared_headers(),
    );
    (request, context)
}

/// Serves a stale entry, starting its one background refresh.
fn start_refresh(
    segment: &Arc<ServedSegment>,
    context: &Context,
    key: &str,
    entry: &CacheEntry,
) -> Response {
    if let Some(guard) = segment.cache.refresh(key) {
        let refresh = Regenerate {
            key: key.to_string(),
            params: context.all_params().clone(),
            completion: Completion::Refresh(guard),
        };
        actix_rt::spawn(regenerate(
            segment.clone(),
            context.revalidator().clone(),
            refresh,
        ));
    }
    let ttl = segment.cache.ttl(entry);
    from_cached(&entry.response, CacheStatus::Stale { ttl })
}

/// Regenerates `key` for this request, or waits for the request already
/// doing it. Waiters are handed only an answer that was stored; one made
/// for its own visitor sends each of them to run their own, as does a
/// leader slower than the lock timeout. After `revalidate_path` the
/// previous entry is the fallback if regeneration fails (stale-if-error).
async fn fill(
    segment: &Arc<ServedSegment>,
    mut request: Request,
    mut context: Context,
    mut key: String,
    previous: Option<Arc<CacheEntry>>,
) -> Response {
    let mut timed_out = false;
    let mut guard = loop {
        match segment.cache.fill(&key) {
            Fill::Ready(entry) => return hit(&entry),
            Fill::Wait(waiter) => match waiter.wait().await {
                Waited::Filled(Filled::Shared(response)) => {
                    return from_cached(&response, CacheStatus::Collapsed)
                }
                // It varies on request headers: this request's own variant.
                Waited::Filled(Filled::Variant) => key = request_key(segment, &request),
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
    if let Some(mut lead) = guard.take() {
        match lead.from_peers().await {
            Some(entry) => {
                lead.share(&entry);
                return match segment.cache.is_fresh(&entry) {
                    true => from_cached(&entry.response, CacheStatus::Hit),
                    false => start_refresh(segment, &context, &key, &entry),
                };
            }
            None => guard = Some(lead),
        }
    }
    let reads = watch_reads(segment, &mut request, &mut context);
    let headers = request.sent_headers().clone();
    let response = segment.run_get(request, context).await;
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
    add_cache_control(segment, &mut made);
    let revalidated = previous.is_some();
    if let Some(previous) = previous.filter(|_| made.status.is_server_error()) {
        tracing::warn!(route = segment.route(), key, status = %made.status, "regeneration failed; serving the last good response");
        let ttl = segment.cache.ttl(&previous);
        return from_cached(&previous.response, CacheStatus::StaleOnError { ttl });
    }
    let status =
        match guard.map(|guard| guard.complete_for_request(made.clone(), |n| headers.get(n))) {
            Some(Ok(())) if revalidated => CacheStatus::Revalidated { stored: true },
            Some(Ok(())) => CacheStatus::Miss { stored: true },
            Some(Err(why)) => CacheStatus::NotStored(why),
            None if timed_out => CacheStatus::LockTimeout,
            None => CacheStatus::Miss { stored: false },
        };
    from_cached(&made, status)
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
    } = regenerate;
    // Another instance sharing the cache may have made it, or be making it.
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
    let mut request = Request::without_visitor(uri, headers.clone(), segment.public_url());
    let mut context = Context::new(
        params,
        revalidator,
        CookieStore::default(),
        request.shared_headers(),
    );
    let reads = watch_reads(&segment, &mut request, &mut context);
    let response = segment.run_get(request, context).await;
    let made = into_cached(response).map(|mut made| {
        let read = uncovered_read(&segment, reads.as_deref(), &made);
        add_cache_control(&segment, &mut made);
        (made, read)
    });
    match (completion, made) {
        (Completion::Refresh(guard), Ok((_, Some(read)))) => {
            guard.fail(&format!("the route reads request data ({read})"))
        }
        (Completion::Fill(guard), Ok((_, Some(_)))) => guard.not_shared(),
        (Completion::Refresh(guard), Ok((made, None))) => guard.complete(made),
        (Completion::Fill(guard), Ok((made, None))) => {
            if let Err(why) = guard.complete_for_request(made, |n| headers.get(n)) {
                tracing::warn!(
                    route = segment.route(),
                    key,
                    reason = why.detail(),
                    "a prerendered response may not be stored"
                );
            }
        }
        (Completion::Refresh(guard), Err(_)) => guard.fail("a streamed response cannot be cached"),
        (Completion::Fill(guard), Err(_)) => {
            guard.not_shared();
            tracing::warn!(
                route = segment.route(),
                key,
                "a streamed response cannot be cached"
            );
        }
    }
}

/// The response as the cache stores it; a streamed response comes back
/// unchanged, as it cannot be stored.
fn into_cached(response: Response) -> Result<CachedResponse, Response> {
    let (status, headers, body) = response.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(bytes) | Body::Bytes(bytes) => bytes,
        Body::Stream(stream) => {
            return Err(Response::from_parts(status, headers, Body::Stream(stream)));
        }
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

/// The `Cache-Control` Next.js sends for the segment's config, on an
/// answer that may be stored and chose none of its own.
fn add_cache_control(segment: &ServedSegment, made: &mut CachedResponse) {
    let chosen = made.headers.iter().any(|(n, _)| n == header::CACHE_CONTROL);
    if chosen || !made.is_storable() {
        return;
    }
    if let Some(cache_control) = segment.cache.cache_control() {
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

fn from_cached(cached: &CachedResponse, status: CacheStatus) -> Response {
    let mut headers = HeaderMap::with_capacity(cached.headers.len() + 1);
    for (name, value) in &cached.headers {
        headers.append(name.clone(), value.clone());
    }
    headers.insert(CACHE_STATUS, status.header_value());
    Response::from_parts(cached.status, headers, Body::Bytes(cached.body.clone()))
}
