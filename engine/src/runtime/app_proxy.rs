//! The app's proxy, ready to serve: its matcher compiled, the decision
//! whether it runs for a request (cheap: most paths fail a literal prefix),
//! and the running of its function, with errors, panics and the route's
//! `MAX_DURATION` turned into answers and told to the error hook, as a
//! route function's are.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use futures_util::FutureExt;
use trellis_config::ConfigError;
use trellis_routes::{percent, PathMatcher};
use url::Url;

use crate::api::cookies::CookieStore;
use crate::api::error::Error;
use crate::api::extensions::Extensions;
use crate::api::handler::BoxedProxy;
use crate::api::proxy::{ProxyAction, RequestHeaderChange};
use crate::api::proxy_context::ProxyContext;
use crate::api::request::Request;
use crate::api::request_error::{ErrorContext, ErrorHook, ErrorKind, RequestError};
use crate::api::response::Response;
use crate::api::router::ProxyRegistration;
use crate::runtime::conditions::Conditions;
use crate::runtime::destination::Target;
use crate::runtime::error_report::{self, ReportedRequest};
use crate::runtime::guard::has_dot_segment;
use crate::runtime::panics;
use crate::runtime::request_view::RequestView;

pub(crate) struct AppProxy {
    source: String,
    /// `None`: every path (but the engine's endpoints).
    entries: Option<Vec<Entry>>,
    function: BoxedProxy,
    /// The app's error hook, told of the proxy's failures.
    on_error: Option<ErrorHook>,
}

struct Entry {
    path: PathMatcher,
    conditions: Conditions,
    /// The entry's literal text reaches past `/` (`/_trellis/:path*`): it
    /// may cover an engine endpoint, where `/:path*` does not.
    names_endpoints: bool,
}

/// What the proxy decided for one request.
pub(crate) enum Decision {
    Next,
    /// A path or URL, as the proxy wrote it.
    Rewrite(String),
    /// Its own answer, a redirect, or the answer to its failure.
    Answer(Response),
}

/// What the proxy adds to the request and its answer.
#[derive(Default)]
pub(crate) struct ProxyChanges {
    request_headers: Vec<RequestHeaderChange>,
    response_headers: Vec<(HeaderName, HeaderValue)>,
    cookies: CookieStore,
    pub extensions: Extensions,
}

