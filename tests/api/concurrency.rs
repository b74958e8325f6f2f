//! A segment actor must not serialize its requests: two requests to the same
//! route, on a single worker, are in their handler at the same time.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Barrier;
use trellis::{Response, Router, Segment};

use crate::test_app::spawn_router;

#[actix_web::test]
async fn two_slow_requests_to_the_same_route_run_concurrently() {
    // Each request waits in its handler until the other arrives: if the
    // segment ran one request at a time, neither could finish.
    let barrier = Arc::new(Barrier::new(2));
    let app = spawn_router(Router::new().route(
        "/rendezvous",
        Segment::new().get(move |_, _| {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                Ok(Response::text("met"))
            }
        }),
    ));
    let both = futures_util::future::join(app.get("/rendezvous"), app.get("/rendezvous"));
    let (a, b) = tokio::time::timeout(Duration::from_secs(30), both)
        .await
        .expect("both requests were in the handler at once");
    assert_eq!(a.text().await.unwrap(), "met");
    assert_eq!(b.text().await.unwrap(), "met");
}
