//! A request's way through an HTTP worker: canonical path, match, body,
//! `Dispatch` to the segment actor, response, delivery (form, 304), a span
//! and a log line, and the request counted.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;
use actix_web::body::{BodyStream, BoxBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{StatusCode, Uri};
use actix_web::{HttpMessage, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tracing::field::Empty;
use tracing::{Instrument, Span};
use trellis_cache::{Lookup, RecentHits, CACHE_STATUS};
use trellis_config::{CorsPolicy, LimitsConfig};
use trellis_routes::RouteMatch;

use crate::api::method::{self, HttpMethod};
use crate::api::request::Request;
use crate::api::response::{Body, Response};
use crate::api::signal::AbortOnDrop;
use crate::runtime::admin::EngineEndpoints;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::cached;
use crate::runtime::cors;
use crate::runtime::delivery::{self, Wants};
use crate::runtime::draft_cookie;
use crate::runtime::guard;
use crate::runtime::local_segment::LocalSegment;
use crate::runtime::messages::CacheLookup;
use crate::runtime::request_metrics::WorkerMetrics;
use crate::runtime::sent_body::SentBody;
use crate::runtime::served_segment::ServedSegment;
use crate::runtime::supervisor::Supervisor;
use crate::runtime::upload;

/// What each HTTP worker holds: the shared routes, its own segment actors
/// (indexed by `SegmentId`), the cache hits it served a moment ago, and
/// its block of request counts (none when metrics are off).
pub(crate) struct WorkerState {
    pub routes: Arc<AppRoutes>,
    pub segments: Vec<LocalSegment>,
    pub recent_hits: RefCell<RecentHits>,
    pub supervisor: Addr<Supervisor>,
    pub endpoints: Arc<EngineEndpoints>,
    pub limits: LimitsConfig,
    pub metrics: Option<Arc<WorkerMetrics>>,
}

/// The one actix-web service: every request comes through here, in a span
/// of its own (named `GET /route` for OpenTelemetry once routed). It takes the
/// `ServiceRequest` itself so the request's headers can be moved into the
/// route function's `Request` instead of copied.
pub(crate) fn serve(
    req: ServiceRequest,
    worker: Rc<WorkerState>,
) -> impl Future<Output = Result<ServiceResponse, actix_web::Error>> {
    let span = tracing::info_span!(
        "request",
        otel.kind = "server",
        http.request.method = %req.method(),
        url.path = req.path(),
        http.route = Empty,
        http.response.status_code = Empty,
        trellis.cache = Empty,
        micros = Empty,
    );
    answer(req, worker, span.clone()).instrument(span)
}

async fn answer(
    mut req: ServiceRequest,
    worker: Rc<WorkerState>,
    span: Span,
) -> Result<ServiceResponse, actix_web::Error> {
    let counted = worker.metrics.as_deref().map(WorkerMetrics::begin);
    let logged = tracing::enabled!(tracing::Level::INFO);
    // The clock is read only for the metrics or the log line.
    let started = match &counted {
        Some(counted) => Some(counted.started()),
        None => (logged || !span.is_disabled()).then(Instant::now),
    };
    let compress = worker.routes.services.compress;
    let wants = Wants::of(req.method(), req.headers(), compress);
    let (label, response, abort) = match route(&req, &worker, &wants) {
        Routed::Answered(label, response) => (label, response, None),
        Routed::Endpoint => {
            let answer = worker
                .endpoints
                .answer(req.request(), &worker.routes, &worker.supervisor);
            (RouteLabel::none(&worker), answer.await, None)
        }
        Routed::Segment(to) => {
            let label = to.label;
            let (response, abort) = to_segment(&mut req, &worker, to).await;
            (label, response, abort)
        }
    };
    let mut response = response;
    worker.routes.rules.add_headers(req.path(), &mut response);
    let response = delivery::deliver(response, &wants, compress);
    let status = response.status();
    if let Some(counted) = counted {
        let method =
            HttpMethod::from_method(req.method()).map_or(HttpMethod::ALL.len(), |m| m.index());
        counted.finish(label.index, method, status);
    }
    let micros = started.map_or(0, |started| started.elapsed().as_micros() as u64);
    if !span.is_disabled() {
        #[cfg(feature = "otel")]
        crate::runtime::telemetry::name_span(&span, format!("{} {}", req.method(), label.pattern));
        span.record("http.route", label.pattern);
        span.record("http.response.status_code", status.as_u16());
        span.record("micros", micros);
        if let Some(cache) = response
            .headers()
            .get(CACHE_STATUS)
            .and_then(|v| v.to_str().ok())
        {
            span.record("trellis.cache", cache);
        }
    }
    if logged {
        tracing::info!(
            method = %req.method(),
            path = req.path(),
            route = label.pattern,
            status = status.as_u16(),
            micros,
            "request"
        );
    }
    Ok(req.into_response(into_http(response, abort)))
}

/// The matched route of a request, for its metrics and its span: the
/// pattern and its slot (`-` and the last slot when none matched).
#[derive(Clone, Copy)]
struct RouteLabel<'w> {
    index: usize,
    pattern: &'w str,
}

impl<'w> RouteLabel<'w> {
    fn none(worker: &WorkerState) -> Self {
        RouteLabel {
            index: worker.routes.segments.len(),
            pattern: "-",
        }
    }

    fn of(index: usize, segment: &'w ServedSegment) -> Self {
        RouteLabel {
            index,
            pattern: segment.route(),
        }
    }
}

/// Where a request goes, decided without waiting. Most answers are known
/// here (refusals, probes, redirects, 404s, preflights, fresh cache hits);
/// only the engine's endpoints and the segment actors are waited for.
enum Routed<'w> {
    /// The response, and the matched route.
    Answered(RouteLabel<'w>, Response),
    Endpoint,
    Segment(ToSegment<'w>),
}

/// A request for a segment's actor, matched and looked up in the cache.
struct ToSegment<'w> {
    segment: &'w ServedSegment,
    label: RouteLabel<'w>,
    matched: RouteMatch,
    method: HttpMethod,
    lookup: Option<CacheLookup>,
    cors: Option<Cors<'w>>,
}

/// A segment's CORS policy, and the request's origin to answer it with.
struct Cors<'w> {
    policy: &'w CorsPolicy,
    origin: Option<HeaderValue>,
}

