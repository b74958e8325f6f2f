//! `Request`: what a route function sees of the incoming request, as
//! `NextRequest` shows it (`nextUrl.searchParams`, `cookies`, `headers`).
//!
//! It owns its parts (no `Rc` inside) so that it can travel to a segment
//! actor in a message; the body has been read, within the limit, before,
//! unless the route streams it (`STREAM_BODY`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, Uri};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use trellis_routes::percent;

use crate::api::dynamic_reads::{DynamicReads, Read};
use crate::api::error::{Error, Result};
use crate::api::extensions::Extensions;
use crate::api::form::FormData;
use crate::api::header_lookup;
use crate::api::origin::Origin;
use crate::api::request_body::RequestBody;
use crate::api::request_head::RequestHead;

/// The incoming request.
#[derive(Debug)]
pub struct Request {
    method: Method,
    uri: Uri,
    /// The headers, and whether the client went away.
    head: Arc<RequestHead>,
    body: Bytes,
    /// The body as it arrives, in a route that streams it.
    streamed_body: Option<RequestBody>,
    origin: Origin,
    /// What the proxy handed over, on its way to the route's `Context`.
    extensions: Extensions,
    /// Set while the answer is made for the cache: records what it reads.
    dynamic_reads: Option<Arc<DynamicReads>>,
}

impl Request {
    pub(crate) fn new(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
        origin: Origin,
    ) -> Self {
        Request {
            method,
            uri,
            head: Arc::new(RequestHead::new(headers)),
            body,
            streamed_body: None,
            origin,
            extensions: Extensions::default(),
            dynamic_reads: None,
        }
    }

    /// The headers and the abort flag, which the engine keeps a hold on.
    pub(crate) fn head(&self) -> &Arc<RequestHead> {
        &self.head
    }

    /// For a route that streams its body: where the chunks arrive.
    pub(crate) fn stream_body(&mut self, body: RequestBody) {
        self.streamed_body = Some(body);
    }

    /// The request carrying what the proxy handed over to the route.
    pub(crate) fn with_extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    /// What the proxy handed over, for the route's `Context`.
    pub(crate) fn take_extensions(&mut self) -> Extensions {
        std::mem::take(&mut self.extensions)
    }

    /// A GET of `uri` with nothing of a visitor in it: no headers, no
    /// cookies, no body, and the public URL as its scheme and host. What
    /// force-static routes and background regenerations are given.
    pub(crate) fn without_visitor(uri: Uri, headers: HeaderMap, public_url: Arc<str>) -> Self {
        Request::new(
            Method::GET,
            uri,
            headers,
            Bytes::new(),
            Origin::Public(public_url),
        )
    }

    /// Records, in `reads`, every read of request data.
    pub(crate) fn watch_dynamic_reads(&mut self, reads: Arc<DynamicReads>) {
        self.dynamic_reads = Some(reads);
    }

    fn note(&self, read: Read) {
        if let Some(reads) = &self.dynamic_reads {
            reads.note(read);
        }
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL, as `request.url` gives it: `https://host/path?query`.
    /// The scheme and host are the `Host` the client sent, or behind a
    /// trusted proxy (`[server] trusted_proxies`) what the proxy forwarded;
    /// in a force-static route, `[server] public_url`.
    pub fn url(&self) -> String {
        self.note(Read::Host);
        if self.uri.query().is_some() {
            self.note(Read::Query);
        }
        let path = self.uri.path_and_query().map_or("/", |p| p.as_str());
        format!("{}{path}", self.origin.base(&self.head.headers))
    }

    /// The client's address: the peer, or behind a trusted proxy the
    /// address it forwarded (`Forwarded: for=`, `X-Forwarded-For`).
    pub fn client_ip(&self) -> Option<IpAddr> {
        self.note(Read::ClientIp);
        self.origin.client_ip(&self.head.headers)
    }

    /// The request headers, read-only (`headers()` of next/headers).
    pub fn headers(&self) -> &HeaderMap {
        self.note(Read::Headers);
        &self.head.headers
    }

    /// One header as text; `None` when absent or not visible ASCII. In a
    /// cached route, a header the response names in `Vary` is read without
    /// making the route dynamic: the cache keeps one answer per value.
    pub fn header(&self, name: &str) -> Option<&str> {
        if let Some(reads) = &self.dynamic_reads {
            reads.note_header(name);
        }
        header_lookup::first_value(&self.head.headers, name).and_then(|v| v.to_str().ok())
    }

    /// The headers as sent, for the engine (not a read by the route).
    pub(crate) fn sent_headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The URI as sent, for the engine.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    /// A future that resolves when the client goes away before its answer
    /// was sent, as `request.signal` does: work the route started (a task
    /// it spawned, a stream it feeds) can stop early. Never resolves for a
    /// request answered in full. A route function that is still running
    /// when its client goes away is dropped anyway (unless it fills the
    /// cache), so this is for what outlives it.
    ///
    /// ```
    /// # fn demo(req: &trellis_engine::Request) {
    /// let gone = req.signal();
    /// actix_rt::spawn(async move {
    ///     gone.await;
    ///     // stop the work this request started
    /// });
    /// # }
    /// ```
    pub fn signal(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let head = self.head.clone();
        async move { head.aborted().await }
    }

    /// The body as it arrives (`request.body`), chunk by chunk. In a route
    /// with `STREAM_BODY = true` this is the only way to the body, which is
    /// then never held whole; elsewhere it hands over the body already
    /// read. The body can be taken once: a second call gets no chunks.
    pub fn body_stream(&mut self) -> RequestBody {
        self.note(Read::Body);
        match self.streamed_body.take() {
            Some(streamed) => streamed,
            None => RequestBody::read(std::mem::take(&mut self.body)),
        }
    }

    /// The headers (and the disconnect signal), for the request's context
    /// to share rather than copy.
    pub(crate) fn shared_head(&self) -> Arc<RequestHead> {
        self.head.clone()
    }

    /// The parsed URL (`request.nextUrl`).
    pub fn next_url(&self) -> NextUrl<'_> {
        NextUrl { request: self }
    }

