//! The cache's side of answering a GET: fresh hits, stale hits that start
//! one refresh, misses regenerated once for every request waiting, and the
//! background regeneration the timer and prerendering ask for.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::http::{Method, Uri};
use bytes::Bytes;
use trellis_cache::{
    CacheEntry, CachePolicy, CacheStatus, CachedResponse, Fill, Lookup, PeerRefresh,
};

use crate::context::{Context, Revalidator};
use crate::cookies::CookieStore;
use crate::messages::{CacheLookup, Completion, Regenerate};
use crate::request::Request;
use crate::response::{Body, Response};
use crate::segment::ServedSegment;

/// RFC 9211's header: what the cache did for this response.
pub(crate) const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

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
    let CacheLookup { key, found } = lookup;
    match found {
        Lookup::Fresh(entry) => hit(&entry),
        Lookup::Stale(entry) => start_refresh(segment, &context, &key, &entry),
        Lookup::Miss => fill(segment, request, context, &key, None).await,
        Lookup::Invalidated(previous) => {
            fill(segment, request, context, &key, Some(previous)).await
        }
    }
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
/// doing it. After `revalidate_path` the previous entry is the fallback if
/// regeneration fails (stale-if-error).
async fn fill(
    segment: &Arc<ServedSegment>,
    request: Request,
    context: Context,
    key: &str,
    previous: Option<Arc<CacheEntry>>,
) -> Response {
    let mut guard = loop {
        match segment.cache.fill(key) {
            Fill::Ready(entry) => return hit(&entry),
            Fill::Wait(waiter) => match waiter.wait().await {
                Some(response) => return from_cached(&response, CacheStatus::Collapsed),
                // The leader gave up without a response: lead in its place.
                None => continue,
            },
            Fill::Lead(guard) => break guard,
        }
    };
    if let Some(entry) = guard.from_peers().await {
        guard.share(&entry);
        return match segment.cache.is_fresh(&entry) {
            true => from_cached(&entry.response, CacheStatus::Hit),
            false => start_refresh(segment, &context, key, &entry),
        };
    }
    let response = segment.run_get(request, context).await;
    let made = match to_cached(response, segment.cache.policy()) {
        Ok(made) => made,
        // A stream cannot be shared or stored: waiting requests run their own.
        Err(mut streamed) => {
            drop(guard);
            let status = CacheStatus::Miss { stored: false };
            streamed
                .headers_mut()
                .insert(CACHE_STATUS, status.header_value());
            return streamed;
        }
    };
    let revalidated = previous.is_some();
    if let Some(previous) = previous.filter(|_| !made.is_storable()) {
        tracing::warn!(route = segment.route(), key, status = %made.status, "regeneration failed; serving the last good response");
        let ttl = segment.cache.ttl(&previous);
        return from_cached(&previous.response, CacheStatus::StaleOnError { ttl });
    }
    let stored = guard.complete(made.clone());
    let status = if revalidated {
        CacheStatus::Revalidated { stored }
    } else {
        CacheStatus::Miss { stored }
    };
    from_cached(&made, status)
}

/// Runs the GET function for `key` with no client request behind it (as
/// Next.js regenerates), and hands the response to the completion.
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
    let made = match key.parse::<Uri>() {
        Ok(uri) => {
            let request = Request::new(Method::GET, uri, HeaderMap::new(), Bytes::new());
            let context = Context::new(params, revalidator, CookieStore::default());
            let response = segment.run_get(request, context).await;
            to_cached(response, segment.cache.policy())
        }
        Err(error) => {
            tracing::error!(route = segment.route(), key, %error, "cannot regenerate a key that is not a URI");
            return;
        }
    };
    match (completion, made) {
        (Completion::Refresh(guard), Ok(made)) => guard.complete(made),
        (Completion::Fill(guard), Ok(made)) => {
            guard.complete(made);
        }
        (Completion::Refresh(guard), Err(_)) => guard.fail("a streamed response cannot be cached"),
        (Completion::Fill(_), Err(_)) => {
            tracing::warn!(
                route = segment.route(),
                key,
                "a streamed response cannot be cached"
            );
        }
    }
}

/// The response as the cache stores it, with the `Cache-Control` Next.js
/// sends for the segment's config unless the handler chose its own; a
/// streamed response comes back unchanged, as it cannot be stored.
fn to_cached(response: Response, policy: CachePolicy) -> Result<CachedResponse, Response> {
    let (status, headers, body) = response.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(bytes) | Body::Bytes(bytes) => bytes,
        Body::Stream(stream) => {
            return Err(Response::from_parts(status, headers, Body::Stream(stream)));
        }
    };
    let mut cached = CachedResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        body,
    };
    if cached.is_storable() && !headers.contains_key(header::CACHE_CONTROL) {
        if let Some(cache_control) = policy.cache_control() {
            cached.headers.push((header::CACHE_CONTROL, cache_control));
        }
    }
    Ok(cached)
}

fn from_cached(cached: &CachedResponse, status: CacheStatus) -> Response {
    let mut headers = HeaderMap::with_capacity(cached.headers.len() + 1);
    for (name, value) in &cached.headers {
        headers.append(name.clone(), value.clone());
    }
    headers.insert(CACHE_STATUS, status.header_value());
    Response::from_parts(cached.status, headers, Body::Bytes(cached.body.clone()))
}
