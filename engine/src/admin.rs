//! The engine's own endpoints, answered before route matching: Prometheus
//! metrics, and on-demand revalidation for operators and the CLI
//! (`trellis revalidate`), allowed from loopback or with the admin token.

use actix::Addr;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpRequest;

use crate::messages::{RevalidatePath, RevalidateTag};
use crate::request::SearchParams;
use crate::response::Response;
use crate::router::AppRoutes;
use crate::supervisor::Supervisor;
use trellis_config::Config;

/// Where `trellis revalidate` posts.
pub const REVALIDATE_ENDPOINT: &str = "/_trellis/revalidate";

pub(crate) struct EngineEndpoints {
    metrics_path: Option<String>,
    admin_token: Option<String>,
}

impl EngineEndpoints {
    pub(crate) fn new(config: &Config) -> Self {
        EngineEndpoints {
            metrics_path: config
                .admin
                .metrics
                .then(|| config.admin.metrics_path.clone()),
            admin_token: config.admin.token.clone(),
        }
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
            metrics(req, routes)
        } else {
            self.revalidate(req, supervisor).await
        }
    }

    async fn revalidate(&self, req: &HttpRequest, supervisor: &Addr<Supervisor>) -> Response {
        if req.method() != Method::POST {
            return with_allow(StatusCode::METHOD_NOT_ALLOWED, "POST");
        }
        if !self.admits(req) {
            return Response::json_error(
                StatusCode::FORBIDDEN,
                "revalidation is allowed from loopback or with the admin token",
            );
        }
        let query = SearchParams::parse(req.query_string());
        let entries = match (query.get("path"), query.get("tag")) {
            (Some(path), _) => {
                supervisor
                    .send(RevalidatePath {
                        path: path.to_string(),
                    })
                    .await
            }
            (None, Some(tag)) => {
                supervisor
                    .send(RevalidateTag {
                        tag: tag.to_string(),
                    })
                    .await
            }
            (None, None) => {
                return Response::json_error(StatusCode::BAD_REQUEST, "give ?path= or ?tag=")
            }
        };
        match entries {
            Ok(entries) => {
                Response::json(&serde_json::json!({ "revalidated": true, "entries": entries }))
            }
            Err(error) => {
                tracing::error!(%error, "the supervisor did not take a revalidation");
                Response::json_error(StatusCode::SERVICE_UNAVAILABLE, "revalidation unavailable")
            }
        }
    }

    /// Loopback clients, or any client with `Authorization: Bearer <token>`.
    fn admits(&self, req: &HttpRequest) -> bool {
        if req.peer_addr().is_some_and(|peer| peer.ip().is_loopback()) {
            return true;
        }
        let offered = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match (&self.admin_token, offered) {
            (Some(token), Some(offered)) => constant_time_eq(token.as_bytes(), offered.as_bytes()),
            _ => false,
        }
    }
}

fn metrics(req: &HttpRequest, routes: &AppRoutes) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return with_allow(StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD");
    }
    let mut response = Response::text(routes.cache.render_metrics());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn with_allow(status: StatusCode, allow: &'static str) -> Response {
    let mut response = Response::empty(status);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Compares without returning early, so timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