    /// The request's cookies (`request.cookies`).
    pub fn cookies(&self) -> RequestCookies {
        self.note(Read::Cookies);
        RequestCookies::from_header_values(self.head.headers.get_all(header::COOKIE))
    }

    /// The `Cookie` headers, for the context's cookie store.
    pub(crate) fn cookie_headers(&self) -> Vec<HeaderValue> {
        self.head.headers.get_all(header::COOKIE).cloned().collect()
    }

    /// The raw body. Empty in a route with `STREAM_BODY = true`, whose
    /// body is read with [`body_stream`](Self::body_stream).
    pub fn bytes(&self) -> &Bytes {
        self.note(Read::Body);
        &self.body
    }

    /// The body as UTF-8 text; other bytes are a 400.
    pub fn text(&self) -> Result<&str> {
        self.note(Read::Body);
        std::str::from_utf8(&self.body)
            .map_err(|e| Error::BadRequest(format!("body is not UTF-8: {e}")))
    }

    /// The body parsed as JSON, whatever its `Content-Type` says, as the
    /// Web's `request.json()` parses it: `fetch(url, { body:
    /// JSON.stringify(x) })` labels it `text/plain`. Malformed JSON is a 400
    /// saying what and where.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        self.note(Read::Body);
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::BadRequest(format!("invalid JSON: {e}")))
    }

    /// The body as form data (`formData()`): URL-encoded or multipart. Any
    /// other content type is a 415; a malformed form, a 400.
    pub async fn form(&self) -> Result<FormData> {
        self.note(Read::Body);
        match self.content_type().as_deref() {
            Some("application/x-www-form-urlencoded") => FormData::parse_urlencoded(&self.body),
            Some("multipart/form-data") => {
                let content_type = self.raw_header(header::CONTENT_TYPE).unwrap_or_default();
                FormData::parse_multipart(content_type, self.body.clone()).await
            }
            other => Err(Error::UnsupportedMediaType(format!(
                "expected application/x-www-form-urlencoded or multipart/form-data, got {}",
                other.unwrap_or("no content type")
            ))),
        }
    }

    /// The media type of the body, lower case, without parameters.
    fn content_type(&self) -> Option<String> {
        let value = self.raw_header(header::CONTENT_TYPE)?;
        Some(
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
        )
    }

    /// A header read by the engine itself, not by the route (so not a
    /// dynamic-data read).
    fn raw_header(&self, name: header::HeaderName) -> Option<&str> {
        self.head.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The request URL, parsed (`NextURL`).
#[derive(Debug, Clone, Copy)]
pub struct NextUrl<'a> {
    request: &'a Request,
}

impl<'a> NextUrl<'a> {
    /// The whole URL (`nextUrl.href`), as [`Request::url`] gives it.
    pub fn href(&self) -> String {
        self.request.url()
    }

    /// The path, still percent-encoded as sent.
    pub fn pathname(&self) -> &'a str {
        self.request.uri.path()
    }

    /// The query as sent, for the engine (not a read by the route).
    pub(crate) fn query(&self) -> Option<&'a str> {
        self.request.uri.query()
    }

    /// `?` and the query, or `""` when there is none.
    pub fn search(&self) -> String {
        self.request.note(Read::Query);
        self.request
            .uri
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    }

    /// The query parameters (`nextUrl.searchParams`).
    pub fn search_params(&self) -> SearchParams {
        self.request.note(Read::Query);
        SearchParams::parse(self.request.uri.query().unwrap_or(""))
    }
}

