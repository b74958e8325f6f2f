//! Where a request goes, in Next.js's order: hygiene and the path's shape,
//! `[[headers]]` (found now, added to whatever answers), `[[redirects]]`,
//! the engine's endpoints, the proxy, `beforeFiles` rewrites, static
//! routes, `afterFiles` rewrites, dynamic routes, `fallback` rewrites; then
//! a preflight or a fresh cache hit answered at once, or what is left to
//! wait for: the segment actor, an engine endpoint, or the upstream of a
//! rewrite to another server. Without rules or a proxy, each of those
//! steps is one branch.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{StatusCode, Uri};
use bytes::Bytes;
use trellis_cache::Lookup;
use trellis_config::{CorsPolicy, Phase};
use trellis_routes::{percent, RouteMatch};
use url::Url;

use crate::api::method::{self, HttpMethod};
use crate::api::request::Request;
use crate::api::response::Response;
use crate::runtime::app_proxy::{rewrite_target, AppProxy, Decision, ProxyChanges};
use crate::runtime::cached;
use crate::runtime::cors;
use crate::runtime::delivery::Wants;
use crate::runtime::destination::Target;
use crate::runtime::draft_cookie;
use crate::runtime::guard;
use crate::runtime::messages::CacheLookup;
use crate::runtime::request_view::RequestView;
use crate::runtime::rules::MatchedHeaders;
use crate::runtime::served_segment::ServedSegment;
use crate::runtime::worker_state::WorkerState;

/// Where a request goes. Most answers are known while routing (refusals,
/// probes, redirects, 404s, preflights, fresh cache hits, the proxy's own);
/// only the engine's endpoints, the segment actors and upstreams are
/// waited for after it.
pub(crate) enum Routed<'w> {
    /// The response, and what answered.
    Answered(RouteLabel<'w>, Response),
    Endpoint,
    Segment(ToSegment<'w>),
    /// A rewrite to another server, and the rule (or proxy) that made it.
    Upstream(RouteLabel<'w>, Url),
}

/// A request for a segment's actor, matched and looked up in the cache.
pub(crate) struct ToSegment<'w> {
    pub segment: &'w ServedSegment,
    pub label: RouteLabel<'w>,
    pub matched: RouteMatch,
    pub method: HttpMethod,
    pub lookup: Option<CacheLookup>,
    pub cors: Option<Cors<'w>>,
    /// The URI the route sees, when it is not the one sent (base path,
    /// trailing slash or rewrite). Boxed, as what follows: rare, and every
    /// request carries the room.
    pub uri: Option<Box<Uri>>,
}

/// A segment's CORS policy, and the request's origin to answer it with.
pub(crate) struct Cors<'w> {
    policy: &'w CorsPolicy,
    origin: Option<HeaderValue>,
}

impl Cors<'_> {
    pub(crate) fn decorate(&self, response: &mut Response) {
        cors::decorate(self.policy, self.origin.as_ref(), response);
    }
}

/// What answered a request, for its metrics, span and log line: the
/// matched route's pattern and slot, or (in the last slot, which counts
/// what no route answered) `-`, the proxy or the rule that did.
#[derive(Clone, Copy)]
pub(crate) struct RouteLabel<'w> {
    pub index: usize,
    pub pattern: &'w str,
}

impl<'w> RouteLabel<'w> {
    /// No route matched, and nothing else answered for one.
    pub(crate) fn none(worker: &WorkerState) -> Self {
        RouteLabel::answered_by(worker, "-")
    }

    /// Answered without a route, by the proxy or the rule named `name`.
    fn answered_by(worker: &WorkerState, name: &'w str) -> Self {
        RouteLabel {
            index: worker.routes.segments.len(),
            pattern: name,
        }
    }

    /// The route in slot `index`.
    fn of(index: usize, segment: &'w ServedSegment) -> Self {
        RouteLabel {
            index,
            pattern: segment.route(),
        }
    }
}

/// What is added to whatever answers, once known: the headers of the
/// `[[headers]]` rules the request met, and what the proxy changes.
#[derive(Default)]
pub(crate) struct Added {
    pub headers: MatchedHeaders,
    pub proxy: Option<Box<ProxyChanges>>,
}

