//! What a route function answers beyond JSON: redirects, streams, CORS,
//! webhooks and non-UI content.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use reqwest::Method;
use serde_json::json;
use sha2::Sha256;
use trellis::stream::StreamSender;
use trellis::{permanent_redirect, Clock, CorsPolicy, Response, Router, Segment, Server};

use crate::test_app::{eventually, spawn_app, spawn_router, test_config};

#[actix_web::test]
async fn redirect_is_a_307_and_permanent_redirect_a_308_with_the_location_as_given() {
    let app = spawn_app();
    let response = app.get("/api/redirect").await;
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["location"], "https://nextjs.org/");
    assert!(response.bytes().await.unwrap().is_empty());

    let moved = spawn_router(
        Router::new()
            .route(
                "/old/page",
                Segment::new().get(|_, _| async { Err(permanent_redirect("../new?x=1")) }),
            )
            .route(
                "/returned",
                Segment::new().get(|_, _| async { Ok(Response::redirect("/login")) }),
            ),
    );
    let response = moved.get("/old/page").await;
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "../new?x=1");
    let returned = moved.get("/returned").await;
    assert_eq!(returned.status(), 307);
    assert_eq!(returned.headers()["location"], "/login");
}

#[actix_web::test]
async fn a_relative_redirect_from_a_cached_route_is_sent_as_made_and_never_stored() {
    let app = spawn_router(
        Router::new().route(
            "/moved",
            Segment::new()
                .get(|_, _| async { Ok(Response::redirect("/login")) })
                .revalidate(60),
        ),
    );
    for host in ["first.example", "second.example:8080"] {
        let response = app
            .builder(Method::GET, "/moved")
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 307);
        assert_eq!(response.headers()["location"], "/login");
        assert_eq!(
            response.headers()["cache-status"],
            "trellis; fwd=miss; detail=status",
            "a 307 is not cacheable by default (RFC 9110 section 15.1)"
        );
    }
}

#[actix_web::test]
async fn the_demo_stream_sends_its_chunks_in_order() {
    let app = spawn_app();
    let mut response = app.get("/api/stream").await;
    assert!(
        response.headers().get("content-length").is_none(),
        "chunked, not buffered"
    );
    let mut chunks = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks.push(String::from_utf8(chunk.to_vec()).unwrap());
    }
    assert_eq!(chunks.concat(), "<p>One</p><p>Two</p><p>Three</p>");
    assert!(
        chunks.len() >= 3,
        "each chunk arrives on its own: {chunks:?}"
    );
}

/// A route that streams whatever the test sends through the channel it
/// hands out, so the test decides when each chunk is made.
fn remote_controlled() -> (Router, Arc<Mutex<Option<StreamSender>>>) {
    let slot: Arc<Mutex<Option<StreamSender>>> = Arc::default();
    let handed = slot.clone();
    let router = Router::new().route(
        "/controlled",
        Segment::new().get(move |_, _| {
            let (sender, response) = trellis::stream::channel(1);
            *handed.lock().unwrap() = Some(sender);
            async move { Ok(response) }
        }),
    );
    (router, slot)
}

#[actix_web::test]
async fn a_streamed_chunk_reaches_the_client_before_the_next_one_is_made() {
    let (router, slot) = remote_controlled();
    let app = spawn_router(router);
    let sender_of = || slot.lock().unwrap().clone().expect("the handler ran");
    let (first, response) = tokio::join!(
        async {
            eventually("the handler", || async {
                slot.lock().unwrap().is_some().then_some(())
            })
            .await;
            sender_of().send("first").await
        },
        app.get("/controlled")
    );
    first.unwrap();
    let mut response = response;
    assert_eq!(
        response.chunk().await.unwrap().unwrap(),
        "first",
        "received while the second is not yet made"
    );
    sender_of().send("second").await.unwrap();
    assert_eq!(response.chunk().await.unwrap().unwrap(), "second");
    slot.lock().unwrap().take();
    assert!(
        response.chunk().await.unwrap().is_none(),
        "the stream ends when the sender is dropped"
    );
}

