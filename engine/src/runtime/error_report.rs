//! Telling the app's error hook of a failure: what a report names of the
//! request, kept while a function owns it, and the call itself, which a
//! panicking hook cannot harm. Route functions and the proxy report alike.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::http::{Method, Uri};

use crate::api::request::Request;
use crate::api::request_error::{ErrorContext, ErrorHook, ErroredRequest, RequestError};
use crate::api::request_head::RequestHead;
use crate::runtime::panics;

/// What an error report names of a request, kept while the function owns
/// the request: its method, target and headers (shared, not copied).
pub(crate) struct ReportedRequest {
    method: Method,
    uri: Uri,
    head: Arc<RequestHead>,
}

impl ReportedRequest {
    pub(crate) fn of(request: &Request) -> Self {
        ReportedRequest {
            method: request.method().clone(),
            uri: request.uri().clone(),
            head: request.head().clone(),
        }
    }

    pub(crate) fn as_errored(&self) -> ErroredRequest<'_> {
        ErroredRequest {
            method: &self.method,
            path: self.uri.path_and_query().map_or("/", |p| p.as_str()),
            headers: &self.head.headers,
        }
    }
}

/// Calls `hook` with `error` in `request`; a hook that panics is logged,
/// and harms nothing else.
pub(crate) fn tell(
    hook: &ErrorHook,
    error: &RequestError<'_>,
    request: &ErroredRequest<'_>,
    context: &ErrorContext<'_>,
) {
    let called = std::panic::catch_unwind(AssertUnwindSafe(|| hook(error, request, context)));
    if let Err(panic) = called {
        tracing::error!(
            route = context.route,
            panic = panics::message(&*panic),
            "on_request_error panicked"
        );
    }
}