/// A request on its way: routed at once, or first to the proxy, which
/// may have to be waited for.
pub(crate) enum Routing<'w> {
    Routed(Routed<'w>),
    ToProxy(ToProxy<'w>),
}

/// A request the proxy covers, and what routing knew of it. It owns its
/// paths, so that the proxy can be handed the request's headers instead
/// of a copy of them.
pub(crate) struct ToProxy<'w> {
    proxy: &'w AppProxy,
    method: HttpMethod,
    /// The path as the proxy's matcher read it, and as sent.
    matched_path: String,
    app_path: String,
    endpoint: bool,
}

/// Everything before the answer that needs no waiting: hygiene, rules,
/// rewrites and the route match, unless the proxy covers the request. What
/// the rules add goes into `added`.
pub(crate) fn route<'w, 'r>(
    req: &'r ServiceRequest,
    worker: &'w WorkerState,
    wants: &'r Wants,
    added: &mut Added,
) -> Routing<'w> {
    let routes = &*worker.routes;
    let answered =
        |response: Response| Routing::Routed(Routed::Answered(RouteLabel::none(worker), response));
    let Some(method) = HttpMethod::from_method(req.method()) else {
        return answered(method::unknown_method());
    };
    if let Some(refused) = guard::check(req.request(), &worker.limits) {
        return answered(refused);
    }
    // Before the Host check: load balancers probe with a Host of their own.
    if let Some(probe) = worker.endpoints.readiness.probe(req.request()) {
        return answered(probe);
    }
    if let Some(refused) = routes.site.refuses_host(req.headers()) {
        return answered(refused);
    }
    if let Some(location) = routes.layout.redirect(req.uri()) {
        return answered(permanent_redirect(&location));
    }
    let app_path = routes.layout.app_path(req.path());
    let query = req.uri().query();
    // The path as rules and the proxy's matcher read it, when one may.
    let matched_path = match app_path {
        Some(path) if routes.watched.may_see(path) => match percent::decode_path(path) {
            Ok(path) => Some(path),
            Err(error) => return answered(bad_path(&error)),
        },
        _ => None,
    };
    let endpoint = worker.endpoints.serves(req.path());
    // One view for the rules and the proxy's matcher: cookies and query
    // parsed once, if a condition asks.
    let covered_by = match &matched_path {
        Some(path) => {
            let view = RequestView::new(Cow::Borrowed(path), req.headers(), query);
            added.headers = routes.rules.headers_for(&view);
            let base_path = routes.layout.base_path();
            let public_url = || routes.site.public_url();
            if let Some(redirect) = routes.rules.redirect(&view, base_path, &public_url) {
                return answered(redirect);
            }
            let proxy = routes.proxy.as_ref();
            proxy.filter(|proxy| proxy.covers(&view, endpoint))
        }
        None => None,
    };
    if let (Some(proxy), Some(matched_path), Some(app_path)) = (covered_by, matched_path, app_path)
    {
        return Routing::ToProxy(ToProxy {
            proxy,
            method,
            matched_path: matched_path.into_owned(),
            app_path: app_path.to_string(),
            endpoint,
        });
    }
    if endpoint {
        return Routing::Routed(Routed::Endpoint);
    }
    let Some(app_path) = app_path else {
        return answered(not_found());
    };
    let at = At::new(worker, req, req.headers(), method, wants);
    Routing::Routed(at.route(Cow::Borrowed(app_path), query.map(Cow::Borrowed)))
}

