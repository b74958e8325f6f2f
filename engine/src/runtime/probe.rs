//! In-process dispatch for the micro benchmarks (`benches/micro.rs`): one
//! request sent to a segment's actor, and the same request answered by a
//! direct call of the segment, so the message hop can be measured alone.
//! Hidden from the docs: route functions never need it.

use std::sync::Arc;

use actix::Actor;
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, Uri};
use bytes::Bytes;
use trellis_cache::Clock;
use trellis_config::Config;
use trellis_routes::Params;

use crate::api::method::HttpMethod;
use crate::api::request::Request;
use crate::api::response::Response;
use crate::api::revalidator::Revalidator;
use crate::api::router::Router;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::local_segment::LocalSegment;
use crate::runtime::served_segment::ServedSegment;
use crate::runtime::supervisor::Supervisor;

/// The first route of a router, served both ways.
///
/// Must be made and used inside a running actix system, as a worker is.
pub struct SegmentProbe {
    segment: Arc<ServedSegment>,
    actor: LocalSegment,
    revalidator: Revalidator,
    params: Params,
    uri: Uri,
}

impl SegmentProbe {
    /// Builds `router` with the default config, starts its supervisor and
    /// segment actors on this thread, and matches `path` once for all.
    pub fn start(router: Router, path: &'static str) -> Result<Self, Box<dyn std::error::Error>> {
        let routes = Arc::new(AppRoutes::build(router, &Config::default(), Clock::System)?);
        let uri = Uri::from_static(path);
        let matched = routes
            .table
            .match_path(uri.path())
            .ok()
            .flatten()
            .ok_or_else(|| format!("no route matches {path}"))?;
        let supervisor = Supervisor::new(routes.clone(), None, Arc::default()).start();
        let mut actors = Supervisor::start_worker(&supervisor, &routes);
        let index = matched.segment.index();
        Ok(SegmentProbe {
            segment: routes.segments[index].clone(),
            actor: actors.swap_remove(index),
            revalidator: Supervisor::revalidator(&supervisor),
            params: matched.params,
            uri,
        })
    }

    /// A GET answered as a worker answers it: by message to the actor.
    pub async fn through_actor(&self) -> Response {
        let reply = self
            .actor
            .dispatch(HttpMethod::Get, self.request(), self.params.clone(), None);
        match reply.await {
            Ok(response) => response,
            Err(error) => panic!("segment actor dropped the request: {error}"),
        }
    }

    /// The same GET answered by calling the segment on this task.
    pub async fn direct(&self) -> Response {
        let request = self.request();
        let context =
            match self
                .segment
                .context_for(&request, self.params.clone(), self.revalidator.clone())
            {
                Ok(context) => context,
                Err(refused) => return refused,
            };
        self.segment
            .respond(HttpMethod::Get, request, context)
            .into_response()
            .await
    }

    fn request(&self) -> Request {
        Request::new(
            Method::GET,
            self.uri.clone(),
            HeaderMap::new(),
            Bytes::new(),
            crate::api::origin::Origin::Visitor {
                peer: None,
                proxies: None,
            },
        )
    }
}
