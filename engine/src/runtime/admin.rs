//! The engine's own endpoints, answered before route matching: Prometheus
//! metrics (the cache's, the data cache's, the requests', the `after()`
//! callbacks'), and on-demand revalidation for operators and the CLI
//! (`trellis revalidate`): `?path=` (with `&type=page` or `&type=layout`
//! for a route pattern or a prefix), or `?tag=` (with `&profile=NAME`,
//! `max` unless given, or `&expire=0` to expire now). Both need the admin
//! token (the metrics not when
//! `metrics_public`); see `admin_access` for the rule. Every revalidation,
//! and every refusal, is logged with the peer's address. With a Redis tier
//! a revalidation's answer says whether it reached the other instances. The
//! probes load balancers send are `readiness`'s, answered before these.

use std::sync::Arc;

use actix::Addr;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpRequest;

use crate::api::cache_profile::CacheProfile;
use crate::api::method;
use crate::api::request::SearchParams;
use crate::api::response::Response;
use crate::api::revalidator::PathKind;
use crate::runtime::admin_access::{AdminAccess, Refusal};
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::messages::{RevalidatePath, RevalidateTag};
use crate::runtime::readiness::Readiness;
use crate::runtime::request_metrics::RequestMetrics;
use crate::runtime::supervisor::Supervisor;
use trellis_config::{CacheConfig, CacheLife, Config};

/// Where `trellis revalidate` posts.
pub const REVALIDATE_ENDPOINT: &str = "/_trellis/revalidate";

pub(crate) struct EngineEndpoints {
    metrics_path: Option<String>,
    metrics_public: bool,
    access: AdminAccess,
    /// `None` when `[admin] metrics` is off: then nothing is counted.
    requests: Option<Arc<RequestMetrics>>,
    pub readiness: Arc<Readiness>,
}

impl EngineEndpoints {
    pub(crate) fn new(config: &Config, routes: &AppRoutes, readiness: Arc<Readiness>) -> Self {
        let requests = config.admin.metrics.then(|| {
            let patterns = routes
                .table
                .routes()
                .iter()
                .map(|r| r.pattern.to_string())
                .collect();
            Arc::new(RequestMetrics::new(
                patterns,
                config.admin.duration_buckets_us.clone(),
            ))
        });
        EngineEndpoints {
            metrics_path: config
                .admin
                .metrics
                .then(|| config.admin.metrics_path.clone()),
            metrics_public: config.admin.metrics_public,
            access: AdminAccess::new(config.admin.token.clone()),
            requests,
            readiness,
        }
    }

    /// Where a worker counts its requests; `None` when metrics are off.
    pub(crate) fn request_metrics(&self) -> Option<&Arc<RequestMetrics>> {
        self.requests.as_ref()
    }

    /// Whether `path` is one of the engine's endpoints.
    pub(crate) fn serves(&self, path: &str) -> bool {
        self.metrics_path.as_deref() == Some(path) || path == REVALIDATE_ENDPOINT
    }

    /// The engine's answer to `req`, for a path it [`serves`](Self::serves).
    pub(crate) async fn answer(
        &self,
        req: &HttpRequest,
        routes: &AppRoutes,
        supervisor: &Addr<Supervisor>,
    ) -> Response {
        if self.metrics_path.as_deref() == Some(req.path()) {
            self.metrics(req, routes)
        } else {
            self.revalidate(req, routes, supervisor).await
        }
    }

