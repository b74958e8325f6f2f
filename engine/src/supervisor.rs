//! The supervisor: starts every segment's actor on each HTTP worker (and has
//! actix restart one that stops), fans on-demand revalidation out to the
//! segments concerned, prerenders `generate_static_params` at start-up, and
//! on a timer has the segments refresh requested entries whose period is
//! over, so popular responses are renewed without a request waiting.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Handler, ResponseFuture};
use trellis_cache::{CachePolicy, Fill, SharedEvent};

use crate::context::Revalidator;
use crate::local_segment::LocalSegment;
use crate::messages::{
    Completion, PeerRevalidation, Regenerate, RegisterWorker, RevalidatePath, RevalidateTag,
};
use crate::router::AppRoutes;
use crate::segment::SegmentActor;

/// Owns the view of every worker's segment actors.
pub(crate) struct Supervisor {
    routes: Arc<AppRoutes>,
    /// Per worker, its actors indexed by `SegmentId`.
    workers: Vec<Vec<Addr<SegmentActor>>>,
    /// Round-robin position, so background work spreads over the workers.
    next_worker: usize,
    tick: Option<Duration>,
}

impl Supervisor {
    pub(crate) fn new(routes: Arc<AppRoutes>, tick: Option<Duration>) -> Self {
        Supervisor {
            routes,
            workers: Vec::new(),
            next_worker: 0,
            tick,
        }
    }

    /// Called in each worker's app factory: starts one actor per segment on
    /// that worker's thread (an actor that stops is restarted in place and
    /// keeps its address), and registers them. Returns the actors the
    /// worker dispatches to, by `SegmentId`.
    pub(crate) fn start_worker(
        supervisor: &Addr<Supervisor>,
        routes: &AppRoutes,
    ) -> Vec<LocalSegment> {
        let revalidator = Revalidator::new(supervisor.clone());
        let segments: Vec<_> = routes
            .segments
            .iter()
            .map(|segment| {
                LocalSegment::start(SegmentActor::new(segment.clone(), revalidator.clone()))
            })
            .collect();
        supervisor.do_send(RegisterWorker {
            actors: segments.iter().map(|s| s.addr().clone()).collect(),
        });
        segments
    }

    /// An actor of `segment`, on the next worker in turn.
    fn actor_for(&mut self, segment: usize) -> Option<Addr<SegmentActor>> {
        if self.workers.is_empty() {
            return None;
        }
        self.next_worker = (self.next_worker + 1) % self.workers.len();
        self.workers[self.next_worker].get(segment).cloned()
    }

    /// One timer tick: refresh what is due, each key once.
    fn refresh_due(&mut self) {
        for (segment, key) in self.routes.cache.due() {
            let Some(guard) = self.routes.cache.segment(segment).refresh(&key) else {
                continue;
            };
            let path = key.split('?').next().unwrap_or(&key);
            let params = match self.routes.table.match_path(path) {
                Ok(Some(matched)) if matched.segment.index() == segment => matched.params,
                _ => {
                    guard.fail("the key no longer matches its route");
                    continue;
                }
            };
            if let Some(actor) = self.actor_for(segment) {
                actor.do_send(Regenerate {
                    key,
                    params,
                    completion: Completion::Refresh(guard),
                });
            }
        }
    }

    /// Makes the entries `generate_static_params` lists, as `next build`
    /// prerenders them.
    fn prerender(&mut self) {
        let routes = self.routes.clone();
        for (index, segment) in routes.segments.iter().enumerate() {
            if segment.cache.policy() == CachePolicy::Bypass {
                continue;
            }
            let pattern = &routes.table.routes()[index].pattern;
            for params in segment.static_params() {
                let Some(path) = pattern.path_for(params) else {
                    tracing::warn!(
                        route = segment.route(),
                        ?params,
                        "static params do not fill the pattern"
                    );
                    continue;
                };
                let (Fill::Lead(guard), Some(actor)) =
                    (segment.cache.fill(&path), self.actor_for(index))
                else {
                    continue;
                };
                actor.do_send(Regenerate {
                    key: path,
                    params: params.clone(),
                    completion: Completion::Fill(guard),
                });
            }
        }
    }
}

impl Actor for Supervisor {
    type Context = actix::Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(tick) = self.tick {
            ctx.run_interval(tick, |supervisor, _| supervisor.refresh_due());
        }
    }
}

impl Handler<RegisterWorker> for Supervisor {
    type Result = ();

    /// The first worker's actors can prerender: nothing was cached before.
    fn handle(&mut self, message: RegisterWorker, _: &mut Self::Context) {
        self.workers.push(message.actors);
        if self.workers.len() == 1 {
            self.prerender();
        }
    }
}

