//! The supervisor: starts every segment's actor on each HTTP worker (and has
//! actix restart one that stops), applies on-demand revalidation to the
//! shared cache (here and, through Redis, on every instance), prerenders
//! `generate_static_params` at start-up, and on a timer has segment actors
//! refresh requested entries whose period is over, so popular responses are
//! renewed without a request waiting.
//!
//! It owns the addresses of every worker's segment actors, which background
//! regenerations go to (route futures run on a worker's thread), and runs
//! on a thread of its own, so a revalidation never holds up a worker.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Handler, Message, ResponseFuture};
use trellis_cache::{canonical_path, key_path, CachePolicy, Fill, SharedEvent};

use crate::api::request_error::RevalidateReason;
use crate::api::revalidator::Revalidator;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::local_segment::LocalSegment;
use crate::runtime::messages::{
    Completion, PeerRevalidation, Regenerate, RevalidatePath, RevalidateTag, Revalidated,
};
use crate::runtime::readiness::Readiness;
use crate::runtime::segment_actor::SegmentActor;

/// An HTTP worker tells the supervisor the addresses of the segment actors
/// it started, indexed by `SegmentId`.
pub(crate) struct RegisterWorker {
    pub actors: Vec<Addr<SegmentActor>>,
}

impl Message for RegisterWorker {
    type Result = ();
}

/// Owns the view of every worker's segment actors.
pub(crate) struct Supervisor {
    routes: Arc<AppRoutes>,
    /// Per worker, its actors indexed by `SegmentId`.
    workers: Vec<Vec<Addr<SegmentActor>>>,
    /// Round-robin position, so background work spreads over the workers.
    next_worker: usize,
    tick: Option<Duration>,
    /// Told of prerendering, which the server is not ready before.
    readiness: Arc<Readiness>,
}

impl Supervisor {
    pub(crate) fn new(
        routes: Arc<AppRoutes>,
        tick: Option<Duration>,
        readiness: Arc<Readiness>,
    ) -> Self {
        Supervisor {
            routes,
            workers: Vec::new(),
            next_worker: 0,
            tick,
            readiness,
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
        let revalidator = Supervisor::revalidator(supervisor);
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

    /// What route functions revalidate through: this supervisor.
    pub(crate) fn revalidator(supervisor: &Addr<Supervisor>) -> Revalidator {
        Revalidator::new(
            supervisor.clone().recipient(),
            supervisor.clone().recipient(),
        )
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
            let params = match self.routes.table.match_path(key_path(&key)) {
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
                    reason: Some(RevalidateReason::Timer),
                    prerender: None,
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
                // The key a request for it will look up.
                let path = canonical_path(&path).into_owned();
                let (Fill::Lead(guard), Some(actor)) =
                    (segment.cache.fill(&path), self.actor_for(index))
                else {
                    continue;
                };
                actor.do_send(Regenerate {
                    key: path,
                    params: params.clone(),
                    completion: Completion::Fill(guard),
                    reason: None,
                    prerender: Some(self.readiness.prerender_ticket()),
                });
            }
        }
        self.readiness.prerender_started();
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

impl Handler<RevalidatePath> for Supervisor {
    type Result = ResponseFuture<Revalidated>;

    /// Here, and on every instance sharing the cache: Redis is told (and
    /// tells the others) before the reply, so what the caller asks next,
    /// of any instance, sees the revalidation; the reply says whether
    /// Redis took it. Redis first: marked here before, an entry could be
    /// filled again from Redis's old copy.
    fn handle(&mut self, message: RevalidatePath, _: &mut Self::Context) -> Self::Result {
        // Both tiers key entries by the path's canonical spelling.
        let path = canonical_path(key_path(&message.path)).into_owned();
        let cache = self.routes.cache.clone();
        Box::pin(async move {
            let shared = match cache.shared() {
                Some(shared) => Some(shared.revalidate_path(&path).await),
                None => None,
            };
            Revalidated {
                entries: cache.revalidate_path(&path),
                shared,
            }
        })
    }
}

impl Handler<RevalidateTag> for Supervisor {
    type Result = ResponseFuture<Revalidated>;

    /// Here, and on every instance sharing the cache, as for paths.
    fn handle(&mut self, message: RevalidateTag, _: &mut Self::Context) -> Self::Result {
        let cache = self.routes.cache.clone();
        Box::pin(async move {
            let shared = match cache.shared() {
                Some(shared) => Some(shared.revalidate_tag(&message.tag).await),
                None => None,
            };
            Revalidated {
                entries: cache.revalidate_tag(&message.tag),
                shared,
            }
        })
    }
}

impl Handler<PeerRevalidation> for Supervisor {
    type Result = ();

    /// Another instance revalidated: apply it to this one's memory tier
    /// only (Redis already knows).
    fn handle(&mut self, message: PeerRevalidation, _: &mut Self::Context) {
        let cache = &self.routes.cache;
        match message.0 {
            SharedEvent::Tag(tag) => {
                cache.revalidate_tag(&tag);
            }
            SharedEvent::Path(path) => {
                cache.revalidate_path(&path);
            }
            SharedEvent::AllPaths => {
                for segment in cache.segments() {
                    segment.invalidate_all();
                }
            }
        }
    }
}