    fn metrics(&self, req: &HttpRequest, routes: &AppRoutes) -> Response {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return method::not_allowed(&HeaderValue::from_static("GET, HEAD"));
        }
        let checked = match self.metrics_public {
            true => Ok(()),
            false => self.access.check(req),
        };
        if let Err(refusal) = checked {
            return refused(req, refusal);
        }
        let mut text = routes.cache.render_metrics();
        text.push_str(&routes.data.render_metrics());
        if let Some(requests) = &self.requests {
            requests.render(&mut text);
        }
        routes.services.after.render(&mut text);
        let mut response = Response::text(text);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        response
    }

    async fn revalidate(
        &self,
        req: &HttpRequest,
        routes: &AppRoutes,
        supervisor: &Addr<Supervisor>,
    ) -> Response {
        if req.method() != Method::POST {
            return method::not_allowed(&HeaderValue::from_static("POST"));
        }
        if let Err(refusal) = self.access.check(req) {
            return refused(req, refusal);
        }
        let query = SearchParams::parse(req.query_string());
        let (kind, name, done) = match (query.get("path"), query.get("tag")) {
            (Some(path), _) => {
                let kind = match query.get("type").map_or(Ok(PathKind::Path), str::parse) {
                    Ok(kind) => kind,
                    Err(problem) => return Response::json_error(StatusCode::BAD_REQUEST, &problem),
                };
                let message = RevalidatePath {
                    path: path.to_string(),
                    kind,
                };
                ("path", path, supervisor.send(message).await)
            }
            (None, Some(tag)) => {
                let profile = match tag_profile(&query, &routes.services.cache_config) {
                    Ok(profile) => profile,
                    Err(problem) => return Response::json_error(StatusCode::BAD_REQUEST, problem),
                };
                let message = RevalidateTag {
                    tag: tag.to_string(),
                    profile,
                };
                ("tag", tag, supervisor.send(message).await)
            }
            (None, None) => {
                tracing::info!(peer = %peer(req), "admin revalidation without ?path= or ?tag=");
                return Response::json_error(StatusCode::BAD_REQUEST, "give ?path= or ?tag=");
            }
        };
        match done {
            Ok(done) => {
                let shared = done.shared.map(|reached| match reached {
                    true => "reached",
                    false => "pending",
                });
                // `?`: the name is the client's, and Debug escapes it.
                tracing::info!(peer = %peer(req), kind, name = ?name, entries = done.entries, shared, "admin revalidation");
                Response::json(&revalidated(done.entries, shared))
            }
            Err(error) => {
                tracing::error!(peer = %peer(req), kind, name = ?name, %error, "the supervisor did not take a revalidation");
                Response::json_error(StatusCode::SERVICE_UNAVAILABLE, "revalidation unavailable")
            }
        }
    }
}

/// `&profile=NAME` (`max` when absent: Next.js's stale-while-revalidate),
/// or `&expire=SECONDS`; a profile that does not exist is the caller's
/// mistake, said before anything is marked.
fn tag_profile(query: &SearchParams, cache: &CacheConfig) -> Result<CacheProfile, &'static str> {
    match (query.get("profile"), query.get("expire")) {
        (Some(_), Some(_)) => Err("give ?profile= or ?expire=, not both"),
        (Some(name), None) => match cache.profile(name) {
            Some(_) => Ok(CacheProfile::from(name)),
            None => Err("no such cache profile (Next.js's presets, or [cache.profiles])"),
        },
        (None, Some(seconds)) => match seconds.parse() {
            Ok(seconds) => Ok(CacheLife::default().with_expire(seconds).into()),
            Err(_) => Err("?expire= is a number of seconds"),
        },
        (None, None) => Ok(CacheProfile::from("max")),
    }
}

/// The answer to a revalidation: the entries marked here and, with a Redis
/// tier, whether it `reached` the other instances or is `pending` (kept,
/// and sent when Redis returns).
fn revalidated(entries: usize, shared: Option<&str>) -> serde_json::Value {
    let mut answer = serde_json::json!({ "revalidated": true, "entries": entries });
    if let Some(shared) = shared {
        answer["shared"] = shared.into();
    }
    answer
}

/// The 403 for a refused call, logged with its reason (never the token).
fn refused(req: &HttpRequest, refusal: Refusal) -> Response {
    tracing::warn!(
        peer = %peer(req),
        endpoint = req.path(),
        query = ?req.query_string(),
        reason = refusal.reason(),
        "admin call refused"
    );
    Response::json_error(StatusCode::FORBIDDEN, refusal.message())
}

/// The client's address as the socket has it, for the log.
fn peer(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_string(), |peer| peer.to_string())
}
