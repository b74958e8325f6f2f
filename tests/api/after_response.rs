//! `after()`: callbacks run once the response has been sent, whatever the
//! route answered, within `MAX_DURATION`, a panic in one harming nothing;
//! graceful shutdown waits for them up to the grace period and says how
//! many it dropped.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::sync::oneshot;
use trellis::{Error, Response, Router, Segment, Server};

use crate::test_app::{eventually, json, spawn_app, spawn_router, test_config};

async fn ran(app: &crate::test_app::TestApp) -> u64 {
    json(app.get("/api/after").await).await["ran"]
        .as_u64()
        .expect("a count")
}

#[actix_web::test]
async fn the_demo_answers_at_once_and_counts_its_callback_after() {
    let app = spawn_app();
    let before = ran(&app).await;
    let accepted = app.request(Method::POST, "/api/after").await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(json(accepted).await, json!({ "accepted": true }));
    eventually("the after() callback to count", || async {
        (ran(&app).await > before).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn callbacks_wait_for_the_last_byte_of_a_streamed_response() {
    let finished = Arc::new(AtomicUsize::new(0));
    let release: Arc<Mutex<Option<trellis::stream::StreamSender>>> = Arc::default();
    let (counted, held) = (finished.clone(), release.clone());
    let segment = Segment::new().get(move |_, ctx| {
        let (counted, held) = (counted.clone(), held.clone());
        async move {
            ctx.after(async move {
                counted.fetch_add(1, Ordering::SeqCst);
            });
            let (sender, response) = trellis::stream::channel(4);
            sender.send("first").await?;
            *held.lock().unwrap() = Some(sender);
            Ok(response)
        }
    });
    let app = spawn_router(Router::new().route("/streamed", segment));
    let mut response = app.get("/streamed").await;
    assert_eq!(response.chunk().await.unwrap().unwrap(), "first");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "the body has not ended yet"
    );
    let sender = release.lock().unwrap().take().expect("the stream's sender");
    sender.send("last").await.unwrap();
    drop(sender);
    assert_eq!(response.chunk().await.unwrap().unwrap(), "last");
    assert!(response.chunk().await.unwrap().is_none());
    eventually("the callback once the stream ended", || async {
        (finished.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn callbacks_run_after_an_error_a_redirect_and_a_404_too() {
    let runs = Arc::new(AtomicUsize::new(0));
    let scheduled = |answer: fn() -> trellis::Result<Response>| {
        let runs = runs.clone();
        Segment::new().get(move |_, _| {
            let runs = runs.clone();
            async move {
                trellis::after(async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                });
                answer()
            }
        })
    };
    let app = spawn_router(
        Router::new()
            .route("/fails", scheduled(|| Err("broken".into())))
            .route("/moves", scheduled(|| Err(trellis::redirect("/elsewhere"))))
            .route("/missing", scheduled(|| Err(Error::NotFound))),
    );
    assert_eq!(app.get("/fails").await.status(), 500);
    assert_eq!(app.get("/moves").await.status(), 307);
    assert_eq!(app.get("/missing").await.status(), 404);
    eventually("three callbacks", || async {
        (runs.load(Ordering::SeqCst) == 3).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_panicking_callback_is_counted_and_harms_nothing() {
    let segment = Segment::new().post(|_, ctx| async move {
        ctx.after(async { panic!("boom in after()") });
        Ok(Response::json(&json!({ "accepted": true })))
    });
    let app = spawn_router(Router::new().route("/panics", segment));
    for _ in 0..3 {
        assert_eq!(app.request(Method::POST, "/panics").await.status(), 200);
    }
    eventually("three panics counted", || async {
        app.metrics()
            .await
            .contains("trellis_after_panics_total 3")
            .then_some(())
    })
    .await;
    assert_eq!(app.request(Method::POST, "/panics").await.status(), 200);
}

#[actix_web::test]
async fn callbacks_are_cut_at_max_duration_counted_from_the_request() {
    let finished = Arc::new(AtomicUsize::new(0));
    let counted = finished.clone();
    let segment = Segment::new()
        .post(move |_, ctx| {
            let counted = counted.clone();
            async move {
                ctx.after(async move {
                    trellis::time::sleep(Duration::from_secs(3)).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                });
                Ok(Response::text("accepted"))
            }
        })
        .max_duration(1);
    let app = spawn_router(Router::new().route("/budget", segment));
    assert_eq!(app.request(Method::POST, "/budget").await.status(), 200);
    eventually("the callbacks cut at the limit", || async {
        app.metrics()
            .await
            .contains("trellis_after_timeouts_total 1")
            .then_some(())
    })
    .await;
    assert_eq!(finished.load(Ordering::SeqCst), 0, "cut before it finished");
}

/// A server of `router` that drains when the returned sender fires; the
/// handle resolves once it has drained.
fn drainable(
    router: Router,
    grace_secs: u64,
) -> (
    String,
    oneshot::Sender<()>,
    actix_rt::task::JoinHandle<std::io::Result<()>>,
) {
    let mut config = test_config();
    config.server.shutdown_grace_secs = grace_secs;
    let server = Server::build(config, router).expect("the server builds");
    let address = format!("http://{}", server.local_addr());
    let (drain, drained) = oneshot::channel::<()>();
    let served = actix_rt::spawn(server.run_until(async {
        let _ = drained.await;
    }));
    (address, drain, served)
}

fn later(finished: Arc<AtomicUsize>, wait: Duration) -> Router {
    let segment = Segment::new().post(move |_, ctx| {
        let finished = finished.clone();
        async move {
            ctx.after(async move {
                trellis::time::sleep(wait).await;
                finished.fetch_add(1, Ordering::SeqCst);
            });
            Ok(Response::text("accepted"))
        }
    });
    Router::new().route("/later", segment)
}

#[actix_web::test]
async fn graceful_shutdown_waits_for_pending_callbacks() {
    let finished = Arc::new(AtomicUsize::new(0));
    let (address, drain, served) =
        drainable(later(finished.clone(), Duration::from_millis(300)), 10);
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{address}/later"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drain.send(()).unwrap();
    served.await.unwrap().unwrap();
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the server stopped only once the callback had run"
    );
}

/// Log lines written on this thread while it is installed.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn past_the_grace_period_shutdown_says_how_many_callbacks_it_dropped() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The drain runs on this thread, in the task the test spawns.
    let _logging = tracing::subscriber::set_default(subscriber);
    let finished = Arc::new(AtomicUsize::new(0));
    let (address, drain, served) = drainable(later(finished.clone(), Duration::from_secs(60)), 0);
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let response = client
            .post(format!("{address}/later"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    drain.send(()).unwrap();
    served.await.unwrap().unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 0);
    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(log.contains("dropped=2"), "{log}");
}