/// Query parameters, as `URLSearchParams` reads them: `+` is a space, values
/// are percent-decoded, and repeated keys are all kept in order.
///
/// ```
/// use trellis_engine::SearchParams;
///
/// let params = SearchParams::parse("query=hello+world&tag=a&tag=b&empty=");
/// assert_eq!(params.get("query"), Some("hello world"));
/// assert_eq!(params.get("tag"), Some("a"));
/// assert_eq!(params.get_all("tag"), ["a", "b"]);
/// assert_eq!(params.get("empty"), Some(""));
/// assert!(!params.has("missing"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    pairs: Vec<(String, String)>,
}

impl SearchParams {
    pub fn parse(query: &str) -> Self {
        SearchParams {
            pairs: form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    /// The first value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value for `key`, in order.
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// Every pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The cookies a request sent, read as Next.js reads them: values are
/// percent-decoded, names never are (`%61` is a name of its own, not `a`,
/// so no cookie can pose as another), and when a name repeats the last one
/// wins. A pair without `=`, with an empty name, or whose value does not
/// decode is skipped.
///
/// ```
/// use trellis_engine::RequestCookies;
///
/// let cookies = RequestCookies::parse("a=1; token=x%20y; a=2");
/// assert_eq!(cookies.get("a"), Some("2"));
/// assert_eq!(cookies.get("token"), Some("x y"));
/// assert!(cookies.get("b").is_none());
///
/// let cookies = RequestCookies::parse("a=legit; %61=attacker");
/// assert_eq!(cookies.get("a"), Some("legit"));
/// assert_eq!(cookies.get("%61"), Some("attacker"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCookies {
    /// Names and values, in the order each name was first sent.
    pairs: Vec<(String, String)>,
    /// Where each name is in `pairs`. A client chooses how many cookies it
    /// sends: one lookup per pair keeps a header of thousands linear in
    /// its size, where scanning `pairs` for each would be quadratic.
    index: HashMap<String, usize>,
}

impl RequestCookies {
    /// Parses one `Cookie` header value. Malformed pairs are skipped.
    pub fn parse(header: &str) -> Self {
        let mut cookies = RequestCookies::default();
        cookies.add_header(header);
        cookies
    }

    pub(crate) fn from_header_values<'a>(
        values: impl IntoIterator<Item = &'a HeaderValue>,
    ) -> Self {
        let mut cookies = RequestCookies::default();
        for value in values {
            if let Ok(value) = value.to_str() {
                cookies.add_header(value);
            }
        }
        cookies
    }

    fn add_header(&mut self, header: &str) {
        for pair in header.split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            // Strict, as `decodeURIComponent`: a malformed escape skips the pair.
            let Ok(value) = percent::decode(value.trim()) else {
                continue;
            };
            match self.index.get(name) {
                Some(&at) => self.pairs[at].1 = value.into_owned(),
                None => {
                    self.index.insert(name.to_string(), self.pairs.len());
                    self.pairs.push((name.to_string(), value.into_owned()));
                }
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&at| self.pairs[at].1.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Every cookie, in the order first sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_names_are_never_percent_decoded_but_values_are() {
        let cookies = RequestCookies::parse("a=legit; %61=attacker; b=x%3By");
        assert_eq!(cookies.get("a"), Some("legit"));
        assert_eq!(cookies.get("%61"), Some("attacker"));
        assert_eq!(cookies.get("b"), Some("x;y"));
        let names: Vec<&str> = cookies.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "%61", "b"]);
    }

    #[test]
    fn a_repeated_name_keeps_its_first_place_and_its_last_value() {
        let cookies = RequestCookies::parse("a=1; b=2; a=3; c=4; b=5");
        let all: Vec<(&str, &str)> = cookies.iter().collect();
        assert_eq!(all, [("a", "3"), ("b", "5"), ("c", "4")]);
        assert!(cookies.has("c") && !cookies.has("d"));
    }

    #[test]
    fn malformed_pairs_are_skipped() {
        let cookies = RequestCookies::parse("=x; novalue; a=%ZZ; b=%FF; ; c = 1 ");
        let all: Vec<(&str, &str)> = cookies.iter().collect();
        assert_eq!(all, [("c", "1")]);
    }

    #[test]
    fn thousands_of_cookies_with_repeated_names_are_all_read() {
        let header: Vec<String> = (0..6000).map(|i| format!("n{}={i}", i % 3000)).collect();
        let cookies = RequestCookies::parse(&header.join("; "));
        assert_eq!(cookies.iter().count(), 3000);
        assert_eq!(cookies.get("n0"), Some("3000"), "the last one wins");
        assert_eq!(cookies.get("n2999"), Some("5999"));
        assert_eq!(cookies.iter().next(), Some(("n0", "3000")));
    }
}
