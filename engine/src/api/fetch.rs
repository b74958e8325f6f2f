//! `trellis::fetch`: the Web `fetch` for route functions, with Next.js's
//! cache options: `.revalidate(secs)` (`next: { revalidate }`),
//! `.tags([..])` (`next: { tags }`) and `.cache(Cache::ForceCache |
//! Cache::NoStore)`. A cached answer lives in the data cache, in the same
//! store as responses, memory and (with the `redis` feature) Redis alike.
//!
//! What is cached, as Next.js 15 decides it: a GET with a period, tags or
//! `ForceCache`, and any method with `ForceCache`. `NoStore` and
//! `.revalidate(0)` are never cached and make an `auto` route dynamic, as a
//! read of cookies does. A fetch with no option is not cached and changes
//! nothing else (Next.js's "auto no cache").

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use trellis_config::tag_problem;

use crate::api::data_cache::{
    self, DataCache, DataKey, DataRequest, DataValue, FetchRequest, Produce,
};
use crate::api::error::Result;
use crate::api::run_scope;
use crate::api::tls;
use crate::api::upstream::{self, UpstreamRequest, DEFAULT_TIMEOUT};

/// Starts a fetch of `url`: a GET unless told otherwise, sent when awaited
/// (or by [`Fetch::send`]). A URL starting with `/` is this server itself.
///
/// ```no_run
/// # async fn demo() -> trellis_engine::Result<()> {
/// use trellis_engine::fetch;
///
/// let posts = fetch("https://api.vercel.app/blog").revalidate(60).tags(["blog"]).await?;
/// let posts: serde_json::Value = posts.json()?;
/// # Ok(()) }
/// ```
pub fn fetch(url: impl Into<String>) -> Fetch {
    Fetch {
        url: url.into(),
        method: Method::GET,
        headers: Vec::new(),
        body: Bytes::new(),
        revalidate: None,
        tags: Vec::new(),
        cache: None,
        timeout: DEFAULT_TIMEOUT,
        problem: None,
    }
}

/// `cache:` of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// `'force-cache'`: cached whatever the method, until its period (if
    /// any) runs out or it is revalidated.
    ForceCache,
    /// `'no-store'`: fetched every time; the route is dynamic.
    NoStore,
}

/// A fetch being built; awaiting it sends it.
#[must_use = "a fetch is sent when awaited"]
#[derive(Debug)]
pub struct Fetch {
    url: String,
    method: Method,
    headers: Vec<(String, String)>,
    body: Bytes,
    revalidate: Option<u64>,
    tags: Vec<String>,
    cache: Option<Cache>,
    timeout: Duration,
    /// What made the request unsendable (a body that would not
    /// serialize), reported when it is sent.
    problem: Option<String>,
}

/// How one fetch is cached.
enum Caching {
    Stored,
    /// Not cached, and nothing else follows (no option given).
    Plain,
    /// Never cached, on purpose: live data.
    Live,
}

impl Fetch {
    /// The request's method (`method:`); GET unless set.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Adds a request header. One HTTP forbids (CR, LF) fails the fetch.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The request's body (`body:`), sent as given.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// `value` as the JSON body, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = Bytes::from(body);
                self.header(CONTENT_TYPE.as_str(), "application/json")
            }
            Err(error) => {
                self.problem = Some(format!("the JSON body does not serialize: {error}"));
                self
            }
        }
    }

    /// `next: { revalidate }`: cached, fresh for `seconds`, then served
    /// stale while one refresh runs. 0 never caches (and makes an `auto`
    /// route dynamic). The route's own entry is fresh no longer than this.
    pub fn revalidate(mut self, seconds: u64) -> Self {
        self.revalidate = Some(seconds);
        self
    }

    /// `next: { tags }`: `revalidate_tag` reaches the cached answer, and
    /// the entry of the route that used it.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// `cache: 'force-cache' | 'no-store'`.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The longest the whole answer may take (10 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn caching(&self) -> Caching {
        match (self.cache, self.revalidate) {
            (Some(Cache::NoStore), _) | (_, Some(0)) => Caching::Live,
            (Some(Cache::ForceCache), _) => Caching::Stored,
            (None, period)
                if self.method == Method::GET && (period.is_some() || !self.tags.is_empty()) =>
            {
                Caching::Stored
            }
            (None, _) => Caching::Plain,
        }
    }

    /// Sends the fetch (or answers it from the data cache). `Err` when no
    /// answer came: the upstream unreachable, too slow, or the request
    /// unsendable. A 5xx is an answer; a stale cached answer is served
    /// instead of a failure or a 5xx (stale-if-error).
    pub async fn send(mut self) -> Result<FetchResponse, FetchError> {
        if let Some(problem) = self.problem.take() {
            return Err(FetchError::of(&self.url, problem));
        }
        let cache = data_cache::installed();
        match (self.caching(), &cache) {
            (Caching::Stored, Some(cache)) => return self.through_cache(cache.clone()).await,
            (Caching::Live, _) => run_scope::used_live_data(),
            // Outside a server's worker there is no data cache to keep it in.
            (Caching::Stored | Caching::Plain, _) => {}
        }
        let own_url = cache.map(|cache| cache.own_url());
        let (request, _, _) = self.into_parts();
        let fail = |reason| FetchError::of(&request.url, reason);
        let upstream_request = upstream_request(&request, own_url.as_deref()).map_err(fail)?;
        upstream::send(upstream_request)
            .await
            .map(FetchResponse::from)
            .map_err(fail)
    }

    /// The answer through the data cache. The request is checked and built
    /// only when it is sent, and shared by the key and its making: a hit
    /// costs a lookup and copies nothing of it. The run making an entry,
    /// if any, learns the answer's period and tags.
    async fn through_cache(self, cache: Rc<dyn DataCache>) -> Result<FetchResponse, FetchError> {
        let (request, revalidate, tags) = self.into_parts();
        let tags = valid_tags(tags);
        let revalidate = revalidate.map(Duration::from_secs);
        run_scope::used_data(revalidate, &tags);
        let request = Rc::new(request);
        let sent = request.clone();
        let own_url = cache.own_url();
        let data = DataRequest {
            key: DataKey::Fetch(request.clone()),
            revalidate,
            tags,
            entry: run_scope::entry_made(),
        };
        let produce: Produce = Rc::new(move || {
            let request = upstream_request(&sent, Some(&own_url));
            Box::pin(async move { upstream::send(request?).await })
        });
        cache
            .cached(data, produce)
            .await
            .map(FetchResponse::from)
            .map_err(|reason| FetchError::of(&request.url, reason))
    }

    /// What goes upstream, its period and its tags.
    fn into_parts(self) -> (FetchRequest, Option<u64>, Vec<String>) {
        let request = FetchRequest {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            timeout: self.timeout,
        };
        (request, self.revalidate, self.tags)
    }
}

