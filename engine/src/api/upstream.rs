//! The one HTTP client route functions fetch through: reqwest (over rustls
//! with the `tls` feature, no system TLS library; plain http only without
//! it, see `tls`), its connections pooled and kept alive, every call
//! bounded by a timeout. It runs on a thread and runtime of its own,
//! one for the process: a pooled connection is driven by the runtime that
//! opened it, and HTTP workers (whole servers, in tests) come and go while
//! the pool stays; and a slow upstream never occupies a worker's loop.

use std::error::Error as _;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use bytes::{Bytes, BytesMut};

use crate::api::data_cache::DataValue;

/// How long a fetch waits for its whole answer unless it sets its own.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Answers larger than this are refused: a route's memory is finite.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Idle connections kept per upstream host, ready for the next fetch.
const IDLE_PER_HOST: usize = 32;

/// One request for the upstream.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamRequest {
    pub(crate) method: Method,
    pub(crate) url: url::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) timeout: Duration,
}

struct Upstream {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

/// The client and its thread, started by the first fetch.
fn upstream() -> Result<&'static Upstream, String> {
    static UPSTREAM: OnceLock<Result<Upstream, String>> = OnceLock::new();
    UPSTREAM.get_or_init(start).as_ref().map_err(Clone::clone)
}

fn start() -> Result<Upstream, String> {
    let (started, upstream) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("trellis-fetch".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = started.send(Err(format!("cannot start the fetch runtime: {error}")));
                    return;
                }
            };
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(IDLE_PER_HOST)
                .build()
                .map_err(|error| format!("cannot build the fetch client: {error}"));
            let _ = started.send(client.map(|client| Upstream {
                client,
                runtime: runtime.handle().clone(),
            }));
            runtime.block_on(std::future::pending::<()>());
        })
        .map_err(|error| format!("cannot start the fetch thread: {error}"))?;
    upstream
        .recv()
        .map_err(|error| format!("the fetch thread did not start: {error}"))?
}

/// Sends `request` and reads its whole answer, on the fetch thread. `Err`
/// when there is no answer: unreachable, timed out, too large.
pub(crate) async fn send(request: UpstreamRequest) -> Result<DataValue, String> {
    let upstream = upstream()?;
    let answer = upstream
        .runtime
        .spawn(execute(upstream.client.clone(), request));
    answer
        .await
        .map_err(|error| format!("the fetch was lost: {error}"))?
}

async fn execute(client: reqwest::Client, request: UpstreamRequest) -> Result<DataValue, String> {
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
        .map_err(|error| error.to_string())?;
    let mut call = client.request(method, request.url).timeout(request.timeout);
    for (name, value) in &request.headers {
        call = call.header(name.as_str(), value.as_bytes());
    }
    if !request.body.is_empty() {
        call = call.body(request.body);
    }
    let mut response = call.send().await.map_err(describe)?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).map_err(|error| error.to_string())?;
    let mut headers = Vec::with_capacity(response.headers().len());
    for (name, value) in response.headers() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.push((name, value));
        }
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("the answer is larger than {MAX_BODY_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(DataValue {
        status,
        headers,
        body: body.freeze(),
    })
}

/// reqwest's error and its causes (its own text says only "error sending
/// request"), without the URL, whose query may hold a key.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
