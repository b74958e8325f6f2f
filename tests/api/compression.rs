//! Compression as `next start` does it: gzip or brotli by `Accept-Encoding`
//! and its q-values, for compressible types over 1 KiB, with `Vary`; cached
//! answers sent in forms made once; streams compressed chunk by chunk and
//! flushed, event streams never; `[server] compress = false` turns it off.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use trellis::{Clock, Response, Router, Segment};

use crate::test_app::{spawn_app, spawn_router, spawn_with, test_config, TestApp};

async fn get_encoded(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.get_with(path, "accept-encoding", accept).await
}

fn header<'r>(response: &'r reqwest::Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a gzip body");
    text
}

fn unbrotli(bytes: &[u8]) -> String {
    let mut text = String::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_string(&mut text)
        .expect("a brotli body");
    text
}

fn items(text: &str) -> usize {
    let value: Value = serde_json::from_str(text).expect("JSON");
    value["items"].as_array().expect("items").len()
}

#[actix_web::test]
async fn big_is_sent_gzip_or_brotli_as_accepted_and_plain_otherwise() {
    let app = spawn_app();
    let plain = app.get("/api/big").await;
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary"), Some("accept-encoding"));
    let plain_body = plain.text().await.unwrap();
    assert_eq!(items(&plain_body), 200);
    assert!(
        plain_body.len() > 8_000,
        "about 10 KB: {}",
        plain_body.len()
    );

    let gzip = get_encoded(&app, "/api/big", "gzip").await;
    assert_eq!(header(&gzip, "content-encoding"), Some("gzip"));
    assert_eq!(header(&gzip, "cache-status"), Some("trellis; hit"));
    let gzip_etag = header(&gzip, "etag").unwrap().to_string();
    let bytes = gzip.bytes().await.unwrap();
    assert!(bytes.len() < plain_body.len() / 3);
    assert_eq!(gunzip(&bytes), plain_body);

    let br = get_encoded(&app, "/api/big", "gzip, deflate, br").await;
    assert_eq!(
        header(&br, "content-encoding"),
        Some("br"),
        "brotli wins a tie"
    );
    assert_ne!(header(&br, "etag").unwrap(), gzip_etag, "one ETag per form");
    assert_eq!(unbrotli(&br.bytes().await.unwrap()), plain_body);

    let ranked = get_encoded(&app, "/api/big", "br;q=0.5, gzip;q=0.9").await;
    assert_eq!(header(&ranked, "content-encoding"), Some("gzip"));
    let refused = get_encoded(&app, "/api/big", "gzip;q=0, br;q=0").await;
    assert_eq!(header(&refused, "content-encoding"), None);
    let again = get_encoded(&app, "/api/big", "gzip").await;
    assert_eq!(header(&again, "etag").unwrap(), gzip_etag, "made once");
}

#[actix_web::test]
async fn small_answers_and_images_are_sent_as_they_are() {
    let image = Segment::new()
        .get(|_, _| async { Response::new(vec![7u8; 5000]).header("content-type", "image/png") });
    let app = spawn_router(
        Router::new()
            .route(
                "/hello",
                Segment::new().get(|_, _| async { Ok(Response::text("hi")) }),
            )
            .route("/image", image),
    );
    for path in ["/hello", "/image"] {
        let response = get_encoded(&app, path, "gzip, br").await;
        assert_eq!(header(&response, "content-encoding"), None, "{path}");
        assert_eq!(header(&response, "vary"), None, "{path}");
    }
}

#[actix_web::test]
async fn answers_made_now_are_compressed_too_keeping_the_handlers_etag_apart() {
    let segment = Segment::new().get(|_, _| async {
        Response::text("line of text\n".repeat(200)).header("etag", "\"v1\"")
    });
    let app = spawn_router(Router::new().route("/text", segment));
    let response = get_encoded(&app, "/text", "gzip").await;
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    assert_eq!(header(&response, "etag"), Some("\"v1-gzip\""));
    assert_eq!(header(&response, "vary"), Some("accept-encoding"));
    assert_eq!(
        gunzip(&response.bytes().await.unwrap()),
        "line of text\n".repeat(200)
    );
}

#[actix_web::test]
async fn compress_false_turns_it_off() {
    let mut config = test_config();
    config.server.compress = false;
    let app = spawn_with(crate::app::router(), config, Clock::System);
    let response = get_encoded(&app, "/api/big", "gzip, br").await;
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(header(&response, "vary"), None);
    assert_eq!(items(&response.text().await.unwrap()), 200);
}

/// A streamed text route whose second chunk waits for the test.
fn held_stream(
    content_type: &'static str,
) -> (Segment, Arc<Mutex<Option<trellis::stream::StreamSender>>>) {
    let held: Arc<Mutex<Option<trellis::stream::StreamSender>>> = Arc::default();
    let slot = held.clone();
    let segment = Segment::new().get(move |_, _| {
        let slot = slot.clone();
        async move {
            let (sender, response) = trellis::stream::channel(4);
            sender.send("first chunk ".repeat(10)).await?;
            *slot.lock().unwrap() = Some(sender);
            response.header("content-type", content_type)
        }
    });
    (segment, held)
}

#[actix_web::test]
async fn a_stream_is_compressed_chunk_by_chunk_each_flushed_at_once() {
    let (segment, held) = held_stream("text/plain; charset=utf-8");
    let app = spawn_router(Router::new().route("/stream", segment));
    let mut response = get_encoded(&app, "/stream", "gzip").await;
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    assert_eq!(header(&response, "x-accel-buffering"), Some("no"));
    let mut decoder = flate2::write::GzDecoder::new(Vec::new());
    // The second chunk is not made yet: the first must decode on its own.
    let first = async {
        while !String::from_utf8_lossy(decoder.get_ref()).contains("first chunk") {
            let chunk = response
                .chunk()
                .await
                .unwrap()
                .expect("the first chunk, flushed");
            decoder.write_all(&chunk).unwrap();
            decoder.flush().unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(10), first)
        .await
        .expect("the first chunk decodes before the second is made");
    let sender = held.lock().unwrap().take().expect("the stream's sender");
    sender.send("second").await.unwrap();
    drop(sender);
    while let Some(chunk) = response.chunk().await.unwrap() {
        decoder.write_all(&chunk).unwrap();
    }
    let text = String::from_utf8(decoder.finish().unwrap()).unwrap();
    assert_eq!(text, format!("{}second", "first chunk ".repeat(10)));
}

#[actix_web::test]
async fn an_event_stream_is_never_compressed_and_tells_nginx_not_to_buffer() {
    let (segment, held) = held_stream("text/event-stream");
    let app = spawn_router(Router::new().route("/events", segment));
    let mut response = get_encoded(&app, "/events", "gzip, br").await;
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(header(&response, "x-accel-buffering"), Some("no"));
    let first = response.chunk().await.unwrap().expect("the first event");
    assert!(String::from_utf8_lossy(&first).starts_with("first chunk"));
    drop(held.lock().unwrap().take());
}
