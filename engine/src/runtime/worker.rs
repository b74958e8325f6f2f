//! A request's answer on an HTTP worker: routed (`routing`), then waited
//! for where it is not known at once (the segment actor, an engine
//! endpoint, an upstream server), with the headers the rules and the proxy
//! add; then delivery (form, 304), a span and a log line, and the request
//! counted.

use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::body::{BodyStream, BoxBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{StatusCode, Uri};
use actix_web::{HttpMessage, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tracing::field::Empty;
use tracing::{Instrument, Span};
use trellis_cache::CACHE_STATUS;
use trellis_routes::RouteMatch;
use url::Url;

use crate::api::method::HttpMethod;
use crate::api::request::Request;
use crate::api::response::{Body, Response};
use crate::api::signal::AbortOnDrop;
use crate::runtime::delivery::{self, Wants};
use crate::runtime::messages::CacheLookup;
use crate::runtime::request_metrics::WorkerMetrics;
use crate::runtime::routing::{self, Added, RouteLabel, Routed, Routing, ToSegment};
use crate::runtime::sent_body::SentBody;
use crate::runtime::served_segment::ServedSegment;
use crate::runtime::upload;
use crate::runtime::upstream::Forwarded;
use crate::runtime::worker_state::WorkerState;

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
    let mut added = Added::default();
    let routed = match routing::route(&req, &worker, &wants, &mut added) {
        Routing::Routed(routed) => routed,
        // Boxed: only requests the proxy covers carry its state.
        Routing::ToProxy(to) => {
            Box::pin(routing::through_proxy(
                to, &mut req, &worker, &wants, &mut added,
            ))
            .await
        }
    };
    let (label, mut response, abort) = match routed {
        Routed::Answered(label, response) => (label, response, None),
        Routed::Endpoint => {
            let answer = worker
                .endpoints
                .answer(req.request(), &worker.routes, &worker.supervisor);
            (RouteLabel::none(&worker), answer.await, None)
        }
        Routed::Segment(to) => {
            let label = to.label;
            let (response, abort) = to_segment(&mut req, &worker, to, &mut added).await;
            (label, response, abort)
        }
        Routed::Upstream(label, url) => {
            // Boxed: only rewrites to another server carry the client's state.
            let forwarded = Box::pin(to_upstream(&mut req, &worker, url));
            (label, forwarded.await, None)
        }
    };
    worker
        .routes
        .rules
        .add_headers(&added.headers, &mut response);
    if let Some(changes) = added.proxy.take() {
        changes.apply_to_response(&mut response);
    }
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

/// The segment actor's answer, CORS-labelled, and for a request that
/// reached the route the guard that aborts it if the client goes away
/// before its answer is sent. The route gets the request headers as the
/// proxy left them and the values it handed over, from `added`.
async fn to_segment(
    req: &mut ServiceRequest,
    worker: &WorkerState,
    to: ToSegment<'_>,
    added: &mut Added,
) -> (Response, Option<AbortOnDrop>) {
    // Taken apart at once: the futures below hold only what they use.
    let ToSegment {
        segment,
        matched,
        method,
        lookup,
        cors,
        uri,
        ..
    } = to;
    let routed = Dispatched {
        segment,
        matched,
        method,
        lookup,
        uri,
    };
    let (mut response, abort) = match dispatch(req, worker, routed, added).await {
        Ok((response, abort)) => (response, Some(abort)),
        Err(refused) => (refused, None),
    };
    if let Some(cors) = &cors {
        cors.decorate(&mut response);
    }
    (response, abort)
}

/// What the segment actor is sent, beside the request.
struct Dispatched<'w> {
    segment: &'w ServedSegment,
    matched: RouteMatch,
    method: HttpMethod,
    lookup: Option<CacheLookup>,
    uri: Option<Box<Uri>>,
}

/// Reads the body (or, for a route that streams it, starts forwarding
/// it), sends the request to the actor and awaits the reply.
async fn dispatch(
    req: &mut ServiceRequest,
    worker: &WorkerState,
    to: Dispatched<'_>,
    added: &mut Added,
) -> Result<(Response, AbortOnDrop), Response> {
    let Dispatched {
        segment: served,
        matched,
        method,
        lookup,
        uri,
    } = to;
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
        uri.map_or_else(|| req.uri().clone(), |uri| *uri),
        std::mem::take(req.headers_mut()),
        body,
        origin,
    );
    if let Some(changes) = added.proxy.as_mut() {
        request = request.with_extensions(std::mem::take(&mut changes.extensions));
    }
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

/// A rewrite to another server: the request's body streamed there as it
/// arrives, the answer streamed back.
async fn to_upstream(req: &mut ServiceRequest, worker: &WorkerState, url: Url) -> Response {
    let Some(upstream) = &worker.routes.upstream else {
        tracing::error!(
            "a rewrite to another server, and no client for it: this is a bug in Trellis"
        );
        return Response::empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let payload = req.take_payload();
    let headers = req.headers();
    let peer = req.peer_addr().map(|peer| peer.ip());
    let origin = worker.routes.site.visitor(peer);
    let base = origin.base(headers);
    let forwarded = Forwarded {
        peer,
        base: &base,
        from_trusted_proxy: origin.through_trusted_proxy(),
    };
    upstream
        .forward(url, req.method(), headers, payload, forwarded)
        .await
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