impl AppProxy {
    /// The app's one proxy, if it has one, reporting its failures to
    /// `on_error`.
    pub(crate) fn compile(
        registrations: Vec<ProxyRegistration>,
        on_error: Option<ErrorHook>,
    ) -> Result<Option<AppProxy>, ConfigError> {
        let mut registrations = registrations.into_iter();
        let Some(registration) = registrations.next() else {
            return Ok(None);
        };
        if let Some(second) = registrations.next() {
            return Err(ConfigError::InvalidSegment {
                file: second.source,
                problem: format!(
                    "a second proxy: an app has one, and {} is it",
                    registration.source
                ),
            });
        }
        let invalid = |problem: String| ConfigError::InvalidSegment {
            file: registration.source.clone(),
            problem: format!("`MATCHER`: {problem}"),
        };
        let entries = match &registration.matcher {
            None => None,
            Some(matcher) => Some(
                matcher
                    .iter()
                    .map(|entry| {
                        let path =
                            PathMatcher::parse(entry.source).map_err(|e| invalid(e.to_string()))?;
                        let has: Vec<_> = entry.has.iter().map(|c| c.to_config()).collect();
                        let missing: Vec<_> = entry.missing.iter().map(|c| c.to_config()).collect();
                        let conditions = Conditions::compile(&has, &missing)
                            .map_err(|e| invalid(format!("`{}`: {e}", entry.source)))?;
                        let names_endpoints =
                            !path.literal_prefix().trim_end_matches('/').is_empty();
                        Ok(Entry {
                            path,
                            conditions,
                            names_endpoints,
                        })
                    })
                    .collect::<Result<Vec<_>, ConfigError>>()?,
            ),
        };
        Ok(Some(AppProxy {
            source: registration.source,
            entries,
            function: registration.function,
            on_error,
        }))
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the proxy runs for the request; for an engine endpoint, only
    /// when an entry names it. A path a matcher gives up on counts as
    /// covered: the proxy may be what guards it.
    /// The literal text each matcher entry's paths start with; `""` for a
    /// proxy without a matcher, which sees every path.
    pub(crate) fn literal_prefixes(&self) -> Vec<&str> {
        match &self.entries {
            None => vec![""],
            Some(entries) => entries.iter().map(|e| e.path.literal_prefix()).collect(),
        }
    }

    pub(crate) fn covers(&self, request: &RequestView, endpoint: bool) -> bool {
        let Some(entries) = &self.entries else {
            return !endpoint;
        };
        entries.iter().any(|entry| {
            (!endpoint || entry.names_endpoints)
                && entry.path.is_match(&request.path).unwrap_or(true)
                && entry.conditions.allow(request)
        })
    }

    /// Runs the proxy function for `request` at `path` (as matched),
    /// within `limit()` (the route's deadline) when there is one: asked
    /// only of a proxy that waits.
    pub(crate) async fn run(
        &self,
        request: Request,
        path: &str,
        limit: impl FnOnce() -> Option<Duration>,
    ) -> (Decision, ProxyChanges) {
        let cookies = CookieStore::new(request.cookie_headers());
        let context = ProxyContext::new(path, cookies.clone());
        let kept = context.share();
        // Kept only for an app that listens: nothing fails, nothing is kept.
        let reported = self
            .on_error
            .as_ref()
            .map(|_| ReportedRequest::of(&request));
        let report = |error: RequestError<'_>| self.report(&error, reported.as_ref());
        let call =
            AssertUnwindSafe(async { (self.function)(request, context).await }).catch_unwind();
        let mut call = std::pin::pin!(call);
        // Polled once first: most proxies decide without waiting, and those
        // arm no timer.
        let first = std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await;
        let outcome = match first {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => match limit() {
                Some(limit) => match actix_rt::time::timeout(limit, call).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        tracing::warn!(proxy = self.source, ?limit, "proxy ran past maxDuration");
                        report(RequestError::TimedOut(limit));
                        let late = Response::json_error(
                            StatusCode::GATEWAY_TIMEOUT,
                            "proxy ran past maxDuration",
                        );
                        return (Decision::Answer(late), ProxyChanges::default());
                    }
                },
                None => call.await,
            },
        };
        let proxy = match outcome {
            Ok(Ok(proxy)) => proxy,
            Ok(Err(error)) => {
                if let Error::Internal(cause) = &error {
                    report(RequestError::Error(&**cause));
                }
                return (
                    Decision::Answer(error.into_response(&self.source)),
                    ProxyChanges::default(),
                );
            }
            Err(panic) => {
                let message = panics::message(&*panic);
                tracing::error!(proxy = self.source, panic = message, "proxy panicked");
                report(RequestError::Panic(message));
                let failed = Response::empty(StatusCode::INTERNAL_SERVER_ERROR);
                return (Decision::Answer(failed), ProxyChanges::default());
            }
        };
        let decision = match proxy.action {
            ProxyAction::Next => Decision::Next,
            ProxyAction::Rewrite(url) => Decision::Rewrite(url),
            ProxyAction::Respond(response) => Decision::Answer(response),
            ProxyAction::Redirect { location, status } => {
                Decision::Answer(Response::to_location(status, &location).unwrap_or_else(|| {
                    tracing::error!(
                        proxy = self.source,
                        "refused a redirect to a URL that is not valid header text"
                    );
                    Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
                }))
            }
        };
        let changes = ProxyChanges {
            request_headers: proxy.request_headers,
            response_headers: proxy.response_headers,
            cookies,
            extensions: kept.take_extensions(),
        };
        (decision, changes)
    }

    /// Tells the app's error hook, if it has one, of `error` in the
    /// request the proxy ran for.
    fn report(&self, error: &RequestError<'_>, request: Option<&ReportedRequest>) {
        let (Some(hook), Some(request)) = (&self.on_error, request) else {
            return;
        };
        let context = ErrorContext {
            route: &self.source,
            kind: ErrorKind::Proxy,
            revalidate_reason: None,
        };
        error_report::tell(hook, error, &request.as_errored(), &context);
    }
}

