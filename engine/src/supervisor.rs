//! The supervisor: starts every segment's actor on each HTTP worker and
//! restarts one that stops.

use std::sync::Arc;

use actix::{Addr, Recipient};

use crate::messages::Dispatch;
use crate::segment::{SegmentActor, ServedSegment};

/// Starts segment actors. Cloned into every worker's app factory.
#[derive(Clone)]
pub(crate) struct Supervisor {
    segments: Arc<[Arc<ServedSegment>]>,
}

impl Supervisor {
    pub(crate) fn new(segments: Arc<[Arc<ServedSegment>]>) -> Self {
        Supervisor { segments }
    }

    /// Starts one actor per segment on the calling worker's thread, under
    /// actix's supervision: an actor that stops is restarted in place and
    /// keeps its address, so the worker's recipients stay valid. Returns the
    /// recipients indexed by `SegmentId`.
    pub(crate) fn start_worker(&self) -> Vec<Recipient<Dispatch>> {
        self.segments
            .iter()
            .map(|segment| start_segment(segment.clone()).recipient())
            .collect()
    }
}

fn start_segment(segment: Arc<ServedSegment>) -> Addr<SegmentActor> {
    let actor = SegmentActor::new(segment);
    actix::Supervisor::start(move |_| actor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::HttpMethod;
    use crate::request::Request;
    use crate::response::Response;
    use crate::segment::Segment;
    use actix::{Handler, Message};
    use actix_web::http::header::HeaderMap;
    use actix_web::http::{Method, Uri};

    /// Makes a segment actor stop, as a fault would.
    struct Crash;

    impl Message for Crash {
        type Result = ();
    }

    impl Handler<Crash> for SegmentActor {
        type Result = ();

        fn handle(&mut self, _: Crash, ctx: &mut actix::Context<Self>) {
            actix::ActorContext::stop(ctx);
        }
    }

    fn dispatch() -> Dispatch {
        Dispatch {
            method: HttpMethod::Get,
            request: Request::new(
                Method::GET,
                Uri::from_static("/"),
                HeaderMap::new(),
                Default::default(),
            ),
            params: Default::default(),
        }
    }

    #[actix_rt::test]
    async fn a_stopped_segment_actor_is_restarted_and_serves_the_next_request() {
        let segment = Segment::new().get(|_, _| async { Ok(Response::text("alive")) });
        let addr = start_segment(Arc::new(ServedSegment::new("/", segment)));
        addr.send(Crash).await.unwrap();
        let response = addr
            .send(dispatch())
            .await
            .expect("restarted actor answers");
        assert_eq!(response.body(), &crate::Body::Text("alive".into()));
    }
}