#[actix_web::test]
async fn a_client_that_disconnects_mid_stream_stops_the_producer() {
    let stopped = Arc::new(AtomicBool::new(false));
    let flag = stopped.clone();
    let endless = Segment::new().get(move |_, _| {
        let flag = flag.clone();
        async move {
            let (sender, response) = trellis::stream::channel(1);
            trellis::spawn(async move {
                while sender.send("tick ").await.is_ok() {
                    trellis::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                flag.store(true, Ordering::SeqCst);
            });
            Ok(response)
        }
    });
    let app = spawn_router(Router::new().route("/endless", endless));
    let mut response = app.get("/endless").await;
    assert_eq!(response.chunk().await.unwrap().unwrap(), "tick ");
    drop(response);
    eventually("the producer to stop", || async {
        stopped.load(Ordering::SeqCst).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn chat_streams_its_reply_as_text() {
    let app = spawn_app();
    let response = app
        .builder(Method::POST, "/api/chat")
        .json(&json!({ "prompt": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("You said: hello."));
}

#[actix_web::test]
async fn cors_headers_set_by_hand_are_sent() {
    let app = spawn_app();
    let response = app.get("/api/cors").await;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        response.headers()["access-control-allow-methods"],
        "GET, POST, PUT, DELETE, OPTIONS"
    );
    assert_eq!(
        response.headers()["access-control-allow-headers"],
        "Content-Type, Authorization"
    );
    assert_eq!(response.text().await.unwrap(), "Hello, Next.js!");
}

#[actix_web::test]
async fn a_cors_policy_answers_preflights_and_labels_allowed_origins() {
    let policy = CorsPolicy {
        allowed_origins: vec!["https://app.example".into()],
        allowed_headers: vec!["Content-Type".into()],
        allow_credentials: true,
        max_age_secs: Some(600),
        ..CorsPolicy::default()
    };
    let segment = Segment::new()
        .get(|_, _| async { Ok(Response::text("data")) })
        .post(|_, _| async { Ok(Response::text("posted")) })
        .cors(policy);
    let app = spawn_router(Router::new().route("/shared", segment));
    let preflight = app
        .builder(Method::OPTIONS, "/shared")
        .header(ORIGIN, "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let headers = preflight.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(
        headers["access-control-allow-methods"],
        "GET, HEAD, OPTIONS, POST"
    );
    assert_eq!(headers["access-control-allow-headers"], "Content-Type");
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert_eq!(headers["access-control-max-age"], "600");

    let allowed = app
        .builder(Method::GET, "/shared")
        .header(ORIGIN, "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(allowed.headers()["vary"], "Origin");
    let refused = app
        .builder(Method::GET, "/shared")
        .header(ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

/// The `Vary` values of a response.
fn vary(response: &reqwest::Response) -> Vec<&str> {
    response
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn a_listed_cors_policy_sends_vary_origin_on_every_answer() {
    let policy = CorsPolicy {
        allowed_origins: vec!["https://app.example".into()],
        ..CorsPolicy::default()
    };
    let segment = Segment::new()
        .get(|_, _| async { Ok(Response::text("data")) })
        .cors(policy);
    let app = spawn_router(Router::new().route("/listed", segment));
    for origin in [
        Some("https://app.example"),
        Some("https://evil.example"),
        None,
    ] {
        let mut get = app.builder(Method::GET, "/listed");
        let mut preflight = app
            .builder(Method::OPTIONS, "/listed")
            .header("access-control-request-method", "GET");
        if let Some(origin) = origin {
            get = get.header(ORIGIN, origin);
            preflight = preflight.header(ORIGIN, origin);
        }
        for request in [get, preflight] {
            let response = request.send().await.unwrap();
            assert_eq!(vary(&response), ["Origin"], "{origin:?}");
            let allowed = response.headers().get("access-control-allow-origin");
            match origin {
                Some("https://app.example") => assert_eq!(allowed.unwrap(), "https://app.example"),
                _ => assert!(allowed.is_none(), "{origin:?}"),
            }
        }
    }
}

#[actix_web::test]
async fn any_origin_answers_alike_without_vary_but_never_covers_null() {
    let segment = Segment::new()
        .get(|_, _| async { Ok(Response::text("data")) })
        .cors(CorsPolicy::default());
    let app = spawn_router(Router::new().route("/public", segment));
    let any = app
        .builder(Method::GET, "/public")
        .header(ORIGIN, "https://anyone.example")
        .send()
        .await
        .unwrap();
    assert_eq!(any.headers()["access-control-allow-origin"], "*");
    assert!(vary(&any).is_empty());
    let null = app
        .builder(Method::GET, "/public")
        .header(ORIGIN, "null")
        .send()
        .await
        .unwrap();
    assert!(null.headers().get("access-control-allow-origin").is_none());
    assert_eq!(vary(&null), ["Origin"], "this one answer differs");
}

#[actix_web::test]
async fn credentials_for_any_origin_stop_the_server_from_starting() {
    let credentials = CorsPolicy {
        allow_credentials: true,
        ..CorsPolicy::default()
    };
    let segment = Segment::new()
        .get(|_, _| async { Ok(Response::text("data")) })
        .cors(credentials.clone());
    let router = Router::new().route("/shared", segment);
    let error = Server::build_with_clock(test_config(), router, Clock::System)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        error.contains("Router::route(\"/shared\")") && error.contains("list the origins"),
        "{error}"
    );
    let mut config = test_config();
    config.cors = Some(credentials);
    let hello = Segment::new().get(|_, _| async { Ok(Response::text("hi")) });
    let error =
        Server::build_with_clock(config, Router::new().route("/hello", hello), Clock::System)
            .err()
            .expect("refused")
            .to_string();
    assert!(
        error.contains("`cors`") && error.contains("list the origins"),
        "{error}"
    );
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"demo-secret").unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[actix_web::test]
async fn a_webhook_with_a_good_signature_succeeds_and_a_bad_one_is_a_400() {
    let app = spawn_app();
    let body = br#"{"event":"paid"}"#;
    let good = app
        .builder(Method::POST, "/api/webhook")
        .header("x-signature", sign(body))
        .body(&body[..])
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    assert_eq!(good.text().await.unwrap(), "Success!");
    for signature in [
        sign(b"something else"),
        "sha256=zz".to_string(),
        String::new(),
    ] {
        let bad = app
            .builder(Method::POST, "/api/webhook")
            .header("x-signature", signature)
            .body(&body[..])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        assert_eq!(
            bad.text().await.unwrap(),
            "Webhook error: invalid signature"
        );
    }
}

#[actix_web::test]
async fn rss_is_served_as_text_xml() {
    let app = spawn_app();
    let response = app.get("/rss.xml").await;
    assert_eq!(response.headers()[CONTENT_TYPE], "text/xml");
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with(r#"<?xml version="1.0" encoding="UTF-8" ?>"#)
            && body.contains("<title>Next.js Documentation</title>")
    );
}
