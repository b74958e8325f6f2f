//! A segment actor on one worker thread, with its event loop in the
//! worker's hands.
//!
//! actix runs an actor's event loop (its mailbox, timers and futures) as a
//! task of its own. A request handed over that way waits for that task to be
//! scheduled, and then for its own task to be scheduled again: two task
//! switches, and a second poll of the whole HTTP connection, which on a
//! small route cost more than the route itself. Here the loop is still a
//! task that runs whenever it is woken (by the supervisor's messages,
//! timers, answers that wait), but the worker also runs it right after
//! sending a `Dispatch`, on the same thread: the request still goes through
//! the actor's mailbox and handler, and a route that answers without
//! waiting has answered before the worker first asks for the reply.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix::dev::ContextFut;
use actix::{Addr, AsyncContext};
use tokio::sync::oneshot;
use trellis_routes::Params;

use crate::messages::{CacheLookup, Dispatch};
use crate::method::HttpMethod;
use crate::request::Request;
use crate::response::Response;
use crate::segment::SegmentActor;

/// A segment actor started on this worker thread.
pub(crate) struct LocalSegment {
    addr: Addr<SegmentActor>,
    event_loop: Rc<EventLoop>,
}

/// actix's event loop of one actor, polled by its own task and by the
/// worker. Whoever polls it, it registers the task's waker, so that what
/// arrives later wakes the task.
struct EventLoop {
    future: RefCell<ContextFut<SegmentActor, actix::Context<SegmentActor>>>,
    task_waker: RefCell<Option<Waker>>,
}

impl LocalSegment {
    /// Starts `actor` on this thread. Like actix's `Supervisor`, the loop
    /// restarts an actor that stops, keeping its address.
    pub(crate) fn start(actor: SegmentActor) -> Self {
        let context = actix::Context::new();
        let addr = context.address();
        let event_loop = Rc::new(EventLoop {
            future: RefCell::new(context.into_future(actor)),
            task_waker: RefCell::new(None),
        });
        let task = event_loop.clone();
        actix_rt::spawn(std::future::poll_fn(move |cx| task.poll_as_task(cx)));
        LocalSegment { addr, event_loop }
    }

    pub(crate) fn addr(&self) -> &Addr<SegmentActor> {
        &self.addr
    }

    /// Sends the request to the actor and runs its loop once, so that the
    /// reply of a route that answers without waiting is ready now. The
    /// reply is an error only if the actor dropped the request unanswered.
    pub(crate) fn dispatch(
        &self,
        method: HttpMethod,
        request: Request,
        params: Params,
        lookup: Option<CacheLookup>,
    ) -> oneshot::Receiver<Response> {
        let (reply, response) = oneshot::channel();
        self.addr.do_send(Dispatch {
            method,
            request,
            params,
            lookup,
            reply,
        });
        self.event_loop.run_now();
        response
    }
}

impl EventLoop {
    fn poll_as_task(&self, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut task_waker = self.task_waker.borrow_mut();
            if !task_waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                *task_waker = Some(cx.waker().clone());
            }
        }
        match self.poll(cx.waker()) {
            Some(poll) => poll,
            None => {
                // Running further up this thread's stack: come back later.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Runs the loop now, on the worker, for what was just sent. Before the
    /// task's first poll there is no waker to register yet: the task will
    /// run the loop itself.
    fn run_now(&self) {
        if let Some(waker) = self.task_waker.borrow().as_ref() {
            let _ = self.poll(waker);
        }
    }

    /// `None` when the loop is already running (a poll cannot nest).
    fn poll(&self, waker: &Waker) -> Option<Poll<()>> {
        let mut future = self.future.try_borrow_mut().ok()?;
        let mut cx = Context::from_waker(waker);
        loop {
            match Pin::new(&mut *future).poll(&mut cx) {
                Poll::Pending => return Some(Poll::Pending),
                // Stopped: restart it unless no address is left to send to.
                Poll::Ready(()) if future.restart() => continue,
                Poll::Ready(()) => return Some(Poll::Ready(())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use actix::Actor;
    use actix_web::http::header::HeaderMap;
    use actix_web::http::{Method, Uri};
    use bytes::Bytes;
    use futures_util::FutureExt;
    use trellis_cache::Clock;
    use trellis_config::Config;

    use super::*;
    use crate::context::Revalidator;
    use crate::messages::RevalidatePath;
    use crate::method::HttpMethod;
    use crate::request::Request;
    use crate::router::Router;
    use crate::segment::Segment;
    use crate::supervisor::Supervisor;
    use crate::Body;

    fn start(segment: Segment) -> LocalSegment {
        let routes = Router::new()
            .route("/", segment.revalidate(60))
            .build(&Config::default(), Clock::System)
            .unwrap();
        let served = routes.segments[0].clone();
        let supervisor = Supervisor::new(Arc::new(routes), None).start();
        LocalSegment::start(SegmentActor::new(served, Revalidator::new(supervisor)))
    }

    fn post(segment: &LocalSegment) -> oneshot::Receiver<Response> {
        let request = Request::new(
            Method::POST,
            Uri::from_static("/"),
            HeaderMap::new(),
            Bytes::new(),
            crate::origin::Origin::Visitor {
                peer: None,
                proxies: None,
            },
        );
        segment.dispatch(HttpMethod::Post, request, Default::default(), None)
    }

    fn text(response: &Response) -> &str {
        match response.body() {
            Body::Text(text) => std::str::from_utf8(text).unwrap(),
            _ => panic!("not a text body"),
        }
    }

    #[actix_rt::test]
    async fn a_route_that_answers_at_once_has_answered_when_the_dispatch_returns() {
        let segment = start(Segment::new().post(|_, _| async { Ok(Response::text("now")) }));
        // The loop's task runs once first, as it does long before a request.
        actix_rt::task::yield_now().await;
        let response = post(&segment)
            .now_or_never()
            .expect("answered without waiting for another task")
            .unwrap();
        assert_eq!(text(&response), "now");
    }

    #[actix_rt::test]
    async fn a_route_that_waits_and_messages_from_elsewhere_are_served_by_the_loops_task() {
        let segment = start(Segment::new().post(|_, _| async {
            actix_rt::time::sleep(Duration::from_millis(20)).await;
            Ok(Response::text("later"))
        }));
        assert_eq!(text(&post(&segment).await.unwrap()), "later");
        let removed = segment
            .addr()
            .send(RevalidatePath { path: "/".into() })
            .await
            .unwrap();
        assert_eq!(removed, 0);
    }
}
