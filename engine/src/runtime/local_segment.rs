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

use crate::api::method::HttpMethod;
use crate::api::request::Request;
use crate::api::response::Response;
use crate::runtime::messages::{CacheLookup, Dispatch};
use crate::runtime::segment_actor::SegmentActor;

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