impl ProxyChanges {
    /// Sets and removes the request headers the proxy said.
    pub(crate) fn apply_to_request(&self, headers: &mut HeaderMap) {
        for change in &self.request_headers {
            match change {
                RequestHeaderChange::Set(name, value) => {
                    headers.insert(name.clone(), value.clone());
                }
                RequestHeaderChange::Remove(name) => {
                    headers.remove(name);
                }
            }
        }
    }

    /// Adds the proxy's response headers and cookies to the answer.
    pub(crate) fn apply_to_response(self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in self.response_headers {
            headers.insert(name, value);
        }
        for set_cookie in self.cookies.set_cookie_headers() {
            headers.append(header::SET_COOKIE, set_cookie);
        }
    }
}

/// Where `Proxy::rewrite(url)` sends the request: an app path or another
/// server, the request's `query` kept when the URL has none. A
/// path with a `.` or `..` segment, raw or encoded, is a 400: what the
/// proxy took from the request must not climb out of the path it chose
/// (URL parsers resolve such segments, even encoded ones).
pub(crate) fn rewrite_target(url: &str, query: Option<&str>) -> Result<Target, Response> {
    let refused = || Response::json_error(StatusCode::BAD_REQUEST, "invalid rewrite destination");
    let unusable = || {
        tracing::error!(
            url,
            "the proxy rewrote to neither a path nor an http(s) URL"
        );
        Response::empty(StatusCode::INTERNAL_SERVER_ERROR)
    };
    if let Some(after_scheme) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    {
        let path = after_scheme
            .find(['/', '\\'])
            .map_or("", |at| &after_scheme[at..]);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if has_dot_segment(path) {
            return Err(refused());
        }
        let mut url = Url::parse(url).map_err(|_| unusable())?;
        if url.query().is_none() {
            url.set_query(query);
        }
        return Ok(Target::External(url));
    }
    if !url.starts_with('/') || url.starts_with("//") {
        return Err(unusable());
    }
    let url = url.split('#').next().unwrap_or_default();
    let (path, own_query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    if has_dot_segment(path) || path.contains('\\') || percent::validate(path).is_err() {
        return Err(refused());
    }
    Ok(Target::App(match own_query.or(query) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_to_a_path_keeps_the_query_unless_it_has_its_own() {
        let target = |url, query| rewrite_target(url, query).ok();
        assert_eq!(
            target("/blog/a", Some("x=1")),
            Some(Target::App("/blog/a?x=1".into()))
        );
        assert_eq!(
            target("/blog/a?y=2", Some("x=1")),
            Some(Target::App("/blog/a?y=2".into()))
        );
        let external = target("https://api.example/v1/a?x=1", Some("y=2"));
        assert!(
            matches!(external, Some(Target::External(url)) if url.as_str() == "https://api.example/v1/a?x=1")
        );
        let external = target("https://api.example/v1/a", Some("y=2"));
        assert!(
            matches!(external, Some(Target::External(url)) if url.as_str() == "https://api.example/v1/a?y=2")
        );
    }

    #[test]
    fn a_rewrite_that_would_climb_or_leave_the_host_is_refused() {
        for url in [
            "/blog/../admin",
            "/blog/%2e%2E/admin",
            "/blog\\..\\admin",
            "https://api.example/v1/../admin",
            "https://api.example/v1/%2e%2e/admin",
            "https://api.example/v1\\..\\admin",
        ] {
            let refused = rewrite_target(url, None).unwrap_err();
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{url}");
        }
        for url in ["//evil.example/x", "blog/a", "ftp://files.example/x"] {
            let unusable = rewrite_target(url, None).unwrap_err();
            assert_eq!(
                unusable.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{url}"
            );
        }
    }
}
