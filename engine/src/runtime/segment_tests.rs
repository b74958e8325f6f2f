//! Segment actors at work on one thread: dispatched requests answered at
//! once or by the loop's task, messages from elsewhere, and an actor that
//! stops restarted in place. The fixture starts one segment alone with a
//! supervisor of its own.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorContext, Handler, Message};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, Uri};
use bytes::Bytes;
use futures_util::FutureExt;
use tokio::sync::oneshot;
use trellis_cache::{Clock, CACHE_STATUS};
use trellis_config::Config;

use crate::api::method::HttpMethod;
use crate::api::origin::Origin;
use crate::api::request::Request;
use crate::api::response::Response;
use crate::api::router::Router;
use crate::api::segment::Segment;
use crate::runtime::app_routes::AppRoutes;
use crate::runtime::local_segment::LocalSegment;
use crate::runtime::segment_actor::SegmentActor;
use crate::runtime::supervisor::Supervisor;
use crate::Body;

/// `segment` alone at `/`, its actor started on this thread.
fn start_alone(segment: Segment) -> LocalSegment {
    let router = Router::new().route("/", segment);
    let routes = AppRoutes::build(router, &Config::default(), Clock::System)
        .expect("a one-route router builds");
    let served = routes.segments[0].clone();
    let supervisor = Supervisor::new(Arc::new(routes), None, Arc::default()).start();
    LocalSegment::start(SegmentActor::new(
        served,
        Supervisor::revalidator(&supervisor),
    ))
}

fn request(method: Method) -> Request {
    let origin = Origin::Visitor {
        peer: None,
        proxies: None,
    };
    Request::new(
        method,
        Uri::from_static("/"),
        HeaderMap::new(),
        Bytes::new(),
        origin,
    )
}

/// A message from elsewhere than a worker's dispatch.
struct Ping;

impl Message for Ping {
    type Result = String;
}

impl Handler<Ping> for SegmentActor {
    type Result = String;

    fn handle(&mut self, _: Ping, _: &mut actix::Context<Self>) -> String {
        "pong".to_string()
    }
}

fn start(segment: Segment) -> LocalSegment {
    start_alone(segment.revalidate(60))
}

fn post(segment: &LocalSegment) -> oneshot::Receiver<Response> {
    let request = request(Method::POST);
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
    assert_eq!(segment.addr().send(Ping).await.unwrap(), "pong");
}

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
    let actor = start_alone(segment);
    actor.addr().send(Crash).await.unwrap();
    let request = request(Method::GET);
    let response = actor
        .dispatch(HttpMethod::Get, request, Default::default(), None)
        .await
        .expect("the restarted actor answers");
    assert!(matches!(response.body(), Body::Text(text) if text == "alive"));
    assert_eq!(
        response.headers().get(CACHE_STATUS).unwrap(),
        "trellis; fwd=bypass"
    );
}
