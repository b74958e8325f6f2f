//! The supervisor: starts every segment's actor on each HTTP worker (and has
//! actix restart one that stops), gives each worker its server's data
//! cache, applies on-demand revalidation to the shared cache (here and,
//! through Redis, on every instance: of a path, of every path of a route
//! pattern or under a prefix through the routes' page tags, of a tag stale
//! or expired now, by the profile given), prerenders
//! `generate_static_params` at start-up, and on a timer has segment actors
//! refresh requested entries whose period is over, so popular responses are
//! renewed without a request waiting.
//!
//! It owns the addresses of every worker's segment actors, which background
//! regenerations go to (route futures run on a worker's thread), and runs
//! on a thread of its own, so a revalidation never holds up a worker.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext, Handler, Message, ResponseFuture};
use trellis_cache::{canonical_path, key_path, page_tag, CachePolicy, Fill, RevalidationCache};
#[cfg(feature = "redis")]
use trellis_cache::{SharedEvent, SharedStore};
use trellis_routes::RoutePattern;

use crate::api::cache_profile::CacheProfile;
use crate::api::data_cache;
use crate::api::request_error::RevalidateReason;
use crate::api::revalidator::{PathKind, Revalidator};
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::data_cache::WorkerDataCache;
use crate::runtime::local_segment::LocalSegment;
#[cfg(feature = "redis")]
use crate::runtime::messages::PeerRevalidation;
use crate::runtime::messages::{
    Completion, Regenerate, RevalidatePath, RevalidateTag, Revalidated,
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

    /// Called in each worker's app factory: gives the worker's thread its
    /// server's data cache (where `trellis::fetch` and `memo` find it),
    /// starts one actor per segment on it (an actor that stops is
    /// restarted in place and keeps its address), and registers them.
    /// Returns the actors the worker dispatches to, by `SegmentId`.
    pub(crate) fn start_worker(
        supervisor: &Addr<Supervisor>,
        routes: &AppRoutes,
    ) -> Vec<LocalSegment> {
        data_cache::install(Rc::new(WorkerDataCache::new(
            routes.data.clone(),
            routes.site.clone(),
        )));
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

    /// One timer tick: refresh what is due, each key once. Data is made
    /// again by the requests that use it, never here; its backoffs that
    /// are over and whose key has gone are dropped.
    fn refresh_due(&mut self) {
        self.routes.data.prune_backoffs();
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

/// One mark a revalidation makes, here and on every instance.
enum Mark {
    /// The entries of one path (its query keys and variants) and the data
    /// made for them expire now: in memory by the path's keys and tag, in
    /// Redis by the path's set, which that data joins.
    Path(String),
    /// The entries carrying a tag, responses and data alike, are stale.
    StaleTag(String),
    /// The entries carrying a tag expire now: the next request waits.
    ExpiredTag(String),
}

impl Supervisor {
    /// What `revalidate_path(path, kind)` marks: a path's entries and the
    /// data made for them; every entry of a route pattern, data included
    /// (the route's page tag); or that for every route at or under a
    /// pattern. All expire now: the next request waits.
    fn path_marks(&self, path: &str, kind: PathKind) -> Vec<Mark> {
        if kind == PathKind::Path {
            // Both tiers key entries by the path's canonical spelling.
            return vec![Mark::Path(canonical_path(key_path(path)).into_owned())];
        }
        let wanted = match RoutePattern::parse(path) {
            Ok(wanted) => wanted,
            Err(error) => {
                tracing::warn!(path = ?path, %kind, %error, "revalidate_path: not a route pattern; nothing marked");
                return Vec::new();
            }
        };
        self.routes
            .table
            .routes()
            .iter()
            .filter(|route| match kind {
                PathKind::Page => route.pattern == wanted,
                _ => route.pattern.segments().starts_with(wanted.segments()),
            })
            .map(|route| Mark::ExpiredTag(page_tag(&route.pattern.to_string())))
            .collect()
    }

    /// How `revalidate_tag` marks, by the profile's `expire`: 0 expires
    /// now, anything else marks stale (Next.js's `"max"`). `None` for a
    /// profile that does not exist.
    fn tag_mark(&self, tag: String, profile: &CacheProfile) -> Option<Mark> {
        let life = match profile {
            CacheProfile::Named(name) => self.routes.services.cache_config.profile(name)?,
            CacheProfile::Life(life) => *life,
        };
        Some(match life.expire {
            Some(0) => Mark::ExpiredTag(tag),
            _ => Mark::StaleTag(tag),
        })
    }
}

/// Applies `marks` on every instance sharing the cache, then here: Redis
/// is told (and tells the others) before the reply, so what the caller
/// asks next, of any instance, sees the revalidation; the reply says
/// whether Redis took every mark. Redis first: marked here before, an
/// entry could be filled again from Redis's old copy.
async fn revalidate(cache: Arc<RevalidationCache>, marks: Vec<Mark>) -> Revalidated {
    #[cfg(feature = "redis")]
    let shared = match cache.shared() {
        Some(shared) => {
            let mut reached = true;
            for mark in &marks {
                reached &= publish(shared, mark).await;
            }
            Some(reached)
        }
        None => None,
    };
    // A build without the shared tier has no Redis to reach.
    #[cfg(not(feature = "redis"))]
    let shared = None;
    Revalidated {
        entries: marks.iter().map(|mark| mark_here(&cache, mark)).sum(),
        shared,
    }
}

/// Has Redis apply `mark` and tell the other instances; whether it took it.
#[cfg(feature = "redis")]
async fn publish(shared: &SharedStore, mark: &Mark) -> bool {
    match mark {
        Mark::Path(path) => shared.revalidate_path(path).await,
        Mark::StaleTag(tag) => shared.revalidate_tag(tag).await,
        Mark::ExpiredTag(tag) => shared.expire_tag(tag).await,
    }
}

/// Applies `mark` to this instance's memory; the entries marked.
fn mark_here(cache: &RevalidationCache, mark: &Mark) -> usize {
    match mark {
        Mark::Path(path) => cache.revalidate_path(path),
        Mark::StaleTag(tag) => cache.revalidate_tag(tag),
        Mark::ExpiredTag(tag) => cache.expire_tag(tag),
    }
}

impl Handler<RevalidatePath> for Supervisor {
    type Result = ResponseFuture<Revalidated>;

    /// Here, and on every instance sharing the cache. A call that marks
    /// nothing is logged: a mistyped path or pattern looks like success.
    fn handle(&mut self, message: RevalidatePath, _: &mut Self::Context) -> Self::Result {
        let marks = self.path_marks(&message.path, message.kind);
        let revalidated = revalidate(self.routes.cache.clone(), marks);
        let RevalidatePath { path, kind } = message;
        Box::pin(async move {
            let done = revalidated.await;
            if done.entries == 0 {
                tracing::warn!(path = ?path, %kind, "revalidate_path marked no entry on this instance");
            }
            done
        })
    }
}

impl Handler<RevalidateTag> for Supervisor {
    type Result = ResponseFuture<Revalidated>;

    /// Here, and on every instance sharing the cache, as for paths.
    fn handle(&mut self, message: RevalidateTag, _: &mut Self::Context) -> Self::Result {
        let RevalidateTag { tag, profile } = message;
        let Some(mark) = self.tag_mark(tag.clone(), &profile) else {
            tracing::warn!(tag = ?tag, ?profile, "revalidate_tag: no such cache profile; nothing marked");
            // Nothing went to Redis either: there is no reach to report.
            let nothing = Revalidated {
                entries: 0,
                shared: None,
            };
            return Box::pin(async move { nothing });
        };
        let revalidated = revalidate(self.routes.cache.clone(), vec![mark]);
        Box::pin(async move {
            let done = revalidated.await;
            if done.entries == 0 {
                tracing::warn!(tag = ?tag, "revalidate_tag marked no entry on this instance");
            }
            done
        })
    }
}

#[cfg(feature = "redis")]
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
            SharedEvent::ExpiredTag(tag) => {
                cache.expire_tag(&tag);
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