/// The proxy's decision for a request it covers, then the rest of routing
/// for a request it lets through. The proxy is handed the request's
/// headers, and they come back to `req` as it left them; what it adds to
/// the answer goes into `added`.
pub(crate) async fn through_proxy<'w>(
    to: ToProxy<'w>,
    req: &mut ServiceRequest,
    worker: &'w WorkerState,
    wants: &Wants,
    added: &mut Added,
) -> Routed<'w> {
    let ToProxy {
        proxy,
        method,
        matched_path,
        app_path,
        endpoint,
    } = to;
    let routes = &*worker.routes;
    let limit = || routes.max_duration_at(&app_path);
    let origin = routes.site.visitor(req.peer_addr().map(|peer| peer.ip()));
    let request = Request::new(
        req.method().clone(),
        req.uri().clone(),
        std::mem::take(req.headers_mut()),
        Bytes::new(),
        origin,
    );
    let head = Arc::clone(request.head());
    let (decision, changes) = proxy.run(request, &matched_path, limit).await;
    // The proxy's request is gone unless it kept it (in an `after()`, say).
    let mut headers = match Arc::try_unwrap(head) {
        Ok(head) => head.headers,
        Err(kept) => kept.headers.clone(),
    };
    changes.apply_to_request(&mut headers);
    *req.headers_mut() = headers;
    added.proxy = Some(Box::new(changes));
    let req = &*req;
    let by_proxy = RouteLabel::answered_by(worker, proxy.source());
    let mut path = Cow::Borrowed(app_path.as_str());
    let mut query = req.uri().query().map(Cow::Borrowed);
    match decision {
        Decision::Answer(response) => return Routed::Answered(by_proxy, response),
        Decision::Next if endpoint => return Routed::Endpoint,
        Decision::Next => {}
        Decision::Rewrite(url) => match rewrite_target(&url, query.as_deref()) {
            Err(refused) => return Routed::Answered(by_proxy, refused),
            Ok(Target::External(url)) => return Routed::Upstream(by_proxy, url),
            Ok(Target::App(to)) => (path, query) = split_target(to),
        },
    }
    At::new(worker, req, req.headers(), method, wants).route(path, query)
}

/// A path and its query, from a rewrite's target.
fn split_target(target: String) -> (Cow<'static, str>, Option<Cow<'static, str>>) {
    match target.split_once('?') {
        Some((path, query)) => (
            Cow::Owned(path.to_string()),
            Some(Cow::Owned(query.to_string())),
        ),
        None => (Cow::Owned(target), None),
    }
}

/// The request as routing sees it from the proxy on: the headers the
/// proxy may have changed.
struct At<'w, 'r> {
    worker: &'w WorkerState,
    req: &'r ServiceRequest,
    headers: &'r HeaderMap,
    method: HttpMethod,
    wants: &'r Wants,
}

/// What a phase of rewrites made of the request.
enum Step<'w> {
    Stay,
    /// Served as this path and query.
    Moved(Cow<'static, str>, Option<Cow<'static, str>>),
    /// Answered, or sent to another server. Boxed: rare, and a routed
    /// request is large.
    Out(Box<Routed<'w>>),
}

impl<'w, 'r> At<'w, 'r> {
    fn new(
        worker: &'w WorkerState,
        req: &'r ServiceRequest,
        headers: &'r HeaderMap,
        method: HttpMethod,
        wants: &'r Wants,
    ) -> Self {
        At {
            worker,
            req,
            headers,
            method,
            wants,
        }
    }