impl Cors<'_> {
    fn decorate(&self, response: &mut Response) {
        cors::decorate(self.policy, self.origin.as_ref(), response);
    }
}

fn route<'w>(req: &ServiceRequest, worker: &'w WorkerState, wants: &Wants) -> Routed<'w> {
    let unmatched = RouteLabel::none(worker);
    let Some(method) = HttpMethod::from_method(req.method()) else {
        return Routed::Answered(unmatched, method::unknown_method());
    };
    if let Some(refused) = guard::check(req.request(), &worker.limits) {
        return Routed::Answered(unmatched, refused);
    }
    // Before the Host check: load balancers probe with a Host of their own.
    if let Some(probe) = worker.endpoints.readiness.probe(req.request()) {
        return Routed::Answered(unmatched, probe);
    }
    if let Some(refused) = worker.routes.site.refuses_host(req.headers()) {
        return Routed::Answered(unmatched, refused);
    }
    if let Some(location) = canonical_location(req.uri()) {
        return Routed::Answered(unmatched, permanent_redirect(&location));
    }
    if let Some(redirect) = worker.routes.rules.redirect(req.path(), req.uri().query()) {
        return Routed::Answered(unmatched, redirect);
    }
    if worker.endpoints.serves(req.path()) {
        return Routed::Endpoint;
    }
    let matched = match worker.routes.table.match_path(req.path()) {
        Ok(Some(matched)) => matched,
        Ok(None) => {
            let not_found = Response::json_error(StatusCode::NOT_FOUND, "not found");
            return Routed::Answered(unmatched, not_found);
        }
        Err(error) => {
            let bad = Response::json_error(StatusCode::BAD_REQUEST, &error.to_string());
            return Routed::Answered(unmatched, bad);
        }
    };
    let index = matched.segment.index();
    let segment = &worker.routes.segments[index];
    let label = RouteLabel::of(index, segment);
    let cors = match segment.cors() {
        Some(policy) => {
            if let Some(preflight) =
                cors::preflight(policy, req.method(), req.headers(), segment.allow())
            {
                return Routed::Answered(label, preflight);
            }
            // The headers move into the route function's request: keep the origin.
            let origin = req.headers().get(header::ORIGIN).cloned();
            Some(Cors { policy, origin })
        }
        None => None,
    };
    // A request in draft mode goes past the cache, as in Next.js.
    let cached = segment.caches(method)
        && !draft_cookie::carries(req.headers(), &worker.routes.services.draft);
    // A fresh hit is answered here, with no hop to the actor: it must cost
    // no more than the cheapest handler.
    let lookup = if cached {
        let headers = req.headers();
        let key = segment
            .cache
            .key(req.path(), req.uri().query(), |name| headers.get(name));
        let found = worker.recent_hits.borrow_mut().lookup(&segment.cache, &key);
        if let Lookup::Fresh(entry) = &found {
            let mut response = cached::hit(segment, entry, wants.accept());
            if let Some(cors) = &cors {
                cors.decorate(&mut response);
            }
            return Routed::Answered(label, response);
        }
        Some(CacheLookup {
            key: key.into_owned(),
            found,
            accept: wants.accept(),
        })
    } else {
        None
    };
    Routed::Segment(ToSegment {
        segment,
        label,
        matched,
        method,
        lookup,
        cors,
    })
}

