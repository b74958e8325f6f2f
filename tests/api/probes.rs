//! What operators scrape and probe: `/_trellis/health` and
//! `/_trellis/ready`, open without the admin token, ready once prerendering
//! is done and not from the moment the drain starts; and the request
//! metrics beside the cache's.

use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;
use trellis::Server;

use crate::test_app::{eventually, json, spawn_app, test_config};

#[actix_web::test]
async fn health_and_ready_answer_without_the_token_once_prerendering_is_done() {
    let app = spawn_app();
    let health = app.get("/_trellis/health").await;
    assert_eq!(health.status(), 200);
    assert_eq!(json(health).await, json!({ "status": "ok" }));
    eventually("ready once /catalog's params are prerendered", || async {
        let ready = app.get("/_trellis/ready").await;
        (ready.status() == 200).then_some(())
    })
    .await;
    assert_eq!(
        json(app.get("/_trellis/ready").await).await,
        json!({ "ready": true })
    );
    let posted = app.request(reqwest::Method::POST, "/_trellis/ready").await;
    assert_eq!(posted.status(), 405);
    let probed = app
        .get_with("/_trellis/health", "host", "10.0.0.7:3000")
        .await;
    assert_eq!(probed.status(), 200, "a load balancer's own Host");
}

#[actix_web::test]
async fn from_the_start_of_the_drain_ready_is_a_503_while_requests_are_still_served() {
    let mut config = test_config();
    config.server.drain_delay_ms = 1500;
    let server = Server::build(config, crate::app::router()).expect("the server builds");
    let address = format!("http://{}", server.local_addr());
    let (drain, drained) = oneshot::channel::<()>();
    let served = actix_rt::spawn(server.run_until(async {
        let _ = drained.await;
    }));
    let client = reqwest::Client::new();
    eventually("ready", || async {
        let ready = client
            .get(format!("{address}/_trellis/ready"))
            .send()
            .await
            .unwrap();
        (ready.status() == 200).then_some(())
    })
    .await;
    drain.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = client
        .get(format!("{address}/_trellis/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        json(ready).await,
        json!({ "ready": false, "reason": "draining" })
    );
    let hello = client
        .get(format!("{address}/api/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(hello.status(), 200, "still serving during the delay");
    served.await.unwrap().unwrap();
    assert!(
        client
            .get(format!("{address}/api/hello"))
            .send()
            .await
            .is_err(),
        "no longer accepting once drained"
    );
}

#[actix_web::test]
async fn requests_are_counted_by_route_method_and_status_with_a_latency_histogram() {
    let app = spawn_app();
    for _ in 0..2 {
        assert_eq!(app.get("/posts").await.status(), 200);
    }
    assert_eq!(app.get("/api/boom").await.status(), 500);
    assert_eq!(app.get("/nowhere").await.status(), 404);
    let metrics = app.metrics().await;
    for line in [
        "http_server_requests_total{route=\"/posts\",method=\"GET\",status=\"2xx\"} 2",
        "http_server_requests_total{route=\"/api/boom\",method=\"GET\",status=\"5xx\"} 1",
        "http_server_requests_total{route=\"-\",method=\"GET\",status=\"4xx\"} 1",
        "http_server_request_duration_seconds_bucket{route=\"/posts\",method=\"GET\",le=\"+Inf\"} 2",
        "http_server_request_duration_seconds_count{route=\"/posts\",method=\"GET\"} 2",
        "# TYPE http_server_request_duration_seconds histogram",
        "http_server_active_requests 1",
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }
}

#[actix_web::test]
async fn a_slow_request_is_counted_in_flight_while_it_runs() {
    let app = spawn_app();
    let slow = {
        let url = format!("{}/api/slow?ms=800", app.address);
        actix_rt::spawn(async move { reqwest::get(url).await.unwrap().status() })
    };
    eventually(
        "two requests in flight: the slow one and the scrape",
        || async {
            app.metrics()
                .await
                .contains("http_server_active_requests 2")
                .then_some(())
        },
    )
    .await;
    assert_eq!(slow.await.unwrap(), 200);
}
