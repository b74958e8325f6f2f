//! Rewrites to another server: the request sent on with both bodies
//! streamed, through one pooled HTTP client for the whole server. The
//! upstream sees the client's method, path (the destination's), headers
//! without the hop-by-hop ones, and `X-Forwarded-For`, `-Host` and
//! `-Proto`; the client sees the upstream's status, headers (hop-by-hop
//! dropped) and body, chunk by chunk. An upstream that cannot be reached
//! is a 502 (an https one too, in a build without the `tls` feature: the
//! log says so); one that does not answer within the timeout, a 504.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use url::Url;

use crate::api::response::{Body, BoxError, Response};
use crate::api::tls;

/// The client every rewrite to another server goes through.
pub(crate) struct Upstream {
    client: reqwest::Client,
    timeout: Duration,
}

/// What the upstream is told of the client, and of the URL it asked for.
pub(crate) struct Forwarded<'a> {
    /// The address the request came from.
    pub peer: Option<IpAddr>,
    /// `scheme://host` of the request's URL.
    pub base: &'a str,
    /// Whether the peer is a trusted proxy, whose `X-Forwarded-For` is
    /// extended; anyone else's is replaced (a client must not choose it).
    pub from_trusted_proxy: bool,
}

/// Chunks of the request body in flight to the upstream: a few, so a slow
/// upstream slows the client down instead of filling memory.
const REQUEST_CHUNKS_IN_FLIGHT: usize = 4;

/// Headers for one connection only (RFC 9110 7.6.1), never passed on.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

impl Upstream {
    /// One client, its connections pooled; `timeout` bounds the connection,
    /// the wait for the response head, and each wait for a body chunk.
    pub(crate) fn new(timeout: Duration) -> Result<Upstream, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            // The client's redirects are the client's to follow.
            .redirect(reqwest::redirect::Policy::none())
            // The rule names the server: no `HTTP_PROXY` in between.
            .no_proxy()
            .build()?;
        Ok(Upstream { client, timeout })
    }

    /// Sends the request on to `url` and streams the answer back.
    pub(crate) async fn forward(
        &self,
        url: Url,
        method: &Method,
        headers: &HeaderMap,
        payload: Payload,
        forwarded: Forwarded<'_>,
    ) -> Response {
        let Ok(upstream_method) = reqwest::Method::from_bytes(method.as_str().as_bytes()) else {
            return Response::json_error(StatusCode::BAD_REQUEST, "invalid method");
        };
        // A proxy's rewrite, or `${self}` at an https public URL: known only
        // now. A destination in trellis.toml was refused at start-up.
        if let Some(why) = tls::refusal(url.scheme()) {
            tracing::warn!(upstream = %without_query(&url), why, "upstream unreachable");
            return Response::json_error(StatusCode::BAD_GATEWAY, "upstream unreachable");
        }
        let mut request = self
            .client
            .request(upstream_method, url.clone())
            .headers(request_headers(headers, &forwarded));
        if !matches!(payload, Payload::None) {
            request = request.body(reqwest::Body::wrap_stream(request_body(payload)));
        }
        let sent = actix_rt::time::timeout(self.timeout, request.send()).await;
        let answer = match sent {
            Ok(Ok(answer)) => answer,
            Ok(Err(error)) if !error.is_timeout() => {
                tracing::warn!(upstream = %without_query(&url), %error, "upstream unreachable");
                return Response::json_error(StatusCode::BAD_GATEWAY, "upstream unreachable");
            }
            _ => {
                tracing::warn!(upstream = %without_query(&url), timeout = ?self.timeout, "upstream did not answer in time");
                return Response::json_error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream did not answer in time",
                );
            }
        };
        let status =
            StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let headers = response_headers(answer.headers());
        let bodiless = method == Method::HEAD
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let body = match bodiless {
            true => Body::Empty,
            false => Body::Stream(Box::pin(
                answer
                    .bytes_stream()
                    .map(|chunk| chunk.map_err(|e| -> BoxError { Box::new(e) })),
            )),
        };
        Response::from_parts(status, headers, body)
    }
}

