//! Whether this instance should be sent traffic, for load balancers:
//! `/_trellis/health` answers while the process serves at all, and
//! `/_trellis/ready` once prerendering is done, until SIGTERM starts the
//! drain. Both are open, without the admin token, as probes send none.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, StatusCode};
use actix_web::HttpRequest;

use crate::api::method;
use crate::api::response::Response;

pub(crate) const HEALTH_ENDPOINT: &str = "/_trellis/health";
pub(crate) const READY_ENDPOINT: &str = "/_trellis/ready";

#[derive(Debug, Default)]
pub(crate) struct Readiness {
    /// Every prerendering has been handed out.
    prerender_started: AtomicBool,
    /// Prerenderings handed out and not yet done.
    prerendering: AtomicUsize,
    draining: AtomicBool,
}

/// One prerendering under way; done when dropped, whatever its outcome.
#[derive(Debug)]
pub(crate) struct PrerenderTicket(Arc<Readiness>);

impl Drop for PrerenderTicket {
    fn drop(&mut self) {
        self.0.prerendering.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Readiness {
    pub(crate) fn prerender_ticket(self: &Arc<Self>) -> PrerenderTicket {
        self.prerendering.fetch_add(1, Ordering::SeqCst);
        PrerenderTicket(self.clone())
    }

    /// Every prerendering has its ticket: ready once they are done.
    pub(crate) fn prerender_started(&self) {
        self.prerender_started.store(true, Ordering::SeqCst);
    }

    /// SIGTERM: not ready from now on.
    pub(crate) fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Why this instance is not ready, if it is not.
    fn not_ready(&self) -> Option<&'static str> {
        if self.draining.load(Ordering::SeqCst) {
            Some("draining")
        } else if !self.prerender_started.load(Ordering::SeqCst)
            || self.prerendering.load(Ordering::SeqCst) > 0
        {
            Some("prerendering")
        } else {
            None
        }
    }

    /// The answer to a probe, or `None` for any other path.
    pub(crate) fn probe(&self, req: &HttpRequest) -> Option<Response> {
        let ready = match req.path() {
            HEALTH_ENDPOINT => None,
            READY_ENDPOINT => Some(self.not_ready()),
            _ => return None,
        };
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Some(method::not_allowed(&HeaderValue::from_static("GET, HEAD")));
        }
        Some(match ready {
            None => Response::json(&serde_json::json!({ "status": "ok" })),
            Some(None) => Response::json(&serde_json::json!({ "ready": true })),
            Some(Some(reason)) => {
                Response::json(&serde_json::json!({ "ready": false, "reason": reason }))
                    .with_status(StatusCode::SERVICE_UNAVAILABLE)
            }
        })
    }
}
