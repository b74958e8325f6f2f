//! `SegmentActor`: serves one segment on one HTTP worker thread. It owns no
//! state of its own (the cache is shared): it is where a segment's route
//! functions run, because their futures are not `Send` and stay on the
//! worker thread that starts them. Requests arrive as `Dispatch`, and
//! background regenerations (the timer's refreshes, prerendering) as
//! `Regenerate`.

use std::sync::Arc;

use actix::{Actor, Handler, Supervised};
use futures_util::future::Either;
use tracing::Instrument;

use crate::api::revalidator::Revalidator;
use crate::runtime::cached;
use crate::runtime::messages::{Dispatch, Regenerate};
use crate::runtime::served_segment::{Answer, ServedSegment};

/// One segment's actor on one worker. One instance per worker keeps the hop
/// from the worker to the actor on the same thread, the cheapest message
/// send actix has.
pub(crate) struct SegmentActor {
    segment: Arc<ServedSegment>,
    revalidator: Revalidator,
}

impl SegmentActor {
    pub(crate) fn new(segment: Arc<ServedSegment>, revalidator: Revalidator) -> Self {
        SegmentActor {
            segment,
            revalidator,
        }
    }
}

impl Actor for SegmentActor {
    type Context = actix::Context<Self>;
}

impl Supervised for SegmentActor {
    fn restarting(&mut self, _: &mut actix::Context<Self>) {
        tracing::warn!(
            route = self.segment.route(),
            "segment actor stopped; restarting it"
        );
    }
}

impl Handler<Dispatch> for SegmentActor {
    type Result = ();

    /// A cacheable GET goes the cached way, anything else the plain way. A
    /// route function that answers without waiting (most do) is answered
    /// here and now; one that waits runs as its own task on this worker, so
    /// it never holds up the requests queued behind it. That task is
    /// dropped if the client goes away first, unless it answers the cached
    /// way: a regeneration others wait for, or that fills the cache, runs
    /// on.
    fn handle(&mut self, dispatch: Dispatch, _: &mut actix::Context<Self>) {
        let Dispatch {
            method,
            mut request,
            params,
            lookup,
            reply,
        } = dispatch;
        let segment = &self.segment;
        let cancellable = lookup.is_none();
        let extensions = request.take_extensions();
        let answer = match segment.context_for(&request, params, self.revalidator.clone()) {
            Err(not_found) => Answer::Ready(not_found),
            Ok(context) => {
                let context = context.with_extensions(extensions);
                match lookup {
                    Some(lookup) => {
                        let segment = segment.clone();
                        Answer::poll_once(Box::pin(async move {
                            cached::respond(&segment, request, context, lookup).await
                        }))
                    }
                    None => segment.respond(method, request, context),
                }
            }
        };
        // A closed reply is a client gone before its answer: nothing to do.
        match answer {
            Answer::Ready(response) => {
                let _ = reply.send(response);
            }
            Answer::Pending(answer) if cancellable => {
                let task = async move {
                    let mut reply = reply;
                    let answered = {
                        let gone = std::pin::pin!(reply.closed());
                        match futures_util::future::select(answer, gone).await {
                            Either::Left((response, _)) => Some(response),
                            // The client went away: the route function is dropped.
                            Either::Right(_) => None,
                        }
                    };
                    if let Some(response) = answered {
                        let _ = reply.send(response);
                    }
                };
                actix_rt::spawn(task.instrument(tracing::Span::current()));
            }
            Answer::Pending(answer) => {
                let task = async move {
                    let _ = reply.send(answer.await);
                };
                actix_rt::spawn(task.instrument(tracing::Span::current()));
            }
        }
    }
}

impl Handler<Regenerate> for SegmentActor {
    type Result = ();

    /// The timer's refreshes and start-up prerendering run here, on a worker,
    /// because route functions' futures stay on the thread that starts them.
    fn handle(&mut self, regenerate: Regenerate, _: &mut actix::Context<Self>) {
        actix_rt::spawn(cached::regenerate(
            self.segment.clone(),
            self.revalidator.clone(),
            regenerate,
        ));
    }
}