/// The URL without its query, which may carry what the logs must not.
fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// The request body, read from the client on this worker and handed to
/// the client library as it arrives. actix's payload stays on its thread;
/// the channel carries its chunks to a stream the HTTP client can own.
fn request_body(
    mut payload: Payload,
) -> impl futures_util::Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, BoxError>>(REQUEST_CHUNKS_IN_FLIGHT);
    actix_rt::spawn(async move {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| -> BoxError { Box::new(e) });
            let failed = chunk.is_err();
            // The upstream stopped reading: so do we.
            if sender.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
}

/// The names a `Connection` header lists: hop-by-hop for this message.
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

fn passes(name: &str, listed: &[String]) -> bool {
    !HOP_BY_HOP.contains(&name) && !listed.iter().any(|l| l == name)
}

/// The client's headers for the upstream: hop-by-hop ones dropped, `Host`
/// left to the client library (the upstream's own), the body's length to
/// its chunked encoding, and the `X-Forwarded-*` headers set.
fn request_headers(headers: &HeaderMap, forwarded: &Forwarded<'_>) -> reqwest::header::HeaderMap {
    let listed = connection_listed(headers);
    let replaced = [
        header::HOST.as_str(),
        header::CONTENT_LENGTH.as_str(),
        X_FORWARDED_FOR,
        X_FORWARDED_HOST,
        X_FORWARDED_PROTO,
    ];
    let mut upstream = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        if !passes(name, &listed) || replaced.contains(&name) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            upstream.append(name, value);
        }
    }
    let mut chain: Vec<String> = match forwarded.from_trusted_proxy {
        true => headers
            .get_all(X_FORWARDED_FOR)
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect(),
        false => Vec::new(),
    };
    chain.extend(forwarded.peer.map(|ip| ip.to_string()));
    let (scheme, host) = forwarded
        .base
        .split_once("://")
        .unwrap_or(("http", forwarded.base));
    for (name, value) in [
        (X_FORWARDED_FOR, chain.join(", ")),
        (X_FORWARDED_HOST, host.to_string()),
        (X_FORWARDED_PROTO, scheme.to_string()),
    ] {
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&value) {
            if !value.is_empty() {
                upstream.insert(name, value);
            }
        }
    }
    upstream
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const X_FORWARDED_HOST: &str = "x-forwarded-host";
const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// The upstream's headers for the client: hop-by-hop ones dropped, and the
/// length, which the streamed body's chunked encoding replaces.
fn response_headers(headers: &reqwest::header::HeaderMap) -> HeaderMap {
    let listed: Vec<String> = headers
        .get_all(reqwest::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut client = HeaderMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        if !passes(name, &listed) || name == header::CONTENT_LENGTH.as_str() {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            client.append(name, value);
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_stay_behind_and_the_forwarding_ones_are_set() {
        let mut sent = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-secret-hop"),
            ("x-secret-hop", "1"),
            ("te", "trailers"),
            ("host", "shop.example"),
            ("x-forwarded-for", "203.0.113.1"),
            ("accept", "text/plain"),
        ] {
            sent.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let untrusted = Forwarded {
            peer: "198.51.100.7".parse().ok(),
            base: "http://shop.example",
            from_trusted_proxy: false,
        };
        let upstream = request_headers(&sent, &untrusted);
        for gone in ["connection", "x-secret-hop", "te", "host"] {
            assert!(upstream.get(gone).is_none(), "{gone}");
        }
        assert_eq!(upstream["accept"], "text/plain");
        assert_eq!(
            upstream["x-forwarded-for"], "198.51.100.7",
            "a client's own claim is dropped"
        );
        assert_eq!(upstream["x-forwarded-host"], "shop.example");
        assert_eq!(upstream["x-forwarded-proto"], "http");
        let trusted = Forwarded {
            from_trusted_proxy: true,
            ..untrusted
        };
        let upstream = request_headers(&sent, &trusted);
        assert_eq!(upstream["x-forwarded-for"], "203.0.113.1, 198.51.100.7");
    }
}
