//! A client that goes away: its route function is dropped and
//! `req.signal()` resolves, while a regeneration that fills the cache runs
//! on. Uploads read as they arrive (`STREAM_BODY`), within the limit.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use trellis::{Request, Response, Router, Segment};

use crate::test_app::{eventually, json, spawn_router, TestApp};

/// Sets its flag when dropped: the future holding it was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sends a GET of `path` and closes the connection before the answer.
async fn get_and_leave(app: &TestApp, path: &str) {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
}

fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

async fn set(flag: &AtomicBool, what: &str) {
    eventually(what, || async { flag.load(Ordering::SeqCst).then_some(()) }).await;
}

#[actix_web::test]
async fn a_route_function_whose_client_left_is_dropped_and_its_signal_resolves() {
    let (dropped, signalled) = (flag(), flag());
    let (on_drop, on_signal) = (dropped.clone(), signalled.clone());
    let segment = Segment::new().get(move |req: Request, _| {
        let guard = DropFlag(on_drop.clone());
        let on_signal = on_signal.clone();
        let gone = req.signal();
        trellis::spawn(async move {
            gone.await;
            on_signal.store(true, Ordering::SeqCst);
        });
        async move {
            let _guard = guard;
            trellis::time::sleep(Duration::from_secs(60)).await;
            Ok(Response::text("nobody reads this"))
        }
    });
    let app = spawn_router(Router::new().route("/hang", segment));
    get_and_leave(&app, "/hang").await;
    set(&dropped, "the route function dropped").await;
    set(&signalled, "req.signal() resolved").await;
}

#[actix_web::test]
async fn a_request_answered_in_full_never_signals() {
    let signalled = flag();
    let on_signal = signalled.clone();
    let segment = Segment::new().get(move |req: Request, _| {
        let on_signal = on_signal.clone();
        let gone = req.signal();
        trellis::spawn(async move {
            gone.await;
            on_signal.store(true, Ordering::SeqCst);
        });
        async { Ok(Response::text("done")) }
    });
    let app = spawn_router(Router::new().route("/done", segment));
    assert_eq!(app.get("/done").await.text().await.unwrap(), "done");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!signalled.load(Ordering::SeqCst));
}

#[actix_web::test]
async fn a_regeneration_filling_the_cache_runs_on_when_its_client_leaves() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let segment = Segment::new()
        .get(move |_, _| {
            let counted = counted.clone();
            async move {
                trellis::time::sleep(Duration::from_millis(300)).await;
                let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Response::json(&json!({ "run": run })))
            }
        })
        .revalidate(60);
    let app = spawn_router(Router::new().route("/filled", segment));
    get_and_leave(&app, "/filled").await;
    let hit = eventually("the entry stored by the abandoned miss", || async {
        let response = app.get("/filled").await;
        let status = response.headers()["cache-status"]
            .to_str()
            .unwrap()
            .to_string();
        let body = json(response).await;
        (status == "trellis; hit").then_some(body)
    })
    .await;
    assert_eq!(
        hit,
        json!({ "run": 1 }),
        "made once, by the request that left"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// Counts what `body_stream()` hands over, or answers its error.
fn counting_upload(limit: usize) -> Segment {
    Segment::new()
        .post(|mut req: Request, _| async move {
            let mut body = req.body_stream();
            let (mut bytes, mut chunks) = (0, 0);
            while let Some(chunk) = body.chunk().await? {
                bytes += chunk.len();
                chunks += 1;
            }
            Ok(Response::json(&json!({ "bytes": bytes, "chunks": chunks })))
        })
        .stream_body(true)
        .body_limit(limit)
}

fn pieces(count: usize, size: usize) -> reqwest::Body {
    let chunks = (0..count).map(move |_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; size])));
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[actix_web::test]
async fn an_upload_larger_than_a_buffer_reaches_the_route_as_it_arrives() {
    let app = spawn_router(Router::new().route("/upload", counting_upload(8 * 1024 * 1024)));
    let response = app
        .builder(reqwest::Method::POST, "/upload")
        .body(pieces(64, 64 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let counted = json(response).await;
    assert_eq!(counted["bytes"], 4 * 1024 * 1024);
    assert!(counted["chunks"].as_u64().unwrap() > 1, "{counted}");
}

#[actix_web::test]
async fn a_streamed_upload_past_the_limit_is_a_413() {
    let app = spawn_router(Router::new().route("/upload", counting_upload(1000)));
    let streamed = app
        .builder(reqwest::Method::POST, "/upload")
        .body(pieces(3, 600))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 413);
    let declared = app
        .builder(reqwest::Method::POST, "/upload")
        .body(vec![b'x'; 2000])
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), 413, "refused before it is read");
}