impl Supervisor {
    /// Only the segment whose route matches the path holds its entries.
    fn revalidate_path_here(&mut self, message: RevalidatePath) -> ResponseFuture<usize> {
        let path = message.path.split('?').next().unwrap_or_default();
        let actor = match self.routes.table.match_path(path) {
            Ok(Some(matched)) => self.actor_for(matched.segment.index()),
            _ => None,
        };
        Box::pin(async move {
            match actor {
                Some(actor) => actor.send(message).await.unwrap_or(0),
                None => 0,
            }
        })
    }

    /// Every segment carrying the tag marks its entries stale.
    fn revalidate_tag_here(&mut self, tag: &str) -> ResponseFuture<usize> {
        let tagged: Vec<usize> = (0..self.routes.segments.len())
            .filter(|&i| self.routes.cache.segment(i).tags().iter().any(|t| t == tag))
            .collect();
        let sends: Vec<_> = tagged
            .into_iter()
            .filter_map(|i| self.actor_for(i))
            .map(|actor| {
                actor.send(RevalidateTag {
                    tag: tag.to_string(),
                })
            })
            .collect();
        Box::pin(async move {
            futures_util::future::join_all(sends)
                .await
                .into_iter()
                .map(|marked| marked.unwrap_or(0))
                .sum()
        })
    }
}

impl Handler<RevalidatePath> for Supervisor {
    type Result = ResponseFuture<usize>;

    /// Here, and on every instance sharing the cache: Redis is told (and
    /// tells the others) before the reply, so what the caller asks next,
    /// of any instance, sees the revalidation.
    fn handle(&mut self, message: RevalidatePath, _: &mut Self::Context) -> Self::Result {
        let shared = self.routes.cache.shared().cloned();
        let path = message.path.clone();
        let here = self.revalidate_path_here(message);
        Box::pin(async move {
            if let Some(shared) = shared {
                shared.revalidate_path(&path).await;
            }
            here.await
        })
    }
}

impl Handler<RevalidateTag> for Supervisor {
    type Result = ResponseFuture<usize>;

    /// Here, and on every instance sharing the cache, as for paths.
    fn handle(&mut self, message: RevalidateTag, _: &mut Self::Context) -> Self::Result {
        let shared = self.routes.cache.shared().cloned();
        let here = self.revalidate_tag_here(&message.tag);
        Box::pin(async move {
            if let Some(shared) = shared {
                shared.revalidate_tag(&message.tag).await;
            }
            here.await
        })
    }
}

impl Handler<PeerRevalidation> for Supervisor {
    type Result = ();

    /// Another instance revalidated: apply it to this one's memory tier
    /// only (Redis already knows).
    fn handle(&mut self, message: PeerRevalidation, ctx: &mut Self::Context) {
        let done = match message.0 {
            SharedEvent::Tag(tag) => self.revalidate_tag_here(&tag),
            SharedEvent::Path(path) => self.revalidate_path_here(RevalidatePath { path }),
            SharedEvent::AllPaths => {
                for segment in self.routes.cache.segments() {
                    segment.invalidate_all();
                }
                return;
            }
        };
        ctx.spawn(actix::fut::wrap_future(async move {
            done.await;
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cached::CACHE_STATUS;
    use crate::method::HttpMethod;
    use crate::request::Request;
    use crate::response::Response;
    use crate::router::Router;
    use crate::segment::Segment;
    use actix::{ActorContext, Message};
    use actix_web::http::header::HeaderMap;
    use actix_web::http::{Method, Uri};
    use bytes::Bytes;
    use trellis_cache::Clock;
    use trellis_config::Config;

    /// Makes a segment actor stop, as a fault would.
    struct Crash;

    impl Message for Crash {
        type Result = ();
    }

    impl Handler<Crash> for SegmentActor {
        type Result = ();

        fn handle(&mut self, _: Crash, ctx: &mut actix::Context<Self>) {
            ctx.stop();
        }
    }

    #[actix_rt::test]
    async fn a_stopped_segment_actor_is_restarted_and_serves_the_next_request() {
        let segment = Segment::new().get(|_, _| async { Ok(Response::text("alive")) });
        let routes = Router::new()
            .route("/", segment)
            .build(&Config::default(), Clock::System)
            .unwrap();
        let served = routes.segments[0].clone();
        let supervisor = Supervisor::new(Arc::new(routes), None).start();
        let actor = LocalSegment::start(SegmentActor::new(served, Revalidator::new(supervisor)));
        actor.addr().send(Crash).await.unwrap();
        let request = Request::new(
            Method::GET,
            Uri::from_static("/"),
            HeaderMap::new(),
            Bytes::new(),
            crate::origin::Origin::Visitor {
                peer: None,
                proxies: None,
            },
        );
        let response = actor
            .dispatch(HttpMethod::Get, request, Default::default(), None)
            .await
            .expect("the restarted actor answers");
        assert!(matches!(response.body(), crate::Body::Text(text) if text == "alive"));
        assert_eq!(
            response.headers().get(CACHE_STATUS).unwrap(),
            "trellis; fwd=bypass"
        );
    }
}