/// The segment actor's answer, CORS-labelled, and for a request that
/// reached the route the guard that aborts it if the client goes away
/// before its answer is sent.
async fn to_segment(
    req: &mut ServiceRequest,
    worker: &WorkerState,
    to: ToSegment<'_>,
) -> (Response, Option<AbortOnDrop>) {
    let ToSegment {
        segment,
        matched,
        method,
        lookup,
        cors,
        ..
    } = to;
    let (mut response, abort) = match dispatch(req, worker, segment, matched, method, lookup).await
    {
        Ok((response, abort)) => (response, Some(abort)),
        Err(refused) => (refused, None),
    };
    if let Some(cors) = &cors {
        cors.decorate(&mut response);
    }
    (response, abort)
}

/// Reads the body (or, for a route that streams it, starts forwarding
/// it), sends the request to the actor and awaits the reply.
async fn dispatch(
    req: &mut ServiceRequest,
    worker: &WorkerState,
    served: &ServedSegment,
    matched: RouteMatch,
    method: HttpMethod,
    lookup: Option<CacheLookup>,
) -> Result<(Response, AbortOnDrop), Response> {
    let payload = req.take_payload();
    let limit = served.body_limit().unwrap_or(worker.limits.body_bytes);
    let timeout = worker.limits.body_timeout();
    let (body, streamed) = match served.streams_body() {
        true => {
            if declared_length(req.headers()).is_some_and(|len| len > limit as u64) {
                return Err(too_large(limit));
            }
            (Bytes::new(), Some(upload::forward(payload, limit, timeout)))
        }
        false => (
            read_body(req.headers(), payload, limit, timeout).await?,
            None,
        ),
    };
    let origin = worker
        .routes
        .site
        .visitor(req.peer_addr().map(|peer| peer.ip()));
    let mut request = Request::new(
        req.method().clone(),
        req.uri().clone(),
        std::mem::take(req.headers_mut()),
        body,
        origin,
    );
    if let Some(streamed) = streamed {
        request.stream_body(streamed);
    }
    // Dropped with this future when the client goes away: `req.signal()`.
    let abort = AbortOnDrop::new(request.head().clone());
    let segment = &worker.segments[matched.segment.index()];
    match segment
        .dispatch(method, request, matched.params, lookup)
        .await
    {
        Ok(response) => Ok((response, abort)),
        Err(error) => {
            tracing::error!(route = served.route(), %error, "segment actor dropped a request");
            Ok((
                Response::json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "route temporarily unavailable",
                ),
                abort,
            ))
        }
    }
}

/// Where a path with a trailing or doubled slash, or a backslash, belongs,
/// as Next.js redirects it: `\` read as `/` (browsers read it so), slashes
/// collapsed, the trailing one dropped, query kept. The result starts with
/// one `/` and a segment, never `//` or `/\`, which a browser would take
/// for another host (`/\evil.example` is `http://evil.example/`). An
/// encoded `%5C` is no separator and stays as it is.
fn canonical_location(uri: &Uri) -> Option<String> {
    let path = uri.path();
    let doubled = || path.as_bytes().windows(2).any(|pair| pair == b"//");
    let needs_redirect = path.contains('\\') || (path != "/" && (path.ends_with('/') || doubled()));
    if !needs_redirect {
        return None;
    }
    let mut location: String = path
        .split(['/', '\\'])
        .filter(|s| !s.is_empty())
        .flat_map(|s| ["/", s])
        .collect();
    if location.is_empty() {
        location.push('/');
    }
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    Some(location)
}

fn permanent_redirect(location: &str) -> Response {
    Response::to_location(StatusCode::PERMANENT_REDIRECT, location).unwrap_or_else(|| {
        Response::json_error(StatusCode::BAD_REQUEST, "invalid characters in path")
    })
}

