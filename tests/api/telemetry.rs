//! OpenTelemetry export, against a real OTLP/HTTP receiver this test
//! starts: the binary, built with the `otel` feature and pointed at it by
//! `[telemetry]`, posts protobuf batches to `/v1/traces` that name each
//! request's span (`GET /api/hello`) and its `http.route`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::test_app::serve_demo;

/// What the receiver was sent: each request's path and body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A minimal OTLP/HTTP collector: reads each POST (head, then
/// `Content-Length` bytes), keeps it, answers 200 with an empty protobuf.
async fn start_receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let received = Received::default();
    let kept = received.clone();
    actix_rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let kept = kept.clone();
            actix_rt::spawn(async move { serve_exports(stream, kept).await });
        }
    });
    (address, received)
}

async fn serve_exports(mut stream: TcpStream, kept: Received) {
    let mut buffer = Vec::new();
    loop {
        let Some(end) = find(&buffer, b"\r\n\r\n") else {
            if read_more(&mut stream, &mut buffer).await == 0 {
                return;
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buffer.len() < end + 4 + length {
            if read_more(&mut stream, &mut buffer).await == 0 {
                return;
            }
        }
        let body = buffer[end + 4..end + 4 + length].to_vec();
        buffer.drain(..end + 4 + length);
        kept.lock().unwrap().push((path, body));
        let answer =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 16 * 1024];
    let read = stream.read(&mut chunk).await.unwrap_or(0);
    buffer.extend_from_slice(&chunk[..read]);
    read
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[actix_web::test]
async fn request_spans_reach_a_real_otlp_receiver_with_their_route() {
    let (collector, received) = start_receiver().await;
    let dir = std::env::temp_dir().join(format!("trellis-otel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("trellis.toml");
    std::fs::write(
        &config,
        format!("[telemetry]\notlp_endpoint = \"{collector}\"\nservice_name = \"trellis-test\"\n"),
    )
    .unwrap();
    let (mut child, url, mut lines) = serve_demo(&["--config".as_ref(), config.as_ref()]).await;
    actix_rt::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    for path in ["/api/hello", "/posts"] {
        assert_eq!(
            reqwest::get(format!("{url}{path}")).await.unwrap().status(),
            200
        );
    }
    // SIGTERM: the export sends what it has batched before the process ends.
    let pid = child.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    let received = received.lock().unwrap().clone();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!received.is_empty(), "no export reached the receiver");
    assert!(received.iter().all(|(path, _)| path == "/v1/traces"));
    let bytes: Vec<u8> = received.into_iter().flat_map(|(_, body)| body).collect();
    for expected in [
        "GET /api/hello",
        "GET /posts",
        "http.route",
        "/api/hello",
        "trellis-test",
    ] {
        assert!(
            find(&bytes, expected.as_bytes()).is_some(),
            "{expected} in the exported spans"
        );
    }
}
