//! What an app's `on_request_error` hook is told, as Next.js's
//! `instrumentation.onRequestError(error, request, context)`: the failure,
//! the request it happened in, and where (route, kind, revalidation).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::http::Method;

/// What failed.
#[derive(Debug, Clone, Copy)]
pub enum RequestError<'a> {
    /// The route function (or a callback) returned an internal error.
    Error(&'a (dyn StdError + Send + Sync + 'static)),
    /// It panicked, with this message.
    Panic(&'a str),
    /// It ran past the route's `MAX_DURATION`.
    TimedOut(Duration),
    /// The engine could not use its answer, for this reason (a
    /// `DYNAMIC = Error` route that read request data, a regeneration
    /// whose answer may not be stored).
    Refused(&'a str),
}

impl fmt::Display for RequestError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Error(error) => {
                write!(f, "{error}")?;
                let mut source = error.source();
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            RequestError::Panic(message) => write!(f, "panicked: {message}"),
            RequestError::TimedOut(limit) => write!(f, "ran past maxDuration ({limit:?})"),
            RequestError::Refused(reason) => f.write_str(reason),
        }
    }
}

/// The request a failure happened in: for a background regeneration, the
/// one the engine made (the key's path, no visitor's headers).
#[derive(Debug, Clone, Copy)]
pub struct ErroredRequest<'a> {
    pub method: &'a Method,
    /// The path and query, as sent.
    pub path: &'a str,
    pub headers: &'a HeaderMap,
}

/// What was running when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A route function answering a request, or its `after()` callbacks.
    Route,
    /// A regeneration of a cached answer.
    Revalidation,
    /// The app's proxy (Next.js's `routeType: 'middleware'`).
    Proxy,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Route => "route",
            ErrorKind::Revalidation => "revalidation",
            ErrorKind::Proxy => "proxy",
        }
    }
}

/// Why a regeneration ran, as Next.js's `revalidateReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevalidateReason {
    /// A request found the entry past its period.
    Stale,
    /// `revalidate_path` or `revalidate_tag`.
    OnDemand,
    /// The refresh timer, for a popular entry whose period is over.
    Timer,
}

impl RevalidateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RevalidateReason::Stale => "stale",
            RevalidateReason::OnDemand => "on-demand",
            RevalidateReason::Timer => "timer",
        }
    }
}

/// Where a failure happened.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// The route pattern, such as `/blog/[...slug]`; for the proxy, its
    /// file (`app/proxy.rs`).
    pub route: &'a str,
    pub kind: ErrorKind,
    /// Set for regenerations; `None` for prerendering at start-up.
    pub revalidate_reason: Option<RevalidateReason>,
}

/// An app's `on_request_error`, registered once, called from any worker.
pub(crate) type ErrorHook =
    Arc<dyn Fn(&RequestError<'_>, &ErroredRequest<'_>, &ErrorContext<'_>) + Send + Sync>;