    /// Rewrites by phase around the route table: `beforeFiles`, static
    /// routes, `afterFiles`, dynamic routes, `fallback`, 404.
    fn route(&self, mut path: Cow<'_, str>, mut query: Option<Cow<'_, str>>) -> Routed<'w> {
        let routes = &*self.worker.routes;
        let unmatched = |response| Routed::Answered(RouteLabel::none(self.worker), response);
        // Without rewrites, the route table alone.
        if routes.rewrites.is_empty() {
            return match routes.table.match_path(&path) {
                Ok(Some(matched)) => self.to_segment(matched, &path, query.as_deref()),
                Ok(None) => unmatched(not_found()),
                Err(error) => unmatched(bad_path(&error)),
            };
        }
        match self.rewrite(Phase::BeforeFiles, &path, query.as_deref()) {
            Step::Stay => {}
            Step::Moved(to, q) => (path, query) = (to, q),
            Step::Out(routed) => return *routed,
        }
        let mut found = match routes.table.match_path(&path) {
            Ok(found) => found,
            Err(error) => return unmatched(bad_path(&error)),
        };
        if let Some(matched) = found.take_if(|m| routes.is_static(m)) {
            return self.to_segment(matched, &path, query.as_deref());
        }
        match self.rewrite(Phase::AfterFiles, &path, query.as_deref()) {
            Step::Stay => {}
            Step::Moved(to, q) => {
                (path, query) = (to, q);
                found = routes.table.match_path(&path).ok().flatten();
            }
            Step::Out(routed) => return *routed,
        }
        if let Some(matched) = found {
            return self.to_segment(matched, &path, query.as_deref());
        }
        match self.rewrite(Phase::Fallback, &path, query.as_deref()) {
            Step::Moved(to, q) => match routes.table.match_path(&to).ok().flatten() {
                Some(matched) => self.to_segment(matched, &to, q.as_deref()),
                None => unmatched(not_found()),
            },
            Step::Out(routed) => *routed,
            Step::Stay => unmatched(not_found()),
        }
    }

    fn rewrite(&self, phase: Phase, path: &str, query: Option<&str>) -> Step<'w> {
        let routes = &*self.worker.routes;
        if !routes.rewrites.any(phase) {
            return Step::Stay;
        }
        let Ok(matched) = percent::decode_path(path) else {
            return Step::Stay;
        };
        let view = RequestView::new(matched, self.headers, query);
        let public_url = || routes.site.public_url();
        let Some(rewritten) = routes.rewrites.apply(phase, &view, &public_url) else {
            return Step::Stay;
        };
        let by_rule = RouteLabel::answered_by(self.worker, rewritten.source);
        match rewritten.target {
            Ok(Target::App(to)) => {
                let (path, query) = split_target(to);
                Step::Moved(path, query)
            }
            Ok(Target::External(url)) => Step::Out(Box::new(Routed::Upstream(by_rule, url))),
            Err(_) => Step::Out(Box::new(Routed::Answered(
                by_rule,
                Response::json_error(StatusCode::BAD_REQUEST, "invalid rewrite destination"),
            ))),
        }
    }

    /// A matched segment: a CORS preflight or a fresh cache hit answered
    /// here, anything else on its way to the actor.
    fn to_segment(&self, matched: RouteMatch, path: &str, query: Option<&str>) -> Routed<'w> {
        let routes = &*self.worker.routes;
        let (req, headers, method) = (self.req, self.headers, self.method);
        let index = matched.segment.index();
        let segment = &routes.segments[index];
        let label = RouteLabel::of(index, segment);
        let cors = match segment.cors() {
            Some(policy) => {
                if let Some(preflight) =
                    cors::preflight(policy, req.method(), headers, segment.allow())
                {
                    return Routed::Answered(label, preflight);
                }
                // The headers move into the route function's request: keep the origin.
                let origin = headers.get(header::ORIGIN).cloned();
                Some(Cors { policy, origin })
            }
            None => None,
        };
        // A request in draft mode goes past the cache, as in Next.js.
        let cached =
            segment.caches(method) && !draft_cookie::carries(headers, &routes.services.draft);
        // A fresh hit is answered here, with no hop to the actor: it must cost
        // no more than the cheapest handler.
        let lookup = if cached {
            let key = segment.cache.key(path, query, |name| headers.get(name));
            let found = self
                .worker
                .recent_hits
                .borrow_mut()
                .lookup(&segment.cache, &key);
            if let Lookup::Fresh(entry) = &found {
                let mut response = cached::hit(segment, entry, self.wants.accept());
                if let Some(cors) = &cors {
                    cors.decorate(&mut response);
                }
                return Routed::Answered(label, response);
            }
            Some(CacheLookup {
                key: key.into_owned(),
                found,
                accept: self.wants.accept(),
            })
        } else {
            None
        };
        // The route sees the path it answers: as sent unless that differs.
        let uri = match path == req.path() && query == req.uri().query() {
            true => None,
            false => {
                let text = match query {
                    Some(query) => format!("{path}?{query}"),
                    None => path.to_string(),
                };
                match Uri::try_from(text) {
                    Ok(uri) => Some(Box::new(uri)),
                    Err(_) => return Routed::Answered(label, bad_path(&"invalid path")),
                }
            }
        };
        Routed::Segment(ToSegment {
            segment,
            label,
            matched,
            method,
            lookup,
            cors,
            uri,
        })
    }
}

fn not_found() -> Response {
    Response::json_error(StatusCode::NOT_FOUND, "not found")
}

fn bad_path(error: &dyn std::fmt::Display) -> Response {
    Response::json_error(StatusCode::BAD_REQUEST, &error.to_string())
}

fn permanent_redirect(location: &str) -> Response {
    Response::to_location(StatusCode::PERMANENT_REDIRECT, location).unwrap_or_else(|| {
        Response::json_error(StatusCode::BAD_REQUEST, "invalid characters in path")
    })
}
