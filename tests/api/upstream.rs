//! Rewrites to another server, against a real one started by the test
//! (`UpstreamServer`): both bodies streamed as they come, what each side
//! is told, what stays behind, and the answers when the upstream is down
//! or slow.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trellis::{Clock, Proxy, Response, Router, Segment};

use crate::test_app::{config_with, json, spawn_with, TestApp};
use crate::upstream_server::{closed_address, UpstreamServer};

/// A server whose `/ext/*` is `upstream`'s `/echo/*`, its `/teapot` and
/// `/slow` the upstream's own, with `extra` config after that.
fn rewriting_to(upstream: &str, extra: &str) -> TestApp {
    let text = format!(
        r#"
[[rewrites]]
source = "/teapot"
destination = "{upstream}/teapot"
phase = "beforeFiles"

[[rewrites]]
source = "/slow"
destination = "{upstream}/slow"
phase = "beforeFiles"

[[rewrites]]
source = "/ext/:path*"
destination = "{upstream}/echo/:path*"
phase = "beforeFiles"
{extra}"#
    );
    let router = Router::new().route(
        "/local",
        Segment::new().get(|_, _| async { Ok(Response::text("local")) }),
    );
    spawn_with(router, config_with(&text), Clock::System)
}

/// Reads from `stream` until `text` has come, within a few seconds.
async fn read_until(stream: &mut TcpStream, seen: &mut String, text: &str) {
    let arrived = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        while !seen.contains(text) {
            let read = stream.read(&mut buffer).await.expect("the response reads");
            assert!(read > 0, "the connection closed before {text:?}: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
    })
    .await;
    assert!(
        arrived.is_ok(),
        "{text:?} never came, so something waited for a whole body: {seen}"
    );
}

#[actix_web::test]
async fn both_bodies_are_streamed_each_chunk_passing_before_the_next_is_sent() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "");
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = "POST /ext/duplex HTTP/1.1\r\nHost: localhost\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut seen = String::new();
    // Each chunk goes out only once the one before has come back: a body
    // held until it is whole, either way, would never come back at all.
    for word in ["first-chunk", "second-chunk", "third-chunk"] {
        let chunk = format!("{:x}\r\n{word}\r\n", word.len());
        stream.write_all(chunk.as_bytes()).await.unwrap();
        read_until(&mut stream, &mut seen, word).await;
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    read_until(&mut stream, &mut seen, "\r\n0\r\n\r\n").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(
        seen.to_ascii_lowercase()
            .contains("x-seen-target: /echo/duplex\r\n"),
        "{seen}"
    );
}

#[actix_web::test]
async fn the_upstream_is_told_who_asked_and_never_sees_hop_by_hop_headers() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "");
    let request =
        "GET /ext/a/b?x=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close, x-secret-hop\r\n\
                   x-secret-hop: 1\r\nTE: trailers\r\nx-forwarded-for: 203.0.113.5\r\n\r\n";
    let response = app.raw_request(request).await.to_ascii_lowercase();
    let upstream_host = upstream.address.trim_start_matches("http://");
    for expected in [
        "http/1.1 200".to_string(),
        "x-seen-method: get\r\n".to_string(),
        "x-seen-target: /echo/a/b?x=1\r\n".to_string(),
        format!("x-seen-host: {upstream_host}\r\n"),
        // The test's client is on loopback, a trusted proxy by default.
        "x-seen-forwarded-for: 203.0.113.5, 127.0.0.1\r\n".to_string(),
        "x-seen-forwarded-host: shop.example\r\n".to_string(),
        "x-seen-forwarded-proto: http\r\n".to_string(),
        "x-seen-secret-hop: -\r\n".to_string(),
        "x-seen-te: -\r\n".to_string(),
    ] {
        assert!(response.contains(&expected), "{expected:?} in {response}");
    }
}

#[actix_web::test]
async fn a_forwarded_for_from_an_untrusted_client_is_replaced_not_extended() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "[server]\ntrusted_proxies = []\n");
    let response = app
        .get_with("/ext/x", "x-forwarded-for", "203.0.113.5")
        .await;
    assert_eq!(response.headers()["x-seen-forwarded-for"], "127.0.0.1");
}

#[actix_web::test]
async fn the_upstreams_status_headers_and_body_come_back_without_its_hop_by_hop_headers() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "");
    let response = app.get("/teapot").await;
    assert_eq!(response.status(), 418);
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert!(response.headers().get("proxy-authenticate").is_none());
    assert_eq!(response.text().await.unwrap(), "short and stout");
    assert_eq!(app.get("/local").await.status(), 200);
}

#[actix_web::test]
async fn an_upstream_that_cannot_be_reached_is_a_502_and_the_server_keeps_serving() {
    let app = rewriting_to(&closed_address(), "");
    let response = app.get("/ext/x").await;
    assert_eq!(response.status(), 502);
    assert_eq!(
        json(response).await,
        json!({ "error": "upstream unreachable" })
    );
    assert_eq!(app.get("/local").await.text().await.unwrap(), "local");
}

#[actix_web::test]
async fn an_upstream_that_does_not_answer_in_time_is_a_504() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "[routing]\nupstream_timeout_ms = 200\n");
    let response = app.get("/slow").await;
    assert_eq!(response.status(), 504);
    assert_eq!(
        json(response).await,
        json!({ "error": "upstream did not answer in time" })
    );
}

#[actix_web::test]
async fn an_encoded_climb_reaches_only_the_destinations_path_on_its_host() {
    let upstream = UpstreamServer::start();
    let app = rewriting_to(&upstream.address, "");
    let upstream_host = upstream.address.trim_start_matches("http://");
    for (path, target) in [
        ("/ext/a%2F..%2F..%2Fsecret", "/echo/a%2F..%2F..%2Fsecret"),
        ("/ext/%2F%2Fevil.example/x", "/echo/%2F%2Fevil.example/x"),
        ("/ext/@evil.example", "/echo/%40evil.example"),
    ] {
        let response = app
            .raw(&format!("GET {path} HTTP/1.1"))
            .await
            .to_ascii_lowercase();
        assert!(response.starts_with("http/1.1 200"), "{path}: {response}");
        assert!(
            response.contains(&format!(
                "x-seen-target: {}\r\n",
                target.to_ascii_lowercase()
            )),
            "{path}: {response}"
        );
        assert!(
            response.contains(&format!("x-seen-host: {upstream_host}\r\n")),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_proxy_can_rewrite_to_another_server_with_the_headers_it_sets() {
    let upstream = UpstreamServer::start();
    let base = upstream.address.clone();
    let router = Router::new().proxy_matching(["/through/:path*"], move |req, _| {
        let rest = req.next_url().pathname()["/through".len()..].to_string();
        let to = format!("{base}/echo{rest}");
        async move {
            Proxy::rewrite(&to)
                .request_header("x-request-id", "r-9")?
                .header("x-proxied", "yes")
        }
    });
    let app = spawn_with(router, config_with(""), Clock::System);
    let response = app
        .builder(Method::POST, "/through/x?y=1")
        .body("hello upstream")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-seen-target"], "/echo/x?y=1");
    assert_eq!(response.headers()["x-seen-request-id"], "r-9");
    assert_eq!(response.headers()["x-proxied"], "yes");
    assert_eq!(response.text().await.unwrap(), "hello upstream");
}
