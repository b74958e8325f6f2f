//! The demo's instrumentation, as `instrumentation.ts` holds
//! `onRequestError` in Next.js: what an app would send to its error
//! tracker, written to the log here, one line per failure.

use trellis::{ErrorContext, ErroredRequest, RequestError};

pub fn on_request_error(error: &RequestError, request: &ErroredRequest, context: &ErrorContext) {
    trellis::tracing::warn!(
        route = context.route,
        kind = context.kind.as_str(),
        revalidate_reason = context.revalidate_reason.map(|reason| reason.as_str()),
        method = %request.method,
        path = request.path,
        %error,
        "on_request_error"
    );
}