/// Reads the body up to `limit` bytes; a larger one is refused with 413
/// before it is read when `Content-Length` says so, and as soon as it
/// passes the limit otherwise. A body still arriving after `timeout` is a
/// 408 (a slow client must not hold a worker's memory).
async fn read_body(
    headers: &HeaderMap,
    payload: Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Response> {
    // Most requests (every GET) have no body: no read, no timer. actix has
    // already told from the headers (a zero Content-Length included).
    if matches!(payload, Payload::None) {
        return Ok(Bytes::new());
    }
    let declared = declared_length(headers);
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    // Sized from Content-Length: actix's own collector starts every body of
    // unknown size at 32 KiB, and allocator traffic of that size per request
    // costs more than the rest of a small POST.
    let capacity = declared
        .map_or(0, |len| len as usize)
        .min(MAX_INITIAL_BODY_CAPACITY);
    // Boxed: a timer is large, and every request's future would carry it.
    let collected = Box::pin(actix_rt::time::timeout(
        timeout,
        collect_body(payload, capacity, limit),
    ));
    match collected.await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BodyError::TooLarge)) => Err(too_large(limit)),
        Ok(Err(BodyError::Read(error))) => Err(Response::json_error(
            StatusCode::BAD_REQUEST,
            &format!("cannot read body: {error}"),
        )),
        Err(_) => Err(Response::json_error(
            StatusCode::REQUEST_TIMEOUT,
            "body not received within the time limit",
        )),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

fn too_large(limit: usize) -> Response {
    Response::json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("body larger than the limit of {limit} bytes"),
    )
}

/// A declared length is a promise, not a body: at most this much is
/// reserved before the bytes arrive.
const MAX_INITIAL_BODY_CAPACITY: usize = 64 * 1024;

enum BodyError {
    TooLarge,
    Read(actix_web::error::PayloadError),
}

async fn collect_body(
    mut payload: Payload,
    capacity: usize,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(BodyError::Read)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The response for actix. A body whose sending something waits on (the
/// request's `after()` callbacks; for a stream, `req.signal()`) is wrapped
/// to tell it; any other body goes as it is, and the abort guard of an
/// answer sent whole is disarmed.
fn into_http(mut response: Response, abort: Option<AbortOnDrop>) -> HttpResponse {
    let on_sent = response.delivery.on_sent.take();
    let (status, headers, body) = response.into_parts();
    let streamed = matches!(body, Body::Stream(_));
    let body = match body {
        Body::Empty => BoxBody::new(()),
        Body::Text(bytes) | Body::Bytes(bytes) => BoxBody::new(bytes),
        Body::Stream(chunks) => {
            // actix wants errors without `Send + Sync`; the coercion drops them.
            let chunks = chunks.map(|chunk| chunk.map_err(|e| -> Box<dyn std::error::Error> { e }));
            BoxBody::new(BodyStream::new(chunks))
        }
    };
    let abort = match abort {
        Some(abort) if streamed => Some(abort),
        Some(abort) => {
            abort.disarm();
            None
        }
        None => None,
    };
    let body = match (on_sent, abort) {
        (None, None) => body,
        (on_sent, abort) => BoxBody::new(SentBody::new(body, on_sent, abort)),
    };
    let mut http = HttpResponse::with_body(status, body);
    *http.headers_mut() = headers;
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(uri: &'static str) -> Option<String> {
        canonical_location(&Uri::from_static(uri))
    }

    #[test]
    fn trailing_and_doubled_slashes_redirect_keeping_the_query() {
        assert_eq!(location("/api/hello/"), Some("/api/hello".into()));
        assert_eq!(location("/api//hello?x=1"), Some("/api/hello?x=1".into()));
        assert_eq!(location("//evil.example/"), Some("/evil.example".into()));
        assert_eq!(location("///"), Some("/".into()));
        assert_eq!(location("/"), None);
        assert_eq!(location("/api/hello?x=/"), None);
    }

    #[test]
    fn a_backslash_is_a_slash_so_no_location_names_another_host() {
        assert_eq!(location("/\\evil.example/"), Some("/evil.example".into()));
        assert_eq!(location("/\\/evil.example"), Some("/evil.example".into()));
        assert_eq!(location("/\\\\evil.example"), Some("/evil.example".into()));
        assert_eq!(location("/a\\b?q=\\"), Some("/a/b?q=\\".into()));
        assert_eq!(location("/\\"), Some("/".into()));
        for uri in ["/\\evil.example/", "//\\evil.example", "/\\/\\x/"] {
            let location = location(uri).unwrap();
            assert!(
                !location.starts_with("//") && !location.starts_with("/\\"),
                "{uri}: {location}"
            );
        }
    }

    #[test]
    fn an_encoded_backslash_is_no_separator() {
        assert_eq!(location("/%5Cevil.example"), None);
        assert_eq!(
            location("/%5Cevil.example/"),
            Some("/%5Cevil.example".into())
        );
    }
}