/// The tags that can be tags; the others are logged and left out.
fn valid_tags(mut tags: Vec<String>) -> Vec<String> {
    tags.retain(|tag| match tag_problem(tag) {
        Some(problem) => {
            tracing::warn!(tag = %tag, problem, "fetch: tag left out");
            false
        }
        None => true,
    });
    tags
}

impl IntoFuture for Fetch {
    type Output = Result<FetchResponse, FetchError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The request, checked: an absolute http(s) URL (one starting with `/` is
/// this server, at `own_url`), headers HTTP allows.
fn upstream_request(
    request: &FetchRequest,
    own_url: Option<&str>,
) -> Result<UpstreamRequest, String> {
    let url = match url::Url::parse(&request.url) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) if request.url.starts_with('/') => {
            let own_url = own_url.ok_or(
                "a relative URL is this server, and this code runs outside one (use an absolute URL)",
            )?;
            url::Url::parse(own_url)
                .and_then(|base| base.join(&request.url))
                .map_err(|error| error.to_string())?
        }
        Err(error) => return Err(error.to_string()),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{}:` URLs cannot be fetched; use http or https",
            url.scheme()
        ));
    }
    if let Some(why) = tls::refusal(url.scheme()) {
        return Err(why.to_string());
    }
    Ok(UpstreamRequest {
        method: request.method.clone(),
        url,
        headers: header_map(&request.headers)?,
        body: request.body.clone(),
        timeout: request.timeout,
    })
}

fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::try_from(name.as_str())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        let value = HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// A fetch that got no answer, naming the URL (without its query, which
/// may hold a key) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fetch {target}: {reason}")]
pub struct FetchError {
    target: String,
    reason: String,
}

impl FetchError {
    /// The failure of a fetch of `url`, named without its query.
    fn of(url: &str, reason: String) -> Self {
        FetchError {
            target: url.split('?').next().unwrap_or_default().to_string(),
            reason,
        }
    }

    /// Why no answer came.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// An answer, from the upstream or from the data cache.
#[derive(Debug, Clone)]
pub struct FetchResponse {
    status: StatusCode,
    /// As received. Most routes read the body only, so the `HeaderMap`
    /// (a table to build) is made the first time `headers()` is called.
    headers: Vec<(HeaderName, HeaderValue)>,
    header_map: OnceLock<HeaderMap>,
    body: Bytes,
}

impl FetchResponse {
    /// `response.status`.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `response.ok`: a 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// `response.headers`.
    pub fn headers(&self) -> &HeaderMap {
        self.header_map.get_or_init(|| {
            let mut map = HeaderMap::with_capacity(self.headers.len());
            for (name, value) in &self.headers {
                map.append(name.clone(), value.clone());
            }
            map
        })
    }

    /// One header as text (its first value, if sent more than once);
    /// `None` when absent or not visible ASCII. Any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.to_str().ok())
    }

    /// The body as received (`response.arrayBuffer()`).
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as UTF-8 text; other bytes are an error (a 500, logged).
    pub fn text(&self) -> Result<&str> {
        Ok(std::str::from_utf8(&self.body)?)
    }

    /// The body parsed as JSON; malformed JSON is an error (a 500: the
    /// upstream's fault, not the client's).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

impl From<DataValue> for FetchResponse {
    fn from(value: DataValue) -> Self {
        FetchResponse {
            status: value.status,
            headers: value.headers,
            header_map: OnceLock::new(),
            body: value.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answers_headers_are_read_by_any_case_and_as_a_map_alike() {
        let answer = FetchResponse::from(DataValue {
            status: StatusCode::OK,
            headers: vec![
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (
                    HeaderName::from_static("x-seen"),
                    HeaderValue::from_static("1"),
                ),
                (
                    HeaderName::from_static("x-seen"),
                    HeaderValue::from_static("2"),
                ),
            ],
            body: Bytes::from_static(b"{}"),
        });
        assert_eq!(answer.header("Content-Type"), Some("application/json"));
        assert_eq!(answer.header("x-seen"), Some("1"), "the first value");
        assert_eq!(answer.header("x-absent"), None);
        let all: Vec<_> = answer.headers().get_all("x-seen").collect();
        assert_eq!(all, ["1", "2"]);
        let content_type = answer.headers().get(CONTENT_TYPE);
        assert_eq!(
            content_type.and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
    }
}
